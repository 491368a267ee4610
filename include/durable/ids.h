/*
 * libdurable — identifiers and opaque tokens (SPEC §2.9, §4, §7).
 *
 * Operation ids are the first 16 lowercase hex characters of md5(path) of the
 * positional path ("1", "2-1", "2-1-3"). Execution ids, invocation ids and
 * callback nonces are UUIDs (libuuid). Checkpoint tokens, callback ids and
 * markers are standard base64 of a small JSON object (libcrypto base64).
 *
 * Every returned string belongs to the caller and is freed with durable_free.
 * All functions are thread-safe.
 */
#ifndef DURABLE_IDS_H
#define DURABLE_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "durable/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of an operation id, without the terminating NUL. */
#define DURABLE_OP_ID_LEN 16

/* Operation id of a positional path into out (>= 17 bytes). */
void durable_op_id(char out[DURABLE_OP_ID_LEN + 1], const char *path);

/* New random UUID text (36 characters, lowercase) into out (>= 37 bytes). */
void durable_uuid(char out[37]);

/* Execution ARN (SPEC §2.9):
 * arn:aws:lambda:<region>:<account>:function:<function>:<qualifier>/durable-execution/<name>/<op_id>.
 * NULL region/account/qualifier use the defaults us-east-1, 123456789012, $LATEST. */
int durable_execution_arn(char **out, const char *region, const char *account,
                          const char *function, const char *qualifier,
                          const char *execution_name, const char *execution_op_id);

/* Unqualified function ARN: arn:aws:lambda:<region>:<account>:function:<name>. */
int durable_function_arn(char **out, const char *region, const char *account,
                         const char *function);

/* Parts of an execution ARN, each a new string (free with durable_free).
 * DURABLE_EINVAL if the text is not an execution ARN. Any out may be NULL. */
int durable_execution_arn_parse(char **function, char **qualifier, char **execution_name,
                                char **execution_op_id, const char *arn);

/* Checkpoint token (SPEC §7.1): base64 of {"arn":…,"seq":…,"inv":…,"sum":…}.
 * "sum" is 16 hex characters of SHA-256 over the other members: a checksum
 * (not a secret) so that any altered or truncated byte is detected. */
typedef struct durable_token {
    char *arn;
    int64_t seq;
    char *invocation_id;
} durable_token;

int durable_token_encode(char **out, const char *arn, int64_t seq, const char *invocation_id);
/* DURABLE_ETOKEN with message "Invalid Checkpoint Token" when the text is
 * missing, not base64, truncated, tampered or not the expected JSON. */
int durable_token_decode(durable_token *out, const char *token);
void durable_token_clear(durable_token *t);

/* Callback id (SPEC §7.5): base64 of {"arn":…,"op":…,"n":<nonce>,"sum":…},
 * with the same kind of checksum as tokens. */
typedef struct durable_callback_ref {
    char *arn;
    char *operation_id;
    char *nonce;
} durable_callback_ref;

/* A fresh nonce is drawn from libuuid. */
int durable_callback_id_encode(char **out, const char *arn, const char *operation_id);
/* DURABLE_ENOTFOUND with "Callback not found." when it does not decode. */
int durable_callback_id_decode(durable_callback_ref *out, const char *callback_id);
void durable_callback_ref_clear(durable_callback_ref *r);

/* Standard base64 (libcrypto EVP), no line breaks. */
int durable_base64_encode(char **out, const unsigned char *data, size_t len);
/* DURABLE_EPARSE on invalid alphabet, bad padding or truncation. *out holds
 * *out_len bytes plus a NUL terminator. */
int durable_base64_decode(unsigned char **out, size_t *out_len, const char *text);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_IDS_H */
