/* The store, transactions and statements: a failed transaction leaves no
 * trace, nesting is refused, commit failures roll back, busy beyond the
 * timeout is DURABLE_EBUSY with the file and reason, SQLite's message is
 * copied at the moment of failure, and the statement cache prepares once per
 * SQL text, resets and clears bindings on each fetch. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durable/store.h"
#include "store/internal.h"
#include "support/testutil.h"

static int query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v = -12345;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int count_statements(sqlite3 *db)
{
    int n = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        n++;
    return n;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int insert_exec(durable_store *s, const char *arn, const char *status)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO executions(arn, op_id, function_name, execution_name, status, start_ms,"
             " timeout_seconds) VALUES ('%s', 'o', 'f', '%s', '%s', 1, 1)",
             arn, arn, status);
    return durable__store_exec(s, sql);
}

static void test_failed_transaction_leaves_no_trace(void)
{
    char *path = dt_temp_path("tx");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "kept", "RUNNING"), 0); /* autocommit, before */

    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_TRUE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(insert_exec(s, "doomed", "RUNNING"), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 2);
    /* The error: a CHECK constraint (status must be a wire enum). */
    CU_ASSERT_EQUAL(insert_exec(s, "bad", "BOGUS"), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "CHECK constraint failed"));
    durable__store_rollback(s);
    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s),
                              "SELECT count(*) FROM executions WHERE arn = 'doomed'"),
                    0);
    durable__store_rollback(s); /* without a transaction: harmless */
    durable_store_close(s);

    /* Also after reopening the file: nothing of it reached the disk. */
    s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s),
                              "SELECT count(*) FROM executions WHERE arn = 'kept'"),
                    1);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

static void test_commit_and_nesting(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    CU_ASSERT_EQUAL(durable__store_commit(s), DURABLE_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "commit without a transaction"));
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "a", "RUNNING"), 0);
    /* Nested begin (either kind) is refused and leaves the outer one intact. */
    CU_ASSERT_EQUAL(durable__store_begin(s), DURABLE_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "already open"));
    CU_ASSERT_EQUAL(durable__store_begin_read(s), DURABLE_ESTATE);
    CU_ASSERT_TRUE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    /* Read transactions commit too. */
    CU_ASSERT_EQUAL(durable__store_begin_read(s), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    durable_store_close(s);
}

/* A failure at COMMIT (a deferred foreign-key violation) rolls the whole
 * transaction back: the caller never has to clean up after commit. */
static void test_failed_commit_rolls_back(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(durable__store_exec(s, "PRAGMA defer_foreign_keys = ON"), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "a", "RUNNING"), 0);
    CU_ASSERT_EQUAL(durable__store_exec(s, "INSERT INTO invocations(execution_id, invocation_id,"
                                           " seq, start_ms) VALUES (999, 'i', 1, 1)"),
                    0);
    CU_ASSERT_EQUAL(durable__store_commit(s), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "COMMIT"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "FOREIGN KEY constraint failed"));
    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(sqlite3_get_autocommit(durable__store_db(s)), 1);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM invocations"), 0);
    /* And the store is usable afterwards. */
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "b", "RUNNING"), 0);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    durable_store_close(s);
}

/* SQLite's message must be copied when the failure happens: later calls on
 * the connection (successful or not) replace sqlite3_errmsg. */
static void test_error_message_is_copied(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    CU_ASSERT_STRING_EQUAL(durable_store_errmsg(s), "");
    CU_ASSERT_EQUAL(durable__store_exec(s, "SELECT * FROM no_such_table"), DURABLE_EDB);
    char first[1024];
    snprintf(first, sizeof first, "%s", durable_store_errmsg(s));
    CU_ASSERT_STRING_EQUAL(first, ":memory:: SELECT * FROM no_such_table: no such table: no_such_table");
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, first);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_EDB);
    /* A later success on the connection changes sqlite3_errmsg, not ours. */
    CU_ASSERT_EQUAL(durable__store_exec(s, "SELECT 1"), 0);
    CU_ASSERT_STRING_EQUAL(sqlite3_errmsg(durable__store_db(s)), "not an error");
    CU_ASSERT_STRING_EQUAL(durable_store_errmsg(s), first);
    /* durable__store_fail called by the engine after its own sqlite3_step. */
    sqlite3_stmt *st = NULL;
    CU_ASSERT_EQUAL(durable__store_prepare(&st, s, "INSERT INTO executions(arn) VALUES (?1)"), 0);
    int rc = sqlite3_step(st);
    CU_ASSERT_EQUAL(durable__store_fail(s, rc, "inserting an execution"), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "inserting an execution"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "NOT NULL constraint failed"));
    /* Long SQL is abbreviated to its first line in the message. */
    CU_ASSERT_EQUAL(durable__store_exec(s, "SELECT 1;\nSELECT * FROM still_missing"), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "SELECT 1;...: no such table"));
    durable_store_close(s);
}

