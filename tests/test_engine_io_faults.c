/*
 * I/O faults (issue 15 §3): a scripted workload (start an execution, an
 * invocation, checkpoints with a step, a wait and a callback, a state read,
 * PENDING, the wait firing, the callback answered, a second invocation with
 * another step, a history read, SUCCEEDED) runs on a WAL file through the
 * fault VFS (tests/support/fault_vfs.h), once for every N: the Nth write,
 * sync or read fails with SQLITE_IOERR or SQLITE_FULL. Then:
 *  - the engine call that met the fault fails with a clear error (a
 *    DURABLE_EDB whose message is SQLite's "disk I/O error" or "database or
 *    disk is full"), and no other call fails;
 *  - nothing half-written is visible: every table equals what it was before
 *    the call, through the same connection and through a new one, and
 *    PRAGMA integrity_check is ok;
 *  - with the fault gone the same call succeeds, on the same handles for
 *    even N and after closing and reopening the file for odd N, and the
 *    workload ends SUCCEEDED with the history of a run without faults.
 * A fault SQLite absorbs (the call succeeds) is counted, not an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/engine_fixture.h"
#include "support/fault_vfs.h"

typedef struct wl {
    char path[512];
    durable_vclock *vc;
    durable_store *store;
    durable_engine *eng;
    char *arn, *inv, *token, *cb_id;
    bool advanced;
} wl;

static int wl_open(wl *w, bool create)
{
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.create = create;
    so.sync_mode = DURABLE_SYNC_FULL; /* a sync per commit: more places to fail */
    /* The fault VFS numbers every I/O call in one unsynchronised counter: a
     * background WAL checkpoint would add calls from another thread at
     * moments the workload does not choose, so the Nth call would not be
     * the same call from run to run. The checkpointer's own faults are
     * tested in test_store_wal_checkpointer.c. */
    so.background_wal_checkpoint = false;
    int rc = durable_store_open(&w->store, w->path, &so);
    if (rc != 0)
        return rc;
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = durable_vclock_clock(w->vc);
    return durable_engine_open(&w->eng, w->store, &eo);
}

static void wl_close_handles(wl *w)
{
    durable_engine_close(w->eng);
    durable_store_close(w->store);
    w->eng = NULL;
    w->store = NULL;
}

static void wl_free(wl *w)
{
    wl_close_handles(w);
    durable_vclock_free(w->vc);
    durable_free(w->arn);
    durable_free(w->inv);
    durable_free(w->token);
    durable_free(w->cb_id);
    dt_remove_db(w->path);
}

static void take(char **slot, char *v)
{
    durable_free(*slot);
    *slot = v;
}

/* ---- the workload: each step changes w only when it succeeds ---------------- */

static int s_start(wl *w)
{
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "io-faults";
    o.input_payload = "{\"n\":1}";
    char *arn = NULL;
    int rc = durable_engine_start_execution(&arn, NULL, w->eng, "fn", &o);
    if (rc == 0)
        take(&w->arn, arn);
    return rc;
}

static int s_invoke(wl *w)
{
    durable_invocation_input in = {0};
    char *inv = NULL;
    int rc = durable_engine_start_invocation(&in, &inv, w->eng, w->arn, 0);
    if (rc == 0) {
        take(&w->inv, inv);
        take(&w->token, durable__strdup(in.checkpoint_token));
    }
    durable_invocation_input_clear(&in);
    return rc;
}

static int cp(wl *w, durable_operation_update *u, size_t n)
{
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = w->arn;
    req.checkpoint_token = w->token;
    req.updates = u;
    req.update_count = n;
    durable_checkpoint_response resp = {0};
    int rc = durable_engine_checkpoint(&resp, w->eng, &req);
    if (rc == 0)
        take(&w->token, durable__strdup(resp.checkpoint_token));
    durable_checkpoint_response_clear(&resp);
    ef_clear_updates(u, n);
    return rc;
}

static int step_succeeds(wl *w, const char *path)
{
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, path);
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, path);
    u[1].payload = durable__strdup("{\"ok\":true}");
    return cp(w, u, 2);
}

static int s_step1(wl *w) { return step_succeeds(w, "1"); }
static int s_step4(wl *w) { return step_succeeds(w, "4"); }

static int s_wait(wl *w)
{
    durable_operation_update u;
    ef_wait(&u, "2", 60);
    return cp(w, &u, 1);
}

static int s_callback(wl *w)
{
    durable_operation_update u;
    ef_callback(&u, "3", 3600, 0);
    return cp(w, &u, 1);
}

