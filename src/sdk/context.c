/* The execution state shared by every context of one invocation, the
 * contexts themselves (counters, paths, replay mode, commitment, errors),
 * and the context accessors of context.h. */
#include <string.h>
#include <time.h>

#include "sdk/batcher.h"
#include "sdk/context_internal.h"

/* ---- execution state ------------------------------------------------------------ */

int durable__exec_new(durable__exec **out, durable_client *client, const char *arn,
                      const char *request_id, const durable_invocation_options *opts)
{
    *out = NULL;
    durable__exec *ex = durable__calloc(1, sizeof(*ex));
    if (!ex)
        return durable__error_oom();
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->changed, NULL);
    pthread_mutex_init(&ex->plugin_mu, NULL);
    atomic_init(&ex->root_scope.committed, false);
    atomic_init(&ex->fatal_code, 0);
    atomic_init(&ex->closed, false);
    ex->client = client;
    char uuid[37];
    if (!request_id) {
        durable_uuid(uuid);
        request_id = uuid;
    }
    ex->arn = durable__strdup(arn);
    ex->request_id = durable__strdup(request_id);
    int rc = (!ex->arn || !ex->request_id) ? durable__error_oom() : 0;
    if (rc == 0)
        rc = durable__logger_init(&ex->logger, opts ? &opts->logger : NULL, request_id, arn);
    if (rc) {
        durable__free(ex->arn);
        durable__free(ex->request_id);
        pthread_mutex_destroy(&ex->mu);
        pthread_cond_destroy(&ex->changed);
        pthread_mutex_destroy(&ex->plugin_mu);
        durable__free(ex);
        return rc;
    }
    if (opts) {
        ex->plugins = opts->plugins;
        ex->plugin_count = opts->plugins ? opts->plugin_count : 0;
        ex->clock = opts->clock;
    }
    *out = ex;
    return 0;
}

void durable__exec_free(durable__exec *ex)
{
    if (!ex)
        return;
    atomic_store(&ex->closed, true);
    durable__batcher_free(ex->batcher);
    ex->batcher = NULL;
    for (size_t i = ex->arena_count; i-- > 0;)
        ex->arena[i].free_fn(ex->arena[i].ptr);
    durable__free(ex->arena);
    durable__optable_clear(&ex->ops);
    durable__strset_clear(&ex->ended);
    durable__strset_clear(&ex->parents);
    durable__strset_clear(&ex->updated);
    for (size_t i = 0; i < ex->updated_count; i++)
        durable__free(ex->updated_ids[i]);
    durable__free(ex->updated_ids);
    durable__free(ex->updated_views); /* shallow views: the table owns their contents */
    durable__logger_destroy(&ex->logger);
    durable__free(ex->fatal_kind);
    durable_error_object_free(ex->fatal_error);
    durable__free(ex->arn);
    durable__free(ex->exec_op_id);
    durable__free(ex->request_id);
    pthread_mutex_destroy(&ex->mu);
    pthread_cond_destroy(&ex->changed);
    pthread_mutex_destroy(&ex->plugin_mu);
    durable__free(ex);
}

bool durable__exec_get_op(durable__exec *ex, const char *id, durable_operation *out)
{
    pthread_mutex_lock(&ex->mu);
    const durable_operation *op = durable__optable_get(&ex->ops, id);
    bool found = op && durable_operation_copy(out, op) == 0;
    pthread_mutex_unlock(&ex->mu);
    return found;
}

bool durable__exec_view_op(durable__exec *ex, const char *id, durable_operation *out)
{
    pthread_mutex_lock(&ex->mu);
    const durable_operation *op = durable__optable_get(&ex->ops, id);
    if (op)
        *out = *op;
    else
        durable_operation_init(out);
    pthread_mutex_unlock(&ex->mu);
    return op != NULL;
}

durable_op_status durable__exec_op_status(durable__exec *ex, const char *id)
{
    pthread_mutex_lock(&ex->mu);
    const durable_operation *op = durable__optable_get(&ex->ops, id);
    durable_op_status s = op ? op->status : DURABLE_OP_STATUS_NONE;
    pthread_mutex_unlock(&ex->mu);
    return s;
}

