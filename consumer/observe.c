/*
 * observe.c - the daemon's metrics and HTTP endpoint: what counts where.
 *
 * Ownership: owns the metrics registry, the pending counts of the open
 * transaction and the HTTP server; borrows the store, the outbox and the
 * daemon's callbacks. Errors: only observe_listen fails (the endpoint
 * cannot bind: a startup error); counting never fails (misuse of a
 * metric is a programming error the registry refuses silently).
 *
 * DESIGN: the counters follow the audit trail. Every event the daemon
 * writes (engine lines, the orchestrator's and the executor's events)
 * passes through observe_event inside its transaction; the counts it
 * implies wait in a pending list until the daemon reports the commit, so
 * a rolled-back batch that is redelivered is counted once. Anything still
 * pending when a transaction begins belongs to one that has ended (the
 * orchestrator's and the executor's commits are reported late, through
 * the host's committed callback), so observe_commit is also called then.
 * Messages received and AWS calls are counted as they happen. Gauges that
 * describe the store and the outbox (plans by state, outbox depth and
 * age, failing sinks, readiness) are read at each scrape.
 */
#include "observe.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "outbox.h"
#include "store_events.h"
#include "store_views.h"

/* Bound on pending counts of one transaction; past it they count at once
 * (a batch of 64 messages writes far fewer events that count). */
#define MAX_PENDING 1024
/* Distinct plan states remembered so a state that empties reads 0. */
#define MAX_STATES 16

struct pend {
    enum metric_id id;
    char *labels[METRICS_MAX_LABELS];
    double v;
};

struct observe {
    struct metrics *m;
    struct pend *pend;
    size_t npend;
    struct httpd *http;
    struct observe_listen_opts o;
    char *port_file;
    char *states[MAX_STATES];
    size_t nstates;
};

static const char *const plan_states[] = {
    "proposed", "approved", "rejected", "expired", "succeeded", "failed",
};

struct observe *
observe_new(const char *version, int64_t start_ms)
{
    struct observe *ob = dg_calloc(1, sizeof(*ob));
    ob->m = metrics_new();
    metrics_init_process(ob->m, version, start_ms);
    ob->pend = dg_calloc(MAX_PENDING, sizeof(*ob->pend));
    for (size_t i = 0; i < sizeof(plan_states) / sizeof(plan_states[0]); i++)
        ob->states[ob->nstates++] = dg_strdup(plan_states[i]);
    return ob;
}

struct metrics *
observe_metrics(struct observe *ob)
{
    return ob->m;
}

/* ---- counting --------------------------------------------------------- */

static void
apply(struct observe *ob, enum metric_id id, const char *const *labels,
      double v)
{
    if (id == MET_AWS_CALL_SECONDS || id == MET_STEP_DURATION)
        (void)metrics_observe(ob->m, id, labels, v);
    else
        (void)metrics_add(ob->m, id, labels, v);
}

static void
pend_clear(struct pend *p)
{
    for (int i = 0; i < METRICS_MAX_LABELS; i++) {
        dg_free(p->labels[i]);
        p->labels[i] = NULL;
    }
}

/* Queues one count for the open transaction (labels: up to 3 values). */
static void
later(struct observe *ob, enum metric_id id, double v, const char *a,
      const char *b)
{
    const char *l[METRICS_MAX_LABELS] = {a ? a : "", b ? b : "", ""};
    if (ob->npend == MAX_PENDING) {
        apply(ob, id, l, v);
        return;
    }
    struct pend *p = &ob->pend[ob->npend++];
    p->id = id;
    p->v = v;
    for (int i = 0; i < METRICS_MAX_LABELS; i++)
        p->labels[i] = dg_strdup(l[i]);
}

void
observe_event(struct observe *ob, const char *type, const cJSON *data)
{
    if (!ob || !type)
        return;
    if (strcmp(type, "drgate.decision.made") == 0) {
        later(ob, MET_DECISIONS, 1, dg_json_str(data, "verdict"), NULL);
    } else if (strcmp(type, "drgate.input.rejected") == 0) {
        later(ob, MET_MESSAGES_REJECTED, 1, dg_json_str(data, "source"),
              dg_json_str(data, "reason_code"));
    } else if (strcmp(type, "drgate.plan.proposed") == 0) {
        later(ob, MET_PLANS_TOTAL, 1, dg_json_str(data, "class"), NULL);
    } else if (strcmp(type, "drgate.approval.accepted") == 0) {
        later(ob, MET_APPROVAL_REPLIES, 1, "accepted", "ok");
    } else if (strcmp(type, "drgate.approval.refused") == 0) {
        later(ob, MET_APPROVAL_REPLIES, 1, "refused",
              dg_json_str(data, "reason_code"));
    } else if (strcmp(type, "drgate.step.succeeded") == 0 ||
               strcmp(type, "drgate.step.failed") == 0) {
        double ms = 0;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(data, "duration_ms");
        if (cJSON_IsNumber(d))
            ms = d->valuedouble;
        later(ob, MET_STEP_DURATION, ms / 1000.0, dg_json_str(data, "type"),
              type[12] == 's' ? "succeeded" : "failed");
    }
}

void
observe_commit(struct observe *ob)
{
    if (!ob)
        return;
    for (size_t i = 0; i < ob->npend; i++) {
        struct pend *p = &ob->pend[i];
        apply(ob, p->id, (const char *const *)p->labels, p->v);
        pend_clear(p);
    }
    ob->npend = 0;
}

void
observe_rollback(struct observe *ob)
{
    if (!ob)
        return;
    for (size_t i = 0; i < ob->npend; i++)
        pend_clear(&ob->pend[i]);
    ob->npend = 0;
}

