/* cmd_keys.c — `driftd keys create|list|revoke`: API keys in the database
 * that `serve` would use with the same flags, environment and config file
 * (--db, DRIFTD_DB, the config's "db"; its folder created if needed),
 * usable while a server runs on it.  A key may have a name and an expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/timefmt.h"
#include "ingest/event.h"
#include "server/api/auth.h"
#include "server/cli.h"
#include "server/config.h"
#include "server/store/store.h"

static int usage_to(FILE *fp, int status)
{
    fprintf(fp, "usage: driftd keys create --role ingest|read|admin [--name NAME]\n"
                "                          [--expires 30d|RFC3339] [--db PATH]\n"
                "       driftd keys list [--db PATH]\n"
                "       driftd keys revoke ID [--db PATH]\n"
                "\n"
                "The database is the one `driftd serve` would use: --db, else DRIFTD_DB, else\n"
                "the config file's \"db\" (--config or DRIFTD_CONFIG), else data/driftd.db.\n");
    return status;
}

/* --expires: a duration from now ("30d", "12h") or an RFC 3339 time, in the
 * future.  0, or prints what is wrong and returns 2. */
static int parse_expires(const char *v, int64_t *out)
{
    int64_t now = dd_now_ms(), d;
    if (dd_duration_parse(v, &d) == 0)
        *out = now + d;
    else if (dd_time_parse(v, strlen(v), out) != 0) {
        fprintf(stderr,
                "driftd: --expires: '%s' is neither a duration (30d, 12h, 90m) nor an RFC 3339 "
                "time (2027-01-31T00:00:00Z)\n",
                v);
        return 2;
    }
    if (*out <= now) {
        fprintf(stderr, "driftd: --expires: '%s' is not in the future\n", v);
        return 2;
    }
    return 0;
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
    const char *id = NULL, *role_s = NULL, *name = NULL, *expires_s = NULL;
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
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strncmp(argv[i], "--name=", 7))
            name = argv[i] + 7;
        else if (!strcmp(argv[i], "--expires") && i + 1 < argc)
            expires_s = argv[++i];
        else if (!strncmp(argv[i], "--expires=", 10))
            expires_s = argv[i] + 10;
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
    int64_t expires_ms = -1;
    if (strcmp(sub, "create") != 0 && (name || expires_s)) {
        fprintf(stderr, "driftd: %s: only 'keys create' takes it\n", name ? "--name" : "--expires");
        return 2;
    }
    if (!strcmp(sub, "create")) {
        role = role_s ? store_role_parse(role_s) : 0;
        if (!role) {
            if (role_s)
                fprintf(stderr,
                        "driftd: --role: '%s' is not a role (expected ingest, read or "
                        "admin)\n",
                        role_s);
            else
                fprintf(stderr, "driftd: keys create needs --role ingest, read or admin\n");
            return 2;
        }
        if (name && !dd_name_valid(name, strlen(name))) {
            fprintf(stderr, "driftd: --name: '%s' must match [A-Za-z0-9._-]{1,128}\n", name);
            return 2;
        }
        if (expires_s && parse_expires(expires_s, &expires_ms) != 0)
            return 2;
    } else if (!strcmp(sub, "revoke")) {
        if (!id)
            return usage();
    } else if (strcmp(sub, "list") != 0) {
        return usage();
    }

    struct store *st = NULL;
    char err[512];
    struct store_options so = {cfg.db, cfg.synchronous_full, 1};
    if (config_db_folder_create(&cfg, err, sizeof err) != 0 ||
        store_open(&so, &st, err, sizeof err) != 0) {
        fprintf(stderr, "driftd: %s\n", err);
        return 1;
    }
    int exit_code = 1;
    if (!strcmp(sub, "create")) {
        char key[AUTH_KEY_LEN + 1];
        struct store_key k;
        int ok = auth_key_generate(role, key, &k) == 0;
        if (ok) {
            snprintf(k.name, sizeof k.name, "%s", name ? name : "");
            k.expires_ms = expires_ms;
            ok = store_key_insert(st, &k) == 0;
        }
        if (!ok) {
            fprintf(stderr, "driftd: cannot create a key in '%s'\n", cfg.db);
            goto out;
        }
        printf("%s\n", key);
        char until[DD_TIME_STRLEN] = "never";
        if (expires_ms >= 0)
            dd_time_format(expires_ms, until);
        fprintf(stderr,
                "created key %s%s%s%s with role %s in '%s', expires %s; the key above is shown "
                "only once\n",
                k.id, name ? " ('" : "", name ? name : "", name ? "')" : "", store_role_name(role),
                cfg.db, until);
    } else if (!strcmp(sub, "list")) {
        struct store_key *ks = NULL;
        size_t n = 0;
        if (store_keys_list(st, &ks, &n) != 0)
            goto out;
        printf("%-16s %-7s %-20s %-25s %-25s %s\n", "ID", "ROLE", "NAME", "CREATED", "EXPIRES",
               "REVOKED");
        int64_t now = dd_now_ms();
        for (size_t i = 0; i < n; i++) {
            char c[DD_TIME_STRLEN], r[DD_TIME_STRLEN] = "-", e[DD_TIME_STRLEN + 10] = "never";
            dd_time_format(ks[i].created_ms, c);
            if (ks[i].revoked_ms >= 0)
                dd_time_format(ks[i].revoked_ms, r);
            if (ks[i].expires_ms >= 0) {
                dd_time_format(ks[i].expires_ms, e);
                if (ks[i].expires_ms <= now)
                    strcat(e, "(expired)");
            }
            printf("%-16s %-7s %-20s %-25s %-25s %s\n", ks[i].id, store_role_name(ks[i].role),
                   ks[i].name[0] ? ks[i].name : "-", c, e, r);
        }
        free(ks);
    } else {
        rc = store_key_revoke(st, id);
        if (rc == DD_ENOTFOUND) {
            fprintf(stderr, "driftd: no active key '%s' in '%s' (see driftd keys list --db %s)\n",
                    id, cfg.db, cfg.db);
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
