/*
 * The batch ordering of SPEC §10.13 (durable__batcher_sort) and the
 * throttling backoff schedule: pure functions, no batcher state.
 *
 * The ordering rules are precedence constraints, not a total order (the
 * comparator of the reference SDK is not transitive), so the sort is a
 * topological sort: each update waits for the updates it must follow, and
 * among the updates that are free to go the one earliest in queue order
 * goes first. That makes it stable, and an order that already satisfies
 * every rule comes out unchanged (so sorting twice is sorting once).
 */
#include <string.h>

#include "model/internal.h"
#include "sdk/batcher.h"
#include "sdk/batcher_internal.h"

/* Ancestor chains longer than this are treated as cyclic (malformed
 * ParentId links) and cut; real nesting is far shallower. */
#define MAX_CHAIN 4096

static bool is_start(const durable_operation_update *u)
{
    return u->action == DURABLE_ACTION_START;
}

static bool is_exec_completion(const durable_operation_update *u)
{
    return u->type == DURABLE_OP_EXECUTION && u->action != DURABLE_ACTION_START;
}

static bool is_context_start(const durable_operation_update *u)
{
    return u->type == DURABLE_OP_CONTEXT && u->action == DURABLE_ACTION_START;
}

typedef struct sorter {
    const durable_operation_update *u;
    size_t n;
    size_t *by_id; /* indices sorted by (id, index); NULL ids excluded */
    size_t n_ids;
    durable__parent_lookup_fn known_parent;
    void *user;
} sorter;

