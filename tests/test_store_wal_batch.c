/*
 * WAL write gathering (src/store/wal_batch.c): the store's file connections
 * hand a commit's WAL frames to the OS in one write, and lose nothing for it.
 *  - property (seeded, 120 cases): random transactions on the store's
 *    connection (rows of random sizes, so frames, overflow pages and page
 *    splits vary; savepoints released or rolled back; a fifth of the
 *    transactions rolled back; a small page cache in some cases, so pages
 *    spill into the WAL before COMMIT or ROLLBACK), with a second connection
 *    in the process (the plain VFS) committing rows between them: after each
 *    COMMIT or ROLLBACK the writer, the second connection and a forked
 *    reader process see exactly the rows of the model.
 *    (ROLLBACK TO follows no spill: SQLite 3.40.1 alone, without the shim,
 *    leaves a WAL that recovery cuts short after spill + ROLLBACK TO +
 *    COMMIT; see the comment in the loop.)
 *  - the store's own connection never spills (store.c turns it off): big
 *    transactions with ROLLBACK TO and COMMIT on a tiny cache write nothing
 *    before COMMIT and reopen exactly.
 *  - a rolled-back transaction's spilled frames, still gathered, are not
 *    written over another connection's later commit.
 *  - crash: a child process commits and acknowledges each COMMIT on a pipe,
 *    then _exits without closing, or is SIGKILLed; every acknowledged row
 *    is in the file afterwards.
 *  - write faults (tests/support/fault_vfs.h, under the shim): a failing
 *    gathered write makes that COMMIT fail, the file keeps exactly the
 *    earlier commits and passes integrity_check, and the next COMMIT works;
 *    for a commit that overwrites spilled frames and rewrites checksums,
 *    each of its writes failing in turn: the COMMIT fails and a crash then
 *    recovers the earlier state (and one that succeeds is recovered whole).
 *  - writes per commit, counted by the fault VFS under the shim: 2 per frame
 *    with wal_write_through, 1 per commit gathered; also for page sizes 512,
 *    4096 and 65536 and for a WAL that existed before the connection.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/store.h"
#include "store/internal.h"
#include "store/wal_batch.h"
#include "support/fault_vfs.h"
#include "support/testutil.h"

/* ---- rows and their digest ------------------------------------------------ */

enum { MAX_IDS = 4096 };

/* The rows a reader must see: id -> (length, content seed); len < 0 absent. */
typedef struct model {
    int len[MAX_IDS];
    uint64_t seed[MAX_IDS];
    int next; /* ids below it have been used */
} model;

static void fill(unsigned char *buf, int len, uint64_t seed)
{
    dt_rng r;
    dt_rng_init(&r, seed);
    for (int i = 0; i < len; i += 8) {
        uint64_t x = dt_rng_next(&r);
        for (int j = 0; j < 8 && i + j < len; j++)
            buf[i + j] = (unsigned char)(x >> (8 * j));
    }
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t row_hash(uint64_t h, long long id, const void *v, int len)
{
    h = fnv(h, &id, sizeof id);
    h = fnv(h, &len, sizeof len);
    return fnv(h, v, (size_t)len);
}

static uint64_t model_digest(const model *m)
{
    static unsigned char buf[1 << 16];
    uint64_t h = 14695981039346656037ull;
    for (int id = 1; id < m->next; id++)
        if (m->len[id] >= 0) {
            fill(buf, m->len[id], m->seed[id]);
            h = row_hash(h, id, buf, m->len[id]);
        }
    return h;
}

/* All rows in one statement, so one snapshot; 0 when the read fails. */
static uint64_t db_digest(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    uint64_t h = 14695981039346656037ull;
    if (sqlite3_prepare_v2(db, "SELECT id, v FROM t ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        h = row_hash(h, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                     sqlite3_column_bytes(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? h : 0;
}

static int exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "\n  %s: %s\n", sql, sqlite3_errmsg(db));
    return rc;
}

static int query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static bool integrity_ok(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    return ok;
}

static sqlite3 *open_plain(const char *path, const char *vfs)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    return db;
}

#define TABLE_SQL "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)"

/* A new store at path (opts may be NULL) with the rows' table; NULL when
 * either fails. */
static durable_store *open_store_table(const char *path, const durable_store_options *opts)
{
    durable_store *s = NULL;
    if (durable_store_open(&s, path, opts) != 0)
        return NULL;
    if (exec(durable__store_db(s), TABLE_SQL) != SQLITE_OK) {
        durable_store_close(s);
        return NULL;
    }
    return s;
}

/* Write row id (insert or replace) with content from the model's seed. */
static int put_row(sqlite3 *db, int id, int len, uint64_t seed)
{
    static unsigned char buf[1 << 16];
    fill(buf, len, seed);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t(id, v) VALUES (?, ?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, id);
        sqlite3_bind_blob(st, 2, buf, len, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    }
    sqlite3_finalize(st);
    return rc;
}

