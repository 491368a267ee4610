/*
 * The orchestrator (seed design "TestExecutionOrchestrator", SPEC §8): start
 * the execution, invoke, re-invoke when the engine says an execution needs an
 * invocation, dispatch chained invokes after the parent's invocation,
 * apply callback responders, and — when nothing is ready — move time to the
 * next deadline (queue scheduler, skipping) or wait for it (timer
 * scheduler, real time). Engine side: never includes context.h.
 *
 * Every loop iteration begins with one "discover" request on the checkpoint
 * server thread that reads what is ready (own executions only), the chained
 * invokes waiting for dispatch, the next deadline and new callbacks, so an
 * iteration costs one thread hop plus the jobs it runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "durable/engine.h"
#include "durable/ids.h"
#include "durable/server.h"
#include "model/internal.h"
#include "testing/testing_internal.h"

enum { JOB_INVOKE = 1, JOB_DISPATCH, JOB_FIRE };

#define HEARTBEAT_GAP_MS 2000 /* SPEC §12.4: heartbeat → next action on the callback */

static durable__exec *find_exec(durable__run *run, const char *arn)
{
    for (size_t i = 0; i < run->exec_count; i++)
        if (strcmp(run->execs[i].arn, arn) == 0)
            return &run->execs[i];
    return NULL;
}

static bool seen_callback(const durable__run *run, const char *id)
{
    for (size_t i = 0; i < run->seen_count; i++)
        if (strcmp(run->seen_callbacks[i], id) == 0)
            return true;
    return false;
}

static durable_server *server(void)
{
    return durable__tenv_server();
}

static int not_setup(void)
{
    return durable__error_set(DURABLE_ENOTSETUP,
                              "EnvironmentNotSetUp: the runner needs the test environment; call "
                              "durable_test_env_setup() first");
}

/* ---- discovery (runs on the server thread) -------------------------------- */

typedef struct new_cb {
    char *id;
    char *name;
} new_cb;

typedef struct pending pending;
static int pending_apply(durable_engine *e, durable__run *run, pending *p);

typedef struct disc {
    durable__run *run;          /* read only on the server thread: the run thread waits */
    pending *pre;               /* recorded first (nullable) */
    bool want_callbacks;
    bool default_deadline_idle; /* an own default (maximal) deadline is not a reason to skip */
    durable_exec_status root_status;
    durable_engine_string_list ready;
    durable_chained_invoke_list chained;
    char **adopt;               /* resume: ready chained targets of own executions */
    size_t adopt_count;
    bool has_due;
    int64_t next_due;
    new_cb *cbs;
    size_t cb_count;
    /* The first ready execution's invocation, started in the same request
     * (saves a thread hop per invocation). */
    bool started;
    int start_rc;
    durable_invocation_input start_in;
    char *start_inv;
    char start_errmsg[512];
} disc;

static void disc_clear(disc *d)
{
    durable_engine_string_list_clear(&d->ready);
    durable_chained_invoke_list_clear(&d->chained);
    for (size_t i = 0; i < d->adopt_count; i++)
        durable_free(d->adopt[i]);
    durable_free(d->adopt);
    for (size_t i = 0; i < d->cb_count; i++) {
        durable_free(d->cbs[i].id);
        durable_free(d->cbs[i].name);
    }
    durable_free(d->cbs);
    durable_invocation_input_clear(&d->start_in);
    durable_free(d->start_inv);
    memset(d, 0, sizeof *d);
}

static bool own_exec(const durable__run *run, const char *arn)
{
    for (size_t i = 0; i < run->exec_count; i++)
        if (strcmp(run->execs[i].arn, arn) == 0)
            return true;
    return false;
}

/* Keep the list entries for which keep[i] is true (frees the others). */
static void filter_strings(durable_engine_string_list *l, const bool *keep)
{
    size_t w = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (keep[i])
            l->items[w++] = l->items[i];
        else
            durable_free(l->items[i]);
    }
    l->count = w;
}

static int append_str(char ***arr, size_t *count, char *s)
{
    char **n = durable__realloc(*arr, (*count + 1) * sizeof *n);
    if (!n) {
        durable_free(s);
        return durable__error_oom();
    }
    *arr = n;
    n[(*count)++] = s;
    return 0;
}

static int parent_of(char **out, durable_engine *e, const char *arn)
{
    durable_execution_state st;
    memset(&st, 0, sizeof st);
    *out = NULL;
    int rc = durable_engine_execution_state(&st, e, arn);
    if (rc == 0) {
        *out = st.parent_arn;
        st.parent_arn = NULL;
    }
    durable_execution_state_clear(&st);
    return rc;
}

/* The callback's Name, or — for the unnamed callback inside a
 * WaitForCallback context — the context's Name (SPEC §12.2 inheritance). */
static int callback_name(char **out, durable_engine *e, const durable_callback_info *cb)
{
    *out = NULL;
    if (cb->name)
        return (*out = durable__strdup(cb->name)) ? 0 : durable__error_oom();
    durable_operation op;
    durable_operation_init(&op);
    int rc = durable_engine_get_operation(&op, e, cb->execution_arn, cb->op_id);
    if (rc < 0 || !op.parent_id) {
        durable_operation_clear(&op);
        return rc < 0 ? rc : 0;
    }
    durable_operation parent;
    durable_operation_init(&parent);
    rc = durable_engine_get_operation(&parent, e, cb->execution_arn, op.parent_id);
    if (rc == 0 && parent.subtype && strcmp(parent.subtype, "WaitForCallback") == 0 &&
        parent.name) {
        *out = parent.name;
        parent.name = NULL;
    }
    durable_operation_clear(&parent);
    durable_operation_clear(&op);
    return rc;
}

