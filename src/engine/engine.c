/* Engine handle: open/close, options, the per-call frame and error reporting. */
#include <stdarg.h>
#include <string.h>

#include "engine/engine_internal.h"

int durable_engine_open(durable_engine **out, durable_store *store,
                        const durable_engine_options *opts)
{
    if (!out || !store)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_open: out and store are required");
    *out = NULL;
    durable_engine_options o = DURABLE_ENGINE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (o.default_execution_timeout_seconds < 1 ||
        o.default_execution_timeout_seconds > DURABLE_MAX_WAIT_SECONDS)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_engine_open: default_execution_timeout_seconds %lld "
                                  "is outside 1-31622400",
                                  (long long)o.default_execution_timeout_seconds);
    if (o.max_invocation_failures < 1)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_engine_open: max_invocation_failures must be >= 1");
    if (o.invocation_retry_backoff_ms < 0 || o.invocation_timeout_seconds < 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_engine_open: backoff and invocation timeout must be >= 0");
    if (o.initial_state_max_items < 1)
        o.initial_state_max_items = DURABLE_MAX_ITEMS;
    durable_engine *e = durable__calloc(1, sizeof *e);
    if (!e)
        return durable__error_oom();
    e->store = store;
    e->clock = o.clock ? o.clock : durable_clock_real();
    e->region = durable__strdup(o.region ? o.region : "us-east-1");
    e->account = durable__strdup(o.account ? o.account : "123456789012");
    e->errmsg = durable__strdup("");
    e->errtext = durable__strdup("");
    if (!e->region || !e->account || !e->errmsg || !e->errtext) {
        durable_engine_close(e);
        return durable__error_oom();
    }
    o.region = e->region;
    o.account = e->account;
    o.clock = e->clock;
    e->opts = o;
    *out = e;
    return 0;
}

void durable_engine_close(durable_engine *e)
{
    if (!e)
        return;
    durable_free(e->region);
    durable_free(e->account);
    durable_free(e->errmsg);
    durable_free(e->errtext);
    durable__state_cache_free(e->cache);
    durable__written_clear(e);
    durable_free(e->written);
    durable__token_cache_clear(e);
    durable__exec_sql_clear(e);
    durable__exec_memo_free(e);
    durable_free(e);
}

const char *durable_engine_errmsg(const durable_engine *e)
{
    return e && e->errmsg ? e->errmsg : "";
}

const char *durable_engine_error_text(const durable_engine *e)
{
    return e && e->errtext ? e->errtext : "";
}

int durable_engine_errcode(const durable_engine *e)
{
    return e ? e->errcode : 0;
}

const char *durable_engine_exception_name(int code)
{
    switch (code) {
    case DURABLE_EINVAL:
    case DURABLE_ETOKEN:
    case DURABLE_EMARKER:
    case DURABLE_ECALLBACK_DONE:
    case DURABLE_ECLOSED:
    case DURABLE_EPARSE:
        return "InvalidParameterValueException";
    case DURABLE_ECALLBACK_TIMEOUT:
        return "CallbackTimeoutException";
    case DURABLE_ENOTFOUND:
    case DURABLE_ENOFUNCTION:
        return "ResourceNotFoundException";
    case DURABLE_EEXISTS:
        return "DurableExecutionAlreadyStartedException";
    case DURABLE_ETHROTTLED:
        return "TooManyRequestsException";
    default:
        return "ServiceException";
    }
}

int64_t durable_engine_now(const durable_engine *e)
{
    return durable_clock_now(e ? e->clock : NULL);
}

durable_store *durable_engine_store(durable_engine *e)
{
    return e ? e->store : NULL;
}

static void set_messages(durable_engine *e, int code, const char *text, const char *msg)
{
    char *t = durable__strdup(text ? text : "");
    char *m = durable__strdup(msg ? msg : "");
    if (t && m) {
        durable_free(e->errtext);
        durable_free(e->errmsg);
        e->errtext = t;
        e->errmsg = m;
    } else {
        durable_free(t);
        durable_free(m);
    }
    e->errcode = code;
}

int durable__eng_begin(durable_engine *e, bool write)
{
    if (e->errcode != 0 || *e->errtext || *e->errmsg)
        set_messages(e, 0, "", "");
    durable_error_clear();
    e->ops_dirty = false;
    durable__written_clear(e);
    durable__state_cache_begin(e);
    e->now = durable_clock_now(e->clock);
    int rc = write ? durable__store_begin(e->store) : durable__store_begin_read(e->store);
    if (rc == 0)
        durable__exec_memo_begin(e, write); /* after BEGIN: the lock is held */
    else {
        durable__exec_memo_forget(e);
        const durable_error *le = durable_error_last();
        set_messages(e, rc, le->message, le->message);
    }
    return rc;
}

int durable__eng_end(durable_engine *e, int rc)
{
    if (rc >= 0) {
        rc = durable__store_commit(e->store);
        if (rc >= 0) {
            durable__state_cache_committed(e);
            durable__exec_memo_committed(e);
            durable__written_clear(e);
            return 0;
        }
    }
    /* Keep the first failure's message: rollback must not overwrite it. */
    int code = rc;
    char *saved = NULL;
    if (e->errcode == 0)
        saved = durable__strdup(durable_error_last()->message);
    durable__store_rollback(e->store);
    durable__exec_memo_forget(e);
    if (e->errcode == 0) {
        set_messages(e, code, saved ? saved : "internal error", saved ? saved : "internal error");
        durable_free(saved);
    }
    durable__error_set(e->errcode, "%s", e->errmsg);
    return e->errcode;
}

int durable__eng_fail(durable_engine *e, int code, const char *text, const char *where_fmt, ...)
{
    char *where = NULL;
    if (where_fmt) {
        va_list ap;
        va_start(ap, where_fmt);
        where = durable__vsprintf(where_fmt, ap);
        va_end(ap);
    }
    char *msg = where ? durable__sprintf("%s: %s", where, text) : NULL;
    set_messages(e, code, text, msg ? msg : text);
    durable_free(where);
    durable_free(msg);
    durable__error_set(code, "%s", e->errmsg);
    return code;
}
