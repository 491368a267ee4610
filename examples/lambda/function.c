/*
 * A durable C function ready to deploy to AWS Lambda (custom runtime
 * provided.al2023, x86_64): `make lambda-package` builds it as `bootstrap`
 * and zips it (see the README section "Deploy to AWS Lambda" and
 * template.yaml). The same program runs unchanged as a function of
 * `durable serve` (tests/test_aws_lambda_example.c drives it there with the
 * cloud runner).
 *
 * The workflow: reserve stock for an order (a step), give the customer a
 * grace period to cancel (a durable wait: no compute is billed while it
 * waits, and the function may be unloaded), then charge (a step that retries
 * on failure). Input {"order": "A-1", "amount": 42}; output
 * {"order": "A-1", "reserved": true, "charged": 42}.
 */
#include <stdio.h>
#include <string.h>

#include "durable/lambda.h"

static const char *order_id(const cJSON *input)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(input, "order");
    return cJSON_IsString(o) ? o->valuestring : NULL;
}

static int reserve(durable_step_ctx *sctx, cJSON **result, void *user)
{
    const char *order = user;
    durable_step_log(sctx, DURABLE_LOG_INFO, "reserving stock for order %s", order);
    *result = cJSON_CreateTrue();
    return *result ? 0 : DURABLE_ENOMEM;
}

static int charge(durable_step_ctx *sctx, cJSON **result, void *user)
{
    double amount = *(const double *)user;
    if (amount <= 0)
        return durable_step_fail(sctx, "InvalidAmount", "the amount must be positive", NULL);
    *result = cJSON_CreateNumber(amount);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const char *order = order_id(input);
    if (!order)
        return durable_ctx_fail(ctx, "InvalidInput", "input needs {\"order\": \"<id>\"}", NULL);
    const cJSON *amount_j = cJSON_GetObjectItemCaseSensitive(input, "amount");
    double amount = cJSON_IsNumber(amount_j) ? amount_j->valuedouble : 0;

    const cJSON *reserved = NULL, *charged = NULL;
    int rc = durable_step(ctx, &reserved, "reserve", reserve, (void *)order, NULL);
    if (rc == 0)
        rc = durable_wait(ctx, "grace-period", DURABLE_MINUTES(10));
    if (rc == 0)
        rc = durable_step(ctx, &charged, "charge", charge, &amount, NULL);
    if (rc != 0)
        return rc; /* DURABLE_PENDING (suspend) and failures go back unchanged */

    cJSON *r = cJSON_CreateObject();
    if (!r || !cJSON_AddStringToObject(r, "order", order) ||
        !cJSON_AddBoolToObject(r, "reserved", cJSON_IsTrue(reserved)) ||
        !cJSON_AddNumberToObject(r, "charged", charged ? charged->valuedouble : 0)) {
        cJSON_Delete(r);
        return DURABLE_ENOMEM;
    }
    *out = r;
    return 0;
}

int main(void)
{
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    int rc = durable_lambda_run(handler, NULL, &o);
    if (rc != 0)
        fprintf(stderr, "bootstrap: %s\n", durable_error_last()->message);
    return rc == 0 ? 0 : 1;
}
