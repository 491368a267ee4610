/* The load clients: each a thread with one libcurl handle (one keep-alive
 * connection, as boto3 keeps one), looping over a weighted mix of the
 * Lambda routes of HTTP_API.md §6.2 until the phase ends, then answering
 * and polling what it still has open until every execution it started is
 * checked. Every answer is checked: the status (a failure is any other
 * status, deliberate negative requests included, or any transport error),
 * and the body where it carries something the client can predict (results,
 * EventIds, the ARN, error types). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "load.h"

const char *const load_route_names[LOAD_ROUTE_COUNT] = {
    "Invoke RequestResponse",
    "Invoke RequestResponse, wait",
    "Invoke RequestResponse, failing",
    "Invoke Event",
    "Invoke Event, name taken (409)",
    "GetDurableExecution",
    "GetDurableExecutionHistory",
    "ListDurableExecutionsByFunction",
    "callback heartbeat",
    "callback succeed",
    "callback fail",
    "GetDurableExecution, unknown (404)",
    "callback succeed, unknown (404)",
};

#define FUNCTION "Workflow"
#define INVOKE_PATH "/2015-03-31/functions/" FUNCTION "/invocations"
#define MAX_OPEN 3         /* Event executions a client has open at once */
#define RECENT 8           /* ended executions a client keeps reading */
#define MAX_PRINTED 25     /* failures described on stderr, over all clients */
#define REQUEST_TIMEOUT_S 90
#define REJECTION "the load client said no"

typedef enum exec_kind { K_WAIT, K_CALLBACK_OK, K_CALLBACK_FAIL } exec_kind;

typedef struct open_exec {
    char *arn;
    double n;
    int steps;
    exec_kind kind;
    bool answered;
} open_exec;

typedef struct client {
    load_phase *ph;
    int index;
    uint64_t rng;
    CURL *curl;
    load_stats st;
    open_exec open[MAX_OPEN];
    int open_count;
    char *recent[RECENT];
    int recent_next;
    long counter;
    /* the last answer */
    char *body;
    size_t len, cap;
    char arn_hdr[512];
    char err_type[128];
    bool fn_error;
} client;

/* ---- statistics ------------------------------------------------------------------ */

static int bucket_of(uint64_t us)
{
    if (us < 4)
        return (int)us;
    int lg = 63 - __builtin_clzll(us);
    int idx = (lg - 1) * 4 + (int)((us >> (lg - 2)) & 3);
    return idx < LOAD_LAT_BUCKETS ? idx : LOAD_LAT_BUCKETS - 1;
}

static double bucket_mid_us(int idx)
{
    if (idx < 4)
        return idx;
    int lg = idx / 4 + 1, sub = idx % 4;
    return ((double)(4 + sub) + 0.5) * (double)(1ull << (lg - 2));
}

double load_stats_quantile_ms(const load_route_stats *r, double q)
{
    if (!r->requests)
        return 0;
    uint64_t want = (uint64_t)(q * (double)r->requests + 0.5), seen = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < LOAD_LAT_BUCKETS; i++) {
        seen += r->lat[i];
        if (seen >= want)
            return bucket_mid_us(i) / 1000.0;
    }
    return (double)r->max_us / 1000.0;
}

void load_stats_add(load_stats *into, const load_stats *from)
{
    for (int r = 0; r < LOAD_ROUTE_COUNT; r++) {
        load_route_stats *a = &into->routes[r];
        const load_route_stats *b = &from->routes[r];
        a->requests += b->requests;
        a->failed += b->failed;
        if (b->max_us > a->max_us)
            a->max_us = b->max_us;
        for (int i = 0; i < LOAD_LAT_BUCKETS; i++)
            a->lat[i] += b->lat[i];
    }
    into->executions_started += from->executions_started;
    into->executions_checked += from->executions_checked;
    into->executions_bad += from->executions_bad;
    into->executions_unfinished += from->executions_unfinished;
}

uint64_t load_stats_requests(const load_stats *s)
{
    uint64_t n = 0;
    for (int r = 0; r < LOAD_ROUTE_COUNT; r++)
        n += s->routes[r].requests;
    return n;
}

uint64_t load_stats_failed(const load_stats *s)
{
    uint64_t n = 0;
    for (int r = 0; r < LOAD_ROUTE_COUNT; r++)
        n += s->routes[r].failed;
    return n;
}

