/*
 * The `durable` inspector, driven as a program ($DURABLE_BUILD/durable) on a
 * database file made by an example run: a runner in a child process (the
 * public runner API, file database) runs a handler with steps, a retried
 * step, a child context, a wait, a map of three items and a callback with no
 * timeout, and waits for that callback. Meanwhile the test adds a stopped
 * execution and a running one with an open callback through the engine.
 * Checks listings and filters, `show`'s tree and every --json output
 * against the engine, completion of the waiting runner's callback from the
 * CLI (the runner notices it in the file and finishes; the second
 * completion exits 3 and leaves the file unchanged), a write lock held by
 * another connection (writers exit 4 after DURABLE_BUSY_TIMEOUT_MS, readers
 * still read), every error path's exit code and message, and that
 * inspection never changes the file (SHA-256 of the bytes).
 */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include "durable/context.h"
#include "durable/testing.h"
#include "support/cli_run.h"
#include "support/engine_fixture.h"

static char dir[256], dbpath[300];
static char *arn1, *arn2, *arn3, *cb_id, *cb2_id;

/* Runs `durable ARGS` (ARGS are shell words); captures stdout and stderr. */
static int run(char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dt_cli_vrun(out, err, fmt, ap);
    va_end(ap);
    return rc;
}

/* SHA-256 of the database file and its WAL (if any), as hex. */
static void file_hash(char hex[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    const char *sfx[] = {"", "-wal"};
    for (int i = 0; i < 2; i++) {
        char p[400];
        snprintf(p, sizeof p, "%s%s", dbpath, sfx[i]);
        FILE *f = fopen(p, "rb");
        if (!f)
            continue;
        unsigned char b[8192];
        size_t n;
        while ((n = fread(b, 1, sizeof b, f)) > 0)
            EVP_DigestUpdate(ctx, b, n);
        fclose(f);
    }
    unsigned char md[32];
    unsigned int mdl = 0;
    EVP_DigestFinal_ex(ctx, md, &mdl);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
}

static void start_named(ef *f, const char *name, char **arn_out)
{
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = name;
    o.input_payload = "{\"order\":1}";
    durable_free(f->arn);
    f->arn = NULL;
    CU_ASSERT_FATAL(durable_engine_start_execution(&f->arn, NULL, f->eng, "fn", &o) == 0);
    *arn_out = strdup(f->arn);
}

/* ---- the example run: a runner in a child process -------------------------- */

static int charge(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx, (void)user;
    *result = cJSON_CreateString("charged");
    return 0;
}

/* Fails its first attempt: the step is retried once (1 s, no jitter). */
static int flaky(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)user;
    if (durable_step_attempt(sctx) == 1)
        return durable_step_fail(sctx, "Flaky", "first attempt fails", NULL);
    *result = cJSON_CreateNumber(durable_step_attempt(sctx));
    return 0;
}

static int pack(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx, (void)user;
    *result = cJSON_CreateString("packed");
    return 0;
}

static int ship(durable_ctx *child, cJSON **result, void *user)
{
    (void)user;
    const cJSON *v = NULL;
    int rc = durable_step(child, &v, "pack", pack, NULL, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(v, 1);
    return rc;
}

static int pick(durable_step_ctx *sctx, cJSON **result, void *user)
{
    (void)sctx;
    char buf[64];
    snprintf(buf, sizeof buf, "picked %s", (const char *)user);
    *result = cJSON_CreateString(buf);
    return 0;
}

static int pick_item(durable_ctx *item_ctx, cJSON **result, const cJSON *item, size_t index,
                     const cJSON *items, void *user)
{
    (void)index, (void)items, (void)user;
    const cJSON *v = NULL;
    int rc = durable_step(item_ctx, &v, "pick", pick, item->valuestring, NULL);
    if (rc == 0)
        *result = cJSON_Duplicate(v, 1);
    return rc;
}

/* The example: steps, a retried step, a child context, a wait, a map of
 * three items, then a callback with no timeout that only someone outside
 * (the CLI, from the test process) completes. The result carries the
 * callback's payload. */
static int order_handler(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)input, (void)user;
    const cJSON *v = NULL, *shipped = NULL, *approval = NULL;
    int rc = durable_step(ctx, &v, "charge", charge, NULL, NULL);
    durable_retry_options ro = DURABLE_RETRY_OPTIONS_INIT;
    ro.initial_delay_seconds = 1;
    ro.jitter = DURABLE_JITTER_NONE;
    durable_retry_strategy *retry = NULL;
    if (rc == 0)
        rc = durable_retry_strategy_new(&retry, &ro);
    durable_step_options so = DURABLE_STEP_OPTIONS_INIT;
    so.retry = retry;
    if (rc == 0)
        rc = durable_step(ctx, &v, "flaky", flaky, NULL, &so);
    durable_retry_strategy_free(retry);
    if (rc == 0)
        rc = durable_run_in_child_context(ctx, &shipped, "ship", ship, NULL, NULL);
    if (rc == 0)
        rc = durable_wait(ctx, "pause", 5);
    const durable_batch_result *br = NULL;
    cJSON *items = cJSON_CreateStringArray((const char *const[]){"a", "b", "c"}, 3);
    if (rc == 0)
        rc = durable_map(ctx, &br, "items", items, pick_item, NULL, NULL);
    cJSON_Delete(items);
    durable_callback *cb = NULL;
    durable_callback_options co = DURABLE_CALLBACK_OPTIONS_INIT;
    co.serdes = durable_serdes_json();
    if (rc == 0)
        rc = durable_create_callback(ctx, &cb, "approval", &co);
    if (rc == 0)
        rc = durable_callback_await(cb, &approval);
    if (rc != 0)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "approval", cJSON_Duplicate(approval, 1));
    cJSON_AddItemToObject(r, "shipped", cJSON_Duplicate(shipped, 1));
    cJSON_AddItemToObject(r, "picked",
                          cJSON_Duplicate(durable_batch_result_results(br), 1));
    *out = r;
    return 0;
}

