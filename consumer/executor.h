#ifndef DRGATE_EXECUTOR_H
#define DRGATE_EXECUTOR_H
/*
 * The executor: carries out an approved plan (plan.h body) against AWS
 * through the action types (action.h), crash-safe and idempotent.
 *
 * Layers run in array order; the steps of a layer run concurrently; a
 * layer starts only when every step of the previous one succeeded. A
 * failed or timed-out step stops the plan: no later layer starts, and the
 * other steps of its layer run to their own end (they are not cancelled:
 * an Aurora switchover half-watched is worse than one watched to the end,
 * and stopping to poll does not stop AWS). The plan then fails.
 *
 * Every state change is one store transaction, and hooks.event is called
 * INSIDE it for each event (drgate.step.started, drgate.step.succeeded,
 * drgate.step.failed, drgate.plan.succeeded, drgate.plan.failed), so the
 * outbox row commits with the state it reports.
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "action.h"
#include "err.h"

struct event_base;
struct store;
struct executor;

/* Time and randomness, injected (NULL members: the real clocks). */
struct executor_clock {
    int64_t (*mono_ms)(void *ctx); /* timers and durations */
    int64_t (*wall_ms)(void *ctx); /* ms since the epoch: stored times */
    uint32_t (*random)(void *ctx); /* jitter */
    void *ctx;
};

/* Timers, injected so unit tests run on a fake clock (NULL: libevent
 * timers on the base). add returns a handle; fire calls cb once unless
 * cancelled first. */
struct executor_timers {
    void *(*add)(int64_t delay_ms, void (*cb)(void *arg), void *arg, void *ctx);
    void (*cancel)(void *handle, void *ctx);
    void *ctx;
};

struct executor_hooks {
    /* Called inside the store transaction of each state change. data is
     * borrowed; it always has plan_id (and step for step events) and
     * durations in ms. A non-OK return (err filled) rolls the change back
     * and stalls the plan in memory until a restart resumes it. May be
     * NULL. */
    dg_rc (*event)(struct store *s, const char *type, const cJSON *data,
                   struct dg_err *err, void *ctx);
    /* After the final commit of a plan (succeeded or not). May be NULL. */
    void (*plan_done)(const char *plan_id, int succeeded, const cJSON *report,
                      void *ctx);
    /* Observer: a poll of step was scheduled delay_ms from now. */
    void (*polled)(const char *plan_id, const char *step, int64_t delay_ms,
                   void *ctx);
    /* Test hook: called at named points ("after_intent", "after_call",
     * "mid_wait"); returning nonzero makes the executor stop dead there,
     * writing nothing more (a simulated crash). NULL in production. */
    int (*checkpoint)(const char *point, const char *plan_id, const char *step,
                      void *ctx);
    void *ctx;
};

struct executor_opts {
    struct event_base *base; /* borrowed; must outlive the executor */
    struct store *store;     /* borrowed */
    struct action_catalog actions;
    struct executor_clock clock;
    struct executor_timers timers;
    struct executor_hooks hooks;
    int64_t poll_first_ms; /* default 250 */
    int64_t poll_max_ms;   /* default 5000 */
    double poll_factor;    /* default 1.5 (with +-20% jitter) */
    /* After a mutating call was accepted but its effect is not visible,
     * how long to wait before issuing it again. Default 30000. */
    int64_t sent_grace_ms;
    int max_issues;       /* mutating calls per step at most; default 3 */
    int max_observe_fail; /* consecutive failed observations; default 8 */
    /* ... and for at least this long (wall clock) before a step gives up
     * on observing: a short API blip never fails a step, however fast
     * the polls. Default 60000. */
    int64_t observe_fail_ms;
};

/* Timestamps for the recovery figures of the plan's final event (0:
 * unknown). */
struct executor_times {
    int64_t detected_ms; /* the first failing signal */
    int64_t proposed_ms;
    int64_t approved_ms;
};

/* Never NULL. */
struct executor *executor_new(const struct executor_opts *o);
/* Stops every timer; steps with an action call in flight are detached and
 * freed when it completes. Writes nothing to the store. Accepts NULL. */
void executor_free(struct executor *e);

/* Starts plan_id (body: the plan object of plan.h, borrowed; copied).
 * Refuses (DG_EINVALID) a plan with an unknown step type or no steps, and
 * one that already has an execution. The first store transaction commits
 * before this returns; everything else happens on the loop. */
dg_rc executor_start(struct executor *e, const char *plan_id, const cJSON *body,
                     const struct executor_times *times, struct dg_err *err);

/* After a restart: resumes every execution in state "executing" from its
 * step records (re-observing first wherever a mutation was recorded).
 * *resumed (may be NULL) gets how many plans. */
dg_rc executor_resume(struct executor *e, int *resumed, struct dg_err *err);

/* Plans still running. */
int executor_active(const struct executor *e);

/* Pure: the poll delay after n polls (n >= 0), with jitter r in
 * [0, 2^32): min(first * factor^n, max) * (0.8 .. 1.2), clamped to
 * [first / 2, max]; a hint in (0, delay) shortens it (not below 250 ms). */
int64_t executor_poll_delay(int64_t first_ms, int64_t max_ms, double factor,
                            int n, uint32_t r, int64_t hint_ms);

#endif
