/*
 * executor.c - carries out approved plans, crash-safe and idempotent.
 *
 * DESIGN: each step is a small state machine driven by action callbacks
 * and timers on the loop:
 *
 *   pending -> running: observe; assess
 *     GOAL_HOLDS  -> succeeded ("already satisfied" when nothing was sent)
 *     IN_PROGRESS -> waiting (someone's operation toward the goal runs)
 *     NOT_STARTED -> precheck; 'intent' committed; mutate; 'sent'
 *                    committed; waiting
 *   waiting: poll (adaptive: 250 ms, x1.5 with jitter, up to 5 s, sooner
 *     when the action expects a change) until GOAL_HOLDS or the deadline.
 *     A fast first poll catches the operations that finish at once
 *     (Route53 UPSERT, a cache failover on a quiet group) within a quarter
 *     of a second; the 5 s ceiling bounds how late a long operation (an
 *     Aurora switchover takes minutes) is seen done at 2.5 s on average,
 *     for about 12 Describe calls a minute per waiting step, well inside
 *     the RDS/ElastiCache API rate limits.
 *
 * The store row of a step is written before and after every mutating call
 * (mutation none -> intent -> sent). After a restart, executor_resume
 * rebuilds each executing plan from its rows; a step that was running or
 * waiting observes again first: GOAL_HOLDS -> succeeded; IN_PROGRESS ->
 * wait; NOT_STARTED with 'sent' -> wait sent_grace_ms from the recorded
 * send before issuing again; NOT_STARTED with 'intent' -> issue (the call
 * may never have reached AWS). So a mutating call is repeated only when a
 * fresh observation shows the first had no effect, and at most max_issues
 * times per step. An AWS refusal is judged by re-observing
 * (action already_done) rather than from the error code alone.
 *
 * Failure policy: a failed or timed-out step stops the plan; no later
 * layer starts; the other steps of its layer run to their own end (not
 * cancelled). Deadlines are wall-clock times stored with the step, so a
 * restart does not extend them.
 *
 * Ownership: the executor owns copies of plan bodies and every step. When
 * executor_free runs while an action call is in flight, that step is
 * detached and frees itself when the call completes. A store failure, or
 * an action call cancelled at shutdown (DG_ECANCELLED), stalls the plan in
 * memory (logged; its timers stop) rather than acting on state that was
 * not recorded; a restart resumes it.
 */
#include "executor.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "runbook.h"
#include "store.h"
#include "store_steps.h"

#define WHY_LEN 512

enum phase { PH_INITIAL = 0, PH_WAIT, PH_AFTER_ERROR };

enum sstate { S_PENDING = 0, S_RUNNING, S_WAITING, S_SUCCEEDED, S_FAILED };
static const char *const sstate_name[] = {"pending", "running", "waiting",
                                          "succeeded", "failed"};
enum mut { M_NONE = 0, M_INTENT, M_SENT };
static const char *const mut_name[] = {"none", "intent", "sent"};

struct xplan;

struct xstep {
    struct xplan *plan;
    struct executor *ex;
    int layer_idx, layer_no;
    char *id, *type, *name, *region;
    cJSON *params;
    const struct action_ops *ops;
    int64_t timeout_ms;
    /* recorded */
    enum sstate state;
    enum mut mutation;
    int attempts;
    int64_t started_ms, deadline_ms, finished_ms, sent_ms;
    cJSON *baseline, *memo, *observed;
    char reason[WHY_LEN];
    int already_satisfied;
    /* runtime */
    int inflight, detached;
    void *poll_timer, *deadline_timer;
    int npolls, observe_fails;
    int64_t observe_fail_since_ms; /* first of the consecutive failures */
    enum phase phase;
    struct dg_err mutate_err;
};

struct xplan {
    struct executor *ex;
    char *plan_id;
    cJSON *body;
    struct executor_times times;
    struct xstep **steps;
    size_t nsteps;
    int nlayers, cur_layer;
    int failed, stalled, finished;
    char fail_reason[WHY_LEN];
    int64_t started_ms;
    struct xplan *next;
};

struct executor {
    struct executor_opts o;
    struct xplan *plans;
    struct xplan *zombies; /* finished, freed from the loop (reap) */
    struct event *reap;
    int dead; /* a checkpoint said "crash here": do nothing more */
};

