/* Operation ids, UUIDs, ARNs, checkpoint tokens, callback ids, base64. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "durable/ids.h"
#include "durable/model.h"
#include "model/md5.h"
#include "support/testutil.h"

static void test_op_id_vectors(void)
{
    static const char *vec[][2] = {{"1", "c4ca4238a0b92382"},     {"1-1", "ea66c06c1e1c05fa"},
                                   {"2", "c81e728d9d4c2f63"},     {"2-1", "8fbdbf5573b18fae"},
                                   {"2-1-3", "2bfadbf90d1c5992"}};
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        char id[DURABLE_OP_ID_LEN + 1];
        memset(id, 'x', sizeof id);
        durable_op_id(id, vec[i][0]);
        CU_ASSERT_STRING_EQUAL(id, vec[i][1]);
        CU_ASSERT_EQUAL(strlen(id), DURABLE_OP_ID_LEN);
    }
}

static void hex16(char out[33], const unsigned char md[16])
{
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* RFC 1321 appendix A.5, plus lengths around the padding boundaries. */
static void test_md5_rfc_vectors(void)
{
    static const char *vec[][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"}};
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        unsigned char md[16];
        char hex[33];
        durable__md5(md, vec[i][0], strlen(vec[i][0]));
        hex16(hex, md);
        CU_ASSERT_STRING_EQUAL(hex, vec[i][1]);
    }
}

/* The reused per-thread digest context gives the one-shot digest for every
 * input, call after call, on several threads at once (a context not reset
 * between calls, or shared between threads, would differ). */
typedef struct md5_job {
    uint64_t seed;
    int bad;
} md5_job;

static void *md5_worker(void *arg)
{
    md5_job *job = arg;
    dt_rng rng;
    dt_rng_init(&rng, job->seed);
    unsigned char buf[200];
    for (int round = 0; round < 3; round++)
        for (int len = 0; len <= (int)sizeof buf; len++) {
            for (int k = 0; k < len; k++)
                buf[k] = (unsigned char)dt_rng_below(&rng, 256);
            unsigned char mine[16], ref[EVP_MAX_MD_SIZE];
            unsigned int ref_len = 0;
            if (durable__md5(mine, buf, (size_t)len) != 0 ||
                EVP_Digest(buf, (size_t)len, ref, &ref_len, EVP_md5(), NULL) != 1 ||
                ref_len != 16 || memcmp(mine, ref, 16) != 0)
                job->bad++;
        }
    return NULL;
}

static void test_md5_matches_evp_threads(void)
{
    uint64_t seed = dt_seed();
    enum { N = 4 };
    pthread_t t[N];
    md5_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (md5_job){ seed + (uint64_t)i, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, md5_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        DT_PROP(jobs[i].bad == 0, seed, i);
    }
}

/* Ids come from a per-thread table of remembered paths: whatever the order,
 * the repeats, the slot collisions and evictions (many more distinct paths
 * than slots) and the lengths around the longest remembered path, every Id
 * is the MD5 prefix of its own path, on several threads at once. */
typedef struct op_id_job {
    uint64_t seed;
    int bad;
} op_id_job;

static void random_path(char *buf, size_t cap, dt_rng *rng)
{
    size_t len = 0;
    if (dt_rng_below(rng, 4) == 0) { /* any bytes, lengths 0..30 */
        size_t n = (size_t)dt_rng_below(rng, 31);
        for (; len < n && len + 1 < cap; len++)
            buf[len] = (char)(1 + dt_rng_below(rng, 255));
    } else { /* positional: "<n>-<n>-..." */
        int parts = 1 + (int)dt_rng_below(rng, 6);
        for (int p = 0; p < parts && len + 12 < cap; p++)
            len += (size_t)snprintf(buf + len, cap - len, p ? "-%llu" : "%llu",
                                    (unsigned long long)(1 + dt_rng_below(rng, 3000)));
    }
    buf[len] = '\0';
}

