/* grafana.h — what the Grafana JSON datasource (h_grafana.c) reads from
 * Grafana's request bodies, and the pure rules it answers by.
 *
 * Parsing is lenient, as the plugin (simpod-json-datasource 0.6.x, and the
 * legacy grafana-simple-json-datasource) sends it: unknown members are
 * ignored, a payload value may be a string, a number or an array of them,
 * and a value Grafana interpolated with its "regex" format is read back
 * ("v1\.2" is v1.2, "(a|b)" is a and b, "{a,b}" too); "", "*", ".*",
 * "$__all" and an uninterpolated "$var" mean any.  What is wrong is still
 * refused with a message naming the member ("targets[1].payload.model:
 * ..."): a body that is not JSON, a time that is not one, a name that
 * cannot be a name, an ad hoc filter on a key the datasource does not have.
 *
 * The functions here are pure (no store, no HTTP) and any thread may call
 * them; a parsed request lives in its own arena.
 */
#ifndef DD_GRAFANA_H
#define DD_GRAFANA_H
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

#define GRAFANA_BODY_MAX (1u << 20) /* Grafana's bodies are small: a dashboard's targets */
#define GRAFANA_TARGETS_MAX 64      /* targets of one /query */
#define GRAFANA_FILTERS_MAX 32      /* ad hoc filters of one /query */
#define GRAFANA_VALUES_MAX 1024     /* names one payload field or filter lists */
#define GRAFANA_POINTS_DEFAULT 1000 /* maxDataPoints when the request has none */
#define GRAFANA_POINTS_MAX 100000   /* maxDataPoints at most */
#define GRAFANA_DEFAULT_RANGE_MS (6 * 3600 * 1000LL) /* a request without range: 6 h */
#define GRAFANA_TIME_MAX 253402300799999LL /* |a time| at most, ms: the end of year 9999 */

/* The keys a target's payload and the ad hoc filters may name. */
enum grafana_key { GRAFANA_MODEL, GRAFANA_VERSION, GRAFANA_SIGNAL, GRAFANA_METHOD, GRAFANA_KEYS };
extern const char *const grafana_key_names[GRAFANA_KEYS]; /* "model", "version", ... */

/* Which names a key takes: any (n == 0), or these. */
struct grafana_sel {
    const char **v; /* in the request's arena */
    size_t n;
};

/* An ad hoc filter: key = (or !=) one of the values. */
struct grafana_filter {
    enum grafana_key key;
    int negate; /* operator != or !~ */
    struct grafana_sel values;
};

struct grafana_target {
    const char *ref_id; /* "" when none */
    const char *target; /* the metric; "" when none */
    int legacy;         /* has a "type" (timeserie|table): the legacy plugin's answer shapes */
    int table;          /* "type": "table" */
    struct grafana_sel sel[GRAFANA_KEYS];
};

/* POST /query, /annotations, /variable, /search, /metrics, /tag-values,
 * /metric-payload-options: the members driftd reads of any of them. */
struct grafana_req {
    int64_t from_ms, to_ms; /* range (default: the last 6 h) */
    int64_t interval_ms;    /* 0: none */
    long max_points;        /* maxDataPoints, or GRAFANA_POINTS_DEFAULT */
    struct grafana_target *targets;
    size_t n_targets;
    struct grafana_filter filters[GRAFANA_FILTERS_MAX];
    size_t n_filters;
    /* /metrics, /metric-payload-options: "metric", "name", "payload" (in
     * payload.sel); /tag-values: "key"; /search: "target"; /variable: the
     * payload's query text (its "target", or the payload itself when a
     * string) in target and its other members in payload.sel;
     * /annotations: annotation.query in target */
    const char *metric, *name, *key, *target;
    struct grafana_target payload;
    struct dd_arena arena; /* owns every string above */
};

/* Parses a body (len 0 or blank: {}).  0, or DD_EINVAL with a message
 * naming the member in err.  Release with grafana_req_release() either
 * way. */
int grafana_req_parse(const char *body, size_t len, struct grafana_req *out, char *err,
                      size_t errlen);
void grafana_req_release(struct grafana_req *r);

/* Reads one value as Grafana interpolated it into names (see the top);
 * 0, or DD_EINVAL when a name is not a valid name for key.  For tests. */
int grafana_sel_parse(struct dd_arena *a, enum grafana_key key, const char *text,
                      struct grafana_sel *out);

/* 1 when name passes the target's selection of key and every ad hoc filter
 * on key (t may be NULL: the filters alone). */
int grafana_match(const struct grafana_req *r, const struct grafana_target *t, enum grafana_key key,
                  const char *name);

/* The bucket width of a series over [from, to]: at least interval_ms, and
 * wide enough that epoch-aligned buckets give at most max_points points
 * (max_points >= 1). */
int64_t grafana_bucket_ms(int64_t from_ms, int64_t to_ms, int64_t interval_ms, long max_points);

/* The CORS header lines of an answer under /grafana/ (routes.c): for a
 * request whose Origin is the allowed one (or any, with "*"), a static
 * block "Access-Control-Allow-Origin: ...\r\n..."; NULL otherwise (no
 * origin allowed, none sent, another one). */
const char *grafana_cors_headers(const char *allowed, const char *origin);

#endif
