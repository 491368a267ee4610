/* wait (SPEC §10.6): a durable timer. The duration is validated before any
 * checkpoint; START is synchronous, then the invocation suspends until the
 * service reports the wait SUCCEEDED. */
#include "sdk/context_internal.h"

int64_t durable_duration_seconds(int64_t days, int64_t hours, int64_t minutes, int64_t seconds)
{
    return days * 86400 + hours * 3600 + minutes * 60 + seconds;
}

int durable_wait(durable_ctx *ctx, const char *name, int64_t seconds)
{
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_wait: context is NULL");
    if (seconds < 1 || seconds > DURABLE_MAX_WAIT_SECONDS)
        return durable__ctx_invalid(ctx,
                                    "durable_wait: duration must be between 1 and %d seconds "
                                    "(got %lld)",
                                    DURABLE_MAX_WAIT_SECONDS, (long long)seconds);
    durable__opref ref;
    int rc = durable__ctx_begin_op(ctx, &ref);
    if (rc)
        return rc;
    /* A copy is made only on the rare paths below (a mismatch, plugins on),
     * so replaying a wait never inits or clears one. */
    durable_operation stored;
    bool copied = false;
    durable_op_status status = DURABLE_OP_STATUS_NONE;
    int seen = durable__exec_peek(ctx->ex, ref.id, DURABLE_OP_WAIT, name, DURABLE__ST_WAIT, &status);
    if (seen < 0) {
        /* Recorded as something else: the copy names the difference. */
        durable_operation_init(&stored);
        copied = true;
        if (durable__exec_get_op(ctx->ex, ref.id, &stored))
            rc = durable__replay_validate(ctx, &ref, &stored, DURABLE_OP_WAIT, name,
                                          DURABLE__ST_WAIT);
    } else if (seen > 0) {
        if (durable_op_status_is_terminal(status)) {
            rc = 0; /* SUCCEEDED (or CANCELLED): the wait is over */
        } else {
            if (durable__plugins_enabled(ctx->ex)) {
                durable_operation_init(&stored);
                copied = true;
                if (durable__exec_get_op(ctx->ex, ref.id, &stored))
                    durable__plugins_op_start(ctx->ex, &stored, true);
            }
            rc = durable__ctx_suspend(ctx);
        }
    } else if ((rc = durable__ctx_go_live(ctx, &ref)) == 0) {
        durable_operation desc;
        durable__op_desc(&desc, &ref, DURABLE_OP_WAIT, name, DURABLE__ST_WAIT);
        durable__plugins_op_start(ctx->ex, &desc, false);
        durable_operation_update u;
        durable__op_update(&u, &ref, DURABLE_OP_WAIT, name, DURABLE__ST_WAIT,
                           DURABLE_ACTION_START);
        u.options = DURABLE_OPTIONS_WAIT;
        u.wait_seconds = seconds;
        rc = durable__checkpoint(ctx->ex, &u, true);
        if (rc == 0)
            rc = durable_op_status_is_terminal(durable__exec_op_status(ctx->ex, ref.id))
                     ? 0
                     : durable__ctx_suspend(ctx);
    }
    if (copied)
        durable_operation_clear(&stored);
    durable__opref_clear(&ref);
    return rc;
}
