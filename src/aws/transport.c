/* Sending one API call: a pooled libcurl handle (so connections stay alive
 * between calls), the signed request, and the retry loop of HTTP_API.md
 * §2.2 (429, 5xx and network failures, with bounded exponential backoff). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/aws_internal.h"

void durable__aws_resp_clear(durable__aws_resp *r)
{
    if (!r)
        return;
    durable_free(r->body);
    for (size_t i = 0; i < r->header_count; i++)
        durable_free(r->headers[i]);
    durable_free(r->headers);
    memset(r, 0, sizeof *r);
}

const char *durable__aws_resp_header(const durable__aws_resp *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->header_count; i++) {
        const char *h = r->headers[i];
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            h += n + 1;
            while (*h == ' ' || *h == '\t')
                h++;
            return h;
        }
    }
    return NULL;
}

/* ---- receiving ---------------------------------------------------------------- */

typedef struct sink {
    durable__aws_resp *resp;
    durable__strbuf body;
    int oom;
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    sink *s = user;
    durable__strbuf_put(&s->body, data, size * n);
    return s->body.oom ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    sink *s = user;
    durable__aws_resp *r = s->resp;
    size_t len = size * n;
    /* A new status line (after a 100 Continue or a redirect) starts over. */
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        for (size_t i = 0; i < r->header_count; i++)
            durable_free(r->headers[i]);
        r->header_count = 0;
        return len;
    }
    while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    if (!len || !memchr(data, ':', len))
        return size * n;
    if (r->header_count == r->header_cap) {
        size_t cap = r->header_cap ? r->header_cap * 2 : 16;
        char **p = durable__realloc(r->headers, cap * sizeof *p);
        if (!p) {
            s->oom = 1;
            return 0;
        }
        r->headers = p;
        r->header_cap = cap;
    }
    char *h = durable__strndup(data, len);
    if (!h) {
        s->oom = 1;
        return 0;
    }
    r->headers[r->header_count++] = h;
    return size * n;
}

/* ---- the handle pool ------------------------------------------------------------ */

static CURL *take_handle(durable_aws_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_count)
        h = c->pool[--c->pool_count];
    pthread_mutex_unlock(&c->pool_mu);
    if (h) {
        /* Keeps the handle's live connections; forgets the options. */
        curl_easy_reset(h);
        return h;
    }
    return curl_easy_init();
}