/* ---- helpers ---------------------------------------------------------------------- */

static uint64_t next_rand(client *c)
{
    /* splitmix64: a client's whole mix follows from the seed */
    uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int pick(client *c, int n)
{
    return (int)(next_rand(c) % (uint64_t)n);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A failure: counted on its route; the first few are described. */
static void failure(client *c, load_route route, const char *fmt, ...)
{
    c->st.routes[route].failed++;
    if (atomic_fetch_add(&c->ph->failures_printed, 1) >= MAX_PRINTED)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "load: client %d: %s: %s\n", c->index, load_route_names[route], msg);
}

/* A path segment: everything but unreserved characters percent-encoded, as
 * the official clients send an ARN (HTTP_API.md §5). */
static void encode_segment(char *out, size_t size, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (; *s && k + 4 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out[k++] = (char)ch;
        } else {
            out[k++] = '%';
            out[k++] = hex[ch >> 4];
            out[k++] = hex[ch & 15];
        }
    }
    out[k] = '\0';
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    client *c = user;
    size_t add = size * n;
    if (c->len + add + 1 > c->cap) {
        size_t cap = (c->len + add + 1) * 2;
        char *g = realloc(c->body, cap);
        if (!g)
            return 0; /* curl reports a write error: a failed request */
        c->body = g;
        c->cap = cap;
    }
    memcpy(c->body + c->len, p, add);
    c->len += add;
    c->body[c->len] = '\0';
    return add;
}

static void header_value(char *out, size_t size, const char *line, size_t len, size_t skip)
{
    const char *v = line + skip;
    size_t vl = len - skip;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= size)
        vl = size - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    client *c = user;
    size_t len = size * n;
    static const char arn[] = "X-Amz-Durable-Execution-Arn:", ferr[] = "X-Amz-Function-Error:",
                      etype[] = "X-Amzn-ErrorType:";
    if (len > sizeof arn - 1 && strncasecmp(p, arn, sizeof arn - 1) == 0)
        header_value(c->arn_hdr, sizeof c->arn_hdr, p, len, sizeof arn - 1);
    else if (len > sizeof ferr - 1 && strncasecmp(p, ferr, sizeof ferr - 1) == 0)
        c->fn_error = true;
    else if (len > sizeof etype - 1 && strncasecmp(p, etype, sizeof etype - 1) == 0)
        header_value(c->err_type, sizeof c->err_type, p, len, sizeof etype - 1);
    return len;
}

/*
 * One request. body NULL = GET. extra: NULL-terminated header lines. 0 when
 * the answer has the expected status; -1 (a counted failure) otherwise.
 */
static int request(client *c, load_route route, const char *path, const char *body,
                   const char *const *extra, long expect)
{
    c->len = 0;
    if (c->body)
        c->body[0] = '\0';
    c->arn_hdr[0] = c->err_type[0] = '\0';
    c->fn_error = false;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", c->ph->url, path);
    struct curl_slist *h = NULL;
    /* Any signature is accepted without --auth; send the header a client
     * would, so the front parses it on every request. */
    h = curl_slist_append(h, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCALDURABLE/"
                             "20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, "
                             "Signature=0000");
    h = curl_slist_append(h, "Expect:");
    for (size_t i = 0; extra && extra[i]; i++)
        h = curl_slist_append(h, extra[i]);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    }
    uint64_t t0 = now_us();
    CURLcode rc = curl_easy_perform(c->curl);
    uint64_t us = now_us() - t0;
    curl_slist_free_all(h);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    load_route_stats *r = &c->st.routes[route];
    r->requests++;
    r->lat[bucket_of(us)]++;
    if (us > r->max_us)
        r->max_us = us;
    atomic_fetch_sub(&c->ph->budget, 1);
    if (!c->body)
        on_body("", 1, 0, c); /* an empty body reads as "" */
    if (rc != CURLE_OK) {
        failure(c, route, "%s %s: %s", body ? "POST" : "GET", path, curl_easy_strerror(rc));
        return -1;
    }
    if (status != expect) {
        failure(c, route, "%s %s: HTTP %ld, want %ld: %.300s", body ? "POST" : "GET", path,
                status, expect, c->body);
        return -1;
    }
    return 0;
}

