/*
 * load — the load and soak test of `durable serve` (issue 15, `make load`).
 *
 * Starts `durable serve` as a child process on a WAL file in a temporary
 * folder, with one function (tools/load/load_fn.c, a C custom runtime:
 * steps, a 1-second wait, a callback answered by the clients, a failure),
 * and drives it from N client threads over loopback HTTP (load_client.c:
 * RequestResponse and Event Invokes, GetDurableExecution, history, list,
 * callback heartbeat/succeed/fail, and deliberate 404/409s).
 *
 * Phases: warm-up (clients for W s, then every execution they started is
 * finished and checked, their connections closed, and the idle function
 * processes left to end: --idle-timeout) → measure the server from outside
 * (/proc: RSS, open fds, threads, processes of the run) → the run (clients
 * for S s, the same drain and settle; --rounds N repeats it, a soak that
 * prints the figures after every round) → measure again → SIGTERM.
 * Under ASan or TSan the RSS check means nothing (their allocators keep
 * freed memory); every other check holds.
 *
 * Checks (any failing one makes the exit status 1):
 *   failed == 0      every request got the status it should (2xx, or the
 *                    404/409 of a deliberate negative request) and a body
 *                    that says what it should; no transport error;
 *   executions       every Event execution ended as its input says (result,
 *                    or the callback's error), none left open;
 *   RSS              end <= warm + max(10 %, 8 MiB);
 *   fds              |end - warm| <= 2;
 *   threads          end == warm;
 *   processes        no function process left after the idle timeout, and
 *                    none at all once the server exited (status 0) on SIGTERM.
 *
 * Bounded: loopback only (the server's URL must be http://127.0.0.1:…),
 * --requests caps the requests that start new work, every phase has a
 * deadline, and a watchdog ends the whole run past its time.
 *
 * Last line: load: clients=… seconds=… requests=N failed=0 rss_warm_mb=…
 *   rss_end_mb=… fds_warm=… fds_end=… threads_warm=… threads_end=…
 */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

#define DRAIN_S 60       /* a phase's open executions must end within this */
#define STOP_WAIT_S 30   /* SIGTERM to exit */
#define RSS_SLACK_KB (8 * 1024)

typedef struct options {
    const char *durable, *function, *db;
    int clients, seconds, rounds, warmup, idle_ms, concurrency;
    long long requests;
    unsigned long long seed;
    bool keep;
} options;

static void usage(void)
{
    fprintf(stderr,
            "usage: load --durable PATH --function PATH [--clients N] [--seconds S]\n"
            "            [--rounds N] [--warmup S] [--requests N] [--db PATH] [--seed N]\n"
            "            [--idle-timeout MS] [--concurrency N] [--keep]\n");
}

static int parse(options *o, int argc, char **argv)
{
    *o = (options){NULL, NULL, NULL, 64, 60, 1, -1, 2000, 8, 5000000LL, 0, false};
    o->seed = (unsigned long long)time(NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--keep") == 0) {
            o->keep = true;
            continue;
        }
        if (!v) {
            usage();
            return -1;
        }
        i++;
        char *end = NULL;
        long long n = strtoll(v, &end, 10);
        bool num = *v && !*end && n >= 0;
        if (strcmp(a, "--durable") == 0)
            o->durable = v;
        else if (strcmp(a, "--function") == 0)
            o->function = v;
        else if (strcmp(a, "--db") == 0)
            o->db = v;
        else if (num && strcmp(a, "--clients") == 0 && n >= 1 && n <= 1024)
            o->clients = (int)n;
        else if (num && strcmp(a, "--seconds") == 0 && n >= 1 && n <= 86400)
            o->seconds = (int)n;
        else if (num && strcmp(a, "--rounds") == 0 && n >= 1 && n <= 64)
            o->rounds = (int)n;
        else if (num && strcmp(a, "--warmup") == 0 && n <= 3600)
            o->warmup = (int)n;
        else if (num && strcmp(a, "--requests") == 0 && n >= 1)
            o->requests = n;
        else if (num && strcmp(a, "--seed") == 0)
            o->seed = (unsigned long long)n;
        else if (num && strcmp(a, "--idle-timeout") == 0 && n >= 100 && n <= 60000)
            o->idle_ms = (int)n;
        else if (num && strcmp(a, "--concurrency") == 0 && n >= 1 && n <= 256)
            o->concurrency = (int)n;
        else {
            fprintf(stderr, "load: bad option %s %s\n", a, v);
            usage();
            return -1;
        }
    }
    if (!o->durable || !o->function) {
        usage();
        return -1;
    }
    if (o->warmup < 0) /* 10 s for the full run; a third of a short one */
        o->warmup = o->seconds >= 30 ? 10 : o->seconds / 3 > 2 ? o->seconds / 3 : 2;
    return 0;
}

