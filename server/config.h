/* config.h — the server's settings and where they come from.
 *
 * Precedence, lowest first: built-in defaults, the JSON config file
 * (--config FILE or DRIFTD_CONFIG), DRIFTD_* environment variables, flags.
 * Every source goes through config_set(), so a key means the same thing
 * everywhere: flag `--body-limit`, env `DRIFTD_BODY_LIMIT`, file key
 * `"body_limit"`.  The struct is filled once at start, then read-only.
 */
#ifndef DD_CONFIG_H
#define DD_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#define CONFIG_SETTINGS_MAX 8192
#define CONFIG_MODELS_MAX 65536
#define CONFIG_ALERTING_MAX 65536 /* the config file's "rules" and "receivers" lists, each */

struct dd_config {
    char listen[128];          /* "127.0.0.1:8080" */
    char external_url[1024];   /* base of the URLs notifications carry; "": http://LISTEN */
    char db[1024];             /* "data/driftd.db" */
    int64_t eval_interval_ms;  /* 60 s */
    size_t body_limit;         /* 16 MiB */
    int threads;               /* connection threads = open connections at most; 4096 */
    int handler_threads;       /* requests handled at once; 64 */
    size_t queue_max_jobs;     /* 256 */
    size_t queue_max_bytes;    /* 512 MiB */
    int synchronous_full;      /* "synchronous": normal (0) | full (1) */
    int insecure;              /* allow a non-loopback listen address without keys */
    int demo;                  /* feed demo traffic (server/demo.h) */
    char log_level[8];         /* debug|info|warn|error */
    int header_timeout_ms;     /* the request head must arrive within; 10 s */
    int body_timeout_ms;       /* the body must arrive within (total); 60 s */
    int keep_alive_timeout_ms; /* an idle keep-alive connection is closed after; 30 s */
    int readers;               /* SQLite reader connections; 4 */
    char web_root[1024];       /* dashboard files; the source tree's web/ */
    /* the Origin allowed on /grafana/ (CORS preflights, Grafana's direct
     * mode); "": none, "*": any */
    char grafana_cors_origin[256];
    /* defaults of the per-model settings (settings.h) */
    double alpha;          /* 0.05 */
    char window[32];       /* "1h" */
    long reference_size;   /* 1000 */
    long max_sample;       /* events of a window evaluated at most; 50000 */
    long mmd_permutations; /* MMD's permutations at least; 100 (raised per report) */
    long reference_max;    /* events a range reference keeps at most; 100000 */
    /* "settings": a settings object (PUT .../settings schema) for every model;
     * "models": {"<model>": settings object}.  Compact JSON, "" when unset;
     * checked when set, applied by settings.c. */
    char settings_json[CONFIG_SETTINGS_MAX];
    char models_json[CONFIG_MODELS_MAX];
    /* the config file's "rules" and "receivers" lists (compact JSON arrays,
     * "" when absent), checked when read, stored at start (rules.h) */
    char alert_rules_json[CONFIG_ALERTING_MAX];
    char alert_receivers_json[CONFIG_ALERTING_MAX];
    int64_t retention_ms;          /* raw events older than this are deleted; 30 d */
    int64_t retention_interval_ms; /* how often retention runs; 60 s */
    /* alert delivery (server/monitor/delivery.h) */
    int delivery_threads;                /* 4 */
    int64_t delivery_connect_timeout_ms; /* 5 s */
    int64_t delivery_timeout_ms;         /* 15 s */
    int64_t max_delivery_age_ms;         /* 24 h */
    int64_t delivery_poll_ms;            /* 1 s */
};

void config_defaults(struct dd_config *c);
struct monitor_env;
struct http_options;
/* Fills the HTTP layer's options from c. */
void config_http_options(const struct dd_config *c, struct http_options *o);
/* Fills the monitor's settings of env from c (its pointers are left alone);
 * env keeps pointing into c, which must outlive it. */
void config_monitor_env(const struct dd_config *c, struct monitor_env *env);
/* Sets one key (file-key spelling, e.g. "body_limit"); DD_EINVAL with a
 * message in err for an unknown key or a bad value. */
int config_set(struct dd_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Reads a JSON config file of flat keys. */
int config_load_file(struct dd_config *c, const char *path, char *err, size_t errlen);
/* Applies DRIFTD_<KEY> variables for every known key. */
int config_load_env(struct dd_config *c, char *err, size_t errlen);
/* Creates the folder of the database file c->db (e.g. data/) and its
 * parents if needed, as `serve` and `keys` do before opening it.  0, or
 * DD_EIO with a message naming the folder in err. */
int config_db_folder_create(const struct dd_config *c, char *err, size_t errlen);
/* 1 when the listen address only accepts loopback connections. */
int config_listen_is_loopback(const char *listen);
/* The settings table, for help texts: key i's name (NULL past the last),
 * its default as written (NULL: unset) and a one-line meaning. */
const char *config_key_name(size_t i);
const char *config_key_default(size_t i);
const char *config_key_help(size_t i);

#endif
