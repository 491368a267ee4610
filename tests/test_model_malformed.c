/* Malformed input corpus: wrong types, missing required fields, values out
 * of the SPEC §2.3 limits, huge strings, invalid UTF-8, deep nesting, and
 * random mutations of valid documents. Every case must fail cleanly: the
 * right code, a message naming the field path, the out struct left
 * cleared, no crash and no leak (run under ASan and valgrind). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/ids.h"
#include "durable/model.h"
#include "support/testutil.h"

/* ---- a uniform view of every decoder ------------------------------------- */

typedef struct decoder {
    const char *name;
    size_t size;
    int (*decode)(void *out, const cJSON *j);
    void (*clear)(void *x);
    void (*init)(void *x); /* the "cleared" state */
} decoder;

static void zero_init(void *x) { (void)x; }

#define WRAP(T, fn, clr)                                                             \
    static int dec_##T(void *out, const cJSON *j) { return fn((T *)out, j); }       \
    static void clr_##T(void *x) { clr((T *)x); }

WRAP(durable_operation, durable_operation_from_json, durable_operation_clear)
WRAP(durable_operation_update, durable_operation_update_from_json, durable_operation_update_clear)
WRAP(durable_event, durable_event_from_json, durable_event_clear)
WRAP(durable_error_object, durable_error_object_from_json, durable_error_object_clear)
WRAP(durable_invocation_input, durable_invocation_input_from_json, durable_invocation_input_clear)
WRAP(durable_invocation_output, durable_invocation_output_from_json, durable_invocation_output_clear)
WRAP(durable_checkpoint_request, durable_checkpoint_request_from_json, durable_checkpoint_request_clear)
WRAP(durable_checkpoint_response, durable_checkpoint_response_from_json, durable_checkpoint_response_clear)
WRAP(durable_state_request, durable_state_request_from_json, durable_state_request_clear)
WRAP(durable_state_response, durable_state_response_from_json, durable_state_response_clear)
WRAP(durable_execution_info, durable_execution_info_from_json, durable_execution_info_clear)
WRAP(durable_list_request, durable_list_request_from_json, durable_list_request_clear)
WRAP(durable_list_response, durable_list_response_from_json, durable_list_response_clear)
WRAP(durable_history_request, durable_history_request_from_json, durable_history_request_clear)
WRAP(durable_history_response, durable_history_response_from_json, durable_history_response_clear)
WRAP(durable_stop_request, durable_stop_request_from_json, durable_stop_request_clear)

static int dec_stop_response(void *out, const cJSON *j)
{
    return durable_stop_response_from_json((durable_stop_response *)out, j);
}
static void clr_stop_response(void *x) { memset(x, 0, sizeof(durable_stop_response)); }
static void init_op(void *x) { durable_operation_init((durable_operation *)x); }
static void init_update(void *x) { durable_operation_update_init((durable_operation_update *)x); }
static void init_event(void *x) { durable_event_init((durable_event *)x); }

#define D(T, init) {#T, sizeof(T), dec_##T, clr_##T, init}
enum {
    OP, UPDATE, EVENT, ERROBJ, INV_IN, INV_OUT, CP_REQ, CP_RESP, ST_REQ, ST_RESP, EXEC_INFO,
    LIST_REQ, LIST_RESP, HIST_REQ, HIST_RESP, STOP_REQ, STOP_RESP, N_DECODERS
};
static const decoder DECODERS[N_DECODERS] = {
    D(durable_operation, init_op),
    D(durable_operation_update, init_update),
    D(durable_event, init_event),
    D(durable_error_object, zero_init),
    D(durable_invocation_input, zero_init),
    D(durable_invocation_output, zero_init),
    D(durable_checkpoint_request, zero_init),
    D(durable_checkpoint_response, zero_init),
    D(durable_state_request, zero_init),
    D(durable_state_response, zero_init),
    D(durable_execution_info, zero_init),
    D(durable_list_request, zero_init),
    D(durable_list_response, zero_init),
    D(durable_history_request, zero_init),
    D(durable_history_response, zero_init),
    D(durable_stop_request, zero_init),
    {"durable_stop_response", sizeof(durable_stop_response), dec_stop_response, clr_stop_response,
     zero_init},
};

/* Decode; on failure check the struct is cleared. Returns rc. */
static int run_decoder(int which, const cJSON *j)
{
    const decoder *d = &DECODERS[which];
    unsigned char out[512], cleared[512];
    CU_ASSERT_FATAL(d->size <= sizeof out);
    memset(out, 0xa5, sizeof out); /* garbage in: decoders must not trust *out */
    memset(cleared, 0, sizeof cleared);
    d->init(cleared);
    int rc = d->decode(out, j);
    if (rc < 0) {
        CU_ASSERT(memcmp(out, cleared, d->size) == 0);
        CU_ASSERT(durable_error_last()->code == rc);
        CU_ASSERT(strlen(durable_error_last()->message) > 0);
    } else {
        d->clear(out);
    }
    return rc;
}

/* ---- the corpus --------------------------------------------------------------- */

typedef struct bad_case {
    int decoder;
    const char *doc;
    int code;
    const char *message; /* substring expected in the last error */
} bad_case;

#define OPJ(fields) "{\"Id\":\"a\",\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1767225600123" fields "}"
#define UPJ(fields) "{\"Id\":\"a\",\"Type\":\"WAIT\",\"Action\":\"START\"" fields "}"
#define EVJ(type, details) "{\"EventType\":\"" type "\",\"EventId\":2,\"EventTimestamp\":1767225600.5,\"" type "Details\":" details "}"

