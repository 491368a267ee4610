/* The local test runner: environment lifecycle, run, results, lookups,
 * typed details, reset, registered functions (seed properties 1, 2, 3, 5,
 * 6, 7, 8, 10). */
#include <string.h>

#include "sdk/ckpt_worker.h"
#include "test_testing_prog.h"
#include "testing/testing_internal.h"

#define CASES 100

static int echo_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)user;
    *out = input ? cJSON_Duplicate(input, 1) : NULL;
    return 0;
}

/* ---- environment ---------------------------------------------------------------- */

static void test_env_not_setup(void)
{
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, echo_handler, NULL, "echo"), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_FALSE(durable_test_env_is_setup());
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, "1"), DURABLE_ENOTSETUP);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "EnvironmentNotSetUp"));
    CU_ASSERT_EQUAL(durable_test_runner_start(r, "1"), DURABLE_ENOTSETUP);
    CU_ASSERT_EQUAL(durable_test_env_teardown(), DURABLE_ENOTSETUP);
    CU_ASSERT_EQUAL(durable_test_send_callback_heartbeat("x"), DURABLE_ENOTSETUP);
    durable_client *c = NULL;
    CU_ASSERT_EQUAL(durable_test_env_client(&c), DURABLE_ENOTSETUP);
    durable_test_runner_free(r);
}

static void test_env_lifecycle(void)
{
    durable_test_env_config bad = DURABLE_TEST_ENV_CONFIG_INIT;
    bad.skip_time = false;
    bad.deterministic_clock = true;
    CU_ASSERT_EQUAL(durable_test_env_setup(&bad), DURABLE_EINVAL);
    bad = (durable_test_env_config)DURABLE_TEST_ENV_CONFIG_INIT;
    bad.idle_limit_ms = 0;
    CU_ASSERT_EQUAL(durable_test_env_setup(&bad), DURABLE_EINVAL);
    CU_ASSERT_FALSE(durable_test_env_is_setup());

    /* Set up and tear down several times: the server thread starts and
     * stops cleanly each time (seed property 11). */
    for (int i = 0; i < 3; i++) {
        env_up(true, 0);
        CU_ASSERT_TRUE(durable_test_env_is_setup());
        CU_ASSERT_STRING_EQUAL(durable_test_env_db_path(), ":memory:");
        CU_ASSERT_EQUAL(durable_test_env_setup(NULL), DURABLE_ESTATE);
        int64_t t0 = durable_test_env_now();
        CU_ASSERT_EQUAL(durable_test_env_advance_clock(3600 * 1000), 0);
        CU_ASSERT(durable_test_env_now() - t0 >= 3600 * 1000);
        env_down();
        CU_ASSERT_FALSE(durable_test_env_is_setup());
    }
    env_up(false, 0);
    CU_ASSERT_EQUAL(durable_test_env_advance_clock(1), DURABLE_ESTATE);
    env_down();
}

static void test_run_echo(void)
{
    env_up(true, 0);
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, echo_handler, NULL, "echo"), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, "{\"a\":[1,2]}"), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), 0);
    CU_ASSERT_STRING_EQUAL(text, "{\"a\":[1,2]}");
    const durable_error_object *err = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_error(&err, res), DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable_test_result_operation_count(res), 0);
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 1);
    const durable_test_invocation *inv = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_invocation(&inv, res, 0), 0);
    CU_ASSERT_PTR_NOT_NULL(inv->request_id);
    CU_ASSERT_PTR_NULL(inv->error);
    CU_ASSERT(inv->end_timestamp >= inv->start_timestamp);
    CU_ASSERT_EQUAL(durable_test_result_get_invocation(&inv, res, 1), DURABLE_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Invocation not found"));
    /* ExecutionStarted, InvocationCompleted, ExecutionSucceeded (SPEC §9). */
    CU_ASSERT_EQUAL(durable_test_result_event_count(res), 3);
    CU_ASSERT_EQUAL(durable_test_result_event(res, 0)->type, DURABLE_EVENT_EXECUTION_STARTED);
    CU_ASSERT_EQUAL(durable_test_result_event(res, 1)->type, DURABLE_EVENT_INVOCATION_COMPLETED);
    CU_ASSERT_EQUAL(durable_test_result_event(res, 2)->type, DURABLE_EVENT_EXECUTION_SUCCEEDED);
    char *json = NULL;
    CU_ASSERT_EQUAL(durable_test_result_history_json(&json, res, DURABLE_TS_RFC3339, false), 0);
    CU_ASSERT_PTR_NOT_NULL(json && strstr(json, "\"ExecutionSucceeded\""));
    CU_ASSERT_PTR_NOT_NULL(json && strstr(json, "\"Events\":["));
    durable_free(json);
    durable_test_result_free(res);

    /* Input that is not JSON is a serialization error; nothing runs. */
    CU_ASSERT_EQUAL(durable_test_runner_run(&res, r, "{nope"), DURABLE_ESERDES);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Serialization error"));
    /* No input: the handler sees null. */
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, NULL), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    durable_test_result_free(res);
    /* Teardown while idle works; the runner outlives the environment. */
    env_down();
    durable_test_runner_free(r);
}

