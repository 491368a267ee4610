/*
 * Conformance runner: YAML loader, comparison rules (SPEC §12.1–§12.3,
 * §12.5 logs) and the json.dumps encoder for callback payloads.
 *
 * The Makefile links a test with the library layers only, so the runner's
 * own sources are compiled into this test by including them (their static
 * helpers use distinct prefixes: ac_, ld_, mt_, pj_).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "conformance/actions.c"
#include "conformance/loader.c"
#include "conformance/matcher.c"
#include "conformance/pyjson.c"
#include "support/testutil.h"

static cJSON *yaml(const char *text)
{
    cJSON *out = NULL;
    char err[256];
    if (conf_yaml_to_json(&out, text, strlen(text), err, sizeof err) != 0) {
        fprintf(stderr, "yaml error: %s\n", err);
        CU_FAIL("test YAML does not parse");
    }
    return out;
}

static cJSON *json(const char *text)
{
    cJSON *v = cJSON_Parse(text);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s\n", text);
        CU_FAIL("test JSON does not parse");
    }
    return v;
}

/* ---- loader ------------------------------------------------------------------ */

static void test_yaml_scalars_follow_yaml11(void)
{
    cJSON *d = yaml("---\n"
                    "empty:\n"
                    "tilde: ~\n"
                    "nul: null\n"
                    "int: 42\n"
                    "neg: -7\n"
                    "hex: 0x1F\n"
                    "oct: 017\n"
                    "bin: 0b101\n"
                    "under: 1_000\n"
                    "sexa: 1:30\n"
                    "flt: 2.0\n"
                    "flt2: .5\n"
                    "fexp: 1.5e+3\n"
                    "notfloat: 1e5\n"
                    "t: true\n"
                    "f: false\n"
                    "y: yes\n"
                    "off: Off\n"
                    "star: '*'\n"
                    "qint: '42'\n"
                    "dq: \"a\\tb\"\n"
                    "plain: Hello, World!\n"
                    "block: |\n  line1\n  line2\n"
                    "seq: [admin, active]\n"
                    "nested: {a: 1, b: [x, {c: d}]}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(d, "empty")));
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(d, "tilde")));
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(d, "nul")));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "int")->valuedouble, 42);
    CU_ASSERT_FALSE(conf_json_is_float(cJSON_GetObjectItem(d, "int")));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "neg")->valuedouble, -7);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "hex")->valuedouble, 31);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "oct")->valuedouble, 15);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "bin")->valuedouble, 5);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "under")->valuedouble, 1000);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "sexa")->valuedouble, 90);
    CU_ASSERT(conf_json_is_float(cJSON_GetObjectItem(d, "flt")));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "flt")->valuedouble, 2.0);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "flt2")->valuedouble, 0.5);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "fexp")->valuedouble, 1500.0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "notfloat")->valuestring, "1e5");
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(d, "t")));
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(d, "f")));
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(d, "y")));
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(d, "off")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "star")->valuestring, "*");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "qint")->valuestring, "42");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "dq")->valuestring, "a\tb");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "plain")->valuestring, "Hello, World!");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "block")->valuestring, "line1\nline2\n");
    cJSON *seq = json("[\"admin\",\"active\"]");
    CU_ASSERT(conf_json_equal(cJSON_GetObjectItem(d, "seq"), seq));
    cJSON *nested = json("{\"a\":1,\"b\":[\"x\",{\"c\":\"d\"}]}");
    CU_ASSERT(conf_json_equal(cJSON_GetObjectItem(d, "nested"), nested));
    cJSON_Delete(seq);
    cJSON_Delete(nested);
    cJSON_Delete(d);
}

static void test_yaml_aliases_tags_and_errors(void)
{
    cJSON *d = yaml("base: &b {x: 1}\ncopy: *b\nforced: !!str 12\nfl: !!float 3\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT(conf_json_equal(cJSON_GetObjectItem(d, "base"), cJSON_GetObjectItem(d, "copy")));
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "forced")->valuestring, "12");
    CU_ASSERT(conf_json_is_float(cJSON_GetObjectItem(d, "fl")));
    cJSON_Delete(d);

    cJSON *bad = NULL;
    char err[256];
    const char *text = "a: [1, 2\nb: 3\n";
    CU_ASSERT_EQUAL(conf_yaml_to_json(&bad, text, strlen(text), err, sizeof err), -1);
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line"));
    const char *two = "---\na: 1\n---\nb: 2\n";
    CU_ASSERT_EQUAL(conf_yaml_to_json(&bad, two, strlen(two), err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "found 2"));
}

