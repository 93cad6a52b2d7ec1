/*
 * sources/kafka.c - the `kafka` source: a librdkafka consumer group.
 *
 * At least once: enable.auto.offset.store=false, and a message's offset
 * is stored (and then committed by the auto-commit timer, and at close)
 * only when the daemon acks it SOURCE_COMMITTED, i.e. after its effects
 * are in the store. A SOURCE_RETRY seeks its partition back to it; until
 * it comes round again, later messages of that partition are neither
 * delivered nor have their offsets stored.
 *
 * Ownership: each delivered rd_kafka_message_t is owned by the source
 * until its ack. Errors: a configuration librdkafka refuses fails create;
 * a fatal consumer error fails the source; everything else is logged.
 *
 * DESIGN: no polling thread. The consumer queue (the main queue and the
 * log queue forwarded into it) has its io-event pipe wired into the loop;
 * on each wakeup at most BUDGET items are served with
 * rd_kafka_consumer_poll(rk, 0) (messages, rebalance and log callbacks run
 * on the loop thread), and the handler re-activates itself if more may be
 * waiting. A slow timer re-checks the queue as a safety net. Pause stops
 * taking messages (librdkafka keeps what it prefetched); after
 * HARD_PAUSE_MS it pauses the assigned partitions (polling continues so
 * rebalances and max.poll.interval.ms are served). Rebalances follow the
 * protocol: incremental assign/unassign for COOPERATIVE, assign for EAGER. Stop
 * waits for every delivered message's ack, then closes asynchronously
 * with rd_kafka_consumer_close_queue and keeps serving until
 * rd_kafka_consumer_closed().
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
#include "source.h"

extern const struct source_ops source_kafka_ops;

#define BUDGET 256
#define SAFETY_MS 500
#define HARD_PAUSE_MS 10000 /* a pause this long pauses the partitions */

struct rewind {
    int32_t partition;
    int64_t offset;
};

struct ksrc {
    struct source hdr;
    struct event_base *base;
    struct source_host host;
    char *topic;
    rd_kafka_t *rk;
    rd_kafka_queue_t *cq;
    int fds[2];
    struct event *io_ev, *more_ev, *safety_ev, *stopped_ev;
    size_t inflight;
    int paused, stopping, closing, stopped;
    int hard_paused;       /* partitions paused in librdkafka */
    struct event *hard_ev; /* soft pause turning hard */
    struct rewind *rw;
    size_t nrw;
};

struct kmsg {
    rd_kafka_message_t *m;
    char origin[300];
};

static struct rewind *
rewind_find(struct ksrc *k, int32_t partition)
{
    for (size_t i = 0; i < k->nrw; i++)
        if (k->rw[i].partition == partition)
            return &k->rw[i];
    return NULL;
}

static void
rewind_clear(struct ksrc *k, int32_t partition)
{
    for (size_t i = 0; i < k->nrw; i++)
        if (k->rw[i].partition == partition) {
            k->rw[i] = k->rw[--k->nrw];
            return;
        }
}

static void
set_paused(struct ksrc *k, int pause)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(k->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        !parts)
        return;
    if (parts->cnt > 0) {
        if (pause)
            (void)rd_kafka_pause_partitions(k->rk, parts);
        else
            (void)rd_kafka_resume_partitions(k->rk, parts);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
             rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct ksrc *k = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    char n[32];
    snprintf(n, sizeof(n), "%d", parts ? parts->cnt : 0);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_kv(DG_LOG_INFO, "kafka: partitions assigned", "topic", k->topic,
               "count", n, NULL);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            (void)rd_kafka_assign(rk, parts);
        }
        if (k->hard_paused || k->stopping)
            set_paused(k, 1);
    } else {
        log_kv(err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? DG_LOG_INFO
                                                           : DG_LOG_WARN,
               "kafka: partitions revoked", "topic", k->topic, "count", n,
               "reason", rd_kafka_err2str(err), NULL);
        for (int i = 0; parts && i < parts->cnt; i++)
            rewind_clear(k, parts->elems[i].partition);
        if (coop && err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            (void)rd_kafka_assign(rk, NULL);
        }
    }
}

static void
fatal(struct ksrc *k, const char *what)
{
    struct dg_err err;
    dg_err_clear(&err);
    dg_err_set(&err, DG_EFATAL, "kafka source %s: %s", k->topic, what);
    k->host.failed(&k->hdr, &err, k->host.ctx);
}

