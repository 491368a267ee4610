/* The cloud test runner against the real front (`durable serve` as a library,
 * time skipped): every operation type, callbacks sent from the test through
 * operation handles and by responders, a failed execution, a run that times
 * out, function not found, access denied; and, for the same handlers, a
 * result equal to the local runner's (status, result, operations with their
 * details, invocations' outcomes, history event types in order), with the
 * handler run in-process by the server and as a durable_lambda_run process
 * (this program with --lambda). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable/cloud.h"
#include "durable/http.h"
#include "durable/lambda.h"
#include "durable/testing.h"
#include "support/testutil.h"

#define KEY "AKIDCLOUDTEST"
#define SECRET "cloud-test-secret"

static durable_http_server *srv;

/* ---- handlers (in-process, in the function processes, and in the local runner) ---- */

static int body_greet(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateString("hello");
    return *result ? 0 : DURABLE_ENOMEM;
}

/* Fails its first attempt, succeeds on the second. */
static int body_flaky(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)user;
    if (durable_step_attempt(sctx) < 2)
        return durable_step_fail(sctx, "FlakyError", "first attempt fails", NULL);
    *result = cJSON_CreateNumber(2);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int child_body(durable_ctx *child, cJSON **result, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_step(child, &r, "inner", body_greet, NULL, NULL);
    if (rc != 0)
        return rc;
    *result = cJSON_Duplicate(r, 1);
    return 0;
}

static int submit_nothing(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)sctx;
    (void)callback_id;
    (void)user;
    return 0;
}

static int map_item(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                    const cJSON *items, void *user)
{
    (void)item_ctx;
    (void)index;
    (void)items;
    (void)user;
    *result = cJSON_CreateNumber(item->valuedouble * 10);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int echo(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)user;
    *out = input ? cJSON_Duplicate(input, 1) : NULL;
    return 0;
}

/* Every operation type: step (with a retry), wait, child context, callback
 * (answered by a responder), wait-for-callback, chained invoke, map. */
static int all_ops(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, "greet", body_greet, NULL, NULL);
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.initial_delay_seconds = 1;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *rs = NULL;
    if (rc == 0 && (rc = durable_retry_strategy_new(&rs, &ro)) == 0) {
        durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
        so.retry = rs;
        rc = durable_step(ctx, &r, "flaky", body_flaky, NULL, &so);
        durable_retry_strategy_free(rs);
    }
    if (rc == 0)
        rc = durable_wait(ctx, "pause", 30);
    if (rc == 0)
        rc = durable_run_in_child_context(ctx, &r, "child", child_body, NULL, NULL);
    durable_callback *cb = NULL;
    if (rc == 0)
        rc = durable_create_callback(ctx, &cb, "approval", NULL);
    if (rc == 0)
        rc = durable_callback_await(cb, &r);
    if (rc == 0)
        rc = durable_wait_for_callback(ctx, &r, "external", submit_nothing, NULL, NULL);
    cJSON *payload = cJSON_CreateString("ping");
    if (rc == 0)
        rc = durable_invoke(ctx, &r, "call-echo", "Echo", payload, NULL);
    cJSON_Delete(payload);
    cJSON *items = cJSON_CreateIntArray((const int[]){1, 2}, 2);
    const durable_batch_result *br = NULL;
    durable_map_options mo = DURABLE_MAP_OPTIONS_INIT;
    mo.max_concurrency = 1;
    if (rc == 0)
        rc = durable_map(ctx, &br, "tens", items, map_item, NULL, &mo);
    cJSON_Delete(items);
    if (rc != 0)
        return rc;
    *out = cJSON_CreateString("all done");
    return 0;
}

static int failing(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, "greet", body_greet, NULL, NULL);
    if (rc != 0)
        return rc;
    return durable_ctx_fail(ctx, "OrderRejected", "the order was rejected", "{\"id\":7}");
}

/* A callback the test answers through an operation handle. */
static int approval(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_callback *cb = NULL;
    const cJSON *r = NULL;
    int rc = durable_create_callback(ctx, &cb, "approval", NULL);
    if (rc == 0)
        rc = durable_callback_await(cb, &r);
    if (rc != 0)
        return rc;
    *out = r ? cJSON_Duplicate(r, 1) : NULL;
    return 0;
}

