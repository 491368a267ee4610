/*
 * Running one conformance requirement in the local test runner and judging
 * it with the suite's rules (not API).
 */
#ifndef CONFORMANCE_RUN_H
#define CONFORMANCE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "conformance/loader.h"
#include "durable/testing.h"

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
    /* HTTP mode (make conformance-http): the function program (a
     * durable_lambda_run process serving every handler by _HANDLER) that
     * `durable serve` hosts; NULL = the local runner. */
    const char *http_function;
    int64_t http_timeout_ms; /* how long the cloud runner waits for the end */
} conf_run_options;

/*
 * The HTTP mode's executor, set by tests/conformance/http/run_http.c when
 * it is linked in (the conformance-http program): run the requirement's
 * handler (as function `function_name`) in a durable_lambda_run process of
 * a `durable serve` started for it, drive it with the cloud runner through
 * the HTTP API with the given callback actions, and return its result and
 * the run's code (0, DURABLE_ETIMEOUT for a run that did not end: *out is
 * then a RUNNING snapshot). Any other failure: non-zero with *out NULL and
 * the reason in err.
 */
typedef int (*conf_http_run_fn)(durable_test_result **out, const conf_requirement *req,
                                const char *function_name, const char *input,
                                const durable_test_callback_action *actions,
                                size_t action_count, const conf_run_options *opts,
                                char *err, size_t errlen);
extern conf_http_run_fn conf_http_run;

/*
 * Run req with its registered handler (conformance.h) in a fresh test
 * environment (":memory:", or a temporary file for CONF_CRASH handlers) with
 * time skipping, send its CallbackActions, and compare history, result and
 * logs (SPEC §12). Always fills *out (zeroed by the caller); returns 0.
 */
int conf_run_requirement(conf_outcome *out, const conf_requirement *req,
                         const conf_run_options *opts);

#endif
