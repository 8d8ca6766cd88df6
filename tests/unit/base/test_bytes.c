/* Tests base/bytes.c: bounded reads, the sticky bad flag, dd_reader_fits()
 * against counts that would overflow a multiplication. */
#include <stdint.h>
#include <string.h>

#include "base/bytes.h"
#include "check.h"

int main(void)
{
    unsigned char data[12];
    uint64_t v = 0x1122334455667788ull;
    memcpy(data, &v, 8);
    memcpy(data + 8, "abcd", 4);

    struct dd_reader r;
    dd_reader_init(&r, data, sizeof data);
    CHECK(dd_reader_fits(&r, 12, 1) && !dd_reader_fits(&r, 13, 1) && dd_reader_fits(&r, 1, 8));
    CHECK(dd_read_u64(&r) == v);
    CHECK(r.left == 4 && !r.bad);
    char two[2];
    CHECK_EQ_INT(dd_read_copy(&r, two, 2), 0);
    CHECK(two[0] == 'a' && two[1] == 'b');
    const char *p = dd_read(&r, 0);
    CHECK(p && *p == 'c'); /* zero bytes: fine, nothing consumed */

    /* past the end: NULL, dst untouched, and every later read fails too */
    char three[3] = {'x', 'x', 'x'};
    CHECK_EQ_INT(dd_read_copy(&r, three, 3), -1);
    CHECK(three[0] == 'x' && r.bad);
    CHECK(dd_read(&r, 1) == NULL);
    CHECK(dd_read_u64(&r) == 0);
    CHECK(!dd_reader_fits(&r, 0, 1));

    /* counts that would overflow count * size are refused, not wrapped */
    dd_reader_init(&r, data, sizeof data);
    CHECK(!dd_reader_fits(&r, UINT64_MAX, 8));
    CHECK(!dd_reader_fits(&r, (UINT64_MAX / 8) + 2, 8));
    CHECK(!dd_reader_fits(&r, 1, 0));

    /* an empty or NULL input */
    dd_reader_init(&r, NULL, 5);
    CHECK(r.left == 0 && dd_read(&r, 1) == NULL && r.bad);
    CHECK_DONE();
}
