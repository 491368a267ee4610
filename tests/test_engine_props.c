/* Engine properties (seeded, >= 100 cases each; the seed is printed):
 *  12: after any valid random checkpoint sequence the operation state is
 *      consistent with a model of the rules, and every operation is
 *      retrievable by id;
 *  13: a callback completes exactly once; later completions are rejected
 *      and change nothing;
 *  14: every status change produces its event (predicted by the model), with
 *      consecutive EventIds and non-decreasing timestamps;
 *  and every checkpoint's delta is exactly the operations whose
 *  last_changed_seq is above the watermark it started from (SPEC §7.3),
 *  each field for field as its row reads back. */
#include <string.h>

#include "engine/engine_internal.h"
#include "support/engine_fixture.h"
#include "support/testutil.h"

#define CASES 100
#define MAX_OPS 160
#define MAX_EVENTS 1024

typedef struct mop {
    char path[48];
    char id[DURABLE_OP_ID_LEN + 1];
    durable_op_type type;
    durable_op_status status;
    int parent;     /* index, -1 = root */
    int children;   /* child counter of a context */
    int64_t attempt;
    int64_t due;    /* wait end / retry time; 0 = none */
    int touched;    /* batch number that last touched it */
} mop;

typedef struct model {
    mop ops[MAX_OPS];
    int n;
    int roots;
    durable_event_type ev[MAX_EVENTS];
    int64_t ev_ts[MAX_EVENTS];
    int nev;
    int batch;
} model;

static void expect_event(model *m, durable_event_type t, int64_t ts)
{
    if (m->nev < MAX_EVENTS) {
        m->ev[m->nev] = t;
        m->ev_ts[m->nev++] = ts;
    }
}

static int pick(dt_rng *r, model *m, durable_op_type type, const durable_op_status *sts, int nst,
                bool untouched)
{
    int cand[MAX_OPS], k = 0;
    for (int i = 0; i < m->n; i++) {
        if (m->ops[i].type != type || (untouched && m->ops[i].touched == m->batch))
            continue;
        for (int s = 0; s < nst; s++)
            if (m->ops[i].status == sts[s])
                cand[k++] = i;
    }
    return k ? cand[dt_rng_below(r, (uint64_t)k)] : -1;
}

/* A new operation under a random running context (or the root). */
static int new_op(dt_rng *r, model *m, durable_op_type type)
{
    if (m->n >= MAX_OPS)
        return -1;
    const durable_op_status running[] = {DURABLE_OP_STARTED};
    int parent = dt_rng_below(r, 2) ? pick(r, m, DURABLE_OP_CONTEXT, running, 1, false) : -1;
    if (parent >= 0 && strlen(m->ops[parent].path) > 36)
        parent = -1; /* keep paths short */
    mop *o = &m->ops[m->n];
    memset(o, 0, sizeof *o);
    if (parent < 0)
        snprintf(o->path, sizeof o->path, "%d", ++m->roots);
    else {
        char parent_path[sizeof o->path];
        memcpy(parent_path, m->ops[parent].path, sizeof parent_path);
        snprintf(o->path, sizeof o->path, "%.40s-%d", parent_path, ++m->ops[parent].children);
    }
    durable_op_id(o->id, o->path);
    o->type = type;
    o->parent = parent;
    o->status = DURABLE_OP_STATUS_NONE;
    return m->n++;
}

/* Append one random valid update for the current batch to u; returns 0 if
 * nothing applicable was found. Updates the model as the engine must. */
