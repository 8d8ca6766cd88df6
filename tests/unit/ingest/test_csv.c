/* test_csv.c — ingest/csv.c: CSV bodies give the batch dd_parse_events()
 * gives for the same events as JSON; RFC 4180 quoting, BOM, CRLF; numeric,
 * string and missing cells; probability:<k> columns; and every error with
 * its code, index and exact line/column message. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "check.h"
#include "event_eq.h"
#include "ingest/csv.h"
#include "ingest/parse.h"

static struct dd_parse_error err;

static int csv_n(const char *text, size_t len, struct dd_batch *b)
{
    memset(&err, 0, sizeof err);
    return dd_parse_csv(text, len, b, &err);
}

static int csv(const char *text, struct dd_batch *b)
{
    return csv_n(text, strlen(text), b);
}

/* Every field of two events (event_eq.h), the encoded features byte for byte,
 * and neither has an embedding. */
static void check_event_eq(const struct dd_event *a, const struct dd_event *b, size_t i, int line)
{
    int same = event_eq(a, b) && !a->embedding && !b->embedding && (!a->features) == (!b->features);
    check_count++;
    if (!same) {
        fprintf(stderr,
                "line %d: event %zu differs: id %s/%s version %s/%s has %u/%u prediction %s/%s "
                "label %s/%s probabilities %u/%u features %u/%u bytes\n",
                line, i, a->id ? a->id : "-", b->id ? b->id : "-", a->version, b->version, a->has,
                b->has, a->prediction ? a->prediction : "-", b->prediction ? b->prediction : "-",
                a->label ? a->label : "-", b->label ? b->label : "-", a->n_probabilities,
                b->n_probabilities, a->features_len, b->features_len);
        check_failures++;
    }
}

/* The CSV text and the JSON body {"events": [...]} give the same batch. */
static void expect_same(const char *text, const char *json, int line)
{
    struct dd_batch a, b;
    struct dd_parse_error je = {0};
    int ra = csv(text, &a);
    int rb = dd_parse_events(json, strlen(json), DD_BODY_JSON, &b, &je);
    check_count++;
    if (ra != 0 || rb != 0 || a.n != b.n || a.dim != b.dim) {
        fprintf(stderr, "line %d: csv rc=%d (%s) n=%zu, json rc=%d (%s) n=%zu\n", line, ra,
                ra ? err.message : "", a.n, rb, rb ? je.message : "", b.n);
        check_failures++;
    } else {
        for (size_t i = 0; i < a.n; i++)
            check_event_eq(&a.events[i], &b.events[i], i, line);
    }
    dd_batch_release(&a);
    dd_batch_release(&b);
}
#define SAME(text, json) expect_same(text, json, __LINE__)

/* The CSV text (len bytes) is refused with exactly this code, index and
 * message. */
static void expect_error(const char *text, size_t len, const char *code, long index,
                         const char *message, int line)
{
    struct dd_batch b;
    int rc = csv_n(text, len, &b);
    check_count++;
    if (rc != DD_EINVAL || !err.code || strcmp(err.code, code) != 0 || err.index != index ||
        strcmp(err.message, message) != 0) {
        fprintf(stderr,
                "line %d: rc=%d code=%s index=%ld message=\"%s\"\n"
                "   wanted code=%s index=%ld message=\"%s\"\n",
                line, rc, err.code ? err.code : "-", err.index, err.message, code, index, message);
        check_failures++;
    }
    CHECK_EQ_INT(b.n, 0);
    CHECK(b.events == NULL);
    dd_batch_release(&b);
}
#define BAD(text, code, index, message)                                                            \
    expect_error(text, strlen(text), code, index, message, __LINE__)
#define BAD_N(text, len, code, index, message)                                                     \
    expect_error(text, len, code, index, message, __LINE__)

/* One text that is refused, with its code, index and message. */
struct bad {
    const char *text, *code;
    long index;
    const char *message;
};

/* Every case of a table of refused texts (expect_error), named by its
 * position in the table when it fails. */
static void expect_errors(const struct bad *cases, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        int failures0 = check_failures;
        expect_error(cases[i].text, strlen(cases[i].text), cases[i].code, cases[i].index,
                     cases[i].message, line);
        if (check_failures != failures0)
            fprintf(stderr, "  (case %zu of the table)\n", i);
    }
}
#define BAD_TABLE(cases) expect_errors(cases, sizeof cases / sizeof cases[0], __LINE__)

/* One feature of an encoded list, by position. */
static int feature_at(const struct dd_event *e, int k, struct dd_feature *f)
{
    size_t pos = 0;
    int r = 0;
    for (int i = 0; i <= k; i++)
        if ((r = dd_features_next(e->features, e->features_len, &pos, f)) != 1)
            return r;
    return 1;
}

