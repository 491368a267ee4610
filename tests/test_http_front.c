/*
 * The HTTP front through a real socket: every route and every error shape,
 * in-process C handlers and Runtime API processes (this very program, run
 * with --runtime MODE, is the function process), SigV4 refusals that change
 * nothing, keep-alive, and a silent client that blocks nobody.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "durable/context.h"
#include "durable/engine.h"
#include "durable/http.h"
#include "durable/store.h"
#include "support/testutil.h"

#include <cjson/cJSON.h>

/* ---- a tiny HTTP/1.1 client ------------------------------------------------------ */

typedef struct hresp {
    int status;
    char head[16384];
    char *body;
    size_t len;
} hresp;

static int tcp_connect(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One request on fd; 0 with *out filled (body malloc'ed), -1 on a broken
 * connection. */
static int http_do(int fd, const char *method, const char *path, const char *headers,
                   const char *body, size_t blen, hresp *out)
{
    memset(out, 0, sizeof *out);
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n%s\r\n", method,
                     path, blen, headers ? headers : "");
    if (send_all(fd, req, (size_t)n) < 0 || (blen && send_all(fd, body, blen) < 0))
        return -1;
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= sizeof out->head)
            return -1;
        ssize_t r = recv(fd, out->head + have, sizeof out->head - 1 - have, 0);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        out->head[have] = '\0';
        end = strstr(out->head, "\r\n\r\n");
    }
    size_t hlen = (size_t)(end + 4 - out->head);
    sscanf(out->head, "HTTP/1.1 %d", &out->status);
    size_t clen = 0;
    for (char *p = out->head; p < end; p = strstr(p, "\r\n") + 2)
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
    out->body = malloc(clen + 1);
    size_t got = have - hlen < clen ? have - hlen : clen;
    memcpy(out->body, out->head + hlen, got);
    while (got < clen) {
        ssize_t r = recv(fd, out->body + got, clen - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    out->body[clen] = '\0';
    out->len = clen;
    *end = '\0'; /* head holds the status line and headers only */
    return 0;
}

/* The value of a response header (case-insensitive), copied into buf. */
static const char *header(const hresp *r, const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r");
            snprintf(buf, size, "%.*s", (int)len, v);
            return buf;
        }
    }
    return NULL;
}

static int g_port;

static int call(const char *method, const char *path, const char *headers, const char *body,
                hresp *out)
{
    int fd = tcp_connect("127.0.0.1", g_port);
    if (fd < 0)
        return -1;
    int rc = http_do(fd, method, path, headers, body, body ? strlen(body) : 0, out);
    close(fd);
    return rc;
}

/* Percent-encode every byte outside RFC 3986 unreserved (as the clients do). */
static void pct(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (; *s && o + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
    }
    out[o] = '\0';
}

static cJSON *json_of(const hresp *r)
{
    return cJSON_ParseWithLength(r->body, r->len);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Check an AWS-shaped error: status, X-Amzn-ErrorType, __type, message. */
static void expect_error(const hresp *r, int status, const char *type, const char *msg_prefix)
{
    char buf[256];
    CU_ASSERT_EQUAL(r->status, status);
    const char *h = header(r, "X-Amzn-ErrorType", buf, sizeof buf);
    CU_ASSERT(h && strcmp(h, type) == 0);
    cJSON *j = json_of(r);
    CU_ASSERT_PTR_NOT_NULL(j);
    CU_ASSERT(jstr(j, "__type") && strcmp(jstr(j, "__type"), type) == 0);
    CU_ASSERT(jstr(j, "Type") && strcmp(jstr(j, "Type"), status >= 500 ? "Server" : "User") == 0);
    const char *m = jstr(j, "message");
    CU_ASSERT(m && strncmp(m, msg_prefix, strlen(msg_prefix)) == 0);
    if (!m || strncmp(m, msg_prefix, strlen(msg_prefix)) != 0)
        fprintf(stderr, "message %s, want prefix %s\n", m ? m : "(none)", msg_prefix);
    CU_ASSERT_PTR_NOT_NULL(header(r, "x-amzn-RequestId", buf, sizeof buf));
    cJSON_Delete(j);
}

/* ---- function processes: this program with --runtime MODE ---------------------------- */

static int runtime_main(const char *mode)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api)
        return 2;
    char host[64];
    int port = 0;
    sscanf(api, "%63[^:]:%d", host, &port);
    int fd = tcp_connect(host, port);
    if (fd < 0)
        return 3;
    hresp r;
    if (strcmp(mode, "init") == 0) {
        const char *b = "{\"errorMessage\":\"no handler\",\"errorType\":\"Runtime.ImportError\"}";
        http_do(fd, "POST", "/2018-06-01/runtime/init/error", NULL, b, strlen(b), &r);
        free(r.body);
        return 1;
    }
    printf("cold start of %s\n", getenv("AWS_LAMBDA_FUNCTION_NAME"));
    fflush(stdout);
    for (;;) {
        if (http_do(fd, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r) < 0)
            return 0;
        char id[128], path[256];
        if (!header(&r, "Lambda-Runtime-Aws-Request-Id", id, sizeof id))
            return 4;
        fprintf(stderr, "handling %s\n", id);
        printf("line one of %s\nline two\npid %d\n", id, (int)getpid());
        fflush(stdout);
        cJSON *ev = json_of(&r);
        free(r.body);
        if (strcmp(mode, "crash") == 0)
            _exit(7); /* dies mid-invocation */
        if (strcmp(mode, "error") == 0) {
            snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/error", id);
            const char *b = "{\"errorMessage\":\"it broke\",\"errorType\":\"MyRuntimeError\","
                            "\"stackTrace\":[\"at x\"]}";
            http_do(fd, "POST", path, NULL, b, strlen(b), &r);
        } else {
            /* Echo the input back as the result. */
            const cJSON *ops = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(ev, "InitialExecutionState"), "Operations");
            const cJSON *exd = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ops, 0),
                                                                "ExecutionDetails");
            /* The invocation event carries epoch milliseconds (integers),
             * unlike the API's answers (HTTP_API.md §2.1): die otherwise. */
            const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ops, 0),
                                                               "StartTimestamp");
            if (!cJSON_IsNumber(ts) || ts->valuedouble < 1e12 ||
                ts->valuedouble != (double)(int64_t)ts->valuedouble)
                _exit(9);
            const char *in = jstr(exd, "InputPayload");
            cJSON *out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "Status", "SUCCEEDED");
            cJSON_AddStringToObject(out, "Result", in ? in : "null");
            char *b = cJSON_PrintUnformatted(out);
            snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response", id);
            http_do(fd, "POST", path, NULL, b, strlen(b), &r);
            free(b);
            cJSON_Delete(out);
        }
        cJSON_Delete(ev);
        free(r.body);
    }
}

