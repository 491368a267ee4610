/* Function processes on the Lambda Runtime API. Each process (a sandbox) has
 * its own Runtime API endpoint (a loopback port in AWS_LAMBDA_RUNTIME_API),
 * as each Lambda execution environment has, so the server always knows
 * which process runs which invocation: a process that dies mid-invocation
 * becomes that invocation's Runtime.ExitError (SPEC §8.4). Processes start
 * on demand (a cold start), run one invocation at a time, end after an idle
 * time, and are killed with their whole process group. Their stdout and
 * stderr lines are kept in the file, tagged with the running invocation. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "http/http_internal.h"
#include "model/internal.h"

extern char **environ;

#define RUNTIME_PREFIX "/2018-06-01/runtime/"
#define MAX_LINE 65536

struct durable__sandbox {
    durable_http_server *srv;
    durable__fn *fn;
    pid_t pid;
    int out_fd, err_fd;
    struct MHD_Daemon *rt;
    int port;
    /* under srv->mu */
    bool claimed;       /* reserved for an invocation about to start */
    durable__job *job;  /* the invocation it runs (owned) */
    bool delivered;     /* job handed out by /next */
    bool dead;          /* process gone or being ended: take no work */
    durable_error_object *init_error; /* what it posted to init/error, for the
                                       * invocation it was started for */
    char exit_text[96];  /* how the process ended, once it has */
    int64_t idle_since; /* real ms */
    pthread_cond_t cond;
    durable__sandbox *next;
};

pid_t durable__sandbox_pid(const durable__sandbox *b)
{
    return b->pid;
}

durable__sandbox *durable__sandbox_next(const durable__sandbox *b)
{
    return b->next;
}

bool durable__sandbox_idle(const durable__sandbox *b)
{
    return !b->dead && !b->claimed && !b->job;
}

durable__sandbox *durable__sandbox_take_idle(durable_http_server *s, durable__fn *fn)
{
    pthread_mutex_lock(&s->mu);
    durable__sandbox *b = fn->boxes;
    while (b && !durable__sandbox_idle(b))
        b = b->next;
    if (b)
        b->claimed = true;
    pthread_mutex_unlock(&s->mu);
    return b;
}

void durable__sandbox_unclaim(durable_http_server *s, durable__sandbox *b)
{
    pthread_mutex_lock(&s->mu);
    b->claimed = false;
    b->idle_since = durable__http_real_ms();
    pthread_cond_broadcast(&b->cond); /* its watcher may wait to free it */
    pthread_mutex_unlock(&s->mu);
}

static void kill_group(durable__sandbox *b, int sig)
{
    if (b->pid > 0)
        kill(-b->pid, sig);
}

/* ---- the Runtime API of one sandbox ------------------------------------------------ */

static enum MHD_Result answer(struct MHD_Connection *conn, int status, const char *body,
                              const char *const *headers)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(r, headers[i], headers[i + 1]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result rt_error(struct MHD_Connection *conn, int status, const char *type,
                                const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "errorMessage", msg);
        cJSON_AddStringToObject(o, "errorType", type);
    }
    char *text = o ? durable_json_print(o) : NULL;
    cJSON_Delete(o);
    enum MHD_Result ret = answer(conn, status, text ? text : "{}", NULL);
    durable_free(text);
    return ret;
}

