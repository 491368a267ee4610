/* Chained invokes (SPEC §6.5): function-name resolution, dispatch of the
 * target after the parent's invocation, completion of the parent operation
 * (by the runner for plain functions, by the engine when a child execution
 * closes), and CANCEL stopping the child. */
#include <string.h>

#include "engine/engine_internal.h"

int durable__function_resolve(char **name, char **qualifier, char **region, char **account,
                              const char *fn)
{
    *name = *qualifier = *region = *account = NULL;
    char *parts[9] = {0};
    size_t n = 0;
    if (strncmp(fn, "arn:", 4) == 0) {
        const char *p = fn;
        while (n < 9) {
            const char *c = strchr(p, ':');
            size_t len = c ? (size_t)(c - p) : strlen(p);
            parts[n++] = durable__strndup(p, len);
            if (!parts[n - 1])
                goto oom;
            if (!c)
                break;
            p = c + 1;
        }
    }
    if ((n == 7 || n == 8) && strcmp(parts[5], "function") == 0 && *parts[6]) {
        /* arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] */
        *region = parts[3], parts[3] = NULL;
        *account = parts[4], parts[4] = NULL;
        *name = parts[6], parts[6] = NULL;
        if (n == 8 && *parts[7])
            *qualifier = parts[7], parts[7] = NULL;
    } else {
        const char *c = strchr(fn, ':');
        *name = c && c != fn ? durable__strndup(fn, (size_t)(c - fn)) : durable__strdup(fn);
        if (c && c[1])
            *qualifier = durable__strdup(c + 1);
        if (!*name || (c && c[1] && !*qualifier))
            goto oom;
    }
    for (size_t i = 0; i < n; i++)
        durable_free(parts[i]);
    if (!*qualifier && !(*qualifier = durable__strdup("$LATEST")))
        goto oom;
    return 0;
oom:
    for (size_t i = 0; i < n; i++)
        durable_free(parts[i]);
    durable_free(*name);
    durable_free(*qualifier);
    durable_free(*region);
    durable_free(*account);
    *name = *qualifier = *region = *account = NULL;
    return durable__error_oom();
}

/* Complete the parent's CHAINED_INVOKE operation (engine-made change, a trigger). */
static int complete_op(durable_engine *e, eng_exec *parent, const char *op_id,
                       durable_chained_outcome_kind kind, const char *result,
                       const durable_error_object *err)
{
    eng_op o;
    int rc = durable__op_load(e, &o, parent, op_id);
    if (rc < 0)
        return rc;
    if (!o.exists || o.op.type != DURABLE_OP_CHAINED_INVOKE || o.op.status != DURABLE_OP_STARTED) {
        durable__eop_clear(&o);
        return 0; /* cancelled or already completed: the outcome is dropped */
    }
    durable_event_type type;
    switch (kind) {
    case DURABLE_CHAINED_SUCCEEDED:
        o.op.status = DURABLE_OP_SUCCEEDED;
        type = DURABLE_EVENT_CHAINED_INVOKE_SUCCEEDED;
        break;
    case DURABLE_CHAINED_TIMED_OUT:
        o.op.status = DURABLE_OP_TIMED_OUT;
        type = DURABLE_EVENT_CHAINED_INVOKE_TIMED_OUT;
        break;
    case DURABLE_CHAINED_STOPPED:
        o.op.status = DURABLE_OP_STOPPED;
        type = DURABLE_EVENT_CHAINED_INVOKE_STOPPED;
        break;
    default:
        o.op.status = DURABLE_OP_FAILED;
        type = DURABLE_EVENT_CHAINED_INVOKE_FAILED;
        break;
    }
    durable_event ev;
    durable_event_init(&ev);
    if (kind == DURABLE_CHAINED_SUCCEEDED)
        rc = durable__op_set_result(&o, result);
    else if (err)
        rc = durable__op_set_error(&o, err);
    else
        rc = durable_error_object_new(&o.op.error, NULL, NULL, NULL);
    if (rc == 0)
        rc = durable__op_save(e, parent, &o, true);
    if (rc == 0) {
        durable__event_prepare(&ev, type, &o.op);
        if (kind == DURABLE_CHAINED_SUCCEEDED) {
            ev.has_payload_object = true;
            ev.payload = durable__strdup(o.op.result);
            if (o.op.result && !ev.payload)
                rc = durable__error_oom();
        } else {
            rc = durable_error_object_dup(&ev.error, o.op.error);
        }
        rc = rc == 0 ? durable__history_append(e, parent, &ev) : (durable_event_clear(&ev), rc);
    }
    durable__eop_clear(&o);
    if (rc == 0)
        durable__exec_trigger(parent);
    return rc;
}