static const bad_case CORPUS[] = {
    /* top level */
    {OP, "[]", DURABLE_EPARSE, "expected an object"},
    {OP, "\"x\"", DURABLE_EPARSE, "expected an object"},
    {UPDATE, "7", DURABLE_EPARSE, "expected an object"},
    {EVENT, "null", DURABLE_EPARSE, "expected an object"},
    /* missing required fields */
    {OP, "{\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1}", DURABLE_EPARSE,
     "Id: missing required field"},
    {OP, "{\"Id\":\"a\",\"Status\":\"STARTED\",\"StartTimestamp\":1}", DURABLE_EPARSE,
     "Type: missing required field"},
    {OP, "{\"Id\":\"a\",\"Type\":\"STEP\",\"StartTimestamp\":1}", DURABLE_EPARSE,
     "Status: missing required field"},
    {OP, "{\"Id\":\"a\",\"Type\":\"STEP\",\"Status\":\"STARTED\"}", DURABLE_EPARSE,
     "StartTimestamp: missing required field"},
    {OP, "{\"Id\":null,\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1}", DURABLE_EPARSE,
     "Id: missing required field"},
    {ST_RESP, "{\"Operations\":[{\"Id\":\"a\",\"Status\":\"STARTED\",\"StartTimestamp\":1}]}",
     DURABLE_EPARSE, "Operations[0].Type: missing required field"},
    {ST_RESP, "{}", DURABLE_EPARSE, "Operations: missing required field"},
    {UPDATE, "{\"Id\":\"a\",\"Type\":\"WAIT\"}", DURABLE_EPARSE, "Action: missing required field"},
    {EVENT, "{\"EventType\":\"StepStarted\",\"EventTimestamp\":1,\"StepStartedDetails\":{}}",
     DURABLE_EPARSE, "EventId: missing required field"},
    {EVENT, "{\"EventType\":\"StepStarted\",\"EventId\":1,\"EventTimestamp\":1}", DURABLE_EPARSE,
     "StepStartedDetails: missing required field"},
    {STOP_RESP, "{}", DURABLE_EPARSE, "StopTimestamp: missing required field"},
    {INV_OUT, "{\"Result\":\"1\"}", DURABLE_EPARSE, "Status: missing required field"},
    {INV_IN, "{\"DurableExecutionArn\":\"a\",\"CheckpointToken\":\"dA==\"}", DURABLE_EPARSE,
     "InitialExecutionState: missing required field"},
    {EXEC_INFO, "{\"DurableExecutionArn\":\"a\",\"Status\":\"RUNNING\"}", DURABLE_EPARSE,
     "StartTimestamp: missing required field"},
    {LIST_RESP, "{\"DurableExecutions\":[{\"Status\":\"RUNNING\",\"StartTimestamp\":1}]}",
     DURABLE_EPARSE, "DurableExecutions[0].DurableExecutionArn: missing required field"},
    /* wrong types */
    {OP, "{\"Id\":5,\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1}", DURABLE_EPARSE,
     "Id: expected a string"},
    {OP, OPJ(",\"StepDetails\":{\"Attempt\":\"2\"}"), DURABLE_EPARSE,
     "StepDetails.Attempt: expected an integer"},
    {OP, OPJ(",\"StepDetails\":[]"), DURABLE_EPARSE, "StepDetails: expected an object"},
    {OP, OPJ(",\"StepDetails\":{\"Error\":\"boom\"}"), DURABLE_EPARSE,
     "StepDetails.Error: expected an object"},
    {OP, OPJ(",\"StepDetails\":{\"Error\":{\"StackTrace\":\"x\"}}"), DURABLE_EPARSE,
     "StepDetails.Error.StackTrace: expected an array"},
    {OP, OPJ(",\"StepDetails\":{\"Error\":{\"StackTrace\":[\"a\",1]}}"), DURABLE_EPARSE,
     "StepDetails.Error.StackTrace[1]: expected a string"},
    {OP, "{\"Id\":\"a\",\"Type\":\"CONTEXT\",\"Status\":\"STARTED\",\"StartTimestamp\":1,"
         "\"ContextDetails\":{\"ReplayChildren\":\"yes\"}}",
     DURABLE_EPARSE, "ContextDetails.ReplayChildren: expected a boolean"},
    {OP, "{\"Id\":\"a\",\"Type\":7,\"Status\":\"STARTED\",\"StartTimestamp\":1}", DURABLE_EPARSE,
     "Type: expected a string"},
    {OP, OPJ(",\"EndTimestamp\":true"), DURABLE_EPARSE, "EndTimestamp: expected a timestamp"},
    {OP, OPJ(",\"EndTimestamp\":\"next tuesday\""), DURABLE_EPARSE,
     "EndTimestamp: expected a timestamp"},
    {OP, OPJ(",\"EndTimestamp\":-5"), DURABLE_EPARSE, "EndTimestamp: expected a timestamp"},
    {CP_REQ, "{\"Updates\":{}}", DURABLE_EPARSE, "Updates: expected an array"},
    {CP_REQ, "{\"Updates\":[" UPJ("") ",5]}", DURABLE_EPARSE, "Updates[1]: expected an object"},
    {INV_IN, "{\"DurableExecutionArn\":\"a\",\"CheckpointToken\":\"dA==\",\"InitialExecutionState\":"
             "{\"Operations\":[]},\"UpdatedOperationIds\":[\"ok\",\"not ok\"]}",
     DURABLE_EINVAL, "UpdatedOperationIds[1]: must be 1 to 64 characters"},
    {LIST_REQ, "{\"Statuses\":[\"RUNNING\",\"DONE\"]}", DURABLE_EINVAL,
     "Statuses[1]: unknown ExecutionStatus"},
    {LIST_REQ, "{\"ReverseOrder\":\"true\"}", DURABLE_EPARSE, "ReverseOrder: expected a boolean"},
    {HIST_REQ, "{\"IncludeExecutionData\":1}", DURABLE_EPARSE,
     "IncludeExecutionData: expected a boolean"},
    /* unknown enum values */
    {OP, "{\"Id\":\"a\",\"Type\":\"STEP\",\"Status\":\"DONE\",\"StartTimestamp\":1}", DURABLE_EINVAL,
     "Status: unknown OperationStatus \"DONE\""},
    {UPDATE, "{\"Id\":\"a\",\"Type\":\"step\",\"Action\":\"START\"}", DURABLE_EINVAL,
     "Type: unknown OperationType"},
    {UPDATE, "{\"Id\":\"a\",\"Type\":\"STEP\",\"Action\":\"RESTART\"}", DURABLE_EINVAL,
     "Action: unknown OperationAction"},
    {EVENT, EVJ("StepRetried", "{}"), DURABLE_EINVAL, "EventType: unknown EventType"},
    {INV_OUT, "{\"Status\":\"RUNNING\"}", DURABLE_EINVAL, "Status: unknown invocation Status"},
    /* §2.3 limits */
    {OP, "{\"Id\":\"\",\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1}", DURABLE_EINVAL,
     "Id: must be 1 to 64 characters of [a-zA-Z0-9-_]"},
    {OP, "{\"Id\":\"a b\",\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1}",
     DURABLE_EINVAL, "Id: must be 1 to 64"},
    {OP, "{\"Id\":\"0123456789012345678901234567890123456789012345678901234567890123x\","
         "\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1}",
     DURABLE_EINVAL, "Id: must be 1 to 64"},
    {OP, OPJ(",\"ParentId\":\"a/b\""), DURABLE_EINVAL, "ParentId: must be 1 to 64"},
    {OP, OPJ(",\"Name\":\"\""), DURABLE_EINVAL, "Name: must be 1 to 256 printable ASCII"},
    {OP, OPJ(",\"Name\":\"tab\\there\""), DURABLE_EINVAL, "Name: must be 1 to 256 printable ASCII"},
    {OP, OPJ(",\"Name\":\"caf\\u00e9\""), DURABLE_EINVAL, "Name: must be 1 to 256 printable ASCII"},
    {OP, OPJ(",\"SubType\":\"Map Iteration\""), DURABLE_EINVAL, "SubType: must be 1 to 32"},
    {OP, OPJ(",\"SubType\":\"abcdefghijklmnopqrstuvwxyz0123456\""), DURABLE_EINVAL,
     "SubType: must be 1 to 32"},
    {OP, OPJ(",\"StepDetails\":{\"Attempt\":-1}"), DURABLE_EINVAL,
     "StepDetails.Attempt: must be an integer >= 0"},
    {OP, OPJ(",\"StepDetails\":{\"Attempt\":1.5}"), DURABLE_EINVAL, "StepDetails.Attempt: must be"},
    {OP, "{\"Id\":\"a\",\"Type\":\"CALLBACK\",\"Status\":\"STARTED\",\"StartTimestamp\":1,"
         "\"CallbackDetails\":{\"CallbackId\":\"not base64!\"}}",
     DURABLE_EINVAL, "CallbackDetails.CallbackId: must be 1 to 1024 characters of standard base64"},
    {CP_REQ, "{\"Updates\":[" UPJ(",\"WaitOptions\":{\"WaitSeconds\":5}") "," UPJ(",\"WaitOptions\":{\"WaitSeconds\":0}") "]}",
     DURABLE_EINVAL, "Updates[1].WaitOptions.WaitSeconds: must be an integer from 1 to 31622400"},
    {CP_REQ, "{\"Updates\":[" UPJ(",\"WaitOptions\":{\"WaitSeconds\":31622401}") "]}", DURABLE_EINVAL,
     "Updates[0].WaitOptions.WaitSeconds: must be an integer from 1 to 31622400"},
    {CP_REQ, "{\"Updates\":[" UPJ(",\"WaitOptions\":{\"WaitSeconds\":2.5}") "]}", DURABLE_EINVAL,
     "Updates[0].WaitOptions.WaitSeconds: must be an integer from 1 to 31622400"},
    {CP_REQ, "{\"Updates\":[" UPJ(",\"WaitOptions\":{\"WaitSeconds\":\"5\"}") "]}", DURABLE_EPARSE,
     "Updates[0].WaitOptions.WaitSeconds: expected an integer"},
    {CP_REQ, "{\"Updates\":[" UPJ(",\"WaitOptions\":{\"WaitSeconds\":1e400}") "]}", DURABLE_EINVAL,
     "Updates[0].WaitOptions.WaitSeconds: must be an integer from 1 to 31622400"},
    {UPDATE, UPJ(",\"StepOptions\":{\"NextAttemptDelaySeconds\":0}"), DURABLE_EINVAL,
     "StepOptions.NextAttemptDelaySeconds: must be an integer from 1 to 31622400"},
    {UPDATE, UPJ(",\"CallbackOptions\":{\"TimeoutSeconds\":-1}"), DURABLE_EINVAL,
     "CallbackOptions.TimeoutSeconds: must be an integer >= 0"},
    {UPDATE, UPJ(",\"CallbackOptions\":{\"HeartbeatTimeoutSeconds\":-3}"), DURABLE_EINVAL,
     "CallbackOptions.HeartbeatTimeoutSeconds: must be an integer >= 0"},
    {UPDATE, UPJ(",\"WaitOptions\":{\"WaitSeconds\":5},\"StepOptions\":{}"), DURABLE_EINVAL,
     "at most one options object"},
    {UPDATE, UPJ(",\"ChainedInvokeOptions\":{\"FunctionName\":\"\"}"), DURABLE_EINVAL,
     "ChainedInvokeOptions.FunctionName: must be 1 to 140 characters"},
    {UPDATE, UPJ(",\"ContextOptions\":[]"), DURABLE_EPARSE, "ContextOptions: expected an object"},
    {CP_REQ, "{\"CheckpointToken\":\"dA==\",\"ClientToken\":\"\"}", DURABLE_EINVAL,
     "ClientToken: must be 1 to 64 characters"},
    {CP_REQ, "{\"CheckpointToken\":\"not-base64\"}", DURABLE_ETOKEN, "Invalid Checkpoint Token"},
    {CP_REQ, "{\"CheckpointToken\":42}", DURABLE_ETOKEN, "Invalid Checkpoint Token"},
    {ST_REQ, "{\"CheckpointToken\":\"\"}", DURABLE_ETOKEN, "Invalid Checkpoint Token"},
    {ST_REQ, "{\"CheckpointToken\":\"dA==\",\"MaxItems\":1001}", DURABLE_EINVAL,
     "MaxItems: must be an integer from 0 to 1000"},
    {ST_REQ, "{\"CheckpointToken\":\"dA==\",\"MaxItems\":-1}", DURABLE_EINVAL,
     "MaxItems: must be an integer from 0 to 1000"},
    {HIST_REQ, "{\"MaxItems\":5000}", DURABLE_EINVAL, "MaxItems: must be an integer from 0 to 1000"},
    {LIST_REQ, "{\"MaxItems\":\"10\"}", DURABLE_EPARSE, "MaxItems: expected an integer"},
    {LIST_REQ, "{\"DurableExecutionName\":\"has space\"}", DURABLE_EINVAL,
     "DurableExecutionName: must be 1 to 64"},
    {LIST_REQ, "{\"StartedAfter\":\"2026-02-30T00:00:00Z\"}", DURABLE_EPARSE,
     "StartedAfter: expected a timestamp"},
    {EVENT, "{\"EventType\":\"StepStarted\",\"EventId\":0,\"EventTimestamp\":1,\"StepStartedDetails\":{}}",
     DURABLE_EINVAL, "EventId: must be an integer >= 1"},
    {EVENT, EVJ("StepFailed", "{\"RetryDetails\":{\"CurrentAttempt\":-1}}"), DURABLE_EINVAL,
     "StepFailedDetails.RetryDetails.CurrentAttempt: must be an integer >= 0"},
    {EVENT, EVJ("StepFailed", "{\"RetryDetails\":{\"NextAttemptDelaySeconds\":0}}"), DURABLE_EINVAL,
     "StepFailedDetails.RetryDetails.NextAttemptDelaySeconds: must be an integer from 1"},
    {EVENT, EVJ("StepSucceeded", "{\"Result\":{\"Payload\":5}}"), DURABLE_EPARSE,
     "StepSucceededDetails.Result.Payload: expected a string"},
    {EVENT, EVJ("StepSucceeded", "{\"Result\":{\"Truncated\":\"no\"}}"), DURABLE_EPARSE,
     "StepSucceededDetails.Result.Truncated: expected a boolean"},
    {EVENT, EVJ("ExecutionFailed", "{\"Error\":{\"Payload\":[]}}"), DURABLE_EPARSE,
     "ExecutionFailedDetails.Error.Payload: expected an object"},
    {EVENT, EVJ("CallbackStarted", "{\"Timeout\":-1}"), DURABLE_EINVAL,
     "CallbackStartedDetails.Timeout: must be an integer >= 0"},
    {EVENT, EVJ("WaitStarted", "{\"Duration\":\"2\"}"), DURABLE_EPARSE,
     "WaitStartedDetails.Duration: expected an integer"},
    {EVENT, EVJ("InvocationCompleted", "{\"StartTimestamp\":{}}"), DURABLE_EPARSE,
     "InvocationCompletedDetails.StartTimestamp: expected a timestamp"},
    {EVENT, EVJ("StepStarted", "[]"), DURABLE_EPARSE, "StepStartedDetails: expected an object"},
    {HIST_RESP, "{\"Events\":[" EVJ("StepStarted", "{}") ",{\"EventType\":\"StepStarted\"}]}",
     DURABLE_EPARSE, "Events[1].EventId: missing required field"},
    {INV_IN, "{\"DurableExecutionArn\":\"a\",\"CheckpointToken\":\"dA==\",\"InitialExecutionState\":"
             "{\"Operations\":[" OPJ("") "]}}",
     DURABLE_EINVAL, "InitialExecutionState.Operations[0].Type: the first operation must be the EXECUTION"},
    {CP_RESP, "{\"NewExecutionState\":{\"Operations\":[" OPJ(",\"Name\":7") "]}}", DURABLE_EPARSE,
     "NewExecutionState.Operations[0].Name: expected a string"},
    {STOP_REQ, "{\"Error\":\"stop\"}", DURABLE_EPARSE, "Error: expected an object"},
    {ERROBJ, "{\"ErrorType\":[\"x\"]}", DURABLE_EPARSE, "ErrorType: expected a string"},
    /* invalid UTF-8 inside strings (cJSON passes the bytes through) */
    {OP, OPJ(",\"StepDetails\":{\"Result\":\"\xff\"}"), DURABLE_EINVAL,
     "StepDetails.Result: invalid UTF-8 at byte 0"},
    {OP, OPJ(",\"StepDetails\":{\"Result\":\"ok\xc0\xaf\"}"), DURABLE_EINVAL,
     "StepDetails.Result: invalid UTF-8 at byte 2"},
    {ERROBJ, "{\"ErrorMessage\":\"\xed\xa0\x80\"}", DURABLE_EINVAL, "ErrorMessage: invalid UTF-8"},
    {ERROBJ, "{\"ErrorMessage\":\"\xe2\x82\"}", DURABLE_EINVAL, "ErrorMessage: invalid UTF-8"},
    {ERROBJ, "{\"ErrorData\":\"\xf4\x90\x80\x80\"}", DURABLE_EINVAL, "ErrorData: invalid UTF-8"},
    {UPDATE, UPJ(",\"Payload\":\"a\x80\""), DURABLE_EINVAL, "Payload: invalid UTF-8 at byte 1"},
};

