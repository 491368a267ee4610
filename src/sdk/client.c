/*
 * The client seam (client.h): a heap handle over a vtable and thin
 * dispatchers. Each dispatcher checks its arguments and the vtable entry so
 * a partial client (e.g. a test double without callbacks) fails with a
 * clear DURABLE_EINVAL instead of crashing.
 */
#include "durable/client.h"

#include <stdbool.h>

#include "model/internal.h"

int durable_client_new(durable_client **out, const durable_client_vtable *vtable, void *user)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_client_new: out is NULL");
    *out = NULL;
    if (!vtable)
        return durable__error_set(DURABLE_EINVAL, "durable_client_new: vtable is NULL");
    durable_client *c = durable__calloc(1, sizeof *c);
    if (!c)
        return durable__error_oom();
    c->vtable = vtable;
    c->user = user;
    *out = c;
    return 0;
}

void durable_client_free(durable_client *client)
{
    if (!client)
        return;
    if (client->vtable && client->vtable->destroy)
        client->vtable->destroy(client->user);
    durable_free(client);
}

/* Every dispatcher reports the same two misuse cases with its own name, so
 * the message says where it happened. */
#define HAS(c, entry) ((c) && (c)->vtable && (c)->vtable->entry)
static int check(const durable_client *c, bool has_entry, const char *fn)
{
    if (!c || !c->vtable)
        return durable__error_set(DURABLE_EINVAL, "%s: client is NULL", fn);
    if (!has_entry)
        return durable__error_set(DURABLE_EINVAL, "%s: this client does not implement it", fn);
    return 0;
}

int durable_client_checkpoint(durable_client *c, durable_checkpoint_response *out,
                              const durable_checkpoint_request *req)
{
    int rc = check(c, HAS(c, checkpoint),
                   "durable_client_checkpoint");
    if (rc)
        return rc;
    if (!out || !req)
        return durable__error_set(DURABLE_EINVAL, "durable_client_checkpoint: out and req are "
                                                  "required");
    return c->vtable->checkpoint(c->user, out, req);
}

int durable_client_get_state(durable_client *c, durable_state_response *out,
                             const durable_state_request *req)
{
    int rc = check(c, HAS(c, get_state),
                   "durable_client_get_state");
    if (rc)
        return rc;
    if (!out || !req)
        return durable__error_set(DURABLE_EINVAL, "durable_client_get_state: out and req are "
                                                  "required");
    return c->vtable->get_state(c->user, out, req);
}

int durable_client_callback_success(durable_client *c, const char *callback_id,
                                    const char *result, size_t result_len)
{
    int rc = check(c, HAS(c, callback_success),
                   "durable_client_callback_success");
    if (rc)
        return rc;
    if (!callback_id)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_client_callback_success: callback_id is NULL");
    return c->vtable->callback_success(c->user, callback_id, result, result_len);
}

int durable_client_callback_failure(durable_client *c, const char *callback_id,
                                    const durable_error_object *error)
{
    int rc = check(c, HAS(c, callback_failure),
                   "durable_client_callback_failure");
    if (rc)
        return rc;
    if (!callback_id)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_client_callback_failure: callback_id is NULL");
    return c->vtable->callback_failure(c->user, callback_id, error);
}

int durable_client_callback_heartbeat(durable_client *c, const char *callback_id)
{
    int rc = check(c, HAS(c, callback_heartbeat),
                   "durable_client_callback_heartbeat");
    if (rc)
        return rc;
    if (!callback_id)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_client_callback_heartbeat: callback_id is NULL");
    return c->vtable->callback_heartbeat(c->user, callback_id);
}
