/*
 * test_actions.c - every action type's pure predicates (assess, precheck,
 * already_done) on observations built from replies captured from the
 * simulator and moto (tests/data/aws, parsed by the service parsers and
 * shaped by actions_common.c), and variations of them during transitions.
 * Also: every resourceType of the catalog has an action descriptor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/actions_internal.h"
#include "ecs.h"
#include "elasticache.h"
#include "json.h"
#include "mem.h"
#include "rds.h"
#include "actions/registry_actions.h"
#include "runbook.h"
#include "testsupport.h"

#define WEST_ARN "arn:aws:rds:us-west-2:123456789012:cluster:orders-west"
#define EAST_ARN "arn:aws:rds:us-east-1:123456789012:cluster:orders-east"

static char *
slurp(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "aws/%s", name);
    char *s = ts_read_file(ts_data(rel), len);
    ck_assert_msg(s != NULL, "missing fixture %s", name);
    return s;
}

static cJSON *
obs_global(const char *fixture)
{
    size_t n;
    char *body = slurp(fixture, &n);
    struct rds_global_clusters l = {0};
    struct dg_err err;
    ck_assert_int_eq(rds_parse_describe_global_clusters(body, n, &l, &err),
                     DG_OK);
    ck_assert_uint_eq(l.n, 1);
    cJSON *g = act_obs_global(&l.v[0]);
    rds_global_clusters_cleanup(&l);
    free(body);
    return g;
}

static cJSON *
obs_west_cluster(void)
{
    size_t n;
    char *body = slurp("rds-describe-db-clusters.xml", &n);
    struct rds_clusters l = {0};
    struct dg_err err;
    ck_assert_int_eq(rds_parse_describe_db_clusters(body, n, &l, &err), DG_OK);
    ck_assert_uint_eq(l.n, 1);
    cJSON *c = act_obs_cluster(&l.v[0]);
    rds_clusters_cleanup(&l);
    free(body);
    return c;
}

/* {"global": <fixture>, "target_arn": WEST, "cluster": orders-west} */
static cJSON *
aurora_obs(const char *fixture)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "global", obs_global(fixture));
    cJSON_AddStringToObject(o, "target_arn", WEST_ARN);
    cJSON_AddItemToObject(o, "cluster", obs_west_cluster());
    return o;
}

static cJSON *params;

static struct action_step
step_of(const char *type, const char *json)
{
    cJSON_Delete(params);
    params = cJSON_Parse(json);
    ck_assert_ptr_nonnull(params);
    struct action_step st = {.plan_id = "p",
                             .step = "1.1",
                             .type = type,
                             .region = "us-west-2",
                             .params = params};
    return st;
}

static void
teardown(void)
{
    cJSON_Delete(params);
    params = NULL;
}

static const char *AURORA_PARAMS =
    "{\"GlobalClusterIdentifier\":\"orders-global\","
    "\"DBClusterIdentifier\":\"" WEST_ARN "\"}";

static enum action_assess
assess(const struct action_ops *ops, const struct action_step *st,
       const cJSON *obs, char *why, int64_t *hint)
{
    *hint = 0;
    return ops->assess(st, obs, why, 512, hint);
}

/* --- Aurora switchover / failover -------------------------------------- */

