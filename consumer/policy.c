/*
 * policy.c - when to propose a failover (ARCHITECTURE.md section 4).
 *
 * A struct policy borrows its cfg_policy and owns one small state record per
 * configured signal. Decisions are appended to the caller's
 * policy_decisions; every string in them is owned by that array. Out of
 * memory aborts (mem.h); the only fallible call, policy_state_load, returns
 * a dg_rc and fills the caller's dg_err.
 *
 * DESIGN. Each configured signal keeps its latest accepted state and time,
 * the instant its current failing run began (failing_since) and the instant
 * its current OK run began (ok_since; a signal never seen counts as OK since
 * forever). Between two observed signals nothing changes except time, so the
 * outcome can only change at a few computable instants: a failing run
 * reaching sustain_seconds, the cooldown ending, or the all-OK run reaching
 * recover_seconds. policy_advance(now) repeatedly takes the earliest such
 * instant after the clock and not after now, moves the clock there and
 * evaluates; policy_observe advances to the signal's time first (so windows
 * completing exactly at that time count, which makes 30 s of 30 s enough),
 * then applies the signal and evaluates at the clock. A decision is emitted
 * only when the outcome changes: PROPOSE (then the policy waits for
 * recovery), RECOVERED once when the wait ends, SUPPRESS once per cooldown
 * period, and HOLD whenever the failing set differs from the failing set of
 * the last decision. A flapping signal therefore yields at most one HOLD
 * per change of the failing set and never a proposal, because every flip to
 * OK restarts its window. The clock never goes backwards: a late signal is
 * applied at its own time but evaluated at the clock.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "mem.h"
#include "record.h"
#include "timefmt.h"

#define NEVER INT64_MIN
#define STATE_VERSION 1

struct sig_state {
    int seen;
    enum dg_sig_state state; /* latest accepted; valid when seen */
    int64_t state_ms;        /* its time; NEVER when unseen */
    int64_t failing_since;   /* start of the failing run; NEVER if none */
    int64_t ok_since;        /* start of the OK run; NEVER = forever/none */
};

struct policy {
    const struct cfg_policy *conf;
    struct sig_state *sigs;
    unsigned char *last_failing; /* failing set of the last decision */
    unsigned char *cur_failing;  /* scratch for evaluate() */
    int64_t clock;
    int64_t proposed_ms;   /* last PROPOSE; NEVER if none */
    int awaiting_recovery; /* proposed and not yet recovered */
    int suppressed;        /* SUPPRESS emitted in this cooldown period */
};

/* Growable list of owned strings. */
struct strv {
    char **v;
    size_t n;
    size_t cap;
};

static void
strv_add(struct strv *s, char *str)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = dg_realloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = str;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

static int64_t
secs_ms(int seconds)
{
    return seconds > 0 ? (int64_t)seconds * 1000 : 0;
}

static size_t
quorum(const struct policy *p)
{
    return p->conf->quorum > 0 ? (size_t)p->conf->quorum : 1;
}

static int
is_failing(const struct policy *p, const struct sig_state *s)
{
    if (!s->seen)
        return 0;
    return s->state == DG_STATE_ALARM ||
           (s->state == DG_STATE_INSUFFICIENT &&
            p->conf->insufficient_data == CFG_INSUFFICIENT_FAILING);
}

/* OK for recovery: latest state OK, or never seen. INSUFFICIENT_DATA that
 * does not count as failing is not OK either. */
static int
is_ok(const struct sig_state *s)
{
    return !s->seen || s->state == DG_STATE_OK;
}

static void
fmt_time(int64_t ms, char out[DG_TIME_STR_LEN])
{
    timefmt_format(ms, out);
}

/* "35" or "29.999" (seconds). */
static void
fmt_dur(int64_t ms, char out[32])
{
    long long s = (long long)(ms / 1000), frac = (long long)(ms % 1000);
    if (frac == 0)
        (void)snprintf(out, 32, "%lld", s);
    else
        (void)snprintf(out, 32, "%lld.%03lld", s, frac < 0 ? -frac : frac);
}

/* Matching -------------------------------------------------------------- */

