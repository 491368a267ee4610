/* Execution rows: load, save the bookkeeping columns, create (SPEC §8.1). */
#include <string.h>

#include "engine/engine_internal.h"

#define EXEC_COLUMNS                                                                         \
    "id, arn, op_id, function_name, qualifier, execution_name, status, start_ms, end_ms, " \
    "timeout_seconds, deadline_ms, tenant_id, parent_execution_id, parent_op_id, "         \
    "token_seq, inflight_invocation, needs_invocation, change_seq, delivered_seq, "        \
    "last_event_id, last_start_seq, terminal_pending, failed_invocations, "                \
    "retry_invocation_ms, invocation_deadline_ms"

void durable__exec_clear(eng_exec *x)
{
    if (!x)
        return;
    durable_free(x->arn);
    durable_free(x->op_id);
    durable_free(x->function_name);
    durable_free(x->qualifier);
    durable_free(x->execution_name);
    durable_free(x->tenant_id);
    durable_free(x->parent_op_id);
    durable_free(x->inflight);
    durable_free(x->stored.inflight);
    memset(x, 0, sizeof *x);
}

static void counters(int64_t out[5], const eng_exec *x)
{
    out[0] = x->token_seq;
    out[1] = x->change_seq;
    out[2] = x->delivered_seq;
    out[3] = x->last_event_id;
    out[4] = x->last_start_seq;
}

/* Remember the row as stored: the base that exec_save compares against. */
static int snapshot(eng_exec *x)
{
    char *inflight = durable__strdup(x->inflight);
    if (x->inflight && !inflight)
        return durable__error_oom();
    durable_free(x->stored.inflight);
    x->stored = (struct eng_exec_cold){
        .status = x->status,
        .end_ms = x->end_ms,
        .deadline_ms = x->deadline_ms,
        .retry_ms = x->retry_ms,
        .inv_deadline_ms = x->inv_deadline_ms,
        .needs_invocation = x->needs_invocation,
        .terminal_pending = x->terminal_pending,
        .failed_invocations = x->failed_invocations,
        .inflight = inflight,
    };
    counters(x->stored_counters, x);
    return 0;
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool cold_changed(const eng_exec *x)
{
    const struct eng_exec_cold *c = &x->stored;
    return c->status != x->status || c->end_ms != x->end_ms || c->deadline_ms != x->deadline_ms ||
           c->retry_ms != x->retry_ms || c->inv_deadline_ms != x->inv_deadline_ms ||
           c->needs_invocation != x->needs_invocation ||
           c->terminal_pending != x->terminal_pending ||
           c->failed_invocations != x->failed_invocations || !str_same(c->inflight, x->inflight);
}

static int from_row(eng_exec *x, sqlite3_stmt *st)
{
    x->rowid = durable__col_i64(st, 0);
    x->arn = durable__col_dup(st, 1);
    x->op_id = durable__col_dup(st, 2);
    x->function_name = durable__col_dup(st, 3);
    x->qualifier = durable__col_dup(st, 4);
    x->execution_name = durable__col_dup(st, 5);
    const char *status = (const char *)sqlite3_column_text(st, 6);
    durable_exec_status_parse(&x->status, status ? status : "");
    x->start_ms = durable__col_i64(st, 7);
    x->end_ms = durable__col_i64(st, 8);
    x->timeout_seconds = durable__col_i64(st, 9);
    x->deadline_ms = durable__col_i64(st, 10);
    x->tenant_id = durable__col_dup(st, 11);
    x->parent_rowid = durable__col_i64(st, 12);
    x->parent_op_id = durable__col_dup(st, 13);
    x->token_seq = durable__col_i64(st, 14);
    x->inflight = durable__col_dup(st, 15);
    x->needs_invocation = durable__col_i64(st, 16) != 0;
    x->change_seq = durable__col_i64(st, 17);
    x->delivered_seq = durable__col_i64(st, 18);
    x->last_event_id = durable__col_i64(st, 19);
    x->last_start_seq = durable__col_i64(st, 20);
    x->terminal_pending = durable__col_i64(st, 21) != 0;
    x->failed_invocations = (int)durable__col_i64(st, 22);
    x->retry_ms = durable__col_i64(st, 23);
    x->inv_deadline_ms = durable__col_i64(st, 24);
    if (!x->arn || !x->op_id || !x->function_name || !x->qualifier || !x->execution_name ||
        (!x->tenant_id && !durable__col_null(st, 11)) ||
        (!x->parent_op_id && !durable__col_null(st, 13)) ||
        (!x->inflight && !durable__col_null(st, 15))) {
        durable__exec_clear(x);
        return durable__error_oom();
    }
    int rc = snapshot(x);
    if (rc < 0)
        durable__exec_clear(x);
    return rc;
}

static int load(durable_engine *e, eng_exec *x, sqlite3_stmt *st, const char *what)
{
    memset(x, 0, sizeof *x);
    int rc = durable__db_row(e, st, what);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return DURABLE_ENOTFOUND;
    rc = from_row(x, st);
    durable__db_reset(st);
    return rc;
}

int durable__exec_load(durable_engine *e, eng_exec *x, const char *arn)
{
    memset(x, 0, sizeof *x);
    if (!arn || !*arn)
        return durable__eng_fail(e, DURABLE_EINVAL, "DurableExecutionArn is required.", NULL);
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st, "SELECT " EXEC_COLUMNS " FROM executions WHERE arn = ?1");
    if (rc < 0)
        return rc;
    durable__db_text_static(st, 1, arn);
    rc = load(e, x, st, "load execution");
    if (rc == DURABLE_ENOTFOUND)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.",
                                 "DurableExecutionArn %s", arn);
    return rc;
}

