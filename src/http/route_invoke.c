/* Invoke (HTTP_API.md §6.2 row 10): starts a durable execution of a
 * registered function. Event answers 202 at once; RequestResponse answers
 * only once the execution is terminal (the conformance runner reads the
 * history right after it returns), with the result, or the error and
 * X-Amz-Function-Error: Unhandled. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http_internal.h"
#include "model/internal.h"

/* Wait until arn is terminal or the server stops; 1 = terminal, 0 =
 * stopping, < 0 = engine error. Woken when this execution may have ended
 * (its invocation finished, a stop, a timer fired), and once a second for
 * what another process may do to the file (the CLI stopping it). */
static int wait_terminal(durable_http_server *s, const char *arn)
{
    durable__waiter w = {arn, false, PTHREAD_COND_INITIALIZER, NULL};
    pthread_mutex_lock(&s->mu);
    w.next = s->waiters;
    s->waiters = &w;
    pthread_mutex_unlock(&s->mu);
    int rc;
    for (;;) {
        durable_exec_status st = DURABLE_EXEC_STATUS_NONE;
        rc = durable_server_execution_status(&st, NULL, s->engine, arn);
        if (rc < 0)
            break;
        if (st != DURABLE_EXEC_RUNNING) {
            rc = 1;
            break;
        }
        pthread_mutex_lock(&s->mu);
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 1;
        while (!w.maybe_closed && !s->stopping &&
               pthread_cond_timedwait(&w.cv, &s->mu, &dl) == 0)
            ;
        w.maybe_closed = false;
        bool stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stopping) {
            rc = 0;
            break;
        }
    }
    pthread_mutex_lock(&s->mu);
    for (durable__waiter **p = &s->waiters; *p; p = &(*p)->next)
        if (*p == &w) {
            *p = w.next;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&w.cv);
    return rc;
}

static void answer_terminal(durable__hctx *c, const char *arn)
{
    durable_execution_info x;
    memset(&x, 0, sizeof x);
    int rc = durable_server_get_execution(&x, c->srv->engine, arn);
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        return;
    }
    if (x.status == DURABLE_EXEC_SUCCEEDED) {
        const char *r = x.result ? x.result : "null";
        durable__http_reply_text(c, 200, "application/json", r, strlen(r));
    } else {
        durable__http_add_header(c, "X-Amz-Function-Error", "Unhandled");
        durable_error_object fallback = {0};
        char type[64], msg[96];
        snprintf(type, sizeof type, "Execution%s", durable_exec_status_name(x.status));
        snprintf(msg, sizeof msg, "The durable execution ended %s.",
                 durable_exec_status_name(x.status));
        fallback.error_type = type;
        fallback.error_message = msg;
        cJSON *err = NULL;
        rc = durable_error_object_to_json(&err, x.error ? x.error : &fallback);
        if (rc < 0)
            durable__http_reply_engine_error(c, rc);
        else
            durable__http_reply_json(c, 200, err);
    }
    durable_execution_info_clear(&x);
}

void durable__route_invoke(durable__hctx *c, const char *function)
{
    durable_http_server *s = c->srv;
    char *name = NULL, *qual = NULL, *arn = NULL, *farn = NULL;
    if (durable__http_function_name(&name, &qual, function) < 0) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "Invalid function name: %s", function);
        return;
    }
    const char *q = durable__http_query(c, "Qualifier");
    if (q && *q) {
        durable_free(qual);
        qual = durable__strdup(q);
    }
    durable__fn *fn = durable__http_find_fn(s, name);
    durable__http_function_arn(&farn, s, name);
    /* A registered function has only its unpublished version: $LATEST.
     * Another qualifier (a version or alias) names nothing here, as on
     * Lambda for one that was never published. */
    if (!fn || (qual && strcmp(qual, "$LATEST") != 0)) {
        durable__http_reply_error(c, 404, "ResourceNotFoundException", "Function not found: %s%s%s",
                                  farn ? farn : name, fn ? ":" : "", fn ? qual : "");
        goto out;
    }
    const char *type = durable__http_header(c, "X-Amz-Invocation-Type");
    if (!type || !*type)
        type = "RequestResponse";
    if (strcmp(type, "RequestResponse") != 0 && strcmp(type, "Event") != 0 &&
        strcmp(type, "DryRun") != 0) {
        durable__http_reply_error(c, 400, "InvalidParameterValueException",
                                  "Invalid InvocationType: %s (RequestResponse, Event or DryRun)",
                                  type);
        goto out;
    }
    if (c->body_len > DURABLE__HTTP_MAX_INVOKE_PAYLOAD) {
        durable__http_reply_error(c, 413, "RequestTooLargeException",
                                  "Request must be smaller than %d bytes for the Invoke operation",
                                  DURABLE__HTTP_MAX_INVOKE_PAYLOAD);
        goto out;
    }
    if (c->body_len) {
        cJSON *probe = NULL;
        if (durable_json_parse(&probe, c->body, c->body_len) < 0) {
            durable__http_reply_error(c, 400, "InvalidRequestContentException",
                                      "Could not parse request body into json: %s",
                                      durable_error_last()->message);
            goto out;
        }
        cJSON_Delete(probe);
    }
    if (strcmp(type, "DryRun") == 0) { /* parameters checked, nothing started */
        durable__http_reply_text(c, 204, NULL, NULL, 0);
        goto out;
    }
    char *input = NULL;
    if (c->body_len && !(input = durable__strndup(c->body, c->body_len))) {
        durable__http_reply_engine_error(c, durable__error_oom());
        goto out;
    }
    durable_start_options so = DURABLE_START_OPTIONS_INIT;
    const char *exec_name = durable__http_header(c, "X-Amz-Durable-Execution-Name");
    so.execution_name = exec_name && *exec_name ? exec_name : NULL;
    so.qualifier = qual;
    so.input_payload = input;
    so.timeout_seconds = fn->execution_timeout_seconds;
    const char *tenant = durable__http_header(c, "X-Amz-Tenant-Id");
    so.tenant_id = tenant && *tenant ? tenant : NULL;
    int rc = durable_server_start_execution(&arn, NULL, s->engine, name, &so);
    durable_free(input);
    if (rc == DURABLE_EEXISTS) {
        durable__http_reply_error(c, 409, "DurableExecutionAlreadyStartedException",
                                  "Durable execution with name %s already exists: %s",
                                  so.execution_name ? so.execution_name : "", arn ? arn : "");
        goto out;
    }
    if (rc < 0) {
        durable__http_reply_engine_error(c, rc);
        goto out;
    }
    durable__http_log(s, "invoke %s %s -> %s", name, type, arn);
    durable__http_notify(s);
    if (strcmp(type, "Event") == 0) {
        durable__http_reply_text(c, 202, NULL, NULL, 0);
    } else {
        rc = wait_terminal(s, arn);
        if (rc < 0)
            durable__http_reply_engine_error(c, rc);
        else if (rc == 0)
            durable__http_reply_error(c, 503, "ServiceException",
                                      "The server is stopping; execution %s goes on when a server "
                                      "opens the file again",
                                      arn);
        else
            answer_terminal(c, arn);
    }
    if (c->status < 300) {
        durable__http_add_header(c, "X-Amz-Durable-Execution-Arn", arn);
        durable__http_add_header(c, "X-Amz-Executed-Version", qual && *qual ? qual : "$LATEST");
    }
out:
    durable_free(name);
    durable_free(qual);
    durable_free(arn);
    durable_free(farn);
}
