/*
 * libdurable — the HTTP front (`durable serve`): the Lambda durable-functions
 * API over HTTP on one SQLite file, so unmodified official clients (boto3,
 * the JS and Python SDKs, their test runners, the conformance runner) use the
 * engine exactly as they use AWS. Library: libdurable-http (libmicrohttpd).
 *
 * What it serves (HTTP_API.md §6.2): Invoke, CheckpointDurableExecution,
 * GetDurableExecutionState, GetDurableExecution, GetDurableExecutionHistory,
 * StopDurableExecution, ListDurableExecutionsByFunction and the three
 * callback routes, on one port. Responses carry epoch seconds with a
 * millisecond fraction; the invocation event handed to a function carries
 * epoch milliseconds. Every answer has x-amzn-RequestId; errors carry both
 * X-Amzn-ErrorType and {"__type","Type","message"}.
 *
 * Functions. The server runs the handlers itself. A function is registered
 * by name either as an in-process C handler (run on a worker thread of this
 * process with an in-process client), or as a command that speaks the Lambda
 * Runtime API. Commands are started on a function's first invocation (a cold
 * start), each with its own Runtime API endpoint in AWS_LAMBDA_RUNTIME_API,
 * kept while busy or recently used, ended after idle_timeout_ms, at most
 * `concurrency` per function. A process that dies mid-invocation turns into
 * the invocation error of SPEC §8.4 (Runtime.ExitError), and the engine
 * re-invokes. Its stdout/stderr lines are kept in the file per invocation
 * (table function_logs).
 *
 * Persistence. Nothing that matters lives only in memory: executions,
 * timers and in-flight invocations are rows of the file. A server started on
 * a file whose previous server died turns the invocations it had in flight
 * into invocation errors (their processes are gone) and carries on.
 * Only executions of the functions registered with this server are invoked
 * and only their timers fired: a test runner or another server sharing the
 * file keeps its own.
 *
 * Ownership. Strings in options are copied by durable_http_server_new. The
 * handler's user pointer is borrowed and must outlive the server.
 *
 * Thread-safety. new/register/start/stop/free are called by the owner, one
 * at a time. Requests are served on the server's own threads.
 */
#ifndef DURABLE_HTTP_H
#define DURABLE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "durable/common.h"
#include "durable/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_http_server durable_http_server;

typedef struct durable_http_options {
    /* The SQLite file, or ":memory:" (copied). Required. */
    const char *db_path;
    /* Address to listen on. NULL = "127.0.0.1" (loopback only: any
     * signature is accepted by default, so the default never listens
     * beyond this machine). */
    const char *host;
    /* TCP port; 0 = any free port (see durable_http_server_port). */
    int port;
    /* Fire the next due timer at once whenever no invocation of this
     * server's functions runs (the test runner's time skipping), except
     * while one of their executions waits for a callback from outside:
     * then time runs at the real pace until it is answered (the clock is
     * one for the server, and skipping would time the callback out before
     * anyone could answer). false = every timer fires on the real clock. */
    bool skip_time;
    /* ARN parts; NULL = "us-east-1" / "123456789012". */
    const char *region;
    const char *account;
    /* SigV4 verification: "KEY_ID:SECRET" pairs. None = any signature. */
    const char *const *auth_keys;
    size_t auth_key_count;
    /* ... and/or a credentials file: KEY_ID:SECRET lines or the AWS shared
     * credentials form (aws_access_key_id / aws_secret_access_key). */
    const char *auth_file;
    /* At most this many processes (or handler threads) per function. */
    int concurrency;
    /* An idle function process is ended after this long (ms). */
    int idle_timeout_ms;
    /* A client that sends nothing for this long is disconnected (s). */
    int connection_timeout_s;
    /* Invocation timeout (s): an invocation running longer is closed with
     * Sandbox.Timedout and its process killed (SPEC §8.4). */
    int64_t invocation_timeout_seconds;
    /* ExecutionTimeout of executions started without one (s). */
    int64_t default_execution_timeout_seconds;
    /* Delay before re-invoking after an invocation error (ms). */
    int64_t invocation_retry_backoff_ms;
    /* Requests and function events are logged here when set (borrowed). */
    void (*log)(void *user, const char *line);
    void *log_user;
} durable_http_options;

#define DURABLE_HTTP_OPTIONS_INIT                                                             \
    { NULL, NULL, 9009, false, NULL, NULL, NULL, 0, NULL, 4, 60000, 30, 900, 31622400, 5000, NULL, NULL }

/* Per-function settings. */
typedef struct durable_http_function_options {
    /* ExecutionTimeout for executions of this function (s); 0 = the
     * server default. */
    int64_t execution_timeout_seconds;
    /* Extra environment of the function's processes: "NAME=value" strings
     * (copied). Ignored for in-process handlers. */
    const char *const *env;
    size_t env_count;
    /* _HANDLER of the function's processes; NULL = the function name. */
    const char *handler;
} durable_http_function_options;

#define DURABLE_HTTP_FUNCTION_OPTIONS_INIT { 0, NULL, 0, NULL }

/* A new, stopped server. Errors: DURABLE_EINVAL (no db_path, bad options),
 * DURABLE_ENOMEM. *out belongs to the caller (durable_http_server_free). */
int durable_http_server_new(durable_http_server **out, const durable_http_options *opts);

/*
 * Register a function run in this process: each invocation runs handler on
 * a worker thread through durable_handle_invocation. name: 1-140 of
 * [a-zA-Z0-9-_]. opts NULL = defaults. Before start only.
 * Errors: DURABLE_EINVAL (name), DURABLE_EEXISTS (already registered),
 * DURABLE_ESTATE (server started).
 */
int durable_http_register_handler(durable_http_server *s, const char *name,
                                  durable_handler_fn handler, void *user,
                                  const durable_http_function_options *opts);

/*
 * Register a function run as processes of `command` (run by /bin/sh -c, so
 * it may carry arguments) speaking the Lambda Runtime API. Errors as
 * durable_http_register_handler.
 */
int durable_http_register_command(durable_http_server *s, const char *name,
                                  const char *command,
                                  const durable_http_function_options *opts);

/* Open the file, recover what a dead server left in flight, listen, start
 * the scheduler. Errors: DURABLE_EDB / DURABLE_ESCHEMA (the file),
 * DURABLE_EIO (cannot listen: the message names the address), DURABLE_ESTATE
 * (already started). */
int durable_http_server_start(durable_http_server *s);

/* The port and base URL ("http://127.0.0.1:9009") once started; borrowed. */
int durable_http_server_port(const durable_http_server *s);
const char *durable_http_server_url(const durable_http_server *s);

/* Stop: refuse new connections, answer the requests in flight (a blocked
 * RequestResponse Invoke answers 503 ServiceException: the execution goes on
 * when a server opens the file again), end every function process and
 * handler thread, close the file. Idempotent. */
void durable_http_server_stop(durable_http_server *s);

/* Stop if needed and free. Accepts NULL. */
void durable_http_server_free(durable_http_server *s);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_HTTP_H */
