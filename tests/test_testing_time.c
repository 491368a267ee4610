/* Time skipping (SPEC §8.7): every deadline is skipped, history timestamps
 * follow the virtual clock, the deterministic clock reproduces histories
 * (seed properties 4 and 19). */
#include <string.h>

#include "support/engine_fixture.h"
#include "test_testing_prog.h"

#define CASES 100

/* Property 4: a wait of D seconds completes in less than D seconds of wall
 * time. Property 19: the wait becomes SUCCEEDED at (not before) its
 * scheduled end, and the handler is re-invoked after it. */
static void test_prop_wait_skipping(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x404);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 1 + (int)dt_rng_below(&rng, 3);
        int64_t total = 0;
        for (int i = 0; i < p.n; i++) {
            p.ops[i].kind = P_WAIT;
            snprintf(p.ops[i].name, sizeof p.ops[i].name, "w%d", i);
            /* From half a minute up to a year: long enough that a run which really
             * waited could never pass the wall-clock check below, even under
             * valgrind on a loaded machine (a 1 s wait could not tell them apart). */
            p.ops[i].secs = dt_rng_below(&rng, 2) ? 30 + (int64_t)dt_rng_below(&rng, 120)
                                                   : 30 + (int64_t)dt_rng_below(&rng, 10000000);
            total += p.ops[i].secs;
        }
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "waits"), 0);
        durable_test_result *res = NULL;
        double t0 = mono_seconds();
        int rc = durable_test_runner_run(&res, r, NULL);
        double wall = mono_seconds() - t0;
        DT_PROP(rc == 0, seed, c);
        if (rc != 0) {
            fprintf(stderr, "%s\n", durable_error_last()->message);
            durable_test_runner_free(r);
            break;
        }
        DT_PROP(wall < (double)p.ops[0].secs, seed, c);
        DT_PROP(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED, seed, c);
        /* One invocation per wait, plus the final one. */
        DT_PROP(durable_test_result_invocation_count(res) == (size_t)p.n + 1, seed, c);
        DT_PROP(p.invocations == p.n + 1, seed, c);
        for (int i = 0; i < p.n; i++) {
            durable_test_operation *op = durable_test_result_operation_at(res, (size_t)i);
            durable_test_wait_details wd;
            DT_PROP(durable_test_operation_wait_details(&wd, op) == 0, seed, c);
            DT_PROP(wd.wait_seconds == p.ops[i].secs, seed, c);
            DT_PROP(durable_test_operation_status(op) == DURABLE_OP_SUCCEEDED, seed, c);
            DT_PROP(durable_test_operation_end_timestamp(op) >= wd.scheduled_end_timestamp, seed,
                    c);
            DT_PROP(wd.scheduled_end_timestamp - durable_test_operation_start_timestamp(op) ==
                        p.ops[i].secs * 1000,
                    seed, c);
        }
        /* History: WaitStarted's ScheduledEndTimestamp − its EventTimestamp
         * is the Duration; WaitSucceeded is not before it; an
         * InvocationCompleted follows each WaitStarted before WaitSucceeded. */
        int64_t sched_end = 0;
        bool inv_between = false;
        for (size_t e = 0; e < durable_test_result_event_count(res); e++) {
            const durable_event *ev = durable_test_result_event(res, e);
            if (ev->type == DURABLE_EVENT_WAIT_STARTED) {
                DT_PROP(ev->scheduled_end_timestamp - ev->timestamp == ev->duration * 1000, seed,
                        c);
                sched_end = ev->scheduled_end_timestamp;
                inv_between = false;
            } else if (ev->type == DURABLE_EVENT_INVOCATION_COMPLETED) {
                inv_between = true;
            } else if (ev->type == DURABLE_EVENT_WAIT_SUCCEEDED) {
                DT_PROP(ev->timestamp >= sched_end, seed, c);
                DT_PROP(inv_between, seed, c);
            }
        }
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

