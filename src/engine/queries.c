/* Read-only queries: executions (get, list with filters and markers,
 * scheduling state, ready list), operations, invocations, open callbacks,
 * in-flight invocations. Each runs in one read transaction. */
#include <string.h>

#include "engine/engine_internal.h"
#include "model/exec_arn.h"

/* Appends one zeroed element to an array: items_p is the address of the
 * array pointer (T **), *count its length, size sizeof(T). Returns the new
 * element (already counted, so the list's _clear frees it) or NULL when out
 * of memory. */
static void *append(void *items_p, size_t *count, size_t size)
{
    char *items;
    memcpy(&items, items_p, sizeof items);
    char *grown = durable__realloc(items, (*count + 1) * size);
    if (!grown)
        return NULL;
    memcpy(items_p, &grown, sizeof grown);
    memset(grown + *count * size, 0, size);
    return grown + (*count)++ * size;
}

/* Steps st (prepared and bound) to its end, adding each row to out with
 * add_row; the first error stops it and resets st. */
typedef int (*row_fn)(void *out, sqlite3_stmt *st);
static int read_rows(durable_engine *e, sqlite3_stmt *st, const char *what, row_fn add_row,
                     void *out)
{
    int rc;
    while ((rc = durable__db_row(e, st, what)) == 1) {
        if ((rc = add_row(out, st)) < 0) {
            durable__db_reset(st);
            break;
        }
    }
    return rc;
}

/* The body of every public query: *out zeroed, `query` run in one read
 * transaction, *out cleared with `clear` when it failed. */
#define READ_ONLY(e, out, clear, query)                                                      \
    do {                                                                                     \
        memset((out), 0, sizeof *(out));                                                     \
        int rc_ = durable__eng_begin((e), false);                                            \
        if (rc_ < 0)                                                                         \
            return rc_;                                                                      \
        rc_ = durable__eng_end((e), (query));                                                \
        if (rc_ < 0)                                                                         \
            clear(out);                                                                      \
        return rc_;                                                                          \
    } while (0)

static const char *version_of(const char *qualifier)
{
    if (!qualifier || !*qualifier)
        return "$LATEST";
    for (const char *p = qualifier; *p; p++)
        if (*p < '0' || *p > '9')
            return "$LATEST";
    return qualifier;
}

/* Columns: arn, execution_name, function_name, qualifier, status, start_ms,
 * end_ms[, input_payload, result, error]. */
static int info_from_row(durable_engine *e, durable_execution_info *x, sqlite3_stmt *st, bool full)
{
    memset(x, 0, sizeof *x);
    x->durable_execution_arn = durable__col_dup(st, 0);
    x->durable_execution_name = durable__col_dup(st, 1);
    /* The function ARN is the execution ARN's own prefix: a chained target
     * keeps the region and account its parent named. A row whose ARN does
     * not parse (written by hand) gets the engine's. */
    durable__exec_arn_parts parts;
    int rc = 0;
    if (x->durable_execution_arn && durable__exec_arn_split(&parts, x->durable_execution_arn))
        rc = (x->function_arn = durable__strndup(
                  x->durable_execution_arn,
                  (size_t)(parts.function.p + parts.function.n - x->durable_execution_arn)))
                 ? 0
                 : durable__error_oom();
    else
        rc = durable_function_arn(&x->function_arn, e->region, e->account,
                                  (const char *)sqlite3_column_text(st, 2));
    if (rc < 0)
        return rc;
    const char *s = (const char *)sqlite3_column_text(st, 4);
    durable_exec_status_parse(&x->status, s ? s : "");
    x->version = durable__strdup(version_of((const char *)sqlite3_column_text(st, 3)));
    x->start_timestamp = durable__col_i64(st, 5);
    x->end_timestamp = durable__col_i64(st, 6);
    if (!x->durable_execution_arn || !x->durable_execution_name || !x->version)
        return durable__error_oom();
    if (!full)
        return 0;
    x->input_payload = durable__col_dup(st, 7);
    x->result = durable__col_dup(st, 8);
    if ((!x->input_payload && !durable__col_null(st, 7)) || (!x->result && !durable__col_null(st, 8)))
        return durable__error_oom();
    return durable__error_parse(&x->error, (const char *)sqlite3_column_text(st, 9));
}

