/*
 * elasticache.c - FailoverElastiCacheCluster: FailoverGlobalReplicationGroup
 * in the target's region (TargetRegion). Observation: {"global": GRG|null}
 * with members (region, id, role, status). Done when the target group is
 * the PRIMARY member and the global datastore is available.
 */
#include <stdio.h>
#include <string.h>

#include "actions_internal.h"
#include "elasticache.h"
#include "json.h"
#include "mem.h"

struct job {
    action_observe_fn odone;
    action_mutate_fn mdone;
    void *ctx;
};

static const char *
target_region(const struct action_step *st)
{
    const char *r = act_param(st, "TargetRegion");
    return r ? r : st->region;
}

static void
on_described(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    const struct elasticache_global_groups *l = result;
    action_observe_fn done = j->odone;
    void *c = j->ctx;
    dg_free(j);
    if (rc != DG_OK &&
        !(rc == DG_EREMOTE && err &&
          strcmp(err->code, "GlobalReplicationGroupNotFoundFault") == 0)) {
        done(NULL, rc, err, c);
        return;
    }
    cJSON *obs = cJSON_CreateObject();
    cJSON_AddItemToObject(obs, "global",
                          act_obs_grg(rc == DG_OK && l->n ? &l->v[0] : NULL));
    done(obs, DG_OK, NULL, c);
}

static void
cache_observe(void *impl, const struct action_step *st, action_observe_fn done,
              void *ctx)
{
    struct job *j = dg_calloc(1, sizeof(*j));
    j->odone = done;
    j->ctx = ctx;
    elasticache_describe_global_replication_groups(
        impl, target_region(st), act_param(st, "GlobalReplicationGroupId"),
        on_described, j);
}

static const cJSON *
target_member(const struct action_step *st, const cJSON *g)
{
    const cJSON *m = dg_json_arr(g, "members");
    for (const cJSON *x = m ? m->child : NULL; x; x = x->next)
        if (act_str_is(x, "replication_group_id",
                       act_param(st, "TargetReplicationGroupId")) &&
            act_str_is(x, "region", target_region(st)))
            return x;
    return NULL;
}

static enum action_assess
cache_assess(const struct action_step *st, const cJSON *obs, char *why,
             size_t n, int64_t *hint)
{
    const cJSON *g = dg_json_obj(obs, "global");
    const char *gid = act_param(st, "GlobalReplicationGroupId");
    const char *tid = act_param(st, "TargetReplicationGroupId");
    if (!g) {
        snprintf(why, n, "global datastore %s not found", gid);
        return ACTION_NOT_STARTED;
    }
    const cJSON *m = target_member(st, g);
    int primary = m && act_str_is(m, "role", "PRIMARY");
    int available = act_str_is(g, "status", "available");
    if (primary && available) {
        snprintf(why, n, "%s is the primary of %s and it is available", tid,
                 gid);
        return ACTION_GOAL_HOLDS;
    }
    if (primary || !available) {
        snprintf(why, n, "%s is %s of %s, which is %s", tid,
                 primary ? "the primary" : "a secondary", gid,
                 dg_json_str(g, "status"));
        if (primary)
            *hint = 1000;
        return ACTION_IN_PROGRESS;
    }
    snprintf(why, n, "%s is %s of %s", tid, m ? "a secondary" : "not a member",
             gid);
    return ACTION_NOT_STARTED;
}

static dg_rc
cache_precheck(const struct action_step *st, const cJSON *obs, char *why,
               size_t n)
{
    const cJSON *g = dg_json_obj(obs, "global");
    const char *gid = act_param(st, "GlobalReplicationGroupId");
    if (!g) {
        snprintf(why, n, "global datastore %s not found", gid);
        return DG_EINVALID;
    }
    if (!target_member(st, g)) {
        snprintf(why, n, "%s in %s is not a member of global datastore %s",
                 act_param(st, "TargetReplicationGroupId"), target_region(st),
                 gid);
        return DG_EINVALID;
    }
    if (!act_str_is(g, "status", "available")) {
        snprintf(why, n, "global datastore %s is %s", gid,
                 dg_json_str(g, "status"));
        return DG_EINVALID;
    }
    return DG_OK;
}

static int
cache_already_done(const struct action_step *st, const struct dg_err *err,
                   const cJSON *obs)
{
    (void)err;
    char why[256];
    int64_t hint = 0;
    return cache_assess(st, obs, why, sizeof(why), &hint) != ACTION_NOT_STARTED;
}

static void
on_failover(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)result;
    struct job *j = ctx;
    action_mutate_fn done = j->mdone;
    void *c = j->ctx;
    dg_free(j);
    done(NULL, rc, err, c);
}

static void
cache_mutate(void *impl, const struct action_step *st, const cJSON *obs,
             action_mutate_fn done, void *ctx)
{
    (void)obs;
    struct job *j = dg_calloc(1, sizeof(*j));
    j->mdone = done;
    j->ctx = ctx;
    elasticache_failover_global_replication_group(
        impl, target_region(st), act_param(st, "GlobalReplicationGroupId"),
        target_region(st), act_param(st, "TargetReplicationGroupId"),
        on_failover, j);
}

const struct action_ops act_failover_elasticache = {
    .type = "FailoverElastiCacheCluster",
    .observe = cache_observe,
    .precheck = cache_precheck,
    .assess = cache_assess,
    .mutate = cache_mutate,
    .already_done = cache_already_done,
};
