/*
 * The checkpoint batcher (batcher.h): a FIFO queue fed by any thread, whose
 * prefixes become checkpoint calls, one call at a time.
 *
 * Who sends: whoever needs a call now and finds no call in flight takes the
 * sender role (the `sending` flag) and makes the call on its own thread — a
 * sync enqueuer, a flusher, a refresher or a stopper. That saves two thread
 * hand-offs per synchronous checkpoint and, for an invocation that never
 * queues async work (a replay that ends in a wait), the thread altogether.
 * Async updates that nobody waits for are sent by a background sender
 * loop, started on the first async enqueue, which honours max_delay and
 * the limits. The loop runs on a borrowed checkpoint worker when one was
 * given and is idle (no thread per invocation), else on a thread of its own. Either way one call is in flight at a time and calls take queue
 * prefixes, so the order rules below do not depend on who sends.
 *
 * Locking: one mutex guards the queue, the counters, the sticky status, the
 * sender role and the id maps. The sender drops it around the client call
 * and the merge callback, so callers can enqueue (and the SDK's merge can
 * take its own locks and even enqueue) while a call is in flight. No user
 * callback ever runs with the mutex held.
 *
 * Why a call always takes a prefix of the queue: entries are answered in
 * queue order, so "answered up to seq N" is one counter (flush waits on
 * it), and an update that cannot join the current call (a second update
 * for an Id, a limit reached) holds back everything queued after it, which
 * keeps per-Id and parent/child order across calls without bookkeeping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "durable/ids.h"
#include "model/internal.h"
#include "model/json_util.h"
#include "sdk/batcher.h"
#include "sdk/batcher_internal.h"
#include "sdk/ckpt_worker.h"

/* Orphan checks walk at most this many ancestors (cyclic links are cut). */
#define MAX_DEPTH 256

typedef struct waiter {
    bool done;
    int rc;
} waiter;

typedef struct entry {
    struct entry *next;
    durable_operation_update u;
    bool has_update; /* false: a refresh marker (empty call) */
    bool packed;     /* u's strings live in this allocation (entry_pack); u.error apart */
    bool sync;
    size_t bytes;    /* compact JSON length of u */
    uint64_t seq;
    int64_t enq_ms;  /* monotonic enqueue time, for max_delay */
    waiter *w;       /* sync caller's, on its stack; NULL for async */
} entry;

struct durable__batcher {
    durable_client *client;
    char *arn;
    char *token; /* read by the sender; replaced under mu when its call returns */
    durable__batcher_options opts;
    durable__batcher_merge_fn merge;
    void *merge_user;

    pthread_mutex_t mu;
    pthread_cond_t cv_work; /* to the thread: work, urgency or stop */
    pthread_cond_t cv_done; /* from a sender: entries were answered, the role is free */
    pthread_t thread;
    bool has_thread; /* the async sender loop was started */
    durable__ckpt_worker *worker; /* borrowed; may run the sender loop */
    bool on_worker;  /* the loop runs on `worker` (job worker_ticket), not on `thread` */
    uint64_t worker_ticket;
    bool join_claimed, joined;
    bool sending;    /* a call is in flight (someone holds the sender role) */
    entry **taken;   /* the entries of the call in flight (sender only) */
    size_t taken_cap;

    entry *head, *tail;
    size_t queued, queued_bytes, queued_sync;
    uint64_t next_seq, answered_seq;
    int flush_waiters;
    bool stopping, closed;
    int status;
    char *errmsg;

    durable__idmap parents;   /* op id -> ParentId (NULL = root) */
    durable__idmap completed; /* CONTEXT ids with a completion queued or sent */
    durable__parent_lookup_fn known_parent;
    void *known_user;
    durable__batcher_sleep_fn sleep_fn;
    void *sleep_user;
};

/* ---- time --------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec abs_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    return ts;
}

static void default_sleep(void *user, int ms)
{
    (void)user;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- small helpers ------------------------------------------------------------------ */

