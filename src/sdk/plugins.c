/* Plugin hook dispatch. Hooks are called one at a time (plugin_mu), in
 * registration order; a hook that fails is logged at DEBUG and otherwise
 * ignored, so a plugin can never change an execution's result. */
#include <string.h>

#include "sdk/context_internal.h"

bool durable__plugins_enabled(const durable__exec *ex)
{
    return ex && ex->plugin_count > 0;
}

static void hook_failed(durable__exec *ex, const durable_plugin *p, const char *hook, int rc)
{
    durable__logger_emit(&ex->logger, DURABLE_LOG_DEBUG, NULL, 0, NULL,
                         "plugin %s: hook %s failed (%d); ignored",
                         p->name ? p->name : "(unnamed)", hook, rc);
}

#define DISPATCH(ex, field, hookname, info)                                               \
    do {                                                                                  \
        pthread_mutex_lock(&(ex)->plugin_mu);                                             \
        for (size_t i_ = 0; i_ < (ex)->plugin_count; i_++) {                              \
            const durable_plugin *p_ = &(ex)->plugins[i_];                                \
            if (!p_->field)                                                               \
                continue;                                                                 \
            int rc_ = p_->field(p_->user, (info));                                        \
            if (rc_ != 0)                                                                 \
                hook_failed((ex), p_, (hookname), rc_);                                   \
        }                                                                                 \
        pthread_mutex_unlock(&(ex)->plugin_mu);                                           \
    } while (0)

/* The updated operations as stored now: shallow views whose contents the
 * table keeps until the invocation ends. An Id the state lacks keeps just
 * its Id, so the array stays parallel to updated_operation_ids. */
static const durable_operation *updated_views(durable__exec *ex)
{
    if (!ex->updated_views || ex->updated_count == 0)
        return NULL;
    for (size_t k = 0; k < ex->updated_count; k++) {
        durable_operation *v = &ex->updated_views[k];
        if (!durable__exec_view_op(ex, ex->updated_ids[k], v))
            v->id = ex->updated_ids[k];
    }
    return ex->updated_views;
}

void durable__plugins_invocation(durable__exec *ex, bool end, const durable_invocation_info *info)
{
    if (!durable__plugins_enabled(ex))
        return;
    durable_invocation_info i = *info;
    i.logger = &ex->logger;
    i.updated_operations = updated_views(ex);
    if (end)
        DISPATCH(ex, invocation_end, "invocation-end", &i);
    else
        DISPATCH(ex, invocation_start, "invocation-start", &i);
}

static durable_operation_info op_info(durable__exec *ex, const durable_operation *op)
{
    durable_operation_info i;
    memset(&i, 0, sizeof(i));
    i.execution_arn = ex->arn;
    i.operation = op;
    i.logger = &ex->logger;
    return i;
}

void durable__plugins_op_start(durable__exec *ex, const durable_operation *op, bool is_replay)
{
    if (!durable__plugins_enabled(ex) || !op || op->type == DURABLE_OP_EXECUTION)
        return;
    durable_operation_info i = op_info(ex, op);
    i.is_replay = is_replay;
    DISPATCH(ex, operation_start, "operation-start", &i);
}

void durable__plugins_op_end(durable__exec *ex, const durable_operation *op)
{
    if (!durable__plugins_enabled(ex) || !op || !op->id || op->type == DURABLE_OP_EXECUTION)
        return;
    pthread_mutex_lock(&ex->mu);
    int added = durable__strset_add(&ex->ended, op->id);
    pthread_mutex_unlock(&ex->mu);
    if (added != 1)
        return; /* already reported (or out of memory: report nothing twice) */
    durable_operation_info i = op_info(ex, op);
    i.is_replay = !ex->first_invocation && durable__strset_has(&ex->updated, op->id);
    i.outcome = op->status;
    i.error = op->error;
    DISPATCH(ex, operation_end, "operation-end", &i);
}

static bool wants_change(const durable__exec *ex)
{
    for (size_t i = 0; i < ex->plugin_count; i++)
        if (ex->plugins[i].operation_change)
            return true;
    return false;
}

