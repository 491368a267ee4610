/* The SDK's operation table (state.c): lookups by Id after any sequence of
 * inserts and replacements, and the views replay reads. A view is a shallow
 * copy of an entry; replacing the entry retires the old copy instead of
 * freeing it, so every view taken during an invocation keeps reading what
 * it read when taken (under ASan a freed string would be reported). */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "sdk/context_internal.h"
#include "support/testutil.h"

enum { IDS = 40, STEPS = 600, MAX_VIEWS = 200 };

static void make_op(durable_operation *op, int id, int version, dt_rng *rng)
{
    char buf[64];
    durable_operation_init(op);
    snprintf(buf, sizeof buf, "op-%d", id);
    op->id = durable__strdup(buf);
    snprintf(buf, sizeof buf, "\"result %d.%d\"", id, version);
    op->result = durable__strdup(buf);
    op->name = dt_rng_below(rng, 2) ? durable__strdup("named") : NULL;
    op->type = DURABLE_OP_STEP;
    op->status = dt_rng_below(rng, 2) ? DURABLE_OP_SUCCEEDED : DURABLE_OP_STARTED;
    op->attempt = version;
    if (dt_rng_below(rng, 3) == 0)
        durable_error_object_new(&op->error, "E", "failed", NULL);
}

typedef struct view {
    durable_operation shallow; /* borrowed from the table */
    durable_operation snap;    /* deep copy taken at the same time */
} view;

static void test_views_survive_replacement(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed);
    for (int round = 0; round < 20; round++) {
        durable__optable t;
        memset(&t, 0, sizeof t);
        int version[IDS] = {0};
        static view views[MAX_VIEWS];
        int nviews = 0;
        for (int k = 0; k < STEPS; k++) {
            int id = (int)dt_rng_below(&rng, IDS);
            char key[32];
            snprintf(key, sizeof key, "op-%d", id);
            switch (dt_rng_below(&rng, 3)) {
            case 0: { /* put: a deep copy */
                durable_operation op;
                make_op(&op, id, ++version[id], &rng);
                CU_ASSERT_EQUAL_FATAL(durable__optable_put(&t, &op), 0);
                durable_operation_clear(&op);
                break;
            }
            case 1: { /* take: moved in */
                durable_operation op;
                make_op(&op, id, ++version[id], &rng);
                CU_ASSERT_EQUAL_FATAL(durable__optable_take(&t, &op), 0);
                DT_PROP(op.id == NULL && op.result == NULL, seed, k);
                break;
            }
            default: { /* a view, as replay takes one */
                const durable_operation *e = durable__optable_get(&t, key);
                DT_PROP((e != NULL) == (version[id] > 0), seed, k);
                if (e && nviews < MAX_VIEWS) {
                    views[nviews].shallow = *e;
                    CU_ASSERT_EQUAL_FATAL(durable_operation_copy(&views[nviews].snap, e), 0);
                    nviews++;
                }
                break;
            }
            }
        }
        /* The latest copy of each Id is what a lookup finds. */
        size_t present = 0;
        for (int id = 0; id < IDS; id++) {
            char key[32], want[64];
            snprintf(key, sizeof key, "op-%d", id);
            const durable_operation *e = durable__optable_get(&t, key);
            if (!version[id]) {
                DT_PROP(e == NULL, seed, id);
                continue;
            }
            present++;
            snprintf(want, sizeof want, "\"result %d.%d\"", id, version[id]);
            DT_PROP(e && strcmp(e->id, key) == 0 && strcmp(e->result, want) == 0 &&
                        e->attempt == version[id],
                    seed, id);
        }
        DT_PROP(t.count == present, seed, round);
        /* Every view still reads what it read when taken. */
        for (int v = 0; v < nviews; v++) {
            DT_PROP(durable_operation_equal(&views[v].shallow, &views[v].snap), seed, v);
            durable_operation_clear(&views[v].snap);
        }
        durable__optable_clear(&t);
        DT_PROP(t.count == 0 && t.retired.count == 0, seed, round);
    }
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_optable");
    DT_ADD(s, test_views_survive_replacement);
    return dt_run();
}
