/*
 * test_config.c - the drgate.json model: the example loads, defaults are
 * filled, every rule has a failing case with its exact error lines, all
 * errors are reported at once, secrets stay out of dumps and messages, and
 * the reference names every option.
 *
 * Most cases start from a base document (the shipped example or
 * tests/data/config/minimal.json), apply up to four JSON-pointer edits and
 * compare the complete error output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "mem.h"
#include "testsupport.h"

#define FILE_NAME "drgate.json"
#define ERR_MAX (64 * 1024)

enum base { EXAMPLE, MINIMAL };

struct edit {
    const char *ptr;  /* "/a/0/b"; "-" as last token appends */
    const char *json; /* new value; NULL deletes */
};

struct bad_case {
    const char *name;
    enum base base;
    struct edit edits[4];
    const char *want; /* the complete error output */
};

static char *
base_text(enum base b)
{
    const char *path = b == EXAMPLE ? DRGATE_SOURCE_DIR
                           "/config/drgate.example.json"
                                    : ts_data("config/minimal.json");
    char *text = ts_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

/* Decodes one RFC 6901 token in place. */
static void
unescape(char *tok)
{
    char *w = tok;
    for (char *r = tok; *r; r++) {
        if (r[0] == '~' && (r[1] == '0' || r[1] == '1')) {
            *w++ = r[1] == '0' ? '~' : '/';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static void
apply_edit(cJSON *root, const struct edit *e)
{
    char *path = dg_strdup(e->ptr);
    cJSON *parent = root;
    char *tok = path + 1;
    for (;;) {
        char *slash = strchr(tok, '/');
        if (slash)
            *slash = '\0';
        unescape(tok);
        if (!slash)
            break;
        parent = cJSON_IsArray(parent)
                     ? cJSON_GetArrayItem(parent, atoi(tok))
                     : cJSON_GetObjectItemCaseSensitive(parent, tok);
        ck_assert_msg(parent != NULL, "edit %s: no parent", e->ptr);
        tok = slash + 1;
    }
    cJSON *v = NULL;
    if (e->json) {
        v = cJSON_Parse(e->json);
        ck_assert_msg(v != NULL, "edit %s: bad JSON %s", e->ptr, e->json);
    }
    if (cJSON_IsArray(parent)) {
        if (strcmp(tok, "-") == 0)
            cJSON_AddItemToArray(parent, v);
        else if (v)
            cJSON_ReplaceItemInArray(parent, atoi(tok), v);
        else
            cJSON_DeleteItemFromArray(parent, atoi(tok));
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, tok);
        if (v)
            cJSON_AddItemToObject(parent, tok, v);
    }
    dg_free(path);
}

/* Parses base + edits with dir tests/data/config; returns the rc and the
 * errors (caller frees) through *errs. */
static dg_rc
parse_edited(enum base b, const struct edit *edits, size_t nedits,
             const struct cfg_env *env, struct dg_config **cfg, char **errs)
{
    char *text = base_text(b);
    cJSON *root = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(root);
    for (size_t i = 0; i < nedits && edits[i].ptr; i++)
        apply_edit(root, &edits[i]);
    char *doc = cJSON_Print(root);
    cJSON_Delete(root);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", ts_data("config"));
    struct dg_buf eb;
    dg_buf_init(&eb, ERR_MAX);
    dg_rc rc =
        config_parse_env(doc, strlen(doc), FILE_NAME, dir, env, cfg, &eb);
    cJSON_free(doc);
    *errs = dg_buf_detach(&eb);
    return rc;
}

#define PEM_A                                                                  \
    "\"-----BEGIN PUBLIC KEY-----\\n"                                          \
    "MCowBQYDK2VwAyEAyqdng9QiAOH0qgiy48USk+Haaa7TnA1jKPudW6XEUfI=\\n"          \
    "-----END PUBLIC KEY-----\\n\""
#define PEM_RSA                                                                \
    "\"-----BEGIN PUBLIC KEY-----\\n"                                          \
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDFRx07xHTigJXnmAiLrbTsoOPI\\n"      \
    "D323i/SasVENefnBm5I5ZkJJGBxdDKI+CcNUVdnyI4bZjW9jxwDgPQm4MOFbnD5X\\n"      \
    "JZOMt/aukCgtIujwEuRvZqnlWUHP/L+mEW5tmI0zLUAuf+BJIkwHSQO+V42tPfHQ\\n"      \
    "AAsXNWsCxnXxpzhsaQIDAQAB\\n"                                              \
    "-----END PUBLIC KEY-----\\n\""
#define E(p) FILE_NAME ": " p "\n"
#define PEM_BAD_MSG                                                            \
    "must be a PEM Ed25519 public key (-----BEGIN PUBLIC KEY-----)"

static const struct bad_case bad_cases[] = {
    /* service */
    {"service not an object",
     EXAMPLE,
     {{"/service", "\"x\""}},
     E("/service: must be an object (got \"x\")")},
    {"http_listen port",
     EXAMPLE,
     {{"/service/http_listen", "\"h:70000\""}},
     E("/service/http_listen: must be HOST:PORT with a port between 0 and "
       "65535 (got \"h:70000\")")},
    {"http_listen no port",
     EXAMPLE,
     {{"/service/http_listen", "\"localhost\""}},
     E("/service/http_listen: must be HOST:PORT with a port between 0 and "
       "65535 (got \"localhost\")")},
    {"log_level",
     EXAMPLE,
     {{"/service/log_level", "\"verbose\""}},
     E("/service/log_level: must be one of \"debug\", \"info\", \"warn\", "
       "\"error\" (got \"verbose\")")},
    {"service name empty",
     EXAMPLE,
     {{"/service/name", "\"\""}},
     E("/service/name: must not be empty")},
    /* aws */
    {"aws region",
     EXAMPLE,
     {{"/aws/region", "\"mars-north-1\""}},
     E("/aws/region: must be an AWS region code such as \"us-east-1\" (got "
       "\"mars-north-1\")")},
    {"max_attempts",
     EXAMPLE,
     {{"/aws/max_attempts", "11"}},
     E("/aws/max_attempts: must be between 1 and 10 (got 11)")},
    {"max_attempts fraction",
     EXAMPLE,
     {{"/aws/max_attempts", "2.5"}},
     E("/aws/max_attempts: must be an integer (got 2.5)")},
    {"max_attempts huge",
     EXAMPLE,
     {{"/aws/max_attempts", "1e300"}},
     E("/aws/max_attempts: must be an integer (got 1e+300)")},
    {"max_attempts negative huge",
     EXAMPLE,
     {{"/aws/max_attempts", "-1e20"}},
     E("/aws/max_attempts: must be an integer (got -1e+20)")},
    {"endpoint service",
     EXAMPLE,
     {{"/aws/endpoints", "{\"s3\": \"http://127.0.0.1:4566\"}"}},
     E("/aws/endpoints/s3: unknown AWS service (known: sqs, sns, rds, "
       "elasticache, route53, ecs, ssm, cloudformation, sts, events, "
       "dynamodb, cloudwatch, sso)")},
    {"endpoint url",
     EXAMPLE,
     {{"/aws/endpoints", "{\"sqs\": \"127.0.0.1:4566\"}"}},
     E("/aws/endpoints/sqs: must be an http:// or https:// URL (got "
       "\"127.0.0.1:4566\")")},
    /* sources: sqs */
    {"wait_seconds",
     EXAMPLE,
     {{"/sources/0/wait_seconds", "25"}},
     E("/sources/0/wait_seconds: must be between 0 and 20 (got 25)")},
    {"max_messages",
     EXAMPLE,
     {{"/sources/0/max_messages", "0"}},
     E("/sources/0/max_messages: must be between 1 and 10 (got 0)")},
    {"visibility_timeout",
     EXAMPLE,
     {{"/sources/0/visibility_timeout", "43201"}},
     E("/sources/0/visibility_timeout: must be between 0 and 43200 (got "
       "43201)")},
    {"in_flight",
     EXAMPLE,
     {{"/sources/0/in_flight", "17"}},
     E("/sources/0/in_flight: must be between 1 and 16 (got 17)")},
    {"queue_url scheme",
     EXAMPLE,
     {{"/sources/0/queue_url", "\"ftp://example.com/q\""}},
     E("/sources/0/queue_url: must be an http:// or https:// URL (got "
       "\"ftp://example.com/q\")")},
    {"queue_url missing",
     EXAMPLE,
     {{"/sources/0/queue_url", NULL}},
     E("/sources/0/queue_url: required")},
    {"queue_url wrong type",
     EXAMPLE,
     {{"/sources/0/queue_url", "[1]"}},
     E("/sources/0/queue_url: must be a string (got an array)")},
    {"source type missing",
     EXAMPLE,
     {{"/sources/0/type", NULL}},
     E("/sources/0/type: required")},
    {"source type unknown",
     EXAMPLE,
     {{"/sources/0/type", "\"nats\""}},
     E("/sources/0/type: must be one of \"sqs\", \"kafka\", \"file\", "
       "\"probe\" (got \"nats\")")},
    {"sqs key of another type",
     EXAMPLE,
     {{"/sources/0/topic", "\"t\""}},
     E("/sources/0/topic: not allowed with type \"sqs\"")},
    {"sqs unknown key",
     EXAMPLE,
     {{"/sources/0/queue", "\"t\""}},
     E("/sources/0/queue: unknown key")},
    {"source not an object",
     EXAMPLE,
     {{"/sources/0", "7"}},
     E("/sources/0: must be an object (got 7)")},
    {"sources not an array",
     EXAMPLE,
     {{"/sources", "{}"}},
     E("/sources: must be an array (got an object)")},
    /* sources: kafka */
    {"kafka brokers and topic missing",
     EXAMPLE,
     {{"/sources/1/brokers", NULL}, {"/sources/1/topic", NULL}},
     E("/sources/1/brokers: required") E("/sources/1/topic: required")},
    {"kafka brokers format",
     EXAMPLE,
     {{"/sources/1/brokers", "\"b1:9092,\""}},
     E("/sources/1/brokers: must be a comma-separated list of HOST:PORT "
       "(got \"b1:9092,\")")},
    {"kafka secret property wrong type",
     EXAMPLE,
     {{"/sources/1/properties/sasl.password", "12345"}},
     E("/sources/1/properties/sasl.password: must be a string (got a "
       "secret value)")},
    {"kafka properties not an object",
     EXAMPLE,
     {{"/sources/1/properties", "[]"}},
     E("/sources/1/properties: must be an object of strings (got an "
       "array)")},
    /* sources: file */
    {"file path missing",
     EXAMPLE,
     {{"/sources/-", "{\"type\": \"file\"}"}},
     E("/sources/3/path: required")},
    {"file follow type",
     EXAMPLE,
     {{"/sources/-", "{\"type\": \"file\", \"path\": \"-\", \"follow\": "
                     "\"yes\"}"}},
     E("/sources/3/follow: must be true or false (got \"yes\")")},
    /* sources: probe */
    {"probe region",
     EXAMPLE,
     {{"/sources/2/region", "\"us-east\""}},
     E("/sources/2/region: must be an AWS region code such as "
       "\"us-east-1\" (got \"us-east\")")},
    {"probe target",
     EXAMPLE,
     {{"/sources/2/target", "\"udp://db:5432\""}},
     E("/sources/2/target: must be tcp://HOST:PORT or an http:// or "
       "https:// URL (got \"udp://db:5432\")")},
    {"probe target without port",
     EXAMPLE,
     {{"/sources/2/target", "\"tcp://db\""}},
     E("/sources/2/target: must be tcp://HOST:PORT or an http:// or "
       "https:// URL (got \"tcp://db\")")},
    {"probe interval",
     EXAMPLE,
     {{"/sources/2/interval_seconds", "0"}},
     E("/sources/2/interval_seconds: must be between 1 and 3600 (got 0)")},
    {"probe timeout bounds",
     EXAMPLE,
     {{"/sources/2/timeout_ms", "5"}},
     E("/sources/2/timeout_ms: must be between 10 and 60000 (got 5)")},
    {"probe timeout vs interval",
     EXAMPLE,
     {{"/sources/2/interval_seconds", "1"}},
     E("/sources/2/timeout_ms: must be less than interval_seconds (1000 ms) "
       "(got 2000)")},
    {"probe name missing",
     EXAMPLE,
     {{"/sources/2/name", NULL}},
     E("/sources/2/name: required")},
    {"probe name duplicate",
     EXAMPLE,
     {{"/sources/-", "{\"type\": \"probe\", \"name\": \"primary-writer\", "
                     "\"region\": \"us-east-1\", \"target\": "
                     "\"https://orders.example.com/health\"}"}},
     E("/sources/3/name: duplicate probe name (first at /sources/2) (got "
       "\"primary-writer\")")},
    /* sources: probe ca_file (resolved against tests/data/config) */
    {"probe ca_file on tcp",
     EXAMPLE,
     {{"/sources/2/ca_file", "\"probe-ca.pem\""}},
     E("/sources/2/ca_file: only allowed for an https:// target (got "
       "\"probe-ca.pem\")")},
    {"probe ca_file on http",
     EXAMPLE,
     {{"/sources/2/target", "\"http://orders.internal:8080/health\""},
      {"/sources/2/ca_file", "\"probe-ca.pem\""}},
     E("/sources/2/ca_file: only allowed for an https:// target (got "
       "\"probe-ca.pem\")")},
    {"probe ca_file missing",
     EXAMPLE,
     {{"/sources/2/target", "\"https://orders.internal/health\""},
      {"/sources/2/ca_file", "\"no-such-ca.pem\""}},
     E("/sources/2/ca_file: cannot use CA file " DRGATE_TEST_DATA
       "/config/no-such-ca.pem: No such file or directory (got "
       "\"no-such-ca.pem\")")},
    {"probe ca_file not a certificate",
     EXAMPLE,
     {{"/sources/2/target", "\"https://orders.internal/health\""},
      {"/sources/2/ca_file", "\"minimal.json\""}},
     E("/sources/2/ca_file: cannot use CA file " DRGATE_TEST_DATA
       "/config/minimal.json: no PEM certificate in it (got "
       "\"minimal.json\")")},
    {"probe ca_file directory",
     EXAMPLE,
     {{"/sources/2/target", "\"https://orders.internal/health\""},
      {"/sources/2/ca_file", "\"runbooks\""}},
     E("/sources/2/ca_file: cannot use CA file " DRGATE_TEST_DATA
       "/config/runbooks: not a regular file (got \"runbooks\")")},
    {"probe ca_file type",
     EXAMPLE,
     {{"/sources/2/target", "\"https://orders.internal/health\""},
      {"/sources/2/ca_file", "true"}},
     E("/sources/2/ca_file: must be a string (got true)")},
    /* sinks */
    {"sns arn",
     EXAMPLE,
     {{"/sinks/0/topic_arn", "\"arn:aws:sqs:us-west-2:123456789012:q\""}},
     E("/sinks/0/topic_arn: must be an SNS topic ARN "
       "(arn:aws:sns:REGION:ACCOUNT:TOPIC) (got "
       "\"arn:aws:sqs:us-west-2:123456789012:q\")")},
    {"sns arn account",
     EXAMPLE,
     {{"/sinks/0/topic_arn", "\"arn:aws:sns:us-west-2:1234:t\""}},
     E("/sinks/0/topic_arn: must be an SNS topic ARN "
       "(arn:aws:sns:REGION:ACCOUNT:TOPIC) (got "
       "\"arn:aws:sns:us-west-2:1234:t\")")},
    {"fsync",
     EXAMPLE,
     {{"/sinks/1/fsync", "\"sometimes\""}},
     E("/sinks/1/fsync: must be one of \"always\", \"batch\", \"never\" "
       "(got \"sometimes\")")},
    {"file sink path",
     EXAMPLE,
     {{"/sinks/1/path", NULL}},
     E("/sinks/1/path: required")},
    {"kafka sink",
     EXAMPLE,
     {{"/sinks/-", "{\"type\": \"kafka\", \"brokers\": \"b1:9092\"}"}},
     E("/sinks/2/topic: required")},
    {"sink source-only type",
     EXAMPLE,
     {{"/sinks/-", "{\"type\": \"probe\"}"}},
     E("/sinks/2/type: must be one of \"sns\", \"kafka\", \"file\" (got "
       "\"probe\")")},
    /* topology */
    {"topology missing",
     EXAMPLE,
     {{"/topology", NULL}},
     E("/topology: required")},
    {"primary missing",
     EXAMPLE,
     {{"/topology/primary_region", NULL}},
     E("/topology/primary_region: required")},
    {"same regions",
     EXAMPLE,
     {{"/topology/secondary_region", "\"us-east-1\""}},
     E("/topology/secondary_region: must differ from primary_region (got "
       "\"us-east-1\")")},
    {"variable name",
     EXAMPLE,
     {{"/topology/variables/bad-name", "\"x\""}},
     E("/topology/variables/bad-name: variable names may only contain A-Z, "
       "a-z, 0-9 and '_'")},
    {"variable value",
     EXAMPLE,
     {{"/topology/variables/n", "1"}},
     E("/topology/variables/n: must be a string (got 1)")},
    /* policy */
    {"signals empty",
     EXAMPLE,
     {{"/policy/signals", "[]"}},
     E("/policy/signals: must not be empty")},
    {"signals missing",
     EXAMPLE,
     {{"/policy/signals", NULL}},
     E("/policy/signals: required")},
    {"quorum too big",
     EXAMPLE,
     {{"/policy/quorum", "4"}},
     E("/policy/quorum: must be at most the number of signals (3) (got 4)")},
    {"quorum missing",
     EXAMPLE,
     {{"/policy/quorum", NULL}},
     E("/policy/quorum: required")},
    {"quorum zero",
     EXAMPLE,
     {{"/policy/quorum", "0"}},
     E("/policy/quorum: must be between 1 and 64 (got 0)")},
    {"quorum string",
     EXAMPLE,
     {{"/policy/quorum", "\"2\""}},
     E("/policy/quorum: must be an integer (got \"2\")")},
    {"sustain",
     EXAMPLE,
     {{"/policy/sustain_seconds", "-1"}},
     E("/policy/sustain_seconds: must be between 0 and 86400 (got -1)")},
    {"insufficient_data",
     EXAMPLE,
     {{"/policy/insufficient_data", "\"maybe\""}},
     E("/policy/insufficient_data: must be one of \"ignore\", \"failing\" "
       "(got \"maybe\")")},
    {"signal unknown key",
     EXAMPLE,
     {{"/policy/signals/1/bogus", "1"}},
     E("/policy/signals/1/bogus: unknown key")},
    {"signal name duplicate",
     EXAMPLE,
     {{"/policy/signals/1/name", "\"writer-alarm\""}},
     E("/policy/signals/1/name: duplicate signal name (first at "
       "/policy/signals/0) (got \"writer-alarm\")")},
    {"signal name chars",
     EXAMPLE,
     {{"/policy/signals/0/name", "\"writer alarm\""}},
     E("/policy/signals/0/name: may only contain A-Z, a-z, 0-9, '_', '.' "
       "and '-' (got \"writer alarm\")")},
    {"signal match missing",
     EXAMPLE,
     {{"/policy/signals/0/match", NULL}},
     E("/policy/signals/0/match: required")},
    {"match source missing",
     EXAMPLE,
     {{"/policy/signals/0/match/source", NULL}},
     E("/policy/signals/0/match/source: required")},
    {"match source unknown",
     EXAMPLE,
     {{"/policy/signals/0/match/source", "\"datadog\""}},
     E("/policy/signals/0/match/source: must be one of \"cloudwatch\", "
       "\"aws.health\", \"probe\" (got \"datadog\")")},
    {"match key for another source",
     EXAMPLE,
     {{"/policy/signals/0/match/service", "\"RDS\""}},
     E("/policy/signals/0/match/service: not allowed with source "
       "\"cloudwatch\"")},
    {"match region for probe",
     EXAMPLE,
     {{"/policy/signals/2/match/region", "\"us-east-1\""}},
     E("/policy/signals/2/match/region: not allowed with source "
       "\"probe\"")},
    {"match unknown probe",
     EXAMPLE,
     {{"/policy/signals/2/match/probe", "\"nope\""}},
     E("/policy/signals/2/match/probe: names no probe in /sources (got "
       "\"nope\")")},
    {"match probe required",
     EXAMPLE,
     {{"/policy/signals/2/match/probe", NULL}},
     E("/policy/signals/2/match/probe: required")},
    {"unreachable type",
     EXAMPLE,
     {{"/policy/signals/2/unreachable", "1"}},
     E("/policy/signals/2/unreachable: must be true or false (got 1)")},
    {"runbooks missing",
     EXAMPLE,
     {{"/policy/runbooks", NULL}},
     E("/policy/runbooks: required")},
    {"runbook unplanned missing",
     EXAMPLE,
     {{"/policy/runbooks/unplanned", NULL}},
     E("/policy/runbooks/unplanned: required")},
    /* approval */
    {"ttl",
     EXAMPLE,
     {{"/approval/ttl_seconds", "30"}},
     E("/approval/ttl_seconds: must be between 60 and 86400 (got 30)")},
    {"request topic missing",
     EXAMPLE,
     {{"/approval/request_topic_arn", NULL}},
     E("/approval/request_topic_arn: required")},
    {"reply topic",
     EXAMPLE,
     {{"/approval/reply_topic_arn", "\"drgate-approval-replies\""}},
     E("/approval/reply_topic_arn: must be an SNS topic ARN "
       "(arn:aws:sns:REGION:ACCOUNT:TOPIC) (got "
       "\"drgate-approval-replies\")")},
    {"approvers empty",
     EXAMPLE,
     {{"/approval/approvers", "[]"}},
     E("/approval/approvers: must not be empty")},
    {"approver key missing",
     EXAMPLE,
     {{"/approval/approvers/0/public_key", NULL}},
     E("/approval/approvers/0/public_key: required")},
    {"approver rsa key",
     EXAMPLE,
     {{"/approval/approvers/0/public_key", PEM_RSA}},
     E("/approval/approvers/0/public_key: " PEM_BAD_MSG
       " (got \"-----BEGIN PUBLIC KEY-----\\nMIGfMA0GCSqGSIb3DQEBA...\")")},
    {"approver garbage key",
     EXAMPLE,
     {{"/approval/approvers/0/public_key", "\"ssh-ed25519 AAAA\""}},
     E("/approval/approvers/0/public_key: " PEM_BAD_MSG
       " (got \"ssh-ed25519 AAAA\")")},
    {"approver name duplicate",
     EXAMPLE,
     {{"/approval/approvers/2/name", "\"dba-oncall\""}},
     E("/approval/approvers/2/name: duplicate approver name (first at "
       "/approval/approvers/0) (got \"dba-oncall\")")},
    {"approval quorum too big",
     EXAMPLE,
     {{"/approval/quorum/unplanned", "4"}},
     E("/approval/quorum/unplanned: must be at most the number of approvers "
       "(3) (got 4)")},
    {"approval quorum default too big",
     MINIMAL,
     {{"/approval/approvers/1", NULL}},
     E("/approval/quorum/unplanned: must be at most the number of approvers "
       "(1) (got 2, the default)")},
    {"approval quorum unknown class",
     EXAMPLE,
     {{"/approval/quorum/emergency", "1"}},
     E("/approval/quorum/emergency: unknown key")},
    {"verify false, aws endpoint",
     EXAMPLE,
     {{"/approval/verify_sns_signatures", "false"},
      {"/aws/endpoints", "{\"sqs\": \"http://127.0.0.1:4566\", \"sns\": "
                         "\"https://sns.us-west-2.amazonaws.com\"}"}},
     E("/aws/endpoints/sns: must be a loopback URL while "
       "/approval/verify_sns_signatures is false (got "
       "\"https://sns.us-west-2.amazonaws.com\")")},
    {"verify false, 128.0.0.1",
     EXAMPLE,
     {{"/approval/verify_sns_signatures", "false"},
      {"/aws/endpoints", "{\"sns\": \"http://128.0.0.1:4566\"}"}},
     E("/aws/endpoints/sns: must be a loopback URL while "
       "/approval/verify_sns_signatures is false (got "
       "\"http://128.0.0.1:4566\")")},
    {"verify false, no endpoints",
     EXAMPLE,
     {{"/approval/verify_sns_signatures", "false"}},
     E("/approval/verify_sns_signatures: false needs loopback endpoints in "
       "/aws/endpoints (there are none)")},
    /* the document itself */
    {"unknown section", EXAMPLE, {{"/bogus", "{}"}}, E("/bogus: unknown key")},
    {"pointer escaping",
     EXAMPLE,
     {{"/service/a~1b~0c", "1"}},
     E("/service/a~1b~0c: unknown key")},
};

static void
check_bad(const struct bad_case *bc)
{
    struct dg_config *cfg = (struct dg_config *)1;
    char *errs = NULL;
    dg_rc rc = parse_edited(bc->base, bc->edits, 4, NULL, &cfg, &errs);
    ck_assert_msg(rc == DG_EINVALID, "%s: rc %d", bc->name, rc);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strcmp(errs, bc->want) == 0, "%s:\n got: %s\nwant: %s",
                  bc->name, errs, bc->want);
    dg_free(errs);
}

START_TEST(test_bad)
{
    check_bad(&bad_cases[_i]);
}
END_TEST

/* Documents that must load: edits of the example. */
static const struct bad_case good_cases[] = {
    {"example as shipped", EXAMPLE, {{NULL, NULL}}, ""},
    {"minimal", MINIMAL, {{NULL, NULL}}, ""},
    {"verify false, loopback endpoints",
     EXAMPLE,
     {{"/approval/verify_sns_signatures", "false"},
      {"/aws/endpoints",
       "{\"sqs\": \"http://127.0.0.1:4566\", \"sns\": "
       "\"http://localhost:4566/\", \"rds\": \"http://[::1]:5000\", "
       "\"sts\": \"http://127.10.20.30\"}"}},
     ""},
    {"all sources and sinks",
     EXAMPLE,
     {{"/sources/-", "{\"type\": \"file\", \"path\": \"-\"}"},
      {"/sinks/-", "{\"type\": \"kafka\", \"brokers\": \"b1:9092,b2:9092\", "
                   "\"topic\": \"drgate-events\"}"},
      {"/sources/2/target", "\"https://orders.example.com/health?x=1\""}},
     ""},
    {"http_listen ipv6 ephemeral",
     EXAMPLE,
     {{"/service/http_listen", "\"[::1]:0\""}},
     ""},
    {"fifo topic, gov partition",
     EXAMPLE,
     {{"/approval/reply_topic_arn",
       "\"arn:aws-us-gov:sns:us-gov-west-1:123456789012:replies.fifo\""}},
     ""},
    {"quorum equals signals", EXAMPLE, {{"/policy/quorum", "3"}}, ""},
    {"absolute runbook path",
     EXAMPLE,
     {{"/policy/runbooks/planned",
       "\"" DRGATE_TEST_DATA "/config/runbooks/aurora-switchover.json\""}},
     ""},
};

START_TEST(test_good)
{
    const struct bad_case *gc = &good_cases[_i];
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    dg_rc rc = parse_edited(gc->base, gc->edits, 4, NULL, &cfg, &errs);
    ck_assert_msg(rc == DG_OK, "%s: %s", gc->name, errs);
    ck_assert_str_eq(errs, "");
    ck_assert_ptr_nonnull(cfg);
    config_free(cfg);
    dg_free(errs);
}
END_TEST

START_TEST(test_example_model)
{
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    ck_assert_int_eq(parse_edited(EXAMPLE, NULL, 0, NULL, &cfg, &errs), DG_OK);
    dg_free(errs);
    ck_assert_str_eq(cfg->path, FILE_NAME);
    ck_assert_str_eq(cfg->service.http_listen, "127.0.0.1:9464");
    ck_assert_str_eq(cfg->aws.region, "us-west-2");
    ck_assert_uint_eq(cfg->nsources, 3);
    ck_assert_str_eq(cfg->sources[1].type, "kafka");
    ck_assert_str_eq(cfg->sources[1].ptr, "/sources/1");
    ck_assert_str_eq(cfg->sources[2].type, "probe");
    ck_assert_uint_eq(cfg->nsinks, 2);
    ck_assert_str_eq(cfg->sinks[0].type, "sns");
    ck_assert_str_eq(cfg->topology.primary_region, "us-east-1");
    ck_assert_str_eq(cfg->topology.secondary_region, "us-west-2");
    ck_assert_str_eq(config_variable(cfg, "global_cluster_id"),
                     "orders-global");
    ck_assert_ptr_null(config_variable(cfg, "nope"));
    ck_assert_uint_eq(cfg->policy.nsignals, 3);
    ck_assert_str_eq(cfg->policy.signals[0].alarm_name, "orders-writer-health");
    ck_assert_str_eq(cfg->policy.signals[1].source, "aws.health");
    ck_assert_str_eq(cfg->policy.signals[1].service, "RDS");
    ck_assert_ptr_null(cfg->policy.signals[1].alarm_name);
    ck_assert_str_eq(cfg->policy.signals[2].probe, "primary-writer");
    ck_assert_int_eq(cfg->policy.signals[2].unreachable, 1);
    ck_assert_int_eq(cfg->policy.signals[0].unreachable, 0);
    ck_assert_int_eq(cfg->policy.quorum, 2);
    ck_assert_str_eq(cfg->policy.runbook_planned, DRGATE_TEST_DATA
                     "/config/runbooks/aurora-switchover.json");
    ck_assert_str_eq(cfg->policy.runbook_unplanned,
                     DRGATE_TEST_DATA "/config/runbooks/aurora-failover.json");
    ck_assert_uint_eq(cfg->approval.napprovers, 3);
    ck_assert_str_eq(cfg->approval.approvers[2].name, "incident-commander");
    ck_assert_int_eq(cfg->approval.quorum_unplanned, 2);
    ck_assert_int_eq(cfg->approval.verify_sns_signatures, 1);
    config_free(cfg);
}
END_TEST

static const char *
conf_str(const struct cfg_io *io, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(io->conf, key);
    ck_assert_msg(cJSON_IsString(v), "%s/%s not a string", io->ptr, key);
    return v->valuestring;
}

static int
conf_int(const struct cfg_io *io, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(io->conf, key);
    ck_assert_msg(cJSON_IsNumber(v), "%s/%s not a number", io->ptr, key);
    return v->valueint;
}

/* A probe's ca_file reaches the adapter as an absolute path; an absolute
 * one is kept as it is. */
static const struct {
    const char *ca_file;
} ca_good_cases[] = {
    {"\"probe-ca.pem\""},
    {"\"" DRGATE_TEST_DATA "/config/probe-ca.pem\""},
};

START_TEST(test_probe_ca_file)
{
    const struct edit edits[] = {
        {"/sources/2/target", "\"https://127.0.0.1:8443/health\""},
        {"/sources/2/ca_file", ca_good_cases[_i].ca_file},
    };
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    dg_rc rc = parse_edited(EXAMPLE, edits, 2, NULL, &cfg, &errs);
    ck_assert_msg(rc == DG_OK, "%s", errs);
    ck_assert_str_eq(errs, "");
    dg_free(errs);
    ck_assert_str_eq(cfg->sources[2].type, "probe");
    ck_assert_str_eq(conf_str(&cfg->sources[2], "ca_file"),
                     DRGATE_TEST_DATA "/config/probe-ca.pem");
    ck_assert_str_eq(conf_str(&cfg->sources[2], "target"),
                     "https://127.0.0.1:8443/health");
    config_free(cfg);
}
END_TEST

START_TEST(test_defaults)
{
    static const struct edit edits[] = {
        {"/sources",
         "[{\"type\": \"sqs\", \"queue_url\": \"http://127.0.0.1:4566/1/q\"},"
         " {\"type\": \"kafka\", \"brokers\": \"b1:9092\", \"topic\": \"t\"},"
         " {\"type\": \"file\", \"path\": \"-\"},"
         " {\"type\": \"probe\", \"name\": \"p\", \"region\": \"us-east-1\","
         "  \"target\": \"tcp://db:5432\"}]"},
        {"/sinks", "[{\"type\": \"file\", \"path\": \"events.jsonl\"}]"},
    };
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    dg_rc rc = parse_edited(MINIMAL, edits, 2, NULL, &cfg, &errs);
    ck_assert_msg(rc == DG_OK, "%s", errs);
    dg_free(errs);
    ck_assert_str_eq(cfg->service.name, "drgate");
    ck_assert_str_eq(cfg->service.state_dir, "/var/lib/drgate");
    ck_assert_str_eq(cfg->service.http_listen, "127.0.0.1:9464");
    ck_assert_str_eq(cfg->service.log_level, "info");
    ck_assert_str_eq(cfg->aws.region, "us-west-2");
    ck_assert_uint_eq(cfg->aws.nendpoints, 0);
    ck_assert_int_eq(cfg->aws.max_attempts, 3);
    ck_assert_str_eq(cfg->store.path, "drgate.db");
    ck_assert_uint_eq(cfg->topology.nvariables, 0);
    ck_assert_int_eq(cfg->policy.sustain_seconds, 30);
    ck_assert_int_eq(cfg->policy.recover_seconds, 300);
    ck_assert_int_eq(cfg->policy.cooldown_seconds, 3600);
    ck_assert_int_eq(cfg->policy.insufficient_data, CFG_INSUFFICIENT_IGNORE);
    ck_assert_int_eq(cfg->policy.signals[0].unreachable, 0);
    ck_assert_int_eq(cfg->approval.ttl_seconds, 1800);
    ck_assert_ptr_null(cfg->approval.reply_topic_arn);
    ck_assert_int_eq(cfg->approval.quorum_planned, 1);
    ck_assert_int_eq(cfg->approval.quorum_unplanned, 2);
    ck_assert_int_eq(cfg->approval.verify_sns_signatures, 1);
    ck_assert_uint_eq(cfg->nsources, 4);
    ck_assert_int_eq(conf_int(&cfg->sources[0], "wait_seconds"), 20);
    ck_assert_int_eq(conf_int(&cfg->sources[0], "max_messages"), 10);
    ck_assert_int_eq(conf_int(&cfg->sources[0], "visibility_timeout"), 60);
    ck_assert_int_eq(conf_int(&cfg->sources[0], "in_flight"), 2);
    ck_assert_str_eq(conf_str(&cfg->sources[1], "group_id"), "drgate");
    ck_assert(cJSON_IsFalse(
        cJSON_GetObjectItemCaseSensitive(cfg->sources[2].conf, "follow")));
    ck_assert_int_eq(conf_int(&cfg->sources[3], "interval_seconds"), 10);
    ck_assert_int_eq(conf_int(&cfg->sources[3], "timeout_ms"), 2000);
    ck_assert_str_eq(conf_str(&cfg->sinks[0], "fsync"), "batch");
    config_free(cfg);
}
END_TEST

/* aws.region's default comes from the environment argument. */
static const struct {
    const char *env;
    const char *want;
} region_env_cases[] = {
    {NULL, "us-west-2"},
    {"eu-central-1", "eu-central-1"},
    {"not a region", "us-west-2"},
    {"", "us-west-2"},
};

START_TEST(test_region_env)
{
    struct cfg_env env = {.aws_region = region_env_cases[_i].env};
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    ck_assert_int_eq(parse_edited(MINIMAL, NULL, 0, &env, &cfg, &errs), DG_OK);
    ck_assert_str_eq(cfg->aws.region, region_env_cases[_i].want);
    config_free(cfg);
    dg_free(errs);
    /* An explicit region wins over the environment. */
    static const struct edit e[] = {{"/aws", "{\"region\": \"ap-south-1\"}"}};
    ck_assert_int_eq(parse_edited(MINIMAL, e, 1, &env, &cfg, &errs), DG_OK);
    ck_assert_str_eq(cfg->aws.region, "ap-south-1");
    config_free(cfg);
    dg_free(errs);
}
END_TEST

static const struct {
    const char *region;
    int valid;
} region_cases[] = {
    {"us-east-1", 1},       {"eu-central-2", 1},   {"us-gov-west-1", 1},
    {"cn-north-1", 1},      {"ap-southeast-4", 1}, {"il-central-1", 1},
    {"ca-west-1", 1},       {"us-isob-east-1", 1}, {"us-iso-east-1", 1},
    {"us-east-12", 1},      {"us-east-123", 0},    {"us-east", 0},
    {"US-EAST-1", 0},       {"useast-1", 0},       {"u-east-1", 0},
    {"us--1", 0},           {"us-east-1 ", 0},     {"", 0},
    {"us-gov-1", 0},        {"usa-east-1", 0},     {"us-east-1a", 0},
    {"us-isoab-east-1", 0},
};

START_TEST(test_region_valid)
{
    ck_assert_msg(config_region_valid(region_cases[_i].region) ==
                      region_cases[_i].valid,
                  "%s", region_cases[_i].region);
}
END_TEST

/* Five independent mistakes, one line each, all in one run. */
START_TEST(test_five_mistakes)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", ts_data("config/five-mistakes.json"));
    struct dg_buf eb;
    dg_buf_init(&eb, ERR_MAX);
    struct dg_config *cfg = NULL;
    ck_assert_int_eq(config_load(path, &cfg, &eb), DG_EINVALID);
    ck_assert_ptr_null(cfg);
    static const char *const lines[] = {
        "/sources/0/wait_seconds: must be between 0 and 20 (got 25)",
        "/policy/signals/1/bogus: unknown key",
        "/approval/request_topic_arn: required",
        ("/topology/secondary_region: must differ from primary_region (got "
         "\"us-east-1\")"),
        "/policy/quorum: must be at most the number of signals (3) (got 4)",
    };
    const char *errs = dg_buf_str(&eb);
    int nlines = 0;
    for (const char *p = errs; *p; p++)
        nlines += *p == '\n';
    ck_assert_msg(nlines == 5, "want 5 lines, got:\n%s", errs);
    for (size_t i = 0; i < 5; i++) {
        char *line = dg_sprintf("%s: %s\n", path, lines[i]);
        ck_assert_msg(strstr(errs, line) != NULL, "missing %s in:\n%s", line,
                      errs);
        dg_free(line);
    }
    dg_buf_cleanup(&eb);
}
END_TEST

START_TEST(test_load)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", ts_data("config/minimal.json"));
    struct dg_buf eb;
    dg_buf_init(&eb, ERR_MAX);
    struct dg_config *cfg = NULL;
    ck_assert_int_eq(setenv("AWS_REGION", "eu-west-3", 1), 0);
    dg_rc rc = config_load(path, &cfg, &eb);
    ck_assert_int_eq(unsetenv("AWS_REGION"), 0);
    ck_assert_msg(rc == DG_OK, "%s", dg_buf_str(&eb));
    ck_assert_str_eq(cfg->aws.region, "eu-west-3");
    ck_assert_str_eq(cfg->dir, DRGATE_TEST_DATA "/config");
    ck_assert_str_eq(cfg->policy.runbook_planned, DRGATE_TEST_DATA
                     "/config/runbooks/aurora-switchover.json");
    config_free(cfg);

    snprintf(path, sizeof(path), "%s", ts_data("config/no-such-file.json"));
    ck_assert_int_eq(config_load(path, &cfg, &eb), DG_EINVALID);
    ck_assert_ptr_null(cfg);
    char *want =
        dg_sprintf("%s: /: cannot read: No such file or directory\n", path);
    ck_assert_str_eq(dg_buf_str(&eb), want);
    dg_free(want);
    dg_buf_cleanup(&eb);
}
END_TEST

