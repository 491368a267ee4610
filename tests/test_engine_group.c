/* Group commit in the checkpoint server (issue 16; server.h "Group commit").
 *
 * The property: random concurrent traffic (threads racing on a few
 * executions with valid and invalid checkpoints, stale and garbage tokens,
 * duplicate STARTs, idempotent retries, callbacks completed once or twice,
 * heartbeats, stops, starts, invocations, state reads) through a grouping
 * server gives, request by request, the answer the same requests get one at
 * a time. The server records the order in which it applied the requests;
 * that exact order is replayed on a fresh engine without a server, and each
 * code, error message and output, then the final database table by table,
 * must be identical. UUIDs (execution names, invocation ids, callback
 * nonces) come from a counter here (uuid_generate_random below replaces
 * libuuid's for this program), and the clock is fixed, so both runs mint
 * the same tokens and callback ids.
 *
 * Then a COMMIT that fails (a SQLite commit hook refuses it): every request
 * of its group fails with the commit's error, their outputs are released,
 * nothing of them is in the file, and the engine's caches do not claim it
 * either (retries succeed and the state shows only what was committed). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <uuid/uuid.h>

#include "durable/clock.h"
#include "durable/common.h"
#include "durable/engine.h"
#include "durable/server.h"
#include "engine/engine_internal.h"
#include "engine/server_internal.h"
#include "model/internal.h"
#include "store/internal.h"
#include "support/server_fixture.h"
#include "support/testutil.h"

/* ---- deterministic UUIDs ------------------------------------------------------------ */

static _Atomic uint64_t uuid_counter;

/* Replaces libuuid's generator in this program: the engine draws UUIDs only
 * on the thread that applies requests, so the same order of requests draws
 * the same UUIDs. */
void uuid_generate_random(uuid_t out)
{
    uint64_t n = atomic_fetch_add(&uuid_counter, 1) + 1;
    memset(out, 0, sizeof(uuid_t));
    for (int i = 0; i < 8; i++)
        out[15 - i] = (unsigned char)(n >> (8 * i));
    out[6] = 0x40;
    out[8] = 0x80;
}

#define CLOCK_START_MS 1767225600000LL

/* ---- requests --------------------------------------------------------------------- */

typedef enum {
    RQ_START,
    RQ_START_INV,
    RQ_COMPLETE_INV,
    RQ_CHECKPOINT,
    RQ_CALLBACK_OK,
    RQ_CALLBACK_FAIL,
    RQ_HEARTBEAT,
    RQ_STOP,
    RQ_GET_STATE,
    RQ_WRITE_THEN_FAIL,
} rq_kind;

typedef struct gcase gcase;

/* One request: its inputs (owned), the outputs of its engine call, and the
 * answer recorded in the grouped run. */
typedef struct rq {
    rq_kind kind;
    int index;
    gcase *log;          /* the grouped run records its order here; NULL in the replay */
    char *arn;
    char *token;
    char *client_token;
    char *name;          /* RQ_START execution name */
    char *callback_id;
    char *invocation_id;
    durable_operation_update upd[3];
    size_t nupd;

    durable_checkpoint_response cp;
    durable_stop_response stop;
    char *out_arn;
    durable_invocation_input in;
    char *out_inv;
    durable_invocation_outcome oc;
    durable_state_response st;

    int rc;
    char *msg;
    char *text;
} rq;

enum { THREADS = 4, EXECS = 3, PER_THREAD = 16, SETUP = 2 * EXECS,
       MAX_RQ = SETUP + THREADS * PER_THREAD, MAX_KNOWN = 256, CASES = 100 };

/* What the test's threads know of one execution, to make plausible requests. */
typedef struct known {
    char *arn;
    char *tokens[MAX_KNOWN];
    int ntokens;
    char *callbacks[MAX_KNOWN];
    int ncallbacks;
    char started[MAX_KNOWN][DURABLE_OP_ID_LEN + 1];
    int nstarted;
    char *invocation_id;
} known;

struct gcase {
    durable_server *s;
    rq rqs[MAX_RQ];
    _Atomic int nrq;
    int order[MAX_RQ];
    int norder;          /* written on the server thread only */
    pthread_mutex_t lock; /* guards execs */
    known execs[EXECS];
    uint64_t seed;
    int case_no;
};

static void rq_outputs_clear(rq *r)
{
    durable_checkpoint_response_clear(&r->cp);
    memset(&r->stop, 0, sizeof r->stop);
    durable_free(r->out_arn);
    r->out_arn = NULL;
    durable_invocation_input_clear(&r->in);
    memset(&r->in, 0, sizeof r->in);
    durable_free(r->out_inv);
    r->out_inv = NULL;
    memset(&r->oc, 0, sizeof r->oc);
    durable_state_response_clear(&r->st);
    memset(&r->st, 0, sizeof r->st);
}

static void rq_clear(rq *r)
{
    rq_outputs_clear(r);
    durable_free(r->arn);
    durable_free(r->token);
    durable_free(r->client_token);
    durable_free(r->name);
    durable_free(r->callback_id);
    durable_free(r->invocation_id);
    sf_updates_clear(r->upd, r->nupd);
    durable_free(r->msg);
    durable_free(r->text);
    memset(r, 0, sizeof *r);
}

/* A call that fails after it has written (as a store error or a failed
 * allocation half-way through a call would): it moves the execution's
 * token sequence, which would make its current token stale, then fails.
 * Its savepoint must take the write back. */
static int write_then_fail(durable_engine *e, const char *arn)
{
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = durable__db_prepare(e, &st, "UPDATE executions SET token_seq = token_seq + 1 "
                                     "WHERE arn = ?1");
    if (rc == 0) {
        durable__db_text(st, 1, arn);
        rc = durable__db_done(e, st, "write then fail");
    }
    if (rc == 0)
        rc = durable__eng_fail(e, DURABLE_EINVAL, "Injected failure after a write.", NULL);
    return durable__eng_end(e, rc);
}