/* GET …/invocation/next: wait for this sandbox's next invocation. */
static enum MHD_Result next_invocation(durable__sandbox *b, struct MHD_Connection *conn)
{
    durable_http_server *s = b->srv;
    pthread_mutex_lock(&s->mu);
    b->idle_since = durable__http_real_ms();
    while ((!b->job || b->delivered) && !b->dead && !s->stopping)
        pthread_cond_wait(&b->cond, &s->mu);
    if (b->dead || s->stopping || !b->job) {
        pthread_mutex_unlock(&s->mu);
        return rt_error(conn, 500, "Runtime.Stopping", "The sandbox is being shut down");
    }
    b->delivered = true;
    char deadline[32];
    snprintf(deadline, sizeof deadline, "%lld", (long long)b->job->deadline_ms);
    char *event = durable__strdup(b->job->event);
    char *id = durable__strdup(b->job->invocation_id);
    char *farn = durable__strdup(b->job->function_arn);
    pthread_mutex_unlock(&s->mu);
    enum MHD_Result ret;
    if (!event || !id || !farn) {
        ret = rt_error(conn, 500, "Runtime.OutOfMemory", "out of memory");
    } else {
        /* An X-Ray trace id: 1-<epoch seconds, 8 hex>-<24 hex>, the hex
         * taken from the request id's digits. */
        char hex24[25];
        size_t nhex = 0;
        for (const char *p = id; *p && nhex < 24; p++)
            if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
                hex24[nhex++] = *p;
        while (nhex < 24)
            hex24[nhex++] = '0';
        hex24[24] = '\0';
        char trace[96];
        snprintf(trace, sizeof trace, "Root=1-%08llx-%s;Sampled=0",
                 (long long)(durable__http_real_ms() / 1000), hex24);
        const char *h[] = {"Lambda-Runtime-Aws-Request-Id", id,
                           "Lambda-Runtime-Deadline-Ms", deadline,
                           "Lambda-Runtime-Invoked-Function-Arn", farn,
                           "Lambda-Runtime-Trace-Id", trace,
                           NULL};
        ret = answer(conn, 200, event, h);
    }
    durable_free(event);
    durable_free(id);
    durable_free(farn);
    return ret;
}

/* Take the job whose id is `id` off the sandbox (mu NOT held); NULL if it
 * is not the one it runs. */
static durable__job *take_job(durable__sandbox *b, const char *id)
{
    durable_http_server *s = b->srv;
    pthread_mutex_lock(&s->mu);
    durable__job *j = NULL;
    if (b->job && b->delivered && strcmp(b->job->invocation_id, id) == 0) {
        j = b->job;
        b->job = NULL;
        b->delivered = false;
        b->idle_since = durable__http_real_ms();
    }
    pthread_mutex_unlock(&s->mu);
    return j;
}

static void job_done(durable__sandbox *b, durable__job *j)
{
    durable__job_free(j);
    durable__fn_release(b->srv, b->fn);
}

/* The body of …/error and …/init/error: {errorMessage, errorType,
 * stackTrace} as the runtimes send it. */
static void runtime_error_object(durable_error_object *out, struct MHD_Connection *conn,
                                 const char *body, size_t len, const char *dflt_type)
{
    memset(out, 0, sizeof *out);
    cJSON *j = NULL;
    if (len && durable_json_parse(&j, body, len) == 0 && cJSON_IsObject(j)) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "errorMessage");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "errorType");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "stackTrace");
        if (cJSON_IsString(m))
            out->error_message = durable__strdup(m->valuestring);
        if (cJSON_IsString(t) && *t->valuestring)
            out->error_type = durable__strdup(t->valuestring);
        if (cJSON_IsArray(st)) {
            int n = cJSON_GetArraySize(st);
            out->stack_trace = durable__calloc((size_t)n + 1, sizeof *out->stack_trace);
            for (int i = 0; out->stack_trace && i < n; i++) {
                const cJSON *line = cJSON_GetArrayItem(st, i);
                if (cJSON_IsString(line))
                    out->stack_trace[out->stack_trace_count++] = durable__strdup(line->valuestring);
            }
        }
    } else if (len) {
        out->error_message = durable__strndup(body, len);
    }
    cJSON_Delete(j);
    if (!out->error_type) {
        const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    "Lambda-Runtime-Function-Error-Type");
        out->error_type = durable__strdup(h && *h ? h : dflt_type);
    }
}

