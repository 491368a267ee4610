/* Request/response bodies: the object every _to_json builds, and arrays of
 * structs (Updates, DurableExecutions, Events), shared by every shape so
 * each is allocated, freed on error and error-prefixed the same way.
 * Internal to the model layer. */
#ifndef DURABLE_MODEL_JSON_BODY_H
#define DURABLE_MODEL_JSON_BODY_H

#include "model/json_util.h"

/* Adds the fields of r to the new object j (DJ_TRY style: 0 or an error). */
typedef int (*durable__jput_fn)(cJSON *j, const void *r, durable_ts_format fmt);

/* *out = a new object filled by put (NULL and the error when put fails). */
int durable__jencode(cJSON **out, durable__jput_fn put, const void *r, durable_ts_format fmt);

/* Encodes one element (item points into the caller's array). */
typedef int (*durable__jenc_fn)(cJSON **out, const void *item, durable_ts_format fmt);
/* Decodes one element into *item (zeroed); leaves it cleared on error. */
typedef int (*durable__jdec_fn)(void *item, const cJSON *json, const char *path);

/* Adds key: [enc(items[0]), …] to obj (count elements of size bytes). An
 * element's error is prefixed with "key[i]"; obj keeps what was added. */
int durable__jadd_array(cJSON *obj, const char *key, const void *items, size_t count,
                        size_t size, durable__jenc_fn enc, durable_ts_format fmt);

/* Decodes the array at parent.key: *items = a new zeroed array (at least one
 * element) and *count = the elements decoded. On error both still describe
 * what was decoded so far, for the caller's _clear to free. An absent
 * optional key leaves *items NULL and *count 0. */
int durable__jget_array(void **items, size_t *count, size_t size, const cJSON *obj,
                        const char *key, const char *parent, bool required, durable__jdec_fn dec);

/* "" NextMarker means the last page: stored as NULL. */
void durable__jmarker_end(char **marker);

/* A page of a listing: {key: [items…], NextMarker}. */
int durable__jadd_page(cJSON *obj, const char *key, const void *items, size_t count, size_t size,
                       durable__jenc_fn enc, const char *next_marker, durable_ts_format fmt);
/* Decodes a page (key required) as durable__jget_array, then NextMarker
 * ("" = NULL) into *next_marker. */
int durable__jget_page(void **items, size_t *count, size_t size, char **next_marker,
                       const cJSON *json, const char *key, durable__jdec_fn dec);

#endif
