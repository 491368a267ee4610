/*
 * libdurable — the local test runner (seed design "LocalDurableTestRunner",
 * SPEC.md §8, §9, §12.4–§12.5).
 *
 * A C test runs a durable handler to completion against the embedded engine,
 * on ":memory:" or on a file, skipping time, and then inspects every
 * operation, invocation and history event:
 *
 *     durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
 *     durable_test_env_setup(&cfg);                 // starts the checkpoint server thread
 *     durable_test_runner *r = NULL;
 *     durable_test_runner_new(&r, my_handler, NULL, "my-function");
 *     durable_test_result *res = NULL;
 *     durable_test_runner_run(&res, r, "{\"order\":42}");   // blocks until closed
 *     assert(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED);
 *     const durable_test_operation *op = NULL;
 *     durable_test_result_get_operation(&op, res, "delay");
 *     durable_test_wait_details wd;
 *     durable_test_operation_wait_details(&wd, op);    // wd.wait_seconds == 5
 *     durable_test_result_free(res);
 *     durable_test_runner_free(r);
 *     durable_test_env_teardown();
 *
 * Orchestration (SPEC §8). The runner starts the execution, invokes the
 * handler through the SDK entry point with an in-process engine client,
 * records each output with the engine, and re-invokes exactly when the
 * engine says an execution needs an invocation (first invocation, a trigger,
 * an invocation-error retry). Never two invocations of one execution at
 * once. Chained invokes are dispatched after the parent's invocation
 * completed: to a registered durable function (a child execution the runner
 * also drives), to a registered plain function (run by the runner), or, for
 * an unknown name, failed with "Function not found: <name>" (the run still
 * finishes). The run returns as soon as the root execution is closed.
 *
 * Time. With skip_time (the default) the engine runs on a virtual clock:
 * whenever no invocation is ready or running and no chained target is
 * pending, the runner moves the clock to the earliest deadline — a wait's
 * end, a step retry, a wait-for-condition poll, a callback timeout or
 * heartbeat timeout, the execution timeout, an invocation-retry backoff, or
 * a callback responder's delay — and fires it (queue scheduler: FIFO, no
 * sleeping). A 1-year wait finishes in milliseconds, and the history's
 * timestamps follow the virtual clock. With skip_time off the same deadlines
 * are awaited in real time (timer scheduler). With deterministic_clock the
 * clock starts at a fixed instant and moves only by skipping, so two runs of
 * the same handler produce byte-identical histories apart from generated ids
 * (ARNs, request ids, callback ids) — pin the execution name with
 * durable_test_runner_options.execution_name to fix the ARN as well.
 *
 * Idle. A run that cannot progress (for example a callback nobody will
 * complete, with no timeout) waits idle_limit_ms of real time for something
 * from outside (a callback sent by another thread), then ends with
 * DURABLE_EIDLE and a message that names what is open. It never hangs.
 *
 * Errors. Every function returns 0 or a negative DURABLE_E* code with the
 * thread's last error (durable_error_last()) set to a message that names the
 * operation, id or function involved. The seed's TestError kinds map to:
 *   DURABLE_ENOTFOUND        "Operation not found: …", "Execution not found: …",
 *                            "Invocation not found: …", "Callback not found: …"
 *   DURABLE_ETYPE            "Operation type mismatch: expected STEP, found WAIT …"
 *   DURABLE_ENOTCALLBACK     "Not a callback operation: …"
 *   DURABLE_ENOFUNCTION      "Function not registered: …"
 *   DURABLE_ETIMEOUT         "Timeout waiting for operation …"
 *   DURABLE_ECOMPLETED_EARLY "Execution completed before operation … reached …"
 *   DURABLE_ESERDES          "Serialization error: …" (input or payload not JSON)
 *   DURABLE_ENOTSETUP        "EnvironmentNotSetUp: …"
 *   DURABLE_ESERVER          "Checkpoint server error: …"
 *   DURABLE_ECALLBACK_DONE   "Callback already completed: …"
 *   DURABLE_ECALLBACK_TIMEOUT "Callback timed out: …"
 *   DURABLE_ETOKEN           "Invalid Checkpoint Token" (raw client calls through
 *                            durable_test_env_client(); inside a run it is an
 *                            invocation error recorded in the result)
 *   DURABLE_EIDLE            the run cannot make progress (see Idle)
 *   DURABLE_ESTATE           call not allowed now (a run already in progress …)
 *
 * Ownership. durable_test_result and durable_test_runner handles belong to
 * the caller (free with their _free, which accept NULL). Every pointer a
 * getter returns is borrowed from its parent handle: operations and strings
 * of a result live until durable_test_result_free; operation handles
 * returned by runner lookups live until durable_test_runner_free. Input
 * strings are copied (or only read during the call).
 *
 * Threads. The environment is process-wide. A runner is used by one test
 * thread; while a run started with durable_test_runner_start is in progress
 * in the background, that thread may call the runner's lookups, the
 * operation wait/callback functions and durable_test_runner_snapshot.
 * Several runners may share the environment (their executions are kept
 * apart); the engine itself is serialized on the checkpoint server thread.
 */
