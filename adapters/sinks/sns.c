/*
 * sinks/sns.c - the `sns` sink: each event published to an SNS topic.
 *
 * The Message is the sealed event's canonical CloudEvents JSON, byte for
 * byte, so a subscriber can check it with `drgate audit verify`. Message
 * attributes (String) let subscribers filter:
 *   type      the CloudEvents type
 *   plan_id   data.plan_id, only when present and not empty (SNS refuses
 *             empty attribute values)
 *   severity  from the type: "error" for *.failed; "warning" for
 *             drgate.input.rejected, *.refused, *.rejected and *.expired;
 *             "notice" for drgate.plan.proposed and
 *             drgate.approval.requested; "info" for everything else.
 *
 * Ownership: the sink owns a copy of every submitted event until its
 * completion. Errors: a failed Publish (after aws_call's retries) fails
 * that submit and every one queued behind it (never published, so never
 * reordered); the outbox backs off and resends from its cursor.
 *
 * DESIGN: one Publish in flight at a time, in submit (seq) order: the
 * topic receives the events in order, and an event is acknowledged only
 * when SNS answered its Publish. A Publish whose outcome is unknown (the
 * answer was lost) is resent by the outbox: subscribers see events at
 * least once, each with its original id. Stop completes the queued
 * submits with DG_ECANCELLED, waits for the one in flight, then reports.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "sink.h"
#include "sns.h"

extern const struct sink_ops sink_sns_ops;

struct sitem {
    char *json;
    int64_t seq;
    sink_done_fn done;
    void *ctx;
    struct sitem *next;
};

struct snsink {
    struct sink hdr;
    struct event_base *base;
    const struct svc_client *aws;
    char *topic_arn;
    char region[64];
    struct sitem *head, *tail; /* head is in flight when busy */
    int busy, stopping, stop_reported;
    struct sitem *cancelled; /* completed with DG_ECANCELLED from state_ev */
    struct event *state_ev;
    sink_state_fn state_cb;
    void *state_ctx;
    uint64_t published, failed;
};

const char *sns_sink_severity(const char *type);

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The documented mapping (public for tests). */
const char *
sns_sink_severity(const char *type)
{
    if (!type)
        return "info";
    if (ends_with(type, ".failed"))
        return "error";
    if (ends_with(type, ".rejected") || ends_with(type, ".refused") ||
        ends_with(type, ".expired"))
        return "warning";
    if (strcmp(type, "drgate.plan.proposed") == 0 ||
        strcmp(type, "drgate.approval.requested") == 0)
        return "notice";
    return "info";
}

static void send_next(struct snsink *k);

static void
item_free(struct sitem *it)
{
    dg_free(it->json);
    dg_free(it);
}

static void
maybe_stopped(struct snsink *k)
{
    if (k->stopping && !k->busy && !k->stop_reported) {
        k->stop_reported = 1;
        event_active(k->state_ev, 0, 0);
    }
}

static void
on_publish(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)result;
    struct snsink *k = ctx;
    struct sitem *it = k->head;
    k->head = it->next;
    if (!k->head)
        k->tail = NULL;
    k->busy = 0;
    if (rc == DG_OK) {
        k->published++;
        it->done(&k->hdr, it->seq, DG_OK, NULL, it->ctx);
        item_free(it);
        send_next(k);
        maybe_stopped(k);
        return;
    }
    k->failed++;
    struct dg_err e;
    dg_err_clear(&e);
    dg_err_set(&e, rc, "sns sink %s: Publish failed: %s", k->topic_arn,
               err ? err->msg : dg_rc_name(rc));
    /* Fail everything queued behind it too: sending it now would put it
     * before the failed one. */
    struct sitem *rest = k->head;
    k->head = k->tail = NULL;
    it->done(&k->hdr, it->seq, rc, &e, it->ctx);
    item_free(it);
    struct dg_err e2;
    dg_err_clear(&e2);
    dg_err_set(&e2, DG_ETRANSIENT,
               "sns sink %s: not sent: an earlier event failed", k->topic_arn);
    while (rest) {
        struct sitem *n = rest->next;
        rest->done(&k->hdr, rest->seq, DG_ETRANSIENT, &e2, rest->ctx);
        item_free(rest);
        rest = n;
    }
    maybe_stopped(k);
}

static void
send_next(struct snsink *k)
{
    if (k->busy || !k->head || k->stopping)
        return;
    struct sitem *it = k->head;
    size_t len = strlen(it->json);
    struct dg_err perr;
    dg_err_clear(&perr);
    cJSON *ev = dg_json_parse(it->json, len, len + 1, 64, &perr);
    const char *type = ev ? dg_json_str(ev, "type") : NULL;
    const cJSON *data = ev ? cJSON_GetObjectItem(ev, "data") : NULL;
    const char *plan_id = data ? dg_json_str(data, "plan_id") : NULL;
    struct sns_attr attrs[3];
    size_t n = 0;
    if (type && *type)
        attrs[n++] = (struct sns_attr){"type", "String", type};
    if (plan_id && *plan_id)
        attrs[n++] = (struct sns_attr){"plan_id", "String", plan_id};
    attrs[n++] =
        (struct sns_attr){"severity", "String", sns_sink_severity(type)};
    struct sns_publish_params p = {
        .topic_arn = k->topic_arn,
        .message = it->json,
        .attrs = attrs,
        .nattrs = n,
    };
    k->busy = 1;
    /* The builder copies what it needs before returning. */
    sns_publish(k->aws, k->region[0] ? k->region : NULL, &p, on_publish, k);
    cJSON_Delete(ev);
}