/* The engine call of a request; runs on the server thread (grouped run) or
 * the replaying thread. */
static int rq_run(durable_engine *e, void *p)
{
    rq *r = p;
    if (r->log)
        r->log->order[r->log->norder++] = r->index;
    switch (r->kind) {
    case RQ_START: {
        durable_start_options o = DURABLE_START_OPTIONS_INIT;
        o.execution_name = r->name;
        o.input_payload = "{\"n\":1}";
        return durable_engine_start_execution(&r->out_arn, NULL, e, "fn", &o);
    }
    case RQ_START_INV:
        return durable_engine_start_invocation(&r->in, &r->out_inv, e, r->arn, 4242);
    case RQ_COMPLETE_INV: {
        durable_invocation_output out = {DURABLE_INVOCATION_PENDING, NULL, NULL};
        return durable_engine_complete_invocation(&r->oc, e, r->arn, r->invocation_id, &out);
    }
    case RQ_CHECKPOINT: {
        durable_checkpoint_request req = sf_request(r->arn, r->token, r->upd, r->nupd);
        req.client_token = r->client_token;
        return durable_engine_checkpoint(&r->cp, e, &req);
    }
    case RQ_CALLBACK_OK:
        return durable_engine_callback_success(e, r->callback_id, "\"ok\"", 4);
    case RQ_CALLBACK_FAIL: {
        durable_error_object *err = NULL;
        int rc = durable_error_object_new(&err, "Boom", "failed on purpose", NULL);
        if (rc == 0)
            rc = durable_engine_callback_failure(e, r->callback_id, err);
        durable_error_object_free(err);
        return rc;
    }
    case RQ_HEARTBEAT:
        return durable_engine_callback_heartbeat(e, r->callback_id);
    case RQ_STOP: {
        durable_stop_request req = {r->arn, NULL};
        return durable_engine_stop_execution(&r->stop, e, &req);
    }
    case RQ_GET_STATE: {
        durable_state_request req;
        memset(&req, 0, sizeof req);
        req.durable_execution_arn = r->arn;
        req.checkpoint_token = r->token;
        return durable_engine_get_state(&r->st, e, &req);
    }
    case RQ_WRITE_THEN_FAIL:
        return write_then_fail(e, r->arn);
    }
    return DURABLE_EINVAL;
}

static void rq_undo(void *p)
{
    rq_outputs_clear(p);
}

static char *json_text(int rc, cJSON *j)
{
    char *t = rc == 0 && j ? durable_json_print(j) : durable__sprintf("(no json: %d)", rc);
    cJSON_Delete(j);
    return t;
}

/* The outputs as one text (then released). */
static char *rq_text(rq *r)
{
    cJSON *j = NULL;
    char *t = NULL;
    switch (r->kind) {
    case RQ_START:
        t = durable__sprintf("arn=%s", r->out_arn ? r->out_arn : "-");
        break;
    case RQ_START_INV: {
        int rc = durable_invocation_input_to_json(&j, &r->in);
        char *in = json_text(rc, j);
        t = durable__sprintf("inv=%s in=%s", r->out_inv ? r->out_inv : "-", in);
        durable_free(in);
        break;
    }
    case RQ_COMPLETE_INV:
        t = durable__sprintf("ignored=%d status=%d needs=%d retry=%lld", r->oc.ignored,
                             (int)r->oc.status, r->oc.needs_invocation,
                             (long long)r->oc.retry_at_ms);
        break;
    case RQ_CHECKPOINT: {
        int rc = durable_checkpoint_response_to_json(&j, &r->cp, DURABLE_TS_EPOCH_MS);
        t = json_text(rc, j);
        break;
    }
    case RQ_STOP: {
        int rc = durable_stop_response_to_json(&j, &r->stop, DURABLE_TS_EPOCH_MS);
        t = json_text(rc, j);
        break;
    }
    case RQ_GET_STATE: {
        int rc = durable_state_response_to_json(&j, &r->st, DURABLE_TS_EPOCH_MS);
        t = json_text(rc, j);
        break;
    }
    default:
        t = durable__strdup("");
        break;
    }
    return t;
}

/* The message a caller of the server sees for rc (server_queue.c): the
 * engine's, or the code's text when it set none. */
static char *answer_message(int rc)
{
    if (rc >= 0)
        return NULL;
    const durable_error *le = durable_error_last();
    return durable__strdup(le->code != 0 && le->message && *le->message ? le->message
                                                                         : durable_strerror(rc));
}

static rq *new_rq(gcase *c, rq_kind kind)
{
    int i = atomic_fetch_add(&c->nrq, 1);
    if (i >= MAX_RQ)
        return NULL;
    rq *r = &c->rqs[i];
    r->kind = kind;
    r->index = i;
    r->log = c;
    return r;
}

/* Submit through the server as the public calls do: the writes may join a
 * group, the read never does. Records the answer and learns from it. */
static void submit(gcase *c, rq *r, int exec);

/* ---- what the threads learn ------------------------------------------------------- */