static int discover_callbacks(durable_engine *e, disc *d)
{
    durable__run *run = d->run;
    for (size_t x = 0; x < run->exec_count; x++) {
        durable_callback_info_list l;
        memset(&l, 0, sizeof l);
        int rc = durable_engine_list_callbacks(&l, e, run->execs[x].arn);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < l.count && rc == 0; i++) {
            if (seen_callback(run, l.items[i].callback_id))
                continue;
            new_cb *n = durable__realloc(d->cbs, (d->cb_count + 1) * sizeof *n);
            if (!n) {
                rc = durable__error_oom();
                break;
            }
            d->cbs = n;
            new_cb *c = &n[d->cb_count];
            memset(c, 0, sizeof *c);
            c->id = durable__strdup(l.items[i].callback_id);
            if (!c->id) {
                rc = durable__error_oom();
                break;
            }
            d->cb_count++;
            rc = callback_name(&c->name, e, &l.items[i]);
        }
        durable_callback_info_list_clear(&l);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The ARNs of the run's executions (borrowed from run; free the array with
 * durable_free). Timers are looked up and fired for these only: the file
 * may hold executions of another runner, the CLI or a test's own engine,
 * whose deadlines are not this run's to skip to or fire. */
static int own_arns(const char ***out, const durable__run *run)
{
    *out = durable__calloc(run->exec_count ? run->exec_count : 1, sizeof **out);
    if (!*out)
        return durable__error_oom();
    for (size_t i = 0; i < run->exec_count; i++)
        (*out)[i] = run->execs[i].arn;
    return 0;
}

/* The next deadline of the run's executions. */
static int own_next_due(int64_t *when, durable_engine *e, const durable__run *run)
{
    const char **arns;
    int rc = own_arns(&arns, run);
    if (rc == 0)
        rc = durable_engine_next_due_of(when, e, arns, run->exec_count);
    durable_free(arns);
    return rc;
}

/* Fire what is due of the run's executions. */
static int own_fire_due(durable_engine *e, const durable__run *run)
{
    const char **arns;
    int rc = own_arns(&arns, run);
    if (rc == 0)
        rc = durable_engine_fire_due_of(NULL, e, arns, run->exec_count);
    durable_free(arns);
    return rc;
}

/* True when `when` is the deadline of one of the run's executions. */
static int is_own_deadline(bool *out, durable_engine *e, const durable__run *run, int64_t when)
{
    *out = false;
    for (size_t i = 0; i < run->exec_count && !*out; i++) {
        durable_exec_status status;
        int64_t deadline = 0;
        int rc = durable_engine_execution_status(&status, &deadline, e, run->execs[i].arn);
        if (rc < 0)
            return rc;
        *out = status == DURABLE_EXEC_RUNNING && deadline == when;
    }
    return 0;
}

static int discover_on_server(durable_engine *e, void *argp)
{
    disc *d = argp;
    durable__run *run = d->run;
    int rc = d->pre ? pending_apply(e, run, d->pre) : 0;
    if (rc < 0)
        return rc;
    rc = durable_engine_execution_status(&d->root_status, NULL, e, run->root_arn);
    if (rc < 0 || d->root_status != DURABLE_EXEC_RUNNING)
        return rc;

    rc = durable_engine_list_ready(&d->ready, e);
    if (rc < 0)
        return rc;
    if (d->ready.count) {
        bool *keep = durable__calloc(d->ready.count, sizeof *keep);
        if (!keep)
            return durable__error_oom();
        for (size_t i = 0; i < d->ready.count && rc == 0; i++) {
            keep[i] = own_exec(run, d->ready.items[i]);
            if (keep[i] || !run->resume)
                continue;
            /* Resume: a chained target of an own execution that the dead
             * process had dispatched. */
            char *parent = NULL;
            rc = parent_of(&parent, e, d->ready.items[i]);
            if (rc == 0 && parent && own_exec(run, parent)) {
                char *copy = durable__strdup(d->ready.items[i]);
                rc = copy ? append_str(&d->adopt, &d->adopt_count, copy) : durable__error_oom();
            }
            durable_free(parent);
        }
        filter_strings(&d->ready, keep);
        durable_free(keep);
        if (rc < 0)
            return rc;
    }

    rc = durable_engine_list_chained_waiting(&d->chained, e);
    if (rc < 0)
        return rc;
    size_t w = 0;
    for (size_t i = 0; i < d->chained.count; i++) {
        if (own_exec(run, d->chained.items[i].parent_arn))
            d->chained.items[w++] = d->chained.items[i];
        else
            durable_chained_invoke_clear(&d->chained.items[i]);
    }
    d->chained.count = w;
    if (d->ready.count) {
        d->started = true;
        d->start_rc = durable_engine_start_invocation(&d->start_in, &d->start_inv, e,
                                                      d->ready.items[0], (int64_t)getpid());
        if (d->start_rc < 0)
            snprintf(d->start_errmsg, sizeof d->start_errmsg, "%s", durable_error_last()->message);
    }
    if (d->ready.count || d->chained.count || d->adopt_count)
        return 0;

    int64_t when = 0;
    rc = own_next_due(&when, e, run);
    if (rc == DURABLE_ENOTFOUND) {
        rc = 0;
    } else if (rc == 0) {
        d->has_due = true;
        d->next_due = when;
        if (d->default_deadline_idle) {
            bool own = false;
            rc = is_own_deadline(&own, e, run, when);
            if (own)
                d->has_due = false; /* only the maximal default timeout is left: idle */
        }
    }
    if (rc < 0)
        return rc;
    if (d->want_callbacks)
        rc = discover_callbacks(e, d);
    return rc;
}

