/* test_notify.c — server/notify/notify.c: the Standard Webhooks signature
 * (the published test vector), the retry policy table, alert keys, message
 * ids and the summary sentence. */
#include "fixture_notify.h"

#include "base/err.h"

TEST(sign_standard_webhooks_vector)
{
    const char *body = "{\"test\": 2432232314}";
    char sig[NOTIFY_SIGNATURE_LEN + 1];
    CHECK_EQ_INT(notify_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                             "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig),
                 0);
    CHECK_EQ_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* one byte more in the body, one second later: another signature */
    char other[NOTIFY_SIGNATURE_LEN + 1];
    CHECK_EQ_INT(notify_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                             "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body), other),
                 0);
    CHECK(strcmp(sig, other) != 0);
}

TEST(sign_refuses_bad_secrets)
{
    char sig[NOTIFY_SIGNATURE_LEN + 1];
    CHECK_EQ_INT(notify_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "x", 1, sig), DD_EINVAL);
    CHECK_EQ_INT(notify_sign("whsec_", "m", 1, "x", 1, sig), DD_EINVAL);
    CHECK_EQ_INT(notify_sign("whsec_not*base64!", "m", 1, "x", 1, sig), DD_EINVAL);
    CHECK_EQ_INT(notify_sign(NULL, "m", 1, "x", 1, sig), DD_EINVAL);
}

static struct notify_response answer(int status, int64_t retry_after_ms)
{
    struct notify_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.retry_after_ms = retry_after_ms;
    return r;
}

TEST(classify_table)
{
    static const struct {
        int status;
        enum notify_outcome outcome;
    } table[] = {
        {200, NOTIFY_DELIVERED}, {202, NOTIFY_DELIVERED}, {204, NOTIFY_DELIVERED},
        {400, NOTIFY_GIVE_UP},   {401, NOTIFY_GIVE_UP},   {404, NOTIFY_GIVE_UP},
        {301, NOTIFY_GIVE_UP},   {302, NOTIFY_GIVE_UP},   {100, NOTIFY_GIVE_UP},
        {500, NOTIFY_RETRY},     {502, NOTIFY_RETRY},     {503, NOTIFY_RETRY},
        {429, NOTIFY_RETRY},     {408, NOTIFY_RETRY},     {0, NOTIFY_RETRY} /* network */,
    };
    int64_t now = 1000000;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        struct notify_response r = answer(table[i].status, -1);
        struct notify_retry x = notify_classify(&r, 1, now, now, 0, 12345);
        if (x.outcome != table[i].outcome)
            fprintf(stderr, "status %d\n", table[i].status);
        CHECK_EQ_INT(x.outcome, table[i].outcome);
        CHECK(x.reason != NULL);
        if (x.outcome == NOTIFY_RETRY) {
            /* attempt 1: full jitter over [0, 2 s], at least 1 s */
            CHECK_CMP_INT(x.next_attempt_ms, >=, now + 1000);
            CHECK_CMP_INT(x.next_attempt_ms, <=, now + 2000);
        } else {
            CHECK_EQ_INT(x.next_attempt_ms, -1);
        }
    }
}

TEST(classify_backoff_grows_and_is_capped)
{
    struct notify_response r = answer(503, -1);
    int64_t now = 5000000;
    /* random = UINT64_MAX % (ceil + 1) picks near the top; check the ceiling per attempt */
    for (int attempt = 1; attempt <= 12; attempt++) {
        int64_t ceil = 1000LL << attempt;
        if (ceil > NOTIFY_BACKOFF_CAP_MS)
            ceil = NOTIFY_BACKOFF_CAP_MS;
        struct notify_retry top = notify_classify(&r, attempt, now, now, 0, (uint64_t)ceil);
        CHECK_EQ_INT(top.outcome, NOTIFY_RETRY);
        CHECK_EQ_INT(top.next_attempt_ms, now + ceil); /* random == ceil: the top of the range */
        struct notify_retry low = notify_classify(&r, attempt, now, now, 0, 0);
        CHECK_EQ_INT(low.next_attempt_ms, now + 1000); /* the floor */
    }
    /* attempt 30: the cap, 10 minutes, not an overflow */
    struct notify_retry x = notify_classify(&r, 30, now, now, 0, 600000);
    CHECK_EQ_INT(x.next_attempt_ms, now + 600000);
    x = notify_classify(&r, 1000, now, now, 0, UINT64_MAX);
    CHECK_CMP_INT(x.next_attempt_ms, <=, now + 600000);
}

