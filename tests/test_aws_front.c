/* The HTTP client and the runtime loop against the real front (`durable
 * serve` as a library, SigV4 verification on): every route, the error
 * classes, callbacks and stop, and functions that are processes of this very
 * test program running durable_lambda_run (a normal run, a crash, an init
 * failure). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "durable/aws.h"
#include "durable/http.h"
#include "durable/lambda.h"
#include "support/testutil.h"

#define KEY "AKIDFRONTTEST"
#define SECRET "front-test-secret"

static durable_http_server *srv;
static durable_aws_client *cli;
static char marker_env[PATH_MAX + 32];

/* ---- handlers (in-process, and in the function processes) ---------------------------- */

static int greet_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    char text[96];
    snprintf(text, sizeof text, "Hello, %s!", (const char *)user);
    *result = cJSON_CreateString(text);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int greet(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, "greet", greet_body,
                          (void *)(cJSON_IsString(input) ? input->valuestring : "?"), NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static int waiter(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_callback *cb = NULL;
    int rc = durable_create_callback(ctx, &cb, "approval", NULL);
    if (rc != 0)
        return rc;
    const cJSON *r = NULL;
    if ((rc = durable_callback_await(cb, &r)) != 0)
        return rc;
    *out = r ? cJSON_Duplicate(r, 1) : NULL;
    return 0;
}

/* Crashes the first process that runs it (the marker file does not exist
 * yet), then greets. */
static int crasher(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    const char *marker = getenv("CRASH_MARKER");
    if (marker && access(marker, F_OK) != 0) {
        FILE *f = fopen(marker, "w");
        if (f)
            fclose(f);
        abort();
    }
    return greet(ctx, input, out, user);
}

/* The function process: this program with --lambda, the handler by _HANDLER. */
static int lambda_main(void)
{
    const char *h = getenv("_HANDLER");
    durable_handler_fn fn = h && !strcmp(h, "crasher") ? crasher : greet;
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    o.invocation.logger.level = DURABLE_LOG_OFF;
    return durable_lambda_run(fn, NULL, &o) == 0 ? 0 : 1;
}

/* ---- fixture -------------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int suite_init(void)
{
    static char exe[PATH_MAX], cmd[PATH_MAX + 16], marker[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 1;
    exe[n] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' --lambda", exe);
    char *m = dt_temp_path("aws-front-crash");
    snprintf(marker, sizeof marker, "%s", m);
    free(m);
    unlink(marker);
    snprintf(marker_env, sizeof marker_env, "CRASH_MARKER=%s", marker);

    static const char *keys[] = {KEY ":" SECRET};
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = ":memory:";
    o.port = 0;
    /* Real time: nothing here waits on a timer. (With skip_time, about one
     * run in ten timed the Waiter execution out right after its callback
     * succeeded: the skipper fired the one-year execution timeout before
     * the re-invocation started.) */
    o.skip_time = false;
    o.region = "us-west-2";
    o.auth_keys = keys;
    o.auth_key_count = 1;
    o.invocation_retry_backoff_ms = 50;
    if (durable_http_server_new(&srv, &o) != 0)
        return 1;
    durable_http_function_options crash = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
    const char *crash_env[] = {marker_env};
    crash.env = crash_env;
    crash.env_count = 1;
    crash.handler = "crasher";
    durable_http_function_options bad = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
    const char *bad_env[] = {"AWS_REGION=", "AWS_DEFAULT_REGION="};
    bad.env = bad_env;
    bad.env_count = 2;
    if (durable_http_register_handler(srv, "Greeter", greet, NULL, NULL) != 0 ||
        durable_http_register_handler(srv, "Waiter", waiter, NULL, NULL) != 0 ||
        durable_http_register_command(srv, "ProcGreeter", cmd, NULL) != 0 ||
        durable_http_register_command(srv, "Crasher", cmd, &crash) != 0 ||
        durable_http_register_command(srv, "BadEnv", cmd, &bad) != 0 ||
        durable_http_server_start(srv) != 0) {
        fprintf(stderr, "front: %s\n", durable_error_last()->message);
        return 1;
    }
    durable_aws_options a = DURABLE_AWS_OPTIONS_INIT;
    a.region = "us-west-2";
    a.endpoint = durable_http_server_url(srv);
    a.access_key_id = KEY;
    a.secret_access_key = SECRET;
    return durable_aws_client_new(&cli, &a) == 0 ? 0 : 1;
}

