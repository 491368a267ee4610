/* Request/response shapes of CheckpointDurableExecution,
 * GetDurableExecutionState, the callback APIs and StopDurableExecution
 * (SPEC §2.8). Path parameters (ARN, CallbackId) are not part of the JSON;
 * callers fill them from the route. */
#include <string.h>

#include "model/json_body.h"
#include "model/json_out.h"

/* §3.2: a token that cannot be valid gets exactly this message, whatever
 * was wrong with it, because SDKs match on it. */
static int get_token(char **out, const cJSON *json)
{
    const cJSON *v = durable__jget(json, "CheckpointToken");
    if (!v)
        return 0; /* absent: the engine answers "Invalid Checkpoint Token" itself */
    if (!cJSON_IsString(v) || !v->valuestring || durable__jcheck_text(v->valuestring, &DJ_TOKEN,
                                                                      "", "CheckpointToken") < 0)
        return durable__error_set(DURABLE_ETOKEN, "Invalid Checkpoint Token");
    return durable__jget_str(out, json, "CheckpointToken", "", false, &DJ_TOKEN);
}

/* ---- CheckpointDurableExecution --------------------------------------------- */

void durable_checkpoint_request_clear(durable_checkpoint_request *r)
{
    if (!r)
        return;
    durable_free(r->durable_execution_arn);
    durable_free(r->checkpoint_token);
    for (size_t i = 0; i < r->update_count; i++)
        durable_operation_update_clear(&r->updates[i]);
    durable_free(r->updates);
    durable_free(r->client_token);
    memset(r, 0, sizeof *r);
}

static int encode_update(cJSON **out, const void *u, durable_ts_format fmt)
{
    (void)fmt;
    return durable_operation_update_to_json(out, u);
}

static int decode_update(void *u, const cJSON *json, const char *path)
{
    return durable__update_decode(u, json, path);
}

static int put_checkpoint_request(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_checkpoint_request *r = v;
    (void)fmt;
    int rc = 0;
    DJ_TRY(durable__jadd_str(j, "CheckpointToken", r->checkpoint_token));
    DJ_TRY(durable__jadd_array(j, "Updates", r->updates, r->update_count, sizeof *r->updates,
                               encode_update, DURABLE_TS_EPOCH_MS));
    DJ_TRY(durable__jadd_str(j, "ClientToken", r->client_token));
fail:
    return rc;
}

int durable_checkpoint_request_to_json(cJSON **out, const durable_checkpoint_request *r)
{
    return durable__jencode(out, put_checkpoint_request, r, DURABLE_TS_EPOCH_MS);
}

int durable_checkpoint_request_from_json(durable_checkpoint_request *out, const cJSON *json)
{
    int rc;
    void *updates = NULL;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(get_token(&out->checkpoint_token, json));
    DJ_TRY(durable__jget_str(&out->client_token, json, "ClientToken", "", false, &DJ_CLIENT_TOKEN));
    rc = durable__jget_array(&updates, &out->update_count, sizeof *out->updates, json, "Updates",
                             "", false, decode_update);
    out->updates = updates;
    if (rc < 0)
        goto fail;
    return 0;
fail:
    durable_checkpoint_request_clear(out);
    return rc;
}

void durable_checkpoint_response_clear(durable_checkpoint_response *r)
{
    if (!r)
        return;
    durable_free(r->checkpoint_token);
    durable_operation_list_clear(&r->operations);
    durable_free(r->next_marker);
    memset(r, 0, sizeof *r);
}

static void put_checkpoint_response(durable__jout *o, const durable_checkpoint_response *r,
                                    durable_ts_format fmt)
{
    durable__jo_open(o, NULL, false);
    durable__jo_str(o, "CheckpointToken", r->checkpoint_token);
    durable__jo_open(o, "NewExecutionState", false);
    durable__put_operations(o, "Operations", &r->operations, fmt);
    durable__jo_str(o, "NextMarker", r->next_marker);
    durable__jo_close(o);
    durable__jo_close(o);
}

int durable_checkpoint_response_to_json(cJSON **out, const durable_checkpoint_response *r,
                                        durable_ts_format fmt)
{
    durable__jout o;
    durable__jo_tree(&o, NULL);
    put_checkpoint_response(&o, r, fmt);
    return durable__jo_root(out, &o);
}

int durable__checkpoint_response_text(char **out, const durable_checkpoint_response *r,
                                      durable_ts_format fmt)
{
    durable__strbuf b = {0};
    durable__jout o;
    durable__jo_text(&o, &b);
    put_checkpoint_response(&o, r, fmt);
    return durable__jo_take(out, &o, &b);
}

