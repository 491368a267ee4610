/* History events (SPEC §9.1-9.2): the envelope and each `<EventType>Details`
 * shape. One table says which keys each event type carries, so encoding
 * and decoding cannot drift apart. */
#include <stdio.h>
#include <string.h>

#include "model/json_out.h"

enum {
    F_OP = 1 << 0,        /* operation event: Id/Name/SubType/ParentId */
    F_INPUT = 1 << 1,     /* Input {Payload?, Truncated} */
    F_RESULT = 1 << 2,    /* Result {Payload?, Truncated} */
    F_ERROR = 1 << 3,     /* Error {Payload, Truncated}, always */
    F_ERROR_OPT = 1 << 4, /* Error only when there is one */
    F_RETRY = 1 << 5,     /* RetryDetails */
    F_EXEC_TIMEOUT = 1 << 6,
    F_DURATION = 1 << 7,
    F_SCHED_END = 1 << 8,
    F_CHAINED = 1 << 9,   /* FunctionName, TenantId?, ExecutedVersion, DurableExecutionArn */
    F_CALLBACK = 1 << 10, /* CallbackId, Timeout?, HeartbeatTimeout? */
    F_INVOCATION = 1 << 11 /* StartTimestamp, EndTimestamp, RequestId */
};

static const unsigned shape[DJ_EVENT_TYPE_COUNT] = {
    [DURABLE_EVENT_EXECUTION_STARTED] = F_INPUT | F_EXEC_TIMEOUT,
    [DURABLE_EVENT_EXECUTION_SUCCEEDED] = F_RESULT,
    [DURABLE_EVENT_EXECUTION_FAILED] = F_ERROR,
    [DURABLE_EVENT_EXECUTION_TIMED_OUT] = F_ERROR,
    [DURABLE_EVENT_EXECUTION_STOPPED] = F_ERROR,
    [DURABLE_EVENT_CONTEXT_STARTED] = F_OP,
    [DURABLE_EVENT_CONTEXT_SUCCEEDED] = F_OP | F_RESULT,
    [DURABLE_EVENT_CONTEXT_FAILED] = F_OP | F_ERROR,
    [DURABLE_EVENT_WAIT_STARTED] = F_OP | F_DURATION | F_SCHED_END,
    [DURABLE_EVENT_WAIT_SUCCEEDED] = F_OP | F_DURATION,
    [DURABLE_EVENT_WAIT_CANCELLED] = F_OP | F_ERROR_OPT,
    [DURABLE_EVENT_STEP_STARTED] = F_OP,
    [DURABLE_EVENT_STEP_SUCCEEDED] = F_OP | F_RESULT | F_RETRY,
    [DURABLE_EVENT_STEP_FAILED] = F_OP | F_ERROR | F_RETRY,
    [DURABLE_EVENT_CHAINED_INVOKE_STARTED] = F_OP | F_CHAINED | F_INPUT,
    [DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED] = F_OP | F_RESULT,
    [DURABLE_EVENT_CHAINED_INVOKE_FAILED] = F_OP | F_ERROR,
    [DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT] = F_OP | F_ERROR,
    [DURABLE_EVENT_CHAINED_INVOKE_STOPPED] = F_OP | F_ERROR,
    [DURABLE_EVENT_CALLBACK_STARTED] = F_OP | F_CALLBACK,
    [DURABLE_EVENT_CALLBACK_SUCCEEDED] = F_OP | F_RESULT,
    [DURABLE_EVENT_CALLBACK_FAILED] = F_OP | F_ERROR,
    [DURABLE_EVENT_CALLBACK_TIMED_OUT] = F_OP | F_ERROR,
    [DURABLE_EVENT_INVOCATION_COMPLETED] = F_INVOCATION | F_ERROR_OPT,
};

void durable_event_init(durable_event *e)
{
    memset(e, 0, sizeof *e);
    e->execution_timeout = DURABLE_ABSENT;
    e->duration = DURABLE_ABSENT;
    e->current_attempt = DURABLE_ABSENT;
    e->next_attempt_delay_seconds = DURABLE_ABSENT;
    e->timeout = DURABLE_ABSENT;
    e->heartbeat_timeout = DURABLE_ABSENT;
}

void durable_event_clear(durable_event *e)
{
    if (!e)
        return;
    char *texts[] = {e->id,          e->name,
                     e->subtype,     e->parent_id,
                     e->payload,     e->function_name,
                     e->tenant_id,   e->executed_version,
                     e->durable_execution_arn, e->callback_id,
                     e->request_id};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        durable_free(texts[i]);
    durable_error_object_free(e->error);
    durable_event_init(e);
}