static void test_requirement_views_and_multi_documents(void)
{
    const char *text = "---\n"
                       "description: first\n"
                       "AsyncInvoke: true\n"
                       "optional: true\n"
                       "Variables:\n  A: ${GEN_STR:4}\n"
                       "ExpectedResult:\n  ExecutionStatus: SUCCEEDED\n"
                       "ExpectedExecutionHistory:\n  - EventType: StepStarted\n    EventId: 2\n"
                       "---\n"
                       "description: second\n"
                       "Input: [1, 2]\n"
                       "CallbackActions:\n  - CallbackName: '*'\n    Operation: success\n";
    conf_requirement_list list = {0};
    char err[256];
    CU_ASSERT_EQUAL_FATAL(conf_load_text(&list, text, strlen(text), "9-99", "x", "mem.yaml", err,
                                         sizeof err),
                          0);
    CU_ASSERT_EQUAL_FATAL(list.count, 2);
    conf_requirement *a = list.items[0], *b = list.items[1];
    CU_ASSERT_STRING_EQUAL(a->id, "9-99");
    CU_ASSERT_STRING_EQUAL(b->id, "9-99#2");
    CU_ASSERT_STRING_EQUAL(a->description, "first");
    CU_ASSERT(a->async_invoke && a->optional);
    CU_ASSERT_FALSE(b->async_invoke || b->optional);
    CU_ASSERT(cJSON_IsNull(a->input)); /* absent Input is null */
    CU_ASSERT_EQUAL(cJSON_GetArraySize(b->input), 2);
    CU_ASSERT_PTR_NOT_NULL(a->variables);
    CU_ASSERT_PTR_NOT_NULL(a->expected_history);
    CU_ASSERT_PTR_NULL(a->callback_actions);
    CU_ASSERT_PTR_NOT_NULL(b->callback_actions);
    CU_ASSERT_PTR_NULL(b->expected_result);
    CU_ASSERT_PTR_EQUAL(conf_requirement_list_find(&list, "9-99#2"), b);
    conf_requirement_list_free(&list);

    const char *scalar_doc = "--- just a string\n";
    CU_ASSERT_EQUAL(conf_load_text(&list, scalar_doc, strlen(scalar_doc), "x", "", "s.yaml", err,
                                   sizeof err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a mapping"));
    CU_ASSERT_EQUAL(list.count, 0);
    conf_requirement_list_free(&list);
}

static void test_id_order(void)
{
    CU_ASSERT(conf_id_compare("1-2", "1-10") < 0);
    CU_ASSERT(conf_id_compare("1-10", "2-1") < 0);
    CU_ASSERT(conf_id_compare("10-1", "9-20") > 0);
    CU_ASSERT_EQUAL(conf_id_compare("4-19", "4-19"), 0);
}

static const char *suite_dir(void)
{
    const char *d = getenv("CONFORMANCE_DIR");
    return d && *d ? d : "../shared/conformance";
}

static void test_load_the_shared_suite(void)
{
    struct stat st;
    if (stat(suite_dir(), &st) != 0) {
        printf("\n  (no suite at %s: set CONFORMANCE_DIR)\n", suite_dir());
        return;
    }
    conf_requirement_list list = {0};
    char err[512];
    CU_ASSERT_EQUAL_FATAL(conf_load_dir(&list, suite_dir(), err, sizeof err), 0);
    CU_ASSERT_EQUAL(list.count, 118);
    for (size_t i = 0; i < list.count; i++) {
        conf_requirement *r = list.items[i];
        CU_ASSERT(cJSON_IsArray(r->expected_history));
        CU_ASSERT(r->suite[0] != 0);
        if (i > 0) {
            CU_ASSERT(conf_id_compare(list.items[i - 1]->id, r->id) < 0);
        }
    }
    conf_requirement *r = conf_requirement_list_find(&list, "1-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(r->suite, "step");
    CU_ASSERT_STRING_EQUAL(r->input->valuestring, "World");
    r = conf_requirement_list_find(&list, "4-16");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT(r->async_invoke);
    const cJSON *payload = cJSON_GetObjectItem(cJSON_GetArrayItem(r->callback_actions, 0), "Payload");
    CU_ASSERT(cJSON_IsNumber(payload) && payload->valuedouble == 42);
    r = conf_requirement_list_find(&list, "6-7");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT(cJSON_IsNull(r->input));
    r = conf_requirement_list_find(&list, "1-7");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT(r->optional);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetArrayItem(r->expected_logs, 2), "match");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(m, "message")->valuestring, "/\\[ERROR\\]/");
    conf_requirement_list_free(&list);
}

/* ---- variables and substitution ------------------------------------------------ */

static void test_variables_and_substitution(void)
{
    conf_bindings b = {0};
    cJSON *vars = yaml("A: ${GEN_STR:10}\nB: literal\nC: 5\n");
    uint64_t rng = 7;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(conf_resolve_variables(&b, vars, &rng, err, sizeof err), 0);
    const cJSON *a = conf_bindings_get(&b, "A");
    CU_ASSERT_FATAL(cJSON_IsString(a));
    CU_ASSERT_EQUAL(strlen(a->valuestring), 10);
    CU_ASSERT_EQUAL(strspn(a->valuestring, "abcdefghijklmnopqrstuvwxyz0123456789"), 10);
    CU_ASSERT_STRING_EQUAL(conf_bindings_get(&b, "B")->valuestring, "literal");
    CU_ASSERT_STRING_EQUAL(conf_bindings_get(&b, "C")->valuestring, "5");

    cJSON *n = cJSON_CreateNumber(12);
    conf_bindings_set(&b, "N", n);
    cJSON_Delete(n);
    cJSON *in = yaml("[\"${A}\", \"Hello, ${B}!\", \"${N}\", \"n=${N}\", \"${UNBOUND}\", "
                     "\"${/re/}\", {k: \"${B}\"}]");
    cJSON *out = conf_substitute(in, &b);
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(out, 0)->valuestring, a->valuestring);
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(out, 1)->valuestring, "Hello, literal!");
    CU_ASSERT(cJSON_IsNumber(cJSON_GetArrayItem(out, 2))); /* whole string keeps the type */
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(out, 3)->valuestring, "n=12");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(out, 4)->valuestring, "${UNBOUND}");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(out, 5)->valuestring, "${/re/}");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 6), "k")->valuestring,
                           "literal");
    cJSON_Delete(in);
    cJSON_Delete(out);

    cJSON *badv = yaml("X: ${GEN_STR:abc}\n");
    CU_ASSERT_EQUAL(conf_resolve_variables(&b, badv, &rng, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "Variables.X"));
    cJSON_Delete(badv);
    cJSON_Delete(vars);
    conf_bindings_clear(&b);
}