static int del_row(sqlite3 *db, int id)
{
    char sql[64];
    snprintf(sql, sizeof sql, "DELETE FROM t WHERE id = %d", id);
    return exec(db, sql);
}

/* Mostly small rows, some of a few pages (overflow chains). */
static int random_len(dt_rng *r)
{
    uint64_t k = dt_rng_below(r, 10);
    if (k < 6)
        return 1 + (int)dt_rng_below(r, 200);
    if (k < 9)
        return 200 + (int)dt_rng_below(r, 1800);
    return 2000 + (int)dt_rng_below(r, 8000);
}

/* One random change on db, mirrored in m. */
static int random_op(sqlite3 *db, model *m, dt_rng *r)
{
    uint64_t k = dt_rng_below(r, 10);
    if (k < 5 || m->next < 3) {
        if (m->next >= MAX_IDS)
            return SQLITE_OK;
        int id = m->next++;
        m->len[id] = random_len(r);
        m->seed[id] = dt_rng_next(r);
        return put_row(db, id, m->len[id], m->seed[id]);
    }
    int id = 1 + (int)dt_rng_below(r, (uint64_t)(m->next - 1));
    if (k < 8) {
        m->len[id] = random_len(r);
        m->seed[id] = dt_rng_next(r);
        return put_row(db, id, m->len[id], m->seed[id]);
    }
    m->len[id] = -1;
    return del_row(db, id);
}

static void model_init(model *m)
{
    for (int i = 0; i < MAX_IDS; i++)
        m->len[i] = -1;
    m->next = 1;
}

/* ---- a reader in another process ------------------------------------------ */

typedef struct reader {
    pid_t pid;
    int to, from;
} reader;

/* Forked before this process opens the file: a child never uses a
 * connection (or SQLite's lock bookkeeping) inherited from its parent. It
 * answers each request byte with the digest of the rows it sees. */
static void reader_start(reader *rd, const char *path)
{
    int req[2], resp[2];
    CU_ASSERT_FATAL(pipe(req) == 0 && pipe(resp) == 0);
    fflush(NULL);
    rd->pid = fork();
    CU_ASSERT_FATAL(rd->pid >= 0);
    if (rd->pid == 0) {
        close(req[1]);
        close(resp[0]);
        sqlite3 *db = NULL;
        char c;
        while (read(req[0], &c, 1) == 1) {
            if (!db)
                db = open_plain(path, NULL);
            uint64_t h = db ? db_digest(db) : 0;
            if (write(resp[1], &h, sizeof h) != (ssize_t)sizeof h)
                break;
        }
        _exit(0);
    }
    close(req[0]);
    close(resp[1]);
    rd->to = req[1];
    rd->from = resp[0];
}

static uint64_t reader_digest(reader *rd)
{
    uint64_t h = 0;
    char c = 'd';
    if (write(rd->to, &c, 1) != 1 || read(rd->from, &h, sizeof h) != (ssize_t)sizeof h)
        return 1;
    return h;
}