static int lambda_main(void)
{
    const char *h = getenv("_HANDLER");
    durable_handler_fn fn = h && !strcmp(h, "failing") ? failing : all_ops;
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    o.invocation.logger.level = DURABLE_LOG_OFF;
    return durable_lambda_run(fn, NULL, &o) == 0 ? 0 : 1;
}

/* ---- fixture ------------------------------------------------------------------------- */

static void server_log(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "serve: %s\n", line);
}

static int suite_init(void)
{
    static char exe[PATH_MAX], cmd[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 1;
    exe[n] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' --lambda", exe);
    static const char *keys[] = {KEY ":" SECRET};
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = ":memory:";
    o.port = 0;
    o.skip_time = true;
    o.region = "us-west-2";
    o.auth_keys = keys;
    o.auth_key_count = 1;
    o.invocation_retry_backoff_ms = 50;
    if (getenv("CLOUD_TEST_SERVER_LOG"))
        o.log = server_log;
    durable_http_function_options fail_proc = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
    fail_proc.handler = "failing";
    if (durable_http_server_new(&srv, &o) != 0)
        return 1;
    if (durable_http_register_handler(srv, "AllOps", all_ops, NULL, NULL) != 0 ||
        durable_http_register_handler(srv, "Echo", echo, NULL, NULL) != 0 ||
        durable_http_register_handler(srv, "Failing", failing, NULL, NULL) != 0 ||
        durable_http_register_handler(srv, "Approval", approval, NULL, NULL) != 0 ||
        durable_http_register_command(srv, "ProcAllOps", cmd, NULL) != 0 ||
        durable_http_register_command(srv, "ProcFailing", cmd, &fail_proc) != 0 ||
        durable_http_server_start(srv) != 0) {
        fprintf(stderr, "front: %s\n", durable_error_last()->message);
        return 1;
    }
    return 0;
}

static int suite_clean(void)
{
    durable_http_server_free(srv);
    return 0;
}

static durable_cloud_runner_options cloud_opts(void)
{
    durable_cloud_runner_options o = DURABLE_CLOUD_RUNNER_OPTIONS_INIT;
    o.aws.region = "us-west-2";
    o.aws.endpoint = durable_http_server_url(srv);
    o.aws.access_key_id = KEY;
    o.aws.secret_access_key = SECRET;
    o.poll_interval_ms = 20;
    o.timeout_ms = 60000;
    return o;
}

static durable_cloud_runner *new_cloud(const char *fn, const durable_cloud_runner_options *o)
{
    durable_cloud_runner *r = NULL;
    int rc = durable_cloud_runner_new(&r, fn, o);
    if (rc != 0)
        fprintf(stderr, "cloud runner: %s\n", durable_error_last()->message);
    CU_ASSERT_FATAL(rc == 0);
    return r;
}

/* Every callback is answered by a responder with "ok". */
static void add_ok_responder(durable_cloud_runner *cr, durable_test_runner *lr)
{
    durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
    a.payload = "\"ok\"";
    if (cr)
        CU_ASSERT_EQUAL(durable_cloud_runner_add_callback_responder(cr, &a), 0);
    if (lr)
        CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(lr, &a), 0);
}

/* The same handler through the local runner. */
static durable_test_result *run_local(durable_handler_fn fn, const char *input)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    CU_ASSERT_FATAL(durable_test_env_setup(&cfg) == 0);
    durable_test_runner *r = NULL;
    CU_ASSERT_FATAL(durable_test_runner_new(&r, fn, NULL, "Local") == 0);
    CU_ASSERT_EQUAL(durable_test_runner_register_durable_function(r, "Echo", echo, NULL), 0);
    add_ok_responder(NULL, r);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, input), 0);
    durable_test_runner_free(r);
    CU_ASSERT_EQUAL(durable_test_env_teardown(), 0);
    return res;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_error(const durable_error_object *a, const durable_error_object *b)
{
    if (!a || !b)
        return !a && !b;
    return same_str(a->error_type, b->error_type) && same_str(a->error_message, b->error_message) &&
           same_str(a->error_data, b->error_data);
}

