/* Every program under examples/ runs and reports success (each checks its
 * own expectations and exits non-zero otherwise). The binaries are found in
 * $DURABLE_BUILD/examples (make run-tests sets it). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testutil.h"

static void run_example(const char *name, const char *args)
{
    const char *build = getenv("DURABLE_BUILD");
    char cmd[2048];
    char *db = dt_temp_path(name);
    snprintf(cmd, sizeof cmd, "%s/examples/%s %s%s 2>&1", build && *build ? build : "build", name,
             args ? args : "", args ? db : "");
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char line[4096];
    char want[128];
    snprintf(want, sizeof want, "%s: ok", name);
    int ok = 0;
    while (fgets(line, sizeof line, p))
        if (strncmp(line, want, strlen(want)) == 0)
            ok = 1;
    int status = pclose(p);
    if (!ok || status != 0)
        fprintf(stderr, "example %s failed (status %d): %s\n", name, status, cmd);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(status, 0);
    dt_remove_db(db);
    char ledger[4200];
    snprintf(ledger, sizeof ledger, "%s.ledger", db);
    unlink(ledger);
    snprintf(ledger, sizeof ledger, "%s.effects", db);
    unlink(ledger);
    free(db);
}

static void test_hello_world(void) { run_example("hello_world", NULL); }
static void test_simple_workflow(void) { run_example("simple_workflow", NULL); }
static void test_retries(void) { run_example("retries", NULL); }
static void test_callback_workflow(void) { run_example("callback_workflow", NULL); }
static void test_parallel_processing(void) { run_example("parallel_processing", NULL); }
static void test_child_contexts(void) { run_example("child_contexts", NULL); }
static void test_wait_for_condition(void) { run_example("wait_for_condition", NULL); }
static void test_invoke_chain(void) { run_example("invoke_chain", NULL); }
static void test_order_workflow(void) { run_example("order_workflow", ""); }

static void test_resume_after_crash(void) { run_example("resume_after_crash", ""); }

/* The README's session, command by command: `run` dies by SIGKILL, the file
 * says the execution is RUNNING (sqlite3 and durable), `resume` finishes it. */
static void test_resume_two_commands(void)
{
    const char *build = getenv("DURABLE_BUILD");
    build = build && *build ? build : "build";
    char *db = dt_temp_path("resume");
    char cmd[8192], out[4096];
    snprintf(cmd, sizeof cmd, "'%s/examples/resume_after_crash' '%s' run >/dev/null 2>&1", build,
             db);
    int st = system(cmd);
    /* sh reports a child killed by signal 9 as 128 + 9 */
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL);
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"SELECT execution_name, status FROM executions_view\"; "
             "'%s/durable' show '%s' import-1 | grep '^Status:'",
             db, build, db);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT(strstr(out, "import-1|RUNNING\n") && strstr(out, "Status:      RUNNING"));
    snprintf(cmd, sizeof cmd, "'%s/examples/resume_after_crash' '%s' resume 2>&1", build, db);
    p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT(strstr(out, "status: SUCCEEDED") && strstr(out, "resume_after_crash: ok"));
    dt_remove_db(db);
    char effects[4200];
    snprintf(effects, sizeof effects, "%s.effects", db);
    unlink(effects);
    free(db);
}

/* `make demo` (tools/demo.sh) on a temporary file: the run, `durable show`
 * and `durable history` tables (not JSON), an SVG timeline that xmllint
 * parses, and three next commands, of which the sqlite3 query runs. */
