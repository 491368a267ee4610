/* Operation handles (seed design "DurableOperation"): getters, typed details,
 * children, waiting for a status, and sending callback results. Also the
 * runner's live handles ("probes"), bound by selector. */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "testing/result_internal.h"

/* ---- describing a handle in messages ---------------------------------------------- */

static void describe(char *buf, size_t size, const durable_test_operation *op)
{
    if (op->bound) {
        snprintf(buf, size, "%s%s%s (id %s)", op->data.name ? "'" : "",
                 op->data.name ? op->data.name : "(unnamed)", op->data.name ? "'" : "",
                 op->data.id ? op->data.id : "?");
        return;
    }
    switch (op->sel) {
    case SEL_NAME: snprintf(buf, size, "name '%s'", op->sel_name); break;
    case SEL_INDEX: snprintf(buf, size, "index %zu", op->sel_index); break;
    case SEL_NAME_INDEX:
        snprintf(buf, size, "name '%s' index %zu", op->sel_name, op->sel_index);
        break;
    case SEL_ID: snprintf(buf, size, "id %s", op->sel_id); break;
    default: snprintf(buf, size, "(unknown operation)"); break;
    }
}

/* ---- getters ------------------------------------------------------------------------ */

bool durable_test_operation_exists(const durable_test_operation *op)
{
    return op && op->bound;
}

#define BOUND(op) ((op) && (op)->bound)

const char *durable_test_operation_id(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.id : NULL;
}

const char *durable_test_operation_parent_id(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.parent_id : NULL;
}

const char *durable_test_operation_name(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.name : NULL;
}

const char *durable_test_operation_subtype(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.subtype : NULL;
}

durable_op_type durable_test_operation_type(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.type : DURABLE_OP_TYPE_NONE;
}

durable_op_status durable_test_operation_status(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.status : DURABLE_OP_STATUS_NONE;
}

int64_t durable_test_operation_start_timestamp(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.start_timestamp : 0;
}

int64_t durable_test_operation_end_timestamp(const durable_test_operation *op)
{
    return BOUND(op) ? op->data.end_timestamp : 0;
}

const durable_operation *durable_test_operation_data(const durable_test_operation *op)
{
    return BOUND(op) ? &op->data : NULL;
}

static bool is_wait_for_callback(const durable_test_operation *op)
{
    return op->data.type == DURABLE_OP_CONTEXT && op->data.subtype &&
           strcmp(op->data.subtype, "WaitForCallback") == 0;
}

bool durable_test_operation_is_callback(const durable_test_operation *op)
{
    return BOUND(op) && (op->data.type == DURABLE_OP_CALLBACK || is_wait_for_callback(op));
}

size_t durable_test_operation_child_count(const durable_test_operation *op)
{
    return BOUND(op) ? op->child_count : 0;
}

durable_test_operation *durable_test_operation_child(const durable_test_operation *op,
                                                     size_t index)
{
    return BOUND(op) && index < op->child_count ? op->children[index] : NULL;
}

/* ---- typed details ---------------------------------------------------------------------- */

static int check_type(const durable_test_operation *op, durable_op_type want)
{
    char what[400];
    if (!op)
        return durable__error_set(DURABLE_EINVAL, "operation details: operation is NULL");
    describe(what, sizeof what, op);
    if (!op->bound)
        return durable__error_set(DURABLE_ENOTFOUND,
                                  "Operation not found: %s has not started (no details yet)", what);
    if (op->data.type != want)
        return durable__error_set(DURABLE_ETYPE,
                                  "Operation type mismatch: expected %s, found %s (operation %s)",
                                  durable_op_type_name(want), durable_op_type_name(op->data.type),
                                  what);
    return 0;
}

int durable_test_operation_step_details(durable_test_step_details *out,
                                        const durable_test_operation *op)
{
    int rc = check_type(op, DURABLE_OP_STEP);
    if (rc < 0)
        return rc;
    out->attempt = op->data.attempt;
    out->next_attempt_timestamp = op->data.next_attempt_timestamp;
    out->result = op->data.result;
    out->error = op->data.error;
    return 0;
}

