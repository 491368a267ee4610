/* The wire of the front (HTTP_API.md §5, §6.1): raw paths split before they
 * are decoded, decoded query pairs, and the answers every route shares —
 * JSON bodies, x-amzn-RequestId, and AWS-shaped errors carrying both the
 * X-Amzn-ErrorType header and {"__type","Type","message"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"
#include "model/internal.h"
#include "model/uri.h"

int durable__http_pct_decode(char **out, size_t *out_len, const char *s, size_t len,
                             bool plus_space)
{
    char *d = durable__malloc(len + 1);
    if (!d)
        return durable__error_oom();
    size_t bad = 0;
    long n = durable__pct_decode(d, s, len, plus_space, &bad);
    if (n < 0) {
        durable_free(d);
        return durable__error_set(DURABLE_EINVAL, "Malformed percent-escape at byte %zu", bad);
    }
    d[n] = '\0';
    *out = d;
    if (out_len)
        *out_len = (size_t)n;
    return 0;
}

void durable__http_strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        durable_free(v[i]);
    durable_free(v);
}

int durable__http_split_path(char ***out, size_t *count, const char *raw_path)
{
    *out = NULL;
    *count = 0;
    const char *p = raw_path;
    if (*p == '/')
        p++;
    size_t n = 1;
    for (const char *q = p; *q; q++)
        n += *q == '/';
    char **v = durable__calloc(n, sizeof *v);
    if (!v)
        return durable__error_oom();
    size_t k = 0;
    while (1) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t dlen;
        int rc = durable__http_pct_decode(&v[k], &dlen, p, len, false);
        if (rc < 0) {
            durable__http_strv_free(v, k);
            return rc;
        }
        if (strlen(v[k]) != dlen) { /* an encoded NUL names nothing we serve */
            durable__http_strv_free(v, k + 1);
            return durable__error_set(DURABLE_EINVAL, "A path segment holds a NUL byte");
        }
        k++;
        if (!end)
            break;
        p = end + 1;
    }
    /* a trailing '/' leaves an empty last segment: drop it */
    if (k > 1 && v[k - 1][0] == '\0') {
        durable_free(v[k - 1]);
        k--;
    }
    *out = v;
    *count = k;
    return 0;
}

void durable__http_query_free(durable__hq *q, size_t n)
{
    if (!q)
        return;
    for (size_t i = 0; i < n; i++) {
        durable_free(q[i].key);
        durable_free(q[i].value);
    }
    durable_free(q);
}

int durable__http_parse_query(durable__hq **out, size_t *count, const char *raw)
{
    *out = NULL;
    *count = 0;
    if (!raw || !*raw)
        return 0;
    size_t n = 1;
    for (const char *q = raw; *q; q++)
        n += *q == '&';
    durable__hq *v = durable__calloc(n, sizeof *v);
    if (!v)
        return durable__error_oom();
    size_t k = 0;
    const char *p = raw;
    int rc = 0;
    while (rc == 0) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            /* '+' is taken as a space, form style: the official clients send a
             * literal '+' as %2B (HTTP_API.md §5). */
            rc = durable__http_pct_decode(&v[k].key, NULL, p, klen, true);
            if (rc == 0)
                rc = eq ? durable__http_pct_decode(&v[k].value, NULL, eq + 1, len - klen - 1, true)
                        : ((v[k].value = durable__strdup("")) ? 0 : durable__error_oom());
            k++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (rc < 0) {
        durable__http_query_free(v, k);
        return rc;
    }
    *out = v;
    *count = k;
    return 0;
}

const char *durable__http_query(const durable__hctx *c, const char *key)
{
    for (size_t i = 0; i < c->nquery; i++)
        if (strcmp(c->query[i].key, key) == 0)
            return c->query[i].value;
    return NULL;
}

const char *durable__http_header(const durable__hctx *c, const char *name)
{
    return c->conn ? MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name) : NULL;
}

int durable__http_add_header(durable__hctx *c, const char *name, const char *value)
{
    if (c->nheaders == DURABLE__HTTP_MAX_RESP_HEADERS)
        return durable__error_set(DURABLE_EINVAL, "too many response headers");
    char *n = durable__strdup(name), *v = durable__strdup(value);
    if (!n || !v) {
        durable_free(n);
        durable_free(v);
        return durable__error_oom();
    }
    c->hname[c->nheaders] = n;
    c->hvalue[c->nheaders++] = v;
    return 0;
}

void durable__http_reply_text(durable__hctx *c, int status, const char *content_type,
                              const char *body, size_t len)
{
    durable_free(c->resp_body);
    c->resp_body = NULL;
    c->resp_len = 0;
    c->status = status;
    c->content_type = content_type;
    if (len) {
        c->resp_body = durable__malloc(len);
        if (!c->resp_body) {
            c->status = 500;
            return;
        }
        memcpy(c->resp_body, body, len);
        c->resp_len = len;
    }
}

