/*
 * Test helpers for the server, concurrency, process and crash suites (not
 * API). Header-only (static inline) on purpose: the tests/support sources are linked
 * into every suite, the model suites included, which do not link the engine.
 *
 * Update builders fill a caller-owned durable_operation_update whose strings
 * are library copies (release with durable_operation_update_clear).
 */
#ifndef DURABLE_TESTS_SERVER_FIXTURE_H
#define DURABLE_TESTS_SERVER_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "durable/engine.h"
#include "durable/ids.h"
#include "durable/model.h"
#include "durable/store.h"
#include "model/internal.h"

/* Operation id of the positional path "<n>" (or any text). */
static inline void sf_op_id(char out[DURABLE_OP_ID_LEN + 1], const char *path)
{
    durable_op_id(out, path);
}

/* A STEP update: id from `path`, the given action, optional payload. */
static inline void sf_step(durable_operation_update *u, const char *path, const char *name,
                           durable_op_action action, const char *payload)
{
    char id[DURABLE_OP_ID_LEN + 1];
    sf_op_id(id, path);
    durable_operation_update_init(u);
    u->id = durable__strdup(id);
    u->name = durable__strdup(name);
    u->type = DURABLE_OP_STEP;
    u->action = action;
    u->payload = durable__strdup(payload);
}

/* A CALLBACK START without timeouts. */
static inline void sf_callback_start(durable_operation_update *u, const char *path,
                                     const char *name)
{
    char id[DURABLE_OP_ID_LEN + 1];
    sf_op_id(id, path);
    durable_operation_update_init(u);
    u->id = durable__strdup(id);
    u->name = durable__strdup(name);
    u->type = DURABLE_OP_CALLBACK;
    u->action = DURABLE_ACTION_START;
    u->options = DURABLE_OPTIONS_CALLBACK;
    u->timeout_seconds = 0;
    u->heartbeat_timeout_seconds = 0;
}

static inline void sf_updates_clear(durable_operation_update *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        durable_operation_update_clear(&u[i]);
}

/* A checkpoint request over borrowed strings and updates (not cleared). */
static inline durable_checkpoint_request sf_request(const char *arn, const char *token,
                                                    durable_operation_update *updates, size_t n)
{
    durable_checkpoint_request r;
    memset(&r, 0, sizeof r);
    r.durable_execution_arn = (char *)arn;
    r.checkpoint_token = (char *)token;
    r.updates = updates;
    r.update_count = n;
    return r;
}

/* Find an operation by id in a list; NULL if absent. */
static inline const durable_operation *sf_find(const durable_operation_list *l, const char *id)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].id && strcmp(l->items[i].id, id) == 0)
            return &l->items[i];
    return NULL;
}

/* Events of one execution, all pages, in EventId order; caller clears. */
static inline int sf_history_all(durable_history_response *all, durable_engine *e,
                                 const char *arn)
{
    memset(all, 0, sizeof *all);
    char *marker = NULL;
    for (;;) {
        durable_history_request req;
        memset(&req, 0, sizeof req);
        req.durable_execution_arn = (char *)arn;
        req.include_execution_data = true;
        req.max_items = 1000;
        req.marker = marker;
        durable_history_response page;
        memset(&page, 0, sizeof page);
        int rc = durable_engine_get_history(&page, e, &req);
        durable_free(marker);
        marker = NULL;
        if (rc < 0) {
            durable_history_response_clear(all);
            return rc;
        }
        durable_event *grown =
            durable__realloc(all->events, (all->count + page.count + 1) * sizeof *grown);
        if (!grown) {
            durable_history_response_clear(&page);
            durable_history_response_clear(all);
            return DURABLE_ENOMEM;
        }
        all->events = grown;
        /* Move the events: the page's array is then freed without them. */
        memcpy(all->events + all->count, page.events, page.count * sizeof *page.events);
        all->count += page.count;
        durable_free(page.events);
        page.events = NULL;
        page.count = 0;
        marker = page.next_marker;
        page.next_marker = NULL;
        durable_history_response_clear(&page);
        if (!marker || !*marker) {
            durable_free(marker);
            return 0;
        }
    }
}

/* EventIds are exactly 1..count. */
static inline int sf_event_ids_consecutive(const durable_history_response *h)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->events[i].event_id != (int64_t)i + 1)
            return 0;
    return 1;
}

static inline size_t sf_count_events(const durable_history_response *h, durable_event_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++)
        n += h->events[i].type == t;
    return n;
}

static inline void sf_sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static inline double sf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