int durable_test_operation_wait_details(durable_test_wait_details *out,
                                        const durable_test_operation *op)
{
    int rc = check_type(op, DURABLE_OP_WAIT);
    if (rc < 0)
        return rc;
    /* A result's exact durations come from its history (WaitStarted). */
    if (op->result && (rc = durable__result_need_history(op->result)) < 0)
        return rc;
    out->wait_seconds = op->wait_seconds;
    out->scheduled_end_timestamp = op->data.scheduled_end_timestamp;
    return 0;
}

int durable_test_operation_callback_details(durable_test_callback_details *out,
                                            const durable_test_operation *op)
{
    int rc = check_type(op, DURABLE_OP_CALLBACK);
    if (rc < 0)
        return rc;
    out->callback_id = op->data.callback_id;
    out->result = op->data.result;
    out->error = op->data.error;
    return 0;
}

int durable_test_operation_invoke_details(durable_test_invoke_details *out,
                                          const durable_test_operation *op)
{
    int rc = check_type(op, DURABLE_OP_CHAINED_INVOKE);
    if (rc < 0)
        return rc;
    out->result = op->data.result;
    out->error = op->data.error;
    return 0;
}

int durable_test_operation_context_details(durable_test_context_details *out,
                                           const durable_test_operation *op)
{
    int rc = check_type(op, DURABLE_OP_CONTEXT);
    if (rc < 0)
        return rc;
    out->result = op->data.result;
    out->error = op->data.error;
    return 0;
}

/* ---- live handles (probes) ------------------------------------------------------------ */

static void probe_unbind(durable_test_operation *p)
{
    durable_operation_clear(&p->data);
    durable_free(p->child_callback_id);
    durable_free(p->children);
    p->child_callback_id = NULL;
    p->children = NULL;
    p->child_count = 0;
    p->bound = false;
    p->wait_seconds = DURABLE_ABSENT;
}

void durable__probes_unbind_all(durable_test_operation **probes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        probe_unbind(probes[i]);
}

void durable__probes_free_all(durable_test_operation ***probes, size_t *count)
{
    for (size_t i = 0; i < *count; i++) {
        probe_unbind((*probes)[i]);
        durable_free((*probes)[i]->sel_name);
        durable_free((*probes)[i]->sel_id);
        durable_free((*probes)[i]);
    }
    durable_free(*probes);
    *probes = NULL;
    *count = 0;
}

void durable__probes_unbind(struct durable_test_runner *r)
{
    durable__probes_unbind_all(r->probes, r->probe_count);
}

void durable__probes_free(struct durable_test_runner *r)
{
    durable__probes_free_all(&r->probes, &r->probe_count);
}

static bool same_selector(const durable_test_operation *p, int sel, const char *name,
                          size_t index, const char *id)
{
    if (p->sel != sel)
        return false;
    switch (sel) {
    case SEL_NAME: return strcmp(p->sel_name, name) == 0;
    case SEL_INDEX: return p->sel_index == index;
    case SEL_NAME_INDEX: return p->sel_index == index && strcmp(p->sel_name, name) == 0;
    case SEL_ID: return strcmp(p->sel_id, id) == 0;
    default: return false;
    }
}

