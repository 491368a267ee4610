/* Costs that must not grow with the file and pages a checkpoint need not
 * write (issue 16, schema migrations 7 and 8): listing executions and a
 * runner's scoped timer lookup read about the same number of pages on a
 * file twenty times larger; migration 7 carries a version-6 file's rows over
 * with the new indexes; after migration 8 a checkpoint's ClientToken record
 * lives in the execution's row, still replays, and one recorded before the
 * migration replays too. Page reads are counted
 * with SQLite's pager statistics (hits + misses), which, unlike time, do
 * not depend on the machine's load. */
#include <string.h>

#include "store/migrations.h"
#include "support/engine_fixture.h"
#include "support/testutil.h"

/* Execution i of fn-(i % 4): every other one suspends on a one-hour wait
 * (an armed timer), the others succeed. Returns the ARN (durable_free). */
static char *make_execution(ef *f, int i)
{
    ef g;
    memset(&g, 0, sizeof g);
    g.vc = f->vc;
    g.store = f->store;
    g.eng = f->eng;
    char fn[16], name[32];
    snprintf(fn, sizeof fn, "fn-%d", i % 4);
    snprintf(name, sizeof name, "e-%d", i);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = name;
    CU_ASSERT_FATAL(durable_engine_start_execution(&g.arn, NULL, g.eng, fn, &o) == 0);
    CU_ASSERT_FATAL(ef_invoke(&g) == 0);
    if (i % 2 == 0) {
        durable_operation_update u;
        ef_wait(&u, "1", 3600);
        CU_ASSERT_FATAL(ef_cp1(&g, &u) == 0);
        CU_ASSERT_FATAL(ef_complete(&g, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    } else {
        CU_ASSERT_FATAL(ef_complete(&g, DURABLE_INVOCATION_SUCCEEDED, "1", NULL) == 0);
    }
    ef_advance(f, 1000);
    char *arn = g.arn;
    durable_free(g.inv);
    durable_free(g.token);
    return arn;
}

enum { Q_BY_FUNCTION, Q_BY_FUNCTION_NEXT, Q_ALL_NEWEST, Q_ALL_NEXT, Q_TIMER_NONE, Q_TIMER_ARMED,
       Q_COUNT };
static const char *const Q_NAMES[Q_COUNT] = {"by function + status", "its next page",
                                             "all, newest first",     "its next page",
                                             "next_due_of, no timer", "next_due_of, armed"};

static void list_page(ef *f, durable_list_request *req, durable_list_response *out)
{
    memset(out, 0, sizeof *out);
    CU_ASSERT_FATAL(durable_engine_list_executions(out, f->eng, req) == 0);
    CU_ASSERT_EQUAL_FATAL(out->count, 10);
}

/* Pages each query reads on a file of n executions. */
static void measure(int n, long pages[Q_COUNT])
{
    ef f;
    ef_open(&f);
    char *timer_arn = NULL, *plain_arn = NULL;
    for (int i = 0; i < n; i++) {
        char *arn = make_execution(&f, i);
        if (i == n / 2)
            timer_arn = arn; /* n / 2 is even: it has a timer */
        else if (i == n / 2 + 1)
            plain_arn = arn;
        else
            durable_free(arn);
    }
    durable_exec_status succeeded = DURABLE_EXEC_SUCCEEDED;
    durable_list_request req;
    durable_list_response a, b;
    for (int by_function = 1; by_function >= 0; by_function--) {
        memset(&req, 0, sizeof req);
        req.max_items = 10;
        if (by_function) {
            req.function_name = "fn-1";
            req.statuses = &succeeded;
            req.status_count = 1;
        } else {
            req.reverse_order = true;
        }
        int q = by_function ? Q_BY_FUNCTION : Q_ALL_NEWEST;
        ef_pages_read(f.store);
        list_page(&f, &req, &a);
        pages[q] = ef_pages_read(f.store);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a.next_marker);
        req.marker = a.next_marker;
        list_page(&f, &req, &b);
        pages[q + 1] = ef_pages_read(f.store);
        /* The next page goes on where the first stopped, in order. */
        CU_ASSERT(by_function ? b.executions[0].start_timestamp >= a.executions[9].start_timestamp
                              : b.executions[0].start_timestamp <= a.executions[9].start_timestamp);
        CU_ASSERT_STRING_NOT_EQUAL(b.executions[0].durable_execution_arn,
                                   a.executions[9].durable_execution_arn);
        for (size_t i = 0; by_function && i < a.count; i++)
            CU_ASSERT_EQUAL(a.executions[i].status, DURABLE_EXEC_SUCCEEDED);
        durable_list_response_clear(&a);
        durable_list_response_clear(&b);
    }
    int64_t when = 0;
    const char *none[1] = {plain_arn}, *armed[1] = {timer_arn};
    ef_pages_read(f.store);
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, none, 1), DURABLE_ENOTFOUND);
    pages[Q_TIMER_NONE] = ef_pages_read(f.store);
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, armed, 1), 0);
    pages[Q_TIMER_ARMED] = ef_pages_read(f.store);
    CU_ASSERT(when > ef_now(&f)); /* its own wait, not an earlier one of the file */
    durable_free(timer_arn);
    durable_free(plain_arn);
    ef_close(&f);
}

