/* event_eq.h — whether two parsed events (ingest/event.h) are the same: every
 * field, numbers bit for bit, the probabilities, embedding and encoded
 * features byte for byte.  One copy for parse_both.h (the JSON fast path
 * against cJSON), fuzz_csv.c and tests/unit/ingest/test_csv.c (a CSV body
 * against the same events as JSON). */
#ifndef DD_EVENT_EQ_H
#define DD_EVENT_EQ_H
#include <string.h>

#include "ingest/event.h"

/* both NULL, or both strings and equal */
static int ee_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* n bytes at a and b are the same (nothing to compare when n is 0) */
static int ee_mem_eq(const void *a, const void *b, size_t n)
{
    return n == 0 || (a && b && !memcmp(a, b, n));
}

static int event_eq(const struct dd_event *a, const struct dd_event *b)
{
    return ee_str_eq(a->id, b->id) && ee_str_eq(a->version, b->version) && a->has == b->has &&
           (!(a->has & DD_HAS_TS) || a->ts_ms == b->ts_ms) &&
           ee_str_eq(a->prediction, b->prediction) &&
           (!(a->has & DD_HAS_PREDICTION_NUM) ||
            !memcmp(&a->prediction_num, &b->prediction_num, 8)) &&
           ee_str_eq(a->label, b->label) &&
           (!(a->has & DD_HAS_CONFIDENCE) || !memcmp(&a->confidence, &b->confidence, 8)) &&
           (!(a->has & DD_HAS_LATENCY) || !memcmp(&a->latency_ms, &b->latency_ms, 8)) &&
           a->n_probabilities == b->n_probabilities &&
           ee_mem_eq(a->probabilities, b->probabilities, a->n_probabilities * sizeof(float)) &&
           a->dim == b->dim && ee_mem_eq(a->embedding, b->embedding, a->dim * sizeof(float)) &&
           a->features_len == b->features_len &&
           ee_mem_eq(a->features, b->features, a->features_len);
}

#endif
