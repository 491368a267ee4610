/*
 * order_workflow — a realistic order pipeline on a database file, killed
 * mid-way and resumed.
 *
 *   validate-order → reserve-inventory → charge-payment (at most once per
 *   attempt) → warehouse-pickup (callback: the warehouse confirms) →
 *   create-shipment → delivery-window (wait 2 days) → notify-customer
 *
 * The handler lives in order_workflow.h, so the resume test
 * (tests/test_testing_resume.c) kills and resumes this very pipeline.
 *
 * The program runs the order in a child process that is SIGKILLed when
 * create-shipment begins (or at --kill-at <step>), as a crashed worker
 * would be. Then it opens the same file, finds the interrupted execution
 * and resumes it: the steps that committed are not run again (the ledger
 * shows each side effect once), and the execution finishes.
 *
 * usage: order_workflow [DB] [--kill-at STEP] [--brief]
 *        (DB default: order_workflow.db; --brief leaves out the operations
 *        table, which `make demo` shows with `durable show`)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/context.h"
#include "durable/testing.h"
#include "order_workflow.h"

/* The worker dies when the body of this step begins. */
static void kill_point(void *user, const char *where)
{
    const char *kill_at = user;
    if (strncmp(where, "body:", 5) == 0 && strcmp(where + 5, kill_at) == 0)
        raise(SIGKILL);
}

static void remove_db(const char *db)
{
    char buf[1024];
    unlink(db);
    snprintf(buf, sizeof buf, "%s-wal", db);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", db);
    unlink(buf);
}

static int setup(const char *db)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.db_path = db;
    cfg.sync_mode = DURABLE_SYNC_FULL;
    if (durable_test_env_setup(&cfg) != 0) {
        fprintf(stderr, "setup %s: %s\n", db, durable_error_last()->message);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *db = "order_workflow.db";
    const char *kill_at = "create-shipment";
    int brief = 0; /* no operations table: `make demo` shows `durable show` instead */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kill-at") == 0 && i + 1 < argc)
            kill_at = argv[++i];
        else if (strcmp(argv[i], "--brief") == 0)
            brief = 1;
        else
            db = argv[i];
    }
    char ledger_path[1024];
    snprintf(ledger_path, sizeof ledger_path, "%s.ledger", db);
    order_config cfg = { ledger_path, NULL, NULL, NULL };
    remove_db(db);
    unlink(ledger_path);

    /* 1. A worker process runs the order and dies at kill_at. */
    printf("== running order-1001 in a worker process that will be killed at %s\n", kill_at);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        cfg.point = kill_point;
        cfg.point_user = (void *)kill_at;
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        if (setup(db) != 0 || order_runner_new(&r, &cfg) != 0)
            _exit(2);
        durable_test_runner_run(&res, r, "{\"order\":1001}");
        _exit(3); /* finished without being killed: kill_at was never reached */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("   worker %d was killed by signal %d\n", (int)pid, WTERMSIG(status));
    else
        printf("   worker %d exited with status %d (never reached %s)\n", (int)pid,
               WEXITSTATUS(status), kill_at);

    /* 2. Open the same file and resume what was interrupted. */
    if (setup(db) != 0)
        return 1;
    durable_test_runner *r = NULL;
    int failed = order_runner_new(&r, &cfg) != 0;
    durable_test_result **results = NULL;
    size_t n = 0;
    if (!failed && durable_test_runner_resume_all(&results, &n, r, NULL) != 0) {
        fprintf(stderr, "resume: %s\n", durable_error_last()->message);
        failed = 1;
    }
    printf("== resumed %zu interrupted execution(s)\n", n);
    for (size_t i = 0; i < n; i++) {
        durable_test_result *res = results[i];
        const char *text = NULL;
        durable_test_result_get_result(&text, res);
        printf("   %s\n   status: %s\n   result: %s\n\n", durable_test_result_execution_arn(res),
               durable_exec_status_name(durable_test_result_status(res)), text ? text : "(none)");
        if (!brief) {
            durable_test_print_options po = DURABLE_TEST_PRINT_OPTIONS_INIT;
            po.parent_id = true;
            durable_test_result_print(res, stdout, &po);
            printf("\n");
        }
        printf("== invocations\n");
        for (size_t k = 0; k < durable_test_result_invocation_count(res); k++) {
            const durable_test_invocation *inv = NULL;
            durable_test_result_get_invocation(&inv, res, k);
            printf("   %s %-9s %s\n", inv->request_id, inv->outcome ? inv->outcome : "-",
                   inv->error && inv->error->error_message ? inv->error->error_message : "");
        }
        if (durable_test_result_status(res) != DURABLE_EXEC_SUCCEEDED)
            failed = 1;
    }
    if (n != 1)
        failed = 1;
    printf("== side effects in %s\n", ledger_path);
    for (int i = 0; i < ORDER_STEP_COUNT; i++) {
        int c = order_ledger_count(ledger_path, order_steps[i]);
        printf("   %-18s %d\n", order_steps[i], c);
        if (c != 1)
            failed = 1;
    }
    durable_test_result_list_free(results, n);
    order_runner_free(r, &cfg);
    durable_test_env_teardown();
    if (!brief)
        printf("\nThe whole story is in %s. Open it with sqlite3 or the durable tool:\n"
               "   sqlite3 -header -column %s 'SELECT * FROM executions_view;'\n"
               "   sqlite3 -header -column %s 'SELECT name, type, status, attempt, duration_ms "
               "FROM operations_view;'\n"
               "   durable history %s order-1001\n",
               db, db, db, db);
    printf("\norder_workflow: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