/* The batcher whose call this thread is making (merge callback included):
 * a sync request from there would wait for itself. */
static _Thread_local const durable__batcher *tls_sender;

static bool in_own_call(const durable__batcher *b)
{
    return tls_sender == b;
}

static void entry_free(entry *e)
{
    if (!e)
        return;
    if (e->packed)
        durable_error_object_free(e->u.error);
    else
        durable_operation_update_clear(&e->u);
    durable_free(e);
}

/* A queued entry for a copy of u in one allocation: the strings of the
 * update follow the entry (a queued update is never modified, so they need
 * no allocation and no free of their own); only an error object is copied
 * apart. Every string field of durable_operation_update is listed here. */
static entry *entry_pack(const durable_operation_update *u)
{
    enum { N = 7 };
    const char *const src[N] = {u->id,      u->parent_id,     u->name,     u->subtype,
                                u->payload, u->function_name, u->tenant_id};
    size_t len[N], total = sizeof(entry);
    for (int i = 0; i < N; i++) {
        len[i] = src[i] ? strlen(src[i]) + 1 : 0;
        total += len[i];
    }
    entry *e = durable__malloc(total);
    if (!e) {
        durable__error_oom();
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->u = *u;
    e->u.error = NULL;
    char **const dst[N] = {&e->u.id,      &e->u.parent_id,     &e->u.name,     &e->u.subtype,
                           &e->u.payload, &e->u.function_name, &e->u.tenant_id};
    char *p = (char *)(e + 1);
    for (int i = 0; i < N; i++) {
        *dst[i] = src[i] ? memcpy(p, src[i], len[i]) : NULL;
        p += len[i];
    }
    if (durable__error_copy(&e->u.error, u->error) != 0) {
        durable_free(e);
        durable__error_oom();
        return NULL;
    }
    e->packed = true;
    return e;
}

/* What a refusal names: `what`, followed by " <id>" when id is set. Kept
 * as parts and formatted only when a refusal happens, not per update. */
typedef struct subject {
    const char *what;
    const char *id;
} subject;

/* Thread-local error for a call that failed or was refused. Caller holds mu. */
static int refuse(const durable__batcher *b, int rc, subject s)
{
    if (rc == b->status && b->errmsg)
        return durable__error_set(rc, "%s", b->errmsg);
    const char *sep = s.id ? " " : "";
    const char *id = s.id ? s.id : "";
    if (b->closed)
        return durable__error_set(rc, "%s%s%.64s refused: the execution has closed (a "
                                      "checkpoint response carried no CheckpointToken)",
                                  s.what, sep, id);
    return durable__error_set(rc, "%s%s%.64s refused: the checkpoint batcher is stopped", s.what,
                              sep, id);
}

/* Why an enqueue must not queue; 0 if it may. Caller holds mu. */
static int refusal(const durable__batcher *b)
{
    if (b->status)
        return b->status;
    if (b->closed || b->stopping)
        return DURABLE_ESTATE;
    return 0;
}

/* ParentId of op_id: links seen by this batcher, else the SDK's lookup.
 * Returned text is owned by the map, so it stays valid (values are never
 * replaced); takes mu briefly, so never call it with mu held. */
static const char *lookup_parent(void *user, const char *op_id)
{
    durable__batcher *b = user;
    pthread_mutex_lock(&b->mu);
    bool found = durable__idmap_has(&b->parents, op_id);
    const char *v = durable__idmap_get(&b->parents, op_id);
    durable__parent_lookup_fn fn = b->known_parent;
    void *fu = b->known_user;
    pthread_mutex_unlock(&b->mu);
    if (found || !fn)
        return v;
    const char *ext = fn(fu, op_id);
    if (!ext)
        return NULL; /* unknown is not cached: the op may start later */
    pthread_mutex_lock(&b->mu);
    int rc = durable__idmap_put(&b->parents, op_id, ext);
    v = rc == 0 ? durable__idmap_get(&b->parents, op_id) : NULL;
    pthread_mutex_unlock(&b->mu);
    return v;
}

/* ---- options ------------------------------------------------------------------------ */

static durable__batcher_options normalize(const durable__batcher_options *in)
{
    durable__batcher_options def = DURABLE__BATCHER_OPTIONS_INIT;
    if (!in)
        return def;
    durable__batcher_options o = *in;
    if (o.max_bytes == 0)
        o.max_bytes = def.max_bytes;
    if (o.max_updates == 0)
        o.max_updates = def.max_updates;
    if (o.max_delay_ms < 0)
        o.max_delay_ms = def.max_delay_ms;
    if (o.throttle_retries < 0)
        o.throttle_retries = def.throttle_retries;
    if (o.backoff_initial_ms < 0)
        o.backoff_initial_ms = def.backoff_initial_ms;
    if (o.backoff_max_ms < 0)
        o.backoff_max_ms = def.backoff_max_ms;
    return o;
}

/* ---- forming a call (thread, mu held) ----------------------------------------------- */

static size_t call_overhead(const durable__batcher *b)
{
    return (b->token ? strlen(b->token) : 0) + 100;
}

/* A caller is blocked on the queue (or the batcher is winding down): the
 * call must go now, not when the delay timer fires. */
static bool urgent(const durable__batcher *b)
{
    return b->queued_sync > 0 || b->flush_waiters > 0 || b->stopping || b->opts.max_delay_ms == 0;
}

/* Enough is queued to fill a call: waiting longer cannot add to it. */
static bool full(const durable__batcher *b)
{
    return b->queued >= b->opts.max_updates ||
           b->queued_bytes + call_overhead(b) >= b->opts.max_bytes;
}

static bool is_start(const durable_operation_update *u)
{
    return u->action == DURABLE_ACTION_START;
}

/* May e join a call that already holds taken[0..n)? SPEC §5.2 B3: one
 * update per Id, except a STEP/CONTEXT START followed by one completion. */
static bool id_fits(entry *const *taken, size_t n, const entry *e)
{
    if (!e->u.id)
        return true; /* the service rejects it (B2); nothing to keep apart */
    size_t same = 0;
    const entry *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (taken[i]->has_update && taken[i]->u.id && strcmp(taken[i]->u.id, e->u.id) == 0) {
            if (!first)
                first = taken[i];
            same++;
        }
    }
    if (same == 0)
        return true;
    return same == 1 && is_start(&first->u) && !is_start(&e->u) &&
           (first->u.type == DURABLE_OP_STEP || first->u.type == DURABLE_OP_CONTEXT) &&
           e->u.type == first->u.type;
}

