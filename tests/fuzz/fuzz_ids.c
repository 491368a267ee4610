/*
 * Fuzz target "ids": the opaque texts a client hands back (SPEC §2.8, §7):
 * checkpoint tokens, callback ids, paging markers, execution ARNs, base64,
 * RFC 3339 timestamps and enum names. The input is one text.
 *  - A token that decodes is exactly the text the encoder mints for its
 *    fields (so no second spelling of a token is ever accepted).
 *  - A callback id that decodes has every part.
 *  - base64 that decodes re-encodes to bytes that decode the same.
 *  - An ARN that parses rebuilds from its parts to one that parses the same.
 *  - A marker given to the engine's history, state and list reads is used
 *    or refused with exactly "Invalid marker", and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/ids.h"
#include "engine/engine_internal.h"
#include "fuzz/fuzz.h"

/* One execution with a few operations and events, made once. */
static fuzz_env env;
static char *arn, *token;

static void setup(void)
{
    FUZZ_CHECK(fuzz_env_open(&env) == 0);
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    so.execution_name = "fuzz-ids";
    so.input_payload = "{\"a\":1}";
    FUZZ_CHECK(durable_engine_start_execution(&arn, NULL, env.eng, "fn", &so) == 0);
    durable_invocation_input in = {0};
    char *inv = NULL;
    FUZZ_CHECK(durable_engine_start_invocation(&in, &inv, env.eng, arn, 0) == 0);
    durable_operation_update u[3];
    const char *paths[] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++) {
        char id[DURABLE_OP_ID_LEN + 1];
        durable_op_id(id, paths[i]);
        durable_operation_update_init(&u[i]);
        u[i].id = id;
        u[i].type = DURABLE_OP_STEP;
        u[i].action = DURABLE_ACTION_START;
        durable_checkpoint_request req = {0};
        req.durable_execution_arn = arn;
        req.checkpoint_token = token ? token : in.checkpoint_token;
        req.updates = &u[i];
        req.update_count = 1;
        durable_checkpoint_response resp = {0};
        FUZZ_CHECK(durable_engine_checkpoint(&resp, env.eng, &req) == 0);
        free(token);
        token = strdup(resp.checkpoint_token);
        durable_checkpoint_response_clear(&resp);
    }
    durable_invocation_input_clear(&in);
    durable_free(inv);
}

static void check_token(const char *text)
{
    durable_token t = {0};
    if (durable_token_decode(&t, text) == 0) {
        FUZZ_CHECK(t.arn && t.invocation_id && t.seq >= 0);
        char *again = NULL;
        FUZZ_CHECK(durable_token_encode(&again, t.arn, t.seq, t.invocation_id) == 0);
        FUZZ_CHECK(strcmp(again, text) == 0);
        durable_free(again);
    } else {
        FUZZ_CHECK(durable_error_last()->code == DURABLE_ETOKEN);
        FUZZ_CHECK(strcmp(durable_error_last()->message, "Invalid Checkpoint Token") == 0);
        FUZZ_CHECK(!t.arn && !t.invocation_id);
    }
    durable_token_clear(&t);
}

static void check_callback_id(const char *text)
{
    durable_callback_ref r = {0};
    if (durable_callback_id_decode(&r, text) == 0)
        FUZZ_CHECK(r.arn && *r.arn && r.operation_id && *r.operation_id && r.nonce && *r.nonce);
    else
        FUZZ_CHECK(durable_error_last()->code == DURABLE_ENOTFOUND &&
                   strcmp(durable_error_last()->message, "Callback not found.") == 0);
    durable_callback_ref_clear(&r);
    /* The engine refuses an id it never minted, whatever it decodes to. */
    int64_t before = fuzz_changes(env.store);
    int rc = durable_engine_callback_heartbeat(env.eng, text);
    FUZZ_CHECK(rc == DURABLE_ENOTFOUND);
    FUZZ_CHECK(strcmp(durable_engine_error_text(env.eng), "Callback not found.") == 0);
    FUZZ_CHECK(fuzz_changes(env.store) == before);
}

static void check_base64(const char *text)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (durable_base64_decode(&raw, &len, text) != 0)
        return;
    char *again = NULL;
    FUZZ_CHECK(durable_base64_encode(&again, raw, len) == 0);
    unsigned char *raw2 = NULL;
    size_t len2 = 0;
    FUZZ_CHECK(durable_base64_decode(&raw2, &len2, again) == 0);
    FUZZ_CHECK(len2 == len && memcmp(raw, raw2, len) == 0);
    durable_free(raw);
    durable_free(raw2);
    durable_free(again);
}

