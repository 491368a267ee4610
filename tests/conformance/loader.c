/* Conformance requirement loader: YAML (libyaml events) -> cJSON trees. */
#include "conformance/loader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#define LD_MAX_DEPTH 256
#define LD_FLOAT_MARK "float"

/* ---- small helpers --------------------------------------------------------- */

static char *ld_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static void ld_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

bool conf_json_is_float(const cJSON *item)
{
    return item && cJSON_IsNumber(item) && item->valuestring &&
           strcmp(item->valuestring, LD_FLOAT_MARK) == 0;
}

static cJSON *ld_float(double d)
{
    cJSON *n = cJSON_CreateNumber(d);
    if (!n)
        return NULL;
    n->valuestring = cJSON_malloc(sizeof LD_FLOAT_MARK);
    if (!n->valuestring) {
        cJSON_Delete(n);
        return NULL;
    }
    memcpy(n->valuestring, LD_FLOAT_MARK, sizeof LD_FLOAT_MARK);
    return n;
}

/* ---- YAML 1.1 scalar resolution (as PyYAML's SafeLoader) ------------------- */

static bool ld_is_null(const char *s)
{
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
           !strcmp(s, "NULL");
}

/* 1 true, 0 false, -1 not a bool. */
static int ld_bool(const char *s)
{
    static const char *const t[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
    static const char *const f[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (!strcmp(s, t[i]))
            return 1;
        if (!strcmp(s, f[i]))
            return 0;
    }
    return -1;
}

/* Digits of `base` and underscores, at least one digit; value into *v. */
static bool ld_digits(const char *s, int base, double *v)
{
    bool any = false;
    double acc = 0;
    for (; *s; s++) {
        if (*s == '_')
            continue;
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        if (d >= base)
            return false;
        acc = acc * base + d;
        any = true;
    }
    *v = acc;
    return any;
}

/* PyYAML int: 0b…, 0x…, 0… (octal), decimal, sexagesimal (1:30). */
static bool ld_int(const char *s, double *out)
{
    double sign = 1, v = 0;
    if (*s == '-' || *s == '+') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    if (!*s)
        return false;
    if (s[0] == '0' && s[1] == 'b') {
        if (!ld_digits(s + 2, 2, &v))
            return false;
    } else if (s[0] == '0' && s[1] == 'x') {
        if (!ld_digits(s + 2, 16, &v))
            return false;
    } else if (s[0] == '0' && s[1]) {
        if (!ld_digits(s + 1, 8, &v))
            return false;
    } else if (strchr(s, ':')) {
        /* [1-9][0-9_]*(:[0-5]?[0-9])+ */
        if (*s < '1' || *s > '9')
            return false;
        const char *p = s;
        const char *colon = strchr(p, ':');
        char head[64];
        size_t hl = (size_t)(colon - p);
        if (hl >= sizeof head)
            return false;
        memcpy(head, p, hl);
        head[hl] = 0;
        if (!ld_digits(head, 10, &v))
            return false;
        p = colon;
        while (*p == ':') {
            p++;
            int part = 0, nd = 0;
            while (*p >= '0' && *p <= '9' && nd < 2) {
                part = part * 10 + (*p - '0');
                p++;
                nd++;
            }
            if (nd == 0 || part > 59 || (nd == 2 && part / 10 > 5))
                return false;
            v = v * 60 + part;
        }
        if (*p)
            return false;
    } else {
        if (*s == '_' || !ld_digits(s, 10, &v))
            return false;
    }
    *out = sign * v;
    return true;
}

/* PyYAML float: [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?, \.[0-9_]+(…)?,
 * [-+]?\.inf, \.nan (three casings each). */
static bool ld_float_text(const char *s, double *out)
{
    const char *p = s;
    double sign = 1;
    if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
        *out = NAN;
        return true;
    }
    if (*p == '-' || *p == '+') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
        *out = sign * INFINITY;
        return true;
    }
    char buf[128];
    size_t n = 0;
    bool int_digits = false, frac_digits = false;
    if (p != s && *p == '.')
        return false; /* "+.5" is not a PyYAML float */
    while (*p >= '0' && *p <= '9') {
        int_digits = true;
        if (n + 1 >= sizeof buf)
            return false;
        buf[n++] = *p++;
        while (*p == '_')
            p++;
    }
    if (*p != '.')
        return false;
    buf[n++] = *p++;
    while ((*p >= '0' && *p <= '9') || *p == '_') {
        if (*p != '_') {
            frac_digits = true;
            if (n + 1 >= sizeof buf)
                return false;
            buf[n++] = *p;
        }
        p++;
    }
    if (!int_digits && !frac_digits)
        return false;
    if (!int_digits && s[0] != '.')
        return false;
    if (*p == 'e' || *p == 'E') {
        if (n + 3 >= sizeof buf)
            return false;
        buf[n++] = *p++;
        if (*p != '-' && *p != '+')
            return false;
        buf[n++] = *p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9') {
            if (n + 1 >= sizeof buf)
                return false;
            buf[n++] = *p++;
        }
    }
    if (*p)
        return false;
    buf[n] = 0;
    if (buf[0] == '.') {
        memmove(buf + 1, buf, n + 1);
        buf[0] = '0';
    }
    *out = sign * strtod(buf, NULL);
    return true;
}