#ifndef DURABLE_TESTING_H
#define DURABLE_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "durable/client.h"
#include "durable/common.h"
#include "durable/context.h"
#include "durable/model.h"
#include "durable/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== environment ========================================================== */

/* 2025-01-01T00:00:00Z: the default start of the deterministic clock. */
#define DURABLE_TEST_DEFAULT_START_MS INT64_C(1735689600000)

typedef struct durable_test_env_config {
    /* Skip time: a virtual clock that jumps to the next deadline whenever the
     * runner is idle (SPEC §8.7). Off: deadlines are awaited in real time. */
    bool skip_time;
    /* Fixed-start clock that moves only by skipping (requires skip_time). */
    bool deterministic_clock;
    /* Start of the deterministic clock, epoch ms; 0 = DURABLE_TEST_DEFAULT_START_MS. */
    int64_t start_time_ms;
    /* Simulated latency added to every checkpoint call, real ms. */
    int64_t checkpoint_delay_ms;
    /* Database: NULL or ":memory:" for a private in-memory database, else a
     * file path (created if missing; kept after teardown). */
    const char *db_path;
    /* synchronous pragma for a file database. */
    durable_sync_mode sync_mode;
    /* Real ms a run may stay without any possible progress before it ends
     * with DURABLE_EIDLE; must be > 0. */
    int64_t idle_limit_ms;
    /* Engine settings (engine.h): ExecutionTimeout of executions started
     * without one (default the maximum, so a long skipped wait never hits it
     * by surprise), consecutive invocation errors that fail the execution,
     * backoff before re-invoking after an invocation error, invocation
     * timeout (0 = none). */
    int64_t default_execution_timeout_seconds;
    int max_invocation_failures;
    int64_t invocation_retry_backoff_ms;
    int64_t invocation_timeout_seconds;
} durable_test_env_config;

#define DURABLE_TEST_ENV_CONFIG_INIT                                                          \
    { true, false, 0, 0, NULL, DURABLE_SYNC_NORMAL, 5000, 31622400, 5, 5000, 900 }

/*
 * Set up the process-wide test environment: opens the store (migrating a
 * file), creates the clock and starts the checkpoint server thread that owns
 * the engine. config NULL = defaults. The config is copied.
 * Errors: DURABLE_ESTATE (already set up), DURABLE_EINVAL (bad config, e.g.
 * deterministic_clock without skip_time), store/engine errors (DURABLE_EDB,
 * DURABLE_ESCHEMA, …), DURABLE_ESERVER (thread could not start).
 */
int durable_test_env_setup(const durable_test_env_config *config);

/*
 * Stop the checkpoint server (requests already queued are answered), close
 * the engine and the store. DURABLE_EBUSY while a run is still in progress
 * (nothing is torn down); DURABLE_ENOTSETUP if not set up.
 */
int durable_test_env_teardown(void);

