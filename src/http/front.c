/* The front's server: options, function registration, the libmicrohttpd
 * daemon (one thread per connection, so a RequestResponse Invoke may block
 * its own connection without holding up any other), request bodies, and
 * turning each routed answer into an HTTP response. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "http/http_internal.h"
#include "model/internal.h"

int64_t durable__http_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void durable__http_log(durable_http_server *s, const char *fmt, ...)
{
    if (!s->opts.log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->opts.log(s->opts.log_user, line);
}

void durable__http_notify(durable_http_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->change_seq++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}

void durable__http_exec_maybe_closed(durable_http_server *s, const char *arn)
{
    pthread_mutex_lock(&s->mu);
    for (durable__waiter *w = s->waiters; w; w = w->next)
        if (!arn || strcmp(w->arn, arn) == 0) {
            w->maybe_closed = true;
            pthread_cond_signal(&w->cv);
        }
    pthread_mutex_unlock(&s->mu);
}

static bool valid_name(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len < 1 || len > DURABLE_MAX_FUNCTION_NAME_LEN)
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

int durable__http_function_name(char **name, char **qualifier, const char *text)
{
    *name = *qualifier = NULL;
    const char *n = text, *q = NULL;
    size_t nlen;
    if (strncmp(text, "arn:", 4) == 0) {
        /* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] */
        const char *f = strstr(text, ":function:");
        if (!f)
            return durable__error_set(DURABLE_EINVAL, "not a function ARN");
        n = f + 10;
    }
    const char *colon = strchr(n, ':');
    nlen = colon ? (size_t)(colon - n) : strlen(n);
    if (colon)
        q = colon + 1;
    *name = durable__strndup(n, nlen);
    if (!*name)
        return durable__error_oom();
    if (!valid_name(*name) || (q && (!*q || strchr(q, ':')))) {
        durable_free(*name);
        *name = NULL;
        return durable__error_set(DURABLE_EINVAL, "invalid function name");
    }
    if (q && !(*qualifier = durable__strdup(q))) {
        durable_free(*name);
        *name = NULL;
        return durable__error_oom();
    }
    return 0;
}

int durable__http_function_arn(char **out, const durable_http_server *s, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "arn:aws:lambda:%s:%s:function:%s", s->region, s->account, name);
    *out = durable__strdup(buf);
    return *out ? 0 : durable__error_oom();
}

durable__fn *durable__http_find_fn_n(durable_http_server *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->fn_count; i++)
        if (strlen(s->fns[i].name) == len && memcmp(s->fns[i].name, name, len) == 0)
            return &s->fns[i];
    return NULL;
}

durable__fn *durable__http_find_fn(durable_http_server *s, const char *name)
{
    return durable__http_find_fn_n(s, name, strlen(name));
}

/* ---- options and registration ------------------------------------------------ */

static char *dup_or(const char *v, const char *dflt)
{
    return durable__strdup(v ? v : dflt);
}

