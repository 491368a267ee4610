/*
 * bench_layout — would another layout of the executions table keep a
 * lookup of one random execution from growing with the file?
 *
 * bench_scale's worst figure is GetDurableExecution: on a file of 10^6
 * executions a fresh connection reads about 4 pages per call from the OS
 * (the (function, qualifier, name) index's leaf and parent, the row's leaf
 * and parent), against under one on 10^3, and each read costs more than the
 * rest of the call. This program puts the obvious alternatives side by side
 * on the same rows, without the engine, so the choice of layout rests on a
 * measurement:
 *   rowid-2k      the store's layout: a rowid table (id INTEGER PRIMARY KEY)
 *                 with UNIQUE (function_name, qualifier, execution_name) and
 *                 UNIQUE (arn), 2048-byte pages
 *   clustered-2k  the row stored in its key's b-tree: WITHOUT ROWID, PRIMARY
 *                 KEY (function_name, qualifier, execution_name), id and arn
 *                 UNIQUE beside it (the other tables hang on id), 2048-byte
 *                 pages
 *   rowid-4k, rowid-8k  the store's layout with larger pages
 * Each file holds only an executions table with the store's columns (read
 * from a file durable_store_open made) and rows shaped as bench_scale's:
 * the ARN, 8 functions, mixed statuses, short input and result payloads.
 * The files are made with plain SQL, once, and kept beside the program
 * (<build>/bench/layout/).
 *
 * Measured as bench_scale measures get: the file is read once so that the
 * OS page cache holds it, a fresh connection runs 101 lookups of random
 * executions by key (BEGIN, SELECT every column, COMMIT), the median is
 * taken, best of 3 rounds; the pages each lookup read from the file
 * (SQLite's page-cache misses) are counted too. Last line:
 *   bench_layout: rowid2k_growth=<x> clustered2k_growth=<y> rowid4k_growth=<z> rowid8k_growth=<w>
 * where growth is the median on the large file over the median on 10^3.
 * Usage: bench_layout [executions]   (default 100000; 1000000 as bench_scale's largest)
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable/store.h"
#include "store/internal.h"
#include "bench_util.h"

enum { ROUNDS = 3, SAMPLES = 101, LAYOUTS = 4, FUNCTIONS = 8 };

typedef struct layout {
    const char *name;
    int page_size;
    bool clustered;
} layout;

static const layout LAYOUT[LAYOUTS] = {
    {"rowid-2k", 2048, false},
    {"clustered-2k", 2048, true},
    {"rowid-4k", 4096, false},
    {"rowid-8k", 8192, false},
};

static void die_sql(sqlite3 *db, const char *what)
{
    fprintf(stderr, "bench_layout: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die_sql(db, sql);
}

/* The column definitions of the store's executions table, without its
 * constraints ("id INTEGER, arn TEXT, ..."), read from a file the store
 * made, so the rows are as wide as the engine's. malloc'd. */