static bool same(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

int durable__exec_peek(durable__exec *ex, const char *id, durable_op_type type, const char *name,
                       const char *subtype, durable_op_status *status)
{
    pthread_mutex_lock(&ex->mu);
    const durable_operation *op = durable__optable_get(&ex->ops, id);
    int r = 0;
    if (op) {
        r = (op->type == type && same(op->name, name) && same(op->subtype, subtype)) ? 1 : -1;
        *status = op->status;
    }
    pthread_mutex_unlock(&ex->mu);
    return r;
}

size_t durable__exec_op_count(durable__exec *ex)
{
    pthread_mutex_lock(&ex->mu);
    size_t n = ex->ops.count;
    pthread_mutex_unlock(&ex->mu);
    return n;
}

/* may_take: ops may be moved from, unless the hooks read it afterwards. */
static void merge(durable__exec *ex, durable_operation_list *ops, bool may_take, bool notify)
{
    if (!ops)
        return;
    bool hooks = notify && durable__plugins_enabled(ex);
    bool take = may_take && !hooks;
    pthread_mutex_lock(&ex->mu);
    for (size_t i = 0; i < ops->count; i++)
        if ((take ? durable__optable_take(&ex->ops, &ops->items[i])
                  : durable__optable_put(&ex->ops, &ops->items[i])) != 0)
            break; /* out of memory: the next state read retries */
    ex->merge_seq++;
    pthread_cond_broadcast(&ex->changed);
    pthread_mutex_unlock(&ex->mu);
    if (!hooks)
        return;
    durable__plugins_op_change(ex, ops);
    for (size_t i = 0; i < ops->count; i++)
        if (durable_op_status_is_terminal(ops->items[i].status))
            durable__plugins_op_end(ex, &ops->items[i]);
}

void durable__exec_merge(durable__exec *ex, const durable_operation_list *ops, bool notify)
{
    /* put copies: ops is only read. */
    merge(ex, (durable_operation_list *)ops, false, notify);
}

void durable__exec_merge_take(durable__exec *ex, durable_operation_list *ops, bool notify)
{
    merge(ex, ops, true, notify);
}

void durable__exec_merge_cb(void *user, durable_operation_list *ops)
{
    durable__exec_merge_take((durable__exec *)user, ops, true);
}

const char *durable__exec_parent_cb(void *user, const char *op_id)
{
    durable__exec *ex = user;
    const char *parent = NULL;
    pthread_mutex_lock(&ex->mu);
    const durable_operation *op = durable__optable_get(&ex->ops, op_id);
    if (op && op->parent_id)
        parent = durable__strset_intern(&ex->parents, op->parent_id);
    pthread_mutex_unlock(&ex->mu);
    return parent;
}

uint64_t durable__exec_merge_seq(durable__exec *ex)
{
    pthread_mutex_lock(&ex->mu);
    uint64_t s = ex->merge_seq;
    pthread_mutex_unlock(&ex->mu);
    return s;
}

bool durable__exec_wait_change(durable__exec *ex, uint64_t *seen, int64_t timeout_ms)
{
    struct timespec deadline;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
    }
    pthread_mutex_lock(&ex->mu);
    while (ex->merge_seq == *seen && !atomic_load(&ex->closed)) {
        if (timeout_ms < 0)
            pthread_cond_wait(&ex->changed, &ex->mu);
        else if (pthread_cond_timedwait(&ex->changed, &ex->mu, &deadline) != 0)
            break;
    }
    bool changed = ex->merge_seq != *seen;
    *seen = ex->merge_seq;
    pthread_mutex_unlock(&ex->mu);
    return changed;
}

int durable__exec_fatal(durable__exec *ex, int code, const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = durable__vsprintf(fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&ex->mu);
    if (atomic_load(&ex->fatal_code) == 0) {
        durable_error_object *e = NULL;
        if (durable_error_object_new(&e, kind, msg ? msg : kind, NULL) == 0) {
            ex->fatal_error = e;
            ex->fatal_kind = durable__strdup(kind);
        }
        atomic_store(&ex->fatal_code, code);
    }
    pthread_mutex_unlock(&ex->mu);
    durable__error_set(code, "%s", msg ? msg : kind);
    durable__free(msg);
    return code;
}

/* ---- arena ------------------------------------------------------------------------- */

int durable__exec_keep(durable__exec *ex, void *ptr, void (*free_fn)(void *))
{
    if (!ptr)
        return 0;
    pthread_mutex_lock(&ex->mu);
    if (ex->arena_count == ex->arena_cap) {
        size_t cap = ex->arena_cap ? ex->arena_cap * 2 : 64;
        durable__arena_entry *a = durable__realloc(ex->arena, cap * sizeof(*a));
        if (!a) {
            pthread_mutex_unlock(&ex->mu);
            free_fn(ptr);
            return durable__error_oom();
        }
        ex->arena = a;
        ex->arena_cap = cap;
    }
    ex->arena[ex->arena_count].ptr = ptr;
    ex->arena[ex->arena_count].free_fn = free_fn;
    ex->arena_count++;
    pthread_mutex_unlock(&ex->mu);
    return 0;
}

