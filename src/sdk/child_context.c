/* runInChildContext (SPEC §10.9): a CONTEXT operation whose function runs
 * on a child context with its own counter. Large results (> 256 KiB) are
 * checkpointed as a summary with ReplayChildren and rebuilt on replay by
 * re-running the function with every child replayed from its checkpoint. */
#include <string.h>

#include "sdk/context_internal.h"

typedef struct child_call {
    durable_ctx *ctx;
    const durable__opref *ref;
    const char *name;
    const char *subtype;
    const durable_operation *desc;
    durable_child_fn fn;
    void *user;
    const durable_child_options *opts;
    const cJSON **out;
} child_call;

static void ctx_update(durable_operation_update *u, const child_call *c, durable_op_action a)
{
    durable__op_update(u, c->ref, DURABLE_OP_CONTEXT, c->name, c->subtype, a);
}

/* Checkpoint SUCCEED for a result; *out gets what replay would return. */
static int succeed(const child_call *c, cJSON *result)
{
    char *text = NULL;
    int rc = durable__serialize(&text, c->ctx, c->opts->serdes, c->ref->id, result);
    if (rc) {
        cJSON_Delete(result);
        return rc;
    }
    durable_operation_update u;
    ctx_update(&u, c, DURABLE_ACTION_SUCCEED);
    char *summary = NULL;
    if (strlen(text) > DURABLE__CHILD_RESULT_MAX) {
        if (c->opts->summary && c->opts->summary(&summary, result, c->opts->summary_user) != 0) {
            durable__free(summary);
            summary = NULL;
        }
        u.payload = summary ? summary : (char *)"";
        u.options = DURABLE_OPTIONS_CONTEXT;
        u.replay_children = 1;
    } else {
        u.payload = text;
    }
    cJSON_Delete(result);
    rc = durable__checkpoint(c->ctx->ex, &u, false);
    durable__free(summary);
    if (rc == 0 && c->out)
        rc = durable__deserialize(c->out, c->ctx, c->opts->serdes, c->ref->id, text);
    durable__free(text);
    return rc;
}

static int run(const child_call *c, bool send_start, bool replaying, bool replay_only)
{
    durable__exec *ex = c->ctx->ex;
    if (send_start) {
        durable_operation_update u;
        ctx_update(&u, c, DURABLE_ACTION_START);
        int rc = durable__checkpoint(ex, &u, false);
        if (rc)
            return rc;
    }
    durable_ctx *child = NULL;
    int rc = durable__ctx_new_child(&child, c->ctx, c->ref->path, c->ref->id, c->name,
                                    c->subtype, false, NULL, replaying);
    if (rc)
        return rc;
    if (replay_only)
        child->replay_only = child->replaying = true;
    cJSON *result = NULL;
    rc = durable__run_context_fn(child, c->fn, c->user, &result, c->desc, replay_only);
    if (rc == 0) {
        if (replay_only) /* already SUCCEEDED: rebuild the result, checkpoint nothing */
            return durable__roundtrip(c->out, NULL, c->ctx, c->opts->serdes, c->ref->id, result);
        return succeed(c, result);
    }
    if (rc == DURABLE_PENDING || durable__code_propagates(ex, rc))
        return rc;
    durable_error_object *err = NULL;
    int r = durable__ctx_escape_error(&err, child, rc);
    if (r)
        return r;
    if (!replay_only) {
        durable_operation_update u;
        ctx_update(&u, c, DURABLE_ACTION_FAIL);
        u.error = err;
        r = durable__checkpoint(ex, &u, false);
    }
    if (r == 0)
        r = durable__ctx_op_failed(c->ctx, DURABLE_KIND_CHILD_CONTEXT, err,
                                   "child context %s failed", c->ref->id);
    durable_error_object_free(err);
    return r;
}

static bool valid_subtype(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > DURABLE_MAX_SUBTYPE_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

int durable_run_in_child_context(durable_ctx *ctx, const cJSON **out, const char *name,
                                 durable_child_fn fn, void *user,
                                 const durable_child_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_run_in_child_context: context is NULL");
    if (!fn)
        return durable__ctx_invalid(ctx, "durable_run_in_child_context: function is NULL");
    durable_child_options def = DURABLE_CHILD_OPTIONS_INIT;
    const durable_child_options *o = opts ? opts : &def;
    const char *subtype = o->subtype ? o->subtype : DURABLE__ST_CHILD;
    if (!valid_subtype(subtype))
        return durable__ctx_invalid(ctx,
                                    "durable_run_in_child_context: invalid SubType \"%s\" "
                                    "(1-32 characters of [a-zA-Z0-9-_])",
                                    subtype);
    durable__op op;
    int rc = durable__op_begin(&op, ctx, DURABLE_OP_CONTEXT, name, subtype);
    child_call c = {ctx, &op.ref, name, subtype, &op.desc, fn, user, o, out};
    const durable_operation *stored = &op.stored;
    if (rc == 0 && op.found) {
        if (stored->status == DURABLE_OP_SUCCEEDED) {
            if (stored->replay_children == 1)
                rc = run(&c, false, true, true);
            else if (out)
                rc = durable__deserialize(out, ctx, o->serdes, op.ref.id, stored->result);
        } else if (durable_op_status_is_terminal(stored->status)) {
            rc = durable__ctx_op_failed(ctx, DURABLE_KIND_CHILD_CONTEXT, stored->error,
                                        "child context %s failed", op.ref.id);
        } else {
            durable__plugins_op_start(ctx->ex, stored, true);
            rc = run(&c, false, true, false);
        }
    } else if (rc == 0 && (rc = durable__op_go_live(&op, ctx)) == 0) {
        rc = run(&c, true, false, false);
    }
    durable__op_end(&op);
    return rc;
}
