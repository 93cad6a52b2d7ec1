/*
 * test_metrics.c - the registry and its Prometheus text exposition: exact
 * text per family, escaping, cumulative histogram buckets, the series cap
 * and its "other" overflow series, misuse refused.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "testsupport.h"

static struct metrics *m;
static struct dg_buf out;

static void
setup(void)
{
    m = metrics_new();
    dg_buf_init(&out, 1 << 20);
}

static void
teardown(void)
{
    metrics_free(m);
    dg_buf_cleanup(&out);
}

/* The rendered block of one family: from its # HELP line to the next. */
static char *
family(const char *name)
{
    dg_buf_reset(&out);
    ck_assert_int_eq(metrics_render(m, &out), DG_OK);
    char head[128];
    snprintf(head, sizeof(head), "# HELP %s ", name);
    const char *p = strstr(dg_buf_str(&out), head);
    ck_assert_ptr_nonnull(p);
    const char *e = strstr(p + 1, "# HELP ");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    static char block[1 << 16];
    ck_assert_uint_lt(n, sizeof(block));
    memcpy(block, p, n);
    block[n] = '\0';
    return block;
}

START_TEST(counter_exact_text)
{
    ck_assert_int_eq(metrics_inc(m, MET_MESSAGES_RECEIVED, ML("sqs")), DG_OK);
    ck_assert_int_eq(metrics_add(m, MET_MESSAGES_RECEIVED, ML("kafka"), 2),
                     DG_OK);
    ck_assert_int_eq(metrics_inc(m, MET_MESSAGES_RECEIVED, ML("sqs")), DG_OK);
    ck_assert_str_eq(family("drgate_messages_received_total"),
                     "# HELP drgate_messages_received_total Messages received "
                     "from a source.\n"
                     "# TYPE drgate_messages_received_total counter\n"
                     "drgate_messages_received_total{source=\"kafka\"} 2\n"
                     "drgate_messages_received_total{source=\"sqs\"} 2\n");
    ck_assert(metrics_value(m, MET_MESSAGES_RECEIVED, ML("sqs")) == 2);
    ck_assert(isnan(metrics_value(m, MET_MESSAGES_RECEIVED, ML("file"))));
}
END_TEST

START_TEST(unlabelled_gauges_start_at_zero)
{
    ck_assert_str_eq(family("drgate_ready"),
                     "# HELP drgate_ready 1 once every source and sink has "
                     "started.\n"
                     "# TYPE drgate_ready gauge\n"
                     "drgate_ready 0\n");
    ck_assert_int_eq(metrics_set(m, MET_READY, NULL, 1), DG_OK);
    ck_assert_str_eq(family("drgate_ready"),
                     "# HELP drgate_ready 1 once every source and sink has "
                     "started.\n"
                     "# TYPE drgate_ready gauge\n"
                     "drgate_ready 1\n");
    /* a labelled family without series has only its HELP and TYPE */
    ck_assert_str_eq(family("drgate_sink_failing"),
                     "# HELP drgate_sink_failing 1 while a sink's deliveries "
                     "are failing.\n"
                     "# TYPE drgate_sink_failing gauge\n");
}
END_TEST

START_TEST(multi_label_sorted_and_gauge_arith)
{
    metrics_inc(m, MET_AWS_CALLS, ML("rds", "FailoverGlobalCluster", "ok"));
    metrics_inc(m, MET_AWS_CALLS, ML("ecs", "UpdateService", "error"));
    metrics_inc(m, MET_AWS_CALLS, ML("ecs", "DescribeServices", "ok"));
    metrics_add(m, MET_AWS_CALLS, ML("ecs", "DescribeServices", "ok"), 0.5);
    ck_assert_str_eq(
        family("drgate_aws_calls_total"),
        "# HELP drgate_aws_calls_total AWS API calls completed (after "
        "retries), by result.\n"
        "# TYPE drgate_aws_calls_total counter\n"
        "drgate_aws_calls_total{service=\"ecs\",operation=\"DescribeServices\","
        "result=\"ok\"} 1.5\n"
        "drgate_aws_calls_total{service=\"ecs\",operation=\"UpdateService\","
        "result=\"error\"} 1\n"
        "drgate_aws_calls_total{service=\"rds\",operation="
        "\"FailoverGlobalCluster\",result=\"ok\"} 1\n");
    metrics_set(m, MET_OUTBOX_DEPTH, ML("sns"), 10);
    metrics_add(m, MET_OUTBOX_DEPTH, ML("sns"), -3);
    metrics_set(m, MET_OUTBOX_OLDEST_AGE, ML("sns"), 0.25);
    ck_assert(metrics_value(m, MET_OUTBOX_DEPTH, ML("sns")) == 7);
    const char *t = family("drgate_outbox_oldest_age_seconds");
    ck_assert_ptr_nonnull(
        strstr(t, "drgate_outbox_oldest_age_seconds{sink=\"sns\"} 0.25\n"));
}
END_TEST

