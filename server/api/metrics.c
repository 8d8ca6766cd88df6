/* metrics.c — lock-free counters and the /metrics text (metrics.h). */
#include "server/api/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "ingest/event.h"
#include "server/store/writer.h"

#define MAX_ROUTES METRICS_MAX_ROUTES
static const int statuses[] = {200, 202, 400, 401, 403, 404, 405,
                               409, 413, 415, 429, 500, 503, 0 /* other */};
#define N_STATUS ((int)(sizeof statuses / sizeof statuses[0]))
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  10};
#define N_BUCKETS ((int)(sizeof bounds / sizeof bounds[0]))

static const char *const reject_codes[] = {
    "invalid_json",      "invalid_event",          "invalid_body", "conflict",
    "payload_too_large", "unsupported_media_type", "overloaded",   "shutting_down",
    "storage_full",      "unauthorized",           "forbidden",    "not_found",
    "internal"};
#define N_REJECT ((int)(sizeof reject_codes / sizeof reject_codes[0]))

struct hist {
    atomic_ullong buckets[N_BUCKETS]; /* non-cumulative; summed when rendered */
    atomic_ullong count;
    atomic_ullong sum_us;
};

static const char *const *patterns;
static int n_patterns;
static struct hist hists[MAX_ROUTES + 1][N_STATUS]; /* last row: unmatched */
static atomic_ullong rejected[N_REJECT];

void metrics_init(const char *const *route_patterns, int n_routes)
{
    patterns = route_patterns;
    n_patterns = n_routes < MAX_ROUTES ? n_routes : MAX_ROUTES;
}

