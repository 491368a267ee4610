/* WAIT processor (SPEC §6.3): START arms the timer, CANCEL disarms it.
 * The due transition is in timers.c. */
#include "engine/engine_internal.h"

int durable__apply_wait(durable_engine *e, eng_exec *x, eng_op *o,
                        const durable_operation_update *u)
{
    int rc;
    durable_event ev;
    if (u->action == DURABLE_ACTION_START) {
        if ((rc = durable__op_create_from(e, x, o, u, DURABLE_OP_STARTED)) < 0)
            return rc;
        o->wait_seconds = u->wait_seconds;
        o->op.scheduled_end_timestamp = e->now + u->wait_seconds * 1000;
        o->timer_ms = o->op.scheduled_end_timestamp;
        if ((rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        durable__event_prepare(&ev, DURABLE_EVENT_WAIT_STARTED, &o->op);
        ev.duration = o->wait_seconds;
        ev.scheduled_end_timestamp = o->op.scheduled_end_timestamp;
        return durable__history_append(e, x, &ev);
    }
    /* CANCEL (validated: exists and STARTED). */
    o->op.status = DURABLE_OP_CANCELLED;
    o->timer_ms = 0;
    if ((rc = durable__op_save(e, x, o, false)) < 0)
        return rc;
    durable__event_prepare(&ev, DURABLE_EVENT_WAIT_CANCELLED, &o->op);
    if (u->error && (rc = durable_error_object_dup(&ev.error, u->error)) < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    return durable__history_append(e, x, &ev);
}