bool durable_test_env_is_setup(void);

/* The engine clock's now (virtual when skipping), epoch ms; 0 if not set up. */
int64_t durable_test_env_now(void);

/* Move the virtual clock forward by delta_ms without firing anything (the
 * next run or the idle loop fires what became due). DURABLE_ESTATE when
 * skip_time is off; DURABLE_ENOTSETUP. */
int durable_test_env_advance_clock(int64_t delta_ms);

/* The database path the environment uses (":memory:" or the file); borrowed;
 * NULL if not set up. */
const char *durable_test_env_db_path(void);

/*
 * A durable_client bound to the environment's engine (through the
 * checkpoint server thread): the raw service API, for tests that drive the
 * protocol themselves. Borrowed: valid until teardown.
 */
int durable_test_env_client(durable_client **out);

/* Complete a callback by its CallbackId (as an external system would).
 * result: raw body bytes (NULL = empty). error NULL = {}.
 * Errors: DURABLE_ENOTFOUND "Callback not found: <id>", DURABLE_ECALLBACK_DONE,
 * DURABLE_ECALLBACK_TIMEOUT, DURABLE_ECLOSED, DURABLE_EINVAL, DURABLE_ENOTSETUP. */
int durable_test_send_callback_success(const char *callback_id, const char *result);
int durable_test_send_callback_failure(const char *callback_id, const durable_error_object *error);
int durable_test_send_callback_heartbeat(const char *callback_id);

/* ==== results ================================================================ */

typedef struct durable_test_result durable_test_result;
typedef struct durable_test_operation durable_test_operation;

/* One handler invocation (an InvocationCompleted, or the one in flight). */
typedef struct durable_test_invocation {
    int64_t start_timestamp;           /* ms */
    int64_t end_timestamp;             /* ms; 0 = still in flight */
    const char *request_id;            /* invocation id (RequestId) */
    const char *outcome;               /* SUCCEEDED|FAILED|PENDING|ERROR|STOPPED; NULL in flight */
    const durable_error_object *error; /* invocation error (crash, runtime error); NULL = none */
} durable_test_invocation;

/* Execution status: RUNNING (a snapshot, or a run that ended with
 * DURABLE_EIDLE), SUCCEEDED, FAILED, TIMED_OUT or STOPPED. */
durable_exec_status durable_test_result_status(const durable_test_result *r);

/* The execution's ARN (borrowed). */
const char *durable_test_result_execution_arn(const durable_test_result *r);

/* The result JSON text of a SUCCEEDED execution: *out = the text, or NULL
 * when the handler returned no result. DURABLE_EFAILED when the execution
 * did not succeed (message: its status and error type/message);
 * DURABLE_ESTATE while it is still RUNNING. */
int durable_test_result_get_result(const char **out, const durable_test_result *r);

/* The same, parsed: *out is a new tree owned by the caller (cJSON_Delete);
 * NULL when there is no result. DURABLE_ESERDES if the text is not JSON. */
int durable_test_result_get_result_json(cJSON **out, const durable_test_result *r);

/* The error of a FAILED / TIMED_OUT / STOPPED execution (type, message,
 * data, stack trace), borrowed. DURABLE_ESTATE when it succeeded or is
 * still RUNNING ("execution succeeded: no error"). */
int durable_test_result_get_error(const durable_error_object **out, const durable_test_result *r);

/* Operations of the execution, in start order (EXECUTION operation
 * excluded, as the seed design does). Borrowed from r. */
size_t durable_test_result_operation_count(const durable_test_result *r);
/* NULL when index is out of range. */
durable_test_operation *durable_test_result_operation_at(const durable_test_result *r,
                                                         size_t index);

/* Operations with the given status, in start order: fills at most max
 * pointers into out (out may be NULL when max is 0) and returns how many
 * operations have that status. */
size_t durable_test_result_operations_by_status(durable_test_operation **out, size_t max,
                                                const durable_test_result *r,
                                                durable_op_status status);