/* snprintf through a va_list: messages are cut at n on purpose. */
static void fmtw(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fmtw(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* --- clock, timers ------------------------------------------------------ */

static int64_t
wall_now(const struct executor *e)
{
    if (e->o.clock.wall_ms)
        return e->o.clock.wall_ms(e->o.clock.ctx);
    return dg_clock_wall_ms();
}

static uint32_t
rand32(const struct executor *e)
{
    if (e->o.clock.random)
        return e->o.clock.random(e->o.clock.ctx);
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (uint32_t)wall_now(e) * 2654435761u;
    return r;
}

struct ev_timer {
    struct event *ev;
    void (*cb)(void *);
    void *arg;
};

static void
ev_timer_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ev_timer *t = arg;
    void (*cb)(void *) = t->cb;
    void *a = t->arg;
    event_free(t->ev);
    dg_free(t);
    cb(a);
}

static void *
timer_add(struct executor *e, int64_t delay_ms, void (*cb)(void *), void *arg)
{
    if (e->o.timers.add)
        return e->o.timers.add(delay_ms, cb, arg, e->o.timers.ctx);
    struct ev_timer *t = dg_calloc(1, sizeof(*t));
    t->cb = cb;
    t->arg = arg;
    t->ev = evtimer_new(e->o.base, ev_timer_fire, t);
    dg_clock_arm(t->ev, delay_ms); /* a negative delay: the next pass */
    return t;
}

static void
timer_cancel(struct executor *e, void **h)
{
    if (!*h)
        return;
    if (e->o.timers.cancel) {
        e->o.timers.cancel(*h, e->o.timers.ctx);
    } else {
        struct ev_timer *t = *h;
        event_free(t->ev);
        dg_free(t);
    }
    *h = NULL;
}

int64_t
executor_poll_delay(int64_t first_ms, int64_t max_ms, double factor, int n,
                    uint32_t r, int64_t hint_ms)
{
    if (first_ms <= 0)
        first_ms = 1000;
    if (max_ms < first_ms)
        max_ms = first_ms;
    if (factor < 1.0)
        factor = 1.0;
    if (n > 60)
        n = 60;
    double base = (double)first_ms * pow(factor, n);
    if (base > (double)max_ms)
        base = (double)max_ms;
    double jitter = 0.8 + 0.4 * ((double)r / 4294967296.0);
    int64_t d = (int64_t)(base * jitter);
    if (d < first_ms / 2)
        d = first_ms / 2;
    if (d > max_ms)
        d = max_ms;
    if (hint_ms > 0 && hint_ms < d)
        d = hint_ms < 250 ? 250 : hint_ms;
    return d;
}

/* --- records ------------------------------------------------------------ */

static cJSON *
step_detail(const struct xstep *st)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", st->name);
    if (st->reason[0])
        cJSON_AddStringToObject(d, "reason", st->reason);
    cJSON_AddBoolToObject(d, "already_satisfied", st->already_satisfied);
    cJSON_AddNumberToObject(d, "timeout_ms", (double)st->timeout_ms);
    if (st->sent_ms)
        cJSON_AddNumberToObject(d, "sent_ms", (double)st->sent_ms);
    if (st->memo)
        cJSON_AddItemToObject(d, "memo", cJSON_Duplicate(st->memo, 1));
    if (st->baseline)
        cJSON_AddItemToObject(d, "baseline", cJSON_Duplicate(st->baseline, 1));
    return d;
}

static dg_rc
step_write(struct xstep *st, int64_t now, struct dg_err *err)
{
    cJSON *d = step_detail(st);
    char *detail = cJSON_PrintUnformatted(d);
    char *obs = st->observed ? cJSON_PrintUnformatted(st->observed) : NULL;
    cJSON_Delete(d);
    struct store_step_rec r = {
        .plan_id = st->plan->plan_id,
        .step = st->id,
        .layer = st->layer_no,
        .type = st->type,
        .region = st->region,
        .state = sstate_name[st->state],
        .mutation = mut_name[st->mutation],
        .attempts = st->attempts,
        .started_ms = st->started_ms,
        .updated_ms = now,
        .deadline_ms = st->deadline_ms,
        .finished_ms = st->finished_ms,
        .detail = detail,
        .observed = obs,
    };
    dg_rc rc = store_step_put(st->ex->o.store, &r, err);
    cJSON_free(detail);
    cJSON_free(obs);
    return rc;
}

static cJSON *
step_event_data(const struct xstep *st)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "plan_id", st->plan->plan_id);
    cJSON_AddStringToObject(d, "step", st->id);
    cJSON_AddStringToObject(d, "type", st->type);
    cJSON_AddStringToObject(d, "name", st->name);
    cJSON_AddStringToObject(d, "region", st->region);
    cJSON_AddNumberToObject(d, "layer", st->layer_no);
    return d;
}

static dg_rc
emit(struct executor *e, const char *type, const cJSON *data,
     struct dg_err *err)
{
    if (!e->o.hooks.event)
        return DG_OK;
    return e->o.hooks.event(e->o.store, type, data, err, e->o.hooks.ctx);
}

static void plan_stall(struct xplan *p, const struct dg_err *err);

/* Writes st (and an event, when type is not NULL) in one transaction.
 * data is consumed. Returns 0 on success; on failure the plan stalls. */
static int
step_commit(struct xstep *st, const char *type, cJSON *data)
{
    struct executor *e = st->ex;
    struct dg_err err;
    dg_err_clear(&err);
    int64_t now = wall_now(e);
    dg_rc rc = store_begin(e->o.store, &err);
    if (rc == DG_OK)
        rc = step_write(st, now, &err);
    if (rc == DG_OK && type)
        rc = emit(e, type, data, &err);
    if (rc == DG_OK)
        rc = store_commit(e->o.store, &err);
    else
        store_rollback(e->o.store);
    cJSON_Delete(data);
    if (rc != DG_OK) {
        plan_stall(st->plan, &err);
        return -1;
    }
    return 0;
}

static int
crash_here(struct executor *e, const char *point, const struct xstep *st)
{
    if (!e->o.hooks.checkpoint)
        return 0;
    if (e->o.hooks.checkpoint(point, st->plan->plan_id, st->id,
                              e->o.hooks.ctx)) {
        e->dead = 1;
        return 1;
    }
    return 0;
}

