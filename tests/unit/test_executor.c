/*
 * test_executor.c - the executor on scripted fake actions, a fake clock and
 * fake timers over a fresh event_base per test.
 *
 * The fake world: each step has a script row (STYLE.md "Fakes are scripted
 * tables"): what it looks like before any call (NOT_STARTED, or GOAL_HOLDS
 * for "already satisfied"), how long the change takes after an accepted
 * call, how long before an accepted call becomes visible at all, what each
 * mutating call answers, and whether the first call is silently lost.
 * Observations carry the world's verdict; the fake assess reads it.
 * Also resolve_plan_payload (resolve.c) on a scripted resolver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "executor.h"
#include "json.h"
#include "mem.h"
#include "resolve.h"
#include "store.h"
#include "store_steps.h"
#include "testsupport.h"

#define MAXS 8
#define MAXT 256

struct script {
    const char *step;
    int initially_done;  /* GOAL_HOLDS before any call */
    int64_t duration_ms; /* accepted call -> IN_PROGRESS for this long */
    int64_t lag_ms;      /* accepted call invisible (NOT_STARTED) this long */
    dg_rc rc[4];         /* answers of mutating calls 1..4 (default OK) */
    const char *code[4];
    int lose_first;      /* the first accepted call has no effect */
    int refuse_precheck; /* precheck fails */
    int already_done_ok; /* already_done says yes */
    int broken;          /* after the call the world says BROKEN */
    /* observations fail (Throttling) from this time until that one (0:
     * never; until 0: for ever) */
    int64_t obs_fail_from_ms, obs_fail_until_ms;
};

struct world {
    struct script s[MAXS];
    size_t n;
    int64_t mutated_at[MAXS]; /* when the effective call arrived */
    int effective[MAXS];      /* an accepted call took effect */
    int mutates[MAXS], observes[MAXS];
};

static struct world W;
static int64_t now_ms;
static uint32_t rnd = 12345;
static struct event_base *base;

/* --- fake timers --- */
struct ftimer {
    int64_t due;
    void (*cb)(void *);
    void *arg;
    int live;
};
static struct ftimer timers[4096];
static size_t ntimers;

static void *
ft_add(int64_t delay, void (*cb)(void *), void *arg, void *ctx)
{
    (void)ctx;
    ck_assert_uint_lt(ntimers, 4096);
    struct ftimer *t = &timers[ntimers++];
    t->due = now_ms + delay;
    t->cb = cb;
    t->arg = arg;
    t->live = 1;
    return t;
}

static void
ft_cancel(void *h, void *ctx)
{
    (void)ctx;
    ((struct ftimer *)h)->live = 0;
}

static int64_t
fk_mono(void *ctx)
{
    (void)ctx;
    return now_ms;
}

static int64_t
fk_wall(void *ctx)
{
    (void)ctx;
    return 1700000000000LL + now_ms;
}

static uint32_t
fk_rand(void *ctx)
{
    (void)ctx;
    rnd = rnd * 1103515245u + 12345u;
    return rnd;
}

/* Runs loop events, then the earliest fake timer, until nothing is left
 * or stop is set. */
static int stop_flag;

static void
drain_loop(void)
{
    for (int i = 0; i < 10000; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE |
                                                EVENT_BASE_COUNT_ADDED) == 0)
            return;
    }
    ck_abort_msg("event loop does not settle");
}

static void
run_until_quiet(int64_t limit_ms)
{
    for (;;) {
        drain_loop();
        if (stop_flag)
            return;
        struct ftimer *next = NULL;
        for (size_t i = 0; i < ntimers; i++)
            if (timers[i].live && (!next || timers[i].due < next->due))
                next = &timers[i];
        if (!next || next->due > limit_ms)
            return;
        if (next->due > now_ms)
            now_ms = next->due;
        next->live = 0;
        if (getenv("FT_DEBUG"))
            fprintf(stderr, "fire %lld %p\n", (long long)now_ms, next->arg);
        next->cb(next->arg);
    }
}

/* --- fake actions --- */

static int
idx_of(const char *step)
{
    for (size_t i = 0; i < W.n; i++)
        if (strcmp(W.s[i].step, step) == 0)
            return (int)i;
    ck_abort_msg("no script for step %s", step);
    return -1;
}

struct pending {
    action_observe_fn odone;
    action_mutate_fn mdone;
    cJSON *obs;
    dg_rc rc;
    struct dg_err err;
    void *ctx;
};

static void
deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pending *p = arg;
    if (p->odone)
        p->odone(p->obs, p->rc, p->rc == DG_OK ? NULL : &p->err, p->ctx);
    else
        p->mdone(p->obs, p->rc, p->rc == DG_OK ? NULL : &p->err, p->ctx);
    dg_free(p);
}

