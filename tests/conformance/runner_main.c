/*
 * conformance — run the official durable-execution conformance requirements
 * against C handlers on the local engine (issue 7, SPEC.md §12).
 *
 * Each requirement runs in its own forked process (a crash or hang there
 * fails that requirement only), up to --jobs at a time; the report keeps
 * the requirements' order. See usage() for the options.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance/conformance.h"
#include "conformance/loader.h"
#include "conformance/report.h"
#include "conformance/run.h"

#define MAX_DIRS 64
#define MAX_ONLY 256
#define VERDICT_MAX (64 * 1024)

typedef struct options {
    const char *dirs[MAX_DIRS];
    int dir_count;
    const char *only[MAX_ONLY];
    int only_count;
    bool json;
    const char *json_out;
    const char *expect;
    bool seed_given;
    uint64_t seed;
    int jobs;
    double timeout_s;
    bool fork;
    bool list;
    conf_run_options run;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: conformance [options] [DIR...]\n"
            "Run the conformance requirements (*.yaml) found under each DIR (default\n"
            "$CONFORMANCE_DIR, else ../shared/conformance) against the registered C handlers.\n"
            "\n"
            "  --only ID        run only this requirement (repeatable)\n"
            "  --json           print the report as one JSON document on stdout\n"
            "                   (the summary line then goes to stderr)\n"
            "  --json-out FILE  also write the JSON report to FILE\n"
            "  --expect FILE    exit 1 unless every id listed in FILE (one per line,\n"
            "                   '#' comments) passes\n"
            "  --seed N         seed for ${GEN_STR:N} variables (default: time)\n"
            "  -j, --jobs N     requirements run at the same time (default 2)\n"
            "  --timeout S      seconds one requirement may take (default 10)\n"
            "  --idle-ms MS     real ms a run may stay without progress (default 1000)\n"
            "  --http FUNCTION  HTTP mode (the conformance-http program): each handler runs\n"
            "                   in FUNCTION, a durable_lambda_run program, hosted by a\n"
            "                   durable serve per requirement, driven by the cloud runner\n"
            "  --no-fork        run every requirement in this process (debugging)\n"
            "  -v, --verbose    on failure, print the actual history and log lines\n"
            "  --list           list the requirements and whether a handler exists\n"
            "  -h, --help       this text\n"
            "\n"
            "The last line of the text report is\n"
            "  conformance: passed=<n> failed=<m> not_implemented=<k> total=<t>\n");
}

static int parse_args(options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->jobs = 2;
    o->timeout_s = 10;
    o->fork = true;
    o->run.idle_limit_ms = 1000;
    const char *tmp = getenv("TMPDIR");
    o->run.tmp_dir = tmp && *tmp ? tmp : "/tmp";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                            \
    do {                                                                                       \
        if (!next) {                                                                           \
            fprintf(stderr, "conformance: %s needs a value\n", a);                            \
            return -1;                                                                         \
        }                                                                                      \
        i++;                                                                                   \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--only")) {
            NEED_ARG();
            if (o->only_count < MAX_ONLY)
                o->only[o->only_count++] = next;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--json-out")) {
            NEED_ARG();
            o->json_out = next;
        } else if (!strcmp(a, "--expect")) {
            NEED_ARG();
            o->expect = next;
        } else if (!strcmp(a, "--seed")) {
            NEED_ARG();
            o->seed = strtoull(next, NULL, 10);
            o->seed_given = true;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
            NEED_ARG();
            o->jobs = atoi(next);
        } else if (!strcmp(a, "--timeout")) {
            NEED_ARG();
            o->timeout_s = atof(next);
        } else if (!strcmp(a, "--idle-ms")) {
            NEED_ARG();
            o->run.idle_limit_ms = atoll(next);
        } else if (!strcmp(a, "--http")) {
            NEED_ARG();
            o->run.http_function = next;
        } else if (!strcmp(a, "--no-fork")) {
            o->fork = false;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->run.verbose = true;
        } else if (!strcmp(a, "--list")) {
            o->list = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "conformance: unknown option %s\n", a);
            return -1;
        } else if (o->dir_count < MAX_DIRS) {
            o->dirs[o->dir_count++] = a;
        }
#undef NEED_ARG
    }
    if (o->jobs < 1)
        o->jobs = 1;
    if (o->timeout_s <= 0)
        o->timeout_s = 10;
    /* The cloud runner gives up a little before the requirement's slot is
     * killed, so a run that does not end is judged, not lost. */
    o->run.http_timeout_ms = (int64_t)(o->timeout_s * 1000) - 1500;
    if (o->run.http_timeout_ms < 1000)
        o->run.http_timeout_ms = 1000;
    if (o->dir_count == 0) {
        const char *env = getenv("CONFORMANCE_DIR");
        o->dirs[o->dir_count++] = env && *env ? env : "../shared/conformance";
    }
    if (!o->seed_given)
        o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    o->run.seed = o->seed;
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool selected(const options *o, const char *id)
{
    if (o->only_count == 0)
        return true;
    for (int i = 0; i < o->only_count; i++)
        if (!strcmp(o->only[i], id))
            return true;
    return false;
}

