/*
 * libdurable — the engine: the durable-execution service of SPEC.md §5–§9 over
 * one SQLite store. It owns every service rule: executions, invocations,
 * checkpoint validation and processors, tokens, deltas, state pages,
 * callbacks, timers, chained invokes, stop/timeout and history events.
 *
 * Transactions. Every call is one SQLite transaction: BEGIN IMMEDIATE for
 * calls that write, a read transaction for calls that only read. A call
 * validates everything first and then applies; any failure rolls back and
 * leaves the file exactly as it was ("a rejected call changes nothing").
 *
 * Errors. Calls return 0 or a negative DURABLE_E* code (common.h). Every
 * failure records three things:
 *  - durable_engine_error_text(e): exactly the SPEC text of the failure (for
 *    example "Invalid Checkpoint Token", "Invalid current STEP state to
 *    close.", "Callback not found.") — what the HTTP front puts into the
 *    error body's `message`; byte-for-byte as SPEC §3.2/§5.6/§6.4/§7.4;
 *  - durable_engine_errmsg(e): the same text prefixed with where it happened,
 *    "Updates[2] (id c4ca4238a0b92382): Invalid current STEP state to close."
 *    (the SPEC text is always the suffix, so it stays findable);
 *  - the thread-local durable_error_last(): code and the errmsg text.
 *  durable_engine_exception_name(code) maps a code to the service exception
 *  (InvalidParameterValueException, CallbackTimeoutException, …).
 *
 * Codes used by the engine:
 *   DURABLE_ENOTFOUND          unknown execution, operation, invocation, callback
 *                              ("Callback not found."), chained invoke
 *   DURABLE_EEXISTS            execution name already used for the function
 *   DURABLE_ETOKEN             "Invalid Checkpoint Token"
 *   DURABLE_EINVAL             request validation (§5.6 texts, sizes, UTF-8,
 *                              MaxItems), invalid arguments
 *   DURABLE_EMARKER            "Invalid marker"
 *   DURABLE_ECALLBACK_TIMEOUT  "Callback timed out."
 *   DURABLE_ECALLBACK_DONE     "Callback has already been completed."
 *   DURABLE_ECLOSED            "Execution is not running."
 *   DURABLE_EBUSY              an invocation is already in flight; or the
 *                              database is locked beyond the busy timeout
 *   DURABLE_ESTATE             the call does not fit the current state (e.g.
 *                              an invocation completed twice)
 *   DURABLE_ENOMEM, DURABLE_EDB, DURABLE_EPARSE  internal failures
 *
 * Ownership. The store passed to durable_engine_open is borrowed and must
 * outlive the engine. Results are written into caller structs (zeroed or
 * _init'ed by the caller) and belong to the caller, who releases them with
 * the model's _clear functions or the _clear functions below. Input pointers
 * are only read during the call. Text returned through char ** is freed with
 * durable_free.
 *
 * Thread-safety. An engine handle (like its store) is used by one thread at
 * a time; the checkpoint server thread serializes requests for the in-process
 * case. Several engines (threads or processes) on the same *file* coordinate
 * through SQLite locking: each call is atomic against the others.
 *
 * Time. All timestamps and deadlines come from the options' clock. The engine
 * never sleeps and never starts threads: durable_engine_fire_due() fires what
 * is due at the clock's now, durable_engine_next_due() tells when the next
 * timer is due (a runner skipping time advances its virtual clock there).
 */
#ifndef DURABLE_ENGINE_H
#define DURABLE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "durable/clock.h"
#include "durable/common.h"
#include "durable/model.h"
#include "durable/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_engine durable_engine;

