/* SigV4 verification (src/http/sigv4*.c) against requests signed by the
 * official clients: botocore (tests/data/sigv4/botocore.json, with
 * botocore's own canonical requests) and @aws-sdk/client-lambda
 * (tests/data/sigv4/js.json); both made by the generators beside them.
 * Every vector must verify, and every kind of tampering must fail with its
 * own message that never holds a secret or the expected signature. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "durable/ids.h"
#include "http/sigv4.h"
#include "support/testutil.h"

#define DATA_DIR "tests/data/sigv4/"

/* ---- a request under test ------------------------------------------------ */

typedef struct treq {
    char *name, *key_id, *secret, *method, *path, *query, *canonical;
    char **hname, **hvalue;
    size_t nh;
    unsigned char *body;
    size_t body_len;
    char joined[4096]; /* the lookup's answer for a repeated header */
} treq;

static char *dup_or_null(const cJSON *j) { return cJSON_IsString(j) ? strdup(j->valuestring) : NULL; }

static void treq_free(treq *t)
{
    free(t->name);
    free(t->key_id);
    free(t->secret);
    free(t->method);
    free(t->path);
    free(t->query);
    free(t->canonical);
    for (size_t i = 0; i < t->nh; i++) {
        free(t->hname[i]);
        free(t->hvalue[i]);
    }
    free(t->hname);
    free(t->hvalue);
    free(t->body);
    memset(t, 0, sizeof *t);
}

static void treq_set_body(treq *t, const void *body, size_t len)
{
    free(t->body);
    t->body = malloc(len + 1);
    memcpy(t->body, body, len);
    t->body_len = len;
}

/* Replace (value != NULL) or remove (NULL) every header called name. */
static void treq_set_header(treq *t, const char *name, const char *value)
{
    size_t k = 0;
    for (size_t i = 0; i < t->nh; i++) {
        if (strcasecmp(t->hname[i], name) == 0) {
            free(t->hname[i]);
            free(t->hvalue[i]);
            continue;
        }
        t->hname[k] = t->hname[i];
        t->hvalue[k] = t->hvalue[i];
        k++;
    }
    t->nh = k;
    if (!value) return;
    t->hname = realloc(t->hname, (t->nh + 1) * sizeof *t->hname);
    t->hvalue = realloc(t->hvalue, (t->nh + 1) * sizeof *t->hvalue);
    t->hname[t->nh] = strdup(name);
    t->hvalue[t->nh] = strdup(value);
    t->nh++;
}

static const char *treq_header_value(const treq *t, const char *name)
{
    for (size_t i = 0; i < t->nh; i++)
        if (strcasecmp(t->hname[i], name) == 0) return t->hvalue[i];
    return NULL;
}

static void treq_copy(treq *dst, const treq *src)
{
    memset(dst, 0, sizeof *dst);
    dst->name = src->name ? strdup(src->name) : NULL;
    dst->key_id = strdup(src->key_id);
    dst->secret = strdup(src->secret);
    dst->method = strdup(src->method);
    dst->path = strdup(src->path);
    dst->query = strdup(src->query);
    dst->canonical = src->canonical ? strdup(src->canonical) : NULL;
    for (size_t i = 0; i < src->nh; i++)
        treq_set_header(dst, src->hname[i], src->hvalue[i]);
    treq_set_body(dst, src->body, src->body_len);
}

/* Case-insensitive, repeated headers joined by ',' (the contract of
 * durable__sigv4_header_fn). */
static const char *lookup(const char *name, void *user)
{
    treq *t = user;
    const char *first = NULL;
    size_t n = 0;
    t->joined[0] = '\0';
    for (size_t i = 0; i < t->nh; i++) {
        if (strcasecmp(t->hname[i], name) != 0) continue;
        if (!first) {
            first = t->hvalue[i];
            continue;
        }
        if (n == 0) n = (size_t)snprintf(t->joined, sizeof t->joined, "%s", first);
        n += (size_t)snprintf(t->joined + n, sizeof t->joined - n, ",%s", t->hvalue[i]);
    }
    return n ? t->joined : first;
}

static durable__sigv4_request as_request(treq *t)
{
    durable__sigv4_request r = {t->method, t->path, t->query, lookup, t, t->body, t->body_len};
    return r;
}

static int treq_from_json(treq *t, const cJSON *v)
{
    memset(t, 0, sizeof *t);
    t->name = dup_or_null(cJSON_GetObjectItem(v, "name"));
    t->key_id = dup_or_null(cJSON_GetObjectItem(v, "key_id"));
    t->secret = dup_or_null(cJSON_GetObjectItem(v, "secret"));
    t->method = dup_or_null(cJSON_GetObjectItem(v, "method"));
    t->path = dup_or_null(cJSON_GetObjectItem(v, "path"));
    t->query = dup_or_null(cJSON_GetObjectItem(v, "query"));
    t->canonical = dup_or_null(cJSON_GetObjectItem(v, "canonical_request"));
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(v, "headers"))
    {
        const cJSON *n = cJSON_GetArrayItem(h, 0), *val = cJSON_GetArrayItem(h, 1);
        if (!cJSON_IsString(n) || !cJSON_IsString(val)) return -1;
        t->hname = realloc(t->hname, (t->nh + 1) * sizeof *t->hname);
        t->hvalue = realloc(t->hvalue, (t->nh + 1) * sizeof *t->hvalue);
        t->hname[t->nh] = strdup(n->valuestring);
        t->hvalue[t->nh] = strdup(val->valuestring);
        t->nh++;
    }
    const cJSON *b64 = cJSON_GetObjectItem(v, "body_b64");
    if (!cJSON_IsString(b64)) return -1;
    if (*b64->valuestring) {
        unsigned char *dec;
        size_t len;
        if (durable_base64_decode(&dec, &len, b64->valuestring) != 0) return -1;
        treq_set_body(t, dec, len);
        durable_free(dec);
    } else {
        treq_set_body(t, "", 0);
    }
    return t->key_id && t->secret && t->method && t->path && t->query ? 0 : -1;
}

