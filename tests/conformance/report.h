/*
 * The conformance report (not API): one line per requirement, totals per
 * suite, and a last line that is exactly
 *     conformance: passed=<n> failed=<m> not_implemented=<k> total=<t>
 * (OPTIONAL_FAIL counts as failed), or the same as one JSON document.
 */
#ifndef CONFORMANCE_REPORT_H
#define CONFORMANCE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "conformance/loader.h"
#include "conformance/run.h"

typedef struct conf_row {
    const conf_requirement *req; /* borrowed */
    conf_outcome out;            /* owned */
} conf_row;

typedef struct conf_totals {
    int passed, failed, not_implemented, total;
} conf_totals;

void conf_totals_add(conf_totals *t, conf_status s);

/* "PASS  1-1  step  12 ms  description" / "FAIL  …  reason (execution: …)". */
void conf_report_line(FILE *f, const conf_row *row);

/* Per-suite lines ("suite step: passed=…") then the final summary line. */
void conf_report_totals(FILE *f, const conf_row *rows, size_t n);

/* The final line only, to f. */
void conf_report_summary_line(FILE *f, const conf_row *rows, size_t n);

/* {"seed":…, "requirements":[…], "suites":[…], "totals":{…}}; caller frees. */
cJSON *conf_report_json(const conf_row *rows, size_t n, uint64_t seed);

#endif
