/* Invocation lifecycle (SPEC §8), callbacks (§6.4), timers, stop and
 * timeout (§8.6), chained invokes (§6.5), and the worked examples of §9.5
 * reproduced event by event. */
#include <string.h>

#include "support/engine_fixture.h"
#include "support/testutil.h"

static void get_history(ef *f, durable_history_response *h)
{
    memset(h, 0, sizeof *h);
    CU_ASSERT_FATAL(ef_history(f, h) == 0);
}

static durable_exec_status exec_status(ef *f)
{
    durable_execution_info info = {0};
    durable_engine_get_execution(&info, f->eng, f->arn);
    durable_exec_status s = info.status;
    durable_execution_info_clear(&info);
    return s;
}

static char *callback_id(ef *f, const char *path)
{
    durable_operation op;
    CU_ASSERT_FATAL(ef_get_op(f, path, &op) == 0);
    char *id = durable__strdup(op.callback_id);
    durable_operation_clear(&op);
    return id;
}

/* ---- §9.5 worked examples ---- */

static void test_example1_step_then_wait(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, "null");
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u[0].subtype = durable__strdup("Step");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 1, NULL), 0);
    ef_clear_updates(u, 1);
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u[0].subtype = durable__strdup("Step");
    u[0].payload = durable__strdup("\"computed\"");
    ef_wait(&u[1], "2", 2);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), 0);
    CU_ASSERT_FALSE(out.needs_invocation);
    int64_t when;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 2000);
    durable_vclock_advance_to(f.vc, when);
    CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, f.eng), 0);
    durable_engine_string_list ready = {0};
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 1);
    durable_engine_string_list_clear(&ready);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "\"computed\"", &out), 0);
    CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_SUCCEEDED);

    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_EQUAL_FATAL(h.count, 8);
    const durable_event_type types[] = {
        DURABLE_EVENT_EXECUTION_STARTED,  DURABLE_EVENT_STEP_STARTED,
        DURABLE_EVENT_STEP_SUCCEEDED,     DURABLE_EVENT_WAIT_STARTED,
        DURABLE_EVENT_INVOCATION_COMPLETED, DURABLE_EVENT_WAIT_SUCCEEDED,
        DURABLE_EVENT_INVOCATION_COMPLETED, DURABLE_EVENT_EXECUTION_SUCCEEDED};
    for (size_t i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(h.events[i].type, types[i]);
        CU_ASSERT_EQUAL(h.events[i].event_id, (int64_t)i + 1);
    }
    CU_ASSERT_STRING_EQUAL(h.events[0].payload, "null");
    CU_ASSERT_FALSE(h.events[0].truncated);
    CU_ASSERT_EQUAL(h.events[0].execution_timeout, 31622400);
    CU_ASSERT_STRING_EQUAL(h.events[1].subtype, "Step");
    CU_ASSERT_STRING_EQUAL(h.events[1].id, ef_id("1"));
    CU_ASSERT_STRING_EQUAL(h.events[2].payload, "\"computed\"");
    CU_ASSERT_EQUAL(h.events[2].current_attempt, 1);
    CU_ASSERT_EQUAL(h.events[3].duration, 2);
    CU_ASSERT_EQUAL(h.events[3].scheduled_end_timestamp, EF_T0 + 2000);
    CU_ASSERT_PTR_NULL(h.events[4].id);
    CU_ASSERT_PTR_NULL(h.events[4].error);
    CU_ASSERT_EQUAL(h.events[5].duration, 2);
    CU_ASSERT_EQUAL(h.events[5].timestamp, EF_T0 + 2000);
    CU_ASSERT_EQUAL(h.events[6].invocation_start_timestamp, EF_T0 + 2000);
    CU_ASSERT_STRING_EQUAL(h.events[7].payload, "\"computed\"");
    CU_ASSERT_NOT_EQUAL(strcmp(h.events[4].request_id, h.events[6].request_id), 0);
    /* Key presence: Details always present; Execution events have no Id. */
    for (size_t i = 0; i < h.count; i++) {
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_event_to_json(&j, &h.events[i], DURABLE_TS_EPOCH_SECONDS), 0);
        char key[64];
        snprintf(key, sizeof key, "%sDetails", durable_event_type_name(h.events[i].type));
        CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(j, key));
        CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(j, "EventTimestamp"));
        if (h.events[i].type == DURABLE_EVENT_INVOCATION_COMPLETED ||
            h.events[i].type == DURABLE_EVENT_EXECUTION_STARTED)
            CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(j, "Id"));
        cJSON_Delete(j);
    }
    durable_history_response_clear(&h);
    ef_close(&f);
}