typedef struct invoke_row {
    int64_t child_rowid;
    durable_chained_state state;
    char *function_name;
} invoke_row;

static int load_row(durable_engine *e, invoke_row *r, int64_t exec_rowid, const char *op_id)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "SELECT child_execution_id, state, function_name FROM "
                                 "chained_invokes WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, exec_rowid);
    durable__db_text(st, 2, op_id);
    if ((rc = durable__db_row(e, st, "load chained invoke")) <= 0)
        return rc; /* 0: no such chained invoke */
    r->child_rowid = durable__col_i64(st, 0);
    const char *s = (const char *)sqlite3_column_text(st, 1);
    r->state = s && strcmp(s, "WAITING") == 0   ? DURABLE_CHAINED_WAITING
               : s && strcmp(s, "RUNNING") == 0 ? DURABLE_CHAINED_RUNNING
                                                : DURABLE_CHAINED_DONE;
    r->function_name = durable__col_dup(st, 2);
    durable__db_reset(st);
    return r->function_name ? 1 : durable__error_oom();
}

static int set_state(durable_engine *e, int64_t exec_rowid, const char *op_id, const char *state,
                     int64_t child_rowid)
{
    sqlite3_stmt *st;
    int rc = durable__db_prepare(e, &st,
                                 "UPDATE chained_invokes SET state = ?3, "
                                 "child_execution_id = coalesce(?4, child_execution_id) "
                                 "WHERE execution_id = ?1 AND op_id = ?2");
    if (rc < 0)
        return rc;
    durable__db_i64(st, 1, exec_rowid);
    durable__db_text(st, 2, op_id);
    durable__db_text(st, 3, state);
    durable__db_i64_or_null(st, 4, child_rowid);
    return durable__db_done(e, st, "update chained invoke");
}

int durable__chained_child_closed(durable_engine *e, const eng_exec *child)
{
    if (!child->parent_rowid || !child->parent_op_id)
        return 0;
    invoke_row r;
    int rc = load_row(e, &r, child->parent_rowid, child->parent_op_id);
    if (rc <= 0)
        return rc;
    durable_free(r.function_name);
    if (r.state != DURABLE_CHAINED_RUNNING || r.child_rowid != child->rowid)
        return 0;
    if ((rc = set_state(e, child->parent_rowid, child->parent_op_id, "DONE", 0)) < 0)
        return rc;
    eng_exec parent;
    if ((rc = durable__exec_load_rowid(e, &parent, child->parent_rowid)) < 0)
        return rc;
    if (parent.status != DURABLE_EXEC_RUNNING) {
        durable__exec_clear(&parent);
        return 0;
    }
    sqlite3_stmt *st;
    char *result = NULL;
    durable_error_object *err = NULL;
    rc = durable__db_prepare(e, &st, "SELECT result, error FROM executions WHERE id = ?1");
    if (rc == 0) {
        durable__db_i64(st, 1, child->rowid);
        rc = durable__db_row(e, st, "load child outcome");
        if (rc == 1) {
            result = durable__col_dup(st, 0);
            rc = durable__error_parse(&err, (const char *)sqlite3_column_text(st, 1));
            durable__db_reset(st);
        }
    }
    durable_chained_outcome_kind kind = child->status == DURABLE_EXEC_SUCCEEDED ? DURABLE_CHAINED_SUCCEEDED
                                        : child->status == DURABLE_EXEC_TIMED_OUT ? DURABLE_CHAINED_TIMED_OUT
                                        : child->status == DURABLE_EXEC_STOPPED ? DURABLE_CHAINED_STOPPED
                                                                                 : DURABLE_CHAINED_FAILED;
    if (rc == 0)
        rc = complete_op(e, &parent, child->parent_op_id, kind, result, err);
    if (rc == 0)
        rc = durable__exec_save(e, &parent);
    durable_free(result);
    durable_error_object_free(err);
    durable__exec_clear(&parent);
    return rc;
}

