/* StopDurableExecution (SPEC §8.6). */
#include <string.h>

#include "engine/engine_internal.h"

static int stop(durable_engine *e, durable_stop_response *out, const durable_stop_request *req)
{
    eng_exec x;
    int rc = durable__exec_load(e, &x, req->durable_execution_arn);
    if (rc < 0)
        return rc;
    if (x.status != DURABLE_EXEC_RUNNING) {
        out->stop_timestamp = x.end_ms; /* closed already: 200 with its end, no change */
        durable__exec_clear(&x);
        return 0;
    }
    durable_error_object *deflt = NULL;
    if (req->error && durable_error_object_json_size(req->error) > DURABLE_MAX_ERROR_BYTES)
        rc = durable__eng_fail(e, DURABLE_EINVAL, "Error object size must be less than 32768 bytes.",
                               "stop %s", x.arn);
    else if (!durable__error_utf8_valid(req->error))
        rc = durable__eng_fail(e, DURABLE_EINVAL, DURABLE__ERROR_UTF8_TEXT, "stop %s", x.arn);
    if (rc == 0 && !req->error)
        rc = durable_error_object_new(&deflt, NULL, "Execution stopped by user request", NULL);
    if (rc == 0)
        rc = durable__exec_abort(e, &x, DURABLE_EXEC_STOPPED, req->error ? req->error : deflt);
    if (rc == 0)
        rc = durable__exec_save(e, &x);
    if (rc == 0)
        out->stop_timestamp = e->now;
    durable_error_object_free(deflt);
    durable__exec_clear(&x);
    return rc;
}

int durable_engine_stop_execution(durable_stop_response *out, durable_engine *e,
                                  const durable_stop_request *req)
{
    if (!out || !e || !req)
        return durable__error_set(DURABLE_EINVAL, "durable_engine_stop_execution: out, engine "
                                                  "and request are required");
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    return durable__eng_end(e, stop(e, out, req));
}
