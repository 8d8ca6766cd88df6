/* grafana_req.c — Grafana's request bodies read leniently, and the pure
 * rules of the datasource: selections, ad hoc filters, buckets, CORS
 * (grafana.h).  Parses JSON with cJSON, like server/monitor/rules.c: these
 * bodies come from Grafana, never from the ingest path.
 */
#include "server/api/grafana.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/event.h"
#include "ingest/parse.h"

#define GRAFANA_SIGNAL_MAX 256 /* a signal ("feature:<name>") or method name at most */

const char *const grafana_key_names[GRAFANA_KEYS] = {"model", "version", "signal", "method"};

/* ---- one value as names ---- */

static int name_ok(enum grafana_key key, const char *s, size_t n)
{
    if (key == GRAFANA_MODEL || key == GRAFANA_VERSION)
        return dd_name_valid(s, n);
    if (n == 0 || n > GRAFANA_SIGNAL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int means_any(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '*') || (n == 2 && !memcmp(s, ".*", 2)) ||
           s[0] == '$'; /* "$__all", or a variable Grafana left as it was */
}

static void sel_push(struct dd_arena *a, struct grafana_sel *sel, const char *s)
{
    if (sel->n % 16 == 0) { /* grow by 16 in the arena */
        const char **v = dd_arena_alloc(a, (sel->n + 16) * sizeof *v);
        if (sel->n)
            memcpy(v, sel->v, sel->n * sizeof *v);
        sel->v = v;
    }
    sel->v[sel->n++] = s;
}

/* Appends the names text holds to out; *any set when it means any. */
static int sel_add(struct dd_arena *a, enum grafana_key key, const char *text,
                   struct grafana_sel *out, int *any)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (means_any(text, n)) {
        *any = 1;
        return 0;
    }
    /* Grafana's regex format of several values: (a|b); glob format: {a,b} */
    char sep = '|';
    if (n >= 2 &&
        ((text[0] == '(' && text[n - 1] == ')') || (text[0] == '{' && text[n - 1] == '}'))) {
        sep = text[0] == '{' ? ',' : '|';
        text++;
        n -= 2;
    }
    char *buf = dd_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && text[i] == '\\' && i + 1 < n) { /* regex escape: \. is . */
            buf[k++] = text[++i];
            continue;
        }
        if (i < n && text[i] != sep) {
            buf[k++] = text[i];
            continue;
        }
        /* one name ends */
        size_t b = 0;
        while (b < k && isspace((unsigned char)buf[b]))
            b++;
        while (k > b && isspace((unsigned char)buf[k - 1]))
            k--;
        if (means_any(buf + b, k - b)) {
            *any = 1;
        } else {
            if (out->n >= GRAFANA_VALUES_MAX || !name_ok(key, buf + b, k - b))
                return DD_EINVAL;
            sel_push(a, out, dd_arena_strndup(a, buf + b, k - b));
        }
        buf += k + 1; /* the rest of the buffer for the next name */
        k = 0;
    }
    return 0;
}

int grafana_sel_parse(struct dd_arena *a, enum grafana_key key, const char *text,
                      struct grafana_sel *out)
{
    struct grafana_sel sel = {0};
    int any = 0;
    int rc = sel_add(a, key, text, &sel, &any);
    if (rc != 0)
        return rc;
    *out = any ? (struct grafana_sel){0} : sel;
    return 0;
}

/* A JSON value (string, number, array of them, null) as names of key. */
static int sel_of_json(struct dd_arena *a, enum grafana_key key, const cJSON *v, const char *path,
                       struct grafana_sel *out, char *err, size_t errlen)
{
    struct grafana_sel sel = {0};
    int any = 0;
    const cJSON *one = v;
    int is_array = cJSON_IsArray(v);
    if (is_array)
        one = v->child;
    if (cJSON_IsArray(v) && !one)
        any = 1; /* [] selects nothing in particular */
    for (int i = 0; one; i++, one = is_array ? one->next : NULL) {
        char num[32];
        const char *text;
        if (cJSON_IsString(one))
            text = one->valuestring;
        else if (cJSON_IsNumber(one) && one->valuedouble == floor(one->valuedouble) &&
                 fabs(one->valuedouble) < 1e15)
            snprintf(num, sizeof num, "%.0f", one->valuedouble), text = num;
        else if (cJSON_IsNull(one))
            text = "";
        else
            return dd_einval(err, errlen, "%s: must be a string or an array of strings", path);
        if (sel_add(a, key, text, &sel, &any) != 0)
            return dd_einval(err, errlen, "%s: '%.200s' is not a %s name%s (or more than %d names)",
                             path, text, grafana_key_names[key],
                             key <= GRAFANA_VERSION ? " ([A-Za-z0-9._-]{1,128})" : "",
                             GRAFANA_VALUES_MAX);
    }
    *out = any ? (struct grafana_sel){0} : sel;
    return 0;
}

