/* Internal (not API): what server_calls.c needs from server.c. */
#ifndef DURABLE_SRC_ENGINE_SERVER_INTERNAL_H
#define DURABLE_SRC_ENGINE_SERVER_INTERNAL_H

#include "durable/server.h"

/* Sleep the server's checkpoint delay on the calling thread (after the
 * checkpoint committed, before its reply reaches the caller). */
void durable__server_checkpoint_delay(durable_server *s);

/* durable_server_call for a write call that may share a group transaction
 * (server.h, "Group commit"). fn must be one engine call (it runs inside a
 * savepoint); undo (may be NULL) releases what a successful fn wrote into
 * its caller's structs, for a group whose commit failed. */
/* Requests queued and not yet taken by the server thread (tests). */
size_t durable__server_pending(durable_server *s);

typedef void (*durable__server_undo_fn)(void *arg);
int durable__server_call_write(durable_server *s, durable_server_fn fn, void *arg,
                               durable__server_undo_fn undo);

#endif
