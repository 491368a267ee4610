/* Callbacks in tests: responders, SPEC §12.4 action sequences, sending
 * callbacks on operations, waiting for operation states, log capture
 * (seed properties 9 and 18). */
#include <string.h>

#include "test_testing_prog.h"

#define CASES 100

static void det_env_up(int64_t idle_ms)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.deterministic_clock = true;
    if (idle_ms > 0)
        cfg.idle_limit_ms = idle_ms;
    CU_ASSERT_EQUAL_FATAL(durable_test_env_setup(&cfg), 0);
}

static durable_test_operation *op_named(durable_test_result *res, const char *name)
{
    durable_test_operation *op = NULL;
    durable_test_result_get_operation(&op, res, name);
    return op;
}

static int64_t op_duration(durable_test_operation *op)
{
    return durable_test_operation_end_timestamp(op) - durable_test_operation_start_timestamp(op);
}

/* ---- responders ---------------------------------------------------------------------- */

static int hb_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_callback *cb = NULL;
    durable_callback_options co = DURABLE_CALLBACK_OPTIONS_INIT;
    co.heartbeat_timeout_seconds = 10;
    int rc = durable_create_callback(ctx, &cb, "kept-alive", &co);
    if (rc != 0)
        return rc;
    const cJSON *v = NULL;
    rc = durable_callback_await(cb, &v);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

static void test_responder_heartbeats_then_succeeds(void)
{
    det_env_up(0);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, hb_handler, NULL, "hb"), 0);
    durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
    a.match = DURABLE_TEST_MATCH_EXACT;
    a.name = "kept-alive";
    a.op = DURABLE_TEST_CALLBACK_SUCCEED;
    a.payload = "{\"status\": \"approved\"}";
    a.delay_ms = 8000;
    a.heartbeat_count = 3;
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &a), 0);
    durable_test_result *res = NULL;
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT(mono_seconds() - t0 < 5.0); /* far below the virtual time skipped; loose enough for valgrind */
    /* 3 heartbeats 8 s apart kept a 10 s heartbeat timeout alive for 32 s. */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    durable_test_operation *op = op_named(res, "kept-alive");
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(op_duration(op), 32000);
    durable_test_callback_details cd;
    CU_ASSERT_EQUAL(durable_test_operation_callback_details(&cd, op), 0);
    CU_ASSERT_STRING_EQUAL(cd.result, "{\"status\": \"approved\"}");
    CU_ASSERT_PTR_NOT_NULL(cd.callback_id);
    durable_test_result_free(res);

    /* Without enough heartbeats the heartbeat timeout fires first. */
    durable_test_runner_clear_callback_actions(r);
    a.heartbeat_count = 0;
    a.delay_ms = 11000;
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &a), 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    op = op_named(res, "kept-alive");
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_TIMED_OUT);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

static void test_responder_fail_and_never(void)
{
    det_env_up(100);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.catch_failures = true;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "rejected" };
    p.ops[1] = (prog_op){ .kind = P_CALLBACK, .name = "ignored" };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "responders"), 0);
    durable_test_callback_action never = DURABLE_TEST_CALLBACK_ACTION_INIT;
    never.match = DURABLE_TEST_MATCH_EXACT;
    never.name = "ignored";
    never.op = DURABLE_TEST_CALLBACK_NEVER;
    durable_test_callback_action fail = DURABLE_TEST_CALLBACK_ACTION_INIT;
    fail.op = DURABLE_TEST_CALLBACK_FAIL;
    fail.error_type = "Rejected";
    fail.error_message = "not approved";
    fail.delay_ms = 3000;
    /* First matching responder wins: "ignored" hits NEVER before ANY. */
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &never), 0);
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &fail), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, NULL), DURABLE_EIDLE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    durable_test_operation *op = op_named(res, "rejected");
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_FAILED);
    CU_ASSERT_EQUAL(op_duration(op), 3000);
    durable_test_callback_details cd;
    CU_ASSERT_EQUAL(durable_test_operation_callback_details(&cd, op), 0);
    CU_ASSERT_STRING_EQUAL(cd.error->error_type, "Rejected");
    CU_ASSERT_STRING_EQUAL(cd.error->error_message, "not approved");
    CU_ASSERT_EQUAL(durable_test_operation_status(op_named(res, "ignored")), DURABLE_OP_STARTED);
    durable_test_result_free(res);

    durable_test_callback_action bad = DURABLE_TEST_CALLBACK_ACTION_INIT;
    bad.match = DURABLE_TEST_MATCH_REGEX;
    bad.name = "(unclosed";
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &bad), DURABLE_EINVAL);
    bad = (durable_test_callback_action)DURABLE_TEST_CALLBACK_ACTION_INIT;
    bad.delay_ms = -1;
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &bad), DURABLE_EINVAL);
    durable_test_runner_free(r);
    env_down();
}

