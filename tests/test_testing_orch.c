/* Orchestration (SPEC §8): PENDING → re-invocation → terminal, schedulers,
 * continuity while a test acts, invalid PENDING, idle runs, one invocation
 * at a time (seed properties 20, 21, 22). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "test_testing_prog.h"
#include "testing/testing_internal.h"

#define CASES 100

/* Property 21: the queue scheduler runs jobs in FIFO order whatever their
 * timestamps; the timer scheduler by timestamp (FIFO among equal ones). */
static void test_prop_schedulers(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x2121);
    for (int c = 0; c < CASES; c++) {
        durable__sched q, t;
        durable__sched_init(&q, DURABLE__SCHED_QUEUE);
        durable__sched_init(&t, DURABLE__SCHED_TIMER);
        int n = 1 + (int)dt_rng_below(&rng, 40);
        int64_t when[64];
        for (int i = 0; i < n; i++) {
            when[i] = (int64_t)dt_rng_below(&rng, 8) * 1000;
            char tag[16];
            snprintf(tag, sizeof tag, "%d", i);
            DT_PROP(durable__sched_push(&q, 1, when[i], tag, NULL) == 0, seed, c);
            DT_PROP(durable__sched_push(&t, 1, when[i], tag, NULL) == 0, seed, c);
        }
        DT_PROP(durable__sched_has(&q) && durable__sched_has(&t), seed, c);
        durable__job j;
        for (int i = 0; i < n; i++) {
            DT_PROP(durable__sched_pop(&q, &j), seed, c);
            DT_PROP(atoi(j.arn) == i && j.when_ms == when[i], seed, c);
            durable__job_clear(&j);
        }
        DT_PROP(!durable__sched_pop(&q, &j), seed, c);
        int64_t last_when = -1;
        int last_idx = -1;
        for (int i = 0; i < n; i++) {
            DT_PROP(durable__sched_pop(&t, &j), seed, c);
            int idx = atoi(j.arn);
            DT_PROP(j.when_ms > last_when || (j.when_ms == last_when && idx > last_idx), seed, c);
            last_when = j.when_ms;
            last_idx = idx;
            durable__job_clear(&j);
        }
        DT_PROP(!durable__sched_has(&t), seed, c);
        /* Flush drops everything without running it. */
        durable__sched_push(&q, 1, 0, "x", "y");
        durable__sched_flush(&q);
        DT_PROP(!durable__sched_has(&q), seed, c);
        durable__sched_clear(&q);
        durable__sched_clear(&t);
    }
}

/* Property 20: every PENDING output with something pending leads to exactly
 * one more invocation when it completes; SUCCEEDED / FAILED end the run. */
static void test_prop_pending_reinvocation(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x2020);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 1 + (int)dt_rng_below(&rng, 6);
        int suspensions = 0;
        for (int i = 0; i < p.n; i++) {
            uint64_t k = dt_rng_below(&rng, 3);
            p.ops[i].kind = k == 0 ? P_STEP : k == 1 ? P_WAIT : P_CALLBACK;
            p.ops[i].secs = 1 + (int64_t)dt_rng_below(&rng, 3600);
            p.ops[i].value = (int64_t)dt_rng_below(&rng, 50);
            snprintf(p.ops[i].name, sizeof p.ops[i].name, "op%d", i);
            if (k != 0)
                suspensions++;
        }
        p.fail_at_end = dt_rng_below(&rng, 3) == 0;
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "pending"), 0);
        durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
        a.payload = "\"done\"";
        a.delay_ms = (int64_t)dt_rng_below(&rng, 10000);
        CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &a), 0);
        durable_test_result *res = NULL;
        int rc = durable_test_runner_run(&res, r, NULL);
        DT_PROP(rc == 0, seed, c);
        if (rc != 0) {
            fprintf(stderr, "%s\n", durable_error_last()->message);
            durable_test_runner_free(r);
            break;
        }
        DT_PROP(durable_test_result_status(res) ==
                    (p.fail_at_end ? DURABLE_EXEC_FAILED : DURABLE_EXEC_SUCCEEDED),
                seed, c);
        size_t ni = durable_test_result_invocation_count(res);
        DT_PROP(ni == (size_t)suspensions + 1, seed, c);
        DT_PROP(p.invocations == suspensions + 1, seed, c);
        for (size_t i = 0; i < ni; i++) {
            const durable_test_invocation *inv = NULL;
            DT_PROP(durable_test_result_get_invocation(&inv, res, i) == 0, seed, c);
            const char *want = i + 1 < ni ? "PENDING" : p.fail_at_end ? "FAILED" : "SUCCEEDED";
            DT_PROP(inv && inv->outcome && strcmp(inv->outcome, want) == 0, seed, c);
            DT_PROP(inv && inv->error == NULL, seed, c);
        }
        /* InvocationCompleted precedes the terminal event; nothing follows it. */
        size_t ne = durable_test_result_event_count(res);
        DT_PROP(ne >= 3 && durable_test_result_event(res, ne - 2)->type ==
                               DURABLE_EVENT_INVOCATION_COMPLETED,
                seed, c);
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

