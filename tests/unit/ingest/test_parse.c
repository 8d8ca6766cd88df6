/* Tests ingest/parse.c: every validation rule of docs/api.md's EVENT table,
 * error paths and indexes, NDJSON, base64 embeddings, labels, flat config. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/base64.h"
#include "base/err.h"
#include "ingest/parse.h"
#include "check.h"

static struct dd_parse_error err;

static int parse(const char *body, enum dd_body_format fmt, struct dd_batch *b)
{
    memset(&err, 0, sizeof err);
    return dd_parse_events(body, strlen(body), fmt, b, &err);
}

/* Parses a one-event JSON batch {"events":[EV]} and expects rejection whose
 * message starts with `path`. */
static void expect_bad_event(const char *ev, const char *code, const char *path, int line)
{
    char body[4096];
    snprintf(body, sizeof body, "{\"events\":[%s]}", ev);
    struct dd_batch b;
    int rc = parse(body, DD_BODY_JSON, &b);
    check_count++;
    if (rc == 0 || strcmp(err.code, code) != 0 || strncmp(err.message, path, strlen(path)) != 0) {
        fprintf(stderr, "line %d: %s -> rc=%d code=%s message=%s (wanted %s %s)\n", line, ev, rc,
                rc ? err.code : "-", rc ? err.message : "-", code, path);
        check_failures++;
    }
    dd_batch_release(&b);
}
#define BAD(ev, path) expect_bad_event(ev, "invalid_event", path, __LINE__)

/* ---- the string rules (ingest/utf8.h) in every kind of body ---- */

/* A bad string: its bytes, where in them the problem is, and the message
 * after the path (%zu: the problem's offset in the body). */
struct bad_form {
    const char *bytes;
    size_t len, at;
    const char *what;
};
static const struct bad_form bad_forms[] = {
    {"\xff\xfe", 2, 0, "is not valid UTF-8 (byte 0xff at offset %zu of the body)"},
    {"\xc0\xaf", 2, 0, "is not valid UTF-8 (byte 0xc0 at offset %zu of the body)"},
    {"\xed\xa0\x80", 3, 0, "is not valid UTF-8 (byte 0xed at offset %zu of the body)"},
    {"\xf4\x90\x80\x80", 4, 0, "is not valid UTF-8 (byte 0xf4 at offset %zu of the body)"},
    {"ab\xc3", 3, 2,
     "is not valid UTF-8 (byte 0xc3 at offset %zu of the body)"}, /* cut at the end */
    {"a\\u0000b", 8, 1, "contains U+0000 (\\u0000), which is not allowed"},
    {"\\ud800", 6, 0,
     "contains a lone UTF-16 surrogate (\\ud800 at offset %zu of the body), which is not allowed"},
    {"x\\udc00", 7, 1,
     "contains a lone UTF-16 surrogate (\\udc00 at offset %zu of the body), which is not allowed"},
    {"a\0b", 3, 1, "contains U+0000 (byte 0x00 at offset %zu of the body), which is not allowed"},
};

/* Where a bad string goes: a template with '@' for it, the path and index
 * the error must name, and whether '@' is in a member name. */
struct site {
    const char *tmpl;
    const char *path;
    long index;
    int name;
};

static int run_events(const char *s, size_t n, enum dd_body_format fmt)
{
    struct dd_batch b;
    int rc = dd_parse_events(s, n, fmt, &b, &err);
    dd_batch_release(&b);
    return rc;
}
static int run_json(const char *s, size_t n)
{
    return run_events(s, n, DD_BODY_JSON);
}
static int run_ndjson(const char *s, size_t n)
{
    return run_events(s, n, DD_BODY_NDJSON);
}
static int run_labels(const char *s, size_t n)
{
    struct dd_labels l;
    int rc = dd_parse_labels(s, n, &l, &err);
    if (rc == 0)
        dd_labels_release(&l);
    return rc;
}
static int run_settings(const char *s, size_t n)
{
    static struct dd_settings_input in;
    return dd_parse_settings(s, n, &in, &err);
}
static int run_range(const char *s, size_t n)
{
    int64_t a, b;
    return dd_parse_time_range(s, n, &a, &b, &err);
}
static int flat_member(const char *k, const char *v, void *ctx)
{
    (void)k, (void)v, (void)ctx;
    return 0;
}
static int run_flat(const char *s, size_t n)
{
    return dd_parse_flat_object(s, n, flat_member, NULL, &err);
}

