/*
 * Conformance handlers, suite "plugin" (10-x): instrumentation plugins that
 * write one JSON record per hook through the SDK's logger
 * (durable_logger_write_line), each stamped with the durableExecutionArn
 * captured at invocation-start. The runner captures those lines; the
 * requirement's ExpectedLogs check them.
 */
#include <stdio.h>
#include <string.h>

#include "conformance/handlers/handlers.h"

typedef enum plug_style {
    P_INV_FIRST_STATUS, /* invocation-start {first}; invocation-end {status} */
    P_INV_PLAIN,        /* invocation-start {}; invocation-end {status} */
    P_INV_TERMINAL,     /* invocation-start {first}; invocation-end {first, terminal, status} */
    P_OP_IDS,           /* operation-start {op}; operation-end {op, status} */
    P_OP_TYPED,         /* operation-start {op, type}; operation-end {op, type, status} */
    P_OP_PARENT,        /* operation-end {op, parent, status} */
    P_OP_REPLAY,        /* operation-start {op, replay}; operation-end {op, status} */
    P_OP_RESULT,        /* operation-end {op, status, result, error} */
    P_CHANGE,           /* operation-change {op, status, in_full_map} per delta item */
    P_FAULTY,           /* every hook logs {hook} and then fails */
    P_HEALTHY,          /* the lifecycle records of 10-17 */
    P_DUMP_INV,         /* canonical dump of invocation infos */
    P_DUMP_OP,          /* canonical dump of operation infos */
    P_DUMP_CHANGE,      /* canonical dump of change delta items */
    P_DUMP_CTX          /* canonical dump of operation-start and fn-start */
} plug_style;

typedef struct plug {
    const char *name;
    plug_style style;
    durable_op_type filter; /* DURABLE_OP_TYPE_NONE: every operation */
    char arn[1024];         /* captured at invocation-start */
} plug;

/* ---- records ---------------------------------------------------------------- */

static cJSON *record(const plug *p, const char *hook)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "plugin", p->name);
        cJSON_AddStringToObject(o, "hook", hook);
    }
    return o;
}

static void emit(const plug *p, cJSON *o, durable_logger *logger)
{
    if (!o)
        return;
    if (p->arn[0])
        cJSON_AddStringToObject(o, "durableExecutionArn", p->arn);
    char *line = cJSON_PrintUnformatted(o);
    if (line && logger)
        durable_logger_write_line(logger, line);
    cJSON_free(line);
    cJSON_Delete(o);
}

static void iso(cJSON *o, const char *key, int64_t ms)
{
    if (ms <= 0)
        return;
    char buf[40];
    durable_ts_format_rfc3339(buf, sizeof buf, ms);
    cJSON_AddStringToObject(o, key, buf);
}

static bool wanted(const plug *p, const durable_operation *op)
{
    return op && (p->filter == DURABLE_OP_TYPE_NONE || op->type == p->filter);
}

static const char *op_status(const durable_operation_info *info)
{
    durable_op_status s = info->outcome != DURABLE_OP_STATUS_NONE ? info->outcome
                                                                  : info->operation->status;
    return durable_op_status_name(s);
}

static const durable_error_object *op_error(const durable_operation_info *info)
{
    return info->error ? info->error : info->operation->error;
}

/* Canonical camelCase dump of an operation (unset fields omitted). */
static void dump_operation(cJSON *o, const durable_operation *op, int attempt)
{
    if (op->id)
        cJSON_AddStringToObject(o, "id", op->id);
    if (op->name)
        cJSON_AddStringToObject(o, "name", op->name);
    if (op->type != DURABLE_OP_TYPE_NONE)
        cJSON_AddStringToObject(o, "type", durable_op_type_name(op->type));
    if (op->subtype)
        cJSON_AddStringToObject(o, "subType", op->subtype);
    if (op->parent_id)
        cJSON_AddStringToObject(o, "parentId", op->parent_id);
    if (op->status != DURABLE_OP_STATUS_NONE)
        cJSON_AddStringToObject(o, "status", durable_op_status_name(op->status));
    iso(o, "startTimestamp", op->start_timestamp);
    iso(o, "endTimestamp", op->end_timestamp);
    if (op->error && op->error->error_message)
        cJSON_AddStringToObject(o, "error", op->error->error_message);
    if (attempt > 0)
        cJSON_AddNumberToObject(o, "attempt", attempt);
    else if (op->attempt != DURABLE_ABSENT && op->attempt > 0)
        cJSON_AddNumberToObject(o, "attempt", (double)op->attempt);
}

