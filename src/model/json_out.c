/* durable__jout: the two outputs of the shared encoders. The text side
 * follows cJSON 1.7's printer exactly: strings escape '"', '\\' and bytes
 * below 0x20 (\b \f \n \r \t, else \u00xx in lower-case hex) and pass every
 * other byte through; numbers are doubles printed "%d" when they equal
 * their int conversion, else "%1.15g", or "%1.17g" when that does not read
 * back, with the locale's decimal point replaced by '.'. */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/json_out.h"

void durable__jo_text(durable__jout *o, durable__strbuf *b)
{
    memset(o, 0, sizeof *o);
    o->text = b;
}

void durable__jo_count(durable__jout *o)
{
    memset(o, 0, sizeof *o);
    o->counting = true;
}

void durable__jo_tree(durable__jout *o, cJSON *parent)
{
    memset(o, 0, sizeof *o);
    if (parent) {
        o->node[0] = parent;
        o->depth = 1;
    }
}

void durable__jo_fail(durable__jout *o, int rc)
{
    if (o->rc == 0 && rc < 0)
        o->rc = rc;
}

/* ---- text ------------------------------------------------------------------- */

static void put_quoted(durable__strbuf *b, const char *s);

/* Text and counting outputs take the same path: emit appends or counts. */
static bool textual(const durable__jout *o)
{
    return o->text || o->counting;
}

static void emit(durable__jout *o, const char *s, size_t n)
{
    if (o->counting)
        o->count += n;
    else
        durable__strbuf_put(o->text, s, n);
}

/* Extra bytes put_quoted writes for each byte beyond the byte itself. */
static const unsigned char escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5, /* \b \t \n \f \r: 1 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    0, 0, 1, ['\\'] = 1};

/* Length of s as put_quoted writes it, quotes included. */
static size_t quoted_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 2;
    for (; *p; p++)
        n += 1u + escape_extra[*p];
    return n;
}

static void emit_quoted(durable__jout *o, const char *s)
{
    if (o->counting)
        o->count += quoted_len(s);
    else
        put_quoted(o->text, s);
}

/* s quoted, with `before` and `after` around it when not '\0' (a member's
 * comma and colon go in the same reservation as its key). */
static void put_quoted_between(durable__strbuf *b, char before, const char *s, char after)
{
    static const char hex[] = "0123456789abcdef";
    /* One pass measures the text and what escaping adds, so the buffer
     * grows by exactly that; most texts (ids, tokens, payloads) need no
     * escape and are copied whole. */
    const unsigned char *end = (const unsigned char *)s;
    size_t extra = 0;
    for (; *end; end++)
        extra += escape_extra[*end];
    size_t n = (size_t)(end - (const unsigned char *)s);
    char *out = durable__strbuf_room(b, n + extra + 4), *w = out;
    if (!out)
        return;
    if (before)
        *w++ = before;
    *w++ = '"';
    if (!extra) {
        memcpy(w, s, n);
        w += n;
    }
    for (const unsigned char *p = (const unsigned char *)s; extra && *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *w++ = (char)c;
            continue;
        }
        *w++ = '\\';
        switch (c) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '\b': *w++ = 'b'; break;
        case '\f': *w++ = 'f'; break;
        case '\n': *w++ = 'n'; break;
        case '\r': *w++ = 'r'; break;
        case '\t': *w++ = 't'; break;
        default:
            memcpy(w, "u00", 3);
            w[3] = hex[c >> 4];
            w[4] = hex[c & 15];
            w += 5;
            break;
        }
    }
    *w++ = '"';
    if (after)
        *w++ = after;
    *w = '\0';
    b->len += (size_t)(w - out);
}

static void put_quoted(durable__strbuf *b, const char *s)
{
    put_quoted_between(b, '\0', s, '\0');
}

/* The separator and key before a member (text output). */
static void put_key(durable__jout *o, const char *key)
{
    char comma = '\0';
    if (o->depth > 0) {
        if (o->more[o->depth - 1])
            comma = ',';
        o->more[o->depth - 1] = true;
    }
    if (key && !o->counting) {
        put_quoted_between(o->text, comma, key, ':');
        return;
    }
    if (comma)
        emit(o, ",", 1);
    if (key) {
        emit_quoted(o, key);
        emit(o, ":", 1);
    }
}

static bool same_double(double a, double b)
{
    double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= max * DBL_EPSILON;
}

/* "null", or "%1.15g" ("%1.17g" when that does not read back) with the
 * locale's decimal point replaced by '.'. */
