/*
 * config.c - the drgate.json model: option tables, validators, cross-field
 * rules, the typed model, the redacted dump and the Markdown reference.
 *
 * Every section and adapter type declares its options in a table below;
 * options.c applies the tables (types, bounds, defaults, unknown keys) and
 * this file adds what a single option cannot know (quorum against the number
 * of signals, probe names, runbook files, loopback endpoints).
 *
 * Ownership: config_parse/config_load return a dg_config that owns every
 * string and the effective cJSON tree; config_free releases it all.
 * Errors: DG_EINVALID with one "FILE: /json/pointer: problem (got X)" line
 * per problem appended to the caller's buffer; all problems are reported
 * at once. Secret values never appear in a message. Nothing here logs.
 *
 * DESIGN: validation runs in two passes over the input. The table pass
 * builds the effective tree (defaults filled); cross-checks then read only
 * that tree, in which every present value has already passed its own
 * checks, so they need no type tests. The typed model is filled only from a
 * tree without errors.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "json.h"
#include "mem.h"
#include "options.h"

#define CFG_FILE_MAX (1024 * 1024)
#define CFG_DEFAULT_REGION "us-west-2"

/* ---- validators --------------------------------------------------------- */

static int
all_chars(const char *s, const char *extra)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) || (unsigned char)*s > 0x7f)
            if (!strchr(extra, *s))
                return 0;
    return 1;
}

static size_t
span_lower(const char *s)
{
    size_t n = 0;
    while (s[n] >= 'a' && s[n] <= 'z')
        n++;
    return n;
}

int
config_region_valid(const char *r)
{
    if (!r || strlen(r) > 32 || span_lower(r) != 2)
        return 0;
    const char *p = r + 2;
    if (strncmp(p, "-gov-", 5) == 0) {
        p += 4;
    } else if (strncmp(p, "-iso", 4) == 0) {
        p += 4;
        if (*p >= 'a' && *p <= 'z')
            p++;
        if (*p != '-')
            return 0;
    }
    if (*p++ != '-')
        return 0;
    size_t n = span_lower(p);
    if (n == 0 || p[n] != '-')
        return 0;
    p += n + 1;
    size_t d = 0;
    while (p[d] >= '0' && p[d] <= '9')
        d++;
    return (d == 1 || d == 2) && p[d] == '\0';
}

/* Parses HOST[:PORT] at s: a bracketed IPv6 literal or a host name. Sets
 * *end past it, *port (-1 when absent); returns the host length, 0 when
 * malformed. */
static size_t
parse_hostport(const char *s, const char **end, long *port)
{
    size_t n = 0;
    if (s[0] == '[') {
        n = 1 + strspn(s + 1, "0123456789abcdefABCDEF:.");
        if (s[n] != ']' || n == 1)
            return 0;
        n++;
    } else {
        n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789.-_");
        if (n == 0)
            return 0;
    }
    const char *p = s + n;
    *port = -1;
    if (*p == ':') {
        size_t d = strspn(p + 1, "0123456789");
        if (d == 0 || d > 5)
            return 0;
        *port = strtol(p + 1, NULL, 10);
        if (*port > 65535)
            return 0;
        p += 1 + d;
    }
    *end = p;
    return n;
}

