/*
 * Engine internals shared by the src/engine/ files (not API).
 *
 * Every public engine call runs as:
 *     int rc = durable__eng_begin(e, write);      // error state cleared, now fixed
 *     ... work, each helper returning 0 or a negative code ...
 *     return durable__eng_end(e, rc);              // commit on 0, else roll back
 * One call has one `now` (e->now): every timestamp it writes is that instant.
 *
 * Helpers that reject a request call durable__eng_fail() with the SPEC text
 * and where it happened; helpers that hit a store/model failure just return
 * its code (the thread-local last error carries the message) and
 * durable__eng_end adopts it.
 *
 * An execution is handled through eng_exec: its row's bookkeeping columns are
 * loaded once per call, changed in memory and written back by
 * durable__exec_save. Operations go through eng_op the same way.
 */
#ifndef DURABLE_SRC_ENGINE_INTERNAL_H
#define DURABLE_SRC_ENGINE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "durable/engine.h"
#include "durable/ids.h"
#include "model/internal.h"
#include "store/internal.h"

struct durable_engine {
    durable_store *store;
    const durable_clock *clock;
    char *region;
    char *account;
    durable_engine_options opts;
    int64_t now;     /* the instant of the current call */
    int errcode;
    char *errmsg;    /* "<where>: <text>" */
    char *errtext;   /* SPEC text only */
    bool ops_dirty;  /* this call wrote operations (no state caching) */
    bool armed_due;  /* a save armed a timer due at or before now (timers.c) */
    struct durable__state_cache *cache;
    /* Operations this call wrote (execution row, start_seq, the operation
     * as its row reads back), in write order: with the undelivered rows
     * they are the checkpoint delta (SPEC §7.3), and on commit they bring
     * the state cache up to date, neither reading the rows again. */
    struct eng_written {
        int64_t exec_rowid, start_seq;
        durable_operation op;
    } *written;
    size_t written_count, written_cap;
    /* The last token minted or decoded and what it holds: decoding is a pure
     * function of the text, so an inbound token equal to it is not decoded
     * again (validity is still checked against the stored execution). */
    struct eng_token_cache {
        char *text;
        durable_token fields;
    } token;
    /* The executions UPDATE per set of changed bookkeeping columns (exec_row.c). */
    char **exec_sql;
    /* The execution row kept between write calls (exec_memo.c); NULL until
     * the first write call. */
    struct durable__exec_memo *memo;
};

/* ---- call frame, errors (engine.c) ---- */
int durable__eng_begin(durable_engine *e, bool write);
int durable__eng_end(durable_engine *e, int rc);
/* Reject: text is the exact SPEC text; where (printf, may be NULL) says where. */
int durable__eng_fail(durable_engine *e, int code, const char *text, const char *where_fmt, ...)
    DURABLE__PRINTF(4, 5);

/* ---- SQLite helpers (engine_db.c) ---- */
int durable__db_prepare(durable_engine *e, sqlite3_stmt **out, const char *sql);
/* Step expecting SQLITE_DONE; resets the statement. */
int durable__db_done(durable_engine *e, sqlite3_stmt *st, const char *what);
/* Step: 1 = a row, 0 = done (statement reset), < 0 = error (reset). */
int durable__db_row(durable_engine *e, sqlite3_stmt *st, const char *what);
void durable__db_reset(sqlite3_stmt *st);
int durable__db_text(sqlite3_stmt *st, int col, const char *text);       /* NULL binds NULL */
/* Without a copy: text must stay valid until the statement is reset
 * (durable__db_done, or durable__db_row's last row / durable__db_reset). */
