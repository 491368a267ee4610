/* The checkpoint worker (src/sdk/ckpt_worker.h) and the batcher's use of
 * it: one thread serves job after job and batcher after batcher, a busy
 * worker sends the next batcher to a thread of its own without waiting,
 * stop still drains the queue and returns only after the loop did, a
 * failed batcher leaves the worker reusable, and a forked child never
 * touches its parent's worker. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "durable/client.h"
#include "model/internal.h"
#include "sdk/batcher.h"
#include "sdk/ckpt_worker.h"
#include "support/testutil.h"

#define ARN "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/e1"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ==== the worker alone ============================================================== */

/* A job that records the thread it ran on. `runs` is written without a
 * lock on purpose: the waiter reads it after durable__ckpt_worker_wait,
 * which must order it (TSAN checks). */
typedef struct probe {
    pthread_t thread;
    int runs;
} probe;

static void *probe_job(void *arg)
{
    probe *p = arg;
    p->thread = pthread_self();
    p->runs++;
    return NULL;
}

static void test_worker_runs_every_job_on_one_thread(void)
{
    enum { N = 25 };
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 0); /* no thread before the first job */
    probe p[N];
    memset(p, 0, sizeof p);
    uint64_t prev = 0;
    for (int i = 0; i < N; i++) {
        uint64_t ticket = 0;
        CU_ASSERT_TRUE_FATAL(durable__ckpt_worker_try_run(w, probe_job, &p[i], &ticket));
        CU_ASSERT_TRUE(ticket > prev);
        prev = ticket;
        durable__ckpt_worker_wait(w, ticket);
        CU_ASSERT_EQUAL(p[i].runs, 1);
        CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), (uint64_t)i + 1);
        durable__ckpt_worker_wait(w, ticket); /* a second wait returns at once */
    }
    for (int i = 0; i < N; i++) {
        CU_ASSERT_TRUE(pthread_equal(p[i].thread, p[0].thread));
        CU_ASSERT_FALSE(pthread_equal(p[i].thread, pthread_self()));
    }
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    durable__ckpt_worker_free(w);
}

/* A job that holds the worker until the test opens the gate. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
    int done;
} gate;

static void gate_init(gate *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

static void gate_destroy(gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

static void *gate_job(void *arg)
{
    gate *g = arg;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    g->done++; /* ordered before the waiter by the worker, not by g->mu */
    return NULL;
}

static void gate_await_entered(gate *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->entered)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void test_busy_worker_refuses_at_once(void)
{
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    gate g;
    gate_init(&g);
    uint64_t t1 = 0, t2 = 0;
    CU_ASSERT_TRUE_FATAL(durable__ckpt_worker_try_run(w, gate_job, &g, &t1));
    gate_await_entered(&g);
    /* The job is running and blocked: a second job is refused, and the
     * refusal does not wait for the gate (the test would hang otherwise). */
    probe p = {0};
    CU_ASSERT_FALSE(durable__ckpt_worker_try_run(w, probe_job, &p, &t2));
    CU_ASSERT_EQUAL(t2, 0);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 0);
    gate_open(&g);
    durable__ckpt_worker_wait(w, t1);
    CU_ASSERT_EQUAL(g.done, 1);
    CU_ASSERT_EQUAL(p.runs, 0); /* the refused job never ran */
    /* Free again: the next job is taken. */
    CU_ASSERT_TRUE(durable__ckpt_worker_try_run(w, probe_job, &p, &t2));
    durable__ckpt_worker_wait(w, t2);
    CU_ASSERT_EQUAL(p.runs, 1);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 2);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    durable__ckpt_worker_free(w);
    gate_destroy(&g);
}

typedef struct opener {
    gate *g;
    int delay_ms;
} opener;

static void *open_later(void *arg)
{
    opener *o = arg;
    sleep_ms(o->delay_ms);
    gate_open(o->g);
    return NULL;
}

static void test_free_waits_for_the_running_job(void)
{
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    gate g;
    gate_init(&g);
    uint64_t t = 0;
    CU_ASSERT_TRUE_FATAL(durable__ckpt_worker_try_run(w, gate_job, &g, &t));
    gate_await_entered(&g);
    opener o = {&g, 20};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, open_later, &o), 0);
    durable__ckpt_worker_free(w); /* returns only after the job did */
    CU_ASSERT_EQUAL(g.done, 1);
    pthread_join(th, NULL);
    gate_destroy(&g);
}