static int status_index(int status)
{
    for (int i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUS - 1;
}

void metrics_observe_request(int route, int status, double seconds)
{
    if (route < 0 || route >= n_patterns)
        route = MAX_ROUTES;
    struct hist *h = &hists[route][status_index(status)];
    int b = 0;
    while (b < N_BUCKETS && seconds > bounds[b])
        b++;
    if (b < N_BUCKETS)
        atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

void metrics_count_rejected(const char *code)
{
    for (int i = 0; i < N_REJECT; i++)
        if (!strcmp(code, reject_codes[i])) {
            atomic_fetch_add_explicit(&rejected[i], 1, memory_order_relaxed);
            return;
        }
}

/* ---- per-model ingest counters (metrics.h), sorted by name ---- */

struct model_count {
    char name[DD_NAME_MAX + 1];
    uint64_t accepted, duplicates;
};

static pthread_mutex_t models_mu = PTHREAD_MUTEX_INITIALIZER;
static struct model_count *models; /* guarded by models_mu, n_models sorted entries */
static size_t n_models, cap_models;
static struct model_count other; /* the models over the cap; guarded by models_mu */

/* Index of model in models, or where it would go (*found 0). */
static size_t model_find(const char *model, int *found)
{
    size_t lo = 0, hi = n_models;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(models[mid].name, model);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

void metrics_count_model_events(const char *model, uint64_t accepted, uint64_t duplicates)
{
    pthread_mutex_lock(&models_mu);
    int found;
    size_t i = model_find(model, &found);
    struct model_count *m = &other;
    if (found) {
        m = &models[i];
    } else if (n_models < METRICS_MAX_MODELS && strlen(model) <= DD_NAME_MAX) {
        if (n_models == cap_models) {
            cap_models = cap_models ? 2 * cap_models : 16;
            models = dd_realloc(models, cap_models * sizeof *models);
        }
        memmove(&models[i + 1], &models[i], (n_models - i) * sizeof *models);
        n_models++;
        m = &models[i];
        memset(m, 0, sizeof *m);
        memcpy(m->name, model, strlen(model) + 1);
    }
    m->accepted += accepted;
    m->duplicates += duplicates;
    pthread_mutex_unlock(&models_mu);
}

void metrics_forget_model(const char *model)
{
    pthread_mutex_lock(&models_mu);
    int found;
    size_t i = model_find(model, &found);
    if (found) {
        memmove(&models[i], &models[i + 1], (n_models - i - 1) * sizeof *models);
        n_models--;
    }
    pthread_mutex_unlock(&models_mu);
}

static void family(struct dd_buf *b, const char *name, const char *type, const char *help)
{
    dd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values are route patterns and fixed words: nothing to escape. */
static void render_http(struct dd_buf *b)
{
    family(b, "driftd_http_request_duration_seconds", "histogram",
           "Time to answer an HTTP request, by route pattern and status.");
    for (int r = 0; r <= MAX_ROUTES; r++) {
        if (r >= n_patterns && r != MAX_ROUTES)
            continue;
        const char *route = r == MAX_ROUTES ? "unmatched" : patterns[r];
        for (int s = 0; s < N_STATUS; s++) {
            struct hist *h = &hists[r][s];
            unsigned long long count = atomic_load_explicit(&h->count, memory_order_relaxed);
            if (!count)
                continue;
            char status[8];
            if (statuses[s])
                snprintf(status, sizeof status, "%d", statuses[s]);
            else
                snprintf(status, sizeof status, "other");
            unsigned long long cum = 0;
            for (int k = 0; k < N_BUCKETS; k++) {
                cum += atomic_load_explicit(&h->buckets[k], memory_order_relaxed);
                dd_buf_printf(b,
                              "driftd_http_request_duration_seconds_bucket{route=\"%s\",status=\"%"
                              "s\",le=\"%g\"} %llu\n",
                              route, status, bounds[k], cum);
            }
            /* count read before the buckets can be behind them; +Inf must equal _count */
            if (count < cum)
                count = cum;
            dd_buf_printf(b,
                          "driftd_http_request_duration_seconds_bucket{route=\"%s\",status=\"%s\","
                          "le=\"+Inf\"} %llu\n",
                          route, status, count);
            dd_buf_printf(
                b, "driftd_http_request_duration_seconds_sum{route=\"%s\",status=\"%s\"} %.6f\n",
                route, status,
                (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
            dd_buf_printf(
                b, "driftd_http_request_duration_seconds_count{route=\"%s\",status=\"%s\"} %llu\n",
                route, status, count);
        }
    }
}

/* Model names match [A-Za-z0-9._-]: nothing to escape. */
static void render_models(struct dd_buf *b)
{
    static const char *const fam[2][2] = {
        {"driftd_events_ingested_total",
         "Events stored (committed) since start, by model; models over the cap are counted"
         " under model=\"" METRICS_OTHER_MODEL "\"."},
        {"driftd_events_duplicate_total",
         "Events not stored again because their id was already stored, by model."}};
    pthread_mutex_lock(&models_mu);
    for (int f = 0; f < 2; f++) {
        family(b, fam[f][0], "counter", fam[f][1]);
        for (size_t i = 0; i < n_models; i++)
            dd_buf_printf(b, "%s{model=\"%s\"} %llu\n", fam[f][0], models[i].name,
                          (unsigned long long)(f ? models[i].duplicates : models[i].accepted));
        if (other.accepted || other.duplicates)
            dd_buf_printf(b, "%s{model=\"" METRICS_OTHER_MODEL "\"} %llu\n", fam[f][0],
                          (unsigned long long)(f ? other.duplicates : other.accepted));
    }
    pthread_mutex_unlock(&models_mu);
}

void metrics_render(struct dd_buf *b, const struct writer_stats *ws)
{
    family(b, "driftd_ingest_events_accepted_total", "counter",
           "Events stored (committed) since start.");
    dd_buf_printf(b, "driftd_ingest_events_accepted_total %llu\n",
                  (unsigned long long)ws->accepted);
    family(b, "driftd_ingest_events_duplicate_total", "counter",
           "Events not stored again because their id was already stored.");
    dd_buf_printf(b, "driftd_ingest_events_duplicate_total %llu\n",
                  (unsigned long long)ws->duplicates);
    render_models(b);
    family(b, "driftd_ingest_requests_rejected_total", "counter",
           "Ingest requests refused, by error code.");
    for (int i = 0; i < N_REJECT; i++)
        dd_buf_printf(b, "driftd_ingest_requests_rejected_total{code=\"%s\"} %llu\n",
                      reject_codes[i], atomic_load_explicit(&rejected[i], memory_order_relaxed));
    family(b, "driftd_ingest_commits_total", "counter", "Writer transactions committed.");
    dd_buf_printf(b, "driftd_ingest_commits_total %llu\n", (unsigned long long)ws->commits);
    family(b, "driftd_ingest_queue_jobs", "gauge", "Requests waiting for the writer.");
    dd_buf_printf(b, "driftd_ingest_queue_jobs %zu\n", ws->queue_jobs);
    family(b, "driftd_ingest_queue_bytes", "gauge", "Memory of batches waiting for the writer.");
    dd_buf_printf(b, "driftd_ingest_queue_bytes %zu\n", ws->queue_bytes);
    family(b, "driftd_storage_full", "gauge",
           "1 while the disk holding the database is full and writes are refused (readyz 503).");
    dd_buf_printf(b, "driftd_storage_full %d\n", ws->storage_full ? 1 : 0);
    family(b, "driftd_storage_full_refused_total", "counter",
           "Writes refused because the disk holding the database was full.");
    dd_buf_printf(b, "driftd_storage_full_refused_total %llu\n",
                  (unsigned long long)ws->full_refused);
    render_http(b);
}