static void test_corpus(void)
{
    for (size_t i = 0; i < sizeof CORPUS / sizeof CORPUS[0]; i++) {
        const bad_case *c = &CORPUS[i];
        cJSON *j = NULL;
        int prc = durable_json_parse(&j, c->doc, strlen(c->doc));
        CU_ASSERT_EQUAL(prc, 0);
        if (prc)
            fprintf(stderr, "\n  case %zu does not parse: %s\n", i, c->doc);
        int rc = run_decoder(c->decoder, j);
        const char *msg = durable_error_last()->message;
        bool ok = rc == c->code && strstr(msg, c->message) != NULL;
        if (!ok)
            fprintf(stderr, "\n  case %zu (%s): rc=%d want %d, message \"%s\" want \"%s\"\n", i,
                    DECODERS[c->decoder].name, rc, c->code, msg, c->message);
        CU_ASSERT(ok);
        cJSON_Delete(j);
    }
}

/* The same documents, made valid, decode: the corpus fails for its stated
 * reason and not for a typo elsewhere. */
static void test_valid_neighbours(void)
{
    static const struct {
        int decoder;
        const char *doc;
    } good[] = {
        {OP, OPJ(",\"StepDetails\":{\"Attempt\":2,\"Error\":{\"StackTrace\":[\"a\"]}}")},
        {OP, OPJ(",\"Name\":\"caf e ~!\",\"SubType\":\"abcdefghijklmnopqrstuvwxyz012345\"")},
        {OP, OPJ(",\"StepDetails\":{\"Result\":\"ok \xc3\xa9 \xf0\x9f\x98\x80\"}")},
        {CP_REQ, "{\"Updates\":[" UPJ(",\"WaitOptions\":{\"WaitSeconds\":31622400}") "]}"},
        {UPDATE, UPJ(",\"CallbackOptions\":{\"TimeoutSeconds\":0,\"HeartbeatTimeoutSeconds\":0}")},
        {ST_REQ, "{\"CheckpointToken\":\"dA==\",\"MaxItems\":1000}"},
        {ST_REQ, "{\"CheckpointToken\":\"dA==\",\"MaxItems\":0}"},
        {EVENT, EVJ("StepFailed", "{\"RetryDetails\":{\"CurrentAttempt\":0}}")},
        {EVENT, EVJ("CallbackStarted", "{\"Timeout\":0}")},
        {INV_IN, "{\"DurableExecutionArn\":\"a\",\"CheckpointToken\":\"dA==\",\"InitialExecutionState\":"
                 "{\"Operations\":[]},\"UpdatedOperationIds\":[\"ok\"]}"},
        {STOP_REQ, "{}"},
        {ERROBJ, "{}"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_json_parse(&j, good[i].doc, strlen(good[i].doc)), 0);
        int rc = run_decoder(good[i].decoder, j);
        if (rc)
            fprintf(stderr, "\n  good %zu: %s\n", i, durable_error_last()->message);
        CU_ASSERT_EQUAL(rc, 0);
        cJSON_Delete(j);
    }
}