static pid_t child_pid;
static char child_out[400];

/* The runner process: runs the example on the file to its end, waiting for
 * the callback that the test completes with the CLI. Writes the outcome
 * (status line, result line) to child_out. Exit 0 = the run returned. */
static void runner_child(void)
{
    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.db_path = dbpath;
    cfg.deterministic_clock = true;
    cfg.start_time_ms = EF_T0;
    /* Far beyond what the test needs: the run must end because the CLI
     * completed the callback, not because it gave up. */
    cfg.idle_limit_ms = 120000;
    if (durable_test_env_setup(&cfg) != 0)
        _exit(10);
    durable_test_runner *r = NULL;
    if (durable_test_runner_new(&r, order_handler, NULL, "order") != 0)
        _exit(11);
    durable_test_runner_options o = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    o.execution_name = "cli-1";
    durable_test_runner_set_options(r, &o);
    durable_test_result *res = NULL;
    int rc = durable_test_runner_run(&res, r, "{\"order\":1}");
    FILE *f = fopen(child_out, "w");
    if (f) {
        const char *text = NULL;
        if (res)
            durable_test_result_get_result(&text, res);
        fprintf(f, "%s\n%s\n", res ? durable_exec_status_name(durable_test_result_status(res)) : "-",
                text ? text : (rc < 0 ? durable_error_last()->message : "-"));
        fclose(f);
    }
    durable_test_result_free(res);
    durable_test_runner_free(r);
    durable_test_env_teardown();
    _exit(rc == 0 ? 0 : 12);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The last history event of cli-1 (through the CLI), or "" */
static void last_event(char *buf, size_t size)
{
    char *out = NULL;
    buf[0] = 0;
    if (run(&out, NULL, "history '%s' arn --json", dbpath) == 0) {
        cJSON *j = cJSON_Parse(out);
        cJSON *ev = cJSON_GetObjectItem(j, "Events");
        cJSON *last = cJSON_GetArrayItem(ev, cJSON_GetArraySize(ev) - 1);
        cJSON *t = cJSON_GetObjectItem(last, "EventType");
        if (cJSON_IsString(t))
            snprintf(buf, size, "%s", t->valuestring);
        cJSON_Delete(j);
    }
    free(out);
}

static void build_db(void)
{
    snprintf(child_out, sizeof child_out, "%s/runner.out", dir);
    fflush(stdout);
    fflush(stderr);
    /* Fork before this process opens any SQLite connection. */
    child_pid = fork();
    CU_ASSERT_FATAL(child_pid >= 0);
    if (child_pid == 0)
        runner_child();

    /* Poll the file with the CLI until the runner's callback appears. */
    int64_t t0 = mono_ms();
    while (!cb_id && mono_ms() - t0 < 60000) {
        char *out = NULL;
        if (run(&out, NULL, "callbacks '%s' --json", dbpath) == 0) {
            cJSON *j = cJSON_Parse(out);
            cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "Callbacks"), 0);
            cJSON *id = cJSON_GetObjectItem(c0, "CallbackId");
            if (cJSON_IsString(id))
                cb_id = strdup(id->valuestring);
            cJSON_Delete(j);
        }
        free(out);
        if (!cb_id)
            usleep(20000);
    }
    CU_ASSERT_FATAL(cb_id != NULL);
    /* Then until its invocation ended (PENDING on the callback): from here
     * on the runner only waits, so the file stays as it is. */
    char ev[64] = "";
    while (strcmp(ev, "InvocationCompleted") != 0 && mono_ms() - t0 < 60000) {
        last_event(ev, sizeof ev);
        if (strcmp(ev, "InvocationCompleted") != 0)
            usleep(20000);
    }
    CU_ASSERT_STRING_EQUAL_FATAL(ev, "InvocationCompleted");

    ef f;
    ef_open_file(&f, dbpath, false, EF_T0 + 60000);
    durable_list_request lr = {0};
    lr.durable_execution_name = "cli-1";
    durable_list_response lresp = {0};
    CU_ASSERT_FATAL(durable_engine_list_executions(&lresp, f.eng, &lr) == 0);
    CU_ASSERT_FATAL(lresp.count == 1);
    arn1 = strdup(lresp.executions[0].durable_execution_arn);
    durable_list_response_clear(&lresp);

    start_named(&f, "cli-2", &arn2);
    durable_stop_request sr = {f.arn, NULL};
    durable_stop_response sp = {0};
    CU_ASSERT_FATAL(durable_engine_stop_execution(&sp, f.eng, &sr) == 0);
    ef_advance(&f, 60000);
    /* cli-3 stays RUNNING with an open callback of its own (no runner). */
    start_named(&f, "cli-3", &arn3);
    CU_ASSERT_FATAL(ef_invoke(&f) == 0);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    u.name = durable__strdup("hold");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    durable_callback_info_list cl = {0};
    CU_ASSERT_FATAL(durable_engine_list_callbacks(&cl, f.eng, NULL) == 0);
    for (size_t i = 0; i < cl.count; i++)
        if (strcmp(cl.items[i].execution_arn, arn3) == 0)
            cb2_id = strdup(cl.items[i].callback_id);
    durable_callback_info_list_clear(&cl);
    CU_ASSERT_FATAL(cb2_id != NULL);
    ef_close(&f);
}

