/* Checkpoint batch validation (SPEC §5.2–§5.6): the whole batch is checked
 * against a scratch copy of the operations it touches, applying the updates
 * in order so later updates see earlier ones. Nothing is written here; the
 * first failure rejects the call with the exact §5.6 text, and errmsg names
 * the update ("Updates[2] (id c4ca4238a0b92382): ..."). */
#include <string.h>

#include "engine/engine_internal.h"

#define WHERE "Updates[%zu] (id %s)"

typedef struct scratch {
    const char *id;  /* borrowed from the request */
    bool loaded;
    bool exists;     /* stored, or created earlier in the batch */
    durable_op_type type;
    durable_op_status status;
    char *subtype;
    char *name;
    char *parent_id;
    int seen;        /* updates for this id so far (B3) */
    durable_op_action first_action;
    durable_op_type first_type;
} scratch;

typedef struct scratch_map {
    scratch *slots;
    size_t cap;
} scratch_map;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static scratch *map_get(scratch_map *m, const char *id)
{
    size_t i = (size_t)hash(id) & (m->cap - 1);
    while (m->slots[i].id) {
        if (strcmp(m->slots[i].id, id) == 0)
            return &m->slots[i];
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i].id = id;
    return &m->slots[i];
}

static void map_free(scratch_map *m, const scratch *on_stack)
{
    for (size_t i = 0; i < m->cap; i++) {
        durable_free(m->slots[i].subtype);
        durable_free(m->slots[i].name);
        durable_free(m->slots[i].parent_id);
    }
    if (m->slots != on_stack)
        durable_free(m->slots);
}

/* Bring the stored operation (if any) into the scratch entry: from the
 * state cache when it is current (every START of a new operation asks,
 * and most batches create operations), else from its row. */
static int load(durable_engine *e, const eng_exec *x, scratch *s)
{
    if (s->loaded)
        return 0;
    s->loaded = true;
    const durable_operation *op;
    int rc = durable__state_cache_find(e, x, s->id, &op);
    if (rc == 0)
        return 0;
    if (rc == 1) {
        s->type = op->type;
        s->status = op->status;
        s->exists = true;
        if ((op->subtype && !(s->subtype = durable__strdup(op->subtype))) ||
            (op->name && !(s->name = durable__strdup(op->name))) ||
            (op->parent_id && !(s->parent_id = durable__strdup(op->parent_id))))
            return durable__error_oom();
        return 0;
    }
    sqlite3_stmt *st;
    rc = durable__db_prepare(e, &st,
                                 "SELECT type, status, subtype, name, parent_id FROM operations "
                                 "WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, x->rowid);
    durable__db_text_static(st, 2, s->id);
    rc = durable__db_row(e, st, "validate: load operation");
    if (rc <= 0)
        return rc;
    const char *t = (const char *)sqlite3_column_text(st, 0);
    const char *u = (const char *)sqlite3_column_text(st, 1);
    durable_op_type_parse(&s->type, t ? t : "");
    durable_op_status_parse(&s->status, u ? u : "");
    s->subtype = durable__col_dup(st, 2);
    s->name = durable__col_dup(st, 3);
    s->parent_id = durable__col_dup(st, 4);
    s->exists = true;
    durable__db_reset(st);
    return 0;
}

static bool id_chars_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > DURABLE_MAX_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return true;
}

