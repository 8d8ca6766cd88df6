/* h_grafana.c — the Grafana JSON datasource under /grafana/ (plugin
 * simpod-json-datasource 0.6.x, and the legacy grafana-simple-json-datasource;
 * docs/grafana.md says what each metric means).
 *
 *   GET  /grafana, /grafana/         "Save & test": 200
 *   POST /grafana/metrics            the metrics, each with its payload fields
 *   POST /grafana/metric-payload-options   a payload field's options
 *   POST /grafana/query              time series, the drift report table,
 *                                    annotations (alerts, verdict changes)
 *   POST /grafana/variable           models, versions, signals, methods
 *   POST /grafana/tag-keys, /tag-values    ad hoc filter keys and values
 *   POST /grafana/search, /annotations     the legacy plugin's calls
 *   OPTIONS /grafana/...           CORS preflight (grafana_cors_origin)
 *
 * Bodies are read by grafana_req_parse() (grafana.h: lenient, errors name
 * the member); the series come from server/store/series.h, one point per
 * bucket of grafana_bucket_ms(), so a panel gets at most maxDataPoints
 * points per series however long its range.  A target names versions
 * through its payload (model, version, signal, method: any when absent) and
 * the ad hoc filters; each matching version (and signal and method) is one
 * series, a typed frame whose number field carries them as labels (the
 * legacy plugin gets {"target", "datapoints"}).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "server/api/answer.h"
#include "server/api/api.h"
#include "server/api/grafana.h"
#include "server/api/handlers.h"
#include "server/store/series.h"
#include "server/store/store.h"

#define GRAFANA_SERIES_MAX 500         /* series one /query answers at most */
#define GRAFANA_ANNOTATIONS_MAX 1000   /* annotations one target answers at most */
#define GRAFANA_LATENCY_VALUES 2000000 /* latencies one series reads at most (~32 MB) */

enum metric_kind { M_DRIFT, M_VERDICT, M_EVENTS, M_LATENCY, M_TABLE, M_ANNOTATIONS };
enum metric_value { V_STATISTIC, V_P_VALUE, V_FLAG, V_RATE, V_CONFIDENCE, V_ACCURACY, V_NONE };
enum anno_what { A_ALERTS = 1, A_VERDICTS = 2 };

#define K_MV ((1 << GRAFANA_MODEL) | (1 << GRAFANA_VERSION))
#define K_ALL (K_MV | (1 << GRAFANA_SIGNAL) | (1 << GRAFANA_METHOD))

/* Every metric the datasource offers (POST /grafana/metrics), in its order. */
static const struct metric {
    const char *name, *label;
    enum metric_kind kind;
    int keys; /* the payload fields that apply */
    enum metric_value value;
    double q; /* latency quantile; annotations: enum anno_what */
} metrics[] = {
    {"drift_statistic", "Drift statistic", M_DRIFT, K_ALL, V_STATISTIC, 0},
    {"drift_p_value", "Drift p-value", M_DRIFT, K_ALL, V_P_VALUE, 0},
    {"drift_flag", "Drift flag (0/1)", M_DRIFT, K_ALL, V_FLAG, 0},
    {"drift_verdict", "Drift verdict per version (0 ok, 1 drift)", M_VERDICT, K_MV, V_NONE, 0},
    {"event_rate", "Events per second", M_EVENTS, K_MV, V_RATE, 0},
    {"latency_p50", "Latency p50 (ms)", M_LATENCY, K_MV, V_NONE, 0.5},
    {"latency_p90", "Latency p90 (ms)", M_LATENCY, K_MV, V_NONE, 0.9},
    {"latency_p99", "Latency p99 (ms)", M_LATENCY, K_MV, V_NONE, 0.99},
    {"confidence_mean", "Mean confidence", M_EVENTS, K_MV, V_CONFIDENCE, 0},
    {"accuracy", "Accuracy (labelled events)", M_EVENTS, K_MV, V_ACCURACY, 0},
    {"drift_report", "Latest drift report (table)", M_TABLE, K_ALL, V_NONE, 0},
    {"annotations", "Alerts and verdict changes (annotations)", M_ANNOTATIONS, K_MV, V_NONE,
     A_ALERTS | A_VERDICTS},
    {"alerts", "Alerts (annotations)", M_ANNOTATIONS, K_MV, V_NONE, A_ALERTS},
    {"verdict_changes", "Drift verdict changes (annotations)", M_ANNOTATIONS, K_MV, V_NONE,
     A_VERDICTS},
};
#define N_METRICS (sizeof metrics / sizeof metrics[0])

static const struct metric *metric_find(const char *name)
{
    for (size_t i = 0; name && i < N_METRICS; i++)
        if (!strcmp(metrics[i].name, name))
            return &metrics[i];
    return NULL;
}

/* ---- shared steps ---- */

/* The parsed body, or answered (400 naming the member, 413). */
static int req_or_reply(struct http_req *r, struct grafana_req *g)
{
    struct dd_buf body;
    dd_buf_init(&body);
    if (http_read_body_or_reply(r, GRAFANA_BODY_MAX, &body) != 0) {
        dd_buf_release(&body);
        return -1;
    }
    char err[300];
    int rc = grafana_req_parse(body.data ? body.data : "", body.len, g, err, sizeof err);
    dd_buf_release(&body);
    if (rc != 0) {
        grafana_req_release(g);
        http_reply_error(r, 400,
                         strncmp(err, "the body is not", 15) ? "invalid_body" : "invalid_json", -1,
                         "%s", err);
        return -1;
    }
    return 0;
}

