/* The durable context against the mock client: what each operation
 * checkpoints (recorded calls, token hand-off), replay from the input state,
 * suspension, non-determinism, invocation errors, paging, the large-result
 * path, plugins and the logger. */
#include <string.h>

#include "durable/client.h"
#include "durable/context.h"
#include "durable/ids.h"
#include "model/internal.h"
#include "support/testutil.h"

#define ARN "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/exec-1"
#define ID1 "c4ca4238a0b92382" /* md5("1") */
#define ID2 "c81e728d9d4c2f63" /* md5("2") */
#define ID1_1 "ea66c06c1e1c05fa" /* md5("1-1") */

/* ---- fixture ------------------------------------------------------------------ */

typedef struct fixture {
    durable_mock_client *mock;
    durable_client *client;
    durable_invocation_input in;
    durable_invocation_output out;
    durable_invocation_options opts;
    int rc;
} fixture;

static void op_exec(durable_operation *op, const char *input)
{
    durable_operation_init(op);
    op->id = durable__strdup("exec-1");
    op->type = DURABLE_OP_EXECUTION;
    op->status = DURABLE_OP_STARTED;
    op->start_timestamp = 1767225600000;
    op->input_payload = durable__strdup(input);
}

static void fx_init(fixture *f, const char *input)
{
    memset(f, 0, sizeof(*f));
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&f->mock, &f->client), 0);
    f->in.durable_execution_arn = durable__strdup(ARN);
    f->in.checkpoint_token = durable__strdup("t0");
    durable_operation op;
    op_exec(&op, input);
    durable_operation_list_take(&f->in.operations, &op);
    durable_invocation_options o = DURABLE_INVOCATION_OPTIONS_INIT;
    o.logger.level = DURABLE_LOG_OFF;
    f->opts = o;
}

/* Add a stored operation to the input state (moved). */
static void fx_state(fixture *f, durable_operation *op)
{
    durable_operation_list_take(&f->in.operations, op);
}

static durable_operation mkop(const char *id, durable_op_type type, durable_op_status status,
                              const char *subtype, const char *name)
{
    durable_operation op;
    durable_operation_init(&op);
    op.id = durable__strdup(id);
    op.type = type;
    op.status = status;
    op.subtype = durable__strdup(subtype);
    op.name = durable__strdup(name);
    op.start_timestamp = 1767225600000;
    return op;
}

static void fx_run(fixture *f, durable_handler_fn h, void *user)
{
    durable_invocation_output_clear(&f->out);
    f->rc = durable_handle_invocation(&f->out, f->client, &f->in, h, user, &f->opts);
}

static void fx_free(fixture *f)
{
    durable_invocation_output_clear(&f->out);
    durable_invocation_input_clear(&f->in);
    durable_mock_client_free(f->mock);
}

/* All recorded checkpoint updates in call order. */
static size_t updates(fixture *f, const durable_operation_update **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < durable_mock_client_call_count(f->mock); i++) {
        const durable_mock_call *c = durable_mock_client_call(f->mock, i);
        if (c->kind != DURABLE_MOCK_CHECKPOINT)
            continue;
        for (size_t k = 0; k < c->update_count && n < max; k++)
            out[n++] = &c->updates[k];
    }
    return n;
}

static size_t checkpoint_calls(fixture *f)
{
    size_t n = 0;
    for (size_t i = 0; i < durable_mock_client_call_count(f->mock); i++)
        if (durable_mock_client_call(f->mock, i)->kind == DURABLE_MOCK_CHECKPOINT)
            n++;
    return n;
}

/* ---- handlers ------------------------------------------------------------------- */

typedef struct counters {
    int body_runs;
    int last_attempt;
    const char *fail_type; /* step fails with this type when set */
    int rc_seen;
    const cJSON *value;
    char text[256];
} counters;

static int greet_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    counters *c = user;
    c->body_runs++;
    c->last_attempt = durable_step_attempt(sctx);
    if (c->fail_type)
        return durable_step_fail(sctx, c->fail_type, "boom", "{\"k\":1}");
    *result = cJSON_CreateString("Hello, World!");
    return 0;
}

static int step_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    counters *c = user;
    const cJSON *r = NULL;
    int rc = durable_step(ctx, &r, NULL, greet_body, c, NULL);
    c->rc_seen = rc;
    if (rc)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_step_first_run_checkpoints_start_and_succeed(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    durable_mock_client_queue_default(f.mock, 4);
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(c.body_runs, 1);
    CU_ASSERT_EQUAL(c.last_attempt, 1);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "\"Hello, World!\"");
    const durable_operation_update *u[8];
    size_t n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(u[0]->id, ID1);
    CU_ASSERT_EQUAL(u[0]->type, DURABLE_OP_STEP);
    CU_ASSERT_EQUAL(u[0]->action, DURABLE_ACTION_START);
    CU_ASSERT_STRING_EQUAL(u[0]->subtype, "Step");
    CU_ASSERT_PTR_NULL(u[0]->parent_id);
    CU_ASSERT_EQUAL(u[1]->action, DURABLE_ACTION_SUCCEED);
    CU_ASSERT_STRING_EQUAL(u[1]->payload, "\"Hello, World!\"");
    /* Token hand-off: the first call uses the input token, each later call
     * the token returned by the previous response. */
    const durable_mock_call *first = durable_mock_client_call(f.mock, 0);
    CU_ASSERT_STRING_EQUAL(first->checkpoint_token, "t0");
    CU_ASSERT_STRING_EQUAL(first->durable_execution_arn, ARN);
    if (checkpoint_calls(&f) > 1)
        CU_ASSERT_STRING_EQUAL(durable_mock_client_call(f.mock, 1)->checkpoint_token,
                               "mock-token-1");
    fx_free(&f);
}

