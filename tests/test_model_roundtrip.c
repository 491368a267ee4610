/* Property tests: decode(parse(print(encode(x)))) == x for every wire type,
 * on values drawn from a seeded generator (>= 100 cases per type, every
 * timestamp format). The generator only sets fields that belong to a
 * value's type, as the encoders only write those. */
#include <stdio.h>
#include <string.h>

#include "durable/model.h"
#include "model/internal.h"
#include "model/json_out.h"
#include "support/testutil.h"

#define CASES 150

static dt_rng R;
static uint64_t SEED;

static bool coin(void) { return dt_rng_below(&R, 2) == 0; }
static int64_t between(int64_t lo, int64_t hi) { return lo + (int64_t)dt_rng_below(&R, (uint64_t)(hi - lo + 1)); }

static char *from_set(const char *set, size_t lo, size_t hi)
{
    size_t n = (size_t)between((int64_t)lo, (int64_t)hi), k = strlen(set);
    char *s = durable__malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = set[dt_rng_below(&R, k)];
    s[n] = '\0';
    return s;
}

#define ID_SET "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
#define B64_SET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

static char *rid(void) { return from_set(ID_SET, 1, 64); }
static char *rsubtype(void) { return from_set(ID_SET, 1, 32); }
static char *rname(void)
{
    char set[96];
    for (int c = 0x20; c < 0x7f; c++)
        set[c - 0x20] = (char)c;
    set[95] = '\0';
    return from_set(set, 1, 256);
}
static char *rb64(size_t max) { return from_set(B64_SET, 1, max / 4) ; }
static char *maybe(char *(*gen)(void)) { return coin() ? gen() : NULL; }

/* Valid UTF-8 with escapes, controls and multi-byte characters. */
static char *rtext(void)
{
    size_t n = dt_rng_below(&R, 60);
    char *s = durable__malloc(n * 4 + 1), *p = s;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        switch (dt_rng_below(&R, 6)) {
        case 0: cp = (uint32_t)between(1, 0x1f); break;
        case 1: cp = (uint32_t)between(0x80, 0x7ff); break;
        case 2: cp = (uint32_t)between(0x800, 0xd7ff); break;
        case 3: cp = (uint32_t)between(0x10000, 0x10ffff); break;
        default: cp = (uint32_t)between(0x20, 0x7e); break;
        }
        if (cp < 0x80) {
            *p++ = (char)cp;
        } else if (cp < 0x800) {
            *p++ = (char)(0xc0 | (cp >> 6));
            *p++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            *p++ = (char)(0xe0 | (cp >> 12));
            *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
            *p++ = (char)(0x80 | (cp & 0x3f));
        } else {
            *p++ = (char)(0xf0 | (cp >> 18));
            *p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
            *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
            *p++ = (char)(0x80 | (cp & 0x3f));
        }
    }
    *p = '\0';
    return s;
}

static char *rtoken(void) { return rb64(DURABLE_MAX_TOKEN_LEN); }
static char *rcbid(void) { return rb64(DURABLE_MAX_CALLBACK_ID_LEN); }
static int64_t rts(void) { return between(100000000000LL, 4102444800000LL); }
static int64_t rts_opt(void) { return coin() ? rts() : 0; }
static durable_ts_format rfmt(void) { return (durable_ts_format)dt_rng_below(&R, 3); }

static durable_error_object *rerror(void)
{
    durable_error_object *e = durable__calloc(1, sizeof *e);
    e->error_type = maybe(rtext);
    e->error_message = maybe(rtext);
    e->error_data = maybe(rtext);
    if (coin()) {
        e->stack_trace_count = dt_rng_below(&R, 4);
        e->stack_trace = durable__calloc(e->stack_trace_count + 1, sizeof(char *));
        for (size_t i = 0; i < e->stack_trace_count; i++)
            e->stack_trace[i] = rtext();
    }
    return e;
}
static durable_error_object *rerror_opt(void) { return coin() ? rerror() : NULL; }

static void roperation(durable_operation *op)
{
    durable_operation_init(op);
    op->id = rid();
    op->parent_id = maybe(rid);
    op->name = maybe(rname);
    op->subtype = maybe(rsubtype);
    op->type = (durable_op_type)between(1, 6);
    op->status = (durable_op_status)between(1, 8);
    op->start_timestamp = rts();
    op->end_timestamp = rts_opt();
    switch (op->type) {
    case DURABLE_OP_EXECUTION:
        op->input_payload = maybe(rtext);
        return;
    case DURABLE_OP_WAIT:
        op->scheduled_end_timestamp = rts_opt();
        return;
    case DURABLE_OP_CONTEXT:
        op->replay_children = (int)between(-1, 1);
        break;
    case DURABLE_OP_STEP:
        op->attempt = coin() ? DURABLE_ABSENT : between(0, 1000);
        op->next_attempt_timestamp = rts_opt();
        break;
    case DURABLE_OP_CALLBACK:
        op->callback_id = maybe(rcbid);
        break;
    default:
        break;
    }
    op->result = maybe(rtext);
    op->error = rerror_opt();
}