/* Runbook files are checked relative to the config's directory. */
START_TEST(test_runbook_missing)
{
    struct dg_buf eb;
    dg_buf_init(&eb, ERR_MAX);
    char *text = base_text(EXAMPLE);
    struct dg_config *cfg = NULL;
    dg_rc rc =
        config_parse(text, strlen(text), "x.json", "/nonexistent", &cfg, &eb);
    free(text);
    ck_assert_int_eq(rc, DG_EINVALID);
    ck_assert_str_eq(
        dg_buf_str(&eb),
        "x.json: /policy/runbooks/planned: cannot read runbook "
        "/nonexistent/runbooks/aurora-switchover.json: No such file or "
        "directory (got \"runbooks/aurora-switchover.json\")\n"
        "x.json: /policy/runbooks/unplanned: cannot read runbook "
        "/nonexistent/runbooks/aurora-failover.json: No such file or "
        "directory (got \"runbooks/aurora-failover.json\")\n");
    dg_buf_reset(&eb);
    /* A directory is not a runbook. */
    static const struct edit e[] = {
        {"/policy/runbooks/planned", "\"runbooks\""}};
    char *errs = NULL;
    ck_assert_int_eq(parse_edited(EXAMPLE, e, 1, NULL, &cfg, &errs),
                     DG_EINVALID);
    char *want = dg_sprintf(
        FILE_NAME ": /policy/runbooks/planned: cannot read runbook "
                  "%s/runbooks: not a regular file (got \"runbooks\")\n",
        ts_data("config"));
    ck_assert_str_eq(errs, want);
    dg_free(want);
    dg_free(errs);
    dg_buf_cleanup(&eb);
}
END_TEST