#define INFO_COLUMNS "arn, execution_name, function_name, qualifier, status, start_ms, end_ms"

int durable_engine_get_execution(durable_execution_info *out, durable_engine *e, const char *arn)
{
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    static const char *const sql[2] =
        DURABLE__EXEC_BY_ARN(INFO_COLUMNS ", input_payload, result, error");
    sqlite3_stmt *st = NULL;
    rc = durable__exec_find(e, &st, sql, arn, "get execution");
    if (rc >= 0) {
        if (rc == 0)
            rc = durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.",
                                   "DurableExecutionArn %s", arn ? arn : "(null)");
        else if (rc == 1) {
            rc = info_from_row(e, out, st, true);
            durable__db_reset(st);
        }
    }
    rc = durable__eng_end(e, rc);
    if (rc < 0)
        durable_execution_info_clear(out);
    return rc;
}

static int status_mask(const durable_list_request *req)
{
    int mask = 0;
    for (size_t i = 0; i < req->status_count; i++)
        if (req->statuses[i] >= DURABLE_EXEC_RUNNING && req->statuses[i] <= DURABLE_EXEC_STOPPED)
            mask |= 1 << req->statuses[i];
    return mask;
}

/* The filters every listing applies row by row. */
#define LIST_FILTER                                                                          \
    "(?2 IS NULL OR qualifier = ?2) "                                                        \
    "AND (?3 IS NULL OR execution_name = ?3) AND (?4 = 0 OR start_ms >= ?4) "                \
    "AND (?5 = 0 OR start_ms <= ?5) AND (?6 = 0 OR (?6 & (1 << CASE status "               \
    "WHEN 'RUNNING' THEN 1 WHEN 'SUCCEEDED' THEN 2 WHEN 'FAILED' THEN 3 "                    \
    "WHEN 'TIMED_OUT' THEN 4 ELSE 5 END)) != 0) "
/* Rows after (asc) or before (desc) the marker's (start, id), written as a
 * range on start_ms so the scan starts there instead of skipping every row
 * of the earlier pages. */
#define AFTER_MARKER "AND start_ms >= ?8 AND (start_ms > ?8 OR id > ?9) "
#define BEFORE_MARKER "AND start_ms <= ?8 AND (start_ms < ?8 OR id < ?9) "
#define ASC "ORDER BY start_ms, id LIMIT ?10"
#define DESC "ORDER BY start_ms DESC, id DESC LIMIT ?10"
/* One statement per shape of request, so each reads one index in page
 * order and stops after the page: with a function, executions_by_function
 * (function_name, start_ms); without, executions_by_start. A single
 * statement with "?1 IS NULL OR function_name = ?1" read and sorted the
 * whole table for every page. Index: [function][marker][reverse]. */
#define LIST_SELECT "SELECT " INFO_COLUMNS ", id FROM executions WHERE "
#define BY_FUNCTION "function_name = ?1 AND "
static const char *const list_sql[2][2][2] = {
    {{LIST_SELECT LIST_FILTER ASC, LIST_SELECT LIST_FILTER DESC},
     {LIST_SELECT LIST_FILTER AFTER_MARKER ASC, LIST_SELECT LIST_FILTER BEFORE_MARKER DESC}},
    {{LIST_SELECT BY_FUNCTION LIST_FILTER ASC, LIST_SELECT BY_FUNCTION LIST_FILTER DESC},
     {LIST_SELECT BY_FUNCTION LIST_FILTER AFTER_MARKER ASC,
      LIST_SELECT BY_FUNCTION LIST_FILTER BEFORE_MARKER DESC}},
};

