/*
 * rds_replica.c - PromoteRDSReadReplica: PromoteReadReplica on an RDS
 * instance read replica, in the step's region. Observation: {"instance":
 * I|null}. Done when the instance is available and no longer a replica;
 * precheck refuses an instance that is not a replica (nothing to promote)
 * only after assess found the goal does not already hold.
 */
#include <stdio.h>
#include <string.h>

#include "actions_internal.h"
#include "json.h"
#include "mem.h"
#include "rds.h"

struct job {
    action_observe_fn odone;
    action_mutate_fn mdone;
    void *ctx;
};

static void
on_described(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    const struct rds_instances *l = result;
    action_observe_fn done = j->odone;
    void *c = j->ctx;
    dg_free(j);
    if (rc != DG_OK && !(rc == DG_EREMOTE && err &&
                         (strcmp(err->code, "DBInstanceNotFound") == 0 ||
                          strcmp(err->code, "DBInstanceNotFoundFault") == 0))) {
        done(NULL, rc, err, c);
        return;
    }
    cJSON *obs = cJSON_CreateObject();
    cJSON_AddItemToObject(
        obs, "instance",
        act_obs_instance(rc == DG_OK && l->n ? &l->v[0] : NULL));
    done(obs, DG_OK, NULL, c);
}

static void
replica_observe(void *impl, const struct action_step *st,
                action_observe_fn done, void *ctx)
{
    struct job *j = dg_calloc(1, sizeof(*j));
    j->odone = done;
    j->ctx = ctx;
    rds_describe_db_instances(impl, st->region,
                              act_param(st, "RDSInstanceIdentifier"),
                              on_described, j);
}

static enum action_assess
replica_assess(const struct action_step *st, const cJSON *obs, char *why,
               size_t n, int64_t *hint)
{
    (void)hint;
    const cJSON *i = dg_json_obj(obs, "instance");
    const char *id = act_param(st, "RDSInstanceIdentifier");
    if (!i) {
        snprintf(why, n, "instance %s not found", id);
        return ACTION_NOT_STARTED;
    }
    const char *src = dg_json_str(i, "read_replica_source");
    const char *status = dg_json_str(i, "status");
    if (!src && act_str_is(i, "status", "available")) {
        snprintf(why, n, "%s is a standalone available instance", id);
        return ACTION_GOAL_HOLDS;
    }
    if (!src || !act_str_is(i, "status", "available")) {
        snprintf(why, n, "%s is %s (%s)", id, status,
                 src ? "still a replica" : "no longer a replica");
        return ACTION_IN_PROGRESS;
    }
    snprintf(why, n, "%s is an available read replica of %s", id, src);
    return ACTION_NOT_STARTED;
}

static dg_rc
replica_precheck(const struct action_step *st, const cJSON *obs, char *why,
                 size_t n)
{
    const cJSON *i = dg_json_obj(obs, "instance");
    if (!i) {
        snprintf(why, n, "instance %s not found",
                 act_param(st, "RDSInstanceIdentifier"));
        return DG_EINVALID;
    }
    if (!dg_json_str(i, "read_replica_source")) {
        snprintf(why, n, "%s is not a read replica", dg_json_str(i, "id"));
        return DG_EINVALID;
    }
    if (!act_str_is(i, "status", "available")) {
        snprintf(why, n, "%s is %s, not available", dg_json_str(i, "id"),
                 dg_json_str(i, "status"));
        return DG_EINVALID;
    }
    return DG_OK;
}

static int
replica_already_done(const struct action_step *st, const struct dg_err *err,
                     const cJSON *obs)
{
    (void)err;
    char why[256];
    int64_t hint = 0;
    return replica_assess(st, obs, why, sizeof(why), &hint) !=
           ACTION_NOT_STARTED;
}

static void
on_promoted(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)result;
    struct job *j = ctx;
    action_mutate_fn done = j->mdone;
    void *c = j->ctx;
    dg_free(j);
    done(NULL, rc, err, c);
}

static void
replica_mutate(void *impl, const struct action_step *st, const cJSON *obs,
               action_mutate_fn done, void *ctx)
{
    (void)obs;
    struct job *j = dg_calloc(1, sizeof(*j));
    j->mdone = done;
    j->ctx = ctx;
    rds_promote_read_replica(
        impl, st->region, act_param(st, "RDSInstanceIdentifier"),
        (int)act_param_int(st, "BackupRetentionPeriod", -1), on_promoted, j);
}

const struct action_ops act_promote_rds_replica = {
    .type = "PromoteRDSReadReplica",
    .observe = replica_observe,
    .precheck = replica_precheck,
    .assess = replica_assess,
    .mutate = replica_mutate,
    .already_done = replica_already_done,
};
