/* pagerduty.c — PagerDuty Events API v2: a trigger when an alert fires (and for
 * a test), a resolve with the same dedup_key when it clears.  The routing key
 * is the credential; no Authorization header. */
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

static void link_text(struct dd_buf *b, const struct notify_message *m)
{
    dd_buf_printf(b, "driftd drift report: %s %s", m->model, m->version ? m->version : "");
}

static int render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out)
{
    if (!r->routing_key) /* a receiver not made by notify_receiver_parse() */
        return DD_EINVAL;
    struct dd_buf b, t;
    dd_buf_init(&b);
    dd_buf_init(&t);
    int f = 1;
    dd_buf_putc(&b, '{');
    dd_json_kstr(&b, &f, "routing_key", r->routing_key);
    dd_json_kstr(&b, &f, "event_action", m->event == NOTIFY_EVENT_RESOLVED ? "resolve" : "trigger");
    dd_json_kstr(&b, &f, "dedup_key", m->alert_key);
    if (m->event != NOTIFY_EVENT_RESOLVED) {
        char summary[NOTIFY_SUMMARY_MAX + 1];
        dd_json_key(&b, "payload", &f);
        int p = 1;
        dd_buf_putc(&b, '{');
        dd_json_kstr(&b, &p, "summary", notify_summary(m, summary));
        dd_json_kstr(&b, &p, "source", m->source ? m->source : "driftd");
        dd_json_kstr(&b, &p, "severity",
                     m->event == NOTIFY_EVENT_TEST ? "info" : notify__severity_name(m->severity));
        dd_json_ktime(&b, &p, "timestamp", m->started_at_ms >= 0 ? m->started_at_ms : now_ms);
        dd_json_kstr(&b, &p, "component", m->model);
        if (m->version)
            dd_json_kstr(&b, &p, "group", m->version);
        dd_json_kstr(&b, &p, "class", m->signal ? m->signal : "drift");
        dd_json_key(&b, "custom_details", &p);
        int d = 1;
        dd_buf_putc(&b, '{');
        dd_json_kbool(&b, &d, "test", m->event == NOTIFY_EVENT_TEST);
        notify__json_kstr_or_null(&b, &d, "method", m->method);
        dd_json_knum(&b, &d, "statistic", m->statistic);
        dd_json_knum(&b, &d, "p_value", m->p_value);
        notify__json_kstr_or_null(&b, &d, "condition", m->condition);
        dd_json_knum(&b, &d, "value", m->value);
        dd_json_knum(&b, &d, "threshold", m->threshold);
        notify__json_kwindow(&b, &d, "window", m->window_from_ms, m->window_to_ms);
        notify__json_kevents(&b, &d, "events", m);
        notify__json_kstr_or_null(&b, &d, "rule", m->rule);
        notify_json_kpairs(&b, &d, "labels", m->labels, m->n_labels);
        if (r->action != NOTIFY_ACTION_NOTIFY)
            notify__json_action(&b, &d, r, m);
        dd_buf_putc(&b, '}');
        dd_buf_putc(&b, '}');
        if (m->report_url) {
            dd_json_key(&b, "links", &f);
            int l = 1;
            dd_buf_puts(&b, "[{");
            dd_json_kstr(&b, &l, "href", m->report_url);
            link_text(&t, m);
            dd_json_kstr(&b, &l, "text", t.data);
            dd_buf_puts(&b, "}]");
        }
        dd_json_kstr(&b, &f, "client", "driftd");
        if (m->external_url)
            dd_json_kstr(&b, &f, "client_url", m->external_url);
    }
    dd_buf_putc(&b, '}');
    dd_buf_release(&t);

    notify__req_method(out, "POST");
    dd_buf_puts(&t, r->url);
    notify__req_url(out, &t);
    notify__req_header(out, "Content-Type", "application/json");
    notify__req_header(out, "User-Agent", "driftd");
    notify__req_body(out, &b);
    return 0;
}

const struct notify__backend notify__pagerduty = {NOTIFY_PAGERDUTY, "pagerduty", render};
