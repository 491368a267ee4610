/* Plugin hooks across invocations against the real engine: what the
 * conformance plugin requirements (10-x) observe — replay flags, exactly one
 * operation-end per operation, invocation start/end flags and statuses,
 * operation-change deltas, parent linkage, error isolation. */
#include <pthread.h>
#include <string.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/store.h"
#include "model/internal.h"
#include "support/sdk_engine_env.h"
#include "support/testutil.h"

/* ---- recording plugin ---------------------------------------------------------- */

typedef struct rec {
    char hook[24];
    char op[20];
    char parent[20];
    durable_op_type type;
    durable_op_status status;
    bool replay;
    bool first;
    durable_invocation_status inv_status;
    size_t updated;
    bool has_error;
    char error[64];
    char result[64];
    bool has_result;
    int64_t start_ts, end_ts, attempt;
    bool in_full_map;
    char request_id[64];
} rec;

typedef struct recorder {
    rec r[256];
    int n;
} recorder;

static rec *add(recorder *l, const char *hook)
{
    if (l->n >= 256)
        return &l->r[255];
    rec *r = &l->r[l->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->hook, sizeof(r->hook), "%s", hook);
    return r;
}

static void fill_op(rec *r, const durable_operation_info *i)
{
    const durable_operation *op = i->operation;
    snprintf(r->op, sizeof(r->op), "%s", op->id ? op->id : "");
    snprintf(r->parent, sizeof(r->parent), "%s", op->parent_id ? op->parent_id : "NONE");
    r->type = op->type;
    r->status = op->status;
    r->replay = i->is_replay;
    r->has_error = op->error != NULL;
    if (op->error && op->error->error_message)
        snprintf(r->error, sizeof(r->error), "%s", op->error->error_message);
    r->has_result = op->result != NULL;
    if (op->result)
        snprintf(r->result, sizeof(r->result), "%s", op->result);
    r->start_ts = op->start_timestamp;
    r->end_ts = op->end_timestamp;
    r->attempt = op->attempt;
}

static int h_inv(recorder *l, const char *hook, const durable_invocation_info *i)
{
    rec *r = add(l, hook);
    r->first = i->is_first_invocation;
    r->inv_status = i->status;
    r->updated = i->updated_operation_count;
    r->start_ts = i->execution_start_timestamp;
    r->has_error = i->error != NULL;
    snprintf(r->request_id, sizeof(r->request_id), "%s", i->request_id ? i->request_id : "");
    return 0;
}
static int h_inv_start(void *u, const durable_invocation_info *i)
{
    return h_inv(u, "invocation-start", i);
}
static int h_inv_end(void *u, const durable_invocation_info *i)
{
    return h_inv(u, "invocation-end", i);
}
static int h_op_start(void *u, const durable_operation_info *i)
{
    fill_op(add(u, "operation-start"), i);
    return 0;
}
static int h_op_end(void *u, const durable_operation_info *i)
{
    fill_op(add(u, "operation-end"), i);
    return 0;
}
static int h_att_start(void *u, const durable_operation_info *i)
{
    fill_op(add(u, "attempt-start"), i);
    return 0;
}
static int h_att_end(void *u, const durable_operation_info *i)
{
    rec *r = add(u, "attempt-end");
    fill_op(r, i);
    r->status = i->outcome;
    return 0;
}
static int h_change(void *u, const durable_operation_change_info *i)
{
    for (size_t k = 0; k < i->updated_count; k++) {
        rec *r = add(u, "operation-change");
        const durable_operation *op = &i->updated[k];
        snprintf(r->op, sizeof(r->op), "%s", op->id);
        r->status = op->status;
        r->type = op->type;
        r->attempt = op->attempt;
        CU_ASSERT_PTR_NOT_NULL(i->updated_is_replay);
        r->replay = i->updated_is_replay && i->updated_is_replay[k];
        for (size_t j = 0; j < i->operation_count; j++)
            r->in_full_map = r->in_full_map || strcmp(i->operations[j].id, op->id) == 0;
    }
    return 0;
}
static int h_fail(void *u, const durable_invocation_info *i)
{
    (void)i;
    add(u, "faulty");
    return 1;
}
static int h_fail_op(void *u, const durable_operation_info *i)
{
    (void)i;
    add(u, "faulty");
    return -5;
}