int durable_checkpoint_response_from_json(durable_checkpoint_response *out, const cJSON *json)
{
    int rc;
    const cJSON *state = NULL;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_str(&out->checkpoint_token, json, "CheckpointToken", "", false, &DJ_TOKEN));
    DJ_TRY(durable__jget_obj(&state, json, "NewExecutionState", "", false));
    if (state) {
        DJ_TRY(durable__jget_operations(&out->operations, state, "Operations", "NewExecutionState",
                                        false));
        DJ_TRY(durable__jget_str(&out->next_marker, state, "NextMarker", "NewExecutionState", false,
                                 &DJ_TEXT));
        durable__jmarker_end(&out->next_marker);
    }
    return 0;
fail:
    durable_checkpoint_response_clear(out);
    return rc;
}

/* ---- GetDurableExecutionState ---------------------------------------------- */

void durable_state_request_clear(durable_state_request *r)
{
    if (!r)
        return;
    durable_free(r->durable_execution_arn);
    durable_free(r->checkpoint_token);
    durable_free(r->marker);
    memset(r, 0, sizeof *r);
}

static int put_state_request(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_state_request *r = v;
    (void)fmt;
    int rc = 0;
    DJ_TRY(durable__jadd_str(j, "CheckpointToken", r->checkpoint_token));
    DJ_TRY(durable__jadd_str(j, "Marker", r->marker));
    if (r->max_items != DURABLE_ABSENT)
        DJ_TRY(durable__jadd_int(j, "MaxItems", r->max_items));
fail:
    return rc;
}

int durable_state_request_to_json(cJSON **out, const durable_state_request *r)
{
    return durable__jencode(out, put_state_request, r, DURABLE_TS_EPOCH_MS);
}

int durable_state_request_from_json(durable_state_request *out, const cJSON *json)
{
    int rc;
    memset(out, 0, sizeof *out);
    out->max_items = DURABLE_ABSENT;
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(get_token(&out->checkpoint_token, json));
    DJ_TRY(durable__jget_str(&out->marker, json, "Marker", "", false, &DJ_TEXT));
    DJ_TRY(durable__jget_int(&out->max_items, json, "MaxItems", "", false, 0, DURABLE_MAX_ITEMS));
    return 0;
fail:
    durable_state_request_clear(out);
    return rc;
}

void durable_state_response_clear(durable_state_response *r)
{
    if (!r)
        return;
    durable_operation_list_clear(&r->operations);
    durable_free(r->next_marker);
    memset(r, 0, sizeof *r);
}

static int put_state_response(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_state_response *r = v;
    int rc = 0;
    DJ_TRY(durable__jadd_operations(j, "Operations", &r->operations, fmt));
    DJ_TRY(durable__jadd_str(j, "NextMarker", r->next_marker));
fail:
    return rc;
}

int durable_state_response_to_json(cJSON **out, const durable_state_response *r,
                                   durable_ts_format fmt)
{
    return durable__jencode(out, put_state_response, r, fmt);
}

int durable_state_response_from_json(durable_state_response *out, const cJSON *json)
{
    int rc;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_operations(&out->operations, json, "Operations", "", true));
    DJ_TRY(durable__jget_str(&out->next_marker, json, "NextMarker", "", false, &DJ_TEXT));
    durable__jmarker_end(&out->next_marker);
    return 0;
fail:
    durable_state_response_clear(out);
    return rc;
}

/* ---- callbacks ---------------------------------------------------------------- */

void durable_callback_request_clear(durable_callback_request *r)
{
    if (!r)
        return;
    durable_free(r->callback_id);
    durable_free(r->result);
    durable_error_object_free(r->error);
    memset(r, 0, sizeof *r);
}

/* The success body is raw bytes, not JSON: it travels as a cJSON raw item,
 * which cJSON prints verbatim. */
int durable_callback_request_to_json(cJSON **out, const durable_callback_request *r)
{
    *out = NULL;
    switch (r->kind) {
    case DURABLE_CALLBACK_SUCCESS: {
        char *body = durable__strndup(r->result ? r->result : "", r->result ? r->result_len : 0);
        if (!body)
            return durable__error_oom();
        *out = cJSON_CreateRaw(body);
        durable_free(body);
        return *out ? 0 : durable__error_oom();
    }
    case DURABLE_CALLBACK_FAILURE:
        return durable_error_object_to_json(out, r->error);
    case DURABLE_CALLBACK_HEARTBEAT:
        return 0;
    default:
        return durable__error_set(DURABLE_EINVAL, "callback request: unknown kind %d",
                                  (int)r->kind);
    }
}