static void test_replay_of_succeeded_step_never_runs_body(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.result = durable__strdup("\"cached\"");
    op.attempt = 1;
    fx_state(&f, &op);
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(c.body_runs, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "\"cached\"");
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 0);
    fx_free(&f);
}

static int wait_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    counters *c = user;
    c->rc_seen = durable_wait(ctx, "pause", DURABLE_MINUTES(1));
    return c->rc_seen;
}

static void test_wait_starts_and_suspends(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 2);
    counters c = {0};
    fx_run(&f, wait_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_PENDING);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_PENDING);
    const durable_operation_update *u[4];
    CU_ASSERT_EQUAL_FATAL(updates(&f, u, 4), 1);
    CU_ASSERT_EQUAL(u[0]->type, DURABLE_OP_WAIT);
    CU_ASSERT_EQUAL(u[0]->action, DURABLE_ACTION_START);
    CU_ASSERT_EQUAL(u[0]->options, DURABLE_OPTIONS_WAIT);
    CU_ASSERT_EQUAL(u[0]->wait_seconds, 60);
    CU_ASSERT_STRING_EQUAL(u[0]->name, "pause");
    CU_ASSERT_STRING_EQUAL(u[0]->subtype, "Wait");
    fx_free(&f);
}

static void test_wait_replay_succeeded_and_started(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_operation op = mkop(ID1, DURABLE_OP_WAIT, DURABLE_OP_SUCCEEDED, "Wait", "pause");
    fx_state(&f, &op);
    counters c = {0};
    fx_run(&f, wait_handler, &c);
    CU_ASSERT_EQUAL(c.rc_seen, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "null");
    fx_free(&f);

    fx_init(&f, NULL);
    op = mkop(ID1, DURABLE_OP_WAIT, DURABLE_OP_STARTED, "Wait", "pause");
    fx_state(&f, &op);
    fx_run(&f, wait_handler, &c);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_PENDING);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_PENDING);
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 0);
    fx_free(&f);
}

static int bad_wait_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    int rc = durable_wait(ctx, NULL, 0);
    CU_ASSERT_EQUAL(rc, DURABLE_EINVAL);
    CU_ASSERT_STRING_EQUAL(durable_ctx_error_kind(ctx), DURABLE_KIND_VALIDATION);
    CU_ASSERT_EQUAL(durable_wait(ctx, NULL, DURABLE_MAX_WAIT_SECONDS + 1), DURABLE_EINVAL);
    return rc;
}

static void test_wait_validation_fails_before_checkpoint(void)
{
    fixture f;
    fx_init(&f, NULL);
    fx_run(&f, bad_wait_handler, NULL);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "ValidationError");
    CU_ASSERT_PTR_NOT_NULL(strstr(f.out.error->error_message, "between 1 and 31622400"));
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 0);
    fx_free(&f);
}

/* Swallows the PENDING of a wait and carries on: the output must still be
 * PENDING and the later step must not run. */
static int swallow_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    counters *c = user;
    (void)durable_wait(ctx, NULL, 5);
    const cJSON *r = NULL;
    c->rc_seen = durable_step(ctx, &r, NULL, greet_body, c, NULL);
    CU_ASSERT_TRUE(durable_ctx_is_suspended(ctx));
    *out = cJSON_CreateString("false success");
    return 0;
}

static void test_swallowed_pending_still_yields_pending(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 2);
    counters c = {0};
    fx_run(&f, swallow_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_PENDING);
    CU_ASSERT_EQUAL(c.body_runs, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_PENDING);
    CU_ASSERT_PTR_NULL(f.out.result);
    fx_free(&f);
}

static void test_non_determinism_fails_invocation(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    /* Recorded a WAIT at path 1; the handler now runs a STEP there. */
    durable_operation op = mkop(ID1, DURABLE_OP_WAIT, DURABLE_OP_SUCCEEDED, "Wait", NULL);
    fx_state(&f, &op);
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_ENONDETERMINISTIC);
    CU_ASSERT_EQUAL(c.body_runs, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "NonDeterministicExecutionError");
    CU_ASSERT_EQUAL(strncmp(f.out.error->error_message, "Non-deterministic execution detected:",
                            37),
                    0);
    fx_free(&f);

    /* A different name is non-deterministic too. */
    fx_init(&f, NULL);
    op = mkop(ID1, DURABLE_OP_WAIT, DURABLE_OP_SUCCEEDED, "Wait", "other");
    fx_state(&f, &op);
    fx_run(&f, wait_handler, &c);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "NonDeterministicExecutionError");
    fx_free(&f);
}

static void test_invalid_token_is_an_invocation_error(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    durable_mock_client_queue_checkpoint_error(f.mock, DURABLE_ETOKEN, "Invalid Checkpoint Token");
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, DURABLE_EINVOCATION);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_STATUS_NONE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.out.error);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, DURABLE_INVOCATION_ERROR_TOKEN);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.out.error->error_message, "Invalid Checkpoint Token"));
    /* Never retried: exactly one checkpoint call. */
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 1);
    fx_free(&f);
}

static void test_rejected_checkpoint_fails_execution(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    durable_mock_client_queue_checkpoint_error(f.mock, DURABLE_EINVAL,
                                               "Invalid current STEP state to start.");
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, DURABLE_CHECKPOINT_REJECTED);
    fx_free(&f);
}

static void test_missing_token_is_rejected_with_spec_message(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable__free(f.in.checkpoint_token);
    f.in.checkpoint_token = NULL;
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, DURABLE_EINVOCATION);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_message, DURABLE_UNEXPECTED_PAYLOAD_MESSAGE);
    CU_ASSERT_EQUAL(c.body_runs, 0);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 0);
    fx_free(&f);
}

