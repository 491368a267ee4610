/* Wire model JSON on hand-written values: exact service shapes (key
 * presence, names, timestamp encodings) and decoding of each form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/model.h"
#include "support/testutil.h"

/* Compact text of j; j is deleted. The text is the library's (durable_free). */
static char *text_of(cJSON *j)
{
    char *t = durable_json_print(j);
    cJSON_Delete(j);
    return t;
}

#define ASSERT_JSON(j, expected)                                                  \
    do {                                                                          \
        char *t_ = text_of(j);                                                    \
        CU_ASSERT_PTR_NOT_NULL(t_);                                               \
        if (t_ && strcmp(t_, (expected)) != 0)                                    \
            fprintf(stderr, "\n  got:      %s\n  expected: %s\n", t_, (expected)); \
        CU_ASSERT_STRING_EQUAL(t_ ? t_ : "", (expected));                         \
        durable_free(t_);                                                         \
    } while (0)

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_json_parse(&j, text, strlen(text)), 0);
    return j;
}

#define T0 1767225600123LL /* 2026-01-01T00:00:00.123Z */

static void test_enums(void)
{
    static const char *types[] = {"EXECUTION", "CONTEXT", "STEP", "WAIT", "CALLBACK",
                                  "CHAINED_INVOKE"};
    for (int i = 0; i < 6; i++) {
        durable_op_type t = DURABLE_OP_TYPE_NONE;
        CU_ASSERT_STRING_EQUAL(durable_op_type_name((durable_op_type)(i + 1)), types[i]);
        CU_ASSERT_EQUAL(durable_op_type_parse(&t, types[i]), 0);
        CU_ASSERT_EQUAL(t, i + 1);
    }
    CU_ASSERT_STRING_EQUAL(durable_op_type_name(DURABLE_OP_TYPE_NONE), "");
    CU_ASSERT_STRING_EQUAL(durable_op_type_name((durable_op_type)99), "");
    durable_op_type t = DURABLE_OP_STEP;
    CU_ASSERT_EQUAL(durable_op_type_parse(&t, "step"), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_op_type_parse(&t, ""), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_op_type_parse(&t, NULL), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(t, DURABLE_OP_STEP);

    static const char *st[] = {"STARTED", "PENDING", "READY", "SUCCEEDED",
                               "FAILED",  "CANCELLED", "TIMED_OUT", "STOPPED"};
    for (int i = 0; i < 8; i++) {
        durable_op_status s = DURABLE_OP_STATUS_NONE;
        CU_ASSERT_EQUAL(durable_op_status_parse(&s, st[i]), 0);
        CU_ASSERT_STRING_EQUAL(durable_op_status_name(s), st[i]);
        CU_ASSERT_EQUAL(durable_op_status_is_terminal(s), i >= 3);
    }
    static const char *ac[] = {"START", "SUCCEED", "FAIL", "RETRY", "CANCEL"};
    for (int i = 0; i < 5; i++) {
        durable_op_action a = DURABLE_ACTION_NONE;
        CU_ASSERT_EQUAL(durable_op_action_parse(&a, ac[i]), 0);
        CU_ASSERT_STRING_EQUAL(durable_op_action_name(a), ac[i]);
    }
    static const char *es[] = {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"};
    for (int i = 0; i < 5; i++) {
        durable_exec_status s = DURABLE_EXEC_STATUS_NONE;
        CU_ASSERT_EQUAL(durable_exec_status_parse(&s, es[i]), 0);
        CU_ASSERT_STRING_EQUAL(durable_exec_status_name(s), es[i]);
    }
    static const char *is[] = {"SUCCEEDED", "FAILED", "PENDING"};
    for (int i = 0; i < 3; i++) {
        durable_invocation_status s = DURABLE_INVOCATION_STATUS_NONE;
        CU_ASSERT_EQUAL(durable_invocation_status_parse(&s, is[i]), 0);
        CU_ASSERT_STRING_EQUAL(durable_invocation_status_name(s), is[i]);
    }
    int n = 0;
    for (int v = 1; v <= DURABLE_EVENT_TYPE_COUNT; v++) {
        durable_event_type e = DURABLE_EVENT_NONE;
        const char *name = durable_event_type_name((durable_event_type)v);
        CU_ASSERT(strlen(name) > 0);
        CU_ASSERT_EQUAL(durable_event_type_parse(&e, name), 0);
        CU_ASSERT_EQUAL(e, v);
        n++;
    }
    CU_ASSERT_EQUAL(n, 24);
    CU_ASSERT_STRING_EQUAL(durable_event_type_name(DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT),
                           "ChainedInvokeTimedOut");
    CU_ASSERT_STRING_EQUAL(durable_event_type_name(DURABLE_EVENT_INVOCATION_COMPLETED),
                           "InvocationCompleted");
}

static void test_timestamps(void)
{
    char buf[40];
    durable_ts_format_rfc3339(buf, sizeof buf, T0);
    CU_ASSERT_STRING_EQUAL(buf, "2026-01-01T00:00:00.123Z");
    durable_ts_format_rfc3339(buf, sizeof buf, 0);
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00.000Z");
    durable_ts_format_rfc3339(buf, sizeof buf, 951782400000LL); /* leap day 2000 */
    CU_ASSERT_STRING_EQUAL(buf, "2000-02-29T00:00:00.000Z");

    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {
        {"2026-01-01T00:00:00.123Z", T0},
        {"2026-01-01T00:00:00.123456Z", T0},
        {"2026-01-01t00:00:00.1z", T0 - 23},
        {"2026-01-01T01:00:00.123+01:00", T0},
        {"2025-12-31T19:00:00.123-05:00", T0},
        {"2025-12-31T19:00:00.123-0500", T0},
        {"2026-01-01 00:00:00.123Z", T0},
        {"2026-01-01T00:00:00.123", T0},
        {"2026-01-01", T0 - 123},
        {"2000-02-29T12:00:00Z", 951825600000LL},
        {"1767225600.123", T0},
        {"1767225600", T0 - 123},
        {"2016-12-31T23:59:60Z", 1483228799000LL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        CU_ASSERT_EQUAL(durable_ts_parse(&ms, ok[i].text), 0);
        if (ms != ok[i].ms)
            fprintf(stderr, "\n  %s -> %lld\n", ok[i].text, (long long)ms);
        CU_ASSERT_EQUAL(ms, ok[i].ms);
    }
    static const char *bad[] = {"",
                                "yesterday",
                                "2026-13-01T00:00:00Z",
                                "2026-02-30T00:00:00Z",
                                "2025-02-29T00:00:00Z",
                                "2026-01-01T24:00:00Z",
                                "2026-01-01T00:60:00Z",
                                "2026-01-01T00:00:00+25:00",
                                "2026-01-01T00:00:00.Z",
                                "2026-01-01T00:00:00Zjunk",
                                "2026-01-01X00:00:00Z",
                                "1969-12-31T23:59:59Z",
                                "12a",
                                "1.",
                                "-5",
                                "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 7;
        CU_ASSERT_EQUAL(durable_ts_parse(&ms, bad[i]), DURABLE_EPARSE);
        CU_ASSERT_EQUAL(ms, 7);
    }

    /* JSON numbers: seconds (fraction or < 1e11) and ms (integers >= 1e11). */
    static const struct {
        const char *json;
        int64_t ms;
    } nums[] = {{"1767225600.123", T0},   {"1767225600", T0 - 123}, {"1767225600123", T0},
                {"\"2026-01-01T00:00:00.123Z\"", T0}, {"0", 0}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        cJSON *j = parse(nums[i].json);
        int64_t ms = -1;
        CU_ASSERT_EQUAL(durable_ts_from_json(&ms, j), 0);
        CU_ASSERT_EQUAL(ms, nums[i].ms);
        cJSON_Delete(j);
    }
    static const char *badnums[] = {"-1", "true", "[]", "1e300", "\"x\""};
    for (size_t i = 0; i < sizeof badnums / sizeof badnums[0]; i++) {
        cJSON *j = parse(badnums[i]);
        int64_t ms = 0;
        CU_ASSERT_EQUAL(durable_ts_from_json(&ms, j), DURABLE_EPARSE);
        cJSON_Delete(j);
    }
    ASSERT_JSON(durable_ts_to_json(T0, DURABLE_TS_EPOCH_MS), "1767225600123");
    ASSERT_JSON(durable_ts_to_json(T0, DURABLE_TS_EPOCH_SECONDS), "1767225600.123");
    ASSERT_JSON(durable_ts_to_json(T0, DURABLE_TS_RFC3339), "\"2026-01-01T00:00:00.123Z\"");
}

static void test_error_object(void)
{
    durable_error_object *e = NULL;
    CU_ASSERT_EQUAL(durable_error_object_new(&e, "TransientError", "boom", NULL), 0);
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_error_object_to_json(&j, e), 0);
    ASSERT_JSON(j, "{\"ErrorType\":\"TransientError\",\"ErrorMessage\":\"boom\"}");
    CU_ASSERT_EQUAL(durable_error_object_to_json(&j, NULL), 0);
    ASSERT_JSON(j, "{}");

    j = parse("{\"ErrorType\":\"T\",\"ErrorData\":\"{\\\"a\\\":1}\",\"StackTrace\":[\"f1\",\"f2\"],"
              "\"Other\":5,\"ErrorMessage\":null}");
    durable_error_object d;
    CU_ASSERT_EQUAL(durable_error_object_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_STRING_EQUAL(d.error_type, "T");
    CU_ASSERT_PTR_NULL(d.error_message); /* null = absent */
    CU_ASSERT_STRING_EQUAL(d.error_data, "{\"a\":1}");
    CU_ASSERT_EQUAL(d.stack_trace_count, 2);
    CU_ASSERT_STRING_EQUAL(d.stack_trace[1], "f2");
    durable_error_object *c = NULL;
    CU_ASSERT_EQUAL(durable_error_object_dup(&c, &d), 0);
    CU_ASSERT(durable_error_object_equal(c, &d));
    CU_ASSERT(!durable_error_object_equal(c, e));
    CU_ASSERT_EQUAL(durable_error_object_json_size(&d), 66);
    CU_ASSERT_EQUAL(durable_error_object_to_json(&j, &d), 0);
    char *t = text_of(j);
    CU_ASSERT_EQUAL(strlen(t), durable_error_object_json_size(&d));
    durable_free(t);
    durable_error_object_clear(&d);
    CU_ASSERT_PTR_NULL(d.stack_trace);
    CU_ASSERT_EQUAL(d.stack_trace_count, 0);
    durable_error_object_free(c);
    durable_error_object_free(e);
    durable_error_object_free(NULL);
    durable_error_object_clear(NULL);
}

/* The size formula matches cJSON's printer on text with escapes and UTF-8,
 * and truncation lands under the limit on a character boundary. */
static void test_error_object_size_and_truncate(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed);
    static const char *pieces[] = {"a", "\"", "\\", "\n", "\t", "\x01", "\xc3\xa9", "\xe2\x82\xac",
                                   "\xf0\x9f\x98\x80", "/", " "};
    for (int c = 0; c < 200; c++) {
        char *msg = malloc(4096 * 4 + 1), *data = malloc(4096 * 4 + 1);
        msg[0] = data[0] = '\0';
        size_t nm = dt_rng_below(&r, 3000), nd = dt_rng_below(&r, 3000);
        for (size_t i = 0; i < nm; i++)
            strcat(msg, pieces[dt_rng_below(&r, 11)]);
        for (size_t i = 0; i < nd; i++)
            strcat(data, pieces[dt_rng_below(&r, 11)]);
        durable_error_object *e = NULL;
        durable_error_object_new(&e, c % 2 ? "Type" : NULL, msg, c % 3 ? data : NULL);
        cJSON *j = NULL;
        durable_error_object_to_json(&j, e);
        char *t = text_of(j);
        DT_PROP(strlen(t) == durable_error_object_json_size(e), seed, c);
        durable_free(t);
        size_t limit = 100 + dt_rng_below(&r, 8000);
        CU_ASSERT_EQUAL(durable_error_object_truncate(e, limit), 0);
        durable_error_object_to_json(&j, e);
        t = text_of(j);
        DT_PROP(strlen(t) <= limit, seed, c);
        DT_PROP(strlen(t) == durable_error_object_json_size(e), seed, c);
        /* Still valid UTF-8: it parses back to the same object. */
        cJSON *back = NULL;
        durable_error_object d;
        CU_ASSERT_EQUAL(durable_json_parse(&back, t, strlen(t)), 0);
        DT_PROP(durable_error_object_from_json(&d, back) == 0, seed, c);
        DT_PROP(durable_error_object_equal(&d, e), seed, c);
        durable_error_object_clear(&d);
        cJSON_Delete(back);
        durable_free(t);
        durable_error_object_free(e);
        free(msg);
        free(data);
    }
    /* A type alone over the limit cannot be fixed by truncation. */
    durable_error_object *e = NULL;
    durable_error_object_new(&e, "0123456789012345678901234567890123456789", "m", "d");
    CU_ASSERT_EQUAL(durable_error_object_truncate(e, 20), DURABLE_EINVAL);
    durable_error_object_free(e);
}

static void test_operation_shapes(void)
{
    durable_operation op;
    durable_operation_init(&op);
    CU_ASSERT_EQUAL(op.attempt, DURABLE_ABSENT);
    CU_ASSERT_EQUAL(op.replay_children, DURABLE_ABSENT);
    op.id = "c4ca4238a0b92382";
    op.name = "fetch";
    op.subtype = "Step";
    op.type = DURABLE_OP_STEP;
    op.status = DURABLE_OP_STARTED;
    op.start_timestamp = T0;
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_operation_to_json(&j, &op, DURABLE_TS_EPOCH_MS), 0);
    ASSERT_JSON(j, "{\"Id\":\"c4ca4238a0b92382\",\"Name\":\"fetch\",\"SubType\":\"Step\","
                   "\"Type\":\"STEP\",\"Status\":\"STARTED\",\"StartTimestamp\":1767225600123,"
                   "\"StepDetails\":{}}");
    op.status = DURABLE_OP_SUCCEEDED;
    op.end_timestamp = T0 + 1000;
    op.attempt = 1;
    op.result = "\"computed\"";
    CU_ASSERT_EQUAL(durable_operation_to_json(&j, &op, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"Id\":\"c4ca4238a0b92382\",\"Name\":\"fetch\",\"SubType\":\"Step\","
                   "\"Type\":\"STEP\",\"Status\":\"SUCCEEDED\",\"StartTimestamp\":1767225600.123,"
                   "\"EndTimestamp\":1767225601.123,\"StepDetails\":{\"Attempt\":1,"
                   "\"Result\":\"\\\"computed\\\"\"}}");

    /* Every type carries its own (possibly empty) details object only. */
    static const struct {
        durable_op_type t;
        const char *key;
    } det[] = {{DURABLE_OP_EXECUTION, "ExecutionDetails"}, {DURABLE_OP_CONTEXT, "ContextDetails"},
               {DURABLE_OP_WAIT, "WaitDetails"},           {DURABLE_OP_CALLBACK, "CallbackDetails"},
               {DURABLE_OP_CHAINED_INVOKE, "ChainedInvokeDetails"}};
    durable_operation bare;
    durable_operation_init(&bare);
    bare.id = "x";
    bare.status = DURABLE_OP_STARTED;
    bare.start_timestamp = T0;
    bare.attempt = 3; /* a STEP field: not encoded for other types */
    for (size_t i = 0; i < sizeof det / sizeof det[0]; i++) {
        bare.type = det[i].t;
        CU_ASSERT_EQUAL(durable_operation_to_json(&j, &bare, DURABLE_TS_EPOCH_MS), 0);
        cJSON *d = cJSON_GetObjectItemCaseSensitive(j, det[i].key);
        CU_ASSERT(cJSON_IsObject(d) && cJSON_GetArraySize(d) == 0);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 5);
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItemCaseSensitive(j, "EndTimestamp"));
        cJSON_Delete(j);
    }

    durable_operation w;
    durable_operation_init(&w);
    w.id = "w";
    w.type = DURABLE_OP_WAIT;
    w.status = DURABLE_OP_STARTED;
    w.start_timestamp = T0;
    w.scheduled_end_timestamp = T0 + 2000;
    CU_ASSERT_EQUAL(durable_operation_to_json(&j, &w, DURABLE_TS_RFC3339), 0);
    ASSERT_JSON(j, "{\"Id\":\"w\",\"Type\":\"WAIT\",\"Status\":\"STARTED\","
                   "\"StartTimestamp\":\"2026-01-01T00:00:00.123Z\",\"WaitDetails\":"
                   "{\"ScheduledEndTimestamp\":\"2026-01-01T00:00:02.123Z\"}}");

    durable_operation cx;
    durable_operation_init(&cx);
    cx.id = "c";
    cx.parent_id = "p";
    cx.type = DURABLE_OP_CONTEXT;
    cx.status = DURABLE_OP_FAILED;
    cx.start_timestamp = T0;
    cx.end_timestamp = T0;
    cx.replay_children = 1;
    durable_error_object err = {"E", "m", NULL, NULL, 0};
    cx.error = &err;
    CU_ASSERT_EQUAL(durable_operation_to_json(&j, &cx, DURABLE_TS_EPOCH_MS), 0);
    ASSERT_JSON(j, "{\"Id\":\"c\",\"ParentId\":\"p\",\"Type\":\"CONTEXT\",\"Status\":\"FAILED\","
                   "\"StartTimestamp\":1767225600123,\"EndTimestamp\":1767225600123,"
                   "\"ContextDetails\":{\"ReplayChildren\":true,\"Error\":{\"ErrorType\":\"E\","
                   "\"ErrorMessage\":\"m\"}}}");

    /* Decoding: every timestamp form, unknown keys ignored, null = absent. */
    static const char *forms[] = {"1767225600123", "1767225600.123", "\"2026-01-01T00:00:00.123Z\"",
                                  "\"2026-01-01T02:00:00.123+02:00\""};
    for (size_t i = 0; i < 4; i++) {
        char doc[512];
        snprintf(doc, sizeof doc,
                 "{\"Id\":\"a\",\"Type\":\"CALLBACK\",\"Status\":\"STARTED\",\"StartTimestamp\":%s,"
                 "\"EndTimestamp\":null,\"Extra\":[1,2],\"Name\":null,"
                 "\"CallbackDetails\":{\"CallbackId\":\"YWJj\",\"Result\":\"1\"},"
                 "\"StepDetails\":{\"Attempt\":\"not read for a CALLBACK\"}}",
                 forms[i]);
        j = parse(doc);
        durable_operation d;
        CU_ASSERT_EQUAL(durable_operation_from_json(&d, j), 0);
        CU_ASSERT_EQUAL(d.start_timestamp, T0);
        CU_ASSERT_EQUAL(d.end_timestamp, 0);
        CU_ASSERT_PTR_NULL(d.name);
        CU_ASSERT_EQUAL(d.type, DURABLE_OP_CALLBACK);
        CU_ASSERT_STRING_EQUAL(d.callback_id, "YWJj");
        CU_ASSERT_STRING_EQUAL(d.result, "1");
        CU_ASSERT_EQUAL(d.attempt, DURABLE_ABSENT);
        durable_operation c;
        CU_ASSERT_EQUAL(durable_operation_copy(&c, &d), 0);
        CU_ASSERT(durable_operation_equal(&c, &d));
        c.result[0] = '2';
        CU_ASSERT(!durable_operation_equal(&c, &d));
        durable_operation_clear(&c);
        durable_operation_clear(&d);
        CU_ASSERT_PTR_NULL(d.id);
        CU_ASSERT_EQUAL(d.attempt, DURABLE_ABSENT);
        cJSON_Delete(j);
    }
}

