/* durable timeline — the SVG text of a laid-out timeline (plain XML, no
 * library: rectangles, lines and text). */
#include <ctype.h>
#include <string.h>

#include "timeline.h"

#define LABEL_W 290.0
#define PLOT_X (LABEL_W + 10.0)
#define RIGHT_MARGIN 70.0
#define BAND_Y 62.0
#define ROWS_Y 96.0
#define ROW_H 24.0
#define FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

static const char *colour(durable_op_status s)
{
    switch (s) {
    case DURABLE_OP_SUCCEEDED:
        return "#2f9e5b";
    case DURABLE_OP_FAILED:
        return "#d64545";
    case DURABLE_OP_TIMED_OUT:
        return "#e8891c";
    case DURABLE_OP_CANCELLED:
    case DURABLE_OP_STOPPED:
        return "#8a8f98";
    default: /* started, pending, ready: still going */
        return "#3b7dd8";
    }
}

/* Text content or attribute value, escaped. */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

/* "charge-payment", or "(step)" for an unnamed operation. */
static void row_name(char *buf, size_t size, const tl_row *r, const timeline *t)
{
    const durable_operation *op = r->op;
    if (op->type == DURABLE_OP_EXECUTION)
        snprintf(buf, size, "%s", t->exec.durable_execution_name ? t->exec.durable_execution_name
                                                                 : "execution");
    else if (op->name && *op->name)
        snprintf(buf, size, "%s", op->name);
    else {
        snprintf(buf, size, "(%s)", op->subtype ? op->subtype : durable_op_type_name(op->type));
        for (char *p = buf; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    /* Fits the label column: about 6.6 px a character at 12 px. */
    size_t max = (size_t)((LABEL_W - 70 - 16.0 * r->depth) / 6.6);
    if (max < 6)
        max = 6;
    if (strlen(buf) > max && max + 1 < size)
        strcpy(buf + max - 3, "...");
}

static void row_kind(char *buf, size_t size, const tl_row *r)
{
    const durable_operation *op = r->op;
    const char *k = op->subtype ? op->subtype : durable_op_type_name(op->type);
    if (op->type == DURABLE_OP_EXECUTION)
        k = "execution";
    if (r->attempts > 1)
        snprintf(buf, size, "%s \xc3\x97%d", k, r->attempts);
    else
        snprintf(buf, size, "%s", k);
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* A tick step (ms) that leaves at least 90 px between ticks. */
static int64_t tick_step(double px_per_ms)
{
    static const int64_t steps[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
                                    10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000,
                                    1800000, 3600000, 7200000, 10800000, 21600000, 43200000,
                                    86400000, 172800000, 604800000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if ((double)steps[i] * px_per_ms >= 90)
            return steps[i];
    return 0;
}

static void seg_title(FILE *f, const tl_seg *s)
{
    char a[40], b[40], d[40];
    cli_fmt_time(a, sizeof a, s->t0);
    cli_fmt_time(b, sizeof b, s->t1);
    tl_fmt_span(d, sizeof d, s->t1 - s->t0);
    const char *what = s->kind == TL_WORK ? "attempt" : s->kind == TL_IDLE ? "waiting" : "span";
    fprintf(f, "<title>");
    if (s->attempt)
        fprintf(f, "%s %d, ", what, s->attempt);
    else
        fprintf(f, "%s, ", what);
    fprintf(f, "%s: %s \xe2\x86\x92 %s%s (%s)</title>", durable_op_status_name(s->status), a,
            s->open ? "(still going) " : "", b, d);
}

static void draw_seg(FILE *f, const timeline *t, const tl_seg *s, double cy)
{
    double x0 = PLOT_X + tl_x(t, s->t0), x1 = PLOT_X + tl_x(t, s->t1);
    double w = x1 - x0 < 3 ? 3 : x1 - x0;
    const char *c = colour(s->status);
    fprintf(f, "<g>");
    seg_title(f, s);
    if (s->kind == TL_WORK) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" rx=\"2\" fill=\"%s\"/>",
                x0, cy - 7, w, c);
        if (s->attempt && w >= 14)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#fff\" "
                       "text-anchor=\"middle\">%d</text>",
                    x0 + w / 2, cy + 3, s->attempt);
    } else if (s->kind == TL_IDLE) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" rx=\"2\" fill=\"%s\" "
                   "fill-opacity=\"0.14\" stroke=\"%s\" stroke-width=\"1.2\" "
                   "stroke-dasharray=\"4 3\"/>",
                x0, cy - 5, w, c, c);
    } else {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" fill=\"%s\"/>"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"12\" fill=\"%s\"/>"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"12\" fill=\"%s\"/>",
                x0, cy - 2, w, c, x0, cy - 6, c, x0 + w - 2, cy - 6, c);
    }
    if (s->open)
        fprintf(f, "<path d=\"M%.1f %.1f l7 6 l-7 6 z\" fill=\"%s\"/>", x0 + w, cy - 6, c);
    fprintf(f, "</g>\n");
}