static char *store_columns(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/template.db", dir);
    bench_remove_db(path);
    durable_store *st = NULL;
    if (durable_store_open(&st, path, NULL) != 0)
        bench_die("bench_layout", "store open");
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(durable__store_db(st),
                           "SELECT group_concat(name || ' ' || type, ', ') FROM "
                           "pragma_table_info('executions')",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        die_sql(durable__store_db(st), "executions columns");
    char *cols = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    durable_store_close(st);
    bench_remove_db(path);
    if (!cols)
        die_sql(NULL, "columns");
    return cols;
}

/* Build path with n executions in layout l (to path.tmp, renamed when
 * complete). The rows: ids 1..n in start order, function fn-(id % 8), name
 * e-<id>, the ARN the engine would make, 70 % SUCCEEDED with a result, the
 * rest FAILED / RUNNING / STOPPED. */
static void build(const char *path, long n, const layout *l, const char *cols)
{
    char tmp[4300], sql[8192];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    bench_remove_db(tmp);
    sqlite3 *db = NULL;
    if (sqlite3_open(tmp, &db) != SQLITE_OK)
        die_sql(db, "open");
    snprintf(sql, sizeof sql,
             "PRAGMA page_size = %d; PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;",
             l->page_size);
    exec_sql(db, sql);
    if (l->clustered)
        snprintf(sql, sizeof sql,
                 "CREATE TABLE executions (%s, PRIMARY KEY (function_name, qualifier, "
                 "execution_name)) WITHOUT ROWID;"
                 "CREATE UNIQUE INDEX executions_id ON executions(id);"
                 "CREATE UNIQUE INDEX executions_arn ON executions(arn);",
                 cols);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TABLE executions (%s);"
                 "CREATE UNIQUE INDEX executions_key ON executions(function_name, qualifier, "
                 "execution_name);"
                 "CREATE UNIQUE INDEX executions_arn ON executions(arn);",
                 cols);
    /* The rowid layout's id is its rowid: INTEGER PRIMARY KEY. */
    if (!l->clustered) {
        char *p = strstr(sql, "id INTEGER");
        if (!p)
            die_sql(NULL, "no id column");
        char fixed[8192];
        snprintf(fixed, sizeof fixed, "%.*sid INTEGER PRIMARY KEY%s", (int)(p - sql), sql,
                 p + strlen("id INTEGER"));
        snprintf(sql, sizeof sql, "%s", fixed);
    }
    exec_sql(db, sql);
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %ld) "
             "INSERT INTO executions (id, arn, op_id, function_name, qualifier, execution_name, "
             "status, input_payload, result, start_ms, end_ms, timeout_seconds) "
             "SELECT i, printf('arn:aws:lambda:us-east-1:123456789012:function:fn-%%d:$LATEST/"
             "durable-execution/e-%%08d/%%s', i %% %d, i, u), u, printf('fn-%%d', i %% %d), "
             "'$LATEST', printf('e-%%08d', i), "
             "CASE WHEN i %% 20 < 14 THEN 'SUCCEEDED' WHEN i %% 20 < 17 THEN 'FAILED' "
             "WHEN i %% 20 < 19 THEN 'RUNNING' ELSE 'STOPPED' END, "
             "printf('{\"order\":%%d}', i), CASE WHEN i %% 20 < 14 THEN '{\"ok\":true}' END, "
             "1767225600000 + i, CASE WHEN i %% 20 != 17 THEN 1767225600500 + i END, 86400 "
             "FROM (SELECT i, lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || "
             "hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))) AS u "
             "FROM k)",
             n, FUNCTIONS, FUNCTIONS);
    exec_sql(db, sql);
    exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (sqlite3_close(db) != SQLITE_OK)
        die_sql(db, "close");
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "bench_layout: rename %s: %s\n", tmp, strerror(errno));
        exit(1);
    }
}

/* One round on path: median us of SAMPLES lookups by key on a fresh
 * connection; *misses gets the pages read per lookup. */
