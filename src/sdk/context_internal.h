/*
 * SDK internals shared by the operation files (not API).
 *
 * Layout of one invocation:
 *
 *   durable__exec  — one per invocation, shared by every thread:
 *       the operation table (every operation the SDK knows, by Id, merged
 *       from the input, the state pages and every checkpoint response),
 *       the batcher, the logger, the plugins, the fatal error
 *       (non-determinism, serdes failure), the arena that owns every value
 *       handed to the user, and the root commitment scope.
 *       Everything mutable is guarded by `mu` (or atomic).
 *   durable_ctx    — one per context (root, child context, map item, branch);
 *       used by one thread at a time. Owns its operation counter, its path,
 *       its replay flag and its last error. Contexts are owned by the exec
 *       (freed when the invocation ends), so handles built on them
 *       (callbacks, batch results) never dangle during the invocation.
 *   durable__scope — a commitment scope (SPEC §10.3). The root scope's
 *       "committed" flag is the execution-wide "committed to PENDING" flag.
 *       Child contexts share their parent's scope; a parallel/map branch
 *       gets its own scope (parent = the batch's scope), so the batch can
 *       retire the commitment of a branch it no longer needs, or propagate
 *       it with durable__ctx_suspend(parent ctx).
 *
 * Writing an operation (the pattern of step.c, wait.c …):
 *
 *   durable__opref ref;
 *   int rc = durable__ctx_begin_op(ctx, &ref);          // counter, path, Id
 *   if (rc) return rc;                                   // fatal / PENDING / misuse
 *   durable_operation stored;
 *   bool found = durable__exec_view_op(ctx->ex, ref.id, &stored);  // borrowed
 *   if (found && (rc = durable__replay_validate(ctx, &ref, &stored, TYPE, name, SUBTYPE)))
 *       ...;                                             // non-determinism
 *   if (!found) durable__ctx_go_live(ctx);
 *   ... durable__checkpoint(ctx->ex, &update, sync) ...
 *   ... durable__ctx_suspend(ctx) → DURABLE_PENDING ...
 *   durable__opref_clear(&ref);
 */
#ifndef DURABLE_SRC_SDK_CONTEXT_INTERNAL_H
#define DURABLE_SRC_SDK_CONTEXT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "durable/context.h"
#include "durable/ids.h"
#include "model/internal.h"

typedef struct durable__batcher durable__batcher; /* sdk/batcher.h */
typedef struct durable__exec durable__exec;

/* SPEC numbers. */
#define DURABLE__CHILD_RESULT_MAX 262144          /* above: ReplayChildren */
#define DURABLE__LARGE_RESULT_MAX 6291406         /* above: EXECUTION SUCCEED path */
#define DURABLE__STATE_PAGE_ITEMS 1000            /* GetDurableExecutionState MaxItems */

/* SubTypes the SDK emits (SPEC §2.2). */
#define DURABLE__ST_STEP "Step"
#define DURABLE__ST_WAIT "Wait"
#define DURABLE__ST_CALLBACK "Callback"
#define DURABLE__ST_CHILD "RunInChildContext"
#define DURABLE__ST_MAP "Map"
#define DURABLE__ST_MAP_ITERATION "MapIteration"
#define DURABLE__ST_PARALLEL "Parallel"
#define DURABLE__ST_PARALLEL_BRANCH "ParallelBranch"
#define DURABLE__ST_WAIT_FOR_CALLBACK "WaitForCallback"
#define DURABLE__ST_WAIT_FOR_CONDITION "WaitForCondition"
#define DURABLE__ST_CHAINED_INVOKE "ChainedInvoke"

/* ---- operation table and string set (state.c) ------------------------------ */

/* Operations in first-seen order plus a hash index by Id. Not locked:
 * the exec's mutex guards it. An operation replaced by a newer copy is
 * retired, not freed: its strings stay valid until the table is cleared,
 * so a shallow copy of an entry (durable__exec_view_op) can be read
 * without the lock for the rest of the invocation. */
