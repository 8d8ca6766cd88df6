/* Tests ingest/jsonfast.c: numbers convert exactly as strtod does (fixed
 * cases and 200,000 random ones), the subset is taken and everything else
 * falls back, and dd_parse_events gives identical results with the fast
 * path on and off (dd_parse_options.no_fast_path) on a table of bodies
 * (parse_both.h, shared with the fuzz target). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "ingest/jsonfast.h"
#include "parse_both.h"
#include "check.h"
#include "xorshift.h"

static struct dd_arena scratch;

/* The fast path's value of number text t (as an array's one element). */
static int fast_number(const char *t, double *out)
{
    char buf[128];
    snprintf(buf, sizeof buf, "[%s]", t);
    dd_arena_reset(&scratch);
    cJSON *root = dd_jsonfast_parse(buf, strlen(buf), &scratch);
    if (!root || !root->child || !cJSON_IsNumber(root->child))
        return -1;
    *out = root->child->valuedouble;
    return 0;
}

/* 1 if the fast path gives number text t exactly the double strtod gives;
 * else 0, after printing both values if `say` */
static int same_as_strtod(const char *t, int say)
{
    double f = NAN, s = strtod(t, NULL);
    if (fast_number(t, &f) == 0 && memcmp(&f, &s, sizeof f) == 0)
        return 1;
    if (say)
        fprintf(stderr, "number %s: fast path %.17g, strtod %.17g\n", t, f, s);
    return 0;
}

/* Each body of bodies[0..n) parses to the same result with the fast path
 * on and off. */
