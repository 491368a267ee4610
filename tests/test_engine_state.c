/* Tokens (SPEC §7.1), ClientToken idempotency (§7.2), deltas (§7.3), state
 * reads with pruning and paging (§7.4), history paging (§9.6), lists. */
#include <string.h>

#include "support/engine_fixture.h"
#include "support/testutil.h"

static int cp_with_token(ef *f, const char *token)
{
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = f->arn;
    req.checkpoint_token = (char *)token;
    durable_checkpoint_response resp = {0};
    int rc = durable_engine_checkpoint(&resp, f->eng, &req);
    durable_checkpoint_response_clear(&resp);
    return rc;
}

static void expect_token_error(ef *f, const char *token)
{
    char *before = ef_dump(f);
    CU_ASSERT_EQUAL(cp_with_token(f, token), DURABLE_ETOKEN);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f->eng), "Invalid Checkpoint Token");
    CU_ASSERT_STRING_EQUAL(durable_engine_exception_name(DURABLE_ETOKEN),
                           "InvalidParameterValueException");
    char *after = ef_dump(f);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
}

static void test_token_rules(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    char *first = durable__strdup(f.token);
    expect_token_error(&f, NULL);
    expect_token_error(&f, "");
    expect_token_error(&f, "not base64!");
    /* Accepted once, then stale. Empty Updates still consume it. */
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0);
    expect_token_error(&f, first);
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0); /* the returned token works */
    /* A token naming another execution. */
    char *other_arn = NULL, *foreign = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_execution(&other_arn, NULL, f.eng, "fn", NULL), 0);
    durable_invocation_input in = {0};
    char *inv = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_invocation(&in, &inv, f.eng, other_arn, 0), 0);
    expect_token_error(&f, in.checkpoint_token);
    /* Right execution and seq, but another invocation id. */
    durable_token t = {0};
    CU_ASSERT_EQUAL(durable_token_decode(&t, f.token), 0);
    CU_ASSERT_EQUAL(durable_token_encode(&foreign, f.arn, t.seq, inv), 0);
    expect_token_error(&f, foreign);
    durable_token_clear(&t);
    ef_close(&f);
    durable_free(first);
    durable_free(other_arn);
    durable_free(foreign);
    durable_free(inv);
    durable_invocation_input_clear(&in);
}

static void test_token_after_invocation_and_close(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u;
    ef_wait(&u, "1", 1);
    CU_ASSERT_EQUAL(ef_cp1(&f, &u), 0);
    char *old = durable__strdup(f.token);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    expect_token_error(&f, old); /* no invocation in flight */
    CU_ASSERT_EQUAL(ef_invoke(&f), 0);
    expect_token_error(&f, old); /* superseded by the new invocation */
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_SUCCEEDED, "1", NULL), 0);
    expect_token_error(&f, f.token); /* execution closed */
    durable_free(old);
    ef_close(&f);
}

static void test_state_read_does_not_consume(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_state_request req = {0};
    req.durable_execution_arn = f.arn;
    req.checkpoint_token = f.token;
    for (int i = 0; i < 3; i++) {
        durable_state_response resp = {0};
        CU_ASSERT_EQUAL(durable_engine_get_state(&resp, f.eng, &req), 0);
        CU_ASSERT_EQUAL(resp.operations.count, 1);
        CU_ASSERT_EQUAL(resp.operations.items[0].type, DURABLE_OP_EXECUTION);
        CU_ASSERT_PTR_NULL(resp.next_marker);
        durable_state_response_clear(&resp);
    }
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0); /* still valid */
    durable_state_response resp = {0};
    req.checkpoint_token = "garbage";
    CU_ASSERT_EQUAL(durable_engine_get_state(&resp, f.eng, &req), DURABLE_ETOKEN);
    req.checkpoint_token = f.token;
    req.max_items = 1001;
    CU_ASSERT_EQUAL(durable_engine_get_state(&resp, f.eng, &req), DURABLE_EINVAL);
    ef_close(&f);
}

