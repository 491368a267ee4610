/* Run one requirement in the local test runner and judge it (SPEC.md §12). */
#include "conformance/run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance/actions.h"
#include "conformance/conformance.h"
#include "conformance/matcher.h"
#include "conformance/pyjson.h"

conf_http_run_fn conf_http_run;

const char *conf_status_name(conf_status s)
{
    switch (s) {
    case CONF_PASS: return "PASS";
    case CONF_FAIL: return "FAIL";
    case CONF_OPTIONAL_FAIL: return "OPTIONAL_FAIL";
    case CONF_NOT_IMPLEMENTED: return "NOT_IMPLEMENTED";
    }
    return "?";
}

static char *rn_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static char *rn_format(const char *fmt, ...)
{
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void conf_outcome_clear(conf_outcome *o)
{
    if (!o)
        return;
    free(o->reason);
    free(o->path);
    free(o->expected);
    free(o->actual);
    free(o->execution);
    memset(o, 0, sizeof *o);
}

static void rn_add(cJSON *obj, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(obj, key, v);
}

char *conf_outcome_to_json(const conf_outcome *o)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    cJSON_AddStringToObject(j, "status", conf_status_name(o->status));
    rn_add(j, "reason", o->reason);
    rn_add(j, "path", o->path);
    rn_add(j, "expected", o->expected);
    rn_add(j, "actual", o->actual);
    rn_add(j, "execution", o->execution);
    cJSON_AddNumberToObject(j, "ms", o->ms);
    char *t = cJSON_PrintUnformatted(j);
    char *copy = rn_dup(t);
    cJSON_free(t);
    cJSON_Delete(j);
    return copy;
}

static char *rn_get(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? rn_dup(v->valuestring) : NULL;
}

int conf_outcome_from_json(conf_outcome *o, const char *text)
{
    memset(o, 0, sizeof *o);
    cJSON *j = cJSON_Parse(text);
    if (!j)
        return -1;
    char *st = rn_get(j, "status");
    o->status = CONF_FAIL;
    for (int s = CONF_PASS; s <= CONF_NOT_IMPLEMENTED; s++)
        if (st && !strcmp(st, conf_status_name((conf_status)s)))
            o->status = (conf_status)s;
    free(st);
    o->reason = rn_get(j, "reason");
    o->path = rn_get(j, "path");
    o->expected = rn_get(j, "expected");
    o->actual = rn_get(j, "actual");
    o->execution = rn_get(j, "execution");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, "ms");
    o->ms = cJSON_IsNumber(ms) ? ms->valuedouble : 0;
    cJSON_Delete(j);
    return 0;
}

/* ---- the run ----------------------------------------------------------------- */

