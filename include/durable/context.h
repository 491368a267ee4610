/*
 * libdurable — the durable context: what users write handlers with
 * (SPEC.md §4, §10, §11).
 *
 * A handler is a plain C function that receives a durable context and the
 * execution input. Every durable operation (step, wait, callback, invoke,
 * child context, parallel, map, wait-for-condition, wait-for-callback) is a
 * call on the context. The SDK checkpoints each operation through the
 * durable_client seam (client.h), and replays recorded results when the
 * service re-invokes the handler, so the handler always runs from the top.
 *
 * Status model (there are no exceptions in C, SPEC §10.3):
 *   0                 the operation completed; its result is in *out.
 *   DURABLE_PENDING   the execution must suspend. The handler MUST return
 *                     DURABLE_PENDING (or any non-zero code) at once. Once an
 *                     operation has returned it, the invocation is committed
 *                     to PENDING: the output is PENDING whatever the handler
 *                     returns, and every later operation on a blocked
 *                     context returns DURABLE_PENDING without doing anything.
 *   DURABLE_EFAILED   the operation failed durably (a step exhausted its
 *                     retries, a callback failed or timed out, a chained
 *                     invoke failed, a child context failed). The error is
 *                     readable with durable_ctx_error() until the next failing
 *                     call on the same context. The handler may handle it and
 *                     continue, or return DURABLE_EFAILED to fail the
 *                     execution with it.
 *   other negative    DURABLE_EINVAL (bad argument, e.g. a wait of 0 s; the
 *                     error is also on the context), DURABLE_ENONDETERMINISTIC
 *                     (replay mismatch: the invocation fails whatever the
 *                     handler returns), DURABLE_ESERDES (a serializer failed:
 *                     the invocation fails with SerdesFailedError),
 *                     DURABLE_ESTATE (context misuse, invocation over),
 *                     DURABLE_ETOKEN / DURABLE_ETHROTTLED / other checkpoint
 *                     failures (the invocation ends as an invocation error or
 *                     FAILED, decided by the entry point).
 *
 * Ownership:
 *   - Values returned through `const cJSON **out` (and every pointer a getter
 *     returns) are borrowed: they belong to the context and stay valid until
 *     durable_handle_invocation() returns. Never free them, never modify them.
 *   - Values a user callback hands to the SDK through `cJSON **result` (handler
 *     output, step result, child result…) are allocated by the callback with
 *     cJSON (which uses the library allocator) and belong to the SDK from the
 *     moment the callback returns, whatever it returns.
 *   - Text a user callback hands to the SDK through `char **out` (custom
 *     serializers, summary generators, item namers) is allocated with
 *     durable_strdup()/durable_malloc() and belongs to the SDK.
 *   - Options structs and the strings, strategies and serdes they point to
 *     are borrowed for the duration of the call only, except where stated.
 *
 * Threads: a durable_ctx is used by one thread at a time (the thread that
 * runs the function it was given to). With max_concurrency > 1, map items
 * and parallel branches run on worker threads, each with its own child
 * context (the item_ctx / child handed to the function). From an item
 * thread it is safe to call:
 *   - every durable operation and accessor on the item's own context and on
 *     contexts created under it (child contexts, nested map/parallel,
 *     callbacks created there — awaited on that same thread);
 *   - the step context and step logger inside that item's steps;
 *   - durable_ctx_log* on the item's contexts, durable_logger_write_line,
 *     the library allocator, the error accessors (the last error is
 *     per thread).
 * Never use the parent context (or a sibling's) from an item: it is refused
 * with DURABLE_ESTATE while the item runs (SPEC §10.9), and a callback
 * handle must be awaited on the thread of the context that created it.
 * What the threads share (the operation state, the checkpoint batcher, the
 * "committed to PENDING" flag, the logger and the plugins) is thread-safe
 * inside the SDK. User data shared by items (the map/branch `user`, a
 * serdes, a namer, a retry callback) is the user's to synchronize. Plugin
 * hooks are serialized by the SDK (one hook call at a time per invocation),
 * so plugins need no locking of their own, but hooks may be called from any
 * SDK thread. No item thread outlives the durable_map/durable_parallel call
 * that started it.
 */
#ifndef DURABLE_CONTEXT_H
#define DURABLE_CONTEXT_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/common.h"
#include "durable/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DURABLE_PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define DURABLE_PRINTF_FMT(a, b)
#endif

typedef struct durable_ctx durable_ctx;           /* a durable context (root or child) */
typedef struct durable_step_ctx durable_step_ctx; /* what a step body sees */

/* ==== memory helpers for user callbacks =================================== */

/* Allocate with the library allocator (common.h), so the SDK can free what
 * a callback returns through `char **out`. NULL on allocation failure. */
void *durable_malloc(size_t size);
char *durable_strdup(const char *s);
char *durable_sprintf(const char *fmt, ...) DURABLE_PRINTF_FMT(1, 2);

/* ==== error kinds (SPEC §11) ============================================== */

/* SDK error kind names: durable_ctx_error_kind() returns one of these (or
 * NULL for a user error raised with durable_ctx_fail / durable_step_fail). */
#define DURABLE_KIND_STEP "StepError"
#define DURABLE_KIND_CALLBACK "CallbackError"
#define DURABLE_KIND_INVOKE "InvokeError"
#define DURABLE_KIND_CHILD_CONTEXT "ChildContextError"
#define DURABLE_KIND_WAIT_FOR_CONDITION "WaitForConditionError"
#define DURABLE_KIND_STEP_INTERRUPTED "StepInterruptedError"
#define DURABLE_KIND_NON_DETERMINISTIC "NonDeterministicExecutionError"
#define DURABLE_KIND_SERDES "SerdesFailedError"
#define DURABLE_KIND_VALIDATION "ValidationError"

