/* The checkpoint batcher (src/sdk/batcher.h): the pure ordering as seeded
 * properties, and the batcher itself against the mock client and a
 * recording client — limits per call, preservation across calls, every
 * request answered under concurrency, token hand-off, token errors,
 * throttling retries with their backoff schedule, sync latency, orphans,
 * the closed execution. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durable/client.h"
#include "model/internal.h"
#include "model/json_util.h"
#include "sdk/batcher.h"
#include "support/testutil.h"

#define ARN "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/e1"
#define CASES 100

/* ---- helpers ---------------------------------------------------------------------- */

static durable_operation_update mk(durable_op_type t, durable_op_action a, const char *id,
                                   const char *parent, const char *tag, size_t payload_len)
{
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.type = t;
    u.action = a;
    u.id = durable__strdup(id);
    u.parent_id = durable__strdup(parent);
    u.name = durable__strdup(tag);
    if (payload_len) {
        u.payload = durable__malloc(payload_len + 1);
        memset(u.payload, 'x', payload_len);
        u.payload[payload_len] = '\0';
    }
    return u;
}

static size_t json_len(const durable_operation_update *u)
{
    cJSON *j = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_operation_update_to_json(&j, u), 0);
    char *t = durable_json_print(j);
    size_t n = strlen(t);
    durable_free(t);
    cJSON_Delete(j);
    return n;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const durable_mock_call *call(durable_mock_client *m, size_t i)
{
    return durable_mock_client_call(m, i);
}

static durable__batcher_options fast_opts(void)
{
    durable__batcher_options o = DURABLE__BATCHER_OPTIONS_INIT;
    o.backoff_initial_ms = 1;
    o.backoff_max_ms = 4;
    return o;
}

/* ==== the pure sort ================================================================== */

/* A generated forest: nodes with a ground-truth parent; "external" nodes are
 * contexts known only through the lookup (started in an earlier call). */
typedef struct node {
    char id[16];
    int parent; /* index, -1 = root */
    bool external;
    durable_op_type type;
} node;

typedef struct forest {
    node nodes[32];
    int count;
} forest;

static const char *forest_parent(void *user, const char *id)
{
    forest *f = user;
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->nodes[i].id, id) == 0)
            return f->nodes[i].parent >= 0 ? f->nodes[f->nodes[i].parent].id : NULL;
    return NULL;
}

static int node_index(const forest *f, const char *id)
{
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->nodes[i].id, id) == 0)
            return i;
    return -1;
}

/* Does the ancestor chain of update u (ground truth) contain node c? */
static bool has_ancestor(const forest *f, const durable_operation_update *u, int c)
{
    int p = u->parent_id ? node_index(f, u->parent_id) : -1;
    while (p >= 0) {
        if (p == c)
            return true;
        p = f->nodes[p].parent;
    }
    return false;
}

static bool is_completion_of_exec(const durable_operation_update *u)
{
    return u->type == DURABLE_OP_EXECUTION && u->action != DURABLE_ACTION_START;
}

/* A random batch in random order: *n updates into u (room for 96). */
static void gen_batch(dt_rng *r, forest *f, durable_operation_update *u, size_t *n, bool with_exec)
{
    memset(f, 0, sizeof *f);
    *n = 0;
    int k = 1 + (int)dt_rng_below(r, 14);
    for (int i = 0; i < k; i++) {
        node *nd = &f->nodes[f->count];
        nd->external = dt_rng_below(r, 5) == 0;
        snprintf(nd->id, sizeof nd->id, "%s%d", nd->external ? "ext" : "op", i);
        nd->parent = -1;
        if (f->count > 0 && dt_rng_below(r, 10) < 7) {
            int p = (int)dt_rng_below(r, (uint64_t)f->count);
            if (f->nodes[p].type == DURABLE_OP_CONTEXT)
                nd->parent = p;
        }
        static const durable_op_type types[] = {DURABLE_OP_CONTEXT, DURABLE_OP_CONTEXT,
                                                DURABLE_OP_STEP, DURABLE_OP_WAIT,
                                                DURABLE_OP_CALLBACK};
        nd->type = nd->external ? DURABLE_OP_CONTEXT : types[dt_rng_below(r, 5)];
        f->count++;
        if (nd->external)
            continue;
        const char *parent = nd->parent >= 0 ? f->nodes[nd->parent].id : NULL;
        bool start = dt_rng_below(r, 100) < 85;
        bool done = !start || dt_rng_below(r, 100) < 60;
        char tag[24];
        if (start) {
            snprintf(tag, sizeof tag, "t%zu", *n);
            u[(*n)++] = mk(nd->type, DURABLE_ACTION_START, nd->id, parent, tag, 0);
        }
        if (done) {
            durable_op_action a = DURABLE_ACTION_SUCCEED;
            if (nd->type == DURABLE_OP_STEP || nd->type == DURABLE_OP_CONTEXT)
                a = (durable_op_action)(DURABLE_ACTION_SUCCEED + dt_rng_below(r, 2));
            if (nd->type == DURABLE_OP_STEP && dt_rng_below(r, 4) == 0)
                a = DURABLE_ACTION_RETRY;
            snprintf(tag, sizeof tag, "t%zu", *n);
            u[(*n)++] = mk(nd->type, a, nd->id, parent, tag, dt_rng_below(r, 3));
        }
    }
    if (with_exec) {
        char tag[24];
        snprintf(tag, sizeof tag, "t%zu", *n);
        u[(*n)++] = mk(DURABLE_OP_EXECUTION,
                       dt_rng_below(r, 2) ? DURABLE_ACTION_SUCCEED : DURABLE_ACTION_FAIL, "exec",
                       NULL, tag, 2);
    }
    /* Fisher-Yates: the input order breaks the rules as often as not. */
    for (size_t i = *n; i > 1; i--) {
        size_t j = dt_rng_below(r, i);
        durable_operation_update t = u[i - 1];
        u[i - 1] = u[j];
        u[j] = t;
    }
}