/* Detach the longest queue prefix that fits one call into *out (an array
 * of queue length). Returns the number of entries; at least 1. */
static size_t take_call(durable__batcher *b, entry **out)
{
    size_t n = 0, updates = 0, bytes = call_overhead(b);
    bool has_exec = false;
    entry *e = b->head;
    while (e) {
        if (e->has_update) {
            if (has_exec || updates >= b->opts.max_updates)
                break;
            /* One oversized update still goes, alone. */
            if (updates > 0 && bytes + e->bytes > b->opts.max_bytes)
                break;
            if (!id_fits(out, n, e))
                break;
            updates++;
            bytes += e->bytes;
            /* B1: an EXECUTION update ends its call. */
            has_exec = e->u.type == DURABLE_OP_EXECUTION;
        }
        out[n++] = e;
        b->queued--;
        b->queued_bytes -= e->bytes;
        b->queued_sync -= e->sync;
        e = e->next;
    }
    b->head = e;
    if (!e)
        b->tail = NULL;
    return n;
}

/* ---- answering (thread, mu held) ---------------------------------------------------- */

static void answer(durable__batcher *b, entry *e, int rc)
{
    if (e->w) {
        e->w->rc = rc;
        e->w->done = true;
    }
    if (e->seq > b->answered_seq)
        b->answered_seq = e->seq;
    entry_free(e);
}

