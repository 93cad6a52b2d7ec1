/*
 * sources/sqs.c - the `sqs` source: long polling an SQS queue (EventBridge
 * and SNS deliveries, approval replies, commands).
 *
 * At least once, never losing a message: a message is deleted only after
 * the daemon acked it SOURCE_COMMITTED (its effects are in the store).
 * A SOURCE_RETRY (drgate failed, e.g. the store) is NOT deleted and its
 * visibility is no longer extended: it becomes visible again when its
 * visibility timeout runs out and the queue redelivers it (dedup keeps its
 * effects single). Leaving it to expire, rather than setting visibility 0,
 * spaces the retries of a store outage by visibility_timeout, so the
 * queue's redrive policy (maxReceiveCount, then the DLQ) is reached only
 * after minutes, not in a burst. A poison message (one that makes drgate
 * itself fail every time) is therefore moved to the DLQ by the queue's
 * redrive policy; refused input is not poison: it is recorded as a
 * drgate.input.rejected event, acked and deleted like any other message.
 *
 * Ownership: the source owns every received message (body, receipt handle)
 * until its ack, and every batch it has sent until its answer. Errors:
 * ReceiveMessage failures (after aws_call's own retries) are logged and
 * retried with exponential backoff and full jitter (200 ms doubling to
 * 20 s); DeleteMessageBatch and ChangeMessageVisibilityBatch failures are
 * logged: an undeleted message comes back after its visibility timeout and
 * dedup drops it, an unextended one may be delivered twice, likewise.
 *
 * DESIGN: `in_flight` ReceiveMessage calls (long polls of wait_seconds)
 * are kept outstanding while the source runs and is not paused. Each
 * message is handed to the host with its MessageId as origin; its
 * ApproximateReceiveCount is logged when above 1 (a redelivery) and
 * counted. Committed acks are coalesced for DELETE_WINDOW_MS (or until 10
 * are waiting) into one DeleteMessageBatch. A timer every second extends
 * (ChangeMessageVisibilityBatch, back to visibility_timeout) every message
 * still being worked on whose invisibility ends within a third of
 * visibility_timeout. visibility_timeout 0 means the queue's own default
 * and then no extension is done. Stop: no new receives; messages a
 * still-running receive returns are released at once (visibility 0, they
 * were never delivered); committed acks are deleted without waiting for
 * the window; host->stopped runs once no call is outstanding and every
 * delivered message has been acked.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "source.h"
#include "sqs.h"

extern const struct source_ops source_sqs_ops;

#define DELETE_WINDOW_MS 20
#define BACKOFF_BASE_MS 200
#define BACKOFF_MAX_MS 20000
#define EXTEND_EVERY_MS 1000

struct smsg {
    struct sqsrc *s;
    char *id;
    char *receipt;
    char *body;
    size_t len;
    int64_t visible_at; /* monotonic ms when it becomes visible again */
    struct smsg *prev, *next;
};

/* One batch call in flight: copies of what it needs. */
struct sbatch {
    struct sqsrc *s;
    int deleting; /* 1: DeleteMessageBatch, 0: ChangeMessageVisibility */
    size_t n;
    char ids[SQS_MAX_MESSAGES][24];
    char *receipts[SQS_MAX_MESSAGES];
    char *mids[SQS_MAX_MESSAGES];
};

struct sqsrc {
    struct source hdr;
    struct event_base *base;
    struct source_host host;
    const struct svc_client *aws;
    char *queue_url;
    char region[64]; /* from the queue URL; "" = the client's */
    int wait, max, vis, in_flight;
    int receiving; /* ReceiveMessage calls outstanding */
    int batches;   /* batch calls outstanding */
    int paused, stopping, started, stopped, backing_off;
    unsigned errors;   /* consecutive receive failures */
    struct smsg *head; /* delivered, not yet acked */
    size_t unacked;
    /* committed, waiting for the delete window */
    char *del_receipt[SQS_MAX_MESSAGES];
    char *del_mid[SQS_MAX_MESSAGES];
    size_t ndel;
    struct event *delete_ev, *extend_ev, *backoff_ev, *state_ev;
    uint64_t received, deleted, delete_failed, extended, redelivered;
};

