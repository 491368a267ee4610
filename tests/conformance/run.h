/*
 * Running one conformance requirement in the local test runner and judging
 * it with the suite's rules (not API).
 */
#ifndef CONFORMANCE_RUN_H
#define CONFORMANCE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "conformance/loader.h"

typedef enum conf_status {
    CONF_PASS = 0,
    CONF_FAIL,
    CONF_OPTIONAL_FAIL, /* a failing requirement marked `optional: true` */
    CONF_NOT_IMPLEMENTED
} conf_status;

/* "PASS", "FAIL", "OPTIONAL_FAIL", "NOT_IMPLEMENTED". */
const char *conf_status_name(conf_status s);

/* Strings are malloc'd (conf_outcome_clear); NULL when not applicable. */
typedef struct conf_outcome {
    conf_status status;
    char *reason;    /* FAIL: the first mismatch; NOT_IMPLEMENTED: why */
    char *path;      /* where the first mismatch is */
    char *expected;  /* its expected value */
    char *actual;    /* its actual value */
    char *execution; /* how the execution ended: "SUCCEEDED", "FAILED (StepError: boom)" */
    double ms;       /* wall time of the requirement */
} conf_outcome;

void conf_outcome_clear(conf_outcome *o);
/* One-line JSON of an outcome (malloc'd) and back; used across the fork. */
char *conf_outcome_to_json(const conf_outcome *o);
int conf_outcome_from_json(conf_outcome *o, const char *text);

typedef struct conf_run_options {
    uint64_t seed;          /* GEN_STR values derive from it and the id */
    int64_t idle_limit_ms;  /* how long a run may stay without progress */
    const char *tmp_dir;    /* where crash requirements keep their database */
    bool verbose;           /* on failure, print the actual history and logs to stderr */
} conf_run_options;

/*
 * Run req with its registered handler (conformance.h) in a fresh test
 * environment (":memory:", or a temporary file for CONF_CRASH handlers) with
 * time skipping, send its CallbackActions, and compare history, result and
 * logs (SPEC §12). Always fills *out (zeroed by the caller); returns 0.
 */
int conf_run_requirement(conf_outcome *out, const conf_requirement *req,
                         const conf_run_options *opts);

#endif
