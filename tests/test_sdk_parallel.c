/* map and parallel against the real engine (support/sdk_engine_env.h):
 * the same ids and results for max_concurrency 1 and 4, items that really
 * run at once (they meet at a barrier that would time out if they ran one
 * after the other), completion configs decided while items run, suspended
 * items that never stop their siblings, FLAT nesting, ReplayChildren on
 * items, custom item namers and serdes. Run under `make tsan` too. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durable/context.h"
#include "durable/ids.h"
#include "support/sdk_engine_env.h"
#include "support/testutil.h"

#define GATE_TIMEOUT_S 20 /* generous: tsan and valgrind are slow */

/* ---- a rendezvous with a timeout ---------------------------------------------------- */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;    /* at the barrier */
    int inside;     /* item functions running now */
    int max_inside; /* the most that ever ran at once */
    int successes;  /* item functions that ended SUCCEEDED (plugin hook) */
    bool timed_out;
    pthread_t handler_thread;
    int on_handler_thread; /* item calls made on the handler's thread */
} gate;

static void gate_init(gate *g)
{
    memset(g, 0, sizeof(*g));
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

static void gate_destroy(gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

/* Wait (mu held) until *counter >= target; false after GATE_TIMEOUT_S. */
static bool gate_until(gate *g, const int *counter, int target)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += GATE_TIMEOUT_S;
    while (*counter < target && !g->timed_out)
        if (pthread_cond_timedwait(&g->cv, &g->mu, &deadline) != 0)
            g->timed_out = true;
    return *counter >= target;
}

/* Every one of n callers waits here until all n arrived. */
static void gate_barrier(gate *g, int n)
{
    pthread_mutex_lock(&g->mu);
    g->arrived++;
    pthread_cond_broadcast(&g->cv);
    gate_until(g, &g->arrived, n);
    pthread_mutex_unlock(&g->mu);
}

static void gate_enter(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->inside++;
    if (g->inside > g->max_inside)
        g->max_inside = g->inside;
    if (pthread_equal(pthread_self(), g->handler_thread))
        g->on_handler_thread++;
    pthread_mutex_unlock(&g->mu);
}

static void gate_leave(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->inside--;
    pthread_mutex_unlock(&g->mu);
}

/* Plugin hook: an item function ended SUCCEEDED (it can no longer be
 * stopped), so items that must fail after it may go on. */
static int count_success(void *user, const durable_operation_info *info)
{
    gate *g = user;
    const char *st = info->operation ? info->operation->subtype : NULL;
    if (info->outcome == DURABLE_OP_SUCCEEDED && st &&
        (strcmp(st, "MapIteration") == 0 || strcmp(st, "ParallelBranch") == 0)) {
        pthread_mutex_lock(&g->mu);
        g->successes++;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
    return 0;
}

/* Open an engine, run the execution to its end (with plugin pl, may be
 * NULL) and check that it succeeded with result (NULL: not checked) in
 * `invocations` invocations (0: not checked) without a rendezvous timing
 * out. The caller closes v. */
static void run_ok(env *v, const durable_plugin *pl, const char *input, durable_handler_fn h,
                   void *user, const gate *g, const char *result, int invocations)
{
    env_open(v);
    v->plugins = pl;
    v->plugin_count = pl ? 1 : 0;
    env_run(v, input, h, user, 10);
    CU_ASSERT_FALSE(g->timed_out);
    CU_ASSERT_EQUAL(v->info.status, DURABLE_EXEC_SUCCEEDED);
    if (result) {
        CU_ASSERT_PTR_NOT_NULL(v->info.result);
        if (v->info.result)
            CU_ASSERT_STRING_EQUAL(v->info.result, result);
    }
    if (invocations)
        CU_ASSERT_EQUAL(v->invocations, invocations);
}

/* ---- the recorded history, order-independent ----------------------------------------- */

/* "type id parent name subtype" per event, sorted: what must not depend on
 * the concurrency (the interleaving of different items' events may). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct shape {
    char *lines[256];
    size_t n;
    char *result;
    char started_items[64][DURABLE_OP_ID_LEN + 1]; /* item ContextStarted ids, in event order */
    size_t nstarted;
} shape;

static void shape_take(shape *sh, env *v, const char *item_subtype)
{
    memset(sh, 0, sizeof(*sh));
    sh->result = durable__strdup(v->info.result ? v->info.result : "");
    for (size_t i = 0; i < v->history.count && sh->n < 256; i++) {
        const durable_event *e = &v->history.events[i];
        if (e->type == DURABLE_EVENT_INVOCATION_COMPLETED)
            continue; /* how many invocations it took is not the point */
        sh->lines[sh->n++] = durable_sprintf(
            "%s %s %s %s %s %s", durable_event_type_name(e->type), e->id ? e->id : "-",
            e->parent_id ? e->parent_id : "-", e->name ? e->name : "-",
            e->subtype ? e->subtype : "-", e->payload ? e->payload : "-");
        if (e->type == DURABLE_EVENT_CONTEXT_STARTED && e->subtype &&
            strcmp(e->subtype, item_subtype) == 0 && sh->nstarted < 64)
            snprintf(sh->started_items[sh->nstarted++], DURABLE_OP_ID_LEN + 1, "%s", e->id);
    }
    qsort(sh->lines, sh->n, sizeof(char *), cmp_str);
}

static void shape_clear(shape *sh)
{
    for (size_t i = 0; i < sh->n; i++)
        durable_free(sh->lines[i]);
    durable_free(sh->result);
}

static void expect_same_shape(const shape *a, const shape *b)
{
    CU_ASSERT_STRING_EQUAL(a->result, b->result);
    CU_ASSERT_EQUAL(a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        if (strcmp(a->lines[i], b->lines[i]) != 0)
            fprintf(stderr, "event differs:\n  %s\n  %s\n", a->lines[i], b->lines[i]);
        CU_ASSERT_STRING_EQUAL(a->lines[i], b->lines[i]);
    }
    CU_ASSERT_EQUAL(a->nstarted, b->nstarted);
    for (size_t i = 0; i < a->nstarted && i < b->nstarted; i++)
        CU_ASSERT_STRING_EQUAL(a->started_items[i], b->started_items[i]);
}

/* Item i of the batch at root position 1 is the batch's operation i+1. */
static void item_id(char *out, size_t i, const char *suffix)
{
    char path[64];
    snprintf(path, sizeof path, "1-%zu%s", i + 1, suffix ? suffix : "");
    durable_op_id(out, path);
}

/* ---- map: the same ids and results for every max_concurrency ----------------------- */

typedef struct mrun {
    int conc;
    durable_nesting nesting;
    gate g;
    atomic_int body_runs;
    atomic_int fn_runs;
    char *json; /* the BatchResult as the handler saw it last */
} mrun;

static int sq_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    const cJSON *item = user;
    *result = cJSON_CreateNumber(item->valuedouble * item->valuedouble);
    return 0;
}

