/* The checkpoint server thread: the generic worker queue and durable_server
 * (seed design property 11: spawned, serves, tears down cleanly). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durable/common.h"
#include "engine/server_queue.h"
#include "model/internal.h"
#include "support/testutil.h"

/* ---- the generic queue ------------------------------------------------------ */

typedef struct qctx {
    pthread_t worker;      /* recorded by open, on the worker */
    int opened;
    int closed;
    long sum;              /* mutated only on the worker: no lock needed */
    long calls;
} qctx;

static int q_open(void **ctx_out, void *user)
{
    qctx *c = user;
    c->worker = pthread_self();
    c->opened++;
    *ctx_out = c;
    return 0;
}

static void q_close(void *ctx, void *user)
{
    qctx *c = ctx;
    (void)user;
    c->closed++;
}

static int q_fail_open(void **ctx_out, void *user)
{
    (void)ctx_out;
    (void)user;
    return durable__error_set(DURABLE_EDB, "cannot open /nowhere/db: no such directory");
}

typedef struct add_arg {
    long value;
    int on_worker;     /* set by the closure: it ran on the worker thread */
    long sum_after;
} add_arg;

static int q_add(void *ctx, void *arg)
{
    qctx *c = ctx;
    add_arg *a = arg;
    a->on_worker = pthread_equal(pthread_self(), c->worker);
    c->sum += a->value;
    c->calls++;
    a->sum_after = c->sum;
    return 0;
}

static int q_fail(void *ctx, void *arg)
{
    (void)ctx;
    return durable__error_set(DURABLE_ENOTFOUND, "execution %s not found", (const char *)arg);
}

static int q_fail_silent(void *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return DURABLE_EBUSY;
}

static void test_queue_serves_on_its_own_thread(void)
{
    qctx c = {0};
    durable__squeue *q = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__squeue_start(&q, q_open, q_close, &c), 0);
    CU_ASSERT_EQUAL(c.opened, 1);
    CU_ASSERT(!pthread_equal(c.worker, pthread_self()));
    CU_ASSERT(!durable__squeue_on_worker(q));
    add_arg a = {5, 0, 0};
    CU_ASSERT_EQUAL(durable__squeue_call(q, q_add, &a), 0);
    CU_ASSERT_EQUAL(a.on_worker, 1);
    CU_ASSERT_EQUAL(a.sum_after, 5);
    CU_ASSERT_EQUAL(durable__squeue_served(q), 1);
    durable__squeue_stop(q);
    CU_ASSERT_EQUAL(c.closed, 1);
}

static void test_queue_error_reaches_caller(void)
{
    qctx c = {0};
    durable__squeue *q = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__squeue_start(&q, q_open, q_close, &c), 0);
    durable_error_clear();
    CU_ASSERT_EQUAL(durable__squeue_call(q, q_fail, "arn:x"), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "execution arn:x not found");
    /* A closure that fails without a message still gives the caller text. */
    CU_ASSERT_EQUAL(durable__squeue_call(q, q_fail_silent, NULL), DURABLE_EBUSY);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_EBUSY);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, durable_strerror(DURABLE_EBUSY));
    /* A success leaves the caller's last error alone. */
    add_arg a = {1, 0, 0};
    CU_ASSERT_EQUAL(durable__squeue_call(q, q_add, &a), 0);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_EBUSY);
    durable__squeue_stop(q);
}

static void test_queue_start_failure_is_reported(void)
{
    durable__squeue *q = (durable__squeue *)&q;
    CU_ASSERT_EQUAL(durable__squeue_start(&q, q_fail_open, NULL, NULL), DURABLE_EDB);
    CU_ASSERT_PTR_NULL(q);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message,
                           "cannot open /nowhere/db: no such directory");
    durable__squeue_stop(NULL); /* accepts NULL */
}

static int q_reenter(void *ctx, void *arg)
{
    (void)ctx;
    durable__squeue *q = arg;
    add_arg a = {1, 0, 0};
    return durable__squeue_call(q, q_add, &a);
}

static void test_queue_call_from_worker_is_refused(void)
{
    qctx c = {0};
    durable__squeue *q = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__squeue_start(&q, q_open, q_close, &c), 0);
    CU_ASSERT_EQUAL(durable__squeue_call(q, q_reenter, q), DURABLE_ESTATE);
    CU_ASSERT(strstr(durable_error_last()->message, "server thread") != NULL);
    CU_ASSERT_EQUAL(c.calls, 0);
    durable__squeue_stop(q);
}

/* Teardown while callers are queued behind a blocked request: every one of
 * them is answered (the queue drains), none is dropped, and a call made once
 * the stop has begun is refused with DURABLE_ESERVER. */
typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int open;
    int entered;
} gate;

static int q_gate(void *ctx, void *arg)
{
    qctx *c = ctx;
    gate *g = arg;
    pthread_mutex_lock(&g->m);
    g->entered = 1;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->m);
    pthread_mutex_unlock(&g->m);
    c->calls++;
    return 0;
}

