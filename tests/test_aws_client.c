/* The HTTP client of the Lambda API against a scripted fake server: exact
 * paths and percent-encoding, headers, SigV4 (botocore's vectors and a
 * re-check of every signed request), ClientToken reuse on retries, the
 * retry classes, the error mapping, keep-alive, the environment, and the
 * runners' routes. */
#include <stdlib.h>
#include <string.h>

#include "durable/aws.h"
#include "aws/aws_internal.h"
#include "support/testutil.h"
#include "test_aws_fake.h"
#include "model/uri.h"

#define ARN "arn:aws:lambda:us-west-2:123456789012:function:StepBasic:$LATEST/durable-execution/n-1/exec-1"
#define ARN_PCT                                                                                 \
    "arn%3Aaws%3Alambda%3Aus-west-2%3A123456789012%3Afunction%3AStepBasic%3A%24LATEST%2F"     \
    "durable-execution%2Fn-1%2Fexec-1"
#define KEY "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static fake srv;

static durable_aws_client *new_client(const char *token, int max_attempts)
{
    durable_aws_options o = DURABLE_AWS_OPTIONS_INIT;
    o.region = "us-west-2";
    o.endpoint = srv.url;
    o.access_key_id = KEY;
    o.secret_access_key = SECRET;
    o.session_token = token;
    o.max_attempts = max_attempts;
    o.backoff_initial_ms = 1;
    o.backoff_max_ms = 4;
    durable_aws_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&c, &o), 0);
    return c;
}

static void setup(void)
{
    fake_start(&srv);
}

static void teardown(void)
{
    fake_stop(&srv);
}

/* Recompute the signature of a recorded request from what arrived (method,
 * Host, raw path and query, the headers named in SignedHeaders, the body)
 * and compare: what was signed is exactly what was sent. */
static void check_signature(const fake_req *r, const char *token)
{
    const char *auth = fake_header_of(r, "Authorization");
    const char *date = fake_header_of(r, "X-Amz-Date");
    CU_ASSERT_PTR_NOT_NULL_FATAL(auth);
    CU_ASSERT_PTR_NOT_NULL_FATAL(date);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "AWS4-HMAC-SHA256 Credential=" KEY "/%.8s/us-west-2/lambda/"
                                    "aws4_request, SignedHeaders=", date);
    CU_ASSERT_EQUAL_FATAL(strncmp(auth, prefix, strlen(prefix)), 0);
    const char *sh = auth + strlen(prefix);
    size_t sh_len = strcspn(sh, ",");
    char names[256];
    snprintf(names, sizeof names, "%.*s", (int)sh_len, sh);
    durable__aws_header hs[12];
    size_t n = 0;
    for (char *save = NULL, *name = strtok_r(names, ";", &save); name && n < 12;
         name = strtok_r(NULL, ";", &save)) {
        if (!strcmp(name, "host"))
            continue;
        hs[n].name = name;
        hs[n].value = fake_header_of(r, name);
        CU_ASSERT_PTR_NOT_NULL(hs[n].value);
        if (!hs[n].value)
            return;
        n++;
    }
    if (token) {
        CU_ASSERT_STRING_EQUAL(fake_header_of(r, "x-amz-security-token"), token);
        CU_ASSERT_PTR_NOT_NULL(strstr(auth, "x-amz-security-token"));
    } else {
        CU_ASSERT_PTR_NULL(fake_header_of(r, "x-amz-security-token"));
    }
    durable__aws_sign_input in = {r->method, fake_header_of(r, "Host"), r->path, r->query, hs, n,
                                  r->body, r->body_len, date, "us-west-2", "lambda", KEY, SECRET};
    char *expect = durable__aws_sigv4(&in);
    CU_ASSERT_STRING_EQUAL(auth, expect);
    durable_free(expect);
}

/* ---- SigV4 and encoding -------------------------------------------------------------- */

