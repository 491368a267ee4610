/* The checkpoint server thread: the generic worker queue and durable_server
 * (seed design property 11: spawned, serves, tears down cleanly). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "durable/common.h"
#include "durable/engine.h"
#include "durable/server.h"
#include "engine/server_queue.h"
#include "model/internal.h"
#include "store/internal.h"
#include "support/server_fixture.h"
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

static void teardown_drains(int64_t spin_us)
{
    enum { N = 8 };
    qctx c = {0};
    durable__squeue *q = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__squeue_start(&q, q_open, q_close, &c), 0);
    durable__squeue_set_spin(q, spin_us);
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

static void test_queue_teardown_drains(void)
{
    teardown_drains(0);
}

/* The same with polling callers and a polling worker: the stop must still
 * wake a worker that polls, and late callers must still be refused. */
static void test_queue_teardown_drains_polling(void)
{
    teardown_drains(2000);
    durable__squeue_set_spin(NULL, 10); /* accepts NULL */
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
        /* Sleeping hand-offs, and polling ones of random length (changed
         * while callers run, as the setter allows). */
        int64_t spin = dt_rng_below(&rng, 3) == 0 ? 0 : 1 + (int64_t)dt_rng_below(&rng, 300);
        durable__squeue_set_spin(q, spin);
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
        if (dt_rng_below(&rng, 4) == 0)
            durable__squeue_set_spin(q, spin ? 0 : 50);
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


/* ---- durable_server ---------------------------------------------------------- */

static durable_server *start_mem(void)
{
    durable_server *s = NULL;
    int rc = durable_server_start(&s, NULL);
    if (rc != 0)
        fprintf(stderr, "server start: %s\n", durable_error_last()->message);
    return s;
}

typedef struct where_arg {
    pthread_t thread;
    durable_engine *engine;
} where_arg;

static int record_thread(durable_engine *e, void *p)
{
    where_arg *w = p;
    w->thread = pthread_self();
    w->engine = e;
    return 0;
}

static void test_server_runs_engine_on_its_thread(void)
{
    durable_server *s = start_mem();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    where_arg a = {pthread_self(), NULL}, b = {pthread_self(), NULL};
    CU_ASSERT_EQUAL(durable_server_call(s, record_thread, &a), 0);
    CU_ASSERT_EQUAL(durable_server_call(s, record_thread, &b), 0);
    CU_ASSERT(!pthread_equal(a.thread, pthread_self()));
    CU_ASSERT(pthread_equal(a.thread, b.thread));
    CU_ASSERT_PTR_NOT_NULL(a.engine);
    CU_ASSERT_PTR_EQUAL(a.engine, b.engine);

    char *arn = NULL, *op = NULL;
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "first";
    o.input_payload = "{\"n\":1}";
    CU_ASSERT_EQUAL_FATAL(durable_server_start_execution(&arn, &op, s, "orders", &o), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arn);
    CU_ASSERT(strstr(arn, "orders") != NULL);
    durable_execution_info info;
    memset(&info, 0, sizeof info);
    CU_ASSERT_EQUAL(durable_server_get_execution(&info, s, arn), 0);
    CU_ASSERT_STRING_EQUAL(info.durable_execution_arn, arn);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_RUNNING);
    CU_ASSERT_STRING_EQUAL(info.input_payload, "{\"n\":1}");
    durable_execution_info_clear(&info);
    CU_ASSERT_EQUAL(durable_server_served(s), 4);
    durable_free(arn);
    durable_free(op);
    durable_server_free(s);
    durable_server_free(NULL);
}

static void test_server_engine_error_reaches_caller(void)
{
    durable_server *s = start_mem();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    durable_error_clear();
    durable_execution_info info;
    memset(&info, 0, sizeof info);
    const char *arn = "arn:aws:lambda:us-east-1:123456789012:function:none:$LATEST/"
                      "durable-execution/x/0123456789abcdef";
    CU_ASSERT_EQUAL(durable_server_get_execution(&info, s, arn), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ENOTFOUND);
    CU_ASSERT(strlen(durable_error_last()->message) > 0);
    /* The duplicate-name rejection too, with its code. */
    char *a1 = NULL, *a2 = NULL;
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "dup";
    CU_ASSERT_EQUAL(durable_server_start_execution(&a1, NULL, s, "fn", &o), 0);
    durable_error_clear();
    CU_ASSERT_EQUAL(durable_server_start_execution(&a2, NULL, s, "fn", &o), DURABLE_EEXISTS);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_EEXISTS);
    CU_ASSERT(strlen(durable_error_last()->message) > 0);
    durable_free(a1);
    durable_free(a2);
    durable_server_free(s);
}