static void test_state_pages_are_loaded_before_user_code(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    f.in.next_marker = durable__strdup("page-2");
    durable_state_response page;
    memset(&page, 0, sizeof(page));
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.result = durable__strdup("\"from page 2\"");
    durable_operation_list_take(&page.operations, &op);
    durable_mock_client_queue_state(f.mock, &page);
    durable_state_response_clear(&page);
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(c.body_runs, 0);
    CU_ASSERT_STRING_EQUAL(f.out.result, "\"from page 2\"");
    const durable_mock_call *call = durable_mock_client_call(f.mock, 0);
    CU_ASSERT_EQUAL(call->kind, DURABLE_MOCK_GET_STATE);
    CU_ASSERT_STRING_EQUAL(call->marker, "page-2");
    CU_ASSERT_STRING_EQUAL(call->checkpoint_token, "t0");
    fx_free(&f);
}

static const durable_retry_strategy *strategy_2_3;

static int retry_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    counters *c = user;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.retry = strategy_2_3;
    const cJSON *r = NULL;
    c->rc_seen = durable_step(ctx, &r, "flaky", greet_body, c, &o);
    if (c->rc_seen)
        return c->rc_seen;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void test_failed_attempt_retries_with_exact_delay(void)
{
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 3;
    ro.initial_delay_seconds = 2;
    ro.backoff_rate = 3;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &ro), 0);
    strategy_2_3 = s;

    /* Attempt 1 fails → RETRY with 2 s and the original error. */
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    counters c = {0};
    c.fail_type = "TransientError";
    fx_run(&f, retry_handler, &c);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_PENDING);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_PENDING);
    const durable_operation_update *u[8];
    size_t n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(u[1]->action, DURABLE_ACTION_RETRY);
    CU_ASSERT_EQUAL(u[1]->options, DURABLE_OPTIONS_STEP);
    CU_ASSERT_EQUAL(u[1]->next_attempt_delay_seconds, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u[1]->error);
    CU_ASSERT_STRING_EQUAL(u[1]->error->error_type, "TransientError");
    CU_ASSERT_STRING_EQUAL(u[1]->error->error_message, "boom");
    CU_ASSERT_STRING_EQUAL(u[1]->error->error_data, "{\"k\":1}");
    CU_ASSERT_PTR_NULL(u[1]->payload);
    fx_free(&f);

    /* Replay with the step READY after one ended attempt: START, attempt 2,
     * RETRY with 6 s. */
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_READY, "Step", "flaky");
    op.attempt = 1;
    fx_state(&f, &op);
    memset(&c, 0, sizeof(c));
    c.fail_type = "TransientError";
    fx_run(&f, retry_handler, &c);
    CU_ASSERT_EQUAL(c.last_attempt, 2);
    n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(u[0]->action, DURABLE_ACTION_START);
    CU_ASSERT_EQUAL(u[1]->action, DURABLE_ACTION_RETRY);
    CU_ASSERT_EQUAL(u[1]->next_attempt_delay_seconds, 6);
    fx_free(&f);

    /* Attempt 3 fails: no retry left → FAIL, StepError with the original. */
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_READY, "Step", "flaky");
    op.attempt = 2;
    fx_state(&f, &op);
    memset(&c, 0, sizeof(c));
    c.fail_type = "TransientError";
    fx_run(&f, retry_handler, &c);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_EFAILED);
    n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(u[1]->action, DURABLE_ACTION_FAIL);
    CU_ASSERT_STRING_EQUAL(u[1]->error->error_type, "TransientError");
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    /* An SDK error escaping the handler: ErrorType = kind, original message/data. */
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "StepError");
    CU_ASSERT_STRING_EQUAL(f.out.error->error_message, "boom");
    CU_ASSERT_STRING_EQUAL(f.out.error->error_data, "{\"k\":1}");
    fx_free(&f);
    durable_retry_strategy_free(s);
}

static int at_most_once_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    counters *c = user;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
    o.retry = durable_retry_preset_none();
    const cJSON *r = NULL;
    c->rc_seen = durable_step(ctx, &r, "once", greet_body, c, &o);
    if (c->rc_seen == DURABLE_EFAILED) {
        snprintf(c->text, sizeof(c->text), "%s|%s", durable_ctx_error_kind(ctx),
                 durable_ctx_error(ctx)->error_type);
    }
    return c->rc_seen;
}

static void test_interrupted_at_most_once_step_never_reruns(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 2);
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_STARTED, "Step", "once");
    fx_state(&f, &op);
    counters c = {0};
    fx_run(&f, at_most_once_handler, &c);
    CU_ASSERT_EQUAL(c.body_runs, 0);
    CU_ASSERT_EQUAL(c.rc_seen, DURABLE_EFAILED);
    CU_ASSERT_STRING_EQUAL(c.text, "StepError|StepInterruptedError");
    const durable_operation_update *u[4];
    CU_ASSERT_EQUAL_FATAL(updates(&f, u, 4), 1);
    CU_ASSERT_EQUAL(u[0]->action, DURABLE_ACTION_FAIL);
    CU_ASSERT_STRING_EQUAL(u[0]->error->error_type, "StepInterruptedError");
    CU_ASSERT_STRING_EQUAL(u[0]->error->error_message, DURABLE_STEP_INTERRUPTED_MESSAGE);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    fx_free(&f);

    /* First run: START is acknowledged (its own call) before the body. */
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    memset(&c, 0, sizeof(c));
    fx_run(&f, at_most_once_handler, &c);
    CU_ASSERT_EQUAL(c.body_runs, 1);
    const durable_mock_call *first = durable_mock_client_call(f.mock, 0);
    CU_ASSERT_EQUAL_FATAL(first->update_count, 1);
    CU_ASSERT_EQUAL(first->updates[0].action, DURABLE_ACTION_START);
    fx_free(&f);
}

/* An AT_MOST_ONCE START is acknowledged alone, so the SUCCEED travels in a
 * second call, which must carry the token the first response returned; the
 * second step's START/SUCCEED carry the next ones. */