/* Signatures botocore 1.43.11 (SigV4Auth) computed for the same requests. */
static void test_sigv4_botocore_vectors(void)
{
    durable__aws_header h1[] = {{"X-Amz-Date", "20261206T223142Z"}};
    durable__aws_sign_input get = {
        "GET", "127.0.0.1:9871",
        "/2025-12-01/durable-executions/arn%3Aaws%3Alambda%3Aus-west-2%3A1%3Afunction%3Af%3A%24"
        "LATEST%2Fdurable-execution%2Fn%2Fid/state",
        /* sent unsorted: the signature sorts */
        "MaxItems=1000&CheckpointToken=ab%2Fc%2B%3D&Marker=x", h1, 1, NULL, 0, "20261206T223142Z",
        "us-west-2", "lambda", KEY, SECRET};
    char *a = durable__aws_sigv4(&get);
    CU_ASSERT_STRING_EQUAL(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/us-west-2/lambda/"
                              "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                              "23493a6872e94ec6a6544e8536117a8fdba8b04c3ae7b4c3ec2f1ecaee1f6974");
    durable_free(a);

    durable__aws_header h2[] = {{"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE/+="},
                                {"Content-Type", "application/octet-stream"},
                                {"X-Amz-Date", "20261206T223142Z"}};
    durable__aws_sign_input post = {
        "POST", "lambda.us-east-1.amazonaws.com",
        "/2025-12-01/durable-execution-callbacks/YWJj%2B%2F%3D%3D/succeed", NULL, h2, 3,
        "{\"ok\":1}", 8, "20261206T223142Z", "us-east-1", "lambda", KEY, SECRET};
    a = durable__aws_sigv4(&post);
    CU_ASSERT_STRING_EQUAL(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/us-east-1/lambda/"
                              "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                              "x-amz-security-token, Signature="
                              "2a6949a47e7bed5fe51d7361974d22f4c48a72d15311f84f5476516d6e5079c1");
    durable_free(a);
}

static void test_percent_encoding(void)
{
    durable__strbuf b = {0};
    const char *s = "arn:aws:x/$LATEST/a+b=c ~._-Zz09\xc3\xa9";
    durable__uri_encode(&b, s, strlen(s), false);
    char *got = durable__strbuf_take(&b);
    CU_ASSERT_STRING_EQUAL(got, "arn%3Aaws%3Ax%2F%24LATEST%2Fa%2Bb%3Dc%20~._-Zz09%C3%A9");
    durable_free(got);
    char *p = durable__aws_path("/x/", "a/b", "/y");
    CU_ASSERT_STRING_EQUAL(p, "/x/a%2Fb/y");
    durable_free(p);
}

/* Property (seeded, 200 cases): the encoding of random bytes holds only
 * unreserved characters and upper-case %XX escapes, and decodes back to the
 * input; and the signature does not depend on the order of the query
 * pairs (it canonicalizes by sorting). */
static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

static void test_encoding_and_query_order_property(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed);
    for (int k = 0; k < 200; k++) {
        char in[64];
        size_t n = (size_t)dt_rng_below(&rng, sizeof in);
        for (size_t i = 0; i < n; i++)
            in[i] = (char)(1 + dt_rng_below(&rng, 255));
        durable__strbuf b = {0};
        durable__uri_encode(&b, in, n, false);
        char *enc = durable__strbuf_take(&b);
        char out[64];
        size_t m = 0;
        bool ok = enc != NULL;
        for (const char *p = enc; ok && *p; p++) {
            if (*p == '%') {
                int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
                ok = lo >= 0 && m < sizeof out;
                if (ok)
                    out[m++] = (char)(hi * 16 + lo);
                p += 2;
            } else {
                ok = strchr("-._~", *p) || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9');
                if (ok && m < sizeof out)
                    out[m++] = *p;
            }
        }
        DT_PROP(ok && m == n && memcmp(in, out, n) == 0, seed, k);
        durable_free(enc);

        /* Up to 6 pairs (keys may repeat), signed in two orders. */
        const char *keys[] = {"Marker", "MaxItems", "Statuses", "Qualifier", "A", "a"};
        char pairs[6][32];
        size_t np = 1 + (size_t)dt_rng_below(&rng, 6);
        for (size_t i = 0; i < np; i++)
            snprintf(pairs[i], sizeof pairs[i], "%s=v%u", keys[dt_rng_below(&rng, 6)],
                     (unsigned)dt_rng_below(&rng, 3));
        char q1[256] = "", q2[256] = "";
        size_t order[6];
        for (size_t i = 0; i < np; i++)
            order[i] = i;
        for (size_t i = np; i > 1; i--) {
            size_t j = (size_t)dt_rng_below(&rng, i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < np; i++) {
            strcat(q1, i ? "&" : "");
            strcat(q1, pairs[i]);
            strcat(q2, i ? "&" : "");
            strcat(q2, pairs[order[i]]);
        }
        durable__aws_header h[] = {{"X-Amz-Date", "20261206T223142Z"}};
        durable__aws_sign_input in1 = {"GET", "h", "/p", q1, h, 1, NULL, 0, "20261206T223142Z",
                                       "us-west-2", "lambda", KEY, SECRET};
        durable__aws_sign_input in2 = in1;
        in2.query = q2;
        char *s1 = durable__aws_sigv4(&in1), *s2 = durable__aws_sigv4(&in2);
        DT_PROP(s1 && s2 && !strcmp(s1, s2), seed, k);
        durable_free(s1);
        durable_free(s2);
    }
}

/* ---- environment ------------------------------------------------------------------------ */

static void clear_env(void)
{
    const char *names[] = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                           "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                           "AWS_ENDPOINT_URL_LAMBDA", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

static void test_environment(void)
{
    clear_env();
    durable_aws_client *c = NULL;
    CU_ASSERT_EQUAL(durable_aws_client_new(&c, NULL), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "AWS_REGION"));
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    CU_ASSERT_EQUAL(durable_aws_client_new(&c, NULL), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "AWS_ACCESS_KEY_ID"));
    setenv("AWS_ACCESS_KEY_ID", KEY, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&c, NULL), 0);
    CU_ASSERT_STRING_EQUAL(durable_aws_client_region(c), "eu-west-1");
    CU_ASSERT_STRING_EQUAL(durable_aws_client_endpoint(c), "https://lambda.eu-west-1.amazonaws.com");
    durable_aws_client_free(c);

    setenv("AWS_REGION", "us-west-2", 1);
    setenv("AWS_ENDPOINT_URL", "http://global.example:81/", 1);
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&c, NULL), 0);
    CU_ASSERT_STRING_EQUAL(durable_aws_client_region(c), "us-west-2");
    CU_ASSERT_STRING_EQUAL(durable_aws_client_endpoint(c), "http://global.example:81");
    durable_aws_client_free(c);

    setenv("AWS_ENDPOINT_URL_LAMBDA", srv.url, 1);
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&c, NULL), 0);
    CU_ASSERT_STRING_EQUAL(durable_aws_client_endpoint(c), srv.url);
    durable_aws_client_free(c);

    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&c, NULL), 0);
    CU_ASSERT_STRING_EQUAL(durable_aws_client_endpoint(c), "https://lambda.us-west-2.amazonaws.com");
    durable_aws_client_free(c);
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

    /* Options win over the environment; a session token from the
     * environment rides with the environment's keys only. */
    setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
    durable_aws_options o = DURABLE_AWS_OPTIONS_INIT;
    o.region = "ap-south-1";
    o.endpoint = "http://127.0.0.1:1/base/";
    CU_ASSERT_EQUAL(durable_aws_client_new(&c, &o), 0);
    CU_ASSERT_STRING_EQUAL(durable_aws_client_region(c), "ap-south-1");
    CU_ASSERT_STRING_EQUAL(durable_aws_client_endpoint(c), "http://127.0.0.1:1/base");
    CU_ASSERT_STRING_EQUAL(c->session_token, "ENVTOKEN");
    durable_aws_client_free(c);
    o.access_key_id = "OTHER";
    o.secret_access_key = "s";
    CU_ASSERT_EQUAL(durable_aws_client_new(&c, &o), 0);
    CU_ASSERT_PTR_NULL(c->session_token);
    durable_aws_client_free(c);

    o.endpoint = "ftp://example.com";
    CU_ASSERT_EQUAL(durable_aws_client_new(&c, &o), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    clear_env();
}

