/* The durable-execution routes of HTTP_API.md §6.2 (rows 1-9): each turns
 * one request into one engine call on the checkpoint server thread and the
 * engine's answer into the wire shape (epoch seconds with a millisecond
 * fraction). A rejected call changed nothing; its error is AWS-shaped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"
#include "model/internal.h"

/* Parse the request body as JSON; an empty body is NULL. Answers 400 and
 * returns -1 when it is not JSON. */
static int body_json(durable__hctx *c, cJSON **out)
{
    *out = NULL;
    if (c->body_len == 0)
        return 0;
    int rc = durable_json_parse(out, c->body, c->body_len);
    if (rc < 0) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "The request body is not valid JSON: %s",
                                  durable_error_last()->message);
        return -1;
    }
    return 0;
}

/* An optional integer query parameter; answers 400 and returns -1 when it
 * is not an integer in [lo, hi]. */
static int query_int(durable__hctx *c, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const char *v = durable__http_query(c, key);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "%s must be an integer between %lld and %lld.", key,
                                  (long long)lo, (long long)hi);
        return -1;
    }
    *out = n;
    return 0;
}

static int query_bool(durable__hctx *c, const char *key, bool *out)
{
    const char *v = durable__http_query(c, key);
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *out = v[0] == 't';
        return 0;
    }
    durable__http_reply_error(c, 400, "InvalidParameterValueException",
                              "%s must be true or false.", key);
    return -1;
}

static int query_time(durable__hctx *c, const char *key, int64_t *out)
{
    const char *v = durable__http_query(c, key);
    if (!v)
        return 0;
    if (durable_ts_parse(out, v) < 0) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "%s must be an ISO-8601 timestamp: %s", key, v);
        return -1;
    }
    return 0;
}

void durable__route_checkpoint(durable__hctx *c, const char *arn)
{
    cJSON *json = NULL;
    if (body_json(c, &json) < 0)
        return;
    durable_checkpoint_request req;
    memset(&req, 0, sizeof req);
    int rc = json ? durable_checkpoint_request_from_json(&req, json)
                  : durable__error_set(DURABLE_ETOKEN, "Invalid Checkpoint Token");
    cJSON_Delete(json);
    if (rc == 0 && !(req.durable_execution_arn = durable__strdup(arn)))
        rc = durable__error_oom();
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    if (rc == 0)
        rc = durable_server_checkpoint(&resp, c->srv->engine, &req);
    durable_checkpoint_request_clear(&req);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    cJSON *out = NULL;
    rc = durable_checkpoint_response_to_json(&out, &resp, DURABLE_TS_EPOCH_SECONDS);
    durable_checkpoint_response_clear(&resp);
    durable__http_notify(c->srv);
    if (rc < 0)
        durable__http_reply_engine_error(c, rc);
    else
        durable__http_reply_json(c, 200, out);
}

void durable__route_state(durable__hctx *c, const char *arn)
{
    durable_state_request req;
    memset(&req, 0, sizeof req);
    req.max_items = 0;
    if (query_int(c, "MaxItems", 0, DURABLE_MAX_ITEMS, &req.max_items) < 0)
        return;
    const char *token = durable__http_query(c, "CheckpointToken");
    const char *marker = durable__http_query(c, "Marker");
    if (!token || !*token) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "Invalid Checkpoint Token");
        return;
    }
    req.durable_execution_arn = (char *)arn;
    req.checkpoint_token = (char *)token;
    req.marker = marker && *marker ? (char *)marker : NULL;
    durable_state_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = durable_server_get_state(&resp, c->srv->engine, &req);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    cJSON *out = NULL;
    rc = durable_state_response_to_json(&out, &resp, DURABLE_TS_EPOCH_SECONDS);
    durable_state_response_clear(&resp);
    if (rc < 0)
        durable__http_reply_engine_error(c, rc);
    else
        durable__http_reply_json(c, 200, out);
}

