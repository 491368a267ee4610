/* The front's SigV4 gate: with keys configured (--auth), every request must
 * carry a valid AWS4-HMAC-SHA256 signature of one of them (sigv4.h does the
 * verifying); without, any signature or none is accepted and the server
 * listens on loopback by default. */
#include <string.h>

#include "http/http_internal.h"
#include "model/internal.h"

int durable__sigv4_gate_load(durable_http_server *s)
{
    if (!s->auth_key_count && !s->auth_file)
        return 0;
    int rc = durable__sigv4_keys_new(&s->keys);
    for (size_t i = 0; rc == 0 && i < s->auth_key_count; i++)
        rc = durable__sigv4_keys_add_spec(s->keys, s->auth_keys[i]);
    if (rc == 0 && s->auth_file)
        rc = durable__sigv4_keys_load_file(s->keys, s->auth_file);
    if (rc < 0) {
        durable__sigv4_keys_free(s->keys);
        s->keys = NULL;
    }
    return rc;
}

static const char *header_of(const char *name, void *user)
{
    return durable__http_header(user, name);
}

bool durable__sigv4_gate(durable__hctx *c, const char *raw_query)
{
    if (!c->srv->keys)
        return true;
    durable__sigv4_request req = {c->method, c->raw_path, raw_query, header_of, c,
                                  c->body,   c->body_len};
    durable__sigv4_result res;
    int rc = durable__sigv4_verify(&res, c->srv->keys, &req, NULL);
    if (rc == 0)
        return true;
    if (rc == DURABLE_ENOMEM)
        durable__http_reply_error(c, 500, "ServiceException", "Out of memory verifying the "
                                                              "signature");
    else
        durable__http_reply_error(c, 403, "InvalidSignatureException", "%s", res.message);
    return false;
}