void durable__http_reply_json(durable__hctx *c, int status, cJSON *body)
{
    char *text = body ? durable_json_print(body) : NULL;
    cJSON_Delete(body);
    if (!text) {
        durable__http_reply_error(c, 500, "ServiceException", "Out of memory encoding the answer");
        return;
    }
    durable__http_reply_text(c, status, "application/json", text, strlen(text));
    durable_free(text);
}

void durable__http_reply_error(durable__hctx *c, int status, const char *type, const char *fmt,
                               ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Drop headers a route set before it failed (an ARN header on a 404
     * would mislead); the error type header goes in their place. */
    for (size_t i = 0; i < c->nheaders; i++) {
        durable_free(c->hname[i]);
        durable_free(c->hvalue[i]);
    }
    c->nheaders = 0;
    durable__http_add_header(c, "X-Amzn-ErrorType", type);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "__type", type);
        cJSON_AddStringToObject(o, "Type", status >= 500 ? "Server" : "User");
        cJSON_AddStringToObject(o, "message", msg);
    }
    char *text = o ? durable_json_print(o) : NULL;
    cJSON_Delete(o);
    c->status = status;
    if (text) {
        durable__http_reply_text(c, status, "application/json", text, strlen(text));
        durable_free(text);
    } else {
        static const char fallback[] = "{\"__type\":\"ServiceException\",\"message\":\"Out of memory\"}";
        durable__http_reply_text(c, 500, "application/json", fallback, sizeof fallback - 1);
    }
}

void durable__http_reply_engine_error(durable__hctx *c, int code)
{
    const durable_error *err = durable_error_last();
    const char *msg = err->message && *err->message ? err->message : durable_strerror(code);
    switch (code) {
    case DURABLE_ETOKEN:
        /* The SDKs match this prefix case-sensitively to tell a stale token
         * (retry the invocation) from other rejections (HTTP_API.md §7.1). */
        durable__http_reply_error(c, 400, "InvalidParameterValueException", "%s",
                                  strncmp(msg, "Invalid Checkpoint Token", 24) == 0
                                      ? msg
                                      : "Invalid Checkpoint Token");
        return;
    case DURABLE_EBUSY:
    case DURABLE_ETHROTTLED:
        durable__http_reply_error(c, 429, "TooManyRequestsException", "%s", msg);
        return;
    case DURABLE_ENOMEM:
    case DURABLE_EDB:
    case DURABLE_EIO:
    case DURABLE_ESERVER:
    case DURABLE_ERROR:
        durable__http_reply_error(c, 500, "ServiceException", "%s", msg);
        return;
    default:
        break;
    }
    /* The engine's message is "where: text", text being the service's own
     * words (SPEC). Clients match those words as a prefix, so they lead and
     * the place follows: "Callback has already been completed. (callback
     * … is SUCCEEDED)". */
    char reordered[1024];
    const char *sep = NULL;
    for (const char *p = strstr(msg, ": "); p; p = strstr(p + 2, ": "))
        sep = p;
    if (sep && sep[2]) {
        snprintf(reordered, sizeof reordered, "%s (%.*s)", sep + 2, (int)(sep - msg), msg);
        msg = reordered;
    }
    const char *type = durable_engine_exception_name(code);
    int status = 400;
    if (strcmp(type, "ResourceNotFoundException") == 0)
        status = 404;
    else if (strcmp(type, "DurableExecutionAlreadyStartedException") == 0)
        status = 409;
    else if (strcmp(type, "ServiceException") == 0)
        status = 500;
    durable__http_reply_error(c, status, type, "%s", msg);
}

void *durable__hreq_new(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    durable__hreq *r = durable__calloc(1, sizeof *r);
    if (r && !(r->raw_uri = durable__strdup(uri ? uri : "/"))) {
        durable_free(r);
        r = NULL;
    }
    return r;
}

void durable__hreq_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    durable__hreq *r = *con_cls;
    if (!r)
        return;
    durable_free(r->raw_uri);
    durable_free(r->body);
    durable_free(r);
    *con_cls = NULL;
}

int durable__hreq_collect(durable__hreq *r, const char *data, size_t *size, size_t max)
{
    if (!r->started) {
        r->started = true;
        return 0;
    }
    if (*size == 0)
        return 1;
    size_t n = *size;
    *size = 0;
    if (r->answered || r->too_large)
        return 0;
    if (r->body_len + n > max) {
        r->too_large = true;
        return 0;
    }
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 1024;
        while (cap < r->body_len + n + 1)
            cap *= 2;
        char *g = durable__realloc(r->body, cap);
        if (!g)
            return durable__error_oom();
        r->body = g;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return 0;
}
