/*
 * durable__idmap: the batcher's record of ParentId links and of completed
 * contexts (batcher_internal.h). Linear probing over a power-of-two table,
 * kept at most half full.
 */
#include <string.h>

#include "model/internal.h"
#include "sdk/batcher_internal.h"

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Slot of key, or of the empty slot where it would go. cap > 0. */
static size_t slot(char *const *keys, size_t cap, const char *key)
{
    size_t i = hash(key) & (cap - 1);
    while (keys[i] && strcmp(keys[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(durable__idmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    char **nk = durable__calloc(ncap, sizeof *nk);
    char **nv = durable__calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
        durable_free(nk);
        durable_free(nv);
        return durable__error_oom();
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot(nk, ncap, m->keys[i]);
        nk[j] = m->keys[i];
        nv[j] = m->values[i];
    }
    durable_free(m->keys);
    durable_free(m->values);
    m->keys = nk;
    m->values = nv;
    m->cap = ncap;
    return 0;
}

void durable__idmap_clear(durable__idmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        durable_free(m->keys[i]);
        durable_free(m->values[i]);
    }
    durable_free(m->keys);
    durable_free(m->values);
    memset(m, 0, sizeof *m);
}

int durable__idmap_put(durable__idmap *m, const char *key, const char *value)
{
    if (!key)
        return 0;
    if (m->cap && m->keys[slot(m->keys, m->cap, key)])
        return 0;
    if ((m->count + 1) * 2 > m->cap) {
        int rc = grow(m);
        if (rc)
            return rc;
    }
    char *k = durable__strdup(key);
    char *v = value ? durable__strdup(value) : NULL;
    if (!k || (value && !v)) {
        durable_free(k);
        durable_free(v);
        return durable__error_oom();
    }
    size_t i = slot(m->keys, m->cap, key);
    m->keys[i] = k;
    m->values[i] = v;
    m->count++;
    return 0;
}

bool durable__idmap_has(const durable__idmap *m, const char *key)
{
    return key && m->cap && m->keys[slot(m->keys, m->cap, key)];
}

const char *durable__idmap_get(const durable__idmap *m, const char *key)
{
    if (!key || !m->cap)
        return NULL;
    size_t i = slot(m->keys, m->cap, key);
    return m->keys[i] ? m->values[i] : NULL;
}
