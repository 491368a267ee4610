/* Concurrency: property 15 (every request gets a reply; 8 threads race-free
 * through the server, checked against a model) and the callback race
 * (16 threads x 200 rounds complete one fresh callback: exactly one wins),
 * both with one engine per thread on ONE file (SQLite arbitrates) and through
 * one server. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/common.h"
#include "durable/engine.h"
#include "durable/server.h"
#include "model/internal.h"
#include "support/server_fixture.h"
#include "support/testutil.h"

/* ---- property 15 --------------------------------------------------------------- */

enum { P15_THREADS = 8, P15_MAX_EXECS = 4, P15_MAX_OPS = 64, P15_MAX_CALLBACKS = 32 };

/* What the test expects of one operation. */
typedef struct m_op {
    char id[DURABLE_OP_ID_LEN + 1];
    durable_op_type type;
    durable_op_status status;
    char result[48];       /* expected Result ("" = none) */
} m_op;

typedef struct m_callback {
    char *callback_id;
    int op_index;
    _Atomic int completions;   /* successful success/failure calls */
    _Atomic int kind;          /* 1 = success, 2 = failure (the winner's) */
} m_callback;

/* One execution: the token slot and the model. The mutex plays the SDK's
 * checkpoint batcher: one checkpoint at a time per execution. */
typedef struct m_exec {
    pthread_mutex_t lock;
    char *arn;
    char *token;
    int next_path;
    m_op ops[P15_MAX_OPS];
    int op_count;
    m_callback callbacks[P15_MAX_CALLBACKS];
    _Atomic int callback_count;  /* published after the id is set */
    int steps;                   /* steps started (each also succeeded) */
} m_exec;

typedef struct p15_case {
    durable_server *s;
    m_exec execs[P15_MAX_EXECS];
    int nexec;
    _Atomic int requests;  /* requests submitted */
    _Atomic int replies;   /* replies received */
    _Atomic int failures;  /* unexpected results */
    uint64_t seed;
    int case_no;
} p15_case;

typedef struct p15_thread {
    p15_case *c;
    dt_rng rng;
    int nops;
} p15_thread;

static void p15_fail(p15_case *c, const char *what)
{
    fprintf(stderr, "p15 case %d (seed %llu): %s: %s\n", c->case_no,
            (unsigned long long)c->seed, what, durable_error_last()->message);
    atomic_fetch_add(&c->failures, 1);
}

/* Take the response's new token as the execution's current one. */
static void adopt_token(m_exec *x, durable_checkpoint_response *resp)
{
    durable_free(x->token);
    x->token = resp->checkpoint_token;
    resp->checkpoint_token = NULL;
}

/* START + SUCCEED of a new step, in one checkpoint or in two. */
static void p15_step(p15_case *c, m_exec *x, bool two)
{
    pthread_mutex_lock(&x->lock);
    if (x->op_count >= P15_MAX_OPS) {
        pthread_mutex_unlock(&x->lock);
        return;
    }
    char path[16], payload[48];
    snprintf(path, sizeof path, "%d", ++x->next_path);
    snprintf(payload, sizeof payload, "\"r-%s\"", path);
    durable_operation_update u[2];
    sf_step(&u[0], path, "step", DURABLE_ACTION_START, NULL);
    sf_step(&u[1], path, "step", DURABLE_ACTION_SUCCEED, payload);
    int ok = 1;
    for (int part = 0; part < (two ? 2 : 1) && ok; part++) {
        durable_checkpoint_request req =
            two ? sf_request(x->arn, x->token, &u[part], 1) : sf_request(x->arn, x->token, u, 2);
        durable_checkpoint_response resp;
        memset(&resp, 0, sizeof resp);
        atomic_fetch_add(&c->requests, 1);
        int rc = durable_server_checkpoint(&resp, c->s, &req);
        atomic_fetch_add(&c->replies, 1);
        if (rc != 0) {
            p15_fail(c, "step checkpoint");
            ok = 0;
        } else {
            const durable_operation *op = sf_find(&resp.operations, u[0].id);
            bool last = !two || part == 1;
            if (!op || op->status != (last ? DURABLE_OP_SUCCEEDED : DURABLE_OP_STARTED))
                p15_fail(c, "step missing from the delta or wrong status");
            adopt_token(x, &resp);
        }
        durable_checkpoint_response_clear(&resp);
    }
    if (ok) {
        m_op *m = &x->ops[x->op_count++];
        snprintf(m->id, sizeof m->id, "%s", u[0].id);
        m->type = DURABLE_OP_STEP;
        m->status = DURABLE_OP_SUCCEEDED;
        snprintf(m->result, sizeof m->result, "%s", payload);
        x->steps++;
    }
    sf_updates_clear(u, 2);
    pthread_mutex_unlock(&x->lock);
}

