/*
 * main.c - the composition root: CLI entry and the adapter registry. See
 * cli.c for the commands.
 */
#include "cli.h"
#include "orch_aws.h"
#include "registry_io.h"

int
main(int argc, char **argv)
{
    const struct cli_adapters a = {registry_source_find, registry_sink_find,
                                   orch_aws_new, orch_aws_free,
                                   orch_aws_services};
    cli_set_adapters(&a);
    return cli_main(argc, argv);
}
