/* invoke (SPEC §10.8): start a chained invocation of another function with
 * a synchronous START, suspend until the target ends, then return its
 * result or an InvokeError. */
#include "sdk/context_internal.h"

static int finished(durable_ctx *ctx, const cJSON **out, const durable_operation *op,
                    const durable_serdes *result_serdes)
{
    if (op->status == DURABLE_OP_SUCCEEDED)
        return out ? durable__deserialize(out, ctx, result_serdes, op->id, op->result) : 0;
    durable_error_object empty = {NULL, NULL, NULL, NULL, 0};
    const durable_error_object *err = op->error ? op->error : &empty;
    durable__ctx_set_error(ctx, DURABLE_KIND_INVOKE, err);
    durable__error_set(DURABLE_EFAILED, "chained invoke %s %s: %s: %s", op->id,
                       durable_op_status_name(op->status),
                       err->error_type ? err->error_type : "Error",
                       err->error_message ? err->error_message : "");
    return DURABLE_EFAILED;
}

int durable_invoke(durable_ctx *ctx, const cJSON **out, const char *name,
                   const char *function_name, const cJSON *payload,
                   const durable_invoke_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_invoke: context is NULL");
    if (!function_name || !*function_name)
        return durable__ctx_invalid(ctx, "durable_invoke: function name is required");
    durable_invoke_options def = DURABLE_INVOKE_OPTIONS_INIT;
    const durable_invoke_options *o = opts ? opts : &def;
    durable__opref ref;
    int rc = durable__ctx_begin_op(ctx, &ref);
    if (rc)
        return rc;
    durable_operation stored;
    durable_operation_init(&stored);
    bool found = durable__exec_get_op(ctx->ex, ref.id, &stored);
    if (found) {
        rc = durable__replay_validate(ctx, &ref, &stored, DURABLE_OP_CHAINED_INVOKE, name,
                                      DURABLE__ST_CHAINED_INVOKE);
        if (rc == 0) {
            if (durable_op_status_is_terminal(stored.status)) {
                rc = finished(ctx, out, &stored, o->result_serdes);
            } else {
                durable__plugins_op_start(ctx->ex, &stored, true);
                rc = durable__ctx_suspend(ctx);
            }
        }
    } else if ((rc = durable__ctx_go_live(ctx, &ref)) == 0) {
        char *text = NULL;
        rc = durable__serialize(&text, ctx, o->payload_serdes, ref.id, payload);
        if (rc == 0) {
            durable_operation desc;
            durable__op_desc(&desc, &ref, DURABLE_OP_CHAINED_INVOKE, name,
                             DURABLE__ST_CHAINED_INVOKE);
            durable__plugins_op_start(ctx->ex, &desc, false);
            durable_operation_update u;
            durable_operation_update_init(&u);
            u.id = ref.id;
            u.parent_id = (char *)ref.parent_id;
            u.name = (char *)name;
            u.subtype = (char *)DURABLE__ST_CHAINED_INVOKE;
            u.type = DURABLE_OP_CHAINED_INVOKE;
            u.action = DURABLE_ACTION_START;
            u.payload = text;
            u.options = DURABLE_OPTIONS_CHAINED_INVOKE;
            u.function_name = (char *)function_name;
            u.tenant_id = (char *)o->tenant_id;
            rc = durable__checkpoint(ctx->ex, &u, true);
            durable__free(text);
        }
        if (rc == 0) {
            /* The target runs after this invocation (SPEC §6.5): suspend,
             * unless the service already reports it finished. */
            durable_operation now;
            durable_operation_init(&now);
            if (durable__exec_get_op(ctx->ex, ref.id, &now) &&
                durable_op_status_is_terminal(now.status))
                rc = finished(ctx, out, &now, o->result_serdes);
            else
                rc = durable__ctx_suspend(ctx);
            durable_operation_clear(&now);
        }
    }
    durable_operation_clear(&stored);
    durable__opref_clear(&ref);
    return rc;
}
