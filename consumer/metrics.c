/*
 * metrics.c - the metrics registry and its Prometheus text exposition.
 *
 * Every metric drgate exposes is declared in `defs` below: this table is
 * the one place where names, types, help texts, label names and histogram
 * buckets are written down (enum metric_id in metrics.h indexes it).
 *
 * Ownership: the registry owns every series and its label value copies;
 * callers pass borrowed strings. Errors: misuse (wrong metric type,
 * negative counter increments, non-finite values, missing label values)
 * returns DG_EINVALID and changes nothing; rendering past the buffer's
 * maximum returns DG_EINVALID.
 *
 * DESIGN: a family per metric keeps up to METRICS_MAX_SERIES series in a
 * small array sorted by label values (linear search: families are tiny and
 * this keeps render order stable without sorting at scrape time), plus one
 * lazily created overflow series labelled "other" that absorbs everything
 * past the cap and every label value that is too long or not UTF-8. The
 * registry never reads a clock; callback gauges are the one way to sample
 * something at scrape time (process RSS).
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"

enum mtype { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM };

struct mdef {
    const char *name;
    const char *help;
    const char *labels[METRICS_MAX_LABELS];
    const double *buckets; /* histograms: ascending upper bounds */
    enum mtype type;
    int nlabels;
    int nbuckets;
};

/* AWS call latency: 5 ms .. 30 s. */
static const double aws_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                     0.5,   1,    2.5,   5,    10,  30};
/* Step durations: 0.1 s .. 30 min. */
static const double step_buckets[] = {0.1, 0.5, 1,   5,   10,  30,
                                      60,  120, 300, 600, 1800};

#define NB(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The declared metric set. Labelled families have no series until first
 * touched; unlabelled counters and gauges start at 0. */
#define FAMILY(n, t, h, nl, ...)                                               \
    {                                                                          \
        .name = (n), .type = (t), .help = (h), .nlabels = (nl),                \
        .labels = {__VA_ARGS__}, .buckets = NULL, .nbuckets = 0                \
    }
#define HISTOGRAM(n, h, b, nl, ...)                                            \
    {                                                                          \
        .name = (n), .type = MT_HISTOGRAM, .help = (h), .nlabels = (nl),       \
        .labels = {__VA_ARGS__}, .buckets = (b), .nbuckets = NB(b)             \
    }

static const struct mdef defs[MET_COUNT] = {
    [MET_MESSAGES_RECEIVED] =
        FAMILY("drgate_messages_received_total", MT_COUNTER,
               "Messages received from a source.", 1, "source"),
    [MET_MESSAGES_REJECTED] = FAMILY(
        "drgate_messages_rejected_total", MT_COUNTER,
        "Messages refused by decode, by reason code.", 2, "source", "reason"),
    [MET_DECISIONS] = FAMILY("drgate_decisions_total", MT_COUNTER,
                             "Policy decisions, by verdict.", 1, "verdict"),
    [MET_PLANS] = FAMILY("drgate_plans_by_state", MT_GAUGE,
                         "Plans in the store, by state.", 1, "state"),
    [MET_PLANS_TOTAL] = FAMILY("drgate_plans_total", MT_COUNTER,
                               "Plans proposed, by class.", 1, "class"),
    [MET_APPROVAL_REPLIES] =
        FAMILY("drgate_approval_replies_total", MT_COUNTER,
               "Approval replies received, by outcome and reason.", 2,
               "outcome", "reason"),
    [MET_AWS_CALLS] =
        FAMILY("drgate_aws_calls_total", MT_COUNTER,
               "AWS API calls completed (after retries), by result.", 3,
               "service", "operation", "result"),
    [MET_AWS_RETRIES] =
        FAMILY("drgate_aws_retries_total", MT_COUNTER,
               "AWS API call attempts retried.", 2, "service", "operation"),
    [MET_AWS_CALL_SECONDS] = HISTOGRAM(
        "drgate_aws_call_seconds", "AWS API call latency including retries.",
        aws_buckets, 1, "service"),
    [MET_STEP_DURATION] =
        HISTOGRAM("drgate_step_duration_seconds",
                  "Plan step durations, by action type and result.",
                  step_buckets, 2, "type", "result"),
    [MET_OUTBOX_DEPTH] =
        FAMILY("drgate_outbox_depth", MT_GAUGE,
               "Events not yet acknowledged by a sink.", 1, "sink"),
    [MET_OUTBOX_OLDEST_AGE] = FAMILY(
        "drgate_outbox_oldest_age_seconds", MT_GAUGE,
        "Age of the oldest event a sink has not acknowledged.", 1, "sink"),
    [MET_SINK_FAILING] =
        FAMILY("drgate_sink_failing", MT_GAUGE,
               "1 while a sink's deliveries are failing.", 1, "sink"),
    [MET_READY] = FAMILY("drgate_ready", MT_GAUGE,
                         "1 once every source and sink has started.", 0, NULL),
    [MET_BUILD_INFO] =
        FAMILY("drgate_build_info", MT_GAUGE,
               "Always 1; the version is a label.", 1, "version"),
    [MET_START_TIME] =
        FAMILY("drgate_start_time_seconds", MT_GAUGE,
               "Start time of the daemon, Unix seconds.", 0, NULL),
    [MET_PROCESS_RSS] = FAMILY("drgate_process_resident_memory_bytes", MT_GAUGE,
                               "Resident memory of the process.", 0, NULL),
    [MET_HTTP_REQUESTS] =
        FAMILY("drgate_http_requests_total", MT_COUNTER,
               "Requests to the HTTP endpoint, by route and status.", 2,
               "route", "code"),
};

