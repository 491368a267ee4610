/* Standard base64 (RFC 4648 §4) through libcrypto, with the strict checks
 * EVP_DecodeBlock lacks: it skips whitespace, accepts '=' in the middle and
 * ignores non-zero pad bits, so tampered or truncated text would otherwise
 * decode into something. */
#include <string.h>

#include <openssl/evp.h>

#include "durable/ids.h"
#include "model/internal.h"

int durable_base64_encode(char **out, const unsigned char *data, size_t len)
{
    *out = NULL;
    if (len > (size_t)INT32_MAX / 4 * 3 - 3)
        return durable__error_set(DURABLE_EINVAL, "base64: input of %zu bytes is too large", len);
    size_t n = (len + 2) / 3 * 4;
    char *buf = durable__malloc(n + 1);
    if (!buf)
        return durable__error_oom();
    int w = len ? EVP_EncodeBlock((unsigned char *)buf, data, (int)len) : 0;
    buf[w] = '\0';
    *out = buf;
    return 0;
}

static int value_of(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int durable_base64_decode(unsigned char **out, size_t *out_len, const char *text)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!text)
        return durable__error_set(DURABLE_EPARSE, "base64: no text");
    size_t n = strlen(text);
    if (n % 4 != 0)
        return durable__error_set(DURABLE_EPARSE,
                                  "base64: length %zu is not a multiple of 4 (truncated?)", n);
    if (n > (size_t)INT32_MAX)
        return durable__error_set(DURABLE_EPARSE, "base64: text too long");
    size_t pad = 0;
    if (n >= 1 && text[n - 1] == '=')
        pad++;
    if (n >= 2 && text[n - 2] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (value_of((unsigned char)text[i]) < 0)
            return durable__error_set(DURABLE_EPARSE,
                                      "base64: invalid character at offset %zu", i);
    /* The bits a pad makes unused must be zero, or two texts decode alike. */
    if (pad == 1 && (value_of((unsigned char)text[n - 2]) & 0x03))
        return durable__error_set(DURABLE_EPARSE, "base64: bad padding");
    if (pad == 2 && (value_of((unsigned char)text[n - 3]) & 0x0f))
        return durable__error_set(DURABLE_EPARSE, "base64: bad padding");
    unsigned char *buf = durable__malloc(n / 4 * 3 + 1);
    if (!buf)
        return durable__error_oom();
    int w = n ? EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n) : 0;
    if (w < 0 || (size_t)w < pad) {
        durable_free(buf);
        return durable__error_set(DURABLE_EPARSE, "base64: cannot decode");
    }
    size_t len = (size_t)w - pad;
    buf[len] = '\0';
    *out = buf;
    if (out_len)
        *out_len = len;
    return 0;
}
