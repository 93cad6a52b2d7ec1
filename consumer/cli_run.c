/*
 * cli_run.c - `drgate run`: loads the configuration and runs the daemon
 * (daemon.c) until SIGTERM/SIGINT or, with only non-following file
 * sources, until every source has ended and the outbox has drained.
 * The adapter registry comes from the composition root (main.c) through
 * cli_set_adapters.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_internal.h"
#include "config.h"
#include "daemon.h"

static struct cli_adapters adapters;

void
cli_set_adapters(const struct cli_adapters *a)
{
    adapters = *a;
}

int
cli_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"drain-seconds", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    long drain = 30;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'd': {
            char *end = NULL;
            drain = strtol(optarg, &end, 10);
            if (!end || *end || drain < 1 || drain > 3600)
                return cli_usage_error(
                    "run", "--drain-seconds must be between 1 and 3600");
            break;
        }
        case 'h':
            printf("usage: drgate run [--config FILE] [--drain-seconds N]\n"
                   "Runs the daemon: consumes the configured sources, "
                   "decides, and publishes\nevents to the sinks. SIGTERM or "
                   "SIGINT drains and stops within N seconds\n(default "
                   "30). With only file sources that do not follow, it "
                   "exits 0\nonce every source has ended and the events "
                   "are delivered.\n");
            return 0;
        default:
            return cli_usage_error("run", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("run", "unexpected argument");
    struct dg_config *cfg = cli_load_config(cli_default_config(config));
    if (!cfg)
        return 1;
    struct daemon_opts o = {
        .source_find = adapters.source_find,
        .sink_find = adapters.sink_find,
        .orchestrate = 1,
        .http = 1,
        .drain_deadline_ms = drain * 1000,
        .handle_signals = 1,
    };
    int status = daemon_run(cfg, &o);
    config_free(cfg);
    return status;
}