/* --- steps -------------------------------------------------------------- */

static void xstep_free(struct xstep *st);
static void step_observe(struct xstep *st, enum phase ph);
static void plan_check(struct xplan *p);

static void
step_view(const struct xstep *st, struct action_step *v)
{
    v->plan_id = st->plan ? st->plan->plan_id : "";
    v->step = st->id;
    v->type = st->type;
    v->region = st->region;
    v->params = st->params;
    v->baseline = st->baseline;
    v->memo = st->memo;
}

static int
step_final(const struct xstep *st)
{
    return st->state == S_SUCCEEDED || st->state == S_FAILED;
}

static void
step_stop_timers(struct xstep *st)
{
    timer_cancel(st->ex, &st->poll_timer);
    timer_cancel(st->ex, &st->deadline_timer);
}

static void step_finish(struct xstep *st, enum sstate state, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

static void
step_finish(struct xstep *st, enum sstate state, const char *fmt, ...)
{
    struct executor *e = st->ex;
    /* The arguments may point into st->reason (the last observation's
     * reason): format apart, as overlapping vsnprintf is undefined (glibc
     * gave an empty reason). */
    char why[WHY_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    memcpy(st->reason, why, sizeof(st->reason));
    step_stop_timers(st);
    st->state = state;
    st->finished_ms = wall_now(e);
    cJSON *d = step_event_data(st);
    cJSON_AddNumberToObject(d, "duration_ms",
                            (double)(st->finished_ms - st->started_ms));
    cJSON_AddBoolToObject(d, "already_satisfied", st->already_satisfied);
    cJSON_AddNumberToObject(d, "mutating_calls", st->attempts);
    cJSON_AddStringToObject(d, state == S_FAILED ? "reason" : "detail",
                            st->reason);
    log_kv(state == S_FAILED ? DG_LOG_WARN : DG_LOG_INFO,
           state == S_FAILED ? "step failed" : "step succeeded", "plan_id",
           st->plan->plan_id, "step", st->id, "type", st->type, "detail",
           st->reason, NULL);
    if (state == S_FAILED && !st->plan->failed) {
        st->plan->failed = 1;
        fmtw(st->plan->fail_reason, sizeof(st->plan->fail_reason),
             "step %s (%s) failed: %s", st->id, st->type, st->reason);
    }
    if (step_commit(st,
                    state == S_FAILED ? "drgate.step.failed"
                                      : "drgate.step.succeeded",
                    d) != 0)
        return;
    plan_check(st->plan);
}

static void
on_poll(void *arg)
{
    struct xstep *st = arg;
    st->poll_timer = NULL;
    if (st->ex->dead || step_final(st))
        return;
    if (crash_here(st->ex, "mid_wait", st))
        return;
    step_observe(st, PH_WAIT);
}

static void
step_schedule(struct xstep *st, int64_t hint_ms)
{
    struct executor *e = st->ex;
    int64_t d =
        executor_poll_delay(e->o.poll_first_ms, e->o.poll_max_ms,
                            e->o.poll_factor, st->npolls++, rand32(e), hint_ms);
    if (e->o.hooks.polled)
        e->o.hooks.polled(st->plan->plan_id, st->id, d, e->o.hooks.ctx);
    timer_cancel(e, &st->poll_timer);
    st->poll_timer = timer_add(e, d, on_poll, st);
}

static void
on_deadline(void *arg)
{
    struct xstep *st = arg;
    st->deadline_timer = NULL;
    if (st->ex->dead || step_final(st))
        return;
    char last[WHY_LEN];
    fmtw(last, sizeof(last), "%s", st->reason);
    step_finish(st, S_FAILED,
                "deadline: %s did not complete within %lld s (mutating "
                "calls: %d; last seen: %s)",
                st->type, (long long)(st->timeout_ms / 1000), st->attempts,
                last[0] ? last : "nothing observed yet");
}

static void step_mutate(struct xstep *st);

static void
on_mutated(cJSON *memo, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct xstep *st = ctx;
    st->inflight--;
    if (st->detached) {
        cJSON_Delete(memo);
        xstep_free(st);
        return;
    }
    struct executor *e = st->ex;
    if (e->dead || st->plan->stalled) {
        cJSON_Delete(memo);
        return;
    }
    if (crash_here(e, "after_call", st)) {
        cJSON_Delete(memo);
        return;
    }
    if (rc == DG_ECANCELLED) { /* shutting down: the record stays 'intent' */
        cJSON_Delete(memo);
        plan_stall(st->plan, err);
        return;
    }
    if (step_final(st)) { /* the deadline passed meanwhile */
        cJSON_Delete(memo);
        return;
    }
    if (rc == DG_OK || rc == DG_ETRANSIENT) {
        if (memo) {
            cJSON_Delete(st->memo);
            st->memo = memo;
        }
        st->mutation = M_SENT;
        st->sent_ms = wall_now(e);
        st->state = S_WAITING;
        st->npolls = 0;
        if (rc == DG_OK)
            fmtw(st->reason, sizeof(st->reason), "call accepted");
        else
            fmtw(st->reason, sizeof(st->reason),
                 "outcome of the call unknown (%s: %s); watching",
                 err && err->code[0] ? err->code : dg_rc_name(rc),
                 err ? err->msg : "");
        if (step_commit(st, NULL, NULL) != 0)
            return;
        /* The action may say when the effect should be visible. */
        long long expect = 0;
        if (rc == DG_OK && dg_json_int(st->memo, "expect_ms", &expect))
            expect = expect < 1 ? 1 : expect;
        step_schedule(st, (int64_t)expect);
        return;
    }
    cJSON_Delete(memo);
    if (rc == DG_EREMOTE) {
        /* Judge the refusal on fresh state, not on the code alone. */
        st->mutate_err = err ? *err : st->mutate_err;
        step_observe(st, PH_AFTER_ERROR);
        return;
    }
    step_finish(st, S_FAILED, "%s: %s",
                err && err->code[0] ? err->code : dg_rc_name(rc),
                err ? err->msg : "mutating call failed");
}

static void
step_mutate(struct xstep *st)
{
    struct executor *e = st->ex;
    struct action_step v;
    char why[WHY_LEN] = "";
    step_view(st, &v);
    if (!st->ops->mutate) {
        if (st->ops->precheck &&
            st->ops->precheck(&v, st->observed, why, sizeof(why)) != DG_OK)
            step_finish(st, S_FAILED, "%s", why);
        else
            step_finish(st, S_FAILED, "check failed: %s", st->reason);
        return;
    }
    if (st->ops->precheck &&
        st->ops->precheck(&v, st->observed, why, sizeof(why)) != DG_OK) {
        step_finish(st, S_FAILED, "precheck: %s", why);
        return;
    }
    if (st->attempts >= e->o.max_issues) {
        step_finish(st, S_FAILED,
                    "issued the mutating call %d times and no effect was "
                    "observed (last seen: %s)",
                    st->attempts, st->reason);
        return;
    }
    /* The intent is durable before the call leaves. */
    st->mutation = M_INTENT;
    st->attempts++;
    cJSON_Delete(st->baseline);
    st->baseline = st->observed ? cJSON_Duplicate(st->observed, 1) : NULL;
    st->state = S_RUNNING;
    fmtw(st->reason, sizeof(st->reason), "mutating call %d issued",
         st->attempts);
    if (step_commit(st, NULL, NULL) != 0)
        return;
    if (crash_here(e, "after_intent", st))
        return;
    step_view(st, &v);
    st->inflight++;
    st->ops->mutate(e->o.actions.ctx, &v, st->observed, on_mutated, st);
}

static void
on_observed(cJSON *obs, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct xstep *st = ctx;
    st->inflight--;
    if (st->detached) {
        cJSON_Delete(obs);
        xstep_free(st);
        return;
    }
    struct executor *e = st->ex;
    if (e->dead || st->plan->stalled || step_final(st)) {
        cJSON_Delete(obs);
        return;
    }
    if (rc == DG_ECANCELLED) { /* shutting down: resume after restart */
        cJSON_Delete(obs);
        plan_stall(st->plan, err);
        return;
    }
    if (rc != DG_OK || !obs) {
        cJSON_Delete(obs);
        if (st->observe_fails++ == 0)
            st->observe_fail_since_ms = wall_now(e);
        fmtw(st->reason, sizeof(st->reason), "observe failed: %s: %s",
             err && err->code[0] ? err->code : dg_rc_name(rc),
             err ? err->msg : "");
        if ((st->phase == PH_INITIAL && st->mutation == M_NONE &&
             (rc == DG_EINVALID || rc == DG_EREMOTE)) ||
            (st->observe_fails >= e->o.max_observe_fail &&
             wall_now(e) - st->observe_fail_since_ms >= e->o.observe_fail_ms)) {
            step_finish(st, S_FAILED, "%s", st->reason);
            return;
        }
        step_schedule(st, 0);
        return;
    }
    st->observe_fails = 0;
    cJSON_Delete(st->observed);
    st->observed = obs;
    struct action_step v;
    step_view(st, &v);
    char why[WHY_LEN] = "";
    int64_t hint = 0;
    enum action_assess a = st->ops->assess(&v, obs, why, sizeof(why), &hint);
    fmtw(st->reason, sizeof(st->reason), "%s", why);
    if (a == ACTION_GOAL_HOLDS) {
        if (st->mutation == M_NONE || st->phase == PH_AFTER_ERROR)
            st->already_satisfied = 1;
        step_finish(st, S_SUCCEEDED, "%s", why);
        return;
    }
    if (a == ACTION_BROKEN) {
        step_finish(st, S_FAILED, "%s", why);
        return;
    }
    if (st->phase == PH_AFTER_ERROR) {
        const struct dg_err *me = &st->mutate_err;
        if (st->ops->already_done && st->ops->already_done(&v, me, obs)) {
            st->mutation = M_SENT;
            st->sent_ms = wall_now(e);
            st->state = S_WAITING;
            fmtw(st->reason, sizeof(st->reason),
                 "AWS answered %s, and the observed state shows the "
                 "operation under way: %s",
                 me->code, why);
            if (step_commit(st, NULL, NULL) == 0)
                step_schedule(st, hint);
            return;
        }
        step_finish(st, S_FAILED, "%s: %s", me->code[0] ? me->code : "error",
                    me->msg);
        return;
    }
    if (a == ACTION_IN_PROGRESS) {
        if (st->mutation == M_INTENT) {
            /* The call evidently reached AWS before a crash. */
            st->mutation = M_SENT;
            st->sent_ms = wall_now(e);
            st->state = S_RUNNING;
        }
        if (st->state != S_WAITING) {
            st->state = S_WAITING;
            if (step_commit(st, NULL, NULL) != 0)
                return;
        }
        step_schedule(st, hint);
        return;
    }
    /* NOT_STARTED */
    if (st->mutation == M_SENT &&
        wall_now(e) - st->sent_ms < e->o.sent_grace_ms) {
        /* Accepted, not visible yet: give it time before issuing again. */
        int64_t left = st->sent_ms + e->o.sent_grace_ms - wall_now(e);
        step_schedule(st, left);
        return;
    }
    step_mutate(st);
}

static void
step_observe(struct xstep *st, enum phase ph)
{
    struct action_step v;
    step_view(st, &v);
    st->phase = ph;
    st->inflight++;
    st->ops->observe(st->ex->o.actions.ctx, &v, on_observed, st);
}

static void
step_arm_deadline(struct xstep *st)
{
    int64_t left = st->deadline_ms - wall_now(st->ex);
    if (left < 1000)
        left = 1000; /* one look after a restart before giving up */
    st->deadline_timer = timer_add(st->ex, left, on_deadline, st);
}

static void
step_begin(struct xstep *st)
{
    struct executor *e = st->ex;
    st->state = S_RUNNING;
    st->started_ms = wall_now(e);
    st->deadline_ms = st->started_ms + st->timeout_ms;
    cJSON *d = step_event_data(st);
    cJSON_AddNumberToObject(d, "timeout_seconds",
                            (double)(st->timeout_ms / 1000));
    if (step_commit(st, "drgate.step.started", d) != 0)
        return;
    step_arm_deadline(st);
    step_observe(st, PH_INITIAL);
}

/* A step found running or waiting after a restart: look first. */
static void
step_resume(struct xstep *st)
{
    log_kv(DG_LOG_INFO, "step resumed", "plan_id", st->plan->plan_id, "step",
           st->id, "mutation", mut_name[st->mutation], NULL);
    step_arm_deadline(st);
    step_observe(st, PH_INITIAL);
}

static void
xstep_free(struct xstep *st)
{
    if (!st)
        return;
    if (st->inflight) {
        st->detached = 1; /* freed by its callback */
        return;
    }
    dg_free(st->id);
    dg_free(st->type);
    dg_free(st->name);
    dg_free(st->region);
    cJSON_Delete(st->params);
    cJSON_Delete(st->baseline);
    cJSON_Delete(st->memo);
    cJSON_Delete(st->observed);
    dg_free(st);
}

/* --- plans -------------------------------------------------------------- */

static void
xplan_free(struct xplan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsteps; i++) {
        struct xstep *st = p->steps[i];
        step_stop_timers(st);
        st->plan = NULL;
        xstep_free(st);
    }
    dg_free(p->steps);
    dg_free(p->plan_id);
    cJSON_Delete(p->body);
    dg_free(p);
}

static void
plan_stall(struct xplan *p, const struct dg_err *err)
{
    if (p->stalled)
        return;
    p->stalled = 1;
    for (size_t i = 0; i < p->nsteps; i++)
        step_stop_timers(p->steps[i]);
    log_kv(err && err->rc == DG_ECANCELLED ? DG_LOG_INFO : DG_LOG_ERROR,
           "plan stalled (store write refused or call cancelled); it "
           "resumes after a restart",
           "plan_id", p->plan_id, "error", err ? err->msg : "", NULL);
}

static int
is_data_tier(const char *type)
{
    static const char *const t[] = {
        "PlannedFailoverAurora", "SwitchoverAurora",
        "ManagedFailoverAurora", "UnPlannedFailoverAurora",
        "PromoteRDSReadReplica", NULL};
    for (size_t i = 0; t[i]; i++)
        if (strcmp(t[i], type) == 0)
            return 1;
    return 0;
}

static void
add_span(cJSON *o, const char *key, int64_t from, int64_t to)
{
    if (from > 0 && to > 0 && to >= from)
        cJSON_AddNumberToObject(o, key, (double)(to - from));
}

/* The final report: per step what was done and what was not, and the
 * recovery figures. */
static cJSON *
plan_report(const struct xplan *p, int64_t now)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "plan_id", p->plan_id);
    cJSON_AddNumberToObject(d, "duration_ms", (double)(now - p->started_ms));
    if (p->failed)
        cJSON_AddStringToObject(d, "reason", p->fail_reason);
    cJSON *steps = cJSON_AddArrayToObject(d, "steps");
    int64_t data_done = 0, traffic_done = 0;
    for (size_t i = 0; i < p->nsteps; i++) {
        const struct xstep *st = p->steps[i];
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "step", st->id);
        cJSON_AddStringToObject(s, "type", st->type);
        cJSON_AddStringToObject(s, "name", st->name);
        cJSON_AddStringToObject(
            s, "state",
            st->state == S_PENDING ? "not_started" : sstate_name[st->state]);
        cJSON_AddBoolToObject(s, "already_satisfied", st->already_satisfied);
        cJSON_AddNumberToObject(s, "mutating_calls", st->attempts);
        if (st->started_ms && st->finished_ms)
            cJSON_AddNumberToObject(s, "duration_ms",
                                    (double)(st->finished_ms - st->started_ms));
        if (st->reason[0])
            cJSON_AddStringToObject(s, "detail", st->reason);
        cJSON_AddItemToArray(steps, s);
        if (st->state == S_SUCCEEDED && is_data_tier(st->type) &&
            st->finished_ms > data_done)
            data_done = st->finished_ms;
        if (st->state == S_SUCCEEDED &&
            strcmp(st->type, "UpdateRoute53Record") == 0 &&
            st->finished_ms > traffic_done)
            traffic_done = st->finished_ms;
    }
    cJSON *r = cJSON_AddObjectToObject(d, "recovery");
    const struct executor_times *t = &p->times;
    add_span(r, "detection_to_proposal_ms", t->detected_ms, t->proposed_ms);
    add_span(r, "proposal_to_approval_ms", t->proposed_ms, t->approved_ms);
    add_span(r, "approval_to_data_tier_ms", t->approved_ms, data_done);
    add_span(r, "approval_to_traffic_ms", t->approved_ms, traffic_done);
    add_span(r, "approval_to_done_ms", t->approved_ms, now);
    add_span(r, "detection_to_done_ms", t->detected_ms, now);
    add_span(r, "execution_ms", p->started_ms, now);
    return d;
}

