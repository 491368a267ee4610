/*
 * libdurable — the cloud test runner (seed design "CloudDurableTestRunner";
 * libdurable-aws): test a deployed durable function (AWS Lambda, or a
 * function of `durable serve`) through the public Lambda API only, and get
 * the SAME durable_test_result as the local runner (testing.h):
 *
 *     durable_cloud_runner_options o = DURABLE_CLOUD_RUNNER_OPTIONS_INIT;
 *     o.aws.endpoint = "http://127.0.0.1:9009";      // else the AWS environment
 *     durable_cloud_runner *r = NULL;
 *     durable_cloud_runner_new(&r, "order-workflow", &o);
 *     durable_test_result *res = NULL;
 *     durable_cloud_runner_run(&res, r, "{\"order\":42}");  // blocks until closed
 *     durable_test_result_status(res);                     // as for a local run
 *     durable_test_result_free(res);
 *     durable_cloud_runner_free(r);
 *
 * A run: Invoke (RequestResponse by default, or Event) with a generated
 * DurableExecutionName (so the ARN can be found while a RequestResponse
 * Invoke still blocks), then GetDurableExecution and
 * GetDurableExecutionHistory (IncludeExecutionData, following NextMarker)
 * every poll_interval_ms until the execution is terminal and its terminal
 * event is the last of the history. A ResourceNotFoundException from
 * GetDurableExecution right after the Invoke means "not visible yet" (the
 * service is eventually consistent) and is polled again.
 *
 * The result is rebuilt from the history: operations (start order, with
 * their status, timestamps, attempts, results, errors, callback ids,
 * children), invocations (InvocationCompleted events; the outcome is
 * inferred: ERROR with an error, the execution's outcome when the
 * execution closed with it, else PENDING), the events themselves, and the
 * execution's status, result and error from GetDurableExecution. What the
 * history does not carry differs from a local result: a step made READY by
 * its retry timer shows PENDING, a callback cancelled when its execution
 * closed shows STARTED, ContextDetails.ReplayChildren is absent, and the
 * log lines are those options.fetch_logs returns (none by default: on AWS
 * they are in CloudWatch).
 *
 * Live operation handles (durable_cloud_runner_get_operation…) are the
 * durable_test_operation handles of testing.h: durable_test_operation_wait
 * waits (polling the API) for STARTED / SUBMITTED / COMPLETED, and
 * durable_test_operation_send_callback_success / _failure / _heartbeat send
 * SendDurableExecutionCallback* through the API. The local runner's
 * callback responders and callback actions (testing.h) work here too, on
 * real time (delays are real milliseconds).
 *
 * Errors (0 or a negative code; durable_error_last() names the function, the
 * execution and the service's exception):
 *   DURABLE_ENOFUNCTION  "Function not found: NAME" (ResourceNotFoundException on Invoke)
 *   DURABLE_EACCESS      "Access denied: …" (HTTP 403: AccessDeniedException,
 *                        InvalidSignatureException, UnrecognizedClientException)
 *   DURABLE_ETIMEOUT     "Timeout waiting for execution ARN to end after N ms
 *                        (status RUNNING)"; *out is still set to a RUNNING snapshot
 *   DURABLE_ESTATE       a run is already in progress / no run started
 *   DURABLE_ESERDES      input is not JSON
 *   others               the client's (aws.h): DURABLE_EINVAL, DURABLE_ETHROTTLED, …
 *
 * Ownership. Runner and results belong to the caller (their _free accept
 * NULL). Operation handles from the runner's lookups are borrowed from the
 * runner (valid until durable_cloud_runner_free). Option strings are copied.
 *
 * Threads. A runner is used by one test thread. While a run started with
 * durable_cloud_runner_start is in progress, its own threads invoke and
 * poll; the test thread may wait on operation handles and send callbacks.
 */
#ifndef DURABLE_CLOUD_H
#define DURABLE_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "durable/aws.h"
#include "durable/common.h"
#include "durable/testing.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Log lines of one execution, for the result (durable_test_result_log_*):
 * the hook hands each line to durable_cloud_log_add (which copies it), in
 * order. Return 0, or a negative code (the run then ends with it). Called
 * once, after the execution closed.
 */
typedef struct durable_cloud_log_sink durable_cloud_log_sink;
typedef int (*durable_cloud_fetch_logs_fn)(durable_cloud_log_sink *sink,
                                           const char *execution_arn, void *user);
/* Append a copy of line. DURABLE_ENOMEM, DURABLE_EINVAL (NULL). */
int durable_cloud_log_add(durable_cloud_log_sink *sink, const char *line);