static void test_one_year_wait_and_one_day_callback_timeout(void)
{
    env_up(true, 0);
    /* A 365-day wait. */
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_WAIT, .name = "year", .secs = 365 * 86400 };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "long"), 0);
    durable_test_result *res = NULL;
    int64_t v0 = durable_test_env_now();
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT(mono_seconds() - t0 < 5.0); /* far below the virtual time skipped; loose enough for valgrind */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT(durable_test_env_now() - v0 >= 365 * 86400 * 1000LL);
    durable_test_result_free(res);
    durable_test_runner_free(r);

    /* A callback with a 1-day timeout that nobody completes: it times out
     * and the handler fails with CallbackError. */
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "approval", .timeout = 86400 };
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "day"), 0);
    t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT(mono_seconds() - t0 < 5.0); /* far below the virtual time skipped; loose enough for valgrind */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    durable_test_operation *cb = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&cb, res, "approval"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(cb), DURABLE_OP_TIMED_OUT);
    durable_test_callback_details cd;
    CU_ASSERT_EQUAL(durable_test_operation_callback_details(&cd, cb), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cd.error);
    CU_ASSERT_STRING_EQUAL(cd.error->error_type, "Callback.Timeout");
    CU_ASSERT(durable_test_operation_end_timestamp(cb) -
                  durable_test_operation_start_timestamp(cb) >=
              86400 * 1000LL);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

/* ---- retries and heartbeat / execution timeouts --------------------------------------- */

typedef struct flaky {
    int fail_times;
    int runs;
} flaky;

static int flaky_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    flaky *f = user;
    if (f->runs++ < f->fail_times)
        return durable_step_fail(sctx, "TransientError", "try again", NULL);
    *result = cJSON_CreateString("ok");
    return 0;
}

static int retry_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 4;
    ro.initial_delay_seconds = 60;
    ro.backoff_rate = 3;
    ro.max_delay_seconds = 3600;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    if (durable_retry_strategy_new(&s, &ro) != 0)
        return DURABLE_ERROR;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = s;
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "flaky", flaky_body, user, &so);
    durable_retry_strategy_free(s);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

static void test_retries_are_skipped(void)
{
    env_up(true, 0);
    flaky f = { 2, 0 };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, retry_handler, &f, "flaky"), 0);
    durable_test_result *res = NULL;
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT(mono_seconds() - t0 < 5.0); /* far below the virtual time skipped; loose enough for valgrind */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(f.runs, 3);
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 3);
    /* StepFailed delays 60 then 180 (SPEC §9.5 example 2 shape). */
    int64_t delays[4];
    int nd = 0;
    for (size_t e = 0; e < durable_test_result_event_count(res); e++) {
        const durable_event *ev = durable_test_result_event(res, e);
        if (ev->type == DURABLE_EVENT_STEP_FAILED && nd < 4)
            delays[nd++] = ev->next_attempt_delay_seconds;
    }
    CU_ASSERT_EQUAL(nd, 2);
    if (nd == 2) {
        CU_ASSERT_EQUAL(delays[0], 60);
        CU_ASSERT_EQUAL(delays[1], 180);
    }
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_operation(&op, res, "flaky"), 0);
    durable_test_step_details sd;
    CU_ASSERT_EQUAL(durable_test_operation_step_details(&sd, op), 0);
    CU_ASSERT_EQUAL(sd.attempt, 3);
    CU_ASSERT_STRING_EQUAL(sd.result, "\"ok\"");
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

static int heartbeat_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    durable_callback *cb = NULL;
    durable_callback_options co = DURABLE_CALLBACK_OPTIONS_INIT;
    co.heartbeat_timeout_seconds = 30;
    int rc = durable_create_callback(ctx, &cb, "hb", &co);
    if (rc != 0)
        return rc;
    const cJSON *v = NULL;
    return durable_callback_await(cb, &v);
}

static void test_heartbeat_and_execution_timeouts(void)
{
    env_up(true, 0);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, heartbeat_handler, NULL, "hb"), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "hb"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_TIMED_OUT);
    const durable_operation *d = durable_test_operation_data(op);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->error);
    CU_ASSERT_STRING_EQUAL(d->error->error_type, "Callback.Heartbeat");
    durable_test_result_free(res);

    /* An execution timeout of 90 s, a callback with no timeout: the
     * execution times out (skipped), it does not idle. */
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "forever" };
    durable_test_runner *r2 = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r2, prog_handler, &p, "timeout"), 0);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.execution_timeout_seconds = 90;
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r2, &o), 0);
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r2, NULL), 0);
    CU_ASSERT(mono_seconds() - t0 < 5.0); /* far below the virtual time skipped; loose enough for valgrind */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_TIMED_OUT);
    const durable_event *last =
        durable_test_result_event(res, durable_test_result_event_count(res) - 1);
    CU_ASSERT_EQUAL(last->type, DURABLE_EVENT_EXECUTION_TIMED_OUT);
    durable_test_result_free(res);
    durable_test_runner_free(r2);
    durable_test_runner_free(r);
    env_down();
}

