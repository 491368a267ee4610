/* Retry and wait strategies (SPEC §10.5, §10.11): presets, exact no-jitter
 * delays, jitter bounds (seeded property), filters, custom strategies. */
#include <string.h>

#include "durable/context.h"
#include "model/internal.h"
#include "sdk/context_internal.h"
#include "support/testutil.h"

static durable_error_object err_of(const char *type, const char *msg)
{
    durable_error_object e = {(char *)type, (char *)msg, NULL, NULL, 0};
    return e;
}

static void test_no_jitter_delays_are_exact(void)
{
    durable_retry_options o = DURABLE_RETRY_OPTIONS_INIT;
    o.max_attempts = 5;
    o.initial_delay_seconds = 2;
    o.backoff_rate = 3;
    o.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &o), 0);
    durable_error_object e = err_of("Error", "boom");
    int64_t want[] = {2, 6, 18, 54};
    for (int a = 1; a <= 4; a++) {
        durable_retry_decision d;
        CU_ASSERT_EQUAL(durable_retry_strategy_decide(&d, s, &e, a), 0);
        CU_ASSERT_TRUE(d.should_retry);
        CU_ASSERT_EQUAL(d.delay_seconds, want[a - 1]);
    }
    durable_retry_decision d;
    durable_retry_strategy_decide(&d, s, &e, 5);
    CU_ASSERT_FALSE(d.should_retry); /* attempt >= maxAttempts */
    durable_retry_strategy_free(s);
}

static void test_max_delay_caps_and_minimum_is_one(void)
{
    CU_ASSERT_EQUAL(durable__backoff_delay(5, 60, 2, DURABLE_JITTER_NONE, 10), 60);
    CU_ASSERT_EQUAL(durable__backoff_delay(0.2, 60, 2, DURABLE_JITTER_NONE, 1), 1);
    CU_ASSERT_EQUAL(durable__backoff_delay(2.5, 60, 1, DURABLE_JITTER_NONE, 3), 3); /* round */
    CU_ASSERT_EQUAL(durable__backoff_delay(1e9, 1e12, 10, DURABLE_JITTER_NONE, 400),
                    DURABLE_MAX_WAIT_SECONDS);
}

static void test_presets(void)
{
    durable_error_object e = err_of("Error", "x");
    durable_retry_decision d;
    const durable_retry_strategy *none = durable_retry_preset_none();
    durable_retry_strategy_decide(&d, none, &e, 1);
    CU_ASSERT_FALSE(d.should_retry);
    const durable_retry_strategy *def = durable_retry_preset_default();
    for (int a = 1; a <= 5; a++) {
        durable_retry_strategy_decide(&d, def, &e, a);
        CU_ASSERT_TRUE(d.should_retry);
        int64_t cap = a == 1 ? 5 : a == 2 ? 10 : a == 3 ? 20 : a == 4 ? 40 : 60;
        CU_ASSERT(d.delay_seconds >= 1 && d.delay_seconds <= cap);
    }
    durable_retry_strategy_decide(&d, def, &e, 6);
    CU_ASSERT_FALSE(d.should_retry);
    /* Presets are static: freeing them is a no-op. */
    durable_retry_strategy_free((durable_retry_strategy *)def);
    durable_retry_strategy_decide(&d, def, &e, 1);
    CU_ASSERT_TRUE(d.should_retry);
}