START_TEST(aurora_switchover_transitions)
{
    const struct action_ops *ops = &act_switchover_aurora;
    struct action_step st = step_of("SwitchoverAurora", AURORA_PARAMS);
    char why[512];
    int64_t hint;
    /* before: east writes, west is a reader */
    cJSON *o = aurora_obs("rds-describe-global-clusters.xml");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_OK);
    cJSON_Delete(o);
    /* FailoverState pending toward the target: in progress */
    o = aurora_obs("rds-describe-global-clusters-failover-state.xml");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    ck_assert_ptr_nonnull(strstr(why, "FailoverState pending"));
    struct dg_err e;
    dg_err_setc(&e, DG_EREMOTE, "InvalidGlobalClusterStateFault", "busy");
    ck_assert_int_eq(ops->already_done(&st, &e, o), 1);
    /* ... switching-over, and IsWriter already flipped: poll sooner */
    cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "global");
    cJSON *m = cJSON_GetObjectItemCaseSensitive(g, "members");
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(m, 0), "is_writer",
                              cJSON_CreateFalse());
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(m, 1), "is_writer",
                              cJSON_CreateTrue());
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    ck_assert_int_eq(hint, 1000);
    /* a FailoverState toward another cluster: refuse, never done */
    cJSON *f = cJSON_GetObjectItemCaseSensitive(g, "failover");
    cJSON_ReplaceItemInObject(f, "to", cJSON_CreateString(EAST_ARN));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "another operation is in progress"));
    ck_assert_int_eq(ops->already_done(&st, &e, o), 0);
    cJSON_Delete(o);
    /* after: west writes, FailoverState gone, cluster available */
    o = aurora_obs("rds-describe-global-clusters-after-switchover.xml");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    /* the writer flag alone is not enough: the cluster must be available */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(o, "cluster"),
                              "status", cJSON_CreateString("failing-over"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    cJSON_Delete(o);
}
END_TEST

START_TEST(aurora_precheck_refusals)
{
    char why[512];
    /* target not a member */
    struct action_step st = step_of(
        "SwitchoverAurora", "{\"GlobalClusterIdentifier\":\"orders-global\","
                            "\"DBClusterIdentifier\":\"orders-nope\"}");
    cJSON *o = aurora_obs("rds-describe-global-clusters.xml");
    cJSON_ReplaceItemInObject(o, "target_arn", cJSON_CreateNull());
    ck_assert_int_eq(act_switchover_aurora.precheck(&st, o, why, sizeof(why)),
                     DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "orders-nope is not a member"));
    cJSON_Delete(o);
    /* engine versions: a switchover needs the same version; a failover
     * with data loss the same major */
    st = step_of("SwitchoverAurora", AURORA_PARAMS);
    o = aurora_obs("rds-describe-global-clusters.xml");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(o, "cluster"),
                              "engine_version", cJSON_CreateString("15.5"));
    ck_assert_int_eq(act_switchover_aurora.precheck(&st, o, why, sizeof(why)),
                     DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "engine versions"));
    ck_assert_int_eq(
        act_managed_failover_aurora.precheck(&st, o, why, sizeof(why)), DG_OK);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(o, "cluster"),
                              "engine_version", cJSON_CreateString("16.1"));
    ck_assert_int_eq(
        act_managed_failover_aurora.precheck(&st, o, why, sizeof(why)),
        DG_EINVALID);
    cJSON_Delete(o);
    /* no global cluster */
    o = cJSON_Parse("{\"global\":null,\"cluster\":null}");
    ck_assert_int_eq(
        act_planned_failover_aurora.precheck(&st, o, why, sizeof(why)),
        DG_EINVALID);
    ck_assert_ptr_nonnull(
        strstr(why, "global cluster orders-global not found"));
    cJSON_Delete(o);
}
END_TEST

START_TEST(aurora_target_by_id)
{
    /* DBClusterIdentifier given as an id matches the member ARN */
    struct action_step st = step_of("ManagedFailoverAurora",
                                    "{\"GlobalClusterIdentifier\":"
                                    "\"orders-global\",\"DBClusterIdentifier\":"
                                    "\"orders-west\"}");
    cJSON *o = aurora_obs("rds-describe-global-clusters-after-switchover.xml");
    cJSON_ReplaceItemInObject(o, "target_arn", cJSON_CreateNull());
    char why[512];
    int64_t hint;
    ck_assert_int_eq(assess(&act_managed_failover_aurora, &st, o, why, &hint),
                     ACTION_GOAL_HOLDS);
    cJSON_Delete(o);
}
END_TEST

/* --- detach and promote ------------------------------------------------ */

