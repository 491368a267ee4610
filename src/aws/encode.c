/* Percent-encoding of path segments and query pairs (HTTP_API.md §5): the
 * official clients encode every byte outside RFC 3986 unreserved, and SigV4
 * canonicalizes with the same rule, so the query sent is already canonical. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aws/aws_internal.h"

static bool unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

void durable__aws_pct(durable__strbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = durable__strbuf_room(b, n * 3);
    if (!p)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (unreserved(ch)) {
            p[k++] = (char)ch;
        } else {
            p[k++] = '%';
            p[k++] = hex[ch >> 4];
            p[k++] = hex[ch & 15];
        }
    }
    p[k] = '\0';
    b->len += k;
}

void durable__aws_query_add(durable__strbuf *b, const char *key, const char *value)
{
    if (b->len)
        durable__strbuf_put(b, "&", 1);
    durable__aws_pct(b, key, strlen(key));
    durable__strbuf_put(b, "=", 1);
    durable__aws_pct(b, value, strlen(value));
}

void durable__aws_query_int(durable__strbuf *b, const char *key, int64_t value)
{
    char n[24];
    snprintf(n, sizeof n, "%" PRId64, value);
    durable__aws_query_add(b, key, n);
}

char *durable__aws_path(const char *prefix, const char *segment, const char *suffix)
{
    durable__strbuf b = {0};
    durable__strbuf_puts(&b, prefix);
    durable__aws_pct(&b, segment, strlen(segment));
    durable__strbuf_puts(&b, suffix);
    return durable__strbuf_take(&b);
}