/* ---- in-process handlers -------------------------------------------------------- */

static int add_one(durable_step_ctx *s, cJSON **result, void *user)
{
    (void)s;
    const cJSON *in = user;
    *result = cJSON_CreateNumber((cJSON_IsNumber(in) ? in->valuedouble : 0) + 1);
    return 0;
}

/* A step, a one-day wait (skipped), and the step's value. */
static int stepwait(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "add", add_one, (void *)input, NULL);
    if (rc == 0)
        rc = durable_wait(ctx, "nap", 86400);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

/* Waits for a callback and returns its result. */
static int waitcb(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_callback *cb = NULL;
    const cJSON *v = NULL;
    int rc = durable_create_callback(ctx, &cb, "approval", NULL);
    if (rc == 0)
        rc = durable_callback_await(cb, &v);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

/* ---- fixture ------------------------------------------------------------------------ */

static durable_http_server *g_srv;
static char *g_db;
static char g_self[4096];

static void logline(void *user, const char *line)
{
    (void)user;
    if (getenv("DURABLE_TEST_VERBOSE"))
        fprintf(stderr, "  | %s\n", line);
}

static int start_idle(bool with_auth, int idle_ms)
{
    g_db = dt_temp_path("http_front");
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = g_db;
    o.port = 0;
    o.skip_time = true;
    o.region = "us-west-2";
    o.concurrency = 2;
    o.connection_timeout_s = 2;
    o.invocation_retry_backoff_ms = 100;
    o.log = logline;
    o.idle_timeout_ms = idle_ms;
    const char *keys[] = {"AKIDTEST:test-secret-1"};
    if (with_auth) {
        o.auth_keys = keys;
        o.auth_key_count = 1;
    }
    if (durable_http_server_new(&g_srv, &o) < 0)
        return -1;
    char cmd[4300];
    const char *modes[][2] = {{"Echo", "ok"}, {"Crash", "crash"}, {"Broken", "error"},
                              {"NoInit", "init"}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "exec '%s' --runtime %s", g_self, modes[i][1]);
        if (durable_http_register_command(g_srv, modes[i][0], cmd, NULL) < 0)
            return -1;
    }
    if (durable_http_register_handler(g_srv, "StepWait", stepwait, NULL, NULL) < 0 ||
        durable_http_register_handler(g_srv, "WaitCallback", waitcb, NULL, NULL) < 0)
        return -1;
    if (durable_http_server_start(g_srv) < 0) {
        fprintf(stderr, "start: %s\n", durable_error_last()->message);
        return -1;
    }
    g_port = durable_http_server_port(g_srv);
    return 0;
}

static int start(bool with_auth)
{
    return start_idle(with_auth, 60000);
}

static void stop(void)
{
    durable_http_server_free(g_srv);
    g_srv = NULL;
    dt_remove_db(g_db);
    free(g_db);
    g_db = NULL;
}

static int invoke(const char *fn, const char *extra_headers, const char *body, hresp *r)
{
    char path[256];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations", fn);
    return call("POST", path, extra_headers, body, r);
}

