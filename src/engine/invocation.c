/* The invocation lifecycle (SPEC §8.2–§8.5): start (gate, identity, token,
 * initial state), complete (InvocationCompleted, deferred terminal event,
 * output validation), invocation errors (backoff, failure budget), crashes. */
#include <string.h>

#include "engine/engine_internal.h"

#define PENDING_TEXT "Cannot return PENDING status with no pending operations."

static int insert_invocation(durable_engine *e, const eng_exec *x, const char *inv_id, int64_t pid)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "INSERT INTO invocations (execution_id, invocation_id, seq, start_ms, pid) VALUES "
        "(?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM invocations WHERE execution_id = ?1), "
        "?3, ?4)");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text(st, 2, inv_id);
    durable__db_i64(st, 3, e->now);
    durable__db_i64_or_null(st, 4, pid);
    return durable__db_done(e, st, "insert invocation");
}

static int add_id(durable_invocation_input *in, sqlite3_stmt *st)
{
    char **ids = durable__realloc(in->updated_operation_ids,
                                  (in->updated_operation_id_count + 1) * sizeof *ids);
    if (ids)
        in->updated_operation_ids = ids;
    char *id = durable__col_dup(st, 0);
    if (!ids || !id) {
        durable_free(id);
        return durable__error_oom();
    }
    ids[in->updated_operation_id_count++] = id;
    return 0;
}

/* UpdatedOperationIds: the undelivered set, in start order; then delivered.
 * The rows are updated once the SELECT over them is done, by the ids it
 * added. */
static int take_undelivered(durable_engine *e, const eng_exec *x, durable_invocation_input *in)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT op_id FROM operations "
                                 "INDEXED BY operations_undelivered WHERE execution_id = ?1 AND "
                                 "undelivered = 1 ORDER BY start_seq");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    size_t first = in->updated_operation_id_count;
    while ((rc = durable__db_row(e, st, "load undelivered")) == 1) {
        if ((rc = add_id(in, st)) < 0) {
            durable__db_reset(st);
            break;
        }
    }
    for (size_t i = first; i < in->updated_operation_id_count && rc == 0; i++)
        rc = durable__op_mark_delivered(e, x, in->updated_operation_ids[i]);
    return rc;
}

static int start(durable_engine *e, durable_invocation_input *out, char **out_inv,
                 const char *arn, int64_t pid)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, arn);
    if (rc < 0)
        return rc;
    char inv_id[37];
    int64_t next_after = 0;
    if (x.status != DURABLE_EXEC_RUNNING) {
        rc = durable__eng_fail(e, DURABLE_ECLOSED, "Execution is not running.", "execution %s", arn);
        goto done;
    }
    if (x.inflight) {
        rc = durable__eng_fail(e, DURABLE_EBUSY, "An invocation is already in flight.",
                               "execution %s, invocation %s", arn, x.inflight);
        goto done;
    }
    durable_uuid(inv_id);
    if ((rc = insert_invocation(e, &x, inv_id, pid)) < 0)
        goto done;
    if (!(x.inflight = durable__strdup(inv_id)) || !(*out_inv = durable__strdup(inv_id)) ||
        !(out->durable_execution_arn = durable__strdup(x.arn))) {
        rc = durable__error_oom();
        goto done;
    }
    x.needs_invocation = false;
    x.retry_ms = 0;
    x.inv_deadline_ms = e->opts.invocation_timeout_seconds
                            ? e->now + e->opts.invocation_timeout_seconds * 1000
                            : 0;
    if ((rc = durable__token_mint(&out->checkpoint_token, e, &x)) < 0 ||
        (rc = durable__state_page(e, &x, 0, e->opts.initial_state_max_items,
                                  DURABLE__PAGE_BYTE_CAP, &out->operations, &next_after)) < 0)
        goto done;
    if (next_after)
        rc = durable__marker_encode(&out->next_marker, "seq", x.token_seq, "after", next_after);
    else if (!(out->next_marker = durable__strdup("")))
        rc = durable__error_oom();
    if (rc < 0 || (rc = take_undelivered(e, &x, out)) < 0)
        goto done;
    x.delivered_seq = x.change_seq; /* the whole initial state counts as delivered */
    rc = durable__exec_save(e, &x);
done:
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_start_invocation(durable_invocation_input *out, char **out_invocation_id,
                                    durable_engine *e, const char *arn, int64_t pid)
{
    if (!out || !out_invocation_id || !e)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_start_invocation: out, "
                                                  "out_invocation_id and engine are required");
    memset(out, 0, sizeof *out);
    *out_invocation_id = NULL;
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, start(e, out, out_invocation_id, arn, pid));
    if (rc < 0) {
        durable_invocation_input_clear(out);
        durable_free(*out_invocation_id);
        *out_invocation_id = NULL;
    }
    return rc;
}

