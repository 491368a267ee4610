/* durable — `executions`, `show` and EXEC resolution. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The function name inside a FunctionArn (…:function:NAME[:qualifier]). */
static void function_of(char *buf, size_t size, const char *function_arn)
{
    const char *p = function_arn ? strstr(function_arn, ":function:") : NULL;
    p = p ? p + 10 : (function_arn ? function_arn : "");
    size_t n = strcspn(p, ":/");
    if (n >= size)
        n = size - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

/* Walks every execution (all pages) matching req, calling fn until it
 * returns non-zero. Returns an exit code. `want` > 0: fn stops after that
 * many, so no page asks for more (a page of 1000 costs the engine twenty
 * times one of 50); 0: pages of DURABLE_MAX_ITEMS. */
typedef int (*exec_visit)(void *ctx, const durable_execution_info *x);
static int each_execution(cli_db *db, durable_list_request *req, long want, exec_visit fn,
                          void *ctx)
{
    char *marker = NULL;
    for (;;) {
        durable_list_response resp = {0};
        req->marker = marker;
        req->max_items = want > 0 && want < DURABLE_MAX_ITEMS ? want : DURABLE_MAX_ITEMS;
        int rc = durable_engine_list_executions(&resp, db->engine, req);
        req->marker = NULL;
        free(marker);
        marker = NULL;
        if (rc < 0)
            return cli_engine_fail(db, rc, "listing executions");
        int stop = 0;
        for (size_t i = 0; i < resp.count && !stop; i++)
            stop = fn(ctx, &resp.executions[i]);
        if (!stop && resp.next_marker && *resp.next_marker)
            marker = strdup(resp.next_marker);
        durable_list_response_clear(&resp);
        if (!marker)
            return CLI_OK;
    }
}

/* What an EXEC reference matched, by kind: an exact ARN or operation id
 * wins, then an exact DurableExecutionName, then a prefix of an ARN or
 * operation id. Names are what people know ("order-1001"); the same name
 * may be used by two functions, so a name can be ambiguous too. */
typedef struct exec_match {
    char *arn;
    char *name;
    durable_exec_status status;
} exec_match;

typedef struct match_list {
    exec_match *items;
    size_t count;
} match_list;

typedef struct resolve_ctx {
    const char *want;
    size_t want_len;
    char *exact;
    match_list by_name, by_prefix;
    int oom;
} resolve_ctx;

static void match_add(resolve_ctx *c, match_list *l, const durable_execution_info *x)
{
    exec_match *n = realloc(l->items, (l->count + 1) * sizeof *n);
    if (!n) {
        c->oom = 1;
        return;
    }
    l->items = n;
    exec_match *m = &n[l->count++];
    m->arn = strdup(x->durable_execution_arn);
    m->name = strdup(x->durable_execution_name ? x->durable_execution_name : "");
    m->status = x->status;
    c->oom |= !m->arn || !m->name;
}

static void match_list_clear(match_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].arn);
        free(l->items[i].name);
    }
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static int resolve_visit(void *vctx, const durable_execution_info *x)
{
    resolve_ctx *c = vctx;
    const char *arn = x->durable_execution_arn;
    const char *slash = strrchr(arn, '/');
    const char *op_id = slash ? slash + 1 : arn;
    if (strcmp(arn, c->want) == 0 || strcmp(op_id, c->want) == 0) {
        c->exact = strdup(arn);
        c->oom |= !c->exact;
        return 1;
    }
    if (x->durable_execution_name && strcmp(x->durable_execution_name, c->want) == 0)
        match_add(c, &c->by_name, x);
    else if (strncmp(arn, c->want, c->want_len) == 0 ||
             strncmp(op_id, c->want, c->want_len) == 0)
        match_add(c, &c->by_prefix, x);
    return c->oom;
}