typedef struct inner_arg {
    const cJSON *item;
    mrun *m;
} inner_arg;

static int inner_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    inner_arg *a = user;
    atomic_fetch_add(&a->m->body_runs, 1);
    *result = cJSON_CreateNumber(a->item->valuedouble + 100);
    return 0;
}

static int inner_child(durable_ctx *c, cJSON **result, void *user)
{
    const cJSON *r = NULL;
    int rc = durable_step(c, &r, "plus", inner_body, user, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(r, 1);
    return rc;
}

static int square_item(durable_ctx *c, cJSON **result, const cJSON *item, size_t index,
                       const cJSON *items, void *user)
{
    (void)index;
    mrun *m = user;
    atomic_fetch_add(&m->fn_runs, 1);
    gate_enter(&m->g);
    if (m->conc > 1)
        gate_barrier(&m->g, cJSON_GetArraySize(items)); /* all items at once, or time out */
    const cJSON *sq = NULL, *plus = NULL;
    int rc = durable_step(c, &sq, "square", sq_body, (void *)item, NULL);
    inner_arg a = {item, m};
    if (rc == 0)
        rc = durable_run_in_child_context(c, &plus, "inner", inner_child, &a, NULL);
    gate_leave(&m->g);
    if (rc)
        return rc;
    *result = cJSON_CreateNumber(sq->valuedouble + plus->valuedouble);
    return 0;
}

static int keep_json(mrun *m, const durable_batch_result *br)
{
    cJSON *j = NULL;
    int rc = durable_batch_result_to_json(&j, br);
    durable_free(m->json);
    m->json = rc == 0 ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return rc;
}

static int square_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    mrun *m = user;
    m->g.handler_thread = pthread_self();
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = m->conc;
    o.nesting = m->nesting;
    const durable_batch_result *br = NULL;
    int rc = durable_map(ctx, &br, "squares", input, square_item, m, &o);
    if (rc)
        return rc;
    if ((rc = keep_json(m, br)) != 0)
        return rc;
    /* suspend once after the map, so its result is also replayed */
    if ((rc = durable_wait(ctx, NULL, 1)) != 0)
        return rc;
    *out = cJSON_Duplicate(durable_batch_result_results(br), 1);
    return 0;
}

static void run_squares(mrun *m, int conc, durable_nesting nesting, shape *sh)
{
    memset(m, 0, sizeof(*m));
    gate_init(&m->g);
    m->conc = conc;
    m->nesting = nesting;
    env v;
    run_ok(&v, NULL, "[1,2,3,4]", square_handler, m, &m->g, NULL, 2);
    shape_take(sh, &v, nesting == DURABLE_NESTING_FLAT ? "-" : "MapIteration");
    env_close(&v);
}

static void test_map_ids_and_results_identical_for_1_and_4(void)
{
    mrun a, b;
    shape sa, sb;
    run_squares(&a, 1, DURABLE_NESTING_NESTED, &sa);
    run_squares(&b, 4, DURABLE_NESTING_NESTED, &sb);
    CU_ASSERT_STRING_EQUAL(sa.result, "[102,106,112,120]");
    expect_same_shape(&sa, &sb);
    /* items started in index order: item i = 1-(i+1) */
    CU_ASSERT_EQUAL(sa.nstarted, 4);
    for (size_t i = 0; i < sa.nstarted; i++) {
        char id[DURABLE_OP_ID_LEN + 1];
        item_id(id, i, NULL);
        CU_ASSERT_STRING_EQUAL(sa.started_items[i], id);
    }
    /* 1: every item on the handler's thread, one at a time;
     * 4: all four at once (the barrier), none on the handler's thread */
    CU_ASSERT_EQUAL(a.g.max_inside, 1);
    CU_ASSERT_EQUAL(a.g.on_handler_thread, 4); /* completed items do not re-run */
    CU_ASSERT_EQUAL(b.g.max_inside, 4);
    CU_ASSERT_EQUAL(b.g.on_handler_thread, 0);
    /* completed items are not re-run on replay; bodies ran once */
    CU_ASSERT_EQUAL(atomic_load(&a.fn_runs), 4);
    CU_ASSERT_EQUAL(atomic_load(&b.fn_runs), 4);
    CU_ASSERT_EQUAL(atomic_load(&a.body_runs), 4);
    CU_ASSERT_EQUAL(atomic_load(&b.body_runs), 4);
    CU_ASSERT_STRING_EQUAL(a.json, b.json);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.json, "\"completionReason\":\"ALL_COMPLETED\""));
    shape_clear(&sa);
    shape_clear(&sb);
    gate_destroy(&a.g);
    gate_destroy(&b.g);
    durable_free(a.json);
    durable_free(b.json);
}

