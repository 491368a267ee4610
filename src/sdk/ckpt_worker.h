/*
 * The checkpoint worker (internal to the library): one long-lived thread
 * that runs one checkpoint batcher's async sender loop at a time, so a
 * process that hosts invocation after invocation (the in-process test
 * runner) starts one sender thread, not one per invocation.
 *
 * Ownership: the worker belongs to whoever created it (the test
 * environment owns one for its in-process invocations) and is freed by
 * that owner with durable__ckpt_worker_free, after every batcher that
 * borrowed it was stopped. A batcher borrows it (durable__batcher_set_worker)
 * for its whole life; while one batcher's loop runs on it, another batcher
 * that asks finds it busy and starts a thread of its own — nobody ever waits
 * for the worker to become free.
 *
 * The thread is started on the first job, not by _new, and joined by _free.
 * It belongs to the process that created the worker: after a fork the child
 * finds the worker unusable (its thread does not exist there) and callers
 * fall back to their own threads, without touching the worker's locks.
 *
 * Includes no SDK or engine header, so both sides of the test runner can
 * hold one.
 */
#ifndef DURABLE_SRC_SDK_CKPT_WORKER_H
#define DURABLE_SRC_SDK_CKPT_WORKER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct durable__ckpt_worker durable__ckpt_worker;

/* A new, idle worker (no thread yet) in *out, owned by the caller.
 * 0, DURABLE_EINVAL (out NULL), DURABLE_ENOMEM or DURABLE_ERROR (locks). */
int durable__ckpt_worker_new(durable__ckpt_worker **out);

/* Join the thread (if one was started) and free. Accepts NULL. If a job
 * is still running, waits for it to return first: free the worker only
 * after every batcher that borrowed it was stopped. */
void durable__ckpt_worker_free(durable__ckpt_worker *w);

/* Run fn(arg) on the worker's thread if the worker is idle: returns true
 * and sets *ticket, which durable__ckpt_worker_wait takes. Returns false,
 * at once and without running fn, when the worker is NULL or busy, is
 * being freed, was created by another process (fork), or its thread
 * cannot be started; the caller then runs fn some other way. */
bool durable__ckpt_worker_try_run(durable__ckpt_worker *w, void *(*fn)(void *), void *arg,
                                  uint64_t *ticket);

/* Block until the job `ticket` has returned. Everything fn did happens
 * before this returns (as with pthread_join), so the caller may free what
 * fn used. Any thread may wait, several at once. */
void durable__ckpt_worker_wait(durable__ckpt_worker *w, uint64_t ticket);

/* Jobs that have returned, and threads started over the worker's life
 * (0 before the first job, then 1): for tests and statistics. */
uint64_t durable__ckpt_worker_served(durable__ckpt_worker *w);
int durable__ckpt_worker_threads(durable__ckpt_worker *w);

#endif