/* "https://sqs.eu-west-1.amazonaws.com/..." or
 * "https://eu-west-1.queue.amazonaws.com/...": the region; else "". */
static void
url_region(const char *url, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *h = strstr(url, "://");
    if (!h)
        return;
    h += 3;
    size_t hl = strcspn(h, "/:");
    const char *a = NULL, *b = NULL;
    if (hl > 4 && strncmp(h, "sqs.", 4) == 0) {
        a = h + 4;
        b = memchr(a, '.', hl - 4);
    } else {
        const char *q = strstr(h, ".queue.amazonaws.com");
        if (q && (size_t)(q - h) < hl) {
            a = h;
            b = q;
        }
    }
    if (a && b && b > a && (size_t)(b - a) < outlen &&
        memcmp(b, ".amazonaws.com", 14) != 0) {
        memcpy(out, a, (size_t)(b - a));
        out[b - a] = '\0';
    }
}

/* ---- lifecycle bookkeeping ------------------------------------------- */

static void
maybe_stopped(struct sqsrc *s)
{
    if (s->stopping && !s->stopped && s->receiving == 0 && s->batches == 0 &&
        s->ndel == 0 && s->unacked == 0) {
        s->stopped = 1;
        event_active(s->state_ev, 0, 0);
    }
}

static void
state_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sqsrc *s = arg;
    if (s->stopped) {
        char r[32], d[32], f[32], x[32], rd[32];
        snprintf(r, sizeof(r), "%llu", (unsigned long long)s->received);
        snprintf(d, sizeof(d), "%llu", (unsigned long long)s->deleted);
        snprintf(f, sizeof(f), "%llu", (unsigned long long)s->delete_failed);
        snprintf(x, sizeof(x), "%llu", (unsigned long long)s->extended);
        snprintf(rd, sizeof(rd), "%llu", (unsigned long long)s->redelivered);
        log_kv(DG_LOG_INFO, "sqs: stopped", "queue", s->queue_url, "received",
               r, "deleted", d, "delete_failed", f, "extended", x,
               "redelivered", rd, NULL);
        s->host.stopped(&s->hdr, s->host.ctx);
    } else if (s->started) {
        s->host.started(&s->hdr, s->host.ctx);
    }
}

/* ---- batches ---------------------------------------------------------- */

static void
batch_free(struct sbatch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        dg_free(b->receipts[i]);
        dg_free(b->mids[i]);
    }
    dg_free(b);
}

static void
on_batch(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct sbatch *b = ctx;
    struct sqsrc *s = b->s;
    const char *what =
        b->deleting ? "DeleteMessageBatch" : "ChangeMessageVisibilityBatch";
    s->batches--;
    if (rc != DG_OK) {
        if (rc != DG_ECANCELLED)
            log_kv(DG_LOG_WARN,
                   b->deleting ? "sqs: delete failed: the messages come back "
                                 "after their visibility timeout (dedup "
                                 "drops them)"
                               : "sqs: visibility change failed",
                   "operation", what, "error", err ? err->msg : "", NULL);
        if (b->deleting)
            s->delete_failed += b->n;
    } else {
        const struct sqs_batch_result *r = result;
        size_t ok = b->n;
        for (size_t i = 0; i < r->n; i++) {
            const struct sqs_batch_outcome *o = &r->entries[i];
            if (o->ok)
                continue;
            ok--;
            const char *mid = "";
            for (size_t j = 0; j < b->n; j++)
                if (o->id && strcmp(o->id, b->ids[j]) == 0)
                    mid = b->mids[j];
            log_kv(DG_LOG_WARN, "sqs: batch entry failed", "operation", what,
                   "message_id", mid, "code", o->code ? o->code : "", "error",
                   o->message ? o->message : "", NULL);
        }
        if (b->deleting) {
            s->deleted += ok;
            s->delete_failed += b->n - ok;
        } else {
            s->extended += ok;
        }
    }
    batch_free(b);
    maybe_stopped(s);
}

