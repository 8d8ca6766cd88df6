/* test_webhook.c — server/notify/webhook.c: driftd's JSON and the
 * Alertmanager v4 payload, the Standard Webhooks headers (a signature checked
 * against the body actually rendered) and the receiver's static headers. */
#include "fixture_notify.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

TEST(driftd_format_signed)
{
    struct fx_render f;
    fx_render_init(
        &f,
        "{\"id\": \"deploy\", \"type\": \"webhook\", \"url\": \"https://deploy.example/hook?x=1\","
        " \"secret\": \"" SECRET
        "\", \"action\": \"rollback\", \"headers\": {\"X-Team\": \"ml\"}}");
    CHECK_EQ_INT(fx_render(&f), 0);
    FX_CHECK_REQUEST(&f, "POST", "https://deploy.example/hook?x=1");
    CHECK_EQ_INT(f.req.n_headers, 6);
    FX_CHECK_HEADERS(&f.req, {"Content-Type", "application/json"},
                     {"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                     {"webhook-timestamp", "1795000000"}, {"X-Team", "ml"});
    /* the signature is that of the exact bytes of the body */
    char sig[NOTIFY_SIGNATURE_LEN + 1];
    CHECK_EQ_INT(notify_sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1795000000, f.req.body,
                             f.req.body_len, sig),
                 0);
    CHECK_EQ_STR(fx_header(&f.req, "webhook-signature"), sig);
    CHECK_EQ_INT(strlen(sig), NOTIFY_SIGNATURE_LEN);

    const cJSON *j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "type"), "alert.firing");
    FX_CHECK_FACTS(
        j, .id = "id", .alert_key = "alert.key", .rule = "alert.rule", .model = "alert.model",
        .version = "alert.version", .signal = "alert.signal", .method = "alert.method",
        .severity = "alert.severity", .condition = "alert.condition", .value = "alert.value",
        .threshold = "alert.threshold", .team = "alert.labels.team",
        .started_at = "alert.started_at", .report_url = "alert.report_url",
        .statistic = "evaluation.statistic", .p_value = "evaluation.p_value",
        .window_from = "evaluation.window.from", .events_current = "evaluation.events.current",
        .rollback_to = "action.to_version");
    CHECK_EQ_STR(fx_str(j, "timestamp"), "2026-11-18T11:06:40.123Z");
    CHECK_STARTS_WITH(fx_str(j, "summary"), "Model vit version v3: confidence has drifted");
    CHECK_EQ_STR(fx_str(j, "alert.status"), "firing");
    CHECK(fx_is_null(j, "alert.resolved_at"));
    CHECK_EQ_STR(fx_str(j, "action.type"), "rollback");
    CHECK_EQ_STR(fx_str(j, "action.model"), "vit");
    CHECK_EQ_STR(fx_str(j, "action.from_version"), "v3");

    /* a retry a minute later: same id, new timestamp and signature */
    CHECK_EQ_INT(fx_render_at(&f, FX_NOW_MS + 60000), 0);
    CHECK_EQ_STR(fx_header(&f.req, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    CHECK_EQ_STR(fx_header(&f.req, "webhook-timestamp"), "1795000060");
    CHECK(strcmp(fx_header(&f.req, "webhook-signature"), sig) != 0);
    fx_render_done(&f);
}

TEST(driftd_format_unsigned_retrain_and_resolved)
{
    struct fx_render f;
    fx_render_init(&f, "{\"id\": \"ml\", \"type\": \"webhook\", \"url\": \"http://ml.example/h\","
                       " \"action\": \"retrain\"}");
    CHECK_EQ_INT(fx_render(&f), 0);
    FX_CHECK_HEADERS(&f.req, {"webhook-signature", FX_ABSENT},
                     {"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"});
    const cJSON *j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "action.type"), "retrain");
    CHECK_EQ_STR(fx_str(j, "action.export_url"),
                 "http://driftd.example:8080/api/v1/models/vit/events?version=v3");
    CHECK_EQ_STR(fx_str(j, "action.window.from"), "2026-11-22T10:00:00.000Z");
    CHECK_EQ_STR(fx_str(j, "action.window.to"), "2026-11-22T11:00:00.000Z");

    fx_resolve(&f.m);
    CHECK_EQ_INT(fx_render(&f), 0);
    j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "type"), "alert.resolved");
    CHECK_EQ_STR(fx_str(j, "alert.status"), "resolved");
    CHECK_EQ_STR(fx_str(j, "alert.resolved_at"), "2026-11-22T12:00:00.000Z");
    fx_render_done(&f);
}