/* After a failure or the close, nothing queued will ever be sent. */
static void drain(durable__batcher *b, int rc)
{
    entry *e = b->head;
    while (e) {
        entry *next = e->next;
        answer(b, e, rc);
        e = next;
    }
    b->head = b->tail = NULL;
    b->queued = b->queued_bytes = b->queued_sync = 0;
}

/* ---- the call (thread, mu NOT held) ------------------------------------------------- */

static bool starts_with_invalid_token(const char *msg)
{
    static const char prefix[] = "Invalid Checkpoint Token";
    return msg && strncasecmp(msg, prefix, sizeof prefix - 1) == 0;
}

typedef struct call_result {
    int rc;
    char *errmsg;     /* failure message (owned) */
    bool closed;      /* success without a token */
    char *new_token;  /* success: the token for the next call (owned) */
} call_result;

static void sleep_backoff(durable__batcher *b, int ms)
{
    pthread_mutex_lock(&b->mu);
    durable__batcher_sleep_fn fn = b->sleep_fn ? b->sleep_fn : default_sleep;
    void *user = b->sleep_user;
    pthread_mutex_unlock(&b->mu);
    fn(user, ms);
}

/* Record ParentId links the service told us about (for later orphan checks). */
static int learn_parents(durable__batcher *b, const durable_operation_list *ops)
{
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < ops->count && rc == 0; i++) {
        const durable_operation *op = &ops->items[i];
        if (op->id && op->parent_id)
            rc = durable__idmap_put(&b->parents, op->id, op->parent_id);
        if (rc == 0 && op->id && op->type == DURABLE_OP_CONTEXT &&
            durable_op_status_is_terminal(op->status))
            rc = durable__idmap_put(&b->completed, op->id, NULL);
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

static call_result send_call(durable__batcher *b, entry *const *taken, size_t n)
{
    call_result r = {0};
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += taken[i]->has_update;
    /* Shallow copies: the sort moves structs, the entries keep ownership. */
    durable_operation_update *ups = NULL;
    if (count && !(ups = durable__malloc(count * sizeof *ups))) {
        r.rc = durable__error_oom();
        r.errmsg = durable__strdup("checkpoint batcher: out of memory building a call");
        return r;
    }
    for (size_t i = 0, k = 0; i < n; i++)
        if (taken[i]->has_update)
            ups[k++] = taken[i]->u;
    int rc = durable__batcher_sort_checked(ups, count, lookup_parent, b);
    char client_token[37];
    durable_uuid(client_token);
    durable_checkpoint_request req = {b->arn, b->token, ups, count, client_token};
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    for (int retry = 0; rc == 0;) {
        memset(&resp, 0, sizeof resp);
        rc = durable_client_checkpoint(b->client, &resp, &req);
        if (rc != DURABLE_ETHROTTLED || retry >= b->opts.throttle_retries)
            break;
        durable_checkpoint_response_clear(&resp);
        /* Same request, same ClientToken: the service may have applied the
         * first attempt, and then returns its stored response (§7.2). */
        sleep_backoff(b, durable__batcher_backoff_ms(&b->opts, ++retry));
        rc = 0;
    }
    durable_free(ups);
    if (rc != 0) {
        const char *msg = durable_error_last()->message;
        if (rc != DURABLE_ETOKEN && starts_with_invalid_token(msg))
            rc = DURABLE_ETOKEN; /* SPEC §10.13: the message decides */
        if (rc == DURABLE_ETHROTTLED)
            r.errmsg = durable__sprintf("%s (checkpoint still throttled after %d retries)", msg,
                                        b->opts.throttle_retries);
        else
            r.errmsg = durable__strdup(msg && *msg ? msg : durable_strerror(rc));
        r.rc = rc;
        durable_checkpoint_response_clear(&resp);
        return r;
    }
    if (resp.checkpoint_token) {
        r.new_token = resp.checkpoint_token;
        resp.checkpoint_token = NULL;
    } else {
        r.closed = true;
    }
    if ((rc = learn_parents(b, &resp.operations)) != 0) {
        r.rc = rc;
        r.errmsg = durable__strdup(durable_error_last()->message);
    }
    /* Merge before any waiter of this call wakes (they read merged state). */
    if (b->merge)
        b->merge(b->merge_user, &resp.operations);
    durable_checkpoint_response_clear(&resp);
    return r;
}

/* ---- sending (mu held on entry and exit) -------------------------------------------- */

/* Make one call of a queue prefix on the calling thread. Caller holds mu,
 * no call is in flight and the queue is not empty. */
static void send_one(durable__batcher *b)
{
    if (b->taken_cap < b->queued) {
        size_t ncap = b->queued * 2;
        entry **t = durable__realloc(b->taken, ncap * sizeof *t);
        if (!t) {
            /* Cannot even list the entries: fail them all. */
            if (!b->status) {
                b->status = DURABLE_ENOMEM;
                b->errmsg = durable__strdup("checkpoint batcher: out of memory");
            }
            drain(b, DURABLE_ENOMEM);
            pthread_cond_broadcast(&b->cv_done);
            return;
        }
        b->taken = t;
        b->taken_cap = ncap;
    }
    b->sending = true;
    entry **taken = b->taken;
    size_t n = take_call(b, taken);
    pthread_mutex_unlock(&b->mu);

    const durable__batcher *outer = tls_sender;
    tls_sender = b;
    call_result r = send_call(b, taken, n);
    tls_sender = outer;

    pthread_mutex_lock(&b->mu);
    if (r.rc == 0) {
        durable_free(b->token);
        b->token = r.new_token;
        b->closed = b->closed || r.closed;
    } else {
        durable_free(r.new_token);
        if (b->status == 0) {
            b->status = r.rc;
            b->errmsg = r.errmsg;
            r.errmsg = NULL;
        }
    }
    durable_free(r.errmsg);
    for (size_t i = 0; i < n; i++)
        answer(b, taken[i], r.rc);
    if (r.rc != 0)
        drain(b, b->status);
    else if (b->closed)
        drain(b, DURABLE_ESTATE);
    b->sending = false;
    pthread_cond_broadcast(&b->cv_done);
    if (b->head)
        pthread_cond_signal(&b->cv_work); /* the thread may have async work left */
}

/* Wait until done(b, arg), making calls whenever no one else is: the
 * caller needs its work sent now, so it never waits for the delay timer. */
static void pump_until(durable__batcher *b, bool (*done)(const durable__batcher *, const void *),
                       const void *arg)
{
    while (!done(b, arg)) {
        if (!b->sending && b->head)
            send_one(b);
        else
            pthread_cond_wait(&b->cv_done, &b->mu);
    }
}

/* ---- the async sender thread -------------------------------------------------------- */

static void *run(void *arg)
{
    durable__batcher *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->stopping && (!b->head || b->sending))
            pthread_cond_wait(&b->cv_work, &b->mu);
        if (!b->head || b->sending)
            break; /* stopping; the stopper drains what is left */
        while (b->head && !b->sending && !urgent(b) && !full(b)) {
            int64_t deadline = b->head->enq_ms + b->opts.max_delay_ms;
            if (now_ms() >= deadline)
                break;
            struct timespec ts = abs_ms(deadline);
            pthread_cond_timedwait(&b->cv_work, &b->mu, &ts);
        }
        if (b->head && !b->sending)
            send_one(b);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Start the async sender on first need: on the worker if it is idle, else
 * on a thread of our own (never wait for the worker). Caller holds mu. */
static int ensure_thread(durable__batcher *b)
{
    if (b->has_thread)
        return 0;
    if (durable__ckpt_worker_try_run(b->worker, run, b, &b->worker_ticket)) {
        b->on_worker = b->has_thread = true;
        return 0;
    }
    if (pthread_create(&b->thread, NULL, run, b) != 0)
        return durable__error_set(DURABLE_ERROR, "checkpoint batcher: cannot start the batcher "
                                                 "thread");
    b->has_thread = true;
    return 0;
}

/* ---- API ---------------------------------------------------------------------------- */

int durable__batcher_new(durable__batcher **out, durable_client *client, const char *arn,
                         const char *checkpoint_token, const durable__batcher_options *opts,
                         durable__batcher_merge_fn merge, void *merge_user)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable__batcher_new: out is NULL");
    *out = NULL;
    if (!client || !arn || !checkpoint_token)
        return durable__error_set(DURABLE_EINVAL, "durable__batcher_new: client, arn and "
                                                  "checkpoint token are required");
    durable__batcher *b = durable__calloc(1, sizeof *b);
    if (!b)
        return durable__error_oom();
    b->client = client;
    b->opts = normalize(opts);
    b->merge = merge;
    b->merge_user = merge_user;
    if (!(b->arn = durable__strdup(arn)) || !(b->token = durable__strdup(checkpoint_token))) {
        durable_free(b->arn);
        durable_free(b->token);
        durable_free(b);
        return durable__error_oom();
    }
    pthread_condattr_t ca;
    bool ok = pthread_condattr_init(&ca) == 0;
    ok = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
    bool mu = ok && pthread_mutex_init(&b->mu, NULL) == 0;
    bool cw = mu && pthread_cond_init(&b->cv_work, &ca) == 0;
    bool cd = cw && pthread_cond_init(&b->cv_done, NULL) == 0;
    pthread_condattr_destroy(&ca);
    if (!cd) {
        if (cw)
            pthread_cond_destroy(&b->cv_work);
        if (mu)
            pthread_mutex_destroy(&b->mu);
        durable_free(b->arn);
        durable_free(b->token);
        durable_free(b);
        return durable__error_set(DURABLE_ERROR,
                                  "durable__batcher_new: cannot create the batcher's locks");
    }
    *out = b;
    return 0;
}