static void
plan_unlink(struct xplan *p)
{
    struct executor *e = p->ex;
    for (struct xplan **pp = &e->plans; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void
reap_zombies(struct executor *e)
{
    while (e->zombies) {
        struct xplan *p = e->zombies;
        e->zombies = p->next;
        xplan_free(p);
    }
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reap_zombies(arg);
}

static void
plan_finish(struct xplan *p)
{
    struct executor *e = p->ex;
    struct dg_err err;
    dg_err_clear(&err);
    int64_t now = wall_now(e);
    cJSON *report = plan_report(p, now);
    const char *state = p->failed ? "failed" : "succeeded";
    dg_rc rc = store_begin(e->o.store, &err);
    if (rc == DG_OK)
        rc =
            store_exec_set_state(e->o.store, p->plan_id, state, now, now, &err);
    if (rc == DG_OK)
        rc = emit(e, p->failed ? "drgate.plan.failed" : "drgate.plan.succeeded",
                  report, &err);
    if (rc == DG_OK)
        rc = store_commit(e->o.store, &err);
    else
        store_rollback(e->o.store);
    if (rc != DG_OK) {
        cJSON_Delete(report);
        plan_stall(p, &err);
        return;
    }
    p->finished = 1;
    log_kv(p->failed ? DG_LOG_WARN : DG_LOG_INFO,
           p->failed ? "plan failed" : "plan succeeded", "plan_id", p->plan_id,
           NULL);
    if (e->o.hooks.plan_done)
        e->o.hooks.plan_done(p->plan_id, !p->failed, report, e->o.hooks.ctx);
    cJSON_Delete(report);
    plan_unlink(p);
    /* Freed from the loop: we may be inside one of its steps' callbacks. */
    p->next = e->zombies;
    e->zombies = p;
    if (e->reap)
        dg_clock_arm(e->reap, 0);
}

static void
plan_start_layer(struct xplan *p, int layer)
{
    p->cur_layer = layer;
    for (size_t i = 0; i < p->nsteps && !p->stalled; i++) {
        struct xstep *st = p->steps[i];
        if (st->layer_idx != layer)
            continue;
        if (st->state == S_PENDING && !p->failed)
            step_begin(st);
        else if (!step_final(st))
            step_resume(st);
    }
}

/* Called after every step end: start the next layer or finish. */
static void
plan_check(struct xplan *p)
{
    if (p->ex->dead || p->stalled || p->finished)
        return;
    for (size_t i = 0; i < p->nsteps; i++) {
        const struct xstep *st = p->steps[i];
        if (st->layer_idx == p->cur_layer && !step_final(st))
            return; /* wait for the rest of the layer */
    }
    if (p->failed || p->cur_layer + 1 >= p->nlayers) {
        plan_finish(p);
        return;
    }
    plan_start_layer(p, p->cur_layer + 1);
    /* A layer whose steps all finished at once (resume) moves on. */
    if (!p->stalled && !p->ex->dead)
        plan_check(p);
}

/* Builds the in-memory plan from its body; DG_EINVALID for unknown types. */
static dg_rc
xplan_build(struct executor *e, const char *plan_id, const cJSON *body,
            struct xplan **out, struct dg_err *err)
{
    *out = NULL;
    const cJSON *layers = dg_json_arr(body, "layers");
    if (!layers || cJSON_GetArraySize(layers) == 0)
        return dg_err_setc(err, DG_EINVALID, "no_steps",
                           "plan %s has no layers", plan_id);
    struct xplan *p = dg_calloc(1, sizeof(*p));
    p->ex = e;
    p->plan_id = dg_strdup(plan_id);
    p->body = cJSON_Duplicate(body, 1);
    int li = 0;
    for (const cJSON *l = layers->child; l; l = l->next, li++) {
        long long no = li + 1;
        (void)dg_json_int(l, "layer", &no);
        const cJSON *steps = dg_json_arr(l, "steps");
        if (!steps || !steps->child) {
            xplan_free(p);
            return dg_err_setc(err, DG_EINVALID, "no_steps",
                               "plan %s: layer %lld has no steps", plan_id, no);
        }
        for (const cJSON *s = steps->child; s; s = s->next) {
            const char *type = dg_json_str(s, "type");
            const char *id = dg_json_str(s, "step");
            const struct action_ops *ops = action_find(&e->o.actions, type);
            if (!ops || !id) {
                xplan_free(p);
                return dg_err_setc(err, DG_EINVALID, "unknown_type",
                                   "plan %s: step %s: no action implements "
                                   "resourceType %s",
                                   plan_id, id ? id : "?",
                                   type ? type : "(none)");
            }
            struct xstep *st = dg_calloc(1, sizeof(*st));
            st->plan = p;
            st->ex = e;
            st->layer_idx = li;
            st->layer_no = (int)no;
            st->id = dg_strdup(id);
            st->type = dg_strdup(type);
            const char *name = dg_json_str(s, "name");
            st->name = dg_strdup(name ? name : type);
            const char *region = dg_json_str(s, "region");
            st->region = dg_strdup(region ? region : "global");
            const cJSON *params = dg_json_obj(s, "parameters");
            st->params =
                params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
            st->ops = ops;
            long long t = 0;
            if (!dg_json_int(s, "timeout_seconds", &t) || t <= 0) {
                const struct runbook_type *rt = runbook_type_find(type);
                t = rt ? rt->timeout_seconds : 900;
            }
            st->timeout_ms = t * 1000;
            p->steps =
                dg_realloc(p->steps, (p->nsteps + 1) * sizeof(*p->steps));
            p->steps[p->nsteps++] = st;
        }
    }
    p->nlayers = li;
    *out = p;
    return DG_OK;
}

/* --- public ------------------------------------------------------------- */

struct executor *
executor_new(const struct executor_opts *o)
{
    struct executor *e = dg_calloc(1, sizeof(*e));
    e->o = *o;
    if (e->o.poll_first_ms <= 0)
        e->o.poll_first_ms = 250;
    if (e->o.poll_max_ms <= 0)
        e->o.poll_max_ms = 5000;
    if (e->o.poll_factor < 1.0)
        e->o.poll_factor = 1.5;
    if (e->o.sent_grace_ms <= 0)
        e->o.sent_grace_ms = 30000;
    if (e->o.max_issues <= 0)
        e->o.max_issues = 3;
    if (e->o.max_observe_fail <= 0)
        e->o.max_observe_fail = 8;
    if (e->o.observe_fail_ms <= 0)
        e->o.observe_fail_ms = 60000;
    if (e->o.base)
        e->reap = evtimer_new(e->o.base, on_reap, e);
    return e;
}

void
executor_free(struct executor *e)
{
    if (!e)
        return;
    while (e->plans) {
        struct xplan *p = e->plans;
        e->plans = p->next;
        xplan_free(p);
    }
    reap_zombies(e);
    if (e->reap)
        event_free(e->reap);
    dg_free(e);
}

int
executor_active(const struct executor *e)
{
    int n = 0;
    for (const struct xplan *p = e->plans; p; p = p->next)
        n++;
    return n;
}

static cJSON *
exec_detail(const struct xplan *p)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "plan", cJSON_Duplicate(p->body, 1));
    cJSON *t = cJSON_AddObjectToObject(d, "times");
    cJSON_AddNumberToObject(t, "detected_ms", (double)p->times.detected_ms);
    cJSON_AddNumberToObject(t, "proposed_ms", (double)p->times.proposed_ms);
    cJSON_AddNumberToObject(t, "approved_ms", (double)p->times.approved_ms);
    return d;
}

