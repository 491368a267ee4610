/* Percent-encoding as the Lambda wire uses it (HTTP_API.md §5): every byte
 * outside RFC 3986's unreserved set is %XX in upper case, which is also
 * SigV4's canonical form. One copy for the client that builds request paths
 * and queries (aws layer), the front that decodes them and the verifier
 * that re-encodes them (http layer). Not API. */
#ifndef DURABLE_MODEL_URI_H
#define DURABLE_MODEL_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "model/internal.h"

/* Append s[0..n) to b, encoded; '/' stays as it is when keep_slash. On
 * allocation failure b is marked oom (see durable__strbuf_take). */
void durable__uri_encode(durable__strbuf *b, const char *s, size_t n, bool keep_slash);

/* Decode s[0..n) into dst, which has room for n bytes (decoding never
 * lengthens); with plus_space a '+' becomes ' ' (form-style query values),
 * otherwise it stays '+'. Returns the decoded length, or -1 when a '%' is not
 * followed by two hex digits, with *bad_at (when not NULL) set to its byte
 * offset. dst is not NUL-terminated. */
long durable__pct_decode(char *dst, const char *s, size_t n, bool plus_space, size_t *bad_at);

#endif
