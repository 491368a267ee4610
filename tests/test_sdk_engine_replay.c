/* The SDK against the real engine on ":memory:" with a FIXED virtual clock:
 * first runs, replay after suspension and after completion (bodies never
 * re-run), exact retry delays, interrupted at-most-once steps,
 * non-determinism, swallowed PENDING, ReplayChildren, the large-result
 * path, callbacks and chained invokes. The loop of support/sdk_engine_env.h
 * plays the runner: start invocation → durable_handle_invocation → complete
 * → fire due timers at next_due. */
#include <pthread.h>
#include <string.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/store.h"
#include "model/internal.h"
#include "support/sdk_engine_env.h"
#include "support/testutil.h"

/* ---- handlers ---------------------------------------------------------------------- */

typedef struct runs {
    int body;          /* step body executions */
    int child_fn;      /* child function executions */
    int fail_first;    /* body fails this many attempts */
    char cb_id[1100];
    int attempts[8];
} runs;

static int compute_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    runs *r = user;
    int a = durable_step_attempt(sctx);
    if (r->body < 8)
        r->attempts[r->body] = a;
    r->body++;
    if (a <= r->fail_first)
        return durable_step_fail(sctx, "TransientError", "not yet", NULL);
    *result = cJSON_CreateString("computed");
    return 0;
}

static int step_wait_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, NULL, compute_body, user, NULL);
    if (rc)
        return rc;
    if ((rc = durable_wait(ctx, NULL, 2)) != 0)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void test_step_then_wait_replays_without_rerunning(void)
{
    env v;
    env_open(&v);
    runs r = {0};
    env_run(&v, NULL, step_wait_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "\"computed\"");
    CU_ASSERT_EQUAL(v.invocations, 2);
    CU_ASSERT_EQUAL(r.body, 1); /* the completed step never re-runs */
    durable_event_type want[] = {
        DURABLE_EVENT_EXECUTION_STARTED,     DURABLE_EVENT_STEP_STARTED,
        DURABLE_EVENT_STEP_SUCCEEDED,        DURABLE_EVENT_WAIT_STARTED,
        DURABLE_EVENT_INVOCATION_COMPLETED,  DURABLE_EVENT_WAIT_SUCCEEDED,
        DURABLE_EVENT_INVOCATION_COMPLETED,  DURABLE_EVENT_EXECUTION_SUCCEEDED};
    env_expect_events(&v, want, 8);
    const durable_event *e3 = env_event(&v, 3), *e4 = env_event(&v, 4), *e6 = env_event(&v, 6);
    if (e3 && e4 && e6) {
        CU_ASSERT_STRING_EQUAL(e3->id, "c4ca4238a0b92382");
        CU_ASSERT_STRING_EQUAL(e3->subtype, "Step");
        CU_ASSERT_STRING_EQUAL(e3->payload, "\"computed\"");
        CU_ASSERT_EQUAL(e3->current_attempt, 1);
        CU_ASSERT_STRING_EQUAL(e4->id, "c81e728d9d4c2f63");
        CU_ASSERT_EQUAL(e4->duration, 2);
        CU_ASSERT_EQUAL(e6->timestamp - e4->timestamp, 2000);
    }
    env_close(&v);
}

static const durable_retry_strategy *exact_strategy;

