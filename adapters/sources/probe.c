/*
 * sources/probe.c - the `probe` source: a canary that checks a target
 * every interval_seconds and turns each result into a drgate.probe signal
 * message, exactly in the decoder's format: {"type": "drgate.probe",
 * "probe", "region", "ok", "time", "detail"}.
 *
 * Targets: tcp://HOST:PORT (ok when a TCP connection opens within
 * timeout_ms), http://HOST[:PORT]/PATH and https://HOST[:PORT]/PATH (ok
 * when a GET answers 2xx within timeout_ms; redirects are not followed).
 * tcp and http run on libevent (bufferevent, evhttp; names resolved with
 * evdns). https runs on the AWS layer's HTTP engine (adapters/aws/http.c,
 * libcurl multi on the same loop), one engine per https probe: TLS peer
 * and host verification are always on, against the system store or the
 * probe's ca_file only (a private CA); there is no way to turn them off.
 * Each https probe opens a new connection (nothing kept for reuse), drops
 * the body as it arrives and relies on the engine's header caps.
 *
 * The detail of each result names what failed: "connect failed: ...",
 * "timeout: ...", "TLS verification failed: <curl/OpenSSL reason>",
 * "HTTP 503". The source logs a result when the probe's state or kind of
 * failure changes (warn when failing, info when ok again), not every round.
 *
 * Ownership: each result is a heap message owned by the source until its
 * ack; either outcome frees it (a probe result is superseded by the next
 * one, so a failed one is not redelivered). Errors of the probed target
 * are the data, never a failure of the source.
 *
 * DESIGN: one probe at a time. The first runs at start, then one every
 * interval_seconds; a probe that has not finished after timeout_ms is
 * cancelled and reported as failing, so a closed or silent port is seen
 * within interval_seconds + timeout_ms. While paused, probes are skipped.
 * An https call carries timeout_ms itself, so curl reports the phase that
 * ran out; the probe's own deadline is then a backstop up to 250 ms later
 * (never past the next round). Each call's completion has its own token:
 * one that arrives after its probe was ended (deadline, stop) is ignored.
 * The engine is freed only in destroy, never from inside its callbacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include "http.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "source.h"
#include "timefmt.h"

extern const struct source_ops source_probe_ops;

struct psrc {
    struct source hdr;
    struct event_base *base;
    struct source_host host;
    struct evdns_base *dns;
    char *name, *region, *target;
    int http;
    int https;     /* target and its engine */
    char *ca_file; /* https: trusted instead of the system store */
    struct http_engine *engine;
    struct http_call *call;
    struct pcall *cur;  /* the current call's token */
    int64_t started_ms; /* monotonic start of the https call */
    int logged_ok;      /* -1 before the first result */
    char logged[256];   /* last failure detail logged */
    char *host_name;
    int port;
    char *path; /* http: path and query */
    int interval_s, timeout_ms;
    struct event *tick;     /* next probe */
    struct event *deadline; /* current probe's timeout */
    struct event *stopped_ev;
    struct bufferevent *bev;
    struct evhttp_connection *conn;
    struct evhttp_request *req;
    int busy, paused, stopping;
};

/* The context of one https call: freed by its completion, which comes
 * exactly once (also for a cancelled call, and when the engine is freed).
 * A completion whose token is no longer p->cur is stale: ignored. */
struct pcall {
    struct psrc *p;
};

struct pmsg {
    size_t len;
    char origin[48];
    char data[];
};

static void
cleanup_probe(struct psrc *p)
{
    event_del(p->deadline);
    if (p->bev) {
        bufferevent_free(p->bev);
        p->bev = NULL;
    }
    if (p->req) {
        evhttp_cancel_request(p->req);
        p->req = NULL;
    }
    if (p->call) {
        /* Its completion comes later and is ignored (stale token). */
        http_cancel(p->call);
        p->call = NULL;
        p->cur = NULL;
    }
    /* The HTTP connection is freed at the next probe or at stop, never
     * from inside its own request callback. */
    p->busy = 0;
}

static void
free_conn(struct psrc *p)
{
    if (p->conn) {
        evhttp_connection_free(p->conn);
        p->conn = NULL;
    }
}

/* Logs a result when the state or the kind of failure changed: the kind is
 * the detail up to its first ':' ("connect failed", "timeout", "TLS
 * verification failed", "HTTP 503"), so elapsed times in curl's messages
 * do not log every round. The target is not logged (a URL may carry a
 * token); the detail names host and port at most. */
