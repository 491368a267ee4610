/*
 * invoke_chain — one durable function invoking two others.
 *
 * "checkout" invokes "price" (a durable function: its own execution with
 * its own steps) and "tax" (a plain function). The runner registers both;
 * an unknown name fails the invoke with "Function not found".
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int lookup_price(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    const cJSON *qty = user;
    *result = cJSON_CreateNumber(12.5 * (cJSON_IsNumber(qty) ? qty->valuedouble : 1));
    return 0;
}

/* A durable function: its own execution. */
static int price(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "lookup-price", lookup_price,
                          (void *)cJSON_GetObjectItemCaseSensitive(input, "qty"), NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

/* A plain function. */
static int tax(cJSON **result, durable_error_object *error, const cJSON *input, void *user)
{
    (void)error;
    (void)user;
    *result = cJSON_CreateNumber(cJSON_IsNumber(input) ? input->valuedouble * 0.2 : 0);
    return 0;
}

static int checkout(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *net = NULL, *vat = NULL, *missing = NULL;
    int rc = durable_invoke(ctx, &net, "get-price", "price", input, NULL);
    if (rc == 0)
        rc = durable_invoke(ctx, &vat, "get-tax", "tax", net, NULL);
    if (rc != 0)
        return rc;
    rc = durable_invoke(ctx, &missing, "get-discount", "discounts", NULL, NULL);
    const char *why = "";
    if (rc == DURABLE_EFAILED) {
        const durable_error_object *e = durable_ctx_error(ctx);
        why = e && e->error_message ? e->error_message : "";
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "net", net->valuedouble);
    cJSON_AddNumberToObject(r, "tax", vat->valuedouble);
    cJSON_AddStringToObject(r, "discount", why);
    durable_ctx_clear_error(ctx);
    *out = r;
    return 0;
}

int main(void)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    if (durable_test_env_setup(&cfg) != 0)
        return 1;
    durable_test_runner *r = NULL;
    durable_test_result *res = NULL;
    int failed = 1;
    if (durable_test_runner_new(&r, checkout, NULL, "checkout") == 0 &&
        durable_test_runner_register_durable_function(r, "price", price, NULL) == 0 &&
        durable_test_runner_register_function(r, "tax", tax, NULL) == 0 &&
        durable_test_runner_run(&res, r, "{\"qty\":4}") == 0) {
        const char *text = NULL;
        durable_test_result_get_result(&text, res);
        printf("result: %s\n\n", text ? text : "(none)");
        durable_test_result_print(res, stdout, NULL);
        int64_t price_calls = 0, tax_calls = 0;
        durable_test_runner_function_call_count(&price_calls, r, "price");
        durable_test_runner_function_call_count(&tax_calls, r, "tax");
        printf("\nprice ran in %lld invocation(s), tax was called %lld time(s)\n",
               (long long)price_calls, (long long)tax_calls);
        failed = !(text && strstr(text, "\"net\":50") && strstr(text, "\"tax\":10") &&
                   strstr(text, "Function not found: discounts") && tax_calls == 1);
    } else {
        fprintf(stderr, "run: %s\n", durable_error_last()->message);
    }
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\ninvoke_chain: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