int durable__db_text_static(sqlite3_stmt *st, int col, const char *text);
int durable__db_i64(sqlite3_stmt *st, int col, int64_t v);
int durable__db_i64_or_null(sqlite3_stmt *st, int col, int64_t v);     /* 0 binds NULL */
char *durable__col_dup(sqlite3_stmt *st, int col);                      /* NULL for NULL */
int64_t durable__col_i64(sqlite3_stmt *st, int col);                    /* 0 for NULL */
bool durable__col_null(sqlite3_stmt *st, int col);
/* Error object <-> compact JSON text (NULL <-> NULL). */
int durable__error_json(char **out, const durable_error_object *err);
int durable__error_parse(durable_error_object **out, const char *text);
/* A new error object; NULL fields stay absent. */
int durable__error_make(durable_error_object **out, const char *type, const char *message);
bool durable__utf8_valid(const char *s, size_t len);
/* Every text of an error object (type, message, data, stack trace) is UTF-8:
 * stored errors are JSON that history and state reads parse again, so one
 * invalid byte would make the execution unreadable. NULL is valid. */
bool durable__error_utf8_valid(const durable_error_object *err);
#define DURABLE__ERROR_UTF8_TEXT "Error object must be valid UTF-8."

/* ---- executions (exec_row.c) ---- */
typedef struct eng_exec {
    int64_t rowid;
    char *arn;
    char *op_id;
    char *function_name;
    char *qualifier;
    char *execution_name;
    char *tenant_id;
    int64_t parent_rowid; /* 0 = none */
    char *parent_op_id;
    durable_exec_status status;
    int64_t start_ms;
    int64_t end_ms;
    int64_t timeout_seconds;
    int64_t deadline_ms;  /* 0 = disarmed */
    int64_t token_seq;
    char *inflight;       /* in-flight invocation id; NULL = idle */
    bool needs_invocation;
    int64_t change_seq;
    int64_t delivered_seq;
    int64_t last_event_id;
    int64_t last_start_seq;
    bool terminal_pending;
    int failed_invocations;
    int64_t retry_ms;        /* 0 = none */
    int64_t inv_deadline_ms; /* 0 = none */
    /* Start of the in-flight invocation when this call already read its
     * open row (invocation.c), so closing it need not read it again; 0 = not read. */
    int64_t inflight_start_ms;
    /* The indexed or rarely changing columns as last loaded or saved, so a
     * save that changed only the counters rewrites just those (no index of
     * executions is touched by an ordinary checkpoint). */
    struct eng_exec_cold {
        durable_exec_status status;
        int64_t end_ms, deadline_ms, retry_ms, inv_deadline_ms;
        bool needs_invocation, terminal_pending;
        int failed_invocations;
        char *inflight;
    } stored;
    /* The counters as last loaded or saved. */
    int64_t stored_counters[5];
    /* The ClientToken record (SPEC §7.2) the next save writes in its own
     * UPDATE of the row (durable__idem_store sets it; NULL texts clear the
     * record): no statement of its own. response is owned, the tokens are
     * borrowed from the request. */
    struct eng_exec_idem {
        bool write;
        const char *client_token, *inbound;
        char *response;
    } idem;
    /* The record's key as loaded (owned; NULL without a record): a
     * checkpoint whose ClientToken and token do not match it needs no
     * lookup of the stored response. */
    struct {
        char *client_token, *inbound;
    } idem_stored;
    /* The engine whose memo may keep this row when it is cleared (a write
     * call's load, exec_memo.c); NULL otherwise. */
    durable_engine *memo;
} eng_exec;

/* Finding one execution by its ARN (exec_find.c), selecting the caller's
 * columns: [0] through the UNIQUE (function_name, qualifier,
 * execution_name) index, whose keys are about a third of the ARN's (a
 * 10^6-execution file: 4 levels instead of 6, a quarter of the pages); the
 * unary + keeps the planner off the arn index while the comparison keeps
 * the exact match. [1] through the arn index, when [0] finds nothing. */
#define DURABLE__EXEC_BY_ARN(columns)                                                      \
    {"SELECT " columns " FROM executions WHERE function_name = ?2 AND qualifier = ?3 AND " \
     "execution_name = ?4 AND +arn = ?1",                                                  \
     "SELECT " columns " FROM executions WHERE arn = ?1"}
/* Step a DURABLE__EXEC_BY_ARN pair for arn (NULL finds nothing): 1 = the
 * row (*st holds it; read its columns, then durable__db_reset), 0 = none,
 * < 0 = error. arn is bound without a copy: it must outlive the row. */
int durable__exec_find(durable_engine *e, sqlite3_stmt **st, const char *const sql[2],
                       const char *arn, const char *what);