static void test_map_flat_nesting_concurrent(void)
{
    mrun a, b;
    shape sa, sb;
    run_squares(&a, 1, DURABLE_NESTING_FLAT, &sa);
    run_squares(&b, 4, DURABLE_NESTING_FLAT, &sb);
    CU_ASSERT_STRING_EQUAL(sb.result, "[102,106,112,120]");
    expect_same_shape(&sa, &sb);
    CU_ASSERT_EQUAL(b.g.max_inside, 4);
    /* no item contexts; item i's step is 1-(i+1)-1 with ParentId = the map */
    char map_id[DURABLE_OP_ID_LEN + 1];
    durable_op_id(map_id, "1");
    for (size_t i = 0; i < sb.n; i++)
        CU_ASSERT_PTR_NULL(strstr(sb.lines[i], "MapIteration"));
    for (size_t i = 0; i < 4; i++) {
        char step[DURABLE_OP_ID_LEN + 1], want[256];
        item_id(step, i, "-1");
        snprintf(want, sizeof want, "StepStarted %s %s square Step -", step, map_id);
        bool seen = false;
        for (size_t k = 0; k < sb.n; k++)
            seen = seen || strcmp(sb.lines[k], want) == 0;
        CU_ASSERT(seen);
    }
    CU_ASSERT_EQUAL(atomic_load(&b.body_runs), 4);
    shape_clear(&sa);
    shape_clear(&sb);
    gate_destroy(&a.g);
    gate_destroy(&b.g);
    durable_free(a.json);
    durable_free(b.json);
}

/* ---- parallel: the same, with named and unnamed branches -------------------------------- */

typedef struct prun {
    int conc;
    gate g;
    atomic_int waits_done;
} prun;

static int branch_step_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString((const char *)user);
    return 0;
}

typedef struct branch_arg {
    prun *p;
    const char *text;
    bool suspend; /* waits 5 s before answering */
} branch_arg;

static int branch_fn(durable_ctx *c, cJSON **result, void *user)
{
    branch_arg *b = user;
    gate_enter(&b->p->g);
    if (b->p->conc > 1)
        gate_barrier(&b->p->g, 3);
    gate_leave(&b->p->g);
    const cJSON *r = NULL;
    int rc = durable_step(c, &r, "answer", branch_step_body, (void *)b->text, NULL);
    if (rc == 0 && b->suspend && (rc = durable_wait(c, NULL, 5)) == 0)
        atomic_fetch_add(&b->p->waits_done, 1);
    if (rc)
        return rc;
    *result = cJSON_Duplicate(r, 1);
    return 0;
}

static int par_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    prun *p = user;
    p->g.handler_thread = pthread_self();
    /* the first branch suspends: the others must still finish in the first invocation */
    branch_arg args[3] = {{p, "a", true}, {p, "b", false}, {p, "c", false}};
    durable_branch br[3] = {{NULL, branch_fn, &args[0]},
                            {"second", branch_fn, &args[1]},
                            {NULL, branch_fn, &args[2]}};
    durable_parallel_options o = DURABLE_PARALLEL_OPTIONS_INIT;
    o.max_concurrency = p->conc;
    const durable_batch_result *r = NULL;
    int rc = durable_parallel(ctx, &r, "fan-out", br, 3, &o);
    if (rc)
        return rc;
    CU_ASSERT_STRING_EQUAL(r->items[0].name, "parallel-branch-0");
    CU_ASSERT_STRING_EQUAL(r->items[1].name, "second");
    CU_ASSERT_EQUAL(durable_batch_result_filter(NULL, 0, r, DURABLE_ITEM_SUCCEEDED), 3);
    CU_ASSERT_EQUAL(durable_batch_result_throw_if_error(ctx, r), 0);
    *out = cJSON_Duplicate(durable_batch_result_results(r), 1);
    return 0;
}

static void run_par(prun *p, int conc, shape *sh, env *v)
{
    memset(p, 0, sizeof(*p));
    gate_init(&p->g);
    p->conc = conc;
    run_ok(v, NULL, NULL, par_handler, p, &p->g, NULL, 2);
    CU_ASSERT_EQUAL(atomic_load(&p->waits_done), 1);
    shape_take(sh, v, "ParallelBranch");
}

