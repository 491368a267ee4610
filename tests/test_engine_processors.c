/* Processors (SPEC §6.2–§6.8): one case per transition, checking the stored
 * operation and the event it appends (type, envelope, details). */
#include <string.h>

#include "support/engine_fixture.h"
#include "support/testutil.h"

/* The last event of f's history (copied into *out). */
static void last_event(ef *f, durable_event *out)
{
    durable_history_response h = {0};
    CU_ASSERT_FATAL(ef_history(f, &h) == 0);
    CU_ASSERT_FATAL(h.count > 0);
    durable_event_init(out);
    durable_event_copy(out, &h.events[h.count - 1]);
    durable_history_response_clear(&h);
}

static size_t history_count(ef *f)
{
    durable_history_response h = {0};
    ef_history(f, &h);
    size_t n = h.count;
    durable_history_response_clear(&h);
    return n;
}

static void test_step_start_succeed(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u.name = durable__strdup("fetch");
    u.subtype = durable__strdup("Step");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STARTED);
    CU_ASSERT_EQUAL(op.start_timestamp, EF_T0);
    CU_ASSERT_EQUAL(op.attempt, DURABLE_ABSENT);
    CU_ASSERT_EQUAL(op.end_timestamp, 0);
    durable_operation_clear(&op);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_STEP_STARTED);
    CU_ASSERT_EQUAL(ev.event_id, 2);
    CU_ASSERT_STRING_EQUAL(ev.id, ef_id("1"));
    CU_ASSERT_STRING_EQUAL(ev.name, "fetch");
    CU_ASSERT_STRING_EQUAL(ev.subtype, "Step");
    CU_ASSERT_PTR_NULL(ev.parent_id);
    durable_event_clear(&ev);

    ef_advance(&f, 1500);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u.payload = durable__strdup("\"computed\"");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(op.attempt, 1);
    CU_ASSERT_STRING_EQUAL(op.result, "\"computed\"");
    CU_ASSERT_EQUAL(op.start_timestamp, EF_T0);
    CU_ASSERT_EQUAL(op.end_timestamp, EF_T0 + 1500);
    durable_operation_clear(&op);
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_STEP_SUCCEEDED);
    CU_ASSERT_EQUAL(ev.timestamp, EF_T0 + 1500);
    CU_ASSERT(ev.has_payload_object);
    CU_ASSERT_STRING_EQUAL(ev.payload, "\"computed\"");
    CU_ASSERT_EQUAL(ev.current_attempt, 1);
    CU_ASSERT(ev.next_attempt_delay_seconds == DURABLE_ABSENT || ev.next_attempt_delay_seconds == 0);
    CU_ASSERT_STRING_EQUAL(ev.name, "fetch");
    durable_event_clear(&ev);
    ef_close(&f);
}

static void test_step_created_completed(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u.payload = durable__strdup("1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "2");
    durable_error_object_new(&u.error, "Bad", "went wrong", NULL);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    /* No fabricated StepStarted. */
    EF_ASSERT_TYPES(&f, "ExecutionStarted,StepSucceeded,StepFailed");
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "2", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_FAILED);
    CU_ASSERT_EQUAL(op.attempt, 1);
    CU_ASSERT_EQUAL(op.start_timestamp, op.end_timestamp);
    CU_ASSERT_STRING_EQUAL(op.error->error_type, "Bad");
    durable_operation_clear(&op);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_STRING_EQUAL(ev.error->error_message, "went wrong");
    CU_ASSERT_EQUAL(ev.current_attempt, 1);
    durable_event_clear(&ev);
    ef_close(&f);
}

