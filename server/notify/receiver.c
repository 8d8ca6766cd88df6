/* receiver.c — notify_receiver_parse(), notify_receiver_json(), the receiver
 * JSON of POST /api/v1/receivers.  One table, members[], says which member each
 * kind takes and requires; every error names the member. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/err.h"
#include "server/notify/notify.h"
#include "server/notify/notify_int.h"

#define K(kind) (1u << (kind))
#define K_ALL                                                                                      \
    (K(NOTIFY_PAGERDUTY) | K(NOTIFY_WEBHOOK) | K(NOTIFY_MLFLOW) | K(NOTIFY_TORCHSERVE) |           \
     K(NOTIFY_GITHUB))

/* Standard Webhooks: a signing key is 24 to 64 bytes */
#define SECRET_KEY_MIN 24
#define SECRET_KEY_MAX 64
#define REPO_PART_MAX 100 /* GitHub's limit on owner and repository names */

static const char *const default_url[NOTIFY_KINDS] = {
    [NOTIFY_PAGERDUTY] = "https://events.pagerduty.com/v2/enqueue",
    [NOTIFY_GITHUB] = "https://api.github.com",
};

/* headers a webhook may not set: framing, and what the signature covers */
static const char *const reserved_headers[] = {
    "host",    "content-length", "content-type",      "transfer-encoding", "connection",
    "expect",  "webhook-id",     "webhook-timestamp", "webhook-signature", "te",
    "upgrade", "trailer",
};

static int is_name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

static int is_visible_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* RFC 9110 token characters */
static int is_token_char(unsigned char c)
{
    return is_name_char(c) || (c && strchr("!#$%&'*+^`|~", c));
}

/* 1..max characters, every one of the class char_ok */
static int chars_ok(const char *s, size_t max, int (*char_ok)(unsigned char c))
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!char_ok((unsigned char)s[i]))
            return 0;
    return 1;
}

/* [A-Za-z0-9._-]{1,max} */
static int name_ok(const char *s, size_t max)
{
    return chars_ok(s, max, is_name_char);
}

/* 1..NOTIFY_VALUE_MAX visible ASCII characters: what goes into a header as is */
static int visible_ok(const char *s)
{
    return chars_ok(s, NOTIFY_VALUE_MAX, is_visible_char);
}

/* 1..NOTIFY_VALUE_MAX bytes of UTF-8 without control characters (names sent
 * in bodies) */
static int text_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NOTIFY_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return 0;
        int k = dd_utf8_seq((const unsigned char *)s + i, n - i);
        if (k <= 0)
            return 0;
        i += (size_t)k;
    }
    return 1;
}

/* 1 when the JSON text escapes U+0000 somewhere ("\u0000" after an even run
 * of backslashes): cJSON would cut that string short, so it is refused, as
 * everywhere in the API */
static int has_escaped_nul(const char *s, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++) {
        if (s[i] != '\\')
            continue;
        size_t run = 1;
        while (i + run < n && s[i + run] == '\\')
            run++;
        size_t u = i + run; /* the character after the run */
        if (run % 2 == 1 && u + 5 <= n && s[u] == 'u' && !memcmp(s + u + 1, "0000", 4))
            return 1;
        i = u - 1;
    }
    return 0;
}

/* http(s)://host..., no spaces or control characters; query allowed only where
 * nothing is appended to the URL */
static const char *url_problem(const char *s, int may_have_query)
{
    size_t n = strlen(s);
    size_t scheme = !strncmp(s, "https://", 8) ? 8 : !strncmp(s, "http://", 7) ? 7 : 0;
    if (!scheme)
        return "must start with http:// or https://";
    if (n > NOTIFY_URL_MAX)
        return "longer than 2048 characters";
    if (s[scheme] == '\0' || s[scheme] == '/' || s[scheme] == '?' || s[scheme] == '#')
        return "has no host";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return "must not hold spaces, control or non-ASCII characters";
        if (c == '#')
            return "must not hold a fragment ('#')";
        if (c == '?' && !may_have_query)
            return "must not hold a query ('?'): paths are appended to it";
    }
    return NULL;
}

