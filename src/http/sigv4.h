/*
 * AWS Signature Version 4 verification for the HTTP front (not API).
 *
 * `durable serve --auth KEY_ID:SECRET` checks every request's
 * `Authorization: AWS4-HMAC-SHA256 ...` header the way HTTP_API.md §6.1 says
 * (the algorithm that verified all 60 captured botocore and JS requests):
 *   1. canonical URI = the raw path as received, with `.`/`..`/empty segments
 *      removed (as both clients do before signing), uri-encoded again with
 *      "/" and "~" safe: the path is double-encoded (`%3A` -> `%253A`);
 *   2. canonical query = the raw query's pairs, percent-decoded, re-encoded
 *      with only RFC 3986 unreserved characters left as is, sorted by
 *      (key, value) on the encoded bytes;
 *   3. canonical headers = exactly the SignedHeaders, values trimmed and with
 *      runs of spaces folded to one;
 *   4. payload hash = `x-amz-content-sha256` when present (JS), which must
 *      then be the body's hash; else the SHA-256 of the body (botocore);
 *   5. signing key = HMAC chain from "AWS4"+secret over date, region,
 *      service and "aws4_request".
 * The signature is compared in constant time (CRYPTO_memcmp).
 *
 * Secrets: no message this file makes, and nothing it logs, contains a
 * secret, a derived key or the signature the server expected. Secrets are
 * wiped (OPENSSL_cleanse) when the key table is freed.
 *
 * Thread-safety: a key table is read-only once loaded, so any number of
 * threads may verify against it at once; loading it is single-threaded.
 */
#ifndef DURABLE_SRC_HTTP_SIGV4_H
#define DURABLE_SRC_HTTP_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "durable/clock.h"
#include "durable/common.h"

/* Bounds of what the parser accepts (longer input is refused, not cut). */
#define DURABLE__SIGV4_MAX_KEY_ID 128
#define DURABLE__SIGV4_MAX_SECRET 256
#define DURABLE__SIGV4_MAX_SCOPE_PART 63 /* region, service */
#define DURABLE__SIGV4_MAX_SIGNED_LIST 2047
#define DURABLE__SIGV4_MAX_SIGNED 64
#define DURABLE__SIGV4_MAX_HEADER 8192 /* the whole Authorization value */

/* The parts of an Authorization header. Fixed-size: parsing allocates
 * nothing. All strings are NUL-terminated. */
typedef struct durable__sigv4_auth {
    char key_id[DURABLE__SIGV4_MAX_KEY_ID + 1];
    char date[9]; /* YYYYMMDD of the credential scope */
    char region[DURABLE__SIGV4_MAX_SCOPE_PART + 1];
    char service[DURABLE__SIGV4_MAX_SCOPE_PART + 1];
    /* SignedHeaders as given ("a;b;c"): lower case, sorted, no duplicates. */
    char signed_headers[DURABLE__SIGV4_MAX_SIGNED_LIST + 1];
    size_t n_signed;
    char signature[65]; /* 64 hex digits, lower case */
} durable__sigv4_auth;

/*
 * Parse `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=HEX` (components in any order, each once,
 * separated by "," and optional blanks). Strict: anything else is refused.
 * Returns 0, or DURABLE_EPARSE with durable_error_last() saying what is
 * wrong ("Authorization: ..."); *out is then unspecified. Any byte string is
 * safe input (it is fuzzed); nothing is allocated.
 */
int durable__sigv4_parse(durable__sigv4_auth *out, const char *header);

/* A table of key id -> secret pairs. */
typedef struct durable__sigv4_keys durable__sigv4_keys;

/* A new, empty table into *out (the caller's; free it with
 * durable__sigv4_keys_free). 0 or DURABLE_ENOMEM. */
int durable__sigv4_keys_new(durable__sigv4_keys **out);
/* Wipes every secret, then frees. Accepts NULL. */
void durable__sigv4_keys_free(durable__sigv4_keys *keys);
/* Number of pairs. */
size_t durable__sigv4_keys_count(const durable__sigv4_keys *keys);

/*
 * Add one pair (both copied). Key ids are printable ASCII without blanks,
 * '/', ',', ':' or '='; secrets are printable ASCII without blanks; both
 * non-empty and within the bounds above. The same id twice with the same
 * secret is accepted once; with another secret it is DURABLE_EEXISTS.
 * Returns 0, DURABLE_EINVAL, DURABLE_EEXISTS or DURABLE_ENOMEM; the message
 * names the key id, never the secret.
 */
int durable__sigv4_keys_add(durable__sigv4_keys *keys, const char *key_id, const char *secret);

/* Add "KEY_ID:SECRET" (split at the first ':'), as `--auth` takes it. */
int durable__sigv4_keys_add_spec(durable__sigv4_keys *keys, const char *spec);

