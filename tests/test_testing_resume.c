/* Crash safety on a file database: resume after the test process was
 * SIGKILLed (committed steps never re-run, interrupted at-most-once steps
 * fail), and crash isolation (each invocation in a forked child). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/engine.h"
#include "test_testing_prog.h"

/* A workflow of N steps; step i appends "i\n" to a marker file (the side
 * effect), and the process SIGKILLs itself when step kill_at begins. */
typedef struct crashy {
    int steps;
    int kill_at;            /* -1: never */
    int wait_every;         /* a 1-hour wait after every k-th step (0: none) */
    const char *marker;
    bool at_most_once_kill; /* kill inside an AT_MOST_ONCE step after its START */
} crashy;

static void append_marker(const char *path, int i)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d\n", i);
    if (write(fd, buf, (size_t)n) < 0) {
        /* nothing to do: the test will notice the missing marker */
    }
    close(fd);
}

typedef struct step_arg {
    crashy *c;
    int index;
} step_arg;

static int crashy_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    step_arg *a = user;
    if (a->index == a->c->kill_at && !a->c->at_most_once_kill)
        raise(SIGKILL); /* before the side effect */
    append_marker(a->c->marker, a->index);
    if (a->index == a->c->kill_at && a->c->at_most_once_kill)
        raise(SIGKILL); /* after the side effect, before the checkpoint */
    *result = cJSON_CreateNumber(a->index * 10);
    return 0;
}

static int crashy_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    crashy *c = user;
    double sum = 0;
    for (int i = 0; i < c->steps; i++) {
        step_arg a = { c, i };
        char name[32];
        snprintf(name, sizeof name, "step-%d", i);
        durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
        so.retry = durable_retry_preset_none();
        if (c->at_most_once_kill && i == c->kill_at)
            so.semantics = DURABLE_AT_MOST_ONCE_PER_RETRY;
        const cJSON *v = NULL;
        int rc = durable_step(ctx, &v, name, crashy_body, &a, &so);
        if (rc != 0)
            return rc;
        sum += v->valuedouble;
        if (c->wait_every && (i + 1) % c->wait_every == 0) {
            snprintf(name, sizeof name, "wait-%d", i);
            rc = durable_wait(ctx, name, 3600);
            if (rc != 0)
                return rc;
        }
    }
    *out = cJSON_CreateNumber(sum);
    return 0;
}

