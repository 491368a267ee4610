/*
 * The mock client (client.h; seed design properties 16 and 17): queued
 * responses returned in queue order, queued errors, and a record of every
 * call with deep copies of what was sent.
 *
 * One mutex guards everything: the batcher calls the mock from its own
 * thread while a test thread may queue responses or read the record.
 * Recorded calls are heap cells that never move, so a pointer handed out by
 * durable_mock_client_call stays valid while later calls are recorded.
 */
#include <pthread.h>
#include <string.h>

#include "durable/client.h"
#include "model/internal.h"

/* A queued checkpoint outcome: a response, or an error code with its message. */
typedef struct cp_item {
    int status; /* 0 = resp, < 0 = error */
    char *message;
    durable_checkpoint_response resp;
} cp_item;

struct durable_mock_client {
    durable_client client; /* handed out borrowed; user = this mock */
    pthread_mutex_t mu;

    cp_item *cp;           /* ring-less FIFO: [cp_head, cp_count) pending */
    size_t cp_head, cp_count, cp_cap;
    durable_state_response *st;
    size_t st_head, st_count, st_cap;
    size_t default_seq;    /* last k of "mock-token-<k>" */

    durable_mock_call **calls;
    size_t call_count, call_cap;
};

/* ---- copies of responses ------------------------------------------------------ */