/* Ancestors of u (ParentId chain), copied, for the orphan check; *n set. */
static int ancestors(durable__batcher *b, const durable_operation_update *u, char ***out,
                     size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!u->parent_id)
        return 0;
    char **a = durable__calloc(MAX_DEPTH, sizeof *a);
    if (!a)
        return durable__error_oom();
    const char *p = u->parent_id;
    size_t k = 0;
    while (p && k < MAX_DEPTH) {
        if (!(a[k] = durable__strdup(p))) {
            for (size_t i = 0; i < k; i++)
                durable_free(a[i]);
            durable_free(a);
            return durable__error_oom();
        }
        p = lookup_parent(b, a[k++]);
    }
    *out = a;
    *n = k;
    return 0;
}

static void free_strs(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        durable_free(a[i]);
    durable_free(a);
}

static bool waiter_done(const durable__batcher *b, const void *w)
{
    (void)b;
    return ((const waiter *)w)->done;
}

static bool answered_up_to(const durable__batcher *b, const void *seq)
{
    return b->answered_seq >= *(const uint64_t *)seq;
}

static bool queue_idle(const durable__batcher *b, const void *unused)
{
    (void)unused;
    return !b->head && !b->sending;
}

/* Queue e (taken), or refuse/drop it; waits if e->sync. */
static int submit(durable__batcher *b, entry *e, char **anc, size_t n_anc, subject what)
{
    waiter w = {false, 0};
    pthread_mutex_lock(&b->mu);
    int rc = refusal(b);
    if (rc) {
        rc = refuse(b, rc, what);
        pthread_mutex_unlock(&b->mu);
        entry_free(e);
        return rc;
    }
    if (e->has_update) {
        for (size_t i = 0; i < n_anc; i++) {
            if (durable__idmap_has(&b->completed, anc[i])) {
                /* An orphan: its ancestor CONTEXT is done, so the service
                 * would reject it or it is meaningless (SPEC §10.13). */
                pthread_mutex_unlock(&b->mu);
                entry_free(e);
                return 0;
            }
        }
        const durable_operation_update *u = &e->u;
        if (u->id && u->parent_id)
            rc = durable__idmap_put(&b->parents, u->id, u->parent_id);
        if (rc == 0 && u->id && u->type == DURABLE_OP_CONTEXT && !is_start(u))
            rc = durable__idmap_put(&b->completed, u->id, NULL);
        if (rc) {
            pthread_mutex_unlock(&b->mu);
            entry_free(e);
            return rc;
        }
    }
    /* A sync caller inside a call of this batcher (the merge callback)
     * would wait for itself: its update travels as async instead. */
    if (e->sync && in_own_call(b))
        e->sync = false;
    bool sync = e->sync;
    if (!sync && (rc = ensure_thread(b)) != 0) {
        pthread_mutex_unlock(&b->mu);
        entry_free(e);
        return rc;
    }
    if (sync)
        e->w = &w;
    e->seq = ++b->next_seq;
    e->enq_ms = now_ms();
    bool was_empty = b->head == NULL;
    if (b->tail)
        b->tail->next = e;
    else
        b->head = e;
    b->tail = e;
    b->queued++;
    b->queued_bytes += e->bytes;
    b->queued_sync += sync;
    /* Wake the thread only when this entry changes what it waits for: a
     * first entry starts a delay timer, a full queue or a zero delay makes
     * the call due now. A later async entry leaves the head's deadline as it
     * is, and a sync caller sends on its own thread (pump_until), so waking
     * the thread for those would only cost it a context switch per update. */
    if (!sync && (was_empty || full(b) || b->opts.max_delay_ms == 0))
        pthread_cond_signal(&b->cv_work);
    if (!sync) {
        pthread_mutex_unlock(&b->mu);
        return 0;
    }
    pump_until(b, waiter_done, &w);
    if (w.rc)
        refuse(b, w.rc, what);
    pthread_mutex_unlock(&b->mu);
    return w.rc;
}