static void rupdate(durable_operation_update *u)
{
    durable_operation_update_init(u);
    u->id = rid();
    u->parent_id = maybe(rid);
    u->name = maybe(rname);
    u->subtype = maybe(rsubtype);
    u->type = (durable_op_type)between(1, 6);
    u->action = (durable_op_action)between(1, 5);
    u->payload = maybe(rtext);
    u->error = rerror_opt();
    u->options = (durable_update_options_kind)between(0, 5);
    switch (u->options) {
    case DURABLE_OPTIONS_CONTEXT:
        u->replay_children = (int)between(-1, 1);
        break;
    case DURABLE_OPTIONS_STEP:
        u->next_attempt_delay_seconds = coin() ? DURABLE_ABSENT : between(1, DURABLE_MAX_WAIT_SECONDS);
        break;
    case DURABLE_OPTIONS_WAIT:
        u->wait_seconds = coin() ? DURABLE_ABSENT : between(1, DURABLE_MAX_WAIT_SECONDS);
        break;
    case DURABLE_OPTIONS_CALLBACK:
        u->timeout_seconds = coin() ? DURABLE_ABSENT : between(0, 1000000);
        u->heartbeat_timeout_seconds = coin() ? DURABLE_ABSENT : between(0, 1000000);
        break;
    case DURABLE_OPTIONS_CHAINED_INVOKE:
        u->function_name = maybe(rid);
        u->tenant_id = maybe(rtext);
        break;
    default:
        break;
    }
}

static bool is_op_event(durable_event_type t)
{
    return t >= DURABLE_EVENT_CONTEXT_STARTED && t <= DURABLE_EVENT_CALLBACK_TIMED_OUT;
}

static void revent(durable_event *e)
{
    durable_event_init(e);
    e->type = (durable_event_type)between(1, DURABLE_EVENT_TYPE_COUNT);
    e->event_id = between(1, 1000000);
    e->timestamp = rts();
    if (is_op_event(e->type)) {
        e->id = maybe(rid);
        e->name = maybe(rname);
        e->subtype = maybe(rsubtype);
        e->parent_id = maybe(rid);
    }
    bool payload = false, error = false, error_opt = false;
    switch (e->type) {
    case DURABLE_EVENT_EXECUTION_STARTED:
        payload = true;
        e->execution_timeout = coin() ? DURABLE_ABSENT : between(1, DURABLE_MAX_WAIT_SECONDS);
        break;
    case DURABLE_EVENT_EXECUTION_SUCCEEDED: case DURABLE_EVENT_CONTEXT_SUCCEEDED:
    case DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED: case DURABLE_EVENT_CALLBACK_SUCCEEDED:
        payload = true;
        break;
    case DURABLE_EVENT_EXECUTION_FAILED: case DURABLE_EVENT_EXECUTION_TIMED_OUT:
    case DURABLE_EVENT_EXECUTION_STOPPED: case DURABLE_EVENT_CONTEXT_FAILED:
    case DURABLE_EVENT_CHAINED_INVOKE_FAILED: case DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT:
    case DURABLE_EVENT_CHAINED_INVOKE_STOPPED: case DURABLE_EVENT_CALLBACK_FAILED:
    case DURABLE_EVENT_CALLBACK_TIMED_OUT:
        error = true;
        break;
    case DURABLE_EVENT_WAIT_STARTED:
        e->duration = coin() ? DURABLE_ABSENT : between(1, DURABLE_MAX_WAIT_SECONDS);
        e->scheduled_end_timestamp = rts_opt();
        break;
    case DURABLE_EVENT_WAIT_SUCCEEDED:
        e->duration = coin() ? DURABLE_ABSENT : between(0, DURABLE_MAX_WAIT_SECONDS);
        break;
    case DURABLE_EVENT_WAIT_CANCELLED:
        error_opt = true;
        break;
    case DURABLE_EVENT_STEP_SUCCEEDED:
    case DURABLE_EVENT_STEP_FAILED:
        payload = e->type == DURABLE_EVENT_STEP_SUCCEEDED;
        error = !payload;
        e->current_attempt = coin() ? DURABLE_ABSENT : between(0, 100);
        e->next_attempt_delay_seconds = coin() ? DURABLE_ABSENT : between(1, DURABLE_MAX_WAIT_SECONDS);
        break;
    case DURABLE_EVENT_CHAINED_INVOKE_STARTED:
        payload = true;
        e->function_name = maybe(rid);
        e->tenant_id = maybe(rtext);
        e->executed_version = maybe(rtext);
        e->durable_execution_arn = maybe(rtext);
        break;
    case DURABLE_EVENT_CALLBACK_STARTED:
        e->callback_id = maybe(rcbid);
        e->timeout = coin() ? DURABLE_ABSENT : between(1, 100000);
        e->heartbeat_timeout = coin() ? DURABLE_ABSENT : between(1, 100000);
        break;
    case DURABLE_EVENT_INVOCATION_COMPLETED:
        error_opt = true;
        e->invocation_start_timestamp = rts_opt();
        e->invocation_end_timestamp = rts_opt();
        e->request_id = maybe(rtext);
        break;
    default:
        break;
    }
    if (payload) {
        e->has_payload_object = true;
        e->payload = maybe(rtext);
        e->truncated = coin();
    }
    if (error || (error_opt && coin())) {
        e->error = rerror();
        e->error_truncated = coin();
    }
}

