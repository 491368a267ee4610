/* The background WAL checkpointer (src/store/wal_checkpointer.h): its
 * thread, not the committing connection, copies the WAL back into the
 * database file; the WAL stays bounded when the thread lags; closing while a
 * pass runs loses nothing; a reader on another connection sees every commit
 * whole and in order; the option turns it off, and :memory: and read-only
 * stores never have one; an I/O fault in its pass is reported and the
 * writer takes over.
 *
 * Frames are counted by the writer's WAL hook (stats.wal_frames); a commit
 * here inserts rows of 1,500 bytes, one 2048-byte page each, so ROWS rows
 * are about ROWS frames. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "durable/store.h"
#include "store/internal.h"
#include "store/wal_checkpointer.h"
#include "support/fault_vfs.h"
#include "support/testutil.h"

enum { ROWS = 50, FRAME_SLACK = 4 * ROWS };

static long long file_size(const char *path, const char *suffix)
{
    char name[4200];
    struct stat sb;
    snprintf(name, sizeof name, "%s%s", path, suffix);
    return stat(name, &sb) == 0 ? (long long)sb.st_size : -1;
}

static durable__walckpt_stats stats_of(durable_store *s)
{
    durable__walckpt_stats st;
    durable__walckpt_read_stats(durable__store_walckpt(s), &st);
    return st;
}

static durable_store *open_store(const char *path, bool background)
{
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.background_wal_checkpoint = background;
    durable_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, &o), 0);
    CU_ASSERT_EQUAL_FATAL(
        durable__store_exec(s, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)"), 0);
    return s;
}

/* One commit of ROWS rows (about ROWS WAL frames). */
static void commit_rows(durable_store *s)
{
    CU_ASSERT_EQUAL_FATAL(durable__store_begin(s), 0);
    CU_ASSERT_EQUAL_FATAL(durable__store_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                                                 "SELECT i + 1 FROM n WHERE i < 50) "
                                                 "INSERT INTO t(v) SELECT randomblob(1500) FROM n"),
                          0);
    CU_ASSERT_EQUAL_FATAL(durable__store_commit(s), 0);
}

/* Commit until the writer's hook has seen at least `frames` in the WAL. */
static int commit_until(durable_store *s, int frames)
{
    int commits = 0;
    while (stats_of(s).wal_frames < frames) {
        commit_rows(s);
        commits++;
    }
    return commits;
}

/* What the WAL did over a run of commits. */
typedef struct wal_run {
    int most;     /* largest frame count after a commit */
    int restarts; /* times it started over from its first frame */
} wal_run;

/* `commits` commits of ROWS rows, watching the WAL's size after each. */
static wal_run commit_watching(durable_store *s, int commits)
{
    wal_run r = {0, 0};
    int last = stats_of(s).wal_frames;
    for (int i = 0; i < commits; i++) {
        commit_rows(s);
        int frames = stats_of(s).wal_frames;
        r.most = frames > r.most ? frames : r.most;
        r.restarts += frames < last;
        last = frames;
    }
    return r;
}

/* Wait (up to 60 s, the machine may be loaded) until the thread finished
 * `passes` passes. */
static bool wait_passes(durable_store *s, long passes)
{
    for (int i = 0; i < 60000; i++) {
        durable__walckpt_stats st = stats_of(s);
        if (st.passes >= passes && !st.running)
            return true;
        usleep(1000);
    }
    return false;
}