/* Lookups. DURABLE_ENOTFOUND "Operation not found: …" naming the selector.
 *  - by name: the first operation (start order) with that name;
 *  - by index: start order (= durable_test_result_operation_at);
 *  - by name and index: the index-th (0-based) operation with that name;
 *  - by id: the operation with that wire Id. */
int durable_test_result_get_operation(durable_test_operation **out, const durable_test_result *r,
                                      const char *name);
int durable_test_result_get_operation_by_index(durable_test_operation **out,
                                               const durable_test_result *r, size_t index);
int durable_test_result_get_operation_by_name_and_index(durable_test_operation **out,
                                                        const durable_test_result *r,
                                                        const char *name, size_t index);
int durable_test_result_get_operation_by_id(durable_test_operation **out,
                                            const durable_test_result *r, const char *id);

/* Handler invocations in order. */
size_t durable_test_result_invocation_count(const durable_test_result *r);
/* DURABLE_ENOTFOUND "Invocation not found: index N (M invocations)". */
int durable_test_result_get_invocation(const durable_test_invocation **out,
                                       const durable_test_result *r, size_t index);

/* History events (SPEC §9) in EventId order, with full payloads
 * (IncludeExecutionData). Borrowed. NULL when index is out of range. */
size_t durable_test_result_event_count(const durable_test_result *r);
const durable_event *durable_test_result_event(const durable_test_result *r, size_t index);

/* The history as JSON text in the service shape {"Events":[…]} (pretty
 * printed when pretty). *out is freed with durable_free. */
int durable_test_result_history_json(char **out, const durable_test_result *r,
                                     durable_ts_format fmt, bool pretty);

/* Log lines captured during the run (the SDK logger's JSON lines and every
 * plugin line), in the order they were written, including those of chained
 * targets. Borrowed. */
size_t durable_test_result_log_count(const durable_test_result *r);
const char *durable_test_result_log_line(const durable_test_result *r, size_t index);

/* Columns of the operations table. */
typedef struct durable_test_print_options {
    bool parent_id;
    bool name;
    bool type;
    bool subtype;
    bool status;
    bool start;     /* RFC 3339 */
    bool end;
    bool duration;  /* end − start, e.g. "5.000s"; "-" while open */
    bool id;
} durable_test_print_options;

#define DURABLE_TEST_PRINT_OPTIONS_INIT { false, true, true, true, true, true, true, true, false }

/* The operations as an aligned text table (a header row, then one row per
 * operation; "-" for absent values). opts NULL = defaults. *out freed with
 * durable_free. */
int durable_test_result_format_table(char **out, const durable_test_result *r,
                                     const durable_test_print_options *opts);
/* Print that table to f (NULL = stdout). */
int durable_test_result_print(const durable_test_result *r, FILE *f,
                              const durable_test_print_options *opts);

void durable_test_result_free(durable_test_result *r);

/* ==== operations ============================================================ */

/*
 * An operation handle. Two kinds:
 *  - from a result (durable_test_result_*): a fixed snapshot;
 *  - from a runner lookup (durable_test_runner_get_operation…): a live
 *    selector (name, index, name + index or id) that binds to the matching
 *    operation of the current run as soon as it exists. Its data is a
 *    snapshot refreshed by durable_test_operation_wait,
 *    durable_test_operation_refresh and at the end of every run
 *    (run / await / resume); durable_test_runner_reset unbinds it.
 * Getters on an unbound handle return NULL / 0 / NONE.
 */

/* True once the handle refers to an existing operation. */
bool durable_test_operation_exists(const durable_test_operation *op);

const char *durable_test_operation_id(const durable_test_operation *op);
const char *durable_test_operation_parent_id(const durable_test_operation *op);
const char *durable_test_operation_name(const durable_test_operation *op);
const char *durable_test_operation_subtype(const durable_test_operation *op);
durable_op_type durable_test_operation_type(const durable_test_operation *op);
durable_op_status durable_test_operation_status(const durable_test_operation *op);
int64_t durable_test_operation_start_timestamp(const durable_test_operation *op); /* ms */
int64_t durable_test_operation_end_timestamp(const durable_test_operation *op);   /* ms, 0 = open */
/* The raw wire operation (borrowed; NULL when unbound). */
const durable_operation *durable_test_operation_data(const durable_test_operation *op);
/* CALLBACK operations (and WaitForCallback contexts, whose callback child
 * the callback functions below address). */