static int cmp_idx(const sorter *s, size_t a, size_t b)
{
    int c = strcmp(s->u[a].id, s->u[b].id);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

/* Stable merge sort of idx[0..n) by id; tmp has room for n. */
static void sort_by_id(const sorter *s, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_by_id(s, idx, tmp, h);
    sort_by_id(s, idx + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_idx(s, idx[i], idx[j]) <= 0 ? idx[i++] : idx[j++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

/* [*lo, *hi) of by_id holding the updates whose Id is id. */
static void id_range(const sorter *s, const char *id, size_t *lo, size_t *hi)
{
    size_t a = 0, b = s->n_ids;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(s->u[s->by_id[m]].id, id) < 0)
            a = m + 1;
        else
            b = m;
    }
    size_t e = a;
    while (e < s->n_ids && strcmp(s->u[s->by_id[e]].id, id) == 0)
        e++;
    *lo = a;
    *hi = e;
}

/* The parent of op id: the ParentId of its START in the batch, else of any
 * update of it in the batch that carries one, else the caller's lookup. */
static const char *parent_of(const sorter *s, const char *id)
{
    size_t lo, hi;
    id_range(s, id, &lo, &hi);
    const char *any = NULL;
    for (size_t k = lo; k < hi; k++) {
        const durable_operation_update *x = &s->u[s->by_id[k]];
        if (is_start(x))
            return x->parent_id;
        if (!any && x->parent_id)
            any = x->parent_id;
    }
    if (any || lo < hi)
        return any;
    return s->known_parent ? s->known_parent(s->user, id) : NULL;
}

/* Growable edge list: from must precede to. */
typedef struct edges {
    size_t *from, *to;
    size_t count, cap;
} edges;

static int edge_add(edges *e, size_t from, size_t to)
{
    if (e->count == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 64;
        size_t *f = durable__realloc(e->from, ncap * sizeof *f);
        if (!f)
            return durable__error_oom();
        e->from = f;
        size_t *t = durable__realloc(e->to, ncap * sizeof *t);
        if (!t)
            return durable__error_oom();
        e->to = t;
        e->cap = ncap;
    }
    e->from[e->count] = from;
    e->to[e->count] = to;
    e->count++;
    return 0;
}

/* Rules 2 and 3 as edges into update i. */
static int edges_into(const sorter *s, edges *e, size_t i)
{
    const durable_operation_update *u = &s->u[i];
    size_t lo, hi;
    const char *a = u->parent_id;
    for (int steps = 0; a && steps < MAX_CHAIN; steps++) {
        id_range(s, a, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            size_t j = s->by_id[k];
            if (j != i && is_context_start(&s->u[j])) {
                int rc = edge_add(e, j, i);
                if (rc)
                    return rc;
            }
        }
        a = parent_of(s, a);
    }
    if (!is_start(u) && u->id) {
        id_range(s, u->id, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            size_t j = s->by_id[k];
            if (j != i && is_start(&s->u[j])) {
                int rc = edge_add(e, j, i);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

/* Min-heap of indices (ready updates, earliest queue position first). */
static void heap_push(size_t *h, size_t *n, size_t v)
{
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        size_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static size_t heap_pop(size_t *h, size_t *n)
{
    size_t top = h[0];
    h[0] = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && h[l] < h[m])
            m = l;
        if (r < *n && h[r] < h[m])
            m = r;
        if (m == i)
            break;
        size_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
    return top;
}

/* Kahn's algorithm over the edges plus rule 1 (an EXECUTION completion
 * waits for every other kind of update). Fills order[0..n). */
static int topo_order(const sorter *s, const edges *e, size_t *order)
{
    size_t n = s->n;
    size_t *indeg = durable__calloc(n, sizeof *indeg);
    size_t *start = durable__calloc(n + 1, sizeof *start);
    size_t *adj = durable__malloc((e->count ? e->count : 1) * sizeof *adj);
    size_t *heap = durable__malloc(n * sizeof *heap);
    bool *done = durable__calloc(n, sizeof *done);
    if (!indeg || !start || !adj || !heap || !done) {
        durable_free(indeg);
        durable_free(start);
        durable_free(adj);
        durable_free(heap);
        durable_free(done);
        return durable__error_oom();
    }
    for (size_t k = 0; k < e->count; k++) {
        start[e->from[k] + 1]++;
        indeg[e->to[k]]++;
    }
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    for (size_t k = 0; k < e->count; k++) {
        /* start[] doubles as the fill cursor; rebuilt below. */
        adj[start[e->from[k]]++] = e->to[k];
    }
    for (size_t i = n; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;

    size_t others = 0; /* non-EXECUTION-completion updates not yet placed */
    for (size_t i = 0; i < n; i++)
        others += !is_exec_completion(&s->u[i]);
    size_t hn = 0, placed = 0, scan = 0;
    for (size_t i = 0; i < n; i++)
        if (indeg[i] == 0 && (!is_exec_completion(&s->u[i]) || others == 0))
            heap_push(heap, &hn, i);
    while (placed < n) {
        size_t i;
        if (hn > 0) {
            i = heap_pop(heap, &hn);
        } else {
            /* A cycle (malformed ParentId links): release the earliest
             * remaining update so the sort still terminates. */
            while (done[scan])
                scan++;
            i = scan;
        }
        if (done[i])
            continue;
        done[i] = true;
        order[placed++] = i;
        for (size_t k = start[i]; k < start[i + 1]; k++) {
            size_t j = adj[k];
            if (--indeg[j] == 0 && !done[j] && (!is_exec_completion(&s->u[j]) || others == 0))
                heap_push(heap, &hn, j);
        }
        if (!is_exec_completion(&s->u[i]) && --others == 0) {
            for (size_t j = 0; j < n; j++)
                if (!done[j] && indeg[j] == 0 && is_exec_completion(&s->u[j]))
                    heap_push(heap, &hn, j);
        }
    }
    durable_free(indeg);
    durable_free(start);
    durable_free(adj);
    durable_free(heap);
    durable_free(done);
    return 0;
}

int durable__batcher_sort_checked(durable_operation_update *updates, size_t n,
                                  durable__parent_lookup_fn known_parent, void *user)
{
    if (n < 2 || !updates)
        return 0;
    sorter s = {updates, n, NULL, 0, known_parent, user};
    size_t *tmp = durable__malloc(n * sizeof *tmp);
    size_t *order = durable__malloc(n * sizeof *order);
    durable_operation_update *moved = durable__malloc(n * sizeof *moved);
    s.by_id = durable__malloc(n * sizeof *s.by_id);
    edges e = {0};
    int rc = 0;
    if (!tmp || !order || !moved || !s.by_id) {
        rc = durable__error_oom();
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (updates[i].id)
            s.by_id[s.n_ids++] = i;
    sort_by_id(&s, s.by_id, tmp, s.n_ids);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = edges_into(&s, &e, i);
    if (rc == 0)
        rc = topo_order(&s, &e, order);
    if (rc == 0) {
        for (size_t k = 0; k < n; k++)
            moved[k] = updates[order[k]];
        memcpy(updates, moved, n * sizeof *moved);
    }
out:
    if (rc)
        durable__error_prefix("sorting a checkpoint batch of %zu updates", n);
    durable_free(tmp);
    durable_free(order);
    durable_free(moved);
    durable_free(s.by_id);
    durable_free(e.from);
    durable_free(e.to);
    return rc;
}

void durable__batcher_sort(durable_operation_update *updates, size_t n,
                           durable__parent_lookup_fn known_parent, void *user)
{
    /* On allocation failure the batch keeps its queue order; the batcher
     * itself uses the checked variant and fails the call instead. */
    (void)durable__batcher_sort_checked(updates, n, known_parent, user);
}

int durable__batcher_backoff_ms(const durable__batcher_options *opts, int retry)
{
    if (!opts || retry < 1 || opts->backoff_initial_ms <= 0)
        return 0;
    long long d = opts->backoff_initial_ms;
    long long cap = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : d;
    for (int r = 1; r < retry && d < cap; r++)
        d *= 2;
    return (int)(d < cap ? d : cap);
}