static int retry_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.retry = exact_strategy;
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, "flaky", compute_body, user, &o);
    if (rc)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void test_retries_with_exact_delays(void)
{
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 5;
    ro.initial_delay_seconds = 2;
    ro.backoff_rate = 3;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &ro), 0);
    exact_strategy = s;
    env v;
    env_open(&v);
    runs r = {0};
    r.fail_first = 2;
    env_run(&v, NULL, retry_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, 3);
    CU_ASSERT_EQUAL(r.body, 3);
    CU_ASSERT_EQUAL(r.attempts[0], 1);
    CU_ASSERT_EQUAL(r.attempts[1], 2);
    CU_ASSERT_EQUAL(r.attempts[2], 3);
    durable_event_type want[] = {
        DURABLE_EVENT_EXECUTION_STARTED,    DURABLE_EVENT_STEP_STARTED,
        DURABLE_EVENT_STEP_FAILED,          DURABLE_EVENT_INVOCATION_COMPLETED,
        DURABLE_EVENT_STEP_STARTED,         DURABLE_EVENT_STEP_FAILED,
        DURABLE_EVENT_INVOCATION_COMPLETED, DURABLE_EVENT_STEP_STARTED,
        DURABLE_EVENT_STEP_SUCCEEDED,       DURABLE_EVENT_INVOCATION_COMPLETED,
        DURABLE_EVENT_EXECUTION_SUCCEEDED};
    env_expect_events(&v, want, 11);
    const durable_event *f1 = env_event(&v, 3), *s2 = env_event(&v, 5), *f2 = env_event(&v, 6),
                        *s3 = env_event(&v, 8), *ok = env_event(&v, 9);
    if (f1 && s2 && f2 && s3 && ok) {
        CU_ASSERT_EQUAL(f1->current_attempt, 1);
        CU_ASSERT_EQUAL(f1->next_attempt_delay_seconds, 2);
        CU_ASSERT_STRING_EQUAL(f1->error->error_type, "TransientError");
        CU_ASSERT_EQUAL(f2->current_attempt, 2);
        CU_ASSERT_EQUAL(f2->next_attempt_delay_seconds, 6);
        CU_ASSERT_EQUAL(s2->timestamp - f1->timestamp, 2000);
        CU_ASSERT_EQUAL(s3->timestamp - f2->timestamp, 6000);
        CU_ASSERT_EQUAL(ok->current_attempt, 3);
        CU_ASSERT_STRING_EQUAL(ok->name, "flaky");
    }
    env_close(&v);
    durable_retry_strategy_free(s);
}

static int at_most_once_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
    o.retry = durable_retry_preset_none();
    return durable_step(ctx, NULL, "at_most_once_flaky_step", compute_body, user, &o);
}

/* The first invocation "crashes" right after its START was acknowledged. */
static void test_interrupted_at_most_once_step(void)
{
    env v;
    env_open(&v);
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_execution(&v.arn, NULL, v.engine, "fn", &so), 0);
    durable_invocation_input in;
    memset(&in, 0, sizeof(in));
    char *inv = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_invocation(&in, &inv, v.engine, v.arn, 0), 0);
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.id = (char *)"c4ca4238a0b92382";
    u.type = DURABLE_OP_STEP;
    u.action = DURABLE_ACTION_START;
    u.subtype = (char *)"Step";
    u.name = (char *)"at_most_once_flaky_step";
    durable_checkpoint_request req;
    memset(&req, 0, sizeof(req));
    req.durable_execution_arn = v.arn;
    req.checkpoint_token = in.checkpoint_token;
    req.updates = &u;
    req.update_count = 1;
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof(resp));
    CU_ASSERT_EQUAL_FATAL(durable_engine_checkpoint(&resp, v.engine, &req), 0);
    durable_checkpoint_response_clear(&resp);
    durable_invocation_outcome oc;
    CU_ASSERT_EQUAL(durable_engine_crash_invocation(&oc, v.engine, v.arn, inv, "exit status 1"), 0);
    durable_invocation_input_clear(&in);
    durable__free(inv);
    v.invocations = 1;

    runs r = {0};
    for (int guard = 0; guard < 20 && env_is_open(&v); guard++) {
        if (env_is_ready(&v)) {
            env_invoke_once(&v, at_most_once_handler, &r);
            continue;
        }
        int64_t when = 0;
        if (durable_engine_next_due(&when, v.engine) != 0)
            break;
        durable_vclock_advance_to(v.clock, when);
        durable_engine_fire_due(NULL, v.engine);
    }
    durable_history_request hr;
    memset(&hr, 0, sizeof(hr));
    hr.durable_execution_arn = v.arn;
    hr.max_items = 1000;
    CU_ASSERT_EQUAL(durable_engine_get_history(&v.history, v.engine, &hr), 0);
    CU_ASSERT_EQUAL(r.body, 0); /* never re-run */
    durable_event_type want[] = {DURABLE_EVENT_EXECUTION_STARTED, DURABLE_EVENT_STEP_STARTED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED, DURABLE_EVENT_STEP_FAILED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_EXECUTION_FAILED};
    env_expect_events(&v, want, 6);
    const durable_event *f = env_event(&v, 4);
    if (f) {
        CU_ASSERT_EQUAL(f->current_attempt, 1);
        CU_ASSERT_STRING_EQUAL(f->error->error_type, "StepInterruptedError");
        CU_ASSERT_EQUAL(f->next_attempt_delay_seconds, DURABLE_ABSENT);
    }
    const durable_event *ic = env_event(&v, 3);
    if (ic && ic->error)
        CU_ASSERT_STRING_EQUAL(ic->error->error_type, "Runtime.ExitError");
    env_close(&v);
}

