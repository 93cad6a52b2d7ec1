/*
 * test_policy.c - the failover policy: matching, sustain and quorum at the
 * exact instant, flap suppression, out of order and duplicate states,
 * insufficient data, planned/unplanned, cooldown, recovery, the decision
 * line, state round trip and determinism.
 *
 * Most cases are scenarios: a configuration, a list of steps (observe a
 * signal, expecting an observe result, or advance the clock) and the
 * expected decisions summarized as "verdict@ms/class[failing]" with times
 * relative to T0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "config.h"
#include "mem.h"
#include "policy.h"
#include "record.h"
#include "testsupport.h"

#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00.000Z */

/* The configured signals; a scenario picks some by letter. */
static const struct cfg_signal all_signals[] = {
    {.name = "A",
     .source = "cloudwatch",
     .alarm_name = "a-alarm",
     .region = "us-east-1"},
    {.name = "B",
     .source = "cloudwatch",
     .alarm_name = "b-alarm",
     .region = "us-east-1"},
    {.name = "H",
     .source = "aws.health",
     .service = "RDS",
     .region = "us-east-1",
     .unreachable = 1},
    {.name = "P",
     .source = "probe",
     .probe = "primary-writer",
     .unreachable = 1},
};

struct pconf {
    const char *sigs; /* letters of all_signals */
    int quorum, sustain, recover, cooldown;
    enum cfg_insufficient insufficient;
};

struct step {
    char kind; /* 'o' observe, 'a' advance, 0 end */
    char sig;  /* 'A' 'B' (cloudwatch), 'H' (health RDS), 'P' (probe) */
    enum dg_sig_state st;
    int64_t t; /* ms after T0 */
    enum policy_observe_result want;
};

#define OK_ DG_STATE_OK
#define AL DG_STATE_ALARM
#define IN DG_STATE_INSUFFICIENT
#define OBS(s, st, t)                                                          \
    {                                                                          \
        'o', s, st, t, POLICY_APPLIED                                          \
    }
#define OBSR(s, st, t, r)                                                      \
    {                                                                          \
        'o', s, st, t, r                                                       \
    }
#define ADV(t)                                                                 \
    {                                                                          \
        'a', 0, 0, t, 0                                                        \
    }
#define END                                                                    \
    {                                                                          \
        0, 0, 0, 0, 0                                                          \
    }

struct scenario {
    const char *name;
    struct pconf conf;
    const struct step *steps;
    const char *want; /* summary of all decisions */
};

/* quorum 1, sustain 30 s, recover 60 s, cooldown 600 s. */
#define Q1                                                                     \
    {                                                                          \
        "A", 1, 30, 60, 600, CFG_INSUFFICIENT_IGNORE                           \
    }

