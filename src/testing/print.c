/* The operations of a result as an aligned text table (seed "print"). */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "testing/result_internal.h"

enum { COL_ID, COL_PARENT, COL_NAME, COL_TYPE, COL_SUBTYPE, COL_STATUS, COL_START, COL_END,
       COL_DURATION, COL_COUNT };

static const char *const HEADERS[COL_COUNT] = { "ID",     "PARENT ID", "NAME",  "TYPE",    "SUBTYPE",
                                                "STATUS", "START",     "END",   "DURATION" };

static void cell(char *buf, size_t size, const durable_test_operation *op, int col)
{
    const durable_operation *d = &op->data;
    const char *s = NULL;
    switch (col) {
    case COL_ID: s = d->id; break;
    case COL_PARENT: s = d->parent_id; break;
    case COL_NAME: s = d->name; break;
    case COL_TYPE: s = durable_op_type_name(d->type); break;
    case COL_SUBTYPE: s = d->subtype; break;
    case COL_STATUS: s = durable_op_status_name(d->status); break;
    case COL_START:
        if (d->start_timestamp) {
            durable_ts_format_rfc3339(buf, size, d->start_timestamp);
            return;
        }
        break;
    case COL_END:
        if (d->end_timestamp) {
            durable_ts_format_rfc3339(buf, size, d->end_timestamp);
            return;
        }
        break;
    case COL_DURATION:
        if (d->end_timestamp && d->start_timestamp) {
            int64_t ms = d->end_timestamp - d->start_timestamp;
            snprintf(buf, size, "%lld.%03llds", (long long)(ms / 1000),
                     (long long)((ms < 0 ? -ms : ms) % 1000));
            return;
        }
        break;
    default: break;
    }
    snprintf(buf, size, "%s", s && *s ? s : "-");
}

static void put_padded(durable__strbuf *b, const char *s, size_t width, bool last)
{
    size_t n = strlen(s);
    durable__strbuf_put(b, s, n);
    if (last)
        return;
    for (size_t i = n; i < width + 2; i++)
        durable__strbuf_put(b, " ", 1);
}

int durable_test_result_format_table(char **out, const durable_test_result *r,
                                     const durable_test_print_options *opts)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_format_table: NULL "
                                                  "argument");
    *out = NULL;
    durable_test_print_options def = DURABLE_TEST_PRINT_OPTIONS_INIT;
    const durable_test_print_options *o = opts ? opts : &def;
    bool on[COL_COUNT] = { o->id, o->parent_id, o->name, o->type, o->subtype,
                           o->status, o->start, o->end, o->duration };
    int cols[COL_COUNT];
    int ncols = 0;
    for (int c = 0; c < COL_COUNT; c++)
        if (on[c])
            cols[ncols++] = c;
    if (ncols == 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_result_format_table: no column selected");
    size_t width[COL_COUNT] = { 0 };
    char tmp[512];
    for (int k = 0; k < ncols; k++)
        width[cols[k]] = strlen(HEADERS[cols[k]]);
    for (size_t i = 0; i < r->op_count; i++)
        for (int k = 0; k < ncols; k++) {
            cell(tmp, sizeof tmp, &r->ops[i], cols[k]);
            size_t n = strlen(tmp);
            if (n > width[cols[k]])
                width[cols[k]] = n;
        }
    durable__strbuf b = { 0 };
    for (int k = 0; k < ncols; k++)
        put_padded(&b, HEADERS[cols[k]], width[cols[k]], k == ncols - 1);
    durable__strbuf_put(&b, "\n", 1);
    for (size_t i = 0; i < r->op_count; i++) {
        for (int k = 0; k < ncols; k++) {
            cell(tmp, sizeof tmp, &r->ops[i], cols[k]);
            put_padded(&b, tmp, width[cols[k]], k == ncols - 1);
        }
        durable__strbuf_put(&b, "\n", 1);
    }
    *out = durable__strbuf_take(&b);
    return *out ? 0 : durable__error_oom();
}

int durable_test_result_print(const durable_test_result *r, FILE *f,
                              const durable_test_print_options *opts)
{
    char *text = NULL;
    int rc = durable_test_result_format_table(&text, r, opts);
    if (rc < 0)
        return rc;
    fputs(text, f ? f : stdout);
    durable_free(text);
    return 0;
}