static int count_rows(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static bool integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* The thread copies the WAL into the database file; the writer never runs a
 * checkpoint; once everything is copied, the writer's next commit restarts
 * the WAL from its first frame. */
static void test_thread_checkpoints_not_the_writer(void)
{
    char *path = dt_temp_path("walckpt");
    durable_store *s = open_store(path, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(durable__store_walckpt(s));
    CU_ASSERT_FALSE(stats_of(s).started); /* no thread before the first threshold */
    long long db_before = file_size(path, "");

    /* Paused, so the pass below runs while the writer is idle and must copy
     * every frame. */
    durable__walckpt_pause(durable__store_walckpt(s), true);
    int commits = commit_until(s, DURABLE__WALCKPT_THRESHOLD);
    durable__walckpt_stats st = stats_of(s);
    CU_ASSERT(st.started);
    CU_ASSERT_EQUAL(st.wakes, 1);
    CU_ASSERT_EQUAL(st.passes, 0);
    CU_ASSERT_EQUAL(file_size(path, ""), db_before); /* nothing copied yet */
    durable__walckpt_pause(durable__store_walckpt(s), false);
    CU_ASSERT_FATAL(wait_passes(s, 1));
    st = stats_of(s);
    CU_ASSERT_EQUAL(st.writer_passes, 0);
    CU_ASSERT_EQUAL(st.busy, 0);
    CU_ASSERT(st.log_frames >= DURABLE__WALCKPT_THRESHOLD);
    CU_ASSERT_EQUAL(st.backfilled, st.log_frames);
    /* The rows are in the database file itself now. */
    CU_ASSERT(file_size(path, "") >= db_before + (long long)commits * ROWS * 2048);
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), 0);
    CU_ASSERT_STRING_EQUAL(durable_store_wal_checkpoint_errmsg(s), "");

    /* Everything copied: the next commit starts the WAL over. */
    int frames = st.log_frames;
    commit_rows(s);
    commits++;
    CU_ASSERT(stats_of(s).wal_frames < frames);
    CU_ASSERT(stats_of(s).wal_frames <= FRAME_SLACK);

    /* Unpaused, the thread keeps up with a writer over several thresholds
     * without the writer checkpointing (the cap is far). */
    commits += commit_until(s, 3 * DURABLE__WALCKPT_THRESHOLD);
    CU_ASSERT(wait_passes(s, 2));
    st = stats_of(s);
    CU_ASSERT(st.wakes >= 3);
    CU_ASSERT_EQUAL(st.writer_passes, 0);
    CU_ASSERT(st.wal_frames < DURABLE__WALCKPT_CAP);
    durable_store_close(s);
    /* The store's own connection closed last and ran the final checkpoint. */
    CU_ASSERT_EQUAL(file_size(path, "-wal"), -1);
    CU_ASSERT_EQUAL(count_rows(path), commits * ROWS);
    CU_ASSERT(integrity_ok(path));
    dt_remove_db(path);
    free(path);
}

/* A thread that never runs (paused) cannot let the WAL grow past the cap:
 * the writer checkpoints itself there, after every commit past it. */
static void test_wal_bounded_when_thread_lags(void)
{
    char *path = dt_temp_path("walckpt-cap");
    durable_store *s = open_store(path, true);
    durable__walckpt_pause(durable__store_walckpt(s), true);
    int commits = 3 * DURABLE__WALCKPT_CAP / ROWS;
    wal_run run = commit_watching(s, commits);
    durable__walckpt_stats st = stats_of(s);
    printf("\n    paused thread, %d commits of %d rows: WAL at most %d frames, %d restarts, "
           "%ld writer checkpoints ",
           commits, ROWS, run.most, run.restarts, st.writer_passes);
    CU_ASSERT(run.most < DURABLE__WALCKPT_CAP + FRAME_SLACK);
    CU_ASSERT(run.restarts >= 2);
    CU_ASSERT(st.writer_passes >= 2);
    CU_ASSERT_EQUAL(st.passes, 0);
    CU_ASSERT(file_size(path, "-wal") <=
              32 + (long long)(DURABLE__WALCKPT_CAP + FRAME_SLACK) * (2048 + 24));

    /* Unpaused: the same writer, the thread running (here it cannot keep
     * up: every row is a new page, so a pass copies every frame). At the
     * cap the writer waits for a pass under way and copies the rest. */
    durable__walckpt_pause(durable__store_walckpt(s), false);
    run = commit_watching(s, 3 * DURABLE__WALCKPT_CAP / ROWS);
    commits += 3 * DURABLE__WALCKPT_CAP / ROWS;
    st = stats_of(s);
    printf("running thread: WAL at most %d frames, %ld passes (%ld busy), %ld writer "
           "checkpoints ",
           run.most, st.passes, st.busy, st.writer_passes);
    CU_ASSERT(run.most < DURABLE__WALCKPT_CAP + FRAME_SLACK);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_rows(path), commits * ROWS);
    CU_ASSERT(integrity_ok(path));
    dt_remove_db(path);
    free(path);
}

