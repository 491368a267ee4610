/* Composites (waitForCallback, waitForCondition) against the
 * real engine on ":memory:" with a FIXED virtual clock, driven by the
 * runner loop of support/sdk_engine_env.h. */
#include <pthread.h>
#include <string.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/ids.h"
#include "durable/store.h"
#include "model/internal.h"
#include "support/sdk_engine_env.h"
#include "support/testutil.h"

/* ---- waitForCallback ---------------------------------------------------------------- */

typedef struct wcb {
    int submits;
    char cb_id[1100];
    int fail_status; /* 0: success; 1: external failure */
} wcb;

static int submitter(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)sctx;
    wcb *w = user;
    w->submits++;
    snprintf(w->cb_id, sizeof(w->cb_id), "%s", callback_id);
    return 0;
}

static int wcb_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    const cJSON *r = NULL;
    int rc = durable_wait_for_callback(ctx, &r, "approve", submitter, user, NULL);
    if (rc)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void complete_wcb(env *v, void *user)
{
    wcb *w = user;
    if (!w->cb_id[0] || !env_is_open(v) || v->invocations != 1)
        return;
    if (w->fail_status) {
        durable_error_object e = {(char *)"RejectedError", (char *)"not approved", NULL, NULL, 0};
        CU_ASSERT_EQUAL(durable_engine_callback_failure(v->engine, w->cb_id, &e), 0);
    } else {
        CU_ASSERT_EQUAL(durable_engine_callback_success(v->engine, w->cb_id, "yes", 3), 0);
    }
}

static void test_wait_for_callback_success(void)
{
    env v;
    env_open(&v);
    wcb w = {0};
    v.between = complete_wcb;
    v.between_user = &w;
    env_run(&v, NULL, wcb_handler, &w, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    if (v.info.result)
        CU_ASSERT_STRING_EQUAL(v.info.result, "\"yes\"");
    CU_ASSERT_EQUAL(v.invocations, 2);
    CU_ASSERT_EQUAL(w.submits, 1); /* the submitter step never re-runs */
    durable_event_type want[] = {
        DURABLE_EVENT_EXECUTION_STARTED,   DURABLE_EVENT_CONTEXT_STARTED,
        DURABLE_EVENT_CALLBACK_STARTED,    DURABLE_EVENT_STEP_STARTED,
        DURABLE_EVENT_STEP_SUCCEEDED,      DURABLE_EVENT_INVOCATION_COMPLETED,
        DURABLE_EVENT_CALLBACK_SUCCEEDED,  DURABLE_EVENT_CONTEXT_SUCCEEDED,
        DURABLE_EVENT_INVOCATION_COMPLETED, DURABLE_EVENT_EXECUTION_SUCCEEDED};
    env_expect_events(&v, want, 10);
    char id1[DURABLE_OP_ID_LEN + 1], cb[DURABLE_OP_ID_LEN + 1], st[DURABLE_OP_ID_LEN + 1];
    durable_op_id(id1, "1");
    durable_op_id(cb, "1-1");
    durable_op_id(st, "1-2");
    const durable_event *e = env_event(&v, 2);
    if (e) {
        CU_ASSERT_STRING_EQUAL(e->id, id1);
        CU_ASSERT_STRING_EQUAL(e->subtype, "WaitForCallback");
        CU_ASSERT_STRING_EQUAL(e->name, "approve");
    }
    if ((e = env_event(&v, 3))) {
        CU_ASSERT_STRING_EQUAL(e->id, cb);
        CU_ASSERT_STRING_EQUAL(e->parent_id, id1);
    }
    if ((e = env_event(&v, 4))) {
        CU_ASSERT_STRING_EQUAL(e->id, st);
        CU_ASSERT_STRING_EQUAL(e->parent_id, id1);
        CU_ASSERT_STRING_EQUAL(e->subtype, "Step");
    }
    if ((e = env_event(&v, 8)) && e->payload)
        CU_ASSERT_STRING_EQUAL(e->payload, "yes");
    env_close(&v);
}

static int wcb_catch_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    int rc = durable_wait_for_callback(ctx, NULL, NULL, submitter, user, NULL);
    if (rc != DURABLE_EFAILED)
        return rc;
    const durable_error_object *e = durable_ctx_error(ctx);
    *out = cJSON_CreateString(durable_ctx_error_kind(ctx) ? durable_ctx_error_kind(ctx) : "?");
    return e && e->error_message && strstr(e->error_message, "not approved") ? 0
                                                                             : DURABLE_EFAILED;
}