/* ---- seed properties -------------------------------------------------------------------- */

static bool prog_should_fail(const prog *p)
{
    return p->fail_at_end || (!p->catch_failures && prog_has_failure(p));
}

static int run_prog(durable_test_result **res, durable_test_runner **r, prog *p)
{
    int rc = durable_test_runner_new(r, prog_handler, p, "prog");
    if (rc != 0)
        return rc;
    rc = durable_test_runner_run(res, *r, "null");
    if (rc != 0)
        fprintf(stderr, "run: %s\n", durable_error_last()->message);
    return rc;
}

/* Property 1: handler success ⇒ SUCCEEDED, handler error ⇒ FAILED.
 * Property 5: get_result returns the value of a success, an error otherwise. */
static void test_prop_status_and_result(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x101);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        prog_random(&p, &rng, 6, true);
        p.fail_at_end = dt_rng_below(&rng, 4) == 0;
        p.catch_failures = dt_rng_below(&rng, 2) == 0;
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        int rc = run_prog(&res, &r, &p);
        DT_PROP(rc == 0, seed, c);
        if (rc != 0) {
            durable_test_runner_free(r);
            break;
        }
        bool fail = prog_should_fail(&p);
        durable_exec_status want = fail ? DURABLE_EXEC_FAILED : DURABLE_EXEC_SUCCEEDED;
        DT_PROP(durable_test_result_status(res) == want, seed, c);
        const char *text = NULL;
        const durable_error_object *err = NULL;
        if (!fail) {
            DT_PROP(durable_test_result_get_result(&text, res) == 0, seed, c);
            char want_text[32];
            snprintf(want_text, sizeof want_text, "%lld", (long long)prog_expected_sum(&p));
            DT_PROP(text && strcmp(text, want_text) == 0, seed, c);
            cJSON *j = NULL;
            DT_PROP(durable_test_result_get_result_json(&j, res) == 0 && cJSON_IsNumber(j) &&
                        (int64_t)j->valuedouble == prog_expected_sum(&p),
                    seed, c);
            cJSON_Delete(j);
            DT_PROP(durable_test_result_get_error(&err, res) == DURABLE_ESTATE, seed, c);
        } else {
            DT_PROP(durable_test_result_get_result(&text, res) == DURABLE_EFAILED, seed, c);
            DT_PROP(durable_test_result_get_error(&err, res) == 0 && err, seed, c);
            /* The first failure wins: a failing step (kind StepError) unless
             * failures are caught, else the final ProgError. */
            bool step_first = !p.catch_failures && prog_has_failure(&p);
            const char *type = step_first ? "StepError" : "ProgError";
            DT_PROP(err && err->error_type && strcmp(err->error_type, type) == 0, seed, c);
            if (!step_first)
                DT_PROP(err && err->error_data && strcmp(err->error_data, "{\"n\":1}") == 0,
                        seed, c);
        }
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

/* The operations a program leaves, in start order: (type, name, parent
 * index or -1). */
typedef struct want_op {
    durable_op_type type;
    const char *name;
    int parent;
    durable_op_status status;
} want_op;

static int prog_expected_ops(const prog *p, want_op *w)
{
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        const prog_op *op = &p->ops[i];
        w[n].type = prog_type(op);
        w[n].name = op->name[0] ? op->name : NULL;
        w[n].parent = -1;
        w[n].status = op->kind == P_FAIL_STEP ? DURABLE_OP_FAILED : DURABLE_OP_SUCCEEDED;
        n++;
        if (op->kind == P_CHILD) {
            w[n].type = DURABLE_OP_STEP;
            w[n].name = "inner";
            w[n].parent = n - 1;
            w[n].status = DURABLE_OP_SUCCEEDED;
            n++;
        }
        if (op->kind == P_FAIL_STEP && !p->catch_failures)
            break;
    }
    return n;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Property 2: every operation is captured, in execution order.
 * Property 6: filtering by status returns exactly the operations with it. */