static int key_of(const char *s, enum grafana_key *out)
{
    for (int k = 0; k < GRAFANA_KEYS; k++)
        if (s && !strcmp(s, grafana_key_names[k])) {
            *out = (enum grafana_key)k;
            return 0;
        }
    return DD_EINVAL;
}

/* A payload object's model, version, signal and method into t->sel; other
 * members are ignored. */
static int payload_of_json(struct dd_arena *a, const cJSON *p, const char *path,
                           struct grafana_target *t, char *err, size_t errlen)
{
    cJSON *parsed = NULL;
    if (cJSON_IsString(p)) { /* code mode, or an older plugin: the payload as JSON text */
        parsed = cJSON_Parse(p->valuestring);
        p = parsed;
    }
    int rc = 0;
    for (int k = 0; rc == 0 && cJSON_IsObject(p) && k < GRAFANA_KEYS; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, grafana_key_names[k]);
        if (!v)
            continue;
        char sub[96];
        snprintf(sub, sizeof sub, "%s.%s", path, grafana_key_names[k]);
        rc = sel_of_json(a, (enum grafana_key)k, v, sub, &t->sel[k], err, errlen);
    }
    cJSON_Delete(parsed);
    return rc;
}

static const char *str_member(struct dd_arena *a, const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsString(v))
        return dd_arena_strndup(a, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsNumber(v)) {
        char num[32];
        snprintf(num, sizeof num, "%.17g", v->valuedouble);
        return dd_arena_strndup(a, num, strlen(num));
    }
    return NULL;
}

/* ---- the request ---- */

static int time_of_json(const cJSON *v, const char *path, int64_t *out, char *err, size_t errlen)
{
    /* within +-GRAFANA_TIME_MAX, so a double converts and a span subtracts
     * without overflow */
    if (cJSON_IsNumber(v) && fabs(v->valuedouble) <= (double)GRAFANA_TIME_MAX) {
        *out = (int64_t)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        size_t n = strlen(s);
        char *end;
        long long ms = strtoll(s, &end, 10);
        if (n && *end == '\0' && ms >= -GRAFANA_TIME_MAX && ms <= GRAFANA_TIME_MAX) { /* epoch ms */
            *out = ms;
            return 0;
        }
        if (dd_time_parse(s, n, out) == 0 && *out >= -GRAFANA_TIME_MAX && *out <= GRAFANA_TIME_MAX)
            return 0;
    }
    return dd_einval(err, errlen,
                     "%s: must be an RFC 3339 time or epoch milliseconds (up to year 9999)", path);
}

static int range_of_json(const cJSON *root, struct grafana_req *r, char *err, size_t errlen)
{
    const cJSON *range = cJSON_GetObjectItemCaseSensitive(root, "range");
    r->to_ms = dd_now_ms();
    r->from_ms = r->to_ms - GRAFANA_DEFAULT_RANGE_MS;
    if (!cJSON_IsObject(range))
        return 0;
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(range, "from");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(range, "to");
    if (to && time_of_json(to, "range.to", &r->to_ms, err, errlen) != 0)
        return DD_EINVAL;
    if (!from)
        r->from_ms = r->to_ms - GRAFANA_DEFAULT_RANGE_MS;
    else if (time_of_json(from, "range.from", &r->from_ms, err, errlen) != 0)
        return DD_EINVAL;
    if (r->from_ms > r->to_ms)
        return dd_einval(err, errlen, "range.from: must not be after range.to");
    return 0;
}

