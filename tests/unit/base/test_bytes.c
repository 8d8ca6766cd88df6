/* Tests base/bytes.c: bounded reads, the sticky bad flag, dd_reader_fits()
 * against counts that would overflow a multiplication. */
#include <stdint.h>
#include <string.h>

#include "base/bytes.h"
#include "check.h"

/* 12 bytes, a u64 then "abcd", and a reader over them */
struct fixture {
    unsigned char data[12];
    uint64_t v;
    struct dd_reader r;
};

static void fixture_init(struct fixture *f)
{
    f->v = 0x1122334455667788ull;
    memcpy(f->data, &f->v, 8);
    memcpy(f->data + 8, "abcd", 4);
    dd_reader_init(&f->r, f->data, sizeof f->data);
}

/* the reader moved to "cd" (after the u64 and "ab") */
static void read_to_cd(struct fixture *f)
{
    CHECK_EQ_INT(dd_read_u64(&f->r), f->v);
    CHECK_EQ_INT(f->r.left, 4);
    CHECK_EQ_INT(f->r.bad, 0);
    char two[2];
    CHECK_EQ_INT(dd_read_copy(&f->r, two, 2), 0);
    CHECK_EQ_MEM(two, "ab", 2);
}

TEST(bounded_reads)
{
    struct fixture f;
    fixture_init(&f);
    CHECK(dd_reader_fits(&f.r, 12, 1));
    CHECK(!dd_reader_fits(&f.r, 13, 1));
    CHECK(dd_reader_fits(&f.r, 1, 8));
    read_to_cd(&f);
    const char *p = dd_read(&f.r, 0);
    CHECK_EQ_PTR(p, f.data + 10); /* zero bytes: fine, nothing consumed */
    CHECK(p && *p == 'c');
}

/* past the end: NULL, dst untouched, and every later read fails too */
TEST(sticky_bad_flag)
{
    struct fixture f;
    fixture_init(&f);
    read_to_cd(&f);
    char three[3] = {'x', 'x', 'x'};
    CHECK_EQ_INT(dd_read_copy(&f.r, three, 3), -1);
    CHECK_EQ_MEM(three, "xxx", 3);
    CHECK_EQ_INT(f.r.bad, 1);
    CHECK_EQ_PTR(dd_read(&f.r, 1), NULL);
    CHECK_EQ_INT(dd_read_u64(&f.r), 0);
    CHECK(!dd_reader_fits(&f.r, 0, 1));
}

/* counts that would overflow count * size are refused, not wrapped */
TEST(overflowing_counts)
{
    struct fixture f;
    fixture_init(&f);
    CHECK(!dd_reader_fits(&f.r, UINT64_MAX, 8));
    CHECK(!dd_reader_fits(&f.r, (UINT64_MAX / 8) + 2, 8));
    CHECK(!dd_reader_fits(&f.r, 1, 0));
}

/* an empty or NULL input */
TEST(null_input)
{
    struct dd_reader r;
    dd_reader_init(&r, NULL, 5);
    CHECK_EQ_INT(r.left, 0);
    CHECK_EQ_PTR(dd_read(&r, 1), NULL);
    CHECK_EQ_INT(r.bad, 1);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(bounded_reads);
    RUN(sticky_bad_flag);
    RUN(overflowing_counts);
    RUN(null_input);
    CHECK_DONE();
}