static void free_batch(durable_operation_update *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        durable_operation_update_clear(&u[i]);
}

/* Check the ordering rules on a sorted batch; returns true if all hold. */
static bool rules_hold(const forest *f, const durable_operation_update *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (is_completion_of_exec(&u[i]) && i != n - 1)
            return false;
        if (u[i].type == DURABLE_OP_CONTEXT && u[i].action == DURABLE_ACTION_START) {
            int c = node_index(f, u[i].id);
            for (size_t j = 0; j < i; j++)
                if (has_ancestor(f, &u[j], c))
                    return false;
        }
        if (u[i].action == DURABLE_ACTION_START)
            for (size_t j = 0; j < i; j++)
                if (strcmp(u[j].id, u[i].id) == 0 && u[j].action != DURABLE_ACTION_START)
                    return false;
    }
    return true;
}

static void test_sort_parent_context_start_before_descendants(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x51);
    int with_chain = 0;
    for (int cs = 0; cs < CASES * 3; cs++) {
        forest f;
        durable_operation_update u[96];
        size_t n;
        gen_batch(&r, &f, u, &n, false);
        durable__batcher_sort(u, n, forest_parent, &f);
        for (size_t i = 0; i < n; i++) {
            if (u[i].type != DURABLE_OP_CONTEXT || u[i].action != DURABLE_ACTION_START)
                continue;
            int c = node_index(&f, u[i].id);
            for (size_t j = 0; j < n; j++) {
                if (!has_ancestor(&f, &u[j], c))
                    continue;
                DT_PROP(j > i, seed, cs);
                /* A descendant deeper than a child: the chain rule, not just ParentId. */
                if (strcmp(u[j].parent_id, u[i].id) != 0)
                    with_chain++;
            }
        }
        free_batch(u, n);
    }
    /* The generator must actually exercise grandchildren. */
    CU_ASSERT(with_chain > 0);
}

static void test_sort_through_known_parent_lookup(void)
{
    /* ctx A started in this batch; X started earlier (known only through the
     * lookup) under A; a child of X must follow A's START. */
    forest f;
    memset(&f, 0, sizeof f);
    f.count = 2;
    snprintf(f.nodes[0].id, 16, "A");
    f.nodes[0].parent = -1;
    f.nodes[0].type = DURABLE_OP_CONTEXT;
    snprintf(f.nodes[1].id, 16, "X");
    f.nodes[1].parent = 0;
    f.nodes[1].external = true;
    durable_operation_update u[2] = {mk(DURABLE_OP_STEP, DURABLE_ACTION_START, "s", "X", "s", 0),
                                     mk(DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "A", NULL, "a", 0)};
    durable__batcher_sort(u, 2, forest_parent, &f);
    CU_ASSERT_STRING_EQUAL(u[0].id, "A");
    CU_ASSERT_STRING_EQUAL(u[1].id, "s");
    /* Without the lookup nothing links s to A: queue order stays. */
    durable__batcher_sort(u, 2, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(u[0].id, "A");
    durable_operation_update t = u[0];
    u[0] = u[1];
    u[1] = t;
    durable__batcher_sort(u, 2, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(u[0].id, "s");
    free_batch(u, 2);
}

static void test_sort_execution_completion_last(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x52);
    for (int cs = 0; cs < CASES; cs++) {
        forest f;
        durable_operation_update u[96];
        size_t n;
        gen_batch(&r, &f, u, &n, true);
        durable__batcher_sort(u, n, forest_parent, &f);
        DT_PROP(is_completion_of_exec(&u[n - 1]), seed, cs);
        for (size_t i = 0; i + 1 < n; i++)
            DT_PROP(!is_completion_of_exec(&u[i]), seed, cs);
        free_batch(u, n);
    }
}

static void test_sort_start_before_completion(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x53);
    int pairs = 0;
    for (int cs = 0; cs < CASES; cs++) {
        forest f;
        durable_operation_update u[96];
        size_t n;
        gen_batch(&r, &f, u, &n, dt_rng_below(&r, 2));
        durable__batcher_sort(u, n, forest_parent, &f);
        for (size_t i = 0; i < n; i++) {
            if (u[i].action == DURABLE_ACTION_START)
                continue;
            for (size_t j = 0; j < n; j++) {
                if (u[j].action == DURABLE_ACTION_START && strcmp(u[j].id, u[i].id) == 0) {
                    DT_PROP(j < i, seed, cs);
                    pairs++;
                }
            }
        }
        free_batch(u, n);
    }
    CU_ASSERT(pairs > CASES / 2);
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (char *const *)a, y = (uintptr_t) * (char *const *)b;
    return x < y ? -1 : x > y;
}

static void test_sort_preserves_every_update(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x54);
    for (int cs = 0; cs < CASES; cs++) {
        forest f;
        durable_operation_update u[96];
        size_t n;
        gen_batch(&r, &f, u, &n, dt_rng_below(&r, 2));
        /* Identity of each struct: its name pointer (unique allocation). */
        char *before[96], *after[96];
        durable_operation_update copy[96];
        for (size_t i = 0; i < n; i++) {
            before[i] = u[i].name;
            durable_operation_update_copy(&copy[i], &u[i]);
        }
        durable__batcher_sort(u, n, forest_parent, &f);
        for (size_t i = 0; i < n; i++)
            after[i] = u[i].name;
        qsort(before, n, sizeof *before, cmp_ptr);
        qsort(after, n, sizeof *after, cmp_ptr);
        DT_PROP(memcmp(before, after, n * sizeof *before) == 0, seed, cs);
        /* And each moved struct is intact (same content as before the sort). */
        for (size_t i = 0; i < n; i++) {
            bool found = false;
            for (size_t j = 0; j < n && !found; j++)
                found = durable_operation_update_equal(&u[i], &copy[j]);
            DT_PROP(found, seed, cs);
        }
        DT_PROP(rules_hold(&f, u, n), seed, cs);
        free_batch(copy, n);
        free_batch(u, n);
    }
}

