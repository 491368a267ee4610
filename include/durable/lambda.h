/*
 * libdurable — the Lambda runtime loop (libdurable-aws): the whole `main` of
 * a C durable function deployed as a custom runtime (`provided.al2023`) or
 * run as a function of `durable serve`.
 *
 *     static int handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user);
 *     int main(void) {
 *         durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
 *         return durable_lambda_run(handler, NULL, &o) == 0 ? 0 : 1;
 *     }
 *
 * The loop speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API
 * (host:port): it long-polls `invocation/next`, runs the durable invocation
 * (durable_handle_invocation) with the HTTP client of aws.h, and posts the
 * handler output (HTTP_API.md §2.1) to `invocation/{id}/response`, or an
 * invocation error to `invocation/{id}/error` as
 * {"errorMessage","errorType","stackTrace"} with the header
 * Lambda-Runtime-Function-Error-Type. An event that is not a durable
 * invocation is such an error (InvalidDurableExecutionInput). A bad
 * environment (no region, no credentials) is posted to `init/error`.
 */
#ifndef DURABLE_LAMBDA_H
#define DURABLE_LAMBDA_H

#include <stdint.h>

#include "durable/aws.h"
#include "durable/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_lambda_options {
    const char *runtime_api;               /* host:port; NULL: AWS_LAMBDA_RUNTIME_API */
    durable_aws_options aws;               /* the client the handler checkpoints with */
    durable_invocation_options invocation; /* request_id is set per invocation */
    long max_invocations;                  /* return after this many; 0: never return */
} durable_lambda_options;
#define DURABLE_LAMBDA_OPTIONS_INIT                                                           \
    { NULL, DURABLE_AWS_OPTIONS_INIT, DURABLE_INVOCATION_OPTIONS_INIT, 0 }

/* The invocation being run, for handlers (the Lambda context object). */
typedef struct durable_lambda_invocation {
    const char *request_id;           /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_ms;              /* Lambda-Runtime-Deadline-Ms (epoch ms); 0 if absent */
    const char *invoked_function_arn; /* Lambda-Runtime-Invoked-Function-Arn; "" if absent */
    const char *trace_id;             /* Lambda-Runtime-Trace-Id; "" if absent */
} durable_lambda_invocation;

/* The invocation durable_lambda_run is running now, or NULL outside one.
 * Borrowed; valid until the handler returns. Readable from any thread the
 * handler's operations run on. */
const durable_lambda_invocation *durable_lambda_current(void);

/* Milliseconds until the current invocation's deadline (never negative);
 * INT64_MAX outside an invocation or without a deadline. */
int64_t durable_lambda_remaining_ms(void);

/*
 * Run the loop. The deadline of each invocation caps the client's calls
 * (durable_aws_client_set_deadline) and is readable through
 * durable_lambda_remaining_ms(); the trace id is exported as
 * _X_AMZN_TRACE_ID. Returns 0 after opts->max_invocations invocations (it
 * never returns when that is 0, unless the Runtime API fails),
 * DURABLE_EINVAL for an init failure (posted to init/error when the Runtime
 * API is known; always printed on stderr), DURABLE_EIO when the Runtime API
 * cannot be reached or answers out of protocol. handler, user and opts are
 * borrowed for the call. One loop per process.
 */
int durable_lambda_run(durable_handler_fn handler, void *user, const durable_lambda_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_LAMBDA_H */