static int
field_ok(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

static int
matches(const struct cfg_signal *cs, const struct dg_signal *sig)
{
    if (!cs->source)
        return 0;
    switch (sig->source) {
    case DG_SRC_CLOUDWATCH:
        if (strcmp(cs->source, "cloudwatch") != 0 || cs->service ||
            cs->event_type || cs->probe)
            return 0;
        if (!field_ok(cs->alarm_name, sig->name))
            return 0;
        break;
    case DG_SRC_HEALTH:
        if (strcmp(cs->source, "aws.health") != 0 || cs->alarm_name ||
            cs->probe)
            return 0;
        if (!field_ok(cs->event_type, sig->name) ||
            !field_ok(cs->service, sig->service))
            return 0;
        break;
    case DG_SRC_PROBE:
        if (strcmp(cs->source, "probe") != 0 || cs->alarm_name || cs->service ||
            cs->event_type)
            return 0;
        if (!field_ok(cs->probe, sig->name))
            return 0;
        break;
    default:
        return 0;
    }
    return field_ok(cs->region, sig->region);
}

/* Applies one state to one configured signal. */
static enum policy_observe_result
apply(const struct policy *p, struct sig_state *s, enum dg_sig_state state,
      int64_t t)
{
    if (s->seen && t < s->state_ms)
        return POLICY_STALE;
    if (s->seen && s->state == state) {
        s->state_ms = t;
        return POLICY_UNCHANGED;
    }
    int was_failing = is_failing(p, s), was_ok = is_ok(s);
    s->seen = 1;
    s->state = state;
    s->state_ms = t;
    if (!is_failing(p, s))
        s->failing_since = NEVER;
    else if (!was_failing)
        s->failing_since = t;
    if (!is_ok(s))
        s->ok_since = NEVER;
    else if (!was_ok)
        s->ok_since = t;
    return POLICY_APPLIED;
}

/* Evaluation ------------------------------------------------------------ */

static int
all_ok(const struct policy *p)
{
    for (size_t i = 0; i < p->conf->nsignals; i++)
        if (!is_ok(&p->sigs[i]))
            return 0;
    return 1;
}

/* Start of the all-OK run that counts for recovery (call when all_ok). */
static int64_t
recovery_start(const struct policy *p)
{
    int64_t start = p->proposed_ms;
    for (size_t i = 0; i < p->conf->nsignals; i++)
        if (p->sigs[i].ok_since > start)
            start = p->sigs[i].ok_since;
    return start;
}

static int64_t
cooldown_end(const struct policy *p)
{
    if (p->proposed_ms == NEVER)
        return NEVER;
    return sat_add(p->proposed_ms, secs_ms(p->conf->cooldown_seconds));
}

/* Earliest instant after the clock where the outcome may change, or
 * INT64_MAX when there is none. */
static int64_t
next_instant(const struct policy *p)
{
    int64_t best = INT64_MAX, c;
    int64_t sustain = secs_ms(p->conf->sustain_seconds);
    for (size_t i = 0; i < p->conf->nsignals; i++) {
        if (!is_failing(p, &p->sigs[i]))
            continue;
        c = sat_add(p->sigs[i].failing_since, sustain);
        if (c > p->clock && c < best)
            best = c;
    }
    if (!p->awaiting_recovery) {
        c = cooldown_end(p);
        if (c != NEVER && c > p->clock && c < best)
            best = c;
    } else if (all_ok(p)) {
        c = sat_add(recovery_start(p), secs_ms(p->conf->recover_seconds));
        if (c > p->clock && c < best)
            best = c;
    }
    return best;
}

static void
signal_reasons(const struct policy *p, int64_t t, struct strv *r)
{
    int64_t sustain = secs_ms(p->conf->sustain_seconds);
    char since[DG_TIME_STR_LEN], dur[32], need[32];
    fmt_dur(sustain, need);
    for (size_t i = 0; i < p->conf->nsignals; i++) {
        const struct sig_state *s = &p->sigs[i];
        const struct cfg_signal *cs = &p->conf->signals[i];
        if (is_failing(p, s)) {
            int64_t d = t - s->failing_since;
            fmt_time(s->failing_since, since);
            fmt_dur(d, dur);
            strv_add(r,
                     dg_sprintf(
                         "%s failing since %s (%s s %s %s s sustain%s%s)",
                         cs->name, since, dur, d >= sustain ? ">=" : "<", need,
                         s->state == DG_STATE_INSUFFICIENT
                             ? "; insufficient data counts as failing"
                             : "",
                         cs->unreachable
                             ? "; unreachable: primary writer not reachable"
                             : ""));
        } else if (s->seen && s->state == DG_STATE_INSUFFICIENT) {
            fmt_time(s->state_ms, since);
            strv_add(r, dg_sprintf("%s has insufficient data at %s "
                                   "(neither failing nor OK)",
                                   cs->name, since));
        }
    }
}

static enum policy_class
plan_class(const struct policy *p)
{
    for (size_t i = 0; i < p->conf->nsignals; i++)
        if (p->conf->signals[i].unreachable && is_failing(p, &p->sigs[i]))
            return POLICY_UNPLANNED;
    return POLICY_PLANNED;
}

static void
class_reasons(const struct policy *p, enum policy_class c, struct strv *r)
{
    if (c == POLICY_PLANNED) {
        strv_add(r, dg_sprintf("planned: no failing signal marks the primary "
                               "unreachable"));
        return;
    }
    for (size_t i = 0; i < p->conf->nsignals; i++)
        if (p->conf->signals[i].unreachable && is_failing(p, &p->sigs[i]))
            strv_add(r, dg_sprintf("unplanned: %s marks the primary "
                                   "unreachable",
                                   p->conf->signals[i].name));
}

/* Appends a decision over the current failing set (p->cur_failing) and
 * makes it the last one. reasons is consumed. */
static void
emit(struct policy *p, int64_t t, enum policy_verdict v, enum policy_class c,
     struct strv *reasons, struct policy_decisions *out)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 8;
        out->v = dg_realloc(out->v, out->cap * sizeof(*out->v));
    }
    struct policy_decision *d = &out->v[out->n++];
    struct strv failing = {0};
    for (size_t i = 0; i < p->conf->nsignals; i++)
        if (p->cur_failing[i])
            strv_add(&failing, dg_strdup(p->conf->signals[i].name));
    d->time_ms = t;
    d->verdict = v;
    d->plan_class = c;
    d->failing = failing.v;
    d->nfailing = failing.n;
    d->reasons = reasons->v;
    d->nreasons = reasons->n;
    memcpy(p->last_failing, p->cur_failing, p->conf->nsignals);
}