TEST(classify_honours_retry_after)
{
    int64_t now = 7000000;
    struct notify_response r = answer(503, 7000);
    struct notify_retry x = notify_classify(&r, 1, now, now, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_RETRY);
    CHECK_EQ_INT(x.next_attempt_ms, now + 7000); /* never earlier than asked */
    r = answer(429, 120000);
    x = notify_classify(&r, 1, now, now, 0, 999);
    CHECK_EQ_INT(x.next_attempt_ms, now + 120000);
    /* a backoff longer than Retry-After wins */
    r = answer(503, 1500);
    x = notify_classify(&r, 8, now, now, 0, 200000);
    CHECK_EQ_INT(x.next_attempt_ms, now + 200000);
}

TEST(classify_gives_up_past_max_age)
{
    int64_t first = 1000000, day = 24LL * 3600 * 1000;
    struct notify_response r = answer(500, -1);
    /* 23 h 59 m 58 s in, the next attempt (>= 1 s) still fits */
    struct notify_retry x = notify_classify(&r, 3, first, first + day - 2000, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_RETRY);
    CHECK_EQ_INT(x.next_attempt_ms, first + day - 1000);
    /* 24 h in: too old (default max age) */
    x = notify_classify(&r, 40, first, first + day, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_GIVE_UP);
    CHECK_EQ_INT(x.next_attempt_ms, -1);
    /* a Retry-After past a 1-hour max age gives up now */
    r = answer(503, 2 * 3600 * 1000);
    x = notify_classify(&r, 1, first, first, 3600 * 1000, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_GIVE_UP);
    /* delivered stays delivered however old */
    r = answer(202, -1);
    x = notify_classify(&r, 99, first, first + 10 * day, 0, 0);
    CHECK_EQ_INT(x.outcome, NOTIFY_DELIVERED);
}

TEST(alert_key_is_stable_and_bounded)
{
    char k[NOTIFY_KEY_MAX + 1], k2[NOTIFY_KEY_MAX + 1];
    notify_alert_key("vit-conf", "vit", "v3", k);
    CHECK_EQ_STR(k, "driftd/vit-conf/vit/v3");
    char longname[129];
    memset(longname, 'a', 128);
    longname[128] = '\0';
    notify_alert_key(longname, longname, "v3", k);
    notify_alert_key(longname, longname, "v3", k2);
    CHECK_STARTS_WITH(k, "driftd/sha256:");
    CHECK_EQ_INT(strlen(k), 14 + 64);
    CHECK_EQ_STR(k, k2);
    notify_alert_key(longname, longname, "v4", k2);
    CHECK(strcmp(k, k2) != 0);
}

TEST(message_id)
{
    uint8_t r[16];
    for (int i = 0; i < 16; i++)
        r[i] = (uint8_t)(i * 17);
    char id[NOTIFY_MSG_ID_LEN + 1];
    notify_message_id(r, id);
    CHECK_EQ_STR(id, "msg_00112233445566778899aabbccddeeff");
}

