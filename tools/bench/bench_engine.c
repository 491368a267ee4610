/*
 * bench_engine — cost of a durable step in the engine, against the cost of
 * the cheapest durable write SQLite can do on the same machine.
 *
 * Workload: N executions of M steps each, through the engine API directly
 * (no server thread). Every step is a STEP START + SUCCEED, sent either in
 * one checkpoint ("1 cp") or as two checkpoints ("2 cp"), on ":memory:" and
 * on a WAL file (synchronous=NORMAL, the store default). µs per step counts
 * the checkpoint calls only; "whole run" also counts each execution's start,
 * invocation start and completion, spread over its steps.
 *
 * Floor: BEGIN IMMEDIATE + one-row INSERT + COMMIT per step, prepared once,
 * on a file opened with durable_store_open (its own table added), so it has
 * every setting of the store: pragmas, page size and WAL checkpointing — the
 * least a durable step can cost with the store's configuration. The
 * 3-b-tree model below is opened the same way. Each figure is the best of
 * REPEAT interleaved rounds (the machine is shared).
 *
 * The last line is machine-readable:
 *   bench_engine: memory_us_per_step=<x> disk_us_per_step=<y> floor_us=<z> disk_ratio=<y/z>
 * where y is the one-checkpoint-per-step variant on the file. The line before
 * it gives the WAL frames (pages) each variant writes per step.
 * Usage: bench_engine [executions [steps]]
 *
 * Also printed: the same step with a ClientToken (the SDK sends one with
 * every checkpoint), a "3-b-tree step": plain prepared SQL doing only
 * what a step must write in this data model (the execution's counters row,
 * the operation under its (execution, id) key, two history rows) in one
 * transaction, with no engine work at all, and the floor and the engine's
 * 1-checkpoint step again with the store's background WAL checkpoints off
 * (SQLite's default: the commit that takes the WAL past 1,000 frames copies
 * it back itself), in the same rounds.
 *
 * Where disk_ratio stands against the 3.0 target of issue 16 (2-core VM,
 * SQLite 3.40.1, 2048-byte pages; 12.5 with 190 us per step and 13 frames
 * before the engine work, 4.1-4.5 before issue 16's store work). Quiet
 * machine, 5 runs of one build (2026-12-07); frame counts are exact, times
 * drift by up to 2x when the machine is loaded:
 *
 *   floor  8.9-9.3 us: 1.02 WAL frames per commit, ~6 fcntl lock calls
 *          (BEGIN IMMEDIATE / COMMIT), one write of the frame, ~3 us CPU.
 *   3-b-tree step: 16.2-17.4 us, 1.82-1.93x the floor, 3.54 frames: a
 *          durable token sequence (the counters row), the operation, its
 *          history. The least this data model costs on SQLite.
 *   engine 23.9-25.3 us, 2.63-2.74x the floor (median 2.67): 3.86 frames
 *          and 10.3-10.6 us of CPU (the :memory: figure; most of it inside
 *          SQLite running 6 statements: BEGIN, INSERT operation, 2 INSERT
 *          history, UPDATE execution (counters, and the ClientToken record
 *          or its clearing), COMMIT; the rest is token minting (SHA-256
 *          checksum, base64), the delta and event JSON).
 *
 * What moved it in issue 16, each measured against the build without it:
 *   - WAL write gathering (src/store/wal_batch.c): SQLite writes each
 *     frame as two pwrite calls (24-byte header, then the page), 2.4 us
 *     per frame here against 0.6 for one write of five frames; the store
 *     now hands a commit's frames to the OS in one write. 9 interleaved
 *     pairs: engine 46.1 -> 34.9 us (medians), floor 10.8 -> 10.1,
 *     disk_ratio 4.15 -> 3.43; WAL writes per step 10.4 -> 1.0 (strace).
 *   - WAL checkpoints on the store's thread (src/store/wal_checkpointer.h)
 *     instead of inside the commit that crosses 1,000 frames (a pass over
 *     1,000 frames takes 2.5-10 ms, two fdatasync calls of it). Floor,
 *     model and engine all get it. The rows with the thread off, printed
 *     in the same rounds (3 quiet runs): floor 10.0-10.4 us, engine
 *     33.7-40.8 us, 3.37-3.91x its floor, against 3.23-3.31x with it. It
 *     matters most under concurrency, where the committing thread is the
 *     server's one serialisation point (bench_http).
 *   - CPU: 7 statements a step instead of 9 (the undelivered probe and the
 *     idempotency UPDATE gone), token JSON built once, JSON strings quoted
 *     in one pass: memory_us_per_step 14.6-17.4 -> 13.5-14.0.
 *   - The execution's row kept between checkpoints (src/engine/
 *     exec_memo.c): a checkpoint no longer reads the row the previous one
 *     left (a statement through two b-trees, 27 columns, 10 strings
 *     copied); the file's data version, checked under the write lock,
 *     tells when anything else committed. 3 same-build pairs: memory 12.6
 *     -> 10.5 us, engine 26.5 -> 24.1-25.1 us, disk_ratio 2.86-2.91 ->
 *     2.74-2.80 (5 runs after: 2.63-2.74).
 *   - Operations keyed by (execution, id) alone (schema migration 9). The
 *     table was keyed by start order with a unique (execution, id) key
 *     beside it, so a new step wrote four b-trees: 5.13 frames a step
 *     (4.80 in the plain-SQL model of that layout, which SQLite's
 *     rebalancing of a WITHOUT ROWID table's right-most leaf made 0.33
 *     more in the engine). Start order is now sorted on read. Same-run
 *     pairs, 3 each: engine 32.3-32.5 -> 26.6-26.7 us, disk_ratio
 *     3.46-3.51 -> 2.86-2.91; memory 13.7 -> 12.6 us (one index fewer to
 *     update).
 *
 * Not done: SQLITE_CONFIG_MEMSTATUS off (-9 % instructions, but
 * process-wide, so not a library's choice; measured: memory -1.2 us,
 * disk_ratio unchanged).
 *
 *   With a ClientToken the idempotency record used to cost one more page
 *   (its own table: 6.15 frames per step); since schema migration 8 it
 *   lives in the execution's row, which the checkpoint rewrites anyway:
 *   5.20 frames then, 3.91 since migration 9. The 2-checkpoint variant pays the per-commit cost twice
 *   (8.05 frames per step).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable/common.h"
#include "durable/engine.h"
#include "durable/ids.h"
#include "durable/model.h"
#include "durable/store.h"
#include "store/internal.h"
#include "bench_util.h"

enum { REPEAT = 5 };

typedef struct result {
    double step_us;   /* checkpoint calls only, per step */
    double whole_us;  /* everything, per step */
} result;

