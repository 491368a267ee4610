/* The background WAL checkpointer (wal_checkpointer.h): the writer's WAL
 * hook, the thread and its connection. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "store/store_impl.h"

struct durable__walckpt {
    char *path; /* the database file, as SQLite resolved it */
    char *vfs;  /* the writer's VFS, so both connections see the file alike */
    int busy_timeout_ms;

    /* Owned by the writer's thread (the hook and the store's calls). */
    int last_frames; /* the WAL's size at the previous commit */
    int next_wake;   /* wake the thread when the WAL reaches this size */
    bool fallback;   /* the thread failed: the writer checkpoints itself */
    long wakes;
    long writer_passes;

    /* failed, readable by the hook without the mutex: after a failure the
     * writer takes over at its next commit past the threshold. */
    atomic_bool gave_up;

    pthread_mutex_t mu;
    pthread_cond_t wake_cv; /* the thread waits here for work or stop */
    pthread_cond_t idle_cv; /* pause waits here for a pass to end */
    /* Guarded by mu. */
    bool started, stop, wake, paused, running, failed;
    sqlite3 *db; /* the thread's connection; opened on the thread */
    long passes, busy;
    int log_frames, backfilled;
    int code;
    char errmsg[512];
    pthread_t thread;

    /* Every checkpointer of the process, for fork (guarded by all_mu). */
    durable__walckpt *all_prev, *all_next;
};

/* fork() while a pass runs would give the child SQLite's process-wide state
 * as the thread left it mid-pass: a mutex it held (SQLite's allocator's,
 * the file's shared-memory one) stays locked for ever in the child, and
 * the child's connections to the file see the pass's checkpoint and read
 * locks held by a connection that no longer runs there. Crash isolation
 * (src/testing/invoke.c) forks a child that opens its own store on the
 * file, and hung in sqlite3_malloc. So fork waits for any pass under way
 * to end (holding each checkpointer's mutex, no pass starts) and the child
 * starts from a thread that is between passes; in the child no thread
 * exists, so a close there does not join one. */
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static durable__walckpt *all_list;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_rc;

static void fork_prepare(void)
{
    pthread_mutex_lock(&all_mu);
    for (durable__walckpt *c = all_list; c; c = c->all_next) {
        pthread_mutex_lock(&c->mu);
        while (c->running)
            pthread_cond_wait(&c->idle_cv, &c->mu);
    }
}

static void fork_parent(void)
{
    for (durable__walckpt *c = all_list; c; c = c->all_next)
        pthread_mutex_unlock(&c->mu);
    pthread_mutex_unlock(&all_mu);
}

static void fork_child(void)
{
    for (durable__walckpt *c = all_list; c; c = c->all_next) {
        c->started = false;
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&all_mu);
}

static void register_atfork(void)
{
    atfork_rc = pthread_atfork(fork_prepare, fork_parent, fork_child);
}

int durable__walckpt_atfork_register(void)
{
    pthread_once(&atfork_once, register_atfork);
    return atfork_rc == 0 ? 0 : durable__error_oom();
}

/* A connection that has not read the file yet has no WAL open, and SQLite's
 * checkpoint on it does nothing: its first read transaction opens the WAL. */
static int open_connection(durable__walckpt *c, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, c->vfs);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, c->busy_timeout_ms);
        rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL);
    }
    *out = db;
    return rc;
}

/* One pass on the thread, without the mutex. On failure msg gets SQLite's
 * message, copied at once. */