static void test_example2_retries(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    int64_t delays[] = {2, 6};
    for (int attempt = 0; attempt < 3; attempt++) {
        durable_operation_update u;
        ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
        CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
        if (attempt < 2) {
            ef_retry(&u, "1", delays[attempt], "TransientError");
            CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
            CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
            int64_t when;
            CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
            CU_ASSERT_EQUAL(when, ef_now(&f) + delays[attempt] * 1000);
            durable_vclock_advance_to(f.vc, when);
            CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, f.eng), 0);
            CU_ASSERT_EQUAL(ef_invoke(&f), 0);
        } else {
            ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
            u.payload = durable__strdup("\"ok\"");
            CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
            CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "\"ok\"", NULL), 0);
        }
    }
    EF_ASSERT_TYPES(&f, "ExecutionStarted,StepStarted,StepFailed,InvocationCompleted,StepStarted,"
                        "StepFailed,InvocationCompleted,StepStarted,StepSucceeded,"
                        "InvocationCompleted,ExecutionSucceeded");
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_EQUAL(h.events[2].current_attempt, 1);
    CU_ASSERT_EQUAL(h.events[2].next_attempt_delay_seconds, 2);
    CU_ASSERT_EQUAL(h.events[5].current_attempt, 2);
    CU_ASSERT_EQUAL(h.events[5].next_attempt_delay_seconds, 6);
    CU_ASSERT_EQUAL(h.events[8].current_attempt, 3);
    CU_ASSERT_STRING_EQUAL(h.events[2].error->error_type, "TransientError");
    durable_history_response_clear(&h);
    ef_close(&f);
}

static void test_example3_callback_during_wait(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_callback(&u[0], "1", 0, 0);
    u[0].name = durable__strdup("approval");
    u[0].subtype = durable__strdup("Callback");
    ef_wait(&u[1], "2", 5);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    ef_advance(&f, 1000);
    char *cb = callback_id(&f, "1");
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, cb, "\"payload\"", 9), 0);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), 0); /* B still STARTED */
    CU_ASSERT_FALSE(out.needs_invocation);
    int64_t when;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 5000);
    durable_vclock_advance_to(f.vc, when);
    CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, f.eng), 0);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "\"payload\"", NULL), 0);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,CallbackStarted,WaitStarted,InvocationCompleted,"
                        "CallbackSucceeded,InvocationCompleted,WaitSucceeded,"
                        "InvocationCompleted,ExecutionSucceeded");
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_STRING_EQUAL(h.events[1].name, "approval");
    CU_ASSERT_STRING_EQUAL(h.events[1].callback_id, cb);
    CU_ASSERT_STRING_EQUAL(h.events[4].payload, "\"payload\"");
    CU_ASSERT_STRING_EQUAL(h.events[4].name, "approval");
    CU_ASSERT_EQUAL(h.events[4].timestamp, EF_T0 + 1000);
    CU_ASSERT_EQUAL(h.events[6].duration, 5);
    durable_history_response_clear(&h);
    durable_free(cb);
    ef_close(&f);
}

/* ---- invocation outputs (§8.3) ---- */

static void test_output_validation(void)
{
    struct {
        durable_invocation_status status;
        const char *result;
        bool error;
        const char *message;
    } cases[] = {
        {DURABLE_INVOCATION_PENDING, NULL, false,
         "Cannot return PENDING status with no pending operations."},
        {DURABLE_INVOCATION_SUCCEEDED, NULL, true, "Cannot return an Error with SUCCEEDED status."},
        {DURABLE_INVOCATION_FAILED, "1", true, "Cannot return a Result with FAILED status."},
        {DURABLE_INVOCATION_FAILED, NULL, false, "Cannot return FAILED status without an Error."},
        {DURABLE_INVOCATION_STATUS_NONE, NULL, false, "Invalid invocation output status."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ef f;
        ef_open(&f);
        ef_start(&f, NULL);
        durable_invocation_output o = {0};
        o.status = cases[i].status;
        o.result = (char *)cases[i].result;
        if (cases[i].error)
            durable_error_object_new(&o.error, "E", "m", NULL);
        durable_invocation_outcome out;
        CU_ASSERT_EQUAL(durable_engine_complete_invocation(&out, f.eng, f.arn, f.inv, &o), 0);
        durable_error_object_free(o.error);
        CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_FAILED);
        EF_ASSERT_TYPES(&f, "ExecutionStarted,InvocationCompleted,ExecutionFailed");
        durable_history_response h;
        get_history(&f, &h);
        CU_ASSERT_STRING_EQUAL(h.events[2].error->error_type, "InvalidInvocationOutput");
        CU_ASSERT_STRING_EQUAL(h.events[2].error->error_message, cases[i].message);
        durable_history_response_clear(&h);
        /* Completing again is a state error and changes nothing. */
        char *before = ef_dump(&f);
        CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, NULL, NULL), DURABLE_ESTATE);
        char *after = ef_dump(&f);
        CU_ASSERT_STRING_EQUAL(before, after);
        free(before);
        free(after);
        ef_close(&f);
    }
}

static void test_succeeded_and_failed_outputs(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, NULL, NULL), 0);
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_EQUAL(h.count, 3);
    CU_ASSERT(h.events[2].has_payload_object);
    CU_ASSERT_PTR_NULL(h.events[2].payload);
    durable_history_response_clear(&h);
    ef_close(&f);

    ef_open(&f);
    ef_start(&f, NULL);
    durable_invocation_output o = {0};
    o.status = DURABLE_INVOCATION_FAILED;
    durable_error_object_new(&o.error, "StepError", "failed", "{\"d\":1}");
    CU_ASSERT_EQUAL(durable_engine_complete_invocation(NULL, f.eng, f.arn, f.inv, &o), 0);
    durable_error_object_free(o.error);
    get_history(&f, &h);
    CU_ASSERT_EQUAL(h.events[2].type, DURABLE_EVENT_EXECUTION_FAILED);
    CU_ASSERT_STRING_EQUAL(h.events[2].error->error_data, "{\"d\":1}");
    durable_history_response_clear(&h);
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL(durable_engine_get_execution(&info, f.eng, f.arn), 0);
    CU_ASSERT_STRING_EQUAL(info.error->error_type, "StepError");
    CU_ASSERT_EQUAL(info.end_timestamp, EF_T0);
    durable_execution_info_clear(&info);
    /* Nothing is invoked after close. */
    CU_ASSERT_EQUAL(ef_invoke(&f), DURABLE_ECLOSED);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Execution is not running.");
    ef_close(&f);
}

