/*
 * simple_workflow — steps and a durable wait.
 *
 * validate → wait 1 hour → charge. The runner skips the hour (virtual
 * time), so the test takes milliseconds, and the history still shows the
 * hour between WaitStarted and WaitSucceeded.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int validate(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    const cJSON *amount = user;
    if (!cJSON_IsNumber(amount) || amount->valuedouble <= 0)
        return durable_step_fail(sctx, "ValidationError", "amount must be positive", NULL);
    *result = cJSON_CreateNumber(amount->valuedouble);
    return 0;
}

static int charge(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    const cJSON *amount = user;
    cJSON *receipt = cJSON_CreateObject();
    cJSON_AddStringToObject(receipt, "status", "charged");
    cJSON_AddNumberToObject(receipt, "amount", amount->valuedouble);
    *result = receipt;
    return 0;
}

static int workflow(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    durable_step_options once = DURABLE_STEP_OPTIONS_INIT;
    once.retry = durable_retry_preset_none();
    const cJSON *amount = NULL, *receipt = NULL;
    int rc = durable_step(ctx, &amount, "validate", validate,
                          (void *)cJSON_GetObjectItemCaseSensitive(input, "amount"), &once);
    if (rc == 0)
        rc = durable_wait(ctx, "cooling-off", DURABLE_HOURS(1));
    if (rc == 0)
        rc = durable_step(ctx, &receipt, "charge", charge, (void *)amount, NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(receipt, 1);
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
    if (durable_test_runner_new(&r, workflow, NULL, "simple-workflow") == 0 &&
        durable_test_runner_run(&res, r, "{\"amount\":42}") == 0) {
        const char *text = NULL;
        durable_test_result_get_result(&text, res);
        durable_test_operation *wait = NULL;
        durable_test_wait_details wd = { 0, 0 };
        if (durable_test_result_get_operation(&wait, res, "cooling-off") == 0)
            durable_test_operation_wait_details(&wd, wait);
        printf("result: %s\ninvocations: %zu (one per suspension, plus the last)\n",
               text ? text : "(none)", durable_test_result_invocation_count(res));
        printf("the wait asked for %lld s\n\n", (long long)wd.wait_seconds);
        durable_test_result_print(res, stdout, NULL);
        failed = !(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED &&
                   wd.wait_seconds == 3600 && durable_test_result_invocation_count(res) == 2);
    }
    durable_test_result_free(res);
    /* Invalid input: the validation step fails, and so does the execution. */
    if (!failed && durable_test_runner_run(&res, r, "{\"amount\":-1}") == 0) {
        const durable_error_object *e = NULL;
        durable_test_result_get_error(&e, res);
        printf("\nwith amount -1: %s: %s\n", durable_exec_status_name(durable_test_result_status(res)),
               e && e->error_message ? e->error_message : "");
        failed = durable_test_result_status(res) != DURABLE_EXEC_FAILED;
        durable_test_result_free(res);
    }
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\nsimple_workflow: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