int durable__exec_load_rowid(durable_engine *e, eng_exec *x, int64_t rowid)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st, "SELECT " EXEC_COLUMNS " FROM executions WHERE id = ?1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, rowid);
    rc = load(e, x, st, "load execution");
    if (rc == DURABLE_ENOTFOUND)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.",
                                 "execution row %lld", (long long)rowid);
    return rc;
}

/* Only the counters changed (the common checkpoint): none of them is indexed. */
static int save_counters(durable_engine *e, const eng_exec *x)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE executions SET token_seq = ?2, change_seq = ?3, "
                                 "delivered_seq = ?4, last_event_id = ?5, last_start_seq = ?6 "
                                 "WHERE id = ?1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_i64(st, 2, x->token_seq);
    durable__db_i64(st, 3, x->change_seq);
    durable__db_i64(st, 4, x->delivered_seq);
    durable__db_i64(st, 5, x->last_event_id);
    durable__db_i64(st, 6, x->last_start_seq);
    return durable__db_done(e, st, "save execution");
}

static int save_all(durable_engine *e, const eng_exec *x)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "UPDATE executions SET status = ?2, end_ms = ?3, deadline_ms = ?4, token_seq = ?5, "
        "inflight_invocation = ?6, needs_invocation = ?7, change_seq = ?8, delivered_seq = ?9, "
        "last_event_id = ?10, last_start_seq = ?11, terminal_pending = ?12, "
        "failed_invocations = ?13, retry_invocation_ms = ?14, invocation_deadline_ms = ?15 "
        "WHERE id = ?1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text_static(st, 2, durable_exec_status_name(x->status));
    durable__db_i64_or_null(st, 3, x->end_ms);
    durable__db_i64_or_null(st, 4, x->deadline_ms);
    durable__db_i64(st, 5, x->token_seq);
    durable__db_text_static(st, 6, x->inflight);
    durable__db_i64(st, 7, x->needs_invocation ? 1 : 0);
    durable__db_i64(st, 8, x->change_seq);
    durable__db_i64(st, 9, x->delivered_seq);
    durable__db_i64(st, 10, x->last_event_id);
    durable__db_i64(st, 11, x->last_start_seq);
    durable__db_i64(st, 12, x->terminal_pending ? 1 : 0);
    durable__db_i64(st, 13, x->failed_invocations);
    durable__db_i64_or_null(st, 14, x->retry_ms);
    durable__db_i64_or_null(st, 15, x->inv_deadline_ms);
    return durable__db_done(e, st, "save execution");
}

int durable__exec_save(durable_engine *e, eng_exec *x)
{
    int rc = 0;
    int64_t now[5];
    counters(now, x);
    if (cold_changed(x))
        rc = save_all(e, x);
    else if (memcmp(now, x->stored_counters, sizeof now) != 0)
        rc = save_counters(e, x);
    else
        return 0;
    if (rc == 0)
        durable__state_cache_note_move(e, x->rowid, x->stored_counters[1], x->change_seq);
    return rc < 0 ? rc : snapshot(x);
}

