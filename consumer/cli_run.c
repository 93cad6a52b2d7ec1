/*
 * cli_run.c - the daemon (sources, policy, outbox). Placeholder until that part
 * lands.
 */
#include "cli_internal.h"

int
cli_cmd_run(int argc, char **argv)
{
    return cli_unavailable("run", argc, argv);
}
