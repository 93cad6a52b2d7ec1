/*
 * validate.c - the read-only types of seed 000: ValidateAuroraGlobal (the
 * topology checks: the global cluster exists and is available, the target
 * is a member and not already the writer, available, no operation in
 * progress, compatible engine versions) and AuroraStatus (reports the
 * global cluster as observed). Neither mutates: NOT_STARTED means the
 * check failed, and precheck says why.
 */
#include <stdio.h>
#include <string.h>

#include "actions_internal.h"
#include "json.h"
#include "rds.h"

static dg_rc
validate_check(const struct action_step *st, const cJSON *obs, char *why,
               size_t n)
{
    const cJSON *g = dg_json_obj(obs, "global");
    const char *gid = act_param(st, "GlobalClusterIdentifier");
    const char *target = dg_json_str(obs, "target_arn");
    if (!target)
        target = act_param(st, "DBClusterIdentifier");
    if (!g) {
        snprintf(why, n, "global cluster %s not found", gid);
        return DG_EINVALID;
    }
    if (!act_str_is(g, "status", "available")) {
        snprintf(why, n, "global cluster %s is %s", gid,
                 dg_json_str(g, "status"));
        return DG_EINVALID;
    }
    const cJSON *f = dg_json_obj(g, "failover");
    if (f) {
        snprintf(why, n, "an operation is in progress: FailoverState %s to %s",
                 dg_json_str(f, "status"), dg_json_str(f, "to"));
        return DG_EINVALID;
    }
    if (!target) {
        snprintf(why, n, "global cluster %s is available", gid);
        return DG_OK;
    }
    const cJSON *m = act_gc_member(g, target);
    if (!m) {
        snprintf(why, n, "%s is not a member of global cluster %s", target,
                 gid);
        return DG_EINVALID;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "is_writer"))) {
        snprintf(why, n, "%s is already the writer of %s", target, gid);
        return DG_EINVALID;
    }
    const cJSON *c = dg_json_obj(obs, "cluster");
    if (!act_str_is(c, "status", "available")) {
        snprintf(why, n, "target cluster %s is %s", target,
                 c ? dg_json_str(c, "status") : "not found");
        return DG_EINVALID;
    }
    const char *gv = dg_json_str(g, "engine_version");
    const char *cv = dg_json_str(c, "engine_version");
    if (gv && cv && strcmp(gv, cv) != 0) {
        snprintf(why, n, "engine versions differ: global %s, target %s", gv,
                 cv);
        return DG_EINVALID;
    }
    snprintf(why, n, "%s is an available reader member of %s (%s %s)", target,
             gid, dg_json_str(g, "engine"), gv ? gv : "");
    return DG_OK;
}

static enum action_assess
validate_assess(const struct action_step *st, const cJSON *obs, char *why,
                size_t n, int64_t *hint)
{
    (void)hint;
    return validate_check(st, obs, why, n) == DG_OK ? ACTION_GOAL_HOLDS
                                                    : ACTION_NOT_STARTED;
}

static dg_rc
status_check(const struct action_step *st, const cJSON *obs, char *why,
             size_t n)
{
    const cJSON *g = dg_json_obj(obs, "global");
    if (!g) {
        snprintf(why, n, "global cluster %s not found",
                 act_param(st, "GlobalClusterIdentifier"));
        return DG_EINVALID;
    }
    const cJSON *m = dg_json_arr(g, "members");
    const char *writer = "none";
    for (const cJSON *x = m ? m->child : NULL; x; x = x->next)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "is_writer")))
            writer = dg_json_str(x, "arn");
    const cJSON *f = dg_json_obj(g, "failover");
    snprintf(why, n, "global cluster %s is %s; writer %s; %d members%s%s",
             dg_json_str(g, "id"), dg_json_str(g, "status"), writer,
             cJSON_GetArraySize(m), f ? "; FailoverState " : "",
             f ? dg_json_str(f, "status") : "");
    return DG_OK;
}

static enum action_assess
status_assess(const struct action_step *st, const cJSON *obs, char *why,
              size_t n, int64_t *hint)
{
    (void)hint;
    return status_check(st, obs, why, n) == DG_OK ? ACTION_GOAL_HOLDS
                                                  : ACTION_NOT_STARTED;
}

const struct action_ops act_validate_aurora = {
    .type = "ValidateAuroraGlobal",
    .observe = act_aurora_observe_global,
    .precheck = validate_check,
    .assess = validate_assess,
};

const struct action_ops act_aurora_status = {
    .type = "AuroraStatus",
    .observe = act_aurora_observe_global,
    .precheck = status_check,
    .assess = status_assess,
};
