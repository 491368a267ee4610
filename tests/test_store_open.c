/* The store, opening: migration of a fresh file, reopen without a second
 * migration, refusal of newer, foreign and non-SQLite files (left untouched),
 * a migration that fails rolls back, missing files are not created, pragmas
 * (WAL, foreign keys, synchronous), ":memory:", concurrent first opens, and
 * the sqlite3 CLI's view of a store file. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable/store.h"
#include "store/internal.h"
#include "store/migrations.h"
#include "support/testutil.h"

static const char *const OBJECTS[] = {"executions", "invocations", "operations",
                                      "callbacks", "chained_invokes", "history_events",
                                      "executions_view",
                                      "operations_view", "history_view",
                                      "function_logs", "function_logs_view"};
#define N_OBJECTS (sizeof OBJECTS / sizeof OBJECTS[0])

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

static int raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int v = -12345;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
        v = query_int(db, sql);
    sqlite3_close(db);
    return v;
}

/* FNV-1a of the whole file, and its size: "unchanged" means both equal. */
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

static int count_objects(sqlite3 *db)
{
    int found = 0;
    for (size_t i = 0; i < N_OBJECTS; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'",
                 OBJECTS[i]);
        found += query_int(db, sql);
    }
    return found;
}

static const char *INSERT_EXEC = "INSERT INTO executions(arn, op_id, function_name,"
                                 " execution_name, start_ms, timeout_seconds)"
                                 " VALUES ('arn-1', 'o', 'f', 'n', 1, 1)";

static const char *INSERT_EXEC_2 = "INSERT INTO executions(arn, op_id, function_name,"
                                   " execution_name, start_ms, timeout_seconds)"
                                   " VALUES ('arn-2', 'o', 'f', 'n2', 1, 1)";

static void test_fresh_file_is_migrated(void)
{
    char *path = dt_temp_path("fresh");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    sqlite3 *db = durable__store_db(s);
    CU_ASSERT(durable_store_latest_schema_version() >= 1);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA user_version"), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA application_id"), DURABLE_STORE_APPLICATION_ID);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA foreign_keys"), 1);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA synchronous"), 1); /* NORMAL by default */
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA busy_timeout"), 5000);
    char *mode = query_text(db, "PRAGMA journal_mode");
    CU_ASSERT_STRING_EQUAL(mode, "wal");
    free(mode);
    CU_ASSERT_EQUAL(count_objects(db), (int)N_OBJECTS);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view'"), 4);
    CU_ASSERT_STRING_EQUAL(durable_store_path(s), path);
    CU_ASSERT_STRING_EQUAL(durable_store_errmsg(s), "");
    durable_store_close(s);
    /* Seen from outside the library too. */
    CU_ASSERT_EQUAL(raw_int(path, "PRAGMA application_id"), DURABLE_STORE_APPLICATION_ID);
    CU_ASSERT_EQUAL(raw_int(path, "PRAGMA user_version"), durable_store_latest_schema_version());
    dt_remove_db(path);
    free(path);
}

static void test_empty_file_becomes_libdurable(void)
{
    char *path = dt_temp_path("empty");
    FILE *f = fopen(path, "wb"); /* zero bytes, as `touch` leaves it */
    fclose(f);
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.create = false; /* it exists: nothing to create */
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, &o), 0);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(count_objects(durable__store_db(s)), (int)N_OBJECTS);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

static void test_sync_full_and_busy_timeout_options(void)
{
    char *path = dt_temp_path("full");
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.sync_mode = DURABLE_SYNC_FULL;
    o.busy_timeout_ms = 1234;
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, &o), 0);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "PRAGMA synchronous"), 2);
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "PRAGMA busy_timeout"), 1234);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

