/*
 * sinks/kafka.c - the `kafka` sink: each event produced to a topic; a
 * submit completes on its delivery report (DG_OK on success, DG_ETRANSIENT
 * on failure: the outbox retries).
 *
 * Ownership: each submit's completion record is the message's opaque and
 * is freed after its report; librdkafka copies the payload. Errors: a
 * configuration librdkafka refuses fails create; a full local queue fails
 * that submit (deferred, never from inside submit).
 *
 * DESIGN: every event has the same key ("drgate"), so one partition holds
 * them in order, and enable.idempotence keeps that order across retries.
 * Delivery reports and logs arrive on the main queue, whose io-event pipe
 * is wired into the loop (no polling thread); each wakeup serves them
 * with rd_kafka_poll(rk, 0). Stop waits for the outstanding reports; after
 * STOP_GRACE_MS it purges what is left, whose reports then complete those
 * submits with a failure, and finishes once the queue is empty.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "json.h"
#include "kafka_common.h"
#include "log.h"
#include "mem.h"
#include "sink.h"

extern const struct sink_ops sink_kafka_ops;

#define STOP_GRACE_MS 5000
#define SAFETY_MS 500

struct pending {
    struct ksink *k;
    int64_t seq;
    sink_done_fn done;
    void *ctx;
    dg_rc rc; /* for local failures completed from fail_ev */
    struct pending *next;
};

struct ksink {
    struct sink hdr;
    struct event_base *base;
    char *topic;
    rd_kafka_t *rk;
    rd_kafka_queue_t *mq;
    int fds[2];
    struct event *io_ev, *safety_ev, *state_ev, *fail_ev, *grace_ev;
    struct pending *failed_head, **failed_tail;
    size_t outstanding;
    sink_state_fn state_cb;
    void *state_ctx;
    int stopping, stopped, purged;
};

static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    struct pending *p = m->_private;
    if (!p)
        return;
    struct ksink *k = p->k;
    if (k->outstanding)
        k->outstanding--;
    struct dg_err err;
    dg_err_clear(&err);
    if (m->err) {
        dg_err_set(&err, DG_ETRANSIENT, "kafka sink %s: %s", k->topic,
                   rd_kafka_err2str(m->err));
        p->done(&k->hdr, p->seq, DG_ETRANSIENT, &err, p->ctx);
    } else {
        p->done(&k->hdr, p->seq, DG_OK, NULL, p->ctx);
    }
    dg_free(p);
}

static void
maybe_stopped(struct ksink *k)
{
    if (k->stopping && !k->stopped && k->outstanding == 0 && !k->failed_head) {
        k->stopped = 1;
        event_del(k->grace_ev);
        event_active(k->state_ev, 0, 0);
    }
}

static void
serve(struct ksink *k)
{
    if (!k->rk)
        return;
    (void)rd_kafka_poll(k->rk, 0);
    maybe_stopped(k);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    if (fd >= 0)
        kafka_pipe_drain(fd);
    serve(arg);
}

static void
fail_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ksink *k = arg;
    struct pending *p = k->failed_head;
    k->failed_head = NULL;
    k->failed_tail = &k->failed_head;
    struct dg_err err;
    while (p) {
        struct pending *next = p->next;
        dg_err_clear(&err);
        dg_err_set(&err, p->rc, "kafka sink %s: cannot queue the event",
                   k->topic);
        p->done(&k->hdr, p->seq, p->rc, &err, p->ctx);
        dg_free(p);
        p = next;
    }
    maybe_stopped(k);
}

static void
state_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ksink *k = arg;
    if (k->stopped) {
        event_del(k->io_ev);
        event_del(k->safety_ev);
    }
    k->state_cb(&k->hdr, DG_OK, NULL, k->state_ctx);
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ksink *k = arg;
    if (k->stopped || k->purged)
        return;
    k->purged = 1;
    log_kv(DG_LOG_WARN, "kafka sink: undelivered events purged at stop",
           "topic", k->topic, NULL);
    (void)rd_kafka_purge(k->rk,
                         RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    serve(k);
}

static void ksink_destroy(struct sink *snk);

