/* Conformance handlers, suite "step" (1-x). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conformance/handlers/handlers.h"

/* greet(event): "Hello, <input>!" */
static int greet(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    char *s = durable_sprintf("Hello, %s!", conf_text(user));
    *result = s ? cJSON_CreateString(s) : NULL;
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int return_text(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(user);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int always_fails(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    return durable_step_fail(sctx, "StepFailure", "the step failed on purpose", NULL);
}

/* Fails until attempt `*(int *)user`, then returns "Operation succeeded". */
static int fails_before(durable_step_ctx *sctx, cJSON **result, void *user)
{
    int succeed_at = *(const int *)user;
    if (durable_step_attempt(sctx) < succeed_at)
        return durable_step_fail(sctx, "TransientFailure", "attempt failed on purpose", NULL);
    *result = cJSON_CreateString("Operation succeeded");
    return *result ? 0 : DURABLE_ENOMEM;
}

static int step_and_return(durable_ctx *ctx, cJSON **out, const char *name, durable_step_fn fn,
                           void *user, const durable_step_options *opts)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_step(ctx, &r, name, fn, user, opts));
    return conf_return(out, r);
}

/* 1-1: a single step greets the input. */
static int h_1_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return step_and_return(ctx, out, NULL, greet, (void *)input, NULL);
}

/* 1-2: the same step with an explicit name. */
static int h_1_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return step_and_return(ctx, out, "custom_step_name", greet, (void *)input, NULL);
}

/* 1-4: the step builds {user: {name, tags}, count: len(tags)}. */
static int build_response(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    const cJSON *in = user;
    const cJSON *tags = conf_field(in, "tags");
    cJSON *o = cJSON_CreateObject();
    cJSON *u = cJSON_AddObjectToObject(o, "user");
    cJSON_AddItemToObject(u, "name", cJSON_Duplicate(conf_field(in, "name"), 1));
    cJSON_AddItemToObject(u, "tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(tags));
    *result = o;
    return 0;
}

static int h_1_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return step_and_return(ctx, out, NULL, build_response, (void *)input, NULL);
}

/* 1-5: the step returns null. */
static int do_nothing(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = NULL;
    return 0;
}

static int h_1_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return step_and_return(ctx, out, NULL, do_nothing, NULL, NULL);
}

/* 1-7: the step logs through its step-context logger. */
static int greet_logged(durable_step_ctx *sctx, cJSON **result, void *user)
{
    const char *in = conf_text(user);
    durable_step_log(sctx, DURABLE_LOG_INFO, "Greeting step started for: %s", in);
    char *s = durable_sprintf("Hello, %s!", in);
    durable_step_log(sctx, DURABLE_LOG_INFO, "Greeting step completed with: %s", s ? s : "");
    *result = s ? cJSON_CreateString(s) : NULL;
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int h_1_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return step_and_return(ctx, out, NULL, greet_logged, (void *)input, NULL);
}

/* 1-8: a step, then wait(2 s); returns the step result. */
static int h_1_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_step(ctx, &r, NULL, return_text, "computed", NULL));
    CONF_TRY(durable_wait(ctx, NULL, 2));
    return conf_return(out, r);
}

/* 1-10: a no-retry step fails (logs first); the error is caught; wait(1 s).
 * On replay the cached error is re-raised without running the body. */
static int logs_then_fails(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    durable_step_log(sctx, DURABLE_LOG_INFO, "step executed");
    return durable_step_fail(sctx, "StepFailure", "the step failed on purpose", NULL);
}

static int h_1_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    int rc = durable_step(ctx, NULL, NULL, logs_then_fails, NULL, &so);
    if (rc != DURABLE_EFAILED)
        return rc ? rc : durable_ctx_fail(ctx, "UnexpectedSuccess", "the step should fail", NULL);
    durable_ctx_clear_error(ctx);
    CONF_TRY(durable_wait(ctx, NULL, 1));
    return conf_return_string(out, "caught");
}

/* 1-11: fails on attempt 1, succeeds on attempt 2 (retry after 1 s). */
static int h_1_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    static const int succeed_at = 2;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    durable_retry_strategy *rs = conf_fixed_retry(3, 1);
    if (!rs)
        return DURABLE_ENOMEM;
    so.retry = rs;
    int rc = step_and_return(ctx, out, NULL, fails_before, (void *)&succeed_at, &so);
    durable_retry_strategy_free(rs);
    return rc;
}

