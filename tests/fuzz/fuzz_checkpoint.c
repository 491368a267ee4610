/*
 * Fuzz target "checkpoint": batches of operation updates applied by the
 * engine on ":memory:", interleaved with the other calls that change an
 * execution (timers, invocation completion, callbacks, stop). Every input
 * starts from a fresh execution with its first invocation in flight.
 *
 * Input: either lines of JSON, each a CheckpointDurableExecution body whose
 * Updates are applied with the current token (the captured SDK requests are
 * seeds), or a byte program (see step()) whose updates draw ids, parents,
 * payloads, options and numbers from small pools, so that most batches
 * look valid and many are.
 *
 * The store is shared by 20 inputs in a row (a fresh one costs more than
 * most inputs); each input works on its own execution, and timers fire only
 * for it (fire_due_of), so inputs do not see each other.
 *
 * Properties, after every call:
 *  - a rejected call leaves every table byte-for-byte unchanged and says why;
 *  - an accepted one keeps the invariants: history EventIds 1..n with
 *    non-decreasing timestamps, each operation's status legal for its type
 *    (SPEC §2.5) with the details that status needs, parents that exist,
 *    and the state pages (any page size) round-trip through their JSON and
 *    agree with the stored operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/ids.h"
#include "fuzz/fuzz.h"

typedef struct run {
    fuzz_env env; /* the shared handles (borrowed) */
    char *arn;
    char exec_id[128];
    char *inv;   /* invocation in flight, NULL = none */
    char *token; /* its current token */
} run;

/* ---- invariants -------------------------------------------------------------- */

static bool status_legal(durable_op_type t, durable_op_status s)
{
    switch (t) {
    case DURABLE_OP_EXECUTION:
        return s == DURABLE_OP_STARTED || s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_FAILED ||
               s == DURABLE_OP_TIMED_OUT || s == DURABLE_OP_STOPPED;
    case DURABLE_OP_CONTEXT:
        return s == DURABLE_OP_STARTED || s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_FAILED;
    case DURABLE_OP_STEP:
        return s == DURABLE_OP_STARTED || s == DURABLE_OP_PENDING || s == DURABLE_OP_READY ||
               s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_FAILED;
    case DURABLE_OP_WAIT:
        return s == DURABLE_OP_STARTED || s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_CANCELLED;
    case DURABLE_OP_CALLBACK:
        return s == DURABLE_OP_STARTED || s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_FAILED ||
               s == DURABLE_OP_TIMED_OUT || s == DURABLE_OP_CANCELLED;
    case DURABLE_OP_CHAINED_INVOKE:
        return s == DURABLE_OP_STARTED || s == DURABLE_OP_SUCCEEDED || s == DURABLE_OP_FAILED ||
               s == DURABLE_OP_TIMED_OUT || s == DURABLE_OP_STOPPED;
    default:
        return false;
    }
}

static const durable_operation *find_op(const durable_operation_list *l, const char *id)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].id, id) == 0)
            return &l->items[i];
    return NULL;
}

static void check_operations(run *r, const durable_operation_list *ops)
{
    size_t executions = 0;
    for (size_t i = 0; i < ops->count; i++) {
        const durable_operation *op = &ops->items[i];
        if (!status_legal(op->type, op->status)) {
            fprintf(stderr, "fuzz: operation %s: %s in status %s\n", op->id,
                    durable_op_type_name(op->type), durable_op_status_name(op->status));
            FUZZ_CHECK(!"operation status legal for its type");
        }
        FUZZ_CHECK(op->start_timestamp > 0);
        bool terminal = durable_op_status_is_terminal(op->status);
        FUZZ_CHECK(terminal == (op->end_timestamp > 0));
        FUZZ_CHECK(op->end_timestamp == 0 || op->end_timestamp >= op->start_timestamp);
        if (op->type == DURABLE_OP_STEP && op->status == DURABLE_OP_PENDING)
            FUZZ_CHECK(op->next_attempt_timestamp > 0);
        if (op->type == DURABLE_OP_WAIT)
            FUZZ_CHECK(op->scheduled_end_timestamp > 0);
        if (op->type == DURABLE_OP_CALLBACK)
            FUZZ_CHECK(op->callback_id && *op->callback_id);
        if (op->parent_id)
            FUZZ_CHECK(find_op(ops, op->parent_id) != NULL);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(ops->items[j].id, op->id) != 0);
        if (op->type == DURABLE_OP_EXECUTION) {
            executions++;
            FUZZ_CHECK(strcmp(op->id, r->exec_id) == 0);
        }
    }
    FUZZ_CHECK(executions == 1);
    FUZZ_CHECK(ops->items[0].type == DURABLE_OP_EXECUTION);
}

