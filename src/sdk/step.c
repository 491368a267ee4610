/* step (SPEC §10.4): run a body durably, replay its recorded outcome, retry
 * failed attempts by suspending with a RETRY checkpoint, and detect
 * interrupted at-most-once attempts. */
#include <string.h>

#include "sdk/context_internal.h"

/* ---- the step context ------------------------------------------------------------ */

int durable_step_fail(durable_step_ctx *sctx, const char *type, const char *message,
                      const char *data)
{
    if (!sctx)
        return durable__error_set(DURABLE_EINVAL, "durable_step_fail: step context is NULL");
    durable_error_object *e = NULL;
    if (durable_error_object_new(&e, type, message, data) != 0)
        return DURABLE_ENOMEM;
    durable_error_object_free(sctx->err);
    sctx->err = e;
    durable__error_set(DURABLE_EFAILED, "step %s attempt %d failed: %s: %s", sctx->op_id,
                       sctx->attempt, type ? type : "Error", message ? message : "");
    return DURABLE_EFAILED;
}

int durable_step_attempt(const durable_step_ctx *sctx)
{
    return sctx ? sctx->attempt : 0;
}

const char *durable_step_operation_id(const durable_step_ctx *sctx)
{
    return sctx ? sctx->op_id : NULL;
}

void durable_step_log(durable_step_ctx *sctx, durable_log_level level, const char *fmt, ...)
{
    if (!sctx)
        return;
    va_list ap;
    va_start(ap, fmt);
    durable__logger_emitv(&sctx->ctx->ex->logger, level, sctx->op_id, sctx->attempt, NULL, fmt,
                          ap);
    va_end(ap);
}

int durable__step_body_error(durable_error_object **out, durable_step_ctx *sctx, int rc)
{
    int r;
    if (sctx->err) {
        r = durable_error_object_new(out, sctx->err->error_type, sctx->err->error_message,
                                     sctx->err->error_data);
    } else {
        const char *msg = durable_error_last()->message;
        r = durable_error_object_new(out, "Error", msg && *msg ? msg : durable_strerror(rc), NULL);
    }
    if (r == 0 && durable_error_object_json_size(*out) > DURABLE_MAX_ERROR_BYTES)
        durable_error_object_truncate(*out, DURABLE_MAX_ERROR_BYTES);
    return r;
}

/* ---- updates ------------------------------------------------------------------------ */

static void step_update(durable_operation_update *u, const durable__opref *ref, const char *name,
                        durable_op_action action)
{
    durable__op_update(u, ref, DURABLE_OP_STEP, name, DURABLE__ST_STEP, action);
}

typedef struct step_call {
    durable_ctx *ctx;
    const durable__opref *ref;
    const char *name;
    const durable_operation *desc;
    durable_step_fn fn;
    void *user;
    const durable_step_options *opts;
    const cJSON **out;
} step_call;

/* A failed attempt, given the strategy's decision d for it: RETRY
 * (synchronously, then suspend) or FAIL with the original error. */
static int attempt_failed(const step_call *c, int attempt, const durable_error_object *err,
                          const durable_retry_decision *d)
{
    durable_operation_update u;
    step_update(&u, c->ref, c->name, d->should_retry ? DURABLE_ACTION_RETRY : DURABLE_ACTION_FAIL);
    u.error = (durable_error_object *)err;
    if (d->should_retry) {
        u.options = DURABLE_OPTIONS_STEP;
        u.next_attempt_delay_seconds = d->delay_seconds;
        int rc = durable__checkpoint(c->ctx->ex, &u, true);
        return rc ? rc : durable__ctx_suspend(c->ctx);
    }
    int rc = durable__checkpoint(c->ctx->ex, &u, false);
    if (rc)
        return rc;
    return durable__ctx_op_failed(c->ctx, DURABLE_KIND_STEP, err,
                                  "step %s failed after %d attempt(s)", c->ref->id, attempt);
}

