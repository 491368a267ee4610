/* The server under load, seen from outside: `durable serve` as a child
 * process, measured through /proc (RSS, fds, threads) so nothing in it is
 * instrumented, and every process of the run found by a token in its
 * environment (the function processes inherit it, whatever process group
 * they are put in). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

extern char **environ;

int64_t load_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void load_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Our environment plus LOAD_RUN=<token>; NULL-terminated, malloc'd. */
static char **env_with_token(const char *token)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LOAD_RUN=", 9) != 0)
            env[k++] = environ[i];
    static char entry[64];
    snprintf(entry, sizeof entry, "LOAD_RUN=%s", token);
    env[k] = entry;
    return env;
}

/* Read one line from fd, waiting at most until deadline_ms. */
static int read_line(int fd, char *buf, size_t size, int64_t deadline_ms)
{
    size_t len = 0;
    while (len + 1 < size) {
        if (load_now_ms() > deadline_ms)
            return -1;
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r == 0)
            return -1;
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                load_sleep_ms(20);
                continue;
            }
            return -1;
        }
        if (ch == '\n')
            break;
        buf[len++] = ch;
    }
    buf[len] = '\0';
    return 0;
}

int load_server_start(load_server *s, const char *durable, const char *db, const char *fns,
                      const char *dir, int idle_timeout_ms, int concurrency)
{
    memset(s, 0, sizeof *s);
    s->out_fd = -1;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    snprintf(s->token, sizeof s->token, "load-%d-%08x", (int)getpid(), rand_r(&seed));
    snprintf(s->log_path, sizeof s->log_path, "%s/serve.log", dir);
    int outp[2];
    if (pipe(outp) != 0) {
        perror("load: pipe");
        return -1;
    }
    char idle[32], conc[32];
    snprintf(idle, sizeof idle, "%d", idle_timeout_ms);
    snprintf(conc, sizeof conc, "%d", concurrency);
    char *argv[] = {(char *)durable, "serve", (char *)db, "--listen", "127.0.0.1:0",
                    "--functions", (char *)fns, "--idle-timeout", idle, "--concurrency", conc,
                    "--quiet", NULL};
    char **env = env_with_token(s->token);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addclose(&fa, outp[0]);
    posix_spawn_file_actions_addclose(&fa, outp[1]);
    int e = env ? posix_spawn(&s->pid, durable, &fa, NULL, argv, env) : ENOMEM;
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(outp[1]);
    if (e != 0) {
        fprintf(stderr, "load: cannot start %s: %s\n", durable, strerror(e));
        close(outp[0]);
        return -1;
    }
    s->out_fd = outp[0];
    fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
    char line[512];
    if (read_line(s->out_fd, line, sizeof line, load_now_ms() + 30000) != 0 ||
        strncmp(line, "durable serve: ", 15) != 0) {
        fprintf(stderr, "load: durable serve did not start (its log: %s)\n", s->log_path);
        load_server_kill(s);
        return -1;
    }
    /* Loopback only: refuse anything but the address we asked for. */
    const char *u = line + 15;
    size_t ul = strcspn(u, " ");
    if (strncmp(u, "http://127.0.0.1:", 17) != 0 || ul >= sizeof s->url) {
        fprintf(stderr, "load: the server is not on loopback: %s\n", line);
        load_server_kill(s);
        return -1;
    }
    memcpy(s->url, u, ul);
    s->url[ul] = '\0';
    return 0;
}

static int count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* True when the process's environment holds LOAD_RUN=<token>. */
static bool has_token(pid_t pid, const char *token)
{
    char path[64], want[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    snprintf(want, sizeof want, "LOAD_RUN=%s", token);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    static char buf[1 << 17]; /* only the main thread looks */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    size_t wl = strlen(want);
    for (size_t i = 0; i < n;) {
        const char *entry = buf + i;
        size_t el = strnlen(entry, n - i);
        if (el == wl && memcmp(entry, want, wl) == 0)
            return true;
        i += el + 1;
    }
    return false;
}

/* Fields of /proc/PID/stat: the parent pid (4); CPU ms in user and system
 * mode of the process (14, 15) and of its reaped children (16, 17). */
typedef struct proc_stat {
    pid_t ppid;
    long user_ms, sys_ms, child_user_ms, child_sys_ms;
} proc_stat;

static int read_stat(proc_stat *out, pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')'); /* the command may hold spaces */
    char state;
    int ppid;
    unsigned long ut, st;
    long cut, cst;
    if (!rp || sscanf(rp + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", &state,
                      &ppid, &ut, &st, &cut, &cst) != 6)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    out->ppid = (pid_t)ppid;
    out->user_ms = (long)(ut * 1000 / (unsigned long)hz);
    out->sys_ms = (long)(st * 1000 / (unsigned long)hz);
    out->child_user_ms = cut * 1000 / hz;
    out->child_sys_ms = cst * 1000 / hz;
    return 0;
}

static pid_t parent_of(pid_t pid)
{
    proc_stat ps;
    return read_stat(&ps, pid) == 0 ? ps.ppid : -1;
}

/* Processes of the run besides `except`: those with the token, and every
 * child of `parent` (a zombie has no environment left to show). */
static int scan_run(const char *token, pid_t except, pid_t parent, pid_t *first)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == getpid() || pid == except)
            continue;
        if (has_token((pid_t)pid, token) || (parent > 0 && parent_of((pid_t)pid) == parent)) {
            if (n == 0 && first)
                *first = (pid_t)pid;
            n++;
        }
    }
    closedir(d);
    return n;
}

int load_run_processes(const char *token, pid_t *first)
{
    return scan_run(token, 0, 0, first);
}

int load_server_sample(load_sample *out, const load_server *s)
{
    memset(out, 0, sizeof *out);
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            out->rss_kb = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            out->rss_anon_kb = strtol(line + 8, NULL, 10);
        else if (strncmp(line, "Threads:", 8) == 0)
            out->threads = (int)strtol(line + 8, NULL, 10);
    }
    fclose(f);
    proc_stat ps;
    if (read_stat(&ps, s->pid) == 0) {
        out->cpu_ms = ps.user_ms + ps.sys_ms;
        out->child_cpu_ms = ps.child_user_ms + ps.child_sys_ms;
    }
    out->fds = count_fds(s->pid);
    out->processes = scan_run(s->token, s->pid, s->pid, NULL);
    return out->fds < 0 ? -1 : 0;
}

/* Kill what is left of the run, process by process (the functions are in
 * process groups of their own). */
static void kill_run(const char *token)
{
    for (int round = 0; round < 50; round++) {
        pid_t p = 0;
        if (load_run_processes(token, &p) <= 0)
            return;
        kill(p, SIGKILL);
        load_sleep_ms(20);
    }
}

void load_server_kill(load_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    kill_run(s->token);
    if (s->out_fd >= 0)
        close(s->out_fd);
    s->out_fd = -1;
}

int load_server_stop(load_server *s, int wait_s, int *status)
{
    kill(s->pid, SIGTERM);
    int64_t deadline = load_now_ms() + (int64_t)wait_s * 1000;
    for (;;) {
        pid_t r = waitpid(s->pid, status, WNOHANG);
        if (r == s->pid)
            break;
        if (load_now_ms() > deadline) {
            fprintf(stderr, "load: the server did not exit within %d s of SIGTERM\n", wait_s);
            load_server_kill(s);
            return -1;
        }
        load_sleep_ms(50);
    }
    s->pid = 0;
    close(s->out_fd);
    s->out_fd = -1;
    return 0;
}
