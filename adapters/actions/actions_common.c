/*
 * actions_common.c - helpers shared by the action types: parameters,
 * ARNs, and the observation shapes built from parsed AWS replies.
 *
 * Everything here is pure. Observation builders return new cJSON trees
 * the caller owns (JSON null for a NULL input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions_internal.h"
#include "ecs.h"
#include "elasticache.h"
#include "json.h"
#include "rds.h"
#include "route53.h"

const char *
act_param(const struct action_step *st, const char *name)
{
    return dg_json_str(st->params, name);
}

int
act_param_bool(const struct action_step *st, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->params, name);
    if (!v)
        return -1;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v))
        return strcasecmp(v->valuestring, "true") == 0 ||
               strcmp(v->valuestring, "1") == 0;
    return -1;
}

long long
act_param_int(const struct action_step *st, const char *name, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st->params, name);
    if (cJSON_IsNumber(v))
        return (long long)v->valuedouble;
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end = NULL;
        long long x = strtoll(v->valuestring, &end, 10);
        if (end && *end == '\0')
            return x;
    }
    return dflt;
}

int
act_arn_region(const char *ident, char *out, size_t n)
{
    if (!ident || strncmp(ident, "arn:", 4) != 0)
        return 0;
    return rds_arn_region(ident, out, n);
}

int
act_same_cluster(const char *arn, const char *ident)
{
    if (!arn || !ident)
        return 0;
    if (strcmp(arn, ident) == 0)
        return 1;
    if (strncmp(ident, "arn:", 4) == 0)
        return 0;
    const char *p = strstr(arn, ":cluster:");
    return p && strcmp(p + 9, ident) == 0;
}

int
act_str_is(const cJSON *obj, const char *key, const char *s)
{
    const char *v = dg_json_str(obj, key);
    return v && s && strcmp(v, s) == 0;
}

void
act_major(const char *v, char *out, size_t n)
{
    snprintf(out, n, "%s", v ? v : "");
    char *dot = strchr(out, '.');
    if (dot)
        *dot = '\0';
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

cJSON *
act_obs_global(const struct rds_global_cluster *g)
{
    if (!g)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", g->id);
    add_str(o, "status", g->status);
    add_str(o, "engine", g->engine);
    add_str(o, "engine_version", g->engine_version);
    cJSON *m = cJSON_AddArrayToObject(o, "members");
    for (size_t i = 0; i < g->nmembers; i++) {
        cJSON *x = cJSON_CreateObject();
        add_str(x, "arn", g->members[i].cluster_arn);
        cJSON_AddBoolToObject(x, "is_writer", g->members[i].is_writer);
        cJSON_AddItemToArray(m, x);
    }
    if (g->failover.present) {
        cJSON *f = cJSON_AddObjectToObject(o, "failover");
        add_str(f, "status", g->failover.status);
        add_str(f, "from", g->failover.from_arn);
        add_str(f, "to", g->failover.to_arn);
        cJSON_AddBoolToObject(f, "data_loss", g->failover.data_loss_allowed);
    } else {
        cJSON_AddNullToObject(o, "failover");
    }
    return o;
}

cJSON *
act_obs_cluster(const struct rds_cluster *c)
{
    if (!c)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", c->id);
    add_str(o, "arn", c->arn);
    add_str(o, "status", c->status);
    add_str(o, "engine", c->engine);
    add_str(o, "engine_version", c->engine_version);
    add_str(o, "endpoint", c->endpoint);
    add_str(o, "global_cluster_id", c->global_cluster_id);
    add_str(o, "replication_source", c->replication_source);
    int writer = 0;
    for (size_t i = 0; i < c->nmembers; i++)
        writer |= c->members[i].is_writer;
    cJSON_AddBoolToObject(o, "has_writer_instance", writer);
    return o;
}

cJSON *
act_obs_instance(const struct rds_instance *i)
{
    if (!i)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", i->id);
    add_str(o, "status", i->status);
    add_str(o, "cluster_id", i->cluster_id);
    add_str(o, "read_replica_source", i->read_replica_source);
    return o;
}

cJSON *
act_obs_grg(const struct elasticache_global_group *g)
{
    if (!g)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", g->id);
    add_str(o, "status", g->status);
    cJSON *m = cJSON_AddArrayToObject(o, "members");
    for (size_t i = 0; i < g->nmembers; i++) {
        cJSON *x = cJSON_CreateObject();
        add_str(x, "replication_group_id", g->members[i].replication_group_id);
        add_str(x, "region", g->members[i].region);
        add_str(x, "role", g->members[i].role);
        add_str(x, "status", g->members[i].status);
        cJSON_AddItemToArray(m, x);
    }
    return o;
}

cJSON *
act_obs_ecs(const struct ecs_service *s)
{
    if (!s)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "name", s->name);
    add_str(o, "status", s->status);
    cJSON_AddNumberToObject(o, "desired", (double)s->desired);
    cJSON_AddNumberToObject(o, "running", (double)s->running);
    cJSON_AddNumberToObject(o, "pending", (double)s->pending);
    cJSON *d = cJSON_AddArrayToObject(o, "deployments");
    for (size_t i = 0; i < s->ndeployments; i++) {
        const struct ecs_deployment *x = &s->deployments[i];
        cJSON *y = cJSON_CreateObject();
        add_str(y, "id", x->id);
        add_str(y, "status", x->status);
        add_str(y, "rollout_state", x->rollout_state);
        cJSON_AddNumberToObject(y, "desired", (double)x->desired);
        cJSON_AddNumberToObject(y, "running", (double)x->running);
        cJSON_AddNumberToObject(y, "pending", (double)x->pending);
        cJSON_AddNumberToObject(y, "failed_tasks", (double)x->failed_tasks);
        cJSON_AddItemToArray(d, y);
    }
    return o;
}

cJSON *
act_obs_rrset(const struct route53_rrset *r)
{
    if (!r)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "name", r->name);
    add_str(o, "type", r->type);
    cJSON_AddNumberToObject(o, "ttl", (double)r->ttl);
    cJSON *v = cJSON_AddArrayToObject(o, "values");
    for (size_t i = 0; i < r->values.n; i++)
        cJSON_AddItemToArray(v, cJSON_CreateString(r->values.v[i]));
    return o;
}

cJSON *
act_obs_change(const struct route53_change *c)
{
    if (!c)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", c->id);
    add_str(o, "status", c->status);
    return o;
}

const cJSON *
act_gc_member(const cJSON *global, const char *ident)
{
    const cJSON *m = dg_json_arr(global, "members");
    for (const cJSON *x = m ? m->child : NULL; x; x = x->next)
        if (act_same_cluster(dg_json_str(x, "arn"), ident))
            return x;
    return NULL;
}