static void test_client_token_replay(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    char *inbound = durable__strdup(f.token);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    durable_checkpoint_response r1 = {0}, r2 = {0};
    CU_ASSERT_EQUAL(ef_cp_full(&f, &u, 1, "client-1", &r1), 0);
    char *after_first = ef_dump(&f);
    /* Same ClientToken + same inbound token: identical response, nothing changes. */
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = f.arn;
    req.checkpoint_token = inbound;
    req.client_token = "client-1";
    req.updates = &u;
    req.update_count = 1;
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r2, f.eng, &req), 0);
    cJSON *j1 = NULL, *j2 = NULL;
    durable_checkpoint_response_to_json(&j1, &r1, DURABLE_TS_EPOCH_SECONDS);
    durable_checkpoint_response_to_json(&j2, &r2, DURABLE_TS_EPOCH_SECONDS);
    char *s1 = durable_json_print(j1), *s2 = durable_json_print(j2);
    CU_ASSERT_STRING_EQUAL(s1, s2);
    char *after_replay = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(after_first, after_replay);
    /* Another ClientToken with the stale token is processed normally: rejected. */
    durable_checkpoint_response r3 = {0};
    req.client_token = "client-2";
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r3, f.eng, &req), DURABLE_ETOKEN);
    /* After a later accepted checkpoint the old pair no longer replays. */
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0);
    req.client_token = "client-1";
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r3, f.eng, &req), DURABLE_ETOKEN);
    durable_operation_update_clear(&u);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    durable_free(s1);
    durable_free(s2);
    free(after_first);
    free(after_replay);
    durable_free(inbound);
    durable_checkpoint_response_clear(&r1);
    durable_checkpoint_response_clear(&r2);
    ef_close(&f);
}

static void test_delta_only_changed(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    ef_callback(&u[1], "2", 0, 0);
    durable_checkpoint_response r = {0};
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, &r), 0);
    ef_clear_updates(u, 2);
    CU_ASSERT_EQUAL(r.operations.count, 2);
    durable_checkpoint_response_clear(&r);
    ef_wait(&u[0], "3", 1);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 1, &r), 0);
    ef_clear_updates(u, 1);
    CU_ASSERT_EQUAL(r.operations.count, 1);
    CU_ASSERT_STRING_EQUAL(r.operations.items[0].id, ef_id("3"));
    durable_checkpoint_response_clear(&r);
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, &r), 0);
    CU_ASSERT_EQUAL(r.operations.count, 0);
    durable_checkpoint_response_clear(&r);
    /* An engine change during the invocation shows up in the next delta. */
    durable_operation op;
    CU_ASSERT_EQUAL(ef_get_op(&f, "2", &op), 0);
    CU_ASSERT_EQUAL(durable_engine_callback_success(f.eng, op.callback_id, "\"ok\"", 4), 0);
    durable_operation_clear(&op);
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, &r), 0);
    CU_ASSERT_EQUAL(r.operations.count, 1);
    CU_ASSERT_STRING_EQUAL(r.operations.items[0].id, ef_id("2"));
    CU_ASSERT_EQUAL(r.operations.items[0].status, DURABLE_OP_SUCCEEDED);
    durable_checkpoint_response_clear(&r);
    /* Delivered: the next invocation has no UpdatedOperationIds for it. */
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_invocation_input in = {0};
    CU_ASSERT_EQUAL(ef_invoke_in(&f, &in), 0);
    CU_ASSERT_EQUAL(in.updated_operation_id_count, 0);
    CU_ASSERT_STRING_EQUAL(in.next_marker, "");
    CU_ASSERT_EQUAL(in.operations.count, 4);
    CU_ASSERT_EQUAL(in.operations.items[0].type, DURABLE_OP_EXECUTION);
    durable_invocation_input_clear(&in);
    ef_close(&f);
}

