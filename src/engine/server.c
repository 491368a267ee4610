/* The checkpoint server thread: lifecycle and the generic call
 * (include/durable/server.h). The typed calls are in server_calls.c. */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include "durable/engine.h"
#include "durable/server.h"
#include "durable/store.h"
#include "engine/group.h"
#include "engine/server_internal.h"
#include "engine/server_queue.h"
#include "model/internal.h"

struct durable_server {
    durable__squeue *queue;
    _Atomic int checkpoint_delay_ms;

    /* What the thread opens (start) or was handed (start_with). Written
     * before the thread starts or on it; read only on it. */
    char *path;
    durable_store_options store_opts;
    durable_engine_options engine_opts;
    durable_engine *handed;      /* start_with: borrowed */
    durable_store *store;        /* start: owned, opened on the thread */
    durable_engine *engine;      /* start: owned, opened on the thread */
};

static int open_owned(void **ctx_out, void *user)
{
    durable_server *s = user;
    int rc = durable_store_open(&s->store, s->path, &s->store_opts);
    if (rc < 0) {
        durable__error_prefix("checkpoint server: opening store %s", s->path);
        return rc;
    }
    rc = durable_engine_open(&s->engine, s->store, &s->engine_opts);
    if (rc < 0) {
        durable__error_prefix("checkpoint server: opening engine over %s", s->path);
        durable_store_close(s->store);
        s->store = NULL;
        return rc;
    }
    *ctx_out = s->engine;
    return 0;
}

static void close_owned(void *ctx, void *user)
{
    durable_server *s = user;
    (void)ctx;
    /* On the server thread: the connection never leaves it. */
    durable_engine_close(s->engine);
    durable_store_close(s->store);
    s->engine = NULL;
    s->store = NULL;
}

static int open_handed(void **ctx_out, void *user)
{
    durable_server *s = user;
    *ctx_out = s->handed;
    return 0;
}

static int set_delay(durable_server *s, const durable_server_options *opts)
{
    int d = opts ? opts->checkpoint_delay_ms : 0;
    atomic_store(&s->checkpoint_delay_ms, d > 0 ? d : 0);
    return 0;
}

static void set_spin(durable_server *s, const durable_server_options *opts)
{
    static const durable_server_options defaults = DURABLE_SERVER_OPTIONS_INIT;
    int us = (opts ? opts : &defaults)->spin_us;
    durable__squeue_set_spin(s->queue, us);
}

/* Group commit hooks: the context is the engine. */
static int group_begin(void *ctx)
{
    return durable__eng_group_begin(ctx);
}

static bool group_lost(void *ctx)
{
    return durable__eng_group_lost(ctx);
}

static int group_end(void *ctx, bool commit)
{
    return durable__eng_group_end(ctx, commit);
}

static void set_group(durable_server *s, const durable_server_options *opts)
{
    static const durable_server_options defaults = DURABLE_SERVER_OPTIONS_INIT;
    durable__squeue_group g = {group_begin, group_lost, group_end,
                               (opts ? opts : &defaults)->group_max};
    durable__squeue_set_group(s->queue, &g);
}

static void server_destroy(durable_server *s)
{
    durable_free(s->path);
    durable_free(s);
}

int durable_server_start(durable_server **out, const durable_server_options *opts)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_server_start: out is NULL");
    *out = NULL;
    durable_server_options defaults = DURABLE_SERVER_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (!opts->path || !*opts->path)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_server_start: options.path is empty "
                                  "(use \":memory:\" or a file path)");
    durable_server *s = durable__calloc(1, sizeof *s);
    if (!s)
        return durable__error_oom();
    s->path = durable__strdup(opts->path);
    if (!s->path) {
        server_destroy(s);
        return durable__error_oom();
    }
    s->store_opts = opts->store;
    s->engine_opts = opts->engine;
    set_delay(s, opts);
    int rc = durable__squeue_start(&s->queue, open_owned, close_owned, s);
    if (rc < 0) {
        server_destroy(s);
        return rc;
    }
    set_spin(s, opts);
    set_group(s, opts);
    *out = s;
    return 0;
}

int durable_server_start_with(durable_server **out, durable_engine *engine,
                              const durable_server_options *opts)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_server_start_with: out is NULL");
    *out = NULL;
    if (!engine)
        return durable__error_set(DURABLE_EINVAL, "durable_server_start_with: engine is NULL");
    durable_server *s = durable__calloc(1, sizeof *s);
    if (!s)
        return durable__error_oom();
    s->handed = engine;
    set_delay(s, opts);
    int rc = durable__squeue_start(&s->queue, open_handed, NULL, s);
    if (rc < 0) {
        server_destroy(s);
        return rc;
    }
    set_spin(s, opts);
    set_group(s, opts);
    *out = s;
    return 0;
}

void durable_server_free(durable_server *s)
{
    if (!s)
        return;
    durable__squeue_stop(s->queue);
    server_destroy(s);
}

void durable_server_set_checkpoint_delay(durable_server *s, int delay_ms)
{
    if (s)
        atomic_store(&s->checkpoint_delay_ms, delay_ms > 0 ? delay_ms : 0);
}

uint64_t durable_server_served(durable_server *s)
{
    return s ? durable__squeue_served(s->queue) : 0;
}

/* The queue hands the context through as void *; the context is the engine. */
typedef struct call_arg {
    durable_server_fn fn;
    void *arg;
} call_arg;

static int call_trampoline(void *ctx, void *p)
{
    call_arg *c = p;
    return c->fn((durable_engine *)ctx, c->arg);
}

int durable_server_call(durable_server *s, durable_server_fn fn, void *arg)
{
    if (!s || !fn)
        return durable__error_set(DURABLE_EINVAL, "durable_server_call: server and fn are required");
    call_arg c = {fn, arg};
    return durable__squeue_call(s->queue, call_trampoline, &c);
}

uint64_t durable_server_served_grouped(durable_server *s)
{
    return s ? durable__squeue_served_grouped(s->queue) : 0;
}

size_t durable__server_pending(durable_server *s)
{
    return s ? durable__squeue_pending(s->queue) : 0;
}

/* A write call: the closure and what releases its outputs. */
typedef struct write_arg {
    durable_server_fn fn;
    void *arg;
    durable__server_undo_fn undo;
} write_arg;

static int write_trampoline(void *ctx, void *p)
{
    write_arg *w = p;
    return w->fn((durable_engine *)ctx, w->arg);
}

static void write_undo(void *p)
{
    write_arg *w = p;
    if (w->undo)
        w->undo(w->arg);
}

int durable__server_call_write(durable_server *s, durable_server_fn fn, void *arg,
                               durable__server_undo_fn undo)
{
    if (!s || !fn)
        return durable__error_set(DURABLE_EINVAL, "durable_server_call: server and fn are required");
    write_arg w = {fn, arg, undo};
    return durable__squeue_call_grouped(s->queue, write_trampoline, &w, write_undo);
}

void durable__server_checkpoint_delay(durable_server *s)
{
    int ms = atomic_load(&s->checkpoint_delay_ms);
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    /* A signal interrupts nanosleep; sleep the rest. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
