/*
 * Runs the `durable` CLI ($DURABLE_BUILD/durable, default build/durable) as
 * a program for the CLI suites (not API).
 */
#ifndef DURABLE_TESTS_CLI_RUN_H
#define DURABLE_TESTS_CLI_RUN_H

#include <stdarg.h>

/* Runs `durable ARGS` (fmt expands to shell words) and returns its exit code
 * (-1 if it did not exit). *out and *err (when not NULL) receive stdout and
 * stderr as NUL-terminated heap text the caller frees. */
int dt_cli_run(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, from a va_list. */
int dt_cli_vrun(char **out, char **err, const char *fmt, va_list ap);

#endif