static enum MHD_Result rt_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)url;
    (void)version;
    durable__sandbox *b = cls;
    durable__hreq *r = *con_cls;
    if (!r)
        return MHD_NO;
    int more = durable__hreq_collect(r, upload_data, upload_data_size, DURABLE__HTTP_MAX_BODY);
    if (more < 0)
        return MHD_NO;
    if (more == 0)
        return MHD_YES;
    if (r->answered)
        return MHD_YES;
    r->answered = true;
    if (r->too_large)
        return rt_error(conn, 413, "RequestEntityTooLarge", "The response is larger than 6 MiB");
    const char *path = r->raw_uri;
    if (strncmp(path, RUNTIME_PREFIX, strlen(RUNTIME_PREFIX)) != 0)
        return rt_error(conn, 404, "InvalidRoute", "Unknown Runtime API route");
    path += strlen(RUNTIME_PREFIX);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    static const char accepted[] = "{\"status\":\"OK\"}";
    if (get && strcmp(path, "invocation/next") == 0)
        return next_invocation(b, conn);
    if (post && strcmp(path, "init/error") == 0) {
        durable_error_object err;
        runtime_error_object(&err, conn, r->body, r->body_len, "Runtime.InitError");
        durable__http_log(b->srv, "function %s failed to start: %s: %s", b->fn->name,
                          err.error_type ? err.error_type : "",
                          err.error_message ? err.error_message : "");
        pthread_mutex_lock(&b->srv->mu);
        b->dead = true; /* no invocation is handed to a process that failed to start */
        durable__job *j = b->job;
        b->job = NULL;
        /* The process may report before its first invocation is handed to
         * it (it starts at once): that invocation gets this error too. */
        if (!j && !b->init_error)
            durable_error_object_dup(&b->init_error, &err);
        pthread_cond_broadcast(&b->cond);
        pthread_mutex_unlock(&b->srv->mu);
        if (j) {
            durable__invocation_finish_error(b->srv, j->arn, j->invocation_id, &err);
            job_done(b, j);
        }
        durable_error_object_clear(&err);
        kill_group(b, SIGKILL);
        return answer(conn, 202, accepted, NULL);
    }
    if (post && strncmp(path, "invocation/", 11) == 0) {
        const char *id = path + 11;
        const char *slash = strchr(id, '/');
        if (slash && (strcmp(slash, "/response") == 0 || strcmp(slash, "/error") == 0)) {
            char *rid = durable__strndup(id, (size_t)(slash - id));
            durable__job *j = rid ? take_job(b, rid) : NULL;
            durable_free(rid);
            if (!j)
                return rt_error(conn, 400, "InvalidRequestID",
                                "This sandbox runs no invocation with that request id");
            if (strcmp(slash, "/response") == 0) {
                durable__invocation_finish_output(b->srv, j->arn, j->invocation_id,
                                                  r->body ? r->body : "", r->body_len);
            } else {
                durable_error_object err;
                runtime_error_object(&err, conn, r->body, r->body_len, "Runtime.Unknown");
                durable__invocation_finish_error(b->srv, j->arn, j->invocation_id, &err);
                durable_error_object_clear(&err);
            }
            job_done(b, j);
            return answer(conn, 202, accepted, NULL);
        }
    }
    return rt_error(conn, 404, "InvalidRoute", "Unknown Runtime API route");
}

/* ---- output capture --------------------------------------------------------------- */

typedef struct line_buf {
    char *data;
    size_t len;
    const char *stream;
} line_buf;

typedef struct log_batch {
    const char *fn;
    const char *arn;
    const char *invocation_id;
    const char *stream;
    int64_t read_ms; /* real time: log readers compare with wall clocks */
    const char *const *lines;
    size_t count;
} log_batch;

static int append_logs(durable_engine *e, void *arg)
{
    log_batch *lb = arg;
    int rc = durable_engine_append_function_logs(e, lb->fn, lb->arn, lb->invocation_id,
                                                 lb->stream, lb->read_ms, lb->lines, lb->count);
    if (rc == DURABLE_ENOTFOUND) /* the execution is gone: keep the lines untagged */
        rc = durable_engine_append_function_logs(e, lb->fn, NULL, NULL, lb->stream, lb->read_ms,
                                                 lb->lines, lb->count);
    return rc;
}

/* Bytes that are not UTF-8 become '?': a log line is text, and one bad
 * byte must not lose the line. */