static void test_reads_do_not_grow_with_the_file(void)
{
    long small[Q_COUNT], large[Q_COUNT];
    measure(100, small);
    measure(2000, large);
    for (int q = 0; q < Q_COUNT; q++) {
        /* A twentyfold file may add a b-tree level to each of the (at most
         * three) trees a call reads; a scan reads twenty times as many
         * pages, or, for the 1,000 armed timers, a dozen more. */
        fprintf(stderr, "  %-24s %4ld pages at 100 executions, %4ld at 2000\n", Q_NAMES[q],
                small[q], large[q]);
        CU_ASSERT(large[q] <= small[q] + 4);
    }
}

static long query_long(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A new file at schema version `version` (the migrations up to it, run by
 * plain SQLite as an older library left it), then sql on it. */
static void file_at_version(const char *path, int version, const char *sql)
{
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version);
    CU_ASSERT_FATAL(durable__migration_count > version);
    for (int v = 0; v < version; v++)
        CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, durable__migrations[v].sql), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, bump), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, sql), SQLITE_OK);
}

/* A file at version 6 with an execution and an armed wait: migration 7
 * keeps them, drops executions_by_status and adds the two indexes, and the
 * engine then finds the wait through its execution. */
static void test_migration_7_keeps_rows_and_adds_indexes(void)
{
    char *path = dt_temp_path("v6");
    file_at_version(
        path, 6,
        "INSERT INTO executions(arn, op_id, function_name, execution_name, start_ms, "
        "timeout_seconds, deadline_ms) VALUES ('arn:aws:lambda:us-east-1:123456789012:"
        "function:fn:$LATEST/durable-execution/n/o', 'o', 'fn', 'n', 5, 60, 60005);"
        "INSERT INTO operations(execution_id, op_id, start_seq, type, status, start_ms, "
        "timer_ms, last_changed_seq) VALUES (1, 'o', 1, 'EXECUTION', 'STARTED', 5, NULL, 1), "
        "(1, 'w', 2, 'WAIT', 'STARTED', 5, 7005, 2)");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT(durable_store_schema_version(s) >= 7);
    sqlite3 *db = durable__store_db(s);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('executions_by_start', 'operations_timer_by_execution')"),
                    2);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                   "'executions_by_status'"),
                    0);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM operations INDEXED BY "
                                   "operations_timer_by_execution WHERE execution_id = 1 AND "
                                   "timer_ms IS NOT NULL"),
                    1);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM executions INDEXED BY "
                                   "executions_by_start WHERE start_ms >= 0"),
                    1);
    durable_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&e, s, NULL), 0);
    int64_t when = 0;
    const char *arns[1] = {"arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/"
                           "durable-execution/n/o"};
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, e, arns, 1), 0);
    CU_ASSERT_EQUAL(when, 7005);
    durable_engine_close(e);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

/* The checkpoint of a new step with ClientToken ct on f; resp filled. */
static int step_with_token(ef *f, const char *path, const char *ct,
                           durable_checkpoint_response *resp)
{
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, path);
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, path);
    u[1].payload = durable__strdup("{\"ok\":true}");
    int rc = ef_cp_full(f, u, 2, ct, resp);
    ef_clear_updates(u, 2);
    return rc;
}

/* A retry of the last accepted checkpoint (same ClientToken, same inbound
 * token) gets the same response and changes nothing; the record is in the
 * execution's row, and a checkpoint without a ClientToken clears it. */
