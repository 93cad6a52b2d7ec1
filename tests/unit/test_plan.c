/*
 * test_plan.c - the runbook catalog, runbook validation, plan binding,
 * canonical form and digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "json.h"
#include "mem.h"
#include "plan.h"
#include "runbook.h"
#include "testsupport.h"

static const char *const library[] = {
    "aurora-switchover.json",     "aurora-failover.json",
    "aurora-detach-promote.json", "aurora-failback-create-secondary.json",
    "rds-replica-promotion.json", "elasticache-failover.json",
    "route53-flip.json",          "ecs-redeploy.json",
};

static const char *
vars(const char *name, void *ctx)
{
    (void)ctx;
    static const char *const kv[][2] = {
        {"global_cluster_id", "orders-global"},
        {"target_cluster", "arn:aws:rds:us-west-2:123456789012:cluster:w"},
        {"global_replication_group_id", "ldgnf-orders"},
        {"secondary_replication_group_id", "orders-cache-west"},
        {"hosted_zone_id", "Z123"},
        {"writer_record_name", "db.example.internal."},
        {"secondary_writer_endpoint",
         "w.cluster-x.us-west-2.rds.amazonaws.com"},
        {"ecs_cluster_secondary", "orders-west"},
        {"ecs_service_secondary", "orders-api"},
        {"failback_cluster_id", "orders-east-2"},
        {"failback_instance_id", "orders-east-2-1"},
        {"db_instance_class", "db.r6g.large"},
        {"db_engine", "aurora-postgresql"},
        {"db_engine_version", "15.4"},
        {"rds_replica_id", "orders-replica"},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (strcmp(kv[i][0], name) == 0)
            return kv[i][1];
    return NULL;
}

static struct plan *
build(const cJSON *payload, int64_t when, struct dg_buf *errors)
{
    struct plan_input in = {
        .payload = payload,
        .runbook = "test",
        .plan_class = "planned",
        .trigger = "policy",
        .proposed_ms = when,
        .primary_region = "us-east-1",
        .secondary_region = "us-west-2",
        .lookup = vars,
    };
    struct plan *p = NULL;
    (void)plan_build(&in, "test", &p, errors);
    return p;
}

START_TEST(library_runbooks_validate_and_bind)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/config/runbooks/%s", DRGATE_SOURCE_DIR,
             library[_i]);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    cJSON *doc = NULL;
    ck_assert_msg(runbook_load(path, &doc, &errors) == DG_OK, "%s",
                  dg_buf_str(&errors));
    struct plan *p = build(dg_json_arr(doc, "StatePayload"), 1000, &errors);
    ck_assert_msg(p != NULL, "%s", dg_buf_str(&errors));
    ck_assert_int_ge(p->nsteps, 1);
    ck_assert_ptr_null(strstr(p->canonical, "${"));
    plan_free(p);
    cJSON_Delete(doc);
    dg_buf_cleanup(&errors);
}
END_TEST

static const struct {
    const char *doc;
    const char *expect; /* every line expected, in order */
} bad_runbooks[] = {
    {"{\"StatePayload\":[{\"layer\":1,\"resources\":[{\"resourceType\":"
     "\"DeleteEverything\",\"parameters\":{}}]}]}",
     "rb: /StatePayload/0/resources/0/resourceType: unknown resourceType "
     "(got \"DeleteEverything\")\n"},
    {"{\"StatePayload\":[{\"layer\":1,\"resources\":[{\"resourceType\":"
     "\"SwitchoverAurora\",\"parameters\":{\"GlobalClusterIdentifier\":\"g\","
     "\"DBClusterIdentifer\":\"x\"}}]}]}",
     "rb: /StatePayload/0/resources/0/parameters/DBClusterIdentifer: unknown "
     "parameter for SwitchoverAurora\n"
     "rb: /StatePayload/0/resources/0/parameters/DBClusterIdentifier: "
     "required by SwitchoverAurora\n"},
    {"{\"StatePayload\":[{\"layer\":2,\"resources\":[{\"resourceType\":"
     "\"RedeployEcsService\",\"parameters\":{\"Cluster\":\"c\",\"Service\":"
     "\"s\"}}]},{\"layer\":1,\"resources\":[{\"resourceType\":"
     "\"RedeployEcsService\",\"parameters\":{\"Cluster\":\"c\",\"Service\":"
     "\"s\"}}]}]}",
     "rb: /StatePayload/1/layer: layers run in array order: must be greater "
     "than the previous layer (2) (got 1)\n"},
    {"{\"StatePayload\":[], \"extra\": 1}",
     "rb: /extra: unknown key\nrb: /StatePayload: must have at least one "
     "layer\n"},
    {"{\"StatePayload\":[{\"layer\":1,\"resources\":[{\"resourceType\":"
     "\"RedeployEcsService\",\"timeout_seconds\":0,\"parameters\":{"
     "\"Cluster\":\"${bad-name}\",\"Service\":{}}}]}]}",
     "rb: /StatePayload/0/resources/0/timeout_seconds: must be a whole "
     "number between 1 and 86400 (got 0)\n"
     "rb: /StatePayload/0/resources/0/parameters/Cluster: malformed "
     "${variable} placeholder (got \"${bad-name}\")\n"
     "rb: /StatePayload/0/resources/0/parameters/Service: expected a "
     "string, number, boolean or array of strings (got an object)\n"},
    {"{\"StatePayload\":[{\"layer\":1,\"resources\":[{\"resourceType\":"
     "\"PromoteRDSReadReplica\",\"parameters\":{\"RDSInstanceIdentifier\":"
     "\"!Import\"}}]}]}",
     "rb: /StatePayload/0/resources/0/parameters/RDSInstanceIdentifier: "
     "expected \"!Import <export-name>\" (got \"!Import\")\n"},
    {"[]", "rb: /: expected an object with a \"StatePayload\" array\n"},
};