static void check_history(run *r)
{
    durable_history_request req = {0};
    req.durable_execution_arn = r->arn;
    req.include_execution_data = true;
    req.max_items = 1000;
    durable_history_response h = {0};
    FUZZ_CHECK(durable_engine_get_history(&h, r->env.eng, &req) == 0);
    FUZZ_CHECK(h.count >= 1 && h.events[0].type == DURABLE_EVENT_EXECUTION_STARTED);
    for (size_t i = 0; i < h.count; i++) {
        FUZZ_CHECK(h.events[i].event_id == (int64_t)i + 1);
        if (i)
            FUZZ_CHECK(h.events[i].timestamp >= h.events[i - 1].timestamp);
    }
    durable_history_response_clear(&h);
}

/* Every page of the state at page size n round-trips through its JSON and
 * matches the stored operation of the same id. */
static void check_state_pages(run *r, const durable_operation_list *all, int64_t n)
{
    if (!r->token)
        return;
    char *marker = NULL;
    size_t seen = 0;
    do {
        durable_state_request req = {0};
        req.durable_execution_arn = r->arn;
        req.checkpoint_token = r->token;
        req.marker = marker;
        req.max_items = n;
        durable_state_response page = {0};
        int rc = durable_engine_get_state(&page, r->env.eng, &req);
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(page.operations.count <= (size_t)n);
        cJSON *j = NULL;
        FUZZ_CHECK(durable_state_response_to_json(&j, &page, DURABLE_TS_EPOCH_SECONDS) == 0);
        durable_state_response back = {0};
        FUZZ_CHECK(durable_state_response_from_json(&back, j) == 0);
        FUZZ_CHECK(back.operations.count == page.operations.count);
        for (size_t i = 0; i < page.operations.count; i++) {
            const durable_operation *op = &page.operations.items[i];
            FUZZ_CHECK(durable_operation_equal(op, &back.operations.items[i]));
            const durable_operation *stored = find_op(all, op->id);
            FUZZ_CHECK(stored != NULL && durable_operation_equal(op, stored));
        }
        seen += page.operations.count;
        cJSON_Delete(j);
        durable_state_response_clear(&back);
        free(marker);
        marker = page.next_marker ? strdup(page.next_marker) : NULL;
        durable_state_response_clear(&page);
        FUZZ_CHECK(seen <= all->count);
    } while (marker);
}

static void check_invariants(run *r, int64_t page_size)
{
    durable_operation_list ops = {0};
    FUZZ_CHECK(durable_engine_list_operations(&ops, r->env.eng, r->arn) == 0);
    check_operations(r, &ops);
    check_history(r);
    check_state_pages(r, &ops, page_size);
    durable_operation_list_clear(&ops);
}

/* rc of a call that may change the file: a failure changed nothing. */
static void after_call(run *r, int rc, fuzz_image *before, const char *what)
{
    if (rc < 0) {
        if (!fuzz_image_same(before, r->env.store)) {
            fprintf(stderr, "fuzz: rejected %s (%d: %s) changed the file\n", what, rc,
                    durable_engine_errmsg(r->env.eng));
            FUZZ_CHECK(!"a rejected call changes nothing");
        }
        FUZZ_CHECK(durable_engine_errmsg(r->env.eng)[0] != '\0');
    }
    fuzz_image_free(before);
}

/* ---- pools -------------------------------------------------------------------- */

static const int64_t numbers[] = {DURABLE_ABSENT, 0, 1, 2, 5, 60, 3600, 31622400, 31622401,
                                  INT64_MAX};
#define NNUM (sizeof numbers / sizeof *numbers)

static const char *payloads[] = {NULL, "\"ok\"", "{\"k\":[1,2]}", "", "\xff\xfe\"", "null",
                                 "\"\\u0000%s\""};