static void put_number_general(durable__jout *o, double d)
{
    char buf[32];
    int n;
    if (isnan(d) || isinf(d)) {
        n = snprintf(buf, sizeof buf, "null");
    } else {
        double back = 0.0;
        n = snprintf(buf, sizeof buf, "%1.15g", d);
        if (sscanf(buf, "%lg", &back) != 1 || !same_double(back, d))
            n = snprintf(buf, sizeof buf, "%1.17g", d);
        const struct lconv *lc = localeconv();
        char point = lc && lc->decimal_point ? lc->decimal_point[0] : '.';
        for (int i = 0; i < n; i++)
            if (buf[i] == point)
                buf[i] = '.';
    }
    emit(o, buf, (size_t)n);
}

static void put_number(durable__jout *o, double d)
{
    char buf[32];
    if (!isnan(d) && !isinf(d) && d >= (double)INT_MIN && d <= (double)INT_MAX &&
        d == (double)(int)d) {
        /* cJSON's valueint is INT_MIN/INT_MAX beyond int, (int)d within. */
        int v = (int)d;
        char *p = buf + sizeof buf;
        unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--p = '-';
        emit(o, p, (size_t)(buf + sizeof buf - p));
        return;
    }
    put_number_general(o, d);
}

/* ---- tree ------------------------------------------------------------------- */

static void tree_add(durable__jout *o, const char *key, cJSON *item)
{
    if (!item) {
        durable__jo_fail(o, durable__error_oom());
        return;
    }
    cJSON *parent = o->depth > 0 ? o->node[o->depth - 1] : NULL;
    bool ok = !parent ? (o->root == NULL && (o->root = item) != NULL)
              : cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, item)
                                      : cJSON_AddItemToObject(parent, key, item);
    if (!ok) {
        cJSON_Delete(item);
        durable__jo_fail(o, durable__error_oom());
    }
}

/* ---- members ---------------------------------------------------------------- */

void durable__jo_open(durable__jout *o, const char *key, bool array)
{
    if (o->rc < 0)
        return;
    if (o->depth == DJ_OUT_DEPTH) {
        durable__jo_fail(o, durable__error_set(DURABLE_EINVAL, "JSON output nested too deep"));
        return;
    }
    if (textual(o)) {
        put_key(o, key);
        emit(o, array ? "[" : "{", 1);
        o->array[o->depth] = array;
        o->more[o->depth++] = false;
        return;
    }
    cJSON *c = array ? cJSON_CreateArray() : cJSON_CreateObject();
    tree_add(o, key, c);
    if (o->rc == 0)
        o->node[o->depth++] = c;
}

void durable__jo_close(durable__jout *o)
{
    if (o->rc < 0 || o->depth == 0)
        return;
    o->depth--;
    if (textual(o))
        emit(o, o->array[o->depth] ? "]" : "}", 1);
}

void durable__jo_str(durable__jout *o, const char *key, const char *v)
{
    if (o->rc < 0 || !v)
        return;
    if (textual(o)) {
        put_key(o, key);
        emit_quoted(o, v);
    } else {
        tree_add(o, key, cJSON_CreateString(v));
    }
}

static void jo_number(durable__jout *o, const char *key, double d)
{
    if (o->rc < 0)
        return;
    if (textual(o)) {
        put_key(o, key);
        put_number(o, d);
    } else {
        tree_add(o, key, cJSON_CreateNumber(d));
    }
}

void durable__jo_int(durable__jout *o, const char *key, int64_t v)
{
    jo_number(o, key, (double)v);
}

void durable__jo_bool(durable__jout *o, const char *key, bool v)
{
    if (o->rc < 0)
        return;
    if (textual(o)) {
        put_key(o, key);
        emit(o, v ? "true" : "false", v ? 4 : 5);
    } else {
        tree_add(o, key, cJSON_CreateBool(v));
    }
}

void durable__jo_ts(durable__jout *o, const char *key, int64_t ms, durable_ts_format fmt)
{
    char buf[40];
    switch (fmt) {
    case DURABLE_TS_EPOCH_SECONDS:
        jo_number(o, key, (double)ms / 1000.0);
        break;
    case DURABLE_TS_RFC3339:
        durable_ts_format_rfc3339(buf, sizeof buf, ms);
        durable__jo_str(o, key, buf);
        break;
    case DURABLE_TS_EPOCH_MS:
    default:
        jo_number(o, key, (double)ms);
        break;
    }
}

int durable__jo_root(cJSON **out, durable__jout *o)
{
    *out = NULL;
    if (o->rc < 0) {
        cJSON_Delete(o->root);
        o->root = NULL;
        return o->rc;
    }
    *out = o->root;
    o->root = NULL;
    return 0;
}

int durable__jo_take(char **out, durable__jout *o, durable__strbuf *b)
{
    *out = durable__strbuf_take(b);
    if (o->rc < 0 || !*out) {
        durable_free(*out);
        *out = NULL;
        return o->rc < 0 ? o->rc : durable__error_oom();
    }
    return 0;
}