START_TEST(aurora_detach_transitions)
{
    const struct action_ops *ops = &act_unplanned_failover_aurora;
    struct action_step st = step_of("UnPlannedFailoverAurora", AURORA_PARAMS);
    char why[512];
    int64_t hint;
    cJSON *o = aurora_obs("rds-describe-global-clusters.xml");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_OK);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "cluster");
    cJSON_ReplaceItemInObject(c, "status", cJSON_CreateString("promoting"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    /* left the members, standalone, still promoting */
    cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "global");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(g, "members"),
                              1);
    cJSON_ReplaceItemInObject(c, "global_cluster_id", cJSON_CreateNull());
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    struct dg_err e;
    dg_err_setc(&e, DG_EREMOTE, "InvalidParameterValue", "not a member");
    ck_assert_int_eq(ops->already_done(&st, &e, o), 1);
    cJSON_ReplaceItemInObject(c, "status", cJSON_CreateString("available"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    cJSON_Delete(o);
    /* refusing to detach the writer */
    o = aurora_obs("rds-describe-global-clusters-after-switchover.xml");
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "is the writer"));
    cJSON_Delete(o);
}
END_TEST

/* --- create secondary ---------------------------------------------------- */

START_TEST(create_secondary_transitions)
{
    const struct action_ops *ops = &act_create_aurora_secondary;
    struct action_step st = step_of(
        "CreateAuroraSecondaryDBCluster",
        "{\"GlobalClusterIdentifier\":\"orders-global\","
        "\"DBClusterIdentifier\":\"orders-west\",\"DBInstanceIdentifier\":"
        "\"orders-west-instance-1\",\"DBInstanceClass\":\"db.r6g.large\","
        "\"Engine\":\"aurora-postgresql\"}");
    char why[512];
    int64_t hint;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "global",
                          obs_global("rds-describe-global-clusters.xml"));
    cJSON_AddNullToObject(o, "cluster");
    cJSON_AddNullToObject(o, "instance");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_OK);
    cJSON_ReplaceItemInObject(o, "cluster", obs_west_cluster());
    cJSON_ReplaceItemInObject(
        o, "instance",
        cJSON_Parse("{\"id\":\"orders-west-instance-1\",\"status\":"
                    "\"creating\"}"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    cJSON_ReplaceItemInObject(
        o, "instance",
        cJSON_Parse("{\"id\":\"orders-west-instance-1\",\"status\":"
                    "\"available\"}"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    cJSON_Delete(o);
}
END_TEST

/* --- RDS read replica ---------------------------------------------------- */

#define REPLICA_SRC "arn:aws:rds:us-east-1:123456789012:db:orders-reporting"
#define REPLICA_ARN                                                            \
    "arn:aws:rds:us-west-2:123456789012:db:orders-reporting-replica"
#define CREP_ARN "arn:aws:rds:us-west-2:123456789012:cluster:capture-rep"

/* {"instance": orders-reporting-replica}: an available cross-region read
 * replica of REPLICA_SRC (captured from the simulator). */
static cJSON *
replica_instance_obs(void)
{
    size_t n;
    char *body = slurp("rds-describe-db-instances.xml", &n);
    struct rds_instances l = {0};
    struct dg_err err;
    ck_assert_int_eq(rds_parse_describe_db_instances(body, n, &l, &err), DG_OK);
    free(body);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "instance", act_obs_instance(&l.v[0]));
    rds_instances_cleanup(&l);
    return o;
}

/* {"cluster": capture-rep}: a read-replica DB cluster of orders-west
 * (PromoteReadReplicaDBCluster's captured reply), made "available" as it
 * was right before the call. */
static cJSON *
replica_cluster_obs(void)
{
    size_t n;
    char *body = slurp("rds-promote-read-replica-db-cluster.xml", &n);
    struct rds_cluster c = {0};
    struct dg_err err;
    ck_assert_int_eq(rds_parse_cluster_reply("PromoteReadReplicaDBCluster",
                                             body, n, &c, &err),
                     DG_OK);
    free(body);
    cJSON *o = cJSON_CreateObject();
    cJSON *x = act_obs_cluster(&c);
    rds_cluster_cleanup(&c);
    ck_assert_str_eq(dg_json_str(x, "replication_source"), WEST_ARN);
    cJSON_ReplaceItemInObject(x, "status", cJSON_CreateString("available"));
    cJSON_AddItemToObject(o, "cluster", x);
    return o;
}

static void
set_field(cJSON *obs, const char *key, const char *field, const char *v)
{
    cJSON *r = cJSON_GetObjectItemCaseSensitive(obs, key);
    cJSON_ReplaceItemInObject(r, field,
                              v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* The life of one promotion, for either form: key/src name the
 * observation's resource and its replication source field; promoting is
 * the status AWS shows during the transition. */
static void
replica_life(const char *pjson, cJSON *(*obs_fn)(void), const char *key,
             const char *src, const char *promoting)
{
    const struct action_ops *ops = &act_promote_rds_replica;
    struct action_step st = step_of("PromoteRDSReadReplica", pjson);
    struct dg_err err = {0};
    char why[512];
    int64_t hint;
    cJSON *o = obs_fn();
    /* before: an available replica: promote it */
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_ptr_nonnull(strstr(why, "available read replica of"));
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_OK);
    ck_assert_int_eq(ops->already_done(&st, &err, o), 0);
    /* the executor persists this as the baseline with 'intent' */
    cJSON *baseline = cJSON_Duplicate(o, 1);
    st.baseline = baseline;
    /* accepted, not visible yet: still NOT_STARTED (the executor waits
     * sent_grace_ms before issuing again) */
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    set_field(o, key, "status", promoting);
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    ck_assert_int_eq(hint, 1000);
    ck_assert_int_eq(ops->already_done(&st, &err, o), 1);
    set_field(o, key, src, NULL);
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    ck_assert_ptr_nonnull(strstr(why, "no longer a replica"));
    set_field(o, key, "status", "available");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    ck_assert_ptr_nonnull(strstr(why, "was promoted"));
    /* a call refused because it was already promoted counts as sent */
    ck_assert_int_eq(ops->already_done(&st, &err, o), 1);
    /* the same standalone state without this step's baseline: never seen
     * as a replica, so not "already satisfied"; precheck says why */
    st.baseline = NULL;
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_ptr_nonnull(strstr(why, "never saw as a read replica"));
    ck_assert_int_eq(ops->already_done(&st, &err, o), 0);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "is not a read replica"));
    ck_assert_ptr_nonnull(strstr(why, "cannot tell an earlier promotion"));
    /* a baseline that was not a replica does not count either */
    st.baseline = o;
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    st.baseline = NULL;
    /* a replica that is not available: precheck refuses, assess waits */
    cJSON_Delete(o);
    o = obs_fn();
    set_field(o, key, "status", "modifying");
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "is modifying, not available"));
    /* not found */
    cJSON_ReplaceItemInObject(o, key, cJSON_CreateNull());
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "not found"));
    cJSON_Delete(o);
    cJSON_Delete(baseline);
}