/* ---- the same batch as JSON ---- */

TEST(same_as_json_rows)
{
    SAME(
        "id,ts,version,prediction,confidence,label,latency_ms,probability:0,probability:1,age,"
        "country\n"
        "e-1,2026-11-22T10:00:00Z,v3,cat,0.93,cat,12.5,0.93,0.07,41,de\n"
        "e-2,1763805600000,v3,7,0.5,3,0,0.5,0.5,-1.25e3,fr\n"
        ",,,dog,,,,,,0,x y\n",
        "{\"events\":["
        "{\"id\":\"e-1\",\"ts\":\"2026-11-22T10:00:00Z\",\"version\":\"v3\",\"prediction\":\"cat\","
        "\"confidence\":0.93,\"label\":\"cat\",\"latency_ms\":12.5,\"probabilities\":[0.93,0.07],"
        "\"features\":{\"age\":41,\"country\":\"de\"}},"
        "{\"id\":\"e-2\",\"ts\":1763805600000,\"version\":\"v3\",\"prediction\":7,"
        "\"confidence\":0.5,\"label\":3,\"latency_ms\":0,\"probabilities\":[0.5,0.5],"
        "\"features\":{\"age\":-1.25e3,\"country\":\"fr\"}},"
        "{\"prediction\":\"dog\",\"features\":{\"age\":0,\"country\":\"x y\"}}]}");
    /* no feature columns: no features */
    SAME("prediction,confidence\ncat,0.1\n,1\n0,0\n",
         "{\"events\":[{\"prediction\":\"cat\",\"confidence\":0.1},{\"confidence\":1},"
         "{\"prediction\":0,\"confidence\":0}]}");
    /* a header alone is an empty batch */
    SAME("prediction\n", "{\"events\":[]}");
    SAME("prediction", "{\"events\":[]}");
}

/* One column, one cell: the CSV cell and the JSON value of the same event
 * give the same result (both accepted and equal, checked by SAME). */
