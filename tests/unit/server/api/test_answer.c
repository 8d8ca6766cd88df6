/* Tests server/api/answer.c: the one table from a writer's error code to its
 * HTTP answer (status, API error code, Retry-After, message), the 415 of
 * answer_body_format(), the 400 of answer_query_known() and the ranges and
 * versions of answer_query_range() and answer_query_version().  answer.c is
 * included with its calls into server/http/ renamed to the stubs below, so
 * no server is needed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define http_reply_error stub_reply_error
#define http_header stub_header
#include "server/api/answer.c"
#undef http_reply_error
#undef http_header

static struct {
    int status; /* 0: no answer */
    char code[64];
    char message[512];
} answer;
static const char *content_type; /* the request's Content-Type */

void stub_reply_error(struct http_req *r, int status, const char *code, long index, const char *fmt,
                      ...)
{
    (void)r;
    (void)index;
    answer.status = status;
    snprintf(answer.code, sizeof answer.code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(answer.message, sizeof answer.message, fmt, ap);
    va_end(ap);
}

const char *stub_header(const struct http_req *r, const char *name)
{
    (void)r;
    return strcmp(name, "Content-Type") == 0 ? content_type : NULL;
}

/* What each error code must be answered with; retry_after -1: not checked. */
static const struct {
    int rc;
    int status;
    const char *code;
    int retry_after;
} want[] = {
    {DD_EOVERLOAD, 503, "overloaded", 1},
    {DD_ESHUTDOWN, 503, "shutting_down", 5},
    {DD_EFULL, 503, "storage_full", ANSWER_RETRY_FULL_S},
    {DD_ENOTFOUND, 404, "not_found", 0},
    /* what reads answer: a window they cannot use, data that cannot be compared */
    {DD_EINVAL, 400, "invalid_query", -1},
    {DD_EDIM, 409, "conflict", -1},
    {DD_ETOOBIG, 413, NULL, -1},
    /* anything else is a bug: 500 internal, no Retry-After */
    {DD_EIO, 500, "internal", 0},
    {DD_ENOMEM, 500, "internal", 0},
    {DD_EINTERNAL, 500, "internal", 0},
    {-999, 500, "internal", 0},
};

TEST(table)
{
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct answer_row *a = answer_lookup(want[i].rc);
        CHECK_EQ_INT(a->status, want[i].status);
        if (want[i].code)
            CHECK_EQ_STR(a->code, want[i].code);
        if (want[i].retry_after >= 0)
            CHECK_EQ_INT(a->retry_after_s, want[i].retry_after);
        if (want[i].status == 500) /* a bug still gets a message (404's may be NULL) */
            CHECK(a->message != NULL);
    }
}

/* a full disk: retried after some seconds, and the message says why */
TEST(storage_full)
{
    const struct answer_row *a = answer_lookup(DD_EFULL);
    CHECK_CMP_INT(a->retry_after_s, >=, 5);
    CHECK_CONTAINS(a->message, "full");
}

/* answer_body_format(): the accepted set decides; a refusal names it */
TEST(body_format)
{
    struct http_req r = {0};
    enum dd_body_format fmt;
    memset(&answer, 0, sizeof answer);
    content_type = "text/csv; charset=utf-8";
    CHECK_EQ_INT(answer_body_format(&r, ANSWER_JSON | ANSWER_CSV, &fmt), 0);
    CHECK_EQ_INT(fmt, DD_BODY_CSV);
    CHECK_EQ_INT(answer.status, 0);
    content_type = "Application/JSONLines";
    CHECK_EQ_INT(answer_body_format(&r, ANSWER_NDJSON, &fmt), 0);
    CHECK_EQ_INT(fmt, DD_BODY_NDJSON);
    content_type = "text/csv";
    CHECK_EQ_INT(answer_body_format(&r, ANSWER_JSON | ANSWER_NDJSON, &fmt), DD_EINVAL);
    CHECK_EQ_INT(answer.status, 415);
    CHECK_EQ_STR(answer.code, "unsupported_media_type");
    CHECK_EQ_STR(answer.message, "Content-Type must be application/json or application/x-ndjson");
    content_type = NULL;
    CHECK_EQ_INT(answer_body_format(&r, ANSWER_JSON | ANSWER_NDJSON | ANSWER_CSV, &fmt), DD_EINVAL);
    CHECK_EQ_STR(answer.message,
                 "Content-Type must be application/json, application/x-ndjson or text/csv");
}

