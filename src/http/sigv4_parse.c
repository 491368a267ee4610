/* The SigV4 Authorization header parser: strict, allocation-free, safe on
 * any byte string (the fuzz target of the front's auth). */
#include <stdio.h>
#include <string.h>

#include "http/sigv4.h"
#include "model/internal.h"

static const char ALGORITHM[] = "AWS4-HMAC-SHA256";

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

static int fail(const char *msg)
{
    return durable__error_set(DURABLE_EPARSE, "%s", msg);
}

/* A short printable copy of untrusted text for a message. */
static void quote(char dst[40], const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 32; i++)
        dst[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n > 32) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    dst[k] = '\0';
}

/* Copy s[0..n) into dst[cap] when it fits. */
static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap) return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

int durable__sigv4_key_id_char(char c)
{
    return c > 0x20 && c < 0x7f && c != '/' && c != ',' && c != ':' && c != '=';
}

static int scope_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_' ||
           c == '.';
}

static int valid_ymd(const char *d)
{
    for (int i = 0; i < 8; i++)
        if (!is_digit(d[i])) return 0;
    int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int m = (d[4] - '0') * 10 + (d[5] - '0');
    int day = (d[6] - '0') * 10 + (d[7] - '0');
    return durable__sigv4_days_in_month(y, m) >= day && day >= 1;
}

int durable__sigv4_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

/* KEY/YYYYMMDD/REGION/SERVICE/aws4_request */
static int parse_credential(durable__sigv4_auth *out, const char *v, size_t n)
{
    const char *part[5];
    size_t len[5];
    size_t k = 0;
    const char *p = v, *end = v + n;
    while (k < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        part[k] = p;
        len[k] = (size_t)(stop - p);
        k++;
        if (!slash) break;
        p = slash + 1;
    }
    if (k != 5 || part[4] + len[4] != end)
        return fail("Authorization: Credential must be KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request");
    if (len[0] == 0) return fail("Authorization: the Credential's key id is empty");
    if (len[0] > DURABLE__SIGV4_MAX_KEY_ID)
        return fail("Authorization: the Credential's key id is longer than 128 characters");
    for (size_t i = 0; i < len[0]; i++)
        if (!durable__sigv4_key_id_char(part[0][i]))
            return fail("Authorization: the Credential's key id has a character that is not allowed");
    memcpy(out->key_id, part[0], len[0]);
    out->key_id[len[0]] = '\0';

    if (len[1] != 8 || !valid_ymd(part[1]))
        return fail("Authorization: the Credential's date must be a calendar date YYYYMMDD");
    memcpy(out->date, part[1], 8);
    out->date[8] = '\0';

    const char *what[2] = {"region", "service"};
    char *dst[2] = {out->region, out->service};
    for (int j = 0; j < 2; j++) {
        const char *s = part[2 + j];
        size_t sn = len[2 + j];
        for (size_t i = 0; i < sn; i++)
            if (!scope_char(s[i]))
                return durable__error_set(DURABLE_EPARSE, "Authorization: the Credential's %s has a character that is not allowed", what[j]);
        if (copy_part(dst[j], DURABLE__SIGV4_MAX_SCOPE_PART + 1, s, sn) != 0)
            return durable__error_set(DURABLE_EPARSE, "Authorization: the Credential's %s must be 1 to 63 characters", what[j]);
    }
    if (len[4] != 12 || memcmp(part[4], "aws4_request", 12) != 0)
        return fail("Authorization: the Credential scope must end with /aws4_request");
    return 0;
}

