/* CHAINED_INVOKE processor (SPEC §6.5): START records the invoke with the
 * child ARN minted now and a ChainedInvokeStarted with real details; the
 * target is dispatched after the parent's invocation completes (see
 * chained_invoke.c). CANCEL stops the child and the operation. */
#include <string.h>

#include "engine/engine_internal.h"

/* ExecutedVersion: a numeric qualifier is a version; anything else runs $LATEST. */
static const char *executed_version(const char *qualifier)
{
    if (!qualifier || !*qualifier)
        return "$LATEST";
    for (const char *p = qualifier; *p; p++)
        if (*p < '0' || *p > '9')
            return "$LATEST";
    return qualifier;
}

static int insert_invoke(durable_engine *e, const eng_exec *x, const eng_op *o,
                         const durable_operation_update *u, const char *name,
                         const char *qualifier, const char *child_arn)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "INSERT INTO chained_invokes (execution_id, op_id, function_name, resolved_function, "
        "qualifier, tenant_id, input_payload, executed_version, child_arn, state) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'WAITING')");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text(st, 2, o->op.id);
    durable__db_text(st, 3, u->function_name);
    durable__db_text(st, 4, name);
    durable__db_text(st, 5, qualifier);
    durable__db_text(st, 6, u->tenant_id);
    durable__db_text(st, 7, u->payload);
    durable__db_text(st, 8, executed_version(qualifier));
    durable__db_text(st, 9, child_arn);
    return durable__db_done(e, st, "insert chained invoke");
}

static int start(durable_engine *e, eng_exec *x, eng_op *o, const durable_operation_update *u)
{
    char *name = NULL, *qualifier = NULL, *region = NULL, *account = NULL, *child_arn = NULL;
    char exec_name[37], op_id[37];
    int rc = durable__op_create_from(e, x, o, u, DURABLE_OP_STARTED);
    if (rc == 0)
        rc = durable__function_resolve(&name, &qualifier, &region, &account, u->function_name);
    if (rc == 0) {
        durable_uuid(exec_name);
        durable_uuid(op_id);
        rc = durable_execution_arn(&child_arn, region ? region : e->region,
                                   account ? account : e->account, name, qualifier, exec_name,
                                   op_id);
    }
    if (rc == 0)
        rc = durable__op_save(e, x, o, false);
    if (rc == 0)
        rc = insert_invoke(e, x, o, u, name, qualifier, child_arn);
    if (rc == 0) {
        durable_event ev;
        durable__event_prepare(&ev, DURABLE_EVENT_CHAINED_INVOKE_STARTED, &o->op);
        ev.function_name = durable__strdup(u->function_name);
        ev.tenant_id = durable__strdup(u->tenant_id);
        ev.has_payload_object = true;
        ev.payload = durable__strdup(u->payload);
        ev.truncated = false;
        ev.executed_version = durable__strdup(executed_version(qualifier));
        ev.durable_execution_arn = durable__strdup(child_arn);
        if (!ev.function_name || (u->tenant_id && !ev.tenant_id) || (u->payload && !ev.payload) ||
            !ev.executed_version || !ev.durable_execution_arn) {
            durable_event_clear(&ev);
            rc = durable__error_oom();
        } else {
            rc = durable__history_append(e, x, &ev);
        }
    }
    durable_free(name);
    durable_free(qualifier);
    durable_free(region);
    durable_free(account);
    durable_free(child_arn);
    return rc;
}

int durable__apply_invoke(durable_engine *e, eng_exec *x, eng_op *o,
                          const durable_operation_update *u)
{
    if (u->action == DURABLE_ACTION_START)
        return start(e, x, o, u);
    /* CANCEL: the child (if running) is stopped first, then the operation. */
    int rc = durable__chained_cancel(e, x, o->op.id, u->error);
    if (rc < 0)
        return rc;
    o->op.status = DURABLE_OP_STOPPED;
    if ((rc = durable__op_set_error(o, u->error)) < 0 || (rc = durable__op_save(e, x, o, false)) < 0)
        return rc;
    durable_event ev;
    durable__event_prepare(&ev, DURABLE_EVENT_CHAINED_INVOKE_STOPPED, &o->op);
    rc = u->error ? durable_error_object_dup(&ev.error, u->error)
                  : durable_error_object_new(&ev.error, NULL, NULL, NULL);
    if (rc < 0) {
        durable_event_clear(&ev);
        return rc;
    }
    return durable__history_append(e, x, &ev);
}
