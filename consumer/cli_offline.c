/*
 * cli_offline.c - the commands that need no AWS: validate, replay and
 * config-reference.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"
#include "config.h"
#include "engine.h"
#include "mem.h"
#include "registry.h"
#include "replay.h"

int
cli_cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"live", no_argument, NULL, 'l'},
        {"print-config", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int live = 0, print = 0, c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'l':
            live = 1;
            break;
        case 'p':
            print = 1;
            break;
        case 'h':
            printf("usage: drgate validate [--config FILE] [--live] "
                   "[--print-config]\n"
                   "Checks the configuration and its runbooks offline and "
                   "reports every problem.\n"
                   "--print-config prints the effective configuration with "
                   "secrets redacted.\n");
            return 0;
        default:
            return cli_usage_error("validate", "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("validate", "unexpected argument");
    config = cli_default_config(config);
    struct dg_buf errors;
    dg_buf_init(&errors, 256 * 1024);
    struct dg_config *cfg = NULL;
    int status = 0;
    if (config_load(config, &cfg, &errors) != DG_OK)
        status = 1;
    else if (engine_check_runbooks(cfg, &errors) != DG_OK)
        status = 1;
    if (status) {
        fputs(dg_buf_str(&errors), stderr);
    } else if (live) {
        status = registry_live_validate(cfg, stdout);
    } else if (print) {
        struct dg_buf dump;
        dg_buf_init(&dump, 1024 * 1024);
        if (config_dump_redacted(cfg, &dump) == DG_OK)
            printf("%s\n", dg_buf_str(&dump));
        dg_buf_cleanup(&dump);
    } else {
        printf("%s: valid (%zu sources, %zu sinks, %zu signals, 2 "
               "runbooks)\n",
               config, cfg->nsources, cfg->nsinks, cfg->policy.nsignals);
    }
    dg_buf_cleanup(&errors);
    config_free(cfg);
    return status;
}

int
cli_cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"store", required_argument, NULL, 's'},
        {"stats", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    struct replay_opts ro = {0};
    int print_stats = 0, c;
    while ((c = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 's':
            ro.store_path = optarg;
            break;
        case 'S':
            print_stats = 1;
            break;
        case 'h':
            printf("usage: drgate replay [--config FILE] [--store PATH] "
                   "[--stats] EVENTS.jsonl|-\n"
                   "Replays alarm messages offline and prints one JSON "
                   "object per line:\n"
                   "decisions, plans and rejected input. Uses a temporary "
                   "store unless --store is given.\n");
            return 0;
        default:
            return cli_usage_error("replay", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("replay", "expected one input file (or -)");
    ro.input = argv[optind];
    struct dg_config *cfg = cli_load_config(cli_default_config(config));
    if (!cfg)
        return 1;
    struct engine_stats st;
    int status = replay_run(cfg, &ro, stdout, &st);
    if (status == 0 && print_stats)
        fprintf(
            stderr,
            "{\"messages\":%llu,\"duplicates\":%llu,\"rejected\":%llu,"
            "\"signals\":%llu,\"unmatched\":%llu,\"stale\":%llu,"
            "\"commands\":%llu,\"approvals\":%llu,\"decisions\":%llu,"
            "\"plans\":%llu}\n",
            (unsigned long long)st.messages, (unsigned long long)st.duplicates,
            (unsigned long long)st.rejected, (unsigned long long)st.signals,
            (unsigned long long)st.unmatched, (unsigned long long)st.stale,
            (unsigned long long)st.commands, (unsigned long long)st.approvals,
            (unsigned long long)st.decisions, (unsigned long long)st.plans);
    config_free(cfg);
    return status;
}

int
cli_cmd_config_reference(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error("config-reference", "takes no arguments");
    struct dg_buf b;
    dg_buf_init(&b, 1024 * 1024);
    int status = config_reference_markdown(&b) == DG_OK ? 0 : 1;
    fputs(dg_buf_str(&b), stdout);
    dg_buf_cleanup(&b);
    return status;
}
