/* GetDurableExecution, ListDurableExecutionsByFunction and
 * GetDurableExecutionHistory shapes (SPEC §2.8). The request structs stand
 * for query parameters; path parameters (ARN, FunctionName) are not part of
 * their JSON. */
#include <string.h>

#include "model/json_body.h"

/* ---- execution info --------------------------------------------------------- */

void durable_execution_info_clear(durable_execution_info *x)
{
    if (!x)
        return;
    durable_free(x->durable_execution_arn);
    durable_free(x->durable_execution_name);
    durable_free(x->function_arn);
    durable_free(x->input_payload);
    durable_free(x->result);
    durable_error_object_free(x->error);
    durable_free(x->version);
    memset(x, 0, sizeof *x);
}

int durable_execution_info_copy(durable_execution_info *out, const durable_execution_info *x)
{
    *out = *x;
    out->durable_execution_arn = out->durable_execution_name = out->function_arn = NULL;
    out->input_payload = out->result = out->version = NULL;
    out->error = NULL;
    if (durable__str_copy(&out->durable_execution_arn, x->durable_execution_arn) < 0 ||
        durable__str_copy(&out->durable_execution_name, x->durable_execution_name) < 0 ||
        durable__str_copy(&out->function_arn, x->function_arn) < 0 ||
        durable__str_copy(&out->input_payload, x->input_payload) < 0 ||
        durable__str_copy(&out->result, x->result) < 0 ||
        durable__error_copy(&out->error, x->error) < 0 ||
        durable__str_copy(&out->version, x->version) < 0) {
        durable_execution_info_clear(out);
        return durable__error_oom();
    }
    return 0;
}

bool durable_execution_info_equal(const durable_execution_info *a, const durable_execution_info *b)
{
    if (!a || !b)
        return a == b;
    return durable__str_eq(a->durable_execution_arn, b->durable_execution_arn) &&
           durable__str_eq(a->durable_execution_name, b->durable_execution_name) &&
           durable__str_eq(a->function_arn, b->function_arn) && a->status == b->status &&
           a->start_timestamp == b->start_timestamp && a->end_timestamp == b->end_timestamp &&
           durable__str_eq(a->input_payload, b->input_payload) &&
           durable__str_eq(a->result, b->result) && durable__error_eq(a->error, b->error) &&
           durable__str_eq(a->version, b->version);
}

static int put_execution_info(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_execution_info *x = v;
    int rc = 0;
    DJ_TRY(durable__jadd_str(j, "DurableExecutionArn", x->durable_execution_arn));
    DJ_TRY(durable__jadd_str(j, "DurableExecutionName", x->durable_execution_name));
    DJ_TRY(durable__jadd_str(j, "FunctionArn", x->function_arn));
    if (x->status != DURABLE_EXEC_STATUS_NONE)
        DJ_TRY(durable__jadd_str(j, "Status", durable_exec_status_name(x->status)));
    DJ_TRY(durable__jadd_ts(j, "StartTimestamp", x->start_timestamp, fmt));
    if (x->end_timestamp)
        DJ_TRY(durable__jadd_ts(j, "EndTimestamp", x->end_timestamp, fmt));
    DJ_TRY(durable__jadd_str(j, "InputPayload", x->input_payload));
    DJ_TRY(durable__jadd_str(j, "Result", x->result));
    if (x->error)
        DJ_TRY(durable__jadd_error(j, "Error", x->error));
    DJ_TRY(durable__jadd_str(j, "Version", x->version));
fail:
    return rc;
}

int durable_execution_info_to_json(cJSON **out, const durable_execution_info *x,
                                   durable_ts_format fmt)
{
    return durable__jencode(out, put_execution_info, x, fmt);
}

int durable__execution_info_decode(durable_execution_info *out, const cJSON *json,
                                   const char *path)
{
    int rc;
    int status = 0;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, path));
    DJ_TRY(durable__jget_str(&out->durable_execution_arn, json, "DurableExecutionArn", path, true,
                             &DJ_TEXT));
    DJ_TRY(durable__jget_str(&out->durable_execution_name, json, "DurableExecutionName", path,
                             false, &DJ_EXEC_NAME));
    DJ_TRY(durable__jget_str(&out->function_arn, json, "FunctionArn", path, false, &DJ_TEXT));
    DJ_TRY(durable__jget_enum(&status, json, "Status", path, true, durable__exec_status_names,
                              DJ_EXEC_STATUS_COUNT, "ExecutionStatus"));
    out->status = (durable_exec_status)status;
    DJ_TRY(durable__jget_ts(&out->start_timestamp, json, "StartTimestamp", path, true));
    DJ_TRY(durable__jget_ts(&out->end_timestamp, json, "EndTimestamp", path, false));
    DJ_TRY(durable__jget_str(&out->input_payload, json, "InputPayload", path, false, &DJ_PAYLOAD));
    DJ_TRY(durable__jget_str(&out->result, json, "Result", path, false, &DJ_PAYLOAD));
    DJ_TRY(durable__jget_error(&out->error, json, "Error", path, false));
    DJ_TRY(durable__jget_str(&out->version, json, "Version", path, false, &DJ_TEXT));
    return 0;
