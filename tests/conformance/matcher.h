/*
 * Conformance comparison rules (SPEC.md §12.1–§12.3, §12.5 logs), exactly as
 * the suite's matcher applies them (not API; part of the conformance runner).
 *
 *  - Variables: `${GEN_STR:N}` (whole value) → N random chars of [a-z0-9];
 *    any other value is bound literally as a string.
 *  - Substitution: every bound `${NAME}` is replaced, recursively, also
 *    inside larger strings. A whole-string `${NAME}` becomes the bound value
 *    itself (keeping its type); inside a larger string its text form.
 *  - History: expected events are looked up by EventId; each expected key
 *    must exist in the actual event; '*' and {} accept anything present; a
 *    whole-string `${X}` binds on first use and must be equal afterwards;
 *    `${/re/}` searches the actual value's string form; lists compare by
 *    length then element by element; scalars compare after substitution,
 *    numbers numerically (2 == 2.0). Payloads are plain strings and are
 *    therefore compared literally.
 *  - Result: status first (a mismatch ends the comparison); only SUCCEEDED
 *    compares the Result, parsed once as JSON (raw string if it is not
 *    JSON), object key order ignored; a null expectation accepts an absent
 *    result.
 *  - Logs: see conf_match_logs.
 *
 * Regexes are written in the suite's (Python) dialect and run with POSIX
 * extended regexes after a small translation: a leading `(?i)` becomes
 * REG_ICASE, `\d \D \s \S \w \W` become bracket expressions, `\/` is `/`.
 *
 * Memory: everything returned is allocated with malloc/cJSON and belongs to
 * the caller (conf_mismatch_clear, conf_bindings_clear, cJSON_Delete, free).
 */
#ifndef CONFORMANCE_MATCHER_H
#define CONFORMANCE_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* ---- mismatches ---------------------------------------------------------------- */

/* The first mismatch found. All strings are owned (free with
 * conf_mismatch_clear); expected/actual may be NULL when not applicable. */
typedef struct conf_mismatch {
    char *path;     /* e.g. "EventId=3.StepSucceededDetails.Result.Payload" */
    char *expected; /* compact text of the expected value */
    char *actual;   /* compact text of the actual value */
    char *message;  /* one line for people */
} conf_mismatch;

void conf_mismatch_clear(conf_mismatch *m);
/* Record a mismatch (printf-style message); only the first one is kept. */
void conf_mismatch_set(conf_mismatch *m, const char *path, const cJSON *expected,
                       const cJSON *actual, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* ---- bindings, variables, substitution ------------------------------------- */

typedef struct conf_bindings {
    char **names;
    cJSON **values; /* owned copies */
    size_t count, cap;
} conf_bindings;

void conf_bindings_clear(conf_bindings *b);
const cJSON *conf_bindings_get(const conf_bindings *b, const char *name);
/* Bind (a copy of) value; rebinding replaces. 0, or -1 on allocation failure. */
int conf_bindings_set(conf_bindings *b, const char *name, const cJSON *value);

/* Resolve a Variables mapping (NULL or null = none) into b. rng is a
 * splitmix64 state advanced for each generated character. 0, or -1 with a
 * message in err (a malformed GEN_STR length, a non-mapping). */
int conf_resolve_variables(conf_bindings *b, const cJSON *variables, uint64_t *rng, char *err,
                           size_t errlen);

/* A new deep copy of value with every bound ${NAME} substituted (unbound
 * placeholders and ${/re/} are left as written). NULL on allocation failure. */
cJSON *conf_substitute(const cJSON *value, const conf_bindings *b);

/* If s is exactly "${NAME}" (NAME = [A-Za-z_][A-Za-z0-9_]*), copy NAME into
 * name (size >= 2 bytes) and return true. */
bool conf_placeholder_name(const char *s, char *name, size_t size);
/* If s is exactly "${/re/}", return a malloc'd copy of re; else NULL. */
char *conf_placeholder_regex(const char *s);

/* ---- regex ------------------------------------------------------------------------ */

/*
 * Search `text` for the suite-dialect regex `pattern` (unanchored, like
 * Python's re.search). *found receives the answer. Returns 0, or -1 when the
 * pattern does not compile (message in err).
 */
int conf_regex_search(bool *found, const char *pattern, const char *text, char *err,
                      size_t errlen);

/* Translate a suite-dialect regex to POSIX ERE: *posix (malloc'd) and
 * *icase (a leading "(?i)"). 0, or -1 on allocation failure. */
int conf_regex_translate(char **posix, bool *icase, const char *pattern);

/* The "string form" of a value used by ${/re/} and log regexes, as Python's
 * str() writes it: strings as is, integral numbers without a fraction,
 * True/False, None; containers as compact JSON. malloc'd. */
char *conf_string_form(const cJSON *v);

/* Python's repr() of a double ("2.0", "1e-05", "1.5e+16") into out. */
void conf_python_float_repr(char *out, size_t size, double d);

/* Deep equality: numbers numerically, objects ignoring key order, lists in
 * order, no coercion between types. */
bool conf_json_equal(const cJSON *a, const cJSON *b);

/* ---- history ---------------------------------------------------------------- */

/* Copy each WaitForCallback CONTEXT's Name onto the CallbackStarted,
 * StepStarted and StepSucceeded events of its direct children (events whose
 * ParentId is the context's Id) that carry no Name (SPEC §12.2). The Id →
 * context mapping is taken from ContextStarted/ContextSucceeded/ContextFailed
 * events with SubType WaitForCallback. */
void conf_inherit_callback_names(cJSON *events);

/*
 * Match the expected events (a list of mappings, each with an EventId)
 * against the actual events (the history's "Events" array, each with an
 * EventId). Bindings made by placeholders are added to b. Returns 0 when
 * everything matches, 1 with the first mismatch in *m, -1 on a malformed
 * expectation (message in *m).
 */
int conf_match_history(conf_mismatch *m, const cJSON *expected_events,
                       const cJSON *actual_events, conf_bindings *b);

/* Match one expected value against one actual value at `path` (the rules of
 * the table in SPEC §12.2). Same return convention. */
int conf_match_value(conf_mismatch *m, const char *path, const cJSON *expected,
                     const cJSON *actual, conf_bindings *b);

/* ---- result ------------------------------------------------------------------- */

/*
 * Compare ExpectedResult (a mapping with ExecutionStatus and optionally
 * Result; NULL = nothing to check) with the actual status name
 * ("SUCCEEDED", …) and the actual result text (NULL = absent). The expected
 * Result is substituted with b first. Same return convention.
 */
int conf_match_result(conf_mismatch *m, const cJSON *expected_result, const char *actual_status,
                      const char *actual_result, const conf_bindings *b);

/* ---- logs ----------------------------------------------------------------------- */

/*
 * ExpectedLogs (SPEC §12.5): each entry is {match: {field: value}, count |
 * min_count (default 1) | max_count, before?: [match…], after?: [match…]}.
 * A line that is a JSON object is matched field by field (every field in
 * `match` must be present); any other line exposes only `message` (the whole
 * line). A value written "/re/" is a regex searched in the field's string
 * form; strings compare after trimming both sides; booleans by identity;
 * numbers as doubles. `after` requires every matching line to come after
 * every line matching each anchor, `before` before them; an anchor that
 * matches no line is an error. The entries are substituted with b first.
 * Same return convention.
 */
int conf_match_logs(conf_mismatch *m, const cJSON *expected_logs, const char *const *lines,
                    size_t line_count, const conf_bindings *b);

#endif