/* encode -> compact text -> parse, so the text form is what is tested. */
static cJSON *through_text(cJSON *j)
{
    char *t = durable_json_print(j);
    cJSON_Delete(j);
    cJSON *back = NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(durable_json_parse(&back, t, strlen(t)), 0);
    durable_free(t);
    return back;
}

/* Evaluates `ok` once: it usually contains the decode call. */
#define CHECK_RT(ok, c)                                                                   \
    do {                                                                                  \
        bool ok_ = (ok);                                                                  \
        if (!ok_)                                                                         \
            fprintf(stderr, "  %s\n  last error: %s\n", #ok, durable_error_last()->message); \
        DT_PROP(ok_, SEED, c);                                                            \
    } while (0)

static void test_error_object_rt(void)
{
    for (int c = 0; c < CASES; c++) {
        durable_error_object *e = rerror(), d;
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_error_object_to_json(&j, e), 0);
        j = through_text(j);
        CHECK_RT(durable_error_object_from_json(&d, j) == 0 && durable_error_object_equal(&d, e), c);
        durable_error_object *cp = NULL;
        CU_ASSERT_EQUAL(durable_error_object_dup(&cp, e), 0);
        DT_PROP(durable_error_object_equal(cp, e), SEED, c);
        durable_error_object_free(cp);
        durable_error_object_clear(&d);
        durable_error_object_free(e);
        cJSON_Delete(j);
    }
}

static void test_operation_rt(void)
{
    for (int c = 0; c < CASES * 2; c++) {
        durable_operation op, d, cp;
        roperation(&op);
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_operation_to_json(&j, &op, rfmt()), 0);
        j = through_text(j);
        CHECK_RT(durable_operation_from_json(&d, j) == 0 && durable_operation_equal(&d, &op), c);
        CU_ASSERT_EQUAL(durable_operation_copy(&cp, &op), 0);
        DT_PROP(durable_operation_equal(&cp, &op), SEED, c);
        durable_operation_clear(&cp);
        durable_operation_clear(&d);
        durable_operation_clear(&op);
        cJSON_Delete(j);
    }
}

static void test_update_rt(void)
{
    for (int c = 0; c < CASES * 2; c++) {
        durable_operation_update u, d, cp;
        rupdate(&u);
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_operation_update_to_json(&j, &u), 0);
        j = through_text(j);
        CHECK_RT(durable_operation_update_from_json(&d, j) == 0 &&
                     durable_operation_update_equal(&d, &u), c);
        CU_ASSERT_EQUAL(durable_operation_update_copy(&cp, &u), 0);
        DT_PROP(durable_operation_update_equal(&cp, &u), SEED, c);
        durable_operation_update_clear(&cp);
        durable_operation_update_clear(&d);
        durable_operation_update_clear(&u);
        cJSON_Delete(j);
    }
}

