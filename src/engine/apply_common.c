/* Shared pieces of the processors (SPEC §6.1): creating an operation from
 * its first update, and replacing its Result / Error. */
#include <string.h>

#include "engine/engine_internal.h"

int durable__op_create_from(durable_engine *e, eng_exec *x, eng_op *o,
                            const durable_operation_update *u, durable_op_status status)
{
    (void)x;
    durable_operation_clear(&o->op);
    durable_operation_init(&o->op);
    o->exists = o->in_db = false;
    o->op.id = durable__strdup(u->id);
    o->op.parent_id = durable__strdup(u->parent_id);
    o->op.name = durable__strdup(u->name);
    o->op.subtype = durable__strdup(u->subtype);
    if (!o->op.id || (u->parent_id && !o->op.parent_id) || (u->name && !o->op.name) ||
        (u->subtype && !o->op.subtype))
        return durable__error_oom();
    o->op.type = u->type;
    o->op.status = status;
    o->op.start_timestamp = e->now;
    return 0;
}

int durable__op_set_result(eng_op *o, const char *payload)
{
    char *r = durable__strdup(payload);
    if (payload && !r)
        return durable__error_oom();
    durable_free(o->op.result);
    o->op.result = r;
    return 0;
}

int durable__op_set_error(eng_op *o, const durable_error_object *err)
{
    durable_error_object *copy = NULL;
    if (err) {
        int rc = durable_error_object_dup(&copy, err);
        if (rc < 0)
            return rc;
    }
    durable_error_object_free(o->op.error);
    o->op.error = copy;
    return 0;
}