/* Lists the candidates so the user can pick one (at most 20 lines). */
static void print_ambiguous(const cli_db *db, const char *exec, const match_list *l,
                            const char *how)
{
    fprintf(stderr, "durable: %s: '%s' is ambiguous (%zu executions match %s):\n", db->path,
            exec, l->count, how);
    for (size_t i = 0; i < l->count && i < 20; i++)
        fprintf(stderr, "  %s  %s  %s\n", l->items[i].arn, l->items[i].name,
                durable_exec_status_name(l->items[i].status));
    if (l->count > 20)
        fprintf(stderr, "  ... and %zu more\n", l->count - 20);
}

int cli_resolve_exec(char **out, cli_db *db, const char *exec)
{
    *out = NULL;
    if (!*exec) {
        fprintf(stderr, "durable: %s: empty execution reference\n", db->path);
        return CLI_USAGE;
    }
    /* An exact ARN is found through its execution's key, without walking
     * every execution of the file. */
    durable_exec_status found;
    if (strncmp(exec, "arn:", 4) == 0 &&
        durable_engine_execution_status(&found, NULL, db->engine, exec) == 0) {
        if (!(*out = strdup(exec))) {
            fprintf(stderr, "durable: out of memory\n");
            return CLI_DBERR;
        }
        return CLI_OK;
    }
    durable_list_request req = {0};
    resolve_ctx c = {exec, strlen(exec), NULL, {NULL, 0}, {NULL, 0}, 0};
    int rc = each_execution(db, &req, 0, resolve_visit, &c);
    if (rc == CLI_OK && c.oom) {
        fprintf(stderr, "durable: out of memory\n");
        rc = CLI_DBERR;
    }
    const match_list *l = c.by_name.count ? &c.by_name : &c.by_prefix;
    if (rc != CLI_OK || c.exact) {
        /* found, or failed */
    } else if (l->count == 0) {
        fprintf(stderr, "durable: %s: no execution matches '%s' (an ARN, execution name, "
                        "operation id or a prefix of an ARN or id)\n", db->path, exec);
        rc = CLI_NOTFOUND;
    } else if (l->count > 1) {
        print_ambiguous(db, exec, l, l == &c.by_name ? "by name" : "by prefix");
        rc = CLI_USAGE;
    } else {
        c.exact = l->items[0].arn;
        l->items[0].arn = NULL;
    }
    match_list_clear(&c.by_name);
    match_list_clear(&c.by_prefix);
    if (rc != CLI_OK) {
        free(c.exact);
        return rc;
    }
    *out = c.exact;
    return CLI_OK;
}

/* ---- executions ----------------------------------------------------------- */

typedef struct list_ctx {
    cli_table *table;
    cJSON *array;
    long limit;
    long count;
} list_ctx;

static int list_visit(void *vctx, const durable_execution_info *x)
{
    list_ctx *c = vctx;
    if (c->limit > 0 && c->count >= c->limit)
        return 1;
    c->count++;
    if (c->array) {
        cJSON *j = NULL;
        if (durable_execution_info_to_json(&j, x, DURABLE_TS_RFC3339) == 0)
            cJSON_AddItemToArray(c->array, j);
        return c->limit > 0 && c->count >= c->limit;
    }
    char fn[256], st[40], en[40], du[40];
    function_of(fn, sizeof fn, x->function_arn);
    cli_fmt_time(st, sizeof st, x->start_timestamp);
    cli_fmt_time(en, sizeof en, x->end_timestamp);
    cli_fmt_duration(du, sizeof du, x->start_timestamp, x->end_timestamp);
    const char *row[] = {x->durable_execution_arn, fn, x->durable_execution_name,
                         durable_exec_status_name(x->status), st, en, du};
    cli_table_row(c->table, row);
    return c->limit > 0 && c->count >= c->limit;
}

static int parse_statuses(durable_list_request *req, char *arg)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        durable_exec_status s;
        if (durable_exec_status_parse(&s, tok) < 0)
            return cli_usage("executions", "unknown status '%s'", tok);
        durable_exec_status *n =
            realloc(req->statuses, (req->status_count + 1) * sizeof *req->statuses);
        if (!n)
            return CLI_DBERR;
        req->statuses = n;
        req->statuses[req->status_count++] = s;
    }
    return CLI_OK;
}