int durable_event_copy(durable_event *out, const durable_event *e)
{
    *out = *e;
    char **dst[] = {&out->id,          &out->name,
                    &out->subtype,     &out->parent_id,
                    &out->payload,     &out->function_name,
                    &out->tenant_id,   &out->executed_version,
                    &out->durable_execution_arn, &out->callback_id,
                    &out->request_id};
    for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
        *dst[i] = NULL;
    out->error = NULL;
    const char *src[] = {e->id,          e->name,
                         e->subtype,     e->parent_id,
                         e->payload,     e->function_name,
                         e->tenant_id,   e->executed_version,
                         e->durable_execution_arn, e->callback_id,
                         e->request_id};
    for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
        if (durable__str_copy(dst[i], src[i]) < 0)
            goto oom;
    if (durable__error_copy(&out->error, e->error) < 0)
        goto oom;
    return 0;
oom:
    durable_event_clear(out);
    return durable__error_oom();
}

bool durable_event_equal(const durable_event *a, const durable_event *b)
{
    if (!a || !b)
        return a == b;
    return a->type == b->type && a->event_id == b->event_id && a->timestamp == b->timestamp &&
           durable__str_eq(a->id, b->id) && durable__str_eq(a->name, b->name) &&
           durable__str_eq(a->subtype, b->subtype) && durable__str_eq(a->parent_id, b->parent_id) &&
           a->has_payload_object == b->has_payload_object &&
           durable__str_eq(a->payload, b->payload) && a->truncated == b->truncated &&
           durable__error_eq(a->error, b->error) && a->error_truncated == b->error_truncated &&
           a->execution_timeout == b->execution_timeout && a->duration == b->duration &&
           a->scheduled_end_timestamp == b->scheduled_end_timestamp &&
           a->current_attempt == b->current_attempt &&
           a->next_attempt_delay_seconds == b->next_attempt_delay_seconds &&
           durable__str_eq(a->function_name, b->function_name) &&
           durable__str_eq(a->tenant_id, b->tenant_id) &&
           durable__str_eq(a->executed_version, b->executed_version) &&
           durable__str_eq(a->durable_execution_arn, b->durable_execution_arn) &&
           durable__str_eq(a->callback_id, b->callback_id) && a->timeout == b->timeout &&
           a->heartbeat_timeout == b->heartbeat_timeout &&
           a->invocation_start_timestamp == b->invocation_start_timestamp &&
           a->invocation_end_timestamp == b->invocation_end_timestamp &&
           durable__str_eq(a->request_id, b->request_id);
}

/* ---- encoding ---------------------------------------------------------------- */

static void put_payload_object(durable__jout *o, const char *key, const durable_event *e)
{
    durable__jo_open(o, key, false);
    durable__jo_str(o, "Payload", e->payload);
    durable__jo_bool(o, "Truncated", e->truncated);
    durable__jo_close(o);
}

static void put_error_object(durable__jout *o, const durable_event *e)
{
    durable__jo_open(o, "Error", false);
    durable__put_error(o, "Payload", e->error); /* NULL error encodes as {} */
    durable__jo_bool(o, "Truncated", e->error_truncated);
    durable__jo_close(o);
}

/* The <EventType>Details object at key. */
static void put_details(durable__jout *o, const char *key, const durable_event *e,
                        durable_ts_format fmt)
{
    unsigned f = shape[e->type];
    durable__jo_open(o, key, false);
    if (f & F_CHAINED) {
        durable__jo_str(o, "FunctionName", e->function_name);
        durable__jo_str(o, "TenantId", e->tenant_id);
    }
    if (f & F_INPUT)
        put_payload_object(o, "Input", e);
    if (f & F_RESULT)
        put_payload_object(o, "Result", e);
    if ((f & F_ERROR) || ((f & F_ERROR_OPT) && e->error))
        put_error_object(o, e);
    if (f & F_CHAINED) {
        durable__jo_str(o, "ExecutedVersion", e->executed_version);
        durable__jo_str(o, "DurableExecutionArn", e->durable_execution_arn);
    }
    if ((f & F_EXEC_TIMEOUT) && e->execution_timeout != DURABLE_ABSENT)
        durable__jo_int(o, "ExecutionTimeout", e->execution_timeout);
    if ((f & F_DURATION) && e->duration != DURABLE_ABSENT)
        durable__jo_int(o, "Duration", e->duration);
    if ((f & F_SCHED_END) && e->scheduled_end_timestamp)
        durable__jo_ts(o, "ScheduledEndTimestamp", e->scheduled_end_timestamp, fmt);
    if (f & F_RETRY) {
        durable__jo_open(o, "RetryDetails", false);
        if (e->current_attempt != DURABLE_ABSENT)
            durable__jo_int(o, "CurrentAttempt", e->current_attempt);
        if (e->next_attempt_delay_seconds != DURABLE_ABSENT)
            durable__jo_int(o, "NextAttemptDelaySeconds", e->next_attempt_delay_seconds);
        durable__jo_close(o);
    }
    if (f & F_CALLBACK) {
        durable__jo_str(o, "CallbackId", e->callback_id);
        /* §9.2: present only when the callback has that timeout. */
        if (e->timeout > 0)
            durable__jo_int(o, "Timeout", e->timeout);
        if (e->heartbeat_timeout > 0)
            durable__jo_int(o, "HeartbeatTimeout", e->heartbeat_timeout);
    }
    if (f & F_INVOCATION) {
        if (e->invocation_start_timestamp)
            durable__jo_ts(o, "StartTimestamp", e->invocation_start_timestamp, fmt);
        if (e->invocation_end_timestamp)
            durable__jo_ts(o, "EndTimestamp", e->invocation_end_timestamp, fmt);
        durable__jo_str(o, "RequestId", e->request_id);
    }
    durable__jo_close(o);
}

