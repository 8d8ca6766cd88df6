/* h_models.c — GET /api/v1/models and /api/v1/models/{model} (docs/api.md
 * "Models and drift results"): the stored models with their versions and
 * event counts (kept by the writer in the versions table, so these reads
 * never count rows). */
#include <string.h>

#include "base/err.h"
#include "server/api/api.h"
#include "server/monitor/evaluator.h"
#include "server/api/handlers.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"

/* The latest evaluation's status; "no_reference" before the first one. */
static const char *version_status(const struct store_version_info *v)
{
    return v->status[0] ? v->status : "no_reference";
}

/* The reference summary of GET .../reference, short: source and events. */
static void reference_json(struct dd_buf *b, struct store *st, const char *model, long refsize,
                           const struct store_version_info *v)
{
    struct store_reference ref;
    int exists;
    if (store_r_reference(st, model, v->name, &ref, &exists) == 0) {
        dd_buf_puts(b, "{\"source\":");
        dd_json_str(b, ref.source);
        dd_buf_printf(b, ",\"events\":%lld,\"set_at\":", (long long)ref.events);
        dd_json_time(b, ref.set_ms);
        dd_buf_putc(b, '}');
    } else if (v->events > 0) {
        dd_buf_printf(b, "{\"source\":\"auto\",\"events\":%lld}",
                      (long long)(v->events < refsize ? v->events : refsize));
    } else {
        dd_buf_puts(b, "null");
    }
}

static void version_json(struct dd_buf *b, struct store *st, const char *model, long refsize,
                         const struct store_version_info *v)
{
    int first = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &first, "name", v->name);
    dd_json_kint(b, &first, "events", v->events);
    dd_json_ktime(b, &first, "first_event", v->first_ms);
    dd_json_ktime(b, &first, "last_event", v->last_ms);
    dd_json_key(b, "reference", &first);
    reference_json(b, st, model, refsize, v);
    dd_json_kstr(b, &first, "status", version_status(v));
    dd_buf_putc(b, '}');
}

/* drift if any version drifts, else ok if any is ok, else the first's. */
static const char *model_status(const struct store_model_info *m)
{
    const char *best = "no_reference";
    for (size_t i = 0; i < m->n_versions; i++) {
        const char *s = version_status(&m->versions[i]);
        if (!strcmp(s, "drift"))
            return s;
        if (!strcmp(s, "ok") || !strcmp(best, "no_reference"))
            best = s;
    }
    return best;
}

void h_models_list(struct http_req *r)
{
    struct store_model_info *ms = NULL;
    size_t n = 0;
    if (store_r_models(api_of(r)->store, NULL, &ms, &n) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read models");
        return;
    }
    for (size_t i = 0; i < n; i++)
        store_r_statuses(api_of(r)->store, &ms[i]);
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"models\":[");
    for (size_t i = 0; i < n; i++) {
        const struct store_model_info *m = &ms[i];
        int first = 1;
        dd_buf_puts(&b, i ? ",{" : "{");
        dd_json_kstr(&b, &first, "name", m->name);
        dd_json_key(&b, "versions", &first);
        dd_buf_putc(&b, '[');
        for (size_t v = 0; v < m->n_versions; v++) {
            if (v)
                dd_buf_putc(&b, ',');
            dd_json_str(&b, m->versions[v].name);
        }
        dd_buf_putc(&b, ']');
        dd_json_kint(&b, &first, "events", m->events);
        dd_json_ktime(&b, &first, "last_event", m->last_ms);
        dd_json_kstr(&b, &first, "status", model_status(m));
        dd_buf_putc(&b, '}');
    }
    dd_buf_puts(&b, "]}");
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_models_free(ms, n);
}

void h_model_get(struct http_req *r)
{
    struct store_model_info *ms = NULL;
    size_t n = 0;
    int rc = store_r_models(api_of(r)->store, r->params[0], &ms, &n);
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
        return;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read model");
        return;
    }
    store_r_statuses(api_of(r)->store, &ms[0]);
    const struct store_model_info *m = &ms[0];
    struct model_settings set;
    settings_load(api_of(r)->store, &api_of(r)->mon->defaults, m->name, &set);
    struct dd_buf b;
    dd_buf_init(&b);
    int first = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &first, "name", m->name);
    dd_json_kint(&b, &first, "events", m->events);
    dd_json_key(&b, "embedding_dim", &first);
    if (m->embedding_dim)
        dd_json_int(&b, m->embedding_dim);
    else
        dd_buf_puts(&b, "null");
    dd_json_ktime(&b, &first, "last_event", m->last_ms);
    dd_json_kstr(&b, &first, "status", model_status(m));
    dd_json_key(&b, "versions", &first);
    dd_buf_putc(&b, '[');
    for (size_t v = 0; v < m->n_versions; v++) {
        if (v)
            dd_buf_putc(&b, ',');
        version_json(&b, api_of(r)->store, m->name, set.reference_size, &m->versions[v]);
    }
    dd_buf_puts(&b, "]}");
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_models_free(ms, n);
}
