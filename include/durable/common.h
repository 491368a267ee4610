/*
 * libdurable — common definitions: status codes, error detail, allocator.
 *
 * Conventions (see DESIGN.md):
 *  - Functions return int: 0 on success, DURABLE_PENDING (positive) when the
 *    execution must suspend, a negative DURABLE_E* code on error.
 *  - Output parameters come first and are named `out`.
 *  - Every failing call records a message in the thread-local last error,
 *    readable with durable_error_last(); handles that fail also keep their own.
 *  - Memory the library hands out (text, arrays, cJSON trees) is freed with
 *    durable_free() or the type's own _free/_clear function, never with free().
 */
#ifndef DURABLE_COMMON_H
#define DURABLE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DURABLE_VERSION_MAJOR 0
#define DURABLE_VERSION_MINOR 1
#define DURABLE_VERSION_PATCH 0
#define DURABLE_VERSION_STRING "0.1.0"

/*
 * Status codes. This list is append-only: a released value never changes
 * meaning. Add new codes at the end (before nothing else), and give each a
 * text in durable_strerror().
 */
#define DURABLE_OK 0
/* The execution must suspend: the handler returns this status unchanged. */
#define DURABLE_PENDING 1

#define DURABLE_ERROR (-1)             /* unspecified failure */
#define DURABLE_ENOMEM (-2)            /* allocation failed */
#define DURABLE_EINVAL (-3)            /* invalid argument or request (validation) */
#define DURABLE_ENOTFOUND (-4)         /* no such execution, operation, callback, function */
#define DURABLE_EEXISTS (-5)           /* already exists (e.g. execution already started) */
#define DURABLE_ETOKEN (-6)            /* "Invalid Checkpoint Token" */
#define DURABLE_ECALLBACK_DONE (-7)    /* callback has already been completed */
#define DURABLE_ECALLBACK_TIMEOUT (-8) /* callback timed out */
#define DURABLE_ECLOSED (-9)           /* execution is not running */
#define DURABLE_EDB (-10)              /* SQLite error */
#define DURABLE_ESCHEMA (-11)          /* not a libdurable file, or a newer schema */
#define DURABLE_EBUSY (-12)            /* database locked beyond the busy timeout; in flight */
#define DURABLE_EPARSE (-13)           /* malformed JSON or wire value */
#define DURABLE_ESTATE (-14)           /* call not allowed in the current state */
#define DURABLE_ENONDETERMINISTIC (-15) /* replay does not match recorded operations */
#define DURABLE_EFAILED (-16)          /* a durable operation failed; error object on the context */
#define DURABLE_ESERDES (-17)          /* serialization or deserialization failed */
#define DURABLE_ETHROTTLED (-18)       /* service throttled the request (retryable) */
#define DURABLE_ETIMEOUT (-19)         /* a wait with a timeout expired */
#define DURABLE_EIO (-20)              /* operating-system I/O or process failure */
#define DURABLE_ETYPE (-21)            /* operation is of another type than asked */
#define DURABLE_ENOTSETUP (-22)        /* test environment not set up */
#define DURABLE_ENOTCALLBACK (-23)     /* operation is not a callback */
#define DURABLE_ENOFUNCTION (-24)      /* function not registered */
#define DURABLE_ECOMPLETED_EARLY (-25) /* execution completed before the awaited state */
#define DURABLE_ESERVER (-26)          /* checkpoint server failure or shut down */
#define DURABLE_EMARKER (-27)          /* "Invalid marker" */
#define DURABLE_EIDLE (-28)            /* run cannot make progress (idle limit reached) */
#define DURABLE_EINVOCATION (-29)      /* invocation error (crash, runtime error) */
#define DURABLE_EACCESS (-30)          /* the service refused the caller (HTTP 403: access denied, bad signature) */

/* Static text for a code; never NULL, never freed. */
const char *durable_strerror(int code);

/* Symbolic name of a code ("DURABLE_ETOKEN"); never NULL, never freed. */
const char *durable_code_name(int code);

/*
 * The last error recorded on the calling thread. Never NULL; the pointer and
 * its message stay valid until the next libdurable call on this thread that
 * records an error. Never freed by the caller.
 */
typedef struct durable_error {
    int code;            /* DURABLE_E* code, 0 when nothing failed yet */
    const char *message; /* "" when nothing failed yet */
} durable_error;

const durable_error *durable_error_last(void);

/* Reset the calling thread's last error to code 0 and an empty message. */
void durable_error_clear(void);

/*
 * Allocator. All memory the library allocates (cJSON included) goes through
 * it, so tests can count or fail allocations. Set it before any other call,
 * from one thread; NULL restores malloc/realloc/free.
 */
typedef struct durable_allocator {
    void *(*malloc_fn)(size_t size, void *user);
    void *(*realloc_fn)(void *ptr, size_t size, void *user);
    void (*free_fn)(void *ptr, void *user);
    void *user;
} durable_allocator;

void durable_set_allocator(const durable_allocator *allocator);

/* Free memory returned by the library (text, arrays). Accepts NULL. */
void durable_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_COMMON_H */
