/* CALLBACK processor (SPEC §6.4): START mints the callback id and arms the
 * deadlines; CANCEL disarms them and appends no event. The external APIs are
 * in callbacks.c, the deadlines in timers.c. */
#include "engine/engine_internal.h"

static int insert_callback(durable_engine *e, const eng_exec *x, const eng_op *o,
                           int64_t timeout_s, int64_t heartbeat_s)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "INSERT INTO callbacks (callback_id, execution_id, op_id, timeout_seconds, "
        "heartbeat_seconds, timeout_deadline_ms, heartbeat_deadline_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (rc < 0)
        return rc;
    durable__db_text(st, 1, o->op.callback_id);
    durable__db_i64(st, 2, x->rowid);
    durable__db_text(st, 3, o->op.id);
    durable__db_i64(st, 4, timeout_s);
    durable__db_i64(st, 5, heartbeat_s);
    durable__db_i64_or_null(st, 6, timeout_s > 0 ? e->now + timeout_s * 1000 : 0);
    durable__db_i64_or_null(st, 7, heartbeat_s > 0 ? e->now + heartbeat_s * 1000 : 0);
    return durable__db_done(e, st, "insert callback");
}

static int disarm(durable_engine *e, const eng_exec *x, const char *op_id)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE callbacks SET timeout_deadline_ms = NULL, "
                                 "heartbeat_deadline_ms = NULL, completed_ms = ?3 "
                                 "WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text(st, 2, op_id);
    durable__db_i64(st, 3, e->now);
    return durable__db_done(e, st, "disarm callback");
}

int durable__apply_callback(durable_engine *e, eng_exec *x, eng_op *o,
                            const durable_operation_update *u)
{
    int rc;
    if (u->action == DURABLE_ACTION_CANCEL) {
        o->op.status = DURABLE_OP_CANCELLED;
        if ((rc = durable__op_save(e, x, o, false)) < 0)
            return rc;
        return disarm(e, x, o->op.id); /* the API has no event for this */
    }
    if ((rc = durable__op_create_from(e, x, o, u, DURABLE_OP_STARTED)) < 0)
        return rc;
    int64_t timeout_s = 0, heartbeat_s = 0;
    if (u->options == DURABLE_OPTIONS_CALLBACK) {
        if (u->timeout_seconds > 0)
            timeout_s = u->timeout_seconds;
        if (u->heartbeat_timeout_seconds > 0)
            heartbeat_s = u->heartbeat_timeout_seconds;
    }
    if ((rc = durable_callback_id_encode(&o->op.callback_id, x->arn, o->op.id)) < 0)
        return rc;
    if ((rc = durable__op_save(e, x, o, false)) < 0 ||
        (rc = insert_callback(e, x, o, timeout_s, heartbeat_s)) < 0)
        return rc;
    durable_event ev;
    durable__event_prepare(&ev, DURABLE_EVENT_CALLBACK_STARTED, &o->op);
    ev.callback_id = durable__strdup(o->op.callback_id);
    ev.timeout = timeout_s > 0 ? timeout_s : DURABLE_ABSENT;
    ev.heartbeat_timeout = heartbeat_s > 0 ? heartbeat_s : DURABLE_ABSENT;
    if (!ev.callback_id) {
        durable_event_clear(&ev);
        return durable__error_oom();
    }
    return durable__history_append(e, x, &ev);
}