static void test_worker_arguments_and_idle_free(void)
{
    CU_ASSERT_EQUAL(durable__ckpt_worker_new(NULL), DURABLE_EINVAL);
    durable__ckpt_worker_free(NULL);
    uint64_t t = 0;
    probe p = {0};
    CU_ASSERT_FALSE(durable__ckpt_worker_try_run(NULL, probe_job, &p, &t));
    durable__ckpt_worker_wait(NULL, 1);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(NULL), 0);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(NULL), 0);
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    CU_ASSERT_FALSE(durable__ckpt_worker_try_run(w, NULL, &p, &t));
    CU_ASSERT_FALSE(durable__ckpt_worker_try_run(w, probe_job, &p, NULL));
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 0);
    CU_ASSERT_EQUAL(p.runs, 0);
    durable__ckpt_worker_free(w); /* never started: nothing to join */
}

/* ==== the batcher on a worker ======================================================== */

/* Merges run on the thread that made the call: record it. */
typedef struct senders {
    pthread_mutex_t mu;
    int merges;
    pthread_t last;
    int unlocked; /* written by merges without mu: ordered by the batcher */
} senders;

static void record_sender(void *user, durable_operation_list *ops)
{
    (void)ops;
    senders *s = user;
    pthread_mutex_lock(&s->mu);
    s->merges++;
    s->last = pthread_self();
    pthread_mutex_unlock(&s->mu);
    s->unlocked++;
}

static int merges(senders *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->merges;
    pthread_mutex_unlock(&s->mu);
    return n;
}

typedef struct bfx {
    durable_mock_client *mock;
    durable_client *client;
    durable__batcher *b;
    senders s;
} bfx;

static void bfx_open(bfx *f, durable__ckpt_worker *w, int max_delay_ms)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->s.mu, NULL);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&f->mock, &f->client), 0);
    durable_mock_client_queue_default(f->mock, 64);
    durable__batcher_options o = DURABLE__BATCHER_OPTIONS_INIT;
    o.max_delay_ms = max_delay_ms;
    CU_ASSERT_EQUAL_FATAL(
        durable__batcher_new(&f->b, f->client, ARN, "t0", &o, record_sender, &f->s), 0);
    durable__batcher_set_worker(f->b, w);
}

static void bfx_close(bfx *f)
{
    durable__batcher_free(f->b);
    durable_mock_client_free(f->mock);
    pthread_mutex_destroy(&f->s.mu);
}

static int put_start(durable__batcher *b, const char *id, bool sync)
{
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.type = DURABLE_OP_STEP;
    u.action = DURABLE_ACTION_START;
    u.id = (char *)id;
    return durable__batcher_enqueue(b, &u, sync);
}

static size_t updates_sent(durable_mock_client *m)
{
    size_t n = 0;
    for (size_t i = 0; i < durable_mock_client_call_count(m); i++)
        n += durable_mock_client_call(m, i)->update_count;
    return n;
}

/* Wait (bounded) until the background loop has made a call. */
static bool await_merge(senders *s, int want)
{
    for (int i = 0; i < 5000 && merges(s) < want; i++)
        sleep_ms(1);
    return merges(s) >= want;
}

static void test_batchers_reuse_one_worker_thread(void)
{
    enum { N = 20, UPDATES = 5 };
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    pthread_t first;
    memset(&first, 0, sizeof first);
    for (int i = 0; i < N; i++) {
        bfx f;
        bfx_open(&f, w, 0); /* no delay: the loop sends as soon as it is woken */
        CU_ASSERT_EQUAL(put_start(f.b, "a", false), 0);
        /* The loop (not a stopper) made the call: its thread is the worker's. */
        CU_ASSERT_TRUE_FATAL(await_merge(&f.s, 1));
        pthread_mutex_lock(&f.s.mu);
        pthread_t t = f.s.last;
        pthread_mutex_unlock(&f.s.mu);
        if (i == 0)
            first = t;
        CU_ASSERT_TRUE(pthread_equal(t, first));
        CU_ASSERT_FALSE(pthread_equal(t, pthread_self()));
        char id[8];
        for (int k = 1; k < UPDATES; k++) {
            snprintf(id, sizeof id, "s%d", k);
            CU_ASSERT_EQUAL(put_start(f.b, id, false), 0);
        }
        durable__batcher_stop(f.b);
        CU_ASSERT_EQUAL(updates_sent(f.mock), UPDATES);
        CU_ASSERT_EQUAL(f.s.unlocked, merges(&f.s));
        /* Stop returned after the loop's job did. */
        CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), (uint64_t)i + 1);
        bfx_close(&f);
    }
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    durable__ckpt_worker_free(w);
}