TEST(same_as_json_values)
{
    static const struct {
        const char *column, *cell, *json;
    } cases[] = {
        {"prediction", "42", "42"},
        {"prediction", "-0", "-0"},
        {"prediction", "-17", "-17"},
        {"prediction", "9007199254740991", "9007199254740991"},
        {"prediction", "007", "\"007\""},
        {"prediction", "+1", "\"+1\""},
        {"prediction", "1 ", "\"1 \""},
        {"prediction", "9007199254740993", "\"9007199254740993\""},
        {"prediction", "caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"label", "3", "3"},
        {"label", "1.0", "1.0"},
        {"label", "1e2", "1e2"},
        {"label", "-0", "-0"},
        {"label", "1.5", "\"1.5\""},
        {"label", "05", "\"05\""},
        {"label", "yes", "\"yes\""},
        {"confidence", "0", "0"},
        {"confidence", "1", "1"},
        {"confidence", "0.25", "0.25"},
        {"confidence", "2.5e-1", "2.5e-1"},
        {"confidence", "-0", "-0"},
        {"confidence", "0.30000000000000004", "0.30000000000000004"},
        {"latency_ms", "0", "0"},
        {"latency_ms", "1e300", "1e300"},
        {"latency_ms", "12.25", "12.25"},
        {"ts", "978307200000", "978307200000"},
        {"ts", "1763805600000", "1763805600000"},
        {"ts", "1.7638056e12", "1.7638056e12"},
        {"ts", "253402300799999", "253402300799999"},
        {"ts", "2026-11-22T10:00:00.123+02:00", "\"2026-11-22T10:00:00.123+02:00\""},
        {"ts", "2026-11-22 10:00:00Z", "\"2026-11-22 10:00:00Z\""},
        {"id", "e-1", "\"e-1\""},
        {"id", "a,b \"q\"", "\"a,b \\\"q\\\"\""},
        {"version", "v1.2_rc-3", "\"v1.2_rc-3\""},
        {"f", "0", "0"},
        {"f", "-3.5", "-3.5"},
        {"f", "1e-400", "1e-400"},
        {"f", "123456789012345678901234567890", "123456789012345678901234567890"},
        {"f", "abc", "\"abc\""},
        {"f", "1e400", "\"1e400\""},
        {"f", "0x10", "\"0x10\""},
        {"f", "inf", "\"inf\""},
        {"f", "nan", "\"nan\""},
        {"f", " 1", "\" 1\""},
        {"f", "1 ", "\"1 \""},
        {"f", "1,5", "\"1,5\""},
        {"f", "line\nbreak", "\"line\\nbreak\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], json[512];
        int feature = !strcmp(cases[i].column, "f");
        int counted = !strcmp(cases[i].column, "prediction") ||
                      !strcmp(cases[i].column, "confidence") || feature;
        /* quote every cell: the CSV writer's way for commas and breaks */
        char quoted[128];
        size_t k = 0;
        quoted[k++] = '"';
        for (const char *s = cases[i].cell; *s; s++) {
            quoted[k++] = *s;
            if (*s == '"')
                quoted[k++] = '"';
        }
        quoted[k++] = '"';
        quoted[k] = 0;
        snprintf(text, sizeof text, "%s%s\n%s%s\n", cases[i].column, counted ? "" : ",prediction",
                 quoted, counted ? "" : ",p");
        if (feature)
            snprintf(json, sizeof json, "{\"events\":[{\"features\":{\"f\":%s}}]}", cases[i].json);
        else
            snprintf(json, sizeof json, "{\"events\":[{\"%s\":%s%s}]}", cases[i].column,
                     cases[i].json, counted ? "" : ",\"prediction\":\"p\"");
        int failures0 = check_failures;
        expect_same(text, json, __LINE__);
        if (check_failures != failures0)
            fprintf(stderr, "  (case %zu: %s = %s)\n", i, cases[i].column, cases[i].cell);
    }
}

/* ---- what JSON does not say the same way ---- */

TEST(numeric_prediction)
{
    struct dd_batch b;
    CHECK_EQ_INT(csv("prediction\n1.5\n2e3\n1.0\n3\n-0.0\n", &b), 0);
    CHECK_EQ_INT(b.n, 5);
    if (b.n == 5) {
        CHECK(b.events[0].has & DD_HAS_PREDICTION_NUM);
        CHECK_CLOSE(b.events[0].prediction_num, 1.5, 0, 0);
        CHECK_EQ_STR(b.events[0].prediction, "1.5");
        CHECK_CLOSE(b.events[1].prediction_num, 2000, 0, 0);
        CHECK_EQ_STR(b.events[1].prediction, "2000");
        CHECK(b.events[2].has & DD_HAS_PREDICTION_NUM); /* a fraction, even .0 */
        CHECK_EQ_STR(b.events[2].prediction, "1");
        CHECK(!(b.events[3].has & DD_HAS_PREDICTION_NUM)); /* an integer: a class */
        CHECK_EQ_STR(b.events[3].prediction, "3");
        CHECK(b.events[4].has & DD_HAS_PREDICTION_NUM);
        CHECK_EQ_STR(b.events[4].prediction, "-0");
    }
    dd_batch_release(&b);
    CHECK_EQ_INT(csv("prediction\n0.1\n", &b), 0);
    if (b.n == 1)
        CHECK_EQ_STR(b.events[0].prediction, "0.10000000000000001"); /* %.17g */
    dd_batch_release(&b);
}

TEST(feature_cells)
{
    struct dd_batch b;
    CHECK_EQ_INT(csv("a,b,c,d\n1.5,x,,\"\"\n", &b), 0);
    CHECK_EQ_INT(b.n, 1);
    if (b.n == 1) {
        const struct dd_event *e = &b.events[0];
        /* a: 0 1 'a' f64; b: 1 1 'b' 01 00 'x'; c: 2 1 'c'; d: 2 1 'd' */
        uint8_t want[40] = {0, 1, 'a'};
        double v = 1.5;
        memcpy(want + 3, &v, 8);
        memcpy(want + 11,
               "\x01\x01"
               "b\x01\x00x"
               "\x02\x01"
               "c\x02\x01"
               "d",
               12);
        CHECK_EQ_INT(e->features_len, 23);
        CHECK(e->features_len == 23 && !memcmp(e->features, want, 23));
        struct dd_feature f;
        CHECK_EQ_INT(feature_at(e, 0, &f), 1);
        CHECK(!f.is_string && !f.is_missing && f.num == 1.5);
        CHECK_EQ_INT(feature_at(e, 1, &f), 1);
        CHECK(f.is_string && f.str_len == 1 && f.str[0] == 'x');
        CHECK_EQ_INT(feature_at(e, 2, &f), 1);
        CHECK(f.is_missing && f.name_len == 1 && f.name[0] == 'c');
        CHECK_EQ_INT(feature_at(e, 3, &f), 1);
        CHECK(f.is_missing);
        CHECK_EQ_INT(feature_at(e, 4, &f), 0);
        CHECK(!e->prediction && !(e->has & DD_HAS_CONFIDENCE));
    }
    dd_batch_release(&b);
    /* every feature cell empty: still the event's features, all missing */
    CHECK_EQ_INT(csv("prediction,a\n,\n", &b), 0);
    if (b.n == 1)
        CHECK(b.events[0].features_len == 3 && !memcmp(b.events[0].features,
                                                       "\x02\x01"
                                                       "a",
                                                       3));
    dd_batch_release(&b);
    /* a string of exactly DD_VALUE_MAX bytes */
    char text[400] = "f\n";
    memset(text + 2, 'z', DD_VALUE_MAX);
    CHECK_EQ_INT(csv(text, &b), 0);
    if (b.n == 1)
        CHECK_EQ_INT(b.events[0].features_len, 2 + 1 + 2 + DD_VALUE_MAX);
    dd_batch_release(&b);
}

TEST(probability_columns)
{
    struct dd_batch b;
    /* any column order; the array is in the order of k */
    CHECK_EQ_INT(csv("probability:2,prediction,probability:0,probability:1\n"
                     "0.5,a,0.25,0.25\n"
                     ",b,,\n",
                     &b),
                 0);
    CHECK_EQ_INT(b.n, 2);
    if (b.n == 2) {
        CHECK_EQ_INT(b.events[0].n_probabilities, 3);
        if (b.events[0].n_probabilities == 3) {
            CHECK(b.events[0].probabilities[0] == 0.25f);
            CHECK(b.events[0].probabilities[1] == 0.25f);
            CHECK(b.events[0].probabilities[2] == 0.5f);
        }
        CHECK_EQ_INT(b.events[1].n_probabilities, 0); /* all empty: none */
        CHECK(b.events[1].probabilities == NULL);
    }
    dd_batch_release(&b);
    SAME("probability:1,probability:0,confidence\n0.9,0.1,0.9\n",
         "{\"events\":[{\"probabilities\":[0.1,0.9],\"confidence\":0.9}]}");
    /* probability alone is not enough for an event, as in JSON */
    BAD("probability:0,prediction\n1,\n", "invalid_event", 0,
        "line 2: needs at least one of prediction, confidence or a feature (all of them are "
        "empty)");
    /* "probability" without a class is a feature like any other name */
    CHECK_EQ_INT(csv("probability\n0.5\n", &b), 0);
    CHECK(b.n == 1 && b.events[0].n_probabilities == 0 && b.events[0].features_len == 2 + 11 + 8);
    dd_batch_release(&b);
}

/* ---- the text ---- */

TEST(quoting)
{
    SAME("id,prediction,f\n"
         "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
         "\"\",\"\"\"\",\"z\"\n"
         "\"x\",y,\"\"\"q\"\" \"\"r\"\"\"\n",
         "{\"events\":[{\"id\":\"a,b\",\"prediction\":\"say \\\"hi\\\"\","
         "\"features\":{\"f\":\"two\\nlines\"}},"
         "{\"prediction\":\"\\\"\",\"features\":{\"f\":\"z\"}},"
         "{\"id\":\"x\",\"prediction\":\"y\",\"features\":{\"f\":\"\\\"q\\\" \\\"r\\\"\"}}]}");
    /* quoted header names; a quoted CR LF inside a field stays in it */
    struct dd_batch b;
    CHECK_EQ_INT(csv("\"prediction\",\"f\"\r\n\"a\r\nb\",1\r\n", &b), 0);
    if (b.n == 1) {
        CHECK_EQ_STR(b.events[0].prediction, "a\r\nb");
        CHECK_EQ_INT(b.events[0].features_len, 2 + 1 + 8);
    }
    dd_batch_release(&b);
    /* a CR inside an unquoted field (not before a line end) is data */
    CHECK_EQ_INT(csv("prediction,f\na\rb,x\r\n", &b), 0);
    if (b.n == 1)
        CHECK_EQ_STR(b.events[0].prediction, "a\rb");
    dd_batch_release(&b);
    /* a trailing comma is an empty last field */
    CHECK_EQ_INT(csv("prediction,f\na,\n", &b), 0);
    CHECK(b.n == 1 && b.events[0].features_len == 3);
    dd_batch_release(&b);
}

TEST(line_ends_bom_blank_lines)
{
    const char *json = "{\"events\":[{\"prediction\":\"a\",\"confidence\":0.5},"
                       "{\"prediction\":\"b\",\"confidence\":1}]}";
    SAME("prediction,confidence\na,0.5\nb,1\n", json);
    SAME("prediction,confidence\na,0.5\nb,1", json);
    SAME("prediction,confidence\r\na,0.5\r\nb,1\r\n", json);
    SAME("prediction,confidence\r\na,0.5\r\nb,1", json);
    SAME("prediction,confidence\r\na,0.5\nb,1\r", json);
    SAME("\xef\xbb\xbfprediction,confidence\na,0.5\nb,1\n", json);
    SAME("prediction,confidence\na,0.5\nb,1\n\n\n", json);
    SAME("prediction,confidence\r\na,0.5\r\nb,1\r\n\r\n\r\n", json);
    SAME("prediction,\"confidence\"\na,\"0.5\"\n\"b\",\"1\"", json);
    SAME("\xef\xbb\xbfprediction\n", "{\"events\":[]}");
    /* only the first BOM is skipped: a second is part of the name */
    BAD("\xef\xbb\xbf\xef\xbb\xbfprediction\na\n", "invalid_body", -1,
        "line 1, column 1: '\xef\xbb\xbfprediction' is not a feature name (names match "
        "[A-Za-z0-9._-]{1,128}, not . or ..)");
}

TEST(line_numbers_count_physical_lines)
{
    static const struct bad cases[] = {
        /* the quoted field of line 2 spans lines 2-4; the bad cell is on 5 */
        {"prediction,confidence\n\"a\nb\nc\",0.5\nd,2\n", "invalid_event", 1,
         "line 5, column 2 (confidence): 2 is not in [0, 1]"},
        /* a cell is on the line it starts on */
        {"f,confidence\n\"x\ny\",1.5\n", "invalid_event", 0,
         "line 3, column 2 (confidence): 1.5 is not in [0, 1]"},
        {"prediction,confidence\r\na,0.5\r\nb,-1\r\n", "invalid_event", 1,
         "line 3, column 2 (confidence): -1 is not in [0, 1]"},
    };
    BAD_TABLE(cases);
}

/* ---- errors ---- */

TEST(errors_header)
{
    static const struct bad cases[] = {
        {"", "invalid_body", -1,
         "line 1: a header row is required (the column names, e.g. id,ts,prediction,confidence)"},
        {"\xef\xbb\xbf", "invalid_body", -1,
         "line 1: a header row is required (the column names, e.g. id,ts,prediction,confidence)"},
        {"\n", "invalid_body", -1,
         "line 1: a header row is required (the column names, e.g. id,ts,prediction,confidence)"},
        {"\r\nprediction\na\n", "invalid_body", -1,
         "line 1: a header row is required (the column names, e.g. id,ts,prediction,confidence)"},
        {"prediction,,f\n", "invalid_body", -1, "line 1, column 2: empty column name"},
        {"prediction,age,x,age\n", "invalid_body", -1,
         "line 1, column 4: 'age': same name as column 2"},
        {"prediction,confidence,prediction,confidence\n", "invalid_body", -1,
         "line 1, column 3: 'prediction': same name as column 1"},
        {"prediction,embedding\n", "invalid_body", -1,
         "line 1, column 2: 'embedding': CSV cannot carry embeddings; send events with embeddings "
         "as NDJSON (application/x-ndjson)"},
        {"embedding_b64,prediction\n", "invalid_body", -1,
         "line 1, column 1: 'embedding_b64': CSV cannot carry embeddings; send events with "
         "embeddings as NDJSON (application/x-ndjson)"},
        {"prediction,probabilities\n", "invalid_body", -1,
         "line 1, column 2: 'probabilities': give class probabilities as columns probability:0, "
         "probability:1, ..."},
        {"prediction,probability:01\n", "invalid_body", -1,
         "line 1, column 2: 'probability:01': the class of a probability:<k> column must be 0 to "
         "65535, without leading zeros"},
        {"prediction,probability:65536\n", "invalid_body", -1,
         "line 1, column 2: 'probability:65536': the class of a probability:<k> column must be 0 "
         "to 65535, without leading zeros"},
        {"prediction,probability:\n", "invalid_body", -1,
         "line 1, column 2: 'probability:': the class of a probability:<k> column must be 0 to "
         "65535, without leading zeros"},
        {"prediction,probability:0,probability:3,probability:1\n", "invalid_body", -1,
         "line 1, column 3: 'probability:3': there is no column probability:2 (probability:<k> "
         "columns count from 0 without gaps)"},
        {"prediction,probability:1\n", "invalid_body", -1,
         "line 1, column 2: 'probability:1': there is no column probability:0 (probability:<k> "
         "columns count from 0 without gaps)"},
        {"prediction,probability:0,probability:0\n", "invalid_body", -1,
         "line 1, column 3: 'probability:0': same name as column 2"},
        {"prediction,my col\n", "invalid_body", -1,
         "line 1, column 2: 'my col' is not a feature name (names match [A-Za-z0-9._-]{1,128}, "
         "not . or ..)"},
        {"prediction,..\n", "invalid_body", -1,
         "line 1, column 2: '..' is not a feature name (names match [A-Za-z0-9._-]{1,128}, not . "
         "or ..)"},
        {"prediction,\"a\nb\"\n", "invalid_body", -1,
         "line 1, column 2: 'a?b' is not a feature name (names match [A-Za-z0-9._-]{1,128}, not . "
         "or ..)"},
        {"id,ts,label\n", "invalid_body", -1,
         "line 1: needs a prediction, confidence or feature column (each event needs one of "
         "them)"},
    };
    BAD_TABLE(cases);
    /* names are case-sensitive: Prediction is a feature */
    struct dd_batch b;
    CHECK_EQ_INT(csv("Prediction\na\n", &b), 0);
    CHECK(b.n == 1 && !b.events[0].prediction && b.events[0].features_len == 2 + 10 + 2 + 1);
    dd_batch_release(&b);
}

TEST(errors_header_limits)
{
    /* DD_FEATURES_MAX feature columns are fine, one more is not */
    static char text[DD_FEATURES_MAX * 8 + 64];
    size_t k = 0;
    for (int i = 0; i < DD_FEATURES_MAX; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%sf%d", i ? "," : "", i);
    k += (size_t)snprintf(text + k, sizeof text - k, "\n");
    struct dd_batch b;
    CHECK_EQ_INT(csv(text, &b), 0);
    dd_batch_release(&b);
    text[k - 1] = 0;
    strcat(text, ",extra\n");
    BAD(text, "invalid_body", -1, "line 1, column 1025: 'extra': more than 1024 feature columns");
    /* a wide header of probabilities: duplicates found by sorting */
    static char wide[300 * 20];
    k = (size_t)snprintf(wide, sizeof wide, "prediction");
    for (int i = 0; i < 300; i++)
        k += (size_t)snprintf(wide + k, sizeof wide - k, ",probability:%d", i);
    CHECK_EQ_INT(csv(wide, &b), 0);
    dd_batch_release(&b);
    snprintf(wide + k, sizeof wide - k, ",probability:7,probability:5\n");
    BAD(wide, "invalid_body", -1, "line 1, column 302: 'probability:7': same name as column 9");
}

TEST(errors_shape)
{
    static const struct bad cases[] = {
        {"prediction,confidence\na,0.5,x\n", "invalid_body", 0,
         "line 2: 3 fields, but the header has 2"},
        {"prediction,confidence\na,0.5\nb\n", "invalid_body", 1,
         "line 3: 1 field, but the header has 2"},
        {"prediction,confidence\na,0.5\n\nb,1\n", "invalid_body", 1,
         "line 3: blank line (only blank lines at the end of the text are ignored)"},
        {"prediction\na\n\r\nb\n", "invalid_body", 1,
         "line 3: blank line (only blank lines at the end of the text are ignored)"},
        {"prediction,f\na,\"open\n\n", "invalid_body", 0,
         "line 2, column 2 (f): the quoted field is not closed (a '\"' inside a quoted field is "
         "written '\"\"')"},
        {"prediction,f\na,\"x\"y\n", "invalid_body", 0,
         "line 2, column 2 (f): text after the closing quote (a field is quoted whole or not at "
         "all; a '\"' inside is written '\"\"')"},
        {"prediction,f\na,\"x\" \n", "invalid_body", 0,
         "line 2, column 2 (f): text after the closing quote (a field is quoted whole or not at "
         "all; a '\"' inside is written '\"\"')"},
        {"prediction,f\na,5'11\"\n", "invalid_body", 0,
         "line 2, column 2 (f): a '\"' inside an unquoted field (quote the whole field and write "
         "the '\"' as '\"\"')"},
        {"\"prediction\nf\n", "invalid_body", -1,
         "line 1, column 1: the quoted field is not closed (a '\"' inside a quoted field is "
         "written '\"\"')"},
        /* a field beyond the header's has no name */
        {"prediction\na,\"b\n", "invalid_body", 0,
         "line 2, column 2: the quoted field is not closed (a '\"' inside a quoted field is "
         "written '\"\"')"},
    };
    BAD_TABLE(cases);
}

TEST(errors_values)
{
    /* one bad cell on line 3, after a good row of every column */
    static const struct {
        const char *row, *message;
    } rows[] = {
        {",,,,1.5,,,", "line 3, column 5 (confidence): 1.5 is not in [0, 1]"},
        {",,,,high,,,",
         "line 3, column 5 (confidence): 'high' is not a number (expected in [0, 1])"},
        {",,,,nan,,,", "line 3, column 5 (confidence): 'nan' is not a number (expected in [0, 1])"},
        {",,,, 0.5,,,",
         "line 3, column 5 (confidence): ' 0.5' is not a number (expected in [0, 1])"},
        {",,,a,,,-1,", "line 3, column 7 (latency_ms): -1 is not >= 0"},
        {",,,a,,,1e999,", "line 3, column 7 (latency_ms): '1e999' is not a number (expected >= 0)"},
        {",yesterday,,a,,,,",
         "line 3, column 2 (ts): 'yesterday' is not an RFC 3339 time (2026-11-22T10:00:00Z) or "
         "epoch milliseconds"},
        {",2026-13-01T00:00:00Z,,a,,,,",
         "line 3, column 2 (ts): '2026-13-01T00:00:00Z' is not an RFC 3339 time "
         "(2026-11-22T10:00:00Z) or epoch milliseconds"},
        {",1.5,,a,,,,",
         "line 3, column 2 (ts): 1.5 is not an RFC 3339 time or epoch milliseconds (an integer)"},
        {",-1,,a,,,,", "line 3, column 2 (ts): -1 is out of range (1970 to 9999)"},
        {",1764558000,,a,,,,",
         "line 3, column 2 (ts): 1764558000 looks like epoch seconds; send milliseconds "
         "(1764558000000) or RFC 3339"},
        {",0,,a,,,,",
         "line 3, column 2 (ts): 0 is before 2001 as epoch milliseconds; send milliseconds or "
         "RFC 3339"},
        {",253402300800000,,a,,,,",
         "line 3, column 2 (ts): 253402300800000 is out of range (1970 to 9999)"},
        {",1969-12-31T23:59:59Z,,a,,,,",
         "line 3, column 2 (ts): '1969-12-31T23:59:59Z' is out of range (1970 to 9999)"},
        {",,v 2,a,,,,",
         "line 3, column 3 (version): 'v 2' is not a version name ([A-Za-z0-9._-]{1,128}, not . "
         "or ..)"},
        {",,.,a,,,,",
         "line 3, column 3 (version): '.' is not a version name ([A-Za-z0-9._-]{1,128}, not . or "
         "..)"},
    };
    enum { N_ROWS = sizeof rows / sizeof rows[0] };
    static char texts[N_ROWS][256];
    struct bad row_cases[N_ROWS];
    for (size_t i = 0; i < N_ROWS; i++) {
        snprintf(texts[i], sizeof texts[i],
                 "id,ts,version,prediction,confidence,label,latency_ms,f\n"
                 "x,978307200000,v,a,0.5,l,1,2\n%s\n",
                 rows[i].row);
        row_cases[i] = (struct bad){texts[i], "invalid_event", 1, rows[i].message};
    }
    BAD_TABLE(row_cases);
    static const struct bad cases[] = {
        {"id,prediction,confidence,label\nx,,,l\n", "invalid_event", 0,
         "line 2: needs at least one of prediction, confidence or a feature (all of them are "
         "empty)"},
        /* probabilities */
        {"prediction,probability:0,probability:1\na,0.5,0.5\nb,0.5,\n", "invalid_event", 1,
         "line 3, column 3 (probability:1): empty, but other probability:<k> cells of the row are "
         "not (give all 2 or none)"},
        {"prediction,probability:0,probability:1\na,,0.5\n", "invalid_event", 0,
         "line 2, column 2 (probability:0): empty, but other probability:<k> cells of the row are "
         "not (give all 2 or none)"},
        {"prediction,probability:0\na,1.01\n", "invalid_event", 0,
         "line 2, column 2 (probability:0): 1.01 is not in [0, 1]"},
        {"prediction,probability:0\na,p\n", "invalid_event", 0,
         "line 2, column 2 (probability:0): 'p' is not a number (expected in [0, 1])"},
        /* cells are checked in column order: the first bad one is named */
        {"confidence,latency_ms\n2,-1\n", "invalid_event", 0,
         "line 2, column 1 (confidence): 2 is not in [0, 1]"},
        /* a shown value is cut at a character boundary, control bytes as '?' */
        {"confidence\n\""
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x\xc3\xa9\"\n",
         "invalid_event", 0,
         "line 2, column 1 (confidence): '\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9x...' is not a number (expected in [0, 1])"},
        {"confidence\n\"a\tb\nc\"\n", "invalid_event", 0,
         "line 2, column 1 (confidence): 'a?b?c' is not a number (expected in [0, 1])"},
    };
    BAD_TABLE(cases);
    /* with a feature column every row has features (all missing here) */
    struct dd_batch b;
    CHECK_EQ_INT(csv("prediction,f\n,\n", &b), 0);
    dd_batch_release(&b);
    /* lengths: 128 + 1 bytes of id, 256 + 1 of prediction, label, feature string */
    char big[700];
    char cell[300];
    memset(cell, 'x', 257);
    cell[257] = 0;
    snprintf(big, sizeof big, "id,prediction\n%.129s,a\n", cell);
    BAD(big, "invalid_event", 0,
        "line 2, column 1 (id): 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (129 bytes) is "
        "longer than 128 bytes");
    snprintf(big, sizeof big, "id,prediction\n%.128s,a\n", cell);
    CHECK_EQ_INT(csv(big, &b), 0);
    dd_batch_release(&b);
    snprintf(big, sizeof big, "prediction\n%s\n", cell);
    BAD(big, "invalid_event", 0,
        "line 2, column 1 (prediction): 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (257 bytes) "
        "is longer than 256 bytes");
    snprintf(big, sizeof big, "prediction,label\na,%s\n", cell);
    BAD(big, "invalid_event", 0,
        "line 2, column 2 (label): 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (257 bytes) is "
        "longer than 256 bytes");
    snprintf(big, sizeof big, "prediction,f\na,%s\n", cell);
    BAD(big, "invalid_event", 0,
        "line 2, column 2 (f): 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (257 bytes) is "
        "longer than 256 bytes");
}

TEST(errors_text)
{
    static const struct bad cases[] = {
        /* the string rules come before any other rule: the bad byte of row 2
         * is named though row 0 has a bad confidence */
        {"prediction,confidence\na,7\nb,0.5\nc\xff,0.5\n", "invalid_event", 2,
         "line 4, column 1 (prediction): is not valid UTF-8 (byte 0xff at offset 33 of the body)"},
        {"prediction,f\na,\"x\n\xed\xa0\x80\"\n", "invalid_event", 0,
         "line 2, column 2 (f): is not valid UTF-8 (byte 0xed at offset 18 of the body)"},
        {"prediction,f\xc0\xaf\na,b\n", "invalid_body", -1,
         "line 1, column 2: the column name is not valid UTF-8 (byte 0xc0 at offset 12 of the "
         "body)"},
        {"prediction\na,\xf4\x90\x80\x80\n", "invalid_event", 0,
         "line 2, column 2: is not valid UTF-8 (byte 0xf4 at offset 13 of the body)"},
        {"prediction\nab\xc3", "invalid_event", 0,
         "line 2, column 1 (prediction): is not valid UTF-8 (byte 0xc3 at offset 13 of the body)"},
        /* the header is not checked yet: its names are shown as values are */
        {"f\x01,g\na\xff,b\n", "invalid_event", 0,
         "line 2, column 1 (f?): is not valid UTF-8 (byte 0xff at offset 6 of the body)"},
        /* a BOM is text; one cut short is not */
        {"\xef\xbbprediction\n", "invalid_body", -1,
         "line 1, column 1: the column name is not valid UTF-8 (byte 0xef at offset 0 of the "
         "body)"},
    };
    BAD_TABLE(cases);
    BAD_N("prediction,f\na,x\0y\n", 19, "invalid_event", 0,
          "line 2, column 2 (f): contains U+0000 (byte 0x00 at offset 16 of the body), which is "
          "not allowed");
}

TEST(many_rows)
{
    /* a larger body: every row kept, in order */
    static char text[200000];
    size_t k = (size_t)snprintf(text, sizeof text, "id,prediction,confidence,f,g\r\n");
    for (int i = 0; i < 3000; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "e%d,c%d,%g,%d,\"s,%d\"\r\n", i, i % 7,
                              (i % 100) / 100.0, i, i);
    struct dd_batch b;
    CHECK_EQ_INT(csv(text, &b), 0);
    CHECK_EQ_INT(b.n, 3000);
    if (b.n == 3000) {
        CHECK_EQ_STR(b.events[2999].id, "e2999");
        CHECK_EQ_STR(b.events[2999].prediction, "c3");
        CHECK_CLOSE(b.events[2999].confidence, 0.99, 0, 0);
        struct dd_feature f;
        CHECK_EQ_INT(feature_at(&b.events[2999], 1, &f), 1);
        CHECK(f.is_string && f.str_len == 6 && !memcmp(f.str, "s,2999", 6));
    }
    dd_batch_release(&b);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(same_as_json_rows);
    RUN(same_as_json_values);
    RUN(numeric_prediction);
    RUN(feature_cells);
    RUN(probability_columns);
    RUN(quoting);
    RUN(line_ends_bom_blank_lines);
    RUN(line_numbers_count_physical_lines);
    RUN(errors_header);
    RUN(errors_header_limits);
    RUN(errors_shape);
    RUN(errors_values);
    RUN(errors_text);
    RUN(many_rows);
    CHECK_DONE();
}