static void
log_result(struct psrc *p, int ok, const char *detail)
{
    size_t kind = strcspn(detail, ":");
    if (ok == p->logged_ok && (ok || (strlen(p->logged) == kind &&
                                      strncmp(detail, p->logged, kind) == 0)))
        return;
    int first = p->logged_ok < 0;
    p->logged_ok = ok;
    snprintf(p->logged, sizeof(p->logged), "%.*s", ok ? 0 : (int)kind, detail);
    if (ok)
        log_kv(DG_LOG_INFO, first ? "probe ok" : "probe ok again", "probe",
               p->name, "detail", detail, NULL);
    else
        log_kv(DG_LOG_WARN, "probe failing", "probe", p->name, "detail", detail,
               NULL);
}

/* Ends the current probe with its result and hands it to the host. */
static void
report(struct psrc *p, int ok, const char *detail)
{
    cleanup_probe(p);
    if (p->stopping)
        return;
    log_result(p, ok, detail);
    int64_t now = dg_clock_wall_ms();
    char when[DG_TIME_STR_LEN];
    timefmt_format(now, when);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "drgate.probe");
    cJSON_AddStringToObject(m, "probe", p->name);
    cJSON_AddStringToObject(m, "region", p->region);
    cJSON_AddBoolToObject(m, "ok", ok);
    cJSON_AddStringToObject(m, "time", when);
    cJSON_AddStringToObject(m, "detail", detail);
    char *s = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    size_t n = strlen(s);
    struct pmsg *msg = dg_malloc(sizeof(*msg) + n + 1);
    msg->len = n;
    memcpy(msg->data, s, n + 1);
    cJSON_free(s);
    snprintf(msg->origin, sizeof(msg->origin), "probe %s@%lld", p->name,
             (long long)now);
    p->host.deliver(&p->hdr, msg, msg->data, msg->len, msg->origin,
                    p->host.ctx);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct psrc *p = arg;
    char detail[64];
    snprintf(detail, sizeof(detail), "timeout: no result after %d ms",
             p->timeout_ms);
    report(p, 0, detail);
}

static void
tcp_event_cb(struct bufferevent *bev, short events, void *arg)
{
    (void)bev;
    struct psrc *p = arg;
    if (events & BEV_EVENT_CONNECTED) {
        report(p, 1, "connected");
        return;
    }
    char detail[256];
    int dnserr = bufferevent_socket_get_dns_error(p->bev);
    if (dnserr)
        snprintf(detail, sizeof(detail), "cannot resolve %s: %s", p->host_name,
                 evutil_gai_strerror(dnserr));
    else
        snprintf(detail, sizeof(detail), "connect failed: %s",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    report(p, 0, detail);
}

static void
http_done_cb(struct evhttp_request *req, void *arg)
{
    struct psrc *p = arg;
    if (!p->req)
        return;    /* cancelled */
    p->req = NULL; /* owned and freed by evhttp after this callback */
    char detail[128];
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code >= 200 && code < 300) {
        snprintf(detail, sizeof(detail), "HTTP %d", code);
        report(p, 1, detail);
    } else if (code) {
        snprintf(detail, sizeof(detail), "HTTP %d", code);
        report(p, 0, detail);
    } else {
        report(p, 0, "HTTP request failed (connection refused or reset)");
    }
}

/* https: the engine's completion (never from inside http_start). */
static void
https_done_cb(const struct http_response *resp, dg_rc rc,
              const struct dg_err *err, void *arg)
{
    struct pcall *t = arg;
    struct psrc *p = t->p;
    int current = t == p->cur;
    dg_free(t);
    if (!current || rc == DG_ECANCELLED)
        return; /* our deadline or stop ended it; already reported */
    p->cur = NULL;
    p->call = NULL;
    char detail[640];
    if (rc == DG_OK) {
        snprintf(detail, sizeof(detail), "HTTP %ld", resp->status);
        report(p, resp->status >= 200 && resp->status < 300, detail);
        return;
    }
    const char *code = err ? err->code : "";
    const char *msg = err ? err->msg : "unknown error";
    if (strcmp(code, "dns") == 0)
        snprintf(detail, sizeof(detail), "cannot resolve %s: %s", p->host_name,
                 msg);
    else if (strcmp(code, "connect") == 0 &&
             dg_clock_mono_ms() - p->started_ms < p->timeout_ms)
        snprintf(detail, sizeof(detail), "connect failed: %s", msg);
    else if (strcmp(code, "connect") == 0 || strcmp(code, "timeout") == 0)
        /* connect: TCP or the TLS handshake ran out of time */
        snprintf(detail, sizeof(detail), "timeout: %s", msg);
    else if (strcmp(code, "tls") == 0)
        snprintf(detail, sizeof(detail), "%s", msg); /* "TLS ...: why" */
    else if (strcmp(code, "too_large") == 0)
        snprintf(detail, sizeof(detail), "response refused: %s", msg);
    else
        snprintf(detail, sizeof(detail), "HTTP request failed: %s", msg);
    report(p, 0, detail);
}