int cmd_executions(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    long limit = 0;
    durable_list_request req = {0};
    req.reverse_order = true; /* newest first */
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--status") == 0 && has_val)
            rc = parse_statuses(&req, argv[++i]);
        else if (strcmp(a, "--function") == 0 && has_val)
            req.function_name = argv[++i];
        else if (strcmp(a, "--name") == 0 && has_val)
            req.durable_execution_name = argv[++i];
        else if ((strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) && has_val) {
            int64_t ms;
            if (durable_ts_parse(&ms, argv[i + 1]) < 0)
                rc = cli_usage("executions", "bad time '%s' for %s", argv[i + 1], a);
            else if (a[2] == 's')
                req.started_after = ms;
            else
                req.started_before = ms;
            i++;
        } else if (strcmp(a, "--limit") == 0 && has_val) {
            char *end;
            limit = strtol(argv[++i], &end, 10);
            if (*end || limit <= 0)
                rc = cli_usage("executions", "bad --limit '%s'", argv[i]);
        } else if (a[0] == '-' && a[1])
            rc = cli_usage("executions", "unknown or incomplete option '%s'", a);
        else if (!path)
            path = a;
        else
            rc = cli_usage("executions", "unexpected argument '%s'", a);
    }
    if (rc == CLI_OK && !path)
        rc = cli_usage("executions", "missing DB");
    cli_db db;
    if (rc == CLI_OK)
        rc = cli_db_open(&db, path, true);
    if (rc != CLI_OK) {
        free(req.statuses);
        return rc;
    }
    static const char *const hdr[] = {"ARN", "FUNCTION", "NAME", "STATUS", "START", "END",
                                      "DURATION"};
    list_ctx c = {NULL, NULL, limit, 0};
    if (json)
        c.array = cJSON_CreateArray();
    else
        c.table = cli_table_new(7, hdr);
    rc = each_execution(&db, &req, limit, list_visit, &c);
    /* Function names are taken as given; they are not engine rejections. */
    free(req.statuses);
    cli_db_close(&db);
    if (rc == CLI_OK) {
        if (json) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddItemToObject(doc, "DurableExecutions", c.array);
            c.array = NULL;
            rc = cli_print_json(doc);
        } else
            cli_table_print(c.table, stdout);
    }
    cJSON_Delete(c.array);
    cli_table_free(c.table);
    return rc;
}

/* ---- show ------------------------------------------------------------------- */

static void print_tree(cli_table *t, const durable_operation_list *ops, const char *parent,
                       int depth)
{
    for (size_t i = 0; i < ops->count; i++) {
        const durable_operation *op = &ops->items[i];
        bool is_root = !op->parent_id;
        if (!is_root && !parent) {
            /* A parent that is not in the list: shown at the top level. */
            is_root = true;
            for (size_t k = 0; k < ops->count; k++)
                if (strcmp(ops->items[k].id, op->parent_id) == 0)
                    is_root = false;
        }
        if (parent ? !(op->parent_id && strcmp(op->parent_id, parent) == 0) : !is_root)
            continue;
        char id[160], att[32], st[40], en[40], du[40];
        snprintf(id, sizeof id, "%*s%s", depth * 2, "", op->id);
        if (op->attempt >= 0 && op->type == DURABLE_OP_STEP)
            snprintf(att, sizeof att, "%lld", (long long)op->attempt);
        else
            snprintf(att, sizeof att, "-");
        cli_fmt_time(st, sizeof st, op->start_timestamp);
        cli_fmt_time(en, sizeof en, op->end_timestamp);
        cli_fmt_duration(du, sizeof du, op->start_timestamp, op->end_timestamp);
        const char *row[] = {id,  durable_op_type_name(op->type), op->subtype ? op->subtype : "-",
                             op->name ? op->name : "-", durable_op_status_name(op->status),
                             att, st, en, du};
        cli_table_row(t, row);
        print_tree(t, ops, op->id, depth + 1);
    }
}

