/*
 * test_cloudwatch.c - CloudWatch GetMetricStatistics: the request body
 * against botocore's query serialization of the same parameters (botocore
 * 1.43, QuerySerializer, cloudwatch 2010-08-01), refusals of bad requests,
 * and the reply parser on a reply shaped as the model says, plus malformed
 * and oversized replies (refused with "bad_response").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "cloudwatch.h"
#include "mem.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static const struct cw_dimension dims[] = {
    {"DBClusterIdentifier", "orders-west"},
    {"SourceRegion", "us-east-1"},
};

static struct cw_metric_query
good_query(void)
{
    struct cw_metric_query q = {
        .namespace_ = "AWS/RDS",
        .metric = "AuroraGlobalDBReplicationLag",
        .dims = dims,
        .ndims = 2,
        .start_ms = T0 + 400, /* sent as whole seconds */
        .end_ms = T0 + 601999,
        .period_s = 60,
        .statistic = "Maximum",
    };
    return q;
}

START_TEST(build_matches_botocore)
{
    /* botocore: QuerySerializer().serialize_to_request({...}) with the
     * same values, Action and Version left out (the client adds them). */
    static const char want[] =
        "Namespace=AWS%2FRDS&MetricName=AuroraGlobalDBReplicationLag"
        "&Dimensions.member.1.Name=DBClusterIdentifier"
        "&Dimensions.member.1.Value=orders-west"
        "&Dimensions.member.2.Name=SourceRegion"
        "&Dimensions.member.2.Value=us-east-1"
        "&StartTime=2026-01-01T00%3A00%3A00Z"
        "&EndTime=2026-01-01T00%3A10%3A01Z&Period=60"
        "&Statistics.member.1=Maximum";
    struct cw_metric_query q = good_query();
    struct dg_buf b;
    struct dg_err err;
    dg_buf_init(&b, 65536);
    dg_err_clear(&err);
    ck_assert_msg(cw_build_get_metric_statistics(&q, &b, &err) == DG_OK, "%s",
                  err.msg);
    ck_assert_str_eq(dg_buf_str(&b), want);
    dg_buf_cleanup(&b);
}
END_TEST

/* Each case breaks one field of the good query. */
static void
breaker(int i, struct cw_metric_query *q, struct cw_dimension *d)
{
    static char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    switch (i) {
    case 0:
        q->namespace_ = NULL;
        break;
    case 1:
        q->metric = "";
        break;
    case 2:
        q->statistic = "p99";
        break;
    case 3:
        q->period_s = 45;
        break;
    case 4:
        q->period_s = 0;
        break;
    case 5:
        q->end_ms = q->start_ms;
        break;
    case 6:
        q->ndims = CW_MAX_DIMENSIONS + 1;
        break;
    case 7:
        d[0] = (struct cw_dimension){"DBClusterIdentifier", ""};
        q->dims = d;
        q->ndims = 1;
        break;
    case 8:
        q->namespace_ = longname;
        break;
    default:
        q->statistic = NULL;
        break;
    }
}
#define NBREAK 10

