/* The cloud runner's callback responders and actions: the local runner's
 * rules (testing.h, SPEC §12.4) on real time, sent through the API. */
#include <string.h>

#include "aws/cloud_internal.h"
#include "model/internal.h"

/* After a heartbeat the next action for the same callback waits at least
 * this long, as the local runner does (and the official runner, which polls
 * every 2 s). */
#define HEARTBEAT_GAP_MS 2000

int durable__cloud_send(durable_cloud_runner *r, int kind, const char *callback_id,
                        const char *payload, const durable_error_object *error)
{
    switch (kind) {
    case DURABLE__CB_SUCCEED:
        return durable_aws_callback_success(r->client, callback_id, payload,
                                            payload ? strlen(payload) : 0);
    case DURABLE__CB_FAIL: return durable_aws_callback_failure(r->client, callback_id, error);
    case DURABLE__CB_HEARTBEAT: return durable_aws_callback_heartbeat(r->client, callback_id);
    default: return 0;
    }
}

static int add_planned(durable_cloud_runner *r, const char *id, const char *name, int op,
                       const durable__cb_action *src, int64_t at, int hb_left, bool sequence)
{
    return durable__planned_add(&r->planned, &r->planned_count, id, name, op, src, at, hb_left,
                                sequence);
}

static void remove_planned(durable_cloud_runner *r, size_t i)
{
    durable__planned_remove(r->planned, &r->planned_count, i);
}

void durable__cloud_planned_clear(durable_cloud_runner *r)
{
    while (r->planned_count)
        remove_planned(r, r->planned_count - 1);
    durable_free(r->planned);
    r->planned = NULL;
}

static long next_action(durable_cloud_runner *r, const char *name)
{
    durable__cb_plan plan = {&r->planned,     &r->planned_count, r->actions,
                             r->action_count, r->action_used,    &r->seq_last_ms};
    return durable__cb_plan_next(&plan, name);
}

/* Take action idx for the callback: sent delay_ms after the previous
 * action of the sequence (never before not_before). Returns its time. */
static int64_t take_action(durable_cloud_runner *r, long idx, int64_t not_before)
{
    r->action_used[idx] = true;
    int64_t base = r->seq_last_ms > not_before ? r->seq_last_ms : not_before;
    r->seq_last_ms = base + r->actions[idx].delay_ms;
    return r->seq_last_ms;
}

int durable__cloud_plan_callback(durable_cloud_runner *r, const char *callback_id,
                                 const char *name, int64_t now_ms)
{
    long idx = r->action_count ? next_action(r, name) : -1;
    if (idx >= 0) {
        int64_t at = take_action(r, idx, now_ms);
        const durable__cb_action *a = &r->actions[idx];
        if (a->op == DURABLE__CB_NEVER)
            return 0;
        return add_planned(r, callback_id, name, a->op, a, at, 0, true);
    }
    for (size_t i = 0; i < r->responder_count; i++) {
        const durable__cb_action *a = &r->responders[i];
        if (!durable__cb_action_matches(a, name))
            continue;
        if (a->op == DURABLE__CB_NEVER && a->heartbeat_count == 0)
            return 0;
        return add_planned(r, callback_id, name, a->op, a, now_ms + a->delay_ms,
                           a->heartbeat_count, false);
    }
    if (r->action_count && r->o.strict_callback_actions)
        return durable__error_set(DURABLE_ENOTFOUND,
                                  "No callback action matches callback %s%s%s (id %s): every "
                                  "action whose name matches is already used",
                                  name ? "'" : "", name ? name : "(unnamed)", name ? "'" : "",
                                  callback_id);
    return 0;
}

static void send_planned(const durable__planned *p, int op, void *user)
{
    durable_error_object eo;
    memset(&eo, 0, sizeof eo);
    eo.error_type = p->src->error_type;
    eo.error_message = p->src->error_message;
    eo.error_data = p->src->error_data;
    /* A refused action (the callback timed out, the execution closed)
     * leaves the service's outcome in place, as for any caller. */
    (void)durable__cloud_send(user, op, p->callback_id, p->src->payload, &eo);
}

bool durable__cloud_next_planned(const durable_cloud_runner *r, int64_t *at_ms)
{
    for (size_t i = 0; i < r->planned_count; i++)
        if (i == 0 || r->planned[i].at_ms < *at_ms)
            *at_ms = r->planned[i].at_ms;
    return r->planned_count > 0;
}

void durable__cloud_apply_due(durable_cloud_runner *r, int64_t now_ms)
{
    durable__cb_plan plan = {&r->planned,     &r->planned_count, r->actions,
                             r->action_count, r->action_used,    &r->seq_last_ms};
    durable__cb_plan_apply_due(&plan, now_ms, HEARTBEAT_GAP_MS, send_planned, r);
}
