/*
 * The `durable` inspector, driven as a program ($DURABLE_BUILD/durable) on a
 * database file built through the engine's public calls: a step, a retried
 * step, a child context with a step, a wait, a callback; a stopped and a
 * running execution. Checks listings and filters, --json against the
 * engine's own history, callback completion from the CLI (the second one
 * exits 3 and leaves the file unchanged), error exit codes and messages, and
 * that inspection never changes the file (SHA-256 of the bytes).
 */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/engine_fixture.h"

static char dir[256], dbpath[300], bin[512];
static char *arn1, *arn2, *arn3, *cb_id;

/* Runs `durable ARGS` (ARGS are shell words); captures stdout and stderr. */
static int run(char **out, char **err, const char *fmt, ...)
{
    char args[2048], cmd[4096], errpath[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", bin, args, errpath);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_FATAL(p != NULL);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int st = pclose(p);
    FILE *e = fopen(errpath, "r");
    char *ebuf = calloc(1, 1 << 16);
    if (e) {
        size_t el = fread(ebuf, 1, (1 << 16) - 1, e);
        ebuf[el] = 0;
        fclose(e);
    }
    if (out)
        *out = buf;
    else
        free(buf);
    if (err)
        *err = ebuf;
    else
        free(ebuf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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

static void build_db(void)
{
    ef f;
    memset(&f, 0, sizeof f);
    CU_ASSERT_FATAL(durable_vclock_new(&f.vc, DURABLE_VCLOCK_FIXED, EF_T0) == 0);
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    CU_ASSERT_FATAL(durable_store_open(&f.store, dbpath, &so) == 0);
    durable_engine_options eo = DURABLE_ENGINE_OPTIONS_INIT;
    eo.clock = durable_vclock_clock(f.vc);
    CU_ASSERT_FATAL(durable_engine_open(&f.eng, f.store, &eo) == 0);

    start_named(&f, "cli-1", &arn1);
    CU_ASSERT_FATAL(ef_invoke(&f) == 0);
    durable_operation_update u;
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "1");
    u.name = durable__strdup("charge");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "1");
    u.payload = durable__strdup("\"charged\"");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    /* a retried step */
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    u.name = durable__strdup("flaky");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_retry(&u, "2", 1, "Flaky");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_advance(&f, 1000);
    CU_ASSERT_FATAL(durable_engine_fire_due(NULL, f.eng) == 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "2");
    u.name = durable__strdup("flaky");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "2");
    u.payload = durable__strdup("2");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    /* a child context with a step inside */
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_START, "3");
    u.name = durable__strdup("ship");
    u.subtype = durable__strdup("RunInChildContext");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_START, "3-1");
    u.name = durable__strdup("pack");
    u.parent_id = durable__strdup(ef_id("3"));
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_upd(&u, DURABLE_OP_STEP, DURABLE_ACTION_SUCCEED, "3-1");
    u.parent_id = durable__strdup(ef_id("3"));
    u.payload = durable__strdup("\"packed\"");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_upd(&u, DURABLE_OP_CONTEXT, DURABLE_ACTION_SUCCEED, "3");
    u.subtype = durable__strdup("RunInChildContext");
    u.payload = durable__strdup("\"shipped\"");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_wait(&u, "4", 5);
    u.name = durable__strdup("pause");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    ef_advance(&f, 5000);
    CU_ASSERT_FATAL(durable_engine_fire_due(NULL, f.eng) == 0);
    ef_callback(&u, "5", 3600, 0);
    u.name = durable__strdup("approval");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);

    durable_callback_info_list cl = {0};
    CU_ASSERT_FATAL(durable_engine_list_callbacks(&cl, f.eng, NULL) == 0);
    CU_ASSERT_FATAL(cl.count == 1);
    cb_id = strdup(cl.items[0].callback_id);
    durable_callback_info_list_clear(&cl);

    ef_advance(&f, 60000);
    start_named(&f, "cli-2", &arn2);
    durable_stop_request sr = {f.arn, NULL};
    durable_stop_response sp = {0};
    CU_ASSERT_FATAL(durable_engine_stop_execution(&sp, f.eng, &sr) == 0);
    ef_advance(&f, 60000);
    start_named(&f, "cli-3", &arn3);
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