/* scheme://host[:port][/rest] with no white space or control characters. */
static int
url_ok(const char *s, const char *scheme, const char **host, size_t *hostlen)
{
    size_t sl = strlen(scheme);
    if (strncmp(s, scheme, sl) != 0)
        return 0;
    const char *end;
    long port;
    size_t n = parse_hostport(s + sl, &end, &port);
    if (n == 0 || port == 0 || (*end && *end != '/' && *end != '?'))
        return 0;
    for (const char *p = end; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    if (host) {
        *host = s + sl;
        *hostlen = n;
    }
    return 1;
}

static const char *
check_http_url(const char *s)
{
    if (url_ok(s, "https://", NULL, NULL) || url_ok(s, "http://", NULL, NULL))
        return NULL;
    return "must be an http:// or https:// URL";
}

static const char *
check_listen(const char *s)
{
    const char *end;
    long port;
    if (parse_hostport(s, &end, &port) == 0 || port < 0 || *end)
        return "must be HOST:PORT with a port between 0 and 65535";
    return NULL;
}

static const char *
check_probe_target(const char *s)
{
    const char *end;
    long port;
    if (strncmp(s, "tcp://", 6) == 0 &&
        parse_hostport(s + 6, &end, &port) > 0 && port > 0 && !*end)
        return NULL;
    if (url_ok(s, "https://", NULL, NULL) || url_ok(s, "http://", NULL, NULL))
        return NULL;
    return "must be tcp://HOST:PORT or an http:// or https:// URL";
}

static const char *
check_brokers(const char *s)
{
    const char *p = s;
    for (;;) {
        const char *end;
        long port;
        if (parse_hostport(p, &end, &port) == 0 || port <= 0)
            break;
        if (*end == '\0')
            return NULL;
        if (*end != ',')
            break;
        p = end + 1;
    }
    return "must be a comma-separated list of HOST:PORT";
}

static const char *
check_topic(const char *s)
{
    if (strlen(s) <= 249 && all_chars(s, "._-"))
        return NULL;
    return "must be a Kafka topic name ([A-Za-z0-9._-], at most 249)";
}

static const char *
check_name(const char *s)
{
    return all_chars(s, "_.-") ? NULL
                               : "may only contain A-Z, a-z, 0-9, '_', '.' "
                                 "and '-'";
}

static const char *
check_var_name(const char *s)
{
    return all_chars(s, "_") ? NULL
                             : "variable names may only contain A-Z, a-z, "
                               "0-9 and '_'";
}

static const char *
check_region(const char *s)
{
    return config_region_valid(s) ? NULL
                                  : "must be an AWS region code such as "
                                    "\"us-east-1\"";
}

static const char *const aws_services[] = {
    "sqs",     "sns",    "rds",      "elasticache",
    "route53", "ecs",    "ssm",      "cloudformation",
    "sts",     "events", "dynamodb", "cloudwatch",
    "sso",
};

static const char *
check_aws_service(const char *s)
{
    for (size_t i = 0; i < sizeof(aws_services) / sizeof(*aws_services); i++)
        if (strcmp(s, aws_services[i]) == 0)
            return NULL;
    return "unknown AWS service (known: sqs, sns, rds, elasticache, route53, "
           "ecs, ssm, cloudformation, sts, events, dynamodb, cloudwatch, sso)";
}

/* arn:PARTITION:sns:REGION:ACCOUNT(12 digits):NAME[.fifo] */
static const char *
check_sns_arn(const char *s)
{
    static const char *bad = "must be an SNS topic ARN "
                             "(arn:aws:sns:REGION:ACCOUNT:TOPIC)";
    if (strncmp(s, "arn:", 4) != 0)
        return bad;
    const char *p = s + 4;
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
    if (n < 3 || strncmp(p, "aws", 3) != 0 || strncmp(p + n, ":sns:", 5) != 0)
        return bad;
    p += n + 5;
    const char *colon = strchr(p, ':');
    if (!colon || colon - p > 32)
        return bad;
    char region[33];
    memcpy(region, p, (size_t)(colon - p));
    region[colon - p] = '\0';
    if (!config_region_valid(region))
        return bad;
    p = colon + 1;
    if (strspn(p, "0123456789") != 12 || p[12] != ':')
        return bad;
    p += 13;
    size_t len = strlen(p);
    if (len > 5 && strcmp(p + len - 5, ".fifo") == 0)
        len -= 5;
    if (len == 0 || len > 256)
        return bad;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
            return bad;
    return NULL;
}

static const char *
check_ed25519_pem(const char *s)
{
    static const char *bad = "must be a PEM Ed25519 public key "
                             "(-----BEGIN PUBLIC KEY-----)";
    BIO *bio = BIO_new_mem_buf(s, -1);
    if (!bio)
        return bad;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    int ok = key && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519;
    EVP_PKEY_free(key);
    BIO_free(bio);
    ERR_clear_error();
    return ok ? NULL : bad;
}

/* 127.0.0.0/8, localhost, [::1]. */
static int
host_is_loopback(const char *h, size_t n)
{
    if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
        (n == 5 && strncmp(h, "[::1]", 5) == 0))
        return 1;
    if (n < 7 || strncmp(h, "127.", 4) != 0)
        return 0;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == '.')
            dots++;
        else if (!isdigit((unsigned char)h[i]))
            return 0;
    }
    return dots == 3;
}

static int
url_is_loopback(const char *url)
{
    const char *host;
    size_t n;
    if (!url_ok(url, "http://", &host, &n) &&
        !url_ok(url, "https://", &host, &n))
        return 0;
    return host_is_loopback(host, n);
}

/* ---- option tables ------------------------------------------------------ */

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))
#define TABLE(name, opts)                                                      \
    {                                                                          \
        name, opts, NOPTS(opts), NULL, NULL, 0                                 \
    }

static const struct cfg_opt service_opts[] = {
    {.key = "name",
     .type = CFG_STRING,
     .def = "\"drgate\"",
     .check = check_name,
     .desc = "Service name used in events and logs."},
    {.key = "state_dir",
     .type = CFG_STRING,
     .def = "\"/var/lib/drgate\"",
     .desc = "Directory for the store and other state."},
    {.key = "http_listen",
     .type = CFG_STRING,
     .def = "\"127.0.0.1:9464\"",
     .check = check_listen,
     .desc = "HOST:PORT of the health/metrics endpoint; port 0 = ephemeral."},
    {.key = "http_allow_remote",
     .type = CFG_BOOL,
     .def = "false",
     .desc = "Allow http_listen on an address that is not loopback."},
    {.key = "log_level",
     .type = CFG_ENUM,
     .def = "\"info\"",
     .choices = "debug|info|warn|error",
     .desc = "Lowest level logged."},
};

static const struct cfg_opt aws_opts[] = {
    {.key = "region",
     .type = CFG_STRING,
     .flags = CFG_DEF_REGION,
     .def = "\"" CFG_DEFAULT_REGION "\"",
     .check = check_region,
     .doc_default = "$AWS_REGION if valid, else `\"us-west-2\"`",
     .desc = "Region of drgate's own AWS calls (queues, topics)."},
    {.key = "endpoints",
     .type = CFG_MAP,
     .max = 32,
     .check = check_http_url,
     .check_key = check_aws_service,
     .desc = "Per-service endpoint overrides: service name to http(s) URL."},
    {.key = "max_attempts",
     .type = CFG_INT,
     .def = "3",
     .min = 1,
     .max = 10,
     .desc = "Attempts per AWS call, retries included."},
};

static const struct cfg_opt store_opts[] = {
    {.key = "path",
     .type = CFG_STRING,
     .def = "\"drgate.db\"",
     .desc = "SQLite database, relative to service.state_dir."},
};

