/* Requirement id -> handler: registered tables first, then the built-ins. */
#include <stdlib.h>
#include <string.h>

#include "conformance/conformance.h"
#include "conformance/handlers/handlers.h"

typedef struct reg_table {
    const conf_handler *items;
    size_t count;
} reg_table;

static reg_table *reg_tables;
static size_t reg_count, reg_cap;

int conf_register_handlers(const conf_handler *table, size_t count)
{
    if (reg_count == reg_cap) {
        size_t cap = reg_cap ? reg_cap * 2 : 8;
        reg_table *t = realloc(reg_tables, cap * sizeof *t);
        if (!t)
            return -1;
        reg_tables = t;
        reg_cap = cap;
    }
    reg_tables[reg_count].items = table;
    reg_tables[reg_count].count = count;
    reg_count++;
    return 0;
}

static const conf_handler *reg_find_in(const conf_handler *items, size_t count, const char *id)
{
    for (size_t i = count; i-- > 0;)
        if (items[i].id && !strcmp(items[i].id, id))
            return &items[i];
    return NULL;
}

const conf_handler *conf_find_handler(const char *id)
{
    for (size_t t = reg_count; t-- > 0;) {
        const conf_handler *h = reg_find_in(reg_tables[t].items, reg_tables[t].count, id);
        if (h)
            return h;
    }
    for (size_t s = 0; s < conf_builtin_table_count; s++) {
        const conf_handler *items = conf_builtin_tables[s].items;
        for (size_t i = 0; items[i].id; i++)
            if (!strcmp(items[i].id, id))
                return &items[i];
    }
    return NULL;
}

size_t conf_builtin_handler_count(void)
{
    size_t n = 0;
    for (size_t s = 0; s < conf_builtin_table_count; s++)
        for (size_t i = 0; conf_builtin_tables[s].items[i].id; i++)
            n++;
    return n;
}