/* The message of an interrupted at-most-once attempt (SPEC §10.4). */
#define DURABLE_STEP_INTERRUPTED_MESSAGE                                                     \
    "The step execution process was initiated but failed to reach completion due to an "    \
    "interruption."

/* ==== serdes (SPEC §10.12) ================================================ */

/* What every serializer call is told about the operation it works for. */
typedef struct durable_serdes_context {
    const char *operation_id;  /* wire Id of the operation */
    const char *execution_arn; /* DurableExecutionArn */
} durable_serdes_context;

/*
 * A serializer pair. serialize turns a value (NULL means JSON null) into the
 * text stored in the checkpoint, verbatim; *out is allocated with
 * durable_strdup/durable_malloc and belongs to the SDK. deserialize turns the
 * stored text (NULL when the service stored no payload) back into a new
 * cJSON value that belongs to the SDK. Each returns 0, or non-zero to fail:
 * a failing serdes fails the invocation with SerdesFailedError. Called on
 * the thread that runs the operation; must be reentrant if used by parallel
 * branches.
 */
typedef struct durable_serdes {
    int (*serialize)(char **out, const cJSON *value, const durable_serdes_context *sctx,
                     void *user);
    int (*deserialize)(cJSON **out, const char *text, const durable_serdes_context *sctx,
                       void *user);
    void *user;
} durable_serdes;

/* Default: compact JSON (`"x"`, `42`, `null`); absent text → null. Static. */
const durable_serdes *durable_serdes_json(void);

/* Raw text: deserialize wraps the text in a JSON string unparsed (absent →
 * null); serialize writes a string value's text verbatim and any other value
 * as compact JSON. The default result serdes of callbacks. Static. */
const durable_serdes *durable_serdes_raw(void);

/* ==== logging (SPEC §10.15) =============================================== */

typedef enum durable_log_level {
    DURABLE_LOG_FROM_ENV = 0, /* AWS_LAMBDA_LOG_LEVEL, else INFO */
    DURABLE_LOG_TRACE,
    DURABLE_LOG_DEBUG,
    DURABLE_LOG_INFO,
    DURABLE_LOG_WARN,
    DURABLE_LOG_ERROR,
    DURABLE_LOG_FATAL,
    DURABLE_LOG_OFF
} durable_log_level;

/* "TRACE" … "FATAL"; static, never NULL. */
const char *durable_log_level_name(durable_log_level level);

/* Receives one complete JSON line (no trailing newline). May be called from
 * any SDK thread; calls are serialized by the SDK. */
typedef void (*durable_log_sink_fn)(void *user, durable_log_level level, const char *line);

typedef struct durable_logger_options {
    durable_log_level level;   /* minimum level; DURABLE_LOG_FROM_ENV by default */
    FILE *file;                /* where lines go when sink is NULL; NULL = stdout */
    durable_log_sink_fn sink;  /* overrides file when set */
    void *sink_user;
    bool log_during_replay;    /* false: context logs are quiet while replaying */
} durable_logger_options;
#define DURABLE_LOGGER_OPTIONS_INIT { DURABLE_LOG_FROM_ENV, NULL, NULL, NULL, false }

/* The invocation's log sink, handed to plugins so their lines go where the
 * SDK's go. Borrowed; valid during the hook call. */
typedef struct durable_logger durable_logger;

/* Write one raw line (e.g. a plugin's own JSON record) to the sink, never
 * suppressed, never reformatted. Thread-safe. */
void durable_logger_write_line(durable_logger *logger, const char *line);

/*
 * Context logger: one JSON line {timestamp, level, requestId, executionArn,
 * operationId?, attempt?, message, errorType?, errorMessage?}. Quiet while
 * the context is replaying unless log_during_replay: a context replays
 * until it reaches its last stored operation, so the code after that
 * operation already logs (before any new operation starts). operationId is
 * the context's own operation id (absent for the root context).
 */
void durable_ctx_log(durable_ctx *ctx, durable_log_level level, const char *fmt, ...)
    DURABLE_PRINTF_FMT(3, 4);
void durable_ctx_logv(durable_ctx *ctx, durable_log_level level, const char *fmt, va_list ap);
/* Same, with errorType/errorMessage taken from err (may be NULL). */
void durable_ctx_log_error(durable_ctx *ctx, durable_log_level level,
                           const durable_error_object *err, const char *fmt, ...)
    DURABLE_PRINTF_FMT(4, 5);

/* ==== retry strategies (SPEC §10.5) ======================================= */

typedef enum durable_jitter {
    DURABLE_JITTER_NONE = 0, /* d */
    DURABLE_JITTER_FULL,     /* random[0,1) * d */
    DURABLE_JITTER_HALF      /* d/2 + random[0,1) * d/2 */
} durable_jitter;

typedef struct durable_retry_decision {
    bool should_retry;
    int64_t delay_seconds; /* whole seconds, >= 1 when should_retry */
} durable_retry_decision;

/* Opaque strategy; free with durable_retry_strategy_free (presets are static
 * and must not be freed; freeing them is a no-op). Immutable once built:
 * one strategy may be shared by any number of steps and threads. */
typedef struct durable_retry_strategy durable_retry_strategy;

/*
 * Builder options (createRetryStrategy). Defaults: 3 attempts, 5 s initial
 * delay, 300 s max delay, backoff rate 2, FULL jitter, no filters.
 * Filters: with neither list, every error is retried; with either, an error
 * must match at least one entry of either list.
 *  - retryable_errors match the ErrorMessage: an entry written "/re/" is a
 *    POSIX extended regex searched in the message; any other entry is a
 *    substring.
 *  - retryable_error_types match the ErrorType: each entry is a POSIX
 *    extended regex that must match the WHOLE type, so a plain name is an
 *    exact match and ".*TransientError$" matches "MyTransientError".
 * The lists and their strings are copied by durable_retry_strategy_new.
 */