static void give_handle(durable_aws_client *c, CURL *h)
{
    pthread_mutex_lock(&c->pool_mu);
    if (c->pool_count == c->pool_cap) {
        size_t cap = c->pool_cap ? c->pool_cap * 2 : 4;
        CURL **p = durable__realloc(c->pool, cap * sizeof *p);
        if (p) {
            c->pool = p;
            c->pool_cap = cap;
        }
    }
    if (c->pool_count < c->pool_cap) {
        c->pool[c->pool_count++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    curl_easy_cleanup(h); /* only when the pool could not grow */
}

/* ---- one attempt -------------------------------------------------------------- */

typedef struct attempt {
    CURLcode cc;
    char errbuf[CURL_ERROR_SIZE];
    bool sent;   /* the request may have reached the server */
} attempt;

static long remaining_ms(durable_aws_client *c, long timeout_ms)
{
    int64_t deadline = atomic_load(&c->deadline_ms);
    if (!deadline)
        return timeout_ms;
    int64_t left = deadline - durable__aws_now_ms();
    if (left < 1)
        left = 1;
    return timeout_ms <= 0 || left < timeout_ms ? (long)left : timeout_ms;
}

static struct curl_slist *add_line(struct curl_slist *l, bool *oom, const char *line)
{
    struct curl_slist *n = *oom || !line ? NULL : curl_slist_append(l, line);
    if (!n)
        *oom = true;
    return n ? n : l;
}

static struct curl_slist *add(struct curl_slist *l, bool *oom, const char *name,
                              const char *value)
{
    char *line = *oom ? NULL : durable__sprintf("%s: %s", name, value);
    l = add_line(l, oom, line);
    durable_free(line);
    return l;
}

/* Build, sign and perform one request. Returns 0 or DURABLE_ENOMEM. */
static int perform(durable_aws_client *c, CURL *h, const durable__aws_call *call,
                   durable__aws_resp *resp, attempt *a)
{
    char amz_date[17];
    durable__aws_amz_date(amz_date, durable__aws_now_ms() / 1000);
    char *path = durable__sprintf("%s%s", c->base_path, call->path);
    char *url = path ? durable__sprintf("%s%s%s%s", c->endpoint, call->path,
                                        call->query && *call->query ? "?" : "",
                                        call->query ? call->query : "")
                     : NULL;
    /* The signed headers: exactly those sent besides Host. */
    durable__aws_header signed_hs[12];
    size_t n = 0;
    signed_hs[n++] = (durable__aws_header){"X-Amz-Date", amz_date};
    if (call->content_type)
        signed_hs[n++] = (durable__aws_header){"Content-Type", call->content_type};
    if (c->session_token)
        signed_hs[n++] = (durable__aws_header){"X-Amz-Security-Token", c->session_token};
    for (size_t i = 0; i < call->header_count && n < 12; i++)
        signed_hs[n++] = call->headers[i];
    durable__aws_sign_input in = {call->method, c->host, path, call->query, signed_hs, n,
                                  call->body, call->body_len, amz_date, c->region, "lambda",
                                  c->access_key_id, c->secret_access_key};
    char *auth = path ? durable__aws_sigv4(&in) : NULL;

    bool oom = !url || !auth;
    struct curl_slist *hl = NULL;
    hl = add(hl, &oom, "Host", c->host);
    hl = add(hl, &oom, "Authorization", auth ? auth : "");
    for (size_t i = 0; i < n; i++)
        hl = add(hl, &oom, signed_hs[i].name, signed_hs[i].value);
    /* No form Content-Type for a bodyless POST, no 100-continue round trip,
     * no Accept line the clients never send. */
    if (!call->content_type)
        hl = add_line(hl, &oom, "Content-Type:");
    hl = add_line(hl, &oom, "Expect:");
    hl = add_line(hl, &oom, "Accept:");
    durable_free(auth);
    durable_free(path);
    if (oom || !hl) {
        curl_slist_free_all(hl);
        durable_free(url);
        return DURABLE_ENOMEM;
    }

    durable__aws_exchange_req rq = {call->method, url, hl, call->body, call->body_len,
                                    remaining_ms(c, c->connect_timeout_ms),
                                    remaining_ms(c, call->timeout_ms ? call->timeout_ms
                                                                     : c->request_timeout_ms),
                                    c->share, c->user_agent, false};
    int rc = durable__aws_exchange(h, &rq, resp, &a->cc, a->errbuf, &a->sent);
    curl_slist_free_all(hl);
    durable_free(url);
    return rc;
}

int durable__aws_exchange(CURL *h, const durable__aws_exchange_req *rq, durable__aws_resp *resp,
                          CURLcode *cc, char errbuf[CURL_ERROR_SIZE], bool *sent)
{
    sink s = {resp, {0}, 0};
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, rq->headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (rq->share)
        curl_easy_setopt(h, CURLOPT_SHARE, rq->share);
    if (rq->user_agent)
        curl_easy_setopt(h, CURLOPT_USERAGENT, rq->user_agent);
    if (rq->no_proxy)
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
    if (!strcmp(rq->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        if (strcmp(rq->method, "POST"))
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    *cc = curl_easy_perform(h);
    if (s.oom || s.body.oom) {
        durable_free(s.body.p);
        return DURABLE_ENOMEM;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_off_t up = 0;
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
    long reqsize = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize);
    *sent = reqsize > 0 || up > 0;
    resp->body = s.body.p ? s.body.p : durable__strdup("");
    resp->body_len = s.body.len;
    return resp->body ? 0 : DURABLE_ENOMEM;
}

/* ---- retries --------------------------------------------------------------------- */

static bool retryable_status(long status)
{
    return status == 429 || status >= 500;
}

/* A wait of d = initial * 2^(retry-1) capped at max, drawn in [d/2, d] so
 * clients that failed together do not retry together. */
static long backoff_ms(const durable_aws_client *c, int retry)
{
    static _Thread_local uint64_t seed;
    if (!seed)
        seed = (uint64_t)durable__aws_now_ms() ^ (uint64_t)(uintptr_t)&seed;
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    long d = c->backoff_initial_ms;
    for (int i = 1; i < retry && d < c->backoff_max_ms; i++)
        d *= 2;
    if (d > c->backoff_max_ms)
        d = c->backoff_max_ms;
    long half = d / 2;
    return half + (long)(seed % (uint64_t)(d - half + 1));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int durable__aws_send(durable_aws_client *c, durable__aws_resp *out, const durable__aws_call *call)
{
    CURL *h = take_handle(c);
    if (!h)
        return durable__aws_error_local(DURABLE_ENOMEM, "%s: cannot create a libcurl handle",
                                        call->what);
    int rc = 0;
    attempt a;
    for (int tries = 1;; tries++) {
        durable__aws_resp_clear(out);
        rc = perform(c, h, call, out, &a);
        if (rc != 0) {
            rc = durable__aws_error_local(rc, "%s: out of memory", call->what);
            break;
        }
        bool network = a.cc != CURLE_OK;
        bool again = network ? (call->retry == DURABLE__RETRY_ALL || !a.sent)
                             : retryable_status(out->status);
        int64_t deadline = atomic_load(&c->deadline_ms);
        long wait = again && tries < c->max_attempts ? backoff_ms(c, tries) : -1;
        if (wait >= 0 && deadline && durable__aws_now_ms() + wait >= deadline)
            wait = -1; /* no time left for another try */
        if (wait >= 0) {
            sleep_ms(wait);
            continue;
        }
        if (network) {
            char detail[CURL_ERROR_SIZE + 64];
            snprintf(detail, sizeof detail, "%s%s%s", curl_easy_strerror(a.cc),
                     a.errbuf[0] ? ": " : "", a.errbuf);
            rc = durable__aws_error_network(detail, tries, call->what);
        } else if (out->status < 200 || out->status > 299) {
            rc = durable__aws_error_from_response(out, tries, call->what);
        } else {
            durable__aws_error_reset();
            rc = 0;
        }
        break;
    }
    give_handle(c, h);
    if (rc != 0)
        durable__aws_resp_clear(out);
    return rc;
}

int durable__aws_call_json(durable_aws_client *c, const durable__aws_call *call,
                           durable__aws_decode_fn decode, void *out)
{
    durable__aws_resp resp = {0};
    int rc = durable__aws_send(c, &resp, call);
    if (rc != 0)
        return rc;
    cJSON *json = NULL;
    /* A bodyless success decodes as {} (HTTP_API.md §6.1). */
    rc = resp.body_len ? durable_json_parse(&json, resp.body, resp.body_len)
                       : ((json = cJSON_CreateObject()) ? 0 : DURABLE_ENOMEM);
    if (rc == 0)
        rc = decode(out, json);
    cJSON_Delete(json);
    if (rc != 0) {
        durable__error_prefix("%s: unexpected response body", call->what);
        rc = durable__aws_error_local(rc == DURABLE_ENOMEM ? rc : DURABLE_EPARSE, "%s",
                                      durable_error_last()->message);
    }
    durable__aws_resp_clear(&resp);
    return rc;
}

int durable__aws_route(durable_aws_client *c, const durable__aws_route_spec *r,
                       durable__strbuf *query, durable__aws_decode_fn decode, void *out)
{
    char *q = query ? durable__strbuf_take(query) : NULL;
    char *path = durable__aws_path(r->prefix, r->segment, r->suffix);
    int rc;
    if (!path || (query && !q)) {
        rc = durable__aws_error_local(DURABLE_ENOMEM, "%s: out of memory", r->what);
    } else {
        durable__aws_call call = {r->method, path, q, r->body, r->body_len, r->content_type,
                                  NULL, 0, 0, DURABLE__RETRY_ALL, r->what};
        rc = durable__aws_call_json(c, &call, decode, out);
    }
    durable_free(q);
    durable_free(path);
    return rc;
}

char *durable__aws_error_json(const durable_error_object *e, const char *what)
{
    cJSON *json = NULL;
    int rc = durable_error_object_to_json(&json, e);
    char *body = rc == 0 ? durable_json_print(json) : NULL;
    cJSON_Delete(json);
    if (!body)
        durable__aws_error_local(rc ? rc : DURABLE_ENOMEM, "%s: %s", what,
                                 rc ? durable_error_last()->message : "out of memory");
    return body;
}