TEST(alertmanager_format)
{
    struct fx_render f;
    fx_render_init(&f,
                   "{\"id\": \"am\", \"type\": \"webhook\", \"url\": \"http://am.example/hook\","
                   " \"format\": \"alertmanager\", \"secret\": \"" SECRET "\"}");
    CHECK_EQ_INT(fx_render(&f), 0);
    CHECK(fx_header(&f.req, "webhook-signature") != NULL);
    const cJSON *j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "version"), "4");
    CHECK_EQ_STR(fx_str(j, "groupKey"),
                 "{}:{alertname=\"vit-conf\", model=\"vit\", version=\"v3\"}");
    CHECK_EQ_DBL(fx_num(j, "truncatedAlerts"), 0);
    CHECK_EQ_STR(fx_str(j, "status"), "firing");
    CHECK_EQ_STR(fx_str(j, "receiver"), "am");
    FX_CHECK_FACTS(j, .rule = "groupLabels.alertname", .model = "commonLabels.model",
                   .team = "commonLabels.team", .external_url = "externalURL",
                   .version = "alerts.0.labels.version", .signal = "alerts.0.labels.signal",
                   .method = "alerts.0.labels.method", .severity = "alerts.0.labels.severity",
                   .tier = "alerts.0.labels.tier", .condition = "alerts.0.annotations.condition",
                   .started_at = "alerts.0.startsAt", .report_url = "alerts.0.generatorURL");
    CHECK_STARTS_WITH(fx_str(j, "commonAnnotations.summary"), "Model vit version v3");
    CHECK_EQ_INT(fx_size(j, "alerts"), 1);
    CHECK_EQ_STR(fx_str(j, "alerts.0.status"), "firing");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.alertname"), "vit-conf");
    CHECK_EQ_STR(fx_str(j, "alerts.0.annotations.value"), "0.0031");
    CHECK_EQ_STR(fx_str(j, "alerts.0.endsAt"), "0001-01-01T00:00:00Z");
    const char *fp = fx_str(j, "alerts.0.fingerprint");
    CHECK_EQ_INT(fp ? strlen(fp) : 0, 16);
    char fp1[17] = "";
    snprintf(fp1, sizeof fp1, "%s", fp ? fp : "");

    /* resolved: the same fingerprint, endsAt set */
    fx_resolve(&f.m);
    CHECK_EQ_INT(fx_render(&f), 0);
    j = fx_render_json(&f);
    CHECK_EQ_STR(fx_str(j, "status"), "resolved");
    CHECK_EQ_STR(fx_str(j, "alerts.0.endsAt"), "2026-11-22T12:00:00.000Z");
    CHECK_EQ_STR(fx_str(j, "alerts.0.fingerprint"), fp1);

    /* another alert: another fingerprint */
    fx_message(&f.m);
    f.m.alert_key = "driftd/vit-conf/vit/v4";
    CHECK_EQ_INT(fx_render(&f), 0);
    j = fx_render_json(&f);
    CHECK(strcmp(fx_str(j, "alerts.0.fingerprint"), fp1) != 0);
    fx_render_done(&f);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(driftd_format_signed);
    RUN(driftd_format_unsigned_retrain_and_resolved);
    RUN(alertmanager_format);
    CHECK_DONE();
}