/* Every bad form at every site: refused with this code, path, index and
 * message. */
static void bad_strings(const char *kind, int (*run)(const char *, size_t), const char *code,
                        const struct site *sites, size_t n_sites)
{
    for (size_t i = 0; i < n_sites; i++) {
        for (size_t f = 0; f < sizeof bad_forms / sizeof bad_forms[0]; f++) {
            const struct bad_form *bf = &bad_forms[f];
            char body[512], what[200], want[400];
            const char *at = strchr(sites[i].tmpl, '@');
            size_t pre = (size_t)(at - sites[i].tmpl), post = strlen(at + 1);
            memcpy(body, sites[i].tmpl, pre);
            memcpy(body + pre, bf->bytes, bf->len);
            memcpy(body + pre + bf->len, at + 1, post);
            size_t n = pre + bf->len + post;
            snprintf(what, sizeof what, bf->what, pre + bf->at);
            snprintf(want, sizeof want, "%s%s%s%s", sites[i].path, sites[i].path[0] ? ": " : "",
                     sites[i].name ? "a member name " : "", what);
            memset(&err, 0, sizeof err);
            int rc = run(body, n);
            check_count++;
            if (rc != DD_EINVAL || !err.code || strcmp(err.code, code) != 0 ||
                err.index != sites[i].index || strcmp(err.message, want) != 0) {
                fprintf(stderr,
                        "%s site %zu (%s) form %zu: rc=%d code=%s index=%ld message=%s\n"
                        "  wanted %s %ld %s\n",
                        kind, i, sites[i].tmpl, f, rc, err.code ? err.code : "-", err.index,
                        err.message, code, sites[i].index, want);
                check_failures++;
            }
        }
    }
}

/* Event fields: the same sites in a JSON and an NDJSON body, as event 2. */
TEST(bad_strings_in_events)
{
    static const struct {
        const char *ev, *field;
        int name;
    } fields[] = {
        {"{\"prediction\":1,\"id\":\"@\"}", ".id", 0},
        {"{\"prediction\":1,\"version\":\"@\"}", ".version", 0},
        {"{\"prediction\":\"@\"}", ".prediction", 0},
        {"{\"prediction\":1,\"label\":\"@\"}", ".label", 0},
        {"{\"features\":{\"country\":\"@\"}}", ".features.country", 0},
        {"{\"features\":{\"age\":1,\"co@\":1}}", ".features", 1},
        {"{\"prediction\":1,\"x@\":1}", "", 1},
        {"{\"prediction\":1,\"@\":1}", "", 1},
        {"{\"embedding_b64\":\"@\"}", ".embedding_b64", 0},
        {"{\"prediction\":1,\"colour\":[\"red\",\"@\"]}", ".colour[1]", 0},
    };
    enum { N = sizeof fields / sizeof fields[0] };
    static char tmpl[2][N][256], path[N][64];
    struct site json[N], ndjson[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(tmpl[0][i], sizeof tmpl[0][i],
                 "{\"events\":[{\"prediction\":1},{\"prediction\":2},%s]}", fields[i].ev);
        snprintf(tmpl[1][i], sizeof tmpl[1][i], "{\"prediction\":1}\n\n{\"prediction\":2}\r\n%s\n",
                 fields[i].ev);
        snprintf(path[i], sizeof path[i], "events[2]%s", fields[i].field);
        json[i] = (struct site){tmpl[0][i], path[i], 2, fields[i].name};
        ndjson[i] = (struct site){tmpl[1][i], path[i], 2, fields[i].name};
    }
    bad_strings("json", run_json, "invalid_event", json, N);
    bad_strings("ndjson", run_ndjson, "invalid_event", ndjson, N);
}

/* Every other string of a body (the events wrapper's own, labels, settings,
 * a time range, the flat config): its kind of body, its parser and its site;
 * each refused as invalid_body. */
