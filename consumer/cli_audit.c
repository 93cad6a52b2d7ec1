/*
 * cli_audit.c - `drgate audit verify`: checks the hash-chained audit log in
 * the store (--config) or in a sink's JSON-lines copy (--file). Prints
 * every problem (which record, what is wrong) and exits 1, or a summary
 * and 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli_internal.h"
#include "config.h"
#include "daemon.h"
#include "mem.h"
#include "store.h"

#define MAX_LINES 50

static void
summary(const char *what, const struct audit_summary *s)
{
    printf("%s: chain verifies: %zu records (%zu exact repeats), head seq "
           "%lld, head hash %s\n",
           what, s->records, s->duplicates, (long long)s->head_seq,
           s->head_hash);
}

static int
verify_file(const char *path)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "%s: cannot be read: %s\n", path, strerror(errno));
        return 1;
    }
    struct audit *a = audit_new();
    char chunk[64 * 1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        audit_feed_bytes(a, chunk, n);
    int rerr = ferror(in);
    if (in != stdin)
        fclose(in);
    if (rerr) {
        fprintf(stderr, "%s: read error\n", path);
        audit_free(a);
        return 1;
    }
    audit_feed_eof(a);
    struct dg_buf report;
    dg_buf_init(&report, 1024 * 1024);
    struct audit_summary s;
    size_t problems = audit_finish(a, &report, MAX_LINES, &s);
    audit_free(a);
    int status = 0;
    if (problems) {
        fprintf(stderr, "%s: the audit chain does NOT verify (%zu problems):\n",
                path, problems);
        fputs(dg_buf_str(&report), stderr);
        status = 1;
    } else if (s.records == 0) {
        fprintf(stderr, "%s: no events\n", path);
    } else {
        summary(path, &s);
    }
    dg_buf_cleanup(&report);
    return status;
}

static int
verify_store(const char *config)
{
    struct dg_config *cfg = cli_load_config(config);
    if (!cfg)
        return 1;
    char *path = daemon_store_path(cfg);
    config_free(cfg);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s: the store cannot be read: %s\n", path,
                strerror(errno));
        dg_free(path);
        return 1;
    }
    struct store *st = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    if (store_open(path, STORE_SYNC_FULL, &st, &err) != DG_OK) {
        fprintf(stderr, "%s\n", err.msg);
        dg_free(path);
        return 1;
    }
    struct dg_buf report;
    dg_buf_init(&report, 1024 * 1024);
    struct audit_summary s;
    size_t problems = 0;
    int status = 0;
    if (audit_verify_store(st, &report, MAX_LINES, &problems, &s, &err) !=
        DG_OK) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        status = 1;
    } else if (problems) {
        fprintf(stderr, "%s: the audit chain does NOT verify (%zu problems):\n",
                path, problems);
        fputs(dg_buf_str(&report), stderr);
        status = 1;
    } else {
        summary(path, &s);
    }
    dg_buf_cleanup(&report);
    store_close(st);
    dg_free(path);
    return status;
}

int
cli_cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *file = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'h':
            printf("usage: drgate audit verify [--config FILE | --file "
                   "EVENTS.jsonl]\n"
                   "Verifies the hash-chained audit log in the store named "
                   "by the configuration,\nor in a JSON-lines copy of the "
                   "events (the file sink's output; \"-\" is stdin).\n"
                   "Names every edited, dropped, reordered or inserted "
                   "record. Exit 0 when the\nchain verifies, 1 when it "
                   "does not.\n");
            return 0;
        default:
            return cli_usage_error("audit", "unknown option");
        }
    }
    if (optind >= argc || strcmp(argv[optind], "verify") != 0)
        return cli_usage_error("audit", "expected the subcommand 'verify'");
    if (optind + 1 != argc)
        return cli_usage_error("audit", "unexpected argument");
    if (config && file)
        return cli_usage_error("audit", "give --config or --file, not both");
    if (file)
        return verify_file(file);
    return verify_store(cli_default_config(config));
}
