/*
 * bench_http — the cost of a checkpoint through `durable serve`.
 *
 * A checkpoint here is one START+SUCCEED of a new step in one
 * CheckpointDurableExecution request over loopback HTTP/1.1 keep-alive
 * (libcurl, one connection per client), each answer's token feeding the
 * next request. Measured with 1 client and with 16 (threads of this
 * program, so clients and server share the machine's cores), on a WAL file
 * and on :memory: (the 16-client pair three times, alternating, each side's
 * median reported), beside floors measured in the same run:
 *   http_floor_us   an empty request round trip on a bare libmicrohttpd
 *                   server of the same configuration (the HTTP cost alone);
 *   engine_us       the same checkpoint as a direct engine call on a WAL file
 *                   (no HTTP, no thread hop);
 *   commit_floor    one-row SQLite commits per second on a WAL file opened
 *                   as the store (durable_store_open: its pragmas, page size
 *                   and background WAL checkpoints; the durability cost
 *                   alone).
 * The executions are real: the function is this program in --function mode,
 * run by the server on the Runtime API; each process takes one invocation,
 * hands its ARN and token to the benchmark through a file, and keeps the
 * invocation open until the server ends it.
 *
 * Last line:
 *   bench_http: rt_us=… http_floor_us=… engine_us=… c16_cps=… c16_mem_cps=… commit_floor_cps=…
 */
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "durable/engine.h"
#include "durable/http.h"
#include "durable/store.h"
#include "store/internal.h"
#include "bench_util.h"

#define CLIENTS 16
#define ROUNDS 3

/* ---- the function process: publish ARN and token, keep the invocation open ---- */

static int function_main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API"), *dir = getenv("BENCH_DIR");
    if (!api || !dir)
        return 2;
    char url[256];
    snprintf(url, sizeof url, "http://%s/2018-06-01/runtime/invocation/next", api);
    CURL *c = curl_easy_init();
    char *body = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&body, &len);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    if (curl_easy_perform(c) != CURLE_OK)
        return 3;
    fclose(mem);
    cJSON *ev = cJSON_Parse(body);
    const cJSON *arn = cJSON_GetObjectItemCaseSensitive(ev, "DurableExecutionArn");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(ev, "CheckpointToken");
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/%d", dir, (int)getpid());
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    fprintf(f, "%s\n%s\n", arn->valuestring, tok->valuestring);
    fclose(f);
    rename(tmp, path);
    cJSON_Delete(ev);
    free(body);
    curl_easy_cleanup(c);
    pause(); /* the server ends this process when it stops */
    return 0;
}

/* ---- a checkpointing client ------------------------------------------------------ */

typedef struct client {
    char url[1024];
    char token[4096];
    int n;
    double elapsed_us;
    int errors;
    int id;
} client;

static size_t collect(char *p, size_t size, size_t n, void *user)
{
    FILE *f = user;
    return fwrite(p, size, n, f);
}

static void *client_run(void *arg)
{
    client *cl = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, cl->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    double t0 = bench_now_us();
    for (int i = 0; i < cl->n; i++) {
        char req[6000];
        snprintf(req, sizeof req,
                 "{\"CheckpointToken\":\"%s\",\"Updates\":["
                 "{\"Id\":\"%08x%08x\",\"Type\":\"STEP\",\"Action\":\"START\",\"SubType\":\"Step\","
                 "\"Name\":\"s\"},"
                 "{\"Id\":\"%08x%08x\",\"Type\":\"STEP\",\"Action\":\"SUCCEED\","
                 "\"SubType\":\"Step\",\"Payload\":\"1\"}]}",
                 cl->token, cl->id, i, cl->id, i);
        char *body = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&body, &len);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
        long status = 0;
        CURLcode rc = curl_easy_perform(c);
        fclose(mem);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        cJSON *j = rc == CURLE_OK && status == 200 ? cJSON_Parse(body) : NULL;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "CheckpointToken");
        if (cJSON_IsString(t)) {
            snprintf(cl->token, sizeof cl->token, "%s", t->valuestring);
        } else {
            if (cl->errors++ < 3)
                fprintf(stderr, "client %d: HTTP %ld %s\n", cl->id, status, body ? body : "");
        }
        cJSON_Delete(j);
        free(body);
    }
    cl->elapsed_us = bench_now_us() - t0;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

/* ---- one server, `clients` executions checkpointing at once ------------------------ */

static char g_self[4096];

static int url_encode(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (; *s && o + 4 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, size - o, "%%%02X", ch);
    }
    out[o] = '\0';
    return 0;
}

/* Checkpoints per second with `clients` clients doing `per_client` each; *rt_us
 * the mean round trip. -1 on failure. */