static const struct body_site {
    const char *kind;
    int (*run)(const char *, size_t);
    struct site site;
} body_sites[] = {
    {"wrapper", run_json, {"{\"events\":[],\"@\":1}", "body", -1, 1}},
    {"wrapper", run_json, {"{\"events\":\"@\"}", "events", -1, 0}},
    {"wrapper", run_json, {"{\"events\":[{\"prediction\":1}],\"x\":[\"@\"]}", "x[0]", -1, 0}},
    {"labels",
     run_labels,
     {"{\"labels\":[{\"id\":\"a\",\"label\":\"b\"},{\"id\":\"@\",\"label\":\"b\"}]}",
      "labels[1].id", 1, 0}},
    {"labels",
     run_labels,
     {"{\"labels\":[{\"id\":\"a\",\"label\":\"b\"},{\"id\":\"a\",\"label\":\"@\"}]}",
      "labels[1].label", 1, 0}},
    {"labels",
     run_labels,
     {"{\"labels\":[{\"id\":\"a\",\"label\":\"b\"},{\"id\":\"a\",\"l@\":\"b\"}]}", "labels[1]", 1,
      1}},
    {"labels", run_labels, {"{\"labels@\":[]}", "body", -1, 1}},
    {"settings", run_settings, {"{\"window\":\"@\"}", "window", -1, 0}},
    {"settings", run_settings, {"{\"alpha\":0.1,\"@\":1}", "body", -1, 1}},
    {"settings", run_settings, {"{\"methods\":{\"feature:@\":[\"ks\"]}}", "methods", -1, 1}},
    {"settings",
     run_settings,
     {"{\"methods\":{\"confidence\":[\"ks\",\"@\"]}}", "methods.confidence[1]", -1, 0}},
    {"settings", run_settings, {"{\"thresholds\":{\"p@\":0.2}}", "thresholds", -1, 1}},
    {"range", run_range, {"{\"from\":\"@\",\"to\":1}", "from", -1, 0}},
    {"range", run_range, {"{\"from\":1,\"to\":2,\"@\":1}", "body", -1, 1}},
    {"flat", run_flat, {"{\"db\":\"@\"}", "db", -1, 0}},
    {"flat", run_flat, {"{\"@\":1}", "", -1, 1}},
    {"flat", run_flat, {"{\"models\":{\"m\":{\"window\":\"@\"}}}", "models.m.window", -1, 0}},
};

TEST(bad_strings_in_other_bodies)
{
    for (size_t i = 0; i < sizeof body_sites / sizeof body_sites[0]; i++)
        bad_strings(body_sites[i].kind, body_sites[i].run, "invalid_body", &body_sites[i].site, 1);
}

