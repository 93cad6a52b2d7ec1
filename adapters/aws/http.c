/*
 * http.c - asynchronous HTTP over libcurl's multi interface on libevent.
 *
 * Shape of curl's docs/examples/hiperfifo.c: one engine (multi handle +
 * one timer event), one sock_ctx per socket curl asks us to watch (its
 * event, assigned with curl_multi_assign), one http_call per transfer (the
 * easy handle, its request copies and its response buffers).
 *
 * Ownership: the engine owns every call until the call's completion has
 * run; the response handed to done is borrowed for the callback. The base
 * must outlive the engine; the engine frees its events before
 * curl_multi_cleanup returns (the socket callback frees sock_ctx on
 * CURL_POLL_REMOVE), and the base is never freed here.
 *
 * DESIGN: completions are always deferred. A finished transfer is removed
 * from the multi handle inside check_done(), its result stored, and the
 * call's own zero-delay event made active; that event runs done and frees
 * the call. So user code never runs inside a libcurl callback or while we
 * walk curl's message queue, may start or cancel calls or free the engine
 * from done, and never sees done from inside http_start (a refused URL is
 * deferred the same way). The timer callback only calls
 * curl_multi_socket_action(CURL_SOCKET_TIMEOUT), never anything that could
 * re-enter curl's timer function synchronously from within it.
 *
 * Safety: https only, except plain http to loopback (checked on the URL
 * before curl sees it, and again on every address curl connects to by
 * CURLOPT_OPENSOCKETFUNCTION, so "http://localhost" that resolves to a
 * non-loopback address is refused without connecting); no redirects; no
 * proxies from the environment; TLS peer and host verification on, against
 * the system store or, when the engine has a ca_file, that bundle only.
 * Header values are never logged or copied into err->msg. Header blocks are
 * capped (count and bytes); bodies are capped, or dropped as they arrive
 * for callers that only want the status (discard_body).
 */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "clock.h"
#include "mem.h"

#define HTTP_MAX_HEADERS 128
#define HTTP_MAX_HEADER_BYTES (64 * 1024)

enum call_state {
    CALL_RUNNING,  /* in the multi handle */
    CALL_FINISHED, /* result stored, completion event active */
};

struct http_engine {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    struct http_engine_opts opts;
    char *ca_file;
    struct http_call *calls; /* every call not yet completed */
    int freeing;
};

struct http_call {
    struct http_engine *e;
    struct http_call *prev, *next;
    CURL *easy;
    struct curl_slist *req_headers;
    char *method;
    char *url;
    int is_http;        /* plain http: loopback addresses only */
    int allow_metadata; /* ... or the link-local metadata addresses */
    int discard_body;   /* body bytes are dropped, not kept */
    http_done_fn done;
    void *ctx;
    struct event *fire;
    enum call_state state;
    dg_rc rc;
    struct dg_err err;
    struct dg_buf body;
    int too_large; /* 1: body over its cap; 2: header block over its caps */
    struct http_header *headers;
    size_t nheaders;
    size_t header_bytes;
    long status;
    int64_t date_ms;
    char errbuf[CURL_ERROR_SIZE];
};

struct sock_ctx {
    struct http_engine *e;
    curl_socket_t fd;
    struct event *ev;
};

static void check_done(struct http_engine *e);

/* ---- URL policy (pure) ------------------------------------------------ */

static int
host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 ||
        strcasecmp(host, "localhost.") == 0)
        return 1;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        char tmp[64];
        if (n - 2 >= sizeof(tmp))
            return 0;
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, tmp, &a6) == 1)
            return memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
    }
    return 0;
}

/* The link-local metadata endpoints (IMDS, ECS/EKS container creds). */
static const char *const metadata_v4[] = {"169.254.169.254", "169.254.170.2",
                                          "169.254.170.23"};
static const char *const metadata_v6[] = {"fd00:ec2::254", "fd00:ec2::23"};

static int
host_is_metadata(const char *host)
{
    for (size_t i = 0; i < sizeof(metadata_v4) / sizeof(metadata_v4[0]); i++)
        if (strcmp(host, metadata_v4[i]) == 0)
            return 1;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']')
        for (size_t i = 0; i < sizeof(metadata_v6) / sizeof(metadata_v6[0]);
             i++)
            if (strlen(metadata_v6[i]) == n - 2 &&
                strncasecmp(host + 1, metadata_v6[i], n - 2) == 0)
                return 1;
    return 0;
}

