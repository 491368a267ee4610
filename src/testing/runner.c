/* The runner (seed design "LocalDurableTestRunner"): handler and
 * registrations, options, callback responders, run / start / await /
 * resume, and building the result at the end of a run. */
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "model/internal.h"
#include "testing/result_internal.h"

/* ---- lifecycle ------------------------------------------------------------------ */

static bool valid_function_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 140)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

int durable_test_runner_new(durable_test_runner **out, durable_handler_fn handler, void *user,
                            const char *function_name)
{
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_new: out is NULL");
    *out = NULL;
    if (!handler)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_new: handler is NULL");
    if (!valid_function_name(function_name))
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_runner_new: function name '%s' must be 1-140 "
                                  "characters of [a-zA-Z0-9-_]",
                                  function_name ? function_name : "(null)");
    durable_test_runner *r = durable__calloc(1, sizeof *r);
    if (!r)
        return durable__error_oom();
    r->handler = (durable__tst_handler)handler;
    r->user = user;
    r->opts.log_level = DURABLE_LOG_FROM_ENV;
    if (!(r->function_name = durable__strdup(function_name))) {
        durable_free(r);
        return durable__error_oom();
    }
    *out = r;
    return 0;
}

static void opts_clear(durable__opts *o)
{
    durable_free(o->execution_name);
    durable_free(o->tenant_id);
    o->execution_name = NULL;
    o->tenant_id = NULL;
}

static void finish_background(durable_test_runner *r);
static int collect(durable_test_result **out, durable_test_runner *r);

void durable_test_runner_free(durable_test_runner *r)
{
    if (!r)
        return;
    if (r->thread_started)
        finish_background(r);
    if (r->run)
        (void)collect(NULL, r);
    durable__probes_free(r);
    for (size_t i = 0; i < r->reg_count; i++)
        durable_free(r->regs[i].name);
    durable_free(r->regs);
    durable_test_runner_clear_callback_actions(r);
    opts_clear(&r->opts);
    durable_free(r->function_name);
    durable_free(r->arn);
    durable_free(r);
}

static int busy(const durable_test_runner *r, const char *what)
{
    return durable__error_set(DURABLE_ESTATE, "%s: a run of %s is in progress (%s); await it first",
                              what, r->function_name, r->arn ? r->arn : "");
}

int durable_test_runner_reset(durable_test_runner *r)
{
    if (!r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_reset: runner is NULL");
    if (r->run)
        return busy(r, "durable_test_runner_reset");
    durable__probes_unbind(r);
    durable_free(r->arn);
    r->arn = NULL;
    return 0;
}

int durable_test_runner_set_options(durable_test_runner *r,
                                    const durable_test_runner_options *opts)
{
    if (!r || !opts)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_set_options: NULL argument");
    if (r->run)
        return busy(r, "durable_test_runner_set_options");
    if (opts->execution_timeout_seconds < 0 ||
        opts->execution_timeout_seconds > DURABLE__MAX_EXEC_TIMEOUT)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_runner_set_options: execution_timeout_seconds "
                                  "%lld out of range 0..31622400",
                                  (long long)opts->execution_timeout_seconds);
    if (opts->plugin_count && !opts->plugins)
        return durable__error_set(DURABLE_EINVAL,
                                  "durable_test_runner_set_options: plugin_count without plugins");
    durable__opts n;
    memset(&n, 0, sizeof n);
    if ((opts->execution_name && !(n.execution_name = durable__strdup(opts->execution_name))) ||
        (opts->tenant_id && !(n.tenant_id = durable__strdup(opts->tenant_id)))) {
        opts_clear(&n);
        return durable__error_oom();
    }
    n.execution_timeout_s = opts->execution_timeout_seconds;
    n.crash_isolation = opts->crash_isolation;
    n.log_level = (int)opts->log_level;
    n.log_during_replay = opts->log_during_replay;
    n.echo_logs = opts->echo_logs;
    n.plugins = opts->plugins;
    n.plugin_count = opts->plugin_count;
    n.strict_callback_actions = opts->strict_callback_actions;
    opts_clear(&r->opts);
    r->opts = n;
    return 0;
}

