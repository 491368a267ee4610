/* The queue scheduler (time skipping: FIFO, timestamps ignored for order)
 * and the timer scheduler (real time: earliest timestamp first). */
#include <string.h>

#include "model/internal.h"
#include "testing/testing_internal.h"

void durable__sched_init(durable__sched *s, durable__sched_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
}

void durable__job_clear(durable__job *j)
{
    if (!j)
        return;
    durable_free(j->arn);
    durable_free(j->op_id);
    memset(j, 0, sizeof *j);
}

int durable__sched_push(durable__sched *s, int kind, int64_t when_ms, const char *arn,
                        const char *op_id)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        durable__job *j = durable__realloc(s->jobs, cap * sizeof *j);
        if (!j)
            return durable__error_oom();
        s->jobs = j;
        s->cap = cap;
    }
    durable__job *j = &s->jobs[s->count];
    memset(j, 0, sizeof *j);
    j->kind = kind;
    j->when_ms = when_ms;
    j->order = s->next_order++;
    if ((arn && !(j->arn = durable__strdup(arn))) ||
        (op_id && !(j->op_id = durable__strdup(op_id)))) {
        durable__job_clear(j);
        return durable__error_oom();
    }
    s->count++;
    return 0;
}

bool durable__sched_has(const durable__sched *s)
{
    return s->count > 0;
}

bool durable__sched_pop(durable__sched *s, durable__job *out)
{
    if (s->count == 0)
        return false;
    size_t pick = 0;
    if (s->kind == DURABLE__SCHED_TIMER) {
        /* Earliest timestamp; jobs are kept in insertion order, so the first
         * of equal timestamps is the oldest (FIFO among ties). */
        for (size_t i = 1; i < s->count; i++)
            if (s->jobs[i].when_ms < s->jobs[pick].when_ms)
                pick = i;
    }
    *out = s->jobs[pick];
    memmove(&s->jobs[pick], &s->jobs[pick + 1], (s->count - pick - 1) * sizeof *s->jobs);
    s->count--;
    return true;
}

void durable__sched_flush(durable__sched *s)
{
    for (size_t i = 0; i < s->count; i++)
        durable__job_clear(&s->jobs[i]);
    s->count = 0;
}

void durable__sched_clear(durable__sched *s)
{
    durable__sched_flush(s);
    durable_free(s->jobs);
    memset(s, 0, sizeof *s);
}
