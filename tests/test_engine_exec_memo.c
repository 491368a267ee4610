/* The execution row an engine keeps between write calls (src/engine/
 * exec_memo.c): a checkpoint after a checkpoint of the same execution does
 * not read the row again, and every way the file can change in between
 * makes the next call read it: another connection's commit, another engine
 * on the same store, plain SQL on the store's connection, a call or a group
 * that rolled back. Each case would pass a checkpoint that SPEC rejects if
 * the kept row were used. */
#include <string.h>

#include "engine/group.h"
#include "support/engine_fixture.h"
#include "support/testutil.h"

/* Runs so far of the execution row's load (exec_row.c's column list). */
static int loads(durable_store *s)
{
    sqlite3 *db = durable__store_db(s);
    int runs = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        if (strstr(sqlite3_sql(st), "SELECT id, arn, op_id, function_name, qualifier"))
            runs += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
    return runs;
}

/* Checkpoint a new STEP at path (START + SUCCEED). */
static int step(ef *f, const char *path)
{
    durable_operation_update u[2];
    ef_upd(&u[0], DURABLE_OP_STEP, DURABLE_ACTION_START, path);
    ef_upd(&u[1], DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, path);
    int rc = ef_cp(f, u, 2, NULL);
    ef_clear_updates(u, 2);
    return rc;
}

static int64_t operations(ef *f)
{
    durable_operation_list l = {0};
    CU_ASSERT_EQUAL_FATAL(durable_engine_list_operations(&l, f->eng, f->arn), 0);
    int64_t n = (int64_t)l.count;
    durable_operation_list_clear(&l);
    return n;
}

/* The kept row replaces the load; reads in between keep it. */
static void test_checkpoints_do_not_reload_the_row(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    int before = loads(f.store);
    for (int i = 1; i <= 10; i++) {
        char path[16];
        snprintf(path, sizeof path, "%d", i);
        CU_ASSERT_EQUAL(step(&f, path), 0);
        durable_execution_info info;
        CU_ASSERT_EQUAL(durable_engine_get_execution(&info, f.eng, f.arn), 0);
        durable_execution_info_clear(&info);
    }
    CU_ASSERT_EQUAL(loads(f.store) - before, 0);
    CU_ASSERT_EQUAL(operations(&f), 11);
    /* The kept row is the file's: a replay of the last ClientToken is
     * still told apart from a new checkpoint. */
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "11");
    char *inbound = durable__strdup(f.token);
    durable_checkpoint_response r1 = {0}, r2 = {0};
    CU_ASSERT_EQUAL(ef_cp_full(&f, &u, 1, "ct-11", &r1), 0);
    durable_checkpoint_request req = {.durable_execution_arn = f.arn,
                                      .checkpoint_token = inbound,
                                      .client_token = "ct-11",
                                      .updates = &u,
                                      .update_count = 1};
    CU_ASSERT_EQUAL_FATAL(durable_engine_checkpoint(&r2, f.eng, &req), 0);
    CU_ASSERT_STRING_EQUAL(r2.checkpoint_token, r1.checkpoint_token);
    CU_ASSERT_EQUAL(operations(&f), 12);
    durable_operation_update_clear(&u);
    durable_checkpoint_response_clear(&r1);
    durable_checkpoint_response_clear(&r2);
    durable_free(inbound);
    ef_close(&f);
}

/* A second engine stops the execution between two checkpoints of the
 * first: the first must read the row again and refuse. other_store NULL =
 * the second engine shares the first one's store (its connection). */
static void stop_in_between(bool own_store)
{
    char *path = dt_temp_path("memo");
    ef f;
    ef_open_file(&f, path, true, EF_T0);
    ef_start(&f, NULL);
    CU_ASSERT_EQUAL_FATAL(step(&f, "1"), 0);
    durable_store *s2 = NULL;
    if (own_store)
        CU_ASSERT_EQUAL_FATAL(durable_store_open(&s2, path, NULL), 0);
    durable_engine *b = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_engine_open(&b, own_store ? s2 : f.store, NULL), 0);
    durable_stop_request stop = {.durable_execution_arn = f.arn};
    durable_stop_response sr;
    CU_ASSERT_EQUAL_FATAL(durable_engine_stop_execution(&sr, b, &stop), 0);
    int before = loads(f.store);
    int rc = step(&f, "2");
    CU_ASSERT_TRUE(rc == DURABLE_ECLOSED || rc == DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(loads(f.store) - before, 1);
    CU_ASSERT_EQUAL(operations(&f), 2);
    durable_exec_status status;
    int64_t deadline;
    CU_ASSERT_EQUAL(durable_engine_execution_status(&status, &deadline, f.eng, f.arn), 0);
    CU_ASSERT_EQUAL(status, DURABLE_EXEC_STOPPED);
    durable_engine_close(b);
    durable_store_close(s2);
    ef_close(&f);
    dt_remove_db(path);
    free(path);
}