static int s_state(wl *w)
{
    durable_state_request req = {0};
    req.durable_execution_arn = w->arn;
    req.checkpoint_token = w->token;
    req.max_items = 2;
    durable_state_response resp = {0};
    int rc = durable_engine_get_state(&resp, w->eng, &req);
    durable_state_response_clear(&resp);
    return rc;
}

static int complete(wl *w, durable_invocation_status status, const char *result)
{
    durable_invocation_output o = {0};
    o.status = status;
    o.result = (char *)result;
    durable_invocation_outcome oc;
    int rc = durable_engine_complete_invocation(&oc, w->eng, w->arn, w->inv, &o);
    if (rc == 0) {
        take(&w->inv, NULL);
        take(&w->token, NULL);
    }
    return rc;
}

static int s_pending(wl *w) { return complete(w, DURABLE_INVOCATION_PENDING, NULL); }
static int s_succeed(wl *w) { return complete(w, DURABLE_INVOCATION_SUCCEEDED, "\"done\""); }

static int s_fire(wl *w)
{
    if (!w->advanced) {
        durable_vclock_advance(w->vc, 61000);
        w->advanced = true;
    }
    int fired = 0;
    return durable_engine_fire_due(&fired, w->eng);
}

static int s_answer(wl *w)
{
    if (!w->cb_id) {
        durable_callback_info_list l = {0};
        int rc = durable_engine_list_callbacks(&l, w->eng, w->arn);
        if (rc == 0 && l.count == 1)
            w->cb_id = durable__strdup(l.items[0].callback_id);
        durable_callback_info_list_clear(&l);
        if (rc < 0)
            return rc;
    }
    return durable_engine_callback_success(w->eng, w->cb_id, "\"answer\"", 8);
}

static int s_history(wl *w)
{
    durable_history_request req = {0};
    req.durable_execution_arn = w->arn;
    req.include_execution_data = true;
    durable_history_response h = {0};
    int rc = durable_engine_get_history(&h, w->eng, &req);
    durable_history_response_clear(&h);
    return rc;
}

typedef int (*step_fn)(wl *w);
static const step_fn steps[] = {s_start, s_invoke, s_step1, s_wait,  s_callback, s_state, s_pending,
                                s_fire,  s_answer, s_invoke, s_step4, s_history, s_succeed};
#define NSTEPS (sizeof steps / sizeof *steps)

/* ---- harness ------------------------------------------------------------------- */

static char template_path[512];
static char *expected_history;
static long injected, failed_calls, absorbed, reopened;