/* ---- hooks ------------------------------------------------------------------- */

static int fail_if_faulty(const plug *p)
{
    return p->style == P_FAULTY ? -1 : 0;
}

static int on_invocation_start(void *user, const durable_invocation_info *info)
{
    plug *p = user;
    snprintf(p->arn, sizeof p->arn, "%s", info->execution_arn ? info->execution_arn : "");
    cJSON *o = record(p, "invocation-start");
    switch (p->style) {
    case P_INV_FIRST_STATUS:
    case P_INV_TERMINAL:
    case P_HEALTHY:
        cJSON_AddBoolToObject(o, "first", info->is_first_invocation);
        break;
    case P_DUMP_INV:
        cJSON_AddBoolToObject(o, "isFirstInvocation", info->is_first_invocation);
        if (info->request_id)
            cJSON_AddStringToObject(o, "requestId", info->request_id);
        cJSON_AddNumberToObject(o, "operationsCount", (double)info->operation_count);
        cJSON_AddNumberToObject(o, "updatedOperationsCount",
                                (double)info->updated_operation_count);
        iso(o, "executionStartTimestamp", info->execution_start_timestamp);
        break;
    case P_INV_PLAIN:
    case P_FAULTY:
        break;
    default:
        cJSON_Delete(o);
        return 0;
    }
    emit(p, o, info->logger);
    return fail_if_faulty(p);
}

static int on_invocation_end(void *user, const durable_invocation_info *info)
{
    plug *p = user;
    const char *status = durable_invocation_status_name(info->status);
    bool terminal = info->status == DURABLE_INVOCATION_SUCCEEDED ||
                    info->status == DURABLE_INVOCATION_FAILED;
    cJSON *o = record(p, "invocation-end");
    switch (p->style) {
    case P_INV_FIRST_STATUS:
    case P_INV_PLAIN:
    case P_HEALTHY:
        cJSON_AddStringToObject(o, "status", status);
        break;
    case P_INV_TERMINAL:
        cJSON_AddBoolToObject(o, "first", info->is_first_invocation);
        cJSON_AddBoolToObject(o, "terminal", terminal);
        cJSON_AddStringToObject(o, "status", status);
        break;
    case P_DUMP_INV:
        cJSON_AddBoolToObject(o, "isFirstInvocation", info->is_first_invocation);
        if (info->request_id)
            cJSON_AddStringToObject(o, "requestId", info->request_id);
        cJSON_AddNumberToObject(o, "operationsCount", (double)info->operation_count);
        cJSON_AddNumberToObject(o, "updatedOperationsCount",
                                (double)info->updated_operation_count);
        iso(o, "executionStartTimestamp", info->execution_start_timestamp);
        if (info->status != DURABLE_INVOCATION_STATUS_NONE)
            cJSON_AddStringToObject(o, "status", status);
        cJSON_AddBoolToObject(o, "terminal", terminal);
        if (info->error && info->error->error_message)
            cJSON_AddStringToObject(o, "executionError", info->error->error_message);
        break;
    case P_FAULTY:
        break;
    default:
        cJSON_Delete(o);
        return 0;
    }
    emit(p, o, info->logger);
    return fail_if_faulty(p);
}

