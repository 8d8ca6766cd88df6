/* h_models.c — GET /api/v1/models, /api/v1/models/{model}, its versions
 * and one version (docs/api.md "Models and drift results"): the stored
 * models with their versions and event counts (kept by the writer in the
 * versions table, so these reads never count rows).  The lists come a page
 * at a time (limit, cursor, next_cursor); a cursor is the base64url of the
 * last name of the page before, opaque to clients. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/err.h"
#include "ingest/event.h"
#include "server/api/answer.h"
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

/* The model's reference_size setting (what an automatic reference holds). */
static long reference_size(struct http_req *r, const char *model)
{
    struct model_settings set;
    settings_load(api_of(r)->store, &api_of(r)->mon->defaults, model, &set);
    return set.reference_size;
}

/* The first n versions of m as a JSON array of version_json(). */
static void versions_json(struct dd_buf *b, struct http_req *r, const struct store_model_info *m,
                          size_t n)
{
    long refsize = reference_size(r, m->name);
    dd_buf_putc(b, '[');
    for (size_t v = 0; v < n; v++) {
        if (v)
            dd_buf_putc(b, ',');
        version_json(b, api_of(r)->store, m->name, refsize, &m->versions[v]);
    }
    dd_buf_putc(b, ']');
}

/* A read of the model's rows: 0, or answers (404 for an unknown model, 500
 * "cannot read <what>") and returns rc. */
static int read_or_reply(struct http_req *r, int rc, const char *what)
{
    if (rc == DD_ENOTFOUND)
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
    else if (rc != 0)
        http_reply_error(r, 500, "internal", -1, "cannot read %s", what);
    return rc;
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

/* ---- pages ---- */

#define PAGE_LIMIT_DEFAULT 100
#define PAGE_LIMIT_MAX 1000 /* a page of models with their versions stays a small answer */
#define CURSOR_MAX DD_BASE64_ENCODED_LEN(DD_NAME_MAX)

/* A cursor: the name as base64url without padding. */
static void cursor_encode(const char *name, char out[CURSOR_MAX + 1])
{
    dd_base64_encode((const uint8_t *)name, strlen(name), out);
    char *w = out;
    for (const char *p = out; *p && *p != '='; p++)
        *w++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    *w = '\0';
}

/* The page of a list request, whose only parameters are limit
 * (1..PAGE_LIMIT_MAX) and cursor: the limit and the name after which it
 * starts (from the cursor; "" for the first page).  0, or answers 400
 * naming the parameter and returns -1. */
static int page_or_reply(struct http_req *r, size_t *limit, char after[DD_NAME_MAX + 1])
{
    static const char *const known[] = {"limit", "cursor", NULL};
    if (answer_query_known(r, known) != 0)
        return -1;
    char v[CURSOR_MAX + 8];
    *limit = PAGE_LIMIT_DEFAULT;
    after[0] = '\0';
    if (answer_query_limit(r, PAGE_LIMIT_MAX, limit) != 0)
        return -1;
    int got = http_query(r, "cursor", v, sizeof v);
    if (got == 0)
        return 0;
    /* back to standard base64 with its padding */
    size_t len = got > 0 ? strlen(v) : 0;
    for (size_t i = 0; i < len; i++)
        v[i] = v[i] == '-' ? '+' : v[i] == '_' ? '/' : v[i] == '+' || v[i] == '/' ? '!' : v[i];
    while (len % 4 && len < sizeof v - 1)
        v[len++] = '=';
    v[len] = '\0';
    uint8_t raw[DD_BASE64_DECODED_MAX(CURSOR_MAX + 8)];
    size_t n = 0;
    if (got < 0 || len == 0 || dd_base64_decode(v, len, raw, &n) != 0 || n > DD_NAME_MAX ||
        !dd_name_valid((const char *)raw, n)) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "cursor: not a cursor of this list (pass the next_cursor of the page "
                         "before, as it was given)");
        return -1;
    }
    memcpy(after, raw, n);
    after[n] = '\0';
    return 0;
}

