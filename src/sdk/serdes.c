/* Serialization of operation payloads (SPEC §10.12): the default compact
 * JSON serdes, the raw-text serdes of callbacks, and the wrappers that turn
 * a failing serdes into the invocation-wide SerdesFailedError. */
#include <stdarg.h>
#include <string.h>

#include "sdk/context_internal.h"

/* ---- memory helpers for user callbacks ------------------------------------- */

void *durable_malloc(size_t size)
{
    return durable__malloc(size);
}

char *durable_strdup(const char *s)
{
    return durable__strdup(s);
}

char *durable_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = durable__vsprintf(fmt, ap);
    va_end(ap);
    return s;
}

/* ---- JSON ---------------------------------------------------------------------- */

static int json_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                          void *user)
{
    (void)sctx;
    (void)user;
    if (!value) {
        *out = durable__strdup("null");
        return *out ? 0 : durable__error_oom();
    }
    *out = durable_json_print(value);
    return *out ? 0 : durable__error_oom();
}

static int json_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                            void *user)
{
    (void)sctx;
    (void)user;
    if (!text) {
        *out = cJSON_CreateNull();
        return *out ? 0 : durable__error_oom();
    }
    return durable_json_parse(out, text, strlen(text));
}

static const durable_serdes json_serdes = {json_serialize, json_deserialize, NULL};

const durable_serdes *durable_serdes_json(void)
{
    return &json_serdes;
}

/* ---- raw text --------------------------------------------------------------------- */

static int raw_serialize(char **out, const cJSON *value, const durable_serdes_context *sctx,
                         void *user)
{
    if (value && cJSON_IsString(value)) {
        *out = durable__strdup(value->valuestring);
        return *out ? 0 : durable__error_oom();
    }
    return json_serialize(out, value, sctx, user);
}

static int raw_deserialize(cJSON **out, const char *text, const durable_serdes_context *sctx,
                           void *user)
{
    (void)sctx;
    (void)user;
    *out = text ? cJSON_CreateString(text) : cJSON_CreateNull();
    return *out ? 0 : durable__error_oom();
}

static const durable_serdes raw_serdes = {raw_serialize, raw_deserialize, NULL};

const durable_serdes *durable_serdes_raw(void)
{
    return &raw_serdes;
}

/* ---- wrappers used by the operations ------------------------------------------------ */

static int serdes_failed(durable_ctx *ctx, const char *what, const char *op_id, int rc)
{
    const char *detail = durable_error_last()->message;
    int code = durable__exec_fatal(ctx->ex, DURABLE_ESERDES, DURABLE_KIND_SERDES,
                                   "%s failed for operation %s: %s (%s)", what,
                                   op_id ? op_id : "(execution)",
                                   detail && *detail ? detail : "serdes returned an error",
                                   durable_code_name(rc));
    durable__ctx_set_error(ctx, DURABLE_KIND_SERDES, ctx->ex->fatal_error);
    return code;
}

int durable__serialize(char **out, durable_ctx *ctx, const durable_serdes *serdes,
                       const char *op_id, const cJSON *v)
{
    *out = NULL;
    if (!serdes || !serdes->serialize)
        serdes = &json_serdes;
    durable_serdes_context sctx = {op_id, ctx->ex->arn};
    durable_error_clear();
    int rc = serdes->serialize(out, v, &sctx, serdes->user);
    if (rc == 0 && !*out)
        rc = durable__error_set(DURABLE_ESERDES, "serializer returned no text");
    if (rc != 0) {
        durable__free(*out);
        *out = NULL;
        return serdes_failed(ctx, "Serialization", op_id, rc);
    }
    return 0;
}

int durable__deserialize(const cJSON **out, durable_ctx *ctx, const durable_serdes *serdes,
                         const char *op_id, const char *text)
{
    *out = NULL;
    if (!serdes || !serdes->deserialize)
        serdes = &json_serdes;
    durable_serdes_context sctx = {op_id, ctx->ex->arn};
    cJSON *v = NULL;
    durable_error_clear();
    int rc = serdes->deserialize(&v, text, &sctx, serdes->user);
    if (rc != 0) {
        cJSON_Delete(v);
        return serdes_failed(ctx, "Deserialization", op_id, rc);
    }
    if (!v && !(v = cJSON_CreateNull()))
        return durable__error_oom();
    *out = durable__exec_keep_json(ctx->ex, v);
    return *out ? 0 : DURABLE_ENOMEM;
}

int durable__roundtrip(const cJSON **out, char **text_out, durable_ctx *ctx,
                       const durable_serdes *serdes, const char *op_id, cJSON *v)
{
    char *text = NULL;
    int rc = durable__serialize(&text, ctx, serdes, op_id, v);
    cJSON_Delete(v);
    if (rc)
        return rc;
    if (out && (rc = durable__deserialize(out, ctx, serdes, op_id, text)) != 0) {
        durable__free(text);
        return rc;
    }
    if (text_out)
        *text_out = text;
    else
        durable__free(text);
    return 0;
}