static void make_utf8(char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)p[i];
        size_t k = ch < 0x80 ? 1 : (ch >> 5) == 6 ? 2 : (ch >> 4) == 14 ? 3 : (ch >> 3) == 30 ? 4 : 0;
        bool ok = k > 0 && i + k <= n && !(k == 2 && ch < 0xC2) && !(k == 4 && ch > 0xF4);
        for (size_t j = 1; ok && j < k; j++)
            ok = ((unsigned char)p[i + j] & 0xC0) == 0x80;
        if (ok && k == 3) { /* no overlong forms, no surrogates */
            unsigned char c1 = (unsigned char)p[i + 1];
            ok = !(ch == 0xE0 && c1 < 0xA0) && !(ch == 0xED && c1 >= 0xA0);
        }
        if (ok && k == 4) {
            unsigned char c1 = (unsigned char)p[i + 1];
            ok = !(ch == 0xF0 && c1 < 0x90) && !(ch == 0xF4 && c1 >= 0x90);
        }
        if (!ok) {
            p[i++] = '?';
            continue;
        }
        i += k;
    }
}

/* Keep the complete lines of lb (the rest waits for its newline). */
static void flush_lines(durable__sandbox *b, line_buf *lb, bool all)
{
    const char *lines[256];
    size_t count = 0, start = 0;
    for (size_t i = 0; i < lb->len && count < 256; i++) {
        if (lb->data[i] == '\n' || i - start >= MAX_LINE) {
            lb->data[i] = '\0';
            if (i > start && lb->data[i - 1] == '\r')
                lb->data[i - 1] = '\0';
            make_utf8(lb->data + start, strlen(lb->data + start));
            lines[count++] = lb->data + start;
            start = i + 1;
        }
    }
    if (all && start < lb->len && count < 256) {
        lb->data[lb->len] = '\0';
        make_utf8(lb->data + start, lb->len - start);
        lines[count++] = lb->data + start;
        start = lb->len;
    }
    if (count == 0)
        return;
    durable_http_server *s = b->srv;
    char *arn = NULL, *inv = NULL;
    pthread_mutex_lock(&s->mu);
    if (b->job && b->delivered) {
        arn = durable__strdup(b->job->arn);
        inv = durable__strdup(b->job->invocation_id);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < count; i++)
        durable__http_log(s, "[%s %s] %s", b->fn->name, lb->stream, lines[i]);
    log_batch batch = {b->fn->name, arn, arn ? inv : NULL, lb->stream,
                       durable__http_real_ms(), lines, count};
    if (s->engine)
        durable_server_call(s->engine, append_logs, &batch);
    durable_free(arn);
    durable_free(inv);
    memmove(lb->data, lb->data + start, lb->len - start);
    lb->len -= start;
}

static void append_bytes(durable__sandbox *b, line_buf *lb, const char *chunk, size_t n)
{
    char *g = durable__realloc(lb->data, lb->len + n + 1);
    if (!g)
        return; /* the lines are lost, the process goes on */
    lb->data = g;
    memcpy(lb->data + lb->len, chunk, n);
    lb->len += n;
    flush_lines(b, lb, false);
}

/* One read; false once the pipe is closed. */
static bool read_into(durable__sandbox *b, int fd, line_buf *lb)
{
    char chunk[8192];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0)
        return n < 0 && (errno == EAGAIN || errno == EINTR);
    append_bytes(b, lb, chunk, (size_t)n);
    return true;
}

/* What is left in a pipe once the process is gone (a grandchild may still
 * hold it open, so never wait). */
static void drain(durable__sandbox *b, int fd, line_buf *lb)
{
    char chunk[8192];
    ssize_t n;
    size_t total = 0;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (total < (16u << 20) && (n = read(fd, chunk, sizeof chunk)) > 0) {
        append_bytes(b, lb, chunk, (size_t)n);
        total += (size_t)n;
    }
}

static void exit_text(char *buf, size_t size, int status)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "signal: %s", WTERMSIG(status) == SIGKILL ? "killed"
                                                                       : strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
}

static void unlink_box(durable__sandbox *b)
{
    durable__fn *fn = b->fn;
    for (durable__sandbox **p = &fn->boxes; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            break;
        }
    fn->box_count--;
}

