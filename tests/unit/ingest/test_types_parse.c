/* Tests the typed values of ingest/parse.c (issue #15 item 3): a null
 * feature is a missing value (type 2), on the fast path and on cJSON's
 * alike; a prediction with a fraction is a regression's number; labels may
 * be numbers and come as NDJSON too; epoch numbers before 2001 as
 * milliseconds are refused as probable seconds; the settings body's
 * "types" and null members. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ingest/parse.h"
#include "check.h"

/* Parses body (JSON) with the fast path and with cJSON alone; both must
 * give rc, and for 0 the same events.  Returns the fast path's rc, with
 * its batch in *b (release it) and its error in *err. */
static int parse_both(const char *body, struct dd_batch *b, struct dd_parse_error *err)
{
    struct dd_batch slow;
    struct dd_parse_error es;
    const struct dd_parse_options cjson_only = {.no_fast_path = 1};
    int rf = dd_parse_events(body, strlen(body), DD_BODY_JSON, b, err);
    int rs = dd_parse_events_with(body, strlen(body), DD_BODY_JSON, &cjson_only, &slow, &es);
    CHECK_EQ_INT(rf, rs);
    if (rf == 0 && rs == 0) {
        CHECK_EQ_INT(b->n, slow.n);
        for (size_t i = 0; i < b->n && i < slow.n; i++) {
            const struct dd_event *x = &b->events[i], *y = &slow.events[i];
            CHECK_EQ_INT(x->has, y->has);
            CHECK_EQ_INT(x->features_len, y->features_len);
            CHECK(x->features_len == y->features_len &&
                  (!x->features_len || !memcmp(x->features, y->features, x->features_len)));
            CHECK_EQ_DBL(x->prediction_num, y->prediction_num);
        }
    } else if (rf != 0 && rs != 0) {
        CHECK_EQ_STR(err->message, es.message);
    }
    if (rs == 0)
        dd_batch_release(&slow);
    return rf;
}

