/* The front's scheduler: one thread that does what the service does between
 * requests, for the executions of this server's functions only: fire due
 * timers (on the real clock, or skipping time when nothing runs), dispatch
 * chained invokes, and start invocations of executions that need one. It
 * sleeps until a change this server makes, the next due timer, or a short
 * poll (other processes may change the file: the CLI sends a callback). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http_internal.h"
#include "model/exec_arn.h"
#include "model/internal.h"

#define POLL_MS 250

/* The function of an execution ARN (…:function:NAME:QUALIFIER/durable-
 * execution/…) if it is registered here; NULL otherwise (also for text
 * that is not an execution ARN). */
static durable__fn *fn_of_arn(durable_http_server *s, const char *arn)
{
    durable__exec_arn_parts k;
    if (!arn || !durable__exec_arn_split(&k, arn))
        return NULL;
    return durable__http_find_fn_n(s, k.function.p, k.function.n);
}

/* Our functions' names: the scope of every timer call (the functions are
 * fixed once the server has started). */
typedef struct scoped {
    const char *const *fns;
    size_t count;
    int fired;
    int64_t when;
} scoped;

static int fire_ours(durable_engine *e, void *arg)
{
    scoped *sc = arg;
    return durable_engine_fire_due_in(&sc->fired, e, sc->fns, sc->count);
}

static int next_due_ours(durable_engine *e, void *arg)
{
    scoped *sc = arg;
    return durable_engine_next_due_in(&sc->when, e, sc->fns, sc->count);
}

/* Chained invokes waiting in our executions: a target registered here runs
 * as a durable execution of its own; any other is "Function not found". */
static int dispatch_chained(durable_http_server *s, bool *progressed)
{
    durable_chained_invoke_list l;
    memset(&l, 0, sizeof l);
    int rc = durable_server_list_chained_waiting(&l, s->engine);
    for (size_t i = 0; rc == 0 && i < l.count; i++) {
        durable_chained_invoke *c = &l.items[i];
        if (!fn_of_arn(s, c->parent_arn))
            continue;
        int r;
        if (c->resolved_function && durable__http_find_fn(s, c->resolved_function))
            r = durable_server_start_chained_target(NULL, s->engine, c->parent_arn, c->op_id);
        else
            r = durable_server_complete_chained_invoke(s->engine, c->parent_arn, c->op_id,
                                                       DURABLE_CHAINED_FUNCTION_NOT_FOUND, NULL,
                                                       NULL);
        if (r < 0)
            durable__http_log(s, "chained invoke %s of %s: %s", c->op_id, c->parent_arn,
                              durable_error_last()->message);
        else
            *progressed = true;
    }
    durable_chained_invoke_list_clear(&l);
    return rc;
}