static void
state_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct snsink *k = arg;
    struct sitem *c = k->cancelled;
    k->cancelled = NULL;
    struct dg_err e;
    dg_err_clear(&e);
    dg_err_set(&e, DG_ECANCELLED, "sns sink %s: stopped", k->topic_arn);
    while (c) {
        struct sitem *n = c->next;
        c->done(&k->hdr, c->seq, DG_ECANCELLED, &e, c->ctx);
        item_free(c);
        c = n;
    }
    if (k->stopping) {
        if (k->stop_reported) {
            char p[32], f[32];
            snprintf(p, sizeof(p), "%llu", (unsigned long long)k->published);
            snprintf(f, sizeof(f), "%llu", (unsigned long long)k->failed);
            log_kv(DG_LOG_INFO, "sns: stopped", "topic", k->topic_arn,
                   "published", p, "failed", f, NULL);
            k->state_cb(&k->hdr, DG_OK, NULL, k->state_ctx);
        }
        return;
    }
    k->state_cb(&k->hdr, DG_OK, NULL, k->state_ctx);
}

static dg_rc
sns_create_aws(struct event_base *base, const cJSON *conf,
               const struct svc_client *aws, struct sink **out,
               struct dg_err *err)
{
    const char *arn = dg_json_str(conf, "topic_arn");
    if (!arn || !*arn)
        return dg_err_set(err, DG_EINVALID, "sns sink: topic_arn is required");
    if (!aws)
        return dg_err_set(err, DG_EINVALID,
                          "sns sink: the host gave no AWS client");
    struct snsink *k = dg_calloc(1, sizeof(*k));
    k->hdr.ops = &sink_sns_ops;
    k->base = base;
    k->aws = aws;
    k->topic_arn = dg_strdup(arn);
    /* arn:aws:sns:REGION:ACCOUNT:NAME: publish in the topic's region. */
    const char *r = arn;
    for (int i = 0; i < 3 && r; i++) {
        r = strchr(r, ':');
        if (r)
            r++;
    }
    const char *e = r ? strchr(r, ':') : NULL;
    if (r && e && e > r && (size_t)(e - r) < sizeof(k->region)) {
        memcpy(k->region, r, (size_t)(e - r));
        k->region[e - r] = '\0';
    }
    k->state_ev = event_new(base, -1, 0, state_cb, k);
    *out = &k->hdr;
    return DG_OK;
}

static dg_rc
sns_create(struct event_base *base, const cJSON *conf, struct sink **out,
           struct dg_err *err)
{
    (void)base;
    (void)conf;
    *out = NULL;
    return dg_err_set(err, DG_EINVALID,
                      "sns sink: needs the host's AWS client (create_aws)");
}

static void
sns_start(struct sink *snk, sink_state_fn cb, void *ctx)
{
    struct snsink *k = (struct snsink *)snk;
    k->state_cb = cb;
    k->state_ctx = ctx;
    event_active(k->state_ev, 0, 0);
}

static void
sns_submit(struct sink *snk, const char *json, size_t len, int64_t seq,
           sink_done_fn done, void *ctx)
{
    struct snsink *k = (struct snsink *)snk;
    struct sitem *it = dg_calloc(1, sizeof(*it));
    it->json = dg_strndup(json, len);
    it->seq = seq;
    it->done = done;
    it->ctx = ctx;
    if (k->stopping) {
        it->next = k->cancelled;
        k->cancelled = it;
        event_active(k->state_ev, 0, 0);
        return;
    }
    if (k->tail)
        k->tail->next = it;
    else
        k->head = it;
    k->tail = it;
    send_next(k);
}

static void
sns_stop(struct sink *snk, sink_state_fn cb, void *ctx)
{
    struct snsink *k = (struct snsink *)snk;
    k->stopping = 1;
    k->state_cb = cb;
    k->state_ctx = ctx;
    /* Everything not in flight is given up (it stays in the outbox). */
    struct sitem **pp = k->busy && k->head ? &k->head->next : &k->head;
    struct sitem *rest = *pp;
    *pp = NULL;
    k->tail = k->head;
    while (rest) {
        struct sitem *n = rest->next;
        rest->next = k->cancelled;
        k->cancelled = rest;
        rest = n;
    }
    event_active(k->state_ev, 0, 0);
    maybe_stopped(k);
}

static void
sns_destroy(struct sink *snk)
{
    struct snsink *k = (struct snsink *)snk;
    if (!k)
        return;
    for (struct sitem *l = k->head; l;) {
        struct sitem *n = l->next;
        item_free(l);
        l = n;
    }
    for (struct sitem *l = k->cancelled; l;) {
        struct sitem *n = l->next;
        item_free(l);
        l = n;
    }
    event_free(k->state_ev);
    dg_free(k->topic_arn);
    dg_free(k);
}

const struct sink_ops sink_sns_ops = {
    .type = "sns",
    .create = sns_create,
    .start = sns_start,
    .submit = sns_submit,
    .stop = sns_stop,
    .destroy = sns_destroy,
    .create_aws = sns_create_aws,
};
