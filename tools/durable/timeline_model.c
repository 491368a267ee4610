/* durable timeline — from the file to rows, invocation bands and a scale. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

/* Width of a compressed idle gap, and the most gaps compressed. */
#define TL_BREAK_PX 44.0
#define TL_MAX_BREAKS 16
/* An idle gap longer than this share of the time still drawn linearly is
 * compressed: then no wait can take more than about a fifth of the plot. */
#define TL_GAP_SHARE 0.2

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "durable: out of memory\n");
        exit(CLI_DBERR);
    }
    return q;
}

static void add_seg(tl_row *r, int64_t t0, int64_t t1, tl_kind kind, durable_op_status st,
                    int attempt, bool open)
{
    if (t1 < t0)
        t1 = t0;
    r->segs = xrealloc(r->segs, (r->nsegs + 1) * sizeof *r->segs);
    r->segs[r->nsegs++] = (tl_seg){t0, t1, kind, st, attempt, open};
}

/* The end of the crashed invocation that was running at time t, or 0: an
 * attempt that started in it ended with it, whenever the failure was
 * recorded. */
static int64_t crash_end(const timeline *t, int64_t at)
{
    for (size_t i = 0; i < t->ninvs; i++)
        if (t->invs[i].error && t->invs[i].t0 <= at && at <= t->invs[i].t1)
            return t->invs[i].t1;
    return 0;
}

/* A step's attempts from its Step* events: each StepStarted opens one; a
 * StepFailed with a next-attempt delay closes it failed and starts the
 * retry delay (idle); StepSucceeded or a final StepFailed closes it. */
static void step_segments(timeline *t, tl_row *r, const cli_events *ev)
{
    const durable_operation *op = r->op;
    int64_t open_at = -1, idle_at = -1;
    for (size_t i = 0; i < ev->count; i++) {
        const durable_event *e = &ev->items[i];
        if (!e->id || strcmp(e->id, op->id) != 0)
            continue;
        if (e->type == DURABLE_EVENT_STEP_STARTED) {
            if (idle_at >= 0)
                add_seg(r, idle_at, e->timestamp, TL_IDLE, DURABLE_OP_READY, 0, false);
            idle_at = -1;
            open_at = e->timestamp;
            r->attempts++;
        } else if (e->type == DURABLE_EVENT_STEP_SUCCEEDED ||
                   e->type == DURABLE_EVENT_STEP_FAILED) {
            bool retry = e->type == DURABLE_EVENT_STEP_FAILED && e->next_attempt_delay_seconds > 0;
            if (open_at < 0) { /* no StepStarted: the attempt is the instant */
                open_at = e->timestamp;
                r->attempts++;
            }
            int64_t end = e->timestamp, died = crash_end(t, open_at);
            if (died && died < end) {
                add_seg(r, open_at, died, TL_WORK, DURABLE_OP_FAILED, r->attempts, false);
                add_seg(r, died, end, TL_IDLE, DURABLE_OP_FAILED, 0, false);
            } else
                add_seg(r, open_at, end, TL_WORK,
                        retry ? DURABLE_OP_FAILED : e->type == DURABLE_EVENT_STEP_SUCCEEDED
                                                        ? DURABLE_OP_SUCCEEDED
                                                        : DURABLE_OP_FAILED,
                        r->attempts, false);
            open_at = -1;
            idle_at = retry ? end : -1;
        }
    }
    if (open_at >= 0) { /* running now, or died with a crashed invocation */
        int64_t died = crash_end(t, open_at);
        if (died) {
            add_seg(r, open_at, died, TL_WORK, DURABLE_OP_FAILED, r->attempts, false);
            add_seg(r, died, t->t_end, TL_IDLE, op->status, 0, true);
        } else
            add_seg(r, open_at, t->t_end, TL_WORK, op->status, r->attempts, true);
    } else if (idle_at >= 0)
        add_seg(r, idle_at, op->end_timestamp > 0 ? op->end_timestamp : t->t_end, TL_IDLE,
                op->status, 0, op->end_timestamp <= 0);
    if (r->nsegs == 0) { /* no history for it: the stored times */
        r->attempts = 1;
        bool open = op->end_timestamp <= 0;
        add_seg(r, op->start_timestamp, open ? t->t_end : op->end_timestamp, TL_WORK, op->status,
                1, open);
    }
}

