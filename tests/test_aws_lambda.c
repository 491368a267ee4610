/* The Lambda runtime loop against a fake Runtime API (the same scripted
 * server also answers the durable API the handler checkpoints through):
 * a durable invocation end to end, a FAILED output, a non-durable event,
 * a stale token (an invocation error), an init failure, and a missing or
 * unreachable Runtime API. */
#include <stdlib.h>
#include <string.h>

#include "durable/lambda.h"
#include "aws/aws_internal.h"
#include "support/testutil.h"
#include "test_aws_fake.h"

#define ARN "arn:aws:lambda:us-west-2:123456789012:function:Greeter:$LATEST/durable-execution/n-1/exec-1"
#define EVENT                                                                                  \
    "{\"DurableExecutionArn\":\"" ARN "\",\"CheckpointToken\":\"SGEzM2g=\","                   \
    "\"InitialExecutionState\":{\"Operations\":[{\"Id\":\"exec-1\",\"Type\":\"EXECUTION\","    \
    "\"Status\":\"STARTED\",\"StartTimestamp\":1796590809067,\"ExecutionDetails\":{"          \
    "\"InputPayload\":\"\\\"World\\\"\"}}],\"NextMarker\":\"\"}}"
#define NEXT "/2018-06-01/runtime/invocation/next"

static fake srv;

/* What the fake Runtime API hands out and how the durable API answers. */
typedef struct script {
    const char *events[4];
    const char *ids[4];
    size_t next;
    bool stale_token;
    char deadline[48]; /* a header line */
    const char *refuse; /* a path answered 400 InvalidRequestID */
} script;

static fake_reply respond(fake *f, const fake_req *req, void *user)
{
    (void)f;
    script *s = user;
    if (!strcmp(req->path, NEXT)) {
        size_t i = s->next < 4 && s->events[s->next] ? s->next++ : 3;
        static char id_line[4][80];
        snprintf(id_line[i], sizeof id_line[i], "Lambda-Runtime-Aws-Request-Id: %s",
                 s->ids[i] ? s->ids[i] : "none");
        return (fake_reply){200, s->events[i] ? s->events[i] : "{}",
                            {id_line[i], s->deadline,
                             "Lambda-Runtime-Invoked-Function-Arn: "
                             "arn:aws:lambda:us-west-2:123456789012:function:Greeter",
                             "Lambda-Runtime-Trace-Id: Root=1-abc;Sampled=0"}};
    }
    if (strstr(req->path, "/checkpoint")) {
        if (s->stale_token)
            return (fake_reply){400, "{\"__type\":\"InvalidParameterValueException\",\"message\":"
                                     "\"Invalid Checkpoint Token\"}",
                                {"X-Amzn-ErrorType: InvalidParameterValueException"}};
        return (fake_reply){200, "{\"CheckpointToken\":\"dDI=\",\"NewExecutionState\":"
                                 "{\"Operations\":[]}}"};
    }
    if (s->refuse && !strcmp(req->path, s->refuse))
        return (fake_reply){400, "{\"errorType\":\"InvalidRequestID\"}"};
    if (!strncmp(req->path, "/2018-06-01/runtime/", 20))
        return (fake_reply){202, "{\"status\":\"OK\"}"};
    return (fake_reply){404, "{\"message\":\"unknown\"}"};
}

typedef struct seen {
    int calls;
    char request_id[64];
    int64_t remaining;
    char function_arn[128];
    bool fail;
} seen;

