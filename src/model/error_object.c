/* ErrorObject (SPEC §2.4): {ErrorType?, ErrorMessage?, ErrorData?, StackTrace?}.
 * Sizes are computed from cJSON's escaping rules instead of printing, so
 * the 32,768-byte check and the truncation loop stay cheap on large data. */
#include <string.h>

#include "model/json_out.h"

void durable_error_object_clear(durable_error_object *e)
{
    if (!e)
        return;
    durable_free(e->error_type);
    durable_free(e->error_message);
    durable_free(e->error_data);
    durable__str_array_free(e->stack_trace, e->stack_trace_count);
    memset(e, 0, sizeof *e);
}

void durable_error_object_free(durable_error_object *e)
{
    if (!e)
        return;
    durable_error_object_clear(e);
    durable_free(e);
}

int durable_error_object_copy(durable_error_object *out, const durable_error_object *e)
{
    memset(out, 0, sizeof *out);
    if (!e)
        return 0;
    if (durable__str_copy(&out->error_type, e->error_type) < 0 ||
        durable__str_copy(&out->error_message, e->error_message) < 0 ||
        durable__str_copy(&out->error_data, e->error_data) < 0 ||
        durable__str_array_copy(&out->stack_trace, (const char *const *)e->stack_trace,
                                e->stack_trace_count) < 0) {
        durable_error_object_clear(out);
        return durable__error_oom();
    }
    out->stack_trace_count = e->stack_trace ? e->stack_trace_count : 0;
    return 0;
}

int durable_error_object_dup(durable_error_object **out, const durable_error_object *e)
{
    *out = NULL;
    durable_error_object *c = durable__calloc(1, sizeof *c);
    if (!c)
        return durable__error_oom();
    int rc = durable_error_object_copy(c, e);
    if (rc < 0) {
        durable_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int durable_error_object_new(durable_error_object **out, const char *type, const char *message,
                             const char *data)
{
    durable_error_object tmp = {(char *)type, (char *)message, (char *)data, NULL, 0};
    return durable_error_object_dup(out, &tmp);
}

bool durable_error_object_equal(const durable_error_object *a, const durable_error_object *b)
{
    if (!a || !b)
        return a == b;
    return durable__str_eq(a->error_type, b->error_type) &&
           durable__str_eq(a->error_message, b->error_message) &&
           durable__str_eq(a->error_data, b->error_data) &&
           durable__str_array_eq(a->stack_trace, a->stack_trace_count, b->stack_trace,
                                 b->stack_trace_count);
}

void durable__put_error(durable__jout *o, const char *key, const durable_error_object *e)
{
    durable__jo_open(o, key, false);
    if (e) {
        durable__jo_str(o, "ErrorType", e->error_type);
        durable__jo_str(o, "ErrorMessage", e->error_message);
        durable__jo_str(o, "ErrorData", e->error_data);
        if (e->stack_trace) {
            durable__jo_open(o, "StackTrace", true);
            for (size_t i = 0; i < e->stack_trace_count; i++)
                durable__jo_str(o, NULL, e->stack_trace[i] ? e->stack_trace[i] : "");
            durable__jo_close(o);
        }
    }
    durable__jo_close(o);
}

int durable_error_object_to_json(cJSON **out, const durable_error_object *e)
{
    durable__jout o;
    durable__jo_tree(&o, NULL);
    durable__put_error(&o, NULL, e);
    return durable__jo_root(out, &o);
}

int durable__error_object_text(char **out, const durable_error_object *e)
{
    durable__strbuf b = {0};
    durable__jout o;
    durable__jo_text(&o, &b);
    durable__put_error(&o, NULL, e);
    return durable__jo_take(out, &o, &b);
}

int durable__error_object_decode(durable_error_object *out, const cJSON *json, const char *path)
{
    int rc;
    memset(out, 0, sizeof *out);
    DJ_TRY(durable__jrequire_obj(json, path));
    DJ_TRY(durable__jget_str(&out->error_type, json, "ErrorType", path, false, &DJ_TEXT));
    DJ_TRY(durable__jget_str(&out->error_message, json, "ErrorMessage", path, false, &DJ_TEXT));
    DJ_TRY(durable__jget_str(&out->error_data, json, "ErrorData", path, false, &DJ_TEXT));
    DJ_TRY(durable__jget_str_array(&out->stack_trace, &out->stack_trace_count, json, "StackTrace",
                                   path, false, &DJ_TEXT));
    return 0;
fail:
    durable_error_object_clear(out);
    return rc;
}

int durable_error_object_from_json(durable_error_object *out, const cJSON *json)
{
    return durable__error_object_decode(out, json, "");
}

/* Bytes one character costs inside a cJSON-printed string. */
static size_t escaped_cost(unsigned char c)
{
    switch (c) {
    case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t':
        return 2;
    default:
        return c < 0x20 ? 6 : 1;
    }
}

static size_t string_size(const char *s)
{
    size_t n = 2;
    for (; *s; s++)
        n += escaped_cost((unsigned char)*s);
    return n;
}

/* "Key":"value" plus the comma that separates it from a previous member. */
static size_t member_size(const char *key, const char *value, bool *first)
{
    size_t n = (*first ? 0 : 1) + strlen(key) + 3 + string_size(value);
    *first = false;
    return n;
}

size_t durable_error_object_json_size(const durable_error_object *e)
{
    size_t n = 2;
    bool first = true;
    if (!e)
        return n;
    if (e->error_type)
        n += member_size("ErrorType", e->error_type, &first);
    if (e->error_message)
        n += member_size("ErrorMessage", e->error_message, &first);
    if (e->error_data)
        n += member_size("ErrorData", e->error_data, &first);
    if (e->stack_trace) {
        n += (first ? 0 : 1) + strlen("StackTrace") + 3 + 2;
        for (size_t i = 0; i < e->stack_trace_count; i++)
            n += (i ? 1 : 0) + string_size(e->stack_trace[i] ? e->stack_trace[i] : "");
    }
    return n;
}

/* Cut s so its escaped size drops by at least `over` bytes, on a UTF-8
 * character boundary. Returns the bytes saved. */
static size_t shrink(char *s, size_t over)
{
    size_t total = string_size(s) - 2;
    size_t keep_budget = total > over ? total - over : 0;
    size_t used = 0, i = 0;
    while (s[i]) {
        size_t len = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xf0)
            len = 4;
        else if (c >= 0xe0)
            len = 3;
        else if (c >= 0xc0)
            len = 2;
        size_t cost = 0;
        for (size_t k = 0; k < len && s[i + k]; k++)
            cost += escaped_cost((unsigned char)s[i + k]);
        if (used + cost > keep_budget)
            break;
        used += cost;
        i += len;
    }
    s[i] = '\0';
    return total - used;
}

int durable_error_object_truncate(durable_error_object *e, size_t max_bytes)
{
    if (!e)
        return 0;
    size_t size = durable_error_object_json_size(e);
    if (size <= max_bytes)
        return 0;
    /* ErrorData goes first: the message is what people read. */
    char *fields[2] = {e->error_data, e->error_message};
    for (int f = 0; f < 2 && size > max_bytes; f++)
        if (fields[f])
            size -= shrink(fields[f], size - max_bytes);
    if (size > max_bytes)
        return durable__error_set(DURABLE_EINVAL,
                                  "error object: %zu bytes even with empty ErrorMessage and "
                                  "ErrorData, limit %zu",
                                  size, max_bytes);
    return 0;
}
