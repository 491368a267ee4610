/*
 * libdurable — the store: one SQLite file (or ":memory:") holding every
 * execution, invocation, operation, callback and history event.
 *
 * Opening a file applies the pragmas (WAL, busy_timeout, foreign_keys,
 * synchronous) and migrates the schema forward (schema/NNN_name.sql, embedded
 * at build time, tracked with PRAGMA user_version). A file whose schema is
 * newer than this library, or that is not a libdurable file, is refused with
 * DURABLE_ESCHEMA. Only the engine writes through a store; tools open it
 * read-only.
 *
 * Ownership: durable_store_open returns a handle owned by the caller, closed
 * with durable_store_close (accepts NULL).
 * Thread-safety: a store handle belongs to one thread at a time (the engine's
 * checkpoint server thread serializes access). Separate handles on the same
 * file, in the same or other processes, coordinate through SQLite locking.
 * A writable file store may run one thread of its own, with its own
 * connection, that copies the WAL back into the file (see
 * background_wal_checkpoint); durable_store_close joins it.
 */
#ifndef DURABLE_STORE_H
#define DURABLE_STORE_H

#include <stdbool.h>

#include "durable/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_store durable_store;

typedef enum durable_sync_mode {
    DURABLE_SYNC_NORMAL = 0,
    DURABLE_SYNC_FULL
} durable_sync_mode;

typedef struct durable_store_options {
    /* Open read-only: never creates, migrates or writes (PRAGMA query_only).
     * The file must be at exactly the latest schema version: an older one is
     * refused with DURABLE_ESCHEMA (open it read-write once to migrate it).
     * Not allowed with ":memory:" (DURABLE_EINVAL). */
    bool read_only;
    /* Create the file if it does not exist (ignored for ":memory:"). */
    bool create;
    /* synchronous pragma for file databases. */
    durable_sync_mode sync_mode;
    /* busy_timeout in milliseconds. */
    int busy_timeout_ms;
    /* Copy the WAL back into the database file on a thread of the store's
     * own (with its own connection) instead of inside the commit that takes
     * the WAL past 1,000 frames, so a commit never waits for that copy and
     * its two fsyncs. Past 10,000 frames (the thread cannot keep up) or
     * after the thread failed, commits checkpoint as SQLite does by default.
     * Writable files only: ignored for ":memory:" and read-only stores. The
     * thread starts at the first 1,000 frames and is joined by
     * durable_store_close. Default on. */
    bool background_wal_checkpoint;
    /* Write each WAL frame as SQLite does on its own (its header, then its
     * page: two writes a frame) instead of gathering a commit's frames into
     * one write before COMMIT returns (src/store/wal_batch.c). Equally
     * durable either way; for measuring and comparing. Default false (left
     * out of DURABLE_STORE_OPTIONS_INIT, which zero-fills it). */
    bool wal_write_through;
} durable_store_options;

#define DURABLE_STORE_OPTIONS_INIT { false, true, DURABLE_SYNC_NORMAL, 5000, true }

/* Open (and migrate) the store at path; ":memory:" for a private in-memory
 * database. opts may be NULL for the defaults. Errors: DURABLE_ENOTFOUND (file
 * missing and create is false), DURABLE_ESCHEMA (newer schema / not a
 * libdurable file), DURABLE_EBUSY (locked beyond the busy timeout),
 * DURABLE_EDB (any other SQLite failure, with SQLite's message). */
int durable_store_open(durable_store **out, const char *path, const durable_store_options *opts);

/* Finalize cached statements and close. Accepts NULL. */
void durable_store_close(durable_store *store);

/* Message of the last failure on this handle; "" if none. Borrowed. */
const char *durable_store_errmsg(const durable_store *store);

/* The background WAL checkpointer's failure (other than SQLITE_BUSY, which
 * only means another checkpoint ran): 0 while none, or without one; else a
 * DURABLE_E* code (DURABLE_EDB: SQLite failed; DURABLE_EIO: its thread
 * could not start). The thread stops at its first failure and commits
 * checkpoint the WAL themselves from then on; nothing is lost. Callable from
 * the thread that uses the store. */
int durable_store_wal_checkpoint_status(const durable_store *store);

/* Message of that failure; "" while none. Borrowed: fixed once set, lives as
 * long as the store. */
const char *durable_store_wal_checkpoint_errmsg(const durable_store *store);

/* The path the store was opened with. Borrowed. */
const char *durable_store_path(const durable_store *store);

/* PRAGMA user_version of the open file. */
int durable_store_schema_version(const durable_store *store);

/* Highest schema version this library knows (the last migration). */
int durable_store_latest_schema_version(void);

/* The application_id every libdurable file carries. */
#define DURABLE_STORE_APPLICATION_ID 0x44555242 /* "DURB" */

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_STORE_H */