static const struct scenario scenarios[] = {
    {"sustain 29.999 s is not enough", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 29999), ADV(900000),
                           END},
     "hold@0[A] hold@29999[]"},
    {"sustain 30 s exactly is enough", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 30000), END},
     "hold@0[A] propose@30000/planned[A] hold@30000[]"},
    {"advance to 29.999 s then 30 s", Q1,
     (const struct step[]){OBS('A', AL, 0), ADV(29999), ADV(30000), END},
     "hold@0[A] propose@30000/planned[A]"},
    {"proposal at the exact instant though the next signal is late", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 600000), END},
     "hold@0[A] propose@30000/planned[A] hold@600000[]"},
    {"quorum 2, alarms 5 s apart, 40 s",
     {"AB", 2, 30, 300, 3600, 0},
     (const struct step[]){OBS('A', AL, 0), OBS('B', AL, 5000), ADV(45000),
                           END},
     "hold@0[A] hold@5000[A,B] propose@35000/planned[A,B]"},
    {"quorum not met",
     {"AB", 2, 30, 300, 3600, 0},
     (const struct step[]){OBS('A', AL, 0), ADV(3600000), END},
     "hold@0[A]"},
    {"flip back to OK restarts the window", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 20000),
                           OBS('A', AL, 25000), ADV(90000), END},
     "hold@0[A] hold@20000[] hold@25000[A] propose@55000/planned[A]"},
    {"older state ignored", Q1,
     (const struct step[]){OBS('A', AL, 10000),
                           OBSR('A', OK_, 5000, POLICY_STALE), ADV(90000), END},
     "hold@10000[A] propose@40000/planned[A]"},
    {"same time, same state: unchanged", Q1,
     (const struct step[]){OBS('A', AL, 0), OBSR('A', AL, 0, POLICY_UNCHANGED),
                           OBSR('A', AL, 10000, POLICY_UNCHANGED),
                           OBSR('A', OK_, 5000, POLICY_STALE), ADV(20000), END},
     "hold@0[A]"},
    {"same time, other state: latest arrival wins", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 0), ADV(90000), END},
     "hold@0[A] hold@0[]"},
    {"insufficient data ignored", Q1,
     (const struct step[]){OBS('A', IN, 0), ADV(900000), END}, ""},
    {"insufficient data ends a failing run when ignored", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', IN, 10000), ADV(90000),
                           END},
     "hold@0[A] hold@10000[]"},
    {"insufficient data failing",
     {"A", 1, 30, 60, 600, 1},
     (const struct step[]){OBS('A', IN, 0), OBS('A', AL, 20000), ADV(90000),
                           END},
     "hold@0[A] propose@30000/planned[A]"},
    {"unreachable probe: unplanned",
     {"AP", 2, 30, 60, 600, 0},
     (const struct step[]){OBS('A', AL, 0), OBS('P', AL, 1000), ADV(90000),
                           END},
     "hold@0[A] hold@1000[A,P] propose@31000/unplanned[A,P]"},
    {"unreachable health event: unplanned",
     {"AH", 1, 30, 60, 600, 0},
     (const struct step[]){OBS('H', AL, 0), ADV(90000), END},
     "hold@0[H] propose@30000/unplanned[H]"},
    {"unreachable signal not failing: planned",
     {"AP", 1, 30, 60, 600, 0},
     (const struct step[]){OBS('P', OK_, 0), OBS('A', AL, 0), ADV(90000), END},
     "hold@0[A] propose@30000/planned[A]"},
    {"cooldown: suppress once, then propose", Q1,
     (const struct step[]){
         OBS('A', AL, 0), OBS('A', OK_, 40000), OBS('A', AL, 200000),
         OBS('A', OK_, 300000), OBS('A', AL, 301000), ADV(900000),
         OBS('A', OK_, 900000), OBS('A', AL, 1000000), ADV(2000000), END},
     "hold@0[A] propose@30000/planned[A] hold@40000[] recovered@100000[] "
     "hold@200000[A] suppress@230000/planned[A] hold@300000[] "
     "hold@301000[A] propose@630000/planned[A] hold@900000[] "
     "recovered@960000[] hold@1000000[A] suppress@1030000/planned[A] "
     "propose@1230000/planned[A]"},
    {"no new proposal before recovery, even after cooldown", Q1,
     (const struct step[]){OBS('A', AL, 0), ADV(7200000), END},
     "hold@0[A] propose@30000/planned[A]"},
    {"recovery hysteresis", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 40000),
                           OBS('A', AL, 99999), OBS('A', OK_, 100000),
                           ADV(900000), END},
     "hold@0[A] propose@30000/planned[A] hold@40000[] hold@99999[A] "
     "hold@100000[] recovered@160000[]"},
    {"insufficient data (ignored) blocks recovery", Q1,
     (const struct step[]){OBS('A', AL, 0), OBS('A', IN, 40000), ADV(500000),
                           OBS('A', OK_, 500000), ADV(900000), END},
     "hold@0[A] propose@30000/planned[A] hold@40000[] recovered@560000[]"},
    {"never-seen signals count as OK",
     {"AB", 1, 30, 60, 600, 0},
     (const struct step[]){OBS('A', AL, 0), OBS('A', OK_, 40000), ADV(900000),
                           END},
     "hold@0[A] propose@30000/planned[A] hold@40000[] recovered@100000[]"},
    {"recovery needs all signals OK",
     {"AB", 1, 30, 60, 600, 0},
     (const struct step[]){OBS('A', AL, 0), OBS('B', AL, 10000),
                           OBS('A', OK_, 40000), OBS('B', OK_, 70000),
                           ADV(900000), END},
     "hold@0[A] hold@10000[A,B] propose@30000/planned[A,B] hold@40000[B] "
     "hold@70000[] recovered@130000[]"},
    {"unmatched signal changes nothing", Q1,
     (const struct step[]){OBSR('B', AL, 0, POLICY_UNMATCHED),
                           OBSR('H', AL, 0, POLICY_UNMATCHED), ADV(90000), END},
     ""},
    {"fractional durations",
     {"AB", 2, 30, 60, 600, 0},
     (const struct step[]){OBS('A', AL, 0), OBS('B', AL, 12345), END},
     "hold@0[A] hold@12345[A,B]"},
};