/* Run one attempt of the body (after START when send_start). */
static int run_attempt(const step_call *c, int attempt, bool send_start)
{
    durable__exec *ex = c->ctx->ex;
    if (send_start) {
        durable_operation_update u;
        step_update(&u, c->ref, c->name, DURABLE_ACTION_START);
        /* AT_MOST_ONCE: the START must be durable before the body runs. */
        bool sync = c->opts->semantics == DURABLE_AT_MOST_ONCE_PER_RETRY;
        int rc = durable__checkpoint(ex, &u, sync);
        if (rc)
            return rc;
    }
    durable_step_ctx sctx = {c->ctx, c->ref->id, attempt, NULL};
    durable__attempt a;
    durable__plugins_attempt_start(ex, &a, c->desc, attempt);
    cJSON *result = NULL;
    durable_error_clear();
    int brc = c->fn(&sctx, &result, c->user);
    durable__plugins_attempt_returned(ex, &a);
    if (brc == 0) {
        durable__plugins_attempt_end(ex, &a, DURABLE_ATTEMPT_SUCCEEDED, NULL, 0);
        durable_error_object_free(sctx.err);
        char *text = NULL;
        int rc = durable__roundtrip(c->out, &text, c->ctx, c->opts->serdes, c->ref->id, result);
        if (rc)
            return rc;
        durable_operation_update u;
        step_update(&u, c->ref, c->name, DURABLE_ACTION_SUCCEED);
        u.payload = text;
        rc = durable__checkpoint(ex, &u, false);
        durable__free(text);
        return rc;
    }
    cJSON_Delete(result);
    durable_error_object *err = NULL;
    int rc = durable__step_body_error(&err, &sctx, brc);
    durable_error_object_free(sctx.err);
    if (rc)
        return rc;
    /* Decided before attempt_end, so the hook can say whether a retry follows. */
    durable_retry_decision d;
    durable_retry_strategy_decide(&d, c->opts->retry, err, attempt);
    durable__plugins_attempt_end(ex, &a,
                                 d.should_retry ? DURABLE_ATTEMPT_WILL_RETRY
                                                : DURABLE_ATTEMPT_FAILED,
                                 err, d.delay_seconds);
    rc = attempt_failed(c, attempt, err, &d);
    durable_error_object_free(err);
    return rc;
}

/* The stored operation decides what happens (SPEC §10.2). */
static int replay(const step_call *c, const durable_operation *stored)
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
        durable__plugins_op_start(ex, stored, true);
        return run_attempt(c, ended + 1, true);
    case DURABLE_OP_STARTED:
        durable__plugins_op_start(ex, stored, true);
        if (c->opts->semantics == DURABLE_AT_MOST_ONCE_PER_RETRY) {
            /* The attempt began in an earlier invocation and never finished:
             * never run it again, let the strategy decide. */
            durable_error_object interrupted = {(char *)DURABLE_KIND_STEP_INTERRUPTED,
                                                (char *)DURABLE_STEP_INTERRUPTED_MESSAGE, NULL,
                                                NULL, 0};
            durable_retry_decision d;
            durable_retry_strategy_decide(&d, c->opts->retry, &interrupted, ended + 1);
            return attempt_failed(c, ended + 1, &interrupted, &d);
        }
        return run_attempt(c, ended + 1, false);
    default: /* FAILED (and any other terminal status): the recorded error */
        return durable__ctx_op_failed(c->ctx, DURABLE_KIND_STEP, stored->error, "step %s failed",
                                      c->ref->id);
    }
}

int durable_step(durable_ctx *ctx, const cJSON **out, const char *name, durable_step_fn fn,
                 void *user, const durable_step_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_step: context is NULL");
    if (!fn)
        return durable__ctx_invalid(ctx, "durable_step: step function is NULL");
    durable_step_options def = DURABLE_STEP_OPTIONS_INIT;
    durable_step_options o = opts ? *opts : def;
    if (!o.retry)
        o.retry = durable_retry_preset_default();

    durable__op op;
    int rc = durable__op_begin(&op, ctx, DURABLE_OP_STEP, name, DURABLE__ST_STEP);
    step_call c = {ctx, &op.ref, name, &op.desc, fn, user, &o, out};
    if (rc == 0 && op.found)
        rc = replay(&c, &op.stored);
    else if (rc == 0 && (rc = durable__op_go_live(&op, ctx)) == 0)
        rc = run_attempt(&c, 1, true);
    durable__op_end(&op);
    return rc;
}