/* ---- callback responders and actions (SPEC §12.4) ----------------------------- */

static int add_planned(durable__run *run, const char *id, const char *name, int op,
                       const durable__cb_action *src, int64_t at, int hb_left, bool sequence)
{
    return durable__planned_add(&run->planned, &run->planned_count, id, name, op, src, at,
                                hb_left, sequence);
}

/* First unused sequence action whose name matches, or -1. */
static long next_action(durable__run *run, const char *name)
{
    struct durable_test_runner *r = run->runner;
    for (size_t i = 0; i < r->action_count; i++)
        if (!run->action_used[i] && durable__cb_action_matches(&r->actions[i], name))
            return (long)i;
    return -1;
}

static int plan_sequence(durable__run *run, const char *id, const char *name, long idx,
                         int64_t not_before)
{
    const durable__cb_action *a = &run->runner->actions[idx];
    run->action_used[idx] = true;
    int64_t base = run->seq_last_ms > not_before ? run->seq_last_ms : not_before;
    int64_t at = base + a->delay_ms;
    run->seq_last_ms = at;
    if (a->op == DURABLE__CB_NEVER)
        return 0;
    return add_planned(run, id, name, a->op, a, at, 0, true);
}

static int plan_callback(durable__run *run, const char *id, const char *name, int64_t now)
{
    struct durable_test_runner *r = run->runner;
    char *copy = durable__strdup(id);
    if (!copy || append_str(&run->seen_callbacks, &run->seen_count, copy) < 0)
        return durable__error_oom();
    if (r->action_count) {
        long idx = next_action(run, name);
        if (idx >= 0)
            return plan_sequence(run, id, name, idx, now);
    }
    for (size_t i = 0; i < r->responder_count; i++) {
        const durable__cb_action *a = &r->responders[i];
        if (!durable__cb_action_matches(a, name))
            continue;
        if (a->op == DURABLE__CB_NEVER && a->heartbeat_count == 0)
            return 0;
        return add_planned(run, id, name, a->op, a, now + a->delay_ms, a->heartbeat_count, false);
    }
    if (r->action_count && r->opts.strict_callback_actions)
        return durable__error_set(DURABLE_ENOTFOUND,
                                  "No callback action matches callback %s%s%s (id %s): every "
                                  "action whose name matches is already used",
                                  name ? "'" : "", name ? name : "(unnamed)", name ? "'" : "", id);
    return 0;
}

static int64_t earliest_planned(const durable__run *run, bool *any)
{
    int64_t best = 0;
    *any = false;
    for (size_t i = 0; i < run->planned_count; i++)
        if (!*any || run->planned[i].at_ms < best) {
            best = run->planned[i].at_ms;
            *any = true;
        }
    return best;
}

/* Send an action: directly on the engine when running on the server thread
 * (e non-NULL), else through the server. */
static void send_action(durable_engine *e, const durable__planned *p, int op)
{
    durable_server *srv = server();
    const durable__cb_action *a = p->src;
    /* A rejected action (the callback already timed out, the execution
     * closed) leaves the engine's outcome in place, as for a real caller. */
    if (op == DURABLE__CB_SUCCEED) {
        size_t len = a->payload ? strlen(a->payload) : 0;
        if (e)
            (void)durable_engine_callback_success(e, p->callback_id, a->payload, len);
        else
            (void)durable_server_callback_success(srv, p->callback_id, a->payload, len);
    } else if (op == DURABLE__CB_FAIL) {
        durable_error_object eo;
        memset(&eo, 0, sizeof eo);
        eo.error_type = a->error_type;
        eo.error_message = a->error_message;
        eo.error_data = a->error_data;
        if (e)
            (void)durable_engine_callback_failure(e, p->callback_id, &eo);
        else
            (void)durable_server_callback_failure(srv, p->callback_id, &eo);
    } else if (op == DURABLE__CB_HEARTBEAT) {
        if (e)
            (void)durable_engine_callback_heartbeat(e, p->callback_id);
        else
            (void)durable_server_callback_heartbeat(srv, p->callback_id);
    }
}

static void send_planned(const durable__planned *p, int op, void *user)
{
    send_action(user, p, op);
}

/* Apply every planned action due at the engine clock's now, earliest first. */
static int apply_due_actions(durable__run *run, int64_t now, durable_engine *e)
{
    struct durable_test_runner *r = run->runner;
    durable__cb_plan plan = {&run->planned,  &run->planned_count, r->actions,
                             r->action_count, run->action_used,   &run->seq_last_ms};
    durable__cb_plan_apply_due(&plan, now, HEARTBEAT_GAP_MS, send_planned, e);
    return 0;
}

