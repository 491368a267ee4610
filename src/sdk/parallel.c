/* parallel (SPEC §10.10): a batch over user branches. */
#include "sdk/batch.h"

typedef struct par_call {
    const durable_branch *branches;
} par_call;

static char *par_item_name(size_t index, void *user)
{
    par_call *p = user;
    if (p->branches[index].name)
        return durable__strdup(p->branches[index].name);
    return durable__sprintf("parallel-branch-%zu", index);
}

static int par_run_item(durable_ctx *item_ctx, cJSON **result, size_t index, void *user)
{
    par_call *p = user;
    return p->branches[index].fn(item_ctx, result, p->branches[index].user);
}

int durable_parallel(durable_ctx *ctx, const durable_batch_result **out, const char *name,
                     const durable_branch *branches, size_t branch_count,
                     const durable_parallel_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_parallel: context is NULL");
    if (branch_count > 0 && !branches)
        return durable__ctx_invalid(ctx, "durable_parallel: branches is NULL");
    for (size_t i = 0; i < branch_count; i++)
        if (!branches[i].fn)
            return durable__ctx_invalid(ctx, "durable_parallel: branch %zu has no function", i);
    durable_parallel_options def = DURABLE_PARALLEL_OPTIONS_INIT;
    const durable_parallel_options *o = opts ? opts : &def;
    par_call p = {branches};
    durable__batch_spec s = {"durable_parallel", DURABLE__ST_PARALLEL,
                             DURABLE__ST_PARALLEL_BRANCH, "ParallelResult", branch_count,
                             par_item_name, par_run_item, &p, o->max_concurrency,
                             o->completion, o->nesting, o->serdes, o->item_serdes, o->summary,
                             o->summary_user};
    return durable__batch_run(ctx, out, name, &s);
}
