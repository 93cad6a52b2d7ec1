#ifndef DRGATE_RDS_H
#define DRGATE_RDS_H
/*
 * Amazon RDS (query protocol, 2014-10-31): the Aurora global database and
 * replica calls the executor and `validate --live` need. Builders and
 * parsers are pure; see svc.h for the conventions.
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

struct rds_gc_member {
    char *cluster_arn;
    int is_writer;
    struct svc_strv readers;
    char *write_forwarding; /* GlobalWriteForwardingStatus or NULL */
    char *sync_status;      /* SynchronizationStatus or NULL */
};

struct rds_failover_state {
    int present; /* 0: no FailoverState element */
    char *status;
    char *from_arn;
    char *to_arn;
    int data_loss_allowed;
};

struct rds_global_cluster {
    char *id;
    char *arn;
    char *status;
    char *engine;
    char *engine_version;
    struct rds_gc_member *members;
    size_t nmembers;
    struct rds_failover_state failover;
};

struct rds_cluster_member {
    char *instance_id;
    int is_writer;
};

struct rds_cluster {
    char *id;
    char *arn;
    char *status;
    char *endpoint;
    char *reader_endpoint;
    char *engine;
    char *engine_version;
    char *global_cluster_id;  /* GlobalClusterIdentifier or NULL */
    char *replication_source; /* ReplicationSourceIdentifier or NULL */
    struct svc_strv read_replicas;
    struct rds_cluster_member *members;
    size_t nmembers;
};

struct rds_instance {
    char *id;
    char *arn;
    char *status;
    char *engine;
    char *cluster_id;          /* DBClusterIdentifier or NULL */
    char *read_replica_source; /* ReadReplicaSourceDBInstanceIdentifier */
    char *endpoint_address;
};

/* Describe* replies: lists and the pagination marker (NULL at the end). */
struct rds_global_clusters {
    struct rds_global_cluster *v;
    size_t n;
    char *marker;
};
struct rds_clusters {
    struct rds_cluster *v;
    size_t n;
    char *marker;
};
struct rds_instances {
    struct rds_instance *v;
    size_t n;
    char *marker;
};

struct rds_create_cluster_params {
    const char *cluster_id;         /* required */
    const char *engine;             /* required */
    const char *engine_version;     /* optional */
    const char *global_cluster_id;  /* optional */
    const char *replication_source; /* optional */
    const char *db_subnet_group;    /* optional */
    const char *const *vpc_security_group_ids;
    size_t nvpc_security_group_ids;
    const char *kms_key_id; /* optional */
    int port;               /* 0: default */
    int backup_retention;   /* -1: default */
    int storage_encrypted;  /* -1: default, else 0/1 */
    int deletion_protection;
    int iam_auth;
    int copy_tags_to_snapshot;
};

struct rds_create_instance_params {
    const char *instance_id;    /* required */
    const char *cluster_id;     /* required */
    const char *instance_class; /* required */
    const char *engine;         /* required */
    int monitoring_interval;    /* -1: default */
    const char *monitoring_role_arn;
    int auto_minor_version_upgrade; /* -1: default */
};

/* Builders (form-encoded parameters without Action and Version). id may
 * be NULL for "all"; marker NULL for the first page. */
dg_rc rds_build_describe_global_clusters(const char *id, const char *marker,
                                         struct dg_buf *out,
                                         struct dg_err *err);
dg_rc rds_build_describe_db_clusters(const char *id, const char *marker,
                                     struct dg_buf *out, struct dg_err *err);
dg_rc rds_build_describe_db_instances(const char *id, const char *marker,
                                      struct dg_buf *out, struct dg_err *err);
/* allow_data_loss, switchover: -1 leaves the parameter out, else 0/1. */
dg_rc rds_build_failover_global_cluster(const char *global_id,
                                        const char *target, int allow_data_loss,
                                        int switchover, struct dg_buf *out,
                                        struct dg_err *err);
dg_rc rds_build_switchover_global_cluster(const char *global_id,
                                          const char *target,
                                          struct dg_buf *out,
                                          struct dg_err *err);
dg_rc rds_build_remove_from_global_cluster(const char *global_id,
                                           const char *cluster,
                                           struct dg_buf *out,
                                           struct dg_err *err);
dg_rc rds_build_create_db_cluster(const struct rds_create_cluster_params *p,
                                  struct dg_buf *out, struct dg_err *err);
dg_rc rds_build_create_db_instance(const struct rds_create_instance_params *p,
                                   struct dg_buf *out, struct dg_err *err);