static bool action_allowed(durable_op_type t, durable_op_action a)
{
    switch (t) {
    case DURABLE_OP_STEP:
        return a == DURABLE_ACTION_START || a == DURABLE_ACTION_SUCCEED ||
               a == DURABLE_ACTION_FAIL || a == DURABLE_ACTION_RETRY;
    case DURABLE_OP_CONTEXT:
        return a == DURABLE_ACTION_START || a == DURABLE_ACTION_SUCCEED ||
               a == DURABLE_ACTION_FAIL;
    case DURABLE_OP_WAIT:
    case DURABLE_OP_CALLBACK:
    case DURABLE_OP_CHAINED_INVOKE:
        return a == DURABLE_ACTION_START || a == DURABLE_ACTION_CANCEL;
    case DURABLE_OP_EXECUTION:
        return a == DURABLE_ACTION_SUCCEED || a == DURABLE_ACTION_FAIL;
    default:
        return false;
    }
}

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Rules that need no stored state: sizes and payload/error/options shape. */
static int check_content(durable_engine *e, size_t i, const durable_operation_update *u)
{
    const char *id = u->id;
    if (u->error && durable_error_object_json_size(u->error) > DURABLE_MAX_ERROR_BYTES)
        return durable__eng_fail(e, DURABLE_EINVAL,
                                 "Error object size must be less than 32768 bytes.", WHERE, i, id);
    if (!durable__error_utf8_valid(u->error))
        return durable__eng_fail(e, DURABLE_EINVAL, DURABLE__ERROR_UTF8_TEXT, WHERE, i, id);
    if (u->payload && strlen(u->payload) > DURABLE_MAX_PAYLOAD_BYTES)
        return durable__eng_fail(e, DURABLE_EINVAL,
                                 "Payload size must be less than or equal to 6291456 bytes.",
                                 WHERE, i, id);
    /* Results are JSON text in history and state reads: one invalid byte
     * stored would make the execution unreadable. */
    if (u->payload && !durable__utf8_valid(u->payload, strlen(u->payload)))
        return durable__eng_fail(e, DURABLE_EINVAL, "Payload must be valid UTF-8.", WHERE, i, id);
    if (u->action == DURABLE_ACTION_FAIL && u->payload)
        return durable__eng_fail(e, DURABLE_EINVAL, "Cannot provide a Payload for FAIL action.",
                                 WHERE, i, id);
    if (u->action == DURABLE_ACTION_SUCCEED && u->error)
        return durable__eng_fail(e, DURABLE_EINVAL, "Cannot provide an Error for SUCCEED action.",
                                 WHERE, i, id);
    if (u->action == DURABLE_ACTION_RETRY) {
        if (u->error && u->payload)
            return durable__eng_fail(e, DURABLE_EINVAL,
                                     "Cannot provide both error and payload to RETRY a STEP.",
                                     WHERE, i, id);
        if (u->options != DURABLE_OPTIONS_STEP || u->next_attempt_delay_seconds < 1 ||
            u->next_attempt_delay_seconds > DURABLE_MAX_WAIT_SECONDS)
            return durable__eng_fail(e, DURABLE_EINVAL, "Invalid StepOptions for the given action.",
                                     WHERE, i, id);
    }
    if (u->action != DURABLE_ACTION_START)
        return 0;
    if (u->type == DURABLE_OP_WAIT &&
        (u->options != DURABLE_OPTIONS_WAIT || u->wait_seconds < 1 ||
         u->wait_seconds > DURABLE_MAX_WAIT_SECONDS))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid WaitOptions for the given action.",
                                 WHERE, i, id);
    /* Deadlines are kept in int64 ms: bound the seconds well below overflow. */
    const int64_t max_cb = (int64_t)1 << 40;
    if (u->type == DURABLE_OP_CALLBACK && u->options == DURABLE_OPTIONS_CALLBACK &&
        ((u->timeout_seconds != DURABLE_ABSENT && (u->timeout_seconds < 0 || u->timeout_seconds > max_cb)) ||
         (u->heartbeat_timeout_seconds != DURABLE_ABSENT &&
          (u->heartbeat_timeout_seconds < 0 || u->heartbeat_timeout_seconds > max_cb))))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid CallbackOptions for the given action.",
                                 WHERE, i, id);
    if (u->type == DURABLE_OP_CHAINED_INVOKE &&
        (u->options != DURABLE_OPTIONS_CHAINED_INVOKE || !u->function_name ||
         !*u->function_name || strlen(u->function_name) > DURABLE_MAX_FUNCTION_NAME_LEN))
        return durable__eng_fail(e, DURABLE_EINVAL,
                                 "Invalid ChainedInvokeOptions for the given action.", WHERE, i, id);
    return 0;
}

static int check_fields(durable_engine *e, size_t i, const durable_operation_update *u)
{
    const char *id = u->id;
    if (!id_chars_ok(u->id, DURABLE_MAX_ID_LEN))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid operation id.", WHERE, i, id);
    if (u->name && !name_ok(u->name))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid operation name.", WHERE, i, id);
    if (u->subtype && !id_chars_ok(u->subtype, DURABLE_MAX_SUBTYPE_LEN))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid operation subtype.", WHERE, i, id);
    if (u->parent_id && !id_chars_ok(u->parent_id, DURABLE_MAX_ID_LEN))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid parent operation id.", WHERE, i, id);
    return 0;
}