/* ---- the watchdog: the run ends by itself, whatever hangs --------------------------- */

typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool done;
    int64_t deadline_ms;
    load_server *srv;
} watchdog;

static void *watch(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        int64_t left = w->deadline_ms - load_now_ms();
        if (left <= 0)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000 + 1;
        pthread_cond_timedwait(&w->cond, &w->mu, &ts);
    }
    bool fire = !w->done;
    pthread_mutex_unlock(&w->mu);
    if (fire) {
        fprintf(stderr, "load: the run is past its time limit: killing it\n");
        load_server_kill(w->srv);
        _exit(2);
    }
    return NULL;
}

/* ---- the peaks during a phase -------------------------------------------------------- */

typedef struct sampler {
    const load_server *srv;
    atomic_int stop;
    load_sample peak;
} sampler;

static void peak_of(load_sample *into, const load_sample *s)
{
    if (s->rss_kb > into->rss_kb)
        into->rss_kb = s->rss_kb;
    if (s->rss_anon_kb > into->rss_anon_kb)
        into->rss_anon_kb = s->rss_anon_kb;
    if (s->fds > into->fds)
        into->fds = s->fds;
    if (s->threads > into->threads)
        into->threads = s->threads;
    if (s->processes > into->processes)
        into->processes = s->processes;
}

static void *sample_loop(void *arg)
{
    sampler *p = arg;
    while (!atomic_load(&p->stop)) {
        load_sample s;
        if (load_server_sample(&s, p->srv) == 0)
            peak_of(&p->peak, &s);
        load_sleep_ms(500);
    }
    return NULL;
}

/* One phase of clients; the server's peaks go to *peak. */
static int run_phase(load_stats *st, load_sample *peak, const options *o,
                     const load_server *srv, const char *tag, int seconds, long long budget,
                     uint64_t seed)
{
    load_phase ph;
    memset(&ph, 0, sizeof ph);
    ph.url = srv->url;
    ph.run_tag = tag;
    ph.seed = seed;
    int64_t now = load_now_ms();
    atomic_init(&ph.end_ms, now + (int64_t)seconds * 1000);
    atomic_init(&ph.drain_end_ms, now + (int64_t)(seconds + DRAIN_S) * 1000);
    atomic_init(&ph.budget, budget);
    atomic_init(&ph.failures_printed, 0);
    sampler smp;
    memset(&smp, 0, sizeof smp);
    smp.srv = srv;
    atomic_init(&smp.stop, 0);
    pthread_t t;
    bool sampling = pthread_create(&t, NULL, sample_loop, &smp) == 0;
    int rc = load_clients_run(st, &ph, o->clients);
    if (sampling) {
        atomic_store(&smp.stop, 1);
        pthread_join(t, NULL);
    }
    *peak = smp.peak;
    return rc;
}

/* Wait until the idle function processes have ended and the server's
 * threads and fds stop changing, and are down to `target` threads when
 * given (at most max_ms), then sample. */
static int settle(load_sample *out, const load_server *srv, int max_ms, int target)
{
    int64_t deadline = load_now_ms() + max_ms;
    load_sample prev = {0}, cur = {0};
    int stable = 0;
    for (;;) {
        if (load_server_sample(&cur, srv) != 0)
            return -1;
        bool same = cur.threads == prev.threads && cur.fds == prev.fds;
        bool down = target <= 0 || cur.threads <= target;
        stable = cur.processes == 0 && same && down ? stable + 1 : 0;
        if (stable >= 4 || load_now_ms() > deadline)
            break;
        prev = cur;
        load_sleep_ms(250);
    }
    *out = cur;
    return 0;
}

