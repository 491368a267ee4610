/* Timers (SPEC §6.8, §8.4, §8.6, §8.7): every deadline is a column found by
 * an indexed query; fire_due fires what is due at the engine clock's now in
 * deadline order, then start-sequence order, one timer at a time (each
 * firing disarms its timer, and may disarm others, e.g. closing an
 * execution). The _of variants see only the timers of a set of executions:
 * a runner sharing its file with other runners fires its own timers only;
 * the _in variants those of the executions of a set of functions (a server
 * that shares its file: its cost follows the timers due, not the executions
 * open). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/engine_internal.h"

enum {
    T_EXEC_DEADLINE = 1, /* execution-level kinds sort first at equal times */
    T_INVOCATION_TIMEOUT,
    T_INVOCATION_RETRY,
    T_WAIT,
    T_RETRY,
    T_CB_TIMEOUT,        /* Callback.Timeout wins a tie with the heartbeat */
    T_CB_HEARTBEAT
};

/* Where a statement looks: SCOPE_ALL every execution; SCOPE_ONE only the
 * execution whose rowid is bound to ?2 (a set of executions runs the
 * statement once per member: an IN over a bound list would rebuild the list
 * in every branch of the union on every run, which cost more than the
 * timers themselves). A scoped operation branch reads
 * operations_timer_by_execution (execution_id, timer_ms), which holds the
 * execution's armed timers only; a scoped callback branch reads the
 * execution's callbacks (callbacks_by_op). Through the file-wide timer
 * indexes they read every armed timer of every execution due before the
 * execution's own: with a million executions, thousands per call
 * (tools/bench/bench_scale.c). Execution rows are looked up by rowid. */
#define SCOPE_ALL(col) ""
#define SCOPE_ONE(col) " AND " col " = ?2"

/* One row per armed timer due at ?1: kind, due, start_seq, execution row,
 * op id. */
#define TIMER_UNION(SCOPE)                                                                       \
    "SELECT CASE type WHEN 'WAIT' THEN 4 ELSE 5 END AS kind, timer_ms AS due, start_seq AS seq, " \
    "execution_id AS xid, op_id FROM operations WHERE timer_ms IS NOT NULL AND timer_ms <= ?1"   \
    SCOPE("execution_id")                                                                       \
    " UNION ALL SELECT 6, c.timeout_deadline_ms, o.start_seq, c.execution_id, c.op_id "          \
    "FROM callbacks c JOIN operations o ON o.execution_id = c.execution_id AND o.op_id = c.op_id " \
    "WHERE c.timeout_deadline_ms IS NOT NULL AND c.timeout_deadline_ms <= ?1"                    \
    SCOPE("c.execution_id")                                                                     \
    " UNION ALL SELECT 7, c.heartbeat_deadline_ms, o.start_seq, c.execution_id, c.op_id "        \
    "FROM callbacks c JOIN operations o ON o.execution_id = c.execution_id AND o.op_id = c.op_id " \
    "WHERE c.heartbeat_deadline_ms IS NOT NULL AND c.heartbeat_deadline_ms <= ?1"                \
    SCOPE("c.execution_id")                                                                     \
    " UNION ALL SELECT 1, deadline_ms, 0, id, NULL FROM executions "                             \
    "WHERE deadline_ms IS NOT NULL AND deadline_ms <= ?1" SCOPE("id")                            \
    " UNION ALL SELECT 2, invocation_deadline_ms, 0, id, NULL FROM executions "                  \
    "WHERE invocation_deadline_ms IS NOT NULL AND invocation_deadline_ms <= ?1" SCOPE("id")      \
    " UNION ALL SELECT 3, retry_invocation_ms, 0, id, NULL FROM executions "                     \
    "WHERE retry_invocation_ms IS NOT NULL AND retry_invocation_ms <= ?1" SCOPE("id")

#define DUE_TIMERS(SCOPE) "SELECT kind, due, seq, xid, op_id FROM (" TIMER_UNION(SCOPE) ")"