static void exec_path(char *out, size_t size, const char *arn, const char *suffix)
{
    char enc[1024];
    pct(enc, sizeof enc, arn);
    snprintf(out, size, "/2025-12-01/durable-executions/%s%s", enc, suffix);
}

static cJSON *get_json(const char *path, int want_status)
{
    hresp r;
    if (call("GET", path, NULL, NULL, &r) < 0)
        return NULL;
    CU_ASSERT_EQUAL(r.status, want_status);
    cJSON *j = json_of(&r);
    free(r.body);
    return j;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_invoke_in_process_and_reads(void)
{
    CU_ASSERT_FATAL(start(false) == 0);
    hresp r;
    CU_ASSERT_FATAL(invoke("StepWait", "X-Amz-Durable-Execution-Name: first\r\n", "41", &r) == 0);
    char arn[512], buf[256];
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "42");
    CU_ASSERT_PTR_NOT_NULL_FATAL(header(&r, "X-Amz-Durable-Execution-Arn", arn, sizeof arn));
    CU_ASSERT(strncmp(arn, "arn:aws:lambda:us-west-2:123456789012:function:StepWait:$LATEST/"
                           "durable-execution/first/", 82) == 0);
    CU_ASSERT(header(&r, "X-Amz-Executed-Version", buf, sizeof buf) &&
              strcmp(buf, "$LATEST") == 0);
    CU_ASSERT_PTR_NULL(header(&r, "X-Amz-Function-Error", buf, sizeof buf));
    free(r.body);

    /* The same name again: 409, nothing started. */
    CU_ASSERT_FATAL(invoke("StepWait", "X-Amz-Durable-Execution-Name: first\r\n", "1", &r) == 0);
    expect_error(&r, 409, "DurableExecutionAlreadyStartedException", "Durable execution with name");
    free(r.body);

    char path[1200];
    exec_path(path, sizeof path, arn, "");
    cJSON *x = get_json(path, 200);
    CU_ASSERT(jstr(x, "Status") && strcmp(jstr(x, "Status"), "SUCCEEDED") == 0);
    CU_ASSERT(jstr(x, "Result") && strcmp(jstr(x, "Result"), "42") == 0);
    CU_ASSERT(jstr(x, "InputPayload") && strcmp(jstr(x, "InputPayload"), "41") == 0);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(x, "StartTimestamp");
    /* epoch seconds with a millisecond fraction, not milliseconds */
    CU_ASSERT(cJSON_IsNumber(st) && st->valuedouble > 1.7e9 && st->valuedouble < 1e11);
    cJSON_Delete(x);

    exec_path(path, sizeof path, arn, "/history?IncludeExecutionData=true");
    cJSON *h = get_json(path, 200);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(h, "Events");
    const char *want[] = {"ExecutionStarted", "StepStarted",         "StepSucceeded",
                          "WaitStarted",      "InvocationCompleted", "WaitSucceeded",
                          "InvocationCompleted", "ExecutionSucceeded"};
    CU_ASSERT_EQUAL(cJSON_GetArraySize(ev), 8);
    const char *exec_id = strrchr(arn, '/') + 1;
    for (int i = 0; i < cJSON_GetArraySize(ev) && i < 8; i++) {
        const cJSON *e = cJSON_GetArrayItem(ev, i);
        CU_ASSERT_STRING_EQUAL(jstr(e, "EventType"), want[i]);
        CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(e, "EventId")->valueint, i + 1);
        /* Execution* events carry the EXECUTION operation's Id on the wire
         * (the JS cloud runner requires an Id on every event but
         * InvocationCompleted). */
        if (strncmp(want[i], "Execution", 9) == 0)
            CU_ASSERT(jstr(e, "Id") && strcmp(jstr(e, "Id"), exec_id) == 0);
    }
    cJSON_Delete(h);

    /* Pages and markers. */
    exec_path(path, sizeof path, arn, "/history?MaxItems=3");
    h = get_json(path, 200);
    const char *marker = jstr(h, "NextMarker");
    CU_ASSERT_PTR_NOT_NULL(marker);
    char enc[256], p2[1400];
    pct(enc, sizeof enc, marker ? marker : "");
    snprintf(p2, sizeof p2, "%s&Marker=%s", path, enc);
    cJSON *h2 = get_json(p2, 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h2, "Events")), 3);
    CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h2, "Events"), 0),
                        "EventId")->valueint, 4);
    cJSON_Delete(h);
    cJSON_Delete(h2);
    snprintf(p2, sizeof p2, "%s&Marker=nonsense", path);
    CU_ASSERT(call("GET", p2, NULL, NULL, &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Invalid marker");
    free(r.body);
    exec_path(path, sizeof path, arn, "/history?MaxItems=abc");
    CU_ASSERT(call("GET", path, NULL, NULL, &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "MaxItems must be");
    free(r.body);

    /* List by name and by ARN, with a status filter. */
    cJSON *l = get_json("/2025-12-01/functions/StepWait/durable-executions?Statuses=SUCCEEDED"
                        "&Statuses=FAILED",
                        200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "DurableExecutions")),
                    1);
    cJSON_Delete(l);
    l = get_json("/2025-12-01/functions/StepWait/durable-executions?Statuses=RUNNING", 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "DurableExecutions")),
                    0);
    cJSON_Delete(l);
    pct(enc, sizeof enc, "arn:aws:lambda:us-west-2:123456789012:function:StepWait");
    snprintf(path, sizeof path, "/2025-12-01/functions/%s/durable-executions", enc);
    l = get_json(path, 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "DurableExecutions")),
                    1);
    cJSON_Delete(l);
    CU_ASSERT(call("GET", "/2025-12-01/functions/Nope/durable-executions", NULL, NULL, &r) == 0);
    expect_error(&r, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:");
    free(r.body);
    CU_ASSERT(call("GET", "/2025-12-01/functions/StepWait/durable-executions?Statuses=BOGUS",
                   NULL, NULL, &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Invalid status");
    free(r.body);
    stop();
}

static void test_callbacks_stop_and_tokens(void)
{
    CU_ASSERT_FATAL(start(false) == 0);
    hresp r;
    CU_ASSERT_FATAL(invoke("WaitCallback", "X-Amz-Invocation-Type: Event\r\n", NULL, &r) == 0);
    CU_ASSERT_EQUAL(r.status, 202);
    CU_ASSERT_EQUAL(r.len, 0u);
    char arn[512], path[1200];
    CU_ASSERT_PTR_NOT_NULL_FATAL(header(&r, "X-Amz-Durable-Execution-Arn", arn, sizeof arn));
    free(r.body);

    /* Find the callback id in the history. */
    char cbid[512] = "";
    for (int i = 0; i < 400 && !cbid[0]; i++) {
        exec_path(path, sizeof path, arn, "/history");
        cJSON *h = get_json(path, 200);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h, "Events"))
        {
            if (strcmp(jstr(e, "EventType"), "CallbackStarted") == 0)
                snprintf(cbid, sizeof cbid, "%s",
                         jstr(cJSON_GetObjectItemCaseSensitive(e, "CallbackStartedDetails"),
                              "CallbackId"));
        }
        cJSON_Delete(h);
        if (!cbid[0])
            usleep(25000);
    }
    CU_ASSERT_FATAL(cbid[0] != '\0');
    char enc[1024];
    pct(enc, sizeof enc, cbid);
    snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/heartbeat", enc);
    CU_ASSERT(call("POST", path, NULL, NULL, &r) == 0);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{}");
    free(r.body);
    /* Any Content-Type or none; the body is the raw result. */
    snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/succeed", enc);
    CU_ASSERT(call("POST", path, "Content-Type: application/octet-stream\r\n", "{\"ok\":1}", &r) ==
              0);
    CU_ASSERT_EQUAL(r.status, 200);
    free(r.body);
    CU_ASSERT(call("POST", path, NULL, "2", &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Callback has already been completed.");
    free(r.body);
    snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/fail", "bm9uZQ%3D%3D");
    CU_ASSERT(call("POST", path, NULL, "{\"ErrorType\":\"X\"}", &r) == 0);
    expect_error(&r, 404, "ResourceNotFoundException", "Callback not found.");
    free(r.body);
    snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/fail", enc);
    CU_ASSERT(call("POST", path, NULL, "{not json", &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "The request body is not valid JSON");
    free(r.body);

    exec_path(path, sizeof path, arn, "");
    durable_exec_status st = DURABLE_EXEC_RUNNING;
    for (int i = 0; i < 400 && st == DURABLE_EXEC_RUNNING; i++) {
        cJSON *x = get_json(path, 200);
        durable_exec_status_parse(&st, jstr(x, "Status"));
        if (st != DURABLE_EXEC_RUNNING)
            /* the C SDK's default callback serdes: the raw text as a string */
            CU_ASSERT_STRING_EQUAL(jstr(x, "Result"), "\"{\\\"ok\\\":1}\"");
        cJSON_Delete(x);
        if (st == DURABLE_EXEC_RUNNING)
            usleep(25000);
    }
    CU_ASSERT_EQUAL(st, DURABLE_EXEC_SUCCEEDED);

    /* Stop a second one; then tokens on a closed and an unknown execution. */
    CU_ASSERT_FATAL(invoke("WaitCallback", "X-Amz-Invocation-Type: Event\r\n", NULL, &r) == 0);
    char arn2[512];
    header(&r, "X-Amz-Durable-Execution-Arn", arn2, sizeof arn2);
    free(r.body);
    exec_path(path, sizeof path, arn2, "/stop");
    CU_ASSERT(call("POST", path, NULL, "{\"ErrorType\":\"Stopped\",\"ErrorMessage\":\"by test\"}",
                   &r) == 0);
    CU_ASSERT_EQUAL(r.status, 200);
    cJSON *sj = json_of(&r);
    CU_ASSERT(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(sj, "StopTimestamp")));
    cJSON_Delete(sj);
    free(r.body);
    exec_path(path, sizeof path, arn2, "");
    cJSON *x = get_json(path, 200);
    if (getenv("DURABLE_TEST_VERBOSE")) {
        char *t = cJSON_Print(x);
        fprintf(stderr, "%s\n", t);
        free(t);
    }
    CU_ASSERT_STRING_EQUAL(jstr(x, "Status"), "STOPPED");
    CU_ASSERT_STRING_EQUAL(jstr(cJSON_GetObjectItemCaseSensitive(x, "Error"), "ErrorMessage"),
                           "by test");
    cJSON_Delete(x);

    exec_path(path, sizeof path, arn2, "/checkpoint");
    CU_ASSERT(call("POST", path, NULL, "{\"CheckpointToken\":\"bm90LWEtdG9rZW4=\"}", &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Invalid Checkpoint Token");
    free(r.body);
    CU_ASSERT(call("POST", path, NULL, "{\"CheckpointToken\":", &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "The request body is not valid JSON");
    free(r.body);
    exec_path(path, sizeof path, arn2, "/state?CheckpointToken=bm90LWEtdG9rZW4%3D");
    CU_ASSERT(call("GET", path, NULL, NULL, &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Invalid Checkpoint Token");
    free(r.body);
    exec_path(path, sizeof path, "arn:aws:lambda:us-west-2:123456789012:function:F:$LATEST/"
                                 "durable-execution/a/b", "/checkpoint");
    CU_ASSERT(call("POST", path, NULL, "{\"CheckpointToken\":\"bm90LWEtdG9rZW4=\"}", &r) == 0);
    expect_error(&r, 404, "ResourceNotFoundException", "");
    free(r.body);
    stop();
}

static void test_routes_and_bad_requests(void)
{
    CU_ASSERT_FATAL(start(false) == 0);
    hresp r;
    const char *unknown[][2] = {{"GET", "/"}, {"GET", "/2025-12-01/durable-executions"},
                                {"DELETE", "/2025-12-01/durable-executions/x"},
                                {"POST", "/2025-12-01/durable-executions/x/state"},
                                {"GET", "/2015-03-31/functions/Echo/invocations"},
                                {"PUT", "/2025-12-01/durable-execution-callbacks/x/succeed"},
                                {"POST", "/2025-12-01/durable-execution-callbacks/x/maybe"}};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CU_ASSERT(call(unknown[i][0], unknown[i][1], NULL, NULL, &r) == 0);
        char want[256];
        snprintf(want, sizeof want, "Unknown route: %s %s", unknown[i][0], unknown[i][1]);
        expect_error(&r, 404, "ResourceNotFoundException", want);
        free(r.body);
    }
    CU_ASSERT(call("GET", "/2025-12-01/durable-executions/%zz", NULL, NULL, &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Malformed percent-escape");
    free(r.body);
    CU_ASSERT(invoke("Nope", NULL, "{}", &r) == 0);
    expect_error(&r, 404, "ResourceNotFoundException",
                 "Function not found: arn:aws:lambda:us-west-2:123456789012:function:Nope");
    free(r.body);
    CU_ASSERT(invoke("Echo:HLATEST", NULL, "{}", &r) == 0);
    expect_error(&r, 404, "ResourceNotFoundException",
                 "Function not found: arn:aws:lambda:us-west-2:123456789012:function:Echo:HLATEST");
    free(r.body);
    CU_ASSERT(call("POST", "/2015-03-31/functions/Echo/invocations?Qualifier=7", NULL, "{}", &r) ==
              0);
    expect_error(&r, 404, "ResourceNotFoundException", "Function not found:");
    free(r.body);
    CU_ASSERT(invoke("Echo", NULL, "{oops", &r) == 0);
    expect_error(&r, 400, "InvalidRequestContentException", "Could not parse request body");
    free(r.body);
    CU_ASSERT(invoke("Echo", "X-Amz-Invocation-Type: Sometimes\r\n", "{}", &r) == 0);
    expect_error(&r, 400, "InvalidParameterValueException", "Invalid InvocationType");
    free(r.body);
    CU_ASSERT(invoke("Echo", "X-Amz-Durable-Execution-Name: bad name!\r\n", "{}", &r) == 0);
    CU_ASSERT_EQUAL(r.status, 400);
    free(r.body);
    /* Over 6 MiB: refused from Content-Length, before the body is read. */
    int fd = tcp_connect("127.0.0.1", g_port);
    const char *big = "POST /2015-03-31/functions/Echo/invocations HTTP/1.1\r\nHost: x\r\n"
                      "Content-Length: 7340032\r\n\r\n";
    send_all(fd, big, strlen(big));
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    CU_ASSERT(strncmp(buf, "HTTP/1.1 413", 12) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "RequestTooLargeException"));
    close(fd);
    /* Nothing was started by any of these. */
    cJSON *l = get_json("/2025-12-01/functions/Echo/durable-executions", 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "DurableExecutions")),
                    0);
    cJSON_Delete(l);

    /* Keep-alive: many requests on one connection; a silent client does
     * not block them and is dropped after the connection timeout. */
    int silent = tcp_connect("127.0.0.1", g_port);
    send_all(silent, "GET /2025-12-01/dur", 19);
    fd = tcp_connect("127.0.0.1", g_port);
    for (int i = 0; i < 20; i++) {
        CU_ASSERT_FATAL(http_do(fd, "GET", "/2025-12-01/functions/Echo/durable-executions", NULL,
                                NULL, 0, &r) == 0);
        CU_ASSERT_EQUAL(r.status, 200);
        free(r.body);
    }
    close(fd);
    struct pollfd p = {silent, POLLIN, 0};
    CU_ASSERT(poll(&p, 1, 10000) == 1); /* closed by the server: readable, EOF */
    CU_ASSERT(recv(silent, buf, sizeof buf, 0) <= 0);
    close(silent);
    stop();
}

/* The lines the function processes wrote during arn's invocations, read
 * from the file through a second connection (the caller clears). */
static int read_logs(durable_function_log_list *out, const char *arn)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    memset(out, 0, sizeof *out);
    int rc = durable_store_open(&st, g_db, &so);
    if (rc == 0)
        rc = durable_engine_open(&e, st, NULL);
    if (rc == 0)
        rc = durable_engine_list_function_logs(out, e, arn, 0, 0);
    durable_engine_close(e);
    durable_store_close(st);
    return rc;
}

/* Lines of arn's invocations containing needle, once there is one (up to
 * 10 s: a process's output is stored by its own thread, possibly after the
 * Invoke answered). */
static int count_logs(const char *arn, const char *needle)
{
    int n = 0;
    for (int tries = 0; n == 0 && tries < 500; tries++) {
        durable_function_log_list l;
        if (read_logs(&l, arn) < 0)
            return -1;
        for (size_t i = 0; i < l.count; i++)
            n += strstr(l.items[i].line, needle) != NULL;
        durable_function_log_list_clear(&l);
        if (n == 0)
            usleep(20000);
    }
    return n;
}

/* The largest distance (ms) between a log line's time and the real now. */
static int64_t log_skew_ms(const char *arn)
{
    durable_function_log_list l;
    int64_t worst = INT64_MAX;
    if (read_logs(&l, arn) == 0 && l.count) {
        int64_t now = (int64_t)time(NULL) * 1000;
        worst = 0;
        for (size_t i = 0; i < l.count; i++) {
            int64_t d = l.items[i].timestamp_ms - now;
            if (d < 0)
                d = -d;
            if (d > worst)
                worst = d;
        }
    }
    durable_function_log_list_clear(&l);
    return worst;
}

static int count_events(const char *arn, const char *type)
{
    char path[1200];
    exec_path(path, sizeof path, arn, "/history");
    cJSON *h = get_json(path, 200);
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h, "Events"))
    {
        n += strcmp(jstr(e, "EventType"), type) == 0;
    }
    cJSON_Delete(h);
    return n;
}

/* The pid a function process printed during arn's invocation; 0 if none. */
/* The pid the function process logged for arn's invocation, waited for as
 * count_logs waits (make valgrind once read it before it was stored). */
static int logged_pid(const char *arn)
{
    int pid = 0;
    for (int tries = 0; pid == 0 && tries < 500; tries++) {
        durable_function_log_list l;
        if (read_logs(&l, arn) == 0)
            for (size_t i = 0; i < l.count; i++)
                if (strncmp(l.items[i].line, "pid ", 4) == 0)
                    pid = atoi(l.items[i].line + 4);
        durable_function_log_list_clear(&l);
        if (pid == 0)
            usleep(20000);
    }
    return pid;
}

static bool process_gone(int pid, int wait_ms)
{
    for (int i = 0; i <= wait_ms / 20; i++) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return true;
        usleep(20000);
    }
    return false;
}

/* Processes start on first use and end when idle, and with the server. */
static void test_process_lifecycle(void)
{
    CU_ASSERT_FATAL(start_idle(false, 1500) == 0);
    hresp r;
    char arn[512];
    CU_ASSERT_FATAL(invoke("Echo", NULL, "1", &r) == 0);
    header(&r, "X-Amz-Durable-Execution-Arn", arn, sizeof arn);
    free(r.body);
    int pid = logged_pid(arn);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT(kill(pid, 0) == 0);            /* kept warm for a while */
    CU_ASSERT(process_gone(pid, 8000));      /* then ended as idle */
    CU_ASSERT_FATAL(invoke("Echo", NULL, "2", &r) == 0); /* a cold start again */
    CU_ASSERT_STRING_EQUAL(r.body, "2");
    header(&r, "X-Amz-Durable-Execution-Arn", arn, sizeof arn);
    free(r.body);
    int pid2 = logged_pid(arn);
    CU_ASSERT(pid2 > 0 && pid2 != pid);
    durable_http_server_stop(g_srv);         /* stopping ends the processes */
    CU_ASSERT(process_gone(pid2, 5000));
    stop();
}

static void test_runtime_api_processes(void)
{
    CU_ASSERT_FATAL(start(false) == 0);
    hresp r;
    char arn[512], buf[4096];
    /* Skip a day of virtual time first: log lines still carry real time. */
    CU_ASSERT_FATAL(invoke("StepWait", NULL, "1", &r) == 0);
    free(r.body);
    /* A process echoes its input; its output lines are kept per invocation. */
    CU_ASSERT_FATAL(invoke("Echo", NULL, "{\"n\":7}", &r) == 0);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"n\":7}");
    header(&r, "X-Amz-Durable-Execution-Arn", arn, sizeof arn);
    free(r.body);
    CU_ASSERT(invoke("Echo", NULL, "[1,2]", &r) == 0); /* the warm process again */
    CU_ASSERT_STRING_EQUAL(r.body, "[1,2]");
    free(r.body);
    CU_ASSERT_EQUAL(count_logs(arn, "line one of"), 1);
    CU_ASSERT_EQUAL(count_logs(arn, "line two"), 1);
    CU_ASSERT_EQUAL(count_logs(arn, "handling"), 1);
    CU_ASSERT(log_skew_ms(arn) < 5 * 60 * 1000);

    /* A process that dies mid-invocation: Runtime.ExitError, re-invoked, and
     * after five failures the execution fails with the last one. */
    CU_ASSERT_FATAL(invoke("Crash", NULL, "1", &r) == 0);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT(header(&r, "X-Amz-Function-Error", buf, sizeof buf) &&
              strcmp(buf, "Unhandled") == 0);
    cJSON *err = json_of(&r);
    CU_ASSERT(jstr(err, "ErrorType") && strcmp(jstr(err, "ErrorType"), "Runtime.ExitError") == 0);
    CU_ASSERT(jstr(err, "ErrorMessage") && strstr(jstr(err, "ErrorMessage"), "exit status 7"));
    cJSON_Delete(err);
    header(&r, "X-Amz-Durable-Execution-Arn", arn, sizeof arn);
    free(r.body);
    CU_ASSERT_EQUAL(count_events(arn, "InvocationCompleted"), 5);

    /* A reported runtime error is the invocation error. */
    CU_ASSERT_FATAL(invoke("Broken", NULL, "1", &r) == 0);
    err = json_of(&r);
    CU_ASSERT(jstr(err, "ErrorType") && strcmp(jstr(err, "ErrorType"), "MyRuntimeError") == 0);
    CU_ASSERT(jstr(err, "ErrorMessage") && strcmp(jstr(err, "ErrorMessage"), "it broke") == 0);
    cJSON_Delete(err);
    free(r.body);

    /* An init failure fails the invocation it was started for. */
    CU_ASSERT_FATAL(invoke("NoInit", NULL, "1", &r) == 0);
    err = json_of(&r);
    CU_ASSERT(jstr(err, "ErrorType") && strcmp(jstr(err, "ErrorType"), "Runtime.ImportError") == 0);
    cJSON_Delete(err);
    free(r.body);
    stop();
}