typedef struct durable_cloud_runner_options {
    /* The client (region, endpoint, credentials, timeouts; aws.h): NULL
     * fields come from the standard AWS environment. */
    durable_aws_options aws;
    /* RequestResponse (default: the Invoke blocks until the end, on the
     * runner's own thread) or Event (202 at once). */
    durable_aws_invocation_type invocation_type;
    /* Invoke's Qualifier; NULL = none ($LATEST). */
    const char *qualifier;
    /* DurableExecutionName of the next runs; NULL = a new UUID each run. */
    const char *execution_name;
    /* TenantId; NULL = none. */
    const char *tenant_id;
    /* Real ms between polls; 0 = 1000. */
    int64_t poll_interval_ms;
    /* Real ms a run may take from the Invoke to the end; 0 = 300000. */
    int64_t timeout_ms;
    /* End the run with DURABLE_ENOTFOUND when a new callback matches no
     * unused callback action and no responder (as the local runner's
     * strict_callback_actions). */
    bool strict_callback_actions;
    /* Where the result's log lines come from; NULL = none. */
    durable_cloud_fetch_logs_fn fetch_logs;
    void *fetch_logs_user;
    /* MaxItems of each history page; 0 = the service's default (1000). */
    int64_t history_page_size;
} durable_cloud_runner_options;

#define DURABLE_CLOUD_RUNNER_OPTIONS_INIT                                                     \
    { DURABLE_AWS_OPTIONS_INIT, DURABLE_AWS_INVOKE_REQUEST_RESPONSE, NULL, NULL, NULL, 0, 0,  \
      false, NULL, NULL, 0 }

typedef struct durable_cloud_runner durable_cloud_runner;

/* New runner for a function name, name:qualifier or function ARN. opts NULL
 * = defaults. Errors: DURABLE_EINVAL (no function, bad options, or the
 * client cannot be made: no region or credentials), DURABLE_ENOMEM. */
int durable_cloud_runner_new(durable_cloud_runner **out, const char *function,
                             const durable_cloud_runner_options *opts);

/* Frees the runner and its operation handles; a run still in progress is
 * awaited first (its result discarded). Accepts NULL. */
void durable_cloud_runner_free(durable_cloud_runner *r);

/* The runner's client (borrowed), for raw API calls in a test. */
durable_aws_client *durable_cloud_runner_client(durable_cloud_runner *r);

/* Invoke with input (JSON text; NULL = no payload) and block until the
 * execution is terminal. 0 with *out (caller frees) for SUCCEEDED, FAILED,
 * TIMED_OUT and STOPPED executions alike; errors as above. */
int durable_cloud_runner_run(durable_test_result **out, durable_cloud_runner *r,
                             const char *input);

/* Start the same run on the runner's threads; returns once the execution's
 * ARN is known. */
int durable_cloud_runner_start(durable_cloud_runner *r, const char *input);

/* Wait for the started run to end; then as durable_cloud_runner_run. */
int durable_cloud_runner_await(durable_test_result **out, durable_cloud_runner *r);

/* The ARN of the current or last run (borrowed), NULL before the first. */
const char *durable_cloud_runner_execution_arn(const durable_cloud_runner *r);

/* Forget the last run (unbinds the handles); DURABLE_ESTATE while one runs. */
int durable_cloud_runner_reset(durable_cloud_runner *r);

/* Live operation handles (see testing.h "operations"): the same handle for
 * the same selector, bound as soon as the operation is in the history. */
int durable_cloud_runner_get_operation(durable_test_operation **out, durable_cloud_runner *r,
                                       const char *name);
int durable_cloud_runner_get_operation_by_index(durable_test_operation **out,
                                                durable_cloud_runner *r, size_t index);
int durable_cloud_runner_get_operation_by_name_and_index(durable_test_operation **out,
                                                         durable_cloud_runner *r,
                                                         const char *name, size_t index);
int durable_cloud_runner_get_operation_by_id(durable_test_operation **out,
                                             durable_cloud_runner *r, const char *id);

/* Callback responders and actions, with the local runner's rules
 * (testing.h), delays in real ms. DURABLE_ESTATE while a run is in
 * progress; DURABLE_EINVAL for a bad action. */
int durable_cloud_runner_add_callback_responder(durable_cloud_runner *r,
                                                const durable_test_callback_action *a);
int durable_cloud_runner_add_callback_action(durable_cloud_runner *r,
                                             const durable_test_callback_action *a);
void durable_cloud_runner_clear_callback_actions(durable_cloud_runner *r);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_CLOUD_H */
