/*
 * Running the items of a map/parallel batch (SPEC §10.10, §10.3).
 *
 * The calling thread is the coordinator. It claims item i as the batch
 * context's (i+1)-th operation (so item i's path is N-(i+1) whatever the
 * concurrency and the timing), checkpoints the item's START, and only then
 * hands the item to a worker thread; claims, STARTs and operation_start
 * hooks therefore happen in index order on one thread. Items start while
 * fewer than max_concurrency are active and the batch is undecided. An item
 * that suspends (PENDING) stays active (it holds its slot) but never stops
 * its siblings: the coordinator returns only when no item is running any
 * more, and the batch suspends only if it is still undecided then.
 *
 * max_concurrency 1 runs every item on the calling thread, one after the
 * other; > 1 runs each item on a thread of its own (if a thread cannot be
 * created the item runs on the calling thread). Each item has its own child
 * context and commitment scope.
 *
 * Two limits gate the next claim: the items ACTIVE (running or suspended,
 * SPEC §10.10's count) stay below max_concurrency, and the items RUNNING on
 * a worker thread stay below DURABLE_MAX_ITEM_THREADS. A suspended item has
 * returned from its thread, so it frees its thread (not its concurrency
 * slot): an unlimited batch still starts every item in one invocation, at
 * most DURABLE_MAX_ITEM_THREADS at a time. The thread cap only delays a
 * START until a thread is free; it never makes an item count as active
 * before its START, so a batch never has more than max_concurrency items
 * active nor checkpoints a START it cannot run yet.
 *
 * Completion is checked after each item finishes, in the order they finish.
 * Once decided (or once an item hits an error that fails the invocation),
 * no further item starts and the items still running are stopped at their
 * next durable operation: their scope is committed, so that operation
 * returns DURABLE_PENDING and the item ends STARTED. The coordinator waits
 * for them, so no item thread outlives the call (item functions use the
 * caller's data).
 */
#include <string.h>

#include "sdk/batch.h"

/* One item, from its claim to its outcome. */
typedef struct item_job {
    const durable__batch_spec *spec;
    size_t index;
    durable__item_state *st;
    durable__opref ref;
    char *name;
    durable_operation desc; /* borrows ref and name */
    bool virt, replay_only;
    durable_ctx *child;     /* NULL: resolved from the stored state, nothing to run */
    /* worker */
    struct coordinator *co;
    pthread_t thread;
    bool threaded, finished;
    int rc;                 /* run_job's code */
    char *errmsg;           /* the worker's last-error text for a failing rc */
} item_job;

typedef struct coordinator {
    durable_ctx *pctx;
    const durable__batch_spec *spec;
    item_job *jobs;
    pthread_mutex_t mu;
    pthread_cond_t finished; /* a worker queued its index in done */
    size_t *done;            /* finished worker jobs, not yet collected (mu) */
    size_t ndone;            /* (mu) */
    size_t running;          /* worker threads not collected yet; <= the thread cap */
    size_t active;           /* items running or suspended */
    size_t ok, failed, completed;
    durable_completion_reason reason;
    bool stopping;           /* decided or failing: stop the running items */
    int err;                 /* first code that fails the batch */
    char *errmsg;
} coordinator;

static void free_error(void *p)
{
    durable_error_object_free(p);
}

/* ---- completion ---------------------------------------------------------------------- */

durable_completion_reason durable__batch_completion(const durable__batch_spec *s,
                                                    size_t succeeded, size_t failed, size_t done)
{
    const durable_completion_config *c = &s->completion;
    bool has_config = c->min_successful != DURABLE_ABSENT ||
                      c->tolerated_failure_count != DURABLE_ABSENT ||
                      c->tolerated_failure_percentage >= 0;
    bool exceeded;
    if (!has_config) {
        exceeded = failed > 0; /* no config: stop on the first failure */
    } else {
        exceeded = (c->tolerated_failure_count != DURABLE_ABSENT &&
                    (int64_t)failed > c->tolerated_failure_count) ||
                   (c->tolerated_failure_percentage >= 0 && s->count > 0 &&
                    (double)failed * 100.0 / (double)s->count > c->tolerated_failure_percentage);
    }
    if (exceeded)
        return DURABLE_FAILURE_TOLERANCE_EXCEEDED;
    if (c->min_successful != DURABLE_ABSENT && (int64_t)succeeded >= c->min_successful)
        return DURABLE_MIN_SUCCESSFUL_REACHED;
    if (done == s->count)
        return DURABLE_ALL_COMPLETED;
    return DURABLE_COMPLETION_NONE;
}

