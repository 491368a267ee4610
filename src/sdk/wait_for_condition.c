/* waitForCondition (SPEC §10.11): a STEP "WaitForCondition" where each poll
 * is one attempt. The state travels in the step's Payload: RETRY carries
 * the new state (and no Error) with the strategy's delay, SUCCEED the final
 * state. A failing check fails at once (no retries); a builder strategy
 * that would continue past its maximum fails with WaitForConditionError. */
#include <string.h>

#include "sdk/context_internal.h"

typedef struct wfcond_call {
    durable_ctx *ctx;
    const durable__opref *ref;
    const char *name;
    const durable_operation *desc;
    durable_check_fn check;
    void *user;
    const durable_wait_for_condition_options *opts;
    const cJSON **out;
} wfcond_call;

static void cond_update(durable_operation_update *u, const wfcond_call *c, durable_op_action a)
{
    durable__op_update(u, c->ref, DURABLE_OP_STEP, c->name, DURABLE__ST_WAIT_FOR_CONDITION, a);
}

/* FAIL with err and record it on the context under kind. */
static int fail_with(const wfcond_call *c, const char *kind, const durable_error_object *err)
{
    durable_operation_update u;
    cond_update(&u, c, DURABLE_ACTION_FAIL);
    u.error = (durable_error_object *)err;
    int rc = durable__checkpoint(c->ctx->ex, &u, false);
    if (rc)
        return rc;
    return durable__ctx_op_failed(c->ctx, kind, err, "waitForCondition %s failed", c->ref->id);
}

/* One poll: check(state), then ask the strategy. */
static int poll_once(const wfcond_call *c, int attempt, const cJSON *state, bool send_start)
{
    durable__exec *ex = c->ctx->ex;
    if (send_start) {
        durable_operation_update u;
        cond_update(&u, c, DURABLE_ACTION_START);
        int rc = durable__checkpoint(ex, &u, false);
        if (rc)
            return rc;
    }
    durable_step_ctx sctx = {c->ctx, c->ref->id, attempt, NULL};
    durable__attempt a;
    durable__plugins_attempt_start(ex, &a, c->desc, attempt);
    cJSON *new_state = NULL;
    durable_error_clear();
    int brc = c->check(&sctx, &new_state, state, c->user);
    durable__plugins_attempt_returned(ex, &a);
    if (brc != 0) {
        cJSON_Delete(new_state);
        durable_error_object *err = NULL;
        int rc = durable__step_body_error(&err, &sctx, brc);
        durable_error_object_free(sctx.err);
        if (rc)
            return rc;
        durable__plugins_attempt_end(ex, &a, DURABLE_ATTEMPT_FAILED, err, 0);
        rc = fail_with(c, DURABLE_KIND_STEP, err);
        durable_error_object_free(err);
        return rc;
    }
    durable_error_object_free(sctx.err);
    /* The strategy sees the state as replay would (after the serdes). */
    const cJSON *kept = NULL;
    char *text = NULL;
    int rc = durable__roundtrip(&kept, &text, c->ctx, c->opts->serdes, c->ref->id, new_state);
    if (rc)
        return rc;
    durable_wait_decision d = {false, 0};
    durable_error_clear();
    int drc = durable_wait_strategy_decide(&d, c->opts->strategy, kept, attempt);
    if (drc != 0) {
        const char *msg = durable_error_last()->message;
        durable_error_object err = {(char *)DURABLE_KIND_WAIT_FOR_CONDITION,
                                    (char *)(msg && *msg ? msg : durable_strerror(drc)), NULL,
                                    NULL, 0};
        durable__plugins_attempt_end(ex, &a, DURABLE_ATTEMPT_FAILED, &err, 0);
        rc = fail_with(c, DURABLE_KIND_WAIT_FOR_CONDITION, &err);
        durable__free(text);
        return rc;
    }
    durable__plugins_attempt_end(ex, &a,
                                 d.should_continue ? DURABLE_ATTEMPT_WILL_RETRY
                                                   : DURABLE_ATTEMPT_SUCCEEDED,
                                 NULL, d.delay_seconds);
    durable_operation_update u;
    if (d.should_continue) {
        cond_update(&u, c, DURABLE_ACTION_RETRY);
        u.payload = text;
        u.options = DURABLE_OPTIONS_STEP;
        u.next_attempt_delay_seconds = d.delay_seconds;
        rc = durable__checkpoint(ex, &u, true);
        durable__free(text);
        return rc ? rc : durable__ctx_suspend(c->ctx);
    }
    cond_update(&u, c, DURABLE_ACTION_SUCCEED);
    u.payload = text;
    rc = durable__checkpoint(ex, &u, false);
    durable__free(text);
    if (rc == 0 && c->out)
        *c->out = kept;
    return rc;
}

static int replay(const wfcond_call *c, const durable_operation *stored)
{
    durable__exec *ex = c->ctx->ex;
    int ended = stored->attempt > 0 ? (int)stored->attempt : 0;
    switch (stored->status) {
    case DURABLE_OP_SUCCEEDED:
        return c->out ? durable__deserialize(c->out, c->ctx, c->opts->serdes, c->ref->id,
                                             stored->result)
                      : 0;
    case DURABLE_OP_PENDING:
        durable__plugins_op_start(ex, stored, true);
        return durable__ctx_suspend(c->ctx);
    case DURABLE_OP_READY:
    case DURABLE_OP_STARTED: {
        durable__plugins_op_start(ex, stored, true);
        /* The state is the last RETRY payload; none yet = the initial state. */
        const cJSON *state = c->opts->initial_state;
        if (ended > 0 || stored->result) {
            int rc = durable__deserialize(&state, c->ctx, c->opts->serdes, c->ref->id,
                                          stored->result);
            if (rc)
                return rc;
        }
        return poll_once(c, ended + 1, state, stored->status == DURABLE_OP_READY);
    }
    default: {
        const durable_error_object *err = stored->error;
        const char *kind = err && err->error_type &&
                                   strcmp(err->error_type, DURABLE_KIND_WAIT_FOR_CONDITION) == 0
                               ? DURABLE_KIND_WAIT_FOR_CONDITION
                               : DURABLE_KIND_STEP;
        return durable__ctx_op_failed(c->ctx, kind, err, "waitForCondition %s failed",
                                      c->ref->id);
    }
    }
}

int durable_wait_for_condition(durable_ctx *ctx, const cJSON **out, const char *name,
                               durable_check_fn check, void *user,
                               const durable_wait_for_condition_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_wait_for_condition: context is NULL");
    if (!check)
        return durable__ctx_invalid(ctx, "durable_wait_for_condition: check function is NULL");
    if (!opts || !opts->strategy)
        return durable__ctx_invalid(ctx, "durable_wait_for_condition: a wait strategy is "
                                         "required (opts->strategy)");
    durable__op op;
    int rc = durable__op_begin(&op, ctx, DURABLE_OP_STEP, name, DURABLE__ST_WAIT_FOR_CONDITION);
    wfcond_call c = {ctx, &op.ref, name, &op.desc, check, user, opts, out};
    if (rc == 0 && op.found)
        rc = replay(&c, &op.stored);
    else if (rc == 0 && (rc = durable__op_go_live(&op, ctx)) == 0)
        rc = poll_once(&c, 1, opts->initial_state, true);
    durable__op_end(&op);
    return rc;
}