static void test_client_token_record_in_execution_row(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    char *inbound = durable__strdup(f.token);
    durable_checkpoint_response first = {0}, again = {0};
    CU_ASSERT_FATAL(step_with_token(&f, "1", "ct-1", &first) == 0);
    sqlite3 *db = durable__store_db(f.store);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM executions WHERE "
                                   "idem_client_token = 'ct-1' AND idem_response IS NOT NULL"),
                    1);
    long events = query_long(db, "SELECT count(*) FROM history_events");
    /* The retry carries the token the first attempt carried. */
    char *next = f.token;
    f.token = inbound;
    CU_ASSERT_FATAL(step_with_token(&f, "1", "ct-1", &again) == 0);
    CU_ASSERT_STRING_EQUAL(again.checkpoint_token, first.checkpoint_token);
    CU_ASSERT_EQUAL(again.operations.count, first.operations.count);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM history_events"), events);
    durable_free(f.token);
    f.token = next;
    durable_checkpoint_response_clear(&first);
    durable_checkpoint_response_clear(&again);
    /* Without a ClientToken the record goes. */
    durable_operation_update u;
    ef_wait(&u, "2", 60);
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM executions WHERE "
                                   "idem_client_token IS NOT NULL OR idem_response IS NOT NULL"),
                    0);
    ef_close(&f);
}

/* A file at version 7 whose execution has a checkpoint_idempotency record:
 * migration 8 moves it into the row and drops the table; the same retry
 * then replays the stored response. */
static void test_migration_8_moves_the_record(void)
{
    char *path = dt_temp_path("v7");
    durable_store *s = NULL;
    durable_engine *e = NULL;
    file_at_version(
        path, 7,
        "INSERT INTO executions(arn, op_id, function_name, execution_name, start_ms, "
        "timeout_seconds, deadline_ms, token_seq, inflight_invocation, needs_invocation) "
        "VALUES ('arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/"
        "durable-execution/n/o', 'o', 'fn', 'n', 5, 60, 60005, 1, 'inv-1', 0);"
        "INSERT INTO checkpoint_idempotency VALUES (1, 'ct-9', 'tok-0', "
        "'{\"CheckpointToken\":\"dG9rLTE=\",\"NewExecutionState\":{\"Operations\":[]}}')");
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    sqlite3 *db = durable__store_db(s);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                   "'checkpoint_idempotency'"),
                    0);
    CU_ASSERT_EQUAL(query_long(db, "SELECT count(*) FROM executions WHERE id = 1 AND "
                                   "idem_client_token = 'ct-9' AND idem_inbound_token = 'tok-0'"),
                    1);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&e, s, NULL), 0);
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/"
                                "durable-execution/n/o";
    req.checkpoint_token = "tok-0";
    req.client_token = "ct-9";
    durable_checkpoint_response resp = {0};
    int rc = durable_engine_checkpoint(&resp, e, &req);
    if (rc != 0)
        fprintf(stderr, "replay: %s\n", durable_engine_errmsg(e));
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(resp.checkpoint_token ? resp.checkpoint_token : "", "dG9rLTE=");
    durable_checkpoint_response_clear(&resp);
    durable_engine_close(e);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

/* ---- finding an execution by its ARN on a large file ----------------------- */

enum { BIG_FILE = 30000, LOOKUPS = 200 };

/* A file of n executions written with plain SQL in one transaction (the
 * engine's calls would take seconds), shaped as the engine writes them: the
 * ARN made of the row's function, qualifier, name and op id, names as
 * bench_scale's, one ExecutionStarted event each. */
static char *big_file(int n)
{
    char *path = dt_temp_path("big");
    ef f;
    ef_open_file(&f, path, true, EF_T0);
    ef_close(&f);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) "
             "INSERT INTO executions(id, arn, op_id, function_name, execution_name, status, "
             "start_ms, end_ms, timeout_seconds, input_payload, result, needs_invocation, "
             "last_event_id) "
             "SELECT i, 'arn:aws:lambda:us-east-1:123456789012:function:' || fn || "
             "':$LATEST/durable-execution/' || nm || '/' || op, op, fn, nm, 'SUCCEEDED', "
             "1000 + i, 2000 + i, 60, '{\"order\":42}', '{\"ok\":true}', 0, 1 FROM "
             "(SELECT i, 'fn-' || (i / 20 %% 8) AS fn, printf('e-%%08d', i) AS nm, "
             "printf('%%08x-0000-4000-8000-%%012x', i * 2654435761 %% 4294967296, i) AS op "
             "FROM s);"
             "INSERT INTO history_events(id, execution_id, event_id, event_type, timestamp_ms, "
             "op_id, details) SELECT id * 4294967296 + 1, id, 1, 'ExecutionStarted', start_ms, "
             "op_id, '{\"ExecutionTimeout\":60}' FROM executions;"
             "COMMIT;",
             n);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, sql), SQLITE_OK);
    return path;
}