/* ---- regex ------------------------------------------------------------------------ */

static bool search(const char *re, const char *text)
{
    bool found = false;
    char err[256];
    if (conf_regex_search(&found, re, text, err, sizeof err) != 0)
        fprintf(stderr, "regex error: %s\n", err);
    return found;
}

static void test_regex_dialect(void)
{
    CU_ASSERT(search("^[0-5]$", "3"));
    CU_ASSERT_FALSE(search("^[0-5]$", "6"));
    CU_ASSERT(search("^([0-9]|10)$", "10"));
    CU_ASSERT(search("^\\d{4}-", "2025-01-01T00:00:00Z"));
    CU_ASSERT_FALSE(search("^\\d{4}-", "25-01"));
    CU_ASSERT(search("^[1-9]\\d*$", "12"));
    CU_ASSERT(search("(?i)context", "CONTEXT"));
    CU_ASSERT(search("(?i)^parallel$", "Parallel"));
    CU_ASSERT_FALSE(search("^parallel$", "Parallel"));
    CU_ASSERT(search("\\[ERROR\\]", "x [ERROR] y"));
    CU_ASSERT_FALSE(search("\\[ERROR\\]", "ERROR"));
    CU_ASSERT(search(".*TransientError$", "MyTransientError"));
    CU_ASSERT(search("(?:ab)+", "xxabab"));
    CU_ASSERT(search("a\\/b", "a/b"));
    CU_ASSERT(search("^[\\d]+$", "123"));
    bool found;
    char err[256];
    CU_ASSERT_EQUAL(conf_regex_search(&found, "(unclosed", "x", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not compile"));
}

/* ---- history -------------------------------------------------------------------- */

static int match_events(conf_mismatch *m, const char *expected_yaml, const char *actual_json,
                        conf_bindings *b)
{
    cJSON *e = yaml(expected_yaml), *a = json(actual_json);
    int rc = conf_match_history(m, e, a, b);
    cJSON_Delete(e);
    cJSON_Delete(a);
    return rc;
}

static const char *ACTUAL =
    "[{\"EventType\":\"ExecutionStarted\",\"EventId\":1,\"EventTimestamp\":1.5},"
    " {\"EventType\":\"StepStarted\",\"EventId\":2,\"Id\":\"abc\",\"SubType\":\"Step\","
    "  \"EventTimestamp\":2,\"StepStartedDetails\":{}},"
    " {\"EventType\":\"StepSucceeded\",\"EventId\":3,\"Id\":\"abc\",\"SubType\":\"Step\","
    "  \"EventTimestamp\":3,\"StepSucceededDetails\":{\"Result\":{\"Payload\":\"\\\"hi\\\"\","
    "  \"Truncated\":false},\"RetryDetails\":{\"CurrentAttempt\":1}}},"
    " {\"EventType\":\"WaitStarted\",\"EventId\":4,\"Id\":\"w1\",\"EventTimestamp\":4,"
    "  \"WaitStartedDetails\":{\"Duration\":2,\"List\":[1,2]}}]";

static void test_history_rules(void)
{
    conf_bindings b = {0};
    conf_mismatch m = {0};
    /* Order of the expected list is free; unlisted events are ignored. */
    CU_ASSERT_EQUAL(match_events(&m,
                                 "- EventType: StepSucceeded\n  EventId: 3\n  Id: ${ID1}\n"
                                 "  EventTimestamp: '*'\n"
                                 "  StepSucceededDetails:\n    Result:\n      Payload: '\"hi\"'\n"
                                 "    RetryDetails:\n      CurrentAttempt: 1.0\n"
                                 "- EventType: StepStarted\n  EventId: 2\n  Id: ${ID1}\n"
                                 "  StepStartedDetails: {}\n"
                                 "- EventType: WaitStarted\n  EventId: 4\n"
                                 "  WaitStartedDetails: {Duration: '${/^2$/}', List: [1, 2]}\n",
                                 ACTUAL, &b),
                    0);
    CU_ASSERT_PTR_NULL(m.message);
    CU_ASSERT_STRING_EQUAL(conf_bindings_get(&b, "ID1")->valuestring, "abc");

    /* A bound placeholder must match afterwards. */
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 4\n  Id: ${ID1}\n", ACTUAL, &b), 1);
    CU_ASSERT_STRING_EQUAL(m.path, "EventId=4.Id");
    CU_ASSERT_PTR_NOT_NULL(strstr(m.message, "placeholder ${ID1} was previously bound to \"abc\""));
    conf_mismatch_clear(&m);

    /* Distinct placeholders may bind the same value. */
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 2\n  Id: ${OTHER}\n", ACTUAL, &b), 0);

    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 9\n  EventType: StepStarted\n", ACTUAL, &b), 1);
    CU_ASSERT_STRING_EQUAL(m.message, "No actual event found for EventId=9");
    conf_mismatch_clear(&m);

    /* '*' and {} still need the key. */
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 1\n  Id: '*'\n", ACTUAL, &b), 1);
    CU_ASSERT_STRING_EQUAL(m.message, "EventId=1.Id: key missing in actual event");
    conf_mismatch_clear(&m);
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 1\n  ExecutionStartedDetails: {}\n", ACTUAL, &b),
                    1);
    CU_ASSERT_STRING_EQUAL(m.message,
                           "EventId=1.ExecutionStartedDetails: key missing in actual event");
    conf_mismatch_clear(&m);

    /* Payloads are literal strings: the JSON text must be identical. */
    CU_ASSERT_EQUAL(match_events(&m,
                                 "- EventId: 3\n  StepSucceededDetails:\n    Result:\n"
                                 "      Payload: '\"hi\" '\n",
                                 ACTUAL, &b),
                    1);
    CU_ASSERT_STRING_EQUAL(m.path, "EventId=3.StepSucceededDetails.Result.Payload");
    conf_mismatch_clear(&m);

    /* ints never equal strings; lists by length. */
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 4\n  WaitStartedDetails: {Duration: '2'}\n",
                                 ACTUAL, &b),
                    1);
    conf_mismatch_clear(&m);
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 4\n  WaitStartedDetails: {List: [1]}\n", ACTUAL,
                                 &b),
                    1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.message, "expected a list of 1 items, actual has 2"));
    conf_mismatch_clear(&m);
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 4\n  WaitStartedDetails: {List: [1, 3]}\n",
                                 ACTUAL, &b),
                    1);
    CU_ASSERT_STRING_EQUAL(m.path, "EventId=4.WaitStartedDetails.List[1]");
    conf_mismatch_clear(&m);

    /* Regex on the string form of an int. */
    CU_ASSERT_EQUAL(match_events(&m, "- EventId: 4\n  WaitStartedDetails: {Duration: '${/^3$/}'}\n",
                                 ACTUAL, &b),
                    1);
    conf_mismatch_clear(&m);

    /* Variables substitute inside larger strings. */
    cJSON *v = cJSON_CreateString("hi");
    conf_bindings_set(&b, "P", v);
    cJSON_Delete(v);
    CU_ASSERT_EQUAL(match_events(&m,
                                 "- EventId: 3\n  StepSucceededDetails:\n    Result:\n"
                                 "      Payload: '\"${P}\"'\n",
                                 ACTUAL, &b),
                    0);

    /* A malformed expectation is an error, not a mismatch. */
    CU_ASSERT_EQUAL(match_events(&m, "- EventType: StepStarted\n", ACTUAL, &b), -1);
    conf_mismatch_clear(&m);
    conf_bindings_clear(&b);
}