static void p15_callback_start(p15_case *c, m_exec *x)
{
    pthread_mutex_lock(&x->lock);
    int n = atomic_load(&x->callback_count);
    if (x->op_count >= P15_MAX_OPS || n >= P15_MAX_CALLBACKS) {
        pthread_mutex_unlock(&x->lock);
        return;
    }
    char path[16];
    snprintf(path, sizeof path, "%d", ++x->next_path);
    durable_operation_update u;
    sf_callback_start(&u, path, "cb");
    durable_checkpoint_request req = sf_request(x->arn, x->token, &u, 1);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    atomic_fetch_add(&c->requests, 1);
    int rc = durable_server_checkpoint(&resp, c->s, &req);
    atomic_fetch_add(&c->replies, 1);
    if (rc != 0) {
        p15_fail(c, "callback start");
    } else {
        const durable_operation *op = sf_find(&resp.operations, u.id);
        if (!op || !op->callback_id || op->status != DURABLE_OP_STARTED) {
            p15_fail(c, "callback missing from the delta");
        } else {
            m_op *m = &x->ops[x->op_count];
            snprintf(m->id, sizeof m->id, "%s", u.id);
            m->type = DURABLE_OP_CALLBACK;
            m->status = DURABLE_OP_STARTED;
            m_callback *cb = &x->callbacks[n];
            cb->callback_id = durable__strdup(op->callback_id);
            cb->op_index = x->op_count++;
            atomic_store(&cb->completions, 0);
            atomic_store(&cb->kind, 0);
            atomic_store(&x->callback_count, n + 1);
        }
        adopt_token(x, &resp);
    }
    durable_checkpoint_response_clear(&resp);
    durable_operation_update_clear(&u);
    pthread_mutex_unlock(&x->lock);
}

/* Complete (or heartbeat) a random callback of x, without the execution's
 * lock: several threads may race for the same one. */
static void p15_callback_complete(p15_case *c, m_exec *x, dt_rng *rng)
{
    int n = atomic_load(&x->callback_count);
    if (n == 0)
        return;
    m_callback *cb = &x->callbacks[dt_rng_below(rng, (uint64_t)n)];
    int what = (int)dt_rng_below(rng, 3);
    int rc;
    atomic_fetch_add(&c->requests, 1);
    if (what == 0) {
        rc = durable_server_callback_success(c->s, cb->callback_id, "\"done\"", 6);
    } else if (what == 1) {
        durable_error_object *err = NULL;
        durable_error_object_new(&err, "Denied", "no", NULL);
        rc = durable_server_callback_failure(c->s, cb->callback_id, err);
        durable_error_object_free(err);
    } else {
        rc = durable_server_callback_heartbeat(c->s, cb->callback_id);
    }
    atomic_fetch_add(&c->replies, 1);
    if (what < 2) {
        if (rc == 0) {
            if (atomic_fetch_add(&cb->completions, 1) == 0)
                atomic_store(&cb->kind, what + 1);
        } else if (rc != DURABLE_ECALLBACK_DONE) {
            p15_fail(c, "callback completion: unexpected code");
        }
    } else if (rc != 0 && rc != DURABLE_ECALLBACK_DONE) {
        p15_fail(c, "heartbeat: unexpected code");
    }
}