dg_rc rds_build_promote_read_replica(const char *instance_id,
                                     int backup_retention, struct dg_buf *out,
                                     struct dg_err *err);
dg_rc rds_build_promote_read_replica_db_cluster(const char *cluster_id,
                                                struct dg_buf *out,
                                                struct dg_err *err);

/* Parsers. */
dg_rc rds_parse_describe_global_clusters(const char *body, size_t len,
                                         struct rds_global_clusters *out,
                                         struct dg_err *err);
dg_rc rds_parse_describe_db_clusters(const char *body, size_t len,
                                     struct rds_clusters *out,
                                     struct dg_err *err);
dg_rc rds_parse_describe_db_instances(const char *body, size_t len,
                                      struct rds_instances *out,
                                      struct dg_err *err);
/* op: "FailoverGlobalCluster", "SwitchoverGlobalCluster" or
 * "RemoveFromGlobalCluster" (their replies hold one GlobalCluster). */
dg_rc rds_parse_global_cluster_reply(const char *op, const char *body,
                                     size_t len, struct rds_global_cluster *out,
                                     struct dg_err *err);
/* op: "CreateDBCluster" or "PromoteReadReplicaDBCluster". */
dg_rc rds_parse_cluster_reply(const char *op, const char *body, size_t len,
                              struct rds_cluster *out, struct dg_err *err);
/* op: "CreateDBInstance" or "PromoteReadReplica". */
dg_rc rds_parse_instance_reply(const char *op, const char *body, size_t len,
                               struct rds_instance *out, struct dg_err *err);

void rds_global_cluster_cleanup(struct rds_global_cluster *g);
void rds_cluster_cleanup(struct rds_cluster *c);
void rds_instance_cleanup(struct rds_instance *i);
void rds_global_clusters_cleanup(struct rds_global_clusters *l);
void rds_clusters_cleanup(struct rds_clusters *l);
void rds_instances_cleanup(struct rds_instances *l);

/* The member whose DBClusterArn is arn, or NULL. */
const struct rds_gc_member *
rds_global_cluster_member(const struct rds_global_cluster *g, const char *arn);
/* The writer member, or NULL. */
const struct rds_gc_member *
rds_global_cluster_writer(const struct rds_global_cluster *g);
/* The region field of an ARN ("arn:aws:rds:REGION:...") into out; 0 when
 * the ARN has none. */
int rds_arn_region(const char *arn, char *out, size_t outlen);

/* Asynchronous wrappers (region NULL: the client's). Results: struct
 * rds_global_clusters / rds_clusters / rds_instances for Describe*, struct
 * rds_global_cluster for Failover/Switchover/Remove, struct rds_cluster
 * for CreateDBCluster and PromoteReadReplicaDBCluster, struct rds_instance
 * for CreateDBInstance and PromoteReadReplica. */
void rds_describe_global_clusters(const struct svc_client *c,
                                  const char *region, const char *id,
                                  svc_done_fn done, void *ctx);
void rds_describe_db_clusters(const struct svc_client *c, const char *region,
                              const char *id, svc_done_fn done, void *ctx);
void rds_describe_db_instances(const struct svc_client *c, const char *region,
                               const char *id, svc_done_fn done, void *ctx);
void rds_failover_global_cluster(const struct svc_client *c, const char *region,
                                 const char *global_id, const char *target,
                                 int allow_data_loss, int switchover,
                                 svc_done_fn done, void *ctx);
void rds_switchover_global_cluster(const struct svc_client *c,
                                   const char *region, const char *global_id,
                                   const char *target, svc_done_fn done,
                                   void *ctx);
void rds_remove_from_global_cluster(const struct svc_client *c,
                                    const char *region, const char *global_id,
                                    const char *cluster, svc_done_fn done,
                                    void *ctx);
void rds_create_db_cluster(const struct svc_client *c, const char *region,
                           const struct rds_create_cluster_params *p,
                           svc_done_fn done, void *ctx);
void rds_create_db_instance(const struct svc_client *c, const char *region,
                            const struct rds_create_instance_params *p,
                            svc_done_fn done, void *ctx);
void rds_promote_read_replica(const struct svc_client *c, const char *region,
                              const char *instance_id, int backup_retention,
                              svc_done_fn done, void *ctx);
void rds_promote_read_replica_db_cluster(const struct svc_client *c,
                                         const char *region,
                                         const char *cluster_id,
                                         svc_done_fn done, void *ctx);

#endif