static void test_parallel_suspended_branch_does_not_stop_siblings(void)
{
    prun a, b;
    shape sa, sb;
    env va, vb;
    run_par(&a, 1, &sa, &va);
    run_par(&b, 4, &sb, &vb);
    CU_ASSERT_STRING_EQUAL(sa.result, "[\"a\",\"b\",\"c\"]");
    expect_same_shape(&sa, &sb);
    CU_ASSERT_EQUAL(b.g.max_inside, 3);
    CU_ASSERT_EQUAL(b.g.on_handler_thread, 0);
    /* Concurrency 4: the siblings of the suspended branch completed in the
     * first invocation (before its InvocationCompleted). */
    size_t first_end = 0, succeeded_before = 0;
    for (size_t i = 0; i < vb.history.count && !first_end; i++)
        if (vb.history.events[i].type == DURABLE_EVENT_INVOCATION_COMPLETED)
            first_end = i;
    for (size_t i = 0; i < first_end; i++) {
        const durable_event *e = &vb.history.events[i];
        succeeded_before += e->type == DURABLE_EVENT_CONTEXT_SUCCEEDED && e->subtype &&
                            strcmp(e->subtype, "ParallelBranch") == 0;
    }
    CU_ASSERT_EQUAL(succeeded_before, 2);
    shape_clear(&sa);
    shape_clear(&sb);
    env_close(&va);
    env_close(&vb);
    gate_destroy(&a.g);
    gate_destroy(&b.g);
}

/* ---- completion configs decided while items run --------------------------------------- */

/* Item i follows plan[i]: 'S' succeeds; 'F' fails once every 'S' item has
 * ended (so the outcome does not depend on timing); 'W' suspends (a wait). */
typedef struct crun {
    const char *plan;
    int conc;
    durable_completion_config cc;
    gate g;
    char *json;
} crun;

static int plan_item(durable_ctx *c, cJSON **result, const cJSON *item, size_t index,
                     const cJSON *items, void *user)
{
    crun *r = user;
    int n = cJSON_GetArraySize(items);
    if (r->conc > 1)
        gate_barrier(&r->g, n);
    char k = r->plan[index];
    if (k == 'W')
        return durable_wait(c, NULL, 60);
    if (k == 'F') {
        if (r->conc > 1) {
            int want = 0;
            for (const char *p = r->plan; *p; p++)
                want += *p == 'S';
            pthread_mutex_lock(&r->g.mu);
            gate_until(&r->g, &r->g.successes, want);
            pthread_mutex_unlock(&r->g.mu);
        }
        return durable_ctx_fail(c, "ItemError", "item failed", NULL);
    }
    *result = cJSON_Duplicate(item, 1);
    return 0;
}

static int plan_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    crun *r = user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = r->conc;
    o.completion = r->cc;
    const durable_batch_result *br = NULL;
    int rc = durable_map(ctx, &br, "plan", input, plan_item, r, &o);
    if (rc)
        return rc;
    cJSON *j = NULL;
    if ((rc = durable_batch_result_to_json(&j, br)) != 0)
        return rc;
    durable_free(r->json);
    r->json = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    *out = cJSON_CreateString(durable_completion_reason_name(br->completion_reason));
    return 0;
}

/* Run plan over [0..n) with cc; expect the reason and the counts. */
static void completion_case(const char *plan, int conc, durable_completion_config cc,
                            const char *reason, int ok, int failed, int started)
{
    crun r;
    memset(&r, 0, sizeof(r));
    gate_init(&r.g);
    r.plan = plan;
    r.conc = conc;
    r.cc = cc;
    durable_plugin pl = {"count-successes", &r.g};
    pl.user_function_end = count_success;
    char input[64] = "[";
    for (size_t i = 0; plan[i]; i++)
        snprintf(input + strlen(input), sizeof input - strlen(input), "%s%zu", i ? "," : "", i);
    strcat(input, "]");
    env v;
    /* one invocation: decided without waiting for suspended items */
    run_ok(&v, &pl, input, plan_handler, &r, &r.g, NULL, 1);
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", reason);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.info.result);
    if (strcmp(v.info.result, want) != 0)
        fprintf(stderr, "plan %s conc %d: %s (want %s)\n", plan, conc,
                r.json ? r.json : "?", reason);
    CU_ASSERT_STRING_EQUAL(v.info.result, want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.json);
    char counts[160];
    snprintf(counts, sizeof counts,
             "\"successCount\":%d,\"failureCount\":%d,\"startedCount\":%d,\"totalCount\":%d", ok,
             failed, started, ok + failed + started);
    if (!strstr(r.json, counts))
        fprintf(stderr, "plan %s conc %d: %s (want %s)\n", plan, conc, r.json, counts);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.json, counts));
    /* the parent always succeeds; item contexts: one START per started item */
    size_t item_starts = 0, parent_ok = 0;
    for (size_t i = 0; i < v.history.count; i++) {
        const durable_event *e = &v.history.events[i];
        item_starts += e->type == DURABLE_EVENT_CONTEXT_STARTED && e->subtype &&
                       strcmp(e->subtype, "MapIteration") == 0;
        parent_ok += e->type == DURABLE_EVENT_CONTEXT_SUCCEEDED && e->subtype &&
                     strcmp(e->subtype, "Map") == 0;
    }
    CU_ASSERT_EQUAL(item_starts, (size_t)(ok + failed + started));
    CU_ASSERT_EQUAL(parent_ok, 1);
    env_close(&v);
    durable_free(r.json);
    gate_destroy(&r.g);
}

static durable_completion_config config(int64_t min_ok, int64_t tolerated, double pct)
{
    durable_completion_config c = DURABLE_COMPLETION_CONFIG_INIT;
    c.min_successful = min_ok;
    c.tolerated_failure_count = tolerated;
    c.tolerated_failure_percentage = pct;
    return c;
}

/* Sequential: items start one after the other, so the batch stops starting
 * items as soon as it is decided. */