static void test_sigv4_refusals_change_nothing(void)
{
    CU_ASSERT_FATAL(start(true) == 0);
    hresp r;
    CU_ASSERT(invoke("StepWait", NULL, "1", &r) == 0);
    expect_error(&r, 403, "InvalidSignatureException", "");
    free(r.body);
    CU_ASSERT(invoke("StepWait",
                     "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20261206/us-west-2/"
                     "lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature="
                     "0000000000000000000000000000000000000000000000000000000000000000\r\n"
                     "X-Amz-Date: 20261206T000000Z\r\n",
                     "1", &r) == 0);
    expect_error(&r, 403, "InvalidSignatureException", "");
    CU_ASSERT_PTR_NULL(strstr(r.body, "test-secret-1"));
    free(r.body);
    CU_ASSERT(call("GET", "/2025-12-01/functions/StepWait/durable-executions", NULL, NULL, &r) ==
              0);
    expect_error(&r, 403, "InvalidSignatureException", "");
    free(r.body);
    /* The refused Invokes started nothing: the file has no execution. */
    durable_store *st = NULL;
    durable_engine *e = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    CU_ASSERT_FATAL(durable_store_open(&st, g_db, &so) == 0 &&
                    durable_engine_open(&e, st, NULL) == 0);
    durable_list_request lr;
    memset(&lr, 0, sizeof lr);
    durable_list_response resp;
    CU_ASSERT(durable_engine_list_executions(&resp, e, &lr) == 0);
    CU_ASSERT_EQUAL(resp.count, 0u);
    durable_list_response_clear(&resp);
    durable_engine_close(e);
    durable_store_close(st);
    stop();
}