static int gen_update(dt_rng *r, model *m, durable_operation_update *u, int64_t now)
{
    int kind = (int)dt_rng_below(r, 8);
    int i;
    const durable_op_status step_open[] = {DURABLE_OP_STARTED, DURABLE_OP_READY};
    const durable_op_status started[] = {DURABLE_OP_STARTED};
    switch (kind) {
    case 0: /* new step, any first action */
    case 1: /* existing open step */
        if (kind == 1 && (i = pick(r, m, DURABLE_OP_STEP, step_open, 2, true)) >= 0) {
        } else if ((i = new_op(r, m, DURABLE_OP_STEP)) < 0) {
            return 0;
        }
        {
            mop *o = &m->ops[i];
            durable_op_action a;
            if (o->status == DURABLE_OP_STARTED)
                a = (durable_op_action)(DURABLE_ACTION_SUCCEED + dt_rng_below(r, 3));
            else
                a = (durable_op_action)(DURABLE_ACTION_START + dt_rng_below(r, 4));
            ef_upd(u, DURABLE_OP_STEP, a, o->path);
            if (o->parent >= 0 && o->status == DURABLE_OP_STATUS_NONE)
                u->parent_id = durable__strdup(m->ops[o->parent].id);
            if (a == DURABLE_ACTION_START) {
                o->status = DURABLE_OP_STARTED;
                expect_event(m, DURABLE_EVENT_STEP_STARTED, now);
            } else if (a == DURABLE_ACTION_SUCCEED) {
                u->payload = durable__strdup("\"ok\"");
                o->status = DURABLE_OP_SUCCEEDED;
                o->attempt++;
                expect_event(m, DURABLE_EVENT_STEP_SUCCEEDED, now);
            } else if (a == DURABLE_ACTION_FAIL) {
                durable_error_object_new(&u->error, "E", "failed", NULL);
                o->status = DURABLE_OP_FAILED;
                o->attempt++;
                expect_event(m, DURABLE_EVENT_STEP_FAILED, now);
            } else {
                int64_t d = 1 + (int64_t)dt_rng_below(r, 4);
                u->options = DURABLE_OPTIONS_STEP;
                u->next_attempt_delay_seconds = d;
                bool with_error = dt_rng_below(r, 2);
                if (with_error)
                    durable_error_object_new(&u->error, "E", "retry", NULL);
                else
                    u->payload = durable__strdup("{\"poll\":1}");
                o->status = DURABLE_OP_PENDING;
                o->attempt++;
                o->due = now + d * 1000;
                expect_event(m, with_error ? DURABLE_EVENT_STEP_FAILED : DURABLE_EVENT_STEP_SUCCEEDED,
                             now);
            }
            o->touched = m->batch;
            return 1;
        }
    case 2:
        if ((i = new_op(r, m, DURABLE_OP_WAIT)) < 0)
            return 0;
        {
            int64_t s = 1 + (int64_t)dt_rng_below(r, 4);
            ef_wait(u, m->ops[i].path, s);
            if (m->ops[i].parent >= 0)
                u->parent_id = durable__strdup(m->ops[m->ops[i].parent].id);
            m->ops[i].status = DURABLE_OP_STARTED;
            m->ops[i].due = now + s * 1000;
            m->ops[i].touched = m->batch;
            expect_event(m, DURABLE_EVENT_WAIT_STARTED, now);
            return 1;
        }
    case 3:
        if ((i = pick(r, m, DURABLE_OP_WAIT, started, 1, true)) < 0)
            return 0;
        ef_upd(u, DURABLE_OP_WAIT, DURABLE_ACTION_CANCEL, m->ops[i].path);
        m->ops[i].status = DURABLE_OP_CANCELLED;
        m->ops[i].due = 0;
        m->ops[i].touched = m->batch;
        expect_event(m, DURABLE_EVENT_WAIT_CANCELLED, now);
        return 1;
    case 4:
        if ((i = new_op(r, m, DURABLE_OP_CALLBACK)) < 0)
            return 0;
        ef_callback(u, m->ops[i].path, 0, 0);
        if (m->ops[i].parent >= 0)
            u->parent_id = durable__strdup(m->ops[m->ops[i].parent].id);
        m->ops[i].status = DURABLE_OP_STARTED;
        m->ops[i].touched = m->batch;
        expect_event(m, DURABLE_EVENT_CALLBACK_STARTED, now);
        return 1;
    case 5:
        if ((i = pick(r, m, DURABLE_OP_CALLBACK, started, 1, true)) < 0)
            return 0;
        ef_upd(u, DURABLE_OP_CALLBACK, DURABLE_ACTION_CANCEL, m->ops[i].path);
        m->ops[i].status = DURABLE_OP_CANCELLED; /* no event */
        m->ops[i].touched = m->batch;
        return 1;
    case 6:
        if ((i = new_op(r, m, DURABLE_OP_CONTEXT)) < 0)
            return 0;
        ef_upd(u, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, m->ops[i].path);
        if (m->ops[i].parent >= 0)
            u->parent_id = durable__strdup(m->ops[m->ops[i].parent].id);
        m->ops[i].status = DURABLE_OP_STARTED;
        m->ops[i].touched = m->batch;
        expect_event(m, DURABLE_EVENT_CONTEXT_STARTED, now);
        return 1;
    default:
        if ((i = pick(r, m, DURABLE_OP_CONTEXT, started, 1, true)) < 0)
            return 0;
        {
            bool ok = dt_rng_below(r, 3) != 0;
            ef_upd(u, DURABLE_OP_CONTEXT, ok ? DURABLE_ACTION_SUCCEED : DURABLE_ACTION_FAIL,
                   m->ops[i].path);
            if (ok)
                u->payload = durable__strdup("[]");
            else
                durable_error_object_new(&u->error, "ChildContextError", "x", NULL);
            m->ops[i].status = ok ? DURABLE_OP_SUCCEEDED : DURABLE_OP_FAILED;
            m->ops[i].touched = m->batch;
            expect_event(m, ok ? DURABLE_EVENT_CONTEXT_SUCCEEDED : DURABLE_EVENT_CONTEXT_FAILED, now);
            return 1;
        }
    }
}

