/* Field access with path-naming errors, SPEC §2.3 text rules, and the small
 * encode helpers shared by every wire type. Also durable_json_print/parse. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/json_util.h"

/* ---- paths and errors ----------------------------------------------------- */

void durable__jpath(char buf[DJ_PATH_MAX], const char *parent, const char *key)
{
    if (parent && *parent)
        snprintf(buf, DJ_PATH_MAX, "%s.%s", parent, key);
    else
        snprintf(buf, DJ_PATH_MAX, "%s", key);
}

void durable__jpath_idx(char buf[DJ_PATH_MAX], const char *parent, size_t i)
{
    snprintf(buf, DJ_PATH_MAX, "%s[%zu]", parent ? parent : "", i);
}

int durable__jerr(int code, const char *parent, const char *key, const char *fmt, ...)
{
    char path[DJ_PATH_MAX];
    char msg[512];
    if (key)
        durable__jpath(path, parent, key);
    else
        snprintf(path, sizeof path, "%s", (parent && *parent) ? parent : "(document)");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return durable__error_set(code, "%s: %s", path, msg);
}

const cJSON *durable__jget(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return (v && !cJSON_IsNull(v)) ? v : NULL;
}

/* ---- text rules ------------------------------------------------------------ */

bool durable__is_id_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

bool durable__is_printable_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

bool durable__is_base64_text(const char *s, size_t n)
{
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad) /* '=' only at the end */
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return pad <= 2;
}

size_t durable__utf8_invalid_at(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return n;
}

const dj_rule DJ_TEXT = {0, (size_t)-1, NULL, "text"};
const dj_rule DJ_ID = {1, DURABLE_MAX_ID_LEN, durable__is_id_text,
                       "must be 1 to 64 characters of [a-zA-Z0-9-_]"};
const dj_rule DJ_NAME = {1, DURABLE_MAX_NAME_LEN, durable__is_printable_ascii,
                         "must be 1 to 256 printable ASCII characters"};
const dj_rule DJ_SUBTYPE = {1, DURABLE_MAX_SUBTYPE_LEN, durable__is_id_text,
                            "must be 1 to 32 characters of [a-zA-Z0-9-_]"};
const dj_rule DJ_PAYLOAD = {0, DURABLE_MAX_PAYLOAD_BYTES, NULL,
                            "must be at most 6291456 bytes"};
const dj_rule DJ_TOKEN = {1, DURABLE_MAX_TOKEN_LEN, durable__is_base64_text,
                          "must be 1 to 2048 characters of standard base64"};
const dj_rule DJ_CLIENT_TOKEN = {1, DURABLE_MAX_CLIENT_TOKEN_LEN, NULL,
                                 "must be 1 to 64 characters"};
const dj_rule DJ_CALLBACK_ID = {1, DURABLE_MAX_CALLBACK_ID_LEN, durable__is_base64_text,
                                "must be 1 to 1024 characters of standard base64"};
const dj_rule DJ_EXEC_NAME = {1, DURABLE_MAX_EXECUTION_NAME_LEN, durable__is_id_text,
                              "must be 1 to 64 characters of [a-zA-Z0-9-_]"};
const dj_rule DJ_FUNCTION = {1, DURABLE_MAX_FUNCTION_NAME_LEN, NULL,
                             "must be 1 to 140 characters"};

int durable__jcheck_text(const char *s, const dj_rule *rule, const char *parent, const char *key)
{
    size_t n = strlen(s);
    size_t bad = durable__utf8_invalid_at(s, n);
    if (bad != n)
        return durable__jerr(DURABLE_EINVAL, parent, key, "invalid UTF-8 at byte %zu", bad);
    if (n < rule->min || n > rule->max || (rule->charset && !rule->charset(s, n)))
        return durable__jerr(DURABLE_EINVAL, parent, key, "%s", rule->what);
    return 0;
}

/* ---- decoding -------------------------------------------------------------- */

static int missing(const char *parent, const char *key)
{
    return durable__jerr(DURABLE_EPARSE, parent, key, "missing required field");
}

