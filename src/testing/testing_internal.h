/*
 * Internal (not API): what the files of the test runner share.
 *
 * The runner is split along one line: files that talk to the engine (env.c,
 * orch.c, gather.c, child.c) include engine.h / server.h, and files that
 * talk to the SDK or implement the public testing.h API (invoke.c, runner.c,
 * result.c, operation.c, …) include context.h / testing.h. The two sides
 * meet only through this header, which includes neither, so each side
 * stays independent of the other's headers. Handler pointers therefore
 * travel as durable__tst_handler, which is the same function type as
 * context.h's durable_handler_fn (struct durable_ctx is only named here).
 */
#ifndef DURABLE_SRC_TESTING_INTERNAL_H
#define DURABLE_SRC_TESTING_INTERNAL_H

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/common.h"
#include "durable/model.h"
#include "sdk/ckpt_worker.h"

struct durable_ctx;
struct durable_plugin;
struct durable_test_operation;
struct durable_test_result;

/* = durable_handler_fn (context.h). */
typedef int (*durable__tst_handler)(struct durable_ctx *ctx, const cJSON *input, cJSON **out,
                                    void *user);
/* = durable_test_function_fn (testing.h). */
typedef int (*durable__tst_plain)(cJSON **result, durable_error_object *error,
                                  const cJSON *input, void *user);

/* ---- environment (env.c) ------------------------------------------------- */

#define DURABLE__MAX_EXEC_TIMEOUT INT64_C(31622400)

typedef struct durable__tenv_cfg {
    bool skip_time;
    bool deterministic;
    int64_t start_time_ms;
    int64_t checkpoint_delay_ms;
    char *db_path;            /* ":memory:" or a file */
    int sync_mode;            /* durable_sync_mode */
    int64_t idle_limit_ms;
    int64_t default_timeout_s;
    int max_invocation_failures;
    int64_t retry_backoff_ms;
    int64_t invocation_timeout_s;
} durable__tenv_cfg;

/* Set up from a validated config whose strings were copied (ownership
 * moves, also on failure) / tear down. */
int durable__tenv_setup(durable__tenv_cfg *cfg);
int durable__tenv_teardown(void);
/* Move the virtual clock by delta_ms (public durable_test_env_advance_clock). */
int durable__tenv_advance(int64_t delta_ms);
/* Total skipped so far (0 with the real clock). */
int64_t durable__tenv_offset(void);
/* The engine's clock (virtual when skipping), so the SDK's plugin attempt
 * times line up with stored timestamps; NULL (the real clock) when not set
 * up or not skipping. Borrowed, lives until teardown. A forked child keeps
 * a copy that reads the same time as the parent's at the fork, which is
 * the time its own engine continues from. */
const durable_clock *durable__tenv_clock(void);
/* The checkpoint server (engine-side files only), NULL when not set up. */
struct durable_server;
struct durable_server *durable__tenv_server(void);

/* The configuration of the environment (borrowed) or NULL when not set up. */
const durable__tenv_cfg *durable__tenv_config(void);
/* The in-process engine client (borrowed), NULL when not set up. */
durable_client *durable__tenv_client(void);
/* True when the environment uses a file database. */
bool durable__tenv_is_file(void);
/* The checkpoint worker that runs the batcher's async sender of the
 * in-process invocations, one after another (borrowed; owned by the
 * environment, freed by teardown), NULL when not set up. A forked child
 * must not use it: its thread exists in the parent only. */
durable__ckpt_worker *durable__tenv_worker(void);

/* Run registration: while a run holds the environment, teardown refuses. */
int durable__tenv_acquire(void);
void durable__tenv_release(void);

/* Change notification shared by orchestrators and waiting test threads:
 * every state change (an invocation ended, a timer fired, a callback was
 * sent, a run finished, a hold was released) bumps the sequence and wakes
 * everyone. */
uint64_t durable__tenv_seq(void);
void durable__tenv_notify(void);
/* Notify for a change of one's own, given the sequence `seen` read before
 * it. Returns the sequence to wait on: the new one if nothing else changed
 * since `seen`, else `seen` (so a wait on it returns at once). */
uint64_t durable__tenv_notify_since(uint64_t seen);
/* Wait until the sequence differs from `seen` or real time reaches
 * deadline_ms (CLOCK_MONOTONIC ms; < 0 = no deadline). Returns the current
 * sequence. */
