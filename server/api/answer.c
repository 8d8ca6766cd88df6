/* answer.c — a writer's error code as an HTTP answer (answer.h). */
#include "server/api/answer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/event.h"

static const struct answer_row rows[] = {
    {DD_EOVERLOAD, 503, "overloaded", ANSWER_RETRY_OVERLOAD_S,
     "ingest queue is full, retry after the Retry-After delay"},
    {DD_ESHUTDOWN, 503, "shutting_down", ANSWER_RETRY_SHUTDOWN_S,
     "server is shutting down, retry after the Retry-After delay"},
    {DD_EFULL, 503, "storage_full", ANSWER_RETRY_FULL_S,
     "storage is full: the disk holding the database has no space left; nothing was stored,"
     " retry after the Retry-After delay"},
    {DD_ENOTFOUND, 404, "not_found", 0, NULL},
    /* what reads answer (a window or parameter they cannot use, data that
     * cannot be compared); writes never see these */
    {DD_EINVAL, 400, "invalid_query", 0, "invalid request"},
    {DD_EDIM, 409, "conflict", 0, "embedding dimensions differ"},
    {DD_ECONFLICT, 409, "conflict", 0, "conflict"},
    {DD_ETOOBIG, 413, "payload_too_large", 0, "too large"},
    {0, 500, "internal", 0, "could not store the request"},
};

const struct answer_row *answer_lookup(int rc)
{
    const struct answer_row *row = rows;
    while (row->rc != 0 && row->rc != rc)
        row++;
    return row;
}

void answer_error(struct http_req *r, int rc, const char *fmt, ...)
{
    const struct answer_row *row = answer_lookup(rc);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (row->retry_after_s > 0)
        http_reply_error_retry(r, row->status, row->code, row->retry_after_s, "%s", msg);
    else
        http_reply_error(r, row->status, row->code, -1, "%s", msg);
}

void answer_writer_error(struct http_req *r, int rc)
{
    const struct answer_row *row = answer_lookup(rc);
    if (row->retry_after_s > 0) {
        http_reply_error_retry(r, row->status, row->code, row->retry_after_s, "%s", row->message);
    } else if (!row->message) {
        if (r->params[1][0])
            http_reply_error(r, row->status, row->code, -1, "model '%s' has no version '%s'",
                             r->params[0], r->params[1]);
        else
            http_reply_error(r, row->status, row->code, -1, "model '%s' not found", r->params[0]);
    } else {
        http_reply_error(r, row->status, row->code, -1, "%s (%s)", row->message, dd_strerror(rc));
    }
}

int answer_body_format(struct http_req *r, unsigned accepted, enum dd_body_format *fmt)
{
    static const char *const names[] = {
        [DD_BODY_JSON] = "application/json",
        [DD_BODY_NDJSON] = "application/x-ndjson",
        [DD_BODY_CSV] = "text/csv",
    };
    if (dd_parse_media_type(http_header(r, "Content-Type"), fmt) == 0 && (accepted >> *fmt & 1))
        return 0;
    char list[96] = "";
    size_t n = 0, count = 0, total = (size_t)__builtin_popcount(accepted);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(accepted >> i & 1))
            continue;
        const char *sep = count == 0 ? "" : count + 1 == total ? " or " : ", ";
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", sep, names[i]);
        count++;
    }
    http_reply_error(r, 415, "unsupported_media_type", -1, "Content-Type must be %s", list);
    return DD_EINVAL;
}

int answer_query_known(struct http_req *r, const char *const *known)
{
    const char *q = r->query;
    while (q && *q) {
        size_t len = strcspn(q, "&");
        size_t name_len = strcspn(q, "=&");
        if (name_len > 0) {
            int found = 0;
            for (const char *const *k = known; k && *k && !found; k++)
                found = strlen(*k) == name_len && strncmp(*k, q, name_len) == 0;
            const char *why = found ? NULL : "unknown query parameter";
            if (found) { /* given twice? */
                for (const char *p = q + len; *p && !why;) {
                    size_t l2 = strcspn(p, "&"), n2 = strcspn(p, "=&");
                    if (n2 == name_len && strncmp(p, q, n2) == 0)
                        why = "query parameter given twice:";
                    p += l2 + (p[l2] == '&');
                }
            }
            if (why) {
                char takes[160] = "none";
                size_t n = 0;
                for (const char *const *k = known; k && *k && n < sizeof takes; k++)
                    n += (size_t)snprintf(takes + n, sizeof takes - n, "%s%s",
                                          k == known ? "" : ", ", *k);
                http_reply_error(r, 400, "invalid_request", -1,
                                 "%s '%.*s' (this endpoint takes %s)", why,
                                 (int)(name_len > 64 ? 64 : name_len), q, takes);
                return DD_EINVAL;
            }
        }
        q += len + (q[len] == '&');
    }
    return 0;
}

/* One time of answer_query_range(): 0 (*out untouched when absent and not
 * required), or answered and -1. */
static int query_time_or_reply(struct http_req *r, const char *name, int required, int64_t *out)
{
    char v[64];
    int got = http_query(r, name, v, sizeof v);
    if (got == 0 && required) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "%s: required (from <= ts < to; an RFC 3339 time or epoch milliseconds)",
                         name);
        return -1;
    }
    if (got == 0)
        return 0;
    char *end = NULL;
    long long ms = got == 1 ? strtoll(v, &end, 10) : 0;
    if (got == 1 && end != v && *end == '\0' && ms >= 0) {
        if (ms < DD_TS_NUMBER_MIN_MS) {
            http_reply_error(r, 400, "invalid_query", -1,
                             "%s: %s looks like epoch seconds; give epoch milliseconds (%s000) "
                             "or an RFC 3339 time",
                             name, v, v);
            return -1;
        }
        *out = ms;
        return 0;
    }
    if (got == 1 && dd_time_parse(v, strlen(v), out) == 0)
        return 0;
    http_reply_error(r, 400, "invalid_query", -1,
                     "%s: '%.64s' is not a time (expected RFC 3339, e.g. 2026-11-22T10:00:00Z, "
                     "or epoch milliseconds)",
                     name, got == 1 ? v : "(too long)");
    return -1;
}

int answer_query_range(struct http_req *r, int required, int64_t *from, int64_t *to)
{
    if (query_time_or_reply(r, "from", required, from) != 0 ||
        query_time_or_reply(r, "to", required, to) != 0)
        return -1;
    if (*from > *to) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "from: must not be after to (from <= ts < to)");
        return -1;
    }
    return 0;
}

int answer_query_limit(struct http_req *r, int max, size_t *limit)
{
    char v[256]; /* longer than any number: a longer value is answered without it */
    int got = http_query(r, "limit", v, sizeof v);
    if (got == 0)
        return 0;
    char *end = NULL;
    long n = got > 0 ? strtol(v, &end, 10) : 0;
    if (got < 0 || end == v || *end || n < 1 || n > max) {
        http_reply_error(r, 400, "invalid_query", -1,
                         "limit: '%.20s' is not an integer from 1 to %d", got > 0 ? v : "", max);
        return -1;
    }
    *limit = (size_t)n;
    return 0;
}

int answer_query_version(struct http_req *r, char *buf, const char **out)
{
    int got = http_query(r, "version", buf, DD_NAME_MAX + 1);
    if (got == 0)
        return 0;
    if (got < 0 || !dd_name_valid(buf, strlen(buf))) {
        http_reply_error(r, 400, "invalid_query", -1, "version: must match [A-Za-z0-9._-]{1,128}");
        return -1;
    }
    *out = buf;
    return 0;
}