void
observe_received(struct observe *ob, const char *source)
{
    if (ob)
        (void)metrics_inc(ob->m, MET_MESSAGES_RECEIVED, ML(source));
}

void
observe_aws_call(const char *service, const char *operation, dg_rc rc,
                 int attempts, int64_t latency_ms, void *ctx)
{
    struct observe *ob = ctx;
    if (!ob)
        return;
    (void)metrics_inc(ob->m, MET_AWS_CALLS,
                      ML(service, operation, dg_rc_name(rc)));
    if (attempts > 1)
        (void)metrics_add(ob->m, MET_AWS_RETRIES, ML(service, operation),
                          (double)(attempts - 1));
    (void)metrics_observe(ob->m, MET_AWS_CALL_SECONDS, ML(service),
                          (double)(latency_ms > 0 ? latency_ms : 0) / 1000.0);
}

/* ---- gauges at scrape time --------------------------------------------- */

static void
plan_count(const char *state, int64_t n, void *ctx)
{
    struct observe *ob = ctx;
    size_t i;
    for (i = 0; i < ob->nstates; i++)
        if (strcmp(ob->states[i], state) == 0)
            break;
    if (i == ob->nstates && ob->nstates < MAX_STATES)
        ob->states[ob->nstates++] = dg_strdup(state);
    (void)metrics_set(ob->m, MET_PLANS, ML(state), (double)n);
}

static void
scrape(struct metrics *m, void *ctx)
{
    struct observe *ob = ctx;
    char why[8];
    int ready =
        ob->o.ready ? ob->o.ready(why, sizeof(why), ob->o.ready_ctx) : 1;
    (void)metrics_set(m, MET_READY, NULL, ready ? 1 : 0);
    struct dg_err err;
    dg_err_clear(&err);
    if (ob->o.store) {
        for (size_t i = 0; i < ob->nstates; i++)
            (void)metrics_set(m, MET_PLANS, ML(ob->states[i]), 0);
        if (store_views_plan_counts(ob->o.store, plan_count, ob, &err) != DG_OK)
            log_kv(DG_LOG_WARN, "metrics: cannot count plans", "error", err.msg,
                   NULL);
    }
    if (!ob->o.outbox || !ob->o.store)
        return;
    int64_t head = 0;
    char hash[DG_SHA256_HEX_LEN + 1];
    if (store_events_head(ob->o.store, &head, hash, &err) != DG_OK)
        return;
    int64_t now = ob->o.now_ms ? ob->o.now_ms(ob->o.clock_ctx) : 0;
    for (size_t i = 0; i < outbox_nsinks(ob->o.outbox); i++) {
        struct outbox_sink_stats st;
        outbox_sink_stats(ob->o.outbox, i, &st);
        int64_t depth = head > st.acked_seq ? head - st.acked_seq : 0;
        double age = 0;
        int64_t t = 0;
        int found = 0;
        if (depth > 0 &&
            store_views_event_time(ob->o.store, st.acked_seq + 1, &t, &found,
                                   &err) == DG_OK &&
            found && now > t)
            age = (double)(now - t) / 1000.0;
        (void)metrics_set(m, MET_OUTBOX_DEPTH, ML(st.name), (double)depth);
        (void)metrics_set(m, MET_OUTBOX_OLDEST_AGE, ML(st.name), age);
        (void)metrics_set(m, MET_SINK_FAILING, ML(st.name),
                          st.failing_since_ms ? 1 : 0);
    }
}

/* ---- the endpoint ------------------------------------------------------ */

static void
write_port_file(const char *path, int port)
{
    char *tmp = dg_sprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%d\n", port) > 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok) {
        (void)unlink(tmp);
        log_kv(DG_LOG_WARN, "cannot write the http port file", "path", path,
               NULL);
    }
    dg_free(tmp);
}

dg_rc
observe_listen(struct observe *ob, struct event_base *base,
               const struct observe_listen_opts *o, struct dg_err *err)
{
    ob->o = *o;
    ob->o.port_file = NULL;
    struct httpd_opts ho = {
        .listen = o->listen,
        .allow_remote = o->allow_remote,
        .metrics = ob->m,
        .scrape = scrape,
        .scrape_ctx = ob,
        .ready = o->ready,
        .ready_ctx = o->ready_ctx,
        .plans = o->store ? httpd_plans_from_store : NULL,
        .plans_ctx = o->store,
    };
    dg_rc rc = httpd_start(base, &ho, &ob->http, err);
    if (rc != DG_OK)
        return rc;
    char port[16];
    snprintf(port, sizeof(port), "%d", httpd_port(ob->http));
    log_kv(DG_LOG_INFO, "http listening", "address", o->listen, "port", port,
           NULL);
    if (o->port_file) {
        ob->port_file = dg_strdup(o->port_file);
        write_port_file(ob->port_file, httpd_port(ob->http));
    }
    return DG_OK;
}

int
observe_port(const struct observe *ob)
{
    return ob && ob->http ? httpd_port(ob->http) : 0;
}

void
observe_stop(struct observe *ob)
{
    if (!ob)
        return;
    httpd_free(ob->http);
    ob->http = NULL;
    if (ob->port_file) {
        (void)unlink(ob->port_file);
        dg_free(ob->port_file);
        ob->port_file = NULL;
    }
    memset(&ob->o, 0, sizeof(ob->o));
}

void
observe_free(struct observe *ob)
{
    if (!ob)
        return;
    observe_stop(ob);
    observe_rollback(ob);
    dg_free(ob->pend);
    for (size_t i = 0; i < ob->nstates; i++)
        dg_free(ob->states[i]);
    metrics_free(ob->m);
    dg_free(ob);
}