struct series {
    char *values[METRICS_MAX_LABELS];
    double value;   /* counters, gauges */
    double sum;     /* histograms */
    uint64_t count; /* histograms */
    uint64_t *hits; /* histograms: per bucket, not cumulative */
};

struct family {
    struct series *s[METRICS_MAX_SERIES];
    int n;
    struct series *overflow;
    metrics_read_fn fn;
    void *ctx;
};

struct metrics {
    struct family f[MET_COUNT];
};

static const char *const other[METRICS_MAX_LABELS] = {"other", "other",
                                                      "other"};

static struct series *
series_new(const struct mdef *d, const char *const *labels)
{
    struct series *s = dg_calloc(1, sizeof(*s));
    for (int i = 0; i < d->nlabels; i++)
        s->values[i] = dg_strdup(labels ? labels[i] : "");
    if (d->type == MT_HISTOGRAM)
        s->hits = dg_calloc((size_t)d->nbuckets, sizeof(*s->hits));
    return s;
}

static void
series_free(struct series *s)
{
    if (!s)
        return;
    for (int i = 0; i < METRICS_MAX_LABELS; i++)
        dg_free(s->values[i]);
    dg_free(s->hits);
    dg_free(s);
}

struct metrics *
metrics_new(void)
{
    struct metrics *m = dg_calloc(1, sizeof(*m));
    for (int i = 0; i < MET_COUNT; i++)
        if (defs[i].nlabels == 0 && defs[i].type != MT_HISTOGRAM) {
            m->f[i].s[0] = series_new(&defs[i], NULL);
            m->f[i].n = 1;
        }
    return m;
}

void
metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (int i = 0; i < MET_COUNT; i++) {
        for (int j = 0; j < m->f[i].n; j++)
            series_free(m->f[i].s[j]);
        series_free(m->f[i].overflow);
    }
    dg_free(m);
}

