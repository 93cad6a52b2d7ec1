#ifndef DRGATE_ORCHESTRATOR_H
#define DRGATE_ORCHESTRATOR_H
/*
 * The plan lifecycle inside the running daemon (ARCHITECTURE.md sections
 * 5-7): proposal (resolve references, bind, store, request approval,
 * publish the request), approval replies, expiry, execution, resume. The
 * daemon owns the loop, the store and the outbox; it hands the
 * orchestrator the engine's proposals and approval replies and the
 * orchestrator hands back events through struct orch_host.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "action.h"
#include "err.h"
#include "resolve.h"
#include "snsverify.h"

struct event_base;
struct store;
struct dg_config;
struct dg_record;
struct engine_proposal;
struct orchestrator;

/* SNS Publish result: message_id borrowed for the call (NULL on failure).
 * Exactly once, never from inside publish. */
typedef void (*orch_published_fn)(const char *message_id, dg_rc rc,
                                  const struct dg_err *err, void *ctx);

/* Where the replication lag an approval request states is read: the
 * Aurora cluster a plan fails or switches over to (derived from the plan's
 * steps). Strings borrowed for the call. */
struct orch_lag_target {
    const char *cluster_id;    /* DBClusterIdentifier, not an ARN */
    const char *region;        /* the cluster's region */
    const char *source_region; /* the current primary's region; may be NULL */
    int64_t now_ms;            /* wall clock: the end of the window read */
};

/* The lag observed: lag_ms >= 0 with observed_ms (the datapoint's time)
 * and note saying where it was read; lag_ms < 0 when unknown, note saying
 * why (short, no secrets). note borrowed for the call. Exactly once, never
 * from inside observe_lag. */
typedef void (*orch_lag_fn)(int64_t lag_ms, int64_t observed_ms,
                            const char *note, void *ctx);

/* What the orchestrator needs from AWS, as interfaces (the composition
 * root fills them from adapters; unit tests with fakes). */
struct orch_services {
    struct action_catalog actions;
    struct resolver resolver;
    /* SNS Publish (MessageStructure json when structure_json) with the
     * message attributes type, plan_id and severity. */
    void (*publish)(void *impl, const char *topic_arn, const char *subject,
                    const char *message, int structure_json, const char *type,
                    const char *plan_id, const char *severity,
                    orch_published_fn done, void *ctx);
    void *impl;
    /* Reads the last replication lag of t (CloudWatch) with impl; NULL:
     * requests say the lag is unknown. However late it answers, the
     * orchestrator waits at most orch_opts.lag_timeout_ms. */
    void (*observe_lag)(void *impl, const struct orch_lag_target *t,
                        orch_lag_fn done, void *ctx);
    /* GETs SNS signing certificates (snsverify.h); NULL: SNS-delivered
     * replies cannot be verified and are refused when verification is
     * on. */
    snsverify_fetch_fn fetch;
    void *fetch_ctx;
};

/* The daemon's side. */
struct orch_host {
    /* Appends one event inside the open transaction (data consumed). */
    dg_rc (*append)(const char *type, const char *subject, cJSON *data,
                    struct dg_err *err, void *ctx);
    /* After a transaction of the orchestrator's committed: deliver the
     * appended events. */
    void (*committed)(void *ctx);
    /* engine_rearm + checkpoint inside the open transaction. */
    dg_rc (*rearm)(int64_t now_ms, struct dg_err *err, void *ctx);
    /* Work finished (a plan ended, a proposal settled): re-check whether
     * the daemon may exit. */
    void (*progress)(void *ctx);
    int64_t (*now_ms)(void *ctx); /* wall clock, ms */
    /* The message being processed and the decision it led to (either
     * NULL), for the causal links of a proposal's events. */
    void (*cause)(const char **message_id, const char **decision_id, void *ctx);
    void *ctx;
};

struct orch_opts {
    struct event_base *base; /* borrowed */
    struct store *store;     /* borrowed */
    const struct dg_config *cfg;
    struct orch_services services;
    struct orch_host host;
    /* Executor tuning for tests (0: executor defaults). */
    int64_t poll_first_ms, poll_max_ms;
    /* How long a proposal waits for the replication lag before its
     * approval request goes out without it (0: ORCH_LAG_TIMEOUT_MS). */
    int64_t lag_timeout_ms;
};

#define ORCH_LAG_TIMEOUT_MS 3000

/* DG_EINVALID when an approver's key does not parse. */
dg_rc orch_new(const struct orch_opts *o, struct orchestrator **out,
               struct dg_err *err);
/* Stops timers and the executor (executing plans resume at the next
 * start); pending proposals are dropped. Accepts NULL. */
void orch_free(struct orchestrator *o);

/* After a start: resumes executing plans, arms the expiry timer. */
dg_rc orch_start(struct orchestrator *o, struct dg_err *err);

/* engine_proposal_fn: takes a proposal over (copies it); resolution and
 * binding continue on the loop. */
dg_rc orch_on_proposal(const struct engine_proposal *p, struct dg_err *err,
                       void *ctx);
/* engine_approval_fn: verifies the reply and records the outcome inside
 * the caller's transaction; sns_rc is what the daemon's SNS signature
 * pre-check found (orch_sns_precheck), DG_OK when none was needed. */
dg_rc orch_on_approval(const struct dg_record *rec, int64_t now_ms,
                       struct dg_err *err, void *ctx);

/* SNS signature pre-check for replies: 1 when data is an SNS-enveloped
 * approval reply whose signature must be verified first; then
 * orch_sns_verify calls done (exactly once, from the loop) with DG_OK,
 * DG_EINVALID (bad signature: the reply is refused) or DG_ETRANSIENT. */
int orch_sns_needed(const struct orchestrator *o, const char *data, size_t len);
void orch_sns_verify(struct orchestrator *o, const char *data, size_t len,
                     void (*done)(dg_rc rc, const char *why, void *ctx),
                     void *ctx);
/* The result of the pre-check for the message about to be processed. */
void orch_set_sns_result(struct orchestrator *o, dg_rc rc, const char *why);

/* Starts the executor on an approved plan (or a read-only one). Refuses
 * (DG_EINVALID, code "not_approved") a mutating plan unless
 * approval_is_approved says so: there is no other way to run one. */
dg_rc orch_execute(struct orchestrator *o, const char *plan_id,
                   struct dg_err *err);

/* Work in flight: proposals being resolved or published, plans being
 * executed. The daemon waits for it before exiting. */
int orch_busy(const struct orchestrator *o);

#endif
