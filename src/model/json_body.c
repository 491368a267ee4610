/* Shared object/array encoding, array decoding and marker rule of the
 * request shapes. */
#include <string.h>

#include "model/json_body.h"

int durable__jencode(cJSON **out, durable__jput_fn put, const void *r, durable_ts_format fmt)
{
    *out = NULL;
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return durable__error_oom();
    int rc = put(j, r, fmt);
    if (rc < 0) {
        cJSON_Delete(j);
        return rc;
    }
    *out = j;
    return 0;
}

int durable__jadd_array(cJSON *obj, const char *key, const void *items, size_t count,
                        size_t size, durable__jenc_fn enc, durable_ts_format fmt)
{
    cJSON *arr = cJSON_CreateArray();
    int rc = durable__jadd_item(obj, key, arr);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        cJSON *one = NULL;
        if ((rc = enc(&one, (const char *)items + i * size, fmt)) < 0) {
            durable__error_prefix("%s[%zu]", key, i);
            break;
        }
        if (!cJSON_AddItemToArray(arr, one)) {
            cJSON_Delete(one);
            rc = durable__error_oom();
        }
    }
    return rc;
}

int durable__jget_array(void **items, size_t *count, size_t size, const cJSON *obj,
                        const char *key, const char *parent, bool required, durable__jdec_fn dec)
{
    const cJSON *arr = NULL;
    *items = NULL;
    *count = 0;
    int rc = durable__jget_arr(&arr, obj, key, parent, required);
    if (rc < 0 || !arr)
        return rc;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    char *a = durable__calloc(n ? n : 1, size);
    if (!a)
        return durable__error_oom();
    *items = a;
    char path[DJ_PATH_MAX];
    durable__jpath(path, parent, key);
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        char ipath[DJ_PATH_MAX];
        durable__jpath_idx(ipath, path, *count);
        if ((rc = dec(a + *count * size, item, ipath)) < 0)
            return rc;
        (*count)++;
    }
    return 0;
}

void durable__jmarker_end(char **marker)
{
    if (*marker && !**marker) {
        durable_free(*marker);
        *marker = NULL;
    }
}

int durable__jadd_page(cJSON *obj, const char *key, const void *items, size_t count, size_t size,
                       durable__jenc_fn enc, const char *next_marker, durable_ts_format fmt)
{
    int rc = durable__jadd_array(obj, key, items, count, size, enc, fmt);
    return rc < 0 ? rc : durable__jadd_str(obj, "NextMarker", next_marker);
}

int durable__jget_page(void **items, size_t *count, size_t size, char **next_marker,
                       const cJSON *json, const char *key, durable__jdec_fn dec)
{
    *items = NULL;
    *count = 0;
    int rc = durable__jrequire_obj(json, "");
    if (rc == 0)
        rc = durable__jget_array(items, count, size, json, key, "", true, dec);
    if (rc == 0)
        rc = durable__jget_str(next_marker, json, "NextMarker", "", false, &DJ_TEXT);
    if (rc == 0)
        durable__jmarker_end(next_marker);
    return rc;
}