int cmd_show(int argc, char **argv)
{
    const char *path = NULL, *exec = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("show", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else if (!exec)
            exec = argv[i];
        else
            return cli_usage("show", "unexpected argument '%s'", argv[i]);
    }
    if (!exec)
        return cli_usage("show", path ? "missing EXEC" : "missing DB and EXEC");
    cli_db db;
    int rc = cli_db_open(&db, path, true);
    if (rc != CLI_OK)
        return rc;
    char *arn = NULL;
    durable_execution_info x = {0};
    durable_operation_list ops = {0};
    durable_execution_state s = {0};
    rc = cli_resolve_exec(&arn, &db, exec);
    int erc;
    if (rc == CLI_OK && (erc = durable_engine_get_execution(&x, db.engine, arn)) < 0)
        rc = cli_engine_fail(&db, erc, "reading the execution");
    if (rc == CLI_OK && (erc = durable_engine_list_operations(&ops, db.engine, arn)) < 0)
        rc = cli_engine_fail(&db, erc, "reading operations");
    if (rc == CLI_OK && (erc = durable_engine_execution_state(&s, db.engine, arn)) < 0)
        rc = cli_engine_fail(&db, erc, "reading the execution state");
    if (rc == CLI_OK && json) {
        cJSON *doc = NULL, *arr = cJSON_CreateArray();
        durable_execution_info_to_json(&doc, &x, DURABLE_TS_RFC3339);
        if (doc) {
            cJSON_AddNumberToObject(doc, "InvocationCount", (double)s.invocation_count);
            for (size_t i = 0; i < ops.count; i++) {
                cJSON *o = NULL;
                if (durable_operation_to_json(&o, &ops.items[i], DURABLE_TS_RFC3339) == 0)
                    cJSON_AddItemToArray(arr, o);
            }
            cJSON_AddItemToObject(doc, "Operations", arr);
            arr = NULL;
        }
        cJSON_Delete(arr);
        rc = cli_print_json(doc);
    } else if (rc == CLI_OK) {
        char fn[256], st[40], en[40], du[40];
        function_of(fn, sizeof fn, x.function_arn);
        cli_fmt_time(st, sizeof st, x.start_timestamp);
        cli_fmt_time(en, sizeof en, x.end_timestamp);
        cli_fmt_duration(du, sizeof du, x.start_timestamp, x.end_timestamp);
        printf("Execution:   %s\nName:        %s\nFunction:    %s\nStatus:      %s\n"
               "Start:       %s\nEnd:         %s\nDuration:    %s\nInvocations: %lld\n",
               x.durable_execution_arn, x.durable_execution_name, fn,
               durable_exec_status_name(x.status), st, en, du, (long long)s.invocation_count);
        printf("Input:       %s\n", x.input_payload ? x.input_payload : "-");
        if (x.result)
            printf("Result:      %s\n", x.result);
        if (x.error) {
            cJSON *ej = NULL;
            durable_error_object_to_json(&ej, x.error);
            char *et = ej ? cJSON_PrintUnformatted(ej) : NULL;
            printf("Error:       %s\n", et ? et : "?");
            cJSON_free(et);
            cJSON_Delete(ej);
        }
        printf("\nOperations:\n");
        static const char *const hdr[] = {"ID", "TYPE", "SUBTYPE", "NAME", "STATUS",
                                          "ATTEMPT", "START", "END", "DURATION"};
        cli_table *t = cli_table_new(9, hdr);
        print_tree(t, &ops, NULL, 0);
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
    durable_execution_state_clear(&s);
    durable_operation_list_clear(&ops);
    durable_execution_info_clear(&x);
    free(arn);
    cli_db_close(&db);
    return rc;
}