static int make_job(durable_http_server *s, durable__job **out, const char *arn,
                    durable_invocation_input *in, char *invocation_id, const durable__fn *fn)
{
    durable__job *j = durable__calloc(1, sizeof *j);
    if (!j)
        return durable__error_oom();
    j->arn = durable__strdup(arn);
    j->invocation_id = invocation_id;
    j->input = *in;
    memset(in, 0, sizeof *in);
    j->deadline_ms = durable__http_real_ms() + s->opts.invocation_timeout_seconds * 1000;
    cJSON *ev = NULL;
    int rc = durable_invocation_input_to_json(&ev, &j->input);
    if (rc == 0 && !(j->event = durable_json_print(ev)))
        rc = durable__error_oom();
    cJSON_Delete(ev);
    if (rc == 0)
        rc = durable__http_function_arn(&j->function_arn, s, fn->name);
    if (rc == 0 && !j->arn)
        rc = durable__error_oom();
    if (rc < 0) {
        durable__job_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

/* Start invocations of our executions that need one, as capacity allows. */
static int dispatch_ready(durable_http_server *s, bool *progressed)
{
    durable_engine_string_list ready;
    memset(&ready, 0, sizeof ready);
    int rc = durable_server_list_ready(&ready, s->engine);
    for (size_t i = 0; rc == 0 && i < ready.count; i++) {
        const char *arn = ready.items[i];
        durable__fn *fn = fn_of_arn(s, arn);
        if (!fn)
            continue;
        pthread_mutex_lock(&s->mu);
        bool room = !s->stopping && durable__fn_has_capacity(s, fn);
        pthread_mutex_unlock(&s->mu);
        if (!room)
            continue;
        pid_t pid;
        durable__sandbox *box = NULL;
        if (durable__fn_reserve(s, fn, &pid, &box) < 0) {
            durable__http_log(s, "cannot run %s: %s", fn->name, durable_error_last()->message);
            continue;
        }
        durable_invocation_input in;
        memset(&in, 0, sizeof in);
        char *inv = NULL;
        int r = durable_server_start_invocation(&in, &inv, s->engine, arn, (int64_t)pid);
        if (r < 0) { /* another server took it, or it closed meanwhile */
            if (box)
                durable__sandbox_unclaim(s, box);
            continue;
        }
        durable__job *job = NULL;
        if ((r = make_job(s, &job, arn, &in, inv, fn)) < 0) {
            durable_invocation_input_clear(&in);
            durable_error_object err = {0};
            err.error_type = DURABLE_INVOCATION_ERROR_INTERNAL;
            err.error_message = "the server could not build the invocation event";
            durable__invocation_finish_error(s, arn, inv, &err);
            durable_free(inv);
            if (box)
                durable__sandbox_unclaim(s, box);
            continue;
        }
        durable__http_log(s, "invocation %s of %s", job->invocation_id, arn);
        durable__fn_dispatch(s, fn, job, box);
        *progressed = true;
    }
    durable_engine_string_list_clear(&ready);
    return rc;
}

typedef struct skip {
    durable_http_server *srv;
    const scoped *ours;
    bool skipped;
} skip;

/* Time skipping, in one call on the engine thread so that nothing (a
 * callback answered, an invocation ending and leaving its execution ready
 * or a chained invoke to dispatch) can slip in between the look and the
 * jump: when none of our executions is ready, has a chained invoke to
 * dispatch, or waits for a callback from outside, move the virtual clock to
 * our earliest timer and fire it. A callback waiting for the outside stops
 * the skipping: the clock is one for the whole server, so jumping for
 * another execution would also time that callback (or its execution) out
 * before anyone could answer; time then runs at the real pace (the test
 * runner's idle rule). */
static int skip_on_engine(durable_engine *e, void *arg)
{
    skip *sk = arg;
    durable_http_server *s = sk->srv;
    durable_engine_string_list ready;
    durable_chained_invoke_list chained;
    durable_callback_info_list cbs;
    memset(&ready, 0, sizeof ready);
    memset(&chained, 0, sizeof chained);
    memset(&cbs, 0, sizeof cbs);
    bool busy = false;
    int rc = durable_engine_list_ready(&ready, e);
    for (size_t i = 0; rc == 0 && i < ready.count && !busy; i++)
        busy = fn_of_arn(s, ready.items[i]) != NULL;
    if (rc == 0 && !busy)
        rc = durable_engine_list_chained_waiting(&chained, e);
    for (size_t i = 0; rc == 0 && i < chained.count && !busy; i++)
        busy = fn_of_arn(s, chained.items[i].parent_arn) != NULL;
    if (rc == 0 && !busy)
        rc = durable_engine_list_callbacks(&cbs, e, NULL);
    for (size_t i = 0; rc == 0 && i < cbs.count && !busy; i++)
        busy = fn_of_arn(s, cbs.items[i].execution_arn) != NULL;
    durable_engine_string_list_clear(&ready);
    durable_chained_invoke_list_clear(&chained);
    durable_callback_info_list_clear(&cbs);
    if (rc < 0 || busy)
        return rc;
    int64_t when = 0;
    if (durable_engine_next_due_in(&when, e, sk->ours->fns, sk->ours->count) < 0)
        return 0; /* nothing armed */
    durable_vclock_advance_to(s->vclock, when);
    int fired = 0;
    rc = durable_engine_fire_due_in(&fired, e, sk->ours->fns, sk->ours->count);
    sk->skipped = rc == 0;
    return rc;
}

static int running_invocations(durable_http_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = 0;
    for (size_t i = 0; i < s->fn_count; i++)
        n += s->fns[i].running;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void *sched_main(void *arg)
{
    durable_http_server *s = arg;
    const char **names = durable__calloc(s->fn_count ? s->fn_count : 1, sizeof *names);
    for (size_t i = 0; names && i < s->fn_count; i++)
        names[i] = s->fns[i].name;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool stop = s->stopping;
        uint64_t seq = s->change_seq;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        bool progressed = false;
        int64_t sleep_ms = POLL_MS;
        /* Without the names (out of memory) no timer is ours to fire: the
         * round still dispatches and polls again. */
        scoped sc = {names, names ? s->fn_count : 0, 0, 0};
        if (durable_server_call(s->engine, fire_ours, &sc) == 0 && sc.fired) {
            progressed = true;
            durable__http_exec_maybe_closed(s, NULL); /* a deadline may have closed one */
        }
        dispatch_chained(s, &progressed);
        dispatch_ready(s, &progressed);
        if (!progressed && durable_server_call(s->engine, next_due_ours, &sc) == 0) {
            /* Skip time only when nothing of ours runs: a running
             * invocation may still checkpoint what it waits on (only this
             * thread starts invocations, so the count is exact). */
            skip sk = {s, &sc, false};
            if (s->vclock && running_invocations(s) == 0 &&
                durable_server_call(s->engine, skip_on_engine, &sk) == 0 && sk.skipped) {
                progressed = true;
                durable__http_exec_maybe_closed(s, NULL);
            } else {
                int64_t now = 0;
                durable_server_now(&now, s->engine);
                int64_t d = sc.when - now;
                sleep_ms = d < 0 ? 0 : d < POLL_MS ? d : POLL_MS;
            }
        }
        durable__fn_tick(s);
        if (progressed)
            continue;
        pthread_mutex_lock(&s->mu);
        if (seq == s->change_seq && !s->stopping && sleep_ms > 0) {
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            dl.tv_nsec += (long)sleep_ms * 1000000L;
            dl.tv_sec += dl.tv_nsec / 1000000000L;
            dl.tv_nsec %= 1000000000L;
            while (seq == s->change_seq && !s->stopping &&
                   pthread_cond_timedwait(&s->changed, &s->mu, &dl) == 0)
                ;
        }
        pthread_mutex_unlock(&s->mu);
    }
    durable_free(names);
    return NULL;
}

int durable__sched_start(durable_http_server *s)
{
    if (pthread_create(&s->sched, NULL, sched_main, s) != 0)
        return durable__error_set(DURABLE_EIO, "cannot start the scheduler thread");
    s->sched_running = true;
    return 0;
}

void durable__sched_stop(durable_http_server *s)
{
    if (!s->sched_running)
        return;
    pthread_join(s->sched, NULL);
    s->sched_running = false;
}

int durable__sched_recover(durable_http_server *s)
{
    durable_inflight_list l;
    memset(&l, 0, sizeof l);
    int rc = durable_server_list_inflight(&l, s->engine, NULL);
    for (size_t i = 0; rc == 0 && i < l.count; i++) {
        if (!fn_of_arn(s, l.items[i].execution_arn))
            continue;
        /* Its process belonged to a server that is gone (SPEC §8.7). */
        durable_error_object err = {0};
        err.error_type = "Runtime.ExitError";
        err.error_message = "Engine restarted during invocation";
        durable_invocation_outcome o = {0};
        int r = durable_server_fail_invocation(&o, s->engine, l.items[i].execution_arn,
                                               l.items[i].invocation_id, &err);
        durable__http_log(s, "recovered invocation %s of %s: %s", l.items[i].invocation_id,
                          l.items[i].execution_arn, r < 0 ? durable_error_last()->message : "ok");
    }
    durable_inflight_list_clear(&l);
    return rc;
}