static int greet(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    char text[64];
    snprintf(text, sizeof text, "Hello, %s!", (const char *)user);
    *result = cJSON_CreateString(text);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    seen *s = user;
    s->calls++;
    const durable_lambda_invocation *inv = durable_lambda_current();
    if (inv) {
        snprintf(s->request_id, sizeof s->request_id, "%s", inv->request_id);
        snprintf(s->function_arn, sizeof s->function_arn, "%s", inv->invoked_function_arn);
    }
    s->remaining = durable_lambda_remaining_ms();
    if (s->fail)
        return durable_ctx_fail(ctx, "GreetError", "no greeting today", NULL);
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, "greet", greet,
                          (void *)(cJSON_IsString(input) ? input->valuestring : "?"), NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static durable_lambda_options options(long max)
{
    static char api[64];
    snprintf(api, sizeof api, "%s", srv.url + strlen("http://"));
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    o.runtime_api = api;
    o.aws.region = "us-west-2";
    o.aws.endpoint = srv.url;
    o.aws.access_key_id = "AKIDEXAMPLE";
    o.aws.secret_access_key = "secret";
    o.aws.backoff_initial_ms = 1;
    o.invocation.logger.level = DURABLE_LOG_OFF;
    o.invocation.checkpoint.backoff_initial_ms = 1;
    o.invocation.checkpoint.backoff_max_ms = 2;
    o.max_invocations = max;
    return o;
}

static void setup(void)
{
    fake_start(&srv);
}

static void teardown(void)
{
    fake_stop(&srv);
}

/* The recorded request to a path, or NULL. */
static const fake_req *find(const char *path)
{
    for (size_t i = 0; i < fake_count(&srv); i++)
        if (!strcmp(fake_get(&srv, i)->path, path))
            return fake_get(&srv, i);
    return NULL;
}

static size_t count_containing(const char *part)
{
    size_t n = 0;
    for (size_t i = 0; i < fake_count(&srv); i++)
        n += strstr(fake_get(&srv, i)->path, part) != NULL;
    return n;
}

static void test_durable_invocation(void)
{
    script sc = {{EVENT}, {"req-1"}, 0, false, ""};
    snprintf(sc.deadline, sizeof sc.deadline, "Lambda-Runtime-Deadline-Ms: %lld",
             (long long)(durable__aws_now_ms() + 60000));
    fake_respond_with(&srv, respond, &sc);
    seen s = {0};
    durable_lambda_options o = options(1);
    CU_ASSERT_EQUAL_FATAL(durable_lambda_run(handler, &s, &o), 0);
    CU_ASSERT_EQUAL(s.calls, 1);
    CU_ASSERT_STRING_EQUAL(s.request_id, "req-1");
    CU_ASSERT_STRING_EQUAL(s.function_arn, "arn:aws:lambda:us-west-2:123456789012:function:Greeter");
    CU_ASSERT_TRUE(s.remaining > 0 && s.remaining <= 60000);
    CU_ASSERT_PTR_NULL(durable_lambda_current());
    CU_ASSERT_EQUAL(durable_lambda_remaining_ms(), INT64_MAX);
    CU_ASSERT_STRING_EQUAL(getenv("_X_AMZN_TRACE_ID"), "Root=1-abc;Sampled=0");

    CU_ASSERT_TRUE(count_containing("/checkpoint") >= 1);
    const fake_req *ck = NULL;
    for (size_t i = 0; i < fake_count(&srv) && !ck; i++)
        if (strstr(fake_get(&srv, i)->path, "/checkpoint"))
            ck = fake_get(&srv, i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
    CU_ASSERT_PTR_NOT_NULL(strstr(ck->path, "arn%3Aaws%3Alambda%3Aus-west-2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(fake_header_of(ck, "Authorization"), "/us-west-2/lambda/"));
    CU_ASSERT_PTR_NOT_NULL(strstr(ck->body, "\"Payload\":\"\\\"Hello, World!\\\"\""));

    const fake_req *r = find("/2018-06-01/runtime/invocation/req-1/response");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(r->body, "{\"Status\":\"SUCCEEDED\",\"Result\":\"\\\"Hello, World!\\\"\"}");
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "Content-Type"), "application/json");
    /* The Runtime API is not signed. */
    CU_ASSERT_PTR_NULL(fake_header_of(find(NEXT), "Authorization"));
    CU_ASSERT_PTR_NULL(find("/2018-06-01/runtime/invocation/req-1/error"));
}

static void test_failed_output_is_a_response(void)
{
    script sc = {{EVENT}, {"req-f"}, 0, false, "X-Nothing: 1"};
    fake_respond_with(&srv, respond, &sc);
    seen s = {0};
    s.fail = true;
    durable_lambda_options o = options(1);
    CU_ASSERT_EQUAL_FATAL(durable_lambda_run(handler, &s, &o), 0);
    /* No deadline header: no deadline. */
    CU_ASSERT_EQUAL(s.remaining, INT64_MAX);
    const fake_req *r = find("/2018-06-01/runtime/invocation/req-f/response");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    cJSON *body = cJSON_Parse(r->body);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(body, "Status")->valuestring, "FAILED");
    const cJSON *e = cJSON_GetObjectItem(body, "Error");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(e, "ErrorType")->valuestring, "GreetError");
    cJSON_Delete(body);
}

static void check_error_post(const char *id, const char *type, const char *message_part)
{
    char path[128];
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/error", id);
    const fake_req *r = find(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "Lambda-Runtime-Function-Error-Type"), type);
    cJSON *body = cJSON_Parse(r->body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(body, "errorType")->valuestring, type);
    const char *msg = cJSON_GetObjectItem(body, "errorMessage")->valuestring;
    if (!strstr(msg, message_part))
        fprintf(stderr, "error message: %s\n", msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, message_part));
    CU_ASSERT_TRUE(cJSON_IsArray(cJSON_GetObjectItem(body, "stackTrace")));
    cJSON_Delete(body);
}

