/* Conformance comparison rules (SPEC.md §12.1–§12.3, §12.5 logs). */
#include "conformance/matcher.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance/loader.h"
#include "model/internal.h"

#define MT_TEXT_MAX 200 /* longest value text kept in a mismatch */
#define MT_PATH_MAX 512

/* ---- text helpers ---------------------------------------------------------- */

static char *mt_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static char *mt_vformat(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

/* Python-like repr of a double: shortest round-trip digits; fixed notation
 * when -4 <= exponent < 16 (with ".0" when integral), else d.ddde+XX. */
void conf_python_float_repr(char *out, size_t size, double d)
{
    if (isnan(d)) {
        snprintf(out, size, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(out, size, d < 0 ? "-inf" : "inf");
        return;
    }
    char e[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    /* e = [-]D.DDDDe[+-]XX */
    char digits[32];
    size_t nd = 0;
    const char *p = e;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && nd < sizeof digits - 1)
            digits[nd++] = *p;
    digits[nd] = 0;
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = 0;
    durable__strbuf b = {0};
    if (neg)
        durable__strbuf_puts(&b, "-");
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            durable__strbuf_puts(&b, "0.");
            for (int i = -1; i > exp10; i--)
                durable__strbuf_puts(&b, "0");
            durable__strbuf_puts(&b, digits);
        } else {
            for (int i = 0; i <= exp10; i++)
                durable__strbuf_put(&b, i < (int)nd ? &digits[i] : "0", 1);
            durable__strbuf_puts(&b, ".");
            if ((int)nd > exp10 + 1)
                durable__strbuf_puts(&b, digits + exp10 + 1);
            else
                durable__strbuf_puts(&b, "0");
        }
    } else {
        durable__strbuf_put(&b, digits, 1);
        if (nd > 1) {
            durable__strbuf_puts(&b, ".");
            durable__strbuf_puts(&b, digits + 1);
        }
        char ex[16];
        snprintf(ex, sizeof ex, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        durable__strbuf_puts(&b, ex);
    }
    char *s = durable__strbuf_take(&b);
    snprintf(out, size, "%s", s ? s : "?");
    free(s);
}

static void mt_number_text(char *out, size_t size, const cJSON *n)
{
    double d = n->valuedouble;
    if (!conf_json_is_float(n) && d == floor(d) && fabs(d) < 9.007199254740992e15)
        snprintf(out, size, "%lld", (long long)d);
    else
        conf_python_float_repr(out, size, d);
}

char *conf_string_form(const cJSON *v)
{
    char num[64];
    if (!v)
        return mt_strdup("None");
    if (cJSON_IsString(v))
        return mt_strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        mt_number_text(num, sizeof num, v);
        return mt_strdup(num);
    }
    if (cJSON_IsTrue(v))
        return mt_strdup("True");
    if (cJSON_IsFalse(v))
        return mt_strdup("False");
    if (cJSON_IsNull(v))
        return mt_strdup("None");
    char *s = cJSON_PrintUnformatted(v);
    char *copy = s ? mt_strdup(s) : NULL;
    cJSON_free(s);
    return copy;
}

/* Compact, length-limited text of a value for messages. */
static char *mt_show(const cJSON *v)
{
    if (!v)
        return mt_strdup("(absent)");
    char *s = cJSON_PrintUnformatted(v);
    if (!s)
        return mt_strdup("?");
    size_t n = strlen(s);
    char *out;
    if (n > MT_TEXT_MAX) {
        out = malloc(MT_TEXT_MAX + 32);
        if (out)
            snprintf(out, MT_TEXT_MAX + 32, "%.*s… (%zu bytes)", MT_TEXT_MAX, s, n);
    } else {
        out = mt_strdup(s);
    }
    cJSON_free(s);
    return out;
}

/* ---- mismatches ------------------------------------------------------------ */

void conf_mismatch_clear(conf_mismatch *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->expected);
    free(m->actual);
    free(m->message);
    memset(m, 0, sizeof *m);
}