static void
later(struct pending *p)
{
    struct timeval zero = {0, 0};
    ck_assert_int_eq(event_base_once(base, -1, EV_TIMEOUT, deliver, p, &zero),
                     0);
}

static const char *
world_verdict(int i)
{
    const struct script *s = &W.s[i];
    if (s->initially_done && !W.effective[i])
        return "GOAL_HOLDS";
    if (!W.effective[i])
        return "NOT_STARTED";
    int64_t since = now_ms - W.mutated_at[i];
    if (since < s->lag_ms)
        return "NOT_STARTED";
    if (s->broken)
        return "BROKEN";
    if (since < s->lag_ms + s->duration_ms)
        return "IN_PROGRESS";
    return "GOAL_HOLDS";
}

static void
fake_observe(void *impl, const struct action_step *st, action_observe_fn done,
             void *ctx)
{
    (void)impl;
    int i = idx_of(st->step);
    W.observes[i]++;
    struct pending *p = dg_calloc(1, sizeof(*p));
    p->odone = done;
    p->ctx = ctx;
    const struct script *s = &W.s[i];
    if (s->obs_fail_from_ms && now_ms >= s->obs_fail_from_ms &&
        (!s->obs_fail_until_ms || now_ms < s->obs_fail_until_ms)) {
        p->rc = DG_ETRANSIENT;
        dg_err_setc(&p->err, p->rc, "Throttling", "scripted throttling");
        later(p);
        return;
    }
    p->obs = cJSON_CreateObject();
    cJSON_AddStringToObject(p->obs, "verdict", world_verdict(i));
    later(p);
}

static dg_rc
fake_precheck(const struct action_step *st, const cJSON *obs, char *why,
              size_t n)
{
    (void)obs;
    if (W.s[idx_of(st->step)].refuse_precheck) {
        snprintf(why, n, "target is not a member of the global cluster");
        return DG_EINVALID;
    }
    return DG_OK;
}

static enum action_assess
fake_assess(const struct action_step *st, const cJSON *obs, char *why, size_t n,
            int64_t *hint)
{
    (void)st;
    (void)hint;
    const char *v = dg_json_str(obs, "verdict");
    snprintf(why, n, "world says %s", v);
    if (strcmp(v, "GOAL_HOLDS") == 0)
        return ACTION_GOAL_HOLDS;
    if (strcmp(v, "IN_PROGRESS") == 0)
        return ACTION_IN_PROGRESS;
    if (strcmp(v, "BROKEN") == 0)
        return ACTION_BROKEN;
    return ACTION_NOT_STARTED;
}

static void
fake_mutate(void *impl, const struct action_step *st, const cJSON *obs,
            action_mutate_fn done, void *ctx)
{
    (void)impl;
    (void)obs;
    int i = idx_of(st->step);
    int k = W.mutates[i]++;
    struct pending *p = dg_calloc(1, sizeof(*p));
    p->mdone = done;
    p->ctx = ctx;
    p->rc = k < 4 ? W.s[i].rc[k] : DG_OK;
    if (p->rc != DG_OK) {
        dg_err_setc(&p->err, p->rc,
                    k < 4 && W.s[i].code[k] ? W.s[i].code[k] : "Boom",
                    "scripted refusal");
    } else if (!(W.s[i].lose_first && k == 0) && !W.effective[i]) {
        W.effective[i] = 1;
        W.mutated_at[i] = now_ms;
        p->obs = cJSON_CreateObject();
        cJSON_AddStringToObject(p->obs, "call", "accepted");
    }
    later(p);
}

static int
fake_already_done(const struct action_step *st, const struct dg_err *err,
                  const cJSON *obs)
{
    (void)err;
    (void)obs;
    return W.s[idx_of(st->step)].already_done_ok;
}

static const struct action_ops fake_ops = {
    .type = "Fake",
    .observe = fake_observe,
    .precheck = fake_precheck,
    .assess = fake_assess,
    .mutate = fake_mutate,
    .already_done = fake_already_done,
};

static const struct action_ops *
fake_find(const char *type, void *ctx)
{
    (void)ctx;
    return strcmp(type, "Fake") == 0 ? &fake_ops : NULL;
}

/* --- hooks: events, polls, crashes --- */

static char events[128][64];
static size_t nevents;
static int64_t polls[512];
static size_t npolls;
static const char *crash_point;
static const char *crash_step;
static int plan_ok = -1;
static char report[8192];