const char *
metrics_name(enum metric_id id)
{
    if ((int)id < 0 || id >= MET_COUNT)
        return NULL;
    return defs[id].name;
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int
utf8_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int
labels_cmp(int n, char *const *a, const char *const *b)
{
    for (int i = 0; i < n; i++) {
        int c = strcmp(a[i], b[i]);
        if (c)
            return c;
    }
    return 0;
}

/* The series for labels, created when new (or the overflow series); NULL
 * when a label value is missing. */
static struct series *
lookup(struct metrics *m, enum metric_id id, const char *const *labels,
       int create)
{
    const struct mdef *d = &defs[id];
    struct family *f = &m->f[id];
    int bad = 0;
    for (int i = 0; i < d->nlabels; i++) {
        if (!labels || !labels[i])
            return NULL;
        size_t len = strlen(labels[i]);
        if (len > METRICS_MAX_VALUE ||
            !utf8_ok((const unsigned char *)labels[i], len))
            bad = 1;
    }
    int pos = 0;
    if (!bad) {
        for (pos = 0; pos < f->n; pos++) {
            int c = labels_cmp(d->nlabels, f->s[pos]->values, labels);
            if (c == 0)
                return f->s[pos];
            if (c > 0)
                break;
        }
        if (!create)
            return NULL;
        if (f->n < METRICS_MAX_SERIES) {
            memmove(&f->s[pos + 1], &f->s[pos],
                    (size_t)(f->n - pos) * sizeof(struct series *));
            f->s[pos] = series_new(d, labels);
            f->n++;
            return f->s[pos];
        }
    }
    if (!f->overflow && create)
        f->overflow = series_new(d, other);
    return f->overflow;
}

dg_rc
metrics_add(struct metrics *m, enum metric_id id, const char *const *labels,
            double v)
{
    if ((int)id < 0 || id >= MET_COUNT || !isfinite(v) ||
        defs[id].type == MT_HISTOGRAM || (defs[id].type == MT_COUNTER && v < 0))
        return DG_EINVALID;
    struct series *s = lookup(m, id, labels, 1);
    if (!s)
        return DG_EINVALID;
    s->value += v;
    return DG_OK;
}

dg_rc
metrics_inc(struct metrics *m, enum metric_id id, const char *const *labels)
{
    return metrics_add(m, id, labels, 1);
}

dg_rc
metrics_set(struct metrics *m, enum metric_id id, const char *const *labels,
            double v)
{
    if ((int)id < 0 || id >= MET_COUNT || !isfinite(v) ||
        defs[id].type != MT_GAUGE)
        return DG_EINVALID;
    struct series *s = lookup(m, id, labels, 1);
    if (!s)
        return DG_EINVALID;
    s->value = v;
    return DG_OK;
}

dg_rc
metrics_observe(struct metrics *m, enum metric_id id, const char *const *labels,
                double v)
{
    if ((int)id < 0 || id >= MET_COUNT || !isfinite(v) ||
        defs[id].type != MT_HISTOGRAM)
        return DG_EINVALID;
    struct series *s = lookup(m, id, labels, 1);
    if (!s)
        return DG_EINVALID;
    const struct mdef *d = &defs[id];
    for (int i = 0; i < d->nbuckets; i++)
        if (v <= d->buckets[i]) {
            s->hits[i]++;
            break;
        }
    s->count++;
    s->sum += v;
    return DG_OK;
}

dg_rc
metrics_set_callback(struct metrics *m, enum metric_id id, metrics_read_fn fn,
                     void *ctx)
{
    if ((int)id < 0 || id >= MET_COUNT || defs[id].type != MT_GAUGE ||
        defs[id].nlabels != 0)
        return DG_EINVALID;
    m->f[id].fn = fn;
    m->f[id].ctx = ctx;
    return DG_OK;
}

double
metrics_value(const struct metrics *m, enum metric_id id,
              const char *const *labels)
{
    if ((int)id < 0 || id >= MET_COUNT)
        return NAN;
    const struct series *s = lookup((struct metrics *)m, id, labels, 0);
    if (!s)
        return NAN;
    if (defs[id].type == MT_HISTOGRAM)
        return (double)s->count;
    if (m->f[id].fn)
        return m->f[id].fn(m->f[id].ctx);
    return s->value;
}

/* Go's strconv.FormatFloat(v, 'g', -1, 64) in spirit: integers without a
 * fraction, others in the shortest form that reads back exactly. */
static void
fmt_num(double v, char out[40])
{
    if (isnan(v)) {
        (void)snprintf(out, 40, "NaN");
        return;
    }
    if (isinf(v)) {
        (void)snprintf(out, 40, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        (void)snprintf(out, 40, "%.0f", v == 0 ? 0.0 : v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static dg_rc
add_escaped(struct dg_buf *b, const char *s, int quote)
{
    dg_rc rc = DG_OK;
    for (const char *p = s; *p && rc == DG_OK; p++) {
        if (*p == '\\')
            rc = dg_buf_add(b, "\\\\", 2);
        else if (*p == '\n')
            rc = dg_buf_add(b, "\\n", 2);
        else if (*p == '"' && quote)
            rc = dg_buf_add(b, "\\\"", 2);
        else
            rc = dg_buf_addc(b, *p);
    }
    return rc;
}

/* {a="x",b="y"[,le="..."]}, or nothing when there are no labels. */
static dg_rc
add_labels(struct dg_buf *b, const struct mdef *d, const struct series *s,
           const char *le)
{
    if (d->nlabels == 0 && !le)
        return DG_OK;
    dg_rc rc = dg_buf_addc(b, '{');
    for (int i = 0; i < d->nlabels && rc == DG_OK; i++) {
        rc = dg_buf_printf(b, "%s%s=\"", i ? "," : "", d->labels[i]);
        if (rc == DG_OK)
            rc = add_escaped(b, s->values[i], 1);
        if (rc == DG_OK)
            rc = dg_buf_addc(b, '"');
    }
    if (le && rc == DG_OK)
        rc = dg_buf_printf(b, "%sle=\"%s\"", d->nlabels ? "," : "", le);
    if (rc == DG_OK)
        rc = dg_buf_addc(b, '}');
    return rc;
}

static dg_rc
render_series(struct dg_buf *b, const struct mdef *d, const struct family *f,
              const struct series *s)
{
    char num[40], le[40];
    dg_rc rc = DG_OK;
    if (d->type != MT_HISTOGRAM) {
        fmt_num(f->fn ? f->fn(f->ctx) : s->value, num);
        rc = dg_buf_addstr(b, d->name);
        if (rc == DG_OK)
            rc = add_labels(b, d, s, NULL);
        if (rc == DG_OK)
            rc = dg_buf_printf(b, " %s\n", num);
        return rc;
    }
    uint64_t cum = 0;
    for (int i = 0; i <= d->nbuckets && rc == DG_OK; i++) {
        if (i < d->nbuckets) {
            cum += s->hits[i];
            fmt_num(d->buckets[i], le);
        } else {
            cum = s->count;
            (void)snprintf(le, sizeof(le), "+Inf");
        }
        rc = dg_buf_printf(b, "%s_bucket", d->name);
        if (rc == DG_OK)
            rc = add_labels(b, d, s, le);
        if (rc == DG_OK)
            rc = dg_buf_printf(b, " %llu\n", (unsigned long long)cum);
    }
    fmt_num(s->sum, num);
    if (rc == DG_OK)
        rc = dg_buf_printf(b, "%s_sum", d->name);
    if (rc == DG_OK)
        rc = add_labels(b, d, s, NULL);
    if (rc == DG_OK)
        rc = dg_buf_printf(b, " %s\n%s_count", num, d->name);
    if (rc == DG_OK)
        rc = add_labels(b, d, s, NULL);
    if (rc == DG_OK)
        rc = dg_buf_printf(b, " %llu\n", (unsigned long long)s->count);
    return rc;
}

dg_rc
metrics_render(const struct metrics *m, struct dg_buf *out)
{
    static const char *const tname[] = {"counter", "gauge", "histogram"};
    dg_rc rc = DG_OK;
    for (int i = 0; i < MET_COUNT && rc == DG_OK; i++) {
        const struct mdef *d = &defs[i];
        const struct family *f = &m->f[i];
        rc = dg_buf_printf(out, "# HELP %s ", d->name);
        if (rc == DG_OK)
            rc = add_escaped(out, d->help, 0);
        if (rc == DG_OK)
            rc =
                dg_buf_printf(out, "\n# TYPE %s %s\n", d->name, tname[d->type]);
        for (int j = 0; j < f->n && rc == DG_OK; j++)
            rc = render_series(out, d, f, f->s[j]);
        if (f->overflow && rc == DG_OK)
            rc = render_series(out, d, f, f->overflow);
    }
    return rc;
}

double
metrics_process_rss(void *ctx)
{
    (void)ctx;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (!fp)
        return NAN;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(fp, "%llu %llu", &size, &resident);
    (void)fclose(fp);
    long page = sysconf(_SC_PAGESIZE);
    if (n != 2 || page <= 0)
        return NAN;
    return (double)resident * (double)page;
}

void
metrics_init_process(struct metrics *m, const char *version, int64_t start_ms)
{
    (void)metrics_set(m, MET_BUILD_INFO, ML(version), 1);
    (void)metrics_set(m, MET_START_TIME, NULL, (double)start_ms / 1000.0);
    (void)metrics_set_callback(m, MET_PROCESS_RSS, metrics_process_rss, NULL);
}