static const struct cfg_opt src_sqs_opts[] = {
    {.key = "queue_url",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_http_url,
     .desc = "URL of the SQS queue to consume."},
    {.key = "wait_seconds",
     .type = CFG_INT,
     .def = "20",
     .min = 0,
     .max = 20,
     .desc = "Long-poll wait per ReceiveMessage."},
    {.key = "max_messages",
     .type = CFG_INT,
     .def = "10",
     .min = 1,
     .max = 10,
     .desc = "Messages per ReceiveMessage."},
    {.key = "visibility_timeout",
     .type = CFG_INT,
     .def = "60",
     .min = 0,
     .max = 43200,
     .desc = "Seconds a received message stays invisible."},
    {.key = "in_flight",
     .type = CFG_INT,
     .def = "2",
     .min = 1,
     .max = 16,
     .desc = "Concurrent ReceiveMessage calls."},
};

static const struct cfg_opt src_kafka_opts[] = {
    {.key = "brokers",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_brokers,
     .desc = "Bootstrap brokers, HOST:PORT,..."},
    {.key = "topic",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_topic,
     .desc = "Topic to consume."},
    {.key = "group_id",
     .type = CFG_STRING,
     .def = "\"drgate\"",
     .desc = "Consumer group id."},
    {.key = "properties",
     .type = CFG_MAP,
     .flags = CFG_SECRET,
     .max = 128,
     .desc = "Extra librdkafka properties (e.g. sasl.password); redacted."},
};

static const struct cfg_opt src_file_opts[] = {
    {.key = "path",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .desc = "JSON-lines file to read; \"-\" is stdin."},
    {.key = "follow",
     .type = CFG_BOOL,
     .def = "false",
     .desc = "Keep reading as the file grows."},
};

static const struct cfg_opt src_probe_opts[] = {
    {.key = "name",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_name,
     .desc = "Probe name that signals match on."},
    {.key = "region",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_region,
     .desc = "Region the probed target lives in."},
    {.key = "target",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_probe_target,
     .desc = "tcp://HOST:PORT, or an http(s) URL that must answer 2xx."},
    {.key = "interval_seconds",
     .type = CFG_INT,
     .def = "10",
     .min = 1,
     .max = 3600,
     .desc = "Seconds between probes."},
    {.key = "timeout_ms",
     .type = CFG_INT,
     .def = "2000",
     .min = 10,
     .max = 60000,
     .desc = "Probe timeout; less than the interval."},
    {.key = "ca_file",
     .type = CFG_STRING,
     .max = 4096,
     .desc = "https:// only: PEM CA bundle trusted instead of the system "
             "store (a private CA); relative to the config."},
};

static const struct cfg_table src_sqs = TABLE("sqs", src_sqs_opts);
static const struct cfg_table src_kafka = TABLE("kafka", src_kafka_opts);
static const struct cfg_table src_file = TABLE("file", src_file_opts);
static const struct cfg_table src_probe = TABLE("probe", src_probe_opts);
static const struct cfg_table *const source_variants[] = {
    &src_sqs, &src_kafka, &src_file, &src_probe};
static const struct cfg_table source_table = {
    "sources[]", NULL, 0, "type", source_variants, NOPTS(source_variants)};

static const struct cfg_opt sink_sns_opts[] = {
    {.key = "topic_arn",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_sns_arn,
     .desc = "SNS topic that receives the events."},
};

static const struct cfg_opt sink_kafka_opts[] = {
    {.key = "brokers",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_brokers,
     .desc = "Bootstrap brokers, HOST:PORT,..."},
    {.key = "topic",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_topic,
     .desc = "Topic the events are produced to."},
    {.key = "properties",
     .type = CFG_MAP,
     .flags = CFG_SECRET,
     .max = 128,
     .desc = "Extra librdkafka properties (e.g. sasl.password); redacted."},
};

static const struct cfg_opt sink_file_opts[] = {
    {.key = "path",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .desc = "JSON-lines file the events are appended to."},
    {.key = "fsync",
     .type = CFG_ENUM,
     .def = "\"batch\"",
     .choices = "always|batch|never",
     .desc = "When to fsync: every event, every drained batch, or never."},
};

static const struct cfg_table sink_sns = TABLE("sns", sink_sns_opts);
static const struct cfg_table sink_kafka = TABLE("kafka", sink_kafka_opts);
static const struct cfg_table sink_file = TABLE("file", sink_file_opts);
static const struct cfg_table *const sink_variants[] = {&sink_sns, &sink_kafka,
                                                        &sink_file};
static const struct cfg_table sink_table = {
    "sinks[]", NULL, 0, "type", sink_variants, NOPTS(sink_variants)};

static const struct cfg_opt topology_opts[] = {
    {.key = "primary_region",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_region,
     .desc = "Region that normally serves."},
    {.key = "secondary_region",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_region,
     .desc = "Failover region; differs from primary."},
    {.key = "variables",
     .type = CFG_MAP,
     .max = 256,
     .check_key = check_var_name,
     .desc = "${name} values for runbooks; names [A-Za-z0-9_]+."},
};

static const struct cfg_opt match_cw_opts[] = {
    {.key = "alarm_name",
     .type = CFG_STRING,
     .desc = "CloudWatch alarm name; unset matches any."},
    {.key = "region",
     .type = CFG_STRING,
     .check = check_region,
     .desc = "Alarm region; unset matches any."},
};

static const struct cfg_opt match_health_opts[] = {
    {.key = "service",
     .type = CFG_STRING,
     .desc = "AWS Health service, e.g. \"RDS\"; unset matches any."},
    {.key = "event_type",
     .type = CFG_STRING,
     .desc = "AWS Health eventTypeCode; unset matches any."},
    {.key = "region",
     .type = CFG_STRING,
     .check = check_region,
     .desc = "Event region; unset matches any."},
};

static const struct cfg_opt match_probe_opts[] = {
    {.key = "probe",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_name,
     .desc = "Name of a configured probe source."},
};

static const struct cfg_table match_cw = TABLE("cloudwatch", match_cw_opts);
static const struct cfg_table match_health =
    TABLE("aws.health", match_health_opts);
