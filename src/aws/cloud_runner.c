/* The cloud test runner (seed "CloudDurableTestRunner"): Invoke on one
 * thread, poll GetDurableExecution + GetDurableExecutionHistory on another,
 * and hand back the local runner's result type. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "aws/cloud_internal.h"
#include "durable/ids.h"
#include "model/internal.h"

#define DEFAULT_POLL_MS 1000
#define DEFAULT_TIMEOUT_MS 300000

/* ---- small helpers ------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait on r->cv (r->mu held) until deadline (monotonic ms). */
static void cv_wait_until(durable_cloud_runner *r, int64_t deadline)
{
    struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
    (void)pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

static void bump(durable_cloud_runner *r)
{
    r->seq++;
    pthread_cond_broadcast(&r->cv);
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = durable__strdup(src)))
        return durable__error_oom();
    return 0;
}

/* The service's answer to a failed call, as the runner's error: a 403 is
 * DURABLE_EACCESS whatever the exception's name. */
static int service_error(int rc, const char *what)
{
    const durable_aws_error *e = durable_aws_error_last();
    const char *type = e->type && *e->type ? e->type : "no exception name";
    const char *msg = e->message ? e->message : durable_error_last()->message;
    if (e->http_status == 403)
        return durable__error_set(DURABLE_EACCESS, "Access denied: %s: %s: %s", what, type, msg);
    return durable__error_set(rc, "%s: %s: %s", what, type, msg);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

int durable_cloud_runner_new(durable_cloud_runner **out, const char *function,
                             const durable_cloud_runner_options *opts)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_new: out is NULL");
    *out = NULL;
    if (!function || !*function)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_new: no function name");
    durable_cloud_runner_options d = DURABLE_CLOUD_RUNNER_OPTIONS_INIT;
    const durable_cloud_runner_options *o = opts ? opts : &d;
    if (o->poll_interval_ms < 0 || o->timeout_ms < 0 || o->history_page_size < 0 ||
        o->invocation_type < DURABLE_AWS_INVOKE_REQUEST_RESPONSE ||
        o->invocation_type > DURABLE_AWS_INVOKE_EVENT)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_new: poll interval and "
                                                  "timeout must be >= 0, invocation type "
                                                  "RequestResponse or Event");
    durable_cloud_runner *r = durable__calloc(1, sizeof *r);
    if (!r)
        return durable__error_oom();
    r->o = *o;
    if (!r->o.poll_interval_ms)
        r->o.poll_interval_ms = DEFAULT_POLL_MS;
    if (!r->o.timeout_ms)
        r->o.timeout_ms = DEFAULT_TIMEOUT_MS;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = dup_opt(&r->function, function);
    if (rc == 0)
        rc = dup_opt(&r->qualifier, o->qualifier);
    if (rc == 0)
        rc = dup_opt(&r->execution_name, o->execution_name);
    if (rc == 0)
        rc = dup_opt(&r->tenant_id, o->tenant_id);
    if (rc == 0)
        rc = durable_aws_client_new(&r->client, &o->aws);
    r->o.qualifier = r->qualifier;
    r->o.execution_name = r->execution_name;
    r->o.tenant_id = r->tenant_id;
    if (rc < 0) {
        durable_cloud_runner_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

durable_aws_client *durable_cloud_runner_client(durable_cloud_runner *r)
{
    return r ? r->client : NULL;
}

const char *durable_cloud_runner_execution_arn(const durable_cloud_runner *r)
{
    return r ? r->arn : NULL;
}

/* Everything of the last run but the handles' selectors. */
static void run_clear(durable_cloud_runner *r)
{
    durable_free(r->arn);
    durable_free(r->run_msg);
    durable_free(r->inv_msg);
    durable_free(r->inv_arn);
    durable_free(r->run_name);
    durable_free(r->input);
    durable_free(r->tail_marker);
    durable_free(r->action_used);
    r->arn = r->run_msg = r->inv_msg = r->inv_arn = r->run_name = r->input = NULL;
    r->tail_marker = NULL;
    r->action_used = NULL;
    durable_test_result_free(r->latest);
    r->latest = NULL;
    for (size_t i = 0; i < r->event_count; i++)
        durable_event_clear(&r->events[i]);
    durable_free(r->events);
    r->events = NULL;
    r->event_count = r->tail_index = 0;
    r->scanned_event_id = 0;
    r->idle = false;
    r->seq_last_ms = 0;
    durable__cloud_planned_clear(r);
    r->finished = r->inv_done = r->stop = false;
    r->run_rc = r->inv_rc = 0;
}

static void join_threads(durable_cloud_runner *r)
{
    if (r->poller_started)
        pthread_join(r->poller, NULL);
    if (r->invoker_started)
        pthread_join(r->invoker, NULL);
    r->poller_started = r->invoker_started = false;
}

void durable_cloud_runner_free(durable_cloud_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    bump(r);
    pthread_mutex_unlock(&r->mu);
    join_threads(r);
    run_clear(r);
    durable__probes_free_all(&r->probes, &r->probe_count);
    durable_cloud_runner_clear_callback_actions(r);
    durable_aws_client_free(r->client);
    durable_free(r->function);
    durable_free(r->qualifier);
    durable_free(r->execution_name);
    durable_free(r->tenant_id);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    durable_free(r);
}

int durable_cloud_runner_reset(durable_cloud_runner *r)
{
    if (!r)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_reset: NULL");
    if (r->active)
        return durable__error_set(DURABLE_ESTATE, "durable_cloud_runner_reset: a run of %s is in "
                                                  "progress",
                                  r->function);
    run_clear(r);
    durable__probes_unbind_all(r->probes, r->probe_count);
    return 0;
}

/* ---- callback responders and actions ------------------------------------------------ */

static int add_action(durable__cb_action **arr, size_t *count, durable_cloud_runner *r,
                      const durable_test_callback_action *a, bool responder)
{
    if (!r || !a)
        return durable__error_set(DURABLE_EINVAL, "callback action: NULL argument");
    if (r->active)
        return durable__error_set(DURABLE_ESTATE, "adding a callback action: a run of %s is in "
                                                  "progress",
                                  r->function);
    return durable__cb_actions_add(arr, count, a, responder);
}

int durable_cloud_runner_add_callback_responder(durable_cloud_runner *r,
                                                const durable_test_callback_action *a)
{
    return add_action(r ? &r->responders : NULL, r ? &r->responder_count : NULL, r, a, true);
}

int durable_cloud_runner_add_callback_action(durable_cloud_runner *r,
                                             const durable_test_callback_action *a)
{
    return add_action(r ? &r->actions : NULL, r ? &r->action_count : NULL, r, a, false);
}

void durable_cloud_runner_clear_callback_actions(durable_cloud_runner *r)
{
    if (!r || r->active)
        return;
    durable__cb_actions_clear(&r->responders, &r->responder_count);
    durable__cb_actions_clear(&r->actions, &r->action_count);
}

/* ---- the invoker ----------------------------------------------------------------------- */

static void *invoker_main(void *arg)
{
    durable_cloud_runner *r = arg;
    durable_aws_invoke_request req = DURABLE_AWS_INVOKE_REQUEST_INIT;
    req.function_name = r->function;
    req.qualifier = r->qualifier;
    req.invocation_type = r->o.invocation_type;
    req.durable_execution_name = r->run_name;
    req.tenant_id = r->tenant_id;
    req.payload = r->input;
    req.payload_len = r->input ? strlen(r->input) : 0;
    /* A RequestResponse Invoke blocks until the end: it may take the run's
     * whole time, and no longer. */
    int64_t left = r->deadline_ms - mono_ms();
    req.timeout_ms = left > 1000 ? (long)left : 1000;
    durable_aws_invoke_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = durable_aws_invoke(r->client, &resp, &req);
    char *msg = NULL;
    if (rc < 0) {
        char what[400];
        snprintf(what, sizeof what, "Invoke %s", r->function);
        if (rc == DURABLE_ENOTFOUND && durable_aws_error_last()->http_status == 404)
            rc = durable__error_set(DURABLE_ENOFUNCTION, "Function not found: %s (%s: %s)",
                                    r->function, durable_aws_error_last()->type,
                                    durable_aws_error_last()->message);
        else
            rc = service_error(rc, what);
        msg = durable__strdup(durable_error_last()->message);
    }
    pthread_mutex_lock(&r->mu);
    r->inv_done = true;
    r->inv_rc = rc;
    r->inv_msg = msg;
    r->inv_arn = resp.durable_execution_arn;
    resp.durable_execution_arn = NULL;
    bump(r);
    pthread_mutex_unlock(&r->mu);
    durable_aws_invoke_response_clear(&resp);
    return NULL;
}

/* While a RequestResponse Invoke blocks, the execution is found by the name
 * the runner gave it. */
static int find_by_name(char **arn, durable_cloud_runner *r)
{
    durable_list_request req;
    memset(&req, 0, sizeof req);
    req.function_name = r->function;
    req.qualifier = r->qualifier;
    req.durable_execution_name = r->run_name;
    durable_list_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = durable_aws_list_executions(r->client, &resp, &req);
    if (rc == DURABLE_ENOTFOUND)
        return 0; /* not visible yet */
    if (rc < 0)
        return service_error(rc, "ListDurableExecutionsByFunction");
    for (size_t i = 0; i < resp.count && !*arn; i++) {
        const durable_execution_info *x = &resp.executions[i];
        if (x->durable_execution_name && !strcmp(x->durable_execution_name, r->run_name)) {
            *arn = x->durable_execution_arn;
            resp.executions[i].durable_execution_arn = NULL;
        }
    }
    durable_list_response_clear(&resp);
    return 0;
}

/* ---- the poller -------------------------------------------------------------------------- */

static bool is_exec_end(durable_event_type t)
{
    return t == DURABLE_EVENT_EXECUTION_SUCCEEDED || t == DURABLE_EVENT_EXECUTION_FAILED ||
           t == DURABLE_EVENT_EXECUTION_TIMED_OUT || t == DURABLE_EVENT_EXECUTION_STOPPED;
}

/* Read the history from the last page read (markers are stable positions),
 * following NextMarker to the end. */
static int read_history(durable_cloud_runner *r)
{
    for (size_t i = r->tail_index; i < r->event_count; i++)
        durable_event_clear(&r->events[i]);
    r->event_count = r->tail_index;
    char *marker = r->tail_marker ? durable__strdup(r->tail_marker) : NULL;
    if (r->tail_marker && !marker)
        return durable__error_oom();
    for (;;) {
        durable_history_request req;
        memset(&req, 0, sizeof req);
        req.durable_execution_arn = r->arn;
        req.include_execution_data = true;
        req.max_items = r->o.history_page_size;
        req.marker = marker;
        durable_history_response page;
        memset(&page, 0, sizeof page);
        int rc = durable_aws_get_history(r->client, &page, &req);
        if (rc < 0) {
            durable_free(marker);
            return service_error(rc, "GetDurableExecutionHistory");
        }
        durable_event *ev = durable__realloc(r->events, (r->event_count + page.count + 1) *
                                                            sizeof *ev);
        if (!ev) {
            durable_free(marker);
            durable_history_response_clear(&page);
            return durable__error_oom();
        }
        r->events = ev;
        r->tail_index = r->event_count;
        durable_free(r->tail_marker);
        r->tail_marker = marker;
        memcpy(&r->events[r->event_count], page.events, page.count * sizeof *page.events);
        r->event_count += page.count;
        durable_free(page.events);
        page.events = NULL;
        page.count = 0;
        marker = page.next_marker;
        page.next_marker = NULL;
        durable_history_response_clear(&page);
        if (!marker || !*marker) {
            durable_free(marker);
            return 0;
        }
    }
}

/* Plan the callbacks started since the last poll, once the invocation that
 * created them has ended (as the local runner, which plans them while the
 * execution is idle: an answer never overtakes the invocation's end). */
static int scan_callbacks(durable_cloud_runner *r, int64_t now)
{
    size_t end = r->event_count;
    while (end > 0 && r->events[end - 1].type != DURABLE_EVENT_INVOCATION_COMPLETED)
        end--;
    r->idle = end > 0 && end == r->event_count;
    for (size_t i = 0; i < end; i++) {
        const durable_event *e = &r->events[i];
        if (e->event_id <= r->scanned_event_id)
            continue;
        r->scanned_event_id = e->event_id;
        if (e->type != DURABLE_EVENT_CALLBACK_STARTED || !e->callback_id)
            continue;
        int rc = durable__cloud_plan_callback(r, e->callback_id, e->name, now);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One poll: 1 = terminal, 0 = not yet, < 0 = error. */
static int poll_once(durable_cloud_runner *r)
{
    durable_execution_info x;
    memset(&x, 0, sizeof x);
    int rc = durable_aws_get_execution(r->client, &x, r->arn);
    if (rc == DURABLE_ENOTFOUND)
        return 0; /* not visible yet */
    if (rc < 0)
        return service_error(rc, "GetDurableExecution");
    bool closed = x.status != DURABLE_EXEC_RUNNING && x.status != DURABLE_EXEC_STATUS_NONE;
    rc = read_history(r);
    durable_test_result *snap = NULL;
    if (rc == 0)
        rc = durable__cloud_result_build(&snap, &x, r->events, r->event_count);
    durable_execution_info_clear(&x);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&r->mu);
    durable_test_result_free(r->latest);
    r->latest = snap;
    bump(r);
    pthread_mutex_unlock(&r->mu);
    /* Closed, and the history final: its end event is the last one. */
    if (closed && r->event_count && is_exec_end(r->events[r->event_count - 1].type))
        return 1;
    return scan_callbacks(r, mono_ms());
}

static void finish(durable_cloud_runner *r, int rc)
{
    char *msg = rc < 0 ? durable__strdup(durable_error_last()->message) : NULL;
    pthread_mutex_lock(&r->mu);
    r->run_rc = rc;
    r->run_msg = msg;
    r->finished = true;
    bump(r);
    pthread_mutex_unlock(&r->mu);
}

static void *poller_main(void *arg)
{
    durable_cloud_runner *r = arg;
    int64_t next_poll = 0;
    bool inv_seen = false;
    for (;;) {
        int64_t now = mono_ms();
        if (now >= next_poll) {
            int rc = poll_once(r);
            if (rc < 0 || rc == 1) {
                finish(r, rc < 0 ? rc : 0);
                return NULL;
            }
            now = mono_ms();
            next_poll = now + r->o.poll_interval_ms;
        }
        /* Actions go out only between invocations, as the local runner
         * sends them. */
        if (r->idle)
            durable__cloud_apply_due(r, now);
        if (now >= r->deadline_ms) {
            finish(r, durable__error_set(DURABLE_ETIMEOUT,
                                         "Timeout waiting for execution %s to end after %lld ms "
                                         "(status RUNNING)",
                                         r->arn, (long long)r->o.timeout_ms));
            return NULL;
        }
        int64_t wake = next_poll < r->deadline_ms ? next_poll : r->deadline_ms;
        int64_t at = 0;
        if (r->idle && durable__cloud_next_planned(r, &at) && at < wake)
            wake = at;
        pthread_mutex_lock(&r->mu);
        if (!r->stop && !(r->inv_done && !inv_seen))
            cv_wait_until(r, wake);
        bool stop = r->stop;
        if (r->inv_done && !inv_seen) {
            /* The end of a RequestResponse Invoke is the end of the
             * execution: poll at once (once). */
            inv_seen = true;
            if (r->inv_rc == 0 && r->o.invocation_type == DURABLE_AWS_INVOKE_REQUEST_RESPONSE)
                next_poll = 0;
        }
        pthread_mutex_unlock(&r->mu);
        if (stop) {
            finish(r, durable__error_set(DURABLE_ESTATE, "the cloud runner was freed during "
                                                         "the run"));
            return NULL;
        }
    }
}

/* ---- runs ---------------------------------------------------------------------------------- */

int durable_cloud_runner_start(durable_cloud_runner *r, const char *input)
{
    if (!r)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_start: runner is NULL");
    if (r->active)
        return durable__error_set(DURABLE_ESTATE, "a run of %s is already in progress",
                                  r->function);
    if (input) {
        cJSON *j = cJSON_Parse(input);
        if (!j)
            return durable__error_set(DURABLE_ESERDES, "Serialization error: the input of %s is "
                                                       "not JSON",
                                      r->function);
        cJSON_Delete(j);
    }
    run_clear(r);
    durable__probes_unbind_all(r->probes, r->probe_count);
    char uuid[37];
    durable_uuid(uuid);
    if (!(r->run_name = durable__strdup(r->execution_name ? r->execution_name : uuid)) ||
        (input && !(r->input = durable__strdup(input))) ||
        (r->action_count && !(r->action_used = durable__calloc(r->action_count, 1))))
        return durable__error_oom();
    r->deadline_ms = mono_ms() + r->o.timeout_ms;
    if (pthread_create(&r->invoker, NULL, invoker_main, r) != 0)
        return durable__error_set(DURABLE_EIO, "cannot start the invoker thread");
    r->invoker_started = true;

    /* Until the ARN is known: the Invoke's answer, or the name listed. */
    char *arn = NULL;
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        bool done = r->inv_done;
        if (done && r->inv_rc == 0) {
            arn = r->inv_arn;
            r->inv_arn = NULL;
        }
        if (done && r->inv_rc < 0)
            rc = durable__error_set(r->inv_rc, "%s", r->inv_msg ? r->inv_msg : "Invoke failed");
        pthread_mutex_unlock(&r->mu);
        if (rc < 0 || arn)
            break;
        if (!done && r->o.invocation_type == DURABLE_AWS_INVOKE_REQUEST_RESPONSE &&
            (rc = find_by_name(&arn, r)) < 0)
            break;
        if (arn)
            break;
        if (mono_ms() >= r->deadline_ms) {
            rc = durable__error_set(DURABLE_ETIMEOUT, "Timeout waiting for the execution of %s "
                                                      "(name %s) to appear after %lld ms",
                                    r->function, r->run_name, (long long)r->o.timeout_ms);
            break;
        }
        pthread_mutex_lock(&r->mu);
        if (!r->inv_done)
            cv_wait_until(r, mono_ms() + r->o.poll_interval_ms);
        pthread_mutex_unlock(&r->mu);
    }
    if (rc < 0 || !arn) {
        /* Keep the message over the join. */
        char keep[1024];
        snprintf(keep, sizeof keep, "%s", durable_error_last()->message);
        join_threads(r);
        durable_free(arn);
        return durable__error_set(rc < 0 ? rc : DURABLE_EIO, "%s", keep);
    }
    r->arn = arn;
    r->active = true;
    if (pthread_create(&r->poller, NULL, poller_main, r) != 0) {
        finish(r, durable__error_set(DURABLE_EIO, "cannot start the poller thread"));
        return DURABLE_EIO;
    }
    r->poller_started = true;
    return 0;
}

struct durable_cloud_log_sink {
    char **lines;
    size_t count, cap;
};

int durable_cloud_log_add(durable_cloud_log_sink *sink, const char *line)
{
    if (!sink || !line)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_log_add: NULL argument");
    if (sink->count == sink->cap) {
        size_t cap = sink->cap ? 2 * sink->cap : 64;
        char **g = durable__realloc(sink->lines, cap * sizeof *g);
        if (!g)
            return durable__error_oom();
        sink->lines = g;
        sink->cap = cap;
    }
    if (!(sink->lines[sink->count] = durable__strdup(line)))
        return durable__error_oom();
    sink->count++;
    return 0;
}

static int fetch_logs(durable_test_result *res, durable_cloud_runner *r)
{
    if (!r->o.fetch_logs || !res)
        return 0;
    durable_cloud_log_sink sink = {NULL, 0, 0};
    int rc = r->o.fetch_logs(&sink, r->arn, r->o.fetch_logs_user);
    if (rc < 0) {
        for (size_t i = 0; i < sink.count; i++)
            durable_free(sink.lines[i]);
        durable_free(sink.lines);
        return rc;
    }
    res->logs = sink.lines;
    res->log_count = sink.count;
    return 0;
}

int durable_cloud_runner_await(durable_test_result **out, durable_cloud_runner *r)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_await: NULL argument");
    *out = NULL;
    if (!r->active)
        return durable__error_set(DURABLE_ESTATE, "durable_cloud_runner_await: no run of %s was "
                                                  "started",
                                  r->function);
    join_threads(r);
    r->active = false;
    int rc = r->run_rc;
    durable_test_result *res = r->latest;
    r->latest = NULL;
    if (rc == 0 && !res)
        rc = durable__error_set(DURABLE_ESTATE, "execution %s ended without a snapshot", r->arn);
    if (rc == 0) {
        rc = fetch_logs(res, r);
        if (rc < 0 && !r->run_msg)
            r->run_msg = durable__strdup(durable_error_last()->message);
    }
    if (rc < 0 && rc != DURABLE_ETIMEOUT) {
        durable_test_result_free(res);
        return durable__error_set(rc, "%s", r->run_msg ? r->run_msg : durable_error_last()->message);
    }
    /* The handles keep the final state. */
    (void)durable__cloud_bind(r, res);
    *out = res;
    if (rc == DURABLE_ETIMEOUT)
        return durable__error_set(rc, "%s", r->run_msg ? r->run_msg : "timeout");
    return 0;
}

int durable_cloud_runner_run(durable_test_result **out, durable_cloud_runner *r,
                             const char *input)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_run: out is NULL");
    *out = NULL;
    int rc = durable_cloud_runner_start(r, input);
    if (rc < 0)
        return rc;
    return durable_cloud_runner_await(out, r);
}