static void *op_id_worker(void *arg)
{
    op_id_job *job = arg;
    dt_rng rng;
    dt_rng_init(&rng, job->seed);
    enum { POOL = 9000 };
    char (*pool)[40] = malloc(POOL * sizeof(*pool));
    if (!pool) {
        job->bad++;
        return NULL;
    }
    for (int i = 0; i < POOL; i++)
        random_path(pool[i], sizeof pool[i], &rng);
    for (int k = 0; k < 60000; k++) {
        /* Mostly a small hot set (hits), sometimes anywhere (evictions). */
        const char *path = pool[dt_rng_below(&rng, 8) ? dt_rng_below(&rng, 500)
                                                       : dt_rng_below(&rng, POOL)];
        char id[DURABLE_OP_ID_LEN + 1];
        memset(id, 'x', sizeof id);
        durable_op_id(id, path);
        unsigned char ref[EVP_MAX_MD_SIZE];
        unsigned int ref_len = 0;
        char hex[33];
        if (EVP_Digest(path, strlen(path), ref, &ref_len, EVP_md5(), NULL) != 1 || ref_len != 16) {
            job->bad++;
            continue;
        }
        hex16(hex, ref);
        if (strlen(id) != DURABLE_OP_ID_LEN || memcmp(id, hex, DURABLE_OP_ID_LEN) != 0)
            job->bad++;
    }
    free(pool);
    return NULL;
}

static void test_op_id_remembered_paths(void)
{
    uint64_t seed = dt_seed();
    enum { N = 3 };
    pthread_t t[N];
    op_id_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (op_id_job){ seed + (uint64_t)i, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, op_id_worker, &jobs[i]), 0);
    }
    op_id_job mine = { seed + N, 0 };
    op_id_worker(&mine);
    DT_PROP(mine.bad == 0, seed, N);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        DT_PROP(jobs[i].bad == 0, seed, i);
    }
    /* The empty path and NULL hash "" (never remembered). */
    char a[DURABLE_OP_ID_LEN + 1], b[DURABLE_OP_ID_LEN + 1];
    durable_op_id(a, "");
    durable_op_id(b, NULL);
    CU_ASSERT_STRING_EQUAL(a, "d41d8cd98f00b204");
    CU_ASSERT_STRING_EQUAL(b, "d41d8cd98f00b204");
}

static void test_uuid_format(void)
{
    char a[37], b[37];
    durable_uuid(a);
    durable_uuid(b);
    CU_ASSERT_EQUAL(strlen(a), 36);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            CU_ASSERT_EQUAL(a[i], '-');
        } else {
            CU_ASSERT(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
        }
    }
    CU_ASSERT_EQUAL(a[14], '4'); /* random (version 4) */
}

static void test_arn_build_and_parse(void)
{
    char *arn = NULL;
    CU_ASSERT_EQUAL(durable_execution_arn(&arn, NULL, NULL, "my-fn", NULL, "run_1", "abc-123"), 0);
    CU_ASSERT_STRING_EQUAL(arn, "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST"
                                "/durable-execution/run_1/abc-123");
    char *fn = NULL, *q = NULL, *name = NULL, *op = NULL;
    CU_ASSERT_EQUAL(durable_execution_arn_parse(&fn, &q, &name, &op, arn), 0);
    CU_ASSERT_STRING_EQUAL(fn, "my-fn");
    CU_ASSERT_STRING_EQUAL(q, "$LATEST");
    CU_ASSERT_STRING_EQUAL(name, "run_1");
    CU_ASSERT_STRING_EQUAL(op, "abc-123");
    durable_free(fn);
    durable_free(q);
    durable_free(name);
    durable_free(op);
    /* Any out may be NULL. */
    CU_ASSERT_EQUAL(durable_execution_arn_parse(NULL, NULL, NULL, &op, arn), 0);
    CU_ASSERT_STRING_EQUAL(op, "abc-123");
    durable_free(op);
    durable_free(arn);

    CU_ASSERT_EQUAL(durable_execution_arn(&arn, "eu-west-1", "111122223333", "f", "7", "n", "i"), 0);
    CU_ASSERT_STRING_EQUAL(arn, "arn:aws:lambda:eu-west-1:111122223333:function:f:7/durable-execution/n/i");
    durable_free(arn);
    CU_ASSERT_EQUAL(durable_execution_arn(&arn, NULL, NULL, NULL, NULL, "n", "i"), DURABLE_EINVAL);
    CU_ASSERT_PTR_NULL(arn);
    CU_ASSERT_EQUAL(durable_execution_arn(&arn, NULL, NULL, "f", NULL, "a/b", "i"), DURABLE_EINVAL);

    CU_ASSERT_EQUAL(durable_function_arn(&arn, NULL, NULL, "fn"), 0);
    CU_ASSERT_STRING_EQUAL(arn, "arn:aws:lambda:us-east-1:123456789012:function:fn");
    durable_free(arn);

    static const char *bad[] = {
        "",
        "arn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/name",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution//id",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/n/",
        "arn:aws:lambda:us-east-1:123456789012:function:fn/durable-execution/n/i",
        "arn:aws:s3:us-east-1:123456789012:function:fn:q/durable-execution/n/i",
        "arn:aws:lambda:us-east-1:123456789012:layer:fn:q/durable-execution/n/i",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:q:x/durable-execution/n/i",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:q/durable-execution/n/i/j",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        op = (char *)"sentinel";
        CU_ASSERT_EQUAL(durable_execution_arn_parse(NULL, NULL, NULL, &op, bad[i]), DURABLE_EINVAL);
        CU_ASSERT_PTR_NULL(op);
        CU_ASSERT(strstr(durable_error_last()->message, "not an execution ARN") != NULL);
    }
    CU_ASSERT_EQUAL(durable_execution_arn_parse(NULL, NULL, NULL, NULL, NULL), DURABLE_EINVAL);
}

