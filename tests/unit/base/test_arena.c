/* Tests base/arena.c: alignment, strings, big (huge-page) chunks, reset
 * keeping one chunk for reuse. */
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "check.h"

TEST(strndup_and_alignment)
{
    struct dd_arena a;
    dd_arena_init(&a);
    char *s = dd_arena_strndup(&a, "hello, world", 5);
    CHECK_EQ_STR(s, "hello");
    for (int i = 0; i < 1000; i++) {
        void *p = dd_arena_alloc(&a, (size_t)i % 37 + 1);
        CHECK_EQ_INT((uintptr_t)p & 15, 0);
    }
    dd_arena_release(&a);
}

/* a chunk far above the huge-page threshold: usable to its last byte; a
 * reset counts nothing and reuses the newest chunk for the next allocation */
TEST(big_chunk_and_reset)
{
    struct dd_arena a;
    dd_arena_init(&a);
    dd_arena_alloc(&a, 100);
    size_t big = (size_t)40 << 20;
    unsigned char *b = dd_arena_alloc(&a, big);
    CHECK_EQ_INT((uintptr_t)b & 15, 0);
    memset(b, 0xab, big);
    CHECK_EQ_INT(b[0], 0xab);
    CHECK_EQ_INT(b[big - 1], 0xab);
    CHECK_CMP_INT(a.used_total, >=, big);
    dd_arena_reset(&a);
    CHECK_EQ_INT(a.used_total, 0);
    unsigned char *again = dd_arena_alloc(&a, 64);
    CHECK_EQ_PTR(again, b);
    dd_arena_reset(&a);
    dd_arena_release(&a);
    CHECK_EQ_PTR(a.head, NULL);
    dd_arena_reset(&a); /* an empty arena: no-op */
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(strndup_and_alignment);
    RUN(big_chunk_and_reset);
    CHECK_DONE();
}