int durable__batcher_enqueue(durable__batcher *b, const durable_operation_update *u, bool sync)
{
    if (!b || !u)
        return durable__error_set(DURABLE_EINVAL, "durable__batcher_enqueue: batcher and update "
                                                  "are required");
    size_t bytes = 0;
    int rc = durable__update_json_size(&bytes, u);
    if (rc) {
        durable__error_prefix("checkpoint of operation %s", u->id ? u->id : "(no Id)");
        return rc;
    }

    entry *e = entry_pack(u);
    if (!e)
        return DURABLE_ENOMEM;
    e->has_update = true;
    e->sync = sync;
    e->bytes = bytes;
    char **anc = NULL;
    size_t n_anc = 0;
    if ((rc = ancestors(b, u, &anc, &n_anc)) != 0) {
        entry_free(e);
        return rc;
    }
    subject what = {"checkpoint of operation", u->id ? u->id : "(no Id)"};
    rc = submit(b, e, anc, n_anc, what);
    free_strs(anc, n_anc);
    return rc;
}

int durable__batcher_refresh(durable__batcher *b)
{
    if (!b)
        return durable__error_set(DURABLE_EINVAL, "durable__batcher_refresh: batcher is NULL");
    if (in_own_call(b))
        return durable__error_set(DURABLE_ESTATE, "durable__batcher_refresh: called from inside "
                                                  "one of the batcher's calls (merge callback)");
    entry *e = durable__calloc(1, sizeof *e);
    if (!e)
        return durable__error_oom();
    e->sync = true;
    subject what = {"state refresh", NULL};
    return submit(b, e, NULL, 0, what);
}

