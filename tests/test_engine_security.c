/*
 * Security checks at the engine level (issue 15 §5):
 *  - a checkpoint token or callback id built by hand from public parts (the
 *    ARN, an operation id, a sequence number, an earlier RequestId) is
 *    refused with the SPEC text and changes nothing;
 *  - hostile text (quotes, backslashes, %, control characters, NUL escapes,
 *    multi-byte UTF-8) in inputs, results, names and errors comes back byte
 *    for byte; invalid UTF-8 and raw NULs are refused with a clear error and
 *    never stored, so history and state stay readable (regressions of two
 *    faults `make fuzz` found: an invalid-UTF-8 step result or invocation
 *    error was stored and then made the history unreadable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/engine_fixture.h"

/* rc must be `code` with exactly `text`, and the file unchanged. */
static void expect_refused(ef *f, const char *before, int rc, int code, const char *text)
{
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f->eng), text);
    char *after = ef_dump(f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(after);
}

static int cp_with_token(ef *f, const char *token)
{
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "9");
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = f->arn;
    req.checkpoint_token = (char *)token;
    req.updates = &u;
    req.update_count = 1;
    durable_checkpoint_response resp = {0};
    int rc = durable_engine_checkpoint(&resp, f->eng, &req);
    durable_checkpoint_response_clear(&resp);
    durable_operation_update_clear(&u);
    return rc;
}

static char *b64(const char *text)
{
    char *out = NULL;
    CU_ASSERT_FATAL(durable_base64_encode(&out, (const unsigned char *)text, strlen(text)) == 0);
    return out;
}

static void test_forged_checkpoint_tokens(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    /* Invocation 1 ends (its RequestId becomes public in history), 2 runs. */
    durable_operation_update u;
    ef_wait(&u, "1", 60);
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    char *old_inv = durable__strdup(f.inv);
    CU_ASSERT_FATAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    ef_advance(&f, 61000);
    CU_ASSERT_FATAL(durable_engine_fire_due(NULL, f.eng) == 0);
    CU_ASSERT_FATAL(ef_invoke(&f) == 0);
    durable_token real = {0};
    CU_ASSERT_FATAL(durable_token_decode(&real, f.token) == 0);

    char *exec_id = NULL;
    CU_ASSERT_FATAL(durable_execution_arn_parse(NULL, NULL, NULL, &exec_id, f.arn) == 0);
    char uuid[37];
    durable_uuid(uuid);
    const char *guesses[] = {exec_id, uuid, old_inv, f.arn, "1", ef_id("1")};
    char *before = ef_dump(&f);
    int forged = 0;
    for (size_t g = 0; g < sizeof guesses / sizeof *guesses; g++) {
        for (int64_t seq = 0; seq <= real.seq + 2; seq++) {
            char *tok = NULL;
            CU_ASSERT_FATAL(durable_token_encode(&tok, f.arn, seq, guesses[g]) == 0);
            expect_refused(&f, before, cp_with_token(&f, tok), DURABLE_ETOKEN,
                           "Invalid Checkpoint Token");
            durable_state_request sr = {0};
            sr.durable_execution_arn = f.arn;
            sr.checkpoint_token = tok;
            durable_state_response s = {0};
            CU_ASSERT_EQUAL(durable_engine_get_state(&s, f.eng, &sr), DURABLE_ETOKEN);
            durable_state_response_clear(&s);
            durable_free(tok);
            forged++;
        }
    }
    /* The same JSON without its checksum, and plain public text. */
    char json[1024];
    snprintf(json, sizeof json, "{\"arn\":\"%s\",\"seq\":%lld,\"inv\":\"%s\"}", f.arn,
             (long long)real.seq, real.invocation_id);
    char *no_sum = b64(json);
    const char *plain[] = {no_sum, f.arn, exec_id, "1", "", "null", "%s%n"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++, forged++)
        expect_refused(&f, before, cp_with_token(&f, plain[i]), DURABLE_ETOKEN,
                       "Invalid Checkpoint Token");
    printf("\n    %d forged tokens refused ", forged);
    /* The genuine token still works. */
    CU_ASSERT_EQUAL(cp_with_token(&f, f.token), 0);
    free(before);
    durable_free(no_sum);
    durable_free(exec_id);
    durable_free(old_inv);
    durable_token_clear(&real);
    ef_close(&f);
}