static dg_rc
hk_event(struct store *s, const char *type, const cJSON *data,
         struct dg_err *err, void *ctx)
{
    (void)s;
    (void)err;
    (void)ctx;
    ck_assert_uint_lt(nevents, 128);
    const char *step = dg_json_str(data, "step");
    snprintf(events[nevents++], 64, "%s %s", type + 7, step ? step : "-");
    return DG_OK;
}

static void
hk_done(const char *plan_id, int ok, const cJSON *rep, void *ctx)
{
    (void)plan_id;
    (void)ctx;
    plan_ok = ok;
    char *s = cJSON_PrintUnformatted(rep);
    snprintf(report, sizeof(report), "%s", s);
    cJSON_free(s);
    stop_flag = 1;
}

static void
hk_polled(const char *plan_id, const char *step, int64_t d, void *ctx)
{
    (void)plan_id;
    (void)step;
    (void)ctx;
    if (npolls < 512)
        polls[npolls++] = d;
}

static int
hk_checkpoint(const char *point, const char *plan_id, const char *step,
              void *ctx)
{
    (void)plan_id;
    (void)ctx;
    if (crash_point && strcmp(point, crash_point) == 0 &&
        (!crash_step || strcmp(step, crash_step) == 0)) {
        crash_point = NULL; /* once */
        stop_flag = 1;      /* the process is gone: its timers never fire */
        return 1;
    }
    return 0;
}

/* --- fixture --- */

static char dir[64], dbpath[128];
static struct store *store;

static void
setup(void)
{
    memset(&W, 0, sizeof(W));
    now_ms = 0;
    ntimers = 0;
    nevents = 0;
    npolls = 0;
    crash_point = crash_step = NULL;
    plan_ok = -1;
    stop_flag = 0;
    report[0] = '\0';
    base = event_base_new();
    snprintf(dir, sizeof(dir), "/tmp/test_executor_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(dbpath, sizeof(dbpath), "%s/drgate.db", dir);
    struct dg_err err;
    ck_assert_int_eq(store_open(dbpath, STORE_SYNC_OFF, &store, &err), DG_OK);
}

static void
teardown(void)
{
    store_close(store);
    store = NULL;
    event_base_free(base);
    char p[160];
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
}

static struct executor *
new_executor(void)
{
    struct executor_opts o = {
        .base = base,
        .store = store,
        .actions = {fake_find, NULL},
        .clock = {fk_mono, fk_wall, fk_rand, NULL},
        .timers = {ft_add, ft_cancel, NULL},
        .hooks = {hk_event, hk_done, hk_polled, hk_checkpoint, NULL},
        .sent_grace_ms = 20000,
    };
    return executor_new(&o);
}

/* A plan body: layers given as "1.1,1.2|2.1" with timeout per step. */
static cJSON *
make_plan(const char *shape, int timeout_s)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *layers = cJSON_AddArrayToObject(body, "layers");
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", shape);
    int ln = 0;
    char *save1 = NULL;
    for (char *l = strtok_r(buf, "|", &save1); l;
         l = strtok_r(NULL, "|", &save1)) {
        cJSON *lo = cJSON_CreateObject();
        cJSON_AddNumberToObject(lo, "layer", ++ln);
        cJSON *steps = cJSON_AddArrayToObject(lo, "steps");
        char *save2 = NULL;
        for (char *s = strtok_r(l, ",", &save2); s;
             s = strtok_r(NULL, ",", &save2)) {
            cJSON *so = cJSON_CreateObject();
            cJSON_AddStringToObject(so, "step", s);
            cJSON_AddStringToObject(so, "type", "Fake");
            cJSON_AddStringToObject(so, "name", s);
            cJSON_AddStringToObject(so, "region", "us-west-2");
            cJSON_AddNumberToObject(so, "timeout_seconds", timeout_s);
            cJSON_AddObjectToObject(so, "parameters");
            cJSON_AddItemToArray(steps, so);
        }
        cJSON_AddItemToArray(layers, lo);
    }
    return body;
}

static void
add_script(struct script s)
{
    W.s[W.n++] = s;
}

static size_t
event_index(const char *ev)
{
    for (size_t i = 0; i < nevents; i++)
        if (strcmp(events[i], ev) == 0)
            return i;
    ck_abort_msg("event %s not emitted", ev);
    return 0;
}

static int
has_event(const char *ev)
{
    for (size_t i = 0; i < nevents; i++)
        if (strcmp(events[i], ev) == 0)
            return 1;
    return 0;
}

static struct executor *
start(const char *shape, int timeout_s)
{
    struct executor *e = new_executor();
    cJSON *body = make_plan(shape, timeout_s);
    struct dg_err err;
    struct executor_times t = {1700000000000LL - 90000, 1700000000000LL - 60000,
                               1700000000000LL - 1000};
    ck_assert_int_eq(executor_start(e, "plan-1", body, &t, &err), DG_OK);
    cJSON_Delete(body);
    return e;
}