/* Sends one batch of entries (n <= 10); takes ownership of the strings. */
static void
send_batch(struct sqsrc *s, int deleting, char **receipts, char **mids,
           size_t n, int timeout)
{
    struct sbatch *b = dg_calloc(1, sizeof(*b));
    struct sqs_entry e[SQS_MAX_MESSAGES];
    b->s = s;
    b->deleting = deleting;
    b->n = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(b->ids[i], sizeof(b->ids[i]), "%u", (unsigned)(i % 100));
        b->receipts[i] = receipts[i];
        b->mids[i] = mids[i];
        e[i] = (struct sqs_entry){b->ids[i], receipts[i], timeout};
    }
    s->batches++;
    const char *region = s->region[0] ? s->region : NULL;
    if (deleting)
        sqs_delete_batch(s->aws, region, s->queue_url, e, n, on_batch, b);
    else
        sqs_change_visibility_batch(s->aws, region, s->queue_url, e, n,
                                    on_batch, b);
}

static void
flush_deletes(struct sqsrc *s)
{
    if (s->ndel == 0)
        return;
    send_batch(s, 1, s->del_receipt, s->del_mid, s->ndel, 0);
    s->ndel = 0;
}

static void
delete_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    flush_deletes(arg);
}

/* ---- receiving -------------------------------------------------------- */

static void pump(struct sqsrc *s);

static void
backoff_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sqsrc *s = arg;
    s->backing_off = 0;
    pump(s);
}

static void
on_receive(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct sqsrc *s = ctx;
    s->receiving--;
    if (rc == DG_ECANCELLED) {
        maybe_stopped(s);
        return;
    }
    if (rc != DG_OK) {
        s->errors++;
        int64_t cap = BACKOFF_BASE_MS;
        for (unsigned i = 1; i < s->errors && cap < BACKOFF_MAX_MS; i++)
            cap *= 2;
        if (cap > BACKOFF_MAX_MS)
            cap = BACKOFF_MAX_MS;
        uint32_t r = 0;
        if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
            r = (uint32_t)dg_clock_mono_ms();
        int64_t delay = cap / 2 + (int64_t)(r % (uint32_t)(cap / 2 + 1));
        char ms[32];
        snprintf(ms, sizeof(ms), "%lld", (long long)delay);
        log_kv(s->errors == 1 ? DG_LOG_WARN : DG_LOG_DEBUG,
               "sqs: receive failed: backing off", "queue", s->queue_url,
               "error", err ? err->msg : dg_rc_name(rc), "delay_ms", ms, NULL);
        if (!s->backing_off && !s->stopping) {
            s->backing_off = 1;
            dg_clock_arm(s->backoff_ev, delay);
        }
        maybe_stopped(s);
        return;
    }
    if (s->errors)
        log_kv(DG_LOG_INFO, "sqs: receiving again", "queue", s->queue_url,
               NULL);
    s->errors = 0;
    const struct sqs_receive_result *res = result;
    char *rel_r[SQS_MAX_MESSAGES], *rel_m[SQS_MAX_MESSAGES];
    struct smsg *fresh[SQS_MAX_MESSAGES];
    size_t nrel = 0, nfresh = 0;
    int64_t now = dg_clock_mono_ms();
    for (size_t i = 0; i < res->n && i < SQS_MAX_MESSAGES; i++) {
        const struct sqs_message *in = &res->messages[i];
        if (!in->receipt_handle || !in->message_id)
            continue;
        s->received++;
        if (s->stopping) {
            /* Never delivered: give it back to the queue at once. */
            rel_r[nrel] = dg_strdup(in->receipt_handle);
            rel_m[nrel++] = dg_strdup(in->message_id);
            continue;
        }
        if (in->receive_count > 1) {
            char rc_s[32];
            snprintf(rc_s, sizeof(rc_s), "%lld", in->receive_count);
            s->redelivered++;
            log_kv(DG_LOG_INFO, "sqs: redelivered message", "message_id",
                   in->message_id, "receive_count", rc_s, NULL);
        }
        struct smsg *m = dg_calloc(1, sizeof(*m));
        m->s = s;
        m->id = dg_strdup(in->message_id);
        m->receipt = dg_strdup(in->receipt_handle);
        m->len = in->body ? in->body_len : 0;
        m->body = dg_strndup(in->body ? in->body : "", m->len);
        m->visible_at = now + (int64_t)s->vis * 1000;
        m->next = s->head;
        if (s->head)
            s->head->prev = m;
        s->head = m;
        s->unacked++;
        if (nfresh < SQS_MAX_MESSAGES)
            fresh[nfresh++] = m;
    }
    if (nrel)
        send_batch(s, 0, rel_r, rel_m, nrel, 0);
    /* Deliver after the bookkeeping, in the order received. */
    for (size_t i = 0; i < nfresh; i++)
        s->host.deliver(&s->hdr, fresh[i], fresh[i]->body, fresh[i]->len,
                        fresh[i]->id, s->host.ctx);
    pump(s);
    maybe_stopped(s);
}

