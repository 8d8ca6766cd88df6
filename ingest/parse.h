/* parse.h — request bodies to validated structs: events, labels, flat JSON.
 *
 * The one place that parses untrusted JSON (the only cJSON user).  Every
 * rule of docs/api.md's EVENT table is checked here, so the server and `driftd
 * check` share one code path.  A batch is all or nothing: on error nothing is
 * returned and *err names the field path ("events[3].confidence: ...") and
 * the event index.  Every parser here first checks the string rules of
 * ingest/utf8.h: each string of the text (values and member names) must be
 * valid UTF-8 without U+0000, or the text is refused with the path of the
 * first bad string ("events[3].prediction: contains U+0000 (\u0000), which
 * is not allowed"; for a bad member name, the path of the object holding
 * it).  Thread-safe (no shared state).
 */
#ifndef DD_PARSE_H
#define DD_PARSE_H
#include <stddef.h>
#include <stdint.h>

#include "ingest/event.h"

enum dd_body_format { DD_BODY_JSON, DD_BODY_NDJSON, DD_BODY_CSV };

struct dd_parse_error {
    const char *code; /* "invalid_json", "invalid_event", "invalid_body", "conflict" */
    long index;       /* event index (NDJSON: line number from 0), -1 if none */
    char message[256];
};

/* Parses and validates a batch.  0, DD_EINVAL (400) or DD_ECONFLICT (409: the
 * batch's embeddings disagree in dimension); out is initialised either way
 * and must be released by the caller. */
int dd_parse_events(const char *body, size_t len, enum dd_body_format fmt, struct dd_batch *out,
                    struct dd_parse_error *err);

/* How dd_parse_events_with() parses; all zero is what dd_parse_events()
 * does.  Only tests set anything here. */
struct dd_parse_options {
    int no_fast_path; /* 1: cJSON alone, without ingest/jsonfast.c, so tests
                           can check that both paths give the same result */
};
/* dd_parse_events() with options (NULL: all zero). */
int dd_parse_events_with(const char *body, size_t len, enum dd_body_format fmt,
                         const struct dd_parse_options *opt, struct dd_batch *out,
                         struct dd_parse_error *err);

/* Media type of a Content-Type header value: 0 and *fmt, or DD_EINVAL.
 * application/json; application/x-ndjson (also application/jsonlines and
 * application/jsonl+json); text/csv.  Whether the endpoint takes it is the
 * caller's question. */
int dd_parse_media_type(const char *content_type, enum dd_body_format *fmt);

struct dd_label {
    const char *id;
    const char *label;
};
struct dd_labels {
    struct dd_label *items;
    size_t n;
    struct dd_arena arena;
};
void dd_labels_release(struct dd_labels *l);
/* {"labels": [{"id": "e-17", "label": "cat"}]}; label string or integer. */
int dd_parse_labels(const char *body, size_t len, struct dd_labels *out,
                    struct dd_parse_error *err);

/* {"from": TIME, "to": TIME} (RFC 3339 or epoch ms, from <= to). */
int dd_parse_time_range(const char *body, size_t len, int64_t *from_ms, int64_t *to_ms,
                        struct dd_parse_error *err);
/* 1 when a JSON body's first member is "events" (an events batch), 0 otherwise. */
int dd_body_is_events(const char *body, size_t len);

/* PUT /api/v1/models/{model}/settings: every member optional.  Names of
 * signals and methods are checked for shape here; whether a method exists
 * and fits the signal is the server's to check (it knows analysis/). */
#define DD_SETTINGS_MAX 64
enum dd_settings_has {
    DD_SET_ALPHA = 1u << 0,
    DD_SET_WINDOW = 1u << 1,
    DD_SET_REFERENCE_SIZE = 1u << 2,
    DD_SET_METHODS = 1u << 3,
    DD_SET_THRESHOLDS = 1u << 4,
};
struct dd_settings_input {
    unsigned has;
    double alpha;        /* (0, 0.5] */
    char window[32];     /* "1h" or "last:N", unchecked */
    long reference_size; /* 20 .. 1,000,000 */
    struct {
        char signal[160];
        char methods[12][24];
        int n;
    } methods[DD_SETTINGS_MAX];
    int n_methods;
    struct {
        char method[24];
        double value; /* > 0, finite */
    } thresholds[DD_SETTINGS_MAX];
    int n_thresholds;
};
int dd_parse_settings(const char *body, size_t len, struct dd_settings_input *out,
                      struct dd_parse_error *err);

/* Walks a JSON object (a config file), calling fn(key, value, ctx) with
 * every member's value as text: strings as themselves, numbers as written
 * by %.17g, booleans as "true"/"false", objects as compact JSON (for the
 * caller to parse further).  Arrays and null are an error.  A non-zero
 * return of fn stops the walk and is returned. */
int dd_parse_flat_object(const char *text, size_t len,
                         int (*fn)(const char *key, const char *value, void *ctx), void *ctx,
                         struct dd_parse_error *err);

#endif