/* Ends a page's object with "next_cursor", the cursor after `last` or null
 * (last NULL: the end), answers it and releases b. */
static void page_reply(struct http_req *r, struct dd_buf *b, int first, const char *last)
{
    dd_json_key(b, "next_cursor", &first);
    if (last) {
        char c[CURSOR_MAX + 1];
        cursor_encode(last, c);
        dd_json_str(b, c);
    } else {
        dd_buf_puts(b, "null");
    }
    dd_buf_putc(b, '}');
    http_reply_json(r, 200, b);
    dd_buf_release(b);
}

void h_models_list(struct http_req *r)
{
    size_t limit;
    char after[DD_NAME_MAX + 1];
    if (page_or_reply(r, &limit, after) != 0)
        return;
    struct store_model_info *ms = NULL;
    size_t n = 0;
    /* one more than the page: whether there is a next one */
    if (store_r_models_page(api_of(r)->store, after, limit + 1, &ms, &n) != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read models");
        return;
    }
    size_t all = n;
    const char *last = NULL;
    if (n > limit) {
        n = limit;
        last = ms[n - 1].name;
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
    dd_buf_putc(&b, ']');
    page_reply(r, &b, 0, last);
    store_models_free(ms, all);
}

void h_model_get(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0)
        return;
    struct store_model_info *ms = NULL;
    size_t n = 0;
    if (read_or_reply(r, store_r_models(api_of(r)->store, r->params[0], &ms, &n), "model") != 0)
        return;
    store_r_statuses(api_of(r)->store, &ms[0]);
    const struct store_model_info *m = &ms[0];
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
    versions_json(&b, r, m, m->n_versions);
    dd_buf_putc(&b, '}');
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_models_free(ms, n);
}

void h_versions_list(struct http_req *r)
{
    size_t limit;
    char after[DD_NAME_MAX + 1];
    if (page_or_reply(r, &limit, after) != 0)
        return;
    struct store_model_info *m = NULL;
    int rc = store_r_versions_page(api_of(r)->store, r->params[0], after, limit + 1, &m);
    if (read_or_reply(r, rc, "versions") != 0)
        return;
    store_r_statuses(api_of(r)->store, m);
    const char *last = NULL;
    size_t n = m->n_versions;
    if (n > limit) {
        n = limit;
        last = m->versions[n - 1].name;
    }
    struct dd_buf b;
    dd_buf_init(&b);
    int first = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &first, "model", m->name);
    dd_json_key(&b, "versions", &first);
    versions_json(&b, r, m, n);
    page_reply(r, &b, first, last);
    store_models_free(m, 1);
}

void h_version_get(struct http_req *r)
{
    if (answer_query_known(r, NULL) != 0)
        return;
    struct store_model_info *ms = NULL;
    size_t n = 0;
    int rc = store_r_models(api_of(r)->store, r->params[0], &ms, &n);
    if (rc != 0 && rc != DD_ENOTFOUND) {
        http_reply_error(r, 500, "internal", -1, "cannot read model");
        return;
    }
    const struct store_version_info *v = NULL;
    for (size_t i = 0; rc == 0 && i < ms[0].n_versions; i++)
        if (!strcmp(ms[0].versions[i].name, r->params[1]))
            v = &ms[0].versions[i];
    if (!v) {
        if (rc == DD_ENOTFOUND)
            http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
        else
            http_reply_error(r, 404, "not_found", -1, "model '%s' has no version '%s'",
                             r->params[0], r->params[1]);
        store_models_free(ms, n);
        return;
    }
    store_r_statuses(api_of(r)->store, &ms[0]);
    struct dd_buf b;
    dd_buf_init(&b);
    version_json(&b, api_of(r)->store, ms[0].name, reference_size(r, ms[0].name), v);
    http_reply_json(r, 200, &b);
    dd_buf_release(&b);
    store_models_free(ms, n);
}
