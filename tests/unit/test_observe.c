/*
 * test_observe.c - what the daemon counts: events map to their metrics
 * only once their transaction commits (forgotten on rollback), messages
 * and AWS calls count at once, the pending list's bound, and the store
 * queries behind the scrape-time gauges (plans by state, event time).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "events.h"
#include "metrics.h"
#include "observe.h"
#include "store.h"
#include "store_events.h"
#include "store_views.h"
#include "testsupport.h"

static struct observe *ob;
static struct metrics *m;

static void
setup(void)
{
    ob = observe_new("1.2.3", 1700000000000);
    m = observe_metrics(ob);
}

static void
teardown(void)
{
    observe_free(ob);
}

static void
event(const char *type, const char *json)
{
    cJSON *d = cJSON_Parse(json);
    ck_assert_ptr_nonnull(d);
    observe_event(ob, type, d);
    cJSON_Delete(d);
}

START_TEST(process_metrics_set)
{
    ck_assert(metrics_value(m, MET_BUILD_INFO, ML("1.2.3")) == 1);
    ck_assert(metrics_value(m, MET_START_TIME, NULL) == 1700000000);
}
END_TEST

START_TEST(events_count_on_commit)
{
    event("drgate.decision.made", "{\"verdict\":\"propose\"}");
    event("drgate.decision.made", "{\"verdict\":\"hold\"}");
    event("drgate.input.rejected",
          "{\"source\":\"sqs\",\"reason_code\":\"bad_json\"}");
    event("drgate.plan.proposed", "{\"class\":\"unplanned\"}");
    event("drgate.approval.accepted", "{\"plan_id\":\"p\"}");
    event("drgate.approval.refused", "{\"reason_code\":\"bad_signature\"}");
    event("drgate.step.succeeded",
          "{\"type\":\"ManagedFailoverAurora\",\"duration_ms\":2500}");
    event("drgate.step.failed",
          "{\"type\":\"UpdateRoute53Record\",\"duration_ms\":100}");
    event("drgate.plan.approved", "{\"plan_id\":\"p\"}"); /* not counted */
    /* nothing before the commit */
    ck_assert(isnan(metrics_value(m, MET_DECISIONS, ML("propose"))));
    observe_commit(ob);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("propose")) == 1);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("hold")) == 1);
    ck_assert(metrics_value(m, MET_MESSAGES_REJECTED, ML("sqs", "bad_json")) ==
              1);
    ck_assert(metrics_value(m, MET_PLANS_TOTAL, ML("unplanned")) == 1);
    ck_assert(metrics_value(m, MET_APPROVAL_REPLIES, ML("accepted", "ok")) ==
              1);
    ck_assert(metrics_value(m, MET_APPROVAL_REPLIES,
                            ML("refused", "bad_signature")) == 1);
    ck_assert(metrics_value(m, MET_STEP_DURATION,
                            ML("ManagedFailoverAurora", "succeeded")) == 1);
    ck_assert(metrics_value(m, MET_STEP_DURATION,
                            ML("UpdateRoute53Record", "failed")) == 1);
    /* a second commit with nothing pending changes nothing */
    observe_commit(ob);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("propose")) == 1);
}
END_TEST

START_TEST(rollback_forgets)
{
    event("drgate.decision.made", "{\"verdict\":\"propose\"}");
    observe_rollback(ob);
    observe_commit(ob);
    ck_assert(isnan(metrics_value(m, MET_DECISIONS, ML("propose"))));
    /* the redelivery counts once */
    event("drgate.decision.made", "{\"verdict\":\"propose\"}");
    observe_commit(ob);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("propose")) == 1);
}
END_TEST

START_TEST(missing_fields_and_null)
{
    observe_event(ob, "drgate.decision.made", NULL);
    observe_event(ob, NULL, NULL);
    event("drgate.step.succeeded", "{}");
    observe_commit(ob);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("")) == 1);
    ck_assert(metrics_value(m, MET_STEP_DURATION, ML("", "succeeded")) == 1);
    /* NULL observe: every entry point is a no-op */
    observe_event(NULL, "drgate.decision.made", NULL);
    observe_commit(NULL);
    observe_rollback(NULL);
    observe_received(NULL, "sqs");
    observe_aws_call("sqs", "ReceiveMessage", DG_OK, 1, 5, NULL);
    observe_stop(NULL);
    observe_free(NULL);
    ck_assert_int_eq(observe_port(ob), 0);
}
END_TEST

