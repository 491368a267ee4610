/* The client seam (client.c) and the mock client (mock_client.c): seed
 * design property 16 (responses in queue order) and 17 (every call recorded
 * in order with ARN, token and deep-copied updates), queued errors, the
 * empty queue, default responses, get-state and callback recording, and
 * concurrent callers. (tests/test_sdk_mock.c tests the durable context
 * against this mock.) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "durable/client.h"
#include "model/internal.h"
#include "support/testutil.h"

#define CASES 100

static durable_operation_update rand_update(dt_rng *r, int k)
{
    durable_operation_update u;
    durable_operation_update_init(&u);
    u.id = durable__sprintf("op-%d-%llu", k, (unsigned long long)dt_rng_below(r, 1000));
    u.type = (durable_op_type)(DURABLE_OP_CONTEXT + dt_rng_below(r, 5));
    u.action = (durable_op_action)(DURABLE_ACTION_START + dt_rng_below(r, 3));
    if (dt_rng_below(r, 2))
        u.parent_id = durable__sprintf("p%llu", (unsigned long long)dt_rng_below(r, 9));
    if (dt_rng_below(r, 2))
        u.name = durable__sprintf("name %d", k);
    if (dt_rng_below(r, 2))
        u.payload = durable__sprintf("{\"v\":%llu}", (unsigned long long)dt_rng_next(r));
    if (dt_rng_below(r, 4) == 0)
        durable_error_object_new(&u.error, "E", "boom", NULL);
    return u;
}

/* ---- property 16: responses come back in queue order --------------------------------- */

typedef struct planned {
    int status;    /* 0 = response */
    char token[32];
    size_t ops;
} planned;

static void test_responses_in_queue_order(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x16);
    for (int cs = 0; cs < CASES; cs++) {
        durable_mock_client *m = NULL;
        durable_client *c = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&m, &c), 0);
        size_t n = 1 + dt_rng_below(&r, 20);
        planned plan[20];
        for (size_t i = 0; i < n; i++) {
            planned *p = &plan[i];
            memset(p, 0, sizeof *p);
            if (dt_rng_below(&r, 4) == 0) {
                static const int codes[] = {DURABLE_ETOKEN, DURABLE_ETHROTTLED, DURABLE_EINVAL};
                p->status = codes[dt_rng_below(&r, 3)];
                snprintf(p->token, sizeof p->token, "err-%zu", i);
                durable_mock_client_queue_checkpoint_error(m, p->status, p->token);
                continue;
            }
            durable_checkpoint_response resp;
            memset(&resp, 0, sizeof resp);
            snprintf(p->token, sizeof p->token, "tok-%zu-%llu", i,
                     (unsigned long long)dt_rng_below(&r, 1u << 20));
            resp.checkpoint_token = durable__strdup(p->token);
            p->ops = dt_rng_below(&r, 4);
            for (size_t k = 0; k < p->ops; k++) {
                durable_operation op;
                durable_operation_init(&op);
                op.id = durable__sprintf("o%zu", k);
                op.type = DURABLE_OP_STEP;
                op.status = DURABLE_OP_SUCCEEDED;
                op.start_timestamp = 1767225600000;
                durable_operation_list_take(&resp.operations, &op);
            }
            durable_mock_client_queue_checkpoint(m, &resp);
            /* The mock keeps its own copy: the original can go. */
            durable_checkpoint_response_clear(&resp);
        }
        durable_checkpoint_request req = {(char *)"arn", (char *)"t", NULL, 0, NULL};
        for (size_t i = 0; i < n; i++) {
            durable_checkpoint_response out;
            memset(&out, 0, sizeof out);
            int rc = durable_client_checkpoint(c, &out, &req);
            DT_PROP(rc == plan[i].status, seed, cs);
            if (rc == 0) {
                DT_PROP(out.checkpoint_token && strcmp(out.checkpoint_token, plan[i].token) == 0,
                        seed, cs);
                DT_PROP(out.operations.count == plan[i].ops, seed, cs);
            } else {
                DT_PROP(strcmp(durable_error_last()->message, plan[i].token) == 0, seed, cs);
            }
            durable_checkpoint_response_clear(&out);
        }
        /* Past the queue: DURABLE_ESTATE, and the call is still recorded. */
        durable_checkpoint_response out;
        memset(&out, 0, sizeof out);
        DT_PROP(durable_client_checkpoint(c, &out, &req) == DURABLE_ESTATE, seed, cs);
        DT_PROP(durable_mock_client_call_count(m) == n + 1, seed, cs);
        durable_mock_client_free(m);
    }
}