int durable__probes_lookup(durable_test_operation **out, durable_test_operation ***probes,
                           size_t *count, const durable__probe_owner *who, int sel,
                           const char *name, size_t index, const char *id, bool *created)
{
    *created = false;
    for (size_t i = 0; i < *count; i++)
        if (same_selector((*probes)[i], sel, name, index, id)) {
            *out = (*probes)[i];
            return 0;
        }
    durable_test_operation **n = durable__realloc(*probes, (*count + 1) * sizeof *n);
    if (!n)
        return durable__error_oom();
    *probes = n;
    durable_test_operation *p = durable__calloc(1, sizeof *p);
    if (!p)
        return durable__error_oom();
    p->runner = who->runner;
    p->live = who->live;
    p->live_owner = who->owner;
    p->sel = sel;
    p->sel_index = index;
    p->wait_seconds = DURABLE_ABSENT;
    durable_operation_init(&p->data);
    if ((name && !(p->sel_name = durable__strdup(name))) ||
        (id && !(p->sel_id = durable__strdup(id)))) {
        durable_free(p->sel_name);
        durable_free(p);
        return durable__error_oom();
    }
    (*probes)[(*count)++] = p;
    *out = p;
    *created = true;
    return 0;
}

static int get_probe(durable_test_operation **out, struct durable_test_runner *r, int sel,
                     const char *name, size_t index, const char *id, bool *created)
{
    durable__probe_owner who = {r, NULL, NULL};
    return durable__probes_lookup(out, &r->probes, &r->probe_count, &who, sel, name, index, id,
                                  created);
}

static long select_index(const durable_test_operation *p, const durable_operation *ops, size_t n,
                         const durable__opindex *ix)
{
    switch (p->sel) {
    case SEL_INDEX: return p->sel_index < n ? (long)p->sel_index : -1;
    case SEL_ID: return durable__opindex_find(ix, ops, p->sel_id);
    case SEL_NAME:
    case SEL_NAME_INDEX: {
        size_t seen = 0;
        size_t want = p->sel == SEL_NAME ? 0 : p->sel_index;
        for (size_t i = 0; i < n; i++)
            if (ops[i].name && strcmp(ops[i].name, p->sel_name) == 0 && seen++ == want)
                return (long)i;
        return -1;
    }
    default: return -1;
    }
}

/* Bind every probe (and the child probes that binding creates) from ops;
 * waits (nullable) gives each operation's exact wait seconds. */
static int bind_all(durable_test_operation ***probes, size_t *count,
                    const durable__probe_owner *who, const durable_operation *ops, size_t n,
                    const int64_t *waits)
{
    durable__opindex ix;
    int rc = durable__opindex_build(&ix, ops, n);
    if (rc < 0)
        return rc;
    for (size_t k = 0; rc == 0 && k < *count; k++) {
        durable_test_operation *p = (*probes)[k];
        probe_unbind(p);
        long i = select_index(p, ops, n, &ix);
        if (i < 0)
            continue;
        rc = durable_operation_copy(&p->data, &ops[i]);
        if (rc < 0)
            break;
        p->bound = true;
        p->wait_seconds = waits ? waits[i] : durable__wait_seconds_from_op(&ops[i]);
        durable__op_note_children(p, ops, &ix, i);
        size_t nc = 0;
        for (long c = ix.first_child[i]; c >= 0; c = ix.next_sibling[c])
            nc++;
        if (nc && !(p->children = durable__calloc(nc, sizeof *p->children))) {
            rc = durable__error_oom();
            break;
        }
        for (long c = ix.first_child[i]; c >= 0 && rc == 0; c = ix.next_sibling[c]) {
            durable_test_operation *child = NULL;
            bool created = false;
            /* May grow the probes; the child is bound when the loop reaches it
             * (or was bound already if it came earlier). */
            rc = durable__probes_lookup(&child, probes, count, who, SEL_ID, NULL, 0, ops[c].id,
                                        &created);
            p = (*probes)[k];
            if (rc == 0)
                p->children[p->child_count++] = child;
        }
    }
    durable__opindex_clear(&ix);
    return rc;
}