/* Every vector of one data file; *n set. */
static treq *load_vectors(const char *file, size_t *n)
{
    *n = 0;
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", file);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    size_t got = fread(text, 1, (size_t)len, f);
    fclose(f);
    text[got] = '\0';
    cJSON *arr = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        return NULL;
    }
    size_t count = (size_t)cJSON_GetArraySize(arr);
    treq *v = calloc(count ? count : 1, sizeof *v);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (treq_from_json(&v[*n], it) != 0) {
            fprintf(stderr, "%s: vector %zu is malformed\n", file, *n);
            treq_free(&v[*n]);
            continue;
        }
        (*n)++;
    }
    cJSON_Delete(arr);
    return v;
}

static void free_vectors(treq *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        treq_free(&v[i]);
    free(v);
}

/* The key table of every vector's pair, plus an unrelated one. */
static durable__sigv4_keys *keys_of(const treq *v, size_t n)
{
    durable__sigv4_keys *k = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__sigv4_keys_new(&k), 0);
    CU_ASSERT_EQUAL(durable__sigv4_keys_add(k, "AKIDUNRELATED", "unrelatedSecretValue0"), 0);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(durable__sigv4_keys_add(k, v[i].key_id, v[i].secret), 0);
    return k;
}

/* ---- an independent signer, to know the signature the server expects ----- */

static void hmac32(unsigned char out[32], const void *key, size_t klen, const char *data)
{
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, strlen(data), out, &n);
}

static void hex32(char out[65], const unsigned char md[32])
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* The hex SHA-256 of a string. */
static void sha_hex(char out[65], const char *s)
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    hex32(out, md);
}

/* The signature the server must accept for t, from its canonical request
 * ("" when it has none). */
static void expected_signature(char out[65], treq *t, const char *secret)
{
    out[0] = '\0';
    durable__sigv4_auth a;
    const char *authz = treq_header_value(t, "authorization");
    const char *date = treq_header_value(t, "x-amz-date");
    if (!authz || !date || durable__sigv4_parse(&a, authz) != 0) return;
    durable__sigv4_request r = as_request(t);
    char *creq = NULL;
    if (durable__sigv4_canonical_request(&creq, &r, &a) != 0) return;
    char ch[65], sts[512];
    sha_hex(ch, creq);
    durable_free(creq);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", date, a.date, a.region, a.service,
             ch);
    char k0[300];
    snprintf(k0, sizeof k0, "AWS4%s", secret);
    unsigned char k[32];
    hmac32(k, k0, strlen(k0), a.date);
    hmac32(k, k, 32, a.region);
    hmac32(k, k, 32, a.service);
    hmac32(k, k, 32, "aws4_request");
    hmac32(k, k, 32, sts);
    hex32(out, k);
}

/* ---- the vectors verify ------------------------------------------------ */

static void check_all_verify(const char *file, size_t min_count, int has_canonical)
{
    size_t n;
    treq *v = load_vectors(file, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT(n >= min_count);
    durable__sigv4_keys *keys = keys_of(v, n);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        durable__sigv4_request r = as_request(&v[i]);
        durable__sigv4_result res;
        int rc = durable__sigv4_verify(&res, keys, &r, NULL);
        if (rc != 0) fprintf(stderr, "%s: %s\n", v[i].name, res.message);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(res.verdict, DURABLE__SIGV4_OK);
        ok += rc == 0;
        /* the independent signer agrees with what the client sent */
        char sig[65];
        expected_signature(sig, &v[i], v[i].secret);
        CU_ASSERT_STRING_EQUAL(sig, res.auth.signature);
        if (has_canonical) {
            char *creq = NULL;
            CU_ASSERT_EQUAL(durable__sigv4_canonical_request(&creq, &r, &res.auth), 0);
            CU_ASSERT_PTR_NOT_NULL(v[i].canonical);
            if (creq && v[i].canonical && strcmp(creq, v[i].canonical) != 0)
                fprintf(stderr, "%s: canonical request differs\nours:\n%s\nbotocore:\n%s\n", v[i].name, creq,
                        v[i].canonical);
            CU_ASSERT(creq && v[i].canonical && strcmp(creq, v[i].canonical) == 0);
            durable_free(creq);
        }
    }
    printf("\n%s: %zu of %zu vectors verified\n", file, ok, n);
    durable__sigv4_keys_free(keys);
    free_vectors(v, n);
}

static void test_botocore_vectors_verify(void) { check_all_verify(DATA_DIR "botocore.json", 40, 1); }
static void test_js_vectors_verify(void) { check_all_verify(DATA_DIR "js.json", 40, 0); }

/* ---- tampering ----------------------------------------------------------- */

/* Verify t against keys; check the verdict, that the message holds neither
 * secret nor the expected signature, and return a copy of the message. */
static char *expect_refused(treq *t, const durable__sigv4_keys *keys, durable__sigv4_verdict want,
                            const durable__sigv4_options *opt, const char *what)
{
    durable__sigv4_request r = as_request(t);
    durable__sigv4_result res;
    int rc = durable__sigv4_verify(&res, keys, &r, opt);
    if (rc != DURABLE_EINVAL || res.verdict != want)
        fprintf(stderr, "%s / %s: rc %d verdict %d (want %d): %s\n", t->name, what, rc, (int)res.verdict, (int)want,
                res.message);
    CU_ASSERT_EQUAL(rc, DURABLE_EINVAL);
    CU_ASSERT_EQUAL(res.verdict, want);
    CU_ASSERT(res.message[0] != '\0');
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, res.message);
    CU_ASSERT_PTR_NULL(strstr(res.message, t->secret));
    char sig[65];
    expected_signature(sig, t, t->secret);
    if (sig[0]) CU_ASSERT_PTR_NULL(strstr(res.message, sig));
    return strdup(res.message);
}

