/* Tests server/config.c: every key's parsing, bad values, file, env; the
 * "settings" and "models" objects and how settings.c layers them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "server/config.h"
#include "server/monitor/monitor.h"
#include "server/monitor/settings.h"
#include "check.h"

TEST(defaults)
{
    struct dd_config c;
    config_defaults(&c);
    CHECK_EQ_STR(c.listen, "127.0.0.1:8080");
    CHECK_EQ_STR(c.db, "data/driftd.db");
    CHECK_EQ_INT(c.eval_interval_ms, 60000);
    CHECK_EQ_INT(c.body_limit, 16 << 20);
}

/* A config member as a number, for the tables below. */
#define MEMBER(m) offsetof(struct dd_config, m), sizeof(((struct dd_config *)0)->m)

static long long member(const struct dd_config *c, size_t off, size_t size)
{
    const char *p = (const char *)c + off;
    if (size == sizeof(int)) {
        int v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    int64_t v; /* int64_t, and size_t and long where they are not int-sized */
    memcpy(&v, p, sizeof v);
    return v;
}

/* Each key's parsing; a bad value names itself and what was expected. */
TEST(values)
{
    struct dd_config c;
    char err[256];
    config_defaults(&c);
    /* the defaults of the new edge settings, and of those set below */
    static const struct {
        size_t off, size;
        long long want;
    } defaults[] = {
        {MEMBER(header_timeout_ms), 10000},
        {MEMBER(body_timeout_ms), 60000},
        {MEMBER(keep_alive_timeout_ms), 30000},
        {MEMBER(threads), 4096},
        {MEMBER(handler_threads), 64},
        {MEMBER(reference_max), 100000},
        {MEMBER(demo), 0}, /* --demo: off by default, a boolean like insecure */
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        CHECK_EQ_INT(member(&c, defaults[i].off, defaults[i].size), defaults[i].want);
    /* accepted, in this order: the member then holds want (size 0: not checked) */
    static const struct {
        const char *key, *value;
        size_t off, size;
        long long want;
    } good[] = {
        {"body_limit", "64KiB", MEMBER(body_limit), 65536},
        {"body_limit", "1M", MEMBER(body_limit), 1 << 20},
        {"header_timeout", "2s", MEMBER(header_timeout_ms), 2000},
        {"request_timeout_ms", "1500", MEMBER(header_timeout_ms), 1500}, /* its old name */
        {"eval_interval", "15s", MEMBER(eval_interval_ms), 15000},
        {"listen", "0.0.0.0:9000", 0, 0, 0},
        {"reference_max", "5000", MEMBER(reference_max), 5000},
        {"synchronous", "full", MEMBER(synchronous_full), 1},
        {"insecure", "true", MEMBER(insecure), 1},
        {"demo", "true", MEMBER(demo), 1},
        {"demo", "false", MEMBER(demo), 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int failures = check_failures;
        CHECK_EQ_INT(config_set(&c, good[i].key, good[i].value, err, sizeof err), 0);
        if (good[i].size)
            CHECK_EQ_INT(member(&c, good[i].off, good[i].size), good[i].want);
        if (check_failures != failures)
            fprintf(stderr, "  with %s '%s'\n", good[i].key, good[i].value);
    }
    /* refused; the message names the bad value and what was expected (err:
     * all of it; has: a part; neither: not checked) */
    static const struct {
        const char *key, *value, *err, *has;
    } bad[] = {
        {"body_limit", "lots",
         "invalid value 'lots': expected a whole number from 1024 to 2147483648 "
         "(bytes; KiB, MiB, GiB suffixes)",
         NULL},
        {"eval_interval", "60", NULL, "invalid value '60': expected a duration such as"},
        {"body_timeout", "2h", NULL, NULL},
        {"eval_interval", "5ms", NULL, NULL},
        {"listen", "nowhere", NULL, NULL},
        {"listen", "x:99999", NULL, NULL},
        {"reference_max", "10", NULL, NULL},
        {"synchronous", "sometimes", NULL, NULL},
        {"demo", "maybe", "invalid value 'maybe': expected true or false", NULL},
        {"threads", "1", NULL, NULL},
        {"colour", "red", NULL, "unknown setting 'colour'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int failures = check_failures;
        CHECK_EQ_INT(config_set(&c, bad[i].key, bad[i].value, err, sizeof err), DD_EINVAL);
        if (bad[i].err)
            CHECK_EQ_STR(err, bad[i].err);
        if (bad[i].has)
            CHECK(strstr(err, bad[i].has) != NULL);
        if (check_failures != failures)
            fprintf(stderr, "  with %s '%s'\n", bad[i].key, bad[i].value);
    }
}

TEST(key_table)
{
    /* the table lists every key once, with a help line */
    size_t n_keys = 0;
    for (size_t i = 0; config_key_name(i); i++, n_keys++) {
        CHECK(config_key_help(i) != NULL && config_key_help(i)[0]);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(config_key_name(i), config_key_name(j)) != 0);
    }
    CHECK(n_keys >= 27);
}

TEST(listen_is_loopback)
{
    CHECK(config_listen_is_loopback("127.0.0.1:8080"));
    CHECK(config_listen_is_loopback("localhost:1"));
    CHECK(!config_listen_is_loopback("0.0.0.0:8080"));
    CHECK(!config_listen_is_loopback("8080"));
}

/* A new empty file: its name in path ("/tmp/dd-test-config-XXXXXX"). */
static void temp_file(char *path)
{
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

TEST(file_then_env)
{
    struct dd_config c;
    char err[256];
    /* file, then environment on top */
    char path[] = "/tmp/dd-test-config-XXXXXX";
    temp_file(path);
    write_file(path, "{\"db\": \"/tmp/x.db\", \"threads\": 8, \"insecure\": false}");
    config_defaults(&c);
    CHECK_EQ_INT(config_load_file(&c, path, err, sizeof err), 0);
    CHECK_EQ_STR(c.db, "/tmp/x.db");
    CHECK_EQ_INT(c.threads, 8);
    setenv("DRIFTD_THREADS", "12", 1);
    CHECK_EQ_INT(config_load_env(&c, err, sizeof err), 0);
    CHECK_EQ_INT(c.threads, 12);
    setenv("DRIFTD_THREADS", "many", 1);
    CHECK_EQ_INT(config_load_env(&c, err, sizeof err), DD_EINVAL);
    CHECK(strstr(err, "DRIFTD_THREADS") != NULL);
    unsetenv("DRIFTD_THREADS");
    write_file(path, "{\"threads\": [1]}");
    CHECK(config_load_file(&c, path, err, sizeof err) != 0);
    CHECK(strstr(err, path) != NULL);
    remove(path);
}

/* The "settings" and "models" objects: checked when the file is read;
 * settings_defaults() takes "settings" (the per-model layers:
 * tests/unit/server/monitor/test_settings.c). */
TEST(settings_and_models)
{
    struct dd_config c;
    char err[256];
    char path[] = "/tmp/dd-test-config-XXXXXX";
    temp_file(path);
    write_file(
        path,
        "{\"alpha\": 0.05, \"settings\": {\"alpha\": 0.01, \"thresholds\": {\"psi\": 0.3}},"
        " \"models\": {\"vit\": {\"window\": \"15m\", \"methods\": {\"confidence\": [\"ks\"]}}}}");
    config_defaults(&c);
    CHECK_EQ_INT(config_load_file(&c, path, err, sizeof err), 0);
    struct model_settings ms;
    struct monitor_env env = {0};
    config_monitor_env(&c, &env);
    settings_defaults(&env.defaults, &ms);
    CHECK(ms.alpha == 0.01);
    CHECK_EQ_STR(ms.window, "1h");
    CHECK(ms.thresholds[__builtin_ctz(DD_M_PSI)] == 0.3);
    CHECK_EQ_INT(ms.n_methods, 0);
    const char *bad[] = {
        "{\"settings\": {\"alpha\": 2}}",
        "{\"settings\": {\"methods\": {\"confidence\": [\"chi2\"]}}}",
        "{\"models\": {\"bad name\": {}}}",
        "{\"models\": {\"vit\": 3}}",
        "{\"models\": {\"vit\": {\"window\": \"soon\"}}}",
        "{\"settings\": [1]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i]);
        config_defaults(&c);
        err[0] = '\0';
        CHECK(config_load_file(&c, path, err, sizeof err) != 0);
        CHECK(strstr(err, path) != NULL);
    }
    CHECK(strstr(err, "settings") != NULL);
    remove(path);
    CHECK(config_load_file(&c, "/nonexistent/driftd.json", err, sizeof err) != 0);
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    RUN(defaults);
    RUN(values);
    RUN(key_table);
    RUN(listen_is_loopback);
    RUN(file_then_env);
    RUN(settings_and_models);
    CHECK_DONE();
}