static void test_non_durable_event(void)
{
    script sc = {{"{\"hello\":\"world\"}", "this is not json", "[1,2]"},
                 {"req-a", "req-b", "req-c"}, 0, false, "X-Nothing: 1"};
    fake_respond_with(&srv, respond, &sc);
    seen s = {0};
    durable_lambda_options o = options(3);
    /* The Runtime API never goes through a proxy of the environment. */
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    int rc = durable_lambda_run(handler, &s, &o);
    unsetenv("http_proxy");
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(s.calls, 0);
    check_error_post("req-a", "InvalidDurableExecutionInput", "Unexpected payload provided");
    check_error_post("req-b", "InvalidDurableExecutionInput", "not JSON");
    check_error_post("req-c", "InvalidDurableExecutionInput", "not a JSON object");
    CU_ASSERT_EQUAL(count_containing("/response"), 0);
    CU_ASSERT_EQUAL(count_containing("/checkpoint"), 0);
}

/* A refused post (the sandbox no longer runs that invocation) is logged and
 * the loop goes on to the next event. */
static void test_refused_post_keeps_looping(void)
{
    script sc = {{"{\"a\":1}", "{\"b\":2}"}, {"req-x", "req-y"}, 0, false, "X-Nothing: 1",
                 "/2018-06-01/runtime/invocation/req-x/error"};
    fake_respond_with(&srv, respond, &sc);
    durable_lambda_options o = options(2);
    CU_ASSERT_EQUAL(durable_lambda_run(handler, NULL, &o), 0);
    CU_ASSERT_PTR_NOT_NULL(find("/2018-06-01/runtime/invocation/req-x/error"));
    check_error_post("req-y", "InvalidDurableExecutionInput", "Unexpected payload provided");
}

static void test_stale_token_is_an_invocation_error(void)
{
    script sc = {{EVENT}, {"req-s"}, 0, true, "X-Nothing: 1"};
    fake_respond_with(&srv, respond, &sc);
    seen s = {0};
    durable_lambda_options o = options(1);
    CU_ASSERT_EQUAL_FATAL(durable_lambda_run(handler, &s, &o), 0);
    CU_ASSERT_EQUAL(s.calls, 1);
    check_error_post("req-s", "CheckpointUnrecoverableInvocationError", "Invalid Checkpoint Token");
    /* Not retried by the client: a 400 is final. */
    CU_ASSERT_EQUAL(count_containing("/checkpoint"), 1);
    CU_ASSERT_EQUAL(count_containing("/response"), 0);
}

static void test_init_failure(void)
{
    script sc = {{EVENT}, {"req-i"}, 0, false, "X-Nothing: 1"};
    fake_respond_with(&srv, respond, &sc);
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    durable_lambda_options o = options(1);
    o.aws.region = NULL;
    seen s = {0};
    CU_ASSERT_EQUAL(durable_lambda_run(handler, &s, &o), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(s.calls, 0);
    const fake_req *r = find("/2018-06-01/runtime/init/error");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "Lambda-Runtime-Function-Error-Type"),
                           "Runtime.InitError");
    CU_ASSERT_PTR_NOT_NULL(strstr(r->body, "AWS_REGION"));
    CU_ASSERT_PTR_NULL(find(NEXT));
    /* A NULL handler is an init failure too. */
    o = options(1);
    CU_ASSERT_EQUAL(durable_lambda_run(NULL, NULL, &o), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(count_containing("/init/error"), 2);
}

static void test_runtime_api_missing_or_gone(void)
{
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    durable_lambda_options o = options(1);
    o.runtime_api = NULL;
    CU_ASSERT_EQUAL(durable_lambda_run(handler, NULL, &o), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "AWS_LAMBDA_RUNTIME_API"));

    /* From the environment, but nothing listens there. */
    fake other;
    fake_start(&other);
    char api[64];
    snprintf(api, sizeof api, "%s", other.url + strlen("http://"));
    fake_stop(&other);
    setenv("AWS_LAMBDA_RUNTIME_API", api, 1);
    CU_ASSERT_EQUAL(durable_lambda_run(handler, NULL, &o), DURABLE_EIO);
    unsetenv("AWS_LAMBDA_RUNTIME_API");
    CU_ASSERT_EQUAL(fake_count(&srv), 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite_with_setup_and_teardown("aws_lambda", NULL, NULL, setup, teardown);
    DT_ADD(s, test_durable_invocation);
    DT_ADD(s, test_failed_output_is_a_response);
    DT_ADD(s, test_non_durable_event);
    DT_ADD(s, test_refused_post_keeps_looping);
    DT_ADD(s, test_stale_token_is_an_invocation_error);
    DT_ADD(s, test_init_failure);
    DT_ADD(s, test_runtime_api_missing_or_gone);
    return dt_run();
}
