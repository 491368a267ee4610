/* The Lambda runtime loop (durable/lambda.h): the Runtime API protocol
 * around durable_handle_invocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable/lambda.h"
#include "aws/aws_internal.h"

#define RUNTIME "/2018-06-01/runtime"

/* The invocation being run. Written before the handler starts its threads
 * and cleared after they are joined; atomic so a reader on any thread sees
 * either the whole record or nothing. */
static durable_lambda_invocation current_rec;
static _Atomic(const durable_lambda_invocation *) current;

const durable_lambda_invocation *durable_lambda_current(void)
{
    return atomic_load(&current);
}

int64_t durable_lambda_remaining_ms(void)
{
    const durable_lambda_invocation *inv = atomic_load(&current);
    if (!inv || !inv->deadline_ms)
        return INT64_MAX;
    int64_t left = inv->deadline_ms - durable__aws_now_ms();
    return left > 0 ? left : 0;
}

typedef struct runtime {
    CURL *h;
    char *base; /* http://host:port/2018-06-01/runtime */
} runtime;

/* One exchange with the Runtime API. 0 with *resp filled, or DURABLE_EIO
 * (network) / DURABLE_ENOMEM. */
static int runtime_call(runtime *rt, durable__aws_resp *resp, const char *method,
                        const char *path, const char *body, const char *error_type)
{
    memset(resp, 0, sizeof *resp);
    char *url = durable__sprintf("%s%s", rt->base, path);
    struct curl_slist *hl = NULL, *n;
    bool oom = !url;
    const char *fixed[] = {"Content-Type: application/json", "Expect:", "Accept:"};
    for (size_t i = body ? 0 : 1; i < 3 && !oom; i++) {
        if ((n = curl_slist_append(hl, fixed[i])))
            hl = n;
        else
            oom = true;
    }
    if (error_type && !oom) {
        char *line = durable__sprintf("Lambda-Runtime-Function-Error-Type: %s", error_type);
        if (!line || !(n = curl_slist_append(hl, line)))
            oom = true;
        else
            hl = n;
        durable_free(line);
    }
    int rc = DURABLE_ENOMEM;
    if (!oom) {
        curl_easy_reset(rt->h);
        /* invocation/next is a long poll: no request timeout. The Runtime
         * API is the sandbox's own endpoint: a proxy the function's
         * environment sets for its outbound calls must not carry it. */
        durable__aws_exchange_req rq = {method, url, hl, body, body ? strlen(body) : 0, 5000,
                                        0, NULL, "libdurable/" DURABLE_VERSION_STRING, true};
        CURLcode cc;
        char errbuf[CURL_ERROR_SIZE];
        bool sent;
        rc = durable__aws_exchange(rt->h, &rq, resp, &cc, errbuf, &sent);
        if (rc == 0 && cc != CURLE_OK)
            rc = durable__error_set(DURABLE_EIO, "Lambda Runtime API %s %s: %s%s%s", method, path,
                                    curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
        if (rc != 0)
            durable__aws_resp_clear(resp);
    } else {
        durable__error_oom();
    }
    curl_slist_free_all(hl);
    durable_free(url);
    return rc;
}

/* POST a body; the Runtime API answers 202. Only a failure to reach it
 * ends the loop: a refusal (an invocation the sandbox no longer runs, a
 * body too large) is logged, and the next invocation is awaited. */
static int runtime_post(runtime *rt, const char *path, const char *body, const char *error_type)
{
    durable__aws_resp resp;
    int rc = runtime_call(rt, &resp, "POST", path, body, error_type);
    if (rc == 0 && (resp.status < 200 || resp.status > 299))
        fprintf(stderr, "durable_lambda_run: Lambda Runtime API POST %s: HTTP %ld %.200s\n", path,
                resp.status, resp.body);
    else if (rc != 0)
        fprintf(stderr, "durable_lambda_run: %s\n", durable_error_last()->message);
    durable__aws_resp_clear(&resp);
    return rc;
}

/* {"errorMessage","errorType","stackTrace"}, Lambda's error document. */
static char *error_document(const char *type, const char *message, char *const *trace,
                            size_t trace_count)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *st = cJSON_CreateArray();
    bool ok = doc && st && cJSON_AddStringToObject(doc, "errorMessage", message ? message : "") &&
              cJSON_AddStringToObject(doc, "errorType", type);
    for (size_t i = 0; ok && i < trace_count; i++) {
        cJSON *line = cJSON_CreateString(trace[i] ? trace[i] : "");
        ok = line && cJSON_AddItemToArray(st, line);
    }
    if (ok && cJSON_AddItemToObject(doc, "stackTrace", st))
        st = NULL;
    else
        ok = false;
    char *text = ok ? durable_json_print(doc) : NULL;
    cJSON_Delete(st);
    cJSON_Delete(doc);
    return text;
}