fail:
    durable_execution_info_clear(out);
    return rc;
}

int durable_execution_info_from_json(durable_execution_info *out, const cJSON *json)
{
    return durable__execution_info_decode(out, json, "");
}

/* ---- ListDurableExecutionsByFunction ------------------------------------------ */

void durable_list_request_clear(durable_list_request *r)
{
    if (!r)
        return;
    durable_free(r->function_name);
    durable_free(r->qualifier);
    durable_free(r->durable_execution_name);
    durable_free(r->statuses);
    durable_free(r->marker);
    memset(r, 0, sizeof *r);
}

static int put_list_request(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_list_request *r = v;
    (void)fmt;
    int rc = 0;
    DJ_TRY(durable__jadd_str(j, "Qualifier", r->qualifier));
    DJ_TRY(durable__jadd_str(j, "DurableExecutionName", r->durable_execution_name));
    if (r->statuses) {
        cJSON *arr = cJSON_CreateArray();
        DJ_TRY(durable__jadd_item(j, "Statuses", arr));
        for (size_t i = 0; i < r->status_count; i++) {
            cJSON *s = cJSON_CreateString(durable_exec_status_name(r->statuses[i]));
            if (!s || !cJSON_AddItemToArray(arr, s)) {
                cJSON_Delete(s);
                rc = durable__error_oom();
                goto fail;
            }
        }
    }
    /* Query strings take RFC 3339 (§2.1); it is also exact to the ms. */
    if (r->started_after)
        DJ_TRY(durable__jadd_ts(j, "StartedAfter", r->started_after, DURABLE_TS_RFC3339));
    if (r->started_before)
        DJ_TRY(durable__jadd_ts(j, "StartedBefore", r->started_before, DURABLE_TS_RFC3339));
    if (r->reverse_order)
        DJ_TRY(durable__jadd_bool(j, "ReverseOrder", true));
    DJ_TRY(durable__jadd_str(j, "Marker", r->marker));
    if (r->max_items != DURABLE_ABSENT)
        DJ_TRY(durable__jadd_int(j, "MaxItems", r->max_items));
fail:
    return rc;
}

int durable_list_request_to_json(cJSON **out, const durable_list_request *r)
{
    return durable__jencode(out, put_list_request, r, DURABLE_TS_EPOCH_MS);
}

static int get_statuses(durable_list_request *out, const cJSON *json)
{
    const cJSON *arr = NULL;
    int rc = durable__jget_arr(&arr, json, "Statuses", "", false);
    if (rc < 0 || !arr)
        return rc;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    out->statuses = durable__calloc(n ? n : 1, sizeof *out->statuses);
    if (!out->statuses)
        return durable__error_oom();
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        char path[DJ_PATH_MAX];
        durable__jpath_idx(path, "Statuses", out->status_count);
        if (!cJSON_IsString(item) || !item->valuestring)
            return durable__jerr(DURABLE_EPARSE, path, NULL, "expected a string");
        if (durable_exec_status_parse(&out->statuses[out->status_count],
                                      item->valuestring) < 0)
            return durable__jerr(DURABLE_EINVAL, path, NULL,
                                 "unknown ExecutionStatus (RUNNING, SUCCEEDED, FAILED, TIMED_OUT "
                                 "or STOPPED)");
        out->status_count++;
    }
    return 0;
}

int durable_list_request_from_json(durable_list_request *out, const cJSON *json)
{
    int rc;
    memset(out, 0, sizeof *out);
    out->max_items = DURABLE_ABSENT;
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_str(&out->qualifier, json, "Qualifier", "", false, &DJ_TEXT));
    DJ_TRY(durable__jget_str(&out->durable_execution_name, json, "DurableExecutionName", "", false,
                             &DJ_EXEC_NAME));
    DJ_TRY(get_statuses(out, json));
    DJ_TRY(durable__jget_ts(&out->started_after, json, "StartedAfter", "", false));
    DJ_TRY(durable__jget_ts(&out->started_before, json, "StartedBefore", "", false));
    DJ_TRY(durable__jget_bool(&out->reverse_order, json, "ReverseOrder", "", false));
    DJ_TRY(durable__jget_str(&out->marker, json, "Marker", "", false, &DJ_TEXT));
    DJ_TRY(durable__jget_int(&out->max_items, json, "MaxItems", "", false, 0, DURABLE_MAX_ITEMS));
    return 0;
