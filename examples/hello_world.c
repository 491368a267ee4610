/*
 * hello_world — the smallest durable function and its test.
 *
 * The handler runs one step that builds a greeting; the local test runner
 * runs it to completion against the embedded engine (":memory:") and the
 * program prints the result and the operations table.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int greet(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    const cJSON *name = user;
    char buf[128];
    snprintf(buf, sizeof buf, "Hello, %s!", cJSON_IsString(name) ? name->valuestring : "world");
    *result = cJSON_CreateString(buf);
    return 0;
}

/* The durable handler: every operation is a call on the context. */
static int hello(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *greeting = NULL;
    int rc = durable_step(ctx, &greeting, "greet", greet,
                          (void *)cJSON_GetObjectItemCaseSensitive(input, "name"), NULL);
    if (rc != 0)
        return rc; /* DURABLE_PENDING or a failure: return it unchanged */
    *out = cJSON_Duplicate(greeting, 1);
    return 0;
}

int main(void)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    if (durable_test_env_setup(&cfg) != 0) {
        fprintf(stderr, "setup: %s\n", durable_error_last()->message);
        return 1;
    }
    durable_test_runner *runner = NULL;
    durable_test_result *res = NULL;
    int failed = 1;
    if (durable_test_runner_new(&runner, hello, NULL, "hello-world") == 0 &&
        durable_test_runner_run(&res, runner, "{\"name\":\"C\"}") == 0) {
        const char *text = NULL;
        if (durable_test_result_get_result(&text, res) == 0 && text &&
            strcmp(text, "\"Hello, C!\"") == 0)
            failed = 0;
        printf("status: %s\nresult: %s\n\n", durable_exec_status_name(durable_test_result_status(res)),
               text ? text : "(none)");
        durable_test_result_print(res, stdout, NULL);
    } else {
        fprintf(stderr, "run: %s\n", durable_error_last()->message);
    }
    durable_test_result_free(res);
    durable_test_runner_free(runner);
    durable_test_env_teardown();
    printf("\nhello_world: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