/* Timers due at `now`, in deadline order then start order (ops are in start order). */
static void model_fire(model *m, int64_t now)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < m->n; i++) {
            mop *o = &m->ops[i];
            bool armed = (o->type == DURABLE_OP_WAIT && o->status == DURABLE_OP_STARTED) ||
                         (o->type == DURABLE_OP_STEP && o->status == DURABLE_OP_PENDING);
            if (armed && o->due && o->due <= now && (best < 0 || o->due < m->ops[best].due))
                best = i;
        }
        if (best < 0)
            return;
        mop *o = &m->ops[best];
        if (o->type == DURABLE_OP_WAIT) {
            o->status = DURABLE_OP_SUCCEEDED;
            expect_event(m, DURABLE_EVENT_WAIT_SUCCEEDED, now);
        } else {
            o->status = DURABLE_OP_READY;
        }
        o->due = 0;
    }
}

static bool check_ops(ef *f, model *m)
{
    bool ok = true;
    durable_operation_list all = {0};
    if (durable_engine_list_operations(&all, f->eng, f->arn) != 0 || (int)all.count != m->n + 1)
        ok = false;
    durable_operation_list_clear(&all);
    for (int i = 0; i < m->n && ok; i++) {
        durable_operation op;
        if (durable_engine_get_operation(&op, f->eng, f->arn, m->ops[i].id) != 0)
            return false;
        const mop *o = &m->ops[i];
        int64_t attempt = op.attempt == DURABLE_ABSENT ? 0 : op.attempt;
        if (op.type != o->type || op.status != o->status ||
            (o->type == DURABLE_OP_STEP && attempt != o->attempt) ||
            (o->parent < 0 ? op.parent_id != NULL
                           : (!op.parent_id || strcmp(op.parent_id, m->ops[o->parent].id) != 0)) ||
            (durable_op_status_is_terminal(op.status) != (op.end_timestamp != 0))) {
            fprintf(stderr, "\n  op %s: type %d/%d status %s/%s attempt %lld/%lld\n", o->path,
                    op.type, o->type, durable_op_status_name(op.status),
                    durable_op_status_name(o->status), (long long)attempt, (long long)o->attempt);
            ok = false;
        }
        durable_operation_clear(&op);
    }
    return ok;
}

