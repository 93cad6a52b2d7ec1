/*
 * orch_aws.c - the orchestrator's AWS services over the daemon's shared
 * AWS client (see orch_aws.h), and the one-shot publish of the CLI.
 *
 * Ownership: struct orch_aws borrows the client and owns an HTTP engine
 * for SNS signing certificates (created at the first fetch); each publish,
 * fetch or lag observation in flight owns a small context freed by its
 * completion. Errors go to the completions, never to logs here.
 *
 * The replication lag is CloudWatch's AWS/RDS AuroraGlobalDBReplicationLag
 * (milliseconds, published for a global database's secondary cluster in
 * its region): the latest Maximum of 60 s periods over the last 10
 * minutes, asked first with the dimension DBClusterIdentifier and, when
 * that has no datapoint, with DBClusterIdentifier and SourceRegion (the
 * primary's region), the two sets AWS documents for its global database
 * metrics.
 */
#include "orch_aws.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "client.h"
#include "cloudwatch.h"
#include "config.h"
#include "http.h"
#include "mem.h"
#include "actions/registry_actions.h"
#include "sns.h"
#include "stack.h"
#include "svc.h"

struct orch_aws {
    struct event_base *base;
    const struct svc_client *sc;
    struct http_engine *http; /* certificates only */
};

struct orch_aws *
orch_aws_new(struct event_base *base, const struct svc_client *sc)
{
    struct orch_aws *a = dg_calloc(1, sizeof(*a));
    a->base = base;
    a->sc = sc;
    return a;
}

void
orch_aws_free(struct orch_aws *a)
{
    if (!a)
        return;
    http_engine_free(a->http);
    dg_free(a);
}

/* ---- SNS Publish ------------------------------------------------------ */

struct pubctx {
    orch_published_fn done;
    void *ctx;
};

static void
publish_done(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct pubctx *p = ctx;
    p->done(rc == DG_OK ? (const char *)result : NULL, rc, err, p->ctx);
    dg_free(p);
}

/* The region of an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), or
 * NULL for the client's. */
static char *
arn_region(const char *arn)
{
    if (!arn || strncmp(arn, "arn:", 4) != 0)
        return NULL;
    const char *p = strchr(arn + 4, ':'); /* after partition */
    p = p ? strchr(p + 1, ':') : NULL;    /* after service */
    const char *q = p ? strchr(p + 1, ':') : NULL;
    if (!p || !q || q == p + 1)
        return NULL;
    return dg_strndup(p + 1, (size_t)(q - p - 1));
}

static void
publish(void *impl, const char *topic_arn, const char *subject,
        const char *message, int structure_json, const char *type,
        const char *plan_id, const char *severity, orch_published_fn done,
        void *ctx)
{
    struct orch_aws *a = impl;
    struct sns_attr attrs[3];
    size_t n = 0;
    if (type)
        attrs[n++] = (struct sns_attr){"type", "String", type};
    if (plan_id)
        attrs[n++] = (struct sns_attr){"plan_id", "String", plan_id};
    if (severity)
        attrs[n++] = (struct sns_attr){"severity", "String", severity};
    struct sns_publish_params p = {
        .topic_arn = topic_arn,
        .message = message,
        .subject = subject,
        .message_structure = structure_json,
        .attrs = attrs,
        .nattrs = n,
    };
    struct pubctx *pc = dg_calloc(1, sizeof(*pc));
    pc->done = done;
    pc->ctx = ctx;
    char *region = arn_region(topic_arn);
    sns_publish(a->sc, region, &p, publish_done, pc);
    dg_free(region);
}

/* ---- replication lag (CloudWatch) --------------------------------------- */

#define LAG_METRIC "AuroraGlobalDBReplicationLag"
#define LAG_WINDOW_MS (10 * 60 * 1000)

struct lagctx {
    const struct svc_client *sc;
    orch_lag_fn done;
    void *ctx;
    char *cluster_id, *region, *source_region;
    int64_t now_ms;
    int with_source; /* the second query: + SourceRegion */
};

static void lag_query(struct lagctx *l);

static void
lag_free(struct lagctx *l)
{
    dg_free(l->cluster_id);
    dg_free(l->region);
    dg_free(l->source_region);
    dg_free(l);
}

static int64_t
lag_in_ms(const struct cw_datapoint *d)
{
    double v = d->value < 0 ? 0 : d->value;
    if (d->unit && strcmp(d->unit, "Seconds") == 0)
        v *= 1000.0;
    else if (d->unit && strcmp(d->unit, "Microseconds") == 0)
        v /= 1000.0;
    if (v > 9.0e15)
        v = 9.0e15;
    return (int64_t)llround(v);
}

static void
lag_answer(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct lagctx *l = ctx;
    const struct cw_datapoint *d = rc == DG_OK ? cw_latest(result) : NULL;
    char note[320];
    if (d) {
        snprintf(note, sizeof(note), "%s of %s in %s", LAG_METRIC,
                 l->cluster_id, l->region ? l->region : "drgate's region");
        l->done(lag_in_ms(d), d->timestamp_ms, note, l->ctx);
    } else if (rc == DG_OK && !l->with_source && l->source_region) {
        l->with_source = 1;
        lag_query(l);
        return;
    } else if (rc == DG_OK) {
        snprintf(note, sizeof(note),
                 "no %s datapoint for %s in %s in the last 10 minutes",
                 LAG_METRIC, l->cluster_id,
                 l->region ? l->region : "drgate's region");
        l->done(-1, 0, note, l->ctx);
    } else {
        snprintf(note, sizeof(note), "CloudWatch: %.40s%s%.160s",
                 err && err->code[0] ? err->code : dg_rc_name(rc),
                 err && err->msg[0] ? ": " : "", err ? err->msg : "");
        l->done(-1, 0, note, l->ctx);
    }
    lag_free(l);
}