static void
handle_message(struct ksrc *k, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            log_kv(DG_LOG_WARN, "kafka: consumer error", "topic", k->topic,
                   "error", rd_kafka_message_errstr(m), NULL);
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            char why[256];
            (void)rd_kafka_fatal_error(k->rk, why, sizeof(why));
            rd_kafka_message_destroy(m);
            fatal(k, why);
            return;
        }
        rd_kafka_message_destroy(m);
        return;
    }
    if (k->stopping) {
        rd_kafka_message_destroy(m); /* not stored: read again next time */
        return;
    }
    struct rewind *r = rewind_find(k, m->partition);
    if (r) {
        if (m->offset > r->offset) {
            rd_kafka_message_destroy(m); /* fetched before the seek */
            return;
        }
        rewind_clear(k, m->partition);
    }
    struct kmsg *km = dg_malloc(sizeof(*km));
    km->m = m;
    snprintf(km->origin, sizeof(km->origin), "%s/%d@%lld", k->topic,
             (int)m->partition, (long long)m->offset);
    k->inflight++;
    k->host.deliver(&k->hdr, km, m->payload ? (const char *)m->payload : "",
                    m->len, km->origin, k->host.ctx);
}

static void finish_close(struct ksrc *k);

static void
serve(struct ksrc *k)
{
    if (k->stopped || !k->rk)
        return;
    /* Soft pause: leave librdkafka's prefetched messages where they are
     * (pausing partitions would throw them away and each resume would wait
     * a whole fetch round); a long pause becomes a partition pause so
     * rebalances are served again. */
    if (k->paused && !k->hard_paused && !k->stopping && !k->closing)
        return;
    int n = 0;
    for (; n < BUDGET; n++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 0);
        if (!m)
            break;
        handle_message(k, m);
        if (k->stopped)
            return;
    }
    if (n == BUDGET)
        event_active(k->more_ev, 0, 0);
    if (k->closing && rd_kafka_consumer_closed(k->rk))
        finish_close(k);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct ksrc *k = arg;
    if (fd >= 0)
        kafka_pipe_drain(fd);
    serve(k);
}

static void
safety_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    serve(arg);
}

static void
stopped_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ksrc *k = arg;
    k->host.stopped(&k->hdr, k->host.ctx);
}

static void
finish_close(struct ksrc *k)
{
    if (k->stopped)
        return;
    k->stopped = 1;
    event_del(k->io_ev);
    event_del(k->safety_ev);
    log_kv(DG_LOG_INFO, "kafka: consumer closed", "topic", k->topic, NULL);
    event_active(k->stopped_ev, 0, 0);
}

static void
begin_close(struct ksrc *k)
{
    if (k->closing)
        return;
    k->closing = 1;
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(k->rk, k->cq);
    if (e) {
        log_kv(DG_LOG_WARN, "kafka: close failed", "topic", k->topic, "error",
               rd_kafka_error_string(e), NULL);
        rd_kafka_error_destroy(e);
        finish_close(k);
        return;
    }
    event_active(k->more_ev, 0, 0);
}

static void kafka_destroy(struct source *src);
static void hard_cb(evutil_socket_t fd, short what, void *arg);

static dg_rc
kafka_create(struct event_base *base, const cJSON *conf,
             const struct source_host *host, struct source **out,
             struct dg_err *err)
{
    *out = NULL;
    const char *topic = dg_json_str(conf, "topic");
    const char *group = dg_json_str(conf, "group_id");
    if (!topic)
        return dg_err_set(err, DG_EINVALID, "kafka source: topic is required");
    rd_kafka_conf_t *c = kafka_conf_new(conf, err);
    if (!c)
        return DG_EINVALID;
    char e[512];
    if (rd_kafka_conf_set(c, "group.id", group ? group : "drgate", e,
                          sizeof(e)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(c, "enable.auto.offset.store", "false", e,
                          sizeof(e)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(c, "auto.offset.reset", "earliest", e, sizeof(e)) !=
            RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(c);
        return dg_err_set(err, DG_EINVALID, "kafka source: %s", e);
    }
    struct ksrc *k = dg_calloc(1, sizeof(*k));
    k->hdr.ops = &source_kafka_ops;
    k->base = base;
    k->host = *host;
    k->topic = dg_strdup(topic);
    k->fds[0] = k->fds[1] = -1;
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_opaque(c, k);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
    if (!k->rk) {
        rd_kafka_conf_destroy(c);
        kafka_destroy(&k->hdr);
        return dg_err_set(err, DG_EINVALID, "kafka source: %s", e);
    }
    (void)rd_kafka_set_log_queue(k->rk, NULL); /* logs to the main queue */
    (void)rd_kafka_poll_set_consumer(k->rk);   /* main -> consumer queue */
    k->cq = rd_kafka_queue_get_consumer(k->rk);
    if (kafka_pipe_open(k->fds) != 0) {
        kafka_destroy(&k->hdr);
        return dg_err_set(err, DG_EFATAL, "kafka source: cannot make a pipe");
    }
    rd_kafka_queue_io_event_enable(k->cq, k->fds[1], "1", 1);
    k->io_ev = event_new(base, k->fds[0], EV_READ | EV_PERSIST, io_cb, k);
    k->more_ev = event_new(base, -1, 0, io_cb, k);
    k->safety_ev = event_new(base, -1, EV_PERSIST, safety_cb, k);
    k->stopped_ev = event_new(base, -1, 0, stopped_cb, k);
    k->hard_ev = event_new(base, -1, 0, hard_cb, k);
    *out = &k->hdr;
    return DG_OK;
}

static void
started_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ksrc *k = arg;
    if (k->stopping)
        return;
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, k->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (e) {
        fatal(k, rd_kafka_err2str(e));
        return;
    }
    event_add(k->io_ev, NULL);
    dg_clock_arm(k->safety_ev, SAFETY_MS);
    k->host.started(&k->hdr, k->host.ctx);
    serve(k);
}

static void
kafka_start(struct source *src)
{
    struct ksrc *k = (struct ksrc *)src;
    struct timeval zero = {0, 0};
    (void)event_base_once(k->base, -1, EV_TIMEOUT, started_cb, k, &zero);
}

static void
kafka_stop(struct source *src)
{
    struct ksrc *k = (struct ksrc *)src;
    if (k->stopping)
        return;
    k->stopping = 1;
    set_paused(k, 1);
    if (!event_pending(k->io_ev, EV_READ, NULL)) {
        /* never started */
        k->stopped = 1;
        event_active(k->stopped_ev, 0, 0);
        return;
    }
    if (k->inflight == 0)
        begin_close(k);
}

static void
hard_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ksrc *k = arg;
    if (k->paused && !k->hard_paused && !k->stopping) {
        k->hard_paused = 1;
        set_paused(k, 1);
        serve(k); /* polling again serves rebalances */
    }
}

