/* Test results (seed design "TestResult"): status, result, error,
 * operations (start order, by status, lookups), invocations, history. */
#include <pthread.h>
#include <string.h>

#include "model/internal.h"
#include "testing/result_internal.h"

/* ---- operation index ------------------------------------------------------------ */

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void durable__opindex_clear(durable__opindex *ix)
{
    durable_free(ix->slots);
    durable_free(ix->first_child);
    durable_free(ix->next_sibling);
    memset(ix, 0, sizeof *ix);
}

long durable__opindex_find(const durable__opindex *ix, const durable_operation *ops,
                           const char *id)
{
    if (!id || !ix->nslots)
        return -1;
    size_t mask = ix->nslots - 1;
    for (size_t s = (size_t)hash_id(id) & mask;; s = (s + 1) & mask) {
        long i = ix->slots[s];
        if (i < 0)
            return -1;
        if (ops[i].id && strcmp(ops[i].id, id) == 0)
            return i;
    }
}

int durable__opindex_build(durable__opindex *ix, const durable_operation *ops, size_t n)
{
    memset(ix, 0, sizeof *ix);
    ix->n = n;
    size_t ns = 16;
    while (ns < 2 * n)
        ns *= 2;
    ix->nslots = ns;
    ix->slots = durable__malloc(ns * sizeof *ix->slots);
    ix->first_child = durable__malloc((n ? n : 1) * sizeof *ix->first_child);
    ix->next_sibling = durable__malloc((n ? n : 1) * sizeof *ix->next_sibling);
    if (!ix->slots || !ix->first_child || !ix->next_sibling) {
        durable__opindex_clear(ix);
        return durable__error_oom();
    }
    for (size_t s = 0; s < ns; s++)
        ix->slots[s] = -1;
    for (size_t i = 0; i < n; i++) {
        ix->first_child[i] = -1;
        ix->next_sibling[i] = -1;
        if (!ops[i].id || durable__opindex_find(ix, ops, ops[i].id) >= 0)
            continue; /* keep the first of duplicate ids */
        size_t mask = ns - 1;
        size_t s = (size_t)hash_id(ops[i].id) & mask;
        while (ix->slots[s] >= 0)
            s = (s + 1) & mask;
        ix->slots[s] = (long)i;
    }
    /* Reverse walk so each child list comes out in start order. */
    for (size_t k = n; k-- > 0;) {
        long p = durable__opindex_find(ix, ops, ops[k].parent_id);
        if (p < 0)
            continue;
        ix->next_sibling[k] = ix->first_child[p];
        ix->first_child[p] = (long)k;
    }
    return 0;
}

int64_t durable__wait_seconds_from_op(const durable_operation *op)
{
    if (op->type != DURABLE_OP_WAIT || !op->scheduled_end_timestamp || !op->start_timestamp)
        return DURABLE_ABSENT;
    return (op->scheduled_end_timestamp - op->start_timestamp + 500) / 1000;
}

void durable__op_note_children(struct durable_test_operation *op, const durable_operation *ops,
                               const durable__opindex *ix, long index)
{
    durable_free(op->child_callback_id);
    op->child_callback_id = NULL;
    op->has_child_step = false;
    op->child_step_succeeded = false;
    if (op->data.type != DURABLE_OP_CONTEXT || !op->data.subtype ||
        strcmp(op->data.subtype, "WaitForCallback") != 0)
        return;
    for (long c = ix->first_child[index]; c >= 0; c = ix->next_sibling[c]) {
        if (ops[c].type == DURABLE_OP_CALLBACK && ops[c].callback_id && !op->child_callback_id)
            op->child_callback_id = durable__strdup(ops[c].callback_id);
        if (ops[c].type == DURABLE_OP_STEP) {
            op->has_child_step = true;
            if (ops[c].status == DURABLE_OP_SUCCEEDED)
                op->child_step_succeeded = true;
        }
    }
}

/* ---- building ----------------------------------------------------------------------- */

static void op_clear(struct durable_test_operation *op)
{
    durable_operation_clear(&op->data);
    durable_free(op->child_callback_id);
    durable_free(op->children);
    op->child_callback_id = NULL;
    op->children = NULL;
    op->child_count = 0;
}

/* Results whose history is deferred. */
static pthread_mutex_t deferred_mu = PTHREAD_MUTEX_INITIALIZER;
static durable_test_result *deferred_head;

static void deferred_unlink(durable_test_result *r)
{
    pthread_mutex_lock(&deferred_mu);
    if (r->prev)
        r->prev->next = r->next;
    else if (deferred_head == r)
        deferred_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    pthread_mutex_unlock(&deferred_mu);
}