START_TEST(bad_runbooks_name_every_problem)
{
    struct dg_err err;
    const char *d = bad_runbooks[_i].doc;
    cJSON *doc = dg_json_parse(d, strlen(d), 65536, 64, &err);
    ck_assert_ptr_nonnull(doc);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    ck_assert_int_eq(runbook_validate(doc, 0, "rb", &errors), DG_EINVALID);
    ck_assert_str_eq(dg_buf_str(&errors), bad_runbooks[_i].expect);
    dg_buf_cleanup(&errors);
    cJSON_Delete(doc);
}
END_TEST

static cJSON *
load_library(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/config/runbooks/%s", DRGATE_SOURCE_DIR,
             name);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    cJSON *doc = NULL;
    ck_assert_int_eq(runbook_load(path, &doc, &errors), DG_OK);
    dg_buf_cleanup(&errors);
    return doc;
}

START_TEST(digest_is_canonical_and_binding)
{
    cJSON *doc = load_library("aurora-switchover.json");
    const cJSON *payload = dg_json_arr(doc, "StatePayload");
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    struct plan *a = build(payload, 1767225635000LL, &errors);
    struct plan *b = build(payload, 1767225635000LL, &errors);
    struct plan *later = build(payload, 1767225636000LL, &errors);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->digest, b->digest);
    ck_assert_str_eq(a->id, b->id);
    ck_assert_str_ne(a->digest, later->digest);
    /* digest = sha256 of the canonical body */
    char hex[DG_SHA256_HEX_LEN + 1];
    digest_sha256_hex(a->canonical, strlen(a->canonical), hex);
    ck_assert_str_eq(a->digest + 7, hex);
    ck_assert_int_eq(strncmp(a->digest, "sha256:", 7), 0);
    /* canonical == canonical(parse(canonical)) */
    struct dg_err err;
    cJSON *re =
        dg_json_parse(a->canonical, strlen(a->canonical), 1 << 20, 64, &err);
    char *again = dg_json_canonical_str(re, 1 << 20);
    ck_assert_str_eq(again, a->canonical);
    dg_free(again);
    cJSON_Delete(re);
    /* id: plan-<compact time>-<8 hex of the digest> */
    char want[64];
    snprintf(want, sizeof(want), "plan-20260101T000035Z-%.8s", hex);
    ck_assert_str_eq(a->id, want);
    /* concrete values and region defaults */
    ck_assert_ptr_nonnull(strstr(a->canonical, "\"orders-global\""));
    const cJSON *l0 = cJSON_GetArrayItem(dg_json_arr(a->body, "layers"), 0);
    const cJSON *s0 = cJSON_GetArrayItem(dg_json_arr(l0, "steps"), 0);
    const cJSON *s1 = cJSON_GetArrayItem(dg_json_arr(l0, "steps"), 1);
    ck_assert_str_eq(dg_json_str(s0, "region"), "us-east-1"); /* switchover */
    ck_assert_str_eq(dg_json_str(s1, "region"), "us-west-2"); /* TargetRegion */
    ck_assert_str_eq(dg_json_str(s0, "step"), "1.1");
    ck_assert_int_eq(a->data_loss, 0);
    ck_assert_int_eq(a->mutating, 1);
    plan_free(a);
    plan_free(b);
    plan_free(later);
    cJSON_Delete(doc);
    dg_buf_cleanup(&errors);
}
END_TEST

