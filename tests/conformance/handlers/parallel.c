/* Conformance handlers, suite "parallel" (8-x). */
#include <string.h>

#include "conformance/handlers/handlers.h"

/* ---- branch bodies ---------------------------------------------------------- */

static int step_text(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(user);
    return *result ? 0 : DURABLE_ENOMEM;
}

/* A branch that runs one step returning the constant `user`. */
static int branch_step(durable_ctx *child, cJSON **result, void *user)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_step(child, &r, NULL, step_text, user, NULL));
    return conf_return(result, r);
}

/* A branch returning the constant string `user` directly. */
static int branch_text(durable_ctx *child, cJSON **result, void *user)
{
    (void)child;
    return conf_return_string(result, user);
}

/* A branch returning the JSON value written in `user`. */
static int branch_json(durable_ctx *child, cJSON **result, void *user)
{
    (void)child;
    *result = cJSON_Parse(user);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int branch_fails(durable_ctx *child, cJSON **result, void *user)
{
    (void)result;
    return durable_ctx_fail(child, "BranchError", user ? user : "the branch failed on purpose",
                            NULL);
}

/* ---- helpers ---------------------------------------------------------------- */

static int run_parallel(durable_ctx *ctx, const durable_batch_result **br, const char *name,
                        const durable_branch *b, size_t n, int max_concurrency,
                        durable_completion_config completion)
{
    durable_parallel_options o = DURABLE_PARALLEL_OPTIONS_INIT;
    o.max_concurrency = max_concurrency;
    o.completion = completion;
    return durable_parallel(ctx, br, name, b, n, &o);
}

static durable_completion_config no_completion(void)
{
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    return c;
}

/* ---- handlers ----------------------------------------------------------------- */

/* 8-1: two branches, each one step ("task-1", "task-2"), sequential. */
static int h_8_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_step, "task-1"}, {NULL, branch_step, "task-2"}};
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "parallel", b, 2, 1, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-2: branches-only form (no name); branches return "alpha" / "beta". */
static int h_8_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_text, "alpha"}, {NULL, branch_text, "beta"}};
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, NULL, b, 2, 1, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-4: branches return "hello", 42 and {k: "v"}. */
static int h_8_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_json, "\"hello\""},
                                {NULL, branch_json, "42"},
                                {NULL, branch_json, "{\"k\":\"v\"}"}};
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "hetero", b, 3, 1, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-5: no branches at all. */
static int h_8_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "empty", NULL, 0, DURABLE_UNLIMITED, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-7: fail-fast; branch 0 fails, branch 1 never starts; throwIfError. */
static int h_8_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_fails, NULL}, {NULL, branch_text, "never"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.tolerated_failure_count = 0;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "throwing", b, 2, 1, c));
    CONF_TRY(durable_batch_result_throw_if_error(ctx, br));
    return conf_batch_results(out, br);
}

/* 8-8: min-successful 2 of 4; stops after two successes. */
static int h_8_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_text, "b0"},
                                {NULL, branch_text, "b1"},
                                {NULL, branch_text, "b2"},
                                {NULL, branch_text, "b3"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.min_successful = 2;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "min-successful", b, 4, 1, c));
    return conf_batch_projection(out, br, false, false);
}

/* 8-10: tolerated-failure-count 1; two failures stop it before branch 2. */
static int h_8_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_fails, NULL},
                                {NULL, branch_fails, NULL},
                                {NULL, branch_text, "b2"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.tolerated_failure_count = 1;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "tolerated-exceeded", b, 3, 1, c));
    return conf_batch_projection(out, br, false, true);
}

/* 8-11: three branches, up to two at a time; results in index order. */
static int h_8_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_text, "r0"},
                                {NULL, branch_text, "r1"},
                                {NULL, branch_text, "r2"}};
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "concurrent", b, 3, 2, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-13: tolerated-failure-percentage 25 of 4; the second failure (50%) stops it. */
static int h_8_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_fails, NULL},
                                {NULL, branch_fails, NULL},
                                {NULL, branch_text, "b2"},
                                {NULL, branch_text, "b3"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.tolerated_failure_percentage = 25;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "tolerated-pct", b, 4, 1, c));
    return conf_batch_projection(out, br, false, true);
}