static bool check_history(ef *f, model *m)
{
    durable_history_response h = {0};
    if (ef_history(f, &h) != 0)
        return false;
    bool ok = (int)h.count == m->nev + 1 && h.events[0].type == DURABLE_EVENT_EXECUTION_STARTED;
    for (size_t i = 0; ok && i < h.count; i++) {
        if (h.events[i].event_id != (int64_t)i + 1)
            ok = false;
        if (i > 0 && h.events[i].timestamp < h.events[i - 1].timestamp)
            ok = false;
        if (i > 0 && (h.events[i].type != m->ev[i - 1] || h.events[i].timestamp != m->ev_ts[i - 1])) {
            fprintf(stderr, "\n  event %zu: %s at %lld, expected %s at %lld\n", i + 1,
                    durable_event_type_name(h.events[i].type), (long long)h.events[i].timestamp,
                    durable_event_type_name(m->ev[i - 1]), (long long)m->ev_ts[i - 1]);
            ok = false;
        }
    }
    if ((int)h.count != m->nev + 1)
        fprintf(stderr, "\n  history has %zu events, model %d\n", h.count, m->nev + 1);
    durable_history_response_clear(&h);
    return ok;
}

/* Properties 12 and 14 over the same random runs. */
/* SPEC §7.3 by its definition: the delta is every operation with
 * last_changed_seq above the watermark the checkpoint started from, in start
 * order (the engine finds them another way; this reads the columns). */
static int64_t delivered_seq(ef *f)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    sqlite3_prepare_v2(durable__store_db(f->store),
                       "SELECT delivered_seq FROM executions WHERE arn = ?1", -1, &st, NULL);
    sqlite3_bind_text(st, 1, f->arn, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static bool check_delta(ef *f, int64_t watermark, const durable_operation_list *got)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(durable__store_db(f->store),
                       "SELECT " DURABLE__OP_COLUMNS " FROM operations WHERE execution_id = "
                       "(SELECT id FROM executions WHERE arn = ?1) AND last_changed_seq > ?2 "
                       "ORDER BY start_seq",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, f->arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, watermark);
    size_t i = 0;
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        eng_op row;
        ok = durable__op_from_row(&row, st) == 0 && i < got->count &&
             durable_operation_equal(&got->items[i], &row.op);
        if (!ok)
            fprintf(stderr, "\n  delta[%zu]: want %s %s, got %s %s (or another field differs)\n",
                    i, row.op.id, durable_op_status_name(row.op.status),
                    i < got->count ? got->items[i].id : "(end)",
                    i < got->count ? durable_op_status_name(got->items[i].status) : "");
        durable__eop_clear(&row);
        i++;
    }
    sqlite3_finalize(st);
    if (ok && i != got->count) {
        fprintf(stderr, "\n  delta has %zu operations, want %zu\n", got->count, i);
        ok = false;
    }
    return ok;
}

