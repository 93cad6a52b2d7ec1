#ifndef DRGATE_OBSERVE_H
#define DRGATE_OBSERVE_H
/*
 * The running daemon's observability: its metrics registry (metrics.h),
 * the counting of what happens (messages received, the events written in
 * committed transactions, AWS calls) and the HTTP endpoint (httpd.h) with
 * the gauges refreshed at each scrape. Single-threaded, on the daemon's
 * loop.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "httpd.h"

struct event_base;
struct metrics;
struct outbox;
struct store;
struct observe;

/* A registry with the process metrics set (no I/O). Never NULL. */
struct observe *observe_new(const char *version, int64_t start_ms);
struct metrics *observe_metrics(struct observe *ob);

struct observe_listen_opts {
    const char *listen;    /* service.http_listen */
    int allow_remote;      /* service.http_allow_remote */
    struct store *store;   /* borrowed: /v1/plans and the store gauges */
    struct outbox *outbox; /* borrowed: outbox depth gauges */
    httpd_ready_fn ready;  /* /readyz and drgate_ready */
    void *ready_ctx;
    int64_t (*now_ms)(void *ctx); /* wall clock for the outbox age */
    void *clock_ctx;
    /* Where to write the bound port ("PORT\n"; NULL: nowhere). Removed
     * again by observe_stop. */
    const char *port_file;
};

/* Starts the HTTP endpoint on base. Everything in o is borrowed and must
 * outlive observe_stop. Errors as httpd_start (err names the address). */
dg_rc observe_listen(struct observe *ob, struct event_base *base,
                     const struct observe_listen_opts *o, struct dg_err *err);
/* The bound port, 0 when not listening. */
int observe_port(const struct observe *ob);
/* Closes the endpoint (before the loop and the store go). Idempotent. */
void observe_stop(struct observe *ob);
/* Frees the registry (after observe_stop). Accepts NULL. */
void observe_free(struct observe *ob);

/* A message arrived from a source of type source ("sqs"). Counted now. */
void observe_received(struct observe *ob, const char *source);
/* An event written in the open transaction (data borrowed): decisions,
 * rejected input, proposed plans, approval replies and step durations are
 * counted once the transaction commits (observe_commit) and forgotten if
 * it rolls back (observe_rollback). */
void observe_event(struct observe *ob, const char *type, const cJSON *data);
void observe_commit(struct observe *ob);
void observe_rollback(struct observe *ob);
/* A completed AWS call (a registry_aws_observer_fn; ctx is the observe). */
void observe_aws_call(const char *service, const char *operation, dg_rc rc,
                      int attempts, int64_t latency_ms, void *ctx);

#endif