static double run_server(const char *db, int clients, int per_client, double *rt_us)
{
    if (clients < 1 || clients > CLIENTS)
        return -1;
    char dir[] = "/tmp/bench_http_XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    char env_dir[600], cmd[4200];
    snprintf(env_dir, sizeof env_dir, "BENCH_DIR=%s", dir);
    snprintf(cmd, sizeof cmd, "exec '%s' --function", g_self);
    const char *env[] = {env_dir};
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = db;
    o.port = 0;
    o.concurrency = clients;
    durable_http_function_options fo = DURABLE_HTTP_FUNCTION_OPTIONS_INIT;
    fo.env = env;
    fo.env_count = 1;
    durable_http_server *s = NULL;
    if (durable_http_server_new(&s, &o) < 0 ||
        durable_http_register_command(s, "Bench", cmd, &fo) < 0 ||
        durable_http_server_start(s) < 0) {
        fprintf(stderr, "bench_http: server: %s\n", durable_error_last()->message);
        durable_http_server_free(s);
        return -1;
    }
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s/2015-03-31/functions/Bench/invocations",
             durable_http_server_url(s));
    struct curl_slist *h = curl_slist_append(NULL, "X-Amz-Invocation-Type: Event");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    for (int i = 0; i < clients; i++)
        curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    /* Wait for every process to publish its invocation. */
    client *cl = calloc(CLIENTS, sizeof *cl);
    int have = 0;
    for (int tries = 0; tries < 3000 && have < clients; tries++) {
        have = 0;
        char cmdl[700];
        snprintf(cmdl, sizeof cmdl, "ls %s | grep -v tmp", dir);
        FILE *p = popen(cmdl, "r");
        char name[64];
        while (p && fgets(name, sizeof name, p) && have < clients) {
            name[strcspn(name, "\n")] = '\0';
            char path[700], arn[1024] = "";
            snprintf(path, sizeof path, "%s/%s", dir, name);
            FILE *f = fopen(path, "r");
            if (f && fgets(arn, sizeof arn, f) && fgets(cl[have].token, sizeof cl[have].token, f)) {
                arn[strcspn(arn, "\n")] = '\0';
                cl[have].token[strcspn(cl[have].token, "\n")] = '\0';
                char enc[1024];
                url_encode(enc, sizeof enc, arn);
                snprintf(cl[have].url, sizeof cl[have].url,
                         "%s/2025-12-01/durable-executions/%s/checkpoint",
                         durable_http_server_url(s), enc);
                cl[have].n = per_client;
                cl[have].id = have;
                have++;
            }
            if (f)
                fclose(f);
        }
        if (p)
            pclose(p);
        if (have < clients)
            usleep(10000);
    }
    double cps = -1;
    if (have == clients) {
        pthread_t t[CLIENTS];
        double t0 = bench_now_us();
        for (int i = 0; i < clients; i++)
            pthread_create(&t[i], NULL, client_run, &cl[i]);
        int errors = 0;
        double rt = 0;
        for (int i = 0; i < clients; i++) {
            pthread_join(t[i], NULL);
            errors += cl[i].errors;
            rt += cl[i].elapsed_us / cl[i].n;
        }
        double wall = bench_now_us() - t0;
        cps = errors ? -1 : clients * per_client / (wall / 1e6);
        *rt_us = rt / clients;
    } else {
        fprintf(stderr, "bench_http: only %d of %d function processes started\n", have, clients);
    }
    free(cl);
    durable_http_server_free(s);
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0)
        fprintf(stderr, "bench_http: could not remove %s\n", dir);
    return cps;
}

/* ---- floors ------------------------------------------------------------------------- */

static enum MHD_Result empty_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*con_cls) {
        *con_cls = conn;
        return MHD_YES;
    }
    if (*size) { /* read the body first: answering before it closes the connection */
        *size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static double http_floor_us(int n)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                                                MHD_USE_THREAD_PER_CONNECTION,
                                            0, NULL, NULL, empty_answer, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", info->port);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"CheckpointToken\":\"x\"}");
    curl_easy_perform(c); /* connect once */
    double t0 = bench_now_us();
    for (int i = 0; i < n; i++)
        curl_easy_perform(c);
    double us = (bench_now_us() - t0) / n;
    fclose(null);
    curl_easy_cleanup(c);
    MHD_stop_daemon(d);
    return us;
}

static double commit_floor_cps(const char *path, int n)
{
    durable_store *store = NULL;
    if (durable_store_open(&store, path, NULL) != 0)
        return -1;
    sqlite3 *db = durable__store_db(store);
    sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES ('x')", -1, &st, NULL);
    double t0 = bench_now_us();
    for (int i = 0; i < n; i++) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double cps = n / ((bench_now_us() - t0) / 1e6);
    sqlite3_finalize(st);
    durable_store_close(store);
    return cps;
}