static const struct cfg_table match_probe = TABLE("probe", match_probe_opts);
static const struct cfg_table *const match_variants[] = {
    &match_cw, &match_health, &match_probe};
static const struct cfg_table match_table = {
    "match", NULL, 0, "source", match_variants, NOPTS(match_variants)};

static const struct cfg_opt signal_opts[] = {
    {.key = "name",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_name,
     .desc = "Unique signal name."},
    {.key = "match",
     .type = CFG_OBJECT,
     .flags = CFG_REQUIRED,
     .sub = &match_table,
     .desc = "Which signals count, by source."},
    {.key = "unreachable",
     .type = CFG_BOOL,
     .def = "false",
     .desc = "While failing, the primary counts as unreachable (unplanned)."},
};
static const struct cfg_table signal_table =
    TABLE("policy.signals[]", signal_opts);

static const struct cfg_opt runbooks_opts[] = {
    {.key = "planned",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .desc = "Runbook for a reachable primary; relative to the config."},
    {.key = "unplanned",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .desc = "Runbook for an unreachable primary; relative to the config."},
};
static const struct cfg_table runbooks_table =
    TABLE("policy.runbooks", runbooks_opts);

static const struct cfg_opt policy_opts[] = {
    {.key = "signals",
     .type = CFG_ARRAY,
     .flags = CFG_REQUIRED | CFG_NONEMPTY,
     .max = 64,
     .sub = &signal_table,
     .desc = "Signals that count."},
    {.key = "quorum",
     .type = CFG_INT,
     .flags = CFG_REQUIRED,
     .min = 1,
     .max = 64,
     .desc = "Failing signals needed; at most the signal count."},
    {.key = "sustain_seconds",
     .type = CFG_INT,
     .def = "30",
     .min = 0,
     .max = 86400,
     .desc = "Seconds each signal must fail without a break."},
    {.key = "recover_seconds",
     .type = CFG_INT,
     .def = "300",
     .min = 0,
     .max = 86400,
     .desc = "Seconds all signals must be OK to recover."},
    {.key = "cooldown_seconds",
     .type = CFG_INT,
     .def = "3600",
     .min = 0,
     .max = 604800,
     .desc = "No new plan for this long after a proposal."},
    {.key = "insufficient_data",
     .type = CFG_ENUM,
     .def = "\"ignore\"",
     .choices = "ignore|failing",
     .desc = "How INSUFFICIENT_DATA alarm states count."},
    {.key = "runbooks",
     .type = CFG_OBJECT,
     .flags = CFG_REQUIRED,
     .sub = &runbooks_table,
     .desc = "Runbook files per plan class."},
};

static const struct cfg_opt approver_opts[] = {
    {.key = "name",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_name,
     .desc = "Unique approver name."},
    {.key = "public_key",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .max = 8192,
     .check = check_ed25519_pem,
     .desc = "Ed25519 public key, PEM (BEGIN PUBLIC KEY)."},
};
static const struct cfg_table approver_table =
    TABLE("approval.approvers[]", approver_opts);

static const struct cfg_opt aquorum_opts[] = {
    {.key = "planned",
     .type = CFG_INT,
     .def = "1",
     .min = 1,
     .max = 64,
     .desc = "Approvals needed for a planned plan."},
    {.key = "unplanned",
     .type = CFG_INT,
     .def = "2",
     .min = 1,
     .max = 64,
     .desc = "Approvals needed for an unplanned plan."},
};
static const struct cfg_table aquorum_table =
    TABLE("approval.quorum", aquorum_opts);

static const struct cfg_opt approval_opts[] = {
    {.key = "ttl_seconds",
     .type = CFG_INT,
     .def = "1800",
     .min = 60,
     .max = 86400,
     .desc = "Lifetime of an approval request."},
    {.key = "request_topic_arn",
     .type = CFG_STRING,
     .flags = CFG_REQUIRED,
     .check = check_sns_arn,
     .desc = "SNS topic approval requests go to."},
    {.key = "reply_topic_arn",
     .type = CFG_STRING,
     .check = check_sns_arn,
     .desc = "SNS topic `drgate approve` and `drgate reject` publish to."},
    {.key = "approvers",
     .type = CFG_ARRAY,
     .flags = CFG_REQUIRED | CFG_NONEMPTY,
     .max = 64,
     .sub = &approver_table,
     .desc = "Who may approve."},
    {.key = "quorum",
     .type = CFG_OBJECT,
     .sub = &aquorum_table,
     .desc = "Distinct approvals needed per plan class."},
    {.key = "verify_sns_signatures",
     .type = CFG_BOOL,
     .def = "true",
     .desc = "Verify SNS signatures of replies; false needs loopback "
             "endpoints."},
};

static const struct cfg_table service_table = TABLE("service", service_opts);
static const struct cfg_table aws_table = TABLE("aws", aws_opts);
static const struct cfg_table store_table = TABLE("store", store_opts);
static const struct cfg_table topology_table = TABLE("topology", topology_opts);
static const struct cfg_table policy_table = TABLE("policy", policy_opts);
static const struct cfg_table approval_table = TABLE("approval", approval_opts);

