/* The work an ordinary checkpoint leaves out (issue 16: CPU and pages per
 * step), and that each skipped piece still runs when it is needed: the
 * undelivered probe of the delta (SPEC §7.3); the ClientToken record (§7.2)
 * written by the execution row's own UPDATE; the second operations key
 * (schema migration 9: a new step writes three b-trees). Each case counts the runs of the skipped
 * statement (sqlite3_stmt_status on the store's cached statements) and
 * checks the answer and the file, so a skip that is missing or wrong both
 * fail. */
#include <string.h>

#include "support/engine_fixture.h"
#include "support/testutil.h"

/* Runs so far of every cached statement whose SQL contains part. */
static int stmt_runs(ef *f, const char *part)
{
    sqlite3 *db = durable__store_db(f->store);
    int runs = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        if (strstr(sqlite3_sql(st), part))
            runs += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
    return runs;
}

static int64_t count_rows(ef *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(durable__store_db(f->store), sql, -1, &st, NULL) ==
                    SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

#define PROBE "SELECT start_seq, op_id FROM operations INDEXED BY operations_undelivered"
#define UNDELIVERED "SELECT count(*) FROM operations WHERE undelivered = 1"

/* Checkpoint u (cleared) and expect a delta of exactly the ids in want
 * (space-separated paths, "" for none) with the probe run `probes` times. */
static void cp_expect(ef *f, durable_operation_update *u, size_t n, const char *want, int probes)
{
    int before = stmt_runs(f, PROBE);
    durable_checkpoint_response r = {0};
    CU_ASSERT_EQUAL_FATAL(ef_cp(f, u, n, &r), 0);
    ef_clear_updates(u, n);
    char got[512] = "", expect[512] = "";
    for (size_t i = 0; i < r.operations.count; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, r.operations.items[i].id);
    }
    char paths[256];
    snprintf(paths, sizeof paths, "%s", want);
    for (char *save = NULL, *p = strtok_r(paths, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        if (*expect)
            strcat(expect, " ");
        strcat(expect, ef_id(p));
    }
    if (strcmp(got, expect) != 0)
        fprintf(stderr, "\n  delta: %s\n  want:  %s\n", got, expect);
    CU_ASSERT_STRING_EQUAL(got, expect);
    CU_ASSERT_EQUAL(stmt_runs(f, PROBE) - before, probes);
    /* Whatever the probe did, nothing is left undelivered after a delta. */
    CU_ASSERT_EQUAL(count_rows(f, UNDELIVERED), 0);
    durable_checkpoint_response_clear(&r);
}

static void complete_callback(ef *f, const char *path)
{
    durable_operation op;
    CU_ASSERT_EQUAL_FATAL(ef_get_op(f, path, &op), 0);
    CU_ASSERT_EQUAL(durable_engine_callback_success(f->eng, op.callback_id, "\"ok\"", 4), 0);
    durable_operation_clear(&op);
}

/* The probe runs only after an engine change (here a callback completed
 * between checkpoints), and then finds the change; a state read at the
 * start of an invocation delivers engine changes too, so the checkpoints
 * after it skip the probe again. */
static void test_undelivered_probe_only_after_engine_change(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    ef_callback(&u[1], "2", 0, 0);
    cp_expect(&f, u, 2, "1 2", 0);
    ef_callback(&u[0], "3", 0, 0);
    cp_expect(&f, u, 1, "3", 0);
    cp_expect(&f, NULL, 0, "", 0);

    complete_callback(&f, "2");
    CU_ASSERT_EQUAL(count_rows(&f, UNDELIVERED), 1);
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "4");
    cp_expect(&f, u, 1, "2 4", 1); /* in start order: the engine's change first */
    cp_expect(&f, NULL, 0, "", 0);

    /* Delivered by the next invocation's state read instead. */
    complete_callback(&f, "3");
    CU_ASSERT_EQUAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL), 0);
    durable_invocation_input in = {0};
    CU_ASSERT_EQUAL(ef_invoke_in(&f, &in), 0);
    CU_ASSERT_EQUAL(in.updated_operation_id_count, 1);
    durable_invocation_input_clear(&in);
    CU_ASSERT_EQUAL(count_rows(&f, UNDELIVERED), 0);
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "5");
    cp_expect(&f, u, 1, "5", 0);
    ef_close(&f);
}

