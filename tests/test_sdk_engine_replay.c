/* The SDK against the real engine on ":memory:" with a FIXED virtual clock:
 * first runs, replay after suspension and after completion (bodies never
 * re-run), exact retry delays, interrupted at-most-once steps,
 * non-determinism, swallowed PENDING, ReplayChildren, the large-result
 * path, callbacks and chained invokes. A small loop in this file plays the
 * runner: start invocation → durable_handle_invocation → complete → fire
 * due timers at next_due. */
#include <pthread.h>
#include <string.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/store.h"
#include "model/internal.h"
#include "support/testutil.h"

#define T0 1767225600000LL

/* ---- a test-local client over the engine ------------------------------------------ */

typedef struct env {
    durable_store *store;
    durable_engine *engine;
    durable_vclock *clock;
    durable_client *client;
    pthread_mutex_t mu; /* the engine handle is single-threaded */
    char *arn;
    int invocations;
    durable_history_response history;
    durable_execution_info info;
    /* hooks for the loop */
    void (*between)(struct env *, void *);
    void *between_user;
} env;

static int c_checkpoint(void *user, durable_checkpoint_response *out,
                        const durable_checkpoint_request *req)
{
    env *v = user;
    pthread_mutex_lock(&v->mu);
    int rc = durable_engine_checkpoint(out, v->engine, req);
    pthread_mutex_unlock(&v->mu);
    return rc;
}

static int c_get_state(void *user, durable_state_response *out, const durable_state_request *req)
{
    env *v = user;
    pthread_mutex_lock(&v->mu);
    int rc = durable_engine_get_state(out, v->engine, req);
    pthread_mutex_unlock(&v->mu);
    return rc;
}

static const durable_client_vtable engine_vtable = {c_checkpoint, c_get_state, NULL, NULL, NULL,
                                                    NULL};

static void env_open(env *v)
{
    memset(v, 0, sizeof(*v));
    pthread_mutex_init(&v->mu, NULL);
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&v->store, ":memory:", &so), 0);
    CU_ASSERT_EQUAL_FATAL(durable_vclock_new(&v->clock, DURABLE_VCLOCK_FIXED, T0), 0);
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = durable_vclock_clock(v->clock);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&v->engine, v->store, &eo), 0);
    CU_ASSERT_EQUAL_FATAL(durable_client_new(&v->client, &engine_vtable, v), 0);
}

static void env_close(env *v)
{
    durable_history_response_clear(&v->history);
    durable_execution_info_clear(&v->info);
    durable__free(v->arn);
    durable_client_free(v->client);
    durable_engine_close(v->engine);
    durable_vclock_free(v->clock);
    durable_store_close(v->store);
    pthread_mutex_destroy(&v->mu);
}

static bool is_ready(env *v)
{
    durable_engine_string_list l;
    memset(&l, 0, sizeof(l));
    bool ready = false;
    if (durable_engine_list_ready(&l, v->engine) == 0)
        for (size_t i = 0; i < l.count; i++)
            ready = ready || strcmp(l.items[i], v->arn) == 0;
    durable_engine_string_list_clear(&l);
    return ready;
}

static bool is_open(env *v)
{
    durable_execution_state st;
    memset(&st, 0, sizeof(st));
    bool open = durable_engine_execution_state(&st, v->engine, v->arn) == 0 &&
                st.status == DURABLE_EXEC_RUNNING;
    durable_execution_state_clear(&st);
    return open;
}

/* One invocation of the execution with handler. */
static void invoke_once(env *v, durable_handler_fn h, void *user)
{
    durable_invocation_input in;
    memset(&in, 0, sizeof(in));
    char *inv = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_invocation(&in, &inv, v->engine, v->arn, 0), 0);
    v->invocations++;
    durable_invocation_options o = DURABLE_INVOCATION_OPTIONS_INIT;
    o.request_id = inv;
    o.logger.level = DURABLE_LOG_OFF;
    durable_invocation_output out;
    memset(&out, 0, sizeof(out));
    int rc = durable_handle_invocation(&out, v->client, &in, h, user, &o);
    durable_invocation_outcome oc;
    memset(&oc, 0, sizeof(oc));
    if (rc == 0) {
        CU_ASSERT_EQUAL(durable_engine_complete_invocation(&oc, v->engine, v->arn, inv, &out), 0);
    } else {
        CU_ASSERT_EQUAL(durable_engine_fail_invocation(&oc, v->engine, v->arn, inv, out.error), 0);
    }
    durable_invocation_output_clear(&out);
    durable_invocation_input_clear(&in);
    durable__free(inv);
}