static int suite_clean(void)
{
    durable_aws_client_free(cli);
    durable_http_server_free(srv);
    const char *marker = strchr(marker_env, '=');
    if (marker)
        unlink(marker + 1);
    return 0;
}

/* Invoke fn; returns the execution ARN (durable_free) or NULL. */
static char *invoke(const char *fn, durable_aws_invocation_type type, const char *payload,
                    const char *name, durable_aws_invoke_response *keep)
{
    durable_aws_invoke_request req = DURABLE_AWS_INVOKE_REQUEST_INIT;
    req.function_name = fn;
    req.invocation_type = type;
    req.payload = payload;
    req.payload_len = payload ? strlen(payload) : 0;
    req.durable_execution_name = name;
    durable_aws_invoke_response resp = {0};
    int rc = durable_aws_invoke(cli, &resp, &req);
    if (rc != 0) {
        fprintf(stderr, "invoke %s: %s\n", fn, durable_error_last()->message);
        return NULL;
    }
    char *arn = resp.durable_execution_arn;
    resp.durable_execution_arn = NULL;
    if (keep)
        *keep = resp;
    else
        durable_aws_invoke_response_clear(&resp);
    return arn;
}

/* All history events of arn, following NextMarker. */
static void history(durable_history_response *all, const char *arn)
{
    memset(all, 0, sizeof *all);
    char *marker = NULL;
    do {
        durable_history_request req = {(char *)arn, true, 2, marker, false};
        durable_history_response page = {0};
        int rc = durable_aws_get_history(cli, &page, &req);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        all->events = realloc(all->events, (all->count + page.count) * sizeof *all->events + 1);
        for (size_t i = 0; i < page.count; i++)
            durable_event_copy(&all->events[all->count++], &page.events[i]);
        free(marker);
        marker = page.next_marker ? strdup(page.next_marker) : NULL;
        durable_history_response_clear(&page);
    } while (marker);
}

static void history_free(durable_history_response *h)
{
    for (size_t i = 0; i < h->count; i++)
        durable_event_clear(&h->events[i]);
    free(h->events);
    memset(h, 0, sizeof *h);
}

/* The first event of `type` (polled until it appears, up to ~30 s). */
static bool wait_event(durable_event *out, const char *arn, durable_event_type type)
{
    for (int i = 0; i < 1500; i++) {
        durable_history_response h;
        history(&h, arn);
        for (size_t k = 0; k < h.count; k++)
            if (h.events[k].type == type) {
                durable_event_copy(out, &h.events[k]);
                history_free(&h);
                return true;
            }
        history_free(&h);
        sleep_ms(20);
    }
    return false;
}

static durable_exec_status wait_terminal(const char *arn, durable_execution_info *info)
{
    for (int i = 0; i < 1500; i++) {
        memset(info, 0, sizeof *info);
        if (durable_aws_get_execution(cli, info, arn) == 0 && info->status != DURABLE_EXEC_RUNNING)
            return info->status;
        durable_execution_info_clear(info);
        sleep_ms(20);
    }
    return DURABLE_EXEC_RUNNING;
}

/* ---- cases ------------------------------------------------------------------------------------ */

