/*
 * outbox.c - drains the events table to the sinks.
 *
 * DESIGN: per sink, a window of in-flight submits tracked in a ring
 * indexed by seq (a slot per seq modulo the window): completions may come
 * in any order, the cursor moves over the contiguous prefix of successes.
 * After a failure the sink stops submitting, waits for its in-flight
 * submits to complete, backs off, then resends from cursor + 1 (what
 * succeeded after the failure is sent again: at least once). Cursors are
 * written from a deferred event in their own small transaction, never
 * inside the daemon's message transaction (the loop runs one callback at a
 * time, so none is open when ours runs). Events are read from the store
 * only when a sink has room, so memory stays at one window per sink.
 * Store errors while reading or writing cursors are logged here (this is
 * where the retry decision is made) and retried on the next tick.
 */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "sink.h"
#include "store.h"
#include "store_events.h"

enum slot { SLOT_FREE = 0, SLOT_PENDING, SLOT_OK, SLOT_FAILED };

struct obsink {
    struct outbox *ob;
    struct sink *snk;
    char *name;
    int64_t acked;     /* contiguous acknowledged prefix */
    int64_t persisted; /* cursor value in the store */
    int64_t next;      /* next seq to submit */
    size_t inflight;
    unsigned char *ring; /* enum slot per seq % window */
    int failed;          /* a submit failed: drain in-flight, back off */
    unsigned attempt;
    int waiting; /* retry timer armed */
    int64_t failing_since;
    int64_t persisted_failing;
    int warned;
    char last_error[sizeof(((struct dg_err *)0)->msg)];
    struct event *retry;
    uint64_t failures, delivered, warnings;
};

struct outbox {
    struct event_base *base;
    struct store *st;
    struct outbox_opts o;
    struct obsink **sinks; /* each separately allocated: stable address */
    size_t n;
    int64_t head;
    int halted;
    struct event *pump;         /* deferred: submit, persist cursors, notify */
    struct event *cursor_retry; /* a cursor write failed: pump again */
    int notify;
};

static int64_t
default_now(void *ctx)
{
    (void)ctx;
    return dg_clock_wall_ms();
}

static uint32_t
default_rand(void *ctx)
{
    (void)ctx;
    uint32_t v = 0;
    if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
        v = (uint32_t)time(NULL); /* jitter only: any value will do */
    return v;
}

uint64_t
outbox_backoff_ms(unsigned attempt, uint32_t rnd, uint64_t base, uint64_t max)
{
    uint64_t d = base ? base : 1;
    for (unsigned i = 0; i < attempt && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    uint64_t half = d / 2;
    return half + (uint64_t)rnd % (d - half + 1);
}

static void pump_cb(evutil_socket_t fd, short what, void *arg);
static void retry_cb(evutil_socket_t fd, short what, void *arg);

static void
schedule(struct outbox *ob)
{
    if (!event_pending(ob->pump, EV_TIMEOUT, NULL))
        event_active(ob->pump, 0, 0);
}

static void
cursor_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    schedule(arg);
}

struct outbox *
outbox_new(struct event_base *base, struct store *st,
           const struct outbox_opts *opts)
{
    struct outbox *ob = dg_calloc(1, sizeof(*ob));
    ob->base = base;
    ob->st = st;
    if (opts)
        ob->o = *opts;
    if (!ob->o.window)
        ob->o.window = 256;
    if (!ob->o.warn_after_ms)
        ob->o.warn_after_ms = 60000;
    if (!ob->o.backoff_base_ms)
        ob->o.backoff_base_ms = 200;
    if (!ob->o.backoff_max_ms)
        ob->o.backoff_max_ms = 30000;
    if (!ob->o.now_ms)
        ob->o.now_ms = default_now;
    if (!ob->o.rand32)
        ob->o.rand32 = default_rand;
    ob->pump = event_new(base, -1, 0, pump_cb, ob);
    ob->cursor_retry = evtimer_new(base, cursor_retry_cb, ob);
    return ob;
}