static void test_event_rt(void)
{
    int seen[DURABLE_EVENT_TYPE_COUNT + 1] = {0};
    for (int c = 0; c < CASES * 8; c++) {
        durable_event e, d, cp;
        revent(&e);
        seen[e.type]++;
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_event_to_json(&j, &e, rfmt()), 0);
        j = through_text(j);
        char key[64];
        snprintf(key, sizeof key, "%sDetails", durable_event_type_name(e.type));
        DT_PROP(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, key)), SEED, c);
        CHECK_RT(durable_event_from_json(&d, j) == 0 && durable_event_equal(&d, &e), c);
        CU_ASSERT_EQUAL(durable_event_copy(&cp, &e), 0);
        DT_PROP(durable_event_equal(&cp, &e), SEED, c);
        durable_event_clear(&cp);
        durable_event_clear(&d);
        durable_event_clear(&e);
        cJSON_Delete(j);
    }
    for (int t = 1; t <= DURABLE_EVENT_TYPE_COUNT; t++)
        CU_ASSERT(seen[t] > 0);
}

static bool list_eq(const durable_operation_list *a, const durable_operation_list *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!durable_operation_equal(&a->items[i], &b->items[i]))
            return false;
    return true;
}

static void rlist(durable_operation_list *l, bool execution_first)
{
    size_t n = dt_rng_below(&R, 5);
    for (size_t i = 0; i < n; i++) {
        durable_operation op;
        roperation(&op);
        while (i == 0 && execution_first && op.type != DURABLE_OP_EXECUTION) {
            durable_operation_clear(&op); /* Operations[0] must be the EXECUTION one */
            roperation(&op);
        }
        durable_operation_list_take(l, &op);
    }
}

static void test_invocation_rt(void)
{
    for (int c = 0; c < CASES; c++) {
        durable_invocation_input in = {0}, d;
        in.durable_execution_arn = rtext();
        in.checkpoint_token = rtoken();
        rlist(&in.operations, true);
        in.next_marker = maybe(rtoken);
        if (coin()) {
            in.updated_operation_id_count = dt_rng_below(&R, 4);
            in.updated_operation_ids = durable__calloc(4, sizeof(char *));
            for (size_t i = 0; i < in.updated_operation_id_count; i++)
                in.updated_operation_ids[i] = rid();
        }
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_invocation_input_to_json(&j, &in), 0);
        j = through_text(j);
        int rc = durable_invocation_input_from_json(&d, j);
        bool ok = rc == 0 && strcmp(d.durable_execution_arn, in.durable_execution_arn) == 0 &&
                  strcmp(d.checkpoint_token, in.checkpoint_token) == 0 &&
                  list_eq(&d.operations, &in.operations) &&
                  ((!d.next_marker && !in.next_marker) ||
                   (d.next_marker && in.next_marker && !strcmp(d.next_marker, in.next_marker))) &&
                  (d.updated_operation_ids != NULL) == (in.updated_operation_ids != NULL) &&
                  d.updated_operation_id_count == in.updated_operation_id_count;
        for (size_t i = 0; ok && i < d.updated_operation_id_count; i++)
            ok = !strcmp(d.updated_operation_ids[i], in.updated_operation_ids[i]);
        CHECK_RT(ok, c);
        durable_invocation_input_clear(&d);
        durable_invocation_input_clear(&in);
        cJSON_Delete(j);

        durable_invocation_output o = {(durable_invocation_status)between(1, 3), maybe(rtext),
                                       rerror_opt()},
                                  od;
        CU_ASSERT_EQUAL(durable_invocation_output_to_json(&j, &o), 0);
        j = through_text(j);
        rc = durable_invocation_output_from_json(&od, j);
        CHECK_RT(rc == 0 && od.status == o.status &&
                     ((!od.result && !o.result) || (od.result && o.result && !strcmp(od.result, o.result))) &&
                     ((!od.error && !o.error) || durable_error_object_equal(od.error, o.error)), c);
        durable_invocation_output_clear(&od);
        durable_invocation_output_clear(&o);
        cJSON_Delete(j);
    }
}

static bool str_eq(const char *a, const char *b) { return (!a || !b) ? a == b : !strcmp(a, b); }
static bool err_eq(const durable_error_object *a, const durable_error_object *b)
{
    return (!a || !b) ? a == b : durable_error_object_equal(a, b);
}