static void row_segments(timeline *t, tl_row *r, const cli_events *ev)
{
    const durable_operation *op = r->op;
    bool open = op->end_timestamp <= 0;
    int64_t end = open ? t->t_end : op->end_timestamp;
    switch (op->type) {
    case DURABLE_OP_STEP:
        step_segments(t, r, ev);
        break;
    case DURABLE_OP_WAIT:
        if (open && op->scheduled_end_timestamp > 0 && op->scheduled_end_timestamp < end)
            end = op->scheduled_end_timestamp;
        add_seg(r, op->start_timestamp, end, TL_IDLE, op->status, 0, open);
        break;
    case DURABLE_OP_CALLBACK:
    case DURABLE_OP_CHAINED_INVOKE:
        add_seg(r, op->start_timestamp, end, TL_IDLE, op->status, 0, open);
        break;
    default: /* the execution and contexts */
        add_seg(r, op->start_timestamp, end, TL_SPAN, op->status, 0, open);
        break;
    }
}

static bool is_child_of(const durable_operation_list *ops, const durable_operation *op,
                        const char *parent)
{
    if (parent)
        return op->parent_id && strcmp(op->parent_id, parent) == 0;
    if (op->type == DURABLE_OP_EXECUTION)
        return false; /* the execution is row 0 */
    if (!op->parent_id)
        return true;
    /* A parent not in the list: shown at the top level. */
    for (size_t k = 0; k < ops->count; k++)
        if (strcmp(ops->items[k].id, op->parent_id) == 0)
            return false;
    return true;
}

/* Rows in tree order: children under their context, in list order. */
static void add_rows(timeline *t, const char *parent, int depth)
{
    for (size_t i = 0; i < t->ops.count; i++) {
        const durable_operation *op = &t->ops.items[i];
        if (!is_child_of(&t->ops, op, parent))
            continue;
        t->rows = xrealloc(t->rows, (t->nrows + 1) * sizeof *t->rows);
        t->rows[t->nrows++] = (tl_row){op, depth, 0, NULL, 0};
        add_rows(t, op->id, depth + 1);
    }
}

static void invocations(timeline *t, const cli_events *ev)
{
    for (size_t i = 0; i < ev->count; i++) {
        const durable_event *e = &ev->items[i];
        if (e->type != DURABLE_EVENT_INVOCATION_COMPLETED)
            continue;
        t->invs = xrealloc(t->invs, (t->ninvs + 1) * sizeof *t->invs);
        tl_invocation *v = &t->invs[t->ninvs++];
        v->t0 = e->invocation_start_timestamp > 0 ? e->invocation_start_timestamp : e->timestamp;
        v->t1 = e->invocation_end_timestamp > 0 ? e->invocation_end_timestamp : e->timestamp;
        v->request_id = strdup(e->request_id ? e->request_id : "");
        v->error = NULL;
        if (e->error) {
            size_t n = 8 + (e->error->error_type ? strlen(e->error->error_type) : 0) +
                       (e->error->error_message ? strlen(e->error->error_message) : 0);
            v->error = xrealloc(NULL, n);
            snprintf(v->error, n, "%s: %s", e->error->error_type ? e->error->error_type : "Error",
                     e->error->error_message ? e->error->error_message : "");
        }
    }
}

/* ---- the time scale ------------------------------------------------------ */

