/*
 * Internal (not API): a worker thread that owns one context and runs
 * closures submitted by other threads, one at a time, in submission order.
 * It is the mechanism under durable_server (include/durable/server.h) and
 * knows nothing about the engine: the context is opened and closed ON the
 * worker thread by the hooks, so a SQLite connection never crosses threads
 * while in use.
 *
 * A caller blocks until its closure has run and then receives the closure's
 * return code; when that code is negative, the worker's thread-local last
 * error (code and message) is copied into the caller's last error, so error
 * detail survives the thread hop.
 *
 * Thread-safety: durable__squeue_call may be called from any number of
 * threads concurrently. durable__squeue_stop must be called once, by the
 * owner, after which the handle is gone.
 */
#ifndef DURABLE_SRC_ENGINE_SERVER_QUEUE_H
#define DURABLE_SRC_ENGINE_SERVER_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct durable__squeue durable__squeue;

/* Opens the context on the worker thread. Returns 0 and sets *ctx_out, or a
 * negative code with the last error set (start then fails with it). */
typedef int (*durable__squeue_open_fn)(void **ctx_out, void *user);
/* Closes the context on the worker thread after the queue is drained. */
typedef void (*durable__squeue_close_fn)(void *ctx, void *user);
/* A request: runs on the worker thread with the context. */
typedef int (*durable__squeue_fn)(void *ctx, void *arg);

/* Spawn the worker and wait until open_fn has run there. On failure the
 * thread is joined, nothing is left behind, and open_fn's error (or the
 * thread-creation error) is the caller's last error. */
int durable__squeue_start(durable__squeue **out, durable__squeue_open_fn open_fn,
                          durable__squeue_close_fn close_fn, void *user);

/* Run fn(ctx, arg) on the worker and wait for it. Returns fn's code.
 * DURABLE_ESERVER when the queue is shutting down (fn is not run);
 * DURABLE_ESTATE when called from the worker thread itself (it would wait
 * for itself forever). */
int durable__squeue_call(durable__squeue *q, durable__squeue_fn fn, void *arg);

/* Group commit. A request submitted with durable__squeue_call_grouped may
 * share one transaction with the grouped requests queued right behind it:
 * when the worker takes a grouped request and the next queued request is
 * grouped too, it calls begin, runs them one after the other (taking each
 * following grouped request that is already queued, up to max), calls end,
 * and only then answers all of them. A group never waits for requests to
 * arrive. When a member fails and lost() says the transaction is gone, or
 * end fails, every member is answered with that failure, and the undo of
 * each member whose closure had succeeded releases what it wrote into its
 * caller's structs. Hooks run on the worker with the context. */
typedef void (*durable__squeue_undo_fn)(void *arg);
typedef struct durable__squeue_group {
    int (*begin)(void *ctx);             /* open the transaction; < 0 with last error */
    bool (*lost)(void *ctx);             /* after a member failed */
    int (*end)(void *ctx, bool commit);  /* commit (or roll back); < 0 with last error */
    int max;                             /* members per group; <= 1 = no groups */
} durable__squeue_group;

/* Set (or with NULL / max <= 1, turn off) grouping; takes effect for the
 * next request the worker takes. */
void durable__squeue_set_group(durable__squeue *q, const durable__squeue_group *g);

/* durable__squeue_call for a request that may join a group. undo may be
 * NULL (nothing to release). */
int durable__squeue_call_grouped(durable__squeue *q, durable__squeue_fn fn, void *arg,
                                 durable__squeue_undo_fn undo);

/* Requests answered as members of a group of two or more. */
uint64_t durable__squeue_served_grouped(durable__squeue *q);

/* Stop accepting requests, let the worker answer every request already
 * queued, close the context on the worker, join it and free the queue.
 * Accepts NULL. */
void durable__squeue_stop(durable__squeue *q);

/* How long (µs) a caller waiting for its reply, and the idle worker
 * waiting for the next request, poll before sleeping on a condition
 * variable. 0 (the default) = never poll; forced to 0 on a machine with one
 * online CPU. May be changed at any time. */
void durable__squeue_set_spin(durable__squeue *q, int64_t spin_us);

/* Requests answered so far (for tests and statistics). */
uint64_t durable__squeue_served(durable__squeue *q);

/* Requests queued and not yet taken by the worker. */
size_t durable__squeue_pending(durable__squeue *q);

/* True once durable__squeue_stop has begun. */
bool durable__squeue_stopping(durable__squeue *q);

/* True when the calling thread is the worker. */
bool durable__squeue_on_worker(durable__squeue *q);

#endif