/* Property 22: the run keeps going while the test acts from its own thread,
 * until the execution is terminal. */
static void test_prop_continuity_while_test_acts(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x2222);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 1 + (int)dt_rng_below(&rng, 3);
        for (int i = 0; i < p.n; i++) {
            p.ops[i].kind = P_CALLBACK;
            /* A timeout the runner could skip to: the hold after the wait
             * keeps it from doing so before the test answers. */
            p.ops[i].timeout = dt_rng_below(&rng, 2) ? 60 : 0;
            snprintf(p.ops[i].name, sizeof p.ops[i].name, "cb%d", i);
        }
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "continuity"), 0);
        int rc = durable_test_runner_start(r, NULL);
        DT_PROP(rc == 0, seed, c);
        if (rc != 0) {
            durable_test_runner_free(r);
            break;
        }
        DT_PROP(durable_test_runner_execution_arn(r) != NULL, seed, c);
        for (int i = 0; i < p.n; i++) {
            durable_test_operation *op = NULL;
            DT_PROP(durable_test_runner_get_operation(&op, r, p.ops[i].name) == 0, seed, c);
            rc = durable_test_operation_wait(op, DURABLE_TEST_WAIT_SUBMITTED, 5000);
            DT_PROP(rc == 0, seed, c);
            if (rc != 0) {
                fprintf(stderr, "%s\n", durable_error_last()->message);
                break;
            }
            DT_PROP(durable_test_runner_is_running(r), seed, c);
            DT_PROP(durable_test_operation_status(op) == DURABLE_OP_STARTED, seed, c);
            if (dt_rng_below(&rng, 2))
                usleep((useconds_t)dt_rng_below(&rng, 2000));
            char payload[32];
            snprintf(payload, sizeof payload, "%d", i);
            rc = durable_test_operation_send_callback_success(op, payload);
            DT_PROP(rc == 0, seed, c);
            if (rc != 0)
                fprintf(stderr, "send: %s\n", durable_error_last()->message);
            /* Completion is exactly once. */
            DT_PROP(durable_test_operation_send_callback_success(op, payload) ==
                        DURABLE_ECALLBACK_DONE,
                    seed, c);
        }
        durable_test_result *res = NULL;
        rc = durable_test_runner_await(&res, r);
        DT_PROP(rc == 0, seed, c);
        DT_PROP(!durable_test_runner_is_running(r), seed, c);
        DT_PROP(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED, seed, c);
        for (int i = 0; i < p.n; i++) {
            durable_test_operation *op = NULL;
            durable_test_runner_get_operation(&op, r, p.ops[i].name);
            char payload[32];
            snprintf(payload, sizeof payload, "%d", i);
            durable_test_callback_details cd;
            DT_PROP(durable_test_operation_callback_details(&cd, op) == 0 && cd.result &&
                        strcmp(cd.result, payload) == 0,
                    seed, c);
        }
        durable_test_result *again = NULL;
        DT_PROP(durable_test_runner_await(&again, r) == DURABLE_ESTATE && !again, seed, c);
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

static int pending_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)input;
    (void)out;
    (void)user;
    return DURABLE_PENDING;
}

static void test_pending_with_nothing_pending_fails(void)
{
    env_up(true, 0);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, pending_handler, NULL, "bogus"), 0);
    durable_test_result *res = NULL;
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT(mono_seconds() - t0 < 5.0); /* far below the virtual time skipped; loose enough for valgrind */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    const durable_error_object *e = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_error(&e, res), 0);
    CU_ASSERT_STRING_EQUAL(e->error_type, "InvalidInvocationOutput");
    CU_ASSERT_STRING_EQUAL(e->error_message,
                           "Cannot return PENDING status with no pending operations.");
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

