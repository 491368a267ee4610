/* Replay-aware structured logging (SPEC §10.15): one JSON line per record,
 * written to a FILE* or a sink callback, serialized by a mutex so lines from
 * parallel branches never interleave. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sdk/context_internal.h"

static const char *const level_names[] = {"INFO", "TRACE", "DEBUG", "INFO",
                                          "WARN", "ERROR", "FATAL", "OFF"};

const char *durable_log_level_name(durable_log_level level)
{
    if ((int)level < 0 || (size_t)level >= sizeof(level_names) / sizeof(level_names[0]))
        return "INFO";
    return level_names[level];
}

durable_log_level durable__log_level_from_env(void)
{
    const char *v = getenv("AWS_LAMBDA_LOG_LEVEL");
    if (!v || !*v)
        return DURABLE_LOG_INFO;
    for (int l = DURABLE_LOG_TRACE; l <= DURABLE_LOG_FATAL; l++) {
        const char *n = level_names[l];
        size_t i = 0;
        while (n[i] && v[i] && toupper((unsigned char)v[i]) == n[i])
            i++;
        if (!n[i] && !v[i])
            return (durable_log_level)l;
    }
    if (strcasecmp(v, "WARNING") == 0)
        return DURABLE_LOG_WARN;
    return DURABLE_LOG_INFO;
}

int durable__logger_init(durable_logger *lg, const durable_logger_options *opts,
                         const char *request_id, const char *execution_arn)
{
    memset(lg, 0, sizeof(*lg));
    durable_logger_options def = DURABLE_LOGGER_OPTIONS_INIT;
    lg->opts = opts ? *opts : def;
    lg->level = lg->opts.level == DURABLE_LOG_FROM_ENV ? durable__log_level_from_env()
                                                        : lg->opts.level;
    lg->request_id = durable__strdup(request_id);
    lg->execution_arn = durable__strdup(execution_arn);
    if ((request_id && !lg->request_id) || (execution_arn && !lg->execution_arn)) {
        durable__logger_destroy(lg);
        return durable__error_oom();
    }
    pthread_mutex_init(&lg->mu, NULL);
    return 0;
}

void durable__logger_destroy(durable_logger *lg)
{
    if (!lg)
        return;
    durable__free(lg->request_id);
    durable__free(lg->execution_arn);
    lg->request_id = lg->execution_arn = NULL;
    pthread_mutex_destroy(&lg->mu);
}

static void write_line(durable_logger *lg, durable_log_level level, const char *line)
{
    pthread_mutex_lock(&lg->mu);
    if (lg->opts.sink) {
        lg->opts.sink(lg->opts.sink_user, level, line);
    } else {
        FILE *f = lg->opts.file ? lg->opts.file : stdout;
        fputs(line, f);
        fputc('\n', f);
        fflush(f);
    }
    pthread_mutex_unlock(&lg->mu);
}

void durable_logger_write_line(durable_logger *logger, const char *line)
{
    if (logger && line)
        write_line(logger, DURABLE_LOG_INFO, line);
}

static bool enabled(const durable_logger *lg, durable_log_level level)
{
    return lg->level != DURABLE_LOG_OFF && level != DURABLE_LOG_OFF &&
           level != DURABLE_LOG_FROM_ENV && level >= lg->level;
}

void durable__logger_emitv(durable_logger *lg, durable_log_level level, const char *op_id,
                           int attempt, const durable_error_object *err, const char *fmt,
                           va_list ap)
{
    if (!lg || !enabled(lg, level))
        return;
    char *message = durable__vsprintf(fmt ? fmt : "", ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char stamp[40];
    durable_ts_format_rfc3339(stamp, sizeof(stamp),
                              (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    cJSON *rec = cJSON_CreateObject();
    if (!rec || !message) {
        cJSON_Delete(rec);
        durable__free(message);
        return;
    }
    cJSON_AddStringToObject(rec, "timestamp", stamp);
    cJSON_AddStringToObject(rec, "level", durable_log_level_name(level));
    if (lg->request_id)
        cJSON_AddStringToObject(rec, "requestId", lg->request_id);
    if (lg->execution_arn)
        cJSON_AddStringToObject(rec, "executionArn", lg->execution_arn);
    if (op_id)
        cJSON_AddStringToObject(rec, "operationId", op_id);
    if (attempt > 0)
        cJSON_AddNumberToObject(rec, "attempt", attempt);
    cJSON_AddStringToObject(rec, "message", message);
    if (err && err->error_type)
        cJSON_AddStringToObject(rec, "errorType", err->error_type);
    if (err && err->error_message)
        cJSON_AddStringToObject(rec, "errorMessage", err->error_message);
    char *line = durable_json_print(rec);
    cJSON_Delete(rec);
    durable__free(message);
    if (line)
        write_line(lg, level, line);
    durable__free(line);
}

void durable__logger_emit(durable_logger *lg, durable_log_level level, const char *op_id,
                          int attempt, const durable_error_object *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    durable__logger_emitv(lg, level, op_id, attempt, err, fmt, ap);
    va_end(ap);
}

/* ---- context logger ----------------------------------------------------------------- */

static bool ctx_quiet(const durable_ctx *ctx)
{
    return ctx->replaying && !ctx->ex->logger.opts.log_during_replay;
}

void durable_ctx_logv(durable_ctx *ctx, durable_log_level level, const char *fmt, va_list ap)
{
    if (!ctx || ctx_quiet(ctx))
        return;
    durable__logger_emitv(&ctx->ex->logger, level, ctx->op_id, 0, NULL, fmt, ap);
}

void durable_ctx_log(durable_ctx *ctx, durable_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    durable_ctx_logv(ctx, level, fmt, ap);
    va_end(ap);
}

void durable_ctx_log_error(durable_ctx *ctx, durable_log_level level,
                           const durable_error_object *err, const char *fmt, ...)
{
    if (!ctx || ctx_quiet(ctx))
        return;
    va_list ap;
    va_start(ap, fmt);
    durable__logger_emitv(&ctx->ex->logger, level, ctx->op_id, 0, err, fmt, ap);
    va_end(ap);
}
