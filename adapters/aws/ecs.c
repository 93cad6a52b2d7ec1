/*
 * ecs.c - Amazon ECS over JSON 1.1: UpdateService with forceNewDeployment
 * and DescribeServices (deployments with rollout state). Pure builders and
 * parsers, thin asynchronous wrappers.
 *
 * Ownership: struct ecs_services owns everything (_cleanup frees).
 * Errors: DG_EINVALID "bad_request" / "bad_response".
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "ecs.h"
#include "mem.h"

#define ECS_MAX_DEPLOYMENTS 64

dg_rc
ecs_build_update_service(const char *cluster, const char *service,
                         int force_new_deployment, struct dg_buf *out,
                         struct dg_err *err)
{
    cJSON *doc;
    if (svc_need("UpdateService", "service", service, err))
        return DG_EINVALID;
    doc = cJSON_CreateObject();
    if (cluster)
        cJSON_AddStringToObject(doc, "cluster", cluster);
    cJSON_AddStringToObject(doc, "service", service);
    if (force_new_deployment)
        cJSON_AddBoolToObject(doc, "forceNewDeployment", 1);
    return svc_json_emit(doc, out, err);
}

dg_rc
ecs_build_describe_services(const char *cluster, const char *const *services,
                            size_t n, struct dg_buf *out, struct dg_err *err)
{
    cJSON *doc, *arr;
    if (n < 1 || n > ECS_MAX_SERVICES)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "DescribeServices: 1..10 services");
    for (size_t i = 0; i < n; i++)
        if (svc_need("DescribeServices", "services[]", services[i], err))
            return DG_EINVALID;
    doc = cJSON_CreateObject();
    if (cluster)
        cJSON_AddStringToObject(doc, "cluster", cluster);
    arr = cJSON_AddArrayToObject(doc, "services");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(services[i]));
    return svc_json_emit(doc, out, err);
}

void
ecs_services_cleanup(struct ecs_services *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct ecs_service *v = &s->v[i];
        dg_free(v->arn);
        dg_free(v->name);
        dg_free(v->cluster_arn);
        dg_free(v->status);
        for (size_t j = 0; j < v->ndeployments; j++) {
            dg_free(v->deployments[j].id);
            dg_free(v->deployments[j].status);
            dg_free(v->deployments[j].rollout_state);
            dg_free(v->deployments[j].task_definition);
        }
        dg_free(v->deployments);
    }
    dg_free(s->v);
    for (size_t i = 0; i < s->nfailures; i++) {
        dg_free(s->failures[i].arn);
        dg_free(s->failures[i].reason);
    }
    dg_free(s->failures);
    memset(s, 0, sizeof(*s));
}

const struct ecs_deployment *
ecs_service_primary(const struct ecs_service *s)
{
    for (size_t i = 0; s && i < s->ndeployments; i++)
        if (strcmp(s->deployments[i].status, "PRIMARY") == 0)
            return &s->deployments[i];
    return NULL;
}

static dg_rc
parse_deployment(const char *op, const cJSON *j, void *item, struct dg_err *err)
{
    struct ecs_deployment *d = item;
    dg_rc rc;
    if (!cJSON_IsObject(j))
        return svc_bad(err, op, "a deployment is not an object");
    if ((rc = svc_json_str(op, j, "id", SVC_MAX_ID, 1, &d->id, err)) ||
        (rc = svc_json_str(op, j, "status", 64, 1, &d->status, err)) ||
        (rc = svc_json_str(op, j, "rolloutState", 64, 0, &d->rollout_state,
                           err)) ||
        (rc = svc_json_str(op, j, "taskDefinition", SVC_MAX_ID, 0,
                           &d->task_definition, err)) ||
        (rc = svc_json_int(op, j, "desiredCount", 0, 0, &d->desired, err)) ||
        (rc = svc_json_int(op, j, "runningCount", 0, 0, &d->running, err)) ||
        (rc = svc_json_int(op, j, "pendingCount", 0, 0, &d->pending, err)) ||
        (rc =
             svc_json_int(op, j, "failedTasks", 0, 0, &d->failed_tasks, err)) ||
        (rc = svc_json_time_ms(op, j, "createdAt", &d->created_at_ms, err)) ||
        (rc = svc_json_time_ms(op, j, "updatedAt", &d->updated_at_ms, err)))
        return rc;
    return DG_OK;
}

static dg_rc
parse_service(const char *op, const cJSON *j, void *item, struct dg_err *err)
{
    struct ecs_service *s = item;
    const cJSON *deps;
    void *v = NULL;
    dg_rc rc;
    if (!cJSON_IsObject(j))
        return svc_bad(err, op, "a service is not an object");
    if ((rc = svc_json_str(op, j, "serviceArn", SVC_MAX_ID, 0, &s->arn, err)) ||
        (rc = svc_json_str(op, j, "serviceName", SVC_MAX_ID, 1, &s->name,
                           err)) ||
        (rc = svc_json_str(op, j, "clusterArn", SVC_MAX_ID, 0, &s->cluster_arn,
                           err)) ||
        (rc = svc_json_str(op, j, "status", 64, 1, &s->status, err)) ||
        (rc = svc_json_int(op, j, "desiredCount", 0, 0, &s->desired, err)) ||
        (rc = svc_json_int(op, j, "runningCount", 0, 0, &s->running, err)) ||
        (rc = svc_json_int(op, j, "pendingCount", 0, 0, &s->pending, err)) ||
        (rc = svc_json_array(op, j, "deployments", ECS_MAX_DEPLOYMENTS, &deps,
                             err)))
        return rc;
    rc = svc_json_items(op, deps, sizeof(*s->deployments), parse_deployment, &v,
                        &s->ndeployments, err);
    s->deployments = v;
    return rc;
}

static dg_rc
parse_failure(const char *op, const cJSON *j, void *item, struct dg_err *err)
{
    struct ecs_failure *f = item;
    dg_rc rc;
    if (!cJSON_IsObject(j))
        return svc_bad(err, op, "a failure is not an object");
    if ((rc = svc_json_str(op, j, "arn", SVC_MAX_ID, 0, &f->arn, err)))
        return rc;
    return svc_json_str(op, j, "reason", SVC_MAX_ID, 0, &f->reason, err);
}

dg_rc
ecs_parse_describe_services(const char *body, size_t len,
                            struct ecs_services *out, struct dg_err *err)
{
    static const char op[] = "DescribeServices";
    cJSON *root;
    const cJSON *svcs, *fails;
    void *v = NULL, *f = NULL;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)))
        return rc;
    if ((rc = svc_json_array(op, root, "services", ECS_MAX_SERVICES, &svcs,
                             err)) ||
        (rc = svc_json_array(op, root, "failures", ECS_MAX_SERVICES, &fails,
                             err)))
        goto out;
    if (!(rc = svc_json_items(op, svcs, sizeof(*out->v), parse_service, &v,
                              &out->n, err)))
        rc = svc_json_items(op, fails, sizeof(*out->failures), parse_failure,
                            &f, &out->nfailures, err);
    out->v = v;
    out->failures = f;
out:
    cJSON_Delete(root);
    if (rc)
        ecs_services_cleanup(out);
    return rc;
}

dg_rc
ecs_parse_update_service(const char *body, size_t len, struct ecs_services *out,
                         struct dg_err *err)
{
    static const char op[] = "UpdateService";
    cJSON *root;
    const cJSON *s;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)))
        return rc;
    if ((rc = svc_json_object(op, root, "service", &s, err)))
        goto out;
    if (!s) {
        rc = svc_bad(err, op, "missing service");
        goto out;
    }
    out->v = dg_calloc(1, sizeof(*out->v));
    out->n = 1;
    rc = parse_service(op, s, &out->v[0], err);
out:
    cJSON_Delete(root);
    if (rc)
        ecs_services_cleanup(out);
    return rc;
}

SVC_OP(op_update, struct ecs_services, ecs_parse_update_service,
       ecs_services_cleanup);
SVC_OP(op_describe, struct ecs_services, ecs_parse_describe_services,
       ecs_services_cleanup);

void
ecs_update_service(const struct svc_client *c, const char *region,
                   const char *cluster, const char *service,
                   int force_new_deployment, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = ecs_build_update_service(cluster, service, force_new_deployment,
                                  &b.body, &b.err);
    /* Resending a forced deployment only starts another one. */
    svc_send(c, &aws_svc_ecs, region, "UpdateService", 0, &b, rc, &op_update,
             done, ctx);
}

void
ecs_describe_services(const struct svc_client *c, const char *region,
                      const char *cluster, const char *const *services,
                      size_t n, svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = ecs_build_describe_services(cluster, services, n, &b.body, &b.err);
    svc_send(c, &aws_svc_ecs, region, "DescribeServices", 1, &b, rc,
             &op_describe, done, ctx);
}