/* Version A waits first; version B (after the first invocation) runs a step
 * where the wait was recorded. */
static int handler_a(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, NULL, 1);
}

static int handler_b(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    return durable_step(ctx, NULL, NULL, compute_body, user, NULL);
}

static int versioned_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    runs *r = user;
    return r->child_fn++ == 0 ? handler_a(ctx, input, out, user)
                              : handler_b(ctx, input, out, user);
}

static void test_non_determinism_fails_execution(void)
{
    env v;
    env_open(&v);
    runs r = {0};
    env_run(&v, NULL, versioned_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_FAILED);
    CU_ASSERT_EQUAL(r.body, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.info.error);
    CU_ASSERT_STRING_EQUAL(v.info.error->error_type, "NonDeterministicExecutionError");
    CU_ASSERT_EQUAL(strncmp(v.info.error->error_message,
                            "Non-deterministic execution detected:", 37), 0);
    env_close(&v);
}

static int swallow_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)durable_wait(ctx, NULL, 3); /* status ignored on purpose */
    const cJSON *r = NULL;
    if (durable_step(ctx, &r, NULL, compute_body, user, NULL) == 0)
        *out = cJSON_Duplicate(r, 1);
    else
        *out = cJSON_CreateString("wrong");
    return 0;
}

static void test_swallowed_pending_still_suspends(void)
{
    env v;
    env_open(&v);
    runs r = {0};
    env_run(&v, NULL, swallow_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "\"computed\"");
    CU_ASSERT_EQUAL(v.invocations, 2);
    CU_ASSERT_EQUAL(r.body, 1);
    env_close(&v);
}

static int big_child(durable_ctx *child, cJSON **result, void *user)
{
    runs *r = user;
    r->child_fn++;
    const cJSON *s = NULL;
    int rc = durable_step(child, &s, NULL, compute_body, user, NULL);
    if (rc)
        return rc;
    size_t n = 300 * 1024;
    char *big = durable__malloc(n + 1);
    memset(big, 'z', n);
    big[n] = 0;
    *result = cJSON_CreateString(big);
    durable__free(big);
    return 0;
}

static int replay_children_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    const cJSON *r = NULL;
    int rc = durable_run_in_child_context(ctx, &r, "big", big_child, user, NULL);
    if (rc)
        return rc;
    if ((rc = durable_wait(ctx, NULL, 1)) != 0)
        return rc;
    *out = cJSON_CreateNumber((double)strlen(r->valuestring));
    return 0;
}

static void test_replay_children_over_256k(void)
{
    env v;
    env_open(&v);
    runs r = {0};
    env_run(&v, NULL, replay_children_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "307200");
    CU_ASSERT_EQUAL(r.child_fn, 2); /* re-run to rebuild the result */
    CU_ASSERT_EQUAL(r.body, 1);     /* its step replayed from the checkpoint */
    const durable_event *cs = env_event(&v, 5);
    if (cs) {
        CU_ASSERT_EQUAL(cs->type, DURABLE_EVENT_CONTEXT_SUCCEEDED);
        CU_ASSERT_TRUE(cs->payload == NULL || strcmp(cs->payload, "") == 0);
    }
    env_close(&v);
}

static int large_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)input;
    (void)user;
    size_t n = 6291406; /* serialized: n + 2 quotes */
    char *big = durable__malloc(n + 1);
    memset(big, 'q', n);
    big[n] = 0;
    *out = cJSON_CreateString(big);
    durable__free(big);
    return 0;
}

