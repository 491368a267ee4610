/* What every durable operation shares: claiming its Id and loading its
 * stored copy (the frame), its checkpoint updates, and the error it
 * returns when it ends FAILED. One place, so every operation claims,
 * validates and reports failures the same way. */
#include <string.h>

#include "sdk/context_internal.h"

int durable__op_begin(durable__op *op, durable_ctx *ctx, durable_op_type type, const char *name,
                      const char *subtype)
{
    memset(op, 0, sizeof(*op));
    durable_operation_init(&op->stored);
    int rc = durable__ctx_begin_op(ctx, &op->ref);
    if (rc)
        return rc;
    durable__op_desc(&op->desc, &op->ref, type, name, subtype);
    /* Borrowed: replay reads a stored copy of every earlier operation on
     * every invocation, and a deep copy of each cost more than the rest
     * of its replay. */
    op->found = durable__exec_view_op(ctx->ex, op->ref.id, &op->stored);
    if (op->found)
        return durable__replay_validate(ctx, &op->ref, &op->stored, type, name, subtype);
    return 0;
}

int durable__op_go_live(durable__op *op, durable_ctx *ctx)
{
    int rc = durable__ctx_go_live(ctx, &op->ref);
    if (rc == 0)
        durable__plugins_op_start(ctx->ex, &op->desc, false);
    return rc;
}

void durable__op_end(durable__op *op)
{
    durable_operation_init(&op->stored); /* borrowed: nothing to free */
    durable__opref_clear(&op->ref);
}

void durable__op_update(durable_operation_update *u, const durable__opref *ref,
                        durable_op_type type, const char *name, const char *subtype,
                        durable_op_action action)
{
    durable_operation_update_init(u);
    u->id = (char *)ref->id;
    u->parent_id = (char *)ref->parent_id;
    u->name = (char *)name;
    u->subtype = (char *)subtype;
    u->type = type;
    u->action = action;
}

int durable__ctx_op_failed(durable_ctx *ctx, const char *kind, const durable_error_object *err,
                           const char *fmt, ...)
{
    static const durable_error_object empty = {NULL, NULL, NULL, NULL, 0};
    if (!err)
        err = &empty;
    va_list ap;
    va_start(ap, fmt);
    char *what = durable__vsprintf(fmt, ap);
    va_end(ap);
    durable__ctx_set_error(ctx, kind, err);
    int rc = durable__error_set(DURABLE_EFAILED, "%s: %s: %s", what ? what : "",
                                err->error_type ? err->error_type : "Error",
                                err->error_message ? err->error_message : "");
    durable__free(what);
    return rc;
}