/* A metric named by a request, or the 400 naming it. */
static const struct metric *metric_or_reply(struct http_req *r, const char *what, const char *name)
{
    const struct metric *m = metric_find(name);
    if (!m)
        http_reply_error(r, 400, "invalid_query", -1,
                         "%s: unknown metric '%.200s' (POST /grafana/metrics lists them)", what,
                         name ? name : "");
    return m;
}

/* Names, kept sorted and unique by names_done(). */
struct names {
    char **v;
    size_t n, cap;
};

static void names_add(struct names *ns, const char *s)
{
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 16;
        ns->v = dd_realloc(ns->v, ns->cap * sizeof *ns->v);
    }
    ns->v[ns->n++] = dd_strdup(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_done(struct names *ns)
{
    if (ns->n)
        qsort(ns->v, ns->n, sizeof *ns->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < ns->n; i++) {
        if (k && !strcmp(ns->v[k - 1], ns->v[i]))
            free(ns->v[i]);
        else
            ns->v[k++] = ns->v[i];
    }
    ns->n = k;
}

static void names_release(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

/* A JSON array answer: array_begin(), the elements, array_reply() (200;
 * releases b). */
static void array_begin(struct dd_buf *b)
{
    dd_buf_init(b);
    dd_buf_putc(b, '[');
}

static void array_reply(struct http_req *r, struct dd_buf *b)
{
    dd_buf_putc(b, ']');
    http_reply_json(r, 200, b);
    dd_buf_release(b);
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : (double)NAN;
}

/* Walks the versions a target and the filters select: fn(model, version)
 * for each, until fn answers non-zero (answered). */
struct walk {
    struct http_req *r;
    const struct grafana_req *g;
    const struct grafana_target *t;
    void *ctx;
};
static int each_version(struct walk *w, int (*fn)(struct walk *w, const char *m, const char *v))
{
    struct store_model_info *ms = NULL;
    size_t n = 0;
    if (store_r_models(api_of(w->r)->store, NULL, &ms, &n) != 0) {
        http_reply_error(w->r, 500, "internal", -1, "cannot read the models");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!grafana_match(w->g, w->t, GRAFANA_MODEL, ms[i].name))
            continue;
        for (size_t j = 0; rc == 0 && j < ms[i].n_versions; j++)
            if (grafana_match(w->g, w->t, GRAFANA_VERSION, ms[i].versions[j].name))
                rc = fn(w, ms[i].name, ms[i].versions[j].name);
    }
    store_models_free(ms, n);
    return rc;
}

static int read_failed(struct http_req *r, int rc)
{
    answer_error(r, rc, "cannot read the stored series");
    return -1;
}

/* A version's latest evaluation into *latest (release its body): 1, 0 when
 * it has none, -1 when answered. */
static int read_latest(struct walk *w, const char *model, const char *version,
                       struct series_latest *latest)
{
    memset(latest, 0, sizeof *latest);
    int rc = series_r_latest(api_of(w->r)->store, model, version, latest);
    if (rc == DD_ENOTFOUND)
        return 0;
    return rc != 0 ? read_failed(w->r, rc) : 1;
}

/* fn over the window of a version's latest evaluation (the one its verdicts
 * are read over); nothing for a version with none.  -1 when answered. */
static int in_latest_window(struct walk *w, const char *model, const char *version,
                            int (*fn)(struct walk *w, const char *model, const char *version,
                                      const char *window))
{
    struct series_latest latest;
    int rc = read_latest(w, model, version, &latest);
    if (rc <= 0)
        return rc;
    rc = fn(w, model, version, latest.window);
    free(latest.body);
    return rc;
}

/* A row of a version's latest drift report (its latest evaluation). */
struct signal_row {
    const char *model, *version;
    const char *signal, *method; /* "" when the row has none */
    const cJSON *json;
    int64_t computed_ms; /* the report's */
};

/* fn for each row of the version's latest drift report (none when it has
 * none), until fn answers non-zero; -1 when answered. */
static int each_signal(struct walk *w, const char *model, const char *version,
                       int (*fn)(struct walk *w, const struct signal_row *s))
{
    struct series_latest latest;
    int rc = read_latest(w, model, version, &latest);
    if (rc <= 0)
        return rc;
    cJSON *body = cJSON_Parse(latest.body);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(body, "signals"), *row;
    if (!cJSON_IsArray(rows))
        rows = NULL; /* an object's members are no rows */
    int e = 0;
    cJSON_ArrayForEach(row, rows)
    {
        struct signal_row s = {.model = model,
                               .version = version,
                               .signal = jstr(row, "signal"),
                               .method = jstr(row, "method"),
                               .json = row,
                               .computed_ms = latest.computed_ms};
        if ((e = fn(w, &s)) != 0)
            break;
    }
    cJSON_Delete(body);
    free(latest.body);
    return e ? -1 : 0;
}

/* A call's skeleton: the body parsed (or the 400 answered), fn, and what
 * fn was given released; ns is a list of names fn may fill. */
static void serve(struct http_req *r,
                  void (*fn)(struct http_req *r, struct grafana_req *g, struct names *ns))
{
    struct grafana_req g;
    if (req_or_reply(r, &g) != 0)
        return;
    struct names ns = {0};
    fn(r, &g, &ns);
    names_release(&ns);
    grafana_req_release(&g);
}

/* ---- GET /grafana ---- */

void h_grafana_test(struct http_req *r)
{
    http_reply_jsonf(r, 200, "{\"status\":\"ok\",\"datasource\":\"driftd\",\"metrics\":%zu}",
                     N_METRICS);
}

/* ---- POST /grafana/metrics ---- */

static void serve_metrics(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    (void)g; /* read only to refuse a body that is not JSON */
    (void)ns;
    struct dd_buf b;
    array_begin(&b);
    for (size_t i = 0; i < N_METRICS; i++) {
        const struct metric *m = &metrics[i];
        int first = 1;
        dd_buf_puts(&b, i ? ",{" : "{");
        dd_json_kstr(&b, &first, "label", m->label);
        dd_json_kstr(&b, &first, "value", m->name);
        dd_json_key(&b, "payloads", &first);
        dd_buf_putc(&b, '[');
        int pf = 1;
        for (int k = 0; k < GRAFANA_KEYS; k++) {
            if (!(m->keys & (1 << k)))
                continue;
            int f = 1;
            dd_buf_puts(&b, pf ? "{" : ",{");
            pf = 0;
            dd_json_kstr(&b, &f, "name", grafana_key_names[k]);
            dd_json_kstr(&b, &f, "label", grafana_key_names[k]);
            dd_json_kstr(&b, &f, "type", k == GRAFANA_MODEL ? "select" : "multi-select");
            dd_json_kstr(&b, &f, "placeholder", "any");
            dd_json_kbool(&b, &f, "reloadMetric", 0);
            dd_buf_putc(&b, '}');
        }
        dd_buf_puts(&b, "]}");
    }
    array_reply(r, &b);
}

void h_grafana_metrics(struct http_req *r)
{
    serve(r, serve_metrics);
}

/* ---- names: payload options, variables, tag values ---- */

struct list_ctx {
    enum grafana_key key;
    struct names *out;
};

static int list_signal(struct walk *w, const struct signal_row *s)
{
    struct list_ctx *c = w->ctx;
    if (!*s->signal || !grafana_match(w->g, w->t, GRAFANA_SIGNAL, s->signal))
        return 0;
    if (c->key == GRAFANA_SIGNAL)
        names_add(c->out, s->signal);
    else if (*s->method && grafana_match(w->g, w->t, GRAFANA_METHOD, s->method))
        names_add(c->out, s->method);
    return 0;
}

static int list_version(struct walk *w, const char *model, const char *version)
{
    struct list_ctx *c = w->ctx;
    if (c->key == GRAFANA_MODEL || c->key == GRAFANA_VERSION) {
        names_add(c->out, c->key == GRAFANA_MODEL ? model : version);
        return 0;
    }
    return each_signal(w, model, version, list_signal);
}

/* The names of key among what t and the ad hoc filters select (t's own
 * selection of key is left out: the options of a field show every choice);
 * -1 when answered. */
static int list_names(struct http_req *r, const struct grafana_req *g,
                      const struct grafana_target *t, enum grafana_key key, struct names *out)
{
    struct grafana_target open = t ? *t : (struct grafana_target){0};
    open.sel[key] = (struct grafana_sel){0};
    struct list_ctx c = {key, out};
    struct walk w = {r, g, &open, &c};
    if (each_version(&w, list_version) != 0)
        return -1;
    names_done(out);
    return 0;
}

/* [{"label": x, "value": x}], [{"__text": x, "__value": x}], [{"text": x}]
 * or ["x"] */
enum list_shape { L_OPTIONS, L_VARIABLE, L_TAGS, L_STRINGS };
static void reply_names(struct http_req *r, const struct names *ns, enum list_shape shape)
{
    static const char *const keys[][2] = {
        {"label", "value"}, {"__text", "__value"}, {"text", NULL}, {NULL, NULL}};
    struct dd_buf b;
    array_begin(&b);
    for (size_t i = 0; i < ns->n; i++) {
        if (i)
            dd_buf_putc(&b, ',');
        if (shape == L_STRINGS) {
            dd_json_str(&b, ns->v[i]);
            continue;
        }
        int first = 1;
        dd_buf_putc(&b, '{');
        for (int k = 0; k < 2 && keys[shape][k]; k++)
            dd_json_kstr(&b, &first, keys[shape][k], ns->v[i]);
        dd_buf_putc(&b, '}');
    }
    array_reply(r, &b);
}

static void serve_payload_options(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    enum grafana_key key;
    const struct metric *m = metric_or_reply(r, "metric", g->metric);
    if (!m)
        return;
    for (key = 0; key < GRAFANA_KEYS; key++)
        if (g->name && !strcmp(g->name, grafana_key_names[key]))
            break;
    if (key == GRAFANA_KEYS || !(m->keys & (1 << key))) {
        http_reply_error(r, 400, "invalid_body", -1,
                         "name: metric '%s' has no payload field '%.100s'", m->name,
                         g->name ? g->name : "");
        return;
    }
    if (list_names(r, g, &g->payload, key, ns) == 0)
        reply_names(r, ns, L_OPTIONS);
}

void h_grafana_payload_options(struct http_req *r)
{
    serve(r, serve_payload_options);
}

static void serve_tag_keys(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    (void)g; /* read only to refuse a body that is not JSON */
    (void)ns;
    struct dd_buf b;
    array_begin(&b);
    for (int k = 0; k < GRAFANA_KEYS; k++)
        dd_buf_printf(&b, "%s{\"type\":\"string\",\"text\":\"%s\"}", k ? "," : "",
                      grafana_key_names[k]);
    array_reply(r, &b);
}

void h_grafana_tag_keys(struct http_req *r)
{
    serve(r, serve_tag_keys);
}

static void serve_tag_values(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    int k = 0;
    while (k < GRAFANA_KEYS && !(g->key && !strcmp(g->key, grafana_key_names[k])))
        k++;
    if (k == GRAFANA_KEYS)
        http_reply_error(r, 400, "invalid_body", -1,
                         "key: '%.100s' is not a tag key (model, version, signal, method)",
                         g->key ? g->key : "");
    else if (list_names(r, g, NULL, (enum grafana_key)k, ns) == 0)
        reply_names(r, ns, L_TAGS);
}

void h_grafana_tag_values(struct http_req *r)
{
    serve(r, serve_tag_values);
}

/* A variable query "versions MODEL" etc. (docs/grafana.md): 0 and the
 * names, 1 when it is no such query, -1 when answered. */
static int variable_names(struct http_req *r, struct grafana_req *g, const char *text,
                          struct names *ns)
{
    static const char *const kinds[] = {"models", "versions", "signals", "methods"};
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text ? text : "");
    char *save = NULL, *word = strtok_r(buf, " \t,/", &save);
    if (word && (!strcasecmp(word, "metrics") || !strcasecmp(word, "metric"))) {
        for (size_t i = 0; i < N_METRICS; i++)
            names_add(ns, metrics[i].name);
        return 0;
    }
    int kind = -1;
    for (int k = 0; word && k < GRAFANA_KEYS; k++)
        if (!strcasecmp(word, kinds[k]) || !strcasecmp(word, grafana_key_names[k]))
            kind = k;
    if (kind < 0)
        return 1;
    struct grafana_target t = g->payload; /* a JSON query's model, version, ... members */
    for (int k = 0; k < kind; k++) {
        char *arg = strtok_r(NULL, " \t,/", &save);
        if (arg && grafana_sel_parse(&g->arena, (enum grafana_key)k, arg, &t.sel[k]) != 0) {
            http_reply_error(r, 400, "invalid_body", -1,
                             "variable query: '%.200s' is not a %s name", arg,
                             grafana_key_names[k]);
            return -1;
        }
    }
    return list_names(r, g, &t, (enum grafana_key)kind, ns);
}