static int success_body(durable_callback_request *out, const cJSON *json)
{
    if (!json)
        return 0; /* empty body: no Result */
    char *text = cJSON_IsRaw(json) ? durable__strdup(json->valuestring ? json->valuestring : "")
                                   : durable_json_print(json);
    if (!text)
        return durable__error_oom();
    size_t n = strlen(text);
    size_t bad = durable__utf8_invalid_at(text, n);
    int rc = 0;
    if (bad != n)
        rc = durable__error_set(DURABLE_EINVAL, "Result: invalid UTF-8 at byte %zu", bad);
    else if (n > DURABLE_MAX_CALLBACK_RESULT_BYTES)
        rc = durable__error_set(DURABLE_EINVAL, "Result: %zu bytes, limit is %d bytes", n,
                                DURABLE_MAX_CALLBACK_RESULT_BYTES);
    if (rc < 0 || n == 0) {
        durable_free(text);
        return rc;
    }
    out->result = text;
    out->result_len = n;
    return 0;
}

int durable_callback_request_from_json(durable_callback_request *out, durable_callback_kind kind,
                                       const char *callback_id, const cJSON *json)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (kind < DURABLE_CALLBACK_SUCCESS || kind > DURABLE_CALLBACK_HEARTBEAT)
        return durable__error_set(DURABLE_EINVAL, "callback request: unknown kind %d", (int)kind);
    out->kind = kind;
    /* §3.2: an id that cannot be one of ours is "not found", not "bad request". */
    if (!callback_id || durable__jcheck_text(callback_id, &DJ_CALLBACK_ID, "", "CallbackId") < 0)
        return durable__error_set(DURABLE_ENOTFOUND, "Callback not found.");
    if (!(out->callback_id = durable__strdup(callback_id)))
        return durable__error_oom();
    if (kind == DURABLE_CALLBACK_SUCCESS) {
        rc = success_body(out, json);
    } else if (kind == DURABLE_CALLBACK_FAILURE && json) {
        /* A raw (unparsed) body: empty means {}, anything else must be JSON. */
        cJSON *parsed = NULL;
        const cJSON *body = json;
        if (cJSON_IsRaw(json)) {
            const char *t = json->valuestring ? json->valuestring : "";
            body = NULL;
            if (*t && (rc = durable_json_parse(&parsed, t, strlen(t))) == 0)
                body = parsed;
        }
        if (rc == 0 && body) {
            out->error = durable__calloc(1, sizeof *out->error);
            rc = out->error ? durable__error_object_decode(out->error, body, "")
                            : durable__error_oom();
            if (rc < 0) {
                durable_free(out->error);
                out->error = NULL;
            }
        }
        cJSON_Delete(parsed);
        if (rc == 0 && out->error &&
            durable_error_object_json_size(out->error) > DURABLE_MAX_ERROR_BYTES)
            rc = durable__error_set(DURABLE_EINVAL,
                                    "Error object size must be less than 32768 bytes.");
    }
    if (rc < 0)
        durable_callback_request_clear(out);
    return rc;
}

/* ---- StopDurableExecution ------------------------------------------------------ */

void durable_stop_request_clear(durable_stop_request *r)
{
    if (!r)
        return;
    durable_free(r->durable_execution_arn);
    durable_error_object_free(r->error);
    memset(r, 0, sizeof *r);
}

static int put_stop_request(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_stop_request *r = v;
    (void)fmt;
    int rc = 0;
    if (r->error)
        DJ_TRY(durable__jadd_error(j, "Error", r->error));
fail:
    return rc;
}

int durable_stop_request_to_json(cJSON **out, const durable_stop_request *r)
{
    return durable__jencode(out, put_stop_request, r, DURABLE_TS_EPOCH_MS);
}

int durable_stop_request_from_json(durable_stop_request *out, const cJSON *json)
{
    int rc;
    memset(out, 0, sizeof *out);
    if (!json)
        return 0; /* empty body */
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_error(&out->error, json, "Error", "", false));
    if (out->error && durable_error_object_json_size(out->error) > DURABLE_MAX_ERROR_BYTES) {
        rc = durable__jerr(DURABLE_EINVAL, "", "Error",
                           "Error object size must be less than 32768 bytes.");
        goto fail;
    }
    return 0;
fail:
    durable_stop_request_clear(out);
    return rc;
}

static int put_stop_response(cJSON *j, const void *v, durable_ts_format fmt)
{
    const durable_stop_response *r = v;
    int rc = 0;
    DJ_TRY(durable__jadd_ts(j, "StopTimestamp", r->stop_timestamp, fmt));
fail:
    return rc;
}

int durable_stop_response_to_json(cJSON **out, const durable_stop_response *r,
                                  durable_ts_format fmt)
{
    return durable__jencode(out, put_stop_response, r, fmt);
}

int durable_stop_response_from_json(durable_stop_response *out, const cJSON *json)
{
    int rc;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_ts(&out->stop_timestamp, json, "StopTimestamp", "", true));
    return 0;
fail:
    memset(out, 0, sizeof *out);
    return rc;
}
