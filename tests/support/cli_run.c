/* dt_cli_run: the CLI as a child process, its output captured. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cli_run.h"
#include "support/testutil.h"

/* All of f, as heap text. */
static char *slurp(FILE *f)
{
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    while (buf && f && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                break;
            buf = nb;
        }
    }
    if (buf)
        buf[len] = 0;
    return buf;
}

int dt_cli_vrun(char **out, char **err, const char *fmt, va_list ap)
{
    const char *b = getenv("DURABLE_BUILD");
    char args[4096], cmd[8192];
    vsnprintf(args, sizeof args, fmt, ap);
    char *errpath = dt_temp_path("cli_stderr");
    snprintf(cmd, sizeof cmd, "'%s/durable' %s 2>'%s'", b && *b ? b : "build", args, errpath);
    FILE *p = popen(cmd, "r");
    char *o = slurp(p);
    int st = p ? pclose(p) : -1;
    FILE *e = fopen(errpath, "r");
    char *eb = slurp(e);
    if (e)
        fclose(e);
    unlink(errpath);
    free(errpath);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = eb;
    else
        free(eb);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int dt_cli_run(char **out, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dt_cli_vrun(out, err, fmt, ap);
    va_end(ap);
    return rc;
}