/* The earliest armed timer: each min() reads its timer index from the low
 * end and stops at the first row in scope. */
#define NEXT_DUE(SCOPE)                                                                          \
    "SELECT min(due) FROM ("                                                                     \
    "SELECT min(timer_ms) AS due FROM operations WHERE timer_ms IS NOT NULL"                     \
    SCOPE("execution_id")                                                                       \
    " UNION ALL SELECT min(timeout_deadline_ms) FROM callbacks "                                 \
    "WHERE timeout_deadline_ms IS NOT NULL" SCOPE("execution_id")                               \
    " UNION ALL SELECT min(heartbeat_deadline_ms) FROM callbacks "                               \
    "WHERE heartbeat_deadline_ms IS NOT NULL" SCOPE("execution_id")                             \
    " UNION ALL SELECT min(deadline_ms) FROM executions WHERE deadline_ms IS NOT NULL"           \
    SCOPE("id")                                                                                  \
    " UNION ALL SELECT min(invocation_deadline_ms) FROM executions "                             \
    "WHERE invocation_deadline_ms IS NOT NULL" SCOPE("id")                                       \
    " UNION ALL SELECT min(retry_invocation_ms) FROM executions "                                \
    "WHERE retry_invocation_ms IS NOT NULL" SCOPE("id") ")"

/* One execution's earliest armed timer (?2 = its rowid): its execution
 * timers from one read of its row and its callback timers from one pass
 * over its callbacks. As NEXT_DUE(SCOPE_ONE) wrote it, three rowid lookups
 * and two callback passes made a call cost half again as much on a file of
 * a million executions as on one of a thousand (tools/bench/bench_scale.c),
 * every lookup paying the deeper b-trees. NEVER stands for NULL inside the
 * scalar min(), which would return NULL if any argument were NULL. */
#define NEVER "9223372036854775807"
#define NEXT_DUE_ONE                                                                             \
    "SELECT min(due) FROM ("                                                                     \
    "SELECT min(timer_ms) AS due FROM operations WHERE timer_ms IS NOT NULL AND execution_id = ?2" \
    " UNION ALL SELECT NULLIF(min(min(coalesce(timeout_deadline_ms, " NEVER "), "                 \
    "coalesce(heartbeat_deadline_ms, " NEVER "))), " NEVER ") FROM callbacks "                   \
    "WHERE execution_id = ?2"                                                                    \
    " UNION ALL SELECT NULLIF(min(coalesce(deadline_ms, " NEVER "), "                            \
    "coalesce(invocation_deadline_ms, " NEVER "), coalesce(retry_invocation_ms, " NEVER ")), "   \
    NEVER ") FROM executions WHERE id = ?2)"

/* The function scope: ?2 is a JSON array of function names. The due rows
 * of TIMER_UNION file-wide (few: only what is due now), each kept when its
 * execution belongs to one of the functions. */
#define IN_FUNCTIONS "IN (SELECT value FROM json_each(?2))"
#define DUE_TIMERS_IN                                                                            \
    "SELECT t.kind, t.due, t.seq, t.xid, t.op_id FROM (" TIMER_UNION(SCOPE_ALL) ") AS t "        \
    "JOIN executions x ON x.id = t.xid WHERE x.function_name " IN_FUNCTIONS

/* The earliest armed timer of the functions' executions: each branch reads
 * its timer index from the low end (CROSS JOIN keeps the timer table
 * outside; the unary + keeps executions' branches off executions_by_function,
 * which would read every execution of the functions and sort them) and stops
 * at the first timer whose execution is in scope, so the cost follows the
 * foreign timers due before the first own one, not the executions on the
 * file. */
#define FIRST_IN(col, table)                                                                     \
    "(SELECT t." col " FROM " table " t CROSS JOIN executions x ON x.id = t.execution_id "       \
    "WHERE t." col " IS NOT NULL AND x.function_name " IN_FUNCTIONS " ORDER BY t." col " LIMIT 1)"