static int two_calls_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    counters *c = user;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
    int rc = durable_step(ctx, NULL, "first", greet_body, c, &o);
    if (rc == 0)
        rc = durable_step(ctx, NULL, "second", greet_body, c, &o);
    return rc;
}

static void test_token_hand_off_between_calls(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 8);
    counters c = {0};
    fx_run(&f, two_calls_handler, &c);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_EQUAL(c.body_runs, 2);
    size_t n = checkpoint_calls(&f);
    CU_ASSERT(n >= 3);
    const char *want[] = {"t0", "mock-token-1", "mock-token-2", "mock-token-3"};
    for (size_t i = 0; i < n && i < 4; i++)
        CU_ASSERT_STRING_EQUAL(durable_mock_client_call(f.mock, i)->checkpoint_token, want[i]);
    /* Response order: call 1 carries only the first START. */
    const durable_mock_call *c0 = durable_mock_client_call(f.mock, 0);
    CU_ASSERT_EQUAL_FATAL(c0->update_count, 1);
    CU_ASSERT_STRING_EQUAL(c0->updates[0].name, "first");
    CU_ASSERT_EQUAL(c0->updates[0].action, DURABLE_ACTION_START);
    fx_free(&f);
}

typedef struct cb_state {
    char id[64];
    int await_rc;
    char result[128];
} cb_state;

static int callback_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    cb_state *s = user;
    durable_callback *cb = NULL;
    durable_callback_options o = DURABLE_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = 30;
    int rc = durable_create_callback(ctx, &cb, "approval", &o);
    if (rc)
        return rc;
    snprintf(s->id, sizeof(s->id), "%s", durable_callback_id(cb));
    const cJSON *r = NULL;
    s->await_rc = durable_callback_await(cb, &r);
    if (s->await_rc)
        return s->await_rc;
    snprintf(s->result, sizeof(s->result), "%s", cJSON_IsString(r) ? r->valuestring : "?");
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void test_callback_create_and_await(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.checkpoint_token = durable__strdup("tok-after-cb");
    durable_operation op = mkop(ID1, DURABLE_OP_CALLBACK, DURABLE_OP_STARTED, "Callback", "approval");
    op.callback_id = durable__strdup("Y2ItMQ==");
    durable_operation_list_take(&resp.operations, &op);
    durable_mock_client_queue_checkpoint(f.mock, &resp);
    durable_checkpoint_response_clear(&resp);
    cb_state s = {0};
    fx_run(&f, callback_handler, &s);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_STRING_EQUAL(s.id, "Y2ItMQ==");
    CU_ASSERT_EQUAL(s.await_rc, DURABLE_PENDING);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_PENDING);
    const durable_operation_update *u[4];
    CU_ASSERT_EQUAL_FATAL(updates(&f, u, 4), 1);
    CU_ASSERT_EQUAL(u[0]->options, DURABLE_OPTIONS_CALLBACK);
    CU_ASSERT_EQUAL(u[0]->timeout_seconds, 30);
    CU_ASSERT_EQUAL(u[0]->heartbeat_timeout_seconds, DURABLE_ABSENT);
    fx_free(&f);

    /* Replay: SUCCEEDED → the raw Result string, no checkpoint. */
    fx_init(&f, NULL);
    op = mkop(ID1, DURABLE_OP_CALLBACK, DURABLE_OP_SUCCEEDED, "Callback", "approval");
    op.callback_id = durable__strdup("Y2ItMQ==");
    op.result = durable__strdup("{\"status\": \"approved\"}");
    fx_state(&f, &op);
    memset(&s, 0, sizeof(s));
    fx_run(&f, callback_handler, &s);
    CU_ASSERT_EQUAL(s.await_rc, 0);
    CU_ASSERT_STRING_EQUAL(s.result, "{\"status\": \"approved\"}");
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 0);
    fx_free(&f);

    /* Replay: TIMED_OUT → CallbackError with the service's error type. */
    fx_init(&f, NULL);
    op = mkop(ID1, DURABLE_OP_CALLBACK, DURABLE_OP_TIMED_OUT, "Callback", "approval");
    op.callback_id = durable__strdup("Y2ItMQ==");
    durable_error_object_new(&op.error, "Callback.Timeout", "Callback timed out", NULL);
    fx_state(&f, &op);
    memset(&s, 0, sizeof(s));
    fx_run(&f, callback_handler, &s);
    CU_ASSERT_EQUAL(s.await_rc, DURABLE_EFAILED);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "CallbackError");
    CU_ASSERT_STRING_EQUAL(f.out.error->error_message, "Callback timed out");
    fx_free(&f);
}

static int invoke_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_invoke_options o = DURABLE_INVOKE_OPTIONS_INIT;
    o.tenant_id = "tenant-7";
    const cJSON *r = NULL;
    int rc = durable_invoke(ctx, &r, "call-echo", "echo", input, &o);
    if (rc)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

