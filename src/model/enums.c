/* Wire names of the SPEC §2.2 enumerations. The tables are indexed by the
 * enum value, so a name lookup is an array access and a parse is a scan. */
#include <string.h>

#include "model/json_util.h"

const char *const durable__op_type_names[DJ_OP_TYPE_COUNT] = {
    "", "EXECUTION", "CONTEXT", "STEP", "WAIT", "CALLBACK", "CHAINED_INVOKE"};

const char *const durable__op_status_names[DJ_OP_STATUS_COUNT] = {
    "", "STARTED", "PENDING", "READY", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT",
    "STOPPED"};

const char *const durable__op_action_names[DJ_OP_ACTION_COUNT] = {
    "", "START", "SUCCEED", "FAIL", "RETRY", "CANCEL"};

const char *const durable__exec_status_names[DJ_EXEC_STATUS_COUNT] = {
    "", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"};

const char *const durable__invocation_status_names[DJ_INVOCATION_STATUS_COUNT] = {
    "", "SUCCEEDED", "FAILED", "PENDING"};

const char *const durable__event_type_names[DJ_EVENT_TYPE_COUNT] = {
    "",
    "ExecutionStarted",
    "ExecutionSucceeded",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "ExecutionStopped",
    "ContextStarted",
    "ContextSucceeded",
    "ContextFailed",
    "WaitStarted",
    "WaitSucceeded",
    "WaitCancelled",
    "StepStarted",
    "StepSucceeded",
    "StepFailed",
    "ChainedInvokeStarted",
    "ChainedInvokeSucceeded",
    "ChainedInvokeFailed",
    "ChainedInvokeTimedOut",
    "ChainedInvokeStopped",
    "CallbackStarted",
    "CallbackSucceeded",
    "CallbackFailed",
    "CallbackTimedOut",
    "InvocationCompleted"};

static const char *name_of(const char *const *names, int count, int v)
{
    return (v > 0 && v < count) ? names[v] : "";
}

static int parse_in(int *out, const char *const *names, int count, const char *s,
                    const char *enum_name)
{
    if (s)
        for (int i = 1; i < count; i++)
            if (strcmp(names[i], s) == 0) {
                *out = i;
                return 0;
            }
    return durable__error_set(DURABLE_EINVAL, "unknown %s value", enum_name);
}

#define ENUM_FUNCS(type, prefix, table, count, label)                      \
    const char *prefix##_name(type v) { return name_of(table, count, (int)v); } \
    int prefix##_parse(type *out, const char *s)                            \
    {                                                                       \
        int v = 0;                                                          \
        int rc = parse_in(&v, table, count, s, label);                      \
        if (rc == 0)                                                        \
            *out = (type)v;                                                 \
        return rc;                                                          \
    }

ENUM_FUNCS(durable_op_type, durable_op_type, durable__op_type_names, DJ_OP_TYPE_COUNT,
           "OperationType")
ENUM_FUNCS(durable_op_status, durable_op_status, durable__op_status_names, DJ_OP_STATUS_COUNT,
           "OperationStatus")
ENUM_FUNCS(durable_op_action, durable_op_action, durable__op_action_names, DJ_OP_ACTION_COUNT,
           "OperationAction")
ENUM_FUNCS(durable_exec_status, durable_exec_status, durable__exec_status_names,
           DJ_EXEC_STATUS_COUNT, "ExecutionStatus")
ENUM_FUNCS(durable_invocation_status, durable_invocation_status,
           durable__invocation_status_names, DJ_INVOCATION_STATUS_COUNT, "invocation Status")
ENUM_FUNCS(durable_event_type, durable_event_type, durable__event_type_names,
           DJ_EVENT_TYPE_COUNT, "EventType")

bool durable_op_status_is_terminal(durable_op_status s)
{
    return s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_FAILED || s == DURABLE_OP_CANCELLED ||
           s == DURABLE_OP_TIMED_OUT || s == DURABLE_OP_STOPPED;
}