/* ---- jobs --------------------------------------------------------------------- */

/* What a job leaves for the engine: an invocation to record, or timers to
 * fire. It is done by the next discovery request, on the server thread, so
 * an invocation costs one request less (SPEC §8.3 order is unchanged:
 * nothing else touches the execution in between). */
enum { REC_NONE = 0, REC_COMPLETE, REC_FAIL, REC_CRASH, REC_REFUSED };

typedef struct pending {
    int kind;
    char *arn;
    char *inv;
    durable_invocation_output out;
    char *exit_status;
    char *refusal;     /* REC_REFUSED: why the entry point refused */
    bool fire;         /* apply due actions and fire due timers */
    int64_t fire_now;
} pending;

static void pending_clear(pending *p)
{
    durable_free(p->arn);
    durable_free(p->inv);
    durable_invocation_output_clear(&p->out);
    durable_free(p->exit_status);
    durable_free(p->refusal);
    memset(p, 0, sizeof *p);
}

/* On the server thread. */
static int pending_apply(durable_engine *e, durable__run *run, pending *p)
{
    int rc = 0;
    durable_invocation_outcome oc;
    memset(&oc, 0, sizeof oc);
    switch (p->kind) {
    case REC_COMPLETE:
        rc = durable_engine_complete_invocation(&oc, e, p->arn, p->inv, &p->out);
        break;
    case REC_FAIL:
        rc = durable_engine_fail_invocation(&oc, e, p->arn, p->inv, p->out.error);
        break;
    case REC_CRASH:
        rc = durable_engine_crash_invocation(&oc, e, p->arn, p->inv, p->exit_status);
        break;
    case REC_REFUSED: {
        /* The entry point refused (bad arguments, fork failed): report it
         * as the invocation's error so the engine retries and finally fails. */
        durable_error_object eo;
        memset(&eo, 0, sizeof eo);
        eo.error_type = "DurableInvocationError";
        eo.error_message = p->refusal;
        rc = durable_engine_fail_invocation(&oc, e, p->arn, p->inv, &eo);
        break;
    }
    default:
        break;
    }
    if (rc < 0) {
        durable__error_prefix("Checkpoint server error: recording invocation %s of %s", p->inv,
                              p->arn);
        return rc;
    }
    if (p->fire) {
        rc = apply_due_actions(run, p->fire_now, e);
        if (rc == 0)
            rc = own_fire_due(e, run);
    }
    return rc;
}

typedef struct pending_call {
    durable__run *run;
    pending *p;
} pending_call;

static int pending_on_server(durable_engine *e, void *arg)
{
    pending_call *c = arg;
    return pending_apply(e, c->run, c->p);
}

/* Apply p now (its own request). */
static int pending_flush(durable__run *run, pending *p)
{
    if (p->kind == REC_NONE && !p->fire)
        return 0;
    pending_call c = { run, p };
    int rc = durable_server_call(server(), pending_on_server, &c);
    pending_clear(p);
    durable__tenv_notify();
    return rc;
}

/* Start an invocation of arn and run the handler; *p receives what must be
 * recorded. */
typedef struct prestart {
    bool valid;
    char *arn;
    int rc;
    char *errmsg;
    durable_invocation_input in;
    char *inv;
} prestart;

static void prestart_clear(prestart *ps)
{
    durable_free(ps->arn);
    durable_free(ps->errmsg);
    durable_invocation_input_clear(&ps->in);
    durable_free(ps->inv);
    memset(ps, 0, sizeof *ps);
}

static int run_invocation(durable__run *run, const char *arn, pending *p, prestart *ps)
{
    durable_server *srv = server();
    durable__exec *x = find_exec(run, arn);
    if (!x)
        return 0;
    durable__tst_handler handler = x->handler;
    void *user = x->user;
    durable__reg *reg = x->reg;

    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    char *inv = NULL;
    int rc;
    if (ps->valid && strcmp(ps->arn, arn) == 0) {
        /* Started by the discovery request. */
        rc = ps->rc;
        if (rc < 0)
            durable__error_set(rc, "%s", ps->errmsg ? ps->errmsg : durable_strerror(rc));
        in = ps->in;
        memset(&ps->in, 0, sizeof ps->in);
        inv = ps->inv;
        ps->inv = NULL;
        prestart_clear(ps);
    } else {
        rc = durable_server_start_invocation(&in, &inv, srv, arn, (int64_t)getpid());
    }
    if (rc == DURABLE_EBUSY || rc == DURABLE_ECLOSED) {
        /* Someone else runs it, or it closed meanwhile: nothing to do. */
        durable_invocation_input_clear(&in);
        durable_free(inv);
        return 0;
    }
    if (rc < 0)
        return rc;
    if (reg)
        reg->calls++;
    else
        run->runner->root_calls++;

    char *exit_status = NULL;
    if (run->runner->opts.crash_isolation)
        rc = durable__invoke_forked(&p->out, &exit_status, run, &in, inv, handler, user);
    else
        rc = durable__invoke_inprocess(&p->out, run, durable__tenv_client(), &in, inv, handler,
                                       user);
    durable_invocation_input_clear(&in);
    p->inv = inv;
    if (rc == 0) {
        p->kind = REC_COMPLETE;
    } else if (rc == DURABLE_EINVOCATION) {
        p->kind = REC_FAIL;
    } else if (rc == DURABLE_EIO && exit_status) {
        p->kind = REC_CRASH;
        p->exit_status = exit_status;
        exit_status = NULL;
    } else {
        p->kind = REC_REFUSED;
        p->refusal = durable__strdup(durable_error_last()->message);
    }
    durable_free(exit_status);
    p->arn = durable__strdup(arn);
    if (!p->arn || (p->kind == REC_REFUSED && !p->refusal))
        return durable__error_oom();
    return 0;
}

