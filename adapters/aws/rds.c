/*
 * rds.c - Amazon RDS over the query protocol: Aurora global database
 * describe/failover/switchover/detach, cluster and instance creation and
 * replica promotion. Pure builders and parsers, thin asynchronous
 * wrappers.
 *
 * Ownership: result structs own their strings; the _cleanup functions free
 * them (and accept zeroed structs).
 * Errors: DG_EINVALID "bad_request" / "bad_response".
 */
#include <stdio.h>
#include <string.h>

#include "arn.h"
#include "awsxml.h"
#include "client.h"
#include "mem.h"
#include "rds.h"

#define RDS_MAX_MEMBERS 64

/* --- builders --- */

static dg_rc
too_large(struct dg_err *err, const char *op)
{
    return dg_err_setc(err, DG_EINVALID, "bad_request", "%s: request too large",
                       op);
}

static dg_rc
add_opt(struct dg_buf *b, const char *key, const char *value)
{
    return value ? aws_query_add(b, key, value) : DG_OK;
}

static dg_rc
add_bool(struct dg_buf *b, const char *key, int v)
{
    return v < 0 ? DG_OK : aws_query_add(b, key, v ? "true" : "false");
}

static dg_rc
build_describe(const char *op, const char *idkey, const char *id,
               const char *marker, struct dg_buf *out, struct dg_err *err)
{
    dg_buf_reset(out);
    if ((id && !*id) || (marker && !*marker))
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: empty identifier or marker", op);
    if (add_opt(out, idkey, id) || add_opt(out, "Marker", marker))
        return too_large(err, op);
    return DG_OK;
}

dg_rc
rds_build_describe_global_clusters(const char *id, const char *marker,
                                   struct dg_buf *out, struct dg_err *err)
{
    return build_describe("DescribeGlobalClusters", "GlobalClusterIdentifier",
                          id, marker, out, err);
}

dg_rc
rds_build_describe_db_clusters(const char *id, const char *marker,
                               struct dg_buf *out, struct dg_err *err)
{
    return build_describe("DescribeDBClusters", "DBClusterIdentifier", id,
                          marker, out, err);
}

dg_rc
rds_build_describe_db_instances(const char *id, const char *marker,
                                struct dg_buf *out, struct dg_err *err)
{
    return build_describe("DescribeDBInstances", "DBInstanceIdentifier", id,
                          marker, out, err);
}

static dg_rc
build_pair(const char *op, const char *k1, const char *v1, const char *k2,
           const char *v2, struct dg_buf *out, struct dg_err *err)
{
    if (svc_need(op, k1, v1, err) || svc_need(op, k2, v2, err))
        return DG_EINVALID;
    dg_buf_reset(out);
    if (aws_query_add(out, k1, v1) || aws_query_add(out, k2, v2))
        return too_large(err, op);
    return DG_OK;
}

dg_rc
rds_build_failover_global_cluster(const char *global_id, const char *target,
                                  int allow_data_loss, int switchover,
                                  struct dg_buf *out, struct dg_err *err)
{
    static const char op[] = "FailoverGlobalCluster";
    dg_rc rc = build_pair(op, "GlobalClusterIdentifier", global_id,
                          "TargetDbClusterIdentifier", target, out, err);
    if (rc)
        return rc;
    if (allow_data_loss > 0 && switchover > 0)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: AllowDataLoss and Switchover exclude each "
                           "other",
                           op);
    if (add_bool(out, "AllowDataLoss", allow_data_loss) ||
        add_bool(out, "Switchover", switchover))
        return too_large(err, op);
    return DG_OK;
}

dg_rc
rds_build_switchover_global_cluster(const char *global_id, const char *target,
                                    struct dg_buf *out, struct dg_err *err)
{
    return build_pair("SwitchoverGlobalCluster", "GlobalClusterIdentifier",
                      global_id, "TargetDbClusterIdentifier", target, out, err);
}

dg_rc
rds_build_remove_from_global_cluster(const char *global_id, const char *cluster,
                                     struct dg_buf *out, struct dg_err *err)
{
    return build_pair("RemoveFromGlobalCluster", "GlobalClusterIdentifier",
                      global_id, "DbClusterIdentifier", cluster, out, err);
}