/* Valid text is kept byte for byte, whichever way it was written. */
TEST(good_strings)
{
    struct dd_batch b;
    const char *emoji = "\xf0\x9f\x98\x80";
    CHECK_EQ_INT(
        parse("{\"events\":[{\"id\":\"caf\xc3\xa9\",\"prediction\":\"\xe6\x97\xa5\xe6\x9c\xac\","
              "\"label\":\"\xf0\x9f\x98\x80\",\"features\":{\"country\":\"\\ud83d\\ude00\"}},"
              "{\"prediction\":\"\\uD83D\\uDE00\",\"label\":\"\\u00e9\",\"id\":\"a\\\\u0000b\"},"
              "{\"prediction\":\"x\\u0001\\\\\\\"\\/\\u007f\\u0080\\uffff\"}]}",
              DD_BODY_JSON, &b),
        0);
    CHECK_EQ_INT(b.n, 3);
    if (b.n == 3) {
        CHECK_EQ_STR(b.events[0].id, "caf\xc3\xa9");
        CHECK_EQ_STR(b.events[0].prediction, "\xe6\x97\xa5\xe6\x9c\xac");
        CHECK_EQ_STR(b.events[0].label, emoji);
        size_t pos = 0;
        struct dd_feature f;
        CHECK_EQ_INT(dd_features_next(b.events[0].features, b.events[0].features_len, &pos, &f), 1);
        CHECK(f.is_string);
        CHECK_EQ_INT(f.str_len, 4);
        CHECK_EQ_MEM(f.str, emoji, f.str_len < 4 ? f.str_len : 4);
        CHECK_EQ_STR(b.events[1].prediction, emoji);
        CHECK_EQ_STR(b.events[1].label, "\xc3\xa9");
        CHECK_EQ_STR(b.events[1].id, "a\\u0000b"); /* an escaped backslash, then "u0000" */
        CHECK_EQ_STR(b.events[2].prediction, "x\x01\\\"/\x7f\xc2\x80\xef\xbf\xbf");
    }
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"prediction\":\"\xf0\x9f\x98\x80\",\"id\":\"\\\\u0000\"}\n"
                       "{\"features\":{\"city\":\"K\xc3\xb6ln\"},\"label\":\"\\ud83d\\ude00\"}\n",
                       DD_BODY_NDJSON, &b),
                 0);
    CHECK_EQ_INT(b.n, 2);
    if (b.n == 2) {
        CHECK_EQ_STR(b.events[0].prediction, emoji);
        CHECK_EQ_STR(b.events[0].id, "\\u0000");
        CHECK_EQ_STR(b.events[1].label, emoji);
    }
    dd_batch_release(&b);
    /* valid text that breaks a name rule still gets that rule's message */
    BAD("{\"prediction\":1,\"version\":\"v\xc3\xa9\"}", "events[0].version: must match");
    BAD("{\"features\":{\"\xc3\xa9\":1}}", "events[0].features: name must match");
    struct dd_labels l;
    const char *lb = "{\"labels\":[{\"id\":\"\\ud83d\\ude00\",\"label\":\"\xe6\x97\xa5\"}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), 0);
    CHECK_EQ_INT(l.n, 1);
    if (l.n == 1) {
        CHECK_EQ_STR(l.items[0].id, emoji);
        CHECK_EQ_STR(l.items[0].label, "\xe6\x97\xa5");
    }
    dd_labels_release(&l);
}

/* U+0000 and bad bytes: refused with the path of the first bad string */
TEST(bad_strings_refused)
{
    struct dd_batch b;
    /* the cases: each refused now, with its path */
    CHECK_EQ_INT(parse("{\"events\":[{\"id\":\"n\\u00001\",\"prediction\":1},"
                       "{\"id\":\"n\\u00002\",\"prediction\":1}]}",
                       DD_BODY_JSON, &b),
                 DD_EINVAL);
    CHECK_EQ_STR(err.message, "events[0].id: contains U+0000 (\\u0000), which is not allowed");
    CHECK_EQ_INT(err.index, 0);
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1},{\"prediction\":1},{\"prediction\":1},"
                       "{\"prediction\":\"a\\u0000b\"}]}",
                       DD_BODY_JSON, &b),
                 DD_EINVAL);
    CHECK_EQ_STR(err.message,
                 "events[3].prediction: contains U+0000 (\\u0000), which is not allowed");
    CHECK_EQ_INT(err.index, 3);
    CHECK_EQ_STR(err.code, "invalid_event");
    CHECK_EQ_INT(
        parse("{\"events\":[{\"prediction\":1,\"version\":\"v1\\u0000zz\"}]}", DD_BODY_JSON, &b),
        DD_EINVAL);
    CHECK_EQ_STR(err.message, "events[0].version: contains U+0000 (\\u0000), which is not allowed");
    CHECK_EQ_INT(
        parse("{\"events\":[{\"prediction\":1,\"confidence\\u0000x\":0.5}]}", DD_BODY_JSON, &b),
        DD_EINVAL);
    CHECK_EQ_STR(err.message,
                 "events[0]: a member name contains U+0000 (\\u0000), which is not allowed");
    /* bytes outside any string are not JSON, as before */
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1}\xff]}", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_INT(parse("{\"prediction\":1}\n{\"prediction\":1,\xff}\n", DD_BODY_NDJSON, &b),
                 DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_STR(err.message, "events[1] (line 2): not valid JSON");
    /* a 0x00 byte where cJSON would take it for white space, before a bad string */
    const char nul_space[] = "{\"prediction\":1}\n{\t\0\0\"prediction\":\"c\xc6\"}\n";
    memset(&err, 0, sizeof err);
    CHECK_EQ_INT(dd_parse_events(nul_space, sizeof nul_space - 1, DD_BODY_NDJSON, &b, &err),
                 DD_EINVAL);
    CHECK_EQ_STR(err.message, "events[1] (line 2): not valid JSON");
    CHECK_EQ_INT(dd_parse_events(nul_space + 17, sizeof nul_space - 18, DD_BODY_JSON, &b, &err),
                 DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    /* the first bad string of the body is the one named */
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":\"\\ud800\"},{\"prediction\":\"\xff\"}]}",
                       DD_BODY_JSON, &b),
                 DD_EINVAL);
    CHECK_EQ_INT(err.index, 0);
}

