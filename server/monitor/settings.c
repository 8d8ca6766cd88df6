/* settings.c — per-model settings: defaults, PUT merge, JSON, evaluation. */
#include "server/monitor/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ingest/event.h"
#include "ingest/parse.h"
#include "base/timefmt.h"
#include "server/monitor/monitor.h"
#include "server/store/store.h"

static const char *const kinds[3] = {"numeric", "categorical", "embedding"};

static int kind_of_key(const char *key)
{
    for (int k = 0; k < 3; k++)
        if (!strcmp(key, kinds[k]))
            return k;
    return -1;
}

/* Kinds a signal key can have: fixed signals have one, features two. */
static unsigned allowed_for_key(const char *key)
{
    int k = kind_of_key(key);
    if (k >= 0)
        return dd_methods_allowed((enum dd_signal_kind)k);
    if (!strcmp(key, "confidence") || !strcmp(key, "latency") || !strncmp(key, "probability:", 12))
        return dd_methods_allowed(DD_SIGNAL_NUMERIC);
    if (!strcmp(key, "prediction"))
        return dd_methods_allowed(DD_SIGNAL_CATEGORICAL);
    if (!strcmp(key, "embedding"))
        return dd_methods_allowed(DD_SIGNAL_EMBEDDING);
    if (!strncmp(key, "feature:", 8) && key[8])
        return dd_methods_allowed(DD_SIGNAL_NUMERIC) | dd_methods_allowed(DD_SIGNAL_CATEGORICAL);
    return 0;
}

/* Methods that compare to a threshold rather than give a p-value. */
#define THRESHOLD_METHODS (DD_M_PSI | DD_M_WASSERSTEIN | DD_M_JS | DD_M_COSINE)

int settings_find_methods(const struct model_settings *s, const char *key)
{
    for (int j = 0; j < s->n_methods; j++)
        if (!strcmp(s->methods[j].signal, key))
            return j;
    return -1;
}

int settings_find_types(const struct model_settings *s, const char *key)
{
    for (int j = 0; j < s->n_types; j++)
        if (!strcmp(s->types[j].signal, key))
            return j;
    return -1;
}

/* Removes entry j of a list of *n (order kept). */
#define DROP_ENTRY(arr, n, j)                                                                      \
    do {                                                                                           \
        memmove(&(arr)[j], &(arr)[(j) + 1], (size_t)(*(n) - (j)-1) * sizeof(arr)[0]);              \
        (*(n))--;                                                                                  \
    } while (0)

/* A key of "types": the prediction or a feature (the signals whose kind
 * is not fixed by their name). */
static int typed_key(const char *key)
{
    return !strcmp(key, "prediction") ||
           (!strncmp(key, "feature:", 8) && dd_name_valid(key + 8, strlen(key + 8)));
}

static const char *type_name(enum settings_type t)
{
    return t == SETTINGS_TYPE_NUMERIC ? "numeric" : "categorical";
}

/* Null members of in: each key back to base's value (the layers under the
 * stored settings), or gone when base has none. */
static void apply_unset(struct model_settings *t, const struct model_settings *b,
                        const struct dd_settings_input *in)
{
    if (in->unset & DD_SET_ALPHA)
        t->alpha = b->alpha;
    if (in->unset & DD_SET_WINDOW)
        memcpy(t->window, b->window, sizeof t->window);
    if (in->unset & DD_SET_REFERENCE_SIZE)
        t->reference_size = b->reference_size;
    if (in->unset & DD_SET_MIN_SAMPLES)
        t->min_samples = b->min_samples;
    if (in->unset & DD_SET_METHODS) {
        memcpy(t->methods, b->methods, sizeof t->methods);
        t->n_methods = b->n_methods;
    }
    if (in->unset & DD_SET_THRESHOLDS)
        memcpy(t->thresholds, b->thresholds, sizeof t->thresholds);
    if (in->unset & DD_SET_TYPES) {
        memcpy(t->types, b->types, sizeof t->types);
        t->n_types = b->n_types;
    }
}

int settings_apply(struct model_settings *s, const struct dd_settings_input *in, char *err,
                   size_t errlen)
{
    return settings_apply_over(s, NULL, in, err, errlen);
}

