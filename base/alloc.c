/* alloc.c — the aborting allocators of alloc.h. */
#include "alloc.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "level=fatal msg=\"out of memory\" bytes=%zu\n", n);
    abort();
}

void *dd_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *dd_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *dd_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *dd_strdup(const char *s)
{
    return dd_strndup(s, strlen(s));
}

char *dd_strndup(const char *s, size_t n)
{
    char *d = dd_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

size_t dd_mul(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    return n * size;
}

void dd_alloc_keep_freed_memory(void)
{
    if (getenv("GLIBC_TUNABLES"))
        return;
    mallopt(M_MMAP_THRESHOLD, DD_ALLOC_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, DD_ALLOC_TRIM_THRESHOLD);
}
