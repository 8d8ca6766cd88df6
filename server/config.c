/* config.c — defaults, file, environment (config.h). */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "ingest/parse.h"
#include "server/monitor/monitor.h"
#include "server/monitor/settings.h"

#define CONFIG_FILE_MAX (1 << 20)

const char *const config_keys[] = {
    "listen",          "db",          "eval_interval", "body_limit",
    "threads",         "queue_max_jobs", "queue_max_bytes", "synchronous",
    "insecure",        "log_level",   "request_timeout_ms", "readers",
    "handler_threads", "header_timeout", "body_timeout", "keep_alive_timeout",
    "web_root",        "alpha",       "window",        "reference_size",
    "retention",       "retention_interval", "max_sample", "settings",
    "models",          "reference_max", "demo",  NULL,
};

void config_defaults(struct dd_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->db, sizeof c->db, "data/driftd.db");
    c->eval_interval_ms = 60000;
    c->body_limit = 16u << 20;
    c->threads = 4096;
    c->handler_threads = 64;
    c->queue_max_jobs = 256;
    c->queue_max_bytes = (size_t)512 << 20;
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->header_timeout_ms = 10000;
    c->body_timeout_ms = 60000;
    c->keep_alive_timeout_ms = 30000;
    c->readers = 4;
    snprintf(c->web_root, sizeof c->web_root, "%s", DD_DEFAULT_WEB_ROOT);
    c->alpha = 0.05;
    snprintf(c->window, sizeof c->window, "1h");
    c->reference_size = 1000;
    c->max_sample = 50000;
    c->reference_max = 100000;
    c->retention_ms = 30LL * 86400000;
    c->retention_interval_ms = 60000;
}