/* ---- the SDK's routes ------------------------------------------------------------------- */

static void test_checkpoint_request_and_response(void)
{
    fake_script(&srv, (fake_reply){200,
                                   "{\"CheckpointToken\":\"eDRvQQ==\",\"NewExecutionState\":{"
                                   "\"Operations\":[{\"Id\":\"c4ca4238a0b92382\",\"Type\":\"STEP\","
                                   "\"Name\":\"greet\",\"SubType\":\"Step\",\"Status\":"
                                   "\"SUCCEEDED\",\"StartTimestamp\":1796590810.13,"
                                   "\"EndTimestamp\":1796590810.131,\"StepDetails\":{\"Attempt\":1,"
                                   "\"Result\":\"\\\"hi\\\"\"}}]}}",
                                   {"Content-Type: application/json"}});
    durable_aws_client *c = new_client("SESSION/TOKEN+=", 3);
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.id = "c4ca4238a0b92382";
    u.type = DURABLE_OP_STEP;
    u.action = DURABLE_ACTION_SUCCEED;
    u.name = "greet";
    u.subtype = "Step";
    u.payload = "\"hi\"";
    durable_checkpoint_request req = {ARN, "SGEzM2g=", &u, 1, NULL};
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_checkpoint(c, &resp, &req), 0);
    CU_ASSERT_STRING_EQUAL(resp.checkpoint_token, "eDRvQQ==");
    CU_ASSERT_EQUAL_FATAL(resp.operations.count, 1);
    CU_ASSERT_EQUAL(resp.operations.items[0].start_timestamp, 1796590810130);
    CU_ASSERT_EQUAL(resp.operations.items[0].end_timestamp, 1796590810131);
    CU_ASSERT_STRING_EQUAL(resp.operations.items[0].result, "\"hi\"");
    durable_checkpoint_response_clear(&resp);

    CU_ASSERT_EQUAL_FATAL(fake_count(&srv), 1);
    const fake_req *r = fake_get(&srv, 0);
    CU_ASSERT_STRING_EQUAL(r->method, "POST");
    CU_ASSERT_STRING_EQUAL(r->path, "/2025-12-01/durable-executions/" ARN_PCT "/checkpoint");
    CU_ASSERT_STRING_EQUAL(r->query, "");
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "Content-Type"), "application/json");
    CU_ASSERT_PTR_NULL(fake_header_of(r, "Expect"));
    check_signature(r, "SESSION/TOKEN+=");
    cJSON *body = cJSON_Parse(r->body);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(body, "CheckpointToken")->valuestring, "SGEzM2g=");
    const cJSON *ct = cJSON_GetObjectItem(body, "ClientToken");
    CU_ASSERT_TRUE(cJSON_IsString(ct) && strlen(ct->valuestring) == 36);
    const cJSON *up = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "Updates"), 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(up, "Action")->valuestring, "SUCCEED");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(up, "Payload")->valuestring, "\"hi\"");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(body, "DurableExecutionArn"));
    cJSON_Delete(body);

    /* A caller's own ClientToken is sent as is. */
    req.client_token = "my-token-1";
    CU_ASSERT_EQUAL(durable_aws_checkpoint(c, &resp, &req), 0);
    durable_checkpoint_response_clear(&resp);
    CU_ASSERT_PTR_NOT_NULL(strstr(fake_get(&srv, 1)->body, "\"ClientToken\":\"my-token-1\""));
    durable_aws_client_free(c);
}