/* ---- registrations ------------------------------------------------------------------ */

static int add_reg(durable_test_runner *r, const char *name, bool durable, durable__tst_handler h,
                   durable__tst_plain fn, void *user)
{
    if (!r || !name || !*name || (durable ? !h : !fn))
        return durable__error_set(DURABLE_EINVAL,
                                  "registering a function: runner, name and function are required");
    if (r->run)
        return busy(r, "registering a function");
    durable__reg *reg = NULL;
    for (size_t i = 0; i < r->reg_count; i++)
        if (strcmp(r->regs[i].name, name) == 0)
            reg = &r->regs[i];
    if (!reg) {
        durable__reg *n = durable__realloc(r->regs, (r->reg_count + 1) * sizeof *n);
        if (!n)
            return durable__error_oom();
        r->regs = n;
        reg = &n[r->reg_count];
        memset(reg, 0, sizeof *reg);
        if (!(reg->name = durable__strdup(name)))
            return durable__error_oom();
        r->reg_count++;
    }
    reg->durable = durable;
    reg->handler = h;
    reg->fn = fn;
    reg->user = user;
    return 0;
}

int durable_test_runner_register_durable_function(durable_test_runner *r, const char *name,
                                                  durable_handler_fn handler, void *user)
{
    return add_reg(r, name, true, (durable__tst_handler)handler, NULL, user);
}

int durable_test_runner_register_function(durable_test_runner *r, const char *name,
                                          durable_test_function_fn fn, void *user)
{
    return add_reg(r, name, false, NULL, (durable__tst_plain)fn, user);
}

int durable_test_runner_unregister_function(durable_test_runner *r, const char *name)
{
    if (!r || !name)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_unregister_function: NULL "
                                                  "argument");
    if (r->run)
        return busy(r, "durable_test_runner_unregister_function");
    for (size_t i = 0; i < r->reg_count; i++) {
        if (strcmp(r->regs[i].name, name) != 0)
            continue;
        durable_free(r->regs[i].name);
        memmove(&r->regs[i], &r->regs[i + 1], (r->reg_count - i - 1) * sizeof *r->regs);
        r->reg_count--;
        return 0;
    }
    return durable__error_set(DURABLE_ENOFUNCTION, "Function not registered: %s", name);
}

int durable_test_runner_function_call_count(int64_t *out, const durable_test_runner *r,
                                            const char *name)
{
    if (!out || !r || !name)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_function_call_count: NULL "
                                                  "argument");
    if (strcmp(name, r->function_name) == 0) {
        *out = r->root_calls;
        return 0;
    }
    for (size_t i = 0; i < r->reg_count; i++)
        if (strcmp(r->regs[i].name, name) == 0) {
            *out = r->regs[i].calls;
            return 0;
        }
    return durable__error_set(DURABLE_ENOFUNCTION, "Function not registered: %s", name);
}

/* ---- callback responders and actions ----------------------------------------------- */

int durable__cb_action_copy(durable__cb_action *dst, const durable_test_callback_action *a,
                            bool responder)
{
    memset(dst, 0, sizeof *dst);
    if (a->op < DURABLE_TEST_CALLBACK_SUCCEED || a->op > DURABLE_TEST_CALLBACK_NEVER)
        return durable__error_set(DURABLE_EINVAL, "callback action: unknown op %d", (int)a->op);
    if (a->match < DURABLE_TEST_MATCH_ANY || a->match > DURABLE_TEST_MATCH_REGEX)
        return durable__error_set(DURABLE_EINVAL, "callback action: unknown match %d",
                                  (int)a->match);
    if (a->match != DURABLE_TEST_MATCH_ANY && !a->name)
        return durable__error_set(DURABLE_EINVAL,
                                  "callback action: a name is required for EXACT / REGEX matching");
    if (a->delay_ms < 0 || (responder && a->heartbeat_count < 0))
        return durable__error_set(DURABLE_EINVAL,
                                  "callback action: delay_ms and heartbeat_count must be >= 0");
    dst->match = (int)a->match;
    dst->op = (int)a->op;
    dst->delay_ms = a->delay_ms;
    dst->heartbeat_count = responder ? a->heartbeat_count : 0;
    if (a->match == DURABLE_TEST_MATCH_REGEX) {
        int e = regcomp(&dst->re, a->name, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char buf[128];
            regerror(e, &dst->re, buf, sizeof buf);
            return durable__error_set(DURABLE_EINVAL, "callback action: regex '%s': %s", a->name,
                                      buf);
        }
        dst->has_re = true;
    }
    if ((a->name && !(dst->name = durable__strdup(a->name))) ||
        (a->payload && !(dst->payload = durable__strdup(a->payload))) ||
        (a->error_type && !(dst->error_type = durable__strdup(a->error_type))) ||
        (a->error_message && !(dst->error_message = durable__strdup(a->error_message))) ||
        (a->error_data && !(dst->error_data = durable__strdup(a->error_data)))) {
        durable__cb_action_clear(dst);
        return durable__error_oom();
    }
    return 0;
}

