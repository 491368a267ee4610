/* The runners' and tools' routes (HTTP_API.md §2.3, §6.2 rows 3-6 and 10):
 * GetDurableExecution, history, list, stop and Invoke. */
#include <inttypes.h>
#include <string.h>

#include "aws/aws_internal.h"

#define EXECUTIONS "/2025-12-01/durable-executions/"

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

/* Query timestamps are ISO-8601 (HTTP_API.md §5). */
static void query_time(durable__strbuf *q, const char *key, int64_t ms)
{
    char t[40];
    durable_ts_format_rfc3339(t, sizeof t, ms);
    durable__aws_query_add(q, key, t);
}

int durable_aws_get_execution(durable_aws_client *c, durable_execution_info *out,
                              const char *durable_execution_arn)
{
    durable__aws_error_reset();
    if (!c || !out || !durable_execution_arn)
        return durable__aws_error_local(DURABLE_EINVAL, "durable_aws_get_execution: client, "
                                                        "out and ARN are required");
    durable__aws_route_spec spec = {"GET", EXECUTIONS, durable_execution_arn, "", NULL, 0,
                                    NULL, "GetDurableExecution"};
    return durable__aws_route(c, &spec, NULL, decode_execution, out);
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
        durable__aws_query_int(&q, "MaxItems", req->max_items);
    if (req->marker)
        durable__aws_query_add(&q, "Marker", req->marker);
    if (req->reverse_order)
        durable__aws_query_add(&q, "ReverseOrder", "true");
    durable__aws_route_spec spec = {"GET", EXECUTIONS, req->durable_execution_arn, "/history",
                                    NULL, 0, NULL, "GetDurableExecutionHistory"};
    return durable__aws_route(c, &spec, &q, decode_history, out);
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
        durable__aws_query_int(&q, "MaxItems", req->max_items);
    durable__aws_route_spec spec = {"GET", "/2025-12-01/functions/", req->function_name,
                                    "/durable-executions", NULL, 0, NULL,
                                    "ListDurableExecutionsByFunction"};
    return durable__aws_route(c, &spec, &q, decode_list, out);
}

int durable_aws_stop(durable_aws_client *c, durable_stop_response *out,
                     const char *durable_execution_arn, const durable_error_object *error)
{
    durable__aws_error_reset();
    if (!c || !out || !durable_execution_arn)
        return durable__aws_error_local(DURABLE_EINVAL,
                                        "durable_aws_stop: client, out and ARN are required");
    static const char what[] = "StopDurableExecution";
    char *body = error ? durable__aws_error_json(error, what) : NULL;
    if (error && !body)
        return durable_error_last()->code;
    durable__aws_route_spec spec = {"POST", EXECUTIONS, durable_execution_arn, "/stop", body,
                                    body ? strlen(body) : 0, body ? "application/json" : NULL,
                                    what};
    int rc = durable__aws_route(c, &spec, NULL, decode_stop, out);
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
