/* fuzz_grafana.c — libFuzzer target for what POST /grafana/query (and every
 * other /grafana/ call) reads of a body: grafana_req_parse()
 * (server/api/grafana_req.c), then the rules the handlers apply to what it
 * accepted.  The input is the body itself (corpus_grafana/).  Invariants:
 *
 *   - a refused body answers DD_EINVAL with a message (the 400's text);
 *   - an accepted one is a possible request: from <= to within
 *     +-GRAFANA_TIME_MAX, 1 <= maxDataPoints <= GRAFANA_POINTS_MAX, at most
 *     GRAFANA_TARGETS_MAX targets and GRAFANA_FILTERS_MAX filters, each
 *     selection at most GRAFANA_VALUES_MAX names, every name a valid one
 *     for its key (parsed again alone, it selects itself);
 *   - the bucket width of its range is at least intervalMs and gives at
 *     most maxDataPoints epoch-aligned buckets;
 *   - grafana_match() passes a name a target selects unless a filter on
 *     the same key refuses it.
 * Each run frees everything it allocates (libFuzzer's leak check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "server/api/grafana.h"

/* name is valid for key: parsed alone it selects exactly itself */
static void name_ok(enum grafana_key key, const char *name)
{
    struct dd_arena a;
    dd_arena_init(&a);
    struct grafana_sel s = {0};
    /* a name with '\', '|', ',' or brackets reads differently alone; skip those */
    if (!strpbrk(name, "\\|,(){}") && name[0] != '$' && strcmp(name, "*") && strcmp(name, ".*")) {
        if (grafana_sel_parse(&a, key, name, &s) != 0 || s.n != 1 || strcmp(s.v[0], name) != 0)
            abort();
    }
    dd_arena_release(&a);
}

static void sel_ok(enum grafana_key key, const struct grafana_sel *s)
{
    if (s->n > GRAFANA_VALUES_MAX || (s->n && !s->v))
        abort();
    for (size_t i = 0; i < s->n; i++) {
        if (!s->v[i] || !s->v[i][0])
            abort();
        name_ok(key, s->v[i]);
    }
}

/* a filter on key refuses name */
static int filtered(const struct grafana_req *r, enum grafana_key key, const char *name)
{
    for (size_t i = 0; i < r->n_filters; i++) {
        if (r->filters[i].key != key)
            continue;
        int in = 0;
        for (size_t j = 0; j < r->filters[i].values.n; j++)
            in |= !strcmp(r->filters[i].values.v[j], name);
        if (in == r->filters[i].negate)
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct grafana_req r;
    char err[300];
    err[0] = 0;
    int rc = grafana_req_parse((const char *)data, size, &r, err, sizeof err);
    if (rc != 0) {
        if (rc != DD_EINVAL || !err[0])
            abort();
        grafana_req_release(&r);
        return 0;
    }
    if (r.from_ms > r.to_ms || r.from_ms < -GRAFANA_TIME_MAX - GRAFANA_DEFAULT_RANGE_MS ||
        r.to_ms > GRAFANA_TIME_MAX)
        abort();
    if (r.max_points < 1 || r.max_points > GRAFANA_POINTS_MAX || r.interval_ms < 0)
        abort();
    if (r.n_targets > GRAFANA_TARGETS_MAX || r.n_filters > GRAFANA_FILTERS_MAX)
        abort();
    int64_t b = grafana_bucket_ms(r.from_ms, r.to_ms, r.interval_ms, r.max_points);
    if (b < 1 || b < r.interval_ms)
        abort();
    if (r.from_ms >= 0 && r.to_ms / b - r.from_ms / b + 1 > r.max_points)
        abort();
    for (size_t i = 0; i < r.n_filters; i++) {
        if ((unsigned)r.filters[i].key >= GRAFANA_KEYS)
            abort();
        sel_ok(r.filters[i].key, &r.filters[i].values);
    }
    for (size_t t = 0; t < r.n_targets; t++) {
        const struct grafana_target *g = &r.targets[t];
        if (!g->ref_id || !g->target || (g->table && !g->legacy))
            abort();
        for (int k = 0; k < GRAFANA_KEYS; k++) {
            sel_ok((enum grafana_key)k, &g->sel[k]);
            for (size_t i = 0; i < g->sel[k].n; i++)
                if (grafana_match(&r, g, (enum grafana_key)k, g->sel[k].v[i]) !=
                    !filtered(&r, (enum grafana_key)k, g->sel[k].v[i]))
                    abort();
        }
    }
    for (int k = 0; k < GRAFANA_KEYS; k++)
        sel_ok((enum grafana_key)k, &r.payload.sel[k]);
    grafana_req_release(&r);
    return 0;
}
