/*
 * httpd.c - the read-only HTTP endpoint: probes, /metrics and /v1/plans on
 * libevent's evhttp, driven by the daemon's event base.
 *
 * Ownership: the server owns its evhttp, the listening socket and the
 * per-request buffers; the metrics registry, the callbacks' contexts and
 * the base are borrowed. Errors: httpd_start fills a dg_err (bad address,
 * refused remote bind, bind failure); request handling never fails the
 * daemon - every problem becomes an HTTP status with a small JSON body.
 *
 * DESIGN: the request-target is parsed by a pure function
 * (httpd_parse_target, fuzzed) before anything else looks at it; plan ids
 * are checked against a strict character set and length before any
 * lookup, and no request data is ever written into an answer. Limits:
 * 8 KiB of request line and headers (evhttp answers 413 past it), 1 KiB of
 * body, a read/write timeout per connection, GET and HEAD only (405 with
 * Allow otherwise; evhttp is told to accept every method so the 405 is
 * ours rather than its 501). libevent 2.1 has no cap on concurrent
 * connections (evhttp_set_max_connections arrives in 2.2): connections are
 * bounded by the listen backlog, the timeout and the loopback-only default.
 * The socket is bound here rather than by evhttp_bind_socket so the
 * loopback check applies to exactly the address that is bound.
 */
#include "httpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"
#include "mem.h"
#include "metrics.h"
#include "store_views.h"

#define LISTEN_BACKLOG 16
#define MAX_METRICS_TEXT (4u << 20)
#define MAX_PLANS_JSON (8u << 20)

struct httpd {
    struct httpd_opts o;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    int port;
};

/* ---- request-target parsing (pure) ---------------------------------- */

int
httpd_plan_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > HTTPD_MAX_ID || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int
state_ok(const char *s, size_t n)
{
    if (n == 0 || n > HTTPD_MAX_STATE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return 0;
    return 1;
}

static int
bad(struct httpd_target *t, int status, const char *why)
{
    t->route = HTTPD_ROUTE_NONE;
    t->error = why;
    return status;
}

/* One limit=N value: 1..STORE_VIEWS_MAX_LIMIT in plain digits. */
static int
parse_limit(const char *v, size_t vn, int *out)
{
    if (vn == 0 || vn > 3)
        return -1;
    int lim = 0;
    for (size_t i = 0; i < vn; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        lim = lim * 10 + (v[i] - '0');
    }
    if (lim < 1 || lim > STORE_VIEWS_MAX_LIMIT)
        return -1;
    *out = lim;
    return 0;
}

/* One key=value of the plans list's query; each key at most once. */
static int
plans_param(const char *q, size_t n, struct httpd_target *t, unsigned *seen)
{
    const char *eq = memchr(q, '=', n);
    if (!eq)
        return -1;
    size_t kn = (size_t)(eq - q), vn = n - kn - 1;
    const char *v = eq + 1;
    if (kn == 5 && memcmp(q, "limit", 5) == 0 && !(*seen & 1u)) {
        *seen |= 1u;
        return parse_limit(v, vn, &t->limit);
    }
    if (kn == 5 && memcmp(q, "state", 5) == 0 && !(*seen & 2u)) {
        *seen |= 2u;
        if (!state_ok(v, vn))
            return -1;
        memcpy(t->state, v, vn);
        t->state[vn] = '\0';
        return 0;
    }
    return -1;
}

/* limit=N&state=S for the plans list. */
static int
parse_plans_query(const char *q, struct httpd_target *t)
{
    unsigned seen = 0;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (plans_param(q, n, t, &seen) != 0)
            return bad(t, 400, "bad_query");
        q += n;
        if (*q == '&' && !*++q) /* trailing '&' */
            return bad(t, 400, "bad_query");
    }
    return 200;
}