static void test_name_inheritance(void)
{
    cJSON *ev = json("[{\"EventType\":\"ContextStarted\",\"EventId\":2,\"Id\":\"c\","
                     "\"SubType\":\"WaitForCallback\",\"Name\":\"approval\"},"
                     "{\"EventType\":\"CallbackStarted\",\"EventId\":3,\"Id\":\"k\",\"ParentId\":\"c\"},"
                     "{\"EventType\":\"StepStarted\",\"EventId\":4,\"Id\":\"s\",\"ParentId\":\"c\"},"
                     "{\"EventType\":\"StepSucceeded\",\"EventId\":5,\"Id\":\"s\",\"ParentId\":\"c\"},"
                     "{\"EventType\":\"CallbackSucceeded\",\"EventId\":6,\"Id\":\"k\",\"ParentId\":\"c\"},"
                     "{\"EventType\":\"StepStarted\",\"EventId\":7,\"Id\":\"t\",\"ParentId\":\"x\"},"
                     "{\"EventType\":\"StepStarted\",\"EventId\":8,\"Id\":\"u\",\"ParentId\":\"c\","
                     "\"Name\":\"own\"}]");
    conf_inherit_callback_names(ev);
    const char *names[] = {"approval", "approval", "approval", "approval", NULL, NULL, "own"};
    for (int i = 0; i < 7; i++) {
        const cJSON *n = cJSON_GetObjectItem(cJSON_GetArrayItem(ev, i), "Name");
        if (names[i]) {
            CU_ASSERT(cJSON_IsString(n) && !strcmp(n->valuestring, names[i]));
        } else {
            CU_ASSERT_PTR_NULL(n);
        }
    }
    cJSON_Delete(ev);
}

