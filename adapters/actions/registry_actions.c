/*
 * registry_actions.c - the action registry and the AWS resolver.
 *
 * Every resourceType of the catalog (runbook.c) has a descriptor here;
 * test_actions checks there is none missing, so an unknown type can never
 * be silently skipped at run time (the executor refuses a plan whose type
 * has no descriptor). The resolver turns ListExports (all pages) into a
 * JSON object and hands SSM values over without keeping them; a
 * SecureString is reported as secure with no value.
 */
#include "registry_actions.h"

#include <string.h>

#include "actions_internal.h"
#include "cfn.h"
#include "json.h"
#include "mem.h"
#include "ssm.h"
#include "svc.h"

static const struct action_ops *const all[] = {
    &act_planned_failover_aurora,
    &act_switchover_aurora,
    &act_managed_failover_aurora,
    &act_unplanned_failover_aurora,
    &act_create_aurora_secondary,
    &act_promote_rds_replica,
    &act_failover_elasticache,
    &act_update_route53,
    &act_redeploy_ecs,
    &act_validate_aurora,
    &act_aurora_status,
    NULL,
};

const struct action_ops *const *
actions_aws_all(void)
{
    return all;
}

const struct action_ops *
actions_aws_find(const char *type, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; type && all[i]; i++)
        if (strcmp(all[i]->type, type) == 0)
            return all[i];
    return NULL;
}

struct action_catalog
actions_aws_catalog(const struct svc_client *sc)
{
    struct action_catalog c = {actions_aws_find, (void *)(uintptr_t)sc};
    return c;
}

/* --- resolver ----------------------------------------------------------- */

struct rjob {
    resolve_exports_fn edone;
    resolve_param_fn pdone;
    void *ctx;
};

static void
on_exports(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct rjob *j = ctx;
    const struct cfn_exports *e = result;
    cJSON *out = NULL;
    if (rc == DG_OK) {
        out = cJSON_CreateObject();
        for (size_t i = 0; i < e->exports.n; i++)
            if (!cJSON_GetObjectItemCaseSensitive(out, e->exports.keys[i]))
                cJSON_AddStringToObject(out, e->exports.keys[i],
                                        e->exports.values[i]);
    }
    resolve_exports_fn done = j->edone;
    void *c = j->ctx;
    dg_free(j);
    done(out, rc, err, c);
}

static void
r_exports(void *impl, const char *region, resolve_exports_fn done, void *ctx)
{
    struct rjob *j = dg_calloc(1, sizeof(*j));
    j->edone = done;
    j->ctx = ctx;
    cfn_list_exports(impl, region, on_exports, j);
}

static void
on_param(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct rjob *j = ctx;
    const struct ssm_parameter *p = result;
    resolve_param_fn done = j->pdone;
    void *c = j->ctx;
    dg_free(j);
    if (rc != DG_OK || !p) {
        done(NULL, 0, rc == DG_OK ? DG_EINVALID : rc, err, c);
        return;
    }
    /* A secret never leaves this function; the parser cleanses it. */
    done(p->secure ? NULL : p->value, p->secure, DG_OK, NULL, c);
}

static void
r_parameter(void *impl, const char *region, const char *name,
            resolve_param_fn done, void *ctx)
{
    struct rjob *j = dg_calloc(1, sizeof(*j));
    j->pdone = done;
    j->ctx = ctx;
    ssm_get_parameter(impl, region, name, 0, on_param, j);
}

static const struct resolver_ops aws_resolver_ops = {r_exports, r_parameter};

struct resolver
actions_aws_resolver(const struct svc_client *sc)
{
    struct resolver r = {&aws_resolver_ops, (void *)(uintptr_t)sc};
    return r;
}