static const struct cfg_opt root_opts[] = {
    {.key = "service",
     .type = CFG_OBJECT,
     .sub = &service_table,
     .desc = "The daemon itself."},
    {.key = "aws",
     .type = CFG_OBJECT,
     .sub = &aws_table,
     .desc = "AWS client settings."},
    {.key = "store",
     .type = CFG_OBJECT,
     .sub = &store_table,
     .desc = "The SQLite state store."},
    {.key = "sources",
     .type = CFG_ARRAY,
     .max = 32,
     .sub = &source_table,
     .desc = "Where signals and replies come from."},
    {.key = "sinks",
     .type = CFG_ARRAY,
     .max = 32,
     .sub = &sink_table,
     .desc = "Where events go."},
    {.key = "topology",
     .type = CFG_OBJECT,
     .flags = CFG_REQUIRED,
     .sub = &topology_table,
     .desc = "The regions."},
    {.key = "policy",
     .type = CFG_OBJECT,
     .flags = CFG_REQUIRED,
     .sub = &policy_table,
     .desc = "When to propose a plan."},
    {.key = "approval",
     .type = CFG_OBJECT,
     .flags = CFG_REQUIRED,
     .sub = &approval_table,
     .desc = "The approval gate."},
};
static const struct cfg_table root_table = TABLE("", root_opts);

/* ---- cross-field rules -------------------------------------------------- */

/* Points the context at an absolute pointer built from fmt. Only for
 * pointers whose tokens need no escaping (fixed keys, indexes, validated
 * names). */
static void at(struct cfg_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
at(struct cfg_ctx *c, const char *fmt, ...)
{
    char p[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof(p), fmt, ap);
    va_end(ap);
    cfg_ptr_pop(c, 0);
    dg_buf_addstr(&c->ptr, p);
}

static const cJSON *
get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static long long
get_int(const cJSON *o, const char *key, long long dflt)
{
    long long v;
    return dg_json_int(o, key, &v) ? v : dflt;
}

static void
check_topology(struct cfg_ctx *c, const cJSON *eff)
{
    const cJSON *t = get(eff, "topology");
    const char *p = dg_json_str(t, "primary_region");
    const char *s = dg_json_str(t, "secondary_region");
    if (p && s && strcmp(p, s) == 0) {
        at(c, "/topology/secondary_region");
        cfg_fail(c, get(t, "secondary_region"), 0,
                 "must differ from primary_region");
    }
}

/* Reports element e (index i of arr, at where/i) when its "name" repeats an
 * earlier element's; with type, only elements of that "type" count. */
static void
check_name_unique(struct cfg_ctx *c, const cJSON *arr, const cJSON *e, int i,
                  const char *where, const char *what, const char *type)
{
    const char *name = dg_json_str(e, "name");
    int j = 0;
    for (const cJSON *o = arr->child; name && o != e; o = o->next, j++) {
        const char *on = dg_json_str(o, "name");
        const char *ot = type ? dg_json_str(o, "type") : NULL;
        if (on && strcmp(on, name) == 0 &&
            (!type || (ot && strcmp(ot, type) == 0))) {
            at(c, "%s/%d/name", where, i);
            cfg_fail(c, get(e, "name"), 0, "duplicate %s name (first at %s/%d)",
                     what, where, j);
            break;
        }
    }
}

/* Reports every later element of arr whose "name" repeats an earlier one. */
static void
check_unique_names(struct cfg_ctx *c, const cJSON *arr, const char *where,
                   const char *what)
{
    int i = 0;
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next, i++)
        check_name_unique(c, arr, e, i, where, what, NULL);
}

static char *resolve_path(const char *dir, const char *rel);

/* Why path cannot be read as a regular file, or NULL when it can. */
static const char *
file_problem(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return strerror(errno);
    if (!S_ISREG(st.st_mode))
        return "not a regular file";
    if (access(path, R_OK) != 0)
        return strerror(errno);
    return NULL;
}

/* A probe's ca_file: only for https:// targets, a readable regular file
 * holding at least one PEM certificate. */
static void
check_ca_file(struct cfg_ctx *c, const cJSON *s, int i, const char *dir)
{
    const char *rel = dg_json_str(s, "ca_file");
    if (!rel)
        return;
    const char *target = dg_json_str(s, "target");
    at(c, "/sources/%d/ca_file", i);
    if (target && strncmp(target, "https://", 8) != 0) {
        cfg_fail(c, get(s, "ca_file"), 0,
                 "only allowed for an https:// target");
        return;
    }
    char *path = resolve_path(dir, rel);
    const char *problem = file_problem(path);
    if (!problem) {
        BIO *bio = BIO_new_file(path, "r");
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        if (!x)
            problem = "no PEM certificate in it";
        X509_free(x);
        BIO_free(bio);
        ERR_clear_error();
    }
    if (problem)
        cfg_fail(c, get(s, "ca_file"), 0, "cannot use CA file %s: %s", path,
                 problem);
    dg_free(path);
}

/* Probe timeouts, unique probe names, CA files. */
static void
check_sources(struct cfg_ctx *c, const cJSON *eff, const char *dir)
{
    const cJSON *src = get(eff, "sources");
    int i = 0;
    for (const cJSON *s = src ? src->child : NULL; s; s = s->next, i++) {
        const char *type = dg_json_str(s, "type");
        if (!type || strcmp(type, "probe") != 0)
            continue;
        long long iv = get_int(s, "interval_seconds", -1);
        long long to = get_int(s, "timeout_ms", -1);
        if (iv > 0 && to > 0 && to >= iv * 1000) {
            at(c, "/sources/%d/timeout_ms", i);
            cfg_fail(c, get(s, "timeout_ms"), 0,
                     "must be less than interval_seconds (%lld ms)", iv * 1000);
        }
        check_name_unique(c, src, s, i, "/sources", "probe", "probe");
        check_ca_file(c, s, i, dir);
    }
}

/* 1 when a probe source has this name; also 1 when the sources could not
 * be read completely (their errors are reported already, a second error
 * here would only be a consequence). */