/* Another connection holds the write lock: BEGIN IMMEDIATE waits for the
 * busy timeout, then fails with DURABLE_EBUSY naming the file and reason. */
static void test_busy_beyond_timeout(void)
{
    char *path = dt_temp_path("busy");
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.busy_timeout_ms = 100;
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, &o), 0);
    sqlite3 *other = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &other), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    long long t0 = now_ms();
    CU_ASSERT_EQUAL(durable__store_begin(s), DURABLE_EBUSY);
    long long waited = now_ms() - t0;
    CU_ASSERT(waited >= 80);    /* it did wait for the timeout … */
    CU_ASSERT(waited < 3000);   /* … and not forever */
    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_EBUSY);
    const char *m = durable_store_errmsg(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "database is locked"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "100 ms busy timeout"));
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, m);
    /* Readers are not blocked by the writer (WAL). */
    CU_ASSERT_EQUAL(durable__store_begin_read(s), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 0);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    /* Once the lock is released, the next begin succeeds. */
    CU_ASSERT_EQUAL(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "after", "RUNNING"), 0);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    sqlite3_close(other);

    /* The same through two stores. */
    durable_store *t = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&t, path, &o), 0);
    CU_ASSERT_EQUAL(durable__store_begin(t), 0);
    CU_ASSERT_EQUAL(durable__store_begin(s), DURABLE_EBUSY);
    durable__store_rollback(t);
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    durable_store_close(t);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

/* A statement left on a row keeps its read snapshot; begin resets it, so a
 * transaction always sees other connections' latest commits and a write
 * transaction is not refused for a stale snapshot. */
static void test_begin_drops_stale_snapshots(void)
{
    char *path = dt_temp_path("stale");
    durable_store *s = NULL, *t = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&t, path, NULL), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "one", "RUNNING"), 0);
    CU_ASSERT_EQUAL(insert_exec(s, "two", "RUNNING"), 0);
    sqlite3_stmt *it = NULL;
    CU_ASSERT_EQUAL(durable__store_prepare(&it, s, "SELECT arn FROM executions ORDER BY id"), 0);
    CU_ASSERT_EQUAL(sqlite3_step(it), SQLITE_ROW); /* left on its first row */
    CU_ASSERT_EQUAL(insert_exec(t, "three", "RUNNING"), 0); /* another connection commits */

    CU_ASSERT_EQUAL(durable__store_begin_read(s), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 3);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);

    CU_ASSERT_EQUAL(durable__store_prepare(&it, s, "SELECT arn FROM executions ORDER BY id"), 0);
    CU_ASSERT_EQUAL(sqlite3_step(it), SQLITE_ROW);
    CU_ASSERT_EQUAL(insert_exec(t, "four", "RUNNING"), 0);
    CU_ASSERT_EQUAL(durable__store_begin(s), 0); /* would be BUSY_SNAPSHOT otherwise */
    CU_ASSERT_EQUAL(insert_exec(s, "five", "RUNNING"), 0);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(t), "SELECT count(*) FROM executions"), 5);
    durable_store_close(t);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

