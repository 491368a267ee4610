/*
 * CallbackActions (SPEC.md §12.4) as data for the runner's callback actions
 * (durable_test_runner_add_callback_action, testing.h). Not API.
 *
 * Each action {CallbackName, Operation, Payload?, Delay?} becomes one
 * durable_test_callback_action:
 *   CallbackName '*' (or absent) → MATCH_ANY; "${/re/}" → MATCH_REGEX with the
 *   regex translated to POSIX (a "(?i)" prefix becomes [aA]-style brackets);
 *   anything else → MATCH_EXACT on its text.
 *   Operation success|failure|heartbeat, any case.
 *   success Payload → the body Python's json.dumps would send (", " / ": "
 *   separators); no Payload (or null) → empty body.
 *   failure Payload → the ErrorObject fields ErrorType, ErrorMessage,
 *   ErrorData (a non-string ErrorData is sent as its json.dumps text).
 *   Delay in seconds (default 0) → delay_ms.
 * The runner applies the suite's matching rules: first unused matching
 * action per CallbackStarted in event order, heartbeats do not consume the
 * callback, delays add up.
 */
#ifndef CONFORMANCE_ACTIONS_H
#define CONFORMANCE_ACTIONS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "durable/testing.h"

typedef struct conf_actions {
    durable_test_callback_action *items; /* strings point into `strings` */
    size_t count;
    char **strings; /* owned */
    size_t string_count, string_cap;
} conf_actions;

/* Build from an already substituted CallbackActions list (NULL / null = no
 * actions). 0, or -1 with a message naming the action in err. */
int conf_actions_build(conf_actions *out, const cJSON *actions, char *err, size_t errlen);

void conf_actions_clear(conf_actions *a);

#endif
