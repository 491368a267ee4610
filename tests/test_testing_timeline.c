/*
 * `durable timeline`: the SVG of an execution. The file comes from the
 * order_workflow example killed in charge-payment and resumed (a crashed
 * invocation, a step retried after the crash, a callback wait inside a
 * context, a 2-day wait); a second execution made with the engine is still
 * running with an open callback. Checks: the SVG is well-formed (xmllint),
 * renders with rsvg-convert to a PNG of the SVG's size that is not blank
 * (far larger than an empty picture's PNG of the same size), has one labelled
 * row per operation and one band per invocation with the crashed one marked,
 * shows the retried step as two attempt segments, cuts the long idle gaps
 * out of the axis (the 6 s between the two attempts is not squashed by the
 * 2-day wait), and that errors exit as documented.
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cli_run.h"
#include "support/engine_fixture.h"

static char *dbpath, *svg, *png;
static char *running_arn;

/* Runs a shell command; returns its exit status, with its stdout in *out
 * (when not NULL). */
static int sh(char **out, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_FATAL(p != NULL);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    if (out)
        *out = strdup(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = 0;
    fclose(f);
    if (len)
        *len = got;
    return b;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void build_db(void)
{
    const char *b = getenv("DURABLE_BUILD");
    char *out = NULL;
    int rc = sh(&out, "'%s/examples/order_workflow' '%s' --kill-at charge-payment 2>&1",
                b && *b ? b : "build", dbpath);
    if (rc != 0)
        printf("\n%s", out);
    CU_ASSERT_FATAL(rc == 0);
    free(out);
    /* A running execution with an open callback, next to it. */
    ef f;
    ef_open_file(&f, dbpath, false, EF_T0);
    durable_start_options o = DURABLE_START_OPTIONS_INIT;
    o.execution_name = "still-running";
    CU_ASSERT_FATAL(durable_engine_start_execution(&f.arn, NULL, f.eng, "fn", &o) == 0);
    CU_ASSERT_FATAL(ef_invoke(&f) == 0);
    ef_advance(&f, 250);
    durable_operation_update u;
    ef_callback(&u, "1", 0, 0);
    u.name = durable__strdup("approval");
    CU_ASSERT_FATAL(ef_cp1(&f, &u) == 0);
    CU_ASSERT_FATAL(ef_complete(&f, DURABLE_INVOCATION_PENDING, NULL, NULL) == 0);
    running_arn = strdup(f.arn);
    ef_close(&f);
}

/* The operations and invocation count of an execution, from the engine. */
static void read_exec(const char *name, durable_operation_list *ops, int *invocations)
{
    durable_store *s;
    durable_engine *e;
    durable_store_options so = DURABLE_STORE_OPTIONS_INIT;
    so.read_only = true, so.create = false;
    CU_ASSERT_FATAL(durable_store_open(&s, dbpath, &so) == 0);
    CU_ASSERT_FATAL(durable_engine_open(&e, s, NULL) == 0);
    durable_list_request lr = {0};
    lr.durable_execution_name = (char *)name;
    durable_list_response resp = {0};
    CU_ASSERT_FATAL(durable_engine_list_executions(&resp, e, &lr) == 0 && resp.count == 1);
    CU_ASSERT_FATAL(durable_engine_list_operations(ops, e, resp.executions[0].durable_execution_arn) == 0);
    durable_history_request hr = {0};
    hr.durable_execution_arn = resp.executions[0].durable_execution_arn;
    hr.max_items = DURABLE_MAX_ITEMS;
    durable_history_response h = {0};
    CU_ASSERT_FATAL(durable_engine_get_history(&h, e, &hr) == 0);
    CU_ASSERT_FATAL(h.next_marker == NULL || !*h.next_marker);
    *invocations = 0;
    for (size_t i = 0; i < h.count; i++)
        *invocations += h.events[i].type == DURABLE_EVENT_INVOCATION_COMPLETED;
    durable_history_response_clear(&h);
    durable_list_response_clear(&resp);
    durable_engine_close(e);
    durable_store_close(s);
}

/* The x of the first <rect> after `from`. */
static double rect_x_after(const char *from)
{
    const char *r = from ? strstr(from, "<rect x=\"") : NULL;
    return r ? atof(r + 9) : -1;
}

static void test_svg_of_the_order(void)
{
    char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(dt_cli_run(&out, &err, "timeline '%s' order-1001 -o '%s'", dbpath, svg), 0);
    CU_ASSERT(strstr(out, "wrote") && strstr(out, svg));
    free(out), free(err);
    CU_ASSERT_EQUAL(sh(NULL, "xmllint --noout '%s' 2>&1", svg), 0);
    durable_operation_list ops = {0};
    int invocations = 0;
    read_exec("order-1001", &ops, &invocations);
    CU_ASSERT(ops.count == 10 && invocations >= 4);
    /* One row per operation, counted by XPath on the parsed document. */
    char *n = NULL;
    CU_ASSERT_EQUAL(sh(&n, "xmllint --xpath \"count(//*[local-name()='g'][@class='row'])\" '%s'",
                       svg),
                    0);
    CU_ASSERT_EQUAL(atoi(n), (int)ops.count);
    free(n);
    char *doc = slurp(svg, NULL);
    CU_ASSERT_FATAL(doc != NULL);
    /* Each row is labelled: named operations by name, the execution by its
     * name, unnamed ones by their kind. */
    for (size_t i = 0; i < ops.count; i++) {
        char want[200];
        const durable_operation *op = &ops.items[i];
        if (op->type == DURABLE_OP_EXECUTION)
            snprintf(want, sizeof want, "font-weight=\"bold\">order-1001<tspan");
        else if (op->name)
            snprintf(want, sizeof want, ">%s<tspan", op->name);
        else
            snprintf(want, sizeof want, ">(%s)<tspan", op->type == DURABLE_OP_CALLBACK ? "callback" : "step");
        CU_ASSERT(strstr(doc, want) != NULL);
        if (!strstr(doc, want))
            printf("\n  no label %s", want);
    }
    CU_ASSERT_EQUAL(count(doc, "class=\"label\""), (int)ops.count);
    /* Invocations: one band each, the crashed one marked. */
    CU_ASSERT_EQUAL(count(doc, "<g class=\"invocation"), invocations);
    CU_ASSERT_EQUAL(count(doc, "<g class=\"invocation crashed\""), 1);
    CU_ASSERT(strstr(doc, "crashed</text>") && strstr(doc, "Runtime.ExitError"));
    /* The retried step: attempt 1 failed (with the crash), attempt 2 won,
     * the retry delay between them idle. */
    const char *cp = strstr(doc, ">charge-payment<tspan");
    CU_ASSERT_FATAL(cp != NULL);
    const char *end = strstr(cp, "</g>\n</g>");
    const char *a1 = strstr(cp, "<title>attempt 1, FAILED"), *a2 = strstr(cp, "<title>attempt 2, SUCCEEDED");
    CU_ASSERT(a1 && a2 && a1 < a2 && end && a2 < end);
    CU_ASSERT(strstr(cp, "<title>waiting, READY") && strstr(cp, "<title>waiting, READY") < a2);
    CU_ASSERT(strstr(cp, "step \xc3\x97" "2</tspan>") != NULL);
    /* Waits and callback waits are drawn idle (dashed). */
    const char *dw = strstr(doc, ">delivery-window<tspan");
    CU_ASSERT(dw && strstr(dw, "<title>waiting, SUCCEEDED") &&
              strstr(strstr(dw, "<title>waiting"), "stroke-dasharray"));
    const char *cb = strstr(doc, ">(callback)<tspan");
    CU_ASSERT(cb && strstr(cb, "<title>waiting, SUCCEEDED"));
    /* The 2-day wait and the 30-minute callback are cut out of the axis,
     * so the 6 s around the retry still spans many pixels. */
    CU_ASSERT(count(doc, "class=\"gap\"") >= 2);
    CU_ASSERT(strstr(doc, ">2d 0h</text>") != NULL);
    double x1 = rect_x_after(a1), x2 = rect_x_after(a2);
    CU_ASSERT(x1 > 0 && x2 - x1 > 100);
    if (!(x2 - x1 > 100))
        printf("\n  attempt 1 at x=%.1f, attempt 2 at x=%.1f", x1, x2);
    /* Time reads in units: T+0 at the start, later pieces in s/m/d. */
    CU_ASSERT(strstr(doc, ">T+0</text>") && strstr(doc, ">T+2d "));
    free(doc);
    durable_operation_list_clear(&ops);
}

/* PNG: signature, IHDR width/height (big-endian at offsets 16 and 20). */
static void png_size(const char *path, unsigned *w, unsigned *h, size_t *bytes)
{
    size_t len = 0;
    char *b = slurp(path, &len);
    *w = *h = 0;
    *bytes = len;
    if (b && len > 24 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) {
        const unsigned char *u = (const unsigned char *)b;
        *w = (unsigned)u[16] << 24 | (unsigned)u[17] << 16 | (unsigned)u[18] << 8 | u[19];
        *h = (unsigned)u[20] << 24 | (unsigned)u[21] << 16 | (unsigned)u[22] << 8 | u[23];
    }
    free(b);
}

static void test_renders_to_a_png(void)
{
    CU_ASSERT_EQUAL_FATAL(sh(NULL, "rsvg-convert -o '%s' '%s' 2>&1", png, svg), 0);
    char *doc = slurp(svg, NULL);
    CU_ASSERT_FATAL(doc != NULL);
    const char *wa = strstr(doc, " width=\""), *ha = strstr(doc, " height=\"");
    CU_ASSERT_FATAL(wa && ha);
    unsigned sw = (unsigned)atoi(wa + 8), shh = (unsigned)atoi(ha + 9);
    free(doc);
    unsigned w, h;
    size_t bytes;
    png_size(png, &w, &h, &bytes);
    CU_ASSERT(w == sw && h == shh && w > 1000 && h > 300);
    /* A blank picture of the same size, for scale. */
    char blank[600], blank_png[600];
    snprintf(blank, sizeof blank, "%s.blank.svg", svg);
    snprintf(blank_png, sizeof blank_png, "%s.blank.png", svg);
    FILE *f = fopen(blank, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\">"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/></svg>\n",
            sw, shh);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(sh(NULL, "rsvg-convert -o '%s' '%s' 2>&1", blank_png, blank), 0);
    unsigned bw, bh;
    size_t bbytes;
    png_size(blank_png, &bw, &bh, &bbytes);
    CU_ASSERT(bw == w && bh == h);
    CU_ASSERT(bytes > 5 * bbytes && bytes > 20000);
    if (!(bytes > 5 * bbytes))
        printf("\n  png %zu bytes, blank %zu bytes", bytes, bbytes);
    unlink(blank);
    unlink(blank_png);
}

/* A running execution: the open callback runs to the right edge with an
 * open end; the SVG goes to stdout without -o. */
static void test_running_execution_to_stdout(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "timeline '%s' still-running", dbpath), 0);
    CU_ASSERT(strncmp(out, "<?xml", 5) == 0 && strstr(out, "</svg>"));
    CU_ASSERT(strstr(out, ">approval<tspan") && strstr(out, "(still going)"));
    CU_ASSERT(strstr(out, "RUNNING") != NULL);
    CU_ASSERT_EQUAL(count(out, "<g class=\"row\""), 2);
    char path[600];
    snprintf(path, sizeof path, "%s.running.svg", svg);
    FILE *f = fopen(path, "w");
    fputs(out, f);
    fclose(f);
    CU_ASSERT_EQUAL(sh(NULL, "xmllint --noout '%s' 2>&1", path), 0);
    unlink(path);
    free(out);
    /* By ARN too. */
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "timeline '%s' '%s'", dbpath, running_arn), 0);
    CU_ASSERT(strstr(out, ">approval<tspan") != NULL);
    free(out);
}