/* ---- result ----------------------------------------------------------------------- */

static int match_result(conf_mismatch *m, const char *expected_yaml, const char *status,
                        const char *result, conf_bindings *b)
{
    cJSON *e = yaml(expected_yaml);
    int rc = conf_match_result(m, e, status, result, b);
    cJSON_Delete(e);
    return rc;
}

static void test_result_rules(void)
{
    conf_bindings b = {0};
    conf_mismatch m = {0};
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: Hello, World!\n",
                                 "SUCCEEDED", "\"Hello, World!\"", &b),
                    0);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: Hello\n", "FAILED",
                                 NULL, &b),
                    1);
    CU_ASSERT_STRING_EQUAL(m.message, "ExecutionStatus: expected SUCCEEDED, actual FAILED");
    conf_mismatch_clear(&m);
    /* FAILED: status only, whatever Result says. */
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: FAILED\nResult: x\n", "FAILED", NULL, &b),
                    0);
    /* Object key order ignored, numbers numerically, list order significant. */
    CU_ASSERT_EQUAL(match_result(&m,
                                 "ExecutionStatus: SUCCEEDED\nResult:\n  count: 2\n  user:\n"
                                 "    name: Alice\n    tags: [admin, active]\n",
                                 "SUCCEEDED",
                                 "{\"user\":{\"tags\":[\"admin\",\"active\"],\"name\":\"Alice\"},"
                                 "\"count\":2.0}",
                                 &b),
                    0);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: [a, b]\n", "SUCCEEDED",
                                 "[\"b\",\"a\"]", &b),
                    1);
    CU_ASSERT_STRING_EQUAL(m.path, "Result");
    conf_mismatch_clear(&m);
    /* Null expectation: null or absent. */
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult:\n", "SUCCEEDED", NULL,
                                 &b),
                    0);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult:\n", "SUCCEEDED",
                                 "null", &b),
                    0);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult:\n", "SUCCEEDED",
                                 "\"x\"", &b),
                    1);
    conf_mismatch_clear(&m);
    /* Parsed once; a non-JSON result is the raw string. */
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: '\"HELLO\"'\n",
                                 "SUCCEEDED", "\"\\\"HELLO\\\"\"", &b),
                    0);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: HELLO CHILD\n",
                                 "SUCCEEDED", "HELLO CHILD", &b),
                    0);
    /* No Result key: not checked. */
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\n", "SUCCEEDED", "{}", &b), 0);
    /* Substitution in the expectation. */
    cJSON *v = cJSON_CreateString("abc12345");
    conf_bindings_set(&b, "INPUT_1", v);
    cJSON_Delete(v);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: Hello, ${INPUT_1}!\n",
                                 "SUCCEEDED", "\"Hello, abc12345!\"", &b),
                    0);
    CU_ASSERT_EQUAL(match_result(&m, "ExecutionStatus: SUCCEEDED\nResult: 3\n", "SUCCEEDED", "3",
                                 &b),
                    0);
    conf_mismatch_clear(&m);
    conf_bindings_clear(&b);
}

/* ---- logs ------------------------------------------------------------------------- */

static int match_logs(conf_mismatch *m, const char *expected_yaml, const char *const *lines,
                      size_t n, conf_bindings *b)
{
    cJSON *e = yaml(expected_yaml);
    int rc = conf_match_logs(m, e, lines, n, b);
    cJSON_Delete(e);
    return rc;
}

