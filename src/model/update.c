/* OperationUpdate (SPEC §2.6): one element of a checkpoint's Updates, with
 * at most one options object. Decoding checks §2.3 limits; the action and
 * type rules of §5 belong to the engine, which has their exact messages. */
#include <string.h>

#include "model/json_out.h"

void durable_operation_update_init(durable_operation_update *u)
{
    memset(u, 0, sizeof *u);
    u->replay_children = DURABLE_ABSENT;
    u->next_attempt_delay_seconds = DURABLE_ABSENT;
    u->wait_seconds = DURABLE_ABSENT;
    u->timeout_seconds = DURABLE_ABSENT;
    u->heartbeat_timeout_seconds = DURABLE_ABSENT;
}

void durable_operation_update_clear(durable_operation_update *u)
{
    if (!u)
        return;
    durable_free(u->id);
    durable_free(u->parent_id);
    durable_free(u->name);
    durable_free(u->subtype);
    durable_free(u->payload);
    durable_error_object_free(u->error);
    durable_free(u->function_name);
    durable_free(u->tenant_id);
    durable_operation_update_init(u);
}

int durable_operation_update_copy(durable_operation_update *out, const durable_operation_update *u)
{
    *out = *u;
    out->id = out->parent_id = out->name = out->subtype = out->payload = NULL;
    out->function_name = out->tenant_id = NULL;
    out->error = NULL;
    if (durable__str_copy(&out->id, u->id) < 0 ||
        durable__str_copy(&out->parent_id, u->parent_id) < 0 ||
        durable__str_copy(&out->name, u->name) < 0 ||
        durable__str_copy(&out->subtype, u->subtype) < 0 ||
        durable__str_copy(&out->payload, u->payload) < 0 ||
        durable__error_copy(&out->error, u->error) < 0 ||
        durable__str_copy(&out->function_name, u->function_name) < 0 ||
        durable__str_copy(&out->tenant_id, u->tenant_id) < 0) {
        durable_operation_update_clear(out);
        return durable__error_oom();
    }
    return 0;
}

bool durable_operation_update_equal(const durable_operation_update *a,
                                    const durable_operation_update *b)
{
    if (!a || !b)
        return a == b;
    return durable__str_eq(a->id, b->id) && durable__str_eq(a->parent_id, b->parent_id) &&
           durable__str_eq(a->name, b->name) && durable__str_eq(a->subtype, b->subtype) &&
           a->type == b->type && a->action == b->action &&
           durable__str_eq(a->payload, b->payload) && durable__error_eq(a->error, b->error) &&
           a->options == b->options && a->replay_children == b->replay_children &&
           a->next_attempt_delay_seconds == b->next_attempt_delay_seconds &&
           a->wait_seconds == b->wait_seconds && a->timeout_seconds == b->timeout_seconds &&
           a->heartbeat_timeout_seconds == b->heartbeat_timeout_seconds &&
           durable__str_eq(a->function_name, b->function_name) &&
           durable__str_eq(a->tenant_id, b->tenant_id);
}

static const char *const options_keys[] = {NULL, "ContextOptions", "StepOptions", "WaitOptions",
                                           "CallbackOptions", "ChainedInvokeOptions"};
#define OPTIONS_KINDS 6

static void put_int_opt(durable__jout *o, const char *key, int64_t v)
{
    if (v != DURABLE_ABSENT)
        durable__jo_int(o, key, v);
}

static void put_options(durable__jout *o, const durable_operation_update *u)
{
    if (u->options <= DURABLE_OPTIONS_NONE || (int)u->options >= OPTIONS_KINDS)
        return;
    durable__jo_open(o, options_keys[u->options], false);
    switch (u->options) {
    case DURABLE_OPTIONS_CONTEXT:
        if (u->replay_children != DURABLE_ABSENT)
            durable__jo_bool(o, "ReplayChildren", u->replay_children != 0);
        break;
    case DURABLE_OPTIONS_STEP:
        put_int_opt(o, "NextAttemptDelaySeconds", u->next_attempt_delay_seconds);
        break;
    case DURABLE_OPTIONS_WAIT:
        put_int_opt(o, "WaitSeconds", u->wait_seconds);
        break;
    case DURABLE_OPTIONS_CALLBACK:
        put_int_opt(o, "TimeoutSeconds", u->timeout_seconds);
        put_int_opt(o, "HeartbeatTimeoutSeconds", u->heartbeat_timeout_seconds);
        break;
    case DURABLE_OPTIONS_CHAINED_INVOKE:
        durable__jo_str(o, "FunctionName", u->function_name);
        durable__jo_str(o, "TenantId", u->tenant_id);
        break;
    default:
        break;
    }
    durable__jo_close(o);
}

