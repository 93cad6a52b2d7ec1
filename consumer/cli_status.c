/*
 * cli_status.c - plan status. Placeholder until that part lands.
 */
#include "cli_internal.h"

int
cli_cmd_status(int argc, char **argv)
{
    return cli_unavailable("status", argc, argv);
}