/* ---- deterministic clock ----------------------------------------------------------------- */

/* Replace every "RequestId":"…" value so histories compare apart from ids. */
static void mask_request_ids(char *s)
{
    const char *key = "\"RequestId\":\"";
    for (char *p = strstr(s, key); p; p = strstr(p, key)) {
        p += strlen(key);
        while (*p && *p != '"')
            *p++ = 'x';
    }
}

static char *deterministic_history(prog *p, int64_t *end_ms)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.deterministic_clock = true;
    CU_ASSERT_EQUAL_FATAL(durable_test_env_setup(&cfg), 0);
    CU_ASSERT_EQUAL(durable_test_env_now(), DURABLE_TEST_DEFAULT_START_MS);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, p, "golden"), 0);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.execution_name = "golden-run";
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r, &o), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, "{\"x\":1}"), 0);
    char *json = NULL;
    CU_ASSERT_EQUAL(durable_test_result_history_json(&json, res, DURABLE_TS_RFC3339, false), 0);
    *end_ms = durable_test_env_now();
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
    if (json)
        mask_request_ids(json);
    return json;
}

static void test_deterministic_histories(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x909);
    for (int c = 0; c < 10; c++) {
        prog p;
        prog_random(&p, &rng, 6, false);
        int64_t end1 = 0, end2 = 0;
        char *h1 = deterministic_history(&p, &end1);
        char *h2 = deterministic_history(&p, &end2);
        DT_PROP(h1 && h2 && strcmp(h1, h2) == 0, seed, c);

        DT_PROP(end1 == end2, seed, c);
        /* The clock moved only by the skipped waits. */
        int64_t waited = 0;
        for (int i = 0; i < p.n; i++)
            if (p.ops[i].kind == P_WAIT)
                waited += p.ops[i].secs * 1000;
        DT_PROP(end1 - DURABLE_TEST_DEFAULT_START_MS == waited, seed, c);
        durable_free(h1);
        durable_free(h2);
    }
}

/* ---- real time (timer scheduler) ------------------------------------------------------------ */

static void test_real_time_wait(void)
{
    env_up(false, 0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.ops[0] = (prog_op){ .kind = P_STEP, .name = "s", .value = 4 };
    p.ops[1] = (prog_op){ .kind = P_WAIT, .name = "one-second", .secs = 1 };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "realtime"), 0);
    durable_test_result *res = NULL;
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    double wall = mono_seconds() - t0;
    CU_ASSERT(wall >= 0.99);
    CU_ASSERT(wall < 3.0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 2);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

/* ---- a shared file: a run skips to and fires its own deadlines only ------------------- */

#define OTHER_TYPES "ExecutionStarted,WaitStarted,CallbackStarted"

/* Execution "other", started on the file at path through a second engine
 * handle on clock c (as another runner, the CLI or a test's own engine
 * would): its invocation stays in flight after checkpointing a wait of
 * wait_s and a callback timing out after cb_s; its execution timeout is
 * exec_s. Its invocation deadline (900 s) is armed too. */
static void other_start(ef *f, const char *path, const durable_clock *c, int64_t wait_s,
                        int64_t cb_s, int64_t exec_s)
{
    memset(f, 0, sizeof *f);
    CU_ASSERT_FATAL(durable_store_open(&f->store, path, NULL) == 0);
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = c;
    CU_ASSERT_FATAL(durable_engine_open(&f->eng, f->store, &eo) == 0);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "other";
    o.timeout_seconds = exec_s;
    CU_ASSERT_FATAL(durable_engine_start_execution(&f->arn, NULL, f->eng, "other-fn", &o) == 0);
    CU_ASSERT_FATAL(ef_invoke(f) == 0);
    durable_operation_update u;
    ef_wait(&u, "1", wait_s);
    CU_ASSERT_FATAL(ef_cp1(f, &u) == 0);
    ef_callback(&u, "2", cb_s, 0);
    CU_ASSERT_FATAL(ef_cp1(f, &u) == 0);
    EF_ASSERT_TYPES(f, OTHER_TYPES);
}

/* "other" is as other_start left it although its deadlines (the earliest
 * at wait_due) passed on the run's clock: RUNNING, the same invocation in
 * flight, wait and callback STARTED, not one event more, every timer still
 * armed; and its invocation still ends normally. */