static int on_operation_start(void *user, const durable_operation_info *info)
{
    plug *p = user;
    const durable_operation *op = info->operation;
    if (!wanted(p, op))
        return 0;
    cJSON *o = record(p, "operation-start");
    switch (p->style) {
    case P_OP_IDS:
    case P_HEALTHY:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        break;
    case P_OP_TYPED:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        cJSON_AddStringToObject(o, "type", durable_op_type_name(op->type));
        break;
    case P_OP_REPLAY:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        cJSON_AddBoolToObject(o, "replay", info->is_replay);
        break;
    case P_DUMP_OP:
    case P_DUMP_CTX:
        dump_operation(o, op, info->attempt);
        cJSON_AddBoolToObject(o, "isReplay", info->is_replay);
        break;
    case P_FAULTY:
        break;
    default:
        cJSON_Delete(o);
        return 0;
    }
    emit(p, o, info->logger);
    return fail_if_faulty(p);
}

static int on_operation_end(void *user, const durable_operation_info *info)
{
    plug *p = user;
    const durable_operation *op = info->operation;
    if (!wanted(p, op))
        return 0;
    const durable_error_object *err = op_error(info);
    cJSON *o = record(p, "operation-end");
    switch (p->style) {
    case P_OP_IDS:
    case P_OP_REPLAY:
    case P_HEALTHY:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        cJSON_AddStringToObject(o, "status", op_status(info));
        break;
    case P_OP_TYPED:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        cJSON_AddStringToObject(o, "type", durable_op_type_name(op->type));
        cJSON_AddStringToObject(o, "status", op_status(info));
        break;
    case P_OP_PARENT:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        cJSON_AddStringToObject(o, "parent", op->parent_id ? op->parent_id : "NONE");
        cJSON_AddStringToObject(o, "status", op_status(info));
        break;
    case P_OP_RESULT:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        cJSON_AddStringToObject(o, "status", op_status(info));
        cJSON_AddStringToObject(o, "result", op->result ? op->result : "NONE");
        cJSON_AddStringToObject(o, "error",
                                err && err->error_message ? err->error_message : "NONE");
        break;
    case P_DUMP_OP:
        dump_operation(o, op, info->attempt);
        if (!op->error && err && err->error_message)
            cJSON_AddStringToObject(o, "error", err->error_message);
        cJSON_AddBoolToObject(o, "isReplay", info->is_replay);
        break;
    case P_FAULTY:
        break;
    default:
        cJSON_Delete(o);
        return 0;
    }
    emit(p, o, info->logger);
    return fail_if_faulty(p);
}

static int on_attempt(plug *p, const durable_operation_info *info, bool end)
{
    const durable_operation *op = info->operation;
    if (!wanted(p, op))
        return 0;
    cJSON *o = record(p, end ? "attempt-end" : "attempt-start");
    switch (p->style) {
    case P_HEALTHY:
        cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
        if (end)
            cJSON_AddStringToObject(o, "outcome", durable_op_status_name(info->outcome));
        break;
    case P_FAULTY:
        break;
    default:
        cJSON_Delete(o);
        return 0;
    }
    emit(p, o, info->logger);
    return fail_if_faulty(p);
}

static int on_attempt_start(void *user, const durable_operation_info *info)
{
    return on_attempt(user, info, false);
}

static int on_attempt_end(void *user, const durable_operation_info *info)
{
    return on_attempt(user, info, true);
}

