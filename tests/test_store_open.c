/* The store: migration, reopen, refusal of foreign and newer files, read-only,
 * ":memory:", transactions and the statement cache. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static void test_fresh_file_is_migrated(void)
{
    char *path = dt_temp_path("fresh");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    sqlite3 *db = durable__store_db(s);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    CU_ASSERT(durable_store_latest_schema_version() >= 1);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA application_id"), DURABLE_STORE_APPLICATION_ID);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA foreign_keys"), 1);
    char *mode = query_text(db, "PRAGMA journal_mode");
    CU_ASSERT_STRING_EQUAL(mode, "wal");
    free(mode);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    const char *names[] = {"executions", "invocations", "operations", "callbacks",
                           "history_events", "chained_invokes", "checkpoint_idempotency",
                           "executions_view", "operations_view", "history_view"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", names[i]);
        CU_ASSERT_EQUAL(query_int(db, sql), 1);
    }
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

static void test_reopen_does_not_migrate_again(void)
{
    char *path = dt_temp_path("reopen");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL(durable__store_exec(s, "INSERT INTO executions(arn, op_id, function_name,"
                                           " execution_name, start_ms, timeout_seconds)"
                                           " VALUES ('a', 'o', 'f', 'n', 1, 1)"), 0);
    durable_store_close(s);
    s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    /* A second migration would fail on CREATE TABLE or wipe nothing: the row must survive. */
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

static void test_newer_schema_is_refused(void)
{
    char *path = dt_temp_path("newer");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    durable_store_close(s);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", durable_store_latest_schema_version() + 5);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    s = NULL;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "newer than this library"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, path));
    dt_remove_db(path);
    free(path);
}

static void test_foreign_files_are_refused_untouched(void)
{
    char *path = dt_temp_path("foreign");
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL);
    sqlite3_close(db);
    durable_store *s = NULL;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "not a libdurable database"));
    sqlite3_open(path, &db);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'executions'"), 0);
    sqlite3_close(db);
    dt_remove_db(path);

    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "not a libdurable database"));
    dt_remove_db(path);
    free(path);
}

static void test_missing_file_is_not_created(void)
{
    char *path = dt_temp_path("missing");
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    durable_store *s = NULL;
    struct stat sb;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ENOTFOUND);
    CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
    o.read_only = false;
    o.create = false;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ENOTFOUND);
    CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "no such file"));
    free(path);
}

static void test_read_only_never_writes(void)
{
    char *path = dt_temp_path("ro");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    durable_store_close(s);
    struct stat before, after;
    stat(path, &before);
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, &o), 0);
    CU_ASSERT_NOT_EQUAL(durable__store_exec(s, "INSERT INTO executions(arn, op_id, function_name,"
                                               " execution_name, start_ms, timeout_seconds)"
                                               " VALUES ('a', 'o', 'f', 'n', 1, 1)"), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 0);
    durable_store_close(s);
    stat(path, &after);
    CU_ASSERT_EQUAL(before.st_size, after.st_size);
    CU_ASSERT_EQUAL(before.st_mtime, after.st_mtime);
    dt_remove_db(path);
    free(path);
}

static void test_memory_and_rollback_leave_no_trace(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    CU_ASSERT_EQUAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL(durable__store_begin(s), DURABLE_ESTATE); /* no nesting */
    CU_ASSERT_EQUAL(durable__store_exec(s, "INSERT INTO executions(arn, op_id, function_name,"
                                           " execution_name, start_ms, timeout_seconds)"
                                           " VALUES ('a', 'o', 'f', 'n', 1, 1)"), 0);
    /* A constraint failure inside the transaction, then rollback. */
    CU_ASSERT_EQUAL(durable__store_exec(s, "INSERT INTO executions(arn, op_id, function_name,"
                                           " execution_name, start_ms, timeout_seconds)"
                                           " VALUES ('a', 'o', 'f', 'n', 1, 1)"), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "UNIQUE"));
    durable__store_rollback(s);
    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 0);
    durable_store_close(s);
}

static void test_statement_cache(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    sqlite3_stmt *a = NULL, *b = NULL;
    const char *sql = "SELECT ?1 + 1";
    CU_ASSERT_EQUAL(durable__store_prepare(&a, s, sql), 0);
    sqlite3_bind_int(a, 1, 41);
    CU_ASSERT_EQUAL(sqlite3_step(a), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(a, 0), 42);
    CU_ASSERT_EQUAL(durable__store_prepare(&b, s, sql), 0);
    CU_ASSERT_PTR_EQUAL(a, b);
    /* Reset with bindings cleared: ?1 is NULL again. */
    CU_ASSERT_EQUAL(sqlite3_step(b), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_type(b, 0), SQLITE_NULL);
    CU_ASSERT_EQUAL(durable__store_prepare(&a, s, "SELEC nonsense"), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "syntax error"));
    durable_store_close(s);
    durable_store_close(NULL);
}

static void test_busy_beyond_timeout(void)
{
    char *path = dt_temp_path("busy");
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.busy_timeout_ms = 50;
    durable_store *a = NULL, *b = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&a, path, &o), 0);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&b, path, &o), 0);
    CU_ASSERT_EQUAL(durable__store_begin(a), 0);
    CU_ASSERT_EQUAL(durable__store_begin(b), DURABLE_EBUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, path));
    durable__store_rollback(a);
    CU_ASSERT_EQUAL(durable__store_begin(b), 0);
    CU_ASSERT_EQUAL(durable__store_commit(b), 0);
    durable_store_close(a);
    durable_store_close(b);
    dt_remove_db(path);
    free(path);
}

static void test_sqlite3_cli_shows_schema(void)
{
    if (system("command -v sqlite3 >/dev/null 2>&1") != 0) {
        printf("(sqlite3 CLI not installed: schema listing not checked)\n");
        return;
    }
    char *path = dt_temp_path("cli");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    durable_store_close(s);
    char cmd[4200], buf[65536];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' .schema", path);
    FILE *p = popen(cmd, "r");
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    pclose(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "CREATE TABLE executions"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "CREATE VIEW history_view"));
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("store_open");
    DT_ADD(s, test_fresh_file_is_migrated);
    DT_ADD(s, test_reopen_does_not_migrate_again);
    DT_ADD(s, test_newer_schema_is_refused);
    DT_ADD(s, test_foreign_files_are_refused_untouched);
    DT_ADD(s, test_missing_file_is_not_created);
    DT_ADD(s, test_read_only_never_writes);
    DT_ADD(s, test_memory_and_rollback_leave_no_trace);
    DT_ADD(s, test_statement_cache);
    DT_ADD(s, test_busy_beyond_timeout);
    DT_ADD(s, test_sqlite3_cli_shows_schema);
    return dt_run();
}