static void test_state_query(void)
{
    fake_script(&srv, (fake_reply){200, "{\"Operations\":[{\"Id\":\"exec-1\",\"Type\":"
                                        "\"EXECUTION\",\"Status\":\"STARTED\",\"StartTimestamp\":"
                                        "1796590809.067}],\"NextMarker\":\"page-3\"}"});
    durable_aws_client *c = new_client(NULL, 3);
    durable_state_request req = {ARN, "ab/c+=", "page-2", 1000};
    durable_state_response resp = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_get_state(c, &resp, &req), 0);
    CU_ASSERT_EQUAL(resp.operations.count, 1);
    CU_ASSERT_EQUAL(resp.operations.items[0].start_timestamp, 1796590809067);
    CU_ASSERT_STRING_EQUAL(resp.next_marker, "page-3");
    durable_state_response_clear(&resp);
    const fake_req *r = fake_get(&srv, 0);
    CU_ASSERT_STRING_EQUAL(r->method, "GET");
    CU_ASSERT_STRING_EQUAL(r->path, "/2025-12-01/durable-executions/" ARN_PCT "/state");
    CU_ASSERT_STRING_EQUAL(r->query, "CheckpointToken=ab%2Fc%2B%3D&Marker=page-2&MaxItems=1000");
    CU_ASSERT_PTR_NULL(fake_header_of(r, "Content-Type"));
    check_signature(r, NULL);
    durable_aws_client_free(c);
}

static void test_callbacks(void)
{
    durable_aws_client *c = new_client(NULL, 3);
    const char *id = "YWJj+/==";
    CU_ASSERT_EQUAL(durable_aws_callback_success(c, id, "{\"ok\":1}", 8), 0);
    durable_error_object *e = NULL;
    durable_error_object_new(&e, "MyErr", "boom", "{\"a\":1}");
    CU_ASSERT_EQUAL(durable_aws_callback_failure(c, id, e), 0);
    durable_error_object_free(e);
    CU_ASSERT_EQUAL(durable_aws_callback_failure(c, id, NULL), 0);
    CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(c, id), 0);
    CU_ASSERT_EQUAL(durable_aws_callback_success(c, id, NULL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(fake_count(&srv), 5);
    const char *base = "/2025-12-01/durable-execution-callbacks/YWJj%2B%2F%3D%3D/";
    const fake_req *r = fake_get(&srv, 0);
    CU_ASSERT_TRUE(!strncmp(r->path, base, strlen(base)) && !strcmp(r->path + strlen(base), "succeed"));
    CU_ASSERT_STRING_EQUAL(r->body, "{\"ok\":1}");
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "Content-Type"), "application/octet-stream");
    check_signature(r, NULL);
    r = fake_get(&srv, 1);
    CU_ASSERT_STRING_EQUAL(r->path + strlen(base), "fail");
    cJSON *body = cJSON_Parse(r->body);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(body, "ErrorType")->valuestring, "MyErr");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(body, "ErrorData")->valuestring, "{\"a\":1}");
    cJSON_Delete(body);
    CU_ASSERT_STRING_EQUAL(fake_get(&srv, 2)->body, "{}");
    r = fake_get(&srv, 3);
    CU_ASSERT_STRING_EQUAL(r->path + strlen(base), "heartbeat");
    CU_ASSERT_EQUAL(r->body_len, 0);
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "Content-Length"), "0");
    CU_ASSERT_PTR_NULL(fake_header_of(r, "Content-Type"));
    check_signature(r, NULL);
    CU_ASSERT_EQUAL(fake_get(&srv, 4)->body_len, 0);

    /* Through the SDK's seam. */
    durable_client *seam = durable_aws_client_durable(c);
    CU_ASSERT_EQUAL(durable_client_callback_heartbeat(seam, "aWQ="), 0);
    CU_ASSERT_STRING_EQUAL(fake_get(&srv, 5)->path,
                           "/2025-12-01/durable-execution-callbacks/aWQ%3D/heartbeat");
    durable_aws_client_free(c);
}

/* ---- retries ------------------------------------------------------------------------------- */

static void test_retries_reuse_client_token(void)
{
    fake_script(&srv, (fake_reply){500, "{\"__type\":\"ServiceException\",\"message\":\"x\"}",
                                   {"X-Amzn-ErrorType: ServiceException"}});
    fake_script(&srv, (fake_reply){429, "{\"message\":\"slow down\"}",
                                   {"X-Amzn-ErrorType: TooManyRequestsException"}});
    fake_script(&srv, (fake_reply){0});
    fake_script(&srv, (fake_reply){200, "{\"CheckpointToken\":\"dDI=\",\"NewExecutionState\":"
                                        "{\"Operations\":[]}}"});
    durable_aws_client *c = new_client(NULL, 4);
    durable_checkpoint_request req = {ARN, "dDE=", NULL, 0, NULL};
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_checkpoint(c, &resp, &req), 0);
    CU_ASSERT_STRING_EQUAL(resp.checkpoint_token, "dDI=");
    durable_checkpoint_response_clear(&resp);
    CU_ASSERT_EQUAL(durable_aws_error_last()->code, 0);
    CU_ASSERT_EQUAL_FATAL(fake_count(&srv), 4);
    /* Same body (so same ClientToken) on every try, each signed anew. */
    for (size_t i = 1; i < 4; i++)
        CU_ASSERT_STRING_EQUAL(fake_get(&srv, i)->body, fake_get(&srv, 0)->body);
    for (size_t i = 0; i < 4; i++)
        check_signature(fake_get(&srv, i), NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(fake_get(&srv, 0)->body, "\"ClientToken\":\""));
    durable_aws_client_free(c);
}

