/* durable — `timeline DB EXEC [-o FILE.svg]`: a picture of one execution. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

/* Width of the time plot in px (the labels take another 300). */
#define TL_PLOT_WIDTH 860.0

/* Writes to path through a temporary file, so a failed write never leaves
 * half a picture where a good one was. */
static int write_file(const timeline *t, const char *path)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (!tmp)
        return CLI_DBERR;
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int bad = !f || tl_write_svg(t, f) != 0;
    if (f && fclose(f) != 0)
        bad = 1;
    if (!bad && rename(tmp, path) != 0)
        bad = 1;
    if (bad) {
        perror(path);
        fprintf(stderr, "durable: cannot write %s\n", path);
        remove(tmp);
    }
    free(tmp);
    return bad ? CLI_DBERR : CLI_OK;
}

int cmd_timeline(int argc, char **argv)
{
    const char *path = NULL, *exec = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("timeline", "unknown or incomplete option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else if (!exec)
            exec = argv[i];
        else
            return cli_usage("timeline", "unexpected argument '%s'", argv[i]);
    }
    if (!exec)
        return cli_usage("timeline", path ? "missing EXEC" : "missing DB and EXEC");
    cli_db db;
    int rc = cli_db_open(&db, path, true);
    if (rc != CLI_OK)
        return rc;
    char *arn = NULL;
    timeline t;
    memset(&t, 0, sizeof t);
    rc = cli_resolve_exec(&arn, &db, exec);
    if (rc == CLI_OK)
        rc = tl_build(&t, &db, arn, TL_PLOT_WIDTH);
    if (rc == CLI_OK && out) {
        rc = write_file(&t, out);
        if (rc == CLI_OK)
            printf("wrote %s: %s, %zu operations, %zu invocations\n", out,
                   t.exec.durable_execution_name, t.nrows, t.ninvs);
    } else if (rc == CLI_OK && tl_write_svg(&t, stdout) != 0)
        rc = CLI_DBERR;
    tl_clear(&t);
    free(arn);
    cli_db_close(&db);
    return rc;
}
