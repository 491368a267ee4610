/* CheckpointDurableExecution — the processing order of SPEC §5.1:
 * unknown ARN → 404; ClientToken replay; token check; whole-batch
 * validation (validate.c); apply every update (the apply_ files) with its events in
 * update order; token sequence + 1; delta; new token; idempotency record —
 * all in one BEGIN IMMEDIATE transaction, rolled back on any failure. */
#include <string.h>

#include "engine/engine_internal.h"

static int apply_to(durable_engine *e, eng_exec *x, eng_op *o, const durable_operation_update *u)
{
    int rc;
    switch (u->type) {
    case DURABLE_OP_STEP:
        rc = durable__apply_step(e, x, o, u);
        break;
    case DURABLE_OP_WAIT:
        rc = durable__apply_wait(e, x, o, u);
        break;
    case DURABLE_OP_CALLBACK:
        rc = durable__apply_callback(e, x, o, u);
        break;
    case DURABLE_OP_CONTEXT:
        rc = durable__apply_context(e, x, o, u);
        break;
    case DURABLE_OP_CHAINED_INVOKE:
        rc = durable__apply_invoke(e, x, o, u);
        break;
    default:
        rc = durable__eng_fail(e, DURABLE_EINVAL, "Unknown operation type.", "id %s", u->id);
        break;
    }
    return rc;
}

/* Apply updates[i] and, when updates[i + 1] completes the same STEP or
 * CONTEXT (START + completion in one batch, SPEC §5.2), that one too: the
 * START is kept in memory and the row is written once, in its final state.
 * Returns how many updates were applied, or a negative code. */
static int apply_at(durable_engine *e, eng_exec *x, const durable_checkpoint_request *req, size_t i,
                    const bool *absent)
{
    const durable_operation_update *u = &req->updates[i];
    if (u->type == DURABLE_OP_EXECUTION) {
        int rc = durable__apply_execution(e, x, u);
        return rc < 0 ? rc : 1;
    }
    const durable_operation_update *next = i + 1 < req->update_count ? &req->updates[i + 1] : NULL;
    bool pair = next && (u->type == DURABLE_OP_STEP || u->type == DURABLE_OP_CONTEXT) &&
                next->type == u->type && next->id && strcmp(next->id, u->id) == 0;
    eng_op o;
    int rc = 0;
    if (absent[i])
        durable__eop_init(&o); /* validation saw it is new: nothing to read */
    else if ((rc = durable__op_load(e, &o, x, u->id)) < 0)
        return rc;
    o.defer = pair;
    rc = apply_to(e, x, &o, u);
    if (rc < 0) {
        durable__error_prefix("Updates[%zu] (id %s)", i, u->id);
    } else if (pair) {
        o.defer = false;
        rc = apply_to(e, x, &o, next);
        if (rc < 0)
            durable__error_prefix("Updates[%zu] (id %s)", i + 1, next->id);
    }
    durable__eop_clear(&o);
    return rc < 0 ? rc : pair ? 2 : 1;
}

static int process(durable_engine *e, durable_checkpoint_response *out,
                   const durable_checkpoint_request *req)
{
    eng_exec x;
    bool few[32] = {false};
    bool *absent = few;
    int rc = durable__exec_load(e, &x, req->durable_execution_arn);
    if (rc < 0)
        return rc;
    if (req->client_token &&
        (!*req->client_token || strlen(req->client_token) > DURABLE_MAX_CLIENT_TOKEN_LEN)) {
        rc = durable__eng_fail(e, DURABLE_EINVAL, "Invalid ClientToken.",
                               "ClientToken must be 1-64 characters");
        goto done;
    }
    rc = durable__idem_lookup(e, out, &x, req->client_token, req->checkpoint_token);
    if (rc != 0) {
        rc = rc > 0 ? 0 : rc; /* replayed: nothing changes */
        goto done;
    }
    if (req->update_count > sizeof few / sizeof few[0] &&
        !(absent = durable__calloc(req->update_count, sizeof *absent))) {
        rc = durable__error_oom();
        goto done;
    }
    if ((rc = durable__token_check(e, &x, req->checkpoint_token)) < 0 ||
        (rc = durable__validate_batch(e, &x, req, absent)) < 0)
        goto done;
    for (size_t i = 0; i < req->update_count; i += (size_t)rc) {
        if ((rc = apply_at(e, &x, req, i, absent)) < 0) {
            if (req->updates[i].type == DURABLE_OP_EXECUTION)
                durable__error_prefix("Updates[%zu] (id %s)", i, req->updates[i].id);
            goto done;
        }
    }
    x.token_seq++;
    if ((rc = durable__delta(e, &x, &out->operations)) < 0)
        goto done;
    if (x.status == DURABLE_EXEC_RUNNING && (rc = durable__token_mint(&out->checkpoint_token, e, &x)) < 0)
        goto done;
    if ((rc = durable__idem_store(&x, req->client_token, req->checkpoint_token, out)) < 0)
        goto done;
    rc = durable__exec_save(e, &x);
done:
    if (absent != few)
        durable_free(absent);
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_checkpoint(durable_checkpoint_response *out, durable_engine *e,
                              const durable_checkpoint_request *req)
{
    if (!out || !e || !req)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_checkpoint: out, engine and "
                                                  "request are required");
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, process(e, out, req));
    if (rc < 0)
        durable_checkpoint_response_clear(out);
    return rc;
}
