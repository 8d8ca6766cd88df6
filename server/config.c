/* config.c — defaults, file, environment (config.h). */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "server/http/http.h"
#include "server/monitor/monitor.h"
#include "server/monitor/rules.h"
#include "server/monitor/settings.h"

#define CONFIG_FILE_MAX (1 << 20)
#define KiB 1024LL
#define MiB (1024LL * 1024)
#define GiB (1024LL * 1024 * 1024)
#define SECOND 1000LL
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

/* How a value is read (and what an error message says was expected). */
enum value_kind {
    V_TEXT,      /* non-empty string that fits the field */
    V_LISTEN,    /* ADDR:PORT */
    V_COUNT,     /* integer with an optional KiB/MiB/GiB suffix, in [lo, hi] */
    V_DURATION,  /* "500ms", "10s", "15m", "24h", "30d", in [lo, hi] ms */
    V_MS,        /* plain integer milliseconds, in [lo, hi] */
    V_BOOL,      /* true/false, 1/0, yes/no */
    V_ALPHA,     /* number in (0, 0.5] */
    V_WINDOW,    /* a duration or last:N */
    V_SYNC,      /* normal | full */
    V_LOG_LEVEL, /* debug | info | warn | error */
    V_SETTINGS,  /* a settings object (PUT .../settings schema) */
    V_MODELS,    /* {"<model>": settings object} */
};

/* Where it goes. */
enum field_kind { F_STR, F_INT, F_LONG, F_SIZE, F_I64, F_DOUBLE };

struct config_key {
    const char *name; /* file key; flag --name-with-dashes; env DRIFTD_NAME */
    enum value_kind kind;
    enum field_kind field;
    size_t offset, size; /* of the field in struct dd_config */
    long long lo, hi;
    const char *def; /* the default, as it would be written; NULL: unset */
    const char *help;
};

#define FIELD(f) offsetof(struct dd_config, f), sizeof(((struct dd_config *)0)->f)

/* Every setting of `driftd serve`, in the order `driftd serve --help` lists
 * them.  The one place that knows a key's type, default and bounds. */
