/* Tests base/timefmt.c: RFC 3339 parsing/formatting and durations. */
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "check.h"

static int64_t parse(const char *s)
{
    int64_t ms = -42;
    if (dd_time_parse(s, strlen(s), &ms) != 0)
        return -1;
    return ms;
}

TEST(time_parse)
{
    CHECK_EQ_INT(parse("1970-01-01T00:00:00Z"), 0);
    CHECK_EQ_INT(parse("2026-11-22T10:00:00.000Z"), 1795341600000LL);
    CHECK_EQ_INT(parse("2026-11-22T11:00:00+01:00"), 1795341600000LL);
    CHECK_EQ_INT(parse("2026-11-22t10:00:00.5z"), 1795341600500LL);
    CHECK_EQ_INT(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
    CHECK_EQ_INT(parse("2023-02-29T00:00:00Z"), -1); /* not a leap year */
    CHECK_EQ_INT(parse("2026-13-01T00:00:00Z"), -1);
    CHECK_EQ_INT(parse("2026-11-22T10:00:00"), -1); /* offset required */
    CHECK_EQ_INT(parse("2026-11-22T10:00:00Zjunk"), -1);
    CHECK_EQ_INT(parse("yesterday"), -1);
    CHECK_EQ_INT(parse(""), -1);
}

TEST(time_format_round_trip)
{
    char out[DD_TIME_STRLEN];
    dd_time_format(1795341600123LL, out);
    CHECK_EQ_STR(out, "2026-11-22T10:00:00.123Z");
    dd_time_format(0, out);
    CHECK_EQ_STR(out, "1970-01-01T00:00:00.000Z");
    /* round trip over many days */
    for (int64_t ms = 0; ms < 4102444800000LL; ms += 86400000LL * 37 + 12345) {
        dd_time_format(ms, out);
        CHECK_EQ_INT(parse(out), ms);
    }
}

/* dd_duration_parse(s) in ms, or its error code */
static int64_t duration(const char *s)
{
    int64_t d = -42;
    int rc = dd_duration_parse(s, &d);
    return rc ? rc : d;
}

TEST(duration_parse)
{
    CHECK_EQ_INT(duration("15m"), 900000);
    CHECK_EQ_INT(duration("1h"), 3600000);
    CHECK_EQ_INT(duration("24h"), 86400000);
    CHECK_EQ_INT(duration("500ms"), 500);
    CHECK_EQ_INT(duration("7d"), 7 * 86400000LL);
    CHECK_EQ_INT(duration("0s"), DD_EINVAL);
    CHECK_EQ_INT(duration("-1h"), DD_EINVAL);
    CHECK_EQ_INT(duration("1y"), DD_EINVAL);
    CHECK_EQ_INT(duration("h"), DD_EINVAL);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(time_parse);
    RUN(time_format_round_trip);
    RUN(duration_parse);
    CHECK_DONE();
}
