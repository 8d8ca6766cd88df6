/* h_drift.c — GET /api/v1/models/{model}/drift?version=V&window=W (API.md).
 *
 * Evaluates on demand with evaluate_version() (evaluator.h): the version's
 * reference against the current window.  Without ?version= the version with
 * the latest event is taken.  Not yet: answering from the scheduled
 * evaluation's stored result when fresh, reference summaries computed once,
 * per-model settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/evaluator.h"
#include "server/handlers.h"
#include "server/store.h"

/* The version named by ?version=, else the one with the latest event. */
static int pick_version_or_reply(struct http_req *r, char *out, size_t outsz)
{
    if (http_query(r, "version", out, outsz) == 1) {
        if (!dd_name_valid(out, strlen(out))) {
            http_reply_error(r, 400, "invalid_query", -1, "version: must match [A-Za-z0-9._-]{1,128}");
            return -1;
        }
        return 0;
    }
    struct store_model_info *ms = NULL;
    size_t n = 0;
    int rc = store_r_models(r->app->store, r->params[0], &ms, &n);
    if (rc == DD_ENOTFOUND || (rc == 0 && ms[0].n_versions == 0)) {
        store_models_free(ms, n);
        http_reply_error(r, 404, "not_found", -1, "model '%s' not found", r->params[0]);
        return -1;
    }
    if (rc != 0) {
        http_reply_error(r, 500, "internal", -1, "cannot read model");
        return -1;
    }
    const struct store_version_info *best = &ms[0].versions[0];
    for (size_t i = 1; i < ms[0].n_versions; i++)
        if (ms[0].versions[i].last_ms > best->last_ms)
            best = &ms[0].versions[i];
    snprintf(out, outsz, "%s", best->name);
    store_models_free(ms, n);
    return 0;
}

void h_drift_get(struct http_req *r)
{
    char version[DD_NAME_MAX + 1], window[64];
    if (pick_version_or_reply(r, version, sizeof version) != 0)
        return;
    if (http_query(r, "window", window, sizeof window) != 1)
        snprintf(window, sizeof window, "%s", EVAL_DEFAULT_WINDOW);
    struct dd_buf b;
    dd_buf_init(&b);
    char err[256];
    int rc = evaluate_version(r->app->store, r->params[0], version, window, dd_now_ms(), &b,
                              NULL, err, sizeof err);
    switch (rc) {
    case 0:
        http_reply_json(r, 200, &b);
        break;
    case DD_EINVAL:
        http_reply_error(r, 400, "invalid_query", -1, "%s", err);
        break;
    case DD_ENOTFOUND:
        http_reply_error(r, 404, "not_found", -1, "%s", err);
        break;
    case DD_EDIM:
        http_reply_error(r, 409, "conflict", -1, "%s", err);
        break;
    default:
        http_reply_error(r, 500, "internal", -1, "%s", err);
    }
    dd_buf_release(&b);
}