static void serve_variable(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    int rc = variable_names(r, g, g->target, ns);
    if (rc == 1)
        http_reply_error(r, 400, "invalid_body", -1,
                         "payload: variable query '%.200s' is none of: models, versions MODEL, "
                         "signals MODEL VERSION, methods MODEL VERSION SIGNAL, metrics",
                         g->target ? g->target : "");
    else if (rc == 0)
        reply_names(r, ns, L_VARIABLE);
}

void h_grafana_variable(struct http_req *r)
{
    serve(r, serve_variable);
}

static void serve_search(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    int rc = variable_names(r, g, g->target, ns);
    if (rc == 1) { /* not a variable query: the metrics whose name holds the text */
        for (size_t i = 0; i < N_METRICS; i++)
            if (!g->target || strstr(metrics[i].name, g->target))
                names_add(ns, metrics[i].name);
        if (!ns->n)
            for (size_t i = 0; i < N_METRICS; i++)
                names_add(ns, metrics[i].name);
        rc = 0;
    }
    if (rc == 0)
        reply_names(r, ns, L_STRINGS);
}

void h_grafana_search(struct http_req *r)
{
    serve(r, serve_search);
}

/* ---- POST /grafana/query ---- */

struct query_ctx {
    const struct metric *m;
    int64_t bucket_ms;
    size_t series; /* answered so far */
    struct dd_buf *b;
    int frames; /* frames written */
    /* M_TABLE: rows written */
    int rows;
};