static void test_operation_list(void)
{
    durable_operation_list l = {0};
    durable_operation op;
    durable_operation_init(&op);
    op.id = "a";
    op.type = DURABLE_OP_STEP;
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(durable_operation_list_append(&l, &op), 0);
    CU_ASSERT_EQUAL(l.count, 20);
    CU_ASSERT_STRING_EQUAL(l.items[19].id, "a");
    CU_ASSERT_PTR_NOT_EQUAL(l.items[19].id, op.id);
    durable_operation moved;
    durable_operation_init(&moved);
    char *owned = NULL;
    {
        cJSON *s = cJSON_CreateString("moved");
        owned = cJSON_PrintUnformatted(s); /* "\"moved\"", library memory */
        cJSON_Delete(s);
    }
    moved.id = owned;
    CU_ASSERT_EQUAL(durable_operation_list_take(&l, &moved), 0);
    CU_ASSERT_PTR_NULL(moved.id);
    CU_ASSERT_EQUAL(moved.attempt, DURABLE_ABSENT);
    CU_ASSERT_PTR_EQUAL(l.items[20].id, owned);
    durable_operation_list_clear(&l);
    CU_ASSERT_EQUAL(l.count, 0);
    CU_ASSERT_PTR_NULL(l.items);
    durable_operation_list_clear(NULL);
}

