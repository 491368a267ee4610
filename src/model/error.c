/* Status-code texts and the thread-local last error. */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"

typedef struct {
    int code;
    const char *name;
    const char *text;
} code_info;

static const code_info codes[] = {
    {DURABLE_OK, "DURABLE_OK", "success"},
    {DURABLE_PENDING, "DURABLE_PENDING", "execution must suspend"},
    {DURABLE_ERROR, "DURABLE_ERROR", "unspecified error"},
    {DURABLE_ENOMEM, "DURABLE_ENOMEM", "out of memory"},
    {DURABLE_EINVAL, "DURABLE_EINVAL", "invalid argument or request"},
    {DURABLE_ENOTFOUND, "DURABLE_ENOTFOUND", "not found"},
    {DURABLE_EEXISTS, "DURABLE_EEXISTS", "already exists"},
    {DURABLE_ETOKEN, "DURABLE_ETOKEN", "invalid checkpoint token"},
    {DURABLE_ECALLBACK_DONE, "DURABLE_ECALLBACK_DONE", "callback has already been completed"},
    {DURABLE_ECALLBACK_TIMEOUT, "DURABLE_ECALLBACK_TIMEOUT", "callback timed out"},
    {DURABLE_ECLOSED, "DURABLE_ECLOSED", "execution is not running"},
    {DURABLE_EDB, "DURABLE_EDB", "database error"},
    {DURABLE_ESCHEMA, "DURABLE_ESCHEMA", "not a libdurable file or newer schema"},
    {DURABLE_EBUSY, "DURABLE_EBUSY", "busy or locked"},
    {DURABLE_EPARSE, "DURABLE_EPARSE", "malformed input"},
    {DURABLE_ESTATE, "DURABLE_ESTATE", "not allowed in the current state"},
    {DURABLE_ENONDETERMINISTIC, "DURABLE_ENONDETERMINISTIC", "non-deterministic execution"},
    {DURABLE_EFAILED, "DURABLE_EFAILED", "durable operation failed"},
    {DURABLE_ESERDES, "DURABLE_ESERDES", "serialization failed"},
    {DURABLE_ETHROTTLED, "DURABLE_ETHROTTLED", "request throttled"},
    {DURABLE_ETIMEOUT, "DURABLE_ETIMEOUT", "timed out"},
    {DURABLE_EIO, "DURABLE_EIO", "I/O or process error"},
    {DURABLE_ETYPE, "DURABLE_ETYPE", "operation type mismatch"},
    {DURABLE_ENOTSETUP, "DURABLE_ENOTSETUP", "test environment not set up"},
    {DURABLE_ENOTCALLBACK, "DURABLE_ENOTCALLBACK", "operation is not a callback"},
    {DURABLE_ENOFUNCTION, "DURABLE_ENOFUNCTION", "function not registered"},
    {DURABLE_ECOMPLETED_EARLY, "DURABLE_ECOMPLETED_EARLY", "execution completed early"},
    {DURABLE_ESERVER, "DURABLE_ESERVER", "checkpoint server error"},
    {DURABLE_EMARKER, "DURABLE_EMARKER", "invalid marker"},
    {DURABLE_EIDLE, "DURABLE_EIDLE", "run cannot make progress"},
    {DURABLE_EINVOCATION, "DURABLE_EINVOCATION", "invocation error"},
    {DURABLE_EACCESS, "DURABLE_EACCESS", "access denied"},
};

static const code_info *find(int code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code)
            return &codes[i];
    return NULL;
}

const char *durable_strerror(int code)
{
    const code_info *c = find(code);
    return c ? c->text : "unknown error code";
}

const char *durable_code_name(int code)
{
    const code_info *c = find(code);
    return c ? c->name : "DURABLE_UNKNOWN";
}

/* The message lives in a fixed thread-local buffer so that reporting an
 * error never needs to allocate (it must work when allocation failed). */
#define LAST_ERROR_MAX 1024
static _Thread_local char last_message[LAST_ERROR_MAX];
static _Thread_local durable_error last_error = {0, ""};

const durable_error *durable_error_last(void)
{
    last_error.message = last_message;
    return &last_error;
}

void durable_error_clear(void)
{
    last_error.code = 0;
    last_message[0] = '\0';
}

int durable__error_setv(int code, const char *fmt, va_list ap)
{
    char tmp[LAST_ERROR_MAX];
    /* Format into a temporary first: fmt arguments may point into last_message. */
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    memcpy(last_message, tmp, sizeof tmp);
    last_error.code = code;
    return code;
}

int durable__error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    durable__error_setv(code, fmt, ap);
    va_end(ap);
    return code;
}

void durable__error_prefix(const char *fmt, ...)
{
    char prefix[256];
    char tmp[LAST_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(tmp, sizeof tmp, "%s: %s", prefix, last_message);
    memcpy(last_message, tmp, sizeof tmp);
}

int durable__error_oom(void)
{
    return durable__error_set(DURABLE_ENOMEM, "out of memory");
}
