/*
 * map and parallel (SPEC §10.10): the batch as a CONTEXT, its serialized
 * BatchResult, and the BatchResult helpers. The items themselves run in
 * batch_items.c.
 *
 * The parent is a child context (durable_run_in_child_context with SubType
 * Map/Parallel), so its START/SUCCEED, replay and ReplayChildren (> 256 KiB,
 * with a built-in summary) come from there. Each item has its own
 * commitment scope: a pending item does not commit the execution unless the
 * batch cannot complete without it.
 */
#include <string.h>

#include "sdk/batch.h"

/* The public result plus what the helpers hand out. */
typedef struct batch_holder {
    durable_batch_result br; /* first: the public pointer is the holder's */
    cJSON *results;          /* successful results in index order */
} batch_holder;

const char *durable_completion_reason_name(durable_completion_reason r)
{
    switch (r) {
    case DURABLE_ALL_COMPLETED:
        return "ALL_COMPLETED";
    case DURABLE_MIN_SUCCESSFUL_REACHED:
        return "MIN_SUCCESSFUL_REACHED";
    case DURABLE_FAILURE_TOLERANCE_EXCEEDED:
        return "FAILURE_TOLERANCE_EXCEEDED";
    default:
        return "";
    }
}

static const char *item_status_name(durable_item_status s)
{
    return s == DURABLE_ITEM_SUCCEEDED ? "SUCCEEDED" : s == DURABLE_ITEM_FAILED ? "FAILED"
                                                                                : "STARTED";
}

/* ---- the serialized BatchResult ---------------------------------------------------------- */

static int add_count(cJSON *o, const char *k, size_t n)
{
    return cJSON_AddNumberToObject(o, k, (double)n) ? 0 : DURABLE_ENOMEM;
}

static int batch_json(cJSON **out, const durable__item_state *items, size_t count,
                      durable_completion_reason reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *all = cJSON_AddArrayToObject(o, "all");
    size_t ok = 0, failed = 0, started = 0;
    int rc = (o && all) ? 0 : DURABLE_ENOMEM;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const durable__item_state *st = &items[i];
        if (!st->status)
            continue;
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(all, e)) {
            cJSON_Delete(e);
            rc = DURABLE_ENOMEM;
            break;
        }
        cJSON_AddNumberToObject(e, "index", (double)i);
        cJSON_AddStringToObject(e, "status", item_status_name(st->status));
        if (st->status == DURABLE_ITEM_SUCCEEDED) {
            ok++;
            cJSON *r = st->result ? cJSON_Duplicate(st->result, true) : cJSON_CreateNull();
            if (!r || !cJSON_AddItemToObject(e, "result", r)) {
                cJSON_Delete(r);
                rc = DURABLE_ENOMEM;
            }
        } else if (st->status == DURABLE_ITEM_FAILED) {
            failed++;
            cJSON *ej = NULL;
            if (durable_error_object_to_json(&ej, st->error) != 0 ||
                !cJSON_AddItemToObject(e, "error", ej)) {
                cJSON_Delete(ej);
                rc = DURABLE_ENOMEM;
            }
        } else {
            started++;
        }
    }
    if (rc == 0 &&
        (!cJSON_AddStringToObject(o, "completionReason", durable_completion_reason_name(reason)) ||
         !cJSON_AddStringToObject(o, "status", failed ? "FAILED" : "SUCCEEDED") ||
         add_count(o, "successCount", ok) || add_count(o, "failureCount", failed) ||
         add_count(o, "startedCount", started) ||
         add_count(o, "totalCount", ok + failed + started)))
        rc = DURABLE_ENOMEM;
    if (rc) {
        cJSON_Delete(o);
        return durable__error_set(rc, "batch result: out of memory");
    }
    *out = o;
    return 0;
}

/* ---- the parent's function --------------------------------------------------------------- */

static int batch_fn(durable_ctx *pctx, cJSON **result, void *user)
{
    const durable__batch_spec *s = user;
    durable__item_state *items = NULL;
    if (s->count > 0) {
        items = durable__exec_alloc(pctx->ex, s->count * sizeof(*items));
        if (!items)
            return durable__error_set(DURABLE_ENOMEM, "%s: out of memory", s->api);
    }
    durable_completion_reason reason = DURABLE_COMPLETION_NONE;
    int rc = durable__batch_items(pctx, s, items, &reason);
    if (rc)
        return rc;
    if (reason == DURABLE_COMPLETION_NONE)
        return durable__ctx_suspend(pctx); /* only suspended items can make progress */
    /* Completed: items still suspended are left STARTED, their commitment
     * no longer binds the execution. */
    for (size_t i = 0; i < s->count; i++)
        if (items[i].scope)
            durable__scope_retire(items[i].scope);
    return batch_json(result, items, s->count, reason);
}