static void check_arn(const char *text)
{
    char *fn = NULL, *q = NULL, *name = NULL, *op = NULL;
    if (durable_execution_arn_parse(&fn, &q, &name, &op, text) == 0) {
        FUZZ_CHECK(fn && q && name && op);
        char *again = NULL;
        if (durable_execution_arn(&again, NULL, NULL, fn, q, name, op) == 0) {
            char *fn2 = NULL, *q2 = NULL, *name2 = NULL, *op2 = NULL;
            FUZZ_CHECK(durable_execution_arn_parse(&fn2, &q2, &name2, &op2, again) == 0);
            FUZZ_CHECK(strcmp(fn, fn2) == 0 && strcmp(q, q2) == 0 && strcmp(name, name2) == 0 &&
                       strcmp(op, op2) == 0);
            durable_free(fn2);
            durable_free(q2);
            durable_free(name2);
            durable_free(op2);
        }
        durable_free(again);
    }
    durable_free(fn);
    durable_free(q);
    durable_free(name);
    durable_free(op);
}

/* Used, or refused with exactly "Invalid marker" (or a MaxItems complaint
 * never: the requests below are otherwise valid). */
static void marker_outcome(int rc)
{
    if (rc != 0) {
        FUZZ_CHECK(rc == DURABLE_EMARKER);
        FUZZ_CHECK(strcmp(durable_engine_error_text(env.eng), "Invalid marker") == 0);
    }
}

static void check_markers(const char *text)
{
    int64_t a = 0, b = 0;
    int rc = durable__marker_decode(env.eng, text, "seq", &a, "after", &b);
    FUZZ_CHECK(rc == 0 || rc == DURABLE_EMARKER);
    rc = durable__marker_decode(env.eng, text, "event", &a, NULL, NULL);
    FUZZ_CHECK(rc == 0 || rc == DURABLE_EMARKER);

    int64_t before = fuzz_changes(env.store);
    durable_history_request hr = {0};
    hr.durable_execution_arn = arn;
    hr.marker = (char *)text;
    hr.max_items = 2;
    durable_history_response h = {0};
    marker_outcome(durable_engine_get_history(&h, env.eng, &hr));
    durable_history_response_clear(&h);

    durable_state_request sr = {0};
    sr.durable_execution_arn = arn;
    sr.checkpoint_token = token;
    sr.marker = (char *)text;
    sr.max_items = 2;
    durable_state_response s = {0};
    marker_outcome(durable_engine_get_state(&s, env.eng, &sr));
    durable_state_response_clear(&s);

    durable_list_request lr = {0};
    lr.marker = (char *)text;
    lr.max_items = 1;
    durable_list_response l = {0};
    marker_outcome(durable_engine_list_executions(&l, env.eng, &lr));
    durable_list_response_clear(&l);
    FUZZ_CHECK(fuzz_changes(env.store) == before);
}

static void check_misc(const char *text)
{
    int64_t ms = 0;
    if (durable_ts_parse(&ms, text) == 0) {
        FUZZ_CHECK(ms >= 0);
        char buf[40];
        durable_ts_format_rfc3339(buf, sizeof buf, ms);
        int64_t back = -1;
        FUZZ_CHECK(durable_ts_parse(&back, buf) == 0 && back == ms);
    }
    char id[DURABLE_OP_ID_LEN + 1];
    durable_op_id(id, text);
    FUZZ_CHECK(strlen(id) == DURABLE_OP_ID_LEN);
    durable_op_type t;
    if (durable_op_type_parse(&t, text) == 0)
        FUZZ_CHECK(strcmp(durable_op_type_name(t), text) == 0);
    durable_event_type et;
    if (durable_event_type_parse(&et, text) == 0)
        FUZZ_CHECK(strcmp(durable_event_type_name(et), text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!env.eng)
        setup();
    if (size > 8192)
        return 0;
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0'; /* stops at an embedded NUL, like every C caller */
    check_token(text);
    check_callback_id(text);
    check_base64(text);
    check_arn(text);
    check_markers(text);
    check_misc(text);
    free(text);
    return 0;
}