static void test_idle_run_ends_with_eidle(void)
{
    env_up(true, 150);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.ops[0] = (prog_op){ .kind = P_STEP, .name = "before", .value = 1 };
    p.ops[1] = (prog_op){ .kind = P_CALLBACK, .name = "nobody-answers" };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "idle"), 0);
    durable_test_result *res = NULL;
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, NULL), DURABLE_EIDLE);
    double wall = mono_seconds() - t0;
    CU_ASSERT(wall >= 0.14 && wall < 2.0);
    const char *msg = durable_error_last()->message;
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cannot make progress"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "nobody-answers"));
    /* A RUNNING snapshot shows what is pending. */
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_RUNNING);
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_operation(&op, res, "nobody-answers"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_STARTED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), DURABLE_ESTATE);
    durable_test_result_free(res);
    /* The runner is usable again. */
    CU_ASSERT_FALSE(durable_test_runner_is_running(r));
    durable_test_runner_free(r);
    env_down();
}

/* One invocation at a time, across the root and its chained targets. */
static atomic_int active, max_active;

static int counting_enter(void)
{
    int a = atomic_fetch_add(&active, 1) + 1;
    int m = atomic_load(&max_active);
    while (a > m && !atomic_compare_exchange_weak(&max_active, &m, a))
        ;
    usleep(200);
    return 0;
}

static int counting_child(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    counting_enter();
    int rc = durable_wait(ctx, "child-wait", 5);
    atomic_fetch_sub(&active, 1);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(input, 1);
    return 0;
}

static int counting_parent(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    prog *p = user;
    counting_enter();
    int rc = prog_handler(ctx, input, out, p);
    atomic_fetch_sub(&active, 1);
    return rc;
}

static void test_one_invocation_at_a_time(void)
{
    env_up(true, 0);
    atomic_store(&active, 0);
    atomic_store(&max_active, 0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 4;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "cb" };
    p.ops[1] = (prog_op){ .kind = P_INVOKE, .name = "call", .target = "child", .value = 7 };
    p.ops[2] = (prog_op){ .kind = P_WAIT, .name = "w", .secs = 2 };
    p.ops[3] = (prog_op){ .kind = P_INVOKE, .name = "call2", .target = "child", .value = 8 };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, counting_parent, &p, "parent"), 0);
    CU_ASSERT_EQUAL(durable_test_runner_register_durable_function(r, "child", counting_child, NULL),
                    0);
    durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
    a.payload = "1";
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &a), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), 0);
    CU_ASSERT_STRING_EQUAL(text, "15");
    CU_ASSERT_EQUAL(atomic_load(&max_active), 1);
    int64_t child_calls = 0;
    CU_ASSERT_EQUAL(durable_test_runner_function_call_count(&child_calls, r, "child"), 0);
    CU_ASSERT_EQUAL(child_calls, 4); /* two targets, each: wait, then finish */
    /* The target completes after the parent's InvocationCompleted. */
    bool seen_inv = false, ok = false;
    for (size_t e = 0; e < durable_test_result_event_count(res); e++) {
        const durable_event *ev = durable_test_result_event(res, e);
        if (ev->type == DURABLE_EVENT_CHAINED_INVOKE_STARTED)
            seen_inv = false;
        if (ev->type == DURABLE_EVENT_INVOCATION_COMPLETED)
            seen_inv = true;
        if (ev->type == DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED)
            ok = seen_inv;
    }
    CU_ASSERT_TRUE(ok);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

/* start + await: the ARN is known at once; a second run is refused while
 * one is in progress; teardown waits for nothing. */
static void test_start_await_states(void)
{
    env_up(true, 0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "gate" };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "states"), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_await(&res, r), DURABLE_ESTATE);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_start(r, "5"), 0);
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, NULL), DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable_test_runner_reset(r), DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable_test_env_teardown(), DURABLE_EBUSY);
    durable_test_operation *gate = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_get_operation(&gate, r, "gate"), 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_operation_wait(gate, DURABLE_TEST_WAIT_STARTED, 5000), 0);
    durable_test_result *snap = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_snapshot(&snap, r), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(snap), DURABLE_EXEC_RUNNING);
    CU_ASSERT_EQUAL(durable_test_result_operation_count(snap), 1);
    durable_test_result_free(snap);
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_success(gate, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_await(&res, r), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_orch");
    DT_ADD(s, test_prop_schedulers);
    DT_ADD(s, test_prop_pending_reinvocation);
    DT_ADD(s, test_prop_continuity_while_test_acts);
    DT_ADD(s, test_pending_with_nothing_pending_fails);
    DT_ADD(s, test_idle_run_ends_with_eidle);
    DT_ADD(s, test_one_invocation_at_a_time);
    DT_ADD(s, test_start_await_states);
    return dt_run();
}