static int add_action(durable__cb_action **arr, size_t *count, durable_test_runner *r,
                      const durable_test_callback_action *a, bool responder)
{
    if (!r || !a)
        return durable__error_set(DURABLE_EINVAL, "callback action: NULL argument");
    if (r->run)
        return busy(r, "adding a callback action");
    return durable__cb_actions_add(arr, count, a, responder);
}

int durable__cb_actions_add(durable__cb_action **arr, size_t *count,
                            const durable_test_callback_action *a, bool responder)
{
    durable__cb_action c;
    int rc = durable__cb_action_copy(&c, a, responder);
    if (rc < 0)
        return rc;
    durable__cb_action *n = durable__realloc(*arr, (*count + 1) * sizeof *n);
    if (!n) {
        durable__cb_action_clear(&c);
        return durable__error_oom();
    }
    *arr = n;
    n[(*count)++] = c;
    return 0;
}

void durable__cb_actions_clear(durable__cb_action **arr, size_t *count)
{
    for (size_t i = 0; i < *count; i++)
        durable__cb_action_clear(&(*arr)[i]);
    durable_free(*arr);
    *arr = NULL;
    *count = 0;
}

int durable_test_runner_add_callback_responder(durable_test_runner *r,
                                               const durable_test_callback_action *a)
{
    return add_action(r ? &r->responders : NULL, r ? &r->responder_count : NULL, r, a, true);
}

int durable_test_runner_add_callback_action(durable_test_runner *r,
                                            const durable_test_callback_action *a)
{
    return add_action(r ? &r->actions : NULL, r ? &r->action_count : NULL, r, a, false);
}

void durable_test_runner_clear_callback_actions(durable_test_runner *r)
{
    if (!r || r->run)
        return;
    durable__cb_actions_clear(&r->responders, &r->responder_count);
    durable__cb_actions_clear(&r->actions, &r->action_count);
}

/* ---- running -------------------------------------------------------------------------- */

static int not_setup(const char *what)
{
    return durable__error_set(DURABLE_ENOTSETUP,
                              "EnvironmentNotSetUp: %s needs the test environment; call "
                              "durable_test_env_setup() first",
                              what);
}

/* Create the run and take the environment. */
static int begin(durable__run **out, durable_test_runner *r, const char *what)
{
    *out = NULL;
    if (!r)
        return durable__error_set(DURABLE_EINVAL, "%s: runner is NULL", what);
    if (!durable_test_env_is_setup())
        return not_setup(what);
    if (r->run)
        return busy(r, what);
    int rc = durable__tenv_acquire();
    if (rc < 0)
        return rc;
    rc = durable__run_new(out, r);
    if (rc < 0)
        durable__tenv_release();
    return rc;
}

static void abandon(durable__run *run)
{
    durable__run_free(run);
    durable__tenv_release();
}

/* The run exists in the engine: make it the runner's current run. */
static int adopt(durable_test_runner *r, durable__run *run)
{
    char *arn = durable__strdup(run->root_arn);
    if (!arn)
        return durable__error_oom();
    durable__probes_unbind(r);
    durable_free(r->arn);
    r->arn = arn;
    durable__tenv_lock();
    r->run = run;
    durable__tenv_unlock();
    return 0;
}