static int
probe_exists(const cJSON *eff, const char *name)
{
    const cJSON *src = get(eff, "sources");
    if (!src)
        return 1;
    for (const cJSON *s = src->child; s; s = s->next) {
        const char *type = dg_json_str(s, "type");
        const char *n = dg_json_str(s, "name");
        if (!type || (strcmp(type, "probe") == 0 && !n))
            return 1;
        if (n && strcmp(type, "probe") == 0 && strcmp(n, name) == 0)
            return 1;
    }
    return 0;
}

static char *
resolve_path(const char *dir, const char *rel)
{
    if (rel[0] == '/')
        return dg_strdup(rel);
    return dg_sprintf("%s/%s", dir, rel);
}

static void
check_runbook(struct cfg_ctx *c, const char *dir, const cJSON *rb,
              const char *key)
{
    const char *rel = dg_json_str(rb, key);
    if (!rel)
        return;
    char *path = resolve_path(dir, rel);
    const char *problem = file_problem(path);
    if (problem) {
        at(c, "/policy/runbooks/%s", key);
        cfg_fail(c, get(rb, key), 0, "cannot read runbook %s: %s", path,
                 problem);
    }
    dg_free(path);
}

static void
check_policy(struct cfg_ctx *c, const cJSON *eff, const char *dir)
{
    const cJSON *pol = get(eff, "policy");
    const cJSON *sigs = get(pol, "signals");
    check_unique_names(c, sigs, "/policy/signals", "signal");
    int i = 0;
    for (const cJSON *s = sigs ? sigs->child : NULL; s; s = s->next, i++) {
        const char *probe = dg_json_str(get(s, "match"), "probe");
        if (probe && !probe_exists(eff, probe)) {
            at(c, "/policy/signals/%d/match/probe", i);
            cfg_fail(c, get(get(s, "match"), "probe"), 0,
                     "names no probe in /sources");
        }
    }
    long long q = get_int(pol, "quorum", -1);
    int n = cJSON_GetArraySize(sigs);
    if (sigs && q > n) {
        at(c, "/policy/quorum");
        cfg_fail(c, get(pol, "quorum"), 0,
                 "must be at most the number of signals (%d)", n);
    }
    const cJSON *rb = get(pol, "runbooks");
    check_runbook(c, dir, rb, "planned");
    check_runbook(c, dir, rb, "unplanned");
}

static void
check_approval(struct cfg_ctx *c, const cJSON *in, const cJSON *eff)
{
    const cJSON *ap = get(eff, "approval");
    const cJSON *ars = get(ap, "approvers");
    check_unique_names(c, ars, "/approval/approvers", "approver");
    int n = cJSON_GetArraySize(ars);
    static const char *const classes[] = {"planned", "unplanned"};
    for (size_t k = 0; ars && k < 2; k++) {
        long long q = get_int(get(ap, "quorum"), classes[k], -1);
        if (q <= n)
            continue;
        at(c, "/approval/quorum/%s", classes[k]);
        if (get(get(get(in, "approval"), "quorum"), classes[k]))
            cfg_fail(c, get(get(ap, "quorum"), classes[k]), 0,
                     "must be at most the number of approvers (%d)", n);
        else
            cfg_fail(c, NULL, 0,
                     "must be at most the number of approvers (%d) (got "
                     "%lld, the default)",
                     n, q);
    }
    if (!cJSON_IsFalse(get(ap, "verify_sns_signatures")))
        return;
    const cJSON *eps = get(get(eff, "aws"), "endpoints");
    if (!eps)
        return; /* endpoints invalid: already reported */
    if (!eps->child) {
        at(c, "/approval/verify_sns_signatures");
        cfg_fail(c, NULL, 0,
                 "false needs loopback endpoints in /aws/endpoints (there "
                 "are none)");
    }
    for (const cJSON *e = eps->child; e; e = e->next) {
        if (url_is_loopback(e->valuestring))
            continue;
        at(c, "/aws/endpoints/%s", e->string);
        cfg_fail(c, e, 0,
                 "must be a loopback URL while "
                 "/approval/verify_sns_signatures is false");
    }
}

/* ---- the typed model ---------------------------------------------------- */

/* The model's strings copied from one section's key: fill_model sets them,
 * config_free frees them. */
#define MODEL_STR(section, key, member)                                        \
    {                                                                          \
        section, key, offsetof(struct dg_config, member)                       \
    }
static const struct {
    const char *section;
    const char *key;
    size_t off;
} model_strs[] = {
    MODEL_STR("service", "name", service.name),
    MODEL_STR("service", "state_dir", service.state_dir),
    MODEL_STR("service", "http_listen", service.http_listen),
    MODEL_STR("service", "log_level", service.log_level),
    MODEL_STR("aws", "region", aws.region),
    MODEL_STR("store", "path", store.path),
    MODEL_STR("topology", "primary_region", topology.primary_region),
    MODEL_STR("topology", "secondary_region", topology.secondary_region),
    MODEL_STR("approval", "request_topic_arn", approval.request_topic_arn),
    MODEL_STR("approval", "reply_topic_arn", approval.reply_topic_arn),
};

/* A signal's strings copied from its "match" object ("name" is the
 * signal's own). */
static const struct {
    const char *key;
    size_t off;
} signal_strs[] = {
    {"source", offsetof(struct cfg_signal, source)},
    {"alarm_name", offsetof(struct cfg_signal, alarm_name)},
    {"region", offsetof(struct cfg_signal, region)},
    {"service", offsetof(struct cfg_signal, service)},
    {"event_type", offsetof(struct cfg_signal, event_type)},
    {"probe", offsetof(struct cfg_signal, probe)},
};

static char **
str_at(void *base, size_t off)
{
    return (char **)(void *)((char *)base + off);
}

static char *
dup_str(const cJSON *o, const char *key)
{
    return dg_strdup(dg_json_str(o, key));
}