/* A series' display name: "model/version[ signal][ method]". */
static void series_name(char *out, size_t size, const char *model, const char *version,
                        const char *signal, const char *method)
{
    snprintf(out, size, "%s/%s%s%s%s%s", model, version, signal ? " " : "", signal ? signal : "",
             method ? " " : "", method ? method : "");
}

/* A frame's head up to the number field's values, or the legacy target. */
static int series_begin(struct walk *w, const char *model, const char *version, const char *signal,
                        const char *method)
{
    struct query_ctx *q = w->ctx;
    if (++q->series > GRAFANA_SERIES_MAX) {
        http_reply_error(w->r, 400, "invalid_query", -1,
                         "target '%s' (refId %s) matches more than %d series: narrow it with its "
                         "payload (model, version, signal, method) or ad hoc filters",
                         q->m->name, w->t->ref_id, GRAFANA_SERIES_MAX);
        return -1;
    }
    char name[600];
    series_name(name, sizeof name, model, version, signal, method);
    struct dd_buf *b = q->b;
    if (q->frames++)
        dd_buf_putc(b, ',');
    int first = 1;
    dd_buf_putc(b, '{');
    if (w->t->legacy) {
        dd_json_kstr(b, &first, "target", name);
        dd_json_key(b, "datapoints", &first);
        dd_buf_putc(b, '[');
        return 0;
    }
    dd_json_kstr(b, &first, "name", name);
    dd_json_kstr(b, &first, "refId", w->t->ref_id);
    dd_buf_puts(b, ",\"fields\":[{\"name\":\"time\",\"type\":\"time\",\"values\":[");
    return 0;
}

