/*
 * Helpers private to the checkpoint batcher (batcher*.c only).
 */
#ifndef DURABLE_SRC_SDK_BATCHER_INTERNAL_H
#define DURABLE_SRC_SDK_BATCHER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sdk/batcher.h"

/* durable__batcher_sort that reports allocation failure (DURABLE_ENOMEM,
 * batch left in queue order) instead of swallowing it. */
int durable__batcher_sort_checked(durable_operation_update *updates, size_t n,
                                  durable__parent_lookup_fn known_parent, void *user);

/* A string -> string map (open addressing). Keys and values are copied and
 * owned by the map; a value may be NULL (the map is then a set). Entries are
 * never removed or replaced, so a returned value pointer stays valid until
 * the map is cleared. Not thread-safe: the batcher guards it. */
typedef struct durable__idmap {
    char **keys;
    char **values;
    size_t count, cap;
} durable__idmap;

void durable__idmap_clear(durable__idmap *m);
/* Insert key -> value unless key is present (then nothing changes). */
int durable__idmap_put(durable__idmap *m, const char *key, const char *value);
bool durable__idmap_has(const durable__idmap *m, const char *key);
/* The value for key (NULL if absent or stored as NULL). */
const char *durable__idmap_get(const durable__idmap *m, const char *key);

#endif