static void test_retries_exhausted(void)
{
    for (int i = 0; i < 3; i++)
        fake_script(&srv, (fake_reply){503, "{\"__type\":\"ServiceException\",\"Type\":\"Server\","
                                            "\"message\":\"engine down\"}",
                                       {"X-Amzn-ErrorType: ServiceException",
                                        "x-amzn-RequestId: rid-9"}});
    durable_aws_client *c = new_client(NULL, 3);
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL(durable_aws_get_execution(c, &info, ARN), DURABLE_ETHROTTLED);
    CU_ASSERT_EQUAL(fake_count(&srv), 3);
    const durable_aws_error *e = durable_aws_error_last();
    CU_ASSERT_EQUAL(e->code, DURABLE_ETHROTTLED);
    CU_ASSERT_EQUAL(e->http_status, 503);
    CU_ASSERT_STRING_EQUAL(e->type, "ServiceException");
    CU_ASSERT_STRING_EQUAL(e->message, "engine down");
    CU_ASSERT_STRING_EQUAL(e->request_id, "rid-9");
    CU_ASSERT_EQUAL(e->attempts, 3);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ETHROTTLED);
    durable_aws_client_free(c);
}

static void test_network_failure(void)
{
    /* A port nothing listens on: the fake's, once stopped. */
    fake other;
    fake_start(&other);
    char url[64];
    snprintf(url, sizeof url, "%s", other.url);
    fake_stop(&other);
    durable_aws_options o = DURABLE_AWS_OPTIONS_INIT;
    o.region = "us-west-2";
    o.endpoint = url;
    o.access_key_id = KEY;
    o.secret_access_key = SECRET;
    o.backoff_initial_ms = 1;
    durable_aws_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_aws_client_new(&c, &o), 0);
    CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(c, "aWQ="), DURABLE_ETHROTTLED);
    const durable_aws_error *e = durable_aws_error_last();
    CU_ASSERT_EQUAL(e->http_status, 0);
    CU_ASSERT_EQUAL(e->attempts, 3);
    CU_ASSERT_STRING_EQUAL(e->type, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "SendDurableExecutionCallbackHeartbeat"));
    durable_aws_client_free(c);
}

/* A sync Invoke that may have reached the service is not sent twice. */
static void test_invoke_retries(void)
{
    fake_script(&srv, (fake_reply){0});
    durable_aws_client *c = new_client(NULL, 3);
    durable_aws_invoke_request req = DURABLE_AWS_INVOKE_REQUEST_INIT;
    req.function_name = "StepBasic";
    req.payload = "\"World\"";
    req.payload_len = 7;
    durable_aws_invoke_response resp = {0};
    CU_ASSERT_EQUAL(durable_aws_invoke(c, &resp, &req), DURABLE_ETHROTTLED);
    CU_ASSERT_EQUAL(fake_count(&srv), 1);
    /* A 500 is an answer: nothing started, so it is retried. */
    fake_script(&srv, (fake_reply){500, "{}", {"X-Amzn-ErrorType: ServiceException"}});
    fake_script(&srv, (fake_reply){200, "\"Hello, World!\"",
                                   {"X-Amz-Durable-Execution-Arn: " ARN,
                                    "X-Amz-Executed-Version: $LATEST",
                                    "x-amzn-RequestId: r-1"}});
    CU_ASSERT_EQUAL_FATAL(durable_aws_invoke(c, &resp, &req), 0);
    CU_ASSERT_EQUAL(fake_count(&srv), 3);
    CU_ASSERT_EQUAL(resp.status_code, 200);
    CU_ASSERT_STRING_EQUAL(resp.payload, "\"Hello, World!\"");
    CU_ASSERT_EQUAL(resp.payload_len, 15);
    CU_ASSERT_STRING_EQUAL(resp.durable_execution_arn, ARN);
    CU_ASSERT_STRING_EQUAL(resp.executed_version, "$LATEST");
    CU_ASSERT_STRING_EQUAL(resp.request_id, "r-1");
    CU_ASSERT_PTR_NULL(resp.function_error);
    durable_aws_invoke_response_clear(&resp);
    const fake_req *r = fake_get(&srv, 2);
    CU_ASSERT_STRING_EQUAL(r->path, "/2015-03-31/functions/StepBasic/invocations");
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "X-Amz-Invocation-Type"), "RequestResponse");
    CU_ASSERT_STRING_EQUAL(r->body, "\"World\"");
    check_signature(r, NULL);
    durable_aws_client_free(c);
}

/* ---- errors -------------------------------------------------------------------------------- */

typedef struct error_case {
    fake_reply reply;
    int code;
    const char *type;
    const char *message;
} error_case;