/*
 * Add every pair of a credentials file. Lines are either `KEY_ID:SECRET`,
 * or the AWS shared-credentials INI form: `[profile]` sections holding
 * `aws_access_key_id = ...` and `aws_secret_access_key = ...` (other keys,
 * such as aws_session_token or region, are ignored). Blank lines and lines
 * starting with '#' or ';' are skipped. A file with no pair, a section with
 * only one half of a pair, or a line of neither form is DURABLE_EINVAL with
 * the path and line number (never the line's text, which may hold a
 * secret). DURABLE_EIO when the file cannot be read. On failure the table
 * may hold the pairs before the bad line.
 */
int durable__sigv4_keys_load_file(durable__sigv4_keys *keys, const char *path);

/* Case-insensitive header lookup: the value of header `name` (given in
 * lower case), or NULL when absent. A header sent several times is returned
 * as its values joined by ",". The string is borrowed for the call. */
typedef const char *(*durable__sigv4_header_fn)(const char *name, void *user);

/* The request as received. */
typedef struct durable__sigv4_request {
    const char *method;  /* "GET", "POST" ... */
    const char *path;    /* raw path, still percent-encoded, no query */
    const char *query;   /* raw query after '?', or NULL / "" for none */
    durable__sigv4_header_fn header;
    void *header_user;
    const void *body; /* may be NULL when body_len is 0 */
    size_t body_len;
} durable__sigv4_request;

typedef struct durable__sigv4_options {
    /* Refuse an X-Amz-Date further than this from now, either way; 0 = no
     * date window (HTTP_API.md §6.1 makes it optional). */
    int64_t max_skew_seconds;
    /* The clock of the window; NULL is the real clock. */
    const durable_clock *clock;
} durable__sigv4_options;

#define DURABLE__SIGV4_OPTIONS_INIT {0, NULL}

/* Why a request was refused. Each has its own message. */
typedef enum durable__sigv4_verdict {
    DURABLE__SIGV4_OK = 0,
    DURABLE__SIGV4_NO_AUTH,        /* no Authorization header */
    DURABLE__SIGV4_MALFORMED,      /* Authorization does not parse */
    DURABLE__SIGV4_UNKNOWN_KEY,    /* key id not in the table */
    DURABLE__SIGV4_HOST_UNSIGNED,  /* "host" not among SignedHeaders */
    DURABLE__SIGV4_MISSING_HEADER, /* a signed header is absent */
    DURABLE__SIGV4_BAD_DATE,       /* X-Amz-Date absent, malformed, or another day than the scope */
    DURABLE__SIGV4_SKEWED,         /* X-Amz-Date outside the window */
    DURABLE__SIGV4_BAD_PAYLOAD,    /* x-amz-content-sha256 malformed or not the body's hash */
    DURABLE__SIGV4_BAD_REQUEST,    /* the path or query cannot be canonicalised */
    DURABLE__SIGV4_MISMATCH,       /* the signature is not the one the secret gives */
    DURABLE__SIGV4_FAILED          /* could not verify: out of memory, libcrypto failure */
} durable__sigv4_verdict;

typedef struct durable__sigv4_result {
    durable__sigv4_verdict verdict;
    /* The parsed header; filled once it parsed (verdict past MALFORMED).
     * The front may use auth.region as the region of new ARNs. */
    durable__sigv4_auth auth;
    /* One line for the 403 answer and the log; never a secret. For a
     * MISMATCH it carries the hash of the canonical request the server
     * computed, which a client can compare with its own debug log. */
    char message[512];
} durable__sigv4_result;

/*
 * Verify one request against the table. Returns 0 when the signature is
 * valid (out->verdict == DURABLE__SIGV4_OK), DURABLE_EINVAL when the
 * request is refused (out->verdict and out->message say why; the message is
 * also durable_error_last()), or, with verdict DURABLE__SIGV4_FAILED,
 * DURABLE_ENOMEM or DURABLE_ERROR (libcrypto failed): a server fault, not
 * the client's. Any request is safe input; memory used is linear in the
 * request's size and released before return.
 */
int durable__sigv4_verify(durable__sigv4_result *out, const durable__sigv4_keys *keys,
                          const durable__sigv4_request *req, const durable__sigv4_options *opt);

/*
 * The canonical request (step 1-4 above, the text whose hash is signed) of
 * req under auth's SignedHeaders, into *out (the caller's; durable_free).
 * For debugging and tests. Returns 0, DURABLE_EINVAL with a message when the
 * path or query cannot be canonicalised, a signed header is absent or the
 * payload hash header is malformed, or DURABLE_ENOMEM.
 */
int durable__sigv4_canonical_request(char **out, const durable__sigv4_request *req,
                                     const durable__sigv4_auth *auth);

/* Shared by the sigv4 files only. */
int durable__sigv4_key_id_char(char c);      /* allowed in a key id */
int durable__sigv4_days_in_month(int y, int m); /* 0 for a bad month */
/* The secret of key_id (borrowed from the table), or NULL. */
const char *durable__sigv4_keys_find(const durable__sigv4_keys *keys, const char *key_id);

#endif