/* 1-13: the default retry strategy; fails twice, succeeds on attempt 3. */
static int h_1_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    static const int succeed_at = 3;
    return step_and_return(ctx, out, NULL, fails_before, (void *)&succeed_at, NULL);
}

/* 1-14: createRetryStrategy({maxAttempts 5, initialDelay 2 s, backoffRate 3,
 * jitter NONE}); fails twice (delays 2 then 6), succeeds on attempt 3. */
static int h_1_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    static const int succeed_at = 3;
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 5;
    ro.initial_delay_seconds = 2;
    ro.backoff_rate = 3;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *rs = NULL;
    CONF_TRY(durable_retry_strategy_new(&rs, &ro));
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = rs;
    int rc = step_and_return(ctx, out, NULL, fails_before, (void *)&succeed_at, &so);
    durable_retry_strategy_free(rs);
    return rc;
}

/* 1-16: a custom strategy that never retries a *TransientError. */
static int no_retry_on_transient(durable_retry_decision *d, const durable_error_object *error,
                                 int attempt, void *user)
{
    (void)user;
    const char *type = error->error_type ? error->error_type : "";
    size_t n = strlen(type), suffix = strlen("TransientError");
    bool transient = n >= suffix && !strcmp(type + n - suffix, "TransientError");
    d->should_retry = !transient && attempt < 3;
    d->delay_seconds = 1;
    return 0;
}

static int throws_transient(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    return durable_step_fail(sctx, "TransientError", "a transient failure", NULL);
}

static int h_1_16(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_retry_strategy *rs = NULL;
    CONF_TRY(durable_retry_strategy_custom(&rs, no_retry_on_transient, NULL));
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = rs;
    int rc = step_and_return(ctx, out, NULL, throws_transient, NULL, &so);
    durable_retry_strategy_free(rs);
    return rc;
}

/* 1-17: AT_MOST_ONCE step without retries logs the input and crashes the
 * process; the next invocation fails it as interrupted. */
static int crash_after_log(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    durable_step_log(sctx, DURABLE_LOG_INFO, "%s", conf_text(user));
    fflush(NULL);
    _exit(1); /* process.exit(): the Lambda runtime dies mid-step */
}

static int h_1_17(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
    so.retry = durable_retry_preset_none();
    return step_and_return(ctx, out, "at_most_once_flaky_step", crash_after_log, (void *)input,
                           &so);
}

/* 1-19: a no-retry step that always fails; the execution fails. */
static int h_1_19(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    return step_and_return(ctx, out, NULL, always_fails, NULL, &so);
}

/* 1-20: the failing step is caught; a second step returns the fallback. */
static int h_1_20(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    int rc = durable_step(ctx, NULL, NULL, always_fails, NULL, &so);
    if (rc != DURABLE_EFAILED)
        return rc ? rc : durable_ctx_fail(ctx, "UnexpectedSuccess", "the step should fail", NULL);
    durable_ctx_clear_error(ctx);
    return step_and_return(ctx, out, NULL, return_text, "fallback_result", NULL);
}

const conf_handler conf_step_handlers[] = {
    {"1-1", h_1_1, NULL, 0, NULL, 0},
    {"1-2", h_1_2, NULL, 0, NULL, 0},
    {"1-4", h_1_4, NULL, 0, NULL, 0},
    {"1-5", h_1_5, NULL, 0, NULL, 0},
    {"1-7", h_1_7, NULL, 0, NULL, 0},
    {"1-8", h_1_8, NULL, 0, NULL, 0},
    {"1-10", h_1_10, NULL, 0, NULL, 0},
    {"1-11", h_1_11, NULL, 0, NULL, 0},
    {"1-13", h_1_13, NULL, 0, NULL, 0},
    {"1-14", h_1_14, NULL, 0, NULL, 0},
    {"1-16", h_1_16, NULL, 0, NULL, 0},
    {"1-17", h_1_17, NULL, CONF_CRASH, NULL, 0},
    {"1-19", h_1_19, NULL, 0, NULL, 0},
    {"1-20", h_1_20, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
