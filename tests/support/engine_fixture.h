/*
 * Test helpers for the engine suites (not API). Header-only (static inline)
 * because tests/support sources are linked into every suite, including the
 * model suites that do not link the engine.
 *
 * ef_open gives an engine on ":memory:" with a FIXED virtual clock starting
 * at EF_T0 (2026-01-01T00:00:00Z), so timestamps are exact.
 */
#ifndef DURABLE_TESTS_ENGINE_FIXTURE_H
#define DURABLE_TESTS_ENGINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "durable/clock.h"
#include "durable/engine.h"
#include "durable/ids.h"
#include "durable/model.h"
#include "durable/store.h"
#include "model/internal.h"
#include "store/internal.h"
#include "support/testutil.h"

#define EF_T0 1767225600000LL

typedef struct ef {
    durable_vclock *vc;
    durable_store *store;
    durable_engine *eng;
    char *arn;
    char *inv;   /* current invocation id */
    char *token; /* current checkpoint token */
} ef;

static inline void ef_open_opts(ef *f, const durable_engine_options *opts)
{
    memset(f, 0, sizeof *f);
    CU_ASSERT_FATAL(durable_vclock_new(&f->vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    CU_ASSERT_FATAL(durable_store_open(&f->store, ":memory:", NULL) == 0);
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    o.clock = durable_vclock_clock(f->vc);
    CU_ASSERT_FATAL(durable_engine_open(&f->eng, f->store, &o) == 0);
}

static inline void ef_open(ef *f)
{
    ef_open_opts(f, NULL);
}

/* An engine on the database file at path (created if create), FIXED clock
 * at start_ms: for suites that make a file for another program (the CLI) to
 * read. */
static inline void ef_open_file(ef *f, const char *path, bool create, int64_t start_ms)
{
    memset(f, 0, sizeof *f);
    CU_ASSERT_FATAL(durable_vclock_new(&f->vc, DURABLE_VCLOCK_FIXED, start_ms) == 0);
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.create = create;
    CU_ASSERT_FATAL(durable_store_open(&f->store, path, &so) == 0);
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    o.clock = durable_vclock_clock(f->vc);
    CU_ASSERT_FATAL(durable_engine_open(&f->eng, f->store, &o) == 0);
}

static inline void ef_close(ef *f)
{
    durable_engine_close(f->eng);
    durable_store_close(f->store);
    durable_vclock_free(f->vc);
    durable_free(f->arn);
    durable_free(f->inv);
    durable_free(f->token);
    memset(f, 0, sizeof *f);
}

static inline void ef_advance(ef *f, int64_t ms)
{
    durable_vclock_advance(f->vc, ms);
}

static inline int64_t ef_now(ef *f)
{
    return durable_clock_now(durable_vclock_clock(f->vc));
}

/* Start an invocation of f->arn; keeps its id and token. in may be NULL. */
static inline int ef_invoke_in(ef *f, durable_invocation_input *in)
{
    durable_invocation_input local = {0};
    durable_invocation_input *use = in ? in : &local;
    char *inv = NULL;
    int rc = durable_engine_start_invocation(use, &inv, f->eng, f->arn, 0);
    if (rc == 0) {
        durable_free(f->inv);
        durable_free(f->token);
        f->inv = inv;
        f->token = durable__strdup(use->checkpoint_token);
    }
    durable_invocation_input_clear(&local);
    return rc;
}

static inline int ef_invoke(ef *f)
{
    return ef_invoke_in(f, NULL);
}

/* Start an execution (input may be NULL) and its first invocation. */
static inline void ef_start(ef *f, const char *input)
{
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.input_payload = input;
    CU_ASSERT_FATAL(durable_engine_start_execution(&f->arn, NULL, f->eng, "fn", &o) == 0);
    CU_ASSERT_FATAL(ef_invoke(f) == 0);
}

/* Checkpoint with the current token; on success the returned token becomes
 * current. resp may be NULL. */
static inline int ef_cp_full(ef *f, durable_operation_update *u, size_t n, const char *client_token,
                             durable_checkpoint_response *resp)
{
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = f->arn;
    req.checkpoint_token = f->token;
    req.updates = u;
    req.update_count = n;
    req.client_token = (char *)client_token;
    durable_checkpoint_response local = {0};
    durable_checkpoint_response *use = resp ? resp : &local;
    int rc = durable_engine_checkpoint(use, f->eng, &req);
    if (rc == 0 && use->checkpoint_token) {
        durable_free(f->token);
        f->token = durable__strdup(use->checkpoint_token);
    }
    durable_checkpoint_response_clear(&local);
    return rc;
}

static inline int ef_cp(ef *f, durable_operation_update *u, size_t n,
                        durable_checkpoint_response *resp)
{
    return ef_cp_full(f, u, n, NULL, resp);
}

static inline int ef_complete(ef *f, durable_invocation_status status, const char *result,
                              durable_invocation_outcome *out)
{
    durable_invocation_output o = {0};
    o.status = status;
    o.result = (char *)result;
    return durable_engine_complete_invocation(out, f->eng, f->arn, f->inv, &o);
}

/* An update for positional path `path` (id = md5 prefix). */
static inline void ef_upd(durable_operation_update *u, durable_op_type type,
                          durable_op_action action, const char *path)
{
    char id[DURABLE_OP_ID_LEN + 1];
    durable_op_id(id, path);
    durable_operation_update_init(u);
    u->id = durable__strdup(id);
    u->type = type;
    u->action = action;
}

static inline void ef_wait(durable_operation_update *u, const char *path, int64_t seconds)
{
    ef_upd(u, DURABLE_OP_WAIT, DURABLE_ACTION_START, path);
    u->options = DURABLE_OPTIONS_WAIT;
    u->wait_seconds = seconds;
    u->subtype = durable__strdup("Wait");
}

static inline void ef_retry(durable_operation_update *u, const char *path, int64_t delay,
                            const char *err_type)
{
    ef_upd(u, DURABLE_OP_STEP, DURABLE_ACTION_RETRY, path);
    u->options = DURABLE_OPTIONS_STEP;
    u->next_attempt_delay_seconds = delay;
    if (err_type)
        durable_error_object_new(&u->error, err_type, "boom", NULL);
}

static inline void ef_callback(durable_operation_update *u, const char *path, int64_t timeout,
                               int64_t heartbeat)
{
    ef_upd(u, DURABLE_OP_CALLBACK, DURABLE_ACTION_START, path);
    u->options = DURABLE_OPTIONS_CALLBACK;
    u->timeout_seconds = timeout;
    u->heartbeat_timeout_seconds = heartbeat;
}

static inline void ef_clear_updates(durable_operation_update *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        durable_operation_update_clear(&u[i]);
}

/* Apply one update (cleared afterwards); returns the checkpoint status. */
static inline int ef_cp1(ef *f, durable_operation_update *u)
{
    int rc = ef_cp(f, u, 1, NULL);
    durable_operation_update_clear(u);
    return rc;
}

/* Id of path into a static buffer (valid until the next call). */
static inline const char *ef_id(const char *path)
{
    static char id[DURABLE_OP_ID_LEN + 1];
    durable_op_id(id, path);
    return id;
}

/* Every row of every table of a connection, ordered, as one string
 * (malloc; free()). */
static inline char *ef_dump_db(sqlite3 *db)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    buf[0] = 0;
    sqlite3_stmt *tables;
    sqlite3_prepare_v2(db,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite_%' ORDER BY name",
                       -1, &tables, NULL);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1, 2", t);
        sqlite3_stmt *rows;
        if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(rows) == SQLITE_ROW) {
            int n = sqlite3_column_count(rows);
            for (int i = -1; i < n; i++) {
                const char *v = i < 0 ? t
                                      : sqlite3_column_type(rows, i) == SQLITE_NULL
                                            ? "<null>"
                                            : (const char *)sqlite3_column_text(rows, i);
                size_t vl = strlen(v);
                while (len + vl + 4 > cap) {
                    cap *= 2;
                    buf = realloc(buf, cap);
                }
                memcpy(buf + len, v, vl);
                len += vl;
                buf[len++] = i + 1 == n ? '\n' : '|';
                buf[len] = 0;
            }
        }
        sqlite3_finalize(rows);
    }
    sqlite3_finalize(tables);
    return buf;
}