/* Closing while the thread copies a large WAL: close interrupts and joins
 * it, the store's connection runs the final checkpoint, nothing is lost.
 * Rounds 0 and 2 close during the thread's first pass (its connection is
 * not yet published to close), rounds 1 and 3 during its second (close
 * interrupts it). */
static void test_close_during_pass(void)
{
    char *path = dt_temp_path("walckpt-close");
    int caught = 0, total = 0;
    for (int round = 0; round < 4; round++) {
        durable_store *s = open_store(path, true);
        durable__walckpt_pause(durable__store_walckpt(s), true);
        total += commit_until(s, DURABLE__WALCKPT_THRESHOLD) * ROWS;
        if (round % 2) {
            durable__walckpt_pause(durable__store_walckpt(s), false);
            CU_ASSERT_FATAL(wait_passes(s, 1));
            durable__walckpt_pause(durable__store_walckpt(s), true);
            total += commit_until(s, 2 * DURABLE__WALCKPT_THRESHOLD) * ROWS;
        }
        /* Grow the WAL (a wake is pending, more change nothing). */
        while (stats_of(s).wal_frames < DURABLE__WALCKPT_CAP - 2 * FRAME_SLACK) {
            commit_rows(s);
            total += ROWS;
        }
        durable__walckpt_pause(durable__store_walckpt(s), false);
        long passes = stats_of(s).passes;
        for (int i = 0; i < 20000; i++) {
            durable__walckpt_stats st = stats_of(s);
            if (st.running || st.passes > passes)
                break;
            usleep(50);
        }
        caught += stats_of(s).running;
        durable_store_close(s);
        CU_ASSERT_EQUAL(file_size(path, "-wal"), -1);
        CU_ASSERT_EQUAL(count_rows(path), total);
        CU_ASSERT(integrity_ok(path));
    }
    printf("\n    closed during a pass in %d of 4 rounds ", caught);
    /* Reopened, the store goes on where it was. */
    durable_store *s = open_store(path, true);
    commit_rows(s);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_rows(path), total + ROWS);
    dt_remove_db(path);
    free(path);
}

typedef struct reader {
    const char *path;
    volatile int done; /* written under mu */
    pthread_mutex_t mu;
    int reads, bad, last;
} reader;

static bool reader_done(reader *r)
{
    pthread_mutex_lock(&r->mu);
    bool d = r->done;
    pthread_mutex_unlock(&r->mu);
    return d;
}

/* Every read sees whole commits, in order: ids are 1..count, count a
 * multiple of ROWS, never smaller than before. */
