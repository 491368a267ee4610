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

void durable__plugins_invocation(durable__exec *ex, bool end, const durable_invocation_info *info)
{
    if (!durable__plugins_enabled(ex))
        return;
    durable_invocation_info i = *info;
    i.logger = &ex->logger;
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

void durable__plugins_attempt(durable__exec *ex, bool end, const durable_operation *op,
                              int attempt, durable_op_status outcome,
                              const durable_error_object *err)
{
    if (!durable__plugins_enabled(ex))
        return;
    durable_operation_info i = op_info(ex, op);
    i.attempt = attempt;
    i.is_replay = false;
    if (end) {
        i.outcome = outcome;
        i.error = err;
        DISPATCH(ex, attempt_end, "attempt-end", &i);
    } else {
        DISPATCH(ex, attempt_start, "attempt-start", &i);
    }
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
