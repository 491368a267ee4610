/* Checkpoint validation (SPEC §5.2–§5.6): one case per rule and per message,
 * each rejected request leaves every table unchanged (atomicity). */
#include <string.h>

#include "support/engine_fixture.h"
#include "support/testutil.h"

/* Checkpoint the batch; expect rejection with `code` and exactly `text`,
 * errmsg naming `where` (NULL = not checked), and an unchanged database. */
static void expect_reject(ef *f, durable_operation_update *u, size_t n, int code, const char *text,
                          const char *where)
{
    char *before = ef_dump(f);
    char *token_before = durable__strdup(f->token);
    int rc = ef_cp(f, u, n, NULL);
    if (rc != code || strcmp(durable_engine_error_text(f->eng), text) != 0)
        fprintf(stderr, "\n  got %d '%s' (%s), expected %d '%s'\n", rc,
                durable_engine_error_text(f->eng), durable_engine_errmsg(f->eng), code, text);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f->eng), text);
    /* The SPEC text stays findable in the detailed message and the last error. */
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_engine_errmsg(f->eng), text));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, text));
    CU_ASSERT_EQUAL(durable_error_last()->code, code);
    if (where)
        CU_ASSERT_PTR_NOT_NULL(strstr(durable_engine_errmsg(f->eng), where));
    char *after = ef_dump(f);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_STRING_EQUAL(f->token, token_before);
    free(before);
    free(after);
    durable_free(token_before);
    ef_clear_updates(u, n);
}

static void reject1(ef *f, durable_operation_update *u, const char *text)
{
    expect_reject(f, u, 1, DURABLE_EINVAL, text, "Updates[0]");
}

static void test_b1_execution_updates(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, "1");
    durable_operation_update u[3];
    ef_upd(&u[0], DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "x");
    ef_upd(&u[1], DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "y");
    expect_reject(&f, u, 2, DURABLE_EINVAL, "Cannot checkpoint multiple EXECUTION updates.",
                  "Updates[1]");
    ef_upd(&u[0], DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "x");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    expect_reject(&f, u, 2, DURABLE_EINVAL, "EXECUTION checkpoint must be the last update.",
                  "Updates[0]");
    ef_close(&f);
}

static void test_b2_missing_id(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    durable_free(u[1].id);
    u[1].id = NULL;
    expect_reject(&f, u, 2, DURABLE_EINVAL, "Operation update must have an Id.", "Updates[1]");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u[0].id[0] = 0;
    expect_reject(&f, u, 1, DURABLE_EINVAL, "Operation update must have an Id.", "Updates[0]");
    ef_close(&f);
}

static void test_b3_same_operation_twice(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[3];
    const char *text = "Cannot update the same operation twice in a single request.";
    /* START + one completion is the allowed exception; a third update is not. */
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    ef_upd(&u[2], DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "1");
    expect_reject(&f, u, 3, DURABLE_EINVAL, text, "Updates[2]");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    expect_reject(&f, u, 2, DURABLE_EINVAL, text, "Updates[1]");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    expect_reject(&f, u, 2, DURABLE_EINVAL, text, "Updates[1]");
    ef_wait(&u[0], "1", 5);
    ef_upd(&u[1], DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "1");
    expect_reject(&f, u, 2, DURABLE_EINVAL, text, "Updates[1]");
    /* The exception itself: STEP and CONTEXT START then one completion. */
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "2");
    ef_upd(&u[1], DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "2");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,StepStarted,StepSucceeded,ContextStarted,ContextSucceeded");
    ef_close(&f);
}

static void test_b4_parent(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1-1");
    u[0].parent_id = durable__strdup(ef_id("1"));
    reject1(&f, u, "Invalid parent operation id.");
    /* A parent that is a STEP is not a CONTEXT. */
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u[0]), 0);
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1-1");
    u[0].parent_id = durable__strdup(ef_id("1"));
    reject1(&f, u, "Invalid parent operation id.");
    /* Started earlier in the same batch: accepted. */
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "2");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "2-1");
    u[1].parent_id = durable__strdup(ef_id("2"));
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "2-1", &op), 0);
    CU_ASSERT_STRING_EQUAL(op.parent_id, ef_id("2"));
    durable_operation_clear(&op);
    ef_close(&f);
}

