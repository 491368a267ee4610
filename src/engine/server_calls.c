/* The typed calls of include/durable/server.h: each packs its arguments,
 * runs the engine function of the same name on the server thread, and
 * returns its code (server.c carries the error over). Each one has the same
 * three parts: its arguments, a trampoline run on the server thread, and the
 * public function that submits it. The write calls that may share a group
 * transaction (server.h, "Group commit") are submitted as writes, with an
 * undo that releases their outputs when their group does not commit. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "durable/engine.h"
#include "durable/server.h"
#include "engine/server_internal.h"
#include "model/internal.h"

/* ---- start_execution */
typedef struct {
    char **out_arn;
    char **out_op_id;
    const char *function_name;
    const durable_start_options *opts;
} start_execution_args;

static int start_execution_run(durable_engine *e, void *p)
{
    start_execution_args *a = p;
    return durable_engine_start_execution(a->out_arn, a->out_op_id, e, a->function_name, a->opts);
}

static void start_execution_undo(void *p)
{
    start_execution_args *a = p;
    if (a->out_arn) {
        durable_free(*a->out_arn);
        *a->out_arn = NULL;
    }
    if (a->out_op_id) {
        durable_free(*a->out_op_id);
        *a->out_op_id = NULL;
    }
}

int durable_server_start_execution(char **out_arn, char **out_op_id, durable_server *s,
                                   const char *function_name, const durable_start_options *opts)
{
    start_execution_args a = {out_arn, out_op_id, function_name, opts};
    return durable__server_call_write(s, start_execution_run, &a, start_execution_undo);
}

/* ---- start_invocation */
typedef struct {
    durable_invocation_input *out;
    char **out_invocation_id;
    const char *arn;
    int64_t pid;
} start_invocation_args;

static int start_invocation_run(durable_engine *e, void *p)
{
    start_invocation_args *a = p;
    return durable_engine_start_invocation(a->out, a->out_invocation_id, e, a->arn, a->pid);
}

static void start_invocation_undo(void *p)
{
    start_invocation_args *a = p;
    if (a->out)
        durable_invocation_input_clear(a->out);
    if (a->out_invocation_id) {
        durable_free(*a->out_invocation_id);
        *a->out_invocation_id = NULL;
    }
}

int durable_server_start_invocation(durable_invocation_input *out, char **out_invocation_id,
                                    durable_server *s, const char *arn, int64_t pid)
{
    start_invocation_args a = {out, out_invocation_id, arn, pid};
    return durable__server_call_write(s, start_invocation_run, &a, start_invocation_undo);
}

/* The invocation outcome calls' arguments all begin with their out. */
static void outcome_undo(void *p)
{
    durable_invocation_outcome **out = p;
    if (*out)
        memset(*out, 0, sizeof **out);
}

/* ---- complete_invocation */
typedef struct {
    durable_invocation_outcome *out;
    const char *arn;
    const char *invocation_id;
    const durable_invocation_output *output;
} complete_invocation_args;

static int complete_invocation_run(durable_engine *e, void *p)
{
    complete_invocation_args *a = p;
    return durable_engine_complete_invocation(a->out, e, a->arn, a->invocation_id, a->output);
}

int durable_server_complete_invocation(durable_invocation_outcome *out, durable_server *s,
                                       const char *arn, const char *invocation_id,
                                       const durable_invocation_output *output)
{
    complete_invocation_args a = {out, arn, invocation_id, output};
    return durable__server_call_write(s, complete_invocation_run, &a, outcome_undo);
}

/* ---- fail_invocation */
typedef struct {
    durable_invocation_outcome *out;
    const char *arn;
    const char *invocation_id;
    const durable_error_object *invocation_error;
} fail_invocation_args;

static int fail_invocation_run(durable_engine *e, void *p)
{
    fail_invocation_args *a = p;
    return durable_engine_fail_invocation(a->out, e, a->arn, a->invocation_id, a->invocation_error);
}

int durable_server_fail_invocation(durable_invocation_outcome *out, durable_server *s,
                                   const char *arn, const char *invocation_id,
                                   const durable_error_object *invocation_error)
{
    fail_invocation_args a = {out, arn, invocation_id, invocation_error};
    return durable__server_call_write(s, fail_invocation_run, &a, outcome_undo);
}

/* ---- crash_invocation */
typedef struct {
    durable_invocation_outcome *out;
    const char *arn;
    const char *invocation_id;
    const char *exit_status;
} crash_invocation_args;

