/* Tests ingest/parse.c: every validation rule of API.md's EVENT table,
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
        fprintf(stderr, "line %d: %s -> rc=%d code=%s message=%s (wanted %s %s)\n", line, ev,
                rc, rc ? err.code : "-", rc ? err.message : "-", code, path);
        check_failures++;
    }
    dd_batch_release(&b);
}
#define BAD(ev, path) expect_bad_event(ev, "invalid_event", path, __LINE__)

int main(void)
{
    struct dd_batch b;

    /* a full event */
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
    CHECK(f.name_len == 3 && !memcmp(f.name, "age", 3) && !f.is_string && f.num == 41);
    CHECK_EQ_INT(dd_features_next(e->features, e->features_len, &pos, &f), 1);
    CHECK(f.is_string && f.str_len == 2 && !memcmp(f.str, "de", 2));
    CHECK_EQ_INT(dd_features_next(e->features, e->features_len, &pos, &f), 0);
    dd_batch_release(&b);

    /* defaults: version "default", no ts, integer prediction as decimal */
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":42},{\"confidence\":0},{\"confidence\":1}]}",
                       DD_BODY_JSON, &b), 0);
    CHECK_EQ_STR(b.events[0].version, "default");
    CHECK_EQ_STR(b.events[0].prediction, "42");
    CHECK(!(b.events[0].has & DD_HAS_TS));
    CHECK_EQ_INT(b.n, 3);
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1,\"ts\":1795341600123}]}", DD_BODY_JSON, &b), 0);
    CHECK_EQ_INT(b.events[0].ts_ms, 1795341600123LL);
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"events\":[]}", DD_BODY_JSON, &b), 0);
    CHECK_EQ_INT(b.n, 0);
    dd_batch_release(&b);

    /* base64 embeddings */
    float v[4] = {0.5f, -1.0f, 3.25f, 1e-3f};
    char b64[64], body[256];
    dd_base64_encode((const uint8_t *)v, sizeof v, b64);
    snprintf(body, sizeof body, "{\"events\":[{\"embedding_b64\":\"%s\"}]}", b64);
    CHECK_EQ_INT(parse(body, DD_BODY_JSON, &b), 0);
    CHECK_EQ_INT(b.events[0].dim, 4);
    CHECK(memcmp(b.events[0].embedding, v, sizeof v) == 0);
    dd_batch_release(&b);
    float nan4[1] = {NAN};
    dd_base64_encode((const uint8_t *)nan4, 4, b64);
    snprintf(body, sizeof body, "{\"embedding_b64\":\"%s\"}", b64);
    BAD(body, "events[0].embedding_b64[0]");
    BAD("{\"embedding_b64\":\"AAA=\"}", "events[0].embedding_b64");   /* 2 bytes */
    BAD("{\"embedding_b64\":\"!!!!\"}", "events[0].embedding_b64");
    BAD("{\"embedding_b64\":5}", "events[0].embedding_b64");
    BAD("{\"embedding\":[1],\"embedding_b64\":\"AACAPw==\"}", "events[0].embedding_b64");

    /* every field's rules */
    BAD("{\"confidence\":1.5}", "events[0].confidence");
    BAD("{\"confidence\":-0.1}", "events[0].confidence");
    BAD("{\"confidence\":\"0.5\"}", "events[0].confidence");
    BAD("{\"prediction\":1.5}", "events[0].prediction");
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
    BAD("{\"features\":{\"a\":null}}", "events[0].features.a");
    BAD("{\"features\":{\"a\":1,\"a\":2}}", "events[0].features.a");
    BAD("{\"features\":[1]}", "events[0].features");
    BAD("{\"prediction\":1,\"colour\":\"red\"}", "events[0].colour: unknown field");
    BAD("{\"prediction\":1,\"prediction\":2}", "events[0].prediction: given twice");
    BAD("{\"latency_ms\":3,\"label\":\"x\"}", "events[0]: needs at least one");
    BAD("{}", "events[0]: needs at least one");
    BAD("7", "events[0]: must be an object");
    char longid[200];
    memset(longid, 'x', sizeof longid);
    snprintf(body, sizeof body, "{\"prediction\":1,\"id\":\"%.129s\"}", longid);
    BAD(body, "events[0].id");

    /* the index of the bad event, and nothing returned */
    CHECK_EQ_INT(parse("{\"events\":[{\"prediction\":1},{\"prediction\":1},{\"prediction\":1},"
                       "{\"confidence\":2},{\"prediction\":1}]}", DD_BODY_JSON, &b), DD_EINVAL);
    CHECK_EQ_INT(err.index, 3);
    CHECK_EQ_STR(err.message, "events[3].confidence: must be a number in [0,1]");
    CHECK(b.n == 0 && b.events == NULL);
    dd_batch_release(&b);

    /* body-level errors */
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

    /* dimension conflict inside one batch: 409 with the index */
    CHECK_EQ_INT(parse("{\"events\":[{\"embedding\":[1,2]},{\"prediction\":1},{\"embedding\":[1,2,3]}]}",
                       DD_BODY_JSON, &b), DD_ECONFLICT);
    CHECK_EQ_STR(err.code, "conflict");
    CHECK_EQ_INT(err.index, 2);

    /* NDJSON: blank lines and CRLF allowed; index counts events */
    CHECK_EQ_INT(parse("{\"prediction\":1}\r\n\n  \n{\"prediction\":\"b\",\"version\":\"v2\"}\n",
                       DD_BODY_NDJSON, &b), 0);
    CHECK_EQ_INT(b.n, 2);
    CHECK_EQ_STR(b.events[1].version, "v2");
    dd_batch_release(&b);
    CHECK_EQ_INT(parse("{\"prediction\":1}\n\n{\"confidence\":3}\n", DD_BODY_NDJSON, &b), DD_EINVAL);
    CHECK_EQ_INT(err.index, 1);
    CHECK_EQ_STR(err.message, "events[1].confidence: must be a number in [0,1]");
    CHECK_EQ_INT(parse("{\"prediction\":1}\n{oops\n", DD_BODY_NDJSON, &b), DD_EINVAL);
    CHECK_EQ_STR(err.code, "invalid_json");
    CHECK_EQ_INT(err.index, 1);
    CHECK_EQ_INT(parse("", DD_BODY_NDJSON, &b), 0);
    CHECK_EQ_INT(b.n, 0);
    dd_batch_release(&b);

    /* media types */
    enum dd_body_format fmt;
    CHECK(dd_parse_media_type("application/json; charset=utf-8", &fmt) == 0 && fmt == DD_BODY_JSON);
    CHECK(dd_parse_media_type("application/x-ndjson", &fmt) == 0 && fmt == DD_BODY_NDJSON);
    CHECK(dd_parse_media_type("text/plain", &fmt) == DD_EINVAL);
    CHECK(dd_parse_media_type(NULL, &fmt) == DD_EINVAL);

    /* labels */
    struct dd_labels l;
    const char *lb = "{\"labels\":[{\"id\":\"e-17\",\"label\":\"cat\"},{\"id\":\"e-18\",\"label\":3}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), 0);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.items[1].label, "3");
    dd_labels_release(&l);
    lb = "{\"labels\":[{\"id\":\"e-17\"}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), DD_EINVAL);
    CHECK_EQ_INT(err.index, 0);
    lb = "{\"labels\":[{\"id\":\"a\",\"label\":1.5}]}";
    CHECK_EQ_INT(dd_parse_labels(lb, strlen(lb), &l, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message, "labels[0].label: must be a string or an integer");
    CHECK_DONE();
}