static void file_env_up(const char *path)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.db_path = path;
    int rc = durable_test_env_setup(&cfg);
    if (rc != 0)
        fprintf(stderr, "env: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Count each marker; returns false if any index is missing, or repeated
 * although its step was committed (committed NULL: repeated at all). A
 * step that ran but whose result was not yet committed when the process
 * died runs again: that is at-least-once, and counted in *dups. */
static bool markers_once(const char *path, int steps, int *dups, const bool *committed)
{
    int count[256] = { 0 };
    *dups = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return steps == 0;
    int i;
    while (fscanf(f, "%d", &i) == 1)
        if (i >= 0 && i < 256)
            count[i]++;
    fclose(f);
    bool ok = true;
    for (int k = 0; k < steps; k++) {
        if (count[k] < 1 || count[k] > 2 || (count[k] == 2 && (!committed || committed[k])))
            ok = false;
        if (count[k] > 1)
            (*dups)++;
    }
    return ok;
}

/* Which steps had their result committed when the process died: read the
 * file directly through the engine API (before the environment opens it). */
static int committed_steps(const char *db, bool committed[256])
{
    memset(committed, 0, 256 * sizeof *committed);
    durable_store *st = NULL;
    durable_engine *e = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.create = false;
    int rc = durable_store_open(&st, db, &so);
    if (rc == 0)
        rc = durable_engine_open(&e, st, NULL);
    durable_list_request req;
    memset(&req, 0, sizeof req);
    req.function_name = "order";
    durable_list_response resp;
    memset(&resp, 0, sizeof resp);
    if (rc == 0)
        rc = durable_engine_list_executions(&resp, e, &req);
    int n = 0;
    for (size_t x = 0; rc == 0 && x < resp.count; x++) {
        durable_operation_list ops;
        memset(&ops, 0, sizeof ops);
        if (durable_engine_list_operations(&ops, e, resp.executions[x].durable_execution_arn) != 0)
            continue;
        for (size_t i = 0; i < ops.count; i++) {
            int k;
            if (ops.items[i].type == DURABLE_OP_STEP && ops.items[i].name &&
                sscanf(ops.items[i].name, "step-%d", &k) == 1 && k >= 0 && k < 256 &&
                ops.items[i].status == DURABLE_OP_SUCCEEDED) {
                committed[k] = true;
                n++;
            }
        }
        durable_operation_list_clear(&ops);
    }
    durable_list_response_clear(&resp);
    durable_engine_close(e);
    durable_store_close(st);
    return rc < 0 ? rc : n;
}

/* Run the workflow in a child process that kills itself; returns the
 * child's wait status. */
static int run_killed_child(const char *db, crashy *c)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
        cfg.db_path = db;
        if (durable_test_env_setup(&cfg) != 0)
            _exit(10);
        durable_test_runner *r = NULL;
        if (durable_test_runner_new(&r, crashy_handler, c, "order") != 0)
            _exit(11);
        durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
        o.execution_name = "order-1";
        durable_test_runner_set_options(r, &o);
        durable_test_result *res = NULL;
        durable_test_runner_run(&res, r, "{\"order\":1}");
        _exit(12); /* not reached when the kill point is inside the run */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void test_resume_after_sigkill(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x5151);
    char *db = dt_temp_path("resume");
    char marker[512];
    snprintf(marker, sizeof marker, "%s.markers", db);
    int total_committed = 0;
    for (int c = 0; c < 20; c++) {
        crashy cr = { 8 + (int)dt_rng_below(&rng, 8), 0, (int)dt_rng_below(&rng, 4), marker,
                      false };
        cr.kill_at = (int)dt_rng_below(&rng, (uint64_t)cr.steps);
        dt_remove_db(db);
        unlink(marker);
        int st = run_killed_child(db, &cr);
        DT_PROP(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, seed, c);
        bool committed[256];
        int ncommitted = committed_steps(db, committed);
        DT_PROP(ncommitted >= 0, seed, c);
        total_committed += ncommitted > 0 ? ncommitted : 0;

        file_env_up(db);
        crashy again = cr;
        again.kill_at = -1;
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, crashy_handler, &again, "order"), 0);
        durable_test_result **results = NULL;
        size_t n = 0;
        int rc = durable_test_runner_resume_all(&results, &n, r, NULL);
        DT_PROP(rc == 0 && n == 1, seed, c);
        if (rc != 0)
            fprintf(stderr, "resume_all: %s\n", durable_error_last()->message);
        if (rc == 0 && n == 1) {
            durable_test_result *res = results[0];
            DT_PROP(durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED, seed, c);
            const char *text = NULL;
            durable_test_result_get_result(&text, res);
            char want[32];
            snprintf(want, sizeof want, "%d", 10 * (cr.steps - 1) * cr.steps / 2);
            DT_PROP(text && strcmp(text, want) == 0, seed, c);
            /* The dead process's invocation was closed with Runtime.ExitError. */
            bool exit_error = false;
            for (size_t i = 0; i < durable_test_result_invocation_count(res); i++) {
                const durable_test_invocation *inv = NULL;
                durable_test_result_get_invocation(&inv, res, i);
                if (inv->error && inv->error->error_type &&
                    strcmp(inv->error->error_type, "Runtime.ExitError") == 0)
                    exit_error = true;
            }
            DT_PROP(exit_error, seed, c);
        }
        int dups = 0;
        bool once = markers_once(marker, cr.steps, &dups, committed);
        DT_PROP(once, seed, c);
        /* Only the steps after the last commit can run twice. */
        DT_PROP(dups <= cr.steps - ncommitted, seed, c);
        if (!once) {
            fprintf(stderr, "steps %d kill_at %d wait_every %d; markers:", cr.steps, cr.kill_at,
                    cr.wait_every);
            FILE *mf = fopen(marker, "r");
            int v;
            while (mf && fscanf(mf, "%d", &v) == 1)
                fprintf(stderr, " %d", v);
            if (mf)
                fclose(mf);
            fprintf(stderr, "\n");
        }
        /* Nothing left to resume; a resume by name returns the closed one. */
        durable_test_result_list_free(results, n);
        DT_PROP(durable_test_runner_resume_all(&results, &n, r, NULL) == 0 && n == 0, seed, c);
        durable_test_result *res = NULL;
        DT_PROP(durable_test_runner_resume(&res, r, "order-1") == 0 &&
                    durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED,
                seed, c);
        durable_test_result_free(res);
        DT_PROP(durable_test_runner_resume(&res, r, "no-such-execution") == DURABLE_ENOTFOUND,
                seed, c);
        DT_PROP(strstr(durable_error_last()->message, "Execution not found") != NULL, seed, c);
        durable_test_runner_free(r);
        env_down();
    }
    /* Across 20 kill points some steps had committed (waits flush them). */
    CU_ASSERT(total_committed > 0);
    dt_remove_db(db);
    unlink(marker);
    free(db);
}

