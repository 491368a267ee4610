/* Forward-only migrations: each one and its user_version bump commit together,
 * so a crash mid-migration leaves the file at the previous version. A new
 * file (no schema object at all) gets schema/latest.sql and the latest
 * version in one transaction instead: replaying the table rebuilds of every
 * migration cost milliseconds per new database.
 *
 * Migrations run with foreign keys off, as SQLite requires for rebuilding a
 * table (a DROP TABLE would otherwise cascade into the rows that refer to
 * it); PRAGMA foreign_key_check must then find nothing before the commit. */
#include <stdio.h>

#include "store/migrations.h"
#include "store/store_impl.h"

/* One integer from a one-row query, read inside the migration's
 * transaction: another process may have migrated the file between our
 * identity check and our write lock. */
static int read_int(durable_store *s, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    int code = durable__store_fail(s, rc, sql);
    sqlite3_finalize(st);
    return code;
}

/* Any row foreign_key_check reports fails the migration. */
static int check_foreign_keys(durable_store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int code = durable__store_error(s, DURABLE_ESCHEMA,
                                        "%s: a row of %s breaks its foreign key after migrating",
                                        s->path, (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return code;
    }
    int code = rc == SQLITE_DONE ? 0 : durable__store_fail(s, rc, "PRAGMA foreign_key_check");
    sqlite3_finalize(st);
    return code;
}

static int apply_next(durable_store *s, bool *done)
{
    int version = 0, rc;
    if ((rc = durable__store_begin(s)) != 0)
        return rc;
    if ((rc = read_int(s, "PRAGMA user_version", &version)) != 0) {
        durable__store_rollback(s);
        return rc;
    }
    if (version >= durable__migration_count) {
        *done = true;
        durable__store_rollback(s); /* nothing was written */
        if (version > durable__migration_count)
            return durable__store_error(s, DURABLE_ESCHEMA,
                                        "%s: schema version %d is newer than this library (%d); "
                                        "upgrade libdurable",
                                        s->path, version, durable__migration_count);
        return 0;
    }
    /* No table, index, view or trigger yet: a new file. */
    int objects = 1;
    if (version == 0 && (rc = read_int(s, "SELECT count(*) FROM sqlite_master", &objects)) != 0) {
        durable__store_rollback(s);
        return rc;
    }
    bool fresh = objects == 0;
    const durable__migration *m = &durable__migrations[version];
    const char *sql = fresh ? durable__schema_latest : m->sql;
    int to = fresh ? durable__migration_count : m->version;
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", to);
    if ((rc = durable__store_exec(s, sql)) != 0 || (rc = durable__store_exec(s, bump)) != 0 ||
        (rc = check_foreign_keys(s)) != 0 || (rc = durable__store_commit(s)) != 0) {
        char *saved = durable__strdup(durable_error_last()->message);
        durable__store_rollback(s);
        durable__store_error(s, rc, "%s (in %s %s)", saved ? saved : s->path,
                             fresh ? "schema" : "migration", fresh ? "latest" : m->name);
        durable_free(saved);
        return rc;
    }
    return 0;
}

int durable__store_migrate(durable_store *s)
{
    /* Only outside a transaction does the pragma take effect. */
    int rc = durable__store_exec(s, "PRAGMA foreign_keys = OFF");
    bool done = false;
    while (rc == 0 && !done)
        rc = apply_next(s, &done);
    int on = durable__store_exec(s, "PRAGMA foreign_keys = ON");
    return rc != 0 ? rc : on;
}