static void test_wait_for_callback_failure(void)
{
    env v;
    env_open(&v);
    wcb w = {0};
    w.fail_status = 1;
    v.between = complete_wcb;
    v.between_user = &w;
    env_run(&v, NULL, wcb_catch_handler, &w, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    if (v.info.result)
        CU_ASSERT_STRING_EQUAL(v.info.result, "\"CallbackError\"");
    const durable_event *e = env_event(&v, 8);
    if (e)
        CU_ASSERT_EQUAL(e->type, DURABLE_EVENT_CONTEXT_FAILED);
    env_close(&v);
}

/* A failed wait_for_callback reports the original error (SPEC §10.7), live
 * and when the FAILED context replays; the handler then waits so a third
 * invocation replays the failure. */
typedef struct wcb_err {
    int64_t timeout, heartbeat;
    const durable_retry_strategy *retry;
    int submits;
    int seen;           /* failures observed, one per invocation that reached it */
    char type[3][64], kind[3][64], msg[3][128];
} wcb_err;

static int failing_submitter(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)callback_id;
    wcb_err *w = user;
    w->submits++;
    return durable_step_fail(sctx, "SubmitError", "approval system down", NULL);
}

static int quiet_submitter(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)sctx;
    (void)callback_id;
    wcb_err *w = user;
    w->submits++;
    return 0;
}

static int wcb_err_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    wcb_err *w = user;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = w->timeout;
    o.heartbeat_timeout_seconds = w->heartbeat;
    o.retry = w->retry;
    int rc = durable_wait_for_callback(ctx, NULL, "approve",
                                       w->retry ? failing_submitter : quiet_submitter, w, &o);
    if (rc != DURABLE_EFAILED)
        return rc == 0 ? durable_ctx_fail(ctx, "Unexpected", "callback succeeded", NULL) : rc;
    const durable_error_object *e = durable_ctx_error(ctx);
    const char *kind = durable_ctx_error_kind(ctx);
    if (w->seen < 3) {
        snprintf(w->type[w->seen], sizeof w->type[0], "%s", e && e->error_type ? e->error_type : "");
        snprintf(w->kind[w->seen], sizeof w->kind[0], "%s", kind ? kind : "");
        snprintf(w->msg[w->seen], sizeof w->msg[0], "%s",
                 e && e->error_message ? e->error_message : "");
    }
    w->seen++;
    durable_ctx_clear_error(ctx);
    if ((rc = durable_wait(ctx, NULL, 1)) != 0)
        return rc;
    *out = cJSON_CreateString("handled");
    return 0;
}

/* Both sightings (live, then replayed from the FAILED context) agree. */
static void expect_wcb_error(const wcb_err *w, const char *type, const char *kind,
                             const char *msg)
{
    CU_ASSERT_EQUAL(w->seen, 2);
    for (int i = 0; i < 2 && i < w->seen; i++) {
        if (strcmp(w->type[i], type) || strcmp(w->kind[i], kind))
            fprintf(stderr, "sighting %d: %s / %s / %s\n", i, w->type[i], w->kind[i], w->msg[i]);
        CU_ASSERT_STRING_EQUAL(w->type[i], type);
        CU_ASSERT_STRING_EQUAL(w->kind[i], kind);
        CU_ASSERT_STRING_EQUAL(w->msg[i], msg);
    }
}

