/* event.h — a telemetry event and a batch of them, as validated by parse.h.
 *
 * One EVENT of docs/api.md.  All pointers point into the batch's arena and live as
 * long as the batch; dd_batch_release() frees everything at once.  A batch is
 * built by one thread (a request's) and then handed to the writer thread:
 * ownership moves with it, no sharing.
 *
 * Features are kept encoded (the same bytes the store writes to its BLOB
 * column), so the hot path copies them once:
 *   per feature: u8 type (0 number, 1 string, 2 missing), u8 name_len, name
 *   bytes, then a little-endian f64 (number), u16 len + bytes (string) or
 *   nothing (missing: JSON null, an empty CSV cell); features_len marks the
 *   end.
 * dd_features_next() walks them.
 */
#ifndef DD_EVENT_H
#define DD_EVENT_H
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

#define DD_NAME_MAX 128  /* model, version, feature names */
#define DD_ID_MAX 128    /* client event ids */
#define DD_VALUE_MAX 256 /* prediction, label and categorical feature strings */
#define DD_EMBED_DIM_MAX 65536
#define DD_PROBS_MAX 65536
#define DD_FEATURES_MAX 1024
/* The range of an event time: 1970-01-01 to 9999-12-31T23:59:59.999Z. */
#define DD_TS_MAX_MS 253402300799999LL
/* Epoch numbers below this (2001-01-01 as milliseconds) are refused as
 * times: they are almost always epoch seconds (1764558000 is 1970-01-21 as
 * milliseconds, 2025-12-01 as seconds), and a monitor that files a day's
 * events under 1970 shows nothing wrong, only nothing. */
#define DD_TS_NUMBER_MIN_MS 978307200000LL

enum dd_event_has {
    DD_HAS_TS = 1u << 0,
    DD_HAS_CONFIDENCE = 1u << 1,
    DD_HAS_LATENCY = 1u << 2,
    DD_HAS_PREDICTION_NUM = 1u << 3, /* the prediction was a JSON number with a
                                        fraction or exponent (a regression
                                        model): prediction_num holds it and
                                        prediction its %.17g text */
};

struct dd_event {
    const char *id;         /* NULL when the client sent none */
    const char *version;    /* never NULL: "default" when absent */
    int64_t ts_ms;          /* valid when has & DD_HAS_TS */
    const char *prediction; /* NULL when absent; integers as decimal */
    double prediction_num;  /* valid when has & DD_HAS_PREDICTION_NUM */
    const char *label;      /* NULL when absent */
    double confidence;      /* valid when has & DD_HAS_CONFIDENCE */
    double latency_ms;      /* valid when has & DD_HAS_LATENCY */
    const float *probabilities;
    uint32_t n_probabilities;
    const float *embedding; /* little-endian float32 on every host we build for */
    uint32_t dim;
    const uint8_t *features; /* encoded as above, NULL when absent */
    uint32_t features_len;
    uint32_t has;
};

struct dd_batch {
    struct dd_event *events;
    size_t n;
    uint32_t dim; /* the batch's embedding dimension, 0 if none */
    struct dd_arena arena;
};

void dd_batch_init(struct dd_batch *b);
void dd_batch_release(struct dd_batch *b);

/* A feature as dd_features_next() yields it; name and str are not
 * NUL-terminated. */
struct dd_feature {
    const char *name;
    size_t name_len;
    int is_string;  /* 1: str/str_len hold the value */
    int is_missing; /* 1: null / empty cell, neither num nor str is set */
    double num;
    const char *str;
    size_t str_len;
};

/* Iterates encoded features: start with *pos = 0; returns 1 and fills *f
 * while there is one, 0 at the end, DD_EINVAL on malformed bytes (only
 * possible for bytes that did not come from the encoder). */
int dd_features_next(const uint8_t *p, size_t len, size_t *pos, struct dd_feature *f);

/* Valid name per docs/api.md: [A-Za-z0-9._-]{1,128}, other than "." and "..". */
int dd_name_valid(const char *s, size_t n);

#endif
