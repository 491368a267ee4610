/* A small open-addressing set of strings (pruned context ids). */
#include <string.h>

#include "engine/engine_internal.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t slot_of(char **slots, size_t cap, const char *key)
{
    size_t i = (size_t)hash(key) & (cap - 1);
    while (slots[i] && strcmp(slots[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

int durable__eng_strset_add(durable__eng_strset *s, const char *key)
{
    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **slots = durable__calloc(cap, sizeof *slots);
        if (!slots)
            return durable__error_oom();
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                slots[slot_of(slots, cap, s->slots[i])] = s->slots[i];
        durable_free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t i = slot_of(s->slots, s->cap, key);
    if (s->slots[i])
        return 0;
    if (!(s->slots[i] = durable__strdup(key)))
        return durable__error_oom();
    s->count++;
    return 0;
}

bool durable__eng_strset_has(const durable__eng_strset *s, const char *key)
{
    if (!s->cap || !key)
        return false;
    return s->slots[slot_of(s->slots, s->cap, key)] != NULL;
}

void durable__eng_strset_clear(durable__eng_strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        durable_free(s->slots[i]);
    durable_free(s->slots);
    memset(s, 0, sizeof *s);
}