/* answer_query_known(): unknown and repeated parameters are named */
TEST(query_known)
{
    static const char *const known[] = {"version", "window", NULL};
    static const char *const none[] = {NULL};
    struct http_req r = {0};
    const char *ok[] = {
        NULL, "", "version=v1", "version=v1&window=1h", "window=&version=x&", "&&version=v1"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        memset(&answer, 0, sizeof answer);
        r.query = ok[i];
        CHECK_EQ_INT(answer_query_known(&r, known), 0);
        CHECK_EQ_INT(answer.status, 0);
    }
    r.query = "version=v1&versoin=v2";
    CHECK_EQ_INT(answer_query_known(&r, known), DD_EINVAL);
    CHECK_EQ_INT(answer.status, 400);
    CHECK_EQ_STR(answer.code, "invalid_request");
    CHECK_EQ_STR(answer.message,
                 "unknown query parameter 'versoin' (this endpoint takes version, window)");
    r.query = "window=1h&version=a&version=b";
    CHECK_EQ_INT(answer_query_known(&r, known), DD_EINVAL);
    CHECK_EQ_STR(answer.message,
                 "query parameter given twice: 'version' (this endpoint takes version, window)");
    r.query = "versionx=1"; /* a prefix of a known name is not that name */
    CHECK_EQ_INT(answer_query_known(&r, known), DD_EINVAL);
    r.query = "a=1";
    CHECK_EQ_INT(answer_query_known(&r, none), DD_EINVAL);
    CHECK_EQ_STR(answer.message, "unknown query parameter 'a' (this endpoint takes none)");
}

/* a refused query parameter: rc -1, answered 400 invalid_query with message */
static void check_invalid_query(int rc, const char *message)
{
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(answer.status, 400);
    CHECK_EQ_STR(answer.code, "invalid_query");
    CHECK_EQ_STR(answer.message, message);
}

/* answer_query_range() and answer_query_version(): the times and names the
 * export and the events delete take, and the 400 of each refusal */
TEST(query_range_and_version)
{
    static const struct {
        const char *query;
        int required;
        int64_t from, to;    /* when accepted */
        const char *message; /* NULL: accepted */
    } cases[] = {
        {"", 0, 0, INT64_MAX, NULL},
        {"from=1764558000000", 0, 1764558000000, INT64_MAX, NULL},
        {"from=2025-12-01T03:00:00Z&to=1764558000001", 1, 1764558000000, 1764558000001, NULL},
        {"to=1764558000000", 1, 0, 0,
         "from: required (from <= ts < to; an RFC 3339 time or epoch milliseconds)"},
        {"from=1764558000", 0, 0, 0,
         "from: 1764558000 looks like epoch seconds; give epoch milliseconds (1764558000000) or "
         "an RFC 3339 time"},
        {"to=yesterday", 0, 0, 0,
         "to: 'yesterday' is not a time (expected RFC 3339, e.g. 2026-11-22T10:00:00Z, or epoch "
         "milliseconds)"},
        {"from=1764558000001&to=1764558000000", 0, 0, 0,
         "from: must not be after to (from <= ts < to)"},
    };
    struct http_req r = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&answer, 0, sizeof answer);
        r.query = cases[i].query;
        int64_t from = 0, to = INT64_MAX;
        int rc = answer_query_range(&r, cases[i].required, &from, &to);
        if (!cases[i].message) {
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(answer.status, 0);
            CHECK_EQ_INT(from, cases[i].from);
            CHECK_EQ_INT(to, cases[i].to);
        } else {
            check_invalid_query(rc, cases[i].message);
        }
    }
    char buf[DD_NAME_MAX + 1];
    const char *version = NULL;
    r.query = "";
    CHECK_EQ_INT(answer_query_version(&r, buf, &version), 0);
    CHECK(version == NULL);
    r.query = "version=v2";
    CHECK_EQ_INT(answer_query_version(&r, buf, &version), 0);
    CHECK_EQ_STR(version, "v2");
    memset(&answer, 0, sizeof answer);
    r.query = "version=v%202";
    check_invalid_query(answer_query_version(&r, buf, &version),
                        "version: must match [A-Za-z0-9._-]{1,128}");
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(table);
    RUN(storage_full);
    RUN(body_format);
    RUN(query_known);
    RUN(query_range_and_version);
    CHECK_DONE();
}
