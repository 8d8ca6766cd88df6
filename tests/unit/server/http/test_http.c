/* Tests server/http/http.c's pure helper http_etag_matches(): the
 * If-None-Match comparison behind the static files' 304 (RFC 9110 sections
 * 8.8.3.2 and 13.1.2). */
#include <string.h>

#include "check.h"
#include "server/http/http.h"

TEST(etag_matches)
{
    const char *etag = "\"1a-2b\"";
    CHECK_EQ_INT(http_etag_matches("\"1a-2b\"", etag), 1);
    CHECK_EQ_INT(http_etag_matches("W/\"1a-2b\"", etag), 1); /* weak comparison */
    CHECK_EQ_INT(http_etag_matches("W/\"1a-2b\"", "W/\"1a-2b\""), 1);
    CHECK_EQ_INT(http_etag_matches("\"x\", \"1a-2b\"", etag), 1);
    CHECK_EQ_INT(http_etag_matches("\"x\",\"1a-2b\" ", etag), 1);
    CHECK_EQ_INT(http_etag_matches("*", etag), 1);
    CHECK_EQ_INT(http_etag_matches("\"1a-2c\"", etag), 0);
    CHECK_EQ_INT(http_etag_matches("\"1a-2b", etag), 0); /* unterminated */
    CHECK_EQ_INT(http_etag_matches("1a-2b", etag), 0);   /* without quotes: another tag */
    CHECK_EQ_INT(http_etag_matches("\"1a-2b\"x", etag), 0);
    CHECK_EQ_INT(http_etag_matches("", etag), 0);
    CHECK_EQ_INT(http_etag_matches(" , ,", etag), 0);
    CHECK_EQ_INT(http_etag_matches("\"\"", etag), 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(etag_matches);
    CHECK_DONE();
}
