/*
 * live.c - `drgate validate --live`: checks the AWS topology that a config
 * and its two runbooks name, with read-only calls only.
 *
 * DESIGN: every check is one struct check with its own call; all are
 * started at once on a private event loop, and some start follow-up checks
 * when they complete (each global cluster member's DescribeDBClusters).
 * The loop ends when no check is pending; the report is printed in the
 * order the checks were created, so it is stable.
 *
 * Credentials: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), profiles, web identity, ECS or IMDSv2 through the
 * standard chain; see make_creds().
 *
 * Ownership: everything belongs to struct live and is freed before
 * live_validate returns. Nothing secret is printed: SSM values never are.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cfn.h"
#include "client.h"
#include "config.h"
#include "creds.h"
#include "creds_chain.h"
#include "ecs.h"
#include "elasticache.h"
#include "http.h"
#include "json.h"
#include "live.h"
#include "mem.h"
#include "plan.h"
#include "rds.h"
#include "route53.h"
#include "runbook.h"
#include "sns.h"
#include "sqs.h"
#include "ssm.h"
#include "svc.h"

#define LIVE_MAX_CHECKS 512

enum check_state { CHECK_PENDING = 0, CHECK_OK, CHECK_FAIL };

struct live;

struct check {
    struct live *lv;
    const char *kind;
    char *resource;
    char *region;
    char *want; /* what to look for in the reply (export name, ...) */
    enum check_state state;
    char detail[512];
};

struct live {
    const struct dg_config *cfg;
    struct event_base *base;
    struct svc_client sc;
    struct check **checks;
    size_t n;
    int pending;
};

