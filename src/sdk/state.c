/* The SDK's operation table and string set: open addressing on a word-wise
 * string hash, so replay stays O(operations) per invocation however long
 * the history. */
#include <string.h>

#include "sdk/context_internal.h"

/* Eight bytes at a time, then a final mix so the low bits (the slot) depend
 * on every byte: Ids are 16 characters and a byte-at-a-time loop was most
 * of a lookup's cost. Any text hashes; only equality decides a match. */
static uint64_t str_hash(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ULL;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
    }
    h ^= h >> 29;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 32;
    return h;
}

/* ---- operation table -------------------------------------------------------- */

void durable__optable_clear(durable__optable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        durable_operation_clear(&t->items[i]);
    durable__free(t->items);
    durable__free(t->slots);
    durable_operation_list_clear(&t->retired);
    memset(t, 0, sizeof(*t));
}

static size_t *find_slot(const durable__optable *t, const char *id)
{
    size_t mask = t->nslots - 1;
    for (size_t i = str_hash(id) & mask;; i = (i + 1) & mask) {
        size_t v = t->slots[i];
        if (v == 0 || strcmp(t->items[v - 1].id, id) == 0)
            return &t->slots[i];
    }
}

static int rehash(durable__optable *t, size_t nslots)
{
    size_t *slots = durable__calloc(nslots, sizeof(*slots));
    if (!slots)
        return durable__error_oom();
    durable__free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    for (size_t k = 0; k < t->count; k++)
        *find_slot(t, t->items[k].id) = k + 1;
    return 0;
}

const durable_operation *durable__optable_get(const durable__optable *t, const char *id)
{
    if (!t || !id || t->nslots == 0)
        return NULL;
    size_t v = *find_slot(t, id);
    return v ? &t->items[v - 1] : NULL;
}

int durable__optable_reserve(durable__optable *t, size_t n)
{
    if (n > t->cap) {
        size_t cap = t->cap ? t->cap : 16;
        while (cap < n)
            cap *= 2;
        durable_operation *items = durable__realloc(t->items, cap * sizeof(*items));
        if (!items)
            return durable__error_oom();
        t->items = items;
        t->cap = cap;
    }
    if (n * 2 > t->nslots) {
        size_t nslots = t->nslots ? t->nslots : 32;
        while (nslots < n * 2)
            nslots *= 2;
        return rehash(t, nslots);
    }
    return 0;
}

/* Make room for one more item; keeps the load factor under 1/2. */
static int reserve(durable__optable *t)
{
    return durable__optable_reserve(t, t->count + 1);
}

int durable__optable_take(durable__optable *t, durable_operation *op)
{
    if (!op->id)
        return durable__error_set(DURABLE_EINVAL, "operation table: operation without an Id");
    /* Room first, so the slot found stays the slot to fill (one lookup). */
    int rc = reserve(t);
    if (rc)
        return rc;
    size_t *slot = find_slot(t, op->id);
    size_t v = *slot;
    if (v) {
        /* Retired, not freed: views of the old copy stay readable. */
        rc = durable_operation_list_take(&t->retired, &t->items[v - 1]);
        if (rc)
            return rc;
        t->items[v - 1] = *op;
        memset(op, 0, sizeof(*op));
        return 0;
    }
    t->items[t->count] = *op;
    memset(op, 0, sizeof(*op));
    *slot = ++t->count;
    return 0;
}

int durable__optable_put(durable__optable *t, const durable_operation *op)
{
    durable_operation copy;
    memset(&copy, 0, sizeof(copy));
    int rc = durable_operation_copy(&copy, op);
    if (rc)
        return rc;
    rc = durable__optable_take(t, &copy);
    durable_operation_clear(&copy);
    return rc;
}

/* ---- string set ---------------------------------------------------------------- */

void durable__strset_clear(durable__strset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        durable__free(s->slots[i]);
    durable__free(s->slots);
    memset(s, 0, sizeof(*s));
}

static char **set_slot(char **slots, size_t nslots, const char *str)
{
    size_t mask = nslots - 1;
    for (size_t i = str_hash(str) & mask;; i = (i + 1) & mask)
        if (!slots[i] || strcmp(slots[i], str) == 0)
            return &slots[i];
}

bool durable__strset_has(const durable__strset *s, const char *str)
{
    if (!s || !str || s->nslots == 0)
        return false;
    return *set_slot(s->slots, s->nslots, str) != NULL;
}

const char *durable__strset_intern(durable__strset *s, const char *str)
{
    if (durable__strset_add(s, str) < 0)
        return NULL;
    return *set_slot(s->slots, s->nslots, str);
}

int durable__strset_add(durable__strset *s, const char *str)
{
    if (durable__strset_has(s, str))
        return 0;
    if ((s->count + 1) * 2 > s->nslots) {
        size_t n = s->nslots ? s->nslots * 2 : 16;
        char **slots = durable__calloc(n, sizeof(*slots));
        if (!slots)
            return durable__error_oom();
        for (size_t i = 0; i < s->nslots; i++)
            if (s->slots[i])
                *set_slot(slots, n, s->slots[i]) = s->slots[i];
        durable__free(s->slots);
        s->slots = slots;
        s->nslots = n;
    }
    char *copy = durable__strdup(str);
    if (!copy)
        return durable__error_oom();
    *set_slot(s->slots, s->nslots, str) = copy;
    s->count++;
    return 1;
}