static void test_wait_for_callback_timeout_keeps_original_error(void)
{
    env v;
    env_open(&v);
    wcb_err w = {0};
    w.timeout = 5;
    env_run(&v, NULL, wcb_err_handler, &w, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, 3);
    CU_ASSERT_EQUAL(w.submits, 1);
    expect_wcb_error(&w, "Callback.Timeout", DURABLE_KIND_CALLBACK, "Callback timed out");
    /* The context fails with the callback's error object verbatim. */
    bool ctx_failed = false;
    for (size_t i = 0; i < v.history.count; i++) {
        const durable_event *e = &v.history.events[i];
        if (e->type == DURABLE_EVENT_CONTEXT_FAILED && e->error) {
            ctx_failed = true;
            CU_ASSERT_STRING_EQUAL(e->error->error_type, "Callback.Timeout");
            CU_ASSERT_STRING_EQUAL(e->error->error_message, "Callback timed out");
        }
    }
    CU_ASSERT(ctx_failed);
    env_close(&v);
}

static void test_wait_for_callback_heartbeat_timeout(void)
{
    env v;
    env_open(&v);
    wcb_err w = {0};
    w.timeout = 100;
    w.heartbeat = 2;
    env_run(&v, NULL, wcb_err_handler, &w, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    expect_wcb_error(&w, "Callback.Heartbeat", DURABLE_KIND_CALLBACK,
                     "Callback timed out on heartbeat");
    /* the heartbeat deadline (2 s) fired, then the 1 s wait */
    CU_ASSERT_EQUAL(durable_clock_now(durable_vclock_clock(v.clock)), T0 + 3000);
    env_close(&v);
}

/* The submitter step retries with its own strategy; after the last attempt
 * the context fails with the submitter's error and the callback stays open. */
static void test_wait_for_callback_submitter_retries_exhausted(void)
{
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 3;
    ro.initial_delay_seconds = 2;
    ro.backoff_rate = 2;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *rs = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&rs, &ro), 0);
    env v;
    env_open(&v);
    wcb_err w = {0};
    w.retry = rs;
    env_run(&v, NULL, wcb_err_handler, &w, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(w.submits, 3);      /* attempts 1..3, each in its own invocation */
    CU_ASSERT_EQUAL(v.invocations, 4);  /* + the replay after the final wait */
    expect_wcb_error(&w, "SubmitError", DURABLE_KIND_CALLBACK, "approval system down");
    /* delays 2 s then 4 s, then the 1 s wait */
    CU_ASSERT_EQUAL(durable_clock_now(durable_vclock_clock(v.clock)), T0 + 7000);
    size_t retries = 0, step_failed = 0, cb_done = 0, cb_started = 0;
    for (size_t i = 0; i < v.history.count; i++) {
        const durable_event *e = &v.history.events[i];
        retries += e->type == DURABLE_EVENT_STEP_FAILED && e->next_attempt_delay_seconds > 0;
        step_failed += e->type == DURABLE_EVENT_STEP_FAILED;
        cb_started += e->type == DURABLE_EVENT_CALLBACK_STARTED;
        cb_done += e->type == DURABLE_EVENT_CALLBACK_SUCCEEDED ||
                   e->type == DURABLE_EVENT_CALLBACK_FAILED ||
                   e->type == DURABLE_EVENT_CALLBACK_TIMED_OUT;
        if (e->type == DURABLE_EVENT_CONTEXT_FAILED && e->error)
            CU_ASSERT_STRING_EQUAL(e->error->error_type, "SubmitError");
    }
    CU_ASSERT_EQUAL(step_failed, 3);
    CU_ASSERT_EQUAL(cb_started, 1);
    CU_ASSERT_EQUAL(cb_done, 0);
    env_close(&v);
    durable_retry_strategy_free(rs);
}

/* ---- waitForCondition --------------------------------------------------------------- */

typedef struct cond {
    int checks;
    int target;
} cond;

static int inc_check(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state, void *user)
{
    (void)sctx;
    cond *c = user;
    c->checks++;
    *new_state = cJSON_CreateNumber(cJSON_IsNumber(state) ? state->valuedouble + 1 : 1);
    return 0;
}

static bool below_target(const cJSON *state, void *user)
{
    cond *c = user;
    return state->valuedouble < c->target;
}

typedef struct cond_run {
    cond c;
    durable_wait_strategy *ws;
} cond_run;

