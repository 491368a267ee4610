/* The checkpoint delta (SPEC §7.3): every operation with last_changed_seq
 * above the delivered-watermark, in start order.
 *
 * Those operations are found without an index on last_changed_seq (which
 * every operation write would have to update): an operation changes only
 * through op_save, and after the watermark was last set that is either this
 * call (e->written) or an engine change in another call, which marks the row
 * undelivered (a partial index, empty in the common case). A row this call
 * wrote is taken from e->written, which holds it as it reads back (its
 * last_changed_seq is above the watermark: the change counter moved past it
 * to write it); an undelivered row is read back by its (execution, id) key. */
#include <stdlib.h>

#include "engine/engine_internal.h"

/* A delta row: its start_seq, its id (e->written's, or owned: `own`) and,
 * when this call wrote it, the index of its latest write in e->written (-1:
 * undelivered, read from the database). */
typedef struct cand {
    int64_t seq;
    ptrdiff_t w;
    const char *id;
    char *own;
} cand;

/* Start order; for one row its latest write first, then the database. */
static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return (x->w < y->w) - (x->w > y->w);
}

/* Takes `own` (freed on failure too). */
static int push(cand **c, size_t *n, size_t *cap, int64_t seq, ptrdiff_t w, const char *id,
                char *own)
{
    if (*n == *cap) {
        size_t k = *cap ? *cap * 2 : 16;
        cand *p = durable__realloc(*c, k * sizeof *p);
        if (!p) {
            durable_free(own);
            return durable__error_oom();
        }
        *c = p;
        *cap = k;
    }
    (*c)[(*n)++] = (cand){seq, w, own ? own : id, own};
    return 0;
}

/* The rows another call marked undelivered (*undelivered counts them).
 * They exist only when the change counter was past the watermark before
 * this call changed anything: the watermark moves (a new execution, an
 * invocation's state read, a delta) only after every undelivered flag of
 * the execution is cleared, and an engine change that sets one moves the
 * counter. So an ordinary checkpoint skips the probe. The counters as
 * loaded decide (or as saved earlier in this call: both only grew). */
static int undelivered_rows(durable_engine *e, const eng_exec *x, cand **c, size_t *n,
                            size_t *cap, size_t *undelivered)
{
    if (x->stored_counters[1] == x->stored_counters[2])
        return 0;
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT start_seq, op_id FROM operations INDEXED BY "
                                 "operations_undelivered WHERE execution_id = ?1 "
                                 "AND undelivered = 1");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    while ((rc = durable__db_row(e, st, "load undelivered")) == 1) {
        const unsigned char *id = sqlite3_column_text(st, 1);
        char *own = id ? durable__strndup((const char *)id, (size_t)sqlite3_column_bytes(st, 1))
                       : NULL;
        rc = own ? push(c, n, cap, durable__col_i64(st, 0), -1, NULL, own) : durable__error_oom();
        if (rc < 0) {
            durable__db_reset(st);
            return rc;
        }
        ++*undelivered;
    }
    return rc;
}

/* The candidate rows: written by this call, or undelivered, in start order. */
static int candidates(durable_engine *e, const eng_exec *x, cand **c, size_t *n,
                      size_t *undelivered)
{
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < e->written_count && rc == 0; i++)
        if (e->written[i].exec_rowid == x->rowid)
            rc = push(c, n, &cap, e->written[i].start_seq, (ptrdiff_t)i, e->written[i].op.id,
                      NULL);
    if (rc < 0 || (rc = undelivered_rows(e, x, c, n, &cap, undelivered)) < 0)
        return rc;
    if (*n > 1) /* qsort of a NULL array is undefined even for 0 items */
        qsort(*c, *n, sizeof **c, cmp_cand);
    return 0;
}

/* An undelivered row, when it changed after the watermark. */
static int read_row(durable_engine *e, const eng_exec *x, const char *id,
                    durable_operation_list *out)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT " DURABLE__OP_COLUMNS " FROM operations WHERE "
                                 "execution_id = ?1 AND op_id = ?2 AND last_changed_seq > ?3");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text_static(st, 2, id);
    durable__db_i64(st, 3, x->delivered_seq);
    if ((rc = durable__db_row(e, st, "load delta")) != 1)
        return rc; /* 0: not changed since the watermark */
    eng_op o;
    rc = durable__op_from_row(&o, st);
    durable__db_reset(st);
    if (rc == 0)
        rc = durable_operation_list_take(out, &o.op);
    durable__eop_clear(&o);
    return rc;
}

/* A copy of the row this call wrote (e->written[w]). */
static int written_row(durable_engine *e, ptrdiff_t w, durable_operation_list *out)
{
    durable_operation op;
    int rc = durable_operation_copy(&op, &e->written[w].op);
    if (rc == 0 && (rc = durable_operation_list_take(out, &op)) < 0)
        durable_operation_clear(&op);
    return rc;
}

int durable__delta(durable_engine *e, eng_exec *x, durable_operation_list *out)
{
    cand *c = NULL;
    size_t n = 0, undelivered = 0;
    int rc = candidates(e, x, &c, &n, &undelivered);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0 && c[i].seq == c[i - 1].seq)
            continue; /* written twice, or written and undelivered */
        if (undelivered && (rc = durable__op_mark_delivered(e, x, c[i].id)) < 0)
            break;
        rc = c[i].w >= 0 ? written_row(e, c[i].w, out) : read_row(e, x, c[i].id, out);
    }
    for (size_t i = 0; i < n; i++)
        durable_free(c[i].own);
    durable_free(c);
    if (rc < 0)
        return rc;
    x->delivered_seq = x->change_seq;
    return 0;
}
