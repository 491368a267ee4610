/*
 * A C durable function for `durable serve`, used by `make interop-official`:
 * the project's conformance handlers (tests/conformance/handlers) behind the
 * Lambda runtime loop (durable_lambda_run), one requirement per function.
 *
 * _HANDLER names what this process serves, as a Lambda runtime reads it:
 * a requirement id ("4-1"), whose handler, plugins and logging flags come
 * from the conformance tables exactly as `make conformance` uses them; or one
 * of the chained-invoke targets the invoke handlers call, "echo" /
 * "echo-tenant" (return the input) and "error" (fail with a typed error),
 * the same behaviour as the local runner's targets (tests/conformance/targets.c,
 * which registers them on a test runner and so cannot be reused here).
 *
 * `c_function --list` prints the requirement ids it has handlers for, one a
 * line (the harness writes a function into the C template for each).
 *
 * Exit status: 1 when the loop ends on an error (it never ends otherwise:
 * the server ends the process), 2 for an unknown _HANDLER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance/conformance.h"
#include "conformance/handlers/handlers.h"
#include "durable/lambda.h"

static int target_echo(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)user;
    *out = input ? cJSON_Duplicate(input, 1) : NULL;
    return input && !*out ? DURABLE_ENOMEM : 0;
}

static int target_error(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    (void)out;
    (void)user;
    return durable_ctx_fail(ctx, "TargetError", "The target function failed on purpose", NULL);
}

static void list_ids(void)
{
    for (size_t s = 0; s < conf_builtin_table_count; s++)
        for (const conf_handler *h = conf_builtin_tables[s].items; h->id; h++)
            printf("%s\n", h->id);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        list_ids();
        return 0;
    }
    const char *id = getenv("_HANDLER");
    durable_lambda_options o = DURABLE_LAMBDA_OPTIONS_INIT;
    durable_handler_fn fn = NULL;
    void *user = NULL;
    if (!id) {
        fprintf(stderr, "c_function: _HANDLER is not set\n");
        return 2;
    }
    if (!strcmp(id, "echo") || !strcmp(id, "echo-tenant")) {
        fn = target_echo;
    } else if (!strcmp(id, "error")) {
        fn = target_error;
    } else {
        const conf_handler *h = conf_find_handler(id);
        if (!h) {
            fprintf(stderr, "c_function: no conformance handler for '%s'\n", id);
            return 2;
        }
        fn = h->handler;
        user = h->user;
        o.invocation.plugins = h->plugins;
        o.invocation.plugin_count = h->plugin_count;
        o.invocation.logger.log_during_replay = (h->flags & CONF_LOG_DURING_REPLAY) != 0;
    }
    return durable_lambda_run(fn, user, &o) == 0 ? 0 : 1;
}
