/* The SDK's shared state under threads: branch contexts (built with the
 * internal API the parallel/map code uses) run steps, waits and child
 * contexts concurrently; every operation is checkpointed exactly once with
 * the right id and parent, results are kept, a suspended branch commits
 * only its own scope, and the logger / plugins stay consistent.
 * Run under `make tsan` (the Makefile picks suites named *thread). */
#include <pthread.h>
#include <string.h>

#include "durable/client.h"
#include "durable/context.h"
#include "model/internal.h"
#include "sdk/context_internal.h"
#include "support/testutil.h"

#define ARN "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/exec-1"
#define BRANCHES 6
#define STEPS 25

typedef struct branch {
    durable_ctx *ctx;
    durable_operation desc;
    int index;
    int rc;
    int body_runs;
    bool suspend; /* this branch ends with a wait */
    long sum;
} branch;

static int body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    branch *b = user;
    b->body_runs++;
    durable_step_log(sctx, DURABLE_LOG_INFO, "branch %d step", b->index);
    *result = cJSON_CreateNumber(b->index * 1000 + b->body_runs);
    return 0;
}

static int inner_child(durable_ctx *child, cJSON **result, void *user)
{
    const cJSON *r = NULL;
    int rc = durable_step(child, &r, "inner", body, user, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(r, 1);
    return rc;
}

static int branch_fn(durable_ctx *ctx, cJSON **result, void *user)
{
    branch *b = user;
    for (int i = 0; i < STEPS; i++) {
        const cJSON *r = NULL;
        int rc = durable_step(ctx, &r, NULL, body, b, NULL);
        if (rc)
            return rc;
        b->sum += (long)r->valuedouble;
    }
    const cJSON *r = NULL;
    int rc = durable_run_in_child_context(ctx, &r, "nested", inner_child, b, NULL);
    if (rc)
        return rc;
    if (b->suspend && (rc = durable_wait(ctx, NULL, 10)) != 0)
        return rc;
    *result = cJSON_CreateNumber((double)b->sum);
    return 0;
}

static void *thread_main(void *arg)
{
    branch *b = arg;
    cJSON *result = NULL;
    b->rc = durable__run_context_fn(b->ctx, branch_fn, b, &result, &b->desc, false);
    cJSON_Delete(result);
    return NULL;
}

typedef struct run_state {
    branch b[BRANCHES];
    char parent_id[DURABLE_OP_ID_LEN + 1];
    bool root_blocked_after;
    bool scopes_committed[BRANCHES];
} run_state;

/* Plays a parallel batch with FLAT (virtual) branch contexts on threads. */
static int parallel_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    run_state *s = user;
    durable__opref ref;
    int rc = durable__ctx_begin_op(ctx, &ref);
    if (rc)
        return rc;
    memcpy(s->parent_id, ref.id, sizeof(s->parent_id));
    /* The batch's own CONTEXT, so branch operations have a parent. */
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.id = ref.id;
    u.type = DURABLE_OP_CONTEXT;
    u.action = DURABLE_ACTION_START;
    u.subtype = (char *)"Parallel";
    CU_ASSERT_EQUAL(durable__checkpoint(ctx->ex, &u, false), 0);
    durable_ctx *batch = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__ctx_new_child(&batch, ctx, ref.path, ref.id, NULL, "Parallel",
                                                 false, NULL, false),
                          0);
    pthread_t t[BRANCHES];
    durable__ctx_enter_child(ctx);
    for (int i = 0; i < BRANCHES; i++) {
        branch *b = &s->b[i];
        b->index = i;
        b->suspend = i == 2;
        char *path = durable__sprintf("%s-%d", ref.path, i + 1);
        char id[DURABLE_OP_ID_LEN + 1];
        durable_op_id(id, path);
        durable__scope *scope = NULL;
        CU_ASSERT_EQUAL_FATAL(durable__scope_new(&scope, ctx->ex, batch->scope), 0);
        CU_ASSERT_EQUAL_FATAL(durable__ctx_new_child(&b->ctx, batch, path, id, NULL,
                                                     "ParallelBranch", true, scope, false),
                              0);
        durable_operation_init(&b->desc);
        b->desc.id = b->ctx->op_id;
        b->desc.type = DURABLE_OP_CONTEXT;
        durable__free(path);
        pthread_create(&t[i], NULL, thread_main, b);
    }
    for (int i = 0; i < BRANCHES; i++)
        pthread_join(t[i], NULL);
    durable__ctx_leave_child(ctx);
    for (int i = 0; i < BRANCHES; i++)
        s->scopes_committed[i] = durable__scope_committed(s->b[i].ctx->scope);
    s->root_blocked_after = durable__ctx_blocked(ctx);
    durable__opref_clear(&ref);
    /* The batch needs the suspended branch: propagate its commitment. */
    for (int i = 0; i < BRANCHES; i++)
        if (s->b[i].rc == DURABLE_PENDING)
            return durable__ctx_suspend(ctx);
    *out = cJSON_CreateString("all done");
    return 0;
}

