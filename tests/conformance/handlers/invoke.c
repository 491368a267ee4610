/* Conformance handlers, suite "invoke" (5-x). Targets: targets.c. */
#include <ctype.h>
#include <string.h>

#include "conformance/handlers/handlers.h"

static int invoke_and_return(durable_ctx *ctx, cJSON **out, const char *name,
                             const char *function, const cJSON *payload,
                             const durable_invoke_options *opts)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_invoke(ctx, &r, name, function, payload, opts));
    return conf_return(out, r);
}

/* 5-1: invoke echo with the input; return the echoed result. */
static int h_5_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return invoke_and_return(ctx, out, NULL, "echo", input, NULL);
}

/* 5-2: invoke named input.name, echo, payload input.payload. */
static int h_5_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return invoke_and_return(ctx, out, conf_text(conf_field(input, "name")), "echo",
                             conf_field(input, "payload"), NULL);
}

/* 5-4: invoke echo with a null payload; return its (null) result. */
static int h_5_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return invoke_and_return(ctx, out, NULL, "echo", NULL, NULL);
}

/* 5-5: invoke the failing target; InvokeError fails the execution. */
static int h_5_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return invoke_and_return(ctx, out, NULL, "error", NULL, NULL);
}

/* 5-7: invoke echo with a large payload ({"data": 200,000 × "x"}); return
 * the size of what came back. */
#define LARGE_PAYLOAD_BYTES 200000

static int h_5_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    char *data = durable_malloc(LARGE_PAYLOAD_BYTES + 1);
    if (!data)
        return DURABLE_ENOMEM;
    memset(data, 'x', LARGE_PAYLOAD_BYTES);
    data[LARGE_PAYLOAD_BYTES] = 0;
    cJSON *payload = cJSON_CreateObject();
    if (!payload || !cJSON_AddStringToObject(payload, "data", data)) {
        durable_free(data);
        cJSON_Delete(payload);
        return DURABLE_ENOMEM;
    }
    durable_free(data);
    const cJSON *r = NULL;
    int rc = durable_invoke(ctx, &r, NULL, "echo", payload, NULL);
    cJSON_Delete(payload);
    CONF_TRY(rc);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "size",
                                       (double)strlen(conf_text(conf_field(r, "data"))))) {
        cJSON_Delete(o);
        return DURABLE_ENOMEM;
    }
    *out = o;
    return 0;
}

/* 5-8: invoke echo-tenant with input.payload and TenantId input.tenantId. */
static int h_5_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_invoke_options o = DURABLE_INVOKE_OPTIONS_INIT;
    o.tenant_id = conf_text(conf_field(input, "tenantId"));
    return invoke_and_return(ctx, out, NULL, "echo-tenant", conf_field(input, "payload"), &o);
}

/* 5-10: the failed invoke is caught, then wait(1 s); on replay the cached
 * error is re-raised and caught again without invoking. */
static int h_5_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    int rc = durable_invoke(ctx, NULL, NULL, "error", NULL, NULL);
    if (rc != DURABLE_EFAILED)
        return rc ? rc : durable_ctx_fail(ctx, "UnexpectedSuccess", "the invoke should fail", NULL);
    durable_ctx_clear_error(ctx);
    CONF_TRY(durable_wait(ctx, NULL, 1));
    return conf_return_string(out, "invoke error handled");
}

static int step_value(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateString("step-result");
    return *result ? 0 : DURABLE_ENOMEM;
}

/* 5-11: a step, then invoke echo with the step's result. */
static int h_5_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *s = NULL;
    CONF_TRY(durable_step(ctx, &s, NULL, step_value, NULL, NULL));
    return invoke_and_return(ctx, out, NULL, "echo", s, NULL);
}

static int child_invokes(durable_ctx *child, cJSON **result, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_invoke(child, &r, NULL, "echo", NULL, NULL));
    return conf_return(result, r);
}

/* 5-13: invoke echo inside a child context; the child returns the result. */
static int h_5_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_run_in_child_context(ctx, &r, NULL, child_invokes, NULL, NULL));
    return conf_return(out, r);
}

/* 5-14: two invokes, one after the other. */
static int h_5_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    cJSON *one = cJSON_CreateString("first");
    cJSON *two = cJSON_CreateString("second");
    const cJSON *r1 = NULL, *r2 = NULL;
    int rc = durable_invoke(ctx, &r1, NULL, "echo", one, NULL);
    if (rc == 0)
        rc = durable_invoke(ctx, &r2, NULL, "echo", two, NULL);
    cJSON_Delete(one);
    cJSON_Delete(two);
    CONF_TRY(rc);
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return DURABLE_ENOMEM;
    cJSON_AddItemToArray(arr, cJSON_Duplicate(r1, 1));
    cJSON_AddItemToArray(arr, cJSON_Duplicate(r2, 1));
    *out = arr;
    return 0;
}

/* 5-16: a custom result deserializer uppercases the raw result text (so the
 * echoed "\"hello\"" becomes the string "\"HELLO\""). */
static int upper_text_deserialize(cJSON **out, const char *text,
                                  const durable_serdes_context *sctx, void *user)
{
    (void)sctx;
    (void)user;
    if (!text) {
        *out = cJSON_CreateNull();
        return *out ? 0 : -1;
    }
    char *t = durable_strdup(text);
    if (!t)
        return -1;
    for (char *p = t; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    *out = cJSON_CreateString(t);
    durable_free(t);
    return *out ? 0 : -1;
}

static int json_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                          void *user)
{
    (void)sctx;
    (void)user;
    char *t = value ? cJSON_PrintUnformatted(value) : NULL;
    *out = durable_strdup(t ? t : "null");
    cJSON_free(t);
    return *out ? 0 : -1;
}

static const durable_serdes upper_result_serdes = {json_serialize, upper_text_deserialize, NULL};

static int h_5_16(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_invoke_options o = DURABLE_INVOKE_OPTIONS_INIT;
    o.result_serdes = &upper_result_serdes;
    return invoke_and_return(ctx, out, NULL, "echo", input, &o);
}

const conf_handler conf_invoke_handlers[] = {
    {"5-1", h_5_1, NULL, 0, NULL, 0},
    {"5-2", h_5_2, NULL, 0, NULL, 0},
    {"5-4", h_5_4, NULL, 0, NULL, 0},
    {"5-5", h_5_5, NULL, 0, NULL, 0},
    {"5-7", h_5_7, NULL, 0, NULL, 0},
    {"5-8", h_5_8, NULL, 0, NULL, 0},
    {"5-10", h_5_10, NULL, 0, NULL, 0},
    {"5-11", h_5_11, NULL, 0, NULL, 0},
    {"5-13", h_5_13, NULL, 0, NULL, 0},
    {"5-14", h_5_14, NULL, 0, NULL, 0},
    {"5-16", h_5_16, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
