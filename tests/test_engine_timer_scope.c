/* Timers of a set of executions (durable_engine_next_due_of /
 * durable_engine_fire_due_of) and of the executions of a set of functions
 * (the _in variants): a timer outside the set is never reported nor fired,
 * and across the set the firings are those of fire_due; the function scope
 * costs the same pages however many executions of the set are open. */
#include <string.h>

#include "support/engine_fixture.h"
#include "support/testutil.h"

/* g: a second execution `name` on f's engine (g shares f's clock, store and
 * engine; only g->arn, g->inv and g->token are g's), with its first
 * invocation started. */
static void start_fn(ef *g, ef *f, const char *function, const char *name,
                     int64_t timeout_seconds)
{
    memset(g, 0, sizeof *g);
    g->vc = f->vc;
    g->store = f->store;
    g->eng = f->eng;
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = name;
    o.timeout_seconds = timeout_seconds;
    CU_ASSERT_FATAL(durable_engine_start_execution(&g->arn, NULL, g->eng, function, &o) == 0);
    CU_ASSERT_FATAL(ef_invoke(g) == 0);
}

static void start_on(ef *g, ef *f, const char *name, int64_t timeout_seconds)
{
    start_fn(g, f, "fn", name, timeout_seconds);
}

static void drop(ef *g)
{
    durable_free(g->arn);
    durable_free(g->inv);
    durable_free(g->token);
    memset(g, 0, sizeof *g);
}

static durable_op_status op_status(ef *f, const char *path)
{
    durable_operation op;
    if (ef_get_op(f, path, &op) != 0)
        return (durable_op_status)0;
    durable_op_status s = op.status;
    durable_operation_clear(&op);
    return s;
}

static void test_set_sees_and_fires_only_its_timers(void)
{
    ef f, a, b;
    ef_open(&f);
    start_on(&a, &f, "a", 3600);
    start_on(&b, &f, "b", 60);
    durable_operation_update u;
    /* a: a 10 s wait. b: a 5 s wait and a callback timing out after 20 s;
     * its execution times out after 60 s. */
    ef_wait(&u, "1", 10);
    CU_ASSERT_FATAL(ef_cp1(&a, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&a, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    ef_wait(&u, "1", 5);
    CU_ASSERT_FATAL(ef_cp1(&b, &u) == 0);
    ef_callback(&u, "2", 20, 0);
    CU_ASSERT_FATAL(ef_cp1(&b, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&b, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);

    const char *only_a[] = { a.arn };
    const char *only_b[] = { b.arn };
    const char *both[] = { b.arn, a.arn, b.arn }; /* duplicates allowed */
    int64_t when = 0;
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, only_a, 1), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 10000);
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, only_b, 1), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 5000);
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, both, 3), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 5000);
    int64_t all = 0;
    CU_ASSERT_EQUAL(durable_engine_next_due(&all, f.eng), 0);
    CU_ASSERT_EQUAL(all, when);

    /* Everything of both is due: a's set fires a's wait only. */
    ef_advance(&f, 30000);
    char *b_before = ef_history_types(&b);
    int fired = -1;
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, only_a, 1), 0);
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(op_status(&a, "1"), DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(op_status(&b, "1"), DURABLE_OP_STARTED);
    CU_ASSERT_EQUAL(op_status(&b, "2"), DURABLE_OP_STARTED);
    EF_ASSERT_TYPES(&b, b_before);
    free(b_before);
    /* What a has left is its execution deadline, not b's earlier timers. */
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, only_a, 1), 0);
    CU_ASSERT_EQUAL(when, EF_T0 + 3600 * 1000LL);
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, only_a, 1), 0);
    CU_ASSERT_EQUAL(fired, 0);

    /* An ARN of no execution: rejected, and nothing of the rest fires. */
    const char *bad[] = { b.arn, "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/"
                                 "durable-execution/nosuch/00000000-0000-0000-0000-000000000000" };
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, bad, 2), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(fired, 0);
    CU_ASSERT(strstr(durable_engine_errmsg(f.eng), "arns[1]") != NULL);
    CU_ASSERT_STRING_EQUAL(durable_engine_error_text(f.eng), "Execution not found.");
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, bad, 2), DURABLE_EINVAL);
    const char *null_entry[] = { NULL };
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, null_entry, 1), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, NULL, 1), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(op_status(&b, "1"), DURABLE_OP_STARTED);
    /* The empty set has no timers. */
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, NULL, 0), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, NULL, 0), 0);
    CU_ASSERT_EQUAL(fired, 0);
    CU_ASSERT_EQUAL(op_status(&b, "1"), DURABLE_OP_STARTED);

    /* b's set: its wait, its callback timeout and its execution timeout, in
     * deadline order. */
    ef_advance(&f, 30000);
    CU_ASSERT_EQUAL(durable_engine_fire_due_of(&fired, f.eng, only_b, 1), 0);
    CU_ASSERT_EQUAL(fired, 3);
    CU_ASSERT_EQUAL(op_status(&b, "1"), DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(op_status(&b, "2"), DURABLE_OP_TIMED_OUT);
    EF_ASSERT_TYPES(&b, "ExecutionStarted,WaitStarted,CallbackStarted,InvocationCompleted,"
                        "WaitSucceeded,CallbackTimedOut,ExecutionTimedOut");
    /* A closed execution has no timers. */
    CU_ASSERT_EQUAL(durable_engine_next_due_of(&when, f.eng, only_b, 1), DURABLE_ENOTFOUND);
    drop(&a);
    drop(&b);
    ef_close(&f);
}