static void test_invoke_starts_then_returns_result(void)
{
    fixture f;
    fx_init(&f, "{\"a\":[1,2]}");
    durable_mock_client_queue_default(f.mock, 2);
    fx_run(&f, invoke_handler, NULL);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_PENDING);
    const durable_operation_update *u[4];
    CU_ASSERT_EQUAL_FATAL(updates(&f, u, 4), 1);
    CU_ASSERT_EQUAL(u[0]->type, DURABLE_OP_CHAINED_INVOKE);
    CU_ASSERT_STRING_EQUAL(u[0]->subtype, "ChainedInvoke");
    CU_ASSERT_STRING_EQUAL(u[0]->payload, "{\"a\":[1,2]}");
    CU_ASSERT_STRING_EQUAL(u[0]->function_name, "echo");
    CU_ASSERT_STRING_EQUAL(u[0]->tenant_id, "tenant-7");
    fx_free(&f);

    fx_init(&f, "{\"a\":[1,2]}");
    durable_operation op =
        mkop(ID1, DURABLE_OP_CHAINED_INVOKE, DURABLE_OP_SUCCEEDED, "ChainedInvoke", "call-echo");
    op.result = durable__strdup("{\"a\":[1,2]}");
    fx_state(&f, &op);
    fx_run(&f, invoke_handler, NULL);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "{\"a\":[1,2]}");
    fx_free(&f);

    fx_init(&f, "1");
    op = mkop(ID1, DURABLE_OP_CHAINED_INVOKE, DURABLE_OP_FAILED, "ChainedInvoke", "call-echo");
    durable_error_object_new(&op.error, "ResourceNotFoundException", "Function not found: echo",
                             NULL);
    fx_state(&f, &op);
    fx_run(&f, invoke_handler, NULL);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "InvokeError");
    CU_ASSERT_STRING_EQUAL(f.out.error->error_message, "Function not found: echo");
    fx_free(&f);
}

/* ---- child contexts ---------------------------------------------------------------- */

typedef struct child_state {
    int fn_runs;
    size_t size;      /* result string length */
    bool fail;
    int rc;
    char kind[64];
} child_state;

static int child_fn(durable_ctx *child, cJSON **result, void *user)
{
    child_state *s = user;
    s->fn_runs++;
    counters c = {0};
    const cJSON *r = NULL;
    int rc = durable_step(child, &r, NULL, greet_body, &c, NULL);
    if (rc)
        return rc;
    if (s->fail)
        return durable_ctx_fail(child, "BusinessError", "child said no", NULL);
    if (s->size) {
        char *big = durable__malloc(s->size + 1);
        memset(big, 'x', s->size);
        big[s->size] = 0;
        *result = cJSON_CreateString(big);
        durable__free(big);
    } else {
        *result = cJSON_Duplicate(r, 1);
    }
    return 0;
}

static int summary_fn(char **out, const cJSON *result, void *user)
{
    (void)user;
    *out = durable_sprintf("{\"len\":%zu}", strlen(result->valuestring));
    return 0;
}

static int child_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    child_state *s = user;
    durable_child_options o = DURABLE_CHILD_OPTIONS_INIT;
    o.summary = summary_fn;
    const cJSON *r = NULL;
    s->rc = durable_run_in_child_context(ctx, &r, "kid", child_fn, s, &o);
    if (s->rc == DURABLE_EFAILED)
        snprintf(s->kind, sizeof(s->kind), "%s|%s", durable_ctx_error_kind(ctx),
                 durable_ctx_error(ctx)->error_type);
    if (s->rc)
        return s->rc;
    *out = cJSON_CreateNumber((double)strlen(cJSON_IsString(r) ? r->valuestring : ""));
    return 0;
}

static void test_child_context_checkpoints_and_parent_ids(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 8);
    child_state s = {0};
    fx_run(&f, child_handler, &s);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "13");
    const durable_operation_update *u[8];
    size_t n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(u[0]->type, DURABLE_OP_CONTEXT);
    CU_ASSERT_EQUAL(u[0]->action, DURABLE_ACTION_START);
    CU_ASSERT_STRING_EQUAL(u[0]->subtype, "RunInChildContext");
    CU_ASSERT_STRING_EQUAL(u[0]->name, "kid");
    CU_ASSERT_STRING_EQUAL(u[1]->id, ID1_1);
    CU_ASSERT_STRING_EQUAL(u[1]->parent_id, ID1);
    CU_ASSERT_EQUAL(u[3]->type, DURABLE_OP_CONTEXT);
    CU_ASSERT_EQUAL(u[3]->action, DURABLE_ACTION_SUCCEED);
    CU_ASSERT_STRING_EQUAL(u[3]->payload, "\"Hello, World!\"");
    CU_ASSERT_EQUAL(u[3]->options, DURABLE_OPTIONS_NONE);
    fx_free(&f);
}

static void test_child_context_failure_and_replay(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 8);
    child_state s = {0};
    s.fail = true;
    fx_run(&f, child_handler, &s);
    CU_ASSERT_EQUAL(s.rc, DURABLE_EFAILED);
    CU_ASSERT_STRING_EQUAL(s.kind, "ChildContextError|BusinessError");
    const durable_operation_update *u[8];
    size_t n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(u[3]->action, DURABLE_ACTION_FAIL);
    CU_ASSERT_STRING_EQUAL(u[3]->error->error_type, "BusinessError");
    CU_ASSERT_STRING_EQUAL(f.out.error->error_type, "ChildContextError");
    CU_ASSERT_STRING_EQUAL(f.out.error->error_message, "child said no");
    fx_free(&f);

    /* A completed context returns its stored result without running fn. */
    fx_init(&f, NULL);
    durable_operation op = mkop(ID1, DURABLE_OP_CONTEXT, DURABLE_OP_SUCCEEDED,
                                "RunInChildContext", "kid");
    op.result = durable__strdup("\"abc\"");
    fx_state(&f, &op);
    memset(&s, 0, sizeof(s));
    fx_run(&f, child_handler, &s);
    CU_ASSERT_EQUAL(s.fn_runs, 0);
    CU_ASSERT_STRING_EQUAL(f.out.result, "3");
    fx_free(&f);
}

/* Nesting deep enough that positional paths outgrow the operation's inline
 * path buffer (40 bytes): every level still checkpoints under the Id of its
 * own path, with its parent's Id, on either side of that length. */
enum { DEEP_LEVELS = 30 };

typedef struct deep_state {
    int level;
    int step_runs;
} deep_state;

static int deep_step_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    ((deep_state *)user)->step_runs++;
    *result = cJSON_CreateNumber(1);
    return 0;
}

