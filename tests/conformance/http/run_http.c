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
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conformance/run.h"
#include "durable/cloud.h"
#include "durable/http.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Every line the function processes of this requirement's server wrote
 * (the server and its file belong to one requirement), in order, read from
 * the file's function_logs table. Not by execution: the server attributes a
 * line to the invocation its process runs when the pipe delivers it, so a
 * line written at an invocation's very start or end may be kept as "between
 * invocations" (CloudWatch has no such attribution either; the official
 * runner filters by the ARN inside the JSON line). The last invocation's
 * lines may land just after the execution closed: read until the count
 * holds still for a while (bounded). */
static int fetch_logs(durable_cloud_log_sink *sink, const char *arn, void *user)
{
    (void)arn;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2((const char *)user, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return DURABLE_EDB;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_int64 last = -1;
    for (int stable = 0, tries = 0; stable < 3 && tries < 60; tries++) {
        sqlite3_stmt *st = NULL;
        sqlite3_int64 n = -1;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM function_logs", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        stable = n == last ? stable + 1 : 0;
        last = n;
        if (stable < 3)
            sleep_ms(50);
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT line FROM function_logs ORDER BY id", -1, &st,
                                NULL) == SQLITE_OK
                 ? 0
                 : DURABLE_EDB;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        rc = durable_cloud_log_add(sink, t ? t : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
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
