/* cli.h — the driftd subcommands (docs/api.md "Command line").
 *
 * main.c dispatches argv[1] to one of these; each returns the process exit
 * status.  cli_flags() is the one flag parser: `--name value` or
 * `--name=value`, dashes in names read as underscores.
 */
#ifndef DD_CLI_H
#define DD_CLI_H

int cmd_serve(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_alerts(int argc, char **argv); /* cmd_alerts.c: `alerts test ID` */

/* Walks argv[start..]: for each flag calls fn(name, value, ctx) (value NULL
 * for a flag in `bool_flags`, a NULL-terminated list).  A non-flag argument
 * or a missing value prints an error and returns 2; fn's non-zero return
 * is returned as is. */
int cli_flags(int argc, char **argv, int start, const char *const *bool_flags,
              int (*fn)(const char *name, const char *value, void *ctx), void *ctx);

/* 1 when argv[start..] holds --help or -h: the command prints its usage to
 * stdout and exits 0. */
int cli_wants_help(int argc, char **argv, int start);

struct dd_config;
/* Fills cfg from defaults, the config file (--config or DRIFTD_CONFIG),
 * DRIFTD_* variables and the flags in argv[start..], in that order.  Prints
 * the error and returns 2 on a bad setting. */
int cli_load_config(int argc, char **argv, int start, struct dd_config *cfg);
#endif
