/* alerts.c — the alert life-cycle of one evaluation round (alerts.h):
 * conditions, the state machine, and the changes with their outbox rows. */
#include "server/monitor/alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/timefmt.h"

/* ---- conditions ---- */

void alerts_condition(const struct rule *r, const struct dd_report *rep, const char *status,
                      double acc_ref, double acc_cur, struct alert_facts *out)
{
    *out = (struct alert_facts){.value = NAN};
    if (r->target == RULE_PERFORMANCE) {
        if (r->cond == RULE_ACC_BELOW && acc_cur == acc_cur) {
            out->known = 1;
            out->value = acc_cur;
            out->holds = acc_cur < r->threshold;
        } else if (r->cond == RULE_ACC_DROP_ABOVE && acc_cur == acc_cur && acc_ref == acc_ref) {
            out->known = 1;
            out->value = acc_ref - acc_cur;
            out->holds = out->value > r->threshold;
        }
        return;
    }
    if (r->target == RULE_VERDICT) {
        if (!status || (strcmp(status, "drift") != 0 && strcmp(status, "ok") != 0))
            return; /* insufficient data, no reference: nothing to decide on */
        out->known = 1;
        out->holds = !strcmp(status, "drift");
        /* the row that decided: the smallest p-value of the tests (Holm's first) */
        for (size_t i = 0; rep && i < rep->n_results; i++) {
            const struct dd_result *x = &rep->results[i];
            if (x->status != 0 || x->p_value != x->p_value || (out->holds && !x->drift))
                continue;
            if (!out->res || x->p_value < out->res->p_value)
                out->res = x;
        }
        out->value = out->res ? out->res->p_value : NAN;
        return;
    }
    for (size_t i = 0; rep && i < rep->n_results; i++) {
        const struct dd_result *x = &rep->results[i];
        if (x->status != 0 || strcmp(x->signal, r->signal) != 0 ||
            (r->method[0] && strcmp(x->method, r->method) != 0))
            continue;
        int holds;
        double v;
        switch (r->cond) {
        case RULE_P_BELOW:
            if (x->p_value != x->p_value)
                continue; /* an effect size has no p-value */
            v = x->p_value;
            holds = v < r->threshold;
            /* the smallest p-value speaks for the signal */
            if (out->known && !(v < out->value))
                continue;
            break;
        case RULE_STAT_ABOVE:
            if (x->statistic != x->statistic)
                continue;
            v = x->statistic;
            holds = v > r->threshold;
            if (out->known && !(v > out->value))
                continue;
            break;
        default: /* RULE_DRIFT */
            v = x->p_value == x->p_value ? x->p_value : x->statistic;
            holds = x->drift;
            if (out->known && (out->holds || !holds))
                continue; /* the first drifting row, else the first row */
            break;
        }
        out->known = 1;
        out->holds = holds;
        out->value = v;
        out->res = x;
    }
}

/* ---- the state machine ---- */

enum alert_step alerts_step(const struct rule *r, const struct alert_open *cur,
                            const struct alert_facts *f, int64_t now_ms)
{
    if (!cur)
        return !f->known || !f->holds ? ALERT_NOTHING
               : r->for_ms <= 0       ? ALERT_FIRE
                                      : ALERT_PENDING_NEW;
    if (!cur->firing) {
        if (!f->known)
            return ALERT_PENDING_KEEP;
        if (!f->holds)
            return ALERT_DROP;
        return now_ms - cur->pending_since_ms >= r->for_ms ? ALERT_FIRE : ALERT_PENDING_KEEP;
    }
    if (!f->known)
        return ALERT_FIRING_KEEP;
    if (!f->holds)
        return ALERT_RESOLVE;
    return cur->last_notified_ms >= 0 && now_ms - cur->last_notified_ms >= r->repeat_ms
               ? ALERT_REPEAT
               : ALERT_FIRING_KEEP;
}

/* ---- reading the report body ---- */

static double number_after(const char *json, const char *key)
{
    const char *p = json ? strstr(json, key) : NULL;
    if (!p)
        return NAN;
    p += strlen(key);
    if (!strncmp(p, "null", 4))
        return NAN;
    char *end = NULL;
    double v = strtod(p, &end);
    return end == p ? NAN : v;
}

void alerts_accuracy(const char *report_json, double *ref, double *cur)
{
    *ref = *cur = NAN;
    const char *perf = report_json ? strstr(report_json, "\"performance\":{\"reference\":{") : NULL;
    if (!perf)
        return;
    /* {"labeled":N,"accuracy":X ...: both blocks start so (performance.h) */
    const char *r = strstr(perf, "\"accuracy\":");
    *ref = number_after(r, "\"accuracy\":");
    const char *c = strstr(perf, ",\"current\":{\"labeled\":");
    if (c)
        *cur = number_after(c, "\"accuracy\":");
}

