/* Operation (SPEC §2.5) and the operation list. The details object that
 * matches Type is always encoded, even when empty; only its own fields are
 * encoded and decoded. */
#include <string.h>

#include "model/json_out.h"

void durable_operation_init(durable_operation *op)
{
    memset(op, 0, sizeof *op);
    op->replay_children = DURABLE_ABSENT;
    op->attempt = DURABLE_ABSENT;
}

void durable_operation_clear(durable_operation *op)
{
    if (!op)
        return;
    durable_free(op->id);
    durable_free(op->parent_id);
    durable_free(op->name);
    durable_free(op->subtype);
    durable_free(op->input_payload);
    durable_free(op->callback_id);
    durable_free(op->result);
    durable_error_object_free(op->error);
    durable_operation_init(op);
}

int durable_operation_copy(durable_operation *out, const durable_operation *op)
{
    *out = *op;
    out->id = out->parent_id = out->name = out->subtype = NULL;
    out->input_payload = out->callback_id = out->result = NULL;
    out->error = NULL;
    if (durable__str_copy(&out->id, op->id) < 0 ||
        durable__str_copy(&out->parent_id, op->parent_id) < 0 ||
        durable__str_copy(&out->name, op->name) < 0 ||
        durable__str_copy(&out->subtype, op->subtype) < 0 ||
        durable__str_copy(&out->input_payload, op->input_payload) < 0 ||
        durable__str_copy(&out->callback_id, op->callback_id) < 0 ||
        durable__str_copy(&out->result, op->result) < 0 ||
        durable__error_copy(&out->error, op->error) < 0) {
        durable_operation_clear(out);
        return durable__error_oom();
    }
    return 0;
}

bool durable_operation_equal(const durable_operation *a, const durable_operation *b)
{
    if (!a || !b)
        return a == b;
    return durable__str_eq(a->id, b->id) && durable__str_eq(a->parent_id, b->parent_id) &&
           durable__str_eq(a->name, b->name) && durable__str_eq(a->subtype, b->subtype) &&
           a->type == b->type && a->status == b->status &&
           a->start_timestamp == b->start_timestamp && a->end_timestamp == b->end_timestamp &&
           durable__str_eq(a->input_payload, b->input_payload) &&
           a->replay_children == b->replay_children && a->attempt == b->attempt &&
           a->next_attempt_timestamp == b->next_attempt_timestamp &&
           a->scheduled_end_timestamp == b->scheduled_end_timestamp &&
           durable__str_eq(a->callback_id, b->callback_id) &&
           durable__str_eq(a->result, b->result) && durable__error_eq(a->error, b->error);
}

static const char *details_key(durable_op_type t)
{
    switch (t) {
    case DURABLE_OP_EXECUTION: return "ExecutionDetails";
    case DURABLE_OP_CONTEXT: return "ContextDetails";
    case DURABLE_OP_STEP: return "StepDetails";
    case DURABLE_OP_WAIT: return "WaitDetails";
    case DURABLE_OP_CALLBACK: return "CallbackDetails";
    case DURABLE_OP_CHAINED_INVOKE: return "ChainedInvokeDetails";
    default: return NULL;
    }
}

static void put_result_error(durable__jout *o, const durable_operation *op)
{
    durable__jo_str(o, "Result", op->result);
    if (op->error)
        durable__put_error(o, "Error", op->error);
}

