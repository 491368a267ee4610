/* The state of one run: the executions it drives, captured log lines,
 * callback bookkeeping, and its outcome. */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "testing/testing_internal.h"

int durable__run_new(durable__run **out, struct durable_test_runner *r)
{
    *out = NULL;
    durable__run *run = durable__calloc(1, sizeof *run);
    if (!run)
        return durable__error_oom();
    run->runner = r;
    pthread_mutex_init(&run->log_lock, NULL);
    if (r->action_count) {
        run->action_used = durable__calloc(r->action_count, sizeof *run->action_used);
        if (!run->action_used) {
            durable__run_free(run);
            return durable__error_oom();
        }
    }
    *out = run;
    return 0;
}

void durable__run_free(durable__run *run)
{
    if (!run)
        return;
    durable_free(run->root_arn);
    for (size_t i = 0; i < run->exec_count; i++)
        durable_free(run->execs[i].arn);
    durable_free(run->execs);
    for (size_t i = 0; i < run->log_count; i++)
        durable_free(run->logs[i]);
    durable_free(run->logs);
    pthread_mutex_destroy(&run->log_lock);
    for (size_t i = 0; i < run->seen_count; i++)
        durable_free(run->seen_callbacks[i]);
    durable_free(run->seen_callbacks);
    durable_free(run->action_used);
    for (size_t i = 0; i < run->planned_count; i++) {
        durable_free(run->planned[i].callback_id);
        durable_free(run->planned[i].name);
    }
    durable_free(run->planned);
    durable_free(run->errmsg);
    /* run->result belongs to whoever took it (runner.c frees a leftover). */
    durable_free(run);
}

int durable__run_add_exec(durable__run *run, const char *arn, durable__tst_handler h, void *user,
                          durable__reg *reg)
{
    for (size_t i = 0; i < run->exec_count; i++)
        if (strcmp(run->execs[i].arn, arn) == 0)
            return 0;
    durable__exec *n = durable__realloc(run->execs, (run->exec_count + 1) * sizeof *n);
    if (!n)
        return durable__error_oom();
    run->execs = n;
    durable__exec *x = &n[run->exec_count];
    memset(x, 0, sizeof *x);
    if (!(x->arn = durable__strdup(arn)))
        return durable__error_oom();
    x->handler = h;
    x->user = user;
    x->reg = reg;
    run->exec_count++;
    return 0;
}

int durable__run_add_log(durable__run *run, const char *line)
{
    char *copy = durable__strdup(line ? line : "");
    if (!copy)
        return durable__error_oom();
    pthread_mutex_lock(&run->log_lock);
    if (run->log_count == run->log_cap) {
        size_t cap = run->log_cap ? run->log_cap * 2 : 16;
        char **n = durable__realloc(run->logs, cap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&run->log_lock);
            durable_free(copy);
            return durable__error_oom();
        }
        run->logs = n;
        run->log_cap = cap;
    }
    run->logs[run->log_count++] = copy;
    if (run->runner->opts.echo_logs)
        fprintf(stderr, "%s\n", copy);
    pthread_mutex_unlock(&run->log_lock);
    return 0;
}

bool durable__cb_action_matches(const durable__cb_action *a, const char *name)
{
    switch (a->match) {
    case DURABLE__MATCH_ANY:
        return true;
    case DURABLE__MATCH_EXACT:
        return name && a->name && strcmp(name, a->name) == 0;
    case DURABLE__MATCH_REGEX:
        return name && a->has_re && regexec(&a->re, name, 0, NULL, 0) == 0;
    default:
        return false;
    }
}

void durable__cb_action_clear(durable__cb_action *a)
{
    if (!a)
        return;
    durable_free(a->name);
    if (a->has_re)
        regfree(&a->re);
    durable_free(a->payload);
    durable_free(a->error_type);
    durable_free(a->error_message);
    durable_free(a->error_data);
    memset(a, 0, sizeof *a);
}

