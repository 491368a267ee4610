/*
 * Fuzz target "sigv4": the SigV4 Authorization parser and verifier of the
 * HTTP front (src/http/sigv4.h). Input lines: the Authorization value, the
 * method, the raw path, the raw query, then "name: value" headers up to an
 * empty line; the rest is the body.
 *  - The parser accepts or refuses any bytes; what it accepts is well
 *    formed (64 lower-case hex digits, an 8-digit date, SignedHeaders lower
 *    case, sorted, without duplicates).
 *  - The verifier answers OK or a refusal with a reason, never naming the
 *    secret.
 *  - The same request signed here with the secret (HMAC chain of the SigV4
 *    spec over the canonical request the library builds) verifies; with one
 *    signature digit changed it is refused as a mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "fuzz/fuzz.h"
#include "http/sigv4.h"

#define KEY_ID "AKIDFUZZEXAMPLE"
#define SECRET "fuzz-secret-9f8e7d6c5b4a"
#define AMZ_DATE "20261206T210010Z"
#define MAX_HEADERS 16

typedef struct fz_req {
    char *line[4]; /* authorization, method, path, query */
    char *hname[MAX_HEADERS], *hvalue[MAX_HEADERS];
    size_t nh;
    const char *body;
    size_t body_len;
} fz_req;

static const char *lookup(const char *name, void *user)
{
    fz_req *r = user;
    for (size_t i = 0; i < r->nh; i++)
        if (strcasecmp(r->hname[i], name) == 0)
            return r->hvalue[i];
    return NULL;
}

static char *dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    FUZZ_CHECK(s != NULL);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Split the input (see the top of the file). */
static void split(fz_req *r, const uint8_t *data, size_t size)
{
    size_t at = 0;
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 4; i++) {
        const uint8_t *nl = at < size ? memchr(data + at, '\n', size - at) : NULL;
        size_t len = nl ? (size_t)(nl - data - at) : size - at;
        r->line[i] = dup_n(data + at, len);
        at = nl ? at + len + 1 : size;
    }
    while (at < size && r->nh < MAX_HEADERS) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - data - at) : size - at;
        const uint8_t *colon = memchr(data + at, ':', len);
        if (len == 0 || !colon) {
            at += len + (nl ? 1 : 0);
            break;
        }
        size_t nlen = (size_t)(colon - data - at);
        r->hname[r->nh] = dup_n(data + at, nlen);
        size_t vstart = nlen + 1;
        while (vstart < len && data[at + vstart] == ' ')
            vstart++;
        r->hvalue[r->nh++] = dup_n(data + at + vstart, len - vstart);
        at += len + (nl ? 1 : 0);
    }
    r->body = (const char *)data + (at < size ? at : size);
    r->body_len = at < size ? size - at : 0;
}

static void free_req(fz_req *r)
{
    for (int i = 0; i < 4; i++)
        free(r->line[i]);
    for (size_t i = 0; i < r->nh; i++) {
        free(r->hname[i]);
        free(r->hvalue[i]);
    }
}

static void check_parsed(const durable__sigv4_auth *a)
{
    FUZZ_CHECK(strlen(a->signature) == 64);
    for (int i = 0; i < 64; i++)
        FUZZ_CHECK((a->signature[i] >= '0' && a->signature[i] <= '9') ||
                   (a->signature[i] >= 'a' && a->signature[i] <= 'f'));
    FUZZ_CHECK(strlen(a->date) == 8);
    for (int i = 0; i < 8; i++)
        FUZZ_CHECK(a->date[i] >= '0' && a->date[i] <= '9');
    FUZZ_CHECK(a->key_id[0] && a->region[0] && a->service[0]);
    size_t n = 1;
    for (const char *p = a->signed_headers; *p; p++) {
        FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
        n += *p == ';';
    }
    FUZZ_CHECK(n == a->n_signed);
    /* Sorted and unique: each name strictly after the previous one. */
    const char *prev = NULL;
    size_t prev_len = 0;
    for (const char *p = a->signed_headers; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (prev) {
            int c = strncmp(prev, p, prev_len < len ? prev_len : len);
            FUZZ_CHECK(c < 0 || (c == 0 && prev_len < len));
        }
        prev = p;
        prev_len = len;
        p += len + (end ? 1 : 0);
    }
}

static void hmac(unsigned char out[32], const void *key, size_t key_len, const char *msg)
{
    unsigned int len = 32;
    FUZZ_CHECK(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out,
                    &len) != NULL);
}

