/* History events (SPEC §9): append with consecutive EventIds, the envelope
 * copied from the operation, `<EventType>Details` stored as JSON text with
 * full payloads; and decoding a stored row back into an event. A row's id is
 * execution_id * 2^32 + event_id (schema/004_history_rowid.sql), so appends
 * go to the right edge of a rowid table. */
#include <string.h>

#include "engine/engine_internal.h"
#include "model/json_util.h"

void durable__event_prepare(durable_event *ev, durable_event_type type,
                            const durable_operation *op)
{
    durable_event_init(ev);
    ev->type = type;
    if (op) {
        /* Envelope copies are best effort here; append checks them. */
        ev->id = durable__strdup(op->id);
        ev->name = durable__strdup(op->name);
        ev->subtype = durable__strdup(op->subtype);
        ev->parent_id = durable__strdup(op->parent_id);
    }
}

int durable__history_append(durable_engine *e, eng_exec *x, durable_event *ev)
{
    ev->event_id = x->last_event_id + 1;
    if (!ev->timestamp)
        ev->timestamp = e->now;
    char *details = NULL;
    int rc = durable__event_details_text(&details, ev, DURABLE_TS_RFC3339);
    sqlite3_stmt *st = NULL;
    if (rc == 0)
        rc = durable__db_prepare(e, &st,
                                 "INSERT INTO history_events (id, execution_id, event_id, event_type, "
                                 "timestamp_ms, op_id, name, subtype, parent_id, details) "
                                 "VALUES (?1 * 4294967296 + ?2, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                 "?9)");
    if (rc == 0) {
        durable__db_i64(st, 1, x->rowid);
        durable__db_i64(st, 2, ev->event_id);
        durable__db_text_static(st, 3, durable_event_type_name(ev->type));
        durable__db_i64(st, 4, ev->timestamp);
        durable__db_text_static(st, 5, ev->id);
        durable__db_text_static(st, 6, ev->name);
        durable__db_text_static(st, 7, ev->subtype);
        durable__db_text_static(st, 8, ev->parent_id);
        durable__db_text_static(st, 9, details);
        rc = durable__db_done(e, st, "append history event");
    }
    durable_free(details);
    durable_event_clear(ev);
    if (rc == 0)
        x->last_event_id++;
    return rc;
}

int durable__event_from_row(durable_event *out, sqlite3_stmt *st)
{
    durable_event_init(out);
    const char *type = (const char *)sqlite3_column_text(st, 1);
    const char *details = (const char *)sqlite3_column_text(st, 7);
    int64_t ts = durable__col_i64(st, 2);
    cJSON *env = cJSON_CreateObject();
    cJSON *d = NULL;
    char *key = durable__sprintf("%sDetails", type ? type : "");
    int rc = (env && key) ? 0 : durable__error_oom();
    if (rc == 0)
        rc = durable_json_parse(&d, details ? details : "{}", details ? strlen(details) : 2);
    if (rc == 0) {
        cJSON_AddItemToObject(env, key, d);
        cJSON_AddStringToObject(env, "EventType", type ? type : "");
        cJSON_AddNumberToObject(env, "EventId", (double)durable__col_i64(st, 0));
        cJSON_AddItemToObject(env, "EventTimestamp", durable_ts_to_json(ts, DURABLE_TS_RFC3339));
        static const char *keys[] = {"Id", "Name", "SubType", "ParentId"};
        for (int i = 0; i < 4; i++) {
            const char *v = (const char *)sqlite3_column_text(st, 3 + i);
            if (v)
                cJSON_AddStringToObject(env, keys[i], v);
        }
        rc = durable_event_from_json(out, env);
    }
    cJSON_Delete(env);
    durable_free(key);
    if (rc == 0)
        out->timestamp = ts; /* exact, whatever the text encoding rounds */
    return rc;
}
