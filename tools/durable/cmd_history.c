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

void cli_events_clear(cli_events *l)
{
    for (size_t i = 0; i < l->count; i++)
        durable_event_clear(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

int cli_read_history(cli_events *out, cli_db *db, const char *arn, bool include_data)
{
    memset(out, 0, sizeof *out);
    char *marker = NULL;
    for (;;) {
        durable_history_request req = {0};
        req.durable_execution_arn = (char *)arn;
        req.include_execution_data = include_data;
        req.max_items = DURABLE_MAX_ITEMS;
        req.marker = marker;
        durable_history_response page = {0};
        int erc = durable_engine_get_history(&page, db->engine, &req);
        free(marker);
        marker = NULL;
        if (erc < 0) {
            cli_events_clear(out);
            return cli_engine_fail(db, erc, "reading history");
        }
        durable_event *n = realloc(out->items, (out->count + page.count + 1) * sizeof *n);
        if (!n) {
            durable_history_response_clear(&page);
            cli_events_clear(out);
            return cli_engine_fail(db, DURABLE_ENOMEM, "reading history");
        }
        out->items = n;
        /* The events move: the page keeps zeroed shells to clear. */
        for (size_t i = 0; i < page.count; i++) {
            out->items[out->count++] = page.events[i];
            memset(&page.events[i], 0, sizeof page.events[i]);
        }
        if (page.next_marker && *page.next_marker)
            marker = strdup(page.next_marker);
        durable_history_response_clear(&page);
        if (!marker)
            return CLI_OK;
    }
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
    cli_events all = {0};
    rc = cli_resolve_exec(&arn, &db, exec);
    if (rc == CLI_OK)
        rc = cli_read_history(&all, &db, arn, data);
    if (rc == CLI_OK && json) {
        cJSON *doc = NULL;
        durable_history_response view = {all.items, all.count, NULL};
        if (durable_history_response_to_json(&doc, &view, DURABLE_TS_RFC3339) == 0)
            rc = cli_print_json(doc);
        else
            rc = cli_engine_fail(&db, DURABLE_ENOMEM, "encoding history");
    } else if (rc == CLI_OK) {
        static const char *const hdr[] = {"EVENT", "TYPE", "TIME", "ID", "NAME", "SUBTYPE",
                                          "DETAIL"};
        cli_table *t = cli_table_new(7, hdr);
        for (size_t i = 0; i < all.count; i++) {
            const durable_event *ev = &all.items[i];
            char num[24], ts[40], det[96];
            snprintf(num, sizeof num, "%lld", (long long)ev->event_id);
            cli_fmt_time(ts, sizeof ts, ev->timestamp);
            event_detail(det, sizeof det, ev);
            const char *row[] = {num, durable_event_type_name(ev->type), ts,
                                 ev->id ? ev->id : "-", ev->name ? ev->name : "-",
                                 ev->subtype ? ev->subtype : "-", det};
            cli_table_row(t, row);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
    cli_events_clear(&all);
    free(arn);
    cli_db_close(&db);
    return rc;
}
