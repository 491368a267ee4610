/* A growing string for the text builders (tables, JSON dumps, patterns). */
#include <string.h>

#include "model/internal.h"

char *durable__strbuf_room(durable__strbuf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (b->len + n + 1 > b->cap) {
        /* Doubling keeps appends amortised O(1). */
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = durable__realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

void durable__strbuf_put(durable__strbuf *b, const char *s, size_t n)
{
    char *w = durable__strbuf_room(b, n);
    if (!w)
        return;
    memcpy(w, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void durable__strbuf_puts(durable__strbuf *b, const char *s)
{
    durable__strbuf_put(b, s, strlen(s));
}

char *durable__strbuf_take(durable__strbuf *b)
{
    if (!b->oom && !b->p)
        durable__strbuf_put(b, "", 0);
    char *p = b->oom ? NULL : b->p;
    if (b->oom)
        durable__free(b->p);
    memset(b, 0, sizeof *b);
    return p;
}
