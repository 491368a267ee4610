/* invoke (SPEC §10.8): start a chained invocation of another function with
 * a synchronous START, suspend until the target ends, then return its
 * result or an InvokeError. */
#include "sdk/context_internal.h"

static int finished(durable_ctx *ctx, const cJSON **out, const durable_operation *op,
                    const durable_serdes *result_serdes)
{
    if (op->status == DURABLE_OP_SUCCEEDED)
        return out ? durable__deserialize(out, ctx, result_serdes, op->id, op->result) : 0;
    return durable__ctx_op_failed(ctx, DURABLE_KIND_INVOKE, op->error, "chained invoke %s %s",
                                  op->id, durable_op_status_name(op->status));
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
    durable__op op;
    int rc = durable__op_begin(&op, ctx, DURABLE_OP_CHAINED_INVOKE, name,
                               DURABLE__ST_CHAINED_INVOKE);
    const durable__opref *ref = &op.ref;
    if (rc == 0 && op.found) {
        if (durable_op_status_is_terminal(op.stored.status)) {
            rc = finished(ctx, out, &op.stored, o->result_serdes);
        } else {
            durable__plugins_op_start(ctx->ex, &op.stored, true);
            rc = durable__ctx_suspend(ctx);
        }
    } else if (rc == 0 && (rc = durable__ctx_go_live(ctx, ref)) == 0) {
        char *text = NULL;
        rc = durable__serialize(&text, ctx, o->payload_serdes, ref->id, payload);
        if (rc == 0) {
            durable__plugins_op_start(ctx->ex, &op.desc, false);
            durable_operation_update u;
            durable__op_update(&u, ref, DURABLE_OP_CHAINED_INVOKE, name,
                               DURABLE__ST_CHAINED_INVOKE, DURABLE_ACTION_START);
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
            if (durable__exec_get_op(ctx->ex, ref->id, &now) &&
                durable_op_status_is_terminal(now.status))
                rc = finished(ctx, out, &now, o->result_serdes);
            else
                rc = durable__ctx_suspend(ctx);
            durable_operation_clear(&now);
        }
    }
    durable__op_end(&op);
    return rc;
}
