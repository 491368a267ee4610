/* GetDurableExecutionHistory (SPEC §9.1, §9.6): events in EventId order or
 * reversed, paged by the EventId where the next page starts, payloads
 * omitted (Truncated) unless IncludeExecutionData. */
#include <string.h>

#include "engine/engine_internal.h"

static int history(durable_engine *e, durable_history_response *out,
                   const durable_history_request *req)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, req->durable_execution_arn);
    if (rc < 0)
        return rc;
    int64_t max_items = req->max_items, from = 0;
    sqlite3_stmt *st = NULL;
    if (max_items == DURABLE_ABSENT || max_items == 0)
        max_items = DURABLE_DEFAULT_HISTORY_MAX_ITEMS;
    if (max_items < 0 || max_items > DURABLE_MAX_ITEMS) {
        rc = durable__eng_fail(e, DURABLE_EINVAL, "MaxItems must be between 0 and 1000.",
                               "MaxItems %lld", (long long)max_items);
        goto done;
    }
    if (req->marker && *req->marker) {
        if ((rc = durable__marker_decode(e, req->marker, "event", &from, NULL, NULL)) < 0)
            goto done;
        if (from < 1) {
            rc = durable__eng_fail(e, DURABLE_EMARKER, "Invalid marker", "Marker event %lld",
                                   (long long)from);
            goto done;
        }
    } else {
        from = req->reverse_order ? x.last_event_id : 1;
    }
    /* The execution's events are the ids x * 2^32 + 1 ... x * 2^32 + 2^32 - 1;
     * `from` is clamped so a large marker cannot reach the next execution. */
    rc = durable__db_prepare(
        e, &st,
        req->reverse_order
            ? "SELECT event_id, event_type, timestamp_ms, op_id, name, subtype, parent_id, details "
              "FROM history_events WHERE id BETWEEN ?1 * 4294967296 + 1 AND ?1 * 4294967296 + ?2 "
              "ORDER BY id DESC LIMIT ?3"
            : "SELECT event_id, event_type, timestamp_ms, op_id, name, subtype, parent_id, details "
              "FROM history_events WHERE id BETWEEN ?1 * 4294967296 + ?2 "
              "AND ?1 * 4294967296 + 4294967295 ORDER BY id LIMIT ?3");
    if (rc < 0)
        goto done;
    durable__db_i64(st, 1, x.rowid);
    durable__db_i64(st, 2, from > 4294967295LL ? (req->reverse_order ? 4294967295LL : 4294967296LL)
                                                : from);
    durable__db_i64(st, 3, max_items + 1);
    while ((rc = durable__db_row(e, st, "read history")) == 1) {
        if ((int64_t)out->count == max_items) {
            rc = durable__marker_encode(&out->next_marker, "event", durable__col_i64(st, 0), NULL, 0);
            durable__db_reset(st);
            break;
        }
        durable_event *grown = durable__realloc(out->events, (out->count + 1) * sizeof *grown);
        if (!grown) {
            rc = durable__error_oom();
            durable__db_reset(st);
            break;
        }
        out->events = grown;
        durable_event *ev = &out->events[out->count];
        if ((rc = durable__event_from_row(ev, st)) < 0) {
            durable__db_reset(st);
            break;
        }
        out->count++;
        if (ev->has_payload_object) {
            if (req->include_execution_data) {
                ev->truncated = false;
            } else {
                ev->truncated = ev->payload != NULL;
                durable_free(ev->payload);
                ev->payload = NULL;
            }
        }
    }
done:
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_get_history(durable_history_response *out, durable_engine *e,
                               const durable_history_request *req)
{
    if (!out || !e || !req)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_get_history: out, engine and "
                                                  "request are required");
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, history(e, out, req));
    if (rc < 0)
        durable_history_response_clear(out);
    return rc;
}