/* The hash of t's canonical request, as a MISMATCH message must show it. */
static void canonical_hash(char out[65], treq *t)
{
    durable__sigv4_auth a;
    durable__sigv4_request r = as_request(t);
    char *creq = NULL;
    out[0] = '\0';
    if (durable__sigv4_parse(&a, treq_header_value(t, "authorization")) != 0) return;
    if (durable__sigv4_canonical_request(&creq, &r, &a) != 0) return;
    sha_hex(out, creq);
    durable_free(creq);
}

static char *expect_mismatch(treq *t, const durable__sigv4_keys *keys, const char *what)
{
    char *msg = expect_refused(t, keys, DURABLE__SIGV4_MISMATCH, NULL, what);
    char h[65];
    canonical_hash(h, t);
    CU_ASSERT(h[0] && strstr(msg, h) != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "signature does not match"));
    return msg;
}

/* Change one character of a string in place to another unreserved one. */
static void bump(char *s, size_t at)
{
    s[at] = s[at] == 'a' ? 'b' : 'a';
}

enum { T_BODY, T_PATH, T_QUERY, T_HEADER, T_DATE_TIME, T_DATE_DAY, T_SECRET, T_UNKNOWN, T_MISSING,
       T_NO_AUTH, T_MALFORMED, T_HOST, T_COUNT };

static void tamper_one(const treq *orig, const durable__sigv4_keys *keys, int *checked)
{
    char *msg[T_COUNT] = {0};
    treq t;
    int js = treq_header_value(orig, "x-amz-content-sha256") != NULL;

    /* body: botocore's hash is the body's, so the signature breaks; JS
     * declares the hash in a signed header, which the body must match */
    treq_copy(&t, orig);
    if (t.body_len) {
        t.body[t.body_len / 2] ^= 0x20;
    } else {
        treq_set_body(&t, "x", 1);
    }
    msg[T_BODY] = js ? expect_refused(&t, keys, DURABLE__SIGV4_BAD_PAYLOAD, NULL, "body")
                     : expect_mismatch(&t, keys, "body");
    if (js) CU_ASSERT_PTR_NOT_NULL(strstr(msg[T_BODY], "x-amz-content-sha256"));
    treq_free(&t);

    treq_copy(&t, orig);
    bump(t.path, 5); /* inside "2025-12-01" / "2015-03-31" */
    msg[T_PATH] = expect_mismatch(&t, keys, "path");
    treq_free(&t);

    treq_copy(&t, orig);
    if (*t.query) {
        bump(t.query, strlen(t.query) - 1);
    } else {
        free(t.query);
        t.query = strdup("Marker=x");
    }
    msg[T_QUERY] = expect_mismatch(&t, keys, "query");
    treq_free(&t);

    /* a signed header's value (host is signed by both clients) */
    treq_copy(&t, orig);
    treq_set_header(&t, "Host", "127.0.0.2:9009");
    msg[T_HEADER] = expect_mismatch(&t, keys, "signed header");
    treq_free(&t);

    /* the time of day is in the string to sign */
    char date[17];
    snprintf(date, sizeof date, "%s", treq_header_value(orig, "x-amz-date"));
    treq_copy(&t, orig);
    date[14] = date[14] == '0' ? '1' : '0';
    treq_set_header(&t, "X-Amz-Date", date);
    msg[T_DATE_TIME] = expect_mismatch(&t, keys, "date time");
    treq_free(&t);

    /* another day than the credential scope */
    treq_copy(&t, orig);
    date[6] = '1';
    date[7] = date[7] == '5' ? '6' : '5';
    treq_set_header(&t, "X-Amz-Date", date);
    msg[T_DATE_DAY] = expect_refused(&t, keys, DURABLE__SIGV4_BAD_DATE, NULL, "date day");
    CU_ASSERT_PTR_NOT_NULL(strstr(msg[T_DATE_DAY], "credential scope"));
    treq_free(&t);

    /* the right key id with another secret */
    durable__sigv4_keys *wrong = NULL;
    durable__sigv4_keys_new(&wrong);
    durable__sigv4_keys_add(wrong, orig->key_id, "notTheSecret/123+abc");
    treq_copy(&t, orig);
    msg[T_SECRET] = expect_mismatch(&t, wrong, "wrong secret");
    CU_ASSERT_PTR_NULL(strstr(msg[T_SECRET], "notTheSecret"));
    treq_free(&t);
    durable__sigv4_keys_free(wrong);

    /* a key id the server does not know */
    durable__sigv4_keys *other = NULL;
    durable__sigv4_keys_new(&other);
    durable__sigv4_keys_add(other, "AKIDSOMEONEELSE", orig->secret);
    treq_copy(&t, orig);
    msg[T_UNKNOWN] = expect_refused(&t, other, DURABLE__SIGV4_UNKNOWN_KEY, NULL, "unknown key");
    CU_ASSERT_PTR_NOT_NULL(strstr(msg[T_UNKNOWN], orig->key_id));
    treq_free(&t);
    durable__sigv4_keys_free(other);

    /* a signed header left out (amz-sdk-invocation-id for JS, content-type
     * or host otherwise) */
    treq_copy(&t, orig);
    const char *gone = js ? "amz-sdk-invocation-id" : treq_header_value(orig, "content-type") ? "content-type" : "host";
    treq_set_header(&t, gone, NULL);
    msg[T_MISSING] = expect_refused(&t, keys, DURABLE__SIGV4_MISSING_HEADER, NULL, "missing header");
    CU_ASSERT_PTR_NOT_NULL(strstr(msg[T_MISSING], gone));
    treq_free(&t);

    treq_copy(&t, orig);
    treq_set_header(&t, "Authorization", NULL);
    msg[T_NO_AUTH] = expect_refused(&t, keys, DURABLE__SIGV4_NO_AUTH, NULL, "no auth");
    treq_free(&t);

    /* a cut Authorization */
    treq_copy(&t, orig);
    char cut[400];
    snprintf(cut, sizeof cut, "%.60s", treq_header_value(orig, "authorization"));
    treq_set_header(&t, "Authorization", cut);
    msg[T_MALFORMED] = expect_refused(&t, keys, DURABLE__SIGV4_MALFORMED, NULL, "malformed");
    CU_ASSERT(strncmp(msg[T_MALFORMED], "Authorization: ", 15) == 0);
    treq_free(&t);

    /* SignedHeaders without host (the rest as sent) */
    treq_copy(&t, orig);
    durable__sigv4_auth a;
    CU_ASSERT_EQUAL_FATAL(durable__sigv4_parse(&a, treq_header_value(orig, "authorization")), 0);
    char list[DURABLE__SIGV4_MAX_SIGNED_LIST + 1] = "", auth[3000];
    for (char *p = a.signed_headers; *p;) {
        size_t len = strcspn(p, ";");
        if (!(len == 4 && memcmp(p, "host", 4) == 0))
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.*s", list[0] ? ";" : "", (int)len, p);
        p += len + (p[len] == ';');
    }
    snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
             a.key_id, a.date, a.region, a.service, list, a.signature);
    treq_set_header(&t, "Authorization", auth);
    msg[T_HOST] = expect_refused(&t, keys, DURABLE__SIGV4_HOST_UNSIGNED, NULL, "host unsigned");
    treq_free(&t);

    /* each failure says something of its own (the MISMATCH ones by the hash
     * of what the server canonicalised) */
    for (int i = 0; i < T_COUNT; i++)
        for (int j = i + 1; j < T_COUNT; j++) {
            if (msg[i] && msg[j] && strcmp(msg[i], msg[j]) == 0)
                fprintf(stderr, "%s: tamper kinds %d and %d give the same message: %s\n", orig->name, i, j, msg[i]);
            CU_ASSERT(msg[i] && msg[j] && strcmp(msg[i], msg[j]) != 0);
        }
    for (int i = 0; i < T_COUNT; i++)
        free(msg[i]);
    (*checked)++;
}