static void test_log_rules(void)
{
    const char *lines[] = {
        "{\"plugin\":\"P\",\"hook\":\"invocation-start\",\"first\":true,\"count\":3}",
        "{\"level\":\"INFO\",\"message\":\"  Greeting step running for: abc  \"}",
        "plain text line with abc",
        "{\"plugin\":\"P\",\"hook\":\"invocation-end\",\"status\":\"SUCCEEDED\",\"first\":true}",
    };
    conf_bindings b = {0};
    conf_mismatch m = {0};
    cJSON *v = cJSON_CreateString("abc");
    conf_bindings_set(&b, "X", v);
    cJSON_Delete(v);
    CU_ASSERT_EQUAL(match_logs(&m,
                               "- match: {plugin: P, hook: invocation-start, first: true}\n"
                               "  count: 1\n"
                               "- match: {message: '/Greeting step running for: ${X}/'}\n"
                               "  after: [{plugin: P, hook: invocation-start}]\n"
                               "  before: [{hook: invocation-end}]\n"
                               "- match: {message: '/${X}/'}\n  count: 2\n"
                               "- match: {message: 'Greeting step running for: abc'}\n"
                               "- match: {count: 3.0}\n"
                               "- match: {count: '/^\\d+$/'}\n"
                               "- match: {plugin: P, first: false}\n  count: 0\n"
                               "- match: {plugin: P}\n  min_count: 2\n  max_count: 2\n"
                               "- match: {plugin: P, missing: '/.*/'}\n  max_count: 0\n",
                               lines, 4, &b),
                    0);
    CU_ASSERT_PTR_NULL(m.message);

    CU_ASSERT_EQUAL(match_logs(&m, "- match: {plugin: P}\n  count: 1\n", lines, 4, &b), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.message, "expected exactly 1"));
    conf_mismatch_clear(&m);
    /* Default min_count is 1. */
    CU_ASSERT_EQUAL(match_logs(&m, "- match: {plugin: Q}\n", lines, 4, &b), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.message, "at least 1"));
    conf_mismatch_clear(&m);
    /* Booleans by identity: the string "true" is not true. */
    CU_ASSERT_EQUAL(match_logs(&m, "- match: {first: 'true'}\n", lines, 4, &b), 1);
    conf_mismatch_clear(&m);
    /* Ordering. */
    CU_ASSERT_EQUAL(match_logs(&m,
                               "- match: {hook: invocation-start}\n"
                               "  after: [{hook: invocation-end}]\n",
                               lines, 4, &b),
                    1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.message, "is not after"));
    conf_mismatch_clear(&m);
    CU_ASSERT_EQUAL(match_logs(&m, "- match: {hook: invocation-end}\n  before: [{plugin: P}]\n",
                               lines, 4, &b),
                    1);
    conf_mismatch_clear(&m);
    /* An anchor that matches nothing is an error. */
    CU_ASSERT_EQUAL(match_logs(&m, "- match: {plugin: P}\n  count: 2\n  after: [{hook: none}]\n",
                               lines, 4, &b),
                    1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.message, "matches no log line"));
    conf_mismatch_clear(&m);
    /* A non-JSON line only has `message`. */
    CU_ASSERT_EQUAL(match_logs(&m, "- match: {message: plain text line with abc}\n  count: 1\n",
                               lines, 4, &b),
                    0);
    CU_ASSERT_EQUAL(match_logs(&m, "- nomatch: 1\n", lines, 4, &b), -1);
    conf_mismatch_clear(&m);
    conf_bindings_clear(&b);
}

/* ---- json.dumps ----------------------------------------------------------------- */

