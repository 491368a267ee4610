/* The checkpoint delta (SPEC §7.3): every operation with last_changed_seq
 * above the delivered-watermark, in start order.
 *
 * Those operations are found without an index on last_changed_seq (which
 * every operation write would have to update): an operation changes only
 * through op_save, and after the watermark was last set that is either this
 * call (e->written) or an engine change in another call, which marks the row
 * undelivered (a partial index, empty in the common case). Rows are read
 * back by primary key, so the delta is exactly what is stored. */
#include <stdlib.h>

#include "engine/engine_internal.h"

static int cmp_seq(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int push(int64_t **seqs, size_t *n, size_t *cap, int64_t seq)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        int64_t *s = durable__realloc(*seqs, c * sizeof *s);
        if (!s)
            return durable__error_oom();
        *seqs = s;
        *cap = c;
    }
    (*seqs)[(*n)++] = seq;
    return 0;
}

/* Start sequences of the candidate rows: written by this call, or undelivered
 * (*undelivered counts those). */
static int candidates(durable_engine *e, const eng_exec *x, int64_t **seqs, size_t *n,
                      size_t *undelivered)
{
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < e->written_count && rc == 0; i++)
        if (e->written[i].exec_rowid == x->rowid)
            rc = push(seqs, n, &cap, e->written[i].start_seq);
    sqlite3_stmt *st;
    if (rc < 0 || (rc = durable__db_prepare(e, &st,
                                            "SELECT start_seq FROM operations INDEXED BY "
                                            "operations_undelivered WHERE execution_id = ?1 "
                                            "AND undelivered = 1")) < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    while ((rc = durable__db_row(e, st, "load undelivered")) == 1) {
        if ((rc = push(seqs, n, &cap, durable__col_i64(st, 0))) < 0) {
            durable__db_reset(st);
            return rc;
        }
        ++*undelivered;
    }
    if (rc < 0)
        return rc;
    if (*n > 1) /* qsort of a NULL array is undefined even for 0 items */
        qsort(*seqs, *n, sizeof **seqs, cmp_seq);
    return 0;
}

int durable__delta(durable_engine *e, eng_exec *x, durable_operation_list *out)
{
    int64_t *seqs = NULL;
    size_t n = 0, undelivered = 0;
    int rc = candidates(e, x, &seqs, &n, &undelivered);
    sqlite3_stmt *st = NULL;
    if (rc == 0 && n)
        rc = durable__db_prepare(e, &st,
                                 "SELECT " DURABLE__OP_COLUMNS " FROM operations WHERE "
                                 "execution_id = ?1 AND start_seq = ?2 AND last_changed_seq > ?3");
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0 && seqs[i] == seqs[i - 1])
            continue; /* written twice, or written and undelivered */
        if (undelivered && (rc = durable__op_mark_delivered(e, x, seqs[i])) < 0)
            break;
        durable__db_i64(st, 1, x->rowid);
        durable__db_i64(st, 2, seqs[i]);
        durable__db_i64(st, 3, x->delivered_seq);
        if ((rc = durable__db_row(e, st, "load delta")) != 1)
            continue; /* 0: not changed since the watermark */
        eng_op o;
        rc = durable__op_from_row(&o, st);
        durable__db_reset(st);
        if (rc == 0)
            rc = durable_operation_list_take(out, &o.op);
        durable__eop_clear(&o);
    }
    durable_free(seqs);
    if (rc < 0)
        return rc;
    x->delivered_seq = x->change_seq;
    return 0;
}
