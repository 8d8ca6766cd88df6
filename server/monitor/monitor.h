/* monitor.h — the monitor room's environment: what the program hands to the
 * evaluator, retention, windows and settings instead of the whole server.
 *
 * Filled once by `driftd serve` (server/cmd_serve.c) from its config and the
 * objects it opened, read-only afterwards; the objects it points to are
 * thread-safe (store readers, the writer's queue, the refcache's lock).
 */
#ifndef DD_MONITOR_H
#define DD_MONITOR_H
#include <stdint.h>

struct store;
struct writer;
struct refcache;

/* The config's defaults for every model's settings (settings.h layers
 * stored settings on top of them). */
struct monitor_defaults {
    double alpha;              /* 0.05 */
    char window[32];           /* "1h" */
    long reference_size;       /* 1000 */
    long max_sample;           /* events of a window evaluated at most; 50000 */
    long mmd_permutations;     /* MMD's permutations at least (eval.h); 0: analysis/'s */
    const char *settings_json; /* a settings object for every model; "" when unset */
    const char *models_json;   /* {"<model>": settings object}; "" when unset */
};

struct monitor_env {
    struct store *store;
    struct writer *writer;
    struct refcache *refcache;
    struct monitor_defaults defaults;
    long reference_max; /* events a range reference keeps at most */
    int64_t eval_interval_ms;
    int64_t retention_ms; /* raw events older than this are deleted */
    int64_t retention_interval_ms;
    const char *external_url; /* driftd's base URL in notifications; NULL: "http://localhost" */
};

#endif