static void test_sort_is_idempotent(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x55);
    for (int cs = 0; cs < CASES; cs++) {
        forest f;
        durable_operation_update u[96];
        size_t n;
        gen_batch(&r, &f, u, &n, dt_rng_below(&r, 2));
        durable__batcher_sort(u, n, forest_parent, &f);
        char *once[96];
        for (size_t i = 0; i < n; i++)
            once[i] = u[i].name;
        durable__batcher_sort(u, n, forest_parent, &f);
        for (size_t i = 0; i < n; i++)
            DT_PROP(u[i].name == once[i], seed, cs);
        free_batch(u, n);
    }
}

static void test_sort_keeps_queue_order_when_unconstrained(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x56);
    for (int cs = 0; cs < CASES; cs++) {
        size_t n = 1 + dt_rng_below(&r, 40);
        durable_operation_update u[40];
        char *order[40];
        for (size_t i = 0; i < n; i++) {
            char id[16];
            snprintf(id, sizeof id, "s%zu", dt_rng_next(&r) % 100000 * 64 + i);
            u[i] = mk(dt_rng_below(&r, 2) ? DURABLE_OP_STEP : DURABLE_OP_WAIT,
                      (durable_op_action)(DURABLE_ACTION_START + dt_rng_below(&r, 3)), id, NULL,
                      id, 0);
            order[i] = u[i].name;
        }
        durable__batcher_sort(u, n, NULL, NULL);
        for (size_t i = 0; i < n; i++)
            DT_PROP(u[i].name == order[i], seed, cs);
        free_batch(u, n);
    }
}

static void test_sort_fixed_examples(void)
{
    /* The seed's complex scenario: exec completion first, child before its
     * parent's START, completion before START. */
    durable_operation_update u[6] = {
        mk(DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "exec", NULL, "e", 0),
        mk(DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "c1", "P", "c1-done", 0),
        mk(DURABLE_OP_STEP, DURABLE_ACTION_START, "c1", "P", "c1-start", 0),
        mk(DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "P", NULL, "p-done", 0),
        mk(DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "P", NULL, "p-start", 0),
        mk(DURABLE_OP_STEP, DURABLE_ACTION_START, "other", NULL, "other", 0),
    };
    durable__batcher_sort(u, 6, NULL, NULL);
    const char *want[6] = {"p-start", "c1-start", "c1-done", "p-done", "other", "e"};
    for (int i = 0; i < 6; i++)
        CU_ASSERT_STRING_EQUAL(u[i].name, want[i]);
    free_batch(u, 6);
    durable__batcher_sort(NULL, 0, NULL, NULL); /* empty: no-op */
}

static void test_backoff_schedule_math(void)
{
    durable__batcher_options o = DURABLE__BATCHER_OPTIONS_INIT;
    int want[] = {100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000};
    for (int i = 0; i < 9; i++)
        CU_ASSERT_EQUAL(durable__batcher_backoff_ms(&o, i + 1), want[i]);
    o.backoff_initial_ms = 3;
    o.backoff_max_ms = 20;
    CU_ASSERT_EQUAL(durable__batcher_backoff_ms(&o, 1), 3);
    CU_ASSERT_EQUAL(durable__batcher_backoff_ms(&o, 3), 12);
    CU_ASSERT_EQUAL(durable__batcher_backoff_ms(&o, 4), 20);
    CU_ASSERT_EQUAL(durable__batcher_backoff_ms(&o, 40), 20);
}

/* ==== the batcher against the mock client ============================================ */

typedef struct merged {
    pthread_mutex_t mu;
    int calls;
    size_t ops;
} merged;

static void merge_count(void *user, durable_operation_list *ops)
{
    merged *m = user;
    pthread_mutex_lock(&m->mu);
    m->calls++;
    m->ops += ops->count;
    pthread_mutex_unlock(&m->mu);
}

typedef struct fx {
    durable_mock_client *mock;
    durable_client *client;
    durable__batcher *b;
    merged mg;
} fx;

static void fx_open(fx *f, const durable__batcher_options *o, size_t defaults)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mg.mu, NULL);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&f->mock, &f->client), 0);
    if (defaults)
        durable_mock_client_queue_default(f->mock, defaults);
    CU_ASSERT_EQUAL_FATAL(
        durable__batcher_new(&f->b, f->client, ARN, "t0", o, merge_count, &f->mg), 0);
}

static void fx_close(fx *f)
{
    durable__batcher_free(f->b);
    durable_mock_client_free(f->mock);
    pthread_mutex_destroy(&f->mg.mu);
}

static int put(durable__batcher *b, durable_op_type t, durable_op_action a, const char *id,
               const char *parent, bool sync)
{
    durable_operation_update u = mk(t, a, id, parent, id, 0);
    int rc = durable__batcher_enqueue(b, &u, sync);
    durable_operation_update_clear(&u);
    return rc;
}

/* A valid queue order, as an SDK produces it: contexts START, then their
 * children, then their completion; steps START (RETRY, START)* completion. */
typedef struct flow {
    durable_operation_update u[160];
    size_t n;
    int next_id;
} flow;

