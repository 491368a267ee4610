/*
 * Helpers shared by the benchmark programs of tools/bench/ (not API). Each
 * program is one source file built on its own, so these are static inline.
 */
#ifndef DURABLE_TOOLS_BENCH_UTIL_H
#define DURABLE_TOOLS_BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable/common.h"
#include "durable/model.h"

/* Monotonic time in microseconds. */
static inline double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Exit with the library's last error: "<prog>: <what>: <message> (<code>)". */
static inline void bench_die(const char *prog, const char *what)
{
    const durable_error *e = durable_error_last();
    fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, e->message, durable_code_name(e->code));
    exit(1);
}

/* Remove a database file and its -wal / -shm companions. */
static inline void bench_remove_db(const char *path)
{
    char buf[4200];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
}

/* A STEP update named "work" for operation id (borrowed, as payload). */
static inline void bench_step_update(durable_operation_update *u, const char *id,
                                     durable_op_action action, char *payload)
{
    durable_operation_update_init(u);
    u->id = (char *)id;
    u->name = "work";
    u->type = DURABLE_OP_STEP;
    u->action = action;
    u->payload = payload;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorts v). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return v[n / 2];
}

/* Read path from start to end (untimed), so that the OS page cache holds
 * it: a measurement then times the program, not the disk. */
static inline void bench_read_through(const char *prog, const char *path)
{
    enum { CHUNK = 1 << 20 };
    FILE *f = fopen(path, "rb");
    char *buf = malloc(CHUNK);
    if (!f || !buf) {
        fprintf(stderr, "%s: reading %s into the OS cache failed\n", prog, path);
        exit(1);
    }
    while (fread(buf, 1, CHUNK, f) == CHUNK)
        ;
    free(buf);
    fclose(f);
}

/* dir = the folder of the program argv0 names, then "/" name, created if
 * missing (exits on failure): cached files live beside the binary
 * (<build>/bench/<name>/). */
static inline void bench_cache_dir(char *dir, size_t n, const char *prog, const char *argv0,
                                   const char *name)
{
    snprintf(dir, n, "%s", argv0);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, n, ".");
    size_t used = strlen(dir);
    snprintf(dir + used, n - used, "/%s", name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: mkdir %s: %s\n", prog, dir, strerror(errno));
        exit(1);
    }
}

#endif