static void test_update_shapes(void)
{
    durable_operation_update u;
    durable_operation_update_init(&u);
    CU_ASSERT_EQUAL(u.wait_seconds, DURABLE_ABSENT);
    u.id = "b";
    u.type = DURABLE_OP_WAIT;
    u.action = DURABLE_ACTION_START;
    u.subtype = "Wait";
    u.options = DURABLE_OPTIONS_WAIT;
    u.wait_seconds = 2;
    u.timeout_seconds = 9; /* other kinds' fields are not encoded */
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_operation_update_to_json(&j, &u), 0);
    ASSERT_JSON(j, "{\"Id\":\"b\",\"SubType\":\"Wait\",\"Type\":\"WAIT\",\"Action\":\"START\","
                   "\"WaitOptions\":{\"WaitSeconds\":2}}");

    durable_operation_update s;
    durable_operation_update_init(&s);
    s.id = "a";
    s.parent_id = "p";
    s.name = "n";
    s.type = DURABLE_OP_STEP;
    s.action = DURABLE_ACTION_RETRY;
    durable_error_object err = {"T", NULL, NULL, NULL, 0};
    s.error = &err;
    s.options = DURABLE_OPTIONS_STEP;
    s.next_attempt_delay_seconds = 6;
    CU_ASSERT_EQUAL(durable_operation_update_to_json(&j, &s), 0);
    ASSERT_JSON(j, "{\"Id\":\"a\",\"ParentId\":\"p\",\"Name\":\"n\",\"Type\":\"STEP\","
                   "\"Action\":\"RETRY\",\"Error\":{\"ErrorType\":\"T\"},"
                   "\"StepOptions\":{\"NextAttemptDelaySeconds\":6}}");

    j = parse("{\"Id\":\"c\",\"Type\":\"CALLBACK\",\"Action\":\"START\",\"CallbackOptions\":"
              "{\"TimeoutSeconds\":0,\"HeartbeatTimeoutSeconds\":30}}");
    durable_operation_update d;
    CU_ASSERT_EQUAL(durable_operation_update_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(d.options, DURABLE_OPTIONS_CALLBACK);
    CU_ASSERT_EQUAL(d.timeout_seconds, 0);
    CU_ASSERT_EQUAL(d.heartbeat_timeout_seconds, 30);
    CU_ASSERT_EQUAL(d.wait_seconds, DURABLE_ABSENT);
    durable_operation_update c;
    CU_ASSERT_EQUAL(durable_operation_update_copy(&c, &d), 0);
    CU_ASSERT(durable_operation_update_equal(&c, &d));
    c.heartbeat_timeout_seconds = 31;
    CU_ASSERT(!durable_operation_update_equal(&c, &d));
    durable_operation_update_clear(&c);
    durable_operation_update_clear(&d);
    CU_ASSERT_EQUAL(d.heartbeat_timeout_seconds, DURABLE_ABSENT);

    j = parse("{\"Id\":\"i\",\"Type\":\"CHAINED_INVOKE\",\"Action\":\"START\",\"Payload\":\"{}\","
              "\"ChainedInvokeOptions\":{\"FunctionName\":\"echo\",\"TenantId\":\"t1\"}}");
    CU_ASSERT_EQUAL(durable_operation_update_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_STRING_EQUAL(d.function_name, "echo");
    CU_ASSERT_STRING_EQUAL(d.tenant_id, "t1");
    CU_ASSERT_STRING_EQUAL(d.payload, "{}");
    durable_operation_update_clear(&d);

    j = parse("{\"Id\":\"x\",\"Type\":\"CONTEXT\",\"Action\":\"SUCCEED\",\"ContextOptions\":"
              "{\"ReplayChildren\":false}}");
    CU_ASSERT_EQUAL(durable_operation_update_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(d.replay_children, 0);
    durable_operation_update_clear(&d);
}

static durable_event base_event(durable_event_type t)
{
    durable_event e;
    durable_event_init(&e);
    e.type = t;
    e.event_id = 3;
    e.timestamp = T0;
    e.id = "A";
    e.subtype = "Step";
    return e;
}

static void test_event_shapes(void)
{
    cJSON *j = NULL;
    durable_event e = base_event(DURABLE_EVENT_STEP_SUCCEEDED);
    e.has_payload_object = true;
    e.payload = "\"computed\"";
    e.current_attempt = 1;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"StepSucceeded\",\"EventId\":3,\"EventTimestamp\":"
                   "1767225600.123,\"Id\":\"A\",\"SubType\":\"Step\",\"StepSucceededDetails\":"
                   "{\"Result\":{\"Payload\":\"\\\"computed\\\"\",\"Truncated\":false},"
                   "\"RetryDetails\":{\"CurrentAttempt\":1}}}");

    e = base_event(DURABLE_EVENT_STEP_FAILED);
    e.current_attempt = 2;
    e.next_attempt_delay_seconds = 6;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"StepFailed\",\"EventId\":3,\"EventTimestamp\":"
                   "1767225600.123,\"Id\":\"A\",\"SubType\":\"Step\",\"StepFailedDetails\":"
                   "{\"Error\":{\"Payload\":{},\"Truncated\":false},\"RetryDetails\":"
                   "{\"CurrentAttempt\":2,\"NextAttemptDelaySeconds\":6}}}");

    e = base_event(DURABLE_EVENT_STEP_STARTED);
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"StepStarted\",\"EventId\":3,\"EventTimestamp\":"
                   "1767225600.123,\"Id\":\"A\",\"SubType\":\"Step\",\"StepStartedDetails\":{}}");

    /* Execution events never carry the operation envelope. */
    e = base_event(DURABLE_EVENT_EXECUTION_STARTED);
    e.event_id = 1;
    e.has_payload_object = true;
    e.payload = "null";
    e.execution_timeout = 31622400;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"ExecutionStarted\",\"EventId\":1,\"EventTimestamp\":"
                   "1767225600.123,\"ExecutionStartedDetails\":{\"Input\":{\"Payload\":\"null\","
                   "\"Truncated\":false},\"ExecutionTimeout\":31622400}}");

    /* IncludeExecutionData=false: Payload omitted, Truncated true. */
    e = base_event(DURABLE_EVENT_EXECUTION_SUCCEEDED);
    e.event_id = 8;
    e.has_payload_object = true;
    e.truncated = true;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"ExecutionSucceeded\",\"EventId\":8,\"EventTimestamp\":"
                   "1767225600.123,\"ExecutionSucceededDetails\":{\"Result\":{\"Truncated\":true}}}");

    e = base_event(DURABLE_EVENT_WAIT_STARTED);
    e.subtype = "Wait";
    e.duration = 2;
    e.scheduled_end_timestamp = T0 + 2000;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"WaitStarted\",\"EventId\":3,\"EventTimestamp\":"
                   "1767225600.123,\"Id\":\"A\",\"SubType\":\"Wait\",\"WaitStartedDetails\":"
                   "{\"Duration\":2,\"ScheduledEndTimestamp\":1767225602.123}}");

    e = base_event(DURABLE_EVENT_WAIT_CANCELLED);
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    CU_ASSERT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "WaitCancelledDetails")) == 0);
    cJSON_Delete(j);

    /* CallbackStarted: timeouts only when > 0. */
    e = base_event(DURABLE_EVENT_CALLBACK_STARTED);
    e.subtype = "Callback";
    e.name = "approve";
    e.callback_id = "Y2I=";
    e.timeout = 0;
    e.heartbeat_timeout = 30;
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"CallbackStarted\",\"EventId\":3,\"EventTimestamp\":"
                   "1767225600.123,\"Id\":\"A\",\"Name\":\"approve\",\"SubType\":\"Callback\","
                   "\"CallbackStartedDetails\":{\"CallbackId\":\"Y2I=\",\"HeartbeatTimeout\":30}}");

    e = base_event(DURABLE_EVENT_CHAINED_INVOKE_STARTED);
    e.subtype = "ChainedInvoke";
    e.function_name = "echo";
    e.has_payload_object = true;
    e.payload = "{\"a\":1}";
    e.executed_version = "$LATEST";
    e.durable_execution_arn = "arn:x";
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"ChainedInvokeStarted\",\"EventId\":3,\"EventTimestamp\":"
                   "1767225600.123,\"Id\":\"A\",\"SubType\":\"ChainedInvoke\","
                   "\"ChainedInvokeStartedDetails\":{\"FunctionName\":\"echo\",\"Input\":"
                   "{\"Payload\":\"{\\\"a\\\":1}\",\"Truncated\":false},\"ExecutedVersion\":"
                   "\"$LATEST\",\"DurableExecutionArn\":\"arn:x\"}}");

    e = base_event(DURABLE_EVENT_INVOCATION_COMPLETED);
    e.event_id = 5;
    e.invocation_start_timestamp = T0;
    e.invocation_end_timestamp = T0 + 7;
    e.request_id = "r-1";
    CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"EventType\":\"InvocationCompleted\",\"EventId\":5,\"EventTimestamp\":"
                   "1767225600.123,\"InvocationCompletedDetails\":{\"StartTimestamp\":"
                   "1767225600.123,\"EndTimestamp\":1767225600.13,\"RequestId\":\"r-1\"}}");

    /* Decoding an event from the service shape. */
    j = parse("{\"EventType\":\"StepFailed\",\"EventId\":6,\"EventTimestamp\":1767225600.5,"
              "\"Id\":\"A\",\"StepFailedDetails\":{\"Error\":{\"Payload\":{\"ErrorType\":\"X\"},"
              "\"Truncated\":false},\"RetryDetails\":{\"CurrentAttempt\":2,"
              "\"NextAttemptDelaySeconds\":6}}}");
    durable_event d;
    CU_ASSERT_EQUAL(durable_event_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(d.type, DURABLE_EVENT_STEP_FAILED);
    CU_ASSERT_EQUAL(d.timestamp, 1767225600500LL);
    CU_ASSERT_STRING_EQUAL(d.error->error_type, "X");
    CU_ASSERT_EQUAL(d.current_attempt, 2);
    CU_ASSERT_EQUAL(d.next_attempt_delay_seconds, 6);
    durable_event c;
    CU_ASSERT_EQUAL(durable_event_copy(&c, &d), 0);
    CU_ASSERT(durable_event_equal(&c, &d));
    c.next_attempt_delay_seconds = 7;
    CU_ASSERT(!durable_event_equal(&c, &d));
    durable_event_clear(&c);
    durable_event_clear(&d);
    CU_ASSERT_EQUAL(d.current_attempt, DURABLE_ABSENT);
    durable_event_clear(NULL);
}

