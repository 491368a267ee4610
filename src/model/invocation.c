/* Invocation input and output (SPEC §2.7). The engine writes the input with
 * epoch-millisecond timestamps; the SDK reads any timestamp form. */
#include <string.h>

#include "model/json_util.h"

void durable_invocation_input_clear(durable_invocation_input *in)
{
    if (!in)
        return;
    durable_free(in->durable_execution_arn);
    durable_free(in->checkpoint_token);
    durable_operation_list_clear(&in->operations);
    durable_free(in->next_marker);
    durable__str_array_free(in->updated_operation_ids, in->updated_operation_id_count);
    memset(in, 0, sizeof *in);
}

int durable_invocation_input_to_json(cJSON **out, const durable_invocation_input *in)
{
    int rc = 0;
    cJSON *state = NULL;
    cJSON *j = cJSON_CreateObject();
    *out = NULL;
    if (!j)
        return durable__error_oom();
    DJ_TRY(durable__jadd_str(j, "DurableExecutionArn", in->durable_execution_arn));
    DJ_TRY(durable__jadd_str(j, "CheckpointToken", in->checkpoint_token));
    DJ_TRY(durable__jadd_obj(&state, j, "InitialExecutionState"));
    DJ_TRY(durable__jadd_operations(state, "Operations", &in->operations, DURABLE_TS_EPOCH_MS));
    /* §2.7: "" when all state fits in this page. */
    DJ_TRY(durable__jadd_str(state, "NextMarker", in->next_marker ? in->next_marker : ""));
    if (in->updated_operation_ids)
        DJ_TRY(durable__jadd_str_array(j, "UpdatedOperationIds", in->updated_operation_ids,
                                       in->updated_operation_id_count));
    *out = j;
    return 0;
fail:
    cJSON_Delete(j);
    return rc;
}

/* "" and absent both mean "no more pages"; keep NULL for both. */
static void empty_marker_is_end(char **marker)
{
    if (*marker && !**marker) {
        durable_free(*marker);
        *marker = NULL;
    }
}

int durable_invocation_input_from_json(durable_invocation_input *out, const cJSON *json)
{
    int rc;
    const cJSON *state = NULL;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_str(&out->durable_execution_arn, json, "DurableExecutionArn", "", true,
                             &DJ_TEXT));
    DJ_TRY(durable__jget_str(&out->checkpoint_token, json, "CheckpointToken", "", true, &DJ_TOKEN));
    DJ_TRY(durable__jget_obj(&state, json, "InitialExecutionState", "", true));
    DJ_TRY(durable__jget_operations(&out->operations, state, "Operations",
                                    "InitialExecutionState", false));
    if (out->operations.count && out->operations.items[0].type != DURABLE_OP_EXECUTION) {
        rc = durable__jerr(DURABLE_EINVAL, "InitialExecutionState.Operations[0]", "Type",
                           "the first operation must be the EXECUTION operation");
        goto fail;
    }
    DJ_TRY(durable__jget_str(&out->next_marker, state, "NextMarker", "InitialExecutionState", false,
                             &DJ_TEXT));
    empty_marker_is_end(&out->next_marker);
    DJ_TRY(durable__jget_str_array(&out->updated_operation_ids, &out->updated_operation_id_count,
                                   json, "UpdatedOperationIds", "", false, &DJ_ID));
    return 0;
fail:
    durable_invocation_input_clear(out);
    return rc;
}

void durable_invocation_output_clear(durable_invocation_output *o)
{
    if (!o)
        return;
    durable_free(o->result);
    durable_error_object_free(o->error);
    memset(o, 0, sizeof *o);
}

int durable_invocation_output_to_json(cJSON **out, const durable_invocation_output *o)
{
    int rc = 0;
    cJSON *j = cJSON_CreateObject();
    *out = NULL;
    if (!j)
        return durable__error_oom();
    if (o->status <= DURABLE_INVOCATION_STATUS_NONE || o->status > DURABLE_INVOCATION_PENDING) {
        rc = durable__error_set(DURABLE_EINVAL, "Status: unknown invocation status %d",
                                (int)o->status);
        goto fail;
    }
    DJ_TRY(durable__jadd_str(j, "Status", durable_invocation_status_name(o->status)));
    DJ_TRY(durable__jadd_str(j, "Result", o->result));
    if (o->error)
        DJ_TRY(durable__jadd_error(j, "Error", o->error));
    *out = j;
    return 0;
fail:
    cJSON_Delete(j);
    return rc;
}

/* Combinations such as SUCCEEDED with Error decode as written: judging an
 * output is the engine's job (§8.3), and it needs to see what was sent. */
int durable_invocation_output_from_json(durable_invocation_output *out, const cJSON *json)
{
    int rc;
    int status = 0;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, ""));
    DJ_TRY(durable__jget_enum(&status, json, "Status", "", true, durable__invocation_status_names,
                              DJ_INVOCATION_STATUS_COUNT, "invocation Status"));
    out->status = (durable_invocation_status)status;
    DJ_TRY(durable__jget_str(&out->result, json, "Result", "", false, &DJ_PAYLOAD));
    DJ_TRY(durable__jget_error(&out->error, json, "Error", "", false));
    return 0;
fail:
    durable_invocation_output_clear(out);
    return rc;
}