#define FIRST_EXEC_IN(col)                                                                       \
    "(SELECT " col " FROM executions WHERE " col " IS NOT NULL AND +function_name " IN_FUNCTIONS \
    " ORDER BY " col " LIMIT 1)"
#define NEXT_DUE_IN                                                                              \
    "SELECT min(due) FROM (SELECT " FIRST_IN("timer_ms", "operations") " AS due"               \
    " UNION ALL SELECT " FIRST_IN("timeout_deadline_ms", "callbacks")                           \
    " UNION ALL SELECT " FIRST_IN("heartbeat_deadline_ms", "callbacks")                         \
    " UNION ALL SELECT " FIRST_EXEC_IN("deadline_ms")                                           \
    " UNION ALL SELECT " FIRST_EXEC_IN("invocation_deadline_ms")                                \
    " UNION ALL SELECT " FIRST_EXEC_IN("retry_invocation_ms") ")"

typedef struct due_timer {
    int kind;
    int64_t due;
    int64_t exec_rowid;
    char *op_id;
    size_t seen; /* due rows the scan saw, this one included */
} due_timer;

/* Executions to look at: all of them (`all`), the listed rowids, or those
 * of the functions in the JSON array `functions` (when not NULL). */
typedef struct scope {
    bool all;
    int64_t *rowids;
    size_t count;
    char *functions;
} scope;

/* (due, seq, kind, xid) of a row of TIMER_UNION, the firing order, is
 * before best's. */
static bool fires_before(sqlite3_stmt *st, const int64_t best[4])
{
    int64_t k[4] = {durable__col_i64(st, 1), durable__col_i64(st, 2), durable__col_i64(st, 0),
                    durable__col_i64(st, 3)};
    for (int i = 0; i < 4; i++)
        if (k[i] != best[i])
            return k[i] < best[i];
    return false;
}

/* One run of the due-timer statement (?2 = rowid when scoped): keeps in
 * best/t the first timer in firing order, of this run and earlier ones. */
static int scan_due(durable_engine *e, sqlite3_stmt *st, due_timer *t, int64_t best[4],
                    bool *found)
{
    int rc;
    while ((rc = durable__db_row(e, st, "find due timer")) == 1) {
        t->seen++;
        if (*found && !fires_before(st, best))
            continue;
        char *op_id = durable__col_dup(st, 4);
        if (!op_id && !durable__col_null(st, 4)) {
            durable__db_reset(st);
            return durable__error_oom();
        }
        *found = true;
        best[0] = durable__col_i64(st, 1);
        best[1] = durable__col_i64(st, 2);
        best[2] = durable__col_i64(st, 0);
        best[3] = durable__col_i64(st, 3);
        durable_free(t->op_id);
        t->op_id = op_id;
    }
    return rc;
}

/* 1 and *t filled when a timer in the scope is due. The due rows are few
 * and each branch of the union reads them through its timer index; the
 * first in firing order is picked here rather than by ORDER BY ... LIMIT 1,
 * which opens a sorter on every call. */
static int next_due_timer(durable_engine *e, due_timer *t, const scope *sc)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st, sc->functions ? DUE_TIMERS_IN
                                         : sc->all     ? DUE_TIMERS(SCOPE_ALL)
                                                       : DUE_TIMERS(SCOPE_ONE));
    if (rc < 0)
        return rc;
    int64_t best[4] = {0};
    bool found = false;
    size_t runs = sc->all || sc->functions ? 1 : sc->count;
    for (size_t i = 0; i < runs && rc == 0; i++) {
        /* (each run ends with a reset, which clears the bindings) */
        durable__db_i64(st, 1, e->now);
        if (sc->functions)
            durable__db_text_static(st, 2, sc->functions);
        else if (!sc->all)
            durable__db_i64(st, 2, sc->rowids[i]);
        rc = scan_due(e, st, t, best, &found);
    }
    if (rc < 0 || !found) {
        durable_free(t->op_id);
        t->op_id = NULL;
        return rc;
    }
    t->kind = (int)best[2];
    t->due = best[0];
    t->exec_rowid = best[3];
    return 1;
}