/* Raw documents that never reach the tables. */
static const struct {
    const char *text;
    const char *want;
} raw_cases[] = {
    {"[]", E("/: must be an object (got an array)")},
    {"{\"service\": {", E("/: not valid JSON (error near byte 12)")},
    {"{} x", E("/: trailing data after the JSON value at byte 3")},
    {"{\"a\": 1, \"a\": 2}", E("/: duplicate object key \"a\"")},
    {"", E("/: not valid JSON (error near byte 0)")},
    {"{}",
     E("/topology: required") E("/policy: required") E("/approval: required")},
};

START_TEST(test_raw)
{
    struct dg_buf eb;
    dg_buf_init(&eb, ERR_MAX);
    struct dg_config *cfg = NULL;
    const char *t = raw_cases[_i].text;
    ck_assert_int_eq(config_parse(t, strlen(t), FILE_NAME, ".", &cfg, &eb),
                     DG_EINVALID);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(dg_buf_str(&eb), raw_cases[_i].want);
    dg_buf_cleanup(&eb);
}
END_TEST

START_TEST(test_too_deep_and_large)
{
    struct dg_buf eb;
    dg_buf_init(&eb, ERR_MAX);
    struct dg_config *cfg = NULL;
    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    ck_assert_int_eq(config_parse(deep, 130, FILE_NAME, ".", &cfg, &eb),
                     DG_EINVALID);
    ck_assert_str_eq(dg_buf_str(&eb),
                     E("/: JSON nesting depth 65 exceeds the limit of 64"));
    dg_buf_reset(&eb);
    size_t n = 1024 * 1024 + 1;
    char *big = dg_malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    ck_assert_int_eq(config_parse(big, n, FILE_NAME, ".", &cfg, &eb),
                     DG_EINVALID);
    ck_assert_str_eq(dg_buf_str(&eb),
                     E("/: message is 1048577 bytes, more than the limit of "
                       "1048576"));
    dg_free(big);
    dg_buf_cleanup(&eb);
}
END_TEST