static void test_prop_capture_and_filter(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x202);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        prog_random(&p, &rng, 8, true);
        p.catch_failures = dt_rng_below(&rng, 2) == 0;
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        if (run_prog(&res, &r, &p) != 0) {
            DT_PROP(false, seed, c);
            durable_test_runner_free(r);
            break;
        }
        want_op w[96];
        int n = prog_expected_ops(&p, w);
        DT_PROP(durable_test_result_operation_count(res) == (size_t)n, seed, c);
        for (int i = 0; i < n && (size_t)i < durable_test_result_operation_count(res); i++) {
            durable_test_operation *op = durable_test_result_operation_at(res, (size_t)i);
            DT_PROP(durable_test_operation_type(op) == w[i].type, seed, c);
            DT_PROP(same_str(durable_test_operation_name(op), w[i].name), seed, c);
            DT_PROP(durable_test_operation_status(op) == w[i].status, seed, c);
            const char *pid = durable_test_operation_parent_id(op);
            if (w[i].parent < 0) {
                DT_PROP(pid == NULL, seed, c);
            } else {
                durable_test_operation *parent =
                    durable_test_result_operation_at(res, (size_t)w[i].parent);
                DT_PROP(same_str(pid, durable_test_operation_id(parent)), seed, c);
                DT_PROP(durable_test_operation_child_count(parent) == 1 &&
                            durable_test_operation_child(parent, 0) == op,
                        seed, c);
            }
            if (i > 0) {
                durable_test_operation *prev = durable_test_result_operation_at(res, (size_t)i - 1);
                DT_PROP(durable_test_operation_start_timestamp(prev) <=
                            durable_test_operation_start_timestamp(op),
                        seed, c);
            }
        }
        DT_PROP(durable_test_result_operation_at(res, (size_t)n) == NULL, seed, c);
        static const durable_op_status sts[] = { DURABLE_OP_STARTED, DURABLE_OP_SUCCEEDED,
                                                 DURABLE_OP_FAILED, DURABLE_OP_PENDING };
        for (size_t s = 0; s < 4; s++) {
            size_t manual = 0;
            for (int i = 0; i < n; i++)
                if (w[i].status == sts[s])
                    manual++;
            durable_test_operation *got[96];
            size_t k = durable_test_result_operations_by_status(got, 96, res, sts[s]);
            DT_PROP(k == manual, seed, c);
            for (size_t i = 0; i < k && i < 96; i++)
                DT_PROP(durable_test_operation_status(got[i]) == sts[s], seed, c);
            DT_PROP(durable_test_result_operations_by_status(NULL, 0, res, sts[s]) == k, seed,
                    c);
        }
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

/* Property 7: lookups by name, index, name + index and id agree with
 * direct access (result lookups and the runner's live handles). */
