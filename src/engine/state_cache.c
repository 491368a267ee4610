/* A read cache of decoded operations per execution, so that starting an
 * invocation (which returns the whole pruned state, SPEC §7.4) does not
 * decode every row again: replay stays O(operations) with a small constant.
 *
 * The database stays authoritative. Every operation write stamps
 * last_changed_seq from the execution's change counter (op_row.c) and the
 * counter is saved in the same transaction, so a cache entry tagged with
 * change_seq N is exact while executions.change_seq is N.
 *
 * When the counter has moved, the entry is brought up to date without a
 * pass over the execution's rows when it can be: every commit of this
 * engine reports the counter moves it made (exec_row.c) and the rows it
 * wrote (op_row.c). While each move starts where the entry's `expected`
 * counter stands, every change since change_seq is this engine's own and
 * its rows are in `dirty`, as each commit wrote them (e->written), so they
 * are not read again. Any other writer
 * (another process, another engine on the file) moves the counter to a
 * value the entry does not expect; then the rows with last_changed_seq > N
 * are read and merged, a scan of the execution's key range (no index on
 * last_changed_seq: it would cost a page on every checkpoint). An entry
 * that looks newer than the database (a rolled-back write) is reloaded in
 * full. The cache is only filled by calls that have not written operations
 * themselves yet (e->ops_dirty), so it never holds uncommitted rows. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

#define CACHE_ENTRIES 4
/* More own writes than this between two reads: merge by scan instead. */
#define DIRTY_MAX 512

typedef struct cache_entry {
    int64_t exec_rowid; /* 0 = unused */
    int64_t change_seq;
    int64_t expected;   /* change_seq after this engine's commits; -1 = unknown */
    struct dirty_row {  /* a row this engine wrote since change_seq */
        int64_t seq;    /* its start_seq */
        size_t order;   /* writes of one row: the last one counts */
        durable_operation op; /* as written (owned) */
    } *dirty;
    size_t dirty_count, dirty_cap;
    uint64_t used;      /* LRU stamp */
    durable_operation *ops; /* start order */
    int64_t *seq;           /* start_seq of ops[i] */
    size_t *size;           /* durable__op_size of ops[i], for page byte caps */
    size_t count, cap;
    size_t *slots;          /* id -> index + 1; open addressing */
    size_t slot_cap;
} cache_entry;

struct durable__state_cache {
    cache_entry entries[CACHE_ENTRIES];
    uint64_t clock;
    /* The current call's counter moves, applied when it commits. */
    struct cache_move {
        int64_t rowid, from, to;
    } *moves;
    size_t move_count, move_cap;
    bool moves_lost; /* a move could not be recorded: trust no entry */
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void dirty_clear(cache_entry *c)
{
    for (size_t i = 0; i < c->dirty_count; i++)
        durable_operation_clear(&c->dirty[i].op);
    c->dirty_count = 0;
}

static void entry_reset(cache_entry *c)
{
    dirty_clear(c);
    for (size_t i = 0; i < c->count; i++)
        durable_operation_clear(&c->ops[i]);
    durable_free(c->ops);
    durable_free(c->seq);
    durable_free(c->size);
    durable_free(c->slots);
    durable_free(c->dirty);
    memset(c, 0, sizeof *c);
}

void durable__state_cache_free(durable__state_cache *sc)
{
    if (!sc)
        return;
    for (int i = 0; i < CACHE_ENTRIES; i++)
        entry_reset(&sc->entries[i]);
    durable_free(sc->moves);
    durable_free(sc);
}

static size_t *slot_for(cache_entry *c, const char *id)
{
    size_t i = (size_t)hash(id) & (c->slot_cap - 1);
    while (c->slots[i] && strcmp(c->ops[c->slots[i] - 1].id, id) != 0)
        i = (i + 1) & (c->slot_cap - 1);
    return &c->slots[i];
}

static int rehash(cache_entry *c, size_t want)
{
    size_t cap = 64;
    while (cap < want * 2)
        cap <<= 1;
    size_t *slots = durable__calloc(cap, sizeof *slots);
    if (!slots)
        return durable__error_oom();
    durable_free(c->slots);
    c->slots = slots;
    c->slot_cap = cap;
    for (size_t i = 0; i < c->count; i++)
        *slot_for(c, c->ops[i].id) = i + 1;
    return 0;
}

/* Insert or replace a decoded operation (moved into the cache). */
static int put(cache_entry *c, eng_op *o)
{
    if ((c->count + 1) * 2 > c->slot_cap && rehash(c, c->count + 1) < 0)
        return DURABLE_ENOMEM;
    size_t *slot = slot_for(c, o->op.id);
    if (*slot) {
        durable_operation *old = &c->ops[*slot - 1];
        durable_operation_clear(old);
        *old = o->op;
        c->size[*slot - 1] = durable__op_size(old);
        durable_operation_init(&o->op);
        return 0;
    }
    /* New operations always start after every cached one. */
    if (c->count && o->start_seq <= c->seq[c->count - 1])
        return 1; /* out of order: caller reloads */
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        durable_operation *ops = durable__realloc(c->ops, cap * sizeof *ops);
        if (!ops)
            return durable__error_oom();
        c->ops = ops;
        int64_t *seq = durable__realloc(c->seq, cap * sizeof *seq);
        if (!seq)
            return durable__error_oom();
        c->seq = seq;
        size_t *size = durable__realloc(c->size, cap * sizeof *size);
        if (!size)
            return durable__error_oom();
        c->size = size;
        c->cap = cap;
    }
    c->ops[c->count] = o->op;
    c->seq[c->count] = o->start_seq;
    c->size[c->count] = durable__op_size(&o->op);
    durable_operation_init(&o->op);
    *slot = ++c->count;
    return 0;
}