static void test_resume_interrupted_at_most_once_step(void)
{
    char *db = dt_temp_path("amo");
    char marker[512];
    snprintf(marker, sizeof marker, "%s.markers", db);
    dt_remove_db(db);
    unlink(marker);
    crashy cr = { 4, 2, 0, marker, true };
    int st = run_killed_child(db, &cr);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    file_env_up(db);
    /* The same handler and options (AT_MOST_ONCE on step 2). If its body
     * ran again it would kill this process: the SDK must not re-run it. */
    crashy again = cr;
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, crashy_handler, &again, "order"), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_resume(&res, r, "order-1"), 0);
    /* Step 2 was STARTED when the process died: it fails as interrupted,
     * with no retries left the execution fails. */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    durable_test_operation *op = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_operation(&op, res, "step-2"), 0);
    CU_ASSERT_EQUAL(durable_test_operation_status(op), DURABLE_OP_FAILED);
    durable_test_step_details sd;
    CU_ASSERT_EQUAL(durable_test_operation_step_details(&sd, op), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sd.error);
    CU_ASSERT_PTR_NOT_NULL(sd.error->error_message &&
                           strstr(sd.error->error_message, "interruption"));
    /* Steps 0 and 1 ran once; step 2's body ran once (before the kill). */
    int dups = 0;
    CU_ASSERT_TRUE(markers_once(marker, 3, &dups, NULL));
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
    dt_remove_db(db);
    unlink(marker);
    free(db);
}

/* ---- crash isolation ---------------------------------------------------------------------- */

typedef struct iso {
    const char *marker;
} iso;

static int exiting_body(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    iso *s = user;
    /* The first attempt crashes the (child) process; the marker file
     * survives, so the second attempt succeeds. */
    if (access(s->marker, F_OK) != 0) {
        append_marker(s->marker, 0);
        fflush(stdout);
        _exit(3);
    }
    *result = cJSON_CreateString("survived");
    return 0;
}

static int isolated_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input;
    durable_ctx_log(ctx, DURABLE_LOG_INFO, "in pid %d", (int)getpid());
    const cJSON *v = NULL;
    int rc = durable_step(ctx, &v, "crashes-once", exiting_body, user, NULL);
    if (rc != 0)
        return rc;
    *out = cJSON_Duplicate(v, 1);
    return 0;
}

static void test_crash_isolation(void)
{
    char *db = dt_temp_path("iso");
    char marker[512];
    snprintf(marker, sizeof marker, "%s.markers", db);
    dt_remove_db(db);
    unlink(marker);
    file_env_up(db);
    iso s = { marker };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, isolated_handler, &s, "isolated"), 0);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.crash_isolation = true;
    o.log_level = DURABLE_LOG_INFO;
    o.log_during_replay = true;
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r, &o), 0);
    durable_test_result *res = NULL;
    int rc = durable_test_runner_run(&res, r, NULL);
    if (rc != 0)
        fprintf(stderr, "%s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), 0);
    CU_ASSERT_STRING_EQUAL(text, "\"survived\"");
    CU_ASSERT_EQUAL(durable_test_result_invocation_count(res), 2);
    const durable_test_invocation *inv = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_result_get_invocation(&inv, res, 0), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv->error);
    CU_ASSERT_STRING_EQUAL(inv->error->error_type, "Runtime.ExitError");
    CU_ASSERT_PTR_NOT_NULL(strstr(inv->error->error_message, "exit status 3"));
    /* The children's log lines came back through the pipe, from other pids. */
    CU_ASSERT(durable_test_result_log_count(res) >= 2);
    char mine[32];
    snprintf(mine, sizeof mine, "in pid %d", (int)getpid());
    for (size_t i = 0; i < durable_test_result_log_count(res); i++)
        CU_ASSERT_PTR_NULL(strstr(durable_test_result_log_line(res, i), mine));
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();

    /* On ":memory:" crash isolation is refused with a clear error. */
    env_up(true, 0);
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_new(&r, isolated_handler, &s, "isolated"), 0);
    CU_ASSERT_EQUAL(durable_test_runner_set_options(r, &o), 0);
    rc = durable_test_runner_run(&res, r, NULL);
    CU_ASSERT_EQUAL(rc, 0);
    /* Every invocation fails with the reason; the engine gives up. */
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_FAILED);
    const durable_error_object *e = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_error(&e, res), 0);
    CU_ASSERT_PTR_NOT_NULL(e && e->error_message && strstr(e->error_message, "file database"));
    durable_test_result_free(res);
    durable_test_runner_free(r);
    env_down();
    dt_remove_db(db);
    unlink(marker);
    free(db);
}

int main(void)
{
    CU_pSuite s = dt_suite("testing_resume");
    DT_ADD(s, test_resume_after_sigkill);
    DT_ADD(s, test_resume_interrupted_at_most_once_step);
    DT_ADD(s, test_crash_isolation);
    return dt_run();
}