START_TEST(test_redaction)
{
    static const struct edit e[] = {
        {"/sources/1/properties/sasl.password", "\"hunter2-SECRET\""},
        {"/sinks/-", "{\"type\": \"kafka\", \"brokers\": \"b1:9092\", "
                     "\"topic\": \"t\", \"properties\": {\"sasl.password\": "
                     "\"sink-SECRET\"}}"},
    };
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    ck_assert_int_eq(parse_edited(EXAMPLE, e, 2, NULL, &cfg, &errs), DG_OK);
    dg_free(errs);
    struct dg_buf b;
    dg_buf_init(&b, 1024 * 1024);
    ck_assert_int_eq(config_dump_redacted(cfg, &b), DG_OK);
    const char *dump = dg_buf_str(&b);
    ck_assert_ptr_null(strstr(dump, "SECRET"));
    ck_assert_ptr_null(strstr(dump, "hunter2"));
    ck_assert_ptr_nonnull(strstr(dump, "\"sasl.password\":\t\"<redacted>\""));
    /* Defaults are in the dump; the model keeps the real value. */
    ck_assert_ptr_nonnull(strstr(dump, "\"in_flight\":\t2"));
    ck_assert_ptr_nonnull(strstr(dump, "\"recover_seconds\":\t300"));
    const cJSON *props =
        cJSON_GetObjectItemCaseSensitive(cfg->sources[1].conf, "properties");
    ck_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(props, "sasl.password")->valuestring,
        "hunter2-SECRET");
    /* The dump is JSON that loads again (secrets aside). */
    cJSON *again = cJSON_Parse(dump);
    ck_assert_ptr_nonnull(again);
    cJSON_Delete(again);
    dg_buf_cleanup(&b);
    config_free(cfg);
}
END_TEST

