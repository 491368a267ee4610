/*
 * libdurable — the wire model of SPEC.md §2: enumerations, operations,
 * operation updates, error objects, history events, invocation input and
 * output, and the request/response shapes of the service API, with their
 * JSON encoding (cJSON).
 *
 * Representation rules:
 *  - Text fields are NUL-terminated UTF-8 owned by the struct; NULL = absent.
 *  - Timestamps are int64 epoch milliseconds; 0 = absent.
 *  - Optional integers use DURABLE_ABSENT (-1) for "absent".
 *  - Details objects are flattened into their parent struct; only the fields
 *    that belong to the struct's type are encoded (e.g. `attempt` only for
 *    STEP operations). Decoding reads only those, too.
 *  - Every struct is released with its _clear() function, which frees the
 *    contents (not the struct itself) and leaves it zeroed; _clear accepts
 *    a zeroed struct and NULL.
 *
 * JSON functions:
 *  - durable_X_to_json(cJSON **out, const durable_X *x, ...) builds a new
 *    cJSON tree owned by the caller (free it with cJSON_Delete).
 *  - durable_X_from_json(durable_X *out, const cJSON *json) fills *out (which
 *    the caller zeroes first) and, on error, returns DURABLE_EPARSE or
 *    DURABLE_EINVAL with a last-error message naming the field path and the
 *    reason ("Operations[2].StepDetails.Attempt: expected an integer"); on
 *    error *out is left cleared. Decoders never crash on any input: unknown
 *    keys are ignored, null is treated as absent (SPEC §2.1).
 *  - Timestamps decode from epoch seconds (float), epoch milliseconds
 *    (integer) and RFC 3339 strings; they encode in the format asked for.
 *  - Path parameters (the ARN of checkpoint/state/history/stop requests,
 *    CallbackId, FunctionName) are not part of the JSON: encoders skip them
 *    and decoders leave them NULL for the caller to fill from the route.
 *  - A CheckpointToken that is present but malformed decodes to
 *    DURABLE_ETOKEN with exactly "Invalid Checkpoint Token" (SPEC §3.2);
 *    an absent one decodes to NULL and is the engine's to reject.
 *  - Markers: "" and absent both decode to NULL (no more pages).
 *
 * Thread-safety: all functions are reentrant; structs are not shared.
 */
#ifndef DURABLE_MODEL_H
#define DURABLE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "durable/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DURABLE_ABSENT (-1)

/* SPEC §2.3 limits. */
#define DURABLE_MAX_ID_LEN 64
#define DURABLE_MAX_NAME_LEN 256
#define DURABLE_MAX_SUBTYPE_LEN 32
#define DURABLE_MAX_PAYLOAD_BYTES 6291456
#define DURABLE_MAX_CALLBACK_RESULT_BYTES 262144
#define DURABLE_MAX_ERROR_BYTES 32768
#define DURABLE_MAX_TOKEN_LEN 2048
#define DURABLE_MAX_CLIENT_TOKEN_LEN 64
#define DURABLE_MAX_CALLBACK_ID_LEN 1024
#define DURABLE_MAX_EXECUTION_NAME_LEN 64
#define DURABLE_MAX_FUNCTION_NAME_LEN 140
#define DURABLE_MAX_WAIT_SECONDS 31622400
#define DURABLE_MAX_ITEMS 1000
#define DURABLE_DEFAULT_MAX_ITEMS 100
/* A history page without MaxItems holds up to 1,000 events (SPEC §9.6: the
 * official conformance runner reads one page and ignores NextMarker). */
#define DURABLE_DEFAULT_HISTORY_MAX_ITEMS 1000

/* ---- enumerations (value 0 = absent/unknown) --------------------------- */

typedef enum durable_op_type {
    DURABLE_OP_TYPE_NONE = 0,
    DURABLE_OP_EXECUTION,
    DURABLE_OP_CONTEXT,
    DURABLE_OP_STEP,
    DURABLE_OP_WAIT,
    DURABLE_OP_CALLBACK,
    DURABLE_OP_CHAINED_INVOKE
} durable_op_type;

typedef enum durable_op_status {
    DURABLE_OP_STATUS_NONE = 0,
    DURABLE_OP_STARTED,
    DURABLE_OP_PENDING,
    DURABLE_OP_READY,
    DURABLE_OP_SUCCEEDED,
    DURABLE_OP_FAILED,
    DURABLE_OP_CANCELLED,
    DURABLE_OP_TIMED_OUT,
    DURABLE_OP_STOPPED
} durable_op_status;