static void p15_get_state(p15_case *c, m_exec *x)
{
    pthread_mutex_lock(&x->lock);
    durable_state_request req;
    memset(&req, 0, sizeof req);
    req.durable_execution_arn = x->arn;
    req.checkpoint_token = x->token;
    req.max_items = 1000;
    durable_state_response resp;
    memset(&resp, 0, sizeof resp);
    atomic_fetch_add(&c->requests, 1);
    int rc = durable_server_get_state(&resp, c->s, &req);
    atomic_fetch_add(&c->replies, 1);
    if (rc != 0) {
        p15_fail(c, "get_state");
    } else if (resp.operations.count != (size_t)x->op_count + 1) {
        p15_fail(c, "get_state: operation count differs from the model");
    } else {
        for (int i = 0; i < x->op_count; i++)
            if (!sf_find(&resp.operations, x->ops[i].id))
                p15_fail(c, "get_state: a model operation is missing");
    }
    durable_state_response_clear(&resp);
    pthread_mutex_unlock(&x->lock);
}

static void p15_get_execution(p15_case *c, m_exec *x)
{
    durable_execution_info info;
    memset(&info, 0, sizeof info);
    atomic_fetch_add(&c->requests, 1);
    int rc = durable_server_get_execution(&info, c->s, x->arn);
    atomic_fetch_add(&c->replies, 1);
    if (rc != 0 || info.status != DURABLE_EXEC_RUNNING)
        p15_fail(c, "get_execution");
    durable_execution_info_clear(&info);
}

static void *p15_main(void *p)
{
    p15_thread *t = p;
    p15_case *c = t->c;
    for (int i = 0; i < t->nops; i++) {
        m_exec *x = &c->execs[dt_rng_below(&t->rng, (uint64_t)c->nexec)];
        switch (dt_rng_below(&t->rng, 7)) {
        case 0: p15_step(c, x, false); break;
        case 1: p15_step(c, x, true); break;
        case 2: p15_callback_start(c, x); break;
        case 3:
        case 4: p15_callback_complete(c, x, &t->rng); break;
        case 5: p15_get_state(c, x); break;
        default: p15_get_execution(c, x); break;
        }
    }
    return NULL;
}

typedef struct hist_arg {
    const char *arn;
    durable_history_response h;
} hist_arg;

static int hist_run(durable_engine *e, void *p)
{
    hist_arg *a = p;
    return sf_history_all(&a->h, e, a->arn);
}

/* The final state of every execution against the model. */
static void p15_check(p15_case *c)
{
    for (int k = 0; k < c->nexec; k++) {
        m_exec *x = &c->execs[k];
        int ncb = atomic_load(&x->callback_count);
        for (int i = 0; i < ncb; i++) {
            m_callback *cb = &x->callbacks[i];
            int n = atomic_load(&cb->completions);
            DT_PROP(n <= 1, c->seed, c->case_no);
            if (n == 1)
                x->ops[cb->op_index].status =
                    atomic_load(&cb->kind) == 1 ? DURABLE_OP_SUCCEEDED : DURABLE_OP_FAILED;
        }
        durable_operation_list ops;
        memset(&ops, 0, sizeof ops);
        int rc = durable_server_list_operations(&ops, c->s, x->arn);
        DT_PROP(rc == 0, c->seed, c->case_no);
        DT_PROP(ops.count == (size_t)x->op_count + 1, c->seed, c->case_no);
        size_t succeeded_cb = 0, failed_cb = 0;
        for (int i = 0; i < x->op_count; i++) {
            const m_op *m = &x->ops[i];
            const durable_operation *op = sf_find(&ops, m->id);
            DT_PROP(op != NULL, c->seed, c->case_no);
            if (!op)
                continue;
            DT_PROP(op->type == m->type, c->seed, c->case_no);
            DT_PROP(op->status == m->status, c->seed, c->case_no);
            if (m->type == DURABLE_OP_STEP)
                DT_PROP(op->result && strcmp(op->result, m->result) == 0, c->seed, c->case_no);
            if (m->type == DURABLE_OP_CALLBACK && m->status == DURABLE_OP_SUCCEEDED) {
                succeeded_cb++;
                DT_PROP(op->result && strcmp(op->result, "\"done\"") == 0, c->seed, c->case_no);
            }
            if (m->type == DURABLE_OP_CALLBACK && m->status == DURABLE_OP_FAILED) {
                failed_cb++;
                DT_PROP(op->error && op->error->error_type &&
                            strcmp(op->error->error_type, "Denied") == 0,
                        c->seed, c->case_no);
            }
        }
        durable_operation_list_clear(&ops);

        /* History: consecutive ids and one event per modelled change. */
        hist_arg ha = {x->arn, {0}};
        rc = durable_server_call(c->s, hist_run, &ha);
        DT_PROP(rc == 0, c->seed, c->case_no);
        const durable_history_response *h = &ha.h;
        DT_PROP(sf_event_ids_consecutive(h), c->seed, c->case_no);
        DT_PROP(sf_count_events(h, DURABLE_EVENT_EXECUTION_STARTED) == 1, c->seed, c->case_no);
        DT_PROP(sf_count_events(h, DURABLE_EVENT_STEP_STARTED) == (size_t)x->steps, c->seed,
                c->case_no);
        DT_PROP(sf_count_events(h, DURABLE_EVENT_STEP_SUCCEEDED) == (size_t)x->steps, c->seed,
                c->case_no);
        DT_PROP(sf_count_events(h, DURABLE_EVENT_CALLBACK_STARTED) == (size_t)ncb, c->seed,
                c->case_no);
        DT_PROP(sf_count_events(h, DURABLE_EVENT_CALLBACK_SUCCEEDED) == succeeded_cb, c->seed,
                c->case_no);
        DT_PROP(sf_count_events(h, DURABLE_EVENT_CALLBACK_FAILED) == failed_cb, c->seed,
                c->case_no);
        DT_PROP(h->count == 1 + 2 * (size_t)x->steps + (size_t)ncb + succeeded_cb + failed_cb,
                c->seed, c->case_no);
        durable_history_response_clear(&ha.h);
    }
}

