#ifndef DRGATE_CLOUDWATCH_H
#define DRGATE_CLOUDWATCH_H
/*
 * Amazon CloudWatch (query protocol, 2010-08-01): GetMetricStatistics, used
 * to read the replication lag AWS publishes for a global database's
 * secondary (AWS/RDS AuroraGlobalDBReplicationLag) before an approval
 * request goes out. One statistic, up to CW_MAX_DIMENSIONS dimensions.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

#define CW_MAX_DIMENSIONS 4    /* drgate's own limit (AWS allows 30) */
#define CW_MAX_DATAPOINTS 1440 /* AWS's limit for one call */

struct cw_dimension {
    const char *name;
    const char *value;
};

/* What to ask for; every string borrowed. */
struct cw_metric_query {
    const char *namespace_; /* "AWS/RDS" */
    const char *metric;     /* "AuroraGlobalDBReplicationLag" */
    const struct cw_dimension *dims;
    size_t ndims;
    int64_t start_ms, end_ms; /* [start, end), whole seconds are sent */
    int period_s;             /* 1, 5, 10, 20, 30 or a multiple of 60 */
    const char *statistic;    /* "Maximum", "Average", "Minimum", "Sum",
                                 "SampleCount" */
};

struct cw_datapoint {
    int64_t timestamp_ms;
    double value; /* the requested statistic */
    char *unit;   /* NULL when absent */
};

struct cw_datapoints {
    struct cw_datapoint *v;
    size_t n;
};
void cw_datapoints_cleanup(struct cw_datapoints *d); /* accepts zeroed */

/* The form body of GetMetricStatistics (without Action/Version, which the
 * client adds). DG_EINVALID "bad_request" for a missing or oversized
 * field, an unknown statistic, a bad period or an empty window. */
dg_rc cw_build_get_metric_statistics(const struct cw_metric_query *q,
                                     struct dg_buf *out, struct dg_err *err);
/* Parses the reply, keeping the value of statistic (which must be one of
 * the five names) of every datapoint; a datapoint without it is skipped.
 * DG_EINVALID "bad_response" for malformed XML, a bad timestamp or number,
 * more than CW_MAX_DATAPOINTS datapoints. */
dg_rc cw_parse_get_metric_statistics(const char *body, size_t len,
                                     const char *statistic,
                                     struct cw_datapoints *out,
                                     struct dg_err *err);
/* The datapoint with the latest timestamp; NULL when there is none. */
const struct cw_datapoint *cw_latest(const struct cw_datapoints *d);

/* Result: struct cw_datapoints. */
void cw_get_metric_statistics(const struct svc_client *c, const char *region,
                              const struct cw_metric_query *q, svc_done_fn done,
                              void *ctx);

#endif
