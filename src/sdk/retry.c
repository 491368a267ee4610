/* Retry strategies (SPEC §10.5) and wait strategies (SPEC §10.11): the
 * builders, the presets, custom callbacks and the shared backoff math. */
#include <math.h>
#include <regex.h>
#include <string.h>
#include <time.h>

#include "sdk/context_internal.h"

/* ---- randomness and backoff --------------------------------------------------- */

static _Thread_local uint64_t rng_state;
static atomic_uint_fast64_t rng_counter;

double durable__random01(void)
{
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rng_state = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
                    ((uint64_t)(uintptr_t)&rng_state << 16) ^
                    (atomic_fetch_add(&rng_counter, 1) * 0x9E3779B97F4A7C15ULL);
        if (rng_state == 0)
            rng_state = 0x2545F4914F6CDD1DULL;
    }
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545F4914F6CDD1DULL;
    return (double)(r >> 11) / 9007199254740992.0; /* 2^53 */
}

int64_t durable__backoff_delay(double initial, double max, double rate, durable_jitter jitter,
                               int attempt)
{
    if (attempt < 1)
        attempt = 1;
    double d = initial * pow(rate, (double)(attempt - 1));
    if (!(d <= max)) /* also catches inf and nan */
        d = max;
    switch (jitter) {
    case DURABLE_JITTER_FULL:
        d = durable__random01() * d;
        break;
    case DURABLE_JITTER_HALF:
        d = d / 2 + durable__random01() * d / 2;
        break;
    case DURABLE_JITTER_NONE:
    default:
        break;
    }
    double r = round(d);
    if (!(r >= 1))
        r = 1;
    if (r > DURABLE_MAX_WAIT_SECONDS)
        r = DURABLE_MAX_WAIT_SECONDS;
    return (int64_t)r;
}

/* ---- retry strategies ------------------------------------------------------------ */

typedef struct pattern {
    bool is_regex;
    char *text;  /* substring (when !is_regex) */
    regex_t re;  /* compiled (when is_regex) */
} pattern;

struct durable_retry_strategy {
    bool is_static;
    durable_retry_fn custom;
    void *user;
    int max_attempts;
    double initial, max, rate;
    durable_jitter jitter;
    pattern *messages;
    size_t message_count;
    pattern *types;
    size_t type_count;
};

static durable_retry_strategy preset_default = {
    true, NULL, NULL, 6, 5.0, 60.0, 2.0, DURABLE_JITTER_FULL, NULL, 0, NULL, 0};
static durable_retry_strategy preset_none = {
    true, NULL, NULL, 1, 5.0, 60.0, 2.0, DURABLE_JITTER_NONE, NULL, 0, NULL, 0};

const durable_retry_strategy *durable_retry_preset_default(void)
{
    return &preset_default;
}

const durable_retry_strategy *durable_retry_preset_none(void)
{
    return &preset_none;
}

static void patterns_free(pattern *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i].is_regex)
            regfree(&p[i].re);
        durable__free(p[i].text);
    }
    durable__free(p);
}

void durable_retry_strategy_free(durable_retry_strategy *s)
{
    if (!s || s->is_static)
        return;
    patterns_free(s->messages, s->message_count);
    patterns_free(s->types, s->type_count);
    durable__free(s);
}

static int compile(pattern *p, const char *expr, const char *field, size_t index)
{
    int rc = regcomp(&p->re, expr, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char buf[128];
        regerror(rc, &p->re, buf, sizeof(buf));
        return durable__error_set(DURABLE_EINVAL, "retry strategy: %s[%zu] \"%s\": %s", field,
                                  index, expr, buf);
    }
    p->is_regex = true;
    return 0;
}

/* Message patterns: "/re/" is a regex searched in the message, anything
 * else a substring. */
static int build_messages(durable_retry_strategy *s, const char *const *list, size_t n)
{
    if (n == 0)
        return 0;
    if (!list)
        return durable__error_set(DURABLE_EINVAL, "retry strategy: retryable_errors is NULL");
    s->messages = durable__calloc(n, sizeof(pattern));
    if (!s->messages)
        return durable__error_oom();
    for (size_t i = 0; i < n; i++) {
        const char *e = list[i];
        if (!e)
            return durable__error_set(DURABLE_EINVAL, "retry strategy: retryable_errors[%zu] is NULL", i);
        size_t len = strlen(e);
        s->message_count = i + 1;
        if (len >= 2 && e[0] == '/' && e[len - 1] == '/') {
            char *inner = durable__strndup(e + 1, len - 2);
            if (!inner)
                return durable__error_oom();
            int rc = compile(&s->messages[i], inner, "retryable_errors", i);
            durable__free(inner);
            if (rc)
                return rc;
        } else if (!(s->messages[i].text = durable__strdup(e))) {
            return durable__error_oom();
        }
    }
    return 0;
}

