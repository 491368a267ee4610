/*
 * Helpers shared by the benchmark programs of tools/bench/ (not API). Each
 * program is one source file built on its own, so these are static inline.
 */
#ifndef DURABLE_TOOLS_BENCH_UTIL_H
#define DURABLE_TOOLS_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
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

#endif