static void test_server_start_failure(void)
{
    durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
    o.path = "/nonexistent-durable-dir/sub/x.db";
    durable_server *s = (durable_server *)&o;
    int rc = durable_server_start(&s, &o);
    CU_ASSERT(rc < 0);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(durable_error_last()->code, rc);
    CU_ASSERT(strstr(durable_error_last()->message, "/nonexistent-durable-dir/sub/x.db") != NULL);
    o.path = "";
    CU_ASSERT_EQUAL(durable_server_start(&s, &o), DURABLE_EINVAL);
}

static int reenter_server(durable_engine *e, void *p)
{
    (void)e;
    where_arg w;
    return durable_server_call((durable_server *)p, record_thread, &w);
}

static void test_server_call_from_its_thread_refused(void)
{
    durable_server *s = start_mem();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(durable_server_call(s, reenter_server, s), DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ESTATE);
    durable_server_free(s);
}

static void test_server_start_with_hands_engine_back(void)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&st, ":memory:", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&e, st, NULL), 0);
    char *arn = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_execution(&arn, NULL, e, "fn", NULL), 0);

    durable_server *s = NULL;
    durable_server_options so = DURABLE_SERVER_OPTIONS_INIT;
    CU_ASSERT_EQUAL_FATAL(durable_server_start_with(&s, e, &so), 0);
    where_arg w = {pthread_self(), NULL};
    CU_ASSERT_EQUAL(durable_server_call(s, record_thread, &w), 0);
    CU_ASSERT_PTR_EQUAL(w.engine, e);
    CU_ASSERT(!pthread_equal(w.thread, pthread_self()));
    char *arn2 = NULL;
    CU_ASSERT_EQUAL(durable_server_start_execution(&arn2, NULL, s, "fn", NULL), 0);
    durable_server_free(s);

    /* Back on this thread: both executions are there. */
    durable_list_request lr;
    memset(&lr, 0, sizeof lr);
    durable_list_response resp;
    memset(&resp, 0, sizeof resp);
    CU_ASSERT_EQUAL(durable_engine_list_executions(&resp, e, &lr), 0);
    CU_ASSERT_EQUAL(resp.count, 2);
    durable_list_response_clear(&resp);
    durable_free(arn);
    durable_free(arn2);
    durable_engine_close(e);
    durable_store_close(st);
}

/* A running execution with an invocation in flight, reached through s. */
typedef struct run {
    char *arn;
    char *invocation_id;
    char *token;
} run;

static int run_begin(run *r, durable_server *s, const char *name)
{
    memset(r, 0, sizeof *r);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = name;
    int rc = durable_server_start_execution(&r->arn, NULL, s, "fn", &o);
    if (rc < 0)
        return rc;
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    rc = durable_server_start_invocation(&in, &r->invocation_id, s, r->arn, 0);
    if (rc < 0)
        return rc;
    r->token = in.checkpoint_token;
    in.checkpoint_token = NULL;
    durable_invocation_input_clear(&in);
    return 0;
}

static void run_end(run *r)
{
    durable_free(r->arn);
    durable_free(r->invocation_id);
    durable_free(r->token);
    memset(r, 0, sizeof *r);
}

typedef struct delayed_cp {
    durable_server *s;
    run *r;
    int rc;
    double elapsed_ms;
} delayed_cp;

static void *delayed_cp_main(void *p)
{
    delayed_cp *d = p;
    durable_operation_update u[2];
    sf_step(&u[0], "1", "charge", DURABLE_ACTION_START, NULL);
    sf_step(&u[1], "1", "charge", DURABLE_ACTION_SUCCEED, "\"ok\"");
    durable_checkpoint_request req = sf_request(d->r->arn, d->r->token, u, 2);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    double t0 = sf_now_ms();
    d->rc = durable_server_checkpoint(&resp, d->s, &req);
    d->elapsed_ms = sf_now_ms() - t0;
    durable_checkpoint_response_clear(&resp);
    sf_updates_clear(u, 2);
    return NULL;
}