static int disarm_callback(durable_engine *e, const eng_exec *x, const char *op_id)
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

/* Only the timer column: nothing a handler sees changes, so this is not an
 * operation change (no change counter, no delta). */
static int disarm_op_timer(durable_engine *e, const eng_exec *x, const char *op_id)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE operations SET timer_ms = NULL "
                                 "WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text(st, 2, op_id);
    return durable__db_done(e, st, "disarm operation timer");
}

static int fire_op(durable_engine *e, eng_exec *x, const due_timer *t)
{
    eng_op o;
    int rc = durable__op_load(e, &o, x, t->op_id);
    if (rc < 0)
        return rc;
    durable_event ev;
    durable_event_init(&ev);
    if (!o.exists)
        goto done;
    if (t->kind == T_WAIT && o.op.status == DURABLE_OP_STARTED) {
        o.op.status = DURABLE_OP_SUCCEEDED;
        o.timer_ms = 0;
        if ((rc = durable__op_save(e, x, &o, true)) < 0)
            goto done;
        durable__event_prepare(&ev, DURABLE_EVENT_WAIT_SUCCEEDED, &o.op);
        ev.duration = o.wait_seconds;
        rc = durable__history_append(e, x, &ev);
    } else if (t->kind == T_RETRY && o.op.status == DURABLE_OP_PENDING) {
        /* READY: no event; the SDK's START writes the next StepStarted. */
        o.op.status = DURABLE_OP_READY;
        o.op.next_attempt_timestamp = 0;
        o.timer_ms = 0;
        rc = durable__op_save(e, x, &o, true);
    } else if ((t->kind == T_CB_TIMEOUT || t->kind == T_CB_HEARTBEAT) &&
               o.op.status == DURABLE_OP_STARTED) {
        bool overall = t->kind == T_CB_TIMEOUT;
        durable_error_object *err = NULL;
        rc = durable_error_object_new(&err, overall ? "Callback.Timeout" : "Callback.Heartbeat",
                                      overall ? "Callback timed out"
                                              : "Callback timed out on heartbeat",
                                      NULL);
        o.op.status = DURABLE_OP_TIMED_OUT;
        if (rc == 0)
            rc = durable__op_set_error(&o, err);
        if (rc == 0)
            rc = durable__op_save(e, x, &o, true);
        if (rc == 0)
            rc = disarm_callback(e, x, o.op.id);
        if (rc == 0) {
            durable__event_prepare(&ev, DURABLE_EVENT_CALLBACK_TIMED_OUT, &o.op);
            ev.error = err;
            err = NULL;
            rc = durable__history_append(e, x, &ev);
        }
        durable_error_object_free(err);
    } else {
        /* A stale timer (operation no longer in the timed state): disarm. */
        if (t->kind == T_CB_TIMEOUT || t->kind == T_CB_HEARTBEAT) {
            rc = disarm_callback(e, x, o.op.id);
        } else {
            rc = disarm_op_timer(e, x, o.op.id);
        }
        goto done;
    }
    if (rc == 0)
        durable__exec_trigger(x);
done:
    durable_event_clear(&ev);
    durable__eop_clear(&o);
    return rc;
}