typedef struct durable_retry_options {
    int max_attempts;              /* >= 1; attempts including the first */
    double initial_delay_seconds;  /* > 0 */
    double max_delay_seconds;      /* >= 1 */
    double backoff_rate;           /* >= 1 */
    durable_jitter jitter;
    const char *const *retryable_errors;
    size_t retryable_error_count;
    const char *const *retryable_error_types;
    size_t retryable_error_type_count;
} durable_retry_options;
#define DURABLE_RETRY_OPTIONS_INIT { 3, 5.0, 300.0, 2.0, DURABLE_JITTER_FULL, NULL, 0, NULL, 0 }

/* Build a strategy. DURABLE_EINVAL (message names the field) for values out
 * of range or a regex that does not compile; *out is then NULL. */
int durable_retry_strategy_new(durable_retry_strategy **out, const durable_retry_options *opts);

/* Custom strategy: fn decides from the error (never NULL; fields may be
 * NULL) and the 1-based number of the attempt that just failed. A non-zero
 * return from fn means "do not retry". fn must be thread-safe. */
typedef int (*durable_retry_fn)(durable_retry_decision *out, const durable_error_object *error,
                                int attempt, void *user);
int durable_retry_strategy_custom(durable_retry_strategy **out, durable_retry_fn fn, void *user);

/* Presets (static): default = 6 attempts, 5 s, 60 s, rate 2, FULL jitter
 * (used by a step with no strategy); none = 1 attempt (never retries). */
const durable_retry_strategy *durable_retry_preset_default(void);
const durable_retry_strategy *durable_retry_preset_none(void);

void durable_retry_strategy_free(durable_retry_strategy *s);

/* The decision for an error after `attempt` (1-based) failed attempts:
 * stop when attempt >= max attempts or the filters do not match; else the
 * delay max(1, round(jitter(min(initial * rate^(attempt-1), max)))). */
int durable_retry_strategy_decide(durable_retry_decision *out, const durable_retry_strategy *s,
                                  const durable_error_object *error, int attempt);

/* ==== step (SPEC §10.4) ==================================================== */

typedef enum durable_step_semantics {
    DURABLE_AT_LEAST_ONCE_PER_RETRY = 0, /* default */
    DURABLE_AT_MOST_ONCE_PER_RETRY
} durable_step_semantics;

typedef struct durable_step_options {
    const durable_retry_strategy *retry; /* NULL: durable_retry_preset_default() */
    durable_step_semantics semantics;
    const durable_serdes *serdes;        /* NULL: JSON */
} durable_step_options;
#define DURABLE_STEP_OPTIONS_INIT { NULL, DURABLE_AT_LEAST_ONCE_PER_RETRY, NULL }

/*
 * A step body. Return 0 with *result set (a new cJSON value owned by the SDK
 * from then on; NULL means JSON null), or fail: return
 * durable_step_fail(sctx, …) for a typed error. Any other non-zero return is
 * a failure with ErrorType "Error" and the code's text. A step body must not
 * call durable operations (it has no durable_ctx). Runs on the calling
 * thread; sctx is valid only during the call.
 */
typedef int (*durable_step_fn)(durable_step_ctx *sctx, cJSON **result, void *user);

/* Record a typed error for the current attempt and return DURABLE_EFAILED.
 * type/message/data may be NULL; they are copied. The type is kept verbatim
 * in the checkpoint (SPEC §11). */
int durable_step_fail(durable_step_ctx *sctx, const char *type, const char *message,
                      const char *data);
/* 1-based number of the attempt being run. */
int durable_step_attempt(const durable_step_ctx *sctx);
/* Wire Id of the step (borrowed, valid during the call). */
const char *durable_step_operation_id(const durable_step_ctx *sctx);
/* Step logger: always emitted (never quiet), with operationId and attempt. */
void durable_step_log(durable_step_ctx *sctx, durable_log_level level, const char *fmt, ...)
    DURABLE_PRINTF_FMT(3, 4);

/*
 * Run fn durably as a STEP (SubType "Step"). name may be NULL. On success
 * *out (may be NULL) receives the deserialized result, also on replay
 * without running fn. A failed attempt is retried by suspending
 * (DURABLE_PENDING) with a RETRY checkpoint; after the last attempt the step
 * is checkpointed FAILED and DURABLE_EFAILED is returned with kind
 * StepError and the body's original type, message and data on the context.
 * AT_MOST_ONCE: START is acknowledged before fn runs; a STARTED step found
 * on replay fails with StepInterruptedError through the retry decision and
 * never re-runs.
 */
int durable_step(durable_ctx *ctx, const cJSON **out, const char *name, durable_step_fn fn,
                 void *user, const durable_step_options *opts);

/* ==== wait (SPEC §10.6) ===================================================== */

#define DURABLE_SECONDS(n) ((int64_t)(n))
#define DURABLE_MINUTES(n) ((int64_t)(n) * 60)
#define DURABLE_HOURS(n) ((int64_t)(n) * 3600)
#define DURABLE_DAYS(n) ((int64_t)(n) * 86400)

/* Whole seconds of a duration (no overflow check beyond int64). */
int64_t durable_duration_seconds(int64_t days, int64_t hours, int64_t minutes, int64_t seconds);

/* Durable wait (WAIT, SubType "Wait"; name may be NULL). seconds must be in
 * 1..31,622,400, else DURABLE_EINVAL (ValidationError on the context) before
 * anything is checkpointed. Returns DURABLE_PENDING until the wait has
 * elapsed, then 0. */
int durable_wait(durable_ctx *ctx, const char *name, int64_t seconds);

/* ==== callbacks (SPEC §10.7) =============================================== */

