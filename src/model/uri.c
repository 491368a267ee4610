/* Percent-encoding and decoding of uri.h. */
#include "model/uri.h"

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

void durable__uri_encode(durable__strbuf *b, const char *s, size_t n, bool keep_slash)
{
    static const char HEX[] = "0123456789ABCDEF";
    char *w = durable__strbuf_room(b, 3 * n);
    if (!w)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            w[k++] = (char)c;
        } else {
            w[k++] = '%';
            w[k++] = HEX[c >> 4];
            w[k++] = HEX[c & 15];
        }
    }
    w[k] = '\0';
    b->len += k;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long durable__pct_decode(char *dst, const char *s, size_t n, bool plus_space, size_t *bad_at)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                if (bad_at)
                    *bad_at = i;
                return -1;
            }
            dst[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dst[k++] = plus_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    return (long)k;
}
