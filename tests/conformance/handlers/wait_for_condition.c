/* Conformance handlers, suite "wait_for_condition" (6-x). */
#include <stdio.h>
#include <string.h>

#include "conformance/handlers/handlers.h"

static double num(const cJSON *v)
{
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* check: state + 1. */
static int increment(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state, void *user)
{
    (void)sctx;
    (void)user;
    *new_state = cJSON_CreateNumber(num(state) + 1);
    return *new_state ? 0 : DURABLE_ENOMEM;
}

/* check: the state unchanged. */
static int identity(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state, void *user)
{
    (void)sctx;
    (void)user;
    *new_state = state ? cJSON_Duplicate(state, 1) : NULL;
    return 0;
}

static bool below_threshold(const cJSON *state, void *user)
{
    return num(state) < *(const double *)user;
}

/* Poll `check` from `initial` while the state is below `threshold`, with
 * the builder strategy (delay_s fixed when > 0, else the defaults). */
static int poll_until(durable_ctx *ctx, const cJSON **result, durable_check_fn check,
                      double initial, double threshold, double delay_s)
{
    durable_wait_strategy_options wo = DURABLE_WAIT_STRATEGY_OPTIONS_INIT;
    wo.should_continue_polling = below_threshold;
    wo.user = &threshold;
    if (delay_s > 0) {
        wo.initial_delay_seconds = delay_s;
        wo.max_delay_seconds = delay_s;
        wo.backoff_rate = 1;
        wo.jitter = DURABLE_JITTER_NONE;
    }
    durable_wait_strategy *ws = NULL;
    CONF_TRY(durable_wait_strategy_new(&ws, &wo));
    cJSON *init = cJSON_CreateNumber(initial);
    if (!init) {
        durable_wait_strategy_free(ws);
        return DURABLE_ENOMEM;
    }
    durable_wait_for_condition_options o = DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT;
    o.strategy = ws;
    o.initial_state = init;
    int rc = durable_wait_for_condition(ctx, result, NULL, check, NULL, &o);
    cJSON_Delete(init);
    durable_wait_strategy_free(ws);
    return rc;
}

/* 6-1: from 0, +1 per poll, until the input threshold (3); returns 3. */
static int h_6_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(poll_until(ctx, &r, increment, 0, num(input), 0));
    return conf_return(out, r);
}

/* 6-2: from 5, unchanged; the condition (>= input 5) already holds. */
static int h_6_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(poll_until(ctx, &r, identity, 5, num(input), 0));
    return conf_return(out, r);
}

/* 6-4: from the configured initial state 5, +1 until the input (8). */
static int h_6_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(poll_until(ctx, &r, increment, 5, num(input), 0));
    return conf_return(out, r);
}

/* 6-5: fixed 2 s delay between polls, from 0 until the input (3). */
static int h_6_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(poll_until(ctx, &r, increment, 0, num(input), 2));
    return conf_return(out, r);
}

static int check_throws(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state,
                        void *user)
{
    (void)new_state;
    (void)state;
    (void)user;
    return durable_step_fail(sctx, "CheckFailed", "the condition check failed on purpose", NULL);
}

/* 6-7: the check throws on its first run; the execution fails. */
static int h_6_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    (void)input;
    const cJSON *r = NULL;
    CONF_TRY(poll_until(ctx, &r, check_throws, 0, 10, 0));
    return conf_return(out, r);
}

/* 6-8: the same failure is caught; returns "recovered". */
static int h_6_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    (void)input;
    const cJSON *r = NULL;
    int rc = poll_until(ctx, &r, check_throws, 0, 10, 0);
    if (rc != DURABLE_EFAILED)
        return rc ? rc : durable_ctx_fail(ctx, "UnexpectedSuccess", "the check should fail", NULL);
    durable_ctx_clear_error(ctx);
    return conf_return_string(out, "recovered");
}

static int check_null(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state, void *user)
{
    (void)sctx;
    (void)state;
    (void)user;
    *new_state = NULL;
    return 0;
}

static int stop_now(durable_wait_decision *d, const cJSON *state, int attempt, void *user)
{
    (void)state;
    (void)attempt;
    (void)user;
    d->should_continue = false;
    d->delay_seconds = 0;
    return 0;
}