int durable__probes_bind(durable_test_operation ***probes, size_t *count,
                         const durable__probe_owner *who, const durable_test_result *res)
{
    if (!*count)
        return 0;
    int hrc = durable__result_need_history(res);
    if (hrc < 0)
        return hrc;
    size_t n = res ? res->op_count : 0;
    durable_operation *ops = durable__calloc(n ? n : 1, sizeof *ops);
    int64_t *waits = durable__calloc(n ? n : 1, sizeof *waits);
    if (!ops || !waits) {
        durable_free(ops);
        durable_free(waits);
        return durable__error_oom();
    }
    for (size_t i = 0; i < n; i++) {
        ops[i] = res->ops[i].data; /* shallow: borrowed from the result */
        waits[i] = res->ops[i].wait_seconds;
    }
    int rc = bind_all(probes, count, who, ops, n, waits);
    durable_free(ops);
    durable_free(waits);
    return rc;
}

int durable__probes_bind_result(struct durable_test_runner *r, const durable_test_result *res)
{
    durable__probe_owner who = {r, NULL, NULL};
    return durable__probes_bind(&r->probes, &r->probe_count, &who, res);
}

/* Re-read the current run's operations from the engine and bind every probe. */
static int probes_refresh_live(struct durable_test_runner *r)
{
    if (!r->arn)
        return 0;
    durable_operation_list l;
    memset(&l, 0, sizeof l);
    int rc = durable__tenv_list_operations(&l, r->arn);
    if (rc < 0)
        return rc;
    size_t w = 0;
    for (size_t i = 0; i < l.count; i++) {
        if (l.items[i].type == DURABLE_OP_EXECUTION) {
            durable_operation_clear(&l.items[i]);
            continue;
        }
        l.items[w++] = l.items[i];
    }
    l.count = w;
    durable__probe_owner who = {r, NULL, NULL};
    rc = bind_all(&r->probes, &r->probe_count, &who, l.items, l.count, NULL);
    durable_operation_list_clear(&l);
    return rc;
}

static int runner_lookup(durable_test_operation **out, durable_test_runner *r, int sel,
                         const char *name, size_t index, const char *id)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_get_operation: NULL "
                                                  "argument");
    if ((sel == SEL_NAME || sel == SEL_NAME_INDEX) && !name)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_get_operation: name is "
                                                  "NULL");
    if (sel == SEL_ID && !id)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_get_operation_by_id: id "
                                                  "is NULL");
    *out = NULL;
    bool created = false;
    int rc = get_probe(out, r, sel, name, index, id, &created);
    if (rc < 0)
        return rc;
    /* A new handle for an existing run binds at once (best effort: the
     * environment may already be gone after the run). */
    if (created && r->arn && durable_test_env_is_setup())
        (void)probes_refresh_live(r);
    return 0;
}

int durable_test_runner_get_operation(durable_test_operation **out, durable_test_runner *r,
                                      const char *name)
{
    return runner_lookup(out, r, SEL_NAME, name, 0, NULL);
}

int durable_test_runner_get_operation_by_index(durable_test_operation **out,
                                               durable_test_runner *r, size_t index)
{
    return runner_lookup(out, r, SEL_INDEX, NULL, index, NULL);
}

int durable_test_runner_get_operation_by_name_and_index(durable_test_operation **out,
                                                        durable_test_runner *r,
                                                        const char *name, size_t index)
{
    return runner_lookup(out, r, SEL_NAME_INDEX, name, index, NULL);
}

int durable_test_runner_get_operation_by_id(durable_test_operation **out, durable_test_runner *r,
                                            const char *id)
{
    return runner_lookup(out, r, SEL_ID, NULL, 0, id);
}

int durable_test_operation_refresh(durable_test_operation *op)
{
    if (!op)
        return durable__error_set(DURABLE_EINVAL, "durable_test_operation_refresh: NULL");
    if (op->live)
        return op->live->refresh(op);
    if (!op->runner)
        return 0;
    if (!durable_test_env_is_setup())
        return durable__error_set(DURABLE_ENOTSETUP, "EnvironmentNotSetUp: refreshing an "
                                                     "operation needs the test environment");
    return probes_refresh_live(op->runner);
}

/* ---- waiting ------------------------------------------------------------------------------ */