/* The report's window: from and to (inclusive), -1 when unknown. */
static void report_window(const char *json, int64_t *from, int64_t *to, int64_t *events_cur,
                          int64_t *events_ref)
{
    *from = *to = *events_cur = *events_ref = -1;
    const char *w = json ? strstr(json, "\"window\":{\"from\":") : NULL;
    if (!w)
        return;
    const char *p = w + strlen("\"window\":{\"from\":");
    if (*p == '"') {
        const char *q = strchr(p + 1, '"');
        if (q && dd_time_parse(p + 1, (size_t)(q - p - 1), from) != 0)
            *from = -1;
    }
    const char *t = strstr(w, ",\"to\":");
    if (t && t[6] == '"') {
        const char *q = strchr(t + 7, '"');
        if (q && dd_time_parse(t + 7, (size_t)(q - t - 7), to) != 0)
            *to = -1;
    }
    double n = number_after(w, ",\"events\":");
    *events_cur = n == n ? (int64_t)n : -1;
    n = number_after(json, "\"reference\":{\"events\":");
    *events_ref = n == n ? (int64_t)n : -1;
}

/* ---- planning ---- */

static char *keep(struct alerts_plan *p, char *s)
{
    p->strings = dd_realloc(p->strings, (p->n_strings + 1) * sizeof *p->strings);
    p->strings[p->n_strings++] = s;
    return s;
}

static const struct store_alert *find_open(const struct store_alert *open, size_t n,
                                           const char *rule_id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(open[i].rule_id, rule_id) && strcmp(open[i].state, "resolved") != 0)
            return &open[i];
    return NULL;
}

