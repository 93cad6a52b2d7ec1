/*
 * stack.c - the daemon's shared AWS stack and the read-only seed 000
 * commands.
 *
 * Ownership: the stack owns its engine, credentials provider and client.
 * A command owns its state until its completion has run.
 *
 * Errors: an AWS error answering a command is part of the answer (seed
 * 000's statusCode 404 / 500 with the message), not a failure of the
 * call; only DG_ECANCELLED (shutdown) is reported as such.
 *
 * DESIGN: status is two calls in sequence (the global cluster, then the
 * target cluster in the region its ARN names), validate one. Free order:
 * the client first (its calls complete with DG_ECANCELLED), then the HTTP
 * engine, then the credentials provider, as live.c does.
 */
#include "stack.h"

#include <string.h>

#include "client.h"
#include "config.h"
#include "creds.h"
#include "creds_chain.h"
#include "http.h"
#include "mem.h"
#include "rds.h"

struct aws_stack {
    struct http_engine *http;
    struct aws_creds_provider *creds;
    struct svc_client sc;
};

struct aws_stack *
aws_stack_new(struct event_base *base, const struct dg_config *cfg,
              aws_stack_observer_fn observe, void *ctx)
{
    struct aws_stack *s = dg_calloc(1, sizeof(*s));
    s->http = http_engine_new(base, NULL);
    struct creds_chain_opts co = {
        .region = cfg->aws.region_pinned ? cfg->aws.region : NULL,
        .default_region = cfg->aws.region,
        .endpoints = cfg->aws.endpoints,
        .nendpoints = cfg->aws.nendpoints};
    s->creds = creds_chain_new(base, s->http, &co);
    struct aws_client_opts opts = {.region = cfg->aws.region,
                                   .endpoints = cfg->aws.endpoints,
                                   .nendpoints = cfg->aws.nendpoints,
                                   .max_attempts = cfg->aws.max_attempts,
                                   .on_complete = observe,
                                   .hook_ctx = ctx};
    s->sc.base = base;
    s->sc.aws = aws_client_new(base, s->http, s->creds, &opts);
    return s;
}

const struct svc_client *
aws_stack_svc(const struct aws_stack *s)
{
    return &s->sc;
}

void
aws_stack_free(struct aws_stack *s)
{
    if (!s)
        return;
    aws_client_free(s->sc.aws);
    http_engine_free(s->http);
    aws_creds_provider_free(s->creds);
    dg_free(s);
}

/* ---- commands -------------------------------------------------------- */

struct cmd {
    const struct svc_client *c;
    int status; /* 1: status, 0: validate */
    char *gc;
    char *target;
    char region[64];
    cJSON *output; /* status: built across the two calls */
    aws_command_fn done;
    void *ctx;
};

static void
cmd_free(struct cmd *k)
{
    cJSON_Delete(k->output);
    dg_free(k->gc);
    dg_free(k->target);
    dg_free(k);
}

/* Seed 000's shape: body is a JSON string holding Message and Output. */
static void
cmd_answer(struct cmd *k, int code, const char *message, cJSON *output)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "Message", message);
    cJSON_AddItemToObject(body, "Output", output ? output : cJSON_CreateNull());
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    cJSON *reply = cJSON_CreateObject();
    cJSON_AddNumberToObject(reply, "statusCode", code);
    cJSON_AddStringToObject(reply, "body", text);
    cJSON_free(text);
    k->done(reply, DG_OK, k->ctx);
    cJSON_Delete(reply);
    cmd_free(k);
}

static int
cmd_failed(struct cmd *k, dg_rc rc, const struct dg_err *err, const char *what)
{
    if (rc == DG_OK)
        return 0;
    if (rc == DG_ECANCELLED) {
        k->done(NULL, rc, k->ctx);
        cmd_free(k);
        return 1;
    }
    int nf = err && strstr(err->code, "NotFound") != NULL;
    char *msg = dg_sprintf("%s failed: %s%s%s", what, err ? err->code : "",
                           err && err->code[0] ? ": " : "",
                           err ? err->msg : dg_rc_name(rc));
    cmd_answer(k, nf ? 404 : 500, msg, NULL);
    dg_free(msg);
    return 1;
}

