/* main.c — driftd's entry point: one binary, subcommands (cli.h). */
#include <stdio.h>
#include <string.h>

#include "server/cli.h"

#define DRIFTD_VERSION "0.1.0"

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "driftd %s — drift monitoring for ML models in production\n"
        "\n"
        "usage: driftd <command> [options]\n"
        "\n"
        "commands:\n"
        "  serve   run the server            driftd serve [--config FILE] [--listen ADDR:PORT]\n"
        "                                    [--db PATH] [--eval-interval 60s] [--insecure]\n"
        "  check   offline drift check       driftd check --reference FILE --current FILE\n"
        "                                    [--format json|text] [--alpha 0.05]\n"
        "  keys    API keys                  driftd keys create --role ingest|read|admin\n"
        "                                    driftd keys list | driftd keys revoke ID\n"
        "  alerts  test a receiver           driftd alerts test RECEIVER_ID [--url URL] [--key K]\n"
        "  help    this text\n"
        "  version print the version\n"
        "\n"
        "Settings: flags win over DRIFTD_* environment variables, which win over the\n"
        "JSON config file. See README.md and docs/api.md.\n",
        DRIFTD_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc, argv);
    if (!strcmp(cmd, "keys"))
        return cmd_keys(argc, argv);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc, argv);
    if (!strcmp(cmd, "alerts"))
        return cmd_alerts(argc, argv);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("driftd %s\n", DRIFTD_VERSION);
        return 0;
    }
    fprintf(stderr, "driftd: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