static void gen_ctx(dt_rng *r, flow *fl, const char *parent, int depth)
{
    int kids = (int)dt_rng_below(r, 4);
    for (int k = 0; k < kids && fl->n < 140; k++) {
        char id[16], tag[24];
        snprintf(id, sizeof id, "n%d", fl->next_id++);
        bool ctx = depth < 3 && dt_rng_below(r, 3) == 0;
        durable_op_type t = ctx ? DURABLE_OP_CONTEXT : DURABLE_OP_STEP;
        snprintf(tag, sizeof tag, "g%zu", fl->n);
        fl->u[fl->n++] = mk(t, DURABLE_ACTION_START, id, parent, tag, 0);
        if (ctx) {
            gen_ctx(r, fl, id, depth + 1);
        } else {
            int retries = dt_rng_below(r, 3) == 0 ? (int)dt_rng_below(r, 3) : 0;
            for (int i = 0; i < retries; i++) {
                snprintf(tag, sizeof tag, "g%zu", fl->n);
                fl->u[fl->n++] = mk(t, DURABLE_ACTION_RETRY, id, parent, tag, 0);
                snprintf(tag, sizeof tag, "g%zu", fl->n);
                fl->u[fl->n++] = mk(t, DURABLE_ACTION_START, id, parent, tag, 0);
            }
        }
        snprintf(tag, sizeof tag, "g%zu", fl->n);
        fl->u[fl->n++] = mk(t, DURABLE_ACTION_SUCCEED, id, parent, tag, dt_rng_below(r, 500));
    }
}

/* Per-call invariants of a recorded call; returns false on a violation. */
static bool call_ok(const durable_mock_call *c, const durable__batcher_options *o)
{
    if (c->update_count > o->max_updates)
        return false;
    size_t bytes = strlen(c->checkpoint_token) + 100;
    for (size_t i = 0; i < c->update_count; i++)
        bytes += json_len(&c->updates[i]);
    if (c->update_count > 1 && bytes > o->max_bytes)
        return false;
    for (size_t i = 0; i < c->update_count; i++) {
        const durable_operation_update *u = &c->updates[i];
        if (u->type == DURABLE_OP_EXECUTION && i != c->update_count - 1)
            return false;
        size_t same = 0;
        bool first_start = false;
        for (size_t j = 0; j < c->update_count; j++) {
            if (strcmp(c->updates[j].id, u->id) != 0)
                continue;
            if (same == 0)
                first_start = c->updates[j].action == DURABLE_ACTION_START;
            same++;
        }
        if (same > 2 || (same == 2 && !first_start))
            return false;
    }
    return true;
}

/* A queued update keeps every field it had: strings (any bytes 1-255, empty
 * or absent), the error with its stack trace, every options kind. Each one
 * reaches the call equal to what was enqueued, and the caller's copy can be
 * freed right after the enqueue. */
static char *rstr(dt_rng *r)
{
    if (dt_rng_below(r, 4) == 0)
        return NULL;
    size_t n = (size_t)dt_rng_below(r, 40);
    char *t = durable__malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        t[i] = (char)(1 + dt_rng_below(r, 255));
    t[n] = '\0';
    return t;
}

static void test_every_field_reaches_the_call(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x7f);
    enum { N = 60 };
    durable_operation_update want[N];
    durable__batcher_options o = fast_opts();
    fx f;
    fx_open(&f, &o, N + 2);
    for (int i = 0; i < N; i++) {
        durable_operation_update u;
        durable_operation_update_init(&u);
        char id[24];
        snprintf(id, sizeof id, "op-%d", i);
        u.id = durable__strdup(id);
        u.parent_id = rstr(&r);
        u.name = rstr(&r);
        u.subtype = rstr(&r);
        u.payload = rstr(&r);
        u.function_name = rstr(&r);
        u.tenant_id = rstr(&r);
        u.type = DURABLE_OP_STEP;
        u.action = DURABLE_ACTION_SUCCEED;
        u.options = (durable_update_options_kind)dt_rng_below(&r, 6);
        u.next_attempt_delay_seconds = (int64_t)dt_rng_below(&r, 100);
        u.wait_seconds = (int64_t)dt_rng_below(&r, 100);
        if (dt_rng_below(&r, 2)) {
            char *type = rstr(&r), *msg = rstr(&r), *data = rstr(&r);
            CU_ASSERT_EQUAL_FATAL(durable_error_object_new(&u.error, type, msg, data), 0);
            durable_free(type);
            durable_free(msg);
            durable_free(data);
            if (dt_rng_below(&r, 2)) {
                const char *frames[] = {"a.c:1", "", "b.c:2"};
                CU_ASSERT_EQUAL_FATAL(
                    durable__str_array_copy(&u.error->stack_trace, frames, 3), 0);
                u.error->stack_trace_count = 3;
            }
        }
        CU_ASSERT_EQUAL_FATAL(durable_operation_update_copy(&want[i], &u), 0);
        DT_PROP(durable__batcher_enqueue(f.b, &u, dt_rng_below(&r, 3) == 0) == 0, seed, i);
        durable_operation_update_clear(&u); /* the batcher keeps its own copy */
    }
    DT_PROP(durable__batcher_flush(f.b) == 0, seed, 0);
    size_t k = 0;
    for (size_t c = 0; c < durable_mock_client_call_count(f.mock); c++) {
        const durable_mock_call *mc = call(f.mock, c);
        for (size_t i = 0; i < mc->update_count; i++, k++)
            DT_PROP(k < N && durable_operation_update_equal(&mc->updates[i], &want[k]), seed,
                    (int)k);
    }
    DT_PROP(k == N, seed, N);
    for (int i = 0; i < N; i++)
        durable_operation_update_clear(&want[i]);
    fx_close(&f);
}