/* Type patterns: a regex that must match the whole ErrorType. */
static int build_types(durable_retry_strategy *s, const char *const *list, size_t n)
{
    if (n == 0)
        return 0;
    if (!list)
        return durable__error_set(DURABLE_EINVAL, "retry strategy: retryable_error_types is NULL");
    s->types = durable__calloc(n, sizeof(pattern));
    if (!s->types)
        return durable__error_oom();
    for (size_t i = 0; i < n; i++) {
        if (!list[i])
            return durable__error_set(DURABLE_EINVAL,
                                      "retry strategy: retryable_error_types[%zu] is NULL", i);
        char *anchored = durable__sprintf("^(%s)$", list[i]);
        if (!anchored)
            return durable__error_oom();
        s->type_count = i + 1;
        int rc = compile(&s->types[i], anchored, "retryable_error_types", i);
        durable__free(anchored);
        if (rc)
            return rc;
    }
    return 0;
}

int durable_retry_strategy_new(durable_retry_strategy **out, const durable_retry_options *opts)
{
    *out = NULL;
    durable_retry_options def = DURABLE_RETRY_OPTIONS_INIT;
    const durable_retry_options *o = opts ? opts : &def;
    if (o->max_attempts < 1)
        return durable__error_set(DURABLE_EINVAL, "retry strategy: max_attempts must be >= 1 (got %d)",
                                  o->max_attempts);
    if (!(o->initial_delay_seconds >= 0) || !(o->max_delay_seconds >= 0))
        return durable__error_set(DURABLE_EINVAL, "retry strategy: delays must be >= 0");
    if (!(o->backoff_rate > 0))
        return durable__error_set(DURABLE_EINVAL, "retry strategy: backoff_rate must be > 0");
    if (o->jitter != DURABLE_JITTER_NONE && o->jitter != DURABLE_JITTER_FULL &&
        o->jitter != DURABLE_JITTER_HALF)
        return durable__error_set(DURABLE_EINVAL, "retry strategy: unknown jitter %d", (int)o->jitter);
    durable_retry_strategy *s = durable__calloc(1, sizeof(*s));
    if (!s)
        return durable__error_oom();
    s->max_attempts = o->max_attempts;
    s->initial = o->initial_delay_seconds;
    s->max = o->max_delay_seconds;
    s->rate = o->backoff_rate;
    s->jitter = o->jitter;
    int rc = build_messages(s, o->retryable_errors, o->retryable_error_count);
    if (rc == 0)
        rc = build_types(s, o->retryable_error_types, o->retryable_error_type_count);
    if (rc) {
        durable_retry_strategy_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int durable_retry_strategy_custom(durable_retry_strategy **out, durable_retry_fn fn, void *user)
{
    *out = NULL;
    if (!fn)
        return durable__error_set(DURABLE_EINVAL, "retry strategy: custom function is NULL");
    durable_retry_strategy *s = durable__calloc(1, sizeof(*s));
    if (!s)
        return durable__error_oom();
    s->custom = fn;
    s->user = user;
    *out = s;
    return 0;
}

static bool matches(const durable_retry_strategy *s, const durable_error_object *e)
{
    if (s->message_count == 0 && s->type_count == 0)
        return true;
    const char *msg = e->error_message ? e->error_message : "";
    for (size_t i = 0; i < s->message_count; i++) {
        const pattern *p = &s->messages[i];
        if (p->is_regex ? regexec(&p->re, msg, 0, NULL, 0) == 0 : strstr(msg, p->text) != NULL)
            return true;
    }
    const char *type = e->error_type ? e->error_type : "";
    for (size_t i = 0; i < s->type_count; i++)
        if (regexec(&s->types[i].re, type, 0, NULL, 0) == 0)
            return true;
    return false;
}

int durable_retry_strategy_decide(durable_retry_decision *out, const durable_retry_strategy *s,
                                  const durable_error_object *error, int attempt)
{
    out->should_retry = false;
    out->delay_seconds = 0;
    if (!s)
        s = &preset_default;
    durable_error_object empty;
    memset(&empty, 0, sizeof(empty));
    if (!error)
        error = &empty;
    if (s->custom) {
        durable_retry_decision d = {false, 0};
        if (s->custom(&d, error, attempt, s->user) != 0 || !d.should_retry)
            return 0;
        out->should_retry = true;
        out->delay_seconds = d.delay_seconds < 1 ? 1
                             : d.delay_seconds > DURABLE_MAX_WAIT_SECONDS ? DURABLE_MAX_WAIT_SECONDS
                                                                          : d.delay_seconds;
        return 0;
    }
    if (attempt >= s->max_attempts || !matches(s, error))
        return 0;
    out->should_retry = true;
    out->delay_seconds = durable__backoff_delay(s->initial, s->max, s->rate, s->jitter, attempt);
    return 0;
}

/* ---- wait strategies --------------------------------------------------------------- */

struct durable_wait_strategy {
    durable_wait_fn custom;
    void *user;
    durable_should_continue_fn should_continue;
    void *sc_user;
    int max_attempts;
    double initial, max, rate;
    durable_jitter jitter;
};

int durable_wait_strategy_new(durable_wait_strategy **out, const durable_wait_strategy_options *opts)
{
    *out = NULL;
    if (!opts || !opts->should_continue_polling)
        return durable__error_set(DURABLE_EINVAL,
                                  "wait strategy: should_continue_polling is required");
    if (opts->max_attempts < 1)
        return durable__error_set(DURABLE_EINVAL, "wait strategy: max_attempts must be >= 1 (got %d)",
                                  opts->max_attempts);
    if (!(opts->initial_delay_seconds >= 0) || !(opts->max_delay_seconds >= 0) ||
        !(opts->backoff_rate > 0))
        return durable__error_set(DURABLE_EINVAL,
                                  "wait strategy: delays must be >= 0 and backoff_rate > 0");
    durable_wait_strategy *s = durable__calloc(1, sizeof(*s));
    if (!s)
        return durable__error_oom();
    s->should_continue = opts->should_continue_polling;
    s->sc_user = opts->user;
    s->max_attempts = opts->max_attempts;
    s->initial = opts->initial_delay_seconds;
    s->max = opts->max_delay_seconds;
    s->rate = opts->backoff_rate;
    s->jitter = opts->jitter;
    *out = s;
    return 0;
}

int durable_wait_strategy_custom(durable_wait_strategy **out, durable_wait_fn fn, void *user)
{
    *out = NULL;
    if (!fn)
        return durable__error_set(DURABLE_EINVAL, "wait strategy: custom function is NULL");
    durable_wait_strategy *s = durable__calloc(1, sizeof(*s));
    if (!s)
        return durable__error_oom();
    s->custom = fn;
    s->user = user;
    *out = s;
    return 0;
}

void durable_wait_strategy_free(durable_wait_strategy *s)
{
    durable__free(s);
}

int durable_wait_strategy_decide(durable_wait_decision *out, const durable_wait_strategy *s,
                                 const cJSON *state, int attempt)
{
    out->should_continue = false;
    out->delay_seconds = 0;
    if (!s)
        return durable__error_set(DURABLE_EINVAL, "wait strategy is NULL");
    if (s->custom) {
        durable_wait_decision d = {false, 0};
        int rc = s->custom(&d, state, attempt, s->user);
        if (rc != 0)
            return rc < 0 ? rc : DURABLE_EFAILED;
        out->should_continue = d.should_continue;
        if (d.should_continue)
            out->delay_seconds = d.delay_seconds < 1 ? 1
                                 : d.delay_seconds > DURABLE_MAX_WAIT_SECONDS
                                     ? DURABLE_MAX_WAIT_SECONDS
                                     : d.delay_seconds;
        return 0;
    }
    if (!s->should_continue(state, s->sc_user))
        return 0;
    if (attempt >= s->max_attempts)
        return durable__error_set(DURABLE_EFAILED,
                                  "waitForCondition exceeded maximum attempts (%d)",
                                  s->max_attempts);
    out->should_continue = true;
    out->delay_seconds = durable__backoff_delay(s->initial, s->max, s->rate, s->jitter, attempt);
    return 0;
}