START_TEST(label_value_escaping)
{
    metrics_inc(m, MET_MESSAGES_REJECTED, ML("a\\b", "q\"x\ny"));
    ck_assert_str_eq(family("drgate_messages_rejected_total"),
                     "# HELP drgate_messages_rejected_total Messages refused "
                     "by decode, by reason code.\n"
                     "# TYPE drgate_messages_rejected_total counter\n"
                     "drgate_messages_rejected_total{source=\"a\\\\b\","
                     "reason=\"q\\\"x\\ny\"} 1\n");
}
END_TEST

START_TEST(histogram_cumulative)
{
    const double obs[] = {0.003, 0.005, 0.02, 0.2, 3, 45};
    for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
        ck_assert_int_eq(
            metrics_observe(m, MET_AWS_CALL_SECONDS, ML("sqs"), obs[i]), DG_OK);
    ck_assert_str_eq(
        family("drgate_aws_call_seconds"),
        "# HELP drgate_aws_call_seconds AWS API call latency including "
        "retries.\n"
        "# TYPE drgate_aws_call_seconds histogram\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.005\"} 2\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.01\"} 2\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.025\"} 3\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.05\"} 3\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.1\"} 3\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.25\"} 4\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"0.5\"} 4\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"1\"} 4\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"2.5\"} 4\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"5\"} 5\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"10\"} 5\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"30\"} 5\n"
        "drgate_aws_call_seconds_bucket{service=\"sqs\",le=\"+Inf\"} 6\n"
        "drgate_aws_call_seconds_sum{service=\"sqs\"} 48.228\n"
        "drgate_aws_call_seconds_count{service=\"sqs\"} 6\n");
    ck_assert(metrics_value(m, MET_AWS_CALL_SECONDS, ML("sqs")) == 6);
}
END_TEST