static void expect_same_op(const durable_test_operation *a, const durable_test_operation *b,
                           size_t i)
{
    const durable_operation *x = durable_test_operation_data(a);
    const durable_operation *y = durable_test_operation_data(b);
    bool same = x->type == y->type && x->status == y->status && same_str(x->name, y->name) &&
                same_str(x->subtype, y->subtype) && same_str(x->id, y->id) &&
                same_str(x->parent_id, y->parent_id) && same_str(x->result, y->result) &&
                same_error(x->error, y->error) && x->attempt == y->attempt &&
                (x->callback_id != NULL) == (y->callback_id != NULL) &&
                (x->end_timestamp != 0) == (y->end_timestamp != 0) &&
                durable_test_operation_child_count(a) == durable_test_operation_child_count(b);
    if (x->type == DURABLE_OP_WAIT) {
        durable_test_wait_details wa, wb;
        CU_ASSERT_EQUAL(durable_test_operation_wait_details(&wa, a), 0);
        CU_ASSERT_EQUAL(durable_test_operation_wait_details(&wb, b), 0);
        same = same && wa.wait_seconds == wb.wait_seconds;
    }
    if (!same)
        fprintf(stderr, "operation %zu differs: %s %s %s/%s attempt %lld/%lld result %s/%s\n", i,
                x->name ? x->name : "-", durable_op_type_name(x->type),
                durable_op_status_name(x->status), durable_op_status_name(y->status),
                (long long)x->attempt, (long long)y->attempt, x->result ? x->result : "-",
                y->result ? y->result : "-");
    CU_ASSERT(same);
}

/* Cloud and local results of one handler are the same where the wire says
 * the same: status, result, error, operations and their details,
 * invocations' outcomes, history event types in order. */
static void expect_same_result(const durable_test_result *c, const durable_test_result *l)
{
    CU_ASSERT_EQUAL(durable_test_result_status(c), durable_test_result_status(l));
    if (durable_test_result_status(c) == DURABLE_EXEC_SUCCEEDED) {
        const char *rc = NULL, *rl = NULL;
        CU_ASSERT_EQUAL(durable_test_result_get_result(&rc, c), 0);
        CU_ASSERT_EQUAL(durable_test_result_get_result(&rl, l), 0);
        CU_ASSERT(same_str(rc, rl));
    } else {
        const durable_error_object *ec = NULL, *el = NULL;
        CU_ASSERT_EQUAL(durable_test_result_get_error(&ec, c), 0);
        CU_ASSERT_EQUAL(durable_test_result_get_error(&el, l), 0);
        CU_ASSERT(same_error(ec, el));
    }
    size_t n = durable_test_result_operation_count(c);
    CU_ASSERT_EQUAL(n, durable_test_result_operation_count(l));
    for (size_t i = 0; i < n && i < durable_test_result_operation_count(l); i++)
        expect_same_op(durable_test_result_operation_at(c, i),
                       durable_test_result_operation_at(l, i), i);
    size_t ni = durable_test_result_invocation_count(c);
    CU_ASSERT_EQUAL(ni, durable_test_result_invocation_count(l));
    for (size_t i = 0; i < ni && i < durable_test_result_invocation_count(l); i++) {
        const durable_test_invocation *a = NULL, *b = NULL;
        CU_ASSERT_EQUAL(durable_test_result_get_invocation(&a, c, i), 0);
        CU_ASSERT_EQUAL(durable_test_result_get_invocation(&b, l, i), 0);
        CU_ASSERT(a && b && same_str(a->outcome, b->outcome));
        CU_ASSERT(a && b && same_error(a->error, b->error));
    }
    size_t ne = durable_test_result_event_count(c);
    CU_ASSERT_EQUAL(ne, durable_test_result_event_count(l));
    for (size_t i = 0; i < ne && i < durable_test_result_event_count(l); i++) {
        durable_event_type tc = durable_test_result_event(c, i)->type;
        durable_event_type tl = durable_test_result_event(l, i)->type;
        if (tc != tl)
            fprintf(stderr, "event %zu: cloud %s local %s\n", i, durable_event_type_name(tc),
                    durable_event_type_name(tl));
        CU_ASSERT_EQUAL(tc, tl);
    }
}

/* ---- tests ------------------------------------------------------------------------------ */

