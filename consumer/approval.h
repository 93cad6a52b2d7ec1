#ifndef DRGATE_APPROVAL_H
#define DRGATE_APPROVAL_H
/*
 * The approval gate (ARCHITECTURE.md section 6): approval requests with a
 * one-time token, Ed25519-signed replies from listed approvers, M-of-N per
 * plan class, expiry. Time and randomness come in as arguments; the store
 * is the only I/O. Nothing here publishes or emits: functions return the
 * SNS message and the event payloads for the caller to send.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

struct store;
struct plan;
struct cfg_approval;
struct dg_config;
struct dg_record;
struct dg_approval_msg;
typedef struct evp_pkey_st EVP_PKEY;

#define APPROVAL_TOKEN_BYTES 32
#define APPROVAL_TOKEN_LEN 43 /* base64url, no padding */
/* A reply's signed_at may be at most this far ahead of drgate's clock, and
 * at most this far before the request was created. */
#define APPROVAL_MAX_SKEW_MS (5 * 60 * 1000)
/* Largest canonical reply (without signature) that is verified at all. */
#define APPROVAL_MAX_REPLY 4096

/* Fills buf with n random bytes; returns 0, or -1 on failure. */
typedef int (*approval_random_fn)(unsigned char *buf, size_t n, void *ctx);
/* The production source: OpenSSL RAND_bytes. */
int approval_random_openssl(unsigned char *buf, size_t n, void *ctx);

/* The gate's view of the configuration: approvers' parsed public keys and
 * the quorums. Built once from the validated config; immutable after. */
struct approval_gate;

/* Parses every approver's PEM key. DG_EINVALID (naming the approver) when a
 * key is not an Ed25519 public key. Caller frees with approval_gate_free. */
dg_rc approval_gate_new(const struct cfg_approval *cfg,
                        struct approval_gate **out, struct dg_err *err);
void approval_gate_free(struct approval_gate *g); /* accepts NULL */
/* Distinct approvals a plan of this class needs: planned -> quorum.planned,
 * unplanned -> quorum.unplanned, anything else the larger of the two;
 * never less than 1. */
int approval_gate_quorum(const struct approval_gate *g, const char *plan_class);

/* ---- requests ----------------------------------------------------------- */

struct approval_request_in {
    const struct plan *plan;
    int64_t now_ms;
    approval_random_fn random; /* approval_random_openssl in the daemon */
    void *random_ctx;
    int64_t lag_ms;          /* last observed replication lag; -1 unknown */
    int64_t lag_observed_ms; /* when it was observed (0: not stated) */
    /* Where the lag was read ("AuroraGlobalDBReplicationLag of orders-west
     * in us-west-2"), or why it is unknown ("timed out"); may be NULL. */
    const char *lag_note;
};

/* What approval_request_create hands back, once. The token appears in
 * token and inside sns_message only; clean up with
 * approval_publication_cleanup, which cleanses both. */
struct approval_publication {
    char token[APPROVAL_TOKEN_LEN + 1]; /* SECRET */
    int64_t expires_ms;
    int quorum;
    char *sns_subject; /* SNS Subject (ASCII, at most 100 characters) */
    /* SNS Message for MessageStructure=json: {"default","email": text for
     * a person, "sqs","lambda","https": the request JSON}. SECRET. */
    char *sns_message;
    /* drgate.approval.requested payload (no token). */
    cJSON *event;
};

/* Creates the approval request of in->plan: a fresh 256-bit token (only its
 * SHA-256 is stored), expiry now + ttl, quorum by class, data-loss flag.
 * DG_EINVALID (code "exists") when the plan already has a request; store
 * errors as in store.h; DG_EFATAL when the random source fails. */
dg_rc approval_request_create(const struct approval_gate *g, struct store *s,
                              const struct approval_request_in *in,
                              struct approval_publication *out,
                              struct dg_err *err);
/* For a pending request whose publication was lost (drgate stopped before
 * SNS took it): a new token replaces the old one (whose value is gone),
 * keeping the expiry, the quorum and the replication lag recorded at
 * creation (in's lag fields are ignored); *out as for
 * approval_request_create.
 * DG_EINVALID "not_pending" when the request is no longer pending. */
dg_rc approval_request_reissue(const struct approval_gate *g, struct store *s,
                               const struct approval_request_in *in,
                               struct approval_publication *out,
                               struct dg_err *err);
void approval_publication_cleanup(struct approval_publication *p);

/* Ends a pending request from outside the gate (plan superseded or
 * withdrawn): state "cancelled". *changed 0 when it was not pending. */
dg_rc approval_cancel(struct store *s, const char *plan_id, int64_t now_ms,
                      int *changed, struct dg_err *err);

/* 1 in *approved only when plan_id's request is in state approved, its
 * digest equals digest, and the store holds at least its quorum of
 * distinct approvals from approvers listed in g. What the executor asks
 * before running anything. */
dg_rc approval_is_approved(const struct approval_gate *g, struct store *s,
                           const char *plan_id, const char *digest,
                           int *approved, struct dg_err *err);

/* ---- replies ------------------------------------------------------------ */