static const char *ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"
                         "/durable-execution/n/0b6e1c8a-3c44-4f0e-9a55-1f2b1c5d7e90";

/* The checksum is SHA-256 as the service has always minted it: values
 * computed independently (Python hashlib) for a fixed token and callback id,
 * so a change of digest code cannot change the wire format unnoticed. */
static void test_token_golden_checksum(void)
{
    const char *arn = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/"
                      "durable-execution/n/abc";
    char *tok = NULL;
    CU_ASSERT_EQUAL(durable_token_encode(&tok, arn, 42, "inv-1"), 0);
    CU_ASSERT_STRING_EQUAL(tok, "eyJhcm4iOiJhcm46YXdzOmxhbWJkYTp1cy1lYXN0LTE6MTIzNDU2Nzg5MDEyOmZ1bmN0aW9u"
                                "OmY6JExBVEVTVC9kdXJhYmxlLWV4ZWN1dGlvbi9uL2FiYyIsInNlcSI6NDIsImludiI6"
                                "Imludi0xIiwic3VtIjoiNzk5M2M4Mjc0ZjFmM2NiOSJ9");
    durable_free(tok);
    durable_callback_ref ref;
    CU_ASSERT_EQUAL(durable_callback_id_decode(&ref, "eyJhcm4iOiJhcm46YXdzOmxhbWJkYTp1cy1lYXN0LTE6MTIzNDU2Nzg5MDEyOmZ1bmN0aW9u"
                                                     "OmY6JExBVEVTVC9kdXJhYmxlLWV4ZWN1dGlvbi9uL2FiYyIsIm9wIjoib3AxIiwibiI6Im5v"
                                                     "bmNlIiwic3VtIjoiNDBmOTI2ZTRjZjY0NGE3ZCJ9"), 0);
    CU_ASSERT_STRING_EQUAL(ref.operation_id, "op1");
    CU_ASSERT_STRING_EQUAL(ref.nonce, "nonce");
    durable_callback_ref_clear(&ref);
}

