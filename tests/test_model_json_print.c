/* durable_json_print writes what cJSON_PrintUnformatted prints, byte for
 * byte, for any tree: every value type, numbers of every kind (integral,
 * beyond int, beyond 1e15, -0, subnormal, NaN, infinities, random bit
 * patterns), strings and keys of any bytes 1-255, NULL strings and keys,
 * raw items, nesting, and the trees cJSON cannot print. durable_json_parse
 * builds what cJSON's parser builds, its plain-integer shortcut included. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/model.h"
#include "model/internal.h"
#include "support/testutil.h"

static dt_rng rng;

static double rnumber(void)
{
    static const double special[] = {0.0,         -0.0,         1.0,          -1.0,
                                     0.1,         1e15,         1e15 - 1,     -1e15 + 1,
                                     1e15 + 1,    9007199254740992.0,         2147483647.0,
                                     2147483648.0, -2147483648.0, -2147483649.0, 1e300,
                                     5e-324,      1e-7,         123456.789,   NAN,
                                     INFINITY,    -INFINITY};
    switch (dt_rng_below(&rng, 6)) {
    case 0:
        return special[dt_rng_below(&rng, sizeof special / sizeof special[0])];
    case 1:
        return (double)(int64_t)(dt_rng_next(&rng) % 2000001) - 1000000.0;
    case 2: /* integral, any magnitude up to 2^62 */
        return (double)((int64_t)(dt_rng_next(&rng) >> (dt_rng_below(&rng, 63) + 1))) *
               (dt_rng_below(&rng, 2) ? 1 : -1);
    case 3: { /* any bit pattern */
        uint64_t bits = dt_rng_next(&rng);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    case 4:
        return (double)(int64_t)dt_rng_below(&rng, 100000) / 100.0;
    default:
        return ldexp((double)dt_rng_next(&rng), -(int)dt_rng_below(&rng, 120));
    }
}

static char *rtext(void)
{
    size_t n = (size_t)dt_rng_below(&rng, 12);
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = dt_rng_below(&rng, 3) ? (char)(' ' + dt_rng_below(&rng, 95))
                                     : (char)(1 + dt_rng_below(&rng, 255));
    s[n] = '\0';
    return s;
}

static cJSON *rvalue(int depth);

static void radd(cJSON *container, int depth)
{
    cJSON *item = rvalue(depth + 1);
    if (cJSON_IsObject(container) && dt_rng_below(&rng, 10)) {
        char *k = rtext();
        cJSON_AddItemToObject(container, k, item);
        free(k);
    } else {
        cJSON_AddItemToArray(container, item); /* in an object: a NULL key */
    }
}

static cJSON *rvalue(int depth)
{
    int kind = (int)dt_rng_below(&rng, depth > 5 ? 7 : 10);
    cJSON *v = NULL;
    char *s = NULL;
    switch (kind) {
    case 0: v = cJSON_CreateNull(); break;
    case 1: v = cJSON_CreateBool(dt_rng_below(&rng, 2)); break;
    case 2:
    case 3: v = cJSON_CreateNumber(rnumber()); break;
    case 4:
        s = rtext();
        v = cJSON_CreateString(s);
        break;
    case 5:
        s = rtext();
        v = cJSON_CreateRaw(s);
        break;
    case 6:
        v = cJSON_CreateString("x");
        if (dt_rng_below(&rng, 8) == 0) { /* NULL text: "" for a string, a failure for raw */
            cJSON_free(v->valuestring);
            v->valuestring = NULL;
            if (dt_rng_below(&rng, 2))
                v->type = cJSON_Raw;
        }
        if (dt_rng_below(&rng, 40) == 0)
            v->type = cJSON_Invalid; /* cJSON cannot print it */
        break;
    case 7:
    case 8:
    default: {
        v = kind == 7 ? cJSON_CreateArray() : cJSON_CreateObject();
        int n = (int)dt_rng_below(&rng, 5);
        for (int i = 0; i < n; i++)
            radd(v, depth);
        break;
    }
    }
    free(s);
    return v;
}

