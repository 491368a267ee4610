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
#include "model/internal.h"

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

static void pj_string(durable__strbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char esc[16];
    durable__strbuf_puts(b, "\"");
    while (*p) {
        uint32_t cp;
        size_t n = pj_utf8(p, &cp);
        p += n;
        switch (cp) {
        case '"': durable__strbuf_puts(b, "\\\""); continue;
        case '\\': durable__strbuf_puts(b, "\\\\"); continue;
        case '\n': durable__strbuf_puts(b, "\\n"); continue;
        case '\r': durable__strbuf_puts(b, "\\r"); continue;
        case '\t': durable__strbuf_puts(b, "\\t"); continue;
        case '\b': durable__strbuf_puts(b, "\\b"); continue;
        case '\f': durable__strbuf_puts(b, "\\f"); continue;
        default: break;
        }
        if (cp >= 0x20 && cp <= 0x7E) {
            char c = (char)cp;
            durable__strbuf_put(b, &c, 1);
        } else if (cp < 0x10000) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            durable__strbuf_puts(b, esc);
        } else {
            uint32_t v = cp - 0x10000;
            snprintf(esc, sizeof esc, "\\u%04x\\u%04x", (unsigned)(0xD800 | (v >> 10)),
                     (unsigned)(0xDC00 | (v & 0x3FF)));
            durable__strbuf_puts(b, esc);
        }
    }
    durable__strbuf_puts(b, "\"");
}

static void pj_number(durable__strbuf *b, const cJSON *n)
{
    char text[64];
    double d = n->valuedouble;
    if (isnan(d)) {
        durable__strbuf_puts(b, "NaN");
        return;
    }
    if (isinf(d)) {
        durable__strbuf_puts(b, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (!conf_json_is_float(n) && d == floor(d) && fabs(d) < 9.007199254740992e15)
        snprintf(text, sizeof text, "%lld", (long long)d);
    else
        conf_python_float_repr(text, sizeof text, d);
    durable__strbuf_puts(b, text);
}

static void pj_value(durable__strbuf *b, const cJSON *v, int depth)
{
    if (depth > 512) {
        b->oom = 1;
        return;
    }
    if (cJSON_IsNull(v) || !v)
        durable__strbuf_puts(b, "null");
    else if (cJSON_IsTrue(v))
        durable__strbuf_puts(b, "true");
    else if (cJSON_IsFalse(v))
        durable__strbuf_puts(b, "false");
    else if (cJSON_IsNumber(v))
        pj_number(b, v);
    else if (cJSON_IsString(v))
        pj_string(b, v->valuestring);
    else if (cJSON_IsArray(v)) {
        durable__strbuf_puts(b, "[");
        const cJSON *c;
        bool first = true;
        cJSON_ArrayForEach(c, v)
        {
            if (!first)
                durable__strbuf_puts(b, ", ");
            first = false;
            pj_value(b, c, depth + 1);
        }
        durable__strbuf_puts(b, "]");
    } else if (cJSON_IsObject(v)) {
        durable__strbuf_puts(b, "{");
        const cJSON *c;
        bool first = true;
        cJSON_ArrayForEach(c, v)
        {
            if (!first)
                durable__strbuf_puts(b, ", ");
            first = false;
            pj_string(b, c->string ? c->string : "");
            durable__strbuf_puts(b, ": ");
            pj_value(b, c, depth + 1);
        }
        durable__strbuf_puts(b, "}");
    } else {
        durable__strbuf_puts(b, "null");
    }
}

char *conf_pyjson_dumps(const cJSON *value)
{
    durable__strbuf b = {0};
    pj_value(&b, value, 0);
    return durable__strbuf_take(&b);
}