static void draw_row(FILE *f, const timeline *t, size_t i)
{
    const tl_row *r = &t->rows[i];
    double y = ROWS_Y + (double)i * ROW_H, cy = y + ROW_H / 2;
    char name[160], kind[64], st[40], en[40], du[40];
    row_name(name, sizeof name, r, t);
    row_kind(kind, sizeof kind, r);
    cli_fmt_time(st, sizeof st, r->op->start_timestamp);
    cli_fmt_time(en, sizeof en, r->op->end_timestamp);
    cli_fmt_duration(du, sizeof du, r->op->start_timestamp, r->op->end_timestamp);
    fprintf(f, "<g class=\"row\" id=\"row-%zu\"><title>", i);
    esc(f, r->op->name ? r->op->name : name);
    fprintf(f, " \xe2\x80\x94 %s%s", durable_op_type_name(r->op->type), r->op->subtype ? "/" : "");
    esc(f, r->op->subtype);
    fprintf(f, " %s, id ", durable_op_status_name(r->op->status));
    esc(f, r->op->id);
    fprintf(f, ", %s \xe2\x86\x92 %s (%s)", st, en, du);
    if (r->attempts > 1)
        fprintf(f, ", %d attempts", r->attempts);
    fprintf(f, "</title>\n");
    double lx = 12 + 16.0 * r->depth;
    if (r->depth > 0) /* a tree guide to the parent's label */
        fprintf(f, "<path d=\"M%.1f %.1f v%.1f h6\" stroke=\"#c4c8cf\" fill=\"none\"/>", lx - 11,
                y + 2, cy - y - 2);
    fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#1f2328\"%s>",
            lx, cy + 4, r->depth == 0 ? " font-weight=\"bold\"" : "");
    esc(f, name);
    fprintf(f, "<tspan dx=\"6\" fill=\"#7a808a\" font-size=\"10\" font-weight=\"normal\">");
    esc(f, kind);
    fprintf(f, "</tspan></text>\n");
    for (size_t s = 0; s < r->nsegs; s++)
        draw_seg(f, t, &r->segs[s], cy);
    fprintf(f, "</g>\n");
}

static void draw_invocations(FILE *f, const timeline *t, double bottom)
{
    fprintf(f, "<text x=\"12\" y=\"%.1f\" font-size=\"12\" fill=\"#1f2328\" "
               "font-weight=\"bold\">invocations</text>\n",
            BAND_Y + 17);
    for (size_t i = 0; i < t->ninvs; i++) {
        const tl_invocation *v = &t->invs[i];
        double x0 = PLOT_X + tl_x(t, v->t0), x1 = PLOT_X + tl_x(t, v->t1);
        double w = x1 - x0 < 3 ? 3 : x1 - x0;
        const char *c = v->error ? "#d64545" : "#3b7dd8";
        char a[40], d[40];
        cli_fmt_time(a, sizeof a, v->t0);
        tl_fmt_span(d, sizeof d, v->t1 - v->t0);
        fprintf(f, "<g class=\"invocation%s\"><title>invocation %zu, %s, at %s for %s%s",
                v->error ? " crashed" : "", i + 1, v->request_id, a, d, v->error ? ": " : "");
        esc(f, v->error);
        fprintf(f, "</title>"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                   "fill-opacity=\"0.07\"/>"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"2\" fill=\"%s\"/>",
                x0, BAND_Y + 4, w, bottom - BAND_Y - 4, c, x0, BAND_Y + 5, w, c);
        /* The mark goes inside the band when it fits, else after it. */
        if (v->error && w >= 70)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#ffffff\" "
                       "font-weight=\"bold\" text-anchor=\"middle\">\xe2\x9c\x95 crashed</text>",
                    x0 + w / 2, BAND_Y + 17);
        else if (v->error)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\" "
                       "font-weight=\"bold\">\xe2\x9c\x95 crashed</text>",
                    x0 + w + 4, BAND_Y + 17, c);
        fprintf(f, "</g>\n");
    }
}