static int cond_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    cond_run *cr = user;
    durable_wait_for_condition_options o = DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT;
    o.strategy = cr->ws;
    cJSON *init = cJSON_CreateNumber(0);
    o.initial_state = init;
    const cJSON *r = NULL;
    int rc = durable_wait_for_condition(ctx, &r, "poll", inc_check, &cr->c, &o);
    cJSON_Delete(init);
    if (rc)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void cond_strategy(cond_run *cr, int max_attempts)
{
    durable_wait_strategy_options wo = DURABLE_WAIT_STRATEGY_OPTIONS_INIT;
    wo.should_continue_polling = below_target;
    wo.user = &cr->c;
    wo.max_attempts = max_attempts;
    wo.initial_delay_seconds = 2;
    wo.backoff_rate = 3;
    wo.jitter = DURABLE_JITTER_NONE;
    CU_ASSERT_EQUAL_FATAL(durable_wait_strategy_new(&cr->ws, &wo), 0);
}

static void test_wait_for_condition_polls_until_stop(void)
{
    env v;
    env_open(&v);
    cond_run cr = {{0, 3}, NULL};
    cond_strategy(&cr, 10);
    env_run(&v, NULL, cond_handler, &cr, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    if (v.info.result)
        CU_ASSERT_STRING_EQUAL(v.info.result, "3");
    CU_ASSERT_EQUAL(v.invocations, 3);
    CU_ASSERT_EQUAL(cr.c.checks, 3);
    /* Started, Retry(2 s, payload 1), Started, Retry(6 s, payload 2), Started, Succeeded 3 */
    size_t nsucc = 0;
    for (size_t i = 0; i < v.history.count; i++) {
        const durable_event *e = &v.history.events[i];
        if (e->subtype)
            CU_ASSERT_STRING_EQUAL(e->subtype, "WaitForCondition");
        if (e->type == DURABLE_EVENT_STEP_FAILED)
            CU_FAIL("no StepFailed expected");
        if (e->type == DURABLE_EVENT_STEP_SUCCEEDED) {
            nsucc++; /* a RETRY without Error is recorded as StepSucceeded */
            char want[8];
            snprintf(want, sizeof(want), "%zu", nsucc);
            if (e->payload)
                CU_ASSERT_STRING_EQUAL(e->payload, want);
        }
    }
    CU_ASSERT_EQUAL(nsucc, 3);
    /* exact no-jitter delays: 2 s then 6 s of virtual time */
    CU_ASSERT_EQUAL(durable_clock_now(durable_vclock_clock(v.clock)), T0 + 8000);
    durable_wait_strategy_free(cr.ws);
    env_close(&v);
}

static void test_wait_for_condition_max_attempts(void)
{
    env v;
    env_open(&v);
    cond_run cr = {{0, 100}, NULL};
    cond_strategy(&cr, 2);
    env_run(&v, NULL, cond_handler, &cr, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_FAILED);
    CU_ASSERT_EQUAL(cr.c.checks, 2);
    CU_ASSERT_EQUAL(v.invocations, 2);
    bool found = false;
    for (size_t i = 0; i < v.history.count; i++) {
        const durable_event *e = &v.history.events[i];
        if (e->type == DURABLE_EVENT_STEP_FAILED && e->error) {
            found = true;
            CU_ASSERT_STRING_EQUAL(e->error->error_type, "WaitForConditionError");
            CU_ASSERT_STRING_EQUAL(e->error->error_message,
                                   "waitForCondition exceeded maximum attempts (2)");
        }
    }
    CU_ASSERT(found);
    durable_wait_strategy_free(cr.ws);
    env_close(&v);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_engine_composites");
    DT_ADD(s, test_wait_for_callback_success);
    DT_ADD(s, test_wait_for_callback_failure);
    DT_ADD(s, test_wait_for_callback_timeout_keeps_original_error);
    DT_ADD(s, test_wait_for_callback_heartbeat_timeout);
    DT_ADD(s, test_wait_for_callback_submitter_retries_exhausted);
    DT_ADD(s, test_wait_for_condition_polls_until_stop);
    DT_ADD(s, test_wait_for_condition_max_attempts);
    return dt_run();
}
