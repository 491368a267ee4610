/*
 * Built-in conformance handlers: one file per suite, one handler per
 * requirement (not API). Each suite file defines its table; handlers_table.c
 * lists the tables. Helpers shared by the handler files are below.
 */
#ifndef CONFORMANCE_HANDLERS_H
#define CONFORMANCE_HANDLERS_H

#include <stddef.h>

#include "conformance/conformance.h"

/* A suite's table ends with an entry whose id is NULL. */
typedef struct conf_handler_table {
    const char *suite;
    const conf_handler *items;
} conf_handler_table;

extern const conf_handler_table conf_builtin_tables[];
extern const size_t conf_builtin_table_count;

#define CONF_DECLARE_SUITE(name) extern const conf_handler conf_##name##_handlers[];

CONF_DECLARE_SUITE(step)
CONF_DECLARE_SUITE(wait)
CONF_DECLARE_SUITE(child)
CONF_DECLARE_SUITE(callback)
CONF_DECLARE_SUITE(invoke)
CONF_DECLARE_SUITE(wait_for_condition)
CONF_DECLARE_SUITE(wait_for_callback)
CONF_DECLARE_SUITE(parallel)
CONF_DECLARE_SUITE(map)
CONF_DECLARE_SUITE(plugin)

#define CONF_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* Propagate any non-zero status (PENDING, EFAILED, errors) unchanged. */
#define CONF_TRY(expr)                                                                        \
    do {                                                                                       \
        int conf_rc_ = (expr);                                                                 \
        if (conf_rc_ != 0)                                                                     \
            return conf_rc_;                                                                   \
    } while (0)

/* Text of a JSON string value, or "" for anything else. */
const char *conf_text(const cJSON *v);
/* Field `key` of an object input (NULL when absent). */
const cJSON *conf_field(const cJSON *obj, const char *key);
/* *out = a copy of v (NULL stays NULL). 0, or DURABLE_ENOMEM. */
int conf_return(cJSON **out, const cJSON *v);
/* *out = a new JSON string. 0, or DURABLE_ENOMEM. */
int conf_return_string(cJSON **out, const char *s);
/* A retry strategy with `attempts` attempts and a fixed `delay_s` (no
 * jitter, no backoff); NULL on failure. Free with durable_retry_strategy_free. */
durable_retry_strategy *conf_fixed_retry(int attempts, double delay_s);
/* *out = a copy of the batch's results in index order. */
int conf_batch_results(cJSON **out, const durable_batch_result *br);
/* *out = {completionReason, status?, successCount, failureCount?, totalCount}:
 * the projection of a batch result the requirements compare. */
int conf_batch_projection(cJSON **out, const durable_batch_result *br, bool status,
                          bool failures);

#endif
