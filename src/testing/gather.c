/* Snapshots: everything a test result shows, read from the engine in one
 * request on the checkpoint server thread (so the parts are consistent). */
#include <string.h>

#include "durable/engine.h"
#include "durable/server.h"
#include "model/internal.h"
#include "testing/testing_internal.h"

void durable__snap_clear(durable__snap *s)
{
    if (!s)
        return;
    durable_execution_info_clear(&s->exec);
    durable_operation_list_clear(&s->ops);
    for (size_t i = 0; i < s->event_count; i++)
        durable_event_clear(&s->events[i]);
    durable_free(s->events);
    for (size_t i = 0; i < s->inv_count; i++) {
        durable_free(s->invs[i].request_id);
        durable_free(s->invs[i].outcome);
        durable_error_object_free(s->invs[i].error);
    }
    durable_free(s->invs);
    memset(s, 0, sizeof *s);
}

typedef struct gather_arg {
    durable__snap *snap;
    const char *arn;
    bool defer_history;
} gather_arg;

static int gather_history(durable_engine *e, durable__snap *s, const char *arn)
{
    char *marker = NULL;
    size_t cap = 0;
    for (;;) {
        durable_history_request req;
        memset(&req, 0, sizeof req);
        req.durable_execution_arn = (char *)arn;
        req.include_execution_data = true;
        req.max_items = DURABLE_MAX_ITEMS;
        req.marker = marker;
        durable_history_response resp;
        memset(&resp, 0, sizeof resp);
        int rc = durable_engine_get_history(&resp, e, &req);
        durable_free(marker);
        marker = NULL;
        if (rc < 0)
            return rc;
        if (s->event_count + resp.count > cap) {
            size_t ncap = cap ? cap : 64;
            while (ncap < s->event_count + resp.count)
                ncap *= 2;
            durable_event *ev = durable__realloc(s->events, ncap * sizeof *ev);
            if (!ev) {
                durable_history_response_clear(&resp);
                return durable__error_oom();
            }
            s->events = ev;
            cap = ncap;
        }
        /* Move the events out of the page. */
        memcpy(&s->events[s->event_count], resp.events, resp.count * sizeof *resp.events);
        s->event_count += resp.count;
        durable_free(resp.events);
        resp.events = NULL;
        resp.count = 0;
        marker = resp.next_marker;
        resp.next_marker = NULL;
        durable_history_response_clear(&resp);
        if (!marker || !*marker) {
            durable_free(marker);
            return 0;
        }
    }
}

static int gather_invocations(durable_engine *e, durable__snap *s, const char *arn)
{
    durable_invocation_info_list l;
    memset(&l, 0, sizeof l);
    int rc = durable_engine_list_invocations(&l, e, arn);
    if (rc < 0)
        return rc;
    if (l.count) {
        s->invs = durable__calloc(l.count, sizeof *s->invs);
        if (!s->invs) {
            durable_invocation_info_list_clear(&l);
            return durable__error_oom();
        }
    }
    for (size_t i = 0; i < l.count; i++) {
        durable__inv *v = &s->invs[i];
        v->request_id = l.items[i].invocation_id;
        l.items[i].invocation_id = NULL;
        v->outcome = l.items[i].outcome;
        l.items[i].outcome = NULL;
        v->error = l.items[i].error;
        l.items[i].error = NULL;
        v->start_timestamp = l.items[i].start_timestamp;
        v->end_timestamp = l.items[i].end_timestamp;
        s->inv_count++;
    }
    durable_invocation_info_list_clear(&l);
    return 0;
}

static int gather_on_server(durable_engine *e, void *argp)
{
    gather_arg *a = argp;
    durable__snap *s = a->snap;
    int rc = durable_engine_get_execution(&s->exec, e, a->arn);
    if (rc < 0) {
        if (rc == DURABLE_ENOTFOUND)
            durable__error_set(rc, "Execution not found: %s", a->arn);
        return rc;
    }
    durable_operation_list all;
    memset(&all, 0, sizeof all);
    rc = durable_engine_list_operations(&all, e, a->arn);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < all.count && rc == 0; i++)
        if (all.items[i].type != DURABLE_OP_EXECUTION)
            rc = durable_operation_list_take(&s->ops, &all.items[i]);
    durable_operation_list_clear(&all);
    if (rc < 0)
        return rc;
    if (a->defer_history && s->exec.status != DURABLE_EXEC_RUNNING &&
        s->exec.status != DURABLE_EXEC_STATUS_NONE) {
        /* Reading and decoding every event is most of a short run's result
         * cost; a closed execution's history no longer changes once its
         * last invocation ended and its terminal event is written. */
        durable_execution_state st;
        memset(&st, 0, sizeof st);
        rc = durable_engine_execution_state(&st, e, a->arn);
        s->history_deferred =
            rc == 0 && !st.invocation_in_flight && !st.terminal_event_pending;
        durable_execution_state_clear(&st);
        if (rc < 0)
            return rc;
    }
    if (!s->history_deferred && (rc = gather_history(e, s, a->arn)) < 0)
        return rc;
    return gather_invocations(e, s, a->arn);
}

static int history_on_server(durable_engine *e, void *argp)
{
    gather_arg *a = argp;
    return gather_history(e, a->snap, a->arn);
}

int durable__snap_gather_history(durable__snap *s, const char *arn)
{
    durable_server *srv = durable__tenv_server();
    if (!srv)
        return durable__error_set(DURABLE_ENOTSETUP,
                                  "EnvironmentNotSetUp: reading the history of %s needs the test "
                                  "environment",
                                  arn);
    gather_arg a = { s, arn, false };
    int rc = durable_server_call(srv, history_on_server, &a);
    if (rc < 0) {
        for (size_t i = 0; i < s->event_count; i++)
            durable_event_clear(&s->events[i]);
        durable_free(s->events);
        s->events = NULL;
        s->event_count = 0;
    }
    return rc;
}

int durable__snap_gather(durable__snap *out, const char *arn, bool defer_history)
{
    durable_server *srv = durable__tenv_server();
    if (!srv)
        return durable__error_set(DURABLE_ENOTSETUP,
                                  "EnvironmentNotSetUp: reading execution %s needs the test "
                                  "environment",
                                  arn);
    memset(out, 0, sizeof *out);
    gather_arg a = { out, arn, defer_history };
    int rc = durable_server_call(srv, gather_on_server, &a);
    if (rc < 0)
        durable__snap_clear(out);
    return rc;
}