static void test_step_retry_ready_start(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_retry(&u, "1", 2, "Transient");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_PENDING);
    CU_ASSERT_EQUAL(op.attempt, 1);
    CU_ASSERT_EQUAL(op.next_attempt_timestamp, EF_T0 + 2000);
    CU_ASSERT_EQUAL(op.end_timestamp, 0);
    CU_ASSERT_STRING_EQUAL(op.error->error_type, "Transient");
    durable_operation_clear(&op);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_STEP_FAILED);
    CU_ASSERT_EQUAL(ev.current_attempt, 1);
    CU_ASSERT_EQUAL(ev.next_attempt_delay_seconds, 2);
    durable_event_clear(&ev);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);

    int64_t when = 0;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 2000);
    int fired = -1;
    ef_advance(&f, 1999);
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 0);
    ef_advance(&f, 1);
    size_t before = history_count(&f);
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(history_count(&f), before); /* READY writes no event */
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_READY);
    CU_ASSERT_EQUAL(op.next_attempt_timestamp, 0);
    durable_operation_clear(&op);
    /* The retry is a trigger: the execution is ready and the op undelivered. */
    durable_engine_string_list ready = {0};
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 1);
    durable_engine_string_list_clear(&ready);
    durable_invocation_input in = {0};
    CU_ASSERT_EQUAL(ef_invoke_in(&f, &in), 0);
    CU_ASSERT_EQUAL(in.updated_operation_id_count, 1);
    if (in.updated_operation_id_count == 1)
        CU_ASSERT_STRING_EQUAL(in.updated_operation_ids[0], ef_id("1"));
    durable_invocation_input_clear(&in);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STARTED);
    CU_ASSERT_EQUAL(op.attempt, 1);              /* unchanged by START */
    CU_ASSERT_EQUAL(op.start_timestamp, EF_T0);  /* kept */
    durable_operation_clear(&op);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,StepStarted,StepFailed,InvocationCompleted,StepStarted");
    ef_close(&f);
}

static void test_step_retry_without_error_is_succeeded(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_retry(&u, "1", 5, NULL);
    u.payload = durable__strdup("{\"n\":1}");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_STEP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(ev.payload, "{\"n\":1}");
    CU_ASSERT_EQUAL(ev.current_attempt, 1);
    CU_ASSERT_EQUAL(ev.next_attempt_delay_seconds, 5);
    durable_event_clear(&ev);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_PENDING);
    CU_ASSERT_STRING_EQUAL(op.result, "{\"n\":1}");
    CU_ASSERT_PTR_NULL(op.error);
    durable_operation_clear(&op);
    ef_close(&f);
}

static void test_wait_start_due_cancel(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_wait(&u, "1", 2);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_WAIT_STARTED);
    CU_ASSERT_EQUAL(ev.duration, 2);
    CU_ASSERT_EQUAL(ev.scheduled_end_timestamp, EF_T0 + 2000);
    CU_ASSERT_EQUAL(ev.scheduled_end_timestamp - ev.timestamp, ev.duration * 1000);
    durable_event_clear(&ev);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.scheduled_end_timestamp, EF_T0 + 2000);
    durable_operation_clear(&op);
    ef_wait(&u, "2", 10);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "2");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(ef_get_op(&f, "2", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_CANCELLED);
    CU_ASSERT_EQUAL(op.end_timestamp, EF_T0);
    durable_operation_clear(&op);
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_WAIT_CANCELLED);
    CU_ASSERT_PTR_NULL(ev.error);
    durable_event_clear(&ev);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    ef_advance(&f, 2000);
    int fired = 0;
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1); /* the cancelled wait's timer was disarmed */
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(op.end_timestamp, EF_T0 + 2000);
    durable_operation_clear(&op);
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_WAIT_SUCCEEDED);
    CU_ASSERT_EQUAL(ev.duration, 2);
    CU_ASSERT_EQUAL(ev.timestamp, EF_T0 + 2000);
    durable_event_clear(&ev);
    ef_advance(&f, 60000);
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 0);
    ef_close(&f);
}

