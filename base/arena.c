/* arena.c — chunked bump allocator of arena.h. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define ARENA_CHUNK_MIN (64 * 1024)

struct dd_arena_chunk {
    struct dd_arena_chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

void dd_arena_init(struct dd_arena *a)
{
    a->head = NULL;
    a->used_total = 0;
}

void dd_arena_release(struct dd_arena *a)
{
    if (!a)
        return;
    struct dd_arena_chunk *c = a->head;
    while (c) {
        struct dd_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    dd_arena_init(a);
}

void *dd_arena_alloc(struct dd_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct dd_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
        if (c && cap < c->cap * 2 && c->cap * 2 <= 16 * 1024 * 1024)
            cap = c->cap * 2;
        c = dd_malloc(sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used_total += n;
    return p;
}

char *dd_arena_strndup(struct dd_arena *a, const char *s, size_t n)
{
    char *d = dd_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void dd_arena_reset(struct dd_arena *a)
{
    struct dd_arena_chunk *keep = a->head;
    if (!keep)
        return;
    struct dd_arena_chunk *c = keep->next;
    while (c) {
        struct dd_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->used_total = 0;
}