static void expect_agree(const char *const *bodies, size_t n, enum dd_body_format fmt)
{
    for (size_t i = 0; i < n; i++) {
        int agree = parse_both_agree(bodies[i], strlen(bodies[i]), fmt);
        if (!agree)
            fprintf(stderr, "%s body %zu differs between the paths: %s\n",
                    fmt == DD_BODY_NDJSON ? "NDJSON" : "JSON", i, bodies[i]);
        CHECK_EQ_INT(agree, 1);
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

TEST(numbers_fixed)
{
    const char *numbers[] = {
        "0",
        "-0",
        "1",
        "-1",
        "0.1",
        "0.30000000000000004",
        "1e22",
        "1e23",
        "9007199254740993",
        "123456789012345678",
        "1234567890123456789012",
        "0.000001234",
        "1.5e-7",
        "-12.5e+3",
        "1E5",
        "2.2250738585072014e-308",
        "5e-324",
        "1.7976931348623157e308",
        "1e400",
        "1e-400",
        "0.1234567890123456789",
        "3.141592653589793",
        "0.812345",
        "1.0",
        "100",
        "4.35",
        "0.7",
    };
    for (size_t i = 0; i < COUNT(numbers); i++)
        CHECK_EQ_INT(same_as_strtod(numbers[i], 1), 1);
}

/* random decimals: mantissas of 1..20 digits, point anywhere, exponents -30..30 */
TEST(numbers_random)
{
    uint64_t rng = 88172645463325252ull;
    int bad = 0;
    for (int k = 0; k < 200000; k++) {
        char t[64];
        int digits = 1 + (int)(xorshift64(&rng) % 20),
            point = (int)(xorshift64(&rng) % (unsigned)(digits + 1));
        size_t n = 0;
        if (xorshift64(&rng) & 1)
            t[n++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                t[n++] = '.';
            t[n++] = (char)('0' + (d == 0 ? 1 + xorshift64(&rng) % 9 : xorshift64(&rng) % 10));
        }
        if (xorshift64(&rng) % 3 == 0)
            n += (size_t)snprintf(t + n, sizeof t - n, "e%d", (int)(xorshift64(&rng) % 61) - 30);
        t[n] = '\0';
        if (!same_as_strtod(t, bad < 5))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* What the fast path takes (1) and what it leaves to the checked cJSON path
 * (0, a NULL root): the subset of JSON it parses, then the string rules
 * (ingest/utf8.h): valid UTF-8 strings are taken, the rest left. */
static const struct {
    const char *text;
    int taken;
} fast_cases[] = {
    {"{\"confidence\":0.5}", 1},
    {" [1, -2.5e3, true, false, null, \"x\", {}] ", 1},
    {"{\"a\":{\"b\":[[]]}}", 1},
    {"{\"a\":\"\\n\"}", 0},
    {"{\"a\":01}", 0},
    {"{\"a\":1.}", 0},
    {"{\"a\":.5}", 0},
    {"{\"a\":+1}", 0},
    {"{\"a\":1} x", 0},
    {"\"s\"", 0},
    {"5", 0},
    {"", 0},
    {"{\"a\":\"\x01\"}", 0},
    {"{\"a\":[1,]}", 0},
    {"{\"a\" 1}", 0},
    {"{\"a\":tru}", 0},
    {"[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", 0},
    {"{\"a\":1e}", 0},
    /* strings */
    {"{\"a\":\"caf\xc3\xa9\"}", 1},
    {"[\"\xf0\x9f\x98\x80 0123456789\"]", 1},
    {"{\"\xe6\x97\xa5\xe6\x9c\xac\":\"\xf4\x8f\xbf\xbf\"}", 1},
    {"{\"a\":\"\xff\"}", 0},
    {"{\"a\":\"\xed\xa0\x80\"}", 0},
    {"{\"\xc0\xaf\":1}", 0},
    {"[\"abcdefgh\xc3\"]", 0},
    {"[\"0123456789abcdef\xf4\x90\x80\x80\"]", 0},
    {"{\"a\":1}\xff", 0},
    {"[\xc3\xa9]", 0},
};

TEST(taken_or_left)
{
    for (size_t i = 0; i < COUNT(fast_cases); i++) {
        const char *t = fast_cases[i].text;
        dd_arena_reset(&scratch);
        int got = dd_jsonfast_parse(t, strlen(t), &scratch) != NULL;
        if (got != fast_cases[i].taken)
            fprintf(stderr, "fast path %s %s\n", got ? "took" : "left", t);
        CHECK_EQ_INT(got, fast_cases[i].taken);
    }
}

/* whole bodies: identical results either way, accepted or not */
TEST(bodies_agree)
{
    const char *json[] = {
        "{\"events\":[{\"id\":\"a\",\"version\":\"v1\",\"ts\":1795341600000,\"prediction\":\"cat\","
        "\"confidence\":0.93,\"latency_ms\":12.5,\"label\":7,\"probabilities\":[0.1,0.9],"
        "\"features\":{\"age\":41,\"country\":\"de\",\"score\":-0.0}}]}",
        "{\"events\":[{\"embedding\":[0.1,-2e-3,3.5e2,1e39]}]}",
        "{\"events\":[{\"embedding\":[0.1,-2e-3,3.5e2]},{\"embedding\":[1,2]}]}",
        "{\"events\":[{\"embedding_b64\":\"AACAPwAAAEA=\"}]}",
        "{\"events\":[{\"prediction\":\"caf\xc3\xa9\",\"ts\":\"2026-11-22T10:00:00Z\"}]}",
        "{\"events\":[{\"prediction\":\"a\\\"b\"}]}",
        "{\"events\":[{\"confidence\":1.5}]}",
        "{\"events\":[{\"confidence\":0.5,\"confidence\":0.5}]}",
        "{\"events\":[{\"colour\":1}]}",
        "{\"events\":[{\"confidence\":true}]}",
        "{\"events\":[{\"features\":{}}]}",
        "{\"events\":[]}",
        "{\"events\":[{\"confidence\":0.5}]} trailing",
        "{\"events\":{}}",
        "{\"evts\":[]}",
        "not json",
    };
    expect_agree(json, COUNT(json), DD_BODY_JSON);
    const char *ndjson[] = {
        "{\"confidence\":0.5}\n{\"prediction\":\"dog\"}\n\n{\"features\":{\"x\":1e-5}}\n",
        "{\"confidence\":0.5}\r\n  {\"prediction\":\"d\\u00f6g\"}  \n",
        "{\"confidence\":0.5}\n{\"confidence\":2}\n",
        "{\"confidence\":0.5}\n{oops}\n",
        "{\"embedding\":[1,2]}\n{\"embedding\":[1,2,3]}\n",
        "[1]\n",
    };
    expect_agree(ndjson, COUNT(ndjson), DD_BODY_NDJSON);
}

/* both paths give the same answer for every bad form in every place */
TEST(string_forms_everywhere)
{
    static const struct {
        const char *s;
        size_t n;
    } forms[] = {
        {"\xff\xfe", 2},    {"\xc0\xaf", 2},    {"\xed\xa0\x80", 3},     {"\xf4\x90\x80\x80", 4},
        {"ab\xc3", 3},      {"a\\u0000b", 8},   {"\\ud800", 6},          {"a\0b", 3},
        {"a\\\\u0000b", 9}, {"caf\xc3\xa9", 5}, {"\xf0\x9f\x98\x80", 4}, {"\\ud83d\\ude00", 12}};
    const char *places[] = {
        "{\"prediction\":1,\"id\":\"@\"}",
        "{\"prediction\":1,\"version\":\"@\"}",
        "{\"prediction\":\"@\"}",
        "{\"prediction\":1,\"label\":\"@\"}",
        "{\"features\":{\"country\":\"@\"}}",
        "{\"features\":{\"co@\":1}}",
        "{\"prediction\":1,\"x@\":1}",
        "{\"embedding_b64\":\"@\"}",
        "{\"prediction\":1}@",
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++)
        for (size_t k = 0; k < sizeof places / sizeof places[0]; k++)
            for (int nd = 0; nd < 2; nd++) {
                char body[256];
                const char *at = strchr(places[k], '@');
                size_t n = (size_t)snprintf(body, sizeof body, "%s%.*s",
                                            nd ? "{\"prediction\":2}\n"
                                               : "{\"events\":[{\"prediction\":2},",
                                            (int)(at - places[k]), places[k]);
                memcpy(body + n, forms[f].s, forms[f].n);
                n += forms[f].n;
                n += (size_t)snprintf(body + n, sizeof body - n, "%s%s", at + 1, nd ? "\n" : "]}");
                int agree = parse_both_agree(body, n, nd ? DD_BODY_NDJSON : DD_BODY_JSON);
                if (!agree)
                    fprintf(stderr, "form %zu at place %zu (%s) differs between the paths\n", f, k,
                            nd ? "NDJSON" : "JSON");
                CHECK_EQ_INT(agree, 1);
            }
}

/* the fuzz corpus, as the fuzz target reads it: first byte picks the format */
TEST(fuzz_corpus)
{
    DIR *dir = opendir("../../fuzz/corpus");
    CHECK(dir != NULL);
    int files = 0;
    for (struct dirent *de; dir && (de = readdir(dir)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        char path[512], buf[65536];
        snprintf(path, sizeof path, "../../fuzz/corpus/%s", de->d_name);
        FILE *fp = fopen(path, "rb");
        CHECK(fp != NULL);
        if (!fp)
            continue;
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        files++;
        int agree = n == 0 ||
                    parse_both_agree(buf + 1, n - 1, (buf[0] & 1) ? DD_BODY_NDJSON : DD_BODY_JSON);
        if (!agree)
            fprintf(stderr, "corpus file %s differs between the paths\n", de->d_name);
        CHECK_EQ_INT(agree, 1);
    }
    if (dir)
        closedir(dir);
    CHECK_CMP_INT(files, >=, 6);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    dd_arena_init(&scratch);
    RUN(numbers_fixed);
    RUN(numbers_random);
    RUN(taken_or_left);
    RUN(bodies_agree);
    RUN(string_forms_everywhere);
    RUN(fuzz_corpus);
    dd_arena_release(&scratch);
    CHECK_DONE();
}