static void learn(gcase *c, rq *r, int exec)
{
    if (r->rc < 0 || exec < 0)
        return;
    pthread_mutex_lock(&c->lock);
    known *k = &c->execs[exec];
    const char *tok = r->kind == RQ_CHECKPOINT ? r->cp.checkpoint_token
                      : r->kind == RQ_START_INV ? r->in.checkpoint_token
                                                : NULL;
    if (tok && k->ntokens < MAX_KNOWN)
        k->tokens[k->ntokens++] = durable__strdup(tok);
    if (r->kind == RQ_START_INV) {
        durable_free(k->invocation_id);
        k->invocation_id = durable__strdup(r->out_inv);
    }
    const durable_operation_list *ops = r->kind == RQ_CHECKPOINT ? &r->cp.operations : NULL;
    for (size_t i = 0; ops && i < ops->count; i++) {
        const durable_operation *op = &ops->items[i];
        if (op->callback_id && k->ncallbacks < MAX_KNOWN) {
            bool seen = false;
            for (int j = 0; j < k->ncallbacks && !seen; j++)
                seen = strcmp(k->callbacks[j], op->callback_id) == 0;
            if (!seen)
                k->callbacks[k->ncallbacks++] = durable__strdup(op->callback_id);
        }
    }
    for (size_t i = 0; r->kind == RQ_CHECKPOINT && i < r->nupd; i++)
        if (r->upd[i].action == DURABLE_ACTION_START && k->nstarted < MAX_KNOWN)
            snprintf(k->started[k->nstarted++], DURABLE_OP_ID_LEN + 1, "%s", r->upd[i].id);
    pthread_mutex_unlock(&c->lock);
}

static void submit(gcase *c, rq *r, int exec)
{
    durable_error_clear();
    int rc = r->kind == RQ_GET_STATE ? durable_server_call(c->s, rq_run, r)
                                     : durable__server_call_write(c->s, rq_run, r, rq_undo);
    r->rc = rc;
    r->msg = answer_message(rc);
    learn(c, r, exec);
    r->text = rq_text(r);
    rq_outputs_clear(r);
}

/* ---- random traffic --------------------------------------------------------------- */

typedef struct gthread {
    gcase *c;
    int no;
    dt_rng rng;
    int fresh;      /* fresh operation paths made */
    int mine[PER_THREAD]; /* this thread's checkpoint requests, for retries */
    int nmine;
} gthread;

static void fresh_id(gthread *t, char out[DURABLE_OP_ID_LEN + 1])
{
    char path[32];
    snprintf(path, sizeof path, "t%d.%d", t->no, t->fresh++);
    sf_op_id(out, path);
}

static void step_update(durable_operation_update *u, const char *id, durable_op_action action,
                        const char *payload)
{
    durable_operation_update_init(u);
    u->id = durable__strdup(id);
    u->name = durable__strdup("step");
    u->type = DURABLE_OP_STEP;
    u->action = action;
    u->payload = durable__strdup(payload);
}

/* 1-3 updates: mostly valid, some rejected by validation. */
static void random_updates(gthread *t, rq *r, known *k)
{
    char id[DURABLE_OP_ID_LEN + 1];
    unsigned pick = (unsigned)dt_rng_below(&t->rng, 100);
    pthread_mutex_lock(&t->c->lock);
    bool have_started = k->nstarted > 0;
    char old[DURABLE_OP_ID_LEN + 1] = "";
    if (have_started)
        snprintf(old, sizeof old, "%s", k->started[dt_rng_below(&t->rng, (uint64_t)k->nstarted)]);
    pthread_mutex_unlock(&t->c->lock);
    if (pick < 35) { /* a step started and done at once */
        fresh_id(t, id);
        step_update(&r->upd[0], id, DURABLE_ACTION_START, NULL);
        step_update(&r->upd[1], id, DURABLE_ACTION_SUCCEED, "\"v\"");
        r->nupd = 2;
    } else if (pick < 45) { /* a step left running */
        fresh_id(t, id);
        step_update(&r->upd[0], id, DURABLE_ACTION_START, NULL);
        r->nupd = 1;
    } else if (pick < 55 && have_started) { /* finish a known step (maybe done already) */
        step_update(&r->upd[0], old, DURABLE_ACTION_SUCCEED, "\"late\"");
        r->nupd = 1;
    } else if (pick < 62 && have_started) { /* duplicate START */
        step_update(&r->upd[0], old, DURABLE_ACTION_START, NULL);
        r->nupd = 1;
    } else if (pick < 78) { /* a callback to complete later */
        fresh_id(t, id);
        char path[32];
        snprintf(path, sizeof path, "cb%d.%d", t->no, t->fresh++);
        sf_callback_start(&r->upd[0], path, "cb");
        r->nupd = 1;
    } else if (pick < 86) { /* a wait (the clock never reaches it) */
        fresh_id(t, id);
        durable_operation_update_init(&r->upd[0]);
        r->upd[0].id = durable__strdup(id);
        r->upd[0].type = DURABLE_OP_WAIT;
        r->upd[0].action = DURABLE_ACTION_START;
        r->upd[0].options = DURABLE_OPTIONS_WAIT;
        r->upd[0].wait_seconds = 30;
        r->nupd = 1;
    } else if (pick < 92) { /* a good step, then a SUCCEED of an unknown one */
        fresh_id(t, id);
        step_update(&r->upd[0], id, DURABLE_ACTION_START, NULL);
        fresh_id(t, id);
        step_update(&r->upd[1], id, DURABLE_ACTION_SUCCEED, "\"x\"");
        r->nupd = 2;
    } else { /* a child of a parent that does not exist */
        fresh_id(t, id);
        step_update(&r->upd[0], id, DURABLE_ACTION_START, NULL);
        r->upd[0].parent_id = durable__strdup("ffffffffffffffff");
        r->nupd = 1;
    }
}

/* A token of exec: the latest known (often valid), or an older one. */
static char *pick_token(gthread *t, known *k, bool stale)
{
    pthread_mutex_lock(&t->c->lock);
    char *tok = NULL;
    if (k->ntokens > 0) {
        int i = k->ntokens - 1;
        if (stale && k->ntokens > 1)
            i = (int)dt_rng_below(&t->rng, (uint64_t)(k->ntokens - 1));
        tok = durable__strdup(k->tokens[i]);
    }
    pthread_mutex_unlock(&t->c->lock);
    return tok;
}