int durable__batcher_flush(durable__batcher *b)
{
    if (!b)
        return durable__error_set(DURABLE_EINVAL, "durable__batcher_flush: batcher is NULL");
    pthread_mutex_lock(&b->mu);
    if (!in_own_call(b)) {
        uint64_t target = b->next_seq;
        /* No wake of the thread: pump_until sends on this thread. */
        b->flush_waiters++;
        pump_until(b, answered_up_to, &target);
        b->flush_waiters--;
    }
    int rc = b->status;
    if (rc)
        refuse(b, rc, (subject){"checkpoint flush", NULL});
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int durable__batcher_status(durable__batcher *b)
{
    if (!b)
        return DURABLE_EINVAL;
    pthread_mutex_lock(&b->mu);
    int rc = b->status;
    pthread_mutex_unlock(&b->mu);
    return rc;
}

const char *durable__batcher_errmsg(durable__batcher *b)
{
    if (!b)
        return "";
    pthread_mutex_lock(&b->mu);
    /* Set once, never changed or freed before the batcher: safe to lend. */
    const char *m = b->errmsg ? b->errmsg : "";
    pthread_mutex_unlock(&b->mu);
    return m;
}

bool durable__batcher_closed(durable__batcher *b)
{
    if (!b)
        return false;
    pthread_mutex_lock(&b->mu);
    bool c = b->closed;
    pthread_mutex_unlock(&b->mu);
    return c;
}

void durable__batcher_stop(durable__batcher *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stopping = true;
    if (in_own_call(b)) {
        /* From the merge callback: the owner's later stop/free drains the
         * queue and joins the thread. */
        pthread_cond_signal(&b->cv_work);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    pump_until(b, queue_idle, NULL); /* everything queued is sent */
    if (!b->has_thread) {
        pthread_mutex_unlock(&b->mu);
        return;
    }
    if (b->join_claimed) {
        while (!b->joined)
            pthread_cond_wait(&b->cv_done, &b->mu);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    b->join_claimed = true;
    bool on_worker = b->on_worker;
    pthread_mutex_unlock(&b->mu);
    /* Wake the loop to see `stopping` only now, after unlocking: woken
     * under mu it would block on mu again. b lives until the join. */
    pthread_cond_signal(&b->cv_work);
    if (on_worker)
        durable__ckpt_worker_wait(b->worker, b->worker_ticket); /* the loop returned */
    else
        pthread_join(b->thread, NULL);
    pthread_mutex_lock(&b->mu);
    b->joined = true;
    pthread_cond_broadcast(&b->cv_done);
    pthread_mutex_unlock(&b->mu);
}

void durable__batcher_free(durable__batcher *b)
{
    if (!b)
        return;
    durable__batcher_stop(b);
    drain(b, DURABLE_ESTATE); /* nothing is left after a stop; belt and braces */
    durable__idmap_clear(&b->parents);
    durable__idmap_clear(&b->completed);
    pthread_cond_destroy(&b->cv_work);
    pthread_cond_destroy(&b->cv_done);
    pthread_mutex_destroy(&b->mu);
    durable_free(b->arn);
    durable_free(b->token);
    durable_free(b->errmsg);
    durable_free(b->taken);
    durable_free(b);
}

void durable__batcher_set_sleep(durable__batcher *b, durable__batcher_sleep_fn fn, void *user)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->sleep_fn = fn;
    b->sleep_user = user;
    pthread_mutex_unlock(&b->mu);
}

void durable__batcher_set_worker(durable__batcher *b, durable__ckpt_worker *w)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    if (!b->has_thread)
        b->worker = w;
    pthread_mutex_unlock(&b->mu);
}

void durable__batcher_set_parent_lookup(durable__batcher *b, durable__parent_lookup_fn fn,
                                        void *user)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->known_parent = fn;
    b->known_user = user;
    pthread_mutex_unlock(&b->mu);
}
