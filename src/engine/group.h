/*
 * Internal (not API): the group frame of the engine, used by the checkpoint
 * server (server.c) for group commit.
 *
 *     durable__eng_group_begin(e);          // one BEGIN IMMEDIATE
 *     engine calls ...                      // each in its own savepoint
 *     durable__eng_group_end(e, commit);    // one COMMIT (or ROLLBACK)
 *
 * Each engine call inside keeps its own frame (durable__eng_begin/_end,
 * engine.c): its error state, its `now`, and on rejection the rollback of
 * its own writes only. What a call's end applies to the engine's memory
 * (state cache moves and written rows) assumes its writes are durable; when
 * the group does not commit, group_end forgets those caches, so nothing in
 * memory claims what the file does not hold.
 */
#ifndef DURABLE_SRC_ENGINE_GROUP_H
#define DURABLE_SRC_ENGINE_GROUP_H

#include <stdbool.h>

#include "durable/engine.h"

/* Open the group's write transaction (waits up to the busy timeout for the
 * write lock). Negative code with the last error set on failure. */
int durable__eng_group_begin(durable_engine *e);
/* True when a call of the group failed in a way that made SQLite roll back
 * the whole transaction: the group's earlier calls are lost too. */
bool durable__eng_group_lost(durable_engine *e);
/* COMMIT (commit true) or ROLLBACK the group. Returns 0, or the COMMIT's
 * error code with the last error set; unless it committed, the engine's
 * caches are forgotten. */
int durable__eng_group_end(durable_engine *e, bool commit);

#endif
