/* Conformance handlers, suite "map" (9-x). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "conformance/handlers/handlers.h"

/* ---- item functions ------------------------------------------------------------ */

static int greet_step(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    char *s = durable_sprintf("Hello, %s!", conf_text(user));
    *result = s ? cJSON_CreateString(s) : NULL;
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

/* 9-1: each item runs a step returning "Hello, <item>!". */
static int item_greet(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                      const cJSON *items, void *user)
{
    (void)index;
    (void)items;
    (void)user;
    const cJSON *r = NULL;
    CONF_TRY(durable_step(item_ctx, &r, NULL, greet_step, (void *)item, NULL));
    return conf_return(result, r);
}

static int item_times(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                      const cJSON *items, void *user)
{
    (void)item_ctx;
    (void)index;
    (void)items;
    double k = *(const double *)user;
    *result = cJSON_CreateNumber((cJSON_IsNumber(item) ? item->valuedouble : 0) * k);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int item_upper(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                      const cJSON *items, void *user)
{
    (void)item_ctx;
    (void)index;
    (void)items;
    (void)user;
    char *s = durable_strdup(conf_text(item));
    if (!s)
        return DURABLE_ENOMEM;
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    *result = cJSON_CreateString(s);
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

/* Items are strings: "fail" fails, anything else is returned as is. */
static int item_scripted(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                         const cJSON *items, void *user)
{
    (void)index;
    (void)items;
    (void)user;
    if (!strcmp(conf_text(item), "fail"))
        return durable_ctx_fail(item_ctx, "ItemError", "the item failed on purpose", NULL);
    return conf_return(result, item);
}

static int item_index_text(durable_ctx *item_ctx, cJSON **result, const cJSON *item,
                           size_t index, const cJSON *items, void *user)
{
    (void)item_ctx;
    (void)item;
    (void)items;
    (void)user;
    char text[32];
    snprintf(text, sizeof text, "r%zu", index);
    return conf_return_string(result, text);
}

/* ---- helpers ------------------------------------------------------------------- */

static int run_map(durable_ctx *ctx, const durable_batch_result **br, const char *name,
                   const cJSON *items, durable_map_fn fn, void *user,
                   const durable_map_options *opts)
{
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    if (opts)
        o = *opts;
    else
        o.max_concurrency = 1;
    return durable_map(ctx, br, name, items, fn, user, &o);
}

/* Map `fn` over the items written as JSON in `items_json`. */
static int map_json_items(durable_ctx *ctx, const durable_batch_result **br, const char *name,
                          const char *items_json, durable_map_fn fn, void *user,
                          const durable_map_options *opts)
{
    cJSON *items = cJSON_Parse(items_json);
    if (!items)
        return DURABLE_ENOMEM;
    int rc = run_map(ctx, br, name, items, fn, user, opts);
    cJSON_Delete(items);
    return rc;
}

/* ---- handlers -------------------------------------------------------------------- */

/* 9-1: "map" over the input items; each greets in a step. */
static int h_9_1(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_map(ctx, &br, "map", input, item_greet, NULL, NULL));
    return conf_batch_results(out, br);
}

/* 9-2: items-only form (no name); each item doubled directly. */
static int h_9_2(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    static const double two = 2;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_map(ctx, &br, NULL, input, item_times, (void *)&two, NULL));
    return conf_batch_results(out, br);
}

/* 9-4: an empty items list. */
static int h_9_4(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_map(ctx, &br, "empty", input, item_upper, NULL, NULL));
    return conf_batch_results(out, br);
}

/* 9-5: fail-fast (tolerated-failure-count 0): ok, fail, (never started). */
static int h_9_5(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.completion.tolerated_failure_count = 0;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "fail-fast", "[\"ok\",\"fail\",\"ok\"]", item_scripted,
                            NULL, &o));
    return conf_batch_projection(out, br, true, true);
}

/* 9-7: min-successful 2 of 4. */
static int h_9_7(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.completion.min_successful = 2;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "min-successful", "[\"a\",\"b\",\"c\",\"d\"]",
                            item_scripted, NULL, &o));
    return conf_batch_projection(out, br, false, false);
}