/* The watcher: keeps the process's output until it exits, then turns a
 * death mid-invocation into the invocation's error and removes the box. */
static void *watch(void *arg)
{
    durable__sandbox *b = arg;
    durable_http_server *s = b->srv;
    line_buf out = {NULL, 0, "stdout"}, err = {NULL, 0, "stderr"};
    bool out_open = true, err_open = true, exited = false;
    int status = 0;
    while (!exited || out_open || err_open) {
        struct pollfd p[2] = {{b->out_fd, out_open ? POLLIN : 0, 0},
                              {b->err_fd, err_open ? POLLIN : 0, 0}};
        int n = poll(p, 2, 200);
        if (n > 0) {
            if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                out_open = read_into(b, b->out_fd, &out);
            if (err_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
                err_open = read_into(b, b->err_fd, &err);
        }
        if (!exited && waitpid(b->pid, &status, WNOHANG) == b->pid) {
            exited = true;
            kill_group(b, SIGKILL);
            if (out_open)
                drain(b, b->out_fd, &out);
            if (err_open)
                drain(b, b->err_fd, &err);
            out_open = err_open = false;
        }
    }
    flush_lines(b, &out, true);
    flush_lines(b, &err, true);
    durable_free(out.data);
    durable_free(err.data);
    close(b->out_fd);
    close(b->err_fd);

    char why[96];
    exit_text(why, sizeof why, status);
    pthread_mutex_lock(&s->mu);
    b->dead = true;
    snprintf(b->exit_text, sizeof b->exit_text, "%s", why);
    durable__job *j = b->job;
    b->job = NULL;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&s->mu);
    durable__http_log(s, "function %s process %d ended (%s)", b->fn->name, (int)b->pid, why);
    if (j) {
        durable_invocation_outcome o = {0};
        int rc = durable_server_crash_invocation(&o, s->engine, j->arn, j->invocation_id, why);
        durable__invocation_recorded(s, j->arn, rc, &o);
        job_done(b, j);
    }
    MHD_stop_daemon(b->rt);
    pthread_mutex_lock(&s->mu);
    /* The scheduler may hold it claimed for an invocation it is starting:
     * the box must outlive that (assign or unclaim releases it). */
    while (b->claimed)
        pthread_cond_wait(&b->cond, &s->mu);
    unlink_box(b);
    s->change_seq++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&b->cond);
    durable_error_object_free(b->init_error);
    durable_free(b);
    return NULL;
}

/* ---- spawning ----------------------------------------------------------------------- */

static int env_add(char ***env, size_t *n, size_t *cap, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    char *entry = durable__malloc(nlen + strlen(value) + 2);
    if (!entry)
        return durable__error_oom();
    sprintf(entry, "%s=%s", name, value);
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*env)[i], name, nlen) == 0 && (*env)[i][nlen] == '=') {
            durable_free((*env)[i]);
            (*env)[i] = entry;
            return 0;
        }
    if (*n + 2 > *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        char **g = durable__realloc(*env, c * sizeof *g);
        if (!g) {
            durable_free(entry);
            return durable__error_oom();
        }
        *env = g;
        *cap = c;
    }
    (*env)[(*n)++] = entry;
    (*env)[*n] = NULL;
    return 0;
}