/* names "." and ".." are paths, not names */
TEST(dot_names)
{
    CHECK(!dd_name_valid(".", 1));
    CHECK(!dd_name_valid("..", 2));
    CHECK(dd_name_valid("...", 3));
    CHECK(dd_name_valid(".v1", 3));
    CHECK(dd_name_valid("v1..", 4));
    BAD("{\"prediction\":1,\"version\":\"..\"}", "events[0].version: must match");
    BAD("{\"prediction\":1,\"version\":\".\"}", "events[0].version: must match");
}

TEST(full_event)
{
    struct dd_batch b;
    CHECK_EQ_INT(parse("{\"events\":[{\"id\":\"e1\",\"ts\":\"2026-11-22T10:00:00Z\","
                       "\"version\":\"v3\",\"prediction\":\"cat\",\"confidence\":0.93,"
                       "\"probabilities\":[0.93,0.07],\"embedding\":[1,2.5,-3],"
                       "\"features\":{\"age\":41,\"country\":\"de\"},\"latency_ms\":12.5,"
                       "\"label\":7}]}",
                       DD_BODY_JSON, &b),
                 0);
    CHECK_EQ_INT(b.n, 1);
    const struct dd_event *e = &b.events[0];
    CHECK_EQ_STR(e->id, "e1");
    CHECK_EQ_STR(e->version, "v3");
    CHECK_EQ_STR(e->prediction, "cat");
    CHECK_EQ_STR(e->label, "7");
    CHECK_EQ_INT(e->ts_ms, 1795341600000LL);
    CHECK_CLOSE(e->confidence, 0.93, 0, 1e-12);
    CHECK_CLOSE(e->latency_ms, 12.5, 0, 0);
    CHECK_EQ_INT(e->n_probabilities, 2);
    CHECK_EQ_INT(e->dim, 3);
    CHECK_EQ_INT(b.dim, 3);
    CHECK_CLOSE(e->embedding[1], 2.5, 0, 0);
    size_t pos = 0;
    struct dd_feature f;
    CHECK_EQ_INT(dd_features_next(e->features, e->features_len, &pos, &f), 1);
    CHECK_EQ_INT(f.name_len, 3);
    CHECK_EQ_MEM(f.name, "age", f.name_len < 3 ? f.name_len : 3);
    CHECK_EQ_INT(f.is_string, 0);
    CHECK_EQ_DBL(f.num, 41);
    CHECK_EQ_INT(dd_features_next(e->features, e->features_len, &pos, &f), 1);
    CHECK(f.is_string);
    CHECK_EQ_INT(f.str_len, 2);
    CHECK_EQ_MEM(f.str, "de", f.str_len < 2 ? f.str_len : 2);
    CHECK_EQ_INT(dd_features_next(e->features, e->features_len, &pos, &f), 0);
    dd_batch_release(&b);
}

/* defaults: version "default", no ts, integer prediction as decimal */
TEST(defaults)
{
    struct dd_batch b;
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":42},{\"confidence\":0},{\"confidence\":1}]}",
                       DD_BODY_JSON, &b),
                 0);
    CHECK_EQ_STR(b.events[0].version, "default");
    CHECK_EQ_STR(b.events[0].prediction, "42");
    CHECK_EQ_INT(b.events[0].has & DD_HAS_TS, 0);
    CHECK_EQ_INT(b.n, 3);
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1,\"ts\":1795341600123}]}", DD_BODY_JSON, &b),
                 0);
    CHECK_EQ_INT(b.events[0].ts_ms, 1795341600123LL);
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"events\":[]}", DD_BODY_JSON, &b), 0);
    CHECK_EQ_INT(b.n, 0);
    dd_batch_release(&b);
}

