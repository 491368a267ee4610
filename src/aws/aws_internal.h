/*
 * Internals of the aws layer (not API): encoding, SigV4, the transport
 * (pooled libcurl handles, retries) and error mapping.
 */
#ifndef DURABLE_SRC_AWS_INTERNAL_H
#define DURABLE_SRC_AWS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "durable/aws.h"
#include "model/internal.h"

/* ---- encoding (encode.c) --------------------------------------------------- */

/* Path segments and query pairs are encoded with durable__uri_encode
 * (model/uri.h): ':' '/' '$' '=' '+' become %XX, so an ARN stays one path
 * segment (HTTP_API.md §5). */
/* Append "&key=value" ("key=value" when b is empty), both encoded. */
void durable__aws_query_add(durable__strbuf *b, const char *key, const char *value);
/* The same with a decimal integer value. */
void durable__aws_query_int(durable__strbuf *b, const char *key, int64_t value);
/* prefix + encoded segment + suffix (a route with one path parameter); NULL
 * after an allocation failure. Free with durable_free. */
char *durable__aws_path(const char *prefix, const char *segment, const char *suffix);

/* ---- SigV4 (sigv4.c) ------------------------------------------------------- */

typedef struct durable__aws_header {
    const char *name;  /* as sent; signed lower-cased */
    const char *value;
} durable__aws_header;

typedef struct durable__aws_sign_input {
    const char *method;
    const char *host;   /* the Host header as sent */
    const char *path;   /* the path as sent (already percent-encoded) */
    const char *query;  /* the query as sent, without '?'; NULL = none */
    const durable__aws_header *headers; /* signed besides host (x-amz-date among them) */
    size_t header_count;
    const void *body;
    size_t body_len;
    const char *amz_date; /* YYYYMMDDTHHMMSSZ */
    const char *region;
    const char *service;
    const char *access_key_id;
    const char *secret_access_key;
} durable__aws_sign_input;

/* The Authorization header value; NULL after an allocation failure.
 * Free with durable_free. */
char *durable__aws_sigv4(const durable__aws_sign_input *in);
/* "YYYYMMDDTHHMMSSZ" of an epoch second into out (>= 17 bytes). */
void durable__aws_amz_date(char out[17], int64_t epoch_seconds);

/* ---- the client and its transport (client.c, transport.c) ------------------ */

struct durable_aws_client {
    durable_client seam;  /* vtable + user = this client */
    char *region, *endpoint, *host, *base_path;
    char *access_key_id, *secret_access_key, *session_token, *user_agent;
    long connect_timeout_ms, request_timeout_ms;
    int max_attempts, backoff_initial_ms, backoff_max_ms;
    _Atomic int64_t deadline_ms;

    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_mu;
    CURL **pool;         /* idle handles; each keeps its own connections too */
    size_t pool_count, pool_cap;
};

typedef enum durable__aws_retry {
    DURABLE__RETRY_ALL = 0,     /* 429, 5xx, any network failure */
    DURABLE__RETRY_UNSENT       /* 429, 5xx, and network failures before sending */
} durable__aws_retry;

typedef struct durable__aws_call {
    const char *method;       /* "GET" or "POST" */
    const char *path;         /* percent-encoded, from the API root ("/2025-12-01/...") */
    const char *query;        /* encoded, no '?'; NULL = none */
    const char *body;         /* NULL = no body */
    size_t body_len;
    const char *content_type; /* NULL: none sent */
    const durable__aws_header *headers; /* extra headers, signed */
    size_t header_count;
    long timeout_ms;          /* 0: the client's request timeout */
    durable__aws_retry retry;
    const char *what;         /* operation name for messages */
} durable__aws_call;

typedef struct durable__aws_resp {
    long status;
    char *body;   /* NUL-terminated; never NULL after a response */
    size_t body_len;
    char **headers;  /* "name: value" lines as received, CRLF stripped */
    size_t header_count, header_cap;
} durable__aws_resp;

void durable__aws_resp_clear(durable__aws_resp *r);
/* Value of a response header (case-insensitive name), borrowed; NULL if absent. */
const char *durable__aws_resp_header(const durable__aws_resp *r, const char *name);

/* One plain HTTP exchange on handle h (options set here; the caller resets
 * a reused handle): no signing, no retry. 0, or DURABLE_ENOMEM; *cc is the
 * transfer's result, *sent whether the request may have left. */
typedef struct durable__aws_exchange_req {
    const char *method, *url;
    struct curl_slist *headers;
    const char *body;
    size_t body_len;
    long connect_timeout_ms, timeout_ms; /* timeout 0: none (a long poll) */
    CURLSH *share;                       /* NULL: none */
    const char *user_agent;              /* NULL: libcurl's */
    bool no_proxy;                       /* never through an http_proxy (loopback APIs) */
} durable__aws_exchange_req;
int durable__aws_exchange(CURL *h, const durable__aws_exchange_req *rq, durable__aws_resp *resp,
                          CURLcode *cc, char errbuf[CURL_ERROR_SIZE], bool *sent);

/* Send call with retries. 0: a 2xx response in *out (zeroed by the caller,
 * cleared with durable__aws_resp_clear); otherwise the mapped error code
 * with durable_error_last() and durable_aws_error_last() set (*out cleared). */
int durable__aws_send(durable_aws_client *c, durable__aws_resp *out, const durable__aws_call *call);

/* Send call and decode a 2xx JSON body with decode (a model _from_json into
 * out, zeroed by the caller). A body that is not that JSON: DURABLE_EPARSE,
 * with the route in the message. */
typedef int (*durable__aws_decode_fn)(void *out, const cJSON *json);
int durable__aws_call_json(durable_aws_client *c, const durable__aws_call *call,
                           durable__aws_decode_fn decode, void *out);

/* A route with one path parameter: prefix + encoded segment + suffix. */
typedef struct durable__aws_route_spec {
    const char *method;
    const char *prefix, *segment, *suffix;
    const char *body;         /* NULL = none */
    size_t body_len;
    const char *content_type; /* NULL = none */
    const char *what;
} durable__aws_route_spec;

/* Send r (query taken from the buffer when not NULL, retries of
 * DURABLE__RETRY_ALL) and decode the JSON answer into out. */
int durable__aws_route(durable_aws_client *c, const durable__aws_route_spec *r,
                       durable__strbuf *query, durable__aws_decode_fn decode, void *out);

/* The bare ErrorObject body of callback failure and stop; NULL with both
 * last errors set on failure. Free with durable_free. */
char *durable__aws_error_json(const durable_error_object *e, const char *what);

/* ---- errors (errors.c) ----------------------------------------------------- */

/* Reset the thread's service-error detail (start of every public call). */
void durable__aws_error_reset(void);
/* Map a final non-2xx response to a code; records both last errors. */
int durable__aws_error_from_response(const durable__aws_resp *r, int attempts, const char *what);
/* Record a network failure after `attempts` tries (DURABLE_ETHROTTLED). */
int durable__aws_error_network(const char *detail, int attempts, const char *what);
/* Record an error that is not the service's (bad argument, bad body...). */
int durable__aws_error_local(int code, const char *fmt, ...) DURABLE__PRINTF(2, 3);

/* curl_global_init once per process; 0 or DURABLE_EIO. */
int durable__aws_curl_init(void);

/* Epoch milliseconds of the real clock. */
int64_t durable__aws_now_ms(void);

#endif