static int
addr_is_metadata(const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (!inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf)))
            return 0;
        for (size_t i = 0; i < sizeof(metadata_v4) / sizeof(metadata_v4[0]);
             i++)
            if (strcmp(buf, metadata_v4[i]) == 0)
                return 1;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        for (size_t i = 0; i < sizeof(metadata_v6) / sizeof(metadata_v6[0]);
             i++) {
            struct in6_addr want;
            if (inet_pton(AF_INET6, metadata_v6[i], &want) == 1 &&
                memcmp(&want, &in6->sin6_addr, sizeof(want)) == 0)
                return 1;
        }
    }
    return 0;
}

/* 1 for plain http to a metadata address (checked only when a request
 * opts in with allow_metadata_hosts). */
static int
metadata_url_allowed(const char *url)
{
    CURLU *u = curl_url();
    if (!u)
        return 0;
    int ok = 0;
    char *scheme = NULL, *host = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        ok = strcasecmp(scheme, "http") == 0 && host_is_metadata(host);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

int
http_url_allowed(const char *url)
{
    if (!url)
        return 0;
    CURLU *u = curl_url();
    if (!u)
        return 0;
    int ok = 0;
    char *scheme = NULL, *host = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (strcasecmp(scheme, "https") == 0)
        ok = 1;
    else if (strcasecmp(scheme, "http") == 0)
        ok = host_is_loopback(host);
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static int
is_plain_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0;
}

/* ---- completion ---------------------------------------------------------
 */

static void
call_unlink(struct http_call *c)
{
    struct http_engine *e = c->e;
    if (c->prev)
        c->prev->next = c->next;
    else if (e->calls == c)
        e->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void
call_free(struct http_call *c)
{
    if (c->easy)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->req_headers);
    if (c->fire)
        event_free(c->fire);
    for (size_t i = 0; i < c->nheaders; i++) {
        dg_free((char *)c->headers[i].name);
        dg_free((char *)c->headers[i].value);
    }
    dg_free(c->headers);
    dg_buf_cleanup(&c->body);
    dg_free(c->method);
    dg_free(c->url);
    dg_free(c);
}

/* Runs done and frees the call. The call is already out of the multi. */
static void
call_complete(struct http_call *c)
{
    call_unlink(c);
    struct http_response resp = {
        .status = c->status,
        .headers = c->headers,
        .nheaders = c->nheaders,
        .body = c->body.data ? c->body.data : (char *)"",
        .body_len = c->body.len,
        .date_ms = c->date_ms,
    };
    if (c->rc != DG_OK)
        c->err.rc = c->rc;
    c->done(&resp, c->rc, c->rc == DG_OK ? NULL : &c->err, c->ctx);
    call_free(c);
}

static void
on_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    call_complete(arg);
}

/* Leaves the multi handle (if in it) and schedules the completion. */
static void
call_finish(struct http_call *c, dg_rc rc)
{
    if (c->state == CALL_RUNNING && c->easy)
        curl_multi_remove_handle(c->e->multi, c->easy);
    c->state = CALL_FINISHED;
    c->rc = rc;
    event_active(c->fire, 0, 0);
}

/* ---- curl callbacks ------------------------------------------------------
 */

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct http_call *c = arg;
    size_t n = size * nmemb;
    if (c->discard_body)
        return n;
    if (dg_buf_add(&c->body, ptr, n) != DG_OK) {
        c->too_large = 1;
        return 0; /* short count: curl aborts with CURLE_WRITE_ERROR */
    }
    return n;
}

static void
headers_reset(struct http_call *c)
{
    for (size_t i = 0; i < c->nheaders; i++) {
        dg_free((char *)c->headers[i].name);
        dg_free((char *)c->headers[i].value);
    }
    c->nheaders = 0;
    c->header_bytes = 0;
    c->date_ms = 0;
}

