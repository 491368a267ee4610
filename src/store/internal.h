/*
 * Internal store API for the engine (not public). The engine is the only
 * writer: it runs each call inside durable__store_begin/commit, prepares its
 * statements through the cache, and turns SQLite failures into library
 * errors with durable__store_fail (which copies SQLite's message at once).
 */
#ifndef DURABLE_SRC_STORE_INTERNAL_H
#define DURABLE_SRC_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "durable/store.h"

/* The connection; borrowed. */
sqlite3 *durable__store_db(durable_store *s);

/* A cached prepared statement for `sql` (keyed by the text), reset and with
 * bindings cleared, ready to bind. Borrowed: never finalize it. */
int durable__store_prepare(sqlite3_stmt **out, durable_store *s, const char *sql);

/* BEGIN IMMEDIATE (waits up to the busy timeout for the write lock). Nested
 * calls are an error: one engine call = one transaction. */
int durable__store_begin(durable_store *s);
/* BEGIN (deferred) for read-only calls, so a reader sees one snapshot. */
int durable__store_begin_read(durable_store *s);
int durable__store_commit(durable_store *s);
/* Roll back if a transaction is open; never fails (errors are ignored so the
 * original error survives). */
void durable__store_rollback(durable_store *s);
int durable__store_in_transaction(durable_store *s);

/* Group commit: BEGIN IMMEDIATE of a transaction that several calls share.
 * Until group_end, each call's begin/commit/rollback above runs as
 * SAVEPOINT/RELEASE/ROLLBACK TO, so a failed call undoes only itself.
 * DURABLE_ESTATE when a transaction or group is already open. */
int durable__store_group_begin(durable_store *s);
/* True when a group is open but SQLite has rolled its transaction back (a
 * call failed with an error that aborts the whole transaction): the writes
 * of the group's earlier calls are gone. */
bool durable__store_group_lost(durable_store *s);
/* End the group: COMMIT (commit true) or ROLLBACK. A failed or impossible
 * COMMIT rolls back and returns its error (DURABLE_EDB, DURABLE_EBUSY, …)
 * with the message set; the group is closed either way. */
int durable__store_group_end(durable_store *s, bool commit);

/* Run SQL without results (may contain several statements). */
int durable__store_exec(durable_store *s, const char *sql);

/* Convert an SQLite result code into a library error: copies the message of
 * the connection into the handle and the thread's last error, prefixed with
 * `what`; returns DURABLE_EBUSY for SQLITE_BUSY/LOCKED, DURABLE_EDB otherwise. */
int durable__store_fail(durable_store *s, int rc, const char *what);

#endif
