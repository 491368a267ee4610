/*
 * One invocation of a handler through the SDK entry point, in this process
 * or — crash isolation — in a forked child that opens its own engine on the
 * database file and reports its output and log lines over a pipe, as a
 * Lambda sandbox would. SDK side: never includes engine.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/context.h"
#include "model/internal.h"
#include "sdk/invocation.h"
#include "testing/testing_internal.h"

static void capture_line(void *user, durable_log_level level, const char *line)
{
    (void)level;
    (void)durable__run_add_log(user, line);
}

static void invocation_options(durable_invocation_options *o, durable__run *run,
                               const char *request_id)
{
    const durable__opts *ro = &run->runner->opts;
    durable_invocation_options def = DURABLE_INVOCATION_OPTIONS_INIT;
    *o = def;
    o->request_id = request_id;
    o->logger.level = (durable_log_level)ro->log_level;
    o->logger.log_during_replay = ro->log_during_replay;
    o->logger.sink = capture_line;
    o->logger.sink_user = run;
    o->plugins = ro->plugins;
    o->plugin_count = ro->plugin_count;
    o->clock = durable__tenv_clock();
}

int durable__invoke_inprocess(durable_invocation_output *out, durable__run *run,
                              durable_client *client, durable_invocation_input *input,
                              const char *request_id, durable__tst_handler handler, void *user)
{
    durable_invocation_options o;
    invocation_options(&o, run, request_id);
    return durable__handle_invocation_take(out, client, input, (durable_handler_fn)handler, user,
                                           &o, durable__tenv_worker());
}

/* ---- crash isolation --------------------------------------------------------- */

/* Records on the pipe: one tag byte, a 4-byte length, the bytes. */
enum { REC_LOG = 'L', REC_OUTPUT = 'O', REC_INV_ERROR = 'E', REC_FAILURE = 'X' };

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_record(int fd, char tag, const char *data)
{
    uint32_t len = (uint32_t)(data ? strlen(data) : 0);
    char head[5];
    head[0] = tag;
    memcpy(head + 1, &len, 4);
    if (write_all(fd, head, 5) < 0)
        return -1;
    return len ? write_all(fd, data, len) : 0;
}

static int read_all(int fd, void *p, size_t n)
{
    char *c = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return got == 0 ? 0 : -1; /* EOF (clean only between records) */
        got += (size_t)r;
    }
    return 1;
}

typedef struct child_sink {
    int fd;
} child_sink;

static void child_line(void *user, durable_log_level level, const char *line)
{
    (void)level;
    child_sink *s = user;
    (void)write_record(s->fd, REC_LOG, line);
}

