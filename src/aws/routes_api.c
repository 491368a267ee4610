/* The runners' and tools' routes (HTTP_API.md §2.3, §6.2 rows 3-6 and 10):
 * GetDurableExecution, history, list, stop and Invoke. */
#include <inttypes.h>
#include <string.h>

#include "aws/aws_internal.h"

#define API "/2025-12-01"

static int decode_execution(void *out, const cJSON *json)
{
    return durable_execution_info_from_json(out, json);
}

static int decode_history(void *out, const cJSON *json)
{
    return durable_history_response_from_json(out, json);
}

static int decode_list(void *out, const cJSON *json)
{
    return durable_list_response_from_json(out, json);
}

static int decode_stop(void *out, const cJSON *json)
{
    return durable_stop_response_from_json(out, json);
}

static void query_int(durable__strbuf *q, const char *key, int64_t v)
{
    char n[24];
    snprintf(n, sizeof n, "%" PRId64, v);
    durable__aws_query_add(q, key, n);
}

/* Query timestamps are ISO-8601 (HTTP_API.md §5). */
static void query_time(durable__strbuf *q, const char *key, int64_t ms)
{
    char t[40];
    durable_ts_format_rfc3339(t, sizeof t, ms);
    durable__aws_query_add(q, key, t);
}

/* A GET or POST on a route with one path parameter, decoded as JSON. */
static int json_route(durable_aws_client *c, const char *method, const char *prefix,
                      const char *segment, const char *suffix, durable__strbuf *query,
                      const char *body, durable__aws_decode_fn decode, void *out,
                      const char *what)
{
    char *q = query ? durable__strbuf_take(query) : NULL;
    char *path = durable__aws_path(prefix, segment, suffix);
    int rc;
    if (!path || (query && !q)) {
        rc = durable__aws_error_local(DURABLE_ENOMEM, "%s: out of memory", what);
    } else {
        durable__aws_call call = {method, path, q, body, body ? strlen(body) : 0,
                                  body ? "application/json" : NULL, NULL, 0, 0,
                                  DURABLE__RETRY_ALL, what};
        rc = durable__aws_call_json(c, &call, decode, out);
    }
    durable_free(q);
    durable_free(path);
    return rc;
}

int durable_aws_get_execution(durable_aws_client *c, durable_execution_info *out,
                              const char *durable_execution_arn)
{
    durable__aws_error_reset();
    if (!c || !out || !durable_execution_arn)
        return durable__aws_error_local(DURABLE_EINVAL, "durable_aws_get_execution: client, "
                                                        "out and ARN are required");
    return json_route(c, "GET", API "/durable-executions/", durable_execution_arn, "", NULL,
                      NULL, decode_execution, out, "GetDurableExecution");
}

int durable_aws_get_history(durable_aws_client *c, durable_history_response *out,
                            const durable_history_request *req)
{
    durable__aws_error_reset();
    if (!c || !out || !req || !req->durable_execution_arn)
        return durable__aws_error_local(DURABLE_EINVAL, "durable_aws_get_history: client, out "
                                                        "and ARN are required");
    durable__strbuf q = {0};
    if (req->include_execution_data)
        durable__aws_query_add(&q, "IncludeExecutionData", "true");
    if (req->max_items > 0)
        query_int(&q, "MaxItems", req->max_items);
    if (req->marker)
        durable__aws_query_add(&q, "Marker", req->marker);
    if (req->reverse_order)
        durable__aws_query_add(&q, "ReverseOrder", "true");
    return json_route(c, "GET", API "/durable-executions/", req->durable_execution_arn,
                      "/history", &q, NULL, decode_history, out, "GetDurableExecutionHistory");
}

int durable_aws_list_executions(durable_aws_client *c, durable_list_response *out,
                                const durable_list_request *req)
{
    durable__aws_error_reset();
    if (!c || !out || !req || !req->function_name)
        return durable__aws_error_local(DURABLE_EINVAL, "durable_aws_list_executions: client, "
                                                        "out and function name are required");
    durable__strbuf q = {0};
    if (req->qualifier)
        durable__aws_query_add(&q, "Qualifier", req->qualifier);
    if (req->durable_execution_name)
        durable__aws_query_add(&q, "DurableExecutionName", req->durable_execution_name);
    for (size_t i = 0; i < req->status_count; i++)
        durable__aws_query_add(&q, "Statuses", durable_exec_status_name(req->statuses[i]));
    if (req->started_after)
        query_time(&q, "StartedAfter", req->started_after);
    if (req->started_before)
        query_time(&q, "StartedBefore", req->started_before);
    if (req->reverse_order)
        durable__aws_query_add(&q, "ReverseOrder", "true");
    if (req->marker)
        durable__aws_query_add(&q, "Marker", req->marker);
    if (req->max_items > 0)
        query_int(&q, "MaxItems", req->max_items);
    return json_route(c, "GET", API "/functions/", req->function_name, "/durable-executions", &q,
                      NULL, decode_list, out, "ListDurableExecutionsByFunction");
}