static void random_bytes(uint8_t out[16])
{
    size_t got = 0;
    while (got < 16) {
        ssize_t n = getrandom(out + got, 16 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    for (; got < 16; got++) /* cannot happen on Linux >= 3.17; never all zero */
        out[got] = (uint8_t)(dd_mono_ns() >> (got % 8));
}

/* The outbox rows of one notification, one per receiver of the rule. */
static void notify_rows(struct alerts_plan *p, struct store_alert_change *c, const struct rule *r,
                        const struct alerts_round *rd, const struct alert_facts *f,
                        enum notify_event ev, int silenced)
{
    if (!r->n_receivers)
        return;
    struct store_outbox_new *rows = dd_calloc(r->n_receivers, sizeof *rows);
    p->outboxes = dd_realloc(p->outboxes, (p->n_outboxes + 1) * sizeof *p->outboxes);
    p->outboxes[p->n_outboxes++] = rows;
    struct notify_message m;
    notify_message_init(&m);
    m.event = ev;
    m.alert_key = c->alert_key;
    m.rule = r->id;
    m.model = rd->model;
    m.version = rd->version;
    m.signal = r->signal[0] ? r->signal : NULL;
    m.method = f->res ? f->res->method : r->method[0] ? r->method : NULL;
    if (r->target == RULE_VERDICT)
        m.signal = f->res ? f->res->signal : NULL;
    m.severity = r->severity;
    m.condition = r->condition;
    m.value = f->value;
    m.threshold = r->threshold == r->threshold ? r->threshold : f->res ? f->res->threshold : NAN;
    if (f->res) {
        m.p_value = f->res->p_value;
        m.statistic = f->res->statistic;
    }
    int64_t from, to, ncur, nref;
    report_window(rd->report_json, &from, &to, &ncur, &nref);
    m.window_from_ms = from;
    m.window_to_ms = to;
    m.events_current = f->res ? (int64_t)f->res->n_cur : ncur;
    m.events_reference = f->res ? (int64_t)f->res->n_ref : nref;
    m.started_at_ms = c->started_ms;
    m.resolved_at_ms = c->resolved_ms;
    struct notify_pair labels[RULE_LABELS_MAX];
    for (size_t i = 0; i < r->n_labels; i++)
        labels[i] = (struct notify_pair){(char *)r->labels[i].name, (char *)r->labels[i].value};
    m.labels = labels;
    m.n_labels = r->n_labels;
    struct dd_buf u;
    dd_buf_init(&u);
    dd_buf_printf(&u, "%s/api/v1/models/%s/drift?version=%s", rd->external_url, rd->model,
                  rd->version);
    char *report_url = keep(p, dd_buf_take(&u, NULL));
    m.report_url = report_url;
    m.external_url = rd->external_url;
    if (r->rollback_to[0])
        m.rollback_to = r->rollback_to;
    else if (rd->rollback_candidate)
        m.rollback_to = rd->rollback_candidate;
    else
        m.rollback_reason = "no other version of the model whose latest evaluation had no drift";
    if (from >= 0 && to >= 0) {
        char tf[DD_TIME_STRLEN], tt[DD_TIME_STRLEN];
        dd_time_format(from, tf);
        dd_time_format(to + 1, tt); /* the export's `to` is exclusive */
        dd_buf_init(&u);
        dd_buf_printf(&u, "%s/api/v1/models/%s/events?version=%s&from=%s&to=%s", rd->external_url,
                      rd->model, rd->version, tf, tt);
        m.export_url = keep(p, dd_buf_take(&u, NULL));
        m.export_from_ms = from;
        m.export_to_ms = to + 1;
    }
    char summary[NOTIFY_SUMMARY_MAX + 1];
    m.summary = NULL;
    notify_summary(&m, summary);
    m.summary = keep(p, dd_strdup(summary));
    for (size_t i = 0; i < r->n_receivers; i++) {
        uint8_t rnd[16];
        random_bytes(rnd);
        char *id = keep(p, dd_malloc(NOTIFY_MSG_ID_LEN + 1));
        notify_message_id(rnd, id);
        m.id = id;
        struct dd_buf j;
        dd_buf_init(&j);
        notify_message_json(&m, &j);
        rows[i] = (struct store_outbox_new){
            .message_id = id,
            .receiver_id = r->receivers[i],
            .event = notify_event_name(ev),
            .message = keep(p, dd_buf_take(&j, NULL)),
            .skipped = silenced,
        };
    }
    c->outbox = rows;
    c->n_outbox = r->n_receivers;
}

static char *labels_json(const struct rule *r)
{
    struct dd_buf b;
    dd_buf_init(&b);
    int first = 1;
    dd_buf_putc(&b, '{');
    for (size_t i = 0; i < r->n_labels; i++)
        dd_json_kstr(&b, &first, r->labels[i].name, r->labels[i].value);
    dd_buf_putc(&b, '}');
    return dd_buf_take(&b, NULL);
}

int alerts_plan_version(const struct rule *rules, size_t n_rules, const struct silence *sil,
                        size_t n_sil, const struct store_alert *open, size_t n_open,
                        const struct alerts_round *rd, struct alerts_plan *out)
{
    struct alerts_plan p = {0};
    double acc_ref, acc_cur;
    alerts_accuracy(rd->report_json, &acc_ref, &acc_cur);
    for (size_t i = 0; i < n_rules; i++) {
        const struct rule *r = &rules[i];
        if (!rules_match(r, rd->model, rd->version))
            continue;
        struct alert_facts f;
        alerts_condition(r, rd->rep, rd->status, acc_ref, acc_cur, &f);
        const struct store_alert *a = find_open(open, n_open, r->id);
        struct alert_open cur;
        if (a)
            cur = (struct alert_open){.firing = !strcmp(a->state, "firing"),
                                      .pending_since_ms = a->pending_since_ms,
                                      .started_ms = a->started_ms,
                                      .last_notified_ms = a->last_notified_ms};
        enum alert_step step = alerts_step(r, a ? &cur : NULL, &f, rd->now_ms);
        if (step == ALERT_NOTHING || step == ALERT_FIRING_KEEP || step == ALERT_PENDING_KEEP) {
            if (!a || f.value != f.value || f.value == a->value)
                continue; /* nothing stored changes */
        }
        p.changes = dd_realloc(p.changes, (p.n + 1) * sizeof *p.changes);
        struct store_alert_change *c = &p.changes[p.n++];
        char key[NOTIFY_KEY_MAX + 1];
        notify_alert_key(r->id, rd->model, rd->version, key);
        *c = (struct store_alert_change){
            .alert_id = a ? a->id : 0,
            .rule_id = r->id,
            .model = rd->model,
            .version = rd->version,
            .alert_key = keep(&p, dd_strdup(key)),
            .state = a ? a->state : "pending",
            .value = f.known ? f.value
                     : a     ? a->value
                             : NAN,
            .labels = keep(&p, labels_json(r)),
            .pending_since_ms = a ? a->pending_since_ms : rd->now_ms,
            .started_ms = a ? a->started_ms : -1,
            .resolved_ms = -1,
            .last_notified_ms = a ? a->last_notified_ms : -1,
        };
        int silenced = rules_silenced(sil, n_sil, r, rd->model, rd->version, rd->now_ms);
        switch (step) {
        case ALERT_PENDING_NEW:
            c->state = "pending";
            break;
        case ALERT_FIRE:
            c->state = "firing";
            c->started_ms = rd->now_ms;
            /* fall through - then notified as a repeat is */
        case ALERT_REPEAT:
            c->last_notified_ms = rd->now_ms;
            notify_rows(&p, c, r, rd, &f, NOTIFY_EVENT_FIRING, silenced);
            break;
        case ALERT_RESOLVE:
            c->state = "resolved";
            c->resolved_ms = rd->now_ms;
            c->last_notified_ms = rd->now_ms;
            notify_rows(&p, c, r, rd, &f, NOTIFY_EVENT_RESOLVED, silenced);
            break;
        case ALERT_DROP:
            c->drop = 1;
            break;
        default: /* the value changed, the state did not */
            break;
        }
    }
    *out = p;
    return 0;
}

void alerts_plan_release(struct alerts_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_strings; i++)
        free(p->strings[i]);
    free(p->strings);
    for (size_t i = 0; i < p->n_outboxes; i++)
        free(p->outboxes[i]);
    free(p->outboxes);
    free(p->changes);
    memset(p, 0, sizeof *p);
}