struct step_query {
    const char *step;
    char out[64];
};

static int
step_row(const struct store_step_rec *r, void *ctx)
{
    struct step_query *q = ctx;
    if (strcmp(r->step, q->step) == 0)
        snprintf(q->out, sizeof(q->out), "%s/%s/%d", r->state, r->mutation,
                 r->attempts);
    return 0;
}

static char *
step_state(const char *step)
{
    struct step_query q = {step, ""};
    struct dg_err err;
    ck_assert_int_eq(store_step_list(store, "plan-1", step_row, &q, &err),
                     DG_OK);
    return dg_strdup(q.out);
}

static void
assert_step(const char *step, const char *want)
{
    char *s = step_state(step);
    ck_assert_str_eq(s, want);
    dg_free(s);
}

/* --- tests --- */

START_TEST(layers_in_order_steps_concurrent)
{
    add_script((struct script){.step = "1.1", .duration_ms = 5000});
    add_script((struct script){.step = "1.2", .duration_ms = 12000});
    add_script((struct script){.step = "2.1", .duration_ms = 2000});
    add_script((struct script){.step = "3.1", .initially_done = 1});
    struct executor *e = start("1.1,1.2|2.1|3.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 1);
    /* both steps of layer 1 started before either finished */
    ck_assert_uint_lt(event_index("step.started 1.2"),
                      event_index("step.succeeded 1.1"));
    /* layer 2 only after every step of layer 1 */
    ck_assert_uint_gt(event_index("step.started 2.1"),
                      event_index("step.succeeded 1.2"));
    ck_assert_uint_gt(event_index("step.started 3.1"),
                      event_index("step.succeeded 2.1"));
    ck_assert_uint_gt(event_index("plan.succeeded -"),
                      event_index("step.succeeded 3.1"));
    ck_assert_int_eq(W.mutates[0], 1);
    ck_assert_int_eq(W.mutates[1], 1);
    ck_assert_int_eq(W.mutates[2], 1);
    ck_assert_int_eq(W.mutates[3], 0); /* already satisfied: no call */
    ck_assert_ptr_nonnull(strstr(report, "\"step\":\"3.1\""));
    ck_assert_ptr_nonnull(
        strstr(report, "\"already_satisfied\":true,\"mutating_calls\":0"));
    ck_assert_ptr_nonnull(strstr(report, "\"approval_to_done_ms\""));
    ck_assert_ptr_nonnull(strstr(report, "\"detection_to_proposal_ms\":30000"));
    assert_step("1.2", "succeeded/sent/1");
    assert_step("3.1", "succeeded/none/0");
    ck_assert_int_eq(executor_active(e), 0);
    executor_free(e);
}
END_TEST

START_TEST(failed_step_stops_later_layers)
{
    add_script((struct script){
        .step = "1.1", .rc = {DG_EREMOTE}, .code = {"InvalidParameterValue"}});
    add_script((struct script){.step = "1.2", .duration_ms = 8000});
    add_script((struct script){.step = "2.1", .duration_ms = 1000});
    struct executor *e = start("1.1,1.2|2.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 0);
    ck_assert(has_event("step.failed 1.1"));
    /* the other step of the layer ran to its end */
    ck_assert(has_event("step.succeeded 1.2"));
    ck_assert_uint_gt(event_index("plan.failed -"),
                      event_index("step.succeeded 1.2"));
    ck_assert(!has_event("step.started 2.1"));
    ck_assert_int_eq(W.mutates[2], 0);
    ck_assert_ptr_nonnull(strstr(report, "InvalidParameterValue"));
    ck_assert_ptr_nonnull(
        strstr(report, "\"step\":\"2.1\",\"type\":\"Fake\",\"name\":\"2.1\","
                       "\"state\":\"not_started\""));
    assert_step("2.1", "pending/none/0");
    executor_free(e);
}
END_TEST

START_TEST(precheck_refusal_fails_without_a_call)
{
    add_script((struct script){.step = "1.1", .refuse_precheck = 1});
    struct executor *e = start("1.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 0);
    ck_assert_int_eq(W.mutates[0], 0);
    ck_assert_ptr_nonnull(strstr(report, "precheck: target is not a member"));
    executor_free(e);
}
END_TEST

START_TEST(refusal_meaning_done_counts_as_sent)
{
    add_script((struct script){.step = "1.1",
                               .initially_done = 0,
                               .rc = {DG_EREMOTE},
                               .code = {"InvalidGlobalClusterStateFault"},
                               .already_done_ok = 1});
    /* the world: someone else's identical operation is what we wait on */
    struct executor *e = start("1.1", 600);
    W.s[0].duration_ms = 3000;
    /* the refusal does not change the world; make it done by time */
    W.s[0].initially_done = 0;
    run_until_quiet(5000);
    /* still waiting (NOT_STARTED world, counted as sent, within grace) */
    ck_assert_int_eq(plan_ok, -1);
    W.s[0].initially_done = 1; /* the other operation finished */
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 1);
    ck_assert_int_eq(W.mutates[0], 1);
    executor_free(e);
}
END_TEST

START_TEST(deadline_fails_with_reason)
{
    add_script((struct script){.step = "1.1", .duration_ms = 3600000});
    add_script((struct script){.step = "2.1", .duration_ms = 1000});
    struct executor *e = start("1.1|2.1", 30);
    run_until_quiet(7200000);
    ck_assert_int_eq(plan_ok, 0);
    ck_assert_ptr_nonnull(strstr(report, "deadline: Fake did not complete "
                                         "within 30 s"));
    ck_assert_ptr_nonnull(strstr(report, "world says IN_PROGRESS"));
    ck_assert(!has_event("step.started 2.1"));
    /* the deadline is when it fired, not later */
    ck_assert_int_le(now_ms, 30000 + 10000);
    executor_free(e);
}
END_TEST

START_TEST(broken_fails)
{
    add_script((struct script){.step = "1.1", .broken = 1});
    struct executor *e = start("1.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 0);
    ck_assert_ptr_nonnull(strstr(report, "world says BROKEN"));
    executor_free(e);
}
END_TEST

/* Throttled observations for 45 s (about ten polls) while the change
 * runs: the step rides it out and succeeds. */
START_TEST(observe_blip_does_not_fail_the_step)
{
    add_script((struct script){.step = "1.1",
                               .duration_ms = 60000,
                               .obs_fail_from_ms = 5000,
                               .obs_fail_until_ms = 50000});
    struct executor *e = start("1.1", 600);
    run_until_quiet(3600000);
    ck_assert_msg(plan_ok == 1, "%s", report);
    ck_assert_int_ge(W.observes[0], 8 + 2); /* >= 8 failed in the blip */
    ck_assert_int_eq(W.mutates[0], 1);
    executor_free(e);
}
END_TEST

/* Observations that keep failing fail the step, naming the failure, only
 * after 8 consecutive failures AND 60 s of them. */
START_TEST(observe_failing_for_long_fails_the_step)
{
    add_script((struct script){
        .step = "1.1", .duration_ms = 600000, .obs_fail_from_ms = 5000});
    struct executor *e = start("1.1", 1800);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 0);
    ck_assert_ptr_nonnull(
        strstr(report, "observe failed: Throttling: scripted throttling"));
    ck_assert_int_ge(now_ms, 5000 + 60000);
    ck_assert_int_le(now_ms, 5000 + 60000 + 5000 + 1000);
    executor_free(e);
}
END_TEST

START_TEST(polling_grows_with_jitter_and_stays_bounded)
{
    add_script((struct script){.step = "1.1", .duration_ms = 120000});
    struct executor *e = start("1.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 1);
    ck_assert_uint_ge(npolls, 12);
    ck_assert_int_ge(polls[0], 200);
    ck_assert_int_le(polls[0], 300);
    int distinct = 0;
    for (size_t i = 0; i < npolls; i++) {
        ck_assert_int_ge(polls[i], 125);
        ck_assert_int_le(polls[i], 5000);
        if (i > 0 && polls[i] != polls[i - 1])
            distinct++;
    }
    /* it backs off: the 5th poll waits longer than the first */
    ck_assert_int_gt(polls[5], polls[0]);
    /* and reaches the ceiling region (5 s, jitter -20%) */
    ck_assert_int_ge(polls[npolls - 2], 4000);
    ck_assert_int_gt(distinct, 5); /* jitter */
    /* done within one max interval of the change */
    ck_assert_int_le(now_ms, 120000 + 5000 + 1000);
    executor_free(e);
}
END_TEST

START_TEST(poll_delay_table)
{
    /* pure: n, r, hint -> bounds */
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 0, 0, 0), 800);
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 0, 0xffffffffu, 0),
                     1199);
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 50, 0xffffffffu, 0),
                     10000);
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 50, 0, 0), 8000);
    /* a hint shortens, never below 250 ms, never lengthens */
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 50, 0, 1500), 1500);
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 50, 0, 10), 250);
    ck_assert_int_eq(executor_poll_delay(1000, 10000, 1.6, 0, 0, 90000), 800);
}
END_TEST