static void test_token_round_trip(void)
{
    char *tok = NULL;
    CU_ASSERT_EQUAL(durable_token_encode(&tok, ARN, 42, "inv-1"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    for (const char *p = tok; *p; p++)
        CU_ASSERT(isalnum((unsigned char)*p) || *p == '+' || *p == '/' || *p == '=');
    durable_token t;
    CU_ASSERT_EQUAL(durable_token_decode(&t, tok), 0);
    CU_ASSERT_STRING_EQUAL(t.arn, ARN);
    CU_ASSERT_EQUAL(t.seq, 42);
    CU_ASSERT_STRING_EQUAL(t.invocation_id, "inv-1");
    durable_token_clear(&t);
    CU_ASSERT_PTR_NULL(t.arn);
    /* The payload is the documented JSON. */
    unsigned char *raw = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(durable_base64_decode(&raw, &len, tok), 0);
    CU_ASSERT(strncmp((char *)raw, "{\"arn\":\"arn:aws:lambda:", 23) == 0);
    CU_ASSERT(strstr((char *)raw, "\"seq\":42,\"inv\":\"inv-1\"") != NULL);
    durable_free(raw);
    durable_free(tok);
    CU_ASSERT_EQUAL(durable_token_encode(&tok, NULL, 1, "i"), DURABLE_EINVAL);
    CU_ASSERT_EQUAL(durable_token_encode(&tok, ARN, -1, "i"), DURABLE_EINVAL);
}

/* Every minted token decodes (the decoder accepts only cJSON's exact
 * compact text), whether or not its members need escaping and whatever the
 * size of seq. */
static void test_token_encodings_decode(void)
{
    const char *arns[] = {ARN, "arn:\"quoted\"\\x", "arn:tab\there"};
    const char *invs[] = {"inv-1", "9b2f0c1e-7d3a-4c55-9a0e-2f1b3c4d5e6f", "in\"v"};
    const int64_t seqs[] = {0, 1, 9, 10, 2147483646, 2147483647, 2147483648LL, 1099511627776LL};
    for (size_t a = 0; a < sizeof arns / sizeof *arns; a++)
        for (size_t i = 0; i < sizeof invs / sizeof *invs; i++)
            for (size_t k = 0; k < sizeof seqs / sizeof *seqs; k++) {
                char *tok = NULL;
                CU_ASSERT_EQUAL_FATAL(durable_token_encode(&tok, arns[a], seqs[k], invs[i]), 0);
                durable_token t;
                int rc = durable_token_decode(&t, tok);
                CU_ASSERT_EQUAL(rc, 0);
                if (rc == 0) {
                    CU_ASSERT_STRING_EQUAL(t.arn, arns[a]);
                    CU_ASSERT_STRING_EQUAL(t.invocation_id, invs[i]);
                    CU_ASSERT_EQUAL(t.seq, seqs[k]);
                }
                durable_token_clear(&t);
                durable_free(tok);
            }
}

static void expect_bad_token(const char *text)
{
    durable_token t;
    memset(&t, 0x5a, sizeof t);
    CU_ASSERT_EQUAL(durable_token_decode(&t, text), DURABLE_ETOKEN);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "Invalid Checkpoint Token");
    CU_ASSERT_PTR_NULL(t.arn);
    CU_ASSERT_PTR_NULL(t.invocation_id);
}

static void expect_bad_callback(const char *text)
{
    durable_callback_ref r;
    memset(&r, 0x5a, sizeof r);
    CU_ASSERT_EQUAL(durable_callback_id_decode(&r, text), DURABLE_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(durable_error_last()->message, "Callback not found.");
    CU_ASSERT_PTR_NULL(r.arn);
    CU_ASSERT_PTR_NULL(r.nonce);
}

static char *b64(const char *s)
{
    char *out = NULL;
    durable_base64_encode(&out, (const unsigned char *)s, strlen(s));
    return out;
}

static void test_token_tamper_and_truncation(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed);
    char *tok = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_token_encode(&tok, ARN, 7, "a5f1"), 0);
    size_t n = strlen(tok);
    /* Every single-byte flip at every position is rejected. */
    for (size_t i = 0; i < n; i++) {
        char *t = strdup(tok);
        t[i] ^= (char)(1 + dt_rng_below(&rng, 127));
        if (t[i] == '\0')
            t[i] = '#';
        expect_bad_token(t);
        free(t);
    }
    /* Every truncation is rejected. */
    for (size_t k = 0; k < n; k++) {
        char *t = strdup(tok);
        t[k] = '\0';
        expect_bad_token(t);
        free(t);
    }
    /* The minted JSON with trailing whitespace (what a flipped '=' can
     * produce) or reordered members is not a token. */
    unsigned char *raw = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(durable_base64_decode(&raw, &len, tok), 0);
    char padded[512];
    snprintf(padded, sizeof padded, "%s ", (char *)raw);
    char *b = b64(padded);
    expect_bad_token(b);
    durable_free(b);
    snprintf(padded, sizeof padded, "%s", (char *)raw);
    b = b64(padded);
    durable_token ok;
    CU_ASSERT_EQUAL(durable_token_decode(&ok, b), 0); /* control: the same text is fine */
    durable_token_clear(&ok);
    durable_free(b);
    durable_free(raw);
    expect_bad_token(NULL);
    expect_bad_token("");
    expect_bad_token("not base64!");
    expect_bad_token("QUJD"); /* "ABC" */
    char *s;
    expect_bad_token(s = b64("[1,2]"));
    durable_free(s);
    expect_bad_token(s = b64("{\"arn\":\"x\",\"seq\":1,\"inv\":\"i\"}")); /* no sum */
    durable_free(s);
    expect_bad_token(s = b64("{\"arn\":\"x\",\"seq\":\"1\",\"inv\":\"i\",\"sum\":\"0\"}"));
    durable_free(s);
    /* A callback id is not a token, and a token is not a callback id. */
    char *cb = NULL;
    CU_ASSERT_EQUAL(durable_callback_id_encode(&cb, ARN, "c4ca4238a0b92382"), 0);
    expect_bad_token(cb);
    expect_bad_callback(tok);
    durable_free(cb);
    durable_free(tok);
    /* A very long token is refused without decoding. */
    char *big = malloc(5000);
    memset(big, 'A', 4999);
    big[4999] = '\0';
    expect_bad_token(big);
    expect_bad_callback(big);
    free(big);
}