static double expected_sum(double n, int steps)
{
    return steps * n + steps * (steps - 1) / 2.0;
}

/* The workflow result text is {"n": n, "sum": …, "approval"?}. */
static bool result_ok(const char *text, double n, int steps, const char *approval)
{
    cJSON *j = cJSON_Parse(text);
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(j, "n");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(j, "sum");
    const cJSON *ja = cJSON_GetObjectItemCaseSensitive(j, "approval");
    bool ok = cJSON_IsNumber(jn) && jn->valuedouble == n && cJSON_IsNumber(js) &&
              js->valuedouble == expected_sum(n, steps) &&
              (approval ? cJSON_IsString(ja) && strcmp(ja->valuestring, approval) == 0 : !ja);
    cJSON_Delete(j);
    return ok;
}

/* The ARN path of an execution. */
static void execution_path(char *out, size_t size, const char *arn, const char *suffix)
{
    char enc[1536];
    encode_segment(enc, sizeof enc, arn);
    snprintf(out, size, "/2025-12-01/durable-executions/%s%s", enc, suffix);
}

static void remember(client *c, char *arn)
{
    free(c->recent[c->recent_next]);
    c->recent[c->recent_next] = arn;
    c->recent_next = (c->recent_next + 1) % RECENT;
}

/* An ARN this client knows (open or ended), or NULL. */
static const char *known_arn(client *c)
{
    int known = c->open_count;
    for (int i = 0; i < RECENT; i++)
        known += c->recent[i] != NULL;
    if (!known)
        return NULL;
    int k = pick(c, known);
    if (k < c->open_count)
        return c->open[k].arn;
    k -= c->open_count;
    for (int i = 0; i < RECENT; i++)
        if (c->recent[i] && k-- == 0)
            return c->recent[i];
    return NULL;
}

/* ---- the actions ---------------------------------------------------------------- */

static double next_n(client *c)
{
    return (double)c->index * 1e7 + (double)++c->counter;
}

/* A RequestResponse Invoke: the answer is the result (or the error). */
static void invoke_sync(client *c, load_route route)
{
    double n = next_n(c);
    int steps = route == LOAD_INVOKE_SYNC ? pick(c, 5) : 1;
    char body[160];
    snprintf(body, sizeof body, "{\"n\":%.0f,\"steps\":%d,\"wait\":%s,\"fail\":%s}", n, steps,
             route == LOAD_INVOKE_SYNC_WAIT ? "true" : "false",
             route == LOAD_INVOKE_SYNC_FAIL ? "true" : "false");
    const char *h[] = {"Content-Type: application/json", NULL};
    const char *path = pick(c, 2) ? INVOKE_PATH : INVOKE_PATH "?Qualifier=%24LATEST";
    if (request(c, route, path, body, h, 200) != 0)
        return;
    if (!c->arn_hdr[0])
        failure(c, route, "no X-Amz-Durable-Execution-Arn");
    if (route == LOAD_INVOKE_SYNC_FAIL) {
        cJSON *j = cJSON_Parse(c->body);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "ErrorType");
        if (!c->fn_error || !cJSON_IsString(t) || strcmp(t->valuestring, "LoadError") != 0)
            failure(c, route, "want X-Amz-Function-Error and LoadError, got %.200s", c->body);
        cJSON_Delete(j);
    } else if (c->fn_error || !result_ok(c->body, n, steps, NULL)) {
        failure(c, route, "n=%.0f steps=%d: wrong result %.200s", n, steps, c->body);
    }
    if (c->arn_hdr[0])
        remember(c, strdup(c->arn_hdr));
}

/* An Event Invoke of a workflow that waits or takes a callback; a quarter
 * are named, and then the same name is tried again (409). */
