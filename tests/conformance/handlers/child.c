/* Conformance handlers, suite "child" (3-x). */
#include <ctype.h>
#include <string.h>

#include "conformance/handlers/handlers.h"

static int return_text(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(conf_text(user));
    return *result ? 0 : DURABLE_ENOMEM;
}

static int always_fails(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    return durable_step_fail(sctx, "StepFailure", "the inner step failed on purpose", NULL);
}

/* Child body: one step returning `user` (a JSON string); returns its result. */
static int child_step_returns(durable_ctx *child, cJSON **result, void *user)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_step(child, &r, NULL, return_text, user, NULL));
    return conf_return(result, r);
}

static int run_child(durable_ctx *ctx, cJSON **out, const char *name, durable_child_fn fn,
                     void *user, const durable_child_options *opts)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_run_in_child_context(ctx, &r, name, fn, user, opts));
    return conf_return(out, r);
}

/* 3-1: child context with one step returning the input. */
static int h_3_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return run_child(ctx, out, NULL, child_step_returns, (void *)input, NULL);
}

/* 3-2: child named input.name; its step returns input.value. */
static int h_3_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return run_child(ctx, out, conf_text(conf_field(input, "name")), child_step_returns,
                     (void *)conf_field(input, "value"), NULL);
}

/* Child body: a no-retry step that fails; the failure fails the child. */
static int child_failing_step(durable_ctx *child, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    return durable_step(child, NULL, NULL, always_fails, NULL, &so);
}

/* 3-4: the child's step fails; ChildContextError fails the execution. */
static int h_3_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return run_child(ctx, out, "failing-child", child_failing_step, NULL, NULL);
}

/* 3-5: the child failure is caught; a recovery step returns the input. */
static int h_3_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    int rc = durable_run_in_child_context(ctx, NULL, NULL, child_failing_step, NULL, NULL);
    if (rc != DURABLE_EFAILED)
        return rc ? rc : durable_ctx_fail(ctx, "UnexpectedSuccess", "the child should fail", NULL);
    durable_ctx_clear_error(ctx);
    const cJSON *r = NULL;
    CONF_TRY(durable_step(ctx, &r, NULL, return_text, (void *)input, NULL));
    return conf_return(out, r);
}

/* Fails on attempt 1, returns the input afterwards. */
static int fails_once(durable_step_ctx *sctx, cJSON **result, void *user)
{
    if (durable_step_attempt(sctx) < 2)
        return durable_step_fail(sctx, "TransientFailure", "first attempt fails", NULL);
    *result = cJSON_CreateString(conf_text(user));
    return *result ? 0 : DURABLE_ENOMEM;
}

static int child_retrying_step(durable_ctx *child, cJSON **result, void *user)
{
    durable_retry_strategy *rs = conf_fixed_retry(3, 1);
    if (!rs)
        return DURABLE_ENOMEM;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = rs;
    const cJSON *r = NULL;
    int rc = durable_step(child, &r, NULL, fails_once, user, &so);
    durable_retry_strategy_free(rs);
    CONF_TRY(rc);
    return conf_return(result, r);
}

/* 3-7: the child's step fails once, then succeeds with the input. */
static int h_3_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return run_child(ctx, out, "retrying-child", child_retrying_step, (void *)input, NULL);
}

static int child_exhausted_step(durable_ctx *child, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    durable_retry_strategy *rs = conf_fixed_retry(2, 1);
    if (!rs)
        return DURABLE_ENOMEM;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = rs;
    int rc = durable_step(child, NULL, NULL, always_fails, NULL, &so);
    durable_retry_strategy_free(rs);
    return rc;
}

/* 3-8: the child's step always fails (maxAttempts 2); the child fails. */
static int h_3_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return run_child(ctx, out, "exhausted-child", child_exhausted_step, NULL, NULL);
}

static int child_step_then_wait(durable_ctx *child, cJSON **result, void *user)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_step(child, &r, NULL, return_text, user, NULL));
    CONF_TRY(durable_wait(child, NULL, 1));
    return conf_return(result, r);
}

/* 3-10: step then wait inside the child; the child returns the input. */
static int h_3_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return run_child(ctx, out, "step-and-wait", child_step_then_wait, (void *)input, NULL);
}

/* 3-11: the child logs the input (outside any step), runs a step returning a
 * small value and builds a > 256 KiB result from it, so it is checkpointed
 * with ReplayChildren and re-run (logging again) on the next invocation. */
#define LARGE_RESULT_BYTES (300 * 1024)

static int return_small(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateString("x");
    return *result ? 0 : DURABLE_ENOMEM;
}