/* A secret that fails validation is never echoed. */
START_TEST(test_secret_not_in_errors)
{
    static const struct edit e[] = {
        {"/sources/1/properties/sasl.password", "{\"x\": \"hunter2\"}"},
        {"/sources/1/properties/sasl.oauthbearer.config", "true"},
    };
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    ck_assert_int_eq(parse_edited(EXAMPLE, e, 2, NULL, &cfg, &errs),
                     DG_EINVALID);
    ck_assert_ptr_null(strstr(errs, "hunter2"));
    ck_assert_str_eq(
        errs, E("/sources/1/properties/sasl.password: must be a string (got "
                "an object)")
                  E("/sources/1/properties/sasl.oauthbearer.config: must be "
                    "a string (got a secret value)"));
    dg_free(errs);
}
END_TEST

/* Every key of the effective example appears in the reference. */
static void
check_keys_documented(const cJSON *v, const char *md)
{
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
        if (c->string) {
            char *cell = dg_sprintf("| `%s` |", c->string);
            ck_assert_msg(strstr(md, cell) != NULL, "%s not documented",
                          c->string);
            dg_free(cell);
            if (strcmp(c->string, "endpoints") == 0 ||
                strcmp(c->string, "properties") == 0 ||
                strcmp(c->string, "variables") == 0)
                continue;
        }
        check_keys_documented(c, md);
    }
}