static void
kafka_pause(struct source *src)
{
    struct ksrc *k = (struct ksrc *)src;
    if (!k->paused) {
        k->paused = 1;
        dg_clock_arm(k->hard_ev, HARD_PAUSE_MS);
    }
}

static void
kafka_resume(struct source *src)
{
    struct ksrc *k = (struct ksrc *)src;
    if (k->paused && !k->stopping) {
        k->paused = 0;
        event_del(k->hard_ev);
        if (k->hard_paused) {
            k->hard_paused = 0;
            set_paused(k, 0);
        }
        event_active(k->more_ev, 0, 0);
    }
}

static void
kafka_ack(struct source *src, void *handle, enum source_outcome o)
{
    struct ksrc *k = (struct ksrc *)src;
    struct kmsg *km = handle;
    rd_kafka_message_t *m = km->m;
    if (k->inflight)
        k->inflight--;
    struct rewind *r = rewind_find(k, m->partition);
    if (o == SOURCE_COMMITTED && !r) {
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt),
                                          m->partition)
            ->offset = m->offset + 1;
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(k->rk, l);
        if (e)
            log_kv(DG_LOG_DEBUG, "kafka: offset not stored (revoked?)",
                   "origin", km->origin, "error", rd_kafka_err2str(e), NULL);
        rd_kafka_topic_partition_list_destroy(l);
    } else if (o == SOURCE_RETRY && !k->stopping) {
        if (!r) {
            k->rw = dg_realloc(k->rw, (k->nrw + 1) * sizeof(*k->rw));
            k->rw[k->nrw++] = (struct rewind){m->partition, m->offset};
        } else if (m->offset < r->offset) {
            r->offset = m->offset;
        }
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt),
                                          m->partition)
            ->offset = rewind_find(k, m->partition)->offset;
        rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, l, 0);
        if (e)
            rd_kafka_error_destroy(e);
        rd_kafka_topic_partition_list_destroy(l);
    }
    rd_kafka_message_destroy(m);
    dg_free(km);
    if (k->stopping && k->inflight == 0)
        begin_close(k);
}

static void
kafka_destroy(struct source *src)
{
    struct ksrc *k = (struct ksrc *)src;
    if (!k)
        return;
    if (k->io_ev)
        event_free(k->io_ev);
    if (k->more_ev)
        event_free(k->more_ev);
    if (k->safety_ev)
        event_free(k->safety_ev);
    if (k->stopped_ev)
        event_free(k->stopped_ev);
    if (k->hard_ev)
        event_free(k->hard_ev);
    if (k->cq)
        rd_kafka_queue_destroy(k->cq);
    if (k->rk) {
        /* Closed already after a stop; NO_CONSUMER_CLOSE avoids a
         * blocking close otherwise. */
        rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    for (int i = 0; i < 2; i++)
        if (k->fds[i] >= 0)
            close(k->fds[i]);
    dg_free(k->rw);
    dg_free(k->topic);
    dg_free(k);
}

const struct source_ops source_kafka_ops = {
    .type = "kafka",
    .create = kafka_create,
    .start = kafka_start,
    .stop = kafka_stop,
    .pause = kafka_pause,
    .resume = kafka_resume,
    .ack = kafka_ack,
    .destroy = kafka_destroy,
};
