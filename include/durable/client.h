/*
 * libdurable — the client interface: the one seam between the SDK and the
 * durable-execution service (DESIGN.md "Layers and the one seam").
 *
 * The SDK never talks to the engine directly; it calls these functions. The
 * in-process engine client (engine.h), the mock client (below) and a future
 * HTTP client implement the same vtable, so one handler runs against all.
 *
 * Error convention for implementations: return 0 on success, or a negative
 * code with the last error set:
 *   DURABLE_ETOKEN      "Invalid Checkpoint Token" (the invocation fails as an
 *                       invocation error and the service re-invokes);
 *   DURABLE_ETHROTTLED  429 / 5xx / transport error (the SDK retries);
 *   anything else       a rejection (the invocation returns FAILED).
 * Responses are filled into *out (zeroed by the caller) and belong to the
 * caller (free with the model's _clear functions).
 */
#ifndef DURABLE_CLIENT_H
#define DURABLE_CLIENT_H

#include <stddef.h>

#include "durable/common.h"
#include "durable/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_client_vtable {
    int (*checkpoint)(void *user, durable_checkpoint_response *out,
                      const durable_checkpoint_request *req);
    int (*get_state)(void *user, durable_state_response *out, const durable_state_request *req);
    int (*callback_success)(void *user, const char *callback_id, const char *result,
                            size_t result_len);
    int (*callback_failure)(void *user, const char *callback_id,
                            const durable_error_object *error);
    int (*callback_heartbeat)(void *user, const char *callback_id);
    /* Release `user`; may be NULL. Called by durable_client_free. */
    void (*destroy)(void *user);
} durable_client_vtable;

typedef struct durable_client {
    const durable_client_vtable *vtable;
    void *user;
} durable_client;

/* Heap client over a vtable; owned by the caller, freed with
 * durable_client_free (which calls vtable->destroy(user)). */
int durable_client_new(durable_client **out, const durable_client_vtable *vtable, void *user);
void durable_client_free(durable_client *client);

/* Thin dispatchers; return DURABLE_EINVAL if the vtable lacks the entry. */
int durable_client_checkpoint(durable_client *c, durable_checkpoint_response *out,
                              const durable_checkpoint_request *req);
int durable_client_get_state(durable_client *c, durable_state_response *out,
                             const durable_state_request *req);
int durable_client_callback_success(durable_client *c, const char *callback_id,
                                    const char *result, size_t result_len);
int durable_client_callback_failure(durable_client *c, const char *callback_id,
                                    const durable_error_object *error);
int durable_client_callback_heartbeat(durable_client *c, const char *callback_id);

/* ---- mock client (seed design, properties 16 and 17) ------------------------ */

typedef struct durable_mock_client durable_mock_client;

/* One recorded call. */
typedef struct durable_mock_call {
    enum { DURABLE_MOCK_CHECKPOINT = 1, DURABLE_MOCK_GET_STATE, DURABLE_MOCK_CALLBACK } kind;
    char *durable_execution_arn;
    char *checkpoint_token;
    durable_operation_update *updates;  /* CHECKPOINT: deep copies */
    size_t update_count;
    char *marker;                       /* GET_STATE */
    char *callback_id;                  /* CALLBACK */
} durable_mock_call;

/* A new mock; *client_out is its client (borrowed, lives as long as the mock). */
int durable_mock_client_new(durable_mock_client **out, durable_client **client_out);
void durable_mock_client_free(durable_mock_client *m);

/* Queue a response (deep-copied). Responses are returned in queue order; a
 * call with an empty queue fails with DURABLE_ESTATE. A queued error code
 * (status < 0) is returned instead of a response, with its message. */
int durable_mock_client_queue_checkpoint(durable_mock_client *m,
                                         const durable_checkpoint_response *resp);
int durable_mock_client_queue_checkpoint_error(durable_mock_client *m, int status,
                                               const char *message);
int durable_mock_client_queue_state(durable_mock_client *m, const durable_state_response *resp);
/* Queue n default checkpoint responses: tokens "mock-token-<k>", no operations. */
int durable_mock_client_queue_default(durable_mock_client *m, size_t n);

/* Recorded calls, in call order; borrowed, valid until the mock is freed. */
size_t durable_mock_client_call_count(const durable_mock_client *m);
const durable_mock_call *durable_mock_client_call(const durable_mock_client *m, size_t index);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_CLIENT_H */
