/* Helpers shared by the built-in conformance handlers. */
#include "conformance/handlers/handlers.h"

const char *conf_text(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : "";
}

const cJSON *conf_field(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

int conf_return(cJSON **out, const cJSON *v)
{
    *out = v ? cJSON_Duplicate(v, 1) : NULL;
    return v && !*out ? DURABLE_ENOMEM : 0;
}

int conf_return_string(cJSON **out, const char *s)
{
    *out = cJSON_CreateString(s);
    return *out ? 0 : DURABLE_ENOMEM;
}

durable_retry_strategy *conf_fixed_retry(int attempts, double delay_s)
{
    durable_retry_options o = DURABLE_RETRY_OPTIONS_INIT;
    o.max_attempts = attempts;
    o.initial_delay_seconds = delay_s;
    o.max_delay_seconds = delay_s < 1 ? 1 : delay_s;
    o.backoff_rate = 1;
    o.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    return durable_retry_strategy_new(&s, &o) == 0 ? s : NULL;
}

int conf_batch_results(cJSON **out, const durable_batch_result *br)
{
    return conf_return(out, durable_batch_result_results(br));
}

int conf_batch_projection(cJSON **out, const durable_batch_result *br, bool status, bool failures)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return DURABLE_ENOMEM;
    cJSON_AddStringToObject(o, "completionReason",
                            durable_completion_reason_name(br->completion_reason));
    if (status)
        cJSON_AddStringToObject(o, "status", durable_op_status_name(br->status));
    cJSON_AddNumberToObject(o, "successCount", (double)br->success_count);
    if (failures)
        cJSON_AddNumberToObject(o, "failureCount", (double)br->failure_count);
    cJSON_AddNumberToObject(o, "totalCount", (double)br->total_count);
    *out = o;
    return 0;
}