/* ---- SPEC §12.4 action sequences ------------------------------------------------------------ */

static int two_callbacks(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_callback *a = NULL, *b = NULL;
    int rc = durable_create_callback(ctx, &a, "A", NULL);
    if (rc == 0)
        rc = durable_create_callback(ctx, &b, "B", NULL);
    const cJSON *va = NULL, *vb = NULL;
    if (rc == 0)
        rc = durable_callback_await(a, &va);
    if (rc == 0)
        rc = durable_callback_await(b, &vb);
    if (rc != 0)
        return rc;
    *out = cJSON_CreateArray();
    cJSON_AddItemToArray(*out, cJSON_Duplicate(va, 1));
    cJSON_AddItemToArray(*out, cJSON_Duplicate(vb, 1));
    return 0;
}

static void test_actions_delays_add_up(void)
{
    det_env_up(0);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, two_callbacks, NULL, "seq"), 0);
    durable_test_callback_action b = DURABLE_TEST_CALLBACK_ACTION_INIT;
    b.match = DURABLE_TEST_MATCH_EXACT;
    b.name = "B";
    b.payload = "\"b\"";
    b.delay_ms = 4000;
    durable_test_callback_action a = b;
    a.name = "A";
    a.payload = "\"a\"";
    a.delay_ms = 1000;
    /* Listed B first: matching is by name, timing by CallbackStarted order. */
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &b), 0);
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &a), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), 0);
    CU_ASSERT_STRING_EQUAL(text, "[\"\\\"a\\\"\",\"\\\"b\\\"\"]");
    /* A at +1 s, B at +1 + 4 = +5 s. */
    CU_ASSERT_EQUAL(op_duration(op_named(res, "A")), 1000);
    CU_ASSERT_EQUAL(op_duration(op_named(res, "B")), 5000);
    durable_test_result_free(res);

    /* The actions are used at most once per run, and again on the next run. */
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

static void test_actions_heartbeat_does_not_consume(void)
{
    det_env_up(0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "approval" };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "hbseq"), 0);
    durable_test_callback_action hb = DURABLE_TEST_CALLBACK_ACTION_INIT;
    hb.match = DURABLE_TEST_MATCH_REGEX;
    hb.name = "^appr";
    hb.op = DURABLE_TEST_CALLBACK_HEARTBEAT;
    durable_test_callback_action ok = DURABLE_TEST_CALLBACK_ACTION_INIT;
    ok.payload = "\"yes\"";
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &hb), 0);
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &ok), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    /* Heartbeat at +0, the success on the same callback 2 s later. */
    CU_ASSERT_EQUAL(op_duration(op_named(res, "approval")), 2000);
    durable_test_result_free(res);

    /* Strict: a callback no action matches ends the run with an error. */
    durable_test_runner_clear_callback_actions(r);
    durable_test_callback_action other = DURABLE_TEST_CALLBACK_ACTION_INIT;
    other.match = DURABLE_TEST_MATCH_EXACT;
    other.name = "something-else";
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &other), 0);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.strict_callback_actions = true;
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r, &o), 0);
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, NULL), DURABLE_ENOTFOUND);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "approval"));
    durable_test_runner_free(r);
    env_down();
}

static int submitter(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)sctx;
    char **slot = user;
    durable_free(*slot);
    *slot = durable_strdup(callback_id);
    return 0;
}