static double round_of(const char *path, long n, unsigned *seed, double *misses)
{
    bench_read_through("bench_layout", path);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die_sql(db, "open");
    sqlite3_stmt *begin = NULL, *get = NULL, *commit = NULL;
    if (sqlite3_prepare_v2(db, "BEGIN", -1, &begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT * FROM executions WHERE function_name = ?1 AND "
                           "qualifier = '$LATEST' AND execution_name = ?2",
                           -1, &get, NULL) != SQLITE_OK)
        die_sql(db, "prepare");
    double t[SAMPLES];
    int cur = 0, hi = 0;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1);
    for (int i = 0; i < SAMPLES; i++) {
        long id = 1 + (long)(rand_r(seed) % (unsigned)n);
        char fn[32], name[32];
        snprintf(fn, sizeof fn, "fn-%ld", id % FUNCTIONS);
        snprintf(name, sizeof name, "e-%08ld", id);
        double t0 = bench_now_us();
        sqlite3_bind_text(get, 1, fn, -1, SQLITE_STATIC);
        sqlite3_bind_text(get, 2, name, -1, SQLITE_STATIC);
        if (sqlite3_step(begin) != SQLITE_DONE || sqlite3_step(get) != SQLITE_ROW)
            die_sql(db, "lookup");
        size_t bytes = 0; /* every column read, as the engine decodes the row */
        for (int c = 0; c < sqlite3_column_count(get); c++)
            bytes += (size_t)sqlite3_column_bytes(get, c);
        if (bytes == 0 || sqlite3_reset(get) != SQLITE_OK || sqlite3_step(commit) != SQLITE_DONE)
            die_sql(db, "lookup");
        sqlite3_reset(begin);
        sqlite3_reset(commit);
        t[i] = bench_now_us() - t0;
    }
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1);
    *misses = cur / (double)SAMPLES;
    sqlite3_finalize(begin);
    sqlite3_finalize(get);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return bench_median(t, SAMPLES);
}

int main(int argc, char **argv)
{
    long big = argc > 1 ? atol(argv[1]) : 100000;
    if (big < 10000) {
        fprintf(stderr, "usage: bench_layout [executions >= 10000]\n");
        return 2;
    }
    char dir[4096];
    bench_cache_dir(dir, sizeof dir, "bench_layout", argv[0], "layout");
    const long sizes[2] = {1000, big};
    char paths[LAYOUTS][2][4400];
    char *cols = NULL;
    for (int l = 0; l < LAYOUTS; l++)
        for (int s = 0; s < 2; s++) {
            snprintf(paths[l][s], sizeof paths[l][s], "%s/%s-%ld.db", dir, LAYOUT[l].name,
                     sizes[s]);
            struct stat sb;
            if (stat(paths[l][s], &sb) == 0)
                continue;
            if (!cols)
                cols = store_columns(dir);
            fprintf(stderr, "bench_layout: building %s (once)...\n", paths[l][s]);
            build(paths[l][s], sizes[s], &LAYOUT[l], cols);
        }
    free(cols);

    double best[LAYOUTS][2], miss[LAYOUTS][2];
    for (int l = 0; l < LAYOUTS; l++)
        best[l][0] = best[l][1] = 1e30;
    unsigned seed = 1;
    for (int r = 0; r < ROUNDS; r++)
        for (int l = 0; l < LAYOUTS; l++)
            for (int s = 0; s < 2; s++) {
                double us = round_of(paths[l][s], sizes[s], &seed, &miss[l][s]);
                if (us < best[l][s])
                    best[l][s] = us;
            }

    printf("bench_layout: lookup of a random execution by key on a fresh connection, median "
           "us (best of %d rounds) and pages read from the file per lookup, SQLite %s\n",
           ROUNDS, sqlite3_libversion());
    printf("%-14s %10s %8s %10s %8s %8s %12s\n", "layout", "us 1000", "pages", "us big",
           "pages", "growth", "MB big");
    double growth[LAYOUTS];
    for (int l = 0; l < LAYOUTS; l++) {
        struct stat sb;
        double mb = stat(paths[l][1], &sb) == 0 ? (double)sb.st_size / 1048576.0 : 0;
        growth[l] = best[l][1] / best[l][0];
        printf("%-14s %10.2f %8.2f %10.2f %8.2f %8.2f %12.1f\n", LAYOUT[l].name, best[l][0],
               miss[l][0], best[l][1], miss[l][1], growth[l], mb);
    }
    printf("(big = %ld executions)\n", big);
    printf("bench_layout: rowid2k_growth=%.2f clustered2k_growth=%.2f rowid4k_growth=%.2f "
           "rowid8k_growth=%.2f\n",
           growth[0], growth[1], growth[2], growth[3]);
    return 0;
}
