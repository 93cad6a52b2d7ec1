/*
 * main.c - the composition root: CLI entry. See cli.c for the commands.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