void durable__route_get_execution(durable__hctx *c, const char *arn)
{
    durable_execution_info x;
    memset(&x, 0, sizeof x);
    int rc = durable_server_get_execution(&x, c->srv->engine, arn);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    cJSON *out = NULL;
    rc = durable_execution_info_to_json(&out, &x, DURABLE_TS_EPOCH_SECONDS);
    durable_execution_info_clear(&x);
    if (rc < 0)
        durable__http_reply_engine_error(c, rc);
    else
        durable__http_reply_json(c, 200, out);
}

void durable__route_history(durable__hctx *c, const char *arn)
{
    durable_history_request req;
    memset(&req, 0, sizeof req);
    if (query_bool(c, "IncludeExecutionData", &req.include_execution_data) < 0 ||
        query_bool(c, "ReverseOrder", &req.reverse_order) < 0 ||
        query_int(c, "MaxItems", 0, DURABLE_MAX_ITEMS, &req.max_items) < 0)
        return;
    const char *marker = durable__http_query(c, "Marker");
    req.durable_execution_arn = (char *)arn;
    req.marker = marker && *marker ? (char *)marker : NULL;
    durable_history_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = durable_server_get_history(&resp, c->srv->engine, &req);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    cJSON *out = NULL;
    rc = durable_history_response_to_json(&out, &resp, DURABLE_TS_EPOCH_SECONDS);
    durable_history_response_clear(&resp);
    /* On the wire, Execution* events carry the EXECUTION operation's Id (the
     * ARN's last segment), as the service's do: the JS CloudDurableTestRunner
     * rejects any event but InvocationCompleted that has no Id. */
    const char *exec_id = strrchr(arn, '/');
    cJSON *events = rc == 0 && exec_id ? cJSON_GetObjectItemCaseSensitive(out, "Events") : NULL;
    cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "EventType"));
        if (rc == 0 && type && strncmp(type, "Execution", 9) == 0 &&
            !cJSON_HasObjectItem(ev, "Id") &&
            !cJSON_AddStringToObject(ev, "Id", exec_id + 1))
            rc = durable__error_oom();
    }
    if (rc < 0) {
        cJSON_Delete(out);
        durable__http_reply_engine_error(c, rc);
    } else {
        durable__http_reply_json(c, 200, out);
    }
}

void durable__route_stop(durable__hctx *c, const char *arn)
{
    cJSON *json = NULL;
    if (body_json(c, &json) < 0)
        return;
    durable_stop_request req;
    memset(&req, 0, sizeof req);
    int rc = 0;
    /* The body is the bare ErrorObject (botocore sends the Error member as
     * the payload); {"Error": {...}} is taken too. */
    if (json && !cJSON_GetObjectItemCaseSensitive(json, "Error")) {
        if (!(req.error = durable__calloc(1, sizeof *req.error)))
            rc = durable__error_oom();
        else
            rc = durable_error_object_from_json(req.error, json);
    } else {
        rc = durable_stop_request_from_json(&req, json);
    }
    cJSON_Delete(json);
    if (rc == 0 && !(req.durable_execution_arn = durable__strdup(arn)))
        rc = durable__error_oom();
    durable_stop_response resp = {0};
    if (rc == 0)
        rc = durable_server_stop_execution(&resp, c->srv->engine, &req);
    durable_stop_request_clear(&req);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    durable__http_notify(c->srv);
    durable__http_exec_maybe_closed(c->srv, arn);
    cJSON *out = NULL;
    rc = durable_stop_response_to_json(&out, &resp, DURABLE_TS_EPOCH_SECONDS);
    if (rc < 0)
        durable__http_reply_engine_error(c, rc);
    else
        durable__http_reply_json(c, 200, out);
}

/* A function the server knows: registered here, or with executions in the
 * file (another server or a runner started them). */
static int function_known(durable__hctx *c, const char *name, bool *known)
{
    *known = durable__http_find_fn(c->srv, name) != NULL;
    if (*known)
        return 0;
    durable_list_request req;
    memset(&req, 0, sizeof req);
    req.function_name = (char *)name;
    req.max_items = 1;
    durable_list_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = durable_server_list_executions(&resp, c->srv->engine, &req);
    *known = rc == 0 && resp.count > 0;
    durable_list_response_clear(&resp);
    return rc;
}