static bool reached(const durable_test_operation *op, durable_test_wait_status st)
{
    if (!op->bound)
        return false;
    bool terminal = durable_op_status_is_terminal(op->data.status);
    switch (st) {
    case DURABLE_TEST_WAIT_STARTED: return true;
    case DURABLE_TEST_WAIT_COMPLETED: return terminal;
    case DURABLE_TEST_WAIT_SUBMITTED:
        if (terminal)
            return true;
        if (op->data.type == DURABLE_OP_CALLBACK)
            return op->data.callback_id != NULL;
        if (is_wait_for_callback(op))
            return op->child_callback_id && (!op->has_child_step || op->child_step_succeeded);
        return true;
    default: return false;
    }
}

static const char *wait_status_name(durable_test_wait_status st)
{
    switch (st) {
    case DURABLE_TEST_WAIT_STARTED: return "STARTED";
    case DURABLE_TEST_WAIT_SUBMITTED: return "SUBMITTED";
    case DURABLE_TEST_WAIT_COMPLETED: return "COMPLETED";
    default: return "?";
    }
}

/* A handle of another owner (the cloud runner): its state moves with the
 * owner's polls; the same rules and messages as a local handle. */
static int wait_live(durable_test_operation *op, durable_test_wait_status status,
                     int64_t timeout_ms)
{
    char what[400];
    int64_t deadline = timeout_ms >= 0 ? durable__mono_ms() + timeout_ms : -1;
    for (;;) {
        uint64_t seq = op->live->seq(op);
        bool running = op->live->running(op);
        int rc = op->live->refresh(op);
        if (rc < 0)
            return rc;
        if (reached(op, status))
            return 0;
        describe(what, sizeof what, op);
        if (!running)
            return durable__error_set(DURABLE_ECOMPLETED_EARLY,
                                      "Execution completed before operation %s reached %s", what,
                                      wait_status_name(status));
        if (deadline >= 0 && durable__mono_ms() >= deadline)
            return durable__error_set(DURABLE_ETIMEOUT,
                                      "Timeout waiting for operation %s to reach %s after %lld ms",
                                      what, wait_status_name(status), (long long)timeout_ms);
        op->live->wait_change(op, seq, deadline);
    }
}

/* Is a run of r in progress (not finished)? */
static bool run_in_progress(struct durable_test_runner *r)
{
    durable__tenv_lock();
    bool on = r->run && !r->run->finished;
    durable__tenv_unlock();
    return on;
}