static int complete_plain(durable_server *srv, const durable_chained_invoke *c, durable__reg *reg)
{
    int rc = durable_server_mark_chained_dispatched(srv, c->parent_arn, c->op_id);
    if (rc < 0)
        return rc;
    cJSON *input = NULL;
    if (c->input_payload && durable_json_parse(&input, c->input_payload,
                                               strlen(c->input_payload)) < 0) {
        durable_error_object eo;
        memset(&eo, 0, sizeof eo);
        eo.error_type = "SerializationError";
        eo.error_message = durable__sprintf("Serialization error: the payload of the invoke of "
                                            "%s is not JSON",
                                            c->function_name);
        rc = durable_server_complete_chained_invoke(srv, c->parent_arn, c->op_id,
                                                    DURABLE_CHAINED_FAILED, NULL, &eo);
        durable_free(eo.error_message);
        return rc;
    }
    cJSON *result = NULL;
    durable_error_object err;
    memset(&err, 0, sizeof err);
    reg->calls++;
    int frc = reg->fn(&result, &err, input, reg->user);
    cJSON_Delete(input);
    if (frc == 0) {
        char *text = result ? durable_json_print(result) : NULL;
        cJSON_Delete(result);
        if (result && !text) {
            durable_error_object_clear(&err);
            return durable__error_oom();
        }
        rc = durable_server_complete_chained_invoke(srv, c->parent_arn, c->op_id,
                                                    DURABLE_CHAINED_SUCCEEDED, text, NULL);
        durable_free(text);
    } else {
        cJSON_Delete(result);
        if (!err.error_type && !err.error_message && !err.error_data) {
            err.error_type = durable__strdup("Error");
            err.error_message = durable__sprintf("Function %s failed with code %d", reg->name, frc);
        }
        rc = durable_server_complete_chained_invoke(srv, c->parent_arn, c->op_id,
                                                    DURABLE_CHAINED_FAILED, NULL, &err);
    }
    durable_error_object_clear(&err);
    return rc;
}

static int dispatch_chained(durable__run *run, const char *parent_arn, const char *op_id)
{
    durable_server *srv = server();
    durable_chained_invoke_list l;
    memset(&l, 0, sizeof l);
    int rc = durable_server_list_chained_waiting(&l, srv);
    if (rc < 0)
        return rc;
    const durable_chained_invoke *c = NULL;
    for (size_t i = 0; i < l.count; i++)
        if (strcmp(l.items[i].parent_arn, parent_arn) == 0 && strcmp(l.items[i].op_id, op_id) == 0)
            c = &l.items[i];
    if (c) {
        durable__reg *reg = durable__runner_find_reg(run->runner, c->resolved_function);
        if (!reg)
            reg = durable__runner_find_reg(run->runner, c->function_name);
        if (!reg) {
            rc = durable_server_complete_chained_invoke(srv, c->parent_arn, c->op_id,
                                                        DURABLE_CHAINED_FUNCTION_NOT_FOUND, NULL,
                                                        NULL);
        } else if (reg->durable) {
            char *child = NULL;
            rc = durable_server_start_chained_target(&child, srv, c->parent_arn, c->op_id);
            if (rc == 0)
                rc = durable__run_add_exec(run, child, reg->handler, reg->user, reg);
            durable_free(child);
        } else {
            rc = complete_plain(srv, c, reg);
        }
    }
    durable_chained_invoke_list_clear(&l);
    return rc;
}

/* ---- idle --------------------------------------------------------------------- */

static int idle_error(durable__run *run, int64_t idle_ms)
{
    durable_server *srv = server();
    char *open = durable__strdup("");
    for (size_t x = 0; x < run->exec_count && open; x++) {
        durable_callback_info_list l;
        memset(&l, 0, sizeof l);
        if (durable_server_list_callbacks(&l, srv, run->execs[x].arn) < 0)
            continue;
        for (size_t i = 0; i < l.count && open; i++) {
            char *n = durable__sprintf("%s%s callback %s%s%s (operation %s, id %s)", open,
                                       *open ? ";" : "", l.items[i].name ? "'" : "",
                                       l.items[i].name ? l.items[i].name : "(unnamed)",
                                       l.items[i].name ? "'" : "", l.items[i].op_id,
                                       l.items[i].callback_id);
            durable_free(open);
            open = n;
        }
        durable_callback_info_list_clear(&l);
    }
    int rc = durable__error_set(
        DURABLE_EIDLE,
        "Run of %s cannot make progress: execution %s has no invocation ready, no timer armed "
        "and nothing happened for %lld ms (idle limit)%s%s. Complete it with "
        "durable_test_operation_send_callback_*, a callback responder, or give the callback a "
        "timeout",
        run->runner->function_name, run->root_arn, (long long)idle_ms,
        open && *open ? "; still open:" : "", open ? open : "");
    durable_free(open);
    return rc;
}

