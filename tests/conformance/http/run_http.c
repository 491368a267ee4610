/*
 * The conformance runner's HTTP mode (make conformance-http, issue 13): a
 * requirement's C handler runs in a durable_lambda_run process (the
 * conformance function program of tests/interop/official/c_function.c,
 * which serves every handler chosen by _HANDLER) hosted by a `durable serve`
 * started for this requirement on its own file with time skipping, and the
 * cloud runner drives it through the HTTP API only. The result it returns
 * is judged by the same matcher as the local runner's. Log lines come from
 * the server's function_logs table (what CloudWatch is on AWS).
 *
 * Linked into the conformance-http program only; it sets conf_http_run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance/run.h"
#include "durable/cloud.h"
#include "durable/engine.h"
#include "durable/http.h"
#include "durable/store.h"

/* The function_logs lines of one execution, read from the server's file. */
static int fetch_logs(char ***lines, size_t *count, const char *arn, void *user)
{
    *lines = NULL;
    *count = 0;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.create = false;
    durable_store *st = NULL;
    durable_engine *e = NULL;
    int rc = durable_store_open(&st, (const char *)user, &so);
    if (rc == 0)
        rc = durable_engine_open(&e, st, NULL);
    durable_function_log_list l;
    memset(&l, 0, sizeof l);
    if (rc == 0)
        rc = durable_engine_list_function_logs(&l, e, arn, 0, 0);
    if (rc == 0 && l.count) {
        *lines = durable_malloc(l.count * sizeof **lines);
        for (size_t i = 0; *lines && i < l.count; i++) {
            (*lines)[i] = l.items[i].line; /* moved */
            l.items[i].line = NULL;
        }
        *count = *lines ? l.count : 0;
        if (!*lines)
            rc = DURABLE_ENOMEM;
    }
    durable_function_log_list_clear(&l);
    durable_engine_close(e);
    durable_store_close(st);
    return rc;
}

static void remove_db(const char *db)
{
    char side[600];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

static int http_run(durable_test_result **out, const conf_requirement *req,
                    const char *function_name, const char *input,
                    const durable_test_callback_action *actions, size_t action_count,
                    const conf_run_options *opts, char *err, size_t errlen)
{
    *out = NULL;
    char db[512], cmd[1024];
    snprintf(db, sizeof db, "%s/conformance-http-%ld-%s.db", opts->tmp_dir ? opts->tmp_dir : "/tmp",
             (long)getpid(), function_name);
    snprintf(cmd, sizeof cmd, "exec '%s'", opts->http_function);
    remove_db(db);

    durable_http_options ho = DURABLE_HTTP_OPTIONS_INIT;
    ho.db_path = db;
    ho.port = 0;
    ho.skip_time = true;
    ho.region = "us-west-2";
    ho.invocation_retry_backoff_ms = 100;
    durable_http_server *srv = NULL;
    durable_cloud_runner *cr = NULL;
    int rc = durable_http_server_new(&srv, &ho);
    /* The requirement's handler, and the chained-invoke targets the invoke
     * handlers call, each a process of the function program. */
    static const char *const targets[] = {"echo", "echo-tenant", "error"};
    durable_http_function_options fo = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
    fo.handler = req->id;
    if (rc == 0)
        rc = durable_http_register_command(srv, function_name, cmd, &fo);
    for (size_t i = 0; rc == 0 && i < sizeof targets / sizeof targets[0]; i++) {
        durable_http_function_options to = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
        to.handler = targets[i];
        rc = durable_http_register_command(srv, targets[i], cmd, &to);
    }
    if (rc == 0)
        rc = durable_http_server_start(srv);
    if (rc != 0) {
        snprintf(err, errlen, "durable serve: %s", durable_error_last()->message);
        goto done;
    }

    durable_cloud_runner_options co = DURABLE_CLOUD_RUNNER_OPTIONS_INIT;
    co.aws.region = "us-west-2";
    co.aws.endpoint = durable_http_server_url(srv);
    co.aws.access_key_id = "AKIDCONFORMANCE";
    co.aws.secret_access_key = "conformance";
    co.invocation_type =
        req->async_invoke ? DURABLE_AWS_INVOKE_EVENT : DURABLE_AWS_INVOKE_REQUEST_RESPONSE;
    co.poll_interval_ms = 25;
    co.timeout_ms = opts->http_timeout_ms > 0 ? opts->http_timeout_ms : 8500;
    /* A run that is expected to stay open (async, nothing expected at the
     * end) is judged on what it did within a short while, as the local
     * runner's idle limit does. */
    if (req->async_invoke && !req->expected_result)
        co.timeout_ms = opts->idle_limit_ms > 0 ? 2 * opts->idle_limit_ms + 1000 : 3000;
    co.strict_callback_actions = action_count > 0;
    co.fetch_logs = fetch_logs;
    co.fetch_logs_user = db;
    rc = durable_cloud_runner_new(&cr, function_name, &co);
    for (size_t i = 0; rc == 0 && i < action_count; i++)
        rc = durable_cloud_runner_add_callback_action(cr, &actions[i]);
    if (rc != 0) {
        snprintf(err, errlen, "cloud runner: %s", durable_error_last()->message);
        goto done;
    }
    rc = durable_cloud_runner_run(out, cr, input);
    if (rc != 0 && !*out)
        snprintf(err, errlen, "durable_cloud_runner_run failed: %s (%s)", durable_code_name(rc),
                 durable_error_last()->message);
done:
    durable_cloud_runner_free(cr);
    durable_http_server_free(srv);
    remove_db(db);
    return rc;
}

__attribute__((constructor)) static void conf_http_register(void)
{
    conf_http_run = http_run;
}
