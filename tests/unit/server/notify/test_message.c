/* test_message.c — server/notify/message.c: a notify_message written as the
 * outbox's JSON and read back is the same message, field by field (strings,
 * numbers with NAN, times, counts, labels), unknown fields stay unknown, and
 * bad JSON is refused with the member named. */
#include "fixture_notify.h"

#include "base/buf.h"
#include "base/err.h"

static void check_same_str(const char *a, const char *b, const char *what)
{
    if (!a || !b) {
        if (a != b)
            fprintf(stderr, "%s: %s vs %s\n", what, a ? a : "NULL", b ? b : "NULL");
        CHECK(a == b);
        return;
    }
    CHECK_EQ_STR(a, b);
}

static void check_same_num(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        CHECK(isnan(a) && isnan(b));
        return;
    }
    CHECK_EQ_MEM(&a, &b, sizeof a); /* bit for bit */
}

static void check_same(const struct notify_message *a, const struct notify_message *b)
{
    check_same_str(a->id, b->id, "id");
    CHECK_EQ_INT(a->event, b->event);
    check_same_str(a->alert_key, b->alert_key, "alert_key");
    check_same_str(a->rule, b->rule, "rule");
    check_same_str(a->model, b->model, "model");
    check_same_str(a->version, b->version, "version");
    check_same_str(a->signal, b->signal, "signal");
    check_same_str(a->method, b->method, "method");
    CHECK_EQ_INT(a->severity, b->severity);
    check_same_str(a->condition, b->condition, "condition");
    check_same_num(a->value, b->value);
    check_same_num(a->threshold, b->threshold);
    check_same_num(a->p_value, b->p_value);
    check_same_num(a->statistic, b->statistic);
    CHECK_EQ_INT(a->window_from_ms, b->window_from_ms);
    CHECK_EQ_INT(a->window_to_ms, b->window_to_ms);
    CHECK_EQ_INT(a->events_current, b->events_current);
    CHECK_EQ_INT(a->events_reference, b->events_reference);
    CHECK_EQ_INT(a->started_at_ms, b->started_at_ms);
    CHECK_EQ_INT(a->resolved_at_ms, b->resolved_at_ms);
    CHECK_EQ_INT(a->n_labels, b->n_labels);
    for (size_t i = 0; i < a->n_labels && i < b->n_labels; i++) {
        CHECK_EQ_STR(a->labels[i].name, b->labels[i].name);
        CHECK_EQ_STR(a->labels[i].value, b->labels[i].value);
    }
    check_same_str(a->report_url, b->report_url, "report_url");
    check_same_str(a->external_url, b->external_url, "external_url");
    check_same_str(a->source, b->source, "source");
    check_same_str(a->rollback_to, b->rollback_to, "rollback_to");
    check_same_str(a->rollback_reason, b->rollback_reason, "rollback_reason");
    check_same_str(a->export_url, b->export_url, "export_url");
    CHECK_EQ_INT(a->export_from_ms, b->export_from_ms);
    CHECK_EQ_INT(a->export_to_ms, b->export_to_ms);
    check_same_str(a->summary, b->summary, "summary");
}

/* json(m) -> parse -> json again: the same message and the same bytes */
static void round_trip(const struct notify_message *m)
{
    struct dd_buf a, b;
    dd_buf_init(&a);
    dd_buf_init(&b);
    notify_message_json(m, &a);
    struct notify_message_owned o;
    char err[128] = "";
    int rc = notify_message_parse(a.data, a.len, &o, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "parse: %s in %s\n", err, a.data);
    CHECK_EQ_INT(rc, 0);
    check_same(m, &o.m);
    notify_message_json(&o.m, &b);
    CHECK_EQ_STR(a.data, b.data);
    notify_message_release(&o);
    notify_message_release(&o); /* harmless twice */
    dd_buf_release(&a);
    dd_buf_release(&b);
}

TEST(round_trip_every_field)
{
    struct notify_message m;
    fx_message(&m);
    /* every field set, numbers that %.15g would not keep */
    m.event = NOTIFY_EVENT_RESOLVED;
    m.severity = NOTIFY_SEV_WARNING;
    m.value = 0.1 + 0.2;
    m.statistic = 1e-300;
    m.threshold = -2.5e17;
    m.resolved_at_ms = fx_time("2026-11-22T12:00:00.123Z");
    m.external_url = "http://driftd.internal:8080";
    m.source = "driftd-prod";
    m.rollback_to = "v2";
    m.rollback_reason = "newest version without drift";
    m.export_url = "http://driftd.internal:8080/api/v1/models/vit/events?version=v3";
    m.export_from_ms = 0; /* the epoch is a time, not "unknown" */
    m.export_to_ms = 4102444800000LL;
    m.summary = "quote \" backslash \\ newline \n tab \t unicode \xc3\xa9 \xf0\x9f\x94\xa5";
    round_trip(&m);

    struct dd_buf b;
    dd_buf_init(&b);
    notify_message_json(&m, &b);
    CHECK_CONTAINS(b.data, "\"event\":\"resolved\"");
    CHECK_CONTAINS(b.data, "\"severity\":\"warning\"");
    CHECK_CONTAINS(b.data, "\"value\":0.30000000000000004");
    CHECK_CONTAINS(b.data, "\"export_from_ms\":0");
    CHECK_CONTAINS(b.data, "\"labels\":{\"team\":\"vision\",\"tier\":\"gold\"}");
    dd_buf_release(&b);
}

