/* Operation state for handlers (SPEC §7.4): pruned, paged state in start
 * order (InitialExecutionState, GetDurableExecutionState). The checkpoint
 * delta is in delta.c. */
#include <string.h>

#include "engine/engine_internal.h"

/* Contexts whose descendants are omitted: terminal (SUCCEEDED/FAILED)
 * without ReplayChildren, or themselves omitted. Parents start before their
 * children, so one pass in start order is enough. */
static int pruning_set(durable_engine *e, const eng_exec *x, durable__eng_strset *set)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT op_id, parent_id, status, replay_children FROM operations "
                                 "INDEXED BY operations_contexts "
                                 "WHERE execution_id = ?1 AND type = 'CONTEXT' ORDER BY start_seq");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    while ((rc = durable__db_row(e, st, "load contexts")) == 1) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *parent = (const char *)sqlite3_column_text(st, 1);
        const char *status = (const char *)sqlite3_column_text(st, 2);
        bool replay = !durable__col_null(st, 3) && durable__col_i64(st, 3) != 0;
        bool done = status && (strcmp(status, "SUCCEEDED") == 0 || strcmp(status, "FAILED") == 0);
        if ((parent && durable__eng_strset_has(set, parent)) || (done && !replay)) {
            if ((rc = durable__eng_strset_add(set, id)) < 0) {
                durable__db_reset(st);
                return rc;
            }
        }
    }
    return rc;
}

static int page_from_db(durable_engine *e, const eng_exec *x, int64_t after, int64_t max_items,
                        size_t byte_cap, durable_operation_list *out, int64_t *next_after);

/* Room for every operation the page can take (those after `after`, at most
 * max_items), so filling it never moves the array: with a state of a
 * thousand operations the doublings copied it about twice over. */
static int reserve_page(durable_operation_list *out, size_t n, const int64_t *seqs, int64_t after,
                        int64_t max_items)
{
    size_t lo = 0, hi = n; /* first index with start_seq > after */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (seqs[mid] <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t want = out->count + (n - lo < (size_t)max_items ? n - lo : (size_t)max_items);
    if (want <= out->capacity)
        return 0;
    durable_operation *items = durable__realloc(out->items, want * sizeof *items);
    if (!items)
        return durable__error_oom();
    out->items = items;
    out->capacity = want;
    return 0;
}

/* The page from the decoded-state cache (the common path). One pass in
 * start order: pruning needs only the contexts before an operation, so it
 * is decided as the page is filled (operations before `after` only feed
 * the pruned set). */
static int page_cached(durable_engine *e, const eng_exec *x, int64_t after, int64_t max_items,
                       size_t byte_cap, durable_operation_list *out, int64_t *next_after)
{
    const durable_operation *ops;
    const int64_t *seqs;
    const size_t *sizes;
    size_t n;
    int rc = durable__state_cache_get(e, x, &ops, &seqs, &sizes, &n);
    if (rc < 0)
        return rc;
    if ((rc = reserve_page(out, n, seqs, after, max_items)) < 0)
        return rc;
    durable__eng_strset pruned = {0};
    size_t bytes = 0;
    int64_t last = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const durable_operation *op = &ops[i];
        bool omit = op->parent_id && pruned.count && durable__eng_strset_has(&pruned, op->parent_id);
        bool done = op->status == DURABLE_OP_SUCCEEDED || op->status == DURABLE_OP_FAILED;
        if (op->type == DURABLE_OP_CONTEXT && (omit || (done && op->replay_children != 1)))
            rc = durable__eng_strset_add(&pruned, op->id);
        if (omit || seqs[i] <= after || rc < 0)
            continue;
        if (out->count >= (size_t)max_items || (out->count > 0 && bytes + sizes[i] > byte_cap)) {
            *next_after = last;
            break;
        }
        rc = durable_operation_list_append(out, op);
        bytes += sizes[i];
        last = seqs[i];
    }
    durable__eng_strset_clear(&pruned);
    return rc;
}

int durable__state_page(durable_engine *e, const eng_exec *x, int64_t after, int64_t max_items,
                        size_t byte_cap, durable_operation_list *out, int64_t *next_after)
{
    *next_after = 0;
    if (!e->ops_dirty)
        return page_cached(e, x, after, max_items, byte_cap, out, next_after);
    return page_from_db(e, x, after, max_items, byte_cap, out, next_after);
}