/* DURABLE_ENOTFOUND (engine error set) when unknown. */
int durable__exec_load(durable_engine *e, eng_exec *x, const char *arn);
int durable__exec_load_rowid(durable_engine *e, eng_exec *x, int64_t rowid);
/* The rowid of arn's execution without loading it: 1 found (*out set), 0
 * none, < 0 error. The caller words the refusal (its code and where). */
int durable__exec_rowid(durable_engine *e, int64_t *out, const char *arn);
/* Write the columns that changed since the load (or the last save), and
 * x->idem when set. */
int durable__exec_save(durable_engine *e, eng_exec *x);
void durable__exec_sql_clear(durable_engine *e);
/* Frees x's strings, or hands x to its engine's memo when it was loaded by
 * a write call and holds no unsaved change. */
void durable__exec_clear(eng_exec *x);

/* ---- the execution row kept between write calls (exec_memo.c) ---- */
/* A call's transaction began: forget the previous call's row, and for a
 * write call the kept one when the file changed since. */
void durable__exec_memo_begin(durable_engine *e, bool write);
/* A write call's load of arn (or, arn NULL, of rowid): true when x was
 * filled from the kept row, which is then x's (no statement ran). */
bool durable__exec_memo_take(durable_engine *e, eng_exec *x, const char *arn, int64_t rowid);
/* x was just read from the file by this call: it may be kept when cleared. */
void durable__exec_memo_loaded(durable_engine *e, eng_exec *x);
/* From durable__exec_clear: true when x (clean: no unsaved change) was
 * taken as this call's row; x is then zeroed. */
bool durable__exec_memo_park(eng_exec *x, bool clean);
/* The call committed (in a group: its savepoint was released). */
void durable__exec_memo_committed(durable_engine *e);
/* A group's transaction committed. */
void durable__exec_memo_group_committed(durable_engine *e);
/* A call or a group rolled back: nothing kept holds. */
void durable__exec_memo_forget(durable_engine *e);
void durable__exec_memo_free(durable_engine *e);
/* Insert a new RUNNING execution with its EXECUTION operation and event 1.
 * arn: the ARN it is known by, whose function, qualifier, name and op_id
 * parts are the other arguments (a chained target keeps the region and
 * account of the function ARN its parent named, as the parent's history
 * says); NULL builds it with the engine's region and account. */
int durable__exec_create(durable_engine *e, eng_exec *x, const char *arn,
                         const char *function_name, const char *qualifier,
                         const char *execution_name, const char *op_id,
                         const char *input_payload, int64_t timeout_seconds,
                         const char *tenant_id, int64_t parent_rowid, const char *parent_op_id);
/* A trigger (§8.5): the execution needs one more invocation. */
void durable__exec_trigger(eng_exec *x);

/* ---- operations (op_row.c) ---- */
typedef struct eng_op {
    durable_operation op;
    bool exists;          /* stored, or created earlier in this batch */
    bool in_db;           /* the row is in the table (else the next write inserts) */
    bool defer;           /* op_save keeps the change in memory: a later save of
                             the same batch writes the row once */
    durable_op_status stored_status;
    int64_t start_seq;
    int64_t wait_seconds; /* WAIT Duration */
    int64_t timer_ms;     /* armed timer; 0 = none */
} eng_op;

void durable__eop_init(eng_op *o);
void durable__eop_clear(eng_op *o);
/* Load (exists = false and op zeroed when not stored). */
int durable__op_load(durable_engine *e, eng_op *o, const eng_exec *x, const char *op_id);
/* Insert or update (guarded by the stored status, so a concurrent change is
 * caught). Stamps last_changed_seq; engine_change marks it undelivered.
 * With o->defer set only the bookkeeping happens; the row is written by the
 * next save without defer. */
int durable__op_save(durable_engine *e, eng_exec *x, eng_op *o, bool engine_change);
/* The row's engine change has been seen by a handler. By primary key: an
 * UPDATE that searches the undelivered index while clearing its column
 * makes SQLite collect the rows in a temporary table first, even when no
 * row matches. */
