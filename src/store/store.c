/* Opening and closing a store: pragmas, the libdurable-file check, errors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "model/internal.h"
#include "store/migrations.h"
#include "store/store_impl.h"

static bool is_memory(const char *path)
{
    return strcmp(path, ":memory:") == 0;
}

int durable__store_fail(durable_store *s, int rc, const char *what)
{
    /* Copy SQLite's message now: the next call on the connection replaces it. */
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    int base = rc & 0xff;
    int code = (base == SQLITE_BUSY || base == SQLITE_LOCKED) ? DURABLE_EBUSY : DURABLE_EDB;
    if (code == DURABLE_EBUSY)
        durable__error_set(code, "%s: %s: %s (locked beyond the busy timeout)",
                           s ? s->path : "?", what, msg);
    else
        durable__error_set(code, "%s: %s: %s", s ? s->path : "?", what, msg);
    if (s)
        snprintf(s->errmsg, sizeof s->errmsg, "%s", durable_error_last()->message);
    return code;
}

static int fail_with(durable_store *s, int code, const char *fmt, const char *arg)
{
    durable__error_set(code, fmt, s->path, arg);
    snprintf(s->errmsg, sizeof s->errmsg, "%s", durable_error_last()->message);
    return code;
}

static int pragma_int(durable_store *s, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return durable__store_fail(s, rc, sql);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_DONE;
    }
    if (rc != SQLITE_DONE) {
        int r = durable__store_fail(s, rc, sql);
        sqlite3_finalize(st);
        return r;
    }
    sqlite3_finalize(st);
    return 0;
}

/* A file is ours when it carries our application_id, or is brand new
 * (no tables, application_id 0). Anything else is refused untouched. */
static int check_identity(durable_store *s, int *version)
{
    int app = 0, tables = 0, rc;
    if ((rc = pragma_int(s, "PRAGMA application_id", &app)) != 0) {
        if (durable_error_last()->code == DURABLE_EDB)
            return fail_with(s, DURABLE_ESCHEMA, "%s: not a libdurable database%s", "");
        return rc;
    }
    if ((rc = pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables)) != 0)
        return rc;
    if ((rc = pragma_int(s, "PRAGMA user_version", version)) != 0)
        return rc;
    if (app != DURABLE_STORE_APPLICATION_ID && !(app == 0 && tables == 0 && *version == 0))
        return fail_with(s, DURABLE_ESCHEMA, "%s: not a libdurable database%s", "");
    if (*version > durable__migration_count) {
        char buf[64];
        snprintf(buf, sizeof buf, "%d is newer than this library (%d)", *version,
                 durable__migration_count);
        return fail_with(s, DURABLE_ESCHEMA, "%s: schema version %s; upgrade libdurable", buf);
    }
    return 0;
}

static int apply_pragmas(durable_store *s, const durable_store_options *o)
{
    char sql[128];
    sqlite3_busy_timeout(s->db, o->busy_timeout_ms);
    if (o->read_only)
        return durable__store_exec(s, "PRAGMA query_only = 1");
    if (durable__store_exec(s, "PRAGMA foreign_keys = ON") != 0)
        return durable_error_last()->code;
    if (!is_memory(s->path) &&
        durable__store_exec(s, "PRAGMA journal_mode = WAL") != 0)
        return durable_error_last()->code;
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %s",
             o->sync_mode == DURABLE_SYNC_FULL ? "FULL" : "NORMAL");
    return durable__store_exec(s, sql);
}

int durable_store_open(durable_store **out, const char *path, const durable_store_options *opts)
{
    durable_store_options o = DURABLE_STORE_OPTIONS_INIT;
    struct stat sb;
    int version = 0, rc;

    *out = NULL;
    if (!path || !*path)
        return durable__error_set(DURABLE_EINVAL, "durable_store_open: empty path");
    if (opts)
        o = *opts;
    if (!is_memory(path) && (o.read_only || !o.create) && stat(path, &sb) != 0)
        return durable__error_set(DURABLE_ENOTFOUND, "%s: no such file", path);

    durable_store *s = durable__calloc(1, sizeof *s);
    if (!s || !(s->path = durable__strdup(path))) {
        durable_free(s);
        return durable__error_oom();
    }
    s->read_only = o.read_only;
    int flags = o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = durable__store_fail(s, rc, "open");
        durable_store_close(s);
        return rc;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if ((rc = apply_pragmas(s, &o)) != 0 || (rc = check_identity(s, &version)) != 0) {
        /* SQLITE_NOTADB shows up at the first read: report it as a foreign file. */
        if (rc == DURABLE_EDB && strstr(durable_error_last()->message, "not a database"))
            rc = fail_with(s, DURABLE_ESCHEMA, "%s: not a libdurable database%s", "");
        durable_store_close(s);
        return rc;
    }
    if (!o.read_only && (rc = durable__store_migrate(s, version)) != 0) {
        durable_store_close(s);
        return rc;
    }
    if ((rc = pragma_int(s, "PRAGMA user_version", &s->version)) != 0) {
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