static void test_statement_cache(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    sqlite3 *db = durable__store_db(s);
    int base = count_statements(db);
    sqlite3_stmt *a = NULL, *b = NULL, *c = NULL;
    const char *sql = "SELECT ?1 + 1";
    CU_ASSERT_EQUAL(durable__store_prepare(&a, s, sql), 0);
    CU_ASSERT_STRING_EQUAL(sqlite3_sql(a), sql);
    CU_ASSERT_EQUAL(sqlite3_bind_int(a, 1, 41), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_step(a), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(a, 0), 42);
    /* Same text (even from another buffer): same statement, reset, bindings cleared. */
    char copy[32];
    snprintf(copy, sizeof copy, "%s", sql);
    CU_ASSERT_EQUAL(durable__store_prepare(&b, s, copy), 0);
    CU_ASSERT_PTR_EQUAL(a, b);
    CU_ASSERT_FALSE(sqlite3_stmt_busy(b));
    CU_ASSERT_EQUAL(sqlite3_step(b), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_type(b, 0), SQLITE_NULL);
    /* Another text: another statement. */
    CU_ASSERT_EQUAL(durable__store_prepare(&c, s, "SELECT ?1 + 2"), 0);
    CU_ASSERT_PTR_NOT_EQUAL(a, c);
    /* Prepared once per text, however often fetched. */
    for (int i = 0; i < 500; i++) {
        sqlite3_stmt *x = NULL;
        CU_ASSERT_EQUAL(durable__store_prepare(&x, s, (i & 1) ? sql : "SELECT ?1 + 2"), 0);
        CU_ASSERT_PTR_EQUAL(x, (i & 1) ? a : c);
        sqlite3_bind_int(x, 1, i);
        CU_ASSERT_EQUAL(sqlite3_step(x), SQLITE_ROW);
        CU_ASSERT_EQUAL(sqlite3_column_int(x, 0), i + ((i & 1) ? 1 : 2));
    }
    CU_ASSERT_EQUAL(count_statements(db), base + 2);
    /* Many distinct texts (hash collisions included) each map to their own. */
    sqlite3_stmt *seen[300];
    for (int i = 0; i < 300; i++) {
        char q[64];
        snprintf(q, sizeof q, "SELECT %d", i);
        CU_ASSERT_EQUAL(durable__store_prepare(&seen[i], s, q), 0);
    }
    int distinct_ok = 1;
    for (int i = 0; i < 300; i++) {
        char q[64];
        sqlite3_stmt *x = NULL;
        snprintf(q, sizeof q, "SELECT %d", i);
        durable__store_prepare(&x, s, q);
        if (x != seen[i] || sqlite3_step(x) != SQLITE_ROW || sqlite3_column_int(x, 0) != i)
            distinct_ok = 0;
    }
    CU_ASSERT_TRUE(distinct_ok);
    CU_ASSERT_EQUAL(count_statements(db), base + 302);
    /* A statement stepped to completion, or left mid-way, works when fetched again. */
    CU_ASSERT_EQUAL(durable__store_prepare(&a, s, "SELECT value FROM json_each('[1,2,3]')"), 0);
    CU_ASSERT_EQUAL(sqlite3_step(a), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_step(a), SQLITE_ROW);
    CU_ASSERT_EQUAL(durable__store_prepare(&b, s, "SELECT value FROM json_each('[1,2,3]')"), 0);
    CU_ASSERT_EQUAL(sqlite3_step(b), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(b, 0), 1);
    /* Cached statements survive a rollback. */
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(durable__store_prepare(&c, s, sql), 0);
    durable__store_rollback(s);
    CU_ASSERT_EQUAL(durable__store_prepare(&b, s, sql), 0);
    CU_ASSERT_EQUAL(sqlite3_step(b), SQLITE_ROW);
    /* A bad text: DURABLE_EDB with SQLite's reason; nothing cached. */
    int before = count_statements(db);
    CU_ASSERT_EQUAL(durable__store_prepare(&a, s, "SELEC nonsense"), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "syntax error"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "SELEC nonsense"));
    CU_ASSERT_EQUAL(count_statements(db), before);
    /* Close finalizes them all (the sanitizer and valgrind runs check leaks). */
    durable_store_close(s);
}

int main(void)
{
    CU_pSuite s = dt_suite("store_tx");
    DT_ADD(s, test_failed_transaction_leaves_no_trace);
    DT_ADD(s, test_commit_and_nesting);
    DT_ADD(s, test_failed_commit_rolls_back);
    DT_ADD(s, test_error_message_is_copied);
    DT_ADD(s, test_busy_beyond_timeout);
    DT_ADD(s, test_begin_drops_stale_snapshots);
    DT_ADD(s, test_statement_cache);
    return dt_run();
}
