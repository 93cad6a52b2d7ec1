#ifndef DRGATE_HTTPD_H
#define DRGATE_HTTPD_H
/*
 * drgate's HTTP endpoint (libevent evhttp on the daemon's loop): GET/HEAD
 * /healthz, /readyz, /metrics, /v1/plans, /v1/plans/{plan_id}. Read-only;
 * loopback by default. The daemon supplies the data through callbacks
 * (readiness, plans, a scrape hook) and a metrics registry; this module
 * owns nothing of the daemon's state.
 */
#include <stddef.h>

#include "err.h"

struct dg_buf;
struct event_base;
struct httpd;
struct metrics;

#define HTTPD_MAX_ID 128         /* plan ids: [A-Za-z0-9._-]{1,128} */
#define HTTPD_MAX_STATE 32       /* ?state=: [a-z_]{1,32} */
#define HTTPD_DEFAULT_LIMIT 100  /* ?limit= default */
#define HTTPD_MAX_HEADERS 8192   /* request line + headers, bytes */
#define HTTPD_MAX_BODY 1024      /* request body, bytes (GET/HEAD only) */
#define HTTPD_DEFAULT_TIMEOUT 10 /* seconds per connection read/write */

/* What /v1/plans asks a provider for. */
struct httpd_plans_query {
    const char *plan_id; /* NULL: the list; else a validated plan id */
    int limit;           /* list: 1..STORE_VIEWS_MAX_LIMIT */
    const char *state;   /* list: NULL or a validated state name */
};

/* Appends the JSON answer to out and returns the HTTP status: 200, 404
 * (unknown plan), 503 (busy, try again), anything else is a 500. On a
 * status other than 200 out is discarded. Called on the loop thread. */
typedef int (*httpd_plans_fn)(const struct httpd_plans_query *q,
                              struct dg_buf *out, void *ctx);
/* 1 when ready; else 0 with a short reason written to reason[0..n). */
typedef int (*httpd_ready_fn)(char *reason, size_t n, void *ctx);
/* Called before each /metrics render to refresh gauges (outbox depth...). */
typedef void (*httpd_scrape_fn)(struct metrics *m, void *ctx);

struct httpd_opts {
    const char *listen; /* "HOST:PORT" (service.http_listen); port 0 =
                           ephemeral; HOST may be [v6] or a name */
    /* Binding an address that is not loopback (127.0.0.0/8, ::1) is
     * refused unless this is set. The configuration has no key for it yet,
     * so the daemon passes 0. */
    int allow_remote;
    int timeout_s;           /* 0: HTTPD_DEFAULT_TIMEOUT */
    struct metrics *metrics; /* borrowed; NULL: /metrics answers 503;
                                also counts drgate_http_requests_total */
    httpd_scrape_fn scrape;
    void *scrape_ctx;
    httpd_ready_fn ready; /* NULL: always ready */
    void *ready_ctx;
    httpd_plans_fn plans; /* NULL: /v1/plans answers 503 */
    void *plans_ctx;
};

/* Binds and starts serving on base. Borrows base and everything in o
 * (metrics and the contexts must outlive the server). DG_EINVALID for a
 * malformed listen address or a refused non-loopback one,
 * DG_ETRANSIENT/DG_EFATAL when the bind fails (err says why). */
dg_rc httpd_start(struct event_base *base, const struct httpd_opts *o,
                  struct httpd **out, struct dg_err *err);
/* The bound TCP port (useful with port 0). */
int httpd_port(const struct httpd *h);
/* Closes the listener and every connection; pending requests get no
 * answer. Accepts NULL. Not from inside a provider callback. */
void httpd_free(struct httpd *h);

/* The default plans provider over the store (store_views.c); ctx is the
 * struct store *. */
int httpd_plans_from_store(const struct httpd_plans_query *q,
                           struct dg_buf *out, void *ctx);

/* Request-target parsing (pure; exposed for tests and the fuzzer). */
enum httpd_route {
    HTTPD_ROUTE_NONE = 0,
    HTTPD_ROUTE_HEALTHZ,
    HTTPD_ROUTE_READYZ,
    HTTPD_ROUTE_METRICS,
    HTTPD_ROUTE_PLANS,
    HTTPD_ROUTE_PLAN,
};

struct httpd_target {
    enum httpd_route route;
    char plan_id[HTTPD_MAX_ID + 1];  /* HTTPD_ROUTE_PLAN */
    int limit;                       /* HTTPD_ROUTE_PLANS */
    char state[HTTPD_MAX_STATE + 1]; /* HTTPD_ROUTE_PLANS; "" = any */
    const char *error; /* static reason code when the result is not 200 */
};

/* Parses an origin-form request-target ("/v1/plans?limit=5"); no percent
 * decoding (no valid id or value needs it). Returns 200 with t filled,
 * 404 for an unknown path (error "not_found"), 400 for a bad plan id,
 * query or target (error "bad_plan_id", "bad_query", "bad_target").
 * Query parameters: /v1/plans takes limit (1..STORE_VIEWS_MAX_LIMIT) and
 * state, each at most once; /v1/plans/{id} takes none; the probes and
 * /metrics ignore theirs. */
int httpd_parse_target(const char *target, struct httpd_target *t);
/* 1 when s[0..n) is a well-formed plan id: 1..HTTPD_MAX_ID characters of
 * [A-Za-z0-9._-], not starting with '.'. */
int httpd_plan_id_ok(const char *s, size_t n);

#endif
