/* Tests base/buf.c: growth, printf, JSON escaping and numbers, and that
 * JSON strings always come out as valid UTF-8 (U+FFFD for bad bytes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "check.h"
#include "xorshift.h"

/* dd_json_strn(s[0..n)) as a C string in *b (reset first). */
static const char *jstr(struct dd_buf *b, const char *s, size_t n)
{
    dd_buf_reset(b);
    dd_json_strn(b, s, n);
    return b->data;
}
#define JSTR(b, lit) jstr(b, lit, sizeof(lit) - 1)

static int all_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int k = dd_utf8_seq((const unsigned char *)s + i, n - i);
        if (k < 0)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

#define FFFD "\xef\xbf\xbd"

/* dd_utf8_seq: lengths, and the maximal subpart of each bad one */
TEST(utf8_seq)
{
    const unsigned char *u = (const unsigned char *)"\xe6\x97\xa5\xe6\x97x\xf0\x9f\x98";
    CHECK_EQ_INT(dd_utf8_seq(u, 3), 3);
    CHECK_EQ_INT(dd_utf8_seq(u + 3, 3), -2);
    CHECK_EQ_INT(dd_utf8_seq(u + 6, 3), -3);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), -1);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xed\x9f\xbf", 3), 3);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xf4\x90", 2), -1);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xe0\x9f\x80", 3), -1);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xc2\x80", 2), 2);
    CHECK_EQ_INT(dd_utf8_seq((const unsigned char *)"\xc2", 1), -1);
}

