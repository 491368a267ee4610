/*
 * The checkpoint batcher (internal to the SDK; SPEC §10.13, seed design
 * 004): collects operation updates from every thread of one invocation and
 * sends them to the service in checkpoint calls, one call at a time. A
 * caller that must wait (sync enqueue, flush, refresh, stop) makes the call
 * on its own thread when none is in flight; async updates nobody waits for
 * are sent by a background loop started on the first async enqueue, on a
 * borrowed checkpoint worker (durable__batcher_set_worker) or its own thread.
 *
 * Per call it respects a byte limit (compact JSON of every update + token
 * length + 100), an update-count limit and, for async updates, a delay that
 * lets more updates join. Updates are ordered by durable__batcher_sort.
 * The token hands off from call to call: the first call uses the
 * invocation's token, each next call the token of the previous response.
 *
 * Rules enforced here so callers need not care:
 *  - one update per Id per call, except a STEP/CONTEXT START plus one
 *    completion of the same Id (a further update waits for the next call);
 *  - orphans are dropped silently: an update whose ancestor CONTEXT has
 *    completed, or has a completion queued or sent, is never sent;
 *  - a call closes as soon as the queue is empty and a sync caller waits
 *    (no sync caller ever waits for the max_delay timer);
 *  - a ClientToken (fresh UUID) per logical call, reused on throttling
 *    retries; DURABLE_ETOKEN ("Invalid Checkpoint Token") is never retried;
 *  - a response without a CheckpointToken means the execution closed:
 *    everything still queued fails with DURABLE_ESTATE.
 *
 * Thread-safety: every function except _free may be called from any thread
 * concurrently. The merge callback runs on the thread that made the call
 * (a waiting caller's or the background thread), never with a batcher lock
 * held; calls are serialized, so merges are too.
 */
#ifndef DURABLE_SRC_SDK_BATCHER_H
#define DURABLE_SRC_SDK_BATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "durable/client.h"
#include "durable/common.h"
#include "durable/model.h"
#include "sdk/ckpt_worker.h"

typedef struct durable__batcher durable__batcher;

typedef struct durable__batcher_options {
    size_t max_bytes;       /* 750 KiB: serialized updates + token length + 100 bytes per call */
    size_t max_updates;     /* 200 */
    int max_delay_ms;       /* how long an async update may wait for more to join its batch */
    int throttle_retries;   /* 5 */
    int backoff_initial_ms; /* 100, doubling */
    int backoff_max_ms;     /* 10000 */
} durable__batcher_options;
#define DURABLE__BATCHER_OPTIONS_INIT { 768000, 200, 10, 5, 100, 10000 }

/* Called (on the thread that made the call) with each response's NewExecutionState
 * operations (a delta) so the SDK merges them into its state, before any
 * sync waiter of that batch is woken. ops belongs to the batcher, which
 * clears it after the call: the callee may move operations out of it
 * (leaving them zeroed) instead of copying them. */
typedef void (*durable__batcher_merge_fn)(void *user, durable_operation_list *ops);

/* client and merge are borrowed (they must outlive the batcher); arn and
 * token are copied. opts NULL = defaults; max_bytes/max_updates 0 and
 * negative delays/counts take the default (0 ms delays and 0 retries are
 * honoured). Starts no thread: the first async enqueue does (or hands the
 * loop to the worker, see durable__batcher_set_worker). */
int durable__batcher_new(durable__batcher **out, durable_client *client, const char *arn,
                         const char *checkpoint_token, const durable__batcher_options *opts,
                         durable__batcher_merge_fn merge, void *merge_user);

/* Queue one update (deep-copied). sync=true blocks until the call carrying it was
 * answered and merged, and returns that call's status (0, DURABLE_ETOKEN, a rejection,
 * DURABLE_ETHROTTLED after the retries). A dropped orphan counts as answered (0).
 * sync=false returns 0 at once; a later failure becomes the sticky status. After a
 * failure or after the execution closed, or after _stop, enqueue returns the sticky
 * error / DURABLE_ESTATE without queuing. */
int durable__batcher_enqueue(durable__batcher *b, const durable_operation_update *u, bool sync);

/* One empty-Updates call (state refresh), synchronous; merged like any response.
 * Updates already queued may travel in the same call. */
int durable__batcher_refresh(durable__batcher *b);

/* Block until everything queued so far was sent and answered; returns the sticky status. */
int durable__batcher_flush(durable__batcher *b);

/* Sticky status (0 or the first failure code) and its message (borrowed,
 * "" when none; valid until the batcher is freed). */
int durable__batcher_status(durable__batcher *b);
const char *durable__batcher_errmsg(durable__batcher *b);

/* True once a response came back without a CheckpointToken (execution closed). */
bool durable__batcher_closed(durable__batcher *b);

/* Flush, stop and join the sender loop (if one was started: its thread, or its
 * job on the worker); later enqueues are refused locally (DURABLE_ESTATE).
 * Idempotent. */
void durable__batcher_stop(durable__batcher *b);
void durable__batcher_free(durable__batcher *b); /* stops first; accepts NULL */

/* The pure ordering used for every batch (exposed for property tests): stable sort of
 * updates[0..n) by SPEC §10.13 rules: EXECUTION completion last; a CONTEXT START before
 * every update whose ancestor chain (through ParentId links of the updates in the batch
 * and of `known_parent(user, id)` for ids not started in the batch; known_parent may be
 * NULL) contains it; START before the completion of the same Id; otherwise queue order.
 * Moves the structs in place; allocates nothing on the caller's behalf. */
typedef const char *(*durable__parent_lookup_fn)(void *user, const char *op_id);
void durable__batcher_sort(durable_operation_update *updates, size_t n,
                           durable__parent_lookup_fn known_parent, void *user);

/* Run the async sender loop on w (borrowed: it must outlive the batcher)
 * instead of a thread of the batcher's own, when w is idle at the first
 * async enqueue; when w is busy (another batcher's loop), in another
 * process (fork) or NULL, the batcher starts its own thread as without a
 * worker. Call before the first enqueue; ignored once the loop started. */
void durable__batcher_set_worker(durable__batcher *b, durable__ckpt_worker *w);

/* ---- test hooks (additions to the agreed API) ------------------------------------ */

/* Replace the sleep used for the throttling backoff (tests record the
 * delays instead of sleeping). Call before the first enqueue; NULL restores
 * nanosleep. */
typedef void (*durable__batcher_sleep_fn)(void *user, int ms);
void durable__batcher_set_sleep(durable__batcher *b, durable__batcher_sleep_fn fn, void *user);

/* Where the batcher learns ParentId links it has not seen in this
 * invocation (operations of the initial state), for orphan dropping and
 * the sort. Called from any batcher caller's thread and from the batcher
 * thread, never with the batcher's lock held; the returned text must stay
 * valid while the batcher lives or until the next call. Optional; call
 * before the first enqueue. */
void durable__batcher_set_parent_lookup(durable__batcher *b, durable__parent_lookup_fn fn,
                                        void *user);

/* The backoff before retry number `retry` (1-based) with these options:
 * initial * 2^(retry-1), capped at backoff_max_ms. Pure. */
int durable__batcher_backoff_ms(const durable__batcher_options *opts, int retry);

#endif