/* count ARNs of random executions of the file, read with a connection of
 * their own (the engine's page cache stays cold). */
static char **random_arns(const char *path, int n, int count, dt_rng *r)
{
    char **arns = calloc((size_t)count, sizeof *arns);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CU_ASSERT_FATAL(arns && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT arn FROM executions WHERE id = ?1", -1, &st,
                                       NULL) == SQLITE_OK);
    for (int i = 0; i < count; i++) {
        sqlite3_bind_int64(st, 1, 1 + (sqlite3_int64)dt_rng_below(r, (uint64_t)n));
        CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
        arns[i] = durable__strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return arns;
}

static void free_arns(char **arns, int count)
{
    for (int i = 0; i < count; i++)
        durable_free(arns[i]);
    free(arns);
}

/* Pages the connection read from the file since the last call (resets). */
static long cache_misses(durable_store *s)
{
    int cur = 0, hi = 0;
    sqlite3_db_status(durable__store_db(s), SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1);
    return cur;
}

/* Pages read from the file per call of `kind` (0 get, 1 history) about
 * LOOKUPS random executions, on a fresh connection. */
static double lookup_misses(const char *path, int kind, dt_rng *r)
{
    durable_store *s = NULL;
    durable_engine *e = NULL;
    CU_ASSERT_FATAL(durable_store_open(&s, path, NULL) == 0);
    CU_ASSERT_FATAL(durable_engine_open(&e, s, NULL) == 0);
    char **arns = random_arns(path, BIG_FILE, LOOKUPS, r);
    cache_misses(s);
    for (int i = 0; i < LOOKUPS; i++) {
        if (kind == 0) {
            durable_execution_info x;
            CU_ASSERT_EQUAL(durable_engine_get_execution(&x, e, arns[i]), 0);
            CU_ASSERT_STRING_EQUAL(x.durable_execution_arn ? x.durable_execution_arn : "",
                                   arns[i]);
            durable_execution_info_clear(&x);
        } else {
            durable_history_request req = {arns[i], false, 0, NULL, false};
            durable_history_response resp;
            memset(&resp, 0, sizeof resp);
            CU_ASSERT_EQUAL(durable_engine_get_history(&resp, e, &req), 0);
            CU_ASSERT_EQUAL(resp.count, 1);
            durable_history_response_clear(&resp);
        }
    }
    double misses = cache_misses(s) / (double)LOOKUPS;
    free_arns(arns, LOOKUPS);
    durable_engine_close(e);
    durable_store_close(s);
    return misses;
}

/* Every call about one execution starts by finding it from its ARN. On a
 * fresh connection each random execution costs the pages of its path
 * through the index and the table that were not read before: through the
 * arn index (keys of ~100 bytes, the row's ARN) that is one more level and
 * four times the pages of the (function_name, qualifier, execution_name)
 * key the engine uses. Page-cache misses, not time: the count does not
 * depend on the machine's load. */
static void test_lookup_by_arn_reads_few_pages(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed);
    char *path = big_file(BIG_FILE);
    double get = lookup_misses(path, 0, &r), history = lookup_misses(path, 1, &r);
    fprintf(stderr, "  %d executions, %d random lookups on a fresh connection: %.2f pages "
                    "read per get, %.2f per history (seed %llu)\n",
            BIG_FILE, LOOKUPS, get, history, (unsigned long long)seed);
    /* Measured (the seed picks the executions): 1.91-1.99 and 2.94-3.04
     * pages; through the arn index 2.58-2.70 and 3.62-3.75. */
    CU_ASSERT(get < 2.3);
    CU_ASSERT(history < 3.35);
    dt_remove_db(path);
    free(path);
}

/* s with the first `from` replaced by `to` (durable_free). */
static char *replaced(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    return durable__sprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* `code` from a call that did not find the execution, with the message
 * the arn index gave. */
static void assert_not_found(durable_engine *e, int rc, int code, const char *call)
{
    if (rc != code)
        fprintf(stderr, "  %s: %d (%s)\n", call, rc, durable_engine_errmsg(e));
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_engine_errmsg(e), "Execution not found."));
}

