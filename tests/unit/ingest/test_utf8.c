/* Tests ingest/utf8.c: dd_utf8_valid() against a reference decoder on fixed
 * and random bytes, every problem dd_text_scan() finds (and the escapes it
 * must let through), dd_json_where()'s paths, and the messages. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/utf8.h"
#include "check.h"
#include "xorshift.h"

/* RFC 3629 by the book: decode by bit pattern, then reject what the code
 * point says is wrong (overlong, surrogate, too large). */
static int ref_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], cp, len;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += len;
    }
    return 1;
}

#define VALID(s, want) CHECK_EQ_INT(dd_utf8_valid(s, sizeof(s) - 1), want)

/* dd_text_scan() on a literal: the kind and offset it reports (0, 0 if none). */
static void scan(const char *s, size_t n, int kind, size_t offset, int line)
{
    struct dd_text_problem p;
    memset(&p, 0, sizeof p);
    int r = dd_text_scan(s, n, &p);
    check_count++;
    if (r != (kind != 0) || (r && ((int)p.kind != kind || p.offset != offset))) {
        fprintf(stderr, "line %d: scan -> %d kind %d offset %zu (wanted kind %d offset %zu)\n",
                line, r, r ? (int)p.kind : 0, r ? p.offset : 0, kind, offset);
        check_failures++;
    }
}
#define SCAN(s, kind, offset) scan(s, sizeof(s) - 1, kind, offset, __LINE__)

/* dd_json_where() at the offset of the first '@' of s. */
static void where(const char *s, const char *list, int in_string, int in_name, long item,
                  const char *path, int line)
{
    struct dd_json_where w;
    size_t off = (size_t)(strchr(s, '@') - s);
    dd_json_where(s, strlen(s), off, list, &w);
    check_count++;
    if (w.in_string != in_string || w.in_name != in_name || w.item != item ||
        strcmp(w.path, path) != 0) {
        fprintf(stderr, "line %d: where -> %d %d %ld \"%s\" (wanted %d %d %ld \"%s\")\n", line,
                w.in_string, w.in_name, w.item, w.path, in_string, in_name, item, path);
        check_failures++;
    }
}
#define WHERE(s, list, in_string, in_name, item, path)                                             \
    where(s, list, in_string, in_name, item, path, __LINE__)