static void test_pruning(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    /* 1: context completed without ReplayChildren (children pruned, and the
     * grandchild under context 1-2 too); 2: completed with ReplayChildren
     * (kept); 3: running (kept). */
    durable_operation_update u[10];
    size_t n;
    ef_close(&f);
    ef_open(&f);
    ef_start(&f, NULL);
    n = 0;
    ef_upd(&u[n++], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1");
    ef_upd(&u[n], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1-1");
    u[n++].parent_id = durable__strdup(ef_id("1"));
    ef_upd(&u[n], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "1-2");
    u[n++].parent_id = durable__strdup(ef_id("1"));
    ef_upd(&u[n], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1-2-1");
    u[n++].parent_id = durable__strdup(ef_id("1-2"));
    ef_upd(&u[n], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "2");
    u[n].options = DURABLE_OPTIONS_CONTEXT;
    u[n++].replay_children = 1;
    ef_upd(&u[n], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "2-1");
    u[n++].parent_id = durable__strdup(ef_id("2"));
    ef_upd(&u[n++], DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "3");
    ef_upd(&u[n], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "3-1");
    u[n++].parent_id = durable__strdup(ef_id("3"));
    ef_wait(&u[n++], "4", 1);
    CU_ASSERT_EQUAL(ef_cp(&f, u, n, NULL), 0);
    ef_clear_updates(u, n);
    ef_upd(&u[0], DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "1");
    ef_upd(&u[1], DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "2");
    CU_ASSERT_EQUAL(ef_cp(&f, u, 2, NULL), 0);
    ef_clear_updates(u, 2);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_invocation_input in = {0};
    CU_ASSERT_EQUAL(ef_invoke_in(&f, &in), 0);
    const char *expect[] = {NULL, "1", "2", "2-1", "3", "3-1", "4"};
    CU_ASSERT_EQUAL(in.operations.count, 7);
    for (size_t i = 1; i < 7 && i < in.operations.count; i++)
        CU_ASSERT_STRING_EQUAL(in.operations.items[i].id, ef_id(expect[i]));
    durable_invocation_input_clear(&in);
    /* Every operation is still retrievable by id and listed without pruning. */
    durable_operation_list all = {0};
    CU_ASSERT_EQUAL(durable_engine_list_operations(&all, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(all.count, 10);
    durable_operation_list_clear(&all);
    ef_close(&f);
}

static void test_paging_with_markers(void)
{
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    o.initial_state_max_items = 4;
    ef f;
    ef_open_opts(&f, &o);
    ef_start(&f, NULL);
    durable_operation_update u[10];
    char path[8];
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "%d", i + 1);
        ef_upd(&u[i], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, path);
    }
    CU_ASSERT_EQUAL(ef_cp(&f, u, 10, NULL), 0);
    ef_clear_updates(u, 10);
    ef_wait(&u[0], "11", 1);
    CU_ASSERT_EQUAL(ef_cp(&f, u, 1, NULL), 0);
    ef_clear_updates(u, 1);
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_invocation_input in = {0};
    CU_ASSERT_EQUAL(ef_invoke_in(&f, &in), 0);
    CU_ASSERT_EQUAL(in.operations.count, 4);
    CU_ASSERT_PTR_NOT_NULL(in.next_marker);
    CU_ASSERT(in.next_marker && strlen(in.next_marker) > 0);
    /* Fetch the rest in pages of 3: 12 operations in all, in start order. */
    size_t total = in.operations.count;
    char *marker = durable__strdup(in.next_marker);
    int pages = 0;
    while (marker) {
        durable_state_request req = {0};
        req.durable_execution_arn = f.arn;
        req.checkpoint_token = f.token;
        req.marker = marker;
        req.max_items = 3;
        durable_state_response resp = {0};
        CU_ASSERT_FATAL(durable_engine_get_state(&resp, f.eng, &req) == 0);
        for (size_t i = 0; i < resp.operations.count; i++) {
            char p[8];
            snprintf(p, sizeof p, "%zu", total + i);
            if (total + i <= 11)
                CU_ASSERT_STRING_EQUAL(resp.operations.items[i].id, ef_id(p));
        }
        total += resp.operations.count;
        durable_free(marker);
        marker = resp.next_marker ? durable__strdup(resp.next_marker) : NULL;
        durable_state_response_clear(&resp);
        pages++;
    }
    CU_ASSERT_EQUAL(total, 12);
    CU_ASSERT_EQUAL(pages, 3);
    /* A marker from an older token sequence is rejected. */
    char *old_marker = durable__strdup(in.next_marker);
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0);
    durable_state_request req = {0};
    req.durable_execution_arn = f.arn;
    req.checkpoint_token = f.token;
    req.marker = old_marker;
    durable_state_response resp = {0};
    CU_ASSERT_EQUAL(durable_engine_get_state(&resp, f.eng, &req), DURABLE_EMARKER);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Invalid marker");
    req.marker = "@@@";
    CU_ASSERT_EQUAL(durable_engine_get_state(&resp, f.eng, &req), DURABLE_EMARKER);
    durable_free(old_marker);
    durable_invocation_input_clear(&in);
    ef_close(&f);
}

static void test_history_paging_and_truncation(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, "{\"in\":1}");
    durable_operation_update u[5];
    for (int i = 0; i < 5; i++) {
        char p[4];
        snprintf(p, sizeof p, "%d", i + 1);
        ef_upd(&u[i], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, p);
        u[i].payload = durable__strdup("\"r\"");
    }
    CU_ASSERT_EQUAL(ef_cp(&f, u, 5, NULL), 0);
    ef_clear_updates(u, 5);
    /* 6 events; pages of 4 forward, then reverse. */
    durable_history_request req = {0};
    req.durable_execution_arn = f.arn;
    req.max_items = 4;
    durable_history_response h = {0};
    CU_ASSERT_EQUAL(durable_engine_get_history(&h, f.eng, &req), 0);
    CU_ASSERT_EQUAL(h.count, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h.next_marker);
    for (size_t i = 0; i < h.count; i++)
        CU_ASSERT_EQUAL(h.events[i].event_id, (int64_t)i + 1);
    /* Without IncludeExecutionData the payloads are omitted and Truncated. */
    CU_ASSERT(h.events[0].has_payload_object);
    CU_ASSERT_PTR_NULL(h.events[0].payload);
    CU_ASSERT(h.events[0].truncated);
    CU_ASSERT_PTR_NULL(h.events[1].payload);
    CU_ASSERT(h.events[1].truncated);
    req.marker = h.next_marker;
    durable_history_response h2 = {0};
    CU_ASSERT_EQUAL(durable_engine_get_history(&h2, f.eng, &req), 0);
    CU_ASSERT_EQUAL(h2.count, 2);
    CU_ASSERT_EQUAL(h2.events[0].event_id, 5);
    CU_ASSERT_PTR_NULL(h2.next_marker);
    durable_history_response_clear(&h2);
    durable_history_response_clear(&h);
    req.marker = NULL;
    req.reverse_order = true;
    req.include_execution_data = true;
    CU_ASSERT_EQUAL(durable_engine_get_history(&h, f.eng, &req), 0);
    CU_ASSERT_EQUAL(h.events[0].event_id, 6);
    CU_ASSERT_EQUAL(h.events[3].event_id, 3);
    CU_ASSERT_STRING_EQUAL(h.events[0].payload, "\"r\"");
    CU_ASSERT_FALSE(h.events[0].truncated);
    req.marker = h.next_marker;
    CU_ASSERT_EQUAL(durable_engine_get_history(&h2, f.eng, &req), 0);
    CU_ASSERT_EQUAL(h2.count, 2);
    CU_ASSERT_EQUAL(h2.events[1].event_id, 1);
    CU_ASSERT_STRING_EQUAL(h2.events[1].payload, "{\"in\":1}");
    durable_history_response_clear(&h2);
    durable_history_response_clear(&h);
    req.marker = "bm90IGEgbWFya2Vy";
    CU_ASSERT_EQUAL(durable_engine_get_history(&h, f.eng, &req), DURABLE_EMARKER);
    /* Markers past 2^32 - 1 events stay inside this execution's history (its
     * rows are the ids x * 2^32 + EventId): nothing forward, everything in
     * reverse, never the next execution's ExecutionStarted. */
    char *other = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_execution(&other, NULL, f.eng, "fn", NULL), 0);
    static const char *const far[] = {"eyJldmVudCI6NDI5NDk2NzI5N30=",   /* {"event":4294967297} */
                                      "eyJldmVudCI6NDI5NDk2NzI5Nn0="};  /* {"event":4294967296} */
    for (int k = 0; k < 2; k++) {
        req.marker = (char *)far[k];
        req.reverse_order = false;
        CU_ASSERT_EQUAL(durable_engine_get_history(&h, f.eng, &req), 0);
        CU_ASSERT_EQUAL(h.count, 0);
        durable_history_response_clear(&h);
        req.reverse_order = true;
        req.max_items = 10;
        CU_ASSERT_EQUAL(durable_engine_get_history(&h, f.eng, &req), 0);
        CU_ASSERT_EQUAL(h.count, 6);
        if (h.count == 6) {
            CU_ASSERT_EQUAL(h.events[0].event_id, 6);
            CU_ASSERT_EQUAL(h.events[5].type, DURABLE_EVENT_EXECUTION_STARTED);
            CU_ASSERT_STRING_EQUAL(h.events[5].payload, "{\"in\":1}");
        }
        durable_history_response_clear(&h);
    }
    durable_free(other);
    ef_close(&f);
}

