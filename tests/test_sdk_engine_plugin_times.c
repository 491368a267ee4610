/* What an instrumentation plugin sees of time, against the real engine
 * (issue 17): attempt hooks carry the attempt's start and end times, its
 * outcome (succeeded / failed / will retry) and error, and the stored
 * operation whenever the state holds it; invocation_start carries the
 * operations updated from outside (type, status, timestamps), not only
 * their ids. Every time a hook reports must equal what the engine stored.
 * The engine runs on a FIXED virtual clock that the SDK also reads
 * (sdk_engine_env.h passes it as the invocation clock), so equalities are
 * exact: time moves only between invocations. */
#include <string.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/store.h"
#include "model/internal.h"
#include "support/sdk_engine_env.h"
#include "support/testutil.h"

/* ---- recording plugin -------------------------------------------------------------- */

/* One hook call, copied (infos are borrowed for the call only). "updated"
 * records are the entries of invocation_start's updated_operations. */
typedef struct rec {
    char hook[24];
    int invocation; /* 1-based: how many invocation_start hooks came before, plus this one */
    char id[24];
    char name[24];
    char listed_id[24]; /* "updated": the id at the same index of updated_operation_ids */
    durable_op_type type;
    durable_op_status status;
    int64_t start_ts, end_ts, op_attempt;
    int attempt;
    int64_t attempt_start, attempt_end, delay;
    durable_attempt_outcome attempt_outcome;
    durable_op_status outcome;
    char error[48];
} rec;

typedef struct recorder {
    rec r[128];
    int n;
    int invocations;
} recorder;

static rec *add(recorder *l, const char *hook)
{
    rec *r = &l->r[l->n < 127 ? l->n++ : 127];
    memset(r, 0, sizeof(*r));
    snprintf(r->hook, sizeof(r->hook), "%s", hook);
    r->invocation = l->invocations;
    return r;
}

static void fill_op(rec *r, const durable_operation *op)
{
    snprintf(r->id, sizeof(r->id), "%s", op->id ? op->id : "");
    snprintf(r->name, sizeof(r->name), "%s", op->name ? op->name : "");
    r->type = op->type;
    r->status = op->status;
    r->start_ts = op->start_timestamp;
    r->end_ts = op->end_timestamp;
    r->op_attempt = op->attempt;
}

static void fill_info(rec *r, const durable_operation_info *i)
{
    fill_op(r, i->operation);
    r->attempt = i->attempt;
    r->attempt_start = i->attempt_start_timestamp;
    r->attempt_end = i->attempt_end_timestamp;
    r->attempt_outcome = i->attempt_outcome;
    r->delay = i->next_attempt_delay_seconds;
    r->outcome = i->outcome;
    if (i->error && i->error->error_message)
        snprintf(r->error, sizeof(r->error), "%s", i->error->error_message);
}

static int h_inv_start(void *u, const durable_invocation_info *i)
{
    recorder *l = u;
    l->invocations++;
    add(l, "invocation-start");
    CU_ASSERT_EQUAL(i->updated_operations == NULL, i->updated_operation_count == 0);
    for (size_t k = 0; i->updated_operations && k < i->updated_operation_count; k++) {
        rec *r = add(l, "updated");
        fill_op(r, &i->updated_operations[k]);
        snprintf(r->listed_id, sizeof(r->listed_id), "%s", i->updated_operation_ids[k]);
    }
    return 0;
}
/* The operation-info hooks differ only by the name they record. */
#define RECORD_HOOK(fn, hook)                                                             \
    static int fn(void *u, const durable_operation_info *i)                              \
    {                                                                                     \
        fill_info(add(u, hook), i);                                                       \
        return 0;                                                                         \
    }
RECORD_HOOK(h_op_start, "operation-start")
RECORD_HOOK(h_op_end, "operation-end")
RECORD_HOOK(h_att_start, "attempt-start")
RECORD_HOOK(h_att_end, "attempt-end")

static durable_plugin recording(recorder *l)
{
    durable_plugin p;
    memset(&p, 0, sizeof(p));
    p.name = "times";
    p.user = l;
    p.invocation_start = h_inv_start;
    p.operation_start = h_op_start;
    p.operation_end = h_op_end;
    p.attempt_start = h_att_start;
    p.attempt_end = h_att_end;
    return p;
}

