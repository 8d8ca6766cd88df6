/* notify.c — notify_render() over the back-ends, the message helpers, the
 * Standard Webhooks signature, the retry policy and the pieces the back-ends
 * share (notify_int.h).  Receivers are parsed in receiver.c, sent in send.c. */
#include "server/notify/notify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/err.h"
#include "base/sha256.h"
#include "base/timefmt.h"
#include "server/notify/notify_int.h"

const struct notify__backend *const notify__backends[NOTIFY_KINDS] = {
    [NOTIFY_PAGERDUTY] = &notify__pagerduty, [NOTIFY_WEBHOOK] = &notify__webhook,
    [NOTIFY_MLFLOW] = &notify__mlflow,       [NOTIFY_TORCHSERVE] = &notify__torchserve,
    [NOTIFY_GITHUB] = &notify__github,
};

const char *notify_kind_name(enum notify_kind kind)
{
    return (unsigned)kind < NOTIFY_KINDS ? notify__backends[kind]->name : "unknown";
}

const char *notify_action_name(enum notify_action action)
{
    switch (action) {
    case NOTIFY_ACTION_ROLLBACK:
        return "rollback";
    case NOTIFY_ACTION_RETRAIN:
        return "retrain";
    default:
        return "notify";
    }
}

const char *notify__event_name(int e)
{
    return e == NOTIFY_EVENT_RESOLVED ? "resolved" : e == NOTIFY_EVENT_TEST ? "test" : "firing";
}

const char *notify__severity_name(int s)
{
    static const char *const names[] = {"critical", "error", "warning", "info"};
    return (unsigned)s < 4 ? names[s] : "critical";
}

/* ---- messages ---- */

void notify_message_init(struct notify_message *m)
{
    memset(m, 0, sizeof *m);
    m->value = m->threshold = m->p_value = m->statistic = NAN;
    m->window_from_ms = m->window_to_ms = -1;
    m->events_current = m->events_reference = -1;
    m->started_at_ms = m->resolved_at_ms = -1;
    m->export_from_ms = m->export_to_ms = -1;
}

void notify_message_id(const uint8_t random[16], char out[NOTIFY_MSG_ID_LEN + 1])
{
    memcpy(out, "msg_", 4);
    dd_hex(random, 16, out + 4);
}

void notify_alert_key(const char *rule, const char *model, const char *version,
                      char out[NOTIFY_KEY_MAX + 1])
{
    char key[4 * 1024];
    int n = snprintf(key, sizeof key, "driftd/%s/%s/%s", rule ? rule : "", model ? model : "",
                     version ? version : "");
    if (n >= 0 && n <= NOTIFY_KEY_MAX) {
        memcpy(out, key, (size_t)n + 1);
        return;
    }
    /* too long for PagerDuty: the same identity, hashed (names hold no '\0') */
    struct dd_sha256 c;
    dd_sha256_init(&c);
    const char *parts[3] = {rule ? rule : "", model ? model : "", version ? version : ""};
    for (int i = 0; i < 3; i++)
        dd_sha256_update(&c, parts[i], strlen(parts[i]) + 1);
    uint8_t d[DD_SHA256_LEN];
    dd_sha256_final(&c, d);
    memcpy(out, "driftd/sha256:", 14);
    dd_hex(d, DD_SHA256_LEN, out + 14);
}