static int secret_ok(const char *s)
{
    if (strncmp(s, "whsec_", 6) != 0)
        return 0;
    size_t n = strlen(s + 6);
    if (n == 0 || n > 128)
        return 0;
    uint8_t key[DD_BASE64_DECODED_MAX(128)];
    size_t len;
    return dd_base64_decode(s + 6, n, key, &len) == 0 && len >= SECRET_KEY_MIN &&
           len <= SECRET_KEY_MAX;
}

static int header_name_ok(const char *s)
{
    if (!chars_ok(s, 128, is_token_char))
        return 0;
    for (size_t i = 0; i < sizeof reserved_headers / sizeof *reserved_headers; i++)
        if (!strcasecmp(s, reserved_headers[i]))
            return 0;
    return 1;
}

static int header_value_ok(const char *s)
{
    size_t n = strlen(s);
    if (n > NOTIFY_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int repository_ok(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || strchr(slash + 1, '/'))
        return 0;
    char owner[REPO_PART_MAX + 1];
    size_t on = (size_t)(slash - s);
    if (on == 0 || on > REPO_PART_MAX)
        return 0;
    memcpy(owner, s, on);
    owner[on] = '\0';
    return name_ok(owner, REPO_PART_MAX) && name_ok(slash + 1, REPO_PART_MAX) &&
           strcmp(slash + 1, ".") != 0 && strcmp(slash + 1, "..") != 0 && strcmp(owner, ".") &&
           strcmp(owner, "..");
}

static int id_ok(const char *s)
{
    return name_ok(s, NOTIFY_ID_MAX);
}

/* The members a receiver may have, in the order notify_receiver_json() writes them. */
enum member_id {
    M_ID,
    M_TYPE,
    M_ACTION,
    M_URL,
    M_MANAGEMENT_URL,
    M_ROUTING_KEY,
    M_SECRET,
    M_TOKEN,
    M_HEADERS,
    M_FORMAT,
    M_REGISTERED_MODEL,
    M_ALIAS,
    M_VERSIONS,
    M_MODEL_NAME,
    M_REPOSITORY,
    M_EVENT_TYPE,
    M_COUNT
};

#define FIELD(f) offsetof(struct notify_receiver, f)
#define VISIBLE_BAD "must be 1 to 1024 visible ASCII characters"
#define TEXT_BAD "must be 1 to 1024 characters without control characters"

static const struct member {
    const char *name;
    unsigned takes;    /* kinds that accept it */
    unsigned requires; /* kinds that need it */
    /* a plain string member (NULL: parsed, written and freed one by one): the
     * check its value must pass, what a failure says, the field keeping a copy,
     * and whether it is a secret (written as "set" unless shown) */
    int (*ok)(const char *s);
    const char *bad;
    size_t field;
    int secret;
} members[M_COUNT] = {
    [M_ID] = {.name = "id",
              .takes = K_ALL,
              .requires = K_ALL,
              .ok = id_ok,
              .bad = "must match [A-Za-z0-9._-]{1,64}",
              .field = FIELD(id)},
    [M_TYPE] = {.name = "type", .takes = K_ALL, .requires = K_ALL},
    [M_ACTION] = {.name = "action", .takes = K_ALL},
    [M_URL] = {.name = "url",
               .takes = K_ALL & ~K(NOTIFY_TORCHSERVE),
               .requires = K(NOTIFY_WEBHOOK) | K(NOTIFY_MLFLOW)},
    [M_MANAGEMENT_URL] = {.name = "management_url",
                          .takes = K(NOTIFY_TORCHSERVE),
                          .requires = K(NOTIFY_TORCHSERVE)},
    [M_ROUTING_KEY] = {.name = "routing_key",
                       .takes = K(NOTIFY_PAGERDUTY),
                       .requires = K(NOTIFY_PAGERDUTY),
                       .ok = visible_ok,
                       .bad = VISIBLE_BAD,
                       .field = FIELD(routing_key),
                       .secret = 1},
    [M_SECRET] = {.name = "secret",
                  .takes = K(NOTIFY_WEBHOOK),
                  .ok = secret_ok,
                  .bad = "must be whsec_ followed by the base64 of a 24 to 64 byte key",
                  .field = FIELD(secret),
                  .secret = 1},
    [M_TOKEN] = {.name = "token",
                 .takes = K(NOTIFY_MLFLOW) | K(NOTIFY_TORCHSERVE) | K(NOTIFY_GITHUB),
                 .requires = K(NOTIFY_GITHUB),
                 .ok = visible_ok,
                 .bad = VISIBLE_BAD,
                 .field = FIELD(token),
                 .secret = 1},
    [M_HEADERS] = {.name = "headers", .takes = K(NOTIFY_WEBHOOK)},
    [M_FORMAT] = {.name = "format", .takes = K(NOTIFY_WEBHOOK)},
    [M_REGISTERED_MODEL] = {.name = "registered_model",
                            .takes = K(NOTIFY_MLFLOW),
                            .ok = text_ok,
                            .bad = TEXT_BAD,
                            .field = FIELD(registered_model)},
    [M_ALIAS] = {.name = "alias",
                 .takes = K(NOTIFY_MLFLOW),
                 .ok = text_ok,
                 .bad = TEXT_BAD,
                 .field = FIELD(alias)},
    [M_VERSIONS] = {.name = "versions", .takes = K(NOTIFY_MLFLOW) | K(NOTIFY_TORCHSERVE)},
    [M_MODEL_NAME] = {.name = "model_name",
                      .takes = K(NOTIFY_TORCHSERVE),
                      .ok = text_ok,
                      .bad = TEXT_BAD,
                      .field = FIELD(model_name)},
    [M_REPOSITORY] = {.name = "repository",
                      .takes = K(NOTIFY_GITHUB),
                      .requires = K(NOTIFY_GITHUB),
                      .ok = repository_ok,
                      .bad = "must be owner/repo",
                      .field = FIELD(repository)},
    [M_EVENT_TYPE] = {.name = "event_type",
                      .takes = K(NOTIFY_GITHUB),
                      .ok = text_ok,
                      .bad = TEXT_BAD,
                      .field = FIELD(event_type)},
};

/* The field of r that keeps the plain string member m (members[m].ok set). */
static char **member_field(struct notify_receiver *r, int m)
{
    return (char **)((char *)r + members[m].field);
}

/* The value of that field (NULL: absent). */
static const char *member_str(const struct notify_receiver *r, int m)
{
    return *(char *const *)((const char *)r + members[m].field);
}

/* an object of strings -> pairs; problems name "member.key" */
static int parse_pairs(const cJSON *obj, const char *member, size_t max, int headers,
                       struct notify_pair **out, size_t *n_out, char *err, size_t errlen)
{
    if (!cJSON_IsObject(obj))
        return dd_einval(err, errlen, "%s: must be an object of strings", member);
    size_t n = (size_t)cJSON_GetArraySize(obj);
    if (n > max)
        return dd_einval(err, errlen, "%s: more than %zu entries", member, max);
    struct notify_pair *p = n ? dd_calloc(n, sizeof *p) : NULL;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next, i++) {
        const char *bad = NULL;
        if (!cJSON_IsString(c))
            bad = "must be a string";
        else if (headers && !header_name_ok(c->string))
            bad = "is not a header name driftd may set (a token, not a framing or webhook-* "
                  "header)";
        else if (headers && !header_value_ok(c->valuestring))
            bad = "must be at most 1024 characters without control characters";
        else if (!headers && (!text_ok(c->string) || !text_ok(c->valuestring)))
            bad = "names and values must be 1 to 1024 characters without control characters";
        for (size_t j = 0; !bad && j < i; j++)
            if (headers ? !strcasecmp(p[j].name, c->string) : !strcmp(p[j].name, c->string))
                bad = "is repeated";
        if (bad) {
            int rc = dd_einval(err, errlen, "%s.%s: %s", member, c->string, bad);
            notify__pairs_free(p, i);
            return rc;
        }
        p[i].name = dd_strdup(c->string);
        p[i].value = dd_strdup(c->valuestring);
    }
    *out = p;
    *n_out = n;
    return 0;
}

