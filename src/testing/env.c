/* The process-wide test environment: clock, checkpoint server thread, the
 * in-process client, the checkpoint worker of the in-process invocations,
 * and the change notification runs and waiting tests share (testing.h
 * "environment"). Engine side: never includes context.h. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "durable/engine.h"
#include "durable/server.h"
#include "durable/store.h"
#include "model/internal.h"
#include "testing/testing_internal.h"

/* The public config struct is declared in testing.h, which this side must
 * not include (context.h); env_api.c copies it into durable__tenv_cfg. */

typedef struct tenv {
    durable__tenv_cfg cfg;
    durable_vclock *vclock;        /* NULL when time is real */
    durable_server *server;
    durable_client *client;
    durable__ckpt_worker *worker; /* owned; its thread starts with the first invocation */
    int active_runs;
} tenv;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static uint64_t g_seq;
static tenv *g_env;
static bool g_hold;

static void init_cond(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g_cond, &a);
    pthread_condattr_destroy(&a);
}

int64_t durable__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void durable__tenv_lock(void)
{
    pthread_once(&g_once, init_cond);
    pthread_mutex_lock(&g_lock);
}

void durable__tenv_unlock(void)
{
    pthread_mutex_unlock(&g_lock);
}

static void cfg_clear(durable__tenv_cfg *c)
{
    durable_free(c->db_path);
    memset(c, 0, sizeof *c);
}

static void env_destroy(tenv *e)
{
    if (!e)
        return;
    /* Idle by now (teardown refuses while runs are active); its loops talk
     * to the server, so it goes first. */
    durable__ckpt_worker_free(e->worker);
    durable_client_free(e->client);
    durable_server_free(e->server);
    durable_vclock_free(e->vclock);
    cfg_clear(&e->cfg);
    durable_free(e);
}

/* The latest timestamp stored in the database: execution starts and ends,
 * and the last event of every open execution. On the server thread. */
static int latest_timestamp(durable_engine *eng, void *arg)
{
    int64_t *latest = arg;
    char *marker = NULL;
    int rc = 0;
    do {
        durable_list_request req;
        memset(&req, 0, sizeof req);
        req.max_items = DURABLE_MAX_ITEMS;
        req.marker = marker;
        durable_list_response resp;
        memset(&resp, 0, sizeof resp);
        rc = durable_engine_list_executions(&resp, eng, &req);
        durable_free(marker);
        marker = NULL;
        for (size_t i = 0; rc == 0 && i < resp.count; i++) {
            const durable_execution_info *x = &resp.executions[i];
            if (x->start_timestamp > *latest)
                *latest = x->start_timestamp;
            if (x->end_timestamp > *latest)
                *latest = x->end_timestamp;
            if (x->status != DURABLE_EXEC_RUNNING)
                continue;
            durable_history_request hr;
            memset(&hr, 0, sizeof hr);
            hr.durable_execution_arn = x->durable_execution_arn;
            hr.max_items = 1;
            hr.reverse_order = true;
            durable_history_response h;
            memset(&h, 0, sizeof h);
            if (durable_engine_get_history(&h, eng, &hr) == 0 && h.count &&
                h.events[0].timestamp > *latest)
                *latest = h.events[0].timestamp;
            durable_history_response_clear(&h);
        }
        if (rc == 0 && resp.next_marker && *resp.next_marker) {
            marker = resp.next_marker;
            resp.next_marker = NULL;
        }
        durable_list_response_clear(&resp);
    } while (rc == 0 && marker);
    durable_free(marker);
    return rc;
}