/* the longest prefix of s[0..n) that ends on a UTF-8 character boundary */
static size_t utf8_cut(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void put_num(struct dd_buf *b, double v)
{
    dd_buf_printf(b, "%.4g", v);
}

static void put_window(struct dd_buf *b, int64_t from_ms, int64_t to_ms)
{
    if (from_ms < 0 || to_ms < 0)
        return;
    char f[DD_TIME_STRLEN], t[DD_TIME_STRLEN];
    dd_time_format(from_ms, f);
    dd_time_format(to_ms, t);
    /* "2026-11-22 10:00 to 11:00 UTC", the date once when it is the same day */
    f[16] = '\0';
    t[16] = '\0';
    f[10] = ' ';
    t[10] = ' ';
    dd_buf_printf(b, " over %s to %s UTC", f, memcmp(f, t, 10) == 0 ? t + 11 : t);
}

const char *notify_summary(const struct notify_message *m, char out[NOTIFY_SUMMARY_MAX + 1])
{
    struct dd_buf b;
    dd_buf_init(&b);
    const char *model = m->model ? m->model : "?";
    const char *version = m->version ? m->version : "?";
    if (m->summary) {
        dd_buf_puts(&b, m->summary);
    } else if (m->event == NOTIFY_EVENT_TEST) {
        dd_buf_printf(&b,
                      "driftd test notification for model %s version %s: nothing is wrong, "
                      "this checks that the receiver is reachable",
                      model, version);
    } else {
        int resolved = m->event == NOTIFY_EVENT_RESOLVED;
        dd_buf_printf(&b, "%sModel %s version %s: ", resolved ? "Resolved: " : "", model, version);
        if (m->signal)
            dd_buf_printf(&b, "%s %s", m->signal,
                          resolved ? "is back within its rule" : "has drifted from its reference");
        else
            dd_buf_puts(&b, resolved ? "no longer drifts" : "has drifted from its reference");
        int open = 0;
        if (m->condition) {
            dd_buf_printf(&b, " (%s%s", resolved ? "no longer " : "", m->condition);
            open = 1;
        }
        if (isfinite(m->value) && !resolved) {
            dd_buf_puts(&b, open ? ", " : " (");
            dd_buf_puts(&b, "value ");
            put_num(&b, m->value);
            open = 1;
        }
        if (m->method && !resolved) {
            dd_buf_puts(&b, open ? ", " : " (");
            dd_buf_printf(&b, "%s", m->method);
            if (isfinite(m->p_value)) {
                dd_buf_puts(&b, " p=");
                put_num(&b, m->p_value);
            } else if (isfinite(m->statistic)) {
                dd_buf_puts(&b, " statistic ");
                put_num(&b, m->statistic);
            }
            open = 1;
        }
        if (open)
            dd_buf_putc(&b, ')');
        if (!resolved) {
            put_window(&b, m->window_from_ms, m->window_to_ms);
            if (m->events_current >= 0)
                dd_buf_printf(&b, ", %lld events", (long long)m->events_current);
        }
        if (m->rule)
            dd_buf_printf(&b, "; rule %s", m->rule);
    }
    size_t n = b.len;
    if (n > NOTIFY_SUMMARY_MAX)
        n = utf8_cut(b.data, NOTIFY_SUMMARY_MAX);
    memcpy(out, b.data, n);
    out[n] = '\0';
    dd_buf_release(&b);
    return out;
}

/* ---- requests ---- */

void notify__req_method(struct notify_request *req, const char *method)
{
    snprintf(req->method, sizeof req->method, "%s", method);
}

void notify__req_header(struct notify_request *req, const char *name, const char *value)
{
    if (req->n_headers == NOTIFY_REQUEST_HEADERS_MAX)
        return;
    req->headers[req->n_headers].name = dd_strdup(name);
    req->headers[req->n_headers].value = dd_strdup(value);
    req->n_headers++;
}

void notify__req_bearer(struct notify_request *req, const char *token)
{
    if (!token)
        return;
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_printf(&b, "Bearer %s", token);
    notify__req_header(req, "Authorization", b.data);
    dd_buf_release(&b);
}

void notify__req_body(struct notify_request *req, struct dd_buf *b)
{
    free(req->body);
    req->body = dd_buf_take(b, &req->body_len);
}

void notify__req_url(struct notify_request *req, struct dd_buf *b)
{
    free(req->url);
    req->url = dd_buf_take(b, NULL);
}

int notify__nothing(struct notify_request *req, const char *reason)
{
    req->reason = reason;
    return NOTIFY_NOTHING_TO_SEND;
}

void notify__url_base(struct dd_buf *b, const char *base)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    dd_buf_append(b, base, n);
}

void notify__url_escape(struct dd_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            dd_buf_putc(b, (char)*p);
        else
            dd_buf_printf(b, "%%%02X", *p);
    }
}