static char *pick_callback(gthread *t, known *k)
{
    pthread_mutex_lock(&t->c->lock);
    char *id = k->ncallbacks > 0
                   ? durable__strdup(k->callbacks[dt_rng_below(&t->rng, (uint64_t)k->ncallbacks)])
                   : durable__strdup("bm90LWEtY2FsbGJhY2s=");
    pthread_mutex_unlock(&t->c->lock);
    return id;
}

/* An exact copy of an earlier checkpoint (same token, client token and
 * updates): an idempotent retry when the first one succeeded. */
static void copy_checkpoint(rq *r, const rq *o)
{
    r->arn = durable__strdup(o->arn);
    r->token = durable__strdup(o->token);
    r->client_token = durable__strdup(o->client_token);
    for (size_t i = 0; i < o->nupd; i++) {
        const durable_operation_update *u = &o->upd[i];
        durable_operation_update_init(&r->upd[i]);
        r->upd[i].id = durable__strdup(u->id);
        r->upd[i].parent_id = durable__strdup(u->parent_id);
        r->upd[i].name = durable__strdup(u->name);
        r->upd[i].type = u->type;
        r->upd[i].action = u->action;
        r->upd[i].payload = durable__strdup(u->payload);
        r->upd[i].options = u->options;
        r->upd[i].wait_seconds = u->wait_seconds;
        r->upd[i].timeout_seconds = u->timeout_seconds;
        r->upd[i].heartbeat_timeout_seconds = u->heartbeat_timeout_seconds;
    }
    r->nupd = o->nupd;
}

static void one_request(gthread *t)
{
    gcase *c = t->c;
    int x = (int)dt_rng_below(&t->rng, EXECS);
    known *k = &c->execs[x];
    unsigned pick = (unsigned)dt_rng_below(&t->rng, 100);
    /* Stops and completed invocations close executions for good: rare. */
    rq_kind kind = pick < 60   ? RQ_CHECKPOINT
                   : pick < 72 ? RQ_CALLBACK_OK
                   : pick < 77 ? RQ_CALLBACK_FAIL
                   : pick < 81 ? RQ_HEARTBEAT
                   : pick < 82 ? RQ_STOP
                   : pick < 87 ? RQ_START
                   : pick < 89 ? RQ_COMPLETE_INV
                   : pick < 93 ? RQ_START_INV
                   : pick < 96 ? RQ_GET_STATE
                               : RQ_WRITE_THEN_FAIL;
    rq *r = new_rq(c, kind);
    if (!r)
        return;
    r->arn = durable__strdup(k->arn);
    switch (kind) {
    case RQ_CHECKPOINT: {
        unsigned how = (unsigned)dt_rng_below(&t->rng, 100);
        if (how < 10 && t->nmine > 0) {
            durable_free(r->arn);
            r->arn = NULL;
            const rq *o = &c->rqs[t->mine[dt_rng_below(&t->rng, (uint64_t)t->nmine)]];
            copy_checkpoint(r, o);
            for (x = 0; x < EXECS && strcmp(c->execs[x].arn, r->arn) != 0; x++) {
            }
            break;
        }
        r->token = how < 25 ? pick_token(t, k, true)
                   : how < 30 ? durable__strdup("bm90IGEgdG9rZW4=")
                              : pick_token(t, k, false);
        r->client_token = durable__sprintf("ct-%d-%d", t->no, t->nmine);
        random_updates(t, r, k);
        t->mine[t->nmine++] = r->index;
        break;
    }
    case RQ_CALLBACK_OK:
    case RQ_CALLBACK_FAIL:
    case RQ_HEARTBEAT:
        r->callback_id = pick_callback(t, k);
        break;
    case RQ_START:
        r->name = durable__sprintf("g%d", (int)dt_rng_below(&t->rng, EXECS + 3));
        break;
    case RQ_COMPLETE_INV:
        pthread_mutex_lock(&c->lock);
        r->invocation_id = durable__strdup(k->invocation_id ? k->invocation_id : "no-such");
        pthread_mutex_unlock(&c->lock);
        break;
    case RQ_GET_STATE:
        r->token = pick_token(t, k, false);
        break;
    default:
        break;
    }
    submit(c, r, kind == RQ_START ? -1 : x);
}

static void *traffic(void *p)
{
    gthread *t = p;
    for (int i = 0; i < PER_THREAD; i++)
        one_request(t);
    return NULL;
}

/* ---- database contents ------------------------------------------------------------ */

static void put_fmt(durable__strbuf *b, char *owned)
{
    durable__strbuf_puts(b, owned ? owned : "(oom)");
    durable_free(owned);
}

/* Every table (not SQLite's statistics) with every row, ordered by all
 * columns, as one text. */
static char *dump_db(sqlite3 *db)
{
    durable__strbuf b;
    memset(&b, 0, sizeof b);
    sqlite3_stmt *tables = NULL;
    sqlite3_prepare_v2(db,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                       "name NOT LIKE 'sqlite_stat%' ORDER BY name",
                       -1, &tables, NULL);
    while (tables && sqlite3_step(tables) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tables, 0);
        char *probe = durable__sprintf("SELECT * FROM \"%s\" LIMIT 0", name);
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(db, probe, -1, &st, NULL);
        int ncol = st ? sqlite3_column_count(st) : 0;
        sqlite3_finalize(st);
        durable_free(probe);
        durable__strbuf sql;
        memset(&sql, 0, sizeof sql);
        put_fmt(&sql, durable__sprintf("SELECT * FROM \"%s\"", name));
        for (int i = 1; i <= ncol; i++)
            put_fmt(&sql, durable__sprintf("%s%d", i > 1 ? ", " : " ORDER BY ", i));
        char *text = durable__strbuf_take(&sql);
        put_fmt(&b, durable__sprintf("== %s\n", name));
        st = NULL;
        sqlite3_prepare_v2(db, text ? text : "", -1, &st, NULL);
        durable_free(text);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < ncol; i++) {
                const unsigned char *v = sqlite3_column_text(st, i);
                if (i)
                    durable__strbuf_puts(&b, "|");
                durable__strbuf_puts(&b, v ? (const char *)v : "NULL");
            }
            durable__strbuf_puts(&b, "\n");
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tables);
    return durable__strbuf_take(&b);
}