void conf_mismatch_set(conf_mismatch *m, const char *path, const cJSON *expected,
                       const cJSON *actual, const char *fmt, ...)
{
    if (!m || m->message)
        return;
    va_list ap;
    va_start(ap, fmt);
    m->message = mt_vformat(fmt, ap);
    va_end(ap);
    m->path = mt_strdup(path ? path : "");
    m->expected = expected ? mt_show(expected) : NULL;
    m->actual = actual ? mt_show(actual) : NULL;
    if (!m->message)
        m->message = mt_strdup("out of memory while reporting a mismatch");
}

/* ---- bindings -------------------------------------------------------------- */

void conf_bindings_clear(conf_bindings *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->count; i++) {
        free(b->names[i]);
        cJSON_Delete(b->values[i]);
    }
    free(b->names);
    free(b->values);
    memset(b, 0, sizeof *b);
}

const cJSON *conf_bindings_get(const conf_bindings *b, const char *name)
{
    for (size_t i = 0; b && i < b->count; i++)
        if (!strcmp(b->names[i], name))
            return b->values[i];
    return NULL;
}

int conf_bindings_set(conf_bindings *b, const char *name, const cJSON *value)
{
    cJSON *copy = value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull();
    if (!copy)
        return -1;
    for (size_t i = 0; i < b->count; i++) {
        if (!strcmp(b->names[i], name)) {
            cJSON_Delete(b->values[i]);
            b->values[i] = copy;
            return 0;
        }
    }
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char **names = realloc(b->names, cap * sizeof *names);
        if (!names) {
            cJSON_Delete(copy);
            return -1;
        }
        b->names = names;
        cJSON **values = realloc(b->values, cap * sizeof *values);
        if (!values) {
            cJSON_Delete(copy);
            return -1;
        }
        b->values = values;
        b->cap = cap;
    }
    b->names[b->count] = mt_strdup(name);
    if (!b->names[b->count]) {
        cJSON_Delete(copy);
        return -1;
    }
    b->values[b->count++] = copy;
    return 0;
}