static const struct config_key keys[] = {
    {"listen", V_LISTEN, F_STR, FIELD(listen), 0, 65535, "127.0.0.1:8080", "address and port"},
    {"external_url", V_TEXT, F_STR, FIELD(external_url), 0, 0, NULL,
     "driftd's URL in notifications (links to reports, exports); default http://LISTEN"},
    {"db", V_TEXT, F_STR, FIELD(db), 0, 0, "data/driftd.db",
     "SQLite database (created, with its folder, if missing)"},
    {"eval_interval", V_DURATION, F_I64, FIELD(eval_interval_ms), SECOND, 7 * DAY, "60s",
     "how often drift is evaluated"},
    {"body_limit", V_COUNT, F_SIZE, FIELD(body_limit), KiB, 2 * GiB, "16MiB",
     "largest request body; larger ones get 413"},
    {"threads", V_COUNT, F_INT, FIELD(threads), 2, 65536, "4096",
     "connection threads: connections open at once"},
    {"handler_threads", V_COUNT, F_INT, FIELD(handler_threads), 1, 1024, "64",
     "requests handled at once"},
    {"header_timeout", V_DURATION, F_INT, FIELD(header_timeout_ms), 100, HOUR, "10s",
     "the request head must arrive within this"},
    {"body_timeout", V_DURATION, F_INT, FIELD(body_timeout_ms), 100, HOUR, "60s",
     "the request body must arrive within this"},
    {"keep_alive_timeout", V_DURATION, F_INT, FIELD(keep_alive_timeout_ms), 100, HOUR, "30s",
     "an idle keep-alive connection is closed after this"},
    {"request_timeout_ms", V_MS, F_INT, FIELD(header_timeout_ms), 100, HOUR, NULL,
     "the old name of header_timeout, in milliseconds"},
    {"queue_max_jobs", V_COUNT, F_SIZE, FIELD(queue_max_jobs), 1, 1 << 20, "256",
     "requests waiting for the writer before 503 overloaded"},
    {"queue_max_bytes", V_COUNT, F_SIZE, FIELD(queue_max_bytes), MiB, 1024 * GiB, "512MiB",
     "memory of waiting batches before 503 overloaded"},
    {"synchronous", V_SYNC, F_INT, FIELD(synchronous_full), 0, 0, "normal",
     "normal survives a crash of driftd; full also a power loss"},
    {"insecure", V_BOOL, F_INT, FIELD(insecure), 0, 0, "false",
     "allow a non-loopback listen address without any API key"},
    {"demo", V_BOOL, F_INT, FIELD(demo), 0, 0, "false", "feed demo traffic into demo-* models"},
    {"log_level", V_LOG_LEVEL, F_STR, FIELD(log_level), 0, 0, "info", "debug, info, warn, error"},
    {"readers", V_COUNT, F_INT, FIELD(readers), 1, 16, "4",
     "SQLite reader connections for the read API"},
    {"web_root", V_TEXT, F_STR, FIELD(web_root), 0, 0, DD_DEFAULT_WEB_ROOT,
     "the dashboard's files"},
    {"grafana_cors_origin", V_TEXT, F_STR, FIELD(grafana_cors_origin), 0, 0, NULL,
     "the browser origin allowed to call /grafana/ (Grafana's direct mode), or *; default none"},
    {"alpha", V_ALPHA, F_DOUBLE, FIELD(alpha), 0, 0, "0.05",
     "default family-wise error rate of a drift verdict"},
    {"window", V_WINDOW, F_STR, FIELD(window), 1, 10000000, "1h",
     "default current window (15m, 24h, last:5000)"},
    {"reference_size", V_COUNT, F_LONG, FIELD(reference_size), 20, 1000000, "1000",
     "default size of the automatic reference"},
    {"max_sample", V_COUNT, F_LONG, FIELD(max_sample), 100, 10000000, "50000",
     "most recent events of a window that are evaluated"},
    {"mmd_permutations", V_COUNT, F_LONG, FIELD(mmd_permutations), 10, 100000, "100",
     "MMD permutations at least; raised per report so MMD can pass Holm's level"},
    {"reference_max", V_COUNT, F_LONG, FIELD(reference_max), 100, 10000000, "100000",
     "most events a {from, to} reference keeps"},
    {"retention", V_DURATION, F_I64, FIELD(retention_ms), SECOND, 100000 * DAY, "30d",
     "raw events older than this are deleted"},
    {"retention_interval", V_DURATION, F_I64, FIELD(retention_interval_ms), SECOND, 7 * DAY, "60s",
     "how often retention runs"},
    {"settings", V_SETTINGS, F_STR, FIELD(settings_json), 0, 0, NULL,
     "a settings object for every model"},
    {"models", V_MODELS, F_STR, FIELD(models_json), 0, 0, NULL, "per-model settings objects"},
    {"delivery_threads", V_COUNT, F_INT, FIELD(delivery_threads), 1, 64, "4",
     "notifications sent at once (one per receiver at most)"},
    {"delivery_connect_timeout", V_DURATION, F_I64, FIELD(delivery_connect_timeout_ms), 100, HOUR,
     "5s", "a receiver must accept the connection within this"},
    {"delivery_timeout", V_DURATION, F_I64, FIELD(delivery_timeout_ms), 100, HOUR, "15s",
     "a receiver must answer a notification within this"},
    {"max_delivery_age", V_DURATION, F_I64, FIELD(max_delivery_age_ms), SECOND, 30 * DAY, "24h",
     "a notification is retried until it is this old"},
    {"delivery_poll", V_DURATION, F_I64, FIELD(delivery_poll_ms), 10, MINUTE, "1s",
     "how often the outbox is looked at for due notifications"},
};

static const struct config_key *find_key(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

const char *config_key_name(size_t i)
{
    return i < sizeof keys / sizeof keys[0] ? keys[i].name : NULL;
}

const char *config_key_default(size_t i)
{
    return i < sizeof keys / sizeof keys[0] ? keys[i].def : NULL;
}

const char *config_key_help(size_t i)
{
    return i < sizeof keys / sizeof keys[0] ? keys[i].help : NULL;
}

void config_monitor_env(const struct dd_config *c, struct monitor_env *env)
{
    struct monitor_defaults *d = &env->defaults;
    d->alpha = c->alpha;
    snprintf(d->window, sizeof d->window, "%s", c->window);
    d->reference_size = c->reference_size;
    d->max_sample = c->max_sample;
    d->mmd_permutations = c->mmd_permutations;
    d->settings_json = c->settings_json;
    d->models_json = c->models_json;
    env->reference_max = c->reference_max;
    env->eval_interval_ms = c->eval_interval_ms;
    env->retention_ms = c->retention_ms;
    env->retention_interval_ms = c->retention_interval_ms;
    env->external_url = c->external_url[0] ? c->external_url : NULL;
}

void config_http_options(const struct dd_config *c, struct http_options *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->listen, sizeof o->listen, "%s", c->listen);
    o->threads = c->threads;
    o->handler_threads = c->handler_threads;
    o->body_limit = c->body_limit;
    o->header_timeout_ms = c->header_timeout_ms;
    o->body_timeout_ms = c->body_timeout_ms;
    o->keep_alive_timeout_ms = c->keep_alive_timeout_ms;
}