void durable__put_operation(durable__jout *o, const char *key, const durable_operation *op,
                            durable_ts_format fmt)
{
    const char *dkey = details_key(op->type);
    if (!dkey) {
        durable__jo_fail(o, durable__error_set(DURABLE_EINVAL,
                                               "Operation.Type: unknown operation type %d",
                                               (int)op->type));
        return;
    }
    if (op->status == DURABLE_OP_STATUS_NONE) {
        durable__jo_fail(o, durable__error_set(DURABLE_EINVAL, "Operation.Status: missing"));
        return;
    }
    durable__jo_open(o, key, false);
    durable__jo_str(o, "Id", op->id);
    durable__jo_str(o, "ParentId", op->parent_id);
    durable__jo_str(o, "Name", op->name);
    durable__jo_str(o, "SubType", op->subtype);
    durable__jo_str(o, "Type", durable_op_type_name(op->type));
    durable__jo_str(o, "Status", durable_op_status_name(op->status));
    durable__jo_ts(o, "StartTimestamp", op->start_timestamp, fmt);
    if (op->end_timestamp)
        durable__jo_ts(o, "EndTimestamp", op->end_timestamp, fmt);
    durable__jo_open(o, dkey, false);
    switch (op->type) {
    case DURABLE_OP_EXECUTION:
        durable__jo_str(o, "InputPayload", op->input_payload);
        break;
    case DURABLE_OP_CONTEXT:
        if (op->replay_children != DURABLE_ABSENT)
            durable__jo_bool(o, "ReplayChildren", op->replay_children != 0);
        put_result_error(o, op);
        break;
    case DURABLE_OP_STEP:
        if (op->attempt != DURABLE_ABSENT)
            durable__jo_int(o, "Attempt", op->attempt);
        if (op->next_attempt_timestamp)
            durable__jo_ts(o, "NextAttemptTimestamp", op->next_attempt_timestamp, fmt);
        put_result_error(o, op);
        break;
    case DURABLE_OP_WAIT:
        if (op->scheduled_end_timestamp)
            durable__jo_ts(o, "ScheduledEndTimestamp", op->scheduled_end_timestamp, fmt);
        break;
    case DURABLE_OP_CALLBACK:
        durable__jo_str(o, "CallbackId", op->callback_id);
        put_result_error(o, op);
        break;
    case DURABLE_OP_CHAINED_INVOKE:
        put_result_error(o, op);
        break;
    default:
        break;
    }
    durable__jo_close(o);
    durable__jo_close(o);
}

int durable_operation_to_json(cJSON **out, const durable_operation *op, durable_ts_format fmt)
{
    durable__jout o;
    durable__jo_tree(&o, NULL);
    durable__put_operation(&o, NULL, op, fmt);
    return durable__jo_root(out, &o);
}

static int decode_result_error(durable_operation *out, const cJSON *d, const char *path)
{
    int rc = durable__jget_str(&out->result, d, "Result", path, false, &DJ_PAYLOAD);
    if (rc == 0)
        rc = durable__jget_error(&out->error, d, "Error", path, false);
    return rc;
}

static int decode_details(durable_operation *out, const cJSON *json, const char *path)
{
    const char *key = details_key(out->type);
    const cJSON *d = NULL;
    char dpath[DJ_PATH_MAX];
    int rc = durable__jget_obj(&d, json, key, path, false);
    if (rc < 0 || !d)
        return rc;
    durable__jpath(dpath, path, key);
    switch (out->type) {
    case DURABLE_OP_EXECUTION:
        return durable__jget_str(&out->input_payload, d, "InputPayload", dpath, false,
                                 &DJ_PAYLOAD);
    case DURABLE_OP_CONTEXT: {
        const cJSON *rcv = durable__jget(d, "ReplayChildren");
        bool b = false;
        if (rcv) {
            if ((rc = durable__jget_bool(&b, d, "ReplayChildren", dpath, false)) < 0)
                return rc;
            out->replay_children = b ? 1 : 0;
        }
        return decode_result_error(out, d, dpath);
    }
    case DURABLE_OP_STEP:
        if ((rc = durable__jget_int(&out->attempt, d, "Attempt", dpath, false, 0, INT64_MAX)) < 0 ||
            (rc = durable__jget_ts(&out->next_attempt_timestamp, d, "NextAttemptTimestamp", dpath,
                                   false)) < 0)
            return rc;
        return decode_result_error(out, d, dpath);
    case DURABLE_OP_WAIT:
        return durable__jget_ts(&out->scheduled_end_timestamp, d, "ScheduledEndTimestamp", dpath,
                                false);
    case DURABLE_OP_CALLBACK:
        if ((rc = durable__jget_str(&out->callback_id, d, "CallbackId", dpath, false,
                                    &DJ_CALLBACK_ID)) < 0)
            return rc;
        return decode_result_error(out, d, dpath);
    case DURABLE_OP_CHAINED_INVOKE:
        return decode_result_error(out, d, dpath);
    default:
        return 0;
    }
}