void durable_test_result_free(durable_test_result *r)
{
    if (!r)
        return;
    if (r->deferred) {
        deferred_unlink(r);
        pthread_mutex_destroy(&r->hist_mu);
    }
    for (size_t i = 0; i < r->op_count; i++)
        op_clear(&r->ops[i]);
    durable_free(r->ops);
    durable_free(r->invs);
    durable__snap_clear(&r->snap);
    for (size_t i = 0; i < r->log_count; i++)
        durable_free(r->logs[i]);
    durable_free(r->logs);
    durable_free(r);
}

static int copy_logs(durable_test_result *res, durable__run *run)
{
    if (!run)
        return 0;
    pthread_mutex_lock(&run->log_lock);
    int rc = 0;
    if (run->log_count) {
        res->logs = durable__calloc(run->log_count, sizeof *res->logs);
        if (!res->logs)
            rc = durable__error_oom();
        for (size_t i = 0; rc == 0 && i < run->log_count; i++) {
            if (!(res->logs[i] = durable__strdup(run->logs[i])))
                rc = durable__error_oom();
            else
                res->log_count++;
        }
    }
    pthread_mutex_unlock(&run->log_lock);
    return rc;
}

/* The requested Duration is in WaitStarted (exact, not derived). */
static void exact_waits(durable_test_result *res, const durable_operation *ops,
                        const durable__opindex *ix)
{
    const durable__snap *s = &res->snap;
    for (size_t e = 0; e < s->event_count; e++) {
        if (s->events[e].type != DURABLE_EVENT_WAIT_STARTED)
            continue;
        long i = durable__opindex_find(ix, ops, s->events[e].id);
        if (i >= 0 && s->events[e].duration >= 0)
            res->ops[i].wait_seconds = s->events[e].duration;
    }
}

/* Read r's deferred history; the caller holds r->hist_mu. */
static int read_deferred(durable_test_result *r)
{
    if (!r->snap.history_deferred)
        return 0;
    int rc = durable__snap_gather_history(&r->snap, r->arn);
    if (rc < 0)
        return rc;
    r->snap.history_deferred = false;
    durable_operation *ops = durable__calloc(r->op_count ? r->op_count : 1, sizeof *ops);
    if (!ops)
        return durable__error_oom();
    for (size_t i = 0; i < r->op_count; i++)
        ops[i] = r->ops[i].data; /* shallow: for the index only */
    durable__opindex ix;
    rc = durable__opindex_build(&ix, ops, r->op_count);
    if (rc == 0)
        exact_waits(r, ops, &ix);
    durable__opindex_clear(&ix);
    durable_free(ops);
    return rc;
}

/* The history of r, read now if it was deferred. */
static int need_history(const durable_test_result *cr)
{
    if (!cr || !cr->deferred)
        return 0;
    durable_test_result *r = (durable_test_result *)cr;
    pthread_mutex_lock(&r->hist_mu);
    int rc = read_deferred(r);
    pthread_mutex_unlock(&r->hist_mu);
    return rc;
}

int durable__result_need_history(const durable_test_result *r)
{
    return need_history(r);
}

size_t durable__results_load_deferred(void)
{
    size_t left = 0;
    pthread_mutex_lock(&deferred_mu);
    for (durable_test_result *r = deferred_head; r; r = r->next) {
        pthread_mutex_lock(&r->hist_mu);
        if (read_deferred(r) < 0)
            left++;
        pthread_mutex_unlock(&r->hist_mu);
    }
    pthread_mutex_unlock(&deferred_mu);
    return left;
}