/* Compressed gaps: a light band behind the rows, a zig-zag cut drawn over
 * the bars that cross it, and the real length on the axis. */
static void draw_gaps(FILE *f, const timeline *t, double bottom, bool front)
{
    for (size_t i = 0; i < t->npieces; i++) {
        const tl_piece *p = &t->pieces[i];
        if (!p->is_break)
            continue;
        double x0 = PLOT_X + p->x0 + 8, x1 = PLOT_X + p->x1 - 8, xm = (x0 + x1) / 2;
        if (!front) {
            fprintf(f, "<rect class=\"gap\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                       "fill=\"#eceef2\"/>\n",
                    x0, BAND_Y, x1 - x0, bottom - BAND_Y);
            continue;
        }
        /* white under grey: bars crossing the gap look cut */
        for (int pass = 0; pass < 4; pass++) {
            double x = pass % 2 ? x1 : x0;
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"",
                    pass < 2 ? "#ffffff" : "#9aa0a9", pass < 2 ? "3" : "1");
            for (double y = BAND_Y; y < bottom; y += 8)
                fprintf(f, "%.1f,%.1f %.1f,%.1f ", x, y, x + 3, y + 4);
            fprintf(f, "\"/>\n");
        }
        char d[40];
        tl_fmt_span(d, sizeof d, p->t1 - p->t0);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#5f6670\" "
                   "text-anchor=\"middle\" font-style=\"italic\">%s</text>\n",
                xm, bottom + 14, d);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#5f6670\" "
                   "text-anchor=\"middle\" font-style=\"italic\">idle</text>\n",
                xm, bottom + 25);
    }
}

/* Ticks inside each linear piece ("+2ms" from the piece's start) and, at
 * each piece's start, the time since the execution started ("T+30m05s"). */
static void draw_axis(FILE *f, const timeline *t, double bottom)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa0a9\"/>\n",
            PLOT_X, bottom, PLOT_X + t->plot_width, bottom);
    int64_t step = tick_step(t->px_per_ms);
    for (size_t i = 0; i < t->npieces; i++) {
        const tl_piece *p = &t->pieces[i];
        if (p->is_break)
            continue;
        double x = PLOT_X + tl_x(t, p->t0);
        char d[40];
        tl_fmt_span(d, sizeof d, p->t0 - t->t_start);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#5f6670\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#1f2328\" "
                   "text-anchor=\"middle\">T+%s</text>\n",
                x, bottom, x, bottom + 5, x, bottom + 40, p->t0 == t->t_start ? "0" : d);
        for (int64_t k = 1; step > 0 && p->t0 + k * step <= p->t1; k++) {
            double xt = PLOT_X + tl_x(t, p->t0 + k * step);
            tl_fmt_span(d, sizeof d, k * step);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e1e4e8\"/>"
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa0a9\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#5f6670\" "
                       "text-anchor=\"middle\">+%s</text>\n",
                    xt, BAND_Y, xt, bottom, xt, bottom, xt, bottom + 4, xt, bottom + 14, d);
        }
    }
}