static void test_list_executions(void)
{
    ef f;
    ef_open(&f);
    char *arns[5];
    for (int i = 0; i < 5; i++) {
        durable_start_options o = DURABLE_START_OPTIONS_INIT;
        char name[16];
        snprintf(name, sizeof name, "run-%d", i);
        o.execution_name = name;
        CU_ASSERT_EQUAL(durable_engine_start_execution(&arns[i], NULL, f.eng, i == 4 ? "other" : "fn", &o), 0);
        ef_advance(&f, 1000);
    }
    /* Duplicate name for the same function → EEXISTS with the existing ARN. */
    durable_start_options dup = DURABLE_START_OPTIONS_INIT;
    dup.execution_name = "run-1";
    char *existing = NULL;
    CU_ASSERT_EQUAL(durable_engine_start_execution(&existing, NULL, f.eng, "fn", &dup), DURABLE_EEXISTS);
    CU_ASSERT_STRING_EQUAL(existing, arns[1]);
    durable_free(existing);
    durable_stop_request stop = {0};
    stop.durable_execution_arn = arns[2];
    durable_stop_response sr;
    CU_ASSERT_EQUAL(durable_engine_stop_execution(&sr, f.eng, &stop), 0);

    durable_list_request req = {0};
    req.function_name = "fn";
    req.max_items = 2;
    durable_list_response r = {0};
    CU_ASSERT_EQUAL(durable_engine_list_executions(&r, f.eng, &req), 0);
    CU_ASSERT_EQUAL(r.count, 2);
    CU_ASSERT_STRING_EQUAL(r.executions[0].durable_execution_arn, arns[0]);
    CU_ASSERT_STRING_EQUAL(r.executions[0].function_arn,
                           "arn:aws:lambda:us-east-1:123456789012:function:fn");
    CU_ASSERT_STRING_EQUAL(r.executions[0].version, "$LATEST");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.next_marker);
    req.marker = r.next_marker;
    durable_list_response r2 = {0};
    CU_ASSERT_EQUAL(durable_engine_list_executions(&r2, f.eng, &req), 0);
    CU_ASSERT_EQUAL(r2.count, 2);
    CU_ASSERT_STRING_EQUAL(r2.executions[1].durable_execution_arn, arns[3]);
    CU_ASSERT_PTR_NULL(r2.next_marker);
    durable_list_response_clear(&r2);
    durable_list_response_clear(&r);
    durable_exec_status st[] = {DURABLE_EXEC_STOPPED, DURABLE_EXEC_SUCCEEDED};
    req = (durable_list_request){0};
    req.statuses = st;
    req.status_count = 2;
    CU_ASSERT_EQUAL(durable_engine_list_executions(&r, f.eng, &req), 0);
    CU_ASSERT_EQUAL(r.count, 1);
    CU_ASSERT_EQUAL(r.executions[0].status, DURABLE_EXEC_STOPPED);
    durable_list_response_clear(&r);
    req = (durable_list_request){0};
    req.reverse_order = true;
    req.started_after = EF_T0 + 1000;
    req.started_before = EF_T0 + 3000;
    CU_ASSERT_EQUAL(durable_engine_list_executions(&r, f.eng, &req), 0);
    CU_ASSERT_EQUAL(r.count, 3);
    CU_ASSERT_STRING_EQUAL(r.executions[0].durable_execution_arn, arns[3]);
    durable_list_response_clear(&r);
    req = (durable_list_request){0};
    req.durable_execution_name = "run-4";
    CU_ASSERT_EQUAL(durable_engine_list_executions(&r, f.eng, &req), 0);
    CU_ASSERT_EQUAL(r.count, 1);
    durable_list_response_clear(&r);
    req.marker = "%%%";
    CU_ASSERT_EQUAL(durable_engine_list_executions(&r, f.eng, &req), DURABLE_EMARKER);
    for (int i = 0; i < 5; i++)
        durable_free(arns[i]);
    ef_close(&f);
}