/* null is a missing value: type 2, no bytes after the name, on both paths */
TEST(null_feature_is_missing)
{
    struct dd_batch b;
    struct dd_parse_error err;
    CHECK_EQ_INT(parse_both("{\"events\":[{\"features\":{\"age\":null,\"city\":\"x\",\"h\":1.5}}]}",
                            &b, &err),
                 0);
    size_t pos = 0;
    struct dd_feature f;
    CHECK_EQ_INT(dd_features_next(b.events[0].features, b.events[0].features_len, &pos, &f), 1);
    CHECK(f.name_len == 3 && !memcmp(f.name, "age", 3));
    CHECK_EQ_INT(f.is_missing, 1);
    CHECK_EQ_INT(f.is_string, 0);
    CHECK_EQ_INT(dd_features_next(b.events[0].features, b.events[0].features_len, &pos, &f), 1);
    CHECK(f.is_string && f.str_len == 1 && f.str[0] == 'x');
    CHECK_EQ_INT(dd_features_next(b.events[0].features, b.events[0].features_len, &pos, &f), 1);
    CHECK(!f.is_missing && !f.is_string);
    CHECK_EQ_DBL(f.num, 1.5);
    CHECK_EQ_INT(dd_features_next(b.events[0].features, b.events[0].features_len, &pos, &f), 0);
    /* 2 + 3 (age, missing) + 2 + 4 + 2 + 1 (city) + 2 + 1 + 8 (h) */
    CHECK_EQ_INT(b.events[0].features_len, 25);
    dd_batch_release(&b);
    /* other non-values are still refused, naming the feature */
    CHECK_EQ_INT(parse_both("{\"events\":[{\"features\":{\"a\":[1]}}]}", &b, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message, "events[0].features.a: must be a number, a string or null");
}

/* a prediction with a fraction is numeric; integers stay classes */
TEST(numeric_prediction)
{
    struct dd_batch b;
    struct dd_parse_error err;
    CHECK_EQ_INT(parse_both("{\"events\":[{\"prediction\":41.25,\"label\":40.5},"
                            "{\"prediction\":3,\"label\":3},{\"prediction\":-2.5e-3}]}",
                            &b, &err),
                 0);
    CHECK(b.events[0].has & DD_HAS_PREDICTION_NUM);
    CHECK_EQ_DBL(b.events[0].prediction_num, 41.25);
    CHECK_EQ_STR(b.events[0].prediction, "41.25");
    CHECK_EQ_STR(b.events[0].label, "40.5");
    CHECK(!(b.events[1].has & DD_HAS_PREDICTION_NUM));
    CHECK_EQ_STR(b.events[1].prediction, "3");
    CHECK(b.events[2].has & DD_HAS_PREDICTION_NUM);
    CHECK_EQ_DBL(b.events[2].prediction_num, -2.5e-3);
    dd_batch_release(&b);
}

/* epoch numbers before 2001 as milliseconds: refused, saying why */
TEST(epoch_seconds_refused)
{
    struct dd_batch b;
    struct dd_parse_error err;
    CHECK_EQ_INT(parse_both("{\"events\":[{\"prediction\":1,\"ts\":1764558000000},"
                            "{\"prediction\":1},{\"prediction\":1},"
                            "{\"prediction\":1,\"ts\":1764558000}]}",
                            &b, &err),
                 DD_EINVAL);
    CHECK_EQ_INT(err.index, 3);
    CHECK_EQ_STR(err.message, "events[3].ts: 1764558000 looks like epoch seconds; send "
                              "milliseconds (1764558000000) or RFC 3339");
    CHECK_EQ_INT(parse_both("{\"events\":[{\"prediction\":1,\"ts\":5}]}", &b, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message, "events[0].ts: 5 is before 2001 as epoch milliseconds; send "
                              "milliseconds or RFC 3339");
    /* the first millisecond of 2001, and RFC 3339 before it, are fine */
    CHECK_EQ_INT(parse_both("{\"events\":[{\"prediction\":1,\"ts\":978307200000},"
                            "{\"prediction\":1,\"ts\":\"1999-05-01T00:00:00Z\"}]}",
                            &b, &err),
                 0);
    CHECK_EQ_INT(b.events[0].ts_ms, 978307200000LL);
    CHECK_EQ_INT(b.events[1].ts_ms, 925516800000LL);
    dd_batch_release(&b);
    /* tests with small times say so */
    const char *small = "{\"events\":[{\"prediction\":1,\"ts\":5}]}";
    CHECK_EQ_INT(dd_parse_events_with(small, strlen(small), DD_BODY_JSON,
                                      &(struct dd_parse_options){.early_ts = 1}, &b, &err),
                 0);
    CHECK_EQ_INT(b.events[0].ts_ms, 5);
    dd_batch_release(&b);
}

/* labels: numbers in their shortest text, NDJSON with lines in errors,
 * and the unknown flags start at 0 */
TEST(labels)
{
    struct dd_labels l;
    struct dd_parse_error err;
    const char *json = "{\"labels\":[{\"id\":\"a\",\"label\":3.7},{\"id\":\"b\",\"label\":\"x\"}]}";
    CHECK_EQ_INT(dd_parse_labels(json, strlen(json), &l, &err), 0);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.items[0].label, "3.7");
    CHECK(l.unknown && !l.unknown[0] && !l.unknown[1]);
    dd_labels_release(&l);

    const char *nd = "{\"id\":\"a\",\"label\":1}\n\n{\"id\":\"b\",\"label\":\"cat\"}\r\n";
    CHECK_EQ_INT(dd_parse_labels_ndjson(nd, strlen(nd), &l, &err), 0);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.items[0].id, "a");
    CHECK_EQ_STR(l.items[0].label, "1");
    CHECK_EQ_STR(l.items[1].id, "b");
    CHECK_EQ_STR(l.items[1].label, "cat");
    CHECK(l.unknown && !l.unknown[1]);
    dd_labels_release(&l);

    nd = "{\"id\":\"a\",\"label\":1}\n\n{\"id\":\"b\"}\n";
    CHECK_EQ_INT(dd_parse_labels_ndjson(nd, strlen(nd), &l, &err), DD_EINVAL);
    CHECK_EQ_INT(err.index, 1);
    CHECK_EQ_STR(err.message, "labels[1] (line 3): must be {\"id\", \"label\"}");
    nd = "{\"id\":\"a\",\"label\":1}\n{\"id\":\"b\",\"label\":\n";
    CHECK_EQ_INT(dd_parse_labels_ndjson(nd, strlen(nd), &l, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message, "labels[1] (line 2): not valid JSON");
    nd = "{\"id\":\"a\",\"label\":[1]}";
    CHECK_EQ_INT(dd_parse_labels_ndjson(nd, strlen(nd), &l, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message, "labels[0] (line 1).label: must be a string or a number");
}

/* "types" and null members of a settings body */
TEST(settings_types_and_null)
{
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct dd_parse_error err;
    const char *body = "{\"types\":{\"feature:age\":\"numeric\",\"prediction\":\"categorical\","
                       "\"feature:zip\":null},\"window\":null,\"methods\":{\"feature:age\":null},"
                       "\"thresholds\":{\"psi\":null}}";
    CHECK_EQ_INT(dd_parse_settings(body, strlen(body), in, &err), 0);
    CHECK_EQ_INT(in->has, DD_SET_TYPES | DD_SET_METHODS | DD_SET_THRESHOLDS);
    CHECK_EQ_INT(in->unset, DD_SET_WINDOW);
    CHECK_EQ_INT(in->n_types, 3);
    CHECK_EQ_STR(in->types[0].signal, "feature:age");
    CHECK_EQ_INT(in->types[0].type, DD_TYPE_NUMERIC);
    CHECK_EQ_INT(in->types[1].type, DD_TYPE_CATEGORICAL);
    CHECK_EQ_INT(in->types[2].type, 0);
    CHECK_EQ_INT(in->n_methods, 1);
    CHECK_EQ_INT(in->methods[0].n, 0);
    CHECK_EQ_INT(in->n_thresholds, 1);
    CHECK_EQ_DBL(in->thresholds[0].value, 0);

    body = "{\"types\":{\"feature:age\":\"float\"}}";
    CHECK_EQ_INT(dd_parse_settings(body, strlen(body), in, &err), DD_EINVAL);
    CHECK_EQ_STR(err.message,
                 "types.feature:age: 'float' is not a type (numeric, categorical, or null to "
                 "remove)");
    body = "{\"typos\":{}}";
    CHECK_EQ_INT(dd_parse_settings(body, strlen(body), in, &err), DD_EINVAL);
    CHECK_STARTS_WITH(err.message,
                      "typos: unknown setting (alpha, window, reference_size, min_samples, "
                      "methods, thresholds, types)");
    free(in);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(null_feature_is_missing);
    RUN(numeric_prediction);
    RUN(epoch_seconds_refused);
    RUN(labels);
    RUN(settings_types_and_null);
    CHECK_DONE();
}