dg_rc
rds_build_create_db_cluster(const struct rds_create_cluster_params *p,
                            struct dg_buf *out, struct dg_err *err)
{
    static const char op[] = "CreateDBCluster";
    dg_rc rc;
    if (svc_need(op, "DBClusterIdentifier", p->cluster_id, err) ||
        svc_need(op, "Engine", p->engine, err))
        return DG_EINVALID;
    if (p->port < 0 || p->port > 65535 || p->backup_retention > 35)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "%s: Port or BackupRetentionPeriod out of range",
                           op);
    dg_buf_reset(out);
    rc = aws_query_add(out, "DBClusterIdentifier", p->cluster_id);
    if (!rc)
        rc = aws_query_add(out, "Engine", p->engine);
    if (!rc)
        rc = add_opt(out, "EngineVersion", p->engine_version);
    if (!rc)
        rc = add_opt(out, "GlobalClusterIdentifier", p->global_cluster_id);
    if (!rc)
        rc = add_opt(out, "ReplicationSourceIdentifier", p->replication_source);
    if (!rc)
        rc = add_opt(out, "DBSubnetGroupName", p->db_subnet_group);
    for (size_t i = 0; !rc && i < p->nvpc_security_group_ids; i++)
        rc =
            svc_query_addk(out, p->vpc_security_group_ids[i],
                           "VpcSecurityGroupIds.VpcSecurityGroupId.%zu", i + 1);
    if (!rc)
        rc = add_opt(out, "KmsKeyId", p->kms_key_id);
    if (!rc && p->port > 0)
        rc = svc_query_int(out, "Port", p->port);
    if (!rc && p->backup_retention >= 0)
        rc = svc_query_int(out, "BackupRetentionPeriod", p->backup_retention);
    if (!rc)
        rc = add_bool(out, "StorageEncrypted", p->storage_encrypted);
    if (!rc)
        rc = add_bool(out, "DeletionProtection", p->deletion_protection);
    if (!rc)
        rc = add_bool(out, "EnableIAMDatabaseAuthentication", p->iam_auth);
    if (!rc)
        rc = add_bool(out, "CopyTagsToSnapshot", p->copy_tags_to_snapshot);
    return rc ? too_large(err, op) : DG_OK;
}

dg_rc
rds_build_create_db_instance(const struct rds_create_instance_params *p,
                             struct dg_buf *out, struct dg_err *err)
{
    static const char op[] = "CreateDBInstance";
    dg_rc rc;
    if (svc_need(op, "DBInstanceIdentifier", p->instance_id, err) ||
        svc_need(op, "DBClusterIdentifier", p->cluster_id, err) ||
        svc_need(op, "DBInstanceClass", p->instance_class, err) ||
        svc_need(op, "Engine", p->engine, err))
        return DG_EINVALID;
    dg_buf_reset(out);
    rc = aws_query_add(out, "DBInstanceIdentifier", p->instance_id);
    if (!rc)
        rc = aws_query_add(out, "DBInstanceClass", p->instance_class);
    if (!rc)
        rc = aws_query_add(out, "Engine", p->engine);
    if (!rc)
        rc = aws_query_add(out, "DBClusterIdentifier", p->cluster_id);
    if (!rc && p->monitoring_interval >= 0)
        rc = svc_query_int(out, "MonitoringInterval", p->monitoring_interval);
    if (!rc)
        rc = add_opt(out, "MonitoringRoleArn", p->monitoring_role_arn);
    if (!rc)
        rc = add_bool(out, "AutoMinorVersionUpgrade",
                      p->auto_minor_version_upgrade);
    return rc ? too_large(err, op) : DG_OK;
}

dg_rc
rds_build_promote_read_replica(const char *instance_id, int backup_retention,
                               struct dg_buf *out, struct dg_err *err)
{
    static const char op[] = "PromoteReadReplica";
    if (svc_need(op, "DBInstanceIdentifier", instance_id, err))
        return DG_EINVALID;
    dg_buf_reset(out);
    if (aws_query_add(out, "DBInstanceIdentifier", instance_id) ||
        (backup_retention >= 0 &&
         svc_query_int(out, "BackupRetentionPeriod", backup_retention)))
        return too_large(err, op);
    return DG_OK;
}

dg_rc
rds_build_promote_read_replica_db_cluster(const char *cluster_id,
                                          struct dg_buf *out,
                                          struct dg_err *err)
{
    static const char op[] = "PromoteReadReplicaDBCluster";
    if (svc_need(op, "DBClusterIdentifier", cluster_id, err))
        return DG_EINVALID;
    dg_buf_reset(out);
    if (aws_query_add(out, "DBClusterIdentifier", cluster_id))
        return too_large(err, op);
    return DG_OK;
}