static void test_reopen_does_not_migrate_again(void)
{
    char *path = dt_temp_path("reopen");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL(durable__store_exec(s, INSERT_EXEC), 0);
    durable_store_close(s);
    long size1, size2;
    unsigned long long h1 = file_digest(path, &size1);
    s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    /* A second run of 001 would fail on CREATE TABLE; the row and the
     * version must survive, and an up-to-date open writes nothing. */
    CU_ASSERT_EQUAL(query_int(durable__store_db(s), "SELECT count(*) FROM executions"), 1);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    durable_store_close(s);
    CU_ASSERT_EQUAL(file_digest(path, &size2), h1);
    CU_ASSERT_EQUAL(size1, size2);
    CU_ASSERT_EQUAL(raw_int(path, "SELECT count(*) FROM executions WHERE arn = 'arn-1'"), 1);
    dt_remove_db(path);
    free(path);
}

static void test_newer_schema_is_refused(void)
{
    char *path = dt_temp_path("newer");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    durable_store_close(s);
    int newer = durable_store_latest_schema_version() + 6;
    char sql[64], want[256];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, sql), SQLITE_OK);
    long size1, size2;
    unsigned long long h1 = file_digest(path, &size1);
    s = (durable_store *)&s; /* must be reset to NULL on failure */
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ESCHEMA);
    snprintf(want, sizeof want,
             "%s: schema version %d is newer than this library (%d); upgrade libdurable", path,
             newer, durable_store_latest_schema_version());
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    /* Read-only openers are refused the same way. */
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ESCHEMA);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_EQUAL(file_digest(path, &size2), h1);
    CU_ASSERT_EQUAL(size1, size2);
    CU_ASSERT_EQUAL(raw_int(path, "PRAGMA user_version"), newer);
    dt_remove_db(path);
    free(path);
}

static void test_foreign_sqlite_file_is_refused_untouched(void)
{
    char *path = dt_temp_path("foreign");
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1)"), SQLITE_OK);
    long size1, size2;
    unsigned long long h1 = file_digest(path, &size1);
    durable_store *s = NULL;
    char want[4200];
    snprintf(want, sizeof want, "%s: not a libdurable database", path);
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    /* Byte for byte: not even switched to WAL. */
    CU_ASSERT_EQUAL(file_digest(path, &size2), h1);
    CU_ASSERT_EQUAL(size1, size2);
    CU_ASSERT_EQUAL(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'executions'"),
                    0);

    /* Another application's id on an otherwise empty file: also foreign. */
    dt_remove_db(path);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, "PRAGMA application_id = 42"), SQLITE_OK);
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_EQUAL(raw_int(path, "PRAGMA application_id"), 42);
    dt_remove_db(path);
    free(path);
}

static void test_non_sqlite_file_is_refused_untouched(void)
{
    char *path = dt_temp_path("random");
    dt_rng r;
    uint64_t seed = dt_seed();
    dt_rng_init(&r, seed);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 8192; i++)
        fputc((int)(dt_rng_next(&r) & 0xff), f);
    fclose(f);
    long size1, size2;
    unsigned long long h1 = file_digest(path, &size1);
    char want[4200];
    snprintf(want, sizeof want, "%s: not a libdurable database", path);
    durable_store *s = NULL;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ESCHEMA);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_EQUAL(file_digest(path, &size2), h1);
    CU_ASSERT_EQUAL(size1, size2);
    /* A text file too. */
    f = fopen(path, "wb");
    fputs("hello, this is not a database\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_ESCHEMA);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    dt_remove_db(path);
    free(path);
}

/* A migration that fails is rolled back whole: no table of it remains and
 * user_version stays where it was. The conflicting table stands in for any
 * failure half-way through a migration. */
static void test_failed_migration_rolls_back(void)
{
    char *path = dt_temp_path("badmig");
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, "PRAGMA application_id = 1146442306;"
                                         " CREATE TABLE history_events(x)"),
                          SQLITE_OK);
    durable_store *s = NULL;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, NULL), DURABLE_EDB);
    CU_ASSERT_PTR_NULL(s);
    const char *m = durable_error_last()->message;
    CU_ASSERT_PTR_NOT_NULL(strstr(m, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "001_init"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "table history_events already exists"));
    CU_ASSERT(strlen(m) < 400); /* names the statement, does not paste the schema */
    CU_ASSERT_EQUAL(raw_int(path, "PRAGMA user_version"), 0);
    CU_ASSERT_EQUAL(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'executions'"),
                    0);
    CU_ASSERT_EQUAL(raw_int(path, "SELECT count(*) FROM sqlite_master"), 1);
    dt_remove_db(path);
    free(path);
}