static void test_invocation_shapes(void)
{
    durable_invocation_input in = {0};
    in.durable_execution_arn = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/"
                               "durable-execution/n/e1";
    in.checkpoint_token = "dG9r";
    durable_operation op;
    durable_operation_init(&op);
    op.id = "e1";
    op.type = DURABLE_OP_EXECUTION;
    op.status = DURABLE_OP_STARTED;
    op.start_timestamp = T0;
    op.input_payload = "{\"x\":1}";
    in.operations.items = &op;
    in.operations.count = 1;
    cJSON *j = NULL;
    CU_ASSERT_EQUAL(durable_invocation_input_to_json(&j, &in), 0);
    ASSERT_JSON(j, "{\"DurableExecutionArn\":\"arn:aws:lambda:us-east-1:123456789012:function:"
                   "f:$LATEST/durable-execution/n/e1\",\"CheckpointToken\":\"dG9r\","
                   "\"InitialExecutionState\":{\"Operations\":[{\"Id\":\"e1\",\"Type\":"
                   "\"EXECUTION\",\"Status\":\"STARTED\",\"StartTimestamp\":1767225600123,"
                   "\"ExecutionDetails\":{\"InputPayload\":\"{\\\"x\\\":1}\"}}],"
                   "\"NextMarker\":\"\"}}");
    char *ids[] = {"abc"};
    in.updated_operation_ids = ids;
    in.updated_operation_id_count = 1;
    in.next_marker = "bXk=";
    CU_ASSERT_EQUAL(durable_invocation_input_to_json(&j, &in), 0);
    durable_invocation_input d;
    CU_ASSERT_EQUAL(durable_invocation_input_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_STRING_EQUAL(d.next_marker, "bXk=");
    CU_ASSERT_EQUAL(d.operations.count, 1);
    CU_ASSERT(durable_operation_equal(&d.operations.items[0], &op));
    CU_ASSERT_EQUAL(d.updated_operation_id_count, 1);
    CU_ASSERT_STRING_EQUAL(d.updated_operation_ids[0], "abc");
    durable_invocation_input_clear(&d);
    CU_ASSERT_PTR_NULL(d.operations.items);

    /* RFC 3339 timestamps are read too; "" marker = end. */
    j = parse("{\"DurableExecutionArn\":\"a\",\"CheckpointToken\":\"dA==\","
              "\"InitialExecutionState\":{\"Operations\":[{\"Id\":\"e\",\"Type\":\"EXECUTION\","
              "\"Status\":\"STARTED\",\"StartTimestamp\":\"2026-01-01T00:00:00.123Z\"}],"
              "\"NextMarker\":\"\"}}");
    CU_ASSERT_EQUAL(durable_invocation_input_from_json(&d, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(d.operations.items[0].start_timestamp, T0);
    CU_ASSERT_PTR_NULL(d.next_marker);
    CU_ASSERT_PTR_NULL(d.updated_operation_ids);
    durable_invocation_input_clear(&d);

    durable_invocation_output o = {DURABLE_INVOCATION_SUCCEEDED, "\"hi\"", NULL};
    CU_ASSERT_EQUAL(durable_invocation_output_to_json(&j, &o), 0);
    ASSERT_JSON(j, "{\"Status\":\"SUCCEEDED\",\"Result\":\"\\\"hi\\\"\"}");
    durable_invocation_output p = {DURABLE_INVOCATION_PENDING, NULL, NULL};
    CU_ASSERT_EQUAL(durable_invocation_output_to_json(&j, &p), 0);
    ASSERT_JSON(j, "{\"Status\":\"PENDING\"}");
    j = parse("{\"Status\":\"FAILED\",\"Error\":{\"ErrorType\":\"StepError\"}}");
    durable_invocation_output od;
    CU_ASSERT_EQUAL(durable_invocation_output_from_json(&od, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(od.status, DURABLE_INVOCATION_FAILED);
    CU_ASSERT_STRING_EQUAL(od.error->error_type, "StepError");
    durable_invocation_output_clear(&od);
    CU_ASSERT_PTR_NULL(od.error);
}

static void test_request_shapes(void)
{
    cJSON *j = NULL;
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.id = "a";
    u.type = DURABLE_OP_STEP;
    u.action = DURABLE_ACTION_START;
    durable_checkpoint_request cr = {"arn", "dG9r", &u, 1, "ct-1"};
    CU_ASSERT_EQUAL(durable_checkpoint_request_to_json(&j, &cr), 0);
    ASSERT_JSON(j, "{\"CheckpointToken\":\"dG9r\",\"Updates\":[{\"Id\":\"a\",\"Type\":\"STEP\","
                   "\"Action\":\"START\"}],\"ClientToken\":\"ct-1\"}");

    durable_checkpoint_response resp = {0};
    CU_ASSERT_EQUAL(durable_checkpoint_response_to_json(&j, &resp, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"NewExecutionState\":{\"Operations\":[]}}");

    durable_state_request sr = {NULL, "dG9r", NULL, 1000};
    CU_ASSERT_EQUAL(durable_state_request_to_json(&j, &sr), 0);
    ASSERT_JSON(j, "{\"CheckpointToken\":\"dG9r\",\"MaxItems\":1000}");

    durable_state_response st = {{0}, "bQ=="};
    CU_ASSERT_EQUAL(durable_state_response_to_json(&j, &st, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"Operations\":[],\"NextMarker\":\"bQ==\"}");

    /* Callback bodies: raw success bytes, bare ErrorObject, nothing. */
    durable_callback_request cb = {DURABLE_CALLBACK_SUCCESS, "Y2I=", "{\"status\": \"ok\"}", 16,
                                   NULL};
    CU_ASSERT_EQUAL(durable_callback_request_to_json(&j, &cb), 0);
    ASSERT_JSON(j, "{\"status\": \"ok\"}");
    durable_callback_request back;
    CU_ASSERT_EQUAL(durable_json_parse(&j, "not json", 8), DURABLE_EPARSE);
    j = cJSON_CreateRaw("not json \xc3\xa9");
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&back, DURABLE_CALLBACK_SUCCESS, "Y2I=", j), 0);
    cJSON_Delete(j);
    CU_ASSERT_STRING_EQUAL(back.result, "not json \xc3\xa9");
    CU_ASSERT_EQUAL(back.result_len, 11);
    CU_ASSERT_STRING_EQUAL(back.callback_id, "Y2I=");
    durable_callback_request_clear(&back);
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&back, DURABLE_CALLBACK_SUCCESS, "Y2I=", NULL), 0);
    CU_ASSERT_PTR_NULL(back.result);
    durable_callback_request_clear(&back);
    durable_error_object err = {"Rejected", "no", NULL, NULL, 0};
    durable_callback_request fr = {DURABLE_CALLBACK_FAILURE, "Y2I=", NULL, 0, &err};
    CU_ASSERT_EQUAL(durable_callback_request_to_json(&j, &fr), 0);
    ASSERT_JSON(j, "{\"ErrorType\":\"Rejected\",\"ErrorMessage\":\"no\"}");
    j = cJSON_CreateRaw("");
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&back, DURABLE_CALLBACK_FAILURE, "Y2I=", j), 0);
    CU_ASSERT_PTR_NULL(back.error); /* empty body = {} */
    durable_callback_request_clear(&back);
    cJSON_Delete(j);
    durable_callback_request hb = {DURABLE_CALLBACK_HEARTBEAT, "Y2I=", NULL, 0, NULL};
    j = (cJSON *)1;
    CU_ASSERT_EQUAL(durable_callback_request_to_json(&j, &hb), 0);
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_EQUAL(durable_callback_request_from_json(&back, DURABLE_CALLBACK_HEARTBEAT, "%%", NULL),
                    DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "Callback not found.");

    durable_execution_info x = {"arn:e", "n1", "arn:f", DURABLE_EXEC_SUCCEEDED, T0, T0 + 5,
                                NULL, "42", NULL, "$LATEST"};
    CU_ASSERT_EQUAL(durable_execution_info_to_json(&j, &x, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"DurableExecutionArn\":\"arn:e\",\"DurableExecutionName\":\"n1\","
                   "\"FunctionArn\":\"arn:f\",\"Status\":\"SUCCEEDED\",\"StartTimestamp\":"
                   "1767225600.123,\"EndTimestamp\":1767225600.128,\"Result\":\"42\","
                   "\"Version\":\"$LATEST\"}");
    durable_list_response lr = {&x, 1, NULL};
    CU_ASSERT_EQUAL(durable_list_response_to_json(&j, &lr, DURABLE_TS_EPOCH_SECONDS), 0);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "DurableExecutions")), 1);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(j, "NextMarker"));
    cJSON_Delete(j);

    durable_exec_status sts[] = {DURABLE_EXEC_RUNNING, DURABLE_EXEC_FAILED};
    durable_list_request lq = {"fn", "$LATEST", NULL, sts, 2, T0, 0, true, NULL, 10};
    CU_ASSERT_EQUAL(durable_list_request_to_json(&j, &lq), 0);
    ASSERT_JSON(j, "{\"Qualifier\":\"$LATEST\",\"Statuses\":[\"RUNNING\",\"FAILED\"],"
                   "\"StartedAfter\":\"2026-01-01T00:00:00.123Z\",\"ReverseOrder\":true,"
                   "\"MaxItems\":10}");
    j = parse("{\"StartedBefore\":1767225600.123,\"StartedAfter\":\"1767225600\"}");
    durable_list_request lqd;
    CU_ASSERT_EQUAL(durable_list_request_from_json(&lqd, j), 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(lqd.started_before, T0);
    CU_ASSERT_EQUAL(lqd.started_after, T0 - 123);
    CU_ASSERT_EQUAL(lqd.max_items, DURABLE_ABSENT);
    durable_list_request_clear(&lqd);

    durable_history_request hq = {NULL, true, 50, NULL, false};
    CU_ASSERT_EQUAL(durable_history_request_to_json(&j, &hq), 0);
    ASSERT_JSON(j, "{\"IncludeExecutionData\":true,\"MaxItems\":50}");

    durable_error_object se = {NULL, "bye", NULL, NULL, 0};
    durable_stop_request sq = {"arn", &se};
    CU_ASSERT_EQUAL(durable_stop_request_to_json(&j, &sq), 0);
    ASSERT_JSON(j, "{\"Error\":{\"ErrorMessage\":\"bye\"}}");
    durable_stop_response sp = {T0};
    CU_ASSERT_EQUAL(durable_stop_response_to_json(&j, &sp, DURABLE_TS_EPOCH_SECONDS), 0);
    ASSERT_JSON(j, "{\"StopTimestamp\":1767225600.123}");
}

int main(void)
{
    CU_pSuite s = dt_suite("model_json");
    DT_ADD(s, test_enums);
    DT_ADD(s, test_timestamps);
    DT_ADD(s, test_error_object);
    DT_ADD(s, test_error_object_size_and_truncate);
    DT_ADD(s, test_operation_shapes);
    DT_ADD(s, test_operation_list);
    DT_ADD(s, test_update_shapes);
    DT_ADD(s, test_event_shapes);
    DT_ADD(s, test_invocation_shapes);
    DT_ADD(s, test_request_shapes);
    return dt_run();
}