/* Type confusion: every key of a valid document replaced by every kind of
 * JSON value. A rejection must name that key. */
static void confuse(int which, const char *doc)
{
    static const char *values[] = {"true", "1", "1.5", "-1", "\"x\"", "[]", "{}", "[1]", "\"\xff\""};
    cJSON *base = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_json_parse(&base, doc, strlen(doc)), 0);
    CU_ASSERT_EQUAL(run_decoder(which, base), 0);
    int n = cJSON_GetArraySize(base);
    for (int k = 0; k < n; k++) {
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            cJSON *j = cJSON_Duplicate(base, 1);
            cJSON *item = cJSON_GetArrayItem(j, k);
            char key[64];
            snprintf(key, sizeof key, "%s", item->string);
            cJSON *nv = NULL;
            durable_json_parse(&nv, values[v], strlen(values[v]));
            cJSON_ReplaceItemInObjectCaseSensitive(j, key, nv);
            int rc = run_decoder(which, j);
            if (rc < 0) {
                /* §3.2: a bad token gets exactly the token message. */
                bool named = strstr(durable_error_last()->message, key) != NULL ||
                             (rc == DURABLE_ETOKEN &&
                              !strcmp(durable_error_last()->message, "Invalid Checkpoint Token"));
                if (!named)
                    fprintf(stderr, "\n  %s.%s=%s: \"%s\"\n", DECODERS[which].name, key, values[v],
                            durable_error_last()->message);
                CU_ASSERT(named);
                CU_ASSERT(rc == DURABLE_EPARSE || rc == DURABLE_EINVAL || rc == DURABLE_ETOKEN);
            }
            cJSON_Delete(j);
        }
    }
    cJSON_Delete(base);
}

