#ifndef DRGATE_ENGINE_H
#define DRGATE_ENGINE_H
/*
 * The engine: the per-message pipeline shared by `drgate replay` and the
 * daemon. decode -> dedup -> policy -> plan, writing every effect to the
 * store and handing every output line (decision, plan, rejected input) to
 * the caller's emit callback. It never opens transactions itself: the
 * caller wraps engine_process in store_begin/store_commit and calls
 * engine_checkpoint before committing, so a batch is atomic.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "store.h"

struct dg_record;

struct engine;

/* Called with each output line; the line is borrowed for the call. */
typedef void (*engine_emit_fn)(const cJSON *line, void *ctx);

struct engine_stats {
    uint64_t messages;
    uint64_t duplicates;
    uint64_t rejected;
    uint64_t signals;
    uint64_t unmatched;
    uint64_t stale;
    uint64_t commands;
    uint64_t approvals;
    uint64_t decisions;
    uint64_t plans;
};

/* Loads both runbooks of cfg (problems appended to errors), creates the
 * policy and restores its state from the store. Borrows cfg and st, which
 * must outlive the engine. */
dg_rc engine_new(const struct dg_config *cfg, struct store *st,
                 engine_emit_fn emit, void *emit_ctx, struct engine **out,
                 struct dg_buf *errors);
void engine_free(struct engine *e);

/* Processes one raw message. source names where it came from ("file",
 * "sqs", ...); origin is the transport's id or position for rejected-input
 * lines (e.g. "line 17"). now_ms is the wall clock for the daemon; replay
 * passes 0 and the engine uses the signals' own clock. DG_OK also for
 * refused input (it was recorded); DG_ETRANSIENT/DG_EFATAL when the store
 * failed: the caller rolls back, calls engine_reload, and does not
 * acknowledge the message. */
dg_rc engine_process(struct engine *e, const char *data, size_t len,
                     const char *source, const char *origin, int64_t now_ms,
                     struct dg_err *err);
/* Writes the policy state to the store (inside the caller's transaction). */
dg_rc engine_checkpoint(struct engine *e, struct dg_err *err);
/* Re-reads the policy state from the store after a rollback. */
dg_rc engine_reload(struct engine *e, struct dg_err *err);
const struct engine_stats *engine_stats(const struct engine *e);
/* The id of the message being processed (its event id, or "sha256:<hex>"
 * of its bytes): the causal link for events. Valid only inside the emit
 * callback; NULL outside engine_process. */
const char *engine_message_id(const struct engine *e);

/* ---- hooks for the running daemon ---------------------------------- */

/* A plan the engine would propose, handed to the daemon instead of being
 * bound synchronously (the daemon resolves references first). Everything
 * is borrowed for the call. */
struct engine_proposal {
    const cJSON *payload;   /* the StatePayload array */
    const char *runbook;    /* name for people */
    const char *plan_class; /* "planned" or "unplanned" */
    const char *trigger;    /* "policy", "command" or "manifest" */
    int64_t when_ms;        /* the decision's time */
    int64_t detected_ms;    /* first failing signal (policy), else when_ms */
    const char *global_cluster; /* command overrides, or NULL */
    const char *target_cluster;
    const char *source;
    const char *origin;
};
/* Called inside the caller's transaction; a non-OK return fails the
 * message like a store error. */
typedef dg_rc (*engine_proposal_fn)(const struct engine_proposal *p,
                                    struct dg_err *err, void *ctx);
/* Called for each new approval reply (DG_REC_APPROVAL) inside the
 * caller's transaction; rec is borrowed. A non-OK return (DG_ETRANSIENT)
 * leaves the message unacknowledged. */
typedef dg_rc (*engine_approval_fn)(const struct dg_record *rec, int64_t now_ms,
                                    struct dg_err *err, void *ctx);
/* NULL fn (the default, and replay) keeps the synchronous path. */
void engine_set_proposal_fn(struct engine *e, engine_proposal_fn fn, void *ctx);
void engine_set_approval_fn(struct engine *e, engine_approval_fn fn, void *ctx);
/* The proposed plan was closed without the region recovering (rejected,
 * expired): policy_rearm at now_ms, recording and emitting the decisions
 * (a due proposal goes through the usual path). Inside the caller's
 * transaction; the caller checkpoints. */
dg_rc engine_rearm(struct engine *e, int64_t now_ms, struct dg_err *err);
/* The ${variable} lookup plans are bound with (command overrides first);
 * ctx from engine_lookup_ctx. */
const char *engine_lookup(const char *name, void *ctx);
struct engine_lookup_ctx {
    const struct dg_config *cfg;
    const char *global_cluster;
    const char *target_cluster;
};
/* A read-only command (seed 000 "status" or "validate") the engine does
 * not answer itself: the running daemon queries AWS and records the reply
 * later. Everything is borrowed for the call. */
struct engine_command {
    const char *action; /* "status" or "validate" */
    const char *global_cluster;
    const char *target_cluster;
    const char *message_id; /* the dedup key: the causal link */
    const char *source;
    const char *origin;
    int64_t when_ms;
};
/* Called inside engine_process (inside the caller's transaction) after the
 * message was recorded as seen. A failure is treated like a store failure
 * (the batch is rolled back and redelivered). */
typedef dg_rc (*engine_command_fn)(const struct engine_command *c, void *ctx,
                                   struct dg_err *err);
/* Sets or clears (fn NULL) the hook; without one (replay) status and
 * validate are counted and otherwise ignored. */
void engine_set_command_hook(struct engine *e, engine_command_fn fn, void *ctx);

/* The wall-clock instant (ms) at which the policy next needs evaluating
 * without any new signal (a sustain, cooldown or recovery window ending),
 * or INT64_MAX when nothing is pending. */
int64_t engine_next_deadline(const struct engine *e);
/* The daemon's timer: evaluates every policy instant up to now_ms (only
 * when engine_next_deadline(e) <= now_ms; otherwise nothing happens and
 * the policy clock does not move), emitting decisions and plans through
 * the emit callback with the message id "policy-timer". Call it inside a
 * transaction, then engine_checkpoint, like engine_process. Replay never
 * calls it. */
dg_rc engine_tick(struct engine *e, int64_t now_ms, struct dg_err *err);
/* The message id engine_tick's lines carry. */
#define ENGINE_TIMER_ID "policy-timer"

/* Offline check of cfg's runbooks: each loads, validates and binds with
 * the configured variables. Appends one line per problem to errors. */
dg_rc engine_check_runbooks(const struct dg_config *cfg, struct dg_buf *errors);

#endif