static int list(durable_engine *e, durable_list_response *out, const durable_list_request *req)
{
    int64_t max_items = req->max_items;
    if (max_items == DURABLE_ABSENT || max_items == 0)
        max_items = DURABLE_DEFAULT_MAX_ITEMS;
    if (max_items < 0 || max_items > DURABLE_MAX_ITEMS)
        return durable__eng_fail(e, DURABLE_EINVAL, "MaxItems must be between 0 and 1000.",
                                 "MaxItems %lld", (long long)max_items);
    int64_t after_start = 0, after_id = 0;
    bool have_marker = req->marker && *req->marker;
    int rc = 0;
    if (have_marker &&
        (rc = durable__marker_decode(e, req->marker, "start", &after_start, "id", &after_id)) < 0)
        return rc;
    sqlite3_stmt *st;
    rc = durable__db_prepare(
        e, &st, list_sql[req->function_name != NULL][have_marker][req->reverse_order ? 1 : 0]);
    if (rc < 0)
        return rc;
    durable__db_text(st, 1, req->function_name);
    durable__db_text(st, 2, req->qualifier);
    durable__db_text(st, 3, req->durable_execution_name);
    durable__db_i64(st, 4, req->started_after > 0 ? req->started_after : 0);
    durable__db_i64(st, 5, req->started_before > 0 ? req->started_before : 0);
    durable__db_i64(st, 6, status_mask(req));
    durable__db_i64(st, 8, after_start);
    durable__db_i64(st, 9, after_id);
    durable__db_i64(st, 10, max_items + 1); /* one more tells whether a next page exists */
    int64_t last_start = 0, last_id = 0;
    while ((rc = durable__db_row(e, st, "list executions")) == 1) {
        if ((int64_t)out->count == max_items) {
            durable__db_reset(st);
            rc = durable__marker_encode(&out->next_marker, "start", last_start, "id", last_id);
            break;
        }
        durable_execution_info *x = append(&out->executions, &out->count, sizeof *x);
        rc = x ? info_from_row(e, x, st, false) : durable__error_oom();
        if (rc < 0) {
            durable__db_reset(st);
            break;
        }
        last_start = durable__col_i64(st, 5);
        last_id = durable__col_i64(st, 7);
    }
    return rc;
}

int durable_engine_list_executions(durable_list_response *out, durable_engine *e,
                                   const durable_list_request *req)
{
    const durable_list_request none = {0};
    READ_ONLY(e, out, durable_list_response_clear, list(e, out, req ? req : &none));
}

/* ---- operations ---- */

static int ops(durable_engine *e, durable_operation_list *out, const char *arn, const char *op_id)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, arn);
    if (rc < 0)
        return rc;
    if (op_id) { /* one operation: indexed lookup by id */
        eng_op o;
        if ((rc = durable__op_load(e, &o, &x, op_id)) == 0 && o.exists)
            rc = durable_operation_list_take(out, &o.op);
        durable__eop_clear(&o);
        if (rc == 0 && out->count == 0)
            rc = durable__eng_fail(e, DURABLE_ENOTFOUND, "Operation not found.",
                                   "operation %s of %s", op_id, arn);
        durable__exec_clear(&x);
        return rc;
    }
    /* Copies of the state cache's decoded operations (current as of this
     * read): a runner lists every operation of an execution when it ends,
     * and decoding each row again cost several times the copy. */
    const durable_operation *cached;
    const int64_t *seqs;
    const size_t *sizes;
    size_t count = 0;
    rc = durable__state_cache_get(e, &x, &cached, &seqs, &sizes, &count);
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = durable_operation_list_append(out, &cached[i]);
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_list_operations(durable_operation_list *out, durable_engine *e, const char *arn)
{
    READ_ONLY(e, out, durable_operation_list_clear, ops(e, out, arn, NULL));
}

