/* fuzz_csv.c — libFuzzer target for the CSV body parser (ingest/csv.c).
 * The input is the body.  A refused body must have a code and a message
 * that starts with "line "; an accepted batch must keep every rule of an
 * event (strings valid UTF-8 without U+0000 and within their limits,
 * numbers in range, features that decode), and two parsers must agree
 * with it:
 *   - the batch written back as CSV (every cell quoted) parses to the same
 *     batch, byte for byte;
 *   - its events that JSON can say today (no missing feature, no numeric
 *     prediction) written as {"events": [...]} give the same events
 *     through dd_parse_events(), so CSV accepts nothing JSON refuses. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "event_eq.h"
#include "ingest/csv.h"
#include "ingest/parse.h"
#include "ingest/utf8.h"

static void text_ok(const char *s, size_t n, size_t min, size_t max)
{
    if (!s || n < min || n > max || !dd_utf8_valid(s, n) || memchr(s, 0, n))
        abort();
}
#define CSTR_OK(s, min, max) text_ok(s, strlen(s), min, max)

/* The rules of one accepted event; *missing: it has a missing feature. */
static void check_event(const struct dd_event *e, int *missing)
{
    if (e->id)
        CSTR_OK(e->id, 1, DD_ID_MAX);
    if (!e->version || !dd_name_valid(e->version, strlen(e->version)))
        abort();
    if (e->prediction)
        CSTR_OK(e->prediction, 1, DD_VALUE_MAX);
    if (e->label)
        CSTR_OK(e->label, 1, DD_VALUE_MAX);
    if ((e->has & DD_HAS_PREDICTION_NUM) && (!e->prediction || !isfinite(e->prediction_num)))
        abort();
    if ((e->has & DD_HAS_CONFIDENCE) && !(e->confidence >= 0 && e->confidence <= 1))
        abort();
    if ((e->has & DD_HAS_LATENCY) && !(e->latency_ms >= 0 && isfinite(e->latency_ms)))
        abort();
    if ((e->has & DD_HAS_TS) && (e->ts_ms < 0 || e->ts_ms > 253402300799999LL))
        abort();
    for (uint32_t k = 0; k < e->n_probabilities; k++)
        if (!(e->probabilities[k] >= 0 && e->probabilities[k] <= 1))
            abort();
    if (e->embedding || e->dim)
        abort();
    if (!e->prediction && !(e->has & DD_HAS_CONFIDENCE) && !e->features)
        abort();
    size_t pos = 0;
    struct dd_feature f;
    int r, n = 0;
    *missing = 0;
    while ((r = dd_features_next(e->features, e->features_len, &pos, &f)) == 1) {
        if (!dd_name_valid(f.name, f.name_len) || ++n > DD_FEATURES_MAX)
            abort();
        if (f.is_string)
            text_ok(f.str, f.str_len, 1, DD_VALUE_MAX);
        else if (!f.is_missing && !isfinite(f.num))
            abort();
        *missing |= f.is_missing;
    }
    if (r != 0 || (e->features && n == 0))
        abort();
}

static void csv_cell(struct dd_buf *b, const char *s, size_t n)
{
    dd_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            dd_buf_putc(b, '"');
        dd_buf_putc(b, s[i]);
    }
    dd_buf_putc(b, '"');
}

/* The batch as CSV: the header from the first event (every event of a
 * batch has the same probabilities count or none, and the same features). */
static void write_csv(const struct dd_batch *bt, struct dd_buf *b)
{
    const struct dd_event *e0 = &bt->events[0];
    uint32_t K = 0;
    for (size_t i = 0; i < bt->n; i++)
        if (bt->events[i].n_probabilities)
            K = bt->events[i].n_probabilities;
    dd_buf_puts(b, "id,ts,version,prediction,confidence,label,latency_ms");
    for (uint32_t k = 0; k < K; k++)
        dd_buf_printf(b, ",probability:%u", k);
    size_t pos = 0;
    struct dd_feature f;
    while (dd_features_next(e0->features, e0->features_len, &pos, &f) == 1)
        dd_buf_printf(b, ",%.*s", (int)f.name_len, f.name);
    dd_buf_puts(b, "\r\n");
    for (size_t i = 0; i < bt->n; i++) {
        const struct dd_event *e = &bt->events[i];
        if (e->id)
            csv_cell(b, e->id, strlen(e->id));
        dd_buf_putc(b, ',');
        if (e->has & DD_HAS_TS)
            dd_buf_printf(b, "%lld", (long long)e->ts_ms);
        dd_buf_putc(b, ',');
        csv_cell(b, e->version, strlen(e->version));
        dd_buf_putc(b, ',');
        if (e->has & DD_HAS_PREDICTION_NUM)
            dd_buf_printf(b, "%.17e", e->prediction_num); /* an exponent: numeric again */
        else if (e->prediction)
            csv_cell(b, e->prediction, strlen(e->prediction));
        dd_buf_putc(b, ',');
        if (e->has & DD_HAS_CONFIDENCE)
            dd_buf_printf(b, "%.17g", e->confidence);
        dd_buf_putc(b, ',');
        if (e->label)
            csv_cell(b, e->label, strlen(e->label));
        dd_buf_putc(b, ',');
        if (e->has & DD_HAS_LATENCY)
            dd_buf_printf(b, "%.17g", e->latency_ms);
        for (uint32_t k = 0; k < K; k++) {
            dd_buf_putc(b, ',');
            if (e->n_probabilities)
                dd_buf_printf(b, "%.9g", (double)e->probabilities[k]);
        }
        pos = 0;
        while (dd_features_next(e->features, e->features_len, &pos, &f) == 1) {
            dd_buf_putc(b, ',');
            if (f.is_string)
                csv_cell(b, f.str, f.str_len);
            else if (!f.is_missing)
                dd_buf_printf(b, "%.17g", f.num);
        }
        dd_buf_puts(b, "\r\n");
    }
}