static void tamper_file(const char *file)
{
    size_t n;
    treq *v = load_vectors(file, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    durable__sigv4_keys *keys = keys_of(v, n);
    int checked = 0;
    for (size_t i = 0; i < n; i++)
        tamper_one(&v[i], keys, &checked);
    printf("\n%s: %d vectors x %d tamperings refused\n", file, checked, T_COUNT);
    durable__sigv4_keys_free(keys);
    free_vectors(v, n);
}

static void test_tampering_botocore(void) { tamper_file(DATA_DIR "botocore.json"); }
static void test_tampering_js(void) { tamper_file(DATA_DIR "js.json"); }

/* ---- the payload header, the date window ------------------------------- */

static treq first_vector(const char *file, int want_js)
{
    size_t n;
    treq *v = load_vectors(file, &n), out;
    memset(&out, 0, sizeof out);
    for (size_t i = 0; v && i < n; i++)
        if ((treq_header_value(&v[i], "x-amz-content-sha256") != NULL) == want_js && v[i].body_len > 0) {
            treq_copy(&out, &v[i]);
            break;
        }
    free_vectors(v, n);
    CU_ASSERT_PTR_NOT_NULL(out.key_id);
    return out;
}

static void test_payload_header(void)
{
    treq js = first_vector(DATA_DIR "js.json", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(js.key_id);
    durable__sigv4_keys *keys = keys_of(&js, 1);
    treq t;
    static const char *bad[] = {"UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "abc",
                                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        treq_copy(&t, &js);
        treq_set_header(&t, "x-amz-content-sha256", bad[i]);
        free(expect_refused(&t, keys, DURABLE__SIGV4_BAD_PAYLOAD, NULL, bad[i]));
        treq_free(&t);
    }
    /* botocore sends no such header: adding one (matching the body) changes
     * nothing unsigned, and the signature still holds */
    treq bc = first_vector(DATA_DIR "botocore.json", 0);
    durable__sigv4_keys *bkeys = keys_of(&bc, 1);
    char h[65];
    unsigned char md[32];
    unsigned int mdn = 0;
    EVP_Digest(bc.body, bc.body_len, md, &mdn, EVP_sha256(), NULL);
    hex32(h, md);
    treq_set_header(&bc, "X-Amz-Content-Sha256", h);
    durable__sigv4_request r = as_request(&bc);
    durable__sigv4_result res;
    CU_ASSERT_EQUAL(durable__sigv4_verify(&res, bkeys, &r, NULL), 0);
    durable__sigv4_keys_free(bkeys);
    treq_free(&bc);
    durable__sigv4_keys_free(keys);
    treq_free(&js);
}

static int64_t fixed_now_ms(void *user) { return *(const int64_t *)user; }

static void test_date_window(void)
{
    treq t = first_vector(DATA_DIR "botocore.json", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t.key_id);
    durable__sigv4_keys *keys = keys_of(&t, 1);
    const char *d = treq_header_value(&t, "x-amz-date");
    struct tm tm = {0};
    CU_ASSERT_EQUAL_FATAL(sscanf(d, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                                 &tm.tm_min, &tm.tm_sec),
                          6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t signed_at = (int64_t)timegm(&tm), now_ms;
    durable_clock clock = {fixed_now_ms, &now_ms};
    durable__sigv4_options opt = DURABLE__SIGV4_OPTIONS_INIT;
    opt.max_skew_seconds = 300;
    opt.clock = &clock;
    durable__sigv4_request r = as_request(&t);
    durable__sigv4_result res;
    static const int64_t inside[] = {0, 300, -300, 299, -1};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        now_ms = (signed_at + inside[i]) * 1000;
        CU_ASSERT_EQUAL(durable__sigv4_verify(&res, keys, &r, &opt), 0);
    }
    static const int64_t outside[] = {301, -301, 86400, -86400 * 365};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        now_ms = (signed_at + outside[i]) * 1000;
        char *m = expect_refused(&t, keys, DURABLE__SIGV4_SKEWED, &opt, "skew");
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "300 s allowed"));
        free(m);
    }
    /* 0 turns the window off: a request from a year ago still verifies */
    opt.max_skew_seconds = 0;
    CU_ASSERT_EQUAL(durable__sigv4_verify(&res, keys, &r, &opt), 0);
    /* a malformed X-Amz-Date */
    static const char *bad[] = {"20261306T210010Z", "20261206T250010Z", "2026-12-06T21:00:10Z", "20261206T210010",
                                "20260230T000000Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        treq c;
        treq_copy(&c, &t);
        treq_set_header(&c, "X-Amz-Date", bad[i]);
        char *m = expect_refused(&c, keys, DURABLE__SIGV4_BAD_DATE, NULL, bad[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "YYYYMMDDTHHMMSSZ"));
        free(m);
        treq_free(&c);
    }
    treq_set_header(&t, "X-Amz-Date", NULL);
    char *m = expect_refused(&t, keys, DURABLE__SIGV4_BAD_DATE, NULL, "no date");
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "X-Amz-Date header is missing"));
    free(m);
    durable__sigv4_keys_free(keys);
    treq_free(&t);
}