static int fire_exec(durable_engine *e, eng_exec *x, const due_timer *t)
{
    int rc = 0;
    durable_error_object *err = NULL;
    char *msg = NULL;
    switch (t->kind) {
    case T_EXEC_DEADLINE:
        if (x->status != DURABLE_EXEC_RUNNING) {
            x->deadline_ms = 0; /* closed already: just disarm */
            break;
        }
        msg = durable__sprintf("Execution timed out after %lld seconds.",
                               (long long)x->timeout_seconds);
        rc = msg ? durable_error_object_new(&err, NULL, msg, NULL) : durable__error_oom();
        if (rc == 0)
            rc = durable__exec_abort(e, x, DURABLE_EXEC_TIMED_OUT, err);
        break;
    case T_INVOCATION_TIMEOUT:
        msg = durable__sprintf("RequestId: %s Error: Task timed out after %lld seconds",
                               x->inflight ? x->inflight : "",
                               (long long)e->opts.invocation_timeout_seconds);
        rc = msg ? durable_error_object_new(&err, "Sandbox.Timedout", msg, NULL)
                 : durable__error_oom();
        if (rc == 0 && x->inflight)
            rc = durable__invocation_end(e, x, NULL, err);
        x->inv_deadline_ms = 0;
        break;
    default: /* T_INVOCATION_RETRY */
        x->retry_ms = 0;
        durable__exec_trigger(x);
        break;
    }
    durable_free(msg);
    durable_error_object_free(err);
    return rc;
}

static int fire_all(durable_engine *e, int *fired, const scope *sc)
{
    for (;;) {
        due_timer t = {0};
        int rc = next_due_timer(e, &t, sc);
        if (rc <= 0)
            return rc;
        eng_exec x;
        e->armed_due = false;
        rc = durable__exec_load_rowid(e, &x, t.exec_rowid);
        if (rc == 0) {
            rc = t.op_id ? fire_op(e, &x, &t) : fire_exec(e, &x, &t);
            if (rc == 0)
                rc = durable__exec_save(e, &x);
        }
        durable__exec_clear(&x);
        durable_free(t.op_id);
        if (rc < 0)
            return rc;
        (*fired)++;
        /* Firing disarms the timer it fires. When it was the only one due
         * and firing armed none due by now, nothing in scope is due: the
         * scan that would find nothing is skipped. */
        if (t.seen == 1 && !e->armed_due)
            return 0;
    }
}

/* Which executions a call looks at: every one, those named by ARNs, or
 * those of the named functions. */
typedef enum { BY_ALL, BY_ARNS, BY_FUNCTIONS } scope_kind;

/* sc for arns: the rowids of the executions they name (each looked up once
 * per call). Rowids rather than ARNs: the timer rows carry the rowid, and an
 * ARN that names no execution is reported here instead of silently
 * matching nothing. */
static int scope_of(scope *sc, durable_engine *e, const char *const *arns, size_t count)
{
    sc->all = false;
    if (count && !(sc->rowids = durable__calloc(count, sizeof *sc->rowids)))
        return durable__error_oom();
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (!arns[i]) {
            rc = durable__eng_fail(e, DURABLE_EINVAL, "DurableExecutionArn is required.",
                                   "arns[%zu]", i);
            break;
        }
        rc = durable__exec_rowid(e, &sc->rowids[sc->count], arns[i]);
        if (rc == 0)
            rc = durable__eng_fail(e, DURABLE_EINVAL, "Execution not found.", "arns[%zu] %s", i,
                                   arns[i]);
        else if (rc == 1) {
            sc->count++;
            rc = 0;
        }
    }
    return rc;
}

/* sc for function names: a JSON array of them, bound to the statements. */
static int scope_in(scope *sc, durable_engine *e, const char *const *functions, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!functions[i] || !*functions[i])
            return durable__eng_fail(e, DURABLE_EINVAL, "A function name is required.",
                                     "functions[%zu]", i);
    if (count > INT_MAX)
        return durable__eng_fail(e, DURABLE_EINVAL, "Too many function names.", NULL);
    cJSON *a = cJSON_CreateStringArray(functions, (int)count);
    sc->all = false;
    sc->functions = durable_json_print(a);
    cJSON_Delete(a);
    return sc->functions ? 0 : durable__error_oom();
}