/* The environment Lambda gives a function, pointing back at this server. */
static int build_env(char ***out, durable_http_server *s, durable__fn *fn, int rt_port)
{
    char **env = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (char **e = environ; rc == 0 && e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char name[256];
        size_t nl = (size_t)(eq - *e) < sizeof name - 1 ? (size_t)(eq - *e) : sizeof name - 1;
        memcpy(name, *e, nl);
        name[nl] = '\0';
        /* the caller's session token would sign for another identity */
        if (strcmp(name, "AWS_SESSION_TOKEN") != 0)
            rc = env_add(&env, &n, &cap, name, eq + 1);
    }
    char port[80], key_id[160] = "AKIDLOCALDURABLE", secret[300] = "local-durable-secret";
    snprintf(port, sizeof port, "127.0.0.1:%d", rt_port);
    if (s->auth_key_count) { /* sign with a key the server accepts */
        const char *colon = strchr(s->auth_keys[0], ':');
        snprintf(key_id, sizeof key_id, "%.*s", (int)(colon - s->auth_keys[0]), s->auth_keys[0]);
        snprintf(secret, sizeof secret, "%s", colon + 1);
    }
    char group[200];
    snprintf(group, sizeof group, "/aws/lambda/%s", fn->name);
    const char *pairs[][2] = {
        {"AWS_LAMBDA_RUNTIME_API", port},
        {"AWS_LAMBDA_FUNCTION_NAME", fn->name},
        {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"},
        {"AWS_LAMBDA_LOG_GROUP_NAME", group},
        {"_HANDLER", fn->handler_name},
        {"AWS_REGION", s->region},
        {"AWS_DEFAULT_REGION", s->region},
        {"AWS_ACCESS_KEY_ID", key_id},
        {"AWS_SECRET_ACCESS_KEY", secret},
        {"AWS_ENDPOINT_URL_LAMBDA", s->url},
    };
    for (size_t i = 0; rc == 0 && i < sizeof pairs / sizeof pairs[0]; i++)
        rc = env_add(&env, &n, &cap, pairs[i][0], pairs[i][1]);
    for (size_t i = 0; rc == 0 && i < fn->env_count; i++) {
        char *eq = strchr(fn->env[i], '=');
        *eq = '\0';
        rc = env_add(&env, &n, &cap, fn->env[i], eq + 1);
        *eq = '=';
    }
    memset(secret, 0, sizeof secret);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            durable_free(env[i]);
        durable_free(env);
        return rc;
    }
    *out = env;
    return 0;
}

int durable__sandbox_spawn(durable_http_server *s, durable__fn *fn, durable__sandbox **out)
{
    durable__sandbox *b = durable__calloc(1, sizeof *b);
    if (!b)
        return durable__error_oom();
    b->srv = s;
    b->fn = fn;
    b->claimed = true;
    b->out_fd = b->err_fd = -1;
    pthread_cond_init(&b->cond, NULL);
    struct sockaddr_in a4;
    memset(&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b->rt = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                             NULL, NULL, rt_request, b, MHD_OPTION_SOCK_ADDR,
                             (struct sockaddr *)&a4, MHD_OPTION_URI_LOG_CALLBACK,
                             durable__hreq_new, b, MHD_OPTION_NOTIFY_COMPLETED, durable__hreq_done,
                             b, MHD_OPTION_END);
    if (!b->rt) {
        pthread_cond_destroy(&b->cond);
        durable_free(b);
        return durable__error_set(DURABLE_EIO, "cannot open a Runtime API port for %s", fn->name);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(b->rt, MHD_DAEMON_INFO_BIND_PORT);
    b->port = info ? info->port : 0;
    char **env = NULL;
    int rc = build_env(&env, s, fn, b->port);
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (rc == 0 && (pipe(outp) != 0 || pipe(errp) != 0))
        rc = durable__error_set(DURABLE_EIO, "pipe: %s", strerror(errno));
    if (rc == 0) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
        posix_spawn_file_actions_addclose(&fa, outp[0]);
        posix_spawn_file_actions_addclose(&fa, errp[0]);
        /* its own process group, so ending it ends whatever it started */
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
        char *argv[] = {"sh", "-c", fn->command, NULL};
        int e = posix_spawn(&b->pid, "/bin/sh", &fa, &at, argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (e != 0)
            rc = durable__error_set(DURABLE_EIO, "cannot start %s: %s", fn->name, strerror(e));
    }
    if (outp[1] >= 0)
        close(outp[1]);
    if (errp[1] >= 0)
        close(errp[1]);
    for (size_t i = 0; env && env[i]; i++)
        durable_free(env[i]);
    durable_free(env);
    if (rc < 0) {
        if (outp[0] >= 0)
            close(outp[0]);
        if (errp[0] >= 0)
            close(errp[0]);
        MHD_stop_daemon(b->rt);
        pthread_cond_destroy(&b->cond);
        durable_free(b);
        return rc;
    }
    fcntl(outp[0], F_SETFD, FD_CLOEXEC);
    fcntl(errp[0], F_SETFD, FD_CLOEXEC);
    b->out_fd = outp[0];
    b->err_fd = errp[0];
    b->idle_since = durable__http_real_ms();
    pthread_mutex_lock(&s->mu);
    b->next = fn->boxes;
    fn->boxes = b;
    fn->box_count++;
    pthread_mutex_unlock(&s->mu);
    durable__http_log(s, "function %s: started process %d (Runtime API 127.0.0.1:%d)", fn->name,
                      (int)b->pid, b->port);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, watch, b) != 0) {
        /* Without a watcher nobody would reap it: end it now; the box stays
         * dead in the list until stop. */
        kill_group(b, SIGKILL);
        waitpid(b->pid, NULL, 0);
        pthread_mutex_lock(&s->mu);
        b->dead = true;
        pthread_mutex_unlock(&s->mu);
        pthread_attr_destroy(&attr);
        return durable__error_set(DURABLE_EIO, "cannot watch the process of %s", fn->name);
    }
    pthread_attr_destroy(&attr);
    *out = b;
    return 0;
}