/* ---- claiming an item (coordinator) ---------------------------------------------------- */

static void item_update(durable_operation_update *u, const item_job *job, durable_op_action a)
{
    durable__op_update(u, &job->ref, DURABLE_OP_CONTEXT, job->name, job->spec->item_subtype, a);
}

/* The item will run: its scope and context. */
static int prepare(item_job *job, durable_ctx *pctx, bool virt, bool replaying, bool replay_only)
{
    durable__scope *scope = NULL;
    int rc = durable__scope_new(&scope, pctx->ex, pctx->scope);
    if (rc)
        return rc;
    durable_ctx *child = NULL;
    rc = durable__ctx_new_child(&child, pctx, job->ref.path, virt ? NULL : job->ref.id,
                                job->name, job->spec->item_subtype, virt, scope, replaying);
    if (rc)
        return rc;
    if (replay_only)
        child->replay_only = child->replaying = true;
    job->virt = virt;
    job->replay_only = replay_only;
    job->child = child;
    job->st->scope = scope;
    return 0;
}

/* A stored item that does not run again: its recorded outcome. */
static int resolve_stored(item_job *job, durable_ctx *pctx, const durable_operation *stored)
{
    durable__item_state *st = job->st;
    if (stored->status == DURABLE_OP_SUCCEEDED) {
        int rc = durable__deserialize(&st->result, pctx, job->spec->item_serdes, job->ref.id,
                                      stored->result);
        if (rc == 0)
            st->status = DURABLE_ITEM_SUCCEEDED;
        return rc;
    }
    durable_error_object *err = NULL;
    durable_error_object empty = {NULL, NULL, NULL, NULL, 0};
    int rc = durable_error_object_dup(&err, stored->error ? stored->error : &empty);
    if (rc)
        return rc;
    if (durable__exec_keep(pctx->ex, err, free_error) != 0)
        return DURABLE_ENOMEM;
    st->status = DURABLE_ITEM_FAILED;
    st->error = err;
    return 0;
}

/* Claim item index as the next operation of pctx: replay it from the state,
 * or prepare it to run (after its START checkpoint when it is new). */
static int claim(item_job *job, durable_ctx *pctx)
{
    const durable__batch_spec *s = job->spec;
    durable__exec *ex = pctx->ex;
    job->name = s->item_name(job->index, s->user);
    if (!job->name)
        return durable__error_set(DURABLE_ENOMEM, "%s: out of memory naming item %zu", s->api,
                                  job->index);
    int rc = durable__ctx_begin_item(pctx, &job->ref);
    if (rc)
        return rc;
    durable__op_desc(&job->desc, &job->ref, DURABLE_OP_CONTEXT, job->name, s->item_subtype);
    if (s->nesting == DURABLE_NESTING_FLAT) /* virtual: its operations carry the parent's Id */
        return prepare(job, pctx, true, pctx->replaying, pctx->replay_only);
    durable_operation stored;
    durable_operation_init(&stored);
    if (durable__exec_get_op(ex, job->ref.id, &stored)) {
        rc = durable__replay_validate(pctx, &job->ref, &stored, DURABLE_OP_CONTEXT, job->name,
                                      s->item_subtype);
        if (rc == 0) {
            if (stored.status == DURABLE_OP_SUCCEEDED && stored.replay_children == 1) {
                rc = prepare(job, pctx, false, true, true);
            } else if (durable_op_status_is_terminal(stored.status)) {
                rc = resolve_stored(job, pctx, &stored);
            } else {
                durable__plugins_op_start(ex, &stored, true);
                rc = prepare(job, pctx, false, true, pctx->replay_only);
            }
        }
    } else if ((rc = durable__ctx_go_live(pctx, &job->ref)) == 0) {
        durable__plugins_op_start(ex, &job->desc, false);
        durable_operation_update u;
        item_update(&u, job, DURABLE_ACTION_START);
        rc = durable__checkpoint(ex, &u, false);
        if (rc == 0)
            rc = prepare(job, pctx, false, false, false);
    }
    durable_operation_clear(&stored);
    return rc;
}