/* The k-th (0-based) record of hook for the operation named name. */
static const rec *find(const recorder *l, const char *hook, const char *name, int k)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->r[i].hook, hook) == 0 && (!name || strcmp(l->r[i].name, name) == 0) &&
            k-- == 0)
            return &l->r[i];
    return NULL;
}

static int count(const recorder *l, const char *hook, const char *name)
{
    int n = 0;
    while (find(l, hook, name, n))
        n++;
    return n;
}

/* Every operation a hook reported, once the state held it (status set),
 * carries exactly the timestamps the engine stored; until then (a live
 * descriptor) it carries none. Returns how many records were compared. */
static int expect_stored_times(env *v, const recorder *l)
{
    int compared = 0;
    for (int i = 0; i < l->n; i++) {
        const rec *r = &l->r[i];
        if (!r->id[0])
            continue;
        if (r->status == DURABLE_OP_STATUS_NONE) {
            CU_ASSERT_EQUAL(r->start_ts, 0);
            CU_ASSERT_EQUAL(r->end_ts, 0);
            continue;
        }
        durable_operation final;
        durable_operation_init(&final);
        CU_ASSERT_EQUAL_FATAL(durable_engine_get_operation(&final, v->engine, v->arn, r->id), 0);
        CU_ASSERT_EQUAL(r->type, final.type);
        CU_ASSERT_EQUAL(r->start_ts, final.start_timestamp);
        if (durable_op_status_is_terminal(r->status)) {
            CU_ASSERT_EQUAL(r->status, final.status);
            CU_ASSERT_EQUAL(r->end_ts, final.end_timestamp);
        } else {
            CU_ASSERT_EQUAL(r->end_ts, 0);
        }
        if (r->start_ts != final.start_timestamp || r->type != final.type)
            fprintf(stderr, "%s %s (invocation %d): start %lld, stored %lld\n", r->hook,
                    r->name, r->invocation, (long long)r->start_ts,
                    (long long)final.start_timestamp);
        durable_operation_clear(&final);
        compared++;
    }
    return compared;
}

/* ---- the workflow: an at-most-once step, a retried step, a wait, a callback ------- */

typedef struct flow {
    const durable_retry_strategy *one_second;
    char cb_id[512];
    int flaky_runs;
} flow;

static int once_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    (void)user;
    *result = cJSON_CreateString("once");
    return 0;
}

static int flaky_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    flow *f = user;
    f->flaky_runs++;
    if (durable_step_attempt(sctx) == 1)
        return durable_step_fail(sctx, "TransientError", "try again", NULL);
    *result = cJSON_CreateString("flaky");
    return 0;
}

static int flow_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    flow *f = user;
    durable_step_options once = DURABLE_STEP_OPTIONS_INIT;
    once.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
    int rc = durable_step(ctx, NULL, "once", once_body, f, &once);
    if (rc)
        return rc;
    durable_step_options retried = DURABLE_STEP_OPTIONS_INIT;
    retried.retry = f->one_second;
    if ((rc = durable_step(ctx, NULL, "flaky", flaky_body, f, &retried)) != 0)
        return rc;
    if ((rc = durable_wait(ctx, "pause", 5)) != 0)
        return rc;
    durable_callback *cb = NULL;
    if ((rc = durable_create_callback(ctx, &cb, "approve", NULL)) != 0)
        return rc;
    const char *id = durable_callback_id(cb);
    CU_ASSERT_FATAL(strlen(id) < sizeof(f->cb_id));
    snprintf(f->cb_id, sizeof(f->cb_id), "%s", id);
    const cJSON *r = NULL;
    if ((rc = durable_callback_await(cb, &r)) != 0)
        return rc;
    *out = cJSON_Duplicate(r, 1);
    return 0;
}

/* The outside world answers the callback once it exists. */
static void answer_callback(env *v, void *user)
{
    flow *f = user;
    if (f->cb_id[0] && env_is_open(v)) {
        CU_ASSERT_EQUAL(durable_engine_callback_success(v->engine, f->cb_id, "yes", 3), 0);
        f->cb_id[0] = '\0';
    }
}

