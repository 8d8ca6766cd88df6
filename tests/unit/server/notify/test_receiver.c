/* test_receiver.c — server/notify/receiver.c: the receiver JSON of the API
 * parsed with defaults, refused with messages naming the member, and written
 * back with secrets hidden (or shown, for storing). */
#include "fixture_notify.h"

#include "base/buf.h"
#include "base/err.h"

/* the parse error of json ("" when it parsed) */
static const char *parse_error(const char *json, char *err, size_t errlen)
{
    struct notify_receiver r;
    err[0] = '\0';
    int rc = notify_receiver_parse(json, strlen(json), &r, err, errlen);
    if (rc == 0)
        notify_receiver_release(&r);
    else
        CHECK_EQ_INT(rc, DD_EINVAL);
    return err;
}

/* the receiver of json, checked to be of kind with action and (unless NULL)
 * url, the defaults filled in; a failure names the kind */
static struct notify_receiver parsed(const char *json, enum notify_kind kind,
                                     enum notify_action action, const char *url)
{
    int failures = check_failures;
    struct notify_receiver r = fx_receiver(json);
    CHECK_EQ_INT(r.kind, kind);
    CHECK_EQ_INT(r.action, action);
    if (url)
        CHECK_EQ_STR(r.url, url);
    fx_name_failures(failures, notify_kind_name(kind), __FILE__, __LINE__);
    return r;
}