int settings_apply_over(struct model_settings *s, const struct model_settings *base,
                        const struct dd_settings_input *in, char *err, size_t errlen)
{
    static const struct model_settings none; /* no layer below: a null key is just gone */
    const struct model_settings *b = base ? base : &none;
    struct model_settings t = *s; /* all or nothing */
    if (base)
        apply_unset(&t, b, in);
    if (in->has & DD_SET_ALPHA)
        t.alpha = in->alpha;
    if (in->has & DD_SET_WINDOW) {
        struct store_window w;
        if (settings_parse_window(in->window, 0, &w) != 0) {
            snprintf(err, errlen,
                     "window: '%s' is not a window: expected a duration such as 15m, 1h, 24h, or "
                     "last:N",
                     in->window);
            return DD_EINVAL;
        }
        snprintf(t.window, sizeof t.window, "%s", in->window);
    }
    if (in->has & DD_SET_REFERENCE_SIZE)
        t.reference_size = in->reference_size;
    if (in->has & DD_SET_MIN_SAMPLES)
        t.min_samples = in->min_samples;
    for (int i = 0; i < in->n_methods; i++) {
        const char *key = in->methods[i].signal;
        unsigned allowed = allowed_for_key(key), bits = 0;
        if (in->methods[i].n == 0) { /* null: back to the layer below */
            int j = settings_find_methods(&t, key), k = settings_find_methods(b, key);
            if (j >= 0 && k >= 0)
                t.methods[j] = b->methods[k];
            else if (j >= 0)
                DROP_ENTRY(t.methods, &t.n_methods, j);
            continue;
        }
        if (!allowed) {
            snprintf(
                err, errlen,
                "methods.%.100s: not a signal (confidence, prediction, latency, "
                "embedding, feature:NAME, probability:K) or kind (numeric, categorical, embedding)",
                key);
            return DD_EINVAL;
        }
        for (int m = 0; m < in->methods[i].n; m++) {
            unsigned b = dd_method_parse(in->methods[i].methods[m]);
            if (!b || !(b & allowed)) {
                char takes[160] = "";
                for (unsigned rest = allowed; rest; rest &= rest - 1)
                    snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%s",
                             takes[0] ? ", " : "", dd_method_name(rest & -rest));
                snprintf(err, errlen, "methods.%.100s: '%s' is %s (expected one of %s)", key,
                         in->methods[i].methods[m],
                         b ? "not a method for this signal" : "not a method", takes);
                return DD_EINVAL;
            }
            bits |= b;
        }
        int j = 0;
        while (j < t.n_methods && strcmp(t.methods[j].signal, key) != 0)
            j++;
        if (j == t.n_methods) {
            if (t.n_methods == DD_SETTINGS_MAX) {
                snprintf(err, errlen, "methods: at most %d entries", DD_SETTINGS_MAX);
                return DD_EINVAL;
            }
            t.n_methods++;
        }
        snprintf(t.methods[j].signal, sizeof t.methods[j].signal, "%s", key);
        t.methods[j].bits = bits;
    }
    for (int i = 0; i < in->n_thresholds; i++) {
        unsigned mb = dd_method_parse(in->thresholds[i].method);
        if (!(mb & THRESHOLD_METHODS)) {
            snprintf(err, errlen,
                     "thresholds.%s: only psi, wasserstein, jensen_shannon and "
                     "cosine_centroid have thresholds",
                     in->thresholds[i].method);
            return DD_EINVAL;
        }
        int m = __builtin_ctz(mb);
        t.thresholds[m] = in->thresholds[i].value > 0 ? in->thresholds[i].value : b->thresholds[m];
    }
    for (int i = 0; i < in->n_types; i++) {
        const char *key = in->types[i].signal;
        if (!typed_key(key)) {
            snprintf(err, errlen,
                     "types.%.100s: only prediction and feature:NAME take a type (the other "
                     "signals' kinds are fixed)",
                     key);
            return DD_EINVAL;
        }
        int j = settings_find_types(&t, key);
        if (in->types[i].type == 0) { /* null: back to the layer below */
            int k = settings_find_types(b, key);
            if (j >= 0 && k >= 0)
                t.types[j] = b->types[k];
            else if (j >= 0)
                DROP_ENTRY(t.types, &t.n_types, j);
            continue;
        }
        if (j < 0) {
            if (t.n_types == DD_SETTINGS_MAX) {
                snprintf(err, errlen, "types: at most %d entries", DD_SETTINGS_MAX);
                return DD_EINVAL;
            }
            j = t.n_types++;
        }
        snprintf(t.types[j].signal, sizeof t.types[j].signal, "%s", key);
        t.types[j].type = (enum settings_type)in->types[i].type;
    }
    /* a declared type fixes the kind: its signal's methods must fit it */
    for (int j = 0; j < t.n_methods; j++) {
        int k = settings_find_types(&t, t.methods[j].signal);
        if (k < 0)
            continue;
        enum dd_signal_kind kind =
            t.types[k].type == SETTINGS_TYPE_NUMERIC ? DD_SIGNAL_NUMERIC : DD_SIGNAL_CATEGORICAL;
        unsigned bad = t.methods[j].bits & ~dd_methods_allowed(kind);
        if (bad) {
            snprintf(err, errlen,
                     "methods.%.100s: '%s' does not apply to a %s signal (types.%.100s)",
                     t.methods[j].signal, dd_method_name(bad & -bad), type_name(t.types[k].type),
                     t.methods[j].signal);
            return DD_EINVAL;
        }
    }
    *s = t;
    return 0;
}

