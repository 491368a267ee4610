/* Percent-encoding of path segments and query pairs (HTTP_API.md §5): the
 * official clients encode every byte outside RFC 3986 unreserved, and SigV4
 * canonicalizes with the same rule, so the query sent is already canonical. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aws/aws_internal.h"
#include "model/uri.h"

void durable__aws_query_add(durable__strbuf *b, const char *key, const char *value)
{
    if (b->len)
        durable__strbuf_put(b, "&", 1);
    durable__uri_encode(b, key, strlen(key), false);
    durable__strbuf_put(b, "=", 1);
    durable__uri_encode(b, value, strlen(value), false);
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
    durable__uri_encode(&b, segment, strlen(segment), false);
    durable__strbuf_puts(&b, suffix);
    return durable__strbuf_take(&b);
}
