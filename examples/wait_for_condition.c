/*
 * wait_for_condition — polling an external state durably.
 *
 * The check reads a (simulated) job status; the wait strategy polls every
 * 30 s until the job is "done". Each poll between checks is a suspension
 * the runner skips; the history shows non-final StepSucceeded events
 * carrying the state.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int polls;

static int check_job(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state, void *user)
{
    (void)sctx;
    (void)state;
    (void)user;
    polls++;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "polls", polls);
    cJSON_AddStringToObject(s, "status", polls >= 3 ? "done" : "running");
    *new_state = s;
    return 0;
}

static bool keep_polling(const cJSON *state, void *user)
{
    (void)user;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(state, "status");
    return !(cJSON_IsString(st) && strcmp(st->valuestring, "done") == 0);
}

static int workflow(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_wait_strategy_options wo = DURABLE_WAIT_STRATEGY_OPTIONS_INIT;
    wo.should_continue_polling = keep_polling;
    wo.initial_delay_seconds = 30;
    wo.backoff_rate = 1;
    wo.jitter = DURABLE_JITTER_NONE;
    durable_wait_strategy *strategy = NULL;
    if (durable_wait_strategy_new(&strategy, &wo) != 0)
        return DURABLE_ERROR;
    durable_wait_for_condition_options o = DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT;
    o.strategy = strategy;
    const cJSON *final_state = NULL;
    int rc = durable_wait_for_condition(ctx, &final_state, "job-status", check_job, NULL, &o);
    durable_wait_strategy_free(strategy);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(final_state, 1);
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
    if (durable_test_runner_new(&r, workflow, NULL, "wait-for-condition") == 0 &&
        durable_test_runner_run(&res, r, NULL) == 0) {
        const char *text = NULL;
        durable_test_result_get_result(&text, res);
        printf("final state: %s after %d polls, %zu invocations\n", text ? text : "(none)", polls,
               durable_test_result_invocation_count(res));
        char *history = NULL;
        if (durable_test_result_history_json(&history, res, DURABLE_TS_RFC3339, true) == 0)
            printf("%s\n", history);
        durable_free(history);
        failed = !(text && strstr(text, "done") && polls == 3);
    }
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\nwait_for_condition: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
