/* Finding an execution by its ARN (DURABLE__EXEC_BY_ARN): every call about
 * one execution starts here, so it must not grow with the file. An ARN's
 * parts repeat the row's function_name, qualifier and execution_name (the
 * engine builds the ARN from them, and no part may hold the separators), so
 * their UNIQUE index finds the row, through keys a third as long as the
 * ARN. Bound as slices of the ARN: no copy, no allocation. */
#include <limits.h>

#include "engine/engine_internal.h"
#include "model/exec_arn.h"

static bool bind_slice(sqlite3_stmt *st, int col, durable__arn_slice s)
{
    return s.n < INT_MAX && sqlite3_bind_text(st, col, s.p, (int)s.n, SQLITE_STATIC) == SQLITE_OK;
}

int durable__exec_find(durable_engine *e, sqlite3_stmt **st, const char *const sql[2],
                       const char *arn, const char *what)
{
    durable__exec_arn_parts k;
    int rc;
    if (durable__exec_arn_split(&k, arn)) {
        if ((rc = durable__db_prepare(e, st, sql[0])) < 0)
            return rc;
        if (durable__db_text_static(*st, 1, arn) == 0 && bind_slice(*st, 2, k.function) &&
            bind_slice(*st, 3, k.qualifier) && bind_slice(*st, 4, k.execution_name) &&
            (rc = durable__db_row(e, *st, what)) != 0)
            return rc;
        durable__db_reset(*st);
    }
    /* Not an ARN in SPEC's form, or a row whose key columns do not repeat
     * its ARN's parts (the engine never writes one; a file edited by hand
     * may hold one): the arn index decides, as it always did. */
    if ((rc = durable__db_prepare(e, st, sql[1])) < 0)
        return rc;
    durable__db_text_static(*st, 1, arn);
    return durable__db_row(e, *st, what);
}