/* The decoded-state cache follows writes made through another handle on the
 * same file (another process in real use) and through its own handle. */
static void test_state_cache_follows_other_writers(void)
{
    char *path = dt_temp_path("engine-cache");
    durable_vclock *vc = NULL;
    CU_ASSERT_FATAL(durable_vclock_new(&vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    durable_store *s1 = NULL, *s2 = NULL;
    CU_ASSERT_FATAL(durable_store_open(&s1, path, NULL) == 0);
    CU_ASSERT_FATAL(durable_store_open(&s2, path, NULL) == 0);
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    o.clock = durable_vclock_clock(vc);
    durable_engine *a = NULL, *b = NULL;
    CU_ASSERT_FATAL(durable_engine_open(&a, s1, &o) == 0);
    CU_ASSERT_FATAL(durable_engine_open(&b, s2, &o) == 0);
    char *arn = NULL, *inv = NULL;
    CU_ASSERT_FATAL(durable_engine_start_execution(&arn, NULL, a, "fn", NULL) == 0);
    durable_invocation_input in = {0};
    CU_ASSERT_FATAL(durable_engine_start_invocation(&in, &inv, a, arn, 0) == 0);
    /* b writes a callback and a step through the token; a reads state. */
    durable_operation_update u[2];
    ef_callback(&u[0], "1", 0, 0);
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = arn;
    req.checkpoint_token = in.checkpoint_token;
    req.updates = u;
    req.update_count = 2;
    durable_checkpoint_response r = {0};
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r, b, &req), 0);
    ef_clear_updates(u, 2);
    durable_state_request sreq = {0};
    sreq.durable_execution_arn = arn;
    sreq.checkpoint_token = r.checkpoint_token;
    durable_state_response st = {0};
    CU_ASSERT_EQUAL(durable_engine_get_state(&st, a, &sreq), 0);
    CU_ASSERT_EQUAL(st.operations.count, 3);
    durable_state_response_clear(&st);
    /* b changes an existing operation; a's next read sees the new status. */
    char *cb = durable__strdup(r.operations.items[0].callback_id);
    CU_ASSERT_EQUAL(durable_engine_callback_success(b, cb, "\"x\"", 3), 0);
    CU_ASSERT_EQUAL(durable_engine_get_state(&st, a, &sreq), 0);
    CU_ASSERT_EQUAL_FATAL(st.operations.count, 3);
    CU_ASSERT_EQUAL(st.operations.items[1].status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(st.operations.items[1].result, "\"x\"");
    durable_state_response_clear(&st);
    /* The same handle writes, then reads again (merge path). */
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "2");
    u[0].payload = durable__strdup("7");
    req.checkpoint_token = r.checkpoint_token;
    req.update_count = 1;
    durable_checkpoint_response r2 = {0};
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r2, a, &req), 0);
    ef_clear_updates(u, 1);
    sreq.checkpoint_token = r2.checkpoint_token;
    CU_ASSERT_EQUAL(durable_engine_get_state(&st, a, &sreq), 0);
    CU_ASSERT_EQUAL_FATAL(st.operations.count, 3);
    CU_ASSERT_EQUAL(st.operations.items[2].status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(st.operations.items[2].result, "7");
    durable_state_response_clear(&st);
    CU_ASSERT_EQUAL(durable_engine_get_state(&st, b, &sreq), 0);
    CU_ASSERT_EQUAL(st.operations.items[2].status, DURABLE_OP_SUCCEEDED);
    durable_state_response_clear(&st);
    durable_free(cb);
    durable_checkpoint_response_clear(&r);
    durable_checkpoint_response_clear(&r2);
    durable_invocation_input_clear(&in);
    durable_free(arn);
    durable_free(inv);
    durable_engine_close(a);
    durable_engine_close(b);
    durable_store_close(s1);
    durable_store_close(s2);
    durable_vclock_free(vc);
    dt_remove_db(path);
    free(path);
}