bool durable_test_operation_is_callback(const durable_test_operation *op);

/* Typed details. Each returns DURABLE_ETYPE "Operation type mismatch:
 * expected X, found Y (operation <name> <id>)" for another type, and
 * DURABLE_ENOTFOUND for an unbound handle. Text and errors are borrowed
 * from the handle (valid until its next refresh). */
typedef struct durable_test_step_details {
    int64_t attempt;                   /* completed attempts; DURABLE_ABSENT if none */
    int64_t next_attempt_timestamp;    /* ms, 0 = none */
    const char *result;                /* serialized result; NULL = none */
    const durable_error_object *error; /* last attempt's error; NULL = none */
} durable_test_step_details;

typedef struct durable_test_wait_details {
    int64_t wait_seconds;              /* the requested duration */
    int64_t scheduled_end_timestamp;   /* ms */
} durable_test_wait_details;

typedef struct durable_test_callback_details {
    const char *callback_id;
    const char *result;                /* raw result; NULL = none */
    const durable_error_object *error;
} durable_test_callback_details;

typedef struct durable_test_invoke_details {
    const char *result;
    const durable_error_object *error;
} durable_test_invoke_details;

typedef struct durable_test_context_details {
    const char *result;
    const durable_error_object *error;
} durable_test_context_details;

int durable_test_operation_step_details(durable_test_step_details *out,
                                        const durable_test_operation *op);
int durable_test_operation_wait_details(durable_test_wait_details *out,
                                        const durable_test_operation *op);
int durable_test_operation_callback_details(durable_test_callback_details *out,
                                            const durable_test_operation *op);
int durable_test_operation_invoke_details(durable_test_invoke_details *out,
                                          const durable_test_operation *op);
int durable_test_operation_context_details(durable_test_context_details *out,
                                           const durable_test_operation *op);

/* Direct children (operations whose ParentId is this Id), in start order.
 * Borrowed from the same owner as op; NULL when index is out of range. */
size_t durable_test_operation_child_count(const durable_test_operation *op);
durable_test_operation *durable_test_operation_child(const durable_test_operation *op,
                                                     size_t index);

typedef enum durable_test_wait_status {
    /* The operation exists (any status). */
    DURABLE_TEST_WAIT_STARTED = 1,
    /* The operation can take external input: a CALLBACK that is STARTED
     * with its CallbackId; a WaitForCallback context whose callback exists
     * and whose submitter step has succeeded; any other type: as STARTED. */
    DURABLE_TEST_WAIT_SUBMITTED,
    /* The operation is in a terminal status. */
    DURABLE_TEST_WAIT_COMPLETED
} durable_test_wait_status;

/*
 * Block until the operation reaches `status`, at most timeout_ms of real
 * time (< 0 = no limit; the run's idle limit still ends a stuck run).
 * Refreshes op's data. While a background run is in progress and the wait
 * succeeds, the environment holds the virtual clock (no run skips time;
 * invocations still run) until this thread waits again or awaits, so a test
 * can answer a callback before its timeout is skipped. Before skipping
 * time, a run also lets every thread blocked here look at the new state.
 * Errors: DURABLE_ECOMPLETED_EARLY (the execution closed first),
 * DURABLE_ETIMEOUT, DURABLE_ENOTSETUP.
 */
int durable_test_operation_wait(durable_test_operation *op, durable_test_wait_status status,
                                int64_t timeout_ms);

/* Re-read a runner handle's operation from the engine (binding it if it now
 * exists). No-op for result handles. */
int durable_test_operation_refresh(durable_test_operation *op);