static int post_error(runtime *rt, const char *path, const char *type, const char *message,
                      char *const *trace, size_t trace_count)
{
    char *doc = error_document(type, message, trace, trace_count);
    if (!doc)
        return durable__error_oom();
    int rc = runtime_post(rt, path, doc, type);
    durable_free(doc);
    return rc;
}

static int post_init_error(runtime *rt, const char *message)
{
    fprintf(stderr, "durable_lambda_run: init failed: %s\n", message);
    if (rt->base)
        post_error(rt, "/init/error", "Runtime.InitError", message, NULL, 0);
    return DURABLE_EINVAL;
}

/* The invocation's own paths: /invocation/<id>/{response,error}. */
static char *invocation_path(const char *request_id, const char *what)
{
    char suffix[16];
    snprintf(suffix, sizeof suffix, "/%s", what);
    return durable__aws_path("/invocation/", request_id, suffix);
}

/* Run one event and post its outcome. Returns 0, or DURABLE_EIO when the
 * Runtime API could not be reached to post it. */
static int run_one(runtime *rt, durable_aws_client *client, const durable__aws_resp *next,
                   const char *request_id, durable_handler_fn handler, void *user,
                   const durable_lambda_options *opts)
{
    const char *deadline = durable__aws_resp_header(next, "Lambda-Runtime-Deadline-Ms");
    const char *arn = durable__aws_resp_header(next, "Lambda-Runtime-Invoked-Function-Arn");
    const char *trace = durable__aws_resp_header(next, "Lambda-Runtime-Trace-Id");
    current_rec = (durable_lambda_invocation){request_id,
                                              deadline ? strtoll(deadline, NULL, 10) : 0,
                                              arn ? arn : "", trace ? trace : ""};
    /* The X-Ray trace of this invocation, where Lambda's runtimes put it. */
    if (trace)
        setenv("_X_AMZN_TRACE_ID", trace, 1);
    else
        unsetenv("_X_AMZN_TRACE_ID");
    durable_aws_client_set_deadline(client, current_rec.deadline_ms);
    atomic_store(&current, &current_rec);

    char *response_path = invocation_path(request_id, "response");
    char *error_path = invocation_path(request_id, "error");
    if (!response_path || !error_path) {
        durable_free(response_path);
        durable_free(error_path);
        atomic_store(&current, NULL);
        return durable__error_oom();
    }
    int rc;
    cJSON *event = NULL;
    durable_invocation_input in = {0};
    if (durable_json_parse(&event, next->body, next->body_len) != 0) {
        char *msg = durable__sprintf("%s (the event is not JSON: %s)",
                                     DURABLE_UNEXPECTED_PAYLOAD_MESSAGE,
                                     durable_error_last()->message);
        rc = post_error(rt, error_path, DURABLE_INVOCATION_ERROR_INPUT,
                        msg ? msg : DURABLE_UNEXPECTED_PAYLOAD_MESSAGE, NULL, 0);
        durable_free(msg);
    } else if (!cJSON_IsObject(event) || durable_invocation_input_from_json(&in, event) != 0) {
        char *msg = durable__sprintf("%s (%s)", DURABLE_UNEXPECTED_PAYLOAD_MESSAGE,
                                     cJSON_IsObject(event) ? durable_error_last()->message
                                                           : "the event is not a JSON object");
        rc = post_error(rt, error_path, DURABLE_INVOCATION_ERROR_INPUT,
                        msg ? msg : DURABLE_UNEXPECTED_PAYLOAD_MESSAGE, NULL, 0);
        durable_free(msg);
    } else {
        durable_invocation_options io = opts->invocation;
        io.request_id = request_id;
        durable_invocation_output out = {0};
        int hrc = durable_handle_invocation(&out, durable_aws_client_durable(client), &in,
                                            handler, user, &io);
        char *text = NULL;
        if (hrc == 0) {
            cJSON *json = NULL;
            if (durable_invocation_output_to_json(&json, &out) == 0)
                text = durable_json_print(json);
            cJSON_Delete(json);
            if (!text)
                hrc = DURABLE_ENOMEM;
        }
        if (text)
            rc = runtime_post(rt, response_path, text, NULL);
        else if (hrc == DURABLE_EINVOCATION && out.error)
            rc = post_error(rt, error_path,
                            out.error->error_type ? out.error->error_type
                                                  : DURABLE_INVOCATION_ERROR_INTERNAL,
                            out.error->error_message, out.error->stack_trace,
                            out.error->stack_trace_count);
        else
            rc = post_error(rt, error_path, DURABLE_INVOCATION_ERROR_INTERNAL,
                            durable_error_last()->message, NULL, 0);
        durable_free(text);
        durable_invocation_output_clear(&out);
    }
    atomic_store(&current, NULL);
    durable_aws_client_set_deadline(client, 0);
    durable_invocation_input_clear(&in);
    cJSON_Delete(event);
    durable_free(response_path);
    durable_free(error_path);
    return rc;
}