/* The delay holds the checkpoint's reply back, after its commit, without
 * blocking the server for other callers. */
static void test_server_checkpoint_delay(void)
{
    durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
    o.checkpoint_delay_ms = 300;
    durable_server *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&s, &o), 0);
    run r;
    CU_ASSERT_EQUAL_FATAL(run_begin(&r, s, "delay"), 0);
    delayed_cp d = {s, &r, -1, 0};
    pthread_t t;
    double t0 = sf_now_ms();
    pthread_create(&t, NULL, delayed_cp_main, &d);
    /* Wait for the checkpoint to be committed (visible), then check the
     * server still answers quickly while that reply is held back. */
    char id[DURABLE_OP_ID_LEN + 1];
    sf_op_id(id, "1");
    durable_operation op;
    int seen = 0;
    while (!seen && sf_now_ms() - t0 < 2000) {
        durable_operation_init(&op);
        if (durable_server_get_operation(&op, s, r.arn, id) == 0)
            seen = op.status == DURABLE_OP_SUCCEEDED;
        durable_operation_clear(&op);
        if (!seen)
            sf_sleep_ms(2);
    }
    double seen_at = sf_now_ms() - t0;
    CU_ASSERT(seen);
    CU_ASSERT(seen_at < 250);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(d.rc, 0);
    CU_ASSERT(d.elapsed_ms >= 300);
    /* Off again: a checkpoint returns promptly. */
    durable_server_set_checkpoint_delay(s, 0);
    durable_checkpoint_request req = sf_request(r.arn, "not-a-token", NULL, 0);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    double t1 = sf_now_ms();
    CU_ASSERT_EQUAL(durable_server_checkpoint(&resp, s, &req), DURABLE_ETOKEN);
    CU_ASSERT(sf_now_ms() - t1 < 200);
    run_end(&r);
    durable_server_free(s);
}

/* ---- property 11: lifecycle under load ------------------------------------- */

typedef struct p11_worker {
    durable_server *s;
    int case_no, index, nreq;
    int ok_starts;
    int replies;
    int failures;
} p11_worker;

static void *p11_main(void *p)
{
    p11_worker *w = p;
    for (int i = 0; i < w->nreq; i++) {
        char name[64];
        snprintf(name, sizeof name, "c%d-t%d-r%d", w->case_no, w->index, i);
        durable_start_options o = DURABLE_START_OPTIONS_INIT;
        o.execution_name = name;
        char *arn = NULL;
        int rc = durable_server_start_execution(&arn, NULL, w->s, "p11", &o);
        w->replies++;
        if (rc != 0) {
            w->failures++;
            continue;
        }
        durable_execution_info info;
        memset(&info, 0, sizeof info);
        rc = durable_server_get_execution(&info, w->s, arn);
        w->replies++;
        if (rc != 0 || !info.durable_execution_name ||
            strcmp(info.durable_execution_name, name) != 0)
            w->failures++;
        else
            w->ok_starts++;
        durable_execution_info_clear(&info);
        durable_free(arn);
    }
    return NULL;
}

static size_t count_executions_direct(const char *path)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    size_t n = (size_t)-1;
    if (durable_store_open(&st, path, NULL) == 0 && durable_engine_open(&e, st, NULL) == 0) {
        durable_list_request lr;
        memset(&lr, 0, sizeof lr);
        lr.max_items = 1000;
        durable_list_response resp;
        memset(&resp, 0, sizeof resp);
        if (durable_engine_list_executions(&resp, e, &lr) == 0)
            n = resp.count;
        durable_list_response_clear(&resp);
    }
    durable_engine_close(e);
    durable_store_close(st);
    return n;
}

