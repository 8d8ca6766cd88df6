/* Tests base/buf.c: growth, printf, JSON escaping and numbers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "check.h"

int main(void)
{
    struct dd_buf b;
    dd_buf_init(&b);
    for (int i = 0; i < 10000; i++)
        dd_buf_printf(&b, "%d,", i);
    CHECK_EQ_INT(b.len, 48890);
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    dd_buf_reset(&b);
    CHECK_EQ_INT(b.len, 0);

    dd_json_str(&b, "a\"b\\c\nd\x01");
    CHECK_EQ_STR(b.data, "\"a\\\"b\\\\c\\nd\\u0001\"");
    dd_buf_reset(&b);
    dd_json_num(&b, NAN);
    dd_buf_putc(&b, ' ');
    dd_json_num(&b, INFINITY);
    dd_buf_putc(&b, ' ');
    dd_json_num(&b, 0.183);
    dd_buf_putc(&b, ' ');
    dd_json_num(&b, 3);
    dd_buf_putc(&b, ' ');
    dd_json_num(&b, 1.2e-300);
    CHECK_EQ_STR(b.data, "null null 0.183 3 1.2e-300");
    dd_buf_reset(&b);
    dd_json_time(&b, 1795341600000LL);
    CHECK_EQ_STR(b.data, "\"2026-11-22T10:00:00.000Z\"");
    size_t n;
    char *taken = dd_buf_take(&b, &n);
    CHECK_EQ_INT(n, 26);
    CHECK(b.data == NULL && b.len == 0);
    free(taken);
    dd_buf_release(&b);
    CHECK_DONE();
}