uint64_t durable__tenv_wait(uint64_t seen, int64_t deadline_ms);
/* CLOCK_MONOTONIC in ms. */
int64_t durable__mono_ms(void);

/* The env lock guards runner->hold and run->finished. */
void durable__tenv_lock(void);
void durable__tenv_unlock(void);

/* The test holds the virtual clock: a test thread that waited for an
 * operation is about to act on it, so no run skips time until it has
 * (released by its next wait or await). Shared by all runs because
 * they share the clock. */
void durable__tenv_set_hold(bool hold);
bool durable__tenv_held(void);

/* Test threads blocked in durable_test_operation_wait register as waiters.
 * Before skipping time a run lets every waiter look at the latest state
 * (quiesce), so a waiter whose operation just reached its state can take
 * the hold before a deadline it cares about is skipped. */
typedef struct durable__waiter {
    uint64_t checked;              /* sequence the waiter last evaluated */
    struct durable__waiter *next;
} durable__waiter;
/* Registers w and releases the hold (one step). */
void durable__tenv_waiter_add(durable__waiter *w);
/* The waiter evaluated the state as of seq; hold: also take the hold. */
void durable__tenv_waiter_checked(durable__waiter *w, uint64_t seq, bool hold);
void durable__tenv_waiter_remove(durable__waiter *w);
/* Wait until every waiter has evaluated the current sequence, or real time
 * reaches deadline_ms (monotonic). */
void durable__tenv_quiesce(int64_t deadline_ms);

/* Virtual clock control (no-ops / 0 when the clock is real). */
int64_t durable__tenv_now(void);
void durable__tenv_advance_to(int64_t when_ms);

/* Engine calls used by the SDK-side files (all through the server thread). */
int durable__tenv_list_operations(durable_operation_list *out, const char *arn);
int durable__tenv_get_operation(durable_operation *out, const char *arn, const char *op_id);
int durable__tenv_execution_status(durable_exec_status *out, const char *arn);
int durable__tenv_callback_success(const char *callback_id, const char *result, size_t len);
int durable__tenv_callback_failure(const char *callback_id, const durable_error_object *error);
int durable__tenv_callback_heartbeat(const char *callback_id);

/* ---- snapshots (gather.c) ------------------------------------------------ */

typedef struct durable__inv {
    char *request_id;
    int64_t start_timestamp;
    int64_t end_timestamp;
    char *outcome;
    durable_error_object *error;
} durable__inv;

/* Everything a result shows, read from the engine in one server call. */
typedef struct durable__snap {
    durable_execution_info exec;
    durable_operation_list ops;  /* EXECUTION operation excluded */
    durable_event *events;
    size_t event_count;
    durable__inv *invs;
    size_t inv_count;
    bool history_deferred;       /* events not read (see durable__snap_gather) */
} durable__snap;

/* Read everything about arn. With defer_history, the history is left out
 * (history_deferred) when the execution is closed and its history final —
 * no invocation in flight, no terminal event pending — so it can be read
 * later with durable__snap_gather_history and be the same. */
int durable__snap_gather(durable__snap *out, const char *arn, bool defer_history);
/* Read arn's history into s->events (s has none). */
int durable__snap_gather_history(durable__snap *s, const char *arn);
/* Reads the deferred history of every live result (result.c; called by the
 * test environment's teardown while the engine is still up). Returns how
 * many are still deferred afterwards (a read failed). */
size_t durable__results_load_deferred(void);
void durable__snap_clear(durable__snap *s);

/* ---- runner state shared by both sides ----------------------------------- */

typedef struct durable__reg {
    char *name;
    bool durable;
    durable__tst_handler handler;  /* durable */
    durable__tst_plain fn;         /* plain */
    void *user;
    int64_t calls;                 /* atomic enough: only the run thread writes */
} durable__reg;

enum { DURABLE__CB_SUCCEED = 1, DURABLE__CB_FAIL, DURABLE__CB_HEARTBEAT, DURABLE__CB_NEVER };
enum { DURABLE__MATCH_ANY = 0, DURABLE__MATCH_EXACT, DURABLE__MATCH_REGEX };

