/*
 * Conformance handlers: how a requirement id is bound to a C handler
 * (not library API; the interface of the conformance runner's handler files).
 *
 * A handler file (one of the tests/conformance/handlers/ files, or a file given to
 * `make conformance EXTRA_HANDLERS="my.c"`) writes each requirement's handler
 * from the requirement's `handler` / `invocations` prose with the public API
 * only (durable/context.h), and lists them in a table:
 *
 *     static int h_my_1(durable_ctx *ctx, const cJSON *in, cJSON **out, void *u);
 *     static const conf_handler my_handlers[] = {
 *         {"my-1", h_my_1, NULL, 0, NULL, 0},
 *     };
 *     CONFORMANCE_HANDLERS(my_handlers)
 *
 * CONFORMANCE_HANDLERS registers the table before main() runs, so a file
 * only has to be linked in. A registered id replaces a built-in handler of
 * the same id. Each requirement runs in its own process, so handler and
 * plugin state kept in static variables starts fresh for every requirement.
 *
 * Chained-invoke targets every requirement can call: "echo" (durable,
 * returns its input), "echo-tenant" (the same, for the tenant case),
 * "error" (durable, fails) and "non-durable" (a plain function returning its
 * input).
 */
#ifndef CONFORMANCE_CONFORMANCE_H
#define CONFORMANCE_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "durable/context.h"
#include "durable/testing.h"

/* The requirement crashes its process on purpose: run it on a file database
 * with the runner's crash isolation (each invocation in a forked child). */
#define CONF_CRASH 0x1u
/* The context logger also writes while replaying (log_during_replay). */
#define CONF_LOG_DURING_REPLAY 0x2u

typedef struct conf_handler {
    const char *id;                /* requirement id, e.g. "1-1" */
    durable_handler_fn handler;    /* the handler; `user` is passed to it */
    void *user;
    unsigned flags;                /* CONF_* */
    const durable_plugin *plugins; /* passed to every invocation; may be NULL */
    size_t plugin_count;
} conf_handler;

/* Register a table (borrowed: it must outlive the run, as a static table
 * does). Returns 0, or -1 when out of memory. */
int conf_register_handlers(const conf_handler *table, size_t count);

/* The handler for id: a registered one first, then the built-in table;
 * NULL when there is none. */
const conf_handler *conf_find_handler(const char *id);

/* Number of built-in handlers (for the report header). */
size_t conf_builtin_handler_count(void);

#if defined(__GNUC__)
#define CONFORMANCE_HANDLERS(table)                                                           \
    __attribute__((constructor)) static void conf_register_##table(void)                       \
    {                                                                                          \
        (void)conf_register_handlers((table), sizeof(table) / sizeof((table)[0]));             \
    }
#endif

/* Register the chained-invoke targets on a runner (echo, echo-tenant,
 * error, non-durable). Returns 0 or the runner's error code. */
int conf_register_targets(durable_test_runner *r);

#endif