typedef struct durable__optable {
    durable_operation *items;
    size_t count, cap;
    size_t *slots; /* index + 1, 0 = empty */
    size_t nslots;
    durable_operation_list retired; /* replaced entries, freed by _clear */
} durable__optable;

void durable__optable_clear(durable__optable *t);
/* Insert a deep copy of op, or replace the stored one with the same Id. */
int durable__optable_put(durable__optable *t, const durable_operation *op);
/* Insert by moving op's contents (op is left zeroed). */
int durable__optable_take(durable__optable *t, durable_operation *op);
/* Room for n operations in all (no rehash until then). */
int durable__optable_reserve(durable__optable *t, size_t n);
/* Borrowed pointer to the entry (the entry moves on the next insert; the
 * strings it points to stay until _clear), NULL if absent. */
const durable_operation *durable__optable_get(const durable__optable *t, const char *id);

typedef struct durable__strset {
    char **slots;
    size_t count, nslots;
} durable__strset;

void durable__strset_clear(durable__strset *s);
/* 1 if added, 0 if already present, negative on allocation failure. */
int durable__strset_add(durable__strset *s, const char *str);
bool durable__strset_has(const durable__strset *s, const char *str);
/* The set's own copy of str (added if absent); valid until the set is
 * cleared. NULL on allocation failure. */
const char *durable__strset_intern(durable__strset *s, const char *str);

/* ---- logger (logger.c) -------------------------------------------------------- */

struct durable_logger {
    durable_logger_options opts;
    durable_log_level level; /* resolved (never FROM_ENV) */
    pthread_mutex_t mu;
    char *request_id;
    char *execution_arn;
};

int durable__logger_init(durable_logger *lg, const durable_logger_options *opts,
                         const char *request_id, const char *execution_arn);
void durable__logger_destroy(durable_logger *lg);
/* Level named by AWS_LAMBDA_LOG_LEVEL (case-insensitive), INFO if unset or unknown. */
durable_log_level durable__log_level_from_env(void);
/* Format and write one record. op_id may be NULL; attempt <= 0 = absent. */
void durable__logger_emitv(durable_logger *lg, durable_log_level level, const char *op_id,
                           int attempt, const durable_error_object *err, const char *fmt,
                           va_list ap);
void durable__logger_emit(durable_logger *lg, durable_log_level level, const char *op_id,
                          int attempt, const durable_error_object *err, const char *fmt, ...)
    DURABLE__PRINTF(6, 7);

/* ---- commitment scopes ---------------------------------------------------------- */

typedef struct durable__scope {
    atomic_bool committed;
    struct durable__scope *parent; /* informational: the scope that spawned it */
} durable__scope;

/* New scope owned by the exec (freed at the end of the invocation). */
int durable__scope_new(durable__scope **out, durable__exec *ex, durable__scope *parent);
bool durable__scope_committed(const durable__scope *s);
/* Retire a commitment (a batch that completed without this branch). */
void durable__scope_retire(durable__scope *s);

/* ---- the execution state ------------------------------------------------------- */

typedef struct durable__arena_entry {
    void *ptr;
    void (*free_fn)(void *);
} durable__arena_entry;

struct durable__exec {
    pthread_mutex_t mu;
    pthread_cond_t changed;  /* broadcast after every merge */
    uint64_t merge_seq;      /* incremented by every merge (under mu) */

    durable__optable ops;    /* guarded by mu */
    durable__strset ended;   /* ids whose operation_end hook fired (mu) */
    durable__strset parents; /* interned ParentIds handed to the batcher (mu) */
    durable__strset updated; /* UpdatedOperationIds of the input (immutable) */
    char **updated_ids;      /* same, in input order */
    size_t updated_count;
    /* updated_count shallow views (durable__exec_view_op) for the
     * invocation hooks, refreshed before each of them. */
    durable_operation *updated_views;

    /* Immutable after setup. */
    char *arn;
    char *exec_op_id;
    char *request_id;
    int64_t exec_start_ts;
    bool first_invocation;
    size_t initial_op_count; /* operations loaded before the handler ran */
    durable_client *client;
    durable__batcher *batcher;
    durable_logger logger;
    const durable_plugin *plugins;
    size_t plugin_count;
    pthread_mutex_t plugin_mu; /* serializes hook calls */
    const durable_clock *clock; /* attempt times for plugins; NULL = real (borrowed) */