typedef struct durable_callback_options {
    int64_t timeout_seconds;           /* 0: no timeout */
    int64_t heartbeat_timeout_seconds; /* 0: no heartbeat timeout */
    const durable_serdes *serdes;      /* result decoding; NULL: durable_serdes_raw() */
} durable_callback_options;
#define DURABLE_CALLBACK_OPTIONS_INIT { 0, 0, NULL }

/* A created callback; belongs to the context (never freed by the caller),
 * valid until the invocation ends. */
typedef struct durable_callback durable_callback;

/*
 * Create a callback (CALLBACK, SubType "Callback"): START is checkpointed
 * synchronously so the CallbackId is known at once. *out receives the handle
 * (also on replay). Returns 0, DURABLE_PENDING (context blocked) or an error.
 * The options are copied (the serdes pointer is kept: it must outlive the
 * invocation, as presets and statics do).
 */
int durable_create_callback(durable_ctx *ctx, durable_callback **out, const char *name,
                            const durable_callback_options *opts);

/* The CallbackId to give the external system (borrowed). */
const char *durable_callback_id(const durable_callback *cb);

/*
 * Await the callback's result: 0 with *out (may be NULL) = the result
 * decoded by the callback's serdes (by default the raw Result text as a JSON
 * string; null when the result is empty); DURABLE_PENDING while it is open;
 * DURABLE_EFAILED (kind CallbackError) when it failed (the external
 * ErrorType/Message/Data) or timed out (ErrorType Callback.Timeout or
 * Callback.Heartbeat). Must be called on the thread that owns the context
 * the callback was created on.
 */
int durable_callback_await(durable_callback *cb, const cJSON **out);

/* ==== invoke (SPEC §10.8) ================================================== */

typedef struct durable_invoke_options {
    const char *tenant_id;                /* NULL: none */
    const durable_serdes *payload_serdes; /* NULL: JSON */
    const durable_serdes *result_serdes;  /* NULL: JSON */
} durable_invoke_options;
#define DURABLE_INVOKE_OPTIONS_INIT { NULL, NULL, NULL }

/* Invoke another function (CHAINED_INVOKE, SubType "ChainedInvoke"; name
 * may be NULL). payload NULL means JSON null. Returns DURABLE_PENDING until
 * the target ends; then 0 with its deserialized result, or DURABLE_EFAILED
 * (kind InvokeError) when it failed, timed out or was stopped. */
int durable_invoke(durable_ctx *ctx, const cJSON **out, const char *name,
                   const char *function_name, const cJSON *payload,
                   const durable_invoke_options *opts);

/* ==== child contexts (SPEC §10.9) ========================================== */

/* A context function: run durable operations on `child` and return 0 with
 * *result (owned by the SDK; NULL = null), or a status/error code as a
 * handler does (DURABLE_PENDING, DURABLE_EFAILED with the error on `child`,
 * or durable_ctx_fail(child, …)). */
typedef int (*durable_child_fn)(durable_ctx *child, cJSON **result, void *user);

/* Summary of a result too large to checkpoint (> 256 KiB): *out is text
 * allocated with durable_strdup (NULL = ""); non-zero return = "". */
typedef int (*durable_summary_fn)(char **out, const cJSON *result, void *user);

typedef struct durable_child_options {
    const char *subtype;          /* NULL: "RunInChildContext" */
    const durable_serdes *serdes; /* NULL: JSON */
    durable_summary_fn summary;   /* NULL: "" */
    void *summary_user;
} durable_child_options;
#define DURABLE_CHILD_OPTIONS_INIT { NULL, NULL, NULL, NULL }

/*
 * Run fn in a child context (CONTEXT; name may be NULL). Children carry
 * ParentId = this context's Id. A completed context returns its stored
 * result without running fn, except a context checkpointed with
 * ReplayChildren (its result exceeded 256 KiB), whose fn re-runs with every
 * child replayed from its checkpoint. Failure: DURABLE_EFAILED with kind
 * ChildContextError and the child's error as the cause.
 */
int durable_run_in_child_context(durable_ctx *ctx, const cJSON **out, const char *name,
                                 durable_child_fn fn, void *user,
                                 const durable_child_options *opts);

/* ==== parallel and map (SPEC §10.10) ======================================= */

/* Use as max_concurrency for "no limit" (the default). 0 and negative
 * values are invalid (DURABLE_EINVAL before any checkpoint). */
#define DURABLE_UNLIMITED INT_MAX

/*
 * The most worker threads one durable_map/durable_parallel call runs at
 * once, whatever its max_concurrency. A fixed number rather than the CPU
 * count because items mostly wait (checkpoint round trips, the user's own
 * I/O), so CPU-count threads would leave items idle behind a slow one;
 * 64 still keeps a map over thousands of items to a bounded number of
 * stacks and well inside common per-process thread limits.
 *
 * The cap bounds threads, not the concurrency of SPEC §10.10: an item is
 * "active" from its START until it succeeds or fails, and a suspended item
 * (wait, callback, retry) stays active, holding its max_concurrency slot,
 * but has left its thread. The next item starts (START checkpointed, in
 * index order) when fewer than max_concurrency items are active AND fewer
 * than DURABLE_MAX_ITEM_THREADS are running. So:
 *   - DURABLE_UNLIMITED: every item still starts in the same invocation,
 *     at most 64 running at a time; each one that finishes or suspends
 *     lets the next one start;
 *   - max_concurrency > 64 (finite): up to max_concurrency items are
 *     active (64 running, the rest suspended); an item never counts
 *     against max_concurrency before its START, so waiting for a thread
 *     only delays a START, it never exceeds the limit or starts an item
 *     that cannot run.
 * The completion config is checked as each item finishes, as always; a
 * batch decided while later items wait for a thread never starts them
 * (SPEC §10.10: items start only while the batch has not completed).
 * The cap is per call: a map inside a map item has its own 64.
 */
#define DURABLE_MAX_ITEM_THREADS 64