static void test_prop_lookup(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x303);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        prog_random(&p, &rng, 8, false);
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        if (run_prog(&res, &r, &p) != 0) {
            DT_PROP(false, seed, c);
            durable_test_runner_free(r);
            break;
        }
        size_t n = durable_test_result_operation_count(res);
        for (size_t i = 0; i < n; i++) {
            durable_test_operation *direct = durable_test_result_operation_at(res, i);
            durable_test_operation *got = NULL;
            DT_PROP(durable_test_result_get_operation_by_index(&got, res, i) == 0 && got == direct,
                    seed, c);
            const char *id = durable_test_operation_id(direct);
            DT_PROP(durable_test_result_get_operation_by_id(&got, res, id) == 0 && got == direct,
                    seed, c);
            durable_test_operation *live = NULL;
            DT_PROP(durable_test_runner_get_operation_by_index(&live, r, i) == 0, seed, c);
            DT_PROP(durable_test_operation_exists(live) &&
                        same_str(durable_test_operation_id(live), id) &&
                        durable_test_operation_status(live) == durable_test_operation_status(direct),
                    seed, c);
            const char *name = durable_test_operation_name(direct);
            if (!name)
                continue;
            /* First with that name, and the k-th with that name. */
            size_t k = 0;
            durable_test_operation *first = NULL;
            for (size_t j = 0; j <= i; j++) {
                durable_test_operation *o = durable_test_result_operation_at(res, j);
                if (same_str(durable_test_operation_name(o), name)) {
                    if (!first)
                        first = o;
                    if (j < i)
                        k++;
                }
            }
            DT_PROP(durable_test_result_get_operation(&got, res, name) == 0 && got == first,
                    seed, c);
            DT_PROP(durable_test_result_get_operation_by_name_and_index(&got, res, name, k) == 0 &&
                        got == direct,
                    seed, c);
            DT_PROP(durable_test_runner_get_operation_by_name_and_index(&live, r, name, k) == 0 &&
                        same_str(durable_test_operation_id(live), id),
                    seed, c);
            DT_PROP(durable_test_runner_get_operation(&live, r, name) == 0 &&
                        same_str(durable_test_operation_id(live), durable_test_operation_id(first)),
                    seed, c);
        }
        durable_test_operation *got = NULL;
        DT_PROP(durable_test_result_get_operation_by_index(&got, res, n) == DURABLE_ENOTFOUND,
                seed, c);
        DT_PROP(strstr(durable_error_last()->message, "Operation not found") != NULL, seed, c);
        DT_PROP(durable_test_result_get_operation(&got, res, "no-such-name") == DURABLE_ENOTFOUND,
                seed, c);
        DT_PROP(strstr(durable_error_last()->message, "no-such-name") != NULL, seed, c);
        DT_PROP(durable_test_result_get_operation_by_id(&got, res, "0123456789abcdef") ==
                    DURABLE_ENOTFOUND,
                seed, c);
        durable_test_operation *live = NULL;
        DT_PROP(durable_test_runner_get_operation(&live, r, "no-such-name") == 0 &&
                    !durable_test_operation_exists(live),
                seed, c);
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

/* Property 8: each operation gives its own type's details and a type
 * mismatch error for every other kind. */
static void test_prop_typed_details(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x404);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        prog_random(&p, &rng, 6, false);
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        if (run_prog(&res, &r, &p) != 0) {
            DT_PROP(false, seed, c);
            durable_test_runner_free(r);
            break;
        }
        size_t n = durable_test_result_operation_count(res);
        int pi = 0; /* index into the program (children skipped) */
        for (size_t i = 0; i < n; i++) {
            durable_test_operation *op = durable_test_result_operation_at(res, i);
            durable_op_type t = durable_test_operation_type(op);
            durable_test_step_details sd;
            durable_test_wait_details wd;
            durable_test_callback_details cd;
            durable_test_invoke_details id;
            durable_test_context_details xd;
            int rs = durable_test_operation_step_details(&sd, op);
            int rw = durable_test_operation_wait_details(&wd, op);
            int rcb = durable_test_operation_callback_details(&cd, op);
            int ri = durable_test_operation_invoke_details(&id, op);
            int rx = durable_test_operation_context_details(&xd, op);
            DT_PROP(rs == (t == DURABLE_OP_STEP ? 0 : DURABLE_ETYPE), seed, c);
            DT_PROP(rw == (t == DURABLE_OP_WAIT ? 0 : DURABLE_ETYPE), seed, c);
            DT_PROP(rcb == DURABLE_ETYPE && ri == DURABLE_ETYPE, seed, c);
            DT_PROP(rx == (t == DURABLE_OP_CONTEXT ? 0 : DURABLE_ETYPE), seed, c);
            if (durable_test_operation_parent_id(op))
                continue; /* the inner step of a child context */
            const prog_op *po = &p.ops[pi++];
            char want[32];
            snprintf(want, sizeof want, "%lld", (long long)po->value);
            if (t == DURABLE_OP_STEP && rs == 0) {
                DT_PROP(sd.attempt == 1 && sd.error == NULL, seed, c);
                DT_PROP(sd.result && strcmp(sd.result, want) == 0, seed, c);
            } else if (t == DURABLE_OP_WAIT && rw == 0) {
                DT_PROP(wd.wait_seconds == po->secs, seed, c);
                DT_PROP(wd.scheduled_end_timestamp ==
                            durable_test_operation_start_timestamp(op) + po->secs * 1000,
                        seed, c);
            } else if (t == DURABLE_OP_CONTEXT && rx == 0) {
                DT_PROP(xd.result && strcmp(xd.result, want) == 0 && !xd.error, seed, c);
            }
        }
        /* The message names both types. */
        durable_test_operation *op0 = durable_test_result_operation_at(res, 0);
        durable_test_invoke_details id;
        DT_PROP(durable_test_operation_invoke_details(&id, op0) == DURABLE_ETYPE, seed, c);
        DT_PROP(strstr(durable_error_last()->message, "Operation type mismatch: expected "
                                                      "CHAINED_INVOKE") != NULL,
                seed, c);
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

