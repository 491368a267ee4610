/* Operation ids (SPEC §4): the first 16 hex characters of md5(path).
 *
 * Replay recomputes the Id of every earlier operation on every invocation
 * (1,000 waits replay ~500,000 Ids over 1,000 distinct paths), and one MD5
 * through EVP costs ~1,500 instructions, mostly EVP's per-call overhead. The
 * Id of a path never changes, so each thread remembers the Ids of the short
 * paths it hashed last in a 4-way set-associative table: a hit costs one
 * pass over the path. (Direct-mapped, the ~20 % of 1,000 paths that share
 * a slot with another evicted each other on every replay.) A miss, a path too long for a slot, or a thread whose table
 * cannot be allocated hashes as before; the Id is the same either way. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "durable/ids.h"
#include "model/internal.h"
#include "model/md5.h"

/* 1,024 sets of 4 slots of 40 bytes (160 KiB per thread that computes Ids,
 * allocated on first use): room for the paths of a long replay. Paths of
 * 1..23 characters are remembered ("1" .. "999-999-999-999-999" fit). */
enum { MEMO_SETS = 1024, MEMO_WAYS = 4, MEMO_PATH = 24 };

typedef struct memo_slot {
    char path[MEMO_PATH]; /* NUL-terminated; "" marks an empty slot */
    char id[DURABLE_OP_ID_LEN];
} memo_slot;

static pthread_key_t memo_key;
static int memo_key_ok;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

/* The table is the library's own cache, not the caller's data: it is taken
 * from libc, not from the configurable allocator, so that swapping the
 * allocator never frees it with the wrong one. */
static void memo_free(void *t)
{
    free(t);
}

static void memo_init(void)
{
    memo_key_ok = pthread_key_create(&memo_key, memo_free) == 0;
}

static memo_slot *thread_memo(void)
{
    pthread_once(&memo_once, memo_init);
    if (!memo_key_ok)
        return NULL;
    memo_slot *t = pthread_getspecific(memo_key);
    if (!t && (t = calloc((size_t)MEMO_SETS * MEMO_WAYS, sizeof(*t))) != NULL &&
        pthread_setspecific(memo_key, t) != 0) {
        free(t);
        t = NULL;
    }
    return t;
}

/* The 16 hex characters of md5(path) into out (no NUL): 0, or -1 when
 * libcrypto has no MD5. */
static int hash_id(char out[DURABLE_OP_ID_LEN], const char *path, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[16];
    if (durable__md5(md, path, len) != 0)
        return -1;
    for (int i = 0; i < DURABLE_OP_ID_LEN / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    return 0;
}

void durable_op_id(char out[DURABLE_OP_ID_LEN + 1], const char *path)
{
    if (!path)
        path = "";
    /* FNV-1a over the path, stopping once it is too long for a slot. */
    uint32_t h = 2166136261u;
    size_t len = 0;
    while (path[len] && len < MEMO_PATH) {
        h = (h ^ (unsigned char)path[len]) * 16777619u;
        len++;
    }
    memo_slot *slot = NULL;
    if (len > 0 && len < MEMO_PATH) {
        memo_slot *t = thread_memo();
        if (t) {
            memo_slot *set = &t[((h ^ (h >> 16)) & (MEMO_SETS - 1)) * MEMO_WAYS];
            for (int w = 0; w < MEMO_WAYS; w++) {
                if (memcmp(set[w].path, path, len + 1) == 0) {
                    memcpy(out, set[w].id, DURABLE_OP_ID_LEN);
                    out[DURABLE_OP_ID_LEN] = '\0';
                    return;
                }
                if (!slot && set[w].path[0] == '\0')
                    slot = &set[w];
            }
            /* A full set: the path's own choice of way (other bits of its
             * hash), so paths of one set do not all evict the same one. */
            if (!slot)
                slot = &set[(h >> 26) & (MEMO_WAYS - 1)];
        }
    } else {
        len += strlen(path + len);
    }
    out[DURABLE_OP_ID_LEN] = '\0';
    if (hash_id(out, path, len) != 0) {
        /* libcrypto without md5 (FIPS mode) cannot produce wire ids at all. */
        memset(out, '0', DURABLE_OP_ID_LEN);
        durable__error_set(DURABLE_ERROR, "md5 digest unavailable in libcrypto");
        return;
    }
    if (slot) {
        memcpy(slot->path, path, len + 1);
        memcpy(slot->id, out, DURABLE_OP_ID_LEN);
    }
}
