/* STEP processor (SPEC §6.2): START, SUCCEED, FAIL, RETRY. */
#include "engine/engine_internal.h"

static int64_t ended_attempts(const eng_op *o)
{
    return o->op.attempt == DURABLE_ABSENT ? 0 : o->op.attempt;
}

/* StepSucceeded / StepFailed carry Result or Error plus RetryDetails. */
static int step_event(durable_engine *e, eng_exec *x, const eng_op *o, bool failed,
                      int64_t next_delay)
{
    durable_event ev;
    durable__event_prepare(&ev, failed ? DURABLE_EVENT_STEP_FAILED : DURABLE_EVENT_STEP_SUCCEEDED,
                           &o->op);
    int rc = 0;
    if (failed) {
        rc = o->op.error ? durable_error_object_dup(&ev.error, o->op.error)
                         : durable_error_object_new(&ev.error, NULL, NULL, NULL);
    } else {
        ev.has_payload_object = true;
        ev.payload = durable__strdup(o->op.result);
        if (o->op.result && !ev.payload)
            rc = durable__error_oom();
    }
    ev.current_attempt = o->op.attempt;
    ev.next_attempt_delay_seconds = next_delay;
    if (rc < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    return durable__history_append(e, x, &ev);
}

int durable__apply_step(durable_engine *e, eng_exec *x, eng_op *o,
                        const durable_operation_update *u)
{
    int rc = 0;
    if (!o->exists)
        rc = durable__op_create_from(e, x, o, u, DURABLE_OP_STARTED);
    if (rc < 0)
        return rc;
    o->op.next_attempt_timestamp = 0;
    o->timer_ms = 0;
    switch (u->action) {
    case DURABLE_ACTION_START: {
        /* StartTimestamp and Attempt are kept when the step exists. */
        o->op.status = DURABLE_OP_STARTED;
        if ((rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        durable_event ev;
        durable__event_prepare(&ev, DURABLE_EVENT_STEP_STARTED, &o->op);
        return durable__history_append(e, x, &ev);
    }
    case DURABLE_ACTION_SUCCEED:
        o->op.status = DURABLE_OP_SUCCEEDED;
        o->op.attempt = ended_attempts(o) + 1;
        if ((rc = durable__op_set_result(o, u->payload)) < 0 ||
            (rc = durable__op_set_error(o, NULL)) < 0 || (rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        return step_event(e, x, o, false, DURABLE_ABSENT);
    case DURABLE_ACTION_FAIL:
        o->op.status = DURABLE_OP_FAILED;
        o->op.attempt = ended_attempts(o) + 1;
        if ((rc = durable__op_set_result(o, NULL)) < 0 ||
            (rc = durable__op_set_error(o, u->error)) < 0 || (rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        return step_event(e, x, o, true, DURABLE_ABSENT);
    case DURABLE_ACTION_RETRY:
        /* PENDING until the retry timer makes it READY; Result and Error are
         * replaced (absent clears). With Error it is a failed attempt; without,
         * the wait-for-condition "continue" shape (StepSucceeded). */
        o->op.status = DURABLE_OP_PENDING;
        o->op.attempt = ended_attempts(o) + 1;
        o->op.end_timestamp = 0;
        o->op.next_attempt_timestamp = e->now + u->next_attempt_delay_seconds * 1000;
        o->timer_ms = o->op.next_attempt_timestamp;
        if ((rc = durable__op_set_result(o, u->payload)) < 0 ||
            (rc = durable__op_set_error(o, u->error)) < 0 || (rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        return step_event(e, x, o, u->error != NULL, u->next_attempt_delay_seconds);
    default:
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid action for the given operation type.",
                                 "STEP %s", u->id);
    }
}