/* ---- one requirement in a child process --------------------------------------- */

typedef struct slot {
    pid_t pid;
    int fd;
    size_t row;
    double start;
    char *buf;
    size_t len, cap;
    bool eof, killed;
} slot;

static void run_in_child(int fd, const conf_requirement *req, const conf_run_options *ro)
{
    conf_outcome out = {0};
    conf_run_requirement(&out, req, ro);
    char *text = conf_outcome_to_json(&out);
    if (text) {
        size_t n = strlen(text), off = 0;
        if (n > VERDICT_MAX - 1)
            n = VERDICT_MAX - 1; /* never more than the parent reads */
        while (off < n) {
            ssize_t w = write(fd, text + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    free(text);
    conf_outcome_clear(&out);
    close(fd);
}

static int start_slot(slot *s, size_t row, const conf_requirement *req, const options *o)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        run_in_child(fds[1], req, &o->run);
        _exit(0);
    }
    close(fds[1]);
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->fd = fds[0];
    s->row = row;
    s->start = now_ms();
    return 0;
}

static void slot_read(slot *s)
{
    char tmp[4096];
    ssize_t n = read(s->fd, tmp, sizeof tmp);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        s->eof = true;
        return;
    }
    if (s->len + (size_t)n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8192;
        while (cap < s->len + (size_t)n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->eof = true;
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, tmp, (size_t)n);
    s->len += (size_t)n;
    s->buf[s->len] = 0;
}

static void slot_finish(slot *s, conf_row *row, double timeout_s)
{
    int st = 0;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
        ;
    close(s->fd);
    conf_outcome *out = &row->out;
    if (s->len && conf_outcome_from_json(out, s->buf) == 0) {
        /* the child's verdict */
    } else {
        memset(out, 0, sizeof *out);
        out->status = CONF_FAIL;
        char msg[256];
        if (s->killed)
            snprintf(msg, sizeof msg, "timed out after %.0f s (the run never finished)",
                     timeout_s);
        else if (WIFSIGNALED(st))
            snprintf(msg, sizeof msg, "the requirement's process died with signal %d (%s)",
                     WTERMSIG(st), strsignal(WTERMSIG(st)));
        else
            snprintf(msg, sizeof msg,
                     "the requirement's process exited with status %d without a verdict",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        out->reason = strdup(msg);
        if (row->req->optional)
            out->status = CONF_OPTIONAL_FAIL;
    }
    out->ms = now_ms() - s->start;
    free(s->buf);
    s->buf = NULL;
}

static void run_all(conf_row *rows, size_t n, const options *o)
{
    if (!o->fork) {
        for (size_t i = 0; i < n; i++) {
            double t0 = now_ms();
            conf_run_requirement(&rows[i].out, rows[i].req, &o->run);
            rows[i].out.ms = now_ms() - t0;
            if (!o->json)
                conf_report_line(stdout, &rows[i]);
        }
        return;
    }
    slot *slots = calloc((size_t)o->jobs, sizeof *slots);
    bool *done = calloc(n ? n : 1, sizeof *done);
    if (!slots || !done) {
        fprintf(stderr, "conformance: out of memory\n");
        exit(2);
    }
    size_t next = 0, printed = 0, active = 0;
    while (printed < n) {
        while (active < (size_t)o->jobs && next < n) {
            slot *s = NULL;
            for (int j = 0; j < o->jobs; j++)
                if (!slots[j].pid)
                    s = &slots[j];
            if (start_slot(s, next, rows[next].req, o) < 0) {
                rows[next].out.status = CONF_FAIL;
                rows[next].out.reason = strdup("could not fork a process for the requirement");
                done[next] = true;
            } else {
                active++;
            }
            next++;
        }
        if (active) {
            struct pollfd pfd[64];
            int map[64], np = 0;
            for (int j = 0; j < o->jobs && np < 64; j++)
                if (slots[j].pid) {
                    pfd[np].fd = slots[j].fd;
                    pfd[np].events = POLLIN;
                    map[np++] = j;
                }
            int pr = poll(pfd, (nfds_t)np, 50);
            for (int k = 0; pr > 0 && k < np; k++)
                if (pfd[k].revents)
                    slot_read(&slots[map[k]]);
            double t = now_ms();
            for (int j = 0; j < o->jobs; j++) {
                slot *s = &slots[j];
                if (!s->pid)
                    continue;
                if (!s->eof && t - s->start > o->timeout_s * 1000 && !s->killed) {
                    kill(s->pid, SIGKILL);
                    s->killed = true;
                }
                if (s->eof || s->killed) {
                    if (s->killed && !s->eof) {
                        /* drain what the killed process wrote, then reap it */
                        int fl = fcntl(s->fd, F_GETFL);
                        fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
                        slot_read(s);
                    }
                    slot_finish(s, &rows[s->row], o->timeout_s);
                    done[s->row] = true;
                    s->pid = 0;
                    active--;
                }
            }
        }
        while (printed < n && done[printed]) {
            if (!o->json)
                conf_report_line(stdout, &rows[printed]);
            fflush(stdout);
            printed++;
        }
    }
    free(slots);
    free(done);
}

/* ---- expected passes ---------------------------------------------------------- */

static int check_expected(const char *path, const conf_row *rows, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "conformance: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    int bad = 0, listed = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        char *e = p + strcspn(p, "#\r\n");
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *e = 0;
        if (!*p)
            continue;
        listed++;
        const conf_row *row = NULL;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(rows[i].req->id, p))
                row = &rows[i];
        if (!row) {
            fprintf(stderr, "conformance: expected to pass but not run: %s\n", p);
            bad++;
        } else if (row->out.status != CONF_PASS) {
            fprintf(stderr, "conformance: expected to pass but %s: %s\n",
                    conf_status_name(row->out.status), p);
            bad++;
        }
    }
    fclose(f);
    fprintf(stderr, "conformance: %d of %d expected passes held\n", listed - bad, listed);
    return bad ? 1 : 0;
}

