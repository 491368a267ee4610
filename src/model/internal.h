/*
 * Internal helpers shared by every layer (not API): the library allocator,
 * string helpers and the thread-local last error.
 */
#ifndef DURABLE_SRC_MODEL_INTERNAL_H
#define DURABLE_SRC_MODEL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "durable/common.h"

#if defined(__GNUC__)
#define DURABLE__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DURABLE__PRINTF(a, b)
#endif

/* Allocation through the configured allocator. */
void *durable__malloc(size_t size);
void *durable__calloc(size_t n, size_t size);
void *durable__realloc(void *ptr, size_t size);
#define durable__free durable_free

/* Copies; NULL in -> NULL out (not an error). */
char *durable__strdup(const char *s);
char *durable__strndup(const char *s, size_t n);
/* printf into a new string; NULL on allocation failure. */
char *durable__sprintf(const char *fmt, ...) DURABLE__PRINTF(1, 2);
char *durable__vsprintf(const char *fmt, va_list ap);

/* Record code and message as the thread's last error; returns code, so
 * callers can write `return durable__error_set(DURABLE_EINVAL, "...")`. */
int durable__error_set(int code, const char *fmt, ...) DURABLE__PRINTF(2, 3);
int durable__error_setv(int code, const char *fmt, va_list ap);
/* Prefix the current last-error message with "<prefix>: " (keeps the code). */
void durable__error_prefix(const char *fmt, ...) DURABLE__PRINTF(1, 2);
/* Record an allocation failure. */
int durable__error_oom(void);

/* A growing NUL-terminated string. Zero-initialise it; appends after an
 * allocation failure are ignored and set `oom`, so a caller checks once at
 * the end. `p` is owned by the buffer until taken; release it with
 * durable__strbuf_take() or durable__free(). */
typedef struct durable__strbuf {
    char *p;
    size_t len, cap;
    int oom;
} durable__strbuf;

/* Room for n more bytes and a terminator at b->p + b->len (NULL once out
 * of memory), for writers that fill it and advance b->len themselves. */
char *durable__strbuf_room(durable__strbuf *b, size_t n);
void durable__strbuf_put(durable__strbuf *b, const char *s, size_t n);
void durable__strbuf_puts(durable__strbuf *b, const char *s);
/* The finished string (never NULL on success, "" when nothing was put), now
 * owned by the caller; NULL after an allocation failure (the buffer is freed). */
char *durable__strbuf_take(durable__strbuf *b);

#endif
