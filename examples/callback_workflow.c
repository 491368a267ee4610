/*
 * callback_workflow — waiting for a human: an approval callback.
 *
 * The handler hands a callback id to an "approval system" (a submitter
 * step), then waits up to one day for the answer. In the test, a callback
 * responder plays the human: it approves two hours later. With no responder
 * the day passes (skipped) and the handler escalates instead of failing.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int send_to_approver(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)user;
    durable_step_log(sctx, DURABLE_LOG_INFO, "approval requested, callback id %s", callback_id);
    return 0;
}

static int workflow(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_wait_for_callback_options o = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    o.timeout_seconds = DURABLE_DAYS(1);
    const cJSON *answer = NULL;
    int rc = durable_wait_for_callback(ctx, &answer, "manager-approval", send_to_approver, NULL,
                                       &o);
    if (rc == DURABLE_EFAILED) {
        /* Kind CallbackError; the error is the callback's own: ErrorType
         * Callback.Timeout when the day passed without an answer. */
        const durable_error_object *e = durable_ctx_error(ctx);
        if (e && e->error_type && strcmp(e->error_type, "Callback.Timeout") == 0) {
            durable_ctx_clear_error(ctx);
            *out = cJSON_CreateString("escalated: no answer within a day");
            return 0;
        }
    }
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(answer, 1);
    return 0;
}

int main(void)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    if (durable_test_env_setup(&cfg) != 0)
        return 1;
    int failed = 1;
    durable_test_runner *r = NULL;
    durable_test_result *res = NULL;
    if (durable_test_runner_new(&r, workflow, NULL, "approval") != 0)
        goto out;

    /* 1. The manager approves after two hours. One blocking run. */
    durable_test_callback_action approve = DURABLE_TEST_CALLBACK_ACTION_INIT;
    approve.match = DURABLE_TEST_MATCH_EXACT;
    approve.name = "manager-approval";
    approve.op = DURABLE_TEST_CALLBACK_SUCCEED;
    approve.payload = "{\"approved\": true}";
    approve.delay_ms = 2 * 3600 * 1000;
    durable_test_runner_add_callback_responder(r, &approve);
    if (durable_test_runner_run(&res, r, NULL) != 0)
        goto out;
    const char *text = NULL;
    durable_test_result_get_result(&text, res);
    printf("approved run: %s -> %s\n", durable_exec_status_name(durable_test_result_status(res)),
           text ? text : "(none)");
    durable_test_result_print(res, stdout, NULL);
    bool ok1 = text && strstr(text, "approved") != NULL;
    durable_test_result_free(res);
    res = NULL;

    /* 2. Nobody answers: the one-day timeout is skipped too. */
    durable_test_runner_clear_callback_actions(r);
    if (durable_test_runner_run(&res, r, NULL) != 0)
        goto out;
    text = NULL;
    durable_test_result_get_result(&text, res);
    printf("\nunanswered run: %s -> %s\n", durable_exec_status_name(durable_test_result_status(res)),
           text ? text : "(none)");
    failed = !(ok1 && text && strstr(text, "escalated") != NULL);
out:
    if (failed && durable_error_last()->code)
        fprintf(stderr, "error: %s\n", durable_error_last()->message);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\ncallback_workflow: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
