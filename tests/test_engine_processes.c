/* Several processes, one file (issue 3 item 7): while a first process runs
 * (a checkpoint server on a WAL file, checkpointing), a second process opens
 * the same file, reads everything, completes a callback and stops an
 * execution; the first sees both on its next call. And the callback race
 * across two processes: both complete the same fresh callback, exactly one
 * wins, every round.
 *
 * Children are this program re-executed (fork + exec) in a child mode: a
 * forked child must not reuse SQLite state inherited from its parent. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable/common.h"
#include "durable/engine.h"
#include "durable/server.h"
#include "model/internal.h"
#include "support/server_fixture.h"
#include "support/testutil.h"

static char self_exe[4096];

/* A pipe whose ends are closed on exec: a later child must not inherit an
 * earlier child's stdin, or that child never sees end-of-file. (dup2 onto
 * 0/1 in the child clears the flag for the ends it keeps.) */
static int pipe_cloexec(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Start this program in a child mode; stdin/stdout optionally piped. */
static pid_t spawn_child(char *const argv[], int *to_child, int *from_child)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (to_child && pipe_cloexec(in) != 0)
        return -1;
    if (from_child && pipe_cloexec(out) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (to_child) {
            dup2(in[0], 0);
            close(in[0]);
            close(in[1]);
        }
        if (from_child) {
            dup2(out[1], 1);
            close(out[0]);
            close(out[1]);
        }
        execv(self_exe, argv);
        _exit(127);
    }
    if (to_child) {
        close(in[0]);
        *to_child = in[1];
    }
    if (from_child) {
        close(out[1]);
        *from_child = out[0];
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int open_engine(durable_store **st, durable_engine **e, const char *path)
{
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.create = false;
    so.busy_timeout_ms = 10000;
    int rc = durable_store_open(st, path, &so);
    if (rc == 0)
        rc = durable_engine_open(e, *st, NULL);
    return rc;
}

/* ---- child: the second process ------------------------------------------------ */

/* argv: --second <path> <arn A> <callback id> <step op id> <arn B>. Exit 0 when
 * everything read as expected and both actions succeeded; another code says
 * which check failed. */
static int child_second(char **argv)
{
    const char *path = argv[2], *arn_a = argv[3], *cb = argv[4], *step_id = argv[5],
               *arn_b = argv[6];
    durable_store *st = NULL;
    durable_engine *e = NULL;
    if (open_engine(&st, &e, path) != 0)
        return 10;
    int code = 0;
    durable_execution_info info;
    memset(&info, 0, sizeof info);
    if (durable_engine_get_execution(&info, e, arn_a) != 0 || info.status != DURABLE_EXEC_RUNNING)
        code = 11;
    durable_execution_info_clear(&info);

    durable_operation_list ops;
    memset(&ops, 0, sizeof ops);
    if (!code && durable_engine_list_operations(&ops, e, arn_a) != 0)
        code = 12;
    const durable_operation *step = code ? NULL : sf_find(&ops, step_id);
    if (!code && (!step || step->status != DURABLE_OP_SUCCEEDED || !step->result ||
                  strcmp(step->result, "\"first\"") != 0))
        code = 13;
    durable_operation_list_clear(&ops);

    durable_history_response h;
    if (!code && (sf_history_all(&h, e, arn_a) != 0))
        code = 14;
    if (!code) {
        if (!sf_event_ids_consecutive(&h) ||
            sf_count_events(&h, DURABLE_EVENT_CALLBACK_STARTED) != 1)
            code = 15;
        durable_history_response_clear(&h);
    }

    durable_callback_info_list cbs;
    memset(&cbs, 0, sizeof cbs);
    if (!code && durable_engine_list_callbacks(&cbs, e, arn_a) != 0)
        code = 16;
    if (!code && (cbs.count != 1 || strcmp(cbs.items[0].callback_id, cb) != 0))
        code = 17;
    durable_callback_info_list_clear(&cbs);

    if (!code && durable_engine_callback_success(e, cb, "\"from-second\"", 13) != 0)
        code = 18;
    durable_stop_request sr;
    memset(&sr, 0, sizeof sr);
    sr.durable_execution_arn = (char *)arn_b;
    durable_stop_response sresp = {0};
    if (!code && durable_engine_stop_execution(&sresp, e, &sr) != 0)
        code = 19;
    if (code)
        fprintf(stderr, "second process: check %d failed: %s\n", code,
                durable_error_last()->message);
    durable_engine_close(e);
    durable_store_close(st);
    return code;
}

/* argv: --race <path> <index>. Reads callback ids, one per line, from stdin;
 * for each writes one byte: 'W' won, 'D' already completed, 'E' other. */
static int child_race(char **argv)
{
    durable_store *st = NULL;
    durable_engine *e = NULL;
    if (open_engine(&st, &e, argv[2]) != 0)
        return 10;
    char payload[32];
    snprintf(payload, sizeof payload, "\"proc-%s\"", argv[3]);
    char line[2048];
    FILE *in = stdin;
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = 0;
        int rc = durable_engine_callback_success(e, line, payload, strlen(payload));
        char r = rc == 0 ? 'W' : rc == DURABLE_ECALLBACK_DONE ? 'D' : 'E';
        if (r == 'E')
            fprintf(stderr, "race child %s: %s\n", argv[3], durable_error_last()->message);
        if (write(1, &r, 1) != 1)
            break;
    }
    durable_engine_close(e);
    durable_store_close(st);
    return 0;
}

/* ---- the first process ------------------------------------------------------------ */

typedef struct running {
    char *arn;
    char *invocation_id;
    char *token;
} running;

static int running_begin(running *r, durable_server *s, const char *name)
{
    memset(r, 0, sizeof *r);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = name;
    durable_invocation_input in;
    memset(&in, 0, sizeof in);
    int rc = durable_server_start_execution(&r->arn, NULL, s, "multi", &o);
    if (rc == 0)
        rc = durable_server_start_invocation(&in, &r->invocation_id, s, r->arn, getpid());
    r->token = in.checkpoint_token;
    in.checkpoint_token = NULL;
    durable_invocation_input_clear(&in);
    return rc;
}

static int running_checkpoint(running *r, durable_server *s, durable_operation_update *u,
                              size_t n, durable_checkpoint_response *resp)
{
    durable_checkpoint_request req = sf_request(r->arn, r->token, u, n);
    memset(resp, 0, sizeof *resp);
    int rc = durable_server_checkpoint(resp, s, &req);
    if (rc == 0) {
        durable_free(r->token);
        r->token = resp->checkpoint_token;
        resp->checkpoint_token = NULL;
    }
    return rc;
}

static void running_end(running *r)
{
    durable_free(r->arn);
    durable_free(r->invocation_id);
    durable_free(r->token);
}

/* The first process keeps checkpointing execution C while the second works. */
typedef struct busy_loop {
    durable_server *s;
    running *c;
    atomic_int stop;
    int ok, failed;
} busy_loop;

static void *busy_main(void *p)
{
    busy_loop *b = p;
    int n = 0;
    while (!atomic_load(&b->stop)) {
        char path[16];
        snprintf(path, sizeof path, "%d", ++n);
        durable_operation_update u[2];
        sf_step(&u[0], path, "tick", DURABLE_ACTION_START, NULL);
        sf_step(&u[1], path, "tick", DURABLE_ACTION_SUCCEED, "1");
        durable_checkpoint_response resp;
        if (running_checkpoint(b->c, b->s, u, 2, &resp) == 0)
            b->ok++;
        else
            b->failed++;
        durable_checkpoint_response_clear(&resp);
        sf_updates_clear(u, 2);
    }
    return NULL;
}

static void test_second_process_reads_and_acts(void)
{
    char *path = dt_temp_path("multi");
    durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
    o.path = path;
    durable_server *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&s, &o), 0);
    running a, b, c;
    CU_ASSERT_EQUAL_FATAL(running_begin(&a, s, "a"), 0);
    CU_ASSERT_EQUAL_FATAL(running_begin(&b, s, "b"), 0);
    CU_ASSERT_EQUAL_FATAL(running_begin(&c, s, "c"), 0);

    durable_operation_update u[3];
    sf_step(&u[0], "1", "first", DURABLE_ACTION_START, NULL);
    sf_step(&u[1], "1", "first", DURABLE_ACTION_SUCCEED, "\"first\"");
    sf_callback_start(&u[2], "2", "approval");
    durable_checkpoint_response resp;
    CU_ASSERT_EQUAL_FATAL(running_checkpoint(&a, s, u, 3, &resp), 0);
    const durable_operation *cbop = sf_find(&resp.operations, u[2].id);
    CU_ASSERT_FATAL(cbop && cbop->callback_id);
    char *cb = durable__strdup(cbop->callback_id);
    char step_id[DURABLE_OP_ID_LEN + 1], cb_op[DURABLE_OP_ID_LEN + 1];
    snprintf(step_id, sizeof step_id, "%s", u[0].id);
    snprintf(cb_op, sizeof cb_op, "%s", u[2].id);
    durable_checkpoint_response_clear(&resp);
    sf_updates_clear(u, 3);

    busy_loop bl = {s, &c, 0, 0, 0};
    pthread_t bt;
    pthread_create(&bt, NULL, busy_main, &bl);
    char *argv[] = {self_exe, "--second", path, a.arn, cb, step_id, b.arn, NULL};
    pid_t pid = spawn_child(argv, NULL, NULL);
    CU_ASSERT_FATAL(pid > 0);
    int code = wait_exit(pid);
    atomic_store(&bl.stop, 1);
    pthread_join(bt, NULL);
    CU_ASSERT_EQUAL(code, 0);
    CU_ASSERT(bl.ok > 0);
    CU_ASSERT_EQUAL(bl.failed, 0);

    /* The first process sees the callback completion on its next call: in
     * the operation, and in the delta of its next checkpoint. */
    CU_ASSERT_EQUAL(running_checkpoint(&a, s, NULL, 0, &resp), 0);
    const durable_operation *seen = sf_find(&resp.operations, cb_op);
    CU_ASSERT_PTR_NOT_NULL(seen);
    if (seen) {
        CU_ASSERT_EQUAL(seen->status, DURABLE_OP_SUCCEEDED);
        CU_ASSERT_STRING_EQUAL(seen->result, "\"from-second\"");
    }
    durable_checkpoint_response_clear(&resp);
    /* ... and the stop: B is STOPPED and its invocation's token is dead. */
    durable_execution_info info;
    memset(&info, 0, sizeof info);
    CU_ASSERT_EQUAL(durable_server_get_execution(&info, s, b.arn), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_STOPPED);
    durable_execution_info_clear(&info);
    CU_ASSERT_EQUAL(running_checkpoint(&b, s, NULL, 0, &resp), DURABLE_ETOKEN);
    durable_checkpoint_response_clear(&resp);
    /* C kept running throughout. */
    memset(&info, 0, sizeof info);
    CU_ASSERT_EQUAL(durable_server_get_execution(&info, s, c.arn), 0);
    CU_ASSERT_EQUAL(info.status, DURABLE_EXEC_RUNNING);
    durable_execution_info_clear(&info);

    durable_free(cb);
    running_end(&a);
    running_end(&b);
    running_end(&c);
    durable_server_free(s);
    dt_remove_db(path);
    free(path);
}

