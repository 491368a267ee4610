/*
 * resume_after_crash — a test killed mid-run, resumed from its file.
 *
 * The handler imports a file: download → parse → cool-down (a 1-hour wait,
 * skipped by the test clock) → load. Each step body appends its name to
 * DB.effects, the side effect a real import would have.
 *
 *   resume_after_crash DB run      runs execution "import-1" on DB (a new
 *                                  file); the process kills itself with
 *                                  SIGKILL inside "load", as a crashed test
 *                                  or worker would die
 *   resume_after_crash DB resume   opens the same DB and resumes "import-1"
 *                                  with durable_test_runner_resume: download
 *                                  and parse are not run again, load runs,
 *                                  the execution succeeds
 *   resume_after_crash [DB]        both, the run in a child process (what the
 *                                  example test does); DB default
 *                                  resume_after_crash.db
 *
 * Between the two, the file holds the whole story: sqlite3 and `durable`
 * read it (see README.md, "Resuming an interrupted execution").
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

static char effects[1024]; /* DB.effects */
static int die_in_load;    /* set by `run`: the first load never finishes */

static void effect(const char *what)
{
    int fd = open(effects, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", what);
    if (write(fd, line, (size_t)n) != n)
        perror(effects);
    close(fd);
}

static int count_effects(const char *what)
{
    FILE *f = fopen(effects, "r");
    char line[64];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        n += strcmp(line, what) == 0;
    }
    if (f)
        fclose(f);
    return n;
}

static int body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    const char *name = user;
    effect(name);
    if (die_in_load && strcmp(name, "load") == 0) {
        printf("   the process dies inside step \"load\" (attempt %d)\n",
               (int)durable_step_attempt(sctx));
        fflush(stdout);
        raise(SIGKILL);
    }
    *result = cJSON_CreateString(name);
    return 0;
}

static int import(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input, (void)user;
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "download", body, "download", NULL);
    if (rc == 0)
        rc = durable_step(ctx, &v, "parse", body, "parse", NULL);
    if (rc == 0)
        rc = durable_wait(ctx, "cool-down", DURABLE_HOURS(1));
    if (rc == 0)
        rc = durable_step(ctx, &v, "load", body, "load", NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(*out, "rows", 3);
    return 0;
}

/* The test environment on the file and a runner for execution "import-1". */
static int open_runner(durable_test_runner **r, const char *db)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.db_path = db; /* a file, kept after teardown: the point of it all */
    if (durable_test_env_setup(&cfg) != 0 || durable_test_runner_new(r, import, NULL, "import") != 0) {
        fprintf(stderr, "setup %s: %s\n", db, durable_error_last()->message);
        return -1;
    }
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.execution_name = "import-1";
    durable_test_runner_set_options(*r, &o);
    return 0;
}

static void close_runner(durable_test_runner *r)
{
    durable_test_runner_free(r);
    durable_test_env_teardown();
}

/* `run`: a new file, and a run that never returns (the process dies). */
static int run(const char *db)
{
    char p[1100];
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
    unlink(effects);
    printf("== running import-1 on %s\n", db);
    fflush(stdout);
    durable_test_runner *r = NULL;
    if (open_runner(&r, db) != 0)
        return 1;
    die_in_load = 1;
    durable_test_result *res = NULL;
    durable_test_runner_run(&res, r, "{\"file\":\"orders.csv\"}");
    fprintf(stderr, "resume_after_crash: the run returned; it should have died in load\n");
    return 1;
}

/* `resume`: the same file, the same execution, carried on to its end. */
static int resume(const char *db)
{
    printf("== resuming import-1 from %s\n", db);
    durable_test_runner *r = NULL;
    if (open_runner(&r, db) != 0)
        return 1;
    durable_test_result *res = NULL;
    int failed = 1;
    if (durable_test_runner_resume(&res, r, "import-1") != 0) {
        fprintf(stderr, "resume: %s\n", durable_error_last()->message);
    } else {
        const char *text = NULL;
        durable_test_result_get_result(&text, res);
        durable_exec_status st = durable_test_result_status(res);
        printf("   status: %s\n   result: %s\n   invocations: %zu\n", durable_exec_status_name(st),
               text ? text : "(none)", durable_test_result_invocation_count(res));
        int d = count_effects("download"), p = count_effects("parse"), l = count_effects("load");
        printf("   side effects: download %d, parse %d, load %d (the killed attempt and the "
               "resumed one)\n",
               d, p, l);
        failed = st != DURABLE_EXEC_SUCCEEDED || d != 1 || p != 1 || l != 2;
    }
    durable_test_result_free(res);
    close_runner(r);
    printf("resume_after_crash: %s\n", failed ? "FAILED" : "ok");
    return failed;
}

int main(int argc, char **argv)
{
    const char *db = argc > 1 ? argv[1] : "resume_after_crash.db";
    const char *verb = argc > 2 ? argv[2] : NULL;
    snprintf(effects, sizeof effects, "%s.effects", db);
    if (verb && strcmp(verb, "run") == 0)
        return run(db);
    if (verb && strcmp(verb, "resume") == 0)
        return resume(db);
    if (verb) {
        fprintf(stderr, "usage: resume_after_crash [DB [run|resume]]\n");
        return 2;
    }
    /* Both: the run in a child process (forked before any SQLite handle). */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(run(db));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
        fprintf(stderr, "the run was not killed (status %d)\nresume_after_crash: FAILED\n", status);
        return 1;
    }
    printf("   process %d was killed by signal %d\n", (int)pid, WTERMSIG(status));
    return resume(db);
}
