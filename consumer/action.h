#ifndef DRGATE_ACTION_H
#define DRGATE_ACTION_H
/*
 * The action-type interface (ARCHITECTURE.md section 5): what the executor
 * needs from each resourceType. Adapters (adapters/actions/) implement one
 * descriptor per type; the executor never names an adapter.
 *
 * A step's life: observe -> assess. GOAL_HOLDS: done ("already
 * satisfied" when nothing was sent). IN_PROGRESS: wait. NOT_STARTED:
 * precheck, then mutate, then observe/assess until GOAL_HOLDS or the
 * deadline. Observations are cJSON documents in the action's own shape;
 * assess and precheck are pure functions of (step, observation) so they
 * are table-tested on captured fixtures.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

enum action_assess {
    ACTION_NOT_STARTED = 0, /* nothing toward the goal is visible */
    ACTION_IN_PROGRESS,     /* a transition toward the goal is under way */
    ACTION_GOAL_HOLDS,      /* the completion predicate holds */
    ACTION_BROKEN,          /* the goal can no longer be reached (e.g. an
                               ECS rollout FAILED): the step fails */
};

/* A borrowed view of one step, as the executor hands it to the action. */
struct action_step {
    const char *plan_id;
    const char *step;   /* "1.2" */
    const char *type;   /* resourceType */
    const char *region; /* the plan's region for this step ("global") */
    const cJSON *params;
    /* The observation taken right before the mutating call (persisted with
     * the 'intent' record), or NULL before the call. */
    const cJSON *baseline;
    /* What mutate reported (persisted with 'sent': a change id, a
     * deployment id), or NULL. */
    const cJSON *memo;
};

/* observation: owned by the receiver (NULL on failure). rc DG_OK or the
 * call's error. Called exactly once, never from inside observe. */
typedef void (*action_observe_fn)(cJSON *observation, dg_rc rc,
                                  const struct dg_err *err, void *ctx);
/* memo: owned by the receiver (may be NULL on success too); a number
 * "expect_ms" in it says when the effect should be visible (the first
 * poll comes no later than that, at least 250 ms). rc DG_OK when
 * AWS accepted the call; DG_EREMOTE with err->code for an AWS refusal;
 * DG_ETRANSIENT (err->code "unknown_outcome" or not) when it is unknown
 * whether the call took effect. Exactly once, never from inside mutate. */
typedef void (*action_mutate_fn)(cJSON *memo, dg_rc rc,
                                 const struct dg_err *err, void *ctx);

struct action_ops {
    const char *type; /* resourceType */
    /* Read-only describe calls. impl: the catalog's context. */
    void (*observe)(void *impl, const struct action_step *st,
                    action_observe_fn done, void *ctx);
    /* Pure. DG_OK when the mutating call may go ahead on this observation;
     * else DG_EINVALID and why (a sentence for people). */
    dg_rc (*precheck)(const struct action_step *st, const cJSON *obs, char *why,
                      size_t whylen);
    /* Pure: the completion predicate on observed state. why says what was
     * seen; *hint_ms (may be left 0) is when a change is expected, so the
     * executor can poll sooner than its back-off. */
    enum action_assess (*assess)(const struct action_step *st, const cJSON *obs,
                                 char *why, size_t whylen, int64_t *hint_ms);
    /* The mutating call(s), in the region AWS documents for them. NULL for
     * read-only types (then NOT_STARTED means the check failed). obs is
     * the fresh observation (borrowed for the call). */
    void (*mutate)(void *impl, const struct action_step *st, const cJSON *obs,
                   action_mutate_fn done, void *ctx);
    /* Pure: 1 when the AWS error err, seen with the fresh observation obs
     * taken after it, means the goal already holds or an operation toward
     * it is already running (count as sent). */
    int (*already_done)(const struct action_step *st, const struct dg_err *err,
                        const cJSON *obs);
};

/* Where the executor finds the descriptors: find(type) or NULL for an
 * unknown type (the plan is then refused, never skipped). ctx is passed to
 * observe and mutate as impl. */
struct action_catalog {
    const struct action_ops *(*find)(const char *type, void *ctx);
    void *ctx;
};

static inline const struct action_ops *
action_find(const struct action_catalog *c, const char *type)
{
    return c && c->find && type ? c->find(type, c->ctx) : NULL;
}

#endif