static void test_checkpoint_and_state_rt(void)
{
    for (int c = 0; c < CASES; c++) {
        durable_checkpoint_request r = {0}, d;
        r.checkpoint_token = rtoken();
        r.update_count = dt_rng_below(&R, 5);
        r.updates = durable__calloc(r.update_count + 1, sizeof *r.updates);
        for (size_t i = 0; i < r.update_count; i++)
            rupdate(&r.updates[i]);
        r.client_token = coin() ? from_set(ID_SET, 1, 64) : NULL;
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_checkpoint_request_to_json(&j, &r), 0);
        j = through_text(j);
        bool ok = durable_checkpoint_request_from_json(&d, j) == 0 &&
                  str_eq(d.checkpoint_token, r.checkpoint_token) &&
                  str_eq(d.client_token, r.client_token) && d.update_count == r.update_count;
        for (size_t i = 0; ok && i < r.update_count; i++)
            ok = durable_operation_update_equal(&d.updates[i], &r.updates[i]);
        CHECK_RT(ok, c);
        durable_checkpoint_request_clear(&d);
        durable_checkpoint_request_clear(&r);
        cJSON_Delete(j);

        durable_checkpoint_response p = {0}, pd;
        p.checkpoint_token = maybe(rtoken);
        rlist(&p.operations, false);
        p.next_marker = maybe(rtoken);
        CU_ASSERT_EQUAL(durable_checkpoint_response_to_json(&j, &p, rfmt()), 0);
        j = through_text(j);
        CHECK_RT(durable_checkpoint_response_from_json(&pd, j) == 0 &&
                     str_eq(pd.checkpoint_token, p.checkpoint_token) &&
                     str_eq(pd.next_marker, p.next_marker) && list_eq(&pd.operations, &p.operations), c);
        durable_checkpoint_response_clear(&pd);
        durable_checkpoint_response_clear(&p);
        cJSON_Delete(j);

        durable_state_request s = {NULL, rtoken(), maybe(rtoken),
                                   coin() ? DURABLE_ABSENT : between(0, DURABLE_MAX_ITEMS)},
                              sd;
        CU_ASSERT_EQUAL(durable_state_request_to_json(&j, &s), 0);
        j = through_text(j);
        CHECK_RT(durable_state_request_from_json(&sd, j) == 0 &&
                     str_eq(sd.checkpoint_token, s.checkpoint_token) && str_eq(sd.marker, s.marker) &&
                     sd.max_items == s.max_items, c);
        durable_state_request_clear(&sd);
        durable_state_request_clear(&s);
        cJSON_Delete(j);

        durable_state_response sr = {{0}, maybe(rtoken)}, srd;
        rlist(&sr.operations, coin());
        CU_ASSERT_EQUAL(durable_state_response_to_json(&j, &sr, rfmt()), 0);
        j = through_text(j);
        CHECK_RT(durable_state_response_from_json(&srd, j) == 0 &&
                     str_eq(srd.next_marker, sr.next_marker) &&
                     list_eq(&srd.operations, &sr.operations), c);
        durable_state_response_clear(&srd);
        durable_state_response_clear(&sr);
        cJSON_Delete(j);
    }
}

static void test_callback_and_stop_rt(void)
{
    for (int c = 0; c < CASES; c++) {
        durable_callback_request r = {0}, d;
        r.kind = (durable_callback_kind)between(1, 3);
        r.callback_id = rcbid();
        if (r.kind == DURABLE_CALLBACK_SUCCESS && coin()) {
            r.result = rtext();
            r.result_len = strlen(r.result);
            if (!r.result_len) {
                durable_free(r.result);
                r.result = NULL;
            }
        }
        if (r.kind == DURABLE_CALLBACK_FAILURE)
            r.error = rerror_opt();
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_callback_request_to_json(&j, &r), 0);
        /* Success bodies are raw bytes: print them, as an HTTP client would. */
        int rc = durable_callback_request_from_json(&d, r.kind, r.callback_id, j);
        bool ok = rc == 0 && d.kind == r.kind && str_eq(d.callback_id, r.callback_id) &&
                  str_eq(d.result, r.result) && d.result_len == r.result_len;
        if (r.kind == DURABLE_CALLBACK_FAILURE) /* no error and {} mean the same */
            ok = ok && (r.error ? err_eq(d.error, r.error) : (!d.error || !d.error->error_type));
        CHECK_RT(ok, c);
        durable_callback_request_clear(&d);
        durable_callback_request_clear(&r);
        cJSON_Delete(j);

        durable_stop_request s = {NULL, rerror_opt()}, sd;
        CU_ASSERT_EQUAL(durable_stop_request_to_json(&j, &s), 0);
        j = through_text(j);
        CHECK_RT(durable_stop_request_from_json(&sd, j) == 0 && err_eq(sd.error, s.error), c);
        durable_stop_request_clear(&sd);
        durable_stop_request_clear(&s);
        cJSON_Delete(j);

        durable_stop_response p = {rts()}, pd;
        CU_ASSERT_EQUAL(durable_stop_response_to_json(&j, &p, rfmt()), 0);
        j = through_text(j);
        CHECK_RT(durable_stop_response_from_json(&pd, j) == 0 &&
                     pd.stop_timestamp == p.stop_timestamp, c);
        cJSON_Delete(j);
    }
}

