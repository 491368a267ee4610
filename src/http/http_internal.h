/* The HTTP front's internals: the server, one request's context, the
 * function registry, the scheduler and the function processes. */
#ifndef DURABLE_HTTP_INTERNAL_H
#define DURABLE_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "durable/clock.h"
#include "durable/context.h"
#include "durable/engine.h"
#include "durable/http.h"
#include "durable/server.h"
#include "http/sigv4.h"

#include <cjson/cJSON.h>

/* Largest request body read (Invoke's 6 MiB payload plus slack); a larger
 * one answers 413 RequestTooLargeException without being kept. */
#define DURABLE__HTTP_MAX_BODY (6 * 1024 * 1024 + 64 * 1024)
/* Invoke's payload limit (Lambda's synchronous invocation payload). */
#define DURABLE__HTTP_MAX_INVOKE_PAYLOAD (6 * 1024 * 1024)

/* ---- one request ---------------------------------------------------------- */

typedef struct durable__hq {
    char *key;   /* percent-decoded */
    char *value; /* percent-decoded */
} durable__hq;

#define DURABLE__HTTP_MAX_RESP_HEADERS 8

typedef struct durable__hreq {
    char *raw_uri;          /* as received: path and query, still percent-encoded */
    char *body;
    size_t body_len, body_cap;
    bool started;           /* the headers-only first call was seen */
    bool too_large;
    bool answered;
} durable__hreq;

/* libmicrohttpd glue shared by the public port and the Runtime API ports:
 * the URI-log callback keeps the raw URI (before any decoding) as the
 * request's state; the completion callback frees it. */
void *durable__hreq_new(void *cls, const char *uri, struct MHD_Connection *conn);
void durable__hreq_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe);
/* Feed one access-handler call: 1 = the body is complete (answer now), 0 =
 * return MHD_YES and wait for more, < 0 = out of memory (MHD_NO). A body
 * over max is dropped and flagged too_large. */
int durable__hreq_collect(durable__hreq *r, const char *data, size_t *size, size_t max);

typedef struct durable__hctx {
    durable_http_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *raw_path;   /* borrowed from the request (path part, encoded) */
    char **seg;             /* decoded path segments */
    size_t nseg;
    durable__hq *query;
    size_t nquery;
    const char *body;
    size_t body_len;
    /* the answer */
    int status;
    char *resp_body;        /* durable_malloc'ed */
    size_t resp_len;
    const char *content_type;
    char *hname[DURABLE__HTTP_MAX_RESP_HEADERS];
    char *hvalue[DURABLE__HTTP_MAX_RESP_HEADERS];
    size_t nheaders;
    char request_id[40];
} durable__hctx;

/* Split the raw path on '/', then percent-decode each segment (HTTP_API.md
 * §5: an ARN arrives as one segment with its '/' encoded). *out and its
 * strings are freed with durable__http_strv_free. DURABLE_EINVAL for a bad
 * escape. */
int durable__http_split_path(char ***out, size_t *count, const char *raw_path);
void durable__http_strv_free(char **v, size_t n);
/* Percent-decode len bytes (plus_space: '+' is a space, form style). The
 * result may hold NUL bytes; *out_len its length. */
int durable__http_pct_decode(char **out, size_t *out_len, const char *s, size_t len,
                             bool plus_space);
/* Parse a raw query string into decoded pairs. */
int durable__http_parse_query(durable__hq **out, size_t *count, const char *raw);
void durable__http_query_free(durable__hq *q, size_t n);

/* The first value of key in the query; NULL if absent. */
const char *durable__http_query(const durable__hctx *c, const char *key);
/* A request header (case-insensitive); NULL if absent. */
const char *durable__http_header(const durable__hctx *c, const char *name);

/* Answers. Each replaces any answer set before. */
int durable__http_add_header(durable__hctx *c, const char *name, const char *value);
void durable__http_reply_json(durable__hctx *c, int status, cJSON *body); /* takes body */
void durable__http_reply_text(durable__hctx *c, int status, const char *content_type,
                              const char *body, size_t len);