/* ---- property: the set's firings are fire_due's ---------------------------------- */

#define CASES 60
#define EXECS 3 /* the set is the first two; the third is outside it */

/* Random timers on execution g: waits, step retries, callbacks with timeout
 * and heartbeat timeouts, all within a few seconds so that deadlines tie. */
static void random_timers(ef *g, dt_rng *rng)
{
    int n = 1 + (int)dt_rng_below(rng, 5);
    for (int i = 0; i < n; i++) {
        char path[8];
        snprintf(path, sizeof path, "%d", i + 1);
        durable_operation_update u;
        switch (dt_rng_below(rng, 3)) {
        case 0:
            ef_wait(&u, path, 1 + (int64_t)dt_rng_below(rng, 4));
            break;
        case 1:
            ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, path);
            CU_ASSERT_FATAL(ef_cp1(g, &u) == 0);
            ef_retry(&u, path, 1 + (int64_t)dt_rng_below(rng, 4), "Transient");
            break;
        default:
            ef_callback(&u, path, (int64_t)dt_rng_below(rng, 5), (int64_t)dt_rng_below(rng, 5));
            break;
        }
        CU_ASSERT_FATAL(ef_cp1(g, &u) == 0);
    }
    if (dt_rng_below(rng, 2))
        CU_ASSERT_FATAL(ef_complete(g, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
}

/* Types, timestamps and op ids of g's history, then the status of each of
 * its operations "1".."5" (random_timers' paths), as one string (malloc;
 * free()). */
static char *fingerprint(ef *g)
{
    durable_history_response h = {0};
    if (ef_history(g, &h) != 0)
        return strdup("<history error>");
    size_t cap = 256 + h.count * 96;
    char *s = malloc(cap);
    size_t len = 0;
    s[0] = 0;
    for (size_t i = 0; i < h.count; i++) {
        const durable_event *ev = &h.events[i];
        /* Execution events carry the ARN's id, which differs between twins. */
        bool exec_event = ev->type == DURABLE_EVENT_EXECUTION_STARTED ||
                          ev->type == DURABLE_EVENT_EXECUTION_TIMED_OUT;
        len += (size_t)snprintf(s + len, cap - len, "%s@%lld:%s;",
                                durable_event_type_name(ev->type), (long long)ev->timestamp,
                                exec_event || !ev->id ? "-" : ev->id);
    }
    durable_history_response_clear(&h);
    for (int i = 1; i <= 5; i++) {
        char path[8];
        snprintf(path, sizeof path, "%d", i);
        durable_operation op;
        bool found = ef_get_op(g, path, &op) == 0;
        len += (size_t)snprintf(s + len, cap - len, "op%d=%s;", i,
                                found ? durable_op_status_name(op.status) : "none");
        if (found)
            durable_operation_clear(&op);
    }
    return s;
}

/* Twin engines built from the same draws: execution x of each, of function
 * fns[x], with the same random timers. The properties fire one twin one way
 * and the other another, then compare. */
typedef struct twins {
    ef a, b;
    ef ax[EXECS], bx[EXECS];
} twins;

static void twins_open(twins *t, const char *const fns[EXECS], dt_rng *rng)
{
    ef_open(&t->a);
    ef_open(&t->b);
    for (int x = 0; x < EXECS; x++) {
        char name[8];
        snprintf(name, sizeof name, "e%d", x);
        int64_t timeout = 1 + (int64_t)dt_rng_below(rng, 6);
        dt_rng saved = *rng;
        start_fn(&t->ax[x], &t->a, fns[x], name, timeout);
        random_timers(&t->ax[x], rng);
        *rng = saved;
        start_fn(&t->bx[x], &t->b, fns[x], name, timeout);
        random_timers(&t->bx[x], rng);
    }
}

static void twins_close(twins *t)
{
    for (int x = 0; x < EXECS; x++) {
        drop(&t->ax[x]);
        drop(&t->bx[x]);
    }
    ef_close(&t->a);
    ef_close(&t->b);
}

static void twins_advance(twins *t, int64_t ms)
{
    ef_advance(&t->a, ms);
    ef_advance(&t->b, ms);
}

/* The first two executions look the same in both twins (printed if not). */
static bool twins_agree(twins *t)
{
    bool same = true;
    for (int x = 0; x < 2; x++) {
        char *a = fingerprint(&t->ax[x]), *b = fingerprint(&t->bx[x]);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "  e%d: %s\n  vs: %s\n", x, a, b);
            same = false;
        }
        free(a);
        free(b);
    }
    return same;
}