int durable__sandbox_assign(durable_http_server *s, durable__sandbox *b, durable__job *job)
{
    durable__fn *fn = b->fn; /* b may be freed once it is unclaimed */
    pthread_mutex_lock(&s->mu);
    if (b->dead) {
        /* It failed to start, or died, before its first invocation reached
         * it: that invocation ends with what happened to it. */
        durable_error_object *init = NULL;
        if (b->init_error)
            durable_error_object_dup(&init, b->init_error);
        char why[96];
        snprintf(why, sizeof why, "%s", b->exit_text[0] ? b->exit_text : "signal: killed");
        b->claimed = false;
        pthread_cond_broadcast(&b->cond);
        pthread_mutex_unlock(&s->mu);
        if (init) {
            durable__invocation_finish_error(s, job->arn, job->invocation_id, init);
        } else {
            durable_invocation_outcome o = {0};
            int rc = durable_server_crash_invocation(&o, s->engine, job->arn, job->invocation_id,
                                                     why);
            durable__invocation_recorded(s, job->arn, rc, &o);
        }
        durable_error_object_free(init);
        durable__job_free(job);
        durable__fn_release(s, fn);
        return 0;
    }
    b->job = job;
    b->delivered = false;
    b->claimed = false;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void durable__sandbox_tick(durable_http_server *s, durable__fn *fn, int64_t now)
{
    pthread_mutex_lock(&s->mu);
    for (durable__sandbox *b = fn->boxes; b; b = b->next) {
        if (b->dead)
            continue;
        if (durable__sandbox_idle(b) && now - b->idle_since >= s->opts.idle_timeout_ms) {
            b->dead = true; /* ended as Lambda ends an idle environment */
            pthread_cond_broadcast(&b->cond);
            kill_group(b, SIGTERM);
        } else if (b->job && now > b->job->deadline_ms + 1000) {
            /* Past its invocation timeout: the engine closed the invocation
             * with Sandbox.Timedout; end the process as Lambda would. */
            b->dead = true;
            pthread_cond_broadcast(&b->cond);
            kill_group(b, SIGKILL);
        }
    }
    pthread_mutex_unlock(&s->mu);
}

void durable__sandbox_kill_all(durable_http_server *s, durable__fn *fn)
{
    pthread_mutex_lock(&s->mu);
    for (durable__sandbox *b = fn->boxes; b; b = b->next) {
        b->dead = true;
        pthread_cond_broadcast(&b->cond);
        kill_group(b, SIGTERM);
    }
    /* Give them a moment to end on their own, then end them. */
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 2;
    while (fn->box_count > 0 &&
           pthread_cond_timedwait(&s->changed, &s->mu, &dl) == 0)
        ;
    for (durable__sandbox *b = fn->boxes; b; b = b->next)
        kill_group(b, SIGKILL);
    pthread_mutex_unlock(&s->mu);
}