typedef struct span {
    int64_t t0, t1;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* The idle gaps: [t_start, t_end] minus what ran (invocations and step
 * attempts). Returned sorted by time; *n gaps. */
static span *idle_gaps(const timeline *t, size_t *n)
{
    size_t cap = t->ninvs + 1, k = 0;
    for (size_t r = 0; r < t->nrows; r++)
        cap += t->rows[r].nsegs;
    span *busy = xrealloc(NULL, cap * sizeof *busy);
    for (size_t i = 0; i < t->ninvs; i++)
        busy[k++] = (span){t->invs[i].t0, t->invs[i].t1};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t s = 0; s < t->rows[r].nsegs; s++)
            if (t->rows[r].segs[s].kind == TL_WORK && !t->rows[r].segs[s].open)
                busy[k++] = (span){t->rows[r].segs[s].t0, t->rows[r].segs[s].t1};
    qsort(busy, k, sizeof *busy, span_cmp);
    span *gaps = xrealloc(NULL, (k + 1) * sizeof *gaps);
    *n = 0;
    int64_t at = t->t_start;
    for (size_t i = 0; i < k; i++) {
        if (busy[i].t0 > at)
            gaps[(*n)++] = (span){at, busy[i].t0};
        if (busy[i].t1 > at)
            at = busy[i].t1;
    }
    if (t->t_end > at)
        gaps[(*n)++] = (span){at, t->t_end};
    free(busy);
    return gaps;
}

/* Compresses the longest idle gaps while one is longer than TL_GAP_SHARE of
 * the time left linear, then gives each linear piece its share of the
 * width plus a little room at its ends (instants stay visible). */
static void layout(timeline *t, double width)
{
    size_t ngaps = 0;
    span *gaps = idle_gaps(t, &ngaps);
    bool *cut = calloc(ngaps + 1, sizeof *cut);
    int64_t linear = t->t_end - t->t_start;
    size_t ncut = 0;
    while (ncut < TL_MAX_BREAKS) {
        size_t best = ngaps;
        for (size_t i = 0; i < ngaps; i++)
            if (!cut[i] && (best == ngaps || gaps[i].t1 - gaps[i].t0 > gaps[best].t1 - gaps[best].t0))
                best = i;
        if (best == ngaps || (double)(gaps[best].t1 - gaps[best].t0) <= TL_GAP_SHARE * (double)linear)
            break;
        cut[best] = true;
        linear -= gaps[best].t1 - gaps[best].t0;
        ncut++;
    }
    /* Pieces in time order: a linear stretch (maybe an instant) before
     * each compressed gap and one after the last. */
    t->pieces = xrealloc(NULL, (2 * ncut + 1) * sizeof *t->pieces);
    t->npieces = 0;
    int64_t at = t->t_start;
    for (size_t i = 0; i < ngaps; i++) {
        if (!cut[i])
            continue;
        t->pieces[t->npieces++] = (tl_piece){at, gaps[i].t0, 0, 0, false};
        t->pieces[t->npieces++] = (tl_piece){gaps[i].t0, gaps[i].t1, 0, 0, true};
        at = gaps[i].t1;
    }
    t->pieces[t->npieces++] = (tl_piece){at, t->t_end, 0, 0, false};
    size_t nlinear = ncut + 1;
    t->pad = 10;
    double room = width - (double)ncut * TL_BREAK_PX - (double)nlinear * 2 * t->pad;
    t->px_per_ms = linear > 0 && room > 0 ? room / (double)linear : 0;
    /* Nothing but instants left (a virtual clock that stood still while
     * the code ran): the instants share the width evenly. */
    double even = linear > 0 || room <= 0 ? 0 : room / (double)nlinear;
    double x = 0;
    for (size_t i = 0; i < t->npieces; i++) {
        tl_piece *p = &t->pieces[i];
        p->x0 = x;
        x += p->is_break ? TL_BREAK_PX
                         : 2 * t->pad + even + (double)(p->t1 - p->t0) * t->px_per_ms;
        p->x1 = x;
    }
    t->plot_width = x;
    free(cut);
    free(gaps);
}