void durable__route_list(durable__hctx *c, const char *function)
{
    char *name = NULL, *qual = NULL;
    if (durable__http_function_name(&name, &qual, function) < 0) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "Invalid function name: %s", function);
        return;
    }
    durable_list_request req;
    memset(&req, 0, sizeof req);
    durable_exec_status statuses[8];
    size_t ns = 0;
    bool known = false;
    int rc = function_known(c, name, &known);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        goto out;
    }
    if (!known) {
        char *farn = NULL;
        durable__http_function_arn(&farn, c->srv, name);
        durable__http_reply_error(c, 404, "ResourceNotFoundException", "Function not found: %s",
                                  farn ? farn : name);
        durable_free(farn);
        goto out;
    }
    for (size_t i = 0; i < c->nquery; i++) {
        if (strcmp(c->query[i].key, "Statuses") != 0)
            continue;
        if (ns == sizeof statuses / sizeof statuses[0] ||
            durable_exec_status_parse(&statuses[ns], c->query[i].value) < 0) {
            durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                      "Invalid status: %s", c->query[i].value);
            goto out;
        }
        ns++;
    }
    if (query_time(c, "StartedAfter", &req.started_after) < 0 ||
        query_time(c, "StartedBefore", &req.started_before) < 0 ||
        query_bool(c, "ReverseOrder", &req.reverse_order) < 0 ||
        query_int(c, "MaxItems", 0, DURABLE_MAX_ITEMS, &req.max_items) < 0)
        goto out;
    const char *q = durable__http_query(c, "Qualifier");
    const char *marker = durable__http_query(c, "Marker");
    req.function_name = name;
    req.qualifier = (char *)(q && *q ? q : qual);
    req.durable_execution_name = (char *)durable__http_query(c, "DurableExecutionName");
    req.statuses = ns ? statuses : NULL;
    req.status_count = ns;
    req.marker = marker && *marker ? (char *)marker : NULL;
    durable_list_response resp;
    memset(&resp, 0, sizeof resp);
    rc = durable_server_list_executions(&resp, c->srv->engine, &req);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        goto out;
    }
    cJSON *json = NULL;
    rc = durable_list_response_to_json(&json, &resp, DURABLE_TS_EPOCH_SECONDS);
    durable_list_response_clear(&resp);
    if (rc < 0)
        durable__http_reply_engine_error(c, rc);
    else
        durable__http_reply_json(c, 200, json);
out:
    durable_free(name);
    durable_free(qual);
}

void durable__route_callback(durable__hctx *c, const char *callback_id, const char *verb)
{
    int rc;
    if (strcmp(verb, "succeed") == 0) {
        /* The body is the raw Result, with any Content-Type or none. */
        if (c->body_len > DURABLE_MAX_CALLBACK_RESULT_BYTES) {
            durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                      "Result size must be less than %d bytes.",
                                      DURABLE_MAX_CALLBACK_RESULT_BYTES);
            return;
        }
        if (memchr(c->body, '\0', c->body_len)) {
            durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                      "Result must be UTF-8 text without NUL bytes.");
            return;
        }
        rc = durable_server_callback_success(c->srv->engine, callback_id,
                                             c->body_len ? c->body : NULL, c->body_len);
    } else if (strcmp(verb, "fail") == 0) {
        cJSON *json = NULL;
        if (body_json(c, &json) < 0)
            return;
        durable_callback_request req;
        memset(&req, 0, sizeof req);
        rc = durable_callback_request_from_json(&req, DURABLE_CALLBACK_FAILURE, callback_id, json);
        cJSON_Delete(json);
        if (rc == 0)
            rc = durable_server_callback_failure(c->srv->engine, callback_id, req.error);
        durable_callback_request_clear(&req);
    } else {
        rc = durable_server_callback_heartbeat(c->srv->engine, callback_id);
    }
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    durable__http_notify(c->srv);
    durable__http_reply_json(c, 200, cJSON_CreateObject());
}