static void compare_function(const char *function, durable_handler_fn fn)
{
    durable_cloud_runner_options o = cloud_opts();
    /* Pages of 3 events: the runner follows NextMarker and re-reads from
     * the last page's marker on every poll, and still sees every event
     * exactly once, in order (the comparison below checks). */
    o.history_page_size = 3;
    durable_cloud_runner *cr = new_cloud(function, &o);
    add_ok_responder(cr, NULL);
    durable_test_result *c = NULL;
    int rc = durable_cloud_runner_run(&c, cr, "{\"order\":42}");
    if (rc != 0)
        fprintf(stderr, "cloud run: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    durable_test_result *l = run_local(fn, "{\"order\":42}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    expect_same_result(c, l);

    /* Lookups, typed details, children and the table, as on a local result. */
    durable_test_operation *op = NULL;
    if (fn == all_ops) {
        durable_test_step_details sd;
        CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, c, "flaky"), 0);
        CU_ASSERT_EQUAL(durable_test_operation_step_details(&sd, op), 0);
        CU_ASSERT_EQUAL(sd.attempt, 2);
        CU_ASSERT_STRING_EQUAL(sd.result, "2");
        durable_test_wait_details wd;
        CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, c, "pause"), 0);
        CU_ASSERT_EQUAL(durable_test_operation_wait_details(&wd, op), 0);
        CU_ASSERT_EQUAL(wd.wait_seconds, 30);
        durable_test_callback_details cd;
        CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, c, "approval"), 0);
        CU_ASSERT_EQUAL(durable_test_operation_callback_details(&cd, op), 0);
        CU_ASSERT_STRING_EQUAL(cd.result, "\"ok\"");
        durable_test_invoke_details id;
        CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, c, "call-echo"), 0);
        CU_ASSERT_EQUAL(durable_test_operation_invoke_details(&id, op), 0);
        CU_ASSERT_STRING_EQUAL(id.result, "\"ping\"");
        CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, c, "child"), 0);
        CU_ASSERT_EQUAL(durable_test_operation_child_count(op), 1);
        CU_ASSERT_STRING_EQUAL(durable_test_operation_name(durable_test_operation_child(op, 0)),
                               "inner");
        durable_test_operation *by_id = NULL;
        CU_ASSERT_EQUAL(durable_test_result_get_operation_by_id(&by_id, c,
                                                                durable_test_operation_id(op)),
                        0);
        CU_ASSERT_PTR_EQUAL(by_id, op);
        CU_ASSERT_EQUAL(durable_test_result_get_operation_by_name_and_index(&op, c, "tens", 0), 0);
        CU_ASSERT_EQUAL(durable_test_operation_child_count(op), 2);
        char *table = NULL;
        CU_ASSERT_EQUAL(durable_test_result_format_table(&table, c, NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(table ? strstr(table, "call-echo") : NULL);
        durable_free(table);
    }
    durable_test_result_free(c);
    durable_test_result_free(l);
    durable_cloud_runner_free(cr);
}

static void test_every_operation_in_process_equals_local(void)
{
    compare_function("AllOps", all_ops);
}

static void test_every_operation_process_equals_local(void)
{
    compare_function("ProcAllOps", all_ops);
}

static void test_failed_execution_equals_local(void)
{
    compare_function("Failing", failing);
    compare_function("ProcFailing", failing);
}

static void test_event_invocation(void)
{
    durable_cloud_runner_options o = cloud_opts();
    o.invocation_type = DURABLE_AWS_INVOKE_EVENT;
    o.execution_name = "cloud-event-run";
    durable_cloud_runner *cr = new_cloud("Failing", &o);
    durable_test_result *c = NULL;
    CU_ASSERT_EQUAL(durable_cloud_runner_run(&c, cr, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(c), DURABLE_EXEC_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_test_result_execution_arn(c), "/cloud-event-run/"));
    const durable_error_object *e = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_error(&e, c), 0);
    CU_ASSERT_STRING_EQUAL(e->error_type, "OrderRejected");
    /* The name is taken now: a second run with it is refused. */
    durable_test_result *again = NULL;
    CU_ASSERT_EQUAL(durable_cloud_runner_run(&again, cr, NULL), DURABLE_EEXISTS);
    CU_ASSERT_PTR_NULL(again);
    durable_test_result_free(c);
    durable_cloud_runner_free(cr);
}