int durable_engine_get_operation(durable_operation *out, durable_engine *e, const char *arn,
                                 const char *op_id)
{
    durable_operation_init(out);
    if (!op_id)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_get_operation: op_id is required");
    durable_operation_list l = {0};
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, ops(e, &l, arn, op_id));
    if (rc == 0) {
        *out = l.items[0];
        memset(&l.items[0], 0, sizeof l.items[0]);
    }
    durable_operation_list_clear(&l);
    return rc;
}

/* ---- invocations ---- */

void durable_invocation_info_list_clear(durable_invocation_info_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        durable_free(l->items[i].invocation_id);
        durable_free(l->items[i].outcome);
        durable_error_object_free(l->items[i].error);
    }
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

static int invocation_row(void *vout, sqlite3_stmt *st)
{
    durable_invocation_info_list *out = vout;
    durable_invocation_record *i = append(&out->items, &out->count, sizeof *i);
    if (!i)
        return durable__error_oom();
    i->invocation_id = durable__col_dup(st, 0);
    i->seq = durable__col_i64(st, 1);
    i->start_timestamp = durable__col_i64(st, 2);
    i->end_timestamp = durable__col_i64(st, 3);
    i->outcome = durable__col_dup(st, 4);
    i->pid = durable__col_i64(st, 6);
    if (!i->invocation_id || (!i->outcome && !durable__col_null(st, 4)))
        return durable__error_oom();
    return durable__error_parse(&i->error, (const char *)sqlite3_column_text(st, 5));
}

static int invocations(durable_engine *e, durable_invocation_info_list *out, const char *arn)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, arn);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st;
    rc = durable__db_prepare(e, &st,
                             "SELECT invocation_id, seq, start_ms, end_ms, outcome, error, pid "
                             "FROM invocations WHERE execution_id = ?1 ORDER BY seq");
    if (rc == 0) {
        durable__db_i64(st, 1, x.rowid);
        rc = read_rows(e, st, "list invocations", invocation_row, out);
    }
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_list_invocations(durable_invocation_info_list *out, durable_engine *e,
                                    const char *arn)
{
    READ_ONLY(e, out, durable_invocation_info_list_clear, invocations(e, out, arn));
}

/* ---- callbacks ---- */

void durable_callback_info_list_clear(durable_callback_info_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        durable_free(l->items[i].callback_id);
        durable_free(l->items[i].execution_arn);
        durable_free(l->items[i].op_id);
        durable_free(l->items[i].name);
    }
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

static int callback_row(void *vout, sqlite3_stmt *st)
{
    durable_callback_info_list *out = vout;
    durable_callback_info *c = append(&out->items, &out->count, sizeof *c);
    if (!c)
        return durable__error_oom();
    c->callback_id = durable__col_dup(st, 0);
    c->execution_arn = durable__col_dup(st, 1);
    c->op_id = durable__col_dup(st, 2);
    c->name = durable__col_dup(st, 3);
    c->start_timestamp = durable__col_i64(st, 4);
    c->timeout_deadline = durable__col_i64(st, 5);
    c->heartbeat_deadline = durable__col_i64(st, 6);
    c->timeout_seconds = durable__col_i64(st, 7);
    c->heartbeat_timeout_seconds = durable__col_i64(st, 8);
    if (!c->callback_id || !c->execution_arn || !c->op_id ||
        (!c->name && !durable__col_null(st, 3)))
        return durable__error_oom();
    return 0;
}

#define CALLBACKS_SQL(filter)                                                                \
    "SELECT c.callback_id, x.arn, c.op_id, o.name, o.start_ms, c.timeout_deadline_ms, "      \
    "c.heartbeat_deadline_ms, c.timeout_seconds, c.heartbeat_seconds FROM callbacks c "      \
    "JOIN operations o ON o.execution_id = c.execution_id AND o.op_id = c.op_id "            \
    "JOIN executions x ON x.id = c.execution_id "                                            \
    "WHERE o.status = 'STARTED' AND x.status = 'RUNNING'" filter " "                         \
    "ORDER BY o.start_ms, x.id, o.start_seq"

