/* AWS Signature Version 4 (HTTP_API.md §6.1), computed here rather than by
 * libcurl: curl 7.88 (Debian 12) signs the path as sent and the query in the
 * order sent, while AWS (and botocore, and `durable serve --auth`) encode the
 * path a second time and sort the query, so curl's signature fails for every
 * route whose path holds an encoded ARN or callback id. */
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "aws/aws_internal.h"
#include "model/sigv4_core.h"
#include "model/uri.h"

void durable__aws_amz_date(char out[17], int64_t epoch_seconds)
{
    time_t t = (time_t)epoch_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The path as AWS canonicalizes it: every byte outside unreserved and '/'
 * encoded, so the '%' of an encoded segment becomes "%25" (double encoding). */
static void canonical_uri(durable__strbuf *b, const char *path)
{
    if (!path || !*path) {
        durable__strbuf_put(b, "/", 1);
        return;
    }
    for (const char *seg = path;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        durable__uri_encode(b, seg, n, false);
        if (!slash)
            break;
        durable__strbuf_put(b, "/", 1);
        seg = slash + 1;
    }
}

typedef struct pair {
    const char *p;
    size_t key_len, len;
} pair;

static int pair_cmp(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->p, y->p, n);
    if (c || x->key_len != y->key_len)
        return c ? c : (x->key_len < y->key_len ? -1 : 1);
    /* Same key (a repeated list parameter): order by value. */
    size_t xv = x->len - x->key_len, yv = y->len - y->key_len;
    n = xv < yv ? xv : yv;
    c = memcmp(x->p + x->key_len, y->p + y->key_len, n);
    return c ? c : (xv < yv ? -1 : xv > yv);
}

/* The query sorted by key, then value. Its parts are already encoded with
 * the unreserved-only rule (encode.c), which is the canonical encoding. */
static int canonical_query(durable__strbuf *b, const char *query)
{
    if (!query || !*query)
        return 0;
    size_t n = 1;
    for (const char *q = query; *q; q++)
        n += *q == '&';
    pair *pairs = durable__calloc(n, sizeof *pairs);
    if (!pairs)
        return DURABLE_ENOMEM;
    size_t k = 0;
    for (const char *q = query;;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        if (len)
            pairs[k++] = (pair){q, eq ? (size_t)(eq - q) : len, len};
        if (!amp)
            break;
        q = amp + 1;
    }
    qsort(pairs, k, sizeof *pairs, pair_cmp);
    for (size_t i = 0; i < k; i++) {
        if (i)
            durable__strbuf_put(b, "&", 1);
        durable__strbuf_put(b, pairs[i].p, pairs[i].len);
        if (pairs[i].key_len == pairs[i].len)
            durable__strbuf_put(b, "=", 1);
    }
    durable_free(pairs);
    return 0;
}

typedef struct hdr {
    char *name; /* lower-cased copy */
    const char *value;
} hdr;

static int hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name);
}

static void put_trimmed(durable__strbuf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    durable__strbuf_put(b, v, n);
}

char *durable__aws_sigv4(const durable__aws_sign_input *in)
{
    size_t nh = in->header_count + 1;
    hdr *hs = durable__calloc(nh, sizeof *hs);
    if (!hs)
        return NULL;
    hs[0] = (hdr){durable__strdup("host"), in->host};
    for (size_t i = 0; i < in->header_count; i++) {
        hs[i + 1].name = durable__strdup(in->headers[i].name);
        hs[i + 1].value = in->headers[i].value;
    }
    char *result = NULL;
    durable__strbuf creq = {0}, signed_headers = {0}, sts = {0};
    for (size_t i = 0; i < nh; i++) {
        if (!hs[i].name)
            goto done;
        for (char *p = hs[i].name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    qsort(hs, nh, sizeof *hs, hdr_cmp);

    durable__strbuf_puts(&creq, in->method);
    durable__strbuf_put(&creq, "\n", 1);
    canonical_uri(&creq, in->path);
    durable__strbuf_put(&creq, "\n", 1);
    if (canonical_query(&creq, in->query) != 0)
        goto done;
    durable__strbuf_put(&creq, "\n", 1);
    for (size_t i = 0; i < nh; i++) {
        durable__strbuf_puts(&creq, hs[i].name);
        durable__strbuf_put(&creq, ":", 1);
        put_trimmed(&creq, hs[i].value ? hs[i].value : "");
        durable__strbuf_put(&creq, "\n", 1);
        if (i)
            durable__strbuf_put(&signed_headers, ";", 1);
        durable__strbuf_puts(&signed_headers, hs[i].name);
    }
    durable__strbuf_put(&creq, "\n", 1);
    durable__strbuf_puts(&creq, signed_headers.p ? signed_headers.p : "");
    durable__strbuf_put(&creq, "\n", 1);
    char digest[65];
    if (durable__sha256_hex(digest, in->body, in->body_len) < 0)
        goto done;
    durable__strbuf_puts(&creq, digest);
    if (creq.oom || signed_headers.oom)
        goto done;

    char date8[9];
    memcpy(date8, in->amz_date, 8);
    date8[8] = '\0';
    char *scope = durable__sprintf("%s/%s/%s/aws4_request", date8, in->region, in->service);
    if (!scope)
        goto done;
    if (durable__sha256_hex(digest, creq.p, creq.len) < 0) {
        durable_free(scope);
        goto done;
    }
    durable__strbuf_puts(&sts, "AWS4-HMAC-SHA256\n");
    durable__strbuf_puts(&sts, in->amz_date);
    durable__strbuf_put(&sts, "\n", 1);
    durable__strbuf_puts(&sts, scope);
    durable__strbuf_put(&sts, "\n", 1);
    durable__strbuf_puts(&sts, digest);

    char sig_hex[65];
    if (!sts.oom && durable__sigv4_signature(sig_hex, in->secret_access_key, date8, in->region,
                                             in->service, sts.p) == 0)
        result = durable__sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                                  "Signature=%s",
                                  in->access_key_id, scope, signed_headers.p, sig_hex);
    durable_free(scope);
done:
    for (size_t i = 0; i < nh; i++)
        durable_free(hs[i].name);
    durable_free(hs);
    durable_free(creq.p);
    durable_free(signed_headers.p);
    durable_free(sts.p);
    return result;
}