static void test_prop11_server_lifecycle(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x1111);
    for (int cs = 0; cs < 110; cs++) {
        /* Every tenth case on a file, so the teardown's close is checked by
         * reopening it. */
        bool on_file = cs % 10 == 0;
        char *path = on_file ? dt_temp_path("p11") : NULL;
        durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
        if (path)
            o.path = path;
        durable_server *s = NULL;
        int rc = durable_server_start(&s, &o);
        DT_PROP(rc == 0, seed, cs);
        if (rc != 0) {
            free(path);
            return;
        }
        where_arg w = {pthread_self(), NULL};
        DT_PROP(durable_server_call(s, record_thread, &w) == 0, seed, cs);
        DT_PROP(!pthread_equal(w.thread, pthread_self()), seed, cs);

        int nthreads = 1 + (int)dt_rng_below(&rng, 4);
        p11_worker ws[4];
        pthread_t ts[4];
        int expect_starts = 0;
        for (int t = 0; t < nthreads; t++) {
            ws[t] = (p11_worker){s, cs, t, (int)dt_rng_below(&rng, 6), 0, 0, 0};
            expect_starts += ws[t].nreq;
            pthread_create(&ts[t], NULL, p11_main, &ws[t]);
        }
        int replies = 0, ok = 0, failures = 0;
        for (int t = 0; t < nthreads; t++) {
            pthread_join(ts[t], NULL);
            replies += ws[t].replies;
            ok += ws[t].ok_starts;
            failures += ws[t].failures;
        }
        DT_PROP(failures == 0, seed, cs);
        DT_PROP(ok == expect_starts, seed, cs);
        /* Every request was answered, and the server counted each one. */
        DT_PROP(replies == 2 * expect_starts, seed, cs);
        DT_PROP(durable_server_served(s) == (uint64_t)replies + 1, seed, cs);
        durable_server_free(s);
        if (path) {
            DT_PROP(count_executions_direct(path) == (size_t)expect_starts, seed, cs);
            dt_remove_db(path);
            free(path);
        }
    }
}

/* ---- the in-process engine client --------------------------------------------- */

/* durable_client_free lives in the sdk layer, which engine suites do not
 * link; this releases a client the same way. */
static void free_client(durable_client *c)
{
    if (!c)
        return;
    c->vtable->destroy(c->user);
    durable_free(c);
}