/* Decode the row of the statement's current step into the entry. */
static int take_row(cache_entry *c, sqlite3_stmt *st)
{
    eng_op o;
    int rc = durable__op_from_row(&o, st);
    if (rc == 0)
        rc = put(c, &o);
    durable__eop_clear(&o);
    return rc;
}

/* Read rows changed after `since` (0 = all) into the entry. 1 = reload needed. */
static int load_rows(durable_engine *e, cache_entry *c, int64_t rowid, int64_t since)
{
    sqlite3_stmt *st;
    int rc = since ? durable__db_prepare(e, &st,
                                         "SELECT " DURABLE__OP_COLUMNS " FROM operations "
                                         "WHERE execution_id = ?1 "
                                         "AND last_changed_seq > ?2 ORDER BY start_seq")
                   : durable__db_prepare(e, &st,
                                         "SELECT " DURABLE__OP_COLUMNS " FROM operations "
                                         "WHERE execution_id = ?1 AND ?2 = 0 ORDER BY start_seq");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, rowid);
    durable__db_i64(st, 2, since);
    while ((rc = durable__db_row(e, st, "load state")) == 1) {
        if ((rc = take_row(c, st)) != 0) {
            durable__db_reset(st);
            return rc;
        }
    }
    return rc;
}

/* Start order; for one row its last write first. */
static int cmp_dirty(const void *a, const void *b)
{
    const struct dirty_row *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return (x->order < y->order) - (x->order > y->order);
}

/* Take the rows this engine wrote, in start order (so new operations
 * append). 1 = reload needed. */
static int load_dirty(cache_entry *c)
{
    qsort(c->dirty, c->dirty_count, sizeof *c->dirty, cmp_dirty);
    int rc = 0;
    for (size_t i = 0; i < c->dirty_count && rc == 0; i++) {
        if (i && c->dirty[i].seq == c->dirty[i - 1].seq)
            continue; /* an earlier write of the same row */
        eng_op o;
        durable__eop_init(&o);
        o.op = c->dirty[i].op;
        o.start_seq = c->dirty[i].seq;
        durable_operation_init(&c->dirty[i].op);
        rc = put(c, &o);
        durable__eop_clear(&o);
    }
    dirty_clear(c);
    return rc;
}

static cache_entry *find_entry(durable__state_cache *sc, int64_t rowid)
{
    for (int i = 0; i < CACHE_ENTRIES; i++)
        if (sc->entries[i].exec_rowid == rowid)
            return &sc->entries[i];
    return NULL;
}

static cache_entry *pick_entry(durable__state_cache *sc, int64_t rowid)
{
    cache_entry *c = find_entry(sc, rowid);
    if (c)
        return c;
    cache_entry *victim = &sc->entries[0];
    for (int i = 0; i < CACHE_ENTRIES; i++)
        if (sc->entries[i].used < victim->used)
            victim = &sc->entries[i];
    entry_reset(victim);
    return victim;
}

/* Bring a cached entry up to x->change_seq. 1 = reload needed. */
static int refresh(durable_engine *e, cache_entry *c, const eng_exec *x)
{
    if (c->change_seq > x->change_seq)
        return 1; /* newer than the database */
    if (c->change_seq == x->change_seq)
        return 0;
    if (c->expected == x->change_seq)
        return load_dirty(c); /* every change since is this engine's own */
    return load_rows(e, c, x->rowid, c->change_seq); /* merge what changed */
}