static int count(const recorder *l, const char *hook, const char *op, int replay, int status)
{
    int n = 0;
    for (int i = 0; i < l->n; i++) {
        const rec *r = &l->r[i];
        if (strcmp(r->hook, hook) != 0 || (op && strcmp(r->op, op) != 0))
            continue;
        if (replay >= 0 && r->replay != (replay == 1))
            continue;
        if (status >= 0 && (int)r->status != status)
            continue;
        n++;
    }
    return n;
}

/* ---- engine loop (support/sdk_engine_env.h) --------------------------------------------- */

static void run(env *v, durable_handler_fn h, void *user, const durable_plugin *plugins,
                size_t n)
{
    env_open(v);
    v->plugins = plugins;
    v->plugin_count = n;
    env_run(v, "\"World\"", h, user, 100);
}

static durable_plugin recording(recorder *l)
{
    durable_plugin p;
    memset(&p, 0, sizeof(p));
    p.name = "recorder";
    p.user = l;
    p.invocation_start = h_inv_start;
    p.invocation_end = h_inv_end;
    p.operation_start = h_op_start;
    p.operation_end = h_op_end;
    p.operation_change = h_change;
    p.attempt_start = h_att_start;
    p.attempt_end = h_att_end;
    return p;
}

/* ---- handlers ------------------------------------------------------------------------ */

static int task_a(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateString("task-a");
    return 0;
}

static int flaky_b(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)user;
    if (durable_step_attempt(sctx) == 1)
        return durable_step_fail(sctx, "Error", "first attempt fails", NULL);
    *result = cJSON_CreateString("Operation succeeded");
    return 0;
}

static int boom(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    (void)user;
    return durable_step_fail(sctx, "Error", "boom", NULL);
}

static const durable_retry_strategy *one_second;

