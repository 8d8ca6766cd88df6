/* cli.c — the shared flag parser and config loading (cli.h). */
#include "server/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

int cli_flags(int argc, char **argv, int start, const char *const *bool_flags,
              int (*fn)(const char *name, const char *value, void *ctx), void *ctx)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            fprintf(stderr, "driftd: unexpected argument '%s'\n", a);
            return 2;
        }
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (n >= sizeof name) {
            fprintf(stderr, "driftd: unknown option '%s'\n", a);
            return 2;
        }
        for (size_t j = 0; j < n; j++)
            name[j] = a[2 + j] == '-' ? '_' : a[2 + j];
        name[n] = '\0';
        int is_bool = 0;
        for (const char *const *b = bool_flags; b && *b; b++)
            is_bool |= !strcmp(*b, name);
        const char *value;
        if (eq)
            value = eq + 1;
        else if (is_bool)
            value = NULL;
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            fprintf(stderr, "driftd: option '--%s' needs a value\n", a + 2);
            return 2;
        }
        int rc = fn(name, value, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int cli_wants_help(int argc, char **argv, int start)
{
    for (int i = start; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

struct flag_ctx {
    struct dd_config *cfg;
    int pass; /* 0: only --config; 1: everything else */
};

static int config_flag(const char *name, const char *value, void *arg)
{
    struct flag_ctx *f = arg;
    char err[512];
    if (!strcmp(name, "config")) {
        if (f->pass == 0 && config_load_file(f->cfg, value, err, sizeof err) != 0) {
            fprintf(stderr, "driftd: %s\n", err);
            return 2;
        }
        return 0;
    }
    if (f->pass == 0)
        return 0;
    if (!value)
        value = "true"; /* a bare boolean flag such as --insecure */
    if (config_set(f->cfg, name, value, err, sizeof err) != 0) {
        char flag[64];
        size_t j = 0;
        for (const char *c = name; *c && j < sizeof flag - 1; c++)
            flag[j++] = *c == '_' ? '-' : *c; /* as the user typed it */
        flag[j] = '\0';
        fprintf(stderr, "driftd: --%s: %s\n", flag, err);
        return 2;
    }
    return 0;
}

int cli_load_config(int argc, char **argv, int start, struct dd_config *cfg)
{
    static const char *const bools[] = {"insecure", "demo", NULL};
    char err[512];
    config_defaults(cfg);
    int has_config_flag = 0;
    for (int i = start; i < argc; i++)
        has_config_flag |= !strncmp(argv[i], "--config", 8);
    const char *env_file = getenv("DRIFTD_CONFIG");
    if (!has_config_flag && env_file && *env_file &&
        config_load_file(cfg, env_file, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        return 2;
    }
    struct flag_ctx f = {cfg, 0};
    int rc = cli_flags(argc, argv, start, bools, config_flag, &f);
    if (rc)
        return rc;
    if (config_load_env(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        return 2;
    }
    f.pass = 1;
    return cli_flags(argc, argv, start, bools, config_flag, &f);
}