static void test_one_invocation_at_a_time(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_invocation_input in = {0};
    char *inv = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_invocation(&in, &inv, f.eng, f.arn, 0), DURABLE_EBUSY);
    CU_ASSERT_PTR_NULL(inv);
    durable_engine_string_list ready = {0};
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 0);
    durable_engine_string_list_clear(&ready);
    ef_close(&f);
}

/* A trigger during an invocation: PENDING is valid even with nothing
 * pending, and exactly one more invocation follows (§8.5). */
static void test_trigger_during_invocation(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    char *cb = callback_id(&f, "1");
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, cb, NULL, 0), 0);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), 0);
    CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_RUNNING);
    CU_ASSERT(out.needs_invocation);
    durable_engine_string_list ready = {0};
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 1);
    durable_engine_string_list_clear(&ready);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), 0);
    CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_FAILED); /* nothing pending, no trigger now */
    durable_free(cb);
    ef_close(&f);
}

static void test_invocation_errors_and_budget(void)
{
    durable_engine_options opts = DURABLE_ENGINE_OPTIONS_INIT;
    opts.max_invocation_failures = 3;
    opts.invocation_retry_backoff_ms = 5000;
    ef f;
    ef_open_opts(&f, &opts);
    ef_start(&f, NULL);
    durable_error_object *err = NULL;
    durable_error_object_new(&err, "Runtime.Error", "boom", NULL);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(durable_engine_fail_invocation(&out, f.eng, f.arn, f.inv, err), 0);
    CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_RUNNING);
    CU_ASSERT_EQUAL(out.retry_at_ms, EF_T0 + 5000);
    CU_ASSERT_FALSE(out.needs_invocation);
    durable_engine_string_list ready = {0};
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 0);
    durable_engine_string_list_clear(&ready);
    int64_t when;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 5000);
    durable_vclock_advance_to(f.vc, when);
    CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, f.eng), 0);
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 1);
    durable_engine_string_list_clear(&ready);
    /* A valid output resets the count. */
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    durable_operation_update u;
    ef_wait(&u, "1", 1);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_execution_state st = {0};
    CU_ASSERT_EQUAL(durable_engine_execution_state(&st, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(st.failed_invocations, 0);
    CU_ASSERT_EQUAL(st.invocation_count, 2);
    durable_execution_state_clear(&st);
    /* Three consecutive failures close it with the last error. */
    for (int i = 0; i < 3; i++) {
        ef_advance(&f, 10000);
        CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, f.eng), 0);
        CU_ASSERT_EQUAL(ef_invoke(&f), 0);
        if (i < 2) {
            CU_ASSERT_EQUAL(durable_engine_crash_invocation(&out, f.eng, f.arn, f.inv, "signal: killed"), 0);
        } else {
            CU_ASSERT_EQUAL(durable_engine_fail_invocation(&out, f.eng, f.arn, f.inv, err), 0);
        }
    }
    CU_ASSERT_EQUAL(out.status, DURABLE_EXEC_FAILED);
    durable_history_response h;
    get_history(&f, &h);
    durable_event *last = &h.events[h.count - 1];
    CU_ASSERT_EQUAL(last->type, DURABLE_EVENT_EXECUTION_FAILED);
    CU_ASSERT_STRING_EQUAL(last->error->error_type, "Runtime.Error");
    /* The crash shape of §8.4. */
    durable_event *crash = NULL;
    for (size_t i = 0; i < h.count; i++)
        if (h.events[i].type == DURABLE_EVENT_INVOCATION_COMPLETED && h.events[i].error &&
            strcmp(h.events[i].error->error_type, "Runtime.ExitError") == 0) {
            crash = &h.events[i];
            break;
        }
    CU_ASSERT_PTR_NOT_NULL_FATAL(crash);
    char expect[160];
    snprintf(expect, sizeof expect, "RequestId: %s Error: Runtime exited with error: signal: killed",
             crash->request_id);
    CU_ASSERT_STRING_EQUAL(crash->error->error_message, expect);
    durable_history_response_clear(&h);
    durable_invocation_info_list invs = {0};
    CU_ASSERT_EQUAL(durable_engine_list_invocations(&invs, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(invs.count, 5);
    CU_ASSERT_STRING_EQUAL(invs.items[0].outcome, "ERROR");
    CU_ASSERT_STRING_EQUAL(invs.items[1].outcome, "PENDING");
    CU_ASSERT_EQUAL(invs.items[4].seq, 5);
    durable_invocation_info_list_clear(&invs);
    durable_error_object_free(err);
    ef_close(&f);
}

static void test_invocation_timeout(void)
{
    durable_engine_options opts = DURABLE_ENGINE_OPTIONS_INIT;
    opts.invocation_timeout_seconds = 10;
    ef f;
    ef_open_opts(&f, &opts);
    ef_start(&f, NULL);
    char *old_token = durable__strdup(f.token);
    ef_advance(&f, 10000);
    int fired = 0;
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1);
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_EQUAL(h.count, 2);
    CU_ASSERT_STRING_EQUAL(h.events[1].error->error_type, "Sandbox.Timedout");
    char expect[160];
    snprintf(expect, sizeof expect, "RequestId: %s Error: Task timed out after 10 seconds", f.inv);
    CU_ASSERT_STRING_EQUAL(h.events[1].error->error_message, expect);
    durable_history_response_clear(&h);
    /* The abandoned handler's checkpoint fails with the token error. */
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = f.arn;
    req.checkpoint_token = old_token;
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&resp, f.eng, &req), DURABLE_ETOKEN);
    durable_free(old_token);
    ef_close(&f);
}

