/* The store handle's layout, shared by the store's own files (not API). */
#ifndef DURABLE_SRC_STORE_IMPL_H
#define DURABLE_SRC_STORE_IMPL_H

#include <stdbool.h>

#include "store/internal.h"

typedef struct stmt_entry {
    char *sql;
    sqlite3_stmt *stmt;
    struct stmt_entry *next;
} stmt_entry;

#define STMT_BUCKETS 256

struct durable_store {
    sqlite3 *db;
    char *path;
    bool read_only;
    bool in_tx;
    int version;
    stmt_entry *buckets[STMT_BUCKETS];
    char errmsg[1024];
};

int durable__store_migrate(durable_store *s, int from_version);
void durable__stmt_cache_clear(durable_store *s);

#endif
