#ifndef DRGATE_STORE_EVENTS_H
#define DRGATE_STORE_EVENTS_H
/*
 * The events table (outbox and hash-chained audit log in one) and the
 * sinks' cursors. Every call runs inside the caller's transaction when one
 * is open. Errors: DG_ETRANSIENT (busy, I/O) or DG_EFATAL, as store.h.
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "err.h"

struct store;

/* The chain head: *seq 0 and EVENTS_GENESIS when the log is empty. */
dg_rc store_events_head(struct store *s, int64_t *seq,
                        char hash[DG_SHA256_HEX_LEN + 1], struct dg_err *err);

/* Seals ev (events_seal) after the current head and inserts it. ev is
 * borrowed and left sealed. *seq_out (may be NULL) gets its seq. The id,
 * type and data.plan_id columns are taken from ev; time_ms is the row
 * time. */
dg_rc store_events_append(struct store *s, cJSON *ev, int64_t time_ms,
                          int64_t *seq_out, struct dg_err *err);

/* One stored event row, borrowed for the callback. */
struct store_event_row {
    int64_t seq;
    const char *id;
    const char *type;
    const char *json;
    const char *prev_hash;
    const char *hash;
};
/* Returns nonzero to stop the scan. */
typedef int (*store_event_fn)(const struct store_event_row *row, void *ctx);

/* Calls fn for events with seq > after_seq in seq order, at most limit of
 * them (0: no limit). */
dg_rc store_events_scan(struct store *s, int64_t after_seq, size_t limit,
                        store_event_fn fn, void *ctx, struct dg_err *err);

/* A sink's cursor: *acked_seq 0 and *failing_since_ms 0 when unknown. */
dg_rc store_cursor_get(struct store *s, const char *sink, int64_t *acked_seq,
                       int64_t *failing_since_ms, struct dg_err *err);
/* Writes a sink's cursor (failing_since_ms 0: not failing; last_error may
 * be NULL). Never moves acked_seq backwards. */
dg_rc store_cursor_put(struct store *s, const char *sink, int64_t acked_seq,
                       int64_t failing_since_ms, const char *last_error,
                       struct dg_err *err);

#endif