START_TEST(replica_instance_transitions)
{
    replica_life("{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
                 "\"BackupRetentionPeriod\":\"7\"}",
                 replica_instance_obs, "instance", "read_replica_source",
                 "modifying");
}
END_TEST

START_TEST(replica_cluster_transitions)
{
    replica_life("{\"DBClusterIdentifier\":\"capture-rep\"}",
                 replica_cluster_obs, "cluster", "replication_source",
                 "promoting");
    /* the cluster form observes the cluster, not an instance */
    const struct action_ops *ops = &act_promote_rds_replica;
    struct action_step st = step_of(
        "PromoteRDSReadReplica", "{\"DBClusterIdentifier\":\"" CREP_ARN "\"}");
    char why[512];
    int64_t hint;
    cJSON *o = replica_instance_obs();
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "cluster " CREP_ARN " not found"));
    cJSON_Delete(o);
    /* a global database member is not a read-replica cluster */
    o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "cluster", obs_west_cluster());
    st = step_of("PromoteRDSReadReplica",
                 "{\"DBClusterIdentifier\":\"orders-west\"}");
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "member of global cluster"));
    ck_assert_ptr_nonnull(strstr(why, "UnPlannedFailoverAurora"));
    cJSON_Delete(o);
}
END_TEST

/* TargetClusterIdentifier: checked when it is an RDS db/cluster ARN,
 * informational otherwise. */
