/* map (SPEC §10.10): a batch over the elements of a JSON array. */
#include "sdk/batch.h"

typedef struct map_call {
    const cJSON *items;
    durable_map_fn fn;
    void *user;
    const durable_map_options *opts;
} map_call;

static char *map_item_name(size_t index, void *user)
{
    map_call *m = user;
    if (m->opts->item_namer) {
        char *s = NULL;
        if (m->opts->item_namer(&s, cJSON_GetArrayItem(m->items, (int)index), index,
                                m->opts->item_namer_user) == 0 &&
            s)
            return s;
        durable__free(s);
    }
    return durable__sprintf("map-item-%zu", index);
}

static int map_run_item(durable_ctx *item_ctx, cJSON **result, size_t index, void *user)
{
    map_call *m = user;
    return m->fn(item_ctx, result, cJSON_GetArrayItem(m->items, (int)index), index, m->items,
                 m->user);
}

int durable_map(durable_ctx *ctx, const durable_batch_result **out, const char *name,
                const cJSON *items, durable_map_fn fn, void *user,
                const durable_map_options *opts)
{
    if (out)
        *out = NULL;
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_map: context is NULL");
    if (!fn)
        return durable__ctx_invalid(ctx, "durable_map: map function is NULL");
    if (!cJSON_IsArray(items))
        return durable__ctx_invalid(ctx, "durable_map: items must be a JSON array");
    durable_map_options def = DURABLE_MAP_OPTIONS_INIT;
    const durable_map_options *o = opts ? opts : &def;
    map_call m = {items, fn, user, o};
    durable__batch_spec s = {"durable_map", DURABLE__ST_MAP, DURABLE__ST_MAP_ITERATION,
                             "MapResult", (size_t)cJSON_GetArraySize(items), map_item_name,
                             map_run_item, &m, o->max_concurrency, o->completion, o->nesting,
                             o->serdes, o->item_serdes, o->summary, o->summary_user};
    return durable__batch_run(ctx, out, name, &s);
}