dg_rc
executor_start(struct executor *e, const char *plan_id, const cJSON *body,
               const struct executor_times *times, struct dg_err *err)
{
    struct xplan *p = NULL;
    dg_rc rc = xplan_build(e, plan_id, body, &p, err);
    if (rc != DG_OK)
        return rc;
    if (times)
        p->times = *times;
    int64_t now = wall_now(e);
    p->started_ms = now;
    cJSON *d = exec_detail(p);
    char *detail = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    struct store_exec_rec r = {.plan_id = plan_id,
                               .state = "executing",
                               .started_ms = now,
                               .updated_ms = now,
                               .detail = detail};
    rc = store_begin(e->o.store, err);
    if (rc == DG_OK)
        rc = store_exec_insert(e->o.store, &r, err);
    for (size_t i = 0; rc == DG_OK && i < p->nsteps; i++)
        rc = step_write(p->steps[i], now, err);
    if (rc == DG_OK)
        rc = store_commit(e->o.store, err);
    else
        store_rollback(e->o.store);
    cJSON_free(detail);
    if (rc != DG_OK) {
        xplan_free(p);
        return rc;
    }
    log_kv(DG_LOG_INFO, "plan executing", "plan_id", plan_id, NULL);
    p->next = e->plans;
    e->plans = p;
    plan_start_layer(p, 0);
    return DG_OK;
}

