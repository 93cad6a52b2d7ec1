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

/* Offline check of cfg's runbooks: each loads, validates and binds with
 * the configured variables. Appends one line per problem to errors. */
dg_rc engine_check_runbooks(const struct dg_config *cfg, struct dg_buf *errors);

#endif
