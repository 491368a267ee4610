/*
 * Internal JSON helpers for the wire model (not API).
 *
 * Decoding helpers read one key of an object and validate it. Every error
 * sets the last error to "<path>.<key>: <why>" (path "" means top level) and
 * returns DURABLE_EPARSE (wrong JSON type) or DURABLE_EINVAL (right type,
 * value outside the SPEC §2.3 limits). JSON null counts as absent (§2.1).
 * An absent optional key leaves *out untouched, so callers pre-set
 * defaults (NULL, DURABLE_ABSENT, 0).
 *
 * Encoding helpers add one key; they return 0 or DURABLE_ENOMEM.
 */
#ifndef DURABLE_SRC_MODEL_JSON_UTIL_H
#define DURABLE_SRC_MODEL_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "durable/model.h"
#include "model/internal.h"

/* Longest field path kept in messages ("Updates[12].WaitOptions.WaitSeconds"). */
#define DJ_PATH_MAX 256

/* Child paths: "parent.key" (or "key" at top level) and "parent[i]". */
void durable__jpath(char buf[DJ_PATH_MAX], const char *parent, const char *key);
void durable__jpath_idx(char buf[DJ_PATH_MAX], const char *parent, size_t i);

/* Set "<parent>.<key>: <message>" as the last error; returns code. */
int durable__jerr(int code, const char *parent, const char *key, const char *fmt, ...)
    DURABLE__PRINTF(4, 5);

/* The value of key, or NULL when absent or JSON null. */
const cJSON *durable__jget(const cJSON *obj, const char *key);

/* Validation rule for a text field: byte length bounds, optional charset
 * check, and the human description used in messages. */
typedef struct dj_rule {
    size_t min;
    size_t max;
    bool (*charset)(const char *s, size_t n);
    const char *what; /* "1 to 64 characters of [a-zA-Z0-9-_]" */
} dj_rule;

extern const dj_rule DJ_TEXT;         /* any UTF-8 */
extern const dj_rule DJ_ID;           /* Id, ParentId */
extern const dj_rule DJ_NAME;         /* Name: printable ASCII 1-256 */
extern const dj_rule DJ_SUBTYPE;      /* SubType */
extern const dj_rule DJ_PAYLOAD;      /* Payload/Result/InputPayload: <= 6 MiB */
extern const dj_rule DJ_TOKEN;        /* CheckpointToken */
extern const dj_rule DJ_CLIENT_TOKEN; /* ClientToken */
extern const dj_rule DJ_CALLBACK_ID;  /* CallbackId */
extern const dj_rule DJ_EXEC_NAME;    /* DurableExecutionName */
extern const dj_rule DJ_FUNCTION;     /* FunctionName */

/* Charset checks. */
bool durable__is_id_text(const char *s, size_t n);
bool durable__is_printable_ascii(const char *s, size_t n);
bool durable__is_base64_text(const char *s, size_t n);
/* Byte offset of the first invalid UTF-8 sequence, or n when valid. */
size_t durable__utf8_invalid_at(const char *s, size_t n);

/* Check text against a rule (no JSON); sets "<path>: ..." on failure. */
int durable__jcheck_text(const char *s, const dj_rule *rule, const char *parent, const char *key);

int durable__jget_str(char **out, const cJSON *obj, const char *key, const char *parent,
                      bool required, const dj_rule *rule);
/* Integer in [min, max] (max is capped at 2^53, the exact-double range). */
int durable__jget_int(int64_t *out, const cJSON *obj, const char *key, const char *parent,
                      bool required, int64_t min, int64_t max);
int durable__jget_bool(bool *out, const cJSON *obj, const char *key, const char *parent,
                       bool required);
/* Timestamp (epoch seconds, epoch ms or RFC 3339) into epoch ms. */
int durable__jget_ts(int64_t *out, const cJSON *obj, const char *key, const char *parent,
                     bool required);
/* Object / array: *out borrowed from obj, NULL when absent and optional. */
int durable__jget_obj(const cJSON **out, const cJSON *obj, const char *key, const char *parent,
                      bool required);
int durable__jget_arr(const cJSON **out, const cJSON *obj, const char *key, const char *parent,
                      bool required);
/* Enum by wire name: names[v] is the wire name of value v (names[0] = ""
 * for NONE); *out is the index. */
int durable__jget_enum(int *out, const cJSON *obj, const char *key, const char *parent,
                       bool required, const char *const *names, int count,
                       const char *enum_name);