static void run_flow(env *v, recorder *l, flow *f)
{
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.initial_delay_seconds = 1;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &ro), 0);
    f->one_second = s;
    memset(l, 0, sizeof(*l));
    static durable_plugin p;
    p = recording(l);
    env_open(v);
    v->plugins = &p;
    v->plugin_count = 1;
    v->between = answer_callback;
    v->between_user = f;
    env_run(v, NULL, flow_handler, f, 10);
    durable_retry_strategy_free(s);
    f->one_second = NULL;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_flow_runs_in_four_invocations(void)
{
    env v;
    recorder l;
    flow f;
    memset(&f, 0, sizeof(f));
    run_flow(&v, &l, &f);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    if (v.info.result)
        CU_ASSERT_STRING_EQUAL(v.info.result, "\"yes\"");
    /* 1: once, flaky attempt 1 (retry); 2: flaky attempt 2, wait; 3: the
     * callback is created; 4: the answered callback. */
    CU_ASSERT_EQUAL(v.invocations, 4);
    CU_ASSERT_EQUAL(f.flaky_runs, 2);
    CU_ASSERT_EQUAL(count(&l, "invocation-start", NULL), 4);
    env_close(&v);
}

static void test_retried_attempts_carry_times_outcome_and_stored_operation(void)
{
    env v;
    recorder l;
    flow f;
    memset(&f, 0, sizeof(f));
    run_flow(&v, &l, &f);
    CU_ASSERT_EQUAL_FATAL(count(&l, "attempt-start", "flaky"), 2);
    CU_ASSERT_EQUAL_FATAL(count(&l, "attempt-end", "flaky"), 2);
    const rec *s1 = find(&l, "attempt-start", "flaky", 0);
    const rec *e1 = find(&l, "attempt-end", "flaky", 0);
    const rec *s2 = find(&l, "attempt-start", "flaky", 1);
    const rec *e2 = find(&l, "attempt-end", "flaky", 1);
    durable_operation stored;
    durable_operation_init(&stored);
    CU_ASSERT_EQUAL_FATAL(durable_engine_get_operation(&stored, v.engine, v.arn, s1->id), 0);

    /* Attempt 1, first run: started when the service stamped START, ended
     * failed with a retry 1 s later. */
    CU_ASSERT_EQUAL(s1->invocation, 1);
    CU_ASSERT_EQUAL(s1->attempt, 1);
    CU_ASSERT_EQUAL(s1->attempt_start, T0);
    CU_ASSERT_EQUAL(s1->attempt_start, stored.start_timestamp);
    CU_ASSERT_EQUAL(s1->attempt_end, 0); /* not known at the start */
    CU_ASSERT_EQUAL(s1->attempt_outcome, DURABLE_ATTEMPT_NONE);
    CU_ASSERT_EQUAL(e1->invocation, 1);
    CU_ASSERT_EQUAL(e1->attempt_start, s1->attempt_start);
    CU_ASSERT_EQUAL(e1->attempt_end, T0);
    CU_ASSERT_EQUAL(e1->attempt_outcome, DURABLE_ATTEMPT_WILL_RETRY);
    CU_ASSERT_EQUAL(e1->outcome, DURABLE_OP_FAILED);
    CU_ASSERT_STRING_EQUAL(e1->error, "try again");
    CU_ASSERT_EQUAL(e1->delay, 1);

    /* Attempt 2, on replay: the stored operation (READY after one attempt,
     * START stamped by attempt 1) is there from attempt_start on, and the
     * attempt starts when the retry came due. */
    CU_ASSERT_EQUAL(s2->invocation, 2);
    CU_ASSERT_EQUAL(s2->attempt, 2);
    CU_ASSERT_EQUAL(s2->type, DURABLE_OP_STEP);
    CU_ASSERT_EQUAL(s2->status, DURABLE_OP_READY);
    CU_ASSERT_EQUAL(s2->op_attempt, 1);
    CU_ASSERT_EQUAL(s2->start_ts, stored.start_timestamp);
    CU_ASSERT_EQUAL(s2->attempt_start, e1->attempt_end + e1->delay * 1000);
    CU_ASSERT(e1->attempt_end < s2->attempt_start); /* attempt 1 ends before attempt 2 starts */
    CU_ASSERT_EQUAL(e2->invocation, 2);
    CU_ASSERT_EQUAL(e2->attempt_start, s2->attempt_start);
    CU_ASSERT(e2->attempt_end >= e2->attempt_start);
    CU_ASSERT_EQUAL(e2->attempt_outcome, DURABLE_ATTEMPT_SUCCEEDED);
    CU_ASSERT_EQUAL(e2->outcome, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(e2->error[0], '\0');
    CU_ASSERT_EQUAL(e2->delay, 0);
    CU_ASSERT(e2->status != DURABLE_OP_STATUS_NONE); /* stored, seen from the start */
    /* The step ended when attempt 2 returned. */
    CU_ASSERT_EQUAL(stored.status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(e2->attempt_end, stored.end_timestamp);
    durable_operation_clear(&stored);

    /* The history stamps each attempt's START and its RETRY / SUCCEED at
     * the times the hooks gave. */
    int64_t hist[4] = {0, 0, 0, 0};
    int n = 0;
    for (size_t k = 0; k < v.history.count; k++) {
        const durable_event *ev = &v.history.events[k];
        if (ev->id && strcmp(ev->id, s1->id) == 0 && n < 4)
            hist[n++] = ev->timestamp;
    }
    CU_ASSERT_EQUAL(n, 4); /* StepStarted, StepFailed (retry), StepStarted, StepSucceeded */
    CU_ASSERT_EQUAL(hist[0], s1->attempt_start);
    CU_ASSERT_EQUAL(hist[1], e1->attempt_end);
    CU_ASSERT_EQUAL(hist[2], s2->attempt_start);
    CU_ASSERT_EQUAL(hist[3], e2->attempt_end);

    /* The step's operation_end (from its merged SUCCEED) agrees. */
    const rec *end = find(&l, "operation-end", "flaky", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    CU_ASSERT_EQUAL(end->end_ts, e2->attempt_end);
    CU_ASSERT_EQUAL(end->start_ts, s1->attempt_start);
    CU_ASSERT(expect_stored_times(&v, &l) > 0);
    env_close(&v);
}

static void test_at_most_once_attempt_sees_acknowledged_start(void)
{
    env v;
    recorder l;
    flow f;
    memset(&f, 0, sizeof(f));
    run_flow(&v, &l, &f);
    CU_ASSERT_EQUAL_FATAL(count(&l, "attempt-start", "once"), 1);
    const rec *s = find(&l, "attempt-start", "once", 0);
    const rec *e = find(&l, "attempt-end", "once", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    /* START is acknowledged before the body runs, so even the first run's
     * attempt_start carries the stored operation. */
    CU_ASSERT_EQUAL(s->invocation, 1);
    CU_ASSERT_EQUAL(s->status, DURABLE_OP_STARTED);
    CU_ASSERT_EQUAL(s->start_ts, T0);
    CU_ASSERT_EQUAL(s->attempt_start, s->start_ts);
    CU_ASSERT_EQUAL(e->attempt_outcome, DURABLE_ATTEMPT_SUCCEEDED);
    CU_ASSERT(e->attempt_end >= e->attempt_start);
    CU_ASSERT_EQUAL(e->start_ts, s->start_ts);
    /* The step that followed started no earlier than this attempt ended. */
    const rec *next = find(&l, "attempt-start", "flaky", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(next);
    CU_ASSERT(e->attempt_end <= next->attempt_start);
    expect_stored_times(&v, &l);
    env_close(&v);
}

static void test_invocation_start_lists_updated_operations(void)
{
    env v;
    recorder l;
    flow f;
    memset(&f, 0, sizeof(f));
    run_flow(&v, &l, &f);
    /* Each updated entry is the operation of the id at its index. */
    int entries = 0;
    for (int i = 0; i < l.n; i++)
        if (strcmp(l.r[i].hook, "updated") == 0) {
            CU_ASSERT_STRING_EQUAL(l.r[i].id, l.r[i].listed_id);
            entries++;
        }
    CU_ASSERT(entries >= 2);
    /* The wait ended between invocations 2 and 3, the callback was
     * answered between 3 and 4: the plugin can tell them apart. */
    const rec *w = find(&l, "updated", "pause", 0);
    const rec *c = find(&l, "updated", "approve", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(w->invocation, 3);
    CU_ASSERT_EQUAL(w->type, DURABLE_OP_WAIT);
    CU_ASSERT_EQUAL(w->status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(w->end_ts, w->start_ts + 5000);
    CU_ASSERT_EQUAL(c->invocation, 4);
    CU_ASSERT_EQUAL(c->type, DURABLE_OP_CALLBACK);
    CU_ASSERT_EQUAL(c->status, DURABLE_OP_SUCCEEDED);
    CU_ASSERT(c->end_ts >= c->start_ts);
    /* Wait and callback hooks (start, end, updated) all carry the stored times. */
    CU_ASSERT(count(&l, "operation-end", "pause") == 1);
    CU_ASSERT(count(&l, "operation-end", "approve") == 1);
    CU_ASSERT(expect_stored_times(&v, &l) >= 8);
    env_close(&v);
}

/* ---- waitForCondition: a poll that continues is WILL_RETRY with outcome SUCCEEDED -- */

static int check_twice(durable_step_ctx *sctx, cJSON **new_state, const cJSON *state,
                       void *user)
{
    (void)sctx;
    (void)user;
    *new_state = cJSON_CreateNumber(cJSON_GetNumberValue(state) + 1);
    return 0;
}

static int until_two(durable_wait_decision *out, const cJSON *state, int attempt, void *user)
{
    (void)attempt;
    (void)user;
    out->should_continue = cJSON_GetNumberValue(state) < 2;
    out->delay_seconds = 3;
    return 0;
}

static int poll_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    durable_wait_strategy *s = NULL;
    int rc = durable_wait_strategy_custom(&s, until_two, NULL);
    if (rc)
        return rc;
    cJSON *zero = cJSON_CreateNumber(0);
    durable_wait_for_condition_options o = DURABLE_WAIT_FOR_CONDITION_OPTIONS_INIT;
    o.strategy = s;
    o.initial_state = zero;
    rc = durable_wait_for_condition(ctx, NULL, "poll", check_twice, NULL, &o);
    cJSON_Delete(zero);
    durable_wait_strategy_free(s);
    return rc;
}

static void test_wait_for_condition_polls_report_will_retry(void)
{
    recorder l;
    memset(&l, 0, sizeof(l));
    durable_plugin p = recording(&l);
    env v;
    env_open(&v);
    v.plugins = &p;
    v.plugin_count = 1;
    env_run(&v, NULL, poll_handler, NULL, 10);
    CU_ASSERT_EQUAL(v.info.status, DURABLE_EXEC_SUCCEEDED);
    CU_ASSERT_EQUAL_FATAL(count(&l, "attempt-end", "poll"), 2);
    const rec *e1 = find(&l, "attempt-end", "poll", 0);
    const rec *s2 = find(&l, "attempt-start", "poll", 1);
    const rec *e2 = find(&l, "attempt-end", "poll", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
    CU_ASSERT_EQUAL(e1->attempt_outcome, DURABLE_ATTEMPT_WILL_RETRY);
    CU_ASSERT_EQUAL(e1->outcome, DURABLE_OP_SUCCEEDED);
    CU_ASSERT_EQUAL(e1->delay, 3);
    CU_ASSERT_EQUAL(e1->attempt_end, T0);
    CU_ASSERT_EQUAL(s2->attempt_start, T0 + 3000);
    CU_ASSERT_EQUAL(s2->status, DURABLE_OP_READY);
    CU_ASSERT_EQUAL(e2->attempt_outcome, DURABLE_ATTEMPT_SUCCEEDED);
    CU_ASSERT_EQUAL(e2->delay, 0);
    expect_stored_times(&v, &l);
    env_close(&v);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_engine_plugin_times");
    DT_ADD(s, test_flow_runs_in_four_invocations);
    DT_ADD(s, test_retried_attempts_carry_times_outcome_and_stored_operation);
    DT_ADD(s, test_at_most_once_attempt_sees_acknowledged_start);
    DT_ADD(s, test_invocation_start_lists_updated_operations);
    DT_ADD(s, test_wait_for_condition_polls_report_will_retry);
    return dt_run();
}
