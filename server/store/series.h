/* series.h — time series read from the stored tables, one bucket per point,
 * for the Grafana datasource (server/api/h_grafana.c).
 *
 * Every reader takes a version, a time range [from_ms, to_ms] and a bucket
 * width, and answers one row per non-empty bucket, oldest first.  A bucket
 * is aligned to the epoch (floor(t / bucket_ms)), so series of different
 * versions line up, and its time is the bucket's start, or the one row's own
 * time when the bucket holds a single row (no downsampling: the stored time
 * itself).  Downsampling keeps the worst value of a bucket where a spike
 * matters (drift: the largest statistic, the smallest p-value, drift if any
 * round drifted) and means or quantiles where it is a rate or a level
 * (events).  The buckets are made by SQLite's GROUP BY over the index range
 * of the version; each row costs a table lookup (the index does not hold the
 * values), which is most of the time tests/bench/grafana measures (100,000
 * results: p99 880 ms on the loaded 2-core VM, 100 ms of SQLite alone, 11 ms
 * for the index scan without the lookups; see tests/bench/README.md).
 *
 * These readers are a part of the store's API kept out of store.h, which
 * they extend (implemented in series.c with store_int.h).  Errors: 0,
 * DD_ENOTFOUND for an unknown model or version, DD_EIO for any SQLite
 * failure.  Outputs are written only on success and are the caller's
 * (free()).
 *
 * Threading: readers, any thread (store__read()).
 */
#ifndef DD_SERIES_H
#define DD_SERIES_H
#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* A bucket of one signal's and method's stored results (drift_results). */
struct series_drift {
    int64_t t_ms;
    double statistic; /* the largest; NaN when none */
    double p_value;   /* the smallest; NaN when none */
    int drift;        /* 1 when any result of the bucket drifted */
    int64_t n;        /* results in the bucket */
};
int series_r_drift(struct store *s, const char *model, const char *version, const char *signal,
                   const char *method, int64_t from_ms, int64_t to_ms, int64_t bucket_ms,
                   struct series_drift **out, size_t *n);

/* The latest stored evaluation of a version, of any window: its window,
 * status ("ok", "drift", "insufficient_data"), time and JSON body (the
 * drift report; owned: free()).  DD_ENOTFOUND when the version has none. */
struct series_latest {
    char window[64];
    char status[20];
    int64_t computed_ms;
    char *body;
};
int series_r_latest(struct store *s, const char *model, const char *version,
                    struct series_latest *out);

/* A bucket of a version's verdicts over one window (evaluations): value 1
 * when any evaluation of the bucket said drift, else 0; evaluations with
 * insufficient data are left out. */
struct series_value {
    int64_t t_ms;
    double value; /* NaN when the bucket has no value */
    int64_t n;
};
int series_r_verdicts(struct store *s, const char *model, const char *version, const char *window,
                      int64_t from_ms, int64_t to_ms, int64_t bucket_ms, struct series_value **out,
                      size_t *n);

/* The verdicts one by one (ok = 0, drift = 1) in [from_ms, to_ms] of one
 * window, oldest first, at most max (the oldest), and *before: the last
 * verdict before from_ms (-1: none).  For the annotations of verdict
 * changes. */
int series_r_verdict_list(struct store *s, const char *model, const char *version,
                          const char *window, int64_t from_ms, int64_t to_ms, size_t max,
                          struct series_value **out, size_t *n, int *before);

/* A bucket of a version's events (events.ts in the bucket). */
struct series_events {
    int64_t t_ms;
    int64_t count;
    double confidence_mean; /* NaN when no event has a confidence */
    int64_t labelled;       /* events with a label */
    int64_t correct;        /* ... whose label equals the prediction */
};
int series_r_events(struct store *s, const char *model, const char *version, int64_t from_ms,
                    int64_t to_ms, int64_t bucket_ms, struct series_events **out, size_t *n);

/* The q-quantile (0 < q < 1; linear interpolation between the two nearest
 * ranks, numpy's default) of latency_ms of each bucket's events; at most
 * max_values latencies are read (the oldest), *cut set to 1 when there
 * were more. */
int series_r_latency(struct store *s, const char *model, const char *version, int64_t from_ms,
                     int64_t to_ms, int64_t bucket_ms, double q, size_t max_values,
                     struct series_value **out, size_t *n, int *cut);

/* Pure: the q-quantile of v[0..n) sorted ascending (n > 0). */
double series_quantile_sorted(const double *v, size_t n, double q);

/* Alerts that were firing at some time in [from_ms, to_ms] (started_at set,
 * not resolved before from_ms), oldest first, at most max; model and
 * version NULL: any.  Free with store_alerts_free(). */
int series_r_alerts(struct store *s, const char *model, const char *version, int64_t from_ms,
                    int64_t to_ms, size_t max, struct store_alert **out, size_t *n);

#endif