static void test_show_tree(void)
{
    const char *opid = strrchr(arn1, '/') + 1;
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "show '%s' %.8s", dbpath, opid), 0);
    CU_ASSERT(strstr(out, "cli-1") && strstr(out, "Invocations: 1"));
    CU_ASSERT(strstr(out, "charge") && strstr(out, "flaky") && strstr(out, "approval"));
    /* the step inside the context is indented under it */
    char line[64];
    snprintf(line, sizeof line, "\n  %s", ef_id("3-1"));
    CU_ASSERT(strstr(out, line) != NULL);
    CU_ASSERT(strstr(out, ef_id("3")) < strstr(out, line));
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "show '%s' '%s' --json", dbpath, arn1), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "Operations")), 7);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "InvocationCount")->valuedouble, 1);
    cJSON_Delete(j);
    free(out);
    char *err;
    CU_ASSERT_EQUAL(run(NULL, &err, "show '%s' zzzz", dbpath), 2);
    CU_ASSERT(strstr(err, "no execution matches 'zzzz'") && strstr(err, dbpath));
    free(err);
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

static void test_callback_complete_once(void)
{
    char *out, *err;
    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s' --json", dbpath), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_FATAL(j != NULL);
    cJSON *arr = cJSON_GetObjectItem(j, "Callbacks");
    CU_ASSERT_FATAL(cJSON_GetArraySize(arr) == 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "CallbackId")->valuestring, cb_id);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "Name")->valuestring, "approval");
    cJSON_Delete(j);
    free(out);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' succeed '%s' '\"ok\"'", dbpath, cb_id), 0);
    free(err);
    CU_ASSERT_EQUAL(run(&out, NULL, "callbacks '%s'", dbpath), 0);
    CU_ASSERT(strstr(out, cb_id) == NULL);
    free(out);
    CU_ASSERT_EQUAL(run(&out, NULL, "history '%s' '%s' --include-data", dbpath, arn1), 0);
    CU_ASSERT(strstr(out, "CallbackSucceeded") && strstr(out, "\"ok\""));
    free(out);
    char before[65], after[65];
    file_hash(before);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' succeed '%s' '\"again\"'", dbpath, cb_id), 3);
    CU_ASSERT(strstr(err, "Callback has already been completed.") && strstr(err, dbpath));
    free(err);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' fail '%s' --error-type E --error-message M", dbpath, cb_id), 3);
    free(err);
    file_hash(after);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_EQUAL(run(NULL, &err, "callback '%s' heartbeat nosuchcallback", dbpath), 2);
    CU_ASSERT(strstr(err, "Callback not found.") != NULL);
    free(err);
    CU_ASSERT_EQUAL(run(NULL, NULL, "callback '%s' explode '%s'", dbpath, cb_id), 1);
}

static void test_stop(void)
{
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
    CU_ASSERT(strstr(err, "not running") != NULL);
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

static void test_schema_matches_sql(void)
{
    char *out;
    CU_ASSERT_EQUAL(run(&out, NULL, "schema"), 0);
    FILE *f = fopen("schema/001_init.sql", "r");
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
    free(out);
}

int main(void)
{
    const char *b = getenv("DURABLE_BUILD");
    snprintf(bin, sizeof bin, "%s/durable", b ? b : "build");
    snprintf(dir, sizeof dir, "/tmp/durable_cli_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(dbpath, sizeof dbpath, "%s/demo.db", dir);
    CU_pSuite s = dt_suite("testing_cli");
    DT_ADD(s, build_db);
    DT_ADD(s, test_executions_and_filters);
    DT_ADD(s, test_show_tree);
    DT_ADD(s, test_history_json_matches_engine);
    DT_ADD(s, test_inspection_never_writes);
    DT_ADD(s, test_callback_complete_once);
    DT_ADD(s, test_stop);
    DT_ADD(s, test_error_paths);
    DT_ADD(s, test_schema_matches_sql);
    int rc = dt_run();
    free(arn1), free(arn2), free(arn3), free(cb_id);
    char cmd[300];
    if (getenv("CLI_KEEP")) return rc;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