static int deep_fn(durable_ctx *child, cJSON **result, void *user)
{
    deep_state *s = user;
    int rc = durable_step(child, NULL, NULL, deep_step_body, s, NULL);
    if (rc == 0 && ++s->level < DEEP_LEVELS)
        rc = durable_run_in_child_context(child, NULL, NULL, deep_fn, s, NULL);
    if (rc == 0)
        *result = cJSON_CreateNumber(s->level);
    return rc;
}

static int deep_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    return durable_run_in_child_context(ctx, NULL, NULL, deep_fn, user, NULL);
}

static void test_deep_paths_keep_their_ids(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 200);
    deep_state s = {0};
    fx_run(&f, deep_handler, &s);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_EQUAL(s.step_runs, DEEP_LEVELS);
    const durable_operation_update *u[256];
    size_t n = updates(&f, u, 256);
    /* Context level k has path "1-2-2-…" (k twos), its step that path + "-1". */
    char ctx_path[256] = "1", step_path[256], id[DURABLE_OP_ID_LEN + 1],
         parent[DURABLE_OP_ID_LEN + 1];
    size_t longest = 0;
    for (int k = 0; k < DEEP_LEVELS; k++) {
        if (k > 0)
            strcat(ctx_path, "-2");
        snprintf(step_path, sizeof step_path, "%s-1", ctx_path);
        longest = strlen(step_path);
        durable_op_id(parent, ctx_path);
        durable_op_id(id, step_path);
        bool ctx_seen = false, step_seen = false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(u[i]->id, parent) == 0 && u[i]->type == DURABLE_OP_CONTEXT)
                ctx_seen = true;
            if (strcmp(u[i]->id, id) == 0 && u[i]->type == DURABLE_OP_STEP &&
                u[i]->parent_id && strcmp(u[i]->parent_id, parent) == 0)
                step_seen = true;
        }
        CU_ASSERT_TRUE(ctx_seen && step_seen);
    }
    CU_ASSERT(longest > 40);
    fx_free(&f);
}

static void test_child_context_large_result_replays_children(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 8);
    child_state s = {0};
    s.size = 300 * 1024;
    fx_run(&f, child_handler, &s);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "307200");
    const durable_operation_update *u[8];
    size_t n = updates(&f, u, 8);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(u[3]->action, DURABLE_ACTION_SUCCEED);
    CU_ASSERT_EQUAL(u[3]->options, DURABLE_OPTIONS_CONTEXT);
    CU_ASSERT_EQUAL(u[3]->replay_children, 1);
    CU_ASSERT_STRING_EQUAL(u[3]->payload, "{\"len\":307200}");
    fx_free(&f);

    /* Replay: the context SUCCEEDED with ReplayChildren; fn re-runs, its
     * step replays (body not run), nothing is checkpointed. */
    fx_init(&f, NULL);
    durable_operation op = mkop(ID1, DURABLE_OP_CONTEXT, DURABLE_OP_SUCCEEDED,
                                "RunInChildContext", "kid");
    op.result = durable__strdup("{\"len\":307200}");
    op.replay_children = 1;
    fx_state(&f, &op);
    durable_operation step = mkop(ID1_1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    step.parent_id = durable__strdup(ID1);
    step.result = durable__strdup("\"Hello, World!\"");
    fx_state(&f, &step);
    memset(&s, 0, sizeof(s));
    s.size = 300 * 1024;
    fx_run(&f, child_handler, &s);
    CU_ASSERT_EQUAL(s.fn_runs, 1);
    CU_ASSERT_STRING_EQUAL(f.out.result, "307200");
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 0);
    fx_free(&f);
}

static int big_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)input;
    size_t n = *(size_t *)user;
    char *big = durable__malloc(n + 1);
    memset(big, 'y', n);
    big[n] = 0;
    *out = cJSON_CreateString(big);
    durable__free(big);
    return 0;
}

static void test_large_result_goes_through_execution_checkpoint(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_checkpoint_response closed;
    memset(&closed, 0, sizeof(closed)); /* no token: the execution closed */
    durable_mock_client_queue_checkpoint(f.mock, &closed);
    size_t n = 6291406 - 1; /* + 2 quotes = 6,291,407 bytes > limit */
    fx_run(&f, big_handler, &n);
    CU_ASSERT_EQUAL(f.rc, 0);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(f.out.result, "");
    const durable_operation_update *u[4];
    CU_ASSERT_EQUAL_FATAL(updates(&f, u, 4), 1);
    CU_ASSERT_EQUAL(u[0]->type, DURABLE_OP_EXECUTION);
    CU_ASSERT_EQUAL(u[0]->action, DURABLE_ACTION_SUCCEED);
    CU_ASSERT_STRING_EQUAL(u[0]->id, "exec-1");
    CU_ASSERT_EQUAL(strlen(u[0]->payload), n + 2);
    fx_free(&f);

    /* Exactly at the limit: inline. */
    fx_init(&f, NULL);
    n = 6291406 - 2;
    fx_run(&f, big_handler, &n);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_EQUAL(strlen(f.out.result), 6291406);
    CU_ASSERT_EQUAL(checkpoint_calls(&f), 0);
    fx_free(&f);
}

/* ---- misuse --------------------------------------------------------------------------- */

static int misuse_child(durable_ctx *child, cJSON **result, void *user)
{
    durable_ctx *parent = user;
    int rc = durable_wait(parent, NULL, 5);
    CU_ASSERT_EQUAL(rc, DURABLE_ESTATE);
    (void)child;
    *result = NULL;
    return 0;
}

static int misuse_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_run_in_child_context(ctx, NULL, NULL, misuse_child, ctx, NULL);
}

static void test_parent_context_used_inside_child_is_refused(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    fx_run(&f, misuse_handler, NULL);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    fx_free(&f);
}

/* ---- plugins and logger ------------------------------------------------------------------ */