static void test_invoke_execution_history_list(void)
{
    durable_aws_invoke_response resp = {0};
    char *arn = invoke("Greeter", DURABLE_AWS_INVOKE_REQUEST_RESPONSE, "\"World\"", NULL, &resp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    CU_ASSERT_EQUAL(resp.status_code, 200);
    CU_ASSERT_STRING_EQUAL(resp.payload, "\"Hello, World!\"");
    CU_ASSERT_PTR_NULL(resp.function_error);
    CU_ASSERT_STRING_EQUAL(resp.executed_version, "$LATEST");
    CU_ASSERT_PTR_NOT_NULL(resp.request_id);
    durable_aws_invoke_response_clear(&resp);

    durable_execution_info info = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_get_execution(cli, &info, arn), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(info.result, "\"Hello, World!\"");
    CU_ASSERT_STRING_EQUAL(info.input_payload, "\"World\"");
    CU_ASSERT_TRUE(info.start_timestamp > 1700000000000 && info.end_timestamp >= info.start_timestamp);
    durable_execution_info_clear(&info);

    /* Pages of two events, followed to the end. */
    durable_history_response h;
    history(&h, arn);
    CU_ASSERT_TRUE_FATAL(h.count >= 5);
    CU_ASSERT_EQUAL(h.events[0].type, DURABLE_EVENT_EXECUTION_STARTED);
    CU_ASSERT_EQUAL(h.events[h.count - 1].type, DURABLE_EVENT_EXECUTION_SUCCEEDED);
    for (size_t i = 0; i < h.count; i++)
        CU_ASSERT_EQUAL(h.events[i].event_id, (int64_t)i + 1);
    history_free(&h);

    durable_list_request lreq = {0};
    lreq.function_name = "Greeter";
    durable_exec_status st = DURABLE_EXEC_SUCCEEDED;
    lreq.statuses = &st;
    lreq.status_count = 1;
    durable_list_response list = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_list_executions(cli, &list, &lreq), 0);
    bool found = false;
    for (size_t i = 0; i < list.count; i++)
        found |= !strcmp(list.executions[i].durable_execution_arn, arn);
    CU_ASSERT_TRUE(found);
    durable_list_response_clear(&list);
    durable_free(arn);
}

static void test_error_classes(void)
{
    const char *ghost = "arn:aws:lambda:us-west-2:123456789012:function:Greeter:$LATEST/"
                        "durable-execution/none/none";
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL(durable_aws_get_execution(cli, &info, ghost), DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_aws_error_last()->type, "ResourceNotFoundException");
    CU_ASSERT_EQUAL(durable_aws_error_last()->http_status, 404);
    CU_ASSERT_TRUE(durable_aws_error_last()->request_id[0] != '\0');
    CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(cli, "bm9uZQ=="), DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_aws_error_last()->type, "ResourceNotFoundException");
    durable_aws_invoke_response resp = {0};
    durable_aws_invoke_request req = DURABLE_AWS_INVOKE_REQUEST_INIT;
    req.function_name = "NoSuchFunction";
    CU_ASSERT_EQUAL(durable_aws_invoke(cli, &resp, &req), DURABLE_ENOTFOUND);

    /* A token of a closed execution: the SDK's invocation error. */
    char *arn = invoke("Greeter", DURABLE_AWS_INVOKE_REQUEST_RESPONSE, "\"x\"", NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    durable_checkpoint_request ck = {arn, "c3RhbGU=", NULL, 0, NULL};
    durable_checkpoint_response ckr = {0};
    CU_ASSERT_EQUAL(durable_aws_checkpoint(cli, &ckr, &ck), DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(strncmp(durable_error_last()->message, "Invalid Checkpoint Token", 24), 0);
    CU_ASSERT_STRING_EQUAL(durable_aws_error_last()->type, "InvalidParameterValueException");
    durable_state_request sr = {arn, "c3RhbGU=", NULL, 0};
    durable_state_response srr = {0};
    CU_ASSERT_EQUAL(durable_aws_get_state(cli, &srr, &sr), DURABLE_ETOKEN);
    durable_free(arn);

    /* A duplicate execution name. */
    arn = invoke("Greeter", DURABLE_AWS_INVOKE_EVENT, "\"y\"", "dup-name-1", NULL);
    CU_ASSERT_PTR_NOT_NULL(arn);
    durable_free(arn);
    req.function_name = "Greeter";
    req.invocation_type = DURABLE_AWS_INVOKE_EVENT;
    req.durable_execution_name = "dup-name-1";
    CU_ASSERT_EQUAL(durable_aws_invoke(cli, &resp, &req), DURABLE_EEXISTS);
    CU_ASSERT_STRING_EQUAL(durable_aws_error_last()->type,
                           "DurableExecutionAlreadyStartedException");

    /* A wrong secret: the front's SigV4 check refuses it. */
    durable_aws_options o = DURABLE_AWS_OPTIONS_INIT;
    o.region = "us-west-2";
    o.endpoint = durable_http_server_url(srv);
    o.access_key_id = KEY;
    o.secret_access_key = "not-the-secret";
    durable_aws_client *bad = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&bad, &o), 0);
    CU_ASSERT_EQUAL(durable_aws_get_execution(bad, &info, ghost), DURABLE_EACCESS);
    CU_ASSERT_EQUAL(durable_aws_error_last()->http_status, 403);
    CU_ASSERT_STRING_EQUAL(durable_aws_error_last()->type, "InvalidSignatureException");
    durable_aws_client_free(bad);
}