/* Complete the callback of op (a CALLBACK, or the callback child of a
 * WaitForCallback context). result: raw body bytes (NULL = empty);
 * error NULL = {}. Errors: DURABLE_ENOTCALLBACK "Not a callback operation:
 * …", DURABLE_ENOTFOUND (unbound / no callback yet), DURABLE_ECALLBACK_DONE,
 * DURABLE_ECALLBACK_TIMEOUT, DURABLE_ECLOSED, DURABLE_ENOTSETUP. */
int durable_test_operation_send_callback_success(durable_test_operation *op, const char *result);
int durable_test_operation_send_callback_failure(durable_test_operation *op,
                                                 const durable_error_object *error);
int durable_test_operation_send_callback_heartbeat(durable_test_operation *op);

/* ==== runner ================================================================= */

typedef struct durable_test_runner durable_test_runner;

/*
 * New runner for handler (user is passed to every invocation) registered as
 * function_name (1–140 chars of [a-zA-Z0-9-_]; the execution ARNs carry it).
 * The environment need not be set up yet; runs need it.
 * Errors: DURABLE_EINVAL (NULL handler, bad name), DURABLE_ENOMEM.
 */
int durable_test_runner_new(durable_test_runner **out, durable_handler_fn handler, void *user,
                            const char *function_name);

/* Free the runner, its operation handles and registrations. A background run
 * still in progress is awaited first (its result discarded). Accepts NULL. */
void durable_test_runner_free(durable_test_runner *r);

/* Forget the last run: unbinds every operation handle and drops the current
 * ARN; registrations, options and callback responders/actions are kept.
 * DURABLE_ESTATE while a run is in progress. */
int durable_test_runner_reset(durable_test_runner *r);

typedef struct durable_test_runner_options {
    /* DurableExecutionName of the next runs (NULL = a new UUID each run). */
    const char *execution_name;
    /* ExecutionTimeout in seconds (0 = the environment default). */
    int64_t execution_timeout_seconds;
    /* TenantId of the execution (NULL = none). */
    const char *tenant_id;
    /* Run each invocation in a forked child process that opens its own
     * engine on the same database file (file databases only): a child that
     * crashes or exits is recorded as an invocation error (Runtime.ExitError)
     * and the execution is re-invoked, as Lambda does. */
    bool crash_isolation;
    /* SDK logger: minimum level, and whether the context logger also writes
     * while replaying. Lines are always captured into the result; echo_logs
     * also writes each to stderr. */
    durable_log_level log_level;
    bool log_during_replay;
    bool echo_logs;
    /* Plugins passed to every invocation (borrowed: must outlive the runs). */
    const durable_plugin *plugins;
    size_t plugin_count;
    /* When callback actions were added (durable_test_runner_add_callback_action)
     * and a new callback matches no unused action and no responder, end the
     * run with DURABLE_ENOTFOUND "No callback action matches callback <name>"
     * instead of leaving it open (SPEC §12.4 "test failure"). */
    bool strict_callback_actions;
} durable_test_runner_options;

#define DURABLE_TEST_RUNNER_OPTIONS_INIT                                                      \
    { NULL, 0, NULL, false, DURABLE_LOG_FROM_ENV, false, false, NULL, 0, false }

/* Set the options of the next runs (strings copied). DURABLE_ESTATE while a
 * run is in progress. */
int durable_test_runner_set_options(durable_test_runner *r,
                                    const durable_test_runner_options *opts);

/* Register a durable function for chained invokes (SPEC §6.5): an invoke of
 * `name` (bare, name:qualifier or a function ARN) starts a child execution
 * that the runner drives with handler. A name registered again is replaced. */
int durable_test_runner_register_durable_function(durable_test_runner *r, const char *name,
                                                  durable_handler_fn handler, void *user);

/*
 * A plain (non-durable) function: compute *result (a new cJSON value owned
 * by the runner from then on; leave NULL for "no result") from input (the
 * invoke payload parsed; NULL when absent). Return 0 on success; any other
 * value fails the invoke: with the ErrorType/ErrorMessage/ErrorData the
 * function stored in *error (strings from durable_strdup, owned by the
 * runner), or {ErrorType:"Error", ErrorMessage:"Function <name> failed with
 * code <n>"} when it stored none.
 */
