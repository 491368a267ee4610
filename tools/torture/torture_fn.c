/*
 * torture_fn — the durable function of `make torture`: a C custom runtime
 * (durable_lambda_run) whose every side effect and every acknowledged
 * checkpoint is appended to files outside the database, so the torture can
 * tell, after any number of SIGKILLs, what ran and what the service
 * acknowledged.
 *
 * Input {"n": N, "callback": true|false}. The workflow: an at-least-once
 * step; an at-most-once step whose first attempt fails (retried after 1 s);
 * a 1-second wait; a child context with a step; a map of three items, each
 * a step; optionally a callback answered from outside. Result: {"n": N,
 * "sum": …, "approval": …} — the same for every run of the same input.
 *
 * Files (environment): TORTURE_SIDE gets "N name attempt" per step body run;
 * TORTURE_ACKS gets "arn id status" per operation of every checkpoint
 * response the SDK merged (an acknowledgement the function saw).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable/context.h"
#include "durable/lambda.h"

#include <cjson/cJSON.h>

/* One line, one write(2) on an O_APPEND file, synced: a line is whole or
 * absent whatever kills the process. */
static void append_line(const char *env, const char *line)
{
    const char *path = getenv(env);
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, strlen(line));
    (void)w;
    fsync(fd);
    close(fd);
}

typedef struct step_arg {
    int n;
    const char *name;
    int value;
    bool fail_first;
} step_arg;

static int body(durable_step_ctx *s, cJSON **result, void *user)
{
    const step_arg *a = user;
    char line[128];
    snprintf(line, sizeof line, "%d %s %d\n", a->n, a->name, durable_step_attempt(s));
    append_line("TORTURE_SIDE", line);
    if (a->fail_first && durable_step_attempt(s) == 1)
        return durable_step_fail(s, "Flaky", "the first attempt fails", NULL);
    *result = cJSON_CreateNumber(a->value);
    return 0;
}

static int child(durable_ctx *ctx, cJSON **result, void *user)
{
    const step_arg *parent = user;
    step_arg a = {parent->n, "child-step", 10, false};
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "inner", body, &a, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(v, 1);
    return rc;
}

typedef struct map_arg {
    int n;
} map_arg;

static int item(durable_ctx *ctx, cJSON **result, const cJSON *it, size_t index,
                const cJSON *items, void *user)
{
    (void)items;
    const map_arg *m = user;
    char name[32];
    snprintf(name, sizeof name, "item-%zu", index);
    step_arg a = {m->n, name, (int)it->valuedouble, false};
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, name, body, &a, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(v, 1);
    return rc;
}

static int handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    const durable_retry_strategy *retry = user;
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(input, "n");
    int n = cJSON_IsNumber(jn) ? jn->valueint : 0;
    bool want_cb = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(input, "callback"));
    const cJSON *a = NULL, *b = NULL, *c = NULL, *approval = NULL;
    const durable_batch_result *mr = NULL;

    step_arg sa = {n, "alo", 1, false};
    int rc = durable_step(ctx, &a, "at-least-once", body, &sa, NULL);
    step_arg sb = {n, "amo", 2, true};
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
    so.retry = retry;
    if (rc == 0)
        rc = durable_step(ctx, &b, "at-most-once", body, &sb, &so);
    if (rc == 0)
        rc = durable_wait(ctx, "pause", 1);
    if (rc == 0)
        rc = durable_run_in_child_context(ctx, &c, "child", child, &sa, NULL);
    cJSON *items = cJSON_CreateIntArray((const int[]){100, 200, 300}, 3);
    map_arg ma = {n};
    if (rc == 0)
        rc = durable_map(ctx, &mr, "items", items, item, &ma, NULL);
    cJSON_Delete(items);
    durable_callback *cb = NULL;
    if (rc == 0 && want_cb)
        rc = durable_create_callback(ctx, &cb, "approve", NULL);
    if (rc == 0 && want_cb)
        rc = durable_callback_await(cb, &approval);
    if (rc != 0)
        return rc;
    double sum = a->valuedouble + b->valuedouble + c->valuedouble;
    for (size_t i = 0; i < mr->count; i++)
        if (mr->items[i].result)
            sum += mr->items[i].result->valuedouble;
    *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(*out, "n", n);
    cJSON_AddNumberToObject(*out, "sum", sum);
    if (approval)
        cJSON_AddItemToObject(*out, "approval", cJSON_Duplicate(approval, 1));
    return 0;
}

/* Every merged checkpoint response: the service acknowledged these. */
static int on_change(void *user, const durable_operation_change_info *info)
{
    (void)user;
    for (size_t i = 0; i < info->updated_count; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s %s %s\n", info->execution_arn, info->updated[i].id,
                 durable_op_status_name(info->updated[i].status));
        append_line("TORTURE_ACKS", line);
    }
    return 0;
}

int main(void)
{
    /* The at-most-once step's retry: 3 attempts, 1 s apart, no jitter. */
    durable_retry_strategy *retry = NULL;
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.max_attempts = 3;
    ro.initial_delay_seconds = 1;
    ro.max_delay_seconds = 1;
    ro.jitter = DURABLE_JITTER_NONE;
    if (durable_retry_strategy_new(&retry, &ro) != 0)
        return 1;
    durable_plugin acks = {0};
    acks.name = "acks";
    acks.operation_change = on_change;
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    o.invocation.plugins = &acks;
    o.invocation.plugin_count = 1;
    int rc = durable_lambda_run(handler, retry, &o);
    durable_retry_strategy_free(retry);
    return rc == 0 ? 0 : 1;
}