/* ---- callbacks (§6.4) ---- */

static void expect_cb_reject(ef *f, int rc, int code, const char *text)
{
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f->eng), text);
}

static void test_callback_exactly_once(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    char *cb = callback_id(&f, "1");
    CU_ASSERT_EQUAL(durable_engine_callback_heartbeat(f.eng, cb), 0); /* no heartbeat timeout: no-op */
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, cb, "{\"ok\":true}", 11), 0);
    char *before = ef_dump(&f);
    expect_cb_reject(&f, durable_engine_callback_success(f.eng, cb, "1", 1), DURABLE_ECALLBACK_DONE,
                     "Callback has already been completed.");
    expect_cb_reject(&f, durable_engine_callback_failure(f.eng, cb, NULL), DURABLE_ECALLBACK_DONE,
                     "Callback has already been completed.");
    expect_cb_reject(&f, durable_engine_callback_heartbeat(f.eng, cb), DURABLE_ECALLBACK_DONE,
                     "Callback has already been completed.");
    expect_cb_reject(&f, durable_engine_callback_success(f.eng, "nope", "1", 1), DURABLE_ENOTFOUND,
                     "Callback not found.");
    CU_ASSERT_STRING_EQUAL(durable_engine_exception_name(DURABLE_ENOTFOUND), "ResourceNotFoundException");
    char *after = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(op.result, "{\"ok\":true}");
    durable_operation_clear(&op);
    durable_free(cb);
    ef_close(&f);
}

static void test_callback_failure_and_limits(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_callback(&u[0], "1", 0, 0);
    ef_callback(&u[1], "2", 0, 0);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    char *cb1 = callback_id(&f, "1"), *cb2 = callback_id(&f, "2");
    char *before = ef_dump(&f);
    char *big = malloc(DURABLE_MAX_CALLBACK_RESULT_BYTES + 1);
    memset(big, 'a', DURABLE_MAX_CALLBACK_RESULT_BYTES + 1);
    expect_cb_reject(&f, durable_engine_callback_success(f.eng, cb1, big, DURABLE_MAX_CALLBACK_RESULT_BYTES + 1),
                     DURABLE_EINVAL, "Callback result size must be less than or equal to 262144 bytes.");
    free(big);
    expect_cb_reject(&f, durable_engine_callback_success(f.eng, cb1, "\xff\xfe", 2), DURABLE_EINVAL,
                     "Callback result must be valid UTF-8.");
    char *after = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    durable_error_object *err = NULL;
    durable_error_object_new(&err, "Rejected", "not approved", NULL);
    CU_ASSERT_EQUAL(durable_engine_callback_failure(f.eng, cb1, err), 0);
    durable_error_object_free(err);
    CU_ASSERT_EQUAL(durable_engine_callback_failure(f.eng, cb2, NULL), 0); /* empty body: {} */
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_EQUAL(h.events[h.count - 2].type, DURABLE_EVENT_CALLBACK_FAILED);
    CU_ASSERT_STRING_EQUAL(h.events[h.count - 2].error->error_message, "not approved");
    CU_ASSERT_PTR_NOT_NULL(h.events[h.count - 1].error);
    durable_history_response_clear(&h);
    durable_free(cb1);
    durable_free(cb2);
    ef_close(&f);
}

