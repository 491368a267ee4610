/* durable — opening the database and mapping library errors to exit codes. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* The busy timeout: DURABLE_BUSY_TIMEOUT_MS, else 5000 ms. A runner holds
 * the write lock only for one short transaction at a time, so 5 s means a
 * stuck writer; the variable lets scripts fail fast (0 = no waiting). */
static int busy_timeout(int *out)
{
    *out = CLI_DEFAULT_BUSY_TIMEOUT_MS;
    const char *v = getenv("DURABLE_BUSY_TIMEOUT_MS");
    if (!v)
        return CLI_OK;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (!*v || *end || errno || ms < 0 || ms > 3600000)
        return cli_usage(NULL, "DURABLE_BUSY_TIMEOUT_MS='%s' is not a number of milliseconds "
                               "(0..3600000)", v);
    *out = (int)ms;
    return CLI_OK;
}

int cli_db_open(cli_db *db, const char *path, bool read_only)
{
    memset(db, 0, sizeof *db);
    db->path = path;
    int rc = busy_timeout(&db->busy_timeout_ms);
    if (rc != CLI_OK)
        return rc;
    struct stat sb;
    /* Checked here too so the message names the cause even before SQLite. */
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "durable: %s: cannot open database: %s\n", path, strerror(errno));
        return CLI_DBERR;
    }
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.read_only = read_only;
    so.create = false;
    so.busy_timeout_ms = db->busy_timeout_ms;
    rc = durable_store_open(&db->store, path, &so);
    if (rc < 0) {
        const char *why = rc == DURABLE_ENOTFOUND ? "no such file"
                          : rc == DURABLE_ESCHEMA ? "not a usable libdurable file"
                          : rc == DURABLE_EBUSY   ? "database is locked (still locked after the busy timeout)"
                                                  : "database error";
        fprintf(stderr, "durable: %s: %s: %s\n", path, why, durable_error_last()->message);
        return CLI_DBERR;
    }
    rc = durable_engine_open(&db->engine, db->store, NULL);
    if (rc < 0) {
        fprintf(stderr, "durable: %s: %s\n", path, durable_error_last()->message);
        durable_store_close(db->store);
        db->store = NULL;
        return CLI_DBERR;
    }
    return CLI_OK;
}

void cli_db_close(cli_db *db)
{
    durable_engine_close(db->engine);
    durable_store_close(db->store);
    db->engine = NULL;
    db->store = NULL;
}

int cli_engine_fail(cli_db *db, int rc, const char *what)
{
    const char *msg = db->engine ? durable_engine_errmsg(db->engine) : "";
    if (!msg || !*msg)
        msg = durable_error_last()->message;
    if (rc == DURABLE_EBUSY) {
        /* Not a rejection: another connection holds the write lock. */
        fprintf(stderr,
                "durable: %s: database is locked: %s: still locked after the %d ms busy timeout "
                "(DURABLE_BUSY_TIMEOUT_MS sets it): %s\n",
                db->path, what, db->busy_timeout_ms, msg);
        return CLI_DBERR;
    }
    fprintf(stderr, "durable: %s: %s: %s (%s)\n", db->path, what, msg, durable_code_name(rc));
    switch (rc) {
    case DURABLE_ENOTFOUND:
        return CLI_NOTFOUND;
    case DURABLE_EDB:
    case DURABLE_ESCHEMA:
    case DURABLE_EBUSY:
    case DURABLE_ENOMEM:
    case DURABLE_EIO:
        return CLI_DBERR;
    default:
        return CLI_REJECTED;
    }
}
