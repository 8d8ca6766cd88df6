/* Tests server/answer.c: the one table from a writer's error code to its
 * HTTP answer (status, API error code, Retry-After, message). */
#include <string.h>

#include "base/err.h"
#include "server/api/answer.h"
#include "check.h"

int main(void)
{
    const struct answer_row *a = answer_lookup(DD_EOVERLOAD);
    CHECK_EQ_INT(a->status, 503);
    CHECK_EQ_STR(a->code, "overloaded");
    CHECK_EQ_INT(a->retry_after_s, 1);

    a = answer_lookup(DD_ESHUTDOWN);
    CHECK_EQ_INT(a->status, 503);
    CHECK_EQ_STR(a->code, "shutting_down");
    CHECK_EQ_INT(a->retry_after_s, 5);

    a = answer_lookup(DD_EFULL);
    CHECK_EQ_INT(a->status, 503);
    CHECK_EQ_STR(a->code, "storage_full");
    CHECK_EQ_INT(a->retry_after_s, ANSWER_RETRY_FULL_S);
    CHECK(a->retry_after_s >= 5);
    CHECK(strstr(a->message, "full") != NULL);

    a = answer_lookup(DD_ENOTFOUND);
    CHECK_EQ_INT(a->status, 404);
    CHECK_EQ_STR(a->code, "not_found");
    CHECK_EQ_INT(a->retry_after_s, 0);

    /* what reads answer: a window they cannot use, data that cannot be compared */
    a = answer_lookup(DD_EINVAL);
    CHECK_EQ_INT(a->status, 400);
    CHECK_EQ_STR(a->code, "invalid_query");
    a = answer_lookup(DD_EDIM);
    CHECK_EQ_INT(a->status, 409);
    CHECK_EQ_STR(a->code, "conflict");
    a = answer_lookup(DD_ETOOBIG);
    CHECK_EQ_INT(a->status, 413);

    /* anything else is a bug: 500 internal, no Retry-After */
    const int others[] = {DD_EIO, DD_ENOMEM, DD_EINTERNAL, -999};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        a = answer_lookup(others[i]);
        CHECK_EQ_INT(a->status, 500);
        CHECK_EQ_STR(a->code, "internal");
        CHECK_EQ_INT(a->retry_after_s, 0);
        CHECK(a->message != NULL);
    }
    CHECK_DONE();
}