/* Found through its (function, qualifier, name) key, an execution is still
 * matched by its whole ARN: an ARN naming the same function, qualifier and
 * name but another partition, region, account or operation id is no
 * execution, for every call that finds one (as through the arn index). A
 * row whose key columns do not repeat its ARN (written by hand; the engine
 * never writes one) is still found by its ARN. */
static void test_lookup_by_arn_matches_exactly(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_wait(&u, "1", 3600);
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    int64_t when = 0;
    const char *own[1] = {f.arn};
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, own, 1), 0);
    const char *slash = strrchr(f.arn, '/');
    char *others[] = {replaced(f.arn, "arn:aws:", "arn:aws-cn:"),
                      replaced(f.arn, ":us-east-1:", ":eu-west-1:"),
                      replaced(f.arn, ":123456789012:", ":210987654321:"),
                      replaced(f.arn, slash, "/00000000-0000-4000-8000-000000000000"),
                      replaced(f.arn, slash, "")};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        char *arn = others[i];
        durable_execution_info x;
        assert_not_found(f.eng, durable_engine_get_execution(&x, f.eng, arn), DURABLE_ENOTFOUND,
                         "get");
        durable_exec_status status;
        assert_not_found(f.eng, durable_engine_execution_status(&status, NULL, f.eng, arn),
                         DURABLE_ENOTFOUND, "status");
        durable_history_request hreq = {arn, false, 0, NULL, false};
        durable_history_response hresp;
        memset(&hresp, 0, sizeof hresp);
        assert_not_found(f.eng, durable_engine_get_history(&hresp, f.eng, &hreq),
                         DURABLE_ENOTFOUND, "history");
        durable_stop_request sreq = {arn, NULL};
        durable_stop_response sresp;
        assert_not_found(f.eng, durable_engine_stop_execution(&sresp, f.eng, &sreq),
                         DURABLE_ENOTFOUND, "stop");
        const char *one[1] = {arn};
        assert_not_found(f.eng, durable_engine_next_due_of(&when, f.eng, one, 1), DURABLE_EINVAL,
                         "next_due_of");
        durable_callback_info_list cbs;
        CU_ASSERT_EQUAL(durable_engine_list_callbacks(&cbs, f.eng, arn), 0);
        CU_ASSERT_EQUAL(cbs.count, 0);
        durable_callback_info_list_clear(&cbs);
        durable_free(others[i]);
    }
    /* The execution itself is untouched and found. */
    durable_execution_info x;
    CU_ASSERT_EQUAL_FATAL(durable_engine_get_execution(&x, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(x.status, DURABLE_EXEC_RUNNING);
    durable_execution_info_clear(&x);

    static const char *const hand[] = {
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/hand/o1",
        "not an ARN"};
    sqlite3 *db = durable__store_db(f.store);
    CU_ASSERT_EQUAL_FATAL(sqlite3_exec(db,
                                       "INSERT INTO executions(arn, op_id, function_name, "
                                       "execution_name, start_ms, timeout_seconds) VALUES "
                                       "('arn:aws:lambda:us-east-1:123456789012:function:fn:"
                                       "$LATEST/durable-execution/hand/o1', 'o1', 'other-fn', "
                                       "'other-name', 5, 60), "
                                       "('not an ARN', 'o2', 'fn', 'n2', 5, 60)",
                                       NULL, NULL, NULL),
                          SQLITE_OK);
    for (int i = 0; i < 2; i++) {
        durable_exec_status status;
        CU_ASSERT_EQUAL(durable_engine_get_execution(&x, f.eng, hand[i]), 0);
        CU_ASSERT_STRING_EQUAL(x.durable_execution_arn ? x.durable_execution_arn : "", hand[i]);
        durable_execution_info_clear(&x);
        CU_ASSERT_EQUAL(durable_engine_execution_status(&status, NULL, f.eng, hand[i]), 0);
    }
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_scale");
    DT_ADD(s, test_reads_do_not_grow_with_the_file);
    DT_ADD(s, test_migration_7_keeps_rows_and_adds_indexes);
    DT_ADD(s, test_client_token_record_in_execution_row);
    DT_ADD(s, test_migration_8_moves_the_record);
    DT_ADD(s, test_lookup_by_arn_reads_few_pages);
    DT_ADD(s, test_lookup_by_arn_matches_exactly);
    return dt_run();
}