/* The one encoder of an OperationUpdate, for both outputs (json_out.h). */
static void put_update(durable__jout *o, const durable_operation_update *u)
{
    durable__jo_open(o, NULL, false);
    durable__jo_str(o, "Id", u->id);
    durable__jo_str(o, "ParentId", u->parent_id);
    durable__jo_str(o, "Name", u->name);
    durable__jo_str(o, "SubType", u->subtype);
    if (u->type != DURABLE_OP_TYPE_NONE)
        durable__jo_str(o, "Type", durable_op_type_name(u->type));
    if (u->action != DURABLE_ACTION_NONE)
        durable__jo_str(o, "Action", durable_op_action_name(u->action));
    durable__jo_str(o, "Payload", u->payload);
    if (u->error)
        durable__put_error(o, "Error", u->error);
    put_options(o, u);
    durable__jo_close(o);
}

int durable_operation_update_to_json(cJSON **out, const durable_operation_update *u)
{
    durable__jout o;
    durable__jo_tree(&o, NULL);
    put_update(&o, u);
    return durable__jo_root(out, &o);
}

int durable__update_json_size(size_t *out, const durable_operation_update *u)
{
    durable__jout o;
    durable__jo_count(&o);
    put_update(&o, u);
    *out = o.rc == 0 ? o.count : 0;
    return o.rc;
}

static int decode_options(durable_operation_update *out, const cJSON *json, const char *path)
{
    int found = 0;
    int rc;
    for (int k = 1; k < OPTIONS_KINDS; k++) {
        if (!durable__jget(json, options_keys[k]))
            continue;
        if (found)
            return durable__jerr(DURABLE_EINVAL, path, options_keys[k],
                                 "at most one options object is allowed (%s is also present)",
                                 options_keys[found]);
        found = k;
    }
    if (!found)
        return 0;
    const cJSON *o = NULL;
    char op[DJ_PATH_MAX];
    if ((rc = durable__jget_obj(&o, json, options_keys[found], path, true)) < 0)
        return rc;
    durable__jpath(op, path, options_keys[found]);
    out->options = (durable_update_options_kind)found;
    switch (out->options) {
    case DURABLE_OPTIONS_CONTEXT:
        if (durable__jget(o, "ReplayChildren")) {
            bool b = false;
            if ((rc = durable__jget_bool(&b, o, "ReplayChildren", op, false)) < 0)
                return rc;
            out->replay_children = b ? 1 : 0;
        }
        return 0;
    case DURABLE_OPTIONS_STEP:
        return durable__jget_int(&out->next_attempt_delay_seconds, o, "NextAttemptDelaySeconds",
                                 op, false, 1, DURABLE_MAX_WAIT_SECONDS);
    case DURABLE_OPTIONS_WAIT:
        return durable__jget_int(&out->wait_seconds, o, "WaitSeconds", op, false, 1,
                                 DURABLE_MAX_WAIT_SECONDS);
    case DURABLE_OPTIONS_CALLBACK:
        if ((rc = durable__jget_int(&out->timeout_seconds, o, "TimeoutSeconds", op, false, 0,
                                    INT64_MAX)) < 0)
            return rc;
        return durable__jget_int(&out->heartbeat_timeout_seconds, o, "HeartbeatTimeoutSeconds", op,
                                 false, 0, INT64_MAX);
    case DURABLE_OPTIONS_CHAINED_INVOKE:
        if ((rc = durable__jget_str(&out->function_name, o, "FunctionName", op, false,
                                    &DJ_FUNCTION)) < 0)
            return rc;
        return durable__jget_str(&out->tenant_id, o, "TenantId", op, false, &DJ_TEXT);
    default:
        return 0;
    }
}

int durable__update_decode(durable_operation_update *out, const cJSON *json, const char *path)
{
    int rc;
    int action = 0;
    durable_operation_update_init(out);
    DJ_TRY(durable__jrequire_obj(json, path));
    DJ_TRY(durable__jget_op_identity(&out->id, &out->parent_id, &out->name, &out->subtype,
                                     &out->type, json, path));
    DJ_TRY(durable__jget_enum(&action, json, "Action", path, true, durable__op_action_names,
                              DJ_OP_ACTION_COUNT, "OperationAction"));
    out->action = (durable_op_action)action;
    DJ_TRY(durable__jget_str(&out->payload, json, "Payload", path, false, &DJ_PAYLOAD));
    DJ_TRY(durable__jget_error(&out->error, json, "Error", path, false));
    if (out->error && durable_error_object_json_size(out->error) > DURABLE_MAX_ERROR_BYTES) {
        rc = durable__jerr(DURABLE_EINVAL, path, "Error",
                           "Error object size must be less than 32768 bytes.");
        goto fail;
    }
    DJ_TRY(decode_options(out, json, path));
    return 0;
fail:
    durable_operation_update_clear(out);
    return rc;
}

int durable_operation_update_from_json(durable_operation_update *out, const cJSON *json)
{
    return durable__update_decode(out, json, "");
}
