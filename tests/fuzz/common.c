/* Helpers shared by the fuzz targets (see fuzz.h). */
#include "fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "durable/clock.h"
#include "store/internal.h"

#define FUZZ_T0 1767225600000LL /* 2026-01-01T00:00:00Z */

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz: property failed at %s:%d: %s\n", file, line, what);
    const durable_error *err = durable_error_last();
    if (err->code)
        fprintf(stderr, "fuzz: last error %d: %s\n", err->code, err->message);
    abort();
}

char *fuzz_print(const cJSON *json)
{
    if (!json)
        return NULL;
    char *text = durable_json_print(json);
    FUZZ_CHECK(text != NULL);
    char *copy = strdup(text);
    durable_free(text);
    return copy;
}

/* Appends v to the growing buffer. */
static void put(char **buf, size_t *len, size_t *cap, const char *v, size_t vl)
{
    while (*len + vl + 2 > *cap) {
        *cap *= 2;
        *buf = realloc(*buf, *cap);
        FUZZ_CHECK(*buf != NULL);
    }
    memcpy(*buf + *len, v, vl);
    *len += vl;
    (*buf)[*len] = '\0';
}

/* One "SELECT * FROM <table>" per table of the connection dumped last,
 * prepared once: preparing them dominated the cost of a dump. */
static struct {
    sqlite3 *db;
    size_t count;
    sqlite3_stmt *rows[64];
} dump_cache;

static void dump_forget(void)
{
    for (size_t i = 0; i < dump_cache.count; i++)
        sqlite3_finalize(dump_cache.rows[i]);
    memset(&dump_cache, 0, sizeof dump_cache);
}

static void dump_prepare(sqlite3 *db)
{
    dump_forget();
    sqlite3_stmt *tables = NULL;
    FUZZ_CHECK(sqlite3_prepare_v2(db,
                                  "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                  "name NOT LIKE 'sqlite_%' ORDER BY name",
                                  -1, &tables, NULL) == SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1, 2",
                 (const char *)sqlite3_column_text(tables, 0));
        FUZZ_CHECK(dump_cache.count < sizeof dump_cache.rows / sizeof *dump_cache.rows);
        FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &dump_cache.rows[dump_cache.count++], NULL) ==
                   SQLITE_OK);
    }
    sqlite3_finalize(tables);
    dump_cache.db = db;
}

static char *dump_db(sqlite3 *db)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    FUZZ_CHECK(buf != NULL);
    buf[0] = '\0';
    if (dump_cache.db != db)
        dump_prepare(db);
    for (size_t t = 0; t < dump_cache.count; t++) {
        sqlite3_stmt *rows = dump_cache.rows[t];
        const char *sql = sqlite3_sql(rows);
        put(&buf, &len, &cap, sql, strlen(sql));
        put(&buf, &len, &cap, "\n", 1);
        while (sqlite3_step(rows) == SQLITE_ROW) {
            int n = sqlite3_column_count(rows);
            for (int i = 0; i < n; i++) {
                /* Blobs and text by their bytes: a NUL inside must not hide a change. */
                const void *v = sqlite3_column_blob(rows, i);
                size_t vl = (size_t)sqlite3_column_bytes(rows, i);
                if (sqlite3_column_type(rows, i) == SQLITE_NULL)
                    put(&buf, &len, &cap, "<null>", 6);
                else
                    put(&buf, &len, &cap, v ? v : "", vl);
                put(&buf, &len, &cap, i + 1 == n ? "\n" : "|", 1);
            }
        }
        sqlite3_reset(rows);
    }
    return buf;
}

char *fuzz_dump(durable_store *store)
{
    return dump_db(durable__store_db(store));
}

void fuzz_image_take(fuzz_image *out, durable_store *store)
{
    sqlite3_int64 size = 0;
    out->bytes = sqlite3_serialize(durable__store_db(store), "main", &size, 0);
    FUZZ_CHECK(out->bytes != NULL);
    out->size = size;
}

void fuzz_image_free(fuzz_image *img)
{
    sqlite3_free(img->bytes);
    img->bytes = NULL;
}

bool fuzz_image_same(const fuzz_image *before, durable_store *store)
{
    fuzz_image now;
    fuzz_image_take(&now, store);
    bool same = now.size == before->size && memcmp(now.bytes, before->bytes, (size_t)now.size) == 0;
    fuzz_image_free(&now);
    if (same)
        return true;
    /* Different pages may still hold the same rows: compare those. */
    sqlite3 *old = NULL;
    FUZZ_CHECK(sqlite3_open(":memory:", &old) == SQLITE_OK);
    unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)before->size);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, before->bytes, (size_t)before->size);
    FUZZ_CHECK(sqlite3_deserialize(old, "main", copy, before->size, before->size,
                                   SQLITE_DESERIALIZE_FREEONCLOSE |
                                       SQLITE_DESERIALIZE_RESIZEABLE) == SQLITE_OK);
    char *was = dump_db(old);
    dump_forget();
    sqlite3_close(old);
    char *is = fuzz_dump(store);
    same = strcmp(was, is) == 0;
    free(was);
    free(is);
    return same;
}

int64_t fuzz_changes(durable_store *store)
{
    return (int64_t)sqlite3_total_changes64(durable__store_db(store));
}

int fuzz_env_open(fuzz_env *f)
{
    memset(f, 0, sizeof *f);
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    if (durable_vclock_new(&f->vc, DURABLE_VCLOCK_FIXED, FUZZ_T0) != 0 ||
        durable_store_open(&f->store, ":memory:", NULL) != 0)
        return -1;
    o.clock = durable_vclock_clock(f->vc);
    return durable_engine_open(&f->eng, f->store, &o);
}

void fuzz_env_close(fuzz_env *f)
{
    if (f->store && dump_cache.db == durable__store_db(f->store))
        dump_forget();
    durable_engine_close(f->eng);
    durable_store_close(f->store);
    durable_vclock_free(f->vc);
    memset(f, 0, sizeof *f);
}

uint8_t fuzz_byte(fuzz_reader *r)
{
    return r->at < r->size ? r->data[r->at++] : 0;
}

int fuzz_more(const fuzz_reader *r)
{
    return r->at < r->size;
}