    durable__scope root_scope;

    /* Fatal error (first one wins; guarded by mu). */
    atomic_int fatal_code;               /* 0 or ENONDETERMINISTIC / ESERDES */
    char *fatal_kind;
    durable_error_object *fatal_error;

    atomic_bool closed; /* the invocation is over: operations are refused */

    /* Everything handed out during the invocation (guarded by mu). */
    durable__arena_entry *arena;
    size_t arena_count, arena_cap;
};

/* Create / destroy the execution state (context.c). */
int durable__exec_new(durable__exec **out, durable_client *client, const char *arn,
                      const char *request_id, const durable_invocation_options *opts);
void durable__exec_free(durable__exec *ex);

/* Deep copy of the operation with this Id into *out (zeroed by the caller;
 * cleared by the caller when true). Thread-safe. */
bool durable__exec_get_op(durable__exec *ex, const char *id, durable_operation *out);
/* Like durable__exec_get_op, but *out is a shallow copy whose strings and
 * error belong to the exec: valid, unchanged, until the invocation ends.
 * Never clear or free it. *out is durable_operation_init'ed when absent. */
bool durable__exec_view_op(durable__exec *ex, const char *id, durable_operation *out);
/* Status only (NONE if absent). Thread-safe. */
durable_op_status durable__exec_op_status(durable__exec *ex, const char *id);
/* Cheap replay check without copying: 0 = not stored; 1 = stored with this
 * Type, Name and SubType (*status set); -1 = stored but different (validate
 * a copy with durable__replay_validate to report it). Thread-safe. */
int durable__exec_peek(durable__exec *ex, const char *id, durable_op_type type, const char *name,
                       const char *subtype, durable_op_status *status);
/* Number of operations known. Thread-safe. */
size_t durable__exec_op_count(durable__exec *ex);

/* Merge operations (a state page or a checkpoint delta) into the table;
 * with notify, run the operation_change / operation_end hooks and wake
 * waiters. The batcher's merge callback. Thread-safe. */
void durable__exec_merge(durable__exec *ex, const durable_operation_list *ops, bool notify);
/* Same, moving the operations out of ops (left zeroed) instead of copying
 * them, unless the hooks still need them (notify with plugins on). */
void durable__exec_merge_take(durable__exec *ex, durable_operation_list *ops, bool notify);
/* The batcher merge callback signature, user = the exec (takes). */
void durable__exec_merge_cb(void *user, durable_operation_list *ops);
/* The batcher's parent lookup (user = the exec): the stored ParentId of an
 * operation, interned so the pointer lives as long as the exec. */
const char *durable__exec_parent_cb(void *user, const char *op_id);

/* Block until a merge newer than *seen happened or timeout_ms passed
 * (< 0 = no timeout); *seen is updated. Returns true if something changed.
 * For in-process waits while sibling branches run (SPEC §10.2). */
bool durable__exec_wait_change(durable__exec *ex, uint64_t *seen, int64_t timeout_ms);
uint64_t durable__exec_merge_seq(durable__exec *ex);

/* Set the fatal error once (later calls keep the first); returns code. */
int durable__exec_fatal(durable__exec *ex, int code, const char *kind, const char *fmt, ...)
    DURABLE__PRINTF(4, 5);

/* Arena: the exec takes ownership and frees at the end (reverse order). */
int durable__exec_keep(durable__exec *ex, void *ptr, void (*free_fn)(void *));
/* Keep a cJSON tree (cJSON_Delete at the end); returns v, or NULL (and
 * deletes v) on allocation failure. */
const cJSON *durable__exec_keep_json(durable__exec *ex, cJSON *v);
/* Zeroed memory owned by the exec. */
void *durable__exec_alloc(durable__exec *ex, size_t size);
char *durable__exec_strdup(durable__exec *ex, const char *s);