static int dump_on_server(durable_engine *e, void *p)
{
    *(char **)p = dump_db(durable__store_db(durable_engine_store(e)));
    return 0;
}

/* ---- the property ----------------------------------------------------------------- */

typedef struct totals {
    long requests, ok, rejected, token_rejected, grouped, mismatches, json_outputs;
} totals;

static void report_mismatch(const gcase *c, const rq *r, int rc, const char *msg,
                            const char *text)
{
    fprintf(stderr,
            "group commit: case %d (seed %llu): request %d (kind %d) differs one at a time:\n"
            "  grouped: rc=%d msg=%s out=%.300s\n  alone:   rc=%d msg=%s out=%.300s\n",
            c->case_no, (unsigned long long)c->seed, r->index, (int)r->kind, r->rc,
            r->msg ? r->msg : "-", r->text, rc, msg ? msg : "-", text);
}

static void first_difference(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    size_t from = i > 200 ? i - 200 : 0;
    fprintf(stderr, "  grouped db: ...%.400s\n  alone db:   ...%.400s\n", a + from, b + from);
}

/* Setup (serial): the executions and their first invocations. */
static void setup_execs(gcase *c)
{
    for (int i = 0; i < EXECS; i++) {
        rq *r = new_rq(c, RQ_START);
        r->name = durable__sprintf("g%d", i);
        durable_error_clear();
        r->rc = durable__server_call_write(c->s, rq_run, r, rq_undo);
        r->msg = answer_message(r->rc);
        c->execs[i].arn = durable__strdup(r->out_arn);
        r->text = rq_text(r);
        rq_outputs_clear(r);
        rq *v = new_rq(c, RQ_START_INV);
        v->arn = durable__strdup(c->execs[i].arn);
        submit(c, v, i);
    }
}

static void replay_and_compare(gcase *c, const char *grouped_db, totals *tot, bool *ok)
{
    durable_vclock *vc = NULL;
    durable_store *st = NULL;
    durable_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_vclock_new(&vc, DURABLE_VCLOCK_FIXED, CLOCK_START_MS), 0);
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&st, ":memory:", NULL), 0);
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = durable_vclock_clock(vc);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&e, st, &eo), 0);
    atomic_store(&uuid_counter, 0);
    for (int i = 0; i < c->norder; i++) {
        rq *r = &c->rqs[c->order[i]];
        r->log = NULL;
        durable_error_clear();
        int rc = rq_run(e, r);
        char *msg = answer_message(rc);
        char *text = rq_text(r);
        rq_outputs_clear(r);
        bool same = rc == r->rc && strcmp(msg ? msg : "", r->msg ? r->msg : "") == 0 &&
                    strcmp(text ? text : "", r->text ? r->text : "") == 0;
        if (!same) {
            report_mismatch(c, r, rc, msg, text ? text : "");
            tot->mismatches++;
            *ok = false;
        }
        tot->requests++;
        tot->ok += rc >= 0;
        tot->rejected += rc < 0;
        tot->token_rejected += rc == DURABLE_ETOKEN;
        /* A checkpoint's answer is compared as its JSON (token, delta). */
        tot->json_outputs += r->kind == RQ_CHECKPOINT && rc == 0 && text && text[0] == '{';
        durable_free(msg);
        durable_free(text);
    }
    char *alone_db = dump_db(durable__store_db(st));
    if (strcmp(alone_db, grouped_db) != 0) {
        fprintf(stderr, "group commit: case %d (seed %llu): final databases differ\n",
                c->case_no, (unsigned long long)c->seed);
        first_difference(grouped_db, alone_db);
        *ok = false;
    }
    durable_free(alone_db);
    durable_engine_close(e);
    durable_store_close(st);
    durable_vclock_free(vc);
}