/* Target given as an ARN or an identifier: compare both ways. */
static int
same_cluster(const char *arn, const char *target)
{
    if (strcmp(arn, target) == 0)
        return 1;
    const char *id = strrchr(arn, ':');
    return id && strcmp(id + 1, target) == 0;
}

static cJSON *
gc_json(const struct rds_global_cluster *g, const char *target, int *member)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "GlobalClusterIdentifier", g->id ? g->id : "");
    cJSON_AddStringToObject(o, "Status", g->status ? g->status : "");
    cJSON *m = cJSON_AddArrayToObject(o, "GlobalClusterMembers");
    *member = 0;
    for (size_t i = 0; i < g->nmembers; i++) {
        const struct rds_gc_member *gm = &g->members[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "DBClusterArn",
                                gm->cluster_arn ? gm->cluster_arn : "");
        cJSON_AddBoolToObject(x, "IsWriter", gm->is_writer);
        cJSON_AddItemToArray(m, x);
        if (target && gm->cluster_arn && same_cluster(gm->cluster_arn, target))
            *member = 1;
    }
    if (g->failover.present) {
        cJSON *f = cJSON_AddObjectToObject(o, "FailoverState");
        cJSON_AddStringToObject(f, "Status",
                                g->failover.status ? g->failover.status : "");
    }
    return o;
}

static void
on_clusters(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct cmd *k = ctx;
    if (cmd_failed(k, rc, err, "DescribeDBClusters"))
        return;
    const struct rds_clusters *l = result;
    cJSON *t = cJSON_AddObjectToObject(k->output, "TargetDbCluster");
    if (l->n > 0) {
        cJSON_AddStringToObject(t, "DBClusterIdentifier",
                                l->v[0].id ? l->v[0].id : "");
        cJSON_AddStringToObject(t, "Status",
                                l->v[0].status ? l->v[0].status : "");
    }
    cJSON *out = k->output;
    k->output = NULL;
    cmd_answer(k, 200, "Status retrieved", out);
}

static void
on_global(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct cmd *k = ctx;
    if (cmd_failed(k, rc, err, "DescribeGlobalClusters"))
        return;
    const struct rds_global_clusters *l = result;
    if (l->n == 0) {
        cmd_answer(k, 404, "Global cluster not found", NULL);
        return;
    }
    int member = 0;
    cJSON *g = gc_json(&l->v[0], k->target, &member);
    if (!k->status) {
        cJSON_Delete(g);
        cmd_answer(k, 200,
                   member ? "Validation succeeded: the target is a member of "
                            "the global cluster"
                          : "Validation failed: the target is not a member of "
                            "the global cluster",
                   cJSON_CreateBool(member));
        return;
    }
    k->output = g;
    if (!k->target) {
        cJSON *out = k->output;
        k->output = NULL;
        cmd_answer(k, 200, "Status retrieved", out);
        return;
    }
    rds_describe_db_clusters(k->c, k->region[0] ? k->region : NULL, k->target,
                             on_clusters, k);
}

void
aws_stack_command(const struct svc_client *c, const char *action,
                  const char *global_cluster, const char *target_cluster,
                  aws_command_fn done, void *ctx)
{
    struct cmd *k = dg_calloc(1, sizeof(*k));
    k->c = c;
    k->status = strcmp(action, "status") == 0;
    k->gc = global_cluster ? dg_strdup(global_cluster) : NULL;
    k->target = target_cluster ? dg_strdup(target_cluster) : NULL;
    k->done = done;
    k->ctx = ctx;
    if (!k->target || !rds_arn_region(k->target, k->region, sizeof(k->region)))
        k->region[0] = '\0';
    rds_describe_global_clusters(c, k->region[0] ? k->region : NULL, k->gc,
                                 on_global, k);
}
