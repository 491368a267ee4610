/* Conformance handlers, suite "callback" (4-x). */
#include <string.h>

#include "conformance/handlers/handlers.h"

static int return_text(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(user);
    return *result ? 0 : DURABLE_ENOMEM;
}

/* Create a callback named `name` with the given timeouts and await it. */
static int create_and_await(durable_ctx *ctx, const cJSON **result, const char *name,
                            int64_t timeout_s, int64_t heartbeat_s)
{
    durable_callback_options o = DURABLE_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = timeout_s;
    o.heartbeat_timeout_seconds = heartbeat_s;
    durable_callback *cb = NULL;
    CONF_TRY(durable_create_callback(ctx, &cb, name, &o));
    return durable_callback_await(cb, result);
}

/* 4-1: callback named by the input; returns the callback result. */
static int h_4_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(create_and_await(ctx, &r, conf_text(input), 0, 0));
    return conf_return(out, r);
}

/* 4-2: callback named "approval". */
static int h_4_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(create_and_await(ctx, &r, "approval", 0, 0));
    return conf_return(out, r);
}

/* 4-4: 5 s heartbeat timeout, no heartbeat: CallbackError fails the run. */
static int h_4_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(create_and_await(ctx, &r, conf_text(input), 0, 5));
    return conf_return(out, r);
}

/* 4-5: 10 s heartbeat timeout; a heartbeat keeps it alive, then success. */
static int h_4_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(create_and_await(ctx, &r, conf_text(input), 0, 10));
    return conf_return(out, r);
}

/* Create (with a timeout), run a step, then await; failures are not caught. */
static int create_step_await(durable_ctx *ctx, cJSON **out, const char *name, int64_t timeout_s)
{
    durable_callback_options o = DURABLE_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = timeout_s;
    durable_callback *cb = NULL;
    CONF_TRY(durable_create_callback(ctx, &cb, name, &o));
    CONF_TRY(durable_step(ctx, NULL, NULL, return_text, "step-done", NULL));
    const cJSON *r = NULL;
    CONF_TRY(durable_callback_await(cb, &r));
    return conf_return(out, r);
}

/* 4-7: callback, step, await; the external failure fails the execution. */
static int h_4_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return create_step_await(ctx, out, conf_text(input), 0);
}

/* 4-8: callback (5 s timeout), step, await; the timeout fails the run. */
static int h_4_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return create_step_await(ctx, out, conf_text(input), 5);
}

/* Create (with a timeout), wait `wait_s`, then await; not caught. */
static int create_wait_await(durable_ctx *ctx, cJSON **out, const char *name, int64_t timeout_s,
                             int64_t wait_s)
{
    durable_callback_options o = DURABLE_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = timeout_s;
    durable_callback *cb = NULL;
    CONF_TRY(durable_create_callback(ctx, &cb, name, &o));
    CONF_TRY(durable_wait(ctx, NULL, wait_s));
    const cJSON *r = NULL;
    CONF_TRY(durable_callback_await(cb, &r));
    return conf_return(out, r);
}

/* 4-10: callback, wait(5 s), await; the failure arrives during the wait. */
static int h_4_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return create_wait_await(ctx, out, conf_text(input), 0, 5);
}

/* 4-11: callback (3 s timeout), wait(6 s), await; it times out meanwhile. */
static int h_4_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return create_wait_await(ctx, out, conf_text(input), 3, 6);
}

/* Await with error handling; on failure keep the message, then wait(2 s). */
static int await_caught_then_wait(durable_ctx *ctx, cJSON **out, const char *name,
                                  int64_t timeout_s)
{
    const cJSON *r = NULL;
    int rc = create_and_await(ctx, &r, name, timeout_s, 0);
    if (rc != 0 && rc != DURABLE_EFAILED)
        return rc;
    char *message = NULL;
    if (rc == DURABLE_EFAILED) {
        const durable_error_object *e = durable_ctx_error(ctx);
        message = durable_sprintf("callback failed: %s",
                                  e && e->error_message ? e->error_message : "(no message)");
        durable_ctx_clear_error(ctx);
    } else {
        message = durable_sprintf("callback succeeded");
    }
    if (!message)
        return DURABLE_ENOMEM;
    rc = durable_wait(ctx, NULL, 2);
    if (rc == 0)
        rc = conf_return_string(out, message);
    durable_free(message);
    return rc;
}

