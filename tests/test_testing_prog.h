/*
 * Helpers shared by the tests/test_testing_*.c suites (not a suite itself):
 * a tiny "program" interpreter that turns a random list of operations into
 * a durable handler, so property tests can generate handlers.
 */
#ifndef DURABLE_TESTS_TEST_TESTING_PROG_H
#define DURABLE_TESTS_TEST_TESTING_PROG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durable/context.h"
#include "durable/testing.h"
#include "support/testutil.h"

enum {
    P_STEP = 1,   /* step returning value */
    P_WAIT,       /* wait secs */
    P_FAIL_STEP,  /* step that fails (no retry) */
    P_CALLBACK,   /* create a callback and await it */
    P_INVOKE,     /* invoke function `target` with value */
    P_CHILD,      /* child context running one step returning value */
    P_COUNT
};

typedef struct prog_op {
    int kind;
    char name[40];
    int64_t value;
    int64_t secs;
    int64_t timeout;       /* callback timeout seconds */
    char target[40];       /* invoke target */
    int runs;              /* how many times the step body ran */
} prog_op;

typedef struct prog {
    prog_op ops[40];
    int n;
    bool fail_at_end;      /* handler fails with ProgError after the ops */
    bool catch_failures;   /* a failed op is handled (handler continues) */
    int invocations;       /* handler entries */
} prog;

static inline int prog_step_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    prog_op *op = user;
    op->runs++;
    if (op->kind == P_FAIL_STEP)
        return durable_step_fail(sctx, "ProgStepError", "step failed on purpose", NULL);
    *result = cJSON_CreateNumber((double)op->value);
    return 0;
}

static inline int prog_child_fn(durable_ctx *child, cJSON **result, void *user)
{
    prog_op *op = user;
    const cJSON *v = NULL;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    int rc = durable_step(child, &v, "inner", prog_step_body, op, &so);
    if (rc != 0)
        return rc;
    *result = cJSON_CreateNumber(v ? v->valuedouble : 0);
    return 0;
}

static inline int prog_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    prog *p = user;
    p->invocations++;
    int64_t sum = 0;
    for (int i = 0; i < p->n; i++) {
        prog_op *op = &p->ops[i];
        const char *name = op->name[0] ? op->name : NULL;
        const cJSON *v = NULL;
        int rc = 0;
        durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
        so.retry = durable_retry_preset_none();
        switch (op->kind) {
        case P_STEP:
        case P_FAIL_STEP:
            rc = durable_step(ctx, &v, name, prog_step_body, op, &so);
            break;
        case P_WAIT:
            rc = durable_wait(ctx, name, op->secs);
            break;
        case P_CALLBACK: {
            durable_callback *cb = NULL;
            durable_callback_options co = DURABLE_CALLBACK_OPTIONS_INIT;
            co.timeout_seconds = op->timeout;
            rc = durable_create_callback(ctx, &cb, name, &co);
            if (rc == 0)
                rc = durable_callback_await(cb, &v);
            v = NULL;
            break;
        }
        case P_INVOKE: {
            cJSON *payload = cJSON_CreateNumber((double)op->value);
            rc = durable_invoke(ctx, &v, name, op->target, payload, NULL);
            cJSON_Delete(payload);
            break;
        }
        case P_CHILD:
            rc = durable_run_in_child_context(ctx, &v, name, prog_child_fn, op, NULL);
            break;
        default:
            break;
        }
        if (rc == DURABLE_EFAILED && p->catch_failures) {
            durable_ctx_clear_error(ctx);
            continue;
        }
        if (rc != 0)
            return rc;
        if (v && cJSON_IsNumber(v))
            sum += (int64_t)v->valuedouble;
    }
    if (p->fail_at_end)
        return durable_ctx_fail(ctx, "ProgError", "program failed at the end", "{\"n\":1}");
    *out = cJSON_CreateNumber((double)sum);
    return 0;
}

static inline void prog_name(prog_op *op, dt_rng *rng, int i)
{
    /* Some names repeat on purpose (lookups by name + index). */
    static const char *const pool[] = { "alpha", "beta", "gamma", "delta" };
    if (dt_rng_below(rng, 4) == 0)
        op->name[0] = '\0';
    else if (dt_rng_below(rng, 3) == 0)
        snprintf(op->name, sizeof op->name, "%s", pool[dt_rng_below(rng, 4)]);
    else
        snprintf(op->name, sizeof op->name, "op-%d", i);
}

/* A random program of steps, waits, child contexts (and failing steps when
 * allow_fail), 1..max_ops operations. */
static inline void prog_random(prog *p, dt_rng *rng, int max_ops, bool allow_fail)
{
    memset(p, 0, sizeof *p);
    p->n = 1 + (int)dt_rng_below(rng, (uint64_t)max_ops);
    for (int i = 0; i < p->n; i++) {
        prog_op *op = &p->ops[i];
        uint64_t k = dt_rng_below(rng, allow_fail ? 10 : 9);
        if (k < 5)
            op->kind = P_STEP;
        else if (k < 7)
            op->kind = P_WAIT;
        else if (k < 9)
            op->kind = P_CHILD;
        else
            op->kind = P_FAIL_STEP;
        op->value = (int64_t)dt_rng_below(rng, 1000);
        op->secs = 1 + (int64_t)dt_rng_below(rng, 86400);
        prog_name(op, rng, i);
    }
}

static inline int64_t prog_expected_sum(const prog *p)
{
    int64_t s = 0;
    for (int i = 0; i < p->n; i++)
        if (p->ops[i].kind == P_STEP || p->ops[i].kind == P_CHILD)
            s += p->ops[i].value;
    return s;
}

static inline bool prog_has_failure(const prog *p)
{
    for (int i = 0; i < p->n; i++)
        if (p->ops[i].kind == P_FAIL_STEP)
            return true;
    return false;
}

/* The type the program's i-th operation has in the result. */
static inline durable_op_type prog_type(const prog_op *op)
{
    switch (op->kind) {
    case P_STEP:
    case P_FAIL_STEP: return DURABLE_OP_STEP;
    case P_WAIT: return DURABLE_OP_WAIT;
    case P_CALLBACK: return DURABLE_OP_CALLBACK;
    case P_INVOKE: return DURABLE_OP_CHAINED_INVOKE;
    case P_CHILD: return DURABLE_OP_CONTEXT;
    default: return DURABLE_OP_TYPE_NONE;
    }
}

/* Set up an in-memory environment with skipping (asserting success). */
static inline void env_up(bool skip, int64_t idle_ms)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.skip_time = skip;
    if (idle_ms > 0)
        cfg.idle_limit_ms = idle_ms;
    int rc = durable_test_env_setup(&cfg);
    if (rc != 0)
        fprintf(stderr, "env setup: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static inline void env_down(void)
{
    int rc = durable_test_env_teardown();
    if (rc != 0)
        fprintf(stderr, "env teardown: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL(rc, 0);
}

static inline double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