static int check_type(const durable_event *e)
{
    if (e->type <= DURABLE_EVENT_NONE || (int)e->type >= DJ_EVENT_TYPE_COUNT)
        return durable__error_set(DURABLE_EINVAL, "Event.EventType: unknown event type %d",
                                  (int)e->type);
    return 0;
}

int durable_event_to_json(cJSON **out, const durable_event *e, durable_ts_format fmt)
{
    char key[64];
    *out = NULL;
    int rc = check_type(e);
    if (rc < 0)
        return rc;
    durable__jout o;
    durable__jo_tree(&o, NULL);
    durable__jo_open(&o, NULL, false);
    durable__jo_str(&o, "EventType", durable_event_type_name(e->type));
    durable__jo_int(&o, "EventId", e->event_id);
    durable__jo_ts(&o, "EventTimestamp", e->timestamp, fmt);
    if (shape[e->type] & F_OP) {
        durable__jo_str(&o, "Id", e->id);
        durable__jo_str(&o, "Name", e->name);
        durable__jo_str(&o, "SubType", e->subtype);
        durable__jo_str(&o, "ParentId", e->parent_id);
    }
    snprintf(key, sizeof key, "%sDetails", durable_event_type_name(e->type));
    put_details(&o, key, e, fmt);
    durable__jo_close(&o);
    return durable__jo_root(out, &o);
}

int durable__event_details_text(char **out, const durable_event *e, durable_ts_format fmt)
{
    *out = NULL;
    int rc = check_type(e);
    if (rc < 0)
        return rc;
    durable__strbuf b = {0};
    durable__jout o;
    durable__jo_text(&o, &b);
    put_details(&o, NULL, e, fmt);
    return durable__jo_take(out, &o, &b);
}

/* ---- decoding ---------------------------------------------------------------- */

static int get_payload_object(durable_event *out, const cJSON *d, const char *key,
                              const char *path)
{
    const cJSON *o = NULL;
    char p[DJ_PATH_MAX];
    int rc = durable__jget_obj(&o, d, key, path, false);
    if (rc < 0 || !o)
        return rc;
    durable__jpath(p, path, key);
    out->has_payload_object = true;
    if ((rc = durable__jget_str(&out->payload, o, "Payload", p, false, &DJ_PAYLOAD)) < 0)
        return rc;
    return durable__jget_bool(&out->truncated, o, "Truncated", p, false);
}

static int get_error_object(durable_event *out, const cJSON *d, const char *path)
{
    const cJSON *o = NULL;
    char p[DJ_PATH_MAX];
    int rc = durable__jget_obj(&o, d, "Error", path, false);
    if (rc < 0 || !o)
        return rc;
    durable__jpath(p, path, "Error");
    if ((rc = durable__jget_error(&out->error, o, "Payload", p, false)) < 0)
        return rc;
    /* An EventError always carries a Payload, possibly {}. */
    if (!out->error && (rc = durable_error_object_new(&out->error, NULL, NULL, NULL)) < 0)
        return rc;
    return durable__jget_bool(&out->error_truncated, o, "Truncated", p, false);
}