#define NSCENARIOS ((int)(sizeof(scenarios) / sizeof(scenarios[0])))

/* Builds a cfg_policy from pc; free the signals array with free(). */
static struct cfg_policy
make_conf(const struct pconf *pc)
{
    struct cfg_policy c = {0};
    size_t n = strlen(pc->sigs);
    c.signals = calloc(n, sizeof(*c.signals));
    ck_assert_ptr_nonnull(c.signals);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (all_signals[k].name[0] != pc->sigs[i])
            k++;
        c.signals[i] = all_signals[k];
    }
    c.nsignals = n;
    c.quorum = pc->quorum;
    c.sustain_seconds = pc->sustain;
    c.recover_seconds = pc->recover;
    c.cooldown_seconds = pc->cooldown;
    c.insufficient_data = pc->insufficient;
    return c;
}

static struct dg_signal
make_signal(char which, enum dg_sig_state st, int64_t t)
{
    struct dg_signal s = {
        .state = st, .time_ms = T0 + t, .region = "us-east-1"};
    switch (which) {
    case 'A':
        s.source = DG_SRC_CLOUDWATCH;
        s.name = "a-alarm";
        break;
    case 'B':
        s.source = DG_SRC_CLOUDWATCH;
        s.name = "b-alarm";
        break;
    case 'H':
        s.source = DG_SRC_HEALTH;
        s.name = "AWS_RDS_OPERATIONAL_ISSUE";
        s.service = "RDS";
        break;
    default:
        s.source = DG_SRC_PROBE;
        s.name = "primary-writer";
        break;
    }
    return s;
}

static void
run_step(struct policy *p, const struct step *st, struct policy_decisions *out)
{
    if (st->kind == 'a') {
        policy_advance(p, T0 + st->t, out);
        return;
    }
    struct dg_signal s = make_signal(st->sig, st->st, st->t);
    enum policy_observe_result r = policy_observe(p, &s, out);
    ck_assert_msg(r == st->want, "%c@%lld: got %s, want %s", st->sig,
                  (long long)st->t, policy_result_name(r),
                  policy_result_name(st->want));
}

/* "verdict@ms[/class][names]" per decision, space-separated; caller frees
 * with dg_free. */
static char *
summarize(const struct policy_decisions *ds)
{
    char *acc = dg_strdup("");
    for (size_t i = 0; i < ds->n; i++) {
        const struct policy_decision *d = &ds->v[i];
        const char *cls = policy_class_name(d->plan_class);
        char names[256] = "";
        for (size_t j = 0; j < d->nfailing; j++) {
            if (j)
                strcat(names, ",");
            strcat(names, d->failing[j]);
        }
        char *next = dg_sprintf("%s%s%s@%lld%s%s[%s]", acc, i ? " " : "",
                                policy_verdict_name(d->verdict),
                                (long long)(d->time_ms - T0), cls ? "/" : "",
                                cls ? cls : "", names);
        dg_free(acc);
        acc = next;
    }
    return acc;
}

/* All decisions as replay lines; caller frees with dg_free. */
static char *
lines(const struct policy_decisions *ds)
{
    char *acc = dg_strdup("");
    for (size_t i = 0; i < ds->n; i++) {
        cJSON *o = policy_decision_json(&ds->v[i]);
        char *s = cJSON_PrintUnformatted(o);
        char *next = dg_sprintf("%s%s\n", acc, s);
        cJSON_free(s);
        cJSON_Delete(o);
        dg_free(acc);
        acc = next;
    }
    return acc;
}

/* Runs scenario sc, exporting and reloading the state into a fresh policy
 * before step split (-1: never). Returns the replay lines (dg_free); sets
 * *summary (dg_free) when non-NULL. */
