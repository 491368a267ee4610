/*
 * libdurable — the HTTP client of the Lambda durable-execution API
 * (libdurable-aws, on libcurl; HTTP_API.md §2, §5, §6.2).
 *
 * One client talks to the real AWS Lambda service or to `durable serve`.
 * It implements the SDK's durable_client seam (checkpoint, state,
 * callbacks), so a handler runs unchanged over HTTP, and offers the
 * service's other routes (Invoke, GetDurableExecution, history, list, stop)
 * to runners and tools, returning the model structs of model.h.
 *
 * Configuration: every option left NULL/0 comes from the standard AWS
 * environment when the client is created (see durable_aws_options).
 * Requests are signed with SigV4 (service "lambda") by the library itself:
 * the libcurl of the supported Debian release signs the path as sent and the
 * query unsorted, which AWS rejects for any percent-encoded ARN
 * (HTTP_API.md §6.1 needs the path encoded twice and the query sorted).
 *
 * Transport: connections are kept alive and reused across calls (a pool of
 * libcurl handles sharing one connection cache); connect and request
 * timeouts default to 5 s / 50 s like the official SDKs. A call that gets
 * HTTP 429, a 5xx or a network failure is retried with bounded exponential
 * backoff (same request, same ClientToken). Every checkpoint carries a
 * ClientToken (a new UUID when the request has none).
 *
 * Errors (return codes; the service's exception name and message are kept
 * in durable_aws_error_last(), the message also in durable_error_last()):
 *   DURABLE_ENOTFOUND         ResourceNotFoundException (404)
 *   DURABLE_ETOKEN            a 400 whose message starts "Invalid Checkpoint Token"
 *   DURABLE_EMARKER           "Invalid marker"
 *   DURABLE_ECALLBACK_DONE    "Callback has already been completed."
 *   DURABLE_ECALLBACK_TIMEOUT CallbackTimeoutException
 *   DURABLE_ECLOSED           "Execution is not running."
 *   DURABLE_EEXISTS           DurableExecutionAlreadyStartedException (409)
 *   DURABLE_EACCESS           403 (AccessDeniedException, a bad signature,
 *                             unknown keys)
 *   DURABLE_EINVAL            any other 4xx (validation), and bad arguments
 *   DURABLE_ETHROTTLED        429, 5xx or a network failure after the last
 *                             retry (the SDK's batcher retries on top)
 *   DURABLE_EPARSE            a 2xx response whose body is not the expected JSON
 *   DURABLE_ENOMEM            allocation failure
 *
 * Ownership: responses are filled into *out, which the caller zeroes first
 * and releases with the model's _clear function (or
 * durable_aws_invoke_response_clear). Request structs and strings are
 * borrowed for the call.
 *
 * Threads: a client may be used from any number of threads at once (each
 * call takes a free connection handle from the client's pool).
 */
#ifndef DURABLE_AWS_H
#define DURABLE_AWS_H

#include <stddef.h>
#include <stdint.h>

#include "durable/client.h"
#include "durable/common.h"
#include "durable/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Client options. NULL strings and zero numbers take the default:
 *   region             AWS_REGION, then AWS_DEFAULT_REGION (required)
 *   endpoint           AWS_ENDPOINT_URL_LAMBDA, then AWS_ENDPOINT_URL (both
 *                      ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
 *                      "true"), else https://lambda.<region>.amazonaws.com
 *   access_key_id      AWS_ACCESS_KEY_ID (required)
 *   secret_access_key  AWS_SECRET_ACCESS_KEY (required)
 *   session_token      AWS_SESSION_TOKEN, sent as x-amz-security-token; taken
 *                      from the environment only when the keys are too (a
 *                      key pair set in code has no session token unless set
 *                      in code)
 *   connect_timeout_ms 5000;  request_timeout_ms 50000 (whole request)
 *   max_attempts       3 (the first try and two retries); 1 = no retry
 *   backoff_initial_ms 100, doubling per retry, capped at backoff_max_ms
 *   backoff_max_ms     5000 (each wait is drawn in [d/2, d])
 *   user_agent         "libdurable/<version>"
 */
typedef struct durable_aws_options {
    const char *region;
    const char *endpoint;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    long connect_timeout_ms;
    long request_timeout_ms;
    int max_attempts;
    int backoff_initial_ms;
    int backoff_max_ms;
    const char *user_agent;
} durable_aws_options;
#define DURABLE_AWS_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL }

typedef struct durable_aws_client durable_aws_client;

/* New client; options (may be NULL: all from the environment) are copied.
 * DURABLE_EINVAL with a message naming the missing setting when no region
 * or no credentials are found, or the endpoint is not an http(s) URL. */
int durable_aws_client_new(durable_aws_client **out, const durable_aws_options *opts);
/* Closes the kept-alive connections. Accepts NULL. */
void durable_aws_client_free(durable_aws_client *c);

/* The client as the SDK's seam (for durable_handle_invocation). Borrowed:
 * lives as long as c; never pass it to durable_client_free. */
durable_client *durable_aws_client_durable(durable_aws_client *c);

