/* A test result rebuilt from what the public API returns: the operations
 * and invocations are replayed from the history events, as the engine's
 * processors wrote them, so a cloud result reads like a local one. */
#include <string.h>

#include "aws/cloud_internal.h"
#include "model/internal.h"

static durable_op_type type_of(durable_event_type t)
{
    switch (t) {
    case DURABLE_EVENT_CONTEXT_STARTED:
    case DURABLE_EVENT_CONTEXT_SUCCEEDED:
    case DURABLE_EVENT_CONTEXT_FAILED: return DURABLE_OP_CONTEXT;
    case DURABLE_EVENT_WAIT_STARTED:
    case DURABLE_EVENT_WAIT_SUCCEEDED:
    case DURABLE_EVENT_WAIT_CANCELLED: return DURABLE_OP_WAIT;
    case DURABLE_EVENT_STEP_STARTED:
    case DURABLE_EVENT_STEP_SUCCEEDED:
    case DURABLE_EVENT_STEP_FAILED: return DURABLE_OP_STEP;
    case DURABLE_EVENT_CHAINED_INVOKE_STARTED:
    case DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED:
    case DURABLE_EVENT_CHAINED_INVOKE_FAILED:
    case DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT:
    case DURABLE_EVENT_CHAINED_INVOKE_STOPPED: return DURABLE_OP_CHAINED_INVOKE;
    case DURABLE_EVENT_CALLBACK_STARTED:
    case DURABLE_EVENT_CALLBACK_SUCCEEDED:
    case DURABLE_EVENT_CALLBACK_FAILED:
    case DURABLE_EVENT_CALLBACK_TIMED_OUT: return DURABLE_OP_CALLBACK;
    default: return DURABLE_OP_TYPE_NONE;
    }
}

static int set_str(char **dst, const char *src)
{
    if (!src)
        return 0;
    char *c = durable__strdup(src);
    if (!c)
        return durable__error_oom();
    durable_free(*dst);
    *dst = c;
    return 0;
}

/* Result / error replaced (NULL clears), as the engine's set_result /
 * set_error do. */
static int set_outcome(durable_operation *op, const char *result, const durable_error_object *err)
{
    char *r = NULL;
    durable_error_object *e = NULL;
    if (result && !(r = durable__strdup(result)))
        return durable__error_oom();
    if (err && durable_error_object_dup(&e, err) < 0) {
        durable_free(r);
        return durable__error_oom();
    }
    durable_free(op->result);
    durable_error_object_free(op->error);
    op->result = r;
    op->error = e;
    return 0;
}

static void close_op(durable_operation *op, durable_op_status st, int64_t when)
{
    op->status = st;
    op->end_timestamp = when;
    op->next_attempt_timestamp = 0;
}

static int apply_step(durable_operation *op, const durable_event *e)
{
    if (e->type == DURABLE_EVENT_STEP_STARTED) {
        op->status = DURABLE_OP_STARTED;
        op->next_attempt_timestamp = 0;
        return 0;
    }
    bool failed = e->type == DURABLE_EVENT_STEP_FAILED;
    if (e->current_attempt != DURABLE_ABSENT)
        op->attempt = e->current_attempt;
    int rc = set_outcome(op, failed ? NULL : e->payload, failed ? e->error : NULL);
    if (rc < 0)
        return rc;
    if (e->next_attempt_delay_seconds != DURABLE_ABSENT) {
        /* RETRY: PENDING until the retry timer (which writes no event). */
        op->status = DURABLE_OP_PENDING;
        op->end_timestamp = 0;
        op->next_attempt_timestamp = e->timestamp + e->next_attempt_delay_seconds * 1000;
        return 0;
    }
    close_op(op, failed ? DURABLE_OP_FAILED : DURABLE_OP_SUCCEEDED, e->timestamp);
    return 0;
}

static int apply_event(durable_operation *op, const durable_event *e)
{
    switch (e->type) {
    case DURABLE_EVENT_STEP_STARTED:
    case DURABLE_EVENT_STEP_SUCCEEDED:
    case DURABLE_EVENT_STEP_FAILED: return apply_step(op, e);
    case DURABLE_EVENT_WAIT_STARTED:
        op->scheduled_end_timestamp = e->scheduled_end_timestamp;
        return 0;
    case DURABLE_EVENT_CALLBACK_STARTED: return set_str(&op->callback_id, e->callback_id);
    case DURABLE_EVENT_CONTEXT_STARTED:
    case DURABLE_EVENT_CHAINED_INVOKE_STARTED: return 0;
    default: break;
    }
    durable_op_status st;
    bool success = false;
    switch (e->type) {
    case DURABLE_EVENT_CONTEXT_SUCCEEDED:
    case DURABLE_EVENT_WAIT_SUCCEEDED:
    case DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED:
    case DURABLE_EVENT_CALLBACK_SUCCEEDED:
        st = DURABLE_OP_SUCCEEDED;
        success = true;
        break;
    case DURABLE_EVENT_WAIT_CANCELLED: st = DURABLE_OP_CANCELLED; break;
    case DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT:
    case DURABLE_EVENT_CALLBACK_TIMED_OUT: st = DURABLE_OP_TIMED_OUT; break;
    case DURABLE_EVENT_CHAINED_INVOKE_STOPPED: st = DURABLE_OP_STOPPED; break;
    default: st = DURABLE_OP_FAILED; break;
    }
    close_op(op, st, e->timestamp);
    if (e->type == DURABLE_EVENT_WAIT_SUCCEEDED || e->type == DURABLE_EVENT_WAIT_CANCELLED)
        return 0; /* a wait carries neither result nor error */
    return set_outcome(op, success ? e->payload : NULL, success ? NULL : e->error);
}