static void test_error_mapping(void)
{
    const error_case cases[] = {
        {{404, "{\"__type\":\"ResourceNotFoundException\",\"Type\":\"User\",\"message\":"
               "\"Durable execution not found: x\"}",
          {"X-Amzn-ErrorType: ResourceNotFoundException", "Content-Type: application/json"}},
         DURABLE_ENOTFOUND, "ResourceNotFoundException", "Durable execution not found: x"},
        {{400, "{\"__type\":\"InvalidParameterValueException\",\"message\":"
               "\"Invalid Checkpoint Token\"}",
          {"X-Amzn-ErrorType: InvalidParameterValueException"}},
         DURABLE_ETOKEN, "InvalidParameterValueException", "Invalid Checkpoint Token"},
        /* The SDKs match the prefix case-sensitively: this is a rejection. */
        {{400, "{\"message\":\"Invalid checkpoint token\"}",
          {"X-Amzn-ErrorType: InvalidParameterValueException"}},
         DURABLE_EINVAL, "InvalidParameterValueException", "Invalid checkpoint token"},
        {{400, "{\"message\":\"Updates[0].Id: must be 1 to 64 characters\"}",
          {"X-Amzn-ErrorType: InvalidParameterValueException:http://internal.example/"}},
         DURABLE_EINVAL, "InvalidParameterValueException",
         "Updates[0].Id: must be 1 to 64 characters"},
        /* No header: __type (namespace dropped), then code. */
        {{400, "{\"__type\":\"com.amazonaws.lambda#CallbackTimeoutException\",\"Message\":"
               "\"Callback timed out.\"}"},
         DURABLE_ECALLBACK_TIMEOUT, "CallbackTimeoutException", "Callback timed out."},
        {{400, "{\"code\":\"InvalidParameterValueException\",\"message\":"
               "\"Callback has already been completed.\"}"},
         DURABLE_ECALLBACK_DONE, "InvalidParameterValueException",
         "Callback has already been completed."},
        {{400, "{\"message\":\"callback x of y is STARTED: Execution is not running.\"}",
          {"X-Amzn-ErrorType: InvalidParameterValueException"}},
         DURABLE_ECLOSED, "InvalidParameterValueException",
         "callback x of y is STARTED: Execution is not running."},
        {{400, "{\"message\":\"Invalid marker\"}",
          {"X-Amzn-ErrorType: InvalidParameterValueException"}},
         DURABLE_EMARKER, "InvalidParameterValueException", "Invalid marker"},
        {{409, "{\"message\":\"exists\"}",
          {"X-Amzn-ErrorType: DurableExecutionAlreadyStartedException"}},
         DURABLE_EEXISTS, "DurableExecutionAlreadyStartedException", "exists"},
        {{403, "{\"message\":\"The request signature we calculated does not match\"}",
          {"X-Amzn-ErrorType: InvalidSignatureException"}},
         DURABLE_EACCESS, "InvalidSignatureException",
         "The request signature we calculated does not match"},
        {{404, "not json"}, DURABLE_ENOTFOUND, "", NULL},
    };
    durable_aws_client *c = new_client(NULL, 3);
    size_t sent = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_script(&srv, cases[i].reply);
        durable_state_request req = {ARN, "dA==", NULL, 0};
        durable_state_response resp = {0};
        int rc = durable_aws_get_state(c, &resp, &req);
        const durable_aws_error *e = durable_aws_error_last();
        if (rc != cases[i].code)
            fprintf(stderr, "case %zu: rc %d, want %d (%s)\n", i, rc, cases[i].code, e->message);
        CU_ASSERT_EQUAL(rc, cases[i].code);
        CU_ASSERT_EQUAL(e->code, cases[i].code);
        CU_ASSERT_EQUAL(e->http_status, cases[i].reply.status);
        CU_ASSERT_STRING_EQUAL(e->type, cases[i].type);
        CU_ASSERT_EQUAL(e->attempts, 1);
        if (cases[i].message) {
            CU_ASSERT_STRING_EQUAL(e->message, cases[i].message);
            CU_ASSERT_STRING_EQUAL(durable_error_last()->message, cases[i].message);
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "HTTP 404"));
        }
        /* A 4xx is final: one request per case. */
        sent++;
        CU_ASSERT_EQUAL(fake_count(&srv), sent);
    }
    /* A 2xx whose body is not the route's JSON. */
    fake_script(&srv, (fake_reply){200, "[1,2"});
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL(durable_aws_get_execution(c, &info, ARN), DURABLE_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "GetDurableExecution"));
    durable_aws_client_free(c);
}

/* ---- keep-alive, deadline, threads --------------------------------------------------------- */

static void test_keep_alive(void)
{
    durable_aws_client *c = new_client(NULL, 3);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(c, "aWQ="), 0);
    durable_execution_info info = {0};
    fake_script(&srv, (fake_reply){200, "{\"DurableExecutionArn\":\"" ARN "\",\"Status\":"
                                        "\"RUNNING\",\"StartTimestamp\":1796590809.067}"});
    CU_ASSERT_EQUAL(durable_aws_get_execution(c, &info, ARN), 0);
    durable_execution_info_clear(&info);
    CU_ASSERT_EQUAL(fake_count(&srv), 7);
    CU_ASSERT_EQUAL(fake_connections(&srv), 1);
    durable_aws_client_free(c);
}

static void test_deadline_caps_calls(void)
{
    fake_script(&srv, (fake_reply){200, "{}", {NULL}, 3000});
    durable_aws_client *c = new_client(NULL, 3);
    int64_t start = durable__aws_now_ms();
    durable_aws_client_set_deadline(c, start + 200);
    CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(c, "aWQ="), DURABLE_ETHROTTLED);
    int64_t took = durable__aws_now_ms() - start;
    CU_ASSERT_TRUE(took < 2500);
    /* No retry once the deadline is due. */
    CU_ASSERT_EQUAL(durable_aws_error_last()->attempts, 1);
    durable_aws_client_set_deadline(c, 0);
    durable_aws_client_free(c);
}