typedef struct plugin_log {
    int inv_start, inv_end, op_start, op_end, op_change, att_start, att_end;
    bool first;
    durable_invocation_status end_status;
    char op_start_id[32];
    bool op_start_replay;
} plugin_log;

static int p_inv_start(void *u, const durable_invocation_info *i)
{
    plugin_log *l = u;
    l->inv_start++;
    l->first = i->is_first_invocation;
    durable_logger_write_line(i->logger, "{\"plugin\":\"P\",\"hook\":\"invocation-start\"}");
    return 0;
}
static int p_inv_end(void *u, const durable_invocation_info *i)
{
    plugin_log *l = u;
    l->inv_end++;
    l->end_status = i->status;
    return 0;
}
static int p_op_start(void *u, const durable_operation_info *i)
{
    plugin_log *l = u;
    l->op_start++;
    snprintf(l->op_start_id, sizeof(l->op_start_id), "%s", i->operation->id);
    l->op_start_replay = i->is_replay;
    return 0;
}
static int p_op_end(void *u, const durable_operation_info *i)
{
    (void)i;
    ((plugin_log *)u)->op_end++;
    return 0;
}
static int p_att_start(void *u, const durable_operation_info *i)
{
    (void)i;
    ((plugin_log *)u)->att_start++;
    return 0;
}
static int p_att_end(void *u, const durable_operation_info *i)
{
    (void)i;
    ((plugin_log *)u)->att_end++;
    return 0;
}
static int p_fail(void *u, const durable_invocation_info *i)
{
    (void)u;
    (void)i;
    return -1;
}
static int p_fail_op(void *u, const durable_operation_info *i)
{
    (void)u;
    (void)i;
    return -1;
}

typedef struct lines {
    int count;
    char buf[8][512];
} lines;

static void sink(void *user, durable_log_level level, const char *line)
{
    (void)level;
    lines *l = user;
    if (l->count < 8)
        snprintf(l->buf[l->count], sizeof(l->buf[0]), "%s", line);
    l->count++;
}

static void test_plugins_fire_and_failures_are_isolated(void)
{
    fixture f;
    fx_init(&f, "\"World\"");
    /* Every response reports the step terminal (START and SUCCEED may
     * travel in one call or two; operation-end must fire once either way). */
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.checkpoint_token = durable__strdup("t-2");
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.result = durable__strdup("\"Hello, World!\"");
    durable_operation_list_take(&resp.operations, &op);
    durable_mock_client_queue_checkpoint(f.mock, &resp);
    durable_mock_client_queue_checkpoint(f.mock, &resp);
    durable_checkpoint_response_clear(&resp);
    plugin_log pl = {0};
    durable_plugin plugins[2];
    memset(plugins, 0, sizeof(plugins));
    plugins[0].name = "faulty";
    plugins[0].invocation_start = p_fail;
    plugins[0].invocation_end = p_fail;
    plugins[0].operation_start = p_fail_op;
    plugins[0].attempt_start = p_fail_op;
    plugins[1].name = "healthy";
    plugins[1].user = &pl;
    plugins[1].invocation_start = p_inv_start;
    plugins[1].invocation_end = p_inv_end;
    plugins[1].operation_start = p_op_start;
    plugins[1].operation_end = p_op_end;
    plugins[1].attempt_start = p_att_start;
    plugins[1].attempt_end = p_att_end;
    f.opts.plugins = plugins;
    f.opts.plugin_count = 2;
    lines ln = {0};
    f.opts.logger.level = DURABLE_LOG_INFO;
    f.opts.logger.sink = sink;
    f.opts.logger.sink_user = &ln;
    counters c = {0};
    fx_run(&f, step_handler, &c);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_EQUAL(pl.inv_start, 1);
    CU_ASSERT_TRUE(pl.first);
    CU_ASSERT_EQUAL(pl.inv_end, 1);
    CU_ASSERT_EQUAL(pl.end_status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_EQUAL(pl.op_start, 1);
    CU_ASSERT_STRING_EQUAL(pl.op_start_id, ID1);
    CU_ASSERT_FALSE(pl.op_start_replay);
    CU_ASSERT_EQUAL(pl.att_start, 1);
    CU_ASSERT_EQUAL(pl.att_end, 1);
    CU_ASSERT_EQUAL(pl.op_end, 1);
    CU_ASSERT(ln.count >= 1);
    CU_ASSERT_STRING_EQUAL(ln.buf[0], "{\"plugin\":\"P\",\"hook\":\"invocation-start\"}");
    fx_free(&f);
}

static int log_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)user;
    durable_step_log(sctx, DURABLE_LOG_INFO, "inside step %d", 7);
    *result = NULL;
    return 0;
}

static int log_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "before step");
    int rc = durable_step(ctx, NULL, NULL, log_body, NULL, NULL);
    durable_ctx_log(ctx, DURABLE_LOG_DEBUG, "debug is filtered");
    durable_ctx_log(ctx, DURABLE_LOG_WARN, "after step");
    return rc;
}

