/* External callback APIs (SPEC §6.4): success, failure, heartbeat. A
 * callback completes exactly once — the operation row is updated only while
 * its status is STARTED — and a rejected call changes nothing. */
#include <string.h>

#include "engine/engine_internal.h"

typedef struct cb_ref {
    int64_t exec_rowid;
    char *op_id;
    int64_t heartbeat_seconds;
} cb_ref;

/* Find the callback and check it can still be answered. */
static int resolve(durable_engine *e, cb_ref *r, eng_exec *x, eng_op *o, const char *callback_id)
{
    memset(r, 0, sizeof *r);
    memset(x, 0, sizeof *x);
    durable__eop_init(o);
    if (!callback_id || !*callback_id || strlen(callback_id) > DURABLE_MAX_CALLBACK_ID_LEN)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Callback not found.", "CallbackId");
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT execution_id, op_id, heartbeat_seconds FROM callbacks "
                                 "WHERE callback_id = ?1");
    if (rc < 0)
        return rc;
    durable__db_text(st, 1, callback_id);
    if ((rc = durable__db_row(e, st, "find callback")) < 0)
        return rc;
    if (rc == 0)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Callback not found.", "CallbackId %s",
                                 callback_id);
    r->exec_rowid = durable__col_i64(st, 0);
    r->op_id = durable__col_dup(st, 1);
    r->heartbeat_seconds = durable__col_i64(st, 2);
    durable__db_reset(st);
    if (!r->op_id)
        return durable__error_oom();
    if ((rc = durable__exec_load_rowid(e, x, r->exec_rowid)) < 0 ||
        (rc = durable__op_load(e, o, x, r->op_id)) < 0)
        return rc;
    if (!o->exists)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Callback not found.",
                                 "CallbackId %s (operation %s)", callback_id, r->op_id);
    if (o->op.status == DURABLE_OP_TIMED_OUT)
        return durable__eng_fail(e, DURABLE_ECALLBACK_TIMEOUT, "Callback timed out.",
                                 "callback %s of %s", r->op_id, x->arn);
    if (o->op.status != DURABLE_OP_STARTED)
        return durable__eng_fail(e, DURABLE_ECALLBACK_DONE, "Callback has already been completed.",
                                 "callback %s of %s is %s", r->op_id, x->arn,
                                 durable_op_status_name(o->op.status));
    if (x->status != DURABLE_EXEC_RUNNING)
        return durable__eng_fail(e, DURABLE_ECLOSED, "Execution is not running.",
                                 "callback %s of %s", r->op_id, x->arn);
    return 0;
}

static int disarm(durable_engine *e, const cb_ref *r)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE callbacks SET timeout_deadline_ms = NULL, "
                                 "heartbeat_deadline_ms = NULL, completed_ms = ?3 "
                                 "WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, r->exec_rowid);
    durable__db_text(st, 2, r->op_id);
    durable__db_i64(st, 3, e->now);
    return durable__db_done(e, st, "disarm callback");
}