/* Wire-name tables of model.h's enums (index = enum value). */
extern const char *const durable__op_type_names[];
extern const char *const durable__op_status_names[];
extern const char *const durable__op_action_names[];
extern const char *const durable__exec_status_names[];
extern const char *const durable__invocation_status_names[];
extern const char *const durable__event_type_names[];
#define DJ_OP_TYPE_COUNT 7
#define DJ_OP_STATUS_COUNT 9
#define DJ_OP_ACTION_COUNT 6
#define DJ_EXEC_STATUS_COUNT 6
#define DJ_INVOCATION_STATUS_COUNT 4
#define DJ_EVENT_TYPE_COUNT (DURABLE_EVENT_TYPE_COUNT + 1)
/* The top-level value must be an object. */
int durable__jrequire_obj(const cJSON *json, const char *parent);
/* ErrorObject at key: *out is a new heap object (NULL when absent). */
int durable__jget_error(durable_error_object **out, const cJSON *obj, const char *key,
                        const char *parent, bool required);
/* Array of Id strings. */
int durable__jget_str_array(char ***out, size_t *count, const cJSON *obj, const char *key,
                            const char *parent, bool required, const dj_rule *rule);

/* Encoding. NULL text is skipped. */
int durable__jadd_str(cJSON *obj, const char *key, const char *v);
int durable__jadd_int(cJSON *obj, const char *key, int64_t v);
int durable__jadd_bool(cJSON *obj, const char *key, bool v);
int durable__jadd_ts(cJSON *obj, const char *key, int64_t ms, durable_ts_format fmt);
/* Adds item (takes ownership, also on failure). NULL item = ENOMEM. */
int durable__jadd_item(cJSON *obj, const char *key, cJSON *item);
/* Adds a new empty object and returns it through *out. */
int durable__jadd_obj(cJSON **out, cJSON *obj, const char *key);
int durable__jadd_error(cJSON *obj, const char *key, const durable_error_object *e);
int durable__jadd_str_array(cJSON *obj, const char *key, char *const *v, size_t n);

/* Deep string/array helpers for _copy/_equal. */
bool durable__str_eq(const char *a, const char *b);
/* *out = copy of s (NULL stays NULL); DURABLE_ENOMEM on failure. */
int durable__str_copy(char **out, const char *s);
int durable__str_array_copy(char ***out, const char *const *v, size_t n);
void durable__str_array_free(char **v, size_t n);
bool durable__str_array_eq(char *const *a, size_t na, char *const *b, size_t nb);
/* Error objects: equal when both NULL or deeply equal. */
bool durable__error_eq(const durable_error_object *a, const durable_error_object *b);
int durable__error_copy(durable_error_object **out, const durable_error_object *e);

/* Path-aware decoders behind the public _from_json functions, so nested
 * values report "Operations[2].StepDetails.Attempt". *out is zeroed/inited
 * by the caller and left cleared on error. */
int durable__error_object_decode(durable_error_object *out, const cJSON *json, const char *path);
int durable__operation_decode(durable_operation *out, const cJSON *json, const char *path);
int durable__update_decode(durable_operation_update *out, const cJSON *json, const char *path);
int durable__event_decode(durable_event *out, const cJSON *json, const char *path);
/* Just the <EventType>Details object of an event, as compact JSON text
 * (what durable_event_to_json nests under that key). */
int durable__event_details_text(char **out, const durable_event *e, durable_ts_format fmt);
/* The same text as durable_json_print of the _to_json tree, written
 * directly (model/json_out.h): an ErrorObject, and a checkpoint response. */
int durable__error_object_text(char **out, const durable_error_object *e);
int durable__checkpoint_response_text(char **out, const durable_checkpoint_response *r,
                                      durable_ts_format fmt);
/* The length of durable_json_print(durable_operation_update_to_json(u)),
 * without building the tree (the batcher sizes every update it queues). */
int durable__update_json_size(size_t *out, const durable_operation_update *u);
int durable__execution_info_decode(durable_execution_info *out, const cJSON *json,
                                   const char *path);
/* Operations array at key into l (appended). */
int durable__jget_operations(durable_operation_list *l, const cJSON *obj, const char *key,
                             const char *parent, bool required);
/* The identity an Operation and an OperationUpdate both start with, in
 * this order: Id (required), ParentId, Name, SubType, Type (required). */
int durable__jget_op_identity(char **id, char **parent_id, char **name, char **subtype,
                              durable_op_type *type, const cJSON *json, const char *path);
/* Operations array encoder. */
int durable__jadd_operations(cJSON *obj, const char *key, const durable_operation_list *l,
                             durable_ts_format fmt);

#define DJ_TRY(expr)                      \
    do {                                  \
        if ((rc = (expr)) < 0)            \
            goto fail;                    \
    } while (0)

#endif