/* ---- the loop ------------------------------------------------------------------ */

/* How often a run on a file database looks at the file again while it waits:
 * another process (the `durable` CLI, a second runner) may complete a
 * callback or stop the execution there, and that wakes no one here. */
#define FILE_POLL_MS 100

/* durable__tenv_wait, but on a file database never longer than FILE_POLL_MS:
 * the caller's loop then rediscovers and sees changes made by other
 * processes. */
static void wait_for_change(uint64_t seq, int64_t deadline_ms)
{
    if (durable__tenv_is_file()) {
        int64_t poll = durable__mono_ms() + FILE_POLL_MS;
        if (deadline_ms < 0 || poll < deadline_ms)
            deadline_ms = poll;
    }
    durable__tenv_wait(seq, deadline_ms);
}

int durable__orch_loop(durable__run *run)
{
    const durable__tenv_cfg *cfg = durable__tenv_config();
    if (!cfg || !server())
        return not_setup();
    struct durable_test_runner *r = run->runner;
    durable__sched sched;
    durable__sched_init(&sched, cfg->skip_time ? DURABLE__SCHED_QUEUE : DURABLE__SCHED_TIMER);
    bool default_deadline_idle = cfg->default_timeout_s == DURABLE__MAX_EXEC_TIMEOUT &&
                                 r->opts.execution_timeout_s == 0;
    int64_t idle_since = -1;
    int rc = 0;
    pending pend;
    memset(&pend, 0, sizeof pend);

    for (;;) {
        bool had_pending = pend.kind != REC_NONE || pend.fire;
        disc d;
        memset(&d, 0, sizeof d);
        d.run = run;
        d.pre = &pend;
        d.want_callbacks = r->responder_count || r->action_count;
        d.default_deadline_idle = default_deadline_idle;
        /* Read before the request: anything that happens from here on (a
         * callback sent while we look) wakes the waits below. */
        uint64_t seq = durable__tenv_seq();
        rc = durable_server_call(server(), discover_on_server, &d);
        pending_clear(&pend);
        if (had_pending)
            seq = durable__tenv_notify_since(seq);
        if (rc < 0 || d.root_status != DURABLE_EXEC_RUNNING) {
            disc_clear(&d);
            break;
        }
        int64_t now = durable__tenv_now();
        for (size_t i = 0; i < d.adopt_count && rc == 0; i++) {
            char *fn = NULL;
            if (durable_execution_arn_parse(&fn, NULL, NULL, NULL, d.adopt[i]) == 0) {
                durable__reg *reg = durable__runner_find_reg(r, fn);
                if (reg && reg->durable)
                    rc = durable__run_add_exec(run, d.adopt[i], reg->handler, reg->user, reg);
            }
            durable_free(fn);
        }
        for (size_t i = 0; i < d.cb_count && rc == 0; i++)
            rc = plan_callback(run, d.cbs[i].id, d.cbs[i].name, now);
        for (size_t i = 0; i < d.ready.count && rc == 0; i++)
            rc = durable__sched_push(&sched, JOB_INVOKE, 0, d.ready.items[i], NULL);
        for (size_t i = 0; i < d.chained.count && rc == 0; i++)
            rc = durable__sched_push(&sched, JOB_DISPATCH, 0, d.chained.items[i].parent_arn,
                                     d.chained.items[i].op_id);
        prestart ps;
        memset(&ps, 0, sizeof ps);
        if (d.started) {
            ps.valid = true;
            ps.arn = durable__strdup(d.ready.items[0]);
            ps.rc = d.start_rc;
            if (d.start_rc < 0)
                ps.errmsg = durable__strdup(d.start_errmsg);
            ps.in = d.start_in;
            memset(&d.start_in, 0, sizeof d.start_in);
            ps.inv = d.start_inv;
            d.start_inv = NULL;
            if (!ps.arn)
                rc = durable__error_oom();
        }
        bool busy = d.ready.count || d.chained.count || d.adopt_count;
        bool has_due = d.has_due;
        int64_t due = d.next_due;
        disc_clear(&d);
        if (rc < 0 && !ps.valid)
            break; /* (with a started invocation, the cleanup below runs first) */

        if (!busy) {
            bool any = false;
            int64_t at = earliest_planned(run, &any);
            if (any && (!has_due || at < due)) {
                due = at;
                has_due = true;
            }
            if (!has_due) {
                /* Nothing can happen unless someone outside acts. */
                int64_t mono = durable__mono_ms();
                if (idle_since < 0)
                    idle_since = mono;
                if (mono - idle_since >= cfg->idle_limit_ms) {
                    rc = idle_error(run, mono - idle_since);
                    break;
                }
                wait_for_change(seq, idle_since + cfg->idle_limit_ms);
                continue;
            }
            rc = durable__sched_push(&sched, JOB_FIRE, due, NULL, NULL);
            if (rc < 0)
                break;
        }

        durable__job job;
        bool restart = false;
        while (rc == 0 && !restart && durable__sched_pop(&sched, &job)) {
            if (job.kind == JOB_FIRE) {
                int64_t t = durable__tenv_now();
                if (job.when_ms > t) {
                    if (cfg->skip_time) {
                        /* Let waiting test threads see the state first. */
                        durable__tenv_quiesce(durable__mono_ms() + cfg->idle_limit_ms);
                        if (durable__tenv_held()) {
                            /* The test is about to act on what it waited
                             * for: skip no time until it has. */
                            int64_t mono = durable__mono_ms();
                            if (idle_since < 0)
                                idle_since = mono;
                            if (mono - idle_since >= cfg->idle_limit_ms) {
                                rc = idle_error(run, mono - idle_since);
                            } else {
                                wait_for_change(seq, idle_since + cfg->idle_limit_ms);
                                restart = true;
                            }
                            durable__job_clear(&job);
                            continue;
                        }
                        durable__tenv_advance_to(job.when_ms);
                    } else {
                        wait_for_change(seq, durable__mono_ms() + (job.when_ms - t));
                        if (durable__tenv_now() < job.when_ms) {
                            restart = true; /* woken by an event: look again */
                            durable__job_clear(&job);
                            continue;
                        }
                    }
                }
                idle_since = -1;
                /* Done by the next discovery request. */
                pend.fire = true;
                pend.fire_now = durable__tenv_now();
            } else if (job.kind == JOB_INVOKE) {
                idle_since = -1;
                rc = run_invocation(run, job.arn, &pend, &ps);
                /* More jobs queued: record now, they may depend on it. */
                if (rc == 0 && durable__sched_has(&sched))
                    rc = pending_flush(run, &pend);
            } else if (job.kind == JOB_DISPATCH) {
                idle_since = -1;
                rc = pending_flush(run, &pend);
                if (rc == 0)
                    rc = dispatch_chained(run, job.arn, job.op_id);
                durable__tenv_notify();
            }
            durable__job_clear(&job);
        }
        durable__sched_flush(&sched);
        if (ps.valid && ps.rc == 0) {
            /* Started but not run (the loop stopped first): record it as an
             * invocation error so the engine's gate is released. */
            durable_error saved = *durable_error_last();
            char *msg = durable__strdup(saved.message);
            durable_error_object eo = { (char *)"DurableInvocationError",
                                        (char *)"the test runner stopped before running it",
                                        NULL, NULL, 0 };
            durable_invocation_outcome oc;
            (void)durable_server_fail_invocation(&oc, server(), ps.arn, ps.inv, &eo);
            if (rc < 0)
                durable__error_set(rc, "%s", msg ? msg : "");
            durable_free(msg);
        }
        prestart_clear(&ps);
        if (rc < 0)
            break;
    }
    if (pend.kind != REC_NONE) {
        /* An invocation that ran must be recorded even when the loop ends
         * with an error; keep the loop's error. */
        durable_error saved = *durable_error_last();
        char *msg = durable__strdup(saved.message);
        pending_flush(run, &pend);
        if (rc < 0)
            durable__error_set(rc, "%s", msg ? msg : "");
        durable_free(msg);
    }
    pending_clear(&pend);
    durable__sched_clear(&sched);
    return rc;
}

