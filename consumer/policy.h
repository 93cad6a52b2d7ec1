#ifndef DRGATE_POLICY_H
#define DRGATE_POLICY_H
/*
 * The failover policy (ARCHITECTURE.md section 4): turns normalized signals
 * into decision records (propose, hold, suppress, recovered). Pure and
 * deterministic: the only clock is the signals' own timestamps (ms since the
 * epoch) and the now_ms the caller passes in. No I/O, no globals.
 *
 * Decisions are appended to a caller-owned struct policy_decisions, which
 * the caller zero-initializes and cleans with policy_decisions_cleanup().
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

struct cfg_policy;
struct dg_signal;
struct policy;

enum policy_verdict {
    POLICY_PROPOSE = 1, /* propose a plan of class plan_class */
    POLICY_HOLD,        /* failing set changed, not acting (see reasons) */
    POLICY_SUPPRESS,    /* a proposal is due but cooldown blocks it */
    POLICY_RECOVERED,   /* all signals OK for recover_seconds; re-armed */
};

enum policy_class {
    POLICY_CLASS_NONE = 0, /* hold, recovered */
    POLICY_PLANNED,        /* switchover, no data loss */
    POLICY_UNPLANNED,      /* a failing signal marks the primary unreachable */
};

struct policy_decision {
    int64_t time_ms; /* the exact instant the outcome changed */
    enum policy_verdict verdict;
    enum policy_class plan_class; /* propose and suppress; NONE otherwise */
    char **failing;               /* configured signal names, in config order */
    size_t nfailing;
    char **reasons; /* human-readable, one line each */
    size_t nreasons;
};

/* Zero-initialize; appended to in time order; everything owned. */
struct policy_decisions {
    struct policy_decision *v;
    size_t n;
    size_t cap;
};

enum policy_observe_result {
    POLICY_APPLIED = 1, /* the state of at least one configured signal moved */
    POLICY_UNMATCHED,   /* matches no configured signal: record as ignored */
    POLICY_STALE,       /* older than the latest accepted state: ignored */
    POLICY_UNCHANGED,   /* same state as the latest one: nothing to do */
};

/* Returns a new policy over conf, which is borrowed and must outlive it and
 * not change. Never fails (out of memory aborts). Free with policy_free. */
struct policy *policy_new(const struct cfg_policy *conf);
/* Frees p; NULL allowed. */
void policy_free(struct policy *p);

/* Advances the clock to sig->time_ms (emitting decisions due before or at
 * that instant), applies sig to every configured signal it matches and
 * evaluates. Unmatched signals change nothing, not even the clock. A signal
 * older than the clock but newer than its own signal's latest state is
 * applied at its own time and evaluated at the clock. Appends to out. */
enum policy_observe_result policy_observe(struct policy *p,
                                          const struct dg_signal *sig,
                                          struct policy_decisions *out);
/* Evaluates every instant in (clock, now_ms] where an outcome can change
 * (a sustain window, the cooldown or the recovery window completing), in
 * order, appending decisions stamped with those instants. now_ms at or
 * before the clock does nothing. */
void policy_advance(struct policy *p, int64_t now_ms,
                    struct policy_decisions *out);
/* The next instant after the clock at which policy_advance would evaluate
 * (a sustain window, the cooldown or the recovery window completing), or
 * INT64_MAX when nothing is pending. Lets a live caller sleep until then. */
int64_t policy_next_deadline(const struct policy *p);
/* The caller closed the proposed plan without the region recovering (it
 * was rejected, expired or executed and the signals were re-pointed):
 * advances to now_ms, clears the cooldown and the wait for recovery, and
 * evaluates at the clock, so a due proposal is made at once. */
void policy_rearm(struct policy *p, int64_t now_ms,
                  struct policy_decisions *out);
/* The policy's clock: the latest instant evaluated; INT64_MIN before the
 * first matched signal. */
int64_t policy_clock(const struct policy *p);

/* Frees every decision in ds and resets it to empty; ds may be reused. */
void policy_decisions_cleanup(struct policy_decisions *ds);

/* Returns the replay line object {"kind": "decision", "time", "verdict",
 * "plan_class" (string or null), "failing", "reasons"}; caller frees with
 * cJSON_Delete. */
cJSON *policy_decision_json(const struct policy_decision *d);

/* Returns the full state as a new object the caller frees (cJSON_Delete):
 * clock, per configured signal its latest state, time, failing_since and
 * ok_since, the last proposal, the wait for recovery and the last decision
 * key. Times are integers (ms), null when unset. */
cJSON *policy_state_json(const struct policy *p);
/* Replaces p's state with one exported by policy_state_json over the same
 * configuration (signals are matched by name; unknown names are ignored,
 * missing ones start unseen). DG_EINVALID with err set leaves p unchanged. */
dg_rc policy_state_load(struct policy *p, const cJSON *state,
                        struct dg_err *err);

/* Static names: "propose" "hold" "suppress" "recovered"; "planned"
 * "unplanned" (NULL for NONE); "applied" "unmatched" "stale" "unchanged". */
const char *policy_verdict_name(enum policy_verdict v);
const char *policy_class_name(enum policy_class c);
const char *policy_result_name(enum policy_observe_result r);

#endif