int durable__tenv_setup(durable__tenv_cfg *cfg)
{
    durable__tenv_lock();
    if (g_env) {
        durable__tenv_unlock();
        cfg_clear(cfg);
        return durable__error_set(DURABLE_ESTATE,
                                  "test environment already set up (db %s): tear it down first",
                                  g_env->cfg.db_path);
    }
    tenv *e = durable__calloc(1, sizeof *e);
    if (!e) {
        durable__tenv_unlock();
        cfg_clear(cfg);
        return durable__error_oom();
    }
    e->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);

    int rc = 0;
    if (e->cfg.skip_time) {
        rc = durable_vclock_new(&e->vclock,
                                e->cfg.deterministic ? DURABLE_VCLOCK_FIXED : DURABLE_VCLOCK_OFFSET,
                                e->cfg.start_time_ms);
        if (rc < 0)
            goto fail;
    }
    durable_server_options so = DURABLE_SERVER_OPTIONS_INIT;
    so.path = e->cfg.db_path;
    so.store.sync_mode = (durable_sync_mode)e->cfg.sync_mode;
    so.store.create = true;
    so.engine.clock = e->vclock ? durable_vclock_clock(e->vclock) : durable_clock_real();
    so.engine.default_execution_timeout_seconds = e->cfg.default_timeout_s;
    so.engine.max_invocation_failures = e->cfg.max_invocation_failures;
    so.engine.invocation_retry_backoff_ms = e->cfg.retry_backoff_ms;
    so.engine.invocation_timeout_seconds = e->cfg.invocation_timeout_s;
    so.checkpoint_delay_ms = (int)e->cfg.checkpoint_delay_ms;
    rc = durable_server_start(&e->server, &so);
    if (rc < 0) {
        durable__error_prefix("Checkpoint server error: cannot start the test environment");
        goto fail;
    }
    rc = durable_engine_client_new(&e->client, e->server);
    if (rc < 0)
        goto fail;
    rc = durable__ckpt_worker_new(&e->worker);
    if (rc < 0)
        goto fail;
    if (e->vclock && strcmp(e->cfg.db_path, ":memory:") != 0) {
        /* A file may hold timestamps a previous (skipping) process wrote
         * ahead of real time: never let time go backwards on resume. */
        int64_t latest = 0;
        rc = durable_server_call(e->server, latest_timestamp, &latest);
        if (rc < 0)
            goto fail;
        durable_vclock_advance_to(e->vclock, latest);
    }
    g_env = e;
    durable__tenv_unlock();
    return 0;
fail:
    durable__tenv_unlock();
    {
        /* Keep the failure's message across the cleanup. */
        durable_error saved = *durable_error_last();
        char *msg = durable__strdup(saved.message);
        env_destroy(e);
        durable__error_set(rc, "%s", msg ? msg : "test environment setup failed");
        durable_free(msg);
    }
    return rc;
}

int durable__tenv_teardown(void)
{
    tenv *e = NULL;
    /* Results read their history lazily from the engine: read what is still
     * deferred while it is up (outside the lock: the reads are server
     * calls), twice, as a run may have ended during the first pass. A result
     * whose read failed both times is left without history. */
    for (int pass = 0;; pass++) {
        durable__tenv_lock();
        e = g_env;
        if (!e) {
            durable__tenv_unlock();
            return durable__error_set(DURABLE_ENOTSETUP,
                                      "EnvironmentNotSetUp: durable_test_env_teardown called "
                                      "without durable_test_env_setup");
        }
        if (e->active_runs > 0) {
            int n = e->active_runs;
            durable__tenv_unlock();
            return durable__error_set(DURABLE_EBUSY,
                                      "test environment busy: %d run(s) still in progress; await "
                                      "them before teardown",
                                      n);
        }
        if (pass == 2)
            break;
        durable__tenv_unlock();
        (void)durable__results_load_deferred();
    }
    g_env = NULL;
    g_hold = false;
    g_seq++;
    pthread_cond_broadcast(&g_cond);
    durable__tenv_unlock();
    env_destroy(e);
    return 0;
}

const durable__tenv_cfg *durable__tenv_config(void)
{
    tenv *e = g_env;
    return e ? &e->cfg : NULL;
}

durable_client *durable__tenv_client(void)
{
    tenv *e = g_env;
    return e ? e->client : NULL;
}

durable__ckpt_worker *durable__tenv_worker(void)
{
    tenv *e = g_env;
    return e ? e->worker : NULL;
}

bool durable__tenv_is_file(void)
{
    tenv *e = g_env;
    return e && strcmp(e->cfg.db_path, ":memory:") != 0;
}