static int check_status(durable_engine *e, size_t i, const durable_operation_update *u,
                        const scratch *s)
{
    const char *id = u->id;
    const char *tn = durable_op_type_name(u->type);
    bool none = !s->exists;
    durable_op_status st = s->status;
    switch (u->type) {
    case DURABLE_OP_STEP:
        if (u->action == DURABLE_ACTION_START) {
            if (!(none || st == DURABLE_OP_READY))
                return durable__eng_fail(e, DURABLE_EINVAL, "Invalid current STEP state to start.",
                                         WHERE, i, id);
        } else if (!(none || st == DURABLE_OP_STARTED || st == DURABLE_OP_READY)) {
            return durable__eng_fail(e, DURABLE_EINVAL,
                                     u->action == DURABLE_ACTION_RETRY
                                         ? "Invalid current STEP state to re-attempt."
                                         : "Invalid current STEP state to close.",
                                     WHERE, i, id);
        }
        return 0;
    case DURABLE_OP_CONTEXT:
        if (u->action == DURABLE_ACTION_START) {
            if (!none)
                return durable__eng_fail(e, DURABLE_EINVAL,
                                         "Cannot start a CONTEXT that already exists.", WHERE, i, id);
        } else if (!(none || st == DURABLE_OP_STARTED)) {
            return durable__eng_fail(e, DURABLE_EINVAL, "Invalid current CONTEXT state to close.",
                                     WHERE, i, id);
        }
        return 0;
    default:
        if (u->action == DURABLE_ACTION_START && !none) {
            char *msg = durable__sprintf("Cannot start a %s that already exists.", tn);
            int rc = durable__eng_fail(e, DURABLE_EINVAL, msg ? msg : "Cannot start an operation "
                                       "that already exists.", WHERE, i, id);
            durable_free(msg);
            return rc;
        }
        if (u->action == DURABLE_ACTION_CANCEL && (none || st != DURABLE_OP_STARTED)) {
            char *msg = durable__sprintf(
                "Cannot cancel a %s that does not exist or has already completed.", tn);
            int rc = durable__eng_fail(e, DURABLE_EINVAL, msg ? msg : "Cannot cancel an operation "
                                       "that does not exist or has already completed.", WHERE, i, id);
            durable_free(msg);
            return rc;
        }
        return 0;
    }
}

static durable_op_status status_after(const durable_operation_update *u)
{
    switch (u->action) {
    case DURABLE_ACTION_START:
        return DURABLE_OP_STARTED;
    case DURABLE_ACTION_SUCCEED:
        return DURABLE_OP_SUCCEEDED;
    case DURABLE_ACTION_FAIL:
        return DURABLE_OP_FAILED;
    case DURABLE_ACTION_RETRY:
        return DURABLE_OP_PENDING;
    case DURABLE_ACTION_CANCEL:
        return u->type == DURABLE_OP_CHAINED_INVOKE ? DURABLE_OP_STOPPED : DURABLE_OP_CANCELLED;
    default:
        return DURABLE_OP_STATUS_NONE;
    }
}

static int apply_scratch(scratch *s, const durable_operation_update *u)
{
    if (!s->exists) {
        s->exists = true;
        s->type = u->type;
        s->subtype = durable__strdup(u->subtype);
        s->name = durable__strdup(u->name);
        s->parent_id = durable__strdup(u->parent_id);
        if ((u->subtype && !s->subtype) || (u->name && !s->name) ||
            (u->parent_id && !s->parent_id))
            return durable__error_oom();
    }
    s->status = status_after(u);
    return 0;
}