static int
failing_set_changed(const struct policy *p)
{
    return memcmp(p->last_failing, p->cur_failing, p->conf->nsignals) != 0;
}

static void
eval_awaiting(struct policy *p, int64_t t, struct policy_decisions *out)
{
    char when[DG_TIME_STR_LEN], dur[32];
    struct strv r = {0};
    int64_t recover = secs_ms(p->conf->recover_seconds);
    if (all_ok(p) && t >= sat_add(recovery_start(p), recover)) {
        int64_t start = recovery_start(p);
        fmt_dur(t - start, dur);
        fmt_time(start, when);
        strv_add(&r, dg_sprintf("all signals OK for %s s since %s", dur, when));
        fmt_time(p->proposed_ms, when);
        strv_add(&r, dg_sprintf("recovered from the plan proposed at %s; "
                                "proposals re-armed",
                                when));
        if (t < cooldown_end(p)) {
            fmt_time(cooldown_end(p), when);
            strv_add(&r, dg_sprintf("cooldown: next plan allowed at %s", when));
        }
        p->awaiting_recovery = 0;
        emit(p, t, POLICY_RECOVERED, POLICY_CLASS_NONE, &r, out);
        return;
    }
    if (!failing_set_changed(p))
        return;
    signal_reasons(p, t, &r);
    fmt_time(p->proposed_ms, when);
    fmt_dur(recover, dur);
    strv_add(&r, dg_sprintf("plan proposed at %s: awaiting recovery (all "
                            "signals OK for %s s)",
                            when, dur));
    emit(p, t, POLICY_HOLD, POLICY_CLASS_NONE, &r, out);
}