typedef enum durable_op_action {
    DURABLE_ACTION_NONE = 0,
    DURABLE_ACTION_START,
    DURABLE_ACTION_SUCCEED,
    DURABLE_ACTION_FAIL,
    DURABLE_ACTION_RETRY,
    DURABLE_ACTION_CANCEL
} durable_op_action;

typedef enum durable_exec_status {
    DURABLE_EXEC_STATUS_NONE = 0,
    DURABLE_EXEC_RUNNING,
    DURABLE_EXEC_SUCCEEDED,
    DURABLE_EXEC_FAILED,
    DURABLE_EXEC_TIMED_OUT,
    DURABLE_EXEC_STOPPED
} durable_exec_status;

typedef enum durable_invocation_status {
    DURABLE_INVOCATION_STATUS_NONE = 0,
    DURABLE_INVOCATION_SUCCEEDED,
    DURABLE_INVOCATION_FAILED,
    DURABLE_INVOCATION_PENDING
} durable_invocation_status;

typedef enum durable_event_type {
    DURABLE_EVENT_NONE = 0,
    DURABLE_EVENT_EXECUTION_STARTED,
    DURABLE_EVENT_EXECUTION_SUCCEEDED,
    DURABLE_EVENT_EXECUTION_FAILED,
    DURABLE_EVENT_EXECUTION_TIMED_OUT,
    DURABLE_EVENT_EXECUTION_STOPPED,
    DURABLE_EVENT_CONTEXT_STARTED,
    DURABLE_EVENT_CONTEXT_SUCCEEDED,
    DURABLE_EVENT_CONTEXT_FAILED,
    DURABLE_EVENT_WAIT_STARTED,
    DURABLE_EVENT_WAIT_SUCCEEDED,
    DURABLE_EVENT_WAIT_CANCELLED,
    DURABLE_EVENT_STEP_STARTED,
    DURABLE_EVENT_STEP_SUCCEEDED,
    DURABLE_EVENT_STEP_FAILED,
    DURABLE_EVENT_CHAINED_INVOKE_STARTED,
    DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED,
    DURABLE_EVENT_CHAINED_INVOKE_FAILED,
    DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT,
    DURABLE_EVENT_CHAINED_INVOKE_STOPPED,
    DURABLE_EVENT_CALLBACK_STARTED,
    DURABLE_EVENT_CALLBACK_SUCCEEDED,
    DURABLE_EVENT_CALLBACK_FAILED,
    DURABLE_EVENT_CALLBACK_TIMED_OUT,
    DURABLE_EVENT_INVOCATION_COMPLETED
} durable_event_type;

#define DURABLE_EVENT_TYPE_COUNT 24

/* Wire names ("CHAINED_INVOKE", "StepSucceeded"); static, never NULL ("" for NONE/unknown). */
const char *durable_op_type_name(durable_op_type v);
const char *durable_op_status_name(durable_op_status v);
const char *durable_op_action_name(durable_op_action v);
const char *durable_exec_status_name(durable_exec_status v);
const char *durable_invocation_status_name(durable_invocation_status v);
const char *durable_event_type_name(durable_event_type v);

/* Parse a wire name (exact, case-sensitive); DURABLE_EINVAL if unknown. */
int durable_op_type_parse(durable_op_type *out, const char *s);
int durable_op_status_parse(durable_op_status *out, const char *s);
int durable_op_action_parse(durable_op_action *out, const char *s);
int durable_exec_status_parse(durable_exec_status *out, const char *s);
int durable_invocation_status_parse(durable_invocation_status *out, const char *s);
int durable_event_type_parse(durable_event_type *out, const char *s);

/* SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, STOPPED. */
bool durable_op_status_is_terminal(durable_op_status s);

/* ---- timestamps ---------------------------------------------------------- */

typedef enum durable_ts_format {
    DURABLE_TS_EPOCH_MS = 0,    /* integer milliseconds (invocation input) */
    DURABLE_TS_EPOCH_SECONDS,   /* float seconds with ms fraction (HTTP API) */
    DURABLE_TS_RFC3339          /* "2026-01-01T00:00:00.123Z" */
} durable_ts_format;