static int parse_size(const char *v, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    long long mul = 1;
    if (end == v || errno)
        return -1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'G')
        mul = 1024LL * 1024 * 1024, end++;
    if (*end == 'i' && mul > 1)
        end++;
    if (*end == 'B' && mul > 1)
        end++;
    if (*end || x > hi / mul || x * mul < lo)
        return -1;
    *out = x * mul;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* What a value kind expects, for error messages, where it does not depend on
 * the key's bounds (NULL: expected() writes it from them). */
static const char *const expects[] = {
    [V_LISTEN] = "ADDRESS:PORT such as 127.0.0.1:8080 or 0.0.0.0:8080",
    [V_BOOL] = "true or false",
    [V_ALPHA] = "a number in (0, 0.5]",
    [V_WINDOW] = "a duration such as 15m or 24h, or last:N with N from 1 to 10000000",
    [V_SYNC] = "normal or full",
    [V_LOG_LEVEL] = "debug, info, warn or error",
    [V_SETTINGS] = "a JSON object",
    [V_MODELS] = "a JSON object",
};

/* What a key expects, for error messages. */
static void expected(const struct config_key *k, char *out, size_t outsz)
{
    switch (k->kind) {
    case V_TEXT:
        snprintf(out, outsz, "a non-empty text of at most %zu bytes", k->size - 1);
        break;
    case V_COUNT:
        snprintf(out, outsz, "a whole number from %lld to %lld%s", k->lo, k->hi,
                 k->field == F_SIZE && k->lo >= KiB ? " (bytes; KiB, MiB, GiB suffixes)" : "");
        break;
    case V_DURATION:
        snprintf(out, outsz,
                 "a duration such as 500ms, 10s, 15m, 24h or 30d, from %lld ms to %lld ms", k->lo,
                 k->hi);
        break;
    case V_MS:
        snprintf(out, outsz, "milliseconds from %lld to %lld", k->lo, k->hi);
        break;
    default:
        snprintf(out, outsz, "%s", expects[k->kind]);
        break;
    }
}

/* Stores a checked value in k's field: the text itself, the number, or the
 * integer n, as the field's kind says. */
static void store(struct dd_config *c, const struct config_key *k, const char *v, long long n,
                  double x)
{
    char *p = (char *)c + k->offset;
    switch (k->field) {
    case F_STR:
        snprintf(p, k->size, "%s", v);
        break;
    case F_DOUBLE:
        *(double *)p = x;
        break;
    case F_INT:
        *(int *)p = (int)n;
        break;
    case F_LONG:
        *(long *)p = (long)n;
        break;
    case F_SIZE:
        *(size_t *)p = (size_t)n;
        break;
    case F_I64:
        *(int64_t *)p = (int64_t)n;
        break;
    }
}

int config_set(struct dd_config *c, const char *name, const char *v, char *err, size_t errlen)
{
    const struct config_key *k = find_key(name);
    if (!k) {
        snprintf(err, errlen, "unknown setting '%s'", name);
        return DD_EINVAL;
    }
    long long n = 0;
    int64_t ms;
    int b;
    double x = 0;
    char inner[200];
    switch (k->kind) {
    case V_TEXT:
        if (!*v || strlen(v) >= k->size)
            goto bad;
        break;
    case V_LISTEN:
        if (!*v || strlen(v) >= k->size || !strchr(v, ':') ||
            parse_size(strrchr(v, ':') + 1, k->lo, k->hi, &n) != 0)
            goto bad;
        break;
    case V_COUNT:
    case V_MS:
        if (parse_size(v, k->lo, k->hi, &n) != 0)
            goto bad;
        break;
    case V_DURATION:
        if (dd_duration_parse(v, &ms) != 0 || ms < k->lo || ms > k->hi)
            goto bad;
        n = ms;
        break;
    case V_BOOL:
        if (parse_bool(v, &b) != 0)
            goto bad;
        n = b;
        break;
    case V_ALPHA: {
        char *end;
        x = strtod(v, &end);
        if (end == v || *end || !(x > 0 && x <= 0.5))
            goto bad;
        break;
    }
    case V_WINDOW:
        if (strlen(v) >= k->size ||
            (dd_duration_parse(v, &ms) != 0 &&
             (strncmp(v, "last:", 5) != 0 || parse_size(v + 5, k->lo, k->hi, &n) != 0)))
            goto bad;
        break;
    case V_SYNC:
        if (strcmp(v, "normal") != 0 && strcmp(v, "full") != 0)
            goto bad;
        n = !strcmp(v, "full");
        break;
    case V_LOG_LEVEL: {
        enum dd_log_level l;
        if (strlen(v) >= k->size || dd_log_level_parse(v, &l) != 0)
            goto bad;
        break;
    }
    case V_SETTINGS:
    case V_MODELS:
        if (strlen(v) >= k->size) {
            snprintf(err, errlen, "'%s' is over %zu bytes", name, k->size - 1);
            return DD_EINVAL;
        }
        if ((k->kind == V_MODELS ? settings_check_models(v, inner, sizeof inner)
                                 : settings_check_body(v, inner, sizeof inner)) != 0) {
            snprintf(err, errlen, "'%s': %s", name, inner);
            return DD_EINVAL;
        }
        break;
    }
    store(c, k, v, n, x);
    return 0;
bad:
    expected(k, inner, sizeof inner);
    snprintf(err, errlen, "invalid value '%.100s': expected %s", v, inner);
    return DD_EINVAL;
}