static void test_large_result_path(void)
{
    env v;
    env_open(&v);
    env_run(&v, NULL, large_handler, NULL, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.info.result);
    CU_ASSERT_EQUAL(strlen(v.info.result), 6291408);
    durable_event_type want[] = {DURABLE_EVENT_EXECUTION_STARTED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_EXECUTION_SUCCEEDED};
    env_expect_events(&v, want, 3);
    env_close(&v);
}

static int callback_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    runs *r = user;
    durable_callback *cb = NULL;
    int rc = durable_create_callback(ctx, &cb, "approval", NULL);
    if (rc)
        return rc;
    snprintf(r->cb_id, sizeof(r->cb_id), "%s", durable_callback_id(cb));
    const cJSON *res = NULL;
    if ((rc = durable_callback_await(cb, &res)) != 0)
        return rc;
    *out = cJSON_Duplicate(res, 1);
    return 0;
}

static void complete_callback(env *v, void *user)
{
    runs *r = user;
    if (r->cb_id[0] && env_is_open(v) && v->invocations == 1)
        CU_ASSERT_EQUAL(durable_engine_callback_success(v->engine, r->cb_id, "{\"ok\": true}", 12),
                        0);
}

static void test_callback_round_trip(void)
{
    env v;
    env_open(&v);
    runs r = {0};
    v.between = complete_callback;
    v.between_user = &r;
    env_run(&v, NULL, callback_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    /* The raw Result string, serialized as the handler's JSON result. */
    CU_ASSERT_STRING_EQUAL(v.info.result, "\"{\\\"ok\\\": true}\"");
    CU_ASSERT_EQUAL(v.invocations, 2);
    durable_event_type want[] = {DURABLE_EVENT_EXECUTION_STARTED, DURABLE_EVENT_CALLBACK_STARTED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_CALLBACK_SUCCEEDED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_EXECUTION_SUCCEEDED};
    env_expect_events(&v, want, 6);
    env_close(&v);
}

static int invoke_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_invoke(ctx, &r, NULL, "echo", input, NULL);
    if (rc)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void complete_invoke(env *v, void *user)
{
    (void)user;
    durable_chained_invoke_list l;
    memset(&l, 0, sizeof(l));
    CU_ASSERT_EQUAL(durable_engine_list_chained_waiting(&l, v->engine), 0);
    for (size_t i = 0; i < l.count; i++)
        CU_ASSERT_EQUAL(durable_engine_complete_chained_invoke(
                            v->engine, l.items[i].parent_arn, l.items[i].op_id,
                            DURABLE_CHAINED_SUCCEEDED, l.items[i].input_payload, NULL),
                        0);
    durable_chained_invoke_list_clear(&l);
}

static void test_invoke_round_trip(void)
{
    env v;
    env_open(&v);
    v.between = complete_invoke;
    env_run(&v, "{\"n\":42}", invoke_handler, NULL, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "{\"n\":42}");
    const durable_event *st = env_event(&v, 2);
    if (st) {
        CU_ASSERT_EQUAL(st->type, DURABLE_EVENT_CHAINED_INVOKE_STARTED);
        CU_ASSERT_STRING_EQUAL(st->function_name, "echo");
        CU_ASSERT_STRING_EQUAL(st->payload, "{\"n\":42}");
        CU_ASSERT_STRING_EQUAL(st->subtype, "ChainedInvoke");
    }
    env_close(&v);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_engine_replay");
    DT_ADD(s, test_step_then_wait_replays_without_rerunning);
    DT_ADD(s, test_retries_with_exact_delays);
    DT_ADD(s, test_interrupted_at_most_once_step);
    DT_ADD(s, test_non_determinism_fails_execution);
    DT_ADD(s, test_swallowed_pending_still_suspends);
    DT_ADD(s, test_replay_children_over_256k);
    DT_ADD(s, test_large_result_path);
    DT_ADD(s, test_callback_round_trip);
    DT_ADD(s, test_invoke_round_trip);
    return dt_run();
}
