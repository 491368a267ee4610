/*
 * libdurable — the checkpoint server thread (DESIGN.md "Concurrency") and the
 * in-process engine client.
 *
 * A durable_server is one thread that owns an engine and its SQLite
 * connection. Other threads (the test runner, handler threads, parallel
 * branches) submit requests through a FIFO queue and block until the server
 * thread has answered; requests therefore never run concurrently and the
 * connection is only ever used by the server thread. Every call is one
 * engine call; reads and durable_server_call requests are never grouped:
 * each engine call they make is its own SQLite transaction.
 *
 * Group commit. The write calls start_execution, start/complete/fail/
 * crash_invocation, checkpoint, callback_success/failure/heartbeat and
 * stop_execution may share one SQLite transaction: when the server takes
 * one of them and another is already queued behind it, it opens one
 * transaction, runs each queued write call (in queue order, while the next
 * queued request is one, up to group_max) in its own savepoint, so a
 * rejected call rolls back only itself and the later calls see exactly the
 * state they would see one at a time, commits once, and answers all of
 * them. No call is answered before the commit that holds its writes, and no
 * call waits for others to arrive: a group only takes what already waits.
 * If that commit fails, every call of the group fails with its error (their
 * writes are gone, and a rejection may have depended on them), and what
 * they put in their out parameters is released as on any failure. Each
 * caller still gets its own code and message.
 *
 * Errors. A call returns the engine's code. When it is negative, the server
 * thread's last error (code and message) is copied into the CALLING thread's
 * durable_error_last(), so error detail survives the thread hop. Server
 * failures: DURABLE_ESERVER once the server is shutting down (the request is
 * not run); DURABLE_ESTATE when called from the server thread itself (a
 * request function calling back into its own server would wait forever).
 *
 * Teardown. durable_server_free stops accepting requests, answers every
 * request already queued (drain), closes what the server opened ON its
 * thread, and joins it.
 *
 * Checkpoint delay. With checkpoint_delay_ms > 0 every checkpoint reply is
 * held back that long before the caller sees it. The delay is spent on the
 * caller's side after the checkpoint has committed, so the server keeps
 * serving other callers meanwhile — that is what lets tests reproduce races
 * such as a callback completing while the SDK is suspending.
 *
 * Ownership. Results are written into caller structs exactly as by the engine
 * functions of the same name (engine.h) and belong to the caller. Inputs are
 * only read during the call (the caller is blocked until the reply, so stack
 * data is fine).
 *
 * Thread-safety. Every function may be called from any thread concurrently,
 * except durable_server_free (once, by the owner, after which no call may
 * start). Several servers (or engines, or processes) on one file coordinate
 * through SQLite locking.
 */
#ifndef DURABLE_SERVER_H
#define DURABLE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "durable/client.h"
#include "durable/common.h"
#include "durable/engine.h"
#include "durable/model.h"
#include "durable/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_server durable_server;

typedef struct durable_server_options {
    /* Store the server opens on its own thread: a file path or ":memory:"
     * (copied). Ignored by durable_server_start_with. */
    const char *path;
    /* Options of that store and of its engine (the engine clock is borrowed
     * and must outlive the server). Ignored by durable_server_start_with. */
    durable_store_options store;
    durable_engine_options engine;
    /* Hold every checkpoint reply back this long (ms); 0 = none. */
    int checkpoint_delay_ms;
    /* How long (µs) a caller waiting for its reply, and the idle server
     * thread waiting for the next request, poll before sleeping. A request
     * usually takes microseconds; waking a sleeping thread costs 5-50 µs
     * (more on virtual machines), so a short poll makes each request/reply
     * cheaper at the price of that much CPU per idle gap. 0 = never poll;
     * ignored on a machine with one online CPU. */
    int spin_us;
    /* Group commit: at most this many waiting write requests share one
     * transaction (see "Group commit" above); <= 1 = every request is its
     * own transaction. */
    int group_max;
} durable_server_options;

#define DURABLE_SERVER_GROUP_MAX 64

#define DURABLE_SERVER_OPTIONS_INIT \
    { ":memory:", DURABLE_STORE_OPTIONS_INIT, DURABLE_ENGINE_OPTIONS_INIT, 0, 200, \
      DURABLE_SERVER_GROUP_MAX }

/*
 * Start a server thread that opens the store at opts->path and an engine over
 * it, both on the new thread, and owns them (closed on teardown, on that
 * thread). opts NULL = defaults (":memory:"). Returns once the thread is
 * serving; if the store or engine cannot be opened the thread is joined and
 * their error is returned (DURABLE_EDB, DURABLE_ESCHEMA, …). DURABLE_ESERVER
 * if the thread cannot be created. *out belongs to the caller
 * (durable_server_free).
 */
int durable_server_start(durable_server **out, const durable_server_options *opts);

/*
 * Start a server thread over an engine the caller already opened (its store
 * included). The engine is handed over, not owned: from this call until
 * durable_server_free returns, no other thread may use the engine or its
 * store; afterwards the caller may use them again and closes them itself.
 * Only opts->checkpoint_delay_ms, opts->spin_us and opts->group_max are
 * read (opts NULL = no delay, the default spin and group size).
 */
int durable_server_start_with(durable_server **out, durable_engine *engine,
                              const durable_server_options *opts);

/* Drain, close what the server opened, join. Accepts NULL. */
void durable_server_free(durable_server *s);