static int header_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* a;b;c: lower-case header names, sorted, each once. */
static int parse_signed_headers(durable__sigv4_auth *out, const char *v, size_t n)
{
    if (n == 0) return fail("Authorization: SignedHeaders is empty");
    if (n > DURABLE__SIGV4_MAX_SIGNED_LIST)
        return fail("Authorization: SignedHeaders is longer than 2047 characters");
    const char *prev = NULL;
    size_t prev_len = 0, count = 0;
    const char *p = v, *end = v + n;
    for (;;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        size_t len = (size_t)(stop - p);
        if (len == 0) return fail("Authorization: SignedHeaders has an empty header name");
        for (size_t i = 0; i < len; i++) {
            if (p[i] >= 'A' && p[i] <= 'Z')
                return fail("Authorization: SignedHeaders must be lower case");
            if (!header_name_char(p[i]))
                return fail("Authorization: SignedHeaders has a character that is not allowed in a header name");
        }
        if (prev) {
            size_t m = prev_len < len ? prev_len : len;
            int c = memcmp(prev, p, m);
            if (c > 0 || (c == 0 && prev_len >= len))
                return fail(c == 0 && prev_len == len ? "Authorization: SignedHeaders names a header twice"
                                                      : "Authorization: SignedHeaders must be sorted");
        }
        if (++count > DURABLE__SIGV4_MAX_SIGNED)
            return fail("Authorization: SignedHeaders names more than 64 headers");
        prev = p;
        prev_len = len;
        if (!semi) break;
        p = semi + 1;
    }
    memcpy(out->signed_headers, v, n);
    out->signed_headers[n] = '\0';
    out->n_signed = count;
    return 0;
}

static int parse_signature(durable__sigv4_auth *out, const char *v, size_t n)
{
    if (n != 64) return fail("Authorization: Signature must be 64 hex digits");
    for (size_t i = 0; i < 64; i++) {
        char c = v[i];
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!is_lower_hex(c)) return fail("Authorization: Signature must be 64 hex digits");
        out->signature[i] = c;
    }
    out->signature[64] = '\0';
    return 0;
}

int durable__sigv4_parse(durable__sigv4_auth *out, const char *header)
{
    if (!out || !header) return fail("Authorization: no header");
    memset(out, 0, sizeof *out);
    size_t total = strnlen(header, DURABLE__SIGV4_MAX_HEADER + 1);
    if (total > DURABLE__SIGV4_MAX_HEADER)
        return fail("Authorization: longer than 8192 characters");
    if (total == 0) return fail("Authorization: empty");
    size_t alen = sizeof ALGORITHM - 1;
    if (strncmp(header, ALGORITHM, alen) != 0 || (header[alen] != '\0' && !is_blank(header[alen]))) {
        char q[40];
        size_t n = 0;
        while (header[n] && !is_blank(header[n]))
            n++;
        quote(q, header, n);
        return durable__error_set(DURABLE_EPARSE, "Authorization: unsupported scheme '%s' (only AWS4-HMAC-SHA256 is accepted)", q);
    }
    const char *p = header + alen;
    int seen[3] = {0, 0, 0};
    static const char *names[3] = {"Credential", "SignedHeaders", "Signature"};
    for (;;) {
        while (is_blank(*p))
            p++;
        if (*p == '\0') break;
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ',' && !is_blank(*eq))
            eq++;
        size_t nlen = (size_t)(eq - p);
        if (*eq != '=') {
            char q[40];
            quote(q, p, nlen);
            return durable__error_set(DURABLE_EPARSE, "Authorization: '%s' is not NAME=VALUE", q);
        }
        int which = -1;
        for (int i = 0; i < 3; i++)
            if (strlen(names[i]) == nlen && memcmp(p, names[i], nlen) == 0) which = i;
        if (which < 0) {
            char q[40];
            quote(q, p, nlen);
            return durable__error_set(DURABLE_EPARSE, "Authorization: unknown component '%s' (expected Credential, SignedHeaders, Signature)", q);
        }
        if (seen[which]) return durable__error_set(DURABLE_EPARSE, "Authorization: %s is given twice", names[which]);
        seen[which] = 1;
        const char *v = eq + 1, *ve = v;
        while (*ve && *ve != ',' && !is_blank(*ve))
            ve++;
        size_t vlen = (size_t)(ve - v);
        int rc = which == 0   ? parse_credential(out, v, vlen)
                 : which == 1 ? parse_signed_headers(out, v, vlen)
                              : parse_signature(out, v, vlen);
        if (rc != 0) return rc;
        p = ve;
        while (is_blank(*p))
            p++;
        if (*p == ',') {
            p++;
            while (is_blank(*p))
                p++;
            if (*p == '\0') return fail("Authorization: ends with a comma");
        } else if (*p != '\0') {
            return fail("Authorization: components must be separated by commas");
        }
    }
    for (int i = 0; i < 3; i++)
        if (!seen[i]) return durable__error_set(DURABLE_EPARSE, "Authorization: %s is missing", names[i]);
    return 0;
}
