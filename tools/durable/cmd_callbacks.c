/* durable — `callbacks`, `callback succeed|fail|heartbeat` and `stop`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_callbacks(int argc, char **argv)
{
    const char *path = NULL, *exec = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("callbacks", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else if (!exec)
            exec = argv[i];
        else
            return cli_usage("callbacks", "unexpected argument '%s'", argv[i]);
    }
    if (!path)
        return cli_usage("callbacks", "missing DB");
    cli_db db;
    int rc = cli_db_open(&db, path, true);
    if (rc != CLI_OK)
        return rc;
    char *arn = NULL;
    if (exec && (rc = cli_resolve_exec(&arn, &db, exec)) != CLI_OK) {
        cli_db_close(&db);
        return rc;
    }
    durable_callback_info_list l = {0};
    int erc = durable_engine_list_callbacks(&l, db.engine, arn);
    free(arn);
    if (erc < 0)
        rc = cli_engine_fail(&db, erc, "listing callbacks");
    else if (json) {
        cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "Callbacks");
        for (size_t i = 0; i < l.count; i++) {
            const durable_callback_info *c = &l.items[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "CallbackId", c->callback_id);
            cJSON_AddStringToObject(o, "DurableExecutionArn", c->execution_arn);
            cJSON_AddStringToObject(o, "OperationId", c->op_id);
            if (c->name)
                cJSON_AddStringToObject(o, "Name", c->name);
            char ts[40];
            cli_fmt_time(ts, sizeof ts, c->start_timestamp);
            cJSON_AddStringToObject(o, "StartTimestamp", ts);
            if (c->timeout_deadline) {
                cli_fmt_time(ts, sizeof ts, c->timeout_deadline);
                cJSON_AddStringToObject(o, "TimeoutAt", ts);
            }
            if (c->heartbeat_deadline) {
                cli_fmt_time(ts, sizeof ts, c->heartbeat_deadline);
                cJSON_AddStringToObject(o, "HeartbeatAt", ts);
            }
            cJSON_AddNumberToObject(o, "TimeoutSeconds", (double)c->timeout_seconds);
            cJSON_AddNumberToObject(o, "HeartbeatTimeoutSeconds",
                                    (double)c->heartbeat_timeout_seconds);
            cJSON_AddItemToArray(arr, o);
        }
        rc = cli_print_json(doc);
    } else {
        static const char *const hdr[] = {"CALLBACK_ID", "EXECUTION", "NAME", "START",
                                          "TIMEOUT_AT", "HEARTBEAT_AT"};
        cli_table *t = cli_table_new(6, hdr);
        for (size_t i = 0; i < l.count; i++) {
            const durable_callback_info *c = &l.items[i];
            char st[40], to[40], hb[40];
            cli_fmt_time(st, sizeof st, c->start_timestamp);
            cli_fmt_time(to, sizeof to, c->timeout_deadline);
            cli_fmt_time(hb, sizeof hb, c->heartbeat_deadline);
            const char *row[] = {c->callback_id, c->execution_arn, c->name ? c->name : "-", st,
                                 to, hb};
            cli_table_row(t, row);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
    durable_callback_info_list_clear(&l);
    cli_db_close(&db);
    return rc;
}

int cmd_callback(int argc, char **argv)
{
    const char *path = NULL, *action = NULL, *id = NULL, *payload = NULL;
    const char *etype = NULL, *emsg = NULL, *edata = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool v = i + 1 < argc;
        if (strcmp(a, "--error-type") == 0 && v)
            etype = argv[++i];
        else if (strcmp(a, "--error-message") == 0 && v)
            emsg = argv[++i];
        else if (strcmp(a, "--error-data") == 0 && v)
            edata = argv[++i];
        else if (a[0] == '-' && a[1] == '-')
            return cli_usage("callback", "unknown or incomplete option '%s'", a);
        else if (!path)
            path = a;
        else if (!action)
            action = a;
        else if (!id)
            id = a;
        else if (!payload)
            payload = a;
        else
            return cli_usage("callback", "unexpected argument '%s'", a);
    }
    if (!id)
        return cli_usage("callback", "missing DB, action or CALLBACK_ID");
    bool succeed = strcmp(action, "succeed") == 0, fail = strcmp(action, "fail") == 0,
         heartbeat = strcmp(action, "heartbeat") == 0;
    if (!succeed && !fail && !heartbeat)
        return cli_usage("callback", "unknown action '%s' (succeed, fail or heartbeat)", action);
    if ((etype || emsg || edata) && !fail)
        return cli_usage("callback", "--error-* options only go with 'fail'");
    if (payload && !succeed)
        return cli_usage("callback", "a PAYLOAD only goes with 'succeed'");
    cli_db db;
    int rc = cli_db_open(&db, path, false);
    if (rc != CLI_OK)
        return rc;
    int erc;
    if (succeed)
        erc = durable_engine_callback_success(db.engine, id, payload,
                                              payload ? strlen(payload) : 0);
    else if (heartbeat)
        erc = durable_engine_callback_heartbeat(db.engine, id);
    else {
        durable_error_object eo = {0};
        eo.error_type = (char *)etype;
        eo.error_message = (char *)emsg;
        eo.error_data = (char *)edata;
        erc = durable_engine_callback_failure(db.engine, id, &eo);
    }
    if (erc < 0)
        rc = cli_engine_fail(&db, erc, succeed ? "callback succeed" : fail ? "callback fail" : "callback heartbeat");
    else
        printf("callback %s: %s\n", id,
               succeed ? "succeeded" : fail ? "failed" : "heartbeat recorded");
    cli_db_close(&db);
    return rc;
}

int cmd_stop(int argc, char **argv)
{
    if (argc != 3)
        return cli_usage("stop", argc < 3 ? "missing DB or EXEC" : "too many arguments");
    cli_db db;
    int rc = cli_db_open(&db, argv[1], false);
    if (rc != CLI_OK)
        return rc;
    char *arn = NULL;
    durable_execution_info x = {0};
    rc = cli_resolve_exec(&arn, &db, argv[2]);
    int erc;
    if (rc == CLI_OK && (erc = durable_engine_get_execution(&x, db.engine, arn)) < 0)
        rc = cli_engine_fail(&db, erc, "reading the execution");
    if (rc == CLI_OK && x.status != DURABLE_EXEC_RUNNING) {
        /* The engine would answer with the old EndTimestamp and change nothing;
         * for a person that is a refusal, so it exits 3. */
        fprintf(stderr, "durable: %s: %s: Execution is not running (%s).\n", db.path, arn,
                durable_exec_status_name(x.status));
        rc = CLI_REJECTED;
    }
    if (rc == CLI_OK) {
        durable_stop_request req = {arn, NULL};
        durable_stop_response resp = {0};
        if ((erc = durable_engine_stop_execution(&resp, db.engine, &req)) < 0)
            rc = cli_engine_fail(&db, erc, "stop");
        else {
            char ts[40];
            cli_fmt_time(ts, sizeof ts, resp.stop_timestamp);
            printf("stopped %s at %s\n", arn, ts);
        }
    }
    durable_execution_info_clear(&x);
    free(arn);
    cli_db_close(&db);
    return rc;
}