static char *
run_scenario(const struct scenario *sc, int split, char **summary)
{
    struct cfg_policy conf = make_conf(&sc->conf);
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    for (int i = 0; sc->steps[i].kind; i++) {
        if (i == split) {
            cJSON *st = policy_state_json(p);
            char *text = cJSON_PrintUnformatted(st);
            cJSON *back = cJSON_Parse(text);
            struct dg_err err;
            policy_free(p);
            p = policy_new(&conf);
            ck_assert_int_eq(policy_state_load(p, back, &err), DG_OK);
            cJSON *again = policy_state_json(p);
            char *text2 = cJSON_PrintUnformatted(again);
            ck_assert_str_eq(text, text2);
            cJSON_free(text);
            cJSON_free(text2);
            cJSON_Delete(st);
            cJSON_Delete(back);
            cJSON_Delete(again);
        }
        run_step(p, &sc->steps[i], &out);
    }
    char *res = lines(&out);
    if (summary)
        *summary = summarize(&out);
    policy_decisions_cleanup(&out);
    policy_free(p);
    free(conf.signals);
    return res;
}

START_TEST(test_scenario)
{
    const struct scenario *sc = &scenarios[_i];
    char *summary;
    char *out = run_scenario(sc, -1, &summary);
    ck_assert_msg(strcmp(summary, sc->want) == 0,
                  "%s:\n got  \"%s\"\n want \"%s\"", sc->name, summary,
                  sc->want);
    dg_free(summary);
    dg_free(out);
}
END_TEST

/* Export/import before every step gives the same output as uninterrupted. */
START_TEST(test_state_round_trip)
{
    const struct scenario *sc = &scenarios[_i];
    char *whole = run_scenario(sc, -1, NULL);
    for (int k = 0; sc->steps[k].kind; k++) {
        char *split = run_scenario(sc, k, NULL);
        ck_assert_msg(strcmp(whole, split) == 0, "%s: split at step %d",
                      sc->name, k);
        dg_free(split);
    }
    dg_free(whole);
}
END_TEST

START_TEST(test_determinism)
{
    const struct scenario *sc = &scenarios[_i];
    char *a = run_scenario(sc, -1, NULL);
    char *b = run_scenario(sc, -1, NULL);
    ck_assert_str_eq(a, b);
    dg_free(a);
    dg_free(b);
}
END_TEST

/* Matching: one configured signal against one incoming signal. */
struct match_case {
    const char *name;
    struct cfg_signal cs;
    struct dg_signal sig;
    int want;
};

#define CW_SIG(n, r)                                                           \
    {                                                                          \
        .source = DG_SRC_CLOUDWATCH, .name = n, .region = r                    \
    }
#define HE_SIG(code, svc, r)                                                   \
    {                                                                          \
        .source = DG_SRC_HEALTH, .name = code, .service = svc, .region = r     \
    }
#define PR_SIG(n, r)                                                           \
    {                                                                          \
        .source = DG_SRC_PROBE, .name = n, .region = r                         \
    }