static void p15_run_case(uint64_t seed, int case_no, dt_rng *rng)
{
    p15_case *c = calloc(1, sizeof *c);
    c->seed = seed;
    c->case_no = case_no;
    int rc = durable_server_start(&c->s, NULL);
    DT_PROP(rc == 0, seed, case_no);
    if (rc != 0) {
        free(c);
        return;
    }
    c->nexec = 2 + (int)dt_rng_below(rng, P15_MAX_EXECS - 1);
    for (int k = 0; k < c->nexec; k++) {
        m_exec *x = &c->execs[k];
        pthread_mutex_init(&x->lock, NULL);
        durable_invocation_input in;
        memset(&in, 0, sizeof in);
        char *inv = NULL;
        rc = durable_server_start_execution(&x->arn, NULL, c->s, "p15", NULL);
        if (rc == 0)
            rc = durable_server_start_invocation(&in, &inv, c->s, x->arn, 0);
        DT_PROP(rc == 0, seed, case_no);
        x->token = in.checkpoint_token;
        in.checkpoint_token = NULL;
        durable_invocation_input_clear(&in);
        durable_free(inv);
    }
    uint64_t served_before = durable_server_served(c->s);
    p15_thread ts[P15_THREADS];
    pthread_t th[P15_THREADS];
    for (int t = 0; t < P15_THREADS; t++) {
        ts[t].c = c;
        dt_rng_init(&ts[t].rng, dt_rng_next(rng));
        ts[t].nops = 2 + (int)dt_rng_below(rng, 8);
        pthread_create(&th[t], NULL, p15_main, &ts[t]);
    }
    for (int t = 0; t < P15_THREADS; t++)
        pthread_join(th[t], NULL);
    int requests = atomic_load(&c->requests);
    DT_PROP(atomic_load(&c->replies) == requests, seed, case_no);
    DT_PROP(durable_server_served(c->s) - served_before == (uint64_t)requests, seed, case_no);
    DT_PROP(atomic_load(&c->failures) == 0, seed, case_no);
    p15_check(c);
    durable_server_free(c->s);
    for (int k = 0; k < c->nexec; k++) {
        m_exec *x = &c->execs[k];
        int ncb = atomic_load(&x->callback_count);
        for (int i = 0; i < ncb; i++)
            durable_free(x->callbacks[i].callback_id);
        durable_free(x->arn);
        durable_free(x->token);
        pthread_mutex_destroy(&x->lock);
    }
    free(c);
}

static void test_prop15_concurrent_requests(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x1515);
    for (int cs = 0; cs < 100; cs++)
        p15_run_case(seed, cs, &rng);
}


