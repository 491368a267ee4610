/*
 * The checkpoint worker (ckpt_worker.h): one thread, one job at a time.
 *
 * Jobs are numbered: `claimed` counts jobs handed over, `finished` jobs
 * that returned. A waiter waits for finished >= its ticket under the
 * worker's mutex, which the thread takes after the job returns, so the
 * job's memory accesses happen before the waiter goes on — the same
 * guarantee pthread_join gives, without a thread per job.
 *
 * Lock order: a batcher calls try_run with its own mutex held, so the
 * worker's mutex is only ever taken inside a batcher's; the thread drops
 * the worker's mutex before it runs a job (which takes the batcher's).
 */
#include <pthread.h>
#include <unistd.h>

#include "model/internal.h"
#include "sdk/ckpt_worker.h"

struct durable__ckpt_worker {
    pthread_mutex_t mu;
    pthread_cond_t cv_job;  /* to the thread: a job, or quit */
    pthread_cond_t cv_idle; /* from the thread: a job returned */
    pthread_t thread;
    pid_t pid;              /* the process whose thread this is */
    int threads;            /* started so far: 0 or 1 */
    bool busy;              /* a job was handed over and has not returned */
    bool quit;
    void *(*fn)(void *);
    void *arg;
    uint64_t claimed, finished;
};

static void *worker_main(void *arg)
{
    durable__ckpt_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && w->finished == w->claimed)
            pthread_cond_wait(&w->cv_job, &w->mu);
        if (w->finished == w->claimed)
            break; /* quit, and no job left */
        void *(*fn)(void *) = w->fn;
        void *job = w->arg;
        pthread_mutex_unlock(&w->mu);
        fn(job);
        pthread_mutex_lock(&w->mu);
        w->fn = NULL;
        w->arg = NULL;
        w->finished = w->claimed;
        w->busy = false;
        pthread_cond_broadcast(&w->cv_idle);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int durable__ckpt_worker_new(durable__ckpt_worker **out)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable__ckpt_worker_new: out is NULL");
    *out = NULL;
    durable__ckpt_worker *w = durable__calloc(1, sizeof *w);
    if (!w)
        return durable__error_oom();
    bool mu = pthread_mutex_init(&w->mu, NULL) == 0;
    bool cj = mu && pthread_cond_init(&w->cv_job, NULL) == 0;
    bool ci = cj && pthread_cond_init(&w->cv_idle, NULL) == 0;
    if (!ci) {
        if (cj)
            pthread_cond_destroy(&w->cv_job);
        if (mu)
            pthread_mutex_destroy(&w->mu);
        durable_free(w);
        return durable__error_set(DURABLE_ERROR,
                                  "durable__ckpt_worker_new: cannot create the worker's locks");
    }
    w->pid = getpid();
    *out = w;
    return 0;
}

void durable__ckpt_worker_free(durable__ckpt_worker *w)
{
    if (!w)
        return;
    if (w->pid != getpid()) {
        /* A forked child: the thread does not exist here and the locks may
         * have been copied held, so only the memory is ours to free. */
        durable_free(w);
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    bool joinable = w->threads > 0;
    pthread_mutex_unlock(&w->mu);
    /* Signalled after unlocking: woken under mu it would block on mu. */
    pthread_cond_signal(&w->cv_job);
    if (joinable)
        pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv_job);
    pthread_cond_destroy(&w->cv_idle);
    pthread_mutex_destroy(&w->mu);
    durable_free(w);
}

bool durable__ckpt_worker_try_run(durable__ckpt_worker *w, void *(*fn)(void *), void *arg,
                                  uint64_t *ticket)
{
    if (!w || !fn || !ticket || w->pid != getpid())
        return false;
    pthread_mutex_lock(&w->mu);
    bool ok = !w->busy && !w->quit;
    if (ok && w->threads == 0) {
        ok = pthread_create(&w->thread, NULL, worker_main, w) == 0;
        w->threads += ok;
    }
    if (ok) {
        w->busy = true;
        w->fn = fn;
        w->arg = arg;
        *ticket = ++w->claimed;
    }
    pthread_mutex_unlock(&w->mu);
    if (ok)
        pthread_cond_signal(&w->cv_job);
    return ok;
}

void durable__ckpt_worker_wait(durable__ckpt_worker *w, uint64_t ticket)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    while (w->finished < ticket)
        pthread_cond_wait(&w->cv_idle, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

uint64_t durable__ckpt_worker_served(durable__ckpt_worker *w)
{
    if (!w)
        return 0;
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->finished;
    pthread_mutex_unlock(&w->mu);
    return n;
}

int durable__ckpt_worker_threads(durable__ckpt_worker *w)
{
    if (!w)
        return 0;
    pthread_mutex_lock(&w->mu);
    int n = w->threads;
    pthread_mutex_unlock(&w->mu);
    return n;
}