static void test_forged_callback_ids(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_callback(&u, "1", 3600, 0);
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    durable_operation op;
    durable_operation_init(&op);
    CU_ASSERT_FATAL(ef_get_op(&f, "1", &op) == 0);
    CU_ASSERT_FATAL(op.callback_id != NULL);

    char *minted = NULL; /* a well-formed id for the same ARN and operation, new nonce */
    CU_ASSERT_FATAL(durable_callback_id_encode(&minted, f.arn, op.id) == 0);
    char json[1024];
    snprintf(json, sizeof json, "{\"arn\":\"%s\",\"op\":\"%s\"}", f.arn, op.id);
    char *no_nonce = b64(json);
    char *flipped = durable__strdup(op.callback_id);
    flipped[strlen(flipped) / 2] ^= 1;
    const char *forged[] = {minted, no_nonce, flipped, op.id, f.arn, "", "%s%n\"'"};
    char *before = ef_dump(&f);
    durable_error_object *err = NULL;
    CU_ASSERT_FATAL(durable_error_object_new(&err, "E", "m", NULL) == 0);
    for (size_t i = 0; i < sizeof forged / sizeof *forged; i++) {
        expect_refused(&f, before, durable_engine_callback_success(f.eng, forged[i], "1", 1),
                       DURABLE_ENOTFOUND, "Callback not found.");
        expect_refused(&f, before, durable_engine_callback_failure(f.eng, forged[i], err),
                       DURABLE_ENOTFOUND, "Callback not found.");
        expect_refused(&f, before, durable_engine_callback_heartbeat(f.eng, forged[i]),
                       DURABLE_ENOTFOUND, "Callback not found.");
    }
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, op.callback_id, "1", 1), 0);
    durable_error_object_free(err);
    free(before);
    durable_free(minted);
    durable_free(no_nonce);
    durable_free(flipped);
    durable_operation_clear(&op);
    ef_close(&f);
}

/* Valid UTF-8 that breaks naive quoting, escaping and format strings. */
#define HOSTILE "\"q\" 'a' \\\\ \\\" %s%n%% \x01\x1f\x7f \\u0000 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 </x>"

static void test_hostile_text_round_trips(void)
{
    ef f;
    ef_open(&f);
    const char *input = "\"" HOSTILE "\"";
    ef_start(&f, input);
    durable_execution_info info = {0};
    CU_ASSERT_FATAL(durable_engine_get_execution(&info, f.eng, f.arn) == 0);
    CU_ASSERT_STRING_EQUAL(info.input_payload, input);
    durable_execution_info_clear(&info);

    durable_operation_update u[3];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u[0].name = durable__strdup("name \"with\" %s and \\ quotes");
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u[1].name = durable__strdup(u[0].name);
    u[1].payload = durable__strdup(HOSTILE);
    ef_upd(&u[2], DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "2");
    CU_ASSERT_FATAL(durable_error_object_new(&u[2].error, HOSTILE, HOSTILE, HOSTILE) == 0);
    CU_ASSERT_EQUAL_FATAL(ef_cp(&f, u, 3, NULL), 0);

    durable_operation op;
    durable_operation_init(&op);
    CU_ASSERT_FATAL(ef_get_op(&f, "1", &op) == 0);
    CU_ASSERT_STRING_EQUAL(op.result, HOSTILE);
    CU_ASSERT_STRING_EQUAL(op.name, u[0].name);
    durable_operation_clear(&op);
    durable_operation_init(&op);
    CU_ASSERT_FATAL(ef_get_op(&f, "2", &op) == 0);
    CU_ASSERT_FATAL(op.error != NULL);
    CU_ASSERT_STRING_EQUAL(op.error->error_type, HOSTILE);
    CU_ASSERT_STRING_EQUAL(op.error->error_message, HOSTILE);
    CU_ASSERT_STRING_EQUAL(op.error->error_data, HOSTILE);
    durable_operation_clear(&op);

    /* A callback result keeps its bytes too. */
    durable_operation_update cb;
    ef_callback(&cb, "3", 0, 0);
    CU_ASSERT_FATAL(ef_cp1(&f, &cb) == 0);
    durable_operation_init(&op);
    CU_ASSERT_FATAL(ef_get_op(&f, "3", &op) == 0);
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, op.callback_id, HOSTILE, strlen(HOSTILE)),
                    0);
    durable_operation_clear(&op);
    durable_operation_init(&op);
    CU_ASSERT_FATAL(ef_get_op(&f, "3", &op) == 0);
    CU_ASSERT_STRING_EQUAL(op.result, HOSTILE);
    durable_operation_clear(&op);

    /* And the history, with data, has them all. */
    durable_history_response h = {0};
    CU_ASSERT_FATAL(ef_history(&f, &h) == 0);
    int seen = 0;
    for (size_t i = 0; i < h.count; i++) {
        if (h.events[i].payload && strcmp(h.events[i].payload, HOSTILE) == 0)
            seen++;
        if (h.events[i].error && h.events[i].error->error_message &&
            strcmp(h.events[i].error->error_message, HOSTILE) == 0)
            seen++;
    }
    CU_ASSERT_EQUAL(seen, 3); /* StepSucceeded, StepFailed, CallbackSucceeded */
    durable_history_response_clear(&h);
    ef_clear_updates(u, 3);
    ef_close(&f);
}