START_TEST(data_loss_plans_say_so)
{
    cJSON *doc = load_library("aurora-failover.json");
    struct dg_buf errors, sum;
    dg_buf_init(&errors, 65536);
    dg_buf_init(&sum, 65536);
    struct plan *p = build(dg_json_arr(doc, "StatePayload"), 0, &errors);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->data_loss, 1);
    ck_assert_int_eq(plan_summary(p, &sum), DG_OK);
    ck_assert_ptr_nonnull(strstr(dg_buf_str(&sum), "DATA CAN BE LOST"));
    ck_assert_ptr_nonnull(strstr(dg_buf_str(&sum), "ManagedFailoverAurora in "
                                                   "us-west-2"));
    cJSON *line = plan_json(p);
    ck_assert_str_eq(dg_json_str(line, "kind"), "plan");
    ck_assert_str_eq(dg_json_str(line, "digest"), p->digest);
    cJSON_Delete(line);
    plan_free(p);
    cJSON_Delete(doc);
    dg_buf_cleanup(&errors);
    dg_buf_cleanup(&sum);
}
END_TEST

START_TEST(unbound_variable_is_an_error)
{
    const char *d = "[{\"layer\":1,\"resources\":[{\"resourceType\":"
                    "\"RedeployEcsService\",\"parameters\":{\"Cluster\":"
                    "\"${nope}\",\"Service\":\"s-${primary_region}\"}}]}]";
    struct dg_err err;
    cJSON *doc = dg_json_parse(d, strlen(d), 65536, 64, &err);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    struct plan *p = build(doc, 0, &errors);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(dg_buf_str(&errors),
                     "test: /StatePayload/0/resources/0/parameters/Cluster: "
                     "unbound variable ${nope} (define it in "
                     "topology.variables)\n");
    dg_buf_cleanup(&errors);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(references_are_kept_for_the_daemon)
{
    const char *d = "[{\"layer\":1,\"resources\":[{\"resourceType\":"
                    "\"UnPlannedFailoverAurora\",\"parameters\":{"
                    "\"GlobalClusterIdentifier\":\"!Import g-id\","
                    "\"DBClusterIdentifier\":\"resolve:ssm:/dr/target\","
                    "\"ClusterRegion\":\"eu-west-1\"}}]}]";
    struct dg_err err;
    cJSON *doc = dg_json_parse(d, strlen(d), 65536, 64, &err);
    struct dg_buf errors;
    dg_buf_init(&errors, 65536);
    struct plan *p = build(doc, 0, &errors);
    ck_assert_msg(p != NULL, "%s", dg_buf_str(&errors));
    ck_assert_ptr_nonnull(strstr(p->canonical, "\"!Import g-id\""));
    ck_assert_ptr_nonnull(strstr(p->canonical, "\"region\":\"eu-west-1\""));
    ck_assert_int_eq(p->data_loss, 1);
    plan_free(p);
    dg_buf_cleanup(&errors);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(catalog_is_complete)
{
    static const char *const names[] = {"PlannedFailoverAurora",
                                        "SwitchoverAurora",
                                        "ManagedFailoverAurora",
                                        "UnPlannedFailoverAurora",
                                        "CreateAuroraSecondaryDBCluster",
                                        "PromoteRDSReadReplica",
                                        "FailoverElastiCacheCluster",
                                        "UpdateRoute53Record",
                                        "RedeployEcsService",
                                        "ValidateAuroraGlobal",
                                        "AuroraStatus"};
    size_t n = 0;
    for (const struct runbook_type *t = runbook_types(); t->name; t++)
        n++;
    ck_assert_uint_eq(n, sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_nonnull(runbook_type_find(names[i]));
    ck_assert_ptr_null(runbook_type_find("switchoveraurora"));
    ck_assert_int_eq(runbook_type_find("AuroraStatus")->mutating, 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("plan");
    tcase_add_loop_test(tc, library_runbooks_validate_and_bind, 0,
                        sizeof(library) / sizeof(library[0]));
    tcase_add_loop_test(tc, bad_runbooks_name_every_problem, 0,
                        sizeof(bad_runbooks) / sizeof(bad_runbooks[0]));
    tcase_add_test(tc, digest_is_canonical_and_binding);
    tcase_add_test(tc, data_loss_plans_say_so);
    tcase_add_test(tc, unbound_variable_is_an_error);
    tcase_add_test(tc, references_are_kept_for_the_daemon);
    tcase_add_test(tc, catalog_is_complete);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