static bool mt_name_char(char c, bool first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

/* Length of a "${NAME}" starting at s (0 if s does not start one); the name
 * is copied into name. */
static size_t mt_placeholder_at(const char *s, char *name, size_t size)
{
    if (s[0] != '$' || s[1] != '{' || !mt_name_char(s[2], true))
        return 0;
    size_t i = 2;
    while (mt_name_char(s[i], false))
        i++;
    if (s[i] != '}')
        return 0;
    size_t n = i - 2;
    if (n + 1 > size)
        return 0;
    memcpy(name, s + 2, n);
    name[n] = 0;
    return i + 1;
}

bool conf_placeholder_name(const char *s, char *name, size_t size)
{
    size_t n = mt_placeholder_at(s, name, size);
    return n && s[n] == 0;
}

char *conf_placeholder_regex(const char *s)
{
    size_t n = strlen(s);
    if (n < 5 || s[0] != '$' || s[1] != '{' || s[2] != '/' || s[n - 1] != '}' || s[n - 2] != '/')
        return NULL;
    char *re = malloc(n - 4);
    if (!re)
        return NULL;
    memcpy(re, s + 3, n - 5);
    re[n - 5] = 0;
    return re;
}

static uint64_t mt_splitmix(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int conf_resolve_variables(conf_bindings *b, const cJSON *variables, uint64_t *rng, char *err,
                           size_t errlen)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    if (!variables || cJSON_IsNull(variables))
        return 0;
    if (!cJSON_IsObject(variables)) {
        snprintf(err, errlen, "Variables must be a mapping");
        return -1;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, variables)
    {
        cJSON *bound = NULL;
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        if (s && !strncmp(s, "${GEN_STR:", 10)) {
            char *end = NULL;
            long n = strtol(s + 10, &end, 10);
            if (end == s + 10 || strcmp(end, "}") != 0 || n < 0 || n > 4096) {
                snprintf(err, errlen, "Variables.%s: malformed %s", v->string, s);
                return -1;
            }
            char *text = malloc((size_t)n + 1);
            if (!text)
                return -1;
            for (long i = 0; i < n; i++)
                text[i] = alphabet[mt_splitmix(rng) % (sizeof alphabet - 1)];
            text[n] = 0;
            bound = cJSON_CreateString(text);
            free(text);
        } else {
            char *text = conf_string_form(v);
            bound = text ? cJSON_CreateString(text) : NULL;
            free(text);
        }
        if (!bound || conf_bindings_set(b, v->string, bound) < 0) {
            cJSON_Delete(bound);
            snprintf(err, errlen, "out of memory binding Variables.%s", v->string);
            return -1;
        }
        cJSON_Delete(bound);
    }
    return 0;
}

/* Substitute bound placeholders inside a string; NULL on OOM. */
static char *mt_subst_text(const char *s, const conf_bindings *b)
{
    durable__strbuf out = {0};
    char name[256];
    while (*s) {
        size_t n = mt_placeholder_at(s, name, sizeof name);
        const cJSON *v = n ? conf_bindings_get(b, name) : NULL;
        if (v) {
            char *t = conf_string_form(v);
            if (!t) {
                durable__free(out.p);
                return NULL;
            }
            durable__strbuf_puts(&out, t);
            free(t);
            s += n;
        } else {
            durable__strbuf_put(&out, s, 1);
            s++;
        }
    }
    return durable__strbuf_take(&out);
}

cJSON *conf_substitute(const cJSON *value, const conf_bindings *b)
{
    if (!value)
        return NULL;
    if (cJSON_IsString(value)) {
        char name[256];
        if (conf_placeholder_name(value->valuestring, name, sizeof name)) {
            const cJSON *v = conf_bindings_get(b, name);
            if (v)
                return cJSON_Duplicate(v, 1);
        }
        char *t = mt_subst_text(value->valuestring, b);
        cJSON *s = t ? cJSON_CreateString(t) : NULL;
        free(t);
        return s;
    }
    if (cJSON_IsArray(value) || cJSON_IsObject(value)) {
        cJSON *copy = cJSON_IsArray(value) ? cJSON_CreateArray() : cJSON_CreateObject();
        if (!copy)
            return NULL;
        const cJSON *c;
        cJSON_ArrayForEach(c, value)
        {
            cJSON *sc = conf_substitute(c, b);
            if (!sc) {
                cJSON_Delete(copy);
                return NULL;
            }
            if (cJSON_IsArray(value))
                cJSON_AddItemToArray(copy, sc);
            else
                cJSON_AddItemToObject(copy, c->string, sc);
        }
        return copy;
    }
    return cJSON_Duplicate(value, 1);
}

/* ---- regex ------------------------------------------------------------------ */

int conf_regex_translate(char **posix, bool *icase, const char *pattern)
{
    durable__strbuf out = {0};
    const char *p = pattern;
    *icase = false;
    if (!strncmp(p, "(?i)", 4)) {
        *icase = true;
        p += 4;
    }
    bool in_bracket = false;
    while (*p) {
        char c = *p;
        if (in_bracket) {
            if (c == '\\' && p[1]) {
                char e = p[1];
                if (e == 'd')
                    durable__strbuf_puts(&out, "0-9");
                else if (e == 's')
                    durable__strbuf_puts(&out, "[:space:]");
                else if (e == 'w')
                    durable__strbuf_puts(&out, "[:alnum:]_");
                else if (e == 'n')
                    durable__strbuf_puts(&out, "\n");
                else if (e == 't')
                    durable__strbuf_puts(&out, "\t");
                else
                    durable__strbuf_put(&out, &p[1], 1);
                p += 2;
                continue;
            }
            if (c == ']') {
                in_bracket = false;
            }
            durable__strbuf_put(&out, p, 1);
            p++;
            continue;
        }
        if (c == '[') {
            in_bracket = true;
            durable__strbuf_put(&out, p, 1);
            p++;
            if (*p == '^') {
                durable__strbuf_put(&out, p, 1);
                p++;
            }
            if (*p == ']') { /* a leading ] is literal */
                durable__strbuf_put(&out, p, 1);
                p++;
            }
            continue;
        }
        if (c == '(' && p[1] == '?' && p[2] == ':') {
            durable__strbuf_puts(&out, "(");
            p += 3;
            continue;
        }
        if (c == '\\' && p[1]) {
            char e = p[1];
            switch (e) {
            case 'd': durable__strbuf_puts(&out, "[0-9]"); break;
            case 'D': durable__strbuf_puts(&out, "[^0-9]"); break;
            case 's': durable__strbuf_puts(&out, "[[:space:]]"); break;
            case 'S': durable__strbuf_puts(&out, "[^[:space:]]"); break;
            case 'w': durable__strbuf_puts(&out, "[[:alnum:]_]"); break;
            case 'W': durable__strbuf_puts(&out, "[^[:alnum:]_]"); break;
            case 'n': durable__strbuf_puts(&out, "\n"); break;
            case 't': durable__strbuf_puts(&out, "\t"); break;
            default:
                if (strchr(".[]()*+?{}|^$\\", e)) {
                    durable__strbuf_put(&out, p, 2);
                } else {
                    durable__strbuf_put(&out, &p[1], 1);
                }
            }
            p += 2;
            continue;
        }
        durable__strbuf_put(&out, p, 1);
        p++;
    }
    *posix = durable__strbuf_take(&out);
    return *posix ? 0 : -1;
}

int conf_regex_search(bool *found, const char *pattern, const char *text, char *err,
                      size_t errlen)
{
    char *posix = NULL;
    bool icase = false;
    *found = false;
    if (conf_regex_translate(&posix, &icase, pattern) < 0) {
        snprintf(err, errlen, "out of memory translating /%s/", pattern);
        return -1;
    }
    regex_t re;
    int rc = regcomp(&re, posix, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    if (rc != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof msg);
        snprintf(err, errlen, "regex /%s/ does not compile: %s", pattern, msg);
        free(posix);
        return -1;
    }
    *found = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    free(posix);
    return 0;
}

/* ---- equality ----------------------------------------------------------------- */

bool conf_json_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!conf_json_equal(x, y))
                return false;
        return true;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !conf_json_equal(x, y))
                return false;
        }
        return true;
    }
    return true; /* null, true, false: same type */
}

