/* SigV4 hashing and signature, shared by the signer and the verifier. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "model/internal.h"
#include "model/sigv4_core.h"

void durable__hex(char *out, const unsigned char *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

int durable__sha256_hex(char out[65], const void *data, size_t len)
{
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return durable__error_set(DURABLE_ERROR, "sigv4: SHA-256 failed in libcrypto");
    durable__hex(out, md, 32);
    return 0;
}

static int hmac(unsigned char out[32], const void *key, size_t key_len, const void *data,
                size_t len)
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != 32)
        return durable__error_set(DURABLE_ERROR, "sigv4: HMAC-SHA256 failed in libcrypto");
    return 0;
}

int durable__sigv4_signature(char out[65], const char *secret, const char *date8,
                             const char *region, const char *service,
                             const char *string_to_sign)
{
    size_t slen = strlen(secret);
    unsigned char *k0 = durable__malloc(slen + 4);
    if (!k0)
        return durable__error_oom();
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen);
    unsigned char k[32], sig[32];
    int rc = hmac(k, k0, slen + 4, date8, strlen(date8));
    OPENSSL_cleanse(k0, slen + 4);
    durable_free(k0);
    if (rc == 0)
        rc = hmac(k, k, 32, region, strlen(region));
    if (rc == 0)
        rc = hmac(k, k, 32, service, strlen(service));
    if (rc == 0)
        rc = hmac(k, k, 32, "aws4_request", 12);
    if (rc == 0)
        rc = hmac(sig, k, 32, string_to_sign, strlen(string_to_sign));
    if (rc == 0)
        durable__hex(out, sig, 32);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(sig, sizeof sig);
    return rc;
}