START_TEST(step_histogram_bounds)
{
    metrics_observe(m, MET_STEP_DURATION, ML("rds-failover", "succeeded"),
                    1800);
    const char *t = family("drgate_step_duration_seconds");
    ck_assert_ptr_nonnull(strstr(t, "{type=\"rds-failover\",result="
                                    "\"succeeded\",le=\"0.1\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "{type=\"rds-failover\",result="
                                    "\"succeeded\",le=\"1800\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "le=\"+Inf\"} 1\n"));
}
END_TEST

START_TEST(series_cap_overflow)
{
    char v[16];
    for (int i = 0; i < METRICS_MAX_SERIES + 10; i++) {
        snprintf(v, sizeof(v), "s%03d", i);
        ck_assert_int_eq(metrics_inc(m, MET_DECISIONS, ML(v)), DG_OK);
    }
    /* existing series still count after the cap */
    ck_assert_int_eq(metrics_inc(m, MET_DECISIONS, ML("s000")), DG_OK);
    ck_assert(metrics_value(m, MET_DECISIONS, ML("s000")) == 2);
    const char *t = family("drgate_decisions_total");
    int lines = 0;
    for (const char *p = t; (p = strchr(p, '\n')); p++)
        lines++;
    ck_assert_int_eq(lines, 2 + METRICS_MAX_SERIES + 1);
    /* the overflow series comes last and holds the 10 refused ones */
    ck_assert_ptr_nonnull(strstr(t, "s063\"} 1\n"
                                    "drgate_decisions_total{verdict=\"other\"}"
                                    " 10\n"));
    ck_assert_ptr_null(strstr(t, "s064"));
}
END_TEST

START_TEST(bad_values_to_overflow)
{
    char longv[METRICS_MAX_VALUE + 2];
    memset(longv, 'x', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    ck_assert_int_eq(metrics_inc(m, MET_PLANS_TOTAL, ML(longv)), DG_OK);
    ck_assert_int_eq(metrics_inc(m, MET_PLANS_TOTAL, ML("\xff\xfe")), DG_OK);
    ck_assert_int_eq(metrics_inc(m, MET_PLANS_TOTAL, ML("\xc0\xaf")), DG_OK);
    ck_assert_int_eq(metrics_inc(m, MET_PLANS_TOTAL, ML("\xe2\x82")), DG_OK);
    ck_assert_int_eq(metrics_inc(m, MET_PLANS_TOTAL, ML("pl\xc3\xa4nned")),
                     DG_OK);
    const char *t = family("drgate_plans_total");
    ck_assert_ptr_nonnull(strstr(t, "drgate_plans_total{class=\"other\"} 4\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "drgate_plans_total{class=\"pl\xc3\xa4nned\"} 1\n"));
}
END_TEST

START_TEST(misuse_refused)
{
    ck_assert_int_eq(metrics_add(m, MET_DECISIONS, ML("x"), -1), DG_EINVALID);
    ck_assert_int_eq(metrics_add(m, MET_DECISIONS, ML("x"), NAN), DG_EINVALID);
    ck_assert_int_eq(metrics_set(m, MET_DECISIONS, ML("x"), 1), DG_EINVALID);
    ck_assert_int_eq(metrics_inc(m, MET_DECISIONS, NULL), DG_EINVALID);
    ck_assert_int_eq(metrics_inc(m, MET_AWS_RETRIES, ML("sqs")), DG_EINVALID);
    ck_assert_int_eq(metrics_inc(m, MET_AWS_CALL_SECONDS, ML("sqs")),
                     DG_EINVALID);
    ck_assert_int_eq(metrics_observe(m, MET_DECISIONS, ML("x"), 1),
                     DG_EINVALID);
    ck_assert_int_eq(
        metrics_observe(m, MET_AWS_CALL_SECONDS, ML("sqs"), INFINITY),
        DG_EINVALID);
    ck_assert_int_eq(metrics_set_callback(m, MET_OUTBOX_DEPTH, NULL, NULL),
                     DG_EINVALID);
    ck_assert_int_eq(metrics_inc(m, MET_COUNT, NULL), DG_EINVALID);
    ck_assert_ptr_null(metrics_name(MET_COUNT));
    ck_assert(isnan(metrics_value(m, MET_DECISIONS, ML("x"))));
}
END_TEST

static double
fake_read(void *ctx)
{
    return *(double *)ctx;
}

START_TEST(callback_and_process)
{
    double v = 4096;
    ck_assert_int_eq(metrics_set_callback(m, MET_PROCESS_RSS, fake_read, &v),
                     DG_OK);
    ck_assert_ptr_nonnull(strstr(family("drgate_process_resident_memory_bytes"),
                                 "\ndrgate_process_resident_memory_bytes "
                                 "4096\n"));
    v = 1e20;
    ck_assert_ptr_nonnull(strstr(family("drgate_process_resident_memory_bytes"),
                                 "\ndrgate_process_resident_memory_bytes "
                                 "1e+20\n"));
    metrics_init_process(m, "1.2.3", 1767225600123LL);
    ck_assert(metrics_process_rss(NULL) > 0);
    ck_assert(metrics_value(m, MET_PROCESS_RSS, NULL) > 0);
    ck_assert_str_eq(family("drgate_build_info"),
                     "# HELP drgate_build_info Always 1; the version is a "
                     "label.\n"
                     "# TYPE drgate_build_info gauge\n"
                     "drgate_build_info{version=\"1.2.3\"} 1\n");
    ck_assert_ptr_nonnull(strstr(family("drgate_start_time_seconds"),
                                 "\ndrgate_start_time_seconds "
                                 "1767225600.123\n"));
}
END_TEST

START_TEST(every_family_declared_once)
{
    dg_buf_reset(&out);
    ck_assert_int_eq(metrics_render(m, &out), DG_OK);
    for (int i = 0; i < MET_COUNT; i++) {
        const char *n = metrics_name((enum metric_id)i);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(strncmp(n, "drgate_", 7), 0);
        char type[160];
        snprintf(type, sizeof(type), "# TYPE %s ", n);
        const char *p = strstr(dg_buf_str(&out), type);
        ck_assert_msg(p != NULL, "%s has no TYPE line", n);
        ck_assert_ptr_null(strstr(p + 1, type));
    }
    /* the exposition ends with a newline and has no empty lines */
    ck_assert_ptr_null(strstr(dg_buf_str(&out), "\n\n"));
    ck_assert_int_eq(out.data[out.len - 1], '\n');
}
END_TEST

START_TEST(render_bounded)
{
    struct dg_buf small;
    dg_buf_init(&small, 100);
    ck_assert_int_eq(metrics_render(m, &small), DG_EINVALID);
    ck_assert_uint_le(small.len, 100);
    dg_buf_cleanup(&small);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, counter_exact_text);
    tcase_add_test(tc, unlabelled_gauges_start_at_zero);
    tcase_add_test(tc, multi_label_sorted_and_gauge_arith);
    tcase_add_test(tc, label_value_escaping);
    tcase_add_test(tc, histogram_cumulative);
    tcase_add_test(tc, step_histogram_bounds);
    tcase_add_test(tc, series_cap_overflow);
    tcase_add_test(tc, bad_values_to_overflow);
    tcase_add_test(tc, misuse_refused);
    tcase_add_test(tc, callback_and_process);
    tcase_add_test(tc, every_family_declared_once);
    tcase_add_test(tc, render_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
