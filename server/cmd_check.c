/* cmd_check.c — `driftd check`: the drift report offline, for CI/CD gates. */
#include <stdio.h>

#include "server/cli.h"

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "driftd: check is not built yet\n");
    return 2;
}