static void check_dumps(const char *yaml_text, const char *want)
{
    cJSON *v = yaml(yaml_text);
    char *got = conf_pyjson_dumps(v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "dumps: got %s want %s\n", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    cJSON_Delete(v);
}

static void test_python_dumps(void)
{
    check_dumps("v: {status: approved}\n", "{\"v\": {\"status\": \"approved\"}}");
    check_dumps("[abc, 42, 2.0, 0.5, -3, true, null, [], {}]",
                "[\"abc\", 42, 2.0, 0.5, -3, true, null, [], {}]");
    check_dumps("[\"\\u00e9\", \"\\U0001F600\", \"a\\\"b\\\\c\\n\", \"\\x7f\"]",
                "[\"\\u00e9\", \"\\ud83d\\ude00\", \"a\\\"b\\\\c\\n\", \"\\u007f\"]");
    check_dumps("[1.0e+20, 1.5e-7, 0.0001, 123456789.125]",
                "[1e+20, 1.5e-07, 0.0001, 123456789.125]");
    char buf[64];
    conf_python_float_repr(buf, sizeof buf, 0.1);
    CU_ASSERT_STRING_EQUAL(buf, "0.1");
    conf_python_float_repr(buf, sizeof buf, 1e16);
    CU_ASSERT_STRING_EQUAL(buf, "1e+16");
    conf_python_float_repr(buf, sizeof buf, 1234567890123456.0);
    CU_ASSERT_STRING_EQUAL(buf, "1234567890123456.0");
}

/* ---- CallbackActions ------------------------------------------------------------ */

static void test_callback_actions(void)
{
    conf_bindings b = {0};
    cJSON *v = cJSON_CreateString("cbname1234");
    conf_bindings_set(&b, "CB_NAME", v);
    cJSON_Delete(v);
    v = cJSON_CreateString("payload12345");
    conf_bindings_set(&b, "CB_PAYLOAD", v);
    cJSON_Delete(v);
    cJSON *raw = yaml("- CallbackName: ${CB_NAME}\n  Operation: heartbeat\n"
                      "- CallbackName: ${CB_NAME}\n  Operation: Success\n"
                      "  Payload: ${CB_PAYLOAD}\n  Delay: 1\n"
                      "- CallbackName: '*'\n  Operation: FAILURE\n"
                      "  Payload: {ErrorType: RejectedError, ErrorMessage: not approved,"
                      " ErrorData: {a: 1}}\n  Delay: 2.5\n"
                      "- CallbackName: '${/(?i)^app/}'\n  Operation: success\n"
                      "  Payload: {status: approved}\n"
                      "- Operation: success\n  Payload: 42\n");
    cJSON *subst = conf_substitute(raw, &b);
    conf_actions a;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(conf_actions_build(&a, subst, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(a.count, 5);
    CU_ASSERT_EQUAL(a.items[0].op, DURABLE_TEST_CALLBACK_HEARTBEAT);
    CU_ASSERT_EQUAL(a.items[0].match, DURABLE_TEST_MATCH_EXACT);
    CU_ASSERT_STRING_EQUAL(a.items[0].name, "cbname1234");
    CU_ASSERT_EQUAL(a.items[0].delay_ms, 0);
    CU_ASSERT_PTR_NULL(a.items[0].payload);
    CU_ASSERT_EQUAL(a.items[1].op, DURABLE_TEST_CALLBACK_SUCCEED);
    CU_ASSERT_STRING_EQUAL(a.items[1].payload, "\"payload12345\"");
    CU_ASSERT_EQUAL(a.items[1].delay_ms, 1000);
    CU_ASSERT_EQUAL(a.items[2].op, DURABLE_TEST_CALLBACK_FAIL);
    CU_ASSERT_EQUAL(a.items[2].match, DURABLE_TEST_MATCH_ANY);
    CU_ASSERT_STRING_EQUAL(a.items[2].error_type, "RejectedError");
    CU_ASSERT_STRING_EQUAL(a.items[2].error_message, "not approved");
    CU_ASSERT_STRING_EQUAL(a.items[2].error_data, "{\"a\": 1}");
    CU_ASSERT_EQUAL(a.items[2].delay_ms, 2500);
    CU_ASSERT_EQUAL(a.items[3].match, DURABLE_TEST_MATCH_REGEX);
    CU_ASSERT_STRING_EQUAL(a.items[3].name, "^[aA][pP][pP]");
    CU_ASSERT_STRING_EQUAL(a.items[3].payload, "{\"status\": \"approved\"}");
    CU_ASSERT_EQUAL(a.items[4].match, DURABLE_TEST_MATCH_ANY);
    CU_ASSERT_STRING_EQUAL(a.items[4].payload, "42");
    conf_actions_clear(&a);
    cJSON_Delete(subst);
    cJSON_Delete(raw);

    const char *bad[] = {"- {CallbackName: x, Operation: explode}\n",
                         "- {Operation: failure, Payload: just text}\n",
                         "- {Operation: success, Delay: -1}\n", "{Operation: success}\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *j = yaml(bad[i]);
        CU_ASSERT_EQUAL(conf_actions_build(&a, j, err, sizeof err), -1);
        CU_ASSERT(err[0] != 0);
        CU_ASSERT_EQUAL(a.count, 0);
        cJSON_Delete(j);
    }
    CU_ASSERT_EQUAL(conf_actions_build(&a, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(a.count, 0);
    conf_bindings_clear(&b);
}

/* ---- properties ------------------------------------------------------------------- */

static cJSON *random_tree(dt_rng *r, int depth)
{
    uint64_t k = dt_rng_below(r, depth > 3 ? 5 : 7);
    char s[32];
    switch (k) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateBool(dt_rng_below(r, 2) != 0);
    case 2: return cJSON_CreateNumber((double)((int64_t)dt_rng_below(r, 2000000) - 1000000));
    case 3: return cJSON_CreateNumber((double)(int64_t)dt_rng_below(r, 1000) + 0.5);
    case 4: {
        static const char chars[] = "ab *:#-'\"\\{}[],é\n\t";
        size_t n = dt_rng_below(r, 12);
        size_t o = 0;
        for (size_t i = 0; i < n && o + 3 < sizeof s; i++) {
            char c = chars[dt_rng_below(r, sizeof chars - 1)];
            s[o++] = c;
        }
        s[o] = 0;
        /* keep the text valid UTF-8: drop a lone byte of é */
        cJSON *str = cJSON_CreateString(s);
        for (char *p = str->valuestring; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = 'e';
        return str;
    }
    case 5: {
        cJSON *a = cJSON_CreateArray();
        size_t n = dt_rng_below(r, 4);
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(a, random_tree(r, depth + 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        size_t n = dt_rng_below(r, 4);
        for (size_t i = 0; i < n; i++) {
            snprintf(s, sizeof s, "k%zu", i);
            cJSON_AddItemToObject(o, s, random_tree(r, depth + 1));
        }
        return o;
    }
    }
}

/* Change one leaf (in place); false when the tree has no leaf. */
static bool mutate(cJSON *v, dt_rng *r)
{
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int n = cJSON_GetArraySize(v);
        if (n == 0)
            return false;
        int start = (int)dt_rng_below(r, (uint64_t)n);
        for (int i = 0; i < n; i++)
            if (mutate(cJSON_GetArrayItem(v, (start + i) % n), r))
                return true;
        return false;
    }
    if (cJSON_IsNumber(v)) {
        cJSON_SetNumberValue(v, v->valuedouble + 1);
        return true;
    }
    if (cJSON_IsString(v)) {
        if (!strcmp(v->valuestring, "*"))
            return false;
        char *ns = malloc(strlen(v->valuestring) + 2);
        sprintf(ns, "%s!", v->valuestring);
        cJSON_SetValuestring(v, ns);
        free(ns);
        return true;
    }
    if (cJSON_IsBool(v)) {
        v->type = cJSON_IsTrue(v) ? cJSON_False : cJSON_True;
        return true;
    }
    return false;
}

static void test_properties(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed);
    for (int i = 0; i < 300; i++) {
        cJSON *t = random_tree(&r, 0);
        /* 1. JSON text is YAML: the loader reads it back unchanged. */
        char *text = cJSON_PrintUnformatted(t);
        cJSON *back = NULL;
        char err[256];
        int rc = conf_yaml_to_json(&back, text, strlen(text), err, sizeof err);
        DT_PROP(rc == 0 && conf_json_equal(t, back), seed, i);
        /* 2. json.dumps output parses back to the same tree. */
        char *py = conf_pyjson_dumps(t);
        cJSON *pyback = py ? cJSON_Parse(py) : NULL;
        DT_PROP(pyback && conf_json_equal(t, pyback), seed, i);
        /* 3. A tree matches itself (wrapped as an event), and one changed leaf
         *    makes it a mismatch. */
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddNumberToObject(ev, "EventId", 2);
        cJSON_AddItemToObject(ev, "V", cJSON_Duplicate(t, 1));
        cJSON *events = cJSON_CreateArray();
        cJSON_AddItemToArray(events, cJSON_Duplicate(ev, 1));
        conf_bindings b = {0};
        conf_mismatch m = {0};
        DT_PROP(conf_match_history(&m, events, events, &b) == 0, seed, i);
        cJSON *changed = cJSON_Duplicate(events, 1);
        if (mutate(cJSON_GetObjectItem(cJSON_GetArrayItem(changed, 0), "V"), &r)) {
            DT_PROP(conf_match_history(&m, events, changed, &b) == 1 && m.message, seed, i);
        }
        conf_mismatch_clear(&m);
        conf_bindings_clear(&b);
        cJSON_Delete(changed);
        cJSON_Delete(events);
        cJSON_Delete(ev);
        cJSON_Delete(pyback);
        free(py);
        cJSON_Delete(back);
        cJSON_free(text);
        cJSON_Delete(t);
    }
}

int main(void)
{
    CU_pSuite s = dt_suite("conformance_loader");
    DT_ADD(s, test_yaml_scalars_follow_yaml11);
    DT_ADD(s, test_yaml_aliases_tags_and_errors);
    DT_ADD(s, test_requirement_views_and_multi_documents);
    DT_ADD(s, test_id_order);
    DT_ADD(s, test_load_the_shared_suite);
    CU_pSuite m = dt_suite("conformance_matcher");
    DT_ADD(m, test_variables_and_substitution);
    DT_ADD(m, test_regex_dialect);
    DT_ADD(m, test_history_rules);
    DT_ADD(m, test_name_inheritance);
    DT_ADD(m, test_result_rules);
    DT_ADD(m, test_log_rules);
    DT_ADD(m, test_python_dumps);
    DT_ADD(m, test_callback_actions);
    DT_ADD(m, test_properties);
    return dt_run();
}
