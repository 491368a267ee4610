/*
 * Fuzz target "wire": every wire decoder of durable/model.h on the same
 * input (requests, responses, operations, updates, events, error objects,
 * the invocation event and the handler output, callback bodies,
 * timestamps). The bytes are parsed with durable_json_parse; each decoder
 * either fails cleanly (its struct left cleared) or succeeds, and then its
 * encoding must decode again, and encode -> decode -> encode must be a fixed
 * point, in every timestamp format the type is sent in. (Values are not
 * compared with the _equal functions: the wire may not tell some apart, e.g.
 * a failed event without an Error encodes it as {"Payload":{}}, which
 * decodes to an empty error object; what goes over the wire must not drift.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/ids.h"
#include "durable/model.h"
#include "fuzz/fuzz.h"

/* A decoded value re-encoded, re-decoded and re-encoded must print the same. */
typedef int (*enc_fn)(cJSON **out, const void *x, durable_ts_format fmt);
typedef int (*dec_fn)(void *out, const cJSON *j);
typedef void (*clr_fn)(void *x);
typedef void (*init_fn)(void *x);

typedef struct codec {
    const char *name;
    size_t size;
    dec_fn dec;
    enc_fn enc;
    clr_fn clr;
    init_fn init; /* NULL = zeroed */
    bool has_fmt; /* encodes timestamps in a chosen format */
} codec;

#define DEC(T)                                                                             \
    static int dec_##T(void *out, const cJSON *j) { return T##_from_json(out, j); }       \
    static void clr_##T(void *x) { T##_clear(x); }
#define ENC(T)                                                                             \
    static int enc_##T(cJSON **out, const void *x, durable_ts_format fmt)                  \
    {                                                                                      \
        (void)fmt;                                                                         \
        return T##_to_json(out, x);                                                        \
    }
#define ENC_FMT(T)                                                                         \
    static int enc_##T(cJSON **out, const void *x, durable_ts_format fmt)                  \
    {                                                                                      \
        return T##_to_json(out, x, fmt);                                                   \
    }

DEC(durable_error_object) ENC(durable_error_object)
DEC(durable_operation) ENC_FMT(durable_operation)
DEC(durable_operation_update) ENC(durable_operation_update)
DEC(durable_event) ENC_FMT(durable_event)
DEC(durable_invocation_input) ENC(durable_invocation_input)
DEC(durable_invocation_output) ENC(durable_invocation_output)
DEC(durable_checkpoint_request) ENC(durable_checkpoint_request)
DEC(durable_checkpoint_response) ENC_FMT(durable_checkpoint_response)
DEC(durable_state_request) ENC(durable_state_request)
DEC(durable_state_response) ENC_FMT(durable_state_response)
DEC(durable_execution_info) ENC_FMT(durable_execution_info)
DEC(durable_list_request) ENC(durable_list_request)
DEC(durable_list_response) ENC_FMT(durable_list_response)
DEC(durable_history_request) ENC(durable_history_request)
DEC(durable_history_response) ENC_FMT(durable_history_response)
DEC(durable_stop_request) ENC(durable_stop_request)
ENC_FMT(durable_stop_response)

static int dec_durable_stop_response(void *out, const cJSON *j)
{
    return durable_stop_response_from_json(out, j);
}
static void clr_durable_stop_response(void *x) { memset(x, 0, sizeof(durable_stop_response)); }
static void init_op(void *x) { durable_operation_init(x); }
static void init_update(void *x) { durable_operation_update_init(x); }
static void init_event(void *x) { durable_event_init(x); }