static void
evaluate(struct policy *p, int64_t t, struct policy_decisions *out)
{
    size_t nfail = 0, nsus = 0;
    int64_t sustain = secs_ms(p->conf->sustain_seconds);
    char a[DG_TIME_STR_LEN], b[DG_TIME_STR_LEN];
    struct strv r = {0};

    for (size_t i = 0; i < p->conf->nsignals; i++) {
        const struct sig_state *s = &p->sigs[i];
        p->cur_failing[i] = (unsigned char)is_failing(p, s);
        nfail += p->cur_failing[i];
        if (p->cur_failing[i] && t - s->failing_since >= sustain)
            nsus++;
    }
    if (p->awaiting_recovery) {
        eval_awaiting(p, t, out);
        return;
    }
    if (nsus < quorum(p)) {
        if (!failing_set_changed(p))
            return;
        signal_reasons(p, t, &r);
        if (nfail == 0)
            strv_add(&r, dg_sprintf("no signals failing"));
        else
            strv_add(&r, dg_sprintf("quorum not met: %zu of %zu signals "
                                    "sustained (%zu failing)",
                                    nsus, quorum(p), nfail));
        emit(p, t, POLICY_HOLD, POLICY_CLASS_NONE, &r, out);
        return;
    }
    enum policy_class c = plan_class(p);
    if (p->proposed_ms != NEVER && t < cooldown_end(p)) {
        if (p->suppressed)
            return;
        signal_reasons(p, t, &r);
        strv_add(&r, dg_sprintf("quorum met: %zu of %zu signals sustained",
                                nsus, quorum(p)));
        fmt_time(p->proposed_ms, a);
        fmt_time(cooldown_end(p), b);
        strv_add(&r, dg_sprintf("cooldown: last plan proposed at %s, next "
                                "allowed at %s",
                                a, b));
        p->suppressed = 1;
        emit(p, t, POLICY_SUPPRESS, c, &r, out);
        return;
    }
    signal_reasons(p, t, &r);
    strv_add(&r, dg_sprintf("quorum met: %zu of %zu signals sustained", nsus,
                            quorum(p)));
    class_reasons(p, c, &r);
    p->proposed_ms = t;
    p->awaiting_recovery = 1;
    p->suppressed = 0;
    emit(p, t, POLICY_PROPOSE, c, &r, out);
}

/* Public API ------------------------------------------------------------ */

struct policy *
policy_new(const struct cfg_policy *conf)
{
    struct policy *p = dg_calloc(1, sizeof(*p));
    size_t n = conf->nsignals;
    p->conf = conf;
    p->sigs = dg_calloc(n ? n : 1, sizeof(*p->sigs));
    p->last_failing = dg_calloc(n ? n : 1, 1);
    p->cur_failing = dg_calloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++) {
        p->sigs[i].state_ms = NEVER;
        p->sigs[i].failing_since = NEVER;
        p->sigs[i].ok_since = NEVER;
    }
    p->clock = NEVER;
    p->proposed_ms = NEVER;
    return p;
}

void
policy_free(struct policy *p)
{
    if (!p)
        return;
    dg_free(p->sigs);
    dg_free(p->last_failing);
    dg_free(p->cur_failing);
    dg_free(p);
}

void
policy_advance(struct policy *p, int64_t now_ms, struct policy_decisions *out)
{
    for (;;) {
        int64_t t = next_instant(p);
        if (t == INT64_MAX || t > now_ms)
            break;
        p->clock = t;
        evaluate(p, t, out);
    }
    if (now_ms > p->clock)
        p->clock = now_ms;
}

int64_t
policy_next_deadline(const struct policy *p)
{
    return next_instant(p);
}

enum policy_observe_result
policy_observe(struct policy *p, const struct dg_signal *sig,
               struct policy_decisions *out)
{
    int matched = 0, applied = 0, stale = 0;
    if (sig->state < DG_STATE_OK || sig->state > DG_STATE_INSUFFICIENT)
        return POLICY_UNMATCHED;
    for (size_t i = 0; i < p->conf->nsignals && !matched; i++)
        matched = matches(&p->conf->signals[i], sig);
    if (!matched)
        return POLICY_UNMATCHED;
    policy_advance(p, sig->time_ms, out);
    for (size_t i = 0; i < p->conf->nsignals; i++) {
        if (!matches(&p->conf->signals[i], sig))
            continue;
        switch (apply(p, &p->sigs[i], sig->state, sig->time_ms)) {
        case POLICY_APPLIED:
            applied = 1;
            break;
        case POLICY_STALE:
            stale = 1;
            break;
        default:
            break;
        }
    }
    if (!applied)
        return stale ? POLICY_STALE : POLICY_UNCHANGED;
    evaluate(p, p->clock, out);
    return POLICY_APPLIED;
}

void
policy_rearm(struct policy *p, int64_t now_ms, struct policy_decisions *out)
{
    policy_advance(p, now_ms, out);
    p->proposed_ms = NEVER;
    p->awaiting_recovery = 0;
    p->suppressed = 0;
    if (p->clock != NEVER)
        evaluate(p, p->clock, out);
}

int64_t
policy_clock(const struct policy *p)
{
    return p->clock;
}