static cJSON *ld_plain_scalar(const char *s)
{
    double d;
    int b;
    if (ld_is_null(s))
        return cJSON_CreateNull();
    if ((b = ld_bool(s)) >= 0)
        return cJSON_CreateBool(b);
    if (ld_int(s, &d))
        return cJSON_CreateNumber(d);
    if (ld_float_text(s, &d))
        return ld_float(d);
    return cJSON_CreateString(s);
}

static cJSON *ld_scalar(const yaml_event_t *ev, char *err, size_t errlen)
{
    const char *s = (const char *)ev->data.scalar.value;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (strlen(s) != ev->data.scalar.length) {
        ld_err(err, errlen, "scalar with a NUL byte at line %zu",
               (size_t)ev->start_mark.line + 1);
        return NULL;
    }
    if (tag && strcmp(tag, "!") != 0) {
        const char *t = tag;
        if (!strncmp(t, "tag:yaml.org,2002:", 18))
            t += 18;
        double d;
        if (!strcmp(t, "str"))
            return cJSON_CreateString(s);
        if (!strcmp(t, "null"))
            return cJSON_CreateNull();
        if (!strcmp(t, "bool") && ld_bool(s) >= 0)
            return cJSON_CreateBool(ld_bool(s));
        if (!strcmp(t, "int") && ld_int(s, &d))
            return cJSON_CreateNumber(d);
        if (!strcmp(t, "float") && (ld_float_text(s, &d) || ld_int(s, &d)))
            return ld_float(d);
        ld_err(err, errlen, "unsupported tag %s on \"%s\" at line %zu", tag, s,
               (size_t)ev->start_mark.line + 1);
        return NULL;
    }
    if (tag || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(s);
    return ld_plain_scalar(s);
}

/* ---- event-driven tree builder -------------------------------------------- */

typedef struct ld_anchor {
    char *name;
    cJSON *value; /* owned copy */
} ld_anchor;

typedef struct ld_ctx {
    yaml_parser_t parser;
    ld_anchor *anchors;
    size_t anchor_count, anchor_cap;
    char *err;
    size_t errlen;
    const char *where; /* file name for messages */
} ld_ctx;

static int ld_next(ld_ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev)) {
        ld_err(c->err, c->errlen, "%s: YAML error at line %zu column %zu: %s%s%s", c->where,
               (size_t)c->parser.problem_mark.line + 1, (size_t)c->parser.problem_mark.column + 1,
               c->parser.problem ? c->parser.problem : "parse error",
               c->parser.context ? " " : "", c->parser.context ? c->parser.context : "");
        return -1;
    }
    return 0;
}

static int ld_remember(ld_ctx *c, const yaml_char_t *anchor, const cJSON *v)
{
    if (!anchor)
        return 0;
    if (c->anchor_count == c->anchor_cap) {
        size_t cap = c->anchor_cap ? c->anchor_cap * 2 : 8;
        ld_anchor *a = realloc(c->anchors, cap * sizeof *a);
        if (!a)
            return -1;
        c->anchors = a;
        c->anchor_cap = cap;
    }
    ld_anchor *a = &c->anchors[c->anchor_count];
    a->name = ld_strdup((const char *)anchor);
    a->value = cJSON_Duplicate(v, 1);
    if (!a->name || !a->value) {
        free(a->name);
        cJSON_Delete(a->value);
        return -1;
    }
    c->anchor_count++;
    return 0;
}

static cJSON *ld_alias(ld_ctx *c, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = c->anchor_count; i-- > 0;)
        if (!strcmp(c->anchors[i].name, name))
            return cJSON_Duplicate(c->anchors[i].value, 1);
    ld_err(c->err, c->errlen, "%s: unknown alias *%s at line %zu", c->where, name,
           (size_t)ev->start_mark.line + 1);
    return NULL;
}