typedef struct durable_engine_options {
    /* Source of every timestamp and deadline; borrowed, must outlive the
     * engine. NULL = the real clock. */
    const durable_clock *clock;
    /* ARN parts (copied); NULL = "us-east-1" / "123456789012". */
    const char *region;
    const char *account;
    /* ExecutionTimeout of executions started without one (SPEC §8.1). */
    int64_t default_execution_timeout_seconds;
    /* Consecutive invocation errors that close the execution FAILED (§8.4). */
    int max_invocation_failures;
    /* Delay before re-invoking after an invocation error (§8.4). */
    int64_t invocation_retry_backoff_ms;
    /* An invocation in flight longer than this is closed by fire_due with
     * Sandbox.Timedout (§8.4); 0 = never. */
    int64_t invocation_timeout_seconds;
    /* First page of InitialExecutionState: max operations (§7.4). */
    int64_t initial_state_max_items;
} durable_engine_options;

#define DURABLE_ENGINE_OPTIONS_INIT { NULL, NULL, NULL, 31622400, 5, 5000, 900, 1000 }

/* Open an engine over an open store (borrowed). opts NULL = defaults.
 * Errors: DURABLE_EINVAL (bad options), DURABLE_ENOMEM. */
int durable_engine_open(durable_engine **out, durable_store *store,
                        const durable_engine_options *opts);
/* Close the engine (not the store). Accepts NULL. */
void durable_engine_close(durable_engine *e);

/* The failure of the last call on this handle; "" after a success.
 * Borrowed, valid until the next call on the handle. See "Errors" above. */
const char *durable_engine_errmsg(const durable_engine *e);
const char *durable_engine_error_text(const durable_engine *e);
int durable_engine_errcode(const durable_engine *e);
/* Service exception name for a code: InvalidParameterValueException,
 * CallbackTimeoutException, ResourceNotFoundException,
 * DurableExecutionAlreadyStartedException, TooManyRequestsException or
 * ServiceException. Static text, never NULL. */
const char *durable_engine_exception_name(int code);

/* The engine clock's now, in epoch ms. */
int64_t durable_engine_now(const durable_engine *e);
/* The store; borrowed. */
durable_store *durable_engine_store(durable_engine *e);

/* ---- starting executions (SPEC §8.1) ----------------------------------- */

typedef struct durable_start_options {
    /* DurableExecutionName, 1–64 [a-zA-Z0-9-_]; NULL = a generated UUID. */
    const char *execution_name;
    /* Qualifier of the function; NULL = "$LATEST". */
    const char *qualifier;
    /* Input stored verbatim (≤ 6 MiB, UTF-8); NULL = absent (JSON null). */
    const char *input_payload;
    /* ExecutionTimeout in 1–31,622,400 s; 0 = the engine default. */
    int64_t timeout_seconds;
    /* Tenant id carried by the execution (chained invokes pass it on). */
    const char *tenant_id;
} durable_start_options;

#define DURABLE_START_OPTIONS_INIT { NULL, NULL, NULL, 0, NULL }

/*
 * Start an execution of `function_name` (a bare name, 1–140 chars): creates
 * the RUNNING execution, its EXECUTION operation (STARTED, InputPayload) and
 * event 1 ExecutionStarted{Input, ExecutionTimeout}; arms the execution
 * deadline; marks it as needing its first invocation.
 * *out_arn: the new ARN (caller frees). out_op_id (nullable): the EXECUTION
 * operation id (= the ARN's last segment; caller frees).
 * Errors: DURABLE_EINVAL (name, payload size, timeout), DURABLE_EEXISTS when
 * the name is already used for the same function and qualifier — then
 * *out_arn is set to the EXISTING execution's ARN (for the 409 body).
 */
int durable_engine_start_execution(char **out_arn, char **out_op_id, durable_engine *e,
                                   const char *function_name, const durable_start_options *opts);

/* ---- invocations (SPEC §8.2–§8.5) --------------------------------------- */

/*
 * Start an invocation of an open, idle execution: new invocation id
 * (RequestId), new checkpoint token, InitialExecutionState (first page,
 * pruned per §7.4, NextMarker "" when complete), UpdatedOperationIds (the
 * undelivered set, NULL when empty). Clears needs_invocation and any
 * invocation-retry backoff; the whole current state counts as delivered.
 * pid: the process that will run the handler (0 = unknown), kept for crash
 * detection. *out is filled (caller clears); *out_invocation_id (caller
 * frees) is needed to complete the invocation.
 * Errors: DURABLE_ENOTFOUND, DURABLE_ECLOSED (not running), DURABLE_EBUSY
 * (an invocation is already in flight).
 */