static double engine_us(const char *path, int n)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    if (durable_store_open(&st, path, &so) < 0 || durable_engine_open(&e, st, NULL) < 0)
        return -1;
    char *arn = NULL, *inv = NULL;
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    durable_engine_start_execution(&arn, NULL, e, "Bench", NULL);
    durable_engine_start_invocation(&in, &inv, e, arn, 0);
    char *token = strdup(in.checkpoint_token);
    double t0 = bench_now_us();
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%016x", i);
        durable_operation_update u[2];
        memset(u, 0, sizeof u);
        u[0].id = u[1].id = id;
        u[0].type = u[1].type = DURABLE_OP_STEP;
        u[0].action = DURABLE_ACTION_START;
        u[1].action = DURABLE_ACTION_SUCCEED;
        u[0].subtype = u[1].subtype = "Step";
        u[0].name = "s";
        u[1].payload = "1";
        durable_checkpoint_request req = {arn, token, u, 2, NULL};
        durable_checkpoint_response resp;
        memset(&resp, 0, sizeof resp);
        if (durable_engine_checkpoint(&resp, e, &req) < 0) {
            fprintf(stderr, "bench_http: engine: %s\n", durable_engine_errmsg(e));
            break;
        }
        free(token);
        token = strdup(resp.checkpoint_token);
        durable_checkpoint_response_clear(&resp);
    }
    double us = (bench_now_us() - t0) / n;
    free(token);
    durable_invocation_input_clear(&in);
    durable_free(arn);
    durable_free(inv);
    durable_engine_close(e);
    durable_store_close(st);
    return us;
}

/* Median of n values (sorts them); a failed run (-1) sorts first. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[0] < 0 ? -1 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--function") == 0)
        return function_main();
    int per = argc > 1 ? atoi(argv[1]) : 400;
    if (per < 10)
        per = 10;
    ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    g_self[n > 0 ? n : 0] = '\0';
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char file[128];
    snprintf(file, sizeof file, "/tmp/bench_http_%d.db", (int)getpid());

    double floor_us = http_floor_us(per * 4);
    bench_remove_db(file);
    double commit_cps = commit_floor_cps(file, per * 4);
    bench_remove_db(file);
    double eng_us = engine_us(file, per * 4);
    bench_remove_db(file);
    double rt = 0, rt16 = 0, rt16m = 0, rt1m = 0;
    double c1 = run_server(file, 1, per * 4, &rt);
    bench_remove_db(file);
    double c1m = run_server(":memory:", 1, per * 4, &rt1m);
    /* The 16-client pair is run ROUNDS times, file and memory alternating,
     * and each side reports its median: on a shared machine one run of
     * either can land in a busy second, and the ratio of two single runs
     * then says more about the neighbours than about the server. */
    double c16s[ROUNDS], c16ms[ROUNDS], rt16s[ROUNDS], rt16ms[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        c16s[r] = run_server(file, CLIENTS, per, &rt16s[r]);
        bench_remove_db(file);
        c16ms[r] = run_server(":memory:", CLIENTS, per, &rt16ms[r]);
        printf("round %d: 16 clients WAL %.0f/s, memory %.0f/s (%.2f)\n", r + 1, c16s[r], c16ms[r],
               c16s[r] / c16ms[r]);
    }
    double c16 = median(c16s, ROUNDS), c16m = median(c16ms, ROUNDS);
    rt16 = median(rt16s, ROUNDS);
    rt16m = median(rt16ms, ROUNDS);

    printf("%-34s %12s %12s\n", "measurement", "per op (us)", "per second");
    printf("%-34s %12.1f %12.0f\n", "empty HTTP round trip (floor)", floor_us, 1e6 / floor_us);
    printf("%-34s %12.1f %12.0f\n", "one-row commit, WAL (floor)", 1e6 / commit_cps, commit_cps);
    printf("%-34s %12.1f %12.0f\n", "engine checkpoint, WAL", eng_us, 1e6 / eng_us);
    printf("%-34s %12.1f %12.0f\n", "HTTP checkpoint, 1 client, WAL", rt, c1);
    printf("%-34s %12.1f %12.0f\n", "HTTP checkpoint, 1 client, memory", rt1m, c1m);
    printf("%-34s %12.1f %12.0f\n", "HTTP checkpoint, 16 clients, WAL", rt16, c16);
    printf("%-34s %12.1f %12.0f\n", "HTTP checkpoint, 16 clients, memory", rt16m, c16m);
    printf("ratios: rt/http_floor=%.2f rt/engine=%.2f c16/c16_mem=%.2f c16/commit_floor=%.2f\n",
           rt / floor_us, rt / eng_us, c16 / c16m, c16 / commit_cps);
    printf("bench_http: rt_us=%.1f http_floor_us=%.1f engine_us=%.1f c16_cps=%.0f c16_mem_cps=%.0f "
           "commit_floor_cps=%.0f\n",
           rt, floor_us, eng_us, c16, c16m, commit_cps);
    curl_global_cleanup();
    return c1 > 0 && c16 > 0 && c16m > 0 && c1m > 0 ? 0 : 1;
}
