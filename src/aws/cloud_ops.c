/* The cloud runner's live operation handles: the testing layer's handles
 * (testing.h) whose state comes from the runner's latest poll and whose
 * callbacks go through the API. Only the test thread binds them; the
 * poller only swaps the snapshot they are bound from (under the mutex). */
#include <time.h>

#include "aws/cloud_internal.h"
#include "model/internal.h"

static int live_refresh(durable_test_operation *op);
static bool live_running(durable_test_operation *op);
static uint64_t live_seq(durable_test_operation *op);
static void live_wait_change(durable_test_operation *op, uint64_t seen, int64_t deadline_ms);
static int live_send(durable_test_operation *op, int kind, const char *callback_id,
                     const char *result, const durable_error_object *error);

static const durable__op_live cloud_live = {live_refresh, live_running, live_seq,
                                            live_wait_change, live_send};

/* Bind r's handles from res (NULL: unbind). */
int durable__cloud_bind(durable_cloud_runner *r, const durable_test_result *res)
{
    durable__probe_owner who = {NULL, &cloud_live, r};
    if (!res) {
        durable__probes_unbind_all(r->probes, r->probe_count);
        return 0;
    }
    return durable__probes_bind(&r->probes, &r->probe_count, &who, res);
}

static int live_refresh(durable_test_operation *op)
{
    durable_cloud_runner *r = op->live_owner;
    pthread_mutex_lock(&r->mu);
    int rc = r->latest ? durable__cloud_bind(r, r->latest) : 0;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static bool live_running(durable_test_operation *op)
{
    durable_cloud_runner *r = op->live_owner;
    pthread_mutex_lock(&r->mu);
    bool on = r->active && !r->finished;
    pthread_mutex_unlock(&r->mu);
    return on;
}

static uint64_t live_seq(durable_test_operation *op)
{
    durable_cloud_runner *r = op->live_owner;
    pthread_mutex_lock(&r->mu);
    uint64_t s = r->seq;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static void live_wait_change(durable_test_operation *op, uint64_t seen, int64_t deadline_ms)
{
    durable_cloud_runner *r = op->live_owner;
    pthread_mutex_lock(&r->mu);
    while (r->seq == seen && r->active && !r->finished) {
        if (deadline_ms < 0) {
            pthread_cond_wait(&r->cv, &r->mu);
            continue;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 >= deadline_ms)
            break;
        struct timespec ts = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
        (void)pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    pthread_mutex_unlock(&r->mu);
}

static int live_send(durable_test_operation *op, int kind, const char *callback_id,
                     const char *result, const durable_error_object *error)
{
    return durable__cloud_send(op->live_owner, kind, callback_id, result, error);
}

static int lookup(durable_test_operation **out, durable_cloud_runner *r, int sel,
                  const char *name, size_t index, const char *id)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_get_operation: NULL "
                                                  "argument");
    *out = NULL;
    if ((sel == SEL_NAME || sel == SEL_NAME_INDEX) && !name)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_get_operation: name is "
                                                  "NULL");
    if (sel == SEL_ID && !id)
        return durable__error_set(DURABLE_EINVAL, "durable_cloud_runner_get_operation_by_id: id "
                                                  "is NULL");
    durable__probe_owner who = {NULL, &cloud_live, r};
    bool created = false;
    int rc = durable__probes_lookup(out, &r->probes, &r->probe_count, &who, sel, name, index, id,
                                    &created);
    if (rc == 0 && created)
        rc = live_refresh(*out);
    return rc;
}

int durable_cloud_runner_get_operation(durable_test_operation **out, durable_cloud_runner *r,
                                       const char *name)
{
    return lookup(out, r, SEL_NAME, name, 0, NULL);
}

int durable_cloud_runner_get_operation_by_index(durable_test_operation **out,
                                                durable_cloud_runner *r, size_t index)
{
    return lookup(out, r, SEL_INDEX, NULL, index, NULL);
}

int durable_cloud_runner_get_operation_by_name_and_index(durable_test_operation **out,
                                                         durable_cloud_runner *r,
                                                         const char *name, size_t index)
{
    return lookup(out, r, SEL_NAME_INDEX, name, index, NULL);
}

int durable_cloud_runner_get_operation_by_id(durable_test_operation **out,
                                             durable_cloud_runner *r, const char *id)
{
    return lookup(out, r, SEL_ID, NULL, 0, id);
}
