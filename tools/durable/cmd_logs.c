/* durable logs: the lines a function's processes wrote while `durable serve`
 * ran an execution's invocations (table function_logs). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_logs(int argc, char **argv)
{
    bool json = false;
    const char *dbp = NULL, *exec = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (!dbp)
            dbp = argv[i];
        else if (!exec)
            exec = argv[i];
        else
            return cli_usage("logs", "unexpected argument '%s'", argv[i]);
    }
    if (!dbp || !exec)
        return cli_usage("logs", "missing %s", dbp ? "EXEC" : "DB");
    cli_db db;
    int rc = cli_db_open(&db, dbp, true);
    if (rc != CLI_OK)
        return rc;
    char *arn = NULL;
    if ((rc = cli_resolve_exec(&arn, &db, exec)) != CLI_OK) {
        cli_db_close(&db);
        return rc;
    }
    durable_function_log_list l;
    int erc = durable_engine_list_function_logs(&l, db.engine, arn, 0, 0);
    if (erc < 0) {
        rc = cli_engine_fail(&db, erc, "logs");
    } else if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; arr && i < l.count; i++) {
            cJSON *o = cJSON_CreateObject();
            char at[40];
            cli_fmt_time(at, sizeof at, l.items[i].timestamp_ms);
            cJSON_AddStringToObject(o, "Timestamp", at);
            cJSON_AddStringToObject(o, "Function", l.items[i].function_name);
            if (l.items[i].invocation_id)
                cJSON_AddStringToObject(o, "RequestId", l.items[i].invocation_id);
            cJSON_AddStringToObject(o, "Stream", l.items[i].stream);
            cJSON_AddStringToObject(o, "Message", l.items[i].line);
            cJSON_AddItemToArray(arr, o);
        }
        rc = cli_print_json(arr);
    } else {
        for (size_t i = 0; i < l.count; i++) {
            char at[40];
            cli_fmt_time(at, sizeof at, l.items[i].timestamp_ms);
            printf("%s  %-6s  %.8s  %s\n", at, l.items[i].stream,
                   l.items[i].invocation_id ? l.items[i].invocation_id : "-", l.items[i].line);
        }
    }
    durable_function_log_list_clear(&l);
    free(arn);
    cli_db_close(&db);
    return rc;
}