/* ---- canonical URI and query ------------------------------------------- */

static char *canon(const char *path, const char *query)
{
    durable__sigv4_auth a;
    CU_ASSERT_EQUAL(durable__sigv4_parse(&a, "AWS4-HMAC-SHA256 Credential=AK/20261206/us-west-2/lambda/aws4_request, "
                                             "SignedHeaders=host, Signature="
                                             "0000000000000000000000000000000000000000000000000000000000000000"),
                    0);
    treq t = {0};
    t.method = "GET";
    t.path = (char *)path;
    t.query = (char *)query;
    t.hname = (char *[]){"Host"};
    t.hvalue = (char *[]){"h"};
    t.nh = 1;
    durable__sigv4_request r = as_request(&t);
    char *out = NULL;
    int rc = durable__sigv4_canonical_request(&out, &r, &a);
    if (rc != 0) return NULL;
    /* the two lines after the method */
    char *uri = strchr(out, '\n') + 1;
    char *end = strchr(strchr(uri, '\n') + 1, '\n');
    *end = '\0';
    char *copy = strdup(uri);
    durable_free(out);
    return copy;
}

static void test_canonical_uri_and_query(void)
{
    static const char *cases[][3] = {
        /* double encoding of the raw path */
        {"/2025-12-01/durable-executions/arn%3Aaws%3Alambda%3A%24LATEST%2Fx/state", "",
         "/2025-12-01/durable-executions/arn%253Aaws%253Alambda%253A%2524LATEST%252Fx/state\n"},
        {"", "", "/\n"},
        {"/", "", "/\n"},
        {"/a//b/./c/../d/", "", "/a/b/d/\n"},
        {"/..", "", "/\n"},
        {"/a b~c", "", "/a%20b~c\n"},
        {"/%E2%98%83", "", "/%25E2%2598%2583\n"},
        /* decoded, re-encoded, sorted by key then value */
        {"/", "Statuses=SUCCEEDED&Statuses=RUNNING&A=1", "/\nA=1&Statuses=RUNNING&Statuses=SUCCEEDED"},
        {"/", "CheckpointToken=a%2Bb%2Fc%3D%3D&Marker=page-2", "/\nCheckpointToken=a%2Bb%2Fc%3D%3D&Marker=page-2"},
        {"/", "t=a+b", "/\nt=a%2Bb"},
        {"/", "k=%7e%41%2d", "/\nk=~A-"},
        {"/", "flag&&b=", "/\nb=&flag="},
        {"/", "%5B=1&A=2", "/\n%5B=1&A=2"},
        {"/", "n=%C3%A4", "/\nn=%C3%A4"},
        {"/", "x=%00", "/\nx=%00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = canon(cases[i][0], cases[i][1]);
        if (!got || strcmp(got, cases[i][2]) != 0)
            fprintf(stderr, "case %zu: got '%s' want '%s'\n", i, got ? got : "(error)", cases[i][2]);
        CU_ASSERT(got && strcmp(got, cases[i][2]) == 0);
        free(got);
    }
    static const char *bad[] = {"a=%", "a=%4", "a=%G0", "%zz=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_PTR_NULL(canon("/", bad[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "percent escape"));
    }
}

/* Property: the order of the pairs on the wire never changes the canonical
 * query (clients differ: botocore keeps the model's order, JS sorts). */
static void test_query_order_property(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed);
    static const char *keys[] = {"Statuses", "Marker", "MaxItems", "A", "a", "%5B", "Z%20z", "k"};
    static const char *vals[] = {"RUNNING", "", "x%2By", "%C3%A4", "1", "a%2Fb%3D%3D", "~", "-_."};
    for (int c = 0; c < 200; c++) {
        size_t n = 1 + dt_rng_below(&rng, 7);
        char pairs[8][64];
        for (size_t i = 0; i < n; i++)
            snprintf(pairs[i], sizeof pairs[i], "%s=%s", keys[dt_rng_below(&rng, 8)], vals[dt_rng_below(&rng, 8)]);
        char q1[600] = "", q2[600] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(q1 + strlen(q1), sizeof q1 - strlen(q1), "%s%s", i ? "&" : "", pairs[i]);
        for (size_t i = n; i > 1; i--) { /* shuffle */
            size_t j = dt_rng_below(&rng, i);
            char tmp[64];
            memcpy(tmp, pairs[i - 1], 64);
            memcpy(pairs[i - 1], pairs[j], 64);
            memcpy(pairs[j], tmp, 64);
        }
        for (size_t i = 0; i < n; i++)
            snprintf(q2 + strlen(q2), sizeof q2 - strlen(q2), "%s%s", i ? "&" : "", pairs[i]);
        char *a = canon("/", q1), *b = canon("/", q2);
        DT_PROP(a && b && strcmp(a, b) == 0, seed, c);
        free(a);
        free(b);
    }
}

/* ---- the Authorization parser ------------------------------------------ */

#define SIG64 "aebc19aebc19aebc19aebc19aebc19aebc19aebc19aebc19aebc19aebc19aebc"
#define GOOD_CRED "Credential=AKIDLOCALEXAMPLE/20261206/us-west-2/lambda/aws4_request"