static void test_executions_and_filters(void)
{
    char *out, *err;
    CU_ASSERT_EQUAL(run(&out, &err, "executions '%s'", dbpath), 0);
    CU_ASSERT(strstr(out, "cli-1") && strstr(out, "cli-2") && strstr(out, "cli-3"));
    CU_ASSERT(strstr(out, "STOPPED") && strstr(out, "RUNNING"));
    CU_ASSERT(strstr(out, "2026-01-01T00:00:00") != NULL);
    /* newest first */
    CU_ASSERT(strstr(out, "cli-3") < strstr(out, "cli-2") && strstr(out, "cli-2") < strstr(out, "cli-1"));
    free(out), free(err);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --status STOPPED", dbpath), 0);
    CU_ASSERT(strstr(out, "cli-2") && !strstr(out, "cli-1") && !strstr(out, "cli-3"));
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --name cli-1", dbpath), 0);
    CU_ASSERT(strstr(out, "cli-1") && !strstr(out, "cli-2"));
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --limit 1", dbpath), 0);
    CU_ASSERT(strstr(out, "cli-3") && !strstr(out, "cli-2"));
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --since 2026-01-01T00:01:30Z", dbpath), 0);
    CU_ASSERT(strstr(out, "cli-3") && !strstr(out, "cli-1"));
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --function nosuch --json", dbpath), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "DurableExecutions")), 0);
    cJSON_Delete(j);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --status RUNNING,STOPPED --json", dbpath), 0);
    j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "DurableExecutions")), 3);
    cJSON_Delete(j);
    free(out);
    CU_ASSERT_EQUAL(run(NULL, &err, "executions '%s' --status BOGUS", dbpath), 1);
    CU_ASSERT(strstr(err, "BOGUS") != NULL);
    free(err);
}

/* Opens the file read-only with the engine, for comparisons. */
static void open_engine(durable_store **s, durable_engine **e)
{
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.read_only = true, so.create = false;
    CU_ASSERT_FATAL(durable_store_open(s, dbpath, &so) == 0);
    CU_ASSERT_FATAL(durable_engine_open(e, *s, NULL) == 0);
}

static const durable_operation *find_op(const durable_operation_list *ops, const char *id)
{
    for (size_t i = 0; i < ops->count; i++)
        if (strcmp(ops->items[i].id, id) == 0)
            return &ops->items[i];
    return NULL;
}

/* Where `id` is printed at the start of a line indented by 2*depth spaces,
 * or NULL. */
static const char *tree_line(const char *out, const char *id, int depth)
{
    char want[200];
    snprintf(want, sizeof want, "\n%*s%s ", depth * 2, "", id);
    return strstr(out, want);
}