int durable__chained_cancel(durable_engine *e, const eng_exec *parent, const char *op_id,
                            const durable_error_object *err)
{
    invoke_row r;
    int rc = load_row(e, &r, parent->rowid, op_id);
    if (rc <= 0)
        return rc;
    durable_free(r.function_name);
    if (r.state == DURABLE_CHAINED_DONE)
        return 0;
    /* DONE first, so the child's closure below does not complete the op again. */
    if ((rc = set_state(e, parent->rowid, op_id, "DONE", 0)) < 0 || !r.child_rowid)
        return rc;
    eng_exec child;
    if ((rc = durable__exec_load_rowid(e, &child, r.child_rowid)) < 0)
        return rc;
    if (child.status == DURABLE_EXEC_RUNNING) {
        durable_error_object *stop_err = NULL;
        if (!err)
            rc = durable_error_object_new(&stop_err, NULL, "Execution stopped by user request", NULL);
        if (rc == 0)
            rc = durable__exec_abort(e, &child, DURABLE_EXEC_STOPPED, err ? err : stop_err);
        if (rc == 0)
            rc = durable__exec_save(e, &child);
        durable_error_object_free(stop_err);
    }
    durable__exec_clear(&child);
    return rc;
}

/* ---- public API ---- */

void durable_chained_invoke_clear(durable_chained_invoke *c)
{
    if (!c)
        return;
    durable_free(c->parent_arn);
    durable_free(c->op_id);
    durable_free(c->function_name);
    durable_free(c->resolved_function);
    durable_free(c->qualifier);
    durable_free(c->executed_version);
    durable_free(c->input_payload);
    durable_free(c->tenant_id);
    durable_free(c->child_arn);
    memset(c, 0, sizeof *c);
}

void durable_chained_invoke_list_clear(durable_chained_invoke_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        durable_chained_invoke_clear(&l->items[i]);
    durable_free(l->items);
    memset(l, 0, sizeof *l);
}