static void json_free(void *p)
{
    cJSON_Delete((cJSON *)p);
}

static void plain_free(void *p)
{
    durable__free(p);
}

const cJSON *durable__exec_keep_json(durable__exec *ex, cJSON *v)
{
    if (!v)
        return NULL;
    return durable__exec_keep(ex, v, json_free) == 0 ? v : NULL;
}

void *durable__exec_alloc(durable__exec *ex, size_t size)
{
    void *p = durable__calloc(1, size ? size : 1);
    if (!p) {
        durable__error_oom();
        return NULL;
    }
    return durable__exec_keep(ex, p, plain_free) == 0 ? p : NULL;
}

char *durable__exec_strdup(durable__exec *ex, const char *s)
{
    if (!s)
        return NULL;
    char *c = durable__strdup(s);
    if (!c) {
        durable__error_oom();
        return NULL;
    }
    return durable__exec_keep(ex, c, plain_free) == 0 ? c : NULL;
}

/* ---- checkpoints --------------------------------------------------------------------- */

int durable__checkpoint(durable__exec *ex, const durable_operation_update *u, bool sync)
{
    if (atomic_load(&ex->closed) || !ex->batcher)
        return durable__error_set(DURABLE_ESTATE,
                                  "checkpoint of operation %s refused: the invocation is over",
                                  u && u->id ? u->id : "?");
    return durable__batcher_enqueue(ex->batcher, u, sync);
}

int durable__refresh(durable__exec *ex)
{
    if (atomic_load(&ex->closed) || !ex->batcher)
        return durable__error_set(DURABLE_ESTATE, "state refresh refused: the invocation is over");
    return durable__batcher_refresh(ex->batcher);
}

bool durable__code_propagates(durable__exec *ex, int rc)
{
    if (rc >= 0)
        return false;
    if (atomic_load(&ex->fatal_code) != 0 || atomic_load(&ex->closed))
        return true;
    if (ex->batcher && durable__batcher_status(ex->batcher) != 0)
        return true;
    switch (rc) {
    case DURABLE_ENONDETERMINISTIC:
    case DURABLE_ESERDES:
    case DURABLE_ESTATE:
    case DURABLE_ETOKEN:
    case DURABLE_ETHROTTLED:
    case DURABLE_ENOMEM:
    case DURABLE_ESERVER:
        return true;
    default:
        return false;
    }
}

/* ---- scopes ---------------------------------------------------------------------------- */

int durable__scope_new(durable__scope **out, durable__exec *ex, durable__scope *parent)
{
    durable__scope *s = durable__exec_alloc(ex, sizeof(*s));
    *out = s;
    if (!s)
        return DURABLE_ENOMEM;
    atomic_init(&s->committed, false);
    s->parent = parent;
    return 0;
}

bool durable__scope_committed(const durable__scope *s)
{
    return atomic_load(&((durable__scope *)s)->committed);
}

void durable__scope_retire(durable__scope *s)
{
    atomic_store(&s->committed, false);
}

/* ---- contexts ---------------------------------------------------------------------------- */

static void ctx_free(void *p)
{
    durable_ctx *ctx = p;
    durable__free(ctx->path);
    durable__free(ctx->op_id);
    durable__free(ctx->name);
    durable__free(ctx->subtype);
    durable__free(ctx->child_parent_id);
    durable_error_object_free(ctx->err);
    durable__free(ctx->err_kind);
    durable__free(ctx);
}

static durable_ctx *ctx_alloc(durable__exec *ex)
{
    durable_ctx *ctx = durable__calloc(1, sizeof(*ctx));
    if (!ctx) {
        durable__error_oom();
        return NULL;
    }
    ctx->ex = ex;
    atomic_init(&ctx->busy, 0);
    return ctx;
}

/* Writes the positional path of ctx's operation number n ("<ctx path>-<n>",
 * or "<n>" at the root) into buf when it fits in cap bytes; returns its
 * length either way. Replay formats a path per operation, so no printf. */