/* Property 3: reset clears the operations; registrations survive. */
static int double_fn(cJSON **result, durable_error_object *error, const cJSON *input, void *user)
{
    (void)error;
    (void)user;
    *result = cJSON_CreateNumber(2 * (input ? input->valuedouble : 0));
    return 0;
}

static void test_prop_reset(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x505);
    env_up(true, 0);
    for (int c = 0; c < CASES; c++) {
        prog p;
        prog_random(&p, &rng, 5, false);
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "prog"), 0);
        CU_ASSERT_EQUAL(durable_test_runner_register_function(r, "double", double_fn, NULL), 0);
        durable_test_operation *live = NULL;
        DT_PROP(durable_test_runner_get_operation_by_index(&live, r, 0) == 0, seed, c);
        DT_PROP(!durable_test_operation_exists(live), seed, c);
        durable_test_result *res = NULL;
        DT_PROP(durable_test_runner_run(&res, r, NULL) == 0, seed, c);
        DT_PROP(durable_test_operation_exists(live), seed, c);
        DT_PROP(durable_test_runner_execution_arn(r) != NULL, seed, c);
        char *first_arn = durable_strdup(durable_test_runner_execution_arn(r));
        DT_PROP(durable_test_runner_reset(r) == 0, seed, c);
        DT_PROP(!durable_test_operation_exists(live), seed, c);
        DT_PROP(durable_test_operation_id(live) == NULL, seed, c);
        DT_PROP(durable_test_runner_execution_arn(r) == NULL, seed, c);
        int64_t calls = -1;
        DT_PROP(durable_test_runner_function_call_count(&calls, r, "double") == 0 && calls == 0,
                seed, c);
        durable_test_result_free(res);
        /* Ready for a new run: a new execution, the same operations again. */
        p.invocations = 0;
        DT_PROP(durable_test_runner_run(&res, r, NULL) == 0, seed, c);
        DT_PROP(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED, seed, c);
        DT_PROP(strcmp(durable_test_runner_execution_arn(r), first_arn) != 0, seed, c);
        DT_PROP(durable_test_operation_exists(live), seed, c);
        durable_free(first_arn);
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

/* Property 10: a registered function is executed when invoked; an unknown
 * name fails the invoke with "Function not found" and the run finishes. */
static int triple_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    prog_op op;
    memset(&op, 0, sizeof op);
    op.kind = P_STEP;
    op.value = 3 * (int64_t)(input ? input->valuedouble : 0);
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "triple", prog_step_body, &op, NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_CreateNumber(v->valuedouble);
    return 0;
}

static int failing_fn(cJSON **result, durable_error_object *error, const cJSON *input, void *user)
{
    (void)result;
    (void)input;
    (void)user;
    error->error_type = durable_strdup("PlainError");
    error->error_message = durable_strdup("plain function failed");
    return 1;
}

