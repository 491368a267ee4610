/* Checkpoint tokens (SPEC §7.1) and callback ids (§7.5): standard base64 of
 * a small compact JSON object. A "sum" member (16 hex characters of SHA-256
 * over the other members) makes any altered byte detectable, so a tampered
 * value is rejected here instead of silently naming another execution or
 * sequence. It is a checksum, not a secret: tokens are opaque, not
 * authenticated (the engine still checks seq and invocation against its
 * own state). */
#include <limits.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The one-shot SHA256_Init/Update/Final functions, deprecated in OpenSSL 3
 * but still part of libcrypto: they hash with the same block code without
 * a provider lookup or a context allocation, which EVP_Digest does per call
 * (about 8k instructions for a 60-byte token) and the first fetch
 * pays once per process (about 5M). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "durable/ids.h"
#include "model/json_util.h"

#define TOKEN_MSG "Invalid Checkpoint Token"
#define CALLBACK_MSG "Callback not found."

/* sha256(kind \0 a \0 b \0 c \0) as 16 lowercase hex characters; len[i]
 * is the length of part i (kind, a, b, c). */
static int checksum_n(char out[17], const char *const parts[4], const size_t len[4])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx;
    if (!SHA256_Init(&ctx))
        return -1;
    for (int i = 0; i < 4; i++)
        if (!SHA256_Update(&ctx, parts[i], len[i] + 1))
            return -1;
    if (!SHA256_Final(md, &ctx))
        return -1;
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[16] = '\0';
    return 0;
}

static int checksum(char out[17], const char *kind, const char *a, const char *b, const char *c)
{
    const char *const parts[4] = {kind, a, b, c};
    const size_t len[4] = {strlen(kind), strlen(a), strlen(b), strlen(c)};
    return checksum_n(out, parts, len);
}

/* base64 of the compact JSON of obj (consumed). */

/* base64 of text (taken), capped at max_len characters. */
static int encode_text(char **out, char *text, size_t max_len, const char *what)
{
    if (!text)
        return durable__error_oom();
    int rc = durable_base64_encode(out, (const unsigned char *)text, strlen(text));
    durable_free(text);
    if (rc == 0 && strlen(*out) > max_len) {
        durable_free(*out);
        *out = NULL;
        return durable__error_set(DURABLE_EINVAL, "%s would exceed %zu characters", what, max_len);
    }
    return rc;
}

static int encode_obj(char **out, cJSON *obj, size_t max_len, const char *what)
{
    char *text = obj ? durable_json_print(obj) : NULL;
    cJSON_Delete(obj);
    return encode_text(out, text, max_len, what);
}

/* The length of s when cJSON prints it inside quotes byte for byte
 * (nothing to escape), else SIZE_MAX. */