TEST(base64_embeddings)
{
    struct dd_batch b;
    float v[4] = {0.5f, -1.0f, 3.25f, 1e-3f};
    char b64[64], body[256];
    dd_base64_encode((const uint8_t *)v, sizeof v, b64);
    snprintf(body, sizeof body, "{\"events\":[{\"embedding_b64\":\"%s\"}]}", b64);
    CHECK_EQ_INT(parse(body, DD_BODY_JSON, &b), 0);
    CHECK_EQ_INT(b.events[0].dim, 4);
    CHECK_EQ_MEM(b.events[0].embedding, v, sizeof v);
    dd_batch_release(&b);
    float nan4[1] = {NAN};
    dd_base64_encode((const uint8_t *)nan4, 4, b64);
    snprintf(body, sizeof body, "{\"embedding_b64\":\"%s\"}", b64);
    BAD(body, "events[0].embedding_b64[0]");
    BAD("{\"embedding_b64\":\"AAA=\"}", "events[0].embedding_b64"); /* 2 bytes */
    BAD("{\"embedding_b64\":\"!!!!\"}", "events[0].embedding_b64");
    BAD("{\"embedding_b64\":5}", "events[0].embedding_b64");
    BAD("{\"embedding\":[1],\"embedding_b64\":\"AACAPw==\"}", "events[0].embedding_b64");
}

/* every field's rules */
TEST(field_rules)
{
    BAD("{\"confidence\":1.5}", "events[0].confidence");
    BAD("{\"confidence\":-0.1}", "events[0].confidence");
    BAD("{\"confidence\":\"0.5\"}", "events[0].confidence");
    BAD("{\"prediction\":null}", "events[0].prediction");
    BAD("{\"prediction\":\"\"}", "events[0].prediction");
    BAD("{\"prediction\":[1]}", "events[0].prediction");
    BAD("{\"prediction\":true}", "events[0].prediction");
    BAD("{\"prediction\":1,\"label\":null}", "events[0].label");
    BAD("{\"prediction\":1,\"id\":\"\"}", "events[0].id");
    BAD("{\"prediction\":1,\"id\":7}", "events[0].id");
    BAD("{\"prediction\":1,\"version\":\"a b\"}", "events[0].version");
    BAD("{\"prediction\":1,\"version\":\"\"}", "events[0].version");
    BAD("{\"prediction\":1,\"ts\":\"yesterday\"}", "events[0].ts");
    BAD("{\"prediction\":1,\"ts\":-5}", "events[0].ts");
    BAD("{\"prediction\":1,\"ts\":1.5}", "events[0].ts");
    BAD("{\"prediction\":1,\"latency_ms\":-1}", "events[0].latency_ms");
    BAD("{\"prediction\":1,\"latency_ms\":\"fast\"}", "events[0].latency_ms");
    BAD("{\"prediction\":1,\"probabilities\":[0.5,1.5]}", "events[0].probabilities[1]");
    BAD("{\"prediction\":1,\"probabilities\":[]}", "events[0].probabilities");
    BAD("{\"prediction\":1,\"probabilities\":0.5}", "events[0].probabilities");
    BAD("{\"embedding\":[1,\"x\"]}", "events[0].embedding[1]");
    BAD("{\"embedding\":[1,1e300]}", "events[0].embedding[1]");
    BAD("{\"embedding\":[]}", "events[0].embedding");
    BAD("{\"features\":{}}", "events[0].features");
    BAD("{\"features\":{\"a b\":1}}", "events[0].features");
    BAD("{\"features\":{\"a\":[1]}}", "events[0].features.a");
    BAD("{\"features\":{\"a\":true}}", "events[0].features.a");
    BAD("{\"features\":{\"a\":1,\"a\":2}}", "events[0].features.a");
    BAD("{\"features\":[1]}", "events[0].features");
    BAD("{\"prediction\":1,\"colour\":\"red\"}", "events[0].colour: unknown field");
    BAD("{\"prediction\":1,\"prediction\":2}", "events[0].prediction: given twice");
    BAD("{\"latency_ms\":3,\"label\":\"x\"}", "events[0]: needs at least one");
    BAD("{}", "events[0]: needs at least one");
    BAD("7", "events[0]: must be an object");
    char longid[200], body[256];
    memset(longid, 'x', sizeof longid);
    snprintf(body, sizeof body, "{\"prediction\":1,\"id\":\"%.129s\"}", longid);
    BAD(body, "events[0].id");
}