/* 9-8: tolerated-failure-count 1: ok, fail, ok all run. */
static int h_9_8(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.completion.tolerated_failure_count = 1;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "tolerated", "[\"ok\",\"fail\",\"ok\"]", item_scripted,
                            NULL, &o));
    return conf_batch_projection(out, br, true, true);
}

/* 9-10: tolerated-failure-percentage 25 of 4: fail, fail stops it. */
static int h_9_10(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.completion.tolerated_failure_percentage = 25;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "tolerated-pct", "[\"fail\",\"fail\",\"ok\",\"ok\"]",
                            item_scripted, NULL, &o));
    return conf_batch_projection(out, br, false, true);
}

/* 9-11: three items, up to two at a time; "r<index>" in index order. */
static int h_9_11(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 2;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "concurrent", "[0,1,2]", item_index_text, NULL, &o));
    return conf_batch_results(out, br);
}

/* 9-13: item namer "item-<item>"; each item × 10. */
static int name_item(char **out, const cJSON *item, size_t index, void *user)
{
    (void)index;
    (void)user;
    char *t = cJSON_IsNumber(item) ? durable_sprintf("item-%.15g", item->valuedouble)
                                   : durable_sprintf("item-%s", conf_text(item));
    *out = t;
    return t ? 0 : -1;
}

static int h_9_13(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    static const double ten = 10;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.item_namer = name_item;
    const durable_batch_result *br = NULL;
    CONF_TRY(run_map(ctx, &br, "named-items", input, item_times, (void *)&ten, &o));
    return conf_batch_results(out, br);
}

/* 9-14: a per-item serdes that wraps each result as "wrapped:<text>". */
static int wrap_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                          void *user)
{
    (void)sctx;
    (void)user;
    *out = durable_sprintf("wrapped:%s", conf_text(value));
    return *out ? 0 : -1;
}

static int wrap_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                            void *user)
{
    (void)sctx;
    (void)user;
    if (!text || strncmp(text, "wrapped:", 8) != 0)
        return -1;
    *out = cJSON_CreateString(text + 8);
    return *out ? 0 : -1;
}

static const durable_serdes wrap_serdes = {wrap_serialize, wrap_deserialize, NULL};

static int h_9_14(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.item_serdes = &wrap_serdes;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "item-serdes", "[\"x\",\"y\"]", item_upper, NULL, &o));
    return conf_batch_results(out, br);
}

/* 9-16: four items of ~70 KB each: the Map result exceeds 256 KiB. */
#define ITEM_BYTES (70 * 1024)

static int item_large(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                      const cJSON *items, void *user)
{
    (void)item_ctx;
    (void)item;
    (void)items;
    (void)user;
    char *s = durable_malloc(ITEM_BYTES + 1);
    if (!s)
        return DURABLE_ENOMEM;
    memset(s, (int)('a' + index % 26), ITEM_BYTES);
    s[ITEM_BYTES] = 0;
    *result = cJSON_CreateString(s);
    durable_free(s);
    return *result ? 0 : DURABLE_ENOMEM;
}

static int h_9_16(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "large", "[0,1,2,3]", item_large, NULL, NULL));
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return DURABLE_ENOMEM;
    cJSON_AddNumberToObject(o, "successCount", (double)br->success_count);
    cJSON_AddNumberToObject(o, "totalCount", (double)br->total_count);
    *out = o;
    return 0;
}

/* 9-17: map (uppercase) then wait(1 s); the completed map replays. */
static int h_9_17(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_json_items(ctx, &br, "then-wait", "[\"a\",\"b\"]", item_upper, NULL, NULL));
    CONF_TRY(durable_wait(ctx, NULL, 1));
    return conf_batch_results(out, br);
}

/*
 * 9-19 / 9-20: an operation-level serdes for the whole map result. It writes
 * "OPSERDE:" + the successful results joined by "," and reads that back into
 * the batch-result shape (durable_batch_result_to_json) the SDK rebuilds
 * the result from on replay.
 */