static void test_prop_state_and_events(void)
{
    uint64_t seed = dt_seed();
    static model m;
    for (int c = 0; c < CASES; c++) {
        dt_rng r;
        dt_rng_init(&r, seed + (uint64_t)c * 7919);
        ef f;
        ef_open(&f);
        ef_start(&f, NULL);
        memset(&m, 0, sizeof m);
        bool ok = true;
        int steps = 10 + (int)dt_rng_below(&r, 20);
        for (int s = 0; s < steps && ok; s++) {
            int move = (int)dt_rng_below(&r, 10);
            if (move < 7) {
                durable_operation_update u[4];
                int n = 0, want = 1 + (int)dt_rng_below(&r, 4);
                m.batch++;
                for (int k = 0; k < want * 3 && n < want; k++)
                    n += gen_update(&r, &m, &u[n], ef_now(&f));
                int64_t watermark = delivered_seq(&f);
                durable_checkpoint_response resp = {0};
                int rc = ef_cp(&f, u, (size_t)n, &resp);
                if (rc != 0)
                    fprintf(stderr, "\n  checkpoint rejected: %s\n", durable_engine_errmsg(f.eng));
                DT_PROP(rc == 0, seed, c);
                ef_clear_updates(u, (size_t)n);
                ok = rc == 0;
                if (ok) {
                    ok = check_delta(&f, watermark, &resp.operations); /* SPEC §7.3 */
                    DT_PROP(ok, seed, c);
                }
                durable_checkpoint_response_clear(&resp);
            } else if (move < 8) {
                const durable_op_status started[] = {DURABLE_OP_STARTED};
                int i = pick(&r, &m, DURABLE_OP_CALLBACK, started, 1, false);
                if (i >= 0) {
                    durable_operation op;
                    durable_engine_get_operation(&op, f.eng, f.arn, m.ops[i].id);
                    bool success = dt_rng_below(&r, 2);
                    int rc = success ? durable_engine_callback_success(f.eng, op.callback_id, "1", 1)
                                     : durable_engine_callback_failure(f.eng, op.callback_id, NULL);
                    DT_PROP(rc == 0, seed, c);
                    m.ops[i].status = success ? DURABLE_OP_SUCCEEDED : DURABLE_OP_FAILED;
                    expect_event(&m, success ? DURABLE_EVENT_CALLBACK_SUCCEEDED
                                             : DURABLE_EVENT_CALLBACK_FAILED,
                                 ef_now(&f));
                    durable_operation_clear(&op);
                }
            } else {
                ef_advance(&f, (int64_t)dt_rng_below(&r, 4) * 1000 + (int64_t)dt_rng_below(&r, 2) * 500);
                DT_PROP(durable_engine_fire_due(NULL, f.eng) == 0, seed, c);
                model_fire(&m, ef_now(&f));
                /* Firing leaves nothing due (the loop may stop without a
                 * last scan when the one due timer fired armed none). */
                int64_t when = 0;
                int nrc = durable_engine_next_due(&when, f.eng);
                DT_PROP(nrc == DURABLE_ENOTFOUND || (nrc == 0 && when > ef_now(&f)), seed, c);
            }
            if (ok) {
                ok = check_ops(&f, &m); /* property 12 */
                DT_PROP(ok, seed, c);
            }
        }
        if (ok)
            DT_PROP(check_history(&f, &m), seed, c); /* property 14 */
        ef_close(&f);
        if (!ok)
            break;
    }
}

/* Property 13: exactly-once callback completion under random calls and timers. */
typedef struct mcb {
    char *id;
    durable_op_status status;
    int64_t timeout_at;   /* 0 = none */
    int64_t hb_seconds;
    int64_t hb_at;        /* 0 = none */
    int completions;      /* accepted success/failure calls */
} mcb;

