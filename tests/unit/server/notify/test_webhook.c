/* test_webhook.c — server/notify/webhook.c: driftd's JSON and the
 * Alertmanager v4 payload, the Standard Webhooks headers (a signature checked
 * against the body actually rendered) and the receiver's static headers. */
#include "fixture_notify.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

TEST(driftd_format_signed)
{
    struct notify_receiver r = fx_receiver(
        "{\"id\": \"deploy\", \"type\": \"webhook\", \"url\": \"https://deploy.example/hook?x=1\","
        " \"secret\": \"" SECRET
        "\", \"action\": \"rollback\", \"headers\": {\"X-Team\": \"ml\"}}");
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK_EQ_STR(req.method, "POST");
    CHECK_EQ_STR(req.url, "https://deploy.example/hook?x=1");
    CHECK_EQ_INT(req.n_headers, 6);
    CHECK_EQ_STR(fx_header(&req, "Content-Type"), "application/json");
    CHECK_EQ_STR(fx_header(&req, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    CHECK_EQ_STR(fx_header(&req, "webhook-timestamp"), "1795000000");
    CHECK_EQ_STR(fx_header(&req, "X-Team"), "ml");
    /* the signature is that of the exact bytes of the body */
    char sig[NOTIFY_SIGNATURE_LEN + 1];
    CHECK_EQ_INT(notify_sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1795000000, req.body,
                             req.body_len, sig),
                 0);
    CHECK_EQ_STR(fx_header(&req, "webhook-signature"), sig);
    CHECK_EQ_INT(strlen(sig), NOTIFY_SIGNATURE_LEN);

    cJSON *j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "type"), "alert.firing");
    CHECK_EQ_STR(fx_str(j, "id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    CHECK_EQ_STR(fx_str(j, "timestamp"), "2026-11-18T11:06:40.123Z");
    CHECK_STARTS_WITH(fx_str(j, "summary"), "Model vit version v3: confidence has drifted");
    CHECK_EQ_STR(fx_str(j, "alert.key"), "driftd/vit-conf/vit/v3");
    CHECK_EQ_STR(fx_str(j, "alert.status"), "firing");
    CHECK_EQ_STR(fx_str(j, "alert.rule"), "vit-conf");
    CHECK_EQ_STR(fx_str(j, "alert.model"), "vit");
    CHECK_EQ_STR(fx_str(j, "alert.version"), "v3");
    CHECK_EQ_STR(fx_str(j, "alert.signal"), "confidence");
    CHECK_EQ_STR(fx_str(j, "alert.method"), "ks");
    CHECK_EQ_STR(fx_str(j, "alert.severity"), "critical");
    CHECK_EQ_STR(fx_str(j, "alert.condition"), "p_value < 0.01");
    CHECK_EQ_DBL(fx_num(j, "alert.value"), 0.0031);
    CHECK_EQ_DBL(fx_num(j, "alert.threshold"), 0.01);
    CHECK_EQ_STR(fx_str(j, "alert.labels.team"), "vision");
    CHECK_EQ_STR(fx_str(j, "alert.started_at"), "2026-11-22T11:05:00.000Z");
    CHECK(fx_is_null(j, "alert.resolved_at"));
    CHECK_EQ_STR(fx_str(j, "alert.report_url"),
                 "http://driftd.example:8080/api/v1/models/vit/drift?version=v3");
    CHECK_EQ_DBL(fx_num(j, "evaluation.statistic"), 0.21);
    CHECK_EQ_DBL(fx_num(j, "evaluation.p_value"), 0.0031);
    CHECK_EQ_STR(fx_str(j, "evaluation.window.from"), "2026-11-22T10:00:00.000Z");
    CHECK_EQ_DBL(fx_num(j, "evaluation.events.current"), 1234);
    CHECK_EQ_STR(fx_str(j, "action.type"), "rollback");
    CHECK_EQ_STR(fx_str(j, "action.model"), "vit");
    CHECK_EQ_STR(fx_str(j, "action.from_version"), "v3");
    CHECK_EQ_STR(fx_str(j, "action.to_version"), "v2");
    cJSON_Delete(j);

    /* a retry a minute later: same id, new timestamp and signature */
    struct notify_request again;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS + 60000, &again), 0);
    CHECK_EQ_STR(fx_header(&again, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    CHECK_EQ_STR(fx_header(&again, "webhook-timestamp"), "1795000060");
    CHECK(strcmp(fx_header(&again, "webhook-signature"), sig) != 0);
    notify_request_release(&again);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(driftd_format_unsigned_retrain_and_resolved)
{
    struct notify_receiver r =
        fx_receiver("{\"id\": \"ml\", \"type\": \"webhook\", \"url\": \"http://ml.example/h\","
                    " \"action\": \"retrain\"}");
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK(fx_header(&req, "webhook-signature") == NULL);
    CHECK_EQ_STR(fx_header(&req, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    cJSON *j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "action.type"), "retrain");
    CHECK_EQ_STR(fx_str(j, "action.export_url"),
                 "http://driftd.example:8080/api/v1/models/vit/events?version=v3");
    CHECK_EQ_STR(fx_str(j, "action.window.from"), "2026-11-22T10:00:00.000Z");
    CHECK_EQ_STR(fx_str(j, "action.window.to"), "2026-11-22T11:00:00.000Z");
    cJSON_Delete(j);
    notify_request_release(&req);

    m.event = NOTIFY_EVENT_RESOLVED;
    m.resolved_at_ms = fx_time("2026-11-22T12:00:00Z");
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "type"), "alert.resolved");
    CHECK_EQ_STR(fx_str(j, "alert.status"), "resolved");
    CHECK_EQ_STR(fx_str(j, "alert.resolved_at"), "2026-11-22T12:00:00.000Z");
    cJSON_Delete(j);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

TEST(alertmanager_format)
{
    struct notify_receiver r =
        fx_receiver("{\"id\": \"am\", \"type\": \"webhook\", \"url\": \"http://am.example/hook\","
                    " \"format\": \"alertmanager\", \"secret\": \"" SECRET "\"}");
    struct notify_message m;
    fx_message(&m);
    struct notify_request req;
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    CHECK(fx_header(&req, "webhook-signature") != NULL);
    cJSON *j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "version"), "4");
    CHECK_EQ_STR(fx_str(j, "groupKey"),
                 "{}:{alertname=\"vit-conf\", model=\"vit\", version=\"v3\"}");
    CHECK_EQ_DBL(fx_num(j, "truncatedAlerts"), 0);
    CHECK_EQ_STR(fx_str(j, "status"), "firing");
    CHECK_EQ_STR(fx_str(j, "receiver"), "am");
    CHECK_EQ_STR(fx_str(j, "groupLabels.alertname"), "vit-conf");
    CHECK_EQ_STR(fx_str(j, "commonLabels.model"), "vit");
    CHECK_EQ_STR(fx_str(j, "commonLabels.team"), "vision");
    CHECK_STARTS_WITH(fx_str(j, "commonAnnotations.summary"), "Model vit version v3");
    CHECK_EQ_STR(fx_str(j, "externalURL"), "http://driftd.example:8080");
    CHECK_EQ_INT(fx_size(j, "alerts"), 1);
    CHECK_EQ_STR(fx_str(j, "alerts.0.status"), "firing");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.alertname"), "vit-conf");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.version"), "v3");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.signal"), "confidence");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.method"), "ks");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.severity"), "critical");
    CHECK_EQ_STR(fx_str(j, "alerts.0.labels.tier"), "gold");
    CHECK_EQ_STR(fx_str(j, "alerts.0.annotations.condition"), "p_value < 0.01");
    CHECK_EQ_STR(fx_str(j, "alerts.0.annotations.value"), "0.0031");
    CHECK_EQ_STR(fx_str(j, "alerts.0.startsAt"), "2026-11-22T11:05:00.000Z");
    CHECK_EQ_STR(fx_str(j, "alerts.0.endsAt"), "0001-01-01T00:00:00Z");
    CHECK_EQ_STR(fx_str(j, "alerts.0.generatorURL"),
                 "http://driftd.example:8080/api/v1/models/vit/drift?version=v3");
    const char *fp = fx_str(j, "alerts.0.fingerprint");
    CHECK_EQ_INT(fp ? strlen(fp) : 0, 16);
    char fp1[17] = "";
    snprintf(fp1, sizeof fp1, "%s", fp ? fp : "");
    cJSON_Delete(j);
    notify_request_release(&req);

    /* resolved: the same fingerprint, endsAt set */
    m.event = NOTIFY_EVENT_RESOLVED;
    m.resolved_at_ms = fx_time("2026-11-22T12:00:00Z");
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    j = fx_body(&req);
    CHECK_EQ_STR(fx_str(j, "status"), "resolved");
    CHECK_EQ_STR(fx_str(j, "alerts.0.endsAt"), "2026-11-22T12:00:00.000Z");
    CHECK_EQ_STR(fx_str(j, "alerts.0.fingerprint"), fp1);
    cJSON_Delete(j);
    notify_request_release(&req);

    /* another alert: another fingerprint */
    fx_message(&m);
    m.alert_key = "driftd/vit-conf/vit/v4";
    CHECK_EQ_INT(notify_render(&r, &m, FX_NOW_MS, &req), 0);
    j = fx_body(&req);
    CHECK(strcmp(fx_str(j, "alerts.0.fingerprint"), fp1) != 0);
    cJSON_Delete(j);
    notify_request_release(&req);
    notify_receiver_release(&r);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(driftd_format_signed);
    RUN(driftd_format_unsigned_retrain_and_resolved);
    RUN(alertmanager_format);
    CHECK_DONE();
}