static int targets_of_json(const cJSON *root, struct grafana_req *r, char *err, size_t errlen)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "targets");
    if (!ts)
        return 0;
    if (!cJSON_IsArray(ts))
        return dd_einval(err, errlen, "targets: must be an array");
    int n = cJSON_GetArraySize(ts);
    if (n > GRAFANA_TARGETS_MAX)
        return dd_einval(err, errlen, "targets: %d targets, at most %d", n, GRAFANA_TARGETS_MAX);
    r->targets = dd_arena_alloc(&r->arena, (size_t)(n ? n : 1) * sizeof *r->targets);
    int i = 0;
    for (const cJSON *t = ts->child; t; t = t->next, i++) {
        if (!cJSON_IsObject(t))
            return dd_einval(err, errlen, "targets[%d]: must be an object", i);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "hide")))
            continue;
        struct grafana_target *g = &r->targets[r->n_targets];
        memset(g, 0, sizeof *g);
        const char *ref = str_member(&r->arena, t, "refId");
        const char *target = str_member(&r->arena, t, "target");
        const char *type = str_member(&r->arena, t, "type");
        g->ref_id = ref ? ref : "";
        g->target = target ? target : "";
        g->legacy = type != NULL;
        g->table = type && !strcmp(type, "table");
        char path[64];
        snprintf(path, sizeof path, "targets[%d].payload", i);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "payload");
        if (!p) { /* the legacy plugin's "data" */
            p = cJSON_GetObjectItemCaseSensitive(t, "data");
            snprintf(path, sizeof path, "targets[%d].data", i);
        }
        if (p && payload_of_json(&r->arena, p, path, g, err, errlen) != 0)
            return DD_EINVAL;
        r->n_targets++;
    }
    return 0;
}

static int filters_of_json(const cJSON *root, struct grafana_req *r, char *err, size_t errlen)
{
    const char *name = "filters";
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!fs || cJSON_IsNull(fs)) { /* plugin <= 0.6.3 */
        name = "adhocFilters";
        fs = cJSON_GetObjectItemCaseSensitive(root, name);
    }
    if (!fs || cJSON_IsNull(fs))
        return 0;
    if (!cJSON_IsArray(fs))
        return dd_einval(err, errlen, "%s: must be an array", name);
    int i = 0;
    for (const cJSON *f = fs->child; f; f = f->next, i++) {
        if (r->n_filters >= GRAFANA_FILTERS_MAX)
            return dd_einval(err, errlen, "%s: at most %d filters", name, GRAFANA_FILTERS_MAX);
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(f, "key");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(f, "operator");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(f, "value");
        struct grafana_filter *g = &r->filters[r->n_filters];
        if (!cJSON_IsObject(f) || !cJSON_IsString(key) || key_of(key->valuestring, &g->key) != 0)
            return dd_einval(
                err, errlen,
                "%s[%d].key: must be one of model, version, signal, method (got '%.100s')", name, i,
                cJSON_IsString(key) ? key->valuestring : "");
        const char *o = cJSON_IsString(op) ? op->valuestring : "=";
        if (!strcmp(o, "=") || !strcmp(o, "=~"))
            g->negate = 0;
        else if (!strcmp(o, "!=") || !strcmp(o, "!~"))
            g->negate = 1;
        else
            return dd_einval(err, errlen, "%s[%d].operator: '%.20s' is not one of =, !=, =~, !~",
                             name, i, o);
        char path[64];
        snprintf(path, sizeof path, "%s[%d].value", name, i);
        if (sel_of_json(&r->arena, g->key, value, path, &g->values, err, errlen) != 0)
            return DD_EINVAL;
        if (g->values.n == 0 && g->negate)
            continue; /* "not anything": a filter being edited; nothing to apply yet */
        r->n_filters++;
    }
    return 0;
}

/* The members of the small calls (/metrics, /variable, /search, ...). */
static int small_of_json(const cJSON *root, struct grafana_req *r, char *err, size_t errlen)
{
    r->metric = str_member(&r->arena, root, "metric");
    r->name = str_member(&r->arena, root, "name");
    r->key = str_member(&r->arena, root, "key");
    r->target = str_member(&r->arena, root, "target");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "payload");
    if (cJSON_IsString(p) && !r->target) { /* /variable with a query string, or JSON text */
        cJSON *parsed = cJSON_Parse(p->valuestring);
        if (!cJSON_IsObject(parsed))
            r->target = dd_arena_strndup(&r->arena, p->valuestring, strlen(p->valuestring));
        else
            r->target = str_member(&r->arena, parsed, "target");
        cJSON_Delete(parsed);
    }
    if (cJSON_IsObject(p) && !r->target)
        r->target = str_member(&r->arena, p, "target");
    const cJSON *anno = cJSON_GetObjectItemCaseSensitive(root, "annotation");
    if (cJSON_IsObject(anno) && !r->target)
        r->target = str_member(&r->arena, anno, "query");
    if (p && payload_of_json(&r->arena, p, "payload", &r->payload, err, errlen) != 0)
        return DD_EINVAL;
    return 0;
}