static void run_case(uint64_t seed, int case_no, totals *tot)
{
    gcase *c = durable__calloc(1, sizeof *c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    c->seed = seed;
    c->case_no = case_no;
    pthread_mutex_init(&c->lock, NULL);

    /* Every tenth case on a WAL file, the others in memory. */
    char *path = case_no % 10 == 9 ? dt_temp_path("group") : NULL;
    durable_vclock *vc = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_vclock_new(&vc, DURABLE_VCLOCK_FIXED, CLOCK_START_MS), 0);
    durable_server_options so = DURABLE_SERVER_OPTIONS_INIT;
    so.path = path ? path : ":memory:";
    so.engine.clock = durable_vclock_clock(vc);
    atomic_store(&uuid_counter, 0);
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&c->s, &so), 0);

    setup_execs(c);
    gthread th[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&th[i], 0, sizeof th[i]);
        th[i].c = c;
        th[i].no = i;
        dt_rng_init(&th[i].rng, seed ^ ((uint64_t)(case_no + 1) * 0x9e3779b97f4a7c15ULL) ^
                                    (uint64_t)i * 7919);
        pthread_create(&tid[i], NULL, traffic, &th[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    char *grouped_db = NULL;
    CU_ASSERT_EQUAL(durable_server_call(c->s, dump_on_server, &grouped_db), 0);
    tot->grouped += (long)durable_server_served_grouped(c->s);
    durable_server_free(c->s);
    CU_ASSERT_EQUAL(c->norder, atomic_load(&c->nrq) > MAX_RQ ? MAX_RQ : atomic_load(&c->nrq));

    bool ok = true;
    replay_and_compare(c, grouped_db ? grouped_db : "", tot, &ok);
    DT_PROP(ok, seed, case_no);

    durable_free(grouped_db);
    for (int i = 0; i < MAX_RQ; i++)
        rq_clear(&c->rqs[i]);
    for (int i = 0; i < EXECS; i++) {
        known *k = &c->execs[i];
        durable_free(k->arn);
        for (int j = 0; j < k->ntokens; j++)
            durable_free(k->tokens[j]);
        for (int j = 0; j < k->ncallbacks; j++)
            durable_free(k->callbacks[j]);
        durable_free(k->invocation_id);
    }
    pthread_mutex_destroy(&c->lock);
    durable_free(c);
    durable_vclock_free(vc);
    if (path) {
        dt_remove_db(path);
        free(path);
    }
}

static void test_grouped_equals_one_at_a_time(void)
{
    uint64_t seed = dt_seed();
    totals tot = {0};
    for (int c = 0; c < CASES; c++)
        run_case(seed, c, &tot);
    fprintf(stderr,
            "group commit property (seed %llu): %d cases, %ld requests (%ld ok, %ld rejected, "
            "%ld of them stale tokens), %ld answered in groups, %ld checkpoint answers compared "
            "as JSON, %ld mismatches\n",
            (unsigned long long)seed, CASES, tot.requests, tot.ok, tot.rejected,
            tot.token_rejected, tot.grouped, tot.json_outputs, tot.mismatches);
    /* The traffic must exercise what it claims to. */
    CU_ASSERT(tot.ok > tot.requests / 4);
    CU_ASSERT(tot.rejected > tot.requests / 20);
    CU_ASSERT(tot.token_rejected > 0);
    CU_ASSERT(tot.grouped > 0);
    CU_ASSERT(tot.json_outputs > tot.requests / 10);
    CU_ASSERT_EQUAL(tot.mismatches, 0);
}

/* ---- a group that does not commit ---------------------------------------------- */

/* Holds the server thread until `want` requests wait behind it, so they
 * form one group when it lets go; then arms what the test injects. */
typedef struct holder {
    durable_server *s;
    size_t want;
    void (*arm)(durable_engine *e);
    _Atomic int holding;
    pthread_t thread;
} holder;

static int hold_fn(durable_engine *e, void *p)
{
    holder *h = p;
    atomic_store(&h->holding, 1);
    double until = sf_now_ms() + 60000; /* a missing request fails the test, never hangs it */
    while (durable__server_pending(h->s) < h->want && sf_now_ms() < until)
        sf_sleep_ms(1);
    if (h->arm)
        h->arm(e);
    return 0;
}

static void *hold_main(void *p)
{
    holder *h = p;
    durable_server_call(h->s, hold_fn, h);
    return NULL;
}

static void hold_start(holder *h)
{
    atomic_store(&h->holding, 0);
    pthread_create(&h->thread, NULL, hold_main, h);
    while (!atomic_load(&h->holding))
        sf_sleep_ms(1);
}

/* Wait until n requests are queued (the order they were submitted in). */
static void wait_pending(durable_server *s, size_t n)
{
    double until = sf_now_ms() + 60000;
    while (durable__server_pending(s) < n && sf_now_ms() < until)
        sf_sleep_ms(1);
}

static _Atomic int commits_to_refuse;

static int refuse_commit(void *p)
{
    (void)p;
    if (atomic_load(&commits_to_refuse) > 0) {
        atomic_fetch_sub(&commits_to_refuse, 1);
        return 1; /* SQLite turns the COMMIT into a ROLLBACK */
    }
    return 0;
}

static void arm_refusal(durable_engine *e)
{
    atomic_store(&commits_to_refuse, 1);
    sqlite3_commit_hook(durable__store_db(durable_engine_store(e)), refuse_commit, NULL);
}

/* One checkpoint through the public call, on its own thread. */
typedef struct client {
    durable_server *s;
    char *arn;
    char *token;
    char path[24];
    int rc;
    char *msg;
    durable_checkpoint_response resp;
    pthread_t thread;
} client;

static void *client_main(void *p)
{
    client *c = p;
    durable_operation_update u[2];
    sf_step(&u[0], c->path, "step", DURABLE_ACTION_START, NULL);
    sf_step(&u[1], c->path, "step", DURABLE_ACTION_SUCCEED, "\"v\"");
    durable_checkpoint_request req = sf_request(c->arn, c->token, u, 2);
    memset(&c->resp, 0, sizeof c->resp);
    durable_error_clear();
    c->rc = durable_server_checkpoint(&c->resp, c->s, &req);
    c->msg = durable__strdup(c->rc < 0 ? durable_error_last()->message : "");
    sf_updates_clear(u, 2);
    return NULL;
}

static void client_start(client *c, durable_server *s, const char *arn, const char *token,
                         const char *path)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->arn = durable__strdup(arn);
    c->token = durable__strdup(token);
    snprintf(c->path, sizeof c->path, "%s", path);
    pthread_create(&c->thread, NULL, client_main, c);
}

static void client_clear(client *c)
{
    durable_free(c->arn);
    durable_free(c->token);
    durable_free(c->msg);
    durable_checkpoint_response_clear(&c->resp);
}

enum { FX_EXECS = 4 };

/* A server on a WAL file with FX_EXECS executions, each with one committed
 * step "a" and its state read once (so the engine's caches hold it). */
typedef struct fixture {
    char *path;
    durable_server *s;
    char *arn[FX_EXECS];
    char *token[FX_EXECS];
} fixture;

