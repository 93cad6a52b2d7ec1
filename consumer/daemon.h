#ifndef DRGATE_DAEMON_H
#define DRGATE_DAEMON_H
/*
 * The running daemon (`drgate run`): sources -> engine (one SQLite
 * transaction per batch of messages, events appended in the same
 * transaction) -> acks; the outbox drains the events to the sinks.
 * Lifecycle and shutdown in daemon.c's DESIGN note.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct event_base;
struct dg_config;
struct source_ops;
struct sink_ops;
struct daemon;

struct daemon_opts {
    /* The adapter registry (the composition root passes it in). */
    const struct source_ops *(*source_find)(const char *type);
    const struct sink_ops *(*sink_find)(const char *type);
    int64_t drain_deadline_ms; /* shutdown budget; default 30000 */
    int64_t backlog_limit;     /* pause sources above; default 100000 */
    size_t max_queued;         /* messages waiting; default 1024 */
    size_t batch;              /* messages per transaction; default 64 */
    int handle_signals;        /* SIGTERM/SIGINT drain, SIGHUP reopen */
    const char *store_path;    /* NULL: from the config */
    /* 1: serve /healthz, /readyz, /metrics and /v1/plans on
     * service.http_listen (observe.h); a bind failure fails daemon_new. */
    int http;
    /* 1: the plan lifecycle (orchestrator.h) over the shared AWS stack:
     * references resolved, approval requested and published, approved
     * plans executed. 0: plans are bound synchronously as in replay and
     * nothing is executed (unit tests). */
    int orchestrate;
    /* Executor polling for tests (0: defaults). */
    int64_t poll_first_ms, poll_max_ms;
    /* Injected clock and randomness (NULL: CLOCK_REALTIME, RAND_bytes). */
    int64_t (*now_ms)(void *ctx);
    void (*random)(unsigned char *buf, size_t n, void *ctx);
    void *clock_ctx;
};

/* The store file for cfg: store.path, relative to service.state_dir unless
 * absolute. Caller frees with dg_free. */
char *daemon_store_path(const struct dg_config *cfg);

/* Opens the store, builds the engine, the outbox and every configured
 * source and sink (no I/O on them yet). Borrows base and cfg; opts is
 * copied. Problems go to err (DG_EINVALID: configuration; else store). */
dg_rc daemon_new(struct event_base *base, const struct dg_config *cfg,
                 const struct daemon_opts *opts, struct daemon **out,
                 struct dg_err *err);
/* Starts the sinks, then the sources; logs "ready" when all have started. */
void daemon_start(struct daemon *d);
/* Begins the drain (what SIGTERM does). */
void daemon_shutdown(struct daemon *d);
/* 1 once every source and sink has started (for /readyz). */
int daemon_ready(const struct daemon *d);
/* The exit status once the daemon has finished (the loop is told to
 * exit then), -1 while it runs. */
int daemon_status(const struct daemon *d);
/* Tears everything down in reverse order. Accepts NULL. */
void daemon_free(struct daemon *d);

/* The daemon's shared AWS stack (HTTP engine, credentials chain, client
 * from the config's aws section, bound to the daemon's loop), created on
 * first use. For adapters and the executor: pass it to the service
 * wrappers (adapters/aws/svc.h). Valid until daemon_free. */
struct svc_client;
const struct svc_client *daemon_aws_client(struct daemon *d);

/* All of the above on a fresh event base; returns the exit status. */
int daemon_run(const struct dg_config *cfg, const struct daemon_opts *opts);

#endif
