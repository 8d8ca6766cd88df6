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

#endif