void settings_json(const struct model_settings *s, struct dd_buf *b)
{
    dd_buf_puts(b, "{\"alpha\":");
    dd_json_num(b, s->alpha);
    dd_buf_puts(b, ",\"window\":");
    dd_json_str(b, s->window);
    dd_buf_printf(b, ",\"reference_size\":%ld,\"min_samples\":%ld,\"methods\":{", s->reference_size,
                  s->min_samples);
    for (int i = 0; i < s->n_methods; i++) {
        if (i)
            dd_buf_putc(b, ',');
        dd_json_str(b, s->methods[i].signal);
        dd_buf_puts(b, ":[");
        int first = 1;
        for (int m = 0; m < DD_M_COUNT; m++)
            if (s->methods[i].bits & (1u << m)) {
                if (!first)
                    dd_buf_putc(b, ',');
                first = 0;
                dd_json_str(b, dd_method_name(1u << m));
            }
        dd_buf_putc(b, ']');
    }
    dd_buf_puts(b, "},\"thresholds\":{");
    int first = 1;
    for (int m = 0; m < DD_M_COUNT; m++)
        if (s->thresholds[m] > 0) {
            if (!first)
                dd_buf_putc(b, ',');
            first = 0;
            dd_json_str(b, dd_method_name(1u << m));
            dd_buf_putc(b, ':');
            dd_json_num(b, s->thresholds[m]);
        }
    dd_buf_puts(b, "},\"types\":{");
    for (int i = 0; i < s->n_types; i++) {
        if (i)
            dd_buf_putc(b, ',');
        dd_json_str(b, s->types[i].signal);
        dd_buf_putc(b, ':');
        dd_json_str(b, type_name(s->types[i].type));
    }
    dd_buf_puts(b, "}}");
}

/* Parses a settings object and applies it to s. */
static int apply_body(struct model_settings *s, const char *json, char *err, size_t errlen)
{
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct dd_parse_error pe;
    int rc = DD_ENOMEM;
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    rc = dd_parse_settings(json, strlen(json), in, &pe);
    if (rc != 0)
        snprintf(err, errlen, "%.150s", pe.message);
    else
        rc = settings_apply(s, in, err, errlen);
    free(in);
    return rc;
}

void settings_defaults(const struct monitor_defaults *cfg, struct model_settings *out)
{
    memset(out, 0, sizeof *out);
    out->alpha = cfg->alpha;
    snprintf(out->window, sizeof out->window, "%s", cfg->window);
    out->reference_size = cfg->reference_size;
    out->min_samples = SETTINGS_MIN_SAMPLES;
    char err[200];
    if (cfg->settings_json && cfg->settings_json[0])
        apply_body(out, cfg->settings_json, err, sizeof err); /* checked when configured */
}