/* Decode a JSON timestamp (number or RFC 3339 string) into epoch ms. A
 * number with a fractional part or below 1e11 is seconds; an integer at or
 * above 1e11 is milliseconds. DURABLE_EPARSE if it cannot be parsed. */
int durable_ts_from_json(int64_t *out, const cJSON *json);

/* New cJSON value for `ms` in `fmt`; NULL on allocation failure. */
cJSON *durable_ts_to_json(int64_t ms, durable_ts_format fmt);

/* Format `ms` as RFC 3339 UTC with milliseconds into buf (>= 32 bytes). */
void durable_ts_format_rfc3339(char *buf, size_t size, int64_t ms);

/* Parse RFC 3339 / ISO 8601 text ("2026-01-01T00:00:00Z", offsets, fractions)
 * or epoch seconds text into epoch ms. DURABLE_EPARSE if malformed. */
int durable_ts_parse(int64_t *out, const char *text);

/* ---- ErrorObject (SPEC §2.4) ---------------------------------------------- */

typedef struct durable_error_object {
    char *error_type;     /* ErrorType */
    char *error_message;  /* ErrorMessage */
    char *error_data;     /* ErrorData */
    char **stack_trace;   /* StackTrace; NULL = absent */
    size_t stack_trace_count;
} durable_error_object;

void durable_error_object_clear(durable_error_object *e);
/* Heap copy / free of an error object (durable_error_object_free accepts NULL). */
int durable_error_object_dup(durable_error_object **out, const durable_error_object *e);
void durable_error_object_free(durable_error_object *e);
/* Deep copy into *out (zeroed by the caller). */
int durable_error_object_copy(durable_error_object *out, const durable_error_object *e);
/* Convenience: new heap error object with the given (nullable) fields. */
int durable_error_object_new(durable_error_object **out, const char *type,
                             const char *message, const char *data);
bool durable_error_object_equal(const durable_error_object *a, const durable_error_object *b);
int durable_error_object_to_json(cJSON **out, const durable_error_object *e);
int durable_error_object_from_json(durable_error_object *out, const cJSON *json);
/* Size in bytes of the compact JSON encoding (for the 32,768-byte limit). */
size_t durable_error_object_json_size(const durable_error_object *e);
/* Truncate ErrorMessage/ErrorData so the compact JSON fits in max_bytes. */
int durable_error_object_truncate(durable_error_object *e, size_t max_bytes);

/* ---- Operation (SPEC §2.5) ------------------------------------------------ */

typedef struct durable_operation {
    char *id;
    char *parent_id;
    char *name;
    char *subtype;
    durable_op_type type;
    durable_op_status status;
    int64_t start_timestamp;   /* ms, required */
    int64_t end_timestamp;     /* ms, 0 = absent */

    /* ExecutionDetails */
    char *input_payload;
    /* ContextDetails.ReplayChildren: DURABLE_ABSENT, 0 or 1 */
    int replay_children;
    /* StepDetails */
    int64_t attempt;                /* DURABLE_ABSENT or >= 0 */
    int64_t next_attempt_timestamp; /* ms, 0 = absent */
    /* WaitDetails */
    int64_t scheduled_end_timestamp; /* ms */
    /* CallbackDetails */
    char *callback_id;
    /* Result / Error of CONTEXT, STEP, CALLBACK, CHAINED_INVOKE details */
    char *result;
    durable_error_object *error;
} durable_operation;

/* Zero an operation and set its optional integers to DURABLE_ABSENT. */
void durable_operation_init(durable_operation *op);
void durable_operation_clear(durable_operation *op);
int durable_operation_copy(durable_operation *out, const durable_operation *op);
bool durable_operation_equal(const durable_operation *a, const durable_operation *b);
int durable_operation_to_json(cJSON **out, const durable_operation *op, durable_ts_format fmt);
int durable_operation_from_json(durable_operation *out, const cJSON *json);

/* A growable array of operations (used by state, deltas and inputs). */
typedef struct durable_operation_list {
    durable_operation *items;
    size_t count;
    size_t capacity;
} durable_operation_list;

void durable_operation_list_clear(durable_operation_list *l);
/* Append a deep copy of op. */
int durable_operation_list_append(durable_operation_list *l, const durable_operation *op);
/* Append op by moving its contents (op is left zeroed). */
int durable_operation_list_take(durable_operation_list *l, durable_operation *op);