static const struct match_case match_cases[] = {
    {"alarm name equal",
     {.name = "x", .source = "cloudwatch", .alarm_name = "w"},
     CW_SIG("w", "us-east-1"),
     1},
    {"alarm name differs",
     {.name = "x", .source = "cloudwatch", .alarm_name = "w"},
     CW_SIG("v", "us-east-1"),
     0},
    {"alarm name NULL matches any",
     {.name = "x", .source = "cloudwatch"},
     CW_SIG("v", "us-east-1"),
     1},
    {"region equal",
     {.name = "x", .source = "cloudwatch", .region = "us-east-1"},
     CW_SIG("w", "us-east-1"),
     1},
    {"region differs",
     {.name = "x",
      .source = "cloudwatch",
      .alarm_name = "w",
      .region = "us-east-1"},
     CW_SIG("w", "us-west-2"),
     0},
    {"region wanted, signal has none",
     {.name = "x", .source = "cloudwatch", .region = "us-east-1"},
     CW_SIG("w", NULL),
     0},
    {"source differs",
     {.name = "x", .source = "probe", .probe = "w"},
     CW_SIG("w", "us-east-1"),
     0},
    {"unknown source",
     {.name = "x", .source = "sqs"},
     CW_SIG("w", "us-east-1"),
     0},
    {"health service equal",
     {.name = "x", .source = "aws.health", .service = "RDS"},
     HE_SIG("AWS_RDS_OPERATIONAL_ISSUE", "RDS", "us-east-1"),
     1},
    {"health service differs",
     {.name = "x", .source = "aws.health", .service = "RDS"},
     HE_SIG("AWS_EC2_OPERATIONAL_ISSUE", "EC2", "us-east-1"),
     0},
    {"health event type equal",
     {.name = "x",
      .source = "aws.health",
      .event_type = "AWS_RDS_OPERATIONAL_ISSUE"},
     HE_SIG("AWS_RDS_OPERATIONAL_ISSUE", "RDS", "us-east-1"),
     1},
    {"health event type differs",
     {.name = "x", .source = "aws.health", .event_type = "AWS_RDS_MAINTENANCE"},
     HE_SIG("AWS_RDS_OPERATIONAL_ISSUE", "RDS", "us-east-1"),
     0},
    {"health region differs",
     {.name = "x",
      .source = "aws.health",
      .service = "RDS",
      .region = "us-east-1"},
     HE_SIG("AWS_RDS_OPERATIONAL_ISSUE", "RDS", "eu-west-1"),
     0},
    {"probe name equal",
     {.name = "x", .source = "probe", .probe = "pw"},
     PR_SIG("pw", "us-east-1"),
     1},
    {"probe name differs",
     {.name = "x", .source = "probe", .probe = "pw"},
     PR_SIG("other", "us-east-1"),
     0},
    {"probe region",
     {.name = "x", .source = "probe", .probe = "pw", .region = "us-east-1"},
     PR_SIG("pw", "us-west-2"),
     0},
    {"field of another source never matches",
     {.name = "x", .source = "probe", .alarm_name = "pw"},
     PR_SIG("pw", "us-east-1"),
     0},
};

#define NMATCH ((int)(sizeof(match_cases) / sizeof(match_cases[0])))

START_TEST(test_match)
{
    const struct match_case *mc = &match_cases[_i];
    struct cfg_signal cs = mc->cs;
    struct cfg_policy conf = {
        .signals = &cs, .nsignals = 1, .quorum = 1, .sustain_seconds = 30};
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    struct dg_signal s = mc->sig;
    s.state = DG_STATE_ALARM;
    s.time_ms = T0;
    enum policy_observe_result r = policy_observe(p, &s, &out);
    ck_assert_msg(r == (mc->want ? POLICY_APPLIED : POLICY_UNMATCHED),
                  "%s: got %s", mc->name, policy_result_name(r));
    ck_assert_uint_eq(out.n, mc->want ? 1 : 0);
    ck_assert(policy_clock(p) == (mc->want ? T0 : INT64_MIN));
    policy_decisions_cleanup(&out);
    policy_free(p);
}
END_TEST

/* One signal matching two configured signals updates both. */
START_TEST(test_match_several)
{
    struct cfg_signal cs[] = {
        {.name = "by-name", .source = "cloudwatch", .alarm_name = "a-alarm"},
        {.name = "any-in-region",
         .source = "cloudwatch",
         .region = "us-east-1"},
        {.name = "other", .source = "cloudwatch", .alarm_name = "b-alarm"},
    };
    struct cfg_policy conf = {
        .signals = cs, .nsignals = 3, .quorum = 2, .sustain_seconds = 30};
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    struct dg_signal s = make_signal('A', DG_STATE_ALARM, 0);
    ck_assert_int_eq(policy_observe(p, &s, &out), POLICY_APPLIED);
    policy_advance(p, T0 + 30000, &out);
    char *sum = summarize(&out);
    ck_assert_str_eq(sum, "hold@0[by-name,any-in-region] "
                          "propose@30000/planned[by-name,any-in-region]");
    dg_free(sum);
    policy_decisions_cleanup(&out);
    policy_free(p);
}
END_TEST

static int
has_reason(const struct policy_decision *d, const char *want)
{
    for (size_t i = 0; i < d->nreasons; i++)
        if (strcmp(d->reasons[i], want) == 0)
            return 1;
    return 0;
}

static void
dump_reasons(const struct policy_decision *d)
{
    for (size_t i = 0; i < d->nreasons; i++)
        fprintf(stderr, "  reason: %s\n", d->reasons[i]);
}

