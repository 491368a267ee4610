/* Prepared-statement cache keyed by SQL text: each statement is compiled once
 * per connection, which keeps the engine's per-step cost near SQLite's floor. */
#include <stdint.h>
#include <string.h>

#include "model/internal.h"
#include "store/store_impl.h"

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % STMT_BUCKETS;
}

static unsigned ptr_slot(const char *sql)
{
    uintptr_t p = (uintptr_t)sql;
    return (unsigned)((p >> 3) ^ (p >> 12)) % STMT_PTR_SLOTS;
}

static void hit(sqlite3_stmt **out, stmt_entry *e)
{
    sqlite3_reset(e->stmt);
    sqlite3_clear_bindings(e->stmt);
    *out = e->stmt;
}

int durable__store_prepare(sqlite3_stmt **out, durable_store *s, const char *sql)
{
    unsigned ps = ptr_slot(sql);
    stmt_entry *pe = s->by_ptr[ps];
    if (pe && pe->caller_sql == sql && strcmp(pe->sql, sql) == 0) {
        hit(out, pe);
        return 0;
    }
    unsigned b = hash(sql);
    for (stmt_entry *e = s->buckets[b]; e; e = e->next) {
        if (strcmp(e->sql, sql) == 0) {
            e->caller_sql = sql;
            s->by_ptr[ps] = e;
            hit(out, e);
            return 0;
        }
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return durable__store_fail(s, rc, sql);
    stmt_entry *e = durable__calloc(1, sizeof *e);
    if (!e || !(e->sql = durable__strdup(sql))) {
        durable_free(e);
        sqlite3_finalize(st);
        return durable__error_oom();
    }
    e->stmt = st;
    e->caller_sql = sql;
    e->next = s->buckets[b];
    s->buckets[b] = e;
    s->by_ptr[ps] = e;
    *out = st;
    return 0;
}

void durable__stmt_cache_clear(durable_store *s)
{
    for (int b = 0; b < STMT_BUCKETS; b++) {
        stmt_entry *e = s->buckets[b];
        while (e) {
            stmt_entry *next = e->next;
            sqlite3_finalize(e->stmt);
            durable_free(e->sql);
            durable_free(e);
            e = next;
        }
        s->buckets[b] = NULL;
    }
    memset(s->by_ptr, 0, sizeof s->by_ptr);
}

void durable__stmt_reset_active(durable_store *s)
{
    /* Outside a transaction, a statement left mid-result holds a read
     * transaction open, and only such a statement matters here (any other
     * is reset when it is next handed out): with none open, skip the walk
     * over every cached statement, which each BEGIN otherwise paid. */
    if (sqlite3_get_autocommit(s->db) && sqlite3_txn_state(s->db, NULL) == SQLITE_TXN_NONE)
        return;
    for (sqlite3_stmt *st = sqlite3_next_stmt(s->db, NULL); st; st = sqlite3_next_stmt(s->db, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
}