static int copy_ops(durable_operation_list *out, const durable_operation_list *in)
{
    for (size_t i = 0; i < in->count; i++) {
        int rc = durable_operation_list_append(out, &in->items[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int copy_checkpoint_response(durable_checkpoint_response *out,
                                    const durable_checkpoint_response *in)
{
    memset(out, 0, sizeof *out);
    if ((in->checkpoint_token && !(out->checkpoint_token = durable__strdup(in->checkpoint_token))) ||
        (in->next_marker && !(out->next_marker = durable__strdup(in->next_marker)))) {
        durable_checkpoint_response_clear(out);
        return durable__error_oom();
    }
    int rc = copy_ops(&out->operations, &in->operations);
    if (rc)
        durable_checkpoint_response_clear(out);
    return rc;
}

static int copy_state_response(durable_state_response *out, const durable_state_response *in)
{
    memset(out, 0, sizeof *out);
    if (in->next_marker && !(out->next_marker = durable__strdup(in->next_marker)))
        return durable__error_oom();
    int rc = copy_ops(&out->operations, &in->operations);
    if (rc)
        durable_state_response_clear(out);
    return rc;
}

/* Grow a FIFO array so one more item fits after the live ones. Consumed
 * items at the front are compacted away first, so a long-lived mock that
 * is fed and drained in turns does not grow without bound. */
static int fifo_reserve(void **items, size_t *head, size_t *count, size_t *cap, size_t size)
{
    if (*head > 0 && *head + *count == *cap) {
        memmove(*items, (char *)*items + *head * size, *count * size);
        *head = 0;
    }
    if (*head + *count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = durable__realloc(*items, ncap * size);
    if (!n)
        return durable__error_oom();
    *items = n;
    *cap = ncap;
    return 0;
}

/* ---- call record ---------------------------------------------------------------- */

static void call_free(durable_mock_call *c)
{
    if (!c)
        return;
    durable_free(c->durable_execution_arn);
    durable_free(c->checkpoint_token);
    for (size_t i = 0; i < c->update_count; i++)
        durable_operation_update_clear(&c->updates[i]);
    durable_free(c->updates);
    durable_free(c->marker);
    durable_free(c->callback_id);
    durable_free(c);
}

/* Append a call (taken) to the record; on failure frees it. Caller holds mu. */
static int record(durable_mock_client *m, durable_mock_call *c)
{
    if (m->call_count == m->call_cap) {
        size_t ncap = m->call_cap ? m->call_cap * 2 : 16;
        durable_mock_call **n = durable__realloc(m->calls, ncap * sizeof *n);
        if (!n) {
            call_free(c);
            return durable__error_oom();
        }
        m->calls = n;
        m->call_cap = ncap;
    }
    m->calls[m->call_count++] = c;
    return 0;
}

static durable_mock_call *call_new(int kind, const char *arn, const char *token)
{
    durable_mock_call *c = durable__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = kind;
    if ((arn && !(c->durable_execution_arn = durable__strdup(arn))) ||
        (token && !(c->checkpoint_token = durable__strdup(token)))) {
        call_free(c);
        return NULL;
    }
    return c;
}

/* ---- vtable ---------------------------------------------------------------------- */

static int mock_checkpoint(void *user, durable_checkpoint_response *out,
                           const durable_checkpoint_request *req)
{
    durable_mock_client *m = user;
    durable_mock_call *c = call_new(DURABLE_MOCK_CHECKPOINT, req->durable_execution_arn,
                                    req->checkpoint_token);
    if (!c)
        return durable__error_oom();
    if (req->update_count) {
        c->updates = durable__calloc(req->update_count, sizeof *c->updates);
        if (!c->updates) {
            call_free(c);
            return durable__error_oom();
        }
        for (size_t i = 0; i < req->update_count; i++) {
            int rc = durable_operation_update_copy(&c->updates[i], &req->updates[i]);
            if (rc) {
                call_free(c);
                return rc;
            }
            c->update_count = i + 1;
        }
    }
    pthread_mutex_lock(&m->mu);
    /* The call is recorded even when it then fails: property 17 is about
     * every call made, and tests check what a rejected call carried. */
    int rc = record(m, c);
    if (rc) {
        pthread_mutex_unlock(&m->mu);
        return rc;
    }
    if (m->cp_count == 0) {
        size_t n = m->call_count;
        pthread_mutex_unlock(&m->mu);
        return durable__error_set(DURABLE_ESTATE,
                                  "mock client: checkpoint call #%zu but no response is queued",
                                  n);
    }
    cp_item it = m->cp[m->cp_head];
    memset(&m->cp[m->cp_head], 0, sizeof it);
    m->cp_head++;
    m->cp_count--;
    pthread_mutex_unlock(&m->mu);
    if (it.status < 0) {
        rc = durable__error_set(it.status, "%s", it.message ? it.message : "mock error");
        durable_free(it.message);
        durable_checkpoint_response_clear(&it.resp);
        return rc;
    }
    durable_free(it.message);
    *out = it.resp; /* moved: the queued copy becomes the caller's */
    return 0;
}

static int mock_get_state(void *user, durable_state_response *out,
                          const durable_state_request *req)
{
    durable_mock_client *m = user;
    durable_mock_call *c = call_new(DURABLE_MOCK_GET_STATE, req->durable_execution_arn,
                                    req->checkpoint_token);
    if (!c || (req->marker && !(c->marker = durable__strdup(req->marker)))) {
        call_free(c);
        return durable__error_oom();
    }
    pthread_mutex_lock(&m->mu);
    int rc = record(m, c);
    if (rc) {
        pthread_mutex_unlock(&m->mu);
        return rc;
    }
    if (m->st_count == 0) {
        size_t n = m->call_count;
        pthread_mutex_unlock(&m->mu);
        return durable__error_set(DURABLE_ESTATE,
                                  "mock client: get-state call #%zu but no response is queued",
                                  n);
    }
    *out = m->st[m->st_head];
    memset(&m->st[m->st_head], 0, sizeof *out);
    m->st_head++;
    m->st_count--;
    pthread_mutex_unlock(&m->mu);
    return 0;
}

/* Callback calls are recorded and accepted: the mock plays no callback state. */
static int mock_callback(durable_mock_client *m, const char *callback_id)
{
    durable_mock_call *c = call_new(DURABLE_MOCK_CALLBACK, NULL, NULL);
    if (!c || !(c->callback_id = durable__strdup(callback_id))) {
        call_free(c);
        return durable__error_oom();
    }
    pthread_mutex_lock(&m->mu);
    int rc = record(m, c);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int mock_callback_success(void *user, const char *callback_id, const char *result,
                                 size_t result_len)
{
    (void)result;
    (void)result_len;
    return mock_callback(user, callback_id);
}

static int mock_callback_failure(void *user, const char *callback_id,
                                 const durable_error_object *error)
{
    (void)error;
    return mock_callback(user, callback_id);
}

static int mock_callback_heartbeat(void *user, const char *callback_id)
{
    return mock_callback(user, callback_id);
}

/* No destroy: the client is part of the mock and dies with it. */
static const durable_client_vtable mock_vtable = {
    mock_checkpoint,       mock_get_state,          mock_callback_success,
    mock_callback_failure, mock_callback_heartbeat, NULL,
};

/* ---- public API ------------------------------------------------------------------ */

int durable_mock_client_new(durable_mock_client **out, durable_client **client_out)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_mock_client_new: out is NULL");
    *out = NULL;
    if (client_out)
        *client_out = NULL;
    durable_mock_client *m = durable__calloc(1, sizeof *m);
    if (!m)
        return durable__error_oom();
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        durable_free(m);
        return durable__error_set(DURABLE_ERROR, "durable_mock_client_new: mutex init failed");
    }
    m->client.vtable = &mock_vtable;
    m->client.user = m;
    *out = m;
    if (client_out)
        *client_out = &m->client;
    return 0;
}

void durable_mock_client_free(durable_mock_client *m)
{
    if (!m)
        return;
    for (size_t i = m->cp_head; i < m->cp_head + m->cp_count; i++) {
        durable_free(m->cp[i].message);
        durable_checkpoint_response_clear(&m->cp[i].resp);
    }
    durable_free(m->cp);
    for (size_t i = m->st_head; i < m->st_head + m->st_count; i++)
        durable_state_response_clear(&m->st[i]);
    durable_free(m->st);
    for (size_t i = 0; i < m->call_count; i++)
        call_free(m->calls[i]);
    durable_free(m->calls);
    pthread_mutex_destroy(&m->mu);
    durable_free(m);
}

/* Append a prepared item (taken on success; the caller clears it on failure). */
static int push_cp(durable_mock_client *m, cp_item *it)
{
    pthread_mutex_lock(&m->mu);
    int rc = fifo_reserve((void **)&m->cp, &m->cp_head, &m->cp_count, &m->cp_cap, sizeof *m->cp);
    if (rc == 0) {
        m->cp[m->cp_head + m->cp_count++] = *it;
        memset(it, 0, sizeof *it);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int durable_mock_client_queue_checkpoint(durable_mock_client *m,
                                         const durable_checkpoint_response *resp)
{
    if (!m || !resp)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_mock_client_queue_checkpoint: mock and resp are required");
    cp_item it = {0};
    int rc = copy_checkpoint_response(&it.resp, resp);
    if (rc)
        return rc;
    rc = push_cp(m, &it);
    durable_checkpoint_response_clear(&it.resp);
    return rc;
}

int durable_mock_client_queue_checkpoint_error(durable_mock_client *m, int status,
                                               const char *message)
{
    if (!m)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_mock_client_queue_checkpoint_error: mock is NULL");
    if (status >= 0)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_mock_client_queue_checkpoint_error: status %d is not "
                                  "an error code (< 0)",
                                  status);
    cp_item it = {0};
    it.status = status;
    if (!(it.message = durable__strdup(message ? message : durable_strerror(status))))
        return durable__error_oom();
    int rc = push_cp(m, &it);
    durable_free(it.message);
    return rc;
}

int durable_mock_client_queue_state(durable_mock_client *m, const durable_state_response *resp)
{
    if (!m || !resp)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_mock_client_queue_state: mock and resp are required");
    durable_state_response copy;
    int rc = copy_state_response(&copy, resp);
    if (rc)
        return rc;
    pthread_mutex_lock(&m->mu);
    rc = fifo_reserve((void **)&m->st, &m->st_head, &m->st_count, &m->st_cap, sizeof *m->st);
    if (rc == 0)
        m->st[m->st_head + m->st_count++] = copy;
    pthread_mutex_unlock(&m->mu);
    if (rc)
        durable_state_response_clear(&copy);
    return rc;
}

int durable_mock_client_queue_default(durable_mock_client *m, size_t n)
{
    if (!m)
        return durable__error_set(DURABLE_EINVAL, "durable_mock_client_queue_default: mock is NULL");
    for (size_t i = 0; i < n; i++) {
        cp_item it = {0};
        pthread_mutex_lock(&m->mu);
        size_t k = ++m->default_seq;
        pthread_mutex_unlock(&m->mu);
        if (!(it.resp.checkpoint_token = durable__sprintf("mock-token-%zu", k)))
            return durable__error_oom();
        int rc = push_cp(m, &it);
        durable_checkpoint_response_clear(&it.resp);
        if (rc)
            return rc;
    }
    return 0;
}

size_t durable_mock_client_call_count(const durable_mock_client *m)
{
    if (!m)
        return 0;
    pthread_mutex_t *mu = (pthread_mutex_t *)&m->mu; /* logically const */
    pthread_mutex_lock(mu);
    size_t n = m->call_count;
    pthread_mutex_unlock(mu);
    return n;
}

const durable_mock_call *durable_mock_client_call(const durable_mock_client *m, size_t index)
{
    if (!m)
        return NULL;
    pthread_mutex_t *mu = (pthread_mutex_t *)&m->mu;
    pthread_mutex_lock(mu);
    const durable_mock_call *c = index < m->call_count ? m->calls[index] : NULL;
    pthread_mutex_unlock(mu);
    return c;
}