/* 4-13: the external failure is caught; wait(2 s); return the message. */
static int h_4_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return await_caught_then_wait(ctx, out, conf_text(input), 0);
}

/* 4-14: the 3 s timeout is caught; wait(2 s); return the message. */
static int h_4_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return await_caught_then_wait(ctx, out, conf_text(input), 3);
}

/* 4-16: a custom deserializer parses the payload into a number. */
static int number_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                              void *user)
{
    (void)sctx;
    (void)user;
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    if (!cJSON_IsNumber(v)) {
        cJSON_Delete(v);
        return -1;
    }
    *out = v;
    return 0;
}

static int number_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                            void *user)
{
    (void)sctx;
    (void)user;
    char *t = cJSON_PrintUnformatted(value);
    *out = t ? durable_strdup(t) : NULL;
    cJSON_free(t);
    return *out ? 0 : -1;
}

static const durable_serdes number_serdes = {number_serialize, number_deserialize, NULL};

static int h_4_16(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_callback_options o = DURABLE_CALLBACK_OPTIONS_INIT;
    o.serdes = &number_serdes;
    durable_callback *cb = NULL;
    CONF_TRY(durable_create_callback(ctx, &cb, conf_text(input), &o));
    const cJSON *n = NULL;
    CONF_TRY(durable_callback_await(cb, &n));
    double count = cJSON_IsNumber(n) ? n->valuedouble : 0;
    cJSON *o2 = cJSON_CreateObject();
    if (!o2 || !cJSON_AddNumberToObject(o2, "count", count) ||
        !cJSON_AddNumberToObject(o2, "doubled", count * 2)) {
        cJSON_Delete(o2);
        return DURABLE_ENOMEM;
    }
    *out = o2;
    return 0;
}

static int pair(cJSON **out, const cJSON *a, const cJSON *b)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return DURABLE_ENOMEM;
    cJSON_AddItemToArray(arr, a ? cJSON_Duplicate(a, 1) : cJSON_CreateNull());
    cJSON_AddItemToArray(arr, b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
    *out = arr;
    return 0;
}

/* 4-17: create A, await A, create B, await B. */
static int h_4_17(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *ra = NULL, *rb = NULL;
    CONF_TRY(create_and_await(ctx, &ra, conf_text(cJSON_GetArrayItem(input, 0)), 0, 0));
    CONF_TRY(create_and_await(ctx, &rb, conf_text(cJSON_GetArrayItem(input, 1)), 0, 0));
    return pair(out, ra, rb);
}

/* 4-19: create A, create B, await B, await A. */
static int h_4_19(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_callback *a = NULL, *b = NULL;
    CONF_TRY(durable_create_callback(ctx, &a, conf_text(cJSON_GetArrayItem(input, 0)), NULL));
    CONF_TRY(durable_create_callback(ctx, &b, conf_text(cJSON_GetArrayItem(input, 1)), NULL));
    const cJSON *ra = NULL, *rb = NULL;
    CONF_TRY(durable_callback_await(b, &rb));
    CONF_TRY(durable_callback_await(a, &ra));
    return pair(out, ra, rb);
}

const conf_handler conf_callback_handlers[] = {
    {"4-1", h_4_1, NULL, 0, NULL, 0},
    {"4-2", h_4_2, NULL, 0, NULL, 0},
    {"4-4", h_4_4, NULL, 0, NULL, 0},
    {"4-5", h_4_5, NULL, 0, NULL, 0},
    {"4-7", h_4_7, NULL, 0, NULL, 0},
    {"4-8", h_4_8, NULL, 0, NULL, 0},
    {"4-10", h_4_10, NULL, 0, NULL, 0},
    {"4-11", h_4_11, NULL, 0, NULL, 0},
    {"4-13", h_4_13, NULL, 0, NULL, 0},
    {"4-14", h_4_14, NULL, 0, NULL, 0},
    {"4-16", h_4_16, NULL, 0, NULL, 0},
    {"4-17", h_4_17, NULL, 0, NULL, 0},
    {"4-19", h_4_19, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