int durable_engine_start_invocation(durable_invocation_input *out, char **out_invocation_id,
                                    durable_engine *e, const char *arn, int64_t pid);

/* What completing or failing an invocation led to. */
typedef struct durable_invocation_outcome {
    /* The invocation had already been closed by stop or timeout (§8.3 step
     * 1): nothing was recorded and the output was ignored. */
    bool ignored;
    /* Execution status after the call. */
    durable_exec_status status;
    /* A new invocation should start now (a trigger occurred during the
     * invocation, §8.5). */
    bool needs_invocation;
    /* Invocation-error backoff: re-invoke when the clock reaches this (ms);
     * 0 = none. */
    int64_t retry_at_ms;
} durable_invocation_outcome;

/*
 * Complete an invocation with the handler's output (§8.3): appends
 * InvocationCompleted{StartTimestamp, EndTimestamp, RequestId}; then the
 * deferred terminal event if an EXECUTION checkpoint closed the execution
 * (output ignored); else validates the output: SUCCEEDED → ExecutionSucceeded,
 * FAILED → ExecutionFailed, valid PENDING releases the gate, anything else
 * closes FAILED with ErrorType InvalidInvocationOutput (PENDING with nothing
 * pending and no trigger: "Cannot return PENDING status with no pending
 * operations."). A valid output resets the invocation-failure count. When the
 * execution is a chained-invoke target, its closure completes the parent's
 * CHAINED_INVOKE operation. out (nullable) tells what happened.
 * Errors: DURABLE_ENOTFOUND (execution or invocation), DURABLE_ESTATE (the
 * invocation was already completed normally).
 */
int durable_engine_complete_invocation(durable_invocation_outcome *out, durable_engine *e,
                                       const char *arn, const char *invocation_id,
                                       const durable_invocation_output *output);

/*
 * Record an invocation error (§8.4): InvocationCompleted{…, Error}; the
 * invocation's tokens die; then either the deferred terminal event, or the
 * execution closes FAILED with ExecutionFailed{Error: invocation_error} when
 * this is the max_invocation_failures-th consecutive failure, or a re-invoke
 * is scheduled after the backoff. invocation_error NULL means {}.
 * Errors as durable_engine_complete_invocation.
 */
int durable_engine_fail_invocation(durable_invocation_outcome *out, durable_engine *e,
                                   const char *arn, const char *invocation_id,
                                   const durable_error_object *invocation_error);

/* Crash of the process running an invocation: fail_invocation with
 * {ErrorType:"Runtime.ExitError", ErrorMessage:"RequestId: <id> Error:
 * Runtime exited with error: <exit_status>"} (exit_status e.g. "exit status
 * 1", "signal: killed"). */
int durable_engine_crash_invocation(durable_invocation_outcome *out, durable_engine *e,
                                    const char *arn, const char *invocation_id,
                                    const char *exit_status);

/* ---- checkpoint and state (SPEC §5, §6, §7) ----------------------------- */

/*
 * CheckpointDurableExecution, processing order of §5.1 exactly: unknown ARN
 * → DURABLE_ENOTFOUND; ClientToken replay returns the stored response and
 * changes nothing; token check (DURABLE_ETOKEN); whole-batch validation
 * (DURABLE_EINVAL with the §5.6 texts; errmsg names Updates[i] and the id);
 * apply (§6), events in update order, token sequence +1, delta (§7.3),
 * idempotency record; one transaction. *out: the new token (NULL when the
 * checkpoint closed the execution) and the changed operations only.
 */
int durable_engine_checkpoint(durable_checkpoint_response *out, durable_engine *e,
                              const durable_checkpoint_request *req);

