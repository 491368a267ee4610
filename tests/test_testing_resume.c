/* Crash safety on a file database: resume after the test process was
 * SIGKILLed at random points of the order_workflow example (same result,
 * every step body exactly once), interrupted at-most-once steps fail, and
 * crash isolation (each invocation in a forked child). */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../examples/order_workflow.h"
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

/* ---- order_workflow killed at random points ------------------------------------------ */

#define MAX_POINTS 128

/* The points of one process's run: where it is killed, and (for the
 * uninterrupted reference run) the label of every point. */
typedef struct killer {
    const char *db;
    const char *ledger;
    int kill_at; /* 1-based number of the point to die at; 0 = never */
    int hits;
    char labels[MAX_POINTS][48];
} killer;

static int ledger_lines(const char *path)
{
    int n = 0;
    for (int i = 0; i < ORDER_STEP_COUNT; i++)
        n += order_ledger_count(path, order_steps[i]);
    return n;
}

/* STEP operations that have SUCCEEDED in the file (a reader beside the
 * running engine); -1 when the file cannot be read. */
static int steps_succeeded(const char *db)
{
    sqlite3 *h = NULL;
    int n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 5000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM operations WHERE type = 'STEP' AND "
                                  "status = 'SUCCEEDED'",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
}

static void kill_point(void *user, const char *where)
{
    killer *k = user;
    if (k->hits < MAX_POINTS)
        snprintf(k->labels[k->hits], sizeof k->labels[0], "%s", where);
    if (++k->hits != k->kill_at)
        return;
    /* Die once every body that ran has its result in the file. A result
     * still queued in the batcher (async, at-least-once) would make the
     * resumed run repeat that body by design, and the point of this test
     * is that nothing durable is ever repeated. */
    int ran = ledger_lines(k->ledger);
    for (int i = 0; i < 1000 && steps_succeeded(k->db) < ran; i++) {
        struct timespec ts = { 0, 5 * 1000000L };
        nanosleep(&ts, NULL);
    }
    raise(SIGKILL);
}

static void order_env_up(const char *db)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.db_path = db;
    int rc = durable_test_env_setup(&cfg);
    if (rc != 0)
        fprintf(stderr, "env: %s\n", durable_error_last()->message);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The uninterrupted run: its result text (copied into want) and points. */
static void order_reference(const char *db, const char *ledger, killer *k, char *want,
                            size_t want_size)
{
    dt_remove_db(db);
    unlink(ledger);
    order_env_up(db);
    order_config cfg = { ledger, kill_point, k, NULL };
    durable_test_runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(order_runner_new(&r, &cfg), 0);
    durable_test_result *res = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_test_runner_run(&res, r, "{\"order\":1001}"), 0);
    CU_ASSERT_EQUAL(durable_test_result_status(res), DURABLE_EXEC_SUCCEEDED);
    const char *text = NULL;
    CU_ASSERT_EQUAL(durable_test_result_get_result(&text, res), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    snprintf(want, want_size, "%s", text);
    for (int i = 0; i < ORDER_STEP_COUNT; i++)
        CU_ASSERT_EQUAL(order_ledger_count(ledger, order_steps[i]), 1);
    durable_test_result_free(res);
    order_runner_free(r, &cfg);
    env_down();
}

/* A worker process runs the order from the start and dies at point k->kill_at;
 * returns its wait status. */
static int order_killed_child(const char *db, killer *k)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
        cfg.db_path = db;
        if (durable_test_env_setup(&cfg) != 0)
            _exit(10);
        order_config oc = { k->ledger, kill_point, k, NULL };
        durable_test_runner *r = NULL;
        if (order_runner_new(&r, &oc) != 0)
            _exit(11);
        durable_test_result *res = NULL;
        durable_test_runner_run(&res, r, "{\"order\":1001}");
        _exit(12); /* the kill point was never reached */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static bool has_exit_error(const durable_test_result *res)
{
    for (size_t i = 0; i < durable_test_result_invocation_count(res); i++) {
        const durable_test_invocation *inv = NULL;
        durable_test_result_get_invocation(&inv, res, i);
        if (inv->error && inv->error->error_type &&
            strcmp(inv->error->error_type, "Runtime.ExitError") == 0)
            return true;
    }
    return false;
}

