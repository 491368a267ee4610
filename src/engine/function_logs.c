/* Function log lines (schema version 6): what a function process wrote to
 * stdout/stderr while the HTTP front ran it, tagged with the invocation that
 * was running. Appending is one write transaction per batch of lines, so a
 * chatty function costs one commit per read of its pipe, not one per line. */
#include <string.h>

#include "engine/engine_internal.h"

static int exec_rowid(durable_engine *e, int64_t *out, const char *arn)
{
    int rc = durable__exec_rowid(e, out, arn);
    if (rc == 0)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Execution not found.", "%s", arn);
    return rc < 0 ? rc : 0;
}

static int append(durable_engine *e, const char *function_name, const char *arn,
                  const char *invocation_id, const char *stream, int64_t timestamp_ms,
                  const char *const *lines, size_t count)
{
    if (!function_name || !*function_name)
        return durable__eng_fail(e, DURABLE_EINVAL, "A function name is required.", "logs");
    if (!stream || (strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0))
        return durable__eng_fail(e, DURABLE_EINVAL, "Stream must be stdout or stderr.", "logs");
    int64_t rowid = 0;
    int rc = 0;
    if (arn && (rc = exec_rowid(e, &rowid, arn)) < 0)
        return rc;
    for (size_t i = 0; i < count; i++)
        if (!lines[i] || !durable__utf8_valid(lines[i], strlen(lines[i])))
            return durable__eng_fail(e, DURABLE_EINVAL, "A log line must be UTF-8 text.",
                                     "lines[%zu]", i);
    sqlite3_stmt *st;
    if ((rc = durable__db_prepare(e, &st,
                                  "INSERT INTO function_logs (function_name, execution_id, "
                                  "invocation_id, stream, timestamp_ms, line) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")) < 0)
        return rc;
    for (size_t i = 0; i < count && rc == 0; i++) {
        durable__db_text(st, 1, function_name);
        durable__db_i64_or_null(st, 2, rowid);
        durable__db_text(st, 3, arn ? invocation_id : NULL);
        durable__db_text(st, 4, stream);
        durable__db_i64(st, 5, timestamp_ms > 0 ? timestamp_ms : e->now);
        durable__db_text(st, 6, lines[i]);
        rc = durable__db_done(e, st, "append log line");
    }
    return rc;
}

int durable_engine_append_function_logs(durable_engine *e, const char *function_name,
                                        const char *arn, const char *invocation_id,
                                        const char *stream, int64_t timestamp_ms,
                                        const char *const *lines, size_t count)
{
    if (!e || (count && !lines))
        return durable__error_set(DURABLE_EINVAL, "durable_engine_append_function_logs: "
                                                  "engine and lines are required");
    if (count == 0)
        return 0;
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    return durable__eng_end(e, append(e, function_name, arn, invocation_id, stream,
                                      timestamp_ms, lines, count));
}

void durable_function_log_list_clear(durable_function_log_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        durable_function_log *g = &l->items[i];
        durable_free(g->function_name);
        durable_free(g->execution_arn);
        durable_free(g->invocation_id);
        durable_free(g->stream);
        durable_free(g->line);
    }
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

static int list(durable_engine *e, durable_function_log_list *out, const char *arn,
                int64_t after_id, size_t max)
{
    int64_t rowid = 0;
    int rc = exec_rowid(e, &rowid, arn);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st;
    if ((rc = durable__db_prepare(e, &st,
                                  "SELECT id, function_name, invocation_id, stream, "
                                  "timestamp_ms, line FROM function_logs "
                                  "WHERE execution_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3")) < 0)
        return rc;
    durable__db_i64(st, 1, rowid);
    durable__db_i64(st, 2, after_id);
    durable__db_i64(st, 3, max ? (int64_t)max : -1);
    while ((rc = durable__db_row(e, st, "list log lines")) == 1) {
        durable_function_log *g = durable__realloc(out->items, (out->count + 1) * sizeof *g);
        if (!g) {
            durable__db_reset(st);
            return durable__error_oom();
        }
        out->items = g;
        g = &out->items[out->count++];
        memset(g, 0, sizeof *g);
        g->id = durable__col_i64(st, 0);
        g->function_name = durable__col_dup(st, 1);
        g->execution_arn = durable__strdup(arn);
        g->invocation_id = durable__col_dup(st, 2);
        g->stream = durable__col_dup(st, 3);
        g->timestamp_ms = durable__col_i64(st, 4);
        g->line = durable__col_dup(st, 5);
        if (!g->function_name || !g->execution_arn || !g->stream || !g->line) {
            durable__db_reset(st);
            return durable__error_oom();
        }
    }
    return rc;
}

int durable_engine_list_function_logs(durable_function_log_list *out, durable_engine *e,
                                      const char *arn, int64_t after_id, size_t max)
{
    if (!out || !e || !arn)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_list_function_logs: out, "
                                                  "engine and arn are required");
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, list(e, out, arn, after_id, max));
    if (rc < 0)
        durable_function_log_list_clear(out);
    return rc;
}