/* Two engine changes before one checkpoint, with the handler's own write of
 * a third operation between them in start order. */
static void test_undelivered_probe_merges_in_start_order(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    durable_operation_update u[3];
    ef_callback(&u[0], "1", 0, 0);
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    ef_callback(&u[2], "3", 0, 0);
    cp_expect(&f, u, 3, "1 2 3", 0);
    complete_callback(&f, "3");
    complete_callback(&f, "1");
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "2");
    cp_expect(&f, u, 1, "1 2 3", 1);
    ef_close(&f);
}

/* The execution row's idem_ columns as "client|inbound|response?" ("-" for
 * NULL). */
static char *idem_columns(ef *f)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(durable__store_db(f->store),
                                       "SELECT coalesce(idem_client_token, '-'), "
                                       "coalesce(idem_inbound_token, '-'), "
                                       "idem_response IS NOT NULL FROM executions WHERE arn = ?1",
                                       -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, f->arn, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        out = durable__sprintf("%s|%s|%d", (const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1),
                               sqlite3_column_int(st, 2));
    sqlite3_finalize(st);
    return out;
}

static void expect_idem(ef *f, const char *client, const char *inbound, int response)
{
    char *want = durable__sprintf("%s|%s|%d", client, inbound, response);
    char *got = idem_columns(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\n  idem columns: %s\n  want:         %s\n", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    durable_free(want);
    durable_free(got);
}

/* The record is set by a checkpoint with a ClientToken, replaced by the
 * next one, cleared by one without, kept by a rejected one, all without a
 * statement of its own; it still replays (SPEC §7.2), and only a replay
 * reads the stored response. */
static void test_idem_record_written_by_the_row_update(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    expect_idem(&f, "-", "-", 0);
    durable_operation_update u;
    char *in1 = durable__strdup(f.token);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    durable_checkpoint_response r1 = {0}, r2 = {0};
    CU_ASSERT_EQUAL(ef_cp_full(&f, &u, 1, "c-1", &r1), 0);
    expect_idem(&f, "c-1", in1, 1);

    /* A replay answers the same token and changes nothing. */
    char *before = ef_dump(&f);
    durable_checkpoint_request req = {0};
    req.durable_execution_arn = f.arn;
    req.checkpoint_token = in1;
    req.client_token = "c-1";
    req.updates = &u;
    req.update_count = 1;
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r2, f.eng, &req), 0);
    CU_ASSERT_STRING_EQUAL(r2.checkpoint_token, r1.checkpoint_token);
    CU_ASSERT_EQUAL(r2.operations.count, 1);
    char *after = ef_dump(&f);
    CU_ASSERT_STRING_EQUAL(before, after);
    durable_operation_update_clear(&u);

    char *in2 = durable__strdup(f.token);
    CU_ASSERT_EQUAL(ef_cp_full(&f, NULL, 0, "c-2", NULL), 0);
    expect_idem(&f, "c-2", in2, 1);
    /* Rejected (a stale token): the record stays. */
    req.checkpoint_token = in1;
    req.client_token = "c-3";
    req.update_count = 0;
    durable_checkpoint_response r3 = {0};
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r3, f.eng, &req), DURABLE_ETOKEN);
    expect_idem(&f, "c-2", in2, 1);
    /* Without a ClientToken: cleared, and c-2 no longer replays. */
    CU_ASSERT_EQUAL(ef_cp(&f, NULL, 0, NULL), 0);
    expect_idem(&f, "-", "-", 0);
    req.checkpoint_token = in2;
    req.client_token = "c-2";
    CU_ASSERT_EQUAL(durable_engine_checkpoint(&r3, f.eng, &req), DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(stmt_runs(&f, "SET idem_"), 0);
    /* The stored response is read only by the replay: the other pairs are
     * told apart by the record's key, loaded with the row. */
    CU_ASSERT_EQUAL(stmt_runs(&f, "SELECT idem_response"), 1);
    durable_checkpoint_response_clear(&r1);
    durable_checkpoint_response_clear(&r2);
    durable_checkpoint_response_clear(&r3);
    free(before);
    free(after);
    durable_free(in1);
    durable_free(in2);
    ef_close(&f);
}