static size_t format_path(const durable_ctx *ctx, uint64_t n, char *buf, size_t cap)
{
    char digits[20];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    size_t plen = ctx->path ? strlen(ctx->path) : 0;
    size_t len = plen + (ctx->path ? 1 : 0) + nd;
    if (len < cap) {
        char *p = buf;
        if (ctx->path) {
            memcpy(p, ctx->path, plen);
            p += plen;
            *p++ = '-';
        }
        while (nd)
            *p++ = digits[--nd];
        *p = '\0';
    }
    return len;
}

/* The positional path of ctx's operation number n (heap). */
static char *op_path(const durable_ctx *ctx, uint64_t n)
{
    size_t len = format_path(ctx, n, NULL, 0);
    char *path = durable__malloc(len + 1);
    if (path)
        format_path(ctx, n, path, len + 1);
    return path;
}

/* The Id of ctx's operation number n into id. The Id of the next number is
 * kept, as check_replay_end computes it one operation ahead of begin. */
static int op_id_of(durable_ctx *ctx, uint64_t n, char id[DURABLE_OP_ID_LEN + 1])
{
    if (ctx->next_n == n && n) {
        memcpy(id, ctx->next_id, sizeof(ctx->next_id));
        return 0;
    }
    char small[128];
    size_t len = format_path(ctx, n, small, sizeof small);
    if (len < sizeof small) {
        durable_op_id(id, small);
    } else {
        char *path = op_path(ctx, n);
        if (!path)
            return durable__error_oom();
        durable_op_id(id, path);
        durable__free(path);
    }
    memcpy(ctx->next_id, id, sizeof(ctx->next_id));
    ctx->next_n = n;
    return 0;
}

static bool op_stored(durable_ctx *ctx, uint64_t n)
{
    char id[DURABLE_OP_ID_LEN + 1];
    if (op_id_of(ctx, n, id) != 0)
        return true; /* out of memory: stay as we are */
    return durable__exec_op_status(ctx->ex, id) != DURABLE_OP_STATUS_NONE;
}

/* Replay ends as soon as the last stored operation of ctx is reached (the
 * next positional Id has nothing stored), not when the next operation
 * starts, so the code that follows the last replayed operation already
 * logs. A replay-only context replays to its end. */
static void check_replay_end(durable_ctx *ctx)
{
    if (ctx->replaying && !ctx->replay_only && !op_stored(ctx, ctx->counter + 1))
        ctx->replaying = false;
}

int durable__ctx_new_root(durable_ctx **out, durable__exec *ex)
{
    *out = NULL;
    durable_ctx *ctx = ctx_alloc(ex);
    if (!ctx)
        return DURABLE_ENOMEM;
    ctx->scope = &ex->root_scope;
    ctx->replaying = ex->initial_op_count > 1;
    int rc = durable__exec_keep(ex, ctx, ctx_free);
    if (rc)
        return rc;
    check_replay_end(ctx);
    *out = ctx;
    return 0;
}

int durable__ctx_new_child(durable_ctx **out, durable_ctx *parent, const char *path,
                           const char *op_id, const char *name, const char *subtype,
                           bool is_virtual, durable__scope *scope, bool replaying)
{
    *out = NULL;
    durable_ctx *ctx = ctx_alloc(parent->ex);
    if (!ctx)
        return DURABLE_ENOMEM;
    ctx->parent = parent;
    ctx->scope = scope ? scope : parent->scope;
    ctx->is_virtual = is_virtual;
    ctx->replaying = replaying;
    ctx->replay_only = parent->replay_only;
    ctx->path = durable__strdup(path);
    ctx->op_id = durable__strdup(op_id);
    ctx->name = durable__strdup(name);
    ctx->subtype = durable__strdup(subtype);
    ctx->child_parent_id = durable__strdup(is_virtual ? parent->child_parent_id : op_id);
    if ((path && !ctx->path) || (op_id && !ctx->op_id) || (name && !ctx->name) ||
        (subtype && !ctx->subtype) ||
        ((is_virtual ? parent->child_parent_id : op_id) && !ctx->child_parent_id)) {
        ctx_free(ctx);
        return durable__error_oom();
    }
    int rc = durable__exec_keep(parent->ex, ctx, ctx_free);
    if (rc)
        return rc;
    check_replay_end(ctx);
    *out = ctx;
    return 0;
}

void durable__opref_clear(durable__opref *r)
{
    if (!r)
        return;
    if (r->path != r->path_buf)
        durable__free(r->path);
    memset(r, 0, sizeof(*r));
}