static void test_completion_sequential(void)
{
    durable_completion_config none = DURABLE_COMPLETION_CONFIG_INIT;
    /* no config: stop on the first failure (item 1) → 2 started */
    completion_case("SFSS", 1, none, "FAILURE_TOLERANCE_EXCEEDED", 1, 1, 0);
    /* tolerated 0: fail-fast at item 0 */
    completion_case("FSSS", 1, config(DURABLE_ABSENT, 0, -1), "FAILURE_TOLERANCE_EXCEEDED", 0,
                    1, 0);
    /* 25 % of 4: one failure is not > 25 */
    completion_case("FSSS", 1, config(DURABLE_ABSENT, DURABLE_ABSENT, 25), "ALL_COMPLETED", 3,
                    1, 0);
    /* two failures: 50 % > 25 → exceeded at the second failure (item 2) */
    completion_case("FSFS", 1, config(DURABLE_ABSENT, DURABLE_ABSENT, 25),
                    "FAILURE_TOLERANCE_EXCEEDED", 1, 2, 0);
    /* min successful 2 → items 2 and 3 never start */
    completion_case("SSWW", 1, config(2, DURABLE_ABSENT, -1), "MIN_SUCCESSFUL_REACHED", 2, 0, 0);
    /* a suspended item holds the only slot: min successful reached later? no:
     * item 0 suspends, so nothing else starts and the batch suspends */
}

/* Concurrency 4: all items start before any ends (barrier); the failing
 * items fail only after the succeeding ones ended. */
static void test_completion_concurrent(void)
{
    durable_completion_config none = DURABLE_COMPLETION_CONFIG_INIT;
    completion_case("SFSS", 4, none, "FAILURE_TOLERANCE_EXCEEDED", 3, 1, 0);
    completion_case("SFSS", 4, config(DURABLE_ABSENT, 0, -1), "FAILURE_TOLERANCE_EXCEEDED", 3, 1,
                    0);
    completion_case("FSSS", 4, config(DURABLE_ABSENT, DURABLE_ABSENT, 25), "ALL_COMPLETED", 3,
                    1, 0);
    completion_case("FSFS", 4, config(DURABLE_ABSENT, DURABLE_ABSENT, 25),
                    "FAILURE_TOLERANCE_EXCEEDED", 2, 2, 0);
    /* min successful 2 while two items are suspended: decided at once, the
     * suspended items are left STARTED and do not hold the execution */
    completion_case("WSWS", 4, config(2, DURABLE_ABSENT, -1), "MIN_SUCCESSFUL_REACHED", 2, 0, 2);
    /* 1 of 4 tolerated: the second failure exceeds it */
    completion_case("FSFS", 4, config(DURABLE_ABSENT, 1, -1), "FAILURE_TOLERANCE_EXCEEDED", 2, 2,
                    0);
}

/* ---- a decided batch stops its running items ------------------------------------------ */

typedef struct stop_run {
    gate g;
    atomic_int steps_after_decision;
    atomic_int pending_seen;
} stop_run;

static int noop_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateTrue();
    return 0;
}

/* Item 0 succeeds at once (min successful 1); item 1 waits until item 0's
 * function ended, then keeps running steps: the first one after the
 * decision returns PENDING and the item ends STARTED. */
static int racer(durable_ctx *c, cJSON **result, void *user)
{
    stop_run *s = user;
    const char *me = durable_ctx_operation_id(c);
    char first[DURABLE_OP_ID_LEN + 1];
    item_id(first, 0, NULL);
    gate_barrier(&s->g, 2);
    if (strcmp(me, first) == 0) {
        *result = cJSON_CreateString("winner");
        return 0;
    }
    pthread_mutex_lock(&s->g.mu);
    gate_until(&s->g, &s->g.successes, 1);
    pthread_mutex_unlock(&s->g.mu);
    for (int i = 0; i < 10000; i++) {
        int rc = durable_step(c, NULL, NULL, noop_body, NULL, NULL);
        if (rc == DURABLE_PENDING) {
            atomic_fetch_add(&s->pending_seen, 1);
            return rc;
        }
        if (rc)
            return rc;
        atomic_fetch_add(&s->steps_after_decision, 1);
        /* Leave the coordinator room to run: under valgrind, which runs one
         * thread at a time, a busy item could otherwise finish all its steps
         * before the coordinator is scheduled to decide. */
        nanosleep(&(struct timespec){ 0, 200 * 1000 }, NULL);
    }
    *result = cJSON_CreateString("too late");
    return 0;
}

static int race_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    durable_branch b[2] = {{"fast", racer, user}, {"slow", racer, user}};
    durable_parallel_options o = DURABLE_PARALLEL_OPTIONS_INIT;
    o.completion.min_successful = 1;
    const durable_batch_result *br = NULL;
    int rc = durable_parallel(ctx, &br, "race", b, 2, &o);
    if (rc)
        return rc;
    CU_ASSERT_EQUAL(br->completion_reason, DURABLE_MIN_SUCCESSFUL_REACHED);
    CU_ASSERT_EQUAL(br->success_count, 1);
    CU_ASSERT_EQUAL(br->started_count, 1);
    *out = cJSON_Duplicate(durable_batch_result_results(br), 1);
    return 0;
}