typedef int (*durable_test_function_fn)(cJSON **result, durable_error_object *error,
                                        const cJSON *input, void *user);

int durable_test_runner_register_function(durable_test_runner *r, const char *name,
                                          durable_test_function_fn fn, void *user);

/* Remove a registration. DURABLE_ENOFUNCTION "Function not registered: <name>". */
int durable_test_runner_unregister_function(durable_test_runner *r, const char *name);

/* How many times the registered function (durable: invocations of its child
 * executions; plain: calls) ran since the runner was created.
 * DURABLE_ENOFUNCTION when not registered. */
int durable_test_runner_function_call_count(int64_t *out, const durable_test_runner *r,
                                            const char *name);

/*
 * Run the handler with input (JSON text; NULL = no input) and block until
 * the execution closes. Returns 0 with *out (caller frees) when the
 * execution reached SUCCEEDED, FAILED, TIMED_OUT or STOPPED — a failed
 * handler is a result, not an error.
 * DURABLE_EIDLE: the run could not progress for idle_limit_ms; *out is still
 * set to a RUNNING snapshot (the execution stays open in the database).
 * Other errors (*out NULL): DURABLE_ENOTSETUP, DURABLE_ESERDES (input is not
 * JSON), DURABLE_ESTATE (a run is in progress), DURABLE_ENOTFOUND (strict
 * callback actions), DURABLE_EEXISTS (execution_name already used),
 * DURABLE_ESERVER.
 */
int durable_test_runner_run(durable_test_result **out, durable_test_runner *r,
                            const char *input);

/* Start the same run on a background thread and return once the execution
 * exists (its ARN is then available). Invocations run at once, but the
 * virtual clock is held (no time is skipped) until this thread calls
 * durable_test_operation_wait or durable_test_runner_await, so nothing the
 * test does first can miss a deadline. Errors as durable_test_runner_run. */
int durable_test_runner_start(durable_test_runner *r, const char *input);

/* Wait for the background run to finish; then as durable_test_runner_run.
 * DURABLE_ESTATE when no run was started. */
int durable_test_runner_await(durable_test_result **out, durable_test_runner *r);

/* True while a background run is in progress. */
bool durable_test_runner_is_running(const durable_test_runner *r);

/* ARN of the current or last run (borrowed; NULL before the first run or
 * after reset). */
const char *durable_test_runner_execution_arn(const durable_test_runner *r);

/* A result built from the engine's state now (status RUNNING while in
 * progress). Caller frees. DURABLE_ESTATE when there is no current run. */
int durable_test_runner_snapshot(durable_test_result **out, durable_test_runner *r);

/* Live lookups (see "operations" above): always return a handle owned by
 * the runner (the same handle for the same selector), bound as soon as the
 * operation exists. DURABLE_EINVAL for a NULL name / id. */
int durable_test_runner_get_operation(durable_test_operation **out, durable_test_runner *r,
                                      const char *name);
int durable_test_runner_get_operation_by_index(durable_test_operation **out,
                                               durable_test_runner *r, size_t index);
int durable_test_runner_get_operation_by_name_and_index(durable_test_operation **out,
                                                        durable_test_runner *r,
                                                        const char *name, size_t index);
int durable_test_runner_get_operation_by_id(durable_test_operation **out, durable_test_runner *r,
                                            const char *id);

/*
 * Resume an execution interrupted by a crash (the process that ran it died)
 * in a file database, and drive it to the end as durable_test_runner_run
 * does. execution: an ARN, or an execution name of the runner's function.
 * An invocation still in flight from a dead process is closed with
 * InvocationCompleted{Error: Runtime.ExitError}, then the execution
 * continues from its checkpoints (committed steps never re-run; an
 * AT_MOST_ONCE step that was STARTED fails as interrupted). The handler used
 * is the runner's (or a registered durable function's, for a chained
 * target). A closed execution is returned as is.
 * Errors: DURABLE_ENOTFOUND "Execution not found: …", DURABLE_EBUSY (the
 * process running its invocation is still alive), others as run.
 */
