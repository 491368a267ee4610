/* The engine's group frame (group.h): one transaction around several calls. */
#include "engine/group.h"
#include "engine/engine_internal.h"

/* Every call of the group already applied its writes to the engine's
 * memory at its own end; drop all of it. The caches refill from the file. */
static void forget_memory(durable_engine *e)
{
    durable__state_cache_free(e->cache);
    e->cache = NULL;
    durable__written_clear(e);
    durable__token_cache_clear(e);
    durable__exec_memo_forget(e);
}

int durable__eng_group_begin(durable_engine *e)
{
    durable_error_clear();
    return durable__store_group_begin(e->store);
}

bool durable__eng_group_lost(durable_engine *e)
{
    return durable__store_group_lost(e->store);
}

int durable__eng_group_end(durable_engine *e, bool commit)
{
    int rc = durable__store_group_end(e->store, commit);
    if (rc < 0 || !commit)
        forget_memory(e);
    else
        durable__exec_memo_group_committed(e);
    return rc;
}