static void draw_legend(FILE *f, double y)
{
    static const struct {
        int kind; /* 0 work, 1 idle, 2 span, 3 invocation band, 4 gap */
        const char *colour, *text;
    } items[] = {
        {0, "#2f9e5b", "attempt succeeded"}, {0, "#d64545", "attempt failed"},
        {0, "#3b7dd8", "running"},           {1, "#3b7dd8", "waiting (wait, callback, retry delay)"},
        {2, "#2f9e5b", "context"},           {3, "#d64545", "crashed invocation"},
        {4, "#9aa0a9", "idle gap, compressed"},
    };
    double x = 12;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        const char *c = items[i].colour;
        switch (items[i].kind) {
        case 0:
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"12\" rx=\"2\" fill=\"%s\"/>",
                    x, y - 10, c);
            break;
        case 1:
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"9\" rx=\"2\" fill=\"%s\" "
                       "fill-opacity=\"0.14\" stroke=\"%s\" stroke-dasharray=\"4 3\"/>",
                    x, y - 8, c, c);
            break;
        case 2:
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"4\" fill=\"%s\"/>", x,
                    y - 6, c);
            break;
        case 3:
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"12\" rx=\"2\" fill=\"%s\"/>",
                    x, y - 10, c);
            break;
        default:
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f "
                       "%.1f,%.1f\"/>",
                    c, x + 6, y - 12, x + 9, y - 8, x + 6, y - 4, x + 9, y);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#1f2328\">%s</text>\n",
                x + 24, y, items[i].text);
        x += 24 + 6.4 * (double)strlen(items[i].text) + 18;
    }
}

int tl_write_svg(const timeline *t, FILE *f)
{
    double width = PLOT_X + t->plot_width + RIGHT_MARGIN;
    double bottom = ROWS_Y + (double)t->nrows * ROW_H + 4;
    double height = bottom + 82;
    if (width < 1160)
        width = 1160; /* room for the legend */
    const durable_execution_info *x = &t->exec;
    char st[40], du[40], ninv[64];
    cli_fmt_time(st, sizeof st, x->start_timestamp);
    tl_fmt_span(du, sizeof du, t->t_end - t->t_start);
    size_t crashed = 0;
    for (size_t i = 0; i < t->ninvs; i++)
        crashed += t->invs[i].error != NULL;
    if (crashed)
        snprintf(ninv, sizeof ninv, "%zu invocations, %zu crashed", t->ninvs, crashed);
    else
        snprintf(ninv, sizeof ninv, "%zu invocation%s", t->ninvs, t->ninvs == 1 ? "" : "s");
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\">\n",
            width, height, width, height, FONT);
    fprintf(f, "<title>");
    esc(f, x->durable_execution_name);
    fprintf(f, " timeline</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    fprintf(f, "<text x=\"12\" y=\"26\" font-size=\"17\" font-weight=\"bold\" fill=\"#1f2328\">");
    esc(f, x->durable_execution_name);
    fprintf(f, "<tspan dx=\"10\" fill=\"%s\">%s</tspan><tspan dx=\"10\" font-weight=\"normal\" "
               "fill=\"#5f6670\" font-size=\"13\">\xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %zu operations</tspan>"
               "</text>\n",
            colour((durable_op_status)(x->status == DURABLE_EXEC_SUCCEEDED   ? DURABLE_OP_SUCCEEDED
                                       : x->status == DURABLE_EXEC_FAILED    ? DURABLE_OP_FAILED
                                       : x->status == DURABLE_EXEC_TIMED_OUT ? DURABLE_OP_TIMED_OUT
                                       : x->status == DURABLE_EXEC_STOPPED   ? DURABLE_OP_STOPPED
                                                                             : DURABLE_OP_STARTED)),
            durable_exec_status_name(x->status), du, ninv, t->ops.count);
    fprintf(f, "<text x=\"12\" y=\"45\" font-size=\"10\" fill=\"#7a808a\">");
    esc(f, x->durable_execution_arn);
    fprintf(f, "  \xc2\xb7  started %s  \xc2\xb7  T = time since the start</text>\n", st);
    /* Back to front: stripes, gaps, invocation columns, rows, cuts, axis. */
    for (size_t i = 0; i < t->nrows; i += 2)
        fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#f6f7f9\"/>\n",
                ROWS_Y + (double)i * ROW_H, width, ROW_H);
    draw_gaps(f, t, bottom, false);
    draw_invocations(f, t, bottom);
    for (size_t i = 0; i < t->nrows; i++)
        draw_row(f, t, i);
    draw_gaps(f, t, bottom, true);
    draw_axis(f, t, bottom);
    draw_legend(f, height - 10);
    fprintf(f, "</svg>\n");
    return ferror(f) ? -1 : 0;
}