int durable_engine_list_chained_waiting(durable_chained_invoke_list *out, durable_engine *e)
{
    memset(out, 0, sizeof *out);
    int rc = durable__eng_begin(e, false);
    if (rc < 0)
        return rc;
    /* Runners ask every cycle and nearly always none is waiting: one probe
     * of the state index first, since the join below opens a sorter for
     * its ORDER BY even when it finds no row. */
    sqlite3_stmt *st;
    rc = durable__db_prepare(e, &st,
                             "SELECT EXISTS (SELECT 1 FROM chained_invokes WHERE state = 'WAITING')");
    if (rc == 0 && (rc = durable__db_row(e, st, "find chained invokes")) == 1) {
        bool any = durable__col_i64(st, 0) != 0;
        durable__db_reset(st);
        rc = any ? 0 : 1;
    }
    if (rc != 0)
        return durable__eng_end(e, rc < 0 ? rc : 0);
    rc = durable__db_prepare(
        e, &st,
        "SELECT x.arn, c.op_id, c.function_name, c.resolved_function, c.qualifier, "
        "c.executed_version, c.input_payload, c.tenant_id, c.child_arn FROM chained_invokes c "
        "JOIN executions x ON x.id = c.execution_id "
        "JOIN operations o ON o.execution_id = c.execution_id AND o.op_id = c.op_id "
        "WHERE c.state = 'WAITING' AND x.status = 'RUNNING' AND x.inflight_invocation IS NULL "
        "ORDER BY x.id, o.start_seq");
    while (rc == 0 && (rc = durable__db_row(e, st, "list chained invokes")) == 1) {
        durable_chained_invoke *items =
            durable__realloc(out->items, (out->count + 1) * sizeof *out->items);
        if (!items) {
            rc = durable__error_oom();
            break;
        }
        out->items = items;
        durable_chained_invoke *c = &items[out->count++];
        memset(c, 0, sizeof *c);
        c->parent_arn = durable__col_dup(st, 0);
        c->op_id = durable__col_dup(st, 1);
        c->function_name = durable__col_dup(st, 2);
        c->resolved_function = durable__col_dup(st, 3);
        c->qualifier = durable__col_dup(st, 4);
        c->executed_version = durable__col_dup(st, 5);
        c->input_payload = durable__col_dup(st, 6);
        c->tenant_id = durable__col_dup(st, 7);
        c->child_arn = durable__col_dup(st, 8);
        c->state = DURABLE_CHAINED_WAITING;
        if (!c->parent_arn || !c->op_id || !c->function_name || !c->resolved_function ||
            !c->qualifier || !c->executed_version || !c->child_arn ||
            (!c->input_payload && !durable__col_null(st, 6)) ||
            (!c->tenant_id && !durable__col_null(st, 7)))
            rc = durable__error_oom();
        rc = rc == 1 ? 0 : rc;
    }
    if (rc < 0) {
        durable__db_reset(st);
        durable_chained_invoke_list_clear(out);
    }
    return durable__eng_end(e, rc);
}

static int load_waiting(durable_engine *e, eng_exec *parent, invoke_row *r,
                        const char *parent_arn, const char *op_id)
{
    int rc = durable__exec_load(e, parent, parent_arn);
    if (rc < 0)
        return rc;
    if ((rc = load_row(e, r, parent->rowid, op_id)) < 0)
        return rc;
    if (rc == 0)
        return durable__eng_fail(e, DURABLE_ENOTFOUND, "Chained invoke not found.",
                                 "operation %s of %s", op_id, parent_arn);
    if (r->state != DURABLE_CHAINED_WAITING)
        return durable__eng_fail(e, DURABLE_ESTATE, "Chained invoke is not waiting for dispatch.",
                                 "operation %s of %s", op_id, parent_arn);
    return 0;
}

int durable_engine_start_chained_target(char **out_child_arn, durable_engine *e,
                                        const char *parent_arn, const char *op_id)
{
    if (out_child_arn)
        *out_child_arn = NULL;
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    eng_exec parent = {0}, child = {0};
    invoke_row r = {0};
    char *fn = NULL, *qual = NULL, *name = NULL, *child_op = NULL, *payload = NULL, *tenant = NULL;
    char *child_arn = NULL;
    rc = load_waiting(e, &parent, &r, parent_arn, op_id);
    sqlite3_stmt *st;
    if (rc == 0)
        rc = durable__db_prepare(e, &st,
                                 "SELECT child_arn, input_payload, tenant_id, resolved_function "
                                 "FROM chained_invokes WHERE execution_id = ?1 AND op_id = ?2");
    if (rc == 0) {
        durable__db_i64(st, 1, parent.rowid);
        durable__db_text(st, 2, op_id);
        if ((rc = durable__db_row(e, st, "load chained invoke")) == 1) {
            child_arn = durable__col_dup(st, 0);
            payload = durable__col_dup(st, 1);
            tenant = durable__col_dup(st, 2);
            fn = durable__col_dup(st, 3);
            durable__db_reset(st);
            rc = child_arn && fn ? 0 : durable__error_oom();
        }
    }
    if (rc == 0)
        rc = durable_execution_arn_parse(NULL, &qual, &name, &child_op, child_arn);
    if (rc == 0)
        rc = durable__exec_create(e, &child, child_arn, fn, qual, name, child_op, payload,
                                  e->opts.default_execution_timeout_seconds, tenant, parent.rowid,
                                  op_id);
    if (rc == 0)
        rc = set_state(e, parent.rowid, op_id, "RUNNING", child.rowid);
    if (rc == 0 && out_child_arn) {
        *out_child_arn = durable__strdup(child.arn);
        if (!*out_child_arn)
            rc = durable__error_oom();
    }
    durable_free(r.function_name);
    durable_free(fn);
    durable_free(qual);
    durable_free(name);
    durable_free(child_op);
    durable_free(payload);
    durable_free(tenant);
    durable_free(child_arn);
    durable__exec_clear(&parent);
    durable__exec_clear(&child);
    rc = durable__eng_end(e, rc);
    if (rc < 0 && out_child_arn) {
        durable_free(*out_child_arn);
        *out_child_arn = NULL;
    }
    return rc;
}