static int scope_make(scope *sc, durable_engine *e, scope_kind kind, const char *const *names,
                      size_t count)
{
    memset(sc, 0, sizeof *sc);
    sc->all = true;
    if (kind == BY_ALL)
        return 0;
    if (count && !names)
        return durable__eng_fail(e, DURABLE_EINVAL,
                                 kind == BY_ARNS ? "arns is required when count > 0"
                                                 : "functions is required when count > 0",
                                 NULL);
    return kind == BY_ARNS ? scope_of(sc, e, names, count) : scope_in(sc, e, names, count);
}

static void scope_clear(scope *sc)
{
    durable_free(sc->rowids);
    durable_free(sc->functions);
}

static int fire_due(int *fired_out, durable_engine *e, scope_kind kind, const char *const *names,
                    size_t count)
{
    if (!e)
        return durable__error_set(DURABLE_EINVAL, "engine is required");
    int fired = 0;
    if (fired_out)
        *fired_out = 0;
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    scope sc;
    rc = scope_make(&sc, e, kind, names, count);
    /* An empty set fires nothing (the function scope's empty array would
     * match nothing too, at the price of a scan). */
    if (rc == 0 && !(kind != BY_ALL && count == 0))
        rc = fire_all(e, &fired, &sc);
    scope_clear(&sc);
    rc = durable__eng_end(e, rc);
    if (rc == 0 && fired_out)
        *fired_out = fired;
    return rc;
}

int durable_engine_fire_due(int *fired_out, durable_engine *e)
{
    return fire_due(fired_out, e, BY_ALL, NULL, 0);
}

int durable_engine_fire_due_of(int *fired_out, durable_engine *e, const char *const *arns,
                               size_t count)
{
    return fire_due(fired_out, e, BY_ARNS, arns, count);
}

int durable_engine_fire_due_in(int *fired_out, durable_engine *e, const char *const *functions,
                               size_t count)
{
    return fire_due(fired_out, e, BY_FUNCTIONS, functions, count);
}

static int next_due(int64_t *when_out, durable_engine *e, scope_kind kind,
                    const char *const *names, size_t count)
{
    if (!when_out || !e)
        return durable__error_set(DURABLE_EINVAL, "when_out and engine are required");
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    scope sc;
    rc = scope_make(&sc, e, kind, names, count);
    sqlite3_stmt *st;
    bool found = false;
    int64_t when = 0;
    size_t runs = sc.all ? 1 : sc.functions ? (count ? 1 : 0) : sc.count;
    if (rc == 0 && runs)
        rc = durable__db_prepare(e, &st, sc.functions ? NEXT_DUE_IN
                                         : sc.all     ? NEXT_DUE(SCOPE_ALL)
                                                      : NEXT_DUE_ONE);
    for (size_t i = 0; i < runs && rc == 0; i++) {
        if (sc.functions)
            durable__db_text_static(st, 2, sc.functions);
        else if (!sc.all)
            durable__db_i64(st, 2, sc.rowids[i]);
        if ((rc = durable__db_row(e, st, "next due timer")) == 1) {
            if (!durable__col_null(st, 0) && (!found || durable__col_i64(st, 0) < when)) {
                when = durable__col_i64(st, 0);
                found = true;
            }
            durable__db_reset(st);
            rc = 0;
        }
    }
    scope_clear(&sc);
    if (rc == 0 && !found)
        rc = durable__eng_fail(e, DURABLE_ENOTFOUND, "No timer is armed.", NULL);
    rc = durable__eng_end(e, rc);
    if (rc == 0)
        *when_out = when;
    return rc;
}

int durable_engine_next_due(int64_t *when_out, durable_engine *e)
{
    return next_due(when_out, e, BY_ALL, NULL, 0);
}

int durable_engine_next_due_of(int64_t *when_out, durable_engine *e, const char *const *arns,
                               size_t count)
{
    return next_due(when_out, e, BY_ARNS, arns, count);
}

int durable_engine_next_due_in(int64_t *when_out, durable_engine *e, const char *const *functions,
                               size_t count)
{
    return next_due(when_out, e, BY_FUNCTIONS, functions, count);
}