/* The page straight from the database (a call that already wrote operations). */
static int page_from_db(durable_engine *e, const eng_exec *x, int64_t after, int64_t max_items,
                        size_t byte_cap, durable_operation_list *out, int64_t *next_after)
{
    *next_after = 0;
    durable__eng_strset pruned = {0};
    int rc = pruning_set(e, x, &pruned);
    sqlite3_stmt *st;
    if (rc == 0)
        rc = durable__db_prepare(e, &st,
                                 "SELECT " DURABLE__OP_COLUMNS " FROM operations "
                                 "WHERE execution_id = ?1 AND start_seq > ?2 ORDER BY start_seq");
    if (rc < 0) {
        durable__eng_strset_clear(&pruned);
        return rc;
    }
    durable__db_i64(st, 1, x->rowid);
    durable__db_i64(st, 2, after);
    size_t bytes = 0;
    int64_t last = 0; /* start_seq of the last operation taken */
    while ((rc = durable__db_row(e, st, "load state")) == 1) {
        const char *parent = (const char *)sqlite3_column_text(st, 1);
        if (parent && durable__eng_strset_has(&pruned, parent))
            continue;
        if (out->count >= (size_t)max_items) {
            *next_after = last; /* more remain: the next page starts after `last` */
            break;
        }
        eng_op o;
        if ((rc = durable__op_from_row(&o, st)) < 0)
            break;
        size_t size = durable__op_size(&o.op);
        if (out->count > 0 && bytes + size > byte_cap) {
            durable__eop_clear(&o); /* every page holds at least one operation */
            *next_after = last;
            break;
        }
        bytes += size;
        last = o.start_seq;
        rc = durable_operation_list_take(out, &o.op);
        durable__eop_clear(&o);
        if (rc < 0)
            break;
    }
    durable__db_reset(st); /* a page may stop before the last row */
    if (rc == 1)
        rc = 0;
    durable__eng_strset_clear(&pruned);
    return rc < 0 ? rc : 0;
}

static int max_items_of(durable_engine *e, int64_t requested, int64_t *out)
{
    if (requested == DURABLE_ABSENT || requested == 0) {
        *out = DURABLE_DEFAULT_MAX_ITEMS;
        return 0;
    }
    if (requested < 0 || requested > DURABLE_MAX_ITEMS)
        return durable__eng_fail(e, DURABLE_EINVAL, "MaxItems must be between 0 and 1000.",
                                 "MaxItems %lld", (long long)requested);
    *out = requested;
    return 0;
}

static int read_state(durable_engine *e, durable_state_response *out,
                      const durable_state_request *req)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, req->durable_execution_arn);
    if (rc < 0)
        return rc;
    int64_t max_items = 0, seq = 0, after = 0, next_after = 0;
    if ((rc = durable__token_check(e, &x, req->checkpoint_token)) < 0 ||
        (rc = max_items_of(e, req->max_items, &max_items)) < 0)
        goto done;
    if (req->marker && *req->marker) {
        if ((rc = durable__marker_decode(e, req->marker, "seq", &seq, "after", &after)) < 0)
            goto done;
        if (seq != x.token_seq || after < 0) {
            rc = durable__eng_fail(e, DURABLE_EMARKER, "Invalid marker",
                                   "Marker is for token sequence %lld, current is %lld",
                                   (long long)seq, (long long)x.token_seq);
            goto done;
        }
    }
    rc = durable__state_page(e, &x, after, max_items, DURABLE__PAGE_BYTE_CAP, &out->operations,
                             &next_after);
    if (rc == 0 && next_after)
        rc = durable__marker_encode(&out->next_marker, "seq", x.token_seq, "after", next_after);
done:
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_get_state(durable_state_response *out, durable_engine *e,
                             const durable_state_request *req)
{
    if (!out || !e || !req)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_get_state: out, engine and "
                                                  "request are required");
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, read_state(e, out, req));
    if (rc < 0)
        durable_state_response_clear(out);
    return rc;
}