static void test_show_tree(void)
{
    durable_store *st;
    durable_engine *e;
    open_engine(&st, &e);
    durable_operation_list ops = {0};
    CU_ASSERT_FATAL(durable_engine_list_operations(&ops, e, arn1) == 0);
    durable_execution_state es = {0};
    CU_ASSERT_FATAL(durable_engine_execution_state(&es, e, arn1) == 0);
    durable_execution_info xi = {0};
    CU_ASSERT_FATAL(durable_engine_get_execution(&xi, e, arn1) == 0);
    durable_engine_close(e);
    durable_store_close(st);
    /* The example has a retried step, the map's items and an open callback. */
    const durable_operation *map = NULL, *flaky_op = NULL, *cb = NULL;
    for (size_t i = 0; i < ops.count; i++) {
        const durable_operation *op = &ops.items[i];
        if (op->name && strcmp(op->name, "items") == 0)
            map = op;
        if (op->name && strcmp(op->name, "flaky") == 0)
            flaky_op = op;
        if (op->type == DURABLE_OP_CALLBACK)
            cb = op;
    }
    CU_ASSERT_FATAL(map && flaky_op && cb);
    CU_ASSERT_STRING_EQUAL(map->subtype, "Map");
    CU_ASSERT_EQUAL(flaky_op->attempt, 2);
    CU_ASSERT_EQUAL(cb->status, DURABLE_OP_STARTED);
    CU_ASSERT(es.invocation_count >= 3); /* the retry and the wait re-invoke */

    const char *opid = strrchr(arn1, '/') + 1;
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "show '%s' %.8s", dbpath, opid), 0);
    char want[64];
    snprintf(want, sizeof want, "Invocations: %lld\n", (long long)es.invocation_count);
    CU_ASSERT(strstr(out, "cli-1") && strstr(out, want) && strstr(out, "Status:      RUNNING"));
    CU_ASSERT(strstr(out, "charge") && strstr(out, "flaky") && strstr(out, "approval"));
    /* Every operation sits at its depth, after its parent's line. */
    int map_items = 0;
    for (size_t i = 0; i < ops.count; i++) {
        const durable_operation *op = &ops.items[i];
        if (op->type == DURABLE_OP_EXECUTION)
            continue;
        int depth = 0;
        for (const durable_operation *p = op; p->parent_id; p = find_op(&ops, p->parent_id)) {
            CU_ASSERT_FATAL(find_op(&ops, p->parent_id) != NULL);
            depth++;
        }
        const char *line = tree_line(out, op->id, depth);
        CU_ASSERT(line != NULL);
        if (op->parent_id) {
            const char *pl = tree_line(out, op->parent_id, depth - 1);
            CU_ASSERT(pl && line && pl < line);
        }
        if (op->parent_id && strcmp(op->parent_id, map->id) == 0) {
            map_items++;
            CU_ASSERT_STRING_EQUAL(op->subtype, "MapIteration");
            CU_ASSERT(line && strstr(line + 1, "MapIteration") < strchr(line + 1, '\n'));
        }
    }
    CU_ASSERT_EQUAL(map_items, 3);
    /* the retried step shows its attempt */
    const char *fl = tree_line(out, flaky_op->id, 0);
    CU_ASSERT(fl && strstr(fl, " 2 ") && strstr(fl, " 2 ") < strchr(fl + 1, '\n'));
    free(out);

    /* --json: the engine's execution and operations, field for field. */
    CU_ASSERT_EQUAL(run(&out, NULL, "show '%s' '%s' --json", dbpath, arn1), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "InvocationCount")->valuedouble,
                    (double)es.invocation_count);
    cJSON *jops = cJSON_GetObjectItem(j, "Operations");
    CU_ASSERT_FATAL(cJSON_GetArraySize(jops) == (int)ops.count);
    for (size_t i = 0; i < ops.count; i++) {
        cJSON *w = NULL;
        CU_ASSERT_FATAL(durable_operation_to_json(&w, &ops.items[i], DURABLE_TS_RFC3339) == 0);
        CU_ASSERT(cJSON_Compare(w, cJSON_GetArrayItem(jops, (int)i), true));
        cJSON_Delete(w);
    }
    cJSON *wx = NULL;
    CU_ASSERT_FATAL(durable_execution_info_to_json(&wx, &xi, DURABLE_TS_RFC3339) == 0);
    cJSON *field;
    cJSON_ArrayForEach(field, wx)
    {
        CU_ASSERT(cJSON_Compare(field, cJSON_GetObjectItem(j, field->string), true));
    }
    cJSON_Delete(wx);
    cJSON_Delete(j);
    free(out);
    durable_operation_list_clear(&ops);
    durable_execution_state_clear(&es);
    durable_execution_info_clear(&xi);

    char *err;
    CU_ASSERT_EQUAL(run(NULL, &err, "show '%s' zzzz", dbpath), 2);
    CU_ASSERT(strstr(err, "no execution matches 'zzzz'") && strstr(err, dbpath));
    free(err);
}

/* `executions --json` and `callbacks --json` carry what the engine lists. */
static void test_listing_json_matches_engine(void)
{
    durable_store *st;
    durable_engine *e;
    open_engine(&st, &e);
    durable_list_request req = {0};
    req.reverse_order = true;
    durable_list_response want = {0};
    CU_ASSERT_FATAL(durable_engine_list_executions(&want, e, &req) == 0);
    durable_callback_info_list cl = {0};
    CU_ASSERT_FATAL(durable_engine_list_callbacks(&cl, e, NULL) == 0);
    durable_engine_close(e);
    durable_store_close(st);

    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --json", dbpath), 0);
    cJSON *j = cJSON_Parse(out);
    cJSON *arr = cJSON_GetObjectItem(j, "DurableExecutions");
    CU_ASSERT_FATAL(want.count == 3 && cJSON_GetArraySize(arr) == 3);
    for (size_t i = 0; i < want.count; i++) {
        cJSON *w = NULL;
        CU_ASSERT_FATAL(durable_execution_info_to_json(&w, &want.executions[i], DURABLE_TS_RFC3339) == 0);
        CU_ASSERT(cJSON_Compare(w, cJSON_GetArrayItem(arr, (int)i), true));
        cJSON_Delete(w);
    }
    cJSON_Delete(j);
    free(out);
    durable_list_response_clear(&want);

    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s' --json", dbpath), 0);
    j = cJSON_Parse(out);
    arr = cJSON_GetObjectItem(j, "Callbacks");
    CU_ASSERT_FATAL(cl.count == 2 && cJSON_GetArraySize(arr) == 2);
    for (size_t i = 0; i < cl.count; i++) {
        cJSON *c = cJSON_GetArrayItem(arr, (int)i);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(c, "CallbackId")), cl.items[i].callback_id);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(c, "DurableExecutionArn")), cl.items[i].execution_arn);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(c, "OperationId")), cl.items[i].op_id);
        int64_t ts = 0;
        CU_ASSERT(durable_ts_from_json(&ts, cJSON_GetObjectItem(c, "StartTimestamp")) == 0);
        CU_ASSERT_EQUAL(ts, cl.items[i].start_timestamp);
        CU_ASSERT(cJSON_GetObjectItem(c, "TimeoutAt") == NULL); /* no timeouts here */
    }
    cJSON_Delete(j);
    free(out);
    durable_callback_info_list_clear(&cl);
}