static void test_type_and_action(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_TYPE_NONE, DURABLE_ACTION_START, "1");
    reject1(&f, &u, "Unknown operation type.");
    const struct {
        durable_op_type t;
        durable_op_action a;
    } bad[] = {
        {DURABLE_OP_WAIT, DURABLE_ACTION_SUCCEED},     {DURABLE_OP_STEP, DURABLE_ACTION_CANCEL},
        {DURABLE_OP_CONTEXT, DURABLE_ACTION_RETRY},    {DURABLE_OP_CALLBACK, DURABLE_ACTION_FAIL},
        {DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_RETRY},
        {DURABLE_OP_EXECUTION, DURABLE_ACTION_START},  {DURABLE_OP_STEP, DURABLE_ACTION_NONE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ef_upd(&u, bad[i].t, bad[i].a, "1");
        reject1(&f, &u, "Invalid action for the given operation type.");
    }
    ef_close(&f);
}

static void test_content_rules(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "1");
    u.payload = durable__strdup("\"x\"");
    reject1(&f, &u, "Cannot provide a Payload for FAIL action.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    durable_error_object_new(&u.error, "E", "m", NULL);
    reject1(&f, &u, "Cannot provide an Error for SUCCEED action.");
    ef_retry(&u, "1", 1, "E");
    u.payload = durable__strdup("\"x\"");
    reject1(&f, &u, "Cannot provide both error and payload to RETRY a STEP.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_RETRY, "1");
    reject1(&f, &u, "Invalid StepOptions for the given action.");
    ef_retry(&u, "1", 0, "E");
    reject1(&f, &u, "Invalid StepOptions for the given action.");
    ef_retry(&u, "1", DURABLE_MAX_WAIT_SECONDS + 1, "E");
    reject1(&f, &u, "Invalid StepOptions for the given action.");
    /* Error objects over 32,768 bytes serialized. */
    char *big = malloc(40000);
    memset(big, 'a', 39999);
    big[39999] = 0;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "1");
    durable_error_object_new(&u.error, "E", big, NULL);
    reject1(&f, &u, "Error object size must be less than 32768 bytes.");
    free(big);
    /* Payload over 6 MiB. */
    big = malloc(DURABLE_MAX_PAYLOAD_BYTES + 2);
    memset(big, 'a', DURABLE_MAX_PAYLOAD_BYTES + 1);
    big[DURABLE_MAX_PAYLOAD_BYTES + 1] = 0;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u.payload = big;
    reject1(&f, &u, "Payload size must be less than or equal to 6291456 bytes.");
    ef_close(&f);
}

static void test_options_rules(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_WAIT, DURABLE_ACTION_START, "1");
    reject1(&f, &u, "Invalid WaitOptions for the given action.");
    ef_wait(&u, "1", 0);
    reject1(&f, &u, "Invalid WaitOptions for the given action.");
    ef_wait(&u, "1", DURABLE_MAX_WAIT_SECONDS + 1);
    reject1(&f, &u, "Invalid WaitOptions for the given action.");
    ef_callback(&u, "1", -2, 0);
    reject1(&f, &u, "Invalid CallbackOptions for the given action.");
    ef_callback(&u, "1", 0, -5);
    reject1(&f, &u, "Invalid CallbackOptions for the given action.");
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_START, "1");
    reject1(&f, &u, "Invalid ChainedInvokeOptions for the given action.");
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_START, "1");
    u.options = DURABLE_OPTIONS_CHAINED_INVOKE;
    u.function_name = malloc(DURABLE_MAX_FUNCTION_NAME_LEN + 2);
    memset(u.function_name, 'f', DURABLE_MAX_FUNCTION_NAME_LEN + 1);
    u.function_name[DURABLE_MAX_FUNCTION_NAME_LEN + 1] = 0;
    reject1(&f, &u, "Invalid ChainedInvokeOptions for the given action.");
    /* A callback with no options at all is fine: no timeouts. */
    ef_upd(&u, DURABLE_OP_CALLBACK, DURABLE_ACTION_START, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_close(&f);
}