static cJSON *ld_node(ld_ctx *c, yaml_event_t *ev, int depth);

static cJSON *ld_sequence(ld_ctx *c, int depth)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return NULL;
    for (;;) {
        yaml_event_t ev;
        if (ld_next(c, &ev) < 0)
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        cJSON *item = ld_node(c, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!item)
            goto fail;
        cJSON_AddItemToArray(arr, item);
    }
fail:
    cJSON_Delete(arr);
    return NULL;
}

static cJSON *ld_mapping(ld_ctx *c, int depth)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    for (;;) {
        yaml_event_t kev, vev;
        if (ld_next(c, &kev) < 0)
            goto fail;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return obj;
        }
        if (kev.type != YAML_SCALAR_EVENT) {
            ld_err(c->err, c->errlen, "%s: unsupported non-scalar mapping key at line %zu",
                   c->where, (size_t)kev.start_mark.line + 1);
            yaml_event_delete(&kev);
            goto fail;
        }
        char *key = ld_strdup((const char *)kev.data.scalar.value);
        yaml_event_delete(&kev);
        if (!key)
            goto fail;
        if (ld_next(c, &vev) < 0) {
            free(key);
            goto fail;
        }
        cJSON *val = ld_node(c, &vev, depth + 1);
        yaml_event_delete(&vev);
        if (!val) {
            free(key);
            goto fail;
        }
        /* A repeated key replaces the earlier value, as PyYAML does. */
        if (cJSON_GetObjectItemCaseSensitive(obj, key))
            cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val);
        else
            cJSON_AddItemToObject(obj, key, val);
        free(key);
    }
fail:
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *ld_node(ld_ctx *c, yaml_event_t *ev, int depth)
{
    cJSON *v = NULL;
    const yaml_char_t *anchor = NULL;
    if (depth > LD_MAX_DEPTH) {
        ld_err(c->err, c->errlen, "%s: nesting deeper than %d at line %zu", c->where,
               LD_MAX_DEPTH, (size_t)ev->start_mark.line + 1);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        v = ld_scalar(ev, c->err, c->errlen);
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        v = ld_sequence(c, depth);
        anchor = ev->data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        v = ld_mapping(c, depth);
        anchor = ev->data.mapping_start.anchor;
        break;
    case YAML_ALIAS_EVENT:
        return ld_alias(c, ev);
    default:
        ld_err(c->err, c->errlen, "%s: unexpected YAML event %d at line %zu", c->where,
               (int)ev->type, (size_t)ev->start_mark.line + 1);
        return NULL;
    }
    if (v && anchor && ld_remember(c, anchor, v) < 0) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

static void ld_ctx_clear(ld_ctx *c)
{
    for (size_t i = 0; i < c->anchor_count; i++) {
        free(c->anchors[i].name);
        cJSON_Delete(c->anchors[i].value);
    }
    free(c->anchors);
    c->anchors = NULL;
    c->anchor_count = c->anchor_cap = 0;
}

/* Calls fn(doc, index, user) for each document (doc ownership passes to fn).
 * Returns the number of documents, or -1. */
typedef int (*ld_doc_fn)(cJSON *doc, size_t index, void *user);

static long ld_documents(const char *text, size_t len, const char *where, ld_doc_fn fn, void *user,
                         char *err, size_t errlen)
{
    ld_ctx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    c.errlen = errlen;
    c.where = where ? where : "<text>";
    if (!yaml_parser_initialize(&c.parser)) {
        ld_err(err, errlen, "%s: libyaml could not initialize", c.where);
        return -1;
    }
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
    long docs = 0;
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (ld_next(&c, &ev) < 0) {
            rc = -1;
            break;
        }
        yaml_event_type_t t = ev.type;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t != YAML_DOCUMENT_START_EVENT)
            continue; /* STREAM_START */
        yaml_event_t root;
        if (ld_next(&c, &root) < 0) {
            rc = -1;
            break;
        }
        cJSON *doc = ld_node(&c, &root, 0);
        yaml_event_delete(&root);
        if (!doc) {
            if (err && !err[0])
                ld_err(err, errlen, "%s: out of memory", c.where);
            rc = -1;
            break;
        }
        yaml_event_t end;
        if (ld_next(&c, &end) < 0) {
            cJSON_Delete(doc);
            rc = -1;
            break;
        }
        yaml_event_delete(&end);
        ld_ctx_clear(&c); /* anchors are per document */
        if (fn(doc, (size_t)docs, user) < 0) {
            rc = -1;
            break;
        }
        docs++;
    }
    ld_ctx_clear(&c);
    yaml_parser_delete(&c.parser);
    return rc < 0 ? -1 : docs;
}