/* ---- property 17: every call recorded, in order, deep-copied --------------------------- */

static void test_calls_recorded_in_order(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed ^ 0x17);
    for (int cs = 0; cs < CASES; cs++) {
        durable_mock_client *m = NULL;
        durable_client *c = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&m, &c), 0);
        size_t n = 1 + dt_rng_below(&r, 15);
        durable_mock_client_queue_default(m, n);
        durable_operation_update kept[15][6];
        size_t kept_n[15];
        int kinds[15];
        for (size_t i = 0; i < n; i++) {
            char arn[32], tok[32];
            snprintf(arn, sizeof arn, "arn-%d-%zu", cs, i);
            snprintf(tok, sizeof tok, "tok-%zu", i);
            kinds[i] = (int)dt_rng_below(&r, 4); /* 0,1: checkpoint 2: state 3: callback */
            kept_n[i] = 0;
            if (kinds[i] <= 1) {
                size_t k = dt_rng_below(&r, 7);
                durable_operation_update *ups = durable__calloc(k ? k : 1, sizeof *ups);
                for (size_t j = 0; j < k; j++) {
                    ups[j] = rand_update(&r, (int)j);
                    durable_operation_update_copy(&kept[i][j], &ups[j]);
                }
                kept_n[i] = k;
                durable_checkpoint_request req = {durable__strdup(arn), durable__strdup(tok), ups,
                                                  k, NULL};
                durable_checkpoint_response out;
                memset(&out, 0, sizeof out);
                DT_PROP(durable_client_checkpoint(c, &out, &req) == 0, seed, cs);
                durable_checkpoint_response_clear(&out);
                /* Freed right after the call: the record must not borrow it. */
                durable_checkpoint_request_clear(&req);
            } else if (kinds[i] == 2) {
                durable_state_response page;
                memset(&page, 0, sizeof page);
                page.next_marker = durable__sprintf("next-%zu", i);
                durable_mock_client_queue_state(m, &page);
                durable_state_response_clear(&page);
                durable_state_request req = {durable__strdup(arn), durable__strdup(tok),
                                             durable__sprintf("mk-%zu", i), 1000};
                durable_state_response out;
                memset(&out, 0, sizeof out);
                DT_PROP(durable_client_get_state(c, &out, &req) == 0, seed, cs);
                char want[32];
                snprintf(want, sizeof want, "next-%zu", i);
                DT_PROP(out.next_marker && strcmp(out.next_marker, want) == 0, seed, cs);
                durable_state_response_clear(&out);
                durable_state_request_clear(&req);
            } else {
                char id[32];
                snprintf(id, sizeof id, "cb-%zu", i);
                DT_PROP(durable_client_callback_heartbeat(c, id) == 0, seed, cs);
            }
        }
        DT_PROP(durable_mock_client_call_count(m) == n, seed, cs);
        for (size_t i = 0; i < n; i++) {
            const durable_mock_call *rec = durable_mock_client_call(m, i);
            char arn[32], tok[32], extra[32];
            snprintf(arn, sizeof arn, "arn-%d-%zu", cs, i);
            snprintf(tok, sizeof tok, "tok-%zu", i);
            if (kinds[i] <= 1) {
                DT_PROP(rec->kind == DURABLE_MOCK_CHECKPOINT, seed, cs);
                DT_PROP(strcmp(rec->durable_execution_arn, arn) == 0, seed, cs);
                DT_PROP(strcmp(rec->checkpoint_token, tok) == 0, seed, cs);
                DT_PROP(rec->update_count == kept_n[i], seed, cs);
                for (size_t j = 0; j < kept_n[i] && j < rec->update_count; j++)
                    DT_PROP(durable_operation_update_equal(&rec->updates[j], &kept[i][j]), seed,
                            cs);
            } else if (kinds[i] == 2) {
                snprintf(extra, sizeof extra, "mk-%zu", i);
                DT_PROP(rec->kind == DURABLE_MOCK_GET_STATE, seed, cs);
                DT_PROP(strcmp(rec->durable_execution_arn, arn) == 0, seed, cs);
                DT_PROP(strcmp(rec->checkpoint_token, tok) == 0, seed, cs);
                DT_PROP(rec->marker && strcmp(rec->marker, extra) == 0, seed, cs);
            } else {
                snprintf(extra, sizeof extra, "cb-%zu", i);
                DT_PROP(rec->kind == DURABLE_MOCK_CALLBACK, seed, cs);
                DT_PROP(strcmp(rec->callback_id, extra) == 0, seed, cs);
            }
            for (size_t j = 0; j < kept_n[i]; j++)
                durable_operation_update_clear(&kept[i][j]);
        }
        CU_ASSERT_PTR_NULL(durable_mock_client_call(m, n));
        durable_mock_client_free(m);
    }
}

