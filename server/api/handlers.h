/* handlers.h — the HTTP handlers the route table points to.
 *
 * Each answers its request exactly once through http_reply*() (or
 * answer.h).  Grouped by file: h_ingest.c (telemetry in), h_models.c (models
 * and versions read API, paged), h_lifecycle.c (deletes), h_drift.c (drift report, history, distributions), h_reference.c
 * (a version's reference), h_settings.c (per-model settings), h_ops.c
 * (health, readiness, metrics), h_static.c (dashboard files).
 */
#ifndef DD_HANDLERS_H
#define DD_HANDLERS_H

#include "server/http/http.h"

void h_events_post(struct http_req *r);
void h_labels_post(struct http_req *r);
void h_events_export(struct http_req *r); /* h_export.c: the events as NDJSON */
void h_models_list(struct http_req *r);
void h_model_get(struct http_req *r);
void h_versions_list(struct http_req *r);
void h_version_get(struct http_req *r);
/* h_lifecycle.c: deletes */
void h_model_delete(struct http_req *r);
void h_version_delete(struct http_req *r);
void h_reference_delete(struct http_req *r);
void h_events_delete(struct http_req *r);
void h_drift_get(struct http_req *r);
void h_drift_history(struct http_req *r);
void h_distributions(struct http_req *r);
void h_reference_put(struct http_req *r);
void h_reference_get(struct http_req *r);
void h_settings_get(struct http_req *r);
void h_settings_put(struct http_req *r);
void h_receiver_test(struct http_req *r); /* h_receiver_test.c: a test notification now */
/* h_alerts.c: receivers, rules, silences (admin) and alerts (read) */
void h_receivers_list(struct http_req *r);
void h_receivers_post(struct http_req *r);
void h_receiver_get(struct http_req *r);
void h_receiver_delete(struct http_req *r);
void h_rules_list(struct http_req *r);
void h_rules_post(struct http_req *r);
void h_rule_get(struct http_req *r);
void h_rule_put(struct http_req *r);
void h_rule_delete(struct http_req *r);
void h_silences_list(struct http_req *r);
void h_silences_post(struct http_req *r);
void h_silence_delete(struct http_req *r);
void h_alerts_list(struct http_req *r);
/* h_grafana.c: the Grafana JSON datasource under /grafana/ (docs/grafana.md) */
void h_grafana_test(struct http_req *r);
void h_grafana_metrics(struct http_req *r);
void h_grafana_payload_options(struct http_req *r);
void h_grafana_query(struct http_req *r);
void h_grafana_variable(struct http_req *r);
void h_grafana_tag_keys(struct http_req *r);
void h_grafana_tag_values(struct http_req *r);
void h_grafana_search(struct http_req *r);
void h_grafana_annotations(struct http_req *r);
void h_grafana_preflight(struct http_req *r);

void h_healthz(struct http_req *r);
void h_metrics(struct http_req *r);
void h_readyz(struct http_req *r);
/* h_static.c: the dashboard's files under web_root (the catch-all GET route) */
void h_static(struct http_req *r);
/* At start: a warning in the log when web_root is not a folder or Chart.js
 * is not installed under it (the fix: bash scripts/deps.sh). */
void h_static_check_root(const char *web_root);

#endif