int grafana_req_parse(const char *body, size_t len, struct grafana_req *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    dd_arena_init(&out->arena);
    out->max_points = GRAFANA_POINTS_DEFAULT;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    cJSON *root = i == len ? cJSON_CreateObject() : dd_json_parse_whole(body, len, NULL);
    if (!root)
        return dd_einval(err, errlen, "the body is not JSON");
    int rc = DD_EINVAL;
    if (!cJSON_IsObject(root)) {
        dd_einval(err, errlen, "the body must be a JSON object");
        goto out;
    }
    if (range_of_json(root, out, err, errlen) != 0 ||
        targets_of_json(root, out, err, errlen) != 0 ||
        filters_of_json(root, out, err, errlen) != 0 || small_of_json(root, out, err, errlen) != 0)
        goto out;
    const cJSON *iv = cJSON_GetObjectItemCaseSensitive(root, "intervalMs");
    const cJSON *ivs = cJSON_GetObjectItemCaseSensitive(root, "interval");
    if (cJSON_IsNumber(iv) && iv->valuedouble > 0 && iv->valuedouble < 1e15)
        out->interval_ms = (int64_t)iv->valuedouble;
    else if (cJSON_IsString(ivs) && dd_duration_parse(ivs->valuestring, &out->interval_ms) != 0)
        out->interval_ms = 0;
    const cJSON *mdp = cJSON_GetObjectItemCaseSensitive(root, "maxDataPoints");
    if (cJSON_IsNumber(mdp) && mdp->valuedouble >= 1)
        out->max_points =
            mdp->valuedouble > GRAFANA_POINTS_MAX ? GRAFANA_POINTS_MAX : (long)mdp->valuedouble;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

void grafana_req_release(struct grafana_req *r)
{
    if (r)
        dd_arena_release(&r->arena);
}

/* ---- rules ---- */

static int sel_has(const struct grafana_sel *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name))
            return 1;
    return 0;
}

int grafana_match(const struct grafana_req *r, const struct grafana_target *t, enum grafana_key key,
                  const char *name)
{
    if (t && t->sel[key].n && !sel_has(&t->sel[key], name))
        return 0;
    for (size_t i = 0; r && i < r->n_filters; i++)
        if (r->filters[i].key == key &&
            sel_has(&r->filters[i].values, name) == r->filters[i].negate)
            return 0;
    return 1;
}

int64_t grafana_bucket_ms(int64_t from_ms, int64_t to_ms, int64_t interval_ms, long max_points)
{
    int64_t span = to_ms > from_ms ? to_ms - from_ms : 0;
    int64_t b = interval_ms > 0 ? interval_ms : 1;
    /* epoch-aligned buckets over [from, to] number floor(to/b) - floor(from/b) + 1
     * < span/b + 2, so span/b <= max_points - 1 keeps them within max_points */
    int64_t need = max_points > 1 ? (span + max_points - 2) / (max_points - 1)
                                  : (to_ms > 0 ? to_ms : 0) + 1; /* one bucket from the epoch */
    return need > b ? need : b;
}

/* ---- CORS ---- */

struct cors_block {
    char *allowed;
    char *headers;
    struct cors_block *next;
};
static pthread_mutex_t cors_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cors_block *cors_blocks; /* guarded by cors_mu; never freed (one per setting) */

const char *grafana_cors_headers(const char *allowed, const char *origin)
{
    if (!allowed || !allowed[0] || !origin || !origin[0])
        return NULL;
    if (!strcmp(allowed, "*"))
        return "Access-Control-Allow-Origin: *\r\n";
    size_t n = strlen(allowed);
    if (n > 1 && allowed[n - 1] == '/')
        n--; /* "https://grafana.example/" names the same origin */
    if (strlen(origin) != n || strncasecmp(origin, allowed, n) != 0)
        return NULL;
    pthread_mutex_lock(&cors_mu);
    struct cors_block *b = cors_blocks;
    while (b && strcmp(b->allowed, allowed) != 0)
        b = b->next;
    if (!b) {
        b = dd_calloc(1, sizeof *b);
        b->allowed = dd_strdup(allowed);
        size_t size = 2 * n + 128;
        b->headers = dd_malloc(size);
        /* the request's own spelling of the origin is the one to echo;
         * allowed is the same up to case and a trailing slash */
        snprintf(b->headers, size,
                 "Access-Control-Allow-Origin: %.*s\r\nAccess-Control-Allow-Credentials: "
                 "true\r\nVary: Origin\r\n",
                 (int)n, origin);
        b->next = cors_blocks;
        cors_blocks = b;
    }
    pthread_mutex_unlock(&cors_mu);
    return b->headers;
}