/* ---- unit cases ----------------------------------------------------------------------- */

static void test_default_responses_and_token_names(void)
{
    durable_mock_client *m = NULL;
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&m, &c), 0);
    durable_mock_client_queue_default(m, 2);
    durable_mock_client_queue_default(m, 1); /* numbering continues */
    durable_checkpoint_request req = {(char *)"arn", (char *)"t0", NULL, 0, NULL};
    const char *want[] = {"mock-token-1", "mock-token-2", "mock-token-3"};
    for (int i = 0; i < 3; i++) {
        durable_checkpoint_response out;
        memset(&out, 0, sizeof out);
        CU_ASSERT_EQUAL(durable_client_checkpoint(c, &out, &req), 0);
        CU_ASSERT_STRING_EQUAL(out.checkpoint_token, want[i]);
        CU_ASSERT_EQUAL(out.operations.count, 0);
        durable_checkpoint_response_clear(&out);
    }
    durable_checkpoint_response out;
    memset(&out, 0, sizeof out);
    CU_ASSERT_EQUAL(durable_client_checkpoint(c, &out, &req), DURABLE_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "no response is queued"));
    /* get-state has its own queue, empty too. */
    durable_state_request sreq = {(char *)"arn", (char *)"t0", NULL, 0};
    durable_state_response sout;
    memset(&sout, 0, sizeof sout);
    CU_ASSERT_EQUAL(durable_client_get_state(c, &sout, &sreq), DURABLE_ESTATE);
    /* Misuse. */
    CU_ASSERT_EQUAL(durable_mock_client_queue_checkpoint_error(m, 0, "x"), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_mock_client_queue_checkpoint(m, NULL), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(NULL), 0);
    durable_mock_client_free(m);
    durable_mock_client_free(NULL);
}

static void test_callbacks_are_recorded(void)
{
    durable_mock_client *m = NULL;
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&m, &c), 0);
    CU_ASSERT_EQUAL(durable_client_callback_success(c, "cb1", "\"ok\"", 4), 0);
    durable_error_object *e = NULL;
    durable_error_object_new(&e, "T", "M", NULL);
    CU_ASSERT_EQUAL(durable_client_callback_failure(c, "cb2", e), 0);
    durable_error_object_free(e);
    CU_ASSERT_EQUAL(durable_client_callback_heartbeat(c, "cb3"), 0);
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_call_count(m), 3);
    const char *want[] = {"cb1", "cb2", "cb3"};
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(durable_mock_client_call(m, i)->kind, DURABLE_MOCK_CALLBACK);
        CU_ASSERT_STRING_EQUAL(durable_mock_client_call(m, i)->callback_id, want[i]);
    }
    durable_mock_client_free(m);
}

