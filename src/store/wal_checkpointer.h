/*
 * The background WAL checkpointer of a writable file store (not API).
 *
 * SQLite's default runs a WAL checkpoint inside the COMMIT that takes the WAL
 * past 1,000 frames: the committing connection copies every page back into
 * the database file and waits for two fdatasync calls. In libdurable that
 * connection is the engine's server thread, the one serialisation point of
 * `durable serve`, so every request queued behind that commit waits too.
 * Instead, the store installs a WAL hook on its connection (replacing
 * SQLite's autocheckpoint) that wakes a thread with its own connection to the
 * same file, which runs PASSIVE checkpoints there.
 *
 * Policy (the hook runs on the writer after each commit, with the WAL's
 * frame count; below the cap it makes no system call except a
 * condition-variable signal every THRESHOLD frames):
 *  - each time the writer has added DURABLE__WALCKPT_THRESHOLD frames, it
 *    wakes the thread (the first time it also starts it, so a store that
 *    never writes that much has no thread and no second connection);
 *  - from DURABLE__WALCKPT_CAP frames on (the thread cannot keep up, or is
 *    not scheduled), the writer runs a PASSIVE checkpoint itself after each
 *    commit, as SQLite does by default past 1,000; first it waits for a
 *    pass under way to end (it holds the checkpoint lock: the writer's
 *    would only return SQLITE_BUSY) and keeps the thread from starting
 *    another, so the WAL holds at most the cap and one commit (unless a
 *    reader's snapshot pins frames, as with SQLite's default);
 *  - once the thread has failed with anything but SQLITE_BUSY, it stops and
 *    the writer checkpoints itself past the threshold, as SQLite does by
 *    default; the failure stays readable (durable_store_wal_checkpoint_status
 *    and _errmsg). Reopening the store starts a new thread.
 * A WAL restarts from its first frame only once every frame is back in the
 * database file, at the writer's next commit. Under a writer that never
 * pauses, the thread trails it by the frames committed during its own pass,
 * so the WAL grows to the cap and the writer's checkpoint there copies only
 * that tail. Under bursty traffic the thread catches up between bursts and
 * the WAL restarts near the threshold, as with SQLite's default.
 *
 * Ownership: a checkpointer belongs to its store (store.c creates it at open
 * and frees it at close, before the store's connection closes, so that
 * connection is the last and still runs the final checkpoint).
 * Thread-safety: the hook and every function here run on the thread that
 * owns the store; the checkpointer's own thread shares only the fields its
 * mutex guards. fork() waits for a pass under way to end (pthread_atfork),
 * so a child never inherits SQLite's state from the middle of one.
 */
#ifndef DURABLE_SRC_STORE_WAL_CHECKPOINTER_H
#define DURABLE_SRC_STORE_WAL_CHECKPOINTER_H

#include <sqlite3.h>
#include <stdbool.h>

#include "durable/store.h"

/* SQLite's default autocheckpoint interval, and the WAL size (10x) past
 * which the writer no longer waits for the thread. */
#define DURABLE__WALCKPT_THRESHOLD 1000
#define DURABLE__WALCKPT_CAP (10 * DURABLE__WALCKPT_THRESHOLD)

typedef struct durable__walckpt durable__walckpt;

/* Install the hook on db, the store's open connection to a WAL file at path
 * (the thread's connection uses the same file and VFS, found through db).
 * DURABLE_ENOMEM or DURABLE_EIO (mutex/condition setup), with the thread's
 * last error set; nothing is installed then. */
int durable__walckpt_new(durable__walckpt **out, sqlite3 *db, int busy_timeout_ms);
/* Stop the thread (interrupting a pass under way), join it, close its
 * connection and remove the hook from db. Accepts NULL. */
void durable__walckpt_free(durable__walckpt *c, sqlite3 *db);
/* Register the fork handlers (once per process; DURABLE_ENOMEM when
 * pthread_atfork cannot). A module whose own fork handler takes a lock
 * held around store opens (the server queue's) registers after calling
 * this: prepare handlers run in the reverse order of registration, so
 * its own then runs first and both take their locks in one order. */
int durable__walckpt_atfork_register(void);

/* The thread's failure: 0 while none, else a DURABLE_E* code (DURABLE_EDB
 * for an SQLite error, DURABLE_EIO when the thread could not start). */
int durable__walckpt_status(const durable__walckpt *c);
/* Its message ("" while none). Borrowed: it never changes once set. */
const char *durable__walckpt_errmsg(const durable__walckpt *c);

/* What happened so far, for tests and benchmarks. */
typedef struct durable__walckpt_stats {
    bool started;        /* the thread exists */
    bool running;        /* a pass is under way now */
    long wakes;          /* times the writer woke the thread */
    long passes;         /* passes the thread finished, whatever their result */
    long busy;           /* of those, SQLITE_BUSY (another checkpoint held the lock) */
    int log_frames;      /* after the thread's last successful pass: frames in the WAL */
    int backfilled;      /* ... and of those, frames back in the database file */
    long writer_passes;  /* checkpoints the writer ran itself (cap or fallback) */
    int wal_frames;      /* frames in the WAL after the last commit */
} durable__walckpt_stats;

/* The store's checkpointer; NULL when it has none (store.c). Borrowed. */
durable__walckpt *durable__store_walckpt(durable_store *s);
/* Stats; all zero for NULL. */
void durable__walckpt_read_stats(const durable__walckpt *c, durable__walckpt_stats *out);
/* For tests: while paused the thread starts no pass (a wake is kept for
 * later); pausing waits for a pass under way to end. Accepts NULL. */
void durable__walckpt_pause(durable__walckpt *c, bool paused);

#endif
