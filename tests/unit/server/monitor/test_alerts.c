/* test_alerts.c — the alert life-cycle (server/monitor/alerts.c): the
 * condition over a report, the state machine over a sequence of rounds,
 * and the planned changes with their outbox rows (firing after `for`,
 * repeat, resolve, a silenced alert's rows skipped). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "check.h"
#include "ingest/parse.h"
#include "server/fixture.h"
#include "server/monitor/alerts.h"
#include "server/store/writer.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MIN 60000LL

static struct rule rule_of(const char *json)
{
    struct rule r;
    char err[256];
    if (rules_parse(json, strlen(json), NULL, &r, err, sizeof err) != 0) {
        fprintf(stderr, "bad rule in the test: %s\n", err);
        abort();
    }
    return r;
}

static struct dd_result row(const char *signal, const char *method, double stat, double p,
                            int drift)
{
    struct dd_result x;
    memset(&x, 0, sizeof x);
    snprintf(x.signal, sizeof x.signal, "%s", signal);
    x.method = method;
    x.statistic = stat;
    x.p_value = p;
    x.threshold = 0.05;
    x.drift = drift;
    x.n_ref = 300;
    x.n_cur = 200;
    return x;
}

TEST(condition_on_results)
{
    struct dd_result rows[3] = {row("confidence", "ks", 0.4, 0.001, 1),
                                row("confidence", "psi", 0.3, NAN, 1),
                                row("prediction", "chi2", 2.0, 0.5, 0)};
    struct dd_report rep = {.results = rows, .n_results = 3, .status = "drift"};
    struct alert_facts f;
    struct rule r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"confidence\","
                            "\"method\":\"ks\",\"condition\":\"p_value < 0.01\"}");
    alerts_condition(&r, &rep, "drift", NAN, NAN, &f);
    CHECK(f.known);
    CHECK(f.holds);
    CHECK_EQ_DBL(f.value, 0.001);
    CHECK_EQ_PTR(f.res, &rows[0]);
    r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"confidence\",\"method\":\"psi\","
                "\"condition\":\"statistic > 0.5\"}");
    alerts_condition(&r, &rep, "drift", NAN, NAN, &f);
    CHECK(f.known);
    CHECK(!f.holds);
    CHECK_EQ_DBL(f.value, 0.3);
    /* an effect size has no p-value: undecided */
    r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"confidence\",\"method\":\"psi\","
                "\"condition\":\"p_value < 0.5\"}");
    alerts_condition(&r, &rep, "drift", NAN, NAN, &f);
    CHECK(!f.known);
    /* no such signal: undecided */
    r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"latency_ms\",\"condition\":\"drift\"}");
    alerts_condition(&r, &rep, "drift", NAN, NAN, &f);
    CHECK(!f.known);
    r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"prediction\",\"condition\":\"drift\"}");
    alerts_condition(&r, &rep, "drift", NAN, NAN, &f);
    CHECK(f.known);
    CHECK(!f.holds);
    CHECK_EQ_DBL(f.value, 0.5);
    /* the verdict */
    r = rule_of("{\"id\":\"a\",\"model\":\"m\"}");
    alerts_condition(&r, &rep, "drift", NAN, NAN, &f);
    CHECK(f.known && f.holds);
    CHECK_EQ_PTR(f.res, &rows[0]);
    alerts_condition(&r, &rep, "insufficient_data", NAN, NAN, &f);
    CHECK(!f.known);
    alerts_condition(&r, &rep, "ok", NAN, NAN, &f);
    CHECK(f.known && !f.holds);
    /* performance */
    r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"performance\","
                "\"condition\":\"accuracy_drop > 0.05\"}");
    alerts_condition(&r, &rep, "ok", 0.9, 0.8, &f);
    CHECK(f.known && f.holds);
    CHECK_CLOSE(f.value, 0.1, 1e-12, 1e-12);
    alerts_condition(&r, &rep, "ok", NAN, 0.8, &f);
    CHECK(!f.known);
    r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"signal\":\"performance\","
                "\"condition\":\"accuracy < 0.85\"}");
    alerts_condition(&r, &rep, "ok", NAN, 0.9, &f);
    CHECK(f.known && !f.holds);
}

