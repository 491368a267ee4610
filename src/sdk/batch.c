/*
 * The batch runner shared by map and parallel (SPEC §10.10), and the
 * BatchResult helpers.
 *
 * The parent is a child context (durable_run_in_child_context with SubType
 * Map/Parallel), so its START/SUCCEED, replay and ReplayChildren (> 256 KiB,
 * with a built-in summary) come from there. Its function starts items in
 * index order: item i is the parent's (i+1)-th operation, so its path is
 * N-(i+1) whatever happens at run time. Items run on the calling thread one
 * after the other; an item that suspends (PENDING) stays active and counts
 * against max_concurrency while later items may still start, so the ids,
 * the order of starts and the completion decisions are the same for every
 * max_concurrency and on every replay. Each item has its own commitment
 * scope: a pending item does not commit the execution unless the batch
 * cannot complete without it.
 */
#include <string.h>

#include "sdk/batch.h"

/* The public result plus what the helpers hand out. */
typedef struct batch_holder {
    durable_batch_result br; /* first: the public pointer is the holder's */
    cJSON *results;          /* successful results in index order */
} batch_holder;

typedef struct item_state {
    durable_item_status status; /* 0 = not started */
    const cJSON *result;        /* exec-kept */
    durable_error_object *error; /* exec-kept */
    durable__scope *scope;      /* pending items */
} item_state;

typedef struct batch_run {
    const durable__batch_spec *spec;
    size_t index; /* item being run (for the wrapper) */
} batch_run;

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

static void free_error(void *p)
{
    durable_error_object_free(p);
}

/* ---- completion ---------------------------------------------------------------------- */

static durable_completion_reason completion(const durable__batch_spec *s, size_t succeeded,
                                            size_t failed, size_t done)
{
    const durable_completion_config *c = &s->completion;
    bool has_config = c->min_successful != DURABLE_ABSENT ||
                      c->tolerated_failure_count != DURABLE_ABSENT ||
                      c->tolerated_failure_percentage >= 0;
    bool exceeded;
    if (!has_config) {
        exceeded = failed > 0; /* no config: stop on the first failure */
    } else {
        exceeded = (c->tolerated_failure_count != DURABLE_ABSENT &&
                    (int64_t)failed > c->tolerated_failure_count) ||
                   (c->tolerated_failure_percentage >= 0 && s->count > 0 &&
                    (double)failed * 100.0 / (double)s->count > c->tolerated_failure_percentage);
    }
    if (exceeded)
        return DURABLE_FAILURE_TOLERANCE_EXCEEDED;
    if (c->min_successful != DURABLE_ABSENT && (int64_t)succeeded >= c->min_successful)
        return DURABLE_MIN_SUCCESSFUL_REACHED;
    if (done == s->count)
        return DURABLE_ALL_COMPLETED;
    return DURABLE_COMPLETION_NONE;
}

/* ---- one item -------------------------------------------------------------------------- */

static int item_fn(durable_ctx *child, cJSON **result, void *user)
{
    batch_run *b = user;
    return b->spec->run_item(child, result, b->index, b->spec->user);
}

static void item_update(durable_operation_update *u, const durable__opref *ref, const char *name,
                        const char *subtype, durable_op_action a)
{
    durable_operation_update_init(u);
    u->id = (char *)ref->id;
    u->parent_id = (char *)ref->parent_id;
    u->name = (char *)name;
    u->subtype = (char *)subtype;
    u->type = DURABLE_OP_CONTEXT;
    u->action = a;
}

/* Run the item function on a new item context and record the outcome in
 * *st; checkpoint it unless the item is virtual or replay-only. */
static int run_item(durable_ctx *pctx, const durable__batch_spec *s, size_t index,
                    const durable__opref *ref, const char *name, const durable_operation *desc,
                    bool virt, bool replaying, bool replay_only, item_state *st)
{
    durable__exec *ex = pctx->ex;
    durable__scope *scope = NULL;
    int rc = durable__scope_new(&scope, ex, pctx->scope);
    if (rc)
        return rc;
    durable_ctx *child = NULL;
    rc = durable__ctx_new_child(&child, pctx, ref->path, virt ? NULL : ref->id, name,
                                s->item_subtype, virt, scope, replaying);
    if (rc)
        return rc;
    if (replay_only)
        child->replay_only = true;
    batch_run b = {s, index};
    cJSON *result = NULL;
    rc = durable__run_context_fn(child, item_fn, &b, &result, desc, replay_only);
    if (rc == 0) {
        char *text = NULL;
        rc = durable__roundtrip(&st->result, &text, pctx, s->item_serdes, ref->id, result);
        if (rc)
            return rc;
        if (!virt && !replay_only) {
            durable_operation_update u;
            item_update(&u, ref, name, s->item_subtype, DURABLE_ACTION_SUCCEED);
            if (strlen(text) > DURABLE__CHILD_RESULT_MAX) {
                u.payload = (char *)"";
                u.options = DURABLE_OPTIONS_CONTEXT;
                u.replay_children = 1;
            } else {
                u.payload = text;
            }
            rc = durable__checkpoint(ex, &u, false);
        }
        durable__free(text);
        if (rc)
            return rc;
        st->status = DURABLE_ITEM_SUCCEEDED;
        return 0;
    }
    if (rc == DURABLE_PENDING) {
        st->status = DURABLE_ITEM_STARTED;
        st->scope = scope;
        return 0;
    }
    if (durable__code_propagates(ex, rc))
        return rc;
    durable_error_object *err = NULL;
    rc = durable__ctx_escape_error(&err, child, rc);
    if (rc)
        return rc;
    if (durable__exec_keep(ex, err, free_error) != 0) {
        durable_error_object_free(err);
        return DURABLE_ENOMEM;
    }
    if (!virt && !replay_only) {
        durable_operation_update u;
        item_update(&u, ref, name, s->item_subtype, DURABLE_ACTION_FAIL);
        u.error = err;
        rc = durable__checkpoint(ex, &u, false);
        if (rc)
            return rc;
    }
    st->status = DURABLE_ITEM_FAILED;
    st->error = err;
    return 0;
}