START_TEST(unknown_type_and_duplicate_refused)
{
    struct executor *e = new_executor();
    cJSON *body = make_plan("1.1", 60);
    cJSON *st = cJSON_GetArrayItem(
        dg_json_arr(cJSON_GetArrayItem(dg_json_arr(body, "layers"), 0),
                    "steps"),
        0);
    cJSON_ReplaceItemInObject(st, "type", cJSON_CreateString("Nope"));
    struct dg_err err;
    ck_assert_int_eq(executor_start(e, "plan-x", body, NULL, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "unknown_type");
    cJSON_Delete(body);
    add_script((struct script){.step = "1.1", .initially_done = 1});
    body = make_plan("1.1", 60);
    ck_assert_int_eq(executor_start(e, "plan-1", body, NULL, &err), DG_OK);
    ck_assert_int_eq(executor_start(e, "plan-1", body, NULL, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "exists");
    cJSON_Delete(body);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 1);
    executor_free(e);
}
END_TEST

/* --- crash and resume --- */

struct crash_case {
    const char *point;
    int64_t lag_ms;
    int lose_first;
    int want_mutates; /* for step 1.1 after resume */
    int64_t downtime_ms;
};

static const struct crash_case crash_cases[] = {
    /* died after 'intent' was committed, before the call: issue once */
    {"after_intent", 0, 0, 1, 5000},
    /* died right after AWS accepted the call, before 'sent': the
     * re-observation sees it in progress: no second call */
    {"after_call", 0, 0, 1, 5000},
    /* same, and the change was not visible yet at restart: 'intent' +
     * NOT_STARTED means issue again (the rule), AWS sees a second call
     * only because nothing was visible */
    {"after_call", 8000, 0, 2, 1000},
    /* died while waiting: re-observe, keep waiting, no second call */
    {"mid_wait", 0, 0, 1, 5000},
    /* died while waiting, the call accepted but not visible yet: wait
     * the grace period, it shows up, no second call */
    {"mid_wait", 6000, 0, 1, 1000},
    /* died while waiting on a call AWS silently dropped: after the grace
     * period, exactly one more call */
    {"mid_wait", 0, 1, 2, 1000},
};

START_TEST(crash_then_resume)
{
    const struct crash_case *c = &crash_cases[_i];
    add_script((struct script){.step = "1.1",
                               .duration_ms = 10000,
                               .lag_ms = c->lag_ms,
                               .lose_first = c->lose_first});
    add_script((struct script){.step = "1.2", .duration_ms = 2000});
    add_script((struct script){.step = "2.1", .duration_ms = 2000});
    crash_point = c->point;
    crash_step = "1.1";
    struct executor *e = start("1.1,1.2|2.1", 600);
    run_until_quiet(3600000);
    ck_assert_msg(crash_point == NULL, "never reached %s", c->point);
    ck_assert_int_eq(plan_ok, -1);
    /* the process dies: nothing more is written; drop everything */
    executor_free(e);
    drain_loop(); /* calls in flight complete into the void */
    stop_flag = 0;
    store_close(store);
    for (size_t i = 0; i < ntimers; i++)
        timers[i].live = 0;
    now_ms += c->downtime_ms;
    struct dg_err err;
    ck_assert_int_eq(store_open(dbpath, STORE_SYNC_OFF, &store, &err), DG_OK);
    int before = W.mutates[0];
    e = new_executor();
    int n = 0;
    ck_assert_int_eq(executor_resume(e, &n, &err), DG_OK);
    ck_assert_int_eq(n, 1);
    run_until_quiet(3600000);
    ck_assert_msg(plan_ok == 1, "%s", report);
    ck_assert_msg(W.mutates[0] == c->want_mutates,
                  "%s: step 1.1 got %d mutating calls (before resume %d), "
                  "want %d",
                  c->point, W.mutates[0], before, c->want_mutates);
    ck_assert_int_eq(W.mutates[1], 1);
    ck_assert_int_eq(W.mutates[2], 1);
    char *got = step_state("1.1");
    ck_assert_msg(strncmp(got, "succeeded/sent/", 15) == 0, "%s", got);
    dg_free(got);
    ck_assert(store_integrity_ok(store));
    /* a second resume finds nothing to do */
    executor_free(e);
    e = new_executor();
    ck_assert_int_eq(executor_resume(e, &n, &err), DG_OK);
    ck_assert_int_eq(n, 0);
    executor_free(e);
}
END_TEST

START_TEST(crash_with_failed_step_resumes_to_failure)
{
    add_script((struct script){
        .step = "1.1", .rc = {DG_EREMOTE}, .code = {"AccessDenied"}});
    add_script((struct script){.step = "1.2", .duration_ms = 20000});
    add_script((struct script){.step = "2.1"});
    crash_point = "mid_wait";
    crash_step = "1.2";
    struct executor *e = start("1.1,1.2|2.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, -1);
    executor_free(e);
    drain_loop();
    stop_flag = 0;
    for (size_t i = 0; i < ntimers; i++)
        timers[i].live = 0;
    struct dg_err err;
    e = new_executor();
    int n = 0;
    ck_assert_int_eq(executor_resume(e, &n, &err), DG_OK);
    ck_assert_int_eq(n, 1);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 0);
    ck_assert_int_eq(W.mutates[0], 1);
    ck_assert_int_eq(W.mutates[1], 1);
    ck_assert_int_eq(W.mutates[2], 0);
    ck_assert_ptr_nonnull(strstr(report, "AccessDenied"));
    executor_free(e);
}
END_TEST

START_TEST(cancelled_call_stalls_and_resumes)
{
    /* shutdown cancels the call: nothing is recorded as failed */
    add_script((struct script){.step = "1.1",
                               .duration_ms = 2000,
                               .rc = {DG_ECANCELLED},
                               .code = {"cancelled"}});
    struct executor *e = start("1.1", 600);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, -1);
    ck_assert(!has_event("step.failed 1.1"));
    assert_step("1.1", "running/intent/1");
    executor_free(e);
    drain_loop();
    for (size_t i = 0; i < ntimers; i++)
        timers[i].live = 0;
    struct dg_err err;
    int n = 0;
    e = new_executor();
    ck_assert_int_eq(executor_resume(e, &n, &err), DG_OK);
    ck_assert_int_eq(n, 1);
    run_until_quiet(3600000);
    ck_assert_int_eq(plan_ok, 1);
    ck_assert_int_eq(W.mutates[0], 2);
    executor_free(e);
}
END_TEST