static int
int_of(const cJSON *o, const char *key)
{
    return (int)get_int(o, key, 0);
}

static struct cfg_kv *
kv_of(const cJSON *map, size_t *n)
{
    *n = (size_t)cJSON_GetArraySize(map);
    struct cfg_kv *kv = dg_calloc(*n, sizeof(*kv));
    size_t i = 0;
    for (const cJSON *e = map ? map->child : NULL; e; e = e->next, i++) {
        kv[i].name = dg_strdup(e->string);
        kv[i].value = dg_strdup(e->valuestring);
    }
    return kv;
}

static struct cfg_io *
io_of(const cJSON *arr, const char *where, size_t *n)
{
    *n = (size_t)cJSON_GetArraySize(arr);
    struct cfg_io *io = dg_calloc(*n, sizeof(*io));
    size_t i = 0;
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next, i++) {
        io[i].type = dup_str(e, "type");
        io[i].conf = cJSON_Duplicate(e, 1);
        io[i].ptr = dg_sprintf("/%s/%zu", where, i);
    }
    return io;
}

static void
fill_model(struct dg_config *cfg, const cJSON *eff)
{
    for (size_t k = 0; k < NOPTS(model_strs); k++)
        *str_at(cfg, model_strs[k].off) =
            dup_str(get(eff, model_strs[k].section), model_strs[k].key);

    const cJSON *s = get(eff, "service");
    cfg->service.http_allow_remote = cJSON_IsTrue(get(s, "http_allow_remote"));

    const cJSON *a = get(eff, "aws");
    cfg->aws.endpoints = kv_of(get(a, "endpoints"), &cfg->aws.nendpoints);
    cfg->aws.max_attempts = int_of(a, "max_attempts");

    cfg->sources = io_of(get(eff, "sources"), "sources", &cfg->nsources);
    for (size_t i = 0; i < cfg->nsources; i++) {
        /* A probe's ca_file reaches the adapter resolved. */
        cJSON *conf = cfg->sources[i].conf;
        const char *ca = dg_json_str(conf, "ca_file");
        if (ca && ca[0] != '/') {
            char *abs = resolve_path(cfg->dir, ca);
            cJSON_ReplaceItemInObjectCaseSensitive(conf, "ca_file",
                                                   cJSON_CreateString(abs));
            dg_free(abs);
        }
    }
    cfg->sinks = io_of(get(eff, "sinks"), "sinks", &cfg->nsinks);

    const cJSON *t = get(eff, "topology");
    cfg->topology.variables =
        kv_of(get(t, "variables"), &cfg->topology.nvariables);

    const cJSON *p = get(eff, "policy");
    const cJSON *sigs = get(p, "signals");
    struct cfg_policy *pol = &cfg->policy;
    pol->nsignals = (size_t)cJSON_GetArraySize(sigs);
    pol->signals = dg_calloc(pol->nsignals, sizeof(*pol->signals));
    size_t i = 0;
    for (const cJSON *e = sigs->child; e; e = e->next, i++) {
        struct cfg_signal *sig = &pol->signals[i];
        const cJSON *m = get(e, "match");
        sig->name = dup_str(e, "name");
        for (size_t k = 0; k < NOPTS(signal_strs); k++)
            *str_at(sig, signal_strs[k].off) = dup_str(m, signal_strs[k].key);
        sig->unreachable = cJSON_IsTrue(get(e, "unreachable"));
    }
    pol->quorum = int_of(p, "quorum");
    pol->sustain_seconds = int_of(p, "sustain_seconds");
    pol->recover_seconds = int_of(p, "recover_seconds");
    pol->cooldown_seconds = int_of(p, "cooldown_seconds");
    const char *ins = dg_json_str(p, "insufficient_data");
    pol->insufficient_data = ins && strcmp(ins, "failing") == 0
                                 ? CFG_INSUFFICIENT_FAILING
                                 : CFG_INSUFFICIENT_IGNORE;
    const cJSON *rb = get(p, "runbooks");
    pol->runbook_planned = resolve_path(cfg->dir, dg_json_str(rb, "planned"));
    pol->runbook_unplanned =
        resolve_path(cfg->dir, dg_json_str(rb, "unplanned"));

    const cJSON *ap = get(eff, "approval");
    struct cfg_approval *apr = &cfg->approval;
    apr->ttl_seconds = int_of(ap, "ttl_seconds");
    const cJSON *ars = get(ap, "approvers");
    apr->napprovers = (size_t)cJSON_GetArraySize(ars);
    apr->approvers = dg_calloc(apr->napprovers, sizeof(*apr->approvers));
    i = 0;
    for (const cJSON *e = ars->child; e; e = e->next, i++) {
        apr->approvers[i].name = dup_str(e, "name");
        apr->approvers[i].public_key = dup_str(e, "public_key");
    }
    apr->quorum_planned = int_of(get(ap, "quorum"), "planned");
    apr->quorum_unplanned = int_of(get(ap, "quorum"), "unplanned");
    apr->verify_sns_signatures = cJSON_IsTrue(get(ap, "verify_sns_signatures"));
}

static void
free_kv(struct cfg_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dg_free(kv[i].name);
        dg_free(kv[i].value);
    }
    dg_free(kv);
}

static void
free_io(struct cfg_io *io, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dg_free(io[i].type);
        cJSON_Delete(io[i].conf);
        dg_free(io[i].ptr);
    }
    dg_free(io);
}

