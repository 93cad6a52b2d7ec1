#ifndef DRGATE_DECODE_H
#define DRGATE_DECODE_H
/*
 * decode: one raw message (SQS body, Kafka value, file line) in, one
 * normalized struct dg_record (record.h) out. Pure: no I/O, no clock, no
 * globals. ARCHITECTURE.md section 3 lists the shapes understood.
 */
#include <stddef.h>

#include "record.h"

/* Longest region code accepted ("ap-southeast-2" and friends). */
#define DECODE_REGION_MAX 32

/* Decodes len bytes (no NUL needed; NULL data is treated as empty). Always
 * fills *out, which is overwritten without being freed: pass a zeroed or
 * cleaned-up record. On refusal out->kind is DG_REC_INVALID with reason_code
 * and reason set; event_id, envelope and sns stay set when they were known
 * before the refusal. The caller frees with decode_record_cleanup(). */
void decode_message(const char *data, size_t len, struct dg_record *out);

/* Frees everything r owns and leaves it zeroed; a zeroed record is fine. */
void decode_record_cleanup(struct dg_record *r);

/* Static names: "invalid", "signal", "command", "approval"; "cloudwatch",
 * "aws.health", "probe"; "OK", "ALARM", "INSUFFICIENT_DATA". "?" for values
 * outside the enums. */
const char *decode_kind_name(enum dg_rec_kind kind);
const char *decode_source_name(enum dg_sig_source source);
const char *decode_state_name(enum dg_sig_state state);
/* Static name of a command action: "failover", "failback", "status",
 * "validate", "runbook"; "?" otherwise. */
const char *decode_action_name(enum dg_cmd_action action);

/* Copies the region of an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:...)
 * into out. Returns 0, or -1 (out set to "") when arn is not an ARN, its
 * region does not look like a region code, or it does not fit in outlen. */
int decode_region_from_arn(const char *arn, char *out, size_t outlen);

/* 1 when s looks like a region code: lower-case words joined by '-', the
 * first of two letters, the last a number ("us-east-1", "us-gov-west-1"),
 * at most DECODE_REGION_MAX bytes. */
int decode_region_valid(const char *s);

#endif