static void test_busy_worker_sends_the_next_batcher_to_its_own_thread(void)
{
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    bfx a, b;
    bfx_open(&a, w, 0);
    bfx_open(&b, w, 0);
    CU_ASSERT_EQUAL(put_start(a.b, "a1", false), 0); /* a's loop takes the worker */
    CU_ASSERT_TRUE_FATAL(await_merge(&a.s, 1));
    CU_ASSERT_EQUAL(put_start(b.b, "b1", false), 0); /* worker busy: b's own thread */
    CU_ASSERT_TRUE_FATAL(await_merge(&b.s, 1));
    pthread_mutex_lock(&a.s.mu);
    pthread_t ta = a.s.last;
    pthread_mutex_unlock(&a.s.mu);
    pthread_mutex_lock(&b.s.mu);
    pthread_t tb = b.s.last;
    pthread_mutex_unlock(&b.s.mu);
    CU_ASSERT_FALSE(pthread_equal(ta, tb));
    CU_ASSERT_FALSE(pthread_equal(tb, pthread_self()));
    CU_ASSERT_EQUAL(put_start(b.b, "b2", false), 0);
    /* b stops (joins its own thread) while a's loop still holds the worker. */
    durable__batcher_stop(b.b);
    CU_ASSERT_EQUAL(updates_sent(b.mock), 2);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 0);
    CU_ASSERT_EQUAL(put_start(a.b, "a2", false), 0);
    durable__batcher_stop(a.b);
    CU_ASSERT_EQUAL(updates_sent(a.mock), 2);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 1);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    bfx_close(&b);
    bfx_close(&a);
    durable__ckpt_worker_free(w);
}

static void test_stop_drains_what_the_worker_loop_holds(void)
{
    enum { N = 60 };
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    bfx f;
    bfx_open(&f, w, 60000); /* the loop would hold the updates for a minute */
    char id[8];
    for (int k = 0; k < N; k++) {
        snprintf(id, sizeof id, "s%d", k);
        CU_ASSERT_EQUAL(put_start(f.b, id, false), 0);
    }
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 0);
    durable__batcher_stop(f.b); /* urgent: sends now, then the loop returns */
    CU_ASSERT_EQUAL(updates_sent(f.mock), N);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 1);
    CU_ASSERT_EQUAL(put_start(f.b, "late", false), DURABLE_ESTATE);
    durable__batcher_stop(f.b); /* idempotent */
    bfx_close(&f);
    durable__ckpt_worker_free(w);
}

static void test_failed_batcher_leaves_the_worker_reusable(void)
{
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    bfx f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.s.mu, NULL);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&f.mock, &f.client), 0);
    durable_mock_client_queue_checkpoint_error(f.mock, DURABLE_EINVAL, "rejected");
    durable__batcher_options o = DURABLE__BATCHER_OPTIONS_INIT;
    o.max_delay_ms = 0;
    CU_ASSERT_EQUAL_FATAL(
        durable__batcher_new(&f.b, f.client, ARN, "t0", &o, record_sender, &f.s), 0);
    durable__batcher_set_worker(f.b, w);
    CU_ASSERT_EQUAL(put_start(f.b, "a", false), 0);
    /* The loop's call fails: the status turns sticky on the worker thread. */
    for (int i = 0; i < 5000 && durable__batcher_status(f.b) == 0; i++)
        sleep_ms(1);
    CU_ASSERT_EQUAL(durable__batcher_status(f.b), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(put_start(f.b, "b", false), DURABLE_EINVAL);
    durable__batcher_stop(f.b);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 1);
    bfx_close(&f);
    /* The next batcher still gets the worker. */
    bfx g;
    bfx_open(&g, w, 0);
    CU_ASSERT_EQUAL(put_start(g.b, "c", false), 0);
    durable__batcher_stop(g.b);
    CU_ASSERT_EQUAL(updates_sent(g.mock), 1);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 2);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    bfx_close(&g);
    durable__ckpt_worker_free(w);
}

static void test_worker_set_late_or_unused_changes_nothing(void)
{
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    durable__batcher_set_worker(NULL, w); /* no crash */
    /* Set after the loop started on the batcher's own thread: ignored, and
     * stop joins that thread. */
    bfx f;
    bfx_open(&f, NULL, 0);
    CU_ASSERT_EQUAL(put_start(f.b, "a", false), 0);
    durable__batcher_set_worker(f.b, w);
    CU_ASSERT_EQUAL(put_start(f.b, "b", false), 0);
    durable__batcher_stop(f.b);
    CU_ASSERT_EQUAL(updates_sent(f.mock), 2);
    bfx_close(&f);
    /* A batcher that only sends synchronously never needs the loop. */
    bfx g;
    bfx_open(&g, w, 0);
    CU_ASSERT_EQUAL(put_start(g.b, "s", true), 0);
    durable__batcher_stop(g.b);
    CU_ASSERT_EQUAL(updates_sent(g.mock), 1);
    bfx_close(&g);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 0);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 0);
    durable__ckpt_worker_free(w);
}