/* Runs in the child; never returns. */
static void child_main(int fd, durable__run *run, const durable_invocation_input *input,
                       const char *request_id, durable__tst_handler handler, void *user,
                       const char *path, int clock_kind, int64_t clock_value)
{
    durable__child_engine *ce = NULL;
    durable_client *client = NULL;
    int rc = durable__child_engine_open(&ce, &client, path, clock_kind, clock_value);
    if (rc < 0) {
        (void)write_record(fd, REC_FAILURE, durable_error_last()->message);
        _exit(3);
    }
    child_sink sink = { fd };
    durable_invocation_options o;
    invocation_options(&o, run, request_id);
    o.logger.sink = child_line;
    o.logger.sink_user = &sink;
    durable_invocation_output out;
    memset(&out, 0, sizeof out);
    /* No checkpoint worker: the environment's has no thread in this process. */
    rc = durable_handle_invocation(&out, client, input, (durable_handler_fn)handler, user, &o);
    cJSON *json = NULL;
    char *text = NULL;
    char tag = REC_FAILURE;
    if (rc == 0 && durable_invocation_output_to_json(&json, &out) == 0) {
        tag = REC_OUTPUT;
    } else if (rc == DURABLE_EINVOCATION && out.error &&
               durable_error_object_to_json(&json, out.error) == 0) {
        tag = REC_INV_ERROR;
    }
    if (json)
        text = durable_json_print(json);
    cJSON_Delete(json);
    (void)write_record(fd, tag, text ? text : durable_error_last()->message);
    durable_free(text);
    durable_invocation_output_clear(&out);
    durable__child_engine_close(ce);
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

static char *exit_text(int status)
{
    if (WIFEXITED(status))
        return durable__sprintf("exit status %d", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = NULL;
        switch (sig) {
        case SIGKILL: name = "killed"; break;
        case SIGABRT: name = "aborted"; break;
        case SIGSEGV: name = "segmentation fault"; break;
        case SIGTERM: name = "terminated"; break;
        case SIGBUS: name = "bus error"; break;
        case SIGFPE: name = "floating point exception"; break;
        case SIGILL: name = "illegal instruction"; break;
        default: break;
        }
        if (name)
            return durable__sprintf("signal: %s", name);
        return durable__sprintf("signal: %d", sig);
    }
    return durable__sprintf("unknown wait status %d", status);
}

int durable__invoke_forked(durable_invocation_output *out, char **exit_status,
                           durable__run *run, const durable_invocation_input *input,
                           const char *request_id, durable__tst_handler handler, void *user)
{
    *exit_status = NULL;
    const durable__tenv_cfg *cfg = durable__tenv_config();
    if (!cfg)
        return durable__error_set(DURABLE_ENOTSETUP, "EnvironmentNotSetUp: crash isolation "
                                                     "needs the test environment");
    if (!durable__tenv_is_file())
        return durable__error_set(DURABLE_EINVAL,
                                  "crash isolation needs a file database (the environment uses "
                                  "%s): a forked child opens its own engine on the file",
                                  cfg->db_path);
    int kind = DURABLE__CLOCK_REAL;
    int64_t value = 0;
    if (cfg->skip_time && cfg->deterministic) {
        kind = DURABLE__CLOCK_FIXED;
        value = durable__tenv_now();
    } else if (cfg->skip_time) {
        kind = DURABLE__CLOCK_OFFSET;
        value = durable__tenv_offset();
    }
    int fds[2];
    if (pipe(fds) < 0)
        return durable__error_set(DURABLE_EIO, "crash isolation: pipe failed: %s",
                                  strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return durable__error_set(DURABLE_EIO, "crash isolation: fork failed: %s", strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], run, input, request_id, handler, user, cfg->db_path, kind, value);
    }
    close(fds[1]);

    int rc = 0;
    char tag = 0;
    char *payload = NULL;
    for (;;) {
        char head[5];
        int r = read_all(fds[0], head, 5);
        if (r <= 0)
            break;
        uint32_t len;
        memcpy(&len, head + 1, 4);
        char *data = durable__malloc((size_t)len + 1);
        if (!data || (len && read_all(fds[0], data, len) <= 0)) {
            durable_free(data);
            break;
        }
        data[len] = '\0';
        if (head[0] == REC_LOG) {
            (void)durable__run_add_log(run, data);
            durable_free(data);
        } else {
            durable_free(payload);
            payload = data;
            tag = head[0];
        }
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;

    if (tag == REC_OUTPUT || tag == REC_INV_ERROR) {
        cJSON *json = NULL;
        rc = durable_json_parse(&json, payload, strlen(payload));
        if (rc == 0 && tag == REC_OUTPUT) {
            rc = durable_invocation_output_from_json(out, json);
        } else if (rc == 0) {
            out->status = DURABLE_INVOCATION_STATUS_NONE;
            out->error = durable__calloc(1, sizeof *out->error);
            rc = out->error ? durable_error_object_from_json(out->error, json)
                            : durable__error_oom();
            if (rc == 0)
                rc = DURABLE_EINVOCATION;
        }
        cJSON_Delete(json);
    } else if (tag == REC_FAILURE) {
        rc = durable__error_set(DURABLE_ERROR, "crash isolation: the child process failed: %s",
                                payload ? payload : "");
    } else {
        *exit_status = exit_text(status);
        rc = *exit_status ? durable__error_set(DURABLE_EIO,
                                               "invocation %s: the child process %d ended "
                                               "without an output (%s)",
                                               request_id, (int)pid, *exit_status)
                          : durable__error_oom();
    }
    durable_free(payload);
    return rc;
}