static void test_print_matches_cjson(void)
{
    uint64_t seed = dt_seed();
    dt_rng_init(&rng, seed);
    size_t printed = 0, failed = 0, bytes = 0;
    for (int c = 0; c < 4000; c++) {
        cJSON *v = rvalue(0);
        if (c % 2) { /* a container at the top, with more members */
            cJSON_Delete(v);
            v = c % 4 == 1 ? cJSON_CreateObject() : cJSON_CreateArray();
            for (int i = (int)dt_rng_below(&rng, 9); i > 0; i--)
                radd(v, 0);
        }
        char *want = cJSON_PrintUnformatted(v);
        char *got = durable_json_print(v);
        bool same = (!want && !got) || (want && got && strcmp(want, got) == 0);
        printed += want != NULL;
        failed += want == NULL;
        bytes += want ? strlen(want) : 0;
        DT_PROP(same, seed, c);
        if (!same)
            fprintf(stderr, "  case %d: cJSON %s, got %s\n", c, want ? want : "(NULL)",
                    got ? got : "(NULL)");
        cJSON_free(want);
        durable_free(got);
        cJSON_Delete(v);
    }
    /* The generator reaches both outcomes and sizeable trees. */
    fprintf(stderr, "  %zu printed (%zu bytes), %zu unprintable\n", printed, bytes, failed);
    CU_ASSERT(printed > 2000 && failed > 10 && bytes > 100000);
    /* Deep nesting (no depth limit of its own, like cJSON's printer). */
    cJSON *root = cJSON_CreateArray(), *at = root;
    for (int i = 0; i < 300; i++) {
        cJSON *next = i % 2 ? cJSON_CreateArray() : cJSON_CreateObject();
        if (cJSON_IsObject(at))
            cJSON_AddItemToObject(at, "k", next);
        else
            cJSON_AddItemToArray(at, next);
        at = next;
    }
    char *want = cJSON_PrintUnformatted(root), *got = durable_json_print(root);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    cJSON_free(want);
    durable_free(got);
    cJSON_Delete(root);
    CU_ASSERT_PTR_NULL(durable_json_print(NULL));
}

/* The parse durable_json_parse made before its plain-integer shortcut:
 * cJSON's parser, then nothing but whitespace (or NULs) after the value. */
static cJSON *reference_parse(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j)
        return NULL;
    for (size_t i = (size_t)(end - text); i < len; i++) {
        char c = text[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\0') {
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

static bool same_item(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type || a->valueint != b->valueint || a->child || b->child)
        return cJSON_Compare(a, b, true);
    return memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0 &&
           ((!a->valuestring && !b->valuestring) ||
            (a->valuestring && b->valuestring && strcmp(a->valuestring, b->valuestring) == 0));
}

/* Integer-like texts, valid or nearly so: the shortcut takes only what the
 * parser would read as that exact number, and the item is the same (type,
 * valuedouble to the bit, valueint saturated alike). */
static void test_parse_integers_match_cjson(void)
{
    uint64_t seed = dt_seed();
    dt_rng_init(&rng, seed);
    static const char *fixed[] = {"0",  "-0", "00", "01", "-01", "+1", "1 ", " 1", "1\n", "1e3",
                                  "1.0", "-", "", "123456789012345", "-123456789012345",
                                  "1234567890123456", "2147483647", "2147483648", "-2147483648",
                                  "-2147483649", "999999999999999", "9007199254740993", "1x",
                                  "0x1", "--1"};
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    int ok_count = 0;
    for (int c = 0; c < 20000; c++) {
        char buf[40];
        size_t len;
        if ((size_t)c < nfixed) {
            len = strlen(fixed[c]);
            memcpy(buf, fixed[c], len + 1);
        } else {
            len = 0;
            if (dt_rng_below(&rng, 3) == 0)
                buf[len++] = "-+ 0"[dt_rng_below(&rng, 4)];
            size_t digits = 1 + (size_t)dt_rng_below(&rng, 18);
            for (size_t i = 0; i < digits; i++)
                buf[len++] = (char)('0' + dt_rng_below(&rng, 10));
            if (dt_rng_below(&rng, 6) == 0) /* a stray byte somewhere */
                buf[dt_rng_below(&rng, len + 1) % (len + 1)] = " .e-x\0"[dt_rng_below(&rng, 6)];
            buf[len] = '\0';
        }
        cJSON *got = NULL;
        int rc = durable_json_parse(&got, buf, len);
        cJSON *want = reference_parse(buf, len);
        bool same = (rc == 0) == (want != NULL) && same_item(got, want);
        ok_count += rc == 0;
        DT_PROP(same, seed, c);
        if (!same)
            fprintf(stderr, "  case %d: \"%.*s\" rc %d\n", c, (int)len, buf, rc);
        cJSON_Delete(got);
        cJSON_Delete(want);
    }
    CU_ASSERT(ok_count > 5000 && ok_count < 19000); /* both outcomes reached */
}

int main(void)
{
    CU_pSuite s = dt_suite("model_json_print");
    DT_ADD(s, test_print_matches_cjson);
    DT_ADD(s, test_parse_integers_match_cjson);
    return dt_run();
}