/* The server, for the engine-side files of the runner. */
durable_server *durable__tenv_server(void)
{
    tenv *e = g_env;
    return e ? e->server : NULL;
}

static int not_setup(const char *what)
{
    return durable__error_set(DURABLE_ENOTSETUP,
                              "EnvironmentNotSetUp: %s needs the test environment; call "
                              "durable_test_env_setup() first",
                              what);
}

int durable__tenv_acquire(void)
{
    durable__tenv_lock();
    if (!g_env) {
        durable__tenv_unlock();
        return not_setup("the runner");
    }
    g_env->active_runs++;
    durable__tenv_unlock();
    return 0;
}

void durable__tenv_release(void)
{
    durable__tenv_lock();
    if (g_env && g_env->active_runs > 0)
        g_env->active_runs--;
    durable__tenv_unlock();
}

uint64_t durable__tenv_seq(void)
{
    durable__tenv_lock();
    uint64_t s = g_seq;
    durable__tenv_unlock();
    return s;
}

void durable__tenv_notify(void)
{
    durable__tenv_lock();
    g_seq++;
    pthread_cond_broadcast(&g_cond);
    durable__tenv_unlock();
}

uint64_t durable__tenv_notify_since(uint64_t seen)
{
    durable__tenv_lock();
    bool others = g_seq != seen;
    g_seq++;
    uint64_t base = others ? seen : g_seq;
    pthread_cond_broadcast(&g_cond);
    durable__tenv_unlock();
    return base;
}