/* Several threads run batchers back to back on one shared worker: each
 * batcher either wins the worker or falls back, and all its updates are
 * sent before its stop returns. */
typedef struct racer {
    durable__ckpt_worker *w;
    int batchers;
    int failures;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    for (int i = 0; i < r->batchers; i++) {
        bfx f;
        bfx_open(&f, r->w, i % 3 == 0 ? 0 : 2);
        char id[8];
        for (int k = 0; k < 4; k++) {
            snprintf(id, sizeof id, "s%d", k);
            if (put_start(f.b, id, k == 3) != 0)
                r->failures++;
        }
        durable__batcher_stop(f.b);
        if (updates_sent(f.mock) != 4)
            r->failures++;
        bfx_close(&f);
    }
    return NULL;
}

static void test_concurrent_batchers_share_or_fall_back(void)
{
    enum { T = 4, B = 15 };
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    racer r[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        r[i] = (racer){w, B, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(r[i].failures, 0);
    }
    uint64_t served = durable__ckpt_worker_served(w);
    CU_ASSERT_TRUE(served >= 1 && served <= T * B);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    durable__ckpt_worker_free(w);
}

/* ==== fork ============================================================================ */

/* Child: the parent's worker must be refused (its thread does not exist
 * here), and a batcher given it falls back to a thread of its own. Exit
 * code: 0 ok, else the failed check. */
static int child_checks(durable__ckpt_worker *w)
{
    probe p = {0};
    uint64_t t = 0;
    if (durable__ckpt_worker_try_run(w, probe_job, &p, &t))
        return 1;
    if (p.runs != 0)
        return 2;
#ifndef __SANITIZE_THREAD__
    /* (ThreadSanitizer forbids new threads in the child of a threaded
     * process, which is exactly what the fallback does.) */
    durable_mock_client *m = NULL;
    durable_client *c = NULL;
    durable__batcher *b = NULL;
    if (durable_mock_client_new(&m, &c) != 0 || durable_mock_client_queue_default(m, 8) != 0 ||
        durable__batcher_new(&b, c, ARN, "t0", NULL, NULL, NULL) != 0)
        return 3;
    durable__batcher_set_worker(b, w);
    if (put_start(b, "a", false) != 0 || put_start(b, "b", false) != 0)
        return 4;
    durable__batcher_stop(b);
    if (updates_sent(m) != 2)
        return 5;
    durable__batcher_free(b);
    durable_mock_client_free(m);
#endif
    durable__ckpt_worker_free(w); /* the memory only: the parent's thread is not here */
    return 0;
}

static void test_forked_child_never_uses_the_parents_worker(void)
{
    durable__ckpt_worker *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ckpt_worker_new(&w), 0);
    probe p = {0};
    uint64_t t = 0;
    CU_ASSERT_TRUE_FATAL(durable__ckpt_worker_try_run(w, probe_job, &p, &t));
    durable__ckpt_worker_wait(w, t); /* the parent's thread exists and is idle */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0)
        _exit(child_checks(w));
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status));
    CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
    /* The parent's worker is untouched by the child. */
    CU_ASSERT_TRUE(durable__ckpt_worker_try_run(w, probe_job, &p, &t));
    durable__ckpt_worker_wait(w, t);
    CU_ASSERT_EQUAL(p.runs, 2);
    CU_ASSERT_EQUAL(durable__ckpt_worker_served(w), 2);
    durable__ckpt_worker_free(w);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_ckpt_worker");
    DT_ADD(s, test_worker_runs_every_job_on_one_thread);
    DT_ADD(s, test_busy_worker_refuses_at_once);
    DT_ADD(s, test_free_waits_for_the_running_job);
    DT_ADD(s, test_worker_arguments_and_idle_free);
    s = dt_suite("sdk_batcher_worker");
    DT_ADD(s, test_batchers_reuse_one_worker_thread);
    DT_ADD(s, test_busy_worker_sends_the_next_batcher_to_its_own_thread);
    DT_ADD(s, test_stop_drains_what_the_worker_loop_holds);
    DT_ADD(s, test_failed_batcher_leaves_the_worker_reusable);
    DT_ADD(s, test_worker_set_late_or_unused_changes_nothing);
    DT_ADD(s, test_concurrent_batchers_share_or_fall_back);
    DT_ADD(s, test_forked_child_never_uses_the_parents_worker);
    return dt_run();
}
