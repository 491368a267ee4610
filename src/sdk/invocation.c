/* The invocation entry point (SPEC §10.1, §10.3, §10.14): check the input,
 * load every state page, run the handler on the root context, drain the
 * checkpoint queue and decide the output (or the invocation error). */
#include <string.h>

#include "sdk/batcher.h"
#include "sdk/context_internal.h"
#include "sdk/invocation.h"

static int invocation_error(durable_invocation_output *out, const char *type, const char *message)
{
    durable_error_object_free(out->error);
    out->error = NULL;
    durable__free(out->result);
    out->result = NULL;
    out->status = DURABLE_INVOCATION_STATUS_NONE;
    if (durable_error_object_new(&out->error, type, message, NULL) != 0)
        return DURABLE_ENOMEM;
    durable__error_set(DURABLE_EINVOCATION, "invocation error: %s: %s", type,
                       message ? message : "");
    return DURABLE_EINVOCATION;
}

static int set_failed(durable_invocation_output *out, const durable_error_object *e)
{
    out->status = DURABLE_INVOCATION_FAILED;
    durable_error_object *copy = NULL;
    int rc = e ? durable_error_object_new(&copy, e->error_type, e->error_message, e->error_data)
               : durable_error_object_new(&copy, "Error", NULL, NULL);
    if (rc)
        return rc;
    if (durable_error_object_json_size(copy) > DURABLE_MAX_ERROR_BYTES)
        durable_error_object_truncate(copy, DURABLE_MAX_ERROR_BYTES);
    out->error = copy;
    return 0;
}

/* Checkpoint failures that mean "retry the invocation" rather than "the
 * service rejected this execution's request" (SPEC §10.13). */
static bool is_invocation_failure(int code)
{
    switch (code) {
    case DURABLE_EINVAL:
    case DURABLE_ENOTFOUND:
    case DURABLE_EPARSE:
    case DURABLE_EMARKER:
        return false;
    default:
        return true;
    }
}

/* Move the first page into the table: an in-process caller's input is
 * only built for this call, so copying it again would double the work of a
 * replay. The handler has not started, but the lock keeps the rule that
 * the table is only touched under it. */
static int take_first_page(durable__exec *ex, durable_operation_list *ops)
{
    pthread_mutex_lock(&ex->mu);
    int rc = durable__optable_reserve(&ex->ops, ex->ops.count + ops->count);
    size_t taken = 0;
    while (rc == 0 && taken < ops->count &&
           (rc = durable__optable_take(&ex->ops, &ops->items[taken])) == 0)
        taken++;
    ex->merge_seq++;
    pthread_mutex_unlock(&ex->mu);
    /* The taken operations are empty shells: clear only what is left. */
    for (size_t i = taken; i < ops->count; i++)
        durable_operation_clear(&ops->items[i]);
    ops->count = 0;
    durable_operation_list_clear(ops);
    return rc;
}

/* The first page (taken from `take` when not NULL), then every state page
 * after it (MaxItems 1000). */
static int load_state(durable__exec *ex, const durable_invocation_input *in,
                      durable_operation_list *take)
{
    if (take) {
        int rc = take_first_page(ex, take);
        if (rc)
            return rc;
    } else {
        durable__exec_merge(ex, &in->operations, false);
    }
    char *marker = durable__strdup(in->next_marker);
    if (in->next_marker && !marker)
        return durable__error_oom();
    int rc = 0;
    while (rc == 0 && marker && *marker) {
        durable_state_request req;
        memset(&req, 0, sizeof(req));
        req.durable_execution_arn = in->durable_execution_arn;
        req.checkpoint_token = in->checkpoint_token;
        req.marker = marker;
        req.max_items = DURABLE__STATE_PAGE_ITEMS;
        durable_state_response resp;
        memset(&resp, 0, sizeof(resp));
        rc = durable_client_get_state(ex->client, &resp, &req);
        if (rc == 0 && resp.operations.count == 0 && resp.next_marker && *resp.next_marker)
            rc = durable__error_set(DURABLE_EPARSE,
                                    "GetDurableExecutionState returned an empty page with a "
                                    "NextMarker");
        if (rc == 0) {
            durable__exec_merge_take(ex, &resp.operations, false);
            durable__free(marker);
            marker = resp.next_marker;
            resp.next_marker = NULL;
        }
        durable_state_response_clear(&resp);
    }
    durable__free(marker);
    return rc;
}

