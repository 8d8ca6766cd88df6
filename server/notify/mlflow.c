/* mlflow.c — rollback in an MLflow model registry: re-point the receiver's
 * alias (default "champion") of its registered model (default the alert's
 * model) to the rollback target, mapped through the versions map.  Only a
 * firing alert with a rollback target does anything; a test only reads the
 * registered model, to check the URL, the token and the name. */
#include "base/buf.h"
#include "base/err.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

static int render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out)
{
    if (!r->alias) /* a receiver not made by notify_receiver_parse() */
        return DD_EINVAL;
    (void)now_ms;
    const char *model = r->registered_model ? r->registered_model : m->model;
    struct dd_buf u;
    dd_buf_init(&u);
    notify__url_base(&u, r->url);
    if (m->event == NOTIFY_EVENT_TEST) {
        dd_buf_puts(&u, "/api/2.0/mlflow/registered-models/get?name=");
        notify__url_escape(&u, model);
        notify__req_method(out, "GET");
        notify__req_url(out, &u);
        notify__req_header(out, "User-Agent", "driftd");
        notify__req_bearer(out, r->token);
        return 0;
    }
    dd_buf_release(&u);
    if (m->event != NOTIFY_EVENT_FIRING)
        return notify__nothing(out, "an mlflow receiver acts when an alert fires, not when it "
                                    "resolves");
    if (!m->rollback_to)
        return notify__nothing(out, m->rollback_reason ? m->rollback_reason
                                                       : "the alert has no rollback target");
    struct dd_buf b;
    dd_buf_init(&b);
    int f = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &f, "name", model);
    dd_json_kstr(&b, &f, "alias", r->alias);
    dd_json_kstr(&b, &f, "version", notify__map_version(r, m->rollback_to));
    dd_buf_putc(&b, '}');
    notify__url_base(&u, r->url);
    dd_buf_puts(&u, "/api/2.0/mlflow/registered-models/alias");
    notify__req_method(out, "POST");
    notify__req_url(out, &u);
    notify__req_header(out, "Content-Type", "application/json");
    notify__req_header(out, "User-Agent", "driftd");
    notify__req_bearer(out, r->token);
    notify__req_body(out, &b);
    return 0;
}

const struct notify__backend notify__mlflow = {NOTIFY_MLFLOW, "mlflow", render};
