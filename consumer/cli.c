/*
 * cli.c - the drgate command line.
 *
 * Each subcommand parses its own options with getopt_long and returns the
 * exit status: 0 success, 1 failure, 2 usage error. Errors name the file,
 * the JSON path and what was expected (config.c, runbook.c do the naming).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "mem.h"
#include "replay.h"

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

static int
usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "drgate%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    fprintf(stderr, "Run 'drgate %s--help' for usage.\n", cmd ? cmd : "");
    return 2;
}

static const char *
default_config(const char *given)
{
    if (given)
        return given;
    const char *env = getenv("DRGATE_CONFIG");
    return env && *env ? env : "drgate.json";
}

/* Loads the config or prints every problem; NULL on failure. */
static struct dg_config *
load_config(const char *path)
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

static int
cmd_validate(int argc, char **argv)
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
            return usage_error("validate", "unknown option");
        }
    }
    if (optind != argc)
        return usage_error("validate", "unexpected argument");
    if (live) {
        fprintf(stderr, "drgate validate: --live needs the AWS client "
                        "layer, which this build does not include yet\n");
        return 1;
    }
    config = default_config(config);
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

static int
cmd_replay(int argc, char **argv)
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
            return usage_error("replay", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return usage_error("replay", "expected one input file (or -)");
    ro.input = argv[optind];
    struct dg_config *cfg = load_config(default_config(config));
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

/* Writes a PEM file that must not exist yet. */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, int private_key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "drgate keygen: %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (refusing to overwrite)" : "");
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    int ok = private_key
                 ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_PUBKEY(f, key);
    if (fclose(f) != 0 || ok != 1) {
        fprintf(stderr, "drgate keygen: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

static int
cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prefix = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            prefix = optarg;
            break;
        case 'c':
            break; /* accepted for uniformity; keygen needs no config */
        case 'h':
            printf("usage: drgate keygen --out PREFIX\n"
                   "Writes an Ed25519 approver key pair: PREFIX.key "
                   "(private, mode 0600) and PREFIX.pub.\n"
                   "Refuses to overwrite either file.\n");
            return 0;
        default:
            return usage_error("keygen", "unknown option");
        }
    }
    if (!prefix || optind != argc)
        return usage_error("keygen", "--out PREFIX is required");
    char *priv = dg_sprintf("%s.key", prefix);
    char *pub = dg_sprintf("%s.pub", prefix);
    int status = 1;
    EVP_PKEY *key = NULL;
    if (access(priv, F_OK) == 0 || access(pub, F_OK) == 0) {
        fprintf(stderr,
                "drgate keygen: %s or %s exists; refusing to "
                "overwrite\n",
                priv, pub);
        goto out;
    }
    key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!key) {
        fprintf(stderr, "drgate keygen: key generation failed\n");
        goto out;
    }
    if (write_pem(priv, 0600, key, 1) != 0)
        goto out;
    if (write_pem(pub, 0644, key, 0) != 0) {
        (void)unlink(priv);
        goto out;
    }
    printf("wrote %s (private, keep it secret) and %s (public: put it in "
           "approval.approvers)\n",
           priv, pub);
    status = 0;
out:
    EVP_PKEY_free(key);
    dg_free(priv);
    dg_free(pub);
    return status;
}

static int
cmd_config_reference(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return usage_error("config-reference", "takes no arguments");
    struct dg_buf b;
    dg_buf_init(&b, 1024 * 1024);
    int status = config_reference_markdown(&b) == DG_OK ? 0 : 1;
    fputs(dg_buf_str(&b), stdout);
    dg_buf_cleanup(&b);
    return status;
}

/* Commands whose machinery arrives with later parts of drgate say so
 * plainly and fail, rather than pretending. */
static int
cmd_unavailable(const char *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: drgate %s [--config FILE] ...\n", cmd);
            return 0;
        }
    fprintf(stderr, "drgate %s: not available in this build yet\n", cmd);
    return 1;
}

int
cli_main(int argc, char **argv)
{
    dg_mem_init();
    if (argc < 2)
        return usage_error(NULL, "a command is required");
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
    int sargc = argc - 1;
    char **sargv = argv + 1;
    optind = 1;
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(sargc, sargv);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(sargc, sargv);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(sargc, sargv);
    if (strcmp(cmd, "config-reference") == 0)
        return cmd_config_reference(sargc, sargv);
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "status") == 0 ||
        strcmp(cmd, "approve") == 0 || strcmp(cmd, "reject") == 0 ||
        strcmp(cmd, "audit") == 0)
        return cmd_unavailable(cmd, sargc, sargv);
    return usage_error(NULL, "unknown command");
}
