/*
 * The parts of an execution ARN as slices of the ARN's own text (no copy,
 * no allocation), for lookups that run on every call (the engine finds an
 * execution through its short (function, qualifier, name) key).
 */
#ifndef DURABLE_SRC_MODEL_EXEC_ARN_H
#define DURABLE_SRC_MODEL_EXEC_ARN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct durable__arn_slice {
    const char *p; /* borrowed: points into the ARN */
    size_t n;
} durable__arn_slice;

typedef struct durable__exec_arn_parts {
    durable__arn_slice function, qualifier, execution_name, execution_op_id;
} durable__exec_arn_parts;

/* false (and no error recorded) when arn is not an execution ARN of SPEC
 * §2.9; the same rules as durable_execution_arn_parse, which uses it. */
bool durable__exec_arn_split(durable__exec_arn_parts *out, const char *arn);

#endif