static void
lag_query(struct lagctx *l)
{
    struct cw_dimension dims[2] = {
        {"DBClusterIdentifier", l->cluster_id},
        {"SourceRegion", l->source_region},
    };
    struct cw_metric_query q = {
        .namespace_ = "AWS/RDS",
        .metric = LAG_METRIC,
        .dims = dims,
        .ndims = l->with_source ? 2 : 1,
        .start_ms = l->now_ms - LAG_WINDOW_MS,
        .end_ms = l->now_ms + 1000,
        .period_s = 60,
        .statistic = "Maximum",
    };
    cw_get_metric_statistics(l->sc, l->region, &q, lag_answer, l);
}

static void
observe_lag(void *impl, const struct orch_lag_target *t, orch_lag_fn done,
            void *ctx)
{
    struct orch_aws *a = impl;
    struct lagctx *l = dg_calloc(1, sizeof(*l));
    l->sc = a->sc;
    l->done = done;
    l->ctx = ctx;
    l->cluster_id = dg_strdup(t->cluster_id);
    l->region = dg_strdup(t->region && *t->region ? t->region : NULL);
    l->source_region = t->source_region && *t->source_region
                           ? dg_strdup(t->source_region)
                           : NULL;
    l->now_ms = t->now_ms;
    lag_query(l);
}

/* ---- certificate fetcher ---------------------------------------------- */

struct fetchctx {
    snsverify_fetched_fn done;
    void *ctx;
};

static void
fetched(const struct http_response *resp, dg_rc rc, const struct dg_err *err,
        void *ctx)
{
    struct fetchctx *f = ctx;
    if (rc == DG_OK && resp->status == 200)
        f->done(DG_OK, resp->body, resp->body_len, NULL, f->ctx);
    else if (rc == DG_OK)
        f->done(DG_ETRANSIENT, NULL, 0, "certificate fetch: HTTP error",
                f->ctx);
    else
        f->done(rc, NULL, 0, err ? err->msg : "certificate fetch failed",
                f->ctx);
    dg_free(f);
}

static void
fetch(const char *url, size_t max_len, snsverify_fetched_fn done,
      void *done_ctx, void *fetch_ctx)
{
    struct orch_aws *a = fetch_ctx;
    if (!a->http)
        a->http = http_engine_new(a->base, NULL);
    struct fetchctx *f = dg_calloc(1, sizeof(*f));
    f->done = done;
    f->ctx = done_ctx;
    struct http_request req = {
        .method = "GET",
        .url = url,
        .max_response = max_len,
        .timeout_ms = 10000,
    };
    (void)http_start(a->http, &req, fetched, f);
}

void
orch_aws_services(struct orch_aws *a, struct orch_services *out)
{
    struct orch_services s = {
        .actions = actions_aws_catalog(a->sc),
        .resolver = actions_aws_resolver(a->sc),
        .publish = publish,
        .observe_lag = observe_lag,
        .impl = a,
        .fetch = fetch,
        .fetch_ctx = a,
    };
    *out = s;
}

/* ---- one publish, blocking (the CLI) ---------------------------------- */

struct once {
    struct event_base *base;
    int done;
    dg_rc rc;
    struct dg_err err;
    char *message_id;
};

static void
once_done(const char *message_id, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct once *w = ctx;
    w->done = 1;
    w->rc = rc;
    if (err)
        w->err = *err;
    w->message_id = dg_strdup(message_id);
    event_base_loopbreak(w->base);
}

dg_rc
orch_aws_publish_once(const struct dg_config *cfg, const char *topic_arn,
                      const char *subject, const char *message,
                      const char *type, const char *plan_id, char **message_id,
                      struct dg_err *err)
{
    *message_id = NULL;
    if (!topic_arn || !*topic_arn)
        return dg_err_setc(err, DG_EINVALID, "config",
                           "%s: /approval/reply_topic_arn is not set "
                           "(or use --print)",
                           cfg->path ? cfg->path : "config");
    struct once w;
    memset(&w, 0, sizeof(w));
    dg_err_clear(&w.err);
    w.base = event_base_new();
    if (!w.base)
        return dg_err_setc(err, DG_EFATAL, "loop", "cannot create a loop");
    struct aws_stack *st = aws_stack_new(w.base, cfg, NULL, NULL);
    struct orch_aws *a = orch_aws_new(w.base, aws_stack_svc(st));
    publish(a, topic_arn, subject, message, 0, type, plan_id, NULL, once_done,
            &w);
    while (!w.done)
        if (event_base_dispatch(w.base) < 0)
            break;
    orch_aws_free(a);
    aws_stack_free(st);
    event_base_free(w.base);
    if (!w.done)
        return dg_err_setc(err, DG_EFATAL, "loop", "the publish never ended");
    if (w.rc != DG_OK) {
        *err = w.err;
        err->rc = w.rc;
        dg_free(w.message_id);
        return w.rc;
    }
    *message_id = w.message_id;
    return DG_OK;
}