static const struct {
    const char *params;
    int instance; /* 1: the instance fixture, 0: the cluster one */
    dg_rc want;
} target_table[] = {
    /* seed 001 Test Case #4 as the sandbox binds it: the replica's ARN */
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"" REPLICA_ARN "\"}",
     1, DG_OK},
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"" REPLICA_SRC "\"}",
     1, DG_OK}, /* its source */
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"orders-somewhere-else\"}",
     1, DG_OK}, /* a bare name: informational */
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"arn:aws:rds::123456789012:global-"
     "cluster:orders-global\"}",
     1, DG_OK}, /* a global cluster ARN: informational */
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"arn:aws:rds:us-west-2:123456789012:db:"
     "orders-other\"}",
     1, DG_EINVALID}, /* another instance */
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"arn:aws:rds:us-east-1:123456789012:db:"
     "orders-reporting-replica\"}",
     1, DG_EINVALID}, /* same name, other region */
    {"{\"RDSInstanceIdentifier\":\"orders-reporting-replica\","
     "\"TargetClusterIdentifier\":\"arn:aws:rds:us-west-2:123456789012:"
     "cluster:orders-reporting-replica\"}",
     1, DG_EINVALID}, /* a cluster, not the instance */
    {"{\"DBClusterIdentifier\":\"capture-rep\","
     "\"TargetClusterIdentifier\":\"" CREP_ARN "\"}",
     0, DG_OK},
    {"{\"DBClusterIdentifier\":\"capture-rep\","
     "\"TargetClusterIdentifier\":\"" WEST_ARN "\"}",
     0, DG_OK}, /* its source */
    {"{\"DBClusterIdentifier\":\"capture-rep\","
     "\"TargetClusterIdentifier\":\"" EAST_ARN "\"}",
     0, DG_EINVALID},
};

START_TEST(replica_target_identifier)
{
    const struct action_ops *ops = &act_promote_rds_replica;
    struct action_step st =
        step_of("PromoteRDSReadReplica", target_table[_i].params);
    cJSON *o = target_table[_i].instance ? replica_instance_obs()
                                         : replica_cluster_obs();
    char why[512] = "";
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)),
                     target_table[_i].want);
    if (target_table[_i].want != DG_OK)
        ck_assert_msg(strstr(why, "names neither the") != NULL, "%s", why);
    cJSON_Delete(o);
}
END_TEST

/* Runbook validation: exactly one of RDSInstanceIdentifier and
 * DBClusterIdentifier; BackupRetentionPeriod only with the instance. */
static const struct {
    const char *params;
    const char *expect; /* "" when valid */
} replica_runbooks[] = {
    {"{\"RDSInstanceIdentifier\":\"!Import rds-mysql-instance-identifier\","
     "\"TargetClusterIdentifier\":\"!Import rds-mysql-instance-global-arn\"}",
     ""},
    {"{\"DBClusterIdentifier\":\"orders-replica\"}", ""},
    {"{\"RDSInstanceIdentifier\":\"r\",\"BackupRetentionPeriod\":\"7\"}", ""},
    {"{\"RDSInstanceIdentifier\":\"r\",\"DBClusterIdentifier\":\"c\"}",
     "rb: /StatePayload/0/resources/0/parameters: PromoteRDSReadReplica "
     "needs exactly one of RDSInstanceIdentifier, DBClusterIdentifier (got "
     "more than one)\n"},
    {"{\"TargetClusterIdentifier\":\"t\"}",
     "rb: /StatePayload/0/resources/0/parameters: PromoteRDSReadReplica "
     "needs exactly one of RDSInstanceIdentifier, DBClusterIdentifier (got "
     "none)\n"},
    {"{\"DBClusterIdentifier\":\"c\",\"BackupRetentionPeriod\":7}",
     "rb: /StatePayload/0/resources/0/parameters/BackupRetentionPeriod: "
     "PromoteRDSReadReplica takes it only with RDSInstanceIdentifier\n"},
};