/* ---- running an item (any thread) -------------------------------------------------------- */

typedef struct item_call {
    const durable__batch_spec *spec;
    size_t index;
} item_call;

static int item_fn(durable_ctx *child, cJSON **result, void *user)
{
    item_call *c = user;
    return c->spec->run_item(child, result, c->index, c->spec->user);
}

/* Run the item function on its context and record the outcome; checkpoint
 * it unless the item is virtual or replay-only. Returns 0 (outcome in
 * job->st) or a code that fails the invocation. Touches only the item's own
 * state, its context and the thread-safe exec. */
static int run_job(item_job *job)
{
    durable_ctx *child = job->child;
    durable__exec *ex = child->ex;
    const durable__batch_spec *s = job->spec;
    durable__item_state *st = job->st;
    item_call call = {s, job->index};
    cJSON *result = NULL;
    int rc = durable__run_context_fn(child, item_fn, &call, &result, &job->desc,
                                     job->replay_only);
    bool record = !job->virt && !job->replay_only;
    if (rc == 0) {
        char *text = NULL;
        const cJSON *value = NULL;
        rc = durable__roundtrip(&value, &text, child, s->item_serdes, job->ref.id, result);
        if (rc)
            return rc;
        if (record) {
            durable_operation_update u;
            item_update(&u, job, DURABLE_ACTION_SUCCEED);
            if (strlen(text) > DURABLE__CHILD_RESULT_MAX) {
                u.payload = (char *)"";
                u.options = DURABLE_OPTIONS_CONTEXT;
                u.replay_children = 1;
            } else {
                u.payload = text;
            }
            rc = durable__checkpoint(ex, &u, false);
        }
        durable__free(text);
        if (rc)
            return rc;
        st->result = value;
        st->status = DURABLE_ITEM_SUCCEEDED;
        return 0;
    }
    if (rc == DURABLE_PENDING) {
        st->status = DURABLE_ITEM_STARTED;
        return 0;
    }
    if (durable__code_propagates(ex, rc))
        return rc;
    durable_error_object *err = NULL;
    rc = durable__ctx_escape_error(&err, child, rc);
    if (rc)
        return rc;
    if (durable__exec_keep(ex, err, free_error) != 0)
        return DURABLE_ENOMEM;
    if (record) {
        durable_operation_update u;
        item_update(&u, job, DURABLE_ACTION_FAIL);
        u.error = err;
        rc = durable__checkpoint(ex, &u, false);
        if (rc)
            return rc;
    }
    st->status = DURABLE_ITEM_FAILED;
    st->error = err;
    return 0;
}

static void *worker_main(void *arg)
{
    item_job *job = arg;
    job->rc = run_job(job);
    if (job->rc) /* the last error is thread-local: carry its text to the coordinator */
        job->errmsg = durable__strdup(durable_error_last()->message);
    coordinator *co = job->co;
    pthread_mutex_lock(&co->mu);
    co->done[co->ndone++] = job->index;
    pthread_cond_signal(&co->finished);
    pthread_mutex_unlock(&co->mu);
    return NULL;
}

/* ---- the coordinator ------------------------------------------------------------------- */

/* Stop the items still running: their next durable operation suspends. */
static void stop_running(coordinator *co)
{
    if (co->stopping)
        return;
    co->stopping = true;
    for (size_t i = 0; i < co->spec->count; i++) {
        item_job *job = &co->jobs[i];
        if (job->threaded && !job->finished)
            atomic_store(&job->st->scope->committed, true);
    }
}

static void fail(coordinator *co, int rc, const char *msg)
{
    if (!co->err) {
        co->err = rc;
        co->errmsg = durable__strdup(msg ? msg : "");
    }
    stop_running(co);
}

/* An item's outcome counts towards completion. */
static void tally(coordinator *co, const durable__item_state *st, bool was_active)
{
    if (st->status == DURABLE_ITEM_STARTED)
        return; /* suspended: keeps its slot */
    if (was_active)
        co->active--;
    co->completed++;
    if (st->status == DURABLE_ITEM_SUCCEEDED)
        co->ok++;
    else
        co->failed++;
    if (co->reason == DURABLE_COMPLETION_NONE) {
        co->reason = durable__batch_completion(co->spec, co->ok, co->failed, co->completed);
        if (co->reason != DURABLE_COMPLETION_NONE)
            stop_running(co);
    }
}