/* --- resolve_plan_payload on a scripted resolver --- */

struct rq {
    resolve_exports_fn edone;
    resolve_param_fn pdone;
    void *ctx;
    char region[32];
    char name[128];
};

static int export_calls, param_calls;

static void
rq_deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rq *q = arg;
    struct dg_err err;
    dg_err_clear(&err);
    if (q->edone) {
        cJSON *ex = cJSON_CreateObject();
        /* exports differ per region to prove the region rule */
        cJSON_AddStringToObject(ex, "gid", "orders-global");
        cJSON_AddStringToObject(ex, "where", q->region);
        q->edone(ex, DG_OK, NULL, q->ctx);
    } else if (strcmp(q->name, "/secret") == 0) {
        q->pdone(NULL, 1, DG_OK, NULL, q->ctx);
    } else if (strcmp(q->name, "/zone") == 0) {
        q->pdone("Z123", 0, DG_OK, NULL, q->ctx);
    } else {
        dg_err_setc(&err, DG_EREMOTE, "ParameterNotFound", "no %s", q->name);
        q->pdone(NULL, 0, DG_EREMOTE, &err, q->ctx);
    }
    dg_free(q);
}

static void
rq_later(struct rq *q)
{
    struct timeval zero = {0, 0};
    ck_assert_int_eq(
        event_base_once(base, -1, EV_TIMEOUT, rq_deliver, q, &zero), 0);
}

