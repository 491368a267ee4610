/* durable — `history EXEC`: events in EventId order (all pages). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One line of detail for the table: the payload or error of the event. */
static void event_detail(char *buf, size_t size, const durable_event *ev)
{
    buf[0] = '\0';
    if (ev->error) {
        snprintf(buf, size, "%s: %s", ev->error->error_type ? ev->error->error_type : "",
                 ev->error->error_message ? ev->error->error_message : "");
    } else if (ev->has_payload_object) {
        if (ev->payload)
            snprintf(buf, size, "%s", ev->payload);
        else if (ev->truncated)
            snprintf(buf, size, "(payload omitted; --include-data)");
    } else if (ev->callback_id)
        snprintf(buf, size, "callback %s", ev->callback_id);
    else if (ev->duration > 0)
        snprintf(buf, size, "%llds", (long long)ev->duration);
    if (strlen(buf) > 80)
        strcpy(buf + 77, "...");
}

int cmd_history(int argc, char **argv)
{
    const char *path = NULL, *exec = NULL;
    bool json = false, data = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--include-data") == 0)
            data = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("history", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else if (!exec)
            exec = argv[i];
        else
            return cli_usage("history", "unexpected argument '%s'", argv[i]);
    }
    if (!exec)
        return cli_usage("history", path ? "missing EXEC" : "missing DB and EXEC");
    cli_db db;
    int rc = cli_db_open(&db, path, true);
    if (rc != CLI_OK)
        return rc;
    char *arn = NULL;
    rc = cli_resolve_exec(&arn, &db, exec);
    cJSON *events = json ? cJSON_CreateArray() : NULL;
    static const char *const hdr[] = {"EVENT", "TYPE", "TIME", "ID", "NAME", "SUBTYPE",
                                      "DETAIL"};
    cli_table *t = json ? NULL : cli_table_new(7, hdr);
    char *marker = NULL;
    while (rc == CLI_OK) {
        durable_history_request req = {0};
        req.durable_execution_arn = arn;
        req.include_execution_data = data;
        req.max_items = DURABLE_MAX_ITEMS;
        req.marker = marker;
        durable_history_response resp = {0};
        int erc = durable_engine_get_history(&resp, db.engine, &req);
        free(marker);
        marker = NULL;
        if (erc < 0) {
            rc = cli_engine_fail(&db, erc, "reading history");
            break;
        }
        if (json) {
            cJSON *page = NULL;
            if (durable_history_response_to_json(&page, &resp, DURABLE_TS_RFC3339) == 0) {
                cJSON *arr = cJSON_GetObjectItemCaseSensitive(page, "Events");
                cJSON *it;
                while (arr && (it = cJSON_DetachItemFromArray(arr, 0)) != NULL)
                    cJSON_AddItemToArray(events, it);
            } else
                rc = cli_engine_fail(&db, DURABLE_ENOMEM, "encoding history");
            cJSON_Delete(page);
        } else {
            for (size_t i = 0; i < resp.count; i++) {
                const durable_event *ev = &resp.events[i];
                char num[24], ts[40], det[96];
                snprintf(num, sizeof num, "%lld", (long long)ev->event_id);
                cli_fmt_time(ts, sizeof ts, ev->timestamp);
                event_detail(det, sizeof det, ev);
                const char *row[] = {num, durable_event_type_name(ev->type), ts,
                                     ev->id ? ev->id : "-", ev->name ? ev->name : "-",
                                     ev->subtype ? ev->subtype : "-", det};
                cli_table_row(t, row);
            }
        }
        if (resp.next_marker && *resp.next_marker)
            marker = strdup(resp.next_marker);
        durable_history_response_clear(&resp);
        if (!marker)
            break;
    }
    if (rc == CLI_OK) {
        if (json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddItemToObject(doc, "Events", events);
            events = NULL;
            rc = cli_print_json(doc);
        } else
            cli_table_print(t, stdout);
    }
    cJSON_Delete(events);
    cli_table_free(t);
    free(arn);
    cli_db_close(&db);
    return rc;
}
