/* cmd_serve.c — `driftd serve`: open the store, start the writer and the
 * HTTP server, wait for SIGTERM/SIGINT, then stop in the order that loses
 * nothing: stop HTTP (in-flight requests finish and get their answers), then
 * drain the writer (every acknowledged batch is committed), then close. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis/embed.h"
#include "base/alloc.h"
#include "base/log.h"
#include "base/thread.h"
#include "base/timefmt.h"
#include "server/app.h"
#include "server/api/auth.h"
#include "server/api/handlers.h"
#include "server/cli.h"
#include "server/config.h"
#include "server/demo.h"
#include "server/monitor/delivery.h"
#include "server/monitor/evaluator.h"
#include "server/http/http.h"
#include "server/monitor/refcache.h"
#include "server/monitor/rules.h"
#include "server/monitor/retention.h"
#include "server/api/routes.h"
#include "server/store/store.h"
#include "server/store/writer.h"

#define FUTEX_HASH_SLOTS 8192 /* base/thread.h: ~512 KiB of kernel memory */

static int usage(void)
{
    printf("usage: driftd serve [--config FILE] [--listen ADDR:PORT] [--db PATH]\n"
           "                    [--eval-interval 60s] [--insecure] [--demo] [--SETTING VALUE ...]\n"
           "\n"
           "Every setting is a flag (--body-limit 32MiB), a DRIFTD_* environment variable\n"
           "(DRIFTD_BODY_LIMIT=32MiB) or a key of the JSON config file; flags win over the\n"
           "environment, which wins over the file.  Settings:\n");
    for (size_t i = 0; config_key_name(i); i++) {
        char flag[64];
        size_t j = 0;
        for (const char *c = config_key_name(i); *c && j < sizeof flag - 1; c++)
            flag[j++] = *c == '_' ? '-' : *c;
        flag[j] = '\0';
        const char *def = config_key_default(i);
        printf("  --%-22s %s%s%s%s\n", flag, config_key_help(i), def ? " [" : "", def ? def : "",
               def ? "]" : "");
    }
    printf("README.md says more about each.\n");
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, 2))
        return usage();
    struct app app;
    memset(&app, 0, sizeof app);
    int rc = cli_load_config(argc, argv, 2, &app.cfg);
    if (rc)
        return rc;
    enum dd_log_level lvl;
    if (dd_log_level_parse(app.cfg.log_level, &lvl) == 0)
        dd_log_set_level(lvl);
    app.started_ms = dd_now_ms();
    if (!app.cfg.external_url[0]) /* links in notifications: the address served */
        snprintf(app.cfg.external_url, sizeof app.cfg.external_url, "http://%s", app.cfg.listen);
    config_monitor_env(&app.cfg, &app.mon);

    dd_alloc_keep_freed_memory(); /* base/alloc.h: no page-fault churn per request */
    /* thousands of connection threads wait on one futex: give the hash room */
    int futex_slots = dd_futex_hash_reserve(FUTEX_HASH_SLOTS);

    /* every thread started below inherits this mask; main waits in sigwait */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct http_server *http = NULL;
    char err[512];
    int exit_code = 1;
    if (config_db_folder_create(&app.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        goto out;
    }
    struct store_options so = {app.cfg.db, app.cfg.synchronous_full, app.cfg.readers};
    if (store_open(&so, &app.mon.store, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        goto out;
    }
    int loopback = config_listen_is_loopback(app.cfg.listen);
    auth_new(app.mon.store, loopback, &app.auth);
    struct store_key *keys = NULL;
    size_t nkeys = 0, active = 0;
    if (store_keys_list(app.mon.store, &keys, &nkeys) == 0)
        for (size_t i = 0; i < nkeys; i++)
            active += keys[i].revoked_ms < 0;
    free(keys);
    if (!loopback && active == 0 && !app.cfg.insecure) {
        fprintf(stderr,
                "driftd: refusing to listen on '%s' with no API key: create one with "
                "'driftd keys create --role admin --db %s', or pass --insecure\n",
                app.cfg.listen, app.cfg.db);
        goto out;
    }
    struct writer_limits lim = {.max_jobs = app.cfg.queue_max_jobs,
                                .max_bytes = app.cfg.queue_max_bytes};
    if (writer_start(app.mon.store, &lim, &app.mon.writer) != 0) {
        fprintf(stderr, "driftd: cannot start the writer thread\n");
        goto out;
    }
    app.mon.refcache = refcache_new(app.mon.store, app.mon.writer);
    /* references are calibrated in the background (refcache.h); the delay is for tests */
    const char *cal_delay = getenv("DRIFTD_CALIBRATE_DELAY_MS");
    if (refcache_start_calibrator(app.mon.refcache, cal_delay ? atoll(cal_delay) : 0,
                                  &app.mon.defaults) != 0) {
        fprintf(stderr, "driftd: cannot start the calibration thread\n");
        goto out;
    }
    if (rules_config_load(app.mon.writer, app.cfg.alert_rules_json, app.cfg.alert_receivers_json,
                          dd_now_ms(), err, sizeof err) != 0) {
        fprintf(stderr, "driftd: config: %s\n", err);
        goto out;
    }
    dd_blas_set_threads(1); /* docs/design.md: evaluations must not fight the HTTP threads */
    if (evaluator_start(&app.mon, &app.evaluator) != 0) {
        fprintf(stderr, "driftd: cannot start the evaluator thread\n");
        goto out;
    }
    if (retention_start(&app.mon, &app.retention) != 0) {
        fprintf(stderr, "driftd: cannot start the retention thread\n");
        goto out;
    }
    struct delivery_options dopt = {.threads = app.cfg.delivery_threads,
                                    .connect_timeout_ms = app.cfg.delivery_connect_timeout_ms,
                                    .timeout_ms = app.cfg.delivery_timeout_ms,
                                    .max_age_ms = app.cfg.max_delivery_age_ms,
                                    .poll_ms = app.cfg.delivery_poll_ms};
    if (delivery_start(app.mon.store, app.mon.writer, &dopt, &app.delivery) != 0) {
        fprintf(stderr, "driftd: cannot start the delivery threads\n");
        goto out;
    }
    routes_metrics_init();
    app_fill_api(&app);
    /* before the first request can be answered: a client that sees the 404 of
     * a missing dashboard finds the warning already in the log */
    h_static_check_root(app.cfg.web_root);
    struct http_options ho;
    config_http_options(&app.cfg, &ho);
    if (http_start(&ho, &routes_http_hooks, &app.api, &http, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        goto out;
    }
    dd_info("listening", "listen=%s db=\"%s\" threads=%d futex_hash_slots=%d auth=%s pid=%d",
            app.cfg.listen, app.cfg.db, app.cfg.threads, futex_slots,
            active ? "keys" : (loopback ? "open" : "insecure"), (int)getpid());
    if (!active)
        dd_warn("no API key configured: every request is allowed",
                "hint=\"driftd keys create --role admin --db %s\"", app.cfg.db);
    if (app.cfg.demo && demo_start(&app, &app.demo) != 0) {
        fprintf(stderr, "driftd: cannot start the demo traffic thread\n");
        exit_code = 1;
        goto out;
    }

    int sig = 0;
    sigwait(&sigs, &sig);
    dd_info("stopping", "signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    exit_code = 0;
out:
    demo_stop(app.demo); /* no new demo batches */
    http_stop(http);     /* in-flight requests finish first */
    evaluator_stop(app.evaluator);
    retention_stop(app.retention);
    delivery_stop(app.delivery); /* sends in flight are recorded before the writer stops */
    refcache_free(app.mon.refcache);
    writer_stop(app.mon.writer); /* then everything queued is committed */
    auth_free(app.auth);
    store_close(app.mon.store);
    if (exit_code == 0)
        dd_info("stopped", "%s", "");
    return exit_code;
}