static void test_decided_batch_stops_running_items(void)
{
    stop_run s;
    memset(&s, 0, sizeof(s));
    gate_init(&s.g);
    durable_plugin pl = {"count-successes", &s.g};
    pl.user_function_end = count_success;
    env v;
    run_ok(&v, &pl, NULL, race_handler, &s, &s.g, "[\"winner\"]", 1);
    CU_ASSERT_EQUAL(atomic_load(&s.pending_seen), 1);
    CU_ASSERT(atomic_load(&s.steps_after_decision) < 10000);
    /* the slow branch's context is never completed */
    char slow[DURABLE_OP_ID_LEN + 1];
    item_id(slow, 1, NULL);
    for (size_t i = 0; i < v.history.count; i++) {
        const durable_event *e = &v.history.events[i];
        if (e->id && strcmp(e->id, slow) == 0)
            CU_ASSERT_EQUAL(e->type, DURABLE_EVENT_CONTEXT_STARTED);
    }
    env_close(&v);
    gate_destroy(&s.g);
}

/* ---- empty input ------------------------------------------------------------------------ */

static void test_map_empty_input(void)
{
    for (int conc = 1; conc <= 4; conc += 3) {
        crun r;
        memset(&r, 0, sizeof(r));
        gate_init(&r.g);
        r.plan = "";
        r.conc = conc;
        r.cc = (durable_completion_config)DURABLE_COMPLETION_CONFIG_INIT;
        env v;
        run_ok(&v, NULL, "[]", plan_handler, &r, &r.g, "\"ALL_COMPLETED\"", 1);
        durable_event_type want[] = {DURABLE_EVENT_EXECUTION_STARTED, DURABLE_EVENT_CONTEXT_STARTED,
                                     DURABLE_EVENT_CONTEXT_SUCCEEDED,
                                     DURABLE_EVENT_INVOCATION_COMPLETED,
                                     DURABLE_EVENT_EXECUTION_SUCCEEDED};
        env_expect_events(&v, want, 5);
        env_close(&v);
        durable_free(r.json);
        gate_destroy(&r.g);
    }
}

/* ---- ReplayChildren on items (results over 256 KiB) ------------------------------------ */

#define BIG (150 * 1024)

typedef struct big_run {
    int conc;
    gate g;
    atomic_int fn_runs, body_runs;
    size_t len[2];
} big_run;

static int half_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    big_run *b = user;
    atomic_fetch_add(&b->body_runs, 1);
    char *s = durable_malloc(BIG + 1);
    if (!s)
        return DURABLE_ENOMEM;
    memset(s, 'a' + durable_step_attempt(sctx), BIG);
    s[BIG] = '\0';
    *result = cJSON_CreateString(s);
    durable_free(s);
    return 0;
}

/* Two 150 KiB steps: the item's result (300 KiB) exceeds 256 KiB. */
static int big_item(durable_ctx *c, cJSON **result, const cJSON *item, size_t index,
                    const cJSON *items, void *user)
{
    (void)item;
    (void)index;
    (void)items;
    big_run *b = user;
    atomic_fetch_add(&b->fn_runs, 1);
    if (b->conc > 1)
        gate_barrier(&b->g, 2);
    const cJSON *x = NULL, *y = NULL;
    int rc = durable_step(c, &x, "x", half_body, b, NULL);
    if (rc == 0)
        rc = durable_step(c, &y, "y", half_body, b, NULL);
    if (rc)
        return rc;
    char *s = durable_sprintf("%s%s", x->valuestring, y->valuestring);
    *result = cJSON_CreateString(s);
    durable_free(s);
    return 0;
}

static int big_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    big_run *b = user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = b->conc;
    const durable_batch_result *br = NULL;
    int rc = durable_map(ctx, &br, "big", input, big_item, b, &o);
    if (rc)
        return rc;
    for (size_t i = 0; i < 2 && i < br->count; i++)
        b->len[i] = cJSON_IsString(br->items[i].result) ? strlen(br->items[i].result->valuestring)
                                                        : 0;
    if ((rc = durable_wait(ctx, NULL, 1)) != 0)
        return rc;
    *out = cJSON_CreateNumber((double)br->success_count);
    return 0;
}

static void test_map_items_replay_children_over_256k(void)
{
    for (int conc = 1; conc <= 4; conc += 3) {
        big_run b;
        memset(&b, 0, sizeof(b));
        gate_init(&b.g);
        b.conc = conc;
        env v;
        run_ok(&v, NULL, "[0,1]", big_handler, &b, &b.g, "2", 2);
        /* the replay rebuilt both results by re-running the item functions,
         * with every step replayed (bodies ran once) */
        CU_ASSERT_EQUAL(atomic_load(&b.fn_runs), 4);
        CU_ASSERT_EQUAL(atomic_load(&b.body_runs), 4);
        CU_ASSERT_EQUAL(b.len[0], 2 * BIG);
        CU_ASSERT_EQUAL(b.len[1], 2 * BIG);
        size_t rc_items = 0;
        for (size_t i = 0; i < v.history.count; i++) {
            const durable_event *e = &v.history.events[i];
            if (e->type == DURABLE_EVENT_CONTEXT_SUCCEEDED && e->subtype &&
                strcmp(e->subtype, "MapIteration") == 0) {
                rc_items++;
                CU_ASSERT(e->payload == NULL || e->payload[0] == '\0');
            }
        }
        CU_ASSERT_EQUAL(rc_items, 2);
        env_close(&v);
        gate_destroy(&b.g);
    }
}

/* ---- custom item namer and item serdes --------------------------------------------------- */

