/* cmd_keys.c — `driftd keys create|list|revoke`: API keys in the database
 * named by --db (or the config), usable while a server runs on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "server/api/auth.h"
#include "server/cli.h"
#include "server/config.h"
#include "server/store/store.h"

static int usage_to(FILE *fp, int status)
{
    fprintf(fp, "usage: driftd keys create --role ingest|read|admin [--db PATH]\n"
                "       driftd keys list [--db PATH]\n"
                "       driftd keys revoke ID [--db PATH]\n");
    return status;
}

static int usage(void)
{
    return usage_to(stderr, 2);
}

int cmd_keys(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, 2))
        return usage_to(stdout, 0);
    if (argc < 3)
        return usage();
    const char *sub = argv[2];
    const char *id = NULL, *role_s = NULL;
    /* pull out the subcommand's own arguments; the rest are config flags */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    rest[nrest++] = argv[0];
    rest[nrest++] = argv[1];
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--role") && i + 1 < argc)
            role_s = argv[++i];
        else if (!strncmp(argv[i], "--role=", 7))
            role_s = argv[i] + 7;
        else if (!strcmp(sub, "revoke") && !id && strncmp(argv[i], "--", 2) != 0)
            id = argv[i];
        else
            rest[nrest++] = argv[i];
    }
    struct dd_config cfg;
    int rc = cli_load_config(nrest, rest, 2, &cfg);
    free(rest);
    if (rc)
        return rc;
    int role = 0;
    if (!strcmp(sub, "create")) {
        role = role_s ? store_role_parse(role_s) : 0;
        if (!role) {
            fprintf(stderr, "driftd: keys create needs --role ingest, read or admin\n");
            return 2;
        }
    } else if (!strcmp(sub, "revoke")) {
        if (!id)
            return usage();
    } else if (strcmp(sub, "list") != 0) {
        return usage();
    }

    struct store *st = NULL;
    char err[512];
    struct store_options so = {cfg.db, cfg.synchronous_full, 1};
    if (store_open(&so, &st, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        return 1;
    }
    int exit_code = 1;
    if (!strcmp(sub, "create")) {
        char key[AUTH_KEY_LEN + 1];
        struct store_key k;
        if (auth_key_generate(role, key, &k) != 0 || store_key_insert(st, &k) != 0) {
            fprintf(stderr, "driftd: cannot create a key in '%s'\n", cfg.db);
            goto out;
        }
        printf("%s\n", key);
        fprintf(stderr, "created key %s with role %s; the key above is shown only once\n", k.id,
                store_role_name(role));
    } else if (!strcmp(sub, "list")) {
        struct store_key *ks = NULL;
        size_t n = 0;
        if (store_keys_list(st, &ks, &n) != 0)
            goto out;
        printf("%-16s %-7s %-25s %s\n", "ID", "ROLE", "CREATED", "REVOKED");
        for (size_t i = 0; i < n; i++) {
            char c[DD_TIME_STRLEN], r[DD_TIME_STRLEN] = "-";
            dd_time_format(ks[i].created_ms, c);
            if (ks[i].revoked_ms >= 0)
                dd_time_format(ks[i].revoked_ms, r);
            printf("%-16s %-7s %-25s %s\n", ks[i].id, store_role_name(ks[i].role), c, r);
        }
        free(ks);
    } else {
        rc = store_key_revoke(st, id);
        if (rc == DD_ENOTFOUND) {
            fprintf(stderr, "driftd: no active key '%s'\n", id);
            goto out;
        }
        if (rc)
            goto out;
        fprintf(stderr, "revoked key %s\n", id);
    }
    exit_code = 0;
out:
    store_close(st);
    return exit_code;
}