/* ---- starting, finding and resuming executions ----------------------------------- */

int durable__orch_start(durable__run *run, const char *input)
{
    durable_server *srv = server();
    if (!srv)
        return not_setup();
    struct durable_test_runner *r = run->runner;
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    so.execution_name = r->opts.execution_name;
    so.input_payload = input;
    so.timeout_seconds = r->opts.execution_timeout_s;
    so.tenant_id = r->opts.tenant_id;
    char *arn = NULL;
    int rc = durable_server_start_execution(&arn, NULL, srv, r->function_name, &so);
    if (rc == DURABLE_EEXISTS) {
        durable__error_set(rc, "Execution %s already exists for function %s: %s",
                           r->opts.execution_name ? r->opts.execution_name : "(generated)",
                           r->function_name, arn ? arn : "");
        durable_free(arn);
        return rc;
    }
    if (rc < 0) {
        durable_free(arn);
        durable__error_prefix("starting an execution of %s", r->function_name);
        return rc;
    }
    run->root_arn = arn;
    rc = durable__run_add_exec(run, arn, r->handler, r->user, NULL);
    durable__tenv_notify();
    return rc;
}

int durable__orch_find_execution(char **out_arn, durable_exec_status *out_status,
                                 const char *function, const char *execution)
{
    durable_server *srv = server();
    *out_arn = NULL;
    if (!srv)
        return not_setup();
    durable_execution_info info;
    memset(&info, 0, sizeof info);
    int rc;
    if (strncmp(execution, "arn:", 4) == 0) {
        rc = durable_server_get_execution(&info, srv, execution);
        if (rc == DURABLE_ENOTFOUND)
            return durable__error_set(rc, "Execution not found: %s", execution);
        if (rc < 0)
            return rc;
    } else {
        durable_list_request req;
        memset(&req, 0, sizeof req);
        req.function_name = (char *)function;
        req.durable_execution_name = (char *)execution;
        durable_list_response resp;
        memset(&resp, 0, sizeof resp);
        rc = durable_server_list_executions(&resp, srv, &req);
        if (rc < 0)
            return rc;
        if (resp.count == 0) {
            durable_list_response_clear(&resp);
            return durable__error_set(DURABLE_ENOTFOUND,
                                      "Execution not found: no execution named %s for function %s",
                                      execution, function);
        }
        info = resp.executions[0];
        memset(&resp.executions[0], 0, sizeof resp.executions[0]);
        durable_list_response_clear(&resp);
    }
    *out_arn = info.durable_execution_arn;
    info.durable_execution_arn = NULL;
    *out_status = info.status;
    durable_execution_info_clear(&info);
    return 0;
}

