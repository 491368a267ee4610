/* Opening and closing a store: pragmas, the libdurable-file check, errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/migrations.h"
#include "store/store_impl.h"
#include "store/wal_batch.h"

static bool is_memory(const char *path)
{
    return strcmp(path, ":memory:") == 0;
}

int durable__store_error(durable_store *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    durable__error_setv(code, fmt, ap);
    va_end(ap);
    if (s)
        snprintf(s->errmsg, sizeof s->errmsg, "%s", durable_error_last()->message);
    return code;
}

/* SQL in a message: first line only, at most 60 characters, so a failing
 * migration does not paste the whole schema into the error. */
static void sql_excerpt(char *buf, size_t size, const char *sql)
{
    size_t n = strcspn(sql, "\n");
    if (n > 60)
        n = 60;
    if (n >= size)
        n = size - 1;
    memcpy(buf, sql, n);
    buf[n] = '\0';
    if (sql[n] != '\0' && size > n + 4)
        strcpy(buf + n, "...");
}

int durable__store_fail(durable_store *s, int rc, const char *what)
{
    /* Copy SQLite's message now: the next call on the connection replaces it. */
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    const char *path = s ? s->path : "(no store)";
    char w[72];
    sql_excerpt(w, sizeof w, what ? what : "");
    int base = rc & 0xff;
    if (s)
        s->last_sqlite_rc = rc;
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
        return durable__store_error(s, DURABLE_EBUSY,
                                    "%s: %s: %s (another connection holds the lock; still locked "
                                    "after the %d ms busy timeout)",
                                    path, w, msg, s ? s->busy_timeout_ms : 0);
    return durable__store_error(s, DURABLE_EDB, "%s: %s: %s", path, w, msg);
}

static int not_ours(durable_store *s, const char *why)
{
    return durable__store_error(s, DURABLE_ESCHEMA, "%s: not a libdurable database%s", s->path,
                                why);
}

/* One integer from a pragma or query. */
static int query_int(durable_store *s, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *out = 0;
            rc = SQLITE_OK;
        }
    }
    int code = rc == SQLITE_OK ? 0 : durable__store_fail(s, rc, sql);
    sqlite3_finalize(st);
    return code;
}

/* A file is ours when it carries our application_id, or is brand new (no
 * tables, application_id and user_version 0: it becomes ours by migrating).
 * Runs before anything writes, so a foreign file is refused untouched. */
static int check_identity(durable_store *s, int *out_version)
{
    /* One statement, so one snapshot: read separately, another process
     * creating the file could commit between the reads. */
    static const char sql[] = "SELECT (SELECT application_id FROM pragma_application_id),"
                              " (SELECT count(*) FROM sqlite_master),"
                              " (SELECT user_version FROM pragma_user_version)";
    int app = 0, objects = 0, version = 0;
    int latest = durable__migration_count;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        app = sqlite3_column_int(st, 0);
        objects = sqlite3_column_int(st, 1);
        version = sqlite3_column_int(st, 2);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        rc = durable__store_fail(s, rc, "reading the file's identity");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    bool fresh = app == 0 && objects == 0 && version == 0;
    if (app != DURABLE_STORE_APPLICATION_ID && !fresh)
        return not_ours(s, "");
    if (version > latest)
        return durable__store_error(s, DURABLE_ESCHEMA,
                                    "%s: schema version %d is newer than this library (%d); "
                                    "upgrade libdurable",
                                    s->path, version, latest);
    /* A read-only opener cannot migrate, and the library's queries assume
     * the latest schema: only a file at exactly the latest version is
     * readable. Opening it once read-write (any engine or runner) migrates. */
    if (s->read_only && fresh)
        return not_ours(s, " (the file is empty; open it read-write once to create the schema)");
    if (s->read_only && version < latest)
        return durable__store_error(s, DURABLE_ESCHEMA,
                                    "%s: schema version %d is older than this library (%d); open "
                                    "it read-write once to migrate it",
                                    s->path, version, latest);
    *out_version = version;
    return 0;
}

