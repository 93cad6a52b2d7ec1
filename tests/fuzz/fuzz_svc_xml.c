/*
 * fuzz_svc_xml.c - every XML (query and REST-XML) reply parser of the AWS
 * service modules on the same input: each must accept or refuse it with a
 * reason, and clean up without leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cfn.h"
#include "cloudwatch.h"
#include "elasticache.h"
#include "mem.h"
#include "rds.h"
#include "route53.h"
#include "sns.h"
#include "sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(dg_rc rc, const struct dg_err *err)
{
    if (rc != DG_OK && (!err->code[0] || !err->msg[0]))
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    const char *b = (const char *)data;
    struct dg_err err;
    char *id = NULL;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
#define RUN(call, cleanup)                                                     \
    do {                                                                       \
        dg_err_clear(&err);                                                    \
        check(call, &err);                                                     \
        cleanup;                                                               \
    } while (0)
    {
        struct svc_map m;
        RUN(sns_parse_publish(b, size, &id, &err), dg_free(id));
        RUN(sns_parse_get_topic_attributes(b, size, &m, &err),
            svc_map_cleanup(&m));
    }
    {
        struct rds_global_clusters g;
        struct rds_clusters c;
        struct rds_instances i;
        struct rds_global_cluster g1;
        struct rds_cluster c1;
        struct rds_instance i1;
        RUN(rds_parse_describe_global_clusters(b, size, &g, &err),
            rds_global_clusters_cleanup(&g));
        RUN(rds_parse_describe_db_clusters(b, size, &c, &err),
            rds_clusters_cleanup(&c));
        RUN(rds_parse_describe_db_instances(b, size, &i, &err),
            rds_instances_cleanup(&i));
        RUN(rds_parse_global_cluster_reply("FailoverGlobalCluster", b, size,
                                           &g1, &err),
            rds_global_cluster_cleanup(&g1));
        RUN(rds_parse_cluster_reply("CreateDBCluster", b, size, &c1, &err),
            rds_cluster_cleanup(&c1));
        RUN(rds_parse_instance_reply("PromoteReadReplica", b, size, &i1, &err),
            rds_instance_cleanup(&i1));
    }
    {
        struct elasticache_global_groups gg;
        struct elasticache_global_group g;
        struct elasticache_replication_groups rg;
        RUN(elasticache_parse_describe_global_replication_groups(b, size, &gg,
                                                                 &err),
            elasticache_global_groups_cleanup(&gg));
        RUN(elasticache_parse_failover_global_replication_group(b, size, &g,
                                                                &err),
            elasticache_global_group_cleanup(&g));
        RUN(elasticache_parse_describe_replication_groups(b, size, &rg, &err),
            elasticache_replication_groups_cleanup(&rg));
    }
    {
        struct route53_change c;
        struct route53_rrsets l;
        struct route53_zone z;
        RUN(route53_parse_change("GetChange", b, size, &c, &err),
            route53_change_cleanup(&c));
        RUN(route53_parse_list_rrsets(b, size, &l, &err),
            route53_rrsets_cleanup(&l));
        RUN(route53_parse_get_hosted_zone(b, size, &z, &err),
            route53_zone_cleanup(&z));
    }
    {
        struct cfn_exports e;
        struct sts_identity s;
        memset(&e, 0, sizeof(e));
        RUN(cfn_parse_list_exports(b, size, &e, &err), cfn_exports_cleanup(&e));
        RUN(sts_parse_get_caller_identity(b, size, &s, &err),
            sts_identity_cleanup(&s));
    }
    {
        struct cw_datapoints d;
        RUN(cw_parse_get_metric_statistics(b, size, "Maximum", &d, &err),
            cw_datapoints_cleanup(&d));
    }
    return 0;
}
