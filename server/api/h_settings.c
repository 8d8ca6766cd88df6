/* h_settings.c — GET and PUT /api/v1/models/{model}/settings (docs/api.md).
 * A PUT merges its members into the model's settings (the rest keep their
 * value; a member given as null goes back to the configured default) and
 * stores the result through the writer; GET answers the effective
 * settings, defaults included.  A PUT that names a signal the model's
 * events never had, or a method that does not fit what a signal was, is
 * refused (settings_check_signals()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ingest/parse.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/monitor/settings.h"
#include "server/monitor/signals.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "server/api/answer.h"

/* events per version (and of its reference) a settings PUT reads to learn
 * the model's signals: enough to have seen every feature of a steady
 * model, few enough for a PUT to stay fast */
#define SIGNALS_SAMPLE 1000

static int is_kind_key(const char *key)
{
    return !strcmp(key, "numeric") || !strcmp(key, "categorical") || !strcmp(key, "embedding");
}

/* The kinds (bits 1 << enum dd_signal_kind) each named key of in had in
 * the events of one batch; names[] from in's methods then types. */
struct seen {
    const char *name, *member; /* "methods" or "types" */
    unsigned kinds;
};

static void see_batch(const struct dd_batch *b, struct seen *seen, int n, struct dd_buf *names)
{
    if (!b->n)
        return;
    struct signals_ref *r = signals_ref_build(b->events, b->n);
    for (int i = 0; i < n; i++) {
        int k = signals_ref_kind(r, seen[i].name);
        if (k >= 0)
            seen[i].kinds |= 1u << k;
    }
    if (names->len < 400) {
        struct dd_buf more;
        dd_buf_init(&more);
        signals_ref_names(r, &more);
        dd_buf_append(names, more.data, more.len);
        dd_buf_release(&more);
    }
    signals_ref_free(r);
}

/* The first names of a ", " list, without repeats, cut at ~300 bytes. */
static void names_short(const struct dd_buf *all, char *out, size_t size)
{
    size_t w = 0;
    out[0] = 0;
    const char *p = all->data, *end = all->data + all->len;
    while (p && p < end) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        char name[170];
        snprintf(name, sizeof name, "%.*s", (int)(n < 160 ? n : 160), p);
        p = q ? q + 2 : NULL;
        if (strstr(out, name) &&
            (strstr(out, name)[strlen(name)] == ',' || strstr(out, name)[strlen(name)] == 0))
            continue; /* good enough: the list is for a human */
        if (w + n + 8 > size || w > 300) {
            snprintf(out + w, size - w, "%s...", w ? ", " : "");
            return;
        }
        w += (size_t)snprintf(out + w, size - w, "%s%s", w ? ", " : "", name);
    }
}

/* Does the PUT name signals the model has had, with methods that fit what
 * they were?  The model's signals are those of its versions' latest
 * SIGNALS_SAMPLE events and of their references; a kind key (numeric,
 * categorical, embedding) is always fine, and a model without events takes
 * any well-formed name (nothing to check against).  s: the settings after
 * the PUT (their declared types).  0, DD_EINVAL with a message naming the
 * member, or a store error. */