int durable_engine_mark_chained_dispatched(durable_engine *e, const char *parent_arn,
                                           const char *op_id)
{
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    eng_exec parent = {0};
    invoke_row r = {0};
    rc = load_waiting(e, &parent, &r, parent_arn, op_id);
    if (rc == 0)
        rc = set_state(e, parent.rowid, op_id, "RUNNING", 0);
    durable_free(r.function_name);
    durable__exec_clear(&parent);
    return durable__eng_end(e, rc);
}

int durable_engine_complete_chained_invoke(durable_engine *e, const char *parent_arn,
                                           const char *op_id, durable_chained_outcome_kind kind,
                                           const char *result, const durable_error_object *error)
{
    if (kind < DURABLE_CHAINED_SUCCEEDED || kind > DURABLE_CHAINED_FUNCTION_NOT_FOUND)
        return durable__error_set(DURABLE_EINVAL, "complete_chained_invoke: unknown outcome %d",
                                  (int)kind);
    int rc = durable__eng_begin(e, true);
    if (rc < 0)
        return rc;
    eng_exec parent = {0};
    invoke_row r = {0};
    durable_error_object *nf = NULL;
    rc = durable__exec_load(e, &parent, parent_arn);
    if (rc == 0) {
        rc = load_row(e, &r, parent.rowid, op_id);
        if (rc == 0)
            rc = durable__eng_fail(e, DURABLE_ENOTFOUND, "Chained invoke not found.",
                                   "operation %s of %s", op_id, parent_arn);
        else if (rc > 0)
            rc = 0;
    }
    if (rc == 0 && r.child_rowid)
        rc = durable__eng_fail(e, DURABLE_ESTATE,
                               "Chained invoke runs as a child execution; the engine completes it.",
                               "operation %s of %s", op_id, parent_arn);
    if (rc == 0 && r.state != DURABLE_CHAINED_DONE) {
        rc = set_state(e, parent.rowid, op_id, "DONE", 0);
        if (rc == 0 && kind == DURABLE_CHAINED_FUNCTION_NOT_FOUND) {
            char *msg = durable__sprintf("Function not found: %s", r.function_name);
            rc = msg ? durable_error_object_new(&nf, "ResourceNotFoundException", msg, NULL)
                     : durable__error_oom();
            durable_free(msg);
        }
        if (rc == 0 && parent.status == DURABLE_EXEC_RUNNING)
            rc = complete_op(e, &parent, op_id, kind, result, nf ? nf : error);
        if (rc == 0)
            rc = durable__exec_save(e, &parent);
    }
    durable_error_object_free(nf);
    durable_free(r.function_name);
    durable__exec_clear(&parent);
    return durable__eng_end(e, rc);
}