/* Branch 1 of 8-14: wait(2 s), then "b1". */
static int branch_wait_then_text(durable_ctx *child, cJSON **result, void *user)
{
    CONF_TRY(durable_wait(child, NULL, 2));
    return conf_return_string(result, user);
}

/* 8-14: branch 0 is a step ("b0"); branch 1 suspends on a wait. */
static int h_8_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_step, "b0"}, {NULL, branch_wait_then_text, "b1"}};
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "suspending", b, 2, 1, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-16: tolerated-failure-count 3; all three branches fail, all run. */
static int h_8_16(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_fails, NULL},
                                {NULL, branch_fails, NULL},
                                {NULL, branch_fails, NULL}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.tolerated_failure_count = 3;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "all-fail", b, 3, 1, c));
    return conf_batch_projection(out, br, true, true);
}

/* 8-17: min-successful 3 never reached (ok, fail, ok). */
static int h_8_17(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_text, "b0"},
                                {NULL, branch_fails, NULL},
                                {NULL, branch_text, "b2"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.min_successful = 3;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "min-not-reached", b, 3, 1, c));
    return conf_batch_projection(out, br, true, true);
}

/* 8-19: max-concurrency 0 is a validation error before any branch. */
static int h_8_19(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_text, "a"}, {NULL, branch_text, "b"}};
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "invalid", b, 2, 0, no_completion()));
    return conf_batch_results(out, br);
}

/* 8-20: ok, fail, ok with tolerated-failure-count 1; the accessors. */
static int h_8_20(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_text, "b0"},
                                {NULL, branch_fails, NULL},
                                {NULL, branch_text, "b2"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.tolerated_failure_count = 1;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "accessors", b, 3, 1, c));
    const durable_batch_item *failed[8];
    size_t succeeded = durable_batch_result_filter(NULL, 0, br, DURABLE_ITEM_SUCCEEDED);
    size_t nfailed = durable_batch_result_filter(failed, 8, br, DURABLE_ITEM_FAILED);
    size_t errors = 0;
    for (size_t i = 0; i < nfailed && i < 8; i++)
        if (failed[i]->error)
            errors++;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return DURABLE_ENOMEM;
    cJSON_AddBoolToObject(o, "hasFailure", br->has_failure);
    cJSON_AddNumberToObject(o, "successCount", (double)succeeded);
    cJSON_AddNumberToObject(o, "failureCount", (double)nfailed);
    cJSON_AddNumberToObject(o, "errorCount", (double)errors);
    *out = o;
    return 0;
}

/* 8-22: 1 failure of 4 equals the tolerated 25%: not exceeded, all run. */
static int h_8_22(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{NULL, branch_fails, NULL},
                                {NULL, branch_text, "b1"},
                                {NULL, branch_text, "b2"},
                                {NULL, branch_text, "b3"}};
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.tolerated_failure_percentage = 25;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_parallel(ctx, &br, "pct-equal", b, 4, 1, c));
    return conf_batch_projection(out, br, true, true);
}

const conf_handler conf_parallel_handlers[] = {
    {"8-1", h_8_1, NULL, 0, NULL, 0},
    {"8-2", h_8_2, NULL, 0, NULL, 0},
    {"8-4", h_8_4, NULL, 0, NULL, 0},
    {"8-5", h_8_5, NULL, 0, NULL, 0},
    {"8-7", h_8_7, NULL, 0, NULL, 0},
    {"8-8", h_8_8, NULL, 0, NULL, 0},
    {"8-10", h_8_10, NULL, 0, NULL, 0},
    {"8-11", h_8_11, NULL, 0, NULL, 0},
    {"8-13", h_8_13, NULL, 0, NULL, 0},
    {"8-14", h_8_14, NULL, 0, NULL, 0},
    {"8-16", h_8_16, NULL, 0, NULL, 0},
    {"8-17", h_8_17, NULL, 0, NULL, 0},
    {"8-19", h_8_19, NULL, 0, NULL, 0},
    {"8-20", h_8_20, NULL, 0, NULL, 0},
    {"8-22", h_8_22, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