/* WAL frames written so far (autocheckpoint off, so the WAL only grows). */
static long wal_frames(const char *path, sqlite3 *db)
{
    char buf[4200];
    struct stat sb;
    snprintf(buf, sizeof buf, "%s-wal", path);
    if (stat(buf, &sb) != 0 || sb.st_size < 32)
        return 0;
    sqlite3_stmt *st = NULL;
    long page = 4096;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        page = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return (long)((sb.st_size - 32) / (page + 24));
}

/* How each step is sent: START+SUCCEED in one checkpoint, in two, or in
 * one with a ClientToken (as the SDK sends every checkpoint). */
enum { ONE_CP, TWO_CP, ONE_CP_TOKEN };

static void checkpoint(durable_engine *e, const char *arn, char **token,
                       durable_operation_update *u, size_t n, char *client_token)
{
    durable_checkpoint_request req;
    memset(&req, 0, sizeof req);
    req.durable_execution_arn = (char *)arn;
    req.checkpoint_token = *token;
    req.client_token = client_token;
    req.updates = u;
    req.update_count = n;
    durable_checkpoint_response resp;
    memset(&resp, 0, sizeof resp);
    if (durable_engine_checkpoint(&resp, e, &req) != 0)
        bench_die("bench_engine", "checkpoint");
    durable_free(*token);
    *token = resp.checkpoint_token;
    resp.checkpoint_token = NULL;
    durable_checkpoint_response_clear(&resp);
}