/* ---- OperationUpdate (SPEC §2.6) ------------------------------------------ */

typedef enum durable_update_options_kind {
    DURABLE_OPTIONS_NONE = 0,
    DURABLE_OPTIONS_CONTEXT,        /* ContextOptions */
    DURABLE_OPTIONS_STEP,           /* StepOptions */
    DURABLE_OPTIONS_WAIT,           /* WaitOptions */
    DURABLE_OPTIONS_CALLBACK,       /* CallbackOptions */
    DURABLE_OPTIONS_CHAINED_INVOKE  /* ChainedInvokeOptions */
} durable_update_options_kind;

typedef struct durable_operation_update {
    char *id;
    char *parent_id;
    char *name;
    char *subtype;
    durable_op_type type;
    durable_op_action action;
    char *payload;
    durable_error_object *error;

    /* Which options object is present (at most one). Fields of other kinds
     * are ignored. Integers are DURABLE_ABSENT when the key is absent. */
    durable_update_options_kind options;
    int replay_children;                 /* ContextOptions.ReplayChildren */
    int64_t next_attempt_delay_seconds;  /* StepOptions */
    int64_t wait_seconds;                /* WaitOptions */
    int64_t timeout_seconds;             /* CallbackOptions */
    int64_t heartbeat_timeout_seconds;   /* CallbackOptions */
    char *function_name;                 /* ChainedInvokeOptions */
    char *tenant_id;                     /* ChainedInvokeOptions */
} durable_operation_update;

void durable_operation_update_init(durable_operation_update *u);
void durable_operation_update_clear(durable_operation_update *u);
int durable_operation_update_copy(durable_operation_update *out, const durable_operation_update *u);
bool durable_operation_update_equal(const durable_operation_update *a,
                                    const durable_operation_update *b);
int durable_operation_update_to_json(cJSON **out, const durable_operation_update *u);
int durable_operation_update_from_json(durable_operation_update *out, const cJSON *json);

/* ---- History events (SPEC §9) -------------------------------------------- */

typedef struct durable_event {
    durable_event_type type;
    int64_t event_id;          /* >= 1 */
    int64_t timestamp;         /* EventTimestamp, ms */
    char *id;                  /* operation events only */
    char *name;
    char *subtype;
    char *parent_id;

    /* Input (ExecutionStarted, ChainedInvokeStarted) or Result (…Succeeded):
     * has_payload_object says whether the EventInput/EventResult object is
     * present; payload may still be NULL (no payload); truncated is its flag. */
    bool has_payload_object;
    char *payload;
    bool truncated;
    /* Error (…Failed, …TimedOut, …Stopped, WaitCancelled?, InvocationCompleted?) */
    durable_error_object *error;
    bool error_truncated;

    int64_t execution_timeout;           /* ExecutionStarted.ExecutionTimeout */
    int64_t duration;                    /* WaitStarted/WaitSucceeded.Duration */
    int64_t scheduled_end_timestamp;     /* WaitStarted, ms */
    int64_t current_attempt;             /* RetryDetails.CurrentAttempt (Step*) */
    int64_t next_attempt_delay_seconds;  /* RetryDetails.NextAttemptDelaySeconds */
    char *function_name;                 /* ChainedInvokeStarted */
    char *tenant_id;
    char *executed_version;
    char *durable_execution_arn;
    char *callback_id;                   /* CallbackStarted */
    int64_t timeout;                     /* CallbackStarted.Timeout */
    int64_t heartbeat_timeout;           /* CallbackStarted.HeartbeatTimeout */
    int64_t invocation_start_timestamp;  /* InvocationCompleted.StartTimestamp */
    int64_t invocation_end_timestamp;    /* InvocationCompleted.EndTimestamp */
    char *request_id;                    /* InvocationCompleted.RequestId */
} durable_event;

void durable_event_init(durable_event *e);
void durable_event_clear(durable_event *e);
int durable_event_copy(durable_event *out, const durable_event *e);
bool durable_event_equal(const durable_event *a, const durable_event *b);
/* Encodes the service shape, `<EventType>Details` always present. */
int durable_event_to_json(cJSON **out, const durable_event *e, durable_ts_format fmt);
int durable_event_from_json(durable_event *out, const cJSON *json);

/* ---- Invocation input / output (SPEC §2.7) -------------------------------- */

