/* durable — `durable schema`: the tables and views of schema/latest.sql
 * with one line of meaning each; the same text as the list in
 * schema/README.md (tests/test_testing_cli.c checks both against the file). */
#include <string.h>

#include "cli.h"

const char cli_schema_text[] =
    "executions               one row per durable execution: identity, status, input, result or error, timers and engine bookkeeping.\n"
    "invocations              one row per handler invocation (RequestId), with its start, end and outcome.\n"
    "operations               every operation of every execution, keyed by its id, with its start order, status, details and timers.\n"
    "callbacks                every callback id with its timeout and heartbeat deadlines.\n"
    "chained_invokes          every chained invoke: target function, input, child execution and dispatch state.\n"
    "history_events           the append-only history of each execution, EventId 1, 2, 3, ….\n"
    "executions_view          executions with ISO times, duration and invocation/operation counts.\n"
    "operations_view          operations with their execution ARN, ISO times and duration.\n"
    "history_view             history events with their execution ARN and ISO times.\n"
    "function_logs            every line a function process wrote to stdout or stderr, with its invocation.\n"
    "function_logs_view       function log lines with their execution ARN and ISO times.\n";

int cmd_schema(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return cli_usage("schema", "schema takes no arguments");
    fputs(cli_schema_text, stdout);
    return CLI_OK;
}
