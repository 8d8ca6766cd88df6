/* torchserve.c — rollback in TorchServe: PUT
 * {management_url}/models/{model_name}/{version}/set-default, the version
 * mapped through the versions map (it must already be registered).  Only a
 * firing alert with a rollback target does anything; a test describes the
 * model (GET /models/{model_name}) to check the URL, the token and the name. */
#include "base/buf.h"
#include "base/err.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

static int render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out)
{
    (void)now_ms;
    const char *model = r->model_name ? r->model_name : m->model;
    if (!notify__segment_ok(model))
        return DD_EINVAL;
    const char *version = NULL;
    if (m->event == NOTIFY_EVENT_FIRING) {
        if (!m->rollback_to)
            return notify__nothing(out, m->rollback_reason ? m->rollback_reason
                                                           : "the alert has no rollback target");
        version = notify__map_version(r, m->rollback_to);
        if (!notify__segment_ok(version))
            return DD_EINVAL;
    } else if (m->event == NOTIFY_EVENT_RESOLVED) {
        return notify__nothing(out, "a torchserve receiver acts when an alert fires, not when "
                                    "it resolves");
    }
    struct dd_buf u;
    dd_buf_init(&u);
    notify__url_base(&u, r->url);
    dd_buf_puts(&u, "/models/");
    notify__url_escape(&u, model);
    if (version) {
        dd_buf_putc(&u, '/');
        notify__url_escape(&u, version);
        dd_buf_puts(&u, "/set-default");
    }
    notify__req_method(out, version ? "PUT" : "GET");
    notify__req_url(out, &u);
    notify__req_header(out, "User-Agent", "driftd");
    notify__req_bearer(out, r->token);
    return 0;
}

const struct notify__backend notify__torchserve = {NOTIFY_TORCHSERVE, "torchserve", render};
