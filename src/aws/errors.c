/* The service's errors as library errors (HTTP_API.md §2.2, §6.1; SPEC
 * §3.2): the exception name from X-Amzn-ErrorType, else __type, else
 * code/Code; the message from message/Message. The name stays readable in a
 * thread-local detail so a caller can tell ResourceNotFoundException from
 * the rest without parsing text. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "aws/aws_internal.h"

/* Fixed thread-local buffers: recording an error never allocates. */
static _Thread_local char err_type[128];
static _Thread_local char err_message[1024];
static _Thread_local char err_request_id[128];
static _Thread_local durable_aws_error last = {0, 0, "", "", "", 0};

static void copy(char *dst, size_t size, const char *src, size_t n)
{
    if (!src)
        n = 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

const durable_aws_error *durable_aws_error_last(void)
{
    last.type = err_type;
    last.message = err_message;
    last.request_id = err_request_id;
    return &last;
}

void durable__aws_error_reset(void)
{
    last.code = 0;
    last.http_status = 0;
    last.attempts = 0;
    err_type[0] = err_message[0] = err_request_id[0] = '\0';
}

int64_t durable__aws_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *json_str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (!cJSON_IsString(v) && b)
        v = cJSON_GetObjectItemCaseSensitive(o, b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The exception name without the decorations some services add: a
 * "namespace#" prefix in __type, a ":<url>" suffix in the header. */
static void set_type(const char *t)
{
    if (!t)
        return;
    const char *hash = strrchr(t, '#');
    if (hash)
        t = hash + 1;
    size_t n = strcspn(t, ":");
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    copy(err_type, sizeof err_type, t, n);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The code a rejection maps to: by name, then by the messages of SPEC §3.2
 * and §6.4 that share InvalidParameterValueException. The token prefix is
 * case-sensitive, as in both official SDKs (HTTP_API.md §7.1). */
static int map_code(long status, const char *type, const char *msg)
{
    if (status == 429 || status >= 500)
        return DURABLE_ETHROTTLED;
    if (!strcmp(type, "ResourceNotFoundException"))
        return DURABLE_ENOTFOUND;
    if (!strcmp(type, "CallbackTimeoutException"))
        return DURABLE_ECALLBACK_TIMEOUT;
    if (!strcmp(type, "DurableExecutionAlreadyStartedException"))
        return DURABLE_EEXISTS;
    if (!strcmp(type, "TooManyRequestsException"))
        return DURABLE_ETHROTTLED;
    if (starts_with(msg, "Invalid Checkpoint Token"))
        return DURABLE_ETOKEN;
    /* These texts may come with context before them (durable serve says
     * which callback of which execution), so they are looked for anywhere. */
    if (strstr(msg, "Invalid marker"))
        return DURABLE_EMARKER;
    if (strstr(msg, "Callback has already been completed."))
        return DURABLE_ECALLBACK_DONE;
    if (strstr(msg, "Execution is not running."))
        return DURABLE_ECLOSED;
    if (status == 404 && !*type)
        return DURABLE_ENOTFOUND;
    /* Access denied, a bad signature, unknown keys: the caller, not the
     * request, is refused. */
    if (status == 403)
        return DURABLE_EACCESS;
    return DURABLE_EINVAL;
}

int durable__aws_error_from_response(const durable__aws_resp *r, int attempts, const char *what)
{
    durable__aws_error_reset();
    set_type(durable__aws_resp_header(r, "X-Amzn-ErrorType"));
    cJSON *body = NULL;
    if (r->body_len)
        body = cJSON_ParseWithLength(r->body, r->body_len);
    if (cJSON_IsObject(body)) {
        if (!err_type[0])
            set_type(json_str(body, "__type", NULL));
        if (!err_type[0])
            set_type(json_str(body, "code", "Code"));
        const char *m = json_str(body, "message", "Message");
        if (m)
            copy(err_message, sizeof err_message, m, strlen(m));
    }
    cJSON_Delete(body);
    const char *rid = durable__aws_resp_header(r, "x-amzn-RequestId");
    if (rid)
        copy(err_request_id, sizeof err_request_id, rid, strlen(rid));
    last.http_status = r->status;
    last.attempts = attempts;
    last.code = map_code(r->status, err_type, err_message);
    /* The service's message as is: callers and the SDK match its prefix
     * ("Invalid Checkpoint Token"). Without one, say what answered. */
    if (err_message[0])
        return durable__error_set(last.code, "%s", err_message);
    return durable__error_set(last.code, "%s: HTTP %ld %s%s", what, r->status,
                              err_type[0] ? err_type : "without an error name",
                              attempts > 1 ? " (after retries)" : "");
}

int durable__aws_error_network(const char *detail, int attempts, const char *what)
{
    durable__aws_error_reset();
    last.code = DURABLE_ETHROTTLED;
    last.attempts = attempts;
    snprintf(err_message, sizeof err_message, "%s: %s (%d attempt%s)", what, detail, attempts,
             attempts == 1 ? "" : "s");
    return durable__error_set(DURABLE_ETHROTTLED, "%s", err_message);
}

int durable__aws_error_local(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    durable__error_setv(code, fmt, ap);
    va_end(ap);
    const char *m = durable_error_last()->message;
    durable__aws_error_reset();
    last.code = code;
    copy(err_message, sizeof err_message, m, strlen(m));
    return code;
}
