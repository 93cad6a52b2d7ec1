/*
 * cli.c - subcommand dispatch (placeholder until the commands land).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"

int
cli_main(int argc, char **argv)
{
    dg_mem_init();
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("drgate %s\n", DRGATE_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: drgate COMMAND [options]\n");
    return 2;
}