static void reader_stop(reader *rd)
{
    close(rd->to);
    close(rd->from);
    int status = 0;
    waitpid(rd->pid, &status, 0);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- property: readers see exactly the committed rows --------------------- */

enum { CASES = 120 };

static void test_readers_see_exactly_the_commits(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed);
    char *path = dt_temp_path("walbatch-prop");
    reader rd;
    reader_start(&rd, path);

    durable_store *s = open_store_table(path, NULL);
    CU_ASSERT_FATAL(s != NULL);
    sqlite3 *w = durable__store_db(s);
    sqlite3 *other = open_plain(path, NULL);
    CU_ASSERT_FATAL(other != NULL);

    static model m, saved[4];
    model_init(&m);
    int commits = 0, rollbacks = 0, other_commits = 0, savepoints = 0;
    int spilled_commits = 0, spilled_rollbacks = 0;
    for (int c = 0; c < CASES; c++) {
        /* A cache of a few pages makes SQLite write frames before COMMIT
         * or ROLLBACK (a spill). */
        bool small_cache = dt_rng_below(&r, 3) == 0;
        /* (The store turns spilling off, store.c; these cases turn it
         * back on to exercise the gathering of spilled frames.) */
        CU_ASSERT_EQUAL(exec(w, small_cache ? "PRAGMA cache_spill = ON; PRAGMA cache_size = 8"
                                            : "PRAGMA cache_size = -2000"),
                        0);
        saved[0] = m;
        CU_ASSERT_EQUAL_FATAL(exec(w, "BEGIN IMMEDIATE"), 0);
        int ops = dt_rng_below(&r, 6) == 0 ? 60 + (int)dt_rng_below(&r, 200)
                                           : 1 + (int)dt_rng_below(&r, 12);
        int depth = 0;
        for (int i = 0; i < ops; i++) {
            uint64_t k = dt_rng_below(&r, 20);
            if (k == 0 && depth < 3) {
                saved[++depth] = m;
                CU_ASSERT_EQUAL(exec(w, depth == 1 ? "SAVEPOINT a" : depth == 2 ? "SAVEPOINT b"
                                                                            : "SAVEPOINT c"),
                                0);
                savepoints++;
            } else if (k == 1 && depth > 0) {
                const char *name = depth == 1 ? "a" : depth == 2 ? "b" : "c";
                char sql[64];
                /* Not after a spill: SQLite 3.40.1 itself, shim or not,
                 * leaves WAL checksums that recovery rejects when a
                 * transaction spills, rolls back to a savepoint and commits
                 * (found by this test; the commit and all after it are lost
                 * once every connection has closed). */
                if (!small_cache && dt_rng_below(&r, 2)) {
                    snprintf(sql, sizeof sql, "ROLLBACK TO %s; RELEASE %s", name, name);
                    m = saved[depth];
                } else {
                    snprintf(sql, sizeof sql, "RELEASE %s", name);
                }
                CU_ASSERT_EQUAL(exec(w, sql), 0);
                depth--;
            } else {
                CU_ASSERT_EQUAL(random_op(w, &m, &r), 0);
            }
        }
        int spilled = 0, unused = 0;
        sqlite3_db_status(w, SQLITE_DBSTATUS_CACHE_SPILL, &spilled, &unused, 1);
        bool rollback = dt_rng_below(&r, 5) == 0;
        if (rollback) {
            CU_ASSERT_EQUAL_FATAL(exec(w, "ROLLBACK"), 0);
            m = saved[0];
            rollbacks++;
            spilled_rollbacks += spilled > 0;
        } else {
            CU_ASSERT_EQUAL_FATAL(exec(w, "COMMIT"), 0);
            commits++;
            spilled_commits += spilled > 0;
        }
        uint64_t want = model_digest(&m);
        DT_PROP(db_digest(other) == want, seed, c);
        DT_PROP(reader_digest(&rd) == want, seed, c);
        if (dt_rng_below(&r, rollback ? 2 : 4) == 0) {
            /* Another writer right after ours, before our connection does
             * anything more: it appends where our last committed frame
             * ended, over anything a rollback left. */
            CU_ASSERT_EQUAL_FATAL(exec(other, "BEGIN IMMEDIATE"), 0);
            for (int i = 0, n = 1 + (int)dt_rng_below(&r, 5); i < n; i++)
                CU_ASSERT_EQUAL(random_op(other, &m, &r), 0);
            CU_ASSERT_EQUAL_FATAL(exec(other, "COMMIT"), 0);
            other_commits++;
            want = model_digest(&m);
            DT_PROP(reader_digest(&rd) == want, seed, c);
        }
        DT_PROP(db_digest(w) == want, seed, c);
        DT_PROP(db_digest(other) == want, seed, c);
        if (c % 20 == 19)
            DT_PROP(integrity_ok(other), seed, c);
    }
    uint64_t want = model_digest(&m);
    durable_store_close(s);
    sqlite3_close(other);
    DT_PROP(reader_digest(&rd) == want, seed, CASES);
    reader_stop(&rd);
    sqlite3 *fresh = open_plain(path, NULL);
    CU_ASSERT_FATAL(fresh != NULL);
    CU_ASSERT_EQUAL(db_digest(fresh), want);
    CU_ASSERT(integrity_ok(fresh));
    sqlite3_close(fresh);
    printf("\n    %d cases: %d commits (%d spilled pages first), %d rollbacks (%d spilled), %d "
           "savepoints, %d commits by the other connection, %d rows ",
           CASES, commits, spilled_commits, rollbacks, spilled_rollbacks, savepoints,
           other_commits, m.next - 1);
    CU_ASSERT(commits > 0 && rollbacks > 0 && savepoints > 0 && other_commits > 0);
    dt_remove_db(path);
    free(path);
}

/* The store's own connection never spills (store.c turns cache_spill off):
 * with a cache of 8 pages, transactions of hundreds of rows that roll back
 * to a savepoint and then commit, as group commit does, write nothing
 * before COMMIT, and after every connection has closed the file holds
 * exactly the commits. (With spilling allowed, the property test above
 * lost commits on SQLite 3.40.1 when it rolled back to a savepoint after a
 * spill, seeds 2143292483 and 1918635085; see the store's comment.) */