static void hex(char *out, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static int name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sign r (host and x-amz-date added) as a client would; verify it. */
static void sign_and_verify(fz_req *r, const durable__sigv4_keys *keys)
{
    /* The signed names: host, x-amz-date and the input's plain lower-case ones. */
    const char *names[MAX_HEADERS + 2];
    size_t n = 0;
    names[n++] = "host";
    names[n++] = "x-amz-date";
    for (size_t i = 0; i < r->nh; i++) {
        /* The input's own Authorization is replaced by the signature below
         * (a client never signs the header that carries the signature). */
        int dup = !name_ok(r->hname[i]) || strcasecmp(r->hname[i], "authorization") == 0;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(names[j], r->hname[i]) == 0;
        if (!dup)
            names[n++] = r->hname[i];
    }
    qsort(names, n, sizeof *names, cmp_str);
    fz_req s = *r;
    s.nh = 0;
    s.hname[s.nh] = "host";
    s.hvalue[s.nh++] = "127.0.0.1:9009";
    s.hname[s.nh] = "x-amz-date";
    s.hvalue[s.nh++] = AMZ_DATE;
    /* A client states the body's real hash (a wrong one is refused, as it
     * should be, whatever the signature). */
    unsigned char body_sha[32];
    char body_hex[65];
    SHA256((const unsigned char *)(r->body ? r->body : ""), r->body_len, body_sha);
    hex(body_hex, body_sha, 32);
    for (size_t i = 0; i < r->nh && s.nh < MAX_HEADERS - 1; i++) /* room for authorization */
        if (strcasecmp(r->hname[i], "host") && strcasecmp(r->hname[i], "x-amz-date") &&
            strcasecmp(r->hname[i], "authorization")) {
            s.hname[s.nh] = r->hname[i];
            s.hvalue[s.nh++] = strcasecmp(r->hname[i], "x-amz-content-sha256") ? r->hvalue[i]
                                                                                 : body_hex;
        }
    durable__sigv4_auth auth;
    memset(&auth, 0, sizeof auth);
    snprintf(auth.key_id, sizeof auth.key_id, "%s", KEY_ID);
    snprintf(auth.date, sizeof auth.date, "%.8s", AMZ_DATE);
    snprintf(auth.region, sizeof auth.region, "us-west-2");
    snprintf(auth.service, sizeof auth.service, "lambda");
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(auth.signed_headers + at, sizeof auth.signed_headers - at, "%s%s",
                               i ? ";" : "", names[i]);
    auth.n_signed = n;
    durable__sigv4_request req = {s.line[1], s.line[2], s.line[3], lookup, &s, s.body,
                                  s.body_len};
    char *canonical = NULL;
    if (durable__sigv4_canonical_request(&canonical, &req, &auth) != 0)
        return; /* a path, query or payload hash it cannot canonicalise */
    unsigned char digest[32], k[32];
    char digest_hex[65], sts[512], sig[65];
    SHA256((const unsigned char *)canonical, strlen(canonical), digest);
    durable_free(canonical);
    hex(digest_hex, digest, 32);
    snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", AMZ_DATE,
             auth.date, auth.region, auth.service, digest_hex);
    hmac(k, "AWS4" SECRET, strlen("AWS4" SECRET), auth.date);
    hmac(k, k, 32, auth.region);
    hmac(k, k, 32, auth.service);
    hmac(k, k, 32, "aws4_request");
    unsigned char mac[32];
    hmac(mac, k, 32, sts);
    hex(sig, mac, 32);
    char header[4096];
    snprintf(header, sizeof header,
             "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
             KEY_ID, auth.date, auth.region, auth.service, auth.signed_headers, sig);
    s.hname[s.nh] = "authorization";
    s.hvalue[s.nh++] = header;
    durable__sigv4_result res;
    int rc = durable__sigv4_verify(&res, keys, &req, NULL);
    if (rc != 0)
        fprintf(stderr, "fuzz: own signature refused: %s\n", res.message);
    FUZZ_CHECK(rc == 0 && res.verdict == DURABLE__SIGV4_OK);
    char *last = header + strlen(header) - 1;
    *last = *last == '0' ? '1' : '0';
    rc = durable__sigv4_verify(&res, keys, &req, NULL);
    FUZZ_CHECK(rc == DURABLE_EINVAL && res.verdict == DURABLE__SIGV4_MISMATCH);
}

/* True when the input holds the secret somewhere. */
static int holds_secret(const uint8_t *data, size_t size)
{
    size_t n = strlen(SECRET);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, SECRET, n) == 0)
            return 1;
    return 0;
}

static durable__sigv4_keys *keys;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    if (!keys) {
        FUZZ_CHECK(durable__sigv4_keys_new(&keys) == 0);
        FUZZ_CHECK(durable__sigv4_keys_add(keys, KEY_ID, SECRET) == 0);
    }
    fz_req r;
    split(&r, data, size);
    durable__sigv4_auth a;
    if (durable__sigv4_parse(&a, r.line[0]) == 0)
        check_parsed(&a);
    else
        FUZZ_CHECK(durable_error_last()->code == DURABLE_EPARSE);

    /* The request as given, its own Authorization line first. */
    fz_req g = r;
    if (g.nh < MAX_HEADERS) {
        memmove(g.hname + 1, g.hname, g.nh * sizeof *g.hname);
        memmove(g.hvalue + 1, g.hvalue, g.nh * sizeof *g.hvalue);
        g.hname[0] = "authorization";
        g.hvalue[0] = r.line[0];
        g.nh++;
    }
    durable__sigv4_request req = {g.line[1], g.line[2], g.line[3], lookup, &g, g.body, g.body_len};
    durable__sigv4_result res;
    int rc = durable__sigv4_verify(&res, keys, &req, NULL);
    FUZZ_CHECK((rc == 0) == (res.verdict == DURABLE__SIGV4_OK));
    FUZZ_CHECK(rc == 0 || rc == DURABLE_EINVAL);
    if (rc != 0)
        FUZZ_CHECK(res.message[0] != '\0');
    /* Messages may quote what the client sent, so only a secret the input
     * does not hold would be a leak. */
    if (!holds_secret(data, size))
        FUZZ_CHECK(strstr(res.message, SECRET) == NULL);

    sign_and_verify(&r, keys);
    free_req(&r);
    return 0;
}