/* Queue one update with the batcher (sync: wait for the answer and the
 * merge). Returns 0 or the batcher's code; DURABLE_ESTATE once the
 * invocation is over. Thread-safe. */
int durable__checkpoint(durable__exec *ex, const durable_operation_update *u, bool sync);
/* One empty checkpoint (state refresh), synchronous. */
int durable__refresh(durable__exec *ex);

/* True for codes that are not a failure of user code but of the
 * invocation's machinery (checkpoint failures, fatal errors, misuse): they
 * propagate unchanged and never become a FAIL checkpoint. */
bool durable__code_propagates(durable__exec *ex, int rc);

/* ---- contexts (context.c) ----------------------------------------------------------- */

struct durable_ctx {
    durable__exec *ex;
    durable_ctx *parent;
    durable__scope *scope;
    char *path;            /* positional path of this context; NULL for the root */
    char *op_id;           /* wire Id; NULL for the root */
    char *name;            /* the context operation's Name (may be NULL) */
    char *subtype;         /* the context operation's SubType (NULL for the root) */
    char *child_parent_id; /* ParentId of operations created here (NULL for the root) */
    bool is_virtual;       /* FLAT item context: never checkpointed */
    uint64_t counter;      /* last number used (SPEC §4.1) */
    bool replaying;        /* still replaying: until the last stored operation is reached */
    bool replay_only;      /* ReplayChildren re-run: no operation may run live */
    uint64_t next_n;       /* next_id is the Id of this operation number (0: none) */
    char next_id[DURABLE_OP_ID_LEN + 1];
    atomic_int busy;       /* child functions running on this context */
    durable_error_object *err;
    char *err_kind;
};

/*
 * A new child context owned by the exec. path and op_id are the child's own
 * (its CONTEXT operation); for a virtual (FLAT) context op_id is NULL-able
 * and its operations carry ParentId = the parent's child_parent_id. scope
 * NULL = the parent's scope. replaying: the child's operation was found
 * stored. replay_only is inherited from the parent and may be raised.
 */
int durable__ctx_new_child(durable_ctx **out, durable_ctx *parent, const char *path,
                           const char *op_id, const char *name, const char *subtype,
                           bool is_virtual, durable__scope *scope, bool replaying);
/* The root context (context.c; invocation.c only). */
int durable__ctx_new_root(durable_ctx **out, durable__exec *ex);

/* One operation's identity. path points into path_buf when it fits (no
 * allocation per operation), so an opref must not be copied or moved
 * between durable__ctx_begin_op and durable__opref_clear. */
typedef struct durable__opref {
    char *path;                        /* "2-1": path_buf, or the heap when longer */
    char id[DURABLE_OP_ID_LEN + 1];    /* md5 prefix of path */
    const char *parent_id;             /* borrowed from the ctx; NULL at the root */
    char path_buf[40];
} durable__opref;

void durable__opref_clear(durable__opref *r);

/*
 * Start an operation on ctx: refuse if the invocation is over (ESTATE),
 * fatal (its code), ctx is busy (ESTATE, context misuse) or blocked
 * (DURABLE_PENDING, nothing consumed); else consume the next counter value
 * and fill *ref.
 */
int durable__ctx_begin_op(durable_ctx *ctx, durable__opref *ref);
/* durable__ctx_begin_op for the map/parallel coordinator, which claims item
 * Ids on the batch context while earlier items' functions run on it (the
 * busy check is skipped; every other check applies). Coordinator thread
 * only. */
int durable__ctx_begin_item(durable_ctx *ctx, durable__opref *ref);
/* The checks of durable__ctx_begin_op without consuming a number (for
 * calls that are not operations, such as awaiting a callback). */
int durable__ctx_ready(durable_ctx *ctx);
/* The handler reached an operation that is not stored: ctx leaves replay.
 * Refused (non-determinism, fatal) in a replay-only context. */
int durable__ctx_go_live(durable_ctx *ctx, const durable__opref *ref);

/* Commit ctx's scope to PENDING (and the execution when it is the root
 * scope); returns DURABLE_PENDING. */
