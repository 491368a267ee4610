/*
 * order_workflow — a realistic order pipeline on a database file, killed
 * mid-way and resumed.
 *
 *   validate-order → reserve-inventory → charge-payment (at most once)
 *   → warehouse-pickup (callback: the warehouse confirms) → create-shipment
 *   → delivery-window (wait 2 days) → notify-customer
 *
 * The program runs the order in a child process that is SIGKILLed when
 * create-shipment begins (or at --kill-at <step>), as a crashed worker
 * would be. Then it opens the same file, finds the interrupted execution
 * and resumes it: the steps that committed are not run again (the ledger
 * shows each side effect once), and the execution finishes.
 *
 * usage: order_workflow [DB] [--kill-at STEP]   (DB default: order_workflow.db)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/context.h"
#include "durable/testing.h"

static const char *g_ledger;  /* side effects, one line each */
static const char *g_kill_at; /* step name at which this process dies */

static void ledger(const char *what)
{
    int fd = open(g_ledger, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "%s\n", what);
    if (write(fd, line, (size_t)n) < 0)
        perror("ledger");
    close(fd);
}

static int side_effect(durable_step_ctx *sctx, cJSON **result, void *user)
{
    const char *step = user;
    (void)sctx;
    if (g_kill_at && strcmp(g_kill_at, step) == 0)
        raise(SIGKILL); /* the worker dies here */
    ledger(step);
    char buf[96];
    snprintf(buf, sizeof buf, "%s: done", step);
    *result = cJSON_CreateString(buf);
    return 0;
}

static int notify_warehouse(durable_step_ctx *sctx, const char *callback_id, void *user)
{
    (void)user;
    durable_step_log(sctx, DURABLE_LOG_INFO, "warehouse asked to confirm pickup (callback %s)",
                     callback_id);
    return 0;
}

static int order(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)user;
    static const char *const before[] = { "validate-order", "reserve-inventory" };
    const cJSON *v = NULL;
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = durable_step(ctx, &v, before[i], side_effect, (void *)before[i], NULL);
    if (rc == 0) {
        durable_step_options once = DURABLE_STEP_OPTIONS_INIT;
        once.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
        once.retry = durable_retry_preset_none();
        rc = durable_step(ctx, &v, "charge-payment", side_effect, "charge-payment", &once);
    }
    const cJSON *pickup = NULL;
    if (rc == 0)
        rc = durable_wait_for_callback(ctx, &pickup, "warehouse-pickup", notify_warehouse, NULL,
                                       NULL);
    if (rc == 0)
        rc = durable_step(ctx, &v, "create-shipment", side_effect, "create-shipment", NULL);
    if (rc == 0)
        rc = durable_wait(ctx, "delivery-window", DURABLE_DAYS(2));
    if (rc == 0)
        rc = durable_step(ctx, &v, "notify-customer", side_effect, "notify-customer", NULL);
    if (rc != 0)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "order", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(input, "order"), 1));
    cJSON_AddStringToObject(r, "status", "delivered");
    cJSON_AddItemToObject(r, "pickup", cJSON_Duplicate(pickup, 1));
    *out = r;
    return 0;
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

static int new_runner(durable_test_runner **r)
{
    if (durable_test_runner_new(r, order, NULL, "order-workflow") != 0)
        return -1;
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.execution_name = "order-1001";
    o.log_level = DURABLE_LOG_INFO;
    durable_test_runner_set_options(*r, &o);
    /* The warehouse confirms 30 minutes after it was asked. */
    durable_test_callback_action a = DURABLE_TEST_CALLBACK_ACTION_INIT;
    a.match = DURABLE_TEST_MATCH_EXACT;
    a.name = "warehouse-pickup";
    a.payload = "{\"dock\": 7}";
    a.delay_ms = 30 * 60 * 1000;
    return durable_test_runner_add_callback_responder(*r, &a);
}

static int count_lines(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    char line[128];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        n += strcmp(line, what) == 0;
    }
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    const char *db = "order_workflow.db";
    const char *kill_at = "create-shipment";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kill-at") == 0 && i + 1 < argc)
            kill_at = argv[++i];
        else
            db = argv[i];
    }
    char ledger_path[1024];
    snprintf(ledger_path, sizeof ledger_path, "%s.ledger", db);
    g_ledger = ledger_path;
    remove_db(db);
    unlink(ledger_path);

    /* 1. A worker process runs the order and dies at kill_at. */
    printf("== running order-1001 in a worker process that will be killed at %s\n", kill_at);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        g_kill_at = kill_at;
        durable_test_runner *r = NULL;
        durable_test_result *res = NULL;
        if (setup(db) != 0 || new_runner(&r) != 0)
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
    int failed = new_runner(&r) != 0;
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
        durable_test_print_options po = DURABLE_TEST_PRINT_OPTIONS_INIT;
        po.parent_id = true;
        durable_test_result_print(res, stdout, &po);
        printf("\n== invocations\n");
        for (size_t k = 0; k < durable_test_result_invocation_count(res); k++) {
            const durable_test_invocation *inv = NULL;
            durable_test_result_get_invocation(&inv, res, k);
            printf("   %s %-9s %s\n", inv->request_id, inv->outcome ? inv->outcome : "-",
                   inv->error && inv->error->error_message ? inv->error->error_message : "");
        }
        char *history = NULL;
        if (durable_test_result_history_json(&history, res, DURABLE_TS_RFC3339, true) == 0)
            printf("\n== history\n%s\n", history);
        durable_free(history);
        if (durable_test_result_status(res) != DURABLE_EXEC_SUCCEEDED)
            failed = 1;
    }
    if (n != 1)
        failed = 1;
    static const char *const effects[] = { "validate-order", "reserve-inventory", "charge-payment",
                                           "create-shipment", "notify-customer" };
    printf("== side effects in %s\n", ledger_path);
    for (int i = 0; i < 5; i++) {
        int c = count_lines(ledger_path, effects[i]);
        printf("   %-18s %d\n", effects[i], c);
        if (c != 1)
            failed = 1;
    }
    durable_test_result_list_free(results, n);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    printf("\nThe whole story is in %s. Open it with sqlite3:\n"
           "   sqlite3 %s 'SELECT * FROM executions_view;'\n"
           "   sqlite3 %s 'SELECT * FROM operations_view;'\n"
           "   sqlite3 %s 'SELECT * FROM history_view;'\n",
           db, db, db, db);
    printf("\norder_workflow: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