static int on_operation_change(void *user, const durable_operation_change_info *info)
{
    plug *p = user;
    if (p->style != P_CHANGE && p->style != P_DUMP_CHANGE)
        return 0;
    for (size_t i = 0; i < info->updated_count; i++) {
        const durable_operation *op = &info->updated[i];
        if (!wanted(p, op))
            continue;
        bool in_full = false;
        for (size_t k = 0; k < info->operation_count && !in_full; k++)
            in_full = op->id && info->operations[k].id &&
                      !strcmp(op->id, info->operations[k].id);
        cJSON *o = record(p, "operation-change");
        if (p->style == P_CHANGE) {
            cJSON_AddStringToObject(o, "op", op->id ? op->id : "");
            cJSON_AddStringToObject(o, "status", durable_op_status_name(op->status));
            cJSON_AddBoolToObject(o, "in_full_map", in_full);
        } else {
            if (info->execution_arn)
                cJSON_AddStringToObject(o, "executionArn", info->execution_arn);
            cJSON_AddNumberToObject(o, "updatedOperationsCount", (double)info->updated_count);
            cJSON_AddNumberToObject(o, "operationsCount", (double)info->operation_count);
            cJSON_AddBoolToObject(o, "inFullMap", in_full);
            dump_operation(o, op, 0);
            if (info->updated_is_replay)
                cJSON_AddBoolToObject(o, "isReplay", info->updated_is_replay[i]);
        }
        emit(p, o, info->logger);
    }
    return 0;
}

static int on_user_function_start(void *user, const durable_operation_info *info)
{
    plug *p = user;
    const durable_operation *op = info->operation;
    if (p->style != P_DUMP_CTX || !wanted(p, op))
        return 0;
    cJSON *o = record(p, "fn-start");
    dump_operation(o, op, info->attempt);
    cJSON_AddBoolToObject(o, "isReplayingChildren", info->is_replaying_children);
    emit(p, o, info->logger);
    return 0;
}

#define PLUGIN(var, label)                                                                    \
    {                                                                                          \
        label, &(var), on_invocation_start, on_invocation_end, on_operation_start,        \
            on_operation_end, on_operation_change, on_attempt_start, on_attempt_end,           \
            on_user_function_start, NULL                                                       \
    }

/* ---- handlers ------------------------------------------------------------------ */

static int greet_logged(durable_step_ctx *sctx, cJSON **result, void *user)
{
    const char *in = conf_text(user);
    durable_step_log(sctx, DURABLE_LOG_INFO, "Greeting step running for: %s", in);
    char *s = durable_sprintf("Hello, %s!", in);
    *result = s ? cJSON_CreateString(s) : NULL;
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int greet(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    char *s = durable_sprintf("Hello, %s!", conf_text(user));
    *result = s ? cJSON_CreateString(s) : NULL;
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int text_step(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    *result = cJSON_CreateString(user);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int fails_step(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)result;
    return durable_step_fail(sctx, "StepFailure", user ? user : "the step failed on purpose",
                             NULL);
}

static int fails_once(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)user;
    if (durable_step_attempt(sctx) < 2)
        return durable_step_fail(sctx, "TransientFailure", "first attempt fails", NULL);
    *result = cJSON_CreateString("Operation succeeded");
    return *result ? 0 : DURABLE_ENOMEM;
}

static int step_returning(durable_ctx *ctx, cJSON **out, const char *name, durable_step_fn fn,
                          void *user, const durable_step_options *opts)
{
    const cJSON *r = NULL;
    CONF_TRY(durable_step(ctx, &r, name, fn, user, opts));
    return conf_return(out, r);
}

/* A single greeting step (10-1 logs inside the step; the others do not). */
static int h_greeting_logged(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return step_returning(ctx, out, NULL, greet_logged, (void *)input, NULL);
}

static int h_greeting(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    return step_returning(ctx, out, NULL, greet, (void *)input, NULL);
}

/* 10-7: a single no-retry step that always fails. */
static int h_failing_step(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    return step_returning(ctx, out, NULL, fails_step, NULL, &so);
}

/* 10-10, 10-16: a single 2 s wait. */
static int h_wait2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_wait(ctx, NULL, 2);
}

static int child_greets(durable_ctx *child, cJSON **result, void *user)
{
    return step_returning(child, result, NULL, greet, user, NULL);
}

/* 10-11: a child context containing one greeting step. */
static int h_child_greeting(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_run_in_child_context(ctx, &r, NULL, child_greets, (void *)input, NULL));
    return conf_return(out, r);
}

