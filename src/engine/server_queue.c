/* A worker thread serving closures from a FIFO queue (server_queue.h). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "durable/common.h"
#include "engine/server_queue.h"
#include "model/internal.h"
#include "store/wal_checkpointer.h"

/* One request. It lives on the caller's stack: the caller cannot return
 * before `done` is set and it holds the lock again, and the worker touches
 * it after setting `done` only under that lock (to wake the caller), so no
 * allocation is needed to submit. */
typedef struct request {
    durable__squeue_fn fn;
    void *arg;
    durable__squeue_undo_fn undo; /* grouped requests only: may share a group */
    bool grouped;
    int rc;
    char *err_msg;          /* worker's last-error message when rc < 0 */
    bool done;              /* atomic: the caller may poll it without the lock */
    bool sleeping;          /* under lock: the caller waits on cv */
    pthread_cond_t cv;      /* its caller's own: a reply wakes only that caller */
    struct request *next;
} request;

struct durable__squeue {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;     /* worker waits for requests or stop */
    pthread_cond_t state_cv;    /* start handshake and caller drain */
    pthread_t thread;
    request *head, *tail;
    bool stopping;
    bool started;               /* open_fn has run (successfully or not) */
    int start_rc;
    char *start_msg;
    unsigned active_callers;    /* callers inside durable__squeue_call */
    bool worker_sleeping;       /* the worker waits on work_cv: a caller must signal */
    bool queued;                /* atomic mirror of head != NULL, for the polling worker */
    int64_t spin_ns;            /* atomic; see durable__squeue_set_spin */
    uint64_t served;
    uint64_t served_grouped;    /* of which answered as members of a group of >= 2 */
    durable__squeue_group group; /* under lock; max <= 1 = no groups */

    durable__squeue_open_fn open_fn;
    durable__squeue_close_fn close_fn;
    void *user;
    void *ctx;

    /* Held by the worker while it runs anything (open, a request, a group,
     * close): fork() takes it, see "fork" below. */
    pthread_mutex_t busy;
    bool fork_held;             /* busy taken by fork_prepare */
    struct durable__squeue *all_next;
};

/* ---- fork --------------------------------------------------------------------------------
 * fork() copies the forking thread only. A worker inside SQLite at that
 * moment may hold one of SQLite's process-wide mutexes (its allocator's is
 * taken around every allocation), which would then stay locked in the
 * child for ever: crash isolation's child (src/testing/invoke.c), which
 * opens its own store on the file, hung in 14 of 30 forks made while the
 * server thread ran queries. So fork waits until every worker is between
 * requests (holding each one's `busy`), and releases them on both sides.
 * A fork made on a worker itself, by a request it runs, skips its own. */
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static durable__squeue *all_list;
static _Thread_local durable__squeue *worker_of; /* set on each worker thread */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_rc;

static void fork_prepare(void)
{
    pthread_mutex_lock(&all_mu);
    for (durable__squeue *q = all_list; q; q = q->all_next) {
        if (q == worker_of)
            continue;
        pthread_mutex_lock(&q->busy);
        q->fork_held = true;
    }
}

static void fork_release(void)
{
    for (durable__squeue *q = all_list; q; q = q->all_next) {
        if (q->fork_held) {
            q->fork_held = false;
            pthread_mutex_unlock(&q->busy);
        }
    }
    pthread_mutex_unlock(&all_mu);
}

/* The store's checkpointer registers first, so this prepare handler runs
 * before its own: a worker opening a store holds `busy` and then takes the
 * checkpointers' list lock, and fork takes them in that order too. */
static void register_atfork(void)
{
    atfork_rc = durable__walckpt_atfork_register();
    if (atfork_rc == 0)
        atfork_rc = pthread_atfork(fork_prepare, fork_release, fork_release);
}

static void list_add(durable__squeue *q)
{
    pthread_mutex_lock(&all_mu);
    q->all_next = all_list;
    all_list = q;
    pthread_mutex_unlock(&all_mu);
}

static void list_remove(durable__squeue *q)
{
    pthread_mutex_lock(&all_mu);
    for (durable__squeue **p = &all_list; *p; p = &(*p)->all_next) {
        if (*p == q) {
            *p = q->all_next;
            break;
        }
    }
    pthread_mutex_unlock(&all_mu);
}