/* Pages a file connection wrote since the last call (SQLite's
 * DBSTATUS_CACHE_WRITE: the pages a commit hands to the WAL); resets. */
static int pages_written(ef *f)
{
    int cur = 0, hi = 0;
    sqlite3_db_status(durable__store_db(f->store), SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 1);
    return cur;
}

/* A checkpoint that creates and ends one step writes three b-trees: the
 * execution's row, the operation under its (execution, id) key, the two
 * history rows. Before migration 9 the operation had a start-order key as
 * well, a fourth b-tree: 5.13 pages a step on average (bench_engine), at
 * least 4 on every one. The states still come back in start order, which
 * the ids (hashes) are not. */
static void test_new_step_writes_three_btrees(void)
{
    enum { STEPS = 60 };
    char *path = dt_temp_path("pages");
    ef f;
    ef_open_file(&f, path, true, EF_T0);
    ef_start(&f, NULL);
    int least = 1000, total = 0;
    pages_written(&f);
    for (int i = 1; i <= STEPS; i++) {
        char pos[16];
        snprintf(pos, sizeof pos, "%d", i);
        durable_operation_update u[2];
        ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, pos);
        ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, pos);
        CU_ASSERT_EQUAL_FATAL(ef_cp(&f, u, 2, NULL), 0);
        ef_clear_updates(u, 2);
        int n = pages_written(&f);
        total += n;
        if (n < least)
            least = n;
    }
    printf("\n  pages per one-step checkpoint: %.2f on average, %d at least\n",
           (double)total / STEPS, least);
    CU_ASSERT_EQUAL(least, 3);
    CU_ASSERT(total < STEPS * 4);
    /* Start order, not id order: read back by an engine that has nothing
     * cached, in pages of 7 and whole. */
    durable_engine *fresh = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&fresh, f.store, NULL), 0);
    durable_operation_list all = {0};
    CU_ASSERT_EQUAL_FATAL(durable_engine_list_operations(&all, fresh, f.arn), 0);
    CU_ASSERT_EQUAL_FATAL(all.count, STEPS + 1);
    char *marker = NULL;
    size_t seen = 1; /* the EXECUTION operation comes first */
    do {
        durable_state_request q = {.durable_execution_arn = f.arn, .checkpoint_token = f.token,
                                   .marker = marker, .max_items = 7};
        durable_state_response r = {0};
        CU_ASSERT_EQUAL_FATAL(durable_engine_get_state(&r, fresh, &q), 0);
        for (size_t k = 0; k < r.operations.count; k++) {
            if (r.operations.items[k].type == DURABLE_OP_EXECUTION)
                continue;
            char pos[16];
            snprintf(pos, sizeof pos, "%zu", seen);
            CU_ASSERT_STRING_EQUAL(r.operations.items[k].id, ef_id(pos));
            CU_ASSERT_STRING_EQUAL(all.items[seen].id, ef_id(pos));
            seen++;
        }
        durable_free(marker);
        marker = r.next_marker ? durable__strdup(r.next_marker) : NULL;
        durable_state_response_clear(&r);
    } while (marker);
    CU_ASSERT_EQUAL(seen, STEPS + 1);
    durable_operation_list_clear(&all);
    durable_engine_close(fresh);
    ef_close(&f);
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_checkpoint_cost");
    DT_ADD(s, test_undelivered_probe_only_after_engine_change);
    DT_ADD(s, test_undelivered_probe_merges_in_start_order);
    DT_ADD(s, test_idem_record_written_by_the_row_update);
    DT_ADD(s, test_new_step_writes_three_btrees);
    return dt_run();
}