/* the index of the bad event, and nothing returned */
TEST(bad_event_index)
{
    struct dd_batch b;
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1},{\"prediction\":1},{\"prediction\":1},"
                       "{\"confidence\":2},{\"prediction\":1}]}",
                       DD_BODY_JSON, &b),
                 DD_EINVAL);
    CHECK_EQ_INT(err.index, 3);
    CHECK_EQ_STR(err.message, "events[3].confidence: must be a number in [0,1]");
    CHECK_EQ_INT(b.n, 0);
    CHECK_EQ_PTR(b.events, NULL);
    dd_batch_release(&b);
}

TEST(body_errors)
{
    struct dd_batch b;
    CHECK_EQ_INT(parse("{\"events\":[", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_INT(parse("{\"events\":[{\"confidence\":NaN}]}", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_INT(parse("[1]", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_body");
    CHECK_EQ_INT(parse("{\"events\":{}}", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_body");
    CHECK_EQ_INT(parse("{\"evnts\":[]}", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_body");
    CHECK_EQ_INT(err.index, -1);
}

/* A body is one JSON value: cJSON alone stops after the first and ignores the
 * rest, so a second batch pasted after the first was acknowledged and never
 * stored.  Whitespace after the value is fine. */
TEST(one_value_a_body)
{
    struct dd_batch b;
    const char *two = "{\"events\":[{\"prediction\":1}]}{\"events\":[{\"prediction\":2}]}";
    CHECK_EQ_INT(parse(two, DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_STR(err.message, "body: not valid JSON (more after the first value, at byte 29)");
    CHECK_EQ_INT(parse("{\"events\":[]} x", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.message, "body: not valid JSON (more after the first value, at byte 14)");
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1}]} \r\n\t ", DD_BODY_JSON, &b), 0);
    CHECK_EQ_INT(b.n, 1);
    dd_batch_release(&b);
    /* NDJSON: two events on one line */
    CHECK_EQ_INT(
        parse("{\"prediction\":1}\n{\"prediction\":2} {\"prediction\":3}\n", DD_BODY_NDJSON, &b),
        DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_INT(err.index, 1);
    CHECK_EQ_STR(err.message,
                 "events[1] (line 2): not valid JSON (more after the first value, at byte 17)");
    /* settings and labels go through the same check */
    struct dd_settings_input set;
    CHECK_EQ_INT(dd_parse_settings("{\"alpha\":0.1} {}", 16, &set, &err), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_CONTAINS(err.message, "more after the first value, at byte 14");
    CHECK_EQ_INT(dd_parse_settings("{\"alpha\":0.1}\n", 14, &set, &err), 0);
    /* the function itself: where the rest begins, len when the text is not JSON */
    size_t tail = 0;
    struct cJSON *t = dd_json_parse_whole("[1]  [2]", 8, &tail);
    CHECK(t == NULL);
    CHECK_EQ_INT(tail, 5);
    CHECK(dd_json_parse_whole("nope", 4, &tail) == NULL);
    CHECK_EQ_INT(tail, 4);
}

/* An object member refused after a scalar was read is still a refusal (a
 * scalar's reader leaves 0 in the result, which the object parsers must not
 * return as success: found by fuzz/settings_smoke). */
TEST(settings_refused_after_scalars)
{
    static const char *const bodies[] = {
        "{\"reference_size\":1000,\"methods\":{\"x\":[\"a-name-of-more-than-24-bytes\"]}}",
        "{\"min_samples\":30,\"methods\":{\"x\":[1]}}",
        "{\"reference_size\":1000,\"thresholds\":{\"psi\":-1}}",
        "{\"min_samples\":30,\"types\":{\"x\":\"ordinal\"}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct dd_settings_input set;
        memset(&err, 0, sizeof err);
        int rc = dd_parse_settings(bodies[i], strlen(bodies[i]), &set, &err);
        if (rc != DD_EINVAL)
            fprintf(stderr, "settings_refused_after_scalars: %s\n", bodies[i]);
        CHECK_EQ_INT(rc, DD_EINVAL);
        CHECK_EQ_STR(err.code, "invalid_body");
    }
}

/* dimension conflict inside one batch: 409 with the index */
TEST(dimension_conflict)
{
    struct dd_batch b;
    CHECK_EQ_INT(
        parse("{\"events\":[{\"embedding\":[1,2]},{\"prediction\":1},{\"embedding\":[1,2,3]}]}",
              DD_BODY_JSON, &b),
        DD_ECONFLICT);
    CHECK_EQ_STR(err.code, "conflict");
    CHECK_EQ_INT(err.index, 2);
}

/* NDJSON: blank lines and CRLF allowed; index counts events */
TEST(ndjson)
{
    struct dd_batch b;
    CHECK_EQ_INT(parse("{\"prediction\":1}\r\n\n  \n{\"prediction\":\"b\",\"version\":\"v2\"}\n",
                       DD_BODY_NDJSON, &b),
                 0);
    CHECK_EQ_INT(b.n, 2);
    CHECK_EQ_STR(b.events[1].version, "v2");
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"prediction\":1}\n\n{\"confidence\":3}\n", DD_BODY_NDJSON, &b),
                 DD_EINVAL);
    CHECK_EQ_INT(err.index, 1);
    CHECK_EQ_STR(err.message, "events[1].confidence: must be a number in [0,1]");
    CHECK_EQ_INT(parse("{\"prediction\":1}\n{oops\n", DD_BODY_NDJSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_INT(err.index, 1);
    CHECK_EQ_INT(parse("", DD_BODY_NDJSON, &b), 0);
    CHECK_EQ_INT(b.n, 0);
    dd_batch_release(&b);
}

TEST(media_types)
{
    enum dd_body_format fmt = DD_BODY_NDJSON;
    CHECK_EQ_INT(dd_parse_media_type("application/json; charset=utf-8", &fmt), 0);
    CHECK_EQ_INT(fmt, DD_BODY_JSON);
    CHECK_EQ_INT(dd_parse_media_type("application/x-ndjson", &fmt), 0);
    CHECK_EQ_INT(fmt, DD_BODY_NDJSON);
    CHECK_EQ_INT(dd_parse_media_type("text/plain", &fmt), DD_EINVAL);
    CHECK_EQ_INT(dd_parse_media_type(NULL, &fmt), DD_EINVAL);
}

TEST(labels)
{
    struct dd_labels l;
    const char *lb =
        "{\"labels\":[{\"id\":\"e-17\",\"label\":\"cat\"},{\"id\":\"e-18\",\"label\":3}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), 0);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.items[1].label, "3");
    dd_labels_release(&l);
    lb = "{\"labels\":[{\"id\":\"e-17\"}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), DD_EINVAL);
    CHECK_EQ_INT(err.index, 0);
    lb = "{\"labels\":[{\"id\":\"a\",\"label\":true}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message, "labels[0].label: must be a string or a number");
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(full_event);
    RUN(defaults);
    RUN(base64_embeddings);
    RUN(field_rules);
    RUN(bad_event_index);
    RUN(body_errors);
    RUN(one_value_a_body);
    RUN(settings_refused_after_scalars);
    RUN(dimension_conflict);
    RUN(ndjson);
    RUN(media_types);
    RUN(labels);
    RUN(bad_strings_in_events);
    RUN(bad_strings_in_other_bodies);
    RUN(good_strings);
    RUN(bad_strings_refused);
    RUN(dot_names);
    CHECK_DONE();
}