typedef struct durable_invocation_input {
    char *durable_execution_arn;
    char *checkpoint_token;
    durable_operation_list operations;   /* InitialExecutionState.Operations */
    char *next_marker;                   /* InitialExecutionState.NextMarker; "" or NULL = end */
    char **updated_operation_ids;        /* NULL = absent */
    size_t updated_operation_id_count;
} durable_invocation_input;

void durable_invocation_input_clear(durable_invocation_input *in);
int durable_invocation_input_to_json(cJSON **out, const durable_invocation_input *in);
int durable_invocation_input_from_json(durable_invocation_input *out, const cJSON *json);

typedef struct durable_invocation_output {
    durable_invocation_status status;
    char *result;                /* SUCCEEDED: Result (NULL = absent) */
    durable_error_object *error; /* FAILED: Error */
} durable_invocation_output;

void durable_invocation_output_clear(durable_invocation_output *o);
int durable_invocation_output_to_json(cJSON **out, const durable_invocation_output *o);
int durable_invocation_output_from_json(durable_invocation_output *out, const cJSON *json);

/* ---- CheckpointDurableExecution ------------------------------------------- */

typedef struct durable_checkpoint_request {
    char *durable_execution_arn;   /* path parameter (not in the JSON body) */
    char *checkpoint_token;
    durable_operation_update *updates;
    size_t update_count;
    char *client_token;
} durable_checkpoint_request;

void durable_checkpoint_request_clear(durable_checkpoint_request *r);
int durable_checkpoint_request_to_json(cJSON **out, const durable_checkpoint_request *r);
int durable_checkpoint_request_from_json(durable_checkpoint_request *out, const cJSON *json);

typedef struct durable_checkpoint_response {
    char *checkpoint_token;              /* NULL when the checkpoint closed the execution */
    durable_operation_list operations;   /* NewExecutionState.Operations (a delta) */
    char *next_marker;
} durable_checkpoint_response;

void durable_checkpoint_response_clear(durable_checkpoint_response *r);
int durable_checkpoint_response_to_json(cJSON **out, const durable_checkpoint_response *r,
                                        durable_ts_format fmt);
int durable_checkpoint_response_from_json(durable_checkpoint_response *out, const cJSON *json);

/* ---- GetDurableExecutionState --------------------------------------------- */

typedef struct durable_state_request {
    char *durable_execution_arn;
    char *checkpoint_token;
    char *marker;       /* NULL = first page */
    int64_t max_items;  /* 0 or DURABLE_ABSENT = default 100 */
} durable_state_request;

void durable_state_request_clear(durable_state_request *r);
int durable_state_request_to_json(cJSON **out, const durable_state_request *r);
int durable_state_request_from_json(durable_state_request *out, const cJSON *json);

typedef struct durable_state_response {
    durable_operation_list operations;
    char *next_marker;  /* NULL = last page */
} durable_state_response;

void durable_state_response_clear(durable_state_response *r);
int durable_state_response_to_json(cJSON **out, const durable_state_response *r,
                                   durable_ts_format fmt);
int durable_state_response_from_json(durable_state_response *out, const cJSON *json);

/* ---- Callback APIs --------------------------------------------------------- */

typedef enum durable_callback_kind {
    DURABLE_CALLBACK_SUCCESS = 1,
    DURABLE_CALLBACK_FAILURE,
    DURABLE_CALLBACK_HEARTBEAT
} durable_callback_kind;

typedef struct durable_callback_request {
    durable_callback_kind kind;
    char *callback_id;            /* path parameter */
    char *result;                 /* SUCCESS: raw body bytes (UTF-8); NULL = empty */
    size_t result_len;
    durable_error_object *error;  /* FAILURE: the body ErrorObject; NULL = {} */
} durable_callback_request;

void durable_callback_request_clear(durable_callback_request *r);
/* The request body: the raw result (SUCCESS), the ErrorObject (FAILURE), or
 * nothing (HEARTBEAT, *out = NULL). */
int durable_callback_request_to_json(cJSON **out, const durable_callback_request *r);
/* json: SUCCESS — a cJSON raw item (cJSON_CreateRaw) holding the body bytes
 * (any other value is taken as its compact JSON text), NULL for an empty
 * body; the body must be UTF-8 and at most 262,144 bytes (DURABLE_EINVAL).
 * FAILURE — the ErrorObject, as an object or as raw text; NULL or empty
 * means {}. HEARTBEAT — ignored. A callback_id that is not 1-1,024
 * characters of base64 gives DURABLE_ENOTFOUND "Callback not found.". */