static void
fr_exports(void *impl, const char *region, resolve_exports_fn done, void *ctx)
{
    (void)impl;
    export_calls++;
    struct rq *q = dg_calloc(1, sizeof(*q));
    q->edone = done;
    q->ctx = ctx;
    snprintf(q->region, sizeof(q->region), "%s", region);
    rq_later(q);
}

static void
fr_param(void *impl, const char *region, const char *name,
         resolve_param_fn done, void *ctx)
{
    (void)impl;
    param_calls++;
    struct rq *q = dg_calloc(1, sizeof(*q));
    q->pdone = done;
    q->ctx = ctx;
    snprintf(q->region, sizeof(q->region), "%s", region);
    snprintf(q->name, sizeof(q->name), "%s", name);
    rq_later(q);
}

static const struct resolver_ops fake_resolver_ops = {fr_exports, fr_param};
static cJSON *resolved;
static int resolved_calls;
static struct dg_err resolved_err;

static void
on_resolved(cJSON *r, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)ctx;
    (void)rc;
    resolved_calls++;
    resolved = r;
    if (err)
        resolved_err = *err;
}

static void
resolve_text(const char *payload)
{
    cJSON *p = cJSON_Parse(payload);
    ck_assert_ptr_nonnull(p);
    struct resolve_regions rg = {"us-east-1", "us-west-2", NULL, NULL};
    struct resolver r = {&fake_resolver_ops, NULL};
    resolved = NULL;
    resolved_calls = export_calls = param_calls = 0;
    dg_err_clear(&resolved_err);
    resolve_plan_payload(base, p, &rg, &r, on_resolved, NULL);
    cJSON_Delete(p);
    ck_assert_int_eq(resolved_calls, 0); /* never synchronous */
    drain_loop();
    ck_assert_int_eq(resolved_calls, 1);
}

