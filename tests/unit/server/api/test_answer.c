/* Tests server/answer.c: the one table from a writer's error code to its
 * HTTP answer (status, API error code, Retry-After, message). */
#include <string.h>

#include "base/err.h"
#include "server/api/answer.h"
#include "check.h"

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

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(table);
    RUN(storage_full);
    CHECK_DONE();
}