/* the edges of RFC 3629's table */
TEST(valid_edges)
{
    VALID("", 1);
    VALID("plain ascii text, longer than eight bytes", 1);
    VALID("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", 1);
    VALID("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 1);
    VALID("\xed\x9f\xbf\xee\x80\x80", 1); /* U+D7FF, U+E000 */
    VALID("\xff\xfe", 0);
    VALID("\xc0\xaf", 0); /* overlong '/' */
    VALID("\xc1\xbf", 0);
    VALID("\xe0\x9f\xbf", 0);     /* overlong 3-byte */
    VALID("\xf0\x8f\xbf\xbf", 0); /* overlong 4-byte */
    VALID("\xed\xa0\x80", 0);     /* U+D800 */
    VALID("\xed\xbf\xbf", 0);     /* U+DFFF */
    VALID("\xf4\x90\x80\x80", 0); /* U+110000 */
    VALID("\xf5\x80\x80\x80", 0);
    VALID("\x80", 0);
    VALID("abcdefgh\xc3", 0); /* cut at the end */
    VALID("abcdefgh\xe6\x97", 0);
    VALID("abcdefgh\xf0\x9f\x98", 0);
    VALID("\xc3(", 0);
    CHECK_EQ_INT(dd_utf8_valid("a\0b", 3), 1); /* U+0000 is UTF-8; the rules refuse it elsewhere */
}

/* a quarter continuation bytes, a quarter lead bytes and edges of RFC
 * 3629's table, half printable ASCII */
static unsigned char utf8ish(uint64_t r)
{
    static const char edges[] = "\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xc0\x80\xbf\x9f\x8f\x90\xa0";
    return r % 4 == 0   ? (unsigned char)(0x80 + (r >> 8) % 128)
           : r % 4 == 1 ? (unsigned char)edges[(r >> 8) % 15]
                        : (unsigned char)(0x20 + (r >> 8) % 95);
}

/* random bytes against the reference: mostly ASCII, some lead and
 * continuation bytes, every length from 0 to 40 */
TEST(valid_random_bytes)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    int bad = 0;
    for (int k = 0; k < 300000; k++) {
        unsigned char b[40];
        size_t n = xorshift64_bytes(&rng, b, sizeof b, utf8ish);
        if (dd_utf8_valid((const char *)b, n) != ref_valid(b, n) && bad++ < 5) {
            fprintf(stderr, "random bytes differ from the reference:");
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %02x", b[i]);
            fprintf(stderr, "\n");
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* the scan: each problem, at its offset; escapes that are fine */
TEST(text_scan)
{
    SCAN("{\"a\":\"x\"}", 0, 0);
    SCAN("{\"a\":\"0123456789\xff\"}", DD_TEXT_BAD_UTF8, 16);
    SCAN("{\"a\":\"\xc0\xaf\"}", DD_TEXT_BAD_UTF8, 6);
    SCAN("{\"a\":\"ok \xed\xa0\x80\"}", DD_TEXT_BAD_UTF8, 9);
    SCAN("{\"a\":\"\xf4\x90\x80\x80\"}", DD_TEXT_BAD_UTF8, 6);
    SCAN("{\"a\":\"ab\xc3\"}", DD_TEXT_BAD_UTF8, 8);
    SCAN("{\"a\":\"x\\u0000\"}", DD_TEXT_NUL_ESCAPE, 7);
    SCAN("{\"a\":\"x\\U0000\"}", 0, 0); /* not JSON: cJSON's to refuse */
    SCAN("{\"a\":\"\\ud800\"}", DD_TEXT_SURROGATE, 6);
    SCAN("{\"a\":\"\\uDBFFx\"}", DD_TEXT_SURROGATE, 6);
    SCAN("{\"a\":\"\\udc00\\ud800\"}", DD_TEXT_SURROGATE, 6);
    SCAN("{\"a\":\"\\ud800\\u0041\"}", DD_TEXT_SURROGATE, 6);
    SCAN("{\"a\":\"\\ud800\\ud800\"}", DD_TEXT_SURROGATE, 6);
    SCAN("{\"a\":\"\\ud83d\\ude00\"}", 0, 0);
    SCAN("{\"a\":\"\\uD83D\\uDE00 \\u00e9 \\uffff\"}", 0, 0);
    SCAN("{\"a\":\"\\\\u0000\"}", 0, 0);                    /* "\\" then "u0000" */
    SCAN("{\"a\":\"\\\\\\u0000\"}", DD_TEXT_NUL_ESCAPE, 8); /* "\\" then \u0000 */
    SCAN("{\"a\":\"\\\"\\u0000\"}", DD_TEXT_NUL_ESCAPE, 8);
    SCAN("{\"a\":\"\\u00\"}", 0, 0);
    SCAN("{\"a\":\"\\ud800", DD_TEXT_SURROGATE, 6); /* at the very end */
    CHECK_EQ_INT(dd_text_scan("{\"a\":\"x\0\"}", 10, &(struct dd_text_problem){0}), 1);
    struct dd_text_problem p;
    CHECK_EQ_INT(dd_text_scan("{\"a\":\"0123456789ab\0\"}", 21, &p), 1);
    CHECK_EQ_INT(p.kind, DD_TEXT_NUL);
    CHECK_EQ_INT(p.offset, 18);
    CHECK_EQ_INT(dd_text_scan("[\"\\\0\"]", 6, &p), 1); /* a 0x00 after a backslash */
    CHECK_EQ_INT(p.kind, DD_TEXT_NUL);
    CHECK_EQ_INT(p.offset, 3);
    CHECK_EQ_INT(dd_text_scan("[\"\\\xff\"]", 6, &p), 1);
    CHECK_EQ_INT(p.kind, DD_TEXT_BAD_UTF8);
    CHECK_EQ_INT(p.offset, 3);
    CHECK_EQ_INT(p.byte, 0xff);
}

/* a long ASCII text with one bad byte, then one \u0000, at every position */
TEST(text_scan_every_position)
{
    for (size_t at = 0; at < 64; at++) {
        char t[64];
        memset(t, 'x', sizeof t);
        t[at] = (char)0xfe;
        struct dd_text_problem p;
        CHECK_EQ_INT(dd_text_scan(t, sizeof t, &p), 1);
        CHECK_EQ_INT(p.offset, at);
        t[at] = '\\';
        if (at + 6 <= sizeof t) {
            memcpy(t + at, "\\u0000", 6);
            CHECK_EQ_INT(dd_text_scan(t, sizeof t, &p), 1);
            CHECK_EQ_INT(p.offset, at);
            CHECK_EQ_INT(p.kind, DD_TEXT_NUL_ESCAPE);
            CHECK_EQ_STR(p.escape, "\\u0000");
        }
    }
}

/* where: the path of the string at '@' */
TEST(json_where)
{
    WHERE("{\"events\":[{\"a\":1},{\"prediction\":\"@\"}]}", "events", 1, 0, 1,
          "events[1].prediction");
    WHERE("{\"events\":[{},{},{\"features\":{\"x\":1,\"@\":2}}]}", "events", 1, 1, 2,
          "events[2].features");
    WHERE("{\"events\":[{\"@\":1}]}", "events", 1, 1, 0, "events[0]");
    WHERE("{\"events\":[\"@\"]}", "events", 1, 0, 0, "events[0]");
    WHERE("{\"events\":[],\"@\":1}", "events", 1, 1, -1, "");
    WHERE("{\"events\":\"@\"}", "events", 1, 0, -1, "events");
    WHERE("{\"evts\":[\"@\"]}", "events", 1, 0, -1, "evts[0]");
    WHERE("{\"ev\\u0065nts\":[{\"x\":\"@\"}]}", "events", 1, 0, 0, "events[0].x");
    WHERE("{\"a\":[[1,2],[3,[\"x\",\"@\"]]]}", NULL, 1, 0, -1, "a[1][1][1]");
    WHERE("{\"a\":{\"b\":{}},\"c\":[{},{\"d\":\"@\"}]}", NULL, 1, 0, -1, "c[1].d");
    WHERE("{\"a\\\"b\":{\"c\\\\d\":\"@\"}}", NULL, 1, 0, -1, "a\"b.c\\d");
    WHERE("{\"x\\ud83d\\ude00y\":\"@\"}", NULL, 1, 0, -1, "x\xf0\x9f\x98\x80y");
    WHERE("{\"a,]}\":\"@\"}", NULL, 1, 0, -1, "a,]}");
    WHERE("\"@\"", NULL, 1, 0, -1, "");
    WHERE("{\"a\":1}\"@\"", NULL, 0, 0, -1, ""); /* after the root value */
    WHERE("{\"a\":1@}", NULL, 0, 0, -1, "");     /* in no string */
    WHERE("{\"labels\":[{\"id\":\"a\",\"label\":\"@\"}]}", "labels", 1, 0, 0, "labels[0].label");
}

/* names are cut to 60 bytes on a character boundary; long paths end in
 * "..."; deeper than cJSON's limit is not JSON */
TEST(json_where_long_and_deep)
{
    {
        char t[600], name[200] = "";
        for (int i = 0; i < 40; i++)
            strcat(name, "\xc3\xa9"); /* 80 bytes */
        snprintf(t, sizeof t, "{\"%s\":{\"%s\":{\"%s\":\"@\"}}}", name, name, name);
        struct dd_json_where w;
        dd_json_where(t, strlen(t), (size_t)(strchr(t, '@') - t), NULL, &w);
        CHECK_EQ_INT(w.in_string, 1);
        CHECK_CMP_INT(strlen(w.path), <=, 127);
        CHECK_EQ_MEM(w.path, name, 60);
        CHECK_EQ_INT(w.path[60], '.');
        CHECK_EQ_STR(w.path + strlen(w.path) - 3, "...");
        CHECK(dd_utf8_valid(w.path, strlen(w.path)));
        /* deeper than cJSON's limit: not JSON */
        char *deep = malloc(3000);
        memset(deep, '[', 1200);
        strcpy(deep + 1200, "\"@\"");
        dd_json_where(deep, strlen(deep), 1201, NULL, &w);
        CHECK_EQ_INT(w.in_string, 0);
        free(deep);
    }
}

/* messages: the problem, in a member name or not, at base + its offset */
TEST(messages)
{
    static const struct {
        struct dd_text_problem p;
        int in_name;
        size_t base;
        const char *want;
    } messages[] = {
        {{DD_TEXT_BAD_UTF8, 12, 0xff, ""},
         0,
         0,
         "is not valid UTF-8 (byte 0xff at offset 12 of the body)"},
        {{DD_TEXT_BAD_UTF8, 12, 0xff, ""},
         1,
         100,
         "a member name is not valid UTF-8 (byte 0xff at offset 112 of the body)"},
        {{DD_TEXT_NUL_ESCAPE, 3, '\\', "\\u0000"},
         0,
         0,
         "contains U+0000 (\\u0000), which is not allowed"},
        {{DD_TEXT_NUL, 7, 0, ""},
         0,
         0,
         "contains U+0000 (byte 0x00 at offset 7 of the body), which is not allowed"},
        {{DD_TEXT_SURROGATE, 5, '\\', "\\uD800"},
         1,
         0,
         "a member name contains a lone UTF-16 surrogate (\\uD800 at offset 5 of the body), "
         "which is not allowed"},
    };
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        char m[200];
        dd_text_describe(&messages[i].p, messages[i].in_name, messages[i].base, m, sizeof m);
        CHECK_EQ_STR(m, messages[i].want);
    }
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(valid_edges);
    RUN(valid_random_bytes);
    RUN(text_scan);
    RUN(text_scan_every_position);
    RUN(json_where);
    RUN(json_where_long_and_deep);
    RUN(messages);
    CHECK_DONE();
}