/* One execution's callbacks go through its rowid and callbacks_by_op: a
 * filter on x.arn inside the query walked every RUNNING execution. */
static int callbacks(durable_engine *e, durable_callback_info_list *out, const char *arn)
{
    int64_t rowid = 0;
    int rc = arn ? durable__exec_rowid(e, &rowid, arn) : 1;
    if (rc <= 0)
        return rc; /* an unknown execution has no callbacks */
    sqlite3_stmt *st;
    rc = durable__db_prepare(e, &st, arn ? CALLBACKS_SQL(" AND c.execution_id = ?1")
                                         : CALLBACKS_SQL(""));
    if (rc < 0)
        return rc;
    if (arn)
        durable__db_i64(st, 1, rowid);
    return read_rows(e, st, "list callbacks", callback_row, out);
}

int durable_engine_list_callbacks(durable_callback_info_list *out, durable_engine *e,
                                  const char *arn)
{
    READ_ONLY(e, out, durable_callback_info_list_clear, callbacks(e, out, arn));
}

/* ---- in-flight invocations, ready executions ---- */

void durable_inflight_list_clear(durable_inflight_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        durable_free(l->items[i].execution_arn);
        durable_free(l->items[i].invocation_id);
    }
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

static int inflight_row(void *vout, sqlite3_stmt *st)
{
    durable_inflight_list *out = vout;
    durable_inflight_invocation *i = append(&out->items, &out->count, sizeof *i);
    if (!i)
        return durable__error_oom();
    i->execution_arn = durable__col_dup(st, 0);
    i->invocation_id = durable__col_dup(st, 1);
    i->start_timestamp = durable__col_i64(st, 2);
    i->pid = durable__col_i64(st, 3);
    return i->execution_arn && i->invocation_id ? 0 : durable__error_oom();
}

static int inflight(durable_engine *e, durable_inflight_list *out, const char *function_name)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "SELECT x.arn, x.inflight_invocation, i.start_ms, i.pid FROM executions x "
        "JOIN invocations i ON i.invocation_id = x.inflight_invocation "
        "WHERE x.inflight_invocation IS NOT NULL AND (?1 IS NULL OR x.function_name = ?1) "
        "ORDER BY x.id");
    if (rc < 0)
        return rc;
    durable__db_text(st, 1, function_name);
    return read_rows(e, st, "list in-flight invocations", inflight_row, out);
}

int durable_engine_list_inflight(durable_inflight_list *out, durable_engine *e,
                                 const char *function_name)
{
    READ_ONLY(e, out, durable_inflight_list_clear, inflight(e, out, function_name));
}

void durable_engine_string_list_clear(durable_engine_string_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        durable_free(l->items[i]);
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

static int ready_row(void *vout, sqlite3_stmt *st)
{
    durable_engine_string_list *out = vout;
    char **arn = append(&out->items, &out->count, sizeof *arn);
    return arn && (*arn = durable__col_dup(st, 0)) != NULL ? 0 : durable__error_oom();
}

static int ready(durable_engine *e, durable_engine_string_list *out)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT arn FROM executions WHERE status = 'RUNNING' AND "
                                 "needs_invocation = 1 AND inflight_invocation IS NULL ORDER BY id");
    if (rc < 0)
        return rc;
    return read_rows(e, st, "list ready executions", ready_row, out);
}

int durable_engine_list_ready(durable_engine_string_list *out, durable_engine *e)
{
    READ_ONLY(e, out, durable_engine_string_list_clear, ready(e, out));
}

/* ---- scheduling state ---- */