/* The event as a JSON object, for events JSON can say. */
static void write_json_event(const struct dd_event *e, struct dd_buf *b)
{
    int first = 1;
    dd_buf_putc(b, '{');
    if (e->id)
        dd_json_kstr(b, &first, "id", e->id);
    if (e->has & DD_HAS_TS)
        dd_json_kint(b, &first, "ts", e->ts_ms);
    dd_json_kstr(b, &first, "version", e->version);
    if (e->prediction)
        dd_json_kstr(b, &first, "prediction", e->prediction);
    if (e->has & DD_HAS_CONFIDENCE) {
        dd_json_key(b, "confidence", &first);
        dd_buf_printf(b, "%.17g", e->confidence);
    }
    if (e->label)
        dd_json_kstr(b, &first, "label", e->label);
    if (e->has & DD_HAS_LATENCY) {
        dd_json_key(b, "latency_ms", &first);
        dd_buf_printf(b, "%.17g", e->latency_ms);
    }
    if (e->n_probabilities) {
        dd_json_key(b, "probabilities", &first);
        for (uint32_t k = 0; k < e->n_probabilities; k++)
            dd_buf_printf(b, "%c%.9g", k ? ',' : '[', (double)e->probabilities[k]);
        dd_buf_putc(b, ']');
    }
    if (e->features) {
        dd_json_key(b, "features", &first);
        size_t pos = 0;
        struct dd_feature f;
        int ffirst = 1;
        dd_buf_putc(b, '{');
        while (dd_features_next(e->features, e->features_len, &pos, &f) == 1) {
            dd_buf_puts(b, ffirst ? "" : ",");
            ffirst = 0;
            dd_json_strn(b, f.name, f.name_len);
            dd_buf_putc(b, ':');
            if (f.is_string)
                dd_json_strn(b, f.str, f.str_len);
            else
                dd_buf_printf(b, "%.17g", f.num);
        }
        dd_buf_putc(b, '}');
    }
    dd_buf_putc(b, '}');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dd_batch b;
    struct dd_parse_error err = {0};
    int rc = dd_parse_csv((const char *)data, size, &b, &err);
    if (rc != 0) {
        if (!err.code || strncmp(err.message, "line ", 5) != 0 ||
            !dd_utf8_valid(err.message, strlen(err.message)) ||
            (strcmp(err.code, "invalid_body") && strcmp(err.code, "invalid_event")))
            abort();
        dd_batch_release(&b);
        return 0;
    }
    if (b.n == 0 || b.dim) {
        if (b.dim)
            abort();
        dd_batch_release(&b);
        return 0;
    }
    size_t *json_of = malloc(b.n * sizeof *json_of); /* JSON event -> batch event */
    size_t n_json = 0;
    struct dd_buf json;
    dd_buf_init(&json);
    dd_buf_puts(&json, "{\"events\":[");
    for (size_t i = 0; i < b.n; i++) {
        int missing;
        check_event(&b.events[i], &missing);
        if (missing || (b.events[i].has & DD_HAS_PREDICTION_NUM))
            continue;
        if (n_json)
            dd_buf_putc(&json, ',');
        write_json_event(&b.events[i], &json);
        json_of[n_json++] = i;
    }
    dd_buf_puts(&json, "]}");

    /* written back as CSV: the same batch */
    struct dd_buf text;
    dd_buf_init(&text);
    write_csv(&b, &text);
    struct dd_batch again;
    if (dd_parse_csv(text.data, text.len, &again, &err) != 0 || again.n != b.n)
        abort();
    for (size_t i = 0; i < b.n; i++)
        if (!event_eq(&b.events[i], &again.events[i]))
            abort();
    dd_batch_release(&again);
    dd_buf_release(&text);

    /* as JSON: the same events */
    struct dd_batch viajson;
    if (dd_parse_events(json.data, json.len, DD_BODY_JSON, &viajson, &err) != 0 ||
        viajson.n != n_json)
        abort();
    for (size_t j = 0; j < n_json; j++)
        if (!event_eq(&b.events[json_of[j]], &viajson.events[j]))
            abort();
    dd_batch_release(&viajson);
    dd_buf_release(&json);
    free(json_of);
    dd_batch_release(&b);
    return 0;
}
