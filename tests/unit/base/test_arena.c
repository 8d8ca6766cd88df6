/* Tests base/arena.c: alignment, strings, big (huge-page) chunks, reset
 * keeping one chunk for reuse. */
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "check.h"

int main(void)
{
    struct dd_arena a;
    dd_arena_init(&a);
    char *s = dd_arena_strndup(&a, "hello, world", 5);
    CHECK_EQ_STR(s, "hello");
    for (int i = 0; i < 1000; i++) {
        void *p = dd_arena_alloc(&a, (size_t)i % 37 + 1);
        CHECK(((uintptr_t)p & 15) == 0);
    }
    /* a chunk far above the huge-page threshold: usable to its last byte */
    size_t big = (size_t)40 << 20;
    unsigned char *b = dd_arena_alloc(&a, big);
    CHECK(((uintptr_t)b & 15) == 0);
    memset(b, 0xab, big);
    CHECK(b[0] == 0xab && b[big - 1] == 0xab);
    CHECK(a.used_total >= big);
    /* reset: nothing counted, the newest chunk reused for the next allocation */
    dd_arena_reset(&a);
    CHECK_EQ_INT(a.used_total, 0);
    unsigned char *again = dd_arena_alloc(&a, 64);
    CHECK(again == b);
    dd_arena_reset(&a);
    dd_arena_release(&a);
    CHECK(a.head == NULL);
    dd_arena_reset(&a); /* an empty arena: no-op */
    CHECK_DONE();
}