static int journal_mode(durable_store *s, const char *sql, char *mode, size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        snprintf(mode, size, "%s", m ? m : "unknown");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Switch a file to WAL. An up-to-date file already is (the mode is stored in
 * the file), so usually nothing is written. The switch itself needs an
 * exclusive lock and SQLite does not run the busy handler for it, so two
 * processes creating the same file at once would fail at once: retry here
 * for up to the busy timeout. */
static int set_wal(durable_store *s)
{
    char mode[32] = "";
    const char *sql = "PRAGMA journal_mode = WAL";
    long long deadline = monotonic_ms() + (s->busy_timeout_ms > 0 ? s->busy_timeout_ms : 0);
    int rc = journal_mode(s, "PRAGMA journal_mode", mode, sizeof mode);
    if (rc == SQLITE_OK && strcmp(mode, "wal") == 0)
        return 0;
    for (;;) {
        rc = journal_mode(s, sql, mode, sizeof mode);
        if ((rc & 0xff) != SQLITE_BUSY || monotonic_ms() >= deadline)
            break;
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (rc != SQLITE_OK)
        return durable__store_fail(s, rc, sql);
    /* SQLite answers with the old mode when it cannot switch (e.g. a file
     * system without shared memory): sharing the file needs WAL. */
    if (strcmp(mode, "wal") != 0)
        return durable__store_error(s, DURABLE_EDB, "%s: cannot switch to WAL journal mode (still %s)",
                                    s->path, mode);
    return 0;
}

/* Pragmas that only configure this connection: safe before the identity check. */
static int connection_pragmas(durable_store *s, const durable_store_options *o)
{
    int rc;
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, o->busy_timeout_ms);
    if ((rc = durable__store_exec(s, "PRAGMA foreign_keys = ON")) != 0)
        return rc;
    if (o->read_only)
        return durable__store_exec(s, "PRAGMA query_only = 1");
    return durable__store_exec(s, o->sync_mode == DURABLE_SYNC_FULL ? "PRAGMA synchronous = FULL"
                                                                     : "PRAGMA synchronous = NORMAL");
}

static int open_connection(durable_store *s, const durable_store_options *o)
{
    int flags = SQLITE_OPEN_NOMUTEX;
    if (o->read_only)
        flags |= SQLITE_OPEN_READONLY;
    else
        flags |= SQLITE_OPEN_READWRITE | (o->create || is_memory(s->path) ? SQLITE_OPEN_CREATE : 0);
    /* A file's WAL frames go to the OS in one write per commit (wal_batch.c). */
    const char *vfs = is_memory(s->path) || o->wal_write_through ? NULL : durable__wal_batch_vfs();
    int rc = sqlite3_open_v2(s->path, &s->db, flags, vfs);
    if (rc != SQLITE_OK)
        return durable__store_fail(s, rc, "open");
    int version = 0;
    if ((rc = connection_pragmas(s, o)) != 0 || (rc = check_identity(s, &version)) != 0) {
        /* SQLite reads the header lazily: "file is not a database" shows up
         * at the first statement, whichever it is. */
        if (rc == DURABLE_EDB && (s->last_sqlite_rc & 0xff) == SQLITE_NOTADB)
            return not_ours(s, "");
        return rc;
    }
    if (!o->read_only) {
        /* Only now may the file change: it is ours or brand new. A new file
         * gets small pages before anything fixes its page size: every page
         * a commit touches is written whole to the WAL, so an ordinary
         * checkpoint (four or five b-tree pages) writes about half the bytes
         * it would with SQLite's default 4096, and that cost dominates. */
        if (version == 0 && (rc = durable__store_exec(s, "PRAGMA page_size = 2048")) != 0)
            return rc;
        if (!is_memory(s->path) && (rc = set_wal(s)) != 0)
            return rc;
        if (version == 0 && is_memory(s->path)) {
            if ((rc = durable__store_load_image(s)) != 0)
                return rc;
            version = durable__migration_count;
        }
        /* Up to date: no write lock needed, so opening never waits on a writer. */
        if (version < durable__migration_count && (rc = durable__store_migrate(s)) != 0)
            return rc;
        /* Dirty pages are never spilled into the WAL before COMMIT: after a
         * spill, ROLLBACK TO (group commit rolls a rejected request back to
         * its savepoint, tx.c) and then COMMIT, SQLite 3.40.1 leaves a WAL
         * whose checksums recovery rejects, and that commit and every later
         * one are lost once all connections have closed (found by the
         * property test of tests/test_store_wal_batch.c, with or without
         * the write gathering). Set after the migrations: their table
         * rebuilds may dirty more pages than memory should hold, and they
         * use no savepoints. */
        if (!is_memory(s->path) && (rc = durable__store_exec(s, "PRAGMA cache_spill = OFF")) != 0)
            return rc;
    }
    if ((rc = query_int(s, "PRAGMA user_version", &version)) != 0)
        return rc;
    s->version = version;
    return 0;
}

int durable_store_open(durable_store **out, const char *path, const durable_store_options *opts)
{
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    struct stat sb;

    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_store_open: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return durable__error_set(DURABLE_EINVAL, "durable_store_open: empty path");
    if (opts)
        o = *opts;
    if (o.read_only && is_memory(path))
        return durable__error_set(DURABLE_EINVAL,
                                  ":memory: cannot be opened read-only (it would always be empty)");
    /* Checked before SQLite, which would create the file or say only
     * "unable to open database file". */
    if (!is_memory(path) && (o.read_only || !o.create) && stat(path, &sb) != 0)
        return durable__error_set(DURABLE_ENOTFOUND, "%s: no such file", path);

    durable_store *s = durable__calloc(1, sizeof *s);
    if (!s || !(s->path = durable__strdup(path))) {
        durable_free(s);
        return durable__error_oom();
    }
    s->read_only = o.read_only;
    s->busy_timeout_ms = o.busy_timeout_ms;
    int rc = open_connection(s, &o);
    if (rc == 0 && !o.read_only && !is_memory(path) && o.background_wal_checkpoint &&
        (rc = durable__walckpt_new(&s->walckpt, s->db, o.busy_timeout_ms)) != 0)
        durable__store_error(s, rc, "%s: %s", path, durable_error_last()->message);
    if (rc != 0) {
        durable_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void durable_store_close(durable_store *s)
{
    if (!s)
        return;
    durable__store_rollback(s);
    durable__stmt_cache_clear(s);
    /* Before the connection closes, so it is the file's last and still
     * runs the final checkpoint. */
    durable__walckpt_free(s->walckpt, s->db);
    if (s->db)
        sqlite3_close_v2(s->db);
    durable_free(s->path);
    durable_free(s);
}

const char *durable_store_errmsg(const durable_store *s)
{
    return s ? s->errmsg : "";
}

const char *durable_store_path(const durable_store *s)
{
    return s ? s->path : "";
}

int durable_store_schema_version(const durable_store *s)
{
    return s ? s->version : 0;
}

int durable_store_latest_schema_version(void)
{
    return durable__migration_count;
}

sqlite3 *durable__store_db(durable_store *s)
{
    return s->db;
}

int durable__store_exec(durable_store *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : durable__store_fail(s, rc, sql);
}
