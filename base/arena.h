/* arena.h — a bump allocator for objects that die together.
 *
 * An ingest batch's events, strings and vectors live in one arena and are
 * freed with it in one call: no per-field frees on the hot path.  The caller
 * owns the struct (dd_arena_init / dd_arena_release).  Not thread-safe; an
 * arena may be handed from one thread to another (request thread -> writer).
 */
#ifndef DD_ARENA_H
#define DD_ARENA_H
#include <stddef.h>

struct dd_arena_chunk;
struct dd_arena {
    struct dd_arena_chunk *head;
    size_t used_total;
};

void dd_arena_init(struct dd_arena *a);
void dd_arena_release(struct dd_arena *a);
/* n bytes aligned to 16; never NULL (aborts on OOM). */
void *dd_arena_alloc(struct dd_arena *a, size_t n);
char *dd_arena_strndup(struct dd_arena *a, const char *s, size_t n);
/* Forgets every allocation but keeps the newest (largest) chunk for reuse:
 * a scratch arena for one line or one request at a time. */
void dd_arena_reset(struct dd_arena *a);

#endif