/* The run thread's epilogue: record the outcome and build the result. */
static void conclude(durable__run *run, int rc)
{
    run->rc = rc;
    if (rc < 0)
        run->errmsg = durable__strdup(durable_error_last()->message);
    durable__snap snap;
    memset(&snap, 0, sizeof snap);
    if (durable__snap_gather(&snap, run->root_arn, true) == 0)
        (void)durable__result_from_snap(&run->result, &snap, run);
    durable__snap_clear(&snap);
    durable__tenv_lock();
    run->finished = true;
    durable__tenv_unlock();
    durable__tenv_notify();
}

/* Hand the finished run's result to the caller and forget the run. */
static int collect(durable_test_result **out, durable_test_runner *r)
{
    durable__run *run = r->run;
    int rc = run->rc;
    char *msg = run->errmsg;
    run->errmsg = NULL;
    durable_test_result *res = run->result;
    run->result = NULL;
    if (res)
        (void)durable__probes_bind_result(r, res);
    durable__tenv_lock();
    r->run = NULL;
    durable__tenv_unlock();
    durable__run_free(run);
    durable__tenv_release();
    if (rc == 0 && !res) {
        rc = durable__error_set(DURABLE_ESERVER, "Checkpoint server error: the result of %s "
                                                 "could not be read",
                                r->arn ? r->arn : "");
    }
    if (rc < 0 && rc != DURABLE_EIDLE) {
        durable_test_result_free(res);
        res = NULL;
    }
    if (rc < 0)
        durable__error_set(rc, "%s", msg ? msg : durable_strerror(rc));
    durable_free(msg);
    if (out)
        *out = res;
    else
        durable_test_result_free(res);
    return rc;
}

static int check_input(const char *input)
{
    if (!input)
        return 0;
    cJSON *j = NULL;
    int rc = durable_json_parse(&j, input, strlen(input));
    cJSON_Delete(j);
    if (rc < 0)
        return durable__error_set(DURABLE_ESERDES, "Serialization error: the input is not valid "
                                                   "JSON: %s",
                                  durable_error_last()->message);
    return 0;
}

static int start_common(durable_test_runner *r, const char *input, const char *what)
{
    if (r && !r->run) {
        int rc = check_input(input);
        if (rc < 0)
            return rc;
    }
    durable__run *run = NULL;
    int rc = begin(&run, r, what);
    if (rc < 0)
        return rc;
    rc = durable__orch_start(run, input);
    if (rc == 0)
        rc = adopt(r, run);
    if (rc < 0)
        abandon(run);
    return rc;
}

int durable_test_runner_run(durable_test_result **out, durable_test_runner *r, const char *input)
{
    if (out)
        *out = NULL;
    if (!out)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_run: out is NULL");
    int rc = start_common(r, input, "durable_test_runner_run");
    if (rc < 0)
        return rc;
    conclude(r->run, durable__orch_loop(r->run));
    return collect(out, r);
}

static void *background_main(void *arg)
{
    durable__run *run = arg;
    conclude(run, durable__orch_loop(run));
    return NULL;
}

int durable_test_runner_start(durable_test_runner *r, const char *input)
{
    int rc = start_common(r, input, "durable_test_runner_start");
    if (rc < 0)
        return rc;
    /* No time is skipped until this thread waits or awaits: whatever the
     * test does first happens before any deadline can pass. */
    durable__tenv_set_hold(true);
    if (pthread_create(&r->thread, NULL, background_main, r->run) != 0) {
        durable__tenv_set_hold(false);
        durable__run *run = r->run;
        durable__tenv_lock();
        r->run = NULL;
        durable__tenv_unlock();
        abandon(run);
        return durable__error_set(DURABLE_EIO, "durable_test_runner_start: cannot create the run "
                                               "thread");
    }
    r->thread_started = true;
    return 0;
}

static void finish_background(durable_test_runner *r)
{
    durable__tenv_set_hold(false); /* the test stops acting: let the run go on */
    pthread_join(r->thread, NULL);
    r->thread_started = false;
}