START_TEST(build_refuses)
{
    struct cw_metric_query q = good_query();
    struct cw_dimension d[1];
    struct dg_buf b;
    struct dg_err err;
    breaker(_i, &q, d);
    dg_buf_init(&b, 65536);
    dg_err_clear(&err);
    ck_assert_int_eq(cw_build_get_metric_statistics(&q, &b, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_request");
    dg_buf_cleanup(&b);
}
END_TEST

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *s = dg_malloc(1 << 16);
    *len = fread(s, 1, (1 << 16) - 1, f);
    s[*len] = '\0';
    fclose(f);
    return s;
}

START_TEST(parse_reply)
{
    size_t len;
    char *body = slurp(DRGATE_SOURCE_DIR "/tests/fuzz/corpus/svc_xml/"
                                         "cloudwatch-get-metric-statistics.xml",
                       &len);
    struct cw_datapoints d;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(
        cw_parse_get_metric_statistics(body, len, "Maximum", &d, &err) == DG_OK,
        "%s", err.msg);
    ck_assert_uint_eq(d.n, 3);
    ck_assert_int_eq(d.v[2].timestamp_ms, T0 + 7 * 60000);
    ck_assert(d.v[2].value == 900.0);
    const struct cw_datapoint *latest = cw_latest(&d);
    ck_assert_ptr_nonnull(latest);
    ck_assert_int_eq(latest->timestamp_ms, T0 + 9 * 60000);
    ck_assert(latest->value == 1234.5);
    ck_assert_str_eq(latest->unit, "Milliseconds");
    cw_datapoints_cleanup(&d);
    /* asked for another statistic: no datapoint carries it */
    ck_assert(cw_parse_get_metric_statistics(body, len, "Average", &d, &err) ==
              DG_OK);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_ptr_null(cw_latest(&d));
    cw_datapoints_cleanup(&d);
    dg_free(body);
}
END_TEST

START_TEST(parse_empty_reply)
{
    static const char body[] =
        "<GetMetricStatisticsResponse><GetMetricStatisticsResult>"
        "<Label>AuroraGlobalDBReplicationLag</Label><Datapoints/>"
        "</GetMetricStatisticsResult></GetMetricStatisticsResponse>";
    struct cw_datapoints d;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert(cw_parse_get_metric_statistics(body, sizeof(body) - 1, "Maximum",
                                             &d, &err) == DG_OK);
    ck_assert_uint_eq(d.n, 0);
    cw_datapoints_cleanup(&d);
}
END_TEST

static const char *const malformed[] = {
    "",
    "not xml",
    "<GetMetricStatisticsResponse><GetMetricStatisticsResult>",
    "<ListMetricsResponse><ListMetricsResult/></ListMetricsResponse>",
    "<GetMetricStatisticsResponse></GetMetricStatisticsResponse>",
    "<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints>"
    "<member><Maximum>1</Maximum></member>"
    "</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>",
    "<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints>"
    "<member><Timestamp>yesterday</Timestamp><Maximum>1</Maximum></member>"
    "</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>",
    "<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints>"
    "<member><Timestamp>2026-01-01T00:00:00Z</Timestamp><Maximum>12ms"
    "</Maximum></member>"
    "</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>",
    "<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints>"
    "<member><Timestamp>2026-01-01T00:00:00Z</Timestamp><Maximum>inf"
    "</Maximum></member>"
    "</Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]><GetMetricStatisticsResponse/>",
};

START_TEST(parse_refuses)
{
    const char *body = malformed[_i];
    struct cw_datapoints d;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(
        cw_parse_get_metric_statistics(body, strlen(body), "Maximum", &d, &err),
        DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_response");
    ck_assert_uint_eq(d.n, 0);
    ck_assert_ptr_null(d.v);
}
END_TEST

START_TEST(parse_refuses_too_many)
{
    struct dg_buf b;
    dg_buf_init(&b, 1u << 20);
    ck_assert(dg_buf_addstr(&b, "<GetMetricStatisticsResponse>"
                                "<GetMetricStatisticsResult><Datapoints>") ==
              DG_OK);
    for (int i = 0; i < CW_MAX_DATAPOINTS + 1; i++)
        ck_assert(dg_buf_addstr(&b, "<member><Timestamp>2026-01-01T00:00:00Z"
                                    "</Timestamp><Maximum>1</Maximum>"
                                    "</member>") == DG_OK);
    ck_assert(dg_buf_addstr(&b, "</Datapoints></GetMetricStatisticsResult>"
                                "</GetMetricStatisticsResponse>") == DG_OK);
    struct cw_datapoints d;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(cw_parse_get_metric_statistics(dg_buf_str(&b), b.len,
                                                    "Maximum", &d, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_response");
    dg_buf_cleanup(&b);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("cloudwatch");
    TCase *tc = tcase_create("get_metric_statistics");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, build_matches_botocore);
    tcase_add_loop_test(tc, build_refuses, 0, NBREAK);
    tcase_add_test(tc, parse_reply);
    tcase_add_test(tc, parse_empty_reply);
    tcase_add_loop_test(tc, parse_refuses, 0,
                        (int)(sizeof(malformed) / sizeof(*malformed)));
    tcase_add_test(tc, parse_refuses_too_many);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    dg_mem_init();
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