/* Both pages list the same operations with the same status and result. */
static bool same_ops(const durable_operation_list *x, const durable_operation_list *y)
{
    if (x->count != y->count)
        return false;
    for (size_t i = 0; i < x->count; i++) {
        const durable_operation *p = &x->items[i], *q = &y->items[i];
        if (strcmp(p->id, q->id) != 0 || p->status != q->status ||
            (p->result == NULL) != (q->result == NULL) ||
            (p->result && strcmp(p->result, q->result) != 0))
            return false;
    }
    return true;
}

/* Every operation of the execution listed through e equals, field for
 * field, what a fresh engine (empty cache) lists from the file. */
static bool list_matches_file(durable_engine *e, const char *path, durable_vclock *vc,
                              const char *arn)
{
    durable_store *s = NULL;
    CU_ASSERT_FATAL(durable_store_open(&s, path, NULL) == 0);
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    o.clock = durable_vclock_clock(vc);
    durable_engine *fresh = NULL;
    CU_ASSERT_FATAL(durable_engine_open(&fresh, s, &o) == 0);
    durable_operation_list got = {0}, want = {0};
    bool ok = durable_engine_list_operations(&got, e, arn) == 0 &&
              durable_engine_list_operations(&want, fresh, arn) == 0 && got.count == want.count &&
              got.count > 0;
    for (size_t i = 0; ok && i < got.count; i++)
        ok = durable_operation_equal(&got.items[i], &want.items[i]);
    durable_operation_list_clear(&got);
    durable_operation_list_clear(&want);
    durable_engine_close(fresh);
    durable_store_close(s);
    return ok;
}