#define NPAY (sizeof payloads / sizeof *payloads)
static const char *names[] = {NULL, "n", "a name with \"quotes\" and %d", "\xc3\x28"};
static const char *subtypes[] = {NULL, "Step", "Wait", "WaitForCallback-but-far-too-long-for-it"};

static void pool_id(run *r, char out[80], unsigned k)
{
    static const char *paths[] = {"1", "2", "3", "1-1", "1-2"};
    k %= 9;
    if (k < 5)
        durable_op_id(out, paths[k]);
    else if (k == 5)
        snprintf(out, 80, "%s", r->exec_id);
    else if (k == 6)
        snprintf(out, 80, "%s", "");
    else if (k == 7)
        snprintf(out, 80, "%065d", 7);
    else
        snprintf(out, 80, "%s", "q\"%s");
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static durable_error_object *pool_error(unsigned k)
{
    durable_error_object *e = NULL;
    switch (k % 3) {
    case 1:
        FUZZ_CHECK(durable_error_object_new(&e, "MyError", "boom", "{\"d\":1}") == 0);
        break;
    case 2:
        FUZZ_CHECK(durable_error_object_new(&e, "\xff", NULL, "\"q\"") == 0);
        break;
    default:
        break;
    }
    return e;
}

/* One update from 7 bytes. Strings are malloc'd or from the library (error):
 * freed by free_update. */
static void read_update(run *r, fuzz_reader *in, durable_operation_update *u)
{
    uint8_t b0 = fuzz_byte(in), b1 = fuzz_byte(in), b2 = fuzz_byte(in), b3 = fuzz_byte(in),
            b4 = fuzz_byte(in), b5 = fuzz_byte(in), b6 = fuzz_byte(in);
    char id[80];
    durable_operation_update_init(u);
    u->type = (durable_op_type)(b0 % 7);
    u->action = (durable_op_action)((b0 / 7) % 6);
    pool_id(r, id, b1 % 9);
    u->id = strdup(id);
    if ((b1 / 9) % 4) {
        pool_id(r, id, (b1 / 36) % 9);
        u->parent_id = strdup(id);
    }
    u->payload = dup_or_null(payloads[b2 % NPAY]);
    u->error = pool_error(b2 / NPAY);
    u->name = dup_or_null(names[b3 % 4]);
    u->subtype = dup_or_null(subtypes[(b3 / 4) % 4]);
    static const durable_update_options_kind by_type[] = {
        DURABLE_OPTIONS_NONE, DURABLE_OPTIONS_NONE, DURABLE_OPTIONS_CONTEXT, DURABLE_OPTIONS_STEP,
        DURABLE_OPTIONS_WAIT, DURABLE_OPTIONS_CALLBACK, DURABLE_OPTIONS_CHAINED_INVOKE};
    u->options = (b4 & 0x80) ? (durable_update_options_kind)(b4 % 6) : by_type[u->type];
    switch (u->options) {
    case DURABLE_OPTIONS_CONTEXT:
        u->replay_children = (int)(b5 % 3) - 1;
        break;
    case DURABLE_OPTIONS_STEP:
        u->next_attempt_delay_seconds = numbers[b5 % NNUM];
        break;
    case DURABLE_OPTIONS_WAIT:
        u->wait_seconds = numbers[b5 % NNUM];
        break;
    case DURABLE_OPTIONS_CALLBACK:
        u->timeout_seconds = numbers[b5 % NNUM];
        u->heartbeat_timeout_seconds = numbers[b6 % NNUM];
        break;
    case DURABLE_OPTIONS_CHAINED_INVOKE:
        u->function_name = dup_or_null((const char *[]){NULL, "fn", "other", ""}[b6 % 4]);
        u->tenant_id = dup_or_null((b6 & 4) ? "tenant" : NULL);
        break;
    default:
        break;
    }
}

static void free_updates(durable_operation_update *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(u[i].id);
        free(u[i].parent_id);
        free(u[i].name);
        free(u[i].subtype);
        free(u[i].payload);
        free(u[i].function_name);
        free(u[i].tenant_id);
        durable_error_object_free(u[i].error);
    }
}

/* ---- calls -------------------------------------------------------------------- */

static void set_token(run *r, const char *t)
{
    free(r->token);
    r->token = dup_or_null(t);
}