static void test_prop_registered_functions(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x606);
    env_up(true, 0);
    static const char *const targets[] = { "double", "triple", "missing", "failing",
                                           "triple:$LATEST" };
    for (int c = 0; c < CASES; c++) {
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 1;
        p.catch_failures = true;
        int t = (int)dt_rng_below(&rng, 5);
        p.ops[0].kind = P_INVOKE;
        snprintf(p.ops[0].name, sizeof p.ops[0].name, "call");
        snprintf(p.ops[0].target, sizeof p.ops[0].target, "%s", targets[t]);
        p.ops[0].value = (int64_t)dt_rng_below(&rng, 100);
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, prog_handler, &p, "parent"), 0);
        CU_ASSERT_EQUAL(durable_test_runner_register_function(r, "double", double_fn, NULL), 0);
        CU_ASSERT_EQUAL(durable_test_runner_register_function(r, "failing", failing_fn, NULL), 0);
        CU_ASSERT_EQUAL(durable_test_runner_register_durable_function(r, "triple", triple_handler,
                                                                      NULL),
                        0);
        durable_test_result *res = NULL;
        int rc = durable_test_runner_run(&res, r, NULL);
        DT_PROP(rc == 0, seed, c);
        if (rc != 0) {
            fprintf(stderr, "%s\n", durable_error_last()->message);
            durable_test_runner_free(r);
            break;
        }
        DT_PROP(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED, seed, c);
        durable_test_operation *op = NULL;
        DT_PROP(durable_test_result_get_operation(&op, res, "call") == 0, seed, c);
        durable_test_invoke_details d;
        DT_PROP(durable_test_operation_invoke_details(&d, op) == 0, seed, c);
        int64_t calls_double = 0, calls_triple = 0, calls_failing = 0;
        durable_test_runner_function_call_count(&calls_double, r, "double");
        durable_test_runner_function_call_count(&calls_triple, r, "triple");
        durable_test_runner_function_call_count(&calls_failing, r, "failing");
        char want[32];
        if (t == 0) {
            snprintf(want, sizeof want, "%lld", (long long)(2 * p.ops[0].value));
            DT_PROP(d.result && strcmp(d.result, want) == 0, seed, c);
            DT_PROP(calls_double == 1 && calls_triple == 0, seed, c);
        } else if (t == 1 || t == 4) {
            snprintf(want, sizeof want, "%lld", (long long)(3 * p.ops[0].value));
            DT_PROP(d.result && strcmp(d.result, want) == 0, seed, c);
            DT_PROP(calls_triple >= 1 && calls_double == 0, seed, c);
        } else if (t == 2) {
            DT_PROP(durable_test_operation_status(op) == DURABLE_OP_FAILED, seed, c);
            DT_PROP(d.error && d.error->error_message &&
                        strcmp(d.error->error_message, "Function not found: missing") == 0,
                    seed, c);
            DT_PROP(calls_double + calls_triple + calls_failing == 0, seed, c);
        } else {
            DT_PROP(durable_test_operation_status(op) == DURABLE_OP_FAILED, seed, c);
            DT_PROP(d.error && d.error->error_type &&
                        strcmp(d.error->error_type, "PlainError") == 0,
                    seed, c);
            DT_PROP(calls_failing == 1, seed, c);
        }
        CU_ASSERT_EQUAL(durable_test_runner_unregister_function(r, "nothing"),
                        DURABLE_ENOFUNCTION);
        CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Function not registered"));
        durable_test_result_free(res);
        durable_test_runner_free(r);
    }
    env_down();
}

static void test_print_table(void)
{
    env_up(true, 0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 3;
    p.ops[0] = (prog_op){ .kind = P_STEP, .name = "first", .value = 1 };
    p.ops[1] = (prog_op){ .kind = P_WAIT, .name = "pause", .secs = 5 };
    p.ops[2] = (prog_op){ .kind = P_CHILD, .name = "kid", .value = 2 };
    durable_test_runner *r = NULL;
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(run_prog(&res, &r, &p), 0);
    char *t = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_format_table(&t, res, NULL), 0);
    /* Header + 4 rows; the wait lasted 5 virtual seconds. */
    int lines = 0;
    for (const char *s = t; *s; s++)
        lines += *s == '\n';
    CU_ASSERT_EQUAL(lines, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "NAME"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "pause"));
    /* The wait's DURATION (the last column) is its 5 virtual seconds, plus the
     * real milliseconds between the clock skip and the timer firing (the wait
     * ends when it fires, as in the service). */
    const char *prow = strstr(t, "pause");
    CU_ASSERT_PTR_NOT_NULL_FATAL(prow);
    const char *eol = strchr(prow, '\n');
    const char *last = eol;
    while (last > prow && last[-1] != ' ')
        last--;
    double secs = 0;
    CU_ASSERT_EQUAL(sscanf(last, "%lfs", &secs), 1);
    CU_ASSERT(secs >= 5.0 && secs < 6.0);
    CU_ASSERT_PTR_NULL(strstr(t, "PARENT ID"));
    /* Columns line up: "STATUS" starts at the same offset as "SUCCEEDED". */
    const char *h = strstr(t, "STATUS");
    const char *row = strchr(t, '\n') + 1;
    const char *cell = strstr(row, "SUCCEEDED");
    CU_ASSERT_EQUAL(h - t, cell - row);
    durable_free(t);
    durable_test_print_options o = DURABLE_TEST_PRINT_OPTIONS_INIT;
    o.parent_id = true;
    o.start = o.end = o.duration = false;
    CU_ASSERT_EQUAL(durable_test_result_format_table(&t, res, &o), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "PARENT ID"));
    CU_ASSERT_PTR_NULL(strstr(t, "DURATION"));
    durable_free(t);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
}