static void test_jitter_bounds_property(void)
{
    uint64_t seed = dt_seed();
    dt_rng r;
    dt_rng_init(&r, seed);
    for (int c = 0; c < 500; c++) {
        double initial = 1 + (double)dt_rng_below(&r, 100);
        double max = initial + (double)dt_rng_below(&r, 1000);
        double rate = 1 + (double)dt_rng_below(&r, 40) / 10.0;
        int attempt = 1 + (int)dt_rng_below(&r, 12);
        durable_jitter j = (durable_jitter)dt_rng_below(&r, 3);
        double base = initial;
        for (int k = 1; k < attempt; k++)
            base *= rate;
        if (base > max)
            base = max;
        int64_t d = durable__backoff_delay(initial, max, rate, j, attempt);
        DT_PROP(d >= 1, seed, c);
        if (j == DURABLE_JITTER_NONE) {
            int64_t want = (int64_t)(base + 0.5);
            /* Exactly half-way values may round either way: the oracle multiplies
             * step by step, the strategy may compute the power directly. */
            double frac = base - (double)(int64_t)base;
            DT_PROP(d == (want < 1 ? 1 : want) || (frac > 0.5 - 1e-6 && frac < 0.5 + 1e-6 &&
                                                   (d == want - 1 || d == want)),
                    seed, c);
        } else if (j == DURABLE_JITTER_FULL) {
            DT_PROP((double)d <= base + 0.5 || d == 1, seed, c);
        } else {
            DT_PROP((double)d >= base / 2 - 0.5 || d == 1, seed, c);
            DT_PROP((double)d <= base + 0.5, seed, c);
        }
    }
}

static void test_filters_messages_and_types(void)
{
    const char *msgs[] = {"timeout", "/^conn(ection)? reset$/"};
    const char *types[] = {".*TransientError$"};
    durable_retry_options o = DURABLE_RETRY_OPTIONS_INIT;
    o.jitter = DURABLE_JITTER_NONE;
    o.retryable_errors = msgs;
    o.retryable_error_count = 2;
    o.retryable_error_types = types;
    o.retryable_error_type_count = 1;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &o), 0);
    struct {
        const char *type, *msg;
        bool retry;
    } cases[] = {
        {"Error", "request timeout after 3s", true},  /* substring */
        {"Error", "connection reset", true},           /* regex */
        {"Error", "conn reset", true},
        {"Error", "connection reset by peer", false},  /* anchored regex */
        {"MyTransientError", "x", true},               /* whole-type regex */
        {"TransientError", "x", true},
        {"TransientErrorX", "x", false},
        {"Fatal", "bad input", false},
        {NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        durable_error_object e = err_of(cases[i].type, cases[i].msg);
        durable_retry_decision d;
        durable_retry_strategy_decide(&d, s, &e, 1);
        if (d.should_retry != cases[i].retry)
            fprintf(stderr, "filter case %zu (%s / %s) wrong\n", i,
                    cases[i].type ? cases[i].type : "-", cases[i].msg ? cases[i].msg : "-");
        CU_ASSERT_EQUAL(d.should_retry, cases[i].retry);
    }
    durable_retry_strategy_free(s);

    /* A plain type name is an exact match. */
    const char *exact[] = {"Throttled"};
    durable_retry_options o2 = DURABLE_RETRY_OPTIONS_INIT;
    o2.retryable_error_types = exact;
    o2.retryable_error_type_count = 1;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_new(&s, &o2), 0);
    durable_error_object a = err_of("Throttled", "m"), b = err_of("NotThrottled", "m");
    durable_retry_decision d;
    durable_retry_strategy_decide(&d, s, &a, 1);
    CU_ASSERT_TRUE(d.should_retry);
    durable_retry_strategy_decide(&d, s, &b, 1);
    CU_ASSERT_FALSE(d.should_retry);
    durable_retry_strategy_free(s);
}

static void test_invalid_options_rejected(void)
{
    durable_retry_strategy *s = (durable_retry_strategy *)1;
    durable_retry_options o = DURABLE_RETRY_OPTIONS_INIT;
    o.max_attempts = 0;
    CU_ASSERT_EQUAL(durable_retry_strategy_new(&s, &o), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "max_attempts"));
    const char *bad[] = {"([unclosed"};
    durable_retry_options o2 = DURABLE_RETRY_OPTIONS_INIT;
    o2.retryable_error_types = bad;
    o2.retryable_error_type_count = 1;
    CU_ASSERT_EQUAL(durable_retry_strategy_new(&s, &o2), DURABLE_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "retryable_error_types[0]"));
}