static void test_parse_good(void)
{
    durable__sigv4_auth a;
    CU_ASSERT_EQUAL(durable__sigv4_parse(&a, "AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=content-type;host;x-amz-date, "
                                             "Signature=" SIG64),
                    0);
    CU_ASSERT_STRING_EQUAL(a.key_id, "AKIDLOCALEXAMPLE");
    CU_ASSERT_STRING_EQUAL(a.date, "20261206");
    CU_ASSERT_STRING_EQUAL(a.region, "us-west-2");
    CU_ASSERT_STRING_EQUAL(a.service, "lambda");
    CU_ASSERT_STRING_EQUAL(a.signed_headers, "content-type;host;x-amz-date");
    CU_ASSERT_EQUAL(a.n_signed, 3);
    CU_ASSERT_STRING_EQUAL(a.signature, SIG64);
    /* any order, tight or loose separators, upper-case hex normalised */
    CU_ASSERT_EQUAL(durable__sigv4_parse(&a, "AWS4-HMAC-SHA256   Signature=AEBC19AEBC19AEBC19AEBC19AEBC19AEBC19AEBC19AEBC19"
                                             "AEBC19AEBC19AEBC,SignedHeaders=host ,\t" GOOD_CRED "  "),
                    0);
    CU_ASSERT_STRING_EQUAL(a.signature, SIG64);
    CU_ASSERT_EQUAL(a.n_signed, 1);
    CU_ASSERT_EQUAL(durable__sigv4_parse(&a, "AWS4-HMAC-SHA256 Credential=AK/20240229/local/cloudformation/aws4_request,"
                                             " SignedHeaders=host, Signature=" SIG64),
                    0);
    CU_ASSERT_STRING_EQUAL(a.service, "cloudformation");
}

static void test_parse_errors(void)
{
    static const char *cases[][2] = {
        {"", "empty"},
        {"AWS4-HMAC-SHA512 " GOOD_CRED, "unsupported scheme 'AWS4-HMAC-SHA512'"},
        {"AWS AKID:abc", "unsupported scheme 'AWS'"},
        {"Bearer xyz", "unsupported scheme 'Bearer'"},
        {"AWS4-HMAC-SHA256", "Credential is missing"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=host", "Signature is missing"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", Signature=" SIG64, "SignedHeaders is missing"},
        {"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" SIG64, "Credential is missing"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_CRED, "Credential is given twice"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", Foo=bar", "unknown component 'Foo'"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED " SignedHeaders=host", "separated by commas"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ",", "ends with a comma"},
        {"AWS4-HMAC-SHA256 Credential", "'Credential' is not NAME=VALUE"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261206/us-west-2/lambda", "KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261206/us-west-2/lambda/aws4_request/x", "KEY_ID/YYYYMMDD"},
        {"AWS4-HMAC-SHA256 Credential=/20261206/us-west-2/lambda/aws4_request", "key id is empty"},
        {"AWS4-HMAC-SHA256 Credential=AK/2026126/us-west-2/lambda/aws4_request", "calendar date"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261306/us-west-2/lambda/aws4_request", "calendar date"},
        {"AWS4-HMAC-SHA256 Credential=AK/20250229/us-west-2/lambda/aws4_request", "calendar date"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261206//lambda/aws4_request", "region must be 1 to 63"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261206/us-west-2//aws4_request", "service must be 1 to 63"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261206/us$west/lambda/aws4_request", "region has a character"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261206/us-west-2/lambda/aws4_requesT", "end with /aws4_request"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=, Signature=" SIG64, "SignedHeaders is empty"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=host;;x, Signature=" SIG64, "empty header name"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=Host, Signature=" SIG64, "lower case"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=x-amz-date;host, Signature=" SIG64, "must be sorted"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=host;host, Signature=" SIG64, "names a header twice"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=ho(st, Signature=" SIG64, "not allowed in a header name"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=host, Signature=abc", "64 hex digits"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=host, Signature=" SIG64 "0", "64 hex digits"},
        {"AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=host, Signature=zebc19aebc19aebc19aebc19aebc19aebc19aebc19aebc19aebc"
         "19aebc19aebc",
         "64 hex digits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        durable__sigv4_auth a;
        int rc = durable__sigv4_parse(&a, cases[i][0]);
        const char *m = durable_error_last()->message;
        if (rc != DURABLE_EPARSE || !strstr(m, cases[i][1]))
            fprintf(stderr, "parse case %zu: rc %d message '%s' (want '%s')\n", i, rc, m, cases[i][1]);
        CU_ASSERT_EQUAL(rc, DURABLE_EPARSE);
        CU_ASSERT(strncmp(m, "Authorization: ", 15) == 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, cases[i][1]));
    }
    /* bounds: over-long input is refused, not cut */
    char *big = malloc(DURABLE__SIGV4_MAX_HEADER + 100);
    memset(big, 'a', DURABLE__SIGV4_MAX_HEADER + 99);
    big[DURABLE__SIGV4_MAX_HEADER + 99] = '\0';
    durable__sigv4_auth a;
    CU_ASSERT_EQUAL(durable__sigv4_parse(&a, big), DURABLE_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "longer than 8192"));
    free(big);
    char many[4000];
    int n = snprintf(many, sizeof many, "AWS4-HMAC-SHA256 " GOOD_CRED ", Signature=" SIG64 ", SignedHeaders=");
    for (int i = 0; i < 65; i++)
        n += snprintf(many + n, sizeof many - (size_t)n, "%sh%03d", i ? ";" : "", i);
    CU_ASSERT_EQUAL(durable__sigv4_parse(&a, many), DURABLE_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "more than 64"));
}

/* Property: random bytes and random mutations of good headers never crash
 * the parser; each is parsed or refused with an "Authorization: " message,
 * and what parses obeys the documented shape. (ASan/UBSan builds check the
 * memory side.) */
static void test_parse_fuzz_property(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed);
    static const char *seeds[] = {
        "AWS4-HMAC-SHA256 " GOOD_CRED ", SignedHeaders=content-type;host;x-amz-date, Signature=" SIG64,
        "AWS4-HMAC-SHA256 Credential=AKIDLOCALEXAMPLE/20261206/us-west-2/lambda/aws4_request, "
        "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;"
        "x-amz-date;x-amz-user-agent, Signature=" SIG64};
    static const char alphabet[] = "AWS4-HMAC-SHA256 ,=/;:aws4_requestCredentialSignedHeadersSignature0123456789abcdef"
                                   "\t\x01\x7f\xff";
    int parsed = 0;
    for (int c = 0; c < 3000; c++) {
        char buf[512];
        size_t len;
        if (c % 3 == 0) {
            len = dt_rng_below(&rng, sizeof buf);
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)(dt_rng_below(&rng, 2) ? alphabet[dt_rng_below(&rng, sizeof alphabet - 1)]
                                                       : (char)(1 + dt_rng_below(&rng, 255)));
        } else {
            const char *s = seeds[dt_rng_below(&rng, 2)];
            len = strlen(s);
            memcpy(buf, s, len);
            int edits = 1 + (int)dt_rng_below(&rng, 4);
            for (int e = 0; e < edits && len > 0; e++) {
                size_t at = dt_rng_below(&rng, len);
                switch (dt_rng_below(&rng, 3)) {
                case 0: /* replace */
                    buf[at] = alphabet[dt_rng_below(&rng, sizeof alphabet - 1)];
                    break;
                case 1: /* delete */
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                    break;
                default: /* truncate */
                    len = at;
                }
            }
        }
        buf[len] = '\0';
        durable__sigv4_auth a;
        int rc = durable__sigv4_parse(&a, buf);
        DT_PROP(rc == 0 || rc == DURABLE_EPARSE, seed, c);
        if (rc == 0) {
            parsed++;
            DT_PROP(strlen(a.signature) == 64 && strspn(a.signature, "0123456789abcdef") == 64, seed, c);
            DT_PROP(a.key_id[0] && strlen(a.date) == 8 && a.region[0] && a.service[0], seed, c);
            DT_PROP(a.n_signed >= 1 && a.n_signed <= DURABLE__SIGV4_MAX_SIGNED, seed, c);
        } else {
            DT_PROP(strncmp(durable_error_last()->message, "Authorization: ", 15) == 0, seed, c);
        }
    }
    printf("\nparser fuzz: 3000 inputs, %d parsed\n", parsed);
}