static void rexec_info(durable_execution_info *x, bool summary)
{
    memset(x, 0, sizeof *x);
    x->durable_execution_arn = rtext();
    if (!*x->durable_execution_arn) { /* required, so never empty-and-absent */
        durable_free(x->durable_execution_arn);
        x->durable_execution_arn = rid();
    }
    x->durable_execution_name = maybe(rid);
    x->function_arn = maybe(rtext);
    x->status = (durable_exec_status)between(1, 5);
    x->start_timestamp = rts();
    x->end_timestamp = rts_opt();
    if (!summary) {
        x->input_payload = maybe(rtext);
        x->result = maybe(rtext);
        x->error = rerror_opt();
        x->version = maybe(rtext);
    }
}

static void test_execution_list_history_rt(void)
{
    for (int c = 0; c < CASES; c++) {
        durable_execution_info x, xd, xc;
        rexec_info(&x, false);
        cJSON *j = NULL;
        CU_ASSERT_EQUAL(durable_execution_info_to_json(&j, &x, rfmt()), 0);
        j = through_text(j);
        CHECK_RT(durable_execution_info_from_json(&xd, j) == 0 &&
                     durable_execution_info_equal(&xd, &x), c);
        CU_ASSERT_EQUAL(durable_execution_info_copy(&xc, &x), 0);
        DT_PROP(durable_execution_info_equal(&xc, &x), SEED, c);
        durable_execution_info_clear(&xc);
        durable_execution_info_clear(&xd);
        durable_execution_info_clear(&x);
        cJSON_Delete(j);

        durable_list_request q = {0}, qd;
        q.qualifier = maybe(rtext);
        q.durable_execution_name = maybe(rid);
        if (coin()) {
            q.status_count = dt_rng_below(&R, 5);
            q.statuses = durable__calloc(5, sizeof *q.statuses);
            for (size_t i = 0; i < q.status_count; i++)
                q.statuses[i] = (durable_exec_status)between(1, 5);
        }
        q.started_after = rts_opt();
        q.started_before = rts_opt();
        q.reverse_order = coin();
        q.marker = maybe(rtoken);
        q.max_items = coin() ? DURABLE_ABSENT : between(0, DURABLE_MAX_ITEMS);
        CU_ASSERT_EQUAL(durable_list_request_to_json(&j, &q), 0);
        j = through_text(j);
        bool ok = durable_list_request_from_json(&qd, j) == 0 && str_eq(qd.qualifier, q.qualifier) &&
                  str_eq(qd.durable_execution_name, q.durable_execution_name) &&
                  (qd.statuses != NULL) == (q.statuses != NULL) && qd.status_count == q.status_count &&
                  qd.started_after == q.started_after && qd.started_before == q.started_before &&
                  qd.reverse_order == q.reverse_order && str_eq(qd.marker, q.marker) &&
                  qd.max_items == q.max_items;
        for (size_t i = 0; ok && i < q.status_count; i++)
            ok = qd.statuses[i] == q.statuses[i];
        CHECK_RT(ok, c);
        durable_list_request_clear(&qd);
        durable_list_request_clear(&q);
        cJSON_Delete(j);

        durable_list_response l = {0}, ld;
        l.count = dt_rng_below(&R, 4);
        l.executions = durable__calloc(l.count + 1, sizeof *l.executions);
        for (size_t i = 0; i < l.count; i++)
            rexec_info(&l.executions[i], true);
        l.next_marker = maybe(rtoken);
        CU_ASSERT_EQUAL(durable_list_response_to_json(&j, &l, rfmt()), 0);
        j = through_text(j);
        ok = durable_list_response_from_json(&ld, j) == 0 && ld.count == l.count &&
             str_eq(ld.next_marker, l.next_marker);
        for (size_t i = 0; ok && i < l.count; i++)
            ok = durable_execution_info_equal(&ld.executions[i], &l.executions[i]);
        CHECK_RT(ok, c);
        durable_list_response_clear(&ld);
        durable_list_response_clear(&l);
        cJSON_Delete(j);

        durable_history_request h = {NULL, coin(), coin() ? DURABLE_ABSENT : between(0, 1000),
                                     maybe(rtoken), coin()},
                                hd;
        CU_ASSERT_EQUAL(durable_history_request_to_json(&j, &h), 0);
        j = through_text(j);
        CHECK_RT(durable_history_request_from_json(&hd, j) == 0 &&
                     hd.include_execution_data == h.include_execution_data &&
                     hd.max_items == h.max_items && str_eq(hd.marker, h.marker) &&
                     hd.reverse_order == h.reverse_order, c);
        durable_history_request_clear(&hd);
        durable_history_request_clear(&h);
        cJSON_Delete(j);

        durable_history_response hr = {0}, hrd;
        hr.count = dt_rng_below(&R, 6);
        hr.events = durable__calloc(hr.count + 1, sizeof *hr.events);
        for (size_t i = 0; i < hr.count; i++)
            revent(&hr.events[i]);
        hr.next_marker = maybe(rtoken);
        CU_ASSERT_EQUAL(durable_history_response_to_json(&j, &hr, rfmt()), 0);
        j = through_text(j);
        ok = durable_history_response_from_json(&hrd, j) == 0 && hrd.count == hr.count &&
             str_eq(hrd.next_marker, hr.next_marker);
        for (size_t i = 0; ok && i < hr.count; i++)
            ok = durable_event_equal(&hrd.events[i], &hr.events[i]);
        CHECK_RT(ok, c);
        durable_history_response_clear(&hrd);
        durable_history_response_clear(&hr);
        cJSON_Delete(j);
    }
}

