/* Running invocations: capacity per function, in-process C handlers on
 * their own threads, and the end of every invocation (an output completes
 * it, an error fails it: SPEC §8.3, §8.4). Processes on the Runtime API are
 * sandbox.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/http_internal.h"
#include "model/internal.h"

void durable__job_free(durable__job *j)
{
    if (!j)
        return;
    durable_free(j->arn);
    durable_free(j->invocation_id);
    durable_free(j->function_arn);
    durable_free(j->event);
    durable_invocation_input_clear(&j->input);
    durable_free(j);
}

void durable__fn_release(durable_http_server *s, durable__fn *fn)
{
    pthread_mutex_lock(&s->mu);
    if (fn->running > 0)
        fn->running--;
    s->change_seq++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}

void durable__invocation_recorded(durable_http_server *s, const char *arn, int rc,
                                  const durable_invocation_outcome *o)
{
    if (rc == 0 && o->status != DURABLE_EXEC_RUNNING)
        durable__http_exec_maybe_closed(s, arn);
    if (rc < 0)
        durable__http_log(s, "invocation of %s not recorded: %s", arn,
                          durable_error_last()->message);
    else if (o->ignored)
        durable__http_log(s, "invocation of %s had been closed already; its output is ignored", arn);
    else
        durable__http_log(s, "invocation of %s done: execution %s", arn,
                          durable_exec_status_name(o->status));
}

void durable__invocation_finish_error(durable_http_server *s, const char *arn,
                                      const char *invocation_id,
                                      const durable_error_object *err)
{
    durable_invocation_outcome o = {0};
    int rc = durable_server_fail_invocation(&o, s->engine, arn, invocation_id, err);
    durable__invocation_recorded(s, arn, rc, &o);
}

void durable__invocation_finish_output(durable_http_server *s, const char *arn,
                                       const char *invocation_id, const char *output,
                                       size_t len)
{
    cJSON *json = NULL;
    if (durable_json_parse(&json, output, len) < 0) {
        /* Output that is not JSON is an invocation error (SPEC §8.4). */
        char msg[512];
        snprintf(msg, sizeof msg, "RequestId: %s Error: the function's response is not valid "
                                  "JSON (%s)",
                 invocation_id, durable_error_last()->message);
        durable_error_object err = {0};
        err.error_type = "Runtime.InvalidResponse";
        err.error_message = msg;
        durable__invocation_finish_error(s, arn, invocation_id, &err);
        return;
    }
    durable_invocation_output out;
    memset(&out, 0, sizeof out);
    /* JSON of another shape (an unknown Status, a missing one) completes
     * with no status: the engine closes the execution with
     * InvalidInvocationOutput, as SPEC §8.3 says for "anything else". */
    if (durable_invocation_output_from_json(&out, json) < 0) {
        durable_invocation_output_clear(&out);
        memset(&out, 0, sizeof out);
    }
    cJSON_Delete(json);
    durable_invocation_outcome o = {0};
    int rc = durable_server_complete_invocation(&o, s->engine, arn, invocation_id, &out);
    durable_invocation_output_clear(&out);
    durable__invocation_recorded(s, arn, rc, &o);
}

/* ---- in-process handlers ---------------------------------------------------------- */

typedef struct handler_run {
    durable_http_server *srv;
    durable__fn *fn;
    durable__job *job;
} handler_run;