static void test_field_limits(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    durable_free(u.id);
    u.id = durable__strdup("bad id!");
    reject1(&f, &u, "Invalid operation id.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    durable_free(u.id);
    u.id = durable__strdup("0123456789012345678901234567890123456789012345678901234567890123456789");
    reject1(&f, &u, "Invalid operation id.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u.name = durable__strdup("tab\there");
    reject1(&f, &u, "Invalid operation name.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u.name = durable__strdup("");
    reject1(&f, &u, "Invalid operation name.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u.subtype = durable__strdup("Sub Type");
    reject1(&f, &u, "Invalid operation subtype.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u.subtype = durable__strdup("ThisSubTypeIsWayTooLongForTheLimit");
    reject1(&f, &u, "Invalid operation subtype.");
    ef_close(&f);
}

static void test_step_status_rules(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1"); /* STARTED: not startable */
    reject1(&f, &u, "Invalid current STEP state to start.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    reject1(&f, &u, "Invalid current STEP state to close.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "1");
    reject1(&f, &u, "Invalid current STEP state to close.");
    ef_retry(&u, "1", 1, "E");
    reject1(&f, &u, "Invalid current STEP state to re-attempt.");
    /* PENDING (after RETRY) accepts neither START nor a close until READY. */
    ef_retry(&u, "2", 3, "E");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    reject1(&f, &u, "Invalid current STEP state to start.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "2");
    reject1(&f, &u, "Invalid current STEP state to close.");
    ef_close(&f);
}

static void test_context_and_start_existing(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1");
    reject1(&f, &u, "Cannot start a CONTEXT that already exists.");
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_FAIL, "1");
    reject1(&f, &u, "Invalid current CONTEXT state to close.");
    ef_wait(&u, "2", 5);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_wait(&u, "2", 5);
    reject1(&f, &u, "Cannot start a WAIT that already exists.");
    ef_callback(&u, "3", 0, 0);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_callback(&u, "3", 0, 0);
    reject1(&f, &u, "Cannot start a CALLBACK that already exists.");
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_START, "4");
    u.options = DURABLE_OPTIONS_CHAINED_INVOKE;
    u.function_name = durable__strdup("target");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_START, "4");
    u.options = DURABLE_OPTIONS_CHAINED_INVOKE;
    u.function_name = durable__strdup("target");
    reject1(&f, &u, "Cannot start a CHAINED_INVOKE that already exists.");
    ef_close(&f);
}

static void test_cancel_rules(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "9");
    reject1(&f, &u, "Cannot cancel a WAIT that does not exist or has already completed.");
    ef_upd(&u, DURABLE_OP_CALLBACK, DURABLE_ACTION_CANCEL, "9");
    reject1(&f, &u, "Cannot cancel a CALLBACK that does not exist or has already completed.");
    ef_upd(&u, DURABLE_OP_CHAINED_INVOKE, DURABLE_ACTION_CANCEL, "9");
    reject1(&f, &u, "Cannot cancel a CHAINED_INVOKE that does not exist or has already completed.");
    ef_wait(&u, "1", 5);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    ef_upd(&u, DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "1");
    reject1(&f, &u, "Cannot cancel a WAIT that does not exist or has already completed.");
    ef_close(&f);
}

static void test_metadata_consistency(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "1-1");
    u[1].parent_id = durable__strdup(ef_id("1"));
    u[1].name = durable__strdup("fetch");
    u[1].subtype = durable__strdup("Step");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "2");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u[0]), 0);

    ef_upd(&u[0], DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "1-1");
    reject1(&f, u, "Inconsistent operation type.");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1-1");
    u[0].subtype = durable__strdup("Other");
    reject1(&f, u, "Inconsistent operation subtype.");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1-1");
    u[0].name = durable__strdup("other");
    reject1(&f, u, "Inconsistent operation name.");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1-1");
    u[0].parent_id = durable__strdup(ef_id("2"));
    reject1(&f, u, "Inconsistent parent operation id.");
    /* Omitted fields are not checked; matching ones pass. */
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1-1");
    u[0].name = durable__strdup("fetch");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u[0]), 0);
    ef_close(&f);
}