void
config_free(struct dg_config *cfg)
{
    if (!cfg)
        return;
    cJSON_Delete(cfg->effective);
    dg_free(cfg->path);
    dg_free(cfg->dir);
    for (size_t k = 0; k < NOPTS(model_strs); k++)
        dg_free(*str_at(cfg, model_strs[k].off));
    free_kv(cfg->aws.endpoints, cfg->aws.nendpoints);
    free_io(cfg->sources, cfg->nsources);
    free_io(cfg->sinks, cfg->nsinks);
    free_kv(cfg->topology.variables, cfg->topology.nvariables);
    for (size_t i = 0; i < cfg->policy.nsignals; i++) {
        struct cfg_signal *s = &cfg->policy.signals[i];
        dg_free(s->name);
        for (size_t k = 0; k < NOPTS(signal_strs); k++)
            dg_free(*str_at(s, signal_strs[k].off));
    }
    dg_free(cfg->policy.signals);
    dg_free(cfg->policy.runbook_planned);
    dg_free(cfg->policy.runbook_unplanned);
    for (size_t i = 0; i < cfg->approval.napprovers; i++) {
        dg_free(cfg->approval.approvers[i].name);
        dg_free(cfg->approval.approvers[i].public_key);
    }
    dg_free(cfg->approval.approvers);
    dg_free(cfg);
}

/* ---- entry points ------------------------------------------------------- */

void
config_env_from_process(struct cfg_env *env)
{
    env->aws_region = getenv("AWS_REGION"); /* NOLINT(concurrency-mt-unsafe) */
}

dg_rc
config_parse_env(const char *text, size_t len, const char *path,
                 const char *dir, const struct cfg_env *env,
                 struct dg_config **out, struct dg_buf *errors)
{
    *out = NULL;
    const char *file = path ? path : "drgate.json";
    const char *region = env && config_region_valid(env->aws_region)
                             ? env->aws_region
                             : CFG_DEFAULT_REGION;
    struct cfg_ctx c;
    cfg_ctx_init(&c, file, errors, region);
    struct dg_err err;
    dg_err_clear(&err);
    cJSON *in = dg_json_parse(text, len, CFG_FILE_MAX, DG_JSON_MAX_DEPTH, &err);
    if (!in) {
        cfg_fail(&c, NULL, 0, "%s", err.msg);
        cfg_ctx_cleanup(&c);
        return DG_EINVALID;
    }
    if (!dir)
        dir = ".";
    cJSON *eff = cfg_table_apply(&c, &root_table, in);
    if (eff) {
        check_topology(&c, eff);
        check_sources(&c, eff, dir);
        check_policy(&c, eff, dir);
        check_approval(&c, in, eff);
    }
    int nerrors = c.nerrors;
    const cJSON *in_aws = cJSON_GetObjectItemCaseSensitive(in, "aws");
    int region_pinned =
        cJSON_GetObjectItemCaseSensitive(in_aws, "region") != NULL ||
        (env && config_region_valid(env->aws_region));
    cfg_ctx_cleanup(&c);
    cJSON_Delete(in);
    if (nerrors > 0) {
        cJSON_Delete(eff);
        return DG_EINVALID;
    }
    struct dg_config *cfg = dg_calloc(1, sizeof(*cfg));
    cfg->effective = eff;
    cfg->path = dg_strdup(file);
    cfg->dir = dg_strdup(dir);
    fill_model(cfg, eff);
    cfg->aws.region_pinned = region_pinned;
    *out = cfg;
    return DG_OK;
}

dg_rc
config_parse(const char *text, size_t len, const char *path, const char *dir,
             struct dg_config **out, struct dg_buf *errors)
{
    return config_parse_env(text, len, path, dir, NULL, out, errors);
}

/* Reads at most CFG_FILE_MAX + 1 bytes so an oversized file is noticed. */
static char *
read_file(const char *path, size_t *len, const char **problem)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *problem = strerror(errno);
        return NULL;
    }
    char *buf = dg_malloc(CFG_FILE_MAX + 2);
    size_t n = fread(buf, 1, CFG_FILE_MAX + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        *problem = "read error";
        dg_free(buf);
        return NULL;
    }
    if (n > CFG_FILE_MAX) {
        *problem = "file is larger than 1 MiB";
        dg_free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

dg_rc
config_load(const char *path, struct dg_config **out, struct dg_buf *errors)
{
    *out = NULL;
    size_t len = 0;
    const char *problem = NULL;
    char *text = read_file(path, &len, &problem);
    if (!text) {
        dg_buf_printf(errors, "%s: /: cannot read: %s\n", path, problem);
        return DG_EINVALID;
    }
    const char *slash = strrchr(path, '/');
    char *dir = !slash          ? dg_strdup(".")
                : slash == path ? dg_strdup("/")
                                : dg_strndup(path, (size_t)(slash - path));
    struct cfg_env env;
    config_env_from_process(&env);
    dg_rc rc = config_parse_env(text, len, path, dir, &env, out, errors);
    dg_free(dir);
    dg_free(text);
    return rc;
}

const char *
config_variable(const struct dg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->topology.nvariables; i++)
        if (strcmp(cfg->topology.variables[i].name, name) == 0)
            return cfg->topology.variables[i].value;
    return NULL;
}

dg_rc
config_reference_markdown(struct dg_buf *b)
{
    return cfg_table_markdown(&root_table, "", b);
}

dg_rc
config_dump_redacted(const struct dg_config *cfg, struct dg_buf *b)
{
    cJSON *copy = cJSON_Duplicate(cfg->effective, 1);
    cfg_table_redact(&root_table, copy);
    char *text = cJSON_Print(copy);
    cJSON_Delete(copy);
    if (!text)
        return DG_EINVALID;
    dg_rc rc = dg_buf_addstr(b, text);
    if (rc == DG_OK)
        rc = dg_buf_addc(b, '\n');
    cJSON_free(text);
    return rc;
}