/* Succeed or fail: the engine-made change, its event, and the trigger. */
static int finish(durable_engine *e, eng_exec *x, eng_op *o, const cb_ref *r, const char *result,
                  size_t result_len, const durable_error_object *err)
{
    bool success = err == NULL;
    int rc = 0;
    o->op.status = success ? DURABLE_OP_SUCCEEDED : DURABLE_OP_FAILED;
    if (success) {
        char *copy = result_len ? durable__strndup(result, result_len) : NULL;
        if (result_len && !copy)
            return durable__error_oom();
        durable_free(o->op.result);
        o->op.result = copy;
    } else if ((rc = durable__op_set_error(o, err)) < 0) {
        return rc;
    }
    if ((rc = durable__op_save(e, x, o, true)) < 0 || (rc = disarm(e, r)) < 0)
        return rc;
    durable_event ev;
    durable__event_prepare(&ev, success ? DURABLE_EVENT_CALLBACK_SUCCEEDED
                                        : DURABLE_EVENT_CALLBACK_FAILED, &o->op);
    if (success) {
        ev.has_payload_object = true;
        ev.payload = durable__strdup(o->op.result);
        if (o->op.result && !ev.payload)
            rc = durable__error_oom();
    } else {
        rc = durable_error_object_dup(&ev.error, err);
    }
    if (rc < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    if ((rc = durable__history_append(e, x, &ev)) < 0)
        return rc;
    durable__exec_trigger(x);
    return durable__exec_save(e, x);
}

static int heartbeat(durable_engine *e, const cb_ref *r)
{
    if (r->heartbeat_seconds <= 0)
        return 0; /* accepted as a no-op (Appendix A) */
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE callbacks SET heartbeat_deadline_ms = ?3, "
                                 "last_heartbeat_ms = ?4 WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, r->exec_rowid);
    durable__db_text(st, 2, r->op_id);
    durable__db_i64(st, 3, e->now + r->heartbeat_seconds * 1000);
    durable__db_i64(st, 4, e->now);
    return durable__db_done(e, st, "callback heartbeat");
}

typedef enum { CB_SUCCESS, CB_FAILURE, CB_HEARTBEAT } cb_kind;

static int handle(durable_engine *e, cb_kind kind, const char *callback_id, const char *result,
                  size_t result_len, const durable_error_object *err)
{
    cb_ref r;
    eng_exec x;
    eng_op o;
    int rc = resolve(e, &r, &x, &o, callback_id);
    if (rc == 0 && kind == CB_SUCCESS) {
        if (result_len > DURABLE_MAX_CALLBACK_RESULT_BYTES)
            rc = durable__eng_fail(e, DURABLE_EINVAL,
                                   "Callback result size must be less than or equal to 262144 bytes.",
                                   "callback %s: %zu bytes", r.op_id, result_len);
        else if (result_len && (!result || !durable__utf8_valid(result, result_len) ||
                                memchr(result, '\0', result_len)))
            rc = durable__eng_fail(e, DURABLE_EINVAL, "Callback result must be valid UTF-8.",
                                   "callback %s", r.op_id);
        if (rc == 0)
            rc = finish(e, &x, &o, &r, result, result_len, NULL);
    } else if (rc == 0 && kind == CB_FAILURE) {
        durable_error_object *empty = NULL;
        if (!err)
            rc = durable_error_object_new(&empty, NULL, NULL, NULL);
        const durable_error_object *use = err ? err : empty;
        if (rc == 0 && durable_error_object_json_size(use) > DURABLE_MAX_ERROR_BYTES)
            rc = durable__eng_fail(e, DURABLE_EINVAL,
                                   "Error object size must be less than 32768 bytes.",
                                   "callback %s", r.op_id);
        else if (rc == 0 && !durable__error_utf8_valid(use))
            rc = durable__eng_fail(e, DURABLE_EINVAL, DURABLE__ERROR_UTF8_TEXT, "callback %s",
                                   r.op_id);
        if (rc == 0)
            rc = finish(e, &x, &o, &r, NULL, 0, use);
        durable_error_object_free(empty);
    } else if (rc == 0) {
        rc = heartbeat(e, &r);
    }
    durable_free(r.op_id);
    durable__exec_clear(&x);
    durable__eop_clear(&o);
    return rc;
}

static int run(durable_engine *e, cb_kind kind, const char *callback_id, const char *result,
               size_t result_len, const durable_error_object *err)
{
    if (!e)
        return durable__error_set(DURABLE_EINVAL, "engine is required");
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    return durable__eng_end(e, handle(e, kind, callback_id, result, result_len, err));
}

int durable_engine_callback_success(durable_engine *e, const char *callback_id,
                                    const char *result, size_t result_len)
{
    return run(e, CB_SUCCESS, callback_id, result, result_len, NULL);
}

int durable_engine_callback_failure(durable_engine *e, const char *callback_id,
                                    const durable_error_object *error)
{
    return run(e, CB_FAILURE, callback_id, NULL, 0, error);
}

int durable_engine_callback_heartbeat(durable_engine *e, const char *callback_id)
{
    return run(e, CB_HEARTBEAT, callback_id, NULL, 0, NULL);
}