static void fixture_open(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->path = dt_temp_path("group-fail");
    durable_server_options so = DURABLE_SERVER_OPTIONS_INIT;
    so.path = f->path;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&f->s, &so), 0);
    for (int i = 0; i < FX_EXECS; i++) {
        CU_ASSERT_EQUAL_FATAL(durable_server_start_execution(&f->arn[i], NULL, f->s, "fn", NULL), 0);
        durable_invocation_input in;
        char *inv = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_server_start_invocation(&in, &inv, f->s, f->arn[i], 1), 0);
        client c;
        client_start(&c, f->s, f->arn[i], in.checkpoint_token, "a");
        pthread_join(c.thread, NULL);
        CU_ASSERT_EQUAL_FATAL(c.rc, 0);
        f->token[i] = c.resp.checkpoint_token;
        c.resp.checkpoint_token = NULL;
        client_clear(&c);
        durable_state_request sr;
        memset(&sr, 0, sizeof sr);
        sr.durable_execution_arn = f->arn[i];
        sr.checkpoint_token = f->token[i];
        durable_state_response st;
        memset(&st, 0, sizeof st);
        CU_ASSERT_EQUAL(durable_server_get_state(&st, f->s, &sr), 0);
        durable_state_response_clear(&st);
        durable_invocation_input_clear(&in);
        durable_free(inv);
    }
}

static void fixture_close(fixture *f)
{
    durable_server_free(f->s);
    for (int i = 0; i < FX_EXECS; i++) {
        durable_free(f->arn[i]);
        durable_free(f->token[i]);
    }
    dt_remove_db(f->path);
    free(f->path);
}

/* Whether the execution holds the step of `path`, as the server sees it
 * (state read with the token) and as a fresh connection to the file sees
 * it. Both must agree. */
static bool has_step(fixture *f, int i, const char *token, const char *path)
{
    char id[DURABLE_OP_ID_LEN + 1];
    sf_op_id(id, path);
    durable_state_request sr;
    memset(&sr, 0, sizeof sr);
    sr.durable_execution_arn = f->arn[i];
    sr.checkpoint_token = (char *)token;
    durable_state_response st;
    memset(&st, 0, sizeof st);
    CU_ASSERT_EQUAL(durable_server_get_state(&st, f->s, &sr), 0);
    bool served = sf_find(&st.operations, id) != NULL;
    durable_state_response_clear(&st);

    durable_store *store = NULL;
    durable_engine *e = NULL;
    bool on_file = false;
    if (durable_store_open(&store, f->path, NULL) == 0 &&
        durable_engine_open(&e, store, NULL) == 0) {
        durable_operation_list ops;
        memset(&ops, 0, sizeof ops);
        CU_ASSERT_EQUAL(durable_engine_list_operations(&ops, e, f->arn[i]), 0);
        on_file = sf_find(&ops, id) != NULL;
        durable_operation_list_clear(&ops);
    } else {
        CU_FAIL("second connection to the file");
    }
    durable_engine_close(e);
    durable_store_close(store);
    CU_ASSERT_EQUAL(served, on_file);
    return served && on_file;
}

/* A checkpoint of step `path` on execution i through a connection of its
 * own; the new token (caller frees), NULL on failure. */
static char *outside_checkpoint(fixture *f, int i, const char *path)
{
    durable_store *store = NULL;
    durable_engine *e = NULL;
    char *token = NULL;
    if (durable_store_open(&store, f->path, NULL) == 0 &&
        durable_engine_open(&e, store, NULL) == 0) {
        durable_operation_update u[2];
        sf_step(&u[0], path, "step", DURABLE_ACTION_START, NULL);
        sf_step(&u[1], path, "step", DURABLE_ACTION_SUCCEED, "\"v\"");
        durable_checkpoint_request req = sf_request(f->arn[i], f->token[i], u, 2);
        durable_checkpoint_response resp;
        memset(&resp, 0, sizeof resp);
        if (durable_engine_checkpoint(&resp, e, &req) == 0) {
            token = resp.checkpoint_token;
            resp.checkpoint_token = NULL;
        }
        durable_checkpoint_response_clear(&resp);
        sf_updates_clear(u, 2);
    }
    durable_engine_close(e);
    durable_store_close(store);
    return token;
}

