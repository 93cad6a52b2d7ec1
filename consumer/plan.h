#ifndef DRGATE_PLAN_H
#define DRGATE_PLAN_H
/*
 * Plans: a runbook bound to concrete parameters, written as canonical JSON
 * and identified by its SHA-256 digest. What an approver approves is
 * exactly that digest. Pure: time and variables are passed in.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

/* Looks a ${name} variable up; NULL when unbound. */
typedef const char *(*plan_lookup_fn)(const char *name, void *ctx);

struct plan_input {
    const cJSON *payload;   /* the StatePayload array (validated) */
    const char *runbook;    /* runbook name for people, e.g. file stem */
    const char *plan_class; /* "planned", "unplanned" or "manifest" */
    const char *trigger;    /* "policy", "command" or "manifest" */
    int64_t proposed_ms;    /* the decision's time */
    const char *primary_region;
    const char *secondary_region;
    plan_lookup_fn lookup; /* variables; may be NULL */
    void *lookup_ctx;
};

struct plan {
    char *id;     /* "plan-20260101T000035Z-1a2b3c4d" */
    char *digest; /* "sha256:<64 hex>" */
    char *plan_class;
    cJSON *body;     /* the plan object (owned) */
    char *canonical; /* canonical JSON of body: what the digest covers */
    int mutating;    /* any step changes something: needs approval */
    int data_loss;   /* any step can lose data */
    size_t nsteps;
};

/* Binds the runbook: substitutes ${variables}, picks each step's region and
 * deadline, canonicalizes and digests. On DG_EINVALID every problem is
 * appended to errors as "LABEL: /pointer: problem" and *out is NULL.
 * "!Import" and "resolve:ssm:" values are kept as written (the daemon
 * resolves them before binding). Caller frees *out with plan_free. */
dg_rc plan_build(const struct plan_input *in, const char *label,
                 struct plan **out, struct dg_buf *errors);
void plan_free(struct plan *p);

/* The replay line {"kind":"plan","plan_id","digest","class","runbook",
 * "plan"}; caller frees with cJSON_Delete. */
cJSON *plan_json(const struct plan *p);
/* Rebuilds a plan from its stored line (plan_json's output), checking that
 * the body still hashes to its digest (DG_EINVALID "digest_mismatch"
 * otherwise). Caller frees *out with plan_free. */
dg_rc plan_from_json(const cJSON *line, struct plan **out, struct dg_err *err);
/* Appends a human-readable summary: what changes, where, in which order,
 * whether data can be lost. */
dg_rc plan_summary(const struct plan *p, struct dg_buf *b);

#endif