TEST(accuracy_from_report)
{
    double ref, cur;
    alerts_accuracy("{\"model\":\"m\",\"performance\":{\"reference\":{\"labeled\":10,\"accuracy\":"
                    "0.9,\"classes\":{\"current\":{\"precision\":1}}},\"current\":{\"labeled\":5,"
                    "\"accuracy\":0.6,\"classes\":{}}},\"status\":\"ok\"}",
                    &ref, &cur);
    CHECK_EQ_DBL(ref, 0.9);
    CHECK_EQ_DBL(cur, 0.6);
    alerts_accuracy("{\"performance\":{\"reference\":{\"labeled\":0,\"accuracy\":null,"
                    "\"classes\":{}},\"current\":{\"labeled\":3,\"accuracy\":1,\"classes\":{}}}}",
                    &ref, &cur);
    CHECK(isnan(ref));
    CHECK_EQ_DBL(cur, 1.0);
    alerts_accuracy("{\"status\":\"ok\"}", &ref, &cur);
    CHECK(isnan(ref) && isnan(cur));
}

/* The state machine over a sequence of rounds, one a minute. */
TEST(state_machine_sequence)
{
    struct rule r = rule_of("{\"id\":\"a\",\"model\":\"m\",\"for\":\"2m\",\"repeat\":\"5m\"}");
    struct alert_facts yes = {.known = 1, .holds = 1}, no = {.known = 1, .holds = 0},
                       unknown = {.known = 0};
    CHECK_EQ_INT(alerts_step(&r, NULL, &no, T0), ALERT_NOTHING);
    CHECK_EQ_INT(alerts_step(&r, NULL, &unknown, T0), ALERT_NOTHING);
    CHECK_EQ_INT(alerts_step(&r, NULL, &yes, T0), ALERT_PENDING_NEW);
    struct alert_open a = {
        .firing = 0, .pending_since_ms = T0, .started_ms = -1, .last_notified_ms = -1};
    CHECK_EQ_INT(alerts_step(&r, &a, &yes, T0 + MIN), ALERT_PENDING_KEEP);
    CHECK_EQ_INT(alerts_step(&r, &a, &unknown, T0 + MIN), ALERT_PENDING_KEEP);
    CHECK_EQ_INT(alerts_step(&r, &a, &no, T0 + MIN), ALERT_DROP);
    CHECK_EQ_INT(alerts_step(&r, &a, &yes, T0 + 2 * MIN), ALERT_FIRE);
    a = (struct alert_open){.firing = 1,
                            .pending_since_ms = T0,
                            .started_ms = T0 + 2 * MIN,
                            .last_notified_ms = T0 + 2 * MIN};
    CHECK_EQ_INT(alerts_step(&r, &a, &yes, T0 + 6 * MIN), ALERT_FIRING_KEEP);
    CHECK_EQ_INT(alerts_step(&r, &a, &unknown, T0 + 20 * MIN), ALERT_FIRING_KEEP);
    CHECK_EQ_INT(alerts_step(&r, &a, &yes, T0 + 7 * MIN), ALERT_REPEAT);
    CHECK_EQ_INT(alerts_step(&r, &a, &no, T0 + 8 * MIN), ALERT_RESOLVE);
    /* for 0s: fires at once */
    struct rule now = rule_of("{\"id\":\"b\",\"model\":\"m\",\"for\":\"0s\"}");
    CHECK_EQ_INT(alerts_step(&now, NULL, &yes, T0), ALERT_FIRE);
}

/* A round of the planner over a stored alert (NULL: none). */
struct world {
    struct dd_result rows[1];
    struct dd_report rep;
    struct alerts_round rd;
    struct store_alert stored;
    int has;
};