static void test_demo(void)
{
    const char *build = getenv("DURABLE_BUILD");
    char *db = dt_temp_path("demo");
    char svg[4200], cmd[8192], line[4096];
    snprintf(svg, sizeof svg, "%.*s.svg", (int)strlen(db) - 3, db);
    snprintf(cmd, sizeof cmd, "sh tools/demo.sh '%s' '%s' 2>&1", build && *build ? build : "build",
             db);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    int ok = 0, show = 0, history = 0, json = 0, next = 0, nexts = 0, events = 0;
    char query[4096] = "";
    while (fgets(line, sizeof line, p)) {
        ok |= strncmp(line, "order_workflow: ok", 18) == 0;
        show |= strncmp(line, "Status:      SUCCEEDED", 22) == 0;
        history |= strncmp(line, "EVENT  TYPE", 11) == 0;
        events += strstr(line, "InvocationCompleted") != NULL;
        json |= strstr(line, "\"EventType\"") != NULL;
        if (next && strncmp(line, "  ", 2) == 0) {
            nexts++;
            if (strncmp(line, "  sqlite3 ", 10) == 0)
                snprintf(query, sizeof query, "%s", line + 2);
        }
        next |= strncmp(line, "Next, try:", 10) == 0;
    }
    int status = pclose(p);
    CU_ASSERT_EQUAL(status, 0);
    CU_ASSERT(ok && show && history && !json);
    CU_ASSERT(events >= 4); /* each invocation ends with one */
    CU_ASSERT_EQUAL(nexts, 3);
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", svg);
    CU_ASSERT_EQUAL(system(cmd), 0);
    /* The suggested query works and finds the 2-day wait first. */
    CU_ASSERT_FATAL(*query != 0);
    query[strcspn(query, "\n")] = 0;
    p = popen(query, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char first[4096] = "", second[4096] = "", third[4096] = "";
    if (fgets(first, sizeof first, p) && fgets(second, sizeof second, p))
        (void)!fgets(third, sizeof third, p);
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT(strstr(first, "name") && strstr(first, "duration_ms"));
    CU_ASSERT(strstr(third, "delivery-window") != NULL);
    /* Every ```sql block of README.md runs on the demo's file and answers. */
    FILE *rd = fopen("README.md", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rd);
    char sql[8192] = "", qpath[4200];
    snprintf(qpath, sizeof qpath, "%s.sql", db);
    int in_sql = 0, blocks = 0;
    while (fgets(line, sizeof line, rd)) {
        if (!in_sql && strncmp(line, "```sql", 6) == 0) {
            in_sql = 1;
            sql[0] = 0;
        } else if (in_sql && strncmp(line, "```", 3) == 0) {
            in_sql = 0;
            blocks++;
            FILE *q = fopen(qpath, "w");
            CU_ASSERT_PTR_NOT_NULL_FATAL(q);
            fputs(sql, q);
            fclose(q);
            snprintf(cmd, sizeof cmd, "sqlite3 -bail '%s' < '%s' 2>&1", db, qpath);
            p = popen(cmd, "r");
            CU_ASSERT_PTR_NOT_NULL_FATAL(p);
            char answer[4096] = "";
            size_t n = fread(answer, 1, sizeof answer - 1, p);
            answer[n] = 0;
            int rc = pclose(p);
            if (rc != 0 || n == 0)
                printf("\n  README query failed (%d): %s\n%s", rc, sql, answer);
            CU_ASSERT(rc == 0 && n > 0);
        } else if (in_sql && strlen(sql) + strlen(line) < sizeof sql)
            strcat(sql, line);
    }
    fclose(rd);
    unlink(qpath);
    CU_ASSERT(blocks >= 4);
    /* The README's picture of the demo is there. */
    struct stat sb;
    CU_ASSERT(stat("docs/demo-timeline.png", &sb) == 0 && sb.st_size > 10000);
    dt_remove_db(db);
    unlink(svg);
    char ledger[4200];
    snprintf(ledger, sizeof ledger, "%s.ledger", db);
    unlink(ledger);
    free(db);
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_examples");
    DT_ADD(s, test_hello_world);
    DT_ADD(s, test_simple_workflow);
    DT_ADD(s, test_retries);
    DT_ADD(s, test_callback_workflow);
    DT_ADD(s, test_parallel_processing);
    DT_ADD(s, test_child_contexts);
    DT_ADD(s, test_wait_for_condition);
    DT_ADD(s, test_invoke_chain);
    DT_ADD(s, test_order_workflow);
    DT_ADD(s, test_resume_after_crash);
    DT_ADD(s, test_resume_two_commands);
    DT_ADD(s, test_demo);
    return dt_run();
}