static void test_callback_timeouts(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[3];
    ef_callback(&u[0], "1", 10, 0);  /* overall timeout at +10 s */
    ef_callback(&u[1], "2", 0, 4);   /* heartbeat timeout at +4 s, pushed by heartbeats */
    ef_callback(&u[2], "3", 6, 6);   /* both at +6 s: Callback.Timeout wins */
    CU_ASSERT_EQUAL(ef_cp(&f, u, 3, NULL), 0);
    ef_clear_updates(u, 3);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    char *cb2 = callback_id(&f, "2");
    ef_advance(&f, 3000);
    CU_ASSERT_EQUAL(durable_engine_callback_heartbeat(f.eng, cb2), 0); /* now +7 s */
    size_t events_before;
    {
        durable_history_response h;
        get_history(&f, &h);
        events_before = h.count;
        durable_history_response_clear(&h);
    }
    ef_advance(&f, 3000); /* +6 s */
    int fired = 0;
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "3", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_TIMED_OUT);
    CU_ASSERT_STRING_EQUAL(op.error->error_type, "Callback.Timeout");
    CU_ASSERT_STRING_EQUAL(op.error->error_message, "Callback timed out");
    durable_operation_clear(&op);
    ef_advance(&f, 1000); /* +7 s: heartbeat deadline of 2 */
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(ef_get_op(&f, "2", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_TIMED_OUT);
    CU_ASSERT_STRING_EQUAL(op.error->error_type, "Callback.Heartbeat");
    CU_ASSERT_STRING_EQUAL(op.error->error_message, "Callback timed out on heartbeat");
    durable_operation_clear(&op);
    ef_advance(&f, 3000); /* +10 s */
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 1);
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_EQUAL(h.count, events_before + 3);
    CU_ASSERT_EQUAL(h.events[h.count - 1].type, DURABLE_EVENT_CALLBACK_TIMED_OUT);
    CU_ASSERT_EQUAL(h.events[h.count - 1].timestamp, EF_T0 + 10000);
    durable_history_response_clear(&h);
    char *before = ef_dump(&f);
    expect_cb_reject(&f, durable_engine_callback_success(f.eng, cb2, "1", 1),
                     DURABLE_ECALLBACK_TIMEOUT, "Callback timed out.");
    CU_ASSERT_STRING_EQUAL(durable_engine_exception_name(DURABLE_ECALLBACK_TIMEOUT),
                           "CallbackTimeoutException");
    char *after = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    durable_free(cb2);
    ef_close(&f);
}

static void test_list_callbacks(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_callback(&u[0], "1", 30, 0);
    u[0].name = durable__strdup("approve");
    ef_callback(&u[1], "2", 0, 0);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    durable_callback_info_list l = {0};
    CU_ASSERT_EQUAL(durable_engine_list_callbacks(&l, f.eng, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(l.count, 2);
    CU_ASSERT_STRING_EQUAL(l.items[0].name, "approve");
    CU_ASSERT_EQUAL(l.items[0].timeout_deadline, EF_T0 + 30000);
    CU_ASSERT_STRING_EQUAL(l.items[0].execution_arn, f.arn);
    CU_ASSERT_PTR_NULL(l.items[1].name);
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, l.items[1].callback_id, NULL, 0), 0);
    durable_callback_info_list_clear(&l);
    CU_ASSERT_EQUAL(durable_engine_list_callbacks(&l, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(l.count, 1);
    durable_callback_info_list_clear(&l);
    ef_close(&f);
}

/* ---- stop and timeout (§8.6) ---- */

static void test_stop_execution(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    char *cb = callback_id(&f, "1");
    ef_advance(&f, 500);
    durable_stop_request req = {0};
    req.durable_execution_arn = f.arn;
    durable_stop_response resp;
    CU_ASSERT_EQUAL(durable_engine_stop_execution(&resp, f.eng, &req), 0);
    CU_ASSERT_EQUAL(resp.stop_timestamp, EF_T0 + 500);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,CallbackStarted,InvocationCompleted,ExecutionStopped");
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_PTR_NULL(h.events[2].error);
    CU_ASSERT_EQUAL(h.events[2].invocation_end_timestamp, EF_T0 + 500);
    CU_ASSERT_STRING_EQUAL(h.events[3].error->error_message, "Execution stopped by user request");
    durable_history_response_clear(&h);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STARTED); /* stays STARTED */
    durable_operation_clear(&op);
    /* The abandoned invocation: token dead, output ignored. */
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), DURABLE_ETOKEN);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "1", &out), 0);
    CU_ASSERT(out.ignored);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,CallbackStarted,InvocationCompleted,ExecutionStopped");
    expect_cb_reject(&f, durable_engine_callback_success(f.eng, cb, "1", 1), DURABLE_ECLOSED,
                     "Execution is not running.");
    /* Stop again: 200 with the EndTimestamp, nothing changes. */
    ef_advance(&f, 500);
    char *before = ef_dump(&f);
    durable_error_object *err = NULL;
    durable_error_object_new(&err, "X", "custom", NULL);
    req.error = err;
    CU_ASSERT_EQUAL(durable_engine_stop_execution(&resp, f.eng, &req), 0);
    CU_ASSERT_EQUAL(resp.stop_timestamp, EF_T0 + 500);
    char *after = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    durable_error_object_free(err);
    durable_free(cb);
    ef_close(&f);
}

/* An invocation completes once: completing, failing or crashing it again
 * is rejected and changes nothing; its InvocationCompleted event carries the
 * start read when it was checked. */
static void test_invocation_completes_once(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_wait(&u, "1", 10);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_advance(&f, 2000);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), 0);
    CU_ASSERT_FALSE(out.ignored);
    char *types = ef_history_types(&f);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), DURABLE_ESTATE);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Invocation already completed.");
    CU_ASSERT_EQUAL(durable_engine_crash_invocation(&out, f.eng, f.arn, f.inv, NULL), DURABLE_ESTATE);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Invocation already completed.");
    EF_ASSERT_TYPES(&f, types);
    durable_history_response h;
    get_history(&f, &h);
    durable_event *last = &h.events[h.count - 1];
    CU_ASSERT_EQUAL(last->type, DURABLE_EVENT_INVOCATION_COMPLETED);
    CU_ASSERT_EQUAL(last->invocation_start_timestamp, EF_T0);
    CU_ASSERT_EQUAL(last->invocation_end_timestamp, EF_T0 + 2000);
    durable_history_response_clear(&h);
    free(types);
    ef_close(&f);
}