/*
 * GetDurableExecutionState (§7.4): valid token required (not consumed),
 * pruned operations in start order, EXECUTION first; MaxItems 0 = 100, at
 * most 1,000 (else DURABLE_EINVAL); NextMarker NULL on the last page.
 * A bad marker → DURABLE_EMARKER "Invalid marker".
 */
int durable_engine_get_state(durable_state_response *out, durable_engine *e,
                             const durable_state_request *req);

/* ---- callbacks (SPEC §6.4) ---------------------------------------------- */

/*
 * External completion of a callback, exactly once (UPDATE … WHERE status =
 * 'STARTED'). result: raw body bytes (UTF-8, ≤ 262,144; NULL/0 = no Result).
 * error NULL = {} (≤ 32,768 bytes serialized). A heartbeat pushes the
 * heartbeat deadline (no-op without a heartbeat timeout) and writes no event.
 * Errors: DURABLE_ENOTFOUND "Callback not found.", DURABLE_ECALLBACK_TIMEOUT
 * "Callback timed out.", DURABLE_ECALLBACK_DONE "Callback has already been
 * completed.", DURABLE_ECLOSED "Execution is not running.", DURABLE_EINVAL
 * (size / UTF-8). A rejected call changes nothing.
 */
int durable_engine_callback_success(durable_engine *e, const char *callback_id,
                                    const char *result, size_t result_len);
int durable_engine_callback_failure(durable_engine *e, const char *callback_id,
                                    const durable_error_object *error);
int durable_engine_callback_heartbeat(durable_engine *e, const char *callback_id);

/* ---- timers (SPEC §6.8, §8.4, §8.6, §8.7) -------------------------------- */

/*
 * Fire everything due at the engine clock's now, in deadline order, then
 * start-sequence order: waits → SUCCEEDED + WaitSucceeded; retries → READY;
 * callback deadlines → TIMED_OUT + CallbackTimedOut (Callback.Timeout wins a
 * tie with Callback.Heartbeat); execution deadlines → TIMED_OUT +
 * ExecutionTimedOut (in-flight invocation closed first, §8.6); invocation
 * backoff → needs invocation; invocation timeout → Sandbox.Timedout
 * invocation error. fired_out (nullable): how many timers fired.
 */
int durable_engine_fire_due(int *fired_out, durable_engine *e);

/* Earliest armed timer of any open execution (ms). DURABLE_ENOTFOUND (with
 * *when_out untouched) when none is armed. */
int durable_engine_next_due(int64_t *when_out, durable_engine *e);

/*
 * fire_due and next_due restricted to the timers of the executions named by
 * arns[0..count): a timer of any other execution on the file is neither
 * reported nor fired, however early it is due (a runner sharing its file
 * with other runners, the CLI or a second engine must not fire their waits,
 * retries, callback timeouts or invocation and execution deadlines). Across
 * the set the firing order is fire_due's. A firing may still change an
 * execution outside the set exactly as under fire_due (a chained target
 * that times out completes its parent's CHAINED_INVOKE operation). A closed
 * execution has no timers. arns and its strings are borrowed for the call;
 * duplicates are allowed; count 0 is the empty set (nothing fires; next_due_of
 * → DURABLE_ENOTFOUND). Errors: DURABLE_EINVAL "Execution not found." (where:
 * "arns[i] <arn>") when an ARN names no execution of the file, and for a
 * NULL arns with count > 0 or a NULL entry — nothing fires then; otherwise
 * as fire_due / next_due (DURABLE_ENOTFOUND "No timer is armed." when no
 * timer of the set is armed, *when_out untouched). Cost: one ARN lookup per
 * entry, then each execution's own armed timers through per-execution
 * indexes: it does not grow with the timers of other executions.
 */
int durable_engine_fire_due_of(int *fired_out, durable_engine *e, const char *const *arns,
                               size_t count);
int durable_engine_next_due_of(int64_t *when_out, durable_engine *e, const char *const *arns,
                               size_t count);