static int crash_invocation_run(durable_engine *e, void *p)
{
    crash_invocation_args *a = p;
    return durable_engine_crash_invocation(a->out, e, a->arn, a->invocation_id, a->exit_status);
}

int durable_server_crash_invocation(durable_invocation_outcome *out, durable_server *s,
                                    const char *arn, const char *invocation_id,
                                    const char *exit_status)
{
    crash_invocation_args a = {out, arn, invocation_id, exit_status};
    return durable__server_call_write(s, crash_invocation_run, &a, outcome_undo);
}

/* ---- get_state */
typedef struct {
    durable_state_response *out;
    const durable_state_request *req;
} get_state_args;

static int get_state_run(durable_engine *e, void *p)
{
    get_state_args *a = p;
    return durable_engine_get_state(a->out, e, a->req);
}

int durable_server_get_state(durable_state_response *out, durable_server *s,
                             const durable_state_request *req)
{
    get_state_args a = {out, req};
    return durable_server_call(s, get_state_run, &a);
}

/* ---- callback_success */
typedef struct {
    const char *callback_id;
    const char *result;
    size_t result_len;
} callback_success_args;

static int callback_success_run(durable_engine *e, void *p)
{
    callback_success_args *a = p;
    return durable_engine_callback_success(e, a->callback_id, a->result, a->result_len);
}

int durable_server_callback_success(durable_server *s, const char *callback_id, const char *result,
                                    size_t result_len)
{
    callback_success_args a = {callback_id, result, result_len};
    return durable__server_call_write(s, callback_success_run, &a, NULL);
}

/* ---- callback_failure */
typedef struct {
    const char *callback_id;
    const durable_error_object *error;
} callback_failure_args;

static int callback_failure_run(durable_engine *e, void *p)
{
    callback_failure_args *a = p;
    return durable_engine_callback_failure(e, a->callback_id, a->error);
}

int durable_server_callback_failure(durable_server *s, const char *callback_id,
                                    const durable_error_object *error)
{
    callback_failure_args a = {callback_id, error};
    return durable__server_call_write(s, callback_failure_run, &a, NULL);
}

/* ---- callback_heartbeat */
typedef struct {
    const char *callback_id;
} callback_heartbeat_args;

static int callback_heartbeat_run(durable_engine *e, void *p)
{
    callback_heartbeat_args *a = p;
    return durable_engine_callback_heartbeat(e, a->callback_id);
}

int durable_server_callback_heartbeat(durable_server *s, const char *callback_id)
{
    callback_heartbeat_args a = {callback_id};
    return durable__server_call_write(s, callback_heartbeat_run, &a, NULL);
}

/* ---- fire_due */
typedef struct {
    int *fired_out;
} fire_due_args;

static int fire_due_run(durable_engine *e, void *p)
{
    fire_due_args *a = p;
    return durable_engine_fire_due(a->fired_out, e);
}

int durable_server_fire_due(int *fired_out, durable_server *s)
{
    fire_due_args a = {fired_out};
    return durable_server_call(s, fire_due_run, &a);
}

/* ---- next_due */
typedef struct {
    int64_t *when_out;
} next_due_args;

static int next_due_run(durable_engine *e, void *p)
{
    next_due_args *a = p;
    return durable_engine_next_due(a->when_out, e);
}

int durable_server_next_due(int64_t *when_out, durable_server *s)
{
    next_due_args a = {when_out};
    return durable_server_call(s, next_due_run, &a);
}

/* ---- list_ready */
typedef struct {
    durable_engine_string_list *out;
} list_ready_args;

static int list_ready_run(durable_engine *e, void *p)
{
    list_ready_args *a = p;
    return durable_engine_list_ready(a->out, e);
}

int durable_server_list_ready(durable_engine_string_list *out, durable_server *s)
{
    list_ready_args a = {out};
    return durable_server_call(s, list_ready_run, &a);
}

/* ---- execution_state */
typedef struct {
    durable_execution_state *out;
    const char *arn;
} execution_state_args;

static int execution_state_run(durable_engine *e, void *p)
{
    execution_state_args *a = p;
    return durable_engine_execution_state(a->out, e, a->arn);
}

int durable_server_execution_state(durable_execution_state *out, durable_server *s, const char *arn)
{
    execution_state_args a = {out, arn};
    return durable_server_call(s, execution_state_run, &a);
}

/* ---- execution_status */
typedef struct {
    durable_exec_status *status_out;
    int64_t *deadline_ms_out;
    const char *arn;
} execution_status_args;

