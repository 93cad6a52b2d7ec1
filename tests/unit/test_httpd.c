/*
 * test_httpd.c - the endpoint's pure parts and its store views: request
 * target routing, plan id and query validation, the listen address and
 * loopback check, and the JSON the default plans provider answers with.
 * The served HTTP is tested end to end by tests/integration/
 * test_httpd_client.py.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "httpd.h"
#include "json.h"
#include "store.h"
#include "store_internal.h"
#include "store_views.h"
#include "testsupport.h"

static const struct {
    const char *target;
    int status;
    enum httpd_route route;
    const char *id_or_error; /* plan id on 200, error code otherwise */
    int limit;
    const char *state;
} targets[] = {
    {"/healthz", 200, HTTPD_ROUTE_HEALTHZ, "", 100, ""},
    {"/healthz?x=1&&y", 200, HTTPD_ROUTE_HEALTHZ, "", 100, ""},
    {"/readyz", 200, HTTPD_ROUTE_READYZ, "", 100, ""},
    {"/metrics", 200, HTTPD_ROUTE_METRICS, "", 100, ""},
    {"/metrics?name[]=x", 200, HTTPD_ROUTE_METRICS, "", 100, ""},
    {"/v1/plans", 200, HTTPD_ROUTE_PLANS, "", 100, ""},
    {"/v1/plans?", 200, HTTPD_ROUTE_PLANS, "", 100, ""},
    {"/v1/plans?limit=5", 200, HTTPD_ROUTE_PLANS, "", 5, ""},
    {"/v1/plans?limit=500&state=awaiting_approval", 200, HTTPD_ROUTE_PLANS, "",
     500, "awaiting_approval"},
    {"/v1/plans?state=done&limit=1", 200, HTTPD_ROUTE_PLANS, "", 1, "done"},
    {"/v1/plans?limit=0", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit=501", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit=1000", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit=-1", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit=", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit=1&limit=2", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit=1&", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?state=Done", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?state=", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?state=a%20b", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?other=1", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans?limit", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans/plan-20260101T000035Z-0a1b2c3d", 200, HTTPD_ROUTE_PLAN,
     "plan-20260101T000035Z-0a1b2c3d", 100, ""},
    {"/v1/plans/p.1_x-Y", 200, HTTPD_ROUTE_PLAN, "p.1_x-Y", 100, ""},
    {"/v1/plans/p1?x=1", 400, HTTPD_ROUTE_NONE, "bad_query", 100, ""},
    {"/v1/plans/", 404, HTTPD_ROUTE_NONE, "not_found", 100, ""},
    {"/v1/plans/..", 400, HTTPD_ROUTE_NONE, "bad_plan_id", 100, ""},
    {"/v1/plans/.hidden", 400, HTTPD_ROUTE_NONE, "bad_plan_id", 100, ""},
    {"/v1/plans/a/b", 400, HTTPD_ROUTE_NONE, "bad_plan_id", 100, ""},
    {"/v1/plans/a%2fb", 400, HTTPD_ROUTE_NONE, "bad_plan_id", 100, ""},
    {"/v1/plans/a'b", 400, HTTPD_ROUTE_NONE, "bad_plan_id", 100, ""},
    {"/v1/plans/<script>", 400, HTTPD_ROUTE_NONE, "bad_plan_id", 100, ""},
    {"/v1/plansx", 404, HTTPD_ROUTE_NONE, "not_found", 100, ""},
    {"/healthz/", 404, HTTPD_ROUTE_NONE, "not_found", 100, ""},
    {"/HEALTHZ", 404, HTTPD_ROUTE_NONE, "not_found", 100, ""},
    {"/", 404, HTTPD_ROUTE_NONE, "not_found", 100, ""},
    {"//healthz", 404, HTTPD_ROUTE_NONE, "not_found", 100, ""},
    {"", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
    {"healthz", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
    {"http://127.0.0.1/healthz", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
    {"*", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
    {"/healthz#frag", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
    {"/heal thz", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
    {"/healthz\x7f", 400, HTTPD_ROUTE_NONE, "bad_target", 100, ""},
};

START_TEST(parse_target_table)
{
    struct httpd_target t;
    int st = httpd_parse_target(targets[_i].target, &t);
    ck_assert_msg(st == targets[_i].status, "%s: %d", targets[_i].target, st);
    ck_assert_int_eq(t.route, targets[_i].route);
    if (st == 200) {
        ck_assert_ptr_null(t.error);
        ck_assert_str_eq(t.plan_id, targets[_i].id_or_error);
        ck_assert_int_eq(t.limit, targets[_i].limit);
        ck_assert_str_eq(t.state, targets[_i].state);
    } else {
        ck_assert_str_eq(t.error, targets[_i].id_or_error);
    }
}
END_TEST

START_TEST(plan_id_bounds)
{
    char id[HTTPD_MAX_ID + 2];
    memset(id, 'a', sizeof(id));
    ck_assert_int_eq(httpd_plan_id_ok(id, HTTPD_MAX_ID), 1);
    ck_assert_int_eq(httpd_plan_id_ok(id, HTTPD_MAX_ID + 1), 0);
    ck_assert_int_eq(httpd_plan_id_ok(id, 0), 0);
    ck_assert_int_eq(httpd_plan_id_ok("a\0b", 3), 0);
    ck_assert_int_eq(httpd_plan_id_ok("\xc3\xa4", 2), 0);
    /* a 129-character id in a path is refused before any lookup */
    char target[HTTPD_MAX_ID + 32];
    snprintf(target, sizeof(target), "/v1/plans/%.*s", HTTPD_MAX_ID + 1, id);
    struct httpd_target t;
    ck_assert_int_eq(httpd_parse_target(target, &t), 400);
    ck_assert_int_eq(httpd_parse_target(NULL, &t), 400);
}
END_TEST

static const struct {
    const char *listen;
    int allow_remote;
    dg_rc rc;
    const char *code;
} listens[] = {
    {"127.0.0.1:0", 0, DG_OK, ""},
    {"127.1.2.3:0", 0, DG_OK, ""},
    {"localhost:0", 0, DG_OK, ""},
    {"0.0.0.0:0", 0, DG_EINVALID, "remote_bind"},
    {"[::]:0", 0, DG_EINVALID, "remote_bind"},
    {"10.1.2.3:0", 0, DG_EINVALID, "remote_bind"},
    {"192.0.2.1:0", 0, DG_EINVALID, "remote_bind"},
    {"[::ffff:10.0.0.1]:0", 0, DG_EINVALID, "remote_bind"},
    {"127.0.0.1", 0, DG_EINVALID, "bad_listen"},
    {"127.0.0.1:", 0, DG_EINVALID, "bad_listen"},
    {":0", 0, DG_EINVALID, "bad_listen"},
    {"127.0.0.1:65536", 0, DG_EINVALID, "bad_listen"},
    {"127.0.0.1:12a", 0, DG_EINVALID, "bad_listen"},
    {"::1:0", 0, DG_EINVALID, "bad_listen"},
    {"[::1:0", 0, DG_EINVALID, "bad_listen"},
    {"", 0, DG_EINVALID, "bad_listen"},
};

START_TEST(listen_addresses)
{
    struct event_base *base = event_base_new();
    struct httpd_opts o = {.listen = listens[_i].listen,
                           .allow_remote = listens[_i].allow_remote};
    struct httpd *h = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc = httpd_start(base, &o, &h, &err);
    ck_assert_msg(rc == listens[_i].rc, "%s: %s", listens[_i].listen, err.msg);
    if (rc == DG_OK) {
        ck_assert_ptr_nonnull(h);
        ck_assert_int_gt(httpd_port(h), 0);
    } else {
        ck_assert_ptr_null(h);
        ck_assert_str_eq(err.code, listens[_i].code);
    }
    httpd_free(h);
    event_base_free(base);
}
END_TEST

/* ---- store views ---------------------------------------------------- */

static char path[256];
static struct store *st;

static void
exec_sql(const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(store_sqlite(st), sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static void
store_setup(void)
{
    struct dg_err err;
    snprintf(path, sizeof(path), "/tmp/drgate-test-httpd-%d.db", getpid());
    unlink(path);
    ck_assert_int_eq(store_open(path, STORE_SYNC_OFF, &st, &err), DG_OK);
    ck_assert_int_eq(store_plan_put(st, "plan-a", "sha256:aa", "planned",
                                    "awaiting_approval",
                                    "{\"plan_id\":\"plan-a\",\"layers\":[]}",
                                    1767225600000LL, &err),
                     DG_OK);
    ck_assert_int_eq(store_plan_put(st, "plan-b", "sha256:bb", "unplanned",
                                    "executing", "{\"plan_id\":\"plan-b\"}",
                                    1767225660000LL, &err),
                     DG_OK);
    ck_assert_int_eq(store_plan_put(st, "plan-b", "sha256:bb", "unplanned",
                                    "executing", "{\"plan_id\":\"plan-b\"}",
                                    1767225720000LL, &err),
                     DG_OK);
    exec_sql("INSERT INTO approval_requests "
             "(plan_id,digest,class,quorum,token_hash,data_loss,created_ms,"
             "expires_ms,state,decided_ms) VALUES ('plan-a','sha256:aa',"
             "'planned',2,'SECRET-HASH',0,1767225600000,1767229200000,"
             "'pending',NULL);"
             "INSERT INTO approvals VALUES ('plan-a','alice','approve',"
             "'2026-01-01T00:01:00Z',1767225660000,'{\"sig\":\"SIG\"}');"
             "INSERT INTO executions VALUES ('plan-b','running',"
             "1767225700000,1767225720000,NULL,NULL);"
             "INSERT INTO steps (plan_id,step,layer,type,region,state,"
             "updated_ms) VALUES ('plan-b','1.1',1,'rds-failover',"
             "'us-west-2','succeeded',1767225710000),"
             "('plan-b','1.2',1,'ecs-scale','us-west-2','running',"
             "1767225720000),"
             "('plan-b','2.1',2,'route53-failover','us-west-2','pending',"
             "1767225700000);");
}

static void
store_teardown(void)
{
    char side[300];
    store_close(st);
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

static cJSON *
answer(const struct httpd_plans_query *q, int want)
{
    struct dg_buf b;
    dg_buf_init(&b, 1 << 20);
    int code = httpd_plans_from_store(q, &b, st);
    ck_assert_int_eq(code, want);
    cJSON *v = NULL;
    if (code == 200) {
        v = dg_json_parse(b.data, b.len, b.max, 64, NULL);
        ck_assert_ptr_nonnull(v);
        ck_assert_ptr_null(strstr(b.data, "SECRET-HASH"));
        ck_assert_ptr_null(strstr(b.data, "SIG"));
    }
    dg_buf_cleanup(&b);
    return v;
}

START_TEST(plans_list_shape)
{
    struct httpd_plans_query q = {.limit = 100};
    cJSON *v = answer(&q, 200);
    ck_assert(cJSON_IsArray(v));
    ck_assert_int_eq(cJSON_GetArraySize(v), 2);
    const cJSON *b = cJSON_GetArrayItem(v, 0); /* newest first */
    ck_assert_str_eq(dg_json_str(b, "plan_id"), "plan-b");
    ck_assert_str_eq(dg_json_str(b, "digest"), "sha256:bb");
    ck_assert_str_eq(dg_json_str(b, "class"), "unplanned");
    ck_assert_str_eq(dg_json_str(b, "state"), "executing");
    ck_assert_str_eq(dg_json_str(b, "created"), "2026-01-01T00:01:00.000Z");
    ck_assert_str_eq(dg_json_str(b, "updated"), "2026-01-01T00:02:00.000Z");
    const cJSON *pr = dg_json_obj(b, "progress");
    long long n = 0;
    ck_assert(dg_json_int(pr, "total", &n) && n == 3);
    ck_assert(dg_json_int(pr, "succeeded", &n) && n == 1);
    ck_assert(dg_json_int(pr, "running", &n) && n == 1);
    ck_assert(dg_json_int(pr, "pending", &n) && n == 1);
    ck_assert_str_eq(dg_json_str(dg_json_obj(b, "execution"), "state"),
                     "running");
    ck_assert_ptr_null(dg_json_obj(b, "approval"));
    const cJSON *a = cJSON_GetArrayItem(v, 1);
    ck_assert_str_eq(dg_json_str(a, "plan_id"), "plan-a");
    const cJSON *ap = dg_json_obj(a, "approval");
    ck_assert_str_eq(dg_json_str(ap, "state"), "pending");
    ck_assert(dg_json_int(ap, "quorum", &n) && n == 2);
    ck_assert(dg_json_int(ap, "approvals", &n) && n == 1);
    ck_assert(dg_json_int(ap, "rejections", &n) && n == 0);
    ck_assert_str_eq(dg_json_str(ap, "expires"), "2026-01-01T01:00:00.000Z");
    ck_assert_ptr_null(dg_json_obj(a, "progress"));
    ck_assert_ptr_null(dg_json_obj(a, "execution"));
    ck_assert_ptr_null(cJSON_GetObjectItem(a, "plan")); /* summaries only */
    cJSON_Delete(v);

    q.state = "awaiting_approval";
    v = answer(&q, 200);
    ck_assert_int_eq(cJSON_GetArraySize(v), 1);
    cJSON_Delete(v);
    q.state = NULL;
    q.limit = 1;
    v = answer(&q, 200);
    ck_assert_int_eq(cJSON_GetArraySize(v), 1);
    cJSON_Delete(v);
    q.limit = 0; /* the parser never gives this; the view refuses it */
    answer(&q, 500);
}
END_TEST

START_TEST(plan_detail_shape)
{
    struct httpd_plans_query q = {.plan_id = "plan-a", .limit = 100};
    cJSON *v = answer(&q, 200);
    ck_assert_str_eq(dg_json_str(v, "plan_id"), "plan-a");
    ck_assert_str_eq(dg_json_str(dg_json_obj(v, "plan"), "plan_id"), "plan-a");
    const cJSON *ar = dg_json_obj(v, "approval_request");
    ck_assert_str_eq(dg_json_str(ar, "state"), "pending");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ar, "data_loss")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(ar, "decided")));
    const cJSON *apps = dg_json_arr(v, "approvals");
    ck_assert_int_eq(cJSON_GetArraySize(apps), 1);
    const cJSON *a0 = cJSON_GetArrayItem(apps, 0);
    ck_assert_str_eq(dg_json_str(a0, "approver"), "alice");
    ck_assert_str_eq(dg_json_str(a0, "decision"), "approve");
    ck_assert_str_eq(dg_json_str(a0, "signed_at"), "2026-01-01T00:01:00Z");
    ck_assert_str_eq(dg_json_str(a0, "received"), "2026-01-01T00:01:00.000Z");
    ck_assert_int_eq(cJSON_GetArraySize(dg_json_arr(v, "steps")), 0);
    cJSON_Delete(v);

    q.plan_id = "plan-b";
    v = answer(&q, 200);
    const cJSON *steps = dg_json_arr(v, "steps");
    ck_assert_int_eq(cJSON_GetArraySize(steps), 3);
    const cJSON *s0 = cJSON_GetArrayItem(steps, 0);
    ck_assert_str_eq(dg_json_str(s0, "step"), "1.1");
    ck_assert_str_eq(dg_json_str(s0, "type"), "rds-failover");
    ck_assert_str_eq(dg_json_str(s0, "mutation"), "none");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(s0, "finished")));
    ck_assert_str_eq(dg_json_str(cJSON_GetArrayItem(steps, 2), "step"), "2.1");
    ck_assert_int_eq(cJSON_GetArraySize(dg_json_arr(v, "approvals")), 0);
    ck_assert(cJSON_IsNull(
        cJSON_GetObjectItem(dg_json_obj(v, "execution"), "detail")));
    cJSON_Delete(v);

    q.plan_id = "plan-zzz";
    answer(&q, 404);
}
END_TEST

START_TEST(views_bounded)
{
    struct dg_buf b;
    struct dg_err err;
    int found = 1;
    dg_buf_init(&b, 16);
    ck_assert_int_eq(store_views_plans(st, 10, NULL, &b, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "too_large");
    ck_assert_int_eq(store_views_plan(st, "plan-b", &b, &found, &err),
                     DG_EINVALID);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(
        store_views_plans(st, STORE_VIEWS_MAX_LIMIT + 1, NULL, &b, &err),
        DG_EINVALID);
    dg_buf_cleanup(&b);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("httpd");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_target_table, 0,
                        (int)(sizeof(targets) / sizeof(targets[0])));
    tcase_add_test(tc, plan_id_bounds);
    suite_add_tcase(s, tc);
    tc = tcase_create("listen");
    tcase_add_loop_test(tc, listen_addresses, 0,
                        (int)(sizeof(listens) / sizeof(listens[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("views");
    tcase_add_checked_fixture(tc, store_setup, store_teardown);
    tcase_add_test(tc, plans_list_shape);
    tcase_add_test(tc, plan_detail_shape);
    tcase_add_test(tc, views_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