/* Reasons of selected decisions, by scenario and decision index. */
struct reason_case {
    int scenario;
    size_t decision;
    const char *reason;
};

static const struct reason_case reason_cases[] = {
    {4, 2, "A failing since 2026-01-01T00:00:00.000Z (35 s >= 30 s sustain)"},
    {4, 2, "B failing since 2026-01-01T00:00:05.000Z (30 s >= 30 s sustain)"},
    {4, 2, "quorum met: 2 of 2 signals sustained"},
    {4, 2, "planned: no failing signal marks the primary unreachable"},
    {4, 1, "B failing since 2026-01-01T00:00:05.000Z (0 s < 30 s sustain)"},
    {4, 1, "quorum not met: 0 of 2 signals sustained (2 failing)"},
    {5, 0, "quorum not met: 0 of 2 signals sustained (1 failing)"},
    {0, 1, "no signals failing"},
    {13, 2,
     "P failing since 2026-01-01T00:00:01.000Z (30 s >= 30 s "
     "sustain; unreachable: primary writer not reachable)"},
    {13, 2, "unplanned: P marks the primary unreachable"},
    {16, 5,
     "cooldown: last plan proposed at 2026-01-01T00:00:30.000Z, "
     "next allowed at 2026-01-01T00:10:30.000Z"},
    {16, 3, "all signals OK for 60 s since 2026-01-01T00:00:40.000Z"},
    {16, 3, "cooldown: next plan allowed at 2026-01-01T00:10:30.000Z"},
    {16, 2,
     "plan proposed at 2026-01-01T00:00:30.000Z: awaiting recovery "
     "(all signals OK for 60 s)"},
    {12, 0,
     "A failing since 2026-01-01T00:00:00.000Z (0 s < 30 s sustain; "
     "insufficient data counts as failing)"},
    {19, 2,
     "A has insufficient data at 2026-01-01T00:00:40.000Z (neither "
     "failing nor OK)"},
    {0, 0, "A failing since 2026-01-01T00:00:00.000Z (0 s < 30 s sustain)"},
    {23, 1,
     "A failing since 2026-01-01T00:00:00.000Z (12.345 s < 30 s "
     "sustain)"},
};

#define NREASON ((int)(sizeof(reason_cases) / sizeof(reason_cases[0])))

START_TEST(test_reasons)
{
    const struct reason_case *rc = &reason_cases[_i];
    const struct scenario *sc = &scenarios[rc->scenario];
    struct cfg_policy conf = make_conf(&sc->conf);
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    for (int i = 0; sc->steps[i].kind; i++)
        run_step(p, &sc->steps[i], &out);
    ck_assert_uint_gt(out.n, rc->decision);
    if (!has_reason(&out.v[rc->decision], rc->reason))
        dump_reasons(&out.v[rc->decision]);
    ck_assert_msg(has_reason(&out.v[rc->decision], rc->reason),
                  "%s: decision %zu lacks \"%s\"", sc->name, rc->decision,
                  rc->reason);
    policy_decisions_cleanup(&out);
    policy_free(p);
    free(conf.signals);
}
END_TEST

/* B fails steadily; A flaps ALARM/OK at 1 Hz for 10 minutes. With quorum
 * 2 (flap_i 0) or quorum 1 over A alone (flap_i 1): never a proposal, and
 * at most one HOLD per change of the failing set. */
START_TEST(test_flap)
{
    struct pconf pc = {_i == 0 ? "AB" : "A",   _i == 0 ? 2 : 1, 30, 300, 3600,
                       CFG_INSUFFICIENT_IGNORE};
    struct cfg_policy conf = make_conf(&pc);
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    size_t changes = 0;
    if (_i == 0) {
        struct dg_signal b = make_signal('B', DG_STATE_ALARM, 0);
        ck_assert_int_eq(policy_observe(p, &b, &out), POLICY_APPLIED);
        changes++;
    }
    for (int64_t t = 0; t < 600000; t += 1000) {
        enum dg_sig_state st = (t / 1000) % 2 ? DG_STATE_OK : DG_STATE_ALARM;
        struct dg_signal a = make_signal('A', st, t);
        ck_assert_int_eq(policy_observe(p, &a, &out), POLICY_APPLIED);
        changes++;
    }
    policy_advance(p, T0 + 3600000, &out);
    for (size_t i = 0; i < out.n; i++) {
        ck_assert_int_eq(out.v[i].verdict, POLICY_HOLD);
        if (i == 0)
            continue;
        /* consecutive decisions differ in their failing set */
        ck_assert_uint_ne(out.v[i].nfailing, out.v[i - 1].nfailing);
    }
    ck_assert_uint_le(out.n, changes);
    ck_assert_uint_gt(out.n, 0);
    policy_decisions_cleanup(&out);
    policy_free(p);
    free(conf.signals);
}
END_TEST

