/*
 * WAL write gathering (not API): an SQLite VFS shim under the store's
 * connections that hands SQLite's WAL frame writes to the OS as one write
 * per commit instead of two per frame (SQLite writes each frame's 24-byte
 * header and its page separately). See wal_batch.c for the rules that keep
 * every acknowledged commit in the OS before COMMIT returns.
 */
#ifndef DURABLE_SRC_STORE_WAL_BATCH_H
#define DURABLE_SRC_STORE_WAL_BATCH_H

/* The name to pass to sqlite3_open_v2 for a file connection: the shim over
 * the VFS that is the process default now (registered with SQLite on first
 * use, never the default itself, kept for the life of the process). NULL
 * when it cannot be made (out of memory): open with the default then.
 * Thread-safe. The string is static: never free it. */
const char *durable__wal_batch_vfs(void);

#endif