/* --- resume ------------------------------------------------------------- */

static enum sstate
parse_state(const char *s)
{
    for (int i = 0; i <= S_FAILED; i++)
        if (s && strcmp(s, sstate_name[i]) == 0)
            return (enum sstate)i;
    return S_PENDING;
}

static enum mut
parse_mut(const char *s)
{
    for (int i = 0; i <= M_SENT; i++)
        if (s && strcmp(s, mut_name[i]) == 0)
            return (enum mut)i;
    return M_NONE;
}

static cJSON *
parse_text(const char *s)
{
    struct dg_err err;
    if (!s)
        return NULL;
    return dg_json_parse(s, strlen(s), 16u << 20, DG_JSON_MAX_DEPTH, &err);
}

static int
restore_step(const struct store_step_rec *r, void *ctx)
{
    struct xplan *p = ctx;
    for (size_t i = 0; i < p->nsteps; i++) {
        struct xstep *st = p->steps[i];
        if (strcmp(st->id, r->step) != 0)
            continue;
        st->state = parse_state(r->state);
        st->mutation = parse_mut(r->mutation);
        st->attempts = r->attempts;
        st->started_ms = r->started_ms;
        st->deadline_ms = r->deadline_ms;
        st->finished_ms = r->finished_ms;
        cJSON *d = parse_text(r->detail);
        const char *reason = dg_json_str(d, "reason");
        fmtw(st->reason, sizeof(st->reason), "%s", reason ? reason : "");
        st->already_satisfied = cJSON_IsTrue(
            cJSON_GetObjectItemCaseSensitive(d, "already_satisfied"));
        long long v = 0;
        if (dg_json_int(d, "sent_ms", &v))
            st->sent_ms = v;
        cJSON *m = cJSON_DetachItemFromObjectCaseSensitive(d, "memo");
        cJSON *b = cJSON_DetachItemFromObjectCaseSensitive(d, "baseline");
        cJSON_Delete(st->memo);
        cJSON_Delete(st->baseline);
        st->memo = m;
        st->baseline = b;
        cJSON_Delete(d);
        cJSON_Delete(st->observed);
        st->observed = parse_text(r->observed);
        if (st->state != S_PENDING && !st->deadline_ms)
            st->deadline_ms = st->started_ms + st->timeout_ms;
        if (st->state == S_FAILED && !p->failed) {
            p->failed = 1;
            fmtw(p->fail_reason, sizeof(p->fail_reason),
                 "step %s (%s) failed: %s", st->id, st->type, st->reason);
        }
        return 0;
    }
    return 0;
}