static int custom_fn(durable_retry_decision *out, const durable_error_object *e, int attempt,
                     void *user)
{
    int *calls = user;
    (*calls)++;
    out->should_retry = e->error_type && strcmp(e->error_type, "Retry") == 0 && attempt < 3;
    out->delay_seconds = attempt == 1 ? 0 : 7; /* 0 is raised to 1 */
    return 0;
}

static void test_custom_strategy(void)
{
    int calls = 0;
    durable_retry_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_retry_strategy_custom(&s, custom_fn, &calls), 0);
    durable_error_object r = err_of("Retry", "m"), n = err_of("No", "m");
    durable_retry_decision d;
    durable_retry_strategy_decide(&d, s, &r, 1);
    CU_ASSERT_TRUE(d.should_retry);
    CU_ASSERT_EQUAL(d.delay_seconds, 1);
    durable_retry_strategy_decide(&d, s, &r, 2);
    CU_ASSERT_EQUAL(d.delay_seconds, 7);
    durable_retry_strategy_decide(&d, s, &r, 3);
    CU_ASSERT_FALSE(d.should_retry);
    durable_retry_strategy_decide(&d, s, &n, 1);
    CU_ASSERT_FALSE(d.should_retry);
    CU_ASSERT_EQUAL(calls, 4);
    durable_retry_strategy_free(s);
}

static bool below_three(const cJSON *state, void *user)
{
    (void)user;
    return cJSON_IsNumber(state) && state->valuedouble < 3;
}

static void test_wait_strategy_builder(void)
{
    durable_wait_strategy_options o = DURABLE_WAIT_STRATEGY_OPTIONS_INIT;
    o.should_continue_polling = below_three;
    o.max_attempts = 4;
    o.initial_delay_seconds = 2;
    o.backoff_rate = 1.5;
    o.jitter = DURABLE_JITTER_NONE;
    durable_wait_strategy *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_wait_strategy_new(&s, &o), 0);
    cJSON *one = cJSON_CreateNumber(1), *three = cJSON_CreateNumber(3);
    durable_wait_decision d;
    CU_ASSERT_EQUAL(durable_wait_strategy_decide(&d, s, one, 1), 0);
    CU_ASSERT_TRUE(d.should_continue);
    CU_ASSERT_EQUAL(d.delay_seconds, 2);
    CU_ASSERT_EQUAL(durable_wait_strategy_decide(&d, s, one, 2), 0);
    CU_ASSERT_EQUAL(d.delay_seconds, 3);
    CU_ASSERT_EQUAL(durable_wait_strategy_decide(&d, s, three, 2), 0);
    CU_ASSERT_FALSE(d.should_continue);
    CU_ASSERT_EQUAL(durable_wait_strategy_decide(&d, s, one, 4), DURABLE_EFAILED);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message,
                           "waitForCondition exceeded maximum attempts (4)");
    cJSON_Delete(one);
    cJSON_Delete(three);
    durable_wait_strategy_free(s);
    durable_wait_strategy_options bad = DURABLE_WAIT_STRATEGY_OPTIONS_INIT;
    CU_ASSERT_EQUAL(durable_wait_strategy_new(&s, &bad), DURABLE_EINVAL);
}

int main(void)
{
    CU_pSuite s = dt_suite("sdk_retry");
    DT_ADD(s, test_no_jitter_delays_are_exact);
    DT_ADD(s, test_max_delay_caps_and_minimum_is_one);
    DT_ADD(s, test_presets);
    DT_ADD(s, test_jitter_bounds_property);
    DT_ADD(s, test_filters_messages_and_types);
    DT_ADD(s, test_invalid_options_rejected);
    DT_ADD(s, test_custom_strategy);
    DT_ADD(s, test_wait_strategy_builder);
    return dt_run();
}