static void test_prop_callback_exactly_once(void)
{
    uint64_t seed = dt_seed();
    for (int c = 0; c < CASES; c++) {
        dt_rng r;
        dt_rng_init(&r, seed ^ (0x9e37ULL * (uint64_t)(c + 1)));
        ef f;
        ef_open(&f);
        ef_start(&f, NULL);
        mcb cbs[3];
        durable_operation_update u[3];
        for (int i = 0; i < 3; i++) {
            char path[4];
            snprintf(path, sizeof path, "%d", i + 1);
            int64_t t = (int64_t)dt_rng_below(&r, 3) * 5;  /* 0, 5, 10 */
            int64_t hb = (int64_t)dt_rng_below(&r, 2) * 3; /* 0, 3 */
            ef_callback(&u[i], path, t, hb);
            cbs[i].status = DURABLE_OP_STARTED;
            cbs[i].timeout_at = t ? EF_T0 + t * 1000 : 0;
            cbs[i].hb_seconds = hb;
            cbs[i].hb_at = hb ? EF_T0 + hb * 1000 : 0;
            cbs[i].completions = 0;
        }
        CU_ASSERT_FATAL(ef_cp(&f, u, 3, NULL) == 0);
        ef_clear_updates(u, 3);
        for (int i = 0; i < 3; i++) {
            durable_operation op;
            char path[4];
            snprintf(path, sizeof path, "%d", i + 1);
            ef_get_op(&f, path, &op);
            cbs[i].id = durable__strdup(op.callback_id);
            durable_operation_clear(&op);
        }
        bool ok = true;
        for (int s = 0; s < 20 && ok; s++) {
            int move = (int)dt_rng_below(&r, 4);
            if (move == 3) {
                ef_advance(&f, 1000 * (int64_t)dt_rng_below(&r, 4));
                ok = durable_engine_fire_due(NULL, f.eng) == 0;
                int64_t now = ef_now(&f);
                for (int i = 0; i < 3; i++) {
                    mcb *cb = &cbs[i];
                    if (cb->status != DURABLE_OP_STARTED)
                        continue;
                    if ((cb->timeout_at && cb->timeout_at <= now) || (cb->hb_at && cb->hb_at <= now))
                        cb->status = DURABLE_OP_TIMED_OUT;
                }
                continue;
            }
            int i = (int)dt_rng_below(&r, 3);
            mcb *cb = &cbs[i];
            char *before = cb->status == DURABLE_OP_STARTED ? NULL : ef_dump(&f);
            int rc = move == 0   ? durable_engine_callback_success(f.eng, cb->id, "\"v\"", 3)
                     : move == 1 ? durable_engine_callback_failure(f.eng, cb->id, NULL)
                                 : durable_engine_callback_heartbeat(f.eng, cb->id);
            int expect = cb->status == DURABLE_OP_STARTED     ? 0
                         : cb->status == DURABLE_OP_TIMED_OUT ? DURABLE_ECALLBACK_TIMEOUT
                                                              : DURABLE_ECALLBACK_DONE;
            DT_PROP(rc == expect, seed, c);
            ok = ok && rc == expect;
            if (before) {
                char *after = ef_dump(&f);
                DT_PROP(strcmp(before, after) == 0, seed, c);
                free(after);
                free(before);
            } else if (rc == 0 && move < 2) {
                cb->status = move == 0 ? DURABLE_OP_SUCCEEDED : DURABLE_OP_FAILED;
                cb->completions++;
            } else if (rc == 0 && cb->hb_seconds) {
                cb->hb_at = ef_now(&f) + cb->hb_seconds * 1000;
            }
        }
        /* Each callback has at most one terminal event, matching its state. */
        durable_history_response h = {0};
        ef_history(&f, &h);
        for (int i = 0; i < 3; i++) {
            char path[4];
            snprintf(path, sizeof path, "%d", i + 1);
            int terminal = 0;
            for (size_t k = 0; k < h.count; k++) {
                durable_event_type t = h.events[k].type;
                if (h.events[k].id && strcmp(h.events[k].id, ef_id(path)) == 0 &&
                    (t == DURABLE_EVENT_CALLBACK_SUCCEEDED || t == DURABLE_EVENT_CALLBACK_FAILED ||
                     t == DURABLE_EVENT_CALLBACK_TIMED_OUT))
                    terminal++;
            }
            DT_PROP(terminal == (cbs[i].status == DURABLE_OP_STARTED ? 0 : 1), seed, c);
            DT_PROP(cbs[i].completions <= 1, seed, c);
            durable_operation op;
            ef_get_op(&f, path, &op);
            DT_PROP(op.status == cbs[i].status, seed, c);
            durable_operation_clear(&op);
            durable_free(cbs[i].id);
        }
        durable_history_response_clear(&h);
        ef_close(&f);
        if (!ok)
            break;
    }
}

/* A save writes exactly the bookkeeping columns that changed (one UPDATE
 * per set of changed columns, exec_row.c): after random changes of random
 * subsets, saved again and again in one execution, the row reads back
 * equal to what was saved, every column. */
