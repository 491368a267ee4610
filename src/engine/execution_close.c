/* Closing an execution (SPEC §6.7, §8.3, §8.6): the execution and its
 * EXECUTION operation take the terminal status, every timer is disarmed,
 * and exactly one terminal event is appended — at once, or deferred until
 * the in-flight invocation's InvocationCompleted. Also closes the in-flight
 * invocation itself (InvocationCompleted). */
#include <string.h>

#include "engine/engine_internal.h"

static durable_op_status op_status_of(durable_exec_status s)
{
    switch (s) {
    case DURABLE_EXEC_SUCCEEDED:
        return DURABLE_OP_SUCCEEDED;
    case DURABLE_EXEC_FAILED:
        return DURABLE_OP_FAILED;
    case DURABLE_EXEC_TIMED_OUT:
        return DURABLE_OP_TIMED_OUT;
    default:
        return DURABLE_OP_STOPPED;
    }
}

static int disarm_all(durable_engine *e, const eng_exec *x)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE operations SET timer_ms = NULL "
                                 "WHERE execution_id = ?1 AND timer_ms IS NOT NULL");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    if ((rc = durable__db_done(e, st, "disarm operation timers")) < 0)
        return rc;
    rc = durable__db_prepare(e, &st,
                             "UPDATE callbacks SET timeout_deadline_ms = NULL, "
                             "heartbeat_deadline_ms = NULL WHERE execution_id = ?1 AND "
                             "(timeout_deadline_ms IS NOT NULL OR heartbeat_deadline_ms IS NOT NULL)");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    return durable__db_done(e, st, "disarm callback deadlines");
}

static int store_outcome(durable_engine *e, const eng_exec *x, const char *result,
                         const durable_error_object *err)
{
    char *error_json = NULL;
    int rc = durable__error_json(&error_json, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st;
    rc = durable__db_prepare(e, &st, "UPDATE executions SET result = ?2, error = ?3 WHERE id = ?1");
    if (rc == 0) {
        durable__db_i64(st, 1, x->rowid);
        durable__db_text(st, 2, result);
        durable__db_text(st, 3, error_json);
        rc = durable__db_done(e, st, "store execution outcome");
    }
    durable_free(error_json);
    return rc;
}

int durable__exec_close(durable_engine *e, eng_exec *x, durable_exec_status status,
                        const char *result, const durable_error_object *err, bool defer_event)
{
    x->status = status;
    x->end_ms = e->now;
    x->deadline_ms = 0;
    x->retry_ms = 0;
    x->needs_invocation = false;
    int rc = store_outcome(e, x, result, err);
    if (rc < 0)
        return rc;
    eng_op o;
    if ((rc = durable__op_load(e, &o, x, x->op_id)) < 0)
        return rc;
    if (o.exists) {
        o.op.status = op_status_of(status);
        o.op.end_timestamp = e->now;
        rc = durable__op_save(e, x, &o, !defer_event);
    }
    durable__eop_clear(&o);
    if (rc == 0)
        rc = disarm_all(e, x);
    if (rc < 0)
        return rc;
    if (defer_event) {
        x->terminal_pending = true;
        return 0;
    }
    return durable__exec_flush_terminal(e, x);
}

int durable__exec_flush_terminal(durable_engine *e, eng_exec *x)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st, "SELECT result, error FROM executions WHERE id = ?1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    if ((rc = durable__db_row(e, st, "load execution outcome")) < 0)
        return rc;
    char *result = rc ? durable__col_dup(st, 0) : NULL;
    durable_error_object *err = NULL;
    rc = rc ? durable__error_parse(&err, (const char *)sqlite3_column_text(st, 1)) : 0;
    durable__db_reset(st);
    durable_event ev;
    durable_event_type type = x->status == DURABLE_EXEC_SUCCEEDED   ? DURABLE_EVENT_EXECUTION_SUCCEEDED
                              : x->status == DURABLE_EXEC_FAILED    ? DURABLE_EVENT_EXECUTION_FAILED
                              : x->status == DURABLE_EXEC_TIMED_OUT ? DURABLE_EVENT_EXECUTION_TIMED_OUT
                                                                    : DURABLE_EVENT_EXECUTION_STOPPED;
    durable__event_prepare(&ev, type, NULL);
    if (rc == 0 && type == DURABLE_EVENT_EXECUTION_SUCCEEDED) {
        ev.has_payload_object = true;
        ev.payload = result;
        result = NULL;
    } else if (rc == 0) {
        if (!err)
            rc = durable_error_object_new(&err, NULL, NULL, NULL);
        ev.error = err;
        err = NULL;
    }
    durable_free(result);
    durable_error_object_free(err);
    if (rc < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    if ((rc = durable__history_append(e, x, &ev)) < 0)
        return rc;
    x->terminal_pending = false;
    return durable__chained_child_closed(e, x);
}

int durable__invocation_close(durable_engine *e, eng_exec *x, const char *outcome,
                              const durable_error_object *err)
{
    if (!x->inflight)
        return 0;
    sqlite3_stmt *st;
    int rc = 0;
    int64_t start_ms = x->inflight_start_ms;
    if (!start_ms) {
        rc = durable__db_prepare(e, &st,
                                 "SELECT start_ms FROM invocations WHERE invocation_id = ?1 "
                                 "AND end_ms IS NULL");
        if (rc < 0)
            return rc;
        durable__db_text(st, 1, x->inflight);
        if ((rc = durable__db_row(e, st, "load invocation")) < 0)
            return rc;
        if (rc == 0)
            return durable__eng_fail(e, DURABLE_ESTATE, "Invocation already completed.",
                                     "invocation %s", x->inflight);
        start_ms = durable__col_i64(st, 0);
        durable__db_reset(st);
    }
    char *error_json = NULL;
    if ((rc = durable__error_json(&error_json, err)) < 0)
        return rc;
    rc = durable__db_prepare(e, &st,
                             "UPDATE invocations SET end_ms = ?2, outcome = ?3, error = ?4 "
                             "WHERE invocation_id = ?1 AND end_ms IS NULL");
    if (rc == 0) {
        durable__db_text(st, 1, x->inflight);
        durable__db_i64(st, 2, e->now);
        durable__db_text(st, 3, outcome);
        durable__db_text(st, 4, error_json);
        rc = durable__db_done(e, st, "close invocation");
    }
    durable_free(error_json);
    if (rc == 0 && sqlite3_changes(durable__store_db(e->store)) != 1)
        rc = durable__eng_fail(e, DURABLE_ESTATE, "Invocation already completed.",
                               "invocation %s", x->inflight);
    if (rc < 0)
        return rc;
    x->inflight_start_ms = 0;
    durable_event ev;
    durable__event_prepare(&ev, DURABLE_EVENT_INVOCATION_COMPLETED, NULL);
    ev.invocation_start_timestamp = start_ms;
    ev.invocation_end_timestamp = e->now;
    ev.request_id = x->inflight; /* moved: the invocation is over */
    x->inflight = NULL;
    x->inv_deadline_ms = 0;
    if (err && (rc = durable_error_object_dup(&ev.error, err)) < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    return durable__history_append(e, x, &ev);
}

int durable__exec_abort(durable_engine *e, eng_exec *x, durable_exec_status status,
                        const durable_error_object *err)
{
    int rc = durable__invocation_close(e, x, "STOPPED", NULL);
    if (rc < 0)
        return rc;
    return durable__exec_close(e, x, status, NULL, err, false);
}