static void world_round(struct world *w, double p, int64_t now)
{
    w->rows[0] = row("confidence", "ks", 0.5, p, p < 0.05);
    w->rep =
        (struct dd_report){.results = w->rows, .n_results = 1, .status = p < 0.05 ? "drift" : "ok"};
    w->rd = (struct alerts_round){
        .model = "vit",
        .version = "v2",
        .status = w->rep.status,
        .rep = &w->rep,
        .report_json = "{\"model\":\"vit\",\"version\":\"v2\",\"window\":{\"from\":"
                       "\"2026-01-01T00:00:00.000Z\",\"to\":\"2026-01-01T00:10:00.000Z\","
                       "\"events\":200},\"reference\":{\"events\":300}}",
        .now_ms = now,
        .external_url = "http://127.0.0.1:8080",
        .rollback_candidate = "v1",
    };
}

/* Applies a plan's one change to the stored alert, as the store would. */
static void world_apply(struct world *w, const struct alerts_plan *p)
{
    if (p->n == 0)
        return;
    const struct store_alert_change *c = &p->changes[0];
    if (c->drop || !strcmp(c->state, "resolved")) {
        w->has = 0;
        return;
    }
    w->has = 1;
    if (!c->alert_id)
        w->stored.id = 7;
    snprintf(w->stored.rule_id, sizeof w->stored.rule_id, "%s", c->rule_id);
    char state[sizeof w->stored.state]; /* c->state may point at stored.state */
    snprintf(state, sizeof state, "%s", c->state);
    memcpy(w->stored.state, state, sizeof state);
    w->stored.value = c->value;
    w->stored.pending_since_ms = c->pending_since_ms;
    w->stored.started_ms = c->started_ms;
    w->stored.last_notified_ms = c->last_notified_ms;
}

static int plan(struct world *w, const struct rule *r, const struct silence *s, size_t ns,
                struct alerts_plan *p)
{
    return alerts_plan_version(r, 1, s, ns, w->has ? &w->stored : NULL, w->has ? 1 : 0, &w->rd, p);
}

/* One round without silences: the world's report of p-value pv at now, and
 * the plan of rule r for it (alerts_plan_version's code). */
static int round_plan(struct world *w, const struct rule *r, double pv, int64_t now,
                      struct alerts_plan *p)
{
    world_round(w, pv, now);
    return plan(w, r, NULL, 0, p);
}

/* The end of a round: its plan stored (world_apply) and released. */
static void round_done(struct world *w, struct alerts_plan *p)
{
    world_apply(w, p);
    alerts_plan_release(p);
}