static void test_other_connection_commit_is_seen(void)
{
    stop_in_between(true);
}

static void test_other_engine_on_the_store_is_seen(void)
{
    stop_in_between(false);
}

/* Plain SQL on the store's own connection (what `sqlite3` users and tests
 * do) moves the token sequence: the token the engine handed out is no
 * longer valid, and the engine must know. */
static void test_plain_sql_on_the_connection_is_seen(void)
{
    char *path = dt_temp_path("memo-sql");
    ef f;
    ef_open_file(&f, path, true, EF_T0);
    ef_start(&f, NULL);
    CU_ASSERT_EQUAL_FATAL(step(&f, "1"), 0);
    CU_ASSERT_EQUAL_FATAL(sqlite3_exec(durable__store_db(f.store),
                                       "UPDATE executions SET token_seq = token_seq + 1", NULL,
                                       NULL, NULL),
                          SQLITE_OK);
    CU_ASSERT_EQUAL(step(&f, "2"), DURABLE_ETOKEN);
    CU_ASSERT_EQUAL(operations(&f), 2);
    ef_close(&f);
    dt_remove_db(path);
    free(path);
}

/* A group whose calls were applied (each released its savepoint, so each
 * handed its row to the memo) and that then rolls back: the file holds the
 * state before the group, and so must the next call. */
static void test_rolled_back_group_drops_the_row(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    CU_ASSERT_EQUAL_FATAL(step(&f, "1"), 0);
    char *before_group = durable__strdup(f.token);
    CU_ASSERT_EQUAL_FATAL(durable__eng_group_begin(f.eng), 0);
    CU_ASSERT_EQUAL(step(&f, "2"), 0);
    CU_ASSERT_EQUAL(step(&f, "3"), 0); /* took the row step 2 left */
    CU_ASSERT_EQUAL(durable__eng_group_end(f.eng, false), 0);
    CU_ASSERT_EQUAL(operations(&f), 2);
    CU_ASSERT_EQUAL(step(&f, "4"), DURABLE_ETOKEN); /* a token of the lost group */
    durable_free(f.token);
    f.token = before_group;
    CU_ASSERT_EQUAL(step(&f, "2"), 0);
    CU_ASSERT_EQUAL(operations(&f), 3);
    ef_close(&f);
}

/* A rejected call (here a START of a step that already succeeded) took the
 * kept row and rolls back: the next call reads the row again and carries
 * on with the same token. */
static void test_rejected_call_reads_the_row_again(void)
{
    ef f;
    ef_open(&f);
    ef_start(&f, NULL);
    CU_ASSERT_EQUAL_FATAL(step(&f, "1"), 0);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    CU_ASSERT_NOT_EQUAL(ef_cp1(&f, &u), 0);
    int before = loads(f.store);
    CU_ASSERT_EQUAL(step(&f, "2"), 0);
    CU_ASSERT_EQUAL(loads(f.store) - before, 1);
    CU_ASSERT_EQUAL(operations(&f), 3);
    ef_close(&f);
}

int main(void)
{
    CU_pSuite s = dt_suite("engine_exec_memo");
    DT_ADD(s, test_checkpoints_do_not_reload_the_row);
    DT_ADD(s, test_other_connection_commit_is_seen);
    DT_ADD(s, test_other_engine_on_the_store_is_seen);
    DT_ADD(s, test_plain_sql_on_the_connection_is_seen);
    DT_ADD(s, test_rolled_back_group_drops_the_row);
    DT_ADD(s, test_rejected_call_reads_the_row_again);
    return dt_run();
}