/* ---- callback race ----------------------------------------------------------------- */

enum { RACE_THREADS = 16, RACE_ROUNDS = 200 };

/* One round's shared state: the main thread publishes a fresh callback id,
 * all racers complete it at once, the main thread tallies. */
typedef struct race {
    pthread_barrier_t go, done;
    const char *callback_id;   /* written before `go`, read after it */
    int rc[RACE_THREADS];
    durable_server *server;    /* through the server ... */
    const char *path;          /* ... or one engine per thread on this file */
    int open_failures;
} race;

typedef struct racer {
    race *r;
    int index;
} racer;

static void *racer_main(void *p)
{
    racer *me = p;
    race *r = me->r;
    durable_store *st = NULL;
    durable_engine *e = NULL;
    if (r->path) {
        durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
        so.busy_timeout_ms = 30000;
        if (durable_store_open(&st, r->path, &so) != 0 || durable_engine_open(&e, st, NULL) != 0)
            __atomic_add_fetch(&r->open_failures, 1, __ATOMIC_SEQ_CST);
    }
    char payload[32];
    snprintf(payload, sizeof payload, "\"racer-%d\"", me->index);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        pthread_barrier_wait(&r->go);
        int rc;
        if (r->path)
            rc = e ? durable_engine_callback_success(e, r->callback_id, payload, strlen(payload))
                   : DURABLE_ERROR;
        else
            rc = durable_server_callback_success(r->server, r->callback_id, payload,
                                                 strlen(payload));
        r->rc[me->index] = rc;
        pthread_barrier_wait(&r->done);
    }
    durable_engine_close(e);
    durable_store_close(st);
    return NULL;
}

/* Issuing side: a running execution whose checkpoints create the callbacks,
 * through an engine (file case) or the server. */
typedef struct issuer {
    durable_engine *e;
    durable_server *s;
    char *arn;
    char *token;
    int next;
} issuer;

static int issuer_checkpoint(issuer *is, durable_checkpoint_response *resp,
                             durable_checkpoint_request *req)
{
    return is->e ? durable_engine_checkpoint(resp, is->e, req)
                 : durable_server_checkpoint(resp, is->s, req);
}

static int issuer_begin(issuer *is)
{
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    char *inv = NULL;
    int rc = is->e ? durable_engine_start_execution(&is->arn, NULL, is->e, "race", NULL)
                   : durable_server_start_execution(&is->arn, NULL, is->s, "race", NULL);
    if (rc == 0)
        rc = is->e ? durable_engine_start_invocation(&in, &inv, is->e, is->arn, 0)
                   : durable_server_start_invocation(&in, &inv, is->s, is->arn, 0);
    is->token = in.checkpoint_token;
    in.checkpoint_token = NULL;
    durable_invocation_input_clear(&in);
    durable_free(inv);
    return rc;
}

/* A fresh callback; its id (caller frees) and operation id. */
static char *issuer_new_callback(issuer *is, char op_id[DURABLE_OP_ID_LEN + 1])
{
    char path[16];
    snprintf(path, sizeof path, "%d", ++is->next);
    durable_operation_update u;
    sf_callback_start(&u, path, "race");
    snprintf(op_id, DURABLE_OP_ID_LEN + 1, "%s", u.id);
    durable_checkpoint_request req = sf_request(is->arn, is->token, &u, 1);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    char *id = NULL;
    if (issuer_checkpoint(is, &resp, &req) == 0) {
        const durable_operation *op = sf_find(&resp.operations, u.id);
        id = op ? durable__strdup(op->callback_id) : NULL;
        durable_free(is->token);
        is->token = resp.checkpoint_token;
        resp.checkpoint_token = NULL;
    } else {
        fprintf(stderr, "callback start: %s\n", durable_error_last()->message);
    }
    durable_checkpoint_response_clear(&resp);
    durable_operation_update_clear(&u);
    return id;
}

static int issuer_get_operation(issuer *is, durable_operation *op, const char *op_id)
{
    return is->e ? durable_engine_get_operation(op, is->e, is->arn, op_id)
                 : durable_server_get_operation(op, is->s, is->arn, op_id);
}