/* Run until the execution closes (or max invocations); then load history. */
static void run(env *v, const char *input, durable_handler_fn h, void *user, int max_invocations)
{
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    so.input_payload = input;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_execution(&v->arn, NULL, v->engine, "fn", &so), 0);
    for (int guard = 0; guard < 200 && is_open(v) && v->invocations < max_invocations; guard++) {
        if (is_ready(v)) {
            invoke_once(v, h, user);
            if (v->between)
                v->between(v, v->between_user);
            continue;
        }
        int64_t when = 0;
        if (durable_engine_next_due(&when, v->engine) != 0)
            break; /* nothing armed: the loop cannot progress */
        durable_vclock_advance_to(v->clock, when);
        CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, v->engine), 0);
    }
    durable_history_request hr;
    memset(&hr, 0, sizeof(hr));
    hr.durable_execution_arn = v->arn;
    hr.include_execution_data = true;
    hr.max_items = 1000;
    CU_ASSERT_EQUAL(durable_engine_get_history(&v->history, v->engine, &hr), 0);
    CU_ASSERT_EQUAL(durable_engine_get_execution(&v->info, v->engine, v->arn), 0);
}

static const durable_event *event(env *v, size_t event_id)
{
    for (size_t i = 0; i < v->history.count; i++)
        if (v->history.events[i].event_id == (int64_t)event_id)
            return &v->history.events[i];
    return NULL;
}

/* Assert the event types in order (from EventId 1). */
static void expect_events(env *v, const durable_event_type *types, size_t n)
{
    CU_ASSERT_EQUAL(v->history.count, n);
    for (size_t i = 0; i < n && i < v->history.count; i++) {
        if (v->history.events[i].type != types[i])
            fprintf(stderr, "event %zu: got %s want %s\n", i + 1,
                    durable_event_type_name(v->history.events[i].type),
                    durable_event_type_name(types[i]));
        CU_ASSERT_EQUAL(v->history.events[i].type, types[i]);
    }
}

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
    run(&v, NULL, step_wait_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "\"computed\"");
    CU_ASSERT_EQUAL(v.invocations, 2);
    CU_ASSERT_EQUAL(r.body, 1); /* the completed step never re-runs */
    durable_event_type want[] = {
        DURABLE_EVENT_EXECUTION_STARTED,     DURABLE_EVENT_STEP_STARTED,
        DURABLE_EVENT_STEP_SUCCEEDED,        DURABLE_EVENT_WAIT_STARTED,
        DURABLE_EVENT_INVOCATION_COMPLETED,  DURABLE_EVENT_WAIT_SUCCEEDED,
        DURABLE_EVENT_INVOCATION_COMPLETED,  DURABLE_EVENT_EXECUTION_SUCCEEDED};
    expect_events(&v, want, 8);
    const durable_event *e3 = event(&v, 3), *e4 = event(&v, 4), *e6 = event(&v, 6);
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
    run(&v, NULL, retry_handler, &r, 10);
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
    expect_events(&v, want, 11);
    const durable_event *f1 = event(&v, 3), *s2 = event(&v, 5), *f2 = event(&v, 6),
                        *s3 = event(&v, 8), *ok = event(&v, 9);
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
    for (int guard = 0; guard < 20 && is_open(&v); guard++) {
        if (is_ready(&v)) {
            invoke_once(&v, at_most_once_handler, &r);
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
    expect_events(&v, want, 6);
    const durable_event *f = event(&v, 4);
    if (f) {
        CU_ASSERT_EQUAL(f->current_attempt, 1);
        CU_ASSERT_STRING_EQUAL(f->error->error_type, "StepInterruptedError");
        CU_ASSERT_EQUAL(f->next_attempt_delay_seconds, DURABLE_ABSENT);
    }
    const durable_event *ic = event(&v, 3);
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
    run(&v, NULL, versioned_handler, &r, 10);
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
    run(&v, NULL, swallow_handler, &r, 10);
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
    run(&v, NULL, replay_children_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "307200");
    CU_ASSERT_EQUAL(r.child_fn, 2); /* re-run to rebuild the result */
    CU_ASSERT_EQUAL(r.body, 1);     /* its step replayed from the checkpoint */
    const durable_event *cs = event(&v, 5);
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
    run(&v, NULL, large_handler, NULL, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.info.result);
    CU_ASSERT_EQUAL(strlen(v.info.result), 6291408);
    durable_event_type want[] = {DURABLE_EVENT_EXECUTION_STARTED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_EXECUTION_SUCCEEDED};
    expect_events(&v, want, 3);
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
    if (r->cb_id[0] && is_open(v) && v->invocations == 1)
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
    run(&v, NULL, callback_handler, &r, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    /* The raw Result string, serialized as the handler's JSON result. */
    CU_ASSERT_STRING_EQUAL(v.info.result, "\"{\\\"ok\\\": true}\"");
    CU_ASSERT_EQUAL(v.invocations, 2);
    durable_event_type want[] = {DURABLE_EVENT_EXECUTION_STARTED, DURABLE_EVENT_CALLBACK_STARTED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_CALLBACK_SUCCEEDED,
                                 DURABLE_EVENT_INVOCATION_COMPLETED,
                                 DURABLE_EVENT_EXECUTION_SUCCEEDED};
    expect_events(&v, want, 6);
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
    run(&v, "{\"n\":42}", invoke_handler, NULL, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "{\"n\":42}");
    const durable_event *st = event(&v, 2);
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