void
policy_decisions_cleanup(struct policy_decisions *ds)
{
    for (size_t i = 0; i < ds->n; i++) {
        struct policy_decision *d = &ds->v[i];
        for (size_t j = 0; j < d->nfailing; j++)
            dg_free(d->failing[j]);
        for (size_t j = 0; j < d->nreasons; j++)
            dg_free(d->reasons[j]);
        dg_free(d->failing);
        dg_free(d->reasons);
    }
    dg_free(ds->v);
    ds->v = NULL;
    ds->n = ds->cap = 0;
}

const char *
policy_verdict_name(enum policy_verdict v)
{
    switch (v) {
    case POLICY_PROPOSE:
        return "propose";
    case POLICY_HOLD:
        return "hold";
    case POLICY_SUPPRESS:
        return "suppress";
    case POLICY_RECOVERED:
        return "recovered";
    }
    return "unknown";
}

const char *
policy_class_name(enum policy_class c)
{
    switch (c) {
    case POLICY_PLANNED:
        return "planned";
    case POLICY_UNPLANNED:
        return "unplanned";
    case POLICY_CLASS_NONE:
        break;
    }
    return NULL;
}

const char *
policy_result_name(enum policy_observe_result r)
{
    switch (r) {
    case POLICY_APPLIED:
        return "applied";
    case POLICY_UNMATCHED:
        return "unmatched";
    case POLICY_STALE:
        return "stale";
    case POLICY_UNCHANGED:
        return "unchanged";
    }
    return "unknown";
}

cJSON *
policy_decision_json(const struct policy_decision *d)
{
    char when[DG_TIME_STR_LEN];
    const char *cls = policy_class_name(d->plan_class);
    cJSON *o = cJSON_CreateObject();
    cJSON *failing = cJSON_CreateArray();
    cJSON *reasons = cJSON_CreateArray();

    fmt_time(d->time_ms, when);
    cJSON_AddStringToObject(o, "kind", "decision");
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "verdict", policy_verdict_name(d->verdict));
    if (cls)
        cJSON_AddStringToObject(o, "plan_class", cls);
    else
        cJSON_AddNullToObject(o, "plan_class");
    for (size_t i = 0; i < d->nfailing; i++)
        cJSON_AddItemToArray(failing, cJSON_CreateString(d->failing[i]));
    for (size_t i = 0; i < d->nreasons; i++)
        cJSON_AddItemToArray(reasons, cJSON_CreateString(d->reasons[i]));
    cJSON_AddItemToObject(o, "failing", failing);
    cJSON_AddItemToObject(o, "reasons", reasons);
    return o;
}

/* State export / import ------------------------------------------------- */

static const char *
state_name(enum dg_sig_state s)
{
    switch (s) {
    case DG_STATE_OK:
        return "OK";
    case DG_STATE_ALARM:
        return "ALARM";
    case DG_STATE_INSUFFICIENT:
        return "INSUFFICIENT_DATA";
    }
    return NULL;
}

static void
add_time(cJSON *o, const char *key, int64_t ms)
{
    if (ms == NEVER)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)ms);
}

cJSON *
policy_state_json(const struct policy *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *last = cJSON_CreateArray();
    cJSON *sigs = cJSON_CreateArray();

    cJSON_AddNumberToObject(o, "version", STATE_VERSION);
    add_time(o, "clock_ms", p->clock);
    add_time(o, "proposed_ms", p->proposed_ms);
    cJSON_AddBoolToObject(o, "awaiting_recovery", p->awaiting_recovery);
    cJSON_AddBoolToObject(o, "suppressed", p->suppressed);
    for (size_t i = 0; i < p->conf->nsignals; i++) {
        const struct sig_state *s = &p->sigs[i];
        cJSON *so = cJSON_CreateObject();
        if (p->last_failing[i])
            cJSON_AddItemToArray(last,
                                 cJSON_CreateString(p->conf->signals[i].name));
        cJSON_AddStringToObject(so, "name", p->conf->signals[i].name);
        if (s->seen)
            cJSON_AddStringToObject(so, "state", state_name(s->state));
        else
            cJSON_AddNullToObject(so, "state");
        add_time(so, "state_ms", s->state_ms);
        add_time(so, "failing_since_ms", s->failing_since);
        add_time(so, "ok_since_ms", s->ok_since);
        cJSON_AddItemToArray(sigs, so);
    }
    cJSON_AddItemToObject(o, "last_failing", last);
    cJSON_AddItemToObject(o, "signals", sigs);
    return o;
}