int notify_receiver_parse(const char *json, size_t len, struct notify_receiver *out, char *err,
                          size_t errlen)
{
    struct notify_receiver r;
    memset(&r, 0, sizeof r);
    cJSON *root = NULL;
    int rc = DD_EINVAL;
    if (memchr(json, '\0', len) || has_escaped_nul(json, len)) {
        rc = dd_einval(err, errlen, "body: strings must not hold U+0000");
        goto out;
    }
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (root && dd_json_skip_blank(end, json + len) != json + len) { /* more after it */
        cJSON_Delete(root);
        root = NULL;
    }
    if (!root) {
        rc = dd_einval(err, errlen, "body: not valid JSON");
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        rc = dd_einval(err, errlen, "body: must be a JSON object");
        goto out;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!type) {
        rc = dd_einval(err, errlen, "type: required");
        goto out;
    }
    int kind = -1;
    for (int k = 0; cJSON_IsString(type) && k < NOTIFY_KINDS; k++)
        if (!strcmp(type->valuestring, notify_kind_name((enum notify_kind)k)))
            kind = k;
    if (kind < 0) {
        rc = dd_einval(err, errlen,
                       "type: must be one of pagerduty, webhook, mlflow, torchserve, github");
        goto out;
    }
    r.kind = (enum notify_kind)kind;
    r.action = kind == NOTIFY_MLFLOW || kind == NOTIFY_TORCHSERVE ? NOTIFY_ACTION_ROLLBACK
               : kind == NOTIFY_GITHUB                            ? NOTIFY_ACTION_RETRAIN
                                                                  : NOTIFY_ACTION_NOTIFY;

    const cJSON *seen[M_COUNT] = {0};
    for (const cJSON *c = root->child; c; c = c->next) {
        int m = -1;
        for (int i = 0; i < M_COUNT; i++)
            if (!strcmp(c->string, members[i].name))
                m = i;
        if (m < 0 || !(members[m].takes & K(kind))) {
            char shown[64];
            snprintf(shown, sizeof shown, "%s", c->string);
            rc = dd_einval(err, errlen, "%s: unknown member of a %s receiver", shown,
                           notify_kind_name(r.kind));
            goto out;
        }
        if (seen[m]) {
            rc = dd_einval(err, errlen, "%s: repeated member", members[m].name);
            goto out;
        }
        seen[m] = c;
        if (m != M_HEADERS && m != M_VERSIONS && !cJSON_IsString(c)) {
            rc = dd_einval(err, errlen, "%s: must be a string", members[m].name);
            goto out;
        }
    }
    for (int m = 0; m < M_COUNT; m++)
        if ((members[m].requires & K(kind)) && !seen[m]) {
            rc = dd_einval(err, errlen, "%s: required for a %s receiver", members[m].name,
                           notify_kind_name(r.kind));
            goto out;
        }

    for (int m = 0; m < M_COUNT; m++) {
        const cJSON *c = seen[m];
        if (!c || m == M_TYPE)
            continue;
        const char *s = cJSON_IsString(c) ? c->valuestring : NULL;
        const char *name = members[m].name;
        const char *bad = NULL;
        switch ((enum member_id)m) {
        case M_ACTION:
            if (!strcmp(s, "notify"))
                r.action = NOTIFY_ACTION_NOTIFY;
            else if (!strcmp(s, "rollback"))
                r.action = NOTIFY_ACTION_ROLLBACK;
            else if (!strcmp(s, "retrain"))
                r.action = NOTIFY_ACTION_RETRAIN;
            else
                bad = "must be notify, rollback or retrain";
            if (!bad && (kind == NOTIFY_MLFLOW || kind == NOTIFY_TORCHSERVE) &&
                r.action != NOTIFY_ACTION_ROLLBACK)
                bad = "must be rollback for this receiver type (it can only roll back)";
            break;
        case M_URL:
        case M_MANAGEMENT_URL:
            bad = url_problem(s, kind == NOTIFY_WEBHOOK || kind == NOTIFY_PAGERDUTY);
            if (!bad)
                r.url = dd_strdup(s);
            break;
        case M_HEADERS:
            rc = parse_pairs(c, name, NOTIFY_HEADERS_MAX, 1, &r.headers, &r.n_headers, err, errlen);
            if (rc < 0)
                goto out;
            break;
        case M_FORMAT:
            if (!strcmp(s, "driftd"))
                r.format = NOTIFY_FORMAT_DRIFTD;
            else if (!strcmp(s, "alertmanager"))
                r.format = NOTIFY_FORMAT_ALERTMANAGER;
            else
                bad = "must be driftd or alertmanager";
            break;
        case M_VERSIONS:
            rc = parse_pairs(c, name, NOTIFY_VERSIONS_MAX, 0, &r.versions, &r.n_versions, err,
                             errlen);
            if (rc < 0)
                goto out;
            break;
        default: /* a plain string member: members[m].ok */
            if (!members[m].ok(s))
                bad = members[m].bad;
            else
                *member_field(&r, m) = dd_strdup(s);
            break;
        }
        if (bad) {
            rc = dd_einval(err, errlen, "%s: %s", name, bad);
            goto out;
        }
    }
    if (!r.url && default_url[kind])
        r.url = dd_strdup(default_url[kind]);
    if (kind == NOTIFY_MLFLOW && !r.alias)
        r.alias = dd_strdup("champion");
    if (kind == NOTIFY_GITHUB && !r.event_type)
        r.event_type = dd_strdup("driftd-retrain");
    *out = r;
    memset(&r, 0, sizeof r);
    rc = 0;
out:
    notify_receiver_release(&r);
    cJSON_Delete(root);
    return rc;
}

