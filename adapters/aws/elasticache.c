/*
 * elasticache.c - Amazon ElastiCache over the query protocol: global
 * datastore describe and failover, replication group describe. Pure
 * builders and parsers, thin asynchronous wrappers.
 *
 * Ownership: result structs own their strings (_cleanup frees).
 * Errors: DG_EINVALID "bad_request" / "bad_response".
 */
#include <string.h>

#include "awsxml.h"
#include "client.h"
#include "elasticache.h"
#include "mem.h"

#define EC_MAX_MEMBERS 64

dg_rc
elasticache_build_describe_global_replication_groups(const char *id,
                                                     const char *marker,
                                                     struct dg_buf *out,
                                                     struct dg_err *err)
{
    dg_buf_reset(out);
    if ((id && aws_query_add(out, "GlobalReplicationGroupId", id)) ||
        (marker && aws_query_add(out, "Marker", marker)) ||
        aws_query_add(out, "ShowMemberInfo", "true"))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "DescribeGlobalReplicationGroups: request too "
                           "large");
    return DG_OK;
}

dg_rc
elasticache_build_failover_global_replication_group(const char *id,
                                                    const char *primary_region,
                                                    const char *primary_group,
                                                    struct dg_buf *out,
                                                    struct dg_err *err)
{
    static const char op[] = "FailoverGlobalReplicationGroup";
    if (svc_need(op, "GlobalReplicationGroupId", id, err) ||
        svc_need(op, "PrimaryRegion", primary_region, err) ||
        svc_need(op, "PrimaryReplicationGroupId", primary_group, err))
        return DG_EINVALID;
    dg_buf_reset(out);
    if (aws_query_add(out, "GlobalReplicationGroupId", id) ||
        aws_query_add(out, "PrimaryRegion", primary_region) ||
        aws_query_add(out, "PrimaryReplicationGroupId", primary_group))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: request too large", op);
    return DG_OK;
}

dg_rc
elasticache_build_describe_replication_groups(const char *id,
                                              const char *marker,
                                              struct dg_buf *out,
                                              struct dg_err *err)
{
    dg_buf_reset(out);
    if ((id && aws_query_add(out, "ReplicationGroupId", id)) ||
        (marker && aws_query_add(out, "Marker", marker)))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "DescribeReplicationGroups: request too large");
    return DG_OK;
}

void
elasticache_global_group_cleanup(struct elasticache_global_group *g)
{
    if (!g)
        return;
    dg_free(g->id);
    dg_free(g->status);
    dg_free(g->engine);
    dg_free(g->engine_version);
    for (size_t i = 0; i < g->nmembers; i++) {
        dg_free(g->members[i].replication_group_id);
        dg_free(g->members[i].region);
        dg_free(g->members[i].role);
        dg_free(g->members[i].status);
    }
    dg_free(g->members);
    memset(g, 0, sizeof(*g));
}

void
elasticache_global_groups_cleanup(struct elasticache_global_groups *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        elasticache_global_group_cleanup(&l->v[i]);
    dg_free(l->v);
    dg_free(l->marker);
    memset(l, 0, sizeof(*l));
}

void
elasticache_replication_groups_cleanup(struct elasticache_replication_groups *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        dg_free(l->v[i].id);
        dg_free(l->v[i].status);
        dg_free(l->v[i].global_id);
        dg_free(l->v[i].global_role);
    }
    dg_free(l->v);
    dg_free(l->marker);
    memset(l, 0, sizeof(*l));
}

const struct elasticache_grg_member *
elasticache_global_group_primary(const struct elasticache_global_group *g)
{
    for (size_t i = 0; g && i < g->nmembers; i++)
        if (g->members[i].role && strcmp(g->members[i].role, "PRIMARY") == 0)
            return &g->members[i];
    return NULL;
}

static dg_rc
parse_member(const char *op, const struct awsxml_node *m, void *item,
             struct dg_err *err)
{
    struct elasticache_grg_member *gm = item;
    dg_rc rc;
    if ((rc = svc_xml_str(op, m, "ReplicationGroupId", SVC_MAX_ID, 1,
                          &gm->replication_group_id, err)) ||
        (rc = svc_xml_str(op, m, "ReplicationGroupRegion", SVC_MAX_ID, 1,
                          &gm->region, err)) ||
        (rc = svc_xml_str(op, m, "Role", SVC_MAX_ID, 1, &gm->role, err)))
        return rc;
    return svc_xml_str(op, m, "Status", SVC_MAX_ID, 0, &gm->status, err);
}

