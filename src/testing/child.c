/* Crash isolation, child side: a forked child opens its own store, engine
 * and direct client on the database file (nothing of the parent's server
 * thread survives a fork), with a clock that continues the parent's. */
#include <string.h>

#include "durable/engine.h"
#include "durable/server.h"
#include "durable/store.h"
#include "model/internal.h"
#include "testing/testing_internal.h"

struct durable__child_engine {
    durable_vclock *vclock;
    durable_store *store;
    durable_engine *engine;
    durable_client *client;
};

void durable__child_engine_close(durable__child_engine *c)
{
    if (!c)
        return;
    durable_client_free(c->client);
    durable_engine_close(c->engine);
    durable_store_close(c->store);
    durable_vclock_free(c->vclock);
    durable_free(c);
}

int durable__child_engine_open(durable__child_engine **out, durable_client **client,
                               const char *path, int clock_kind, int64_t value)
{
    *out = NULL;
    *client = NULL;
    const durable__tenv_cfg *cfg = durable__tenv_config();
    durable__child_engine *c = durable__calloc(1, sizeof *c);
    if (!c)
        return durable__error_oom();
    int rc = 0;
    if (clock_kind == DURABLE__CLOCK_FIXED) {
        rc = durable_vclock_new(&c->vclock, DURABLE_VCLOCK_FIXED, value);
    } else if (clock_kind == DURABLE__CLOCK_OFFSET) {
        rc = durable_vclock_new(&c->vclock, DURABLE_VCLOCK_OFFSET, 0);
        if (rc == 0)
            durable_vclock_advance(c->vclock, value);
    }
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.create = false;
    if (cfg)
        so.sync_mode = (durable_sync_mode)cfg->sync_mode;
    if (rc == 0)
        rc = durable_store_open(&c->store, path, &so);
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = c->vclock ? durable_vclock_clock(c->vclock) : durable_clock_real();
    if (cfg) {
        eo.default_execution_timeout_seconds = cfg->default_timeout_s;
        eo.max_invocation_failures = cfg->max_invocation_failures;
        eo.invocation_retry_backoff_ms = cfg->retry_backoff_ms;
        eo.invocation_timeout_seconds = cfg->invocation_timeout_s;
    }
    if (rc == 0)
        rc = durable_engine_open(&c->engine, c->store, &eo);
    if (rc == 0)
        rc = durable_engine_client_new_direct(&c->client, c->engine);
    if (rc < 0) {
        durable__error_prefix("crash isolation child: opening %s", path);
        durable__child_engine_close(c);
        return rc;
    }
    *out = c;
    *client = c->client;
    return 0;
}