static long find_op(const durable_operation_list *l, const char *id)
{
    for (size_t i = l->count; i-- > 0;)
        if (l->items[i].id && strcmp(l->items[i].id, id) == 0)
            return (long)i;
    return -1;
}

int durable__cloud_ops_from_history(durable_operation_list *out, const durable_event *events,
                                    size_t count)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < count; k++) {
        const durable_event *e = &events[k];
        durable_op_type t = type_of(e->type);
        if (t == DURABLE_OP_TYPE_NONE || !e->id)
            continue;
        long i = find_op(out, e->id);
        if (i < 0) {
            durable_operation op;
            durable_operation_init(&op);
            op.type = t;
            op.status = DURABLE_OP_STARTED;
            op.start_timestamp = e->timestamp;
            if ((rc = set_str(&op.id, e->id)) < 0 || (rc = set_str(&op.parent_id, e->parent_id)) < 0 ||
                (rc = set_str(&op.name, e->name)) < 0 || (rc = set_str(&op.subtype, e->subtype)) < 0 ||
                (rc = durable_operation_list_take(out, &op)) < 0) {
                durable_operation_clear(&op);
                break;
            }
            i = (long)out->count - 1;
        }
        rc = apply_event(&out->items[i], e);
    }
    if (rc < 0)
        durable_operation_list_clear(out);
    return rc;
}

static bool is_exec_end(durable_event_type t)
{
    return t == DURABLE_EVENT_EXECUTION_SUCCEEDED || t == DURABLE_EVENT_EXECUTION_FAILED ||
           t == DURABLE_EVENT_EXECUTION_TIMED_OUT || t == DURABLE_EVENT_EXECUTION_STOPPED;
}

/* The history has no outcome field: an error means ERROR; an execution end
 * right after the invocation means its output closed the execution
 * (SUCCEEDED / FAILED), or, at the same instant, that the execution was
 * stopped or timed out while it ran (STOPPED); anything else is PENDING. */
static const char *outcome_of(const durable_event *events, size_t count, size_t k)
{
    const durable_event *e = &events[k];
    if (e->error)
        return "ERROR";
    if (k + 1 < count && is_exec_end(events[k + 1].type)) {
        const durable_event *x = &events[k + 1];
        if (x->type == DURABLE_EVENT_EXECUTION_SUCCEEDED)
            return "SUCCEEDED";
        if (x->type == DURABLE_EVENT_EXECUTION_FAILED)
            return "FAILED";
        if (x->timestamp == e->invocation_end_timestamp)
            return "STOPPED";
    }
    return "PENDING";
}

int durable__cloud_invs_from_history(durable__inv **out, size_t *out_count,
                                     const durable_event *events, size_t count)
{
    *out = NULL;
    *out_count = 0;
    size_t n = 0;
    for (size_t k = 0; k < count; k++)
        n += events[k].type == DURABLE_EVENT_INVOCATION_COMPLETED;
    if (!n)
        return 0;
    durable__inv *v = durable__calloc(n, sizeof *v);
    if (!v)
        return durable__error_oom();
    size_t w = 0;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < count; k++) {
        const durable_event *e = &events[k];
        if (e->type != DURABLE_EVENT_INVOCATION_COMPLETED)
            continue;
        durable__inv *d = &v[w++];
        d->start_timestamp = e->invocation_start_timestamp;
        d->end_timestamp = e->invocation_end_timestamp;
        if ((e->request_id && !(d->request_id = durable__strdup(e->request_id))) ||
            !(d->outcome = durable__strdup(outcome_of(events, count, k))) ||
            (e->error && durable_error_object_dup(&d->error, e->error) < 0))
            rc = durable__error_oom();
    }
    if (rc < 0) {
        for (size_t i = 0; i < w; i++) {
            durable_free(v[i].request_id);
            durable_free(v[i].outcome);
            durable_error_object_free(v[i].error);
        }
        durable_free(v);
        return rc;
    }
    *out = v;
    *out_count = w;
    return 0;
}

int durable__cloud_result_build(durable_test_result **out, const durable_execution_info *exec,
                                const durable_event *events, size_t count)
{
    *out = NULL;
    durable__snap snap;
    memset(&snap, 0, sizeof snap);
    int rc = durable_execution_info_copy(&snap.exec, exec);
    if (rc == 0 && count && !(snap.events = durable__calloc(count, sizeof *snap.events)))
        rc = durable__error_oom();
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if ((rc = durable_event_copy(&snap.events[i], &events[i])) == 0)
            snap.event_count++;
    }
    if (rc == 0)
        rc = durable__cloud_ops_from_history(&snap.ops, events, count);
    if (rc == 0)
        rc = durable__cloud_invs_from_history(&snap.invs, &snap.inv_count, events, count);
    if (rc == 0)
        rc = durable__result_from_snap(out, &snap, NULL);
    durable__snap_clear(&snap);
    return rc;
}