typedef struct durable__cb_action {
    int match;
    char *name;
    regex_t re;
    bool has_re;
    int op;
    char *payload;
    char *error_type;
    char *error_message;
    char *error_data;
    int64_t delay_ms;
    int heartbeat_count;
} durable__cb_action;

/* Does the action's name rule match a callback name (NULL = unnamed)? */
bool durable__cb_action_matches(const durable__cb_action *a, const char *name);
void durable__cb_action_clear(durable__cb_action *a);

struct durable__run;

typedef struct durable__opts {
    char *execution_name;
    int64_t execution_timeout_s;
    char *tenant_id;
    bool crash_isolation;
    int log_level;            /* durable_log_level */
    bool log_during_replay;
    bool echo_logs;
    const struct durable_plugin *plugins;
    size_t plugin_count;
    bool strict_callback_actions;
} durable__opts;

struct durable_test_runner {
    durable__tst_handler handler;
    void *user;
    char *function_name;
    int64_t root_calls;
    durable__opts opts;

    durable__reg *regs;
    size_t reg_count;
    durable__cb_action *responders;
    size_t responder_count;
    durable__cb_action *actions;
    size_t action_count;

    /* The current or last run. */
    char *arn;
    struct durable__run *run;      /* non-NULL while a run is in progress or awaited */
    pthread_t thread;
    bool thread_started;

    /* Live operation handles (operation.c). */
    struct durable_test_operation **probes;
    size_t probe_count;
};

/* Find a registration by a function name as an invoke gives it (bare,
 * name:qualifier or ARN) or as resolved by the engine; NULL if none. */
durable__reg *durable__runner_find_reg(struct durable_test_runner *r, const char *name);

/* ---- a run (orch.c) ------------------------------------------------------ */

/* One execution the run drives: the root, or a chained target. */
typedef struct durable__exec {
    char *arn;
    durable__tst_handler handler;
    void *user;
    durable__reg *reg;             /* NULL for the root */
} durable__exec;

/* A callback action the run has planned. */
typedef struct durable__planned {
    char *callback_id;
    char *name;
    int op;
    const durable__cb_action *src;
    int64_t at_ms;                 /* engine clock */
    int hb_left;                   /* responder: heartbeats still to send */
    bool sequence;                 /* from the action list (not a responder) */
} durable__planned;

/* A list of planned actions (the local run's; the cloud runner's): add
 * copies id and name; remove frees entry i and closes the gap. */
int durable__planned_add(durable__planned **arr, size_t *count, const char *id, const char *name,
                         int op, const durable__cb_action *src, int64_t at, int hb_left,
                         bool sequence);
void durable__planned_remove(durable__planned *arr, size_t *count, size_t i);

/* A run's callback plan as the planner sees it (pointers into the local
 * run or the cloud runner). */
typedef struct durable__cb_plan {
    durable__planned **planned;
    size_t *planned_count;
    const durable__cb_action *actions; /* the sequence (callback actions) */
    size_t action_count;
    bool *action_used;
    int64_t *seq_last_ms;
} durable__cb_plan;
typedef void (*durable__cb_send_fn)(const durable__planned *p, int op, void *user);
/* The first unused action whose name matches, or -1. */
long durable__cb_plan_next(const durable__cb_plan *plan, const char *name);
/* Send every planned action due at now, earliest first (SPEC §12.4): a
 * sequence heartbeat hands its callback to the next matching unused action,
 * at least gap_ms later; a responder sends its heartbeats, each delay
 * apart, then its op. */
void durable__cb_plan_apply_due(const durable__cb_plan *plan, int64_t now, int64_t gap_ms,
                                durable__cb_send_fn send, void *user);

typedef struct durable__run {
    struct durable_test_runner *runner;
    char *root_arn;
    bool resume;

    durable__exec *execs;
    size_t exec_count;

    /* Captured log lines. */
    pthread_mutex_t log_lock;
    char **logs;
    size_t log_count;
    size_t log_cap;

    /* Callback handling. */
    char **seen_callbacks;         /* ids observed (handled or planned) */
    size_t seen_count;
    bool *action_used;             /* per runner->actions */
    int64_t seq_last_ms;           /* send time of the last sequence action */
    durable__planned *planned;
    size_t planned_count;

    /* Outcome (the run thread writes; read after finished). */
    bool finished;                 /* guarded by the env lock */
    int rc;
    char *errmsg;
    struct durable_test_result *result; /* built by the run thread at the end */
} durable__run;