/* The state as a fresh engine (no cache) reads it from the file. */
static void oracle_state(durable_state_response *out, const char *path, durable_vclock *vc,
                         const durable_state_request *req)
{
    durable_store *s = NULL;
    CU_ASSERT_FATAL(durable_store_open(&s, path, NULL) == 0);
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    o.clock = durable_vclock_clock(vc);
    durable_engine *e = NULL;
    CU_ASSERT_FATAL(durable_engine_open(&e, s, &o) == 0);
    CU_ASSERT_EQUAL(durable_engine_get_state(out, e, req), 0);
    durable_engine_close(e);
    durable_store_close(s);
}

/* Property: two engines on one file take turns writing (checkpoints, timers,
 * invocations) and reading in a random order; every state either one
 * returns equals what a fresh engine reads from the file, so the cache's
 * own-write path and its other-writer path are both exact. */
static void test_state_cache_random_writers(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed);
    char *path = dt_temp_path("engine-cache-prop");
    durable_vclock *vc = NULL;
    CU_ASSERT_FATAL(durable_vclock_new(&vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    durable_store *st[2] = {NULL, NULL};
    durable_engine *eng[2] = {NULL, NULL};
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    o.clock = durable_vclock_clock(vc);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_FATAL(durable_store_open(&st[i], path, NULL) == 0);
        CU_ASSERT_FATAL(durable_engine_open(&eng[i], st[i], &o) == 0);
    }
    char *arn = NULL, *inv = NULL;
    CU_ASSERT_FATAL(durable_engine_start_execution(&arn, NULL, eng[0], "fn", NULL) == 0);
    durable_invocation_input in = {0};
    CU_ASSERT_FATAL(durable_engine_start_invocation(&in, &inv, eng[0], arn, 0) == 0);
    /* A long wait keeps the execution suspended, so PENDING outputs are valid. */
    durable_operation_update lw;
    ef_wait(&lw, "0", 86400);
    durable_checkpoint_request lreq = {0};
    lreq.durable_execution_arn = arn;
    lreq.checkpoint_token = in.checkpoint_token;
    lreq.updates = &lw;
    lreq.update_count = 1;
    durable_checkpoint_response lr = {0};
    CU_ASSERT_FATAL(durable_engine_checkpoint(&lr, eng[1], &lreq) == 0);
    durable_operation_update_clear(&lw);
    char *token = durable__strdup(lr.checkpoint_token);
    durable_checkpoint_response_clear(&lr);
    durable_invocation_input_clear(&in);
    int next_path = 1, started_step = 0;
    char kind[256] = {0}; /* kind[path]: 'S' step, 'W' wait */
    for (int c = 0; c < 150; c++) {
        durable_engine *w = eng[dt_rng_below(&rng, 2)];
        uint64_t action = dt_rng_below(&rng, 5);
        /* Now and then the START of an existing operation with the other
         * type: validation must see every operation either engine created
         * (the state cache or the rows), and reject it changing nothing. */
        int bad = action <= 2 && next_path > 1 && dt_rng_below(&rng, 4) == 0
                      ? 1 + (int)dt_rng_below(&rng, (uint64_t)next_path - 1)
                      : 0;
        if (action <= 2) { /* a checkpoint: new step, succeed the started one, or a wait */
            durable_operation_update u;
            char p[16];
            if (bad) {
                snprintf(p, sizeof p, "%d", bad);
                if (kind[bad] == 'S')
                    ef_wait(&u, p, 1);
                else
                    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, p);
            } else if (action == 1 && started_step) {
                snprintf(p, sizeof p, "%d", started_step);
                ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, p);
                u.payload = durable__sprintf("%d", c);
                started_step = 0;
            } else if (action == 2) {
                kind[next_path] = 'W';
                snprintf(p, sizeof p, "%d", next_path++);
                ef_wait(&u, p, 1 + (int64_t)dt_rng_below(&rng, 3));
            } else {
                kind[next_path] = 'S';
                snprintf(p, sizeof p, "%d", next_path++);
                ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, p);
                if (!started_step)
                    started_step = next_path - 1;
            }
            durable_checkpoint_request req = {0};
            req.durable_execution_arn = arn;
            req.checkpoint_token = token;
            req.updates = &u;
            req.update_count = 1;
            durable_checkpoint_response r = {0};
            int rc = durable_engine_checkpoint(&r, w, &req);
            if (bad) {
                DT_PROP(rc == DURABLE_EINVAL, seed, c);
                DT_PROP(strcmp(durable_engine_error_text(w), "Inconsistent operation type.") == 0,
                        seed, c);
                rc = 1; /* the token stays current */
            } else {
                DT_PROP(rc == 0, seed, c);
            }
            if (rc < 0)
                fprintf(stderr, "checkpoint: %s\n", durable_engine_errmsg(w));
            durable_operation_update_clear(&u);
            if (rc == 0) {
                durable_free(token);
                token = durable__strdup(r.checkpoint_token);
            }
            durable_checkpoint_response_clear(&r);
        } else if (action == 3) { /* time passes: waits end (engine changes) */
            durable_vclock_advance(vc, 1000);
            int fired = 0;
            CU_ASSERT_EQUAL(durable_engine_fire_due(&fired, w), 0);
        } else { /* the invocation ends and the next one starts elsewhere */
            durable_invocation_output out = {0};
            out.status = DURABLE_INVOCATION_PENDING;
            durable_invocation_outcome oc = {0};
            int rc = durable_engine_complete_invocation(&oc, w, arn, inv, &out);
            DT_PROP(rc == 0, seed, c);
            durable_free(inv);
            inv = NULL;
            rc = durable_engine_start_invocation(&in, &inv, eng[dt_rng_below(&rng, 2)], arn, 0);
            DT_PROP(rc == 0, seed, c);
            durable_free(token);
            token = durable__strdup(in.checkpoint_token);
            durable_state_request sreq = {0};
            sreq.durable_execution_arn = arn;
            sreq.checkpoint_token = token;
            durable_state_response want = {0};
            oracle_state(&want, path, vc, &sreq);
            DT_PROP(same_ops(&in.operations, &want.operations), seed, c);
            durable_state_response_clear(&want);
            durable_invocation_input_clear(&in);
        }
        /* Read through either engine; compare with the file. */
        durable_state_request sreq = {0};
        sreq.durable_execution_arn = arn;
        sreq.checkpoint_token = token;
        durable_state_response got = {0}, want = {0};
        DT_PROP(durable_engine_get_state(&got, eng[dt_rng_below(&rng, 2)], &sreq) == 0, seed, c);
        oracle_state(&want, path, vc, &sreq);
        DT_PROP(same_ops(&got.operations, &want.operations), seed, c);
        DT_PROP(want.operations.count >= (size_t)next_path / 2, seed, c);
        DT_PROP(list_matches_file(eng[dt_rng_below(&rng, 2)], path, vc, arn), seed, c);
        durable_state_response_clear(&got);
        durable_state_response_clear(&want);
    }
    durable_free(token);
    durable_free(arn);
    durable_free(inv);
    for (int i = 0; i < 2; i++) {
        durable_engine_close(eng[i]);
        durable_store_close(st[i]);
    }
    durable_vclock_free(vc);
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_state");
    DT_ADD(s, test_token_rules);
    DT_ADD(s, test_token_after_invocation_and_close);
    DT_ADD(s, test_state_read_does_not_consume);
    DT_ADD(s, test_client_token_replay);
    DT_ADD(s, test_delta_only_changed);
    DT_ADD(s, test_pruning);
    DT_ADD(s, test_paging_with_markers);
    DT_ADD(s, test_history_paging_and_truncation);
    DT_ADD(s, test_list_executions);
    DT_ADD(s, test_state_cache_follows_other_writers);
    DT_ADD(s, test_state_cache_random_writers);
    return dt_run();
}