static int two_steps(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    int rc = durable_step(ctx, NULL, NULL, task_a, NULL, NULL);
    if (rc)
        return rc;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.retry = one_second;
    const cJSON *r = NULL;
    if ((rc = durable_step(ctx, &r, NULL, flaky_b, NULL, &o)) != 0)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

#define A "c4ca4238a0b92382"
#define B "c81e728d9d4c2f63"

static void test_replay_flags_and_single_operation_end(void)
{
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.initial_delay_seconds = 1;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &ro), 0);
    one_second = s;
    recorder l;
    memset(&l, 0, sizeof(l));
    durable_plugin p = recording(&l);
    env v;
    run(&v, two_steps, NULL, &p, 1);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, 2);
    CU_ASSERT_EQUAL(count(&l, "operation-start", A, 0, -1), 1);
    CU_ASSERT_EQUAL(count(&l, "operation-start", A, 1, -1), 0);
    CU_ASSERT_EQUAL(count(&l, "operation-end", A, -1, DURABLE_OP_SUCCEEDED), 1);
    CU_ASSERT_EQUAL(count(&l, "operation-start", B, 0, -1), 1);
    CU_ASSERT(count(&l, "operation-start", B, 1, -1) >= 1);
    CU_ASSERT_EQUAL(count(&l, "operation-end", B, -1, DURABLE_OP_SUCCEEDED), 1);
    CU_ASSERT_EQUAL(count(&l, "operation-end", B, -1, DURABLE_OP_FAILED), 0);
    CU_ASSERT_EQUAL(count(&l, "operation-end", NULL, -1, -1), 2);
    CU_ASSERT_EQUAL(count(&l, "attempt-start", B, -1, -1), 2);
    CU_ASSERT_EQUAL(count(&l, "attempt-end", B, -1, DURABLE_OP_FAILED), 1);
    CU_ASSERT_EQUAL(count(&l, "attempt-end", B, -1, DURABLE_OP_SUCCEEDED), 1);
    /* operation-end carries the merged operation: timestamps, attempt, result. */
    for (int i = 0; i < l.n; i++) {
        rec *r = &l.r[i];
        if (strcmp(r->hook, "operation-end") == 0 && strcmp(r->op, A) == 0) {
            CU_ASSERT_EQUAL(r->type, DURABLE_OP_STEP);
            CU_ASSERT(r->start_ts >= T0);
            CU_ASSERT(r->end_ts >= r->start_ts);
            CU_ASSERT_EQUAL(r->attempt, 1);
            CU_ASSERT_STRING_EQUAL(r->result, "\"task-a\"");
            CU_ASSERT_FALSE(r->has_error);
            CU_ASSERT_FALSE(r->replay);
        }
        if (strcmp(r->hook, "operation-change") == 0 && r->status == DURABLE_OP_SUCCEEDED)
            CU_ASSERT_TRUE(r->in_full_map);
    }
    CU_ASSERT_EQUAL(count(&l, "operation-change", A, -1, DURABLE_OP_SUCCEEDED), 1);
    /* A was created by invocation 1 (not replayed); B's success comes in
     * invocation 2, for an operation recorded before it began. */
    CU_ASSERT_EQUAL(count(&l, "operation-change", A, 0, DURABLE_OP_SUCCEEDED), 1);
    CU_ASSERT_EQUAL(count(&l, "operation-change", B, 1, DURABLE_OP_SUCCEEDED), 1);
    /* Invocation hooks: first flags and statuses per invocation. */
    int starts = 0, ends = 0;
    for (int i = 0; i < l.n; i++) {
        rec *r = &l.r[i];
        if (strcmp(r->hook, "invocation-start") == 0) {
            CU_ASSERT_EQUAL(r->first, starts == 0);
            CU_ASSERT(strlen(r->request_id) > 0);
            CU_ASSERT_EQUAL(r->start_ts, T0);
            starts++;
        } else if (strcmp(r->hook, "invocation-end") == 0) {
            CU_ASSERT_EQUAL(r->first, ends == 0);
            CU_ASSERT_EQUAL(r->inv_status,
                            ends == 0 ? DURABLE_INVOCATION_PENDING : DURABLE_INVOCATION_SUCCEEDED);
            CU_ASSERT_FALSE(r->has_error);
            ends++;
        }
    }
    CU_ASSERT_EQUAL(starts, 2);
    CU_ASSERT_EQUAL(ends, 2);
    env_close(&v);
    durable_retry_strategy_free(s);
}

static int wait_only(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, NULL, 2);
}

static void test_wait_completed_between_invocations_ends_once(void)
{
    recorder l;
    memset(&l, 0, sizeof(l));
    durable_plugin p = recording(&l);
    env v;
    run(&v, wait_only, NULL, &p, 1);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT(count(&l, "operation-start", A, -1, -1) >= 1);
    CU_ASSERT_EQUAL(count(&l, "operation-end", A, -1, DURABLE_OP_SUCCEEDED), 1);
    for (int i = 0; i < l.n; i++)
        if (strcmp(l.r[i].op, A) == 0 && strcmp(l.r[i].hook, "operation-start") == 0)
            CU_ASSERT_EQUAL(l.r[i].type, DURABLE_OP_WAIT);
    /* The replay invocation sees the wait in its updated operations. */
    int seen = 0;
    for (int i = 0; i < l.n; i++)
        if (strcmp(l.r[i].hook, "invocation-start") == 0 && !l.r[i].first) {
            CU_ASSERT(l.r[i].updated >= 1);
            seen++;
        }
    CU_ASSERT_EQUAL(seen, 1);
    env_close(&v);
}

static int fail_after_a(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    int rc = durable_step(ctx, NULL, NULL, task_a, NULL, NULL);
    if (rc)
        return rc;
    durable_step_options o = DURABLE_STEP_OPTIONS_INIT;
    o.retry = durable_retry_preset_none();
    return durable_step(ctx, NULL, NULL, boom, NULL, &o);
}