typedef enum durable_nesting {
    DURABLE_NESTING_NESTED = 0, /* one CONTEXT per item */
    DURABLE_NESTING_FLAT        /* virtual item contexts, never checkpointed */
} durable_nesting;

/* Completion config. All unset (the default): stop on the first failure.
 * If any field is set, an unset tolerance is unbounded. Comparisons are
 * strict (>), the percentage is over all items. */
typedef struct durable_completion_config {
    int64_t min_successful;              /* DURABLE_ABSENT: unset */
    int64_t tolerated_failure_count;     /* DURABLE_ABSENT: unset */
    double tolerated_failure_percentage; /* < 0: unset */
} durable_completion_config;
#define DURABLE_COMPLETION_CONFIG_INIT { DURABLE_ABSENT, DURABLE_ABSENT, -1.0 }

typedef enum durable_completion_reason {
    DURABLE_COMPLETION_NONE = 0,
    DURABLE_ALL_COMPLETED,
    DURABLE_MIN_SUCCESSFUL_REACHED,
    DURABLE_FAILURE_TOLERANCE_EXCEEDED
} durable_completion_reason;

/* "ALL_COMPLETED" …; static, "" for NONE. */
const char *durable_completion_reason_name(durable_completion_reason r);

typedef enum durable_item_status {
    DURABLE_ITEM_STARTED = 1, /* still running when the batch completed */
    DURABLE_ITEM_SUCCEEDED,
    DURABLE_ITEM_FAILED
} durable_item_status;

typedef struct durable_batch_item {
    size_t index;                      /* 0-based item / branch index */
    const char *name;                  /* item name (borrowed) */
    durable_item_status status;
    const cJSON *result;               /* SUCCEEDED: deserialized result */
    const durable_error_object *error; /* FAILED: the item's error */
} durable_batch_item;

/* A batch result; belongs to the context (valid until the invocation ends). */
typedef struct durable_batch_result {
    durable_batch_item *items; /* one per STARTED item, in index order */
    size_t count;              /* = total_count */
    durable_completion_reason completion_reason;
    durable_op_status status;  /* DURABLE_OP_FAILED if any item failed, else SUCCEEDED */
    size_t success_count;
    size_t failure_count;
    size_t started_count;      /* items still STARTED */
    size_t total_count;        /* items that were started */
    bool has_failure;
} durable_batch_result;

/* Successful results in index order as a JSON array (owned by the batch). */
const cJSON *durable_batch_result_results(const durable_batch_result *br);
/* Number of items with the given status; fills at most max pointers. */
size_t durable_batch_result_filter(const durable_batch_item **out, size_t max,
                                   const durable_batch_result *br, durable_item_status status);
/* throwIfError: 0 if no item failed, else DURABLE_EFAILED with the first
 * failure (kind ChildContextError) recorded as ctx's error. */
int durable_batch_result_throw_if_error(durable_ctx *ctx, const durable_batch_result *br);
/* The serialized shape {all:[{index,status,result?,error?}],completionReason,
 * status,successCount,failureCount,startedCount,totalCount}; new tree owned
 * by the caller (cJSON_Delete). */
int durable_batch_result_to_json(cJSON **out, const durable_batch_result *br);

/* Item namer: *out allocated with durable_strdup (non-zero return or NULL:
 * the default name map-item-<index>). */
typedef int (*durable_item_namer_fn)(char **out, const cJSON *item, size_t index, void *user);

typedef struct durable_branch {
    const char *name;   /* NULL: "parallel-branch-<index>" */
    durable_child_fn fn;
    void *user;
} durable_branch;

typedef struct durable_parallel_options {
    int max_concurrency;                /* DURABLE_UNLIMITED; 1 = sequential on the caller */
    durable_completion_config completion;
    durable_nesting nesting;
    const durable_serdes *serdes;       /* the parent's result; NULL: JSON */
    const durable_serdes *item_serdes;  /* each branch's result; NULL: JSON */
    durable_summary_fn summary;         /* parent result > 256 KiB; NULL: built-in summary */
    void *summary_user;
} durable_parallel_options;
#define DURABLE_PARALLEL_OPTIONS_INIT                                                         \
    { DURABLE_UNLIMITED, DURABLE_COMPLETION_CONFIG_INIT, DURABLE_NESTING_NESTED, NULL, NULL,  \
      NULL, NULL }

/*
 * Run branches as a parallel batch: CONTEXT (SubType "Parallel", name may be
 * NULL) with one CONTEXT per started branch ("ParallelBranch"). Returns 0
 * with *out = the batch result once the batch completed (item failures do not
 * fail the call; use durable_batch_result_throw_if_error), DURABLE_PENDING
 * when no branch can progress, or an error.
 *
 * Branch i is always the batch's (i+1)-th operation, so its Id is the same
 * for every max_concurrency. max_concurrency 1 runs the branches one after
 * the other on the calling thread. Above 1 the calling thread coordinates:
 * it starts branches in index order (checkpointing each START in that
 * order) on worker threads while fewer than max_concurrency are active
 * and fewer than DURABLE_MAX_ITEM_THREADS are running, and checks the
 * completion config as each branch finishes. A branch that
 * suspends (wait, callback, retry) keeps its slot but does not stop the
 * others; the call returns DURABLE_PENDING only when every branch has
 * finished or suspended and the batch is still undecided. Once decided, no
 * further branch starts and branches still running are stopped at their
 * next durable operation (it returns DURABLE_PENDING; they are reported
 * STARTED); the call returns after every branch function has returned.
 */
int durable_parallel(durable_ctx *ctx, const durable_batch_result **out, const char *name,
                     const durable_branch *branches, size_t branch_count,
                     const durable_parallel_options *opts);

/* A map function: process items[index] (== item) on item_ctx. */
typedef int (*durable_map_fn)(durable_ctx *item_ctx, cJSON **result, const cJSON *item,
                              size_t index, const cJSON *items, void *user);

