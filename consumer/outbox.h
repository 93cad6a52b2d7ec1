#ifndef DRGATE_OUTBOX_H
#define DRGATE_OUTBOX_H
/*
 * The outbox drain: sends the events table (store_events.h), in seq order,
 * to every configured sink until each acknowledges, with one durable
 * cursor per sink (sink_cursors). At least once: after a restart a sink
 * gets everything past its cursor again, with the original ids.
 *
 * A failed submit makes the sink back off (exponential, full jitter
 * between half and all of the step) and resend from its first
 * unacknowledged event. A sink failing for longer than warn_after_ms is
 * logged loudly once (and counted) until it recovers. The owner watches
 * outbox_backlog() to pause sources instead of dropping anything.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct event_base;
struct store;
struct sink;
struct outbox;

struct outbox_opts {
    size_t window;            /* events in flight per sink; default 256 */
    int64_t warn_after_ms;    /* default 60000 */
    uint64_t backoff_base_ms; /* default 200 */
    uint64_t backoff_max_ms;  /* default 30000 */
    /* Injected clock and randomness (NULL: CLOCK_REALTIME, RAND_bytes). */
    int64_t (*now_ms)(void *ctx);
    uint32_t (*rand32)(void *ctx);
    void *clock_ctx;
    /* Called (deferred, from the loop) after a sink's cursor moved or it
     * changed between failing and healthy. */
    void (*progress)(void *ctx);
    void *progress_ctx;
};

struct outbox_sink_stats {
    const char *name;
    int64_t acked_seq;
    int64_t failing_since_ms; /* 0: healthy */
    uint64_t failures;        /* failed submits */
    uint64_t delivered;       /* acknowledged submits */
    uint64_t warnings;        /* "failing for over a minute" warnings */
};

/* The backoff before retry number attempt (0 = first retry): d =
 * min(max, base * 2^attempt), result in [d/2, d] chosen by rnd. Pure. */
uint64_t outbox_backoff_ms(unsigned attempt, uint32_t rnd, uint64_t base,
                           uint64_t max);

/* Borrows base and st (they outlive the outbox); opts is copied. */
struct outbox *outbox_new(struct event_base *base, struct store *st,
                          const struct outbox_opts *opts);
/* Adds a started sink under a stable name (its cursor key, e.g.
 * "sinks[0]:file:/var/log/drgate/events.jsonl"); reads its cursor. The
 * sink is borrowed. */
dg_rc outbox_add_sink(struct outbox *ob, struct sink *snk, const char *name,
                      struct dg_err *err);
/* Events up to head_seq are committed: drain them (deferred). */
void outbox_kick(struct outbox *ob, int64_t head_seq);
/* The largest number of committed events some sink has not acknowledged. */
int64_t outbox_backlog(const struct outbox *ob);
/* 1 when every sink has acknowledged head and its cursor is stored. */
int outbox_idle(const struct outbox *ob);
/* 1 when no submit is waiting for its completion. */
int outbox_quiet(const struct outbox *ob);
/* Stops sending (shutdown): no new submits, no retries; completions still
 * move the cursors. */
void outbox_halt(struct outbox *ob);
/* Writes the cursors now (shutdown). */
void outbox_flush_cursors(struct outbox *ob);
size_t outbox_nsinks(const struct outbox *ob);
void outbox_sink_stats(const struct outbox *ob, size_t i,
                       struct outbox_sink_stats *out);
/* Accepts NULL. Every submit must have completed (outbox_quiet). */
void outbox_free(struct outbox *ob);

#endif