static void test_failed_operation_end_carries_error(void)
{
    recorder l;
    memset(&l, 0, sizeof(l));
    durable_plugin p = recording(&l);
    env v;
    run(&v, fail_after_a, NULL, &p, 1);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_FAILED);
    CU_ASSERT_EQUAL(count(&l, "operation-end", B, -1, DURABLE_OP_FAILED), 1);
    for (int i = 0; i < l.n; i++) {
        rec *r = &l.r[i];
        if (strcmp(r->hook, "operation-end") == 0 && strcmp(r->op, B) == 0) {
            CU_ASSERT_STRING_EQUAL(r->error, "boom");
            CU_ASSERT_FALSE(r->has_result);
        }
        if (strcmp(r->hook, "invocation-end") == 0) {
            CU_ASSERT_EQUAL(r->inv_status, DURABLE_INVOCATION_FAILED);
            CU_ASSERT_TRUE(r->has_error);
        }
    }
    env_close(&v);
}

static int nested_child(durable_ctx *child, cJSON **result, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_step(child, &r, NULL, task_a, NULL, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(r, 1);
    return rc;
}

static int nested(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const cJSON *r = NULL;
    int rc = durable_run_in_child_context(ctx, &r, "child", nested_child, NULL, NULL);
    if (rc == 0)
        *out = cJSON_Duplicate(r, 1);
    return rc;
}

static void test_parent_linkage_of_nested_operations(void)
{
    recorder l;
    memset(&l, 0, sizeof(l));
    durable_plugin p = recording(&l);
    env v;
    run(&v, nested, NULL, &p, 1);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    int ctx_end = 0, step_end = 0;
    for (int i = 0; i < l.n; i++) {
        rec *r = &l.r[i];
        if (strcmp(r->hook, "operation-end") != 0)
            continue;
        if (strcmp(r->op, A) == 0) {
            CU_ASSERT_STRING_EQUAL(r->parent, "NONE");
            CU_ASSERT_EQUAL(r->type, DURABLE_OP_CONTEXT);
            ctx_end++;
        } else if (strcmp(r->op, "ea66c06c1e1c05fa") == 0) {
            CU_ASSERT_STRING_EQUAL(r->parent, A);
            step_end++;
        }
    }
    CU_ASSERT_EQUAL(ctx_end, 1);
    CU_ASSERT_EQUAL(step_end, 1);
    env_close(&v);
}

static void test_faulty_plugin_is_isolated(void)
{
    recorder faulty, healthy;
    memset(&faulty, 0, sizeof(faulty));
    memset(&healthy, 0, sizeof(healthy));
    durable_plugin ps[2];
    memset(ps, 0, sizeof(ps));
    ps[0].name = "faulty";
    ps[0].user = &faulty;
    ps[0].invocation_start = h_fail;
    ps[0].invocation_end = h_fail;
    ps[0].operation_start = h_fail_op;
    ps[0].operation_end = h_fail_op;
    ps[0].attempt_start = h_fail_op;
    ps[0].attempt_end = h_fail_op;
    ps[1] = recording(&healthy);
    env v;
    run(&v, nested, NULL, ps, 2);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_STRING_EQUAL(v.info.result, "\"task-a\"");
    /* invocation start+end, 2 op starts, 2 op ends, attempt start+end */
    CU_ASSERT_EQUAL(faulty.n, 8);
    CU_ASSERT_EQUAL(count(&healthy, "invocation-start", NULL, -1, -1), 1);
    CU_ASSERT_EQUAL(count(&healthy, "invocation-end", NULL, -1, -1), 1);
    CU_ASSERT_EQUAL(count(&healthy, "operation-end", NULL, -1, DURABLE_OP_SUCCEEDED), 2);
    CU_ASSERT_EQUAL(count(&healthy, "attempt-end", NULL, -1, DURABLE_OP_SUCCEEDED), 1);
    env_close(&v);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_engine_plugins");
    DT_ADD(s, test_replay_flags_and_single_operation_end);
    DT_ADD(s, test_wait_completed_between_invocations_ends_once);
    DT_ADD(s, test_failed_operation_end_carries_error);
    DT_ADD(s, test_parent_linkage_of_nested_operations);
    DT_ADD(s, test_faulty_plugin_is_isolated);
    return dt_run();
}