typedef struct durable_map_options {
    int max_concurrency;                /* DURABLE_UNLIMITED; 1 = sequential on the caller */
    durable_completion_config completion;
    durable_nesting nesting;
    durable_item_namer_fn item_namer;   /* NULL: "map-item-<index>" */
    void *item_namer_user;
    const durable_serdes *serdes;       /* the parent's result; NULL: JSON */
    const durable_serdes *item_serdes;  /* each item's result; NULL: JSON */
    durable_summary_fn summary;         /* parent result > 256 KiB; NULL: built-in summary */
    void *summary_user;
} durable_map_options;
#define DURABLE_MAP_OPTIONS_INIT                                                              \
    { DURABLE_UNLIMITED, DURABLE_COMPLETION_CONFIG_INIT, DURABLE_NESTING_NESTED, NULL, NULL,  \
      NULL, NULL, NULL, NULL }

/* Map fn over a JSON array (CONTEXT "Map", items "MapIteration"); as
 * durable_parallel otherwise. items must be an array (DURABLE_EINVAL). */
int durable_map(durable_ctx *ctx, const durable_batch_result **out, const char *name,
                const cJSON *items, durable_map_fn fn, void *user,
                const durable_map_options *opts);

/* ==== wait for condition (SPEC §10.11) ===================================== */

typedef struct durable_wait_decision {
    bool should_continue;
    int64_t delay_seconds; /* >= 1 when should_continue */
} durable_wait_decision;

/* Opaque wait strategy; same lifetime rules as retry strategies. */
typedef struct durable_wait_strategy durable_wait_strategy;

/* Builder (createWaitStrategy): should_continue_polling(state) is required;
 * defaults 60 attempts, 5 s, 300 s, rate 1.5, FULL jitter. */
typedef bool (*durable_should_continue_fn)(const cJSON *state, void *user);
typedef struct durable_wait_strategy_options {
    durable_should_continue_fn should_continue_polling;
    void *user;
    int max_attempts;
    double initial_delay_seconds;
    double max_delay_seconds;
    double backoff_rate;
    durable_jitter jitter;
} durable_wait_strategy_options;
#define DURABLE_WAIT_STRATEGY_OPTIONS_INIT                                                    \
    { NULL, NULL, 60, 5.0, 300.0, 1.5, DURABLE_JITTER_FULL }

int durable_wait_strategy_new(durable_wait_strategy **out,
                              const durable_wait_strategy_options *opts);

/* Custom: decide from the new state and the 1-based attempt. */
typedef int (*durable_wait_fn)(durable_wait_decision *out, const cJSON *state, int attempt,
                               void *user);
int durable_wait_strategy_custom(durable_wait_strategy **out, durable_wait_fn fn, void *user);
void durable_wait_strategy_free(durable_wait_strategy *s);

/* The decision for `state` after `attempt` polls. For a builder strategy that
 * would continue while attempt >= max_attempts, returns DURABLE_EFAILED with
 * the last error "waitForCondition exceeded maximum attempts (<N>)". */
int durable_wait_strategy_decide(durable_wait_decision *out, const durable_wait_strategy *s,
                                 const cJSON *state, int attempt);

/* The check: compute *new_state (owned by the SDK) from state. A failing
 * check (durable_step_fail or non-zero) fails the operation at once. */
typedef int (*durable_check_fn)(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state,
                                void *user);

typedef struct durable_wait_for_condition_options {
    const durable_wait_strategy *strategy; /* required */
    const cJSON *initial_state;            /* NULL: null */
    const durable_serdes *serdes;          /* the state; NULL: JSON */
} durable_wait_for_condition_options;
#define DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT { NULL, NULL, NULL }

/* STEP "WaitForCondition": poll check until the strategy stops; *out = the
 * final state. DURABLE_PENDING between polls; DURABLE_EFAILED (kind
 * WaitForConditionError or StepError) on failure. */
int durable_wait_for_condition(durable_ctx *ctx, const cJSON **out, const char *name,
                               durable_check_fn check, void *user,
                               const durable_wait_for_condition_options *opts);

/* ==== wait for callback (SPEC §10.7) ======================================= */

/* Submit callback_id to the external system; runs as a step. */
typedef int (*durable_submitter_fn)(durable_step_ctx *sctx, const char *callback_id,
                                    void *user);

typedef struct durable_wait_for_callback_options {
    int64_t timeout_seconds;              /* 0: none */
    int64_t heartbeat_timeout_seconds;    /* 0: none */
    const durable_retry_strategy *retry;  /* the submitter step; NULL: default */
    const durable_serdes *serdes;         /* the result; NULL: durable_serdes_raw() */
} durable_wait_for_callback_options;
#define DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT { 0, 0, NULL, NULL }

/*
 * CONTEXT "WaitForCallback" containing the callback (N-1) and the submitter
 * step (N-2), then the await. Returns as durable_callback_await: 0 with the
 * result, DURABLE_PENDING, or DURABLE_EFAILED with kind CallbackError and
 * durable_ctx_error() = the original error, live and on replay alike: the
 * external ErrorType/Message/Data, ErrorType "Callback.Timeout" or
 * "Callback.Heartbeat" when it timed out, or the submitter's final error
 * (its own ErrorType) when the submitter step failed after its retries (the
 * callback then stays open). The context FAILs with that error verbatim.
 */
int durable_wait_for_callback(durable_ctx *ctx, const cJSON **out, const char *name,
                              durable_submitter_fn submitter, void *user,
                              const durable_wait_for_callback_options *opts);

/* ==== context accessors ==================================================== */

/* The error of the last failed operation on ctx (or of durable_ctx_fail);
 * NULL if none. Borrowed, valid until the next failing call on ctx. The
 * object is the original error: ErrorType is the user's / service's type
 * (e.g. "TransientError", "Callback.Timeout"), not the SDK kind. */
