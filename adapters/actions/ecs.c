/*
 * ecs.c - RedeployEcsService: UpdateService forceNewDeployment in the
 * step's region. Observation: {"service": S|null} with its deployments.
 * The new deployment is the one UpdateService answered with (the memo);
 * after a crash before that answer was recorded, it is the PRIMARY
 * deployment that differs from the one seen just before the call (the
 * baseline). Done when that deployment is PRIMARY and its rollout is
 * COMPLETED, or, where rolloutState is not maintained (moto), when the
 * service is steady the way the ECS services-stable waiter defines it: one
 * deployment (ours, PRIMARY) and the service's runningCount equal to its
 * desiredCount. A FAILED rollout breaks the step.
 */
#include <stdio.h>
#include <string.h>

#include "actions_internal.h"
#include "ecs.h"
#include "json.h"
#include "mem.h"

struct job {
    action_observe_fn odone;
    action_mutate_fn mdone;
    void *ctx;
};

static void
on_described(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    const struct ecs_services *l = result;
    action_observe_fn done = j->odone;
    void *c = j->ctx;
    dg_free(j);
    if (rc != DG_OK) {
        done(NULL, rc, err, c);
        return;
    }
    cJSON *obs = cJSON_CreateObject();
    cJSON_AddItemToObject(obs, "service", act_obs_ecs(l->n ? &l->v[0] : NULL));
    done(obs, DG_OK, NULL, c);
}

static void
ecs_observe(void *impl, const struct action_step *st, action_observe_fn done,
            void *ctx)
{
    struct job *j = dg_calloc(1, sizeof(*j));
    j->odone = done;
    j->ctx = ctx;
    const char *svc[1] = {act_param(st, "Service")};
    ecs_describe_services(impl, st->region, act_param(st, "Cluster"), svc, 1,
                          on_described, j);
}

static const cJSON *
primary_of(const cJSON *svc)
{
    const cJSON *d = dg_json_arr(svc, "deployments");
    for (const cJSON *x = d ? d->child : NULL; x; x = x->next)
        if (act_str_is(x, "status", "PRIMARY"))
            return x;
    return NULL;
}

static enum action_assess
ecs_assess(const struct action_step *st, const cJSON *obs, char *why, size_t n,
           int64_t *hint)
{
    (void)hint;
    const cJSON *s = dg_json_obj(obs, "service");
    const char *name = act_param(st, "Service");
    if (!s) {
        snprintf(why, n, "service %s not found in cluster %s", name,
                 act_param(st, "Cluster"));
        return ACTION_NOT_STARTED;
    }
    const char *id = dg_json_str(st->memo, "deployment_id");
    const cJSON *p = primary_of(s);
    if (!id && st->baseline) {
        /* No answer recorded: a PRIMARY deployment that was not there
         * before the call is ours. */
        const cJSON *b = primary_of(dg_json_obj(st->baseline, "service"));
        const char *bid = dg_json_str(b, "id");
        const char *pid = dg_json_str(p, "id");
        if (pid && (!bid || strcmp(pid, bid) != 0))
            id = pid;
    }
    if (!id) {
        snprintf(why, n, "no new deployment of %s yet", name);
        return ACTION_NOT_STARTED;
    }
    const cJSON *dep = NULL;
    const cJSON *d = dg_json_arr(s, "deployments");
    for (const cJSON *x = d ? d->child : NULL; x; x = x->next)
        if (act_str_is(x, "id", id))
            dep = x;
    if (!dep) {
        snprintf(why, n, "deployment %s of %s not visible", id, name);
        return ACTION_NOT_STARTED;
    }
    const char *rs = dg_json_str(dep, "rollout_state");
    long long desired = 0, running = 0, sdesired = -1, srunning = -2;
    (void)dg_json_int(dep, "desired", &desired);
    (void)dg_json_int(dep, "running", &running);
    (void)dg_json_int(s, "desired", &sdesired);
    (void)dg_json_int(s, "running", &srunning);
    if (rs && strcmp(rs, "FAILED") == 0) {
        snprintf(why, n, "deployment %s of %s: rollout FAILED", id, name);
        return ACTION_BROKEN;
    }
    int primary = act_str_is(dep, "status", "PRIMARY");
    if (primary && rs && strcmp(rs, "COMPLETED") == 0) {
        snprintf(why, n, "deployment %s of %s is PRIMARY and COMPLETED", id,
                 name);
        return ACTION_GOAL_HOLDS;
    }
    if (primary && cJSON_GetArraySize(d) == 1 && srunning == sdesired) {
        snprintf(why, n,
                 "deployment %s of %s is PRIMARY and the service is steady "
                 "(%lld/%lld running, rolloutState %s)",
                 id, name, srunning, sdesired, rs ? rs : "none");
        return ACTION_GOAL_HOLDS;
    }
    snprintf(why, n, "deployment %s of %s: %s, rollout %s, %lld/%lld running",
             id, name, dg_json_str(dep, "status"), rs ? rs : "none", running,
             desired);
    return ACTION_IN_PROGRESS;
}

static dg_rc
ecs_precheck(const struct action_step *st, const cJSON *obs, char *why,
             size_t n)
{
    const cJSON *s = dg_json_obj(obs, "service");
    if (!s) {
        snprintf(why, n, "service %s not found in cluster %s",
                 act_param(st, "Service"), act_param(st, "Cluster"));
        return DG_EINVALID;
    }
    if (!act_str_is(s, "status", "ACTIVE")) {
        snprintf(why, n, "service %s is %s, not ACTIVE",
                 act_param(st, "Service"), dg_json_str(s, "status"));
        return DG_EINVALID;
    }
    return DG_OK;
}

static void
on_updated(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    const struct ecs_services *l = result;
    cJSON *memo = NULL;
    if (rc == DG_OK && l && l->n) {
        const struct ecs_deployment *p = ecs_service_primary(&l->v[0]);
        if (p && p->id) {
            memo = cJSON_CreateObject();
            cJSON_AddStringToObject(memo, "deployment_id", p->id);
        }
    }
    action_mutate_fn done = j->mdone;
    void *c = j->ctx;
    dg_free(j);
    done(memo, rc, err, c);
}

static void
ecs_mutate(void *impl, const struct action_step *st, const cJSON *obs,
           action_mutate_fn done, void *ctx)
{
    (void)obs;
    struct job *j = dg_calloc(1, sizeof(*j));
    j->mdone = done;
    j->ctx = ctx;
    ecs_update_service(impl, st->region, act_param(st, "Cluster"),
                       act_param(st, "Service"), 1, on_updated, j);
}

const struct action_ops act_redeploy_ecs = {
    .type = "RedeployEcsService",
    .observe = ecs_observe,
    .precheck = ecs_precheck,
    .assess = ecs_assess,
    .mutate = ecs_mutate,
};
