/*
 * The SDK against the real engine (not API): a test-local client over an
 * engine on ":memory:" with a FIXED virtual clock, and a small loop that
 * plays the runner (start invocation -> durable_handle_invocation ->
 * complete -> fire due timers at next_due), then loads the history.
 * Header-only (static inline) because tests/support sources are linked
 * into every suite, including those that do not link the SDK.
 */
#ifndef DURABLE_TESTS_SDK_ENGINE_ENV_H
#define DURABLE_TESTS_SDK_ENGINE_ENV_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "durable/client.h"
#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/store.h"
#include "model/internal.h"
#include "support/testutil.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

/* ---- a test-local client over the engine ----------------------------------------- */

typedef struct env {
    durable_store *store;
    durable_engine *engine;
    durable_vclock *clock;
    durable_client *client;
    pthread_mutex_t mu; /* the engine handle is single-threaded */
    char *arn;
    int invocations;
    durable_history_response history;
    durable_execution_info info;
    /* hooks for the loop */
    void (*between)(struct env *, void *);
    void *between_user;
    /* invocation options (optional): plugins and a logger (default: off) */
    const durable_plugin *plugins;
    size_t plugin_count;
    const durable_logger_options *logger;
} env;

static inline int env_checkpoint(void *user, durable_checkpoint_response *out,
                                 const durable_checkpoint_request *req)
{
    env *v = user;
    pthread_mutex_lock(&v->mu);
    int rc = durable_engine_checkpoint(out, v->engine, req);
    pthread_mutex_unlock(&v->mu);
    return rc;
}

static inline int env_get_state(void *user, durable_state_response *out,
                                const durable_state_request *req)
{
    env *v = user;
    pthread_mutex_lock(&v->mu);
    int rc = durable_engine_get_state(out, v->engine, req);
    pthread_mutex_unlock(&v->mu);
    return rc;
}

static const durable_client_vtable env_vtable = {env_checkpoint, env_get_state, NULL, NULL, NULL,
                                                 NULL};

static inline void env_open(env *v)
{
    memset(v, 0, sizeof(*v));
    pthread_mutex_init(&v->mu, NULL);
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    CU_ASSERT_EQUAL_FATAL(durable_store_open(&v->store, ":memory:", &so), 0);
    CU_ASSERT_EQUAL_FATAL(durable_vclock_new(&v->clock, DURABLE_VCLOCK_FIXED, T0), 0);
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = durable_vclock_clock(v->clock);
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&v->engine, v->store, &eo), 0);
    CU_ASSERT_EQUAL_FATAL(durable_client_new(&v->client, &env_vtable, v), 0);
}

static inline void env_close(env *v)
{
    durable_history_response_clear(&v->history);
    durable_execution_info_clear(&v->info);
    durable__free(v->arn);
    durable_client_free(v->client);
    durable_engine_close(v->engine);
    durable_vclock_free(v->clock);
    durable_store_close(v->store);
    pthread_mutex_destroy(&v->mu);
}

static inline bool env_is_ready(env *v)
{
    durable_engine_string_list l;
    memset(&l, 0, sizeof(l));
    bool ready = false;
    if (durable_engine_list_ready(&l, v->engine) == 0)
        for (size_t i = 0; i < l.count; i++)
            ready = ready || strcmp(l.items[i], v->arn) == 0;
    durable_engine_string_list_clear(&l);
    return ready;
}

static inline bool env_is_open(env *v)
{
    durable_execution_state st;
    memset(&st, 0, sizeof(st));
    bool open = durable_engine_execution_state(&st, v->engine, v->arn) == 0 &&
                st.status == DURABLE_EXEC_RUNNING;
    durable_execution_state_clear(&st);
    return open;
}

/* One invocation of the execution with handler. */
static inline void env_invoke_once(env *v, durable_handler_fn h, void *user)
{
    durable_invocation_input in;
    memset(&in, 0, sizeof(in));
    char *inv = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_invocation(&in, &inv, v->engine, v->arn, 0), 0);
    v->invocations++;
    durable_invocation_options o = DURABLE_INVOCATION_OPTIONS_INIT;
    o.request_id = inv;
    o.logger.level = DURABLE_LOG_OFF;
    if (v->logger)
        o.logger = *v->logger;
    o.plugins = v->plugins;
    o.plugin_count = v->plugin_count;
    o.clock = durable_vclock_clock(v->clock); /* plugin attempt times on the engine's clock */
    durable_invocation_output out;
    memset(&out, 0, sizeof(out));
    int rc = durable_handle_invocation(&out, v->client, &in, h, user, &o);
    durable_invocation_outcome oc;
    memset(&oc, 0, sizeof(oc));
    if (rc == 0) {
        CU_ASSERT_EQUAL(durable_engine_complete_invocation(&oc, v->engine, v->arn, inv, &out), 0);
    } else {
        CU_ASSERT_EQUAL(durable_engine_fail_invocation(&oc, v->engine, v->arn, inv, out.error), 0);
    }
    durable_invocation_output_clear(&out);
    durable_invocation_input_clear(&in);
    durable__free(inv);
}

/* Run until the execution closes (or max invocations); then load history. */
static inline void env_run(env *v, const char *input, durable_handler_fn h, void *user,
                           int max_invocations)
{
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    so.input_payload = input;
    CU_ASSERT_EQUAL_FATAL(durable_engine_start_execution(&v->arn, NULL, v->engine, "fn", &so), 0);
    for (int guard = 0; guard < 200 && env_is_open(v) && v->invocations < max_invocations;
         guard++) {
        if (env_is_ready(v)) {
            env_invoke_once(v, h, user);
            if (v->between)
                v->between(v, v->between_user);
            continue;
        }
        int64_t when = 0;
        if (durable_engine_next_due(&when, v->engine) != 0)
            break; /* nothing armed: the loop cannot progress */
        durable_vclock_advance_to(v->clock, when);
        CU_ASSERT_EQUAL(durable_engine_fire_due(NULL, v->engine), 0);
    }
    durable_history_request hr;
    memset(&hr, 0, sizeof(hr));
    hr.durable_execution_arn = v->arn;
    hr.include_execution_data = true;
    hr.max_items = 1000;
    CU_ASSERT_EQUAL(durable_engine_get_history(&v->history, v->engine, &hr), 0);
    CU_ASSERT_EQUAL(durable_engine_get_execution(&v->info, v->engine, v->arn), 0);
}

static inline const durable_event *env_event(env *v, size_t event_id)
{
    for (size_t i = 0; i < v->history.count; i++)
        if (v->history.events[i].event_id == (int64_t)event_id)
            return &v->history.events[i];
    return NULL;
}

/* Assert the event types in order (from EventId 1). */
static inline void env_expect_events(env *v, const durable_event_type *types, size_t n)
{
    CU_ASSERT_EQUAL(v->history.count, n);
    for (size_t i = 0; i < n && i < v->history.count; i++) {
        if (v->history.events[i].type != types[i])
            fprintf(stderr, "event %zu: got %s want %s\n", i + 1,
                    durable_event_type_name(v->history.events[i].type),
                    durable_event_type_name(types[i]));
        CU_ASSERT_EQUAL(v->history.events[i].type, types[i]);
    }
}

#endif
