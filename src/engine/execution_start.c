/* Starting an execution (SPEC §8.1): validate, create the execution and its
 * EXECUTION operation, append ExecutionStarted (EventId 1), arm the deadline. */
#include <string.h>

#include "engine/engine_internal.h"

static bool name_chars_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n < 1 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Function names end up inside ARNs: no ':' or '/' and 1–140 characters. */
static bool function_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > DURABLE_MAX_FUNCTION_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':' || s[i] == '/' || (unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return true;
}

static int validate(durable_engine *e, const char *function_name, const durable_start_options *o)
{
    if (!function_name || !function_name_ok(function_name))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid function name.", "FunctionName '%s'",
                                 function_name ? function_name : "(null)");
    if (o->execution_name && !name_chars_ok(o->execution_name, DURABLE_MAX_EXECUTION_NAME_LEN))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid durable execution name.",
                                 "DurableExecutionName '%s'", o->execution_name);
    if (o->qualifier && !function_name_ok(o->qualifier))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid qualifier.", "Qualifier '%s'",
                                 o->qualifier);
    if (o->input_payload) {
        size_t n = strlen(o->input_payload);
        if (n > DURABLE_MAX_PAYLOAD_BYTES)
            return durable__eng_fail(e, DURABLE_EINVAL,
                                     "Payload size must be less than or equal to 6291456 bytes.",
                                     "input of %s", function_name);
        if (!durable__utf8_valid(o->input_payload, n))
            return durable__eng_fail(e, DURABLE_EINVAL, "Payload must be valid UTF-8.",
                                     "input of %s", function_name);
    }
    if (o->timeout_seconds < 0 || o->timeout_seconds > DURABLE_MAX_WAIT_SECONDS)
        return durable__eng_fail(e, DURABLE_EINVAL,
                                 "ExecutionTimeout must be between 1 and 31622400 seconds.",
                                 "timeout %lld", (long long)o->timeout_seconds);
    return 0;
}

/* The ARN of an execution with this function, qualifier and name, if any. */
static int find_existing(durable_engine *e, char **out, const char *function_name,
                         const char *qualifier, const char *name)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT arn FROM executions WHERE function_name = ?1 AND "
                                 "qualifier = ?2 AND execution_name = ?3");
    if (rc < 0)
        return rc;
    durable__db_text(st, 1, function_name);
    durable__db_text(st, 2, qualifier);
    durable__db_text(st, 3, name);
    if ((rc = durable__db_row(e, st, "find execution by name")) <= 0)
        return rc;
    *out = durable__col_dup(st, 0);
    durable__db_reset(st);
    return *out ? 1 : durable__error_oom();
}

static int start(durable_engine *e, char **out_arn, char **out_op_id, const char *function_name,
                 const durable_start_options *o)
{
    int rc = validate(e, function_name, o);
    if (rc < 0)
        return rc;
    char name[37], op_id[37];
    durable_uuid(op_id);
    durable_uuid(name);
    const char *exec_name = o->execution_name ? o->execution_name : name;
    const char *qualifier = o->qualifier ? o->qualifier : "$LATEST";
    if ((rc = find_existing(e, out_arn, function_name, qualifier, exec_name)) != 0) {
        if (rc < 0)
            return rc;
        return durable__eng_fail(e, DURABLE_EEXISTS, "Durable execution already started.",
                                 "execution %s", *out_arn);
    }
    eng_exec x;
    rc = durable__exec_create(e, &x, NULL, function_name, qualifier, exec_name, op_id,
                              o->input_payload,
                              o->timeout_seconds ? o->timeout_seconds
                                                 : e->opts.default_execution_timeout_seconds,
                              o->tenant_id, 0, NULL);
    if (rc == 0) {
        *out_arn = x.arn;
        x.arn = NULL;
        if (out_op_id && !(*out_op_id = durable__strdup(x.op_id)))
            rc = durable__error_oom();
    }
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_start_execution(char **out_arn, char **out_op_id, durable_engine *e,
                                   const char *function_name, const durable_start_options *opts)
{
    if (!out_arn || !e)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_start_execution: out_arn and "
                                                  "engine are required");
    *out_arn = NULL;
    if (out_op_id)
        *out_op_id = NULL;
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    if (opts)
        o = *opts;
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    rc = durable__eng_end(e, start(e, out_arn, out_op_id, function_name, &o));
    if (rc < 0 && rc != DURABLE_EEXISTS) {
        durable_free(*out_arn);
        *out_arn = NULL;
    }
    if (rc < 0 && out_op_id) {
        durable_free(*out_op_id);
        *out_op_id = NULL;
    }
    return rc;
}