/* ---- the report ---------------------------------------------------------------------- */

static void print_routes(const load_stats *st, int seconds)
{
    printf("%-34s %9s %7s %8s %8s %8s %8s\n", "route", "requests", "failed", "req/s", "p50 ms",
           "p99 ms", "max ms");
    for (int r = 0; r < LOAD_ROUTE_COUNT; r++) {
        const load_route_stats *x = &st->routes[r];
        printf("%-34s %9llu %7llu %8.1f %8.2f %8.2f %8.1f\n", load_route_names[r],
               (unsigned long long)x->requests, (unsigned long long)x->failed,
               (double)x->requests / seconds, load_stats_quantile_ms(x, 0.5),
               load_stats_quantile_ms(x, 0.99), (double)x->max_us / 1000.0);
    }
    printf("%-34s %9llu %7llu %8.1f\n", "total", (unsigned long long)load_stats_requests(st),
           (unsigned long long)load_stats_failed(st),
           (double)load_stats_requests(st) / seconds);
    printf("Event executions: started=%llu ended-as-expected=%llu wrong=%llu unfinished=%llu\n",
           (unsigned long long)st->executions_started,
           (unsigned long long)st->executions_checked, (unsigned long long)st->executions_bad,
           (unsigned long long)st->executions_unfinished);
}

static double mib(long kb)
{
    return (double)kb / 1024.0;
}

static bool executions_ok(const load_stats *st)
{
    return st->executions_bad == 0 && st->executions_unfinished == 0 &&
           st->executions_checked == st->executions_started;
}

static int write_functions(const char *path, const char *function)
{
    char abs[PATH_MAX];
    if (!realpath(function, abs)) {
        fprintf(stderr, "load: %s: %s\n", function, strerror(errno));
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"Workflow\": {\"Command\": \"exec '%s'\"}}\n", abs);
    return fclose(f) == 0 ? 0 : -1;
}

static void remove_work(const char *dir, const char *db, bool own_db)
{
    char p[PATH_MAX];
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; own_db && i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", db, sfx[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/functions.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/serve.log", dir);
    unlink(p);
    rmdir(dir);
}

/* What a run measured. */
typedef struct result {
    load_stats warm_stats, run_stats;
    load_sample at_start, peak_warm, warm, peak_run, end;
    int rounds_done;
    double run_wall_s, stop_s, clients_cpu_s;
    int rc, stopped, status, left;
} result;

static double cpu_s_of_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Warm-up, settle, measure; the rounds, each settled and measured; SIGTERM. */
static void run(result *r, const options *o, load_server *srv)
{
    memset(r, 0, sizeof *r);
    int settle_ms = o->idle_ms + 15000;
    load_server_sample(&r->at_start, srv);
    /* Execution names: unique per run and phase (the file may be reused). */
    char tag[48];
    unsigned long long salt = ((unsigned long long)time(NULL) * 2654435761ull) & 0xffffffffull;
    snprintf(tag, sizeof tag, "L%08llx-w", salt);
    if (o->warmup > 0)
        r->rc |= run_phase(&r->warm_stats, &r->peak_warm, o, srv, tag, o->warmup, o->requests,
                           o->seed);
    r->rc |= settle(&r->warm, srv, settle_ms, 0);
    double cpu0 = cpu_s_of_self();
    int64_t t0 = load_now_ms();
    long long budget = o->requests;
    for (int i = 0; i < o->rounds && budget > 0; i++) {
        load_sample peak;
        uint64_t before = load_stats_requests(&r->run_stats);
        snprintf(tag, sizeof tag, "L%08llx-r%d", salt, i + 1);
        r->rc |= run_phase(&r->run_stats, &peak, o, srv, tag, o->seconds, budget,
                           o->seed + 1 + (uint64_t)i);
        budget -= (long long)(load_stats_requests(&r->run_stats) - before);
        peak_of(&r->peak_run, &peak);
        r->rc |= settle(&r->end, srv, settle_ms, r->warm.threads);
        r->rounds_done++;
        if (o->rounds > 1)
            printf("round %d: %llu requests, %llu failed; RSS %.1f MiB (anonymous %.1f), fds %d, "
                   "threads %d\n",
                   i + 1, (unsigned long long)(load_stats_requests(&r->run_stats) - before),
                   (unsigned long long)load_stats_failed(&r->run_stats), mib(r->end.rss_kb),
                   mib(r->end.rss_anon_kb), r->end.fds, r->end.threads);
        fflush(stdout);
    }
    r->run_wall_s = (double)(load_now_ms() - t0) / 1000.0;
    r->clients_cpu_s = cpu_s_of_self() - cpu0;
    int64_t ts = load_now_ms();
    r->stopped = load_server_stop(srv, STOP_WAIT_S, &r->status);
    r->stop_s = (double)(load_now_ms() - ts) / 1000.0;
    for (int i = 0; i < 50 && (r->left = load_run_processes(srv->token, NULL)) > 0; i++)
        load_sleep_ms(100);
    if (r->left > 0) { /* counted as a failure; end them so nothing outlives the test */
        pid_t p = 0;
        load_run_processes(srv->token, &p);
        fprintf(stderr, "load: %d process(es) of the run outlived the server, e.g. pid %d; killing them\n",
                r->left, (int)p);
        load_server_kill(srv);
    }
}