static void test_errors(void)
{
    char *err = NULL, *out = NULL;
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "help timeline"), 0);
    CU_ASSERT(strstr(out, "usage: durable timeline DB EXEC [-o FILE.svg]") == out);
    free(out);
    CU_ASSERT_EQUAL(dt_cli_run(&out, NULL, "help"), 0);
    CU_ASSERT(strstr(out, "durable timeline DB EXEC") != NULL);
    free(out);
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "timeline '%s'", dbpath), 1);
    CU_ASSERT(strstr(err, "missing EXEC") && strstr(err, "usage: durable timeline"));
    free(err);
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "timeline '%s' order-1001 --png", dbpath), 1);
    CU_ASSERT(strstr(err, "unknown or incomplete option '--png'") != NULL);
    free(err);
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "timeline '%s' order-1001 -o", dbpath), 1);
    free(err);
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "timeline '%s' nosuch -o '%s'", dbpath, svg), 2);
    CU_ASSERT(strstr(err, "no execution matches 'nosuch'") != NULL);
    free(err);
    CU_ASSERT_EQUAL(dt_cli_run(NULL, &err, "timeline '%s' order-1001 -o /nonexistent/dir/t.svg",
                               dbpath),
                    4);
    CU_ASSERT(strstr(err, "/nonexistent/dir/t.svg") != NULL);
    free(err);
}

int main(void)
{
    dbpath = dt_temp_path("timeline");
    svg = dt_temp_path("timeline_svg");
    png = dt_temp_path("timeline_png");
    CU_pSuite s = dt_suite("testing_timeline");
    DT_ADD(s, build_db);
    DT_ADD(s, test_svg_of_the_order);
    DT_ADD(s, test_renders_to_a_png);
    DT_ADD(s, test_running_execution_to_stdout);
    DT_ADD(s, test_errors);
    int rc = dt_run();
    char ledger[600];
    snprintf(ledger, sizeof ledger, "%s.ledger", dbpath);
    unlink(ledger);
    dt_remove_db(dbpath);
    unlink(svg);
    unlink(png);
    free(dbpath), free(svg), free(png), free(running_arn);
    return rc;
}