static void invoke_event(client *c)
{
    int r = pick(c, 10);
    exec_kind kind = r < 4 ? K_WAIT : r < 8 ? K_CALLBACK_OK : K_CALLBACK_FAIL;
    double n = next_n(c);
    int steps = 1 + pick(c, 3);
    char body[160];
    snprintf(body, sizeof body, "{\"n\":%.0f,\"steps\":%d,\"wait\":%s,\"callback\":%s}", n, steps,
             kind == K_WAIT ? "true" : "false", kind == K_WAIT ? "false" : "true");
    char name[128];
    bool named = pick(c, 4) == 0;
    snprintf(name, sizeof name, "X-Amz-Durable-Execution-Name: %s-%d-%ld", c->ph->run_tag,
             c->index, c->counter);
    const char *h[] = {"X-Amz-Invocation-Type: Event", "Content-Type: application/json",
                       named ? name : NULL, NULL};
    if (request(c, LOAD_INVOKE_EVENT, INVOKE_PATH, body, h, 202) != 0)
        return;
    if (!c->arn_hdr[0]) {
        failure(c, LOAD_INVOKE_EVENT, "no X-Amz-Durable-Execution-Arn");
        return;
    }
    open_exec *e = &c->open[c->open_count++];
    *e = (open_exec){strdup(c->arn_hdr), n, steps, kind, false};
    c->st.executions_started++;
    if (named && request(c, LOAD_INVOKE_DUPLICATE, INVOKE_PATH, body, h, 409) == 0 &&
        strcmp(c->err_type, "DurableExecutionAlreadyStartedException") != 0)
        failure(c, LOAD_INVOKE_DUPLICATE, "error type '%s'", c->err_type);
}

/* History: 200, EventIds 1..n in order, starting with ExecutionStarted.
 * *callback_id gets the CallbackStarted id if there is one (malloc'd). */
static int read_history(client *c, const char *arn, char **callback_id)
{
    char path[2048];
    execution_path(path, sizeof path, arn, pick(c, 2) ? "/history" : "/history?IncludeExecutionData=true");
    if (request(c, LOAD_GET_HISTORY, path, NULL, NULL, 200) != 0)
        return -1;
    cJSON *j = cJSON_Parse(c->body);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(j, "Events");
    int i = 0, rc = cJSON_IsArray(events) && cJSON_GetArraySize(events) > 0 ? 0 : -1;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "EventId");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "EventType");
        if (!cJSON_IsNumber(id) || id->valueint != ++i || !cJSON_IsString(type) ||
            (i == 1 && strcmp(type->valuestring, "ExecutionStarted") != 0))
            rc = -1;
        if (callback_id && !*callback_id && cJSON_IsString(type) &&
            strcmp(type->valuestring, "CallbackStarted") == 0) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "CallbackStartedDetails");
            const cJSON *cid = cJSON_GetObjectItemCaseSensitive(d, "CallbackId");
            if (cJSON_IsString(cid))
                *callback_id = strdup(cid->valuestring);
        }
    }
    if (rc != 0)
        failure(c, LOAD_GET_HISTORY, "events not 1..n from ExecutionStarted: %.200s", c->body);
    cJSON_Delete(j);
    return rc;
}

/* GetDurableExecution: 200 and the ARN asked for. *status gets Status
 * (static text) and *exec the parsed answer (the caller frees it). */
static int read_execution(client *c, const char *arn, cJSON **exec)
{
    char path[2048];
    execution_path(path, sizeof path, arn, "");
    if (request(c, LOAD_GET_EXECUTION, path, NULL, NULL, 200) != 0)
        return -1;
    cJSON *j = cJSON_Parse(c->body);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "DurableExecutionArn");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "Status");
    if (!cJSON_IsString(a) || strcmp(a->valuestring, arn) != 0 || !cJSON_IsString(s)) {
        failure(c, LOAD_GET_EXECUTION, "not the execution asked for: %.200s", c->body);
        cJSON_Delete(j);
        return -1;
    }
    if (exec)
        *exec = j;
    else
        cJSON_Delete(j);
    return 0;
}

/* Answer a callback the way an outside system would: sometimes a heartbeat
 * first, then success (raw bytes) or failure (a bare ErrorObject). */
static void answer_callback(client *c, open_exec *e, const char *callback_id)
{
    char enc[1024], path[1200];
    encode_segment(enc, sizeof enc, callback_id);
    if (pick(c, 3) == 0) {
        snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/heartbeat", enc);
        request(c, LOAD_CALLBACK_HEARTBEAT, path, "", NULL, 200);
    }
    if (e->kind == K_CALLBACK_OK) {
        char body[64];
        snprintf(body, sizeof body, "\"ok-%.0f\"", e->n);
        const char *h[] = {"Content-Type:", NULL}; /* botocore sends none */
        snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/succeed", enc);
        request(c, LOAD_CALLBACK_SUCCEED, path, body, h, 200);
    } else {
        const char *h[] = {"Content-Type: application/json", NULL};
        snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/fail", enc);
        request(c, LOAD_CALLBACK_FAIL, path,
                "{\"ErrorType\":\"Rejected\",\"ErrorMessage\":\"" REJECTION "\"}", h, 200);
    }
    e->answered = true;
}

