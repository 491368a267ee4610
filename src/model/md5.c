/* MD5 (RFC 1321). Operation Ids hash a short path ("2-1-3") once or twice
 * per replayed operation; libcrypto's EVP_Digest allocates, reference-counts
 * and cleanses a context per call, which cost ten times the compression of
 * the single 64-byte block such a path fills. This one-shot version keeps
 * everything on the stack. tests/test_model_ids.c checks it against the
 * RFC vectors and against libcrypto on random inputs. */
#include <stdint.h>
#include <string.h>

#include "model/md5.h"

static uint32_t rol(uint32_t x, int c)
{
    return (x << c) | (x >> (32 - c));
}

static uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* One step of round r: a = b + ((a + f(b, c, d) + m[k] + t) <<< s). */
#define MD5_STEP(f, a, b, c, d, k, t, s)                                                       \
    do {                                                                                       \
        a += f(b, c, d) + m[k] + (uint32_t)(t);                                                \
        a = rol(a, s) + b;                                                                     \
    } while (0)
#define MD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))

/* Unrolled (constants floor(2^32 * |sin(i + 1)|)): about three times the
 * speed of the table-driven loop, which branched on the round each step. */
static void compress(uint32_t h[4], const unsigned char block[64])
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = load_le32(block + 4 * i);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];

    MD5_STEP(MD5_F, a, b, c, d, 0, 0xd76aa478, 7);
    MD5_STEP(MD5_F, d, a, b, c, 1, 0xe8c7b756, 12);
    MD5_STEP(MD5_F, c, d, a, b, 2, 0x242070db, 17);
    MD5_STEP(MD5_F, b, c, d, a, 3, 0xc1bdceee, 22);
    MD5_STEP(MD5_F, a, b, c, d, 4, 0xf57c0faf, 7);
    MD5_STEP(MD5_F, d, a, b, c, 5, 0x4787c62a, 12);
    MD5_STEP(MD5_F, c, d, a, b, 6, 0xa8304613, 17);
    MD5_STEP(MD5_F, b, c, d, a, 7, 0xfd469501, 22);
    MD5_STEP(MD5_F, a, b, c, d, 8, 0x698098d8, 7);
    MD5_STEP(MD5_F, d, a, b, c, 9, 0x8b44f7af, 12);
    MD5_STEP(MD5_F, c, d, a, b, 10, 0xffff5bb1, 17);
    MD5_STEP(MD5_F, b, c, d, a, 11, 0x895cd7be, 22);
    MD5_STEP(MD5_F, a, b, c, d, 12, 0x6b901122, 7);
    MD5_STEP(MD5_F, d, a, b, c, 13, 0xfd987193, 12);
    MD5_STEP(MD5_F, c, d, a, b, 14, 0xa679438e, 17);
    MD5_STEP(MD5_F, b, c, d, a, 15, 0x49b40821, 22);

    MD5_STEP(MD5_G, a, b, c, d, 1, 0xf61e2562, 5);
    MD5_STEP(MD5_G, d, a, b, c, 6, 0xc040b340, 9);
    MD5_STEP(MD5_G, c, d, a, b, 11, 0x265e5a51, 14);
    MD5_STEP(MD5_G, b, c, d, a, 0, 0xe9b6c7aa, 20);
    MD5_STEP(MD5_G, a, b, c, d, 5, 0xd62f105d, 5);
    MD5_STEP(MD5_G, d, a, b, c, 10, 0x02441453, 9);
    MD5_STEP(MD5_G, c, d, a, b, 15, 0xd8a1e681, 14);
    MD5_STEP(MD5_G, b, c, d, a, 4, 0xe7d3fbc8, 20);
    MD5_STEP(MD5_G, a, b, c, d, 9, 0x21e1cde6, 5);
    MD5_STEP(MD5_G, d, a, b, c, 14, 0xc33707d6, 9);
    MD5_STEP(MD5_G, c, d, a, b, 3, 0xf4d50d87, 14);
    MD5_STEP(MD5_G, b, c, d, a, 8, 0x455a14ed, 20);
    MD5_STEP(MD5_G, a, b, c, d, 13, 0xa9e3e905, 5);
    MD5_STEP(MD5_G, d, a, b, c, 2, 0xfcefa3f8, 9);
    MD5_STEP(MD5_G, c, d, a, b, 7, 0x676f02d9, 14);
    MD5_STEP(MD5_G, b, c, d, a, 12, 0x8d2a4c8a, 20);

    MD5_STEP(MD5_H, a, b, c, d, 5, 0xfffa3942, 4);
    MD5_STEP(MD5_H, d, a, b, c, 8, 0x8771f681, 11);
    MD5_STEP(MD5_H, c, d, a, b, 11, 0x6d9d6122, 16);
    MD5_STEP(MD5_H, b, c, d, a, 14, 0xfde5380c, 23);
    MD5_STEP(MD5_H, a, b, c, d, 1, 0xa4beea44, 4);
    MD5_STEP(MD5_H, d, a, b, c, 4, 0x4bdecfa9, 11);
    MD5_STEP(MD5_H, c, d, a, b, 7, 0xf6bb4b60, 16);
    MD5_STEP(MD5_H, b, c, d, a, 10, 0xbebfbc70, 23);
    MD5_STEP(MD5_H, a, b, c, d, 13, 0x289b7ec6, 4);
    MD5_STEP(MD5_H, d, a, b, c, 0, 0xeaa127fa, 11);
    MD5_STEP(MD5_H, c, d, a, b, 3, 0xd4ef3085, 16);
    MD5_STEP(MD5_H, b, c, d, a, 6, 0x04881d05, 23);
    MD5_STEP(MD5_H, a, b, c, d, 9, 0xd9d4d039, 4);
    MD5_STEP(MD5_H, d, a, b, c, 12, 0xe6db99e5, 11);
    MD5_STEP(MD5_H, c, d, a, b, 15, 0x1fa27cf8, 16);
    MD5_STEP(MD5_H, b, c, d, a, 2, 0xc4ac5665, 23);

    MD5_STEP(MD5_I, a, b, c, d, 0, 0xf4292244, 6);
    MD5_STEP(MD5_I, d, a, b, c, 7, 0x432aff97, 10);
    MD5_STEP(MD5_I, c, d, a, b, 14, 0xab9423a7, 15);
    MD5_STEP(MD5_I, b, c, d, a, 5, 0xfc93a039, 21);
    MD5_STEP(MD5_I, a, b, c, d, 12, 0x655b59c3, 6);
    MD5_STEP(MD5_I, d, a, b, c, 3, 0x8f0ccc92, 10);
    MD5_STEP(MD5_I, c, d, a, b, 10, 0xffeff47d, 15);
    MD5_STEP(MD5_I, b, c, d, a, 1, 0x85845dd1, 21);
    MD5_STEP(MD5_I, a, b, c, d, 8, 0x6fa87e4f, 6);
    MD5_STEP(MD5_I, d, a, b, c, 15, 0xfe2ce6e0, 10);
    MD5_STEP(MD5_I, c, d, a, b, 6, 0xa3014314, 15);
    MD5_STEP(MD5_I, b, c, d, a, 13, 0x4e0811a1, 21);
    MD5_STEP(MD5_I, a, b, c, d, 4, 0xf7537e82, 6);
    MD5_STEP(MD5_I, d, a, b, c, 11, 0xbd3af235, 10);
    MD5_STEP(MD5_I, c, d, a, b, 2, 0x2ad7d2bb, 15);
    MD5_STEP(MD5_I, b, c, d, a, 9, 0xeb86d391, 21);

    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void durable__md5(unsigned char out[16], const void *data, size_t len)
{
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const unsigned char *p = data;
    size_t left = len;
    for (; left >= 64; p += 64, left -= 64)
        compress(h, p);
    /* Padding: 0x80, zeros, then the bit length (little-endian) in the last
     * 8 bytes of the final block — one block, or two when fewer than 9
     * bytes are left after the data. */
    unsigned char tail[128];
    memset(tail, 0, sizeof tail);
    if (left)
        memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t n = left < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    store_le32(tail + n - 8, (uint32_t)bits);
    store_le32(tail + n - 4, (uint32_t)(bits >> 32));
    compress(h, tail);
    if (n == 128)
        compress(h, tail + 64);
    for (int i = 0; i < 4; i++)
        store_le32(out + 4 * i, h[i]);
}