static void run_race(race *r, issuer *is)
{
    pthread_barrier_init(&r->go, NULL, RACE_THREADS + 1);
    pthread_barrier_init(&r->done, NULL, RACE_THREADS + 1);
    racer rs[RACE_THREADS];
    pthread_t th[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) {
        rs[i] = (racer){r, i};
        pthread_create(&th[i], NULL, racer_main, &rs[i]);
    }
    int bad_rounds = 0;
    double t0 = sf_now_ms();
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char op_id[DURABLE_OP_ID_LEN + 1];
        char *cb = issuer_new_callback(is, op_id);
        CU_ASSERT_PTR_NOT_NULL(cb);
        r->callback_id = cb ? cb : "missing";
        pthread_barrier_wait(&r->go);
        pthread_barrier_wait(&r->done);
        int wins = 0, done = 0, winner = -1;
        for (int i = 0; i < RACE_THREADS; i++) {
            if (r->rc[i] == 0) {
                wins++;
                winner = i;
            } else if (r->rc[i] == DURABLE_ECALLBACK_DONE) {
                done++;
            }
        }
        /* Exactly one completion succeeds; every other one is told the
         * callback was already completed; the stored result is the winner's. */
        durable_operation op;
        durable_operation_init(&op);
        int rc = issuer_get_operation(is, &op, op_id);
        char expect[32];
        snprintf(expect, sizeof expect, "\"racer-%d\"", winner);
        if (wins != 1 || done != RACE_THREADS - 1 || rc != 0 || op.status != DURABLE_OP_SUCCEEDED ||
            !op.result || strcmp(op.result, expect) != 0) {
            if (bad_rounds++ < 3)
                fprintf(stderr, "race round %d: wins=%d done=%d status=%d result=%s\n", round,
                        wins, done, (int)op.status, op.result ? op.result : "(none)");
        }
        durable_operation_clear(&op);
        durable_free(cb);
    }
    for (int i = 0; i < RACE_THREADS; i++)
        pthread_join(th[i], NULL);
    printf("\n  %d threads x %d rounds (%s): %.0f ms\n", RACE_THREADS, RACE_ROUNDS,
           r->path ? "one engine per thread, one file" : "one server", sf_now_ms() - t0);
    CU_ASSERT_EQUAL(bad_rounds, 0);
    CU_ASSERT_EQUAL(r->open_failures, 0);
    pthread_barrier_destroy(&r->go);
    pthread_barrier_destroy(&r->done);
}

/* 16 threads, each with its own store and engine on one WAL file. */
static void test_callback_race_engines_on_one_file(void)
{
    char *path = dt_temp_path("race");
    durable_store *st = NULL;
    issuer is = {0};
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&st, path, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&is.e, st, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(issuer_begin(&is), 0);
    race *r = calloc(1, sizeof *r);
    r->path = path;
    run_race(r, &is);

    /* History agrees: one CallbackSucceeded per round, consecutive ids. */
    durable_history_response h;
    CU_ASSERT_EQUAL(sf_history_all(&h, is.e, is.arn), 0);
    CU_ASSERT(sf_event_ids_consecutive(&h));
    CU_ASSERT_EQUAL(sf_count_events(&h, DURABLE_EVENT_CALLBACK_STARTED), RACE_ROUNDS);
    CU_ASSERT_EQUAL(sf_count_events(&h, DURABLE_EVENT_CALLBACK_SUCCEEDED), RACE_ROUNDS);
    durable_history_response_clear(&h);
    free(r);
    durable_free(is.arn);
    durable_free(is.token);
    durable_engine_close(is.e);
    durable_store_close(st);
    dt_remove_db(path);
    free(path);
}

/* 16 threads through one checkpoint server. */
static void test_callback_race_through_server(void)
{
    issuer is = {0};
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&is.s, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(issuer_begin(&is), 0);
    race *r = calloc(1, sizeof *r);
    r->server = is.s;
    run_race(r, &is);
    free(r);
    durable_free(is.arn);
    durable_free(is.token);
    durable_server_free(is.s);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_concurrency");
    DT_ADD(s, test_prop15_concurrent_requests);
    DT_ADD(s, test_callback_race_through_server);
    DT_ADD(s, test_callback_race_engines_on_one_file);
    return dt_run();
}
