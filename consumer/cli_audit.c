/*
 * cli_audit.c - the audit trail. Placeholder until that part lands.
 */
#include "cli_internal.h"

int
cli_cmd_audit(int argc, char **argv)
{
    return cli_unavailable("audit", argc, argv);
}