static void
pump(struct sqsrc *s)
{
    if (!s->started || s->stopping || s->paused || s->backing_off)
        return;
    while (s->receiving < s->in_flight) {
        struct sqs_receive_params p = {
            .queue_url = s->queue_url,
            .max_messages = s->max,
            .wait_seconds = s->wait,
            .visibility_timeout = s->vis > 0 ? s->vis : -1,
        };
        s->receiving++;
        sqs_receive(s->aws, s->region[0] ? s->region : NULL, &p, on_receive, s);
    }
}

/* ---- visibility extension -------------------------------------------- */

static void
extend_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sqsrc *s = arg;
    if (s->vis > 0) {
        int64_t now = dg_clock_mono_ms();
        int64_t margin = (int64_t)s->vis * 1000 / 3;
        if (margin < 2 * EXTEND_EVERY_MS)
            margin = 2 * EXTEND_EVERY_MS;
        char *r[SQS_MAX_MESSAGES], *mid[SQS_MAX_MESSAGES];
        size_t n = 0;
        for (struct smsg *m = s->head; m; m = m->next) {
            if (m->visible_at - now > margin)
                continue;
            m->visible_at = now + (int64_t)s->vis * 1000;
            r[n] = dg_strdup(m->receipt);
            mid[n++] = dg_strdup(m->id);
            if (n == SQS_MAX_MESSAGES) {
                send_batch(s, 0, r, mid, n, s->vis);
                n = 0;
            }
        }
        if (n)
            send_batch(s, 0, r, mid, n, s->vis);
    }
    if (!s->stopped)
        dg_clock_arm(s->extend_ev, EXTEND_EVERY_MS);
}

/* ---- source ops -------------------------------------------------------- */

static dg_rc
sqs_create(struct event_base *base, const cJSON *conf,
           const struct source_host *host, struct source **out,
           struct dg_err *err)
{
    const char *url = dg_json_str(conf, "queue_url");
    if (!url || !*url)
        return dg_err_set(err, DG_EINVALID,
                          "sqs source: queue_url is required");
    if (!host->aws)
        return dg_err_set(err, DG_EINVALID,
                          "sqs source: the host gave no AWS client");
    struct sqsrc *s = dg_calloc(1, sizeof(*s));
    s->hdr.ops = &source_sqs_ops;
    s->base = base;
    s->host = *host;
    s->aws = host->aws;
    s->queue_url = dg_strdup(url);
    url_region(url, s->region, sizeof(s->region));
    const cJSON *v;
    s->wait =
        (v = cJSON_GetObjectItem(conf, "wait_seconds")) ? v->valueint : 20;
    s->max = (v = cJSON_GetObjectItem(conf, "max_messages")) ? v->valueint : 10;
    s->vis = (v = cJSON_GetObjectItem(conf, "visibility_timeout")) ? v->valueint
                                                                   : 60;
    s->in_flight =
        (v = cJSON_GetObjectItem(conf, "in_flight")) ? v->valueint : 2;
    if (s->in_flight < 1)
        s->in_flight = 1;
    s->delete_ev = evtimer_new(base, delete_cb, s);
    s->extend_ev = evtimer_new(base, extend_cb, s);
    s->backoff_ev = evtimer_new(base, backoff_cb, s);
    s->state_ev = event_new(base, -1, 0, state_cb, s);
    *out = &s->hdr;
    return DG_OK;
}