static void test_limits_and_preservation_across_calls(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x61);
    size_t multi = 0, calls_total = 0;
    for (int cs = 0; cs < CASES; cs++) {
        flow fl;
        memset(&fl, 0, sizeof fl);
        gen_ctx(&r, &fl, NULL, 0);
        if (dt_rng_below(&r, 2)) {
            char tag[24];
            snprintf(tag, sizeof tag, "g%zu", fl.n);
            fl.u[fl.n++] = mk(DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "exec", NULL, tag, 5);
        }
        durable__batcher_options o = fast_opts();
        o.max_updates = 1 + dt_rng_below(&r, 8);
        o.max_bytes = 200 + dt_rng_below(&r, 2500);
        o.max_delay_ms = (int)dt_rng_below(&r, 3);
        fx f;
        fx_open(&f, &o, fl.n + 2);
        for (size_t i = 0; i < fl.n; i++)
            DT_PROP(durable__batcher_enqueue(f.b, &fl.u[i], dt_rng_below(&r, 5) == 0) == 0, seed,
                    cs);
        DT_PROP(durable__batcher_flush(f.b) == 0, seed, cs);
        size_t k = 0, nc = durable_mock_client_call_count(f.mock);
        for (size_t c = 0; c < nc; c++) {
            const durable_mock_call *mc = call(f.mock, c);
            DT_PROP(call_ok(mc, &o), seed, cs);
            multi += mc->update_count > 1;
            for (size_t i = 0; i < mc->update_count; i++, k++)
                DT_PROP(k < fl.n && durable_operation_update_equal(&mc->updates[i], &fl.u[k]),
                        seed, cs);
        }
        DT_PROP(k == fl.n, seed, cs); /* nothing lost, nothing duplicated */
        calls_total += nc;
        fx_close(&f);
        free_batch(fl.u, fl.n);
    }
    CU_ASSERT(multi > 0); /* batching happened */
    CU_ASSERT(calls_total > CASES);
}

/* ---- every request answered, under concurrency --------------------------------------- */

typedef struct worker {
    durable__batcher *b;
    int index;
    uint64_t seed;
    int n;
    int failures;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    dt_rng r;
    dt_rng_init(&r, w->seed);
    char parent[16];
    snprintf(parent, sizeof parent, "ctx%d", w->index);
    for (int i = 0; i < w->n; i++) {
        char id[32];
        snprintf(id, sizeof id, "w%d-%d", w->index, i);
        bool sync = dt_rng_below(&r, 3) == 0;
        durable_operation_update u = mk(DURABLE_OP_STEP, DURABLE_ACTION_START, id, parent, id, 0);
        if (durable__batcher_enqueue(w->b, &u, sync) != 0)
            w->failures++;
        durable_operation_update_clear(&u);
        u = mk(DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, id, parent, id, dt_rng_below(&r, 300));
        if (durable__batcher_enqueue(w->b, &u, !sync) != 0)
            w->failures++;
        durable_operation_update_clear(&u);
    }
    return NULL;
}

static void test_every_request_answered_concurrently(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x62);
    for (int cs = 0; cs < CASES; cs++) {
        int nt = 2 + (int)dt_rng_below(&r, 3);
        durable__batcher_options o = fast_opts();
        o.max_updates = 1 + dt_rng_below(&r, 10);
        o.max_bytes = 300 + dt_rng_below(&r, 3000);
        o.max_delay_ms = (int)dt_rng_below(&r, 4);
        fx f;
        fx_open(&f, &o, 0);
        worker w[4];
        pthread_t t[4];
        int total = 0;
        for (int i = 0; i < nt; i++) {
            w[i] = (worker){f.b, i, dt_rng_next(&r), 1 + (int)dt_rng_below(&r, 12), 0};
            total += 2 * w[i].n;
        }
        /* One response per update at most, plus the contexts and a margin. */
        durable_mock_client_queue_default(f.mock, (size_t)total + 2 * (size_t)nt + 4);
        for (int i = 0; i < nt; i++) {
            char id[16];
            snprintf(id, sizeof id, "ctx%d", i);
            DT_PROP(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, id, NULL, true) == 0,
                    seed, cs);
        }
        for (int i = 0; i < nt; i++)
            pthread_create(&t[i], NULL, worker_main, &w[i]);
        for (int i = 0; i < nt; i++) {
            pthread_join(t[i], NULL);
            DT_PROP(w[i].failures == 0, seed, cs);
        }
        for (int i = 0; i < nt; i++) {
            char id[16];
            snprintf(id, sizeof id, "ctx%d", i);
            DT_PROP(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, id, NULL, false) == 0,
                    seed, cs);
        }
        DT_PROP(durable__batcher_flush(f.b) == 0, seed, cs);
        /* Every update exactly once; per worker, in its own order; limits. */
        int seen = 0;
        int next_i[4] = {0};
        int phase[4] = {0}; /* 0: expect START of next_i, 1: its SUCCEED */
        size_t nc = durable_mock_client_call_count(f.mock);
        for (size_t c = 0; c < nc; c++) {
            const durable_mock_call *mc = call(f.mock, c);
            DT_PROP(call_ok(mc, &o), seed, cs);
            for (size_t i = 0; i < mc->update_count; i++) {
                const durable_operation_update *u = &mc->updates[i];
                seen++;
                int wi, idx;
                if (sscanf(u->id, "w%d-%d", &wi, &idx) != 2)
                    continue;
                DT_PROP(idx == next_i[wi], seed, cs);
                DT_PROP(u->action ==
                            (phase[wi] ? DURABLE_ACTION_SUCCEED : DURABLE_ACTION_START),
                        seed, cs);
                if (phase[wi])
                    next_i[wi]++;
                phase[wi] ^= 1;
            }
        }
        DT_PROP(seen == total + 2 * nt, seed, cs);
        for (int i = 0; i < nt; i++)
            DT_PROP(next_i[i] == w[i].n, seed, cs);
        fx_close(&f);
    }
}

/* ---- token hand-off ------------------------------------------------------------------- */

static void test_token_hand_off(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    fx_open(&f, &o, 3);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "a", NULL, true), 0);
    CU_ASSERT_EQUAL(durable__batcher_refresh(f.b), 0);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_call_count(f.mock), 3);
    const char *want[] = {"t0", "mock-token-1", "mock-token-2"};
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_STRING_EQUAL(call(f.mock, i)->checkpoint_token, want[i]);
        CU_ASSERT_STRING_EQUAL(call(f.mock, i)->durable_execution_arn, ARN);
        CU_ASSERT_EQUAL(call(f.mock, i)->kind, DURABLE_MOCK_CHECKPOINT);
    }
    CU_ASSERT_EQUAL(call(f.mock, 0)->update_count, 1);
    CU_ASSERT_EQUAL(call(f.mock, 2)->update_count, 0); /* the refresh: empty Updates */
    CU_ASSERT_EQUAL(f.mg.calls, 3);                      /* every response merged */
    fx_close(&f);
}