static void invoke_if_idle(run *r)
{
    if (r->inv)
        return;
    durable_invocation_input in = {0};
    char *inv = NULL;
    fuzz_image before;
    fuzz_image_take(&before, r->env.store);
    int rc = durable_engine_start_invocation(&in, &inv, r->env.eng, r->arn, 0);
    after_call(r, rc, &before, "start invocation");
    if (rc == 0) {
        r->inv = strdup(inv);
        set_token(r, in.checkpoint_token);
        FUZZ_CHECK(in.operations.count >= 1);
    } else {
        FUZZ_CHECK(rc == DURABLE_ECLOSED || rc == DURABLE_EBUSY);
    }
    durable_free(inv);
    durable_invocation_input_clear(&in);
}

static void checkpoint(run *r, durable_operation_update *u, size_t n, const char *client_token,
                       int64_t page)
{
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = r->arn;
    req.checkpoint_token = r->token ? r->token : "";
    req.updates = u;
    req.update_count = n;
    req.client_token = (char *)client_token;
    durable_checkpoint_response resp = {0};
    fuzz_image before;
    fuzz_image_take(&before, r->env.store);
    int rc = durable_engine_checkpoint(&resp, r->env.eng, &req);
    after_call(r, rc, &before, "checkpoint");
    if (rc == 0) {
        set_token(r, resp.checkpoint_token);
        /* The delta names each changed operation once. */
        for (size_t i = 0; i < resp.operations.count; i++)
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(resp.operations.items[i].id, resp.operations.items[j].id) != 0);
        check_invariants(r, page);
    } else if (rc == DURABLE_ETOKEN) {
        FUZZ_CHECK(strcmp(durable_engine_error_text(r->env.eng), "Invalid Checkpoint Token") == 0);
    }
    durable_checkpoint_response_clear(&resp);
}

static void complete(run *r, uint8_t b)
{
    if (!r->inv)
        return;
    durable_invocation_output out = {0};
    out.status = (durable_invocation_status)(b % 4);
    out.result = (b & 4) ? "\"done\"" : NULL;
    durable_error_object *err = pool_error(b >> 3);
    out.error = err;
    durable_invocation_outcome oc = {0};
    fuzz_image before;
    fuzz_image_take(&before, r->env.store);
    int rc = (b & 0x40) ? durable_engine_fail_invocation(&oc, r->env.eng, r->arn, r->inv, err)
                        : durable_engine_complete_invocation(&oc, r->env.eng, r->arn, r->inv, &out);
    after_call(r, rc, &before, "complete invocation");
    durable_error_object_free(err);
    if (rc < 0) {
        /* Only an invocation error that could not be read back is refused. */
        FUZZ_CHECK(rc == DURABLE_EINVAL);
        FUZZ_CHECK(strcmp(durable_engine_error_text(r->env.eng),
                          "Error object must be valid UTF-8.") == 0);
        return;
    }
    free(r->inv);
    r->inv = NULL;
    set_token(r, NULL);
    check_invariants(r, 100);
}

static void callback(run *r, uint8_t b)
{
    durable_callback_info_list cbs = {0};
    FUZZ_CHECK(durable_engine_list_callbacks(&cbs, r->env.eng, r->arn) == 0);
    if (cbs.count == 0) {
        durable_callback_info_list_clear(&cbs);
        return;
    }
    const char *id = cbs.items[b % cbs.count].callback_id;
    fuzz_image before;
    fuzz_image_take(&before, r->env.store);
    int rc;
    const char *p = payloads[(b / 4) % NPAY];
    durable_error_object *err = pool_error(b / 4);
    switch ((b >> 6) % 3) {
    case 0:
        rc = durable_engine_callback_success(r->env.eng, id, p, p ? strlen(p) : 0);
        break;
    case 1:
        rc = durable_engine_callback_failure(r->env.eng, id, err);
        break;
    default:
        rc = durable_engine_callback_heartbeat(r->env.eng, id);
        break;
    }
    after_call(r, rc, &before, "callback");
    durable_error_object_free(err);
    durable_callback_info_list_clear(&cbs);
    if (rc == 0)
        check_invariants(r, 100);
}

