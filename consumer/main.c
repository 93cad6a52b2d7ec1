/*
 * main.c - the composition root: CLI entry and the adapter registry. See
 * cli.c for the commands.
 */
#include "cli.h"
#include "registry_io.h"

int
main(int argc, char **argv)
{
    const struct cli_adapters a = {registry_source_find, registry_sink_find};
    cli_set_adapters(&a);
    return cli_main(argc, argv);
}
