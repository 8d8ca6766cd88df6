/* message.c — a struct notify_message as stored JSON and back: the outbox's
 * `message` column.  The rules engine writes the facts of a notification when
 * the alert changes state (notify_message_json()); the delivery worker reads
 * them back at each attempt (notify_message_parse()) and renders the request
 * then.  One table, fields[], names every member with its offset in the
 * struct, so the writer and the reader cannot disagree.  The round trip is
 * lossless: strings, doubles (shortest form that reads back the same; NAN as
 * null), epoch-ms times and counts (-1 as null), labels in order. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

enum field_type { F_STR, F_NUM, F_INT, F_EVENT, F_SEVERITY };

static const struct field {
    const char *name;
    enum field_type type;
    size_t offset;
} fields[] = {
#define S(f)                                                                                       \
    {                                                                                              \
#f, F_STR, offsetof(struct notify_message, f)                                              \
    }
#define N(f)                                                                                       \
    {                                                                                              \
#f, F_NUM, offsetof(struct notify_message, f)                                              \
    }
#define I(f)                                                                                       \
    {                                                                                              \
#f, F_INT, offsetof(struct notify_message, f)                                              \
    }
    S(id),
    {"event", F_EVENT, offsetof(struct notify_message, event)},
    S(alert_key),
    S(rule),
    S(model),
    S(version),
    S(signal),
    S(method),
    {"severity", F_SEVERITY, offsetof(struct notify_message, severity)},
    S(condition),
    N(value),
    N(threshold),
    N(p_value),
    N(statistic),
    I(window_from_ms),
    I(window_to_ms),
    I(events_current),
    I(events_reference),
    I(started_at_ms),
    I(resolved_at_ms),
    S(report_url),
    S(external_url),
    S(source),
    S(rollback_to),
    S(rollback_reason),
    S(export_url),
    I(export_from_ms),
    I(export_to_ms),
    S(summary),
#undef S
#undef N
#undef I
};
#define N_FIELDS (sizeof fields / sizeof fields[0])
#define N_STRING_FIELDS N_FIELDS /* at most one string a row */

static const char *const event_names[] = {
    [NOTIFY_EVENT_FIRING] = "firing",
    [NOTIFY_EVENT_RESOLVED] = "resolved",
    [NOTIFY_EVENT_TEST] = "test",
};
static const char *const severity_names[] = {
    [NOTIFY_SEV_CRITICAL] = "critical",
    [NOTIFY_SEV_ERROR] = "error",
    [NOTIFY_SEV_WARNING] = "warning",
    [NOTIFY_SEV_INFO] = "info",
};

static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *notify_event_name(enum notify_event e)
{
    return (unsigned)e < 3 ? event_names[e] : "firing";
}

int notify_event_from_name(const char *name)
{
    return name_index(event_names, 3, name);
}

const char *notify_severity_name(enum notify_severity s)
{
    return (unsigned)s < 4 ? severity_names[s] : "critical";
}

int notify_severity_from_name(const char *name)
{
    return name_index(severity_names, 4, name);
}

void notify_message_json(const struct notify_message *m, struct dd_buf *out)
{
    const char *base = (const char *)m;
    int first = 1;
    dd_buf_putc(out, '{');
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        const void *p = base + f->offset;
        dd_json_key(out, f->name, &first);
        switch (f->type) {
        case F_STR: {
            const char *s = *(const char *const *)p;
            if (s)
                dd_json_str(out, s);
            else
                dd_buf_puts(out, "null");
            break;
        }
        case F_NUM:
            dd_json_num(out, *(const double *)p); /* NAN and infinities: null */
            break;
        case F_INT: {
            int64_t v = *(const int64_t *)p;
            if (v == -1)
                dd_buf_puts(out, "null");
            else
                dd_json_int(out, v);
            break;
        }
        case F_EVENT:
            dd_json_str(out, notify_event_name(m->event));
            break;
        case F_SEVERITY:
            dd_json_str(out, notify_severity_name(m->severity));
            break;
        }
    }
    dd_json_key(out, "labels", &first);
    dd_buf_putc(out, '{');
    int lfirst = 1;
    for (size_t i = 0; i < m->n_labels; i++) {
        const struct notify_pair *l = &m->labels[i];
        if (!l->name)
            continue;
        dd_json_key(out, l->name, &lfirst);
        dd_json_str(out, l->value ? l->value : "");
    }
    dd_buf_puts(out, "}}");
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a);
    return DD_EINVAL;
}

