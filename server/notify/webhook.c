/* webhook.c — generic webhooks: driftd's own JSON (format "driftd") or the
 * Alertmanager v4 webhook payload (format "alertmanager"), with the receiver's
 * static headers, signed per Standard Webhooks when it has a secret.  The
 * webhook-id is the message id, the same on every retry (the receiver's
 * idempotency key); webhook-timestamp and the signature are the attempt's. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/sha256.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

/* {"type": "alert.firing", "id", "timestamp", "summary", "alert", "evaluation", "action"} */
static void driftd_body(struct dd_buf *b, const struct notify_receiver *r,
                        const struct notify_message *m, int64_t now_ms)
{
    char summary[NOTIFY_SUMMARY_MAX + 1];
    char type[32];
    snprintf(type, sizeof type, "alert.%s", notify__event_name(m->event));
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &f, "type", type);
    dd_json_kstr(b, &f, "id", m->id);
    dd_json_ktime(b, &f, "timestamp", now_ms);
    dd_json_kstr(b, &f, "summary", notify_summary(m, summary));
    notify__json_alert(b, &f, m);
    dd_json_key(b, "evaluation", &f);
    int e = 1;
    dd_buf_putc(b, '{');
    notify__json_kstr_or_null(b, &e, "signal", m->signal);
    notify__json_kstr_or_null(b, &e, "method", m->method);
    dd_json_knum(b, &e, "statistic", m->statistic);
    dd_json_knum(b, &e, "p_value", m->p_value);
    notify__json_kwindow(b, &e, "window", m->window_from_ms, m->window_to_ms);
    notify__json_kevents(b, &e, "events", m);
    dd_buf_putc(b, '}');
    notify__json_action(b, &f, r, m);
    dd_buf_putc(b, '}');
}

/* the alert's identity labels, then the rule's (which may not replace them) */
static void am_labels(struct dd_buf *b, const struct notify_message *m)
{
    static const char *const own[] = {"alertname", "model",    "version",    "signal",
                                      "method",    "severity", "driftd_test"};
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &f, "alertname", m->rule ? m->rule : "driftd");
    dd_json_kstr(b, &f, "model", m->model);
    if (m->version)
        dd_json_kstr(b, &f, "version", m->version);
    if (m->signal)
        dd_json_kstr(b, &f, "signal", m->signal);
    if (m->method)
        dd_json_kstr(b, &f, "method", m->method);
    dd_json_kstr(b, &f, "severity", notify__severity_name(m->severity));
    if (m->event == NOTIFY_EVENT_TEST)
        dd_json_kstr(b, &f, "driftd_test", "true");
    for (size_t i = 0; i < m->n_labels; i++) {
        int clash = 0;
        for (size_t k = 0; k < sizeof own / sizeof *own; k++)
            clash |= !strcmp(m->labels[i].name, own[k]);
        if (!clash)
            dd_json_kstr(b, &f, m->labels[i].name, m->labels[i].value);
    }
    dd_buf_putc(b, '}');
}

/* "key": "<v as the shortest decimal that reads back>" (annotations are strings) */
static void kshortest(struct dd_buf *b, int *first, const char *key, double v)
{
    if (v != v) /* NaN: unknown, left out */
        return;
    struct dd_buf t;
    dd_buf_init(&t);
    dd_json_num(&t, v);
    dd_json_kstr(b, first, key, t.data);
    dd_buf_release(&t);
}

static void am_annotations(struct dd_buf *b, const struct notify_message *m)
{
    char summary[NOTIFY_SUMMARY_MAX + 1];
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &f, "summary", notify_summary(m, summary));
    if (m->condition)
        dd_json_kstr(b, &f, "condition", m->condition);
    kshortest(b, &f, "value", m->value);
    kshortest(b, &f, "p_value", m->p_value);
    if (m->report_url)
        dd_json_kstr(b, &f, "report_url", m->report_url);
    dd_buf_putc(b, '}');
}

/* Alertmanager's fingerprint is a 64-bit hash of the label set, in 16 hex
 * digits; ours hashes the alert key, which stands for the same identity. */