static inline char *ef_dump(ef *f)
{
    return ef_dump_db(durable__store_db(f->store));
}

/* Pages the store's connection has fetched since the last call (SQLite's
 * pager statistics, hits + misses: unlike time, they do not depend on the
 * machine's load; on :memory: every fetch is a hit); resets the counts. */
static inline long ef_pages_read(durable_store *s)
{
    sqlite3 *db = durable__store_db(s);
    int cur = 0, hi = 0;
    long n = 0;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &cur, &hi, 1);
    n += cur;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1);
    return n + cur;
}

/* Full history (with data) of f->arn. */
static inline int ef_history(ef *f, durable_history_response *out)
{
    durable_history_request req = {0};
    req.durable_execution_arn = f->arn;
    req.include_execution_data = true;
    req.max_items = 1000;
    return durable_engine_get_history(out, f->eng, &req);
}

/* "ExecutionStarted,StepStarted,..." of f->arn (malloc; free()). */
static inline char *ef_history_types(ef *f)
{
    durable_history_response h = {0};
    if (ef_history(f, &h) != 0)
        return strdup("<error>");
    size_t cap = 64 + h.count * 32;
    char *s = malloc(cap);
    s[0] = 0;
    for (size_t i = 0; i < h.count; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, durable_event_type_name(h.events[i].type));
    }
    durable_history_response_clear(&h);
    return s;
}

static inline int ef_get_op(ef *f, const char *path, durable_operation *op)
{
    return durable_engine_get_operation(op, f->eng, f->arn, ef_id(path));
}

#define EF_ASSERT_TYPES(f, expected)                                                    \
    do {                                                                                \
        char *types_ = ef_history_types(f);                                             \
        if (strcmp(types_, expected) != 0)                                              \
            fprintf(stderr, "\n  history: %s\n  expected: %s\n", types_, expected);     \
        CU_ASSERT_STRING_EQUAL(types_, expected);                                       \
        free(types_);                                                                   \
    } while (0)

#endif