static void test_store_connection_never_spills(void)
{
    char *path = dt_temp_path("walbatch-nospill");
    durable_store *s = open_store_table(path, NULL);
    CU_ASSERT_FATAL(s != NULL);
    sqlite3 *w = durable__store_db(s);
    CU_ASSERT_EQUAL(exec(w, "PRAGMA cache_size = 8"), 0);
    static model m, saved;
    model_init(&m);
    dt_rng r;
    dt_rng_init(&r, 5);
    int spills = 0;
    for (int round = 0; round < 12; round++) {
        CU_ASSERT_EQUAL_FATAL(exec(w, "BEGIN IMMEDIATE"), 0);
        for (int i = 0; i < 80; i++)
            CU_ASSERT_EQUAL(random_op(w, &m, &r), 0);
        saved = m;
        CU_ASSERT_EQUAL_FATAL(exec(w, "SAVEPOINT a"), 0);
        for (int i = 0; i < 80; i++)
            CU_ASSERT_EQUAL(random_op(w, &m, &r), 0);
        CU_ASSERT_EQUAL_FATAL(exec(w, "ROLLBACK TO a; RELEASE a"), 0);
        m = saved;
        for (int i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(random_op(w, &m, &r), 0);
        int spilled = 0, unused = 0;
        sqlite3_db_status(w, SQLITE_DBSTATUS_CACHE_SPILL, &spilled, &unused, 1);
        spills += spilled;
        CU_ASSERT_EQUAL_FATAL(exec(w, "COMMIT"), 0);
    }
    CU_ASSERT_EQUAL(spills, 0);
    uint64_t want = model_digest(&m);
    CU_ASSERT_EQUAL(db_digest(w), want);
    durable_store_close(s);
    sqlite3 *fresh = open_plain(path, NULL);
    CU_ASSERT_FATAL(fresh != NULL);
    CU_ASSERT_EQUAL(db_digest(fresh), want);
    CU_ASSERT(integrity_ok(fresh));
    sqlite3_close(fresh);
    dt_remove_db(path);
    free(path);
}

/* A rolled-back transaction's spilled frames, still gathered when the
 * connection ends its transaction, must not be written after another
 * connection has committed frames at the same offsets. Built so that
 * nothing reads the WAL in between: the WAL is empty (checkpointed and
 * truncated) before, so SQLite's rollback reloads pages from the database
 * file. */
static void test_rollback_leaves_nothing_behind(void)
{
    char *path = dt_temp_path("walbatch-rollback");
    durable_store *s = open_store_table(path, NULL);
    CU_ASSERT_FATAL(s != NULL);
    sqlite3 *w = durable__store_db(s);
    sqlite3 *other = open_plain(path, NULL);
    CU_ASSERT_FATAL(other != NULL);
    static model m;
    model_init(&m);
    dt_rng r;
    dt_rng_init(&r, 11);
    int spills = 0;
    for (int round = 0; round < 20; round++) {
        CU_ASSERT_EQUAL_FATAL(exec(w, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_spill = ON;"
                                      " PRAGMA cache_size = 6"),
                              0);
        model before = m;
        CU_ASSERT_EQUAL_FATAL(exec(w, "BEGIN IMMEDIATE"), 0);
        for (int i = 0; i < 20 + round; i++) {
            int id = m.next++;
            m.len[id] = 900 + (int)dt_rng_below(&r, 1000);
            m.seed[id] = dt_rng_next(&r);
            CU_ASSERT_EQUAL(put_row(w, id, m.len[id], m.seed[id]), SQLITE_OK);
        }
        int spilled = 0, unused = 0;
        sqlite3_db_status(w, SQLITE_DBSTATUS_CACHE_SPILL, &spilled, &unused, 1);
        spills += spilled > 0;
        CU_ASSERT_EQUAL_FATAL(exec(w, "ROLLBACK"), 0);
        m = before;
        /* The other connection restarts the log where our frames were. */
        CU_ASSERT_EQUAL_FATAL(exec(other, "BEGIN IMMEDIATE"), 0);
        for (int i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(random_op(other, &m, &r), 0);
        CU_ASSERT_EQUAL_FATAL(exec(other, "COMMIT"), 0);
        uint64_t want = model_digest(&m);
        CU_ASSERT_EQUAL(db_digest(w), want);
        CU_ASSERT_EQUAL(db_digest(other), want);
    }
    CU_ASSERT(spills > 0);
    CU_ASSERT(integrity_ok(other));
    uint64_t want = model_digest(&m);
    sqlite3_close(other);
    durable_store_close(s);
    other = open_plain(path, NULL);
    CU_ASSERT_EQUAL(db_digest(other), want);
    sqlite3_close(other);
    dt_remove_db(path);
    free(path);
}

/* ---- crash: an acknowledged COMMIT survives the process ------------------ */

enum { CRASH_COMMITS = 150 };

/* The rows of commit n (1-based): ids 8n-7 .. 8n-8+rows(n). */
static int crash_rows(int n)
{
    return 1 + n % 8;
}

static uint64_t crash_seed(int id)
{
    return 0x9e3779b97f4a7c15ull * (uint64_t)id;
}

static int crash_len(int id)
{
    return 1 + (int)(crash_seed(id) % 3000);
}

/* In the child: commit, acknowledge each COMMIT on fd, then _exit(0)
 * without closing anything (or wait to be killed). */
static void crash_child(const char *path, int fd, bool wait_for_kill)
{
    durable_store *s = NULL;
    if (durable_store_open(&s, path, NULL) != 0)
        _exit(2);
    sqlite3 *db = durable__store_db(s);
    for (int n = 1; n <= CRASH_COMMITS; n++) {
        if (durable__store_begin(s) != 0)
            _exit(3);
        for (int i = 0; i < crash_rows(n); i++) {
            int id = 8 * n - 7 + i;
            if (put_row(db, id, crash_len(id), crash_seed(id)) != SQLITE_OK)
                _exit(4);
        }
        if (durable__store_commit(s) != 0)
            _exit(5);
        if (write(fd, &n, sizeof n) != (ssize_t)sizeof n)
            _exit(6);
    }
    if (wait_for_kill)
        pause();
    _exit(0);
}

static void crash_round(bool kill_it, int kill_after)
{
    char *path = dt_temp_path("walbatch-crash");
    durable_store *s = open_store_table(path, NULL);
    CU_ASSERT_FATAL(s != NULL);
    durable_store_close(s);

    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        crash_child(path, p[1], kill_it);
    }
    close(p[1]);
    int acked = 0, n;
    while (read(p[0], &n, sizeof n) == (ssize_t)sizeof n) {
        acked = n;
        if (kill_it && n == kill_after)
            kill(pid, SIGKILL);
        if (kill_it && n == CRASH_COMMITS)
            kill(pid, SIGKILL);
    }
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (kill_it) {
        CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    } else {
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CU_ASSERT(acked >= (kill_it ? kill_after : CRASH_COMMITS));

    /* Every acknowledged commit is whole; a later one may be there too (the
     * kill came between its COMMIT and its acknowledgement), whole. */
    sqlite3 *db = open_plain(path, NULL);
    CU_ASSERT_FATAL(db != NULL);
    int present = 0;
    for (int c = 1; c <= CRASH_COMMITS; c++) {
        int found = 0;
        for (int i = 0; i < crash_rows(c); i++) {
            int id = 8 * c - 7 + i, len = crash_len(id);
            static unsigned char want[4096];
            fill(want, len, crash_seed(id));
            sqlite3_stmt *st = NULL;
            CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT v FROM t WHERE id = ?", -1, &st, NULL) ==
                            SQLITE_OK);
            sqlite3_bind_int(st, 1, id);
            if (sqlite3_step(st) == SQLITE_ROW) {
                found++;
                CU_ASSERT(sqlite3_column_bytes(st, 0) == len &&
                          memcmp(sqlite3_column_blob(st, 0), want, (size_t)len) == 0);
            }
            sqlite3_finalize(st);
        }
        CU_ASSERT(found == 0 || found == crash_rows(c));
        if (c <= acked)
            CU_ASSERT_EQUAL(found, crash_rows(c));
        if (found)
            present = c;
    }
    CU_ASSERT(present >= acked && present <= acked + 1);
    CU_ASSERT(integrity_ok(db));
    sqlite3_close(db);
    dt_remove_db(path);
    free(path);
}

static void test_crash_after_commit_loses_nothing(void)
{
    for (int i = 0; i < 3; i++)
        crash_round(false, 0);
    static const int kill_after[] = {1, 17, 60, 149};
    for (size_t i = 0; i < sizeof kill_after / sizeof *kill_after; i++)
        crash_round(true, kill_after[i]);
}

/* ---- write faults under the shim ------------------------------------------ */

static long wal_frames(const char *path, int page_size)
{
    char wal[4200];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) != 0 || sb.st_size < 32)
        return 0;
    return (long)((sb.st_size - 32) / (page_size + 24));
}