static void test_type_confusion(void)
{
    confuse(OP, "{\"Id\":\"a\",\"ParentId\":\"p\",\"Name\":\"n\",\"SubType\":\"Step\",\"Type\":\"STEP\","
                "\"Status\":\"FAILED\",\"StartTimestamp\":1767225600123,\"EndTimestamp\":1767225600.5,"
                "\"StepDetails\":{\"Attempt\":1,\"NextAttemptTimestamp\":1767225600123,\"Result\":\"1\","
                "\"Error\":{\"ErrorType\":\"E\"}}}");
    confuse(UPDATE, "{\"Id\":\"a\",\"ParentId\":\"p\",\"Name\":\"n\",\"SubType\":\"Step\",\"Type\":\"STEP\","
                    "\"Action\":\"RETRY\",\"Payload\":\"1\",\"Error\":{},\"StepOptions\":"
                    "{\"NextAttemptDelaySeconds\":5}}");
    confuse(EVENT, "{\"EventType\":\"StepFailed\",\"EventId\":3,\"EventTimestamp\":1767225600.5,"
                   "\"Id\":\"a\",\"Name\":\"n\",\"SubType\":\"Step\",\"ParentId\":\"p\","
                   "\"StepFailedDetails\":{\"Error\":{\"Payload\":{},\"Truncated\":false},"
                   "\"RetryDetails\":{\"CurrentAttempt\":1}}}");
    confuse(ERROBJ, "{\"ErrorType\":\"a\",\"ErrorMessage\":\"b\",\"ErrorData\":\"c\",\"StackTrace\":[\"d\"]}");
    confuse(INV_IN, "{\"DurableExecutionArn\":\"a\",\"CheckpointToken\":\"dA==\",\"InitialExecutionState\":"
                    "{\"Operations\":[],\"NextMarker\":\"\"},\"UpdatedOperationIds\":[]}");
    confuse(INV_OUT, "{\"Status\":\"FAILED\",\"Result\":\"r\",\"Error\":{}}");
    confuse(CP_REQ, "{\"CheckpointToken\":\"dA==\",\"Updates\":[],\"ClientToken\":\"c\"}");
    confuse(CP_RESP, "{\"CheckpointToken\":\"dA==\",\"NewExecutionState\":{\"Operations\":[]}}");
    confuse(ST_REQ, "{\"CheckpointToken\":\"dA==\",\"Marker\":\"m\",\"MaxItems\":10}");
    confuse(ST_RESP, "{\"Operations\":[],\"NextMarker\":\"m\"}");
    confuse(EXEC_INFO, "{\"DurableExecutionArn\":\"a\",\"DurableExecutionName\":\"n\",\"FunctionArn\":\"f\","
                       "\"Status\":\"FAILED\",\"StartTimestamp\":1767225600.5,\"EndTimestamp\":1767225600.5,"
                       "\"InputPayload\":\"i\",\"Result\":\"r\",\"Error\":{},\"Version\":\"1\"}");
    confuse(LIST_REQ, "{\"Qualifier\":\"q\",\"DurableExecutionName\":\"n\",\"Statuses\":[\"RUNNING\"],"
                      "\"StartedAfter\":1767225600,\"StartedBefore\":\"2026-01-01T00:00:00Z\","
                      "\"ReverseOrder\":true,\"Marker\":\"m\",\"MaxItems\":5}");
    confuse(LIST_RESP, "{\"DurableExecutions\":[],\"NextMarker\":\"m\"}");
    confuse(HIST_REQ, "{\"IncludeExecutionData\":true,\"MaxItems\":5,\"Marker\":\"m\",\"ReverseOrder\":false}");
    confuse(HIST_RESP, "{\"Events\":[],\"NextMarker\":\"m\"}");
    confuse(STOP_REQ, "{\"Error\":{}}");
    confuse(STOP_RESP, "{\"StopTimestamp\":1767225600.5}");
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_huge_strings(void)
{
    /* Payloads: 6 MiB is fine, one byte more is not. */
    size_t n = DURABLE_MAX_PAYLOAD_BYTES;
    char *payload = repeat('x', n + 1);
    for (int over = 0; over < 2; over++) {
        payload[n + over] = '\0';
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "Id", "a");
        cJSON_AddStringToObject(j, "Type", "STEP");
        cJSON_AddStringToObject(j, "Action", "SUCCEED");
        cJSON_AddStringToObject(j, "Payload", payload);
        int rc = run_decoder(UPDATE, j);
        CU_ASSERT_EQUAL(rc, over ? DURABLE_EINVAL : 0);
        if (over)
            CU_ASSERT_STRING_EQUAL(durable_error_last()->message,
                                   "Payload: must be at most 6291456 bytes");
        cJSON_Delete(j);
        payload[n + over] = 'x';
    }
    free(payload);

    /* A 16 MB name, token and marker. */
    char *big = repeat('A', 16u << 20);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Id", "a");
    cJSON_AddStringToObject(j, "Type", "STEP");
    cJSON_AddStringToObject(j, "Action", "START");
    cJSON_AddStringToObject(j, "Name", big);
    CU_ASSERT_EQUAL(run_decoder(UPDATE, j), DURABLE_EINVAL);
    CU_ASSERT(strstr(durable_error_last()->message, "Name: must be 1 to 256") != NULL);
    cJSON_Delete(j);
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "CheckpointToken", big);
    CU_ASSERT_EQUAL(run_decoder(ST_REQ, j), DURABLE_ETOKEN);
    cJSON_Delete(j);
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "CheckpointToken", "dA==");
    cJSON_AddStringToObject(j, "ClientToken", big);
    CU_ASSERT_EQUAL(run_decoder(CP_REQ, j), DURABLE_EINVAL);
    CU_ASSERT(strstr(durable_error_last()->message, "ClientToken") != NULL);
    cJSON_Delete(j);
    free(big);

    /* ErrorObject over 32,768 bytes in an update. */
    char *msg = repeat('m', 40000);
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Id", "a");
    cJSON_AddStringToObject(j, "Type", "STEP");
    cJSON_AddStringToObject(j, "Action", "FAIL");
    cJSON *e = cJSON_AddObjectToObject(j, "Error");
    cJSON_AddStringToObject(e, "ErrorMessage", msg);
    CU_ASSERT_EQUAL(run_decoder(UPDATE, j), DURABLE_EINVAL);
    CU_ASSERT(strstr(durable_error_last()->message, "Error: Error object size must be less than 32768") != NULL);
    cJSON_Delete(j);
    free(msg);

    /* A callback success body over 256 KiB, and one that is not UTF-8. */
    char *body = repeat('r', DURABLE_MAX_CALLBACK_RESULT_BYTES + 1);
    durable_callback_request cr;
    j = cJSON_CreateRaw(body);
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&cr, DURABLE_CALLBACK_SUCCESS, "Y2I=", j),
                    DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(cr.callback_id);
    cJSON_Delete(j);
    body[DURABLE_MAX_CALLBACK_RESULT_BYTES] = '\0';
    j = cJSON_CreateRaw(body);
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&cr, DURABLE_CALLBACK_SUCCESS, "Y2I=", j), 0);
    CU_ASSERT_EQUAL(cr.result_len, DURABLE_MAX_CALLBACK_RESULT_BYTES);
    durable_callback_request_clear(&cr);
    cJSON_Delete(j);
    free(body);
    j = cJSON_CreateRaw("ok\xfe");
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&cr, DURABLE_CALLBACK_SUCCESS, "Y2I=", j),
                    DURABLE_EINVAL);
    CU_ASSERT(strstr(durable_error_last()->message, "invalid UTF-8 at byte 2") != NULL);
    cJSON_Delete(j);
    j = cJSON_CreateRaw("{not json");
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&cr, DURABLE_CALLBACK_FAILURE, "Y2I=", j),
                    DURABLE_EPARSE);
    cJSON_Delete(j);
}

