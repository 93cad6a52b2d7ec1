/*
 * cli_approval.c - drgate approve / drgate reject: build and sign an
 * approval reply (approval_reply_sign) with the approver's Ed25519 private
 * key, then print it (--print, for out-of-band delivery: file source,
 * Kafka, a ticket) or publish it to approval.reply_topic_arn through
 * approval_publish_reply.
 *
 * Exit status: 0 signed (and printed or published), 1 failure (unreadable
 * or unprotected key, approver not listed, key not the listed one,
 * publishing unavailable), 2 usage error (missing or malformed option).
 * The key file must not be readable or writable by others (refused, like
 * ssh); a group-readable key gets a warning. With --config the approver
 * must be listed there and the key must match the listed public key, so a
 * mistake shows here rather than as a refused reply later.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "approval.h"
#include "cli_internal.h"
#include "clock.h"
#include "config.h"
#include "json.h"
#include "mem.h"
#include "orch_aws.h"

struct reply_opts {
    const char *config;
    const char *plan;
    const char *digest;
    const char *token;
    const char *key;
    const char *approver;
    int accept_data_loss;
    int print;
};

static int
digest_shape_ok(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
        return 0;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int
token_shape_ok(const char *t)
{
    if (strlen(t) != APPROVAL_TOKEN_LEN)
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static void
usage(const char *cmd)
{
    printf("usage: drgate %s --plan PLAN_ID --digest sha256:HEX --token TOKEN\n"
           "         --approver NAME --key NAME.key [--config FILE]%s "
           "[--print]\n"
           "Signs a %s reply with the approver's Ed25519 private key.\n"
           "  --print   print the signed reply JSON on stdout instead of "
           "publishing it\n"
           "            to approval.reply_topic_arn (deliver it yourself: "
           "file source, Kafka)\n"
           "  --config  checks that the approver is listed and the key is "
           "theirs\n",
           cmd, strcmp(cmd, "approve") == 0 ? " [--accept-data-loss]" : "",
           strcmp(cmd, "approve") == 0 ? "approval" : "rejection");
    if (strcmp(cmd, "approve") == 0)
        printf("  --accept-data-loss  required for plans that can lose data "
               "(the request says so)\n");
}

/* Returns 0 on success, 1 failure, 2 usage; -1 after --help. */
static int
parse(const char *cmd, int argc, char **argv, struct reply_opts *o)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"plan", required_argument, NULL, 'p'},
        {"digest", required_argument, NULL, 'd'},
        {"token", required_argument, NULL, 't'},
        {"key", required_argument, NULL, 'k'},
        {"approver", required_argument, NULL, 'a'},
        {"accept-data-loss", no_argument, NULL, 'L'},
        {"print", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:d:t:k:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'p':
            o->plan = optarg;
            break;
        case 'd':
            o->digest = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'a':
            o->approver = optarg;
            break;
        case 'L':
            o->accept_data_loss = 1;
            break;
        case 'P':
            o->print = 1;
            break;
        case 'h':
            usage(cmd);
            return -1;
        default:
            return cli_usage_error(cmd, "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument");
    if (!o->plan || !o->digest || !o->token || !o->key || !o->approver)
        return cli_usage_error(cmd, "--plan, --digest, --token, --approver "
                                    "and --key are required");
    if (o->accept_data_loss && strcmp(cmd, "reject") == 0)
        return cli_usage_error(cmd, "--accept-data-loss is for approve only");
    if (!*o->plan || strlen(o->plan) > 256)
        return cli_usage_error(cmd, "--plan must be a plan id");
    if (!digest_shape_ok(o->digest))
        return cli_usage_error(cmd, "--digest must be sha256: and 64 "
                                    "lower-case hex digits");
    if (!token_shape_ok(o->token))
        return cli_usage_error(cmd, "--token must be the 43-character token "
                                    "from the approval request");
    if (!*o->approver || strlen(o->approver) > 128)
        return cli_usage_error(cmd, "--approver must be a name from "
                                    "approval.approvers");
    return 0;
}