static void test_callback_start_cancel(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_callback(&u, "1", 300, 60);
    u.name = durable__strdup("approval");
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL(ef_cp(&f, &u, 1, &resp), 0);
    durable_operation_update_clear(&u);
    /* The delta carries the new CallbackId. */
    CU_ASSERT_EQUAL(resp.operations.count, 1);
    CU_ASSERT_PTR_NOT_NULL(resp.operations.items[0].callback_id);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_CALLBACK_STARTED);
    CU_ASSERT_STRING_EQUAL(ev.callback_id, resp.operations.items[0].callback_id);
    CU_ASSERT_EQUAL(ev.timeout, 300);
    CU_ASSERT_EQUAL(ev.heartbeat_timeout, 60);
    CU_ASSERT_STRING_EQUAL(ev.name, "approval");
    durable_event_clear(&ev);
    durable_callback_ref ref = {0};
    CU_ASSERT_EQUAL(durable_callback_id_decode(&ref, resp.operations.items[0].callback_id), 0);
    CU_ASSERT_STRING_EQUAL(ref.arn, f.arn);
    CU_ASSERT_STRING_EQUAL(ref.operation_id, ef_id("1"));
    durable_callback_ref_clear(&ref);
    durable_checkpoint_response_clear(&resp);

    /* Without timeouts the keys are absent. */
    ef_callback(&u, "2", 0, 0);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    last_event(&f, &ev);
    CU_ASSERT(ev.timeout == DURABLE_ABSENT || ev.timeout == 0);
    CU_ASSERT(ev.heartbeat_timeout == DURABLE_ABSENT || ev.heartbeat_timeout == 0);
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &ev, DURABLE_TS_EPOCH_SECONDS), 0);
    cJSON *d = cJSON_GetObjectItem(j, "CallbackStartedDetails");
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(d, "CallbackId"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(d, "Timeout"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(d, "HeartbeatTimeout"));
    cJSON_Delete(j);
    durable_event_clear(&ev);

    size_t before = history_count(&f);
    ef_upd(&u, DURABLE_OP_CALLBACK, DURABLE_ACTION_CANCEL, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(history_count(&f), before); /* CANCEL appends no event */
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_CANCELLED);
    durable_operation_clear(&op);
    /* Its deadlines are disarmed: only the invocation timeout (900 s) and
     * the execution deadline are left. */
    int64_t when = 0;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 900LL * 1000);
    ef_close(&f);
}

static void test_context_transitions(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1");
    u.subtype = durable__strdup("RunInChildContext");
    u.options = DURABLE_OPTIONS_CONTEXT;
    u.replay_children = 1;
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.replay_children, 1);
    durable_operation_clear(&op);
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "1");
    u.payload = durable__strdup("[1,2]");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(op.replay_children, 1); /* kept when the options are absent */
    CU_ASSERT_STRING_EQUAL(op.result, "[1,2]");
    durable_operation_clear(&op);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_CONTEXT_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(ev.payload, "[1,2]");
    CU_ASSERT_STRING_EQUAL(ev.subtype, "RunInChildContext");
    durable_event_clear(&ev);
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_FAIL, "2");
    durable_error_object_new(&u.error, "ChildContextError", "x", NULL);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_CONTEXT_FAILED);
    CU_ASSERT_STRING_EQUAL(ev.error->error_type, "ChildContextError");
    durable_event_clear(&ev);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,ContextStarted,ContextSucceeded,ContextFailed");
    ef_close(&f);
}

/* A descendant still STARTED keeps its status and timers when its context completes. */
static void test_context_completion_keeps_descendants(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[3];
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1");
    ef_wait(&u[1], "1-1", 3);
    u[1].parent_id = durable__strdup(ef_id("1"));
    ef_upd(&u[2], DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "1");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 3, NULL), 0);
    ef_clear_updates(u, 3);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    ef_advance(&f, 3000);
    int fired = 0;
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1-1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    durable_operation_clear(&op);
    ef_close(&f);
}

