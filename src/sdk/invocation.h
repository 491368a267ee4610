/*
 * The invocation entry point for in-process callers (the local test
 * runner): internal to the library, beside the public
 * durable_handle_invocation() of context.h.
 */
#ifndef DURABLE_SRC_SDK_INVOCATION_H
#define DURABLE_SRC_SDK_INVOCATION_H

#include "durable/client.h"
#include "durable/context.h"
#include "durable/model.h"
#include "sdk/ckpt_worker.h"

/* durable_handle_invocation(), except that the operations of input's first
 * state page are moved into the invocation's state instead of copied:
 * input->operations is left empty (the rest of *input is only read). For a
 * caller that built the input for this one call; replay then costs one
 * decode of each operation instead of two copies. worker (borrowed, may be
 * NULL) runs the checkpoint batcher's async sender loop when it is idle, so
 * a caller that runs invocation after invocation starts no thread per
 * invocation (see ckpt_worker.h). Same return codes and ownership rules as
 * durable_handle_invocation(). */
int durable__handle_invocation_take(durable_invocation_output *out, durable_client *client,
                                    durable_invocation_input *input, durable_handler_fn handler,
                                    void *user, const durable_invocation_options *opts,
                                    durable__ckpt_worker *worker);

#endif