/* 6-10: the check returns null and the strategy stops at once. */
static int h_6_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    (void)input;
    durable_wait_strategy *ws = NULL;
    CONF_TRY(durable_wait_strategy_custom(&ws, stop_now, NULL));
    durable_wait_for_condition_options o = DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT;
    o.strategy = ws;
    const cJSON *r = NULL;
    int rc = durable_wait_for_condition(ctx, &r, NULL, check_null, NULL, &o);
    durable_wait_strategy_free(ws);
    CONF_TRY(rc);
    return conf_return(out, r);
}

/* 6-11: a string state kept with a custom serdes that stores it hex-encoded
 * ("x" → "hex:78"); the check appends "x" until the length is 2. */
static int hex_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                         void *user)
{
    (void)sctx;
    (void)user;
    const char *s = conf_text(value);
    size_t n = strlen(s);
    char *t = durable_malloc(4 + 2 * n + 1);
    if (!t)
        return -1;
    memcpy(t, "hex:", 4);
    for (size_t i = 0; i < n; i++)
        snprintf(t + 4 + 2 * i, 3, "%02x", (unsigned char)s[i]);
    t[4 + 2 * n] = 0;
    *out = t;
    return 0;
}

static int hex_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                           void *user)
{
    (void)sctx;
    (void)user;
    if (!text || strncmp(text, "hex:", 4) != 0 || strlen(text + 4) % 2)
        return -1;
    size_t n = strlen(text + 4) / 2;
    char *s = durable_malloc(n + 1);
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(text + 4 + 2 * i, "%2x", &v) != 1) {
            durable_free(s);
            return -1;
        }
        s[i] = (char)v;
    }
    s[n] = 0;
    *out = cJSON_CreateString(s);
    durable_free(s);
    return *out ? 0 : -1;
}

static const durable_serdes hex_serdes = {hex_serialize, hex_deserialize, NULL};

static int append_x(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state, void *user)
{
    (void)sctx;
    (void)user;
    char *s = durable_sprintf("%sx", conf_text(state));
    *new_state = s ? cJSON_CreateString(s) : NULL;
    durable_free(s);
    return *new_state ? 0 : DURABLE_ENOMEM;
}

static bool shorter_than_two(const cJSON *state, void *user)
{
    (void)user;
    return strlen(conf_text(state)) < 2;
}

static int h_6_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    (void)input;
    durable_wait_strategy_options wo = DURABLE_WAIT_STRATEGY_OPTIONS_INIT;
    wo.should_continue_polling = shorter_than_two;
    durable_wait_strategy *ws = NULL;
    CONF_TRY(durable_wait_strategy_new(&ws, &wo));
    cJSON *init = cJSON_CreateString("");
    durable_wait_for_condition_options o = DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT;
    o.strategy = ws;
    o.initial_state = init;
    o.serdes = &hex_serdes;
    const cJSON *r = NULL;
    int rc = init ? durable_wait_for_condition(ctx, &r, NULL, append_x, NULL, &o) : DURABLE_ENOMEM;
    cJSON_Delete(init);
    durable_wait_strategy_free(ws);
    CONF_TRY(rc);
    return conf_return(out, r);
}

/* 6-13: two polls in sequence: 0 → 2, then 2 → 4 seeded by the first. */
static int h_6_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    (void)input;
    const cJSON *first = NULL, *second = NULL;
    CONF_TRY(poll_until(ctx, &first, increment, 0, 2, 0));
    CONF_TRY(poll_until(ctx, &second, increment, num(first), 4, 0));
    return conf_return(out, second);
}

const conf_handler conf_wait_for_condition_handlers[] = {
    {"6-1", h_6_1, NULL, 0, NULL, 0},
    {"6-2", h_6_2, NULL, 0, NULL, 0},
    {"6-4", h_6_4, NULL, 0, NULL, 0},
    {"6-5", h_6_5, NULL, 0, NULL, 0},
    {"6-7", h_6_7, NULL, 0, NULL, 0},
    {"6-8", h_6_8, NULL, 0, NULL, 0},
    {"6-10", h_6_10, NULL, 0, NULL, 0},
    {"6-11", h_6_11, NULL, 0, NULL, 0},
    {"6-13", h_6_13, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