/* ---- polling before sleeping ------------------------------------------------------------ */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Poll *flag for up to q's spin time; true once it is set. A request and
 * its reply usually take a few microseconds, while a hand-off through a
 * condition variable costs a futex wake-up of a sleeping thread (5–50 µs on
 * a virtual machine, where an idle vCPU must be rescheduled). The poll
 * yields now and then, so a thread it waits for that shares its CPU (or a
 * one-at-a-time scheduler such as valgrind's) still gets to run. */
static bool poll_flag(const durable__squeue *q, const bool *flag)
{
    int64_t ns = __atomic_load_n(&q->spin_ns, __ATOMIC_RELAXED);
    if (ns <= 0)
        return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
    int64_t end = 0;
    for (unsigned i = 0;; i++) {
        if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
            return true;
        if ((i & 127) == 127) {
            int64_t now = mono_ns();
            if (end == 0)
                end = now + ns;
            else if (now >= end)
                return false;
            sched_yield();
        }
        cpu_relax();
    }
}

/* The worker's last error as a caller-owned copy; rc's static text when the
 * closure failed without recording a message (so the caller never sees ""). */
static char *capture_error(int rc)
{
    const durable_error *e = durable_error_last();
    const char *msg = (e->code != 0 && e->message && *e->message) ? e->message
                                                                   : durable_strerror(rc);
    return durable__strdup(msg);
}

/* Run r's closure on the worker, keeping its code and error message in r
 * (not yet answered). */
static void execute(durable__squeue *q, request *r)
{
    durable_error_clear();
    r->rc = r->fn(q->ctx, r->arg);
    r->err_msg = r->rc < 0 ? capture_error(r->rc) : NULL;
}

/* Answer n requests chained through `next` (already off the queue). */
static void answer(durable__squeue *q, request *first, size_t n, bool grouped)
{
    pthread_mutex_lock(&q->lock);
    for (request *r = first, *next; r; r = next) {
        next = r->next; /* read before `done`: the caller may then return */
        __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
        /* Each caller sleeps on its own condition, so a reply wakes its
         * caller only (one shared condition woke every waiting caller on
         * every reply: with a hundred connection threads of the HTTP front
         * that herd cost more than the requests). Signalled under the lock:
         * the condition lives on the caller's stack, and the caller cannot
         * return before it holds the lock again. A caller still polling
         * sees `done` without any wake-up. */
        if (r->sleeping)
            pthread_cond_signal(&r->cv);
    }
    q->served += n;
    if (grouped)
        q->served_grouped += n;
    pthread_mutex_unlock(&q->lock);
}

/* Take the next queued request if it may join the open group. The group
 * only takes what is already waiting: nobody waits for a group to fill. */
static request *take_joiner(durable__squeue *q)
{
    pthread_mutex_lock(&q->lock);
    request *r = q->head;
    if (r && r->grouped) {
        q->head = r->next;
        if (!q->head) {
            q->tail = NULL;
            __atomic_store_n(&q->queued, false, __ATOMIC_RELAXED);
        }
        r->next = NULL;
    } else {
        r = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    return r;
}

/* Every member of a group that did not commit gets the same failure: its
 * outcome may have depended on the writes of the members before it. What a
 * member that succeeded wrote into its caller's structs is released. */
static void fail_group(request *first, int rc, const char *msg)
{
    for (request *m = first; m; m = m->next) {
        if (m->rc >= 0 && m->undo)
            m->undo(m->arg);
        m->rc = rc;
        durable_free(m->err_msg);
        m->err_msg = durable__strdup(msg);
    }
}

/* first (grouped) and at least one more grouped request are waiting: run
 * them in one transaction, each in its own savepoint, then answer all after
 * the one commit. */
static void run_group(durable__squeue *q, request *first, const durable__squeue_group *g)
{
    durable_error_clear();
    int rc = g->begin(q->ctx);
    if (rc < 0) {
        /* The same failure the request would meet on its own (its BEGIN). */
        first->rc = rc;
        first->err_msg = capture_error(rc);
        answer(q, first, 1, false);
        return;
    }
    request *last = first;
    size_t n = 1;
    int lost_rc = 0;
    char *lost_msg = NULL;
    for (request *r = first;;) {
        execute(q, r);
        if (r->rc < 0 && g->lost(q->ctx)) {
            lost_rc = r->rc;
            lost_msg = durable__strdup(r->err_msg);
            break;
        }
        if ((int)n >= g->max || !(r = take_joiner(q)))
            break;
        last->next = r;
        last = r;
        n++;
    }
    durable_error_clear();
    rc = g->end(q->ctx, lost_rc == 0);
    if (lost_rc < 0)
        fail_group(first, lost_rc, lost_msg ? lost_msg : durable_strerror(lost_rc));
    else if (rc < 0) {
        char *msg = capture_error(rc);
        fail_group(first, rc, msg ? msg : durable_strerror(rc));
        durable_free(msg);
    }
    durable_free(lost_msg);
    answer(q, first, n, n > 1);
}

static void *worker_main(void *p)
{
    durable__squeue *q = p;
    worker_of = q;
    durable_error_clear();
    void *ctx = NULL;
    pthread_mutex_lock(&q->busy);
    int rc = q->open_fn(&ctx, q->user);
    pthread_mutex_unlock(&q->busy);

    pthread_mutex_lock(&q->lock);
    q->ctx = ctx;
    q->start_rc = rc;
    if (rc < 0)
        q->start_msg = capture_error(rc);
    q->started = true;
    pthread_cond_broadcast(&q->state_cv);
    pthread_mutex_unlock(&q->lock);
    if (rc < 0)
        return NULL;

    for (;;) {
        /* The next request often follows within microseconds (a caller
         * sending its next checkpoint): look before going to sleep. */
        (void)poll_flag(q, &q->queued);
        pthread_mutex_lock(&q->lock);
        while (!q->head && !q->stopping) {
            q->worker_sleeping = true;
            pthread_cond_wait(&q->work_cv, &q->lock);
            q->worker_sleeping = false;
        }
        request *r = q->head;
        if (!r) {
            /* Stopping and drained: every queued request has its answer. */
            pthread_mutex_unlock(&q->lock);
            break;
        }
        q->head = r->next;
        r->next = NULL;
        if (!q->head) {
            q->tail = NULL;
            __atomic_store_n(&q->queued, false, __ATOMIC_RELAXED);
        }
        durable__squeue_group g = q->group;
        /* A group only when another request is already waiting to join:
         * alone, a request is its own transaction, as without groups. */
        bool group = g.max > 1 && r->grouped && q->head && q->head->grouped;
        pthread_mutex_unlock(&q->lock);
        pthread_mutex_lock(&q->busy);
        if (group) {
            run_group(q, r, &g);
        } else {
            execute(q, r);
            answer(q, r, 1, false);
        }
        pthread_mutex_unlock(&q->busy);
    }
    pthread_mutex_lock(&q->busy);
    if (q->close_fn)
        q->close_fn(q->ctx, q->user);
    q->ctx = NULL;
    pthread_mutex_unlock(&q->busy);
    return NULL;
}

static void destroy(durable__squeue *q)
{
    list_remove(q);
    pthread_mutex_destroy(&q->busy);
    pthread_cond_destroy(&q->state_cv);
    pthread_cond_destroy(&q->work_cv);
    pthread_mutex_destroy(&q->lock);
    durable_free(q->start_msg);
    durable_free(q);
}

int durable__squeue_start(durable__squeue **out, durable__squeue_open_fn open_fn,
                          durable__squeue_close_fn close_fn, void *user)
{
    if (!out || !open_fn)
        return durable__error_set(DURABLE_EINVAL, "server queue start: out and open_fn are required");
    *out = NULL;
    durable__squeue *q = durable__calloc(1, sizeof *q);
    if (!q)
        return durable__error_oom();
    q->open_fn = open_fn;
    q->close_fn = close_fn;
    q->user = user;
    pthread_mutex_init(&q->lock, NULL);
    pthread_mutex_init(&q->busy, NULL);
    pthread_cond_init(&q->work_cv, NULL);
    pthread_cond_init(&q->state_cv, NULL);
    pthread_once(&atfork_once, register_atfork);
    if (atfork_rc != 0) { /* pthread_atfork fails only without memory */
        pthread_mutex_destroy(&q->busy);
        pthread_cond_destroy(&q->state_cv);
        pthread_cond_destroy(&q->work_cv);
        pthread_mutex_destroy(&q->lock);
        durable_free(q);
        return durable__error_oom();
    }
    list_add(q); /* before its thread starts: a fork from then on waits for it */

    int err = pthread_create(&q->thread, NULL, worker_main, q);
    if (err != 0) {
        destroy(q);
        return durable__error_set(DURABLE_ESERVER, "server queue start: pthread_create failed: %s",
                                  strerror(err));
    }
    pthread_mutex_lock(&q->lock);
    while (!q->started)
        pthread_cond_wait(&q->state_cv, &q->lock);
    int rc = q->start_rc;
    pthread_mutex_unlock(&q->lock);
    if (rc < 0) {
        pthread_join(q->thread, NULL);
        if (q->start_msg)
            durable__error_set(rc, "%s", q->start_msg);
        else
            durable__error_set(rc, "server start failed: %s", durable_strerror(rc));
        destroy(q);
        return rc;
    }
    *out = q;
    return 0;
}

static int submit(durable__squeue *q, durable__squeue_fn fn, void *arg,
                  durable__squeue_undo_fn undo, bool grouped)
{
    if (!q || !fn)
        return durable__error_set(DURABLE_EINVAL, "server call: server and function are required");
    if (durable__squeue_on_worker(q))
        return durable__error_set(DURABLE_ESTATE,
                                  "server call: called from the server thread itself "
                                  "(it would wait for its own reply forever)");
    request r;
    memset(&r, 0, sizeof r);
    r.fn = fn;
    r.arg = arg;
    r.undo = undo;
    r.grouped = grouped;
    pthread_cond_init(&r.cv, NULL);

    pthread_mutex_lock(&q->lock);
    if (q->stopping) {
        pthread_mutex_unlock(&q->lock);
        pthread_cond_destroy(&r.cv);
        return durable__error_set(DURABLE_ESERVER, "server call: the server is shutting down");
    }
    q->active_callers++;
    if (q->tail)
        q->tail->next = &r;
    else
        q->head = &r;
    q->tail = &r;
    __atomic_store_n(&q->queued, true, __ATOMIC_RELEASE);
    bool wake = q->worker_sleeping; /* a polling worker sees `queued` */
    pthread_mutex_unlock(&q->lock);
    /* Wake the worker after unlocking, for the same reason as run_one; q
     * stays alive while active_callers > 0. */
    if (wake)
        pthread_cond_signal(&q->work_cv);
    (void)poll_flag(q, &r.done);
    pthread_mutex_lock(&q->lock);
    while (!r.done) {
        r.sleeping = true;
        pthread_cond_wait(&r.cv, &q->lock);
    }
    q->active_callers--;
    if (q->active_callers == 0)
        pthread_cond_broadcast(&q->state_cv);
    pthread_mutex_unlock(&q->lock);
    pthread_cond_destroy(&r.cv);

    if (r.rc < 0) {
        if (r.err_msg)
            durable__error_set(r.rc, "%s", r.err_msg);
        else
            durable__error_set(r.rc, "%s", durable_strerror(r.rc));
    }
    durable_free(r.err_msg);
    return r.rc;
}

int durable__squeue_call(durable__squeue *q, durable__squeue_fn fn, void *arg)
{
    return submit(q, fn, arg, NULL, false);
}

int durable__squeue_call_grouped(durable__squeue *q, durable__squeue_fn fn, void *arg,
                                 durable__squeue_undo_fn undo)
{
    return submit(q, fn, arg, undo, true);
}

void durable__squeue_set_group(durable__squeue *q, const durable__squeue_group *g)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    if (g && g->begin && g->lost && g->end)
        q->group = *g;
    else
        memset(&q->group, 0, sizeof q->group);
    pthread_mutex_unlock(&q->lock);
}

/* A counter of q read under its lock; 0 without a queue. */
static uint64_t counter(durable__squeue *q, const uint64_t *field)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->lock);
    uint64_t n = *field;
    pthread_mutex_unlock(&q->lock);
    return n;
}