/* One run of the engine workload on `path`. With frames set (a file only),
 * the WAL is never checkpointed and *frames gets the WAL frames the step
 * checkpoints wrote. */
static result run_engine(const char *path, int nexec, int nsteps, int mode, long *frames,
                         bool background)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.sync_mode = DURABLE_SYNC_NORMAL;
    so.background_wal_checkpoint = background;
    if (durable_store_open(&st, path, &so) != 0)
        bench_die("bench_engine", "store open");
    if (durable_engine_open(&e, st, NULL) != 0)
        bench_die("bench_engine", "engine open");
    sqlite3 *db = durable__store_db(st);
    if (frames) {
        *frames = 0;
        sqlite3_wal_autocheckpoint(db, 0);
    }

    /* Operation ids as the SDK makes them: md5 of the step's position. */
    char (*ids)[DURABLE_OP_ID_LEN + 1] = malloc((size_t)nsteps * sizeof *ids);
    for (int k = 0; k < nsteps; k++) {
        char pos[16];
        snprintf(pos, sizeof pos, "%d", k + 1);
        durable_op_id(ids[k], pos);
    }
    double steps_total = 0, t_all = bench_now_us();
    for (int x = 0; x < nexec; x++) {
        char *arn = NULL, *inv = NULL;
        if (durable_engine_start_execution(&arn, NULL, e, "bench", NULL) != 0)
            bench_die("bench_engine", "start execution");
        durable_invocation_input in;
        memset(&in, 0, sizeof in);
        if (durable_engine_start_invocation(&in, &inv, e, arn, 0) != 0)
            bench_die("bench_engine", "start invocation");
        char *token = in.checkpoint_token;
        in.checkpoint_token = NULL;
        durable_invocation_input_clear(&in);

        long f0 = frames ? wal_frames(path, db) : 0;
        double t0 = bench_now_us();
        for (int k = 0; k < nsteps; k++) {
            char payload[32];
            snprintf(payload, sizeof payload, "{\"step\":%d}", k);
            durable_operation_update u[2];
            bench_step_update(&u[0], ids[k], DURABLE_ACTION_START, NULL);
            bench_step_update(&u[1], ids[k], DURABLE_ACTION_SUCCEED, payload);
            char client_token[48];
            snprintf(client_token, sizeof client_token, "%d-%d", x, k);
            if (mode == TWO_CP) {
                checkpoint(e, arn, &token, &u[0], 1, NULL);
                checkpoint(e, arn, &token, &u[1], 1, NULL);
            } else {
                checkpoint(e, arn, &token, u, 2, mode == ONE_CP_TOKEN ? client_token : NULL);
            }
        }
        steps_total += bench_now_us() - t0;
        if (frames)
            *frames += wal_frames(path, db) - f0;

        durable_invocation_output out;
        memset(&out, 0, sizeof out);
        out.status = DURABLE_INVOCATION_SUCCEEDED;
        out.result = "\"done\"";
        durable_invocation_outcome oc;
        if (durable_engine_complete_invocation(&oc, e, arn, inv, &out) != 0)
            bench_die("bench_engine", "complete invocation");
        if (oc.status != DURABLE_EXEC_SUCCEEDED)
            bench_die("bench_engine", "execution did not succeed");
        durable_free(token);
        durable_free(inv);
        durable_free(arn);
    }
    double whole = bench_now_us() - t_all;
    free(ids);
    durable_engine_close(e);
    durable_store_close(st);
    double steps = (double)nexec * nsteps;
    return (result){steps_total / steps, whole / steps};
}

/* A file opened as the engine's store is (durable_store_open: its pragmas,
 * page size and WAL checkpointing), with the benchmark's own tables added,
 * so the floor and the model pay exactly what the store's configuration
 * costs. */
