/*
 * A scripted HTTP server for the aws suites (libmicrohttpd, one thread per
 * connection, an ephemeral port): it records every request as received
 * (raw path and query, headers, body), counts accepted connections, and
 * answers from a script, a responder function, or 200 {} (not API; static
 * functions for the test programs that include it).
 */
#ifndef DURABLE_TESTS_AWS_FAKE_H
#define DURABLE_TESTS_AWS_FAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#define FAKE_MAX_REQS 128
#define FAKE_MAX_SCRIPT 32

typedef struct fake_req {
    char method[16];
    char *path;  /* raw, as on the request line */
    char *query; /* raw, "" when none */
    char **headers; /* "Name: value" */
    size_t header_count;
    char *body;
    size_t body_len;
} fake_req;

/* status 0: drop the connection without answering. */
typedef struct fake_reply {
    int status;
    const char *body;        /* NULL: empty */
    const char *headers[6];  /* "Name: value" */
    int delay_ms;            /* wait before answering */
} fake_reply;

typedef struct fake fake;
typedef fake_reply (*fake_fn)(fake *f, const fake_req *req, void *user);

struct fake {
    struct MHD_Daemon *d;
    int port;
    char url[64];
    pthread_mutex_t mu;
    fake_req reqs[FAKE_MAX_REQS];
    size_t req_count;
    fake_reply script[FAKE_MAX_SCRIPT];
    size_t script_count, script_next;
    fake_fn fn;
    void *fn_user;
    int connections;
};

typedef struct fake_conn {
    char *uri;
    char *body;
    size_t len, cap;
    bool started;
} fake_conn;

static inline char *fake_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    memcpy(p, s, n);
    return p;
}

static inline void *fake_uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    fake_conn *fc = calloc(1, sizeof *fc);
    fc->uri = fake_strdup(uri);
    return fc;
}

static inline void fake_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)con;
    (void)toe;
    fake_conn *fc = *con_cls;
    if (fc) {
        free(fc->uri);
        free(fc->body);
        free(fc);
        *con_cls = NULL;
    }
}

static inline void fake_notify(void *cls, struct MHD_Connection *con, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    (void)con;
    (void)socket_context;
    fake *f = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&f->mu);
        f->connections++;
        pthread_mutex_unlock(&f->mu);
    }
}

static inline enum MHD_Result fake_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    fake_req *r = cls;
    size_t n = strlen(key) + strlen(value ? value : "") + 3;
    char *line = malloc(n);
    snprintf(line, n, "%s: %s", key, value ? value : "");
    r->headers = realloc(r->headers, (r->header_count + 1) * sizeof *r->headers);
    r->headers[r->header_count++] = line;
    return MHD_YES;
}

static inline void fake_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static inline enum MHD_Result fake_access(void *cls, struct MHD_Connection *con, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    fake *f = cls;
    fake_conn *fc = *con_cls;
    if (!fc->started) {
        fc->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (fc->len + *upload_size + 1 > fc->cap) {
            fc->cap = (fc->len + *upload_size + 1) * 2;
            fc->body = realloc(fc->body, fc->cap);
        }
        memcpy(fc->body + fc->len, upload_data, *upload_size);
        fc->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    fake_req r;
    memset(&r, 0, sizeof r);
    snprintf(r.method, sizeof r.method, "%s", method);
    const char *q = strchr(fc->uri, '?');
    size_t plen = q ? (size_t)(q - fc->uri) : strlen(fc->uri);
    r.path = malloc(plen + 1);
    memcpy(r.path, fc->uri, plen);
    r.path[plen] = '\0';
    r.query = fake_strdup(q ? q + 1 : "");
    MHD_get_connection_values(con, MHD_HEADER_KIND, fake_header, &r);
    r.body = malloc(fc->len + 1);
    if (fc->len)
        memcpy(r.body, fc->body, fc->len);
    r.body[fc->len] = '\0';
    r.body_len = fc->len;

    fake_reply reply = {200, "{}", {NULL}, 0};
    pthread_mutex_lock(&f->mu);
    size_t index = f->req_count;
    if (f->req_count < FAKE_MAX_REQS)
        f->reqs[f->req_count++] = r;
    bool scripted = f->script_next < f->script_count;
    if (scripted)
        reply = f->script[f->script_next++];
    fake_fn fn = f->fn;
    void *fn_user = f->fn_user;
    pthread_mutex_unlock(&f->mu);
    if (!scripted && fn)
        reply = fn(f, index < FAKE_MAX_REQS ? &f->reqs[index] : &r, fn_user);
    if (index >= FAKE_MAX_REQS) {
        free(r.path);
        free(r.query);
        for (size_t i = 0; i < r.header_count; i++)
            free(r.headers[i]);
        free(r.headers);
        free(r.body);
    }
    if (reply.delay_ms)
        fake_sleep_ms(reply.delay_ms);
    if (reply.status == 0)
        return MHD_NO; /* drops the connection */
    const char *body = reply.body ? reply.body : "";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    for (int i = 0; i < 6 && reply.headers[i]; i++) {
        char name[128];
        const char *colon = strchr(reply.headers[i], ':');
        size_t n = (size_t)(colon - reply.headers[i]);
        memcpy(name, reply.headers[i], n);
        name[n] = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        MHD_add_response_header(resp, name, v);
    }
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)reply.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static inline void fake_start(fake *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, fake_access, f, MHD_OPTION_URI_LOG_CALLBACK, fake_uri_log,
                            f, MHD_OPTION_NOTIFY_COMPLETED, fake_completed, f,
                            MHD_OPTION_NOTIFY_CONNECTION, fake_notify, f,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!f->d) {
        fprintf(stderr, "fake: MHD_start_daemon failed\n");
        abort();
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info->port;
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
}

static inline void fake_stop(fake *f)
{
    if (f->d)
        MHD_stop_daemon(f->d);
    f->d = NULL;
    for (size_t i = 0; i < f->req_count; i++) {
        fake_req *r = &f->reqs[i];
        free(r->path);
        free(r->query);
        for (size_t k = 0; k < r->header_count; k++)
            free(r->headers[k]);
        free(r->headers);
        free(r->body);
    }
    f->req_count = 0;
    pthread_mutex_destroy(&f->mu);
}

/* Append a scripted reply (answered in order before the responder). */
static inline void fake_script(fake *f, fake_reply reply)
{
    pthread_mutex_lock(&f->mu);
    if (f->script_count < FAKE_MAX_SCRIPT)
        f->script[f->script_count++] = reply;
    pthread_mutex_unlock(&f->mu);
}

static inline void fake_respond_with(fake *f, fake_fn fn, void *user)
{
    pthread_mutex_lock(&f->mu);
    f->fn = fn;
    f->fn_user = user;
    pthread_mutex_unlock(&f->mu);
}

static inline size_t fake_count(fake *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->req_count;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static inline int fake_connections(fake *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->connections;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Recorded request i (stable once recorded). */
static inline const fake_req *fake_get(fake *f, size_t i)
{
    pthread_mutex_lock(&f->mu);
    const fake_req *r = i < f->req_count ? &f->reqs[i] : NULL;
    pthread_mutex_unlock(&f->mu);
    return r;
}

/* A request header's value (case-insensitive name); NULL if absent. */
static inline const char *fake_header_of(const fake_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->header_count; i++)
        if (!strncasecmp(r->headers[i], name, n) && r->headers[i][n] == ':')
            return r->headers[i] + n + 2;
    return NULL;
}

#endif
