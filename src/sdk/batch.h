/* Shared batch runner of map and parallel (SPEC §10.10); internal. */
#ifndef DURABLE_SRC_SDK_BATCH_H
#define DURABLE_SRC_SDK_BATCH_H

#include "sdk/context_internal.h"

typedef struct durable__batch_spec {
    const char *api;            /* "durable_map" / "durable_parallel" for messages */
    const char *subtype;        /* parent SubType */
    const char *item_subtype;   /* item SubType */
    const char *summary_type;   /* "MapResult" / "ParallelResult" */
    size_t count;
    /* The item's name: heap text (durable_strdup) or NULL on failure. */
    char *(*item_name)(size_t index, void *user);
    /* Run item index on item_ctx (a durable_child_fn with an index). */
    int (*run_item)(durable_ctx *item_ctx, cJSON **result, size_t index, void *user);
    void *user;
    int max_concurrency;
    durable_completion_config completion;
    durable_nesting nesting;
    const durable_serdes *serdes;
    const durable_serdes *item_serdes;
    durable_summary_fn summary;
    void *summary_user;
} durable__batch_spec;

/* Validate, then run the batch as a CONTEXT on ctx (batch.c). */
int durable__batch_run(durable_ctx *ctx, const durable_batch_result **out, const char *name,
                       const durable__batch_spec *spec);

/* One item's outcome. */
typedef struct durable__item_state {
    durable_item_status status;  /* 0 = never started */
    const cJSON *result;         /* SUCCEEDED; exec-kept */
    durable_error_object *error; /* FAILED; exec-kept */
    durable__scope *scope;       /* items that ran */
} durable__item_state;

/* The completion check (strict >, percentage over all items). */
durable_completion_reason durable__batch_completion(const durable__batch_spec *s,
                                                    size_t succeeded, size_t failed, size_t done);

/*
 * Run the items of s as the operations of the batch context pctx
 * (batch_items.c): items[0..count) get the outcomes (status 0 = never
 * started), *reason the completion reason, NONE when the items that are not
 * done are all suspended. Returns 0, DURABLE_PENDING when pctx is blocked,
 * or a code that fails the invocation; in every case no item function is
 * running any more when it returns.
 */
int durable__batch_items(durable_ctx *pctx, const durable__batch_spec *s,
                         durable__item_state *items, durable_completion_reason *reason);

#endif
