/* MD5 for operation Ids (SPEC §4), computed by libcrypto.
 *
 * Replay hashes every operation path on every invocation, so the per-call
 * overhead of EVP matters more than the digest itself: the MD5 method is
 * fetched once (the implicit lookup behind EVP_md5() costs more than hashing
 * a short path) and each thread reuses one digest context (EVP_Digest would
 * allocate and free one per call). */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "model/md5.h"

static EVP_MD *md5_impl;
static pthread_key_t ctx_key;
static int key_ok;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void init(void)
{
    md5_impl = EVP_MD_fetch(NULL, "MD5", NULL);
    key_ok = pthread_key_create(&ctx_key, ctx_free) == 0;
}

/* This thread's digest context, created on first use and freed when the
 * thread exits; NULL when it cannot be had (then one is made per call). */
static EVP_MD_CTX *thread_ctx(void)
{
    if (!key_ok)
        return NULL;
    EVP_MD_CTX *c = pthread_getspecific(ctx_key);
    if (!c && (c = EVP_MD_CTX_new()) != NULL && pthread_setspecific(ctx_key, c) != 0) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

int durable__md5(unsigned char out[16], const void *data, size_t len)
{
    pthread_once(&once, init);
    if (!md5_impl)
        return -1; /* a libcrypto without MD5 (FIPS mode) */
    unsigned int n = 0;
    EVP_MD_CTX *c = thread_ctx();
    if (c) {
        if (EVP_DigestInit_ex2(c, md5_impl, NULL) && EVP_DigestUpdate(c, data, len) &&
            EVP_DigestFinal_ex(c, out, &n) && n == 16)
            return 0;
        return -1;
    }
    return EVP_Digest(data, len, out, &n, md5_impl, NULL) && n == 16 ? 0 : -1;
}
