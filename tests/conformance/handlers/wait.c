/* Conformance handlers, suite "wait" (2-x). */
#include "conformance/handlers/handlers.h"

/* 2-1: wait(2 s). */
static int h_2_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, NULL, DURABLE_SECONDS(2));
}

/* 2-2: wait(2 s) named "custom_wait_name". */
static int h_2_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, "custom_wait_name", DURABLE_SECONDS(2));
}

/* 2-4: Duration.from_minutes(1) → 60 s. */
static int h_2_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, NULL, durable_duration_seconds(0, 0, 1, 0));
}

/* 2-5: Duration.from_hours(1) → 3600 s. */
static int h_2_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, NULL, durable_duration_seconds(0, 1, 0, 0));
}

const conf_handler conf_wait_handlers[] = {
    {"2-1", h_2_1, NULL, 0, NULL, 0},
    {"2-2", h_2_2, NULL, 0, NULL, 0},
    {"2-4", h_2_4, NULL, 0, NULL, 0},
    {"2-5", h_2_5, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
