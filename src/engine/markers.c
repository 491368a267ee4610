/* Opaque paging markers (SPEC §2.8, §7.4, §9.6): standard base64 of a small
 * JSON object of integers. Anything that does not decode is "Invalid marker". */
#include <string.h>

#include "engine/engine_internal.h"

int durable__marker_encode(char **out, const char *k1, int64_t v1, const char *k2, int64_t v2)
{
    *out = NULL;
    char *json = k2 ? durable__sprintf("{\"%s\":%lld,\"%s\":%lld}", k1, (long long)v1, k2,
                                       (long long)v2)
                    : durable__sprintf("{\"%s\":%lld}", k1, (long long)v1);
    if (!json)
        return durable__error_oom();
    int rc = durable_base64_encode(out, (const unsigned char *)json, strlen(json));
    durable_free(json);
    return rc;
}

static int get_int(const cJSON *obj, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return -1;
    /* Range first: converting 1e300 or NaN to int64 is undefined behaviour
     * (found by the ids fuzz target with UBSan). */
    double d = v->valuedouble;
    if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != (double)(int64_t)d)
        return -1;
    *out = (int64_t)d;
    return 0;
}

int durable__marker_decode(durable_engine *e, const char *marker, const char *k1, int64_t *v1,
                           const char *k2, int64_t *v2)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    cJSON *j = NULL;
    int ok = marker && strlen(marker) <= 4096 &&
             durable_base64_decode(&raw, &len, marker) == 0 &&
             durable_json_parse(&j, (const char *)raw, len) == 0 && cJSON_IsObject(j) &&
             get_int(j, k1, v1) == 0 && (!k2 || get_int(j, k2, v2) == 0);
    cJSON_Delete(j);
    durable_free(raw);
    if (!ok)
        return durable__eng_fail(e, DURABLE_EMARKER, "Invalid marker", "Marker");
    return 0;
}