TEST(summary_sentence)
{
    struct notify_message m;
    fx_message(&m);
    char s[NOTIFY_SUMMARY_MAX + 1];
    CHECK_EQ_STR(notify_summary(&m, s),
                 "Model vit version v3: confidence has drifted from its reference (p_value < 0.01, "
                 "value 0.0031, ks p=0.0031) over 2026-11-22 10:00 to 11:00 UTC, 1234 events; rule "
                 "vit-conf");
    m.event = NOTIFY_EVENT_RESOLVED;
    CHECK_EQ_STR(notify_summary(&m, s), "Resolved: Model vit version v3: confidence is back within "
                                        "its rule (no longer p_value < 0.01); rule vit-conf");
    m.event = NOTIFY_EVENT_FIRING;
    m.signal = NULL;
    m.method = NULL;
    m.condition = "drift";
    m.value = NAN;
    CHECK_EQ_STR(notify_summary(&m, s),
                 "Model vit version v3: has drifted from its reference (drift) over 2026-11-22 "
                 "10:00 to 11:00 UTC, 1234 events; rule vit-conf");
    m.summary = "given";
    CHECK_EQ_STR(notify_summary(&m, s), "given");
}

TEST(summary_cut_at_a_character)
{
    /* 600 two-byte characters: 1200 bytes, cut to 1024 without splitting one */
    char cond[1201];
    for (int i = 0; i < 600; i++)
        memcpy(cond + 2 * i, "\xc3\xa9", 2);
    cond[1200] = '\0';
    struct notify_message m;
    fx_message(&m);
    m.condition = cond;
    char s[NOTIFY_SUMMARY_MAX + 1];
    notify_summary(&m, s);
    size_t n = strlen(s);
    CHECK_CMP_INT(n, <=, NOTIFY_SUMMARY_MAX);
    CHECK_CMP_INT(n, >=, NOTIFY_SUMMARY_MAX - 1);
    CHECK_EQ_MEM(s + n - 2, "\xc3\xa9", 2); /* ends on a whole character */
}

#define HOOK "{\"id\": \"h\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:9/h\"}"

TEST(render_refuses_incomplete_messages)
{
    static char longkey[300];
    memset(longkey, 'k', 299);
    longkey[299] = '\0';
    static const struct fx_case rows[] = {
        {"no id", HOOK, {.id = FX_ABSENT}, {.rc = DD_EINVAL}},
        {"no alert key", HOOK, {.alert_key = FX_ABSENT}, {.rc = DD_EINVAL}},
        {"no version", HOOK, {.version = FX_ABSENT}, {.rc = DD_EINVAL}},
        {"an alert key too long", HOOK, {.alert_key = longkey}, {.rc = DD_EINVAL}},
    };
    FX_CHECK_CASES(rows);

    /* a receiver built by hand without what its kind needs */
    struct notify_receiver bare;
    memset(&bare, 0, sizeof bare);
    struct notify_message m;
    struct notify_request req;
    fx_message(&m);
    bare.kind = NOTIFY_WEBHOOK;
    CHECK_EQ_INT(notify_render(&bare, &m, FX_NOW_MS, &req), DD_EINVAL); /* no url */
    bare.kind = NOTIFY_PAGERDUTY;
    bare.url = "http://127.0.0.1:9/";
    CHECK_EQ_INT(notify_render(&bare, &m, FX_NOW_MS, &req), DD_EINVAL); /* no routing key */
    bare.kind = NOTIFY_GITHUB;
    CHECK_EQ_INT(notify_render(&bare, &m, FX_NOW_MS, &req), DD_EINVAL); /* no repository */
    bare.kind = NOTIFY_MLFLOW;
    CHECK_EQ_INT(notify_render(&bare, &m, FX_NOW_MS, &req), DD_EINVAL); /* no alias */
    bare.kind = (enum notify_kind)NOTIFY_KINDS;
    CHECK_EQ_INT(notify_render(&bare, &m, FX_NOW_MS, &req), DD_EINVAL);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(sign_standard_webhooks_vector);
    RUN(sign_refuses_bad_secrets);
    RUN(classify_table);
    RUN(classify_backoff_grows_and_is_capped);
    RUN(classify_honours_retry_after);
    RUN(classify_gives_up_past_max_age);
    RUN(alert_key_is_stable_and_bounded);
    RUN(message_id);
    RUN(summary_sentence);
    RUN(summary_cut_at_a_character);
    RUN(render_refuses_incomplete_messages);
    CHECK_DONE();
}
