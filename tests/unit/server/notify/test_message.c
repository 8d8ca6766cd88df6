/* test_message.c — server/notify/message.c: a notify_message written as the
 * outbox's JSON and read back is the same message, field by field (strings,
 * numbers with NAN, times, counts, labels), unknown fields stay unknown, and
 * bad JSON is refused with the member named. */
#include "fixture_notify.h"

#include "base/buf.h"
#include "base/err.h"

/* the fields of struct notify_message by kind, for check_same() */
#define FIELD(name) #name, offsetof(struct notify_message, name)
struct field {
    const char *name;
    size_t at;
};
static const struct field strings[] = {
    {FIELD(id)},
    {FIELD(alert_key)},
    {FIELD(rule)},
    {FIELD(model)},
    {FIELD(version)},
    {FIELD(signal)},
    {FIELD(method)},
    {FIELD(condition)},
    {FIELD(report_url)},
    {FIELD(external_url)},
    {FIELD(source)},
    {FIELD(rollback_to)},
    {FIELD(rollback_reason)},
    {FIELD(export_url)},
    {FIELD(summary)},
};
static const struct field numbers[] = {
    {FIELD(value)},
    {FIELD(threshold)},
    {FIELD(p_value)},
    {FIELD(statistic)},
};
static const struct field integers[] = {
    {FIELD(window_from_ms)},   {FIELD(window_to_ms)},  {FIELD(events_current)},
    {FIELD(events_reference)}, {FIELD(started_at_ms)}, {FIELD(resolved_at_ms)},
    {FIELD(export_from_ms)},   {FIELD(export_to_ms)},
};
#undef FIELD

/* the field of m at f, as a type */
#define AT(type, m, f) (*(const type *)(const void *)((const char *)(m) + (f).at))

static void check_same_num(double a, double b, const char *what)
{
    int failures = check_failures;
    if (isnan(a) || isnan(b))
        CHECK(isnan(a) && isnan(b));
    else
        CHECK_EQ_MEM(&a, &b, sizeof a); /* bit for bit */
    fx_name_failures(failures, what, __FILE__, __LINE__);
}

/* a and b hold the same message, field by field (a string NULL in both, a
 * number NAN in both), the labels in order */
static void check_same(const struct notify_message *a, const struct notify_message *b)
{
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        int failures = check_failures;
        CHECK_EQ_STR(fx_or_absent(AT(char *, a, strings[i])),
                     fx_or_absent(AT(char *, b, strings[i])));
        fx_name_failures(failures, strings[i].name, __FILE__, __LINE__);
    }
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        check_same_num(AT(double, a, numbers[i]), AT(double, b, numbers[i]), numbers[i].name);
    for (size_t i = 0; i < sizeof integers / sizeof *integers; i++) {
        int failures = check_failures;
        CHECK_EQ_INT(AT(int64_t, a, integers[i]), AT(int64_t, b, integers[i]));
        fx_name_failures(failures, integers[i].name, __FILE__, __LINE__);
    }
    CHECK_EQ_INT(a->event, b->event);
    CHECK_EQ_INT(a->severity, b->severity);
    CHECK_EQ_INT(a->n_labels, b->n_labels);
    for (size_t i = 0; i < a->n_labels && i < b->n_labels; i++) {
        CHECK_EQ_STR(a->labels[i].name, b->labels[i].name);
        CHECK_EQ_STR(a->labels[i].value, b->labels[i].value);
    }
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

/* m written as JSON holds each of the parts */
#define CHECK_JSON_HOLDS(m, ...)                                                                   \
    check_json_holds((m), (const char *const[]){__VA_ARGS__, NULL}, __FILE__, __LINE__)

static void check_json_holds(const struct notify_message *m, const char *const *parts,
                             const char *file, int line)
{
    struct dd_buf b;
    dd_buf_init(&b);
    notify_message_json(m, &b);
    for (size_t i = 0; parts[i]; i++) {
        int failures = check_failures;
        CHECK_CONTAINS(b.data, parts[i]);
        fx_name_failures(failures, parts[i], file, line);
    }
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

    CHECK_JSON_HOLDS(&m, "\"event\":\"resolved\"", "\"severity\":\"warning\"",
                     "\"value\":0.30000000000000004", "\"export_from_ms\":0",
                     "\"labels\":{\"team\":\"vision\",\"tier\":\"gold\"}");
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

    CHECK_JSON_HOLDS(&m, "\"p_value\":null", "\"started_at_ms\":null", "\"rollback_to\":null",
                     "\"labels\":{}");

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
