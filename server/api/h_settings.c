/* h_settings.c — GET and PUT /api/v1/models/{model}/settings (docs/api.md).
 * A PUT merges its members into the model's settings (the rest keep their
 * value) and stores the result through the writer; GET answers the
 * effective settings, defaults included. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ingest/parse.h"
#include "server/api/api.h"
#include "server/api/handlers.h"
#include "server/monitor/settings.h"
#include "server/store/store.h"
#include "server/store/writer.h"
#include "server/api/answer.h"

void h_settings_get(struct http_req *r)
{
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
    enum dd_body_format fmt;
    if (answer_body_format(r, ANSWER_JSON, &fmt) != 0)
        return;
    struct dd_buf body, out;
    dd_buf_init(&body);
    dd_buf_init(&out);
    struct dd_settings_input *in = calloc(1, sizeof *in);
    struct model_settings ms;
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
    char err[300];
    if (settings_apply(&ms, in, err, sizeof err) != 0) {
        http_reply_error(r, 400, "invalid_body", -1, "%s", err);
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
