/* One encoder, two outputs. The shapes the engine stores on every
 * checkpoint (Operation, ErrorObject, <EventType>Details, the checkpoint
 * response) are written once, as put functions over a durable__jout, which
 * fills either a cJSON tree (the public _to_json functions) or JSON text
 * directly (the engine's history, error and idempotency columns). The text
 * is byte for byte what cJSON_PrintUnformatted prints for the tree
 * (tests/test_model_json_out.c), without allocating, printing and freeing
 * a node per value. Internal to the model layer. */
#ifndef DURABLE_MODEL_JSON_OUT_H
#define DURABLE_MODEL_JSON_OUT_H

#include "model/json_util.h"

#define DJ_OUT_DEPTH 8

typedef struct durable__jout {
    durable__strbuf *text;     /* text output; NULL for tree and counting output */
    bool counting;             /* counting output: only the text's length, in count */
    size_t count;
    cJSON *root;               /* tree: the outermost container opened */
    cJSON *node[DJ_OUT_DEPTH]; /* tree: the open containers, innermost last */
    bool more[DJ_OUT_DEPTH];   /* text: the open container has a member already */
    bool array[DJ_OUT_DEPTH];  /* text: the open container is an array */
    int depth;                 /* open containers */
    int rc;                    /* the first error; every later call does nothing */
} durable__jout;

/* Text output appended to b (borrowed; the caller takes it). */
void durable__jo_text(durable__jout *o, durable__strbuf *b);
/* Counting output: o->count ends as the length of the text the same calls
 * would write, without writing it (sizing an update costs no allocation). */
void durable__jo_count(durable__jout *o);
/* Tree output: members go into parent (an object, borrowed) or, when it is
 * NULL, into a root the first open creates (taken with durable__jo_root). */
void durable__jo_tree(durable__jout *o, cJSON *parent);

/* Opens an object (array = false) or array at key (NULL inside an array or
 * for the root); close ends the innermost one. */
void durable__jo_open(durable__jout *o, const char *key, bool array);
void durable__jo_close(durable__jout *o);
/* Members. NULL text is skipped, like durable__jadd_str. */
void durable__jo_str(durable__jout *o, const char *key, const char *v);
void durable__jo_int(durable__jout *o, const char *key, int64_t v);
void durable__jo_bool(durable__jout *o, const char *key, bool v);
void durable__jo_ts(durable__jout *o, const char *key, int64_t ms, durable_ts_format fmt);
/* Records rc (a negative code) as the output's error unless one is set. */
void durable__jo_fail(durable__jout *o, int rc);

/* Tree output: *out = the root (NULL and the error when anything failed). */
int durable__jo_root(cJSON **out, durable__jout *o);
/* Text output: *out = b's text, taken (NULL and the error on failure). */
int durable__jo_take(char **out, durable__jout *o, durable__strbuf *b);

/* Shapes (put functions): each writes one value at key. */
void durable__put_error(durable__jout *o, const char *key, const durable_error_object *e);
void durable__put_operation(durable__jout *o, const char *key, const durable_operation *op,
                            durable_ts_format fmt);
/* key: [operations…]; an element's error is prefixed with "key[i]". */
void durable__put_operations(durable__jout *o, const char *key, const durable_operation_list *l,
                             durable_ts_format fmt);

#endif