START_TEST(test_reference)
{
    struct dg_buf b;
    dg_buf_init(&b, 1024 * 1024);
    ck_assert_int_eq(config_reference_markdown(&b), DG_OK);
    const char *md = dg_buf_str(&b);
    static const char *const wants[] = {
        "### `service`\n",
        "### `sources[] (type \"sqs\")`\n",
        "### `sources[] (type \"probe\")`\n",
        "### `sinks[] (type \"file\")`\n",
        "### `policy.signals[].match (source \"aws.health\")`\n",
        "### `approval.quorum`\n",
        "| key | type | default | description |\n",
        "| `wait_seconds` | integer 0..20 | `20` |",
        "| `queue_url` | string | required |",
        "| `fsync` | \"always\" \\| \"batch\" \\| \"never\" | `\"batch\"` |",
        "| `properties` | object (string to string), values secret | `{}` |",
        "| `region` | string | $AWS_REGION if valid, else `\"us-west-2\"` |",
        "| `verify_sns_signatures` | boolean | `true` |",
        "| `public_key` | string | required |",
    };
    for (size_t i = 0; i < sizeof(wants) / sizeof(*wants); i++)
        ck_assert_msg(strstr(md, wants[i]) != NULL, "missing %s", wants[i]);
    struct dg_config *cfg = NULL;
    char *errs = NULL;
    static const struct edit e[] = {
        {"/sources/-", "{\"type\": \"file\", \"path\": \"-\"}"},
        {"/sinks/-", "{\"type\": \"kafka\", \"brokers\": \"b1:9092\", "
                     "\"topic\": \"t\"}"},
        {"/aws/endpoints", "{\"sqs\": \"http://127.0.0.1:4566\"}"},
    };
    ck_assert_int_eq(parse_edited(EXAMPLE, e, 3, NULL, &cfg, &errs), DG_OK);
    check_keys_documented(cfg->effective, md);
    config_free(cfg);
    dg_free(errs);
    dg_buf_cleanup(&b);
}
END_TEST