/*
 * fire_due and next_due restricted to the timers of the executions of the
 * functions named by functions[0..count) (as executions.function_name holds
 * them: the bare name, any qualifier): what `durable serve` uses, which may
 * share its file with runners of other functions. Everything else is as the
 * _of variants: firing order, changes outside the set, count 0 the empty
 * set, DURABLE_ENOTFOUND "No timer is armed.". Errors: DURABLE_EINVAL for a
 * NULL functions with count > 0 or a NULL or empty name ("A function name is
 * required.", where "functions[i]"); nothing fires then. Cost: fire reads
 * the timers due now file-wide through the timer indexes and keeps those in
 * the set; next reads each timer index from its earliest entry up to the
 * first in the set. Neither grows with the executions open on the file (the
 * _of variants need the caller to list them first); both grow only with
 * other functions' timers due earlier.
 */
int durable_engine_fire_due_in(int *fired_out, durable_engine *e, const char *const *functions,
                               size_t count);
int durable_engine_next_due_in(int64_t *when_out, durable_engine *e, const char *const *functions,
                               size_t count);

/* ---- what needs doing ---------------------------------------------------- */

typedef struct durable_engine_string_list {
    char **items;
    size_t count;
} durable_engine_string_list;

void durable_engine_string_list_clear(durable_engine_string_list *l);

/* ARNs of open executions with no invocation in flight that need one now
 * (first invocation, a trigger, a due invocation retry), oldest first. */
int durable_engine_list_ready(durable_engine_string_list *out, durable_engine *e);

/* Per-execution scheduling state (for runners and the CLI). */
typedef struct durable_execution_state {
    durable_exec_status status;
    bool invocation_in_flight;
    char *inflight_invocation_id;  /* NULL when idle */
    int64_t inflight_pid;
    bool needs_invocation;
    int64_t retry_at_ms;           /* 0 = none */
    int64_t deadline_ms;           /* execution deadline; 0 once closed */
    int failed_invocations;
    int64_t invocation_count;
    bool terminal_event_pending;   /* closed by an EXECUTION checkpoint, event deferred */
    char *parent_arn;              /* chained-invoke target: the caller; else NULL */
    char *parent_op_id;
} durable_execution_state;

void durable_execution_state_clear(durable_execution_state *s);
int durable_engine_execution_state(durable_execution_state *out, durable_engine *e,
                                   const char *arn);
/* Only the status and the execution deadline (0 once closed; deadline_ms_out
 * may be NULL): one read of two columns, for loops that poll an execution
 * every cycle. DURABLE_ENOTFOUND as durable_engine_execution_state. */
int durable_engine_execution_status(durable_exec_status *status_out, int64_t *deadline_ms_out,
                                    durable_engine *e, const char *arn);

/* ---- chained invokes (SPEC §6.5) ------------------------------------------ */

typedef enum durable_chained_state {
    DURABLE_CHAINED_WAITING = 1, /* started; target not yet dispatched */
    DURABLE_CHAINED_RUNNING,     /* dispatched (child execution or plain function) */
    DURABLE_CHAINED_DONE
} durable_chained_state;

typedef struct durable_chained_invoke {
    char *parent_arn;
    char *op_id;
    char *function_name;      /* exactly as the caller gave it */
    char *resolved_function;  /* bare function name parsed from it */
    char *qualifier;          /* parsed qualifier or "$LATEST" */
    char *executed_version;
    char *input_payload;      /* NULL = none */
    char *tenant_id;
    char *child_arn;          /* minted at START */
    durable_chained_state state;
} durable_chained_invoke;

typedef struct durable_chained_invoke_list {
    durable_chained_invoke *items;
    size_t count;
} durable_chained_invoke_list;

void durable_chained_invoke_clear(durable_chained_invoke *c);
void durable_chained_invoke_list_clear(durable_chained_invoke_list *l);

/* Chained invokes WAITING whose parent is open and has no invocation in
 * flight (dispatch happens after the parent's invocation completed). */
int durable_engine_list_chained_waiting(durable_chained_invoke_list *out, durable_engine *e);

