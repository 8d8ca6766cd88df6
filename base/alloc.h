/* alloc.h — allocation that never returns NULL.
 *
 * driftd bounds its memory by design (bounded queue, body limits, window
 * samples); running out anyway is not something a handler can recover from,
 * so these abort with a log line instead of threading NOMEM through every
 * caller (Redis's zmalloc, git's xmalloc).  Free with free().
 */
#ifndef DD_ALLOC_H
#define DD_ALLOC_H
#include <stddef.h>

void *dd_malloc(size_t n);
void *dd_calloc(size_t count, size_t size);
void *dd_realloc(void *p, size_t n);
char *dd_strdup(const char *s);
char *dd_strndup(const char *s, size_t n);
/* n * size, aborting on overflow. */
size_t dd_mul(size_t n, size_t size);

#define DD_ALLOC_MMAP_THRESHOLD (8 << 20)  /* blocks below this come from the heap */
#define DD_ALLOC_TRIM_THRESHOLD (16 << 20) /* free heap kept per malloc arena */
/* For a long-running server: keep freed memory for the next request instead
 * of handing it back to the kernel after each one.  glibc's defaults map
 * every block over 128 KiB-ish (a request body, a decoded batch) and trim
 * freed heap at once, so each request pays for page faults and madvise; on
 * the 2-core VM that cost more than half of embedding ingest (measured:
 * tests/bench/README.md).  The price is up to DD_ALLOC_TRIM_THRESHOLD of
 * free memory held per arena.  Does nothing when GLIBC_TUNABLES is set (the
 * operator's choice wins).  Call before starting threads. */
void dd_alloc_keep_freed_memory(void);

#endif