static void test_history_json_matches_engine(void)
{
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "history '%s' '%s' --json --include-data", dbpath, arn1), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    durable_history_response got = {0}, want = {0};
    CU_ASSERT_FATAL(durable_history_response_from_json(&got, j) == 0);
    cJSON_Delete(j);
    free(out);
    durable_store *s;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.read_only = true, so.create = false;
    CU_ASSERT_FATAL(durable_store_open(&s, dbpath, &so) == 0);
    durable_engine *e;
    CU_ASSERT_FATAL(durable_engine_open(&e, s, NULL) == 0);
    durable_history_request req = {arn1, true, 1000, NULL, false};
    CU_ASSERT_FATAL(durable_engine_get_history(&want, e, &req) == 0);
    CU_ASSERT_FATAL(got.count == want.count);
    CU_ASSERT(want.count >= 15);
    for (size_t i = 0; i < want.count; i++) {
        CU_ASSERT_EQUAL(got.events[i].event_id, want.events[i].event_id);
        CU_ASSERT_EQUAL(got.events[i].type, want.events[i].type);
        CU_ASSERT_EQUAL(got.events[i].timestamp, want.events[i].timestamp);
        CU_ASSERT_STRING_EQUAL(got.events[i].id ? got.events[i].id : "", want.events[i].id ? want.events[i].id : "");
        CU_ASSERT_STRING_EQUAL(got.events[i].payload ? got.events[i].payload : "", want.events[i].payload ? want.events[i].payload : "");
    }
    durable_history_response_clear(&got);
    durable_history_response_clear(&want);
    durable_engine_close(e);
    durable_store_close(s);
    CU_ASSERT_EQUAL(run(&out, NULL, "history '%s' '%s'", dbpath, arn1), 0);
    CU_ASSERT(strstr(out, "ExecutionStarted") && strstr(out, "StepSucceeded") &&
              strstr(out, "WaitSucceeded") && strstr(out, "CallbackStarted"));
    CU_ASSERT(strstr(out, "--include-data") != NULL); /* input omitted without it */
    free(out);
}

static void test_inspection_never_writes(void)
{
    char before[65], after[65];
    file_hash(before);
    const char *cmds[] = {"executions '%s'", "executions '%s' --json", "callbacks '%s'",
                          "callbacks '%s' --json"};
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(run(NULL, NULL, cmds[i], dbpath), 0);
    CU_ASSERT_EQUAL(run(NULL, NULL, "show '%s' '%s'", dbpath, arn1), 0);
    CU_ASSERT_EQUAL(run(NULL, NULL, "history '%s' '%s' --json", dbpath, arn1), 0);
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
}

/* Completes the callback with the CLI while the runner process waits on it:
 * the runner notices the completion in the file and finishes the run with a
 * result made from the payload. A second completion exits 3 and changes
 * nothing. */
static void test_callback_from_cli_wakes_runner(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb2_id); /* made by build_db */
    char *out, *err;
    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s' --json", dbpath), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    cJSON *arr = cJSON_GetObjectItem(j, "Callbacks");
    CU_ASSERT_FATAL(cJSON_GetArraySize(arr) == 2);
    cJSON *c0 = NULL, *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (strcmp(cJSON_GetObjectItem(it, "CallbackId")->valuestring, cb_id) == 0)
            c0 = it;
    }
    CU_ASSERT_FATAL(c0 != NULL);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c0, "CallbackId")->valuestring, cb_id);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c0, "Name")->valuestring, "approval");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c0, "DurableExecutionArn")->valuestring, arn1);
    cJSON_Delete(j);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s'", dbpath), 0);
    CU_ASSERT(strstr(out, "CALLBACK_ID") && strstr(out, cb_id) && strstr(out, "approval"));
    free(out);

    /* The runner is still waiting. */
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(child_pid, &status, WNOHANG), 0);
    int64_t t0 = mono_ms();
    CU_ASSERT_EQUAL(run(&out, &err, "callback '%s' succeed '%s' '\"ok\"'", dbpath, cb_id), 0);
    CU_ASSERT(strstr(out, "succeeded") != NULL);
    free(out), free(err);
    CU_ASSERT_FATAL(waitpid(child_pid, &status, 0) == child_pid);
    int64_t waited = mono_ms() - t0;
    child_pid = 0;
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Well inside the runner's idle limit (120 s): it saw the completion
     * arrive in the file rather than giving up and looking again. */
    CU_ASSERT(waited < 20000);
    printf("(runner finished %lld ms after the CLI completed its callback) ", (long long)waited);
    FILE *f = fopen(child_out, "r");
    CU_ASSERT_FATAL(f != NULL);
    char line1[64] = "", line2[512] = "";
    CU_ASSERT(fgets(line1, sizeof line1, f) != NULL);
    CU_ASSERT(fgets(line2, sizeof line2, f) != NULL);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(line1, "SUCCEEDED\n");
    cJSON *res = cJSON_Parse(line2);
    CU_ASSERT_FATAL(res != NULL);
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(res, "approval")), "ok");
    CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(res, "shipped")), "packed");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(res, "picked")), 3);
    cJSON_Delete(res);

    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s'", dbpath), 0);
    CU_ASSERT(strstr(out, cb_id) == NULL && strstr(out, cb2_id) != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --name cli-1", dbpath), 0);
    CU_ASSERT(strstr(out, "SUCCEEDED") != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "history '%s' '%s' --include-data", dbpath, arn1), 0);
    CU_ASSERT(strstr(out, "CallbackSucceeded") && strstr(out, "\"ok\"") &&
              strstr(out, "ExecutionSucceeded"));
    free(out);

    char before[65], after[65];
    file_hash(before);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' succeed '%s' '\"again\"'", dbpath, cb_id), 3);
    CU_ASSERT(strstr(err, "Callback has already been completed.") && strstr(err, dbpath));
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' fail '%s' --error-type E --error-message M", dbpath, cb_id), 3);
    CU_ASSERT(strstr(err, "Callback has already been completed.") && strstr(err, dbpath));
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' heartbeat '%s'", dbpath, cb_id), 3);
    CU_ASSERT(strstr(err, dbpath) != NULL);
    free(err);
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' heartbeat nosuchcallback", dbpath), 2);
    CU_ASSERT(strstr(err, "Callback not found.") && strstr(err, dbpath));
    free(err);
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
}