static void test_callback_id_round_trip_and_tamper(void)
{
    char *a = NULL, *b = NULL;
    CU_ASSERT_EQUAL(durable_callback_id_encode(&a, ARN, "c4ca4238a0b92382"), 0);
    CU_ASSERT_EQUAL(durable_callback_id_encode(&b, ARN, "c4ca4238a0b92382"), 0);
    CU_ASSERT_STRING_NOT_EQUAL(a, b); /* fresh nonce each time */
    CU_ASSERT(strlen(a) <= DURABLE_MAX_CALLBACK_ID_LEN);
    durable_callback_ref r;
    CU_ASSERT_EQUAL(durable_callback_id_decode(&r, a), 0);
    CU_ASSERT_STRING_EQUAL(r.arn, ARN);
    CU_ASSERT_STRING_EQUAL(r.operation_id, "c4ca4238a0b92382");
    CU_ASSERT_EQUAL(strlen(r.nonce), 36);
    durable_callback_ref_clear(&r);
    CU_ASSERT_PTR_NULL(r.operation_id);
    size_t n = strlen(a);
    for (size_t i = 0; i < n; i++) {
        char *t = strdup(a);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        expect_bad_callback(t);
        t[i] = '\0';
        expect_bad_callback(t);
        free(t);
    }
    expect_bad_callback(NULL);
    expect_bad_callback("");
    expect_bad_callback("%%%");
    durable_free(a);
    durable_free(b);
    CU_ASSERT_EQUAL(durable_callback_id_encode(&a, ARN, ""), DURABLE_EINVAL);
}

static void test_base64_edges(void)
{
    static const char *vec[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                   {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                   {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        char *enc = NULL;
        CU_ASSERT_EQUAL(durable_base64_encode(&enc, (const unsigned char *)vec[i][0],
                                              strlen(vec[i][0])), 0);
        CU_ASSERT_STRING_EQUAL(enc, vec[i][1]);
        unsigned char *dec = NULL;
        size_t len = 99;
        CU_ASSERT_EQUAL(durable_base64_decode(&dec, &len, enc), 0);
        CU_ASSERT_EQUAL(len, strlen(vec[i][0]));
        CU_ASSERT(memcmp(dec, vec[i][0], len) == 0 && dec[len] == '\0');
        durable_free(dec);
        durable_free(enc);
    }
    /* Binary data with NULs and high bytes. */
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    char *enc = NULL;
    unsigned char *dec = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(durable_base64_encode(&enc, bin, sizeof bin), 0);
    CU_ASSERT_EQUAL(durable_base64_decode(&dec, &len, enc), 0);
    CU_ASSERT(len == sizeof bin && memcmp(dec, bin, len) == 0);
    durable_free(dec);
    durable_free(enc);

    static const char *bad[] = {"Zg=",   "Zg",    "Z",     "Zm9v\n", " Zm9v", "Zm9v====",
                                "Z===",  "Zh==",  "Zm9=",  "Zm=v",   "Zm9-",  "Zm9_",
                                "Zm 9v", "=Zm9",  "Zg==Zg=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dec = (unsigned char *)"sentinel";
        CU_ASSERT_EQUAL(durable_base64_decode(&dec, &len, bad[i]), DURABLE_EPARSE);
        CU_ASSERT_PTR_NULL(dec);
        CU_ASSERT(strncmp(durable_error_last()->message, "base64:", 7) == 0);
    }
    CU_ASSERT_EQUAL(durable_base64_decode(&dec, &len, NULL), DURABLE_EPARSE);
}

int main(void)
{
    CU_pSuite s = dt_suite("model_ids");
    DT_ADD(s, test_op_id_vectors);
    DT_ADD(s, test_md5_rfc_vectors);
    DT_ADD(s, test_md5_matches_evp_threads);
    DT_ADD(s, test_op_id_remembered_paths);
    DT_ADD(s, test_uuid_format);
    DT_ADD(s, test_arn_build_and_parse);
    DT_ADD(s, test_token_round_trip);
    DT_ADD(s, test_token_golden_checksum);
    DT_ADD(s, test_token_encodings_decode);
    DT_ADD(s, test_token_tamper_and_truncation);
    DT_ADD(s, test_callback_id_round_trip_and_tamper);
    DT_ADD(s, test_base64_edges);
    return dt_run();
}