/* ---- completion ---- */

/* 1 = the invocation is open and in flight; 0 = the engine closed it (stop,
 * timeout): its output is ignored. */
static int check_invocation(durable_engine *e, eng_exec *x, const char *inv_id)
{
    if (!inv_id || !*inv_id)
        return durable__eng_fail(e, DURABLE_EINVAL, "Invocation id is required.", "execution %s",
                                 x->arn);
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT end_ms IS NOT NULL, outcome = 'STOPPED' OR (outcome = "
                                 "'ERROR' AND json_extract(error, '$.ErrorType') = "
                                 "'Sandbox.Timedout'), start_ms FROM invocations "
                                 "WHERE execution_id = ?1 AND invocation_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text(st, 2, inv_id);
    if ((rc = durable__db_row(e, st, "load invocation")) < 0)
        return rc;
    if (rc == 0)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Invocation not found.",
                                 "invocation %s of %s", inv_id, x->arn);
    bool ended = durable__col_i64(st, 0) != 0;
    /* Closed by the engine (stop, execution timeout, invocation timeout):
     * the abandoned handler's output is ignored (§8.3 step 1, §8.4). */
    bool abandoned = durable__col_i64(st, 1) != 0;
    int64_t start_ms = durable__col_i64(st, 2);
    durable__db_reset(st);
    if (ended && abandoned)
        return 0;
    if (ended || !x->inflight || strcmp(x->inflight, inv_id) != 0)
        return durable__eng_fail(e, DURABLE_ESTATE, "Invocation already completed.",
                                 "invocation %s of %s", inv_id, x->arn);
    x->inflight_start_ms = start_ms; /* open and in flight: closing it reads it no more */
    return 1;
}

static int has_pending_operation(durable_engine *e, const eng_exec *x)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(
        e, &st,
        "SELECT EXISTS (SELECT 1 FROM operations INDEXED BY operations_pending "
        "WHERE execution_id = ?1 AND ((type = 'STEP' AND status = 'PENDING') "
        "OR ((type = 'WAIT' OR type = 'CALLBACK' OR type = 'CHAINED_INVOKE') "
        "AND status = 'STARTED')))");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    if ((rc = durable__db_row(e, st, "find pending operations")) <= 0)
        return rc;
    rc = durable__col_i64(st, 0) != 0;
    durable__db_reset(st);
    return rc;
}

static int close_invalid(durable_engine *e, eng_exec *x, const char *message)
{
    durable_error_object *err = NULL;
    int rc = durable_error_object_new(&err, "InvalidInvocationOutput", message, NULL);
    if (rc == 0)
        rc = durable__exec_close(e, x, DURABLE_EXEC_FAILED, NULL, err, false);
    durable_error_object_free(err);
    return rc;
}

/* §8.3 step 4: the output decides what happens to the execution. */
static int apply_output(durable_engine *e, eng_exec *x, const durable_invocation_output *o)
{
    switch (o ? o->status : DURABLE_INVOCATION_STATUS_NONE) {
    case DURABLE_INVOCATION_SUCCEEDED:
        if (o->error)
            return close_invalid(e, x, "Cannot return an Error with SUCCEEDED status.");
        if (o->result && strlen(o->result) > DURABLE_MAX_PAYLOAD_BYTES)
            return close_invalid(e, x, "Result size must be less than or equal to 6291456 bytes.");
        if (o->result && !durable__utf8_valid(o->result, strlen(o->result)))
            return close_invalid(e, x, "Result must be valid UTF-8.");
        x->failed_invocations = 0;
        return durable__exec_close(e, x, DURABLE_EXEC_SUCCEEDED, o->result, NULL, false);
    case DURABLE_INVOCATION_FAILED:
        if (o->result)
            return close_invalid(e, x, "Cannot return a Result with FAILED status.");
        if (!o->error)
            return close_invalid(e, x, "Cannot return FAILED status without an Error.");
        if (!durable__error_utf8_valid(o->error))
            return close_invalid(e, x, DURABLE__ERROR_UTF8_TEXT);
        x->failed_invocations = 0;
        return durable__exec_close(e, x, DURABLE_EXEC_FAILED, NULL, o->error, false);
    case DURABLE_INVOCATION_PENDING: {
        int pending = x->needs_invocation ? 1 : has_pending_operation(e, x);
        if (pending < 0)
            return pending;
        if (!pending)
            return close_invalid(e, x, PENDING_TEXT);
        x->failed_invocations = 0; /* gate released; needs_invocation says if a trigger came */
        return 0;
    }
    default:
        return close_invalid(e, x, "Invalid invocation output status.");
    }
}