static int ctx_check(durable_ctx *ctx, bool check_busy)
{
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable operation: context is NULL");
    durable__exec *ex = ctx->ex;
    if (atomic_load(&ex->closed))
        return durable__error_set(DURABLE_ESTATE,
                                  "durable operation refused: the invocation is over");
    int fatal = atomic_load(&ex->fatal_code);
    if (fatal) {
        pthread_mutex_lock(&ex->mu);
        durable_error_object *copy = NULL;
        if (ex->fatal_error)
            durable_error_object_dup(&copy, ex->fatal_error);
        char *kind = durable__strdup(ex->fatal_kind);
        pthread_mutex_unlock(&ex->mu);
        if (copy)
            durable__ctx_set_error(ctx, kind, copy);
        durable_error_object_free(copy);
        durable__free(kind);
        return durable__error_set(fatal, "durable operation refused: the invocation failed (%s)",
                                  durable_code_name(fatal));
    }
    if (check_busy && atomic_load(&ctx->busy) > 0)
        return durable__error_set(DURABLE_ESTATE,
                                  "durable operation on context %s refused: one of its child "
                                  "context functions is running (use the child context)",
                                  ctx->path ? ctx->path : "(root)");
    if (durable__ctx_blocked(ctx))
        return DURABLE_PENDING;
    return 0;
}

int durable__ctx_ready(durable_ctx *ctx)
{
    return ctx_check(ctx, true);
}

static int begin(durable_ctx *ctx, durable__opref *ref, bool check_busy)
{
    memset(ref, 0, sizeof(*ref));
    int rc = ctx_check(ctx, check_busy);
    if (rc)
        return rc;
    ctx->counter++;
    if (format_path(ctx, ctx->counter, ref->path_buf, sizeof ref->path_buf) <
        sizeof ref->path_buf)
        ref->path = ref->path_buf;
    else
        ref->path = op_path(ctx, ctx->counter);
    if (!ref->path || op_id_of(ctx, ctx->counter, ref->id) != 0)
        return durable__error_oom();
    ref->parent_id = ctx->child_parent_id;
    /* Only a stored operation can be the last replayed one; an operation
     * that is not stored goes live through durable__ctx_go_live. A context
     * still replaying (and not replay-only, for which check_replay_end does
     * nothing) had this operation found stored by the previous
     * check_replay_end, and stored operations are never removed, so it
     * needs no second lookup. */
    check_replay_end(ctx);
    return 0;
}

int durable__ctx_begin_op(durable_ctx *ctx, durable__opref *ref)
{
    return begin(ctx, ref, true);
}

int durable__ctx_begin_item(durable_ctx *ctx, durable__opref *ref)
{
    return begin(ctx, ref, false);
}

int durable__ctx_go_live(durable_ctx *ctx, const durable__opref *ref)
{
    if (ctx->replay_only) {
        int rc = durable__exec_fatal(
            ctx->ex, DURABLE_ENONDETERMINISTIC, DURABLE_KIND_NON_DETERMINISTIC,
            "Non-deterministic execution detected: operation %s (path %s) was not recorded, "
            "but its context re-runs only to replay the children of a completed context",
            ref->id, ref->path);
        durable__ctx_set_error(ctx, DURABLE_KIND_NON_DETERMINISTIC, ctx->ex->fatal_error);
        return rc;
    }
    ctx->replaying = false;
    return 0;
}

int durable__ctx_suspend(durable_ctx *ctx)
{
    atomic_store(&ctx->scope->committed, true);
    return DURABLE_PENDING;
}

bool durable__ctx_blocked(const durable_ctx *ctx)
{
    return durable__scope_committed(ctx->scope);
}

static int copy_error(durable_error_object **out, const durable_error_object *e)
{
    *out = NULL;
    if (!e)
        return durable_error_object_new(out, NULL, NULL, NULL);
    return durable_error_object_new(out, e->error_type, e->error_message, e->error_data);
}

int durable__ctx_set_error(durable_ctx *ctx, const char *kind, const durable_error_object *e)
{
    durable_error_object *copy = NULL;
    char *k = durable__strdup(kind);
    if (copy_error(&copy, e) != 0 || (kind && !k)) {
        durable_error_object_free(copy);
        durable__free(k);
        return durable__error_oom();
    }
    durable_error_object_free(ctx->err);
    durable__free(ctx->err_kind);
    ctx->err = copy;
    ctx->err_kind = k;
    return DURABLE_EFAILED;
}

int durable__ctx_set_error_parts(durable_ctx *ctx, const char *kind, const char *type,
                                 const char *message, const char *data)
{
    durable_error_object e = {(char *)type, (char *)message, (char *)data, NULL, 0};
    return durable__ctx_set_error(ctx, kind, &e);
}

