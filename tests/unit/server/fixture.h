/* fixture.h — shared setup of the unit tests of server/ that need a real
 * database: a folder under /tmp with a store opened in it, a writer thread
 * on that store when asked for, and the monitor defaults a server starts
 * with, and cases between a setup and a teardown (TEST_AROUND).  Static
 * inline, like check.h (include check.h first); every test keeps its own
 * `struct fixture` around a `struct tmp_store`.
 * Used by api/test_auth.c, monitor/test_alerts.c, monitor/test_refcache.c,
 * monitor/test_settings.c, monitor/test_retention.c and
 * store/test_lifecycle.c. */
#ifndef DD_TEST_SERVER_FIXTURE_H
#define DD_TEST_SERVER_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/monitor/monitor.h"
#include "server/store/store.h"
#include "server/store/writer.h"

struct tmp_store {
    char dir[64]; /* /tmp/dd-test-<name>-XXXXXX, removed by tmp_store_close() */
    struct store *st;
    struct writer *w; /* NULL unless opened with a writer */
};

/* A fresh folder with the database t.db (2 readers) and, if with_writer, a
 * writer thread on it; name goes into the folder's name. */
static inline void tmp_store_open(struct tmp_store *t, const char *name, int with_writer)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/dd-test-%s-XXXXXX", name);
    CHECK(mkdtemp(t->dir) != NULL);
    char path[sizeof t->dir + 8], err[512] = "";
    snprintf(path, sizeof path, "%s/t.db", t->dir);
    struct store_options o = {path, 0, 2};
    CHECK_EQ_INT(store_open(&o, &t->st, err, sizeof err), 0);
    if (with_writer)
        CHECK_EQ_INT(writer_start(t->st, NULL, &t->w), 0);
}

/* Stops the writer, closes the store and removes the folder. */
static inline void tmp_store_close(struct tmp_store *t)
{
    writer_stop(t->w);
    store_close(t->st);
    char cmd[sizeof t->dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* What config_defaults() gives (server/config.c is a room above these tests). */
static inline void fixture_defaults(struct monitor_defaults *d)
{
    memset(d, 0, sizeof *d);
    d->alpha = 0.05;
    snprintf(d->window, sizeof d->window, "1h");
    d->reference_size = 1000;
    d->max_sample = 50000;
    d->settings_json = "";
    d->models_json = "";
}

/* A case between a setup and a teardown statement (a fixture opened before
 * the body, closed after it), so no case can forget either:
 *     #define DB_TEST(name) TEST_AROUND(name, open_it(&db), close_it(&db))
 *     DB_TEST(x) { ... } */
#define TEST_AROUND(name, setup, teardown)                                                         \
    static void around_##name(void);                                                               \
    TEST(name)                                                                                     \
    {                                                                                              \
        setup;                                                                                     \
        around_##name();                                                                           \
        teardown;                                                                                  \
    }                                                                                              \
    static void around_##name(void)

#endif