static dg_rc
parse_group(const char *op, const struct awsxml_node *n, void *item,
            struct dg_err *err)
{
    struct elasticache_global_group *g = item;
    void *members = NULL;
    dg_rc rc = svc_xml_str(op, n, "GlobalReplicationGroupId", SVC_MAX_ID, 1,
                           &g->id, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Status", SVC_MAX_ID, 1, &g->status, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Engine", SVC_MAX_ID, 0, &g->engine, err);
    if (!rc)
        rc = svc_xml_str(op, n, "EngineVersion", SVC_MAX_ID, 0,
                         &g->engine_version, err);
    if (!rc)
        rc = svc_xml_items(op, awsxml_child(n, "Members"),
                           "GlobalReplicationGroupMember", EC_MAX_MEMBERS,
                           sizeof(*g->members), parse_member, &members,
                           &g->nmembers, err);
    g->members = members;
    return rc;
}

static dg_rc
parse_replication_group(const char *op, const struct awsxml_node *c, void *item,
                        struct dg_err *err)
{
    struct elasticache_replication_group *g = item;
    dg_rc rc;
    if ((rc = svc_xml_str(op, c, "ReplicationGroupId", SVC_MAX_ID, 1, &g->id,
                          err)) ||
        (rc = svc_xml_str(op, c, "Status", SVC_MAX_ID, 1, &g->status, err)) ||
        (rc = svc_xml_str(op, c,
                          "GlobalReplicationGroupInfo/"
                          "GlobalReplicationGroupId",
                          SVC_MAX_ID, 0, &g->global_id, err)))
        return rc;
    return svc_xml_str(op, c,
                       "GlobalReplicationGroupInfo/"
                       "GlobalReplicationGroupMemberRole",
                       SVC_MAX_ID, 0, &g->global_role, err);
}

dg_rc
elasticache_parse_describe_global_replication_groups(
    const char *body, size_t len, struct elasticache_global_groups *out,
    struct dg_err *err)
{
    void *v;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    rc = svc_xml_list("DescribeGlobalReplicationGroups", body, len,
                      "GlobalReplicationGroups", "GlobalReplicationGroup",
                      sizeof(*out->v), parse_group, &v, &out->n, &out->marker,
                      err);
    out->v = v;
    if (rc)
        elasticache_global_groups_cleanup(out);
    return rc;
}

dg_rc
elasticache_parse_failover_global_replication_group(
    const char *body, size_t len, struct elasticache_global_group *out,
    struct dg_err *err)
{
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    rc = svc_xml_single("FailoverGlobalReplicationGroup", body, len,
                        "GlobalReplicationGroup", parse_group, out, err);
    if (rc)
        elasticache_global_group_cleanup(out);
    return rc;
}

dg_rc
elasticache_parse_describe_replication_groups(
    const char *body, size_t len, struct elasticache_replication_groups *out,
    struct dg_err *err)
{
    void *v;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    rc = svc_xml_list("DescribeReplicationGroups", body, len,
                      "ReplicationGroups", "ReplicationGroup", sizeof(*out->v),
                      parse_replication_group, &v, &out->n, &out->marker, err);
    out->v = v;
    if (rc)
        elasticache_replication_groups_cleanup(out);
    return rc;
}

/* --- asynchronous wrappers --- */

SVC_OP(op_ggs, struct elasticache_global_groups,
       elasticache_parse_describe_global_replication_groups,
       elasticache_global_groups_cleanup);
SVC_OP(op_gg, struct elasticache_global_group,
       elasticache_parse_failover_global_replication_group,
       elasticache_global_group_cleanup);
SVC_OP(op_rgs, struct elasticache_replication_groups,
       elasticache_parse_describe_replication_groups,
       elasticache_replication_groups_cleanup);

void
elasticache_describe_global_replication_groups(const struct svc_client *c,
                                               const char *region,
                                               const char *id, svc_done_fn done,
                                               void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = elasticache_build_describe_global_replication_groups(id, NULL, &b.body,
                                                              &b.err);
    svc_send(c, &aws_svc_elasticache, region, "DescribeGlobalReplicationGroups",
             1, &b, rc, &op_ggs, done, ctx);
}

void
elasticache_failover_global_replication_group(const struct svc_client *c,
                                              const char *region,
                                              const char *id,
                                              const char *primary_region,
                                              const char *primary_group,
                                              svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = elasticache_build_failover_global_replication_group(
        id, primary_region, primary_group, &b.body, &b.err);
    svc_send(c, &aws_svc_elasticache, region, "FailoverGlobalReplicationGroup",
             0, &b, rc, &op_gg, done, ctx);
}

void
elasticache_describe_replication_groups(const struct svc_client *c,
                                        const char *region, const char *id,
                                        svc_done_fn done, void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = elasticache_build_describe_replication_groups(id, NULL, &b.body,
                                                       &b.err);
    svc_send(c, &aws_svc_elasticache, region, "DescribeReplicationGroups", 1,
             &b, rc, &op_rgs, done, ctx);
}