static dg_rc
ksink_create(struct event_base *base, const cJSON *conf, struct sink **out,
             struct dg_err *err)
{
    *out = NULL;
    const char *topic = dg_json_str(conf, "topic");
    if (!topic)
        return dg_err_set(err, DG_EINVALID, "kafka sink: topic is required");
    rd_kafka_conf_t *c = kafka_conf_new(conf, err);
    if (!c)
        return DG_EINVALID;
    char e[512];
    if (rd_kafka_conf_set(c, "enable.idempotence", "true", e, sizeof(e)) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(c);
        return dg_err_set(err, DG_EINVALID, "kafka sink: %s", e);
    }
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    struct ksink *k = dg_calloc(1, sizeof(*k));
    k->hdr.ops = &sink_kafka_ops;
    k->base = base;
    k->topic = dg_strdup(topic);
    k->fds[0] = k->fds[1] = -1;
    k->failed_tail = &k->failed_head;
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
    if (!k->rk) {
        rd_kafka_conf_destroy(c);
        ksink_destroy(&k->hdr);
        return dg_err_set(err, DG_EINVALID, "kafka sink: %s", e);
    }
    (void)rd_kafka_set_log_queue(k->rk, NULL);
    k->mq = rd_kafka_queue_get_main(k->rk);
    if (kafka_pipe_open(k->fds) != 0) {
        ksink_destroy(&k->hdr);
        return dg_err_set(err, DG_EFATAL, "kafka sink: cannot make a pipe");
    }
    rd_kafka_queue_io_event_enable(k->mq, k->fds[1], "1", 1);
    k->io_ev = event_new(base, k->fds[0], EV_READ | EV_PERSIST, io_cb, k);
    k->safety_ev = event_new(base, -1, EV_PERSIST, io_cb, k);
    k->state_ev = event_new(base, -1, 0, state_cb, k);
    k->fail_ev = event_new(base, -1, 0, fail_cb, k);
    k->grace_ev = evtimer_new(base, grace_cb, k);
    *out = &k->hdr;
    return DG_OK;
}

static void
ksink_start(struct sink *snk, sink_state_fn cb, void *ctx)
{
    struct ksink *k = (struct ksink *)snk;
    k->state_cb = cb;
    k->state_ctx = ctx;
    event_add(k->io_ev, NULL);
    dg_clock_arm(k->safety_ev, SAFETY_MS);
    event_active(k->state_ev, 0, 0);
}

static void
ksink_submit(struct sink *snk, const char *json, size_t len, int64_t seq,
             sink_done_fn done, void *ctx)
{
    struct ksink *k = (struct ksink *)snk;
    struct pending *p = dg_calloc(1, sizeof(*p));
    p->k = k;
    p->seq = seq;
    p->done = done;
    p->ctx = ctx;
    int e = 1;
    if (!k->stopping) {
        /* produceva: the RD_KAFKA_V_* macros use statement expressions. */
        rd_kafka_vu_t vu[5];
        vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
        vu[0].u.cstr = k->topic;
        vu[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vu[1].u.i = RD_KAFKA_MSG_F_COPY;
        vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
        vu[2].u.mem.ptr = (void *)json;
        vu[2].u.mem.size = len;
        vu[3].vtype = RD_KAFKA_VTYPE_KEY;
        vu[3].u.mem.ptr = (void *)"drgate";
        vu[3].u.mem.size = 6;
        vu[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
        vu[4].u.ptr = p;
        rd_kafka_error_t *ke = rd_kafka_produceva(k->rk, vu, 5);
        e = ke != NULL;
        if (ke)
            rd_kafka_error_destroy(ke);
    }
    if (e) {
        p->rc = k->stopping ? DG_ECANCELLED : DG_ETRANSIENT;
        *k->failed_tail = p;
        k->failed_tail = &p->next;
        event_active(k->fail_ev, 0, 0);
        return;
    }
    k->outstanding++;
}

static void
ksink_stop(struct sink *snk, sink_state_fn cb, void *ctx)
{
    struct ksink *k = (struct ksink *)snk;
    k->state_cb = cb;
    k->state_ctx = ctx;
    k->stopping = 1;
    dg_clock_arm(k->grace_ev, STOP_GRACE_MS);
    /* Checked from the loop so stopped never runs inside stop. */
    event_active(k->fail_ev, 0, 0);
}

static void
ksink_destroy(struct sink *snk)
{
    struct ksink *k = (struct ksink *)snk;
    if (!k)
        return;
    if (k->mq)
        rd_kafka_queue_destroy(k->mq);
    if (k->rk) {
        /* Only after a hard stop can reports be outstanding here: they are
         * dropped with the handle, and destroy calls back nothing. */
        (void)rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
                                        RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(k->rk);
    }
    struct event *evs[] = {k->io_ev, k->safety_ev, k->state_ev, k->fail_ev,
                           k->grace_ev};
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
        if (evs[i])
            event_free(evs[i]);
    for (struct pending *p = k->failed_head, *n; p; p = n) {
        n = p->next;
        dg_free(p);
    }
    for (int i = 0; i < 2; i++)
        if (k->fds[i] >= 0)
            close(k->fds[i]);
    dg_free(k->topic);
    dg_free(k);
}

const struct sink_ops sink_kafka_ops = {
    .type = "kafka",
    .create = ksink_create,
    .start = ksink_start,
    .submit = ksink_submit,
    .stop = ksink_stop,
    .destroy = ksink_destroy,
};
