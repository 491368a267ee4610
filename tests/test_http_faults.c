/*
 * The HTTP front under I/O faults (issue 15): a write that SQLite cannot
 * make answers 500 ServiceException, leaves nothing half-written, and the
 * same request succeeds once the fault is gone. The fault VFS counts from
 * one thread (the engine's), so this suite is not run under TSan.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "durable/context.h"
#include "durable/engine.h"
#include "durable/http.h"
#include "durable/store.h"
#include "support/fault_vfs.h"
#include "support/testutil.h"

static int echo(durable_ctx *ctx, const cJSON *input, cJSON **out, void *user)
{
    (void)ctx;
    (void)user;
    *out = cJSON_Duplicate(input, 1);
    return 0;
}

/* One request on a new connection; the status, and the body in buf. */
static int request(int port, const char *head_and_body, char *buf, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    send(fd, head_and_body, strlen(head_and_body), MSG_NOSIGNAL);
    size_t have = 0;
    ssize_t n;
    while (have + 1 < size && (n = recv(fd, buf + have, size - 1 - have, 0)) > 0) {
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length:"); /* libmicrohttpd's spelling */
        if (end && cl && have >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
            break;
    }
    buf[have] = '\0';
    close(fd);
    int status = 0;
    sscanf(buf, "HTTP/1.1 %d", &status);
    return status;
}

/* An Event Invoke starting an execution named `name`. */
static const char *invoke(char *buf, size_t size, const char *name)
{
    snprintf(buf, size,
             "POST /2015-03-31/functions/Echo/invocations HTTP/1.1\r\n"
             "Host: x\r\nX-Amz-Invocation-Type: Event\r\n"
             "X-Amz-Durable-Execution-Name: %s\r\n"
             "Content-Length: 2\r\n\r\n42",
             name);
    return buf;
}

static int executions_in(const char *path)
{
    sqlite3 *db = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM executions", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* Wait until every execution has ended, so that the next write on the
 * file is the next request's own (an Event invocation goes on after its
 * 202). */
static void wait_quiet(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        sqlite3 *db = NULL;
        int running = 1;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM executions WHERE status = 'RUNNING'",
                                   -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW)
                running = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close(db);
        if (!running)
            return;
        usleep(10000);
    }
}

static void test_write_fault_answers_500_and_changes_nothing(void)
{
    CU_ASSERT_FATAL(fault_vfs_install() == SQLITE_OK);
    char *path = dt_temp_path("http_faults");
    durable_http_options o = DURABLE_HTTP_OPTIONS_INIT;
    o.db_path = path;
    o.port = 0;
    durable_http_server *s = NULL;
    CU_ASSERT_FATAL(durable_http_server_new(&s, &o) == 0);
    CU_ASSERT_FATAL(durable_http_register_handler(s, "Echo", echo, NULL, NULL) == 0);
    CU_ASSERT_FATAL(durable_http_server_start(s) == 0);
    int port = durable_http_server_port(s);
    char buf[8192], req[512], name[32];
    const int codes[] = {SQLITE_IOERR, SQLITE_FULL};
    /* WAL with synchronous=NORMAL syncs only at checkpoints: a commit's
     * first I/O is a write. */
    const fault_kind kinds[] = {FAULT_WRITE, FAULT_SYNC};
    /* The server's store has the background WAL checkpointer (the front has
     * no store options), but its thread starts only when the WAL reaches
     * 1,000 frames, far beyond these few requests: every counted I/O is
     * the server thread's. */
    int faulted = 0, started = 0;
    for (size_t k = 0; k < 2; k++) {
        for (size_t c = 0; c < 2; c++) {
            snprintf(name, sizeof name, "faulty-%zu-%zu", k, c);
            wait_quiet(path);
            fault_vfs_arm(kinds[k], 1, codes[c]);
            int status = request(port, invoke(req, sizeof req, name), buf, sizeof buf);
            int fired = fault_vfs_fired();
            fault_vfs_disarm();
            if (!fired) { /* no such I/O in this call: it succeeded */
                CU_ASSERT_EQUAL(status, 202);
                started += status == 202;
                continue;
            }
            faulted++;
            CU_ASSERT_EQUAL(status, 500);
            CU_ASSERT_PTR_NOT_NULL(strstr(buf, "X-Amzn-ErrorType: ServiceException"));
            CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"__type\":\"ServiceException\""));
            CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"Type\":\"Server\""));
            CU_ASSERT_EQUAL(executions_in(path), started); /* nothing half-written */
            /* The same request, the fault gone, goes through. */
            status = request(port, invoke(req, sizeof req, name), buf, sizeof buf);
            CU_ASSERT_EQUAL(status, 202);
            started += status == 202;
        }
    }
    CU_ASSERT(faulted >= 2); /* both write faults fired */
    durable_http_server_free(s);
    CU_ASSERT_EQUAL(executions_in(path), started);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    CU_ASSERT(sqlite3_step(st) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    fault_vfs_uninstall();
    dt_remove_db(path);
    free(path);
}

int main(void)
{
    CU_pSuite s = dt_suite("http_faults");
    DT_ADD(s, test_write_fault_answers_500_and_changes_nothing);
    return dt_run();
}