int durable__result_from_snap(durable_test_result **out, durable__snap *snap, durable__run *run)
{
    *out = NULL;
    durable_test_result *res = durable__calloc(1, sizeof *res);
    if (!res)
        return durable__error_oom();
    res->snap = *snap;
    memset(snap, 0, sizeof *snap);
    durable__snap *s = &res->snap;
    res->arn = s->exec.durable_execution_arn;
    res->status = s->exec.status;
    res->result = s->exec.result;
    res->error = s->exec.error;

    int rc = 0;
    size_t n = s->ops.count;
    if (n && !(res->ops = durable__calloc(n, sizeof *res->ops)))
        rc = durable__error_oom();
    else
        res->op_count = n;
    durable__opindex ix;
    memset(&ix, 0, sizeof ix);
    if (rc == 0)
        rc = durable__opindex_build(&ix, s->ops.items, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct durable_test_operation *op = &res->ops[i];
        op->result = res;
        op->bound = true;
        op->wait_seconds = durable__wait_seconds_from_op(&s->ops.items[i]);
        size_t nc = 0;
        for (long c = ix.first_child[i]; c >= 0; c = ix.next_sibling[c])
            nc++;
        if (nc && !(op->children = durable__calloc(nc, sizeof *op->children))) {
            rc = durable__error_oom();
            break;
        }
        for (long c = ix.first_child[i]; c >= 0; c = ix.next_sibling[c])
            op->children[op->child_count++] = &res->ops[c];
    }
    if (rc == 0)
        exact_waits(res, s->ops.items, &ix);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            res->ops[i].data = s->ops.items[i];
            durable__op_note_children(&res->ops[i], s->ops.items, &ix, (long)i);
        }
        /* The data moved into the handles. */
        durable_free(s->ops.items);
        memset(&s->ops, 0, sizeof s->ops);
    }
    durable__opindex_clear(&ix);
    if (rc == 0 && s->inv_count) {
        res->invs = durable__calloc(s->inv_count, sizeof *res->invs);
        if (!res->invs)
            rc = durable__error_oom();
        for (size_t i = 0; rc == 0 && i < s->inv_count; i++) {
            res->invs[i].start_timestamp = s->invs[i].start_timestamp;
            res->invs[i].end_timestamp = s->invs[i].end_timestamp;
            res->invs[i].request_id = s->invs[i].request_id;
            res->invs[i].outcome = s->invs[i].outcome;
            res->invs[i].error = s->invs[i].error;
        }
        res->inv_count = s->inv_count;
    }
    if (rc == 0)
        rc = copy_logs(res, run);
    if (rc < 0) {
        durable_test_result_free(res);
        return rc;
    }
    if (s->history_deferred) {
        res->deferred = true;
        pthread_mutex_init(&res->hist_mu, NULL);
        pthread_mutex_lock(&deferred_mu);
        res->next = deferred_head;
        if (deferred_head)
            deferred_head->prev = res;
        deferred_head = res;
        pthread_mutex_unlock(&deferred_mu);
    }
    *out = res;
    return 0;
}

/* ---- getters --------------------------------------------------------------------------- */

durable_exec_status durable_test_result_status(const durable_test_result *r)
{
    return r ? r->status : DURABLE_EXEC_STATUS_NONE;
}

const char *durable_test_result_execution_arn(const durable_test_result *r)
{
    return r ? r->arn : NULL;
}

static const char *err_field(const durable_error_object *e, int which)
{
    if (!e)
        return "";
    const char *v = which == 0 ? e->error_type : e->error_message;
    return v ? v : "";
}

int durable_test_result_get_result(const char **out, const durable_test_result *r)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_result: NULL argument");
    *out = NULL;
    if (r->status == DURABLE_EXEC_SUCCEEDED) {
        *out = r->result;
        return 0;
    }
    if (r->status == DURABLE_EXEC_RUNNING || r->status == DURABLE_EXEC_STATUS_NONE)
        return durable__error_set(DURABLE_ESTATE, "execution %s is still RUNNING: no result yet",
                                  r->arn ? r->arn : "");
    return durable__error_set(DURABLE_EFAILED, "execution %s %s: %s: %s", r->arn ? r->arn : "",
                              durable_exec_status_name(r->status), err_field(r->error, 0),
                              err_field(r->error, 1));
}

int durable_test_result_get_result_json(cJSON **out, const durable_test_result *r)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_result_json: out is NULL");
    *out = NULL;
    const char *text = NULL;
    int rc = durable_test_result_get_result(&text, r);
    if (rc < 0 || !text)
        return rc;
    rc = durable_json_parse(out, text, strlen(text));
    if (rc < 0)
        return durable__error_set(DURABLE_ESERDES, "Serialization error: result of %s is not "
                                                   "JSON: %s",
                                  r->arn ? r->arn : "", durable_error_last()->message);
    return 0;
}

int durable_test_result_get_error(const durable_error_object **out, const durable_test_result *r)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_error: NULL argument");
    *out = NULL;
    if (r->status == DURABLE_EXEC_SUCCEEDED)
        return durable__error_set(DURABLE_ESTATE, "execution %s succeeded: no error",
                                  r->arn ? r->arn : "");
    if (r->status == DURABLE_EXEC_RUNNING || r->status == DURABLE_EXEC_STATUS_NONE)
        return durable__error_set(DURABLE_ESTATE, "execution %s is still RUNNING: no error yet",
                                  r->arn ? r->arn : "");
    static const durable_error_object empty = { NULL, NULL, NULL, NULL, 0 };
    *out = r->error ? r->error : &empty;
    return 0;
}

size_t durable_test_result_operation_count(const durable_test_result *r)
{
    return r ? r->op_count : 0;
}

durable_test_operation *durable_test_result_operation_at(const durable_test_result *r,
                                                         size_t index)
{
    return r && index < r->op_count ? &r->ops[index] : NULL;
}