int durable__jget_str(char **out, const cJSON *obj, const char *key, const char *parent,
                      bool required, const dj_rule *rule)
{
    const cJSON *v = durable__jget(obj, key);
    if (!v)
        return required ? missing(parent, key) : 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return durable__jerr(DURABLE_EPARSE, parent, key, "expected a string");
    int rc = durable__jcheck_text(v->valuestring, rule ? rule : &DJ_TEXT, parent, key);
    if (rc < 0)
        return rc;
    char *copy = durable__strdup(v->valuestring);
    if (!copy)
        return durable__error_oom();
    durable_free(*out);
    *out = copy;
    return 0;
}

#define DJ_EXACT_MAX ((int64_t)9007199254740992LL) /* 2^53 */

int durable__jget_int(int64_t *out, const cJSON *obj, const char *key, const char *parent,
                      bool required, int64_t min, int64_t max)
{
    const cJSON *v = durable__jget(obj, key);
    if (!v)
        return required ? missing(parent, key) : 0;
    if (max > DJ_EXACT_MAX)
        max = DJ_EXACT_MAX;
    if (min < -DJ_EXACT_MAX)
        min = -DJ_EXACT_MAX;
    if (!cJSON_IsNumber(v))
        return durable__jerr(DURABLE_EPARSE, parent, key, "expected an integer");
    double d = v->valuedouble;
    if (!(d >= (double)min && d <= (double)max) || d != floor(d)) {
        if (max == DJ_EXACT_MAX)
            return durable__jerr(DURABLE_EINVAL, parent, key, "must be an integer >= %lld",
                                 (long long)min);
        return durable__jerr(DURABLE_EINVAL, parent, key, "must be an integer from %lld to %lld",
                             (long long)min, (long long)max);
    }
    *out = (int64_t)d;
    return 0;
}

int durable__jget_bool(bool *out, const cJSON *obj, const char *key, const char *parent,
                       bool required)
{
    const cJSON *v = durable__jget(obj, key);
    if (!v)
        return required ? missing(parent, key) : 0;
    if (!cJSON_IsBool(v))
        return durable__jerr(DURABLE_EPARSE, parent, key, "expected a boolean");
    *out = cJSON_IsTrue(v);
    return 0;
}

int durable__jget_ts(int64_t *out, const cJSON *obj, const char *key, const char *parent,
                     bool required)
{
    const cJSON *v = durable__jget(obj, key);
    if (!v)
        return required ? missing(parent, key) : 0;
    int64_t ms = 0;
    if (durable_ts_from_json(&ms, v) < 0)
        return durable__jerr(DURABLE_EPARSE, parent, key,
                             "expected a timestamp (epoch seconds, epoch milliseconds or RFC 3339 "
                             "text from 1970 to 9999)");
    *out = ms;
    return 0;
}

/* obj.key when it is there and is_kind accepts it (else "expected <what>"). */
static int jget_kind(const cJSON **out, const cJSON *obj, const char *key, const char *parent,
                     bool required, cJSON_bool (*is_kind)(const cJSON *), const char *what)
{
    const cJSON *v = durable__jget(obj, key);
    *out = NULL;
    if (!v)
        return required ? missing(parent, key) : 0;
    if (!is_kind(v))
        return durable__jerr(DURABLE_EPARSE, parent, key, "expected %s", what);
    *out = v;
    return 0;
}

int durable__jget_obj(const cJSON **out, const cJSON *obj, const char *key, const char *parent,
                      bool required)
{
    return jget_kind(out, obj, key, parent, required, cJSON_IsObject, "an object");
}

int durable__jget_arr(const cJSON **out, const cJSON *obj, const char *key, const char *parent,
                      bool required)
{
    return jget_kind(out, obj, key, parent, required, cJSON_IsArray, "an array");
}