static void *handler_thread(void *arg)
{
    handler_run *hr = arg;
    durable_http_server *s = hr->srv;
    durable__job *job = hr->job;
    durable_client *client = NULL;
    durable_invocation_output out;
    memset(&out, 0, sizeof out);
    int rc = durable_engine_client_new(&client, s->engine);
    if (rc == 0) {
        durable_invocation_options io = DURABLE_INVOCATION_OPTIONS_INIT;
        io.request_id = job->invocation_id;
        rc = durable_handle_invocation(&out, client, &job->input, hr->fn->handler, hr->fn->user,
                                       &io);
    }
    if (rc == 0) {
        durable_invocation_outcome o = {0};
        int crc = durable_server_complete_invocation(&o, s->engine, job->arn, job->invocation_id,
                                                     &out);
        durable__invocation_recorded(s, job->arn, crc, &o);
    } else {
        durable_error_object fallback = {0};
        fallback.error_type = DURABLE_INVOCATION_ERROR_INTERNAL;
        fallback.error_message = (char *)durable_error_last()->message;
        durable__invocation_finish_error(s, job->arn, job->invocation_id,
                                         out.error ? out.error : &fallback);
    }
    durable_invocation_output_clear(&out);
    durable_client_free(client);
    durable__fn_release(s, hr->fn);
    durable__job_free(job);
    durable_free(hr);
    return NULL;
}

bool durable__fn_has_capacity(const durable_http_server *s, const durable__fn *fn)
{
    if (fn->kind == DURABLE__FN_HANDLER)
        return fn->running < s->opts.concurrency;
    if (fn->box_count < s->opts.concurrency)
        return true;
    for (const durable__sandbox *b = fn->boxes; b; b = durable__sandbox_next(b))
        if (durable__sandbox_idle(b))
            return true;
    return false;
}

int durable__fn_reserve(durable_http_server *s, durable__fn *fn, pid_t *pid_out,
                        durable__sandbox **box_out)
{
    *box_out = NULL;
    if (fn->kind == DURABLE__FN_HANDLER) {
        *pid_out = s->self_pid;
        return 0;
    }
    durable__sandbox *b = durable__sandbox_take_idle(s, fn);
    if (!b) {
        int rc = durable__sandbox_spawn(s, fn, &b);
        if (rc < 0)
            return rc;
    }
    *box_out = b;
    *pid_out = durable__sandbox_pid(b);
    return 0;
}

int durable__fn_dispatch(durable_http_server *s, durable__fn *fn, durable__job *job,
                         durable__sandbox *box)
{
    pthread_mutex_lock(&s->mu);
    fn->running++;
    pthread_mutex_unlock(&s->mu);
    if (fn->kind == DURABLE__FN_COMMAND)
        return durable__sandbox_assign(s, box, job);
    handler_run *hr = durable__calloc(1, sizeof *hr);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int ok = hr != NULL;
    if (ok) {
        *hr = (handler_run){s, fn, job};
        ok = pthread_create(&t, &attr, handler_thread, hr) == 0;
    }
    pthread_attr_destroy(&attr);
    if (!ok) {
        durable_free(hr);
        durable_error_object err = {0};
        err.error_type = DURABLE_INVOCATION_ERROR_INTERNAL;
        err.error_message = "the server could not start a handler thread";
        durable__invocation_finish_error(s, job->arn, job->invocation_id, &err);
        durable__job_free(job);
        durable__fn_release(s, fn);
        return durable__error_set(DURABLE_EIO, "cannot start a handler thread");
    }
    return 0;
}

void durable__fn_tick(durable_http_server *s)
{
    int64_t now = durable__http_real_ms();
    for (size_t i = 0; i < s->fn_count; i++)
        if (s->fns[i].kind == DURABLE__FN_COMMAND)
            durable__sandbox_tick(s, &s->fns[i], now);
}

void durable__fn_stop_all(durable_http_server *s)
{
    for (size_t i = 0; i < s->fn_count; i++)
        if (s->fns[i].kind == DURABLE__FN_COMMAND)
            durable__sandbox_kill_all(s, &s->fns[i]);
    /* In-process handlers cannot be killed: wait for them to return (their
     * next checkpoint after the stop fails, which ends most of them). */
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int running = 0;
        for (size_t i = 0; i < s->fn_count; i++)
            running += s->fns[i].running + s->fns[i].box_count;
        if (running == 0)
            break;
        pthread_cond_wait(&s->changed, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
}