static void timers(run *r, uint8_t b)
{
    static const int64_t steps_ms[] = {1000, 60000, 3600000, 86400000LL * 400};
    durable_vclock_advance(r->env.vc, steps_ms[b % 4]);
    fuzz_image before;
    fuzz_image_take(&before, r->env.store);
    int fired = 0;
    const char *arns[] = {r->arn};
    int rc = durable_engine_fire_due_of(&fired, r->env.eng, arns, 1);
    after_call(r, rc, &before, "fire due");
    FUZZ_CHECK(rc == 0);
    /* A deadline (execution or invocation timeout) may have closed the
     * invocation in flight. */
    durable_execution_state es = {0};
    FUZZ_CHECK(durable_engine_execution_state(&es, r->env.eng, r->arn) == 0);
    if (r->inv && (!es.inflight_invocation_id || strcmp(es.inflight_invocation_id, r->inv) != 0)) {
        free(r->inv);
        r->inv = NULL;
        set_token(r, NULL);
    }
    durable_execution_state_clear(&es);
    check_invariants(r, 100);
}

static void stop(run *r)
{
    durable_stop_request req = {0};
    req.durable_execution_arn = r->arn;
    durable_stop_response resp = {0};
    fuzz_image before;
    fuzz_image_take(&before, r->env.store);
    int rc = durable_engine_stop_execution(&resp, r->env.eng, &req);
    after_call(r, rc, &before, "stop");
    FUZZ_CHECK(rc == 0 && resp.stop_timestamp > 0);
    free(r->inv);
    r->inv = NULL;
    set_token(r, NULL);
    check_invariants(r, 100);
}

/* One command of a byte program. */
static void step(run *r, fuzz_reader *in)
{
    uint8_t op = fuzz_byte(in), arg = fuzz_byte(in);
    switch (op % 12) {
    case 0: case 1: case 2: case 3: case 4: case 5: {
        durable_operation_update u[8];
        size_t n = arg % 5; /* 0..4; an empty batch is a valid call too */
        for (size_t i = 0; i < n; i++)
            read_update(r, in, &u[i]);
        checkpoint(r, u, n, (arg & 0x80) ? "client-token-1" : NULL, 1 + (arg >> 5) % 3);
        free_updates(u, n);
        break;
    }
    case 6:
        timers(r, arg);
        break;
    case 7:
        complete(r, arg);
        break;
    case 8:
        callback(r, arg);
        break;
    case 9:
        invoke_if_idle(r);
        break;
    case 10:
        if (arg % 8 == 0)
            stop(r);
        break;
    default:
        check_invariants(r, 1 + arg % 4);
        break;
    }
}

/* JSON lines: each a checkpoint body, applied with the current token. */
static void json_lines(run *r, const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
        cJSON *j = NULL;
        durable_checkpoint_request req = {0};
        if (durable_json_parse(&j, (const char *)data + at, len) == 0 &&
            durable_checkpoint_request_from_json(&req, j) == 0)
            checkpoint(r, req.updates, req.update_count, req.client_token, 2);
        durable_checkpoint_request_clear(&req);
        cJSON_Delete(j);
        at += len + 1;
    }
}

static fuzz_env shared;
static unsigned inputs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    if (!shared.eng || ++inputs % 20 == 0) {
        fuzz_env_close(&shared);
        FUZZ_CHECK(fuzz_env_open(&shared) == 0);
    }
    run r;
    memset(&r, 0, sizeof r);
    r.env = shared;
    char name[32];
    snprintf(name, sizeof name, "fuzz-%u", inputs);
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    so.execution_name = name;
    so.input_payload = "{\"in\":1}";
    char *arn = NULL, *op = NULL;
    FUZZ_CHECK(durable_engine_start_execution(&arn, &op, r.env.eng, "fn", &so) == 0);
    r.arn = strdup(arn);
    snprintf(r.exec_id, sizeof r.exec_id, "%s", op);
    durable_free(arn);
    durable_free(op);
    invoke_if_idle(&r);
    FUZZ_CHECK(r.inv != NULL);

    if (size && data[0] == '{') {
        json_lines(&r, data, size);
    } else {
        fuzz_reader in = {data, size, 0};
        for (int n = 0; fuzz_more(&in) && n < 32; n++)
            step(&r, &in);
    }
    free(r.arn);
    free(r.inv);
    free(r.token);
    return 0;
}
