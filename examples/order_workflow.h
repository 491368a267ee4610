/*
 * The order pipeline of order_workflow.c: the durable handler and the
 * runner set-up, in a header so that the program and the resume test run
 * the very same code. Public API only.
 *
 *   validate-order → reserve-inventory → charge-payment (at most once per
 *   attempt) → warehouse-pickup (callback; the submitter asks the
 *   warehouse) → create-shipment → delivery-window (wait 2 days)
 *   → notify-customer
 *
 * Every step body appends its name to a ledger file (the side effect), so
 * a run shows how often each body really ran. Points: before each durable
 * operation the handler calls point("before:<name>"), and each step body
 * calls point("body:<name>") before its side effect — a program or test
 * can kill the process there.
 */
#ifndef DURABLE_EXAMPLES_ORDER_WORKFLOW_H
#define DURABLE_EXAMPLES_ORDER_WORKFLOW_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "durable/context.h"
#include "durable/testing.h"

/* The bodies of the pipeline, in order (the submitter of warehouse-pickup
 * is "notify-warehouse"). */
#define ORDER_STEP_COUNT 6
static const char *const order_steps[ORDER_STEP_COUNT] = {
    "validate-order", "reserve-inventory", "charge-payment",
    "notify-warehouse", "create-shipment", "notify-customer"
};

typedef struct order_config {
    const char *ledger; /* side-effect ledger: one line per body that ran */
    /* Called at each point (see above); NULL: none. */
    void (*point)(void *user, const char *where);
    void *point_user;
    /* Payments: at most once per attempt, and an attempt interrupted
     * before the provider answered is retried once (the provider
     * de-duplicates by order id). Made by order_runner_new. */
    durable_retry_strategy *payment_retry;
} order_config;

typedef struct order_body {
    order_config *cfg;
    const char *step;
} order_body;

static void order_point(order_config *cfg, const char *kind, const char *name)
{
    if (!cfg->point)
        return;
    char where[96];
    snprintf(where, sizeof where, "%s:%s", kind, name);
    cfg->point(cfg->point_user, where);
}

static void order_ledger(const order_config *cfg, const char *what)
{
    int fd = open(cfg->ledger, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "%s\n", what);
    if (write(fd, line, (size_t)n) < 0)
        perror("ledger");
    close(fd);
}

static int order_side_effect(durable_step_ctx *sctx, cJSON **result, void *user)
{
    order_body *b = user;
    (void)sctx;
    order_point(b->cfg, "body", b->step);
    order_ledger(b->cfg, b->step);
    char buf[96];
    snprintf(buf, sizeof buf, "%s: done", b->step);
    *result = cJSON_CreateString(buf);
    return 0;
}

static int order_notify_warehouse(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    order_config *cfg = user;
    order_point(cfg, "body", "notify-warehouse");
    order_ledger(cfg, "notify-warehouse");
    durable_step_log(sctx, DURABLE_LOG_INFO, "warehouse asked to confirm pickup (callback %s)",
                     callback_id);
    return 0;
}

static int order_step(durable_ctx *ctx, order_config *cfg, const char *step,
                      const durable_step_options *o)
{
    order_body b = { cfg, step };
    const cJSON *v = NULL;
    order_point(cfg, "before", step);
    return durable_step(ctx, &v, step, order_side_effect, &b, o);
}

/* The handler; user is the order_config. */
static int order_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    order_config *cfg = user;
    int rc = order_step(ctx, cfg, "validate-order", NULL);
    if (rc == 0)
        rc = order_step(ctx, cfg, "reserve-inventory", NULL);
    if (rc == 0) {
        durable_step_options once = DURABLE_STEP_OPTIONS_INIT;
        once.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
        once.retry = cfg->payment_retry;
        rc = order_step(ctx, cfg, "charge-payment", &once);
    }
    const cJSON *pickup = NULL;
    if (rc == 0) {
        order_point(cfg, "before", "warehouse-pickup");
        rc = durable_wait_for_callback(ctx, &pickup, "warehouse-pickup", order_notify_warehouse,
                                       cfg, NULL);
    }
    if (rc == 0)
        rc = order_step(ctx, cfg, "create-shipment", NULL);
    if (rc == 0) {
        order_point(cfg, "before", "delivery-window");
        rc = durable_wait(ctx, "delivery-window", DURABLE_DAYS(2));
    }
    if (rc == 0)
        rc = order_step(ctx, cfg, "notify-customer", NULL);
    if (rc != 0)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "order",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(input, "order"), 1));
    cJSON_AddStringToObject(r, "status", "delivered");
    cJSON_AddItemToObject(r, "pickup", cJSON_Duplicate(pickup, 1));
    *out = r;
    return 0;
}

/* A runner for execution "order-1001" of function "order-workflow", with
 * the warehouse's responder: it confirms 30 minutes after it was asked.
 * Fills cfg->payment_retry; release with order_runner_free. */
static int order_runner_new(durable_test_runner **r, order_config *cfg)
{
    *r = NULL;
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 2;
    ro.initial_delay_seconds = 1;
    if (!cfg->payment_retry && durable_retry_strategy_new(&cfg->payment_retry, &ro) != 0)
        return -1;
    if (durable_test_runner_new(r, order_handler, cfg, "order-workflow") != 0)
        return -1;
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.execution_name = "order-1001";
    o.log_level = DURABLE_LOG_INFO;
    durable_test_runner_set_options(*r, &o);
    durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
    a.match = DURABLE_TEST_MATCH_EXACT;
    a.name = "warehouse-pickup";
    a.payload = "{\"dock\": 7}";
    a.delay_ms = 30 * 60 * 1000;
    return durable_test_runner_add_callback_responder(*r, &a);
}

static void order_runner_free(durable_test_runner *r, order_config *cfg)
{
    durable_test_runner_free(r);
    durable_retry_strategy_free(cfg->payment_retry);
    cfg->payment_retry = NULL;
}

/* How many times the ledger holds exactly `what`. */
static int order_ledger_count(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    char line[128];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        n += strcmp(line, what) == 0;
    }
    if (f)
        fclose(f);
    return n;
}

#endif