/* Callbacks sent from the test through live operation handles. */
static void test_callbacks_from_the_test(void)
{
    durable_cloud_runner_options o = cloud_opts();
    durable_cloud_runner *cr = new_cloud("Approval", &o);
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL(durable_cloud_runner_get_operation(&op, cr, "approval"), 0);
    CU_ASSERT_FALSE(durable_test_operation_exists(op));
    CU_ASSERT_EQUAL(durable_cloud_runner_start(cr, "{}"), 0);
    CU_ASSERT_PTR_NOT_NULL(durable_cloud_runner_execution_arn(cr));
    CU_ASSERT_EQUAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_SUBMITTED, 30000), 0);
    CU_ASSERT_TRUE(durable_test_operation_is_callback(op));
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_STARTED);
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_heartbeat(op), 0);
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_success(op, "{\"approved\":true}"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_COMPLETED, 30000), 0);
    /* A second answer is refused by the service. */
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_success(op, "1"), DURABLE_ECALLBACK_DONE);
    durable_test_result *c = NULL;
    CU_ASSERT_EQUAL(durable_cloud_runner_await(&c, cr), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(c), DURABLE_EXEC_SUCCEEDED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, c), 0);
    CU_ASSERT_PTR_NOT_NULL(text ? strstr(text, "approved") : NULL);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_SUCCEEDED);
    durable_test_result_free(c);

    /* A failure sent the same way fails the execution with that error. */
    CU_ASSERT_EQUAL(durable_cloud_runner_start(cr, "{}"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_SUBMITTED, 30000), 0);
    durable_error_object no = {"Rejected", "not approved", NULL, NULL, 0};
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_failure(op, &no), 0);
    CU_ASSERT_EQUAL(durable_cloud_runner_await(&c, cr), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(c), DURABLE_EXEC_FAILED);
    durable_test_operation *snap = NULL;
    durable_test_callback_details cd;
    CU_ASSERT_EQUAL(durable_test_result_get_operation(&snap, c, "approval"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_callback_details(&cd, snap), 0);
    CU_ASSERT(cd.error && same_str(cd.error->error_type, "Rejected"));
    /* Waiting on a handle after the end: completed early. */
    durable_test_operation *missing = NULL;
    CU_ASSERT_EQUAL(durable_cloud_runner_get_operation(&missing, cr, "nothing"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_wait(missing, DURABLE_TEST_WAIT_STARTED, 1000),
                    DURABLE_ECOMPLETED_EARLY);
    durable_test_result_free(c);
    durable_cloud_runner_free(cr);
}

static void test_timeout_waiting_for_the_end(void)
{
    durable_cloud_runner_options o = cloud_opts();
    o.timeout_ms = 800;
    durable_cloud_runner *cr = new_cloud("Approval", &o);
    durable_test_result *c = NULL;
    int rc = durable_cloud_runner_run(&c, cr, "{}");
    CU_ASSERT_EQUAL(rc, DURABLE_ETIMEOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Timeout waiting for execution"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(durable_test_result_status(c), DURABLE_EXEC_RUNNING);
    /* Stop it so the server has nothing open. */
    durable_stop_response sr;
    memset(&sr, 0, sizeof sr);
    CU_ASSERT_EQUAL(durable_aws_stop(durable_cloud_runner_client(cr), &sr,
                                     durable_test_result_execution_arn(c), NULL),
                    0);
    durable_test_result_free(c);
    durable_cloud_runner_free(cr);
}

static void test_function_not_found_and_access_denied(void)
{
    durable_cloud_runner_options o = cloud_opts();
    durable_cloud_runner *cr = new_cloud("NoSuchFunction", &o);
    durable_test_result *c = NULL;
    CU_ASSERT_EQUAL(durable_cloud_runner_run(&c, cr, "{}"), DURABLE_ENOFUNCTION);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message,
                                  "Function not found: NoSuchFunction"));
    CU_ASSERT_PTR_NULL(c);
    durable_cloud_runner_free(cr);

    o.aws.secret_access_key = "wrong-secret";
    cr = new_cloud("AllOps", &o);
    CU_ASSERT_EQUAL(durable_cloud_runner_run(&c, cr, "{}"), DURABLE_EACCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Access denied"));
    CU_ASSERT_PTR_NULL(c);
    /* Bad input never reaches the service. */
    CU_ASSERT_EQUAL(durable_cloud_runner_run(&c, cr, "{not json"), DURABLE_ESERDES);
    durable_cloud_runner_free(cr);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--lambda"))
        return lambda_main();
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("aws_cloud_runner", suite_init, suite_clean);
    DT_ADD(s, test_every_operation_in_process_equals_local);
    DT_ADD(s, test_every_operation_process_equals_local);
    DT_ADD(s, test_failed_execution_equals_local);
    DT_ADD(s, test_event_invocation);
    DT_ADD(s, test_callbacks_from_the_test);
    DT_ADD(s, test_timeout_waiting_for_the_end);
    DT_ADD(s, test_function_not_found_and_access_denied);
    return dt_run();
}
