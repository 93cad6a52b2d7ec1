#ifndef DRGATE_AUDIT_H
#define DRGATE_AUDIT_H
/*
 * The audit-chain verifier: feed it sealed events (events.h) in the order
 * they were stored or written, then ask for the verdict. It finds edited
 * records (hash mismatch), dropped ones (seq gaps), reordered ones (a seq
 * that appears after a later one), inserted or conflicting ones (two
 * different records with one seq) and broken links (drgateprev not the
 * previous record's hash), and names each by seq, id and position.
 * Exact duplicates (at-least-once redelivery to a sink) are accepted.
 * Pure apart from memory; the caller reads files or the store.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "store_events.h"

struct audit;

struct audit_summary {
    size_t records;    /* records fed */
    size_t duplicates; /* exact repeats accepted */
    size_t problems;
    int64_t head_seq; /* highest seq seen */
    char head_hash[DG_SHA256_HEX_LEN + 1];
};

struct audit *audit_new(void);
void audit_free(struct audit *a); /* accepts NULL */

/* Feeds one record's text; where names its position for messages ("line
 * 12"), borrowed for the call. */
void audit_feed(struct audit *a, const char *text, size_t len,
                const char *where);
/* Feeds JSON-lines text in pieces of any size (a sink's file); lines are
 * numbered from 1, blank ones skipped, a line over EVENTS_MAX_JSON is a
 * problem. audit_feed_eof takes a last line without its newline. */
void audit_feed_bytes(struct audit *a, const char *p, size_t n);
void audit_feed_eof(struct audit *a);
/* Feeds a store row: the JSON plus the row's own columns, which must agree
 * with it. */
void audit_feed_row(struct audit *a, const struct store_event_row *row);

/* Finishes the analysis: appends one line per problem (at most max_lines,
 * then a count of the rest) to report and fills sum. Returns the number of
 * problems (0: the chain verifies). Call once. */
size_t audit_finish(struct audit *a, struct dg_buf *report, size_t max_lines,
                    struct audit_summary *sum);

/* Verifies every event in the store; as audit_finish. DG_OK when the store
 * could be read (then *problems says whether the chain holds). */
dg_rc audit_verify_store(struct store *s, struct dg_buf *report,
                         size_t max_lines, size_t *problems,
                         struct audit_summary *sum, struct dg_err *err);

#endif