static EVP_PKEY *
load_key(const char *cmd, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "drgate %s: %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        fprintf(stderr,
                "drgate %s: %s is accessible by other users (mode %03o); "
                "refusing to use it (chmod 600 %s)\n",
                cmd, path, (unsigned)(st.st_mode & 0777), path);
        return NULL;
    }
    if (st.st_mode & (S_IRGRP | S_IWGRP))
        fprintf(stderr,
                "drgate %s: warning: %s is accessible by its group (mode "
                "%03o); chmod 600 is advised\n",
                cmd, path, (unsigned)(st.st_mode & 0777));
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "drgate %s: %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    (void)fclose(f);
    if (!k || !EVP_PKEY_is_a(k, "ED25519")) {
        ERR_clear_error();
        EVP_PKEY_free(k);
        fprintf(stderr,
                "drgate %s: %s is not an Ed25519 private key (make one with "
                "drgate keygen)\n",
                cmd, path);
        return NULL;
    }
    return k;
}

/* With a config: the approver is listed and key is theirs. 0 or 1. */
static int
check_listed(const char *cmd, const struct dg_config *cfg, const char *approver,
             EVP_PKEY *key)
{
    for (size_t i = 0; i < cfg->approval.napprovers; i++) {
        const struct cfg_approver *a = &cfg->approval.approvers[i];
        if (strcmp(a->name, approver) != 0)
            continue;
        BIO *bio = BIO_new_mem_buf(a->public_key, -1);
        EVP_PKEY *pub = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        int same = pub && EVP_PKEY_eq(pub, key) == 1;
        EVP_PKEY_free(pub);
        ERR_clear_error();
        if (!same) {
            fprintf(stderr,
                    "drgate %s: the key does not match %s's public key in "
                    "%s\n",
                    cmd, approver, cfg->path);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "drgate %s: %s is not listed in approval.approvers of %s\n",
            cmd, approver, cfg->path);
    return 1;
}

static int
reply_cmd(const char *cmd, int argc, char **argv)
{
    struct reply_opts o = {0};
    int status = parse(cmd, argc, argv, &o);
    if (status < 0)
        return 0;
    if (status != 0)
        return status;
    status = 1;
    struct dg_config *cfg = NULL;
    cJSON *reply = NULL;
    char *text = NULL;
    EVP_PKEY *key = load_key(cmd, o.key);
    if (!key)
        goto out;
    if (o.config || !o.print) {
        cfg = cli_load_config(cli_default_config(o.config));
        if (!cfg || check_listed(cmd, cfg, o.approver, key) != 0)
            goto out;
    }
    struct approval_reply_in in = {
        .plan_id = o.plan,
        .plan_digest = o.digest,
        .decision = cmd,
        .token = o.token,
        .approver = o.approver,
        .signed_ms = dg_clock_wall_ms(),
        .accept_data_loss = o.accept_data_loss,
    };
    struct dg_err err;
    dg_err_clear(&err);
    if (approval_reply_sign(&in, key, &reply, &err) != DG_OK) {
        fprintf(stderr, "drgate %s: %s\n", cmd, err.msg);
        goto out;
    }
    text = cJSON_PrintUnformatted(reply);
    if (o.print) {
        printf("%s\n", text);
        status = fflush(stdout) == 0 ? 0 : 1;
        goto out;
    }
    char *message_id = NULL;
    if (approval_publish_reply(cfg, text, &message_id, &err) != DG_OK) {
        fprintf(stderr, "drgate %s: cannot publish to %s: %s%s%s\n", cmd,
                cfg->approval.reply_topic_arn ? cfg->approval.reply_topic_arn
                                              : "approval.reply_topic_arn",
                err.code[0] ? err.code : "", err.code[0] ? ": " : "", err.msg);
        goto out;
    }
    printf("published the %s of %s by %s: MessageId %s\n", cmd, o.plan,
           o.approver, message_id);
    dg_free(message_id);
    status = 0;
out:
    dg_free(text);
    cJSON_Delete(reply);
    EVP_PKEY_free(key);
    config_free(cfg);
    return status;
}

dg_rc
approval_publish_reply(const struct dg_config *cfg, const char *reply_json,
                       char **message_id, struct dg_err *err)
{
    cJSON *r = cJSON_Parse(reply_json);
    const char *plan_id = dg_json_str(r, "plan_id");
    const char *decision = dg_json_str(r, "decision");
    char subject[96];
    snprintf(subject, sizeof(subject), "drgate %s", decision ? decision : "");
    dg_rc rc = orch_aws_publish_once(cfg, cfg->approval.reply_topic_arn,
                                     subject, reply_json, "drgate.approval",
                                     plan_id, message_id, err);
    cJSON_Delete(r);
    return rc;
}

int
cli_cmd_approve(int argc, char **argv)
{
    return reply_cmd("approve", argc, argv);
}

int
cli_cmd_reject(int argc, char **argv)
{
    return reply_cmd("reject", argc, argv);
}
