/* The store, read-only: never creates, never migrates, never writes; needs
 * a file at exactly the latest schema; reads what a writer commits. */
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

static unsigned long long file_digest(const char *path, long *size)
{
    unsigned long long h = 1469598103934665603ull;
    FILE *f = fopen(path, "rb");
    *size = -1;
    if (!f)
        return 0;
    int c;
    long n = 0;
    while ((c = fgetc(f)) != EOF) {
        h = (h ^ (unsigned char)c) * 1099511628211ull;
        n++;
    }
    fclose(f);
    *size = n;
    return h;
}

static char *make_store_file(const char *stem, int rows)
{
    char *path = dt_temp_path(stem);
    durable_store *s = NULL;
    CU_ASSERT_FATAL(durable_store_open(&s, path, NULL) == 0);
    for (int i = 0; i < rows; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO executions(arn, op_id, function_name, execution_name, start_ms,"
                 " timeout_seconds) VALUES ('arn-%d', 'o', 'f', 'n%d', 1, 1)",
                 i, i);
        CU_ASSERT(durable__store_exec(s, sql) == 0);
    }
    durable_store_close(s);
    return path;
}

static durable_store *open_ro(const char *path)
{
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    durable_store *s = NULL;
    int rc = durable_store_open(&s, path, &o);
    if (rc != 0)
        fprintf(stderr, "read-only open failed: %s\n", durable_error_last()->message);
    return s;
}

static void test_missing_file_fails_and_is_not_created(void)
{
    char *path = dt_temp_path("ro-missing");
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    durable_store *s = NULL;
    struct stat sb;
    char want[4200];
    snprintf(want, sizeof want, "%s: no such file", path);
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ENOTFOUND);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
    free(path);
}

static void test_read_only_never_writes(void)
{
    char *path = make_store_file("ro", 2);
    long size1, size2;
    unsigned long long h1 = file_digest(path, &size1);
    struct stat before, after;
    stat(path, &before);
    sleep(1); /* so that a write would show in a second-resolution mtime */

    durable_store *s = open_ro(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    sqlite3 *db = durable__store_db(s);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA query_only"), 1);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM executions"), 2);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM executions_view"), 2);

    /* Every kind of write fails, with SQLite's reason on the handle. */
    const char *writes[] = {
        "INSERT INTO executions(arn, op_id, function_name, execution_name, start_ms,"
        " timeout_seconds) VALUES ('x', 'o', 'f', 'x', 1, 1)",
        "UPDATE executions SET status = 'STOPPED'",
        "DELETE FROM executions",
        "CREATE TABLE scratch(x)",
        "PRAGMA user_version = 99",
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        int rc = durable__store_exec(s, writes[i]);
        CU_ASSERT_EQUAL(rc, DURABLE_EDB);
        CU_ASSERT(strstr(durable_store_errmsg(s), "readonly") != NULL ||
                  strstr(durable_store_errmsg(s), "read-only") != NULL ||
                  strstr(durable_store_errmsg(s), "query_only") != NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), path));
    }
    /* A write transaction cannot even start. */
    CU_ASSERT_EQUAL(durable__store_begin(s), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "BEGIN IMMEDIATE"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "readonly"));
    CU_ASSERT_FALSE(durable__store_in_transaction(s));
    /* Reads inside a read transaction work. */
    CU_ASSERT_EQUAL(durable__store_begin_read(s), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM executions"), 2);
    CU_ASSERT_EQUAL(durable__store_commit(s), 0);
    durable_store_close(s);

    CU_ASSERT_EQUAL(file_digest(path, &size2), h1);
    CU_ASSERT_EQUAL(size1, size2);
    stat(path, &after);
    CU_ASSERT_EQUAL(before.st_mtime, after.st_mtime);
    CU_ASSERT_EQUAL(before.st_size, after.st_size);
    dt_remove_db(path);
    free(path);
}

/* Decision (schema/README.md, store.h): a read-only opener cannot migrate and
 * the library's queries assume the latest schema, so it reads only files at
 * exactly the latest version; older ones are refused with a clear error. */
static void test_read_only_needs_latest_schema(void)
{
    char *path = make_store_file("ro-old", 1);
    int older = durable_store_latest_schema_version() - 1;
    char sql[64], want[4400];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", older);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, sql), SQLITE_OK);
    long size1, size2;
    unsigned long long h1 = file_digest(path, &size1);
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    durable_store *s = NULL;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NULL(s);
    snprintf(want, sizeof want,
             "%s: schema version %d is older than this library (%d); open it read-write once to "
             "migrate it",
             path, older, durable_store_latest_schema_version());
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_EQUAL(file_digest(path, &size2), h1);
    CU_ASSERT_EQUAL(size1, size2);
    dt_remove_db(path);

    /* An empty file is not (yet) a libdurable file, and stays empty. */
    FILE *f = fopen(path, "wb");
    fclose(f);
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "not a libdurable database"));
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_size, 0);
    dt_remove_db(path);
    free(path);
}

/* An inspector beside a running writer: it reads while the writer holds the
 * write lock (WAL), and sees each commit on its next transaction. */
static void test_reader_beside_writer(void)
{
    char *path = make_store_file("ro-live", 1);
    durable_store *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&w, path, NULL), 0);
    durable_store *r = open_ro(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    sqlite3_stmt *st = NULL;
    const char *count = "SELECT count(*) FROM executions";

    CU_ASSERT_EQUAL(durable__store_begin(w), 0);
    CU_ASSERT_EQUAL(durable__store_exec(w, "INSERT INTO executions(arn, op_id, function_name,"
                                           " execution_name, start_ms, timeout_seconds)"
                                           " VALUES ('arn-live', 'o', 'f', 'live', 1, 1)"),
                    0);
    /* Uncommitted: the reader is not blocked and does not see it. */
    CU_ASSERT_EQUAL(durable__store_begin_read(r), 0);
    CU_ASSERT_EQUAL(durable__store_prepare(&st, r, count), 0);
    CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), 1);
    CU_ASSERT_EQUAL(durable__store_commit(r), 0);
    CU_ASSERT_EQUAL(durable__store_commit(w), 0);
    /* Committed: the next read transaction sees it (the cached statement
     * left on its row above must not pin the old snapshot). */
    CU_ASSERT_EQUAL(durable__store_begin_read(r), 0);
    CU_ASSERT_EQUAL(durable__store_prepare(&st, r, count), 0);
    CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), 2);
    CU_ASSERT_EQUAL(durable__store_commit(r), 0);
    durable_store_close(r);
    durable_store_close(w);
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("store_readonly");
    DT_ADD(s, test_missing_file_fails_and_is_not_created);
    DT_ADD(s, test_read_only_never_writes);
    DT_ADD(s, test_read_only_needs_latest_schema);
    DT_ADD(s, test_reader_beside_writer);
    return dt_run();
}