struct resume_ctx {
    struct executor *e;
    struct xplan **found;
    size_t n;
    int bad;
};

static int
collect_exec(const struct store_exec_rec *r, void *ctx)
{
    struct resume_ctx *rc = ctx;
    cJSON *d = parse_text(r->detail);
    const cJSON *body = dg_json_obj(d, "plan");
    struct xplan *p = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    if (!body || xplan_build(rc->e, r->plan_id, body, &p, &err) != DG_OK) {
        log_kv(DG_LOG_ERROR, "cannot resume plan", "plan_id", r->plan_id,
               "error", body ? err.msg : "no plan body recorded", NULL);
        rc->bad++;
        cJSON_Delete(d);
        return 0;
    }
    const cJSON *t = dg_json_obj(d, "times");
    long long v;
    if (dg_json_int(t, "detected_ms", &v))
        p->times.detected_ms = v;
    if (dg_json_int(t, "proposed_ms", &v))
        p->times.proposed_ms = v;
    if (dg_json_int(t, "approved_ms", &v))
        p->times.approved_ms = v;
    p->started_ms = r->started_ms;
    cJSON_Delete(d);
    rc->found = dg_realloc(rc->found, (rc->n + 1) * sizeof(*rc->found));
    rc->found[rc->n++] = p;
    return 0;
}