int notify__segment_ok(const char *s)
{
    return s && *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

const char *notify__map_version(const struct notify_receiver *r, const char *version)
{
    for (size_t i = 0; i < r->n_versions; i++)
        if (!strcmp(r->versions[i].name, version))
            return r->versions[i].value;
    return version;
}

void notify__pairs_free(struct notify_pair *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

void notify_request_release(struct notify_request *req)
{
    if (!req)
        return;
    for (size_t i = 0; i < req->n_headers; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->url);
    free(req->body);
    memset(req, 0, sizeof *req);
}

int notify_render(const struct notify_receiver *r, const struct notify_message *m, int64_t now_ms,
                  struct notify_request *out)
{
    if ((unsigned)r->kind >= NOTIFY_KINDS || !r->url || !m->id || !*m->id || !m->alert_key ||
        !*m->alert_key || strlen(m->alert_key) > NOTIFY_KEY_MAX || !m->model || !*m->model ||
        (m->event != NOTIFY_EVENT_TEST && (!m->version || !*m->version)))
        return DD_EINVAL;
    struct notify_request req;
    memset(&req, 0, sizeof req);
    int rc = notify__backends[r->kind]->render(r, m, now_ms, &req);
    if (rc < 0) {
        notify_request_release(&req);
        return rc;
    }
    *out = req;
    return rc;
}

/* ---- JSON pieces ---- */

void notify_json_kpairs(struct dd_buf *b, int *first, const char *key, const struct notify_pair *p,
                        size_t n)
{
    dd_json_key(b, key, first);
    dd_buf_putc(b, '{');
    int f = 1;
    for (size_t i = 0; i < n; i++)
        dd_json_kstr(b, &f, p[i].name, p[i].value);
    dd_buf_putc(b, '}');
}

void notify__json_kstr_or_null(struct dd_buf *b, int *first, const char *key, const char *s)
{
    if (s) {
        dd_json_kstr(b, first, key, s);
    } else {
        dd_json_key(b, key, first);
        dd_buf_puts(b, "null");
    }
}

void notify__json_kwindow(struct dd_buf *b, int *first, const char *key, int64_t from_ms,
                          int64_t to_ms)
{
    dd_json_key(b, key, first);
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_ktime(b, &f, "from", from_ms);
    dd_json_ktime(b, &f, "to", to_ms);
    dd_buf_putc(b, '}');
}

static void kcount(struct dd_buf *b, int *first, const char *key, int64_t n)
{
    dd_json_key(b, key, first);
    if (n < 0)
        dd_buf_puts(b, "null");
    else
        dd_json_int(b, n);
}

void notify__json_kevents(struct dd_buf *b, int *first, const char *key,
                          const struct notify_message *m)
{
    dd_json_key(b, key, first);
    int f = 1;
    dd_buf_putc(b, '{');
    kcount(b, &f, "current", m->events_current);
    kcount(b, &f, "reference", m->events_reference);
    dd_buf_putc(b, '}');
}

void notify__json_alert(struct dd_buf *b, int *first, const struct notify_message *m)
{
    dd_json_key(b, "alert", first);
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &f, "key", m->alert_key);
    dd_json_kstr(b, &f, "status", notify__event_name(m->event));
    notify__json_kstr_or_null(b, &f, "rule", m->rule);
    dd_json_kstr(b, &f, "model", m->model);
    notify__json_kstr_or_null(b, &f, "version", m->version);
    notify__json_kstr_or_null(b, &f, "signal", m->signal);
    notify__json_kstr_or_null(b, &f, "method", m->method);
    dd_json_kstr(b, &f, "severity", notify__severity_name(m->severity));
    notify__json_kstr_or_null(b, &f, "condition", m->condition);
    dd_json_knum(b, &f, "value", m->value);
    dd_json_knum(b, &f, "threshold", m->threshold);
    notify_json_kpairs(b, &f, "labels", m->labels, m->n_labels);
    dd_json_ktime(b, &f, "started_at", m->started_at_ms);
    dd_json_ktime(b, &f, "resolved_at", m->resolved_at_ms);
    notify__json_kstr_or_null(b, &f, "report_url", m->report_url);
    dd_buf_putc(b, '}');
}

void notify__json_action(struct dd_buf *b, int *first, const struct notify_receiver *r,
                         const struct notify_message *m)
{
    dd_json_key(b, "action", first);
    int f = 1;
    dd_buf_putc(b, '{');
    dd_json_kstr(b, &f, "type", notify_action_name(r->action));
    if (r->action == NOTIFY_ACTION_ROLLBACK) {
        dd_json_kstr(b, &f, "model", m->model);
        notify__json_kstr_or_null(b, &f, "from_version", m->version);
        notify__json_kstr_or_null(b, &f, "to_version", m->rollback_to);
        if (!m->rollback_to)
            dd_json_kstr(b, &f, "reason",
                         m->rollback_reason ? m->rollback_reason : "no rollback target");
    } else if (r->action == NOTIFY_ACTION_RETRAIN) {
        dd_json_kstr(b, &f, "model", m->model);
        notify__json_kstr_or_null(b, &f, "version", m->version);
        notify__json_kstr_or_null(b, &f, "export_url", m->export_url);
        notify__json_kwindow(b, &f, "window", m->export_from_ms, m->export_to_ms);
    }
    dd_buf_putc(b, '}');
}

/* ---- Standard Webhooks signature ---- */

int notify_sign(const char *secret, const char *msg_id, int64_t timestamp_s, const void *body,
                size_t body_len, char out[NOTIFY_SIGNATURE_LEN + 1])
{
    if (!secret || strncmp(secret, "whsec_", 6) != 0)
        return DD_EINVAL;
    const char *k = secret + 6;
    size_t klen = strlen(k);
    if (klen == 0 || klen > 512)
        return DD_EINVAL;
    uint8_t key[DD_BASE64_DECODED_MAX(512)];
    size_t keylen;
    if (dd_base64_decode(k, klen, key, &keylen) < 0)
        return DD_EINVAL;
    struct dd_buf b;
    dd_buf_init(&b);
    dd_buf_printf(&b, "%s.%lld.", msg_id, (long long)timestamp_s);
    dd_buf_append(&b, body, body_len);
    uint8_t mac[DD_SHA256_LEN];
    dd_hmac_sha256(key, keylen, b.data, b.len, mac);
    dd_buf_release(&b);
    memcpy(out, "v1,", 3);
    dd_base64_encode(mac, DD_SHA256_LEN, out + 3);
    return 0;
}

/* ---- retry policy ---- */

struct notify_retry notify_classify(const struct notify_response *resp, int attempt,
                                    int64_t first_attempt_ms, int64_t now_ms, int64_t max_age_ms,
                                    uint64_t random)
{
    struct notify_retry out = {NOTIFY_GIVE_UP, -1, "HTTP status that is final"};
    int s = resp->status;
    if (s >= 200 && s <= 299) {
        out.outcome = NOTIFY_DELIVERED;
        out.reason = "delivered";
        return out;
    }
    if (s == 0)
        out.reason = resp->timed_out ? "timed out" : "no answer (network error)";
    else if (s == 429)
        out.reason = "HTTP 429 (rate limited)";
    else if (s == 408)
        out.reason = "HTTP 408";
    else if (s >= 500 && s <= 599)
        out.reason = "HTTP 5xx";
    else if (s >= 300 && s <= 399)
        return (out.reason = "HTTP 3xx (redirects are not followed)", out);
    else
        return (out.reason = s >= 400 ? "HTTP 4xx (not retried)" : "unexpected HTTP status", out);

    if (max_age_ms <= 0)
        max_age_ms = NOTIFY_DEFAULT_MAX_AGE_MS;
    if (attempt < 1)
        attempt = 1;
    int64_t ceil_ms = NOTIFY_BACKOFF_CAP_MS;
    if (attempt < 30 && ((int64_t)NOTIFY_BACKOFF_BASE_MS << attempt) < ceil_ms)
        ceil_ms = (int64_t)NOTIFY_BACKOFF_BASE_MS << attempt;
    int64_t delay = (int64_t)(random % (uint64_t)(ceil_ms + 1)); /* full jitter */
    if (delay < NOTIFY_BACKOFF_BASE_MS)
        delay = NOTIFY_BACKOFF_BASE_MS;
    if (resp->retry_after_ms > delay)
        delay = resp->retry_after_ms; /* never earlier than the receiver asked */
    int64_t next = now_ms + delay;
    if (next > first_attempt_ms + max_age_ms) {
        out.reason = "too old: retries stop after max_age";
        return out;
    }
    out.outcome = NOTIFY_RETRY;
    out.next_attempt_ms = next;
    return out;
}