START_TEST(pending_bound_counts_at_once)
{
    for (int i = 0; i < 1100; i++)
        event("drgate.decision.made", "{\"verdict\":\"hold\"}");
    /* past the bound the rest counted immediately */
    ck_assert(metrics_value(m, MET_DECISIONS, ML("hold")) == 1100 - 1024);
    observe_commit(ob);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("hold")) == 1100);
}
END_TEST

START_TEST(received_and_aws_calls)
{
    observe_received(ob, "sqs");
    observe_received(ob, "sqs");
    observe_received(ob, "probe");
    ck_assert(metrics_value(m, MET_MESSAGES_RECEIVED, ML("sqs")) == 2);
    ck_assert(metrics_value(m, MET_MESSAGES_RECEIVED, ML("probe")) == 1);
    observe_aws_call("rds", "FailoverGlobalCluster", DG_OK, 3, 1500, ob);
    observe_aws_call("rds", "FailoverGlobalCluster", DG_EREMOTE, 1, 20, ob);
    observe_aws_call("sns", "Publish", DG_ETRANSIENT, 1, -5, ob);
    ck_assert(metrics_value(m, MET_AWS_CALLS,
                            ML("rds", "FailoverGlobalCluster", "ok")) == 1);
    ck_assert(metrics_value(m, MET_AWS_CALLS,
                            ML("rds", "FailoverGlobalCluster", "remote")) == 1);
    ck_assert(metrics_value(m, MET_AWS_CALLS,
                            ML("sns", "Publish", "transient")) == 1);
    ck_assert(metrics_value(m, MET_AWS_RETRIES,
                            ML("rds", "FailoverGlobalCluster")) == 2);
    ck_assert(isnan(metrics_value(m, MET_AWS_RETRIES, ML("sns", "Publish"))));
    ck_assert(metrics_value(m, MET_AWS_CALL_SECONDS, ML("rds")) == 2);
    ck_assert(metrics_value(m, MET_AWS_CALL_SECONDS, ML("sns")) == 1);
}
END_TEST

static void
count_cb(const char *state, int64_t n, void *ctx)
{
    char *out = ctx;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%lld;", state, (long long)n);
}

START_TEST(store_gauge_queries)
{
    char path[64];
    snprintf(path, sizeof(path), "/tmp/drgate-test-observe-%d.db", getpid());
    unlink(path);
    struct store *s = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(store_open(path, STORE_SYNC_OFF, &s, &err), DG_OK);
    char got[256] = "";
    ck_assert_int_eq(store_views_plan_counts(s, count_cb, got, &err), DG_OK);
    ck_assert_str_eq(got, "");
    ck_assert_int_eq(
        store_plan_put(s, "p1", "d1", "planned", "proposed", "{}", 1000, &err),
        DG_OK);
    ck_assert_int_eq(store_plan_put(s, "p2", "d2", "unplanned", "proposed",
                                    "{}", 1000, &err),
                     DG_OK);
    ck_assert_int_eq(store_plan_put(s, "p3", "d3", "unplanned", "succeeded",
                                    "{}", 1000, &err),
                     DG_OK);
    ck_assert_int_eq(store_views_plan_counts(s, count_cb, got, &err), DG_OK);
    ck_assert_str_eq(got, "proposed=2;succeeded=1;");

    int64_t t = 0;
    int found = 1;
    ck_assert_int_eq(store_views_event_time(s, 1, &t, &found, &err), DG_OK);
    ck_assert_int_eq(found, 0);
    char id[EVENTS_UUID_LEN + 1];
    unsigned char rnd[16] = {1, 2, 3};
    events_uuid4(rnd, id);
    cJSON *ev = events_new("t", "drgate.decision.made", id, 1234567, NULL,
                           cJSON_CreateObject());
    int64_t seq = 0;
    ck_assert_int_eq(store_events_append(s, ev, 1234567, &seq, &err), DG_OK);
    cJSON_Delete(ev);
    ck_assert_int_eq(store_views_event_time(s, seq, &t, &found, &err), DG_OK);
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(t, 1234567);
    store_close(s);
    unlink(path);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("observe");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, process_metrics_set);
    tcase_add_test(tc, events_count_on_commit);
    tcase_add_test(tc, rollback_forgets);
    tcase_add_test(tc, missing_fields_and_null);
    tcase_add_test(tc, pending_bound_counts_at_once);
    tcase_add_test(tc, received_and_aws_calls);
    tcase_add_test(tc, store_gauge_queries);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
