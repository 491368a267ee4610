/* Operation rows: decode, load, insert/update with change bookkeeping
 * (SPEC §6.1 creation and start sequence, §7.3 last_changed_seq). */
#include <string.h>

#include "engine/engine_internal.h"

void durable__eop_init(eng_op *o)
{
    memset(o, 0, sizeof *o);
    durable_operation_init(&o->op);
}

void durable__eop_clear(eng_op *o)
{
    if (!o)
        return;
    durable_operation_clear(&o->op);
    memset(o, 0, sizeof *o);
}

/* Column helpers that make one SQLite call per NULL column: the state read
 * decodes every operation of an execution on each invocation. */
static int text_col(char **out, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t) {
        *out = NULL;
        return 0;
    }
    *out = durable__strndup((const char *)t, (size_t)sqlite3_column_bytes(st, col));
    return *out ? 0 : -1;
}

static int64_t int_col(sqlite3_stmt *st, int col, int64_t if_null)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? if_null : sqlite3_column_int64(st, col);
}

int durable__op_from_row(eng_op *o, sqlite3_stmt *st)
{
    durable__eop_init(o);
    durable_operation *op = &o->op;
    const char *type = (const char *)sqlite3_column_text(st, 3);
    const char *status = (const char *)sqlite3_column_text(st, 5);
    if (durable_op_type_parse(&op->type, type ? type : "") < 0 ||
        durable_op_status_parse(&op->status, status ? status : "") < 0) {
        durable__eop_clear(o);
        return durable__error_set(DURABLE_EDB, "operations row has an unknown type or status");
    }
    if (text_col(&op->id, st, 0) < 0 || text_col(&op->parent_id, st, 1) < 0 ||
        text_col(&op->name, st, 2) < 0 || text_col(&op->subtype, st, 4) < 0 ||
        text_col(&op->input_payload, st, 8) < 0 || text_col(&op->callback_id, st, 13) < 0 ||
        text_col(&op->result, st, 14) < 0 || !op->id) {
        durable__eop_clear(o);
        return durable__error_oom();
    }
    op->start_timestamp = sqlite3_column_int64(st, 6);
    op->end_timestamp = int_col(st, 7, 0);
    op->replay_children = (int)int_col(st, 9, DURABLE_ABSENT);
    op->attempt = int_col(st, 10, DURABLE_ABSENT);
    op->next_attempt_timestamp = int_col(st, 11, 0);
    op->scheduled_end_timestamp = int_col(st, 12, 0);
    const char *err = (const char *)sqlite3_column_text(st, 15);
    if (err) {
        int rc = durable__error_parse(&op->error, err);
        if (rc < 0) {
            durable__eop_clear(o);
            return rc;
        }
    }
    o->start_seq = sqlite3_column_int64(st, 16);
    o->wait_seconds = int_col(st, 17, 0);
    o->timer_ms = int_col(st, 18, 0);
    o->exists = o->in_db = true;
    o->stored_status = op->status;
    return 0;
}

int durable__op_load(durable_engine *e, eng_op *o, const eng_exec *x, const char *op_id)
{
    durable__eop_init(o);
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT " DURABLE__OP_COLUMNS
                                 " FROM operations WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text_static(st, 2, op_id);
    rc = durable__db_row(e, st, "load operation");
    if (rc <= 0)
        return rc;
    rc = durable__op_from_row(o, st);
    durable__db_reset(st);
    return rc;
}

static int bind_common(sqlite3_stmt *st, const eng_exec *x, const eng_op *o, char *error_json,
                       bool engine_change)
{
    const durable_operation *op = &o->op;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text_static(st, 2, op->id);
    durable__db_i64(st, 3, o->start_seq);
    durable__db_text_static(st, 4, op->parent_id);
    durable__db_text_static(st, 5, op->name);
    durable__db_text_static(st, 6, durable_op_type_name(op->type));
    durable__db_text_static(st, 7, op->subtype);
    durable__db_text_static(st, 8, durable_op_status_name(op->status));
    durable__db_i64(st, 9, op->start_timestamp);
    durable__db_i64_or_null(st, 10, op->end_timestamp);
    durable__db_text_static(st, 11, op->input_payload);
    if (op->replay_children == DURABLE_ABSENT)
        sqlite3_bind_null(st, 12);
    else
        durable__db_i64(st, 12, op->replay_children ? 1 : 0);
    if (op->attempt == DURABLE_ABSENT)
        sqlite3_bind_null(st, 13);
    else
        durable__db_i64(st, 13, op->attempt);
    durable__db_i64_or_null(st, 14, op->next_attempt_timestamp);
    if (o->wait_seconds)
        durable__db_i64(st, 15, o->wait_seconds);
    else
        sqlite3_bind_null(st, 15);
    durable__db_i64_or_null(st, 16, op->scheduled_end_timestamp);
    durable__db_i64_or_null(st, 17, o->timer_ms);
    durable__db_text_static(st, 18, op->callback_id);
    durable__db_text_static(st, 19, op->result);
    durable__db_text_static(st, 20, error_json);
    durable__db_i64(st, 21, x->change_seq);
    durable__db_i64(st, 22, engine_change ? 1 : 0);
    return 0;
}