static void test_response_operations_merged_before_sync_returns(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    fx_open(&f, &o, 0);
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    resp.checkpoint_token = durable__strdup("t1");
    for (int i = 0; i < 3; i++) {
        durable_operation op;
        durable_operation_init(&op);
        op.id = durable__sprintf("op%d", i);
        op.type = DURABLE_OP_STEP;
        op.status = DURABLE_OP_STARTED;
        op.start_timestamp = 1767225600000;
        durable_operation_list_take(&resp.operations, &op);
    }
    durable_mock_client_queue_checkpoint(f.mock, &resp);
    durable_checkpoint_response_clear(&resp);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "op0", NULL, true), 0);
    pthread_mutex_lock(&f.mg.mu);
    CU_ASSERT_EQUAL(f.mg.calls, 1);
    CU_ASSERT_EQUAL(f.mg.ops, 3);
    pthread_mutex_unlock(&f.mg.mu);
    fx_close(&f);
}

/* ---- errors ----------------------------------------------------------------------------- */

static void test_invalid_token_propagates_and_is_not_retried(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    fx_open(&f, &o, 0);
    durable_mock_client_queue_checkpoint_error(f.mock, DURABLE_ETOKEN, "Invalid Checkpoint Token");
    durable_mock_client_queue_default(f.mock, 4);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true),
                    DURABLE_ETOKEN);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "Invalid Checkpoint Token"));
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    CU_ASSERT_EQUAL(durable__batcher_status(f.b), DURABLE_ETOKEN);
    CU_ASSERT_STRING_EQUAL(durable__batcher_errmsg(f.b), "Invalid Checkpoint Token");
    /* Sticky: later work is refused locally, nothing more is sent. */
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "b", NULL, false),
                    DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(durable__batcher_refresh(f.b), DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    fx_close(&f);

    /* A rejection whose message says so is a token error too (SPEC §10.13). */
    fx_open(&f, &o, 0);
    durable_mock_client_queue_checkpoint_error(f.mock, DURABLE_EINVAL,
                                               "invalid checkpoint token: stale sequence");
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true),
                    DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    fx_close(&f);
}

static void test_rejection_is_sticky_and_drains_async_work(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_delay_ms = 5000;
    fx_open(&f, &o, 0);
    durable_mock_client_queue_checkpoint_error(f.mock, DURABLE_EINVAL,
                                               "Invalid current STEP state to start.");
    durable_mock_client_queue_default(f.mock, 4);
    /* Two STARTs of one Id cannot share a call: the second waits behind. */
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, false), 0);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), DURABLE_EINVAL);
    CU_ASSERT_STRING_EQUAL(durable__batcher_errmsg(f.b), "Invalid current STEP state to start.");
    /* The second was queued behind the failed call and is never sent. */
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "b", NULL, false),
                    DURABLE_EINVAL);
    fx_close(&f);

    /* An empty mock queue is a rejection like any other. */
    fx_open(&f, &o, 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true),
                    DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable__batcher_status(f.b), DURABLE_ESTATE);
    fx_close(&f);
}

/* A client that throttles its first `throttle` calls, recording tokens. */
typedef struct throttler {
    pthread_mutex_t mu;
    int throttle;
    int calls;
    char client_tokens[16][40];
    char tokens[16][40];
} throttler;

static int th_checkpoint(void *user, durable_checkpoint_response *out,
                         const durable_checkpoint_request *req)
{
    throttler *t = user;
    pthread_mutex_lock(&t->mu);
    int n = t->calls++;
    if (n < 16) {
        snprintf(t->client_tokens[n], 40, "%s", req->client_token ? req->client_token : "");
        snprintf(t->tokens[n], 40, "%s", req->checkpoint_token);
    }
    bool fail = n < t->throttle;
    pthread_mutex_unlock(&t->mu);
    if (fail)
        return durable__error_set(DURABLE_ETHROTTLED, "Rate exceeded (429)");
    out->checkpoint_token = durable__sprintf("th-%d", n);
    return 0;
}

static const durable_client_vtable th_vtable = {th_checkpoint, NULL, NULL, NULL, NULL, NULL};

typedef struct sleeps {
    int ms[16];
    int n;
} sleeps;

static void record_sleep(void *user, int ms)
{
    sleeps *s = user;
    if (s->n < 16)
        s->ms[s->n++] = ms;
}