int durable__ctx_invalid(durable_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = durable__vsprintf(fmt, ap);
    va_end(ap);
    if (ctx)
        durable__ctx_set_error_parts(ctx, DURABLE_KIND_VALIDATION, DURABLE_KIND_VALIDATION, msg,
                                     NULL);
    durable__error_set(DURABLE_EINVAL, "%s", msg ? msg : "invalid argument");
    durable__free(msg);
    return DURABLE_EINVAL;
}

int durable__ctx_escape_error(durable_error_object **out, const durable_ctx *ctx, int rc)
{
    *out = NULL;
    int r;
    if (ctx && ctx->err) {
        const durable_error_object *e = ctx->err;
        r = durable_error_object_new(out, ctx->err_kind ? ctx->err_kind : e->error_type,
                                     e->error_message, e->error_data);
    } else {
        const char *msg = durable_error_last()->message;
        r = durable_error_object_new(out, "Error", msg && *msg ? msg : durable_strerror(rc),
                                     NULL);
    }
    if (r)
        return r;
    if (durable_error_object_json_size(*out) > DURABLE_MAX_ERROR_BYTES)
        durable_error_object_truncate(*out, DURABLE_MAX_ERROR_BYTES);
    return 0;
}

void durable__ctx_enter_child(durable_ctx *ctx)
{
    if (ctx)
        atomic_fetch_add(&ctx->busy, 1);
}

void durable__ctx_leave_child(durable_ctx *ctx)
{
    if (ctx)
        atomic_fetch_sub(&ctx->busy, 1);
}

int durable__run_context_fn(durable_ctx *child, durable_child_fn fn, void *user,
                            cJSON **result, const durable_operation *desc,
                            bool replaying_children)
{
    durable__exec *ex = child->ex;
    *result = NULL;
    durable__ctx_enter_child(child->parent);
    durable__plugins_user_fn(ex, false, desc, replaying_children, DURABLE_OP_STATUS_NONE, NULL);
    int rc = fn(child, result, user);
    int fatal = atomic_load(&ex->fatal_code);
    if (fatal) {
        rc = fatal;
    } else if (rc == DURABLE_PENDING || durable__ctx_blocked(child)) {
        /* A swallowed PENDING still suspends; a bare PENDING commits. */
        rc = durable__ctx_suspend(child);
    }
    if (rc != 0) {
        cJSON_Delete(*result);
        *result = NULL;
    }
    durable_op_status outcome = rc == 0                 ? DURABLE_OP_SUCCEEDED
                                : rc == DURABLE_PENDING ? DURABLE_OP_STATUS_NONE
                                                        : DURABLE_OP_FAILED;
    durable__plugins_user_fn(ex, true, desc, replaying_children, outcome,
                             outcome == DURABLE_OP_FAILED ? child->err : NULL);
    durable__ctx_leave_child(child->parent);
    return rc;
}

/* ---- public accessors ----------------------------------------------------------------------- */

const durable_error_object *durable_ctx_error(const durable_ctx *ctx)
{
    return ctx ? ctx->err : NULL;
}

const char *durable_ctx_error_kind(const durable_ctx *ctx)
{
    return ctx && ctx->err ? ctx->err_kind : NULL;
}

void durable_ctx_clear_error(durable_ctx *ctx)
{
    if (!ctx)
        return;
    durable_error_object_free(ctx->err);
    durable__free(ctx->err_kind);
    ctx->err = NULL;
    ctx->err_kind = NULL;
}

int durable_ctx_fail(durable_ctx *ctx, const char *type, const char *message, const char *data)
{
    if (!ctx)
        return durable__error_set(DURABLE_EINVAL, "durable_ctx_fail: context is NULL");
    int rc = durable__ctx_set_error_parts(ctx, NULL, type, message, data);
    if (rc == DURABLE_EFAILED)
        durable__error_set(DURABLE_EFAILED, "%s: %s", type ? type : "Error",
                           message ? message : "");
    return rc;
}

bool durable_ctx_is_replaying(const durable_ctx *ctx)
{
    return ctx && ctx->replaying;
}

bool durable_ctx_is_suspended(const durable_ctx *ctx)
{
    return ctx && durable__ctx_blocked(ctx);
}

const char *durable_ctx_execution_arn(const durable_ctx *ctx)
{
    return ctx ? ctx->ex->arn : NULL;
}

const char *durable_ctx_operation_id(const durable_ctx *ctx)
{
    return ctx ? ctx->op_id : NULL;
}
