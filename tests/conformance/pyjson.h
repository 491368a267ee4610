/*
 * Python json.dumps() with its default settings, for CallbackActions
 * payloads (SPEC.md §12.4): separators ", " and ": ", ensure_ascii (every
 * character outside 0x20–0x7E escaped, non-BMP as surrogate pairs), keys in
 * document order, ints without a fraction, YAML floats as Python's repr
 * ("2.0"), NaN/Infinity spelled as Python does. Not API.
 */
#ifndef CONFORMANCE_PYJSON_H
#define CONFORMANCE_PYJSON_H

#include <cjson/cJSON.h>

/* New malloc'd text (free()), or NULL on allocation failure. */
char *conf_pyjson_dumps(const cJSON *value);

#endif
