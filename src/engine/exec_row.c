/* Execution rows: load, save the bookkeeping columns, create (SPEC §8.1). */
#include <stdio.h>
#include <string.h>

#include "engine/engine_internal.h"

#define EXEC_COLUMNS                                                                         \
    "id, arn, op_id, function_name, qualifier, execution_name, status, start_ms, end_ms, " \
    "timeout_seconds, deadline_ms, tenant_id, parent_execution_id, parent_op_id, "         \
    "token_seq, inflight_invocation, needs_invocation, change_seq, delivered_seq, "        \
    "last_event_id, last_start_seq, terminal_pending, failed_invocations, "                \
    "retry_invocation_ms, invocation_deadline_ms, idem_client_token, idem_inbound_token"

static bool is_clean(const eng_exec *x);

void durable__exec_clear(eng_exec *x)
{
    if (!x || (x->memo && durable__exec_memo_park(x, is_clean(x))))
        return;
    x->memo = NULL;
    durable_free(x->arn);
    durable_free(x->op_id);
    durable_free(x->function_name);
    durable_free(x->qualifier);
    durable_free(x->execution_name);
    durable_free(x->tenant_id);
    durable_free(x->parent_op_id);
    durable_free(x->inflight);
    durable_free(x->stored.inflight);
    durable_free(x->idem.response);
    durable_free(x->idem_stored.client_token);
    durable_free(x->idem_stored.inbound);
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

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Remember the row as stored: the base that exec_save compares against. */
static int snapshot(eng_exec *x)
{
    /* A checkpoint's save keeps the invocation in flight: keep its copy. */
    char *inflight = x->stored.inflight;
    if (!str_same(inflight, x->inflight)) {
        if (!(inflight = durable__strdup(x->inflight)) && x->inflight)
            return durable__error_oom();
        durable_free(x->stored.inflight);
    }
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

/* The bookkeeping columns a save may write; bit i of a change mask is
 * cold_columns[i], bound as ?(i + 2). */
static const char *const cold_columns[] = {
    "status",           "end_ms",           "deadline_ms",         "inflight_invocation",
    "needs_invocation", "terminal_pending", "failed_invocations",  "retry_invocation_ms",
    "invocation_deadline_ms",
};
#define COLD_COUNT (sizeof cold_columns / sizeof *cold_columns)
/* The mask bit after the cold columns: the ClientToken record (x->idem),
 * its three columns bound as ?16-?18. */
#define IDEM_BIT (1u << COLD_COUNT)
#define SAVE_SQL_COUNT ((size_t)IDEM_BIT << 1)

static unsigned cold_mask(const eng_exec *x)
{
    const struct eng_exec_cold *c = &x->stored;
    bool changed[COLD_COUNT] = {
        c->status != x->status,
        c->end_ms != x->end_ms,
        c->deadline_ms != x->deadline_ms,
        !str_same(c->inflight, x->inflight),
        c->needs_invocation != x->needs_invocation,
        c->terminal_pending != x->terminal_pending,
        c->failed_invocations != x->failed_invocations,
        c->retry_ms != x->retry_ms,
        c->inv_deadline_ms != x->inv_deadline_ms,
    };
    unsigned mask = 0;
    for (unsigned i = 0; i < COLD_COUNT; i++)
        mask |= (unsigned)changed[i] << i;
    return mask;
}

/* Nothing to save: the row as the file holds it in this transaction. */
static bool is_clean(const eng_exec *x)
{
    int64_t now[5];
    counters(now, x);
    return !x->idem.write && !x->idem.response && cold_mask(x) == 0 &&
           memcmp(now, x->stored_counters, sizeof now) == 0;
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
    bool idem = !durable__col_null(st, 25); /* one call when there is no record */
    if (idem) {
        x->idem_stored.client_token = durable__col_dup(st, 25);
        x->idem_stored.inbound = durable__col_dup(st, 26);
    }
    if (!x->arn || !x->op_id || !x->function_name || !x->qualifier || !x->execution_name ||
        (!x->tenant_id && !durable__col_null(st, 11)) ||
        (!x->parent_op_id && !durable__col_null(st, 13)) ||
        (!x->inflight && !durable__col_null(st, 15)) ||
        (idem && (!x->idem_stored.client_token ||
                  (!x->idem_stored.inbound && !durable__col_null(st, 26))))) {
        durable__exec_clear(x);
        return durable__error_oom();
    }
    int rc = snapshot(x);
    if (rc < 0)
        durable__exec_clear(x);
    return rc;
}

/* found: the durable__db_row (or durable__exec_find) that stepped st. A
 * row read by a write call may be kept for the next one (exec_memo.c). */
static int load(durable_engine *e, eng_exec *x, sqlite3_stmt *st, int found)
{
    memset(x, 0, sizeof *x);
    if (found < 0)
        return found;
    if (found == 0)
        return DURABLE_ENOTFOUND;
    int rc = from_row(x, st);
    durable__db_reset(st);
    if (rc == 0)
        durable__exec_memo_loaded(e, x);
    return rc;
}

int durable__exec_load(durable_engine *e, eng_exec *x, const char *arn)
{
    memset(x, 0, sizeof *x);
    if (!arn || !*arn)
        return durable__eng_fail(e, DURABLE_EINVAL, "DurableExecutionArn is required.", NULL);
    if (durable__exec_memo_take(e, x, arn, 0))
        return 0;
    static const char *const sql[2] = DURABLE__EXEC_BY_ARN(EXEC_COLUMNS);
    sqlite3_stmt *st = NULL;
    int rc = durable__exec_find(e, &st, sql, arn, "load execution");
    rc = load(e, x, st, rc);
    if (rc == DURABLE_ENOTFOUND)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.",
                                 "DurableExecutionArn %s", arn);
    return rc;
}

int durable__exec_load_rowid(durable_engine *e, eng_exec *x, int64_t rowid)
{
    memset(x, 0, sizeof *x); /* durable__exec_clear is safe on any failure */
    if (durable__exec_memo_take(e, x, NULL, rowid))
        return 0;
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st, "SELECT " EXEC_COLUMNS " FROM executions WHERE id = ?1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, rowid);
    rc = load(e, x, st, durable__db_row(e, st, "load execution"));
    if (rc == DURABLE_ENOTFOUND)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.",
                                 "execution row %lld", (long long)rowid);
    return rc;
}