static void test_logger_records_and_replay_quiet(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    lines ln = {0};
    f.opts.request_id = "req-1";
    f.opts.logger.level = DURABLE_LOG_INFO;
    f.opts.logger.sink = sink;
    f.opts.logger.sink_user = &ln;
    fx_run(&f, log_handler, NULL);
    CU_ASSERT_EQUAL_FATAL(ln.count, 3);
    cJSON *rec = cJSON_Parse(ln.buf[1]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(rec, "message")->valuestring, "inside step 7");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(rec, "level")->valuestring, "INFO");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(rec, "requestId")->valuestring, "req-1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(rec, "executionArn")->valuestring, ARN);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(rec, "operationId")->valuestring, ID1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(rec, "attempt")->valueint, 1);
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(rec, "timestamp"));
    cJSON_Delete(rec);
    rec = cJSON_Parse(ln.buf[0]);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(rec, "operationId"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(rec, "attempt"));
    cJSON_Delete(rec);
    fx_free(&f);

    /* Replaying: the context logger is quiet while replaying and live as
     * soon as the last stored operation (the step) is reached: "after
     * step" is logged; the replayed step's body does not run. */
    fx_init(&f, NULL);
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.result = durable__strdup("null");
    fx_state(&f, &op);
    memset(&ln, 0, sizeof(ln));
    f.opts.logger.level = DURABLE_LOG_INFO;
    f.opts.logger.sink = sink;
    f.opts.logger.sink_user = &ln;
    fx_run(&f, log_handler, NULL);
    CU_ASSERT_EQUAL_FATAL(ln.count, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(ln.buf[0], "\"message\":\"after step\""));
    fx_free(&f);

    /* log_during_replay makes it visible. */
    fx_init(&f, NULL);
    op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.result = durable__strdup("null");
    fx_state(&f, &op);
    memset(&ln, 0, sizeof(ln));
    f.opts.logger.level = DURABLE_LOG_INFO;
    f.opts.logger.sink = sink;
    f.opts.logger.sink_user = &ln;
    f.opts.logger.log_during_replay = true;
    fx_run(&f, log_handler, NULL);
    CU_ASSERT_EQUAL(ln.count, 2);
    fx_free(&f);
}

static int replay_step_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateNumber(1);
    return 0;
}

static int replay_log_child(durable_ctx *c, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    durable_ctx_log(c, DURABLE_LOG_INFO, "c0");
    int rc = durable_step(c, NULL, NULL, replay_step_body, NULL, NULL);
    durable_ctx_log(c, DURABLE_LOG_INFO, "c1");
    return rc;
}

static int replay_log_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "a");
    int rc = durable_step(ctx, NULL, NULL, replay_step_body, NULL, NULL);
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "b");
    if (rc == 0)
        rc = durable_run_in_child_context(ctx, NULL, "c", replay_log_child, NULL, NULL);
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "d");
    if (rc == 0)
        rc = durable_step(ctx, NULL, NULL, replay_step_body, NULL, NULL);
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "e");
    return rc;
}

/* Each context leaves replay when it reaches its own last stored
 * operation: the root after the child context (op 2), the child after its
 * step (2-1); nothing replayed before them is logged. */
static void test_logger_goes_live_after_last_stored_operation(void)
{
    fixture f;
    fx_init(&f, NULL);
    durable_mock_client_queue_default(f.mock, 4);
    durable_operation op = mkop(ID1, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.result = durable__strdup("1");
    fx_state(&f, &op);
    op = mkop(ID2, DURABLE_OP_CONTEXT, DURABLE_OP_STARTED, "RunInChildContext", "c");
    fx_state(&f, &op);
    char id21[DURABLE_OP_ID_LEN + 1];
    durable_op_id(id21, "2-1");
    op = mkop(id21, DURABLE_OP_STEP, DURABLE_OP_SUCCEEDED, "Step", NULL);
    op.parent_id = durable__strdup(ID2);
    op.result = durable__strdup("1");
    fx_state(&f, &op);
    lines ln = {0};
    f.opts.logger.level = DURABLE_LOG_INFO;
    f.opts.logger.sink = sink;
    f.opts.logger.sink_user = &ln;
    fx_run(&f, replay_log_handler, NULL);
    CU_ASSERT_EQUAL(f.out.status, DURABLE_INVOCATION_SUCCEEDED);
    CU_ASSERT_EQUAL_FATAL(ln.count, 3);
    static const char *const want[3] = {"c1", "d", "e"};
    for (int i = 0; i < 3; i++) {
        char m[32];
        snprintf(m, sizeof m, "\"message\":\"%s\"", want[i]);
        if (!strstr(ln.buf[i], m))
            fprintf(stderr, "line %d: %s (want %s)\n", i, ln.buf[i], want[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(ln.buf[i], m));
    }
    fx_free(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_mock");
    DT_ADD(s, test_step_first_run_checkpoints_start_and_succeed);
    DT_ADD(s, test_replay_of_succeeded_step_never_runs_body);
    DT_ADD(s, test_wait_starts_and_suspends);
    DT_ADD(s, test_wait_replay_succeeded_and_started);
    DT_ADD(s, test_wait_validation_fails_before_checkpoint);
    DT_ADD(s, test_swallowed_pending_still_yields_pending);
    DT_ADD(s, test_non_determinism_fails_invocation);
    DT_ADD(s, test_invalid_token_is_an_invocation_error);
    DT_ADD(s, test_rejected_checkpoint_fails_execution);
    DT_ADD(s, test_missing_token_is_rejected_with_spec_message);
    DT_ADD(s, test_state_pages_are_loaded_before_user_code);
    DT_ADD(s, test_failed_attempt_retries_with_exact_delay);
    DT_ADD(s, test_interrupted_at_most_once_step_never_reruns);
    DT_ADD(s, test_token_hand_off_between_calls);
    DT_ADD(s, test_callback_create_and_await);
    DT_ADD(s, test_invoke_starts_then_returns_result);
    DT_ADD(s, test_child_context_checkpoints_and_parent_ids);
    DT_ADD(s, test_child_context_failure_and_replay);
    DT_ADD(s, test_child_context_large_result_replays_children);
    DT_ADD(s, test_deep_paths_keep_their_ids);
    DT_ADD(s, test_large_result_goes_through_execution_checkpoint);
    DT_ADD(s, test_parent_context_used_inside_child_is_refused);
    DT_ADD(s, test_plugins_fire_and_failures_are_isolated);
    DT_ADD(s, test_logger_records_and_replay_quiet);
    DT_ADD(s, test_logger_goes_live_after_last_stored_operation);
    return dt_run();
}
