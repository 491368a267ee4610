/*
 * load_fn — the durable function of `make load`: a C custom runtime
 * (durable_lambda_run) run by `durable serve` as processes on the Lambda
 * Runtime API.
 *
 * Input {"n": N, "steps": K, "wait": bool, "callback": bool, "fail": bool}.
 * The workflow: K steps (step i returns N + i); then a 1-second wait when
 * asked; then a callback answered by the load clients when asked (a
 * callback failure fails the execution with the client's error); then, when
 * asked, a user error LoadError. Result {"n": N, "sum": Σ(N + i), "approval":
 * <the callback's raw result>} — a pure function of the input, so a client
 * can check every result it gets back.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "durable/context.h"
#include "durable/lambda.h"

#include <cjson/cJSON.h>

typedef struct step_arg {
    double value;
} step_arg;

static int body(durable_step_ctx *s, cJSON **result, void *user)
{
    (void)s;
    const step_arg *a = user;
    *result = cJSON_CreateNumber(a->value);
    return *result ? 0 : DURABLE_ENOMEM;
}

static bool flag(const cJSON *input, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(input, name));
}

static int handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(input, "n");
    const cJSON *jk = cJSON_GetObjectItemCaseSensitive(input, "steps");
    double n = cJSON_IsNumber(jn) ? jn->valuedouble : 0;
    int k = cJSON_IsNumber(jk) ? jk->valueint : 0;
    double sum = 0;
    int rc = 0;
    for (int i = 0; i < k && rc == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "step-%d", i);
        step_arg a = {n + i};
        const cJSON *v = NULL;
        rc = durable_step(ctx, &v, name, body, &a, NULL);
        if (rc == 0)
            sum += v->valuedouble;
    }
    if (rc == 0 && flag(input, "wait"))
        rc = durable_wait(ctx, "pause", 1);
    const cJSON *approval = NULL;
    if (rc == 0 && flag(input, "callback")) {
        /* A timeout, so an answer the clients never send ends the execution
         * (and fails the run's check) instead of leaving it open. */
        durable_callback_options co = DURABLE_CALLBACK_OPTIONS_INIT;
        co.timeout_seconds = 300;
        durable_callback *cb = NULL;
        rc = durable_create_callback(ctx, &cb, "approve", &co);
        if (rc == 0)
            rc = durable_callback_await(cb, &approval);
    }
    if (rc == 0 && flag(input, "fail"))
        rc = durable_ctx_fail(ctx, "LoadError", "the input asked for a failure", NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_CreateObject();
    if (!*out)
        return DURABLE_ENOMEM;
    cJSON_AddNumberToObject(*out, "n", n);
    cJSON_AddNumberToObject(*out, "sum", sum);
    if (approval)
        cJSON_AddItemToObject(*out, "approval", cJSON_Duplicate(approval, 1));
    return 0;
}

int main(void)
{
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    return durable_lambda_run(handler, NULL, &o) == 0 ? 0 : 1;
}