/* JSON strings: valid text kept, each bad byte U+FFFD, escapes */
TEST(json_string_utf8)
{
    struct dd_buf b;
    dd_buf_init(&b);
    CHECK_EQ_STR(JSTR(&b, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
                 "\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"");
    CHECK_EQ_STR(JSTR(&b, "\xff\xfe"), "\"" FFFD FFFD "\"");
    CHECK_EQ_STR(JSTR(&b, "a\xc0\xaf"
                          "b"),
                 "\"a" FFFD FFFD "b\"");
    CHECK_EQ_STR(JSTR(&b, "\xed\xa0\x80"), "\"" FFFD FFFD FFFD "\"");
    CHECK_EQ_STR(JSTR(&b, "\xf4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_EQ_STR(JSTR(&b, "ab\xe6\x97"), "\"ab" FFFD "\"");
    CHECK_EQ_STR(JSTR(&b, "\xe6\x97x\"\xf0\x9f\x98\\"), "\"" FFFD "x\\\"" FFFD "\\\\\"");
    CHECK_EQ_STR(JSTR(&b, "a\0b\x1f\x7f"), "\"a\\u0000b\\u001f\x7f\"");
    CHECK_EQ_STR(JSTR(&b, "/models/\xff\xfe/drift and more than eight"),
                 "\"/models/" FFFD FFFD "/drift and more than eight\"");
    dd_buf_reset(&b);
    int first = 1;
    dd_json_key(&b, "k\xff", &first);
    CHECK_EQ_STR(b.data, "\"k" FFFD "\":");
    dd_buf_release(&b);
}

/* every special byte at every place of a long ASCII string */
TEST(json_string_special_bytes)
{
    struct dd_buf b;
    dd_buf_init(&b);
    const char *special = "\"\\\n\x01\xff";
    const char *want[] = {"\\\"", "\\\\", "\\n", "\\u0001", FFFD};
    for (int k = 0; k < 5; k++)
        for (size_t at = 0; at < 40; at++) {
            char in[40], exp[64];
            memset(in, 'a', sizeof in);
            in[at] = special[k];
            snprintf(exp, sizeof exp, "\"%.*s%s%.*s\"", (int)at, in, want[k],
                     (int)(sizeof in - at - 1), in + at + 1);
            CHECK_EQ_STR(jstr(&b, in, sizeof in), exp);
        }
    dd_buf_release(&b);
}

/* two in three printable ASCII, else any byte */
static unsigned char mostly_ascii(uint64_t r)
{
    return r % 3 ? (unsigned char)(0x20 + (r >> 8) % 95) : (unsigned char)(r >> 8);
}

/* random bytes: always valid UTF-8 out, valid text kept as it is */
TEST(json_string_random_bytes)
{
    struct dd_buf b;
    dd_buf_init(&b);
    uint64_t rng = 0x2545f4914f6cdd1dull;
    int bad = 0;
    for (int k = 0; k < 100000; k++) {
        unsigned char in[24];
        size_t n = xorshift64_bytes(&rng, in, sizeof in, mostly_ascii);
        jstr(&b, (const char *)in, n);
        if (!all_valid(b.data, b.len) && bad++ < 3)
            fprintf(stderr, "invalid UTF-8 out of %zu random bytes\n", n);
        int plain = all_valid((const char *)in, n);
        for (size_t i = 0; i < n; i++)
            plain &= in[i] >= 0x20 && in[i] != '"' && in[i] != '\\';
        if (plain && (b.len != n + 2 || memcmp(b.data + 1, in, n) != 0) && bad++ < 3)
            fprintf(stderr, "valid text of %zu bytes changed\n", n);
    }
    CHECK_EQ_INT(bad, 0);
    dd_buf_release(&b);
}

TEST(growth_and_printf)
{
    struct dd_buf b;
    dd_buf_init(&b);
    for (int i = 0; i < 10000; i++)
        dd_buf_printf(&b, "%d,", i);
    CHECK_EQ_INT(b.len, 48890);
    CHECK_STARTS_WITH(b.data, "0,1,2,");
    dd_buf_reset(&b);
    CHECK_EQ_INT(b.len, 0);
    dd_buf_release(&b);
}

/* escapes, numbers (never NaN), times; dd_buf_take() hands the bytes over */
TEST(json_values_and_take)
{
    struct dd_buf b;
    dd_buf_init(&b);
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
    CHECK_EQ_STR(taken, "\"2026-11-22T10:00:00.000Z\"");
    CHECK_EQ_PTR(b.data, NULL);
    CHECK_EQ_INT(b.len, 0);
    free(taken);
    dd_buf_release(&b);
}

/* dd_json_k*(): one member per call, commas between members only */
TEST(json_members)
{
    struct dd_buf b;
    dd_buf_init(&b);
    int first = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &first, "name", "v\"1");
    dd_json_knum(&b, &first, "p", 0.25);
    dd_json_kint(&b, &first, "n", -3);
    dd_json_kbool(&b, &first, "drift", 1);
    dd_json_kbool(&b, &first, "sampled", 0);
    dd_json_ktime(&b, &first, "at", 0);
    dd_json_ktime(&b, &first, "never", -1);
    dd_json_knum(&b, &first, "nan", NAN);
    dd_buf_putc(&b, '}');
    dd_buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"name\":\"v\\\"1\",\"p\":0.25,\"n\":-3,\"drift\":true,"
                         "\"sampled\":false,\"at\":\"1970-01-01T00:00:00.000Z\",\"never\":null,"
                         "\"nan\":null}");
    dd_buf_release(&b);
}

/* what may follow a JSON text: RFC 8259's four whitespace bytes, nothing else */
TEST(json_skip_blank)
{
    const char *t = " \t\r\n";
    CHECK_EQ_PTR(dd_json_skip_blank(t, t + 4), t + 4);
    CHECK_EQ_PTR(dd_json_skip_blank(t, t), t);
    const char *u = "  {}";
    CHECK_EQ_PTR(dd_json_skip_blank(u, u + 4), u + 2);
    const char *v = " \v"; /* cJSON would skip any byte <= 32; JSON does not */
    CHECK_EQ_PTR(dd_json_skip_blank(v, v + 2), v + 1);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(utf8_seq);
    RUN(json_string_utf8);
    RUN(json_string_special_bytes);
    RUN(json_string_random_bytes);
    RUN(growth_and_printf);
    RUN(json_values_and_take);
    RUN(json_members);
    RUN(json_skip_blank);
    CHECK_DONE();
}