static void *read_loop(void *arg)
{
    reader *r = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        r->bad++;
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(id), 0) FROM t", -1, &st, NULL);
    bool last_round = false;
    while (!last_round) {
        last_round = reader_done(r);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            r->bad++;
        } else {
            int n = sqlite3_column_int(st, 0), max = sqlite3_column_int(st, 1);
            if (n != max || n % ROWS != 0 || n < r->last)
                r->bad++;
            r->last = n;
            r->reads++;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

static void test_reader_sees_every_commit(void)
{
    char *path = dt_temp_path("walckpt-reader");
    durable_store *s = open_store(path, true);
    reader r = {.path = path};
    pthread_mutex_init(&r.mu, NULL);
    pthread_t t;
    CU_ASSERT_FATAL(pthread_create(&t, NULL, read_loop, &r) == 0);
    int commits = 0;
    for (; commits < 4 * DURABLE__WALCKPT_THRESHOLD / ROWS; commits++)
        commit_rows(s);
    pthread_mutex_lock(&r.mu);
    r.done = 1;
    pthread_mutex_unlock(&r.mu);
    pthread_join(t, NULL);
    durable__walckpt_stats st = stats_of(s);
    printf("\n    %d reads beside %d commits, %ld passes (%ld busy) ", r.reads, commits, st.passes,
           st.busy);
    CU_ASSERT_EQUAL(r.bad, 0);
    CU_ASSERT(r.reads > 0);
    CU_ASSERT_EQUAL(r.last, commits * ROWS); /* its last read came after the last commit */
    CU_ASSERT(st.wakes >= 3);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_rows(path), commits * ROWS);
    CU_ASSERT(integrity_ok(path));
    pthread_mutex_destroy(&r.mu);
    dt_remove_db(path);
    free(path);
}

/* Off, :memory: and read-only: no checkpointer; SQLite's own autocheckpoint
 * keeps the WAL near 1,000 frames. */
static void test_without_checkpointer(void)
{
    char *path = dt_temp_path("walckpt-off");
    durable_store *s = open_store(path, false);
    CU_ASSERT_PTR_NULL(durable__store_walckpt(s));
    for (int i = 0; i < 3 * DURABLE__WALCKPT_THRESHOLD / ROWS; i++)
        commit_rows(s);
    CU_ASSERT(file_size(path, "-wal") <=
              32 + (long long)(DURABLE__WALCKPT_THRESHOLD + FRAME_SLACK) * (2048 + 24));
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), 0);
    durable_store_close(s);

    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    o.read_only = true;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, &o), 0);
    CU_ASSERT_PTR_NULL(durable__store_walckpt(s));
    durable_store_close(s);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, ":memory:", NULL), 0);
    CU_ASSERT_PTR_NULL(durable__store_walckpt(s));
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), 0);
    CU_ASSERT_STRING_EQUAL(durable_store_wal_checkpoint_errmsg(s), "");
    durable_store_close(s);
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(NULL), 0);
    dt_remove_db(path);
    free(path);
}

/* I/O faults in the thread's pass (the fault VFS, tests/support/fault_vfs.h):
 * its first write, sync or read fails with SQLITE_IOERR or SQLITE_FULL.
 * Deterministic: the thread is paused while the writer fills the WAL, the
 * fault is armed while both are idle, and the writer waits for the pass, so
 * the pass's calls are the only ones counted. Then the failure is readable
 * on the store (code, path, SQLite's message), the writer checkpoints the
 * WAL itself from then on (the WAL restarts), no commit is lost or fails,
 * and the file passes integrity_check. */
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
    CU_ASSERT_FATAL(wait_passes(s, 1));
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
    wal_run run = commit_watching(s, 3 * DURABLE__WALCKPT_THRESHOLD / ROWS);
    commits += 3 * DURABLE__WALCKPT_THRESHOLD / ROWS;
    durable__walckpt_stats st = stats_of(s);
    CU_ASSERT(st.writer_passes >= 2);
    CU_ASSERT(run.restarts >= 2);
    CU_ASSERT(run.most < 2 * DURABLE__WALCKPT_THRESHOLD);
    CU_ASSERT_EQUAL(st.passes, 1); /* the thread stopped at its failure */
    CU_ASSERT_EQUAL(st.wakes, 1);
    /* The failure stays as it was. */
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), DURABLE_EDB);
    CU_ASSERT_STRING_EQUAL(durable_store_wal_checkpoint_errmsg(s), msg);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_rows(path), commits * ROWS);
    CU_ASSERT(integrity_ok(path));

    /* Reopened, the store has a new thread that works. */
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&s, path, NULL), 0);
    while (stats_of(s).wal_frames < DURABLE__WALCKPT_THRESHOLD) {
        commit_rows(s);
        commits++;
    }
    CU_ASSERT(wait_passes(s, 1));
    CU_ASSERT_EQUAL(durable_store_wal_checkpoint_status(s), 0);
    CU_ASSERT(stats_of(s).backfilled > 0);
    durable_store_close(s);
    CU_ASSERT_EQUAL(count_rows(path), commits * ROWS);
    CU_ASSERT(integrity_ok(path));
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

