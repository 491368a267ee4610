/* Python json.dumps() defaults, from a cJSON tree (SPEC.md §12.4 payloads). */
#include "conformance/pyjson.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance/loader.h"
#include "conformance/matcher.h"

typedef struct pj_buf {
    char *p;
    size_t len, cap;
    bool oom;
} pj_buf;

static void pj_put(pj_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void pj_puts(pj_buf *b, const char *s)
{
    pj_put(b, s, strlen(s));
}

/* Decode one UTF-8 sequence; returns its length (>= 1) and the code point
 * (U+FFFD for malformed input, as a Python str could not hold it). */
static size_t pj_utf8(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t c;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        c = s[0] & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return n;
    }
    *cp = c;
    return n;
}

static void pj_string(pj_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char esc[16];
    pj_puts(b, "\"");
    while (*p) {
        uint32_t cp;
        size_t n = pj_utf8(p, &cp);
        p += n;
        switch (cp) {
        case '"': pj_puts(b, "\\\""); continue;
        case '\\': pj_puts(b, "\\\\"); continue;
        case '\n': pj_puts(b, "\\n"); continue;
        case '\r': pj_puts(b, "\\r"); continue;
        case '\t': pj_puts(b, "\\t"); continue;
        case '\b': pj_puts(b, "\\b"); continue;
        case '\f': pj_puts(b, "\\f"); continue;
        default: break;
        }
        if (cp >= 0x20 && cp <= 0x7E) {
            char c = (char)cp;
            pj_put(b, &c, 1);
        } else if (cp < 0x10000) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            pj_puts(b, esc);
        } else {
            uint32_t v = cp - 0x10000;
            snprintf(esc, sizeof esc, "\\u%04x\\u%04x", (unsigned)(0xD800 | (v >> 10)),
                     (unsigned)(0xDC00 | (v & 0x3FF)));
            pj_puts(b, esc);
        }
    }
    pj_puts(b, "\"");
}

static void pj_number(pj_buf *b, const cJSON *n)
{
    char text[64];
    double d = n->valuedouble;
    if (isnan(d)) {
        pj_puts(b, "NaN");
        return;
    }
    if (isinf(d)) {
        pj_puts(b, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (!conf_json_is_float(n) && d == floor(d) && fabs(d) < 9.007199254740992e15)
        snprintf(text, sizeof text, "%lld", (long long)d);
    else
        conf_python_float_repr(text, sizeof text, d);
    pj_puts(b, text);
}

static void pj_value(pj_buf *b, const cJSON *v, int depth)
{
    if (depth > 512) {
        b->oom = true;
        return;
    }
    if (cJSON_IsNull(v) || !v)
        pj_puts(b, "null");
    else if (cJSON_IsTrue(v))
        pj_puts(b, "true");
    else if (cJSON_IsFalse(v))
        pj_puts(b, "false");
    else if (cJSON_IsNumber(v))
        pj_number(b, v);
    else if (cJSON_IsString(v))
        pj_string(b, v->valuestring);
    else if (cJSON_IsArray(v)) {
        pj_puts(b, "[");
        const cJSON *c;
        bool first = true;
        cJSON_ArrayForEach(c, v)
        {
            if (!first)
                pj_puts(b, ", ");
            first = false;
            pj_value(b, c, depth + 1);
        }
        pj_puts(b, "]");
    } else if (cJSON_IsObject(v)) {
        pj_puts(b, "{");
        const cJSON *c;
        bool first = true;
        cJSON_ArrayForEach(c, v)
        {
            if (!first)
                pj_puts(b, ", ");
            first = false;
            pj_string(b, c->string ? c->string : "");
            pj_puts(b, ": ");
            pj_value(b, c, depth + 1);
        }
        pj_puts(b, "}");
    } else {
        pj_puts(b, "null");
    }
}

char *conf_pyjson_dumps(const cJSON *value)
{
    pj_buf b = {0};
    pj_value(&b, value, 0);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