START_TEST(resolve_references)
{
    resolve_text("[{\"layer\":1,\"resources\":["
                 "{\"resourceType\":\"SwitchoverAurora\",\"parameters\":"
                 "{\"GlobalClusterIdentifier\":\"!Import gid\","
                 "\"DBClusterIdentifier\":\"!Import where\"}},"
                 "{\"resourceType\":\"ManagedFailoverAurora\",\"parameters\":"
                 "{\"GlobalClusterIdentifier\":\"!Import gid\","
                 "\"DBClusterIdentifier\":\"!Import where\"}},"
                 "{\"resourceType\":\"UpdateRoute53Record\",\"parameters\":"
                 "{\"HostedZoneId\":\"resolve:ssm:/zone\",\"RecordName\":\"x\","
                 "\"RecordValue\":\"literal\"}}]}]");
    ck_assert_ptr_nonnull(resolved);
    char *s = cJSON_PrintUnformatted(resolved);
    /* a primary-region type reads us-east-1's exports, a secondary-region
     * type us-west-2's; one ListExports per region */
    ck_assert_ptr_nonnull(strstr(s, "\"DBClusterIdentifier\":\"us-east-1\""));
    ck_assert_ptr_nonnull(strstr(s, "\"DBClusterIdentifier\":\"us-west-2\""));
    ck_assert_ptr_nonnull(strstr(s, "\"HostedZoneId\":\"Z123\""));
    ck_assert_ptr_null(strstr(s, "!Import"));
    ck_assert_int_eq(export_calls, 2);
    ck_assert_int_eq(param_calls, 1);
    cJSON_free(s);
    cJSON_Delete(resolved);
}
END_TEST

START_TEST(resolve_refusals)
{
    resolve_text(
        "[{\"layer\":1,\"resources\":["
        "{\"resourceType\":\"UpdateRoute53Record\",\"parameters\":"
        "{\"HostedZoneId\":\"resolve:ssm:/secret\",\"RecordName\":"
        "\"!Import nope\",\"RecordValue\":\"resolve:ssm:/missing\"}}]}]");
    ck_assert_ptr_null(resolved);
    ck_assert_str_eq(resolved_err.code, "unresolved");
    ck_assert_ptr_nonnull(strstr(resolved_err.msg,
                                 "/0/resources/0/parameters/RecordName: "
                                 "!Import nope: no such export in us-west-2"));
    ck_assert_ptr_nonnull(strstr(resolved_err.msg, "a SecureString cannot"));
    ck_assert_ptr_nonnull(strstr(resolved_err.msg, "ParameterNotFound"));
    /* nothing to resolve still answers from the loop */
    resolve_text("[{\"layer\":1,\"resources\":[{\"resourceType\":"
                 "\"RedeployEcsService\",\"parameters\":{\"Cluster\":\"c\","
                 "\"Service\":\"s\"}}]}]");
    ck_assert_ptr_nonnull(resolved);
    ck_assert_int_eq(export_calls + param_calls, 0);
    cJSON_Delete(resolved);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("executor");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, layers_in_order_steps_concurrent);
    tcase_add_test(tc, failed_step_stops_later_layers);
    tcase_add_test(tc, precheck_refusal_fails_without_a_call);
    tcase_add_test(tc, refusal_meaning_done_counts_as_sent);
    tcase_add_test(tc, deadline_fails_with_reason);
    tcase_add_test(tc, broken_fails);
    tcase_add_test(tc, polling_grows_with_jitter_and_stays_bounded);
    tcase_add_test(tc, observe_blip_does_not_fail_the_step);
    tcase_add_test(tc, observe_failing_for_long_fails_the_step);
    tcase_add_test(tc, poll_delay_table);
    tcase_add_test(tc, unknown_type_and_duplicate_refused);
    tcase_add_loop_test(tc, crash_then_resume, 0,
                        (int)(sizeof(crash_cases) / sizeof(crash_cases[0])));
    tcase_add_test(tc, crash_with_failed_step_resumes_to_failure);
    tcase_add_test(tc, cancelled_call_stalls_and_resumes);
    tcase_add_test(tc, resolve_references);
    tcase_add_test(tc, resolve_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    dg_mem_init();
    return ts_run(suite());
}