int durable__state_cache_get(durable_engine *e, const eng_exec *x, const durable_operation **ops,
                             const int64_t **seqs, const size_t **sizes, size_t *count)
{
    if (!e->cache && !(e->cache = durable__calloc(1, sizeof *e->cache)))
        return durable__error_oom();
    cache_entry *c = pick_entry(e->cache, x->rowid);
    c->used = ++e->cache->clock;
    int rc = c->exec_rowid == x->rowid ? refresh(e, c, x) : 1;
    if (rc == 1) { /* missing, out of order or newer than the database: reload */
        entry_reset(c);
        c->used = e->cache->clock;
        rc = load_rows(e, c, x->rowid, 0);
        if (rc == 1)
            rc = durable__error_set(DURABLE_EDB, "operations of execution %lld are not in start "
                                                 "order", (long long)x->rowid);
    }
    if (rc < 0) {
        entry_reset(c);
        return rc;
    }
    c->exec_rowid = x->rowid;
    c->change_seq = c->expected = x->change_seq;
    dirty_clear(c);
    *ops = c->ops;
    *seqs = c->seq;
    *sizes = c->size;
    *count = c->count;
    return 0;
}

int durable__state_cache_find(durable_engine *e, const eng_exec *x, const char *id,
                              const durable_operation **op)
{
    *op = NULL;
    cache_entry *c = (e->cache && !e->ops_dirty) ? find_entry(e->cache, x->rowid) : NULL;
    /* Only an entry that is current or made current from this engine's own
     * writes: a merge or a reload reads the execution's whole key range,
     * more than the lookups it saves. */
    if (!c || c->change_seq > x->change_seq ||
        (c->change_seq < x->change_seq && c->expected != x->change_seq))
        return DURABLE__CACHE_UNKNOWN;
    if (c->change_seq < x->change_seq) {
        if (load_dirty(c) != 0) {
            entry_reset(c); /* out of memory or out of order: the next get reloads */
            return DURABLE__CACHE_UNKNOWN;
        }
        c->change_seq = x->change_seq;
    }
    if (!c->slots)
        return DURABLE__CACHE_UNKNOWN;
    c->used = ++e->cache->clock;
    size_t slot = *slot_for(c, id);
    if (!slot)
        return 0;
    *op = &c->ops[slot - 1];
    return 1;
}

void durable__state_cache_begin(durable_engine *e)
{
    if (e->cache) {
        e->cache->move_count = 0;
        e->cache->moves_lost = false;
    }
}

void durable__state_cache_note_move(durable_engine *e, int64_t rowid, int64_t from, int64_t to)
{
    durable__state_cache *sc = e->cache;
    if (!sc || sc->moves_lost || from == to)
        return; /* nothing cached yet, or already distrusted */
    if (sc->move_count == sc->move_cap) {
        size_t cap = sc->move_cap ? sc->move_cap * 2 : 8;
        struct cache_move *m = durable__realloc(sc->moves, cap * sizeof *m);
        if (!m) {
            sc->moves_lost = true; /* costs a scan later, never a wrong state */
            return;
        }
        sc->moves = m;
        sc->move_cap = cap;
    }
    sc->moves[sc->move_count++] = (struct cache_move){rowid, from, to};
}

static void distrust(cache_entry *c)
{
    c->expected = -1;
    dirty_clear(c);
}

/* Moves op (as written) into the entry's dirty rows. */
static void add_dirty(cache_entry *c, int64_t start_seq, durable_operation *op)
{
    if (c->expected < 0)
        return;
    if (c->dirty_count == c->dirty_cap) {
        size_t cap = c->dirty_cap ? c->dirty_cap * 2 : 16;
        struct dirty_row *d = cap <= DIRTY_MAX ? durable__realloc(c->dirty, cap * sizeof *d)
                                               : NULL;
        if (!d) {
            distrust(c);
            return;
        }
        c->dirty = d;
        c->dirty_cap = cap;
    }
    c->dirty[c->dirty_count] = (struct dirty_row){start_seq, c->dirty_count, *op};
    c->dirty_count++;
    durable_operation_init(op);
}

void durable__state_cache_committed(durable_engine *e)
{
    durable__state_cache *sc = e->cache;
    if (!sc)
        return;
    for (int i = 0; sc->moves_lost && i < CACHE_ENTRIES; i++)
        distrust(&sc->entries[i]);
    for (size_t i = 0; i < sc->move_count; i++) {
        cache_entry *c = find_entry(sc, sc->moves[i].rowid);
        if (!c)
            continue;
        if (c->expected == sc->moves[i].from)
            c->expected = sc->moves[i].to;
        else
            distrust(c); /* someone else moved it in between */
    }
    for (size_t i = 0; i < e->written_count; i++) {
        cache_entry *c = find_entry(sc, e->written[i].exec_rowid);
        if (c)
            add_dirty(c, e->written[i].start_seq, &e->written[i].op);
    }
    sc->move_count = 0;
}