int durable_lambda_run(durable_handler_fn handler, void *user, const durable_lambda_options *opts)
{
    durable_lambda_options defaults = DURABLE_LAMBDA_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    runtime rt = {NULL, NULL};
    const char *api = opts->runtime_api && *opts->runtime_api ? opts->runtime_api
                                                              : getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api || !*api) {
        fprintf(stderr, "durable_lambda_run: AWS_LAMBDA_RUNTIME_API is not set: this program "
                        "runs as a Lambda custom runtime (or a function of `durable serve`)\n");
        return durable__error_set(DURABLE_EINVAL, "AWS_LAMBDA_RUNTIME_API is not set");
    }
    int rc = durable__aws_curl_init();
    if (rc != 0)
        return rc;
    rt.base = durable__sprintf("http://%s" RUNTIME, api);
    rt.h = curl_easy_init();
    if (!rt.base || !rt.h) {
        durable_free(rt.base);
        curl_easy_cleanup(rt.h);
        return durable__error_oom();
    }
    durable_aws_client *client = NULL;
    if (!handler) {
        rc = post_init_error(&rt, "durable_lambda_run: handler is NULL");
    } else if (durable_aws_client_new(&client, &opts->aws) != 0) {
        char *msg = durable__sprintf("the Lambda API client cannot be created: %s",
                                     durable_error_last()->message);
        rc = post_init_error(&rt, msg ? msg : durable_error_last()->message);
        durable_free(msg);
    }
    for (long done = 0; rc == 0 && (opts->max_invocations <= 0 || done < opts->max_invocations);
         done++) {
        durable__aws_resp next;
        rc = runtime_call(&rt, &next, "GET", "/invocation/next", NULL, NULL);
        if (rc == 0 && next.status != 200)
            rc = durable__error_set(DURABLE_EIO, "Lambda Runtime API invocation/next: HTTP %ld "
                                                 "%.200s", next.status, next.body);
        const char *id = rc == 0 ? durable__aws_resp_header(&next, "Lambda-Runtime-Aws-Request-Id")
                                 : NULL;
        char *request_id = id && *id ? durable__strdup(id) : NULL;
        if (rc == 0 && !request_id)
            rc = durable__error_set(DURABLE_EIO, "Lambda Runtime API invocation/next: no "
                                                 "Lambda-Runtime-Aws-Request-Id");
        if (rc == 0)
            rc = run_one(&rt, client, &next, request_id, handler, user, opts);
        else
            fprintf(stderr, "durable_lambda_run: %s\n", durable_error_last()->message);
        durable_free(request_id);
        durable__aws_resp_clear(&next);
        if (rc != 0)
            rc = DURABLE_EIO;
    }
    durable_aws_client_free(client);
    curl_easy_cleanup(rt.h);
    durable_free(rt.base);
    return rc;
}
