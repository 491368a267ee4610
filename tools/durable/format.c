/* durable — time/duration formatting, JSON printing and aligned tables. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_fmt_time(char *buf, size_t size, int64_t ms)
{
    if (ms <= 0) {
        snprintf(buf, size, "-");
        return;
    }
    durable_ts_format_rfc3339(buf, size, ms);
}

void cli_fmt_duration(char *buf, size_t size, int64_t start_ms, int64_t end_ms)
{
    if (start_ms <= 0 || end_ms <= 0 || end_ms < start_ms) {
        snprintf(buf, size, "-");
        return;
    }
    int64_t d = end_ms - start_ms;
    if (d < 60000)
        snprintf(buf, size, "%lld.%03llds", (long long)(d / 1000), (long long)(d % 1000));
    else if (d < 3600000)
        snprintf(buf, size, "%lldm%02llds", (long long)(d / 60000), (long long)(d / 1000 % 60));
    else
        snprintf(buf, size, "%lldh%02lldm%02llds", (long long)(d / 3600000),
                 (long long)(d / 60000 % 60), (long long)(d / 1000 % 60));
}

int cli_print_json(cJSON *json)
{
    char *text = json ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    if (!text) {
        fprintf(stderr, "durable: out of memory printing JSON\n");
        return CLI_DBERR;
    }
    printf("%s\n", text);
    cJSON_free(text);
    return CLI_OK;
}

struct cli_table {
    int ncols;
    size_t nrows, cap;
    char **cells; /* row-major, row 0 = headers */
};

static char *xstrdup(const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "durable: out of memory\n");
        exit(CLI_DBERR);
    }
    /* Tabs and newlines would break the alignment: shown as spaces. */
    for (size_t i = 0; i < n; i++)
        p[i] = (s[i] == '\n' || s[i] == '\t' || s[i] == '\r') ? ' ' : s[i];
    return p;
}

cli_table *cli_table_new(int ncols, const char *const *headers)
{
    cli_table *t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "durable: out of memory\n");
        exit(CLI_DBERR);
    }
    t->ncols = ncols;
    cli_table_row(t, headers);
    return t;
}

void cli_table_row(cli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = realloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
        if (!t->cells) {
            fprintf(stderr, "durable: out of memory\n");
            exit(CLI_DBERR);
        }
    }
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = xstrdup(cells[c]);
    t->nrows++;
}

void cli_table_print(cli_table *t, FILE *f)
{
    size_t *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t n = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (n > w[c])
                w[c] = n;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            if (c == t->ncols - 1)
                fprintf(f, "%s", s);
            else
                fprintf(f, "%-*s  ", (int)w[c], s);
        }
        fputc('\n', f);
    }
    free(w);
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