int
httpd_parse_target(const char *target, struct httpd_target *t)
{
    static const struct {
        const char *path;
        enum httpd_route route;
    } fixed[] = {
        {"/healthz", HTTPD_ROUTE_HEALTHZ},
        {"/readyz", HTTPD_ROUTE_READYZ},
        {"/metrics", HTTPD_ROUTE_METRICS},
        {"/v1/plans", HTTPD_ROUTE_PLANS},
    };
    static const char plan_prefix[] = "/v1/plans/";
    memset(t, 0, sizeof(*t));
    t->limit = HTTPD_DEFAULT_LIMIT;
    if (!target || target[0] != '/')
        return bad(t, 400, "bad_target");
    for (const char *p = target; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#')
            return bad(t, 400, "bad_target");
    const char *qm = strchr(target, '?');
    size_t plen = qm ? (size_t)(qm - target) : strlen(target);
    const char *query = qm ? qm + 1 : "";
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (strlen(fixed[i].path) != plen ||
            memcmp(fixed[i].path, target, plen) != 0)
            continue;
        t->route = fixed[i].route;
        if (t->route == HTTPD_ROUTE_PLANS)
            return parse_plans_query(query, t);
        return 200;
    }
    size_t pre = sizeof(plan_prefix) - 1;
    if (plen > pre && memcmp(target, plan_prefix, pre) == 0) {
        const char *id = target + pre;
        size_t n = plen - pre;
        if (!httpd_plan_id_ok(id, n))
            return bad(t, 400, "bad_plan_id");
        if (*query)
            return bad(t, 400, "bad_query");
        memcpy(t->plan_id, id, n);
        t->plan_id[n] = '\0';
        t->route = HTTPD_ROUTE_PLAN;
        return 200;
    }
    return bad(t, 404, "not_found");
}

/* ---- the default plans provider ------------------------------------- */

int
httpd_plans_from_store(const struct httpd_plans_query *q, struct dg_buf *out,
                       void *ctx)
{
    struct store *s = ctx;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc;
    int found = 1;
    if (q->plan_id)
        rc = store_views_plan(s, q->plan_id, out, &found, &err);
    else
        rc = store_views_plans(s, q->limit, q->state, out, &err);
    if (rc == DG_ETRANSIENT)
        return 503;
    if (rc != DG_OK)
        return 500;
    return found ? 200 : 404;
}

/* ---- serving -------------------------------------------------------- */

static const char *const route_name[] = {
    [HTTPD_ROUTE_NONE] = "other",    [HTTPD_ROUTE_HEALTHZ] = "healthz",
    [HTTPD_ROUTE_READYZ] = "readyz", [HTTPD_ROUTE_METRICS] = "metrics",
    [HTTPD_ROUTE_PLANS] = "plans",   [HTTPD_ROUTE_PLAN] = "plan",
};

static const char *
reason_phrase(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

/* Sends the answer with the common headers; returns the status sent. */
static int
send_answer(struct evhttp_request *req, int code, const char *ctype,
            const char *body, size_t len)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    evhttp_add_header(hd, "Content-Type", ctype);
    evhttp_add_header(hd, "Cache-Control", "no-store");
    evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
    if (code == 405)
        evhttp_add_header(hd, "Allow", "GET, HEAD");
    struct evbuffer *ob = evhttp_request_get_output_buffer(req);
    if (len && evbuffer_add(ob, body, len) != 0)
        code = 500;
    evhttp_send_reply(req, code, reason_phrase(code), NULL);
    return code;
}

static void
count(struct httpd *h, enum httpd_route route, int code)
{
    if (!h->o.metrics)
        return;
    char cs[16];
    (void)snprintf(cs, sizeof(cs), "%d", code);
    (void)metrics_inc(h->o.metrics, MET_HTTP_REQUESTS,
                      ML(route_name[route], cs));
}

static void
reply(struct httpd *h, struct evhttp_request *req, enum httpd_route route,
      int code, const char *ctype, const char *body, size_t len)
{
    count(h, route, send_answer(req, code, ctype, body, len));
}

/* {"error":"<code>"} where code is one of our static reason codes. */
static void
reply_error(struct httpd *h, struct evhttp_request *req, enum httpd_route route,
            int code, const char *why)
{
    char body[96];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", why);
    reply(h, req, route, code, "application/json", body, (size_t)n);
}