static void test_chained_invoke_start_and_cancel(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_START, "1");
    u.options = DURABLE_OPTIONS_CHAINED_INVOKE;
    u.function_name = durable__strdup("arn:aws:lambda:eu-west-1:111122223333:function:target:7");
    u.tenant_id = durable__strdup("tenant-a");
    u.payload = durable__strdup("{\"x\":1}");
    u.subtype = durable__strdup("ChainedInvoke");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_CHAINED_INVOKE_STARTED);
    CU_ASSERT_STRING_EQUAL(ev.function_name,
                           "arn:aws:lambda:eu-west-1:111122223333:function:target:7");
    CU_ASSERT_STRING_EQUAL(ev.tenant_id, "tenant-a");
    CU_ASSERT(ev.has_payload_object);
    CU_ASSERT_STRING_EQUAL(ev.payload, "{\"x\":1}");
    CU_ASSERT_FALSE(ev.truncated);
    CU_ASSERT_STRING_EQUAL(ev.executed_version, "7");
    CU_ASSERT_PTR_NOT_NULL(ev.durable_execution_arn);
    char *fn = NULL, *qual = NULL;
    CU_ASSERT_EQUAL(durable_execution_arn_parse(&fn, &qual, NULL, NULL, ev.durable_execution_arn), 0);
    CU_ASSERT_STRING_EQUAL(fn, "target");
    CU_ASSERT_STRING_EQUAL(qual, "7");
    CU_ASSERT_PTR_NOT_NULL(strstr(ev.durable_execution_arn, "arn:aws:lambda:eu-west-1:111122223333:"));
    durable_free(fn);
    durable_free(qual);
    durable_event_clear(&ev);
    /* Not dispatched while the parent's invocation is in flight. */
    durable_chained_invoke_list waiting = {0};
    CU_ASSERT_EQUAL(durable_engine_list_chained_waiting(&waiting, f.eng), 0);
    CU_ASSERT_EQUAL(waiting.count, 0);
    durable_chained_invoke_list_clear(&waiting);

    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_CANCEL, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STOPPED);
    durable_operation_clear(&op);
    last_event(&f, &ev);
    CU_ASSERT_EQUAL(ev.type, DURABLE_EVENT_CHAINED_INVOKE_STOPPED);
    CU_ASSERT_PTR_NOT_NULL(ev.error);
    durable_event_clear(&ev);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    CU_ASSERT_EQUAL(durable_engine_list_chained_waiting(&waiting, f.eng), 0);
    CU_ASSERT_EQUAL(waiting.count, 0); /* cancelled: never dispatched */
    durable_chained_invoke_list_clear(&waiting);
    ef_close(&f);
}

static void test_execution_update_defers_terminal_event(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, "\"in\"");
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    ef_upd(&u[1], DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "x");
    durable_free(u[1].id);
    u[1].id = NULL;
    durable_execution_arn_parse(NULL, NULL, NULL, &u[1].id, f.arn);
    u[1].payload = durable__strdup("\"large result\"");
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, &resp), 0);
    ef_clear_updates(u, 2);
    CU_ASSERT_PTR_NULL(resp.checkpoint_token);
    durable_checkpoint_response_clear(&resp);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,StepSucceeded");
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL(durable_engine_get_execution(&info, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_SUCCEEDED);
    durable_execution_info_clear(&info);
    /* Every later token is invalid. */
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), DURABLE_ETOKEN);
    /* The output is ignored; exactly one terminal event after InvocationCompleted. */
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "\"\"", &out), 0);
    CU_ASSERT_FALSE(out.ignored);
    CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_SUCCEEDED);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,StepSucceeded,InvocationCompleted,ExecutionSucceeded");
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_STRING_EQUAL(ev.payload, "\"large result\"");
    durable_event_clear(&ev);
    CU_ASSERT_EQUAL(durable_engine_get_execution(&info, f.eng, f.arn), 0);
    CU_ASSERT_STRING_EQUAL(info.result, "\"large result\"");
    CU_ASSERT_STRING_EQUAL(info.input_payload, "\"in\"");
    durable_execution_info_clear(&info);
    ef_close(&f);
}

static void test_execution_fail_update(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_EXECUTION, DURABLE_ACTION_FAIL, "x");
    durable_error_object_new(&u.error, "StepError", "nope", NULL);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_FAILED, NULL, NULL), 0);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,InvocationCompleted,ExecutionFailed");
    durable_event ev;
    last_event(&f, &ev);
    CU_ASSERT_STRING_EQUAL(ev.error->error_type, "StepError");
    durable_event_clear(&ev);
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_processors");
    DT_ADD(s, test_step_start_succeed);
    DT_ADD(s, test_step_created_completed);
    DT_ADD(s, test_step_retry_ready_start);
    DT_ADD(s, test_step_retry_without_error_is_succeeded);
    DT_ADD(s, test_wait_start_due_cancel);
    DT_ADD(s, test_callback_start_cancel);
    DT_ADD(s, test_context_transitions);
    DT_ADD(s, test_context_completion_keeps_descendants);
    DT_ADD(s, test_chained_invoke_start_and_cancel);
    DT_ADD(s, test_execution_update_defers_terminal_event);
    DT_ADD(s, test_execution_fail_update);
    return dt_run();
}