static void test_hostile_names_and_ids_refused(void)
{
    ef f;
    ef_open(&f);
    char *arn = NULL;
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    const char *names[] = {"a\"b", "a%sb", "a/b", "a b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        o.execution_name = names[i];
        CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "fn", &o), DURABLE_EINVAL);
        CU_ASSERT_PTR_NULL(arn);
    }
    o.execution_name = NULL;
    o.input_payload = "\"\xff\"";
    CU_ASSERT_EQUAL(durable_engine_start_execution(&arn, NULL, f.eng, "fn", &o), DURABLE_EINVAL);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Payload must be valid UTF-8.");
    ef_start(&f, NULL);
    char *before = ef_dump(&f);
    const char *ids[] = {"a\"b", "%s%n", "a b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        durable_operation_update u;
        durable_operation_update_init(&u);
        u.id = durable__strdup(ids[i]);
        u.type = DURABLE_OP_STEP;
        u.action = DURABLE_ACTION_START;
        int rc = ef_cp(&f, &u, 1, NULL);
        CU_ASSERT_EQUAL(rc, DURABLE_EINVAL);
        char *after = ef_dump(&f);
        CU_ASSERT_STRING_EQUAL(before, after);
        free(after);
        durable_operation_update_clear(&u);
    }
    free(before);
    ef_close(&f);
}

static void history_readable(ef *f)
{
    durable_history_response h = {0};
    CU_ASSERT_EQUAL(ef_history(f, &h), 0);
    durable_history_response_clear(&h);
    durable_state_request sr = {0};
    sr.durable_execution_arn = f->arn;
    sr.checkpoint_token = f->token;
    durable_state_response s = {0};
    if (f->token)
        durable_engine_get_state(&s, f->eng, &sr);
    durable_state_response_clear(&s);
}