/* A transaction of `rows` new rows through the store's tx API. */
static int store_tx(durable_store *s, model *m, dt_rng *r, int rows)
{
    int rc = durable__store_begin(s);
    for (int i = 0; rc == 0 && i < rows; i++)
        if (m->next < MAX_IDS) {
            int id = m->next++;
            m->len[id] = random_len(r);
            m->seed[id] = dt_rng_next(r);
            rc = put_row(durable__store_db(s), id, m->len[id], m->seed[id]) == SQLITE_OK ? 0
                                                                                    : DURABLE_EDB;
        }
    return rc ? rc : durable__store_commit(s);
}

/* The fault fires on the nth gathered write of a commit (1: a small commit
 * or the first 128 KiB of a big one; 2: the rest of a big one). */
static void fault_round(int code, int rows, long nth)
{
    char *path = dt_temp_path("walbatch-fault");
    durable_store *s = open_store_table(path, NULL);
    CU_ASSERT_FATAL(s != NULL);
    sqlite3 *db = durable__store_db(s);
    static model m, before;
    model_init(&m);
    dt_rng r;
    dt_rng_init(&r, (uint64_t)(rows * 31 + nth));
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL_FATAL(store_tx(s, &m, &r, 3), 0);
    before = m;
    uint64_t want = model_digest(&before);

    fault_vfs_arm(FAULT_WRITE, nth, code);
    int rc = store_tx(s, &m, &r, rows);
    long writes = fault_vfs_count(FAULT_WRITE);
    int fired = fault_vfs_fired();
    fault_vfs_disarm();
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(rc, DURABLE_EDB);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_store_errmsg(s), "COMMIT"));
    CU_ASSERT(strstr(durable_store_errmsg(s), "disk I/O error") ||
              strstr(durable_store_errmsg(s), "database or disk is full"));
    CU_ASSERT(writes >= nth);
    m = before;
    CU_ASSERT_EQUAL(db_digest(db), want);
    sqlite3 *other = open_plain(path, NULL);
    CU_ASSERT_FATAL(other != NULL);
    CU_ASSERT_EQUAL(db_digest(other), want);
    CU_ASSERT(integrity_ok(other));

    /* The same connection commits again, and a fresh one sees it. */
    CU_ASSERT_EQUAL(store_tx(s, &m, &r, rows), 0);
    want = model_digest(&m);
    CU_ASSERT_EQUAL(db_digest(other), want);
    sqlite3_close(other);
    durable_store_close(s);
    other = open_plain(path, NULL);
    CU_ASSERT_EQUAL(db_digest(other), want);
    CU_ASSERT(integrity_ok(other));
    sqlite3_close(other);
    dt_remove_db(path);
    free(path);
}