static void
start_https(struct psrc *p)
{
    struct http_header ua = {"User-Agent", "drgate-probe"};
    struct http_request req = {
        .method = "GET",
        .url = p->target,
        .headers = &ua,
        .nheaders = 1,
        .connect_timeout_ms = p->timeout_ms,
        .timeout_ms = p->timeout_ms,
        .discard_body = 1,
        .fresh_connection = 1,
    };
    struct pcall *t = dg_malloc(sizeof(*t));
    t->p = p;
    p->cur = t;
    p->started_ms = dg_clock_mono_ms();
    p->call = http_start(p->engine, &req, https_done_cb, t);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct psrc *p = arg;
    if (p->stopping)
        return;
    dg_clock_arm(p->tick, p->interval_s * 1000);
    if (p->paused || p->busy)
        return;
    p->busy = 1;
    /* https: curl's own timeout (timeout_ms) reports first and says which
     * phase ran out; the deadline, a little later but before the next
     * round, is only a backstop. */
    int ms = p->timeout_ms;
    if (p->https) {
        int spare = p->interval_s * 1000 - p->timeout_ms - 1;
        ms += spare < 250 ? (spare > 0 ? spare : 0) : 250;
    }
    dg_clock_arm(p->deadline, ms);
    if (p->https) {
        start_https(p);
        return;
    }
    if (!p->http) {
        p->bev = bufferevent_socket_new(
            p->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        bufferevent_setcb(p->bev, NULL, NULL, tcp_event_cb, p);
        if (bufferevent_socket_connect_hostname(p->bev, p->dns, AF_UNSPEC,
                                                p->host_name, p->port) != 0) {
            /* Failures reported synchronously are reported from the
             * deadline path only if the event callback did not run. */
            if (p->busy)
                report(p, 0, "connect failed to start");
        }
        return;
    }
    free_conn(p);
    p->conn = evhttp_connection_base_new(p->base, p->dns, p->host_name,
                                         (unsigned short)p->port);
    if (!p->conn) {
        report(p, 0, "cannot create the HTTP connection");
        return;
    }
    evhttp_connection_set_retries(p->conn, 0);
    p->req = evhttp_request_new(http_done_cb, p);
    struct evkeyvalq *h = evhttp_request_get_output_headers(p->req);
    evhttp_add_header(h, "Host", p->host_name);
    evhttp_add_header(h, "User-Agent", "drgate-probe");
    evhttp_add_header(h, "Connection", "close");
    if (evhttp_make_request(p->conn, p->req, EVHTTP_REQ_GET, p->path) != 0) {
        p->req = NULL; /* freed by evhttp on failure */
        report(p, 0, "cannot send the HTTP request");
    }
}

static void
stopped_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct psrc *p = arg;
    p->host.stopped(&p->hdr, p->host.ctx);
}

static void
started_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct psrc *p = arg;
    if (p->stopping)
        return;
    p->host.started(&p->hdr, p->host.ctx);
    dg_clock_arm(p->tick, 0);
}

static dg_rc
parse_target(struct psrc *p, struct dg_err *err)
{
    const char *t = p->target;
    if (strncmp(t, "tcp://", 6) == 0) {
        const char *hp = t + 6;
        const char *colon = strrchr(hp, ':');
        if (!colon || colon == hp)
            return dg_err_set(err, DG_EINVALID,
                              "probe %s: target must be tcp://HOST:PORT",
                              p->name);
        const char *h = hp;
        size_t hl = (size_t)(colon - hp);
        if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        p->host_name = dg_strndup(h, hl);
        p->port = atoi(colon + 1);
        if (p->port <= 0 || p->port > 65535)
            return dg_err_set(err, DG_EINVALID, "probe %s: bad port", p->name);
        return DG_OK;
    }
    struct evhttp_uri *u = evhttp_uri_parse(t);
    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    int https = scheme && strcmp(scheme, "https") == 0;
    if (!u || !evhttp_uri_get_host(u) ||
        (!https && strcmp(scheme ? scheme : "", "http") != 0)) {
        if (u)
            evhttp_uri_free(u);
        return dg_err_set(err, DG_EINVALID,
                          "probe %s: target must be tcp://HOST:PORT or an "
                          "http:// or https:// URL",
                          p->name);
    }
    if (https) {
        /* The engine takes the URL as it is; host_name is for messages. */
        p->https = 1;
        p->host_name = dg_strdup(evhttp_uri_get_host(u));
        evhttp_uri_free(u);
        return DG_OK;
    }
    p->http = 1;
    p->host_name = dg_strdup(evhttp_uri_get_host(u));
    p->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
    const char *path = evhttp_uri_get_path(u);
    const char *q = evhttp_uri_get_query(u);
    p->path = dg_sprintf("%s%s%s", path && *path ? path : "/", q ? "?" : "",
                         q ? q : "");
    evhttp_uri_free(u);
    return DG_OK;
}

