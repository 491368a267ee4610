/* The built-in handler tables, one per suite. */
#include <stdlib.h>
#include <string.h>

#include "conformance/handlers/handlers.h"

#define CONF_SUITE(name) {#name, conf_##name##_handlers}

const conf_handler_table conf_builtin_tables[] = {
    CONF_SUITE(step),     CONF_SUITE(wait),     CONF_SUITE(child),
    CONF_SUITE(callback), CONF_SUITE(invoke),   CONF_SUITE(wait_for_condition),
    CONF_SUITE(wait_for_callback), CONF_SUITE(parallel), CONF_SUITE(map),
    CONF_SUITE(plugin),
};
const size_t conf_builtin_table_count = sizeof conf_builtin_tables / sizeof *conf_builtin_tables;