static void test_write_fault_fails_the_commit(void)
{
    CU_ASSERT_FATAL(fault_vfs_install() == SQLITE_OK);
    fault_round(SQLITE_IOERR, 4, 1);
    fault_round(SQLITE_FULL, 4, 1);
    /* About 300 KiB: gathered in 128 KiB writes; the last one fails. */
    fault_round(SQLITE_IOERR, 250, 1);
    fault_round(SQLITE_IOERR, 250, 2);
    fault_round(SQLITE_FULL, 250, 2);
    fault_vfs_uninstall();
}

static sqlite3 *open_table(const char *path, const char *vfs, int page_size);

/* ---- every write of a COMMIT failing, one at a time ------------------------ */

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    bool ok = in && out;
    char buf[1 << 16];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* What a process opening the file after a crash at this moment finds: the
 * database and its WAL as they are in the OS now, recovered by a connection
 * of their own (on copies, so the open connections are left alone). */
static uint64_t recovered_digest(const char *path)
{
    char *copy = dt_temp_path("walbatch-copy");
    char from[4200], to[4200];
    uint64_t h = 0;
    snprintf(from, sizeof from, "%s-wal", path);
    snprintf(to, sizeof to, "%s-wal", copy);
    if (copy_file(path, copy) && copy_file(from, to)) {
        sqlite3 *db = open_plain(copy, NULL);
        if (db)
            h = db_digest(db);
        sqlite3_close(db);
    }
    dt_remove_db(copy);
    free(copy);
    return h;
}

/* A file with 60 rows, and a transaction (left open, COMMIT to come) that
 * rewrites them all with a 6-page cache, so pages spill into the WAL, then
 * rewrites half of them again: at COMMIT SQLite overwrites those spilled
 * frames in place and rewrites the checksums of the frames after them.
 * With `savepoint`, the first rewrite is rolled back to a savepoint and the
 * commit (3 rows) appends over the frames it spilled. */
