/*
 * durable timeline — what a picture of one execution is made of (internal to
 * the tool). timeline_model.c reads the execution, its operations and its
 * history through the engine and turns them into rows of segments,
 * invocation bands and a time scale; timeline_svg.c draws them.
 */
#ifndef DURABLE_CLI_TIMELINE_H
#define DURABLE_CLI_TIMELINE_H

#include "cli.h"

/* What a stretch of a row means. */
typedef enum tl_kind {
    TL_WORK, /* a step attempt running (its code ran in this stretch) */
    TL_IDLE, /* waiting: a wait, a callback, a chained invoke, a retry delay */
    TL_SPAN  /* a context or the execution: from its start to its end */
} tl_kind;

typedef struct tl_seg {
    int64_t t0, t1;
    tl_kind kind;
    durable_op_status status; /* colour: the attempt's outcome or the op's status */
    int attempt;              /* step attempts: 1, 2, ...; else 0 */
    bool open;                /* still going when the file was read */
} tl_seg;

typedef struct tl_row {
    const durable_operation *op; /* borrowed from the timeline's ops */
    int depth;                   /* 0 = the execution; its operations 1, ... */
    int attempts;                /* step attempts seen in history */
    tl_seg *segs;
    size_t nsegs;
} tl_row;

typedef struct tl_invocation {
    int64_t t0, t1;
    char *request_id;
    char *error; /* "ErrorType: message" when the invocation failed (crashed) */
} tl_invocation;

/* One piece of the time axis: linear, or an idle gap compressed into a
 * fixed-width break so a 2-day wait does not squash the rest. */
typedef struct tl_piece {
    int64_t t0, t1;
    double x0, x1; /* pixels from the plot's left edge */
    bool is_break;
} tl_piece;

typedef struct timeline {
    durable_execution_info exec;
    durable_operation_list ops;
    tl_row *rows;
    size_t nrows;
    tl_invocation *invs;
    size_t ninvs;
    int64_t t_start, t_end;
    tl_piece *pieces;
    size_t npieces;
    double plot_width; /* the pieces' total width */
    double pad;        /* room at each end of a linear piece (px) */
    double px_per_ms;  /* scale of the linear pieces */
} timeline;

/* Reads execution `arn` from db and lays it out for a plot `plot_width` px
 * wide. Returns an exit code (a message is printed on failure). */
int tl_build(timeline *t, cli_db *db, const char *arn, double plot_width);
void tl_clear(timeline *t);
/* The x (px from the plot's left edge) of time ms. */
double tl_x(const timeline *t, int64_t ms);

/* Writes the SVG document of t to f. Returns 0, or -1 on a write error. */
int tl_write_svg(const timeline *t, FILE *f);

/* Compact durations for labels: "0ms", "850ms", "5.2s", "30m", "2d 4h". */
void tl_fmt_span(char *buf, size_t size, int64_t ms);

#endif
