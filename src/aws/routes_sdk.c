/* The SDK's routes (HTTP_API.md §2.3, §6.2 rows 1, 2, 7-9): checkpoint,
 * state, and the three callback calls. */
#include <inttypes.h>
#include <string.h>

#include "durable/ids.h"
#include "aws/aws_internal.h"

#define EXECUTIONS "/2025-12-01/durable-executions/"
#define CALLBACKS "/2025-12-01/durable-execution-callbacks/"

static int decode_checkpoint(void *out, const cJSON *json)
{
    return durable_checkpoint_response_from_json(out, json);
}

static int decode_state(void *out, const cJSON *json)
{
    return durable_state_response_from_json(out, json);
}

static int decode_nothing(void *out, const cJSON *json)
{
    (void)out;
    (void)json;
    return 0;
}

int durable_aws_checkpoint(durable_aws_client *c, durable_checkpoint_response *out,
                           const durable_checkpoint_request *req)
{
    durable__aws_error_reset();
    if (!c || !out || !req || !req->durable_execution_arn)
        return durable__aws_error_local(DURABLE_EINVAL,
                                        "durable_aws_checkpoint: client, out, request and ARN "
                                        "are required");
    /* Every checkpoint carries a ClientToken; retries resend this very
     * body, so the service can answer a replay with its stored response. */
    char client_token[37];
    durable_checkpoint_request r = *req;
    if (!r.client_token) {
        durable_uuid(client_token);
        r.client_token = client_token;
    }
    cJSON *json = NULL;
    int rc = durable_checkpoint_request_to_json(&json, &r);
    char *body = rc == 0 ? durable_json_print(json) : NULL;
    cJSON_Delete(json);
    if (!body)
        return durable__aws_error_local(rc ? rc : DURABLE_ENOMEM, "CheckpointDurableExecution: %s",
                                        rc ? durable_error_last()->message : "out of memory");
    durable__aws_route_spec spec = {"POST", EXECUTIONS, req->durable_execution_arn,
                                    "/checkpoint", body, strlen(body), "application/json",
                                    "CheckpointDurableExecution"};
    rc = durable__aws_route(c, &spec, NULL, decode_checkpoint, out);
    durable_free(body);
    return rc;
}

int durable_aws_get_state(durable_aws_client *c, durable_state_response *out,
                          const durable_state_request *req)
{
    durable__aws_error_reset();
    if (!c || !out || !req || !req->durable_execution_arn || !req->checkpoint_token)
        return durable__aws_error_local(DURABLE_EINVAL,
                                        "durable_aws_get_state: client, out, ARN and token are "
                                        "required");
    durable__strbuf q = {0};
    durable__aws_query_add(&q, "CheckpointToken", req->checkpoint_token);
    if (req->marker)
        durable__aws_query_add(&q, "Marker", req->marker);
    if (req->max_items > 0)
        durable__aws_query_int(&q, "MaxItems", req->max_items);
    durable__aws_route_spec spec = {"GET", EXECUTIONS, req->durable_execution_arn, "/state",
                                    NULL, 0, NULL, "GetDurableExecutionState"};
    return durable__aws_route(c, &spec, &q, decode_state, out);
}

/* One callback call: POST …/durable-execution-callbacks/{id}/<verb>. */
static int callback_call(durable_aws_client *c, const char *id, const char *suffix,
                         const char *body, size_t len, const char *content_type,
                         const char *what)
{
    durable__aws_error_reset();
    if (!c || !id)
        return durable__aws_error_local(DURABLE_EINVAL, "%s: client and callback id are required",
                                        what);
    durable__aws_route_spec spec = {"POST", CALLBACKS, id, suffix, body, len, content_type, what};
    return durable__aws_route(c, &spec, NULL, decode_nothing, NULL);
}

int durable_aws_callback_success(durable_aws_client *c, const char *callback_id,
                                 const char *result, size_t result_len)
{
    /* The result bytes verbatim, typed as the JS client types them. */
    return callback_call(c, callback_id, "/succeed", result ? result : "",
                         result ? result_len : 0, "application/octet-stream",
                         "SendDurableExecutionCallbackSuccess");
}

int durable_aws_callback_failure(durable_aws_client *c, const char *callback_id,
                                 const durable_error_object *error)
{
    static const char what[] = "SendDurableExecutionCallbackFailure";
    char *body = error ? durable__aws_error_json(error, what) : NULL;
    if (error && !body)
        return durable_error_last()->code;
    int rc = callback_call(c, callback_id, "/fail", body ? body : "{}", body ? strlen(body) : 2,
                           "application/json", what);
    durable_free(body);
    return rc;
}

int durable_aws_callback_heartbeat(durable_aws_client *c, const char *callback_id)
{
    return callback_call(c, callback_id, "/heartbeat", NULL, 0, NULL,
                         "SendDurableExecutionCallbackHeartbeat");
}