static const char *tmp_dir(void)
{
    if (access("/dev/shm", W_OK) == 0)
        return "/dev/shm"; /* fsync is free there: a few hundred runs stay fast */
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CU_ASSERT_FATAL(in && out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        CU_ASSERT_FATAL(fwrite(buf, 1, n, out) == n);
    fclose(in);
    fclose(out);
}

static char *history_types(wl *w)
{
    ef f = {0};
    f.eng = w->eng;
    f.arn = w->arn;
    char *s = ef_history_types(&f);
    return s;
}

/* Integrity and content as a new connection sees them. */
static void check_on_disk(const char *path, const char *expected_dump)
{
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
    CU_ASSERT(sqlite3_step(st) == SQLITE_ROW);
    CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    char *dump = ef_dump_db(db);
    CU_ASSERT_STRING_EQUAL(dump, expected_dump);
    free(dump);
    sqlite3_close(db);
}

static bool clear_message(const char *m)
{
    return strstr(m, "disk I/O error") || strstr(m, "database or disk is full");
}

/* One workload with the nth operation of `kind` failing with `code`; n = 0
 * counts only. */
static void run_once(fault_kind kind, long n, int code, long counts[FAULT_KINDS])
{
    static unsigned seq;
    wl w;
    memset(&w, 0, sizeof w);
    snprintf(w.path, sizeof w.path, "%s/durable-iofault-%ld-%u.db", tmp_dir(), (long)getpid(),
             seq++);
    dt_remove_db(w.path);
    copy_file(template_path, w.path);
    CU_ASSERT_FATAL(durable_vclock_new(&w.vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    CU_ASSERT_FATAL(wl_open(&w, false) == 0);
    fault_vfs_arm(kind, n, code);
    for (size_t i = 0; i < NSTEPS; i++) {
        fault_vfs_set_active(false);
        char *before = ef_dump_db(durable__store_db(w.store));
        fault_vfs_set_active(true);
        int fired = fault_vfs_fired();
        int rc = steps[i](&w);
        if (rc == 0) {
            absorbed += fault_vfs_fired() - fired;
            free(before);
            continue;
        }
        /* Only the injected fault may make a call fail. */
        if (fault_vfs_fired() == fired || rc != DURABLE_EDB ||
            !clear_message(durable_engine_errmsg(w.eng)))
            fprintf(stderr, "\n  step %zu, fault %d #%ld (%d): rc %d: %s\n", i, (int)kind, n, code,
                    rc, durable_engine_errmsg(w.eng));
        CU_ASSERT_FATAL(fault_vfs_fired() > fired);
        CU_ASSERT_EQUAL(rc, DURABLE_EDB);
        CU_ASSERT(clear_message(durable_engine_errmsg(w.eng)));
        failed_calls++;
        fault_vfs_disarm();
        char *after = ef_dump_db(durable__store_db(w.store));
        CU_ASSERT_STRING_EQUAL(after, before);
        free(after);
        check_on_disk(w.path, before);
        if (n % 2) {
            wl_close_handles(&w);
            CU_ASSERT_FATAL(wl_open(&w, false) == 0);
            after = ef_dump_db(durable__store_db(w.store));
            CU_ASSERT_STRING_EQUAL(after, before);
            free(after);
            reopened++;
        }
        rc = steps[i](&w);
        if (rc != 0)
            fprintf(stderr, "\n  step %zu retried after fault %d #%ld: rc %d: %s\n", i, (int)kind,
                    n, rc, durable_engine_errmsg(w.eng));
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        free(before);
    }
    injected += fault_vfs_fired();
    if (counts)
        for (int k = 0; k < FAULT_KINDS; k++)
            counts[k] = fault_vfs_count((fault_kind)k);
    fault_vfs_disarm();
    durable_exec_status status;
    CU_ASSERT_FATAL(durable_engine_execution_status(&status, NULL, w.eng, w.arn) == 0);
    CU_ASSERT_EQUAL(status, DURABLE_EXEC_SUCCEEDED);
    char *types = history_types(&w);
    if (!expected_history)
        expected_history = types;
    else {
        CU_ASSERT_STRING_EQUAL(types, expected_history);
        free(types);
    }
    wl_free(&w);
}

static void test_every_fault_point(void)
{
    CU_ASSERT_FATAL(fault_vfs_install() == SQLITE_OK);
    snprintf(template_path, sizeof template_path, "%s/durable-iofault-%ld-template.db", tmp_dir(),
             (long)getpid());
    dt_remove_db(template_path);
    wl t;
    memset(&t, 0, sizeof t);
    snprintf(t.path, sizeof t.path, "%s", template_path);
    CU_ASSERT_FATAL(durable_vclock_new(&t.vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    CU_ASSERT_FATAL(wl_open(&t, true) == 0);
    wl_close_handles(&t);
    durable_vclock_free(t.vc);

    long counts[FAULT_KINDS] = {0};
    run_once(FAULT_WRITE, 0, SQLITE_IOERR, counts); /* no fault: how many of each */
    CU_ASSERT_FATAL(counts[FAULT_WRITE] > 0 && counts[FAULT_SYNC] > 0 && counts[FAULT_READ] > 0);
    static const struct {
        fault_kind kind;
        int code;
    } plans[] = {{FAULT_WRITE, SQLITE_IOERR}, {FAULT_WRITE, SQLITE_FULL}, {FAULT_SYNC, SQLITE_IOERR},
                 {FAULT_SYNC, SQLITE_FULL},   {FAULT_READ, SQLITE_IOERR}};
    long runs = 0;
    for (size_t p = 0; p < sizeof plans / sizeof *plans; p++)
        for (long n = 1; n <= counts[plans[p].kind]; n++, runs++)
            run_once(plans[p].kind, n, plans[p].code, NULL);
    printf("\n    workload: %zu calls, %ld writes, %ld syncs, %ld reads; %ld runs, %ld faults "
           "injected: %ld calls failed cleanly (%ld then reopened), %ld absorbed by SQLite ",
           NSTEPS, counts[FAULT_WRITE], counts[FAULT_SYNC], counts[FAULT_READ], runs, injected,
           failed_calls, reopened, absorbed);
    CU_ASSERT(injected == runs);
    CU_ASSERT(failed_calls > 0);
    free(expected_history);
    expected_history = NULL;
    dt_remove_db(template_path);
    fault_vfs_uninstall();
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_io_faults");
    DT_ADD(s, test_every_fault_point);
    return dt_run();
}