START_TEST(test_decision_json)
{
    const struct scenario *sc = &scenarios[4]; /* quorum 2, 5 s apart */
    char *text = run_scenario(sc, -1, NULL);
    const char *want =
        "{\"kind\":\"decision\",\"time\":\"2026-01-01T00:00:00.000Z\","
        "\"verdict\":\"hold\",\"plan_class\":null,\"failing\":[\"A\"],"
        "\"reasons\":[\"A failing since 2026-01-01T00:00:00.000Z (0 s < 30 s "
        "sustain)\",\"quorum not met: 0 of 2 signals sustained (1 "
        "failing)\"]}\n"
        "{\"kind\":\"decision\",\"time\":\"2026-01-01T00:00:05.000Z\","
        "\"verdict\":\"hold\",\"plan_class\":null,\"failing\":[\"A\",\"B\"],"
        "\"reasons\":[\"A failing since 2026-01-01T00:00:00.000Z (5 s < 30 s "
        "sustain)\",\"B failing since 2026-01-01T00:00:05.000Z (0 s < 30 s "
        "sustain)\",\"quorum not met: 0 of 2 signals sustained (2 "
        "failing)\"]}\n"
        "{\"kind\":\"decision\",\"time\":\"2026-01-01T00:00:35.000Z\","
        "\"verdict\":\"propose\",\"plan_class\":\"planned\","
        "\"failing\":[\"A\",\"B\"],"
        "\"reasons\":[\"A failing since 2026-01-01T00:00:00.000Z (35 s >= 30 "
        "s sustain)\",\"B failing since 2026-01-01T00:00:05.000Z (30 s >= 30 "
        "s sustain)\",\"quorum met: 2 of 2 signals sustained\",\"planned: no "
        "failing signal marks the primary unreachable\"]}\n";
    ck_assert_str_eq(text, want);
    dg_free(text);
}
END_TEST

/* policy_rearm: a proposal closed without recovery allows a new one. */
START_TEST(test_rearm)
{
    struct pconf pc = Q1;
    struct cfg_policy conf = make_conf(&pc);
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    struct dg_signal a = make_signal('A', DG_STATE_ALARM, 0);
    ck_assert_int_eq(policy_observe(p, &a, &out), POLICY_APPLIED);
    policy_advance(p, T0 + 60000, &out);
    policy_rearm(p, T0 + 70000, &out);
    char *sum = summarize(&out);
    ck_assert_str_eq(sum, "hold@0[A] propose@30000/planned[A] "
                          "propose@70000/planned[A]");
    dg_free(sum);
    policy_decisions_cleanup(&out);
    policy_free(p);
    free(conf.signals);
}
END_TEST

