/* Opening and closing a store: pragmas, the libdurable-file check, errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/migrations.h"
#include "store/store_impl.h"

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
    int app = 0, objects = 0, version = 0, rc;
    int latest = durable__migration_count;
    if ((rc = query_int(s, "PRAGMA application_id", &app)) != 0 ||
        (rc = query_int(s, "SELECT count(*) FROM sqlite_master", &objects)) != 0 ||
        (rc = query_int(s, "PRAGMA user_version", &version)) != 0)
        return rc;
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

static int set_wal(durable_store *s)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "PRAGMA journal_mode = WAL";
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        /* SQLite answers with the old mode when it cannot switch (e.g. a
         * file system without shared memory): sharing the file needs WAL. */
        int code = mode && strcmp(mode, "wal") == 0
                       ? 0
                       : durable__store_error(s, DURABLE_EDB,
                                              "%s: cannot switch to WAL journal mode (still %s)",
                                              s->path, mode ? mode : "unknown");
        sqlite3_finalize(st);
        return code;
    }
    int code = durable__store_fail(s, rc, sql);
    sqlite3_finalize(st);
    return code;
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
    int rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
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
        /* Only now may the file change: it is ours or brand new. */
        if (!is_memory(s->path) && (rc = set_wal(s)) != 0)
            return rc;
        /* Up to date: no write lock needed, so opening never waits on a writer. */
        if (version < durable__migration_count && (rc = durable__store_migrate(s)) != 0)
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