static size_t
on_header(char *ptr, size_t size, size_t nitems, void *arg)
{
    struct http_call *c = arg;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        headers_reset(c); /* a new response (after 100 Continue) */
        return n;
    }
    c->header_bytes += n;
    if (c->header_bytes > HTTP_MAX_HEADER_BYTES) {
        c->too_large = 2;
        return 0;
    }
    const char *colon = memchr(ptr, ':', n);
    if (!colon || colon == ptr)
        return n; /* the blank line, or a malformed line: ignore */
    if (c->nheaders >= HTTP_MAX_HEADERS) {
        c->too_large = 2;
        return 0;
    }
    size_t nlen = (size_t)(colon - ptr);
    const char *v = colon + 1;
    const char *end = ptr + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                       end[-1] == '\t'))
        end--;
    char *name = dg_strndup(ptr, nlen);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *value = dg_strndup(v, (size_t)(end - v));
    if (!c->headers)
        c->headers = dg_calloc(HTTP_MAX_HEADERS, sizeof(*c->headers));
    c->headers[c->nheaders].name = name;
    c->headers[c->nheaders].value = value;
    c->nheaders++;
    if (strcmp(name, "date") == 0) {
        time_t t = curl_getdate(value, NULL);
        c->date_ms = t > 0 ? (int64_t)t * 1000 : 0;
    }
    return n;
}

static int
addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                                   0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(in6->sin6_addr.s6_addr, v4mapped, 12) == 0)
            return in6->sin6_addr.s6_addr[12] == 127;
        return memcmp(&in6->sin6_addr, &in6addr_loopback,
                      sizeof(in6addr_loopback)) == 0;
    }
    return 0;
}

static curl_socket_t
on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct http_call *c = arg;
    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    if (c->is_http && !addr_is_loopback(&addr->addr) &&
        !(c->allow_metadata && addr_is_metadata(&addr->addr))) {
        snprintf(c->err.code, sizeof(c->err.code), "url");
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* ---- the multi handle on libevent (hiperfifo) ---------------------------
 */

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    struct http_engine *e = arg;
    int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
                 ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(e->multi, fd, action, &running);
    check_done(e);
    if (running <= 0 && evtimer_pending(e->timer, NULL))
        evtimer_del(e->timer);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_engine *e = arg;
    int running = 0;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(e);
}

/* CURLMOPT_TIMERFUNCTION: only (re)arms or removes our timer. */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
    (void)multi;
    struct http_engine *e = arg;
    if (timeout_ms < 0) {
        evtimer_del(e->timer);
        return 0;
    }
    dg_clock_arm(e->timer, timeout_ms);
    return 0;
}

static void
sock_set(struct sock_ctx *s, curl_socket_t fd, int act)
{
    short kind = (short)(((act & CURL_POLL_IN) ? EV_READ : 0) |
                         ((act & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
    if (s->ev) {
        event_del(s->ev);
        event_free(s->ev);
    }
    s->fd = fd;
    s->ev = event_new(s->e->base, fd, kind, on_socket_event, s->e);
    event_add(s->ev, NULL);
}

/* CURLMOPT_SOCKETFUNCTION */
static int
multi_sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)easy;
    struct http_engine *e = arg;
    struct sock_ctx *s = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            if (s->ev) {
                event_del(s->ev);
                event_free(s->ev);
            }
            dg_free(s);
            curl_multi_assign(e->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = dg_calloc(1, sizeof(*s));
        s->e = e;
        curl_multi_assign(e->multi, fd, s);
    }
    sock_set(s, fd, what);
    return 0;
}

static void
map_result(struct http_call *c, CURLcode res)
{
    struct dg_err *err = &c->err;
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(res);
    curl_off_t pre = 0;
    long os_errno = 0;
    switch (res) {
    case CURLE_OK:
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
        call_finish(c, DG_OK);
        return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (c->too_large == 2) {
            dg_err_setc(err, DG_EINVALID, "too_large",
                        "response header block exceeds %d headers or %d "
                        "bytes",
                        HTTP_MAX_HEADERS, HTTP_MAX_HEADER_BYTES);
            call_finish(c, DG_EINVALID);
            return;
        }
        if (c->too_large) {
            dg_err_setc(err, DG_EINVALID, "too_large",
                        "response exceeds %zu bytes", c->body.max);
            call_finish(c, DG_EINVALID);
            return;
        }
        dg_err_setc(err, DG_ETRANSIENT, "recv", "%s", why);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        dg_err_setc(err, DG_ETRANSIENT, "dns", "%s", why);
        break;
    case CURLE_COULDNT_CONNECT:
        if (strcmp(err->code, "url") == 0) {
            dg_err_setc(err, DG_EINVALID, "url",
                        "plain http refused to a non-loopback address");
            call_finish(c, DG_EINVALID);
            return;
        }
        curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno) /* "Connection refused", "No route to host" */
            dg_err_setc(err, DG_ETRANSIENT, "connect", "%s (%s)", why,
                        strerror((int)os_errno));
        else
            dg_err_setc(err, DG_ETRANSIENT, "connect", "%s", why);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        /* Before the request went out it is a connect failure: nothing was
         * sent, so any call may be retried. */
        curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
        if (pre == 0)
            dg_err_setc(err, DG_ETRANSIENT, "connect", "%s", why);
        else
            dg_err_setc(err, DG_ETRANSIENT, "timeout", "%s", why);
        break;
    case CURLE_SEND_ERROR:
        dg_err_setc(err, DG_ETRANSIENT, "send", "%s", why);
        break;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        dg_err_setc(err, DG_ETRANSIENT, "reset", "%s", why);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        dg_err_setc(err, DG_ETRANSIENT, "tls", "TLS verification failed: %s",
                    why);
        break;
    case CURLE_SSL_CACERT_BADFILE:
        dg_err_setc(err, DG_ETRANSIENT, "tls", "TLS CA file not usable: %s",
                    why);
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        dg_err_setc(err, DG_ETRANSIENT, "tls", "TLS handshake failed: %s", why);
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        dg_err_setc(err, DG_EINVALID, "url", "%s", why);
        call_finish(c, DG_EINVALID);
        return;
    default:
        dg_err_setc(err, DG_ETRANSIENT, "recv", "%s", why);
        break;
    }
    call_finish(c, DG_ETRANSIENT);
}

