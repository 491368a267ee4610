/* The part of AWS Signature Version 4 that signing (aws layer: the client)
 * and verifying (http layer: `durable serve --auth`) share: hashing and the
 * signature of a string to sign. Each side builds its canonical request its
 * own way (the signer from the request it sends, the verifier from the raw
 * request it received); from there the algorithm is one. Not API. */
#ifndef DURABLE_MODEL_SIGV4_CORE_H
#define DURABLE_MODEL_SIGV4_CORE_H

#include <stddef.h>

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void durable__hex(char *out, const unsigned char *d, size_t n);

/* SHA-256 of data (NULL with len 0 is the empty string), hex. 0, or
 * DURABLE_ERROR when libcrypto fails. */
int durable__sha256_hex(char out[65], const void *data, size_t len);

/* The SigV4 signature (hex) of string_to_sign: HMAC-SHA256 chained from
 * "AWS4" + secret over date8 (YYYYMMDD), region, service and
 * "aws4_request". The derived keys are wiped before returning; nothing here
 * keeps or reports the secret. 0, DURABLE_ENOMEM, or DURABLE_ERROR when
 * libcrypto fails. */
int durable__sigv4_signature(char out[65], const char *secret, const char *date8,
                             const char *region, const char *service,
                             const char *string_to_sign);

#endif