/* The report and the verdict. */
static bool report(const result *r, const options *o)
{
    const load_stats *w = &r->warm_stats, *st = &r->run_stats;
    printf("\nwarm-up: %d s, %llu requests, %llu failed; executions %llu/%llu as expected\n",
           o->warmup, (unsigned long long)load_stats_requests(w),
           (unsigned long long)load_stats_failed(w), (unsigned long long)w->executions_checked,
           (unsigned long long)w->executions_started);
    int seconds = o->seconds * (r->rounds_done ? r->rounds_done : 1);
    printf("\nrun: %d clients for %d s (%.1f s with the drains and settles)\n", o->clients, seconds,
           r->run_wall_s);
    print_routes(st, seconds);
    printf("CPU in the run: server %.1f s, ended function processes %.1f s, clients %.1f s\n",
           (double)(r->end.cpu_ms - r->warm.cpu_ms) / 1000.0,
           (double)(r->end.child_cpu_ms - r->warm.child_cpu_ms) / 1000.0, r->clients_cpu_s);

    const load_sample *a = &r->at_start, *pw = &r->peak_warm, *wm = &r->warm,
                      *pr = &r->peak_run, *e = &r->end;
    long slack = wm->rss_kb / 10 > RSS_SLACK_KB ? wm->rss_kb / 10 : RSS_SLACK_KB;
    long rss_limit = wm->rss_kb + slack;
    bool rss_ok = e->rss_kb <= rss_limit;
    bool fds_ok = e->fds >= wm->fds - 2 && e->fds <= wm->fds + 2;
    bool thr_ok = e->threads == wm->threads;
    bool proc_ok = wm->processes == 0 && e->processes == 0;
    bool exit_ok = r->stopped == 0 && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
    bool left_ok = r->left == 0;
    printf("\nserver (from /proc)   %9s %9s %9s %9s %9s   %s\n", "start", "peak", "warm", "peak",
           "end", "limit");
    printf("RSS MiB               %9.1f %9.1f %9.1f %9.1f %9.1f   <= %.1f (warm + max(10%%, 8 MiB)) %s\n",
           mib(a->rss_kb), mib(pw->rss_kb), mib(wm->rss_kb), mib(pr->rss_kb), mib(e->rss_kb),
           mib(rss_limit), rss_ok ? "ok" : "FAILED");
    printf("  of which anonymous  %9.1f %9.1f %9.1f %9.1f %9.1f\n", mib(a->rss_anon_kb),
           mib(pw->rss_anon_kb), mib(wm->rss_anon_kb), mib(pr->rss_anon_kb), mib(e->rss_anon_kb));
    printf("open fds              %9d %9d %9d %9d %9d   warm ± 2 %s\n", a->fds, pw->fds, wm->fds,
           pr->fds, e->fds, fds_ok ? "ok" : "FAILED");
    printf("threads               %9d %9d %9d %9d %9d   == warm %s\n", a->threads, pw->threads,
           wm->threads, pr->threads, e->threads, thr_ok ? "ok" : "FAILED");
    printf("function processes    %9d %9d %9d %9d %9d   0 after %d ms idle %s\n", a->processes,
           pw->processes, wm->processes, pr->processes, e->processes, o->idle_ms,
           proc_ok ? "ok" : "FAILED");
    if (r->stopped == 0)
        printf("SIGTERM: exited %s %d in %.1f s %s; processes of the run left: %d %s\n",
               WIFEXITED(r->status) ? "with status" : "by signal",
               WIFEXITED(r->status) ? WEXITSTATUS(r->status) : WTERMSIG(r->status), r->stop_s,
               exit_ok ? "ok" : "FAILED", r->left, left_ok ? "ok" : "FAILED");
    else
        printf("SIGTERM: no exit within %d s FAILED\n", STOP_WAIT_S);
    return r->rc == 0 && load_stats_failed(w) + load_stats_failed(st) == 0 &&
           executions_ok(w) && executions_ok(st) && rss_ok && fds_ok && thr_ok && proc_ok &&
           exit_ok && left_ok;
}