uint64_t durable__tenv_wait(uint64_t seen, int64_t deadline_ms)
{
    durable__tenv_lock();
    while (g_seq == seen) {
        if (deadline_ms < 0) {
            pthread_cond_wait(&g_cond, &g_lock);
            continue;
        }
        int64_t now = durable__mono_ms();
        if (now >= deadline_ms)
            break;
        struct timespec ts = { (time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L };
        if (pthread_cond_timedwait(&g_cond, &g_lock, &ts) == ETIMEDOUT)
            break;
    }
    uint64_t s = g_seq;
    durable__tenv_unlock();
    return s;
}

void durable__tenv_set_hold(bool hold)
{
    durable__tenv_lock();
    bool changed = g_hold != hold;
    g_hold = hold;
    if (changed) {
        g_seq++;
        pthread_cond_broadcast(&g_cond);
    }
    durable__tenv_unlock();
}

bool durable__tenv_held(void)
{
    durable__tenv_lock();
    bool h = g_hold;
    durable__tenv_unlock();
    return h;
}

static durable__waiter *g_waiters;

void durable__tenv_waiter_add(durable__waiter *w)
{
    durable__tenv_lock();
    w->checked = 0;
    w->next = g_waiters;
    g_waiters = w;
    if (g_hold) {
        g_hold = false; /* a change: wake a run waiting on the hold */
        g_seq++;
        pthread_cond_broadcast(&g_cond);
    }
    durable__tenv_unlock();
}

void durable__tenv_waiter_checked(durable__waiter *w, uint64_t seq, bool hold)
{
    durable__tenv_lock();
    w->checked = seq;
    if (hold)
        g_hold = true;
    pthread_cond_broadcast(&g_cond);
    durable__tenv_unlock();
}

void durable__tenv_waiter_remove(durable__waiter *w)
{
    durable__tenv_lock();
    for (durable__waiter **p = &g_waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    pthread_cond_broadcast(&g_cond);
    durable__tenv_unlock();
}

static bool waiters_behind(void)
{
    for (durable__waiter *w = g_waiters; w; w = w->next)
        if (w->checked < g_seq)
            return true;
    return false;
}

void durable__tenv_quiesce(int64_t deadline_ms)
{
    durable__tenv_lock();
    while (waiters_behind()) {
        int64_t now = durable__mono_ms();
        if (now >= deadline_ms)
            break;
        struct timespec ts = { (time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L };
        if (pthread_cond_timedwait(&g_cond, &g_lock, &ts) == ETIMEDOUT)
            break;
    }
    durable__tenv_unlock();
}

int64_t durable__tenv_now(void)
{
    tenv *e = g_env;
    if (!e)
        return 0;
    return e->vclock ? durable_clock_now(durable_vclock_clock(e->vclock))
                     : durable_clock_now(durable_clock_real());
}

void durable__tenv_advance_to(int64_t when_ms)
{
    tenv *e = g_env;
    if (e && e->vclock)
        durable_vclock_advance_to(e->vclock, when_ms);
}

const durable_clock *durable__tenv_clock(void)
{
    tenv *e = g_env;
    return e && e->vclock ? durable_vclock_clock(e->vclock) : NULL;
}

/* Skipped so far (for forked children). */
int64_t durable__tenv_offset(void)
{
    tenv *e = g_env;
    return e && e->vclock ? durable_vclock_offset(e->vclock) : 0;
}

int durable__tenv_advance(int64_t delta_ms)
{
    tenv *e = g_env;
    if (!e)
        return not_setup("durable_test_env_advance_clock");
    if (!e->vclock)
        return durable__error_set(DURABLE_ESTATE,
                                  "durable_test_env_advance_clock: skip_time is off (real clock)");
    if (delta_ms < 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_env_advance_clock: delta %lld ms is negative",
                                  (long long)delta_ms);
    durable_vclock_advance(e->vclock, delta_ms);
    durable__tenv_notify();
    return 0;
}

/* ---- engine calls for the SDK-side files ----------------------------------- */

#define NEED_SERVER(what)                                                                    \
    durable_server *srv = durable__tenv_server();                                            \
    if (!srv)                                                                                \
        return not_setup(what)

int durable__tenv_list_operations(durable_operation_list *out, const char *arn)
{
    NEED_SERVER("listing operations");
    return durable_server_list_operations(out, srv, arn);
}

int durable__tenv_get_operation(durable_operation *out, const char *arn, const char *op_id)
{
    NEED_SERVER("reading an operation");
    return durable_server_get_operation(out, srv, arn, op_id);
}

int durable__tenv_execution_status(durable_exec_status *out, const char *arn)
{
    NEED_SERVER("reading an execution");
    durable_execution_state st;
    memset(&st, 0, sizeof st);
    int rc = durable_server_execution_state(&st, srv, arn);
    if (rc == 0)
        *out = st.status;
    durable_execution_state_clear(&st);
    return rc;
}

/* Callback errors carry the engine's SPEC text; prefix the seed's wording
 * and the id so a failing test says which callback. */
static int callback_rc(int rc, const char *callback_id)
{
    if (rc >= 0)
        return rc;
    const char *kind = "Checkpoint server error";
    switch (rc) {
    case DURABLE_ENOTFOUND: kind = "Callback not found"; break;
    case DURABLE_ECALLBACK_DONE: kind = "Callback already completed"; break;
    case DURABLE_ECALLBACK_TIMEOUT: kind = "Callback timed out"; break;
    case DURABLE_ECLOSED: kind = "Execution is not running"; break;
    case DURABLE_EINVAL: kind = "Invalid callback request"; break;
    default: break;
    }
    durable__error_prefix("%s: %s", kind, callback_id ? callback_id : "(null)");
    return rc;
}

int durable__tenv_callback_success(const char *callback_id, const char *result, size_t len)
{
    NEED_SERVER("sending a callback");
    int rc = durable_server_callback_success(srv, callback_id, result, len);
    if (rc == 0)
        durable__tenv_notify();
    return callback_rc(rc, callback_id);
}

int durable__tenv_callback_failure(const char *callback_id, const durable_error_object *error)
{
    NEED_SERVER("sending a callback");
    int rc = durable_server_callback_failure(srv, callback_id, error);
    if (rc == 0)
        durable__tenv_notify();
    return callback_rc(rc, callback_id);
}

int durable__tenv_callback_heartbeat(const char *callback_id)
{
    NEED_SERVER("sending a callback");
    int rc = durable_server_callback_heartbeat(srv, callback_id);
    if (rc == 0)
        durable__tenv_notify();
    return callback_rc(rc, callback_id);
}
