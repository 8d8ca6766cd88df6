/* github.c — a repository_dispatch: POST {url}/repos/{owner}/{repo}/dispatches
 * with {"event_type", "client_payload"}, which starts the workflows that listen
 * for that type (retraining, or a rollback job).  GitHub refuses a
 * client_payload with more than GITHUB_PAYLOAD_KEYS top-level keys, so the
 * details are nested.  A retrain or rollback receiver acts when an alert fires
 * (a rollback only with a target); a notify receiver dispatches every event.
 * A test only reads the repository (GET /repos/{owner}/{repo}), to check the
 * URL, the token and the name without starting a workflow. */
#include "base/buf.h"
#include "base/err.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

#define GITHUB_PAYLOAD_KEYS 10 /* GitHub's limit on client_payload's top-level keys */

static void headers(const struct notify_receiver *r, struct notify_request *out)
{
    notify__req_bearer(out, r->token);
    notify__req_header(out, "Accept", "application/vnd.github+json");
    notify__req_header(out, "X-GitHub-Api-Version", "2022-11-28");
    notify__req_header(out, "User-Agent", "driftd");
}

static int render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out)
{
    if (!r->repository || !r->event_type) /* a receiver not made by notify_receiver_parse() */
        return DD_EINVAL;
    (void)now_ms;
    struct dd_buf u, b;
    dd_buf_init(&u);
    dd_buf_init(&b);
    notify__url_base(&u, r->url);
    dd_buf_puts(&u, "/repos/");
    dd_buf_puts(&u, r->repository); /* owner/repo, checked by notify_receiver_parse() */
    if (m->event == NOTIFY_EVENT_TEST) {
        notify__req_method(out, "GET");
        notify__req_url(out, &u);
        headers(r, out);
        return 0;
    }
    if (r->action != NOTIFY_ACTION_NOTIFY && m->event != NOTIFY_EVENT_FIRING) {
        dd_buf_release(&u);
        return notify__nothing(out, "a retrain or rollback dispatch is sent when an alert fires, "
                                    "not when it resolves");
    }
    if (r->action == NOTIFY_ACTION_ROLLBACK && !m->rollback_to) {
        dd_buf_release(&u);
        return notify__nothing(out, m->rollback_reason ? m->rollback_reason
                                                       : "the alert has no rollback target");
    }
    dd_buf_puts(&u, "/dispatches");

    char summary[NOTIFY_SUMMARY_MAX + 1];
    int f = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &f, "event_type", r->event_type);
    dd_json_key(&b, "client_payload", &f);
    int p = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &p, "message_id", m->id);
    dd_json_kstr(&b, &p, "event", notify__event_name(m->event));
    dd_json_kstr(&b, &p, "model", m->model);
    dd_json_kstr(&b, &p, "version", m->version);
    dd_json_kstr(&b, &p, "summary", notify_summary(m, summary));
    notify__json_kstr_or_null(&b, &p, "report_url", m->report_url);
    notify__json_alert(&b, &p, m);
    dd_json_key(&b, "evaluation", &p);
    int e = 1;
    dd_buf_putc(&b, '{');
    notify__json_kstr_or_null(&b, &e, "method", m->method);
    dd_json_knum(&b, &e, "statistic", m->statistic);
    dd_json_knum(&b, &e, "p_value", m->p_value);
    notify__json_kwindow(&b, &e, "window", m->window_from_ms, m->window_to_ms);
    notify__json_kevents(&b, &e, "events", m);
    dd_buf_putc(&b, '}');
    notify__json_action(&b, &p, r, m);
    dd_buf_puts(&b, "}}");
    /* 9 top-level keys above: message_id .. action */
    _Static_assert(9 <= GITHUB_PAYLOAD_KEYS, "client_payload: at most 10 top-level keys");

    notify__req_method(out, "POST");
    notify__req_url(out, &u);
    headers(r, out);
    notify__req_header(out, "Content-Type", "application/json");
    notify__req_body(out, &b);
    return 0;
}

const struct notify__backend notify__github = {NOTIFY_GITHUB, "github", render};