static void fill_outcome(durable_invocation_outcome *out, const eng_exec *x, bool ignored)
{
    if (!out)
        return;
    out->ignored = ignored;
    out->status = x->status;
    out->needs_invocation = x->status == DURABLE_EXEC_RUNNING && !x->inflight && x->needs_invocation;
    out->retry_at_ms = x->retry_ms;
}

static const char *outcome_name(const durable_invocation_output *o)
{
    switch (o ? o->status : DURABLE_INVOCATION_STATUS_NONE) {
    case DURABLE_INVOCATION_SUCCEEDED:
        return "SUCCEEDED";
    case DURABLE_INVOCATION_PENDING:
        return "PENDING";
    default:
        return "FAILED";
    }
}

int durable__invocation_end(durable_engine *e, eng_exec *x, const durable_invocation_output *output,
                            const durable_error_object *inv_error)
{
    int rc = durable__invocation_close(e, x, inv_error ? "ERROR" : outcome_name(output), inv_error);
    if (rc < 0)
        return rc;
    if (x->terminal_pending) {
        /* §8.3 step 3: an EXECUTION checkpoint closed it; the output is ignored. */
        x->failed_invocations = 0;
        return durable__exec_flush_terminal(e, x);
    }
    if (!inv_error)
        return apply_output(e, x, output);
    /* §8.4: backoff and re-invoke, or close after the failure budget. */
    x->failed_invocations++;
    x->needs_invocation = false;
    if (x->failed_invocations >= e->opts.max_invocation_failures)
        return durable__exec_close(e, x, DURABLE_EXEC_FAILED, NULL, inv_error, false);
    if (e->opts.invocation_retry_backoff_ms > 0)
        x->retry_ms = e->now + e->opts.invocation_retry_backoff_ms;
    else
        x->needs_invocation = true;
    return 0;
}

static int complete(durable_engine *e, durable_invocation_outcome *out, const char *arn,
                    const char *inv_id, const durable_invocation_output *output,
                    const durable_error_object *inv_error)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, arn);
    if (rc < 0)
        return rc;
    if ((rc = check_invocation(e, &x, inv_id)) <= 0) {
        if (rc == 0)
            fill_outcome(out, &x, true);
        goto done;
    }
    /* An invocation error is refused rather than stored unreadable. */
    if (!durable__error_utf8_valid(inv_error)) {
        rc = durable__eng_fail(e, DURABLE_EINVAL, DURABLE__ERROR_UTF8_TEXT, "invocation %s of %s",
                               inv_id, arn);
        goto done;
    }
    rc = durable__invocation_end(e, &x, output, inv_error);
    if (rc == 0)
        rc = durable__exec_save(e, &x);
    if (rc == 0)
        fill_outcome(out, &x, false);
done:
    durable__exec_clear(&x);
    return rc;
}

static int run_complete(durable_invocation_outcome *out, durable_engine *e, const char *arn,
                        const char *inv_id, const durable_invocation_output *output,
                        const durable_error_object *inv_error)
{
    if (!e)
        return durable__error_set(DURABLE_EINVAL, "engine is required");
    if (out)
        memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    return durable__eng_end(e, complete(e, out, arn, inv_id, output, inv_error));
}

int durable_engine_complete_invocation(durable_invocation_outcome *out, durable_engine *e,
                                       const char *arn, const char *invocation_id,
                                       const durable_invocation_output *output)
{
    return run_complete(out, e, arn, invocation_id, output, NULL);
}

int durable_engine_fail_invocation(durable_invocation_outcome *out, durable_engine *e,
                                   const char *arn, const char *invocation_id,
                                   const durable_error_object *invocation_error)
{
    durable_error_object *empty = NULL;
    if (!invocation_error) {
        int rc = durable_error_object_new(&empty, NULL, NULL, NULL);
        if (rc < 0)
            return rc;
    }
    int rc = run_complete(out, e, arn, invocation_id, NULL,
                          invocation_error ? invocation_error : empty);
    durable_error_object_free(empty);
    return rc;
}

int durable_engine_crash_invocation(durable_invocation_outcome *out, durable_engine *e,
                                    const char *arn, const char *invocation_id,
                                    const char *exit_status)
{
    char *msg = durable__sprintf("RequestId: %s Error: Runtime exited with error: %s",
                                 invocation_id ? invocation_id : "",
                                 exit_status ? exit_status : "exit status 1");
    durable_error_object *err = NULL;
    int rc = msg ? durable_error_object_new(&err, "Runtime.ExitError", msg, NULL)
                 : durable__error_oom();
    durable_free(msg);
    if (rc < 0)
        return rc;
    rc = durable_engine_fail_invocation(out, e, arn, invocation_id, err);
    durable_error_object_free(err);
    return rc;
}
