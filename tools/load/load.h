/*
 * The load and soak test of `durable serve` (issue 15): shared types of
 * tools/load/ — the server child and its measurements (load_server.c), the
 * HTTP clients (load_client.c) and the run (load.c).
 */
#ifndef DURABLE_LOAD_H
#define DURABLE_LOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the server child ------------------------------------------------------------ */

/* One look at the server from outside, through /proc. */
typedef struct load_sample {
    long rss_kb;      /* VmRSS */
    long rss_anon_kb; /* RssAnon: the heap and stacks (the rest maps files: code, the -shm) */
    int fds;       /* entries of /proc/PID/fd */
    int threads;   /* Threads of /proc/PID/status */
    int processes; /* other processes of the run: its functions, zombies included */
    long cpu_ms;       /* CPU time of the server (user + system) */
    long child_cpu_ms; /* ... and of its ended function processes */
} load_sample;

typedef struct load_server {
    pid_t pid;
    int out_fd;         /* its stdout, read for the URL */
    char token[40];     /* LOAD_RUN=<token> marks every process of the run */
    char url[64];       /* http://127.0.0.1:PORT */
    char log_path[512]; /* its stderr */
} load_server;

/* Start `durable serve DB --listen 127.0.0.1:0 --functions FNS ...` with
 * LOAD_RUN=<token> in its environment (inherited by its function
 * processes) and wait for its URL, which must be a loopback one. 0 or -1
 * (the reason printed). */
int load_server_start(load_server *s, const char *durable, const char *db, const char *fns,
                      const char *dir, int idle_timeout_ms, int concurrency);

/* RSS, fds, threads of the server and how many other processes of the run
 * live (found by the LOAD_RUN token in /proc/PID/environ). -1 if the
 * server is gone. */
int load_server_sample(load_sample *out, const load_server *s);

/* Processes of the run still alive (the server included, if alive). */
int load_run_processes(const char *token, pid_t *first);

/* SIGTERM, then wait up to wait_s for the exit. *status gets the wait
 * status; returns -1 (after SIGKILLing the whole run) when it did not
 * exit in time. */
int load_server_stop(load_server *s, int wait_s, int *status);

/* SIGKILL the server and every process of the run (the emergency exit). */
void load_server_kill(load_server *s);

/* ---- the clients ------------------------------------------------------------------ */

typedef enum load_route {
    LOAD_INVOKE_SYNC,      /* RequestResponse, steps only: 200 + the result */
    LOAD_INVOKE_SYNC_WAIT, /* RequestResponse over a 1-s wait: 200 + the result */
    LOAD_INVOKE_SYNC_FAIL, /* RequestResponse of a failing execution: 200 + Unhandled */
    LOAD_INVOKE_EVENT,     /* Event (waits, callbacks), some named: 202 + the ARN */
    LOAD_INVOKE_DUPLICATE, /* Event with a name already used: 409 (deliberate) */
    LOAD_GET_EXECUTION,    /* GetDurableExecution: 200 */
    LOAD_GET_HISTORY,      /* GetDurableExecutionHistory: 200, EventIds 1..n */
    LOAD_LIST,             /* ListDurableExecutionsByFunction: 200 */
    LOAD_CALLBACK_HEARTBEAT,
    LOAD_CALLBACK_SUCCEED,
    LOAD_CALLBACK_FAIL,
    LOAD_GET_UNKNOWN,      /* GetDurableExecution of an ARN never made: 404 (deliberate) */
    LOAD_CALLBACK_UNKNOWN, /* succeed on a callback id never made: 404 (deliberate) */
    LOAD_ROUTE_COUNT
} load_route;

extern const char *const load_route_names[LOAD_ROUTE_COUNT];

#define LOAD_LAT_BUCKETS 128

typedef struct load_route_stats {
    uint64_t requests;
    uint64_t failed;
    uint64_t max_us;
    uint64_t lat[LOAD_LAT_BUCKETS]; /* log2 buckets, 4 per power of two */
} load_route_stats;

typedef struct load_stats {
    load_route_stats routes[LOAD_ROUTE_COUNT];
    uint64_t executions_started;  /* by Event Invoke; each must end as its input says */
    uint64_t executions_checked;  /* ended as expected */
    uint64_t executions_bad;      /* ended otherwise */
    uint64_t executions_unfinished; /* still open when the drain time ran out */
} load_stats;

void load_stats_add(load_stats *into, const load_stats *from);
uint64_t load_stats_requests(const load_stats *s);
uint64_t load_stats_failed(const load_stats *s);
/* The latency (ms) under which a fraction q of the route's requests fell. */
double load_stats_quantile_ms(const load_route_stats *r, double q);

/* What every client of a phase shares. */
typedef struct load_phase {
    const char *url;
    const char *run_tag;      /* in execution names, unique per run */
    uint64_t seed;
    atomic_llong end_ms;       /* monotonic ms: no new work after this */
    atomic_llong drain_end_ms; /* monotonic ms: give up on open executions */
    atomic_llong budget;      /* requests left before no new work is started */
    atomic_int failures_printed;
} load_phase;

/* Run `clients` clients until the phase ends and their executions are
 * checked; sums their statistics into *out. 0, or -1 if a client could not
 * be started. */
int load_clients_run(load_stats *out, load_phase *phase, int clients);

int64_t load_now_ms(void);
void load_sleep_ms(int ms);

#endif /* DURABLE_LOAD_H */
