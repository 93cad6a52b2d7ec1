#ifndef DRGATE_RESOLVE_H
#define DRGATE_RESOLVE_H
/*
 * Runbook parameter references (ARCHITECTURE.md section 5): "!Import name"
 * (a CloudFormation export of the step's region; a missing export is an
 * error, never an empty value) and "resolve:ssm:/path" (an SSM parameter).
 * They are resolved BEFORE plan_build, so the digest an approver signs
 * covers the concrete values. The lookups themselves come from an adapter
 * (adapters/actions/registry_actions.h: actions_aws_resolver).
 *
 * SecureString parameters are refused: a plan is stored, published and
 * shown to approvers, so a secret must never be bound into one.
 */
#include <cjson/cJSON.h>

#include "err.h"
#include "plan.h"

struct event_base;

/* exports: a JSON object name -> value, owned by the receiver (NULL on
 * failure). Exactly once, never from inside the starting call. */
typedef void (*resolve_exports_fn)(cJSON *exports, dg_rc rc,
                                   const struct dg_err *err, void *ctx);
/* value borrowed for the call (NULL on failure); secure: a SecureString
 * (value then NULL: the adapter never hands secrets out). */
typedef void (*resolve_param_fn)(const char *value, int secure, dg_rc rc,
                                 const struct dg_err *err, void *ctx);

struct resolver_ops {
    /* Every export of region (all pages). */
    void (*exports)(void *impl, const char *region, resolve_exports_fn done,
                    void *ctx);
    /* One SSM parameter of region ("ParameterNotFound" as DG_EREMOTE). */
    void (*parameter)(void *impl, const char *region, const char *name,
                      resolve_param_fn done, void *ctx);
};

struct resolver {
    const struct resolver_ops *ops;
    void *impl;
};

/* How a resource's region is found when it names none: the same rules as
 * plan_build (explicit "region", the type's region parameter, else its
 * rule; global types resolve in the secondary region). */
struct resolve_regions {
    const char *primary;
    const char *secondary;
    plan_lookup_fn lookup; /* ${variables}; may be NULL */
    void *lookup_ctx;
};

/* resolved: a copy of the payload with every reference replaced, owned by
 * the receiver; NULL on failure, with err listing every unresolved
 * reference ("/0/resources/1/parameters/X: !Import NAME: no such export in
 * us-west-2"; code "unresolved" or the lookup's code). */
typedef void (*resolve_done_fn)(cJSON *resolved, dg_rc rc,
                                const struct dg_err *err, void *ctx);

/* Resolves the StatePayload array (borrowed; copied). done runs exactly
 * once from the loop, also when there was nothing to resolve. */
void resolve_plan_payload(struct event_base *base, const cJSON *payload,
                          const struct resolve_regions *regions,
                          const struct resolver *r, resolve_done_fn done,
                          void *ctx);

/* Pure: 1 for "!Import name", 2 for "resolve:ssm:/path", else 0; *name
 * points into s at the export name or parameter path. */
int resolve_reference(const char *s, const char **name);

#endif