static sqlite3 *spilled_transaction(const char *path, bool savepoint, model *before, model *after)
{
    dt_rng r;
    dt_rng_init(&r, 99);
    sqlite3 *db = open_table(path, durable__wal_batch_vfs(), 2048);
    if (!db)
        return NULL;
    model_init(before);
    bool ok = exec(db, "BEGIN IMMEDIATE") == SQLITE_OK;
    for (int id = 1; ok && id <= 60; id++) {
        before->len[id] = 700 + (int)dt_rng_below(&r, 600);
        before->seed[id] = dt_rng_next(&r);
        before->next = id + 1;
        ok = put_row(db, id, before->len[id], before->seed[id]) == SQLITE_OK;
    }
    ok = ok && exec(db, "COMMIT; PRAGMA cache_size = 6; BEGIN IMMEDIATE") == SQLITE_OK;
    if (savepoint)
        ok = ok && exec(db, "SAVEPOINT a") == SQLITE_OK;
    *after = *before;
    for (int pass = 0; ok && pass < 2; pass++) {
        for (int id = 1; ok && id <= (pass == 0 ? 60 : savepoint ? 3 : 30); id++) {
            after->len[id] = 700 + (int)dt_rng_below(&r, 600);
            after->seed[id] = dt_rng_next(&r);
            ok = put_row(db, id, after->len[id], after->seed[id]) == SQLITE_OK;
        }
        if (savepoint && pass == 0) {
            ok = ok && exec(db, "ROLLBACK TO a; RELEASE a") == SQLITE_OK;
            *after = *before;
        }
    }
    if (!ok) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Each write of such a COMMIT failing in turn. */
static void every_write_failing(bool savepoint)
{
    static model before, after;
    char *path = dt_temp_path("walbatch-every");
    sqlite3 *db = spilled_transaction(path, savepoint, &before, &after);
    CU_ASSERT_FATAL(db != NULL);
    int spilled = 0, unused = 0;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_SPILL, &spilled, &unused, 0);
    fault_vfs_arm(FAULT_WRITE, 0, SQLITE_IOERR);
    CU_ASSERT_EQUAL_FATAL(exec(db, "COMMIT"), SQLITE_OK);
    long writes = fault_vfs_count(FAULT_WRITE);
    fault_vfs_disarm();
    CU_ASSERT(spilled > 0);
    CU_ASSERT(writes > 0);
    CU_ASSERT_EQUAL(db_digest(db), model_digest(&after));
    sqlite3_close(db);
    dt_remove_db(path);

    int failed = 0;
    for (long n = 1; n <= writes; n++) {
        db = spilled_transaction(path, savepoint, &before, &after);
        CU_ASSERT_FATAL(db != NULL);
        sqlite3 *rdr = open_plain(path, NULL);
        CU_ASSERT_FATAL(rdr != NULL);
        fault_vfs_arm(FAULT_WRITE, n, SQLITE_IOERR);
        int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        CU_ASSERT_EQUAL(fault_vfs_fired(), 1);
        fault_vfs_disarm();
        /* Whatever the write, a COMMIT that returned is in the file, and
         * one that failed left the file as it was: for another connection
         * now, and for a process recovering the file after a crash (not
         * after ROLLBACK TO: SQLite 3.40.1 alone fails that, see the
         * property test). */
        uint64_t want = model_digest(rc == SQLITE_OK ? &after : &before);
        if (rc != SQLITE_OK) {
            failed++;
            if (!sqlite3_get_autocommit(db))
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
        bool recovered = savepoint || recovered_digest(path) == want;
        if (!recovered || db_digest(rdr) != want || db_digest(db) != want)
            fprintf(stderr, "\n  write %ld of %ld failing: COMMIT %d, not what it says ", n,
                    writes, rc);
        CU_ASSERT(recovered);
        CU_ASSERT_EQUAL(db_digest(rdr), want);
        CU_ASSERT_EQUAL(db_digest(db), want);
        sqlite3_close(rdr);
        sqlite3_close(db);
        dt_remove_db(path);
    }
    printf("\n    a spilled commit%s: %ld writes, each failing in turn: %d COMMITs failed ",
           savepoint ? " after ROLLBACK TO" : "", writes, failed);
    CU_ASSERT(failed > 0);
    free(path);
}

static void test_every_commit_write_failing(void)
{
    CU_ASSERT_FATAL(fault_vfs_install() == SQLITE_OK);
    every_write_failing(false);
    every_write_failing(true);
    fault_vfs_uninstall();
}

/* ---- writes per commit ----------------------------------------------------- */

typedef struct counted {
    long commits, frames, writes;
    long writing_commits; /* those that wrote frames (a DELETE of a deleted row writes none) */
} counted;

/* `commits` transactions of 1..6 rows on db; WAL writes counted by the
 * fault VFS (the shim sits above it). Each is checked from `reader`. */
static counted count_commits(sqlite3 *db, sqlite3 *rdr, const char *path, int page_size,
                             model *m, dt_rng *r, int commits)
{
    counted c = {0, 0, 0, 0};
    long frames0 = wal_frames(path, page_size), last = frames0;
    fault_vfs_arm(FAULT_WRITE, 0, SQLITE_IOERR);
    for (int i = 0; i < commits; i++) {
        CU_ASSERT_EQUAL_FATAL(exec(db, "BEGIN IMMEDIATE"), 0);
        for (int j = 0, n = 1 + (int)dt_rng_below(r, 6); j < n; j++)
            CU_ASSERT_EQUAL(random_op(db, m, r), 0);
        CU_ASSERT_EQUAL_FATAL(exec(db, "COMMIT"), 0);
        c.commits++;
        long now = wal_frames(path, page_size);
        c.writing_commits += now > last;
        last = now;
        fault_vfs_set_active(false);
        CU_ASSERT_EQUAL(db_digest(rdr), model_digest(m));
        fault_vfs_set_active(true);
    }
    c.writes = fault_vfs_count(FAULT_WRITE);
    fault_vfs_disarm();
    c.frames = wal_frames(path, page_size) - frames0;
    return c;
}

/* A commit whose gathered write fails: COMMIT returns the error, and the
 * reader (and the writer, after its rollback) still see the model. */
static bool commit_fails_cleanly(sqlite3 *db, sqlite3 *rdr, model *m, dt_rng *r)
{
    model before = *m;
    bool ok = exec(db, "BEGIN IMMEDIATE") == SQLITE_OK;
    for (int j = 0; ok && j < 3; j++) {
        int id = m->next++;
        m->len[id] = 1 + (int)dt_rng_below(r, 3000);
        m->seed[id] = dt_rng_next(r);
        ok = put_row(db, id, m->len[id], m->seed[id]) == SQLITE_OK;
    }
    fault_vfs_arm(FAULT_WRITE, 1, SQLITE_IOERR);
    int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    ok = ok && fault_vfs_fired() == 1 && (rc & 0xff) == SQLITE_IOERR;
    fault_vfs_disarm();
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    *m = before;
    uint64_t want = model_digest(m);
    return ok && db_digest(rdr) == want && db_digest(db) == want;
}

static sqlite3 *open_table(const char *path, const char *vfs, int page_size)
{
    sqlite3 *db = open_plain(path, vfs);
    char sql[512];
    snprintf(sql, sizeof sql,
             "PRAGMA page_size = %d; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
             " PRAGMA wal_autocheckpoint = 0;"
             " CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)",
             page_size);
    if (db && exec(db, sql) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static void test_one_write_per_commit(void)
{
    CU_ASSERT_FATAL(fault_vfs_install() == SQLITE_OK);
    dt_rng r;
    dt_rng_init(&r, 7);

    /* The store, with and without gathering. */
    for (int through = 1; through >= 0; through--) {
        char *path = dt_temp_path("walbatch-count");
        durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
        so.wal_write_through = through;
        durable_store *s = open_store_table(path, &so);
        CU_ASSERT_FATAL(s != NULL);
        sqlite3 *db = durable__store_db(s);
        CU_ASSERT_EQUAL_FATAL(exec(db, "PRAGMA wal_autocheckpoint = 0"), 0);
        sqlite3 *rdr = open_plain(path, NULL);
        static model m;
        model_init(&m);
        counted c = count_commits(db, rdr, path, 2048, &m, &r, 120);
        printf("\n    store, %s: %ld commits (%ld writing frames), %ld frames, %ld writes ",
               through ? "write-through" : "gathered", c.commits, c.writing_commits, c.frames,
               c.writes);
        CU_ASSERT(c.frames > c.commits);
        if (through) {
            CU_ASSERT_EQUAL(c.writes, 2 * c.frames);
        } else {
            CU_ASSERT_EQUAL(c.writes, c.writing_commits);
        }
        sqlite3_close(rdr);
        durable_store_close(s);
        dt_remove_db(path);
        free(path);
    }

    /* Page sizes other than the store's, straight through the shim. */
    static const int sizes[] = {512, 4096, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *path = dt_temp_path("walbatch-pages");
        sqlite3 *db = open_table(path, durable__wal_batch_vfs(), sizes[i]);
        CU_ASSERT_FATAL(db != NULL);
        CU_ASSERT_EQUAL(query_int(db, "PRAGMA page_size"), sizes[i]);
        sqlite3 *rdr = open_plain(path, NULL);
        static model m;
        model_init(&m);
        counted c = count_commits(db, rdr, path, sizes[i], &m, &r, 60);
        CU_ASSERT(commit_fails_cleanly(db, rdr, &m, &r));
        /* A commit bigger than the buffer goes out in 128 KiB writes. */
        long bound = c.writing_commits + c.frames * (sizes[i] + 24) / (128 * 1024);
        printf("\n    page %d: %ld commits (%ld writing frames), %ld frames, %ld writes ",
               sizes[i], c.commits, c.writing_commits, c.frames, c.writes);
        CU_ASSERT(c.writes >= c.writing_commits && c.writes <= bound);
        CU_ASSERT(c.writes < 2 * c.frames);

        /* A WAL that was there before the connection (the reader keeps it):
         * the page size comes from the file's header. */
        sqlite3_close(db);
        db = open_table(path, durable__wal_batch_vfs(), sizes[i]);
        CU_ASSERT_FATAL(db != NULL);
        counted again = count_commits(db, rdr, path, sizes[i], &m, &r, 30);
        CU_ASSERT(again.frames > 0);
        CU_ASSERT(again.writes >= again.writing_commits &&
                  again.writes <= again.writing_commits +
                                      again.frames * (sizes[i] + 24) / (128 * 1024));
        /* The write that fails is the commit's own (at its commit frame,
         * not later), so COMMIT reports it and the rows stay as they were. */
        CU_ASSERT(commit_fails_cleanly(db, rdr, &m, &r));
        sqlite3_close(db);
        CU_ASSERT(integrity_ok(rdr));
        CU_ASSERT_EQUAL(db_digest(rdr), model_digest(&m));
        sqlite3_close(rdr);
        dt_remove_db(path);
        free(path);
    }
    fault_vfs_uninstall();
}

int main(void)
{
    CU_pSuite s = dt_suite("store_wal_batch");
    DT_ADD(s, test_readers_see_exactly_the_commits);
    DT_ADD(s, test_rollback_leaves_nothing_behind);
    DT_ADD(s, test_store_connection_never_spills);
    DT_ADD(s, test_crash_after_commit_loses_nothing);
    DT_ADD(s, test_write_fault_fails_the_commit);
    DT_ADD(s, test_every_commit_write_failing);
    DT_ADD(s, test_one_write_per_commit);
    return dt_run();
}