int durable__jget_op_identity(char **id, char **parent_id, char **name, char **subtype,
                              durable_op_type *type, const cJSON *json, const char *path)
{
    int rc, t = 0;
    if ((rc = durable__jget_str(id, json, "Id", path, true, &DJ_ID)) < 0 ||
        (rc = durable__jget_str(parent_id, json, "ParentId", path, false, &DJ_ID)) < 0 ||
        (rc = durable__jget_str(name, json, "Name", path, false, &DJ_NAME)) < 0 ||
        (rc = durable__jget_str(subtype, json, "SubType", path, false, &DJ_SUBTYPE)) < 0 ||
        (rc = durable__jget_enum(&t, json, "Type", path, true, durable__op_type_names,
                                 DJ_OP_TYPE_COUNT, "OperationType")) < 0)
        return rc;
    *type = (durable_op_type)t;
    return 0;
}

int durable__operation_decode(durable_operation *out, const cJSON *json, const char *path)
{
    int rc;
    int status = 0;
    durable_operation_init(out);
    DJ_TRY(durable__jrequire_obj(json, path));
    DJ_TRY(durable__jget_op_identity(&out->id, &out->parent_id, &out->name, &out->subtype,
                                     &out->type, json, path));
    DJ_TRY(durable__jget_enum(&status, json, "Status", path, true, durable__op_status_names,
                              DJ_OP_STATUS_COUNT, "OperationStatus"));
    out->status = (durable_op_status)status;
    DJ_TRY(durable__jget_ts(&out->start_timestamp, json, "StartTimestamp", path, true));
    DJ_TRY(durable__jget_ts(&out->end_timestamp, json, "EndTimestamp", path, false));
    DJ_TRY(decode_details(out, json, path));
    return 0;
fail:
    durable_operation_clear(out);
    return rc;
}

int durable_operation_from_json(durable_operation *out, const cJSON *json)
{
    return durable__operation_decode(out, json, "");
}

/* ---- list ------------------------------------------------------------------ */

void durable_operation_list_clear(durable_operation_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        durable_operation_clear(&l->items[i]);
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

static int reserve(durable_operation_list *l)
{
    if (l->count < l->capacity)
        return 0;
    size_t cap = l->capacity ? l->capacity * 2 : 8;
    if (cap > SIZE_MAX / sizeof *l->items)
        return durable__error_oom();
    durable_operation *p = durable__realloc(l->items, cap * sizeof *p);
    if (!p)
        return durable__error_oom();
    l->items = p;
    l->capacity = cap;
    return 0;
}

int durable_operation_list_append(durable_operation_list *l, const durable_operation *op)
{
    int rc = reserve(l);
    if (rc < 0)
        return rc;
    if ((rc = durable_operation_copy(&l->items[l->count], op)) < 0)
        return rc;
    l->count++;
    return 0;
}

int durable_operation_list_take(durable_operation_list *l, durable_operation *op)
{
    int rc = reserve(l);
    if (rc < 0)
        return rc;
    l->items[l->count++] = *op;
    durable_operation_init(op);
    return 0;
}

int durable__jget_operations(durable_operation_list *l, const cJSON *obj, const char *key,
                             const char *parent, bool required)
{
    const cJSON *arr = NULL;
    char path[DJ_PATH_MAX];
    int rc = durable__jget_arr(&arr, obj, key, parent, required);
    if (rc < 0 || !arr)
        return rc;
    durable__jpath(path, parent, key);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        char ipath[DJ_PATH_MAX];
        durable_operation op;
        durable__jpath_idx(ipath, path, i++);
        if ((rc = durable__operation_decode(&op, item, ipath)) < 0)
            return rc;
        if ((rc = durable_operation_list_take(l, &op)) < 0) {
            durable_operation_clear(&op);
            return rc;
        }
    }
    return 0;
}

void durable__put_operations(durable__jout *o, const char *key, const durable_operation_list *l,
                             durable_ts_format fmt)
{
    durable__jo_open(o, key, true);
    for (size_t i = 0; l && i < l->count && o->rc == 0; i++) {
        durable__put_operation(o, NULL, &l->items[i], fmt);
        if (o->rc < 0)
            durable__error_prefix("%s[%zu]", key, i);
    }
    durable__jo_close(o);
}

int durable__jadd_operations(cJSON *obj, const char *key, const durable_operation_list *l,
                             durable_ts_format fmt)
{
    durable__jout o;
    durable__jo_tree(&o, obj);
    durable__put_operations(&o, key, l, fmt);
    return o.rc;
}
