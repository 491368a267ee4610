/* CallbackActions -> durable_test_callback_action (SPEC.md §12.4). */
#include "conformance/actions.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conformance/matcher.h"
#include "conformance/pyjson.h"

static char *ac_keep(conf_actions *a, char *s)
{
    if (!s)
        return NULL;
    if (a->string_count == a->string_cap) {
        size_t cap = a->string_cap ? a->string_cap * 2 : 16;
        char **p = realloc(a->strings, cap * sizeof *p);
        if (!p) {
            free(s);
            return NULL;
        }
        a->strings = p;
        a->string_cap = cap;
    }
    a->strings[a->string_count++] = s;
    return s;
}

static char *ac_dup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

/* POSIX has no inline case flag: spell each letter outside brackets as [xX]. */
static char *ac_icase(const char *re)
{
    size_t n = strlen(re);
    char *out = malloc(n * 4 + 1), *o = out;
    if (!out)
        return NULL;
    int bracket = 0;
    for (const char *p = re; *p; p++) {
        if (*p == '\\' && p[1]) {
            *o++ = *p++;
            *o++ = *p;
            continue;
        }
        if (*p == '[')
            bracket = 1;
        else if (*p == ']')
            bracket = 0;
        if (!bracket && isalpha((unsigned char)*p)) {
            *o++ = '[';
            *o++ = (char)tolower((unsigned char)*p);
            *o++ = (char)toupper((unsigned char)*p);
            *o++ = ']';
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

static int ac_name(conf_actions *a, durable_test_callback_action *act, const cJSON *name,
                   char *err, size_t errlen, int i)
{
    if (!name || cJSON_IsNull(name) || (cJSON_IsString(name) && !strcmp(name->valuestring, "*"))) {
        act->match = DURABLE_TEST_MATCH_ANY;
        return 0;
    }
    char *text = conf_string_form(name);
    if (!text)
        return -1;
    char *re = conf_placeholder_regex(text);
    if (re) {
        char *posix = NULL;
        bool icase = false;
        int rc = conf_regex_translate(&posix, &icase, re);
        free(re);
        free(text);
        if (rc < 0)
            return -1;
        if (icase) {
            char *ci = ac_icase(posix);
            free(posix);
            posix = ci;
        }
        act->match = DURABLE_TEST_MATCH_REGEX;
        act->name = ac_keep(a, posix);
        if (!act->name) {
            snprintf(err, errlen, "CallbackActions[%d]: out of memory", i);
            return -1;
        }
        return 0;
    }
    act->match = DURABLE_TEST_MATCH_EXACT;
    act->name = ac_keep(a, text);
    return act->name ? 0 : -1;
}

static const char *ac_text_field(conf_actions *a, const cJSON *obj, const char *key, bool *oom)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return NULL;
    char *s = cJSON_IsString(v) ? ac_dup(v->valuestring) : conf_pyjson_dumps(v);
    const char *kept = ac_keep(a, s);
    if (!kept)
        *oom = true;
    return kept;
}

int conf_actions_build(conf_actions *out, const cJSON *actions, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = 0;
    if (!actions || cJSON_IsNull(actions))
        return 0;
    if (!cJSON_IsArray(actions)) {
        snprintf(err, errlen, "CallbackActions must be a list");
        return -1;
    }
    int n = cJSON_GetArraySize(actions);
    out->items = calloc((size_t)(n ? n : 1), sizeof *out->items);
    if (!out->items) {
        snprintf(err, errlen, "CallbackActions: out of memory");
        return -1;
    }
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, actions)
    {
        durable_test_callback_action *act = &out->items[i];
        durable_test_callback_action init = DURABLE_TEST_CALLBACK_ACTION_INIT;
        *act = init;
        if (!cJSON_IsObject(item)) {
            snprintf(err, errlen, "CallbackActions[%d]: must be a mapping", i);
            goto fail;
        }
        if (ac_name(out, act, cJSON_GetObjectItemCaseSensitive(item, "CallbackName"), err, errlen,
                    i) < 0) {
            if (!err[0])
                snprintf(err, errlen, "CallbackActions[%d]: out of memory", i);
            goto fail;
        }
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(item, "Operation");
        const char *ops = cJSON_IsString(op) ? op->valuestring : "";
        if (!strcasecmp(ops, "success"))
            act->op = DURABLE_TEST_CALLBACK_SUCCEED;
        else if (!strcasecmp(ops, "failure"))
            act->op = DURABLE_TEST_CALLBACK_FAIL;
        else if (!strcasecmp(ops, "heartbeat"))
            act->op = DURABLE_TEST_CALLBACK_HEARTBEAT;
        else {
            snprintf(err, errlen,
                     "CallbackActions[%d].Operation: expected success, failure or heartbeat, "
                     "found \"%s\"",
                     i, ops);
            goto fail;
        }
        const cJSON *payload = cJSON_GetObjectItemCaseSensitive(item, "Payload");
        bool oom = false;
        if (act->op == DURABLE_TEST_CALLBACK_SUCCEED && payload && !cJSON_IsNull(payload)) {
            act->payload = ac_keep(out, conf_pyjson_dumps(payload));
            oom = !act->payload;
        } else if (act->op == DURABLE_TEST_CALLBACK_FAIL && payload && !cJSON_IsNull(payload)) {
            if (!cJSON_IsObject(payload)) {
                snprintf(err, errlen,
                         "CallbackActions[%d].Payload: a failure payload must be an ErrorObject "
                         "mapping",
                         i);
                goto fail;
            }
            act->error_type = ac_text_field(out, payload, "ErrorType", &oom);
            act->error_message = ac_text_field(out, payload, "ErrorMessage", &oom);
            act->error_data = ac_text_field(out, payload, "ErrorData", &oom);
        }
        if (oom) {
            snprintf(err, errlen, "CallbackActions[%d]: out of memory", i);
            goto fail;
        }
        const cJSON *delay = cJSON_GetObjectItemCaseSensitive(item, "Delay");
        if (delay && !cJSON_IsNull(delay)) {
            if (!cJSON_IsNumber(delay) || delay->valuedouble < 0 || isnan(delay->valuedouble)) {
                snprintf(err, errlen, "CallbackActions[%d].Delay: expected seconds >= 0", i);
                goto fail;
            }
            act->delay_ms = (int64_t)llround(delay->valuedouble * 1000.0);
        }
        i++;
    }
    out->count = (size_t)i;
    return 0;
fail:
    conf_actions_clear(out);
    return -1;
}

void conf_actions_clear(conf_actions *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->string_count; i++)
        free(a->strings[i]);
    free(a->strings);
    free(a->items);
    memset(a, 0, sizeof *a);
}