static int check_update(durable_engine *e, const eng_exec *x, scratch_map *m, size_t i,
                        const durable_operation_update *u, bool *absent)
{
    const char *id = u->id;
    if (u->type == DURABLE_OP_TYPE_NONE)
        return durable__eng_fail(e, DURABLE_EINVAL, "Unknown operation type.", WHERE, i, id);
    if (!action_allowed(u->type, u->action))
        return durable__eng_fail(e, DURABLE_EINVAL, "Invalid action for the given operation type.",
                                 WHERE, i, id);
    if (u->type == DURABLE_OP_EXECUTION)
        return check_content(e, i, u); /* Id not checked against stored operations (§5.3) */
    int rc = check_fields(e, i, u);
    if (rc == 0)
        rc = check_content(e, i, u);
    if (rc < 0)
        return rc;
    if (u->parent_id) {
        scratch *p = map_get(m, u->parent_id);
        if ((rc = load(e, x, p)) < 0)
            return rc;
        if (!p->exists || p->type != DURABLE_OP_CONTEXT)
            return durable__eng_fail(e, DURABLE_EINVAL, "Invalid parent operation id.", WHERE, i, id);
    }
    scratch *s = map_get(m, u->id);
    if ((rc = load(e, x, s)) < 0)
        return rc;
    if (s->exists) {
        if (s->type != u->type)
            return durable__eng_fail(e, DURABLE_EINVAL, "Inconsistent operation type.", WHERE, i, id);
        if (u->subtype && !str_eq(u->subtype, s->subtype))
            return durable__eng_fail(e, DURABLE_EINVAL, "Inconsistent operation subtype.", WHERE,
                                     i, id);
        if (u->name && !str_eq(u->name, s->name))
            return durable__eng_fail(e, DURABLE_EINVAL, "Inconsistent operation name.", WHERE, i, id);
        if (u->parent_id && !str_eq(u->parent_id, s->parent_id))
            return durable__eng_fail(e, DURABLE_EINVAL, "Inconsistent parent operation id.", WHERE,
                                     i, id);
    }
    if ((rc = check_status(e, i, u, s)) < 0)
        return rc;
    if (absent)
        absent[i] = !s->exists;
    return apply_scratch(s, u);
}

/* B1–B3: shape of the batch as a whole, before any update is examined. */
static int check_batch(durable_engine *e, scratch_map *m, const durable_checkpoint_request *req)
{
    size_t n = req->update_count, execs = 0;
    for (size_t i = 0; i < n; i++) {
        const durable_operation_update *u = &req->updates[i];
        if (u->type != DURABLE_OP_EXECUTION)
            continue;
        if (++execs > 1)
            return durable__eng_fail(e, DURABLE_EINVAL,
                                     "Cannot checkpoint multiple EXECUTION updates.", WHERE, i,
                                     u->id ? u->id : "");
    }
    for (size_t i = 0; i < n; i++) {
        const durable_operation_update *u = &req->updates[i];
        if (u->type == DURABLE_OP_EXECUTION && i != n - 1)
            return durable__eng_fail(e, DURABLE_EINVAL,
                                     "EXECUTION checkpoint must be the last update.", WHERE, i,
                                     u->id ? u->id : "");
    }
    for (size_t i = 0; i < n; i++) {
        const durable_operation_update *u = &req->updates[i];
        if (!u->id || !*u->id)
            return durable__eng_fail(e, DURABLE_EINVAL, "Operation update must have an Id.",
                                     "Updates[%zu]", i);
        if (u->type == DURABLE_OP_EXECUTION)
            continue;
        scratch *s = map_get(m, u->id);
        if (s->seen == 0) {
            s->first_action = u->action;
            s->first_type = u->type;
        } else if (!(s->seen == 1 && s->first_action == DURABLE_ACTION_START &&
                     (s->first_type == DURABLE_OP_STEP || s->first_type == DURABLE_OP_CONTEXT) &&
                     u->action != DURABLE_ACTION_START)) {
            return durable__eng_fail(e, DURABLE_EINVAL,
                                     "Cannot update the same operation twice in a single request.",
                                     WHERE, i, u->id);
        }
        s->seen++;
    }
    return 0;
}

int durable__validate_batch(durable_engine *e, const eng_exec *x,
                            const durable_checkpoint_request *req, bool *absent)
{
    size_t n = req->update_count;
    if (n == 0)
        return 0; /* B5: a state refresh */
    /* The common batch's map lives on the stack (a heap block of this size
     * cost more to get and clear than the whole lookup work). */
    scratch few[128];
    scratch_map m = {0};
    m.cap = 16;
    while (m.cap < 4 * n + 4)
        m.cap <<= 1;
    if (m.cap <= sizeof few / sizeof *few) {
        memset(few, 0, m.cap * sizeof *few);
        m.slots = few;
    } else if (!(m.slots = durable__calloc(m.cap, sizeof *m.slots))) {
        return durable__error_oom();
    }
    int rc = check_batch(e, &m, req);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = check_update(e, x, &m, i, &req->updates[i], absent);
    map_free(&m, few);
    return rc;
}
