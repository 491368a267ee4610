/* A read cache of decoded operations per execution, so that starting an
 * invocation (which returns the whole pruned state, SPEC §7.4) does not
 * decode every row again: replay stays O(operations) with a small constant.
 *
 * The database stays authoritative. Every operation write stamps
 * last_changed_seq from the execution's change counter (op_row.c) and the
 * counter is saved in the same transaction, so a cache entry tagged with
 * change_seq N is exact while executions.change_seq is N; when the counter
 * has moved (this or another process wrote), only the rows with
 * last_changed_seq > N are read and merged. An entry that looks newer than
 * the database (a rolled-back write) is reloaded in full. The cache is only
 * filled by calls that have not written operations themselves yet
 * (e->ops_dirty), so it never holds uncommitted rows. */
#include <string.h>

#include "engine/engine_internal.h"

#define CACHE_ENTRIES 4

typedef struct cache_entry {
    int64_t exec_rowid; /* 0 = unused */
    int64_t change_seq;
    uint64_t used;      /* LRU stamp */
    durable_operation *ops; /* start order */
    int64_t *seq;           /* start_seq of ops[i] */
    size_t count, cap;
    size_t *slots;          /* id -> index + 1; open addressing */
    size_t slot_cap;
} cache_entry;

struct durable__state_cache {
    cache_entry entries[CACHE_ENTRIES];
    uint64_t clock;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void entry_reset(cache_entry *c)
{
    for (size_t i = 0; i < c->count; i++)
        durable_operation_clear(&c->ops[i]);
    durable_free(c->ops);
    durable_free(c->seq);
    durable_free(c->slots);
    memset(c, 0, sizeof *c);
}

void durable__state_cache_free(durable__state_cache *sc)
{
    if (!sc)
        return;
    for (int i = 0; i < CACHE_ENTRIES; i++)
        entry_reset(&sc->entries[i]);
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
        c->cap = cap;
    }
    c->ops[c->count] = o->op;
    c->seq[c->count] = o->start_seq;
    durable_operation_init(&o->op);
    *slot = ++c->count;
    return 0;
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
        eng_op o;
        if ((rc = durable__op_from_row(&o, st)) == 0)
            rc = put(c, &o);
        durable__eop_clear(&o);
        if (rc != 0) {
            durable__db_reset(st);
            return rc;
        }
    }
    return rc;
}

static cache_entry *pick_entry(durable__state_cache *sc, int64_t rowid)
{
    cache_entry *victim = &sc->entries[0];
    for (int i = 0; i < CACHE_ENTRIES; i++) {
        if (sc->entries[i].exec_rowid == rowid)
            return &sc->entries[i];
        if (sc->entries[i].used < victim->used)
            victim = &sc->entries[i];
    }
    entry_reset(victim);
    return victim;
}

int durable__state_cache_get(durable_engine *e, const eng_exec *x, const durable_operation **ops,
                             const int64_t **seqs, size_t *count)
{
    if (!e->cache && !(e->cache = durable__calloc(1, sizeof *e->cache)))
        return durable__error_oom();
    cache_entry *c = pick_entry(e->cache, x->rowid);
    c->used = ++e->cache->clock;
    int rc = 0;
    if (c->exec_rowid == x->rowid && c->change_seq < x->change_seq)
        rc = load_rows(e, c, x->rowid, c->change_seq); /* merge what changed */
    if (rc == 0 && (c->exec_rowid != x->rowid || c->change_seq > x->change_seq))
        rc = 1;
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
    c->change_seq = x->change_seq;
    *ops = c->ops;
    *seqs = c->seq;
    *count = c->count;
    return 0;
}