static void test_timestamp_rt(void)
{
    for (int c = 0; c < CASES * 4; c++) {
        int64_t ms = rts(), back = -1;
        for (int f = 0; f < 3; f++) {
            cJSON *j = through_text(durable_ts_to_json(ms, (durable_ts_format)f));
            DT_PROP(durable_ts_from_json(&back, j) == 0 && back == ms, SEED, c);
            cJSON_Delete(j);
        }
        char buf[40];
        durable_ts_format_rfc3339(buf, sizeof buf, ms);
        DT_PROP(durable_ts_parse(&back, buf) == 0 && back == ms, SEED, c);
    }
}

/* ---- direct text output (model/json_out.h) --------------------------------- */

/* cJSON's compact print of tree (taken) equals text (taken), byte for byte. */
static bool same_text(cJSON *tree, char *text, int c)
{
    char *want = durable_json_print(tree);
    bool ok = want && text && strcmp(want, text) == 0;
    if (!ok)
        fprintf(stderr, "  case %d\n  cJSON: %s\n  text:  %s\n", c, want ? want : "(null)",
                text ? text : "(null)");
    durable_free(want);
    durable_free(text);
    cJSON_Delete(tree);
    return ok;
}

/* Any text at all, not only valid UTF-8: every byte value 1-255. */
static char *rbytes(void)
{
    size_t n = dt_rng_below(&R, 40);
    char *s = durable__malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)between(1, 255);
    s[n] = '\0';
    return s;
}

static void test_text_checkpoint_response(void)
{
    for (int c = 0; c < CASES * 2; c++) {
        durable_checkpoint_response p = {0}, back;
        p.checkpoint_token = maybe(rtoken);
        rlist(&p.operations, false);
        bool raw = coin() && p.operations.count;
        if (raw) /* not always valid UTF-8: compared as text only */
            p.operations.items[0].result = (durable_free(p.operations.items[0].result), rbytes());
        p.next_marker = maybe(rtoken);
        durable_ts_format fmt = rfmt();
        cJSON *tree = NULL, *j = NULL;
        char *text = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_checkpoint_response_to_json(&tree, &p, fmt), 0);
        CU_ASSERT_EQUAL_FATAL(durable__checkpoint_response_text(&text, &p, fmt), 0);
        CU_ASSERT_EQUAL_FATAL(durable_json_parse(&j, text, strlen(text)), 0);
        bool decoded = durable_checkpoint_response_from_json(&back, j) == 0;
        if (!raw)
            CHECK_RT(decoded && str_eq(back.checkpoint_token, p.checkpoint_token) &&
                         str_eq(back.next_marker, p.next_marker) &&
                         list_eq(&back.operations, &p.operations), c);
        DT_PROP(same_text(tree, text, c), SEED, c);
        durable_checkpoint_response_clear(&back);
        durable_checkpoint_response_clear(&p);
        cJSON_Delete(j);
    }
}

static void test_text_event_details(void)
{
    for (int c = 0; c < CASES * 8; c++) {
        durable_event e;
        revent(&e);
        durable_ts_format fmt = rfmt();
        cJSON *tree = NULL;
        char *text = NULL, key[64];
        CU_ASSERT_EQUAL_FATAL(durable_event_to_json(&tree, &e, fmt), 0);
        CU_ASSERT_EQUAL_FATAL(durable__event_details_text(&text, &e, fmt), 0);
        snprintf(key, sizeof key, "%sDetails", durable_event_type_name(e.type));
        cJSON *d = cJSON_DetachItemFromObjectCaseSensitive(tree, key);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        DT_PROP(same_text(d, text, c), SEED, c);
        cJSON_Delete(tree);
        durable_event_clear(&e);
    }
}