static void fingerprint(const char *alert_key, char out[17])
{
    uint8_t d[DD_SHA256_LEN];
    dd_sha256(alert_key, strlen(alert_key), d);
    dd_hex(d, 8, out);
}

static void alertmanager_body(struct dd_buf *b, const struct notify_receiver *r,
                              const struct notify_message *m)
{
    const char *status = m->event == NOTIFY_EVENT_RESOLVED ? "resolved" : "firing";
    struct dd_buf gk;
    dd_buf_init(&gk);
    dd_buf_printf(&gk, "{}:{alertname=\"%s\", model=\"%s\", version=\"%s\"}",
                  m->rule ? m->rule : "driftd", m->model, m->version ? m->version : "");
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &f, "version", "4");
    dd_json_kstr(b, &f, "groupKey", gk.data);
    dd_json_kint(b, &f, "truncatedAlerts", 0);
    dd_json_kstr(b, &f, "status", status);
    dd_json_kstr(b, &f, "receiver", r->id ? r->id : "");
    dd_json_key(b, "groupLabels", &f);
    int g = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &g, "alertname", m->rule ? m->rule : "driftd");
    dd_json_kstr(b, &g, "model", m->model);
    dd_json_kstr(b, &g, "version", m->version ? m->version : "");
    dd_buf_putc(b, '}');
    /* one alert per payload: the common labels and annotations are its own */
    dd_json_key(b, "commonLabels", &f);
    am_labels(b, m);
    dd_json_key(b, "commonAnnotations", &f);
    am_annotations(b, m);
    dd_json_kstr(b, &f, "externalURL", m->external_url ? m->external_url : "");
    dd_json_key(b, "alerts", &f);
    dd_buf_putc(b, '[');
    int a = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &a, "status", status);
    dd_json_key(b, "labels", &a);
    am_labels(b, m);
    dd_json_key(b, "annotations", &a);
    am_annotations(b, m);
    dd_json_ktime(b, &a, "startsAt", m->started_at_ms >= 0 ? m->started_at_ms : 0);
    if (m->event == NOTIFY_EVENT_RESOLVED && m->resolved_at_ms >= 0)
        dd_json_ktime(b, &a, "endsAt", m->resolved_at_ms);
    else
        dd_json_kstr(b, &a, "endsAt", "0001-01-01T00:00:00Z");
    dd_json_kstr(b, &a, "generatorURL", m->report_url ? m->report_url : "");
    char fp[17];
    fingerprint(m->alert_key, fp);
    dd_json_kstr(b, &a, "fingerprint", fp);
    dd_buf_puts(b, "}]}");
    dd_buf_release(&gk);
}

static int render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out)
{
    struct dd_buf b, u;
    dd_buf_init(&b);
    dd_buf_init(&u);
    if (r->format == NOTIFY_FORMAT_ALERTMANAGER)
        alertmanager_body(&b, r, m);
    else
        driftd_body(&b, r, m, now_ms);

    int64_t ts = now_ms / 1000;
    char tsbuf[24], sig[NOTIFY_SIGNATURE_LEN + 1];
    snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);
    if (r->secret && notify_sign(r->secret, m->id, ts, b.data, b.len, sig) < 0) {
        dd_buf_release(&b);
        return DD_EINVAL;
    }
    notify__req_method(out, "POST");
    dd_buf_puts(&u, r->url);
    notify__req_url(out, &u);
    notify__req_header(out, "Content-Type", "application/json");
    notify__req_header(out, "User-Agent", "driftd");
    notify__req_header(out, "webhook-id", m->id);
    notify__req_header(out, "webhook-timestamp", tsbuf);
    if (r->secret)
        notify__req_header(out, "webhook-signature", sig);
    for (size_t i = 0; i < r->n_headers; i++)
        notify__req_header(out, r->headers[i].name, r->headers[i].value);
    notify__req_body(out, &b);
    return 0;
}

const struct notify__backend notify__webhook = {NOTIFY_WEBHOOK, "webhook", render};