static int execution_status_run(durable_engine *e, void *p)
{
    execution_status_args *a = p;
    return durable_engine_execution_status(a->status_out, a->deadline_ms_out, e, a->arn);
}

int durable_server_execution_status(durable_exec_status *status_out, int64_t *deadline_ms_out,
                                    durable_server *s, const char *arn)
{
    execution_status_args a = {status_out, deadline_ms_out, arn};
    return durable_server_call(s, execution_status_run, &a);
}

/* ---- list_chained_waiting */
typedef struct {
    durable_chained_invoke_list *out;
} list_chained_waiting_args;

static int list_chained_waiting_run(durable_engine *e, void *p)
{
    list_chained_waiting_args *a = p;
    return durable_engine_list_chained_waiting(a->out, e);
}

int durable_server_list_chained_waiting(durable_chained_invoke_list *out, durable_server *s)
{
    list_chained_waiting_args a = {out};
    return durable_server_call(s, list_chained_waiting_run, &a);
}

/* ---- start_chained_target */
typedef struct {
    char **out_child_arn;
    const char *parent_arn;
    const char *op_id;
} start_chained_target_args;

static int start_chained_target_run(durable_engine *e, void *p)
{
    start_chained_target_args *a = p;
    return durable_engine_start_chained_target(a->out_child_arn, e, a->parent_arn, a->op_id);
}

int durable_server_start_chained_target(char **out_child_arn, durable_server *s,
                                        const char *parent_arn, const char *op_id)
{
    start_chained_target_args a = {out_child_arn, parent_arn, op_id};
    return durable_server_call(s, start_chained_target_run, &a);
}

/* ---- mark_chained_dispatched */
typedef struct {
    const char *parent_arn;
    const char *op_id;
} mark_chained_dispatched_args;

static int mark_chained_dispatched_run(durable_engine *e, void *p)
{
    mark_chained_dispatched_args *a = p;
    return durable_engine_mark_chained_dispatched(e, a->parent_arn, a->op_id);
}

int durable_server_mark_chained_dispatched(durable_server *s, const char *parent_arn,
                                           const char *op_id)
{
    mark_chained_dispatched_args a = {parent_arn, op_id};
    return durable_server_call(s, mark_chained_dispatched_run, &a);
}

/* ---- complete_chained_invoke */
typedef struct {
    const char *parent_arn;
    const char *op_id;
    durable_chained_outcome_kind kind;
    const char *result;
    const durable_error_object *error;
} complete_chained_invoke_args;

static int complete_chained_invoke_run(durable_engine *e, void *p)
{
    complete_chained_invoke_args *a = p;
    return durable_engine_complete_chained_invoke(e, a->parent_arn, a->op_id, a->kind, a->result,
                                                  a->error);
}

int durable_server_complete_chained_invoke(durable_server *s, const char *parent_arn,
                                           const char *op_id, durable_chained_outcome_kind kind,
                                           const char *result, const durable_error_object *error)
{
    complete_chained_invoke_args a = {parent_arn, op_id, kind, result, error};
    return durable_server_call(s, complete_chained_invoke_run, &a);
}

/* ---- stop_execution */
typedef struct {
    durable_stop_response *out;
    const durable_stop_request *req;
} stop_execution_args;

static int stop_execution_run(durable_engine *e, void *p)
{
    stop_execution_args *a = p;
    return durable_engine_stop_execution(a->out, e, a->req);
}

static void stop_execution_undo(void *p)
{
    stop_execution_args *a = p;
    if (a->out)
        memset(a->out, 0, sizeof *a->out);
}

int durable_server_stop_execution(durable_stop_response *out, durable_server *s,
                                  const durable_stop_request *req)
{
    stop_execution_args a = {out, req};
    return durable__server_call_write(s, stop_execution_run, &a, stop_execution_undo);
}

/* ---- get_execution */
typedef struct {
    durable_execution_info *out;
    const char *arn;
} get_execution_args;

static int get_execution_run(durable_engine *e, void *p)
{
    get_execution_args *a = p;
    return durable_engine_get_execution(a->out, e, a->arn);
}

int durable_server_get_execution(durable_execution_info *out, durable_server *s, const char *arn)
{
    get_execution_args a = {out, arn};
    return durable_server_call(s, get_execution_run, &a);
}

/* ---- list_executions */
typedef struct {
    durable_list_response *out;
    const durable_list_request *req;
} list_executions_args;

static int list_executions_run(durable_engine *e, void *p)
{
    list_executions_args *a = p;
    return durable_engine_list_executions(a->out, e, a->req);
}