/* Change the checkpoint delay (ms, < 0 treated as 0); takes effect for the
 * next checkpoint reply. */
void durable_server_set_checkpoint_delay(durable_server *s, int delay_ms);

/* Requests answered so far. */
uint64_t durable_server_served(durable_server *s);

/* Of those, requests answered as members of a group of two or more (group
 * commit); for statistics and tests. */
uint64_t durable_server_served_grouped(durable_server *s);

/*
 * The generic call: run fn(engine, arg) on the server thread and return its
 * code (negative codes carry fn's last error over to the caller). fn must not
 * keep the engine pointer and must not call this server.
 */
typedef int (*durable_server_fn)(durable_engine *engine, void *arg);
int durable_server_call(durable_server *s, durable_server_fn fn, void *arg);

/* ---- typed calls: the engine API of engine.h, served by the thread -------- */
/* Same parameters, codes and ownership as the durable_engine_* function of
 * the same name, with the server in place of the engine. */

int durable_server_start_execution(char **out_arn, char **out_op_id, durable_server *s,
                                   const char *function_name, const durable_start_options *opts);
int durable_server_start_invocation(durable_invocation_input *out, char **out_invocation_id,
                                    durable_server *s, const char *arn, int64_t pid);
int durable_server_complete_invocation(durable_invocation_outcome *out, durable_server *s,
                                       const char *arn, const char *invocation_id,
                                       const durable_invocation_output *output);
int durable_server_fail_invocation(durable_invocation_outcome *out, durable_server *s,
                                   const char *arn, const char *invocation_id,
                                   const durable_error_object *invocation_error);
int durable_server_crash_invocation(durable_invocation_outcome *out, durable_server *s,
                                    const char *arn, const char *invocation_id,
                                    const char *exit_status);
/* Subject to the checkpoint delay. */
int durable_server_checkpoint(durable_checkpoint_response *out, durable_server *s,
                              const durable_checkpoint_request *req);
int durable_server_get_state(durable_state_response *out, durable_server *s,
                             const durable_state_request *req);
int durable_server_callback_success(durable_server *s, const char *callback_id,
                                    const char *result, size_t result_len);
int durable_server_callback_failure(durable_server *s, const char *callback_id,
                                    const durable_error_object *error);
int durable_server_callback_heartbeat(durable_server *s, const char *callback_id);
int durable_server_fire_due(int *fired_out, durable_server *s);
int durable_server_next_due(int64_t *when_out, durable_server *s);
/* The engine clock's now (ms). */
int durable_server_now(int64_t *out, durable_server *s);
int durable_server_list_ready(durable_engine_string_list *out, durable_server *s);
int durable_server_execution_state(durable_execution_state *out, durable_server *s,
                                   const char *arn);
int durable_server_execution_status(durable_exec_status *status_out, int64_t *deadline_ms_out,
                                    durable_server *s, const char *arn);
int durable_server_list_chained_waiting(durable_chained_invoke_list *out, durable_server *s);
int durable_server_start_chained_target(char **out_child_arn, durable_server *s,
                                        const char *parent_arn, const char *op_id);
int durable_server_mark_chained_dispatched(durable_server *s, const char *parent_arn,
                                           const char *op_id);
int durable_server_complete_chained_invoke(durable_server *s, const char *parent_arn,
                                           const char *op_id, durable_chained_outcome_kind kind,
                                           const char *result, const durable_error_object *error);
int durable_server_stop_execution(durable_stop_response *out, durable_server *s,
                                  const durable_stop_request *req);
int durable_server_get_execution(durable_execution_info *out, durable_server *s,
                                 const char *arn);
int durable_server_list_executions(durable_list_response *out, durable_server *s,
                                   const durable_list_request *req);
int durable_server_get_history(durable_history_response *out, durable_server *s,
                               const durable_history_request *req);
int durable_server_get_operation(durable_operation *out, durable_server *s, const char *arn,
                                 const char *op_id);
int durable_server_list_operations(durable_operation_list *out, durable_server *s,
                                   const char *arn);
int durable_server_list_invocations(durable_invocation_info_list *out, durable_server *s,
                                    const char *arn);
int durable_server_list_callbacks(durable_callback_info_list *out, durable_server *s,
                                  const char *arn);
int durable_server_list_inflight(durable_inflight_list *out, durable_server *s,
                                 const char *function_name);

/* ---- the in-process engine client (client.h) ------------------------------ */

/*
 * A durable_client (checkpoint, get state, callback success/failure/heartbeat)
 * over a server: what the SDK uses to talk to the in-process engine. The
 * server is borrowed and must outlive the client; the client is owned by the
 * caller (durable_client_free). Safe to use from several threads at once.
 * Error mapping (client.h): DURABLE_ETOKEN stays DURABLE_ETOKEN ("Invalid
 * checkpoint token"); DURABLE_EBUSY (database locked beyond the busy timeout)
 * becomes DURABLE_ETHROTTLED so the SDK retries; every other code passes
 * through with the engine's message.
 */
int durable_engine_client_new(durable_client **out, durable_server *server);

/*
 * The same client directly over an engine, without a thread (tools and
 * single-threaded tests). The engine is borrowed, must outlive the client,
 * and the client may then only be used by the thread that uses the engine.
 */
int durable_engine_client_new_direct(durable_client **out, durable_engine *engine);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_SERVER_H */