/* The rest of a frame: the number field with its labels. */
static void series_end(struct walk *w, const double *v, size_t n, const char *model,
                       const char *version, const char *signal, const char *method)
{
    struct query_ctx *q = w->ctx;
    struct dd_buf *b = q->b;
    if (w->t->legacy) {
        dd_buf_puts(b, "]}");
        return;
    }
    dd_buf_puts(b, "]},{\"name\":");
    dd_json_str(b, q->m->name);
    dd_buf_puts(b, ",\"type\":\"number\",\"values\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            dd_buf_putc(b, ',');
        dd_json_num(b, v[i]);
    }
    dd_buf_puts(b, "],\"labels\":{");
    int first = 1;
    dd_json_kstr(b, &first, "model", model);
    dd_json_kstr(b, &first, "version", version);
    if (signal)
        dd_json_kstr(b, &first, "signal", signal);
    if (method)
        dd_json_kstr(b, &first, "method", method);
    dd_buf_puts(b, "},\"config\":{\"displayNameFromDS\":");
    char name[600];
    series_name(name, sizeof name, model, version, signal, method);
    dd_json_str(b, name);
    dd_buf_puts(b, "}}]}");
}

/* A series' points: parallel arrays of times and values (NaN: none). */
struct points {
    int64_t *t;
    double *v;
    size_t n;
};

static struct points points_new(size_t n)
{
    return (struct points){dd_malloc((n ? n : 1) * sizeof(int64_t)),
                           dd_malloc((n ? n : 1) * sizeof(double)), n};
}

/* One series of p's points, which it frees: NaN values are written as
 * null; a series whose values are all NaN is left out. */
static int emit_series(struct walk *w, struct points *p, const char *model, const char *version,
                       const char *signal, const char *method)
{
    const int64_t *t = p->t;
    const double *v = p->v;
    size_t n = p->n, real = 0;
    for (size_t i = 0; i < n; i++)
        real += !isnan(v[i]);
    int e = real ? series_begin(w, model, version, signal, method) : 1;
    struct dd_buf *b = ((struct query_ctx *)w->ctx)->b;
    for (size_t i = 0; e == 0 && i < n; i++) {
        if (w->t->legacy) {
            dd_buf_puts(b, i ? ",[" : "[");
            dd_json_num(b, v[i]);
            dd_buf_printf(b, ",%lld]", (long long)t[i]);
        } else {
            dd_buf_printf(b, "%s%lld", i ? "," : "", (long long)t[i]);
        }
    }
    if (e == 0)
        series_end(w, v, n, model, version, signal, method);
    free(p->t);
    free(p->v);
    return e < 0 ? -1 : 0;
}

static int drift_signal(struct walk *w, const struct signal_row *s)
{
    struct query_ctx *q = w->ctx;
    if (!*s->signal || !*s->method || !grafana_match(w->g, w->t, GRAFANA_SIGNAL, s->signal) ||
        !grafana_match(w->g, w->t, GRAFANA_METHOD, s->method))
        return 0;
    struct series_drift *p = NULL;
    size_t n = 0;
    int rc = series_r_drift(api_of(w->r)->store, s->model, s->version, s->signal, s->method,
                            w->g->from_ms, w->g->to_ms, q->bucket_ms, &p, &n);
    if (rc != 0)
        return read_failed(w->r, rc);
    struct points pts = points_new(n);
    for (size_t i = 0; i < n; i++) {
        pts.t[i] = p[i].t_ms;
        pts.v[i] = q->m->value == V_STATISTIC ? p[i].statistic
                   : q->m->value == V_P_VALUE ? p[i].p_value
                                              : (double)p[i].drift;
    }
    free(p);
    return emit_series(w, &pts, s->model, s->version, s->signal, s->method);
}

static int drift_series(struct walk *w, const char *model, const char *version)
{
    return each_signal(w, model, version, drift_signal);
}

static int value_series(struct walk *w, const struct series_value *p, size_t n, const char *model,
                        const char *version)
{
    struct points pts = points_new(n);
    for (size_t i = 0; i < n; i++)
        pts.t[i] = p[i].t_ms, pts.v[i] = p[i].value;
    return emit_series(w, &pts, model, version, NULL, NULL);
}

static int verdicts_of_window(struct walk *w, const char *model, const char *version,
                              const char *window)
{
    struct query_ctx *q = w->ctx;
    struct series_value *p = NULL;
    size_t n = 0;
    int rc = series_r_verdicts(api_of(w->r)->store, model, version, window, w->g->from_ms,
                               w->g->to_ms, q->bucket_ms, &p, &n);
    if (rc != 0)
        return read_failed(w->r, rc);
    int e = value_series(w, p, n, model, version);
    free(p);
    return e;
}

static int verdict_series(struct walk *w, const char *model, const char *version)
{
    return in_latest_window(w, model, version, verdicts_of_window);
}