/* The operation as its row reads back (durable__op_from_row): ReplayChildren
 * stored as 0/1, the error through its stored JSON. */
static int stored_copy(durable_operation *out, const durable_operation *op, const char *error_json)
{
    durable_operation plain = *op;
    plain.error = NULL;
    int rc = durable_operation_copy(out, &plain);
    if (rc < 0)
        return rc;
    if (out->replay_children != DURABLE_ABSENT)
        out->replay_children = out->replay_children != 0;
    if (error_json && (rc = durable__error_parse(&out->error, error_json)) < 0)
        durable_operation_clear(out);
    return rc;
}

/* Remember the write for this call's checkpoint delta and the state cache. */
static int note_written(durable_engine *e, const eng_exec *x, const eng_op *o,
                        const char *error_json)
{
    if (e->written_count == e->written_cap) {
        size_t cap = e->written_cap ? e->written_cap * 2 : 16;
        struct eng_written *w = durable__realloc(e->written, cap * sizeof *w);
        if (!w)
            return durable__error_oom();
        e->written = w;
        e->written_cap = cap;
    }
    struct eng_written *w = &e->written[e->written_count];
    w->exec_rowid = x->rowid;
    w->start_seq = o->start_seq;
    int rc = stored_copy(&w->op, &o->op, error_json);
    if (rc == 0)
        e->written_count++;
    return rc;
}

void durable__written_clear(durable_engine *e)
{
    for (size_t i = 0; i < e->written_count; i++)
        durable_operation_clear(&e->written[i].op);
    e->written_count = 0;
}

int durable__op_save(durable_engine *e, eng_exec *x, eng_op *o, bool engine_change)
{
    x->change_seq++;
    e->ops_dirty = true;
    if (o->op.status != DURABLE_OP_STATUS_NONE && durable_op_status_is_terminal(o->op.status) &&
        !o->op.end_timestamp)
        o->op.end_timestamp = e->now;
    if (!o->in_db && !o->start_seq)
        o->start_seq = ++x->last_start_seq;
    o->exists = true;
    if (o->defer)
        return 0;
    if (o->timer_ms && o->timer_ms <= e->now)
        e->armed_due = true;
    char *error_json = NULL;
    int rc = durable__error_json(&error_json, o->op.error);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st;
    if (!o->in_db) {
        rc = durable__db_prepare(
            e, &st,
            "INSERT INTO operations (execution_id, op_id, start_seq, parent_id, name, type, "
            "subtype, status, start_ms, end_ms, input_payload, replay_children, attempt, "
            "next_attempt_ms, wait_seconds, scheduled_end_ms, timer_ms, callback_id, result, "
            "error, last_changed_seq, undelivered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
            "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
    } else {
        /* Guarded by the status we read: a row changed underneath is caught
         * (exactly-once completion is enforced by the database). */
        rc = durable__db_prepare(
            e, &st,
            "UPDATE operations SET parent_id = ?4, name = ?5, type = ?6, "
            "subtype = ?7, status = ?8, start_ms = ?9, end_ms = ?10, input_payload = ?11, "
            "replay_children = ?12, attempt = ?13, next_attempt_ms = ?14, wait_seconds = ?15, "
            "scheduled_end_ms = ?16, timer_ms = ?17, callback_id = ?18, result = ?19, "
            "error = ?20, last_changed_seq = ?21, undelivered = ?22 "
            "WHERE execution_id = ?1 AND op_id = ?2 AND status = ?23");
    }
    if (rc < 0) {
        durable_free(error_json);
        return rc;
    }
    bind_common(st, x, o, error_json, engine_change);
    if (o->in_db)
        durable__db_text_static(st, 23, durable_op_status_name(o->stored_status));
    rc = durable__db_done(e, st, o->in_db ? "update operation" : "insert operation");
    if (rc == 0 && o->in_db && sqlite3_changes(durable__store_db(e->store)) != 1)
        rc = durable__eng_fail(e, DURABLE_ESTATE, "Operation changed concurrently.",
                               "operation %s", o->op.id);
    if (rc == 0) {
        o->in_db = true;
        o->stored_status = o->op.status;
        rc = note_written(e, x, o, error_json);
    }
    durable_free(error_json);
    return rc;
}

int durable__op_mark_delivered(durable_engine *e, const eng_exec *x, const char *op_id)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE operations SET undelivered = 0 "
                                 "WHERE execution_id = ?1 AND op_id = ?2 AND undelivered = 1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text_static(st, 2, op_id);
    return durable__db_done(e, st, "mark delivered");
}

size_t durable__op_size(const durable_operation *op)
{
    size_t n = 256;
    if (op->result)
        n += strlen(op->result);
    if (op->input_payload)
        n += strlen(op->input_payload);
    if (op->name)
        n += strlen(op->name);
    if (op->callback_id)
        n += strlen(op->callback_id);
    if (op->error)
        n += durable_error_object_json_size(op->error);
    return n;
}
