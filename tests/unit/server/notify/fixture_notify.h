/* fixture_notify.h — what the tests of server/notify/ share: receivers from
 * JSON, one realistic firing message, and readers of a rendered request (its
 * headers, its body parsed back with cJSON, members by dotted path). */
#ifndef DD_TEST_FIXTURE_NOTIFY_H
#define DD_TEST_FIXTURE_NOTIFY_H
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/timefmt.h"
#include "check.h"
#include "server/notify/notify.h"

static inline int64_t fx_time(const char *s)
{
    int64_t ms = -1;
    CHECK_EQ_INT(dd_time_parse(s, strlen(s), &ms), 0);
    return ms;
}

/* the receiver of json, parsed; a failure prints the parser's message */
static inline struct notify_receiver fx_receiver(const char *json)
{
    struct notify_receiver r;
    memset(&r, 0, sizeof r);
    char err[256] = "";
    int rc = notify_receiver_parse(json, strlen(json), &r, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "fx_receiver: %s: %s\n", json, err);
    CHECK_EQ_INT(rc, 0);
    return r;
}

static const struct notify_pair fx_labels[] = {{"team", "vision"}, {"tier", "gold"}};

/* vit v3's confidence drifted: ks p = 0.0031 < 0.01 over 10:00-11:00 */
static inline void fx_message(struct notify_message *m)
{
    notify_message_init(m);
    m->id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    m->event = NOTIFY_EVENT_FIRING;
    m->alert_key = "driftd/vit-conf/vit/v3";
    m->rule = "vit-conf";
    m->model = "vit";
    m->version = "v3";
    m->signal = "confidence";
    m->method = "ks";
    m->severity = NOTIFY_SEV_CRITICAL;
    m->condition = "p_value < 0.01";
    m->value = 0.0031;
    m->threshold = 0.01;
    m->p_value = 0.0031;
    m->statistic = 0.21;
    m->window_from_ms = fx_time("2026-11-22T10:00:00Z");
    m->window_to_ms = fx_time("2026-11-22T11:00:00Z");
    m->events_current = 1234;
    m->events_reference = 1000;
    m->started_at_ms = fx_time("2026-11-22T11:05:00Z");
    m->labels = fx_labels;
    m->n_labels = 2;
    m->report_url = "http://driftd.example:8080/api/v1/models/vit/drift?version=v3";
    m->external_url = "http://driftd.example:8080";
    m->rollback_to = "v2";
    m->export_url = "http://driftd.example:8080/api/v1/models/vit/events?version=v3";
    m->export_from_ms = m->window_from_ms;
    m->export_to_ms = m->window_to_ms;
}

#define FX_NOW_MS 1795000000123LL /* the attempt's time in the render tests */

/* the value of request header name (case-insensitive), NULL when absent */
static inline const char *fx_header(const struct notify_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static inline cJSON *fx_body(const struct notify_request *r)
{
    cJSON *j = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    CHECK(j != NULL);
    return j;
}

/* the member at a dotted path ("payload.custom_details.p_value"; "links.0.href") */
static inline const cJSON *fx_get(const cJSON *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && j; part = strtok_r(NULL, ".", &save))
        j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(part))
                             : cJSON_GetObjectItemCaseSensitive(j, part);
    return j;
}

static inline const char *fx_str(const cJSON *j, const char *path)
{
    const cJSON *v = fx_get(j, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double fx_num(const cJSON *j, const char *path)
{
    const cJSON *v = fx_get(j, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static inline int fx_is_null(const cJSON *j, const char *path)
{
    return cJSON_IsNull(fx_get(j, path));
}

static inline int fx_size(const cJSON *j, const char *path)
{
    const cJSON *v = path ? fx_get(j, path) : j;
    return v ? cJSON_GetArraySize(v) : -1;
}

#endif
