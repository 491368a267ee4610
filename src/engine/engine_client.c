/* The in-process engine client: the durable_client vtable (client.h) over a
 * checkpoint server, or directly over an engine (server.h). */
#include "durable/client.h"
#include "durable/engine.h"
#include "durable/server.h"
#include "model/internal.h"

/* Exactly one of server / engine is set. */
typedef struct engine_client {
    durable_server *server;
    durable_engine *engine;
} engine_client;

/* client.h's convention: a locked database is a transient service condition
 * (the HTTP service would answer 429/5xx), so the SDK should retry it; the
 * message stays the engine's. Every other code, DURABLE_ETOKEN included,
 * passes through with its message. */
static int map_error(int rc)
{
    if (rc == DURABLE_EBUSY) {
        durable__error_set(DURABLE_ETHROTTLED, "%s", durable_error_last()->message);
        return DURABLE_ETHROTTLED;
    }
    return rc;
}

static int ec_checkpoint(void *user, durable_checkpoint_response *out,
                         const durable_checkpoint_request *req)
{
    engine_client *c = user;
    int rc = c->server ? durable_server_checkpoint(out, c->server, req)
                       : durable_engine_checkpoint(out, c->engine, req);
    return map_error(rc);
}

static int ec_get_state(void *user, durable_state_response *out, const durable_state_request *req)
{
    engine_client *c = user;
    int rc = c->server ? durable_server_get_state(out, c->server, req)
                       : durable_engine_get_state(out, c->engine, req);
    return map_error(rc);
}

static int ec_callback_success(void *user, const char *callback_id, const char *result,
                               size_t result_len)
{
    engine_client *c = user;
    int rc = c->server ? durable_server_callback_success(c->server, callback_id, result, result_len)
                       : durable_engine_callback_success(c->engine, callback_id, result, result_len);
    return map_error(rc);
}

static int ec_callback_failure(void *user, const char *callback_id,
                               const durable_error_object *error)
{
    engine_client *c = user;
    int rc = c->server ? durable_server_callback_failure(c->server, callback_id, error)
                       : durable_engine_callback_failure(c->engine, callback_id, error);
    return map_error(rc);
}

static int ec_callback_heartbeat(void *user, const char *callback_id)
{
    engine_client *c = user;
    int rc = c->server ? durable_server_callback_heartbeat(c->server, callback_id)
                       : durable_engine_callback_heartbeat(c->engine, callback_id);
    return map_error(rc);
}

static void ec_destroy(void *user)
{
    /* The server or engine is borrowed: only the small wrapper is ours. */
    durable_free(user);
}

static const durable_client_vtable engine_client_vtable = {
    ec_checkpoint,       ec_get_state,          ec_callback_success,
    ec_callback_failure, ec_callback_heartbeat, ec_destroy,
};

/* The durable_client is allocated here rather than with durable_client_new:
 * that constructor lives in the sdk layer, which the engine layer must not
 * depend on (DESIGN.md "Layers"). It follows the same contract, so
 * durable_client_free releases it: library allocator, destroy(user), then
 * durable_free(client). */
static int client_new(durable_client **out, durable_server *server, durable_engine *engine)
{
    engine_client *c = durable__calloc(1, sizeof *c);
    durable_client *client = durable__calloc(1, sizeof *client);
    if (!c || !client) {
        durable_free(c);
        durable_free(client);
        return durable__error_oom();
    }
    c->server = server;
    c->engine = engine;
    client->vtable = &engine_client_vtable;
    client->user = c;
    *out = client;
    return 0;
}

int durable_engine_client_new(durable_client **out, durable_server *server)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_client_new: out is NULL");
    *out = NULL;
    if (!server)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_client_new: server is NULL");
    return client_new(out, server, NULL);
}

int durable_engine_client_new_direct(durable_client **out, durable_engine *engine)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_client_new_direct: out is NULL");
    *out = NULL;
    if (!engine)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_engine_client_new_direct: engine is NULL");
    return client_new(out, NULL, engine);
}