static int event_series(struct walk *w, const char *model, const char *version)
{
    struct query_ctx *q = w->ctx;
    struct series_events *p = NULL;
    size_t n = 0;
    int rc = series_r_events(api_of(w->r)->store, model, version, w->g->from_ms, w->g->to_ms,
                             q->bucket_ms, &p, &n);
    if (rc != 0)
        return read_failed(w->r, rc);
    struct points pts = points_new(n);
    for (size_t i = 0; i < n; i++) {
        pts.t[i] = p[i].t_ms;
        if (q->m->value == V_RATE)
            pts.v[i] = (double)p[i].count * 1000.0 / (double)q->bucket_ms;
        else if (q->m->value == V_CONFIDENCE)
            pts.v[i] = p[i].confidence_mean;
        else
            pts.v[i] = p[i].labelled ? (double)p[i].correct / (double)p[i].labelled : (double)NAN;
    }
    free(p);
    return emit_series(w, &pts, model, version, NULL, NULL);
}

static int latency_series(struct walk *w, const char *model, const char *version)
{
    struct query_ctx *q = w->ctx;
    struct series_value *p = NULL;
    size_t n = 0;
    int cut = 0;
    int rc = series_r_latency(api_of(w->r)->store, model, version, w->g->from_ms, w->g->to_ms,
                              q->bucket_ms, q->m->q, GRAFANA_LATENCY_VALUES, &p, &n, &cut);
    if (rc != 0)
        return read_failed(w->r, rc);
    int e = value_series(w, p, n, model, version);
    free(p);
    return e;
}

static int table_row(struct walk *w, const struct signal_row *s)
{
    struct query_ctx *q = w->ctx;
    struct dd_buf *b = q->b;
    if (!grafana_match(w->g, w->t, GRAFANA_SIGNAL, s->signal) ||
        !grafana_match(w->g, w->t, GRAFANA_METHOD, s->method))
        return 0;
    const cJSON *drift = cJSON_GetObjectItemCaseSensitive(s->json, "drift");
    const char *status = jstr(s->json, "status");
    dd_buf_puts(b, q->rows++ ? ",[" : "[");
    dd_buf_printf(b, "%lld", (long long)s->computed_ms);
    const char *text[] = {s->model, s->version, s->signal, s->method};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        dd_buf_putc(b, ',');
        dd_json_str(b, text[i]);
    }
    const char *num[] = {"statistic", "p_value", "threshold", "drift", "n_ref", "n_cur"};
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
        dd_buf_putc(b, ',');
        if (strcmp(num[i], "drift") != 0)
            dd_json_num(b, jnum(s->json, num[i]));
        else if (cJSON_IsBool(drift)) /* drift: 0/1, or null */
            dd_json_int(b, cJSON_IsTrue(drift));
        else
            dd_buf_puts(b, "null");
    }
    dd_buf_putc(b, ',');
    dd_json_str(b, *status ? status : cJSON_IsTrue(drift) ? "drift" : "ok");
    dd_buf_putc(b, ']');
    return 0;
}

static int table_rows(struct walk *w, const char *model, const char *version)
{
    return each_signal(w, model, version, table_row);
}

static int table_frame(struct walk *w)
{
    struct query_ctx *q = w->ctx;
    struct dd_buf *b = q->b;
    if (q->frames++)
        dd_buf_putc(b, ',');
    dd_buf_puts(b, "{\"type\":\"table\",\"refId\":");
    dd_json_str(b, w->t->ref_id);
    dd_buf_puts(b, ",\"columns\":[{\"text\":\"Time\",\"type\":\"time\"},"
                   "{\"text\":\"model\",\"type\":\"string\"},{\"text\":\"version\",\"type\":"
                   "\"string\"},{\"text\":\"signal\",\"type\":\"string\"},{\"text\":\"method\","
                   "\"type\":\"string\"},{\"text\":\"statistic\",\"type\":\"number\"},"
                   "{\"text\":\"p_value\",\"type\":\"number\"},{\"text\":\"threshold\",\"type\":"
                   "\"number\"},{\"text\":\"drift\",\"type\":\"number\"},{\"text\":\"n_ref\","
                   "\"type\":\"number\"},{\"text\":\"n_cur\",\"type\":\"number\"},"
                   "{\"text\":\"status\",\"type\":\"string\"}],\"rows\":[");
    q->rows = 0;
    if (each_version(w, table_rows) != 0)
        return -1;
    dd_buf_puts(b, "]}");
    return 0;
}

/* ---- annotations ---- */

struct anno {
    int64_t t, t_end;
    char title[400];
    char text[800];
    char tags[600];
};
struct annos {
    struct anno *v;
    size_t n, cap;
    int what; /* enum anno_what */
};

static struct anno *anno_push(struct annos *a)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 32;
        a->v = dd_realloc(a->v, a->cap * sizeof *a->v);
    }
    struct anno *x = &a->v[a->n++];
    memset(x, 0, sizeof *x);
    return x;
}

static int verdict_changes_of_window(struct walk *w, const char *model, const char *version,
                                     const char *window)
{
    struct annos *a = w->ctx;
    struct series_value *p = NULL;
    size_t n = 0;
    int prev = -1;
    int rc = series_r_verdict_list(api_of(w->r)->store, model, version, window, w->g->from_ms,
                                   w->g->to_ms, GRAFANA_ANNOTATIONS_MAX * 100, &p, &n, &prev);
    if (rc != 0)
        return read_failed(w->r, rc);
    for (size_t i = 0; i < n && a->n < GRAFANA_ANNOTATIONS_MAX; i++) {
        int now = p[i].value > 0.5;
        if (now != prev && (prev >= 0 || now)) {
            struct anno *x = anno_push(a);
            x->t = x->t_end = p[i].t_ms;
            snprintf(x->title, sizeof x->title, "%s/%s: %s", model, version,
                     now ? "drift detected" : "drift cleared");
            snprintf(x->text, sizeof x->text, "the verdict of %s/%s (window %s) went %s -> %s",
                     model, version, window,
                     prev < 0 ? "none"
                     : prev   ? "drift"
                              : "ok",
                     now ? "drift" : "ok");
            snprintf(x->tags, sizeof x->tags, "driftd,verdict,%s,%s,%s", now ? "drift" : "ok",
                     model, version);
        }
        prev = now;
    }
    free(p);
    return 0;
}

