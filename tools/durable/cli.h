/*
 * durable — the command-line inspector. Internal declarations shared by the
 * tool's files. The tool uses only the public libdurable API (engine.h,
 * store.h, model.h): it is a client of the file like sqlite3 is.
 *
 * Exit codes (documented in `durable help`): 0 ok, 1 usage, 2 not found,
 * 3 rejected by the engine, 4 database error (missing file, not a libdurable
 * file, newer schema, locked, any other SQLite failure).
 */
#ifndef DURABLE_CLI_H
#define DURABLE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "durable/engine.h"
#include "durable/model.h"
#include "durable/store.h"

enum { CLI_OK = 0, CLI_USAGE = 1, CLI_NOTFOUND = 2, CLI_REJECTED = 3, CLI_DBERR = 4 };

/* An open database: store + engine. read_only for inspection. */
typedef struct cli_db {
    durable_store *store;
    durable_engine *engine;
    const char *path;
    int busy_timeout_ms;
} cli_db;

#define CLI_DEFAULT_BUSY_TIMEOUT_MS 5000

/* Opens path (never creates it) with the busy timeout from
 * DURABLE_BUSY_TIMEOUT_MS (default CLI_DEFAULT_BUSY_TIMEOUT_MS); on failure
 * prints "durable: <path>: reason" and returns the exit code (4; 1 for a bad
 * DURABLE_BUSY_TIMEOUT_MS). */
int cli_db_open(cli_db *db, const char *path, bool read_only);
void cli_db_close(cli_db *db);
/* Maps an engine failure to an exit code and prints it on stderr. */
int cli_engine_fail(cli_db *db, int rc, const char *what);

/* Resolves EXEC to a full ARN (*out, freed with free()): an exact ARN or
 * EXECUTION op id first, then an exact DurableExecutionName, then an
 * unambiguous prefix of an ARN or op id. Ambiguity prints the matching ARNs
 * and returns CLI_USAGE. Returns an exit code. */
int cli_resolve_exec(char **out, cli_db *db, const char *exec);

/* History events of one execution, all pages (the caller clears). */
typedef struct cli_events {
    durable_event *items;
    size_t count;
} cli_events;
void cli_events_clear(cli_events *l);
/* Every history event of arn, in EventId order, into *out. Returns an exit
 * code. */
int cli_read_history(cli_events *out, cli_db *db, const char *arn, bool include_data);

/* Formatting helpers: ISO 8601 UTC text ("" for 0) and durations. */
void cli_fmt_time(char *buf, size_t size, int64_t ms);
void cli_fmt_duration(char *buf, size_t size, int64_t start_ms, int64_t end_ms);
/* Prints cJSON (formatted) to stdout and deletes it. */
int cli_print_json(cJSON *json);

/* Aligned table: add a header then rows of ncols strings (copied). */
typedef struct cli_table cli_table;
cli_table *cli_table_new(int ncols, const char *const *headers);
void cli_table_row(cli_table *t, const char *const *cells);
void cli_table_print(cli_table *t, FILE *f);
void cli_table_free(cli_table *t);

/* Subcommands: argc/argv start at the command name. */
int cmd_executions(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_callbacks(int argc, char **argv);
int cmd_callback(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Prints "durable: <msg>" and the command's usage line; returns CLI_USAGE. */
int cli_usage(const char *command, const char *fmt, ...);
/* The schema description (same text as schema/README.md's list). */
extern const char cli_schema_text[];

#endif