static void collect(coordinator *co, item_job *job)
{
    job->finished = true;
    if (job->rc) {
        fail(co, job->rc, job->errmsg);
        return;
    }
    tally(co, job->st, true);
}

/* Start the claimed job: on a worker thread when concurrency allows. */
static void launch(coordinator *co, item_job *job)
{
    co->active++;
    job->co = co;
    if (co->spec->max_concurrency > 1 &&
        pthread_create(&job->thread, NULL, worker_main, job) == 0) {
        job->threaded = true;
        co->running++;
        return;
    }
    job->rc = run_job(job);
    if (job->rc)
        job->errmsg = durable__strdup(durable_error_last()->message);
    collect(co, job);
}

/* Wait for at least one worker to finish, then collect every finished one. */
static void await_workers(coordinator *co, size_t *batch)
{
    pthread_mutex_lock(&co->mu);
    while (co->ndone == 0)
        pthread_cond_wait(&co->finished, &co->mu);
    size_t n = co->ndone;
    memcpy(batch, co->done, n * sizeof(*batch));
    co->ndone = 0;
    pthread_mutex_unlock(&co->mu);
    for (size_t k = 0; k < n; k++) {
        item_job *job = &co->jobs[batch[k]];
        pthread_join(job->thread, NULL);
        co->running--;
        collect(co, job);
    }
}

static void run_items(coordinator *co, size_t *batch)
{
    const durable__batch_spec *s = co->spec;
    size_t next = 0;
    for (;;) {
        while (!co->stopping && next < s->count &&
               co->active < (size_t)s->max_concurrency &&
               co->running < DURABLE_MAX_ITEM_THREADS) {
            item_job *job = &co->jobs[next++];
            int rc = claim(job, co->pctx);
            if (rc) {
                fail(co, rc, durable_error_last()->message);
                break;
            }
            if (job->child)
                launch(co, job);
            else
                tally(co, job->st, false);
        }
        if (co->running == 0)
            break; /* everything finished or suspended, or the batch is decided */
        await_workers(co, batch);
    }
}

int durable__batch_items(durable_ctx *pctx, const durable__batch_spec *s,
                         durable__item_state *items, durable_completion_reason *reason)
{
    *reason = durable__batch_completion(s, 0, 0, 0);
    if (*reason != DURABLE_COMPLETION_NONE)
        return 0; /* empty input, or min_successful 0 */
    coordinator co;
    memset(&co, 0, sizeof(co));
    co.pctx = pctx;
    co.spec = s;
    co.jobs = durable__calloc(s->count, sizeof(*co.jobs));
    co.done = durable__calloc(s->count, sizeof(*co.done));
    size_t *batch = durable__calloc(s->count, sizeof(*batch));
    if (!co.jobs || !co.done || !batch) {
        durable__free(co.jobs);
        durable__free(co.done);
        durable__free(batch);
        return durable__error_set(DURABLE_ENOMEM, "%s: out of memory", s->api);
    }
    pthread_mutex_init(&co.mu, NULL);
    pthread_cond_init(&co.finished, NULL);
    for (size_t i = 0; i < s->count; i++) {
        co.jobs[i].spec = s;
        co.jobs[i].index = i;
        co.jobs[i].st = &items[i];
    }
    run_items(&co, batch);
    for (size_t i = 0; i < s->count; i++) {
        durable__opref_clear(&co.jobs[i].ref);
        durable__free(co.jobs[i].name);
        durable__free(co.jobs[i].errmsg);
    }
    pthread_cond_destroy(&co.finished);
    pthread_mutex_destroy(&co.mu);
    durable__free(co.jobs);
    durable__free(co.done);
    durable__free(batch);
    *reason = co.reason;
    int rc = co.err;
    if (rc && rc != DURABLE_PENDING)
        durable__error_set(rc, "%s", co.errmsg ? co.errmsg : "");
    durable__free(co.errmsg);
    return rc;
}