/* The error buffer's maximum bounds the report; parsing still fails. */
START_TEST(test_error_buffer_bounded)
{
    struct dg_buf eb;
    dg_buf_init(&eb, 40);
    struct dg_config *cfg = NULL;
    ck_assert_int_eq(config_parse("{}", 2, FILE_NAME, ".", &cfg, &eb),
                     DG_EINVALID);
    ck_assert_uint_le(eb.len, 40);
    ck_assert_ptr_null(cfg);
    dg_buf_cleanup(&eb);
    config_free(NULL);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_bad, 0, NCASES(bad_cases));
    tcase_add_loop_test(tc, test_good, 0, NCASES(good_cases));
    tcase_add_loop_test(tc, test_raw, 0, NCASES(raw_cases));
    tcase_add_loop_test(tc, test_region_valid, 0, NCASES(region_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_add_test(tc, test_example_model);
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_probe_ca_file, 0, NCASES(ca_good_cases));
    tcase_add_loop_test(tc, test_region_env, 0, NCASES(region_env_cases));
    tcase_add_test(tc, test_five_mistakes);
    tcase_add_test(tc, test_load);
    tcase_add_test(tc, test_runbook_missing);
    tcase_add_test(tc, test_too_deep_and_large);
    tcase_add_test(tc, test_error_buffer_bounded);
    suite_add_tcase(s, tc);
    tc = tcase_create("output");
    tcase_add_test(tc, test_redaction);
    tcase_add_test(tc, test_secret_not_in_errors);
    tcase_add_test(tc, test_reference);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(config_suite());
}