/* A run's result reads its history when first asked (it is most of a short
 * run's result cost), from the closed execution whose history is final: the
 * events, the JSON and the waits' exact durations equal those of a
 * snapshot taken at once, also when the environment is torn down before the
 * result is first read. */
static void test_deferred_history_complete(void)
{
    for (int torn_down = 0; torn_down < 2; torn_down++) {
        env_up(true, 0);
        prog p;
        memset(&p, 0, sizeof p);
        p.n = 3;
        p.ops[0] = (prog_op){ .kind = P_STEP, .name = "first", .value = 1 };
        p.ops[1] = (prog_op){ .kind = P_WAIT, .name = "pause", .secs = 7 };
        p.ops[2] = (prog_op){ .kind = P_CHILD, .name = "kid", .value = 2 };
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        CU_ASSERT_EQUAL_FATAL(run_prog(&res, &r, &p), 0);
        durable_test_result *snap = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_snapshot(&snap, r), 0);
        char *want = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_result_history_json(&want, snap, DURABLE_TS_RFC3339, false), 0);
        size_t want_count = durable_test_result_event_count(snap);
        CU_ASSERT(want_count >= 8); /* started, step, wait, context, succeeded */
        durable_test_runner_free(r);
        if (torn_down)
            env_down();
        CU_ASSERT_EQUAL(durable_test_result_event_count(res), want_count);
        char *got = NULL;
        CU_ASSERT_EQUAL(durable_test_result_history_json(&got, res, DURABLE_TS_RFC3339, false), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        CU_ASSERT_STRING_EQUAL(got, want);
        const durable_event *last = durable_test_result_event(res, want_count - 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(last);
        CU_ASSERT_EQUAL(last->type, DURABLE_EVENT_EXECUTION_SUCCEEDED);
        durable_test_operation *op = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "pause"), 0);
        durable_test_wait_details wd;
        CU_ASSERT_EQUAL(durable_test_operation_wait_details(&wd, op), 0);
        CU_ASSERT_EQUAL(wd.wait_seconds, 7);
        durable_free(got);
        durable_free(want);
        durable_test_result_free(snap);
        durable_test_result_free(res);
        if (!torn_down)
            env_down();
    }
}

/* The environment's checkpoint worker runs the batcher's async sender of
 * every in-process invocation: one thread for the whole run, however many
 * invocations it takes, and none before the first. */
static void test_invocations_share_one_checkpoint_thread(void)
{
    env_up(true, 0);
    durable__ckpt_worker *w = durable__tenv_worker();
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 0);
    prog p;
    memset(&p, 0, sizeof p);
    p.n = 8;
    for (int i = 0; i < 4; i++) {
        p.ops[2 * i] = (prog_op){ .kind = P_STEP, .name = "step", .value = i };
        p.ops[2 * i + 1] = (prog_op){ .kind = P_WAIT, .name = "pause", .secs = 5 };
    }
    durable_test_runner *r = NULL;
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(run_prog(&res, &r, &p), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 5);
    /* Each of the first four invocations starts one step (an async START). */
    CU_ASSERT(durable__ckpt_worker_served(w) >= 4);
    CU_ASSERT_EQUAL(durable__ckpt_worker_threads(w), 1);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
    CU_ASSERT_PTR_NULL(durable__tenv_worker());
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_runner");
    DT_ADD(s, test_env_not_setup);
    DT_ADD(s, test_env_lifecycle);
    DT_ADD(s, test_run_echo);
    DT_ADD(s, test_prop_status_and_result);
    DT_ADD(s, test_prop_capture_and_filter);
    DT_ADD(s, test_prop_lookup);
    DT_ADD(s, test_prop_typed_details);
    DT_ADD(s, test_prop_reset);
    DT_ADD(s, test_prop_registered_functions);
    DT_ADD(s, test_print_table);
    DT_ADD(s, test_deferred_history_complete);
    DT_ADD(s, test_invocations_share_one_checkpoint_thread);
    return dt_run();
}
