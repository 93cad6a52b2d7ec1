#ifndef DRGATE_HTTP_H
#define DRGATE_HTTP_H
/*
 * Asynchronous HTTP over libcurl's multi interface, driven by the libevent
 * loop (curl's hiperfifo.c). One engine per loop. https everywhere, plain
 * http only to loopback addresses; TLS verification always on. Response
 * bodies are capped. Every started call completes exactly once, never from
 * inside http_start itself.
 */
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct event_base;
struct http_engine;
struct http_call;

struct http_header {
    const char *name;
    const char *value;
};

struct http_request {
    const char *method; /* "GET", "POST", "PUT", ... */
    const char *url;    /* absolute URL */
    const struct http_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
    long connect_timeout_ms; /* 0: the engine's default */
    long timeout_ms;         /* whole call; 0: the engine's default */
    size_t max_response;     /* body cap; 0: the engine's default */
    /* Credentials only: also allow plain http to exactly the link-local
     * instance and container metadata addresses (169.254.169.254,
     * [fd00:ec2::254], 169.254.170.2, 169.254.170.23, [fd00:ec2::23]). */
    int allow_metadata_hosts;
    /* Health probes: the body is read and dropped as it arrives (resp->body
     * is empty; max_response does not apply; the timeout bounds it), and
     * the call opens a new connection that is not kept for reuse. */
    int discard_body;
    int fresh_connection;
};

struct http_response {
    long status;                 /* 0 when no response arrived */
    struct http_header *headers; /* names lower-cased; owned */
    size_t nheaders;
    char *body; /* NUL-terminated; owned */
    size_t body_len;
    int64_t date_ms; /* the server's Date header, 0 when absent */
};

/* resp is borrowed for the call. rc: DG_OK when any HTTP response arrived
 * (look at resp->status); DG_ETRANSIENT for DNS, connect, timeout or reset
 * (err->code "dns", "connect" (also a timeout before the request was
 * sent), "timeout", "reset", "send", "recv", "tls" (err->msg begins "TLS
 * verification failed: " for an untrusted or wrong-name certificate));
 * DG_EINVALID for a
 * refused URL ("url"), a bad request header ("header") or an oversized
 * body or header block ("too_large"); DG_ECANCELLED when cancelled or the
 * engine is freed. err->msg never contains header values. */
typedef void (*http_done_fn)(const struct http_response *resp, dg_rc rc,
                             const struct dg_err *err, void *ctx);

struct http_engine_opts {
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* default 30000 */
    size_t max_response;     /* default 4 MiB */
    /* PEM bundle trusted instead of the system store (a private CA); NULL:
     * the system store. Verification stays on either way. */
    const char *ca_file;
};

/* opts may be NULL for defaults. The base must outlive the engine. */
struct http_engine *http_engine_new(struct event_base *base,
                                    const struct http_engine_opts *opts);
/* Cancels outstanding calls (their callbacks run with DG_ECANCELLED before
 * this returns) and frees the engine. Accepts NULL. */
void http_engine_free(struct http_engine *e);
/* Starts a call; copies everything it needs from req. Never NULL. The
 * returned handle is valid until done runs. */
struct http_call *http_start(struct http_engine *e,
                             const struct http_request *req, http_done_fn done,
                             void *ctx);
/* done will run with DG_ECANCELLED (deferred to the loop). */
void http_cancel(struct http_call *c);
/* Case-insensitive lookup; NULL when absent. */
const char *http_header_get(const struct http_response *r, const char *name);
/* Pure: 1 for https URLs and for http URLs whose host is loopback
 * (127.0.0.0/8, localhost, [::1]); 0 otherwise. */
int http_url_allowed(const char *url);

#endif