int durable__op_mark_delivered(durable_engine *e, const eng_exec *x, const char *op_id);
/* Forgets the operations the call wrote (e->written). */
void durable__written_clear(durable_engine *e);
/* Column list and row decoder shared by every operation query. */
#define DURABLE__OP_COLUMNS                                                                 \
    "op_id, parent_id, name, type, subtype, status, start_ms, end_ms, input_payload, "     \
    "replay_children, attempt, next_attempt_ms, scheduled_end_ms, callback_id, result, "   \
    "error, start_seq, wait_seconds, timer_ms"
int durable__op_from_row(eng_op *o, sqlite3_stmt *st);
/* Approximate encoded size, for page byte caps. */
size_t durable__op_size(const durable_operation *op);

/* ---- history (history.c) ---- */
/* Event of `type` with envelope (Id/Name/SubType/ParentId) from op (NULL for
 * Execution* and InvocationCompleted). Caller fills details, then appends. */
void durable__event_prepare(durable_event *ev, durable_event_type type,
                            const durable_operation *op);
/* Append with the next EventId and e->now; clears ev. */
int durable__history_append(durable_engine *e, eng_exec *x, durable_event *ev);
/* Row (event_id, event_type, timestamp_ms, op_id, name, subtype, parent_id,
 * details) into an event. */
int durable__event_from_row(durable_event *out, sqlite3_stmt *st);

/* ---- tokens and idempotency (engine_tokens.c) ---- */
int durable__token_check(durable_engine *e, const eng_exec *x, const char *token);
int durable__token_mint(char **out, durable_engine *e, const eng_exec *x);
void durable__token_cache_clear(durable_engine *e);
/* 1 and *out filled when (client_token, inbound) is the stored pair. */
int durable__idem_lookup(durable_engine *e, durable_checkpoint_response *out,
                         const eng_exec *x, const char *client_token, const char *inbound);
/* Sets x->idem: the record (or its clearing) goes with x's next save. */
int durable__idem_store(eng_exec *x, const char *client_token, const char *inbound,
                        const durable_checkpoint_response *resp);

/* ---- validation (validate.c) ---- */
/* absent (NULL, or one flag per update): set for an update whose operation
 * is neither stored nor created earlier in the batch, so applying it needs
 * no lookup. */
int durable__validate_batch(durable_engine *e, const eng_exec *x,
                            const durable_checkpoint_request *req, bool *absent);

/* ---- processors (the apply_ files) ---- */
int durable__apply_step(durable_engine *e, eng_exec *x, eng_op *o,
                        const durable_operation_update *u);
int durable__apply_wait(durable_engine *e, eng_exec *x, eng_op *o,
                        const durable_operation_update *u);
int durable__apply_callback(durable_engine *e, eng_exec *x, eng_op *o,
                            const durable_operation_update *u);
int durable__apply_context(durable_engine *e, eng_exec *x, eng_op *o,
                           const durable_operation_update *u);
int durable__apply_invoke(durable_engine *e, eng_exec *x, eng_op *o,
                          const durable_operation_update *u);
int durable__apply_execution(durable_engine *e, eng_exec *x, const durable_operation_update *u);
/* Set the metadata of a newly created operation from its first update. */
int durable__op_create_from(durable_engine *e, eng_exec *x, eng_op *o,
                            const durable_operation_update *u, durable_op_status status);
int durable__op_set_error(eng_op *o, const durable_error_object *err);
int durable__op_set_result(eng_op *o, const char *payload);

/* ---- closing executions (execution_close.c) ---- */
/* Close x: status, result/error on the row, EXECUTION operation, timers
 * disarmed. defer_event: the terminal event waits for InvocationCompleted
 * (§6.7); otherwise it is appended now and a parent chained invoke is
 * completed. */
int durable__exec_close(durable_engine *e, eng_exec *x, durable_exec_status status,
                        const char *result, const durable_error_object *err, bool defer_event);
/* Append the deferred terminal event (§8.3 step 3). */
int durable__exec_flush_terminal(durable_engine *e, eng_exec *x);
/* Stop / timeout (§8.6): close the in-flight invocation, then close. */
int durable__exec_abort(durable_engine *e, eng_exec *x, durable_exec_status status,
                        const durable_error_object *err);
