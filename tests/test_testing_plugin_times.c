/* The test runner hands its engine clock to the SDK, so a plugin's attempt
 * times line up with the stored operations even when time is skipped: in
 * process and in a crash-isolated child (which runs on its own copy of the
 * clock). The plugin writes its records as log lines, which both modes
 * bring back into the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/context.h"
#include "durable/testing.h"
#include "support/testutil.h"

/* ---- a plugin that logs each attempt's times ------------------------------------- */

static int log_attempt(const char *hook, const durable_operation_info *i, int64_t at)
{
    char line[256];
    snprintf(line, sizeof line,
             "{\"plugin\":\"times\",\"hook\":\"%s\",\"name\":\"%s\",\"attempt\":%d,"
             "\"at\":%lld}",
             hook, i->operation->name ? i->operation->name : "", i->attempt, (long long)at);
    durable_logger_write_line(i->logger, line);
    return 0;
}
static int att_start(void *u, const durable_operation_info *i)
{
    (void)u;
    return log_attempt("attempt-start", i, i->attempt_start_timestamp);
}
static int att_end(void *u, const durable_operation_info *i)
{
    (void)u;
    return log_attempt("attempt-end", i, i->attempt_end_timestamp);
}

/* The time a logged record gives for hook / attempt; -1 when absent. */
static int64_t logged_at(const durable_test_result *res, const char *hook, int attempt)
{
    char want[96];
    snprintf(want, sizeof want, "\"hook\":\"%s\",\"name\":\"flaky\",\"attempt\":%d,", hook,
             attempt);
    for (size_t k = 0; k < durable_test_result_log_count(res); k++) {
        const char *line = durable_test_result_log_line(res, k);
        const char *hit = strstr(line, want);
        long long at = -1;
        if (hit && sscanf(hit + strlen(want), "\"at\":%lld", &at) == 1)
            return at;
    }
    return -1;
}

/* ---- a step that fails once and is retried 1 s later ----------------------------- */

static int flaky_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)user;
    if (durable_step_attempt(sctx) == 1)
        return durable_step_fail(sctx, "TransientError", "try again", NULL);
    *result = cJSON_CreateString("done");
    return 0;
}

static int flaky_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    const durable_retry_strategy *s = user;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.retry = s;
    return durable_step(ctx, NULL, "flaky", flaky_body, NULL, &o);
}

static void run_and_check(bool crash_isolation)
{
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.initial_delay_seconds = 1;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &ro), 0);
    durable_plugin p;
    memset(&p, 0, sizeof p);
    p.name = "times";
    p.attempt_start = att_start;
    p.attempt_end = att_end;
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, flaky_handler, s, "flaky"), 0);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.plugins = &p;
    o.plugin_count = 1;
    o.crash_isolation = crash_isolation;
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r, &o), 0);
    durable_test_result *res = NULL;
    int rc = durable_test_runner_run(&res, r, NULL);
    if (rc != 0)
        fprintf(stderr, "%s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "flaky"), 0);
    int64_t start = durable_test_operation_start_timestamp(op);
    int64_t end = durable_test_operation_end_timestamp(op);
    /* The deterministic clock moves only by skipping: attempt 1 runs at the
     * step's StartTimestamp, attempt 2 when the 1 s retry came due, and
     * ends at the step's EndTimestamp. On the real clock these would be
     * today's date, not 2025-01-01. */
    CU_ASSERT_EQUAL(start, DURABLE_TEST_DEFAULT_START_MS);
    CU_ASSERT_EQUAL(logged_at(res, "attempt-start", 1), start);
    CU_ASSERT_EQUAL(logged_at(res, "attempt-end", 1), start);
    CU_ASSERT_EQUAL(logged_at(res, "attempt-start", 2), start + 1000);
    CU_ASSERT_EQUAL(logged_at(res, "attempt-end", 2), end);
    CU_ASSERT_EQUAL(end, start + 1000);
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_retry_strategy_free(s);
}

static void env_up(const char *db)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.deterministic_clock = true;
    cfg.db_path = db;
    int rc = durable_test_env_setup(&cfg);
    if (rc != 0)
        fprintf(stderr, "env: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void test_in_process_attempt_times_follow_the_skipped_clock(void)
{
    env_up(NULL);
    run_and_check(false);
    CU_ASSERT_EQUAL(durable_test_env_teardown(), 0);
}

static void test_isolated_child_attempt_times_follow_the_skipped_clock(void)
{
    char *db = dt_temp_path("plugin-times");
    dt_remove_db(db);
    env_up(db);
    run_and_check(true);
    CU_ASSERT_EQUAL(durable_test_env_teardown(), 0);
    dt_remove_db(db);
    free(db);
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_plugin_times");
    DT_ADD(s, test_in_process_attempt_times_follow_the_skipped_clock);
    DT_ADD(s, test_isolated_child_attempt_times_follow_the_skipped_clock);
    return dt_run();
}