static int get_details(durable_event *out, const cJSON *d, unsigned f, const char *p)
{
    int rc = 0;
    if (f & F_CHAINED) {
        DJ_TRY(durable__jget_str(&out->function_name, d, "FunctionName", p, false, &DJ_FUNCTION));
        DJ_TRY(durable__jget_str(&out->tenant_id, d, "TenantId", p, false, &DJ_TEXT));
        DJ_TRY(durable__jget_str(&out->executed_version, d, "ExecutedVersion", p, false, &DJ_TEXT));
        DJ_TRY(durable__jget_str(&out->durable_execution_arn, d, "DurableExecutionArn", p, false,
                                 &DJ_TEXT));
    }
    if (f & F_INPUT)
        DJ_TRY(get_payload_object(out, d, "Input", p));
    if (f & F_RESULT)
        DJ_TRY(get_payload_object(out, d, "Result", p));
    if (f & (F_ERROR | F_ERROR_OPT))
        DJ_TRY(get_error_object(out, d, p));
    if (f & F_EXEC_TIMEOUT)
        DJ_TRY(durable__jget_int(&out->execution_timeout, d, "ExecutionTimeout", p, false, 0,
                                 INT64_MAX));
    if (f & F_DURATION)
        DJ_TRY(durable__jget_int(&out->duration, d, "Duration", p, false, 0, INT64_MAX));
    if (f & F_SCHED_END)
        DJ_TRY(durable__jget_ts(&out->scheduled_end_timestamp, d, "ScheduledEndTimestamp", p,
                                false));
    if (f & F_RETRY) {
        const cJSON *r = NULL;
        char rp[DJ_PATH_MAX];
        DJ_TRY(durable__jget_obj(&r, d, "RetryDetails", p, false));
        durable__jpath(rp, p, "RetryDetails");
        if (r) {
            DJ_TRY(durable__jget_int(&out->current_attempt, r, "CurrentAttempt", rp, false, 0,
                                     INT64_MAX));
            DJ_TRY(durable__jget_int(&out->next_attempt_delay_seconds, r,
                                     "NextAttemptDelaySeconds", rp, false, 1,
                                     DURABLE_MAX_WAIT_SECONDS));
        }
    }
    if (f & F_CALLBACK) {
        DJ_TRY(durable__jget_str(&out->callback_id, d, "CallbackId", p, false, &DJ_CALLBACK_ID));
        DJ_TRY(durable__jget_int(&out->timeout, d, "Timeout", p, false, 0, INT64_MAX));
        DJ_TRY(durable__jget_int(&out->heartbeat_timeout, d, "HeartbeatTimeout", p, false, 0,
                                 INT64_MAX));
    }
    if (f & F_INVOCATION) {
        DJ_TRY(durable__jget_ts(&out->invocation_start_timestamp, d, "StartTimestamp", p, false));
        DJ_TRY(durable__jget_ts(&out->invocation_end_timestamp, d, "EndTimestamp", p, false));
        DJ_TRY(durable__jget_str(&out->request_id, d, "RequestId", p, false, &DJ_TEXT));
    }
fail:
    return rc;
}

int durable__event_decode(durable_event *out, const cJSON *json, const char *path)
{
    int rc;
    int type = 0;
    char key[64], dpath[DJ_PATH_MAX];
    const cJSON *d = NULL;
    durable_event_init(out);
    DJ_TRY(durable__jrequire_obj(json, path));
    DJ_TRY(durable__jget_enum(&type, json, "EventType", path, true, durable__event_type_names,
                              DJ_EVENT_TYPE_COUNT, "EventType"));
    out->type = (durable_event_type)type;
    DJ_TRY(durable__jget_int(&out->event_id, json, "EventId", path, true, 1, INT64_MAX));
    DJ_TRY(durable__jget_ts(&out->timestamp, json, "EventTimestamp", path, true));
    unsigned f = shape[out->type];
    if (f & F_OP) {
        DJ_TRY(durable__jget_str(&out->id, json, "Id", path, false, &DJ_ID));
        DJ_TRY(durable__jget_str(&out->name, json, "Name", path, false, &DJ_NAME));
        DJ_TRY(durable__jget_str(&out->subtype, json, "SubType", path, false, &DJ_SUBTYPE));
        DJ_TRY(durable__jget_str(&out->parent_id, json, "ParentId", path, false, &DJ_ID));
    }
    snprintf(key, sizeof key, "%sDetails", durable_event_type_name(out->type));
    DJ_TRY(durable__jget_obj(&d, json, key, path, true));
    durable__jpath(dpath, path, key);
    DJ_TRY(get_details(out, d, f, dpath));
    return 0;
fail:
    durable_event_clear(out);
    return rc;
}

int durable_event_from_json(durable_event *out, const cJSON *json)
{
    return durable__event_decode(out, json, "");
}