/* The runner never installs a durable_allocator, so text built with the
 * library's string buffer (pyjson, matcher) and the runner's own malloc'd
 * text are released alike with free(). */
int main(int argc, char **argv)
{
    options o;
    if (parse_args(&o, argc, argv) < 0) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    conf_requirement_list list = {0};
    char err[1024];
    for (int d = 0; d < o.dir_count; d++) {
        if (conf_load_dir(&list, o.dirs[d], err, sizeof err) < 0) {
            fprintf(stderr, "conformance: %s\n", err);
            conf_requirement_list_free(&list);
            return 2;
        }
    }
    for (int i = 0; i < o.only_count; i++)
        if (!conf_requirement_list_find(&list, o.only[i]))
            fprintf(stderr, "conformance: --only %s: no such requirement\n", o.only[i]);

    conf_row *rows = calloc(list.count ? list.count : 1, sizeof *rows);
    size_t n = 0;
    for (size_t i = 0; i < list.count; i++)
        if (selected(&o, list.items[i]->id))
            rows[n++].req = list.items[i];

    if (o.list) {
        for (size_t i = 0; i < n; i++)
            printf("%-6s %-19s %-12s %s\n", rows[i].req->id, rows[i].req->suite,
                   conf_find_handler(rows[i].req->id) ? "handler" : "no-handler",
                   rows[i].req->description);
        free(rows);
        conf_requirement_list_free(&list);
        return 0;
    }

    double t0 = now_ms();
    if (!o.json) {
        printf("conformance: %zu requirement(s) from", n);
        for (int d = 0; d < o.dir_count; d++)
            printf(" %s", o.dirs[d]);
        printf(" (seed %llu, %zu built-in handlers, %d job(s))\n", (unsigned long long)o.seed,
               conf_builtin_handler_count(), o.fork ? o.jobs : 1);
    }
    run_all(rows, n, &o);

    cJSON *doc = (o.json || o.json_out) ? conf_report_json(rows, n, o.seed) : NULL;
    if (o.json_out && doc) {
        char *text = cJSON_Print(doc);
        FILE *f = fopen(o.json_out, "w");
        if (!f || !text || fputs(text, f) < 0)
            fprintf(stderr, "conformance: cannot write %s\n", o.json_out);
        if (f)
            fclose(f);
        cJSON_free(text);
    }
    int rc = o.expect ? check_expected(o.expect, rows, n) : 0;
    if (o.json) {
        char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
        printf("%s\n", text ? text : "{}");
        cJSON_free(text);
        fprintf(stderr, "conformance: %.1f s\n", (now_ms() - t0) / 1000);
        conf_report_summary_line(stderr, rows, n);
    } else {
        printf("conformance: %.1f s\n", (now_ms() - t0) / 1000);
        conf_report_totals(stdout, rows, n);
    }
    cJSON_Delete(doc);
    for (size_t i = 0; i < n; i++)
        conf_outcome_clear(&rows[i].out);
    free(rows);
    conf_requirement_list_free(&list);
    return rc < 0 ? 2 : rc;
}