fail:
    durable_list_request_clear(out);
    return rc;
}

void durable_list_response_clear(durable_list_response *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        durable_execution_info_clear(&r->executions[i]);
    durable_free(r->executions);
    durable_free(r->next_marker);
    memset(r, 0, sizeof *r);
}

static int encode_execution(cJSON **out, const void *x, durable_ts_format fmt)
{
    return durable_execution_info_to_json(out, x, fmt);
}

static int decode_execution(void *x, const cJSON *json, const char *path)
{
    return durable__execution_info_decode(x, json, path);
}

static int put_list_response(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_list_response *r = v;
    return durable__jadd_page(j, "DurableExecutions", r->executions, r->count,
                              sizeof *r->executions, encode_execution, r->next_marker, fmt);
}

int durable_list_response_to_json(cJSON **out, const durable_list_response *r,
                                  durable_ts_format fmt)
{
    return durable__jencode(out, put_list_response, r, fmt);
}

int durable_list_response_from_json(durable_list_response *out, const cJSON *json)
{
    void *executions = NULL;
    memset(out, 0, sizeof *out);
    int rc = durable__jget_page(&executions, &out->count, sizeof *out->executions,
                                &out->next_marker, json, "DurableExecutions", decode_execution);
    out->executions = executions;
    if (rc < 0)
        durable_list_response_clear(out);
    return rc;
}

/* ---- GetDurableExecutionHistory -------------------------------------------------- */

void durable_history_request_clear(durable_history_request *r)
{
    if (!r)
        return;
    durable_free(r->durable_execution_arn);
    durable_free(r->marker);
    memset(r, 0, sizeof *r);
}

static int put_history_request(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_history_request *r = v;
    (void)fmt;
    int rc = 0;
    if (r->include_execution_data)
        DJ_TRY(durable__jadd_bool(j, "IncludeExecutionData", true));
    if (r->max_items != DURABLE_ABSENT)
        DJ_TRY(durable__jadd_int(j, "MaxItems", r->max_items));
    DJ_TRY(durable__jadd_str(j, "Marker", r->marker));
    if (r->reverse_order)
        DJ_TRY(durable__jadd_bool(j, "ReverseOrder", true));
fail:
    return rc;
}

int durable_history_request_to_json(cJSON **out, const durable_history_request *r)
{
    return durable__jencode(out, put_history_request, r, DURABLE_TS_EPOCH_MS);
}

int durable_history_request_from_json(durable_history_request *out, const cJSON *json)
{
    int rc;
    memset(out, 0, sizeof *out);
    out->max_items = DURABLE_ABSENT;
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_bool(&out->include_execution_data, json, "IncludeExecutionData", "",
                              false));
    DJ_TRY(durable__jget_int(&out->max_items, json, "MaxItems", "", false, 0, DURABLE_MAX_ITEMS));
    DJ_TRY(durable__jget_str(&out->marker, json, "Marker", "", false, &DJ_TEXT));
    DJ_TRY(durable__jget_bool(&out->reverse_order, json, "ReverseOrder", "", false));
    return 0;
fail:
    durable_history_request_clear(out);
    return rc;
}

void durable_history_response_clear(durable_history_response *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        durable_event_clear(&r->events[i]);
    durable_free(r->events);
    durable_free(r->next_marker);
    memset(r, 0, sizeof *r);
}

static int encode_event(cJSON **out, const void *ev, durable_ts_format fmt)
{
    return durable_event_to_json(out, ev, fmt);
}

static int decode_event(void *ev, const cJSON *json, const char *path)
{
    return durable__event_decode(ev, json, path);
}

static int put_history_response(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_history_response *r = v;
    return durable__jadd_page(j, "Events", r->events, r->count, sizeof *r->events, encode_event,
                              r->next_marker, fmt);
}

int durable_history_response_to_json(cJSON **out, const durable_history_response *r,
                                     durable_ts_format fmt)
{
    return durable__jencode(out, put_history_response, r, fmt);
}

int durable_history_response_from_json(durable_history_response *out, const cJSON *json)
{
    void *events = NULL;
    memset(out, 0, sizeof *out);
    int rc = durable__jget_page(&events, &out->count, sizeof *out->events, &out->next_marker,
                                json, "Events", decode_event);
    out->events = events;
    if (rc < 0)
        durable_history_response_clear(out);
    return rc;
}
