/*
 * cli_approval.c - the approval gate. Placeholder until that part lands.
 */
#include "cli_internal.h"

int
cli_cmd_approve(int argc, char **argv)
{
    return cli_unavailable("approve", argc, argv);
}

int
cli_cmd_reject(int argc, char **argv)
{
    return cli_unavailable("reject", argc, argv);
}