/* Recorded calls keep their address while later calls are recorded. */
static void test_call_pointers_stay_valid(void)
{
    durable_mock_client *m = NULL;
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&m, &c), 0);
    durable_mock_client_queue_default(m, 500);
    durable_checkpoint_request req = {(char *)"arn", (char *)"t", NULL, 0, NULL};
    durable_checkpoint_response out;
    memset(&out, 0, sizeof out);
    durable_client_checkpoint(c, &out, &req);
    durable_checkpoint_response_clear(&out);
    const durable_mock_call *first = durable_mock_client_call(m, 0);
    for (int i = 1; i < 500; i++) {
        memset(&out, 0, sizeof out);
        CU_ASSERT_EQUAL(durable_client_checkpoint(c, &out, &req), 0);
        durable_checkpoint_response_clear(&out);
    }
    CU_ASSERT_PTR_EQUAL(durable_mock_client_call(m, 0), first);
    CU_ASSERT_STRING_EQUAL(first->checkpoint_token, "t");
    durable_mock_client_free(m);
}

typedef struct caller {
    durable_client *c;
    int n;
    char tokens[100][24];
    int fails;
} caller;

static void *caller_main(void *arg)
{
    caller *k = arg;
    durable_checkpoint_request req = {(char *)"arn", (char *)"t", NULL, 0, NULL};
    for (int i = 0; i < k->n; i++) {
        durable_checkpoint_response out;
        memset(&out, 0, sizeof out);
        if (durable_client_checkpoint(k->c, &out, &req) != 0)
            k->fails++;
        else
            snprintf(k->tokens[i], sizeof k->tokens[i], "%s", out.checkpoint_token);
        durable_checkpoint_response_clear(&out);
    }
    return NULL;
}

static void test_concurrent_callers(void)
{
    durable_mock_client *m = NULL;
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_mock_client_new(&m, &c), 0);
    durable_mock_client_queue_default(m, 400);
    static caller k[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(&k[i], 0, sizeof k[i]);
        k[i].c = c;
        k[i].n = 100;
        pthread_create(&t[i], NULL, caller_main, &k[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(durable_mock_client_call_count(m), 400);
    /* Each response handed out exactly once. */
    static bool seen[401];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(k[i].fails, 0);
        for (int j = 0; j < 100; j++) {
            int n = 0;
            CU_ASSERT_EQUAL_FATAL(sscanf(k[i].tokens[j], "mock-token-%d", &n), 1);
            CU_ASSERT_FATAL(n >= 1 && n <= 400);
            CU_ASSERT_FALSE(seen[n]);
            seen[n] = true;
        }
    }
    durable_mock_client_free(m);
}

/* ---- the client seam --------------------------------------------------------------------- */

static int destroyed;
static void count_destroy(void *user)
{
    (void)user;
    destroyed++;
}

static int hb_calls;
static int fake_heartbeat(void *user, const char *callback_id)
{
    (void)user;
    hb_calls += strcmp(callback_id, "x") == 0;
    return 0;
}

static void test_client_dispatch_and_free(void)
{
    static const durable_client_vtable vt = {NULL, NULL, NULL, NULL, fake_heartbeat,
                                             count_destroy};
    durable_client *c = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_client_new(&c, &vt, NULL), 0);
    CU_ASSERT_EQUAL(durable_client_callback_heartbeat(c, "x"), 0);
    CU_ASSERT_EQUAL(hb_calls, 1);
    /* Missing entries are a clear EINVAL, not a crash. */
    durable_checkpoint_request req = {0};
    durable_checkpoint_response out;
    memset(&out, 0, sizeof out);
    CU_ASSERT_EQUAL(durable_client_checkpoint(c, &out, &req), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "durable_client_checkpoint"));
    CU_ASSERT_EQUAL(durable_client_callback_success(c, "x", NULL, 0), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_client_callback_heartbeat(c, NULL), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_client_callback_heartbeat(NULL, "x"), DURABLE_EINVAL);
    durable_client_free(c);
    CU_ASSERT_EQUAL(destroyed, 1);
    durable_client_free(NULL);
    CU_ASSERT_EQUAL(durable_client_new(&c, NULL, NULL), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(c);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_mock_client");
    DT_ADD(s, test_responses_in_queue_order);
    DT_ADD(s, test_calls_recorded_in_order);
    DT_ADD(s, test_default_responses_and_token_names);
    DT_ADD(s, test_callbacks_are_recorded);
    DT_ADD(s, test_call_pointers_stay_valid);
    DT_ADD(s, test_concurrent_callers);
    DT_ADD(s, test_client_dispatch_and_free);
    return dt_run();
}