/* A Waiter execution once its callback is started; NULL on failure. */
static char *start_waiter(durable_event *started)
{
    char *arn = invoke("Waiter", DURABLE_AWS_INVOKE_EVENT, "null", NULL, NULL);
    durable_event_init(started);
    if (arn && !wait_event(started, arn, DURABLE_EVENT_CALLBACK_STARTED)) {
        durable_free(arn);
        return NULL;
    }
    return arn;
}

static void test_callbacks_and_stop(void)
{
    durable_event started;
    char *arn = start_waiter(&started);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(started.callback_id);
    CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(cli, started.callback_id), 0);
    CU_ASSERT_EQUAL(durable_aws_callback_success(cli, started.callback_id, "\"approved\"", 10), 0);
    int again = durable_aws_callback_success(cli, started.callback_id, "\"again\"", 7);
    CU_ASSERT_EQUAL(again, DURABLE_ECALLBACK_DONE);
    durable_execution_info info;
    durable_exec_status st = wait_terminal(arn, &info);
    if (st != DURABLE_EXEC_SUCCEEDED) {
        fprintf(stderr, "[status %s error %s: %s]\n", durable_exec_status_name(st),
                info.error && info.error->error_type ? info.error->error_type : "-",
                info.error && info.error->error_message ? info.error->error_message : "-");
        durable_history_response h;
        history(&h, arn);
        for (size_t i = 0; i < h.count; i++)
            fprintf(stderr, "  %s %s %s\n", durable_event_type_name(h.events[i].type),
                    h.events[i].error && h.events[i].error->error_type ? h.events[i].error->error_type : "",
                    h.events[i].error && h.events[i].error->error_message ? h.events[i].error->error_message : "");
        history_free(&h);
    }
    CU_ASSERT_EQUAL(st, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_PTR_NOT_NULL(info.result && strstr(info.result, "approved"));
    durable_execution_info_clear(&info);
    durable_event_clear(&started);
    durable_free(arn);

    /* A failed callback fails the execution with the sender's error. */
    arn = start_waiter(&started);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    durable_error_object *e = NULL;
    durable_error_object_new(&e, "Rejected", "not today", NULL);
    CU_ASSERT_EQUAL(durable_aws_callback_failure(cli, started.callback_id, e), 0);
    durable_error_object_free(e);
    CU_ASSERT_EQUAL(wait_terminal(arn, &info), DURABLE_EXEC_FAILED);
    CU_ASSERT_TRUE(info.error && info.error->error_message &&
                   strstr(info.error->error_message, "not today"));
    durable_execution_info_clear(&info);
    durable_event_clear(&started);
    durable_free(arn);

    /* Stop a waiting execution. */
    arn = start_waiter(&started);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    durable_event_clear(&started);
    durable_error_object_new(&e, "Stopped", "by test", NULL);
    durable_stop_response stop = {0};
    CU_ASSERT_EQUAL(durable_aws_stop(cli, &stop, arn, e), 0);
    durable_error_object_free(e);
    CU_ASSERT_TRUE(stop.stop_timestamp > 1700000000000);
    memset(&info, 0, sizeof info);
    CU_ASSERT_EQUAL_FATAL(durable_aws_get_execution(cli, &info, arn), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_STOPPED);
    durable_execution_info_clear(&info);
    durable_free(arn);
}