int durable__run_new(durable__run **out, struct durable_test_runner *r);
void durable__run_free(durable__run *run);
int durable__run_add_exec(durable__run *run, const char *arn, durable__tst_handler h,
                          void *user, durable__reg *reg);
int durable__run_add_log(durable__run *run, const char *line);

/* Start the root execution (sets run->root_arn). input may be NULL. */
int durable__orch_start(durable__run *run, const char *input);
/* Prepare a resume of arn: close a dead process's in-flight invocation. */
int durable__orch_prepare_resume(durable__run *run, const char *arn);
/* Find an open execution by ARN or by execution name of function. *out_arn
 * is a new string. DURABLE_ENOTFOUND "Execution not found: …". */
int durable__orch_find_execution(char **out_arn, durable_exec_status *out_status,
                                 const char *function, const char *execution);
/* ARNs of open executions of function, oldest first. */
int durable__orch_open_executions(char ***out, size_t *out_count, const char *function);
/* Drive every execution of the run until the root is closed. Sets run->rc
 * and run->errmsg (also returned / set as the last error). */
int durable__orch_loop(durable__run *run);

/* ---- one invocation (invoke.c) ------------------------------------------- */

/* Run one invocation in this process; input's operations are moved into
 * the SDK (the list is left empty). Returns 0 with *out filled, or
 * DURABLE_EINVOCATION with out->error set (an invocation error). */
int durable__invoke_inprocess(durable_invocation_output *out, durable__run *run,
                              durable_client *client, durable_invocation_input *input,
                              const char *request_id, durable__tst_handler handler, void *user);

/* Run one invocation in a forked child that opens its own engine on the
 * database file. Returns 0 / DURABLE_EINVOCATION as above, or DURABLE_EIO
 * when the child crashed or exited without an output: *exit_status then
 * holds "exit status N" / "signal: killed" (caller frees). */
int durable__invoke_forked(durable_invocation_output *out, char **exit_status,
                           durable__run *run, const durable_invocation_input *input,
                           const char *request_id, durable__tst_handler handler, void *user);

/* Child side of crash isolation (child.c, engine side): open a store,
 * engine and direct client on the environment's file with the real clock,
 * an OFFSET virtual clock skipped by `value` ms, or a FIXED one at `value`. */
typedef struct durable__child_engine durable__child_engine;
enum { DURABLE__CLOCK_REAL = 0, DURABLE__CLOCK_OFFSET, DURABLE__CLOCK_FIXED };
int durable__child_engine_open(durable__child_engine **out, durable_client **client,
                               const char *path, int clock_kind, int64_t value);
void durable__child_engine_close(durable__child_engine *c);

/* ---- schedulers (sched.c) -------------------------------------------------- */

/*
 * The seed design's two schedulers. Both hold jobs (fn, arg, when); the
 * orchestrator pops them and runs them:
 *  - QUEUE (time skipping): pop returns jobs in FIFO order whatever their
 *    timestamps; a job's timestamp only tells how far to move the virtual
 *    clock before running it;
 *  - TIMER (real time): pop returns the job with the earliest timestamp
 *    (FIFO among equal ones); the caller waits until real time reaches it.
 */
typedef enum durable__sched_kind { DURABLE__SCHED_QUEUE = 1, DURABLE__SCHED_TIMER } durable__sched_kind;

typedef struct durable__job {
    int kind;
    int64_t when_ms;               /* 0 = now */
    char *arn;
    char *op_id;
    uint64_t order;                /* insertion order */
} durable__job;

typedef struct durable__sched {
    durable__sched_kind kind;
    durable__job *jobs;
    size_t count;
    size_t cap;
    uint64_t next_order;
} durable__sched;

void durable__sched_init(durable__sched *s, durable__sched_kind kind);
/* Copies arn/op_id. */
int durable__sched_push(durable__sched *s, int kind, int64_t when_ms, const char *arn,
                        const char *op_id);
bool durable__sched_has(const durable__sched *s);
/* Moves the next job into *out (caller frees with durable__job_clear). */
bool durable__sched_pop(durable__sched *s, durable__job *out);
/* Drop every job without running it. */
void durable__sched_flush(durable__sched *s);
void durable__sched_clear(durable__sched *s);
void durable__job_clear(durable__job *j);

#endif