static void test_missing_file_is_not_created(void)
{
    char *path = dt_temp_path("missing");
    char want[4200];
    snprintf(want, sizeof want, "%s: no such file", path);
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    durable_store *s = NULL;
    struct stat sb;
    o.create = false;
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
    o.read_only = true;
    o.create = true; /* ignored: a read-only open never creates */
    CU_ASSERT_EQUAL(durable_store_open(&s, path, &o), DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, want);
    CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT_PTR_NULL(s);
    /* A missing directory, with create on: SQLite's own reason. */
    CU_ASSERT_EQUAL(durable_store_open(&s, "/nonexistent-dir-durable/x.db", NULL), DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "/nonexistent-dir-durable/x.db"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "unable to open"));
    free(path);
}

static void test_bad_arguments(void)
{
    durable_store *s = NULL;
    CU_ASSERT_EQUAL(durable_store_open(&s, "", NULL), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_store_open(&s, NULL, NULL), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_store_open(NULL, ":memory:", NULL), DURABLE_EINVAL);
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    CU_ASSERT_EQUAL(durable_store_open(&s, ":memory:", &o), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "read-only"));
    durable_store_close(NULL);
    CU_ASSERT_STRING_EQUAL(durable_store_errmsg(NULL), "");
}

static void test_memory_store(void)
{
    durable_store *a = NULL, *b = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&a, ":memory:", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&b, ":memory:", NULL), 0);
    sqlite3 *db = durable__store_db(a);
    CU_ASSERT_EQUAL(durable_store_schema_version(a), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(count_objects(db), (int)N_OBJECTS);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA foreign_keys"), 1);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA application_id"), DURABLE_STORE_APPLICATION_ID);
    /* Foreign keys are enforced, not just declared. */
    CU_ASSERT_EQUAL(durable__store_exec(a, "INSERT INTO invocations(execution_id, invocation_id,"
                                           " seq, start_ms) VALUES (999, 'i', 1, 1)"),
                    DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(a), "FOREIGN KEY constraint failed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(a), ":memory:"));
    /* Each ":memory:" store is its own database. */
    CU_ASSERT_EQUAL(durable__store_exec(a, INSERT_EXEC), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM executions"), 1);
    CU_ASSERT_EQUAL(query_int(durable__store_db(b), "SELECT count(*) FROM executions"), 0);
    durable_store_close(a);
    durable_store_close(b);
}

/* Several threads (each with its own handle, as several processes would)
 * open the same brand-new file at once: one migrates, the others see the
 * migrated file and must not run 001 a second time. */
typedef struct opener {
    const char *path;
    int rc;
    int version;
    char msg[512];
} opener;

static void *open_thread(void *arg)
{
    opener *op = arg;
    durable_store *s = NULL;
    op->rc = durable_store_open(&s, op->path, NULL);
    snprintf(op->msg, sizeof op->msg, "%s", durable_error_last()->message);
    op->version = durable_store_schema_version(s);
    durable_store_close(s);
    return NULL;
}

static void test_concurrent_first_open(void)
{
    enum { ROUNDS = 12, THREADS = 4 };
    for (int round = 0; round < ROUNDS; round++) {
        char *path = dt_temp_path("race");
        pthread_t t[THREADS];
        opener op[THREADS];
        for (int i = 0; i < THREADS; i++) {
            op[i] = (opener){.path = path, .rc = -999};
            pthread_create(&t[i], NULL, open_thread, &op[i]);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(t[i], NULL);
            if (op[i].rc != 0)
                fprintf(stderr, "round %d thread %d: %s\n", round, i, op[i].msg);
            CU_ASSERT_EQUAL(op[i].rc, 0);
            CU_ASSERT_EQUAL(op[i].version, durable_store_latest_schema_version());
        }
        CU_ASSERT_EQUAL(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
                        7);
        dt_remove_db(path);
        free(path);
    }
}

/* A file written at schema version 1 (with rows, callbacks referring to an
 * operation, history) is migrated to the latest version on a read-write
 * open: every row is kept, foreign keys still hold and still cascade from
 * operations, the rebuilt operations table is named plainly in the schema,
 * history gets its integer key and goes with its execution. */
static void test_version_1_file_with_rows_is_migrated(void)
{
    char *path = dt_temp_path("v1rows");
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", durable__migrations[0].version);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, durable__migrations[0].sql), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(path, sql), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(
        dt_sqlite_exec(path, "PRAGMA foreign_keys = ON;"
                       "INSERT INTO executions(arn, op_id, function_name, execution_name, "
                       "start_ms, timeout_seconds) VALUES ('arn-1', 'o', 'f', 'n', 1, 1);"
                       "INSERT INTO operations(execution_id, op_id, start_seq, type, status, "
                       "start_ms, last_changed_seq) VALUES (1, 'o', 1, 'EXECUTION', 'STARTED', 1, 1),"
                       " (1, 'c', 2, 'CALLBACK', 'STARTED', 1, 2), (1, 's', 3, 'STEP', 'PENDING', 1, 3);"
                       "INSERT INTO callbacks(callback_id, execution_id, op_id) VALUES ('cb', 1, 'c');"
                       "INSERT INTO invocations(execution_id, invocation_id, seq, start_ms, end_ms, "
                       "outcome) VALUES (1, 'inv-1', 1, 1, 2, 'PENDING');"
                       "INSERT INTO history_events(execution_id, event_id, event_type, timestamp_ms)"
                       " VALUES (1, 1, 'ExecutionStarted', 1), (1, 2, 'CallbackStarted', 2)"),
        SQLITE_OK);
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL(durable_store_schema_version(s), durable_store_latest_schema_version());
    sqlite3 *db = durable__store_db(s);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM operations"), 3);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM operations_view"), 3);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM callbacks"), 1);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA foreign_keys"), 1);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE "
                                  "'%REFERENCES operations(execution_id, op_id)%'"),
                    2);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE "
                                  "'CREATE TABLE operations (%'"),
                    1);
    /* Migration 9: operations keyed by (execution_id, op_id) alone, start
     * order kept in its column. */
    char *pk = query_text(db, "SELECT group_concat(name) FROM (SELECT name FROM "
                              "pragma_table_info('operations') WHERE pk > 0 ORDER BY pk)");
    CU_ASSERT_STRING_EQUAL(pk, "execution_id,op_id");
    free(pk);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM pragma_index_list('operations') "
                                  "WHERE origin = 'u'"),
                    0);
    char *seqs = query_text(db, "SELECT group_concat(op_id || start_seq, ' ') FROM "
                                "(SELECT * FROM operations ORDER BY start_seq)");
    CU_ASSERT_STRING_EQUAL(seqs, "o1 c2 s3");
    free(seqs);
    CU_ASSERT_NOT_EQUAL(sqlite3_exec(db, "INSERT INTO operations(execution_id, op_id, start_seq, "
                                         "type, status, start_ms, last_changed_seq) VALUES "
                                         "(1, 's', 4, 'STEP', 'STARTED', 1, 4)",
                                     NULL, NULL, NULL),
                        SQLITE_OK);
    /* History rows are keyed by execution_id * 2^32 + event_id, and the view
     * still joins them to their execution. */
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM history_events WHERE "
                                  "id = execution_id * 4294967296 + event_id"),
                    2);
    CU_ASSERT_EQUAL(query_int(db, "SELECT max(event_id) FROM history_view WHERE arn = 'arn-1'"), 2);
    /* Every enum CHECK is an OR chain (no IN list: SQLite would build a
     * temporary b-tree for it on every write), and each still holds. */
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM sqlite_master WHERE sql LIKE "
                                  "'%CHECK (% IN (%'"),
                    0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT outcome = 'PENDING' FROM invocations"), 1);
    CU_ASSERT_NOT_EQUAL(sqlite3_exec(db, "UPDATE invocations SET outcome = 'BOGUS'", NULL, NULL,
                                     NULL),
                        SQLITE_OK);
    CU_ASSERT_NOT_EQUAL(sqlite3_exec(db, "UPDATE executions SET status = 'BOGUS'", NULL, NULL,
                                     NULL),
                        SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE executions SET status = 'TIMED_OUT'", NULL, NULL,
                                 NULL),
                    SQLITE_OK);
    CU_ASSERT_EQUAL(query_int(db, "SELECT invocations FROM executions_view WHERE arn = 'arn-1'"),
                    1);
    /* The enum checks still hold, and deleting the operation cascades. */
    CU_ASSERT_NOT_EQUAL(sqlite3_exec(db, "UPDATE operations SET status = 'BOGUS' WHERE op_id = 's'",
                                     NULL, NULL, NULL),
                        SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DELETE FROM operations WHERE op_id = 'c'", NULL, NULL, NULL),
                    SQLITE_OK);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM callbacks"), 0);
    /* Deleting the execution deletes everything of it, history included. */
    CU_ASSERT_EQUAL(sqlite3_exec(db, INSERT_EXEC_2, NULL, NULL, NULL), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "INSERT INTO history_events(id, execution_id, event_id, "
                                     "event_type, timestamp_ms) VALUES (2 * 4294967296 + 1, 2, 1, "
                                     "'ExecutionStarted', 1)",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    CU_ASSERT_NOT_EQUAL(sqlite3_exec(db, "INSERT INTO history_events(id, execution_id, event_id, "
                                         "event_type, timestamp_ms) VALUES (7, 2, 2, 'X', 1)",
                                     NULL, NULL, NULL),
                        SQLITE_OK); /* id must match (execution_id, event_id) */
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DELETE FROM executions WHERE id = 1", NULL, NULL, NULL),
                    SQLITE_OK);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM operations"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM invocations"), 0);
    CU_ASSERT_EQUAL(query_int(db, "SELECT count(*) FROM history_events"), 1);
    CU_ASSERT_EQUAL(query_int(db, "SELECT execution_id FROM history_events"), 2);
    durable_store_close(s);
    dt_remove_db(path);
    free(path);
}