const durable_error_object *durable_ctx_error(const durable_ctx *ctx);
/* The SDK kind of that error (DURABLE_KIND_*), or NULL for a user error. */
const char *durable_ctx_error_kind(const durable_ctx *ctx);
/* Forget the last error (after handling it). */
void durable_ctx_clear_error(durable_ctx *ctx);

/* Fail with a user error (kept verbatim: the FAILED output carries this
 * ErrorType). Records it as ctx's error and returns DURABLE_EFAILED. */
int durable_ctx_fail(durable_ctx *ctx, const char *type, const char *message, const char *data);

/* True while ctx is replaying recorded operations (until it reaches the
 * last operation stored for it). */
bool durable_ctx_is_replaying(const durable_ctx *ctx);
/* True once the invocation is committed to PENDING (SPEC §10.3). */
bool durable_ctx_is_suspended(const durable_ctx *ctx);
/* DurableExecutionArn (borrowed). */
const char *durable_ctx_execution_arn(const durable_ctx *ctx);
/* Wire Id of ctx's own operation; NULL for the root context. */
const char *durable_ctx_operation_id(const durable_ctx *ctx);

/* ==== plugins ================================================================ */

/* Hook infos, and everything they point to, are borrowed and valid only
 * during the hook call: copy what must outlive it. Timestamps are epoch
 * milliseconds (0 = absent). Fields are only ever appended. */
typedef struct durable_invocation_info {
    const char *execution_arn;
    const char *request_id;
    bool is_first_invocation;       /* the state held only the EXECUTION operation */
    size_t operation_count;         /* operations known at the time of the hook */
    size_t updated_operation_count; /* UpdatedOperationIds of the input */
    const char *const *updated_operation_ids;
    int64_t execution_start_timestamp; /* ms */
    /* invocation end only: */
    durable_invocation_status status;  /* NONE for an invocation error */
    const durable_error_object *error; /* FAILED output or invocation error; else NULL */
    durable_logger *logger;
    /* The operations of updated_operation_ids, same count and index, as
     * stored when the hook runs (Type, Status, timestamps, Result, Error…),
     * so a plugin can tell a finished wait from a completed callback. An
     * Id the state does not hold gets an entry with only its Id set and
     * status NONE. NULL when updated_operation_count is 0. Both invocation
     * hooks (at the end: as stored then). */
    const durable_operation *updated_operations;
} durable_invocation_info;

/* What one attempt came to (attempt_end hooks). */
typedef enum durable_attempt_outcome {
    DURABLE_ATTEMPT_NONE = 0,  /* not an attempt_end hook */
    DURABLE_ATTEMPT_SUCCEEDED, /* the body returned a result and the operation goes on */
    DURABLE_ATTEMPT_FAILED,    /* the attempt failed and none follows: the operation fails */
    DURABLE_ATTEMPT_WILL_RETRY /* another attempt follows after next_attempt_delay_seconds */
} durable_attempt_outcome;

typedef struct durable_operation_info {
    const char *execution_arn;
    /* The operation as known when the hook runs: the stored/merged one
     * whenever the state holds it (Status, StartTimestamp, EndTimestamp,
     * Attempt, NextAttemptTimestamp… as the service recorded them: e.g. a
     * step's attempt 2 after a retry, any replay, an AT_MOST_ONCE attempt
     * whose START was acknowledged first); otherwise (a live operation not
     * yet acknowledged, such as an AT_LEAST_ONCE step's first attempt) a
     * descriptor with Id, ParentId, Name, SubType, Type, status NONE and
     * both timestamps 0. Result/Error are the raw checkpointed ones. */
    const durable_operation *operation;
    bool is_replay;             /* seen in the state on replay (non-terminal) */
    bool is_replaying_children; /* user-function hooks of a ReplayChildren context */
    int attempt;                /* attempt hooks: 1-based attempt; else 0 */
    /* attempt-end / user-function-end: the outcome */
    durable_op_status outcome;  /* SUCCEEDED or FAILED (NONE when suspended) */
    const durable_error_object *error; /* FAILED outcome (attempt_end: this attempt's error) */
    durable_logger *logger;
    /* Attempt hooks only (0 / NONE in every other hook). Times come from
     * the invocation's clock (durable_invocation_options.clock), the one
     * the service stamps operations with, so they compare with the
     * operation's timestamps. */
    int64_t attempt_start_timestamp; /* ms: when this attempt's body began (both hooks) */
    int64_t attempt_end_timestamp;   /* ms: attempt_end: when the body returned */
    /* attempt_end: SUCCEEDED, FAILED or WILL_RETRY (a failed step attempt
     * the retry strategy retries; a waitForCondition poll whose strategy
     * continues, with outcome SUCCEEDED: the check itself passed). */
    durable_attempt_outcome attempt_outcome;
    int64_t next_attempt_delay_seconds; /* WILL_RETRY: the delay asked for; else 0 */
} durable_operation_info;

typedef struct durable_operation_change_info {
    const char *execution_arn;
    const durable_operation *updated; /* the delta just merged */
    size_t updated_count;
    const durable_operation *operations; /* the full map after the merge */
    size_t operation_count;
    durable_logger *logger;
    /* Per updated item (same index): true when the operation was already
     * recorded before this invocation began (a change to replayed state),
     * false for an operation this invocation created. */
    const bool *updated_is_replay;
} durable_operation_change_info;