typedef struct caller {
    durable__squeue *q;
    durable__squeue_fn fn;
    void *arg;
    int rc;
} caller;

static void *caller_main(void *p)
{
    caller *c = p;
    c->rc = durable__squeue_call(c->q, c->fn, c->arg);
    return NULL;
}

/* Runs an array of calls in order, up to the entry whose fn is NULL. */
static void *run_many(void *p)
{
    caller *c = p;
    for (; c->fn; c++)
        c->rc = durable__squeue_call(c->q, c->fn, c->arg);
    return NULL;
}

static void *stopper_main(void *p)
{
    durable__squeue_stop(p);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void test_queue_teardown_drains(void)
{
    enum { N = 8 };
    qctx c = {0};
    durable__squeue *q = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__squeue_start(&q, q_open, q_close, &c), 0);
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    caller gc = {q, q_gate, &g, -1};
    pthread_t gt;
    pthread_create(&gt, NULL, caller_main, &gc);
    pthread_mutex_lock(&g.m);
    while (!g.entered)
        pthread_cond_wait(&g.cv, &g.m);
    pthread_mutex_unlock(&g.m);

    add_arg args[N];
    caller cs[N];
    pthread_t ts[N];
    for (int i = 0; i < N; i++) {
        args[i] = (add_arg){i + 1, 0, 0};
        cs[i] = (caller){q, q_add, &args[i], -1};
        pthread_create(&ts[i], NULL, caller_main, &cs[i]);
    }
    while (durable__squeue_pending(q) < N)
        sleep_ms(1);
    pthread_t stopper;
    pthread_create(&stopper, NULL, stopper_main, q);
    while (!durable__squeue_stopping(q))
        sleep_ms(1);
    /* The worker is still blocked, so q is alive: a late call is refused. */
    add_arg late = {1000, 0, 0};
    CU_ASSERT_EQUAL(durable__squeue_call(q, q_add, &late), DURABLE_ESERVER);
    CU_ASSERT(strstr(durable_error_last()->message, "shutting down") != NULL);

    pthread_mutex_lock(&g.m);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.m);
    pthread_join(gt, NULL);
    for (int i = 0; i < N; i++)
        pthread_join(ts[i], NULL);
    pthread_join(stopper, NULL);

    CU_ASSERT_EQUAL(gc.rc, 0);
    long total = 0;
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(cs[i].rc, 0);
        CU_ASSERT_EQUAL(args[i].on_worker, 1);
        total += args[i].value;
    }
    CU_ASSERT_EQUAL(c.sum, total);
    CU_ASSERT_EQUAL(c.calls, N + 1);
    CU_ASSERT_EQUAL(late.on_worker, 0);
    CU_ASSERT_EQUAL(c.closed, 1);
}

/* Property 11 at the queue level: >= 100 seeded cycles of start, serve a
 * random number of requests from a random number of threads, tear down.
 * Every request is answered on the worker, the sum matches, close runs once. */
static void test_prop_queue_lifecycle(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x11);
    for (int cs = 0; cs < 120; cs++) {
        qctx c = {0};
        durable__squeue *q = NULL;
        int rc = durable__squeue_start(&q, q_open, q_close, &c);
        DT_PROP(rc == 0, seed, cs);
        if (rc != 0)
            return;
        int nthreads = 1 + (int)dt_rng_below(&rng, 4);
        int per = (int)dt_rng_below(&rng, 20);
        add_arg args[4][20];
        caller callers[4][21];
        pthread_t ts[4];
        long expect = 0;
        for (int t = 0; t < nthreads; t++)
            for (int i = 0; i < per; i++) {
                args[t][i] = (add_arg){(long)dt_rng_below(&rng, 1000), 0, 0};
                callers[t][i] = (caller){q, q_add, &args[t][i], -1};
                expect += args[t][i].value;
            }
        for (int t = 0; t < nthreads; t++)
            callers[t][per] = (caller){0};
        for (int t = 0; t < nthreads; t++)
            pthread_create(&ts[t], NULL, run_many, callers[t]);
        for (int t = 0; t < nthreads; t++)
            pthread_join(ts[t], NULL);
        DT_PROP(durable__squeue_served(q) == (uint64_t)(nthreads * per), seed, cs);
        durable__squeue_stop(q);
        DT_PROP(c.sum == expect, seed, cs);
        DT_PROP(c.opened == 1 && c.closed == 1, seed, cs);
        for (int t = 0; t < nthreads; t++)
            for (int i = 0; i < per; i++)
                DT_PROP(callers[t][i].rc == 0 && args[t][i].on_worker == 1, seed, cs);
    }
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_server_queue");
    DT_ADD(s, test_queue_serves_on_its_own_thread);
    DT_ADD(s, test_queue_error_reaches_caller);
    DT_ADD(s, test_queue_start_failure_is_reported);
    DT_ADD(s, test_queue_call_from_worker_is_refused);
    DT_ADD(s, test_queue_teardown_drains);
    DT_ADD(s, test_prop_queue_lifecycle);
    return dt_run();
}
