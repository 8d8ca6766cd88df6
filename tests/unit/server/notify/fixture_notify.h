/* fixture_notify.h — what the tests of server/notify/ share: receivers from
 * JSON, one realistic firing message, readers of a rendered request (its
 * headers, its body parsed back with cJSON, members by dotted path), a render
 * fixture (receiver + message + request, rendered again after each tweak),
 * render cases as data (a table of rows run in a loop, each row named in its
 * failures) and the rows every receiver that acts (rolls back) must pass. */
#ifndef DD_TEST_FIXTURE_NOTIFY_H
#define DD_TEST_FIXTURE_NOTIFY_H
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
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

/* Marks checks that belong to one row of a table: after them, a failure among
 * them is followed by a line naming the row and the caller's line. */
static inline void fx_name_failures(int failures_before, const char *row, const char *file,
                                    int line)
{
    if (check_failures > failures_before)
        fprintf(stderr, "%s:%d: ^ in row \"%s\"\n", file, line, row);
}

/* the message resolved at 12:00, an hour after it fired */
static inline void fx_resolve(struct notify_message *m)
{
    m->event = NOTIFY_EVENT_RESOLVED;
    m->resolved_at_ms = fx_time("2026-11-22T12:00:00Z");
}

/* ---- the render fixture ---- */

/* One render test's state: the receiver, the realistic message (tweak f.m
 * between renders), the last request and its body parsed.  fx_render()
 * releases the previous request before it renders; fx_render_done() releases
 * everything. */
struct fx_render {
    struct notify_receiver r;
    struct notify_message m;
    struct notify_request req;
    cJSON *json; /* fx_render_json(); freed by the next render */
};

static inline void fx_render_init(struct fx_render *f, const char *receiver_json)
{
    memset(f, 0, sizeof *f);
    f->r = fx_receiver(receiver_json);
    fx_message(&f->m);
}

/* renders f->m at now_ms into f->req; notify_render's code */
static inline int fx_render_at(struct fx_render *f, int64_t now_ms)
{
    cJSON_Delete(f->json);
    f->json = NULL;
    notify_request_release(&f->req);
    return notify_render(&f->r, &f->m, now_ms, &f->req);
}

static inline int fx_render(struct fx_render *f)
{
    return fx_render_at(f, FX_NOW_MS);
}

/* the last request's body parsed (checked to parse); f owns it */
static inline const cJSON *fx_render_json(struct fx_render *f)
{
    cJSON_Delete(f->json);
    f->json = fx_body(&f->req);
    return f->json;
}

static inline void fx_render_done(struct fx_render *f)
{
    cJSON_Delete(f->json);
    f->json = NULL;
    notify_request_release(&f->req);
    notify_receiver_release(&f->r);
}

/* Where a rendered body carries the facts of fx_message(): a JSON path per
 * fact, NULL where it is not checked.  FX_CHECK_FACTS(j, .model =
 * "alert.model", ...) checks that each path named holds the fact as rendered
 * (strings; numbers where the struct says so); a failure names the fact. */
struct fx_facts {
    const char *id, *alert_key, *rule, *model, *version, *signal, *method, *severity, *condition,
        *window_from, *window_to, *started_at, *team, *tier, *report_url, *external_url,
        *rollback_to, *export_url;
    /* numbers */
    const char *value, *threshold, *p_value, *statistic, *events_current, *events_reference;
};

