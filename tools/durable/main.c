/* durable — entry point: dispatches subcommands and documents them. */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int, char **);
    const char *usage;
    const char *help;
} command;

static const command COMMANDS[] = {
    {"executions", cmd_executions,
     "durable executions DB [--status S[,S..]] [--function F] [--name N] [--since T] [--until T] "
     "[--limit N] [--json]",
     "List executions, newest first: ARN, function, name, status, start, end, duration.\n"
     "--status takes RUNNING, SUCCEEDED, FAILED, TIMED_OUT, STOPPED (comma-separated = any);\n"
     "--since/--until filter on the start time (ISO 8601 or epoch seconds); --limit caps rows."},
    {"show", cmd_show, "durable show DB EXEC [--json]",
     "One execution: status, input, result or error, timestamps, invocation count and its\n"
     "operations as a tree (children indented under their context). EXEC is the ARN, the\n"
     "EXECUTION operation id, the execution's name (DurableExecutionName), or an unambiguous\n"
     "prefix of an ARN or id; an ambiguous EXEC lists the ARNs it matches (exit 1)."},
    {"history", cmd_history, "durable history DB EXEC [--include-data] [--json]",
     "History events in EventId order. --json prints GetDurableExecutionHistory's shape\n"
     "({\"Events\":[...]}, timestamps ISO 8601); --include-data includes Input/Result payloads."},
    {"callbacks", cmd_callbacks, "durable callbacks DB [EXEC] [--json]",
     "Open callbacks with id, execution, name, start and timeout/heartbeat deadlines;\n"
     "with EXEC, only that execution's."},
    {"callback", cmd_callback,
     "durable callback DB succeed|fail|heartbeat CALLBACK_ID [PAYLOAD | --error-type T "
     "--error-message M [--error-data D]]",
     "Completes a callback through the engine, exactly once. A rejected completion (already\n"
     "completed, timed out, execution not running) prints the engine's error and exits 3\n"
     "without changing the file."},
    {"stop", cmd_stop, "durable stop DB EXEC",
     "Stops a running execution (ExecutionStopped). A closed execution is refused (exit 3)."},
    {"timeline", cmd_timeline, "durable timeline DB EXEC [-o FILE.svg]",
     "Draws EXEC as an SVG (to FILE, else stdout): one row per operation under its parent\n"
     "context, bars coloured by status, step attempts as separate segments, waits and\n"
     "callbacks as dashed idle bars, invocations as bands on top (a crashed one in red);\n"
     "long idle gaps are cut out of the time axis and labelled with their length."},
    {"serve", cmd_serve,
     "durable serve DB [--listen HOST:PORT] [--function NAME=COMMAND]... [--functions FILE] "
     "[--skip-time] [--auth KEY_ID:SECRET]... [--auth-file FILE] [--concurrency N] "
     "[--idle-timeout MS] [--invocation-timeout S] [--execution-timeout S] [--retry-backoff MS] "
     "[--region R] [--account A] [--quiet]",
     "Serves the Lambda durable-functions API over HTTP on DB (created if missing) until\n"
     "SIGINT/SIGTERM, for boto3, the official SDKs and their runners. Listens on\n"
     "127.0.0.1:9009 by default. Each --function runs COMMAND (by /bin/sh -c) as processes on\n"
     "the Lambda Runtime API, started on first use, at most --concurrency at once (default 4),\n"
     "ended after --idle-timeout ms idle (default 60000). --functions FILE holds NAME=COMMAND\n"
     "lines, or JSON {\"NAME\": {\"Command\", \"Environment\", \"Handler\", \"ExecutionTimeout\"}}.\n"
     "--skip-time fires the next timer at once whenever no invocation runs. --auth verifies\n"
     "SigV4 signatures against the given keys (else any signature is accepted). Prints the\n"
     "URL and the environment a client needs."},
    {"logs", cmd_logs, "durable logs DB EXEC [--json]",
     "The stdout/stderr lines the function's processes wrote during EXEC's invocations,\n"
     "with time, stream and request id (the file's function_logs table)."},
    {"schema", cmd_schema, "durable schema",
     "Prints the tables and views of a libdurable file with one line of meaning each."},
    {"help", cmd_help, "durable help [COMMAND]", "Shows the commands or one command's help."},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

int cli_usage(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("durable: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    const command *c = name ? find(name) : NULL;
    if (c)
        fprintf(stderr, "usage: %s\n", c->usage);
    else
        fprintf(stderr, "usage: durable <command> DB [args]; see `durable help`\n");
    return CLI_USAGE;
}

int cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage("help", "too many arguments");
    if (argc == 2) {
        const command *c = find(argv[1]);
        if (!c)
            return cli_usage("help", "unknown command '%s'", argv[1]);
        printf("usage: %s\n\n%s\n", c->usage, c->help);
        return CLI_OK;
    }
    printf("durable — inspect a libdurable database file (read-only unless a command\n"
           "completes a callback or stops an execution; a file is never created).\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %s\n", COMMANDS[i].usage);
    printf("\nListings print aligned tables, or one JSON document with --json; times are\n"
           "ISO 8601 UTC. Exit codes: 0 ok, 1 usage, 2 not found (execution, callback),\n"
           "3 rejected by the engine, 4 database error (missing file, not a libdurable file,\n"
           "newer schema, locked beyond the busy timeout). Errors go to stderr.\n\n"
           "Environment: DURABLE_BUSY_TIMEOUT_MS — how long a command waits for a lock another\n"
           "connection holds before it exits 4 (default %d ms; 0 = fail at once). Reading\n"
           "commands are not blocked by a writer (the file is in WAL mode).\n",
           CLI_DEFAULT_BUSY_TIMEOUT_MS);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(NULL, "missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_help(1, argv + 1);
    const command *c = find(argv[1]);
    if (!c)
        return cli_usage(NULL, "unknown command '%s'", argv[1]);
    int rc = c->run(argc - 1, argv + 1);
    fflush(stdout);
    return rc;
}