static int verdict_annos(struct walk *w, const char *model, const char *version)
{
    return in_latest_window(w, model, version, verdict_changes_of_window);
}

static int alert_annos(struct walk *w, struct annos *a)
{
    struct store_alert *al = NULL;
    size_t n = 0;
    const struct grafana_target *t = w->t;
    /* one model or version named: let SQLite filter; the rest is matched here */
    const char *model = t->sel[GRAFANA_MODEL].n == 1 ? t->sel[GRAFANA_MODEL].v[0] : NULL;
    const char *version = t->sel[GRAFANA_VERSION].n == 1 ? t->sel[GRAFANA_VERSION].v[0] : NULL;
    int rc = series_r_alerts(api_of(w->r)->store, model, version, w->g->from_ms, w->g->to_ms,
                             GRAFANA_ANNOTATIONS_MAX, &al, &n);
    if (rc != 0)
        return read_failed(w->r, rc);
    for (size_t i = 0; i < n && a->n < GRAFANA_ANNOTATIONS_MAX; i++) {
        if (!grafana_match(w->g, t, GRAFANA_MODEL, al[i].model) ||
            !grafana_match(w->g, t, GRAFANA_VERSION, al[i].version))
            continue;
        struct anno *x = anno_push(a);
        x->t = al[i].started_ms;
        x->t_end = al[i].resolved_ms >= 0 ? al[i].resolved_ms : w->g->to_ms;
        snprintf(x->title, sizeof x->title, "alert %s %s: %s/%s", al[i].rule_id,
                 al[i].resolved_ms >= 0 ? "resolved" : al[i].state, al[i].model, al[i].version);
        char value[40] = "none";
        if (!isnan(al[i].value))
            snprintf(value, sizeof value, "%.6g", al[i].value);
        snprintf(x->text, sizeof x->text, "rule %s on %s/%s, value %s, labels %.200s",
                 al[i].rule_id, al[i].model, al[i].version, value,
                 al[i].labels ? al[i].labels : "{}");
        snprintf(x->tags, sizeof x->tags, "driftd,alert,%s,%s,%s,%s", al[i].state, al[i].rule_id,
                 al[i].model, al[i].version);
    }
    store_alerts_free(al, n);
    return 0;
}

static int cmp_anno(const void *x, const void *y)
{
    const struct anno *a = x, *b = y;
    return (a->t > b->t) - (a->t < b->t);
}

/* The annotations of a target (what: enum anno_what) into a's array. */
static int collect_annos(struct walk *w, struct annos *a)
{
    void *ctx = w->ctx;
    w->ctx = a;
    int rc = 0;
    if (a->what & A_VERDICTS)
        rc = each_version(w, verdict_annos);
    if (rc == 0 && (a->what & A_ALERTS))
        rc = alert_annos(w, a);
    w->ctx = ctx;
    if (a->n) /* qsort() takes no NULL, even for nothing */
        qsort(a->v, a->n, sizeof *a->v, cmp_anno);
    return rc;
}

static void anno_frame(struct dd_buf *b, const struct annos *a, const char *ref_id)
{
    dd_buf_puts(b, "{\"name\":\"annotations\",\"refId\":");
    dd_json_str(b, ref_id);
    dd_buf_puts(b, ",\"fields\":[");
    static const char *const names[] = {"time", "timeEnd", "title", "text", "tags"};
    for (int f = 0; f < 5; f++) {
        dd_buf_printf(b, "%s{\"name\":\"%s\",\"type\":\"%s\",\"values\":[", f ? "," : "", names[f],
                      f < 2 ? "time" : "string");
        for (size_t i = 0; i < a->n; i++) {
            if (i)
                dd_buf_putc(b, ',');
            const struct anno *x = &a->v[i];
            if (f < 2)
                dd_buf_printf(b, "%lld", (long long)(f ? x->t_end : x->t));
            else
                dd_json_str(b, f == 2 ? x->title : f == 3 ? x->text : x->tags);
        }
        dd_buf_puts(b, "]}");
    }
    dd_buf_puts(b, "]}");
}

/* One target's frames into q->b; -1 when answered. */
static int query_target(struct walk *w, struct query_ctx *q)
{
    switch (q->m->kind) {
    case M_DRIFT:
        return each_version(w, drift_series);
    case M_VERDICT:
        return each_version(w, verdict_series);
    case M_EVENTS:
        return each_version(w, event_series);
    case M_LATENCY:
        return each_version(w, latency_series);
    case M_TABLE:
        return table_frame(w);
    case M_ANNOTATIONS: {
        struct annos a = {.what = (int)q->m->q};
        int rc = collect_annos(w, &a);
        if (rc == 0) {
            if (q->frames++)
                dd_buf_putc(q->b, ',');
            anno_frame(q->b, &a, w->t->ref_id);
        }
        free(a.v);
        return rc;
    }
    }
    return 0;
}