static inline void fx_check_facts_(const cJSON *j, const struct fx_facts *at, const char *file,
                                   int line)
{
#define FX_AT_(name) #name, offsetof(struct fx_facts, name)
    static const struct {
        const char *name;
        size_t at;
        const char *str; /* NULL: the fact is the number num */
        double num;
    } facts[] = {
        {FX_AT_(id), "msg_p5jXN8AQM9LWM0D4loKWxJek", 0},
        {FX_AT_(alert_key), "driftd/vit-conf/vit/v3", 0},
        {FX_AT_(rule), "vit-conf", 0},
        {FX_AT_(model), "vit", 0},
        {FX_AT_(version), "v3", 0},
        {FX_AT_(signal), "confidence", 0},
        {FX_AT_(method), "ks", 0},
        {FX_AT_(severity), "critical", 0},
        {FX_AT_(condition), "p_value < 0.01", 0},
        {FX_AT_(window_from), "2026-11-22T10:00:00.000Z", 0},
        {FX_AT_(window_to), "2026-11-22T11:00:00.000Z", 0},
        {FX_AT_(started_at), "2026-11-22T11:05:00.000Z", 0},
        {FX_AT_(team), "vision", 0},
        {FX_AT_(tier), "gold", 0},
        {FX_AT_(report_url), "http://driftd.example:8080/api/v1/models/vit/drift?version=v3", 0},
        {FX_AT_(external_url), "http://driftd.example:8080", 0},
        {FX_AT_(rollback_to), "v2", 0},
        {FX_AT_(export_url), "http://driftd.example:8080/api/v1/models/vit/events?version=v3", 0},
        {FX_AT_(value), NULL, 0.0031},
        {FX_AT_(threshold), NULL, 0.01},
        {FX_AT_(p_value), NULL, 0.0031},
        {FX_AT_(statistic), NULL, 0.21},
        {FX_AT_(events_current), NULL, 1234},
        {FX_AT_(events_reference), NULL, 1000},
    };
#undef FX_AT_
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++) {
        const char *path = *(const char *const *)(const void *)((const char *)at + facts[i].at);
        if (!path)
            continue;
        int failures = check_failures;
        if (facts[i].str)
            CHECK_EQ_STR(fx_str(j, path), facts[i].str);
        else
            CHECK_EQ_DBL(fx_num(j, path), facts[i].num);
        if (check_failures > failures)
            fprintf(stderr, "%s:%d: ^ the fact %s at \"%s\"\n", file, line, facts[i].name, path);
    }
}

#define FX_CHECK_FACTS(j, ...)                                                                     \
    fx_check_facts_((j), &(const struct fx_facts){__VA_ARGS__}, __FILE__, __LINE__)

/* the last request's method and URL (a macro: a failure names the caller's line) */
#define FX_CHECK_REQUEST(f, method_, url_)                                                         \
    do {                                                                                           \
        CHECK_EQ_STR((f)->req.method, method_);                                                    \
        CHECK_EQ_STR((f)->req.url, url_);                                                          \
    } while (0)

/* ---- render cases as data ---- */

/* A string of a render case (below) that is NULL: a tweak unsets the field,
 * an expectation wants it absent.  It prints as itself when compared. */
static const char FX_ABSENT[] = "(absent)";

/* s, or FX_ABSENT for NULL */
static inline const char *fx_or_absent(const char *s)
{
    return s ? s : FX_ABSENT;
}

/* An expected request header: name and value (FX_ABSENT: not sent). */
struct fx_header {
    const char *name, *value;
};

/* the headers of req are those of want[0..n), up to one with no name */
static inline void fx_check_headers_(const struct notify_request *req, const struct fx_header *want,
                                     size_t n, const char *file, int line)
{
    for (size_t i = 0; i < n && want[i].name; i++) {
        int failures = check_failures;
        CHECK_EQ_STR(fx_or_absent(fx_header(req, want[i].name)), want[i].value);
        fx_name_failures(failures, want[i].name, file, line);
    }
}

/* FX_CHECK_HEADERS(&f.req, {"Accept", "application/json"}, {"Authorization", FX_ABSENT}) */
#define FX_CHECK_HEADERS(req, ...)                                                                 \
    fx_check_headers_((req), (const struct fx_header[]){__VA_ARGS__, {NULL, NULL}}, SIZE_MAX,      \
                      __FILE__, __LINE__)

/* One render as data: a receiver, a tweak of fx_message(), and what
 * notify_render() gives. */
struct fx_case {
    const char *name; /* printed after a failing check of this row */
    const char *receiver;
    /* The tweak: the event (RESOLVED: resolved at 12:00 too, fx_resolve()),
     * then strings; one left NULL keeps fx_message()'s value, FX_ABSENT makes
     * it NULL. */
    struct fx_tweak {
        enum notify_event event;
        const char *id, *alert_key, *model, *version, *rollback_to, *rollback_reason;
    } tweak;
    /* What render gives: its code, then the request or the reason of nothing
     * to send.  A string left NULL is not checked; FX_ABSENT: must be NULL
     * (a header: not sent; the body: none, and body_len 0). */
    struct fx_want {
        int rc;
        const char *method, *url, *body;
        struct fx_header headers[3];
        const char *reason, *reason_part; /* exactly; holding the part */
    } want;
};

static inline void fx_tweak_(const char **field, const char *value)
{
    if (value)
        *field = value == FX_ABSENT ? NULL : value;
}