int durable_aws_stop(durable_aws_client *c, durable_stop_response *out,
                     const char *durable_execution_arn, const durable_error_object *error)
{
    durable__aws_error_reset();
    if (!c || !out || !durable_execution_arn)
        return durable__aws_error_local(DURABLE_EINVAL,
                                        "durable_aws_stop: client, out and ARN are required");
    char *body = NULL;
    if (error) {
        cJSON *json = NULL;
        int rc = durable_error_object_to_json(&json, error);
        if (rc == 0)
            body = durable_json_print(json);
        cJSON_Delete(json);
        if (rc != 0 || !body)
            return durable__aws_error_local(rc ? rc : DURABLE_ENOMEM, "StopDurableExecution: %s",
                                            durable_error_last()->message);
    }
    int rc = json_route(c, "POST", API "/durable-executions/", durable_execution_arn, "/stop",
                        NULL, body, decode_stop, out, "StopDurableExecution");
    durable_free(body);
    return rc;
}

/* ---- Invoke ------------------------------------------------------------------------ */

void durable_aws_invoke_response_clear(durable_aws_invoke_response *r)
{
    if (!r)
        return;
    durable_free(r->durable_execution_arn);
    durable_free(r->executed_version);
    durable_free(r->function_error);
    durable_free(r->request_id);
    durable_free(r->payload);
    memset(r, 0, sizeof *r);
}

static const char *invocation_type_name(durable_aws_invocation_type t)
{
    switch (t) {
    case DURABLE_AWS_INVOKE_EVENT:
        return "Event";
    case DURABLE_AWS_INVOKE_DRY_RUN:
        return "DryRun";
    default:
        return "RequestResponse";
    }
}

static int take_header(char **dst, const durable__aws_resp *r, const char *name)
{
    const char *v = durable__aws_resp_header(r, name);
    if (!v)
        return 0;
    return (*dst = durable__strdup(v)) ? 0 : DURABLE_ENOMEM;
}

int durable_aws_invoke(durable_aws_client *c, durable_aws_invoke_response *out,
                       const durable_aws_invoke_request *req)
{
    durable__aws_error_reset();
    if (!c || !out || !req || !req->function_name)
        return durable__aws_error_local(DURABLE_EINVAL, "durable_aws_invoke: client, out and "
                                                        "function name are required");
    durable__aws_header hs[3];
    size_t n = 0;
    hs[n++] = (durable__aws_header){"X-Amz-Invocation-Type",
                                    invocation_type_name(req->invocation_type)};
    if (req->durable_execution_name)
        hs[n++] = (durable__aws_header){"X-Amz-Durable-Execution-Name",
                                        req->durable_execution_name};
    if (req->tenant_id)
        hs[n++] = (durable__aws_header){"X-Amz-Tenant-Id", req->tenant_id};
    durable__strbuf q = {0};
    if (req->qualifier)
        durable__aws_query_add(&q, "Qualifier", req->qualifier);
    char *query = req->qualifier ? durable__strbuf_take(&q) : NULL;
    char *path = durable__aws_path("/2015-03-31/functions/", req->function_name, "/invocations");
    if (!path || (req->qualifier && !query)) {
        durable_free(query);
        durable_free(path);
        return durable__aws_error_local(DURABLE_ENOMEM, "Invoke: out of memory");
    }
    durable__aws_call call = {"POST", path, query, req->payload ? req->payload : "",
                              req->payload ? req->payload_len : 0, "application/octet-stream",
                              hs, n, req->timeout_ms, DURABLE__RETRY_UNSENT, "Invoke"};
    durable__aws_resp resp = {0};
    int rc = durable__aws_send(c, &resp, &call);
    durable_free(query);
    durable_free(path);
    if (rc != 0)
        return rc;
    out->status_code = resp.status;
    out->payload = resp.body;
    out->payload_len = resp.body_len;
    resp.body = NULL;
    rc = take_header(&out->durable_execution_arn, &resp, "X-Amz-Durable-Execution-Arn");
    if (rc == 0)
        rc = take_header(&out->executed_version, &resp, "X-Amz-Executed-Version");
    if (rc == 0)
        rc = take_header(&out->function_error, &resp, "X-Amz-Function-Error");
    if (rc == 0)
        rc = take_header(&out->request_id, &resp, "x-amzn-RequestId");
    durable__aws_resp_clear(&resp);
    if (rc != 0) {
        durable_aws_invoke_response_clear(out);
        return durable__aws_error_local(rc, "Invoke: out of memory");
    }
    return 0;
}
