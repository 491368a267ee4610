/*
 * Internals of the cloud test runner (not API): the runner's state shared by
 * its files, the rebuild of a test result from the service's answers, and
 * the callback planner. The aws layer sits above sdk and testing: it builds
 * the testing layer's result type (result_internal.h) but never includes an
 * engine header.
 */
#ifndef DURABLE_SRC_AWS_CLOUD_INTERNAL_H
#define DURABLE_SRC_AWS_CLOUD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "durable/cloud.h"
#include "testing/result_internal.h"

/* ---- rebuild (cloud_rebuild.c) ------------------------------------------------ */

/* The operations of a history (EXECUTION excluded), in start order, with
 * the state the service's operation rows would have: status, timestamps,
 * attempt and next attempt, scheduled end, callback id, result, error. */
int durable__cloud_ops_from_history(durable_operation_list *out, const durable_event *events,
                                    size_t count);

/* The invocations of a history (one per InvocationCompleted). */
int durable__cloud_invs_from_history(durable__inv **out, size_t *out_count,
                                     const durable_event *events, size_t count);

/* A test result from GetDurableExecution's answer and the history (both
 * copied). */
int durable__cloud_result_build(durable_test_result **out, const durable_execution_info *exec,
                                const durable_event *events, size_t count);

/* ---- the runner ------------------------------------------------------------------ */

struct durable_cloud_runner {
    char *function;
    durable_cloud_runner_options o; /* its strings point at the copies below */
    char *qualifier;
    char *execution_name;
    char *tenant_id;
    durable_aws_client *client;

    durable__cb_action *responders;
    size_t responder_count;
    durable__cb_action *actions;
    size_t action_count;

    /* Shared by the test thread, the invoker and the poller. */
    pthread_mutex_t mu;
    pthread_cond_t cv;             /* CLOCK_MONOTONIC */
    uint64_t seq;                  /* bumped by every new snapshot / end */
    bool active;                   /* a run was started and not yet awaited */
    bool finished;                 /* the poller is done */
    bool stop;                     /* free: the poller ends at once */
    char *arn;
    durable_test_result *latest;   /* the last snapshot (owned) */
    int run_rc;
    char *run_msg;
    /* The invoker's outcome. */
    bool inv_done;
    int inv_rc;
    char *inv_msg;
    char *inv_arn;

    /* Set by start; read by the threads. */
    char *run_name;
    char *input;
    int64_t deadline_ms;           /* monotonic */
    pthread_t invoker, poller;
    bool invoker_started, poller_started;

    /* The poller's own state. */
    durable_event *events;
    size_t event_count;
    size_t tail_index;             /* where the last page read began */
    char *tail_marker;             /* the marker that read it (NULL = first page) */
    int64_t scanned_event_id;      /* CallbackStarted events planned up to here */
    bool idle;                     /* the last event read ends an invocation */
    bool *action_used;
    int64_t seq_last_ms;
    durable__planned *planned;     /* at_ms: real monotonic time */
    size_t planned_count;

    /* Live operation handles (the test thread). */
    durable_test_operation **probes;
    size_t probe_count;
};

/* ---- live handles (cloud_ops.c) ---------------------------------------------------- */

/* Bind every live handle of r from res (NULL: unbind). */
int durable__cloud_bind(durable_cloud_runner *r, const durable_test_result *res);

/* ---- callbacks (cloud_actions.c) ------------------------------------------------- */

/* Plan the responders / actions for a new callback seen at now_ms; strict
 * mode: DURABLE_ENOTFOUND when nothing matches. */
int durable__cloud_plan_callback(durable_cloud_runner *r, const char *callback_id,
                                 const char *name, int64_t now_ms);
/* Send every planned action due at now_ms. */
void durable__cloud_apply_due(durable_cloud_runner *r, int64_t now_ms);
/* The earliest planned time; false when nothing is planned. */
bool durable__cloud_next_planned(const durable_cloud_runner *r, int64_t *at_ms);
void durable__cloud_planned_clear(durable_cloud_runner *r);
/* Send one callback action through the API (DURABLE__CB_*). */
int durable__cloud_send(durable_cloud_runner *r, int kind, const char *callback_id,
                        const char *payload, const durable_error_object *error);

#endif