void durable__exec_sql_clear(durable_engine *e)
{
    if (e->exec_sql)
        for (size_t i = 0; i < SAVE_SQL_COUNT; i++)
            durable_free(e->exec_sql[i]);
    durable_free(e->exec_sql);
    e->exec_sql = NULL;
}

/* The UPDATE that writes the counters and the columns in mask, built once
 * per engine and mask (the statement cache then finds it by address). An
 * UPDATE rewrites every index whose columns it sets, changed or not: the
 * common saves (a checkpoint: counters only; starting an invocation: the
 * in-flight id and its deadline) touch one index or none instead of five. */
static const char *save_sql(durable_engine *e, unsigned mask)
{
    if (!e->exec_sql && !(e->exec_sql = durable__calloc(SAVE_SQL_COUNT, sizeof(char *))))
        return NULL;
    if (e->exec_sql[mask])
        return e->exec_sql[mask];
    durable__strbuf b = {0};
    durable__strbuf_puts(&b, "UPDATE executions SET token_seq = ?11, change_seq = ?12, "
                             "delivered_seq = ?13, last_event_id = ?14, last_start_seq = ?15");
    for (unsigned i = 0; i < COLD_COUNT; i++) {
        char set[64];
        if (mask & (1u << i)) {
            snprintf(set, sizeof set, ", %s = ?%u", cold_columns[i], i + 2);
            durable__strbuf_puts(&b, set);
        }
    }
    if (mask & IDEM_BIT)
        durable__strbuf_puts(&b, ", idem_client_token = ?16, idem_inbound_token = ?17, "
                                 "idem_response = ?18");
    durable__strbuf_puts(&b, " WHERE id = ?1");
    return e->exec_sql[mask] = durable__strbuf_take(&b);
}