int durable_test_runner_await(durable_test_result **out, durable_test_runner *r)
{
    if (out)
        *out = NULL;
    if (!r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_await: runner is NULL");
    if (!r->thread_started || !r->run)
        return durable__error_set(DURABLE_ESTATE, "durable_test_runner_await: no run of %s was "
                                                  "started with durable_test_runner_start",
                                  r->function_name);
    finish_background(r);
    return collect(out, r);
}

bool durable_test_runner_is_running(const durable_test_runner *r)
{
    if (!r)
        return false;
    durable__tenv_lock();
    bool on = r->run && !r->run->finished;
    durable__tenv_unlock();
    return on;
}

const char *durable_test_runner_execution_arn(const durable_test_runner *r)
{
    return r ? r->arn : NULL;
}

int durable_test_runner_snapshot(durable_test_result **out, durable_test_runner *r)
{
    if (!out || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_snapshot: NULL argument");
    *out = NULL;
    if (!r->arn)
        return durable__error_set(DURABLE_ESTATE, "durable_test_runner_snapshot: %s has no current "
                                                  "run",
                                  r->function_name);
    if (!durable_test_env_is_setup())
        return not_setup("durable_test_runner_snapshot");
    durable__snap snap;
    int rc = durable__snap_gather(&snap, r->arn, false);
    if (rc < 0)
        return rc;
    rc = durable__result_from_snap(out, &snap, r->run);
    durable__snap_clear(&snap);
    return rc;
}

/* ---- resume ------------------------------------------------------------------------------ */

int durable_test_runner_resume(durable_test_result **out, durable_test_runner *r,
                               const char *execution)
{
    if (out)
        *out = NULL;
    if (!out || !r || !execution)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_resume: NULL argument");
    durable__run *run = NULL;
    int rc = begin(&run, r, "durable_test_runner_resume");
    if (rc < 0)
        return rc;
    char *arn = NULL;
    durable_exec_status status = DURABLE_EXEC_STATUS_NONE;
    rc = durable__orch_find_execution(&arn, &status, r->function_name, execution);
    if (rc == 0 && status != DURABLE_EXEC_RUNNING) {
        /* Already closed: its result as it stands. */
        run->root_arn = arn;
        arn = NULL;
        rc = adopt(r, run);
        if (rc < 0) {
            abandon(run);
            return rc;
        }
        conclude(run, 0);
        return collect(out, r);
    }
    if (rc == 0)
        rc = durable__orch_prepare_resume(run, arn);
    durable_free(arn);
    if (rc == 0)
        rc = adopt(r, run);
    if (rc < 0) {
        abandon(run);
        return rc;
    }
    conclude(run, durable__orch_loop(run));
    return collect(out, r);
}

int durable_test_runner_resume_all(durable_test_result ***out, size_t *out_count,
                                   durable_test_runner *r, const char *function_name)
{
    if (!out || !out_count || !r)
        return durable__error_set(DURABLE_EINVAL, "durable_test_runner_resume_all: NULL argument");
    *out = NULL;
    *out_count = 0;
    if (!durable_test_env_is_setup())
        return not_setup("durable_test_runner_resume_all");
    if (r->run)
        return busy(r, "durable_test_runner_resume_all");
    char **arns = NULL;
    size_t n = 0;
    int rc = durable__orch_open_executions(&arns, &n, function_name ? function_name
                                                                    : r->function_name);
    if (rc < 0)
        return rc;
    durable_test_result **list = n ? durable__calloc(n, sizeof *list) : NULL;
    if (n && !list)
        rc = durable__error_oom();
    size_t got = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = durable_test_runner_resume(&list[got], r, arns[i]);
        if (rc == 0) {
            got++;
        } else {
            durable_test_result_free(list[got]); /* an idle snapshot */
            list[got] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++)
        durable_free(arns[i]);
    durable_free(arns);
    if (rc < 0) {
        durable_error saved = *durable_error_last();
        char *msg = durable__strdup(saved.message);
        durable_test_result_list_free(list, got);
        durable__error_set(rc, "%s", msg ? msg : "");
        durable_free(msg);
        return rc;
    }
    *out = list;
    *out_count = got;
    return 0;
}