/* Built-in summary of a parent result above 256 KiB. */
static int builtin_summary(char **out, const cJSON *result, void *user)
{
    const durable__batch_spec *s = user;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return DURABLE_ENOMEM;
    cJSON_AddStringToObject(o, "type", s->summary_type);
    static const char *const keys[] = {"totalCount", "successCount", "failureCount",
                                       "startedCount", "completionReason", "status"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(result, keys[i]);
        if (v)
            cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, true));
    }
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? 0 : DURABLE_ENOMEM;
}

/* ---- building the public result from the parent's (replayable) value -------------------- */

static int parse_status(durable_item_status *out, const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "SUCCEEDED") == 0)
        *out = DURABLE_ITEM_SUCCEEDED;
    else if (strcmp(s, "FAILED") == 0)
        *out = DURABLE_ITEM_FAILED;
    else if (strcmp(s, "STARTED") == 0)
        *out = DURABLE_ITEM_STARTED;
    else
        return -1;
    return 0;
}

static void clear_error(void *p)
{
    durable_error_object_clear(p);
}

static void free_holder_results(void *p)
{
    cJSON_Delete(p);
}

static int build_result(const durable_batch_result **out, durable_ctx *ctx,
                        const durable__batch_spec *s, const cJSON *v)
{
    durable__exec *ex = ctx->ex;
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(v, "all");
    if (!cJSON_IsArray(all))
        return durable__exec_fatal(ex, DURABLE_ESERDES, DURABLE_KIND_SERDES,
                                   "%s: the stored batch result has no \"all\" array", s->api);
    batch_holder *h = durable__exec_alloc(ex, sizeof(*h));
    size_t n = (size_t)cJSON_GetArraySize(all);
    durable_batch_item *items = n ? durable__exec_alloc(ex, n * sizeof(*items)) : NULL;
    if (!h || (n && !items))
        return durable__error_set(DURABLE_ENOMEM, "%s: out of memory", s->api);
    h->results = cJSON_CreateArray();
    if (!h->results || durable__exec_keep(ex, h->results, free_holder_results) != 0) {
        cJSON_Delete(h->results);
        return durable__error_set(DURABLE_ENOMEM, "%s: out of memory", s->api);
    }
    durable_batch_result *br = &h->br;
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, all)
    {
        durable_batch_item *it = &items[k];
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(e, "index");
        if (!cJSON_IsNumber(idx) || idx->valuedouble < 0 ||
            parse_status(&it->status,
                         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "status"))))
            return durable__exec_fatal(ex, DURABLE_ESERDES, DURABLE_KIND_SERDES,
                                       "%s: malformed item %zu in the stored batch result",
                                       s->api, k);
        it->index = (size_t)idx->valuedouble;
        char *name = it->index < s->count ? s->item_name(it->index, s->user) : NULL;
        it->name = name ? durable__exec_strdup(ex, name) : NULL;
        durable__free(name);
        if (it->status == DURABLE_ITEM_SUCCEEDED) {
            it->result = cJSON_GetObjectItemCaseSensitive(e, "result");
            cJSON *dup = it->result ? cJSON_Duplicate(it->result, true) : cJSON_CreateNull();
            if (!dup || !cJSON_AddItemToArray(h->results, dup)) {
                cJSON_Delete(dup);
                return durable__error_set(DURABLE_ENOMEM, "%s: out of memory", s->api);
            }
            br->success_count++;
        } else if (it->status == DURABLE_ITEM_FAILED) {
            durable_error_object *err = durable__exec_alloc(ex, sizeof(*err));
            if (!err)
                return DURABLE_ENOMEM;
            const cJSON *ej = cJSON_GetObjectItemCaseSensitive(e, "error");
            if (ej && durable_error_object_from_json(err, ej) == 0) {
                if (durable__exec_keep(ex, err, clear_error)) {
                    durable_error_object_clear(err);
                    return DURABLE_ENOMEM;
                }
            }
            it->error = err;
            br->failure_count++;
        } else {
            br->started_count++;
        }
        k++;
    }
    br->items = items;
    br->count = n;
    br->total_count = n;
    br->has_failure = br->failure_count > 0;
    br->status = br->has_failure ? DURABLE_OP_FAILED : DURABLE_OP_SUCCEEDED;
    const char *reason =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "completionReason"));
    br->completion_reason = DURABLE_COMPLETION_NONE;
    for (int r = DURABLE_ALL_COMPLETED; reason && r <= DURABLE_FAILURE_TOLERANCE_EXCEEDED; r++)
        if (strcmp(reason, durable_completion_reason_name((durable_completion_reason)r)) == 0)
            br->completion_reason = (durable_completion_reason)r;
    *out = br;
    return 0;
}