static void probe_destroy(struct source *src);

static dg_rc
probe_create(struct event_base *base, const cJSON *conf,
             const struct source_host *host, struct source **out,
             struct dg_err *err)
{
    *out = NULL;
    struct psrc *p = dg_calloc(1, sizeof(*p));
    p->hdr.ops = &source_probe_ops;
    p->base = base;
    p->host = *host;
    p->name = dg_strdup(dg_json_str(conf, "name"));
    p->region = dg_strdup(dg_json_str(conf, "region"));
    p->target = dg_strdup(dg_json_str(conf, "target"));
    long long v = 10;
    p->interval_s = dg_json_int(conf, "interval_seconds", &v) ? (int)v : 10;
    v = 2000;
    p->timeout_ms = dg_json_int(conf, "timeout_ms", &v) ? (int)v : 2000;
    p->ca_file = dg_strdup(dg_json_str(conf, "ca_file"));
    p->logged_ok = -1;
    p->tick = evtimer_new(base, tick_cb, p);
    p->deadline = evtimer_new(base, deadline_cb, p);
    p->stopped_ev = event_new(base, -1, 0, stopped_cb, p);
    dg_rc rc = DG_OK;
    if (!p->name || !p->region || !p->target || p->interval_s < 1 ||
        p->timeout_ms < 1)
        rc = dg_err_set(err, DG_EINVALID,
                        "probe: name, region and target are required");
    else
        rc = parse_target(p, err);
    if (rc == DG_OK && p->ca_file && !p->https)
        rc = dg_err_set(err, DG_EINVALID,
                        "probe %s: ca_file is only for https:// targets",
                        p->name);
    if (rc == DG_OK && p->https) {
        struct http_engine_opts eo = {
            .connect_timeout_ms = p->timeout_ms,
            .timeout_ms = p->timeout_ms,
            .ca_file = p->ca_file,
        };
        p->engine = http_engine_new(base, &eo);
        if (!p->engine)
            rc = dg_err_set(err, DG_EFATAL,
                            "probe %s: cannot create the HTTP engine", p->name);
    }
    if (rc != DG_OK) {
        probe_destroy(&p->hdr);
        return rc;
    }
    if (!p->https) { /* curl resolves https names itself */
        p->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                          EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (!p->dns) /* no resolv.conf: numeric targets still work */
            p->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    }
    *out = &p->hdr;
    return DG_OK;
}

static void
probe_start(struct source *src)
{
    struct psrc *p = (struct psrc *)src;
    struct timeval zero = {0, 0};
    (void)event_base_once(p->base, -1, EV_TIMEOUT, started_cb, p, &zero);
}

static void
probe_stop(struct source *src)
{
    struct psrc *p = (struct psrc *)src;
    p->stopping = 1;
    event_del(p->tick);
    cleanup_probe(p);
    free_conn(p);
    event_active(p->stopped_ev, 0, 0);
}

static void
probe_pause(struct source *src)
{
    ((struct psrc *)src)->paused = 1;
}

static void
probe_resume(struct source *src)
{
    ((struct psrc *)src)->paused = 0;
}

static void
probe_ack(struct source *src, void *handle, enum source_outcome o)
{
    (void)src;
    (void)o;
    dg_free(handle);
}

static void
probe_destroy(struct source *src)
{
    struct psrc *p = (struct psrc *)src;
    if (!p)
        return;
    p->stopping = 1;
    cleanup_probe(p);
    free_conn(p);
    http_engine_free(p->engine); /* completes cancelled calls: ignored */
    event_free(p->tick);
    event_free(p->deadline);
    event_free(p->stopped_ev);
    if (p->dns)
        evdns_base_free(p->dns, 0);
    dg_free(p->name);
    dg_free(p->region);
    dg_free(p->target);
    dg_free(p->ca_file);
    dg_free(p->host_name);
    dg_free(p->path);
    dg_free(p);
}

const struct source_ops source_probe_ops = {
    .type = "probe",
    .create = probe_create,
    .start = probe_start,
    .stop = probe_stop,
    .pause = probe_pause,
    .resume = probe_resume,
    .ack = probe_ack,
    .destroy = probe_destroy,
};
