/* Conformance handlers, suite "wait_for_callback" (7-x). */
#include <string.h>

#include "conformance/handlers/handlers.h"

/* A submitter that hands the id to nobody (the test harness completes it). */
static int submit_nothing(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)sctx;
    (void)callback_id;
    (void)user;
    return 0;
}

static int submit_fails(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)callback_id;
    (void)user;
    return durable_step_fail(sctx, "SubmitterError", "the submitter failed on purpose", NULL);
}

static int wfc(durable_ctx *ctx, cJSON **out, const char *name, durable_submitter_fn submitter,
               const durable_wait_for_callback_options *opts)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_wait_for_callback(ctx, &r, name, submitter, NULL, opts));
    return conf_return(out, r);
}

/* 7-1: wait_for_callback named by the input; returns the callback result. */
static int h_7_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return wfc(ctx, out, conf_text(input), submit_nothing, NULL);
}

/* 7-2: named "approval". */
static int h_7_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return wfc(ctx, out, "approval", submit_nothing, NULL);
}

/* 7-4: the external failure is not caught; the execution fails. */
static int h_7_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return wfc(ctx, out, conf_text(input), submit_nothing, NULL);
}

/* 7-5: 3 s timeout, nobody completes it; the execution fails. */
static int h_7_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = 3;
    return wfc(ctx, out, conf_text(input), submit_nothing, &o);
}

/* 7-7: the submitter always fails; 2 attempts 1 s apart, then it fails. */
static int h_7_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_retry_strategy *rs = conf_fixed_retry(2, 1);
    if (!rs)
        return DURABLE_ENOMEM;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.retry = rs;
    int rc = wfc(ctx, out, conf_text(input), submit_fails, &o);
    durable_retry_strategy_free(rs);
    return rc;
}

static int wrapper_body(durable_ctx *child, cJSON **result, void *user)
{
    return wfc(child, result, conf_text(user), submit_nothing, NULL);
}

/* 7-8: inside a child context named "wrapper". */
static int h_7_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_run_in_child_context(ctx, &r, "wrapper", wrapper_body, (void *)input, NULL));
    return conf_return(out, r);
}

static int fixed_data(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateString("fixed-data");
    return *result ? 0 : DURABLE_ENOMEM;
}

/* 7-10: wait(1 s), a top-level step, then wait_for_callback. */
static int h_7_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    CONF_TRY(durable_wait(ctx, NULL, 1));
    CONF_TRY(durable_step(ctx, NULL, NULL, fixed_data, NULL, NULL));
    return wfc(ctx, out, conf_text(input), submit_nothing, NULL);
}

/* 7-11: the result is decoded as JSON; returns its "status" field. */
static int h_7_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.serdes = durable_serdes_json();
    const cJSON *r = NULL;
    CONF_TRY(durable_wait_for_callback(ctx, &r, conf_text(input), submit_nothing, NULL, &o));
    return conf_return(out, conf_field(r, "status"));
}

/* 7-13: 10 s heartbeat timeout; a heartbeat, then success. */
static int h_7_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.heartbeat_timeout_seconds = 10;
    return wfc(ctx, out, conf_text(input), submit_nothing, &o);
}

/* 7-14: the 3 s timeout is caught; returns "timed-out-handled". */
static int h_7_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = 3;
    const cJSON *r = NULL;
    int rc = durable_wait_for_callback(ctx, &r, conf_text(input), submit_nothing, NULL, &o);
    if (rc != DURABLE_EFAILED)
        return rc ? rc : conf_return(out, r);
    durable_ctx_clear_error(ctx);
    return conf_return_string(out, "timed-out-handled");
}

const conf_handler conf_wait_for_callback_handlers[] = {
    {"7-1", h_7_1, NULL, 0, NULL, 0},
    {"7-2", h_7_2, NULL, 0, NULL, 0},
    {"7-4", h_7_4, NULL, 0, NULL, 0},
    {"7-5", h_7_5, NULL, 0, NULL, 0},
    {"7-7", h_7_7, NULL, 0, NULL, 0},
    {"7-8", h_7_8, NULL, 0, NULL, 0},
    {"7-10", h_7_10, NULL, 0, NULL, 0},
    {"7-11", h_7_11, NULL, 0, NULL, 0},
    {"7-13", h_7_13, NULL, 0, NULL, 0},
    {"7-14", h_7_14, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
