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

static int same_as_strtod(const char *t)
{
    double f, s = strtod(t, NULL);
    return fast_number(t, &f) == 0 && memcmp(&f, &s, sizeof f) == 0;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void)
{
    dd_arena_init(&scratch);
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
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (!same_as_strtod(numbers[i])) {
            fprintf(stderr, "number %s differs from strtod\n", numbers[i]);
            CHECK(0);
        }
    /* random decimals: mantissas of 1..20 digits, point anywhere, exponents -30..30 */
    int bad = 0;
    for (int k = 0; k < 200000; k++) {
        char t[64];
        int digits = 1 + (int)(next() % 20), point = (int)(next() % (unsigned)(digits + 1));
        size_t n = 0;
        if (next() & 1)
            t[n++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                t[n++] = '.';
            t[n++] = (char)('0' + (d == 0 ? 1 + next() % 9 : next() % 10));
        }
        if (next() % 3 == 0)
            n += (size_t)snprintf(t + n, sizeof t - n, "e%d", (int)(next() % 61) - 30);
        t[n] = '\0';
        if (!same_as_strtod(t) && bad++ < 5)
            fprintf(stderr, "random number %s differs from strtod\n", t);
    }
    CHECK_EQ_INT(bad, 0);

    /* the subset is taken; the rest falls back (NULL) */
    const char *taken[] = {"{\"confidence\":0.5}", " [1, -2.5e3, true, false, null, \"x\", {}] ",
                           "{\"a\":{\"b\":[[]]}}"};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        dd_arena_reset(&scratch);
        CHECK(dd_jsonfast_parse(taken[i], strlen(taken[i]), &scratch) != NULL);
    }
    const char *fallback[] = {"{\"a\":\"\\n\"}",
                              "{\"a\":01}",
                              "{\"a\":1.}",
                              "{\"a\":.5}",
                              "{\"a\":+1}",
                              "{\"a\":1} x",
                              "\"s\"",
                              "5",
                              "",
                              "{\"a\":\"\x01\"}",
                              "{\"a\":[1,]}",
                              "{\"a\" 1}",
                              "{\"a\":tru}",
                              "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]",
                              "{\"a\":1e}"};
    for (size_t i = 0; i < sizeof fallback / sizeof fallback[0]; i++) {
        dd_arena_reset(&scratch);
        if (dd_jsonfast_parse(fallback[i], strlen(fallback[i]), &scratch) != NULL) {
            fprintf(stderr, "fast path took %s\n", fallback[i]);
            CHECK(0);
        }
    }

    /* whole bodies: identical results either way, accepted or not */
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
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++)
        if (!parse_both_agree(json[i], strlen(json[i]), DD_BODY_JSON)) {
            fprintf(stderr, "JSON body %zu differs between the paths\n", i);
            CHECK(0);
        }
    const char *ndjson[] = {
        "{\"confidence\":0.5}\n{\"prediction\":\"dog\"}\n\n{\"features\":{\"x\":1e-5}}\n",
        "{\"confidence\":0.5}\r\n  {\"prediction\":\"d\\u00f6g\"}  \n",
        "{\"confidence\":0.5}\n{\"confidence\":2}\n",
        "{\"confidence\":0.5}\n{oops}\n",
        "{\"embedding\":[1,2]}\n{\"embedding\":[1,2,3]}\n",
        "[1]\n",
    };
    for (size_t i = 0; i < sizeof ndjson / sizeof ndjson[0]; i++)
        if (!parse_both_agree(ndjson[i], strlen(ndjson[i]), DD_BODY_NDJSON)) {
            fprintf(stderr, "NDJSON body %zu differs between the paths\n", i);
            CHECK(0);
        }
    /* the string rules (ingest/utf8.h): the fast path takes valid UTF-8
     * strings and leaves the rest to the checked cJSON path; both paths
     * give the same answer for every bad form in every place */
    const char *taken_text[] = {"{\"a\":\"caf\xc3\xa9\"}", "[\"\xf0\x9f\x98\x80 0123456789\"]",
                                "{\"\xe6\x97\xa5\xe6\x9c\xac\":\"\xf4\x8f\xbf\xbf\"}"};
    for (size_t i = 0; i < sizeof taken_text / sizeof taken_text[0]; i++) {
        dd_arena_reset(&scratch);
        CHECK(dd_jsonfast_parse(taken_text[i], strlen(taken_text[i]), &scratch) != NULL);
    }
    const char *refused_text[] = {"{\"a\":\"\xff\"}",
                                  "{\"a\":\"\xed\xa0\x80\"}",
                                  "{\"\xc0\xaf\":1}",
                                  "[\"abcdefgh\xc3\"]",
                                  "[\"0123456789abcdef\xf4\x90\x80\x80\"]",
                                  "{\"a\":1}\xff",
                                  "[\xc3\xa9]"};
    for (size_t i = 0; i < sizeof refused_text / sizeof refused_text[0]; i++) {
        dd_arena_reset(&scratch);
        if (dd_jsonfast_parse(refused_text[i], strlen(refused_text[i]), &scratch) != NULL) {
            fprintf(stderr, "fast path took %s\n", refused_text[i]);
            CHECK(0);
        }
    }
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
                if (!parse_both_agree(body, n, nd ? DD_BODY_NDJSON : DD_BODY_JSON)) {
                    fprintf(stderr, "form %zu at place %zu (%s) differs between the paths\n", f, k,
                            nd ? "NDJSON" : "JSON");
                    CHECK(0);
                }
            }

    /* the fuzz corpus, as the fuzz target reads it: first byte picks the format */
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
        if (n > 0 &&
            !parse_both_agree(buf + 1, n - 1, (buf[0] & 1) ? DD_BODY_NDJSON : DD_BODY_JSON)) {
            fprintf(stderr, "corpus file %s differs between the paths\n", de->d_name);
            CHECK(0);
        }
    }
    if (dir)
        closedir(dir);
    CHECK(files >= 6);
    dd_arena_release(&scratch);
    CHECK_DONE();
}