/* A valid first update followed by an invalid one: nothing is applied. */
static void test_whole_batch_rejected(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[3];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    ef_wait(&u[1], "2", 3);
    ef_upd(&u[2], DURABLE_OP_STEP, DURABLE_ACTION_START, "1"); /* later sees the earlier START */
    expect_reject(&f, u, 3, DURABLE_EINVAL,
                  "Cannot update the same operation twice in a single request.", "Updates[2]");
    /* State carried across updates: START then RETRY then (rejected) SUCCEED
     * — the scratch copy sees PENDING. */
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "5");
    ef_upd(&u[1], DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "5");
    ef_upd(&u[2], DURABLE_OP_STEP, DURABLE_ACTION_START, "5-1");
    u[2].parent_id = durable__strdup(ef_id("5"));
    CU_ASSERT_EQUAL(ef_cp(&f, u, 3, NULL), 0); /* descendants of a completed context are allowed */
    ef_clear_updates(u, 3);
    EF_ASSERT_TYPES(&f, "ExecutionStarted,ContextStarted,ContextSucceeded,StepStarted");
    ef_close(&f);
}

static void test_unknown_execution(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_checkpoint_request req = {0};
    req.durable_execution_arn =
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/x/y";
    req.checkpoint_token = f.token;
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&resp, f.eng, &req), DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_engine_exception_name(DURABLE_ENOTFOUND),
                           "ResourceNotFoundException");
    ef_close(&f);
}

/* EXECUTION updates accept any Id (synthetic ids of official SDKs). */
static void test_execution_update_any_id(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "execution-result-1767225600000");
    u.payload = durable__strdup("\"big\"");
    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL(ef_cp(&f, &u, 1, &resp), 0);
    durable_operation_update_clear(&u);
    CU_ASSERT_PTR_NULL(resp.checkpoint_token); /* closed: no further token */
    durable_checkpoint_response_clear(&resp);
    durable_operation_list ops = {0};
    CU_ASSERT_EQUAL(durable_engine_list_operations(&ops, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(ops.count, 1); /* never creates an operation */
    CU_ASSERT_EQUAL(ops.items[0].status, DURABLE_OP_SUCCEEDED);
    durable_operation_list_clear(&ops);
    ef_close(&f);
}

/* errmsg says where: "Updates[<i>] (id <id>): <SPEC text>". */
static void test_error_location_format(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[3];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    CU_ASSERT_EQUAL(ef_cp1(&f, &u[0]), 0);
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    ef_wait(&u[1], "3", 1);
    ef_upd(&u[2], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 3, NULL), DURABLE_EINVAL);
    ef_clear_updates(u, 3);
    CU_ASSERT_STRING_EQUAL(durable_engine_errmsg(f.eng),
                           "Updates[2] (id c4ca4238a0b92382): Invalid current STEP state to close.");
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message,
                           "Updates[2] (id c4ca4238a0b92382): Invalid current STEP state to close.");
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Invalid current STEP state to close.");
    CU_ASSERT_EQUAL(durable_engine_errcode(f.eng), DURABLE_EINVAL);
    /* A later success clears the handle's error. */
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0);
    CU_ASSERT_STRING_EQUAL(durable_engine_errmsg(f.eng), "");
    CU_ASSERT_EQUAL(durable_engine_errcode(f.eng), 0);
    ef_close(&f);
}

/* A batch larger than the validation map kept on the stack (more than 31
 * updates): START + SUCCEED pairs apply in update order with their events;
 * a later batch whose last update is invalid is rejected whole (nothing
 * written, no event, token still current); so is START + SUCCEED + RETRY of
 * one id. */