/* The server shares its file: an execution another process started (a
 * function not registered here) is neither invoked nor has its timers
 * fired, however the server skips time; the server still serves its
 * checkpoints, and a retried checkpoint (same ClientToken and token) gets
 * the stored answer without applying twice. */
static void test_shared_file_and_client_token(void)
{
    CU_ASSERT_FATAL(start(false) == 0);
    durable_store *st = NULL;
    durable_engine *e = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    CU_ASSERT_FATAL(durable_store_open(&st, g_db, &so) == 0 &&
                    durable_engine_open(&e, st, NULL) == 0);
    char *arn = NULL, *inv = NULL;
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    CU_ASSERT_FATAL(durable_engine_start_execution(&arn, NULL, e, "Foreign", NULL) == 0);
    CU_ASSERT_FATAL(durable_engine_start_invocation(&in, &inv, e, arn, 0) == 0);

    char path[1200], body[4096];
    exec_path(path, sizeof path, arn, "/checkpoint");
    snprintf(body, sizeof body,
             "{\"CheckpointToken\":\"%s\",\"ClientToken\":\"6f1c-retry\",\"Updates\":["
             "{\"Id\":\"aaaa000000000001\",\"Type\":\"STEP\",\"Action\":\"START\","
             "\"SubType\":\"Step\",\"Name\":\"s\"},"
             "{\"Id\":\"aaaa000000000001\",\"Type\":\"STEP\",\"Action\":\"SUCCEED\","
             "\"SubType\":\"Step\",\"Payload\":\"5\"},"
             "{\"Id\":\"aaaa000000000002\",\"Type\":\"WAIT\",\"Action\":\"START\","
             "\"SubType\":\"Wait\",\"WaitOptions\":{\"WaitSeconds\":60}}]}",
             in.checkpoint_token);
    hresp r1, r2;
    CU_ASSERT_FATAL(call("POST", path, "Content-Type: application/json\r\n", body, &r1) == 0);
    CU_ASSERT_EQUAL(r1.status, 200);
    CU_ASSERT_FATAL(call("POST", path, NULL, body, &r2) == 0);
    CU_ASSERT_EQUAL(r2.status, 200);
    CU_ASSERT_STRING_EQUAL(r1.body, r2.body); /* the stored answer, not a second apply */
    cJSON *j = json_of(&r1);
    CU_ASSERT_PTR_NOT_NULL(jstr(j, "CheckpointToken"));
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "NewExecutionState"), "Operations");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(ops), 2);
    cJSON_Delete(j);
    free(r1.body);
    free(r2.body);
    /* The invocation ends PENDING on its wait: the server may not resume it. */
    durable_invocation_output out = {DURABLE_INVOCATION_PENDING, NULL, NULL};
    CU_ASSERT(durable_engine_complete_invocation(NULL, e, arn, inv, &out) == 0);
    usleep(1500 * 1000); /* several scheduler rounds, with time skipping on */
    durable_execution_state xs;
    memset(&xs, 0, sizeof xs);
    CU_ASSERT(durable_engine_execution_state(&xs, e, arn) == 0);
    CU_ASSERT_EQUAL(xs.status, DURABLE_EXEC_RUNNING);
    CU_ASSERT_EQUAL(xs.invocation_count, 1);
    durable_execution_state_clear(&xs);
    durable_operation op;
    memset(&op, 0, sizeof op);
    CU_ASSERT(durable_engine_get_operation(&op, e, arn, "aaaa000000000002") == 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STARTED); /* its wait was not fired */
    durable_operation_clear(&op);
    durable_operation_list ol;
    CU_ASSERT(durable_engine_list_operations(&ol, e, arn) == 0);
    CU_ASSERT_EQUAL(ol.count, 3u); /* EXECUTION, the step once, the wait */
    durable_operation_list_clear(&ol);
    durable_invocation_input_clear(&in);
    durable_free(arn);
    durable_free(inv);
    durable_engine_close(e);
    durable_store_close(st);
    stop();
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--runtime") == 0)
        return runtime_main(argv[2]);
    ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    g_self[n > 0 ? n : 0] = '\0';
    CU_pSuite s = dt_suite("http_front");
    DT_ADD(s, test_invoke_in_process_and_reads);
    DT_ADD(s, test_callbacks_stop_and_tokens);
    DT_ADD(s, test_routes_and_bad_requests);
    DT_ADD(s, test_runtime_api_processes);
    DT_ADD(s, test_process_lifecycle);
    DT_ADD(s, test_shared_file_and_client_token);
    DT_ADD(s, test_sigv4_refusals_change_nothing);
    return dt_run();
}