TEST(plan_fire_after_for_repeat_resolve)
{
    struct rule r = rule_of("{\"id\":\"vit-conf\",\"model\":\"vit\",\"signal\":\"confidence\","
                            "\"method\":\"ks\",\"condition\":\"p_value < 0.01\",\"for\":\"2m\","
                            "\"repeat\":\"10m\",\"severity\":\"critical\",\"receivers\":["
                            "\"oncall\",\"deploy\"],\"labels\":{\"team\":\"vision\"}}");
    struct world w;
    memset(&w, 0, sizeof w);
    struct alerts_plan p;
    /* round 1: holds -> pending, nothing sent */
    CHECK_EQ_INT(round_plan(&w, &r, 0.001, T0, &p), 0);
    CHECK_EQ_INT(p.n, 1);
    CHECK_EQ_INT(p.changes[0].alert_id, 0);
    CHECK_EQ_STR(p.changes[0].state, "pending");
    CHECK_EQ_STR(p.changes[0].alert_key, "driftd/vit-conf/vit/v2");
    CHECK_EQ_STR(p.changes[0].labels, "{\"team\":\"vision\"}");
    CHECK_EQ_INT(p.changes[0].n_outbox, 0);
    round_done(&w, &p);
    /* round 2, a minute later: still pending, nothing to write (same value) */
    round_plan(&w, &r, 0.001, T0 + MIN, &p);
    CHECK_EQ_INT(p.n, 0);
    alerts_plan_release(&p);
    /* round 3, after `for`: firing, one row per receiver */
    round_plan(&w, &r, 0.002, T0 + 2 * MIN, &p);
    CHECK_EQ_INT(p.n, 1);
    CHECK_EQ_INT(p.changes[0].alert_id, 7);
    CHECK_EQ_STR(p.changes[0].state, "firing");
    CHECK_EQ_INT(p.changes[0].started_ms, T0 + 2 * MIN);
    CHECK_EQ_INT(p.changes[0].pending_since_ms, T0);
    CHECK_EQ_INT(p.changes[0].n_outbox, 2);
    const struct store_outbox_new *o = p.changes[0].outbox;
    CHECK_EQ_STR(o[0].receiver_id, "oncall");
    CHECK_EQ_STR(o[1].receiver_id, "deploy");
    CHECK_EQ_STR(o[0].event, "firing");
    CHECK(!o[0].skipped);
    CHECK_STARTS_WITH(o[0].message_id, "msg_");
    CHECK(strcmp(o[0].message_id, o[1].message_id) != 0);
    struct notify_message_owned m;
    char err[256];
    CHECK_EQ_INT(notify_message_parse(o[1].message, strlen(o[1].message), &m, err, sizeof err), 0);
    CHECK_EQ_STR(m.m.id, o[1].message_id);
    CHECK_EQ_STR(m.m.rule, "vit-conf");
    CHECK_EQ_STR(m.m.model, "vit");
    CHECK_EQ_STR(m.m.version, "v2");
    CHECK_EQ_STR(m.m.signal, "confidence");
    CHECK_EQ_STR(m.m.method, "ks");
    CHECK_EQ_STR(m.m.condition, "p_value < 0.01");
    CHECK_EQ_INT(m.m.severity, NOTIFY_SEV_CRITICAL);
    CHECK_EQ_DBL(m.m.value, 0.002);
    CHECK_EQ_DBL(m.m.threshold, 0.01);
    CHECK_EQ_DBL(m.m.p_value, 0.002);
    CHECK_EQ_INT(m.m.events_current, 200);
    CHECK_EQ_INT(m.m.events_reference, 300);
    CHECK_EQ_INT(m.m.window_from_ms, T0);
    CHECK_EQ_INT(m.m.window_to_ms, T0 + 10 * MIN);
    CHECK_EQ_INT(m.m.started_at_ms, T0 + 2 * MIN);
    CHECK_EQ_STR(m.m.rollback_to, "v1");
    CHECK_EQ_STR(m.m.report_url, "http://127.0.0.1:8080/api/v1/models/vit/drift?version=v2");
    CHECK_EQ_STR(m.m.export_url, "http://127.0.0.1:8080/api/v1/models/vit/events?version=v2"
                                 "&from=2026-01-01T00:00:00.000Z&to=2026-01-01T00:10:00.001Z");
    CHECK_EQ_INT(m.m.n_labels, 1);
    CHECK_CONTAINS(m.m.summary, "vit");
    notify_message_release(&m);
    round_done(&w, &p);
    /* round 4: still firing, repeat not due: the value only */
    round_plan(&w, &r, 0.003, T0 + 5 * MIN, &p);
    CHECK_EQ_INT(p.n, 1);
    CHECK_EQ_INT(p.changes[0].n_outbox, 0);
    CHECK_EQ_STR(p.changes[0].state, "firing");
    round_done(&w, &p);
    /* round 5: repeat due (10 m after the firing) */
    round_plan(&w, &r, 0.003, T0 + 12 * MIN, &p);
    CHECK_EQ_INT(p.changes[0].n_outbox, 2);
    CHECK_EQ_STR(p.changes[0].outbox[0].event, "firing");
    CHECK_EQ_INT(p.changes[0].last_notified_ms, T0 + 12 * MIN);
    CHECK_EQ_INT(p.changes[0].started_ms, T0 + 2 * MIN);
    round_done(&w, &p);
    /* round 6: back to normal -> resolved, notified */
    round_plan(&w, &r, 0.4, T0 + 13 * MIN, &p);
    CHECK_EQ_STR(p.changes[0].state, "resolved");
    CHECK_EQ_INT(p.changes[0].resolved_ms, T0 + 13 * MIN);
    CHECK_EQ_INT(p.changes[0].n_outbox, 2);
    CHECK_EQ_STR(p.changes[0].outbox[0].event, "resolved");
    CHECK_EQ_INT(notify_message_parse(p.changes[0].outbox[0].message,
                                      strlen(p.changes[0].outbox[0].message), &m, err, sizeof err),
                 0);
    CHECK_EQ_INT(m.m.event, NOTIFY_EVENT_RESOLVED);
    CHECK_EQ_INT(m.m.resolved_at_ms, T0 + 13 * MIN);
    notify_message_release(&m);
    round_done(&w, &p);
    CHECK(!w.has);
    /* round 7: still normal, no alert: nothing */
    round_plan(&w, &r, 0.5, T0 + 14 * MIN, &p);
    CHECK_EQ_INT(p.n, 0);
    alerts_plan_release(&p);
}