static void
check_done(struct http_engine *e)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(e->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct http_call *c = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        CURLcode res = msg->data.result;
        if (c && c->state == CALL_RUNNING)
            map_result(c, res);
    }
}

/* ---- public API ---------------------------------------------------------
 */

struct http_engine *
http_engine_new(struct event_base *base, const struct http_engine_opts *opts)
{
    struct http_engine *e = dg_calloc(1, sizeof(*e));
    e->base = base;
    e->opts.connect_timeout_ms = 3000;
    e->opts.timeout_ms = 30000;
    e->opts.max_response = 4u * 1024 * 1024;
    if (opts) {
        if (opts->connect_timeout_ms > 0)
            e->opts.connect_timeout_ms = opts->connect_timeout_ms;
        if (opts->timeout_ms > 0)
            e->opts.timeout_ms = opts->timeout_ms;
        if (opts->max_response > 0)
            e->opts.max_response = opts->max_response;
        e->ca_file = dg_strdup(opts->ca_file);
    }
    e->multi = curl_multi_init();
    if (!e->multi) {
        dg_free(e->ca_file);
        dg_free(e);
        return NULL;
    }
    e->timer = evtimer_new(base, on_timer, e);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, multi_sock_cb);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, 32L);
    return e;
}

void
http_engine_free(struct http_engine *e)
{
    if (!e)
        return;
    e->freeing = 1;
    /* done callbacks may start (or cancel) other calls: loop until empty.
     * Calls started now are completed here as cancelled too. */
    while (e->calls) {
        struct http_call *c = e->calls;
        if (c->state == CALL_RUNNING)
            curl_multi_remove_handle(e->multi, c->easy);
        c->state = CALL_FINISHED;
        c->rc = DG_ECANCELLED;
        c->status = 0;
        dg_err_clear(&c->err);
        dg_err_setc(&c->err, DG_ECANCELLED, "cancelled",
                    "HTTP engine shut down");
        event_del(c->fire);
        call_complete(c);
    }
    curl_multi_cleanup(e->multi); /* closes sockets: CURL_POLL_REMOVE */
    event_free(e->timer);
    dg_free(e->ca_file);
    dg_free(e);
}

static void
setup_method(struct http_call *c, const struct http_request *req)
{
    CURL *h = c->easy;
    const char *m = c->method;
    if (strcmp(m, "GET") == 0 && req->body_len == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    if (req->body_len > 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS,
                         req->body_len ? (const char *)req->body : "");
    }
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
}