/*
 * A plugin: any hook may be NULL. A hook fails by returning non-zero; the
 * failure is isolated (logged at DEBUG) and never changes the result, and
 * the other plugins still receive the hook. Hooks:
 *  - invocation_start: before the handler runs; invocation_end: after the
 *    output is final (status PENDING for a suspending invocation).
 *  - operation_start: when the handler reaches an operation that is new
 *    (is_replay false) or stored and not terminal (is_replay true).
 *  - operation_end: once per operation, when its terminal status is first
 *    observed (a merged checkpoint response, or an operation the service
 *    completed between invocations).
 *  - operation_change: after each merge of a checkpoint response delta.
 *  - attempt_start / attempt_end: around each step body attempt (and each
 *    waitForCondition check), with the attempt's start and end times, its
 *    outcome and error. attempt_end of attempt N comes before
 *    attempt_start of attempt N+1, and an attempt's end time is never
 *    before its start time.
 *  - user_function_start / user_function_end: around each child-context,
 *    branch or map-item function run.
 */
typedef struct durable_plugin {
    const char *name;
    void *user;
    int (*invocation_start)(void *user, const durable_invocation_info *info);
    int (*invocation_end)(void *user, const durable_invocation_info *info);
    int (*operation_start)(void *user, const durable_operation_info *info);
    int (*operation_end)(void *user, const durable_operation_info *info);
    int (*operation_change)(void *user, const durable_operation_change_info *info);
    int (*attempt_start)(void *user, const durable_operation_info *info);
    int (*attempt_end)(void *user, const durable_operation_info *info);
    int (*user_function_start)(void *user, const durable_operation_info *info);
    int (*user_function_end)(void *user, const durable_operation_info *info);
} durable_plugin;

/* ==== the invocation entry point (SPEC §10.1, §10.3, §10.14) ============== */

/* The handler: *out (owned by the SDK once set; NULL = null) is the result. */
typedef int (*durable_handler_fn)(durable_ctx *ctx, const cJSON *input, cJSON **out,
                                  void *user);

/* Checkpoint batching (SPEC §10.13). */
typedef struct durable_checkpoint_options {
    size_t max_bytes;       /* 750 KiB per call (updates + token + 100 bytes) */
    size_t max_updates;     /* 200 per call */
    int max_delay_ms;       /* how long an async update may wait for company */
    int throttle_retries;   /* 5 */
    int backoff_initial_ms; /* 100, doubling */
    int backoff_max_ms;     /* 10000 */
} durable_checkpoint_options;
#define DURABLE_CHECKPOINT_OPTIONS_INIT { 768000, 200, 10, 5, 100, 10000 }

typedef struct durable_invocation_options {
    const char *request_id;              /* for logs and plugins; NULL: a new UUID */
    durable_logger_options logger;
    const durable_plugin *plugins;       /* called in array order */
    size_t plugin_count;
    durable_checkpoint_options checkpoint;
    /* The clock of the attempt times handed to plugins: pass the one the
     * service stamps operations with (a test runner's virtual clock) so
     * they line up with the operations' timestamps. NULL: the real clock.
     * Borrowed for the call; now_ms may be called from any SDK thread. */
    const durable_clock *clock;
} durable_invocation_options;
#define DURABLE_INVOCATION_OPTIONS_INIT                                                       \
    { NULL, DURABLE_LOGGER_OPTIONS_INIT, NULL, 0, DURABLE_CHECKPOINT_OPTIONS_INIT, NULL }

/* Invocation-error ErrorTypes reported in out->error (SPEC §8.4, §10.13). */
#define DURABLE_INVOCATION_ERROR_TOKEN "CheckpointUnrecoverableInvocationError"
#define DURABLE_INVOCATION_ERROR_INPUT "InvalidDurableExecutionInput"
#define DURABLE_INVOCATION_ERROR_INTERNAL "DurableInvocationError"
/* ErrorType of a FAILED output for a checkpoint rejected by the service. */
#define DURABLE_CHECKPOINT_REJECTED "CheckpointUnrecoverableExecutionError"

/* The message of a missing ARN or token (SPEC §10.1). */
#define DURABLE_UNEXPECTED_PAYLOAD_MESSAGE                                                    \
    "Unexpected payload provided to start the durable execution. Check your resource "       \
    "configurations to confirm the durability is set."

/*
 * Run one invocation of handler: check the input, load every state page
 * (GetDurableExecutionState, MaxItems 1000), run the handler on the root
 * context with the EXECUTION operation's InputPayload parsed as JSON (absent
 * → null), drain the checkpoint queue, and build the output:
 *  - committed to PENDING (anything returned DURABLE_PENDING)  → PENDING,
 *    whatever the handler returned;
 *  - non-determinism or a serdes failure anywhere → FAILED with
 *    NonDeterministicExecutionError / SerdesFailedError;
 *  - handler returned 0 → SUCCEEDED with the serialized result; above
 *    6,291,406 bytes the result goes in an EXECUTION SUCCEED checkpoint and
 *    the output Result is "";
 *  - handler returned DURABLE_EFAILED or another error → FAILED: a user
 *    error keeps its ErrorType; an SDK error becomes ErrorType = its kind
 *    with the original message and data (SPEC §11);
 *  - a checkpoint rejected by the service (not a token or throttling error)
 *    → FAILED with ErrorType CheckpointUnrecoverableExecutionError.
 * Returns 0 when *out (zeroed by the caller, cleared with
 * durable_invocation_output_clear) holds that output. Returns
 * DURABLE_EINVOCATION for an invocation error — a missing ARN/token (message
 * DURABLE_UNEXPECTED_PAYLOAD_MESSAGE), "Invalid Checkpoint Token", throttling
 * retries exhausted, state loading failed — with out->status NONE and
 * out->error the ErrorObject to report; the service then retries the
 * invocation. DURABLE_EINVAL for NULL arguments (nothing is filled).
 * client, input, handler and opts are borrowed. Thread-safe across
 * different invocations.
 */
int durable_handle_invocation(durable_invocation_output *out, durable_client *client,
                              const durable_invocation_input *input, durable_handler_fn handler,
                              void *user, const durable_invocation_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_CONTEXT_H */