/* Start (or replay) item index as the next operation of pctx. */
static int start_item(durable_ctx *pctx, const durable__batch_spec *s, size_t index,
                      item_state *st)
{
    durable__exec *ex = pctx->ex;
    char *name = s->item_name(index, s->user);
    if (!name)
        return durable__error_set(DURABLE_ENOMEM, "%s: out of memory naming item %zu", s->api,
                                  index);
    durable__opref ref;
    int rc = durable__ctx_begin_op(pctx, &ref);
    if (rc) {
        durable__free(name);
        return rc;
    }
    durable_operation desc;
    durable__op_desc(&desc, &ref, DURABLE_OP_CONTEXT, name, s->item_subtype);
    if (s->nesting == DURABLE_NESTING_FLAT) {
        /* Virtual item: its operations carry ParentId = the parent's Id. */
        rc = run_item(pctx, s, index, &ref, name, &desc, true, pctx->replaying, pctx->replay_only,
                      st);
        durable__opref_clear(&ref);
        durable__free(name);
        return rc;
    }
    durable_operation stored;
    durable_operation_init(&stored);
    bool found = durable__exec_get_op(ex, ref.id, &stored);
    if (found) {
        rc = durable__replay_validate(pctx, &ref, &stored, DURABLE_OP_CONTEXT, name,
                                      s->item_subtype);
        if (rc == 0) {
            if (stored.status == DURABLE_OP_SUCCEEDED) {
                if (stored.replay_children == 1) {
                    rc = run_item(pctx, s, index, &ref, name, &desc, false, true, true, st);
                } else {
                    rc = durable__deserialize(&st->result, pctx, s->item_serdes, ref.id,
                                              stored.result);
                    if (rc == 0)
                        st->status = DURABLE_ITEM_SUCCEEDED;
                }
            } else if (durable_op_status_is_terminal(stored.status)) {
                durable_error_object *err = NULL;
                durable_error_object empty = {NULL, NULL, NULL, NULL, 0};
                rc = durable_error_object_dup(&err, stored.error ? stored.error : &empty);
                if (rc == 0 && durable__exec_keep(ex, err, free_error) != 0) {
                    durable_error_object_free(err);
                    rc = DURABLE_ENOMEM;
                }
                if (rc == 0) {
                    st->status = DURABLE_ITEM_FAILED;
                    st->error = err;
                }
            } else {
                durable__plugins_op_start(ex, &stored, true);
                rc = run_item(pctx, s, index, &ref, name, &desc, false, true, pctx->replay_only,
                              st);
            }
        }
    } else if ((rc = durable__ctx_go_live(pctx, &ref)) == 0) {
        durable__plugins_op_start(ex, &desc, false);
        durable_operation_update u;
        item_update(&u, &ref, name, s->item_subtype, DURABLE_ACTION_START);
        rc = durable__checkpoint(ex, &u, false);
        if (rc == 0)
            rc = run_item(pctx, s, index, &ref, name, &desc, false, false, false, st);
    }
    durable_operation_clear(&stored);
    durable__opref_clear(&ref);
    durable__free(name);
    return rc;
}

/* ---- the serialized BatchResult ---------------------------------------------------------- */

static int add_count(cJSON *o, const char *k, size_t n)
{
    return cJSON_AddNumberToObject(o, k, (double)n) ? 0 : DURABLE_ENOMEM;
}

static int batch_json(cJSON **out, const item_state *items, size_t count,
                      durable_completion_reason reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *all = cJSON_AddArrayToObject(o, "all");
    size_t ok = 0, failed = 0, started = 0;
    int rc = (o && all) ? 0 : DURABLE_ENOMEM;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const item_state *st = &items[i];
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
    item_state *items = NULL;
    if (s->count > 0) {
        items = durable__exec_alloc(pctx->ex, s->count * sizeof(*items));
        if (!items)
            return durable__error_set(DURABLE_ENOMEM, "%s: out of memory", s->api);
    }
    size_t ok = 0, failed = 0, done = 0, active = 0;
    durable_completion_reason reason = completion(s, 0, 0, 0);
    for (size_t i = 0; i < s->count && reason == DURABLE_COMPLETION_NONE; i++) {
        if (active >= (size_t)s->max_concurrency)
            break; /* every slot holds a suspended item */
        int rc = start_item(pctx, s, i, &items[i]);
        if (rc)
            return rc;
        switch (items[i].status) {
        case DURABLE_ITEM_SUCCEEDED:
            ok++;
            done++;
            break;
        case DURABLE_ITEM_FAILED:
            failed++;
            done++;
            break;
        default:
            active++;
            break;
        }
        reason = completion(s, ok, failed, done);
    }
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
        if (it->status != DURABLE_ITEM_FAILED)
            continue;
        durable_error_object empty = {NULL, NULL, NULL, NULL, 0};
        const durable_error_object *e = it->error ? it->error : &empty;
        durable__ctx_set_error(ctx, DURABLE_KIND_CHILD_CONTEXT, e);
        return durable__error_set(DURABLE_EFAILED, "batch item %zu (%s) failed: %s: %s",
                                  it->index, it->name ? it->name : "",
                                  e->error_type ? e->error_type : "Error",
                                  e->error_message ? e->error_message : "");
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