static void other_untouched(ef *f, int64_t wait_due)
{
    durable_execution_state st;
    memset(&st, 0, sizeof st);
    CU_ASSERT_FATAL(durable_engine_execution_state(&st, f->eng, f->arn) == 0);
    CU_ASSERT_EQUAL(st.status, DURABLE_EXEC_RUNNING);
    CU_ASSERT(st.invocation_in_flight);
    CU_ASSERT(st.inflight_invocation_id && strcmp(st.inflight_invocation_id, f->inv) == 0);
    durable_execution_state_clear(&st);
    durable_operation op;
    CU_ASSERT_FATAL(ef_get_op(f, "1", &op) == 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STARTED);
    durable_operation_clear(&op);
    CU_ASSERT_FATAL(ef_get_op(f, "2", &op) == 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STARTED);
    durable_operation_clear(&op);
    EF_ASSERT_TYPES(f, OTHER_TYPES);
    /* The run's execution is closed: the file's earliest timer is other's wait. */
    int64_t when = 0;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f->eng), 0);
    CU_ASSERT_EQUAL(when, wait_due);
    CU_ASSERT_EQUAL(ef_complete(f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    EF_ASSERT_TYPES(f, OTHER_TYPES ",InvocationCompleted");
}

static void shared_env_up(const char *path, bool skip)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.db_path = path;
    cfg.skip_time = skip;
    cfg.deterministic_clock = skip;
    cfg.start_time_ms = EF_T0;
    int rc = durable_test_env_setup(&cfg);
    if (rc != 0)
        fprintf(stderr, "env setup: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Skipping a year on a file where another execution's wait (60 s), callback
 * timeout (120 s), execution timeout (300 s) and invocation timeout (900 s)
 * fall inside that year: the run moves its clock to its own wait only. */
static void test_skip_time_leaves_other_executions_timers(void)
{
    char *path = dt_temp_path("shared-skip");
    durable_vclock *vc = NULL;
    CU_ASSERT_FATAL(durable_vclock_new(&vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    ef other;
    other_start(&other, path, durable_vclock_clock(vc), 60, 120, 300);

    shared_env_up(path, true);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_WAIT, .name = "year", .secs = 365 * 86400 };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "long"), 0);
    durable_test_result *res = NULL;
    int rc = durable_test_runner_run(&res, r, NULL);
    if (rc != 0)
        fprintf(stderr, "run: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    /* One invocation before the wait, one after: no stop at other's deadlines. */
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 2);
    CU_ASSERT_EQUAL(p.invocations, 2);
    durable_test_operation *w = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&w, res, "year"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(w), DURABLE_OP_SUCCEEDED);
    CU_ASSERT(durable_test_env_now() >= EF_T0 + 365 * 86400 * 1000LL);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();

    other_untouched(&other, EF_T0 + 60000);
    ef_close(&other);
    durable_vclock_free(vc);
    dt_remove_db(path);
    free(path);
}

/* Real time (timer scheduler): the run waits 2 s; another execution's wait
 * (1 s), callback timeout (1 s) and execution timeout (2 s) come due first
 * and are not the run's to fire. */
static void test_real_time_leaves_other_executions_timers(void)
{
    char *path = dt_temp_path("shared-real");
    ef other;
    other_start(&other, path, durable_clock_real(), 1, 1, 2);
    int64_t wait_due = durable_clock_now(durable_clock_real()) + 1000;

    shared_env_up(path, false);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_WAIT, .name = "two-seconds", .secs = 2 };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "realtime"), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 2);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();

    int64_t when = 0;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, other.eng), 0);
    /* Armed within a few ms of wait_due (read just after the checkpoint). */
    CU_ASSERT(when <= wait_due && when > wait_due - 1000);
    other_untouched(&other, when);
    ef_close(&other);
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_time");
    DT_ADD(s, test_prop_wait_skipping);
    DT_ADD(s, test_one_year_wait_and_one_day_callback_timeout);
    DT_ADD(s, test_retries_are_skipped);
    DT_ADD(s, test_heartbeat_and_execution_timeouts);
    DT_ADD(s, test_deterministic_histories);
    DT_ADD(s, test_real_time_wait);
    DT_ADD(s, test_skip_time_leaves_other_executions_timers);
    DT_ADD(s, test_real_time_leaves_other_executions_timers);
    return dt_run();
}
