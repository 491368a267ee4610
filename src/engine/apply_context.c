/* CONTEXT processor (SPEC §6.6). Completing a context never touches its
 * descendants. */
#include "engine/engine_internal.h"

int durable__apply_context(durable_engine *e, eng_exec *x, eng_op *o,
                           const durable_operation_update *u)
{
    int rc = 0;
    durable_op_status target = u->action == DURABLE_ACTION_START     ? DURABLE_OP_STARTED
                               : u->action == DURABLE_ACTION_SUCCEED ? DURABLE_OP_SUCCEEDED
                                                                     : DURABLE_OP_FAILED;
    if (!o->exists && (rc = durable__op_create_from(e, x, o, u, target)) < 0)
        return rc;
    o->op.status = target;
    if (u->options == DURABLE_OPTIONS_CONTEXT && u->replay_children != DURABLE_ABSENT &&
        u->action != DURABLE_ACTION_FAIL)
        o->op.replay_children = u->replay_children ? 1 : 0;
    durable_event ev;
    if (u->action == DURABLE_ACTION_START) {
        if ((rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        durable__event_prepare(&ev, DURABLE_EVENT_CONTEXT_STARTED, &o->op);
        return durable__history_append(e, x, &ev);
    }
    if (u->action == DURABLE_ACTION_SUCCEED) {
        if ((rc = durable__op_set_result(o, u->payload)) < 0 || (rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        durable__event_prepare(&ev, DURABLE_EVENT_CONTEXT_SUCCEEDED, &o->op);
        ev.has_payload_object = true;
        ev.payload = durable__strdup(o->op.result);
        if (o->op.result && !ev.payload) {
            durable_event_clear(&ev);
            return durable__error_oom();
        }
        return durable__history_append(e, x, &ev);
    }
    if ((rc = durable__op_set_error(o, u->error)) < 0 || (rc = durable__op_save(e, x, o, false)) < 0)
        return rc;
    durable__event_prepare(&ev, DURABLE_EVENT_CONTEXT_FAILED, &o->op);
    rc = u->error ? durable_error_object_dup(&ev.error, u->error)
                  : durable_error_object_new(&ev.error, NULL, NULL, NULL);
    if (rc < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    return durable__history_append(e, x, &ev);
}