static void client_flow(durable_client *c, const char *arn, char **token)
{
    /* checkpoint: START + SUCCEED of step 1 in one batch. */
    durable_operation_update u[2];
    sf_step(&u[0], "1", "charge", DURABLE_ACTION_START, NULL);
    sf_step(&u[1], "1", "charge", DURABLE_ACTION_SUCCEED, "\"paid\"");
    durable_checkpoint_request req = sf_request(arn, *token, u, 2);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    CU_ASSERT_EQUAL_FATAL(c->vtable->checkpoint(c->user, &resp, &req), 0);
    sf_updates_clear(u, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(resp.checkpoint_token);
    CU_ASSERT_STRING_NOT_EQUAL(resp.checkpoint_token, *token);
    char id1[DURABLE_OP_ID_LEN + 1];
    sf_op_id(id1, "1");
    const durable_operation *op = sf_find(&resp.operations, id1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(op);
    CU_ASSERT_EQUAL(op->status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(op->result, "\"paid\"");
    char *old = *token;
    *token = resp.checkpoint_token;
    resp.checkpoint_token = NULL;
    durable_checkpoint_response_clear(&resp);

    /* The old token is spent: DURABLE_ETOKEN with the SPEC text. */
    req = sf_request(arn, old, NULL, 0);
    memset(&resp, 0, sizeof resp);
    durable_error_clear();
    CU_ASSERT_EQUAL(c->vtable->checkpoint(c->user, &resp, &req), DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ETOKEN);
    CU_ASSERT(strstr(durable_error_last()->message, "Invalid Checkpoint Token") != NULL);
    durable_free(old);

    /* get_state with the current token (not consumed). */
    durable_state_request sreq;
    memset(&sreq, 0, sizeof sreq);
    sreq.durable_execution_arn = (char *)arn;
    sreq.checkpoint_token = *token;
    durable_state_response sresp;
    memset(&sresp, 0, sizeof sresp);
    CU_ASSERT_EQUAL(c->vtable->get_state(c->user, &sresp, &sreq), 0);
    CU_ASSERT_EQUAL(sresp.operations.count, 2);
    if (sresp.operations.count == 2) {
        CU_ASSERT_EQUAL(sresp.operations.items[0].type, DURABLE_OP_EXECUTION);
        CU_ASSERT_STRING_EQUAL(sresp.operations.items[1].id, id1);
    }
    durable_state_response_clear(&sresp);

    /* A callback: start it, heartbeat it, complete it once. */
    sf_callback_start(&u[0], "2", "approval");
    req = sf_request(arn, *token, u, 1);
    memset(&resp, 0, sizeof resp);
    CU_ASSERT_EQUAL_FATAL(c->vtable->checkpoint(c->user, &resp, &req), 0);
    sf_updates_clear(u, 1);
    char id2[DURABLE_OP_ID_LEN + 1];
    sf_op_id(id2, "2");
    op = sf_find(&resp.operations, id2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(op->callback_id);
    char *cb = durable__strdup(op->callback_id);
    durable_free(*token);
    *token = resp.checkpoint_token;
    resp.checkpoint_token = NULL;
    durable_checkpoint_response_clear(&resp);

    CU_ASSERT_EQUAL(c->vtable->callback_heartbeat(c->user, cb), 0);
    CU_ASSERT_EQUAL(c->vtable->callback_success(c->user, cb, "\"yes\"", 5), 0);
    durable_error_clear();
    CU_ASSERT_EQUAL(c->vtable->callback_success(c->user, cb, "\"again\"", 7),
                    DURABLE_ECALLBACK_DONE);
    CU_ASSERT(strstr(durable_error_last()->message, "Callback has already been completed.") != NULL);
    durable_error_object *err = NULL;
    CU_ASSERT_EQUAL(durable_error_object_new(&err, "Rejected", "no", NULL), 0);
    CU_ASSERT_EQUAL(c->vtable->callback_failure(c->user, cb, err), DURABLE_ECALLBACK_DONE);
    CU_ASSERT(c->vtable->callback_heartbeat(c->user, cb) < 0);
    CU_ASSERT_EQUAL(c->vtable->callback_failure(c->user, "not-a-callback-id", err),
                    DURABLE_ENOTFOUND);
    CU_ASSERT(strstr(durable_error_last()->message, "Callback not found.") != NULL);
    durable_error_object_free(err);
    durable_free(cb);
}

static void test_engine_client_over_server(void)
{
    durable_server *s = start_mem();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    run r;
    CU_ASSERT_EQUAL_FATAL(run_begin(&r, s, "client"), 0);
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_client_new(&c, s), 0);
    client_flow(c, r.arn, &r.token);
    free_client(c);
    CU_ASSERT_EQUAL(durable_engine_client_new(&c, NULL), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    run_end(&r);
    durable_server_free(s);
}

static void test_engine_client_direct(void)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&st, ":memory:", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&e, st, NULL), 0);
    char *arn = NULL, *inv = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_execution(&arn, NULL, e, "fn", NULL), 0);
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_invocation(&in, &inv, e, arn, 0), 0);
    char *token = in.checkpoint_token;
    in.checkpoint_token = NULL;
    durable_invocation_input_clear(&in);
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_client_new_direct(&c, e), 0);
    client_flow(c, arn, &token);
    free_client(c);
    durable_free(token);
    durable_free(inv);
    durable_free(arn);
    durable_engine_close(e);
    durable_store_close(st);
}

/* A database locked beyond the busy timeout is a retryable condition for the
 * SDK: the client turns DURABLE_EBUSY into DURABLE_ETHROTTLED. */
static void test_engine_client_busy_is_throttled(void)
{
    char *path = dt_temp_path("busy");
    durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
    o.path = path;
    o.store.busy_timeout_ms = 50;
    durable_server *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&s, &o), 0);
    run r;
    CU_ASSERT_EQUAL_FATAL(run_begin(&r, s, "busy"), 0);
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_client_new(&c, s), 0);

    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL_FATAL(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    durable_checkpoint_request req = sf_request(r.arn, r.token, NULL, 0);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    CU_ASSERT_EQUAL(c->vtable->checkpoint(c->user, &resp, &req), DURABLE_ETHROTTLED);
    CU_ASSERT_EQUAL(durable_error_last()->code, DURABLE_ETHROTTLED);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    /* The token was not consumed by the failed call. */
    CU_ASSERT_EQUAL(c->vtable->checkpoint(c->user, &resp, &req), 0);
    durable_checkpoint_response_clear(&resp);
    free_client(c);
    run_end(&r);
    durable_server_free(s);
    dt_remove_db(path);
    free(path);
}