/* Broken state is refused and leaves the policy as it was. */
static const char *const bad_states[] = {
    "[]",
    "{\"version\":2}",
    "{\"version\":1,\"clock_ms\":\"x\",\"proposed_ms\":null,"
    "\"awaiting_recovery\":false,\"suppressed\":false,\"signals\":[]}",
    "{\"version\":1,\"clock_ms\":1,\"proposed_ms\":null,"
    "\"awaiting_recovery\":true,\"suppressed\":false,\"signals\":[]}",
    "{\"version\":1,\"clock_ms\":1,\"proposed_ms\":null,"
    "\"awaiting_recovery\":false,\"suppressed\":false}",
    "{\"version\":1,\"clock_ms\":1,\"proposed_ms\":null,"
    "\"awaiting_recovery\":false,\"suppressed\":false,\"signals\":[{"
    "\"name\":\"A\",\"state\":\"ALARM\",\"state_ms\":1,"
    "\"failing_since_ms\":null,\"ok_since_ms\":null}]}",
    "{\"version\":1,\"clock_ms\":1,\"proposed_ms\":null,"
    "\"awaiting_recovery\":false,\"suppressed\":false,\"signals\":[{"
    "\"name\":\"A\",\"state\":\"BROKEN\",\"state_ms\":1}]}",
    "{\"version\":1,\"clock_ms\":1,\"proposed_ms\":null,"
    "\"awaiting_recovery\":false,\"suppressed\":false,\"signals\":[{"
    "\"name\":\"A\",\"state\":\"OK\",\"state_ms\":null,"
    "\"ok_since_ms\":1}]}",
    "{\"version\":1,\"clock_ms\":1,\"proposed_ms\":null,"
    "\"awaiting_recovery\":false,\"suppressed\":false,\"signals\":[{"
    "\"name\":\"A\",\"state\":\"OK\",\"state_ms\":1.5,"
    "\"ok_since_ms\":1}]}",
};

#define NBAD ((int)(sizeof(bad_states) / sizeof(bad_states[0])))

START_TEST(test_state_load_invalid)
{
    struct pconf pc = Q1;
    struct cfg_policy conf = make_conf(&pc);
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    struct dg_signal a = make_signal('A', DG_STATE_ALARM, 0);
    struct dg_err err;
    ck_assert_int_eq(policy_observe(p, &a, &out), POLICY_APPLIED);
    cJSON *before = policy_state_json(p);
    cJSON *bad = cJSON_Parse(bad_states[_i]);
    ck_assert_ptr_nonnull(bad);
    dg_err_clear(&err);
    ck_assert_int_eq(policy_state_load(p, bad, &err), DG_EINVALID);
    ck_assert_msg(strncmp(err.msg, "policy state: ", 14) == 0, "%s", err.msg);
    cJSON *after = policy_state_json(p);
    ck_assert(cJSON_Compare(before, after, 1));
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(bad);
    policy_decisions_cleanup(&out);
    policy_free(p);
    free(conf.signals);
}
END_TEST

/* The exported state names what the daemon needs, with exact values. */
START_TEST(test_state_json_content)
{
    const struct scenario *sc = &scenarios[16]; /* cooldown */
    struct cfg_policy conf = make_conf(&sc->conf);
    struct policy *p = policy_new(&conf);
    struct policy_decisions out = {0};
    for (int i = 0; i < 2; i++)
        run_step(p, &sc->steps[i], &out);
    cJSON *st = policy_state_json(p);
    char *text = cJSON_PrintUnformatted(st);
    ck_assert_str_eq(text, "{\"version\":1,\"clock_ms\":1767225640000,"
                           "\"proposed_ms\":1767225630000,"
                           "\"awaiting_recovery\":true,\"suppressed\":false,"
                           "\"last_failing\":[],\"signals\":[{\"name\":\"A\","
                           "\"state\":\"OK\",\"state_ms\":1767225640000,"
                           "\"failing_since_ms\":null,"
                           "\"ok_since_ms\":1767225640000}]}");
    cJSON_free(text);
    cJSON_Delete(st);
    policy_decisions_cleanup(&out);
    policy_free(p);
    free(conf.signals);
}
END_TEST

static Suite *
policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("scenarios");
    tcase_add_loop_test(tc, test_scenario, 0, NSCENARIOS);
    tcase_add_loop_test(tc, test_reasons, 0, NREASON);
    tcase_add_test(tc, test_decision_json);
    tcase_add_loop_test(tc, test_determinism, 0, NSCENARIOS);
    suite_add_tcase(s, tc);

    tc = tcase_create("matching");
    tcase_add_loop_test(tc, test_match, 0, NMATCH);
    tcase_add_test(tc, test_match_several);
    suite_add_tcase(s, tc);

    tc = tcase_create("flap");
    tcase_add_loop_test(tc, test_flap, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_test(tc, test_rearm);
    suite_add_tcase(s, tc);

    tc = tcase_create("state");
    tcase_add_loop_test(tc, test_state_round_trip, 0, NSCENARIOS);
    tcase_add_loop_test(tc, test_state_load_invalid, 0, NBAD);
    tcase_add_test(tc, test_state_json_content);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(policy_suite());
}