enum { PROC_ROUNDS = 200 };

static void test_callback_race_two_processes(void)
{
    char *path = dt_temp_path("prace");
    durable_server_options o = DURABLE_SERVER_OPTIONS_INIT;
    o.path = path;
    durable_server *s = NULL;
    CU_ASSERT_EQUAL_FATAL(durable_server_start(&s, &o), 0);
    running a;
    CU_ASSERT_EQUAL_FATAL(running_begin(&a, s, "race"), 0);

    int to[2], from[2];
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        char *argv[] = {self_exe, "--race", path, i == 0 ? "0" : "1", NULL};
        pids[i] = spawn_child(argv, &to[i], &from[i]);
        CU_ASSERT_FATAL(pids[i] > 0);
    }
    int wins[2] = {0, 0}, bad_rounds = 0;
    for (int round = 0; round < PROC_ROUNDS; round++) {
        char p[16];
        snprintf(p, sizeof p, "%d", round + 1);
        durable_operation_update u;
        sf_callback_start(&u, p, "race");
        durable_checkpoint_response resp;
        int rc = running_checkpoint(&a, s, &u, 1, &resp);
        const durable_operation *op = rc == 0 ? sf_find(&resp.operations, u.id) : NULL;
        CU_ASSERT_FATAL(op && op->callback_id);
        size_t len = strlen(op->callback_id);
        char *line = durable__sprintf("%s\n", op->callback_id);
        for (int i = 0; i < 2; i++)
            CU_ASSERT_EQUAL(write(to[i], line, len + 1), (ssize_t)len + 1);
        durable_free(line);
        char r[2] = {0, 0};
        for (int i = 0; i < 2; i++)
            CU_ASSERT_EQUAL(read(from[i], &r[i], 1), 1);
        int w = (r[0] == 'W') + (r[1] == 'W');
        int d = (r[0] == 'D') + (r[1] == 'D');
        /* The database agrees with the children: the winner's payload. */
        durable_operation stored;
        durable_operation_init(&stored);
        char expect[16];
        snprintf(expect, sizeof expect, "\"proc-%d\"", r[0] == 'W' ? 0 : 1);
        if (w != 1 || d != 1 || durable_server_get_operation(&stored, s, a.arn, u.id) != 0 ||
            stored.status != DURABLE_OP_SUCCEEDED || !stored.result ||
            strcmp(stored.result, expect) != 0) {
            if (bad_rounds++ < 3)
                fprintf(stderr, "process race round %d: %c %c\n", round, r[0], r[1]);
        }
        wins[r[0] == 'W' ? 0 : 1]++;
        durable_operation_clear(&stored);
        durable_checkpoint_response_clear(&resp);
        durable_operation_update_clear(&u);
    }
    for (int i = 0; i < 2; i++) {
        close(to[i]);
        CU_ASSERT_EQUAL(wait_exit(pids[i]), 0);
        close(from[i]);
    }
    CU_ASSERT_EQUAL(bad_rounds, 0);
    CU_ASSERT_EQUAL(wins[0] + wins[1], PROC_ROUNDS);
    printf("\n  process race: child 0 won %d, child 1 won %d of %d rounds\n", wins[0], wins[1],
           PROC_ROUNDS);

    /* History, read through a third connection: one CallbackSucceeded per
     * round, consecutive ids. */
    {
        durable_history_response h;
        durable_store *st = NULL;
        durable_engine *e = NULL;
        CU_ASSERT_EQUAL_FATAL(open_engine(&st, &e, path), 0);
        CU_ASSERT_EQUAL(sf_history_all(&h, e, a.arn), 0);
        CU_ASSERT(sf_event_ids_consecutive(&h));
        CU_ASSERT_EQUAL(sf_count_events(&h, DURABLE_EVENT_CALLBACK_SUCCEEDED), PROC_ROUNDS);
        durable_history_response_clear(&h);
        durable_engine_close(e);
        durable_store_close(st);
    }
    running_end(&a);
    durable_server_free(s);
    dt_remove_db(path);
    free(path);
}

int main(int argc, char **argv)
{
    /* Under valgrind readlink reports the program, not the tool. */
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 2;
    self_exe[n] = 0;
    if (argc >= 7 && strcmp(argv[1], "--second") == 0)
        return child_second(argv);
    if (argc >= 4 && strcmp(argv[1], "--race") == 0)
        return child_race(argv);
    signal(SIGPIPE, SIG_IGN);

    CU_pSuite s = dt_suite("engine_processes");
    DT_ADD(s, test_second_process_reads_and_acts);
    DT_ADD(s, test_callback_race_two_processes);
    return dt_run();
}