static int wfc_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    const cJSON *v = NULL;
    int rc = durable_wait_for_callback(ctx, &v, "wfc", submitter, user, NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

static void test_wait_for_callback_name_and_send(void)
{
    det_env_up(0);
    char *submitted = NULL;
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, wfc_handler, &submitted, "wfc"), 0);
    /* The unnamed callback inside inherits the context's name. */
    durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
    a.match = DURABLE_TEST_MATCH_EXACT;
    a.name = "wfc";
    a.payload = "\"via action\"";
    CU_ASSERT_EQUAL(durable_test_runner_add_callback_action(r, &a), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    durable_test_result_free(res);

    /* From the test thread: wait until submitted, then answer on the context. */
    durable_test_runner_clear_callback_actions(r);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_start(r, NULL), 0);
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_get_operation(&op, r, "wfc"), 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_SUBMITTED, 5000), 0);
    CU_ASSERT_TRUE(durable_test_operation_is_callback(op));
    CU_ASSERT_PTR_NOT_NULL(submitted);
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_success(op, "\"from test\""), 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_await(&res, r), 0);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), 0);
    CU_ASSERT_STRING_EQUAL(text, "\"\\\"from test\\\"\"");
    /* The id the submitter got is the callback's. */
    durable_test_operation *ctxop = op_named(res, "wfc");
    bool found = false;
    for (size_t i = 0; i < durable_test_operation_child_count(ctxop); i++) {
        durable_test_operation *ch = durable_test_operation_child(ctxop, i);
        durable_test_callback_details cd;
        if (durable_test_operation_callback_details(&cd, ch) == 0)
            found = submitted && strcmp(cd.callback_id, submitted) == 0;
    }
    CU_ASSERT_TRUE(found);
    durable_test_result_free(res);
    durable_free(submitted);
    durable_test_runner_free(r);
    env_down();
}

/* ---- property 9: callback methods on callback and other operations ------------------------ */

static void test_prop_callback_methods(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x909);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 1 + (int)dt_rng_below(&rng, 4);
        p.catch_failures = true;
        for (int i = 0; i < p.n; i++) {
            uint64_t k = dt_rng_below(&rng, 3);
            p.ops[i].kind = k == 0 ? P_STEP : k == 1 ? P_WAIT : P_CALLBACK;
            p.ops[i].secs = 1 + (int64_t)dt_rng_below(&rng, 100);
            snprintf(p.ops[i].name, sizeof p.ops[i].name, "op%d", i);
        }
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "methods"), 0);
        if (durable_test_runner_start(r, NULL) != 0) {
            DT_PROP(false, seed, c);
            durable_test_runner_free(r);
            break;
        }
        for (int i = 0; i < p.n; i++) {
            durable_test_operation *op = NULL;
            durable_test_runner_get_operation(&op, r, p.ops[i].name);
            int rc = durable_test_operation_wait(op, DURABLE_TEST_WAIT_SUBMITTED, 5000);
            DT_PROP(rc == 0, seed, c);
            if (rc != 0) {
                fprintf(stderr, "%s\n", durable_error_last()->message);
                break;
            }
            if (p.ops[i].kind != P_CALLBACK) {
                DT_PROP(!durable_test_operation_is_callback(op), seed, c);
                uint64_t m = dt_rng_below(&rng, 3);
                durable_error_object e = { 0 };
                rc = m == 0   ? durable_test_operation_send_callback_success(op, "1")
                     : m == 1 ? durable_test_operation_send_callback_failure(op, &e)
                              : durable_test_operation_send_callback_heartbeat(op);
                DT_PROP(rc == DURABLE_ENOTCALLBACK, seed, c);
                DT_PROP(strstr(durable_error_last()->message, "Not a callback operation") != NULL,
                        seed, c);
                continue;
            }
            DT_PROP(durable_test_operation_is_callback(op), seed, c);
            DT_PROP(durable_test_operation_send_callback_heartbeat(op) == 0, seed, c);
            if (dt_rng_below(&rng, 2)) {
                DT_PROP(durable_test_operation_send_callback_success(op, "\"ok\"") == 0, seed, c);
            } else {
                durable_error_object e = { 0 };
                e.error_type = "Denied";
                e.error_message = "no";
                DT_PROP(durable_test_operation_send_callback_failure(op, &e) == 0, seed, c);
            }
            /* Exactly once: the next completion is rejected, naming the id. */
            DT_PROP(durable_test_operation_send_callback_success(op, "1") == DURABLE_ECALLBACK_DONE,
                    seed, c);
            DT_PROP(strstr(durable_error_last()->message, "Callback already completed") != NULL,
                    seed, c);
        }
        durable_test_result *res = NULL;
        DT_PROP(durable_test_runner_await(&res, r) == 0, seed, c);
        DT_PROP(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED, seed, c);
        /* Result handles: the same rules (the execution is closed now). */
        for (size_t i = 0; i < durable_test_result_operation_count(res); i++) {
            durable_test_operation *op = durable_test_result_operation_at(res, i);
            int rc = durable_test_operation_send_callback_heartbeat(op);
            if (durable_test_operation_type(op) == DURABLE_OP_CALLBACK)
                DT_PROP(rc == DURABLE_ECALLBACK_DONE || rc == DURABLE_ECLOSED, seed, c);
            else
                DT_PROP(rc == DURABLE_ENOTCALLBACK, seed, c);
        }
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    CU_ASSERT_EQUAL(durable_test_send_callback_success("bm90LWEtY2FsbGJhY2s=", "1"),
                    DURABLE_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Callback not found"));
    env_down();
}