#define C(T, init, fmt)                                                                    \
    { #T, sizeof(T), dec_##T, enc_##T, clr_##T, init, fmt }

static const codec codecs[] = {
    C(durable_error_object, NULL, false),
    C(durable_operation, init_op, true),
    C(durable_operation_update, init_update, false),
    C(durable_event, init_event, true),
    C(durable_invocation_input, NULL, false),
    C(durable_invocation_output, NULL, false),
    C(durable_checkpoint_request, NULL, false),
    C(durable_checkpoint_response, NULL, true),
    C(durable_state_request, NULL, false),
    C(durable_state_response, NULL, true),
    C(durable_execution_info, NULL, true),
    C(durable_list_request, NULL, false),
    C(durable_list_response, NULL, true),
    C(durable_history_request, NULL, false),
    C(durable_history_response, NULL, true),
    C(durable_stop_request, NULL, false),
    C(durable_stop_response, NULL, true),
};

/* A struct the decoder left cleared equals a freshly initialised one. */
static void check_cleared(const codec *c, const void *x)
{
    unsigned char fresh[512];
    FUZZ_CHECK(c->size <= sizeof fresh);
    memset(fresh, 0, c->size);
    if (c->init)
        c->init(fresh);
    FUZZ_CHECK(memcmp(fresh, x, c->size) == 0);
}

/* Encode a (decoded) value, decode the encoding, compare (when strict).
 * Epoch numbers are ambiguous by design (SPEC §2.1: an integer below 1e11
 * is seconds, at or above it milliseconds), so a time before 1973 or after
 * 5138 need not survive them; RFC 3339 text is exact for every time. */
static void round_trip(const codec *c, const void *a, durable_ts_format fmt, bool strict)
{
    cJSON *j1 = NULL, *j2 = NULL;
    FUZZ_CHECK(c->enc(&j1, a, fmt) == 0);
    unsigned char b[512];
    FUZZ_CHECK(c->size <= sizeof b);
    memset(b, 0, c->size);
    if (c->init)
        c->init(b);
    int rc = c->dec(b, j1);
    if (rc != 0) {
        char *text = fuzz_print(j1);
        fprintf(stderr, "fuzz: %s does not decode its own encoding (%d: %s): %s\n", c->name,
                rc, durable_error_last()->message, text ? text : "(null)");
        free(text);
        FUZZ_CHECK(!"own encoding decodes");
    }
    if (!strict) {
        cJSON_Delete(j1);
        c->clr(b);
        return;
    }
    FUZZ_CHECK(c->enc(&j2, b, fmt) == 0);
    char *t1 = fuzz_print(j1), *t2 = fuzz_print(j2);
    if ((t1 == NULL) != (t2 == NULL) || (t1 && strcmp(t1, t2) != 0)) {
        fprintf(stderr, "fuzz: %s re-encodes differently:\n  %s\n  %s\n", c->name,
                t1 ? t1 : "(null)", t2 ? t2 : "(null)");
        FUZZ_CHECK(!"encode -> decode -> encode is a fixed point");
    }
    free(t1);
    free(t2);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    c->clr(b);
}

static void run_codec(const codec *c, const cJSON *json)
{
    unsigned char x[512]; /* every struct of model.h fits */
    FUZZ_CHECK(c->size <= sizeof x);
    memset(x, 0, c->size);
    if (c->init)
        c->init(x);
    int rc = c->dec(x, json);
    if (rc != 0) {
        FUZZ_CHECK(rc < 0);
        FUZZ_CHECK(durable_error_last()->message[0] != '\0');
        check_cleared(c, x);
        return;
    }
    if (c->has_fmt) {
        round_trip(c, x, DURABLE_TS_EPOCH_MS, false);
        round_trip(c, x, DURABLE_TS_EPOCH_SECONDS, false);
        round_trip(c, x, DURABLE_TS_RFC3339, true);
    } else {
        /* The invocation event always carries epoch milliseconds, so an
         * operation time before 1973 (below 1e11) reads back as seconds
         * (the same ambiguity as above): it need only decode. */
        bool epoch_times = strcmp(c->name, "durable_invocation_input") == 0;
        round_trip(c, x, DURABLE_TS_EPOCH_MS, !epoch_times);
    }
    c->clr(x);
}

/* Callback bodies: the raw bytes as SUCCESS result, the JSON as FAILURE. */
static void run_callback(const uint8_t *data, size_t size, const cJSON *json)
{
    static const char id[] = "eyJhcm4iOiJ4In0=";
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *raw = cJSON_CreateRaw(text);
    free(text);
    FUZZ_CHECK(raw != NULL);
    durable_callback_request r = {0};
    if (durable_callback_request_from_json(&r, DURABLE_CALLBACK_SUCCESS, id, raw) == 0) {
        FUZZ_CHECK(r.result_len <= DURABLE_MAX_CALLBACK_RESULT_BYTES);
        cJSON *body = NULL;
        FUZZ_CHECK(durable_callback_request_to_json(&body, &r) == 0);
        cJSON_Delete(body);
    }
    durable_callback_request_clear(&r);
    if (json && durable_callback_request_from_json(&r, DURABLE_CALLBACK_FAILURE, id, json) == 0) {
        cJSON *body = NULL;
        FUZZ_CHECK(durable_callback_request_to_json(&body, &r) == 0);
        cJSON_Delete(body);
    }
    durable_callback_request_clear(&r);
    cJSON_Delete(raw);
}

/* A timestamp that decodes encodes back to the same milliseconds: always
 * as RFC 3339, as epoch numbers inside the unambiguous range (see above). */
static void run_timestamp(const cJSON *json)
{
    int64_t ms = 0;
    if (durable_ts_from_json(&ms, json) != 0)
        return;
    FUZZ_CHECK(ms >= 0);
    bool epoch_exact = ms >= 100000000000LL && ms < 100000000000000LL;
    static const durable_ts_format fmts[] = {DURABLE_TS_EPOCH_MS, DURABLE_TS_EPOCH_SECONDS,
                                             DURABLE_TS_RFC3339};
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        cJSON *j = durable_ts_to_json(ms, fmts[i]);
        FUZZ_CHECK(j != NULL);
        int64_t back = -1;
        FUZZ_CHECK(durable_ts_from_json(&back, j) == 0);
        FUZZ_CHECK(back == ms || (!epoch_exact && fmts[i] != DURABLE_TS_RFC3339));
        cJSON_Delete(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *json = NULL;
    if (durable_json_parse(&json, (const char *)data, size) == 0) {
        for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
            run_codec(&codecs[i], json);
        /* Nested values reach the decoders too: each member of the root. */
        const cJSON *item = NULL;
        cJSON_ArrayForEach(item, json)
        {
            for (size_t i = 0; i < 4; i++) /* error object, operation, update, event */
                run_codec(&codecs[i], item);
            run_timestamp(item);
        }
        run_timestamp(json);
    }
    if (size <= DURABLE_MAX_CALLBACK_RESULT_BYTES + 16 && !memchr(data, '\0', size))
        run_callback(data, size, json);
    cJSON_Delete(json);
    return 0;
}