/* The status-only read agrees with the full scheduling state. */
static void assert_status_matches(ef *f, durable_exec_status want)
{
    durable_execution_state st = {0};
    CU_ASSERT_EQUAL_FATAL(durable_engine_execution_state(&st, f->eng, f->arn), 0);
    durable_exec_status status = DURABLE_EXEC_STATUS_NONE;
    int64_t deadline = -1;
    CU_ASSERT_EQUAL(durable_engine_execution_status(&status, &deadline, f->eng, f->arn), 0);
    CU_ASSERT_EQUAL(status, want);
    CU_ASSERT_EQUAL(status, st.status);
    CU_ASSERT_EQUAL(deadline, st.deadline_ms);
    status = DURABLE_EXEC_STATUS_NONE;
    CU_ASSERT_EQUAL(durable_engine_execution_status(&status, NULL, f->eng, f->arn), 0);
    CU_ASSERT_EQUAL(status, want);
    durable_execution_state_clear(&st);
}

static void test_execution_timeout(void)
{
    ef f;
    ef_open(&f);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.timeout_seconds = 60;
    CU_ASSERT_EQUAL(durable_engine_start_execution(&f.arn, NULL, f.eng, "fn", &o), 0);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    durable_operation_update u[2];
    ef_wait(&u[0], "1", 3600);
    ef_retry(&u[1], "2", 30, "E");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    assert_status_matches(&f, DURABLE_EXEC_RUNNING);
    /* Still in flight when the deadline passes. */
    int64_t when;
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 30000);
    ef_advance(&f, 60000);
    int fired = 0;
    CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, f.eng), 0);
    CU_ASSERT_EQUAL(fired, 2); /* the retry at +30 s, then the deadline */
    EF_ASSERT_TYPES(&f, "ExecutionStarted,WaitStarted,StepFailed,InvocationCompleted,ExecutionTimedOut");
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_STRING_EQUAL(h.events[4].error->error_message, "Execution timed out after 60 seconds.");
    durable_history_response_clear(&h);
    CU_ASSERT_EQUAL(exec_status(&f), DURABLE_EXEC_TIMED_OUT);
    assert_status_matches(&f, DURABLE_EXEC_TIMED_OUT);
    int64_t deadline = -1;
    durable_exec_status status;
    CU_ASSERT_EQUAL(durable_engine_execution_status(&status, &deadline, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(deadline, 0); /* disarmed once closed */
    CU_ASSERT_EQUAL(durable_engine_execution_status(&status, &deadline, f.eng, "arn:nope"),
                    DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Execution not found.");
    CU_ASSERT_EQUAL(durable_engine_execution_status(&status, NULL, f.eng, NULL), DURABLE_EINVAL);
    /* Every timer is disarmed. */
    CU_ASSERT_EQUAL(durable_engine_next_due(&when, f.eng), DURABLE_ENOTFOUND);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, &out), 0);
    CU_ASSERT(out.ignored);
    ef_close(&f);
}

/* ---- chained invokes (§6.5) ---- */

static void start_invoke(ef *f, const char *path, const char *fn, const char *payload)
{
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_START, path);
    u.options = DURABLE_OPTIONS_CHAINED_INVOKE;
    u.function_name = durable__strdup(fn);
    u.payload = durable__strdup(payload);
    u.tenant_id = durable__strdup("t1");
    CU_ASSERT_EQUAL(ef_cp1(f, &u), 0);
}

static void test_chained_invoke_child_execution(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    start_invoke(&f, "1", "target:$LATEST", "{\"n\":2}");
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_chained_invoke_list w = {0};
    CU_ASSERT_EQUAL(durable_engine_list_chained_waiting(&w, f.eng), 0);
    CU_ASSERT_EQUAL_FATAL(w.count, 1);
    CU_ASSERT_STRING_EQUAL(w.items[0].function_name, "target:$LATEST");
    CU_ASSERT_STRING_EQUAL(w.items[0].resolved_function, "target");
    CU_ASSERT_STRING_EQUAL(w.items[0].input_payload, "{\"n\":2}");
    CU_ASSERT_STRING_EQUAL(w.items[0].tenant_id, "t1");
    CU_ASSERT_STRING_EQUAL(w.items[0].op_id, ef_id("1"));
    char *child_arn = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_chained_target(&child_arn, f.eng, f.arn, w.items[0].op_id), 0);
    CU_ASSERT_STRING_EQUAL(child_arn, w.items[0].child_arn);
    CU_ASSERT_EQUAL(durable_engine_start_chained_target(NULL, f.eng, f.arn, w.items[0].op_id),
                    DURABLE_ESTATE);
    durable_chained_invoke_list_clear(&w);
    /* The child is an ordinary execution: input = payload, parent link set. */
    durable_execution_state st = {0};
    CU_ASSERT_EQUAL(durable_engine_execution_state(&st, f.eng, child_arn), 0);
    CU_ASSERT_STRING_EQUAL(st.parent_arn, f.arn);
    CU_ASSERT(st.needs_invocation);
    durable_execution_state_clear(&st);
    durable_invocation_input in = {0};
    char *inv = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_invocation(&in, &inv, f.eng, child_arn, 0), 0);
    CU_ASSERT_STRING_EQUAL(in.operations.items[0].input_payload, "{\"n\":2}");
    durable_invocation_input_clear(&in);
    durable_invocation_output o = {0};
    o.status = DURABLE_INVOCATION_SUCCEEDED;
    o.result = "4";
    CU_ASSERT_EQUAL(durable_engine_complete_invocation(NULL, f.eng, child_arn, inv, &o), 0);
    /* The engine completed the parent's operation and triggered the parent. */
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(op.result, "4");
    durable_operation_clear(&op);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,ChainedInvokeStarted,InvocationCompleted,ChainedInvokeSucceeded");
    durable_engine_string_list ready = {0};
    CU_ASSERT_EQUAL(durable_engine_list_ready(&ready, f.eng), 0);
    CU_ASSERT_EQUAL(ready.count, 1);
    CU_ASSERT_STRING_EQUAL(ready.items[0], f.arn);
    durable_engine_string_list_clear(&ready);
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_STRING_EQUAL(h.events[1].durable_execution_arn, child_arn);
    CU_ASSERT_STRING_EQUAL(h.events[1].executed_version, "$LATEST");
    CU_ASSERT_STRING_EQUAL(h.events[1].tenant_id, "t1");
    durable_history_response_clear(&h);
    durable_free(child_arn);
    durable_free(inv);
    ef_close(&f);
}