TEST(round_trip_unknowns)
{
    struct notify_message m;
    notify_message_init(&m);
    m.id = "msg_00000000000000000000000000000000";
    m.event = NOTIFY_EVENT_TEST;
    m.severity = NOTIFY_SEV_INFO;
    m.model = "m";
    round_trip(&m); /* NAN numbers, -1 times and counts, NULL strings, no labels */

    struct dd_buf b;
    dd_buf_init(&b);
    notify_message_json(&m, &b);
    CHECK_CONTAINS(b.data, "\"p_value\":null");
    CHECK_CONTAINS(b.data, "\"started_at_ms\":null");
    CHECK_CONTAINS(b.data, "\"rollback_to\":null");
    CHECK_CONTAINS(b.data, "\"labels\":{}");
    dd_buf_release(&b);

    /* every event and severity */
    for (int e = 0; e < 3; e++)
        for (int s = 0; s < 4; s++) {
            m.event = (enum notify_event)e;
            m.severity = (enum notify_severity)s;
            round_trip(&m);
        }
}

TEST(parse_absent_members_are_unknown)
{
    const char *json = "{\"id\":\"msg_1\",\"model\":\"vit\",\"newer_field\":[1,2]}";
    struct notify_message_owned o;
    char err[128];
    CHECK_EQ_INT(notify_message_parse(json, strlen(json), &o, err, sizeof err), 0);
    CHECK_EQ_STR(o.m.id, "msg_1");
    CHECK_EQ_STR(o.m.model, "vit");
    CHECK(o.m.version == NULL);
    CHECK(isnan(o.m.p_value));
    CHECK_EQ_INT(o.m.window_from_ms, -1);
    CHECK_EQ_INT(o.m.events_current, -1);
    CHECK_EQ_INT(o.m.event, NOTIFY_EVENT_FIRING);
    CHECK_EQ_INT(o.m.n_labels, 0);
    notify_message_release(&o);
}

static void refused(const char *json, const char *msg)
{
    struct notify_message_owned o;
    char err[128] = "";
    CHECK_EQ_INT(notify_message_parse(json, json ? strlen(json) : 0, &o, err, sizeof err),
                 DD_EINVAL);
    CHECK_EQ_STR(err, msg);
    CHECK(o.m.id == NULL && o.strings == NULL && o.labels == NULL);
    notify_message_release(&o);
}

TEST(parse_refuses_bad_json)
{
    refused("{\"id\":\"msg_1\"", "message: not a JSON object");
    refused("[1,2]", "message: not a JSON object");
    refused("", "message: not a JSON object");
    refused(NULL, "message: not a JSON object");
    refused("{\"id\":5}", "id: must be a string or null");
    refused("{\"model\":\"m\",\"p_value\":\"0.1\"}", "p_value: must be a number or null");
    refused("{\"model\":\"m\",\"started_at_ms\":1.5}", "started_at_ms: must be an integer or null");
    refused("{\"events_current\":1e300}", "events_current: must be an integer or null");
    refused("{\"event\":\"exploded\"}", "event: unknown value");
    refused("{\"severity\":\"fatal\"}", "severity: unknown value");
    refused("{\"severity\":3}", "severity: unknown value");
    refused("{\"model\":\"m\",\"labels\":[\"a\"]}", "labels: must be an object of strings");
    refused("{\"model\":\"m\",\"labels\":{\"a\":\"b\",\"team\":7}}",
            "labels.team: must be a string");
}

TEST(names)
{
    CHECK_EQ_STR(notify_event_name(NOTIFY_EVENT_RESOLVED), "resolved");
    CHECK_EQ_INT(notify_event_from_name("test"), NOTIFY_EVENT_TEST);
    CHECK_EQ_INT(notify_event_from_name("nope"), -1);
    CHECK_EQ_INT(notify_event_from_name(NULL), -1);
    CHECK_EQ_STR(notify_severity_name(NOTIFY_SEV_ERROR), "error");
    CHECK_EQ_INT(notify_severity_from_name("info"), NOTIFY_SEV_INFO);
    CHECK_EQ_INT(notify_severity_from_name("Info"), -1);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(round_trip_every_field);
    RUN(round_trip_unknowns);
    RUN(parse_absent_members_are_unknown);
    RUN(parse_refuses_bad_json);
    RUN(names);
    CHECK_DONE();
}