dg_rc
outbox_add_sink(struct outbox *ob, struct sink *snk, const char *name,
                struct dg_err *err)
{
    int64_t acked = 0, failing = 0;
    dg_rc rc = store_cursor_get(ob->st, name, &acked, &failing, err);
    if (rc != DG_OK)
        return rc;
    ob->sinks = dg_realloc(ob->sinks, (ob->n + 1) * sizeof(*ob->sinks));
    struct obsink *s = dg_calloc(1, sizeof(*s));
    ob->sinks[ob->n++] = s;
    s->ob = ob;
    s->snk = snk;
    s->name = dg_strdup(name);
    s->acked = s->persisted = acked;
    s->next = acked + 1;
    s->failing_since = s->persisted_failing = failing;
    s->ring = dg_calloc(ob->o.window, 1);
    s->retry = event_new(ob->base, -1, 0, retry_cb, s);
    return DG_OK;
}

void
outbox_kick(struct outbox *ob, int64_t head_seq)
{
    if (head_seq > ob->head)
        ob->head = head_seq;
    schedule(ob);
}

int64_t
outbox_backlog(const struct outbox *ob)
{
    int64_t worst = 0;
    for (size_t i = 0; i < ob->n; i++)
        if (ob->head - ob->sinks[i]->acked > worst)
            worst = ob->head - ob->sinks[i]->acked;
    return worst;
}

int
outbox_idle(const struct outbox *ob)
{
    for (size_t i = 0; i < ob->n; i++)
        if (ob->sinks[i]->acked < ob->head ||
            ob->sinks[i]->persisted < ob->sinks[i]->acked)
            return 0;
    return 1;
}

int
outbox_quiet(const struct outbox *ob)
{
    for (size_t i = 0; i < ob->n; i++)
        if (ob->sinks[i]->inflight)
            return 0;
    return 1;
}

void
outbox_halt(struct outbox *ob)
{
    ob->halted = 1;
    event_del(ob->cursor_retry);
    for (size_t i = 0; i < ob->n; i++)
        event_del(ob->sinks[i]->retry);
}

size_t
outbox_nsinks(const struct outbox *ob)
{
    return ob->n;
}

void
outbox_sink_stats(const struct outbox *ob, size_t i,
                  struct outbox_sink_stats *out)
{
    const struct obsink *s = ob->sinks[i];
    out->name = s->name;
    out->acked_seq = s->acked;
    out->failing_since_ms = s->failing_since;
    out->failures = s->failures;
    out->delivered = s->delivered;
    out->warnings = s->warnings;
}

static void
sink_done(struct sink *snk, int64_t seq, dg_rc rc, const struct dg_err *err,
          void *ctx)
{
    (void)snk;
    struct obsink *s = ctx;
    struct outbox *ob = s->ob;
    size_t slot = (size_t)seq % ob->o.window;
    if (s->inflight)
        s->inflight--;
    if (seq <= s->acked || s->ring[slot] != SLOT_PENDING) {
        schedule(ob); /* a stale completion after a resend: ignore */
        return;
    }
    if (rc == DG_OK) {
        s->ring[slot] = SLOT_OK;
        s->delivered++;
        while (s->ring[(size_t)(s->acked + 1) % ob->o.window] == SLOT_OK &&
               s->acked + 1 < s->next) {
            s->ring[(size_t)(s->acked + 1) % ob->o.window] = SLOT_FREE;
            s->acked++;
        }
        if (s->failing_since && !s->failed) {
            char since[32];
            snprintf(
                since, sizeof(since), "%lld",
                (long long)(ob->o.now_ms(ob->o.clock_ctx) - s->failing_since));
            log_kv(DG_LOG_INFO, "sink recovered", "sink", s->name,
                   "failed_for_ms", since, NULL);
            s->failing_since = 0;
            s->warned = 0;
            s->attempt = 0;
            s->last_error[0] = '\0';
        }
    } else {
        s->ring[slot] = SLOT_FAILED;
        s->failures++;
        int64_t now = ob->o.now_ms(ob->o.clock_ctx);
        if (!s->failing_since)
            s->failing_since = now;
        snprintf(s->last_error, sizeof(s->last_error), "%s",
                 err && err->msg[0] ? err->msg : dg_rc_name(rc));
        if (!s->failed)
            log_kv(rc == DG_ECANCELLED ? DG_LOG_INFO : DG_LOG_WARN,
                   "sink submit failed", "sink", s->name, "error",
                   s->last_error, NULL);
        s->failed = 1;
        if (!s->warned && now - s->failing_since > ob->o.warn_after_ms) {
            char ms[32];
            snprintf(ms, sizeof(ms), "%lld",
                     (long long)(now - s->failing_since));
            log_kv(DG_LOG_WARN,
                   "SINK FAILING: events are piling up in the outbox", "sink",
                   s->name, "failing_for_ms", ms, "error", s->last_error, NULL);
            s->warned = 1;
            s->warnings++;
        }
    }
    ob->notify = 1;
    schedule(ob);
}

