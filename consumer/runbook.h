#ifndef DRGATE_RUNBOOK_H
#define DRGATE_RUNBOOK_H
/*
 * Runbooks: seed 001's StatePayload manifest (ordered layers of resources
 * run concurrently), validated against the catalog of action types.
 *
 *   {"description": "...",            optional
 *    "StatePayload": [ {"layer": 1, "resources": [
 *        {"resourceType": "SwitchoverAurora", "resourceName": "...",
 *         "parameters": {"GlobalClusterIdentifier": "${global_cluster_id}"},
 *         "region": "us-west-2",       optional, else the type's default
 *         "timeout_seconds": 900}      optional, else the type's default
 *    ]} ]}
 *
 * Parameter values are strings, numbers, booleans or arrays of strings.
 * A string may be a literal, contain ${variable} placeholders, or be a
 * reference: "!Import name" or "resolve:ssm:/path" (resolved by the daemon
 * before the plan's digest is taken).
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

/* Where a step's calls go when the resource names no region. */
enum runbook_region_rule {
    RB_REGION_PRIMARY = 1, /* the current primary region */
    RB_REGION_SECONDARY,   /* the recovery region */
    RB_REGION_GLOBAL,      /* a global service (Route53) */
};

struct runbook_type {
    const char *name;
    const char *const *required; /* NULL-terminated parameter names */
    const char *const *optional;
    const char *region_param; /* parameter naming the region, or NULL */
    enum runbook_region_rule region_rule;
    int mutating;        /* 0: read-only, needs no approval */
    int data_loss;       /* 1: can lose committed data */
    int timeout_seconds; /* default per-step deadline */
    const char *summary; /* one line for people: what it does */
};

/* NULL when name is not a known resourceType. */
const struct runbook_type *runbook_type_find(const char *name);
/* The catalog, NULL-name terminated. */
const struct runbook_type *runbook_types(void);

/* Validates a runbook document (the object with "StatePayload", or the
 * bare StatePayload array when bare is 1). Appends one line per problem,
 * "LABEL: /json/pointer: problem (got X)", to errors and returns
 * DG_EINVALID when there was any. label names the file in messages. */
dg_rc runbook_validate(const cJSON *doc, int bare, const char *label,
                       struct dg_buf *errors);

/* Reads and validates a runbook file (at most 1 MiB). On DG_OK *out is the
 * parsed document (caller frees with cJSON_Delete). */
dg_rc runbook_load(const char *path, cJSON **out, struct dg_buf *errors);

/* Lists the ${name} placeholders used in s: calls fn for each name. */
void runbook_placeholders(const char *s,
                          void (*fn)(const char *name, size_t len, void *ctx),
                          void *ctx);

#endif
