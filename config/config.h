#ifndef DRGATE_CONFIG_H
#define DRGATE_CONFIG_H
/*
 * The configuration model of drgate.json (ARCHITECTURE.md section 12).
 *
 * config_load() reads, applies defaults and validates everything at once;
 * every problem is one line "FILE: /json/pointer: problem (got X)" appended
 * to the caller's error buffer. The model owns all its strings; runbook
 * paths are resolved against the config file's directory.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

struct cfg_kv {
    char *name;
    char *value;
};

struct cfg_service {
    char *name;            /* default "drgate" */
    char *state_dir;       /* default "/var/lib/drgate" */
    char *http_listen;     /* default "127.0.0.1:9464"; "host:0" = ephemeral */
    int http_allow_remote; /* default 0: http_listen must be loopback */
    char *log_level;       /* debug | info | warn | error; default "info" */
};

struct cfg_aws {
    char *region;             /* default: $AWS_REGION, else "us-west-2" */
    int region_pinned;        /* set in the file or by $AWS_REGION */
    struct cfg_kv *endpoints; /* service name -> base URL */
    size_t nendpoints;
    int max_attempts; /* 1..10, default 3 */
};

struct cfg_store {
    char *path; /* default "drgate.db", relative to service.state_dir */
};

/* A source or sink: its type and its validated option object. Adapter
 * option tables live in config/options.c until adapters own them. */
struct cfg_io {
    char *type;  /* sources: sqs kafka file probe; sinks: sns kafka file */
    cJSON *conf; /* the object with defaults filled in (owned) */
    char *ptr;   /* JSON pointer of the object, e.g. "/sources/1" */
};

struct cfg_signal {
    char *name;
    /* match: NULL fields match anything. source is required. */
    char *source;     /* "cloudwatch" | "aws.health" | "probe" */
    char *alarm_name; /* cloudwatch */
    char *region;     /* cloudwatch, aws.health */
    char *service;    /* aws.health, e.g. "RDS" */
    char *event_type; /* aws.health eventTypeCode */
    char *probe;      /* probe name */
    int unreachable;  /* while failing: the primary counts as unreachable */
};

enum cfg_insufficient {
    CFG_INSUFFICIENT_IGNORE = 0,
    CFG_INSUFFICIENT_FAILING,
};

struct cfg_policy {
    struct cfg_signal *signals;
    size_t nsignals;
    int quorum;                              /* required, 1..nsignals */
    int sustain_seconds;                     /* default 30 */
    int recover_seconds;                     /* default 300 */
    int cooldown_seconds;                    /* default 3600 */
    enum cfg_insufficient insufficient_data; /* default ignore */
    char *runbook_planned; /* absolute or config-relative resolved path */
    char *runbook_unplanned;
};

struct cfg_approver {
    char *name;
    char *public_key; /* PEM SubjectPublicKeyInfo, Ed25519 */
};

struct cfg_approval {
    int ttl_seconds; /* default 1800, 60..86400 */
    char *request_topic_arn;
    char *reply_topic_arn;
    struct cfg_approver *approvers;
    size_t napprovers;
    int quorum_planned;        /* default 1 */
    int quorum_unplanned;      /* default 2 */
    int verify_sns_signatures; /* default 1 */
};

struct cfg_topology {
    char *primary_region;     /* required */
    char *secondary_region;   /* required, != primary */
    struct cfg_kv *variables; /* ${name} values for runbooks */
    size_t nvariables;
};

struct dg_config {
    cJSON *effective; /* the whole validated tree, defaults filled (owned) */
    char *path;       /* the file as given */
    char *dir;        /* its directory, for relative paths */
    struct cfg_service service;
    struct cfg_aws aws;
    struct cfg_store store;
    struct cfg_io *sources;
    size_t nsources;
    struct cfg_io *sinks;
    size_t nsinks;
    struct cfg_topology topology;
    struct cfg_policy policy;
    struct cfg_approval approval;
};

/* What config_load takes from the process environment; config_parse_env
 * takes it as an argument so tests stay independent of the environment. */
struct cfg_env {
    const char *aws_region; /* $AWS_REGION; used when valid, else us-west-2 */
};

/* Fills env from getenv(); the only place this module reads the
 * environment. The strings are borrowed from the environment. */
void config_env_from_process(struct cfg_env *env);

/* Loads and validates path. On DG_OK *out is a model the caller frees with
 * config_free. On DG_EINVALID every problem has been appended to errors, one
 * per line, and *out is NULL. */
dg_rc config_load(const char *path, struct dg_config **out,
                  struct dg_buf *errors);
/* Same from memory (at most 1 MiB, nesting depth 64) with no environment:
 * aws.region defaults to "us-west-2". path names the file in messages and
 * dir (NULL: ".") resolves relative paths. */
dg_rc config_parse(const char *text, size_t len, const char *path,
                   const char *dir, struct dg_config **out,
                   struct dg_buf *errors);
/* config_parse with an explicit environment (NULL: none). */
dg_rc config_parse_env(const char *text, size_t len, const char *path,
                       const char *dir, const struct cfg_env *env,
                       struct dg_config **out, struct dg_buf *errors);
/* Accepts NULL. */
void config_free(struct dg_config *cfg);

/* Looks up a topology variable; NULL when absent. */
const char *config_variable(const struct dg_config *cfg, const char *name);
/* Returns 1 for a syntactically valid AWS region code ("us-east-1",
 * "eu-central-2", "us-gov-west-1", "cn-north-1", ...). */
int config_region_valid(const char *region);
/* Appends the configuration reference as Markdown (one table per section,
 * generated from the option tables) to b. */
dg_rc config_reference_markdown(struct dg_buf *b);
/* Appends the effective configuration (defaults filled) as pretty JSON with
 * SECRET values replaced by "<redacted>". */
dg_rc config_dump_redacted(const struct dg_config *cfg, struct dg_buf *b);

#endif
