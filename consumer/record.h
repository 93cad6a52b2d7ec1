#ifndef DRGATE_RECORD_H
#define DRGATE_RECORD_H
/*
 * The normalized record: what decode makes of one raw message, and what
 * dedup, policy, plans and approvals consume. All strings are owned by the
 * record and freed by decode_record_cleanup() (decode.h).
 */
#include <stdint.h>

#include <cjson/cJSON.h>

enum dg_rec_kind {
    DG_REC_INVALID = 0, /* refused: reason_code and reason say why */
    DG_REC_SIGNAL,
    DG_REC_COMMAND,
    DG_REC_APPROVAL,
};

enum dg_sig_source {
    DG_SRC_CLOUDWATCH = 1, /* config match "source": "cloudwatch" */
    DG_SRC_HEALTH,         /* "aws.health" */
    DG_SRC_PROBE,          /* "probe" */
};

enum dg_sig_state {
    DG_STATE_OK = 1,
    DG_STATE_ALARM,        /* also: open health event, failing probe */
    DG_STATE_INSUFFICIENT, /* INSUFFICIENT_DATA */
};

struct dg_signal {
    enum dg_sig_source source;
    char *name;    /* alarm name; probe name; health eventTypeCode */
    char *region;  /* region code such as "us-east-1" */
    char *service; /* health: "RDS"; NULL otherwise */
    char *arn;     /* alarm ARN or health event ARN; may be NULL */
    enum dg_sig_state state;
    int64_t time_ms; /* the state's own timestamp: the policy's clock */
    char *detail;    /* human-readable reason from the source; may be NULL */
};

enum dg_cmd_action {
    DG_CMD_FAILOVER = 1,
    DG_CMD_FAILBACK,
    DG_CMD_STATUS,
    DG_CMD_VALIDATE,
    DG_CMD_RUNBOOK, /* seed 001 {"StatePayload": [...]} */
};

struct dg_command {
    enum dg_cmd_action action;
    char *global_cluster; /* GlobalClusterIdentifier; NULL for RUNBOOK */
    char *target_cluster; /* TargetDbClusterIdentifier; NULL for RUNBOOK */
    cJSON *state_payload; /* RUNBOOK: the StatePayload array (owned) */
};

struct dg_approval_msg {
    char *plan_id;
    char *plan_digest; /* "sha256:<hex>" */
    char *decision;    /* "approve" or "reject" */
    char *token;
    char *approver;
    char *signed_at;
    char *signature; /* base64 Ed25519 signature */
    int accept_data_loss;
    cJSON *body; /* the whole reply object (owned), for verification */
};

struct dg_record {
    enum dg_rec_kind kind;
    char *event_id; /* dedup key ("eb:<id>", "sns:<MessageId>", ...) or NULL */
    char *envelope; /* "sns", "eventbridge" or NULL: how it arrived */
    cJSON *sns;     /* the SNS envelope object (owned) when unwrapped */
    char *reason_code; /* INVALID: short code such as "bad_json" */
    char *reason;      /* INVALID: what is wrong, naming where */
    union {
        struct dg_signal sig;
        struct dg_command cmd;
        struct dg_approval_msg appr;
    } u;
};

#endif