static const char *arn_last_segment(const char *arn)
{
    const char *slash = strrchr(arn, '/');
    return slash ? slash + 1 : arn;
}

/* Find the EXECUTION operation and remember what the SDK needs of it. */
static int find_execution(durable__exec *ex, const char **input_payload,
                          durable_operation *exec_op)
{
    const char *want = arn_last_segment(ex->arn);
    bool found = durable__exec_get_op(ex, want, exec_op) && exec_op->type == DURABLE_OP_EXECUTION;
    if (!found) {
        durable_operation_clear(exec_op);
        durable_operation_init(exec_op);
        pthread_mutex_lock(&ex->mu);
        for (size_t i = 0; i < ex->ops.count && !found; i++)
            if (ex->ops.items[i].type == DURABLE_OP_EXECUTION)
                found = durable_operation_copy(exec_op, &ex->ops.items[i]) == 0;
        pthread_mutex_unlock(&ex->mu);
    }
    if (!found)
        return durable__error_set(DURABLE_EPARSE,
                                  "InitialExecutionState has no EXECUTION operation");
    ex->exec_op_id = durable__strdup(exec_op->id);
    if (!ex->exec_op_id)
        return durable__error_oom();
    ex->exec_start_ts = exec_op->start_timestamp;
    *input_payload = exec_op->input_payload;
    return 0;
}

static int copy_updated(durable__exec *ex, const durable_invocation_input *in)
{
    if (!in->updated_operation_ids || in->updated_operation_id_count == 0)
        return 0;
    ex->updated_ids = durable__calloc(in->updated_operation_id_count, sizeof(char *));
    if (!ex->updated_ids)
        return durable__error_oom();
    /* Room for the invocation hooks' views now, so a hook never meets an
     * allocation failure. */
    if (durable__plugins_enabled(ex) &&
        !(ex->updated_views =
              durable__calloc(in->updated_operation_id_count, sizeof(durable_operation))))
        return durable__error_oom();
    for (size_t i = 0; i < in->updated_operation_id_count; i++) {
        const char *id = in->updated_operation_ids[i];
        if (!id)
            continue;
        if (!(ex->updated_ids[ex->updated_count] = durable__strdup(id)) ||
            durable__strset_add(&ex->updated, id) < 0)
            return durable__error_oom();
        ex->updated_count++;
    }
    return 0;
}

static void invocation_info(durable_invocation_info *i, durable__exec *ex)
{
    memset(i, 0, sizeof(*i));
    i->execution_arn = ex->arn;
    i->request_id = ex->request_id;
    i->is_first_invocation = ex->first_invocation;
    i->operation_count = durable__exec_op_count(ex);
    i->updated_operation_count = ex->updated_count;
    i->updated_operation_ids = (const char *const *)ex->updated_ids;
    i->execution_start_timestamp = ex->exec_start_ts;
}

/* Operations the service completed since the last invocation are reported
 * ended now (SPEC-independent plugin contract, see context.h). */
static void report_updated_endings(durable__exec *ex)
{
    for (size_t i = 0; i < ex->updated_count; i++) {
        durable_operation op;
        durable_operation_init(&op);
        if (durable__exec_get_op(ex, ex->updated_ids[i], &op) &&
            durable_op_status_is_terminal(op.status))
            durable__plugins_op_end(ex, &op);
        durable_operation_clear(&op);
    }
}

