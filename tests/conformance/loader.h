/*
 * Conformance requirement loader (not API; part of the conformance runner).
 *
 * Reads the official suite's YAML requirement files with libyaml and turns
 * each document into a cJSON tree, following PyYAML's YAML 1.1 scalar rules
 * (SPEC.md §12.1): an empty plain scalar, `~` and `null` are null; `true`,
 * `false`, `yes`, `no`, `on`, `off` (any of their three casings) are bools;
 * bare decimal, 0x, 0o/leading-0 and 0b integers are ints; numbers with a
 * dot (and .inf/.nan) are floats; anything quoted or a block scalar is a
 * string. Aliases are expanded. A float that came from YAML keeps a marker
 * (conf_json_is_float) so payloads can be re-encoded as Python would.
 *
 * Ownership: every conf_requirement returned belongs to the caller and is
 * freed with conf_requirement_free / conf_requirement_list_free. Views in a
 * requirement (input, expected_result …) are borrowed from its `doc`.
 */
#ifndef CONFORMANCE_LOADER_H
#define CONFORMANCE_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct conf_requirement {
    char *id;          /* file stem, "1-1" (a 2nd document of one file: "1-1#2") */
    char *suite;       /* folder name, "step"; "" for files at the root */
    char *path;        /* file the requirement came from */
    char *description; /* `description`, or "" */
    cJSON *doc;        /* the whole document (owned) */
    /* Borrowed views into doc; NULL when the key is absent. */
    const cJSON *variables;
    const cJSON *input;            /* absent key and empty value are both null */
    const cJSON *expected_result;
    const cJSON *expected_history;
    const cJSON *callback_actions;
    const cJSON *expected_logs;
    bool async_invoke;             /* AsyncInvoke: true */
    bool optional;                 /* optional: true */
} conf_requirement;

typedef struct conf_requirement_list {
    conf_requirement **items;
    size_t count;
    size_t cap;
} conf_requirement_list;

/*
 * Parse YAML text (one or more documents) into requirements, appended to
 * *list. Every document must be a mapping. id/suite/path name them. Returns
 * 0, or -1 with a message naming the file, line and column in err.
 */
int conf_load_text(conf_requirement_list *list, const char *text, size_t len, const char *id,
                   const char *suite, const char *path, char *err, size_t errlen);

/* Load one file; id = the file name without ".yaml"/".yml", suite as given. */
int conf_load_file(conf_requirement_list *list, const char *path, const char *suite, char *err,
                   size_t errlen);

/*
 * Load every *.yaml / *.yml file under dir (recursively); the suite of a
 * file is the first folder below dir. The list is sorted by suite number
 * (the leading number of the ids) then id, numerically ("1-2" < "1-10").
 * Returns 0, or -1 with the first error in err (nothing is appended then).
 */
int conf_load_dir(conf_requirement_list *list, const char *dir, char *err, size_t errlen);

/* Parse YAML text holding exactly one document into a new cJSON tree
 * (*out owned by the caller). For tests and for inline snippets. */
int conf_yaml_to_json(cJSON **out, const char *text, size_t len, char *err, size_t errlen);

/* True when a cJSON number came from a YAML float (e.g. 2.0). */
bool conf_json_is_float(const cJSON *item);

/* Sort key comparison used by conf_load_dir ("1-2" < "1-10" < "2-1"). */
int conf_id_compare(const char *a, const char *b);

void conf_requirement_free(conf_requirement *r);
void conf_requirement_list_free(conf_requirement_list *list);
/* Find a requirement by id; NULL if absent. Borrowed. */
conf_requirement *conf_requirement_list_find(const conf_requirement_list *list, const char *id);

#endif