TEST(plan_pending_dropped_and_silenced)
{
    struct rule r = rule_of("{\"id\":\"q\",\"model\":\"*\",\"for\":\"5m\",\"receivers\":[\"a\"],"
                            "\"rollback_to\":\"v0\"}");
    struct world w;
    memset(&w, 0, sizeof w);
    struct alerts_plan p;
    round_plan(&w, &r, 0.001, T0, &p);
    round_done(&w, &p);
    round_plan(&w, &r, 0.3, T0 + MIN, &p); /* stops holding before `for`: dropped, nobody told */
    CHECK_EQ_INT(p.n, 1);
    CHECK(p.changes[0].drop);
    CHECK_EQ_INT(p.changes[0].n_outbox, 0);
    round_done(&w, &p);
    /* silenced: state changes, the rows are skipped */
    struct silence s;
    char err[256];
    const char *sj = "{\"matchers\":{\"rule\":\"q\",\"version\":\"v2\"},"
                     "\"ends_at\":\"2026-01-02T00:00:00Z\"}";
    CHECK_EQ_INT(rules_silence_parse(sj, strlen(sj), T0, &s, err, sizeof err), 0);
    struct rule now = r;
    now.for_ms = 0;
    world_round(&w, 0.001, T0 + 2 * MIN);
    plan(&w, &now, &s, 1, &p);
    CHECK_EQ_STR(p.changes[0].state, "firing");
    CHECK_EQ_INT(p.changes[0].n_outbox, 1);
    CHECK(p.changes[0].outbox[0].skipped);
    struct notify_message_owned m;
    CHECK_EQ_INT(notify_message_parse(p.changes[0].outbox[0].message,
                                      strlen(p.changes[0].outbox[0].message), &m, err, sizeof err),
                 0);
    CHECK_EQ_STR(m.m.rollback_to, "v0"); /* the rule's target before the newest good version */
    notify_message_release(&m);
    alerts_plan_release(&p);
    /* a rule for another model is not planned at all */
    struct rule other = rule_of("{\"id\":\"o\",\"model\":\"bert\"}");
    plan(&w, &other, NULL, 0, &p);
    CHECK_EQ_INT(p.n, 0);
    alerts_plan_release(&p);
    /* no rollback target: the message says why */
    struct rule plain = rule_of("{\"id\":\"n\",\"model\":\"*\",\"receivers\":[\"a\"]}");
    memset(&w, 0, sizeof w);
    world_round(&w, 0.001, T0);
    w.rd.rollback_candidate = NULL;
    plan(&w, &plain, NULL, 0, &p);
    CHECK_EQ_INT(notify_message_parse(p.changes[0].outbox[0].message,
                                      strlen(p.changes[0].outbox[0].message), &m, err, sizeof err),
                 0);
    CHECK(m.m.rollback_to == NULL);
    CHECK_CONTAINS(m.m.rollback_reason, "no other version");
    notify_message_release(&m);
    alerts_plan_release(&p);
}

