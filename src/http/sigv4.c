/* SigV4 verification: the canonical request of HTTP_API.md §6.1, the
 * signing key chain, and the constant-time comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http/sigv4.h"
#include "model/sigv4_core.h"
#include "model/internal.h"
#include "model/uri.h"

/* Step 1: drop empty, "." and ".." segments as botocore's
 * remove_dot_segments and smithy's getCanonicalPath do, then encode once
 * more with '/' kept. */
static void canonical_uri(durable__strbuf *b, const char *path)
{
    size_t n = strlen(path);
    if (n == 0) {
        durable__strbuf_puts(b, "/");
        return;
    }
    /* segment starts and lengths, at most one per byte plus one */
    size_t max_segs = 1;
    for (size_t i = 0; i < n; i++)
        if (path[i] == '/') max_segs++;
    size_t *seg = durable__malloc(2 * max_segs * sizeof *seg);
    if (!seg) {
        b->oom = 1;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0 || (len == 1 && path[i] == '.')) {
            /* skipped */
        } else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (k > 0) k--;
        } else {
            seg[2 * k] = i;
            seg[2 * k + 1] = len;
            k++;
        }
        i = j + 1;
    }
    if (path[0] == '/') durable__strbuf_puts(b, "/");
    for (size_t s = 0; s < k; s++) {
        if (s > 0) durable__strbuf_puts(b, "/");
        /* the raw segment is still percent-encoded: its '%' become %25 */
        durable__uri_encode(b, path + seg[2 * s], seg[2 * s + 1], false);
    }
    if (k > 0 && path[n - 1] == '/') durable__strbuf_puts(b, "/");
    durable__free(seg);
}

typedef struct qpair {
    char *key, *value; /* encoded, NUL-terminated */
} qpair;

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Encode the percent-decoded s[0..n) into a new string; NULL with *bad set
 * on a bad escape, NULL alone when out of memory. */
static char *reencode(const char *s, size_t n, int *bad)
{
    char *raw = durable__malloc(n + 1);
    if (!raw) return NULL;
    long len = durable__pct_decode(raw, s, n, false, NULL); /* HTTP_API.md §5: '+' stays */
    if (len < 0) {
        durable__free(raw);
        *bad = 1;
        return NULL;
    }
    durable__strbuf b = {0};
    durable__uri_encode(&b, raw, (size_t)len, false);
    durable__free(raw);
    return durable__strbuf_take(&b);
}

/* Step 2. Empty pieces ("a=1&&b=2") are skipped; a key without '=' has an
 * empty value. Returns 0, DURABLE_EINVAL (bad escape) or DURABLE_ENOMEM. */