/* A target named by a full function ARN of another region and account: the
 * child execution is stored under the ARN the parent's history gives it
 * (that region and account), so the ARN a client reads there finds it. */
static void test_chained_invoke_child_arn_of_other_region(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    start_invoke(&f, "1", "arn:aws:lambda:eu-west-1:111122223333:function:target:prod", "7");
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_chained_invoke_list w = {0};
    CU_ASSERT_EQUAL(durable_engine_list_chained_waiting(&w, f.eng), 0);
    CU_ASSERT_EQUAL_FATAL(w.count, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.items[0].child_arn,
                                  "arn:aws:lambda:eu-west-1:111122223333:function:target:prod/"));
    char *child_arn = NULL;
    CU_ASSERT_EQUAL_FATAL(
        durable_engine_start_chained_target(&child_arn, f.eng, f.arn, w.items[0].op_id), 0);
    CU_ASSERT_STRING_EQUAL(child_arn, w.items[0].child_arn);
    durable_history_response h;
    get_history(&f, &h);
    CU_ASSERT_STRING_EQUAL(h.events[1].durable_execution_arn, child_arn);
    durable_history_response_clear(&h);
    durable_execution_info x;
    CU_ASSERT_EQUAL(durable_engine_get_execution(&x, f.eng, w.items[0].child_arn), 0);
    CU_ASSERT_STRING_EQUAL(x.durable_execution_arn, w.items[0].child_arn);
    CU_ASSERT_STRING_EQUAL(x.function_arn, "arn:aws:lambda:eu-west-1:111122223333:function:target");
    durable_execution_info_clear(&x);
    durable_chained_invoke_list_clear(&w);
    durable_free(child_arn);
    ef_close(&f);
}

static void test_chained_invoke_failed_child_and_not_found(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    start_invoke(&f, "1", "target", "1");
    start_invoke(&f, "2", "missing", "2");
    start_invoke(&f, "3", "plain", "3");
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    char *child = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_chained_target(&child, f.eng, f.arn, ef_id("1")), 0);
    durable_stop_request sreq = {0};
    sreq.durable_execution_arn = child;
    durable_stop_response sresp;
    CU_ASSERT_EQUAL(durable_engine_stop_execution(&sresp, f.eng, &sreq), 0);
    CU_ASSERT_EQUAL(durable_engine_complete_chained_invoke(f.eng, f.arn, ef_id("2"),
                                                           DURABLE_CHAINED_FUNCTION_NOT_FOUND, NULL, NULL),
                    0);
    CU_ASSERT_EQUAL(durable_engine_mark_chained_dispatched(f.eng, f.arn, ef_id("3")), 0);
    CU_ASSERT_EQUAL(durable_engine_complete_chained_invoke(f.eng, f.arn, ef_id("3"),
                                                           DURABLE_CHAINED_SUCCEEDED, NULL, NULL),
                    0);
    CU_ASSERT_EQUAL(durable_engine_complete_chained_invoke(f.eng, f.arn, ef_id("1"),
                                                           DURABLE_CHAINED_SUCCEEDED, NULL, NULL),
                    DURABLE_ESTATE);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "1", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_STOPPED);
    durable_operation_clear(&op);
    CU_ASSERT_EQUAL(ef_get_op(&f, "2", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_FAILED);
    CU_ASSERT_STRING_EQUAL(op.error->error_type, "ResourceNotFoundException");
    CU_ASSERT_STRING_EQUAL(op.error->error_message, "Function not found: missing");
    durable_operation_clear(&op);
    CU_ASSERT_EQUAL(ef_get_op(&f, "3", &op), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_PTR_NULL(op.result); /* no value: SUCCEEDED with no Result */
    durable_operation_clear(&op);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,ChainedInvokeStarted,ChainedInvokeStarted,"
                        "ChainedInvokeStarted,InvocationCompleted,ChainedInvokeStopped,"
                        "ChainedInvokeFailed,ChainedInvokeSucceeded");
    durable_free(child);
    ef_close(&f);
}

