#ifndef DRGATE_STORE_APPROVAL_H
#define DRGATE_STORE_APPROVAL_H
/*
 * The approval gate's tables (migration 3): approval_requests, one row per
 * plan awaiting humans, and approvals, one row per counted reply. Thin SQL;
 * the rules live in approval.c. Errors as in store.h: DG_ETRANSIENT (busy,
 * I/O) or DG_EFATAL.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

/* Request states. Only "pending" accepts replies. */
#define STORE_APPR_PENDING "pending"
#define STORE_APPR_APPROVED "approved"
#define STORE_APPR_REJECTED "rejected"
#define STORE_APPR_EXPIRED "expired"
#define STORE_APPR_CANCELLED "cancelled"

/* One approval_requests row. Strings owned; store_appr_req_cleanup frees. */
struct store_appr_req {
    char *plan_id;
    char *digest;
    char *plan_class;
    char *token_hash; /* lower-case hex SHA-256 of the token */
    char *state;
    int quorum;
    int data_loss;
    int64_t created_ms;
    int64_t expires_ms;
    int64_t decided_ms; /* 0 while pending */
    /* The replication lag the request stated (has_lag 0: unknown). */
    int has_lag;
    int64_t lag_ms;
    int64_t lag_observed_ms; /* 0: not stated */
    char *lag_note;          /* where it was read, or why unknown; NULL */
};

void store_appr_req_cleanup(struct store_appr_req *r); /* NULL fields ok */

/* Inserts a new request; DG_EINVALID (code "exists") when plan_id has one. */
dg_rc store_appr_req_add(struct store *s, const struct store_appr_req *r,
                         struct dg_err *err);
/* Reads the request of plan_id into *out (zeroed first); *found is 0 when
 * there is none. */
dg_rc store_appr_req_get(struct store *s, const char *plan_id,
                         struct store_appr_req *out, int *found,
                         struct dg_err *err);
/* Moves a pending request to state (never out of a final state); *changed
 * is 1 when it was pending. */
dg_rc store_appr_req_finish(struct store *s, const char *plan_id,
                            const char *state, int64_t now_ms, int *changed,
                            struct dg_err *err);
/* Pending requests with expires_ms <= now_ms, oldest first, at most max.
 * *out is an array of *n rows the caller frees with store_appr_req_free_all. */
dg_rc store_appr_req_due(struct store *s, int64_t now_ms, size_t max,
                         struct store_appr_req **out, size_t *n,
                         struct dg_err *err);
void store_appr_req_free_all(struct store_appr_req *rows, size_t n);
/* Earliest expiry among pending requests; *found 0 when none pend. */
dg_rc store_appr_req_next_expiry(struct store *s, int64_t *ms, int *found,
                                 struct dg_err *err);

/* Replaces a pending request's token hash (a new token for a request that
 * was never published) and clears its published mark. */
dg_rc store_appr_req_set_token(struct store *s, const char *plan_id,
                               const char *token_hash, int *changed,
                               struct dg_err *err);
/* The request reached the request topic. */
dg_rc store_appr_req_set_published(struct store *s, const char *plan_id,
                                   struct dg_err *err);
/* Pending, unexpired requests never published (plan ids; free with
 * store_appr_names_free). */
dg_rc store_appr_req_unpublished(struct store *s, int64_t now_ms, char ***ids,
                                 size_t *n, struct dg_err *err);

/* Records a counted reply. For decision "approve" an existing row of the
 * same approver is kept and *inserted is 0; "reject" replaces it. */
dg_rc store_appr_add(struct store *s, const char *plan_id, const char *approver,
                     const char *decision, const char *signed_at,
                     int64_t received_ms, const char *reply_json, int *inserted,
                     struct dg_err *err);
/* Names of the approvers whose recorded decision for plan_id is decision,
 * in name order. *names is an array of *n strings; free with
 * store_appr_names_free. */
dg_rc store_appr_names(struct store *s, const char *plan_id,
                       const char *decision, char ***names, size_t *n,
                       struct dg_err *err);
void store_appr_names_free(char **names, size_t n);

/* SAVEPOINT / RELEASE / ROLLBACK TO: nest inside a caller's transaction or
 * stand alone. */
dg_rc store_appr_savepoint(struct store *s, struct dg_err *err);
dg_rc store_appr_release(struct store *s, struct dg_err *err);
void store_appr_rollback(struct store *s);

#endif