/* ---- requirements ---------------------------------------------------------- */

static int ld_list_push(conf_requirement_list *list, conf_requirement *r)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        conf_requirement **items = realloc(list->items, cap * sizeof *items);
        if (!items)
            return -1;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = r;
    return 0;
}

static bool ld_truthy(const cJSON *v)
{
    return v && (cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0) ||
                 (cJSON_IsString(v) && v->valuestring[0]));
}

typedef struct ld_req_ctx {
    conf_requirement_list *list;
    const char *id, *suite, *path;
    char *err;
    size_t errlen;
} ld_req_ctx;

static int ld_take_doc(cJSON *doc, size_t index, void *user)
{
    ld_req_ctx *rc = user;
    if (!cJSON_IsObject(doc)) {
        ld_err(rc->err, rc->errlen, "%s: document %zu is not a mapping", rc->path, index + 1);
        cJSON_Delete(doc);
        return -1;
    }
    conf_requirement *r = calloc(1, sizeof *r);
    if (!r) {
        cJSON_Delete(doc);
        return -1;
    }
    char idbuf[512];
    if (index == 0)
        snprintf(idbuf, sizeof idbuf, "%s", rc->id);
    else
        snprintf(idbuf, sizeof idbuf, "%s#%zu", rc->id, index + 1);
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(doc, "description");
    r->id = ld_strdup(idbuf);
    r->suite = ld_strdup(rc->suite ? rc->suite : "");
    r->path = ld_strdup(rc->path ? rc->path : "");
    r->description = ld_strdup(cJSON_IsString(desc) ? desc->valuestring : "");
    r->doc = doc;
    if (!r->id || !r->suite || !r->path || !r->description) {
        conf_requirement_free(r);
        return -1;
    }
    /* A missing Input is the same as an empty one: null. */
    if (!cJSON_GetObjectItemCaseSensitive(doc, "Input"))
        cJSON_AddNullToObject(doc, "Input");
    r->variables = cJSON_GetObjectItemCaseSensitive(doc, "Variables");
    r->input = cJSON_GetObjectItemCaseSensitive(doc, "Input");
    r->expected_result = cJSON_GetObjectItemCaseSensitive(doc, "ExpectedResult");
    r->expected_history = cJSON_GetObjectItemCaseSensitive(doc, "ExpectedExecutionHistory");
    r->callback_actions = cJSON_GetObjectItemCaseSensitive(doc, "CallbackActions");
    r->expected_logs = cJSON_GetObjectItemCaseSensitive(doc, "ExpectedLogs");
    r->async_invoke = ld_truthy(cJSON_GetObjectItemCaseSensitive(doc, "AsyncInvoke"));
    r->optional = ld_truthy(cJSON_GetObjectItemCaseSensitive(doc, "optional"));
    if (r->expected_history && !cJSON_IsArray(r->expected_history) &&
        !cJSON_IsNull(r->expected_history)) {
        ld_err(rc->err, rc->errlen, "%s: ExpectedExecutionHistory must be a list", rc->path);
        conf_requirement_free(r);
        return -1;
    }
    if (r->callback_actions && !cJSON_IsArray(r->callback_actions) &&
        !cJSON_IsNull(r->callback_actions)) {
        ld_err(rc->err, rc->errlen, "%s: CallbackActions must be a list", rc->path);
        conf_requirement_free(r);
        return -1;
    }
    if (r->expected_logs && !cJSON_IsArray(r->expected_logs) && !cJSON_IsNull(r->expected_logs)) {
        ld_err(rc->err, rc->errlen, "%s: ExpectedLogs must be a list", rc->path);
        conf_requirement_free(r);
        return -1;
    }
    if (ld_list_push(rc->list, r) < 0) {
        conf_requirement_free(r);
        return -1;
    }
    return 0;
}

int conf_load_text(conf_requirement_list *list, const char *text, size_t len, const char *id,
                   const char *suite, const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    size_t before = list->count;
    ld_req_ctx rc = {list, id ? id : "?", suite, path ? path : id, err, errlen};
    long n = ld_documents(text, len, rc.path, ld_take_doc, &rc, err, errlen);
    if (n < 0) {
        while (list->count > before)
            conf_requirement_free(list->items[--list->count]);
        if (err && errlen && !err[0])
            ld_err(err, errlen, "%s: out of memory", rc.path);
        return -1;
    }
    if (n == 0) {
        ld_err(err, errlen, "%s: no YAML document", rc.path);
        return -1;
    }
    return 0;
}