static int canonical_query(durable__strbuf *b, const char *query)
{
    if (!query || !*query) return 0;
    size_t n = strlen(query), max_pairs = 1;
    for (size_t i = 0; i < n; i++)
        if (query[i] == '&') max_pairs++;
    qpair *pairs = durable__calloc(max_pairs, sizeof *pairs);
    if (!pairs) return durable__error_oom();
    size_t k = 0;
    int rc = 0, bad = 0;
    for (size_t i = 0; i <= n && rc == 0;) {
        size_t j = i;
        while (j < n && query[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(query + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (query + i)) : j - i;
            const char *v = eq ? eq + 1 : query + j;
            pairs[k].key = reencode(query + i, klen, &bad);
            pairs[k].value = pairs[k].key ? reencode(v, (size_t)(query + j - v), &bad) : NULL;
            k++;
            if (!pairs[k - 1].value)
                rc = bad ? durable__error_set(DURABLE_EINVAL, "query: a bad percent escape (%% not followed by two "
                                                              "hex digits)")
                         : durable__error_oom();
        }
        i = j + 1;
    }
    if (rc == 0) {
        qsort(pairs, k, sizeof *pairs, qpair_cmp);
        for (size_t i = 0; i < k; i++) {
            if (i > 0) durable__strbuf_puts(b, "&");
            durable__strbuf_puts(b, pairs[i].key);
            durable__strbuf_puts(b, "=");
            durable__strbuf_puts(b, pairs[i].value);
        }
    }
    for (size_t i = 0; i < k; i++) {
        durable__free(pairs[i].key);
        durable__free(pairs[i].value);
    }
    durable__free(pairs);
    return rc;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

/* Step 3, one header: trimmed, inner runs of white space folded to one
 * space (botocore `' '.join(v.split())`, smithy `trim().replace(/\s+/g)`). */
static void put_header_value(durable__strbuf *b, const char *v)
{
    while (is_space(*v))
        v++;
    int pending = 0;
    for (; *v; v++) {
        if (is_space(*v)) {
            pending = 1;
            continue;
        }
        if (pending) durable__strbuf_put(b, " ", 1);
        pending = 0;
        durable__strbuf_put(b, v, 1);
    }
}

static int is_lower_hex64(const char *s)
{
    size_t i = 0;
    for (; s[i] && i < 65; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return i == 64;
}

static const char *get_header(const durable__sigv4_request *req, const char *name)
{
    return req->header ? req->header(name, req->header_user) : NULL;
}

/* Step 4: the payload hash, into out. */
static int payload_hash(char out[65], const durable__sigv4_request *req)
{
    const char *h = get_header(req, "x-amz-content-sha256");
    if (!h) return durable__sha256_hex(out, req->body, req->body_len);
    if (!is_lower_hex64(h))
        return durable__error_set(DURABLE_EINVAL, "x-amz-content-sha256 must be the body's SHA-256 in 64 lower-case "
                                                  "hex digits (UNSIGNED-PAYLOAD and streaming bodies are refused)");
    memcpy(out, h, 65);
    return 0;
}

int durable__sigv4_canonical_request(char **out, const durable__sigv4_request *req, const durable__sigv4_auth *auth)
{
    *out = NULL;
    if (!req || !auth || !req->method || !req->path)
        return durable__error_set(DURABLE_EINVAL, "sigv4: a request needs a method and a path");
    durable__strbuf b = {0};
    durable__strbuf_puts(&b, req->method);
    durable__strbuf_puts(&b, "\n");
    canonical_uri(&b, req->path);
    durable__strbuf_puts(&b, "\n");
    int rc = canonical_query(&b, req->query);
    durable__strbuf_puts(&b, "\n");
    /* Signed header names are already lower case, sorted and unique. */
    const char *p = auth->signed_headers;
    char name[DURABLE__SIGV4_MAX_SIGNED_LIST + 1];
    while (rc == 0 && *p) {
        size_t len = strcspn(p, ";");
        memcpy(name, p, len);
        name[len] = '\0';
        p += len + (p[len] == ';');
        const char *v = get_header(req, name);
        if (!v) {
            rc = durable__error_set(DURABLE_EINVAL, "the signed header '%s' is not in the request", name);
            break;
        }
        durable__strbuf_puts(&b, name);
        durable__strbuf_puts(&b, ":");
        put_header_value(&b, v);
        durable__strbuf_puts(&b, "\n");
    }
    char hash[65];
    if (rc == 0) rc = payload_hash(hash, req);
    if (rc == 0) {
        durable__strbuf_puts(&b, "\n");
        durable__strbuf_puts(&b, auth->signed_headers);
        durable__strbuf_puts(&b, "\n");
        durable__strbuf_puts(&b, hash);
    }
    char *s = durable__strbuf_take(&b);
    if (rc != 0) {
        durable__free(s);
        return rc;
    }
    if (!s) return durable__error_oom();
    *out = s;
    return 0;
}

/* ---- verification ------------------------------------------------------ */

static int refuse(durable__sigv4_result *out, durable__sigv4_verdict v, const char *fmt, ...) DURABLE__PRINTF(3, 4);
static int refuse(durable__sigv4_result *out, durable__sigv4_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    out->verdict = v;
    return durable__error_set(DURABLE_EINVAL, "%s", out->message);
}

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* YYYYMMDDTHHMMSSZ into epoch seconds; -1 when malformed. */
static int parse_amz_date(int64_t *out, const char *s)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = two(s) * 100 + two(s + 2), m = two(s + 4), d = two(s + 6);
    int hh = two(s + 9), mm = two(s + 11), ss = two(s + 13);
    if (d < 1 || d > durable__sigv4_days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return -1;
    *out = days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

/* The signature of string_to_sign under the scope of auth, hex, into out. */
static int sign(char out[65], const char *secret, const durable__sigv4_auth *auth, const char *string_to_sign)
{
    return durable__sigv4_signature(out, secret, auth->date, auth->region, auth->service,
                                    string_to_sign);
}

/* Does the ';'-list contain name? */
static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ";");
        if (len == n && memcmp(p, name, n) == 0) return 1;
        p += len + (p[len] == ';');
    }
    return 0;
}

/* Checks before the signature, cheapest and clearest first. */
static int check_headers(durable__sigv4_result *out, const durable__sigv4_request *req,
                         const durable__sigv4_options *opt, const char **amz_date)
{
    const durable__sigv4_auth *a = &out->auth;
    if (!list_has(a->signed_headers, "host"))
        return refuse(out, DURABLE__SIGV4_HOST_UNSIGNED, "the Host header must be one of the SignedHeaders");
    const char *date = get_header(req, "x-amz-date");
    int64_t when;
    if (!date) return refuse(out, DURABLE__SIGV4_BAD_DATE, "the X-Amz-Date header is missing");
    if (parse_amz_date(&when, date) != 0)
        return refuse(out, DURABLE__SIGV4_BAD_DATE, "X-Amz-Date must be a UTC time YYYYMMDDTHHMMSSZ");
    if (memcmp(date, a->date, 8) != 0)
        return refuse(out, DURABLE__SIGV4_BAD_DATE,
                      "X-Amz-Date %.8s is not the day of the credential scope %s", date, a->date);
    if (opt && opt->max_skew_seconds > 0) {
        int64_t now = durable_clock_now(opt->clock) / 1000;
        int64_t skew = when > now ? when - now : now - when;
        if (skew > opt->max_skew_seconds)
            return refuse(out, DURABLE__SIGV4_SKEWED,
                          "X-Amz-Date %s is %lld s from the server's time, more than the %lld s allowed", date,
                          (long long)skew, (long long)opt->max_skew_seconds);
    }
    for (const char *p = a->signed_headers; *p;) {
        size_t len = strcspn(p, ";");
        char name[DURABLE__SIGV4_MAX_SIGNED_LIST + 1];
        memcpy(name, p, len);
        name[len] = '\0';
        if (!get_header(req, name))
            return refuse(out, DURABLE__SIGV4_MISSING_HEADER, "the signed header '%s' is not in the request", name);
        p += len + (p[len] == ';');
    }
    const char *declared = get_header(req, "x-amz-content-sha256");
    if (declared) {
        char actual[65];
        if (!is_lower_hex64(declared))
            return refuse(out, DURABLE__SIGV4_BAD_PAYLOAD,
                          "x-amz-content-sha256 must be the body's SHA-256 in 64 lower-case hex digits");
        int rc = durable__sha256_hex(actual, req->body, req->body_len);
        if (rc != 0) return rc;
        if (memcmp(actual, declared, 64) != 0)
            return refuse(out, DURABLE__SIGV4_BAD_PAYLOAD,
                          "the body does not match its x-amz-content-sha256 (the body's SHA-256 is %s)", actual);
    }
    *amz_date = date;
    return 0;
}

/* A fault of the server's (allocation, libcrypto): keep rc, say so. */
static int fault(durable__sigv4_result *out, int rc)
{
    out->verdict = DURABLE__SIGV4_FAILED;
    snprintf(out->message, sizeof out->message, "the signature could not be verified: %s",
             durable_error_last()->message);
    return rc;
}

static int verify(durable__sigv4_result *out, const durable__sigv4_keys *keys, const durable__sigv4_request *req,
                  const durable__sigv4_options *opt);

int durable__sigv4_verify(durable__sigv4_result *out, const durable__sigv4_keys *keys,
                          const durable__sigv4_request *req, const durable__sigv4_options *opt)
{
    memset(out, 0, sizeof *out);
    int rc = verify(out, keys, req, opt);
    if (rc != 0 && rc != DURABLE_EINVAL) return fault(out, rc);
    return rc;
}

static int verify(durable__sigv4_result *out, const durable__sigv4_keys *keys, const durable__sigv4_request *req,
                  const durable__sigv4_options *opt)
{
    if (!req || !req->method || !req->path)
        return refuse(out, DURABLE__SIGV4_BAD_REQUEST, "sigv4: a request needs a method and a path");
    const char *authz = get_header(req, "authorization");
    if (!authz) return refuse(out, DURABLE__SIGV4_NO_AUTH, "the Authorization header is missing");
    if (durable__sigv4_parse(&out->auth, authz) != 0)
        return refuse(out, DURABLE__SIGV4_MALFORMED, "%s", durable_error_last()->message);
    const durable__sigv4_auth *a = &out->auth;
    const char *secret = durable__sigv4_keys_find(keys, a->key_id);
    if (!secret)
        return refuse(out, DURABLE__SIGV4_UNKNOWN_KEY, "the access key id '%s' is not one of the server's keys",
                      a->key_id);
    const char *amz_date = NULL;
    int rc = check_headers(out, req, opt, &amz_date);
    if (rc != 0) return rc;

    char *creq = NULL;
    rc = durable__sigv4_canonical_request(&creq, req, a);
    if (rc != 0 && rc != DURABLE_EINVAL) return rc;
    if (rc != 0) return refuse(out, DURABLE__SIGV4_BAD_REQUEST, "%s", durable_error_last()->message);
    char creq_hash[65], expected[65];
    rc = durable__sha256_hex(creq_hash, creq, strlen(creq));
    durable__free(creq);
    if (rc != 0) return rc;
    char *sts = durable__sprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, a->date, a->region,
                                 a->service, creq_hash);
    if (!sts) return durable__error_oom();
    rc = sign(expected, secret, a, sts);
    durable__free(sts);
    if (rc != 0) return rc;
    int same = CRYPTO_memcmp(expected, a->signature, 64) == 0;
    OPENSSL_cleanse(expected, sizeof expected);
    if (!same)
        return refuse(out, DURABLE__SIGV4_MISMATCH,
                      "the signature does not match: the canonical request the server computed has SHA-256 %s; "
                      "check the secret of key '%s' and what was signed",
                      creq_hash, a->key_id);
    out->verdict = DURABLE__SIGV4_OK;
    return 0;
}