int durable__batch_run(durable_ctx *ctx, const durable_batch_result **out, const char *name,
                       const durable__batch_spec *spec)
{
    const durable_completion_config *c = &spec->completion;
    if (spec->max_concurrency <= 0)
        return durable__ctx_invalid(ctx, "%s: max_concurrency must be >= 1 (got %d)", spec->api,
                                    spec->max_concurrency);
    if (c->min_successful != DURABLE_ABSENT && c->min_successful < 0)
        return durable__ctx_invalid(ctx, "%s: completion.min_successful must be >= 0 (got %lld)",
                                    spec->api, (long long)c->min_successful);
    if (c->tolerated_failure_count != DURABLE_ABSENT && c->tolerated_failure_count < 0)
        return durable__ctx_invalid(ctx,
                                    "%s: completion.tolerated_failure_count must be >= 0 "
                                    "(got %lld)",
                                    spec->api, (long long)c->tolerated_failure_count);
    if (c->tolerated_failure_percentage > 100)
        return durable__ctx_invalid(ctx,
                                    "%s: completion.tolerated_failure_percentage must be at "
                                    "most 100 (got %g)",
                                    spec->api, c->tolerated_failure_percentage);
    durable_child_options co = DURABLE_CHILD_OPTIONS_INIT;
    co.subtype = spec->subtype;
    co.serdes = spec->serdes;
    co.summary = spec->summary ? spec->summary : builtin_summary;
    co.summary_user = spec->summary ? spec->summary_user : (void *)spec;
    const cJSON *v = NULL;
    int rc = durable_run_in_child_context(ctx, &v, name, batch_fn, (void *)spec, &co);
    if (rc)
        return rc;
    const durable_batch_result *br = NULL;
    rc = build_result(&br, ctx, spec, v);
    if (rc == 0 && out)
        *out = br;
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------------ */

const cJSON *durable_batch_result_results(const durable_batch_result *br)
{
    return br ? ((const batch_holder *)br)->results : NULL;
}

size_t durable_batch_result_filter(const durable_batch_item **out, size_t max,
                                   const durable_batch_result *br, durable_item_status status)
{
    size_t n = 0;
    for (size_t i = 0; br && i < br->count; i++) {
        if (br->items[i].status != status)
            continue;
        if (out && n < max)
            out[n] = &br->items[i];
        n++;
    }
    return n;
}

int durable_batch_result_throw_if_error(durable_ctx *ctx, const durable_batch_result *br)
{
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_batch_result_throw_if_error: context is NULL");
    if (!br)
        return durable__ctx_invalid(ctx, "durable_batch_result_throw_if_error: result is NULL");
    for (size_t i = 0; i < br->count; i++) {
        const durable_batch_item *it = &br->items[i];
        if (it->status == DURABLE_ITEM_FAILED)
            return durable__ctx_op_failed(ctx, DURABLE_KIND_CHILD_CONTEXT, it->error,
                                          "batch item %zu (%s) failed", it->index,
                                          it->name ? it->name : "");
    }
    return 0;
}

int durable_batch_result_to_json(cJSON **out, const durable_batch_result *br)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_batch_result_to_json: out is NULL");
    *out = NULL;
    if (!br)
        return durable__error_set(DURABLE_EINVAL, "durable_batch_result_to_json: result is NULL");
    cJSON *o = cJSON_CreateObject();
    cJSON *all = cJSON_AddArrayToObject(o, "all");
    int rc = (o && all) ? 0 : DURABLE_ENOMEM;
    for (size_t i = 0; i < br->count && rc == 0; i++) {
        const durable_batch_item *it = &br->items[i];
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(all, e)) {
            cJSON_Delete(e);
            rc = DURABLE_ENOMEM;
            break;
        }
        cJSON_AddNumberToObject(e, "index", (double)it->index);
        cJSON_AddStringToObject(e, "status", item_status_name(it->status));
        if (it->status == DURABLE_ITEM_SUCCEEDED) {
            cJSON *r = it->result ? cJSON_Duplicate(it->result, true) : cJSON_CreateNull();
            if (!r || !cJSON_AddItemToObject(e, "result", r)) {
                cJSON_Delete(r);
                rc = DURABLE_ENOMEM;
            }
        } else if (it->status == DURABLE_ITEM_FAILED && it->error) {
            cJSON *ej = NULL;
            if (durable_error_object_to_json(&ej, it->error) != 0 ||
                !cJSON_AddItemToObject(e, "error", ej)) {
                cJSON_Delete(ej);
                rc = DURABLE_ENOMEM;
            }
        }
    }
    if (rc == 0 &&
        (!cJSON_AddStringToObject(o, "completionReason",
                                  durable_completion_reason_name(br->completion_reason)) ||
         !cJSON_AddStringToObject(o, "status", br->has_failure ? "FAILED" : "SUCCEEDED") ||
         add_count(o, "successCount", br->success_count) ||
         add_count(o, "failureCount", br->failure_count) ||
         add_count(o, "startedCount", br->started_count) ||
         add_count(o, "totalCount", br->total_count)))
        rc = DURABLE_ENOMEM;
    if (rc) {
        cJSON_Delete(o);
        return durable__error_set(rc, "durable_batch_result_to_json: out of memory");
    }
    *out = o;
    return 0;
}