typedef struct worker {
    durable_aws_client *c;
    int failures;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 10; i++) {
        durable_state_request req = {ARN, "dA==", NULL, 0};
        durable_state_response resp = {0};
        if (durable_aws_get_state(w->c, &resp, &req) != 0)
            w->failures++;
        durable_state_response_clear(&resp);
    }
    return NULL;
}

static fake_reply state_reply(fake *f, const fake_req *req, void *user)
{
    (void)f;
    (void)req;
    (void)user;
    return (fake_reply){200, "{\"Operations\":[]}"};
}

static void test_threads_share_a_client(void)
{
    fake_respond_with(&srv, state_reply, NULL);
    durable_aws_client *c = new_client(NULL, 3);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, 0};
        pthread_create(&t[i], NULL, hammer, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
    }
    CU_ASSERT_EQUAL(fake_count(&srv), 40);
    /* At most one connection per concurrent caller. */
    CU_ASSERT_TRUE(fake_connections(&srv) <= 4);
    durable_aws_client_free(c);
}

/* ---- runners' routes ------------------------------------------------------------------------ */

static void test_execution_history_list_stop(void)
{
    durable_aws_client *c = new_client(NULL, 3);
    fake_script(&srv, (fake_reply){200, "{\"DurableExecutionArn\":\"" ARN "\","
                                        "\"DurableExecutionName\":\"n-1\",\"FunctionArn\":"
                                        "\"arn:aws:lambda:us-west-2:123456789012:function:"
                                        "StepBasic\",\"Status\":\"SUCCEEDED\",\"StartTimestamp\":"
                                        "1796590809.067,\"EndTimestamp\":1796590810.5,\"Result\":"
                                        "\"\\\"ok\\\"\",\"Version\":\"$LATEST\"}"});
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_get_execution(c, &info, ARN), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(info.start_timestamp, 1796590809067);
    CU_ASSERT_EQUAL(info.end_timestamp, 1796590810500);
    CU_ASSERT_STRING_EQUAL(info.result, "\"ok\"");
    durable_execution_info_clear(&info);
    CU_ASSERT_STRING_EQUAL(fake_get(&srv, 0)->path, "/2025-12-01/durable-executions/" ARN_PCT);

    fake_script(&srv, (fake_reply){200, "{\"Events\":[{\"EventType\":\"ExecutionStarted\","
                                        "\"EventId\":1,\"EventTimestamp\":1796590809.067,\"Id\":"
                                        "\"exec-1\",\"ExecutionStartedDetails\":{\"Input\":{"
                                        "\"Payload\":\"1\"}}}],\"NextMarker\":\"m+2\"}"});
    durable_history_request hreq = {ARN, true, 50, "m+1", false};
    durable_history_response hist = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_get_history(c, &hist, &hreq), 0);
    CU_ASSERT_EQUAL_FATAL(hist.count, 1);
    CU_ASSERT_EQUAL(hist.events[0].type, DURABLE_EVENT_EXECUTION_STARTED);
    CU_ASSERT_EQUAL(hist.events[0].timestamp, 1796590809067);
    CU_ASSERT_STRING_EQUAL(hist.next_marker, "m+2");
    durable_history_response_clear(&hist);
    const fake_req *r = fake_get(&srv, 1);
    CU_ASSERT_STRING_EQUAL(r->path, "/2025-12-01/durable-executions/" ARN_PCT "/history");
    CU_ASSERT_STRING_EQUAL(r->query, "IncludeExecutionData=true&MaxItems=50&Marker=m%2B1");
    check_signature(r, NULL);

    fake_script(&srv, (fake_reply){200, "{\"DurableExecutions\":[{\"DurableExecutionArn\":\"" ARN
                                        "\",\"DurableExecutionName\":\"n-1\",\"FunctionArn\":\"f\","
                                        "\"Status\":\"RUNNING\",\"StartTimestamp\":1796590809.067}"
                                        "]}"});
    durable_exec_status st[] = {DURABLE_EXEC_RUNNING, DURABLE_EXEC_SUCCEEDED};
    durable_list_request lreq = {0};
    lreq.function_name = "arn:aws:lambda:us-west-2:123456789012:function:StepBasic";
    lreq.qualifier = "$LATEST";
    lreq.statuses = st;
    lreq.status_count = 2;
    lreq.started_after = 1767225600000; /* 2026-01-01 */
    lreq.reverse_order = true;
    lreq.max_items = 10;
    durable_list_response list = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_list_executions(c, &list, &lreq), 0);
    CU_ASSERT_EQUAL_FATAL(list.count, 1);
    CU_ASSERT_EQUAL(list.executions[0].status, DURABLE_EXEC_RUNNING);
    durable_list_response_clear(&list);
    r = fake_get(&srv, 2);
    CU_ASSERT_STRING_EQUAL(r->path, "/2025-12-01/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A"
                                    "123456789012%3Afunction%3AStepBasic/durable-executions");
    CU_ASSERT_STRING_EQUAL(r->query, "Qualifier=%24LATEST&Statuses=RUNNING&Statuses=SUCCEEDED&"
                                     "StartedAfter=2026-01-01T00%3A00%3A00.000Z&ReverseOrder=true&"
                                     "MaxItems=10");
    check_signature(r, NULL);

    fake_script(&srv, (fake_reply){200, "{\"StopTimestamp\":1796590910.238}"});
    durable_error_object *e = NULL;
    durable_error_object_new(&e, "Stopped", "by test", NULL);
    durable_stop_response stop = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_stop(c, &stop, ARN, e), 0);
    durable_error_object_free(e);
    CU_ASSERT_EQUAL(stop.stop_timestamp, 1796590910238);
    r = fake_get(&srv, 3);
    CU_ASSERT_STRING_EQUAL(r->method, "POST");
    CU_ASSERT_STRING_EQUAL(r->path, "/2025-12-01/durable-executions/" ARN_PCT "/stop");
    CU_ASSERT_STRING_EQUAL(r->body, "{\"ErrorType\":\"Stopped\",\"ErrorMessage\":\"by test\"}");
    fake_script(&srv, (fake_reply){200, "{\"StopTimestamp\":1796590910.238}"});
    CU_ASSERT_EQUAL(durable_aws_stop(c, &stop, ARN, NULL), 0);
    CU_ASSERT_EQUAL(fake_get(&srv, 4)->body_len, 0);
    durable_aws_client_free(c);
}

