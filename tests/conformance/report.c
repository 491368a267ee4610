/* The conformance report: lines, per-suite totals, JSON. */
#include "conformance/report.h"

#include <string.h>

void conf_totals_add(conf_totals *t, conf_status s)
{
    t->total++;
    if (s == CONF_PASS)
        t->passed++;
    else if (s == CONF_NOT_IMPLEMENTED)
        t->not_implemented++;
    else
        t->failed++;
}

void conf_report_line(FILE *f, const conf_row *row)
{
    const conf_outcome *o = &row->out;
    fprintf(f, "%-15s %-6s %-19s %6.0f ms  ", conf_status_name(o->status), row->req->id,
            row->req->suite, o->ms);
    if (o->status == CONF_PASS) {
        fprintf(f, "%s\n", row->req->description);
        return;
    }
    fprintf(f, "%s", o->reason ? o->reason : "(no reason given)");
    if (o->execution)
        fprintf(f, " (execution: %s)", o->execution);
    fputc('\n', f);
}

static conf_totals rp_totals(const conf_row *rows, size_t n, const char *suite)
{
    conf_totals t = {0};
    for (size_t i = 0; i < n; i++)
        if (!suite || !strcmp(rows[i].req->suite, suite))
            conf_totals_add(&t, rows[i].out.status);
    return t;
}

/* Suites in order of first appearance. */
static size_t rp_suites(const char **out, size_t max, const conf_row *rows, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < k; j++)
            if (!strcmp(out[j], rows[i].req->suite))
                seen = true;
        if (!seen && k < max)
            out[k++] = rows[i].req->suite;
    }
    return k;
}

void conf_report_summary_line(FILE *f, const conf_row *rows, size_t n)
{
    conf_totals t = rp_totals(rows, n, NULL);
    fprintf(f, "conformance: passed=%d failed=%d not_implemented=%d total=%d\n", t.passed,
            t.failed, t.not_implemented, t.total);
}

void conf_report_totals(FILE *f, const conf_row *rows, size_t n)
{
    const char *suites[256];
    size_t k = rp_suites(suites, 256, rows, n);
    for (size_t s = 0; s < k; s++) {
        conf_totals t = rp_totals(rows, n, suites[s]);
        fprintf(f, "suite %-19s passed=%d failed=%d not_implemented=%d total=%d\n",
                suites[s][0] ? suites[s] : "(root)", t.passed, t.failed, t.not_implemented,
                t.total);
    }
    conf_report_summary_line(f, rows, n);
}

static cJSON *rp_totals_json(conf_totals t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "passed", t.passed);
    cJSON_AddNumberToObject(j, "failed", t.failed);
    cJSON_AddNumberToObject(j, "not_implemented", t.not_implemented);
    cJSON_AddNumberToObject(j, "total", t.total);
    return j;
}

static void rp_opt(cJSON *j, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(j, key, v);
}

cJSON *conf_report_json(const conf_row *rows, size_t n, uint64_t seed)
{
    cJSON *doc = cJSON_CreateObject();
    char seedtext[32];
    snprintf(seedtext, sizeof seedtext, "%llu", (unsigned long long)seed);
    cJSON_AddStringToObject(doc, "seed", seedtext);
    cJSON *reqs = cJSON_AddArrayToObject(doc, "requirements");
    for (size_t i = 0; i < n; i++) {
        const conf_outcome *o = &rows[i].out;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", rows[i].req->id);
        cJSON_AddStringToObject(r, "suite", rows[i].req->suite);
        cJSON_AddStringToObject(r, "status", conf_status_name(o->status));
        cJSON_AddStringToObject(r, "description", rows[i].req->description);
        cJSON_AddBoolToObject(r, "optional", rows[i].req->optional);
        rp_opt(r, "reason", o->reason);
        rp_opt(r, "path", o->path);
        rp_opt(r, "expected", o->expected);
        rp_opt(r, "actual", o->actual);
        rp_opt(r, "execution", o->execution);
        cJSON_AddNumberToObject(r, "ms", (double)(long long)(o->ms * 10 + 0.5) / 10);
        cJSON_AddItemToArray(reqs, r);
    }
    cJSON *suites = cJSON_AddArrayToObject(doc, "suites");
    const char *names[256];
    size_t k = rp_suites(names, 256, rows, n);
    for (size_t s = 0; s < k; s++) {
        cJSON *t = rp_totals_json(rp_totals(rows, n, names[s]));
        cJSON_AddStringToObject(t, "suite", names[s]);
        cJSON_AddItemToArray(suites, t);
    }
    cJSON_AddItemToObject(doc, "totals", rp_totals_json(rp_totals(rows, n, NULL)));
    return doc;
}
