/*
 * cloudwatch.c - CloudWatch GetMetricStatistics over the query protocol
 * (botocore's cloudwatch 2010-08-01 model: Dimensions.member.N.Name/Value,
 * Statistics.member.N, StartTime/EndTime ISO 8601; reply
 * GetMetricStatisticsResult/Datapoints/member with Timestamp, the
 * statistics as doubles and Unit).
 *
 * Ownership: the query is borrowed; the parsed datapoints are owned by the
 * caller's struct cw_datapoints (cw_datapoints_cleanup).
 *
 * Errors: DG_EINVALID "bad_request" (refused before sending) or
 * "bad_response" (a malformed reply), through svc.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "awsxml.h"
#include "client.h"
#include "cloudwatch.h"
#include "mem.h"
#include "timefmt.h"

static const char *const statistics[] = {"SampleCount", "Average", "Sum",
                                         "Minimum", "Maximum"};

static int
known_statistic(const char *s)
{
    for (size_t i = 0; s && i < sizeof(statistics) / sizeof(*statistics); i++)
        if (strcmp(s, statistics[i]) == 0)
            return 1;
    return 0;
}

static dg_rc
bad_request(struct dg_err *err, const char *what)
{
    return dg_err_setc(err, DG_EINVALID, "bad_request",
                       "GetMetricStatistics: %s", what);
}

/* Whole seconds, "YYYY-MM-DDTHH:MM:SSZ". */
static void
iso_seconds(int64_t ms, char out[DG_TIME_STR_LEN])
{
    timefmt_format(ms - ms % 1000, out);
    out[19] = 'Z';
    out[20] = '\0';
}

static int
period_ok(int p)
{
    return p == 1 || p == 5 || p == 10 || p == 20 || p == 30 ||
           (p >= 60 && p % 60 == 0 && p <= 86400 * 30);
}

dg_rc
cw_build_get_metric_statistics(const struct cw_metric_query *q,
                               struct dg_buf *out, struct dg_err *err)
{
    static const char op[] = "GetMetricStatistics";
    char t[DG_TIME_STR_LEN];
    dg_rc rc;
    if (svc_need(op, "Namespace", q->namespace_, err) ||
        svc_need(op, "MetricName", q->metric, err))
        return DG_EINVALID;
    if (strlen(q->namespace_) > 255 || strlen(q->metric) > 255)
        return bad_request(err, "Namespace or MetricName longer than 255");
    if (!known_statistic(q->statistic))
        return bad_request(err, "unknown statistic");
    if (!period_ok(q->period_s))
        return bad_request(err, "Period must be 1, 5, 10, 20, 30 or a "
                                "multiple of 60");
    if (q->start_ms < 0 || q->end_ms / 1000 <= q->start_ms / 1000)
        return bad_request(err, "EndTime must be after StartTime");
    if (q->ndims > CW_MAX_DIMENSIONS || (q->ndims && !q->dims))
        return bad_request(err, "too many dimensions");
    for (size_t i = 0; i < q->ndims; i++) {
        const struct cw_dimension *d = &q->dims[i];
        if (!d->name || !*d->name || !d->value || !*d->value ||
            strlen(d->name) > 255 || strlen(d->value) > 1024)
            return bad_request(err, "a dimension needs a name (at most 255 "
                                    "bytes) and a value (at most 1024)");
    }
    dg_buf_reset(out);
    rc = aws_query_add(out, "Namespace", q->namespace_);
    if (rc == DG_OK)
        rc = aws_query_add(out, "MetricName", q->metric);
    for (size_t i = 0; rc == DG_OK && i < q->ndims; i++) {
        rc = svc_query_addk(out, q->dims[i].name, "Dimensions.member.%zu.Name",
                            i + 1);
        if (rc == DG_OK)
            rc = svc_query_addk(out, q->dims[i].value,
                                "Dimensions.member.%zu.Value", i + 1);
    }
    if (rc == DG_OK) {
        iso_seconds(q->start_ms, t);
        rc = aws_query_add(out, "StartTime", t);
    }
    if (rc == DG_OK) {
        iso_seconds(q->end_ms, t);
        rc = aws_query_add(out, "EndTime", t);
    }
    if (rc == DG_OK)
        rc = svc_query_int(out, "Period", q->period_s);
    if (rc == DG_OK)
        rc = aws_query_add(out, "Statistics.member.1", q->statistic);
    if (rc != DG_OK)
        return dg_err_setc(err, rc, "bad_request",
                           "GetMetricStatistics: request too large");
    return DG_OK;
}