int durable_test_runner_resume(durable_test_result **out, durable_test_runner *r,
                               const char *execution);

/* Resume every open execution of function_name (NULL = the runner's), oldest
 * first. *out is an array of *out_count results (caller frees with
 * durable_test_result_list_free); an empty set is 0 with *out NULL. Stops at
 * the first error (results so far are freed). */
int durable_test_runner_resume_all(durable_test_result ***out, size_t *out_count,
                                   durable_test_runner *r, const char *function_name);

void durable_test_result_list_free(durable_test_result **list, size_t count);

/* ==== callback responders (SPEC §12.4) ===================================== */

typedef enum durable_test_callback_op {
    DURABLE_TEST_CALLBACK_SUCCEED = 1, /* success with payload */
    DURABLE_TEST_CALLBACK_FAIL,        /* failure with the error fields */
    DURABLE_TEST_CALLBACK_HEARTBEAT,   /* heartbeat (does not complete) */
    DURABLE_TEST_CALLBACK_NEVER        /* leave the callback open */
} durable_test_callback_op;

typedef enum durable_test_name_match {
    DURABLE_TEST_MATCH_ANY = 0, /* every callback, named or not ('*') */
    DURABLE_TEST_MATCH_EXACT,   /* Name equals `name` (an unnamed callback never matches) */
    DURABLE_TEST_MATCH_REGEX    /* POSIX extended regex searched in Name ("${/re/}") */
} durable_test_name_match;

typedef struct durable_test_callback_action {
    durable_test_name_match match;
    const char *name;            /* literal or regex (EXACT / REGEX) */
    durable_test_callback_op op;
    const char *payload;         /* SUCCEED: raw body bytes; NULL = empty body */
    const char *error_type;      /* FAIL: the ErrorObject (NULL fields absent) */
    const char *error_message;
    const char *error_data;
    int64_t delay_ms;            /* virtual delay before the action, >= 0 */
    int heartbeat_count;         /* responders only: heartbeats before op */
} durable_test_callback_action;

#define DURABLE_TEST_CALLBACK_ACTION_INIT                                                     \
    { DURABLE_TEST_MATCH_ANY, NULL, DURABLE_TEST_CALLBACK_SUCCEED, NULL, NULL, NULL, NULL, 0, 0 }

/*
 * Responder: applies to EVERY new callback whose name matches and that no
 * callback action (below) claims; the first matching responder in
 * registration order wins. It sends heartbeat_count heartbeats, each
 * delay_ms after the previous step, then op after another delay_ms (NEVER:
 * nothing). Times are on the engine clock (skipped), counted from when the
 * runner first sees the CallbackStarted while the execution is idle;
 * actions are applied only between invocations. With responders a callback
 * test is one blocking durable_test_runner_run. Kept across reset.
 * Errors: DURABLE_EINVAL (bad regex, bad op, negative delay/count).
 */
int durable_test_runner_add_callback_responder(durable_test_runner *r,
                                               const durable_test_callback_action *a);

/*
 * Callback action (SPEC §12.4, the conformance suite's CallbackActions):
 * a sequence, each action used at most once per run. For each CallbackStarted
 * not yet handled, in event order, the first unused action whose name
 * matches is assigned to it. A heartbeat does not consume the callback: the
 * next matching unused action applies to the same callback later, at least
 * 2 s (virtual) after the heartbeat. Delays add up: actions are sent one
 * after another, each delay_ms after the previous action's send time (and
 * never before its callback was observed). heartbeat_count is ignored.
 * Errors: DURABLE_EINVAL.
 */
int durable_test_runner_add_callback_action(durable_test_runner *r,
                                            const durable_test_callback_action *a);

/* Remove every responder and action. */
void durable_test_runner_clear_callback_actions(durable_test_runner *r);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_TESTING_H */
