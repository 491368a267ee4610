/* examples/lambda: the very `bootstrap` that `make lambda-package` zips runs
 * as a function of `durable serve` (as a library, time skipped) and the
 * cloud runner drives it through the HTTP API: an order that succeeds (a
 * step, a 10-minute durable wait, a step), one whose charge fails after its
 * retries, and bad input. Also: the zip is there, and ldd finds every
 * library of the bootstrap, all but glibc's inside the package. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable/cloud.h"
#include "durable/http.h"
#include "support/testutil.h"

static durable_http_server *srv;
static char stage[PATH_MAX];

static int suite_init(void)
{
    const char *build = getenv("DURABLE_BUILD");
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/lambda/stage", build && *build ? build : "build");
    if (!realpath(rel, stage)) {
        fprintf(stderr, "lambda example: %s is missing (make lambda-package)\n", rel);
        return 1;
    }
    static char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "exec '%s/bootstrap'", stage);
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = ":memory:";
    o.port = 0;
    o.skip_time = true;
    o.invocation_retry_backoff_ms = 50;
    if (durable_http_server_new(&srv, &o) != 0 ||
        durable_http_register_command(srv, "libdurable-order", cmd, NULL) != 0 ||
        durable_http_server_start(srv) != 0) {
        fprintf(stderr, "lambda example: %s\n", durable_error_last()->message);
        return 1;
    }
    return 0;
}

static int suite_clean(void)
{
    durable_http_server_free(srv);
    return 0;
}

static durable_test_result *run(const char *input)
{
    durable_cloud_runner_options o = DURABLE_CLOUD_RUNNER_OPTIONS_INIT;
    o.aws.region = "us-east-1";
    o.aws.endpoint = durable_http_server_url(srv);
    o.aws.access_key_id = "AKIDEXAMPLE";
    o.aws.secret_access_key = "example";
    o.poll_interval_ms = 20;
    o.timeout_ms = 60000;
    durable_cloud_runner *r = NULL;
    CU_ASSERT_FATAL(durable_cloud_runner_new(&r, "libdurable-order", &o) == 0);
    durable_test_result *res = NULL;
    int rc = durable_cloud_runner_run(&res, r, input);
    if (rc != 0)
        fprintf(stderr, "lambda example: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL(rc, 0);
    durable_cloud_runner_free(r);
    return res;
}

static void test_order_succeeds(void)
{
    durable_test_result *res = run("{\"order\":\"A-1\",\"amount\":42}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    cJSON *out = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result_json(&out, res), 0);
    const cJSON *order = cJSON_GetObjectItemCaseSensitive(out, "order");
    CU_ASSERT(cJSON_IsString(order) && !strcmp(order->valuestring, "A-1"));
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "reserved")));
    const cJSON *charged = cJSON_GetObjectItemCaseSensitive(out, "charged");
    CU_ASSERT(cJSON_IsNumber(charged) && charged->valuedouble == 42);
    cJSON_Delete(out);

    CU_ASSERT_EQUAL(durable_test_result_operation_count(res), 3);
    durable_test_operation *op = NULL;
    durable_test_wait_details wd;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "grace-period"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_wait_details(&wd, op), 0);
    CU_ASSERT_EQUAL(wd.wait_seconds, 600);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "charge"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_SUCCEEDED);
    /* The wait suspended the function: two invocations. */
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 2);
    durable_test_result_free(res);
}

static void test_failing_charge_and_bad_input(void)
{
    durable_test_result *res = run("{\"order\":\"A-2\",\"amount\":-1}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    durable_test_operation *op = NULL;
    durable_test_step_details sd;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "charge"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_step_details(&sd, op), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_FAILED);
    CU_ASSERT(sd.error && sd.error->error_type && !strcmp(sd.error->error_type, "InvalidAmount"));
    CU_ASSERT(sd.attempt >= 2); /* retried before failing */
    durable_test_result_free(res);

    res = run("{\"amount\":1}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(res);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    const durable_error_object *e = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_error(&e, res), 0);
    CU_ASSERT(e && e->error_type && !strcmp(e->error_type, "InvalidInput"));
    CU_ASSERT_EQUAL(durable_test_result_operation_count(res), 0);
    durable_test_result_free(res);
}

static void test_package_is_complete(void)
{
    char zip[PATH_MAX + 32], cmd[PATH_MAX + 64], line[1024];
    snprintf(zip, sizeof zip, "%s/../function.zip", stage);
    struct stat sb;
    CU_ASSERT(stat(zip, &sb) == 0 && sb.st_size > 0);
    snprintf(cmd, sizeof cmd, "env -u LD_LIBRARY_PATH ldd '%s/bootstrap'", stage);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    int resolved = 0, missing = 0, outside = 0;
    while (fgets(line, sizeof line, p)) {
        if (strstr(line, "not found"))
            missing++;
        const char *arrow = strstr(line, "=> /");
        if (!arrow)
            continue;
        resolved++;
        bool glibc = strstr(line, "libc.so") || strstr(line, "libm.so") ||
                     strstr(line, "libpthread.so") || strstr(line, "libdl.so") ||
                     strstr(line, "librt.so") || strstr(line, "libresolv.so") ||
                     strstr(line, "libasan.so") || strstr(line, "libubsan.so");
        if (!glibc && !strstr(arrow, stage))
            outside++;
    }
    pclose(p);
    CU_ASSERT(resolved > 0);
    CU_ASSERT_EQUAL(missing, 0);
    CU_ASSERT_EQUAL(outside, 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite("aws_lambda_example", suite_init, suite_clean);
    DT_ADD(s, test_order_succeeds);
    DT_ADD(s, test_failing_charge_and_bad_input);
    DT_ADD(s, test_package_is_complete);
    return dt_run();
}