durable__reg *durable__runner_find_reg(struct durable_test_runner *r, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < r->reg_count; i++)
        if (strcmp(r->regs[i].name, name) == 0)
            return &r->regs[i];
    /* A function ARN "arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]"
     * or "name:qualifier": compare the bare name. */
    const char *bare = name;
    const char *fn = strstr(name, ":function:");
    if (fn)
        bare = fn + strlen(":function:");
    size_t len = strcspn(bare, ":");
    for (size_t i = 0; i < r->reg_count; i++)
        if (strlen(r->regs[i].name) == len && strncmp(r->regs[i].name, bare, len) == 0)
            return &r->regs[i];
    return NULL;
}

int durable__planned_add(durable__planned **arr, size_t *count, const char *id, const char *name,
                         int op, const durable__cb_action *src, int64_t at, int hb_left,
                         bool sequence)
{
    durable__planned *n = durable__realloc(*arr, (*count + 1) * sizeof *n);
    if (!n)
        return durable__error_oom();
    *arr = n;
    durable__planned *p = &n[*count];
    memset(p, 0, sizeof *p);
    p->callback_id = durable__strdup(id);
    p->name = name ? durable__strdup(name) : NULL;
    if (!p->callback_id || (name && !p->name)) {
        durable_free(p->callback_id);
        durable_free(p->name);
        return durable__error_oom();
    }
    p->op = op;
    p->src = src;
    p->at_ms = at;
    p->hb_left = hb_left;
    p->sequence = sequence;
    (*count)++;
    return 0;
}

void durable__planned_remove(durable__planned *arr, size_t *count, size_t i)
{
    durable_free(arr[i].callback_id);
    durable_free(arr[i].name);
    memmove(&arr[i], &arr[i + 1], (*count - i - 1) * sizeof *arr);
    (*count)--;
}

long durable__cb_plan_next(const durable__cb_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->action_count; i++)
        if (!plan->action_used[i] && durable__cb_action_matches(&plan->actions[i], name))
            return (long)i;
    return -1;
}

void durable__cb_plan_apply_due(const durable__cb_plan *plan, int64_t now, int64_t gap_ms,
                                durable__cb_send_fn send, void *user)
{
    for (;;) {
        durable__planned *all = *plan->planned;
        size_t n = *plan->planned_count, pick = n;
        for (size_t i = 0; i < n; i++)
            if (all[i].at_ms <= now && (pick == n || all[i].at_ms < all[pick].at_ms))
                pick = i;
        if (pick == n)
            return;
        durable__planned *p = &all[pick];
        if (p->sequence) {
            send(p, p->op, user);
            long idx = p->op == DURABLE__CB_HEARTBEAT ? durable__cb_plan_next(plan, p->name) : -1;
            if (idx < 0) {
                durable__planned_remove(all, plan->planned_count, pick);
                continue;
            }
            /* A heartbeat does not consume the callback: the next matching
             * unused action follows, at least gap_ms later. */
            const durable__cb_action *a = &plan->actions[idx];
            plan->action_used[idx] = true;
            int64_t at = *plan->seq_last_ms + a->delay_ms;
            if (at < p->at_ms + gap_ms)
                at = p->at_ms + gap_ms;
            *plan->seq_last_ms = at;
            if (a->op == DURABLE__CB_NEVER) {
                durable__planned_remove(all, plan->planned_count, pick);
                continue;
            }
            p->op = a->op;
            p->src = a;
            p->at_ms = at;
            continue;
        }
        /* Responder: heartbeats first, each delay apart, then the op. */
        if (p->hb_left > 0) {
            send(p, DURABLE__CB_HEARTBEAT, user);
            p->hb_left--;
            p->at_ms += p->src->delay_ms;
            if (p->hb_left == 0 && p->op == DURABLE__CB_NEVER)
                durable__planned_remove(all, plan->planned_count, pick);
            continue;
        }
        send(p, p->op, user);
        durable__planned_remove(all, plan->planned_count, pick);
    }
}