void
cw_datapoints_cleanup(struct cw_datapoints *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        dg_free(d->v[i].unit);
    dg_free(d->v);
    memset(d, 0, sizeof(*d));
}

static int
parse_double(const char *s, double *v)
{
    char *end;
    if (!s || !*s || strlen(s) > 64)
        return 0;
    errno = 0;
    *v = strtod(s, &end);
    return errno == 0 && *end == '\0' && isfinite(*v);
}

dg_rc
cw_parse_get_metric_statistics(const char *body, size_t len,
                               const char *statistic, struct cw_datapoints *out,
                               struct dg_err *err)
{
    static const char op[] = "GetMetricStatistics";
    struct awsxml_node *root;
    const struct awsxml_node *res, *list;
    size_t n;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if (!known_statistic(statistic))
        return bad_request(err, "unknown statistic");
    if ((rc = svc_xml_open(op, body, len, &root, &res, err)))
        return rc;
    list = awsxml_child(res, "Datapoints");
    if ((rc = svc_xml_count(op, list, "member", CW_MAX_DATAPOINTS, &n, err)))
        goto out;
    if (n)
        out->v = dg_calloc(n, sizeof(*out->v));
    for (const struct awsxml_node *m = n ? awsxml_first(list, "member") : NULL;
         m; m = awsxml_next(m)) {
        struct cw_datapoint *d = &out->v[out->n];
        const char *ts = awsxml_text(m, "Timestamp");
        const char *val = awsxml_text(m, statistic);
        if (!ts) {
            rc = svc_bad(err, op, "a datapoint has no Timestamp");
            goto out;
        }
        if (timefmt_parse(ts, &d->timestamp_ms) != 0) {
            rc = svc_bad(err, op, "Timestamp is not an ISO 8601 time");
            goto out;
        }
        if (!val)
            continue; /* another statistic's datapoint */
        if (!parse_double(val, &d->value)) {
            rc = svc_bad(err, op, "%s is not a number", statistic);
            goto out;
        }
        if ((rc = svc_xml_str(op, m, "Unit", 64, 0, &d->unit, err)))
            goto out;
        out->n++;
    }
out:
    awsxml_free(root);
    if (rc != DG_OK)
        cw_datapoints_cleanup(out);
    return rc;
}

const struct cw_datapoint *
cw_latest(const struct cw_datapoints *d)
{
    const struct cw_datapoint *best = NULL;
    for (size_t i = 0; d && i < d->n; i++)
        if (!best || d->v[i].timestamp_ms > best->timestamp_ms)
            best = &d->v[i];
    return best;
}

static dg_rc
p_stats(const char *b, size_t n, const char *arg, void *o, struct dg_err *e)
{
    return cw_parse_get_metric_statistics(b, n, arg, o, e);
}
static void
c_stats(void *r)
{
    cw_datapoints_cleanup(r);
}
static const struct svc_op op_stats = {p_stats, c_stats,
                                       sizeof(struct cw_datapoints)};

void
cw_get_metric_statistics(const struct svc_client *c, const char *region,
                         const struct cw_metric_query *q, svc_done_fn done,
                         void *ctx)
{
    struct dg_buf b;
    struct dg_err err;
    struct aws_request req = {.svc = &aws_svc_cloudwatch,
                              .region = region,
                              .operation = "GetMetricStatistics",
                              .idempotent = 1};
    dg_buf_init(&b, SVC_MAX_BODY);
    dg_err_clear(&err);
    dg_rc rc = cw_build_get_metric_statistics(q, &b, &err);
    svc_call(c, &req, &b, rc, &err, &op_stats,
             dg_strdup(q->statistic ? q->statistic : "Maximum"), done, ctx);
}