static void test_resume_order_workflow_after_sigkill(void)
{
    uint64_t seed = dt_seed();
    dt_rng rng;
    dt_rng_init(&rng, seed ^ 0x5151);
    char *db = dt_temp_path("order");
    char ledger[512];
    snprintf(ledger, sizeof ledger, "%s.ledger", db);

    static killer ref;
    memset(&ref, 0, sizeof ref);
    ref.db = db;
    ref.ledger = ledger;
    char want[512];
    order_reference(db, ledger, &ref, want, sizeof want);
    CU_ASSERT_FATAL(ref.hits > ORDER_STEP_COUNT && ref.hits <= MAX_POINTS);

    printf("\n  order_workflow killed at points (of %d):", ref.hits);
    for (int c = 0; c < 20; c++) {
        static killer k;
        memset(&k, 0, sizeof k);
        k.db = db;
        k.ledger = ledger;
        k.kill_at = 1 + (int)dt_rng_below(&rng, (uint64_t)ref.hits);
        const char *label = ref.labels[k.kill_at - 1];
        printf(" %d", k.kill_at);
        dt_remove_db(db);
        unlink(ledger);
        int st = order_killed_child(db, &k);
        DT_PROP(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, seed, c);

        order_env_up(db);
        order_config cfg = { ledger, NULL, NULL, NULL };
        durable_test_runner *r = NULL;
        CU_ASSERT_EQUAL_FATAL(order_runner_new(&r, &cfg), 0);
        durable_test_result **results = NULL;
        size_t n = 0;
        int rc = durable_test_runner_resume_all(&results, &n, r, NULL);
        if (rc != 0)
            fprintf(stderr, "resume_all: %s\n", durable_error_last()->message);
        DT_PROP(rc == 0 && n == 1, seed, c);
        bool same = false;
        if (rc == 0 && n == 1) {
            const char *text = NULL;
            durable_test_result_get_result(&text, results[0]);
            same = durable_test_result_status(results[0]) == DURABLE_EXEC_SUCCEEDED && text &&
                   strcmp(text, want) == 0;
            /* The dead worker's invocation was closed with Runtime.ExitError. */
            DT_PROP(has_exit_error(results[0]), seed, c);
        }
        DT_PROP(same, seed, c);
        bool once = true;
        for (int i = 0; i < ORDER_STEP_COUNT; i++)
            once = once && order_ledger_count(ledger, order_steps[i]) == 1;
        DT_PROP(once, seed, c);
        if (!same || !once) {
            fprintf(stderr, "killed at point %d of %d (%s); ledger:", k.kill_at, ref.hits, label);
            for (int i = 0; i < ORDER_STEP_COUNT; i++)
                fprintf(stderr, " %s=%d", order_steps[i], order_ledger_count(ledger, order_steps[i]));
            fprintf(stderr, "\n");
        }
        durable_test_result_list_free(results, n);
        /* Nothing left to resume; a resume by name returns the closed one. */
        DT_PROP(durable_test_runner_resume_all(&results, &n, r, NULL) == 0 && n == 0, seed, c);
        durable_test_result *res = NULL;
        DT_PROP(durable_test_runner_resume(&res, r, "order-1001") == 0 &&
                    durable_test_result_status(res) == DURABLE_EXEC_SUCCEEDED,
                seed, c);
        durable_test_result_free(res);
        DT_PROP(durable_test_runner_resume(&res, r, "no-such-execution") == DURABLE_ENOTFOUND,
                seed, c);
        DT_PROP(strstr(durable_error_last()->message, "Execution not found") != NULL, seed, c);
        order_runner_free(r, &cfg);
        env_down();
    }
    printf("\n");
    dt_remove_db(db);
    unlink(ledger);
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
    DT_ADD(s, test_resume_order_workflow_after_sigkill);
    DT_ADD(s, test_resume_interrupted_at_most_once_step);
    DT_ADD(s, test_crash_isolation);
    return dt_run();
}