/* Runs `durable ARGS` and returns how long it took (ms) in *ms. */
static int run_timed(int64_t *ms, char **err, const char *what, const char *a1, const char *a2)
{
    int64_t t0 = mono_ms();
    int rc = run(NULL, err, what, a1, a2);
    *ms = mono_ms() - t0;
    return rc;
}

/* Another connection holds the write lock (BEGIN EXCLUSIVE): writing
 * commands give up after the busy timeout with exit 4 and a message naming
 * the file and the lock; reading commands still read (WAL). */
static void test_locked_file(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb2_id); /* made by build_db */
    char before[65], after[65], *out, *err;
    file_hash(before);
    sqlite3 *db;
    CU_ASSERT_FATAL(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK);
    setenv("DURABLE_BUSY_TIMEOUT_MS", "300", 1);
    int64_t ms;
    CU_ASSERT_EQUAL(run_timed(&ms, &err, "callback '%s' succeed '%s' '\"x\"'", dbpath, cb2_id), 4);
    CU_ASSERT(strstr(err, dbpath) && strstr(err, "database is locked") &&
              strstr(err, "300 ms busy timeout"));
    CU_ASSERT(ms >= 250 && ms < 4000); /* waited the set timeout, not the default 5 s */
    free(err);
    CU_ASSERT_EQUAL(run_timed(&ms, &err, "callback '%s' heartbeat '%s'", dbpath, cb2_id), 4);
    CU_ASSERT(strstr(err, dbpath) && strstr(err, "database is locked"));
    free(err);
    CU_ASSERT_EQUAL(run_timed(&ms, &err, "stop '%s' '%s'", dbpath, arn3), 4);
    CU_ASSERT(strstr(err, dbpath) && strstr(err, "database is locked"));
    free(err);
    /* Readers are not blocked by the writer. */
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --name cli-3", dbpath), 0);
    CU_ASSERT(strstr(out, "RUNNING") != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s' --json", dbpath), 0);
    CU_ASSERT(strstr(out, cb2_id) != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "show '%s' '%s'", dbpath, arn3), 0);
    CU_ASSERT(strstr(out, "hold") != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "history '%s' '%s' --json", dbpath, arn3), 0);
    CU_ASSERT(strstr(out, "CallbackStarted") != NULL);
    free(out);
    /* A bad setting is a usage error. */
    setenv("DURABLE_BUSY_TIMEOUT_MS", "soon", 1);
    CU_ASSERT_EQUAL(run(NULL, &err, "executions '%s'", dbpath), 1);
    CU_ASSERT(strstr(err, "DURABLE_BUSY_TIMEOUT_MS='soon'") != NULL);
    free(err);
    unsetenv("DURABLE_BUSY_TIMEOUT_MS");
    CU_ASSERT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
    /* The lock is gone: the same command now works (exit 0). */
    CU_ASSERT_EQUAL(run(&out, NULL, "callback '%s' heartbeat '%s'", dbpath, cb2_id), 0);
    CU_ASSERT(strstr(out, "heartbeat recorded") != NULL);
    free(out);
}

static void test_stop(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb2_id); /* made by build_db */
    char *out, *err;
    CU_ASSERT_EQUAL(run(&out, NULL, "stop '%s' '%s'", dbpath, arn3), 0);
    CU_ASSERT(strstr(out, "stopped") != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "executions '%s' --name cli-3", dbpath), 0);
    CU_ASSERT(strstr(out, "STOPPED") != NULL);
    free(out);
    char before[65], after[65];
    file_hash(before);
    CU_ASSERT_EQUAL(run(NULL, &err, "stop '%s' '%s'", dbpath, arn3), 3);
    CU_ASSERT(strstr(err, "not running (STOPPED)") && strstr(err, dbpath));
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, "stop '%s' '%s'", dbpath, arn1), 3);
    CU_ASSERT(strstr(err, "not running (SUCCEEDED)") != NULL);
    free(err);
    /* The stopped execution's callback can no longer be completed. */
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' succeed '%s' '1'", dbpath, cb2_id), 3);
    CU_ASSERT(strstr(err, dbpath) && strstr(err, "Execution is not running."));
    free(err);
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
}