static void test_invalid_utf8_refused(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    char *before = ef_dump(&f);

    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u.payload = durable__strdup("\xff\xfe\"");
    expect_refused(&f, before, ef_cp1(&f, &u), DURABLE_EINVAL, "Payload must be valid UTF-8.");
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_FAIL, "1");
    CU_ASSERT_FATAL(durable_error_object_new(&u.error, "\xff", "m", NULL) == 0);
    expect_refused(&f, before, ef_cp1(&f, &u), DURABLE_EINVAL, "Error object must be valid UTF-8.");

    durable_error_object *bad = NULL;
    CU_ASSERT_FATAL(durable_error_object_new(&bad, "E", "ok", "\xc3\x28") == 0);
    durable_invocation_outcome oc;
    expect_refused(&f, before, durable_engine_fail_invocation(&oc, f.eng, f.arn, f.inv, bad),
                   DURABLE_EINVAL, "Error object must be valid UTF-8.");
    durable_stop_request stop = {0};
    stop.durable_execution_arn = f.arn;
    stop.error = bad;
    durable_stop_response sresp = {0};
    expect_refused(&f, before, durable_engine_stop_execution(&sresp, f.eng, &stop), DURABLE_EINVAL,
                   "Error object must be valid UTF-8.");

    ef_callback(&u, "2", 0, 0);
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    durable_operation op;
    durable_operation_init(&op);
    CU_ASSERT_FATAL(ef_get_op(&f, "2", &op) == 0);
    free(before);
    before = ef_dump(&f);
    expect_refused(&f, before, durable_engine_callback_failure(f.eng, op.callback_id, bad),
                   DURABLE_EINVAL, "Error object must be valid UTF-8.");
    expect_refused(&f, before, durable_engine_callback_success(f.eng, op.callback_id, "\"a\0b\"", 5),
                   DURABLE_EINVAL, "Callback result must be valid UTF-8.");
    expect_refused(&f, before, durable_engine_callback_success(f.eng, op.callback_id, "\xff", 1),
                   DURABLE_EINVAL, "Callback result must be valid UTF-8.");
    durable_operation_clear(&op);
    history_readable(&f);

    /* A handler output with invalid UTF-8 is an invalid output: the
     * execution closes FAILED and its history stays readable. */
    durable_invocation_output out = {0};
    out.status = DURABLE_INVOCATION_FAILED;
    out.error = bad;
    CU_ASSERT_EQUAL(durable_engine_complete_invocation(&oc, f.eng, f.arn, f.inv, &out), 0);
    CU_ASSERT_EQUAL(oc.status, DURABLE_EXEC_FAILED);
    durable_execution_info info = {0};
    CU_ASSERT_FATAL(durable_engine_get_execution(&info, f.eng, f.arn) == 0);
    CU_ASSERT_FATAL(info.error != NULL);
    CU_ASSERT_STRING_EQUAL(info.error->error_type, "InvalidInvocationOutput");
    CU_ASSERT_STRING_EQUAL(info.error->error_message, "Error object must be valid UTF-8.");
    durable_execution_info_clear(&info);
    history_readable(&f);
    ef_close(&f);

    ef_open(&f);
    ef_start(&f, NULL);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "\"\xe2\x82\"", &oc), 0);
    CU_ASSERT_EQUAL(oc.status, DURABLE_EXEC_FAILED);
    CU_ASSERT_FATAL(durable_engine_get_execution(&info, f.eng, f.arn) == 0);
    CU_ASSERT_STRING_EQUAL(info.error->error_message, "Result must be valid UTF-8.");
    durable_execution_info_clear(&info);
    history_readable(&f);
    durable_error_object_free(bad);
    free(before);
    ef_close(&f);
}

/* A paging marker is client input too: numbers out of range (once an
 * undefined float-to-int conversion, found by the ids fuzz target) and
 * anything else that is not a marker the engine minted are "Invalid marker". */
static void test_forged_markers_refused(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    const char *forged[] = {"{\"event\":1e300}", "{\"event\":-1e300}", "{\"event\":1.5}",
                            "{\"event\":\"1\"}", "{\"seq\":1e+300,\"after\":-1}", "[]", "%s"};
    for (size_t i = 0; i < sizeof forged / sizeof *forged; i++) {
        char *m = b64(forged[i]);
        durable_history_request req = {0};
        req.durable_execution_arn = f.arn;
        req.marker = m;
        durable_history_response h = {0};
        CU_ASSERT_EQUAL(durable_engine_get_history(&h, f.eng, &req), DURABLE_EMARKER);
        CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Invalid marker");
        durable_history_response_clear(&h);
        durable_state_request sr = {0};
        sr.durable_execution_arn = f.arn;
        sr.checkpoint_token = f.token;
        sr.marker = m;
        durable_state_response s = {0};
        CU_ASSERT_EQUAL(durable_engine_get_state(&s, f.eng, &sr), DURABLE_EMARKER);
        durable_state_response_clear(&s);
        durable_free(m);
    }
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_security");
    DT_ADD(s, test_forged_checkpoint_tokens);
    DT_ADD(s, test_forged_callback_ids);
    DT_ADD(s, test_hostile_text_round_trips);
    DT_ADD(s, test_hostile_names_and_ids_refused);
    DT_ADD(s, test_invalid_utf8_refused);
    DT_ADD(s, test_forged_markers_refused);
    return dt_run();
}