static int line_count;
static pthread_mutex_t line_mu = PTHREAD_MUTEX_INITIALIZER;

static void sink(void *user, durable_log_level level, const char *line)
{
    (void)user;
    (void)level;
    cJSON *j = cJSON_Parse(line); /* every line is whole JSON: no interleaving */
    CU_ASSERT_PTR_NOT_NULL(j);
    cJSON_Delete(j);
    pthread_mutex_lock(&line_mu);
    line_count++;
    pthread_mutex_unlock(&line_mu);
}

static int attempt_ends;
static int on_attempt_end(void *user, const durable_operation_info *i)
{
    (void)user;
    (void)i;
    attempt_ends++; /* hooks are serialized by the SDK: no lock needed */
    return 0;
}

static void test_branches_on_threads(void)
{
    durable_mock_client *mock = NULL;
    durable_client *client = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&mock, &client), 0);
    durable_mock_client_queue_default(mock, 2000);
    durable_invocation_input in;
    memset(&in, 0, sizeof(in));
    in.durable_execution_arn = durable__strdup(ARN);
    in.checkpoint_token = durable__strdup("t0");
    durable_operation exec;
    durable_operation_init(&exec);
    exec.id = durable__strdup("exec-1");
    exec.type = DURABLE_OP_EXECUTION;
    exec.status = DURABLE_OP_STARTED;
    exec.start_timestamp = 1;
    durable_operation_list_take(&in.operations, &exec);
    durable_invocation_options o = DURABLE_INVOCATION_OPTIONS_INIT;
    o.logger.level = DURABLE_LOG_INFO;
    o.logger.sink = sink;
    durable_plugin p;
    memset(&p, 0, sizeof(p));
    p.attempt_end = on_attempt_end;
    o.plugins = &p;
    o.plugin_count = 1;
    run_state s;
    memset(&s, 0, sizeof(s));
    durable_invocation_output out;
    memset(&out, 0, sizeof(out));
    line_count = 0;
    attempt_ends = 0;
    CU_ASSERT_EQUAL(durable_handle_invocation(&out, client, &in, parallel_handler, &s, &o), 0);
    CU_ASSERT_EQUAL(out.status, DURABLE_INVOCATION_PENDING);
    for (int i = 0; i < BRANCHES; i++) {
        CU_ASSERT_EQUAL(s.b[i].rc, i == 2 ? DURABLE_PENDING : 0);
        CU_ASSERT_EQUAL(s.b[i].body_runs, STEPS + 1);
        CU_ASSERT_EQUAL(s.scopes_committed[i], i == 2);
    }
    /* A branch's suspension commits its own scope, not the execution's. */
    CU_ASSERT_FALSE(s.root_blocked_after);
    CU_ASSERT_EQUAL(line_count, BRANCHES * (STEPS + 1));
    CU_ASSERT_EQUAL(attempt_ends, BRANCHES * (STEPS + 1));

    /* Every update: unique (id, action); branch ops carry the batch as parent
     * (FLAT), nested ops the nested context. */
    size_t total = 0, starts = 0, succeeds = 0, waits = 0;
    durable__strset seen;
    memset(&seen, 0, sizeof(seen));
    for (size_t c = 0; c < durable_mock_client_call_count(mock); c++) {
        const durable_mock_call *call = durable_mock_client_call(mock, c);
        for (size_t k = 0; k < call->update_count; k++) {
            const durable_operation_update *u = &call->updates[k];
            char key[64];
            snprintf(key, sizeof(key), "%s/%d", u->id, (int)u->action);
            CU_ASSERT_EQUAL(durable__strset_add(&seen, key), 1);
            total++;
            if (u->type == DURABLE_OP_STEP && u->action == DURABLE_ACTION_START)
                starts++;
            if (u->type == DURABLE_OP_STEP && u->action == DURABLE_ACTION_SUCCEED)
                succeeds++;
            if (u->type == DURABLE_OP_WAIT)
                waits++;
            if (u->type == DURABLE_OP_STEP && strcmp(u->name ? u->name : "", "inner") != 0)
                CU_ASSERT_STRING_EQUAL(u->parent_id, s.parent_id);
        }
    }
    durable__strset_clear(&seen);
    CU_ASSERT_EQUAL(starts, BRANCHES * (STEPS + 1));
    CU_ASSERT_EQUAL(succeeds, BRANCHES * (STEPS + 1));
    CU_ASSERT_EQUAL(waits, 1);
    /* batch START + steps + nested contexts (START+SUCCEED) + the wait */
    CU_ASSERT_EQUAL(total, 1 + 2 * BRANCHES * (STEPS + 1) + 2 * BRANCHES + 1);
    durable_invocation_output_clear(&out);
    durable_invocation_input_clear(&in);
    durable_mock_client_free(mock);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_thread");
    DT_ADD(s, test_branches_on_threads);
    return dt_run();
}