/* The fields of a reply to sign (approval_reply_sign). */
struct approval_reply_in {
    const char *plan_id;
    const char *plan_digest;
    const char *decision; /* "approve" or "reject" */
    const char *token;
    const char *approver;
    int64_t signed_ms;
    int accept_data_loss; /* 1: add "accept_data_loss": true */
};

/* Builds the reply object with its Ed25519 signature over the canonical
 * JSON of the reply without "signature". Caller frees *out with
 * cJSON_Delete. DG_EINVALID for a missing field or a non-Ed25519 key. */
dg_rc approval_reply_sign(const struct approval_reply_in *in, EVP_PKEY *key,
                          cJSON **out, struct dg_err *err);
/* The bytes a reply's signature covers: canonical JSON of body without its
 * "signature" key. Caller frees; NULL when too large or not canonicalizable. */
char *approval_signed_text(const cJSON *body);
/* Verifies a base64 (standard or url) Ed25519 signature over text. 1 valid,
 * 0 otherwise. */
int approval_ed25519_verify(EVP_PKEY *pub, const char *text,
                            const char *sig_b64);

enum approval_verdict {
    APPROVAL_REFUSED = 0,
    APPROVAL_ACCEPTED = 1,
};

/* Reason codes of a refusal (approval_reason_code names them). */
enum approval_reason {
    APPROVAL_OK = 0,
    APPROVAL_MALFORMED,
    APPROVAL_UNKNOWN_APPROVER,
    APPROVAL_BAD_SIGNATURE,
    APPROVAL_UNKNOWN_PLAN,
    APPROVAL_DIGEST_MISMATCH,
    APPROVAL_ALREADY_FINISHED,
    APPROVAL_EXPIRED,
    APPROVAL_WRONG_TOKEN,
    APPROVAL_BAD_SIGNED_AT,
    APPROVAL_DUPLICATE_APPROVER,
    APPROVAL_DATA_LOSS_NOT_ACCEPTED,
    APPROVAL_BAD_SNS_SIGNATURE, /* for callers: approval_refused_event */
};

struct approval_outcome {
    enum approval_verdict verdict;
    enum approval_reason reason;
    char reason_text[320]; /* for people; never holds the token */
    /* After this reply: the request's state ("" when unknown_plan), the
     * distinct approvals counted and the quorum. */
    char plan_state[16];
    int approvals;
    int quorum;
    int now_approved; /* this reply completed the quorum */
    int now_rejected; /* this reply cancelled the plan */
    /* "drgate.approval.accepted" or "drgate.approval.refused" (static). */
    const char *event_type;
    cJSON *event; /* payload (owned; approval_outcome_cleanup) */
};

void approval_outcome_cleanup(struct approval_outcome *o);
/* Static code: "malformed", "unknown_approver", "bad_signature", ... */
const char *approval_reason_code(enum approval_reason r);

/* Checks one decoded reply against the gate and the store and, when it
 * counts, records it (approvals row; request state approved once the
 * quorum of distinct approvers is reached, rejected on a valid
 * rejection) in one savepoint. Always fills *out (cleanup required). A
 * refusal is DG_OK with out->verdict APPROVAL_REFUSED; only store failures
 * return an error (then do not acknowledge the input). */
dg_rc approval_verify(const struct approval_gate *g, struct store *s,
                      const struct dg_approval_msg *m, int64_t now_ms,
                      struct approval_outcome *out, struct dg_err *err);
/* The same for a decoded record: DG_REC_APPROVAL is verified, a refused
 * record (DG_REC_INVALID) becomes a "malformed" refusal with the decoder's
 * reason. DG_EINVALID for other kinds (not an approval at all). */
dg_rc approval_verify_record(const struct approval_gate *g, struct store *s,
                             const struct dg_record *r, int64_t now_ms,
                             struct approval_outcome *out, struct dg_err *err);
/* A refusal decided outside approval_verify (the SNS signature failed):
 * fills *out like a refusal for m (m may be NULL). */
void approval_refuse(const struct dg_approval_msg *m, enum approval_reason r,
                     const char *text, struct approval_outcome *out);

/* ---- expiry ------------------------------------------------------------- */

struct approval_expired {
    char *plan_id;
    char *digest;
    char *plan_class;
    int64_t expires_ms;
    cJSON *event; /* drgate.plan.expired payload */
};

/* Marks every pending request with expires <= now_ms expired (at most max
 * per call) and returns them; the caller emits drgate.plan.expired and
 * re-arms the policy (policy_rearm). Free with approval_expired_free. */
dg_rc approval_expire_due(struct store *s, int64_t now_ms, size_t max,
                          struct approval_expired **out, size_t *n,
                          struct dg_err *err);
void approval_expired_free(struct approval_expired *v, size_t n);
/* When the next pending request expires (for the daemon's timer). */
dg_rc approval_next_expiry(struct store *s, int64_t *ms, int *found,
                           struct dg_err *err);

/* ---- publishing a reply (CLI) ------------------------------------------ */

/* Publishes a signed reply to approval.reply_topic_arn through SNS
 * (credentials from the standard chain, endpoints from cfg); blocks on a
 * private loop. *message_id (caller frees with dg_free) is SNS's
 * MessageId. Defined in cli_approval.c (it needs the AWS layer). */
dg_rc approval_publish_reply(const struct dg_config *cfg,
                             const char *reply_json, char **message_id,
                             struct dg_err *err);

#endif