double tl_x(const timeline *t, int64_t ms)
{
    if (t->npieces == 0)
        return 0;
    size_t i = 0;
    while (i + 1 < t->npieces && ms > t->pieces[i].t1)
        i++;
    const tl_piece *p = &t->pieces[i];
    if (ms < p->t0)
        ms = p->t0;
    if (ms > p->t1)
        ms = p->t1;
    if (!p->is_break && p->t1 == p->t0)
        return (p->x0 + p->x1) / 2; /* an instant: the middle of its room */
    if (!p->is_break)
        return p->x0 + t->pad + (double)(ms - p->t0) * t->px_per_ms;
    /* A break maps its gap from the neighbours' inner edges, so a bar that
     * crosses it stays continuous. */
    double xa = i > 0 ? p->x0 - t->pad : p->x0;
    double xb = i + 1 < t->npieces ? p->x1 + t->pad : p->x1;
    double f = p->t1 > p->t0 ? (double)(ms - p->t0) / (double)(p->t1 - p->t0) : 0;
    return xa + f * (xb - xa);
}

int tl_build(timeline *t, cli_db *db, const char *arn, double plot_width)
{
    memset(t, 0, sizeof *t);
    int erc = durable_engine_get_execution(&t->exec, db->engine, arn);
    if (erc < 0)
        return cli_engine_fail(db, erc, "reading the execution");
    if ((erc = durable_engine_list_operations(&t->ops, db->engine, arn)) < 0)
        return cli_engine_fail(db, erc, "reading operations");
    cli_events ev = {0};
    int rc = cli_read_history(&ev, db, arn, false);
    if (rc != CLI_OK)
        return rc;
    t->t_start = t->exec.start_timestamp;
    t->t_end = t->exec.end_timestamp > t->t_start ? t->exec.end_timestamp : t->t_start;
    for (size_t i = 0; i < t->ops.count; i++) {
        const durable_operation *op = &t->ops.items[i];
        if (op->start_timestamp > 0 && op->start_timestamp < t->t_start)
            t->t_start = op->start_timestamp;
        if (op->end_timestamp > t->t_end)
            t->t_end = op->end_timestamp;
        if (op->start_timestamp > t->t_end)
            t->t_end = op->start_timestamp;
    }
    for (size_t i = 0; i < ev.count; i++)
        if (ev.items[i].timestamp > t->t_end)
            t->t_end = ev.items[i].timestamp;
    invocations(t, &ev);
    /* Row 0 is the execution; everything else hangs under it. */
    for (size_t i = 0; i < t->ops.count; i++)
        if (t->ops.items[i].type == DURABLE_OP_EXECUTION) {
            t->rows = xrealloc(t->rows, (t->nrows + 1) * sizeof *t->rows);
            t->rows[t->nrows++] = (tl_row){&t->ops.items[i], 0, 0, NULL, 0};
        }
    add_rows(t, NULL, t->nrows ? 1 : 0);
    for (size_t r = 0; r < t->nrows; r++)
        row_segments(t, &t->rows[r], &ev);
    cli_events_clear(&ev);
    layout(t, plot_width);
    return CLI_OK;
}

void tl_clear(timeline *t)
{
    for (size_t r = 0; r < t->nrows; r++)
        free(t->rows[r].segs);
    free(t->rows);
    for (size_t i = 0; i < t->ninvs; i++) {
        free(t->invs[i].request_id);
        free(t->invs[i].error);
    }
    free(t->invs);
    free(t->pieces);
    durable_operation_list_clear(&t->ops);
    durable_execution_info_clear(&t->exec);
    memset(t, 0, sizeof *t);
}

/* Rounded to the unit shown: a 2-day wait that ended a millisecond early
 * reads "2d 0h", not "1d 23h". */
void tl_fmt_span(char *buf, size_t size, int64_t ms)
{
    if (ms < 1000)
        snprintf(buf, size, "%lldms", (long long)ms);
    else if (ms < 9950)
        snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
    else if (ms < 59500)
        snprintf(buf, size, "%llds", (long long)((ms + 500) / 1000));
    else if (ms < 3600000 - 500) {
        long long s = (ms + 500) / 1000;
        if (s % 60)
            snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
        else
            snprintf(buf, size, "%lldm", s / 60);
    } else if (ms < 86400000 - 30000) {
        long long m = (ms + 30000) / 60000;
        snprintf(buf, size, "%lldh%02lldm", m / 60, m % 60);
    } else {
        long long h = (ms + 1800000) / 3600000;
        snprintf(buf, size, "%lldd %lldh", h / 24, h % 24);
    }
}