void durable__http_reply_error(durable__hctx *c, int status, const char *type,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The AWS-shaped error of an engine failure (code, durable_error_last()). */
void durable__http_reply_engine_error(durable__hctx *c, int code);

/* ---- routes ---------------------------------------------------------------- */

/* The Lambda durable API (HTTP_API.md §6.2 rows 1-9) and Invoke (row 10).
 * Each answers through c. */
void durable__route_checkpoint(durable__hctx *c, const char *arn);
void durable__route_state(durable__hctx *c, const char *arn);
void durable__route_get_execution(durable__hctx *c, const char *arn);
void durable__route_history(durable__hctx *c, const char *arn);
void durable__route_stop(durable__hctx *c, const char *arn);
void durable__route_list(durable__hctx *c, const char *function);
void durable__route_callback(durable__hctx *c, const char *callback_id, const char *verb);
void durable__route_invoke(durable__hctx *c, const char *function);

/* SigV4 (sigv4_gate.c): true when the request may proceed (no keys are
 * configured, or its signature verifies); otherwise answers 403
 * InvalidSignatureException and returns false. */
bool durable__sigv4_gate(durable__hctx *c, const char *raw_query);
/* Load the key table from opts (at start). */
int durable__sigv4_gate_load(durable_http_server *s);

/* Dispatch one request of the public port. */
void durable__http_route(durable__hctx *c);

/* ---- functions ---------------------------------------------------------------- */

typedef enum durable__fn_kind { DURABLE__FN_HANDLER = 1, DURABLE__FN_COMMAND } durable__fn_kind;

typedef struct durable__sandbox durable__sandbox;

/* One invocation handed to a function: made by the scheduler after
 * durable_engine_start_invocation. */
typedef struct durable__job {
    char *arn;
    char *invocation_id;
    char *function_arn;       /* for Lambda-Runtime-Invoked-Function-Arn */
    char *event;              /* the invocation event JSON (epoch ms) */
    durable_invocation_input input;
    int64_t deadline_ms;      /* real time */
} durable__job;

void durable__job_free(durable__job *j);

typedef struct durable__fn {
    char *name;
    durable__fn_kind kind;
    durable_handler_fn handler;
    void *user;
    char *command;
    char **env;
    size_t env_count;
    char *handler_name;
    int64_t execution_timeout_seconds;
    /* runtime, under srv->mu */
    int running;               /* invocations in flight */
    durable__sandbox *boxes;   /* COMMAND: live processes */
    int box_count;
} durable__fn;

/* ---- the server ------------------------------------------------------------------ */

/* A RequestResponse Invoke waiting for its execution to end. */
typedef struct durable__waiter {
    const char *arn;            /* borrowed from the waiting request */
    bool maybe_closed;          /* woken: read the status again */
    pthread_cond_t cv;
    struct durable__waiter *next;
} durable__waiter;

struct durable_http_server {
    durable_http_options opts;   /* strings below are owned copies */
    char *db_path, *host, *region, *account;
    char **auth_keys;
    size_t auth_key_count;
    char *auth_file;
    durable__sigv4_keys *keys;   /* NULL: any signature is accepted */
    durable__fn *fns;
    size_t fn_count;

    durable_server *engine;      /* the checkpoint server thread over the file */
    durable_vclock *vclock;      /* skip_time: the clock the engine reads */
    struct MHD_Daemon *daemon;
    int port;
    char url[96];
    bool started;
    bool stopping;

    pthread_mutex_t mu;
    pthread_cond_t changed;      /* broadcast on every state change we cause */
    uint64_t change_seq;
    durable__waiter *waiters;    /* blocked RequestResponse Invokes, under mu */
    pthread_t sched;
    bool sched_running;
    pid_t self_pid;
};

/* Find a registered function by bare name; NULL if none. */
durable__fn *durable__http_find_fn(durable_http_server *s, const char *name);
/* The same for the first len bytes of name (a slice of an ARN). */
durable__fn *durable__http_find_fn_n(durable_http_server *s, const char *name, size_t len);
/* Wake the scheduler and blocked Invokes (mu NOT held). */
void durable__http_notify(durable_http_server *s);
/* Wake the blocked Invokes of arn (NULL: all of them) to read their
 * execution's status again: it may have ended. Only these are woken, so a
 * change to one execution does not make every blocked Invoke ask the engine
 * (mu NOT held). */
void durable__http_exec_maybe_closed(durable_http_server *s, const char *arn);
/* After an invocation was completed, failed or crashed: log what it led to,
 * and wake the Invoke waiting for it when the execution ended. */
void durable__invocation_recorded(durable_http_server *s, const char *arn, int rc,
                                  const durable_invocation_outcome *o);
/* Log a line through opts.log (printf-style). */
void durable__http_log(durable_http_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parse "arn:aws:lambda:R:A:function:NAME[:Q][/...]" or "NAME[:Q]" into the
 * bare name (and qualifier, NULL when none). */
int durable__http_function_name(char **name, char **qualifier, const char *text);
/* The unqualified function ARN of a name. */
int durable__http_function_arn(char **out, const durable_http_server *s, const char *name);

/* The scheduler thread (scheduler.c). */
int durable__sched_start(durable_http_server *s);
void durable__sched_stop(durable_http_server *s);
/* Close what a dead server left in flight (at start). */
int durable__sched_recover(durable_http_server *s);

/* Run a job on fn (functions.c / sandbox.c). Called by the scheduler with
 * mu NOT held; the job is owned by the callee. */
int durable__fn_dispatch(durable_http_server *s, durable__fn *fn, durable__job *job,
                         durable__sandbox *box);
/* Whether fn can take one more invocation now (mu held). */
bool durable__fn_has_capacity(const durable_http_server *s, const durable__fn *fn);
/* The pid to record for fn's next invocation, starting a process when fn
 * has none idle (COMMAND); our own pid for HANDLER. mu NOT held. */
int durable__fn_reserve(durable_http_server *s, durable__fn *fn, pid_t *pid_out,
                        durable__sandbox **box_out);
/* One invocation of fn is over: fewer running, and the scheduler and
 * stop are told (mu NOT held). */
void durable__fn_release(durable_http_server *s, durable__fn *fn);
/* End every handler thread and process of every function (at stop). */
void durable__fn_stop_all(durable_http_server *s);
/* Periodic care (mu NOT held): end idle processes, kill those past their
 * invocation deadline. */
void durable__fn_tick(durable_http_server *s);

/* Finish an invocation: complete with the output JSON text, or fail with an
 * error object. Then notify. */
void durable__invocation_finish_output(durable_http_server *s, const char *arn,
                                       const char *invocation_id, const char *output,
                                       size_t len);
void durable__invocation_finish_error(durable_http_server *s, const char *arn,
                                      const char *invocation_id,
                                      const durable_error_object *err);

/* Sandboxes (sandbox.c). */
int durable__sandbox_spawn(durable_http_server *s, durable__fn *fn, durable__sandbox **out);
int durable__sandbox_assign(durable_http_server *s, durable__sandbox *b, durable__job *job);
bool durable__sandbox_idle(const durable__sandbox *b);
/* Claim an idle process of fn for the next invocation (mu NOT held); NULL
 * when none is idle. */
durable__sandbox *durable__sandbox_take_idle(durable_http_server *s, durable__fn *fn);
/* Give a claimed process back unused (its invocation did not start). */
void durable__sandbox_unclaim(durable_http_server *s, durable__sandbox *b);
pid_t durable__sandbox_pid(const durable__sandbox *b);
durable__sandbox *durable__sandbox_next(const durable__sandbox *b);
void durable__sandbox_kill_all(durable_http_server *s, durable__fn *fn);
void durable__sandbox_tick(durable_http_server *s, durable__fn *fn, int64_t now_real_ms);

int64_t durable__http_real_ms(void);

#endif