int durable__ctx_suspend(durable_ctx *ctx);
/* True once ctx's scope is committed. */
bool durable__ctx_blocked(const durable_ctx *ctx);

/* Record ctx's last error: kind (NULL = user error) and a copy of e (the
 * StackTrace is dropped). Returns DURABLE_EFAILED (or ENOMEM). */
int durable__ctx_set_error(durable_ctx *ctx, const char *kind, const durable_error_object *e);
int durable__ctx_set_error_parts(durable_ctx *ctx, const char *kind, const char *type,
                                 const char *message, const char *data);
/* Validation failure: kind ValidationError, returns DURABLE_EINVAL and sets
 * the thread's last error too. */
int durable__ctx_invalid(durable_ctx *ctx, const char *fmt, ...) DURABLE__PRINTF(2, 3);

/*
 * The error object that leaves a function which returned rc on ctx (SPEC
 * §11): a user error keeps its ErrorType; an SDK error becomes ErrorType =
 * its kind with the original message and data; no error recorded → the
 * code's name and the last-error text. Truncated to 32,768 bytes, no
 * StackTrace. New heap object (durable_error_object_free).
 */
int durable__ctx_escape_error(durable_error_object **out, const durable_ctx *ctx, int rc);

/* Mark / unmark ctx busy while a child function runs on it. */
void durable__ctx_enter_child(durable_ctx *ctx);
void durable__ctx_leave_child(durable_ctx *ctx);

/*
 * Run a context function on child (child contexts, branches, map items):
 * user_function_start/end hooks around fn, the parent marked busy. desc
 * describes the CONTEXT operation for the hooks. *result gets fn's result
 * (owned by the caller, may be NULL). Returns fn's code, turned into
 * DURABLE_PENDING when child's scope committed meanwhile (a swallowed
 * PENDING), and into the fatal code when the execution went fatal.
 */
int durable__run_context_fn(durable_ctx *child, durable_child_fn fn, void *user,
                            cJSON **result, const durable_operation *desc,
                            bool replaying_children);

/* ---- replay validation (replay.c) ------------------------------------------------- */

/* Compare the stored operation with the call (Type, Name — absent equals
 * absent — and SubType, SPEC §4.8). A mismatch sets the fatal
 * NonDeterministicExecutionError ("Non-deterministic execution detected:
 * …"), records it on ctx and returns DURABLE_ENONDETERMINISTIC. */
int durable__replay_validate(durable_ctx *ctx, const durable__opref *ref,
                             const durable_operation *stored, durable_op_type type,
                             const char *name, const char *subtype);

/* A descriptor operation for hooks and updates: Id, ParentId, Name,
 * SubType, Type (borrowed strings; status NONE). */
void durable__op_desc(durable_operation *out, const durable__opref *ref, durable_op_type type,
                      const char *name, const char *subtype);

/* ---- what every operation shares (op_frame.c) ------------------------------------- */

/* One operation call: its identity, its stored copy, its descriptor. */
typedef struct durable__op {
    durable__opref ref;
    durable_operation stored; /* the stored copy when found (durable__exec_view_op: borrowed) */
    durable_operation desc;   /* durable__op_desc of the call (borrows ref and the name) */
    bool found;
} durable__op;

/* Claim the next operation of ctx (durable__ctx_begin_op) and load its
 * stored copy; a stored copy is validated against the call
 * (durable__replay_validate). Returns 0 or the code the operation returns.
 * Call durable__op_end afterwards in every case; op must not move. */
int durable__op_begin(durable__op *op, durable_ctx *ctx, durable_op_type type, const char *name,
                      const char *subtype);
/* The operation is not stored: ctx leaves replay (durable__ctx_go_live) and
 * the plugins see it start. */
int durable__op_go_live(durable__op *op, durable_ctx *ctx);
void durable__op_end(durable__op *op);

/* An update of the operation ref (Id, ParentId, Name, SubType, Type,
 * Action; borrowed strings, everything else unset). */
void durable__op_update(durable_operation_update *u, const durable__opref *ref,
                        durable_op_type type, const char *name, const char *subtype,
                        durable_op_action action);