static void test_prop_set_fires_as_fire_due(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x71e5);
    static const char *const fns[EXECS] = {"fn", "fn", "fn"};
    for (int c = 0; c < CASES; c++) {
        /* `a` fires with the set, `b` with fire_due. */
        twins t;
        twins_open(&t, fns, &rng);
        const char *set[] = { t.ax[0].arn, t.ax[1].arn };
        char *outside = fingerprint(&t.ax[2]);
        for (int round = 0; round < 4; round++) {
            twins_advance(&t, (int64_t)dt_rng_below(&rng, 2500));
            /* The set's next deadline is the earlier of its members'. */
            int64_t w_set = 0, w0 = 0, w1 = 0;
            int rs = durable_engine_next_due_of(&w_set, t.a.eng, set, 2);
            int r0 = durable_engine_next_due_of(&w0, t.a.eng, set, 1);
            int r1 = durable_engine_next_due_of(&w1, t.a.eng, set + 1, 1);
            if (r0 != 0)
                w0 = w1;
            if (r1 != 0)
                w1 = w0;
            DT_PROP(rs == (r0 == 0 || r1 == 0 ? 0 : DURABLE_ENOTFOUND), seed, c);
            DT_PROP(rs != 0 || w_set == (w0 < w1 ? w0 : w1), seed, c);
            DT_PROP(durable_engine_fire_due_of(NULL, t.a.eng, set, 2) == 0, seed, c);
            DT_PROP(durable_engine_fire_due(NULL, t.b.eng) == 0, seed, c);
            DT_PROP(twins_agree(&t), seed, c);
            /* Nothing of the set is due any more. */
            rs = durable_engine_next_due_of(&w_set, t.a.eng, set, 2);
            DT_PROP(rs == DURABLE_ENOTFOUND || (rs == 0 && w_set > ef_now(&t.a)), seed, c);
            char *now_outside = fingerprint(&t.ax[2]);
            DT_PROP(strcmp(now_outside, outside) == 0, seed, c);
            free(now_outside);
        }
        free(outside);
        twins_close(&t);
    }
}

/* ---- the function scope ---------------------------------------------------------- */

/* Property: fire_due_in / next_due_in over the functions of the first two
 * executions do exactly what fire_due_of / next_due_of do over those two
 * executions (twin engines from the same draws), and the third execution,
 * of another function, is left alone. */
static void test_prop_functions_fire_as_set(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0xf0c7);
    static const char *const fns[EXECS] = {"fa", "fb", "fc"};
    for (int c = 0; c < CASES; c++) {
        /* `a` fires by function, `b` by ARN. */
        twins t;
        twins_open(&t, fns, &rng);
        const char *arns[] = {t.bx[0].arn, t.bx[1].arn};
        char *outside = fingerprint(&t.ax[2]);
        for (int round = 0; round < 4; round++) {
            twins_advance(&t, (int64_t)dt_rng_below(&rng, 2500));
            int64_t w_fn = -1, w_arn = -2;
            int r_fn = durable_engine_next_due_in(&w_fn, t.a.eng, fns, 2);
            int r_arn = durable_engine_next_due_of(&w_arn, t.b.eng, arns, 2);
            DT_PROP(r_fn == r_arn && (r_fn != 0 || w_fn == w_arn), seed, c);
            int f_fn = -1, f_arn = -2;
            DT_PROP(durable_engine_fire_due_in(&f_fn, t.a.eng, fns, 2) == 0, seed, c);
            DT_PROP(durable_engine_fire_due_of(&f_arn, t.b.eng, arns, 2) == 0, seed, c);
            DT_PROP(f_fn == f_arn, seed, c);
            DT_PROP(twins_agree(&t), seed, c);
            char *now_outside = fingerprint(&t.ax[2]);
            DT_PROP(strcmp(now_outside, outside) == 0, seed, c);
            free(now_outside);
        }
        free(outside);
        twins_close(&t);
    }
}