/* ---- property 18: waiting for operation data ---------------------------------------------- */

static void test_prop_wait_for_data(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x1818);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 2 + (int)dt_rng_below(&rng, 3);
        for (int i = 0; i < p.n; i++) {
            uint64_t k = dt_rng_below(&rng, 3);
            p.ops[i].kind = k == 0 ? P_STEP : k == 1 ? P_WAIT : P_CALLBACK;
            p.ops[i].secs = 1 + (int64_t)dt_rng_below(&rng, 100);
            snprintf(p.ops[i].name, sizeof p.ops[i].name, "op%d", i);
        }
        /* Half the cases end with a failure right after a callback was
         * created (so it never completes) or before the last op starts. */
        bool early = dt_rng_below(&rng, 2) == 0;
        int target = (int)dt_rng_below(&rng, (uint64_t)p.n);
        if (early) {
            /* The target callback is failed by the responder: the handler
             * fails there and "after" never starts. */
            for (int i = 0; i < target; i++)
                if (p.ops[i].kind == P_CALLBACK)
                    p.ops[i].kind = P_STEP;
            p.ops[target].kind = P_CALLBACK;
            p.ops[target].timeout = 0;
            p.n = target + 2;
            p.ops[target + 1] = (prog_op){ .kind = P_STEP, .name = "after" };
        }
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "waitfor"), 0);
        durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
        a.op = early ? DURABLE_TEST_CALLBACK_FAIL : DURABLE_TEST_CALLBACK_SUCCEED;
        a.delay_ms = (int64_t)dt_rng_below(&rng, 5000);
        CU_ASSERT_EQUAL(durable_test_runner_add_callback_responder(r, &a), 0);
        durable_test_operation *t = NULL, *never = NULL;
        durable_test_runner_get_operation(&t, r, p.ops[target].name);
        durable_test_runner_get_operation(&never, r, "never-started");
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_start(r, NULL), 0);
        DT_PROP(durable_test_operation_wait(t, DURABLE_TEST_WAIT_STARTED, 5000) == 0, seed, c);
        DT_PROP(durable_test_operation_exists(t), seed, c);
        DT_PROP(durable_test_operation_wait(t, DURABLE_TEST_WAIT_COMPLETED, 5000) == 0, seed, c);
        DT_PROP(durable_op_status_is_terminal(durable_test_operation_status(t)), seed, c);
        /* An operation that never starts: the execution completes first. */
        int rc = durable_test_operation_wait(never, DURABLE_TEST_WAIT_STARTED, 5000);
        DT_PROP(rc == DURABLE_ECOMPLETED_EARLY, seed, c);
        DT_PROP(strstr(durable_error_last()->message, "never-started") != NULL, seed, c);
        durable_test_result *res = NULL;
        DT_PROP(durable_test_runner_await(&res, r) == 0, seed, c);
        DT_PROP(durable_test_result_status(res) ==
                    (early ? DURABLE_EXEC_FAILED : DURABLE_EXEC_SUCCEEDED),
                seed, c);
        durable_test_operation *after = NULL;
        durable_test_runner_get_operation(&after, r, "after");
        DT_PROP(durable_test_operation_wait(after, DURABLE_TEST_WAIT_STARTED, 100) ==
                    DURABLE_ECOMPLETED_EARLY,
                seed, c);
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