/* ---- the runtime loop as a function process ------------------------------------------------ */

static void test_runtime_loop_process(void)
{
    durable_aws_invoke_response resp = {0};
    char *arn = invoke("ProcGreeter", DURABLE_AWS_INVOKE_REQUEST_RESPONSE, "\"Lambda\"", NULL,
                       &resp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    CU_ASSERT_STRING_EQUAL(resp.payload, "\"Hello, Lambda!\"");
    CU_ASSERT_PTR_NULL(resp.function_error);
    durable_aws_invoke_response_clear(&resp);
    /* The step was checkpointed by the process, over signed HTTP. */
    durable_event ev;
    durable_event_init(&ev);
    CU_ASSERT_TRUE(wait_event(&ev, arn, DURABLE_EVENT_STEP_SUCCEEDED));
    CU_ASSERT_STRING_EQUAL(ev.name, "greet");
    durable_event_clear(&ev);
    durable_free(arn);
}

static void test_handler_crash(void)
{
    durable_aws_invoke_response resp = {0};
    char *arn = invoke("Crasher", DURABLE_AWS_INVOKE_REQUEST_RESPONSE, "\"again\"", NULL, &resp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    CU_ASSERT_STRING_EQUAL(resp.payload, "\"Hello, again!\"");
    durable_aws_invoke_response_clear(&resp);
    durable_history_response h;
    history(&h, arn);
    bool crashed = false;
    for (size_t i = 0; i < h.count; i++)
        if (h.events[i].type == DURABLE_EVENT_INVOCATION_COMPLETED && h.events[i].error &&
            h.events[i].error->error_type)
            crashed |= !strcmp(h.events[i].error->error_type, "Runtime.ExitError");
    CU_ASSERT_TRUE(crashed);
    history_free(&h);
    durable_free(arn);
}

static void test_init_failure_process(void)
{
    char *arn = invoke("BadEnv", DURABLE_AWS_INVOKE_EVENT, "\"x\"", NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    durable_event ev;
    durable_event_init(&ev);
    CU_ASSERT_TRUE_FATAL(wait_event(&ev, arn, DURABLE_EVENT_INVOCATION_COMPLETED));
    CU_ASSERT_TRUE_FATAL(ev.error != NULL);
    CU_ASSERT_STRING_EQUAL(ev.error->error_type, "Runtime.InitError");
    CU_ASSERT_TRUE(ev.error->error_message && strstr(ev.error->error_message, "AWS_REGION"));
    durable_event_clear(&ev);
    durable_stop_response stop = {0};
    CU_ASSERT_EQUAL(durable_aws_stop(cli, &stop, arn, NULL), 0);
    durable_free(arn);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--lambda"))
        return lambda_main();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("aws_front", suite_init, suite_clean);
    DT_ADD(s, test_invoke_execution_history_list);
    DT_ADD(s, test_error_classes);
    DT_ADD(s, test_callbacks_and_stop);
    DT_ADD(s, test_runtime_loop_process);
    DT_ADD(s, test_handler_crash);
    DT_ADD(s, test_init_failure_process);
    return dt_run();
}