static void kopt(struct dd_buf *b, int *first, const char *key, const char *s)
{
    if (s)
        dd_json_kstr(b, first, key, s);
}

static void kpairs(struct dd_buf *b, int *first, const char *key, const struct notify_pair *p,
                   size_t n)
{
    if (n)
        notify_json_kpairs(b, first, key, p, n);
}

void notify_receiver_json(const struct notify_receiver *r, int show_secrets, struct dd_buf *out)
{
    int f = 1;
    dd_buf_putc(out, '{');
    for (int m = 0; m < M_COUNT; m++) {
        const char *key = members[m].name;
        switch ((enum member_id)m) {
        case M_TYPE:
            dd_json_kstr(out, &f, key, notify_kind_name(r->kind));
            break;
        case M_ACTION:
            dd_json_kstr(out, &f, key, notify_action_name(r->action));
            break;
        case M_URL: /* a torchserve receiver's url is its management_url */
            kopt(out, &f, r->kind == NOTIFY_TORCHSERVE ? "management_url" : key, r->url);
            break;
        case M_MANAGEMENT_URL:
            break;
        case M_HEADERS:
            kpairs(out, &f, key, r->headers, r->n_headers);
            break;
        case M_FORMAT:
            if (r->kind == NOTIFY_WEBHOOK)
                dd_json_kstr(out, &f, key,
                             r->format == NOTIFY_FORMAT_ALERTMANAGER ? "alertmanager" : "driftd");
            break;
        case M_VERSIONS:
            kpairs(out, &f, key, r->versions, r->n_versions);
            break;
        default: { /* a plain string member */
            const char *v = member_str(r, m);
            kopt(out, &f, key, v && members[m].secret && !show_secrets ? "set" : v);
            break;
        }
        }
    }
    dd_buf_putc(out, '}');
}

void notify_receiver_release(struct notify_receiver *r)
{
    if (!r)
        return;
    for (int m = 0; m < M_COUNT; m++)
        if (members[m].ok)
            free(*member_field(r, m));
    free(r->url);
    notify__pairs_free(r->headers, r->n_headers);
    notify__pairs_free(r->versions, r->n_versions);
    memset(r, 0, sizeof *r);
}