TEST(parses_every_kind_with_defaults)
{
    struct notify_receiver r =
        parsed("{\"id\": \"oncall\", \"type\": \"pagerduty\", \"routing_key\": "
               "\"R0123456789abcdef0123456789abcde\"}",
               NOTIFY_PAGERDUTY, NOTIFY_ACTION_NOTIFY, "https://events.pagerduty.com/v2/enqueue");
    CHECK_EQ_STR(r.id, "oncall");
    CHECK_EQ_STR(r.routing_key, "R0123456789abcdef0123456789abcde");
    notify_receiver_release(&r);

    r = parsed(
        "{\"id\": \"deploy\", \"type\": \"webhook\", \"url\": \"https://deploy.example/hook\","
        " \"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"action\": \"rollback\","
        " \"headers\": {\"X-Team\": \"ml\", \"Authorization\": \"Basic eDp5\"},"
        " \"format\": \"alertmanager\"}",
        NOTIFY_WEBHOOK, NOTIFY_ACTION_ROLLBACK, NULL);
    CHECK_EQ_INT(r.format, NOTIFY_FORMAT_ALERTMANAGER);
    CHECK_EQ_INT(r.n_headers, 2);
    CHECK_EQ_STR(r.headers[0].name, "X-Team");
    CHECK_EQ_STR(r.headers[0].value, "ml");
    CHECK_EQ_STR(r.headers[1].name, "Authorization");
    CHECK_EQ_STR(r.secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    notify_receiver_release(&r);

    r = parsed("{\"id\": \"registry\", \"type\": \"mlflow\", \"url\": \"http://mlflow:5000\","
               " \"token\": \"t0k\", \"registered_model\": \"vit\", \"versions\": {\"v3\": "
               "\"12\", \"v2\": \"11\"}}",
               NOTIFY_MLFLOW, NOTIFY_ACTION_ROLLBACK, NULL);
    CHECK_EQ_STR(r.alias, "champion");
    CHECK_EQ_INT(r.n_versions, 2);
    CHECK_EQ_STR(r.versions[1].name, "v2");
    CHECK_EQ_STR(r.versions[1].value, "11");
    notify_receiver_release(&r);

    r = parsed(
        "{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": \"http://ts:8081\","
        " \"model_name\": \"vit\"}",
        NOTIFY_TORCHSERVE, NOTIFY_ACTION_ROLLBACK, "http://ts:8081");
    CHECK_EQ_STR(r.model_name, "vit");
    notify_receiver_release(&r);

    r = parsed("{\"id\": \"ci\", \"type\": \"github\", \"repository\": \"org/repo\", "
               "\"token\": \"ghp_x\"}",
               NOTIFY_GITHUB, NOTIFY_ACTION_RETRAIN, "https://api.github.com");
    CHECK_EQ_STR(r.repository, "org/repo");
    CHECK_EQ_STR(r.event_type, "driftd-retrain");
    notify_receiver_release(&r);
}

TEST(errors_name_the_member)
{
    static const struct {
        const char *json, *error;
    } table[] = {
        {"{\"id\": \"p\", \"type\": \"pagerduty\"}",
         "routing_key: required for a pagerduty receiver"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"ftp://x/h\"}",
         "url: must start with http:// or https://"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"file:///etc/passwd\"}",
         "url: must start with http:// or https://"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"https:///h\"}", "url: has no host"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://a b/\"}",
         "url: must not hold spaces, control or non-ASCII characters"},
        {"{\"id\": \"m\", \"type\": \"mlflow\", \"url\": \"http://m?x=1\"}",
         "url: must not hold a query ('?'): paths are appended to it"},
        {"{\"id\": \"x\", \"type\": \"slack\", \"url\": \"http://x\"}",
         "type: must be one of pagerduty, webhook, mlflow, torchserve, github"},
        {"{\"id\": \"x\", \"type\": 3}",
         "type: must be one of pagerduty, webhook, mlflow, torchserve, github"},
        {"{\"id\": \"x\"}", "type: required"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"colour\": \"red\"}",
         "colour: unknown member of a webhook receiver"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"routing_key\": \"k\"}",
         "routing_key: unknown member of a webhook receiver"},
        {"{\"id\": \"t\", \"type\": \"torchserve\", \"url\": \"http://x\"}",
         "url: unknown member of a torchserve receiver"},
        {"{\"type\": \"webhook\", \"url\": \"http://x\"}", "id: required for a webhook receiver"},
        {"{\"id\": \"a/b\", \"type\": \"webhook\", \"url\": \"http://x\"}",
         "id: must match [A-Za-z0-9._-]{1,64}"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"secret\": \"s3cret\"}",
         "secret: must be whsec_ followed by the base64 of a 24 to 64 byte key"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"secret\": "
         "\"whsec_YWJj\"}",
         "secret: must be whsec_ followed by the base64 of a 24 to 64 byte key"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"format\": \"slack\"}",
         "format: must be driftd or alertmanager"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"action\": \"page\"}",
         "action: must be notify, rollback or retrain"},
        {"{\"id\": \"m\", \"type\": \"mlflow\", \"url\": \"http://x\", \"action\": \"retrain\"}",
         "action: must be rollback for this receiver type (it can only roll back)"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"headers\": "
         "{\"Content-Type\": \"text/plain\"}}",
         "headers.Content-Type: is not a header name driftd may set (a token, not a framing or "
         "webhook-* header)"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"headers\": {\"X-A\": "
         "\"a\\r\\nX-B: b\"}}",
         "headers.X-A: must be at most 1024 characters without control characters"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"headers\": {\"X-A\": 1}}",
         "headers.X-A: must be a string"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"headers\": [\"X-A\"]}",
         "headers: must be an object of strings"},
        {"{\"id\": \"g\", \"type\": \"github\", \"repository\": \"org\", \"token\": \"t\"}",
         "repository: must be owner/repo"},
        {"{\"id\": \"g\", \"type\": \"github\", \"repository\": \"org/../x\", \"token\": \"t\"}",
         "repository: must be owner/repo"},
        {"{\"id\": \"g\", \"type\": \"github\", \"repository\": \"org/r\"}",
         "token: required for a github receiver"},
        {"{\"id\": \"g\", \"type\": \"github\", \"repository\": \"org/r\", \"token\": \"a b\"}",
         "token: must be 1 to 1024 visible ASCII characters"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\", \"url\": \"http://y\"}",
         "url: repeated member"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": 7}", "url: must be a string"},
        {"[1]", "body: must be a JSON object"},
        {"{\"id\": \"w\\u0000x\", \"type\": \"webhook\", \"url\": \"http://x\"}",
         "body: strings must not hold U+0000"},
        {"{\"id\": \"m\", \"type\": \"mlflow\", \"url\": \"http://x\", \"alias\": \"a\xff\"}",
         "alias: must be 1 to 1024 characters without control characters"},
        {"{\"id\": ", "body: not valid JSON"},
        {"{\"id\": \"w\", \"type\": \"webhook\", \"url\": \"http://x\"} []",
         "body: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        char err[256];
        CHECK_EQ_STR(parse_error(table[i].json, err, sizeof err), table[i].error);
    }
}

TEST(escaped_backslash_before_u0000_is_no_nul)
{
    struct notify_receiver r = fx_receiver("{\"id\": \"registry\", \"type\": \"mlflow\", "
                                           "\"url\": \"http://m\", \"alias\": \"a\\\\u0000\"}");
    CHECK_EQ_STR(r.alias, "a\\u0000");
    notify_receiver_release(&r);
}

TEST(json_hides_secrets)
{
    const char *in =
        "{\"id\": \"deploy\", \"type\": \"webhook\", \"url\": \"https://deploy.example/hook\","
        " \"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"headers\": {\"X-Team\": "
        "\"ml\"}}";
    struct notify_receiver r = fx_receiver(in);
    struct dd_buf b;
    dd_buf_init(&b);
    notify_receiver_json(&r, 0, &b);
    CHECK_EQ_STR(b.data, "{\"id\":\"deploy\",\"type\":\"webhook\",\"action\":\"notify\","
                         "\"url\":\"https://deploy.example/hook\",\"secret\":\"set\","
                         "\"headers\":{\"X-Team\":\"ml\"},\"format\":\"driftd\"}");
    dd_buf_reset(&b);
    /* shown (for storing), it parses back to the same receiver */
    notify_receiver_json(&r, 1, &b);
    CHECK_CONTAINS(b.data, "\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"");
    struct notify_receiver back = fx_receiver(b.data);
    struct dd_buf b2;
    dd_buf_init(&b2);
    notify_receiver_json(&back, 1, &b2);
    CHECK_EQ_STR(b2.data, b.data);
    notify_receiver_release(&back);
    notify_receiver_release(&r);

    r = fx_receiver("{\"id\": \"ci\", \"type\": \"github\", \"repository\": \"org/repo\", "
                    "\"token\": \"ghp_x\"}");
    dd_buf_reset(&b);
    notify_receiver_json(&r, 0, &b);
    CHECK_EQ_STR(b.data, "{\"id\":\"ci\",\"type\":\"github\",\"action\":\"retrain\","
                         "\"url\":\"https://api.github.com\",\"token\":\"set\","
                         "\"repository\":\"org/repo\",\"event_type\":\"driftd-retrain\"}");
    notify_receiver_release(&r);
    r = fx_receiver(
        "{\"id\": \"serve\", \"type\": \"torchserve\", \"management_url\": \"http://ts:8081\"}");
    dd_buf_reset(&b);
    notify_receiver_json(&r, 0, &b);
    CHECK_CONTAINS(b.data, "\"management_url\":\"http://ts:8081\"");
    notify_receiver_release(&r);
    notify_receiver_release(NULL);
    dd_buf_release(&b);
    dd_buf_release(&b2);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(parses_every_kind_with_defaults);
    RUN(errors_name_the_member);
    RUN(escaped_backslash_before_u0000_is_no_nul);
    RUN(json_hides_secrets);
    CHECK_DONE();
}