/* A process forked while a pass runs (crash isolation forks a child that
 * opens its own store on the file, src/testing/invoke.c) must not inherit
 * the pass: SQLite keeps each process's shared-memory locks and its mutexes
 * in memory, so a child forked mid-pass would see the thread's checkpoint
 * lock held for ever (its own checkpoints SQLITE_BUSY, after the parent's
 * pass ended) or hang on a mutex the thread held. Forking waits for the
 * pass to end. The child opens a connection of its own, waits until the
 * parent's pass has ended, and must be able to checkpoint. */
static int child_checkpoint(const char *path, int ready_fd)
{
    alarm(30); /* a child stuck on an inherited mutex fails the test */
    char go;
    if (read(ready_fd, &go, 1) != 1)
        return 3;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int busy = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        busy = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return busy == 0 ? 0 : busy == 1 ? 1 : 2;
}

/* The store a forked child inherits: it must not close it (SQLite's
 * connections are not used across fork), so it stays reachable through
 * here rather than looking leaked to valgrind when the child exits.
 * Volatile, or the compiler drops the store before fork as dead. */
static durable_store *volatile inherited;

static void test_fork_during_pass(void)
{
    char *path = dt_temp_path("walckpt-fork");
    int caught = 0, bad = 0;
    for (int round = 0; round < 6; round++) {
        durable_store *s = open_store(path, true);
        durable__walckpt_pause(durable__store_walckpt(s), true);
        /* A large WAL, so the pass lasts a while. */
        while (stats_of(s).wal_frames < DURABLE__WALCKPT_CAP - 2 * FRAME_SLACK)
            commit_rows(s);
        long passes = stats_of(s).passes;
        durable__walckpt_pause(durable__store_walckpt(s), false);
        for (int i = 0; i < 200000; i++) {
            durable__walckpt_stats st = stats_of(s);
            if (st.running || st.passes > passes)
                break;
            usleep(10);
        }
        caught += stats_of(s).running;
        int fds[2];
        CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
        fflush(stdout);
        inherited = s;
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            close(fds[1]);
            _exit(child_checkpoint(path, fds[0]));
        }
        inherited = NULL;
        close(fds[0]);
        CU_ASSERT(wait_passes(s, passes + 1));
        CU_ASSERT_EQUAL(write(fds[1], "g", 1), 1);
        close(fds[1]);
        int status = 0;
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad++;
            printf("\n    round %d: child %s %d ", round,
                   WIFEXITED(status) ? "exited" : "killed by signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
        durable_store_close(s);
        CU_ASSERT(integrity_ok(path));
        if (bad)
            break; /* each stuck child costs its alarm */
    }
    printf("\n    forked during a pass in %d of 6 rounds ", caught);
    CU_ASSERT_EQUAL(bad, 0);
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("store_wal_checkpointer");
    DT_ADD(s, test_thread_checkpoints_not_the_writer);
    DT_ADD(s, test_wal_bounded_when_thread_lags);
    DT_ADD(s, test_close_during_pass);
    DT_ADD(s, test_reader_sees_every_commit);
    DT_ADD(s, test_without_checkpointer);
    DT_ADD(s, test_pass_faults);
    DT_ADD(s, test_fork_during_pass);
    return dt_run();
}