void config_defaults(struct dd_config *c)
{
    memset(c, 0, sizeof *c);
    char err[256];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].def && config_set(c, keys[i].name, keys[i].def, err, sizeof err) != 0)
            abort(); /* a default outside its own bounds: tests/unit/server/test_config.c */
}

struct file_ctx {
    struct dd_config *c;
    char *err;
    size_t errlen;
};

static int file_key(const char *key, const char *value, void *arg)
{
    struct file_ctx *f = arg;
    char inner[256];
    int rc = config_set(f->c, key, value, inner, sizeof inner);
    if (rc != 0)
        snprintf(f->err, f->errlen, "\"%s\": %s", key, inner);
    return rc;
}

int config_load_file(struct dd_config *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot open config '%s': %s", path, strerror(errno));
        return DD_EIO;
    }
    char *text = dd_malloc(CONFIG_FILE_MAX);
    size_t n = fread(text, 1, CONFIG_FILE_MAX, fp);
    fclose(fp);
    struct file_ctx f = {c, err, errlen};
    struct dd_parse_error pe;
    char inner[256] = "";
    f.err = inner;
    f.errlen = sizeof inner;
    /* the alerting lists are arrays: taken out first (rules.h) */
    struct dd_buf rules, receivers, rest;
    dd_buf_init(&rules);
    dd_buf_init(&receivers);
    dd_buf_init(&rest);
    int rc = rules_config_split(text, n, &rules, &receivers, &rest, inner, sizeof inner);
    if (rc == 0 && (rules.len >= sizeof c->alert_rules_json ||
                    receivers.len >= sizeof c->alert_receivers_json)) {
        snprintf(inner, sizeof inner, "the \"rules\" and \"receivers\" lists: over %zu bytes",
                 sizeof c->alert_rules_json - 1);
        rc = DD_EINVAL;
    }
    if (rc == 0) {
        snprintf(c->alert_rules_json, sizeof c->alert_rules_json, "%s",
                 rules.len ? rules.data : "");
        snprintf(c->alert_receivers_json, sizeof c->alert_receivers_json, "%s",
                 receivers.len ? receivers.data : "");
        rc = dd_parse_flat_object(rest.data ? rest.data : "", rest.len, file_key, &f, &pe);
    }
    dd_buf_release(&rules);
    dd_buf_release(&receivers);
    dd_buf_release(&rest);
    free(text);
    if (rc != 0)
        snprintf(err, errlen, "config '%s': %s", path, inner[0] ? inner : pe.message);
    return rc;
}

int config_load_env(struct dd_config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *const *k = &keys[i].name;
        char name[64] = "DRIFTD_";
        size_t j = strlen(name);
        for (const char *p = *k; *p && j < sizeof name - 1; p++)
            name[j++] = (char)toupper((unsigned char)*p);
        name[j] = '\0';
        const char *v = getenv(name);
        if (v && config_set(c, *k, v, err, errlen) != 0) {
            char inner[256];
            snprintf(inner, sizeof inner, "%s", err);
            snprintf(err, errlen, "%s: %s", name, inner);
            return DD_EINVAL;
        }
    }
    return 0;
}

int config_db_folder_create(const struct dd_config *c, char *err, size_t errlen)
{
    char dir[sizeof c->db];
    snprintf(dir, sizeof dir, "%s", c->db);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    /* each parent in turn, then the folder itself */
    for (char *p = dir + 1;; p++) {
        if (*p && *p != '/')
            continue;
        char end = *p;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create the folder '%s' of the database '%s': %s", dir,
                     c->db, strerror(errno));
            return DD_EIO;
        }
        if (!end)
            return 0;
        *p = end;
    }
}

int config_listen_is_loopback(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return 0;
    size_t n = (size_t)(colon - listen);
    if (n >= 4 && !strncmp(listen, "127.", 4))
        return 1;
    if (n == 9 && !strncmp(listen, "localhost", 9))
        return 1;
    if (n == 5 && !strncmp(listen, "[::1]", 5))
        return 1;
    return 0;
}
