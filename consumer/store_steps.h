#ifndef DRGATE_STORE_STEPS_H
#define DRGATE_STORE_STEPS_H
/*
 * The executor's tables (migration 4): one `executions` row per plan being
 * carried out, one `steps` row per step. Call inside store_begin/commit
 * for changes; reads need no transaction. Strings in the records passed
 * to callbacks are borrowed for the call.
 */
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_exec_rec {
    const char *plan_id;
    const char *state; /* "executing", "succeeded", "failed" */
    int64_t started_ms, updated_ms;
    int64_t finished_ms; /* 0: not finished */
    const char *detail;  /* JSON text: {"plan": body, "times": {...}} */
};

struct store_step_rec {
    const char *plan_id;
    const char *step;
    int layer;
    const char *type;
    const char *region;
    const char *state;    /* pending running waiting succeeded failed */
    const char *mutation; /* none intent sent */
    int attempts;         /* mutating calls issued */
    int64_t started_ms, updated_ms, deadline_ms, finished_ms; /* 0: unset */
    const char *detail;   /* JSON text or NULL */
    const char *observed; /* JSON text or NULL */
};

/* Inserts the execution (fails with DG_EINVALID, code "exists", when the
 * plan already has one). */
dg_rc store_exec_insert(struct store *s, const struct store_exec_rec *r,
                        struct dg_err *err);
/* Sets state, updated_ms and finished_ms (0 leaves NULL). */
dg_rc store_exec_set_state(struct store *s, const char *plan_id,
                           const char *state, int64_t now_ms,
                           int64_t finished_ms, struct dg_err *err);
/* Calls fn for every execution in state (NULL: all), oldest first. fn
 * returns 0 to go on. */
dg_rc store_exec_list(struct store *s, const char *state,
                      int (*fn)(const struct store_exec_rec *r, void *ctx),
                      void *ctx, struct dg_err *err);
/* Inserts or replaces the step row. */
dg_rc store_step_put(struct store *s, const struct store_step_rec *r,
                     struct dg_err *err);
/* Every step of plan_id in (layer, step) order. */
dg_rc store_step_list(struct store *s, const char *plan_id,
                      int (*fn)(const struct store_step_rec *r, void *ctx),
                      void *ctx, struct dg_err *err);

/* drgate status: every plan in `plans` or `executions`, newest first,
 * with the execution's state when there is one (exec_state NULL). */
struct store_plan_row {
    const char *plan_id;
    const char *plan_class; /* NULL when only in executions */
    const char *plan_state; /* plans.state or NULL */
    int64_t created_ms;
    const char *exec_state; /* NULL: never executed */
    int64_t exec_started_ms, exec_finished_ms;
};
dg_rc store_plan_rows(struct store *s,
                      int (*fn)(const struct store_plan_row *r, void *ctx),
                      void *ctx, struct dg_err *err);

#endif