/* 10-13: step A succeeds; step B fails once and succeeds after 1 s. */
static int h_two_steps_retry(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    CONF_TRY(durable_step(ctx, NULL, NULL, text_step, "a", NULL));
    durable_retry_strategy *rs = conf_fixed_retry(3, 1);
    if (!rs)
        return DURABLE_ENOMEM;
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = rs;
    int rc = step_returning(ctx, out, NULL, fails_once, NULL, &so);
    durable_retry_strategy_free(rs);
    return rc;
}

/* 10-14: step A returns "task-a"; step B throws "boom" without retries. */
static int h_result_then_boom(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    CONF_TRY(durable_step(ctx, NULL, NULL, text_step, "task-a", NULL));
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = durable_retry_preset_none();
    return step_returning(ctx, out, NULL, fails_step, "boom", &so);
}

/* 10-19: wait 2 s, then return "done-" + input. */
static int h_wait_then_done(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    CONF_TRY(durable_wait(ctx, NULL, 2));
    char *s = durable_sprintf("done-%s", conf_text(input));
    if (!s)
        return DURABLE_ENOMEM;
    int rc = conf_return_string(out, s);
    durable_free(s);
    return rc;
}

/* 10-20, 10-22: one step named "greet" returning "task-a". */
static int h_greet_task_a(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    return step_returning(ctx, out, "greet", text_step, "task-a", NULL);
}

/* 10-23: parallel "ctx" (sequential) with named branches. */
static int branch_a(durable_ctx *child, cJSON **result, void *user)
{
    (void)user;
    CONF_TRY(durable_step(child, NULL, "inner", text_step, "x", NULL));
    CONF_TRY(durable_wait(child, NULL, 2));
    return conf_return_string(result, "a-done");
}

static int branch_b(durable_ctx *child, cJSON **result, void *user)
{
    (void)child;
    (void)user;
    return conf_return_string(result, "b-done");
}

static int h_named_branches(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_branch b[] = {{"branch-a", branch_a, NULL}, {"branch-b", branch_b, NULL}};
    durable_parallel_options o = DURABLE_PARALLEL_OPTIONS_INIT;
    o.max_concurrency = 1;
    const durable_batch_result *br = NULL;
    CONF_TRY(durable_parallel(ctx, &br, "ctx", b, 2, &o));
    return conf_return(out, durable_batch_result_results(br));
}

/* ---- plugin instances (state is per process: one requirement each) ------------- */

static plug p10_1 = {"CONFPLUGIN", P_INV_FIRST_STATUS, DURABLE_OP_TYPE_NONE, ""};
static plug p10_2 = {"CONFPLUGIN", P_OP_IDS, DURABLE_OP_STEP, ""};
static plug p10_4 = {"CONFPLUGIN-FAULTY", P_FAULTY, DURABLE_OP_STEP, ""};
static plug p10_5a = {"CONFPLUGIN-A", P_INV_PLAIN, DURABLE_OP_TYPE_NONE, ""};
static plug p10_5b = {"CONFPLUGIN-B", P_INV_PLAIN, DURABLE_OP_TYPE_NONE, ""};
static plug p10_7 = {"CONFPLUGIN", P_INV_FIRST_STATUS, DURABLE_OP_TYPE_NONE, ""};
static plug p10_8 = {"CONFPLUGIN", P_CHANGE, DURABLE_OP_STEP, ""};
static plug p10_10 = {"CONFPLUGIN", P_OP_TYPED, DURABLE_OP_WAIT, ""};
static plug p10_11 = {"CONFPLUGIN", P_OP_PARENT, DURABLE_OP_TYPE_NONE, ""};
static plug p10_13 = {"CONFPLUGIN", P_OP_REPLAY, DURABLE_OP_STEP, ""};
static plug p10_14 = {"CONFPLUGIN", P_OP_RESULT, DURABLE_OP_STEP, ""};
static plug p10_16 = {"CONFPLUGIN", P_INV_TERMINAL, DURABLE_OP_TYPE_NONE, ""};
static plug p10_17f = {"CONFPLUGIN-FAULTY", P_FAULTY, DURABLE_OP_STEP, ""};
static plug p10_17h = {"CONFPLUGIN-HEALTHY", P_HEALTHY, DURABLE_OP_STEP, ""};
static plug p10_19 = {"CONFPLUGIN", P_DUMP_INV, DURABLE_OP_TYPE_NONE, ""};
static plug p10_20 = {"CONFPLUGIN", P_DUMP_OP, DURABLE_OP_STEP, ""};
static plug p10_22 = {"CONFPLUGIN", P_DUMP_CHANGE, DURABLE_OP_STEP, ""};
static plug p10_23 = {"CONFPLUGIN", P_DUMP_CTX, DURABLE_OP_CONTEXT, ""};

