/*
 * retries — a step retried with exponential backoff, and one that exhausts
 * its attempts.
 *
 * The strategy waits 2 s, then 6 s (initial 2, rate 3, no jitter). Each
 * retry suspends the invocation; the runner skips the delays. The history
 * shows StepFailed with RetryDetails.NextAttemptDelaySeconds 2 and 6, then
 * StepSucceeded with CurrentAttempt 3.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

typedef struct flaky {
    int failures_left;
} flaky;

static int call_service(durable_step_ctx *sctx, cJSON **result, void *user)
{
    flaky *f = user;
    if (f->failures_left > 0) {
        f->failures_left--;
        return durable_step_fail(sctx, "TransientError", "service unavailable", NULL);
    }
    *result = cJSON_CreateString("200 OK");
    return 0;
}

static int workflow(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 3;
    ro.initial_delay_seconds = 2;
    ro.backoff_rate = 3;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *strategy = NULL;
    if (durable_retry_strategy_new(&strategy, &ro) != 0)
        return DURABLE_ERROR;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = strategy;
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "call-service", call_service, user, &so);
    durable_retry_strategy_free(strategy);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

static int run_case(int failures, durable_exec_status want)
{
    flaky f = { failures };
    durable_test_runner *r = NULL;
    durable_test_result *res = NULL;
    int failed = 1;
    if (durable_test_runner_new(&r, workflow, &f, "retries") == 0 &&
        durable_test_runner_run(&res, r, NULL) == 0) {
        printf("== the service fails %d time(s): %s\n", failures,
               durable_exec_status_name(durable_test_result_status(res)));
        for (size_t i = 0; i < durable_test_result_event_count(res); i++) {
            const durable_event *e = durable_test_result_event(res, i);
            if (e->type == DURABLE_EVENT_STEP_FAILED || e->type == DURABLE_EVENT_STEP_SUCCEEDED)
                printf("   %-14s attempt %lld%s%lld\n", durable_event_type_name(e->type),
                       (long long)e->current_attempt,
                       e->next_attempt_delay_seconds > 0 ? ", next attempt in (s): " : "",
                       (long long)(e->next_attempt_delay_seconds > 0 ? e->next_attempt_delay_seconds : 0));
        }
        const durable_error_object *err = NULL;
        if (durable_test_result_get_error(&err, res) == 0)
            printf("   error: %s: %s\n", err->error_type ? err->error_type : "",
                   err->error_message ? err->error_message : "");
        failed = durable_test_result_status(res) != want;
    }
    durable_test_result_free(res);
    durable_test_runner_free(r);
    return failed;
}

int main(void)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    if (durable_test_env_setup(&cfg) != 0)
        return 1;
    int failed = run_case(2, DURABLE_EXEC_SUCCEEDED);
    failed |= run_case(5, DURABLE_EXEC_FAILED); /* 3 attempts, all fail: exhausted */
    durable_test_env_teardown();
    printf("\nretries: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