/* ---- history ---------------------------------------------------------------- */

static const char *mt_str_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void conf_inherit_callback_names(cJSON *events)
{
    if (!cJSON_IsArray(events))
        return;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *st = mt_str_field(e, "SubType");
        const char *type = mt_str_field(e, "EventType");
        const char *id = mt_str_field(e, "Id");
        const char *name = mt_str_field(e, "Name");
        if (!st || !type || !id || !name || strcmp(st, "WaitForCallback") != 0 ||
            strncmp(type, "Context", 7) != 0)
            continue;
        cJSON *c;
        cJSON_ArrayForEach(c, events)
        {
            const char *parent = mt_str_field(c, "ParentId");
            const char *ct = mt_str_field(c, "EventType");
            if (!parent || !ct || strcmp(parent, id) != 0 ||
                cJSON_GetObjectItemCaseSensitive(c, "Name"))
                continue;
            if (!strcmp(ct, "CallbackStarted") || !strcmp(ct, "StepStarted") ||
                !strcmp(ct, "StepSucceeded"))
                cJSON_AddStringToObject(c, "Name", name);
        }
    }
}

static void mt_join(char *out, size_t size, const char *path, const char *key)
{
    if (!path || !*path)
        snprintf(out, size, "%s", key);
    else
        snprintf(out, size, "%s.%s", path, key);
}

