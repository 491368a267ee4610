/* Crash safety: a child process runs a long series of multi-update
 * checkpoints on a WAL file and is killed with SIGKILL in the middle. The
 * file must open cleanly afterwards, every checkpoint the child saw commit
 * must be there, no batch may be there in part, history EventIds must be
 * consecutive, and the execution must carry on (the dead invocation is
 * closed as a crash and a new one checkpoints).
 *
 * The child is this program re-executed (fork + exec) with --crash-child. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/common.h"
#include "durable/engine.h"
#include "model/internal.h"
#include "support/server_fixture.h"
#include "support/testutil.h"

static char self_exe[4096];

/* Batch b writes this many operations (each a STEP START + SUCCEED). */
static int batch_size(int b)
{
    return 2 + b % 5;
}

/* ---- the child ------------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* argv: --crash-child <path>. Writes the ARN (length-prefixed), then the
 * number of every committed batch, to stdout; runs until killed. */
static int crash_child(const char *path)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    if (durable_store_open(&st, path, NULL) != 0 || durable_engine_open(&e, st, NULL) != 0)
        return 10;
    char *arn = NULL, *inv = NULL;
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "crash";
    if (durable_engine_start_execution(&arn, NULL, e, "crashy", &o) != 0 ||
        durable_engine_start_invocation(&in, &inv, e, arn, getpid()) != 0)
        return 11;
    uint32_t len = (uint32_t)strlen(arn);
    if (write_all(1, &len, sizeof len) != 0 || write_all(1, arn, len) != 0)
        return 12;
    char *token = in.checkpoint_token;
    in.checkpoint_token = NULL;
    durable_invocation_input_clear(&in);
    for (int32_t b = 1; b < 1000000; b++) {
        int k = batch_size(b);
        durable_operation_update u[2 * 6];
        char name[32];
        snprintf(name, sizeof name, "b%d", (int)b);
        for (int j = 0; j < k; j++) {
            char p[32], payload[32];
            snprintf(p, sizeof p, "%d-%d", (int)b, j);
            snprintf(payload, sizeof payload, "%d", (int)b * 100 + j);
            sf_step(&u[2 * j], p, name, DURABLE_ACTION_START, NULL);
            sf_step(&u[2 * j + 1], p, name, DURABLE_ACTION_SUCCEED, payload);
        }
        durable_checkpoint_request req = sf_request(arn, token, u, (size_t)(2 * k));
        durable_checkpoint_response resp;
        memset(&resp, 0, sizeof resp);
        int rc = durable_engine_checkpoint(&resp, e, &req);
        sf_updates_clear(u, (size_t)(2 * k));
        if (rc != 0) {
            fprintf(stderr, "crash child: batch %d: %s\n", (int)b, durable_error_last()->message);
            return 13;
        }
        durable_free(token);
        token = resp.checkpoint_token;
        resp.checkpoint_token = NULL;
        durable_checkpoint_response_clear(&resp);
        if (write_all(1, &b, sizeof b) != 0)
            return 14;
    }
    return 0;
}

/* ---- the parent -------------------------------------------------------------------- */

static int read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static int integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    int ok = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return ok;
}

/* One crash: run the child until it reported `target` batches (+ a random
 * extra delay), kill it, check the file. */