struct submit_ctx {
    struct obsink *s;
};

static int
submit_row(const struct store_event_row *row, void *ctx)
{
    struct submit_ctx *c = ctx;
    struct obsink *s = c->s;
    if (row->seq != s->next) {
        /* A hole in the table would stall the drain forever: say so. */
        log_kv(DG_LOG_ERROR, "outbox: events table has a gap", "sink", s->name,
               NULL);
        return 1;
    }
    s->ring[(size_t)row->seq % s->ob->o.window] = SLOT_PENDING;
    s->inflight++;
    s->next++;
    sink_submit(s->snk, row->json, strlen(row->json), row->seq, sink_done, s);
    return (size_t)(s->next - 1 - s->acked) >= s->ob->o.window || s->failed;
}

static void
start_retry(struct obsink *s)
{
    struct outbox *ob = s->ob;
    uint64_t ms =
        outbox_backoff_ms(s->attempt, ob->o.rand32(ob->o.clock_ctx),
                          ob->o.backoff_base_ms, ob->o.backoff_max_ms);
    if (s->attempt < 32)
        s->attempt++;
    s->waiting = 1;
    dg_clock_arm(s->retry, (int64_t)ms);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct obsink *s = arg;
    s->waiting = 0;
    s->failed = 0;
    memset(s->ring, 0, s->ob->o.window);
    s->next = s->acked + 1;
    schedule(s->ob);
}

static void
persist(struct outbox *ob, struct obsink *s)
{
    if (s->persisted == s->acked && s->persisted_failing == s->failing_since)
        return;
    struct dg_err err;
    dg_err_clear(&err);
    if (store_cursor_put(ob->st, s->name, s->acked, s->failing_since,
                         s->last_error[0] ? s->last_error : NULL,
                         &err) != DG_OK) {
        log_kv(DG_LOG_WARN, "outbox: cannot store the sink cursor", "sink",
               s->name, "error", err.msg, NULL);
        /* Nothing else may wake the pump (an idle daemon, a drain waiting
         * for the cursors): try again in a second. */
        if (!ob->halted && !evtimer_pending(ob->cursor_retry, NULL))
            dg_clock_arm(ob->cursor_retry, 1000);
        return;
    }
    if (s->persisted < s->acked)
        ob->notify = 1; /* a drain may be waiting for this */
    s->persisted = s->acked;
    s->persisted_failing = s->failing_since;
}

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct outbox *ob = arg;
    for (size_t i = 0; i < ob->n; i++) {
        struct obsink *s = ob->sinks[i];
        persist(ob, s);
        if (s->failed) {
            if (!s->inflight && !s->waiting && !ob->halted)
                start_retry(s);
            continue;
        }
        size_t used = (size_t)(s->next - 1 - s->acked);
        if (ob->halted || s->waiting || s->next > ob->head ||
            used >= ob->o.window)
            continue;
        struct submit_ctx c = {s};
        struct dg_err err;
        dg_err_clear(&err);
        if (store_events_scan(ob->st, s->next - 1, ob->o.window - used,
                              submit_row, &c, &err) != DG_OK)
            log_kv(DG_LOG_WARN, "outbox: cannot read events", "error", err.msg,
                   NULL);
    }
    if (ob->notify && ob->o.progress) {
        ob->notify = 0;
        ob->o.progress(ob->o.progress_ctx);
    }
}

void
outbox_flush_cursors(struct outbox *ob)
{
    for (size_t i = 0; i < ob->n; i++)
        persist(ob, ob->sinks[i]);
}

void
outbox_free(struct outbox *ob)
{
    if (!ob)
        return;
    for (size_t i = 0; i < ob->n; i++) {
        event_free(ob->sinks[i]->retry);
        dg_free(ob->sinks[i]->ring);
        dg_free(ob->sinks[i]->name);
        dg_free(ob->sinks[i]);
    }
    dg_free(ob->sinks);
    event_free(ob->pump);
    event_free(ob->cursor_retry);
    dg_free(ob);
}