/* Dispatch a WAITING chained invoke as a durable execution: creates the child
 * execution under the ARN minted at START (input = Payload, tenant passed
 * on, parent link set), marks the invoke RUNNING. The child then appears in
 * durable_engine_list_ready; when it closes, the engine completes the parent
 * operation itself. out_child_arn nullable. DURABLE_ESTATE if not WAITING. */
int durable_engine_start_chained_target(char **out_child_arn, durable_engine *e,
                                        const char *parent_arn, const char *op_id);

/* Mark a WAITING chained invoke RUNNING without a child execution (the
 * runner runs a plain function itself and completes it below). */
int durable_engine_mark_chained_dispatched(durable_engine *e, const char *parent_arn,
                                           const char *op_id);

typedef enum durable_chained_outcome_kind {
    DURABLE_CHAINED_SUCCEEDED = 1,
    DURABLE_CHAINED_FAILED,
    DURABLE_CHAINED_TIMED_OUT,
    DURABLE_CHAINED_STOPPED,
    DURABLE_CHAINED_FUNCTION_NOT_FOUND
} durable_chained_outcome_kind;

/*
 * Complete a chained invoke that has no child execution (WAITING or RUNNING
 * via mark_chained_dispatched): the parent operation becomes SUCCEEDED
 * (result, NULL = none) / FAILED (error) / TIMED_OUT / STOPPED, or FAILED
 * with {ResourceNotFoundException, "Function not found: <name>"}; the
 * matching ChainedInvoke* event is appended and the parent is triggered.
 * If the parent operation is no longer STARTED (cancelled, parent closed) the
 * outcome is dropped and 0 returned. DURABLE_ESTATE if a child execution
 * runs it (the engine completes those itself).
 */
int durable_engine_complete_chained_invoke(durable_engine *e, const char *parent_arn,
                                           const char *op_id, durable_chained_outcome_kind kind,
                                           const char *result,
                                           const durable_error_object *error);

/* ---- stop (SPEC §8.6) ---------------------------------------------------- */

/* StopDurableExecution: closes the in-flight invocation (InvocationCompleted,
 * no Error), closes the execution STOPPED with ExecutionStopped{Error}
 * (req->error or {ErrorMessage:"Execution stopped by user request"}).
 * On a closed execution returns its EndTimestamp and changes nothing. */
int durable_engine_stop_execution(durable_stop_response *out, durable_engine *e,
                                  const durable_stop_request *req);

/* ---- reads ----------------------------------------------------------------- */

/* GetDurableExecution: ARN, name, FunctionArn, status, timestamps, input,
 * result/error, Version. DURABLE_ENOTFOUND if unknown. */
int durable_engine_get_execution(durable_execution_info *out, durable_engine *e,
                                 const char *arn);

/* ListDurableExecutionsByFunction (req->function_name NULL = every
 * function): filters name, qualifier, statuses (OR-ed), started after/before;
 * StartTimestamp order (reverse_order flips); markers; MaxItems 0 = 100.
 * Summaries only (no input/result/error). */
int durable_engine_list_executions(durable_list_response *out, durable_engine *e,
                                   const durable_list_request *req);

/* GetDurableExecutionHistory (§9): events in EventId order (reverse_order
 * flips), MaxItems 0 = 1,000, markers; without include_execution_data Input and
 * Result payloads are omitted and Truncated set where one existed. */
int durable_engine_get_history(durable_history_response *out, durable_engine *e,
                               const durable_history_request *req);

/* One operation by id (no pruning). DURABLE_ENOTFOUND if unknown. */
int durable_engine_get_operation(durable_operation *out, durable_engine *e, const char *arn,
                                 const char *op_id);

/* Every operation of an execution in start order (no pruning, no paging). */
int durable_engine_list_operations(durable_operation_list *out, durable_engine *e,
                                   const char *arn);

/* One invocation as recorded. (Named "record": durable_invocation_info is
 * the SDK plugin type of context.h.) */