static void test_deep_nesting(void)
{
    /* As text: the parser refuses it with a clear error. */
    size_t depth = 10000;
    char *text = malloc(depth * 6 + 64);
    char *p = text;
    p += sprintf(p, "{\"Id\":\"a\",\"X\":");
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "{\"a\":");
    p += sprintf(p, "1");
    for (size_t i = 0; i < depth; i++)
        *p++ = '}';
    *p++ = '}';
    *p = '\0';
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_json_parse(&j, text, strlen(text)), DURABLE_EPARSE);
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT(strstr(durable_error_last()->message, "nested deeper than") != NULL);
    memset(text, '[', depth);
    text[depth] = '\0';
    CU_ASSERT_EQUAL(durable_json_parse(&j, text, depth), DURABLE_EPARSE);
    free(text);

    /* As a tree built in memory (no parser limit): decoders ignore unknown
     * keys and reject a deep value where a field is expected, no recursion. */
    cJSON *deep = cJSON_CreateArray(), *cur = deep;
    for (size_t i = 0; i < depth; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    for (int d = 0; d < N_DECODERS; d++) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "Id", "a");
        cJSON_AddItemReferenceToObject(doc, "Unknown", deep);
        cJSON_AddItemReferenceToObject(doc, "Operations", deep);
        cJSON_AddItemReferenceToObject(doc, "Updates", deep);
        cJSON_AddItemReferenceToObject(doc, "Events", deep);
        cJSON_AddItemReferenceToObject(doc, "Error", deep);
        run_decoder(d, doc); /* no crash; rejections are checked by run_decoder */
        cJSON_Delete(doc);
    }
    cJSON_Delete(deep);
}