int durable_test_operation_wait(durable_test_operation *op, durable_test_wait_status status,
                                int64_t timeout_ms)
{
    if (!op)
        return durable__error_set(DURABLE_EINVAL, "durable_test_operation_wait: operation is NULL");
    if (status < DURABLE_TEST_WAIT_STARTED || status > DURABLE_TEST_WAIT_COMPLETED)
        return durable__error_set(DURABLE_EINVAL, "durable_test_operation_wait: bad status %d",
                                  (int)status);
    char what[400];
    if (op->live)
        return wait_live(op, status, timeout_ms);
    if (!op->runner) {
        /* A result's snapshot: the execution is over (or frozen). */
        if (reached(op, status))
            return 0;
        describe(what, sizeof what, op);
        return durable__error_set(DURABLE_ECOMPLETED_EARLY,
                                  "Execution completed before operation %s reached %s (result "
                                  "snapshot, status %s)",
                                  what, wait_status_name(status),
                                  durable_op_status_name(op->data.status));
    }
    struct durable_test_runner *r = op->runner;
    if (!durable_test_env_is_setup())
        return durable__error_set(DURABLE_ENOTSETUP, "EnvironmentNotSetUp: waiting for an "
                                                     "operation needs the test environment");
    int64_t deadline = timeout_ms >= 0 ? durable__mono_ms() + timeout_ms : -1;
    /* Registering releases the hold in the same step: a run about to skip
     * time sees either the hold or this waiter. */
    durable__waiter w;
    durable__tenv_waiter_add(&w);
    int rc = 0;
    for (;;) {
        uint64_t seq = durable__tenv_seq();
        bool running = run_in_progress(r);
        rc = probes_refresh_live(r);
        if (rc < 0)
            break;
        if (reached(op, status)) {
            /* Take the hold in the same step as reporting the check, so a
             * run about to skip time sees it. */
            durable__tenv_waiter_checked(&w, seq, running);
            break;
        }
        describe(what, sizeof what, op);
        if (!running) {
            if (!r->arn)
                rc = durable__error_set(DURABLE_ESTATE,
                                        "waiting for operation %s: the runner has no run (start "
                                        "one first)",
                                        what);
            else
                rc = durable__error_set(DURABLE_ECOMPLETED_EARLY,
                                        "Execution completed before operation %s reached %s "
                                        "(execution %s)",
                                        what, wait_status_name(status), r->arn);
            break;
        }
        if (deadline >= 0 && durable__mono_ms() >= deadline) {
            rc = durable__error_set(DURABLE_ETIMEOUT,
                                    "Timeout waiting for operation %s to reach %s after %lld ms",
                                    what, wait_status_name(status), (long long)timeout_ms);
            break;
        }
        durable__tenv_waiter_checked(&w, seq, false);
        durable__tenv_wait(seq, deadline);
    }
    durable__tenv_waiter_remove(&w);
    return rc;
}

/* ---- callbacks --------------------------------------------------------------------------- */

static int callback_target(const char **id, durable_test_operation *op)
{
    char what[400];
    *id = NULL;
    if (!op)
        return durable__error_set(DURABLE_EINVAL, "send callback: operation is NULL");
    if (op->live) {
        int rc = op->live->refresh(op);
        if (rc < 0)
            return rc;
    } else if (op->runner && durable_test_env_is_setup()) {
        int rc = probes_refresh_live(op->runner);
        if (rc < 0)
            return rc;
    }
    describe(what, sizeof what, op);
    if (!op->bound)
        return durable__error_set(DURABLE_ENOTFOUND, "Operation not found: %s has not started",
                                  what);
    if (op->data.type == DURABLE_OP_CALLBACK)
        *id = op->data.callback_id;
    else if (is_wait_for_callback(op))
        *id = op->child_callback_id;
    else
        return durable__error_set(DURABLE_ENOTCALLBACK, "Not a callback operation: %s is a %s",
                                  what, durable_op_type_name(op->data.type));
    if (!*id)
        return durable__error_set(DURABLE_ENOTFOUND,
                                  "Callback not found: operation %s has no callback id yet", what);
    return 0;
}

int durable_test_operation_send_callback_success(durable_test_operation *op, const char *result)
{
    const char *id = NULL;
    int rc = callback_target(&id, op);
    if (rc == 0 && op->live)
        rc = op->live->send(op, DURABLE__CB_SUCCEED, id, result, NULL);
    else if (rc == 0)
        rc = durable__tenv_callback_success(id, result, result ? strlen(result) : 0);
    return rc;
}

int durable_test_operation_send_callback_failure(durable_test_operation *op,
                                                 const durable_error_object *error)
{
    const char *id = NULL;
    int rc = callback_target(&id, op);
    if (rc == 0 && op->live)
        rc = op->live->send(op, DURABLE__CB_FAIL, id, NULL, error);
    else if (rc == 0)
        rc = durable__tenv_callback_failure(id, error);
    return rc;
}

int durable_test_operation_send_callback_heartbeat(durable_test_operation *op)
{
    const char *id = NULL;
    int rc = callback_target(&id, op);
    if (rc == 0 && op->live)
        rc = op->live->send(op, DURABLE__CB_HEARTBEAT, id, NULL, NULL);
    else if (rc == 0)
        rc = durable__tenv_callback_heartbeat(id);
    return rc;
}
