/* MD5 for operation Ids (SPEC §4), computed by libcrypto.
 *
 * Replay hashes every operation path on every invocation, so the per-call
 * overhead matters more than the digest itself. The one-shot MD5_Init/
 * Update/Final functions (deprecated in OpenSSL 3, still part of libcrypto)
 * run the same block code as EVP without a provider: no method fetch (the
 * first fetch in a process initialises the default provider, about 5M
 * instructions), no digest context to allocate or keep per thread, and
 * they work in a FIPS-only configuration too, where EVP offers no MD5. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>

#include "model/md5.h"

int durable__md5(unsigned char out[16], const void *data, size_t len)
{
    MD5_CTX c;
    return MD5_Init(&c) && MD5_Update(&c, data, len) && MD5_Final(out, &c) ? 0 : -1;
}
