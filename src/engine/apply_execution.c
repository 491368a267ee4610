/* EXECUTION processor (SPEC §6.7): SUCCEED / FAIL close the execution at
 * once; the terminal event is deferred until the in-flight invocation's
 * InvocationCompleted (large-result path). */
#include "engine/engine_internal.h"

int durable__apply_execution(durable_engine *e, eng_exec *x, const durable_operation_update *u)
{
    if (u->action == DURABLE_ACTION_SUCCEED)
        return durable__exec_close(e, x, DURABLE_EXEC_SUCCEEDED, u->payload, NULL, true);
    durable_error_object *empty = NULL;
    int rc = 0;
    if (!u->error && (rc = durable_error_object_new(&empty, NULL, NULL, NULL)) < 0)
        return rc;
    rc = durable__exec_close(e, x, DURABLE_EXEC_FAILED, NULL, u->error ? u->error : empty, true);
    durable_error_object_free(empty);
    return rc;
}