/* Did the ended execution end as its input says? */
static bool ended_ok(const cJSON *exec, const open_exec *e)
{
    const char *status = cJSON_GetObjectItemCaseSensitive(exec, "Status")->valuestring;
    if (e->kind == K_CALLBACK_FAIL) {
        /* The C SDK fails the handler with kind CallbackError and the
         * outside system's message. */
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(exec, "Error");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "ErrorMessage");
        return strcmp(status, "FAILED") == 0 && cJSON_IsString(m) &&
               strcmp(m->valuestring, REJECTION) == 0;
    }
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(exec, "Result");
    char approval[64];
    snprintf(approval, sizeof approval, "\"ok-%.0f\"", e->n);
    return strcmp(status, "SUCCEEDED") == 0 && cJSON_IsString(res) &&
           result_ok(res->valuestring, e->n, e->steps, e->kind == K_CALLBACK_OK ? approval : NULL);
}

/* Move an open execution along: answer its callback once the history shows
 * it, else look whether it ended, and check how. */
static void poll_open(client *c, int i)
{
    open_exec *e = &c->open[i];
    if (e->kind != K_WAIT && !e->answered) {
        char *cid = NULL;
        if (read_history(c, e->arn, &cid) == 0 && cid)
            answer_callback(c, e, cid);
        free(cid);
        return;
    }
    cJSON *exec = NULL;
    if (read_execution(c, e->arn, &exec) != 0)
        return;
    const char *status = cJSON_GetObjectItemCaseSensitive(exec, "Status")->valuestring;
    if (strcmp(status, "RUNNING") != 0) {
        if (ended_ok(exec, e)) {
            c->st.executions_checked++;
        } else {
            c->st.executions_bad++;
            failure(c, LOAD_GET_EXECUTION, "execution n=%.0f ended wrong: %.300s", e->n, c->body);
        }
        remember(c, e->arn);
        c->open[i] = c->open[--c->open_count];
    }
    cJSON_Delete(exec);
}

static void list_executions(client *c)
{
    static const char *const queries[] = {
        "?MaxItems=20",
        "?MaxItems=20&Statuses=RUNNING",
        "?MaxItems=10&ReverseOrder=true&Statuses=SUCCEEDED&Statuses=FAILED",
        "?Qualifier=%24LATEST&StartedAfter=2020-01-01T00%3A00%3A00Z&MaxItems=5",
    };
    char path[256];
    snprintf(path, sizeof path, "/2025-12-01/functions/" FUNCTION "/durable-executions%s",
             queries[pick(c, 4)]);
    if (request(c, LOAD_LIST, path, NULL, NULL, 200) != 0)
        return;
    cJSON *j = cJSON_Parse(c->body);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "DurableExecutions");
    bool ok = cJSON_IsArray(list);
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "FunctionArn");
        size_t fl = cJSON_IsString(f) ? strlen(f->valuestring) : 0;
        if (fl < 18 || strcmp(f->valuestring + fl - 18, ":function:" FUNCTION) != 0)
            ok = false;
    }
    if (!ok)
        failure(c, LOAD_LIST, "not a list of %s executions: %.200s", FUNCTION, c->body);
    cJSON_Delete(j);
}

/* Deliberate negative requests: ids nobody made must be 404
 * ResourceNotFoundException, and change nothing. */
static void unknown(client *c, bool callback)
{
    char path[1024], id[64];
    snprintf(id, sizeof id, "%016llx%016llx", (unsigned long long)next_rand(c),
             (unsigned long long)next_rand(c));
    load_route route = callback ? LOAD_CALLBACK_UNKNOWN : LOAD_GET_UNKNOWN;
    int rc;
    if (callback) {
        snprintf(path, sizeof path, "/2025-12-01/durable-execution-callbacks/%s/succeed", id);
        rc = request(c, route, path, "\"late\"", NULL, 404);
    } else {
        char arn[256];
        snprintf(arn, sizeof arn,
                 "arn:aws:lambda:us-east-1:123456789012:function:" FUNCTION
                 ":$LATEST/durable-execution/never-made/%s",
                 id);
        execution_path(path, sizeof path, arn, "");
        rc = request(c, route, path, NULL, NULL, 404);
    }
    if (rc == 0 && strcmp(c->err_type, "ResourceNotFoundException") != 0)
        failure(c, route, "error type '%s'", c->err_type);
}