static const char *VALID_DOCS[] = {
    "{\"Operations\":[{\"Id\":\"e\",\"Type\":\"EXECUTION\",\"Status\":\"STARTED\",\"StartTimestamp\":"
    "1767225600123,\"ExecutionDetails\":{\"InputPayload\":\"{\\\"a\\\":[1,2]}\"}},{\"Id\":\"s\","
    "\"ParentId\":\"c\",\"Name\":\"step one\",\"SubType\":\"Step\",\"Type\":\"STEP\",\"Status\":"
    "\"PENDING\",\"StartTimestamp\":\"2026-01-01T00:00:00Z\",\"StepDetails\":{\"Attempt\":2,"
    "\"NextAttemptTimestamp\":1767225601.5,\"Error\":{\"ErrorType\":\"E\",\"StackTrace\":[\"f\"]}}}],"
    "\"NextMarker\":\"bQ==\"}",
    "{\"CheckpointToken\":\"dG9rZW4=\",\"ClientToken\":\"c-1\",\"Updates\":[{\"Id\":\"a\",\"Type\":"
    "\"WAIT\",\"Action\":\"START\",\"WaitOptions\":{\"WaitSeconds\":5}},{\"Id\":\"b\",\"Type\":"
    "\"CALLBACK\",\"Action\":\"START\",\"CallbackOptions\":{\"TimeoutSeconds\":10}},{\"Id\":\"c\","
    "\"Type\":\"CHAINED_INVOKE\",\"Action\":\"START\",\"Payload\":\"\\\"x\\\"\",\"ChainedInvokeOptions\":"
    "{\"FunctionName\":\"echo\"}}]}",
    "{\"Events\":[{\"EventType\":\"ExecutionStarted\",\"EventId\":1,\"EventTimestamp\":1767225600.1,"
    "\"ExecutionStartedDetails\":{\"Input\":{\"Payload\":\"null\",\"Truncated\":false},"
    "\"ExecutionTimeout\":60}},{\"EventType\":\"StepFailed\",\"EventId\":2,\"EventTimestamp\":"
    "1767225600.2,\"Id\":\"a\",\"StepFailedDetails\":{\"Error\":{\"Payload\":{\"ErrorMessage\":"
    "\"m\"},\"Truncated\":false},\"RetryDetails\":{\"CurrentAttempt\":1,\"NextAttemptDelaySeconds\":"
    "2}}},{\"EventType\":\"InvocationCompleted\",\"EventId\":3,\"EventTimestamp\":1767225600.3,"
    "\"InvocationCompletedDetails\":{\"StartTimestamp\":1767225600.1,\"EndTimestamp\":1767225600.3,"
    "\"RequestId\":\"r\"}}],\"NextMarker\":\"bQ==\"}",
};