static uint64_t rn_hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static void rn_fail(conf_outcome *out, const char *fmt, ...)
{
    if (out->reason)
        return;
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    out->reason = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (out->reason)
        vsnprintf(out->reason, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->status = CONF_FAIL;
}

static void rn_take_mismatch(conf_outcome *out, conf_mismatch *m)
{
    out->status = CONF_FAIL;
    out->reason = m->message;
    out->path = m->path;
    out->expected = m->expected;
    out->actual = m->actual;
    memset(m, 0, sizeof *m);
}

static void rn_library_error(conf_outcome *out, const char *what, int rc)
{
    rn_fail(out, "%s failed: %s (%s)", what, durable_code_name(rc), durable_error_last()->message);
}

/* "SUCCEEDED", "FAILED (StepError: boom)", "RUNNING (run ended idle)". */
static char *rn_execution_summary(const durable_test_result *res, int run_rc)
{
    durable_exec_status st = durable_test_result_status(res);
    const char *name = durable_exec_status_name(st);
    const durable_error_object *e = NULL;
    if (st == DURABLE_EXEC_RUNNING)
        return rn_format("%s (%s)", name,
                         run_rc == DURABLE_EIDLE ? "the run could not progress" : "still running");
    if (st != DURABLE_EXEC_SUCCEEDED && durable_test_result_get_error(&e, res) == 0 && e)
        return rn_format("%s (%s: %s)", name, e->error_type ? e->error_type : "-",
                         e->error_message ? e->error_message : "-");
    return rn_dup(name);
}

static void rn_sanitize_name(char *dst, size_t size, const char *id)
{
    snprintf(dst, size, "conformance-%s", id);
    for (char *p = dst; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '-';
}

static void rn_dump(const durable_test_result *res, const cJSON *events, const char *id)
{
    char *h = events ? cJSON_Print(events) : NULL;
    fprintf(stderr, "---- %s: actual history\n%s\n", id, h ? h : "(none)");
    cJSON_free(h);
    size_t n = res ? durable_test_result_log_count(res) : 0;
    fprintf(stderr, "---- %s: %zu log line(s)\n", id, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s\n", durable_test_result_log_line(res, i));
}

/* Judge a finished run: history, then result, then logs. */
static void rn_judge(conf_outcome *out, const conf_requirement *req, durable_test_result *res,
                     int run_rc, conf_bindings *b, const conf_run_options *opts)
{
    conf_mismatch m = {0};
    char *hist = NULL;
    cJSON *doc = NULL;
    const char *result_text = NULL;
    int rc = durable_test_result_history_json(&hist, res, DURABLE_TS_EPOCH_SECONDS, false);
    if (rc != 0) {
        rn_library_error(out, "durable_test_result_history_json", rc);
        goto done;
    }
    doc = cJSON_Parse(hist);
    cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "Events");
    if (!cJSON_IsArray(events)) {
        rn_fail(out, "the runner's history is not {\"Events\":[...]}");
        goto done;
    }
    conf_inherit_callback_names(events);
    rc = conf_match_history(&m, req->expected_history, events, b);
    if (rc == 0 && !(req->async_invoke && !req->expected_result)) {
        durable_exec_status st = durable_test_result_status(res);
        if (st == DURABLE_EXEC_SUCCEEDED && durable_test_result_get_result(&result_text, res) != 0)
            result_text = NULL;
        rc = conf_match_result(&m, req->expected_result, durable_exec_status_name(st), result_text,
                               b);
    }
    if (rc == 0 && req->expected_logs) {
        size_t n = durable_test_result_log_count(res);
        const char **lines = calloc(n ? n : 1, sizeof *lines);
        if (!lines) {
            rn_fail(out, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            lines[i] = durable_test_result_log_line(res, i);
        rc = conf_match_logs(&m, req->expected_logs, lines, n, b);
        free(lines);
    }
    if (rc != 0) {
        rn_take_mismatch(out, &m);
        if (opts->verbose)
            rn_dump(res, events, req->id);
    } else if (run_rc == DURABLE_EIDLE && !(req->async_invoke && !req->expected_result)) {
        rn_fail(out, "the run could not progress: %s", durable_error_last()->message);
    } else {
        out->status = CONF_PASS;
    }
done:
    conf_mismatch_clear(&m);
    cJSON_Delete(doc);
    durable_free(hist);
}

static int rn_execute(conf_outcome *out, const conf_requirement *req, const conf_handler *h,
                      conf_bindings *b, const conf_run_options *opts)
{
    char err[512] = "";
    char fname[160];
    char db[512] = "";
    conf_actions actions = {0};
    char *input = NULL;
    durable_test_runner *r = NULL;
    durable_test_result *res = NULL;
    bool env = false;
    int rc;

    cJSON *in = conf_substitute(req->input, b);
    cJSON *acts = req->callback_actions ? conf_substitute(req->callback_actions, b) : NULL;
    if (!in || (req->callback_actions && !acts)) {
        rn_fail(out, "out of memory substituting Input / CallbackActions");
        goto done;
    }
    input = conf_pyjson_dumps(in);
    if (!input) {
        rn_fail(out, "out of memory encoding Input");
        goto done;
    }
    if (conf_actions_build(&actions, acts, err, sizeof err) < 0) {
        rn_fail(out, "%s", err);
        goto done;
    }

    if (opts->http_function) {
        rn_sanitize_name(fname, sizeof fname, req->id);
        if (!conf_http_run) {
            rn_fail(out, "this runner has no HTTP mode (build it with make conformance-http)");
            goto done;
        }
        rc = conf_http_run(&res, req, fname, input, actions.items, actions.count, opts, err,
                           sizeof err);
        if (!res) {
            rn_fail(out, "%s", err);
            goto done;
        }
        rc = rc == DURABLE_ETIMEOUT ? DURABLE_EIDLE : rc;
        out->execution = rn_execution_summary(res, rc);
        rn_judge(out, req, res, rc, b, opts);
        goto done;
    }

    durable_test_env_config cfg = DURABLE_TEST_ENV_CONFIG_INIT;
    cfg.skip_time = true;
    cfg.deterministic_clock = true;
    cfg.idle_limit_ms = opts->idle_limit_ms > 0 ? opts->idle_limit_ms : 1000;
    if (h->flags & CONF_CRASH) {
        snprintf(db, sizeof db, "%s/conformance-%ld-%s.db", opts->tmp_dir ? opts->tmp_dir : "/tmp",
                 (long)getpid(), req->id);
        for (char *p = strrchr(db, '/') + 1; *p; p++)
            if (*p == '#')
                *p = '_';
        cfg.db_path = db;
    }
    rc = durable_test_env_setup(&cfg);
    if (rc != 0) {
        rn_library_error(out, "durable_test_env_setup", rc);
        goto done;
    }
    env = true;
    rn_sanitize_name(fname, sizeof fname, req->id);
    rc = durable_test_runner_new(&r, h->handler, h->user, fname);
    if (rc == 0)
        rc = conf_register_targets(r);
    if (rc != 0) {
        rn_library_error(out, "creating the runner", rc);
        goto done;
    }
    durable_test_runner_options ro = DURABLE_TEST_RUNNER_OPTIONS_INIT;
    ro.crash_isolation = (h->flags & CONF_CRASH) != 0;
    ro.log_during_replay = (h->flags & CONF_LOG_DURING_REPLAY) != 0;
    ro.plugins = h->plugins;
    ro.plugin_count = h->plugin_count;
    ro.strict_callback_actions = actions.count > 0;
    rc = durable_test_runner_set_options(r, &ro);
    for (size_t i = 0; rc == 0 && i < actions.count; i++)
        rc = durable_test_runner_add_callback_action(r, &actions.items[i]);
    if (rc != 0) {
        rn_library_error(out, "configuring the runner", rc);
        goto done;
    }

    rc = durable_test_runner_run(&res, r, input);
    if (rc != 0 && rc != DURABLE_EIDLE) {
        rn_library_error(out, "durable_test_runner_run", rc);
        goto done;
    }
    out->execution = rn_execution_summary(res, rc);
    rn_judge(out, req, res, rc, b, opts);

done:
    durable_test_result_free(res);
    durable_test_runner_free(r);
    if (env)
        (void)durable_test_env_teardown();
    if (db[0]) {
        char side[600];
        unlink(db);
        snprintf(side, sizeof side, "%s-wal", db);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", db);
        unlink(side);
    }
    conf_actions_clear(&actions);
    free(input);
    cJSON_Delete(acts);
    cJSON_Delete(in);
    return 0;
}

int conf_run_requirement(conf_outcome *out, const conf_requirement *req,
                         const conf_run_options *opts)
{
    conf_bindings b = {0};
    char err[512] = "";
    const conf_handler *h = conf_find_handler(req->id);
    if (!h || !h->handler) {
        out->status = CONF_NOT_IMPLEMENTED;
        out->reason = rn_format("no handler registered for requirement %s", req->id);
        return 0;
    }
    uint64_t rng = opts->seed ^ rn_hash(req->id);
    if (conf_resolve_variables(&b, req->variables, &rng, err, sizeof err) < 0) {
        rn_fail(out, "%s", err);
    } else {
        rn_execute(out, req, h, &b, opts);
    }
    if (out->status == CONF_FAIL && req->optional)
        out->status = CONF_OPTIONAL_FAIL;
    conf_bindings_clear(&b);
    return 0;
}