static int save(durable_engine *e, const eng_exec *x, unsigned mask)
{
    const char *sql = save_sql(e, mask);
    if (!sql)
        return durable__error_oom();
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st, sql);
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    if (mask) {
        durable__db_text_static(st, 2, durable_exec_status_name(x->status));
        durable__db_i64_or_null(st, 3, x->end_ms);
        durable__db_i64_or_null(st, 4, x->deadline_ms);
        durable__db_text_static(st, 5, x->inflight);
        durable__db_i64(st, 6, x->needs_invocation ? 1 : 0);
        durable__db_i64(st, 7, x->terminal_pending ? 1 : 0);
        durable__db_i64(st, 8, x->failed_invocations);
        durable__db_i64_or_null(st, 9, x->retry_ms);
        durable__db_i64_or_null(st, 10, x->inv_deadline_ms);
    }
    durable__db_i64(st, 11, x->token_seq);
    durable__db_i64(st, 12, x->change_seq);
    durable__db_i64(st, 13, x->delivered_seq);
    durable__db_i64(st, 14, x->last_event_id);
    durable__db_i64(st, 15, x->last_start_seq);
    if (mask & IDEM_BIT) {
        durable__db_text_static(st, 16, x->idem.client_token);
        durable__db_text_static(st, 17, x->idem.inbound);
        durable__db_text_static(st, 18, x->idem.response);
    }
    return durable__db_done(e, st, "save execution");
}

int durable__exec_save(durable_engine *e, eng_exec *x)
{
    int64_t now[5];
    counters(now, x);
    unsigned mask = cold_mask(x) | (x->idem.write ? IDEM_BIT : 0);
    if (!mask && memcmp(now, x->stored_counters, sizeof now) == 0)
        return 0;
    /* A timer column written with a time already reached (cold_columns 2, 7, 8). */
    const int64_t timers[3] = {mask & (1u << 2) ? x->deadline_ms : 0,
                               mask & (1u << 7) ? x->retry_ms : 0,
                               mask & (1u << 8) ? x->inv_deadline_ms : 0};
    for (int i = 0; i < 3; i++)
        if (timers[i] && timers[i] <= e->now)
            e->armed_due = true;
    int rc = save(e, x, mask);
    if (rc < 0)
        return rc;
    durable__state_cache_note_move(e, x->rowid, x->stored_counters[1], x->change_seq);
    if (x->idem.write) {
        /* The record's key as the row now holds it (a kept row answers the
         * next checkpoint's replay check). */
        char *client = durable__strdup(x->idem.client_token);
        char *inbound = durable__strdup(x->idem.inbound);
        durable_free(x->idem_stored.client_token);
        durable_free(x->idem_stored.inbound);
        x->idem_stored.client_token = client;
        x->idem_stored.inbound = inbound;
        if ((x->idem.client_token && !client) || (x->idem.inbound && !inbound))
            x->memo = NULL; /* its key is unknown now: never kept */
    }
    durable_free(x->idem.response);
    x->idem = (struct eng_exec_idem){0};
    return snapshot(x);
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

int durable__exec_create(durable_engine *e, eng_exec *x, const char *arn,
                         const char *function_name, const char *qualifier,
                         const char *execution_name, const char *op_id,
                         const char *input_payload, int64_t timeout_seconds,
                         const char *tenant_id, int64_t parent_rowid, const char *parent_op_id)
{
    memset(x, 0, sizeof *x);
    int rc = 0;
    if (arn)
        rc = (x->arn = durable__strdup(arn)) ? 0 : durable__error_oom();
    else
        rc = durable_execution_arn(&x->arn, e->region, e->account, function_name, qualifier,
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

int durable__exec_rowid(durable_engine *e, int64_t *out, const char *arn)
{
    static const char *const sql[2] = DURABLE__EXEC_BY_ARN("id");
    sqlite3_stmt *st = NULL;
    int rc = durable__exec_find(e, &st, sql, arn, "find execution");
    if (rc == 1) { /* arn is borrowed: the statement is reset here */
        *out = durable__col_i64(st, 0);
        durable__db_reset(st);
    }
    return rc;
}