static void test_wait_timeout_and_early_completion(void)
{
    env_up(true, 0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.ops[0] = (prog_op){ .kind = P_CALLBACK, .name = "manual" };
    p.fail_at_end = true;
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "manual"), 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_start(r, NULL), 0);
    durable_test_operation *op = NULL;
    durable_test_runner_get_operation(&op, r, "manual");
    CU_ASSERT_EQUAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_SUBMITTED, 5000), 0);
    double t0 = mono_seconds();
    CU_ASSERT_EQUAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_COMPLETED, 50),
                    DURABLE_ETIMEOUT);
    CU_ASSERT(mono_seconds() - t0 >= 0.045);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Timeout waiting for operation"));
    CU_ASSERT_EQUAL(durable_test_operation_send_callback_success(op, "1"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_wait(op, DURABLE_TEST_WAIT_COMPLETED, 5000), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL(durable_test_runner_await(&res, r), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    /* A result handle: reached → 0; not reached → completed early. */
    durable_test_operation *rop = op_named(res, "manual");
    CU_ASSERT_EQUAL(durable_test_operation_wait(rop, DURABLE_TEST_WAIT_COMPLETED, 0), 0);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

/* ---- log capture ---------------------------------------------------------------------------------- */

static int logging_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "hello %d", 42);
    int rc = durable_wait(ctx, "pause", 1);
    if (rc != 0)
        return rc;
    /* A new operation after the replayed ones: the context is live again. */
    prog_op op = { .kind = P_STEP, .value = 1 };
    const cJSON *v = NULL;
    rc = durable_step(ctx, &v, "after", prog_step_body, &op, NULL);
    if (rc != 0)
        return rc;
    durable_ctx_log(ctx, DURABLE_LOG_WARN, "after the wait");
    *out = cJSON_CreateTrue();
    return 0;
}

static void test_log_capture(void)
{
    env_up(true, 0);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, logging_handler, NULL, "logs"), 0);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.log_level = DURABLE_LOG_INFO;
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r, &o), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    /* "hello" once (quiet while replaying), "after the wait" once. */
    int hello = 0, after = 0;
    for (size_t i = 0; i < durable_test_result_log_count(res); i++) {
        const char *line = durable_test_result_log_line(res, i);
        cJSON *j = cJSON_Parse(line);
        CU_ASSERT_PTR_NOT_NULL(j);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
        if (cJSON_IsString(m) && strcmp(m->valuestring, "hello 42") == 0)
            hello++;
        if (cJSON_IsString(m) && strcmp(m->valuestring, "after the wait") == 0)
            after++;
        cJSON_Delete(j);
    }
    CU_ASSERT_EQUAL(hello, 1);
    CU_ASSERT_EQUAL(after, 1);
    CU_ASSERT_PTR_NULL(durable_test_result_log_line(res, durable_test_result_log_count(res)));
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_callbacks");
    DT_ADD(s, test_responder_heartbeats_then_succeeds);
    DT_ADD(s, test_responder_fail_and_never);
    DT_ADD(s, test_actions_delays_add_up);
    DT_ADD(s, test_actions_heartbeat_does_not_consume);
    DT_ADD(s, test_prop_callback_methods);
    DT_ADD(s, test_prop_wait_for_data);
    DT_ADD(s, test_wait_timeout_and_early_completion);
    DT_ADD(s, test_log_capture);
    DT_ADD(s, test_wait_for_callback_name_and_send);
    return dt_run();
}