int settings_check_body(const char *json, char *err, size_t errlen)
{
    struct model_settings s;
    memset(&s, 0, sizeof s);
    snprintf(s.window, sizeof s.window, "1h");
    return apply_body(&s, json, err, errlen);
}

struct models_walk {
    const char *only; /* apply this model's object; NULL: check them all */
    struct model_settings *out;
    char *err;
    size_t errlen;
};

static int model_member(const char *name, const char *json, void *arg)
{
    struct models_walk *w = arg;
    if (w->only)
        return strcmp(name, w->only) ? 0 : apply_body(w->out, json, w->err, w->errlen);
    if (!dd_name_valid(name, strlen(name)) || json[0] != '{') {
        snprintf(w->err, w->errlen, "%.60s: must be a model name with a settings object", name);
        return DD_EINVAL;
    }
    char inner[160];
    if (settings_check_body(json, inner, sizeof inner) != 0) {
        snprintf(w->err, w->errlen, "%.60s: %s", name, inner);
        return DD_EINVAL;
    }
    return 0;
}

int settings_check_models(const char *json, char *err, size_t errlen)
{
    struct models_walk w = {NULL, NULL, err, errlen};
    struct dd_parse_error pe;
    err[0] = '\0';
    int rc = dd_parse_flat_object(json, strlen(json), model_member, &w, &pe);
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "%s", pe.message);
    return rc;
}

void settings_load_base(const struct monitor_defaults *cfg, const char *model,
                        struct model_settings *out)
{
    settings_defaults(cfg, out);
    if (cfg->models_json && cfg->models_json[0]) {
        char err[200];
        struct models_walk w = {model, out, err, sizeof err};
        struct dd_parse_error pe;
        dd_parse_flat_object(cfg->models_json, strlen(cfg->models_json), model_member, &w, &pe);
    }
}

int settings_load(struct store *st, const struct monitor_defaults *cfg, const char *model,
                  struct model_settings *out)
{
    settings_load_base(cfg, model, out);
    char *body = NULL;
    int rc = store_r_settings(st, model, &body);
    if (rc == DD_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct dd_parse_error pe;
    char err[256];
    rc = DD_EIO;
    /* what was stored came from settings_json(): it parses and applies */
    if (in && dd_parse_settings(body, strlen(body), in, &pe) == 0 &&
        settings_apply(out, in, err, sizeof err) == 0)
        rc = 0;
    free(in);
    free(body);
    return rc;
}

void settings_to_eval(const struct model_settings *s, struct dd_eval_options *o,
                      struct dd_signal_input *inputs, size_t n)
{
    o->alpha = s->alpha;
    if (s->min_samples > 0)
        o->min_samples = (size_t)s->min_samples;
    for (int m = 0; m < DD_M_COUNT; m++)
        if (s->thresholds[m] > 0)
            o->threshold[m] = s->thresholds[m];
    for (int i = 0; i < s->n_methods; i++) {
        int k = kind_of_key(s->methods[i].signal);
        if (k >= 0)
            o->methods[k] = s->methods[i].bits;
    }
    for (size_t j = 0; j < n; j++)
        for (int i = 0; i < s->n_methods; i++)
            if (!strcmp(s->methods[i].signal, inputs[j].name)) {
                /* a feature's methods may name both kinds' methods: keep its own */
                unsigned fit = s->methods[i].bits & dd_methods_allowed(inputs[j].kind);
                inputs[j].methods = fit;
            }
}

int settings_parse_window(const char *s, int64_t now, struct store_window *w)
{
    memset(w, 0, sizeof *w);
    if (!strncmp(s, "last:", 5)) {
        char *end;
        long long n = strtoll(s + 5, &end, 10);
        if (end == s + 5 || *end || n < 1 || n > 10000000)
            return DD_EINVAL;
        w->last_n = (size_t)n;
        return 0;
    }
    int64_t ms;
    if (dd_duration_parse(s, &ms) != 0)
        return DD_EINVAL;
    w->to_ms = now;
    w->from_ms = now - ms;
    return 0;
}