/* Close the in-flight invocation row + InvocationCompleted. */
int durable__invocation_close(durable_engine *e, eng_exec *x, const char *outcome,
                              const durable_error_object *err);

/* ---- invocations (invocation.c) ---- */
/* End the in-flight invocation with an output or an invocation error and
 * apply §8.3/§8.4 (deferred terminal event, output validation, backoff,
 * failure budget). */
int durable__invocation_end(durable_engine *e, eng_exec *x, const durable_invocation_output *output,
                            const durable_error_object *inv_error);

/* ---- chained invokes (chained_invoke.c) ---- */
/* A child execution closed: complete the parent's CHAINED_INVOKE. */
int durable__chained_child_closed(durable_engine *e, const eng_exec *child);
/* Parse FunctionName into its bare name, qualifier and region/account. */
int durable__function_resolve(char **name, char **qualifier, char **region, char **account,
                              const char *function_name);
/* CANCEL of a CHAINED_INVOKE: stop the child if running, mark done. */
int durable__chained_cancel(durable_engine *e, const eng_exec *parent, const char *op_id,
                            const durable_error_object *err);

/* ---- state (delta_state.c) and deltas (delta.c) ---- */
/* A page of pruned state after start sequence `after` (0 = from the start).
 * *next_after = the last included start_seq when more remain, else 0. */
int durable__state_page(durable_engine *e, const eng_exec *x, int64_t after, int64_t max_items,
                        size_t byte_cap, durable_operation_list *out, int64_t *next_after);
/* Operations changed since the watermark; advances it, clears undelivered. */
int durable__delta(durable_engine *e, eng_exec *x, durable_operation_list *out);

/* ---- state cache (state_cache.c) ---- */
typedef struct durable__state_cache durable__state_cache;
/* Decoded operations of x in start order, current as of x->change_seq,
 * with their start_seq and durable__op_size; borrowed until the next cache
 * call. Only for calls with !e->ops_dirty. */
int durable__state_cache_get(durable_engine *e, const eng_exec *x, const durable_operation **ops,
                             const int64_t **seqs, const size_t **sizes, size_t *count);
/* Operation `id` of x as of x->change_seq, from the cache alone: 1 with
 * *op (borrowed until the next cache call), 0 when x has no such operation,
 * DURABLE__CACHE_UNKNOWN when the cache cannot tell without reading rows
 * (then ask the database). Only for calls with !e->ops_dirty. */
#define DURABLE__CACHE_UNKNOWN 2
int durable__state_cache_find(durable_engine *e, const eng_exec *x, const char *id,
                              const durable_operation **op);
void durable__state_cache_free(durable__state_cache *sc);
/* The call's frame: begin forgets the moves of an earlier (rolled back)
 * call; note_move records that this call moved an execution's change_seq
 * (exec_row.c, on save); committed applies the moves and the rows the call
 * wrote (e->written) to the cached entries. */
void durable__state_cache_begin(durable_engine *e);
void durable__state_cache_note_move(durable_engine *e, int64_t rowid, int64_t from, int64_t to);
void durable__state_cache_committed(durable_engine *e);

/* ---- markers (markers.c) ---- */
int durable__marker_encode(char **out, const char *k1, int64_t v1, const char *k2, int64_t v2);
/* DURABLE_EMARKER "Invalid marker" when it does not decode or lacks a key;
 * k2 may be NULL. */
int durable__marker_decode(durable_engine *e, const char *marker, const char *k1, int64_t *v1,
                           const char *k2, int64_t *v2);

/* ---- small string set (strset.c) ---- */
typedef struct durable__eng_strset {
    char **slots;
    size_t cap;
    size_t count;
} durable__eng_strset;
int durable__eng_strset_add(durable__eng_strset *s, const char *key); /* copies */
bool durable__eng_strset_has(const durable__eng_strset *s, const char *key);
void durable__eng_strset_clear(durable__eng_strset *s);

#define DURABLE__PAGE_BYTE_CAP ((size_t)5 * 1024 * 1024)

#endif
