/* h_models.c — GET /api/v1/models and /api/v1/models/{model} (API.md
 * "Models and drift results"): the stored models with their versions and
 * event counts (kept by the writer in the versions table, so these reads
 * never count rows). */
#include "base/err.h"
#include "server/app.h"
#include "server/handlers.h"
#include "server/store.h"

/* Until a version has a reference and an evaluation, its status is this. */
static const char *version_status(const struct store_version_info *v)
{
    (void)v;
    return "no_reference";
}

static void version_json(struct dd_buf *b, const struct store_version_info *v)
{
    int first = 1;
    dd_buf_putc(b, '{');
    dd_json_key(b, "name", &first);
    dd_json_str(b, v->name);
    dd_json_key(b, "events", &first);
    dd_json_int(b, v->events);
    dd_json_key(b, "first_event", &first);
    dd_json_time(b, v->first_ms);
    dd_json_key(b, "last_event", &first);
    dd_json_time(b, v->last_ms);
    dd_json_key(b, "reference", &first);
    dd_buf_puts(b, "null");
    dd_json_key(b, "status", &first);
    dd_json_str(b, version_status(v));
    dd_buf_putc(b, '}');
}

static const char *model_status(const struct store_model_info *m)
{
    return m->n_versions ? version_status(&m->versions[0]) : "no_reference";
}

void h_models_list(struct http_req *r)
{
    struct store_model_info *ms = NULL;
    size_t n = 0;
    if (store_r_models(r->app->store, NULL, &ms, &n) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read models");
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_puts(&b, "{\"models\":[");
    for (size_t i = 0; i < n; i++) {
        const struct store_model_info *m = &ms[i];
        int first = 1;
        dd_buf_puts(&b, i ? ",{" : "{");
        dd_json_key(&b, "name", &first);
        dd_json_str(&b, m->name);
        dd_json_key(&b, "versions", &first);
        dd_buf_putc(&b, '[');
        for (size_t v = 0; v < m->n_versions; v++) {
            if (v)
                dd_buf_putc(&b, ',');
            dd_json_str(&b, m->versions[v].name);
        }
        dd_buf_putc(&b, ']');
        dd_json_key(&b, "events", &first);
        dd_json_int(&b, m->events);
        dd_json_key(&b, "last_event", &first);
        dd_json_time(&b, m->last_ms);
        dd_json_key(&b, "status", &first);
        dd_json_str(&b, model_status(m));
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
    int rc = store_r_models(r->app->store, r->params[0], &ms, &n);
    if (rc == DD_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
        return;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read model");
        return;
    }
    const struct store_model_info *m = &ms[0];
    struct dd_buf b;
    dd_buf_init(&b);
    int first = 1;
    dd_buf_putc(&b, '{');
    dd_json_key(&b, "name", &first);
    dd_json_str(&b, m->name);
    dd_json_key(&b, "events", &first);
    dd_json_int(&b, m->events);
    dd_json_key(&b, "embedding_dim", &first);
    if (m->embedding_dim)
        dd_json_int(&b, m->embedding_dim);
    else
        dd_buf_puts(&b, "null");
    dd_json_key(&b, "last_event", &first);
    dd_json_time(&b, m->last_ms);
    dd_json_key(&b, "status", &first);
    dd_json_str(&b, model_status(m));
    dd_json_key(&b, "versions", &first);
    dd_buf_putc(&b, '[');
    for (size_t v = 0; v < m->n_versions; v++) {
        if (v)
            dd_buf_putc(&b, ',');
        version_json(&b, &m->versions[v]);
    }
    dd_buf_puts(&b, "]}");
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_models_free(ms, n);
}
