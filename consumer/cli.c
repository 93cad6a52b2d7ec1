/*
 * cli.c - the drgate command line: dispatch and the helpers every command
 * shares. Each command lives in a cli_<area>.c file and returns the exit
 * status: 0 success, 1 failure, 2 usage error. Errors name the file, the
 * JSON path and what was expected (config.c, runbook.c do the naming).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>

#include "buf.h"
#include "cli_internal.h"
#include "config.h"
#include "log.h"
#include "mem.h"

static const char usage_text[] =
    "usage: drgate [--help] [--version] COMMAND [options]\n"
    "\n"
    "Approval-gated, audited disaster recovery for AWS database tiers.\n"
    "\n"
    "Commands:\n"
    "  run        run the daemon: consume sources, decide, publish events\n"
    "  validate   check the configuration and runbooks offline\n"
    "             (--live also checks the AWS topology)\n"
    "  replay     replay a JSON-lines file offline; print decisions and plans\n"
    "  status     list plans and their steps\n"
    "  approve    sign and publish an approval for a plan\n"
    "  reject     sign and publish a rejection for a plan\n"
    "  keygen     create an Ed25519 approver key pair\n"
    "  audit      audit verify: check the hash-chained audit log\n"
    "  config-reference  print the configuration reference (Markdown)\n"
    "\n"
    "Every command takes --config FILE (default: $DRGATE_CONFIG, then\n"
    "./drgate.json). Exit status: 0 success, 1 failure, 2 usage error.\n"
    "Run 'drgate COMMAND --help' for a command's options.\n";

int
cli_usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "drgate%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    fprintf(stderr, "Run 'drgate %s--help' for usage.\n", cmd ? cmd : "");
    return 2;
}

const char *
cli_default_config(const char *given)
{
    if (given)
        return given;
    const char *env = getenv("DRGATE_CONFIG");
    return env && *env ? env : "drgate.json";
}

/* Loads the config or prints every problem; NULL on failure. */
struct dg_config *
cli_load_config(const char *path)
{
    struct dg_buf errors;
    dg_buf_init(&errors, 256 * 1024);
    struct dg_config *cfg = NULL;
    if (config_load(path, &cfg, &errors) != DG_OK) {
        fputs(dg_buf_str(&errors), stderr);
        cfg = NULL;
    }
    dg_buf_cleanup(&errors);
    if (cfg) {
        int lvl = log_level_parse(cfg->service.log_level);
        if (lvl >= 0)
            log_set_level((enum dg_log_level)lvl);
    }
    return cfg;
}

/* Commands whose machinery arrives with later parts of drgate say so
 * plainly and fail, rather than pretending. */
int
cli_unavailable(const char *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: drgate %s [--config FILE] ...\n", cmd);
            return 0;
        }
    fprintf(stderr, "drgate %s: not available in this build yet\n", cmd);
    return 1;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", cli_cmd_run},
    {"validate", cli_cmd_validate},
    {"replay", cli_cmd_replay},
    {"status", cli_cmd_status},
    {"approve", cli_cmd_approve},
    {"reject", cli_cmd_reject},
    {"keygen", cli_cmd_keygen},
    {"audit", cli_cmd_audit},
    {"config-reference", cli_cmd_config_reference},
};

int
cli_main(int argc, char **argv)
{
    dg_mem_init();
    if (argc < 2)
        return cli_usage_error(NULL, "a command is required");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("drgate %s\n", DRGATE_VERSION);
        return 0;
    }
    /* Subcommand options start at argv[1] so getopt sees the command as
     * its program name. */
    optind = 1;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    return cli_usage_error(NULL, "unknown command");
}