static void test_throttling_retried_with_same_client_token_then_fails(void)
{
    throttler t = {.throttle = 100};
    pthread_mutex_init(&t.mu, NULL);
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_client_new(&c, &th_vtable, &t), 0);
    durable__batcher_options o = DURABLE__BATCHER_OPTIONS_INIT; /* 100 ms doubling */
    durable__batcher *b = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__batcher_new(&b, c, ARN, "t0", &o, NULL, NULL), 0);
    sleeps s = {{0}, 0};
    durable__batcher_set_sleep(b, record_sleep, &s);
    CU_ASSERT_EQUAL(put(b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true),
                    DURABLE_ETHROTTLED);
    CU_ASSERT_EQUAL(t.calls, 6); /* the call and 5 retries */
    for (int i = 1; i < 6; i++) {
        CU_ASSERT_STRING_EQUAL(t.client_tokens[i], t.client_tokens[0]);
        CU_ASSERT_STRING_EQUAL(t.tokens[i], "t0");
    }
    CU_ASSERT_EQUAL(strlen(t.client_tokens[0]), 36); /* a UUID */
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    int want[] = {100, 200, 400, 800, 1600};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(s.ms[i], want[i]);
    CU_ASSERT_EQUAL(durable__batcher_status(b), DURABLE_ETHROTTLED);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable__batcher_errmsg(b), "Rate exceeded"));
    durable__batcher_free(b);

    /* Throttled twice, then accepted: success, same ClientToken on the
     * retries, a fresh one for the next logical call; real sleeps of 1-2 ms. */
    t.calls = 0;
    t.throttle = 2;
    o = fast_opts();
    CU_ASSERT_EQUAL_FATAL(durable__batcher_new(&b, c, ARN, "t0", &o, NULL, NULL), 0);
    int64_t t0 = mono_ms();
    CU_ASSERT_EQUAL(put(b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true), 0);
    CU_ASSERT(mono_ms() - t0 >= 3); /* slept 1 + 2 ms */
    CU_ASSERT_EQUAL(put(b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "a", NULL, true), 0);
    CU_ASSERT_EQUAL(t.calls, 4);
    CU_ASSERT_STRING_EQUAL(t.client_tokens[1], t.client_tokens[0]);
    CU_ASSERT_STRING_EQUAL(t.client_tokens[2], t.client_tokens[0]);
    CU_ASSERT_STRING_NOT_EQUAL(t.client_tokens[3], t.client_tokens[0]);
    CU_ASSERT_STRING_EQUAL(t.tokens[3], "th-2"); /* hand-off from the accepted retry */
    CU_ASSERT_EQUAL(durable__batcher_status(b), 0);
    durable__batcher_free(b);

    /* The cap: 3 ms doubling, capped at 5 ms. */
    t.calls = 0;
    t.throttle = 100;
    o = fast_opts();
    o.backoff_initial_ms = 3;
    o.backoff_max_ms = 5;
    o.throttle_retries = 4;
    CU_ASSERT_EQUAL_FATAL(durable__batcher_new(&b, c, ARN, "t0", &o, NULL, NULL), 0);
    s.n = 0;
    durable__batcher_set_sleep(b, record_sleep, &s);
    CU_ASSERT_EQUAL(put(b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true),
                    DURABLE_ETHROTTLED);
    CU_ASSERT_EQUAL(t.calls, 5);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT(s.ms[0] == 3 && s.ms[1] == 5 && s.ms[2] == 5 && s.ms[3] == 5);
    durable__batcher_free(b);
    durable_client_free(c);
    pthread_mutex_destroy(&t.mu);
}

/* ---- latency: a sync caller never waits for the timer ----------------------------------- */

static void test_sync_never_waits_for_the_delay_timer(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_delay_ms = 5000;
    fx_open(&f, &o, 8);
    int64_t t0 = mono_ms();
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true), 0);
    CU_ASSERT(mono_ms() - t0 < 1000);
    /* Async work queued first travels with the sync update, at once. */
    t0 = mono_ms();
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "a", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "b", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "c", NULL, true), 0);
    CU_ASSERT(mono_ms() - t0 < 1000);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_call_count(f.mock), 2);
    CU_ASSERT_EQUAL(call(f.mock, 1)->update_count, 3);
    /* Flush and refresh are waiting callers too. */
    t0 = mono_ms();
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "b", NULL, false), 0);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), 0);
    CU_ASSERT_EQUAL(durable__batcher_refresh(f.b), 0);
    CU_ASSERT(mono_ms() - t0 < 1000);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 4);
    fx_close(&f);
}

static void test_async_updates_wait_for_company_then_go(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_delay_ms = 500;
    fx_open(&f, &o, 8);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "b", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "c", NULL, false), 0);
    /* Nobody waits: the timer sends them, together, without a flush. */
    int64_t t0 = mono_ms();
    while (durable_mock_client_call_count(f.mock) == 0 && mono_ms() - t0 < 5000) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_call_count(f.mock), 1);
    CU_ASSERT_EQUAL(call(f.mock, 0)->update_count, 3);
    fx_close(&f);

    /* A full call does not wait for the timer either. */
    o.max_delay_ms = 5000;
    o.max_updates = 2;
    fx_open(&f, &o, 8);
    t0 = mono_ms();
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "b", NULL, false), 0);
    while (durable_mock_client_call_count(f.mock) == 0 && mono_ms() - t0 < 4000) {
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CU_ASSERT(mono_ms() - t0 < 2000);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    fx_close(&f);
}

/* ---- per-call rules -------------------------------------------------------------------- */

static void test_one_update_per_id_per_call(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_delay_ms = 5000;
    fx_open(&f, &o, 8);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "s", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_RETRY, "s", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "s", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "s", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_WAIT, DURABLE_ACTION_START, "w", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, "w", NULL, false), 0);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), 0);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_call_count(f.mock), 3);
    const durable_mock_call *c0 = call(f.mock, 0), *c1 = call(f.mock, 1), *c2 = call(f.mock, 2);
    CU_ASSERT_EQUAL_FATAL(c0->update_count, 2);
    CU_ASSERT_EQUAL(c0->updates[1].action, DURABLE_ACTION_RETRY);
    /* WAIT START + CANCEL may not share a call (only STEP/CONTEXT may). */
    CU_ASSERT_EQUAL_FATAL(c1->update_count, 3);
    CU_ASSERT_EQUAL(c1->updates[0].action, DURABLE_ACTION_START);
    CU_ASSERT_EQUAL(c1->updates[1].action, DURABLE_ACTION_SUCCEED);
    CU_ASSERT_STRING_EQUAL(c1->updates[2].id, "w");
    CU_ASSERT_EQUAL_FATAL(c2->update_count, 1);
    CU_ASSERT_EQUAL(c2->updates[0].action, DURABLE_ACTION_CANCEL);
    fx_close(&f);
}

static void test_oversized_update_goes_alone(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_bytes = 400;
    o.max_delay_ms = 5000;
    fx_open(&f, &o, 8);
    durable_operation_update big = mk(DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "big", NULL, "big",
                                      5000);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, false), 0);
    CU_ASSERT_EQUAL(durable__batcher_enqueue(f.b, &big, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "c", NULL, false), 0);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), 0);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_call_count(f.mock), 3);
    CU_ASSERT_EQUAL(call(f.mock, 1)->update_count, 1);
    CU_ASSERT_EQUAL(strlen(call(f.mock, 1)->updates[0].payload), 5000);
    durable_operation_update_clear(&big);
    fx_close(&f);
}