static void fill_pairs(durable_operation_update *u, int first, int pairs)
{
    for (int k = 0; k < pairs; k++) {
        char p[16];
        snprintf(p, sizeof p, "%d", first + k);
        ef_upd(&u[2 * k], DURABLE_OP_STEP, DURABLE_ACTION_START, p);
        ef_upd(&u[2 * k + 1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, p);
        u[2 * k + 1].payload = durable__sprintf("%d", first + k);
    }
}

static size_t op_count(ef *f)
{
    durable_operation_list l = {0};
    CU_ASSERT_EQUAL_FATAL(durable_engine_list_operations(&l, f->eng, f->arn), 0);
    size_t n = l.count;
    durable_operation_list_clear(&l);
    return n;
}

static void test_large_batch_and_whole_rejection(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    enum { PAIRS = 20 };
    durable_operation_update u[2 * PAIRS + 1];
    fill_pairs(u, 1, PAIRS);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2 * PAIRS, NULL), 0);
    ef_clear_updates(u, 2 * PAIRS);
    char want[2048] = "ExecutionStarted";
    for (int k = 0; k < PAIRS; k++)
        strcat(want, ",StepStarted,StepSucceeded");
    EF_ASSERT_TYPES(&f, want);
    CU_ASSERT_EQUAL(op_count(&f), 1 + PAIRS);
    durable_operation op;
    CU_ASSERT_EQUAL_FATAL(durable_engine_get_operation(&op, f.eng, f.arn, ef_id("7")), 0);
    CU_ASSERT_EQUAL(op.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(op.result, "7");
    durable_operation_clear(&op);

    /* 20 valid pairs, then a WAIT for an existing step id: all rejected. */
    fill_pairs(u, PAIRS + 1, PAIRS);
    ef_wait(&u[2 * PAIRS], "2", 1);
    char *token = durable__strdup(f.token);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2 * PAIRS + 1, NULL), DURABLE_EINVAL);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Inconsistent operation type.");
    CU_ASSERT_STRING_EQUAL(f.token, token);
    EF_ASSERT_TYPES(&f, want);
    CU_ASSERT_EQUAL(op_count(&f), 1 + PAIRS);
    /* The same 40 valid updates then apply with the unchanged token. */
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2 * PAIRS, NULL), 0);
    ef_clear_updates(u, 2 * PAIRS + 1);
    CU_ASSERT_EQUAL(op_count(&f), 1 + 2 * PAIRS);

    /* START + SUCCEED + RETRY of one new id in one batch: rejected whole. */
    char *types = ef_history_types(&f);
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "99");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "99");
    ef_retry(&u[2], "99", 5, "E");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 3, NULL), DURABLE_EINVAL);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng),
                           "Cannot update the same operation twice in a single request.");
    ef_clear_updates(u, 3);
    EF_ASSERT_TYPES(&f, types);
    CU_ASSERT_EQUAL(op_count(&f), 1 + 2 * PAIRS);
    CU_ASSERT_EQUAL(durable_engine_get_operation(&op, f.eng, f.arn, ef_id("99")), DURABLE_ENOTFOUND);
    free(types);
    durable_free(token);
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_checkpoint");
    DT_ADD(s, test_b1_execution_updates);
    DT_ADD(s, test_b2_missing_id);
    DT_ADD(s, test_b3_same_operation_twice);
    DT_ADD(s, test_b4_parent);
    DT_ADD(s, test_type_and_action);
    DT_ADD(s, test_content_rules);
    DT_ADD(s, test_options_rules);
    DT_ADD(s, test_field_limits);
    DT_ADD(s, test_step_status_rules);
    DT_ADD(s, test_context_and_start_existing);
    DT_ADD(s, test_cancel_rules);
    DT_ADD(s, test_metadata_consistency);
    DT_ADD(s, test_whole_batch_rejected);
    DT_ADD(s, test_unknown_execution);
    DT_ADD(s, test_execution_update_any_id);
    DT_ADD(s, test_error_location_format);
    DT_ADD(s, test_large_batch_and_whole_rejection);
    return dt_run();
}
