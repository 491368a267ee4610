/*
 * Internal (not API): the structs behind durable_test_result and
 * durable_test_operation, shared by result.c, operation.c and runner.c
 * (the SDK / public side; includes testing.h).
 */
#ifndef DURABLE_SRC_TESTING_RESULT_INTERNAL_H
#define DURABLE_SRC_TESTING_RESULT_INTERNAL_H

#include <pthread.h>

#include "durable/testing.h"
#include "testing/testing_internal.h"

enum { SEL_NONE = 0, SEL_NAME, SEL_INDEX, SEL_NAME_INDEX, SEL_ID };

struct durable_test_operation;

/* Live handles owned by something other than a local runner (the cloud
 * runner of the aws layer, which cannot reach the test environment): how
 * durable_test_operation_wait / _refresh / _send_callback_* reach it. */
typedef struct durable__op_live {
    /* Re-bind every handle of op's owner from the owner's latest state. */
    int (*refresh)(struct durable_test_operation *op);
    /* Is the owner's run still in progress? */
    bool (*running)(struct durable_test_operation *op);
    /* The owner's change counter, and a wait until it moves past `seen` or
     * monotonic real time reaches deadline_ms (< 0 = none). */
    uint64_t (*seq)(struct durable_test_operation *op);
    void (*wait_change)(struct durable_test_operation *op, uint64_t seen, int64_t deadline_ms);
    /* Send DURABLE__CB_SUCCEED / _FAIL / _HEARTBEAT for callback_id. */
    int (*send)(struct durable_test_operation *op, int kind, const char *callback_id,
                const char *result, const durable_error_object *error);
} durable__op_live;

struct durable_test_operation {
    /* Owner: a result (snapshot handle) or a runner (live handle). */
    struct durable_test_result *result;
    struct durable_test_runner *runner;
    const durable__op_live *live;    /* another owner's live handle; NULL otherwise */
    void *live_owner;
    /* Live handles: the selector. */
    int sel;
    char *sel_name;
    size_t sel_index;
    char *sel_id;
    /* The data (valid when bound). */
    bool bound;
    durable_operation data;
    int64_t wait_seconds;            /* DURABLE_ABSENT when not a wait */
    char *child_callback_id;         /* WaitForCallback context: its callback's id */
    bool child_step_succeeded;       /* WaitForCallback context: submitter step done */
    bool has_child_step;
    struct durable_test_operation **children;
    size_t child_count;
};

struct durable_test_result {
    char *arn;
    durable_exec_status status;
    char *result;
    durable_error_object *error;
    struct durable_test_operation *ops;
    size_t op_count;
    durable_test_invocation *invs;
    size_t inv_count;
    durable__snap snap;              /* owns the events and invocation data */
    char **logs;
    size_t log_count;
    /* Deferred history (snap.history_deferred): read on first use under
     * hist_mu, or by durable__results_load_deferred before the environment
     * goes away. Such results are on a list (prev/next) until freed. */
    bool deferred;                   /* set once at creation */
    pthread_mutex_t hist_mu;
    struct durable_test_result *prev, *next;
};

/* Reads r's history now if it was deferred (0 when it is there). */
int durable__result_need_history(const struct durable_test_result *r);

/* An index of operations by id and parent (for children and lookups). */
typedef struct durable__opindex {
    size_t n;
    size_t nslots;
    long *slots;        /* hash of id -> index, -1 = empty */
    long *first_child;  /* per index: first child index or -1 */
    long *next_sibling; /* per index: next sibling index or -1 */
} durable__opindex;

int durable__opindex_build(durable__opindex *ix, const durable_operation *ops, size_t n);
long durable__opindex_find(const durable__opindex *ix, const durable_operation *ops,
                           const char *id);
void durable__opindex_clear(durable__opindex *ix);

/* Build a result from a snapshot (its contents move into the result) and
 * the run's captured logs (copied; run may be NULL). */
int durable__result_from_snap(durable_test_result **out, durable__snap *snap, durable__run *run);

/* Derived wait seconds of a wait operation from its timestamps. */
int64_t durable__wait_seconds_from_op(const durable_operation *op);

/* Set a handle's WaitForCallback facts from its children. */
void durable__op_note_children(struct durable_test_operation *op, const durable_operation *ops,
                               const durable__opindex *ix, long index);

/* A public callback action as the runner keeps it (runner.c): validated,
 * strings copied, regex compiled; responder keeps heartbeat_count. */
int durable__cb_action_copy(durable__cb_action *dst, const durable_test_callback_action *a,
                            bool responder);
/* Append a copy to a list of actions / free every action of a list. */
int durable__cb_actions_add(durable__cb_action **arr, size_t *count,
                            const durable_test_callback_action *a, bool responder);
void durable__cb_actions_clear(durable__cb_action **arr, size_t *count);

/* Live handles (operation.c). */
void durable__probes_unbind(struct durable_test_runner *r);
/* Bind every probe of r from a result's operations. */
int durable__probes_bind_result(struct durable_test_runner *r, const durable_test_result *res);
void durable__probes_free(struct durable_test_runner *r);

/* The same over any set of live handles (a local runner's, or another
 * owner's with `live`): look one up by selector (creating it unbound),
 * bind every handle from a result, unbind, free. */
typedef struct durable__probe_owner {
    struct durable_test_runner *runner;
    const durable__op_live *live;
    void *owner;
} durable__probe_owner;
int durable__probes_lookup(struct durable_test_operation **out,
                           struct durable_test_operation ***probes, size_t *count,
                           const durable__probe_owner *who, int sel, const char *name,
                           size_t index, const char *id, bool *created);
int durable__probes_bind(struct durable_test_operation ***probes, size_t *count,
                         const durable__probe_owner *who, const durable_test_result *res);
void durable__probes_unbind_all(struct durable_test_operation **probes, size_t count);
void durable__probes_free_all(struct durable_test_operation ***probes, size_t *count);

#endif
