/* Checkpoint tokens (SPEC §7.1) and ClientToken idempotency (§7.2). */
#include <string.h>

#include "engine/engine_internal.h"
#include "model/json_util.h"

#define TOKEN_TEXT "Invalid Checkpoint Token"

void durable__token_cache_clear(durable_engine *e)
{
    durable_free(e->token.text);
    durable_token_clear(&e->token.fields);
    memset(&e->token, 0, sizeof e->token);
}

/* Remember text -> t (taken). Best effort: without memory, no cache. */
static void cache_token(durable_engine *e, const char *text, durable_token *t)
{
    durable__token_cache_clear(e);
    e->token.text = durable__strdup(text);
    if (e->token.text)
        e->token.fields = *t;
    else
        durable_token_clear(t);
    memset(t, 0, sizeof *t);
}

int durable__token_check(durable_engine *e, const eng_exec *x, const char *token)
{
    if (!token || !*token)
        return durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT, "CheckpointToken missing");
    if (!e->token.text || strcmp(e->token.text, token) != 0) {
        durable_token d = {0};
        if (strlen(token) > DURABLE_MAX_TOKEN_LEN || durable_token_decode(&d, token) < 0) {
            durable_token_clear(&d);
            return durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT,
                                     "CheckpointToken does not decode");
        }
        cache_token(e, token, &d);
        if (!e->token.text) /* not cached: no memory */
            return durable__error_oom();
    }
    const durable_token t = e->token.fields;
    int rc = 0;
    if (!t.arn || strcmp(t.arn, x->arn) != 0)
        rc = durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT,
                               "CheckpointToken names another execution");
    else if (x->status != DURABLE_EXEC_RUNNING)
        rc = durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT, "execution %s is closed (%s)",
                               x->arn, durable_exec_status_name(x->status));
    else if (!x->inflight)
        rc = durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT, "no invocation is in flight");
    else if (!t.invocation_id || strcmp(t.invocation_id, x->inflight) != 0)
        rc = durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT,
                               "CheckpointToken belongs to invocation %s, not the current %s",
                               t.invocation_id ? t.invocation_id : "(none)", x->inflight);
    else if (t.seq != x->token_seq)
        rc = durable__eng_fail(e, DURABLE_ETOKEN, TOKEN_TEXT,
                               "CheckpointToken sequence %lld is stale (current %lld)",
                               (long long)t.seq, (long long)x->token_seq);
    return rc;
}

int durable__token_mint(char **out, durable_engine *e, const eng_exec *x)
{
    int rc = durable_token_encode(out, x->arn, x->token_seq, x->inflight);
    if (rc < 0)
        return rc;
    /* The cache usually holds the token this checkpoint consumed: same
     * execution and invocation, only the text and the sequence change. */
    if (e->token.text && e->token.fields.arn && e->token.fields.invocation_id &&
        strcmp(e->token.fields.arn, x->arn) == 0 &&
        strcmp(e->token.fields.invocation_id, x->inflight) == 0) {
        char *text = durable__strdup(*out);
        if (text) {
            durable_free(e->token.text);
            e->token.text = text;
            e->token.fields.seq = x->token_seq;
            return 0;
        }
    }
    durable_token t = {0};
    t.arn = durable__strdup(x->arn);
    t.invocation_id = durable__strdup(x->inflight);
    t.seq = x->token_seq;
    if (t.arn && t.invocation_id)
        cache_token(e, *out, &t);
    else
        durable_token_clear(&t);
    return 0;
}

int durable__idem_lookup(durable_engine *e, durable_checkpoint_response *out,
                         const eng_exec *x, const char *client_token, const char *inbound)
{
    if (!client_token || !inbound || !x->idem_stored.client_token ||
        strcmp(x->idem_stored.client_token, client_token) != 0 || !x->idem_stored.inbound ||
        strcmp(x->idem_stored.inbound, inbound) != 0)
        return 0; /* the row's record (as loaded) is not this pair's */
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT idem_response FROM executions WHERE id = ?1 AND "
                                 "idem_client_token = ?2 AND idem_inbound_token = ?3");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text(st, 2, client_token);
    durable__db_text(st, 3, inbound);
    rc = durable__db_row(e, st, "idempotency lookup");
    if (rc <= 0)
        return rc;
    const char *text = (const char *)sqlite3_column_text(st, 0);
    cJSON *j = NULL;
    rc = durable_json_parse(&j, text ? text : "", text ? strlen(text) : 0);
    durable__db_reset(st);
    if (rc < 0)
        return rc;
    rc = durable_checkpoint_response_from_json(out, j);
    cJSON_Delete(j);
    return rc < 0 ? rc : 1;
}

/* The record lives in the execution's row (schema migration 8), which the
 * checkpoint rewrites anyway (token sequence, counters): a table of its own
 * cost one more WAL page per checkpoint, and a statement of its own one
 * more row rewrite, so durable__exec_save writes it in the same UPDATE. */
int durable__idem_store(eng_exec *x, const char *client_token, const char *inbound,
                        const durable_checkpoint_response *resp)
{
    durable_free(x->idem.response);
    x->idem = (struct eng_exec_idem){.write = true};
    /* Without a ClientToken only the last accepted checkpoint may be
     * replayed: the older record is forgotten (the columns are cleared). */
    if (!client_token)
        return 0;
    x->idem.client_token = client_token;
    x->idem.inbound = inbound;
    return durable__checkpoint_response_text(&x->idem.response, resp, DURABLE_TS_RFC3339);
}