/* --- cleanup and lookups --- */

void
rds_global_cluster_cleanup(struct rds_global_cluster *g)
{
    if (!g)
        return;
    dg_free(g->id);
    dg_free(g->arn);
    dg_free(g->status);
    dg_free(g->engine);
    dg_free(g->engine_version);
    for (size_t i = 0; i < g->nmembers; i++) {
        dg_free(g->members[i].cluster_arn);
        svc_strv_cleanup(&g->members[i].readers);
        dg_free(g->members[i].write_forwarding);
        dg_free(g->members[i].sync_status);
    }
    dg_free(g->members);
    dg_free(g->failover.status);
    dg_free(g->failover.from_arn);
    dg_free(g->failover.to_arn);
    memset(g, 0, sizeof(*g));
}

void
rds_cluster_cleanup(struct rds_cluster *c)
{
    if (!c)
        return;
    dg_free(c->id);
    dg_free(c->arn);
    dg_free(c->status);
    dg_free(c->endpoint);
    dg_free(c->reader_endpoint);
    dg_free(c->engine);
    dg_free(c->engine_version);
    dg_free(c->global_cluster_id);
    dg_free(c->replication_source);
    svc_strv_cleanup(&c->read_replicas);
    for (size_t i = 0; i < c->nmembers; i++)
        dg_free(c->members[i].instance_id);
    dg_free(c->members);
    memset(c, 0, sizeof(*c));
}

void
rds_instance_cleanup(struct rds_instance *i)
{
    if (!i)
        return;
    dg_free(i->id);
    dg_free(i->arn);
    dg_free(i->status);
    dg_free(i->engine);
    dg_free(i->cluster_id);
    dg_free(i->read_replica_source);
    dg_free(i->endpoint_address);
    memset(i, 0, sizeof(*i));
}

void
rds_global_clusters_cleanup(struct rds_global_clusters *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        rds_global_cluster_cleanup(&l->v[i]);
    dg_free(l->v);
    dg_free(l->marker);
    memset(l, 0, sizeof(*l));
}

void
rds_clusters_cleanup(struct rds_clusters *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        rds_cluster_cleanup(&l->v[i]);
    dg_free(l->v);
    dg_free(l->marker);
    memset(l, 0, sizeof(*l));
}

void
rds_instances_cleanup(struct rds_instances *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        rds_instance_cleanup(&l->v[i]);
    dg_free(l->v);
    dg_free(l->marker);
    memset(l, 0, sizeof(*l));
}

const struct rds_gc_member *
rds_global_cluster_member(const struct rds_global_cluster *g, const char *arn)
{
    for (size_t i = 0; g && arn && i < g->nmembers; i++)
        if (strcmp(g->members[i].cluster_arn, arn) == 0)
            return &g->members[i];
    return NULL;
}

const struct rds_gc_member *
rds_global_cluster_writer(const struct rds_global_cluster *g)
{
    for (size_t i = 0; g && i < g->nmembers; i++)
        if (g->members[i].is_writer)
            return &g->members[i];
    return NULL;
}

int
rds_arn_region(const char *arn, char *out, size_t outlen)
{
    struct dg_arn a;
    return dg_arn_parse(arn, &a) && dg_arn_copy(&a, DG_ARN_REGION, out, outlen);
}

/* --- parsers --- */

static dg_rc
parse_gc_member(const char *op, const struct awsxml_node *m, void *item,
                struct dg_err *err)
{
    struct rds_gc_member *out = item;
    dg_rc rc = svc_xml_str(op, m, "DBClusterArn", SVC_MAX_ID, 1,
                           &out->cluster_arn, err);
    if (!rc)
        rc = svc_xml_bool(op, m, "IsWriter", 1, 0, &out->is_writer, err);
    if (!rc)
        rc = svc_xml_strv(op, awsxml_child(m, "Readers"), "member",
                          RDS_MAX_MEMBERS, SVC_MAX_ID, &out->readers, err);
    if (!rc)
        rc = svc_xml_str(op, m, "GlobalWriteForwardingStatus", SVC_MAX_ID, 0,
                         &out->write_forwarding, err);
    if (!rc)
        rc = svc_xml_str(op, m, "SynchronizationStatus", SVC_MAX_ID, 0,
                         &out->sync_status, err);
    return rc;
}