void durable_execution_state_clear(durable_execution_state *s)
{
    if (!s)
        return;
    durable_free(s->inflight_invocation_id);
    durable_free(s->parent_arn);
    durable_free(s->parent_op_id);
    memset(s, 0, sizeof *s);
}

static int state(durable_engine *e, durable_execution_state *out, const char *arn)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, arn);
    if (rc < 0)
        return rc;
    out->status = x.status;
    out->invocation_in_flight = x.inflight != NULL;
    out->inflight_invocation_id = x.inflight;
    x.inflight = NULL;
    out->needs_invocation = x.needs_invocation && x.status == DURABLE_EXEC_RUNNING;
    out->retry_at_ms = x.retry_ms;
    out->deadline_ms = x.deadline_ms;
    out->failed_invocations = x.failed_invocations;
    out->terminal_event_pending = x.terminal_pending;
    out->parent_op_id = x.parent_op_id;
    x.parent_op_id = NULL;
    sqlite3_stmt *st;
    /* Invocations are numbered 1, 2, 3 … per execution and never deleted one
     * by one, so the count is the last seq: one probe of the (execution_id,
     * seq) key instead of a count over every invocation of the execution
     * (the runner asks for this state every cycle). */
    rc = durable__db_prepare(e, &st,
                             "SELECT (SELECT coalesce(max(seq), 0) FROM invocations "
                             "WHERE execution_id = ?1), "
                             "(SELECT pid FROM invocations WHERE invocation_id = ?2), "
                             "(SELECT arn FROM executions WHERE id = ?3)");
    if (rc == 0) {
        durable__db_i64(st, 1, x.rowid);
        durable__db_text(st, 2, out->inflight_invocation_id);
        durable__db_i64(st, 3, x.parent_rowid);
        if ((rc = durable__db_row(e, st, "execution state")) == 1) {
            out->invocation_count = durable__col_i64(st, 0);
            out->inflight_pid = durable__col_i64(st, 1);
            out->parent_arn = durable__col_dup(st, 2);
            rc = (!out->parent_arn && !durable__col_null(st, 2)) ? durable__error_oom() : 0;
            durable__db_reset(st);
        }
    }
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_execution_state(durable_execution_state *out, durable_engine *e, const char *arn)
{
    READ_ONLY(e, out, durable_execution_state_clear, state(e, out, arn));
}

typedef struct exec_status {
    durable_exec_status status;
    int64_t deadline_ms;
} exec_status;

static void exec_status_clear(exec_status *s)
{
    memset(s, 0, sizeof *s);
}

static int status_of(durable_engine *e, exec_status *out, const char *arn)
{
    if (!arn || !*arn)
        return durable__eng_fail(e, DURABLE_EINVAL, "DurableExecutionArn is required.", NULL);
    static const char *const sql[2] = DURABLE__EXEC_BY_ARN("status, deadline_ms");
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = durable__exec_find(e, &st, sql, arn, "execution status")) <= 0)
        return rc < 0 ? rc
                      : durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.",
                                          "DurableExecutionArn %s", arn);
    const char *status = (const char *)sqlite3_column_text(st, 0);
    rc = durable_exec_status_parse(&out->status, status ? status : "");
    out->deadline_ms = durable__col_i64(st, 1);
    durable__db_reset(st);
    return rc < 0 ? durable__error_set(DURABLE_EDB, "executions row has an unknown status") : 0;
}

static int status_read(durable_engine *e, exec_status *out, const char *arn)
{
    READ_ONLY(e, out, exec_status_clear, status_of(e, out, arn));
}

int durable_engine_execution_status(durable_exec_status *status_out, int64_t *deadline_ms_out,
                                    durable_engine *e, const char *arn)
{
    if (!status_out || !e)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_execution_status: status_out "
                                                  "and engine are required");
    exec_status s;
    int rc = status_read(e, &s, arn);
    *status_out = s.status;
    if (deadline_ms_out)
        *deadline_ms_out = s.deadline_ms;
    return rc;
}