static void test_error_paths(void)
{
    char *err, p[400];
    snprintf(p, sizeof p, "%s/missing.db", dir);
    CU_ASSERT_EQUAL(run(NULL, &err, "executions '%s'", p), 4);
    CU_ASSERT(strstr(err, p) && strstr(err, "No such file"));
    free(err);
    struct stat sb;
    CU_ASSERT(stat(p, &sb) != 0); /* never created */
    snprintf(p, sizeof p, "%s/text.db", dir);
    FILE *f = fopen(p, "w");
    fputs("this is not a database, just some text that is long enough to look like a file\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(run(NULL, &err, "callbacks '%s'", p), 4);
    CU_ASSERT(strstr(err, p) != NULL);
    free(err);
    /* a libdurable file with a newer schema */
    snprintf(p, sizeof p, "%s/newer.db", dir);
    sqlite3 *db;
    CU_ASSERT_FATAL(sqlite3_open(p, &db) == SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d; CREATE TABLE t(x);",
             DURABLE_STORE_APPLICATION_ID, durable_store_latest_schema_version() + 1);
    CU_ASSERT(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CU_ASSERT_EQUAL(run(NULL, &err, "executions '%s'", p), 4);
    CU_ASSERT(strstr(err, p) && strstr(err, "not a usable libdurable file"));
    free(err);
    /* a foreign SQLite file */
    snprintf(p, sizeof p, "%s/foreign.db", dir);
    CU_ASSERT_FATAL(sqlite3_open(p, &db) == SQLITE_OK);
    CU_ASSERT(sqlite3_exec(db, "CREATE TABLE t(x);", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CU_ASSERT_EQUAL(run(NULL, &err, "executions '%s'", p), 4);
    CU_ASSERT(strstr(err, p) != NULL);
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, ""), 1);
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, "frobnicate"), 1);
    CU_ASSERT(strstr(err, "unknown command 'frobnicate'") != NULL);
    free(err);
    CU_ASSERT_EQUAL(run(NULL, NULL, "show '%s'", dbpath), 1);
    CU_ASSERT_EQUAL(run(NULL, NULL, "executions '%s' --limit x", dbpath), 1);
    CU_ASSERT_EQUAL(run(NULL, NULL, "history '%s' nosuch", dbpath), 2);
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "help history"), 0);
    CU_ASSERT(strstr(out, "--include-data") != NULL);
    free(out);
    CU_ASSERT_EQUAL(run(NULL, NULL, "help nosuch"), 1);
}

/* Every usage and lookup error of every command: exit code, the reason on
 * stderr, and for usage errors the command's usage line (or, for a bad
 * execution reference, marked '@', the file's name). %s is the file. */