/* ---- the key table --------------------------------------------------------- */

static void test_keys_add(void)
{
    durable__sigv4_keys *k = NULL;
    CU_ASSERT_EQUAL_FATAL(durable__sigv4_keys_new(&k), 0);
    CU_ASSERT_EQUAL(durable__sigv4_keys_add_spec(k, "AKID1:secret/with+chars=="), 0);
    CU_ASSERT_EQUAL(durable__sigv4_keys_add_spec(k, "AKID2:s:with:colons"), 0);
    CU_ASSERT_EQUAL(durable__sigv4_keys_add_spec(k, "AKID1:secret/with+chars=="), 0); /* same pair again */
    CU_ASSERT_EQUAL(durable__sigv4_keys_count(k), 2);
    CU_ASSERT_STRING_EQUAL(durable__sigv4_keys_find(k, "AKID2"), "s:with:colons");
    CU_ASSERT_PTR_NULL(durable__sigv4_keys_find(k, "AKID3"));
    CU_ASSERT_EQUAL(durable__sigv4_keys_add_spec(k, "AKID1:another"), DURABLE_EEXISTS);
    CU_ASSERT_PTR_NULL(strstr(durable_error_last()->message, "another"));
    CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, "AKID1"));
    static const char *bad[][2] = {{"nocolon", "no ':'"},        {":secret", "key id is empty"},
                                   {"AK:", "secret of key AK is empty"}, {"A K:sec", "may not hold blanks"},
                                   {"AK/1:sec", "may not hold"},     {"AK:hunter2 x", "blank or a non-printable"},
                                   {"AK:s\x01", "non-printable"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(durable__sigv4_keys_add_spec(k, bad[i][0]), DURABLE_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(durable_error_last()->message, bad[i][1]));
        CU_ASSERT_PTR_NULL(strstr(durable_error_last()->message, "hunter2"));
    }
    char long_id[200];
    memset(long_id, 'K', 150);
    strcpy(long_id + 150, ":s");
    CU_ASSERT_EQUAL(durable__sigv4_keys_add_spec(k, long_id), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable__sigv4_keys_count(k), 2);
    durable__sigv4_keys_free(k);
    durable__sigv4_keys_free(NULL);
}