/* The resolved endpoint (no trailing '/') and region; borrowed. */
const char *durable_aws_client_endpoint(const durable_aws_client *c);
const char *durable_aws_client_region(const durable_aws_client *c);

/* Cap every later call (and its retries) at an absolute deadline in epoch
 * milliseconds, e.g. the Lambda invocation deadline; 0 removes the cap.
 * Thread-safe. */
void durable_aws_client_set_deadline(durable_aws_client *c, int64_t deadline_ms);

/* The last failed call's service detail on the calling thread (never NULL,
 * never freed; valid until the next call on this thread). Every call resets
 * it; a success leaves it zeroed. */
typedef struct durable_aws_error {
    int code;               /* the DURABLE_E* code returned */
    long http_status;       /* 0: no HTTP response (network failure) */
    const char *type;       /* exception name ("ResourceNotFoundException"); "" if none */
    const char *message;    /* the service's message, or the network error */
    const char *request_id; /* x-amzn-RequestId; "" if none */
    int attempts;           /* requests sent, retries included */
} durable_aws_error;
const durable_aws_error *durable_aws_error_last(void);

/* ---- the SDK's routes (also reachable through durable_aws_client_durable) ---- */

/* CheckpointDurableExecution. req->client_token NULL: a new UUID, reused
 * by every retry of this call. */
int durable_aws_checkpoint(durable_aws_client *c, durable_checkpoint_response *out,
                           const durable_checkpoint_request *req);
/* GetDurableExecutionState (query CheckpointToken, Marker, MaxItems). */
int durable_aws_get_state(durable_aws_client *c, durable_state_response *out,
                          const durable_state_request *req);
/* SendDurableExecutionCallbackSuccess: result is sent verbatim (NULL or
 * length 0 = empty body). */
int durable_aws_callback_success(durable_aws_client *c, const char *callback_id,
                                 const char *result, size_t result_len);
/* SendDurableExecutionCallbackFailure: the bare ErrorObject (NULL = {}). */
int durable_aws_callback_failure(durable_aws_client *c, const char *callback_id,
                                 const durable_error_object *error);
int durable_aws_callback_heartbeat(durable_aws_client *c, const char *callback_id);

/* ---- runners' and tools' routes -------------------------------------------- */

/* GetDurableExecution. */
int durable_aws_get_execution(durable_aws_client *c, durable_execution_info *out,
                              const char *durable_execution_arn);
/* GetDurableExecutionHistory: one page (follow out->next_marker for more). */
int durable_aws_get_history(durable_aws_client *c, durable_history_response *out,
                            const durable_history_request *req);
/* ListDurableExecutionsByFunction: one page. */
int durable_aws_list_executions(durable_aws_client *c, durable_list_response *out,
                                const durable_list_request *req);
/* StopDurableExecution; error NULL sends an empty body. */
int durable_aws_stop(durable_aws_client *c, durable_stop_response *out,
                     const char *durable_execution_arn, const durable_error_object *error);

typedef enum durable_aws_invocation_type {
    DURABLE_AWS_INVOKE_REQUEST_RESPONSE = 0, /* waits for the end of the execution */
    DURABLE_AWS_INVOKE_EVENT,                /* 202 at once */
    DURABLE_AWS_INVOKE_DRY_RUN
} durable_aws_invocation_type;

typedef struct durable_aws_invoke_request {
    const char *function_name;          /* name, name:qualifier or ARN (required) */
    const char *qualifier;              /* NULL: none (the service's $LATEST) */
    durable_aws_invocation_type invocation_type;
    const char *durable_execution_name; /* NULL: the service names it */
    const char *tenant_id;              /* NULL: none */
    const char *payload;                /* the input JSON text; NULL = empty body */
    size_t payload_len;
    long timeout_ms;                    /* 0: the client's request timeout */
} durable_aws_invoke_request;
#define DURABLE_AWS_INVOKE_REQUEST_INIT                                                       \
    { NULL, NULL, DURABLE_AWS_INVOKE_REQUEST_RESPONSE, NULL, NULL, NULL, 0, 0 }

typedef struct durable_aws_invoke_response {
    long status_code;            /* 200, or 202 for Event, 204 for DryRun */
    char *durable_execution_arn; /* X-Amz-Durable-Execution-Arn */
    char *executed_version;      /* X-Amz-Executed-Version */
    char *function_error;        /* X-Amz-Function-Error ("Unhandled"); NULL if none */
    char *request_id;            /* x-amzn-RequestId */
    char *payload;               /* the body, NUL-terminated; "" when empty */
    size_t payload_len;
} durable_aws_invoke_response;

void durable_aws_invoke_response_clear(durable_aws_invoke_response *r);

/* Invoke. A failed execution is still a success of the call (0): its
 * ErrorObject is the payload and function_error is set. Retries: 429 and
 * 5xx, and network failures only before the request was sent (a request
 * that may have reached the service could otherwise start a second
 * execution). */
int durable_aws_invoke(durable_aws_client *c, durable_aws_invoke_response *out,
                       const durable_aws_invoke_request *req);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_AWS_H */