static size_t plain_len(const char *s)
{
    const char *p = s;
    for (; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            return SIZE_MAX;
    return (size_t)(p - s);
}

/* Decode base64 + JSON object; NULL on any failure. */
static cJSON *decode_obj(const char *text, size_t max_len)
{
    if (!text || !*text || strlen(text) > max_len)
        return NULL;
    unsigned char *raw = NULL;
    size_t len = 0;
    if (durable_base64_decode(&raw, &len, text) < 0)
        return NULL;
    cJSON *j = NULL;
    /* Embedded NULs would hide bytes from the JSON parser. */
    if (memchr(raw, '\0', len) == NULL)
        durable_json_parse(&j, (const char *)raw, len);
    /* Only the exact text we mint is accepted: a flipped pad character can
     * append whitespace the JSON parser would otherwise forgive. */
    char *canon = (j && cJSON_IsObject(j)) ? durable_json_print(j) : NULL;
    bool same = canon && strlen(canon) == len && memcmp(canon, raw, len) == 0;
    durable_free(canon);
    durable_free(raw);
    if (!same) {
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

static const char *str_member(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return (cJSON_IsString(v) && v->valuestring && *v->valuestring) ? v->valuestring : NULL;
}

/* ---- checkpoint tokens ------------------------------------------------------ */

int durable_token_encode(char **out, const char *arn, int64_t seq, const char *invocation_id)
{
    char sum[17], seq_text[24];
    *out = NULL;
    if (!arn || !*arn || !invocation_id || !*invocation_id || seq < 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "checkpoint token: ARN and invocation id are required, seq >= 0");
    int seq_len = snprintf(seq_text, sizeof seq_text, "%lld", (long long)seq);
    size_t arn_len = plain_len(arn), inv_len = plain_len(invocation_id);
    const char *const hashed[4] = {"tok", arn, seq_text, invocation_id};
    const size_t hashed_len[4] = {3, arn_len != SIZE_MAX ? arn_len : strlen(arn), (size_t)seq_len,
                                  inv_len != SIZE_MAX ? inv_len : strlen(invocation_id)};
    if (checksum_n(sum, hashed, hashed_len) < 0)
        return durable__error_set(DURABLE_ERROR, "checkpoint token: sha256 unavailable");
    /* A token is minted on every checkpoint: when nothing needs escaping and
     * cJSON would print seq with %d, write the same compact JSON directly,
     * into one buffer, measuring each part once. */
    if (seq <= INT_MAX && arn_len != SIZE_MAX && inv_len != SIZE_MAX) {
        const struct {
            const char *p;
            size_t n;
        } parts[] = {{"{\"arn\":\"", 8},    {arn, arn_len},        {"\",\"seq\":", 8},
                     {seq_text, (size_t)seq_len}, {",\"inv\":\"", 8}, {invocation_id, inv_len},
                     {"\",\"sum\":\"", 9},  {sum, 16},             {"\"}", 2}};
        /* Base64 makes 4 characters of every 3 bytes. */
        char text[DURABLE_MAX_TOKEN_LEN / 4 * 3];
        size_t len = 0;
        for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
            if (parts[i].n > sizeof text - len)
                return durable__error_set(DURABLE_EINVAL, "checkpoint token would exceed %d "
                                                          "characters", DURABLE_MAX_TOKEN_LEN);
            memcpy(text + len, parts[i].p, parts[i].n);
            len += parts[i].n;
        }
        return durable_base64_encode(out, (const unsigned char *)text, len);
    }
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddStringToObject(j, "arn", arn) ||
        !cJSON_AddNumberToObject(j, "seq", (double)seq) ||
        !cJSON_AddStringToObject(j, "inv", invocation_id) ||
        !cJSON_AddStringToObject(j, "sum", sum)) {
        cJSON_Delete(j);
        return durable__error_oom();
    }
    return encode_obj(out, j, DURABLE_MAX_TOKEN_LEN, "checkpoint token");
}

int durable_token_decode(durable_token *out, const char *token)
{
    char sum[17], seq_text[24];
    memset(out, 0, sizeof *out);
    cJSON *j = decode_obj(token, DURABLE_MAX_TOKEN_LEN);
    const char *arn = str_member(j, "arn");
    const char *inv = str_member(j, "inv");
    const char *given = str_member(j, "sum");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
    bool ok = arn && inv && given && cJSON_IsNumber(seq) && seq->valuedouble >= 0 &&
              seq->valuedouble <= 9007199254740992.0 &&
              seq->valuedouble == (double)(int64_t)seq->valuedouble;
    if (ok) {
        snprintf(seq_text, sizeof seq_text, "%lld", (long long)(int64_t)seq->valuedouble);
        ok = checksum(sum, "tok", arn, seq_text, inv) == 0 && strcmp(sum, given) == 0;
    }
    if (!ok) {
        cJSON_Delete(j);
        return durable__error_set(DURABLE_ETOKEN, TOKEN_MSG);
    }
    out->arn = durable__strdup(arn);
    out->invocation_id = durable__strdup(inv);
    out->seq = (int64_t)seq->valuedouble;
    cJSON_Delete(j);
    if (!out->arn || !out->invocation_id) {
        durable_token_clear(out);
        return durable__error_oom();
    }
    return 0;
}

void durable_token_clear(durable_token *t)
{
    if (!t)
        return;
    durable_free(t->arn);
    durable_free(t->invocation_id);
    memset(t, 0, sizeof *t);
}

/* ---- callback ids ------------------------------------------------------------ */

int durable_callback_id_encode(char **out, const char *arn, const char *operation_id)
{
    char sum[17], nonce[37];
    *out = NULL;
    if (!arn || !*arn || !operation_id || !*operation_id)
        return durable__error_set(DURABLE_EINVAL, "callback id: ARN and operation id are required");
    durable_uuid(nonce);
    if (checksum(sum, "cb", arn, operation_id, nonce) < 0)
        return durable__error_set(DURABLE_ERROR, "callback id: sha256 unavailable");
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddStringToObject(j, "arn", arn) ||
        !cJSON_AddStringToObject(j, "op", operation_id) ||
        !cJSON_AddStringToObject(j, "n", nonce) || !cJSON_AddStringToObject(j, "sum", sum)) {
        cJSON_Delete(j);
        return durable__error_oom();
    }
    return encode_obj(out, j, DURABLE_MAX_CALLBACK_ID_LEN, "callback id");
}

int durable_callback_id_decode(durable_callback_ref *out, const char *callback_id)
{
    char sum[17];
    memset(out, 0, sizeof *out);
    cJSON *j = decode_obj(callback_id, DURABLE_MAX_CALLBACK_ID_LEN);
    const char *arn = str_member(j, "arn");
    const char *op = str_member(j, "op");
    const char *n = str_member(j, "n");
    const char *given = str_member(j, "sum");
    bool ok = arn && op && n && given && checksum(sum, "cb", arn, op, n) == 0 &&
              strcmp(sum, given) == 0;
    if (!ok) {
        cJSON_Delete(j);
        return durable__error_set(DURABLE_ENOTFOUND, CALLBACK_MSG);
    }
    out->arn = durable__strdup(arn);
    out->operation_id = durable__strdup(op);
    out->nonce = durable__strdup(n);
    cJSON_Delete(j);
    if (!out->arn || !out->operation_id || !out->nonce) {
        durable_callback_ref_clear(out);
        return durable__error_oom();
    }
    return 0;
}

void durable_callback_ref_clear(durable_callback_ref *r)
{
    if (!r)
        return;
    durable_free(r->arn);
    durable_free(r->operation_id);
    durable_free(r->nonce);
    memset(r, 0, sizeof *r);
}