/* The schema of a database, one line per object in name order (rootpages
 * differ and are left out); free(). */
static char *schema_of(sqlite3 *db)
{
    return query_text(db, "SELECT group_concat(type || ' ' || name || ' ' || tbl_name || ' ' || "
                          "coalesce(sql, '-'), char(10)) FROM (SELECT * FROM sqlite_master "
                          "ORDER BY type, name)");
}

/* A new file gets schema/latest.sql in one step; a file at version 1 walks
 * every migration. Both must end with the same schema, text for text, and
 * the same version and application id. */
static void test_new_file_schema_equals_migrated(void)
{
    char *fresh_path = dt_temp_path("fresh"), *old_path = dt_temp_path("v1");
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", durable__migrations[0].version);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(old_path, durable__migrations[0].sql), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(dt_sqlite_exec(old_path, sql), SQLITE_OK);
    durable_store *a = NULL, *b = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&a, fresh_path, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&b, old_path, NULL), 0);
    sqlite3 *da = durable__store_db(a), *db = durable__store_db(b);
    char *sa = schema_of(da), *sb = schema_of(db);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
    CU_ASSERT_STRING_EQUAL(sa, sb);
    CU_ASSERT(strstr(sa, "table executions executions CREATE TABLE") != NULL);
    CU_ASSERT_EQUAL(query_int(da, "PRAGMA user_version"), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(query_int(db, "PRAGMA user_version"), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(query_int(da, "PRAGMA application_id"), query_int(db, "PRAGMA application_id"));
    free(sa);
    free(sb);
    durable_store_close(a);
    durable_store_close(b);
    dt_remove_db(fresh_path);
    dt_remove_db(old_path);
    free(fresh_path);
    free(old_path);
}

/* A new ":memory:" store is a copy of the build-time image: the same
 * schema, text for text, version, application id and page size as a new
 * file made by running schema/latest.sql, and it works as a database. */
static void test_memory_store_equals_new_file(void)
{
    char *path = dt_temp_path("fresh-file");
    durable_store *f = NULL, *m = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&f, path, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&m, ":memory:", NULL), 0);
    sqlite3 *df = durable__store_db(f), *dm = durable__store_db(m);
    char *sf = schema_of(df), *sm = schema_of(dm);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sm);
    CU_ASSERT_STRING_EQUAL(sm, sf);
    CU_ASSERT_EQUAL(query_int(dm, "PRAGMA user_version"), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(durable_store_schema_version(m), durable_store_latest_schema_version());
    CU_ASSERT_EQUAL(query_int(dm, "PRAGMA application_id"), query_int(df, "PRAGMA application_id"));
    CU_ASSERT_EQUAL(query_int(dm, "PRAGMA page_size"), 2048);
    CU_ASSERT_EQUAL(query_int(dm, "PRAGMA page_size"), query_int(df, "PRAGMA page_size"));
    CU_ASSERT_EQUAL(query_int(dm, "PRAGMA foreign_keys"), 1);
    char *ok = query_text(dm, "PRAGMA integrity_check");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
    CU_ASSERT_STRING_EQUAL(ok, "ok");
    free(ok);
    /* Writable, and rolled back like any other database. */
    CU_ASSERT_EQUAL(durable__store_begin(m), 0);
    CU_ASSERT_EQUAL(durable__store_exec(m, INSERT_EXEC), 0);
    durable__store_rollback(m);
    CU_ASSERT_EQUAL(query_int(dm, "SELECT count(*) FROM executions"), 0);
    CU_ASSERT_EQUAL(durable__store_exec(m, INSERT_EXEC), 0);
    CU_ASSERT_EQUAL(query_int(dm, "SELECT count(*) FROM executions"), 1);
    free(sf);
    free(sm);
    durable_store_close(f);
    durable_store_close(m);
    dt_remove_db(path);
    free(path);
}