/* Reads key as a time: null or absent gives NEVER. 0 when malformed. */
static int
get_time(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    long long ms;
    if (!v || cJSON_IsNull(v)) {
        *out = NEVER;
        return 1;
    }
    if (!dg_json_int(o, key, &ms))
        return 0;
    *out = (int64_t)ms;
    return 1;
}

static int
get_bool(const cJSON *o, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsBool(v))
        return 0;
    *out = cJSON_IsTrue(v);
    return 1;
}

static long
signal_index(const struct policy *p, const char *name)
{
    for (size_t i = 0; i < p->conf->nsignals; i++)
        if (name && p->conf->signals[i].name &&
            strcmp(p->conf->signals[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Parses one exported signal into s; NULL on success, else what is wrong. */
static const char *
load_signal(const struct policy *p, const cJSON *so, struct sig_state *s)
{
    const char *st = dg_json_str(so, "state");
    const cJSON *stv = cJSON_GetObjectItemCaseSensitive(so, "state");
    if (!get_time(so, "state_ms", &s->state_ms) ||
        !get_time(so, "failing_since_ms", &s->failing_since) ||
        !get_time(so, "ok_since_ms", &s->ok_since))
        return "times must be integers or null";
    s->seen = st != NULL;
    if (!st && stv && !cJSON_IsNull(stv))
        return "state must be a string or null";
    if (st && strcmp(st, "OK") == 0)
        s->state = DG_STATE_OK;
    else if (st && strcmp(st, "ALARM") == 0)
        s->state = DG_STATE_ALARM;
    else if (st && strcmp(st, "INSUFFICIENT_DATA") == 0)
        s->state = DG_STATE_INSUFFICIENT;
    else if (st)
        return "unknown state";
    if (s->seen != (s->state_ms != NEVER))
        return "state and state_ms must both be set or both be null";
    if (is_failing(p, s) != (s->failing_since != NEVER))
        return "failing_since_ms must be set exactly while failing";
    if (!is_ok(s) && s->ok_since != NEVER)
        return "ok_since_ms must be null while not OK";
    return NULL;
}

dg_rc
policy_state_load(struct policy *p, const cJSON *state, struct dg_err *err)
{
    size_t n = p->conf->nsignals;
    struct sig_state *sigs = dg_calloc(n ? n : 1, sizeof(*sigs));
    unsigned char *last = dg_calloc(n ? n : 1, 1);
    const cJSON *arr, *it;
    long long version;
    int64_t clock, proposed;
    int awaiting, suppressed;
    dg_rc rc = DG_EINVALID;

    for (size_t i = 0; i < n; i++) {
        sigs[i].state_ms = sigs[i].failing_since = NEVER;
        sigs[i].ok_since = NEVER;
    }
    if (!cJSON_IsObject(state) || !dg_json_int(state, "version", &version) ||
        version != STATE_VERSION) {
        dg_err_set(err, rc, "policy state: not a version %d object",
                   STATE_VERSION);
        goto out;
    }
    if (!get_time(state, "clock_ms", &clock) ||
        !get_time(state, "proposed_ms", &proposed) ||
        !get_bool(state, "awaiting_recovery", &awaiting) ||
        !get_bool(state, "suppressed", &suppressed) ||
        (awaiting && proposed == NEVER)) {
        dg_err_set(err, rc,
                   "policy state: bad clock_ms, proposed_ms, "
                   "awaiting_recovery or suppressed");
        goto out;
    }
    arr = dg_json_arr(state, "signals");
    if (!arr) {
        dg_err_set(err, rc, "policy state: /signals: missing");
        goto out;
    }
    cJSON_ArrayForEach(it, arr)
    {
        long i = signal_index(p, dg_json_str(it, "name"));
        const char *why;
        if (i < 0)
            continue; /* no longer configured */
        why = load_signal(p, it, &sigs[i]);
        if (why) {
            dg_err_set(err, rc, "policy state: signal %s: %s",
                       p->conf->signals[i].name, why);
            goto out;
        }
    }
    arr = dg_json_arr(state, "last_failing");
    cJSON_ArrayForEach(it, arr)
    {
        long i = signal_index(p, cJSON_GetStringValue(it));
        if (i >= 0)
            last[i] = 1;
    }
    memcpy(p->sigs, sigs, n * sizeof(*sigs));
    memcpy(p->last_failing, last, n);
    p->clock = clock;
    p->proposed_ms = proposed;
    p->awaiting_recovery = awaiting;
    p->suppressed = suppressed;
    rc = DG_OK;
out:
    dg_free(sigs);
    dg_free(last);
    return rc;
}
