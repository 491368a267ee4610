/*
 * parallel_processing — parallel branches and map with a completion config.
 *
 * Three independent lookups run as a parallel batch; then five items are
 * processed by map, where item 3 fails and one tolerated failure keeps the
 * batch successful.
 */
#include <stdio.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"

static int lookup_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(user);
    return 0;
}

static int branch(durable_ctx *child, cJSON **result, void *user)
{
    const cJSON *v = NULL;
    int rc = durable_step(child, &v, "lookup", lookup_body, user, NULL);
    if (rc != 0)
        return rc;
    *result = cJSON_Duplicate(v, 1);
    return 0;
}

static int square_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    const cJSON *item = user;
    if (item->valueint == 3)
        return durable_step_fail(sctx, "BadItem", "item 3 is broken", NULL);
    *result = cJSON_CreateNumber(item->valuedouble * item->valuedouble);
    return 0;
}

static int square(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                  const cJSON *items, void *user)
{
    (void)index;
    (void)items;
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    const cJSON *v = NULL;
    int rc = durable_step(item_ctx, &v, "square", square_body, (void *)item, &so);
    if (rc != 0)
        return rc;
    *result = cJSON_Duplicate(v, 1);
    return 0;
}

static int workflow(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_branch branches[3] = {
        { "customer", branch, "alice" }, { "inventory", branch, "12 in stock" },
        { "pricing", branch, "9.99" } };
    const durable_batch_result *lookups = NULL;
    int rc = durable_parallel(ctx, &lookups, "lookups", branches, 3, NULL);
    if (rc != 0)
        return rc;
    if ((rc = durable_batch_result_throw_if_error(ctx, lookups)) != 0)
        return rc;

    cJSON *items = cJSON_CreateArray();
    for (int i = 1; i <= 5; i++)
        cJSON_AddItemToArray(items, cJSON_CreateNumber(i));
    durable_map_options mo = DURABLE_MAP_OPTIONS_INIT;
    mo.max_concurrency = 2;
    mo.completion.tolerated_failure_count = 1;
    const durable_batch_result *squares = NULL;
    rc = durable_map(ctx, &squares, "squares", items, square, NULL, &mo);
    cJSON_Delete(items);
    if (rc != 0)
        return rc;
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "lookups", cJSON_Duplicate(durable_batch_result_results(lookups), 1));
    cJSON_AddItemToObject(res, "squares", cJSON_Duplicate(durable_batch_result_results(squares), 1));
    cJSON_AddNumberToObject(res, "failed_items", (double)squares->failure_count);
    *out = res;
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
    if (durable_test_runner_new(&r, workflow, NULL, "parallel") == 0 &&
        durable_test_runner_run(&res, r, NULL) == 0) {
        const char *text = NULL;
        durable_test_result_get_result(&text, res);
        printf("result: %s\n\n", text ? text : "(none)");
        durable_test_print_options po = DURABLE_TEST_PRINT_OPTIONS_INIT;
        po.parent_id = true;
        po.id = true;
        durable_test_result_print(res, stdout, &po);
        failed = !(text && strstr(text, "\"failed_items\":1") && strstr(text, "alice"));
    } else {
        fprintf(stderr, "run: %s\n", durable_error_last()->message);
    }
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\nparallel_processing: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