static void check_finish(struct check *c, enum check_state st, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

static void
check_finish(struct check *c, enum check_state st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
    c->state = st;
    if (--c->lv->pending == 0)
        event_base_loopbreak(c->lv->base);
}

/* Fails c with the call's error; returns 1 when it did. */
static int
check_failed(struct check *c, dg_rc rc, const struct dg_err *err)
{
    if (rc == DG_OK)
        return 0;
    if (err && err->code[0])
        check_finish(c, CHECK_FAIL, "%s: %s", err->code, err->msg);
    else
        check_finish(c, CHECK_FAIL, "%s: %s", dg_rc_name(rc),
                     err ? err->msg : "");
    return 1;
}

/* check_failed, then "not found" unless the reply lists exactly one item
 * (n: its count, read only on success); returns 1 when c is finished. */
static int
check_not_single(struct check *c, dg_rc rc, const struct dg_err *err, size_t n)
{
    if (check_failed(c, rc, err))
        return 1;
    if (n == 1)
        return 0;
    check_finish(c, CHECK_FAIL, "not found");
    return 1;
}

static struct check *
check_new(struct live *lv, const char *kind, const char *resource,
          const char *region, const char *want)
{
    struct check *c;
    for (size_t i = 0; i < lv->n; i++) {
        c = lv->checks[i];
        if (strcmp(c->kind, kind) == 0 && strcmp(c->resource, resource) == 0 &&
            strcmp(c->region, region) == 0 &&
            strcmp(c->want ? c->want : "", want ? want : "") == 0)
            return NULL; /* already checked */
    }
    if (lv->n >= LIVE_MAX_CHECKS)
        return NULL;
    c = dg_calloc(1, sizeof(*c));
    c->lv = lv;
    c->kind = kind;
    c->resource = dg_strdup(resource);
    c->region = dg_strdup(region);
    c->want = dg_strdup(want);
    lv->checks = dg_realloc(lv->checks, (lv->n + 1) * sizeof(*lv->checks));
    lv->checks[lv->n++] = c;
    lv->pending++;
    return c;
}

/* A check that fails without a call (missing configuration). */
static void
check_static_fail(struct live *lv, const char *kind, const char *resource,
                  const char *region, const char *why)
{
    struct check *c = check_new(lv, kind, resource, region, NULL);
    if (!c)
        return;
    c->state = CHECK_FAIL;
    snprintf(c->detail, sizeof(c->detail), "%s", why);
    lv->pending--;
}

static const char *
var(const struct live *lv, const char *name)
{
    const char *v = config_variable(lv->cfg, name);
    return v && *v ? v : NULL;
}

/* --- SQS queues --- */

/* The region in a queue URL (https://sqs.R.amazonaws.com/...), else the
 * configured one (local stand-ins). */
static void
queue_region(const struct live *lv, const char *url, char *out, size_t n)
{
    const char *h = strstr(url, "://");
    snprintf(out, n, "%s", lv->cfg->aws.region);
    if (!h || strncmp(h + 3, "sqs.", 4) != 0)
        return;
    h += 7;
    const char *dot = strchr(h, '.');
    if (dot && (size_t)(dot - h) < n && strstr(dot, ".amazonaws.com")) {
        memcpy(out, h, (size_t)(dot - h));
        out[dot - h] = '\0';
    }
}

static void
on_queue(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct svc_map *attrs = result;
    const char *arn, *n;
    if (check_failed(c, rc, err))
        return;
    arn = svc_map_get(attrs, "QueueArn");
    n = svc_map_get(attrs, "ApproximateNumberOfMessages");
    check_finish(c, CHECK_OK, "exists (%s, %s messages)", arn ? arn : "?",
                 n ? n : "?");
}

static void
check_queues(struct live *lv)
{
    static const char *const names[] = {"QueueArn",
                                        "ApproximateNumberOfMessages"};
    for (size_t i = 0; i < lv->cfg->nsources; i++) {
        const struct cfg_io *s = &lv->cfg->sources[i];
        const char *url;
        char region[64];
        struct check *c;
        if (strcmp(s->type, "sqs") != 0)
            continue;
        url = dg_json_str(s->conf, "queue_url");
        if (!url)
            continue;
        queue_region(lv, url, region, sizeof(region));
        if ((c = check_new(lv, "sqs-queue", url, region, NULL)))
            sqs_get_queue_attributes(&lv->sc, region, url, names, 2, on_queue,
                                     c);
    }
}

/* --- SNS topics --- */

static void
on_topic(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const char *subs;
    if (check_failed(c, rc, err))
        return;
    subs = svc_map_get(result, "SubscriptionsConfirmed");
    check_finish(c, CHECK_OK, "exists (%s confirmed subscriptions)",
                 subs ? subs : "?");
}

static void
check_topic(struct live *lv, const char *role, const char *arn)
{
    char region[64];
    struct check *c;
    if (!arn || !*arn)
        return;
    if (!rds_arn_region(arn, region, sizeof(region))) {
        check_static_fail(lv, role, arn, "-", "not a topic ARN");
        return;
    }
    if ((c = check_new(lv, role, arn, region, NULL)))
        sns_get_topic_attributes(&lv->sc, region, arn, on_topic, c);
}

static void
check_topics(struct live *lv)
{
    for (size_t i = 0; i < lv->cfg->nsinks; i++)
        if (strcmp(lv->cfg->sinks[i].type, "sns") == 0)
            check_topic(lv, "sns-events-topic",
                        dg_json_str(lv->cfg->sinks[i].conf, "topic_arn"));
    check_topic(lv, "sns-approval-requests",
                lv->cfg->approval.request_topic_arn);
    check_topic(lv, "sns-approval-replies", lv->cfg->approval.reply_topic_arn);
}

/* --- the Aurora global database --- */

static void
on_member_cluster(const void *result, dg_rc rc, const struct dg_err *err,
                  void *ctx)
{
    struct check *c = ctx;
    const struct rds_clusters *l = result;
    const struct rds_cluster *cl;
    const char *gid = var(c->lv, "global_cluster_id");
    if (check_not_single(c, rc, err, l ? l->n : 0))
        return;
    cl = &l->v[0];
    if (strcmp(cl->status, "available") != 0)
        check_finish(c, CHECK_FAIL, "status %s, expected available",
                     cl->status);
    else if (c->want &&
             (!cl->engine_version || strcmp(cl->engine_version, c->want) != 0))
        check_finish(c, CHECK_FAIL,
                     "engine version %s differs from the global cluster's %s",
                     cl->engine_version ? cl->engine_version : "?", c->want);
    else if (gid && cl->global_cluster_id &&
             strcmp(cl->global_cluster_id, gid) != 0)
        check_finish(c, CHECK_FAIL, "member of %s, expected %s",
                     cl->global_cluster_id, gid);
    else
        check_finish(c, CHECK_OK, "available, %s %s",
                     cl->engine ? cl->engine : "?",
                     cl->engine_version ? cl->engine_version : "?");
}

/* Judges the global cluster as seen from c->region. */
static void
on_global(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    struct live *lv = c->lv;
    const struct rds_global_clusters *l = result;
    const struct rds_global_cluster *g;
    const char *prim = lv->cfg->topology.primary_region;
    const char *sec = lv->cfg->topology.secondary_region;
    const struct rds_gc_member *writer = NULL, *secondary = NULL;
    char r[64];
    if (check_not_single(c, rc, err, l ? l->n : 0))
        return;
    g = &l->v[0];
    for (size_t i = 0; i < g->nmembers; i++) {
        const struct rds_gc_member *m = &g->members[i];
        if (!rds_arn_region(m->cluster_arn, r, sizeof(r)))
            continue;
        if (strcmp(r, prim) == 0 && m->is_writer)
            writer = m;
        if (strcmp(r, sec) == 0 && !m->is_writer)
            secondary = m;
        /* Each member's own cluster, once (from the primary's view). */
        if (strcmp(c->region, prim) == 0) {
            struct check *mc = check_new(lv, "rds-member-cluster",
                                         m->cluster_arn, r, g->engine_version);
            if (mc)
                rds_describe_db_clusters(&lv->sc, r, m->cluster_arn,
                                         on_member_cluster, mc);
        }
    }
    if (g->failover.present)
        check_finish(c, CHECK_FAIL, "a failover is in progress (%s, %s -> %s)",
                     g->failover.status ? g->failover.status : "?",
                     g->failover.from_arn ? g->failover.from_arn : "?",
                     g->failover.to_arn ? g->failover.to_arn : "?");
    else if (!writer)
        check_finish(c, CHECK_FAIL, "no writer member in %s", prim);
    else if (!secondary)
        check_finish(c, CHECK_FAIL, "no secondary member in %s", sec);
    else if (strcmp(g->status, "available") != 0)
        check_finish(c, CHECK_FAIL, "status %s, expected available", g->status);
    else
        check_finish(c, CHECK_OK, "writer %s, secondary %s, %s %s",
                     writer->cluster_arn, secondary->cluster_arn,
                     g->engine ? g->engine : "?",
                     g->engine_version ? g->engine_version : "?");
}

static void
check_global_cluster(struct live *lv)
{
    const char *gid = var(lv, "global_cluster_id");
    const char *regions[2] = {lv->cfg->topology.primary_region,
                              lv->cfg->topology.secondary_region};
    if (!gid)
        return;
    for (int i = 0; i < 2; i++) {
        struct check *c =
            check_new(lv, "rds-global-cluster", gid, regions[i], NULL);
        if (c)
            rds_describe_global_clusters(&lv->sc, regions[i], gid, on_global,
                                         c);
    }
}

/* --- the ElastiCache global datastore --- */

static void
on_datastore(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct elasticache_global_groups *l = result;
    const struct elasticache_global_group *g;
    const char *prim = c->lv->cfg->topology.primary_region;
    const char *sec = c->lv->cfg->topology.secondary_region;
    const char *want_sec = var(c->lv, "secondary_replication_group_id");
    const struct elasticache_grg_member *p = NULL, *s = NULL;
    if (check_not_single(c, rc, err, l ? l->n : 0))
        return;
    g = &l->v[0];
    for (size_t i = 0; i < g->nmembers; i++) {
        const struct elasticache_grg_member *m = &g->members[i];
        if (strcmp(m->region, prim) == 0 && strcmp(m->role, "PRIMARY") == 0)
            p = m;
        if (strcmp(m->region, sec) == 0 && strcmp(m->role, "SECONDARY") == 0)
            s = m;
    }
    if (!p)
        check_finish(c, CHECK_FAIL, "no PRIMARY member in %s", prim);
    else if (!s)
        check_finish(c, CHECK_FAIL, "no SECONDARY member in %s", sec);
    else if (want_sec && strcmp(s->replication_group_id, want_sec) != 0)
        check_finish(c, CHECK_FAIL, "secondary member is %s, expected %s",
                     s->replication_group_id, want_sec);
    else if (strcmp(g->status, "available") != 0)
        check_finish(c, CHECK_FAIL, "status %s, expected available", g->status);
    else
        check_finish(c, CHECK_OK, "primary %s, secondary %s",
                     p->replication_group_id, s->replication_group_id);
}

static void
check_datastore(struct live *lv)
{
    const char *id = var(lv, "global_replication_group_id");
    const char *region = lv->cfg->topology.primary_region;
    struct check *c;
    if (id &&
        (c = check_new(lv, "elasticache-global-datastore", id, region, NULL)))
        elasticache_describe_global_replication_groups(&lv->sc, region, id,
                                                       on_datastore, c);
}

/* --- Route 53 --- */

static void
on_zone(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct route53_zone *z = result;
    if (check_failed(c, rc, err))
        return;
    check_finish(c, CHECK_OK, "%s (%s, %lld record sets)", z->name,
                 z->private_zone ? "private" : "public", z->record_count);
}

static void
on_record(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct route53_rrset *r;
    if (check_failed(c, rc, err))
        return;
    r = route53_rrsets_find(result, c->want, NULL);
    if (!r)
        check_finish(c, CHECK_FAIL, "record %s not found", c->want);
    else
        check_finish(c, CHECK_OK, "%s %s -> %s", r->type, r->name,
                     r->values.n         ? r->values.v[0]
                     : r->alias_dns_name ? r->alias_dns_name
                                         : "?");
}

static void
check_route53(struct live *lv)
{
    const char *zone = var(lv, "hosted_zone_id");
    const char *rec = var(lv, "writer_record_name");
    struct check *c;
    if (!zone)
        return;
    if ((c = check_new(lv, "route53-hosted-zone", zone, "global", NULL)))
        route53_get_hosted_zone(&lv->sc, zone, on_zone, c);
    if (rec && (c = check_new(lv, "route53-record", zone, "global", rec)))
        route53_list_rrsets(&lv->sc, zone, rec, NULL, 10, on_record, c);
}

/* --- the runbooks: ECS services, !Import and resolve:ssm: --- */

static void
on_ecs(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct ecs_services *l = result;
    if (check_failed(c, rc, err))
        return;
    if (l->n != 1)
        check_finish(c, CHECK_FAIL, "not found (%s)",
                     l->nfailures && l->failures[0].reason
                         ? l->failures[0].reason
                         : "no such service");
    else if (strcmp(l->v[0].status, "ACTIVE") != 0)
        check_finish(c, CHECK_FAIL, "status %s, expected ACTIVE",
                     l->v[0].status);
    else
        check_finish(c, CHECK_OK, "ACTIVE, %lld/%lld running", l->v[0].running,
                     l->v[0].desired);
}

static void
on_exports(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct cfn_exports *e = result;
    const char *v;
    if (check_failed(c, rc, err))
        return;
    v = svc_map_get(&e->exports, c->resource);
    if (!v)
        check_finish(c, CHECK_FAIL, "no such export (%zu exports listed)",
                     e->exports.n);
    else if (!*v)
        check_finish(c, CHECK_FAIL, "export is empty");
    else
        check_finish(c, CHECK_OK, "exported");
}

static void
on_ssm(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct check *c = ctx;
    const struct ssm_parameter *p = result;
    if (check_failed(c, rc, err))
        return;
    /* Never the value: it may be a secret. */
    check_finish(c, CHECK_OK, "%s, version %lld", p->type, p->version);
}

static void
check_reference(struct live *lv, const char *v, const char *region)
{
    struct check *c;
    if (strncmp(v, "!Import ", 8) == 0) {
        const char *name = v + 8;
        while (*name == ' ')
            name++;
        if ((c = check_new(lv, "cfn-import", name, region, NULL)))
            cfn_list_exports(&lv->sc, region, on_exports, c);
    } else if (strncmp(v, "resolve:ssm:", 12) == 0) {
        if ((c = check_new(lv, "ssm-parameter", v + 12, region, NULL)))
            ssm_get_parameter(&lv->sc, region, v + 12, 0, on_ssm, c);
    }
}

static const char *
lookup(const char *name, void *ctx)
{
    return config_variable(ctx, name);
}

static void
check_step(struct live *lv, const cJSON *step)
{
    const char *type = dg_json_str(step, "type");
    const char *region = dg_json_str(step, "region");
    const cJSON *params = dg_json_obj(step, "parameters"), *p;
    if (!type || !region || !params)
        return;
    if (strcmp(region, "global") == 0)
        region = lv->cfg->aws.region;
    cJSON_ArrayForEach(p, params)
    {
        if (cJSON_IsString(p))
            check_reference(lv, p->valuestring, region);
    }
    if (strcmp(type, "RedeployEcsService") == 0) {
        const char *cluster = dg_json_str(params, "Cluster");
        const char *service = dg_json_str(params, "Service");
        struct check *c;
        char res[600];
        if (!cluster || !service || strchr(cluster, ':') == cluster ||
            strncmp(service, "!Import", 7) == 0 ||
            strncmp(service, "resolve:", 8) == 0 ||
            strncmp(cluster, "!Import", 7) == 0 ||
            strncmp(cluster, "resolve:", 8) == 0)
            return; /* references are checked above */
        snprintf(res, sizeof(res), "%s/%s", cluster, service);
        if ((c = check_new(lv, "ecs-service", res, region, NULL)))
            ecs_describe_services(&lv->sc, region, cluster, &service, 1, on_ecs,
                                  c);
    }
}

static void
check_runbook(struct live *lv, const char *cls, const char *path)
{
    struct dg_buf errors;
    cJSON *doc = NULL;
    struct plan *plan = NULL;
    struct plan_input in = {0};
    const cJSON *layer, *step;
    if (!path)
        return;
    dg_buf_init(&errors, 64 * 1024);
    if (runbook_load(path, &doc, &errors) != DG_OK) {
        check_static_fail(lv, "runbook", path, "-", dg_buf_str(&errors));
        goto out;
    }
    in.payload = dg_json_arr(doc, "StatePayload");
    in.runbook = path;
    in.plan_class = cls;
    in.trigger = "validate";
    in.primary_region = lv->cfg->topology.primary_region;
    in.secondary_region = lv->cfg->topology.secondary_region;
    in.lookup = lookup;
    in.lookup_ctx = (void *)lv->cfg;
    if (plan_build(&in, path, &plan, &errors) != DG_OK) {
        check_static_fail(lv, "runbook", path, "-", dg_buf_str(&errors));
        goto out;
    }
    cJSON_ArrayForEach(layer, dg_json_arr(plan->body, "layers"))
    {
        cJSON_ArrayForEach(step, dg_json_arr(layer, "steps"))
        {
            check_step(lv, step);
        }
    }
out:
    plan_free(plan);
    cJSON_Delete(doc);
    dg_buf_cleanup(&errors);
}

/* --- the loop --- */

/* The standard credentials chain (creds_chain.h): environment, profiles
 * (assume role, web identity, SSO, static keys, credential_process), ECS
 * container credentials, IMDSv2. */
static struct aws_creds_provider *
make_creds(struct event_base *base, struct http_engine *http,
           const struct dg_config *cfg)
{
    struct creds_chain_opts o = {
        .region = cfg->aws.region_pinned ? cfg->aws.region : NULL,
        .default_region = cfg->aws.region,
        .endpoints = cfg->aws.endpoints,
        .nendpoints = cfg->aws.nendpoints};
    return creds_chain_new(base, http, &o);
}

int
live_validate(const struct dg_config *cfg, FILE *report)
{
    struct live lv = {.cfg = cfg};
    struct http_engine *http = NULL;
    struct aws_creds_provider *creds = NULL;
    struct dg_err err;
    size_t failed = 0;
    int status = 1;
    dg_err_clear(&err);
    lv.base = event_base_new();
    if (!lv.base) {
        fprintf(report, "FAIL live validation: cannot create an event loop\n");
        return 1;
    }
    http = http_engine_new(lv.base, NULL);
    creds = make_creds(lv.base, http, cfg);
    struct aws_client_opts opts = {.region = cfg->aws.region,
                                   .endpoints = cfg->aws.endpoints,
                                   .nendpoints = cfg->aws.nendpoints,
                                   .max_attempts = cfg->aws.max_attempts};
    lv.sc.base = lv.base;
    lv.sc.aws = aws_client_new(lv.base, http, creds, &opts);
    check_queues(&lv);
    check_topics(&lv);
    check_global_cluster(&lv);
    check_datastore(&lv);
    check_route53(&lv);
    check_runbook(&lv, "planned", cfg->policy.runbook_planned);
    check_runbook(&lv, "unplanned", cfg->policy.runbook_unplanned);
    if (lv.pending > 0)
        event_base_dispatch(lv.base);
    for (size_t i = 0; i < lv.n; i++) {
        const struct check *c = lv.checks[i];
        if (c->state != CHECK_OK)
            failed++;
        fprintf(report, "%-4s %-28s %-10s %s: %s\n",
                c->state == CHECK_OK ? "OK" : "FAIL", c->kind, c->region,
                c->want && strcmp(c->kind, "rds-member-cluster") != 0
                    ? c->want
                    : c->resource,
                c->state == CHECK_PENDING ? "no answer" : c->detail);
    }
    fprintf(report, "live validation: %zu checks, %zu failed\n", lv.n, failed);
    status = failed || lv.n == 0 ? 1 : 0;
    aws_client_free(lv.sc.aws);
    http_engine_free(http);
    aws_creds_provider_free(creds);
    for (size_t i = 0; i < lv.n; i++) {
        dg_free(lv.checks[i]->resource);
        dg_free(lv.checks[i]->region);
        dg_free(lv.checks[i]->want);
        dg_free(lv.checks[i]);
    }
    dg_free(lv.checks);
    event_base_free(lv.base);
    return status;
}