static void serve_query(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    (void)ns;
    struct dd_buf b;
    array_begin(&b);
    /* every metric is known before anything is read */
    const struct metric *ms[GRAFANA_TARGETS_MAX];
    for (size_t i = 0; i < g->n_targets; i++) {
        const struct grafana_target *t = &g->targets[i];
        ms[i] = NULL;
        if (!t->target[0] && !strcmp(t->ref_id, "Anno"))
            ms[i] = metric_find("annotations");
        else if (t->target[0]) {
            char what[48];
            snprintf(what, sizeof what, "targets[%zu].target", i);
            if (!(ms[i] = metric_or_reply(r, what, t->target)))
                goto out;
        }
    }
    struct query_ctx q = {
        .b = &b,
        .bucket_ms = grafana_bucket_ms(g->from_ms, g->to_ms, g->interval_ms, g->max_points)};
    for (size_t i = 0; i < g->n_targets; i++) {
        if (!ms[i])
            continue; /* a target with no metric picked yet */
        q.m = ms[i];
        struct walk w = {r, g, &g->targets[i], &q};
        if (query_target(&w, &q) != 0)
            goto out;
    }
    array_reply(r, &b);
out:
    dd_buf_release(&b); /* after array_reply(): nothing */
}

void h_grafana_query(struct http_req *r)
{
    serve(r, serve_query);
}

/* ---- legacy POST /grafana/annotations ---- */

static void serve_annotations(struct http_req *r, struct grafana_req *g, struct names *ns)
{
    (void)ns;
    /* annotation.query: "[alerts|verdict_changes|annotations] [MODEL [VERSION]]" */
    struct grafana_target t = {.ref_id = "Anno", .target = ""};
    struct annos a = {.what = A_ALERTS | A_VERDICTS};
    char buf[512];
    snprintf(buf, sizeof buf, "%s", g->target ? g->target : "");
    char *save = NULL, *word = strtok_r(buf, " \t,/", &save);
    const struct metric *m = metric_find(word);
    if (m && m->kind == M_ANNOTATIONS) {
        a.what = (int)m->q;
        word = strtok_r(NULL, " \t,/", &save);
    }
    for (int k = GRAFANA_MODEL; word && k <= GRAFANA_VERSION; k++) {
        if (grafana_sel_parse(&g->arena, (enum grafana_key)k, word, &t.sel[k]) != 0) {
            http_reply_error(r, 400, "invalid_body", -1,
                             "annotation.query: '%.200s' is not a %s name", word,
                             grafana_key_names[k]);
            goto out;
        }
        word = strtok_r(NULL, " \t,/", &save);
    }
    struct walk w = {r, g, &t, NULL};
    if (collect_annos(&w, &a) != 0)
        goto out;
    struct dd_buf b;
    array_begin(&b);
    for (size_t i = 0; i < a.n; i++) {
        int first = 1;
        dd_buf_puts(&b, i ? ",{" : "{");
        dd_json_kint(&b, &first, "time", a.v[i].t);
        dd_json_kint(&b, &first, "timeEnd", a.v[i].t_end);
        dd_json_kstr(&b, &first, "title", a.v[i].title);
        dd_json_kstr(&b, &first, "text", a.v[i].text);
        dd_json_key(&b, "tags", &first);
        dd_buf_putc(&b, '[');
        char *tsave = NULL;
        int tf = 1;
        for (char *tag = strtok_r(a.v[i].tags, ",", &tsave); tag;
             tag = strtok_r(NULL, ",", &tsave)) {
            if (!tf)
                dd_buf_putc(&b, ',');
            tf = 0;
            dd_json_str(&b, tag);
        }
        dd_buf_puts(&b, "]}");
    }
    array_reply(r, &b);
out:
    free(a.v);
}

void h_grafana_annotations(struct http_req *r)
{
    serve(r, serve_annotations);
}

/* ---- OPTIONS under /grafana/ ---- */

void h_grafana_preflight(struct http_req *r)
{
    const char *origin = http_header(r, "Origin");
    if (!origin) { /* not a browser's preflight: what the path allows */
        http_reply(r, 200, NULL, "", 0);
        return;
    }
    if (!r->headers) { /* routes.c set the CORS lines when the origin is allowed */
        const char *allowed = api_of(r)->grafana_cors_origin;
        http_reply_error(r, 403, "forbidden", -1,
                         "cross-origin requests from '%.200s' are not allowed: set "
                         "grafana_cors_origin%s%.200s%s",
                         origin, allowed && *allowed ? " (now '" : "", allowed ? allowed : "",
                         allowed && *allowed ? "')" : "");
        return;
    }
    /* the headers the browser asks to send, when they are plain tokens */
    const char *asked = http_header(r, "Access-Control-Request-Headers");
    int plain = asked && strlen(asked) < 512;
    for (const char *p = asked; plain && *p; p++)
        plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                strchr("-_, ", *p);
    char headers[1400];
    snprintf(headers, sizeof headers,
             "%sAccess-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
             "Access-Control-Allow-Headers: %s\r\nAccess-Control-Max-Age: 600\r\n",
             r->headers, plain ? asked : "Authorization, Content-Type");
    r->headers = headers;
    http_reply(r, 200, NULL, "", 0);
    r->headers = NULL;
}
