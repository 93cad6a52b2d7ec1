#ifndef DRGATE_CLI_H
#define DRGATE_CLI_H
/*
 * The drgate command line. Returns the process exit status: 0 success,
 * 1 failure, 2 usage error.
 */
int cli_main(int argc, char **argv);

#endif
