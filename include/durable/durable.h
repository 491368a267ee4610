/*
 * libdurable — the umbrella header: includes every public header.
 * Each area's header documents its functions, ownership and thread-safety.
 */
#ifndef DURABLE_DURABLE_H
#define DURABLE_DURABLE_H

#include "durable/common.h"
#include "durable/model.h"
#include "durable/ids.h"
#include "durable/clock.h"
#include "durable/store.h"
#include "durable/client.h"
#include "durable/engine.h"
#include "durable/server.h"
#include "durable/context.h"
#include "durable/testing.h"

#endif /* DURABLE_DURABLE_H */
