#ifndef DRGATE_ELASTICACHE_H
#define DRGATE_ELASTICACHE_H
/*
 * Amazon ElastiCache (query protocol, 2015-02-02): global datastores
 * (DescribeGlobalReplicationGroups with member info,
 * FailoverGlobalReplicationGroup) and DescribeReplicationGroups. Builders
 * and parsers are pure; see svc.h for the conventions.
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

struct elasticache_grg_member {
    char *replication_group_id;
    char *region;
    char *role; /* "PRIMARY" | "SECONDARY" */
    char *status;
};

struct elasticache_global_group {
    char *id;
    char *status;
    char *engine;
    char *engine_version;
    struct elasticache_grg_member *members;
    size_t nmembers;
};

struct elasticache_global_groups {
    struct elasticache_global_group *v;
    size_t n;
    char *marker;
};

struct elasticache_replication_group {
    char *id;
    char *status;
    char *global_id;   /* GlobalReplicationGroupInfo, or NULL */
    char *global_role; /* "PRIMARY" | "SECONDARY" or NULL */
};

struct elasticache_replication_groups {
    struct elasticache_replication_group *v;
    size_t n;
    char *marker;
};

/* id NULL: all. ShowMemberInfo is always true. */
dg_rc elasticache_build_describe_global_replication_groups(const char *id,
                                                           const char *marker,
                                                           struct dg_buf *out,
                                                           struct dg_err *err);
dg_rc elasticache_build_failover_global_replication_group(
    const char *id, const char *primary_region, const char *primary_group,
    struct dg_buf *out, struct dg_err *err);
dg_rc elasticache_build_describe_replication_groups(const char *id,
                                                    const char *marker,
                                                    struct dg_buf *out,
                                                    struct dg_err *err);

dg_rc elasticache_parse_describe_global_replication_groups(
    const char *body, size_t len, struct elasticache_global_groups *out,
    struct dg_err *err);
dg_rc elasticache_parse_failover_global_replication_group(
    const char *body, size_t len, struct elasticache_global_group *out,
    struct dg_err *err);
dg_rc elasticache_parse_describe_replication_groups(
    const char *body, size_t len, struct elasticache_replication_groups *out,
    struct dg_err *err);

void elasticache_global_group_cleanup(struct elasticache_global_group *g);
void elasticache_global_groups_cleanup(struct elasticache_global_groups *l);
void elasticache_replication_groups_cleanup(
    struct elasticache_replication_groups *l);
/* The PRIMARY member, or NULL. */
const struct elasticache_grg_member *
elasticache_global_group_primary(const struct elasticache_global_group *g);

/* Asynchronous wrappers. Results: struct elasticache_global_groups,
 * struct elasticache_global_group, struct elasticache_replication_groups. */
void elasticache_describe_global_replication_groups(const struct svc_client *c,
                                                    const char *region,
                                                    const char *id,
                                                    svc_done_fn done,
                                                    void *ctx);
void elasticache_failover_global_replication_group(const struct svc_client *c,
                                                   const char *region,
                                                   const char *id,
                                                   const char *primary_region,
                                                   const char *primary_group,
                                                   svc_done_fn done, void *ctx);
void elasticache_describe_replication_groups(const struct svc_client *c,
                                             const char *region, const char *id,
                                             svc_done_fn done, void *ctx);

#endif