int main(int argc, char **argv)
{
    options o;
    if (parse(&o, argc, argv) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    char dir[] = "/tmp/durable-load-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("load: mkdtemp");
        return 2;
    }
    char db[PATH_MAX], fns[PATH_MAX];
    snprintf(db, sizeof db, "%s/load.db", dir);
    if (o.db)
        snprintf(db, sizeof db, "%s", o.db);
    snprintf(fns, sizeof fns, "%s/functions.json", dir);
    if (write_functions(fns, o.function) != 0)
        return 2;

    load_server srv;
    if (load_server_start(&srv, o.durable, db, fns, dir, o.idle_ms, o.concurrency) != 0)
        return 2;
    printf("load: %d clients, %d x %d s after a %d s warm-up, seed %llu, %s (pid %d, file %s)\n",
           o.clients, o.rounds, o.seconds, o.warmup, o.seed, srv.url, (int)srv.pid, db);
    fflush(stdout);

    /* The whole run ends by itself, whatever hangs. */
    watchdog wd = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, &srv};
    int64_t phase_max_s = DRAIN_S + (o.idle_ms + 15000) / 1000 + 5;
    wd.deadline_ms = load_now_ms() + ((int64_t)o.warmup + (int64_t)o.rounds * o.seconds +
                                      (int64_t)(o.rounds + 1) * phase_max_s + STOP_WAIT_S + 60) *
                                         1000;
    pthread_t wt;
    if (pthread_create(&wt, NULL, watch, &wd) != 0) {
        load_server_kill(&srv);
        return 2;
    }
    static result r;
    run(&r, &o, &srv);
    pthread_mutex_lock(&wd.mu);
    wd.done = true;
    pthread_cond_signal(&wd.cond);
    pthread_mutex_unlock(&wd.mu);
    pthread_join(wt, NULL);

    bool ok = report(&r, &o);
    if (!ok || o.keep)
        printf("kept for a look: %s (server log %s)\n", dir, srv.log_path);
    else
        remove_work(dir, db, o.db == NULL);
    printf("load: clients=%d seconds=%d requests=%llu failed=%llu rss_warm_mb=%.1f "
           "rss_end_mb=%.1f fds_warm=%d fds_end=%d threads_warm=%d threads_end=%d\n",
           o.clients, o.seconds * (r.rounds_done ? r.rounds_done : 1),
           (unsigned long long)(load_stats_requests(&r.warm_stats) +
                                load_stats_requests(&r.run_stats)),
           (unsigned long long)(load_stats_failed(&r.warm_stats) + load_stats_failed(&r.run_stats)),
           mib(r.warm.rss_kb), mib(r.end.rss_kb), r.warm.fds, r.end.fds, r.warm.threads,
           r.end.threads);
    curl_global_cleanup();
    return ok ? 0 : 1;
}