typedef struct durable_invocation_record {
    char *invocation_id;          /* RequestId */
    int64_t seq;                  /* 1, 2, … */
    int64_t start_timestamp;
    int64_t end_timestamp;        /* 0 = still in flight */
    char *outcome;                /* SUCCEEDED|FAILED|PENDING|ERROR|STOPPED; NULL in flight */
    durable_error_object *error;  /* invocation error; NULL = none */
    int64_t pid;
} durable_invocation_record;

typedef struct durable_invocation_info_list {
    durable_invocation_record *items;
    size_t count;
} durable_invocation_info_list;

void durable_invocation_info_list_clear(durable_invocation_info_list *l);
int durable_engine_list_invocations(durable_invocation_info_list *out, durable_engine *e,
                                    const char *arn);

/* An open (STARTED) callback. */
typedef struct durable_callback_info {
    char *callback_id;
    char *execution_arn;
    char *op_id;
    char *name;                    /* NULL = unnamed */
    int64_t start_timestamp;
    int64_t timeout_deadline;      /* ms, 0 = none */
    int64_t heartbeat_deadline;    /* ms, 0 = none */
    int64_t timeout_seconds;       /* 0 = none */
    int64_t heartbeat_timeout_seconds;
} durable_callback_info;

typedef struct durable_callback_info_list {
    durable_callback_info *items;
    size_t count;
} durable_callback_info_list;

void durable_callback_info_list_clear(durable_callback_info_list *l);
/* Open callbacks of open executions, oldest first; arn NULL = all. */
int durable_engine_list_callbacks(durable_callback_info_list *out, durable_engine *e,
                                  const char *arn);

/* An invocation in flight (for crash resume). */
typedef struct durable_inflight_invocation {
    char *execution_arn;
    char *invocation_id;
    int64_t start_timestamp;
    int64_t pid;
} durable_inflight_invocation;

typedef struct durable_inflight_list {
    durable_inflight_invocation *items;
    size_t count;
} durable_inflight_list;

void durable_inflight_list_clear(durable_inflight_list *l);
/* In-flight invocations of executions of function_name (NULL = all). */
int durable_engine_list_inflight(durable_inflight_list *out, durable_engine *e,
                                 const char *function_name);

/* ---- function log lines (schema version 6) -------------------------------- */

/* One line a function process wrote while the HTTP front ran it. */
typedef struct durable_function_log {
    int64_t id;              /* increasing; page with after_id */
    char *function_name;
    char *execution_arn;     /* the invocation's execution */
    char *invocation_id;     /* its RequestId */
    char *stream;            /* "stdout" or "stderr" */
    int64_t timestamp_ms;    /* the engine clock when the line was kept */
    char *line;              /* without its newline */
} durable_function_log;

typedef struct durable_function_log_list {
    durable_function_log *items;
    size_t count;
} durable_function_log_list;

void durable_function_log_list_clear(durable_function_log_list *l);

/* Keep lines[0..count) (UTF-8, no newline) written on stream ("stdout" or
 * "stderr") by a process of function_name, while it ran invocation_id of
 * arn (both NULL: between invocations), read at timestamp_ms (epoch ms; 0 =
 * the engine clock's now). The HTTP front passes the real time even when it
 * skips time: log lines are read against wall clocks, as CloudWatch Logs'
 * FilterLogEvents is. One transaction for all lines.
 * Errors: DURABLE_ENOTFOUND (unknown arn), DURABLE_EINVAL (stream, a line
 * that is not UTF-8: nothing is kept then). Strings are borrowed. */
int durable_engine_append_function_logs(durable_engine *e, const char *function_name,
                                        const char *arn, const char *invocation_id,
                                        const char *stream, int64_t timestamp_ms,
                                        const char *const *lines, size_t count);

/* The lines kept for arn's invocations with id > after_id, oldest first, at
 * most max (0 = all). DURABLE_ENOTFOUND for an unknown arn. */
int durable_engine_list_function_logs(durable_function_log_list *out, durable_engine *e,
                                      const char *arn, int64_t after_id, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_ENGINE_H */
