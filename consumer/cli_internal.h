#ifndef DRGATE_CLI_INTERNAL_H
#define DRGATE_CLI_INTERNAL_H
/*
 * Shared by the cli_*.c command files. Each cli_cmd_* takes the arguments
 * from the command name on (argv[0] is the command) and returns the exit
 * status: 0 success, 1 failure, 2 usage error.
 */
struct dg_config;

/* Prints "drgate CMD: msg" and a hint to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *msg);
/* given, else $DRGATE_CONFIG, else "drgate.json". */
const char *cli_default_config(const char *given);
/* Loads and validates; prints every problem and returns NULL on failure.
 * Sets the log level from the config. Caller frees with config_free. */
struct dg_config *cli_load_config(const char *path);
/* For commands this build does not have yet: says so, returns 1
 * (0 for --help). */
int cli_unavailable(const char *cmd, int argc, char **argv);

int cli_cmd_run(int argc, char **argv);
int cli_cmd_validate(int argc, char **argv);
int cli_cmd_replay(int argc, char **argv);
int cli_cmd_status(int argc, char **argv);
int cli_cmd_approve(int argc, char **argv);
int cli_cmd_reject(int argc, char **argv);
int cli_cmd_keygen(int argc, char **argv);
int cli_cmd_audit(int argc, char **argv);
int cli_cmd_config_reference(int argc, char **argv);

#endif
