/*
 * child_contexts — grouping operations in child contexts.
 *
 * Each shipment is prepared in its own child context (pick, pack); the
 * children carry the context's id as ParentId, and a completed context is
 * replayed from its result without running its function again.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int runs_of_prepare; /* how often a context function really ran */

static int act(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(user);
    return 0;
}

static int prepare(durable_ctx *child, cJSON **result, void *user)
{
    runs_of_prepare++;
    const cJSON *a = NULL, *b = NULL;
    int rc = durable_step(child, &a, "pick", act, "picked", NULL);
    if (rc == 0)
        rc = durable_step(child, &b, "pack", act, "packed", NULL);
    if (rc != 0)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "shipment", user);
    cJSON_AddStringToObject(r, "state", "ready");
    *result = r;
    return 0;
}

static int workflow(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *s1 = NULL, *s2 = NULL;
    int rc = durable_run_in_child_context(ctx, &s1, "shipment-1", prepare, "S1", NULL);
    if (rc == 0)
        rc = durable_run_in_child_context(ctx, &s2, "shipment-2", prepare, "S2", NULL);
    /* A wait forces a second invocation: the contexts replay from their
     * stored results. */
    if (rc == 0)
        rc = durable_wait(ctx, "handover", 60);
    if (rc != 0)
        return rc;
    *out = cJSON_CreateArray();
    cJSON_AddItemToArray(*out, cJSON_Duplicate(s1, 1));
    cJSON_AddItemToArray(*out, cJSON_Duplicate(s2, 1));
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
    if (durable_test_runner_new(&r, workflow, NULL, "child-contexts") == 0 &&
        durable_test_runner_run(&res, r, NULL) == 0) {
        durable_test_print_options po = DURABLE_TEST_PRINT_OPTIONS_INIT;
        po.parent_id = true;
        po.id = true;
        durable_test_result_print(res, stdout, &po);
        durable_test_operation *ship = NULL;
        durable_test_result_get_operation(&ship, res, "shipment-1");
        printf("\nshipment-1 has %zu children; prepare() ran %d times for 2 contexts over %zu "
               "invocations\n",
               durable_test_operation_child_count(ship), runs_of_prepare,
               durable_test_result_invocation_count(res));
        failed = !(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED &&
                   durable_test_operation_child_count(ship) == 2 && runs_of_prepare == 2);
    }
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\nchild_contexts: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