/* Random byte mutations of valid documents through every decoder. */
static void test_random_mutations(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed);
    static const char bytes[] = "{}[]\",:0123456789.-eE truefalsn\\\xff\xc3\x80\x01";
    int parsed = 0, rejected = 0;
    for (int c = 0; c < 3000; c++) {
        const char *src = VALID_DOCS[c % 3];
        size_t n = strlen(src);
        char *doc = malloc(n + 1);
        memcpy(doc, src, n + 1);
        int edits = 1 + (int)dt_rng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = dt_rng_below(&r, n);
            switch (dt_rng_below(&r, 3)) {
            case 0: doc[at] = bytes[dt_rng_below(&r, sizeof bytes - 1)]; break;
            case 1: doc[at] = (char)(1 + dt_rng_below(&r, 255)); break;
            default: memmove(doc + at, doc + at + 1, n - at); n--; break; /* delete */
            }
        }
        cJSON *j = NULL;
        if (durable_json_parse(&j, doc, strlen(doc)) == 0) {
            parsed++;
            for (int d = 0; d < N_DECODERS; d++)
                if (run_decoder(d, j) < 0)
                    rejected++;
            cJSON_Delete(j);
        } else {
            CU_ASSERT(strncmp(durable_error_last()->message, "JSON: ", 6) == 0);
        }
        free(doc);
    }
    printf("\n  mutations: 3000 documents, %d still JSON, %d decoder rejections (seed=%llu)\n",
           parsed, rejected, (unsigned long long)seed);
    CU_ASSERT(parsed > 100);
}

/* Allocation failure at every point of decode, encode and print: no crash,
 * no leak, ENOMEM (or a parse error when cJSON itself ran out). */
static long alloc_budget = -1;
static void *fail_malloc(size_t n, void *u)
{
    (void)u;
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}
static void *fail_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(p, n);
}
static void fail_free(void *p, void *u)
{
    (void)u;
    free(p);
}

static void test_allocation_failures(void)
{
    durable_allocator a = {fail_malloc, fail_realloc, fail_free, NULL};
    int checked = 0;
    for (int doc = 0; doc < 3; doc++) {
        int which = doc == 0 ? ST_RESP : doc == 1 ? CP_REQ : HIST_RESP;
        for (long budget = 0; budget < 400; budget++) {
            durable_set_allocator(&a);
            alloc_budget = budget;
            cJSON *j = NULL;
            int rc = durable_json_parse(&j, VALID_DOCS[doc], strlen(VALID_DOCS[doc]));
            if (rc == 0) {
                unsigned char out[512];
                rc = DECODERS[which].decode(out, j);
                CU_ASSERT(rc == 0 || rc == DURABLE_ENOMEM);
                if (rc == 0) {
                    /* Encode it back under the same budget. */
                    cJSON *enc = NULL;
                    int erc = 0;
                    if (which == ST_RESP)
                        erc = durable_state_response_to_json(&enc, (durable_state_response *)out,
                                                             DURABLE_TS_EPOCH_SECONDS);
                    else if (which == CP_REQ)
                        erc = durable_checkpoint_request_to_json(&enc,
                                                                 (durable_checkpoint_request *)out);
                    else
                        erc = durable_history_response_to_json(&enc, (durable_history_response *)out,
                                                               DURABLE_TS_EPOCH_SECONDS);
                    CU_ASSERT(erc == 0 || erc == DURABLE_ENOMEM);
                    CU_ASSERT((erc == 0) == (enc != NULL));
                    char *t = durable_json_print(enc);
                    durable_free(t);
                    cJSON_Delete(enc);
                    DECODERS[which].clear(out);
                }
                cJSON_Delete(j);
                checked++;
            }
            alloc_budget = -1;
            durable_set_allocator(NULL);
        }
    }
    CU_ASSERT(checked > 100);
    /* Tokens and ids under failure too. */
    durable_set_allocator(&a);
    for (long budget = 0; budget < 40; budget++) {
        alloc_budget = budget;
        char *tok = NULL;
        int rc = durable_token_encode(&tok, "arn:x", 3, "inv");
        CU_ASSERT((rc == 0) == (tok != NULL));
        durable_token t;
        if (rc == 0 && durable_token_decode(&t, tok) == 0)
            durable_token_clear(&t);
        durable_free(tok);
    }
    alloc_budget = -1;
    durable_set_allocator(NULL);
}

/* NULL input never crashes. */
static void test_null_inputs(void)
{
    for (int d = 0; d < N_DECODERS; d++)
        if (d != STOP_REQ)
            CU_ASSERT(run_decoder(d, NULL) < 0);
    CU_ASSERT_EQUAL(run_decoder(STOP_REQ, NULL), 0); /* empty Stop body = no Error */
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_json_parse(&j, NULL, 0), DURABLE_EPARSE);
    CU_ASSERT_EQUAL(durable_json_parse(&j, "", 0), DURABLE_EPARSE);
    CU_ASSERT_EQUAL(durable_json_parse(&j, "{} x", 4), DURABLE_EPARSE);
    CU_ASSERT(strstr(durable_error_last()->message, "byte 3") != NULL);
    CU_ASSERT_EQUAL(durable_json_parse(&j, "{}  \n", 5), 0);
    cJSON_Delete(j);
    int64_t ms;
    CU_ASSERT_EQUAL(durable_ts_from_json(&ms, NULL), DURABLE_EPARSE);
    CU_ASSERT_EQUAL(durable_ts_parse(&ms, NULL), DURABLE_EPARSE);
}

int main(void)
{
    CU_pSuite s = dt_suite("model_malformed");
    DT_ADD(s, test_corpus);
    DT_ADD(s, test_valid_neighbours);
    DT_ADD(s, test_type_confusion);
    DT_ADD(s, test_huge_strings);
    DT_ADD(s, test_deep_nesting);
    DT_ADD(s, test_random_mutations);
    DT_ADD(s, test_null_inputs);
    DT_ADD(s, test_allocation_failures);
    return dt_run();
}