static void
serve_readyz(struct httpd *h, struct evhttp_request *req)
{
    char reason[256] = "";
    int ready =
        h->o.ready ? h->o.ready(reason, sizeof(reason), h->o.ready_ctx) : 1;
    reason[sizeof(reason) - 1] = '\0';
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", ready ? "ready" : "not_ready");
    if (!ready)
        cJSON_AddStringToObject(o, "reason", reason[0] ? reason : "starting");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) {
        reply_error(h, req, HTTPD_ROUTE_READYZ, 500, "internal");
        return;
    }
    reply(h, req, HTTPD_ROUTE_READYZ, ready ? 200 : 503, "application/json",
          text, strlen(text));
    cJSON_free(text);
}

static void
serve_metrics(struct httpd *h, struct evhttp_request *req)
{
    if (!h->o.metrics) {
        reply_error(h, req, HTTPD_ROUTE_METRICS, 503, "unavailable");
        return;
    }
    if (h->o.scrape)
        h->o.scrape(h->o.metrics, h->o.scrape_ctx);
    /* counted before rendering so a scrape shows in its own answer */
    count(h, HTTPD_ROUTE_METRICS, 200);
    struct dg_buf b;
    dg_buf_init(&b, MAX_METRICS_TEXT);
    if (metrics_render(h->o.metrics, &b) != DG_OK) {
        dg_buf_cleanup(&b);
        static const char ie[] = "{\"error\":\"internal\"}\n";
        (void)send_answer(req, 500, "application/json", ie, sizeof(ie) - 1);
        return;
    }
    (void)send_answer(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                      dg_buf_str(&b), b.len);
    dg_buf_cleanup(&b);
}

static void
serve_plans(struct httpd *h, struct evhttp_request *req,
            const struct httpd_target *t)
{
    if (!h->o.plans) {
        reply_error(h, req, t->route, 503, "unavailable");
        return;
    }
    struct httpd_plans_query q = {
        .plan_id = t->route == HTTPD_ROUTE_PLAN ? t->plan_id : NULL,
        .limit = t->limit,
        .state = t->state[0] ? t->state : NULL,
    };
    struct dg_buf b;
    dg_buf_init(&b, MAX_PLANS_JSON);
    int code = h->o.plans(&q, &b, h->o.plans_ctx);
    if (code == 200) {
        if (dg_buf_addc(&b, '\n') == DG_OK)
            reply(h, req, t->route, 200, "application/json", dg_buf_str(&b),
                  b.len);
        else
            reply_error(h, req, t->route, 500, "internal");
    } else if (code == 404) {
        reply_error(h, req, t->route, 404, "not_found");
    } else if (code == 503) {
        reply_error(h, req, t->route, 503, "unavailable");
    } else {
        reply_error(h, req, t->route, 500, "internal");
    }
    dg_buf_cleanup(&b);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    struct httpd *h = arg;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct httpd_target t;
    int code = httpd_parse_target(evhttp_request_get_uri(req), &t);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        reply_error(h, req, t.route, 405, "method_not_allowed");
        return;
    }
    if (code != 200) {
        reply_error(h, req, t.route, code, t.error);
        return;
    }
    switch (t.route) {
    case HTTPD_ROUTE_HEALTHZ:
        reply(h, req, t.route, 200, "text/plain; charset=utf-8", "ok\n", 3);
        break;
    case HTTPD_ROUTE_READYZ:
        serve_readyz(h, req);
        break;
    case HTTPD_ROUTE_METRICS:
        serve_metrics(h, req);
        break;
    case HTTPD_ROUTE_PLANS:
    case HTTPD_ROUTE_PLAN:
        serve_plans(h, req, &t);
        break;
    default:
        reply_error(h, req, t.route, 404, "not_found");
        break;
    }
}

/* ---- binding -------------------------------------------------------- */

static int
is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                                   0, 0, 0, 0, 0xff, 0xff};
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return 1;
        return memcmp(in6->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
               in6->sin6_addr.s6_addr[12] == 127;
    }
    return 0;
}

