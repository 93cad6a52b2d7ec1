/*
 * test_decode.c - decode: every file in tests/data/messages against a table
 * of expectations, plus targeted refusals, bounds and ARN parsing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "decode.h"
#include "json.h"
#include "testsupport.h"

/* Fields left zero or NULL are expected to be zero or NULL in the record
 * (event_id, envelope) or are not checked (the rest). */
struct msg_case {
    const char *file;
    enum dg_rec_kind kind;
    const char *reason_code;
    const char *event_id;
    const char *envelope;
    enum dg_sig_source source;
    const char *name; /* signal name, global cluster, approval plan_id */
    const char *region;
    enum dg_sig_state state;
    int64_t time_ms;
    const char *service;
    enum dg_cmd_action action;
    const char *decision;
    int accept_data_loss;
};

static const struct msg_case cases[] = {
    {.file = "eb-metric-alarm-alarm.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "ServerCpuTooHigh",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1570035880985LL},
    {.file = "eb-metric-alarm-ok.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:0a1b2c3d-0001-4e5f-8a9b-000000000002",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_OK,
     .time_ms = 1772619330250LL},
    {.file = "eb-metric-alarm-insufficient-data.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:0a1b2c3d-0001-4e5f-8a9b-000000000003",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_INSUFFICIENT,
     .time_ms = 1772619600000LL},
    {.file = "eb-composite-alarm-alarm.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:d3dfc86d-384d-24c8-0345-9f7986db0b80",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "ServiceAggregatedAlarm",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1627667409994LL},
    {.file = "eb-composite-alarm-ok.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:d3dfc86d-384d-24c8-0345-9f7986db0b81",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "ServiceAggregatedAlarm",
     .region = "us-east-1",
     .state = DG_STATE_OK,
     .time_ms = 1627668300000LL},
    {.file = "eb-anomaly-detection-alarm.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:5b2f0a8e-7c1d-4f3a-9e2b-6d4c8a1f0e11",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-connections-anomaly",
     .region = "eu-west-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1770710412345LL},
    {.file = "eb-metric-math-alarm.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:9e8d7c6b-5a49-4838-a271-605f4e3d2c1b",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-5xx-rate",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1770715800000LL},
    {.file = "eb-moto-alarm-no-account.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "aurora-primary-down",
     .region = "us-west-2",
     .state = DG_STATE_ALARM,
     .time_ms = 1767225600000LL},
    {.file = "eb-cross-region-bus-alarm.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:71c3a0d2-4b5e-4f60-9a7b-8c9d0e1f2a3b",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1772618400000LL},
    {.file = "eb-alarm-no-state-timestamp.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:71c3a0d2-4b5e-4f60-9a7b-8c9d0e1f2a3c",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1772618402000LL},
    {.file = "eb-alarm-no-resources.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:71c3a0d2-4b5e-4f60-9a7b-8c9d0e1f2a3d",
     .envelope = "eventbridge",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1772618400000LL},
    {.file = "health-rds-open.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:7bf73129-1428-4cd3-a780-95db273d1602",
     .envelope = "eventbridge",
     .source = DG_SRC_HEALTH,
     .name = "AWS_RDS_OPERATIONAL_ISSUE",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1674801910000LL,
     .service = "RDS"},
    {.file = "health-rds-closed.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:7bf73129-1428-4cd3-a780-95db273d1603",
     .envelope = "eventbridge",
     .source = DG_SRC_HEALTH,
     .name = "AWS_RDS_OPERATIONAL_ISSUE",
     .region = "us-east-1",
     .state = DG_STATE_OK,
     .time_ms = 1674808200000LL,
     .service = "RDS"},
    {.file = "health-rds-open-eu-west-1.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:3a0c9c2e-2f4a-4d77-b3e5-0f5b1e6f7a81",
     .envelope = "eventbridge",
     .source = DG_SRC_HEALTH,
     .name = "AWS_RDS_INCREASED_API_ERROR_RATES",
     .region = "eu-west-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1776165630000LL,
     .service = "RDS"},
    {.file = "health-delivered-us-west-2-about-us-east-1.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:3a0c9c2e-2f4a-4d77-b3e5-0f5b1e6f7a82",
     .envelope = "eventbridge",
     .source = DG_SRC_HEALTH,
     .name = "AWS_RDS_OPERATIONAL_ISSUE",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1776164400000LL,
     .service = "RDS"},
    {.file = "health-rds-upcoming-maintenance.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:3a0c9c2e-2f4a-4d77-b3e5-0f5b1e6f7a83",
     .envelope = "eventbridge",
     .source = DG_SRC_HEALTH,
     .name = "AWS_RDS_MAINTENANCE_SCHEDULED",
     .region = "us-east-1",
     .state = DG_STATE_OK,
     .time_ms = 1776254400000LL,
     .service = "RDS"},
    {.file = "health-ec2-no-event-region.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:3a0c9c2e-2f4a-4d77-b3e5-0f5b1e6f7a84",
     .envelope = "eventbridge",
     .source = DG_SRC_HEALTH,
     .name = "AWS_EC2_OPERATIONAL_ISSUE",
     .region = "ap-southeast-2",
     .state = DG_STATE_ALARM,
     .time_ms = 1776164400000LL,
     .service = "EC2"},
    {.file = "sns-alarm-raw-us-east-1.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "cw:arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-"
                 "writer-health/ALARM@2026-01-01T00:00:00.000+0000",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1767225600000LL},
    {.file = "sns-alarm-raw-eu-west-1.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "cw:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:payments-"
                 "db-cpu/ALARM@2026-05-06T07:08:09.123+0000",
     .source = DG_SRC_CLOUDWATCH,
     .name = "payments-db-cpu",
     .region = "eu-west-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1778051289123LL},
    {.file = "sns-alarm-raw-ap-southeast-2-ok.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "cw:arn:aws:cloudwatch:ap-southeast-2:123456789012:alarm:"
                 "orders-replica-lag/OK@2026-05-06T07:10:00.000+0000",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-replica-lag",
     .region = "ap-southeast-2",
     .state = DG_STATE_OK,
     .time_ms = 1778051400000LL},
    {.file = "sns-envelope-aws-alarm-us-east-1.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "sns:b3f5c1e2-7d4a-5b6c-8e9f-0a1b2c3d4e5f",
     .envelope = "sns",
     .source = DG_SRC_CLOUDWATCH,
     .name = "orders-writer-health",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1767225600000LL},
    {.file = "sns-envelope-moto-alarm-eu-west-1.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "sns:bf0c3396-88d9-4bdd-94c0-435be8988e16",
     .envelope = "sns",
     .source = DG_SRC_CLOUDWATCH,
     .name = "payments-db-cpu",
     .region = "eu-west-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1778051289123LL},
    {.file = "sns-envelope-moto-eventbridge-alarm.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "sns",
     .source = DG_SRC_CLOUDWATCH,
     .name = "aurora-primary-down",
     .region = "us-west-2",
     .state = DG_STATE_ALARM,
     .time_ms = 1767225600000LL},
    {.file = "sns-envelope-aws-health-open.json",
     .kind = DG_REC_SIGNAL,
     .event_id = "eb:7bf73129-1428-4cd3-a780-95db273d1604",
     .envelope = "sns",
     .source = DG_SRC_HEALTH,
     .name = "AWS_RDS_OPERATIONAL_ISSUE",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1674801910000LL,
     .service = "RDS"},
    {.file = "probe-fail.json",
     .kind = DG_REC_SIGNAL,
     .source = DG_SRC_PROBE,
     .name = "primary-writer",
     .region = "us-east-1",
     .state = DG_STATE_ALARM,
     .time_ms = 1772618410000LL},
    {.file = "probe-ok.json",
     .kind = DG_REC_SIGNAL,
     .source = DG_SRC_PROBE,
     .name = "primary-writer",
     .region = "us-east-1",
     .state = DG_STATE_OK,
     .time_ms = 1772618700000LL},
    {.file = "cmd-failover.json",
     .kind = DG_REC_COMMAND,
     .name = "orders-global",
     .action = DG_CMD_FAILOVER},
    {.file = "cmd-failback.json",
     .kind = DG_REC_COMMAND,
     .name = "orders-global",
     .action = DG_CMD_FAILBACK},
    {.file = "cmd-status-upper-case.json",
     .kind = DG_REC_COMMAND,
     .name = "orders-global",
     .action = DG_CMD_STATUS},
    {.file = "cmd-validate-mixed-case.json",
     .kind = DG_REC_COMMAND,
     .name = "orders-global",
     .action = DG_CMD_VALIDATE},
    {.file = "sns-envelope-aws-command-failover.json",
     .kind = DG_REC_COMMAND,
     .event_id = "sns:d5b7e3a4-9f6c-7d8e-0a1b-2c3d4e5f6071",
     .envelope = "sns",
     .name = "orders-global",
     .action = DG_CMD_FAILOVER},
    {.file = "runbook-tc1-planned-switchover.json",
     .kind = DG_REC_COMMAND,
     .action = DG_CMD_RUNBOOK},
    {.file = "runbook-tc1-literal-parameters.json",
     .kind = DG_REC_COMMAND,
     .action = DG_CMD_RUNBOOK},
    {.file = "runbook-tc2-unplanned-failover.json",
     .kind = DG_REC_COMMAND,
     .action = DG_CMD_RUNBOOK},
    {.file = "runbook-tc3-create-secondary.json",
     .kind = DG_REC_COMMAND,
     .action = DG_CMD_RUNBOOK},
    {.file = "runbook-tc4-rds-replica-and-elasticache.json",
     .kind = DG_REC_COMMAND,
     .action = DG_CMD_RUNBOOK},
    {.file = "sns-envelope-moto-runbook.json",
     .kind = DG_REC_COMMAND,
     .event_id = "sns:bf0c3396-88d9-4bdd-94c0-435be8988e18",
     .envelope = "sns",
     .action = DG_CMD_RUNBOOK},
    {.file = "approval-approve.json",
     .kind = DG_REC_APPROVAL,
     .name = "plan-20260304-0001",
     .decision = "approve"},
    {.file = "approval-reject.json",
     .kind = DG_REC_APPROVAL,
     .name = "plan-20260304-0001",
     .decision = "reject"},
    {.file = "approval-approve-accept-data-loss.json",
     .kind = DG_REC_APPROVAL,
     .name = "plan-20260304-0001",
     .decision = "approve",
     .accept_data_loss = 1},
    {.file = "sns-envelope-moto-approval.json",
     .kind = DG_REC_APPROVAL,
     .event_id = "sns:bf0c3396-88d9-4bdd-94c0-435be8988e19",
     .envelope = "sns",
     .name = "plan-20260304-0001",
     .decision = "approve"},
    {.file = "bad-json-truncated.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_json"},
    {.file = "bad-json-trailing-garbage.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_json"},
    {.file = "bad-json-empty.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_json"},
    {.file = "bad-depth-65.json",
     .kind = DG_REC_INVALID,
     .reason_code = "too_deep"},
    {.file = "bad-duplicate-key.json",
     .kind = DG_REC_INVALID,
     .reason_code = "duplicate_key"},
    {.file = "bad-eb-unknown-detail-type.json",
     .kind = DG_REC_INVALID,
     .reason_code = "unknown_shape",
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge"},
    {.file = "bad-eb-state-value.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field",
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge"},
    {.file = "bad-eb-missing-alarm-name.json",
     .kind = DG_REC_INVALID,
     .reason_code = "missing_field",
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge"},
    {.file = "bad-eb-alarm-name-number.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field",
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge"},
    {.file = "bad-eb-state-timestamp.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_time",
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge"},
    {.file = "bad-eb-region.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_region",
     .event_id = "eb:4fb0905e-2b20-4170-832c-773791e5f820",
     .envelope = "eventbridge"},
    {.file = "bad-sns-alarm-arn-without-region.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_region"},
    {.file = "bad-sns-alarm-state-change-time.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_time"},
    {.file = "bad-sns-alarm-missing-new-state.json",
     .kind = DG_REC_INVALID,
     .reason_code = "missing_field"},
    {.file = "bad-sns-message-not-json.json",
     .kind = DG_REC_INVALID,
     .reason_code = "sns_bad_message",
     .event_id = "sns:bf0c3396-88d9-4bdd-94c0-435be8988e20",
     .envelope = "sns"},
    {.file = "bad-sns-subscription-confirmation.json",
     .kind = DG_REC_INVALID,
     .reason_code = "sns_subscription_confirmation",
     .event_id = "sns:165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
     .envelope = "sns"},
    {.file = "bad-sns-unsubscribe-confirmation.json",
     .kind = DG_REC_INVALID,
     .reason_code = "sns_subscription_confirmation",
     .event_id = "sns:47138184-6831-46b8-8f7c-afc488602d7d",
     .envelope = "sns"},
    {.file = "bad-health-status-code.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field",
     .event_id = "eb:7bf73129-1428-4cd3-a780-95db273d1699",
     .envelope = "eventbridge"},
    {.file = "bad-health-start-time.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_time",
     .event_id = "eb:7bf73129-1428-4cd3-a780-95db273d169a",
     .envelope = "eventbridge"},
    {.file = "bad-cmd-action.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-cmd-missing-target.json",
     .kind = DG_REC_INVALID,
     .reason_code = "missing_field"},
    {.file = "bad-cmd-empty-global-cluster.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-runbook-layer-string.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-runbook-missing-resource-type.json",
     .kind = DG_REC_INVALID,
     .reason_code = "missing_field"},
    {.file = "bad-runbook-empty.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-approval-extra-key.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-approval-token-short.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-approval-digest.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-approval-signed-at.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_time"},
    {.file = "bad-approval-decision.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-approval-missing-signature.json",
     .kind = DG_REC_INVALID,
     .reason_code = "missing_field"},
    {.file = "bad-probe-ok-string.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_field"},
    {.file = "bad-probe-region.json",
     .kind = DG_REC_INVALID,
     .reason_code = "bad_region"},
    {.file = "bad-unknown-shape.json",
     .kind = DG_REC_INVALID,
     .reason_code = "unknown_shape"},
    {.file = "bad-not-an-object.json",
     .kind = DG_REC_INVALID,
     .reason_code = "unknown_shape"},
    {.file = "bad-type-unknown.json",
     .kind = DG_REC_INVALID,
     .reason_code = "unknown_shape"},
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

static void
decode_file(const char *file, struct dg_record *r)
{
    char rel[256];
    size_t len = 0;
    snprintf(rel, sizeof(rel), "messages/%s", file);
    char *data = ts_read_file(ts_data(rel), &len);
    ck_assert_msg(data != NULL, "missing data file %s", rel);
    decode_message(data, len, r);
    free(data);
}

static void
assert_str_or_null(const char *what, const char *file, const char *want,
                   const char *got)
{
    if (!want)
        ck_assert_msg(got == NULL, "%s: %s: expected NULL, got \"%s\"", file,
                      what, got);
    else
        ck_assert_msg(got && strcmp(want, got) == 0,
                      "%s: %s: expected \"%s\", got \"%s\"", file, what, want,
                      got ? got : "(null)");
}

static void
check_signal(const struct msg_case *c, const struct dg_signal *s)
{
    ck_assert_int_eq(s->source, c->source);
    assert_str_or_null("name", c->file, c->name, s->name);
    assert_str_or_null("region", c->file, c->region, s->region);
    ck_assert_int_eq(s->state, c->state);
    ck_assert_msg(s->time_ms == c->time_ms, "%s: time %lld, expected %lld",
                  c->file, (long long)s->time_ms, (long long)c->time_ms);
    if (c->service)
        assert_str_or_null("service", c->file, c->service, s->service);
    if (c->source == DG_SRC_HEALTH)
        ck_assert_ptr_nonnull(s->arn);
}

static void
check_command(const struct msg_case *c, const struct dg_command *cmd)
{
    ck_assert_int_eq(cmd->action, c->action);
    if (c->action == DG_CMD_RUNBOOK) {
        ck_assert(cJSON_IsArray(cmd->state_payload));
        ck_assert_int_ge(cJSON_GetArraySize(cmd->state_payload), 1);
        ck_assert_ptr_null(cmd->global_cluster);
        return;
    }
    ck_assert_ptr_null(cmd->state_payload);
    assert_str_or_null("global", c->file, c->name, cmd->global_cluster);
    ck_assert_ptr_nonnull(cmd->target_cluster);
}

static void
check_approval(const struct msg_case *c, const struct dg_approval_msg *a)
{
    assert_str_or_null("plan_id", c->file, c->name, a->plan_id);
    assert_str_or_null("decision", c->file, c->decision, a->decision);
    ck_assert_int_eq(a->accept_data_loss, c->accept_data_loss);
    ck_assert_ptr_nonnull(a->token);
    ck_assert_ptr_nonnull(a->approver);
    ck_assert_ptr_nonnull(a->signed_at);
    ck_assert_ptr_nonnull(a->signature);
    ck_assert(cJSON_IsObject(a->body));
    ck_assert_str_eq(dg_json_str(a->body, "plan_id"), a->plan_id);
}

START_TEST(test_message_files)
{
    const struct msg_case *c = &cases[_i];
    struct dg_record r;
    decode_file(c->file, &r);
    ck_assert_msg(r.kind == c->kind, "%s: kind %s, expected %s (%s: %s)",
                  c->file, decode_kind_name(r.kind), decode_kind_name(c->kind),
                  r.reason_code ? r.reason_code : "-",
                  r.reason ? r.reason : "-");
    assert_str_or_null("event_id", c->file, c->event_id, r.event_id);
    assert_str_or_null("envelope", c->file, c->envelope, r.envelope);
    if (c->envelope && strcmp(c->envelope, "sns") == 0)
        ck_assert(cJSON_IsObject(r.sns));
    else
        ck_assert_ptr_null(r.sns);
    switch (c->kind) {
    case DG_REC_INVALID:
        assert_str_or_null("reason_code", c->file, c->reason_code,
                           r.reason_code);
        ck_assert_ptr_nonnull(r.reason);
        ck_assert_int_gt((int)strlen(r.reason), 10);
        break;
    case DG_REC_SIGNAL:
        check_signal(c, &r.u.sig);
        break;
    case DG_REC_COMMAND:
        check_command(c, &r.u.cmd);
        break;
    case DG_REC_APPROVAL:
        check_approval(c, &r.u.appr);
        break;
    }
    if (c->kind != DG_REC_INVALID) {
        ck_assert_ptr_null(r.reason_code);
        ck_assert_ptr_null(r.reason);
    }
    decode_record_cleanup(&r);
    ck_assert_int_eq(r.kind, DG_REC_INVALID);
    ck_assert_ptr_null(r.event_id);
}
END_TEST

START_TEST(test_case_count)
{
    /* A missing file or a table cut short must fail loudly. */
    ck_assert_int_ge(N_CASES, 30);
    ck_assert_int_eq(N_CASES, 77);
    /* Every data file has a row, so a new file cannot go unchecked. */
    DIR *d = opendir(ts_data("messages"));
    ck_assert_ptr_nonnull(d);
    int files = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        int found = 0;
        for (int i = 0; i < N_CASES; i++)
            if (strcmp(cases[i].file, e->d_name) == 0)
                found = 1;
        ck_assert_msg(found, "%s has no row in the table", e->d_name);
        files++;
    }
    closedir(d);
    ck_assert_int_eq(files, N_CASES);
}
END_TEST

/* ---- targeted refusals ------------------------------------------------ */

static void
decode_str(const char *s, struct dg_record *r)
{
    decode_message(s, strlen(s), r);
}

static void
expect_invalid(const char *msg, const char *code, const char *reason_part)
{
    struct dg_record r;
    decode_str(msg, &r);
    ck_assert_msg(r.kind == DG_REC_INVALID, "accepted: %s", msg);
    ck_assert_str_eq(r.reason_code, code);
    if (reason_part)
        ck_assert_msg(strstr(r.reason, reason_part) != NULL,
                      "reason \"%s\" lacks \"%s\"", r.reason, reason_part);
    decode_record_cleanup(&r);
}

START_TEST(test_reason_names_path)
{
    struct dg_record r;
    decode_file("bad-eb-state-value.json", &r);
    ck_assert_str_eq(r.reason, "/detail/state/value: expected OK, ALARM or "
                               "INSUFFICIENT_DATA (got \"BROKEN\")");
    /* The signal fields filled before the refusal are gone. */
    ck_assert_ptr_null(r.u.sig.name);
    decode_record_cleanup(&r);

    decode_file("bad-eb-unknown-detail-type.json", &r);
    ck_assert_ptr_nonnull(strstr(r.reason, "EC2 Instance State-change"));
    decode_record_cleanup(&r);

    decode_file("bad-sns-message-not-json.json", &r);
    ck_assert_ptr_nonnull(strstr(r.reason, "/Message: "));
    decode_record_cleanup(&r);

    decode_file("bad-cmd-missing-target.json", &r);
    ck_assert_str_eq(r.reason,
                     "/TargetDbClusterIdentifier: missing (expected a string)");
    decode_record_cleanup(&r);

    decode_file("bad-runbook-missing-resource-type.json", &r);
    ck_assert_str_eq(r.reason, "/StatePayload/0/resources/1/resourceType: "
                               "missing (expected a string)");
    decode_record_cleanup(&r);

    decode_file("bad-approval-extra-key.json", &r);
    ck_assert_ptr_nonnull(strstr(r.reason, "\"note\""));
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(test_sns_inner_path)
{
    /* A refusal inside the SNS Message names the path under /Message. */
    const char *env =
        "{\"Type\": \"Notification\", \"MessageId\": \"m-1\", \"TopicArn\": "
        "\"arn:aws:sns:us-east-1:123456789012:t\", \"Message\": "
        "\"{\\\"AlarmName\\\": \\\"a\\\", \\\"NewStateValue\\\": \\\"MAYBE\\\"}"
        "\"}";
    struct dg_record r;
    decode_str(env, &r);
    ck_assert_int_eq(r.kind, DG_REC_INVALID);
    ck_assert_str_eq(r.reason_code, "bad_field");
    ck_assert_str_eq(r.reason, "/Message/NewStateValue: expected OK, ALARM "
                               "or INSUFFICIENT_DATA (got \"MAYBE\")");
    ck_assert_str_eq(r.event_id, "sns:m-1");
    ck_assert_str_eq(r.envelope, "sns");
    ck_assert(cJSON_IsObject(r.sns));
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(test_too_large)
{
    /* One byte over 256 KiB, otherwise a valid command. */
    size_t n = DG_JSON_MAX_MESSAGE + 1;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    const char *head = "{\"Action\": \"status\", \"GlobalClusterIdentifier\": "
                       "\"g\", \"TargetDbClusterIdentifier\": \"t\"}";
    memset(big, ' ', n);
    memcpy(big, head, strlen(head));
    struct dg_record r;
    decode_message(big, n, &r);
    ck_assert_int_eq(r.kind, DG_REC_INVALID);
    ck_assert_str_eq(r.reason_code, "too_large");
    decode_record_cleanup(&r);
    /* Exactly at the limit is fine. */
    decode_message(big, n - 1, &r);
    ck_assert_int_eq(r.kind, DG_REC_COMMAND);
    decode_record_cleanup(&r);
    free(big);
}
END_TEST

static char *
nested(int depth, const char *inner)
{
    size_t n = (size_t)depth * 2 + strlen(inner) + 1;
    char *s = malloc(n), *p = s;
    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < depth; i++)
        *p++ = '[';
    memcpy(p, inner, strlen(inner));
    p += strlen(inner);
    for (int i = 0; i < depth; i++)
        *p++ = ']';
    *p = '\0';
    return s;
}

START_TEST(test_depth)
{
    char *s = nested(64, "");
    expect_invalid(s, "unknown_shape", "expected a JSON object");
    free(s);
    s = nested(65, "");
    expect_invalid(s, "too_deep", NULL);
    free(s);
    /* The envelope's own level counts: 64 inside the Message is 65. */
    char *inner = nested(64, "");
    char *env = malloc(strlen(inner) + 200);
    ck_assert_ptr_nonnull(env);
    sprintf(env,
            "{\"Type\": \"Notification\", \"MessageId\": \"m\", "
            "\"Message\": \"%s\"}",
            inner);
    expect_invalid(env, "too_deep", "/Message");
    free(env);
    free(inner);
}
END_TEST

START_TEST(test_bytes)
{
    struct dg_record r;
    decode_message(NULL, 0, &r);
    ck_assert_str_eq(r.reason_code, "bad_json");
    decode_record_cleanup(&r);
    decode_message("{\"a\":1}\0{}", 10, &r);
    ck_assert_str_eq(r.reason_code, "bad_json");
    decode_record_cleanup(&r);
    expect_invalid("{}", "unknown_shape", "empty object");
    expect_invalid("\"ALARM\"", "unknown_shape", "a string");
    expect_invalid("{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5}",
                   "unknown_shape", "\"a\", \"b\", \"c\", \"d\", ...");
}
END_TEST

START_TEST(test_string_bounds)
{
    char name[300], msg[1024];
    memset(name, 'n', sizeof(name));
    name[255] = '\0';
    const char *fmt =
        "{\"AlarmName\": \"%s\", \"NewStateValue\": \"ALARM\", "
        "\"StateChangeTime\": \"2026-01-01T00:00:00.000+0000\", \"AlarmArn\": "
        "\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:x\"}";
    struct dg_record r;
    snprintf(msg, sizeof(msg), fmt, name);
    decode_str(msg, &r);
    ck_assert_int_eq(r.kind, DG_REC_SIGNAL);
    ck_assert_int_eq((int)strlen(r.u.sig.name), 255);
    decode_record_cleanup(&r);
    name[255] = 'n';
    name[256] = '\0';
    snprintf(msg, sizeof(msg), fmt, name);
    expect_invalid(msg, "bad_field", "/AlarmName: expected at most 255 bytes");
    snprintf(msg, sizeof(msg), fmt, "bad\xff\xfe");
    expect_invalid(msg, "bad_field", "/AlarmName: expected valid UTF-8");
    snprintf(msg, sizeof(msg), fmt, "caf\xc3\xa9");
    decode_str(msg, &r);
    ck_assert_int_eq(r.kind, DG_REC_SIGNAL);
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(test_refusals)
{
    /* SNS envelope problems. */
    expect_invalid("{\"Type\": \"Notification\", \"MessageId\": \"m\"}",
                   "missing_field", "/Message: missing");
    expect_invalid("{\"Type\": \"Notification\", \"MessageId\": \"m\", "
                   "\"Message\": 5}",
                   "bad_field", "/Message: expected a string");
    expect_invalid("{\"Type\": \"Notification\", \"MessageId\": \"m\", "
                   "\"Message\": \"{\\\"a\\\":1,\\\"a\\\":2}\"}",
                   "duplicate_key", "/Message");
    expect_invalid("{\"Type\": \"Notification\", \"MessageId\": \"m\", "
                   "\"Message\": \"{\\\"Type\\\": \\\"Notification\\\", "
                   "\\\"MessageId\\\": \\\"n\\\", \\\"Message\\\": "
                   "\\\"{}\\\"}\"}",
                   "sns_bad_message", "inside an SNS envelope");
    expect_invalid("{\"Type\": \"Bogus\", \"MessageId\": \"m\"}",
                   "unknown_shape", "/Type");
    /* EventBridge. */
    expect_invalid("{\"source\": \"aws.cloudwatch\", \"detail-type\": "
                   "\"CloudWatch Alarm State Change\"}",
                   "missing_field", "/id: missing");
    expect_invalid("{\"id\": \"e\", \"source\": \"aws.cloudwatch\", "
                   "\"detail-type\": \"CloudWatch Alarm State Change\", "
                   "\"detail\": []}",
                   "bad_field", "/detail: expected an object (got an array)");
    expect_invalid("{\"id\": \"e\", \"source\": \"aws.cloudwatch\", "
                   "\"detail-type\": \"CloudWatch Alarm State Change\", "
                   "\"region\": \"us-east-1\", \"detail\": {\"alarmName\": "
                   "\"a\", \"state\": {\"value\": \"OK\"}}}",
                   "missing_field", "/time: missing");
    expect_invalid("{\"id\": \"e\", \"source\": \"aws.cloudwatch\", "
                   "\"detail-type\": \"CloudWatch Alarm State Change\", "
                   "\"time\": \"2026-01-01T00:00:00Z\", \"detail\": "
                   "{\"alarmName\": \"a\", \"state\": {\"value\": \"OK\"}}}",
                   "missing_field", "/region: missing");
    expect_invalid("{\"id\": \"e\", \"source\": \"aws.cloudwatch\", "
                   "\"detail-type\": \"CloudWatch Alarm State Change\", "
                   "\"time\": \"2026-01-01T00:00:00Z\", \"region\": "
                   "\"us-east-1\", \"detail\": {\"alarmName\": \"a\", "
                   "\"state\": {\"value\": \"OK\"}, \"configuration\": "
                   "{\"alarmRule\": 7}}}",
                   "bad_field", "/detail/configuration/alarmRule");
    /* Probe. */
    expect_invalid("{\"type\": \"drgate.probe\", \"probe\": \"p\", "
                   "\"region\": \"us-east-1\", \"time\": "
                   "\"2026-01-01T00:00:00Z\"}",
                   "missing_field", "/ok: missing");
    expect_invalid("{\"type\": 3}", "unknown_shape", "/type");
    /* Approval token alphabet and padding. */
    expect_invalid("{\"type\": \"drgate.approval\", \"plan_id\": \"p\", "
                   "\"plan_digest\": \"sha256:"
                   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
                   "abcdef\", \"decision\": \"approve\", \"token\": "
                   "\"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\"}",
                   "bad_field", "/token");
    expect_invalid("{\"type\": \"drgate.approval\", \"plan_id\": \"p\", "
                   "\"plan_digest\": \"sha256:"
                   "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
                   "abcdef\"}",
                   "bad_field", "/plan_digest");
}
END_TEST

START_TEST(test_health_global)
{
    struct dg_record r;
    decode_str("{\"id\": \"h\", \"source\": \"aws.health\", \"detail-type\": "
               "\"AWS Health Event\", \"time\": \"2026-01-01T00:00:00Z\", "
               "\"region\": \"us-east-1\", \"detail\": {\"service\": \"IAM\", "
               "\"eventTypeCode\": \"AWS_IAM_OPERATIONAL_ISSUE\", "
               "\"statusCode\": \"open\", \"eventRegion\": \"global\"}}",
               &r);
    ck_assert_int_eq(r.kind, DG_REC_SIGNAL);
    ck_assert_str_eq(r.u.sig.region, "global");
    ck_assert_str_eq(r.u.sig.detail, "open");
    ck_assert_ptr_null(r.u.sig.arn);
    ck_assert(r.u.sig.time_ms == 1767225600000LL);
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(test_runbook_copy)
{
    struct dg_record r;
    decode_file("runbook-tc4-rds-replica-and-elasticache.json", &r);
    ck_assert_int_eq(r.kind, DG_REC_COMMAND);
    const cJSON *layer = cJSON_GetArrayItem(r.u.cmd.state_payload, 0);
    const cJSON *res = dg_json_arr(layer, "resources");
    ck_assert_int_eq(cJSON_GetArraySize(res), 2);
    ck_assert_str_eq(dg_json_str(cJSON_GetArrayItem(res, 1), "resourceType"),
                     "FailoverElastiCacheCluster");
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(test_signal_details)
{
    struct dg_record r;
    decode_file("eb-composite-alarm-alarm.json", &r);
    ck_assert_str_eq(r.u.sig.arn, "arn:aws:cloudwatch:us-east-1:123456789012:"
                                  "alarm:ServiceAggregatedAlarm");
    ck_assert_ptr_nonnull(strstr(r.u.sig.detail, "transitioned to ALARM"));
    decode_record_cleanup(&r);
    decode_file("probe-fail.json", &r);
    ck_assert_str_eq(r.u.sig.detail, "connect refused");
    decode_record_cleanup(&r);
    decode_file("health-rds-upcoming-maintenance.json", &r);
    ck_assert_str_eq(r.u.sig.detail, "upcoming");
    decode_record_cleanup(&r);
}
END_TEST

START_TEST(test_cleanup_zeroed)
{
    struct dg_record r;
    memset(&r, 0, sizeof(r));
    decode_record_cleanup(&r);
    decode_record_cleanup(&r);
    decode_record_cleanup(NULL);
    ck_assert_int_eq(r.kind, DG_REC_INVALID);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(decode_kind_name(DG_REC_APPROVAL), "approval");
    ck_assert_str_eq(decode_kind_name((enum dg_rec_kind)99), "?");
    ck_assert_str_eq(decode_source_name(DG_SRC_CLOUDWATCH), "cloudwatch");
    ck_assert_str_eq(decode_source_name(DG_SRC_HEALTH), "aws.health");
    ck_assert_str_eq(decode_source_name(DG_SRC_PROBE), "probe");
    ck_assert_str_eq(decode_state_name(DG_STATE_OK), "OK");
    ck_assert_str_eq(decode_state_name(DG_STATE_ALARM), "ALARM");
    ck_assert_str_eq(decode_state_name(DG_STATE_INSUFFICIENT),
                     "INSUFFICIENT_DATA");
    ck_assert_str_eq(decode_state_name((enum dg_sig_state)0), "?");
    ck_assert_str_eq(decode_action_name(DG_CMD_RUNBOOK), "runbook");
}
END_TEST

/* ---- ARNs and regions ------------------------------------------------- */

static const struct {
    const char *arn;
    const char *region; /* NULL: refused */
} arns[] = {
    {"arn:aws:cloudwatch:us-east-1:123456789012:alarm:x", "us-east-1"},
    {"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a:b", "eu-west-1"},
    {"arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:x",
     "us-gov-west-1"},
    {"arn:aws-cn:rds:cn-northwest-1:123456789012:cluster:c", "cn-northwest-1"},
    {"arn:aws:health:ap-southeast-2::event/RDS/X/Y", "ap-southeast-2"},
    {"arn:aws:s3:::bucket", NULL},
    {"arn:aws:cloudwatch:US-EAST-1:1:alarm:x", NULL},
    {"arn:aws:cloudwatch:us-east-1", NULL},
    {"arn:aws:cloudwatch:moon:1:alarm:x", NULL},
    {"arn::cloudwatch:us-east-1:1:alarm:x", NULL},
    {"arn:aws::us-east-1:1:alarm:x", NULL},
    {"urn:aws:cloudwatch:us-east-1:1:alarm:x", NULL},
    {"arn:aws:cloudwatch:us-east-1x:1:alarm:x", NULL},
    {"arn:aws:cloudwatch:us--1:1:alarm:x", NULL},
    {"arn:aws:cloudwatch:us-east-123:1:alarm:x", NULL},
    {"arn:aws:cloudwatch:us-east-1-:1:alarm:x", NULL},
    {"", NULL},
};

START_TEST(test_region_from_arn)
{
    char out[DECODE_REGION_MAX + 1];
    int rc = decode_region_from_arn(arns[_i].arn, out, sizeof(out));
    if (arns[_i].region) {
        ck_assert_msg(rc == 0, "refused %s", arns[_i].arn);
        ck_assert_str_eq(out, arns[_i].region);
    } else {
        ck_assert_msg(rc == -1, "accepted %s as %s", arns[_i].arn, out);
        ck_assert_str_eq(out, "");
    }
}
END_TEST

START_TEST(test_region_from_arn_small_buffer)
{
    char out[9];
    ck_assert_int_eq(decode_region_from_arn("arn:aws:cloudwatch:us-east-1:1:"
                                            "alarm:x",
                                            out, sizeof(out)),
                     -1);
    ck_assert_int_eq(decode_region_from_arn(NULL, out, sizeof(out)), -1);
    char fits[10];
    ck_assert_int_eq(decode_region_from_arn("arn:aws:cloudwatch:us-east-1:1:"
                                            "alarm:x",
                                            fits, sizeof(fits)),
                     0);
    ck_assert(decode_region_valid("il-central-1"));
    ck_assert(decode_region_valid("us-isob-east-1"));
    ck_assert(!decode_region_valid("global"));
    ck_assert(!decode_region_valid(NULL));
    ck_assert(!decode_region_valid("us-east"));
}
END_TEST

static Suite *
decode_suite(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, test_case_count);
    tcase_add_loop_test(tc, test_message_files, 0, N_CASES);
    suite_add_tcase(s, tc);
    tc = tcase_create("refusals");
    tcase_add_test(tc, test_reason_names_path);
    tcase_add_test(tc, test_sns_inner_path);
    tcase_add_test(tc, test_too_large);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_bytes);
    tcase_add_test(tc, test_string_bounds);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    tc = tcase_create("fields");
    tcase_add_test(tc, test_health_global);
    tcase_add_test(tc, test_runbook_copy);
    tcase_add_test(tc, test_signal_details);
    tcase_add_test(tc, test_cleanup_zeroed);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("arn");
    tcase_add_loop_test(tc, test_region_from_arn, 0,
                        (int)(sizeof(arns) / sizeof(arns[0])));
    tcase_add_test(tc, test_region_from_arn_small_buffer);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(decode_suite());
}