size_t durable_test_result_operations_by_status(durable_test_operation **out, size_t max,
                                                const durable_test_result *r,
                                                durable_op_status status)
{
    size_t n = 0;
    for (size_t i = 0; r && i < r->op_count; i++) {
        if (r->ops[i].data.status != status)
            continue;
        if (out && n < max)
            out[n] = &r->ops[i];
        n++;
    }
    return n;
}

static int not_found(const durable_test_result *r, const char *what)
{
    return durable__error_set(DURABLE_ENOTFOUND, "Operation not found: %s in execution %s (%zu "
                                                 "operations)",
                              what, r->arn ? r->arn : "", r->op_count);
}

int durable_test_result_get_operation_by_name_and_index(durable_test_operation **out,
                                                        const durable_test_result *r,
                                                        const char *name, size_t index)
{
    if (!out || !r || !name)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_operation: NULL "
                                                  "argument");
    *out = NULL;
    size_t seen = 0;
    for (size_t i = 0; i < r->op_count; i++) {
        if (!r->ops[i].data.name || strcmp(r->ops[i].data.name, name) != 0)
            continue;
        if (seen++ == index) {
            *out = &r->ops[i];
            return 0;
        }
    }
    char what[320];
    snprintf(what, sizeof what, "name '%s' index %zu (%zu with that name)", name, index, seen);
    return not_found(r, what);
}

int durable_test_result_get_operation(durable_test_operation **out, const durable_test_result *r,
                                      const char *name)
{
    return durable_test_result_get_operation_by_name_and_index(out, r, name, 0);
}

int durable_test_result_get_operation_by_index(durable_test_operation **out,
                                               const durable_test_result *r, size_t index)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_operation_by_index: "
                                                  "NULL argument");
    *out = NULL;
    if (index >= r->op_count) {
        char what[64];
        snprintf(what, sizeof what, "index %zu", index);
        return not_found(r, what);
    }
    *out = &r->ops[index];
    return 0;
}

int durable_test_result_get_operation_by_id(durable_test_operation **out,
                                            const durable_test_result *r, const char *id)
{
    if (!out || !r || !id)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_operation_by_id: NULL "
                                                  "argument");
    *out = NULL;
    for (size_t i = 0; i < r->op_count; i++)
        if (r->ops[i].data.id && strcmp(r->ops[i].data.id, id) == 0) {
            *out = &r->ops[i];
            return 0;
        }
    char what[128];
    snprintf(what, sizeof what, "id %s", id);
    return not_found(r, what);
}

size_t durable_test_result_invocation_count(const durable_test_result *r)
{
    return r ? r->inv_count : 0;
}

int durable_test_result_get_invocation(const durable_test_invocation **out,
                                       const durable_test_result *r, size_t index)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_get_invocation: NULL "
                                                  "argument");
    *out = NULL;
    if (index >= r->inv_count)
        return durable__error_set(DURABLE_ENOTFOUND,
                                  "Invocation not found: index %zu (%zu invocations of %s)", index,
                                  r->inv_count, r->arn ? r->arn : "");
    *out = &r->invs[index];
    return 0;
}

size_t durable_test_result_event_count(const durable_test_result *r)
{
    (void)need_history(r);
    return r ? r->snap.event_count : 0;
}

const durable_event *durable_test_result_event(const durable_test_result *r, size_t index)
{
    (void)need_history(r);
    return r && index < r->snap.event_count ? &r->snap.events[index] : NULL;
}

int durable_test_result_history_json(char **out, const durable_test_result *r,
                                     durable_ts_format fmt, bool pretty)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_result_history_json: NULL "
                                                  "argument");
    *out = NULL;
    int hrc = need_history(r);
    if (hrc < 0)
        return hrc;
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "Events") : NULL;
    if (!arr) {
        cJSON_Delete(root);
        return durable__error_oom();
    }
    for (size_t i = 0; i < r->snap.event_count; i++) {
        cJSON *ev = NULL;
        int rc = durable_event_to_json(&ev, &r->snap.events[i], fmt);
        if (rc < 0) {
            cJSON_Delete(root);
            return rc;
        }
        cJSON_AddItemToArray(arr, ev);
    }
    *out = pretty ? cJSON_Print(root) : durable_json_print(root);
    cJSON_Delete(root);
    return *out ? 0 : durable__error_oom();
}

size_t durable_test_result_log_count(const durable_test_result *r)
{
    return r ? r->log_count : 0;
}

const char *durable_test_result_log_line(const durable_test_result *r, size_t index)
{
    return r && index < r->log_count ? r->logs[index] : NULL;
}

void durable_test_result_list_free(durable_test_result **list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        durable_test_result_free(list[i]);
    durable_free(list);
}