static int name_by_value(char **out, const cJSON *item, size_t index, void *user)
{
    (void)index;
    (void)user;
    *out = durable_sprintf("job-%s", cJSON_GetStringValue(item));
    return *out ? 0 : DURABLE_ENOMEM;
}

/* Stores "<TEXT>" for a string, verbatim (not JSON); reads it back. */
static int angle_serialize(char **out, const cJSON *v, const durable_serdes_context *sctx,
                           void *user)
{
    (void)sctx;
    atomic_fetch_add((atomic_int *)user, 1);
    *out = durable_sprintf("<%s>", cJSON_IsString(v) ? v->valuestring : "?");
    return *out ? 0 : DURABLE_ENOMEM;
}

static int angle_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                             void *user)
{
    (void)sctx;
    (void)user;
    size_t n = text ? strlen(text) : 0;
    if (n < 2 || text[0] != '<' || text[n - 1] != '>')
        return DURABLE_EPARSE;
    char *inner = durable_sprintf("%.*s", (int)(n - 2), text + 1);
    *out = cJSON_CreateString(inner);
    durable_free(inner);
    return 0;
}

typedef struct named_run {
    int conc;
    gate g;
    atomic_int serialized;
    char seen[2][3][32]; /* per invocation, the results as the handler saw them */
    int invocation;
} named_run;

static int upper_item(durable_ctx *c, cJSON **result, const cJSON *item, size_t index,
                      const cJSON *items, void *user)
{
    (void)c;
    (void)index;
    named_run *n = user;
    if (n->conc > 1)
        gate_barrier(&n->g, cJSON_GetArraySize(items));
    char buf[32];
    snprintf(buf, sizeof buf, "%s", cJSON_GetStringValue(item));
    for (char *p = buf; *p; p++)
        *p = (char)(*p - 'a' + 'A');
    *result = cJSON_CreateString(buf);
    return 0;
}

static int named_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    named_run *n = user;
    durable_serdes sd = {angle_serialize, angle_deserialize, &n->serialized};
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = n->conc;
    o.item_namer = name_by_value;
    o.item_serdes = &sd;
    const durable_batch_result *br = NULL;
    int rc = durable_map(ctx, &br, "shout", input, upper_item, n, &o);
    if (rc)
        return rc;
    int inv = n->invocation++;
    for (size_t i = 0; i < 3 && i < br->count && inv < 2; i++) {
        snprintf(n->seen[inv][i], 32, "%s:%s", br->items[i].name,
                 cJSON_GetStringValue(br->items[i].result));
    }
    if ((rc = durable_wait(ctx, NULL, 1)) != 0)
        return rc;
    *out = cJSON_Duplicate(durable_batch_result_results(br), 1);
    return 0;
}

static void test_map_item_namer_and_serdes(void)
{
    for (int conc = 1; conc <= 4; conc += 3) {
        named_run n;
        memset(&n, 0, sizeof(n));
        gate_init(&n.g);
        n.conc = conc;
        env v;
        run_ok(&v, NULL, "[\"ab\",\"cd\",\"ef\"]", named_handler, &n, &n.g,
               "[\"AB\",\"CD\",\"EF\"]", 2);
        CU_ASSERT_EQUAL(atomic_load(&n.serialized), 3); /* once per item, never on replay */
        static const char *const want[3] = {"job-ab:AB", "job-cd:CD", "job-ef:EF"};
        for (int inv = 0; inv < 2; inv++)
            for (int i = 0; i < 3; i++)
                CU_ASSERT_STRING_EQUAL(n.seen[inv][i], want[i]);
        /* names on the item contexts; payloads stored verbatim */
        size_t named = 0, verbatim = 0;
        for (size_t i = 0; i < v.history.count; i++) {
            const durable_event *e = &v.history.events[i];
            if (!e->subtype || strcmp(e->subtype, "MapIteration") != 0)
                continue;
            named += e->name && strncmp(e->name, "job-", 4) == 0;
            verbatim += e->type == DURABLE_EVENT_CONTEXT_SUCCEEDED && e->payload &&
                        e->payload[0] == '<';
        }
        CU_ASSERT_EQUAL(named, 6);
        CU_ASSERT_EQUAL(verbatim, 3);
        env_close(&v);
        gate_destroy(&n.g);
    }
}

/* ---- the thread cap: many items, at most DURABLE_MAX_ITEM_THREADS running -------- */

#define MANY_ITEMS 3000

typedef struct many_run {
    int conc;
    bool suspend;       /* each item waits 1 s first */
    atomic_int inside;  /* item functions running now */
    atomic_int peak;    /* the most that ever ran at once */
    atomic_int calls;   /* item function calls, every invocation */
    atomic_bool timed_out;
} many_run;

static void many_enter(many_run *m)
{
    int now = atomic_fetch_add(&m->inside, 1) + 1;
    int peak = atomic_load(&m->peak);
    while (now > peak && !atomic_compare_exchange_weak(&m->peak, &peak, now))
        ;
}

/* Hold the item until the peak reached the cap (so the cap is really
 * used), or time out; then linger 2 ms, long enough for the coordinator to
 * start many more items if nothing held it back (so passing the cap would
 * be seen). */
static void many_hold(many_run *m, int target)
{
    struct timespec start, now, nap = {0, 100000}, linger = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&m->peak) < target && !atomic_load(&m->timed_out)) {
        nanosleep(&nap, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > GATE_TIMEOUT_S)
            atomic_store(&m->timed_out, true);
    }
    nanosleep(&linger, NULL);
}

