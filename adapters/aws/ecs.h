#ifndef DRGATE_ECS_H
#define DRGATE_ECS_H
/*
 * Amazon ECS (JSON 1.1): UpdateService (forceNewDeployment) and
 * DescribeServices, with each service's deployments. Builders and parsers
 * are pure; see svc.h for the conventions.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

#define ECS_MAX_SERVICES 10 /* the DescribeServices limit */

struct ecs_deployment {
    char *id;
    char *status;        /* "PRIMARY" | "ACTIVE" | "INACTIVE" */
    char *rollout_state; /* "COMPLETED" | "IN_PROGRESS" | "FAILED" or NULL */
    char *task_definition;
    long long desired, running, pending, failed_tasks;
    int64_t created_at_ms, updated_at_ms;
};

struct ecs_service {
    char *arn;
    char *name;
    char *cluster_arn;
    char *status; /* "ACTIVE" | "DRAINING" | "INACTIVE" */
    long long desired, running, pending;
    struct ecs_deployment *deployments;
    size_t ndeployments;
};

struct ecs_failure {
    char *arn;
    char *reason; /* "MISSING", ... */
};

struct ecs_services {
    struct ecs_service *v;
    size_t n;
    struct ecs_failure *failures;
    size_t nfailures;
};

dg_rc ecs_build_update_service(const char *cluster, const char *service,
                               int force_new_deployment, struct dg_buf *out,
                               struct dg_err *err);
dg_rc ecs_build_describe_services(const char *cluster,
                                  const char *const *services, size_t n,
                                  struct dg_buf *out, struct dg_err *err);

/* UpdateService reply ({"service": {...}}): out->n is 1. */
dg_rc ecs_parse_update_service(const char *body, size_t len,
                               struct ecs_services *out, struct dg_err *err);
dg_rc ecs_parse_describe_services(const char *body, size_t len,
                                  struct ecs_services *out, struct dg_err *err);
void ecs_services_cleanup(struct ecs_services *s);
/* The PRIMARY deployment, or NULL. */
const struct ecs_deployment *ecs_service_primary(const struct ecs_service *s);

/* Results: struct ecs_services. */
void ecs_update_service(const struct svc_client *c, const char *region,
                        const char *cluster, const char *service,
                        int force_new_deployment, svc_done_fn done, void *ctx);
void ecs_describe_services(const struct svc_client *c, const char *region,
                           const char *cluster, const char *const *services,
                           size_t n, svc_done_fn done, void *ctx);

#endif