int durable__jget_enum(int *out, const cJSON *obj, const char *key, const char *parent,
                       bool required, const char *const *names, int count,
                       const char *enum_name)
{
    const cJSON *v = durable__jget(obj, key);
    if (!v)
        return required ? missing(parent, key) : 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return durable__jerr(DURABLE_EPARSE, parent, key, "expected a string");
    for (int i = 1; i < count; i++)
        if (strcmp(names[i], v->valuestring) == 0) {
            *out = i;
            return 0;
        }
    /* Quote at most a short, printable prefix of the bad value. */
    char shown[41];
    size_t n = 0;
    for (const char *p = v->valuestring; *p && n < sizeof shown - 1; p++)
        shown[n++] = ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) ? *p : '?';
    shown[n] = '\0';
    return durable__jerr(DURABLE_EINVAL, parent, key, "unknown %s \"%s\"", enum_name, shown);
}

int durable__jrequire_obj(const cJSON *json, const char *parent)
{
    if (!json || !cJSON_IsObject(json))
        return durable__jerr(DURABLE_EPARSE, parent, NULL, "expected an object");
    return 0;
}

int durable__jget_error(durable_error_object **out, const cJSON *obj, const char *key,
                        const char *parent, bool required)
{
    const cJSON *v = NULL;
    char path[DJ_PATH_MAX];
    int rc = durable__jget_obj(&v, obj, key, parent, required);
    if (rc < 0 || !v)
        return rc;
    durable_error_object *e = durable__calloc(1, sizeof *e);
    if (!e)
        return durable__error_oom();
    durable__jpath(path, parent, key);
    rc = durable__error_object_decode(e, v, path);
    if (rc < 0) {
        durable_free(e);
        return rc;
    }
    durable_error_object_free(*out);
    *out = e;
    return 0;
}

int durable__jget_str_array(char ***out, size_t *count, const cJSON *obj, const char *key,
                            const char *parent, bool required, const dj_rule *rule)
{
    const cJSON *arr = NULL;
    char path[DJ_PATH_MAX];
    int rc = durable__jget_arr(&arr, obj, key, parent, required);
    if (rc < 0 || !arr)
        return rc;
    durable__jpath(path, parent, key);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    char **v = durable__calloc(n ? n : 1, sizeof *v);
    if (!v)
        return durable__error_oom();
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        char idx[DJ_PATH_MAX];
        durable__jpath_idx(idx, path, i);
        if (!cJSON_IsString(item) || !item->valuestring) {
            rc = durable__jerr(DURABLE_EPARSE, idx, NULL, "expected a string");
            break;
        }
        if ((rc = durable__jcheck_text(item->valuestring, rule ? rule : &DJ_TEXT, idx, NULL)) < 0)
            break;
        if (!(v[i] = durable__strdup(item->valuestring))) {
            rc = durable__error_oom();
            break;
        }
        i++;
    }
    if (rc < 0) {
        durable__str_array_free(v, i);
        return rc;
    }
    durable__str_array_free(*out, *count);
    *out = v;
    *count = n;
    return 0;
}

/* ---- encoding -------------------------------------------------------------- */

int durable__jadd_item(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return durable__error_oom();
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return durable__error_oom();
    }
    return 0;
}

int durable__jadd_str(cJSON *obj, const char *key, const char *v)
{
    return v ? durable__jadd_item(obj, key, cJSON_CreateString(v)) : 0;
}

int durable__jadd_int(cJSON *obj, const char *key, int64_t v)
{
    return durable__jadd_item(obj, key, cJSON_CreateNumber((double)v));
}

int durable__jadd_bool(cJSON *obj, const char *key, bool v)
{
    return durable__jadd_item(obj, key, cJSON_CreateBool(v));
}

int durable__jadd_ts(cJSON *obj, const char *key, int64_t ms, durable_ts_format fmt)
{
    return durable__jadd_item(obj, key, durable_ts_to_json(ms, fmt));
}

int durable__jadd_obj(cJSON **out, cJSON *obj, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    int rc = durable__jadd_item(obj, key, o);
    *out = rc < 0 ? NULL : o;
    return rc;
}