static void
sqs_start(struct source *src)
{
    struct sqsrc *s = (struct sqsrc *)src;
    s->started = 1;
    log_kv(DG_LOG_INFO, "sqs: receiving", "queue", s->queue_url, NULL);
    event_active(s->state_ev, 0, 0);
    dg_clock_arm(s->extend_ev, EXTEND_EVERY_MS);
    pump(s);
}

static void
sqs_stop(struct source *src)
{
    struct sqsrc *s = (struct sqsrc *)src;
    if (s->stopping)
        return;
    s->stopping = 1;
    if (s->backing_off) {
        evtimer_del(s->backoff_ev);
        s->backing_off = 0;
    }
    evtimer_del(s->delete_ev);
    flush_deletes(s);
    if (!s->started) { /* never started: nothing outstanding */
        s->stopped = 1;
        event_active(s->state_ev, 0, 0);
        return;
    }
    maybe_stopped(s);
}

static void
sqs_pause(struct source *src)
{
    ((struct sqsrc *)src)->paused = 1;
}

static void
sqs_resume(struct source *src)
{
    struct sqsrc *s = (struct sqsrc *)src;
    s->paused = 0;
    pump(s);
}

static void
msg_unlink_free(struct sqsrc *s, struct smsg *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        s->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    s->unacked--;
    dg_free(m->body);
    dg_free(m);
}

static void
sqs_ack(struct source *src, void *handle, enum source_outcome outcome)
{
    struct sqsrc *s = (struct sqsrc *)src;
    struct smsg *m = handle;
    if (outcome == SOURCE_COMMITTED) {
        s->del_receipt[s->ndel] = m->receipt;
        s->del_mid[s->ndel++] = m->id;
        m->receipt = m->id = NULL;
        if (s->ndel == SQS_MAX_MESSAGES || s->stopping) {
            evtimer_del(s->delete_ev);
            flush_deletes(s);
        } else if (!evtimer_pending(s->delete_ev, NULL)) {
            dg_clock_arm(s->delete_ev, DELETE_WINDOW_MS);
        }
    } else {
        /* Left to its visibility timeout: the queue redelivers it. */
        log_kv(DG_LOG_WARN,
               "sqs: message not committed: redelivered after its "
               "visibility timeout",
               "message_id", m->id, NULL);
        dg_free(m->receipt);
        dg_free(m->id);
    }
    msg_unlink_free(s, m);
    maybe_stopped(s);
}

static void
sqs_destroy(struct source *src)
{
    struct sqsrc *s = (struct sqsrc *)src;
    if (!s)
        return;
    /* Calls still outstanding would call back into freed memory: the
     * host frees the AWS stack (cancelling them) before its sources. */
    while (s->head) {
        struct smsg *m = s->head;
        dg_free(m->receipt);
        dg_free(m->id);
        msg_unlink_free(s, m);
    }
    for (size_t i = 0; i < s->ndel; i++) {
        dg_free(s->del_receipt[i]);
        dg_free(s->del_mid[i]);
    }
    event_free(s->delete_ev);
    event_free(s->extend_ev);
    event_free(s->backoff_ev);
    event_free(s->state_ev);
    dg_free(s->queue_url);
    dg_free(s);
}

const struct source_ops source_sqs_ops = {
    .type = "sqs",
    .create = sqs_create,
    .start = sqs_start,
    .stop = sqs_stop,
    .pause = sqs_pause,
    .resume = sqs_resume,
    .ack = sqs_ack,
    .destroy = sqs_destroy,
    .needs_aws = 1,
};
