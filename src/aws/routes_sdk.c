/* The SDK's routes (HTTP_API.md §2.3, §6.2 rows 1, 2, 7-9): checkpoint,
 * state, and the three callback calls. */
#include <inttypes.h>
#include <string.h>

#include "durable/ids.h"
#include "aws/aws_internal.h"

#define API "/2025-12-01"

static int decode_checkpoint(void *out, const cJSON *json)
{
    return durable_checkpoint_response_from_json(out, json);
}

static int decode_state(void *out, const cJSON *json)
{
    return durable_state_response_from_json(out, json);
}

static int decode_empty(void *out, const cJSON *json)
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
    /* Every checkpoint carries a ClientToken; retries below resend this very
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
    char *path = durable__aws_path(API "/durable-executions/", req->durable_execution_arn,
                                   "/checkpoint");
    if (rc == 0 && (!body || !path))
        rc = DURABLE_ENOMEM;
    if (rc == 0) {
        durable__aws_call call = {"POST", path, NULL, body, strlen(body), "application/json",
                                  NULL, 0, 0, DURABLE__RETRY_ALL, "CheckpointDurableExecution"};
        rc = durable__aws_call_json(c, &call, decode_checkpoint, out);
    } else {
        rc = durable__aws_error_local(rc, "CheckpointDurableExecution: %s",
                                      durable_error_last()->message);
    }
    durable_free(body);
    durable_free(path);
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
    if (req->max_items > 0) {
        char n[24];
        snprintf(n, sizeof n, "%" PRId64, req->max_items);
        durable__aws_query_add(&q, "MaxItems", n);
    }
    char *query = durable__strbuf_take(&q);
    char *path = durable__aws_path(API "/durable-executions/", req->durable_execution_arn,
                                   "/state");
    int rc;
    if (!query || !path) {
        rc = durable__aws_error_local(DURABLE_ENOMEM, "GetDurableExecutionState: out of memory");
    } else {
        durable__aws_call call = {"GET", path, query, NULL, 0, NULL, NULL, 0, 0,
                                  DURABLE__RETRY_ALL, "GetDurableExecutionState"};
        rc = durable__aws_call_json(c, &call, decode_state, out);
    }
    durable_free(query);
    durable_free(path);
    return rc;
}

/* One callback call: POST …/durable-execution-callbacks/{id}/<verb>. */
static int callback_call(durable_aws_client *c, const char *id, const char *verb,
                         const char *body, size_t len, const char *content_type,
                         const char *what)
{
    durable__aws_error_reset();
    if (!c || !id)
        return durable__aws_error_local(DURABLE_EINVAL, "%s: client and callback id are required",
                                        what);
    char suffix[16];
    snprintf(suffix, sizeof suffix, "/%s", verb);
    char *path = durable__aws_path(API "/durable-execution-callbacks/", id, suffix);
    if (!path)
        return durable__aws_error_local(DURABLE_ENOMEM, "%s: out of memory", what);
    durable__aws_call call = {"POST", path, NULL, body, len, content_type, NULL, 0, 0,
                              DURABLE__RETRY_ALL, what};
    int rc = durable__aws_call_json(c, &call, decode_empty, NULL);
    durable_free(path);
    return rc;
}

int durable_aws_callback_success(durable_aws_client *c, const char *callback_id,
                                 const char *result, size_t result_len)
{
    /* The result bytes verbatim, typed as the JS client types them. */
    return callback_call(c, callback_id, "succeed", result ? result : "",
                         result ? result_len : 0, "application/octet-stream",
                         "SendDurableExecutionCallbackSuccess");
}

int durable_aws_callback_failure(durable_aws_client *c, const char *callback_id,
                                 const durable_error_object *error)
{
    char *body = NULL;
    if (error) {
        cJSON *json = NULL;
        int rc = durable_error_object_to_json(&json, error);
        if (rc == 0)
            body = durable_json_print(json);
        cJSON_Delete(json);
        if (rc != 0 || !body)
            return durable__aws_error_local(rc ? rc : DURABLE_ENOMEM,
                                            "SendDurableExecutionCallbackFailure: %s",
                                            durable_error_last()->message);
    }
    int rc = callback_call(c, callback_id, "fail", body ? body : "{}",
                           body ? strlen(body) : 2, "application/json",
                           "SendDurableExecutionCallbackFailure");
    durable_free(body);
    return rc;
}

int durable_aws_callback_heartbeat(durable_aws_client *c, const char *callback_id)
{
    return callback_call(c, callback_id, "heartbeat", NULL, 0, NULL,
                         "SendDurableExecutionCallbackHeartbeat");
}