/* an int64 from a JSON number that holds an integer exactly */
static int as_int64(const cJSON *v, int64_t *out)
{
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
        return -1;
    /* cJSON keeps only a double: integers past 2^53 would have lost digits */
    *out = (int64_t)d;
    return 0;
}

int notify_message_parse(const char *json, size_t len, struct notify_message_owned *out, char *err,
                         size_t errlen)
{
    memset(out, 0, sizeof *out);
    notify_message_init(&out->m);
    if (err && errlen)
        err[0] = '\0';
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail(err, errlen, "%s", "message: not a JSON object");
    }
    int rc = 0;
    out->strings = dd_calloc(N_STRING_FIELDS, sizeof *out->strings);
    char *base = (char *)&out->m;
    for (size_t i = 0; i < N_FIELDS && rc == 0; i++) {
        const struct field *f = &fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, f->name);
        if (!v || cJSON_IsNull(v))
            continue; /* unknown: notify_message_init()'s value */
        void *p = base + f->offset;
        switch (f->type) {
        case F_STR: {
            if (!cJSON_IsString(v)) {
                rc = fail(err, errlen, "%s: must be a string or null", f->name);
                break;
            }
            char *s = dd_strdup(v->valuestring);
            out->strings[out->n_strings++] = s;
            *(const char **)p = s;
            break;
        }
        case F_NUM:
            if (!cJSON_IsNumber(v)) {
                rc = fail(err, errlen, "%s: must be a number or null", f->name);
                break;
            }
            *(double *)p = v->valuedouble;
            break;
        case F_INT: {
            int64_t iv;
            if (!cJSON_IsNumber(v) || as_int64(v, &iv) != 0) {
                rc = fail(err, errlen, "%s: must be an integer or null", f->name);
                break;
            }
            *(int64_t *)p = iv;
            break;
        }
        case F_EVENT:
        case F_SEVERITY: {
            int k = cJSON_IsString(v)
                        ? (f->type == F_EVENT ? notify_event_from_name(v->valuestring)
                                              : notify_severity_from_name(v->valuestring))
                        : -1;
            if (k < 0) {
                rc = fail(err, errlen, "%s: unknown value", f->name);
                break;
            }
            if (f->type == F_EVENT)
                out->m.event = (enum notify_event)k;
            else
                out->m.severity = (enum notify_severity)k;
            break;
        }
        }
    }
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(root, "labels");
    if (rc == 0 && labels && !cJSON_IsNull(labels)) {
        if (!cJSON_IsObject(labels)) {
            rc = fail(err, errlen, "%s", "labels: must be an object of strings");
        } else {
            size_t n = (size_t)cJSON_GetArraySize(labels);
            out->labels = n ? dd_calloc(n, sizeof *out->labels) : NULL;
            const cJSON *l;
            cJSON_ArrayForEach(l, labels)
            {
                if (!cJSON_IsString(l) || !l->string) {
                    rc = fail(err, errlen, "labels.%s: must be a string",
                              l->string ? l->string : "?");
                    break;
                }
                struct notify_pair *pr = &out->labels[out->m.n_labels++];
                pr->name = dd_strdup(l->string);
                pr->value = dd_strdup(l->valuestring);
            }
            out->m.labels = out->labels;
        }
    }
    cJSON_Delete(root);
    if (rc != 0) {
        notify_message_release(out);
        notify_message_init(&out->m);
    }
    return rc;
}

void notify_message_release(struct notify_message_owned *out)
{
    if (!out)
        return;
    for (size_t i = 0; i < out->n_strings; i++)
        free(out->strings[i]);
    free(out->strings);
    notify__pairs_free(out->labels, out->m.n_labels);
    memset(out, 0, sizeof *out);
}
