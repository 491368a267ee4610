/* Callbacks (SPEC §10.7): create_callback checkpoints START synchronously so
 * the service-minted CallbackId is known at once; awaiting reads the
 * callback's status and suspends while it is open. */
#include <string.h>

#include "sdk/context_internal.h"

struct durable_callback {
    durable_ctx *ctx;
    char *op_id;       /* exec-owned */
    char *callback_id; /* exec-owned */
    const durable_serdes *serdes;
};

static int make_handle(durable_callback **out, durable_ctx *ctx, const char *op_id,
                       const char *callback_id, const durable_serdes *serdes)
{
    durable_callback *cb = durable__exec_alloc(ctx->ex, sizeof(*cb));
    if (!cb)
        return DURABLE_ENOMEM;
    cb->ctx = ctx;
    cb->op_id = durable__exec_strdup(ctx->ex, op_id);
    cb->callback_id = durable__exec_strdup(ctx->ex, callback_id);
    cb->serdes = serdes ? serdes : durable_serdes_raw();
    if (!cb->op_id || !cb->callback_id)
        return DURABLE_ENOMEM;
    *out = cb;
    return 0;
}

static int no_callback_id(const char *op_id)
{
    return durable__error_set(DURABLE_ESTATE,
                              "create_callback: the service returned no CallbackId for "
                              "operation %s",
                              op_id);
}

int durable_create_callback(durable_ctx *ctx, durable_callback **out, const char *name,
                            const durable_callback_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_create_callback: context is NULL");
    if (!out)
        return durable__ctx_invalid(ctx, "durable_create_callback: out is NULL");
    durable_callback_options def = DURABLE_CALLBACK_OPTIONS_INIT;
    const durable_callback_options *o = opts ? opts : &def;
    if (o->timeout_seconds < 0 || o->heartbeat_timeout_seconds < 0)
        return durable__ctx_invalid(ctx, "durable_create_callback: timeouts must be >= 0 "
                                         "(timeout %lld, heartbeat %lld)",
                                    (long long)o->timeout_seconds,
                                    (long long)o->heartbeat_timeout_seconds);
    durable__op op;
    int rc = durable__op_begin(&op, ctx, DURABLE_OP_CALLBACK, name, DURABLE__ST_CALLBACK);
    const char *id = op.ref.id;
    if (rc == 0 && op.found) {
        if (!durable_op_status_is_terminal(op.stored.status))
            durable__plugins_op_start(ctx->ex, &op.stored, true);
        rc = op.stored.callback_id
                 ? make_handle(out, ctx, id, op.stored.callback_id, o->serdes)
                 : no_callback_id(id);
    } else if (rc == 0 && (rc = durable__op_go_live(&op, ctx)) == 0) {
        durable_operation_update u;
        durable__op_update(&u, &op.ref, DURABLE_OP_CALLBACK, name, DURABLE__ST_CALLBACK,
                           DURABLE_ACTION_START);
        u.options = DURABLE_OPTIONS_CALLBACK;
        u.timeout_seconds = o->timeout_seconds > 0 ? o->timeout_seconds : DURABLE_ABSENT;
        u.heartbeat_timeout_seconds =
            o->heartbeat_timeout_seconds > 0 ? o->heartbeat_timeout_seconds : DURABLE_ABSENT;
        /* Synchronous: the CallbackId arrives in the response delta. */
        rc = durable__checkpoint(ctx->ex, &u, true);
        if (rc == 0) {
            durable_operation now;
            durable_operation_init(&now);
            if (durable__exec_get_op(ctx->ex, id, &now) && now.callback_id)
                rc = make_handle(out, ctx, id, now.callback_id, o->serdes);
            else
                rc = no_callback_id(id);
            durable_operation_clear(&now);
        }
    }
    durable__op_end(&op);
    return rc;
}

const char *durable_callback_id(const durable_callback *cb)
{
    return cb ? cb->callback_id : NULL;
}

int durable_callback_await(durable_callback *cb, const cJSON **out)
{
    if (out)
        *out = NULL;
    if (!cb)
        return durable__error_set(DURABLE_EINVAL, "durable_callback_await: callback is NULL");
    durable_ctx *ctx = cb->ctx;
    int rc = durable__ctx_ready(ctx);
    if (rc)
        return rc;
    durable_operation op;
    durable_operation_init(&op);
    if (!durable__exec_get_op(ctx->ex, cb->op_id, &op))
        return durable__error_set(DURABLE_ESTATE, "callback operation %s is not in the state",
                                  cb->op_id);
    switch (op.status) {
    case DURABLE_OP_SUCCEEDED:
        rc = out ? durable__deserialize(out, ctx, cb->serdes, cb->op_id, op.result) : 0;
        break;
    case DURABLE_OP_FAILED:
    case DURABLE_OP_TIMED_OUT:
    case DURABLE_OP_CANCELLED:
    case DURABLE_OP_STOPPED:
        rc = durable__ctx_op_failed(ctx, DURABLE_KIND_CALLBACK, op.error, "callback %s %s",
                                    cb->op_id, durable_op_status_name(op.status));
        break;
    default:
        rc = durable__ctx_suspend(ctx);
        break;
    }
    durable_operation_clear(&op);
    return rc;
}
