#ifndef DRGATE_METRICS_H
#define DRGATE_METRICS_H
/*
 * The metrics registry behind GET /metrics: counters, gauges and histograms
 * with a fixed, declared label set, rendered in the Prometheus text
 * exposition format 0.0.4. Every metric drgate exposes is declared in one
 * table in metrics.c (name, type, help, label names, buckets); code refers
 * to them by enum metric_id. Single-threaded, no I/O (except the optional
 * process callback, metrics_process_rss), no clock: the daemon owns one
 * registry on the loop thread.
 *
 * Label values: at most METRICS_MAX_SERIES distinct label combinations per
 * metric. The first combination past the cap, and every value longer than
 * METRICS_MAX_VALUE bytes or not valid UTF-8, is accounted in one overflow
 * series whose labels are all "other" (so memory and scrape size stay
 * bounded whatever the inputs; the overflow series itself is never
 * refused).
 */
#include <stdint.h>

#include "err.h"

struct dg_buf;
struct metrics;

#define METRICS_MAX_LABELS 3
#define METRICS_MAX_SERIES 64
#define METRICS_MAX_VALUE 128

enum metric_id {
    MET_MESSAGES_RECEIVED, /* counter {source} */
    MET_MESSAGES_REJECTED, /* counter {source,reason} */
    MET_DECISIONS,         /* counter {verdict} */
    MET_PLANS,             /* gauge {state} */
    MET_PLANS_TOTAL,       /* counter {class} */
    MET_APPROVAL_REPLIES,  /* counter {outcome,reason} */
    MET_AWS_CALLS,         /* counter {service,operation,result} */
    MET_AWS_RETRIES,       /* counter {service,operation} */
    MET_AWS_CALL_SECONDS,  /* histogram {service}, 5 ms .. 30 s */
    MET_STEP_DURATION,     /* histogram {type,result}, 0.1 .. 1800 s */
    MET_OUTBOX_DEPTH,      /* gauge {sink} */
    MET_OUTBOX_OLDEST_AGE, /* gauge {sink}, seconds */
    MET_SINK_FAILING,      /* gauge {sink}, 0/1 */
    MET_READY,             /* gauge, 0/1 */
    MET_BUILD_INFO,        /* gauge {version}, always 1 */
    MET_START_TIME,        /* gauge, Unix seconds */
    MET_PROCESS_RSS,       /* gauge, bytes (callback) */
    MET_HTTP_REQUESTS,     /* counter {route,code} */
    MET_COUNT
};

/* Label values for one call, in the metric's declared order:
 * metrics_inc(m, MET_DECISIONS, ML("propose")). Metrics without labels take
 * NULL. */
#define ML(...) ((const char *const[METRICS_MAX_LABELS]){__VA_ARGS__})

/* A callback gauge: read at render time. */
typedef double (*metrics_read_fn)(void *ctx);

/* A registry with every declared metric; unlabelled counters and gauges
 * start at 0. Cannot fail (aborts on OOM). Free with metrics_free. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m); /* accepts NULL */

/* Counter += v (v >= 0) / gauge += v. DG_EINVALID for a histogram, a
 * negative counter increment, a non-finite v, or a missing label value;
 * nothing changes then. */
dg_rc metrics_add(struct metrics *m, enum metric_id id,
                  const char *const *labels, double v);
/* metrics_add(m, id, labels, 1). */
dg_rc metrics_inc(struct metrics *m, enum metric_id id,
                  const char *const *labels);
/* Gauge = v. DG_EINVALID for counters and histograms. */
dg_rc metrics_set(struct metrics *m, enum metric_id id,
                  const char *const *labels, double v);
/* Histogram observation (v finite; negative values count in the first
 * bucket). DG_EINVALID for other types. */
dg_rc metrics_observe(struct metrics *m, enum metric_id id,
                      const char *const *labels, double v);
/* Makes an unlabelled gauge read fn(ctx) at each render (fn NULL: back to
 * its stored value). DG_EINVALID for other metrics. */
dg_rc metrics_set_callback(struct metrics *m, enum metric_id id,
                           metrics_read_fn fn, void *ctx);

/* The current value of a counter or gauge series, or the observation
 * count of a histogram series; NAN when the series does not exist. For
 * tests and status output. */
double metrics_value(const struct metrics *m, enum metric_id id,
                     const char *const *labels);
/* The exposed name ("drgate_decisions_total"); NULL for an unknown id. */
const char *metrics_name(enum metric_id id);

/* Appends the whole registry in text format 0.0.4: per metric, in table
 * order, # HELP and # TYPE then its series sorted by label values (the
 * overflow series last); histograms as cumulative _bucket{le} ending with
 * +Inf, then _sum and _count. DG_EINVALID when out->max is too small (out
 * keeps a truncated prefix then). */
dg_rc metrics_render(const struct metrics *m, struct dg_buf *out);

/* Sets drgate_build_info{version}=1, drgate_start_time_seconds from
 * start_ms, and makes the RSS gauge read metrics_process_rss. */
void metrics_init_process(struct metrics *m, const char *version,
                          int64_t start_ms);
/* Resident set size in bytes from /proc/self/statm; NAN when unreadable.
 * ctx is unused (a metrics_read_fn). */
double metrics_process_rss(void *ctx);

#endif