static void test_error_table(void)
{
    static const struct {
        const char *args, *code_and_text;
    } cases[] = {
        {"", "1missing command"},
        {"help executions show", "1too many arguments"},
        {"schema '%s'", "1schema takes no arguments"},
        {"executions", "1missing DB"},
        {"executions '%s' '%s'", "1unexpected argument"},
        {"executions '%s' --frob", "1unknown or incomplete option '--frob'"},
        {"executions '%s' --status", "1unknown or incomplete option '--status'"},
        {"executions '%s' --since yesterday", "1bad time 'yesterday' for --since"},
        {"executions '%s' --until 2026-13-45", "1bad time '2026-13-45' for --until"},
        {"executions '%s' --limit 0", "1bad --limit '0'"},
        {"show", "1missing DB and EXEC"},
        {"show '%s'", "1missing EXEC"},
        {"show '%s' x y", "1unexpected argument 'y'"},
        {"show '%s' x --tree", "1unknown option '--tree'"},
        {"show '%s' ''", "1@empty execution reference"},
        {"show '%s' arn", "1@'arn' is ambiguous (3 executions match by prefix)"},
        {"history '%s' arn:aws", "1@'arn:aws' is ambiguous (3 executions match by prefix)"},
        {"history", "1missing DB and EXEC"},
        {"history '%s' x --all", "1unknown option '--all'"},
        {"history '%s' x y", "1unexpected argument 'y'"},
        {"history '%s' zzzz", "2no execution matches 'zzzz'"},
        {"callbacks", "1missing DB"},
        {"callbacks '%s' --open", "1unknown option '--open'"},
        {"callbacks '%s' x extra", "1unexpected argument 'extra'"},
        {"callbacks '%s' zzzz", "2no execution matches 'zzzz'"},
        {"callback '%s' succeed", "1missing DB, action or CALLBACK_ID"},
        {"callback '%s' explode id", "1unknown action 'explode'"},
        {"callback '%s' succeed id --error-type T", "1--error-* options only go with 'fail'"},
        {"callback '%s' fail id '\"x\"'", "1a PAYLOAD only goes with 'succeed'"},
        {"callback '%s' heartbeat id '\"x\"'", "1a PAYLOAD only goes with 'succeed'"},
        {"callback '%s' fail id --error-type", "1unknown or incomplete option '--error-type'"},
        {"callback '%s' succeed id p q", "1unexpected argument 'q'"},
        {"callback '%s' succeed nosuchcallback '1'", "2Callback not found."},
        {"callback '%s' fail nosuchcallback --error-message M", "2Callback not found."},
        {"stop '%s'", "1missing DB or EXEC"},
        {"stop '%s' a b", "1too many arguments"},
        {"stop '%s' zzzz", "2no execution matches 'zzzz'"},
    };
    char before[65], after[65];
    file_hash(before);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int want = cases[i].code_and_text[0] - '0';
        const char *text = cases[i].code_and_text + 1;
        bool names_file = *text == '@' || want == 2;
        text += *text == '@';
        int got = run(&out, &err, cases[i].args, dbpath, dbpath);
        bool ok = got == want && strstr(err, text) && !*out &&
                  (names_file ? strstr(err, dbpath) != NULL : strstr(err, "usage: ") != NULL);
        if (!ok)
            printf("\n  case '%s': exit %d (want %d), stderr: %s", cases[i].args, got, want, err);
        CU_ASSERT(ok);
        free(out), free(err);
    }
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
    /* Help for every command, and --help. */
    const char *cmds[] = {"executions", "show", "history", "callbacks", "callback", "stop",
                          "schema", "help"};
    for (size_t i = 0; i < 8; i++) {
        char *out;
        CU_ASSERT_EQUAL(run(&out, NULL, "help %s", cmds[i]), 0);
        char want[64];
        snprintf(want, sizeof want, "usage: durable %s", cmds[i]);
        CU_ASSERT(strstr(out, want) == out);
        free(out);
    }
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "--help"), 0);
    CU_ASSERT(strstr(out, "Exit codes") && strstr(out, "DURABLE_BUSY_TIMEOUT_MS"));
    free(out);
    /* A writing command never creates a missing file either. */
    char p[400], *err;
    snprintf(p, sizeof p, "%s/absent.db", dir);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' succeed id '1'", p), 4);
    CU_ASSERT(strstr(err, p) && strstr(err, "No such file"));
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, "stop '%s' x", p), 4);
    free(err);
    struct stat sb;
    CU_ASSERT(stat(p, &sb) != 0);
    /* A directory is not a database. */
    CU_ASSERT_EQUAL(run(NULL, &err, "executions '%s'", dir), 4);
    CU_ASSERT(strstr(err, dir) != NULL);
    free(err);
}

static void test_schema_matches_sql(void)
{
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "schema"), 0);
    FILE *f = fopen("schema/latest.sql", "r"); /* the tables a file has now */
    CU_ASSERT_FATAL(f != NULL);
    char line[512];
    int names = 0;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        if (sscanf(line, "CREATE TABLE %127s", name) == 1 ||
            sscanf(line, "CREATE VIEW %127s", name) == 1) {
            char want[160];
            snprintf(want, sizeof want, "%s ", name);
            CU_ASSERT(strstr(out, want) != NULL);
            names++;
        }
    }
    fclose(f);
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    CU_ASSERT_EQUAL(lines, names);
    /* The same meanings as schema/README.md's list ("- `name` — meaning"). */
    f = fopen("schema/README.md", "r");
    CU_ASSERT_FATAL(f != NULL);
    int listed = 0;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        const char *dash = strstr(line, "` \xe2\x80\x94 ");
        if (sscanf(line, "- `%127[a-z_]`", name) != 1 || !dash)
            continue;
        char want[600];
        snprintf(want, sizeof want, "%s ", name);
        const char *at = strstr(out, want);
        const char *meaning = dash + 6;
        CU_ASSERT(at && strstr(at, meaning) && strstr(at, meaning) < strchr(at, '\n') + 1);
        listed++;
    }
    fclose(f);
    CU_ASSERT_EQUAL(listed, names);
    free(out);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/durable_cli_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(dbpath, sizeof dbpath, "%s/demo.db", dir);
    CU_pSuite s = dt_suite("testing_cli");
    DT_ADD(s, build_db);
    DT_ADD(s, test_executions_and_filters);
    DT_ADD(s, test_show_tree);
    DT_ADD(s, test_listing_json_matches_engine);
    DT_ADD(s, test_history_json_matches_engine);
    DT_ADD(s, test_inspection_never_writes);
    DT_ADD(s, test_callback_from_cli_wakes_runner);
    DT_ADD(s, test_locked_file);
    DT_ADD(s, test_stop);
    DT_ADD(s, test_error_paths);
    DT_ADD(s, test_error_table);
    DT_ADD(s, test_schema_matches_sql);
    int rc = dt_run();
    if (child_pid > 0) { /* a failed test left the runner waiting */
        kill(child_pid, SIGKILL);
        waitpid(child_pid, NULL, 0);
    }
    free(arn1), free(arn2), free(arn3), free(cb_id), free(cb2_id);
    char cmd[300];
    if (getenv("CLI_KEEP")) return rc;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