static const durable_plugin pl10_1[] = {PLUGIN(p10_1, "p10_1")};
static const durable_plugin pl10_2[] = {PLUGIN(p10_2, "p10_2")};
static const durable_plugin pl10_4[] = {PLUGIN(p10_4, "p10_4")};
static const durable_plugin pl10_5[] = {PLUGIN(p10_5a, "p10_5a"), PLUGIN(p10_5b, "p10_5b")};
static const durable_plugin pl10_7[] = {PLUGIN(p10_7, "p10_7")};
static const durable_plugin pl10_8[] = {PLUGIN(p10_8, "p10_8")};
static const durable_plugin pl10_10[] = {PLUGIN(p10_10, "p10_10")};
static const durable_plugin pl10_11[] = {PLUGIN(p10_11, "p10_11")};
static const durable_plugin pl10_13[] = {PLUGIN(p10_13, "p10_13")};
static const durable_plugin pl10_14[] = {PLUGIN(p10_14, "p10_14")};
static const durable_plugin pl10_16[] = {PLUGIN(p10_16, "p10_16")};
static const durable_plugin pl10_17[] = {PLUGIN(p10_17f, "p10_17f"), PLUGIN(p10_17h, "p10_17h")};
static const durable_plugin pl10_19[] = {PLUGIN(p10_19, "p10_19")};
static const durable_plugin pl10_20[] = {PLUGIN(p10_20, "p10_20")};
static const durable_plugin pl10_22[] = {PLUGIN(p10_22, "p10_22")};
static const durable_plugin pl10_23[] = {PLUGIN(p10_23, "p10_23")};

#define WITH(pl) pl, CONF_COUNT(pl)

const conf_handler conf_plugin_handlers[] = {
    {"10-1", h_greeting_logged, NULL, 0, WITH(pl10_1)},
    {"10-2", h_greeting, NULL, 0, WITH(pl10_2)},
    {"10-4", h_greeting, NULL, 0, WITH(pl10_4)},
    {"10-5", h_greeting, NULL, 0, WITH(pl10_5)},
    {"10-7", h_failing_step, NULL, 0, WITH(pl10_7)},
    {"10-8", h_greeting, NULL, 0, WITH(pl10_8)},
    {"10-10", h_wait2, NULL, 0, WITH(pl10_10)},
    {"10-11", h_child_greeting, NULL, 0, WITH(pl10_11)},
    {"10-13", h_two_steps_retry, NULL, 0, WITH(pl10_13)},
    {"10-14", h_result_then_boom, NULL, 0, WITH(pl10_14)},
    {"10-16", h_wait2, NULL, 0, WITH(pl10_16)},
    {"10-17", h_greeting, NULL, 0, WITH(pl10_17)},
    {"10-19", h_wait_then_done, NULL, 0, WITH(pl10_19)},
    {"10-20", h_greet_task_a, NULL, 0, WITH(pl10_20)},
    {"10-22", h_greet_task_a, NULL, 0, WITH(pl10_22)},
    {"10-23", h_named_branches, NULL, 0, WITH(pl10_23)},
    {NULL, NULL, NULL, 0, NULL, 0},
};