static int many_item(durable_ctx *c, cJSON **result, const cJSON *item, size_t index,
                     const cJSON *items, void *user)
{
    (void)items;
    many_run *m = user;
    atomic_fetch_add(&m->calls, 1);
    many_enter(m);
    many_hold(m, DURABLE_MAX_ITEM_THREADS);
    atomic_fetch_sub(&m->inside, 1);
    if (m->suspend) {
        int rc = durable_wait(c, NULL, 1);
        if (rc)
            return rc;
    }
    *result = cJSON_CreateNumber(item->valuedouble * 2 + (double)(index % 2));
    return 0;
}

static int many_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    many_run *m = user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = m->conc;
    const durable_batch_result *br = NULL;
    int rc = durable_map(ctx, &br, "many", input, many_item, m, &o);
    if (rc)
        return rc;
    if (br->completion_reason != DURABLE_ALL_COMPLETED ||
        br->success_count != (size_t)cJSON_GetArraySize(input))
        return durable_ctx_fail(ctx, "WrongBatch", "not every item succeeded", NULL);
    *out = cJSON_Duplicate(durable_batch_result_results(br), 1);
    return 0;
}

/* "[0,1,…,n-1]" and the expected results "[0,3,4,7,…]" (item*2 + index%2). */
static void many_json(char **input, char **want, size_t n)
{
    cJSON *in = cJSON_CreateArray(), *w = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(in, cJSON_CreateNumber((double)i));
        cJSON_AddItemToArray(w, cJSON_CreateNumber((double)(i * 2 + i % 2)));
    }
    *input = cJSON_PrintUnformatted(in);
    *want = cJSON_PrintUnformatted(w);
    cJSON_Delete(in);
    cJSON_Delete(w);
}

/* MapIteration ContextStarted events before the first InvocationCompleted. */
static size_t items_started_in_first_invocation(const env *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->history.count; i++) {
        const durable_event *e = &v->history.events[i];
        if (e->type == DURABLE_EVENT_INVOCATION_COMPLETED)
            break;
        n += e->type == DURABLE_EVENT_CONTEXT_STARTED && e->subtype &&
             strcmp(e->subtype, "MapIteration") == 0;
    }
    return n;
}

static void test_map_unlimited_many_items_bounded_threads(void)
{
    many_run m;
    memset(&m, 0, sizeof(m));
    m.conc = DURABLE_UNLIMITED;
    char *input = NULL, *want = NULL;
    many_json(&input, &want, MANY_ITEMS);
    env v;
    env_open(&v);
    env_run(&v, input, many_handler, &m, 3);
    CU_ASSERT_FALSE(atomic_load(&m.timed_out));
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, 1); /* every item started and ended in one invocation */
    CU_ASSERT_PTR_NOT_NULL(v.info.result);
    if (v.info.result)
        CU_ASSERT_STRING_EQUAL(v.info.result, want);
    CU_ASSERT_EQUAL(atomic_load(&m.calls), MANY_ITEMS);
    /* the cap was reached (items held until it was) and never passed */
    CU_ASSERT_EQUAL(atomic_load(&m.peak), DURABLE_MAX_ITEM_THREADS);
    env_close(&v);
    durable_free(input);
    durable_free(want);
}

/* Suspended items leave their threads: unlimited, 200 waiting items all
 * start in the first invocation; a finite max_concurrency above the cap
 * counts suspended items as active (SPEC §10.10), so exactly that many
 * start in the first invocation. */
static void run_many_suspending(int conc, size_t n, size_t first, int invocations)
{
    many_run m;
    memset(&m, 0, sizeof(m));
    m.conc = conc;
    m.suspend = true;
    char *input = NULL, *want = NULL;
    many_json(&input, &want, n);
    env v;
    env_open(&v);
    env_run(&v, input, many_handler, &m, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL(v.invocations, invocations);
    if (v.info.result)
        CU_ASSERT_STRING_EQUAL(v.info.result, want);
    CU_ASSERT_EQUAL(items_started_in_first_invocation(&v), first);
    CU_ASSERT_FALSE(atomic_load(&m.timed_out));
    CU_ASSERT_EQUAL(atomic_load(&m.peak), DURABLE_MAX_ITEM_THREADS);
    env_close(&v);
    durable_free(input);
    durable_free(want);
}

static void test_map_suspended_items_free_their_threads(void)
{
    CU_ASSERT(200 > DURABLE_MAX_ITEM_THREADS && 100 > DURABLE_MAX_ITEM_THREADS);
    run_many_suspending(DURABLE_UNLIMITED, 200, 200, 2);
    /* 100 active (suspended) hold every slot; the last 100 start in the
     * second invocation once the first 100 finished */
    run_many_suspending(100, 200, 100, 3);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_parallel");
    DT_ADD(s, test_map_ids_and_results_identical_for_1_and_4);
    DT_ADD(s, test_map_flat_nesting_concurrent);
    DT_ADD(s, test_parallel_suspended_branch_does_not_stop_siblings);
    DT_ADD(s, test_completion_sequential);
    DT_ADD(s, test_completion_concurrent);
    DT_ADD(s, test_decided_batch_stops_running_items);
    DT_ADD(s, test_map_empty_input);
    DT_ADD(s, test_map_items_replay_children_over_256k);
    DT_ADD(s, test_map_item_namer_and_serdes);
    DT_ADD(s, test_map_unlimited_many_items_bounded_threads);
    DT_ADD(s, test_map_suspended_items_free_their_threads);
    return dt_run();
}