static char *write_temp(const char *text)
{
    char *path = dt_temp_path("sigv4_keys");
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_keys_file(void)
{
    char *path = write_temp("# local keys\n"
                            "AKIDLINE1:lineSecret1\r\n"
                            "  AKIDLINE2 : lineSecret2/+=  \n"
                            "\n"
                            "[default]\n"
                            "aws_access_key_id = AKIDINI1\n"
                            "aws_secret_access_key = iniSecret1/abc=\n"
                            "region = us-west-2\n"
                            "; another profile, secret first\n"
                            "[profile other]\n"
                            "aws_secret_access_key=iniSecret2\n"
                            "aws_session_token = ignored\n"
                            "aws_access_key_id=AKIDINI2\n");
    durable__sigv4_keys *k = NULL;
    durable__sigv4_keys_new(&k);
    CU_ASSERT_EQUAL(durable__sigv4_keys_load_file(k, path), 0);
    CU_ASSERT_EQUAL(durable__sigv4_keys_count(k), 4);
    CU_ASSERT_STRING_EQUAL(durable__sigv4_keys_find(k, "AKIDLINE1"), "lineSecret1");
    CU_ASSERT_STRING_EQUAL(durable__sigv4_keys_find(k, "AKIDLINE2"), "lineSecret2/+=");
    CU_ASSERT_STRING_EQUAL(durable__sigv4_keys_find(k, "AKIDINI1"), "iniSecret1/abc=");
    CU_ASSERT_STRING_EQUAL(durable__sigv4_keys_find(k, "AKIDINI2"), "iniSecret2");
    durable__sigv4_keys_free(k);
    unlink(path);
    free(path);

    /* errors name the file and line, never the secret on it */
    static const char *bad[][2] = {
        {"AKID:topSecretA\nthis line is neither\n", ":2: expected KEY_ID:SECRET"},
        {"[p]\naws_access_key_id = AKIDX\n[q]\naws_access_key_id = AKIDY\naws_secret_access_key = topSecretB\n",
         ":2: aws_access_key_id has no aws_secret_access_key"},
        {"[p]\naws_secret_access_key = topSecretC\n", ":2: aws_secret_access_key has no aws_access_key_id"},
        {"[p]\naws_access_key_id = A\naws_access_key_id = B\naws_secret_access_key = topSecretD\n",
         ":3: aws_access_key_id is given twice"},
        {"[p\naws_access_key_id = A\n", ":1: a section header must end"},
        {"AKID:topSecretE\nAKID:topSecretF\n", ":2: auth key: key AKID is given twice"},
        {"AK ID:topSecretG\n", ":1: auth key: a key id may not hold"},
        {"# nothing\n\n[default]\nregion = x\n", "no key pair found"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_temp(bad[i][0]);
        durable__sigv4_keys_new(&k);
        int rc = durable__sigv4_keys_load_file(k, path);
        const char *m = durable_error_last()->message;
        if (rc == 0 || !strstr(m, bad[i][1])) fprintf(stderr, "keys file case %zu: rc %d '%s'\n", i, rc, m);
        CU_ASSERT(rc == DURABLE_EINVAL || rc == DURABLE_EEXISTS);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, bad[i][1]));
        CU_ASSERT_PTR_NOT_NULL(strstr(m, path));
        CU_ASSERT_PTR_NULL(strstr(m, "topSecret"));
        durable__sigv4_keys_free(k);
        unlink(path);
        free(path);
    }
    durable__sigv4_keys_new(&k);
    CU_ASSERT_EQUAL(durable__sigv4_keys_load_file(k, "/nonexistent/dir/creds"), DURABLE_EIO);
    durable__sigv4_keys_free(k);
}

/* ---- allocation failures ---------------------------------------------- */

static long alloc_budget = -1;
static void *budget_malloc(size_t n, void *user)
{
    (void)user;
    if (alloc_budget == 0) return NULL;
    if (alloc_budget > 0) alloc_budget--;
    return malloc(n);
}
static void *budget_realloc(void *p, size_t n, void *user)
{
    (void)user;
    if (alloc_budget == 0) return NULL;
    if (alloc_budget > 0) alloc_budget--;
    return realloc(p, n);
}
static void budget_free(void *p, void *user)
{
    (void)user;
    free(p);
}

/* Failing the n-th allocation, for every n, gives DURABLE_ENOMEM with the
 * FAILED verdict or the right answer: never a wrong verdict, a crash or a
 * leak (the ASan build checks the last two). */
static void test_allocation_failures(void)
{
    size_t nb, nj;
    treq *b = load_vectors(DATA_DIR "botocore.json", &nb), *j = load_vectors(DATA_DIR "js.json", &nj);
    CU_ASSERT_FATAL(b && j && nb > 12 && nj > 12);
    durable__sigv4_keys *keys = keys_of(b, nb);
    treq *cases[] = {&b[12], &j[12], &b[0]}; /* a repeated-key query, a JS request, a body */
    durable_allocator a = {budget_malloc, budget_realloc, budget_free, NULL};
    int failed = 0, passed = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (long budget = 0; budget < 200; budget++) {
            durable__sigv4_request r = as_request(cases[c]);
            durable__sigv4_result res;
            durable_set_allocator(&a);
            alloc_budget = budget;
            int rc = durable__sigv4_verify(&res, keys, &r, NULL);
            alloc_budget = -1;
            durable_set_allocator(NULL);
            CU_ASSERT(rc == 0 || rc == DURABLE_ENOMEM);
            if (rc == 0) {
                CU_ASSERT_EQUAL(res.verdict, DURABLE__SIGV4_OK);
                passed++;
                break;
            }
            CU_ASSERT_EQUAL(res.verdict, DURABLE__SIGV4_FAILED);
            CU_ASSERT_PTR_NOT_NULL(strstr(res.message, "could not be verified"));
            failed++;
        }
    }
    CU_ASSERT_EQUAL(passed, 3);
    CU_ASSERT(failed >= 6);
    /* the key table under failure */
    for (long budget = 0; budget < 20; budget++) {
        durable__sigv4_keys *k = NULL;
        durable_set_allocator(&a);
        alloc_budget = budget;
        int rc = durable__sigv4_keys_new(&k);
        if (rc == 0) rc = durable__sigv4_keys_add_spec(k, "AK1:s1");
        if (rc == 0) rc = durable__sigv4_keys_add_spec(k, "AK2:s2");
        alloc_budget = -1;
        durable_set_allocator(NULL);
        CU_ASSERT(rc == 0 || rc == DURABLE_ENOMEM);
        if (rc == 0) CU_ASSERT_EQUAL(durable__sigv4_keys_count(k), 2);
        durable__sigv4_keys_free(k);
    }
    durable__sigv4_keys_free(keys);
    free_vectors(b, nb);
    free_vectors(j, nj);
}

int main(void)
{
    CU_pSuite s = dt_suite("http_sigv4");
    DT_ADD(s, test_botocore_vectors_verify);
    DT_ADD(s, test_js_vectors_verify);
    DT_ADD(s, test_tampering_botocore);
    DT_ADD(s, test_tampering_js);
    DT_ADD(s, test_payload_header);
    DT_ADD(s, test_date_window);
    DT_ADD(s, test_canonical_uri_and_query);
    DT_ADD(s, test_query_order_property);
    DT_ADD(s, test_parse_good);
    DT_ADD(s, test_parse_errors);
    DT_ADD(s, test_parse_fuzz_property);
    DT_ADD(s, test_keys_add);
    DT_ADD(s, test_keys_file);
    DT_ADD(s, test_allocation_failures);
    return dt_run();
}
