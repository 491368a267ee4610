/* Replay validation (SPEC §4.8): a stored operation must have the Type,
 * Name and SubType of the call that reaches it again; anything else means
 * the handler is not deterministic and the invocation fails. */
#include <string.h>

#include "sdk/context_internal.h"

static bool same_text(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static const char *quoted(char *buf, size_t size, const char *s)
{
    if (!s)
        return "(none)";
    snprintf(buf, size, "\"%s\"", s);
    return buf;
}

int durable__replay_validate(durable_ctx *ctx, const durable__opref *ref,
                             const durable_operation *stored, durable_op_type type,
                             const char *name, const char *subtype)
{
    const char *what = NULL;
    if (stored->type != type)
        what = "type";
    else if (!same_text(stored->name, name))
        what = "name";
    else if (!same_text(stored->subtype, subtype))
        what = "subtype";
    if (!what)
        return 0;
    char n1[96], n2[96];
    int rc = durable__exec_fatal(
        ctx->ex, DURABLE_ENONDETERMINISTIC, DURABLE_KIND_NON_DETERMINISTIC,
        "Non-deterministic execution detected: operation %s (path %s) differs in %s: recorded "
        "%s name %s subtype %s, but the handler now runs %s name %s subtype %s",
        ref->id, ref->path, what, durable_op_type_name(stored->type),
        quoted(n1, sizeof(n1), stored->name), stored->subtype ? stored->subtype : "(none)",
        durable_op_type_name(type), quoted(n2, sizeof(n2), name),
        subtype ? subtype : "(none)");
    durable__ctx_set_error(ctx, DURABLE_KIND_NON_DETERMINISTIC, ctx->ex->fatal_error);
    return rc;
}

void durable__op_desc(durable_operation *out, const durable__opref *ref, durable_op_type type,
                      const char *name, const char *subtype)
{
    durable_operation_init(out);
    out->id = (char *)ref->id;
    out->parent_id = (char *)ref->parent_id;
    out->name = (char *)name;
    out->subtype = (char *)subtype;
    out->type = type;
}
