/* The store handle's layout, shared by the store's own files (not API). */
#ifndef DURABLE_SRC_STORE_IMPL_H
#define DURABLE_SRC_STORE_IMPL_H

#include <stdbool.h>

#include "model/internal.h"
#include "store/internal.h"
#include "store/wal_checkpointer.h"

typedef struct stmt_entry {
    char *sql;
    const char *caller_sql; /* the caller's pointer last seen for this text */
    sqlite3_stmt *stmt;
    struct stmt_entry *next;
} stmt_entry;

#define STMT_BUCKETS 256
#define STMT_PTR_SLOTS 512

struct durable_store {
    sqlite3 *db;
    char *path;
    bool read_only;
    bool in_tx;
    bool in_group;  /* a group transaction is open: calls run in savepoints (tx.c) */
    int version;
    int busy_timeout_ms;
    int last_sqlite_rc; /* SQLite's code at the last durable__store_fail */
    durable__walckpt *walckpt; /* background WAL checkpoints; NULL without */
    stmt_entry *buckets[STMT_BUCKETS];
    /* Fast path: SQL text is nearly always a string literal, so its address
     * finds the entry without hashing the text (still confirmed by strcmp). */
    stmt_entry *by_ptr[STMT_PTR_SLOTS];
    char errmsg[1024];
};

/* Apply every migration above the file's user_version (migrate.c). */
int durable__store_migrate(durable_store *s);
/* A brand-new in-memory database becomes a copy of the prebuilt image of a
 * new database at the latest version (image.c). */
int durable__store_load_image(durable_store *s);
/* Finalize every cached statement (stmt_cache.c). */
void durable__stmt_cache_clear(durable_store *s);
/* Reset statements a caller left mid-iteration: an active statement keeps its
 * old read snapshot open, so the next transaction would not see other
 * connections' commits (and BEGIN IMMEDIATE would fail with BUSY_SNAPSHOT). */
void durable__stmt_reset_active(durable_store *s);
/* Record code and an already formatted message on the handle and thread. */
int durable__store_error(durable_store *s, int code, const char *fmt, ...) DURABLE__PRINTF(3, 4);

#endif