/* CANCEL of a running target stops the child execution. */
static void test_chained_cancel_stops_child(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    start_invoke(&f, "1", "target", "1");
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    char *child = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_chained_target(&child, f.eng, f.arn, ef_id("1")), 0);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0); /* the parent runs again meanwhile */
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_CANCEL, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    durable_execution_info info = {0};
    CU_ASSERT_EQUAL(durable_engine_get_execution(&info, f.eng, child), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_STOPPED);
    durable_execution_info_clear(&info);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,ChainedInvokeStarted,InvocationCompleted,ChainedInvokeStopped");
    durable_free(child);
    ef_close(&f);
}

static void test_inflight_and_crash_resume(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_inflight_list l = {0};
    CU_ASSERT_EQUAL(durable_engine_list_inflight(&l, f.eng, "fn"), 0);
    CU_ASSERT_EQUAL_FATAL(l.count, 1);
    CU_ASSERT_STRING_EQUAL(l.items[0].invocation_id, f.inv);
    CU_ASSERT_STRING_EQUAL(l.items[0].execution_arn, f.arn);
    CU_ASSERT_EQUAL(l.items[0].start_timestamp, EF_T0);
    durable_inflight_list_clear(&l);
    CU_ASSERT_EQUAL(durable_engine_list_inflight(&l, f.eng, "other"), 0);
    CU_ASSERT_EQUAL(l.count, 0);
    durable_inflight_list_clear(&l);
    durable_invocation_outcome out;
    CU_ASSERT_EQUAL(durable_engine_crash_invocation(&out, f.eng, f.arn, f.inv, "exit status 137"), 0);
    CU_ASSERT_EQUAL(out.retry_at_ms, EF_T0 + 5000);
    CU_ASSERT_EQUAL(durable_engine_list_inflight(&l, f.eng, NULL), 0);
    CU_ASSERT_EQUAL(l.count, 0);
    durable_inflight_list_clear(&l);
    ef_close(&f);
}

/* Every other rejected call leaves the database unchanged too. */
static void test_rejected_calls_change_nothing(void)
{
    ef f;
    ef_open(&f);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "once";
    CU_ASSERT_EQUAL(durable_engine_start_execution(&f.arn, NULL, f.eng, "fn", &o), 0);
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    char *before = ef_dump(&f);
    char *arn = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "fn", &o), DURABLE_EEXISTS);
    CU_ASSERT_STRING_EQUAL(durable_engine_exception_name(DURABLE_EEXISTS),
                           "DurableExecutionAlreadyStartedException");
    durable_free(arn);
    arn = NULL;
    o.execution_name = "bad name!";
    CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "fn", &o), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(arn);
    o.execution_name = NULL;
    o.timeout_seconds = DURABLE_MAX_WAIT_SECONDS + 1;
    CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "fn", &o), DURABLE_EINVAL);
    o.timeout_seconds = 0;
    o.input_payload = "\xc3\x28";
    CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "fn", &o), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "bad/name", NULL), DURABLE_EINVAL);
    durable_invocation_input in = {0};
    char *inv = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_invocation(&in, &inv, f.eng, f.arn, 0), DURABLE_EBUSY);
    CU_ASSERT_EQUAL(durable_engine_start_invocation(&in, &inv, f.eng, "arn:nope", 0), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_engine_complete_invocation(NULL, f.eng, f.arn, "no-such-invocation", NULL),
                    DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_engine_start_chained_target(NULL, f.eng, f.arn, "nope"), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_engine_complete_chained_invoke(f.eng, f.arn, "nope", DURABLE_CHAINED_SUCCEEDED,
                                                           NULL, NULL),
                    DURABLE_ENOTFOUND);
    durable_stop_request sreq = {0};
    sreq.durable_execution_arn = "arn:nope";
    durable_stop_response sresp;
    CU_ASSERT_EQUAL(durable_engine_stop_execution(&sresp, f.eng, &sreq), DURABLE_ENOTFOUND);
    durable_operation op;
    CU_ASSERT_EQUAL(durable_engine_get_operation(&op, f.eng, f.arn, "nope"), DURABLE_ENOTFOUND);
    char *after = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_lifecycle");
    DT_ADD(s, test_example1_step_then_wait);
    DT_ADD(s, test_example2_retries);
    DT_ADD(s, test_example3_callback_during_wait);
    DT_ADD(s, test_output_validation);
    DT_ADD(s, test_succeeded_and_failed_outputs);
    DT_ADD(s, test_one_invocation_at_a_time);
    DT_ADD(s, test_trigger_during_invocation);
    DT_ADD(s, test_invocation_errors_and_budget);
    DT_ADD(s, test_invocation_timeout);
    DT_ADD(s, test_callback_exactly_once);
    DT_ADD(s, test_callback_failure_and_limits);
    DT_ADD(s, test_callback_timeouts);
    DT_ADD(s, test_list_callbacks);
    DT_ADD(s, test_stop_execution);
    DT_ADD(s, test_execution_timeout);
    DT_ADD(s, test_invocation_completes_once);
    DT_ADD(s, test_chained_invoke_child_execution);
    DT_ADD(s, test_chained_invoke_child_arn_of_other_region);
    DT_ADD(s, test_chained_invoke_failed_child_and_not_found);
    DT_ADD(s, test_chained_cancel_stops_child);
    DT_ADD(s, test_inflight_and_crash_resume);
    DT_ADD(s, test_rejected_calls_change_nothing);
    return dt_run();
}