static void test_invoke_event(void)
{
    fake_script(&srv, (fake_reply){202, "", {"X-Amz-Durable-Execution-Arn: " ARN}});
    durable_aws_client *c = new_client(NULL, 3);
    durable_aws_invoke_request req = DURABLE_AWS_INVOKE_REQUEST_INIT;
    req.function_name = "CallbackBasic";
    req.qualifier = "$LATEST";
    req.invocation_type = DURABLE_AWS_INVOKE_EVENT;
    req.durable_execution_name = "my-exec-1";
    req.payload = "\"jqt3dqutr1\"";
    req.payload_len = strlen(req.payload);
    durable_aws_invoke_response resp = {0};
    CU_ASSERT_EQUAL_FATAL(durable_aws_invoke(c, &resp, &req), 0);
    CU_ASSERT_EQUAL(resp.status_code, 202);
    CU_ASSERT_STRING_EQUAL(resp.payload, "");
    CU_ASSERT_STRING_EQUAL(resp.durable_execution_arn, ARN);
    durable_aws_invoke_response_clear(&resp);
    const fake_req *r = fake_get(&srv, 0);
    CU_ASSERT_STRING_EQUAL(r->path, "/2015-03-31/functions/CallbackBasic/invocations");
    CU_ASSERT_STRING_EQUAL(r->query, "Qualifier=%24LATEST");
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "X-Amz-Invocation-Type"), "Event");
    CU_ASSERT_STRING_EQUAL(fake_header_of(r, "X-Amz-Durable-Execution-Name"), "my-exec-1");
    check_signature(r, NULL);

    /* A failed execution: the ErrorObject is the payload, flagged. */
    fake_script(&srv, (fake_reply){200, "{\"ErrorType\":\"E\",\"ErrorMessage\":\"m\"}",
                                   {"X-Amz-Function-Error: Unhandled"}});
    req.invocation_type = DURABLE_AWS_INVOKE_REQUEST_RESPONSE;
    req.durable_execution_name = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_aws_invoke(c, &resp, &req), 0);
    CU_ASSERT_STRING_EQUAL(resp.function_error, "Unhandled");
    CU_ASSERT_PTR_NOT_NULL(strstr(resp.payload, "\"ErrorType\":\"E\""));
    durable_aws_invoke_response_clear(&resp);
    CU_ASSERT_PTR_NULL(fake_header_of(fake_get(&srv, 1), "X-Amz-Durable-Execution-Name"));
    durable_aws_client_free(c);
}

static void test_bad_arguments(void)
{
    durable_aws_client *c = new_client(NULL, 3);
    durable_state_response resp = {0};
    durable_state_request req = {NULL, "dA==", NULL, 0};
    CU_ASSERT_EQUAL(durable_aws_get_state(c, &resp, &req), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_aws_error_last()->code, DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_aws_callback_heartbeat(NULL, "x"), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_aws_get_execution(c, NULL, ARN), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(fake_count(&srv), 0);
    durable_aws_client_free(c);
    durable_aws_client_free(NULL);
}

int main(void)
{
    /* Every case gets a fresh fake server (setup/teardown). */
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite_with_setup_and_teardown("aws_client", NULL, NULL, setup, teardown);
    DT_ADD(s, test_sigv4_botocore_vectors);
    DT_ADD(s, test_percent_encoding);
    DT_ADD(s, test_encoding_and_query_order_property);
    DT_ADD(s, test_environment);
    DT_ADD(s, test_checkpoint_request_and_response);
    DT_ADD(s, test_state_query);
    DT_ADD(s, test_callbacks);
    DT_ADD(s, test_retries_reuse_client_token);
    DT_ADD(s, test_retries_exhausted);
    DT_ADD(s, test_network_failure);
    DT_ADD(s, test_invoke_retries);
    DT_ADD(s, test_error_mapping);
    DT_ADD(s, test_keep_alive);
    DT_ADD(s, test_deadline_caps_calls);
    DT_ADD(s, test_threads_share_a_client);
    DT_ADD(s, test_execution_history_list_stop);
    DT_ADD(s, test_invoke_event);
    DT_ADD(s, test_bad_arguments);
    return dt_run();
}
