#ifndef DRGATE_EVENTS_H
#define DRGATE_EVENTS_H
/*
 * CloudEvents 1.0 JSON for the audit trail (ARCHITECTURE.md section 7) and
 * the hash chain over them. Pure: ids come from caller-supplied random
 * bytes, times from the caller's clock.
 *
 * A sealed event carries three extension attributes: "drgateseq" (its
 * position in the chain, from 1), "drgateprev" (the previous event's
 * drgatehash; EVENTS_GENESIS for the first) and "drgatehash": the lower-case
 * hex SHA-256 of drgateprev's 64 characters followed by the canonical JSON
 * (json.h) of the event without "drgatehash". A sink's copy can be checked
 * without the store.
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "err.h"

#define EVENTS_GENESIS                                                         \
    "0000000000000000000000000000000000000000000000000000000000000000"
#define EVENTS_UUID_LEN 36
/* Largest sealed event we store or accept back (a plan is the biggest). */
#define EVENTS_MAX_JSON (1024 * 1024)

#define EVENTS_DECISION_MADE "drgate.decision.made"
#define EVENTS_PLAN_PROPOSED "drgate.plan.proposed"
#define EVENTS_INPUT_REJECTED "drgate.input.rejected"
#define EVENTS_COMMAND_REPLIED "drgate.command.replied"

/* Formats 16 random bytes as a version-4 UUID (out: 37 bytes). */
void events_uuid4(const unsigned char rnd[16], char out[EVENTS_UUID_LEN + 1]);

/* The event type for an engine output line's "kind" ("decision", "plan",
 * "rejected"); NULL for an unknown kind. */
const char *events_type_for_kind(const char *kind);

/* Builds an unsealed event: specversion, id, source "drgate/<service>",
 * type, time (from time_ms), subject (omitted when NULL), datacontenttype
 * "application/json" and data (consumed). Caller frees with cJSON_Delete. */
cJSON *events_new(const char *service, const char *type, const char *id,
                  int64_t time_ms, const char *subject, cJSON *data);

/* The chain hash of ev (any "drgatehash" member is ignored; the tree is
 * left as it was, apart from member order) after prev.
 * DG_EINVALID when ev cannot be written canonically. */
dg_rc events_hash(cJSON *ev, const char *prev, char out[DG_SHA256_HEX_LEN + 1],
                  struct dg_err *err);

/* Adds drgateseq and drgateprev to ev, computes its hash into hash_out and
 * adds drgatehash. Returns the canonical text of the sealed event (caller
 * frees with dg_free), or NULL with err set. */
char *events_seal(cJSON *ev, int64_t seq, const char *prev,
                  char hash_out[DG_SHA256_HEX_LEN + 1], struct dg_err *err);

#endif