static void test_sqlite3_cli_shows_schema(void)
{
    if (system("command -v sqlite3 >/dev/null 2>&1") != 0) {
        printf("\n  note: sqlite3 CLI not installed; `sqlite3 FILE .schema` not checked\n");
        return;
    }
    char *path = dt_temp_path("cli");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    durable_store_close(s);
    char cmd[4200];
    static char buf[1 << 17];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' .schema", path);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    CU_ASSERT_EQUAL(pclose(p), 0);
    for (size_t i = 0; i < N_OBJECTS; i++) {
        char want[128];
        snprintf(want, sizeof want, "CREATE %s %s ", strstr(OBJECTS[i], "_view") ? "VIEW" : "TABLE",
                 OBJECTS[i]);
        if (!strstr(buf, want))
            fprintf(stderr, "missing from .schema: %s\n", want);
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "CREATE INDEX operations_timer"));
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("store_open");
    DT_ADD(s, test_fresh_file_is_migrated);
    DT_ADD(s, test_empty_file_becomes_libdurable);
    DT_ADD(s, test_sync_full_and_busy_timeout_options);
    DT_ADD(s, test_reopen_does_not_migrate_again);
    DT_ADD(s, test_newer_schema_is_refused);
    DT_ADD(s, test_foreign_sqlite_file_is_refused_untouched);
    DT_ADD(s, test_non_sqlite_file_is_refused_untouched);
    DT_ADD(s, test_failed_migration_rolls_back);
    DT_ADD(s, test_missing_file_is_not_created);
    DT_ADD(s, test_bad_arguments);
    DT_ADD(s, test_memory_store);
    DT_ADD(s, test_concurrent_first_open);
    DT_ADD(s, test_new_file_schema_equals_migrated);
    DT_ADD(s, test_memory_store_equals_new_file);
    DT_ADD(s, test_sqlite3_cli_shows_schema);
    DT_ADD(s, test_version_1_file_with_rows_is_migrated);
    return dt_run();
}