int durable_callback_request_from_json(durable_callback_request *out, durable_callback_kind kind,
                                       const char *callback_id, const cJSON *json);

/* ---- GetDurableExecution / ListDurableExecutionsByFunction ---------------- */

typedef struct durable_execution_info {
    char *durable_execution_arn;
    char *durable_execution_name;
    char *function_arn;
    durable_exec_status status;
    int64_t start_timestamp;
    int64_t end_timestamp;       /* 0 = absent */
    char *input_payload;         /* GetDurableExecution only */
    char *result;
    durable_error_object *error;
    char *version;
} durable_execution_info;

void durable_execution_info_clear(durable_execution_info *x);
int durable_execution_info_copy(durable_execution_info *out, const durable_execution_info *x);
bool durable_execution_info_equal(const durable_execution_info *a, const durable_execution_info *b);
int durable_execution_info_to_json(cJSON **out, const durable_execution_info *x,
                                   durable_ts_format fmt);
int durable_execution_info_from_json(durable_execution_info *out, const cJSON *json);

typedef struct durable_list_request {
    char *function_name;         /* path parameter */
    char *qualifier;
    char *durable_execution_name;
    durable_exec_status *statuses;  /* OR-ed; NULL = any */
    size_t status_count;
    int64_t started_after;       /* ms, 0 = absent */
    int64_t started_before;      /* ms, 0 = absent */
    bool reverse_order;
    char *marker;
    int64_t max_items;
} durable_list_request;

void durable_list_request_clear(durable_list_request *r);
int durable_list_request_to_json(cJSON **out, const durable_list_request *r);
int durable_list_request_from_json(durable_list_request *out, const cJSON *json);

typedef struct durable_list_response {
    durable_execution_info *executions;   /* summaries: no input/result/error */
    size_t count;
    char *next_marker;
} durable_list_response;

void durable_list_response_clear(durable_list_response *r);
int durable_list_response_to_json(cJSON **out, const durable_list_response *r,
                                  durable_ts_format fmt);
int durable_list_response_from_json(durable_list_response *out, const cJSON *json);

/* ---- GetDurableExecutionHistory ------------------------------------------- */

typedef struct durable_history_request {
    char *durable_execution_arn;
    bool include_execution_data;
    int64_t max_items;
    char *marker;
    bool reverse_order;
} durable_history_request;

void durable_history_request_clear(durable_history_request *r);
int durable_history_request_to_json(cJSON **out, const durable_history_request *r);
int durable_history_request_from_json(durable_history_request *out, const cJSON *json);

typedef struct durable_history_response {
    durable_event *events;
    size_t count;
    char *next_marker;
} durable_history_response;

void durable_history_response_clear(durable_history_response *r);
int durable_history_response_to_json(cJSON **out, const durable_history_response *r,
                                     durable_ts_format fmt);
int durable_history_response_from_json(durable_history_response *out, const cJSON *json);

/* ---- StopDurableExecution -------------------------------------------------- */

typedef struct durable_stop_request {
    char *durable_execution_arn;
    durable_error_object *error;  /* NULL = absent */
} durable_stop_request;

void durable_stop_request_clear(durable_stop_request *r);
int durable_stop_request_to_json(cJSON **out, const durable_stop_request *r);
/* json NULL (empty body) decodes to no Error. */
int durable_stop_request_from_json(durable_stop_request *out, const cJSON *json);

typedef struct durable_stop_response {
    int64_t stop_timestamp;
} durable_stop_response;

int durable_stop_response_to_json(cJSON **out, const durable_stop_response *r,
                                  durable_ts_format fmt);
int durable_stop_response_from_json(durable_stop_response *out, const cJSON *json);

/* ---- text helpers ------------------------------------------------------------ */

/* Compact JSON text of a tree (cJSON_PrintUnformatted through the library
 * allocator); free with durable_free. NULL on allocation failure or for a
 * tree cJSON cannot print (an item of no valid type, a raw item without
 * text). */
char *durable_json_print(const cJSON *json);

/* Parse JSON text; DURABLE_EPARSE with the byte offset of the error. The
 * tree belongs to the caller (cJSON_Delete). */
int durable_json_parse(cJSON **out, const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_MODEL_H */