/* An operation ended FAILED with err (NULL: an empty error): record it on
 * ctx under kind and set the last error to "<what>: <type>: <message>",
 * what formatted from fmt. Returns DURABLE_EFAILED. */
int durable__ctx_op_failed(durable_ctx *ctx, const char *kind, const durable_error_object *err,
                           const char *fmt, ...) DURABLE__PRINTF(4, 5);

/* ---- serdes (serdes.c) ---------------------------------------------------------------- */

/* Serialize v (NULL = null) with serdes (NULL = JSON) for operation op_id.
 * Failure → fatal SerdesFailedError, DURABLE_ESERDES. *out: durable_free. */
int durable__serialize(char **out, durable_ctx *ctx, const durable_serdes *serdes,
                       const char *op_id, const cJSON *v);
/* Deserialize text (NULL = absent) into a value kept by the exec (*out
 * borrowed). Failure → fatal SerdesFailedError, DURABLE_ESERDES. */
int durable__deserialize(const cJSON **out, durable_ctx *ctx, const durable_serdes *serdes,
                         const char *op_id, const char *text);
/* Round trip of a live value (what replay would return); takes v. */
int durable__roundtrip(const cJSON **out, char **text_out, durable_ctx *ctx,
                       const durable_serdes *serdes, const char *op_id, cJSON *v);

/* ---- plugins (plugins.c) --------------------------------------------------------------- */

bool durable__plugins_enabled(const durable__exec *ex);
void durable__plugins_invocation(durable__exec *ex, bool end, const durable_invocation_info *info);
/* operation_start for an operation the handler reached. */
void durable__plugins_op_start(durable__exec *ex, const durable_operation *op, bool is_replay);
/* operation_end once per Id (checks and records ex->ended). */
void durable__plugins_op_end(durable__exec *ex, const durable_operation *op);
void durable__plugins_op_change(durable__exec *ex, const durable_operation_list *delta);
/* One attempt of a step body or waitForCondition check, as the attempt
 * hooks report it. desc is the live descriptor (borrowed), reported until
 * the state holds the operation. Times are 0 when no plugin is set. */
typedef struct durable__attempt {
    const durable_operation *desc;
    int number; /* 1-based */
    int64_t start_ms, end_ms;
} durable__attempt;
/* Start timing attempt `number` and run attempt_start. */
void durable__plugins_attempt_start(durable__exec *ex, durable__attempt *a,
                                    const durable_operation *desc, int number);
/* The body returned: stamp the attempt's end time. */
void durable__plugins_attempt_returned(durable__exec *ex, durable__attempt *a);
/* attempt_end: err NULL means the body succeeded (outcome SUCCEEDED) even
 * when the result is WILL_RETRY (a waitForCondition poll that continues);
 * delay_s is the retry delay of WILL_RETRY. */
void durable__plugins_attempt_end(durable__exec *ex, const durable__attempt *a,
                                  durable_attempt_outcome result, const durable_error_object *err,
                                  int64_t delay_s);
void durable__plugins_user_fn(durable__exec *ex, bool end, const durable_operation *op,
                              bool replaying_children, durable_op_status outcome,
                              const durable_error_object *err);

/* ---- retry math (retry.c) ------------------------------------------------------------- */

/* max(1, round(jitter(min(initial * rate^(attempt-1), max)))). */
int64_t durable__backoff_delay(double initial, double max, double rate, durable_jitter jitter,
                               int attempt);
/* Uniform in [0,1), thread-safe. */
double durable__random01(void);

/* ---- step internals shared with wait_for_condition / wait_for_callback (step.c) ---- */

struct durable_step_ctx {
    durable_ctx *ctx;
    const char *op_id;
    int attempt;
    durable_error_object *err; /* set by durable_step_fail */
};

/* The error of a failed body: sctx->err, else {"Error", text of rc}. New
 * heap object, truncated to the ErrorObject limit. */
int durable__step_body_error(durable_error_object **out, durable_step_ctx *sctx, int rc);

#endif
