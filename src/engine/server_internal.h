/* Internal (not API): what server_calls.c needs from server.c. */
#ifndef DURABLE_SRC_ENGINE_SERVER_INTERNAL_H
#define DURABLE_SRC_ENGINE_SERVER_INTERNAL_H

#include "durable/server.h"

/* Sleep the server's checkpoint delay on the calling thread (after the
 * checkpoint committed, before its reply reaches the caller). */
void durable__server_checkpoint_delay(durable_server *s);

#endif