static dg_rc
parse_global_cluster(const char *op, const struct awsxml_node *n, void *item,
                     struct dg_err *err)
{
    struct rds_global_cluster *g = item;
    const struct awsxml_node *fs;
    void *members = NULL;
    dg_rc rc = svc_xml_str(op, n, "GlobalClusterIdentifier", SVC_MAX_ID, 1,
                           &g->id, err);
    if (!rc)
        rc =
            svc_xml_str(op, n, "GlobalClusterArn", SVC_MAX_ID, 0, &g->arn, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Status", SVC_MAX_ID, 1, &g->status, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Engine", SVC_MAX_ID, 0, &g->engine, err);
    if (!rc)
        rc = svc_xml_str(op, n, "EngineVersion", SVC_MAX_ID, 0,
                         &g->engine_version, err);
    if (!rc)
        rc = svc_xml_items(op, awsxml_child(n, "GlobalClusterMembers"),
                           "GlobalClusterMember", RDS_MAX_MEMBERS,
                           sizeof(*g->members), parse_gc_member, &members,
                           &g->nmembers, err);
    g->members = members;
    if (rc)
        return rc;
    fs = awsxml_child(n, "FailoverState");
    if (fs) {
        g->failover.present = 1;
        rc = svc_xml_str(op, fs, "Status", SVC_MAX_ID, 0, &g->failover.status,
                         err);
        if (!rc)
            rc = svc_xml_str(op, fs, "FromDbClusterArn", SVC_MAX_ID, 0,
                             &g->failover.from_arn, err);
        if (!rc)
            rc = svc_xml_str(op, fs, "ToDbClusterArn", SVC_MAX_ID, 0,
                             &g->failover.to_arn, err);
        if (!rc)
            rc = svc_xml_bool(op, fs, "IsDataLossAllowed", 0, 0,
                              &g->failover.data_loss_allowed, err);
    }
    return rc;
}

static dg_rc
parse_cluster_member(const char *op, const struct awsxml_node *m, void *item,
                     struct dg_err *err)
{
    struct rds_cluster_member *cm = item;
    dg_rc rc = svc_xml_str(op, m, "DBInstanceIdentifier", SVC_MAX_ID, 1,
                           &cm->instance_id, err);
    if (!rc)
        rc = svc_xml_bool(op, m, "IsClusterWriter", 0, 0, &cm->is_writer, err);
    return rc;
}