void config_monitor_env(const struct dd_config *c, struct monitor_env *env)
{
    struct monitor_defaults *d = &env->defaults;
    d->alpha = c->alpha;
    snprintf(d->window, sizeof d->window, "%s", c->window);
    d->reference_size = c->reference_size;
    d->max_sample = c->max_sample;
    d->settings_json = c->settings_json;
    d->models_json = c->models_json;
    env->reference_max = c->reference_max;
    env->eval_interval_ms = c->eval_interval_ms;
    env->retention_ms = c->retention_ms;
    env->retention_interval_ms = c->retention_interval_ms;
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

int config_set(struct dd_config *c, const char *key, const char *v, char *err, size_t errlen)
{
    long long n;
    int b;
    if (!strcmp(key, "listen")) {
        if (!*v || strlen(v) >= sizeof c->listen || !strchr(v, ':') ||
            parse_size(strrchr(v, ':') + 1, 0, 65535, &n) != 0)
            goto bad;
        snprintf(c->listen, sizeof c->listen, "%s", v);
    } else if (!strcmp(key, "db")) {
        if (!*v || strlen(v) >= sizeof c->db)
            goto bad;
        snprintf(c->db, sizeof c->db, "%s", v);
    } else if (!strcmp(key, "eval_interval")) {
        int64_t ms;
        if (dd_duration_parse(v, &ms) != 0 || ms < 1000)
            goto bad;
        c->eval_interval_ms = ms;
    } else if (!strcmp(key, "body_limit")) {
        if (parse_size(v, 1024, 1LL << 31, &n) != 0)
            goto bad;
        c->body_limit = (size_t)n;
    } else if (!strcmp(key, "threads")) {
        if (parse_size(v, 2, 65536, &n) != 0)
            goto bad;
        c->threads = (int)n;
    } else if (!strcmp(key, "handler_threads")) {
        if (parse_size(v, 1, 1024, &n) != 0)
            goto bad;
        c->handler_threads = (int)n;
    } else if (!strcmp(key, "header_timeout") || !strcmp(key, "body_timeout") ||
               !strcmp(key, "keep_alive_timeout")) {
        int64_t ms;
        if (dd_duration_parse(v, &ms) != 0 || ms < 100 || ms > 3600000)
            goto bad;
        if (key[0] == 'h')
            c->header_timeout_ms = (int)ms;
        else if (key[0] == 'b')
            c->body_timeout_ms = (int)ms;
        else
            c->keep_alive_timeout_ms = (int)ms;
    } else if (!strcmp(key, "queue_max_jobs")) {
        if (parse_size(v, 1, 1 << 20, &n) != 0)
            goto bad;
        c->queue_max_jobs = (size_t)n;
    } else if (!strcmp(key, "queue_max_bytes")) {
        if (parse_size(v, 1 << 20, 1LL << 40, &n) != 0)
            goto bad;
        c->queue_max_bytes = (size_t)n;
    } else if (!strcmp(key, "synchronous")) {
        if (!strcmp(v, "normal"))
            c->synchronous_full = 0;
        else if (!strcmp(v, "full"))
            c->synchronous_full = 1;
        else
            goto bad;
    } else if (!strcmp(key, "insecure")) {
        if (parse_bool(v, &b) != 0)
            goto bad;
        c->insecure = b;
    } else if (!strcmp(key, "demo")) {
        if (parse_bool(v, &b) != 0)
            goto bad;
        c->demo = b;
    } else if (!strcmp(key, "log_level")) {
        enum dd_log_level l;
        if (dd_log_level_parse(v, &l) != 0)
            goto bad;
        snprintf(c->log_level, sizeof c->log_level, "%s", v);
    } else if (!strcmp(key, "request_timeout_ms")) { /* the old name of header_timeout */
        if (parse_size(v, 100, 3600000, &n) != 0)
            goto bad;
        c->header_timeout_ms = (int)n;
    } else if (!strcmp(key, "readers")) {
        if (parse_size(v, 1, 16, &n) != 0)
            goto bad;
        c->readers = (int)n;
    } else if (!strcmp(key, "alpha")) {
        char *end;
        double a = strtod(v, &end);
        if (*end || !(a > 0 && a <= 0.5))
            goto bad;
        c->alpha = a;
    } else if (!strcmp(key, "window")) {
        int64_t ms;
        long long n;
        if (strlen(v) >= sizeof c->window ||
            (dd_duration_parse(v, &ms) != 0 &&
             (strncmp(v, "last:", 5) != 0 || parse_size(v + 5, 1, 10000000, &n) != 0)))
            goto bad;
        snprintf(c->window, sizeof c->window, "%s", v);
    } else if (!strcmp(key, "reference_size")) {
        if (parse_size(v, 20, 1000000, &n) != 0)
            goto bad;
        c->reference_size = (long)n;
    } else if (!strcmp(key, "reference_max")) {
        if (parse_size(v, 100, 10000000, &n) != 0)
            goto bad;
        c->reference_max = (long)n;
    } else if (!strcmp(key, "max_sample")) {
        if (parse_size(v, 100, 10000000, &n) != 0)
            goto bad;
        c->max_sample = (long)n;
    } else if (!strcmp(key, "retention") || !strcmp(key, "retention_interval")) {
        int64_t ms;
        if (dd_duration_parse(v, &ms) != 0 || ms < 1000)
            goto bad;
        if (!strcmp(key, "retention"))
            c->retention_ms = ms;
        else
            c->retention_interval_ms = ms;
    } else if (!strcmp(key, "settings") || !strcmp(key, "models")) {
        int models = !strcmp(key, "models");
        char *dst = models ? c->models_json : c->settings_json;
        size_t cap = models ? sizeof c->models_json : sizeof c->settings_json;
        if (strlen(v) >= cap) {
            snprintf(err, errlen, "'%s' is over %zu bytes", key, cap - 1);
            return DD_EINVAL;
        }
        char inner[200];
        if ((models ? settings_check_models(v, inner, sizeof inner)
                    : settings_check_body(v, inner, sizeof inner)) != 0) {
            snprintf(err, errlen, "'%s': %s", key, inner);
            return DD_EINVAL;
        }
        snprintf(dst, cap, "%s", v);
    } else if (!strcmp(key, "web_root")) {
        if (!*v || strlen(v) >= sizeof c->web_root)
            goto bad;
        snprintf(c->web_root, sizeof c->web_root, "%s", v);
    } else {
        snprintf(err, errlen, "unknown setting '%s'", key);
        return DD_EINVAL;
    }
    return 0;
bad:
    snprintf(err, errlen, "invalid value '%s' for '%s'", v, key);
    return DD_EINVAL;
}

struct file_ctx {
    struct dd_config *c;
    char *err;
    size_t errlen;
};

static int file_key(const char *key, const char *value, void *arg)
{
    struct file_ctx *f = arg;
    return config_set(f->c, key, value, f->err, f->errlen);
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
    int rc = dd_parse_flat_object(text, n, file_key, &f, &pe);
    free(text);
    if (rc != 0)
        snprintf(err, errlen, "config '%s': %s", path, inner[0] ? inner : pe.message);
    return rc;
}

int config_load_env(struct dd_config *c, char *err, size_t errlen)
{
    for (const char *const *k = config_keys; *k; k++) {
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
