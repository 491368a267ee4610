/* Public environment functions of testing.h: validate and copy the config,
 * then hand it to env.c (the engine side). */
#include <string.h>

#include "durable/testing.h"
#include "model/internal.h"
#include "testing/testing_internal.h"

int durable_test_env_setup(const durable_test_env_config *config)
{
    durable_test_env_config def = DURABLE_TEST_ENV_CONFIG_INIT;
    const durable_test_env_config *c = config ? config : &def;
    if (c->deterministic_clock && !c->skip_time)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: deterministic_clock needs skip_time (a "
                                  "fixed clock only moves by skipping)");
    if (c->idle_limit_ms <= 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: idle_limit_ms must be > 0 (got %lld)",
                                  (long long)c->idle_limit_ms);
    if (c->checkpoint_delay_ms < 0 || c->checkpoint_delay_ms > 600000)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: checkpoint_delay_ms %lld out of range "
                                  "0..600000",
                                  (long long)c->checkpoint_delay_ms);
    if (c->default_execution_timeout_seconds < 1 ||
        c->default_execution_timeout_seconds > DURABLE__MAX_EXEC_TIMEOUT)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: default_execution_timeout_seconds %lld "
                                  "out of range 1..31622400",
                                  (long long)c->default_execution_timeout_seconds);
    if (c->max_invocation_failures < 1 || c->invocation_retry_backoff_ms < 0 ||
        c->invocation_timeout_seconds < 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: max_invocation_failures must be >= 1 "
                                  "and the backoff and invocation timeout >= 0");
    if (c->start_time_ms < 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: start_time_ms is negative");
    if (c->db_path && !*c->db_path)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_setup: db_path is empty (use NULL or "
                                  "\":memory:\")");

    durable__tenv_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.skip_time = c->skip_time;
    cfg.deterministic = c->deterministic_clock;
    cfg.start_time_ms = c->deterministic_clock
                            ? (c->start_time_ms ? c->start_time_ms : DURABLE_TEST_DEFAULT_START_MS)
                            : 0;
    cfg.checkpoint_delay_ms = c->checkpoint_delay_ms;
    cfg.db_path = durable__strdup(c->db_path ? c->db_path : ":memory:");
    if (!cfg.db_path)
        return durable__error_oom();
    cfg.sync_mode = (int)c->sync_mode;
    cfg.idle_limit_ms = c->idle_limit_ms;
    cfg.default_timeout_s = c->default_execution_timeout_seconds;
    cfg.max_invocation_failures = c->max_invocation_failures;
    cfg.retry_backoff_ms = c->invocation_retry_backoff_ms;
    cfg.invocation_timeout_s = c->invocation_timeout_seconds;
    return durable__tenv_setup(&cfg);
}

int durable_test_env_teardown(void)
{
    return durable__tenv_teardown();
}

bool durable_test_env_is_setup(void)
{
    return durable__tenv_config() != NULL;
}

int64_t durable_test_env_now(void)
{
    return durable__tenv_now();
}

int durable_test_env_advance_clock(int64_t delta_ms)
{
    return durable__tenv_advance(delta_ms);
}

const char *durable_test_env_db_path(void)
{
    const durable__tenv_cfg *c = durable__tenv_config();
    return c ? c->db_path : NULL;
}

static int not_setup(const char *what)
{
    return durable__error_set(DURABLE_ENOTSETUP,
                              "EnvironmentNotSetUp: %s needs the test environment; call "
                              "durable_test_env_setup() first",
                              what);
}

int durable_test_env_client(durable_client **out)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_test_env_client: out is NULL");
    *out = durable__tenv_client();
    return *out ? 0 : not_setup("durable_test_env_client");
}

int durable_test_send_callback_success(const char *callback_id, const char *result)
{
    if (!callback_id)
        return durable__error_set(DURABLE_EINVAL, "Callback not found: callback id is NULL");
    return durable__tenv_callback_success(callback_id, result, result ? strlen(result) : 0);
}

int durable_test_send_callback_failure(const char *callback_id, const durable_error_object *error)
{
    if (!callback_id)
        return durable__error_set(DURABLE_EINVAL, "Callback not found: callback id is NULL");
    return durable__tenv_callback_failure(callback_id, error);
}

int durable_test_send_callback_heartbeat(const char *callback_id)
{
    if (!callback_id)
        return durable__error_set(DURABLE_EINVAL, "Callback not found: callback id is NULL");
    return durable__tenv_callback_heartbeat(callback_id);
}