static int ld_read_file(char **out, size_t *len, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ld_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        ld_err(err, errlen, "%s: read failed", path);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static char *ld_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *s = ld_strdup(base);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n > 5 && !strcmp(s + n - 5, ".yaml"))
        s[n - 5] = 0;
    else if (n > 4 && !strcmp(s + n - 4, ".yml"))
        s[n - 4] = 0;
    return s;
}

int conf_load_file(conf_requirement_list *list, const char *path, const char *suite, char *err,
                   size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (ld_read_file(&text, &len, path, err, errlen) < 0)
        return -1;
    char *id = ld_stem(path);
    int rc = id ? conf_load_text(list, text, len, id, suite, path, err, errlen) : -1;
    if (!id)
        ld_err(err, errlen, "%s: out of memory", path);
    free(id);
    free(text);
    return rc;
}

static bool ld_has_yaml_ext(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int ld_walk(conf_requirement_list *list, const char *dir, const char *suite, int depth,
                   char *err, size_t errlen)
{
    if (depth > 16)
        return 0;
    DIR *d = opendir(dir);
    if (!d) {
        ld_err(err, errlen, "%s: cannot open folder: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t need = strlen(dir) + strlen(de->d_name) + 2;
        char *full = malloc(need);
        if (!full) {
            rc = -1;
            break;
        }
        snprintf(full, need, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = ld_walk(list, full, suite ? suite : de->d_name, depth + 1, err, errlen);
            else if (S_ISREG(st.st_mode) && ld_has_yaml_ext(de->d_name))
                rc = conf_load_file(list, full, suite ? suite : "", err, errlen);
        }
        free(full);
    }
    closedir(d);
    return rc;
}

/* Compare ids by their numeric runs ("1-2" < "1-10"), then text. */
int conf_id_compare(const char *a, const char *b)
{
    const char *p = a, *q = b;
    while (*p && *q) {
        if (isdigit((unsigned char)*p) && isdigit((unsigned char)*q)) {
            char *ep, *eq;
            unsigned long long x = strtoull(p, &ep, 10), y = strtoull(q, &eq, 10);
            if (x != y)
                return x < y ? -1 : 1;
            p = ep;
            q = eq;
            continue;
        }
        if (*p != *q)
            return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
        p++;
        q++;
    }
    if (*p || *q)
        return *p ? 1 : -1;
    return strcmp(a, b);
}

static int ld_cmp_req(const void *x, const void *y)
{
    const conf_requirement *a = *(conf_requirement *const *)x;
    const conf_requirement *b = *(conf_requirement *const *)y;
    int c = conf_id_compare(a->id, b->id);
    return c ? c : strcmp(a->path, b->path);
}

int conf_load_dir(conf_requirement_list *list, const char *dir, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    size_t before = list->count;
    if (ld_walk(list, dir, NULL, 0, err, errlen) < 0) {
        while (list->count > before)
            conf_requirement_free(list->items[--list->count]);
        if (err && errlen && !err[0])
            ld_err(err, errlen, "%s: out of memory", dir);
        return -1;
    }
    qsort(list->items + before, list->count - before, sizeof *list->items, ld_cmp_req);
    return 0;
}

typedef struct ld_one {
    cJSON *doc;
    size_t docs;
} ld_one;

static int ld_take_one(cJSON *doc, size_t index, void *user)
{
    ld_one *one = user;
    (void)index;
    one->docs++;
    if (one->doc) {
        cJSON_Delete(doc);
        return 0;
    }
    one->doc = doc;
    return 0;
}

int conf_yaml_to_json(cJSON **out, const char *text, size_t len, char *err, size_t errlen)
{
    ld_one one = {NULL, 0};
    if (err && errlen)
        err[0] = 0;
    *out = NULL;
    long n = ld_documents(text, len, "<yaml>", ld_take_one, &one, err, errlen);
    if (n < 0 || one.docs != 1) {
        if (n >= 0)
            ld_err(err, errlen, "<yaml>: expected one document, found %zu", one.docs);
        cJSON_Delete(one.doc);
        return -1;
    }
    *out = one.doc;
    return 0;
}

void conf_requirement_free(conf_requirement *r)
{
    if (!r)
        return;
    free(r->id);
    free(r->suite);
    free(r->path);
    free(r->description);
    cJSON_Delete(r->doc);
    free(r);
}

void conf_requirement_list_free(conf_requirement_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        conf_requirement_free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

conf_requirement *conf_requirement_list_find(const conf_requirement_list *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++)
        if (!strcmp(list->items[i]->id, id))
            return list->items[i];
    return NULL;
}
