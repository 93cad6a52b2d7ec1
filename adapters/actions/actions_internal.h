#ifndef DRGATE_ACTIONS_INTERNAL_H
#define DRGATE_ACTIONS_INTERNAL_H
/*
 * Shared by the action types in adapters/actions/: parameter accessors,
 * the observation shapes (AWS replies turned into small cJSON documents
 * the pure assess/precheck functions read) and the per-type descriptors.
 * Observations are drgate's own shape, not AWS's: only what the
 * predicates need, so fixtures stay small and readable.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "action.h"
#include "err.h"

struct rds_global_cluster;
struct rds_cluster;
struct rds_instance;
struct elasticache_global_group;
struct ecs_service;
struct route53_rrset;
struct route53_change;

/* A string parameter or NULL. */
const char *act_param(const struct action_step *st, const char *name);
/* Boolean-ish parameter ("True", "false", true, 1): -1 when absent. */
int act_param_bool(const struct action_step *st, const char *name);
/* Integer parameter ("7" or 7): dflt when absent or not a number. */
long long act_param_int(const struct action_step *st, const char *name,
                        long long dflt);

/* The region of an ARN into out; 0 when ident is not an ARN with one. */
int act_arn_region(const char *ident, char *out, size_t n);
/* 1 when arn names the cluster ident (an ARN or a bare id). */
int act_same_cluster(const char *arn, const char *ident);
/* 1 when the JSON value of key in obj is a string equal to s. */
int act_str_is(const cJSON *obj, const char *key, const char *s);
/* The first ".": "15.4" -> "15". */
void act_major(const char *v, char *out, size_t n);

/* Observation pieces (NULL input: JSON null). */
cJSON *act_obs_global(const struct rds_global_cluster *g);
cJSON *act_obs_cluster(const struct rds_cluster *c);
cJSON *act_obs_instance(const struct rds_instance *i);
cJSON *act_obs_grg(const struct elasticache_global_group *g);
cJSON *act_obs_ecs(const struct ecs_service *s);
cJSON *act_obs_rrset(const struct route53_rrset *r);
cJSON *act_obs_change(const struct route53_change *c);

/* The member object of obs "global" whose arn is the cluster ident, or
 * NULL. */
const cJSON *act_gc_member(const cJSON *global, const char *ident);

/* Aurora's observation (global cluster, target cluster), shared with the
 * read-only types. */
void act_aurora_observe_global(void *impl, const struct action_step *st,
                               action_observe_fn done, void *ctx);

/* Descriptors. */
extern const struct action_ops act_planned_failover_aurora,
    act_switchover_aurora, act_managed_failover_aurora,
    act_unplanned_failover_aurora, act_create_aurora_secondary,
    act_promote_rds_replica, act_failover_elasticache, act_update_route53,
    act_redeploy_ecs, act_validate_aurora, act_aurora_status;

#endif
