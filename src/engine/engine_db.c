/* SQLite and JSON helpers for the engine: binding, stepping, columns,
 * error objects as JSON text, UTF-8 validation. */
#include <string.h>

#include "engine/engine_internal.h"
#include "model/json_util.h"

int durable__db_prepare(durable_engine *e, sqlite3_stmt **out, const char *sql)
{
    return durable__store_prepare(out, e->store, sql);
}

void durable__db_reset(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

int durable__db_done(durable_engine *e, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        durable__db_reset(st);
        return 0;
    }
    int code = durable__store_fail(e->store, rc, what);
    durable__db_reset(st);
    return code;
}

int durable__db_row(durable_engine *e, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        durable__db_reset(st);
        return 0;
    }
    int code = durable__store_fail(e->store, rc, what);
    durable__db_reset(st);
    return code;
}

int durable__db_text(sqlite3_stmt *st, int col, const char *text)
{
    int rc = text ? sqlite3_bind_text(st, col, text, -1, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(st, col);
    return rc == SQLITE_OK ? 0 : durable__error_set(DURABLE_EDB, "bind parameter %d failed", col);
}

int durable__db_text_static(sqlite3_stmt *st, int col, const char *text)
{
    int rc = text ? sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC)
                  : sqlite3_bind_null(st, col);
    return rc == SQLITE_OK ? 0 : durable__error_set(DURABLE_EDB, "bind parameter %d failed", col);
}

int durable__db_i64(sqlite3_stmt *st, int col, int64_t v)
{
    return sqlite3_bind_int64(st, col, v) == SQLITE_OK
               ? 0
               : durable__error_set(DURABLE_EDB, "bind parameter %d failed", col);
}

int durable__db_i64_or_null(sqlite3_stmt *st, int col, int64_t v)
{
    int rc = v ? sqlite3_bind_int64(st, col, v) : sqlite3_bind_null(st, col);
    return rc == SQLITE_OK ? 0 : durable__error_set(DURABLE_EDB, "bind parameter %d failed", col);
}

char *durable__col_dup(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    return durable__strndup(t ? (const char *)t : "", (size_t)n);
}

int64_t durable__col_i64(sqlite3_stmt *st, int col)
{
    return sqlite3_column_int64(st, col);
}

bool durable__col_null(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
}

int durable__error_json(char **out, const durable_error_object *err)
{
    *out = NULL;
    return err ? durable__error_object_text(out, err) : 0;
}

int durable__error_parse(durable_error_object **out, const char *text)
{
    *out = NULL;
    if (!text)
        return 0;
    cJSON *j = NULL;
    int rc = durable_json_parse(&j, text, strlen(text));
    if (rc < 0)
        return rc;
    durable_error_object *err = durable__calloc(1, sizeof *err);
    if (!err) {
        cJSON_Delete(j);
        return durable__error_oom();
    }
    rc = durable_error_object_from_json(err, j);
    cJSON_Delete(j);
    if (rc < 0) {
        durable_free(err);
        return rc;
    }
    *out = err;
    return 0;
}

static bool text_ok(const char *s)
{
    return !s || durable__utf8_valid(s, strlen(s));
}

bool durable__error_utf8_valid(const durable_error_object *err)
{
    if (!err)
        return true;
    bool ok = text_ok(err->error_type) && text_ok(err->error_message) && text_ok(err->error_data);
    for (size_t i = 0; ok && i < err->stack_trace_count; i++)
        ok = text_ok(err->stack_trace[i]);
    return ok;
}

int durable__error_make(durable_error_object **out, const char *type, const char *message)
{
    return durable_error_object_new(out, type, message, NULL);
}

bool durable__utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}
