/* app.h — what a running `driftd serve` holds.
 *
 * Filled by cmd_serve.c at start and read-only afterwards, except through
 * the thread-safe modules it points to.  The rooms below the program never
 * see it: the monitor gets `mon` (monitor.h), the HTTP API `api` (api.h).
 */
#ifndef DD_APP_H
#define DD_APP_H
#include <stdint.h>

#include "server/api/api.h"
#include "server/config.h"
#include "server/monitor/monitor.h"

struct auth;
struct evaluator;
struct retention;
struct demo;
struct delivery;

struct app {
    struct dd_config cfg;
    struct monitor_env mon; /* store, writer, refcache and the monitor's settings */
    struct api api;         /* what the handlers see */
    struct auth *auth;
    struct evaluator *evaluator;
    struct retention *retention;
    struct demo *demo;         /* NULL unless --demo */
    struct delivery *delivery; /* sends the outbox's notifications */
    int64_t started_ms;
};

/* Fills app->api from the objects app holds (call after they are opened). */
void app_fill_api(struct app *app);

#endif
