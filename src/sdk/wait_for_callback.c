/* waitForCallback (SPEC §10.7): a CONTEXT "WaitForCallback" whose function
 * creates an unnamed callback (N-1), runs the submitter as an unnamed step
 * (N-2), then awaits the callback. Built on durable_run_in_child_context so
 * START/SUCCEED/FAIL, replay and ReplayChildren behave like any child
 * context; the context result is the callback result serialized with the
 * same serdes the callback decodes with, so replay returns the same value.
 *
 * A failure is the original error (SPEC §10.7): the callback's own (the
 * external ErrorType, Callback.Timeout or Callback.Heartbeat) or the
 * submitter's final error. The context FAILs with that ErrorObject verbatim
 * (the inner kind is not put in its place), because once the context is
 * FAILED the state no longer holds its children: the stored error is all a
 * replay has, and it must give the handler what the live run gave it. The
 * caller sees kind CallbackError either way. */
#include <string.h>

#include "sdk/context_internal.h"

typedef struct wfc_call {
    durable_submitter_fn submitter;
    void *user;
    const durable_wait_for_callback_options *opts;
    const char *callback_id; /* during the submitter step */
} wfc_call;

/* An inner failure leaves the context as a plain error (no kind), so the
 * context's FAIL carries the original ErrorType rather than the kind. */
static int as_original_error(durable_ctx *child, int rc)
{
    const durable_error_object *e = durable_ctx_error(child);
    if (rc != DURABLE_EFAILED || !e || !durable_ctx_error_kind(child))
        return rc;
    durable_error_object *copy = NULL;
    if (durable_error_object_dup(&copy, e) != 0)
        return DURABLE_ENOMEM;
    rc = durable__ctx_set_error(child, NULL, copy);
    durable_error_object_free(copy);
    return rc;
}

static int submit_step(durable_step_ctx *sctx, cJSON **result, void *user)
{
    wfc_call *c = user;
    *result = NULL; /* the submitter's step stores null */
    return c->submitter(sctx, c->callback_id, c->user);
}

static int wfc_fn(durable_ctx *child, cJSON **result, void *user)
{
    wfc_call *c = user;
    durable_callback_options co = DURABLE_CALLBACK_OPTIONS_INIT;
    co.timeout_seconds = c->opts->timeout_seconds;
    co.heartbeat_timeout_seconds = c->opts->heartbeat_timeout_seconds;
    co.serdes = c->opts->serdes;
    durable_callback *cb = NULL;
    int rc = durable_create_callback(child, &cb, NULL, &co);
    if (rc)
        return rc;
    c->callback_id = durable_callback_id(cb);
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = c->opts->retry;
    rc = durable_step(child, NULL, NULL, submit_step, c, &so);
    if (rc)
        return as_original_error(child, rc);
    const cJSON *v = NULL;
    rc = durable_callback_await(cb, &v);
    if (rc)
        return as_original_error(child, rc);
    if (v) {
        *result = cJSON_Duplicate(v, true);
        if (!*result)
            return durable__error_set(DURABLE_ENOMEM, "wait_for_callback: out of memory");
    }
    return 0;
}

int durable_wait_for_callback(durable_ctx *ctx, const cJSON **out, const char *name,
                              durable_submitter_fn submitter, void *user,
                              const durable_wait_for_callback_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_wait_for_callback: context is NULL");
    if (!submitter)
        return durable__ctx_invalid(ctx, "durable_wait_for_callback: submitter is NULL");
    durable_wait_for_callback_options def = DURABLE_WAIT_FOR_CALLBACK_OPTIONS_INIT;
    durable_wait_for_callback_options o = opts ? *opts : def;
    if (o.timeout_seconds < 0 || o.heartbeat_timeout_seconds < 0)
        return durable__ctx_invalid(ctx,
                                    "durable_wait_for_callback: timeouts must be >= 0 "
                                    "(timeout %lld, heartbeat %lld)",
                                    (long long)o.timeout_seconds,
                                    (long long)o.heartbeat_timeout_seconds);
    if (!o.serdes)
        o.serdes = durable_serdes_raw();
    wfc_call c = {submitter, user, &o, NULL};
    durable_child_options co = DURABLE_CHILD_OPTIONS_INIT;
    co.subtype = DURABLE__ST_WAIT_FOR_CALLBACK;
    co.serdes = o.serdes;
    int rc = durable_run_in_child_context(ctx, out, name, wfc_fn, &c, &co);
    if (rc == DURABLE_EFAILED && durable_ctx_error(ctx)) {
        /* The context's error (live or stored) is the original: report it
         * under the callback kind, as durable_callback_await does. */
        durable_error_object *copy = NULL;
        if (durable_error_object_dup(&copy, durable_ctx_error(ctx)) != 0)
            return DURABLE_ENOMEM;
        rc = durable__ctx_set_error(ctx, DURABLE_KIND_CALLBACK, copy);
        durable_error_object_free(copy);
    }
    return rc;
}