static int opserde_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                             void *user)
{
    (void)sctx;
    (void)user;
    size_t cap = 16;
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(value, "all"), *e;
    cJSON_ArrayForEach(e, all) cap += strlen(conf_text(conf_field(e, "result"))) + 1;
    char *s = durable_malloc(cap);
    if (!s)
        return -1;
    strcpy(s, "OPSERDE:");
    bool first = true;
    cJSON_ArrayForEach(e, all)
    {
        if (strcmp(conf_text(conf_field(e, "status")), "SUCCEEDED") != 0)
            continue;
        if (!first)
            strcat(s, ",");
        strcat(s, conf_text(conf_field(e, "result")));
        first = false;
    }
    *out = s;
    return 0;
}

static int opserde_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                               void *user)
{
    (void)sctx;
    (void)user;
    if (!text || strncmp(text, "OPSERDE:", 8) != 0)
        return -1;
    cJSON *doc = cJSON_CreateObject();
    cJSON *all = cJSON_AddArrayToObject(doc, "all");
    const char *p = text + 8;
    int n = 0;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *v = durable_malloc(len + 1);
        if (!v) {
            cJSON_Delete(doc);
            return -1;
        }
        memcpy(v, p, len);
        v[len] = 0;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "index", n++);
        cJSON_AddStringToObject(e, "status", "SUCCEEDED");
        cJSON_AddStringToObject(e, "result", v);
        cJSON_AddItemToArray(all, e);
        durable_free(v);
        p += len;
        if (*p == ',')
            p++;
    }
    cJSON_AddStringToObject(doc, "completionReason", "ALL_COMPLETED");
    cJSON_AddStringToObject(doc, "status", "SUCCEEDED");
    cJSON_AddNumberToObject(doc, "successCount", n);
    cJSON_AddNumberToObject(doc, "failureCount", 0);
    cJSON_AddNumberToObject(doc, "startedCount", 0);
    cJSON_AddNumberToObject(doc, "totalCount", n);
    *out = doc;
    return 0;
}

static const durable_serdes opserde = {opserde_serialize, opserde_deserialize, NULL};

static int map_opserde(durable_ctx *ctx, const durable_batch_result **br)
{
    durable_map_options o = DURABLE_MAP_OPTIONS_INIT;
    o.max_concurrency = 1;
    o.serdes = &opserde;
    return map_json_items(ctx, br, "op-serdes", "[\"x\",\"y\"]", item_upper, NULL, &o);
}

static int h_9_19(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_opserde(ctx, &br));
    return conf_batch_results(out, br);
}

static int h_9_20(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)user;
    const durable_batch_result *br = NULL;
    CONF_TRY(map_opserde(ctx, &br));
    CONF_TRY(durable_wait(ctx, NULL, 1));
    return conf_batch_results(out, br);
}

const conf_handler conf_map_handlers[] = {
    {"9-1", h_9_1, NULL, 0, NULL, 0},
    {"9-2", h_9_2, NULL, 0, NULL, 0},
    {"9-4", h_9_4, NULL, 0, NULL, 0},
    {"9-5", h_9_5, NULL, 0, NULL, 0},
    {"9-7", h_9_7, NULL, 0, NULL, 0},
    {"9-8", h_9_8, NULL, 0, NULL, 0},
    {"9-10", h_9_10, NULL, 0, NULL, 0},
    {"9-11", h_9_11, NULL, 0, NULL, 0},
    {"9-13", h_9_13, NULL, 0, NULL, 0},
    {"9-14", h_9_14, NULL, 0, NULL, 0},
    {"9-16", h_9_16, NULL, 0, NULL, 0},
    {"9-17", h_9_17, NULL, 0, NULL, 0},
    {"9-19", h_9_19, NULL, 0, NULL, 0},
    {"9-20", h_9_20, NULL, 0, NULL, 0},
    {NULL, NULL, NULL, 0, NULL, 0},
};
