/* app.h — what a running server holds, handed to every handler.
 *
 * Filled by `driftd serve` at start and read-only afterwards, except through
 * the thread-safe modules it points to (store, writer, auth).
 */
#ifndef DD_APP_H
#define DD_APP_H
#include <stdint.h>

#include "server/config.h"

struct store;
struct writer;
struct auth;
struct evaluator;
struct retention;
struct refcache;

struct app {
    struct dd_config cfg;
    struct store *store;
    struct writer *writer;
    struct auth *auth;
    struct evaluator *evaluator;
    struct retention *retention;
    struct refcache *refcache;
    struct demo *demo;         /* NULL unless --demo */
    int64_t started_ms;
    const char *web_root;      /* folder with the dashboard's files */
};

#endif