/* ---- fork while the server thread is inside SQLite -------------------------- */

/* Crash isolation (src/testing/invoke.c) forks a child that opens its own
 * store on the file while the parent's server thread may be running an
 * engine call. A child forked while that thread held one of SQLite's
 * process-wide mutexes (its allocator's, taken around every allocation)
 * would wait for it for ever: no thread is left in the child to release
 * it. fork() must wait for the request under way to end. */
typedef struct busy_arg {
    durable_server *s;
    int stop;      /* atomic */
    long queries;  /* atomic: statements the server thread ran */
} busy_arg;

/* One request: a sort of thousands of rows, during which SQLite allocates
 * all the time. */
static int busy_sqlite(durable_engine *e, void *p)
{
    busy_arg *b = p;
    sqlite3 *db = durable__store_db(durable_engine_store(e));
    const char *sql = "SELECT sum(x) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                      "SELECT x + 1 FROM c WHERE x < 5000) SELECT x FROM c ORDER BY random())";
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return DURABLE_EDB;
    __atomic_add_fetch(&b->queries, 1, __ATOMIC_RELAXED);
    return 0;
}

/* Requests back to back, so the server thread is nearly always inside one. */
static void *busy_main(void *p)
{
    busy_arg *b = p;
    while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE))
        if (durable_server_call(b->s, busy_sqlite, b) != 0)
            break;
    return NULL;
}

static void test_fork_waits_for_the_server_thread(void)
{
    enum { ROUNDS = 30 };
    char *path = dt_temp_path("fork");
    durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
    o.path = path;
    durable_server *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&s, &o), 0);
    busy_arg b = {.s = s};
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, busy_main, &b), 0);
    while (__atomic_load_n(&b.queries, __ATOMIC_RELAXED) < 2)
        sched_yield();
    int hung = 0, failed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            alarm(10); /* a hang ends as SIGALRM */
            sqlite3 *db = NULL;
            int rc = sqlite3_open(path, &db);
            if (rc == SQLITE_OK)
                rc = sqlite3_exec(db,
                                  "SELECT sum(x) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION "
                                  "ALL SELECT x + 1 FROM c WHERE x < 2000) SELECT x FROM c "
                                  "ORDER BY random())",
                                  NULL, NULL, NULL);
            _exit(rc == SQLITE_OK ? 0 : 3);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
            ;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
            hung++;
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
        struct timespec ts = {0, 2000000}; /* 2 ms: another point of the query */
        nanosleep(&ts, NULL);
    }
    __atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    printf("\n  %d forks while the server thread ran %ld queries: %d hung, %d failed\n", ROUNDS,
           __atomic_load_n(&b.queries, __ATOMIC_RELAXED), hung, failed);
    CU_ASSERT_EQUAL(hung, 0);
    CU_ASSERT_EQUAL(failed, 0);
    durable_server_free(s);
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_server_queue");
    DT_ADD(s, test_queue_serves_on_its_own_thread);
    DT_ADD(s, test_queue_error_reaches_caller);
    DT_ADD(s, test_queue_start_failure_is_reported);
    DT_ADD(s, test_queue_call_from_worker_is_refused);
    DT_ADD(s, test_queue_teardown_drains);
    DT_ADD(s, test_queue_teardown_drains_polling);
    DT_ADD(s, test_prop_queue_lifecycle);
    CU_pSuite sv = dt_suite("engine_server");
    DT_ADD(sv, test_server_runs_engine_on_its_thread);
    DT_ADD(sv, test_server_engine_error_reaches_caller);
    DT_ADD(sv, test_server_start_failure);
    DT_ADD(sv, test_server_call_from_its_thread_refused);
    DT_ADD(sv, test_server_start_with_hands_engine_back);
    DT_ADD(sv, test_server_checkpoint_delay);
    DT_ADD(sv, test_prop11_server_lifecycle);
    DT_ADD(sv, test_fork_waits_for_the_server_thread);
    CU_pSuite cl = dt_suite("engine_client");
    DT_ADD(cl, test_engine_client_over_server);
    DT_ADD(cl, test_engine_client_direct);
    DT_ADD(cl, test_engine_client_busy_is_throttled);
    return dt_run();
}