static void crash_once(uint64_t seed, int case_no, dt_rng *rng)
{
    char *path = dt_temp_path("crash");
    int from[2];
    CU_ASSERT_FATAL(pipe(from) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(from[1], 1);
        close(from[0]);
        close(from[1]);
        char *argv[] = {self_exe, "--crash-child", path, NULL};
        execv(self_exe, argv);
        _exit(127);
    }
    CU_ASSERT_FATAL(pid > 0);
    close(from[1]);
    uint32_t len = 0;
    char arn[1024] = {0};
    int got_arn = read_all(from[0], &len, sizeof len) == 0 && len < sizeof arn &&
                  read_all(from[0], arn, len) == 0;
    DT_PROP(got_arn, seed, case_no);

    int target = 20 + (int)dt_rng_below(rng, 200);
    int32_t last = 0, b;
    while (last < target && read_all(from[0], &b, sizeof b) == 0)
        last = b;
    /* Kill at a random point of the following batches, most likely inside a
     * transaction (the child does little else). */
    sf_sleep_ms((long)dt_rng_below(rng, 3));
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    DT_PROP(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, seed, case_no);
    /* Every batch the child reported had committed before the report. */
    while (read_all(from[0], &b, sizeof b) == 0)
        last = b;
    close(from[0]);
    DT_PROP(last >= target, seed, case_no);

    /* The file opens cleanly and is consistent. */
    DT_PROP(integrity_ok(path), seed, case_no);
    durable_store *st = NULL;
    durable_engine *e = NULL;
    int rc = durable_store_open(&st, path, NULL);
    if (rc == 0)
        rc = durable_engine_open(&e, st, NULL);
    DT_PROP(rc == 0, seed, case_no);
    if (rc != 0)
        goto out;

    durable_operation_list ops;
    memset(&ops, 0, sizeof ops);
    rc = durable_engine_list_operations(&ops, e, arn);
    DT_PROP(rc == 0, seed, case_no);
    int maxb = last + 2;
    int *counts = calloc((size_t)maxb + 1, sizeof *counts);
    int stray = 0, not_done = 0;
    for (size_t i = 0; i < ops.count; i++) {
        const durable_operation *op = &ops.items[i];
        if (op->type == DURABLE_OP_EXECUTION)
            continue;
        int ob = op->name && op->name[0] == 'b' ? atoi(op->name + 1) : -1;
        if (ob < 1 || ob > maxb)
            stray++;
        else
            counts[ob]++;
        if (op->status != DURABLE_OP_SUCCEEDED)
            not_done++;
    }
    DT_PROP(stray == 0, seed, case_no);
    DT_PROP(not_done == 0, seed, case_no);
    size_t total = 0;
    for (int k = 1; k <= maxb; k++) {
        /* A batch is all there or not there at all ... */
        DT_PROP(counts[k] == 0 || counts[k] == batch_size(k), seed, case_no);
        /* ... every reported batch is there, and at most the one batch after
         * the last report committed without being reported. */
        if (k <= last)
            DT_PROP(counts[k] == batch_size(k), seed, case_no);
        if (k > last + 1)
            DT_PROP(counts[k] == 0, seed, case_no);
        total += (size_t)counts[k];
    }
    free(counts);
    durable_operation_list_clear(&ops);

    durable_history_response h;
    rc = sf_history_all(&h, e, arn);
    DT_PROP(rc == 0, seed, case_no);
    if (rc == 0) {
        DT_PROP(sf_event_ids_consecutive(&h), seed, case_no);
        DT_PROP(sf_count_events(&h, DURABLE_EVENT_STEP_STARTED) == total, seed, case_no);
        DT_PROP(sf_count_events(&h, DURABLE_EVENT_STEP_SUCCEEDED) == total, seed, case_no);
        DT_PROP(h.count == 1 + 2 * total, seed, case_no);
        durable_history_response_clear(&h);
    }

    /* The execution carries on: the dead invocation is closed as a crash,
     * a new invocation starts and checkpoints. */
    durable_execution_state es;
    memset(&es, 0, sizeof es);
    rc = durable_engine_execution_state(&es, e, arn);
    DT_PROP(rc == 0 && es.invocation_in_flight && es.inflight_invocation_id, seed, case_no);
    if (rc == 0 && es.inflight_invocation_id) {
        durable_invocation_outcome oc;
        memset(&oc, 0, sizeof oc);
        rc = durable_engine_crash_invocation(&oc, e, arn, es.inflight_invocation_id,
                                             "signal: killed");
        DT_PROP(rc == 0, seed, case_no);
        DT_PROP(oc.status == DURABLE_EXEC_RUNNING, seed, case_no);
    }
    durable_execution_state_clear(&es);
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    char *inv = NULL;
    rc = durable_engine_start_invocation(&in, &inv, e, arn, getpid());
    DT_PROP(rc == 0, seed, case_no);
    if (rc == 0) {
        durable_operation_update u[2];
        sf_step(&u[0], "after", "after", DURABLE_ACTION_START, NULL);
        sf_step(&u[1], "after", "after", DURABLE_ACTION_SUCCEED, "\"alive\"");
        durable_checkpoint_request req = sf_request(arn, in.checkpoint_token, u, 2);
        durable_checkpoint_response resp;
        memset(&resp, 0, sizeof resp);
        DT_PROP(durable_engine_checkpoint(&resp, e, &req) == 0, seed, case_no);
        durable_checkpoint_response_clear(&resp);
        sf_updates_clear(u, 2);
    }
    durable_invocation_input_clear(&in);
    durable_free(inv);

out:
    durable_engine_close(e);
    durable_store_close(st);
    dt_remove_db(path);
    free(path);
}

static void test_crash_mid_checkpoints(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0xC7A5);
    for (int cs = 0; cs < 8; cs++)
        crash_once(seed, cs, &rng);
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 2;
    self_exe[n] = 0;
    if (argc >= 3 && strcmp(argv[1], "--crash-child") == 0)
        return crash_child(argv[2]);
    signal(SIGPIPE, SIG_IGN);
    CU_pSuite s = dt_suite("engine_crash");
    DT_ADD(s, test_crash_mid_checkpoints);
    return dt_run();
}