static void read_known(client *c, bool history)
{
    const char *arn = known_arn(c);
    if (!arn)
        invoke_sync(c, LOAD_INVOKE_SYNC); /* nothing known yet: make one */
    else if (history)
        read_history(c, arn, NULL);
    else
        read_execution(c, arn, NULL);
}

/* One step of the mix (weights out of 100). */
static void act(client *c)
{
    int r = pick(c, 100);
    if (r < 18) {
        if (c->open_count < MAX_OPEN)
            invoke_event(c);
        else
            poll_open(c, pick(c, c->open_count));
    } else if (r < 30) {
        if (c->open_count)
            poll_open(c, pick(c, c->open_count));
        else
            read_known(c, false);
    } else if (r < 45) {
        invoke_sync(c, LOAD_INVOKE_SYNC);
    } else if (r < 50) {
        invoke_sync(c, LOAD_INVOKE_SYNC_WAIT);
    } else if (r < 55) {
        invoke_sync(c, LOAD_INVOKE_SYNC_FAIL);
    } else if (r < 72) {
        read_known(c, false);
    } else if (r < 84) {
        read_known(c, true);
    } else if (r < 94) {
        list_executions(c);
    } else {
        unknown(c, r >= 97);
    }
}

static void *client_main(void *arg)
{
    client *c = arg;
    load_phase *ph = c->ph;
    for (;;) {
        int64_t now = load_now_ms();
        if (now < atomic_load(&ph->end_ms) && atomic_load(&ph->budget) > 0) {
            act(c);
            continue;
        }
        /* The phase is over: finish what is open, at a gentle pace. */
        if (c->open_count == 0 || now >= atomic_load(&ph->drain_end_ms))
            break;
        poll_open(c, pick(c, c->open_count));
        load_sleep_ms(50);
    }
    for (int i = 0; i < c->open_count; i++) {
        c->st.executions_unfinished++;
        if (atomic_fetch_add(&ph->failures_printed, 1) < MAX_PRINTED)
            fprintf(stderr, "load: client %d: execution n=%.0f still open at the end: %s\n",
                    c->index, c->open[i].n, c->open[i].arn);
        free(c->open[i].arn);
    }
    c->open_count = 0;
    return NULL;
}

int load_clients_run(load_stats *out, load_phase *phase, int clients)
{
    client *cs = calloc((size_t)clients, sizeof *cs);
    pthread_t *ts = calloc((size_t)clients, sizeof *ts);
    bool *started = calloc((size_t)clients, sizeof *started);
    int rc = cs && ts && started ? 0 : -1;
    for (int i = 0; rc == 0 && i < clients; i++) {
        client *c = &cs[i];
        c->ph = phase;
        c->index = i;
        c->rng = phase->seed * 1000003u + (uint64_t)i;
        c->curl = curl_easy_init();
        if (!c->curl) {
            rc = -1;
            break;
        }
        curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
        if (pthread_create(&ts[i], NULL, client_main, c) != 0) {
            fprintf(stderr, "load: cannot start client %d\n", i);
            rc = -1;
            break;
        }
        started[i] = true;
    }
    if (rc != 0) { /* end the phase for those that started */
        atomic_store(&phase->end_ms, 0);
        atomic_store(&phase->drain_end_ms, 0);
    }
    for (int i = 0; cs && i < clients; i++) {
        client *c = &cs[i];
        if (started && started[i]) {
            pthread_join(ts[i], NULL);
            load_stats_add(out, &c->st);
        }
        if (c->curl)
            curl_easy_cleanup(c->curl); /* closes its connection */
        for (int k = 0; k < RECENT; k++)
            free(c->recent[k]);
        free(c->body);
    }
    free(cs);
    free(ts);
    free(started);
    return rc;
}