static int pass(durable__walckpt *c, sqlite3 **db, int *log, int *done, char *msg, size_t size)
{
    int rc;
    if (!*db && (rc = open_connection(c, db)) != SQLITE_OK) {
        snprintf(msg, size, "%s", *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close_v2(*db); /* the next pass opens afresh (after SQLITE_BUSY) */
        *db = NULL;
        return rc;
    }
    rc = sqlite3_wal_checkpoint_v2(*db, "main", SQLITE_CHECKPOINT_PASSIVE, log, done);
    if (rc != SQLITE_OK)
        snprintf(msg, size, "%s", sqlite3_errmsg(*db));
    return rc;
}

static void *run(void *arg)
{
    durable__walckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop && !c->failed) {
        if (!c->wake || c->paused) {
            pthread_cond_wait(&c->wake_cv, &c->mu);
            continue;
        }
        c->wake = false;
        c->running = true;
        sqlite3 *db = c->db;
        pthread_mutex_unlock(&c->mu);

        int log = -1, done = -1;
        char msg[400] = "";
        int rc = pass(c, &db, &log, &done, msg, sizeof msg);

        pthread_mutex_lock(&c->mu);
        c->db = db;
        c->running = false;
        c->passes++;
        if (rc == SQLITE_OK) {
            c->log_frames = log;
            c->backfilled = done;
        } else if ((rc & 0xff) == SQLITE_BUSY) {
            c->busy++; /* another checkpoint holds the lock: normal, the next wake retries */
        } else if (!c->stop) { /* an interrupt at stop is no failure */
            c->failed = true;
            c->code = DURABLE_EDB;
            snprintf(c->errmsg, sizeof c->errmsg, "%s: background WAL checkpoint: %s (%d)", c->path,
                     msg, rc);
            atomic_store(&c->gave_up, true);
        }
        pthread_cond_broadcast(&c->idle_cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Wake the thread, starting it the first time; with mu held. False when the
 * writer must checkpoint itself instead. */
static bool wake_locked(durable__walckpt *c)
{
    if (!c->failed && !c->started) {
        int e = pthread_create(&c->thread, NULL, run, c);
        if (e != 0) {
            c->failed = true;
            c->code = DURABLE_EIO;
            snprintf(c->errmsg, sizeof c->errmsg,
                     "%s: background WAL checkpoint: cannot start its thread: %s", c->path,
                     strerror(e));
            atomic_store(&c->gave_up, true);
        } else {
            c->started = true;
        }
    }
    if (c->failed)
        return false;
    c->wake = true;
    pthread_cond_signal(&c->wake_cv);
    return true;
}

static void writer_checkpoint(durable__walckpt *c, sqlite3 *db, const char *name)
{
    /* As SQLite's own autocheckpoint: BUSY (the thread's pass holds the
     * lock) and errors are left for the next commit to retry; the commit
     * itself has succeeded and must not report a failure. */
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    c->writer_passes++;
}

static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    durable__walckpt *c = arg;
    if (frames < c->last_frames) /* the WAL restarted from its first frame */
        c->next_wake = DURABLE__WALCKPT_THRESHOLD;
    c->last_frames = frames;
    if (!c->fallback && frames >= DURABLE__WALCKPT_THRESHOLD && atomic_load(&c->gave_up))
        c->fallback = true;
    if (c->fallback && frames >= DURABLE__WALCKPT_THRESHOLD) {
        writer_checkpoint(c, db, name);
        return SQLITE_OK;
    }
    if (frames >= DURABLE__WALCKPT_CAP) {
        /* The thread cannot keep up: the writer copies the rest itself.
         * Only one checkpoint runs at a time (the writer's would return
         * SQLITE_BUSY while a pass holds the lock), so it waits for a pass
         * under way to end, and drops a pending wake so that no new one
         * starts. The WAL then holds at most the cap and one commit. */
        pthread_mutex_lock(&c->mu);
        c->wake = false;
        while (c->running)
            pthread_cond_wait(&c->idle_cv, &c->mu);
        pthread_mutex_unlock(&c->mu);
        writer_checkpoint(c, db, name);
        return SQLITE_OK;
    }
    if (c->fallback || frames < c->next_wake)
        return SQLITE_OK;
    c->next_wake = frames + DURABLE__WALCKPT_THRESHOLD;
    pthread_mutex_lock(&c->mu);
    bool woken = wake_locked(c);
    pthread_mutex_unlock(&c->mu);
    if (woken) {
        c->wakes++;
    } else {
        c->fallback = true;
        writer_checkpoint(c, db, name);
    }
    return SQLITE_OK;
}

static void free_fields(durable__walckpt *c)
{
    durable_free(c->path);
    durable_free(c->vfs);
    durable_free(c);
}

int durable__walckpt_new(durable__walckpt **out, sqlite3 *db, int busy_timeout_ms)
{
    *out = NULL;
    sqlite3_vfs *vfs = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK)
        vfs = NULL;
    durable__walckpt *c = durable__calloc(1, sizeof *c);
    if (!c)
        return durable__error_oom();
    c->path = durable__strdup(sqlite3_db_filename(db, "main"));
    c->vfs = vfs ? durable__strdup(vfs->zName) : NULL;
    if (!c->path || (vfs && !c->vfs)) {
        free_fields(c);
        return durable__error_oom();
    }
    if (durable__walckpt_atfork_register() < 0) { /* fails only without memory */
        free_fields(c);
        return DURABLE_ENOMEM;
    }
    c->busy_timeout_ms = busy_timeout_ms;
    c->next_wake = DURABLE__WALCKPT_THRESHOLD;
    atomic_init(&c->gave_up, false);
    bool mu_ok = pthread_mutex_init(&c->mu, NULL) == 0;
    bool wake_ok = pthread_cond_init(&c->wake_cv, NULL) == 0;
    bool idle_ok = pthread_cond_init(&c->idle_cv, NULL) == 0;
    if (!mu_ok || !wake_ok || !idle_ok) {
        if (mu_ok)
            pthread_mutex_destroy(&c->mu);
        if (wake_ok)
            pthread_cond_destroy(&c->wake_cv);
        if (idle_ok)
            pthread_cond_destroy(&c->idle_cv);
        free_fields(c);
        return durable__error_set(DURABLE_EIO, "background WAL checkpoint: mutex setup failed");
    }
    pthread_mutex_lock(&all_mu);
    c->all_next = all_list;
    if (all_list)
        all_list->all_prev = c;
    all_list = c;
    pthread_mutex_unlock(&all_mu);
    /* Replaces SQLite's autocheckpoint, which is a WAL hook too. */
    sqlite3_wal_hook(db, on_commit, c);
    *out = c;
    return 0;
}

void durable__walckpt_free(durable__walckpt *c, sqlite3 *db)
{
    if (!c)
        return;
    if (db)
        sqlite3_wal_hook(db, NULL, NULL);
    /* Before taking c->mu: fork_prepare takes all_mu, then each mu. */
    pthread_mutex_lock(&all_mu);
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        all_list = c->all_next;
    if (c->all_next)
        c->all_next->all_prev = c->all_prev;
    pthread_mutex_unlock(&all_mu);
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    /* Thread-safe by design in SQLite; the connection is closed only below,
     * after the join. The store's own close runs the final checkpoint. */
    if (c->running && c->db)
        sqlite3_interrupt(c->db);
    pthread_cond_signal(&c->wake_cv);
    bool started = c->started;
    pthread_mutex_unlock(&c->mu);
    if (started)
        pthread_join(c->thread, NULL);
    if (c->db)
        sqlite3_close_v2(c->db);
    pthread_cond_destroy(&c->wake_cv);
    pthread_cond_destroy(&c->idle_cv);
    pthread_mutex_destroy(&c->mu);
    free_fields(c);
}

int durable__walckpt_status(const durable__walckpt *c)
{
    if (!c)
        return 0;
    durable__walckpt *m = (durable__walckpt *)c; /* the mutex is not part of the value */
    pthread_mutex_lock(&m->mu);
    int code = m->failed ? m->code : 0;
    pthread_mutex_unlock(&m->mu);
    return code;
}

const char *durable__walckpt_errmsg(const durable__walckpt *c)
{
    /* Written once, under the mutex, before failed is set; never again. */
    return durable__walckpt_status(c) ? c->errmsg : "";
}

void durable__walckpt_read_stats(const durable__walckpt *c, durable__walckpt_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    durable__walckpt *m = (durable__walckpt *)c;
    pthread_mutex_lock(&m->mu);
    out->started = m->started;
    out->running = m->running;
    out->passes = m->passes;
    out->busy = m->busy;
    out->log_frames = m->log_frames;
    out->backfilled = m->backfilled;
    pthread_mutex_unlock(&m->mu);
    out->wakes = m->wakes;
    out->writer_passes = m->writer_passes;
    out->wal_frames = m->last_frames;
}

void durable__walckpt_pause(durable__walckpt *c, bool paused)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->paused = paused;
    if (paused) {
        while (c->running)
            pthread_cond_wait(&c->idle_cv, &c->mu);
    } else {
        pthread_cond_signal(&c->wake_cv);
    }
    pthread_mutex_unlock(&c->mu);
}

durable__walckpt *durable__store_walckpt(durable_store *s)
{
    return s ? s->walckpt : NULL;
}

int durable_store_wal_checkpoint_status(const durable_store *s)
{
    return s ? durable__walckpt_status(s->walckpt) : 0;
}

const char *durable_store_wal_checkpoint_errmsg(const durable_store *s)
{
    return s ? durable__walckpt_errmsg(s->walckpt) : "";
}