static inline void fx_check_case_(const struct fx_case *c, const char *file, int line)
{
    int failures = check_failures;
    const struct fx_tweak *t = &c->tweak;
    const struct fx_want *w = &c->want;
    struct fx_render f;
    fx_render_init(&f, c->receiver);
    if (t->event == NOTIFY_EVENT_RESOLVED)
        fx_resolve(&f.m);
    f.m.event = t->event;
    fx_tweak_(&f.m.id, t->id);
    fx_tweak_(&f.m.alert_key, t->alert_key);
    fx_tweak_(&f.m.model, t->model);
    fx_tweak_(&f.m.version, t->version);
    fx_tweak_(&f.m.rollback_to, t->rollback_to);
    fx_tweak_(&f.m.rollback_reason, t->rollback_reason);
    CHECK_EQ_INT(fx_render(&f), w->rc);
    if (w->method)
        CHECK_EQ_STR(f.req.method, w->method);
    if (w->url)
        CHECK_EQ_STR(fx_or_absent(f.req.url), w->url);
    fx_check_headers_(&f.req, w->headers, sizeof w->headers / sizeof *w->headers, file, line);
    if (w->body)
        CHECK_EQ_STR(fx_or_absent(f.req.body), w->body);
    if (w->body == FX_ABSENT)
        CHECK_EQ_INT(f.req.body_len, 0);
    if (w->reason)
        CHECK_EQ_STR(fx_or_absent(f.req.reason), w->reason);
    if (w->reason_part)
        CHECK_CONTAINS(f.req.reason, w->reason_part);
    fx_render_done(&f);
    fx_name_failures(failures, c->name, file, line);
}

/* runs every row of the array rows */
#define FX_CHECK_CASES(rows)                                                                       \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < sizeof(rows) / sizeof *(rows); i_++)                              \
            fx_check_case_(&(rows)[i_], __FILE__, __LINE__);                                       \
    } while (0)

/* What every receiver that rolls back (github's action rollback, mlflow,
 * torchserve) renders for a message it cannot act on: nothing to send and
 * why, the alert's rollback_reason or the default when there is no target,
 * the event when the alert resolves (with a target or without). */
static inline void fx_check_rollback_nothing_(const char *receiver, const char *file, int line)
{
    const struct fx_case rows[] = {
        {"no target, a reason",
         receiver,
         {.rollback_to = FX_ABSENT, .rollback_reason = "no other version without drift"},
         {.rc = NOTIFY_NOTHING_TO_SEND,
          .reason = "no other version without drift",
          .url = FX_ABSENT,
          .body = FX_ABSENT}},
        {"no target, no reason",
         receiver,
         {.rollback_to = FX_ABSENT},
         {.rc = NOTIFY_NOTHING_TO_SEND, .reason = "the alert has no rollback target"}},
        {"resolved",
         receiver,
         {.event = NOTIFY_EVENT_RESOLVED},
         {.rc = NOTIFY_NOTHING_TO_SEND, .reason_part = "not when it resolves"}},
        {"resolved without a target",
         receiver,
         {.event = NOTIFY_EVENT_RESOLVED, .rollback_to = FX_ABSENT},
         {.rc = NOTIFY_NOTHING_TO_SEND, .reason_part = "not when it resolves"}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        fx_check_case_(&rows[i], file, line);
}

#define FX_CHECK_ROLLBACK_NOTHING(receiver)                                                        \
    fx_check_rollback_nothing_((receiver), __FILE__, __LINE__)

/* A test of a receiver that acts (github, mlflow, torchserve) only reads: a
 * GET of url with Authorization auth (FX_ABSENT: none) and no body, whether
 * the alert has a rollback target or not. */
static inline void fx_check_test_reads_(const char *receiver, const char *url, const char *auth,
                                        const char *file, int line)
{
    const struct fx_want reads = {
        .method = "GET", .url = url, .headers = {{"Authorization", auth}}, .body = FX_ABSENT};
    const struct fx_case rows[] = {
        {"test", receiver, {.event = NOTIFY_EVENT_TEST}, reads},
        {"a test without a rollback target",
         receiver,
         {.event = NOTIFY_EVENT_TEST,
          .rollback_to = FX_ABSENT,
          .rollback_reason = "every other version drifts too"},
         reads},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        fx_check_case_(&rows[i], file, line);
}

#define FX_CHECK_TEST_READS(receiver, url, auth)                                                   \
    fx_check_test_reads_((receiver), (url), (auth), __FILE__, __LINE__)

#endif