static int child_large(durable_ctx *child, cJSON **result, void *user)
{
    durable_ctx_log(child, DURABLE_LOG_INFO, "child context running for: %s", conf_text(user));
    const cJSON *small = NULL;
    CONF_TRY(durable_step(child, &small, NULL, return_small, NULL, NULL));
    const char *unit = conf_text(small);
    size_t ul = strlen(unit) ? strlen(unit) : 1;
    char *big = durable_malloc(LARGE_RESULT_BYTES + 1);
    if (!big)
        return DURABLE_ENOMEM;
    for (size_t i = 0; i < LARGE_RESULT_BYTES; i++)
        big[i] = unit[0] ? unit[i % ul] : 'x';
    big[LARGE_RESULT_BYTES] = 0;
    *result = cJSON_CreateString(big);
    durable_free(big);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int h_3_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_run_in_child_context(ctx, &r, "large-child", child_large, (void *)input,
                                          NULL));
    size_t len = strlen(conf_text(r));
    CONF_TRY(durable_wait(ctx, NULL, 1));
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "length", (double)len)) {
        cJSON_Delete(o);
        return DURABLE_ENOMEM;
    }
    *out = o;
    return 0;
}

static int child_only_wait(durable_ctx *child, cJSON **result, void *user)
{
    CONF_TRY(durable_wait(child, NULL, 1));
    return conf_return(result, user);
}

/* 3-13: the child holds only a wait; a step outside returns the input. */
static int h_3_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    CONF_TRY(durable_run_in_child_context(ctx, NULL, "waiting-child", child_only_wait,
                                          (void *)input, NULL));
    const cJSON *r = NULL;
    CONF_TRY(durable_step(ctx, &r, NULL, return_text, (void *)input, NULL));
    return conf_return(out, r);
}

/* 3-14: custom serdes: the child's result is checkpointed uppercased, as raw
 * text ("HELLO CHILD"), and read back as that string. */
static int upper_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                           void *user)
{
    (void)sctx;
    (void)user;
    const char *s = conf_text(value);
    char *t = durable_strdup(s);
    if (!t)
        return -1;
    for (char *p = t; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    *out = t;
    return 0;
}

static int text_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                            void *user)
{
    (void)sctx;
    (void)user;
    *out = text ? cJSON_CreateString(text) : cJSON_CreateNull();
    return *out ? 0 : -1;
}

static const durable_serdes upper_serdes = {upper_serialize, text_deserialize, NULL};

static int h_3_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_child_options co = DURABLE_CHILD_OPTIONS_INIT;
    co.serdes = &upper_serdes;
    return run_child(ctx, out, "uppercase-child", child_step_returns, (void *)input, &co);
}

static int child_returns_null(durable_ctx *child, cJSON **result, void *user)
{
    (void)child;
    (void)user;
    *result = NULL;
    return 0;
}

/* 3-16: the child returns null without any durable operation. */
static int h_3_16(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return run_child(ctx, out, "null-child", child_returns_null, NULL, NULL);
}

static int child_logs_only(durable_ctx *child, cJSON **result, void *user)
{
    durable_ctx_log(child, DURABLE_LOG_INFO, "child context processing: %s", conf_text(user));
    return conf_return(result, user);
}

/* 3-17: the child only logs and returns the input; a wait follows. On replay
 * the completed child is not re-run, so the log appears once. */
static int h_3_17(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_run_in_child_context(ctx, &r, "logging-child", child_logs_only,
                                          (void *)input, NULL));
    CONF_TRY(durable_wait(ctx, NULL, 1));
    return conf_return(out, r);
}

const conf_handler conf_child_handlers[] = {
    {"3-1", h_3_1, NULL, 0, NULL, 0},
    {"3-2", h_3_2, NULL, 0, NULL, 0},
    {"3-4", h_3_4, NULL, 0, NULL, 0},
    {"3-5", h_3_5, NULL, 0, NULL, 0},
    {"3-7", h_3_7, NULL, 0, NULL, 0},
    {"3-8", h_3_8, NULL, 0, NULL, 0},
    {"3-10", h_3_10, NULL, 0, NULL, 0},
    {"3-11", h_3_11, NULL, CONF_LOG_DURING_REPLAY, NULL, 0},
    {"3-13", h_3_13, NULL, 0, NULL, 0},
    {"3-14", h_3_14, NULL, 0, NULL, 0},
    {"3-16", h_3_16, NULL, 0, NULL, 0},
    {"3-17", h_3_17, NULL, CONF_LOG_DURING_REPLAY, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