static void test_orphans_are_dropped(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_delay_ms = 5000;
    fx_open(&f, &o, 8);
    /* A: context; B: child context of A; s1 under B before A completes. */
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "A", NULL, false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "B", "A", false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "s1", "B", false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "A", NULL, false), 0);
    /* After A's completion is queued: children and grandchildren are orphans. */
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "s1", "B", true), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "s2", "A", false), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "B", "A", false), 0);
    /* Unrelated work still goes. */
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "x", NULL, false), 0);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), 0);
    size_t n = 0;
    const char *want[] = {"A", "B", "s1", "A", "x"};
    for (size_t c = 0; c < durable_mock_client_call_count(f.mock); c++)
        for (size_t i = 0; i < call(f.mock, c)->update_count; i++, n++)
            if (n < 5)
                CU_ASSERT_STRING_EQUAL(call(f.mock, c)->updates[i].id, want[n]);
    CU_ASSERT_EQUAL(n, 5);
    fx_close(&f);
}

static void test_orphans_through_parent_lookup(void)
{
    /* X was started in an earlier invocation under A; only the lookup knows. */
    forest fo;
    memset(&fo, 0, sizeof fo);
    fo.count = 2;
    snprintf(fo.nodes[0].id, 16, "A");
    fo.nodes[0].parent = -1;
    snprintf(fo.nodes[1].id, 16, "X");
    fo.nodes[1].parent = 0;
    fx f;
    durable__batcher_options o = fast_opts();
    fx_open(&f, &o, 8);
    durable__batcher_set_parent_lookup(f.b, forest_parent, &fo);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "k1", "X", true), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "A", NULL, true), 0);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "k1", "X", true), 0);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 2);
    fx_close(&f);
}

/* ---- closing and stopping ----------------------------------------------------------------- */

static void test_response_without_token_closes(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    fx_open(&f, &o, 0);
    durable_checkpoint_response closed;
    memset(&closed, 0, sizeof closed);
    durable_mock_client_queue_checkpoint(f.mock, &closed);
    durable_mock_client_queue_default(f.mock, 4);
    CU_ASSERT_FALSE(durable__batcher_closed(f.b));
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_EXECUTION, DURABLE_ACTION_SUCCEED, "e1", NULL, true), 0);
    CU_ASSERT_TRUE(durable__batcher_closed(f.b));
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "late", NULL, true),
                    DURABLE_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "closed"));
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "late2", NULL, false),
                    DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable__batcher_refresh(f.b), DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), 0); /* closing is not a failure */
    CU_ASSERT_EQUAL(durable__batcher_status(f.b), 0);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    fx_close(&f);
}

static void test_stop_flushes_then_refuses(void)
{
    fx f;
    durable__batcher_options o = fast_opts();
    o.max_delay_ms = 5000;
    fx_open(&f, &o, 4);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, false), 0);
    int64_t t0 = mono_ms();
    durable__batcher_stop(f.b);
    CU_ASSERT(mono_ms() - t0 < 1000);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "b", NULL, true),
                    DURABLE_ESTATE);
    CU_ASSERT_EQUAL(durable__batcher_flush(f.b), 0);
    durable__batcher_stop(f.b); /* idempotent */
    CU_ASSERT_EQUAL(durable_mock_client_call_count(f.mock), 1);
    fx_close(&f);
    durable__batcher_free(NULL);
}

static void test_bad_arguments(void)
{
    durable__batcher *b = (durable__batcher *)1;
    CU_ASSERT_EQUAL(durable__batcher_new(&b, NULL, ARN, "t0", NULL, NULL, NULL), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(b);
    CU_ASSERT_EQUAL(durable__batcher_enqueue(NULL, NULL, true), DURABLE_EINVAL);
    fx f;
    fx_open(&f, NULL, 2); /* NULL options: the defaults */
    CU_ASSERT_EQUAL(durable__batcher_enqueue(f.b, NULL, true), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(put(f.b, DURABLE_OP_STEP, DURABLE_ACTION_START, "a", NULL, true), 0);
    fx_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_batcher_sort");
    DT_ADD(s, test_sort_parent_context_start_before_descendants);
    DT_ADD(s, test_sort_through_known_parent_lookup);
    DT_ADD(s, test_sort_execution_completion_last);
    DT_ADD(s, test_sort_start_before_completion);
    DT_ADD(s, test_sort_preserves_every_update);
    DT_ADD(s, test_sort_is_idempotent);
    DT_ADD(s, test_sort_keeps_queue_order_when_unconstrained);
    DT_ADD(s, test_sort_fixed_examples);
    DT_ADD(s, test_backoff_schedule_math);
    s = dt_suite("sdk_batcher");
    DT_ADD(s, test_limits_and_preservation_across_calls);
    DT_ADD(s, test_every_request_answered_concurrently);
    DT_ADD(s, test_token_hand_off);
    DT_ADD(s, test_response_operations_merged_before_sync_returns);
    DT_ADD(s, test_invalid_token_propagates_and_is_not_retried);
    DT_ADD(s, test_rejection_is_sticky_and_drains_async_work);
    DT_ADD(s, test_throttling_retried_with_same_client_token_then_fails);
    DT_ADD(s, test_sync_never_waits_for_the_delay_timer);
    DT_ADD(s, test_async_updates_wait_for_company_then_go);
    DT_ADD(s, test_one_update_per_id_per_call);
    DT_ADD(s, test_oversized_update_goes_alone);
    DT_ADD(s, test_orphans_are_dropped);
    DT_ADD(s, test_orphans_through_parent_lookup);
    DT_ADD(s, test_response_without_token_closes);
    DT_ADD(s, test_stop_flushes_then_refuses);
    DT_ADD(s, test_bad_arguments);
    DT_ADD(s, test_every_field_reaches_the_call);
    return dt_run();
}