int conf_match_value(conf_mismatch *m, const char *path, const cJSON *expected,
                     const cJSON *actual, conf_bindings *b)
{
    char sub[MT_PATH_MAX];
    if (cJSON_IsString(expected)) {
        const char *es = expected->valuestring;
        char name[256];
        if (!strcmp(es, "*"))
            return 0;
        if (conf_placeholder_name(es, name, sizeof name)) {
            const cJSON *bound = conf_bindings_get(b, name);
            if (!bound) {
                if (conf_bindings_set(b, name, actual) < 0) {
                    conf_mismatch_set(m, path, NULL, NULL, "%s: out of memory", path);
                    return -1;
                }
                return 0;
            }
            if (conf_json_equal(bound, actual))
                return 0;
            char *bs = mt_show(bound), *as = mt_show(actual);
            conf_mismatch_set(m, path, bound, actual,
                              "%s: placeholder ${%s} was previously bound to %s, actual %s", path,
                              name, bs ? bs : "?", as ? as : "?");
            free(bs);
            free(as);
            return 1;
        }
        char *re = conf_placeholder_regex(es);
        if (re) {
            char *text = conf_string_form(actual);
            char err[256] = "";
            bool found = false;
            int rc = text ? conf_regex_search(&found, re, text, err, sizeof err) : -1;
            if (rc < 0) {
                conf_mismatch_set(m, path, expected, NULL, "%s: %s", path,
                                  err[0] ? err : "out of memory");
                free(text);
                free(re);
                return -1;
            }
            if (!found) {
                char *as = mt_show(actual);
                conf_mismatch_set(m, path, expected, actual, "%s: %s does not match %s", path, es,
                                  as ? as : "?");
                free(as);
            }
            free(text);
            free(re);
            return found ? 0 : 1;
        }
        /* A literal string, after substituting bound placeholders. */
        cJSON *se = conf_substitute(expected, b);
        if (!se) {
            conf_mismatch_set(m, path, NULL, NULL, "%s: out of memory", path);
            return -1;
        }
        bool eq = conf_json_equal(se, actual);
        if (!eq) {
            char *xs = mt_show(se), *as = mt_show(actual);
            conf_mismatch_set(m, path, se, actual, "%s: expected %s, actual %s", path,
                              xs ? xs : "?", as ? as : "?");
            free(xs);
            free(as);
        }
        cJSON_Delete(se);
        return eq ? 0 : 1;
    }
    if (cJSON_IsObject(expected)) {
        if (!expected->child)
            return 0; /* {} accepts anything present */
        if (!cJSON_IsObject(actual)) {
            char *as = mt_show(actual);
            conf_mismatch_set(m, path, expected, actual, "%s: expected a mapping, actual %s", path,
                              as ? as : "?");
            free(as);
            return 1;
        }
        const cJSON *ek;
        cJSON_ArrayForEach(ek, expected)
        {
            mt_join(sub, sizeof sub, path, ek->string);
            const cJSON *ak = cJSON_GetObjectItemCaseSensitive(actual, ek->string);
            if (!ak) {
                conf_mismatch_set(m, sub, ek, NULL, "%s: key missing in actual event", sub);
                return 1;
            }
            int rc = conf_match_value(m, sub, ek, ak, b);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (cJSON_IsArray(expected)) {
        if (!cJSON_IsArray(actual)) {
            char *as = mt_show(actual);
            conf_mismatch_set(m, path, expected, actual, "%s: expected a list, actual %s", path,
                              as ? as : "?");
            free(as);
            return 1;
        }
        int en = cJSON_GetArraySize(expected), an = cJSON_GetArraySize(actual);
        if (en != an) {
            conf_mismatch_set(m, path, expected, actual,
                              "%s: expected a list of %d items, actual has %d", path, en, an);
            return 1;
        }
        const cJSON *x = expected->child, *y = actual->child;
        for (int i = 0; x && y; x = x->next, y = y->next, i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            int rc = conf_match_value(m, sub, x, y, b);
            if (rc)
                return rc;
        }
        return 0;
    }
    /* number, bool, null */
    if (conf_json_equal(expected, actual))
        return 0;
    char *xs = mt_show(expected), *as = mt_show(actual);
    conf_mismatch_set(m, path, expected, actual, "%s: expected %s, actual %s", path,
                      xs ? xs : "?", as ? as : "?");
    free(xs);
    free(as);
    return 1;
}

static bool mt_event_id(const cJSON *event, long long *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(event, "EventId");
    if (!cJSON_IsNumber(id) || id->valuedouble != floor(id->valuedouble))
        return false;
    *out = (long long)id->valuedouble;
    return true;
}

int conf_match_history(conf_mismatch *m, const cJSON *expected_events,
                       const cJSON *actual_events, conf_bindings *b)
{
    if (!expected_events || cJSON_IsNull(expected_events))
        return 0;
    if (!cJSON_IsArray(expected_events)) {
        conf_mismatch_set(m, "ExpectedExecutionHistory", NULL, NULL,
                          "ExpectedExecutionHistory must be a list");
        return -1;
    }
    int idx = 0;
    const cJSON *exp;
    cJSON_ArrayForEach(exp, expected_events)
    {
        long long id;
        char path[64];
        if (!cJSON_IsObject(exp) || !mt_event_id(exp, &id)) {
            snprintf(path, sizeof path, "ExpectedExecutionHistory[%d]", idx);
            conf_mismatch_set(m, path, exp, NULL, "%s: an expected event needs an integer EventId",
                              path);
            return -1;
        }
        const cJSON *act = NULL, *a;
        cJSON_ArrayForEach(a, actual_events)
        {
            long long aid;
            if (mt_event_id(a, &aid) && aid == id) {
                act = a;
                break;
            }
        }
        snprintf(path, sizeof path, "EventId=%lld", id);
        if (!act) {
            conf_mismatch_set(m, path, exp, NULL, "No actual event found for EventId=%lld", id);
            return 1;
        }
        int rc = conf_match_value(m, path, exp, act, b);
        if (rc)
            return rc;
        idx++;
    }
    return 0;
}

/* ---- result -------------------------------------------------------------------- */

int conf_match_result(conf_mismatch *m, const cJSON *expected_result, const char *actual_status,
                      const char *actual_result, const conf_bindings *b)
{
    if (!expected_result || cJSON_IsNull(expected_result))
        return 0;
    if (!cJSON_IsObject(expected_result)) {
        conf_mismatch_set(m, "ExpectedResult", NULL, NULL, "ExpectedResult must be a mapping");
        return -1;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(expected_result, "ExecutionStatus");
    if (st && !cJSON_IsNull(st)) {
        if (!cJSON_IsString(st)) {
            conf_mismatch_set(m, "ExecutionStatus", st, NULL,
                              "ExpectedResult.ExecutionStatus must be a string");
            return -1;
        }
        const char *as = actual_status ? actual_status : "(none)";
        if (strcmp(st->valuestring, as) != 0) {
            cJSON *a = cJSON_CreateString(as);
            conf_mismatch_set(m, "ExecutionStatus", st, a,
                              "ExecutionStatus: expected %s, actual %s", st->valuestring, as);
            cJSON_Delete(a);
            return 1;
        }
    }
    /* Failed (and every other non-success) execution: status only. */
    if (!actual_status || strcmp(actual_status, "SUCCEEDED") != 0)
        return 0;
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(expected_result, "Result");
    if (!er)
        return 0;
    cJSON *want = conf_substitute(er, b);
    if (!want) {
        conf_mismatch_set(m, "Result", NULL, NULL, "Result: out of memory");
        return -1;
    }
    cJSON *got = NULL;
    if (actual_result) {
        got = cJSON_Parse(actual_result);
        if (!got)
            got = cJSON_CreateString(actual_result);
    }
    int rc = 0;
    bool eq = cJSON_IsNull(want) ? (!got || cJSON_IsNull(got)) : conf_json_equal(want, got);
    if (!eq) {
        char *xs = mt_show(want), *gs = mt_show(got);
        conf_mismatch_set(m, "Result", want, got, "Result: expected %s, actual %s", xs ? xs : "?",
                          gs ? gs : "?");
        free(xs);
        free(gs);
        rc = 1;
    }
    cJSON_Delete(want);
    cJSON_Delete(got);
    return rc;
}

/* ---- logs ----------------------------------------------------------------------- */

static bool mt_is_slash_regex(const cJSON *v)
{
    if (!cJSON_IsString(v))
        return false;
    size_t n = strlen(v->valuestring);
    return n >= 2 && v->valuestring[0] == '/' && v->valuestring[n - 1] == '/';
}

static void mt_trim(const char *s, const char **start, size_t *len)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

/* 1 match, 0 no match, -1 bad regex (message in err). */
static int mt_log_field(const cJSON *want, const cJSON *have, char *err, size_t errlen)
{
    if (!have)
        return 0;
    if (mt_is_slash_regex(want)) {
        size_t n = strlen(want->valuestring);
        char *re = malloc(n);
        char *text = conf_string_form(have);
        if (!re || !text) {
            free(re);
            free(text);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(re, want->valuestring + 1, n - 2);
        re[n - 2] = 0;
        bool found = false;
        int rc = conf_regex_search(&found, re, text, err, errlen);
        free(re);
        free(text);
        return rc < 0 ? -1 : found;
    }
    if (cJSON_IsString(want)) {
        if (!cJSON_IsString(have))
            return 0;
        const char *a, *c;
        size_t an, cn;
        mt_trim(want->valuestring, &a, &an);
        mt_trim(have->valuestring, &c, &cn);
        return an == cn && memcmp(a, c, an) == 0;
    }
    if (cJSON_IsBool(want))
        return cJSON_IsBool(have) && (cJSON_IsTrue(want) == cJSON_IsTrue(have));
    if (cJSON_IsNumber(want))
        return cJSON_IsNumber(have) && want->valuedouble == have->valuedouble;
    return conf_json_equal(want, have);
}

/* 1 when record matches every field of `match`, 0 if not, -1 on error. */
static int mt_log_record(const cJSON *match, const cJSON *record, char *err, size_t errlen)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, match)
    {
        int rc = mt_log_field(f, cJSON_GetObjectItemCaseSensitive(record, f->string), err, errlen);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/* Indices of matching records into idx (capacity n); returns the count or -1. */
static long mt_log_scan(size_t *idx, cJSON *const *records, size_t n, const cJSON *match,
                        char *err, size_t errlen)
{
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = mt_log_record(match, records[i], err, errlen);
        if (rc < 0)
            return -1;
        if (rc)
            idx[count++] = i;
    }
    return count;
}

static bool mt_int_field(const cJSON *entry, const char *key, long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, key);
    if (!v || cJSON_IsNull(v))
        return false;
    *out = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    return true;
}

static int mt_check_entry(conf_mismatch *m, const cJSON *entry, int i, cJSON *const *records,
                          size_t n, size_t *idx, size_t *aidx)
{
    char path[64], err[256] = "";
    snprintf(path, sizeof path, "ExpectedLogs[%d]", i);
    const cJSON *match = cJSON_GetObjectItemCaseSensitive(entry, "match");
    if (!cJSON_IsObject(entry) || !cJSON_IsObject(match)) {
        conf_mismatch_set(m, path, entry, NULL, "%s: an entry needs a `match` mapping", path);
        return -1;
    }
    long found = mt_log_scan(idx, records, n, match, err, sizeof err);
    if (found < 0) {
        conf_mismatch_set(m, path, match, NULL, "%s: %s", path, err);
        return -1;
    }
    long count, min_c = -1, max_c = -1;
    bool has_count = mt_int_field(entry, "count", &count);
    bool has_min = mt_int_field(entry, "min_count", &min_c);
    bool has_max = mt_int_field(entry, "max_count", &max_c);
    if ((has_count && count < 0) || (has_min && min_c < 0) || (has_max && max_c < 0)) {
        conf_mismatch_set(m, path, entry, NULL, "%s: count, min_count and max_count must be "
                          "non-negative integers", path);
        return -1;
    }
    char *ms = mt_show(match);
    cJSON *got = cJSON_CreateNumber((double)found);
    int rc = 0;
    if (has_count) {
        if (found != count) {
            conf_mismatch_set(m, path, match, got,
                              "%s %s: expected exactly %ld matching log line(s), found %ld", path,
                              ms ? ms : "?", count, found);
            rc = 1;
        }
    } else {
        if (!has_min && !has_max)
            min_c = 1;
        if (has_max && !has_min)
            min_c = 0;
        if (found < min_c) {
            conf_mismatch_set(m, path, match, got,
                              "%s %s: expected at least %ld matching log line(s), found %ld",
                              path, ms ? ms : "?", min_c, found);
            rc = 1;
        } else if (has_max && found > max_c) {
            conf_mismatch_set(m, path, match, got,
                              "%s %s: expected at most %ld matching log line(s), found %ld", path,
                              ms ? ms : "?", max_c, found);
            rc = 1;
        }
    }
    cJSON_Delete(got);
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        const char *key = pass == 0 ? "after" : "before";
        const cJSON *anchors = cJSON_GetObjectItemCaseSensitive(entry, key);
        if (!anchors || cJSON_IsNull(anchors))
            continue;
        const cJSON *single[1] = {anchors};
        int an = cJSON_IsArray(anchors) ? cJSON_GetArraySize(anchors) : 1;
        for (int j = 0; rc == 0 && j < an; j++) {
            const cJSON *anchor = cJSON_IsArray(anchors) ? cJSON_GetArrayItem(anchors, j) : single[0];
            char apath[96];
            snprintf(apath, sizeof apath, "%s.%s[%d]", path, key, j);
            if (!cJSON_IsObject(anchor)) {
                conf_mismatch_set(m, apath, anchor, NULL, "%s: an anchor must be a mapping", apath);
                rc = -1;
                break;
            }
            long hits = mt_log_scan(aidx, records, n, anchor, err, sizeof err);
            if (hits < 0) {
                conf_mismatch_set(m, apath, anchor, NULL, "%s: %s", apath, err);
                rc = -1;
                break;
            }
            if (hits == 0) {
                char *as = mt_show(anchor);
                conf_mismatch_set(m, apath, anchor, NULL, "%s: anchor %s matches no log line",
                                  apath, as ? as : "?");
                free(as);
                rc = 1;
                break;
            }
            for (long k = 0; k < found; k++) {
                bool bad = pass == 0 ? idx[k] <= aidx[hits - 1] : idx[k] >= aidx[0];
                if (bad) {
                    char *as = mt_show(anchor);
                    conf_mismatch_set(m, apath, anchor, NULL,
                                      "%s %s: log line %zu is not %s every line matching %s",
                                      path, ms ? ms : "?", idx[k] + 1,
                                      pass == 0 ? "after" : "before", as ? as : "?");
                    free(as);
                    rc = 1;
                    break;
                }
            }
        }
    }
    free(ms);
    return rc;
}

int conf_match_logs(conf_mismatch *m, const cJSON *expected_logs, const char *const *lines,
                    size_t line_count, const conf_bindings *b)
{
    if (!expected_logs || cJSON_IsNull(expected_logs))
        return 0;
    if (!cJSON_IsArray(expected_logs)) {
        conf_mismatch_set(m, "ExpectedLogs", NULL, NULL, "ExpectedLogs must be a list");
        return -1;
    }
    cJSON *entries = conf_substitute(expected_logs, b);
    cJSON **records = calloc(line_count ? line_count : 1, sizeof *records);
    size_t *idx = calloc(line_count ? line_count : 1, sizeof *idx);
    size_t *aidx = calloc(line_count ? line_count : 1, sizeof *aidx);
    int rc = 0;
    if (!entries || !records || !idx || !aidx) {
        conf_mismatch_set(m, "ExpectedLogs", NULL, NULL, "ExpectedLogs: out of memory");
        rc = -1;
        goto done;
    }
    for (size_t i = 0; i < line_count; i++) {
        cJSON *rec = cJSON_Parse(lines[i] ? lines[i] : "");
        if (!cJSON_IsObject(rec)) {
            cJSON_Delete(rec);
            rec = cJSON_CreateObject();
            if (!rec || !cJSON_AddStringToObject(rec, "message", lines[i] ? lines[i] : "")) {
                cJSON_Delete(rec);
                rc = -1;
                goto done;
            }
        }
        records[i] = rec;
    }
    int i = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, entries)
    {
        rc = mt_check_entry(m, entry, i++, records, line_count, idx, aidx);
        if (rc)
            break;
    }
done:
    if (records)
        for (size_t j = 0; j < line_count; j++)
            cJSON_Delete(records[j]);
    free(records);
    free(idx);
    free(aidx);
    cJSON_Delete(entries);
    return rc;
}