static dg_rc
parse_cluster(const char *op, const struct awsxml_node *n, void *item,
              struct dg_err *err)
{
    struct rds_cluster *c = item;
    void *members = NULL;
    dg_rc rc =
        svc_xml_str(op, n, "DBClusterIdentifier", SVC_MAX_ID, 1, &c->id, err);
    if (!rc)
        rc = svc_xml_str(op, n, "DBClusterArn", SVC_MAX_ID, 0, &c->arn, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Status", SVC_MAX_ID, 1, &c->status, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Endpoint", SVC_MAX_ID, 0, &c->endpoint, err);
    if (!rc)
        rc = svc_xml_str(op, n, "ReaderEndpoint", SVC_MAX_ID, 0,
                         &c->reader_endpoint, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Engine", SVC_MAX_ID, 0, &c->engine, err);
    if (!rc)
        rc = svc_xml_str(op, n, "EngineVersion", SVC_MAX_ID, 0,
                         &c->engine_version, err);
    if (!rc)
        rc = svc_xml_str(op, n, "GlobalClusterIdentifier", SVC_MAX_ID, 0,
                         &c->global_cluster_id, err);
    if (!rc)
        rc = svc_xml_str(op, n, "ReplicationSourceIdentifier", SVC_MAX_ID, 0,
                         &c->replication_source, err);
    if (!rc)
        rc = svc_xml_strv(op, awsxml_child(n, "ReadReplicaIdentifiers"),
                          "ReadReplicaIdentifier", RDS_MAX_MEMBERS, SVC_MAX_ID,
                          &c->read_replicas, err);
    if (!rc)
        rc = svc_xml_items(op, awsxml_child(n, "DBClusterMembers"),
                           "DBClusterMember", RDS_MAX_MEMBERS,
                           sizeof(*c->members), parse_cluster_member, &members,
                           &c->nmembers, err);
    c->members = members;
    return rc;
}

static dg_rc
parse_instance(const char *op, const struct awsxml_node *n, void *item,
               struct dg_err *err)
{
    struct rds_instance *i = item;
    dg_rc rc =
        svc_xml_str(op, n, "DBInstanceIdentifier", SVC_MAX_ID, 1, &i->id, err);
    if (!rc)
        rc = svc_xml_str(op, n, "DBInstanceArn", SVC_MAX_ID, 0, &i->arn, err);
    if (!rc)
        rc = svc_xml_str(op, n, "DBInstanceStatus", SVC_MAX_ID, 1, &i->status,
                         err);
    if (!rc)
        rc = svc_xml_str(op, n, "Engine", SVC_MAX_ID, 0, &i->engine, err);
    if (!rc)
        rc = svc_xml_str(op, n, "DBClusterIdentifier", SVC_MAX_ID, 0,
                         &i->cluster_id, err);
    if (!rc)
        rc = svc_xml_str(op, n, "ReadReplicaSourceDBInstanceIdentifier",
                         SVC_MAX_ID, 0, &i->read_replica_source, err);
    if (!rc)
        rc = svc_xml_str(op, n, "Endpoint/Address", SVC_MAX_ID, 0,
                         &i->endpoint_address, err);
    return rc;
}

dg_rc
rds_parse_describe_global_clusters(const char *body, size_t len,
                                   struct rds_global_clusters *out,
                                   struct dg_err *err)
{
    void *v;
    dg_rc rc =
        svc_xml_list("DescribeGlobalClusters", body, len, "GlobalClusters",
                     "GlobalClusterMember", sizeof(*out->v),
                     parse_global_cluster, &v, &out->n, &out->marker, err);
    out->v = v;
    if (rc)
        rds_global_clusters_cleanup(out);
    return rc;
}

dg_rc
rds_parse_describe_db_clusters(const char *body, size_t len,
                               struct rds_clusters *out, struct dg_err *err)
{
    void *v;
    dg_rc rc = svc_xml_list("DescribeDBClusters", body, len, "DBClusters",
                            "DBCluster", sizeof(*out->v), parse_cluster, &v,
                            &out->n, &out->marker, err);
    out->v = v;
    if (rc)
        rds_clusters_cleanup(out);
    return rc;
}

dg_rc
rds_parse_describe_db_instances(const char *body, size_t len,
                                struct rds_instances *out, struct dg_err *err)
{
    void *v;
    dg_rc rc = svc_xml_list("DescribeDBInstances", body, len, "DBInstances",
                            "DBInstance", sizeof(*out->v), parse_instance, &v,
                            &out->n, &out->marker, err);
    out->v = v;
    if (rc)
        rds_instances_cleanup(out);
    return rc;
}

dg_rc
rds_parse_global_cluster_reply(const char *op, const char *body, size_t len,
                               struct rds_global_cluster *out,
                               struct dg_err *err)
{
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    rc = svc_xml_single(op, body, len, "GlobalCluster", parse_global_cluster,
                        out, err);
    if (rc)
        rds_global_cluster_cleanup(out);
    return rc;
}

dg_rc
rds_parse_cluster_reply(const char *op, const char *body, size_t len,
                        struct rds_cluster *out, struct dg_err *err)
{
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    rc = svc_xml_single(op, body, len, "DBCluster", parse_cluster, out, err);
    if (rc)
        rds_cluster_cleanup(out);
    return rc;
}

dg_rc
rds_parse_instance_reply(const char *op, const char *body, size_t len,
                         struct rds_instance *out, struct dg_err *err)
{
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    rc = svc_xml_single(op, body, len, "DBInstance", parse_instance, out, err);
    if (rc)
        rds_instance_cleanup(out);
    return rc;
}

/* --- asynchronous wrappers --- */

SVC_OP(op_gcs, struct rds_global_clusters, rds_parse_describe_global_clusters,
       rds_global_clusters_cleanup);
SVC_OP(op_clusters, struct rds_clusters, rds_parse_describe_db_clusters,
       rds_clusters_cleanup);
SVC_OP(op_instances, struct rds_instances, rds_parse_describe_db_instances,
       rds_instances_cleanup);
/* The single-object replies: the svc_call arg is the operation name. */
SVC_OP_NAMED(op_gc, struct rds_global_cluster, rds_parse_global_cluster_reply,
             rds_global_cluster_cleanup);
SVC_OP_NAMED(op_cluster, struct rds_cluster, rds_parse_cluster_reply,
             rds_cluster_cleanup);
SVC_OP_NAMED(op_instance, struct rds_instance, rds_parse_instance_reply,
             rds_instance_cleanup);

static void
start(const struct svc_client *c, const char *region, const char *op,
      int idempotent, struct dg_buf *b, dg_rc rc, const struct dg_err *err,
      const struct svc_op *sop, svc_done_fn done, void *ctx)
{
    struct aws_request req = {.svc = &aws_svc_rds,
                              .region = region,
                              .operation = op,
                              .idempotent = idempotent};
    svc_call(c, &req, b, rc, err, sop, dg_strdup(op), done, ctx);
}

#define RDS_CALL(op, idem, sop, build)                                         \
    do {                                                                       \
        struct dg_buf b;                                                       \
        struct dg_err err;                                                     \
        dg_rc rc;                                                              \
        dg_buf_init(&b, SVC_MAX_BODY);                                         \
        dg_err_clear(&err);                                                    \
        rc = (build);                                                          \
        start(c, region, op, idem, &b, rc, &err, sop, done, ctx);              \
    } while (0)

void
rds_describe_global_clusters(const struct svc_client *c, const char *region,
                             const char *id, svc_done_fn done, void *ctx)
{
    RDS_CALL("DescribeGlobalClusters", 1, &op_gcs,
             rds_build_describe_global_clusters(id, NULL, &b, &err));
}

void
rds_describe_db_clusters(const struct svc_client *c, const char *region,
                         const char *id, svc_done_fn done, void *ctx)
{
    RDS_CALL("DescribeDBClusters", 1, &op_clusters,
             rds_build_describe_db_clusters(id, NULL, &b, &err));
}

void
rds_describe_db_instances(const struct svc_client *c, const char *region,
                          const char *id, svc_done_fn done, void *ctx)
{
    RDS_CALL("DescribeDBInstances", 1, &op_instances,
             rds_build_describe_db_instances(id, NULL, &b, &err));
}

/* The mutating calls are not blindly resent (idempotent 0): the executor
 * re-describes and decides. */
void
rds_failover_global_cluster(const struct svc_client *c, const char *region,
                            const char *global_id, const char *target,
                            int allow_data_loss, int switchover,
                            svc_done_fn done, void *ctx)
{
    RDS_CALL("FailoverGlobalCluster", 0, &op_gc,
             rds_build_failover_global_cluster(
                 global_id, target, allow_data_loss, switchover, &b, &err));
}

void
rds_switchover_global_cluster(const struct svc_client *c, const char *region,
                              const char *global_id, const char *target,
                              svc_done_fn done, void *ctx)
{
    RDS_CALL("SwitchoverGlobalCluster", 0, &op_gc,
             rds_build_switchover_global_cluster(global_id, target, &b, &err));
}

void
rds_remove_from_global_cluster(const struct svc_client *c, const char *region,
                               const char *global_id, const char *cluster,
                               svc_done_fn done, void *ctx)
{
    RDS_CALL(
        "RemoveFromGlobalCluster", 0, &op_gc,
        rds_build_remove_from_global_cluster(global_id, cluster, &b, &err));
}

void
rds_create_db_cluster(const struct svc_client *c, const char *region,
                      const struct rds_create_cluster_params *p,
                      svc_done_fn done, void *ctx)
{
    RDS_CALL("CreateDBCluster", 0, &op_cluster,
             rds_build_create_db_cluster(p, &b, &err));
}

void
rds_create_db_instance(const struct svc_client *c, const char *region,
                       const struct rds_create_instance_params *p,
                       svc_done_fn done, void *ctx)
{
    RDS_CALL("CreateDBInstance", 0, &op_instance,
             rds_build_create_db_instance(p, &b, &err));
}

void
rds_promote_read_replica(const struct svc_client *c, const char *region,
                         const char *instance_id, int backup_retention,
                         svc_done_fn done, void *ctx)
{
    RDS_CALL("PromoteReadReplica", 0, &op_instance,
             rds_build_promote_read_replica(instance_id, backup_retention, &b,
                                            &err));
}

void
rds_promote_read_replica_db_cluster(const struct svc_client *c,
                                    const char *region, const char *cluster_id,
                                    svc_done_fn done, void *ctx)
{
    RDS_CALL("PromoteReadReplicaDBCluster", 0, &op_cluster,
             rds_build_promote_read_replica_db_cluster(cluster_id, &b, &err));
}