int durable__jadd_error(cJSON *obj, const char *key, const durable_error_object *e)
{
    cJSON *j = NULL;
    int rc = durable_error_object_to_json(&j, e);
    if (rc < 0)
        return rc;
    return durable__jadd_item(obj, key, j);
}

int durable__jadd_str_array(cJSON *obj, const char *key, char *const *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    int rc = durable__jadd_item(obj, key, arr);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cJSON *s = cJSON_CreateString(v[i] ? v[i] : "");
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            rc = durable__error_oom();
        }
    }
    return rc;
}

/* ---- deep copy / compare helpers ------------------------------------------ */

bool durable__str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

int durable__str_copy(char **out, const char *s)
{
    *out = NULL;
    if (!s)
        return 0;
    if (!(*out = durable__strdup(s)))
        return durable__error_oom();
    return 0;
}

int durable__str_array_copy(char ***out, const char *const *v, size_t n)
{
    *out = NULL;
    if (!v)
        return 0;
    char **c = durable__calloc(n ? n : 1, sizeof *c);
    if (!c)
        return durable__error_oom();
    for (size_t i = 0; i < n; i++)
        if (v[i] && !(c[i] = durable__strdup(v[i]))) {
            durable__str_array_free(c, i);
            return durable__error_oom();
        }
    *out = c;
    return 0;
}

void durable__str_array_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        durable_free(v[i]);
    durable_free(v);
}

bool durable__str_array_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (!a || !b)
        return a == b && (a || na == nb);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!durable__str_eq(a[i], b[i]))
            return false;
    return true;
}

bool durable__error_eq(const durable_error_object *a, const durable_error_object *b)
{
    if (!a || !b)
        return a == b;
    return durable_error_object_equal(a, b);
}

int durable__error_copy(durable_error_object **out, const durable_error_object *e)
{
    *out = NULL;
    return e ? durable_error_object_dup(out, e) : 0;
}

/* ---- text ------------------------------------------------------------------ */

char *durable_json_print(const cJSON *json)
{
    /* cJSON allocates through the library hooks (alloc.c), so durable_free
     * releases the text. */
    return json ? cJSON_PrintUnformatted(json) : NULL;
}

/* A text that is exactly a plain integer of at most 15 digits ("0", "-7",
 * "42"; no sign on zero, no leading zero, nothing around it): its value,
 * which a double holds exactly, so the item is the one cJSON's parser would
 * build (strtod gives the same double). Replay parses a stored result per
 * operation, and numbers are common results: this skips the parser's
 * buffer copy, strtod and locale lookup. false for anything else. */
static bool plain_integer(double *out, const char *text, size_t len)
{
    size_t i = text[0] == '-';
    size_t digits = len - i;
    if (digits == 0 || digits > 15 || (text[i] == '0' && (digits > 1 || i)))
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (text[i] - '0');
    }
    *out = text[0] == '-' ? -(double)v : (double)v;
    return true;
}

int durable_json_parse(cJSON **out, const char *text, size_t len)
{
    *out = NULL;
    if (!text)
        return durable__error_set(DURABLE_EPARSE, "JSON: no text");
    double number;
    if (len > 0 && len <= 16 && plain_integer(&number, text, len)) {
        *out = cJSON_CreateNumber(number);
        return *out ? 0 : durable__error_oom();
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        size_t off = (end && end >= text) ? (size_t)(end - text) : 0;
        if (len == 0)
            return durable__error_set(DURABLE_EPARSE, "JSON: empty text");
        return durable__error_set(DURABLE_EPARSE,
                                  "JSON: malformed or nested deeper than %d levels at byte %zu",
                                  CJSON_NESTING_LIMIT, off);
    }
    /* Trailing bytes other than whitespace make the whole text invalid. */
    size_t used = (size_t)(end - text);
    for (size_t i = used; i < len; i++) {
        char c = text[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\0') {
            cJSON_Delete(j);
            return durable__error_set(DURABLE_EPARSE, "JSON: unexpected data at byte %zu", i);
        }
    }
    *out = j;
    return 0;
}
