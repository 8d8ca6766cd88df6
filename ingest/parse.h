/* parse.h — request bodies to validated structs: events, labels, flat JSON.
 *
 * The one place that parses untrusted events and settings.  Every
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
    int early_ts;     /* 1: take epoch ms before 2001 (tests whose times are
                         small numbers); otherwise they are refused as
                         probably epoch seconds */
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
    /* n bytes, all 0 from the parser; the store sets unknown[i] to 1 when no
     * event of the model has items[i].id (store_w_apply_labels()), so the
     * answer can list those ids */
    unsigned char *unknown;
    struct dd_arena arena;
};
void dd_labels_release(struct dd_labels *l);
/* {"labels": [{"id": "e-17", "label": "cat"}]}; a label is a string or a
 * number (integers as decimal text, other numbers in the shortest text that
 * reads back as the same double: 3.7 -> "3.7"). */
int dd_parse_labels(const char *body, size_t len, struct dd_labels *out,
                    struct dd_parse_error *err);
/* The same labels as NDJSON (application/x-ndjson): one {"id", "label"}
 * object per line, blank lines skipped; errors name the item as
 * "labels[i] (line L)". */
int dd_parse_labels_ndjson(const char *body, size_t len, struct dd_labels *out,
                           struct dd_parse_error *err);

/* {"from": TIME, "to": TIME} (RFC 3339 or epoch ms, from <= to). */
int dd_parse_time_range(const char *body, size_t len, int64_t *from_ms, int64_t *to_ms,
                        struct dd_parse_error *err);
/* 1 when a JSON body's first member is "events" (an events batch), 0 otherwise. */
int dd_body_is_events(const char *body, size_t len);

/* PUT /api/v1/models/{model}/settings: every member optional.  Names of
 * signals and methods are checked for shape here; whether a method exists
 * and fits the signal is the server's to check (it knows analysis/).
 * A member given as null removes that key: a top-level one sets its bit in
 * `unset` (and not in `has`); an entry of methods, thresholds or types is
 * kept with n == 0, value == 0 or type == 0 respectively, which means
 * "remove this entry". */
#define DD_SETTINGS_MAX 64
enum dd_settings_has {
    DD_SET_ALPHA = 1u << 0,
    DD_SET_WINDOW = 1u << 1,
    DD_SET_REFERENCE_SIZE = 1u << 2,
    DD_SET_METHODS = 1u << 3,
    DD_SET_THRESHOLDS = 1u << 4,
    DD_SET_TYPES = 1u << 5,
    DD_SET_MIN_SAMPLES = 1u << 6,
};
/* Declared types (the server's enum settings_type has the same values). */
enum dd_settings_type_value { DD_TYPE_NUMERIC = 1, DD_TYPE_CATEGORICAL = 2 };
struct dd_settings_input {
    unsigned has;
    unsigned unset;      /* DD_SET_* bits of members given as null */
    double alpha;        /* (0, 0.5] */
    char window[32];     /* "1h" or "last:N", unchecked */
    long reference_size; /* 20 .. 1,000,000 */
    long min_samples;    /* rows a side needs to be tested: 2 .. 1,000,000 */
    struct {
        char signal[160];
        char methods[12][24];
        int n; /* 0: null, remove */
    } methods[DD_SETTINGS_MAX];
    int n_methods;
    struct {
        char method[24];
        double value; /* > 0, finite; 0: null, remove */
    } thresholds[DD_SETTINGS_MAX];
    int n_thresholds;
    struct {
        char signal[160]; /* "feature:age", "prediction" */
        int type;         /* DD_TYPE_*; 0: null, remove */
    } types[DD_SETTINGS_MAX];
    int n_types;
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

/* cJSON's tree of s[0..len) when it is one JSON value with nothing after it
 * but whitespace, else NULL (cJSON alone stops after the first value and
 * ignores the rest).  *tail (if tail is not NULL): where that rest begins
 * when it is what made the text fail, else len.  For every body of the API
 * parsed with cJSON; free with cJSON_Delete(). */
struct cJSON;
struct cJSON *dd_json_parse_whole(const char *s, size_t len, size_t *tail);

#endif