/* The batcher sizes each update it queues from the text side; the size
 * must be what the wire body (cJSON's compact print) will carry. */
static void test_text_update_size(void)
{
    for (int c = 0; c < CASES * 2; c++) {
        durable_operation_update u;
        rupdate(&u);
        if (coin()) { /* any bytes, escaped or not */
            durable_free(u.payload);
            u.payload = rbytes();
        }
        cJSON *tree = NULL;
        size_t size = 0;
        CU_ASSERT_EQUAL_FATAL(durable_operation_update_to_json(&tree, &u), 0);
        CU_ASSERT_EQUAL_FATAL(durable__update_json_size(&size, &u), 0);
        char *want = durable_json_print(tree);
        DT_PROP(want && strlen(want) == size, SEED, c);
        if (want && strlen(want) != size)
            fprintf(stderr, "  case %d: cJSON %zu bytes, size %zu: %s\n", c, strlen(want), size,
                    want);
        durable_free(want);
        cJSON_Delete(tree);
        durable_operation_update_clear(&u);
    }
}

static void test_text_error_object(void)
{
    for (int c = 0; c < CASES; c++) {
        durable_error_object *e = rerror();
        if (coin()) {
            durable_free(e->error_message);
            e->error_message = rbytes();
        }
        cJSON *tree = NULL;
        char *text = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_error_object_to_json(&tree, e), 0);
        CU_ASSERT_EQUAL_FATAL(durable__error_object_text(&text, e), 0);
        DT_PROP(same_text(tree, text, c), SEED, c);
        durable_error_object_free(e);
    }
}

/* Numbers the way cJSON prints them: %d within int, %1.15g or %1.17g past
 * it, fractions (epoch seconds), and every magnitude up to 2^63. */
static void test_text_numbers(void)
{
    for (int c = 0; c < CASES * 20; c++) {
        int64_t v = (int64_t)(dt_rng_next(&R) >> dt_rng_below(&R, 64));
        if (coin())
            v = -v;
        durable_ts_format fmt = rfmt();
        durable__strbuf b = {0};
        durable__jout t, o;
        durable__jo_tree(&t, NULL);
        durable__jo_text(&o, &b);
        durable__jout *both[2] = {&t, &o};
        for (int k = 0; k < 2; k++) {
            durable__jo_open(both[k], NULL, true);
            durable__jo_int(both[k], NULL, v);
            durable__jo_ts(both[k], NULL, v, fmt);
            durable__jo_bool(both[k], NULL, v & 1);
            durable__jo_close(both[k]);
        }
        cJSON *tree = NULL;
        char *text = NULL;
        CU_ASSERT_EQUAL_FATAL(durable__jo_root(&tree, &t), 0);
        CU_ASSERT_EQUAL_FATAL(durable__jo_take(&text, &o, &b), 0);
        DT_PROP(same_text(tree, text, c), SEED, c);
    }
    static const int64_t edge[] = {0, 1, -1, 2147483647LL, 2147483648LL, -2147483648LL,
                                   -2147483649LL, 999999999999999LL, 1000000000000000LL,
                                   9007199254740993LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        durable__strbuf b = {0};
        durable__jout o;
        durable__jo_text(&o, &b);
        durable__jo_int(&o, NULL, edge[i]);
        char *text = NULL;
        CU_ASSERT_EQUAL_FATAL(durable__jo_take(&text, &o, &b), 0);
        CU_ASSERT_TRUE(same_text(cJSON_CreateNumber((double)edge[i]), text, (int)i));
    }
}

int main(void)
{
    SEED = dt_seed();
    dt_rng_init(&R, SEED);
    CU_pSuite s = dt_suite("model_roundtrip");
    DT_ADD(s, test_timestamp_rt);
    DT_ADD(s, test_error_object_rt);
    DT_ADD(s, test_operation_rt);
    DT_ADD(s, test_update_rt);
    DT_ADD(s, test_event_rt);
    DT_ADD(s, test_invocation_rt);
    DT_ADD(s, test_checkpoint_and_state_rt);
    DT_ADD(s, test_callback_and_stop_rt);
    DT_ADD(s, test_execution_list_history_rt);
    DT_ADD(s, test_text_checkpoint_response);
    DT_ADD(s, test_text_event_details);
    DT_ADD(s, test_text_error_object);
    DT_ADD(s, test_text_update_size);
    DT_ADD(s, test_text_numbers);
    return dt_run();
}