int durable_http_server_new(durable_http_server **out, const durable_http_options *opts)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_http_server_new: out is required");
    *out = NULL;
    if (!opts || !opts->db_path || !*opts->db_path)
        return durable__error_set(DURABLE_EINVAL, "durable_http_server_new: db_path is required");
    if (opts->port < 0 || opts->port > 65535 || opts->concurrency < 1 ||
        opts->idle_timeout_ms < 0 || opts->connection_timeout_s < 0 ||
        opts->invocation_timeout_seconds < 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_http_server_new: port 0-65535, concurrency >= 1, "
                                  "timeouts >= 0");
    durable_http_server *s = durable__calloc(1, sizeof *s);
    if (!s)
        return durable__error_oom();
    s->opts = *opts;
    s->db_path = durable__strdup(opts->db_path);
    s->host = dup_or(opts->host, "127.0.0.1");
    s->region = dup_or(opts->region, "us-east-1");
    s->account = dup_or(opts->account, "123456789012");
    int rc = (s->db_path && s->host && s->region && s->account) ? 0 : durable__error_oom();
    if (rc == 0 && opts->auth_key_count) {
        s->auth_keys = durable__calloc(opts->auth_key_count, sizeof *s->auth_keys);
        for (size_t i = 0; s->auth_keys && i < opts->auth_key_count; i++) {
            const char *k = opts->auth_keys[i];
            if (!k || !strchr(k, ':') || k[0] == ':') {
                rc = durable__error_set(DURABLE_EINVAL,
                                        "auth_keys[%zu]: expected KEY_ID:SECRET", i);
                break;
            }
            if (!(s->auth_keys[i] = durable__strdup(k))) {
                rc = durable__error_oom();
                break;
            }
            s->auth_key_count = i + 1;
        }
        if (!s->auth_keys && rc == 0)
            rc = durable__error_oom();
    }
    if (rc == 0 && opts->auth_file && !(s->auth_file = durable__strdup(opts->auth_file)))
        rc = durable__error_oom();
    s->opts.db_path = s->db_path;
    s->opts.host = s->host;
    s->opts.region = s->region;
    s->opts.account = s->account;
    s->opts.auth_keys = NULL;
    s->opts.auth_file = s->auth_file;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->self_pid = getpid();
    if (rc < 0) {
        durable_http_server_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int add_fn(durable_http_server *s, const char *name, durable__fn **out,
                  const durable_http_function_options *opts)
{
    if (!s || !valid_name(name))
        return durable__error_set(DURABLE_EINVAL,
                                  "function name must be 1-140 of [a-zA-Z0-9-_]: %s",
                                  name ? name : "(null)");
    if (s->started)
        return durable__error_set(DURABLE_ESTATE, "functions are registered before start");
    if (durable__http_find_fn(s, name))
        return durable__error_set(DURABLE_EEXISTS, "function %s is already registered", name);
    durable__fn *grown = durable__realloc(s->fns, (s->fn_count + 1) * sizeof *grown);
    if (!grown)
        return durable__error_oom();
    s->fns = grown;
    durable__fn *fn = &s->fns[s->fn_count];
    memset(fn, 0, sizeof *fn);
    fn->name = durable__strdup(name);
    fn->handler_name = durable__strdup(opts && opts->handler ? opts->handler : name);
    if (!fn->name || !fn->handler_name)
        goto oom;
    if (opts) {
        fn->execution_timeout_seconds = opts->execution_timeout_seconds;
        if (opts->env_count) {
            fn->env = durable__calloc(opts->env_count, sizeof *fn->env);
            if (!fn->env)
                goto oom;
            for (size_t i = 0; i < opts->env_count; i++) {
                if (!opts->env[i] || !strchr(opts->env[i], '=')) {
                    durable__error_set(DURABLE_EINVAL, "env[%zu]: expected NAME=value", i);
                    fn->env_count = i;
                    goto fail;
                }
                if (!(fn->env[i] = durable__strdup(opts->env[i]))) {
                    fn->env_count = i;
                    goto oom;
                }
            }
            fn->env_count = opts->env_count;
        }
    }
    s->fn_count++;
    *out = fn;
    return 0;
oom:
    durable__error_oom();
fail:
    durable_free(fn->name);
    durable_free(fn->handler_name);
    durable__http_strv_free(fn->env, fn->env_count);
    return durable_error_last()->code;
}

int durable_http_register_handler(durable_http_server *s, const char *name,
                                  durable_handler_fn handler, void *user,
                                  const durable_http_function_options *opts)
{
    if (!handler)
        return durable__error_set(DURABLE_EINVAL, "durable_http_register_handler: no handler");
    durable__fn *fn;
    int rc = add_fn(s, name, &fn, opts);
    if (rc < 0)
        return rc;
    fn->kind = DURABLE__FN_HANDLER;
    fn->handler = handler;
    fn->user = user;
    return 0;
}

int durable_http_register_command(durable_http_server *s, const char *name, const char *command,
                                  const durable_http_function_options *opts)
{
    if (!command || !*command)
        return durable__error_set(DURABLE_EINVAL, "durable_http_register_command: no command");
    durable__fn *fn;
    int rc = add_fn(s, name, &fn, opts);
    if (rc < 0)
        return rc;
    fn->kind = DURABLE__FN_COMMAND;
    if (!(fn->command = durable__strdup(command))) {
        s->fn_count--;
        durable_free(fn->name);
        durable_free(fn->handler_name);
        durable__http_strv_free(fn->env, fn->env_count);
        return durable__error_oom();
    }
    return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

static void new_request_id(char *out)
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

static enum MHD_Result send_answer(durable__hctx *c)
{
    new_request_id(c->request_id); /* only answered requests need one */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(c->resp_len, c->resp_body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    if (c->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, c->content_type);
    MHD_add_response_header(resp, "x-amzn-RequestId", c->request_id);
    for (size_t i = 0; i < c->nheaders; i++)
        MHD_add_response_header(resp, c->hname[i], c->hvalue[i]);
    enum MHD_Result ret = MHD_queue_response(c->conn, (unsigned)c->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void ctx_clear(durable__hctx *c)
{
    durable__http_strv_free(c->seg, c->nseg);
    durable__http_query_free(c->query, c->nquery);
    durable_free(c->resp_body);
    for (size_t i = 0; i < c->nheaders; i++) {
        durable_free(c->hname[i]);
        durable_free(c->hvalue[i]);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)url;
    (void)version;
    durable_http_server *s = cls;
    durable__hreq *r = *con_cls;
    if (!r)
        return MHD_NO;
    durable__hctx c;
    memset(&c, 0, sizeof c);
    c.srv = s;
    c.conn = conn;
    c.method = method;
    if (!r->started) {
        /* First call: headers only. Refuse a body that will not fit before
         * reading it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > DURABLE__HTTP_MAX_BODY) {
            r->started = r->answered = true;
            durable__http_reply_error(&c, 413, "RequestTooLargeException",
                                      "Request must be smaller than %d bytes for the Invoke "
                                      "operation",
                                      DURABLE__HTTP_MAX_INVOKE_PAYLOAD);
            enum MHD_Result ret = send_answer(&c);
            ctx_clear(&c);
            return ret;
        }
    }
    int more = durable__hreq_collect(r, upload_data, upload_data_size, DURABLE__HTTP_MAX_BODY);
    if (more < 0)
        return MHD_NO;
    if (more == 0)
        return MHD_YES;
    if (r->answered)
        return MHD_YES;
    r->answered = true;
    if (r->too_large) {
        durable__http_reply_error(&c, 413, "RequestTooLargeException",
                                  "Request must be smaller than %d bytes for the Invoke operation",
                                  DURABLE__HTTP_MAX_INVOKE_PAYLOAD);
    } else {
        char *q = strchr(r->raw_uri, '?');
        if (q)
            *q = '\0';
        c.raw_path = r->raw_uri;
        c.body = r->body ? r->body : "";
        c.body_len = r->body_len;
        int rc = durable__http_split_path(&c.seg, &c.nseg, r->raw_uri);
        if (rc == 0)
            rc = durable__http_parse_query(&c.query, &c.nquery, q ? q + 1 : NULL);
        if (rc < 0)
            durable__http_reply_error(&c, 400, "InvalidParameterValueException", "%s",
                                      durable_error_last()->message);
        else if (durable__sigv4_gate(&c, q ? q + 1 : ""))
            durable__http_route(&c);
        if (q)
            *q = '?';
    }
    durable__http_log(s, "%s %s -> %d", method, r->raw_uri, c.status);
    enum MHD_Result ret = send_answer(&c);
    ctx_clear(&c);
    return ret;
}

/* ---- routing ---------------------------------------------------------------------- */

static bool is(const durable__hctx *c, size_t i, const char *s)
{
    return i < c->nseg && strcmp(c->seg[i], s) == 0;
}

void durable__http_route(durable__hctx *c)
{
    bool get = strcmp(c->method, "GET") == 0, post = strcmp(c->method, "POST") == 0;
    if (is(c, 0, "2025-12-01") && is(c, 1, "durable-executions") && c->nseg >= 3 &&
        c->nseg <= 4) {
        const char *arn = c->seg[2];
        if (c->nseg == 3 && get)
            return durable__route_get_execution(c, arn);
        if (c->nseg == 4 && post && is(c, 3, "checkpoint"))
            return durable__route_checkpoint(c, arn);
        if (c->nseg == 4 && get && is(c, 3, "state"))
            return durable__route_state(c, arn);
        if (c->nseg == 4 && get && is(c, 3, "history"))
            return durable__route_history(c, arn);
        if (c->nseg == 4 && post && is(c, 3, "stop"))
            return durable__route_stop(c, arn);
    } else if (is(c, 0, "2025-12-01") && is(c, 1, "functions") && c->nseg == 4 &&
               is(c, 3, "durable-executions") && get) {
        return durable__route_list(c, c->seg[2]);
    } else if (is(c, 0, "2025-12-01") && is(c, 1, "durable-execution-callbacks") &&
               c->nseg == 4 && post &&
               (is(c, 3, "succeed") || is(c, 3, "fail") || is(c, 3, "heartbeat"))) {
        return durable__route_callback(c, c->seg[2], c->seg[3]);
    } else if (is(c, 0, "2015-03-31") && is(c, 1, "functions") && c->nseg == 4 &&
               is(c, 3, "invocations") && post) {
        return durable__route_invoke(c, c->seg[2]);
    }
    durable__http_reply_error(c, 404, "ResourceNotFoundException", "Unknown route: %s %s",
                              c->method, c->raw_path);
}

/* ---- start / stop ------------------------------------------------------------------ */

int durable_http_server_start(durable_http_server *s)
{
    if (!s)
        return durable__error_set(DURABLE_EINVAL, "durable_http_server_start: no server");
    if (s->started)
        return durable__error_set(DURABLE_ESTATE, "the server is already started");
    int rc = 0;
    if (!s->keys && (rc = durable__sigv4_gate_load(s)) < 0)
        return rc;
    if (s->opts.skip_time && (rc = durable_vclock_new(&s->vclock, DURABLE_VCLOCK_OFFSET, 0)) < 0)
        return rc;
    durable_server_options so = DURABLE_SERVER_OPTIONS_INIT;
    so.path = s->db_path;
    so.engine.clock = s->vclock ? durable_vclock_clock(s->vclock) : NULL;
    so.engine.region = s->region;
    so.engine.account = s->account;
    so.engine.invocation_timeout_seconds = s->opts.invocation_timeout_seconds;
    so.engine.default_execution_timeout_seconds = s->opts.default_execution_timeout_seconds;
    so.engine.invocation_retry_backoff_ms = s->opts.invocation_retry_backoff_ms;
    /* Polling for replies pays off for one in-process client; here many
     * connection threads share two cores, so sleep instead. */
    so.spin_us = 0;
    if ((rc = durable_server_start(&s->engine, &so)) < 0)
        goto fail;
    if ((rc = durable__sched_recover(s)) < 0)
        goto fail;

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (strchr(s->host, ':')) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)s->opts.port);
        if (inet_pton(AF_INET6, s->host, &a6->sin6_addr) != 1)
            rc = -1;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)s->opts.port);
        if (inet_pton(AF_INET, s->host, &a4->sin_addr) != 1)
            rc = -1;
    }
    if (rc < 0) {
        rc = durable__error_set(DURABLE_EINVAL, "not an IP address to listen on: %s", s->host);
        goto fail;
    }
    s->daemon = MHD_start_daemon(flags, (uint16_t)s->opts.port, NULL, NULL, on_request, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_URI_LOG_CALLBACK, durable__hreq_new, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, durable__hreq_done, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)s->opts.connection_timeout_s,
                                 MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    if (!s->daemon) {
        rc = durable__error_set(DURABLE_EIO, "cannot listen on %s:%d (in use, or not an address "
                                             "of this machine)",
                                s->host, s->opts.port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->opts.port;
    if (strchr(s->host, ':'))
        snprintf(s->url, sizeof s->url, "http://[%s]:%d", s->host, s->port);
    else
        snprintf(s->url, sizeof s->url, "http://%s:%d", s->host, s->port);
    s->started = true;
    if ((rc = durable__sched_start(s)) < 0) {
        durable_http_server_stop(s);
        return rc;
    }
    return 0;
fail:
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    durable_server_free(s->engine);
    s->engine = NULL;
    durable_vclock_free(s->vclock);
    s->vclock = NULL;
    return rc;
}

int durable_http_server_port(const durable_http_server *s)
{
    return s ? s->port : 0;
}

const char *durable_http_server_url(const durable_http_server *s)
{
    return s ? s->url : "";
}

void durable_http_server_stop(durable_http_server *s)
{
    if (!s || !s->started)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    s->change_seq++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
    durable__http_exec_maybe_closed(s, NULL); /* blocked Invokes answer 503 */
    durable__sched_stop(s);
    durable__fn_stop_all(s);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    durable_server_free(s->engine);
    s->engine = NULL;
    durable_vclock_free(s->vclock);
    s->vclock = NULL;
    s->started = false;
}

void durable_http_server_free(durable_http_server *s)
{
    if (!s)
        return;
    durable_http_server_stop(s);
    for (size_t i = 0; i < s->fn_count; i++) {
        durable__fn *fn = &s->fns[i];
        durable_free(fn->name);
        durable_free(fn->handler_name);
        durable_free(fn->command);
        durable__http_strv_free(fn->env, fn->env_count);
    }
    durable_free(s->fns);
    durable__http_strv_free(s->auth_keys, s->auth_key_count);
    durable_free(s->auth_file);
    durable__sigv4_keys_free(s->keys);
    durable_free(s->db_path);
    durable_free(s->host);
    durable_free(s->region);
    durable_free(s->account);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->changed);
    durable_free(s);
}