int durable__orch_open_executions(char ***out, size_t *out_count, const char *function)
{
    durable_server *srv = server();
    *out = NULL;
    *out_count = 0;
    if (!srv)
        return not_setup();
    durable_exec_status running = DURABLE_EXEC_RUNNING;
    char *marker = NULL;
    int rc = 0;
    do {
        durable_list_request req;
        memset(&req, 0, sizeof req);
        req.function_name = (char *)function;
        req.statuses = &running;
        req.status_count = 1;
        req.max_items = DURABLE_MAX_ITEMS;
        req.marker = marker;
        durable_list_response resp;
        memset(&resp, 0, sizeof resp);
        rc = durable_server_list_executions(&resp, srv, &req);
        durable_free(marker);
        marker = NULL;
        if (rc < 0)
            break;
        for (size_t i = 0; i < resp.count && rc == 0; i++) {
            rc = append_str(out, out_count, resp.executions[i].durable_execution_arn);
            resp.executions[i].durable_execution_arn = NULL;
        }
        if (resp.next_marker && *resp.next_marker) {
            marker = resp.next_marker;
            resp.next_marker = NULL;
        }
        durable_list_response_clear(&resp);
    } while (rc == 0 && marker);
    durable_free(marker);
    if (rc < 0) {
        for (size_t i = 0; i < *out_count; i++)
            durable_free((*out)[i]);
        durable_free(*out);
        *out = NULL;
        *out_count = 0;
    }
    return rc;
}

static bool process_alive(int64_t pid)
{
    if (pid <= 0)
        return false;
    if ((pid_t)pid == getpid())
        return true;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* True when arn is root or one of its chained descendants. */
static bool descends_from(durable_server *srv, const char *arn, const char *root)
{
    char *cur = durable__strdup(arn);
    for (int depth = 0; cur && depth < 32; depth++) {
        if (strcmp(cur, root) == 0) {
            durable_free(cur);
            return true;
        }
        durable_execution_state st;
        memset(&st, 0, sizeof st);
        int rc = durable_server_execution_state(&st, srv, cur);
        durable_free(cur);
        cur = NULL;
        if (rc == 0) {
            cur = st.parent_arn;
            st.parent_arn = NULL;
        }
        durable_execution_state_clear(&st);
    }
    durable_free(cur);
    return false;
}

int durable__orch_prepare_resume(durable__run *run, const char *arn)
{
    durable_server *srv = server();
    if (!srv)
        return not_setup();
    struct durable_test_runner *r = run->runner;
    char *fn = NULL;
    int rc = durable_execution_arn_parse(&fn, NULL, NULL, NULL, arn);
    if (rc < 0)
        return durable__error_set(DURABLE_ENOTFOUND, "Execution not found: %s is not an "
                                                     "execution ARN",
                                  arn);
    durable__tst_handler h = NULL;
    void *user = NULL;
    durable__reg *reg = NULL;
    if (strcmp(fn, r->function_name) == 0) {
        h = r->handler;
        user = r->user;
    } else if ((reg = durable__runner_find_reg(r, fn)) && reg->durable) {
        h = reg->handler;
        user = reg->user;
    } else {
        rc = durable__error_set(DURABLE_ENOFUNCTION,
                                "Function not registered: %s (execution %s): the runner runs %s",
                                fn, arn, r->function_name);
        durable_free(fn);
        return rc;
    }
    durable_free(fn);

    /* Close the invocations a dead process left in flight: this execution's
     * and its chained targets'. */
    durable_inflight_list l;
    memset(&l, 0, sizeof l);
    rc = durable_server_list_inflight(&l, srv, NULL);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < l.count && rc == 0; i++) {
        const durable_inflight_invocation *f = &l.items[i];
        if (!descends_from(srv, f->execution_arn, arn))
            continue;
        if (process_alive(f->pid)) {
            rc = durable__error_set(DURABLE_EBUSY,
                                    "Execution %s is still running: invocation %s is in flight "
                                    "in process %lld, which is alive",
                                    f->execution_arn, f->invocation_id, (long long)f->pid);
            break;
        }
        char status[96];
        snprintf(status, sizeof status, "process %lld exited before the invocation completed",
                 (long long)f->pid);
        durable_invocation_outcome oc;
        memset(&oc, 0, sizeof oc);
        rc = durable_server_crash_invocation(&oc, srv, f->execution_arn, f->invocation_id,
                                             status);
    }
    durable_inflight_list_clear(&l);
    if (rc < 0)
        return rc;
    run->resume = true;
    if (!(run->root_arn = durable__strdup(arn)))
        return durable__error_oom();
    return durable__run_add_exec(run, arn, h, user, reg);
}
