/* Transactions: one engine call = one transaction; nesting is a bug.
 * BEGIN and COMMIT run as cached prepared statements: sqlite3_exec would
 * parse and compile them again on every call.
 *
 * Group commit (the checkpoint server, src/engine/server.c): inside a group
 * transaction each call's BEGIN becomes a SAVEPOINT and its COMMIT a
 * RELEASE, and its ROLLBACK a ROLLBACK TO, so a rejected call leaves no
 * trace while the calls before it keep theirs; the group ends with one
 * COMMIT. */
#include "store/store_impl.h"

#define CALL_SAVEPOINT "durable_call"

/* Step a transaction-control statement from the statement cache. */
static int run(durable_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = durable__store_prepare(&st, s, sql);
    if (rc != 0)
        return rc;
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? 0 : durable__store_fail(s, step, sql);
}

static int begin(durable_store *s, const char *sql)
{
    if (s->in_tx)
        return durable__store_error(s, DURABLE_ESTATE,
                                    "%s: a transaction is already open (one call = one transaction)",
                                    s->path);
    durable__stmt_reset_active(s);
    /* In a group, reads and writes alike run in the group's write
     * transaction: a savepoint of it. */
    int rc = run(s, s->in_group ? "SAVEPOINT " CALL_SAVEPOINT : sql);
    if (rc == 0)
        s->in_tx = true;
    return rc;
}

int durable__store_begin(durable_store *s)
{
    return begin(s, "BEGIN IMMEDIATE");
}

int durable__store_begin_read(durable_store *s)
{
    return begin(s, "BEGIN");
}

int durable__store_commit(durable_store *s)
{
    if (!s->in_tx)
        return durable__store_error(s, DURABLE_ESTATE, "%s: commit without a transaction", s->path);
    int rc = run(s, s->in_group ? "RELEASE " CALL_SAVEPOINT : "COMMIT");
    if (rc == 0)
        s->in_tx = false;
    else
        durable__store_rollback(s);
    return rc;
}

void durable__store_rollback(durable_store *s)
{
    if (!s)
        return;
    if (s->in_group && s->in_tx) {
        /* Undo this call only. When SQLite has already rolled back the
         * whole transaction (some I/O and memory errors do), there is no
         * savepoint left: durable__store_group_lost reports it. */
        if (s->db && !sqlite3_get_autocommit(s->db)) {
            sqlite3_exec(s->db, "ROLLBACK TO " CALL_SAVEPOINT, NULL, NULL, NULL);
            sqlite3_exec(s->db, "RELEASE " CALL_SAVEPOINT, NULL, NULL, NULL);
        }
        s->in_tx = false;
        return;
    }
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = false;
    s->in_group = false;
}

int durable__store_in_transaction(durable_store *s)
{
    return s->in_tx;
}

int durable__store_group_begin(durable_store *s)
{
    if (s->in_tx || s->in_group)
        return durable__store_error(s, DURABLE_ESTATE,
                                    "%s: a group needs a store without an open transaction",
                                    s->path);
    durable__stmt_reset_active(s);
    int rc = run(s, "BEGIN IMMEDIATE");
    if (rc == 0)
        s->in_group = true;
    return rc;
}

bool durable__store_group_lost(durable_store *s)
{
    return s->in_group && s->db && sqlite3_get_autocommit(s->db);
}

int durable__store_group_end(durable_store *s, bool commit)
{
    if (!s->in_group || s->in_tx)
        return durable__store_error(s, DURABLE_ESTATE, "%s: %s", s->path,
                                    s->in_tx ? "a call of the group is still open"
                                             : "no group transaction to end");
    if (!commit) {
        durable__store_rollback(s);
        return 0;
    }
    if (durable__store_group_lost(s)) {
        s->in_group = false;
        return durable__store_error(s, DURABLE_EDB,
                                    "%s: the group's transaction was rolled back by SQLite",
                                    s->path);
    }
    int rc = run(s, "COMMIT");
    if (rc != 0) {
        const int code = rc;
        durable__store_rollback(s); /* ignores errors: code and message stay */
        return code;
    }
    s->in_group = false;
    return 0;
}
