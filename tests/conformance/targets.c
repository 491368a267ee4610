/* Chained-invoke targets of the conformance suite (SPEC.md §12.5). */
#include <stdio.h>
#include <string.h>

#include "conformance/conformance.h"

/* echo / echo-tenant: a durable function that returns its input. */
static int target_echo(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)user;
    *out = input ? cJSON_Duplicate(input, 1) : NULL;
    return input && !*out ? DURABLE_ENOMEM : 0;
}

/* error: a durable function that fails with a typed error. */
static int target_error(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_ctx_fail(ctx, "TargetError", "The target function failed on purpose", NULL);
}

/* non-durable: a plain function that returns its input. */
static int target_plain(cJSON **result, durable_error_object *error, const cJSON *input,
                        void *user)
{
    (void)error;
    (void)user;
    *result = input ? cJSON_Duplicate(input, 1) : NULL;
    return 0;
}

int conf_register_targets(durable_test_runner *r)
{
    int rc = durable_test_runner_register_durable_function(r, "echo", target_echo, NULL);
    if (rc == 0)
        rc = durable_test_runner_register_durable_function(r, "echo-tenant", target_echo, NULL);
    if (rc == 0)
        rc = durable_test_runner_register_durable_function(r, "error", target_error, NULL);
    if (rc == 0)
        rc = durable_test_runner_register_function(r, "non-durable", target_plain, NULL);
    return rc;
}
