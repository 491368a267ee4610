/* The work an ordinary checkpoint leaves out (issue 16: CPU per step), and
 * that each skipped piece still runs when it is needed: the undelivered
 * probe of the delta (SPEC §7.3). Each case counts the runs of the skipped
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

#define PROBE "SELECT start_seq FROM operations INDEXED BY operations_undelivered"
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

int main(void)
{
    CU_pSuite s = dt_suite("engine_checkpoint_cost");
    DT_ADD(s, test_undelivered_probe_only_after_engine_change);
    DT_ADD(s, test_undelivered_probe_merges_in_start_order);
    return dt_run();
}