static durable_store *open_like_store(const char *path, const char *tables, sqlite3 **db,
                                      bool background)
{
    durable_store *st = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.background_wal_checkpoint = background;
    if (durable_store_open(&st, path, &so) != 0)
        bench_die("bench_engine", "store open");
    *db = durable__store_db(st);
    if (sqlite3_exec(*db, tables, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_engine: setup: %s\n", sqlite3_errmsg(*db));
        exit(1);
    }
    return st;
}

/* The floor: BEGIN IMMEDIATE + one-row INSERT + COMMIT per step, on a file
 * opened as the store (background false: as a store with its background
 * WAL checkpoints turned off). With frames set, no WAL checkpoint runs and
 * *frames gets the frames written. */
static double run_floor(const char *path, int steps, long *frames, bool background)
{
    sqlite3 *db = NULL;
    durable_store *store = open_like_store(
        path, "CREATE TABLE steps(id INTEGER PRIMARY KEY, result TEXT)", &db, background);
    sqlite3_stmt *begin = NULL, *ins = NULL, *commit = NULL;
    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO steps(result) VALUES (?1)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL);
    if (frames)
        sqlite3_wal_autocheckpoint(db, 0); /* replaces the store's WAL hook too */
    long f0 = frames ? wal_frames(path, db) : 0;
    double t0 = bench_now_us();
    for (int k = 0; k < steps; k++) {
        char payload[32];
        snprintf(payload, sizeof payload, "{\"step\":%d}", k);
        sqlite3_bind_text(ins, 1, payload, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(begin) != SQLITE_DONE || sqlite3_step(ins) != SQLITE_DONE ||
            sqlite3_step(commit) != SQLITE_DONE) {
            fprintf(stderr, "bench_engine: floor: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(begin);
        sqlite3_reset(ins);
        sqlite3_reset(commit);
    }
    double us = (bench_now_us() - t0) / steps;
    if (frames)
        *frames = wal_frames(path, db) - f0;
    sqlite3_finalize(begin);
    sqlite3_finalize(ins);
    sqlite3_finalize(commit);
    durable_store_close(store);
    return us;
}

/* The least any engine with this data model can write per step: one
 * transaction touching the three b-trees a step needs (the execution's
 * counters row, the operation under its (execution, id) key with its start
 * order as a column, two history rows), with plain prepared statements and
 * no other work. Same pragmas and page size as the floor; executions one
 * after another, as run_engine. */
static double run_model(const char *path, int nexec, int nsteps, long *frames)
{
    sqlite3 *db = NULL;
    durable_store *store = open_like_store(
        path,
        "CREATE TABLE x(id INTEGER PRIMARY KEY, arn TEXT, seq INTEGER, events INTEGER);"
        "CREATE TABLE ops(x INTEGER, seq INTEGER, op_id TEXT, status TEXT, result TEXT,"
        " PRIMARY KEY (x, op_id)) WITHOUT ROWID;"
        "CREATE TABLE hist(id INTEGER PRIMARY KEY, type TEXT, op_id TEXT, details TEXT)",
        &db, true);
    enum { BEGIN, NEWX, BUMP, OP, EV, COMMIT, NSQL };
    static const char *const sql[NSQL] = {
        "BEGIN IMMEDIATE",
        "INSERT INTO x(id, arn, seq, events) VALUES (?1, ?2, 0, 0)",
        "UPDATE x SET seq = seq + 1, events = events + 2 WHERE id = ?1",
        "INSERT INTO ops VALUES (?1, ?2, ?3, 'SUCCEEDED', ?4)",
        "INSERT INTO hist VALUES (?1, ?2, ?3, ?4)",
        "COMMIT"};
    sqlite3_stmt *st[NSQL];
    for (int i = 0; i < NSQL; i++)
        sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL);
    if (frames)
        sqlite3_wal_autocheckpoint(db, 0);
    long f0 = frames ? wal_frames(path, db) : 0;
    double total = 0;
    int ok = 1;
    for (int x = 1; x <= nexec && ok; x++) {
        char arn[160];
        snprintf(arn, sizeof arn, "arn:aws:lambda:us-east-1:123456789012:function:bench:$LATEST/"
                                  "durable-execution/%08d/%032d", x, x);
        sqlite3_bind_int(st[NEWX], 1, x);
        sqlite3_bind_text(st[NEWX], 2, arn, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(st[NEWX]) == SQLITE_DONE;
        sqlite3_reset(st[NEWX]);
        double t0 = bench_now_us();
        for (int k = 0; k < nsteps && ok; k++) {
            char id[DURABLE_OP_ID_LEN + 1], pos[16], payload[32];
            snprintf(pos, sizeof pos, "%d", k + 1);
            durable_op_id(id, pos);
            snprintf(payload, sizeof payload, "{\"step\":%d}", k);
            sqlite3_bind_int(st[BUMP], 1, x);
            sqlite3_bind_int(st[OP], 1, x);
            sqlite3_bind_int(st[OP], 2, k + 1);
            sqlite3_bind_text(st[OP], 3, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st[OP], 4, payload, -1, SQLITE_TRANSIENT);
            ok = sqlite3_step(st[BEGIN]) == SQLITE_DONE && sqlite3_step(st[BUMP]) == SQLITE_DONE &&
                 sqlite3_step(st[OP]) == SQLITE_DONE;
            for (int ev = 0; ev < 2 && ok; ev++) {
                sqlite3_reset(st[EV]);
                sqlite3_bind_int64(st[EV], 1, (sqlite3_int64)x * 4294967296 + 2 * k + ev + 1);
                sqlite3_bind_text(st[EV], 2, ev ? "StepSucceeded" : "StepStarted", -1,
                                  SQLITE_STATIC);
                sqlite3_bind_text(st[EV], 3, id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st[EV], 4, ev ? payload : "{}", -1, SQLITE_TRANSIENT);
                ok = sqlite3_step(st[EV]) == SQLITE_DONE;
            }
            ok = ok && sqlite3_step(st[COMMIT]) == SQLITE_DONE;
            for (int i = 0; i < NSQL; i++)
                sqlite3_reset(st[i]);
        }
        total += bench_now_us() - t0;
    }
    if (!ok) {
        fprintf(stderr, "bench_engine: model: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    if (frames)
        *frames = wal_frames(path, db) - f0;
    for (int i = 0; i < NSQL; i++)
        sqlite3_finalize(st[i]);
    durable_store_close(store);
    return total / ((double)nexec * nsteps);
}

static void temp_path(char *buf, size_t n, const char *stem, int i)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, n, "%s/bench_engine-%s-%ld-%d.db", dir && *dir ? dir : "/tmp", stem,
             (long)getpid(), i);
}

/* One engine run; best keeps the lowest figures seen. */
static void engine_round(result *best, int on_disk, int nexec, int nsteps, int mode,
                         bool background)
{
    char path[4096];
    if (on_disk) {
        temp_path(path, sizeof path, "engine", mode);
        bench_remove_db(path);
    } else {
        snprintf(path, sizeof path, ":memory:");
    }
    result r = run_engine(path, nexec, nsteps, mode, NULL, background);
    if (on_disk)
        bench_remove_db(path);
    if (r.step_us < best->step_us)
        best->step_us = r.step_us;
    if (r.whole_us < best->whole_us)
        best->whole_us = r.whole_us;
}

int main(int argc, char **argv)
{
    int nexec = argc > 1 ? atoi(argv[1]) : 40;
    int nsteps = argc > 2 ? atoi(argv[2]) : 50;
    if (nexec <= 0 || nsteps <= 0) {
        fprintf(stderr, "usage: bench_engine [executions [steps]]\n");
        return 2;
    }
    int steps = nexec * nsteps;

    /* Rounds interleave the variants, so a busy spell on the shared machine
     * does not land on one variant only. */
    double floor_us = 1e30, model_us = 1e30, floor_inline_us = 1e30;
    result mem1 = {1e30, 1e30}, mem2 = mem1, disk1 = mem1, disk2 = mem1, disk1t = mem1;
    result disk1_inline = mem1;
    for (int i = 0; i < REPEAT; i++) {
        char path[4096];
        temp_path(path, sizeof path, "floor", i);
        bench_remove_db(path);
        double f = run_floor(path, steps, NULL, true);
        bench_remove_db(path);
        if (f < floor_us)
            floor_us = f;
        engine_round(&disk1, 1, nexec, nsteps, ONE_CP, true);
        engine_round(&mem1, 0, nexec, nsteps, ONE_CP, true);
        /* The same two with SQLite's checkpoints inside the commit. */
        f = run_floor(path, steps, NULL, false);
        bench_remove_db(path);
        if (f < floor_inline_us)
            floor_inline_us = f;
        engine_round(&disk1_inline, 1, nexec, nsteps, ONE_CP, false);
        temp_path(path, sizeof path, "model", i);
        bench_remove_db(path);
        f = run_model(path, nexec, nsteps, NULL);
        bench_remove_db(path);
        if (f < model_us)
            model_us = f;
        engine_round(&disk2, 1, nexec, nsteps, TWO_CP, true);
        engine_round(&mem2, 0, nexec, nsteps, TWO_CP, true);
        engine_round(&disk1t, 1, nexec, nsteps, ONE_CP_TOKEN, true);
    }

    printf("bench_engine: %d executions x %d steps (START+SUCCEED per step), best of %d, "
           "SQLite %s\n",
           nexec, nsteps, REPEAT, sqlite3_libversion());
    printf("%-40s %12s %14s %10s\n", "variant", "us/step", "us/step(whole)", "x floor");
    printf("%-40s %12.2f %14s %10.2f\n", "floor: INSERT+COMMIT, WAL file", floor_us, "-", 1.0);
    printf("%-40s %12.2f %14s %10.2f\n", "3-b-tree step, plain SQL, WAL file", model_us, "-",
           model_us / floor_us);
    printf("%-40s %12.2f %14.2f %10.2f\n", "engine :memory:, 1 checkpoint", mem1.step_us,
           mem1.whole_us, mem1.step_us / floor_us);
    printf("%-40s %12.2f %14.2f %10.2f\n", "engine :memory:, 2 checkpoints", mem2.step_us,
           mem2.whole_us, mem2.step_us / floor_us);
    printf("%-40s %12.2f %14.2f %10.2f\n", "engine WAL file, 1 checkpoint", disk1.step_us,
           disk1.whole_us, disk1.step_us / floor_us);
    printf("%-40s %12.2f %14.2f %10.2f\n", "engine WAL file, 2 checkpoints", disk2.step_us,
           disk2.whole_us, disk2.step_us / floor_us);
    printf("%-40s %12.2f %14.2f %10.2f\n", "engine WAL file, 1 cp + ClientToken", disk1t.step_us,
           disk1t.whole_us, disk1t.step_us / floor_us);
    printf("checkpoints inside the commit (background_wal_checkpoint off):\n");
    printf("%-40s %12.2f %14s %10.2f\n", "  floor", floor_inline_us, "-",
           floor_inline_us / floor_us);
    printf("%-40s %12.2f %14.2f %10.2f   (%.2f x its own floor)\n", "  engine WAL file, 1 checkpoint",
           disk1_inline.step_us, disk1_inline.whole_us, disk1_inline.step_us / floor_us,
           disk1_inline.step_us / floor_inline_us);
    /* Pages written per step: what the WAL file costs beyond the CPU work. */
    char path[4096];
    long ff = 0, fm = 0, f1 = 0, f2 = 0, f1t = 0;
    temp_path(path, sizeof path, "frames", 0);
    bench_remove_db(path);
    run_floor(path, steps, &ff, true);
    bench_remove_db(path);
    run_model(path, nexec, nsteps, &fm);
    bench_remove_db(path);
    run_engine(path, nexec, nsteps, ONE_CP, &f1, true);
    bench_remove_db(path);
    run_engine(path, nexec, nsteps, TWO_CP, &f2, true);
    bench_remove_db(path);
    run_engine(path, nexec, nsteps, ONE_CP_TOKEN, &f1t, true);
    bench_remove_db(path);
    printf("WAL frames per step: floor %.2f, 3-b-tree step %.2f, engine 1 checkpoint %.2f, "
           "2 checkpoints %.2f, 1 + ClientToken %.2f\n",
           (double)ff / steps, (double)fm / steps, (double)f1 / steps, (double)f2 / steps,
           (double)f1t / steps);
    printf("bench_engine: memory_us_per_step=%.2f disk_us_per_step=%.2f floor_us=%.2f "
           "disk_ratio=%.2f\n",
           mem1.step_us, disk1.step_us, floor_us, disk1.step_us / floor_us);
    return 0;
}