/* The handler returned 0: SUCCEEDED, or the large-result path. */
static int succeed(durable_invocation_output *out, durable__exec *ex, durable_ctx *root,
                   cJSON *result)
{
    char *text = NULL;
    int rc = durable__serialize(&text, root, NULL, ex->exec_op_id, result);
    if (rc)
        return rc;
    if (strlen(text) > DURABLE__LARGE_RESULT_MAX) {
        durable_operation_update u;
        durable_operation_update_init(&u);
        u.id = ex->exec_op_id;
        u.type = DURABLE_OP_EXECUTION;
        u.action = DURABLE_ACTION_SUCCEED;
        u.payload = text;
        rc = durable__checkpoint(ex, &u, true);
        durable__free(text);
        if (rc)
            return rc;
        text = durable__strdup("");
        if (!text)
            return durable__error_oom();
    }
    out->status = DURABLE_INVOCATION_SUCCEEDED;
    out->result = text;
    return 0;
}

/* Decide the output after the handler returned hrc (queue drained). */
static int finish(durable_invocation_output *out, durable__exec *ex, durable_ctx *root, int hrc,
                  cJSON *result)
{
    int rc = 0;
    int cp = durable__batcher_flush(ex->batcher);
    if (cp == 0) {
        int fatal = atomic_load(&ex->fatal_code);
        if (fatal) {
            cJSON_Delete(result);
            return set_failed(out, ex->fatal_error);
        }
        if (durable__scope_committed(&ex->root_scope) || hrc == DURABLE_PENDING) {
            cJSON_Delete(result);
            out->status = DURABLE_INVOCATION_PENDING;
            return 0;
        }
        if (hrc == 0) {
            rc = succeed(out, ex, root, result);
            cJSON_Delete(result);
            if (rc == 0)
                return 0;
            if (atomic_load(&ex->fatal_code))
                return set_failed(out, ex->fatal_error);
            cp = durable__batcher_status(ex->batcher);
            if (cp == 0)
                cp = rc;
        } else {
            cJSON_Delete(result);
            durable_error_object *err = NULL;
            rc = durable__ctx_escape_error(&err, root, hrc);
            if (rc == 0)
                rc = set_failed(out, err);
            durable_error_object_free(err);
            return rc;
        }
    } else {
        cJSON_Delete(result);
    }
    const char *msg = durable__batcher_errmsg(ex->batcher);
    if (!msg || !*msg)
        msg = durable_strerror(cp);
    if (is_invocation_failure(cp))
        return invocation_error(out, DURABLE_INVOCATION_ERROR_TOKEN, msg);
    durable_error_object e = {(char *)DURABLE_CHECKPOINT_REJECTED, (char *)msg, NULL, NULL, 0};
    return set_failed(out, &e);
}

static int start(durable__exec *ex, const durable_invocation_input *in,
                 durable_operation_list *take, const durable_invocation_options *o,
                 durable__ckpt_worker *worker, cJSON **input_json,
                 durable_invocation_output *out)
{
    int rc = load_state(ex, in, take);
    if (rc)
        return invocation_error(out, DURABLE_INVOCATION_ERROR_INPUT,
                                durable_error_last()->message);
    durable_operation exec_op;
    durable_operation_init(&exec_op);
    const char *payload = NULL;
    if ((rc = find_execution(ex, &payload, &exec_op)) != 0 || (rc = copy_updated(ex, in)) != 0) {
        durable_operation_clear(&exec_op);
        return invocation_error(out, DURABLE_INVOCATION_ERROR_INPUT,
                                durable_error_last()->message);
    }
    ex->initial_op_count = durable__exec_op_count(ex);
    ex->first_invocation = ex->initial_op_count <= 1;
    if (payload)
        rc = durable_json_parse(input_json, payload, strlen(payload));
    else if (!(*input_json = cJSON_CreateNull()))
        rc = durable__error_oom();
    durable_operation_clear(&exec_op);
    if (rc) {
        /* Retrying cannot fix an input that is not JSON: fail the execution. */
        durable__exec_fatal(ex, DURABLE_ESERDES, DURABLE_KIND_SERDES,
                            "the execution input is not valid JSON: %s",
                            durable_error_last()->message);
        return set_failed(out, ex->fatal_error) ? DURABLE_ENOMEM : 1;
    }
    durable__batcher_options bo = DURABLE__BATCHER_OPTIONS_INIT;
    bo.max_bytes = o->checkpoint.max_bytes;
    bo.max_updates = o->checkpoint.max_updates;
    bo.max_delay_ms = o->checkpoint.max_delay_ms;
    bo.throttle_retries = o->checkpoint.throttle_retries;
    bo.backoff_initial_ms = o->checkpoint.backoff_initial_ms;
    bo.backoff_max_ms = o->checkpoint.backoff_max_ms;
    rc = durable__batcher_new(&ex->batcher, ex->client, ex->arn, in->checkpoint_token, &bo,
                              durable__exec_merge_cb, ex);
    if (rc)
        return invocation_error(out, DURABLE_INVOCATION_ERROR_INTERNAL,
                                durable_error_last()->message);
    durable__batcher_set_parent_lookup(ex->batcher, durable__exec_parent_cb, ex);
    durable__batcher_set_worker(ex->batcher, worker);
    return 0;
}