static void test_functions_scope_edges(void)
{
    ef f, a;
    ef_open(&f);
    start_fn(&a, &f, "fa", "a", 3600);
    durable_operation_update u;
    ef_wait(&u, "1", 10);
    CU_ASSERT_FATAL(ef_cp1(&a, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&a, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    ef_advance(&f, 11000);
    const char *other[] = {"fb"}, *mine[] = {"fa", "fb"}, *bad[] = {"fa", ""};
    int64_t when = 7;
    int fired = 7;
    /* Another function's set sees nothing; the empty set neither. */
    CU_ASSERT_EQUAL(durable_engine_next_due_in(&when, f.eng, other, 1), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(when, 7);
    CU_ASSERT_EQUAL(durable_engine_next_due_in(&when, f.eng, mine, 0), DURABLE_ENOTFOUND);
    CU_ASSERT_EQUAL(durable_engine_fire_due_in(&fired, f.eng, other, 1), 0);
    CU_ASSERT_EQUAL(fired, 0);
    CU_ASSERT_EQUAL(durable_engine_fire_due_in(&fired, f.eng, mine, 0), 0);
    CU_ASSERT_EQUAL(fired, 0);
    /* A bad name is refused and fires nothing. */
    CU_ASSERT_EQUAL(durable_engine_fire_due_in(&fired, f.eng, bad, 2), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "functions[1]"));
    CU_ASSERT_EQUAL(durable_engine_fire_due_in(&fired, f.eng, NULL, 1), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(op_status(&a, "1"), DURABLE_OP_STARTED);
    /* Its own set fires the wait. */
    CU_ASSERT_EQUAL(durable_engine_next_due_in(&when, f.eng, mine, 2), 0);
    CU_ASSERT_EQUAL(when, ef_now(&f) - 1000);
    CU_ASSERT_EQUAL(durable_engine_fire_due_in(&fired, f.eng, mine, 2), 0);
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(op_status(&a, "1"), DURABLE_OP_SUCCEEDED);
    drop(&a);
    ef_close(&f);
}

/* n more executions of function fn suspended on a day-long wait. */
static void add_waiting(ef *f, const char *fn, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        ef g;
        char name[24];
        snprintf(name, sizeof name, "%s-%d", fn, i);
        start_fn(&g, f, fn, name, 0);
        durable_operation_update u;
        ef_wait(&u, "1", 86400);
        CU_ASSERT_FATAL(ef_cp1(&g, &u) == 0);
        CU_ASSERT_FATAL(ef_complete(&g, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
        drop(&g);
    }
}

/* The function scope's cost does not follow the executions open: with 8x
 * as many suspended executions of the function (and of a foreign one whose
 * timers come first), next_due_in and an idle fire_due_in fetch about the
 * same pages. The _of variants, given the open executions' ARNs, fetch
 * pages for each. */
static void test_functions_scope_cost_flat(void)
{
    ef f;
    ef_open(&f);
    const char *mine[] = {"own"};
    long next[2], fire[2];
    int have = 0;
    for (int k = 0; k < 2; k++) {
        int n = k == 0 ? 100 : 700;
        add_waiting(&f, "foreign", have, 2);
        add_waiting(&f, "own", have, n);
        have += n;
        int64_t when = 0;
        int fired = 0;
        ef_pages_read(f.store);
        CU_ASSERT_EQUAL_FATAL(durable_engine_next_due_in(&when, f.eng, mine, 1), 0);
        next[k] = ef_pages_read(f.store);
        CU_ASSERT_EQUAL_FATAL(durable_engine_fire_due_in(&fired, f.eng, mine, 1), 0);
        fire[k] = ef_pages_read(f.store);
        CU_ASSERT_EQUAL(fired, 0);
    }
    fprintf(stderr, "  next_due_in pages: %ld at 100 executions, %ld at 800; fire_due_in: %ld, %ld\n",
            next[0], next[1], fire[0], fire[1]);
    /* One more b-tree level per index at most. */
    CU_ASSERT(next[1] <= next[0] + 8);
    CU_ASSERT(fire[1] <= fire[0] + 8);
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_timer_scope");
    DT_ADD(s, test_set_sees_and_fires_only_its_timers);
    DT_ADD(s, test_prop_set_fires_as_fire_due);
    DT_ADD(s, test_prop_functions_fire_as_set);
    DT_ADD(s, test_functions_scope_edges);
    DT_ADD(s, test_functions_scope_cost_flat);
    return dt_run();
}