void durable__exec_trigger(eng_exec *x)
{
    if (x->status == DURABLE_EXEC_RUNNING)
        x->needs_invocation = true;
}

static int insert_row(durable_engine *e, eng_exec *x, const char *input_payload)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "INSERT INTO executions (arn, op_id, function_name, qualifier, execution_name, status, "
        "input_payload, start_ms, timeout_seconds, deadline_ms, tenant_id, parent_execution_id, "
        "parent_op_id, needs_invocation) "
        "VALUES (?1, ?2, ?3, ?4, ?5, 'RUNNING', ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1)");
    if (rc < 0)
        return rc;
    durable__db_text(st, 1, x->arn);
    durable__db_text(st, 2, x->op_id);
    durable__db_text(st, 3, x->function_name);
    durable__db_text(st, 4, x->qualifier);
    durable__db_text(st, 5, x->execution_name);
    durable__db_text(st, 6, input_payload);
    durable__db_i64(st, 7, x->start_ms);
    durable__db_i64(st, 8, x->timeout_seconds);
    durable__db_i64(st, 9, x->deadline_ms);
    durable__db_text(st, 10, x->tenant_id);
    durable__db_i64_or_null(st, 11, x->parent_rowid);
    durable__db_text(st, 12, x->parent_op_id);
    rc = durable__db_done(e, st, "insert execution");
    if (rc < 0)
        return rc;
    x->rowid = sqlite3_last_insert_rowid(durable__store_db(e->store));
    return 0;
}

int durable__exec_create(durable_engine *e, eng_exec *x, const char *function_name,
                         const char *qualifier, const char *execution_name, const char *op_id,
                         const char *input_payload, int64_t timeout_seconds,
                         const char *tenant_id, int64_t parent_rowid, const char *parent_op_id)
{
    memset(x, 0, sizeof *x);
    int rc = durable_execution_arn(&x->arn, e->region, e->account, function_name, qualifier,
                                   execution_name, op_id);
    if (rc < 0)
        return rc;
    x->op_id = durable__strdup(op_id);
    x->function_name = durable__strdup(function_name);
    x->qualifier = durable__strdup(qualifier ? qualifier : "$LATEST");
    x->execution_name = durable__strdup(execution_name);
    x->tenant_id = durable__strdup(tenant_id);
    x->parent_op_id = durable__strdup(parent_op_id);
    if (!x->op_id || !x->function_name || !x->qualifier || !x->execution_name ||
        (tenant_id && !x->tenant_id) || (parent_op_id && !x->parent_op_id))
        return durable__error_oom();
    x->parent_rowid = parent_rowid;
    x->status = DURABLE_EXEC_RUNNING;
    x->start_ms = e->now;
    x->timeout_seconds = timeout_seconds;
    x->deadline_ms = e->now + timeout_seconds * 1000;
    x->needs_invocation = true;
    rc = insert_row(e, x, input_payload);
    if (rc < 0 || (rc = snapshot(x)) < 0)
        return rc;

    eng_op o;
    durable__eop_init(&o);
    o.op.id = durable__strdup(op_id);
    o.op.input_payload = durable__strdup(input_payload);
    if (!o.op.id || (input_payload && !o.op.input_payload)) {
        durable__eop_clear(&o);
        return durable__error_oom();
    }
    o.op.type = DURABLE_OP_EXECUTION;
    o.op.status = DURABLE_OP_STARTED;
    o.op.start_timestamp = e->now;
    rc = durable__op_save(e, x, &o, false);
    durable__eop_clear(&o);
    if (rc < 0)
        return rc;
    /* The whole state so far is the first invocation's input, not a delta. */
    x->delivered_seq = x->change_seq;

    durable_event ev;
    durable__event_prepare(&ev, DURABLE_EVENT_EXECUTION_STARTED, NULL);
    ev.has_payload_object = true;
    ev.payload = durable__strdup(input_payload);
    ev.truncated = false;
    ev.execution_timeout = timeout_seconds;
    if (input_payload && !ev.payload) {
        durable_event_clear(&ev);
        return durable__error_oom();
    }
    rc = durable__history_append(e, x, &ev);
    if (rc < 0)
        return rc;
    return durable__exec_save(e, x);
}
