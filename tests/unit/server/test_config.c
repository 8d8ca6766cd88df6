/* Tests server/config.c: every key's parsing, bad values, file, env; the
 * "settings" and "models" objects and how settings.c layers them. */
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

/* Each key's parsing; a bad value names itself and what was expected. */
TEST(values)
{
    struct dd_config c;
    char err[256];
    config_defaults(&c);
    CHECK_EQ_INT(config_set(&c, "body_limit", "64KiB", err, sizeof err), 0);
    CHECK_EQ_INT(c.body_limit, 65536);
    CHECK_EQ_INT(config_set(&c, "body_limit", "1M", err, sizeof err), 0);
    CHECK_EQ_INT(c.body_limit, 1 << 20);
    CHECK_EQ_INT(config_set(&c, "body_limit", "lots", err, sizeof err), DD_EINVAL);
    /* the message names the bad value and what was expected */
    CHECK_EQ_STR(err, "invalid value 'lots': expected a whole number from 1024 to 2147483648 "
                      "(bytes; KiB, MiB, GiB suffixes)");
    CHECK_EQ_INT(config_set(&c, "eval_interval", "60", err, sizeof err), DD_EINVAL);
    CHECK(strstr(err, "invalid value '60': expected a duration such as") != NULL);
    /* the new edge settings, and the old name of header_timeout */
    CHECK_EQ_INT(c.header_timeout_ms, 10000);
    CHECK_EQ_INT(c.body_timeout_ms, 60000);
    CHECK_EQ_INT(c.keep_alive_timeout_ms, 30000);
    CHECK_EQ_INT(c.threads, 4096);
    CHECK_EQ_INT(c.handler_threads, 64);
    CHECK_EQ_INT(config_set(&c, "header_timeout", "2s", err, sizeof err), 0);
    CHECK_EQ_INT(c.header_timeout_ms, 2000);
    CHECK_EQ_INT(config_set(&c, "request_timeout_ms", "1500", err, sizeof err), 0);
    CHECK_EQ_INT(c.header_timeout_ms, 1500);
    CHECK_EQ_INT(config_set(&c, "body_timeout", "2h", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(config_set(&c, "eval_interval", "15s", err, sizeof err), 0);
    CHECK_EQ_INT(c.eval_interval_ms, 15000);
    CHECK_EQ_INT(config_set(&c, "eval_interval", "5ms", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(config_set(&c, "listen", "0.0.0.0:9000", err, sizeof err), 0);
    CHECK_EQ_INT(config_set(&c, "listen", "nowhere", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(config_set(&c, "listen", "x:99999", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(c.reference_max, 100000);
    CHECK_EQ_INT(config_set(&c, "reference_max", "5000", err, sizeof err), 0);
    CHECK_EQ_INT(c.reference_max, 5000);
    CHECK_EQ_INT(config_set(&c, "reference_max", "10", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(config_set(&c, "synchronous", "full", err, sizeof err), 0);
    CHECK_EQ_INT(c.synchronous_full, 1);
    CHECK_EQ_INT(config_set(&c, "synchronous", "sometimes", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(config_set(&c, "insecure", "true", err, sizeof err), 0);
    CHECK_EQ_INT(c.insecure, 1);
    /* --demo: off by default, a boolean like insecure */
    CHECK_EQ_INT(c.demo, 0);
    CHECK_EQ_INT(config_set(&c, "demo", "true", err, sizeof err), 0);
    CHECK_EQ_INT(c.demo, 1);
    CHECK_EQ_INT(config_set(&c, "demo", "false", err, sizeof err), 0);
    CHECK_EQ_INT(c.demo, 0);
    CHECK_EQ_INT(config_set(&c, "demo", "maybe", err, sizeof err), DD_EINVAL);
    CHECK_EQ_STR(err, "invalid value 'maybe': expected true or false");
    CHECK_EQ_INT(config_set(&c, "threads", "1", err, sizeof err), DD_EINVAL);
    CHECK_EQ_INT(config_set(&c, "colour", "red", err, sizeof err), DD_EINVAL);
    CHECK(strstr(err, "unknown setting 'colour'") != NULL);
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

TEST(file_then_env)
{
    struct dd_config c;
    char err[256];
    /* file, then environment on top */
    char path[] = "/tmp/dd-test-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("{\"db\": \"/tmp/x.db\", \"threads\": 8, \"insecure\": false}", fp);
    fclose(fp);
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
    fp = fopen(path, "w");
    fputs("{\"threads\": [1]}", fp);
    fclose(fp);
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
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    FILE *fp = fopen(path, "w");
    fputs("{\"alpha\": 0.05, \"settings\": {\"alpha\": 0.01, \"thresholds\": {\"psi\": 0.3}},"
          " \"models\": {\"vit\": {\"window\": \"15m\", \"methods\": {\"confidence\": [\"ks\"]}}}}",
          fp);
    fclose(fp);
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
        fp = fopen(path, "w");
        fputs(bad[i], fp);
        fclose(fp);
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