/* "host:port" / "[v6]:port" -> host and port strings. */
static dg_rc
split_listen(const char *listen, char *host, size_t hn, char *port, size_t pn,
             struct dg_err *err)
{
    const char *colon, *hs = listen;
    size_t hl;
    if (!listen || !*listen)
        goto bad;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            goto bad;
        hs = listen + 1;
        hl = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
            goto bad;
        hl = (size_t)(colon - listen);
    }
    size_t pl = strlen(colon + 1);
    if (hl == 0 || hl >= hn || pl == 0 || pl > 5 || pl >= pn ||
        strspn(colon + 1, "0123456789") != pl ||
        strtol(colon + 1, NULL, 10) > 65535)
        goto bad;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    memcpy(port, colon + 1, pl + 1);
    return DG_OK;
bad:
    return dg_err_setc(err, DG_EINVALID, "bad_listen",
                       "http_listen: must be HOST:PORT, got \"%s\"",
                       listen ? listen : "");
}

static dg_rc
bind_listener(const struct httpd_opts *o, int *fd_out, struct dg_err *err)
{
    char host[256], port[8];
    dg_rc rc =
        split_listen(o->listen, host, sizeof(host), port, sizeof(port), err);
    if (rc != DG_OK)
        return rc;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0)
        return dg_err_setc(err, DG_EINVALID, "bad_listen",
                           "http_listen: cannot resolve %s: %s", host,
                           gai_strerror(g));
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (!o->allow_remote && !is_loopback(ai->ai_addr)) {
            freeaddrinfo(res);
            return dg_err_setc(err, DG_EINVALID, "remote_bind",
                               "http_listen: %s is not a loopback address; "
                               "refusing to serve it without allow_remote",
                               host);
        }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
            listen(fd, LISTEN_BACKLOG) != 0) {
            saved = errno;
            (void)close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        char why[128] = "unknown error";
        (void)strerror_r(saved ? saved : EINVAL, why, sizeof(why));
        return dg_err_setc(
            err, saved == EADDRINUSE ? DG_ETRANSIENT : DG_EFATAL, "bind_failed",
            "http_listen: cannot listen on %s: %s", o->listen, why);
    }
    *fd_out = fd;
    return DG_OK;
}

static int
bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

dg_rc
httpd_start(struct event_base *base, const struct httpd_opts *o,
            struct httpd **out, struct dg_err *err)
{
    *out = NULL;
    int fd = -1;
    dg_rc rc = bind_listener(o, &fd, err);
    if (rc != DG_OK)
        return rc;
    struct httpd *h = dg_calloc(1, sizeof(*h));
    h->o = *o;
    h->o.listen = NULL; /* borrowed only for the bind */
    h->port = bound_port(fd);
    h->http = evhttp_new(base);
    if (!h->http) {
        (void)close(fd);
        dg_free(h);
        return dg_err_setc(err, DG_EFATAL, "http_init", "evhttp_new failed");
    }
    evhttp_set_max_headers_size(h->http, HTTPD_MAX_HEADERS);
    evhttp_set_max_body_size(h->http, HTTPD_MAX_BODY);
    evhttp_set_timeout(h->http,
                       o->timeout_s > 0 ? o->timeout_s : HTTPD_DEFAULT_TIMEOUT);
    evhttp_set_allowed_methods(
        h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                     EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(h->http, on_request, h);
    h->bound = evhttp_accept_socket_with_handle(h->http, fd);
    if (!h->bound) {
        (void)close(fd);
        evhttp_free(h->http);
        dg_free(h);
        return dg_err_setc(err, DG_EFATAL, "http_init",
                           "cannot accept on the HTTP socket");
    }
    *out = h;
    return DG_OK;
}

int
httpd_port(const struct httpd *h)
{
    return h ? h->port : -1;
}

void
httpd_free(struct httpd *h)
{
    if (!h)
        return;
    evhttp_free(h->http); /* closes the bound socket and connections */
    dg_free(h);
}