dg_rc
executor_resume(struct executor *e, int *resumed, struct dg_err *err)
{
    struct resume_ctx rc = {.e = e};
    if (resumed)
        *resumed = 0;
    dg_rc r = store_exec_list(e->o.store, "executing", collect_exec, &rc, err);
    for (size_t i = 0; r == DG_OK && i < rc.n; i++)
        r = store_step_list(e->o.store, rc.found[i]->plan_id, restore_step,
                            rc.found[i], err);
    if (r != DG_OK) {
        for (size_t i = 0; i < rc.n; i++)
            xplan_free(rc.found[i]);
        dg_free(rc.found);
        return r;
    }
    for (size_t i = 0; i < rc.n; i++) {
        struct xplan *p = rc.found[i];
        p->next = e->plans;
        e->plans = p;
        /* The current layer: the first with a step not succeeded. */
        int layer = p->nlayers - 1;
        for (size_t j = 0; j < p->nsteps; j++)
            if (p->steps[j]->state != S_SUCCEEDED) {
                layer = p->steps[j]->layer_idx;
                break;
            }
        log_kv(DG_LOG_INFO, "plan resumed", "plan_id", p->plan_id, NULL);
        plan_start_layer(p, layer);
        if (resumed)
            (*resumed)++;
    }
    /* Layers whose steps had all ended move on or finish. */
    for (size_t i = 0; i < rc.n; i++)
        plan_check(rc.found[i]);
    dg_free(rc.found);
    return DG_OK;
}