int durable_server_list_executions(durable_list_response *out, durable_server *s,
                                   const durable_list_request *req)
{
    list_executions_args a = {out, req};
    return durable_server_call(s, list_executions_run, &a);
}

/* ---- get_history */
typedef struct {
    durable_history_response *out;
    const durable_history_request *req;
} get_history_args;

static int get_history_run(durable_engine *e, void *p)
{
    get_history_args *a = p;
    return durable_engine_get_history(a->out, e, a->req);
}

int durable_server_get_history(durable_history_response *out, durable_server *s,
                               const durable_history_request *req)
{
    get_history_args a = {out, req};
    return durable_server_call(s, get_history_run, &a);
}

/* ---- get_operation */
typedef struct {
    durable_operation *out;
    const char *arn;
    const char *op_id;
} get_operation_args;

static int get_operation_run(durable_engine *e, void *p)
{
    get_operation_args *a = p;
    return durable_engine_get_operation(a->out, e, a->arn, a->op_id);
}

int durable_server_get_operation(durable_operation *out, durable_server *s, const char *arn,
                                 const char *op_id)
{
    get_operation_args a = {out, arn, op_id};
    return durable_server_call(s, get_operation_run, &a);
}

/* ---- list_operations */
typedef struct {
    durable_operation_list *out;
    const char *arn;
} list_operations_args;

static int list_operations_run(durable_engine *e, void *p)
{
    list_operations_args *a = p;
    return durable_engine_list_operations(a->out, e, a->arn);
}

int durable_server_list_operations(durable_operation_list *out, durable_server *s, const char *arn)
{
    list_operations_args a = {out, arn};
    return durable_server_call(s, list_operations_run, &a);
}

/* ---- list_invocations */
typedef struct {
    durable_invocation_info_list *out;
    const char *arn;
} list_invocations_args;

static int list_invocations_run(durable_engine *e, void *p)
{
    list_invocations_args *a = p;
    return durable_engine_list_invocations(a->out, e, a->arn);
}

int durable_server_list_invocations(durable_invocation_info_list *out, durable_server *s,
                                    const char *arn)
{
    list_invocations_args a = {out, arn};
    return durable_server_call(s, list_invocations_run, &a);
}

/* ---- list_callbacks */
typedef struct {
    durable_callback_info_list *out;
    const char *arn;
} list_callbacks_args;

static int list_callbacks_run(durable_engine *e, void *p)
{
    list_callbacks_args *a = p;
    return durable_engine_list_callbacks(a->out, e, a->arn);
}

int durable_server_list_callbacks(durable_callback_info_list *out, durable_server *s,
                                  const char *arn)
{
    list_callbacks_args a = {out, arn};
    return durable_server_call(s, list_callbacks_run, &a);
}

/* ---- list_inflight */
typedef struct {
    durable_inflight_list *out;
    const char *function_name;
} list_inflight_args;

static int list_inflight_run(durable_engine *e, void *p)
{
    list_inflight_args *a = p;
    return durable_engine_list_inflight(a->out, e, a->function_name);
}

int durable_server_list_inflight(durable_inflight_list *out, durable_server *s,
                                 const char *function_name)
{
    list_inflight_args a = {out, function_name};
    return durable_server_call(s, list_inflight_run, &a);
}

/* ---- checkpoint: the reply is held back by the checkpoint delay */
typedef struct {
    durable_checkpoint_response *out;
    const durable_checkpoint_request *req;
} checkpoint_args;

static int checkpoint_run(durable_engine *e, void *p)
{
    checkpoint_args *a = p;
    return durable_engine_checkpoint(a->out, e, a->req);
}

static void checkpoint_undo(void *p)
{
    checkpoint_args *a = p;
    if (a->out)
        durable_checkpoint_response_clear(a->out);
}

int durable_server_checkpoint(durable_checkpoint_response *out, durable_server *s,
                              const durable_checkpoint_request *req)
{
    checkpoint_args a = {out, req};
    int rc = durable__server_call_write(s, checkpoint_run, &a, checkpoint_undo);
    if (s && rc != DURABLE_ESERVER)
        durable__server_checkpoint_delay(s);
    return rc;
}

/* ---- now: the clock is the engine's, read on its thread */
static int now_run(durable_engine *e, void *p)
{
    *(int64_t *)p = durable_engine_now(e);
    return 0;
}

int durable_server_now(int64_t *out, durable_server *s)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_server_now: out is NULL");
    return durable_server_call(s, now_run, out);
}