static int check_signals(struct store *st, const char *model, const struct dd_settings_input *in,
                         const struct model_settings *s, char *err, size_t errlen)
{
    struct store_model_info *models = NULL;
    size_t nm = 0;
    int rc = store_r_models(st, model, &models, &nm);
    if (rc == DD_ENOTFOUND || (rc == 0 && (nm == 0 || models[0].n_versions == 0))) {
        store_models_free(models, nm);
        return 0; /* no events yet: nothing to check against */
    }
    if (rc != 0)
        return rc;
    struct seen seen[2 * DD_SETTINGS_MAX];
    int n = 0;
    for (int i = 0; i < in->n_methods; i++)
        if (in->methods[i].n && !is_kind_key(in->methods[i].signal))
            seen[n++] = (struct seen){in->methods[i].signal, "methods", 0};
    for (int i = 0; i < in->n_types; i++)
        if (in->types[i].type)
            seen[n++] = (struct seen){in->types[i].signal, "types", 0};
    struct dd_buf names;
    dd_buf_init(&names);
    for (size_t v = 0; n && v < models[0].n_versions && rc == 0; v++) {
        for (int ref = 0; ref < 2 && rc == 0; ref++) {
            struct store_window w = {
                .last_n = SIGNALS_SAMPLE, .max_sample = SIGNALS_SAMPLE, .reference = ref};
            struct store_window_info info;
            struct dd_batch b;
            rc = store_r_events(st, model, models[0].versions[v].name, &w, &b, &info);
            if (rc == 0) {
                if (names.len)
                    dd_buf_puts(&names, ", ");
                see_batch(&b, seen, n, &names);
            } else if (rc == DD_ENOTFOUND) {
                rc = 0; /* deleted meanwhile */
            }
            dd_batch_release(&b);
        }
    }
    store_models_free(models, nm);
    for (int i = 0; i < n && rc == 0; i++) {
        const char *key = seen[i].name;
        const char *member = seen[i].member;
        int is_method = member[0] == 'm';
        if (!seen[i].kinds) {
            char list[360];
            names_short(&names, list, sizeof list);
            snprintf(err, errlen,
                     "%s.%.100s: no event of model '%s' has had this signal (its signals: %s)",
                     member, key, model, list);
            rc = DD_EINVAL;
            break;
        }
        if (!is_method || settings_find_types(s, key) >= 0)
            continue; /* a declared type: settings_apply_over() checked the methods */
        unsigned allowed = 0;
        for (int k = 0; k < 3; k++)
            if (seen[i].kinds & (1u << k))
                allowed |= dd_methods_allowed((enum dd_signal_kind)k);
        int j = settings_find_methods(s, key);
        unsigned bad = j >= 0 ? s->methods[j].bits & ~allowed : 0;
        if (bad) {
            int numeric = (seen[i].kinds & (1u << DD_SIGNAL_NUMERIC)) != 0;
            snprintf(err, errlen,
                     "methods.%.100s: '%s' does not apply: its values were %s (declare "
                     "\"types\" to read them otherwise)",
                     key, dd_method_name(bad & -bad), numeric ? "numeric" : "categorical");
            rc = DD_EINVAL;
        }
    }
    dd_buf_release(&names);
    return rc;
}

void h_settings_get(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0) /* takes no query parameters */
        return;
    struct store_model_info *models = NULL;
    size_t n = 0;
    int rc = store_r_models(api_of(r)->store, r->params[0], &models, &n);
    store_models_free(models, n);
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
        return;
    }
    struct model_settings ms;
    if (settings_load(api_of(r)->store, &api_of(r)->mon->defaults, r->params[0], &ms) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read the settings");
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    settings_json(&ms, &b);
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
}

void h_settings_put(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0) /* takes no query parameters */
        return;
    enum dd_body_format fmt;
    if (answer_body_format(r, ANSWER_JSON, &fmt) != 0)
        return;
    struct dd_buf body, out;
    dd_buf_init(&body);
    dd_buf_init(&out);
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct model_settings ms, base;
    if (!in) {
        http_reply_error(r, 500, "internal", -1, "out of memory");
        goto done;
    }
    if (http_read_body_or_reply(r, 1 << 20, &body) != 0)
        goto done;
    struct dd_parse_error pe;
    if (dd_parse_settings(body.data ? body.data : "", body.len, in, &pe) != 0) {
        http_reply_error(r, 400, pe.code, -1, "%s", pe.message);
        goto done;
    }
    if (settings_load(api_of(r)->store, &api_of(r)->mon->defaults, r->params[0], &ms) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read the settings");
        goto done;
    }
    char err[600];
    settings_load_base(&api_of(r)->mon->defaults, r->params[0], &base);
    if (settings_apply_over(&ms, &base, in, err, sizeof err) != 0) {
        http_reply_error(r, 400, "invalid_body", -1, "%s", err);
        goto done;
    }
    int rc = check_signals(api_of(r)->store, r->params[0], in, &ms, err, sizeof err);
    if (rc == DD_EINVAL) {
        http_reply_error(r, 400, "invalid_body", -1, "%s", err);
        goto done;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read the model's events");
        goto done;
    }
    settings_json(&ms, &out);
    struct writer_result res;
    writer_submit_settings(api_of(r)->writer, r->params[0], out.data, &res);
    if (res.rc != 0) {
        answer_writer_error(r, res.rc);
        goto done;
    }
    http_reply_json(r, 200, &out);
done:
    free(in);
    dd_buf_release(&body);
    dd_buf_release(&out);
}