static void
setup_easy(struct http_call *c, const struct http_request *req)
{
    struct http_engine *e = c->e;
    CURL *h = c->easy;
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, c);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* ignore *_proxy variables */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (e->ca_file) {
        /* That bundle only: no build-time CA directory beside it. */
        curl_easy_setopt(h, CURLOPT_CAINFO, e->ca_file);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    if (req->fresh_connection) {
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "drgate/" DRGATE_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                 : e->opts.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     req->timeout_ms > 0 ? req->timeout_ms
                                         : e->opts.timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
    setup_method(c, req);

    /* No "Expect: 100-continue" round trip; no default Accept. */
    c->req_headers = curl_slist_append(c->req_headers, "Expect:");
    for (size_t i = 0; i < req->nheaders; i++) {
        char *line =
            dg_sprintf("%s: %s", req->headers[i].name, req->headers[i].value);
        c->req_headers = curl_slist_append(c->req_headers, line);
        dg_free(line);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->req_headers);
}

static int
headers_ok(const struct http_request *req)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *n = req->headers[i].name, *v = req->headers[i].value;
        if (!n || !v || !*n || strpbrk(n, ":\r\n") || strpbrk(v, "\r\n"))
            return 0;
    }
    return 1;
}

struct http_call *
http_start(struct http_engine *e, const struct http_request *req,
           http_done_fn done, void *ctx)
{
    struct http_call *c = dg_calloc(1, sizeof(*c));
    c->e = e;
    c->done = done;
    c->ctx = ctx;
    c->method = dg_strdup(req->method ? req->method : "GET");
    c->url = dg_strdup(req->url ? req->url : "");
    c->is_http = is_plain_http(c->url);
    c->state = CALL_RUNNING;
    dg_buf_init(&c->body, req->max_response > 0 ? req->max_response
                                                : e->opts.max_response);
    c->fire = event_new(e->base, -1, 0, on_fire, c);
    c->next = e->calls;
    if (e->calls)
        e->calls->prev = c;
    e->calls = c;

    if (e->freeing) {
        c->state = CALL_FINISHED;
        c->rc = DG_ECANCELLED;
        dg_err_setc(&c->err, DG_ECANCELLED, "cancelled",
                    "HTTP engine shutting down");
        return c; /* http_engine_free's loop completes it */
    }
    c->allow_metadata = req->allow_metadata_hosts;
    c->discard_body = req->discard_body;
    if (!http_url_allowed(c->url) &&
        !(c->allow_metadata && metadata_url_allowed(c->url))) {
        dg_err_setc(&c->err, DG_EINVALID, "url",
                    "URL refused: https only, plain http to loopback only");
        call_finish(c, DG_EINVALID);
        return c;
    }
    if (!headers_ok(req)) {
        dg_err_setc(&c->err, DG_EINVALID, "header",
                    "request header name or value not allowed");
        call_finish(c, DG_EINVALID);
        return c;
    }
    c->easy = curl_easy_init();
    if (!c->easy) {
        dg_err_setc(&c->err, DG_EFATAL, "curl", "curl_easy_init failed");
        call_finish(c, DG_EFATAL);
        return c;
    }
    setup_easy(c, req);
    CURLMcode mc = curl_multi_add_handle(e->multi, c->easy);
    if (mc != CURLM_OK) {
        c->state = CALL_FINISHED;
        dg_err_setc(&c->err, DG_EFATAL, "curl", "curl_multi_add_handle: %s",
                    curl_multi_strerror(mc));
        call_finish(c, DG_EFATAL);
    }
    return c;
}

void
http_cancel(struct http_call *c)
{
    if (!c)
        return;
    if (c->state == CALL_RUNNING) {
        dg_err_setc(&c->err, DG_ECANCELLED, "cancelled", "cancelled");
        call_finish(c, DG_ECANCELLED);
    } else if (c->rc == DG_OK) {
        /* Finished but not yet delivered: report the cancellation. */
        c->status = 0;
        dg_err_setc(&c->err, DG_ECANCELLED, "cancelled", "cancelled");
        c->rc = DG_ECANCELLED;
    }
}

const char *
http_header_get(const struct http_response *r, const char *name)
{
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}