static int handle(durable_invocation_output *out, durable_client *client,
                  const durable_invocation_input *input, durable_operation_list *take,
                  durable_handler_fn handler, void *user, const durable_invocation_options *opts,
                  durable__ckpt_worker *worker)
{
    if (!out || !client || !input || !handler)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_handle_invocation: out, client, input and handler "
                                  "are required");
    durable_invocation_options def = DURABLE_INVOCATION_OPTIONS_INIT;
    const durable_invocation_options *o = opts ? opts : &def;
    if (!input->durable_execution_arn || !*input->durable_execution_arn ||
        !input->checkpoint_token || !*input->checkpoint_token)
        return invocation_error(out, DURABLE_INVOCATION_ERROR_INPUT,
                                DURABLE_UNEXPECTED_PAYLOAD_MESSAGE);
    durable__exec *ex = NULL;
    int rc = durable__exec_new(&ex, client, input->durable_execution_arn, o->request_id, o);
    if (rc)
        return invocation_error(out, DURABLE_INVOCATION_ERROR_INTERNAL,
                                durable_error_last()->message);
    cJSON *input_json = NULL;
    rc = start(ex, input, take, o, worker, &input_json, out);
    if (rc == 0) {
        durable_ctx *root = NULL;
        durable_invocation_info info;
        invocation_info(&info, ex);
        durable__plugins_invocation(ex, false, &info);
        report_updated_endings(ex);
        rc = durable__ctx_new_root(&root, ex);
        if (rc) {
            rc = invocation_error(out, DURABLE_INVOCATION_ERROR_INTERNAL,
                                  durable_error_last()->message);
        } else {
            cJSON *result = NULL;
            int hrc = handler(root, input_json, &result, user);
            rc = finish(out, ex, root, hrc, result);
        }
        invocation_info(&info, ex);
        info.status = out->status;
        info.error = out->status == DURABLE_INVOCATION_PENDING ||
                             out->status == DURABLE_INVOCATION_SUCCEEDED
                         ? NULL
                         : out->error;
        durable__plugins_invocation(ex, true, &info);
    } else if (rc == 1) {
        rc = 0; /* decided before the handler ran (FAILED output) */
    }
    cJSON_Delete(input_json);
    durable__exec_free(ex);
    return rc;
}

int durable_handle_invocation(durable_invocation_output *out, durable_client *client,
                              const durable_invocation_input *input, durable_handler_fn handler,
                              void *user, const durable_invocation_options *opts)
{
    return handle(out, client, input, NULL, handler, user, opts, NULL);
}

int durable__handle_invocation_take(durable_invocation_output *out, durable_client *client,
                                    durable_invocation_input *input, durable_handler_fn handler,
                                    void *user, const durable_invocation_options *opts,
                                    durable__ckpt_worker *worker)
{
    return handle(out, client, input, input ? &input->operations : NULL, handler, user, opts,
                  worker);
}