void durable__plugins_op_change(durable__exec *ex, const durable_operation_list *delta)
{
    if (!durable__plugins_enabled(ex) || !delta || delta->count == 0 || !wants_change(ex))
        return;
    /* A snapshot of the full map, so hooks never race a later merge. */
    durable_operation_list all;
    memset(&all, 0, sizeof(all));
    bool *replayed = durable__calloc(delta->count, sizeof(bool));
    pthread_mutex_lock(&ex->mu);
    int rc = replayed ? 0 : DURABLE_ENOMEM;
    for (size_t k = 0; k < ex->ops.count && rc == 0; k++)
        rc = durable_operation_list_append(&all, &ex->ops.items[k]);
    /* The table keeps first-seen order: the first initial_op_count entries
     * were loaded before the handler ran. */
    for (size_t k = 0; k < delta->count && rc == 0; k++) {
        const durable_operation *op = durable__optable_get(&ex->ops, delta->items[k].id);
        replayed[k] = op && (size_t)(op - ex->ops.items) < ex->initial_op_count;
    }
    pthread_mutex_unlock(&ex->mu);
    if (rc == 0) {
        durable_operation_change_info i;
        memset(&i, 0, sizeof(i));
        i.execution_arn = ex->arn;
        i.updated = delta->items;
        i.updated_count = delta->count;
        i.operations = all.items;
        i.operation_count = all.count;
        i.logger = &ex->logger;
        i.updated_is_replay = replayed;
        DISPATCH(ex, operation_change, "operation-change", &i);
    }
    durable__free(replayed);
    durable_operation_list_clear(&all);
}

static int64_t now_ms(const durable__exec *ex)
{
    return durable_clock_now(ex->clock);
}

/* The attempt's operation as stored now, or its live descriptor until
 * the service has acknowledged it. *view is a shallow view (the table
 * keeps its contents until the invocation ends). */
static const durable_operation *attempt_op(durable__exec *ex, const durable__attempt *a,
                                           durable_operation *view)
{
    return durable__exec_view_op(ex, a->desc->id, view) ? view : a->desc;
}

void durable__plugins_attempt_start(durable__exec *ex, durable__attempt *a,
                                    const durable_operation *desc, int number)
{
    memset(a, 0, sizeof(*a));
    a->desc = desc;
    a->number = number;
    if (!durable__plugins_enabled(ex))
        return;
    a->start_ms = now_ms(ex);
    durable_operation view;
    durable_operation_info i = op_info(ex, attempt_op(ex, a, &view));
    i.attempt = number;
    i.attempt_start_timestamp = a->start_ms;
    DISPATCH(ex, attempt_start, "attempt-start", &i);
}

void durable__plugins_attempt_returned(durable__exec *ex, durable__attempt *a)
{
    if (!durable__plugins_enabled(ex))
        return;
    /* Never before the start, even if the real clock is set back. */
    int64_t t = now_ms(ex);
    a->end_ms = t > a->start_ms ? t : a->start_ms;
}

void durable__plugins_attempt_end(durable__exec *ex, const durable__attempt *a,
                                  durable_attempt_outcome result, const durable_error_object *err,
                                  int64_t delay_s)
{
    if (!durable__plugins_enabled(ex))
        return;
    durable_operation view;
    durable_operation_info i = op_info(ex, attempt_op(ex, a, &view));
    i.attempt = a->number;
    i.outcome = err ? DURABLE_OP_FAILED : DURABLE_OP_SUCCEEDED;
    i.error = err;
    i.attempt_start_timestamp = a->start_ms;
    i.attempt_end_timestamp = a->end_ms;
    i.attempt_outcome = result;
    i.next_attempt_delay_seconds = result == DURABLE_ATTEMPT_WILL_RETRY ? delay_s : 0;
    DISPATCH(ex, attempt_end, "attempt-end", &i);
}

void durable__plugins_user_fn(durable__exec *ex, bool end, const durable_operation *op,
                              bool replaying_children, durable_op_status outcome,
                              const durable_error_object *err)
{
    if (!durable__plugins_enabled(ex))
        return;
    durable_operation_info i = op_info(ex, op);
    i.is_replaying_children = replaying_children;
    if (end) {
        i.outcome = outcome;
        i.error = err;
        DISPATCH(ex, user_function_end, "user-function-end", &i);
    } else {
        DISPATCH(ex, user_function_start, "user-function-start", &i);
    }
}