static bool exec_same(const eng_exec *a, const eng_exec *b)
{
    bool inflight = a->inflight == b->inflight ||
                    (a->inflight && b->inflight && strcmp(a->inflight, b->inflight) == 0);
    return inflight && a->status == b->status && a->end_ms == b->end_ms &&
           a->deadline_ms == b->deadline_ms && a->needs_invocation == b->needs_invocation &&
           a->terminal_pending == b->terminal_pending &&
           a->failed_invocations == b->failed_invocations && a->retry_ms == b->retry_ms &&
           a->inv_deadline_ms == b->inv_deadline_ms && a->token_seq == b->token_seq &&
           a->change_seq == b->change_seq && a->delivered_seq == b->delivered_seq &&
           a->last_event_id == b->last_event_id && a->last_start_seq == b->last_start_seq;
}

static void mutate_exec(dt_rng *r, eng_exec *x, int round)
{
    static const durable_exec_status statuses[] = {
        DURABLE_EXEC_RUNNING, DURABLE_EXEC_SUCCEEDED, DURABLE_EXEC_FAILED,
        DURABLE_EXEC_TIMED_OUT, DURABLE_EXEC_STOPPED};
    int64_t v = 1000 + (int64_t)dt_rng_below(r, 100000);
    switch (dt_rng_below(r, 12)) {
    case 0:
        x->status = statuses[dt_rng_below(r, 5)];
        break;
    case 1:
        x->end_ms = dt_rng_below(r, 2) ? v : 0;
        break;
    case 2:
        x->deadline_ms = dt_rng_below(r, 2) ? v : 0;
        break;
    case 3: {
        durable_free(x->inflight);
        char id[32];
        snprintf(id, sizeof id, "inv-%d", round);
        x->inflight = dt_rng_below(r, 2) ? durable__strdup(id) : NULL;
        break;
    }
    case 4:
        x->needs_invocation = !x->needs_invocation;
        break;
    case 5:
        x->terminal_pending = !x->terminal_pending;
        break;
    case 6:
        x->failed_invocations = (int)dt_rng_below(r, 4);
        break;
    case 7:
        x->retry_ms = dt_rng_below(r, 2) ? v : 0;
        break;
    case 8:
        x->inv_deadline_ms = dt_rng_below(r, 2) ? v : 0;
        break;
    case 9:
        x->token_seq++;
        break;
    case 10:
        x->change_seq++;
        x->delivered_seq = dt_rng_below(r, 2) ? x->change_seq : x->delivered_seq;
        break;
    default:
        x->last_event_id++;
        x->last_start_seq++;
        break;
    }
}

static void test_prop_exec_save_columns(void)
{
    uint64_t seed = dt_seed();
    for (int c = 0; c < CASES; c++) {
        dt_rng r;
        dt_rng_init(&r, seed + (uint64_t)c * 104729);
        ef f;
        ef_open(&f);
        ef_start(&f, NULL);
        bool ok = true;
        for (int round = 0; round < 8 && ok; round++) {
            CU_ASSERT_FATAL(durable__eng_begin(f.eng, true) == 0);
            eng_exec x, back;
            memset(&back, 0, sizeof back);
            int rc = durable__exec_load(f.eng, &x, f.arn);
            int changes = (int)dt_rng_below(&r, 4);
            for (int k = 0; k < changes && rc == 0; k++)
                mutate_exec(&r, &x, round);
            if (rc == 0)
                rc = durable__exec_save(f.eng, &x);
            if (rc == 0)
                rc = durable__exec_load(f.eng, &back, f.arn);
            ok = rc == 0 && exec_same(&x, &back);
            DT_PROP(ok, seed, c);
            durable__exec_clear(&x);
            durable__exec_clear(&back);
            CU_ASSERT_FATAL(durable__eng_end(f.eng, rc) == rc);
        }
        ef_close(&f);
        if (!ok)
            break;
    }
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_props");
    DT_ADD(s, test_prop_state_and_events);
    DT_ADD(s, test_prop_callback_exactly_once);
    DT_ADD(s, test_prop_exec_save_columns);
    return dt_run();
}