uint64_t durable__squeue_served_grouped(durable__squeue *q)
{
    return counter(q, q ? &q->served_grouped : NULL);
}

void durable__squeue_stop(durable__squeue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->work_cv);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    /* Callers already answered may still be on their way out of call(),
     * touching the lock; free only once the last has left. */
    pthread_mutex_lock(&q->lock);
    while (q->active_callers > 0)
        pthread_cond_wait(&q->state_cv, &q->lock);
    pthread_mutex_unlock(&q->lock);
    destroy(q);
}

void durable__squeue_set_spin(durable__squeue *q, int64_t spin_us)
{
    if (!q)
        return;
    /* Polling only pays when the other thread runs on another CPU. */
    if (spin_us < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        spin_us = 0;
    __atomic_store_n(&q->spin_ns, spin_us * 1000, __ATOMIC_RELAXED);
}

uint64_t durable__squeue_served(durable__squeue *q)
{
    return counter(q, q ? &q->served : NULL);
}

size_t durable__squeue_pending(durable__squeue *q)
{
    if (!q)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&q->lock);
    for (request *r = q->head; r; r = r->next)
        n++;
    pthread_mutex_unlock(&q->lock);
    return n;
}

bool durable__squeue_stopping(durable__squeue *q)
{
    if (!q)
        return false;
    pthread_mutex_lock(&q->lock);
    bool stopping = q->stopping;
    pthread_mutex_unlock(&q->lock);
    return stopping;
}

bool durable__squeue_on_worker(durable__squeue *q)
{
    /* q->thread is written once before any caller can see q. */
    return q && pthread_equal(pthread_self(), q->thread);
}
