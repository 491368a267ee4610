/*
 * EXEC in `durable` commands is also an execution's name
 * (DurableExecutionName): a file made with the engine holds "order-1001"
 * (running, with an open callback), "other" (running), "dup" under two
 * functions, and "arn" — a name that is also a prefix of every ARN. Every
 * command taking EXEC (show, history, callbacks, stop, timeline, logs) finds an
 * execution by a unique name; an ambiguous name exits 1 listing the ARNs it
 * matches and changes nothing; an exact name wins over prefixes of ARNs.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "support/cli_run.h"
#include "support/engine_fixture.h"

static char *dbpath;
static char *arn_order, *arn_other, *arn_dup_a, *arn_dup_b, *arn_named_arn;

/* Starts an execution NAME of FN on f's engine; returns its ARN. */
static char *start(ef *f, const char *fn, const char *name)
{
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = name;
    o.input_payload = "{}";
    durable_free(f->arn);
    f->arn = NULL;
    CU_ASSERT_FATAL(durable_engine_start_execution(&f->arn, NULL, f->eng, fn, &o) == 0);
    ef_advance(f, 1000);
    return strdup(f->arn);
}

static void build_db(void)
{
    ef f;
    ef_open_file(&f, dbpath, true, EF_T0);
    arn_order = start(&f, "orders", "order-1001");
    CU_ASSERT_FATAL(ef_invoke(&f) == 0);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    u.name = durable__strdup("approval");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    arn_other = start(&f, "orders", "other");
    arn_dup_a = start(&f, "fn-a", "dup");
    arn_dup_b = start(&f, "fn-b", "dup");
    arn_named_arn = start(&f, "orders", "arn");
    ef_close(&f);
}

static void test_show_and_history_by_name(void)
{
    char *out, *err;
    CU_ASSERT_EQUAL(dt_cli_run(&out, &err, "show '%s' order-1001", dbpath), 0);
    CU_ASSERT(strstr(out, arn_order) && strstr(out, "Name:        order-1001"));
    CU_ASSERT(strstr(out, "approval") != NULL);
    free(out), free(err);
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "history '%s' order-1001", dbpath), 0);
    CU_ASSERT(strstr(out, "ExecutionStarted") && strstr(out, "CallbackStarted"));
    free(out);
    /* logs by name: the execution has none (no `durable serve` ran it) */
    CU_ASSERT_EQUAL(dt_cli_run(&out, &err, "logs '%s' order-1001", dbpath), 0);
    CU_ASSERT(*err == 0);
    free(out), free(err);
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "history '%s' order-1001 --json", dbpath), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "Events")) >= 3);
    cJSON_Delete(j);
    free(out);
    /* The name "arn" is exact: it wins over the prefix every ARN has. */
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "show '%s' arn", dbpath), 0);
    CU_ASSERT(strstr(out, arn_named_arn) != NULL);
    free(out);
    /* Prefixes and ids still work. */
    const char *opid = strrchr(arn_other, '/') + 1;
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "show '%s' %.10s", dbpath, opid), 0);
    CU_ASSERT(strstr(out, "Name:        other") != NULL);
    free(out);
}

static void test_callbacks_by_name(void)
{
    char *out;
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "callbacks '%s' order-1001", dbpath), 0);
    CU_ASSERT(strstr(out, arn_order) && strstr(out, "approval"));
    free(out);
    /* another execution has no callbacks: the header only */
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "callbacks '%s' other --json", dbpath), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "Callbacks")), 0);
    cJSON_Delete(j);
    free(out);
}

/* An ambiguous name: exit 1, every matching ARN on stderr, nothing printed
 * on stdout, and the file not changed (both still RUNNING). */
static void test_ambiguous_name_lists_arns(void)
{
    const char *cmds[] = {"show", "history", "stop", "callbacks", "timeline", "logs"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out, *err;
        int rc = dt_cli_run(&out, &err, "%s '%s' dup", cmds[i], dbpath);
        CU_ASSERT_EQUAL(rc, 1);
        bool ok = strstr(err, "'dup' is ambiguous (2 executions match by name)") &&
                  strstr(err, arn_dup_a) && strstr(err, arn_dup_b) && strstr(err, dbpath) &&
                  !*out;
        if (!ok || rc != 1)
            printf("\n  %s: exit %d, stderr: %s", cmds[i], rc, err);
        CU_ASSERT(ok);
        free(out), free(err);
    }
    char *out;
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "executions '%s' --name dup --status RUNNING --json",
                               dbpath),
                    0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "DurableExecutions")), 2);
    cJSON_Delete(j);
    free(out);
    /* The full ARN still picks one. */
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "show '%s' '%s'", dbpath, arn_dup_b), 0);
    CU_ASSERT(strstr(out, "fn-b") != NULL);
    free(out);
}

static void test_stop_by_name(void)
{
    char *out, *err;
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "stop '%s' other", dbpath), 0);
    CU_ASSERT(strstr(out, "stopped") && strstr(out, arn_other));
    free(out);
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "show '%s' other", dbpath), 0);
    CU_ASSERT(strstr(out, "Status:      STOPPED") != NULL);
    free(out);
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "stop '%s' other", dbpath), 3);
    CU_ASSERT(strstr(err, "not running (STOPPED)") != NULL);
    free(err);
    /* No such name: exit 2, and the message says what EXEC may be. */
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "stop '%s' order-9999", dbpath), 2);
    CU_ASSERT(strstr(err, "no execution matches 'order-9999'") && strstr(err, "execution name"));
    free(err);
}

int main(void)
{
    dbpath = dt_temp_path("cli_names");
    CU_pSuite s = dt_suite("testing_cli_names");
    DT_ADD(s, build_db);
    DT_ADD(s, test_show_and_history_by_name);
    DT_ADD(s, test_callbacks_by_name);
    DT_ADD(s, test_ambiguous_name_lists_arns);
    DT_ADD(s, test_stop_by_name);
    int rc = dt_run();
    dt_remove_db(dbpath);
    free(dbpath);
    free(arn_order), free(arn_other), free(arn_dup_a), free(arn_dup_b), free(arn_named_arn);
    return rc;
}
