/* The library allocator; cJSON is routed through it too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/internal.h"

static void *default_malloc(size_t size, void *user)
{
    (void)user;
    return malloc(size);
}

static void *default_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    return realloc(ptr, size);
}

static void default_free(void *ptr, void *user)
{
    (void)user;
    free(ptr);
}

static durable_allocator current = {default_malloc, default_realloc, default_free, NULL};

static void *cjson_malloc(size_t size)
{
    return current.malloc_fn(size, current.user);
}

static void cjson_free(void *ptr)
{
    current.free_fn(ptr, current.user);
}

void durable_set_allocator(const durable_allocator *allocator)
{
    cJSON_Hooks hooks = {cjson_malloc, cjson_free};
    if (allocator && allocator->malloc_fn && allocator->realloc_fn && allocator->free_fn)
        current = *allocator;
    else
        current = (durable_allocator){default_malloc, default_realloc, default_free, NULL};
    cJSON_InitHooks(&hooks);
}

void *durable__malloc(size_t size)
{
    return current.malloc_fn(size ? size : 1, current.user);
}

void *durable__calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = durable__malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *durable__realloc(void *ptr, size_t size)
{
    return current.realloc_fn(ptr, size ? size : 1, current.user);
}

void durable_free(void *ptr)
{
    if (ptr)
        current.free_fn(ptr, current.user);
}

char *durable__strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = durable__malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *durable__strdup(const char *s)
{
    return s ? durable__strndup(s, strlen(s)) : NULL;
}

char *durable__vsprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = durable__malloc((size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *durable__sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = durable__vsprintf(fmt, ap);
    va_end(ap);
    return p;
}
