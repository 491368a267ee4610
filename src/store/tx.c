/* Transactions: one engine call = one transaction; nesting is a bug.
 * BEGIN and COMMIT run as cached prepared statements: sqlite3_exec would
 * parse and compile them again on every call. */
#include "store/store_impl.h"

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
    int rc = run(s, sql);
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
    int rc = run(s, "COMMIT");
    if (rc == 0)
        s->in_tx = false;
    else
        durable__store_rollback(s);
    return rc;
}

void durable__store_rollback(durable_store *s)
{
    if (s && s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (s)
        s->in_tx = false;
}

int durable__store_in_transaction(durable_store *s)
{
    return s->in_tx;
}
