/* I/O faults in the background WAL checkpointer's pass (the fault VFS,
 * tests/support/fault_vfs.h): its first write, sync or read fails with
 * SQLITE_IOERR or SQLITE_FULL. Deterministic: the thread is paused while the
 * writer fills the WAL, the fault is armed while both are idle, and the
 * writer waits for the pass, so the pass's calls are the only ones counted.
 * Then the failure is readable on the store (code, path, SQLite's message),
 * the writer checkpoints the WAL itself from then on (the WAL restarts), no
 * commit is lost or fails, and the file passes integrity_check. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable/store.h"
#include "store/internal.h"
#include "store/wal_checkpointer.h"
#include "support/fault_vfs.h"
#include "support/testutil.h"

enum { ROWS = 50 };

static durable__walckpt_stats stats_of(durable_store *s)
{
    durable__walckpt_stats st;
    durable__walckpt_read_stats(durable__store_walckpt(s), &st);
    return st;
}

static void commit_rows(durable_store *s)
{
    CU_ASSERT_EQUAL_FATAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL_FATAL(durable__store_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                                                 "SELECT i + 1 FROM n WHERE i < 50) "
                                                 "INSERT INTO t(v) SELECT randomblob(1500) FROM n"),
                          0);
    CU_ASSERT_EQUAL_FATAL(durable__store_commit(s), 0);
}

static bool wait_pass(durable_store *s)
{
    for (int i = 0; i < 60000; i++) {
        durable__walckpt_stats st = stats_of(s);
        if (st.passes >= 1 && !st.running)
            return true;
        usleep(1000);
    }
    return false;
}

static int count_and_check(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        n = -2;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void fault_once(fault_kind kind, int code)
{
    char *path = dt_temp_path("walckpt-fault");
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable__store_exec(s, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)"),
                          0);
    durable__walckpt *c = durable__store_walckpt(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    durable__walckpt_pause(c, true);
    int commits = 0;
    while (stats_of(s).wal_frames < DURABLE__WALCKPT_THRESHOLD) {
        commit_rows(s);
        commits++;
    }
    CU_ASSERT_EQUAL(stats_of(s).wakes, 1);
    fault_vfs_arm(kind, 1, code);
    durable__walckpt_pause(c, false);
    CU_ASSERT_FATAL(wait_pass(s));
    int fired = fault_vfs_fired();
    fault_vfs_disarm();
    CU_ASSERT_EQUAL(fired, 1);

    int status = durable_store_wal_checkpoint_status(s);
    char msg[600];
    snprintf(msg, sizeof msg, "%s", durable_store_wal_checkpoint_errmsg(s));
    const char *expect = code == SQLITE_FULL ? "database or disk is full" : "disk I/O error";
    if (status != DURABLE_EDB || !strstr(msg, expect))
        fprintf(stderr, "\n  fault %d (%d): status %d: %s\n", (int)kind, code, status, msg);
    CU_ASSERT_EQUAL(status, DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "background WAL checkpoint"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, expect));
    CU_ASSERT_EQUAL(stats_of(s).writer_passes, 0);

    /* The writer takes over at the next threshold: its checkpoint empties
     * the WAL, and the commit after it starts the WAL over. */
    int most = 0, restarts = 0, last = stats_of(s).wal_frames;
    for (int i = 0; i < 3 * DURABLE__WALCKPT_THRESHOLD / ROWS; i++, commits++) {
        commit_rows(s);
        int frames = stats_of(s).wal_frames;
        most = frames > most ? frames : most;
        restarts += frames < last;
        last = frames;
    }
    durable__walckpt_stats st = stats_of(s);
    CU_ASSERT(st.writer_passes >= 2);
    CU_ASSERT(restarts >= 2);
    CU_ASSERT(most < 2 * DURABLE__WALCKPT_THRESHOLD);
    CU_ASSERT_EQUAL(st.passes, 1); /* the thread stopped at its failure */
    CU_ASSERT_EQUAL(st.wakes, 1);
    /* The failure stays as it was. */
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), DURABLE_EDB);
    CU_ASSERT_STRING_EQUAL(durable_store_wal_checkpoint_errmsg(s), msg);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_and_check(path), commits * ROWS);

    /* Reopened, the store has a new thread that works. */
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    while (stats_of(s).wal_frames < DURABLE__WALCKPT_THRESHOLD) {
        commit_rows(s);
        commits++;
    }
    CU_ASSERT(wait_pass(s));
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), 0);
    CU_ASSERT(stats_of(s).backfilled > 0);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_and_check(path), commits * ROWS);
    dt_remove_db(path);
    free(path);
}

static void test_pass_faults(void)
{
    CU_ASSERT_FATAL(fault_vfs_install() == SQLITE_OK);
    static const fault_kind kinds[] = {FAULT_WRITE, FAULT_SYNC, FAULT_READ};
    static const int codes[] = {SQLITE_IOERR, SQLITE_FULL};
    for (size_t k = 0; k < 3; k++)
        for (size_t c = 0; c < 2; c++)
            fault_once(kinds[k], codes[c]);
    fault_vfs_uninstall();
}

int main(void)
{
    CU_pSuite s = dt_suite("store_wal_checkpointer_faults");
    DT_ADD(s, test_pass_faults);
    return dt_run();
}