/* The writer stores a round's evaluation, its alert changes and their
 * outbox rows in one transaction: all of them, or (one row failing) none. */
TEST(evaluation_and_alerts_one_transaction)
{
    struct tmp_store db;
    tmp_store_open(&db, "alerts", 1);
    struct dd_batch b;
    struct dd_parse_error pe;
    const char *ev = "{\"id\":\"e1\",\"version\":\"v2\",\"prediction\":\"cat\"}\n";
    CHECK_EQ_INT(dd_parse_events(ev, strlen(ev), DD_BODY_NDJSON, &b, &pe), 0);
    struct writer_result wr;
    writer_submit_events(db.w, "vit", &b, T0, &wr);
    CHECK_EQ_INT(wr.rc, 0);
    dd_batch_release(&b);
    struct rule r = rule_of("{\"id\":\"vit-conf\",\"model\":\"vit\",\"signal\":\"confidence\","
                            "\"method\":\"ks\",\"condition\":\"p_value < 0.01\",\"receivers\":["
                            "\"oncall\",\"deploy\"]}");
    struct world w;
    memset(&w, 0, sizeof w);
    world_round(&w, 0.001, T0);
    struct alerts_plan p;
    plan(&w, &r, NULL, 0, &p);
    CHECK_EQ_INT(p.n, 1);
    CHECK_EQ_INT(p.changes[0].n_outbox, 2);
    /* the second row reuses the first's message id: UNIQUE fails, all is rolled back */
    struct store_outbox_new *rows = (struct store_outbox_new *)p.changes[0].outbox;
    const char *second = rows[1].message_id;
    rows[1].message_id = rows[0].message_id;
    writer_submit_evaluation_alerts(db.w, "vit", "v2", "1h", T0, "drift", &w.rep, "{}", p.changes,
                                    p.n, &wr);
    CHECK_EQ_INT(wr.rc, DD_EIO);
    int64_t t;
    char *body = NULL;
    CHECK_EQ_INT(store_r_latest_evaluation(db.st, "vit", "v2", "1h", &t, &body), DD_ENOTFOUND);
    struct store_alert *a = NULL;
    size_t n = 0;
    struct store_alert_filter f = {0};
    CHECK_EQ_INT(store_r_alerts(db.st, &f, &a, &n), 0);
    CHECK_EQ_INT(n, 0);
    store_alerts_free(a, n);
    /* as planned: the evaluation, the firing alert and both rows */
    rows[1].message_id = second;
    writer_submit_evaluation_alerts(db.w, "vit", "v2", "1h", T0, "drift", &w.rep, "{}", p.changes,
                                    p.n, &wr);
    CHECK_EQ_INT(wr.rc, 0);
    CHECK_EQ_INT(store_r_latest_evaluation(db.st, "vit", "v2", "1h", &t, &body), 0);
    free(body);
    CHECK_EQ_INT(store_r_alerts(db.st, &f, &a, &n), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(a[0].state, "firing");
        CHECK_EQ_STR(a[0].rule_id, "vit-conf");
        CHECK_CMP_INT(a[0].evaluation_id, >, 0);
        struct store_delivery *d = NULL;
        size_t nd = 0;
        CHECK_EQ_INT(store_r_deliveries(db.st, a[0].id, &d, &nd), 0);
        CHECK_EQ_INT(nd, 2);
        if (nd == 2) {
            CHECK_EQ_STR(d[0].receiver_id, "oncall");
            CHECK_EQ_STR(d[0].state, "pending");
            CHECK_EQ_STR(d[1].event, "firing");
            CHECK_EQ_STR(d[1].message_id, second);
        }
        store_deliveries_free(d, nd);
    }
    store_alerts_free(a, n);
    alerts_plan_release(&p);
    tmp_store_close(&db);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(condition_on_results);
    RUN(accuracy_from_report);
    RUN(state_machine_sequence);
    RUN(plan_fire_after_for_repeat_resolve);
    RUN(plan_pending_dropped_and_silenced);
    RUN(evaluation_and_alerts_one_transaction);
    CHECK_DONE();
}