static void test_refused_commit_fails_the_whole_group(void)
{
    fixture f;
    fixture_open(&f);
    uint64_t grouped_before = durable_server_served_grouped(f.s);
    holder h = {f.s, FX_EXECS, arm_refusal, 0, 0};
    hold_start(&h);
    /* Three valid checkpoints and one with a stale token (rejected in its
     * savepoint): one group. */
    client c[FX_EXECS];
    for (int i = 0; i < FX_EXECS; i++)
        client_start(&c[i], f.s, f.arn[i], i == FX_EXECS - 1 ? "bm90IGEgdG9rZW4=" : f.token[i],
                     "lost");
    pthread_join(h.thread, NULL);
    for (int i = 0; i < FX_EXECS; i++)
        pthread_join(c[i].thread, NULL);

    CU_ASSERT_EQUAL(durable_server_served_grouped(f.s) - grouped_before, FX_EXECS);
    for (int i = 0; i < FX_EXECS; i++) {
        /* The same failure for all, the rejected one included: its answer
         * was given against writes that are gone. */
        CU_ASSERT_EQUAL(c[i].rc, DURABLE_EDB);
        CU_ASSERT_STRING_EQUAL(c[i].msg, c[0].msg);
        CU_ASSERT_PTR_NULL(c[i].resp.checkpoint_token);
        CU_ASSERT_EQUAL(c[i].resp.operations.count, 0);
    }
    CU_ASSERT(strstr(c[0].msg, "COMMIT") != NULL);

    /* Nothing of the group is anywhere; the tokens it spent are still the
     * current ones; the next requests work as if it never happened. The
     * first execution moves on through another connection to the file (as
     * another process would): the server's caches must not keep what the
     * refused group had applied to them, which this writer's change
     * counter would otherwise seem to confirm. (No read of it on the
     * server before: a read brings a cache entry back in line.) */
    char *outside = outside_checkpoint(&f, 0, "outside");
    CU_ASSERT_PTR_NOT_NULL(outside);
    if (outside) {
        CU_ASSERT(has_step(&f, 0, outside, "outside"));
        CU_ASSERT(has_step(&f, 0, outside, "a"));
        CU_ASSERT(!has_step(&f, 0, outside, "lost"));
        durable_free(outside);
    }
    for (int i = 1; i < FX_EXECS - 1; i++) {
        CU_ASSERT(!has_step(&f, i, f.token[i], "lost"));
        client r;
        client_start(&r, f.s, f.arn[i], f.token[i], "retry");
        pthread_join(r.thread, NULL);
        CU_ASSERT_EQUAL(r.rc, 0);
        CU_ASSERT(r.resp.checkpoint_token != NULL);
        if (r.resp.checkpoint_token) {
            CU_ASSERT(has_step(&f, i, r.resp.checkpoint_token, "retry"));
            CU_ASSERT(has_step(&f, i, r.resp.checkpoint_token, "a"));
            CU_ASSERT(!has_step(&f, i, r.resp.checkpoint_token, "lost"));
        }
        client_clear(&r);
    }
    for (int i = 0; i < FX_EXECS; i++)
        client_clear(&c[i]);
    fixture_close(&f);
}

/* A member whose failure makes SQLite roll back the whole transaction (as
 * SQLITE_FULL or an I/O error can): simulated by a ROLLBACK. */
static int lose_transaction(durable_engine *e, void *p)
{
    (void)p;
    sqlite3_exec(durable__store_db(durable_engine_store(e)), "ROLLBACK", NULL, NULL, NULL);
    return durable__error_set(DURABLE_EDB, "database or disk is full (simulated)");
}

typedef struct loser {
    durable_server *s;
    int rc;
    char *msg;
    pthread_t thread;
} loser;

static void *loser_main(void *p)
{
    loser *l = p;
    l->rc = durable__server_call_write(l->s, lose_transaction, NULL, NULL);
    l->msg = durable__strdup(durable_error_last()->message);
    return NULL;
}

static void test_lost_transaction_fails_the_members_before(void)
{
    fixture f;
    fixture_open(&f);
    holder h = {f.s, 3, NULL, 0, 0};
    hold_start(&h);
    /* Queued in this order: A (valid), the loser, B (valid). */
    client a, b;
    loser l = {f.s, 0, NULL, 0};
    client_start(&a, f.s, f.arn[0], f.token[0], "lost");
    wait_pending(f.s, 1);
    pthread_create(&l.thread, NULL, loser_main, &l);
    wait_pending(f.s, 2);
    client_start(&b, f.s, f.arn[1], f.token[1], "kept");
    pthread_join(h.thread, NULL);
    pthread_join(a.thread, NULL);
    pthread_join(l.thread, NULL);
    pthread_join(b.thread, NULL);

    CU_ASSERT_EQUAL(l.rc, DURABLE_EDB);
    CU_ASSERT_EQUAL(a.rc, DURABLE_EDB);
    CU_ASSERT_STRING_EQUAL(a.msg, "database or disk is full (simulated)");
    CU_ASSERT_PTR_NULL(a.resp.checkpoint_token);
    /* B was not taken into the lost group: it ran after, on its own. */
    CU_ASSERT_EQUAL(b.rc, 0);
    CU_ASSERT(!has_step(&f, 0, f.token[0], "lost"));
    if (b.resp.checkpoint_token)
        CU_ASSERT(has_step(&f, 1, b.resp.checkpoint_token, "kept"));
    client r;
    client_start(&r, f.s, f.arn[0], f.token[0], "retry");
    pthread_join(r.thread, NULL);
    CU_ASSERT_EQUAL(r.rc, 0);
    client_clear(&r);
    client_clear(&a);
    client_clear(&b);
    durable_free(l.msg);
    fixture_close(&f);
}

/* group_max 1: every request is its own transaction, whatever waits. */
static void test_group_max_one_never_groups(void)
{
    durable_server_options so = DURABLE_SERVER_OPTIONS_INIT;
    so.group_max = 1;
    durable_server *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&s, &so), 0);
    char *arn[FX_EXECS];
    for (int i = 0; i < FX_EXECS; i++)
        CU_ASSERT_EQUAL_FATAL(durable_server_start_execution(&arn[i], NULL, s, "fn", NULL), 0);
    holder h = {s, FX_EXECS, NULL, 0, 0};
    hold_start(&h);
    client c[FX_EXECS];
    for (int i = 0; i < FX_EXECS; i++)
        client_start(&c[i], s, arn[i], "bm90IGEgdG9rZW4=", "x");
    pthread_join(h.thread, NULL);
    for (int i = 0; i < FX_EXECS; i++) {
        pthread_join(c[i].thread, NULL);
        CU_ASSERT_EQUAL(c[i].rc, DURABLE_ETOKEN);
        client_clear(&c[i]);
        durable_free(arn[i]);
    }
    CU_ASSERT_EQUAL(durable_server_served_grouped(s), 0);
    durable_server_free(s);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_group");
    DT_ADD(s, test_grouped_equals_one_at_a_time);
    DT_ADD(s, test_refused_commit_fails_the_whole_group);
    DT_ADD(s, test_lost_transaction_fails_the_members_before);
    DT_ADD(s, test_group_max_one_never_groups);
    return dt_run();
}
