#ifndef DRGATE_STORE_VIEWS_H
#define DRGATE_STORE_VIEWS_H
/*
 * Read-only JSON views of the store for GET /v1/plans: queries on plans,
 * approval_requests, approvals, executions and steps. Nothing secret is
 * exposed (no token hashes, no reply signatures). Runs on the loop thread
 * that owns the store, between the daemon's transactions.
 */
#include <stdint.h>

#include "err.h"

struct dg_buf;
struct store;

#define STORE_VIEWS_MAX_LIMIT 500

/* Appends a JSON array of plan summaries, newest first (created, then
 * plan_id), at most limit (1..STORE_VIEWS_MAX_LIMIT) entries, only plans
 * in state when state is not NULL. Each summary: plan_id, digest, class,
 * state, created, updated (RFC 3339), and when present approval {state,
 * quorum, approvals, rejections, expires}, execution {state, started,
 * updated, finished}, progress {total, <step state>: count...}.
 * DG_EINVALID when out->max is exceeded; store errors as the store maps
 * them (DG_ETRANSIENT: busy). */
dg_rc store_views_plans(struct store *s, int limit, const char *state,
                        struct dg_buf *out, struct dg_err *err);
/* Appends one plan: the summary fields plus plan (the stored plan JSON),
 * approval_request, approvals [{approver, decision, signed_at, received}],
 * execution (with detail) and steps [...]. *found is 0 and nothing is
 * appended when plan_id is unknown. Errors as store_views_plans. */
dg_rc store_views_plan(struct store *s, const char *plan_id, struct dg_buf *out,
                       int *found, struct dg_err *err);

/* Calls fn(state, count, ctx) for each plan state present in the store
 * (the drgate_plans_by_state gauge). Errors as store_views_plans. */
dg_rc store_views_plan_counts(struct store *s,
                              void (*fn)(const char *state, int64_t n,
                                         void *ctx),
                              void *ctx, struct dg_err *err);
/* The row time (ms) of the event at seq into *time_ms; *found 0 when
 * there is no such event. Errors as store_views_plans. */
dg_rc store_views_event_time(struct store *s, int64_t seq, int64_t *time_ms,
                             int *found, struct dg_err *err);

#endif