START_TEST(replica_runbook_validation)
{
    char doc[1024];
    snprintf(
        doc, sizeof(doc),
        "{\"StatePayload\":[{\"layer\":1,\"resources\":[{"
        "\"resourceType\":\"PromoteRDSReadReplica\",\"parameters\":%s}]}]}",
        replica_runbooks[_i].params);
    cJSON *d = cJSON_Parse(doc);
    ck_assert_ptr_nonnull(d);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    dg_rc rc = runbook_validate(d, 0, "rb", &errors);
    ck_assert_str_eq(dg_buf_str(&errors), replica_runbooks[_i].expect);
    ck_assert_int_eq(rc, replica_runbooks[_i].expect[0] ? DG_EINVALID : DG_OK);
    dg_buf_cleanup(&errors);
    cJSON_Delete(d);
}
END_TEST

/* --- ElastiCache -----------------------------------------------------------
 */

START_TEST(elasticache_transitions)
{
    const struct action_ops *ops = &act_failover_elasticache;
    struct action_step st = step_of(
        "FailoverElastiCacheCluster",
        "{\"GlobalReplicationGroupId\":\"ldgnf-orders-cache\",\"TargetRegion\":"
        "\"us-west-2\",\"TargetReplicationGroupId\":\"orders-cache-west\"}");
    size_t n;
    char *body =
        slurp("elasticache-describe-global-replication-groups.xml", &n);
    struct elasticache_global_groups l = {0};
    struct dg_err err;
    ck_assert_int_eq(
        elasticache_parse_describe_global_replication_groups(body, n, &l, &err),
        DG_OK);
    free(body);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "global", act_obs_grg(&l.v[0]));
    elasticache_global_groups_cleanup(&l);
    char why[512];
    int64_t hint;
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_OK);
    cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "global");
    cJSON_ReplaceItemInObject(g, "status", cJSON_CreateString("modifying"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    cJSON *m = cJSON_GetObjectItemCaseSensitive(g, "members");
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(m, 0), "role",
                              cJSON_CreateString("SECONDARY"));
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(m, 1), "role",
                              cJSON_CreateString("PRIMARY"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    ck_assert_int_eq(hint, 1000);
    cJSON_ReplaceItemInObject(g, "status", cJSON_CreateString("available"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    cJSON_Delete(o);
    /* a target in another region is not a member */
    st = step_of("FailoverElastiCacheCluster",
                 "{\"GlobalReplicationGroupId\":\"ldgnf-orders-cache\","
                 "\"TargetRegion\":\"eu-west-1\",\"TargetReplicationGroupId\":"
                 "\"orders-cache-west\"}");
    o = cJSON_Parse("{\"global\":{\"id\":\"ldgnf-orders-cache\",\"status\":"
                    "\"available\",\"members\":[]}}");
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "not a member"));
    cJSON_Delete(o);
}
END_TEST

/* --- Route53 ------------------------------------------------------------- */

static const struct {
    const char *obs;
    enum action_assess want;
} r53_cases[] = {
    {"{\"record\":{\"values\":[\"orders-west.example.\"]},\"change\":null}",
     ACTION_GOAL_HOLDS},
    {"{\"record\":{\"values\":[\"ORDERS-WEST.example\"]},\"change\":"
     "{\"id\":\"C1\",\"status\":\"INSYNC\"}}",
     ACTION_GOAL_HOLDS},
    {"{\"record\":{\"values\":[\"orders-west.example\"]},\"change\":"
     "{\"id\":\"C1\",\"status\":\"PENDING\"}}",
     ACTION_IN_PROGRESS},
    {"{\"record\":{\"values\":[\"orders-east.example\"]},\"change\":null}",
     ACTION_NOT_STARTED},
    {"{\"record\":null,\"change\":null}", ACTION_NOT_STARTED},
    {"{\"record\":{\"values\":[\"orders-west.example\",\"x\"]},\"change\":"
     "null}",
     ACTION_NOT_STARTED},
};

START_TEST(route53_table)
{
    struct action_step st =
        step_of("UpdateRoute53Record",
                "{\"HostedZoneId\":\"Z1\",\"RecordName\":\"db.example.\","
                "\"RecordValue\":\"orders-west.example\"}");
    cJSON *o = cJSON_Parse(r53_cases[_i].obs);
    char why[512];
    int64_t hint;
    ck_assert_int_eq(assess(&act_update_route53, &st, o, why, &hint),
                     r53_cases[_i].want);
    cJSON_Delete(o);
}
END_TEST

/* --- ECS -------------------------------------------------------------------
 */

START_TEST(ecs_transitions)
{
    const struct action_ops *ops = &act_redeploy_ecs;
    struct action_step st = step_of("RedeployEcsService",
                                    "{\"Cluster\":\"orders-west\",\"Service\":"
                                    "\"orders-api\"}");
    size_t n;
    char *body = slurp("ecs-describe-services.json", &n);
    struct ecs_services l = {0};
    struct dg_err err;
    ck_assert_int_eq(ecs_parse_describe_services(body, n, &l, &err), DG_OK);
    free(body);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "service", act_obs_ecs(&l.v[0]));
    ecs_services_cleanup(&l);
    char why[512];
    int64_t hint;
    /* no deployment of ours yet */
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_NOT_STARTED);
    ck_assert_int_eq(ops->precheck(&st, o, why, sizeof(why)), DG_OK);
    /* a new deployment next to the old one, rolling */
    cJSON *memo = cJSON_Parse("{\"deployment_id\":\"ecs-svc/new\"}");
    st.memo = memo;
    cJSON *svc = cJSON_GetObjectItemCaseSensitive(o, "service");
    cJSON *deps = cJSON_GetObjectItemCaseSensitive(svc, "deployments");
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(deps, 0), "status",
                              cJSON_CreateString("ACTIVE"));
    cJSON_AddItemToArray(
        deps, cJSON_Parse("{\"id\":\"ecs-svc/new\",\"status\":\"PRIMARY\","
                          "\"rollout_state\":\"IN_PROGRESS\",\"desired\":2,"
                          "\"running\":0,\"pending\":2}"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_IN_PROGRESS);
    cJSON *nd = cJSON_GetArrayItem(deps, 1);
    cJSON_ReplaceItemInObject(nd, "rollout_state",
                              cJSON_CreateString("COMPLETED"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    cJSON_ReplaceItemInObject(nd, "rollout_state",
                              cJSON_CreateString("FAILED"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_BROKEN);
    /* after a crash without the answer: the baseline finds it */
    st.memo = NULL;
    cJSON *base = cJSON_Parse(
        "{\"service\":{\"deployments\":[{\"id\":\"ecs-svc/879979507523977440\","
        "\"status\":\"PRIMARY\"}]}}");
    st.baseline = base;
    cJSON_ReplaceItemInObject(nd, "rollout_state",
                              cJSON_CreateString("COMPLETED"));
    ck_assert_int_eq(assess(ops, &st, o, why, &hint), ACTION_GOAL_HOLDS);
    ck_assert_ptr_nonnull(strstr(why, "ecs-svc/new"));
    cJSON_Delete(base);
    cJSON_Delete(memo);
    cJSON_Delete(o);
}
END_TEST

/* --- read-only ------------------------------------------------------------ */

START_TEST(validate_and_status)
{
    struct action_step st = step_of("ValidateAuroraGlobal", AURORA_PARAMS);
    char why[512];
    int64_t hint;
    cJSON *o = aurora_obs("rds-describe-global-clusters.xml");
    ck_assert_int_eq(assess(&act_validate_aurora, &st, o, why, &hint),
                     ACTION_GOAL_HOLDS);
    ck_assert(act_validate_aurora.mutate == NULL);
    cJSON_Delete(o);
    o = aurora_obs("rds-describe-global-clusters-after-switchover.xml");
    ck_assert_int_eq(assess(&act_validate_aurora, &st, o, why, &hint),
                     ACTION_NOT_STARTED);
    ck_assert_int_eq(act_validate_aurora.precheck(&st, o, why, sizeof(why)),
                     DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(why, "already the writer"));
    ck_assert_int_eq(assess(&act_aurora_status, &st, o, why, &hint),
                     ACTION_GOAL_HOLDS);
    ck_assert_ptr_nonnull(strstr(why, "writer " WEST_ARN));
    cJSON_Delete(o);
}
END_TEST

START_TEST(every_catalog_type_has_an_action)
{
    size_t n = 0;
    for (const struct runbook_type *t = runbook_types(); t->name; t++, n++) {
        const struct action_ops *ops = actions_aws_find(t->name, NULL);
        ck_assert_msg(ops != NULL, "no action for %s", t->name);
        ck_assert(ops->observe != NULL);
        ck_assert(ops->assess != NULL);
        ck_assert(ops->precheck != NULL);
        ck_assert_msg((ops->mutate != NULL) == (t->mutating != 0),
                      "%s: mutate vs catalog", t->name);
    }
    ck_assert_uint_eq(n, 11);
    size_t m = 0;
    for (const struct action_ops *const *a = actions_aws_all(); *a; a++)
        m++;
    ck_assert_uint_eq(m, n);
    ck_assert_ptr_null(actions_aws_find("DeleteEverything", NULL));
}
END_TEST

START_TEST(params_and_arns)
{
    struct action_step st =
        step_of("X", "{\"a\":\"True\",\"b\":\"7\",\"c\":false,\"d\":3}");
    ck_assert_int_eq(act_param_bool(&st, "a"), 1);
    ck_assert_int_eq(act_param_bool(&st, "c"), 0);
    ck_assert_int_eq(act_param_bool(&st, "z"), -1);
    ck_assert_int_eq(act_param_int(&st, "b", -1), 7);
    ck_assert_int_eq(act_param_int(&st, "d", -1), 3);
    ck_assert_int_eq(act_param_int(&st, "a", -1), -1);
    char r[64];
    ck_assert_int_eq(act_arn_region(WEST_ARN, r, sizeof(r)), 1);
    ck_assert_str_eq(r, "us-west-2");
    ck_assert_int_eq(act_arn_region("orders-west", r, sizeof(r)), 0);
    ck_assert(act_same_cluster(WEST_ARN, "orders-west"));
    ck_assert(act_same_cluster(WEST_ARN, WEST_ARN));
    ck_assert(!act_same_cluster(WEST_ARN, "orders-wes"));
    ck_assert(!act_same_cluster(WEST_ARN, EAST_ARN));
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("actions");
    TCase *tc = tcase_create("predicates");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, aurora_switchover_transitions);
    tcase_add_test(tc, aurora_precheck_refusals);
    tcase_add_test(tc, aurora_target_by_id);
    tcase_add_test(tc, aurora_detach_transitions);
    tcase_add_test(tc, create_secondary_transitions);
    tcase_add_test(tc, replica_instance_transitions);
    tcase_add_test(tc, replica_cluster_transitions);
    tcase_add_loop_test(tc, replica_target_identifier, 0,
                        (int)(sizeof(target_table) / sizeof(target_table[0])));
    tcase_add_loop_test(
        tc, replica_runbook_validation, 0,
        (int)(sizeof(replica_runbooks) / sizeof(replica_runbooks[0])));
    tcase_add_test(tc, elasticache_transitions);
    tcase_add_loop_test(tc, route53_table, 0,
                        (int)(sizeof(r53_cases) / sizeof(r53_cases[0])));
    tcase_add_test(tc, ecs_transitions);
    tcase_add_test(tc, validate_and_status);
    tcase_add_test(tc, every_catalog_type_has_an_action);
    tcase_add_test(tc, params_and_arns);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    dg_mem_init();
    return ts_run(suite());
}
