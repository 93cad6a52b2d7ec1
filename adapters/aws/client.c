/*
 * client.c - the AWS call pipeline: endpoint, credentials, request
 * building per protocol, SigV4, the HTTP call, error parsing, retries with
 * backoff and clock-skew correction.
 *
 * Ownership: aws_call copies everything it needs from the request; the
 * client owns each in-flight operation (struct aws_op) until its done has
 * run. The response handed to done is borrowed for the callback.
 *
 * Errors: see aws_done_fn in client.h. Summary of the retry policy (the
 * SDKs' standard mode, retry.c): throttling errors, 5xx, RequestTimeout and
 * connection failures are retried up to max_attempts with full-jitter
 * exponential backoff, within the client-wide retry quota. A call that is
 * not idempotent is never resent when its outcome is unknown (the request
 * went out, then a timeout, a reset or a 5xx without an AWS error code):
 * it fails with DG_ETRANSIENT and err->code "unknown_outcome", and the
 * caller re-reads the state (every DR action checks "already done" first,
 * ARCHITECTURE.md section 5). A clock-skew error (RequestTimeTooSkewed,
 * SignatureDoesNotMatch, ...) whose reply carries a Date more than 4
 * minutes away from our signing clock sets the client's clock offset and
 * is retried once at once; otherwise it is an ordinary remote error.
 * Retryable errors that ran out of attempts come back as DG_ETRANSIENT
 * (err->code keeps the AWS code), other AWS errors as DG_EREMOTE.
 *
 * DESIGN: an operation moves through three waiting states, each with one
 * pending completion that always arrives from the loop: OP_TIMER (a
 * zero-delay deferral or a backoff), OP_CREDS (the provider's callback),
 * OP_HTTP (the HTTP completion). aws_client_free completes every operation
 * with DG_ECANCELLED before it returns; a pending provider or HTTP callback
 * then finds its operation orphaned (waiter->op NULL, op->c NULL) and only
 * frees memory. Nothing secret is logged: only operation names and codes.
 */
#include "client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "awsxml.h"
#include "clock.h"
#include "config.h"
#include "creds.h"
#include "endpoint.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "retry.h"
#include "sigv4.h"

#define AWS_MAX_URL 2048
#define AWS_MAX_REQUEST_BODY (1024u * 1024)
#define AWS_ERROR_MAX_BODY (1024u * 1024)

enum op_state { OP_TIMER, OP_CREDS, OP_HTTP };

struct aws_op;

/* The provider's callback ctx: survives the operation when orphaned. */
struct creds_waiter {
    struct aws_op *op;
};

struct aws_op {
    struct aws_client *c; /* NULL once orphaned */
    struct aws_op *prev, *next;
    const struct aws_service *svc;
    char *region;
    char *operation;
    char *body;
    size_t body_len;
    char *method, *path, *query;
    int idempotent;
    long timeout_ms;
    aws_done_fn done;
    void *ctx;
    char base_url[AWS_MAX_URL];
    char signing_region[64];
    int attempt;
    int quota_tokens;
    enum op_state state;
    struct event *timer;
    struct creds_waiter *waiter;
    struct http_call *http;
    int64_t started_ms; /* aws_call, by now_ms: the latency's start */
    dg_rc early_rc;     /* set: the timer completes the op with this */
    struct dg_err early_err;
};

struct aws_client {
    struct event_base *base;
    struct http_engine *http;
    struct aws_creds_provider *creds;
    char *region;
    struct cfg_kv *endpoints;
    size_t nendpoints;
    int max_attempts;
    int64_t (*now_ms)(void *);
    uint32_t (*random)(void *);
    void *hook_ctx;
    const char *(*env)(const char *, void *);
    int64_t retry_base_ms, retry_max_ms;
    void (*on_retry)(const char *, int, int64_t, const struct dg_err *, void *);
    void (*on_complete)(const char *, const char *, dg_rc, int, int64_t,
                        void *);
    int64_t skew_ms; /* server clock minus ours */
    struct retry_quota quota;
    struct aws_call_stats stats;
    struct aws_op *ops;
    int freeing;
};

/* ---- defaults for the injected hooks ------------------------------------
 */

static int64_t
real_now_ms(void *ctx)
{
    (void)ctx;
    return dg_clock_wall_ms();
}

static uint32_t
real_random(void *ctx)
{
    (void)ctx;
    unsigned char b[4] = {0};
    if (RAND_bytes(b, sizeof(b)) != 1)
        return 0x80000000u; /* half the cap: still bounded */
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           b[3];
}

static const char *
real_env(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name); /* NOLINT(concurrency-mt-unsafe): read-only env */
}

/* ---- query encoding ------------------------------------------------------
 */

dg_rc
aws_query_add(struct dg_buf *b, const char *key, const char *value)
{
    size_t mark = b->len;
    dg_rc rc = DG_OK;
    if (b->len > 0)
        rc = dg_buf_addc(b, '&');
    if (rc == DG_OK)
        rc = sigv4_uri_encode(key, strlen(key), 0, b, NULL);
    if (rc == DG_OK)
        rc = dg_buf_addc(b, '=');
    if (rc == DG_OK && value)
        rc = sigv4_uri_encode(value, strlen(value), 0, b, NULL);
    if (rc != DG_OK) { /* leave the buffer as it was */
        b->len = mark;
        if (b->data)
            b->data[mark] = '\0';
    }
    return rc;
}

/* ---- error parsing (pure) ------------------------------------------------
 */

static const char *
header_get(const struct http_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

static const char *
request_id_header(const struct http_header *h, size_t n)
{
    static const char *const names[] = {"x-amzn-requestid", "x-amz-request-id",
                                        "x-amzn-request-id"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = header_get(h, n, names[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

/* Copies s into dst up to the first of stop (or the end), with at most
 * dstlen - 1 bytes. */
static void
copy_until(char *dst, size_t dstlen, const char *s, size_t n, const char *stop)
{
    size_t i = 0;
    for (; i < n && s[i] && !strchr(stop, s[i]) && i + 1 < dstlen; i++)
        dst[i] = s[i];
    dst[i] = '\0';
}

/* Error codes: "ns#Code" and "Code:http://..." keep Code only. */
static void
set_code(struct dg_err *err, const char *raw)
{
    const char *hash = strrchr(raw, '#');
    if (hash)
        raw = hash + 1;
    copy_until(err->code, sizeof(err->code), raw, strlen(raw), ":; \t");
}

/* Depth-first, iterative: the first element named name (the root too). */
static const struct awsxml_node *
xml_find(const struct awsxml_node *root, const char *name)
{
    const struct awsxml_node *n = root;
    while (n) {
        if (strcmp(n->name, name) == 0)
            return n;
        if (n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next)
            n = n->parent;
        if (!n || n == root)
            return NULL;
        n = n->next;
    }
    return NULL;
}

static void
xml_error(const char *body, size_t len, struct dg_err *err)
{
    struct awsxml_node *root = NULL;
    if (awsxml_parse(body, len, &root, NULL) != DG_OK)
        return;
    const struct awsxml_node *e = xml_find(root, "Error");
    if (e) {
        const char *code = awsxml_text(e, "Code");
        const char *msg = awsxml_text(e, "Message");
        if (code && *code)
            set_code(err, code);
        if (msg && *msg)
            snprintf(err->msg, sizeof(err->msg), "%s", msg);
    }
    const struct awsxml_node *rid = xml_find(root, "RequestId");
    if (!rid)
        rid = xml_find(root, "RequestID");
    if (rid && *rid->text && !err->request_id[0])
        snprintf(err->request_id, sizeof(err->request_id), "%s", rid->text);
    awsxml_free(root);
}

static void
json_error(const char *body, size_t len, struct dg_err *err)
{
    cJSON *doc =
        dg_json_parse(body, len, AWS_ERROR_MAX_BODY, DG_JSON_MAX_DEPTH, NULL);
    if (!doc)
        return;
    if (cJSON_IsObject(doc)) {
        const char *type = dg_json_str(doc, "__type");
        if (!type)
            type = dg_json_str(doc, "code");
        if (!type)
            type = dg_json_str(doc, "Code");
        if (type && *type)
            set_code(err, type);
        const char *msg = dg_json_str(doc, "message");
        if (!msg)
            msg = dg_json_str(doc, "Message");
        if (!msg)
            msg = dg_json_str(doc, "errorMessage");
        if (msg && *msg)
            snprintf(err->msg, sizeof(err->msg), "%s", msg);
    }
    cJSON_Delete(doc);
}

dg_rc
aws_error_parse(enum aws_protocol proto, int query_compatible, long status,
                const struct http_header *headers, size_t nheaders,
                const char *body, size_t body_len, struct dg_err *err)
{
    dg_err_clear(err);
    err->rc = DG_EREMOTE;
    err->http_status = status;
    const char *rid = request_id_header(headers, nheaders);
    if (rid)
        snprintf(err->request_id, sizeof(err->request_id), "%s", rid);

    size_t i = 0;
    while (body && i < body_len &&
           (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
            body[i] == '\n'))
        i++;
    /* Decide by the body, not the protocol: moto answers auth failures in
     * XML for JSON services too. HTML (moto's 500) parses as neither. */
    if (body && i < body_len && body[i] == '{')
        json_error(body, body_len, err);
    else if (body && i < body_len && body[i] == '<' &&
             (body_len - i < 9 || strncasecmp(body + i, "<!doctype", 9) != 0))
        xml_error(body, body_len, err);

    if (proto == AWS_JSON_1_0 || proto == AWS_JSON_1_1) {
        const char *et = header_get(headers, nheaders, "x-amzn-errortype");
        if (!err->code[0] && et && *et)
            set_code(err, et);
        const char *qe = header_get(headers, nheaders, "x-amzn-query-error");
        if (query_compatible && qe && *qe)
            copy_until(err->code, sizeof(err->code), qe, strlen(qe), ";");
    }
    if (!err->code[0]) {
        snprintf(err->code, sizeof(err->code), "HTTP%ld", status);
        if (!err->msg[0])
            snprintf(err->msg, sizeof(err->msg),
                     "HTTP %ld without an AWS error document", status);
    } else if (!err->msg[0]) {
        snprintf(err->msg, sizeof(err->msg), "%s", err->code);
    }
    return DG_EREMOTE;
}

/* ---- operations ----------------------------------------------------------
 */

static void op_timer_cb(evutil_socket_t fd, short what, void *arg);

static void
op_unlink(struct aws_op *op)
{
    struct aws_client *c = op->c;
    if (!c)
        return;
    if (op->prev)
        op->prev->next = op->next;
    else if (c->ops == op)
        c->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
}

static void
op_free(struct aws_op *op)
{
    if (op->timer)
        event_free(op->timer);
    dg_free(op->region);
    dg_free(op->operation);
    dg_free(op->body);
    dg_free(op->method);
    dg_free(op->path);
    dg_free(op->query);
    dg_free(op);
}

/* Runs done once and frees the op. resp/hresp may be NULL. */
static void
op_finish(struct aws_op *op, const struct http_response *hresp, dg_rc rc,
          const struct dg_err *err)
{
    struct aws_client *c = op->c;
    op_unlink(op);
    switch (rc) {
    case DG_OK:
        c->stats.ok++;
        retry_quota_release(&c->quota, op->quota_tokens);
        break;
    case DG_EREMOTE:
        c->stats.remote_errors++;
        break;
    case DG_ETRANSIENT:
        c->stats.transient_errors++;
        break;
    default:
        break;
    }
    struct aws_response resp;
    const struct aws_response *rp = NULL;
    if (hresp && hresp->status) {
        const char *rid = request_id_header(hresp->headers, hresp->nheaders);
        if (!rid && err && err->request_id[0])
            rid = err->request_id;
        resp = (struct aws_response){
            .status = hresp->status,
            .body = hresp->body ? hresp->body : "",
            .body_len = hresp->body_len,
            .request_id = rid ? rid : "",
            .attempts = op->attempt,
            .headers = hresp->headers,
            .nheaders = hresp->nheaders,
        };
        rp = &resp;
    }
    if (c->on_complete)
        c->on_complete(op->svc ? op->svc->name : "", op->operation, rc,
                       op->attempt, c->now_ms(c->hook_ctx) - op->started_ms,
                       c->hook_ctx);
    op->done(rp, rc, rc == DG_OK ? NULL : err, op->ctx);
    op_free(op);
}

static void
op_schedule(struct aws_op *op, int64_t delay_ms)
{
    op->state = OP_TIMER;
    dg_clock_arm(op->timer, delay_ms);
}

static void on_creds(struct aws_creds *creds, dg_rc rc,
                     const struct dg_err *err, void *arg);

static void
attempt_start(struct aws_op *op)
{
    struct aws_client *c = op->c;
    op->attempt++;
    op->state = OP_CREDS;
    op->waiter = dg_calloc(1, sizeof(*op->waiter));
    op->waiter->op = op;
    aws_creds_get(c->creds, c->now_ms(c->hook_ctx) + c->skew_ms, on_creds,
                  op->waiter);
}

static void
op_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct aws_op *op = arg;
    if (op->early_rc != DG_OK) {
        op_finish(op, NULL, op->early_rc, &op->early_err);
        return;
    }
    attempt_start(op);
}

/* Splits "scheme://authority/base-path" into host (authority) and path. */
static dg_rc
split_base(const char *base, char *host, size_t hostlen, const char **path,
           struct dg_err *err)
{
    const char *p = strstr(base, "://");
    if (!p)
        return dg_err_setc(err, DG_EINVALID, "bad_endpoint",
                           "endpoint URL without a scheme");
    p += 3;
    size_t n = strcspn(p, "/?#");
    if (n == 0 || n >= hostlen || memchr(p, '@', n))
        return dg_err_setc(err, DG_EINVALID, "bad_endpoint",
                           "endpoint URL host not usable");
    memcpy(host, p, n);
    host[n] = '\0';
    *path = p + n;
    return DG_OK;
}

struct built {
    struct dg_buf url, path, body;
    char host[256];
    char target[256];
    struct sigv4_header h[4];
    size_t nh;
};

static dg_rc
build_request(struct aws_op *op, struct built *b, struct dg_err *err)
{
    const struct aws_service *svc = op->svc;
    const char *base_path = op->base_url;
    dg_rc rc =
        split_base(op->base_url, b->host, sizeof(b->host), &base_path, err);
    if (rc != DG_OK)
        return rc;
    if (dg_buf_addstr(&b->path, base_path) != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "too_large", "path too long");
    b->h[b->nh++] = (struct sigv4_header){"Host", b->host};
    switch (svc->protocol) {
    case AWS_QUERY:
        rc = dg_buf_printf(&b->body, "Action=%s&Version=%s", op->operation,
                           svc->api_version ? svc->api_version : "");
        if (rc == DG_OK && op->body_len > 0) {
            rc = dg_buf_addc(&b->body, '&');
            if (rc == DG_OK)
                rc = dg_buf_add(&b->body, op->body, op->body_len);
        }
        b->h[b->nh++] = (struct sigv4_header){
            "Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
        if (rc == DG_OK && b->path.len == 0)
            rc = dg_buf_addc(&b->path, '/');
        break;
    case AWS_JSON_1_0:
    case AWS_JSON_1_1:
        if (op->body_len > 0)
            rc = dg_buf_add(&b->body, op->body, op->body_len);
        else
            rc = dg_buf_addstr(&b->body, "{}");
        snprintf(b->target, sizeof(b->target), "%s.%s",
                 svc->target_prefix ? svc->target_prefix : "", op->operation);
        b->h[b->nh++] = (struct sigv4_header){
            "Content-Type", svc->protocol == AWS_JSON_1_0
                                ? "application/x-amz-json-1.0"
                                : "application/x-amz-json-1.1"};
        b->h[b->nh++] = (struct sigv4_header){"X-Amz-Target", b->target};
        if (svc->query_compatible)
            b->h[b->nh++] = (struct sigv4_header){"x-amzn-query-mode", "true"};
        if (rc == DG_OK && b->path.len == 0)
            rc = dg_buf_addc(&b->path, '/');
        break;
    case AWS_REST_XML:
        if (op->path && dg_buf_addstr(&b->path, op->path) != DG_OK)
            rc = DG_EINVALID;
        if (rc == DG_OK && b->path.len == 0)
            rc = dg_buf_addc(&b->path, '/');
        if (rc == DG_OK && op->body_len > 0) {
            rc = dg_buf_add(&b->body, op->body, op->body_len);
            b->h[b->nh++] =
                (struct sigv4_header){"Content-Type", "application/xml"};
        }
        break;
    default:
        return dg_err_setc(err, DG_EINVALID, "protocol", "unknown protocol");
    }
    if (rc != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "too_large", "request too large");
    rc = dg_buf_printf(&b->url, "%.*s%s%s%s", (int)(base_path - op->base_url),
                       op->base_url, dg_buf_str(&b->path),
                       op->query && *op->query ? "?" : "",
                       op->query ? op->query : "");
    if (rc != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "too_large", "URL too long");
    return DG_OK;
}

static void on_http(const struct http_response *resp, dg_rc rc,
                    const struct dg_err *err, void *arg);

static void
send_attempt(struct aws_op *op, struct aws_creds *creds)
{
    struct aws_client *c = op->c;
    struct dg_err err;
    dg_err_clear(&err);
    struct built b;
    memset(&b, 0, sizeof(b));
    dg_buf_init(&b.url, AWS_MAX_URL + SIGV4_MAX_QUERY);
    dg_buf_init(&b.path, SIGV4_MAX_PATH);
    dg_buf_init(&b.body, AWS_MAX_REQUEST_BODY + 4096);
    struct sigv4_result sr;
    sigv4_result_init(&sr);
    const char *method =
        op->svc->protocol == AWS_REST_XML && op->method ? op->method : "POST";

    dg_rc rc = build_request(op, &b, &err);
    if (rc != DG_OK)
        goto fail;
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    rc = sigv4_format_date(c->now_ms(c->hook_ctx) + c->skew_ms, amz_date, &err);
    if (rc != DG_OK)
        goto fail;
    struct sigv4_request sreq = {
        .method = method,
        .path = dg_buf_str(&b.path),
        .query = op->query,
        .host = b.host,
        .headers = b.h,
        .n_headers = b.nh,
        .body = b.body.data ? b.body.data : "",
        .body_len = b.body.len,
    };
    struct sigv4_params sp = {
        .service = op->svc->signing_name,
        .region = op->signing_region,
        .amz_date = amz_date,
        .flags = SIGV4_FLAGS_DEFAULT,
        .creds = {creds->access_key_id, creds->secret_access_key,
                  creds->session_token},
    };
    rc = sigv4_sign(&sreq, &sp, &sr, &err);
    if (rc != DG_OK)
        goto fail;

    struct http_header hh[4 + SIGV4_MAX_ADD + 1];
    size_t nhh = 0;
    for (size_t i = 0; i < b.nh; i++)
        hh[nhh++] = (struct http_header){b.h[i].name, b.h[i].value};
    for (size_t i = 0; i < sr.n_add; i++)
        if (strcasecmp(sr.add[i].name, "host") != 0)
            hh[nhh++] = (struct http_header){sr.add[i].name, sr.add[i].value};
    hh[nhh++] =
        (struct http_header){"Authorization", dg_buf_str(&sr.authorization)};
    struct http_request hreq = {
        .method = method,
        .url = dg_buf_str(&b.url),
        .headers = hh,
        .nheaders = nhh,
        .body = b.body.data,
        .body_len = b.body.len,
        .timeout_ms = op->timeout_ms,
    };
    op->state = OP_HTTP;
    op->http = http_start(c->http, &hreq, on_http, op);
    goto out;
fail:
    op_finish(op, NULL, rc == DG_EFATAL ? DG_EFATAL : DG_EINVALID, &err);
out:
    sigv4_result_cleanup(&sr); /* the Authorization value is secret-derived */
    dg_buf_cleanup(&b.url);
    dg_buf_cleanup(&b.path);
    dg_buf_cleanup(&b.body);
}

static void
on_creds(struct aws_creds *creds, dg_rc rc, const struct dg_err *err, void *arg)
{
    struct creds_waiter *w = arg;
    struct aws_op *op = w->op;
    dg_free(w);
    if (!op)
        return; /* orphaned by aws_client_free */
    op->waiter = NULL;
    if (rc != DG_OK || !creds) {
        struct dg_err e;
        if (err)
            e = *err;
        else
            dg_err_setc(&e, DG_ETRANSIENT, "no_credentials", "no credentials");
        op_finish(op, NULL, rc != DG_OK ? rc : DG_ETRANSIENT, &e);
        return;
    }
    send_attempt(op, creds);
}

/* The error in `e` for a failed attempt is final: complete the op. */
static void
give_up(struct aws_op *op, const struct http_response *resp,
        enum retry_kind kind, struct dg_err *e)
{
    dg_rc rc;
    if (resp && resp->status &&
        (kind == RETRY_NONE || kind == RETRY_CLOCK_SKEW))
        rc = DG_EREMOTE;
    else
        rc = DG_ETRANSIENT;
    e->rc = rc;
    op_finish(op, resp, rc, e);
}

static void
on_http(const struct http_response *resp, dg_rc rc, const struct dg_err *err,
        void *arg)
{
    struct aws_op *op = arg;
    op->http = NULL;
    if (!op->c) { /* orphaned: its done already ran */
        op_free(op);
        return;
    }
    struct aws_client *c = op->c;
    if (rc == DG_ECANCELLED || rc == DG_EINVALID || rc == DG_EFATAL) {
        op_finish(op, NULL, rc, err);
        return;
    }
    struct dg_err e;
    dg_err_clear(&e);
    long status = 0;
    const char *transport = NULL;
    if (rc != DG_OK) {
        e = *err;
        transport = e.code;
    } else {
        status = resp->status;
        if (status >= 200 && status < 300) {
            op_finish(op, resp, DG_OK, NULL);
            return;
        }
        aws_error_parse(op->svc->protocol, op->svc->query_compatible, status,
                        resp->headers, resp->nheaders, resp->body,
                        resp->body_len, &e);
    }
    const struct http_response *r = status ? resp : NULL;
    /* "HTTP503" is our stand-in for a reply that named no AWS code. */
    int synthesized =
        strncmp(e.code, "HTTP", 4) == 0 && e.code[4] >= '0' && e.code[4] <= '9';
    const char *code = status && !synthesized ? e.code : NULL;
    enum retry_kind kind = retry_classify(status, code, transport);
    if (kind == RETRY_THROTTLING)
        c->stats.throttled++;

    if (kind == RETRY_CLOCK_SKEW) {
        int64_t local = c->now_ms(c->hook_ctx);
        int64_t off = resp->date_ms ? resp->date_ms - local : 0;
        int64_t drift = off - c->skew_ms;
        if (resp->date_ms &&
            (drift > RETRY_SKEW_MIN_MS || drift < -RETRY_SKEW_MIN_MS)) {
            c->skew_ms = off;
            c->stats.skew_corrections++;
            if (op->attempt < c->max_attempts) {
                c->stats.retries++;
                if (c->on_retry)
                    c->on_retry(op->operation, op->attempt, 0, &e, c->hook_ctx);
                op_schedule(op, 0);
                return;
            }
        }
        give_up(op, r, kind, &e);
        return;
    }
    if (kind == RETRY_NONE) {
        give_up(op, r, kind, &e);
        return;
    }
    if (!op->idempotent && retry_outcome_unknown(status, code, transport)) {
        c->stats.unknown_outcome++;
        char was[sizeof(e.code)];
        snprintf(was, sizeof(was), "%s", e.code);
        struct dg_err u = e;
        snprintf(u.code, sizeof(u.code), "unknown_outcome");
        snprintf(u.msg, sizeof(u.msg),
                 "%s: outcome unknown after %s (%.300s); not resent because "
                 "the call is not idempotent",
                 op->operation, was, e.msg);
        u.rc = DG_ETRANSIENT;
        op_finish(op, r, DG_ETRANSIENT, &u);
        return;
    }
    int tokens = 0;
    if (op->attempt < c->max_attempts)
        tokens = retry_quota_acquire(
            &c->quota, transport && strcmp(transport, "timeout") == 0);
    if (!tokens) {
        give_up(op, r, kind, &e);
        return;
    }
    op->quota_tokens += tokens;
    int64_t delay = retry_backoff_ms(op->attempt, c->retry_base_ms,
                                     c->retry_max_ms, c->random(c->hook_ctx));
    c->stats.retries++;
    if (c->on_retry)
        c->on_retry(op->operation, op->attempt, delay, &e, c->hook_ctx);
    log_kv(DG_LOG_DEBUG, "aws call retried", "operation", op->operation, "code",
           e.code, NULL);
    op_schedule(op, delay);
}

/* ---- public API ----------------------------------------------------------
 */

struct aws_client *
aws_client_new(struct event_base *base, struct http_engine *http,
               struct aws_creds_provider *creds,
               const struct aws_client_opts *opts)
{
    struct aws_client *c = dg_calloc(1, sizeof(*c));
    c->base = base;
    c->http = http;
    c->creds = creds;
    c->max_attempts = 3;
    c->now_ms = real_now_ms;
    c->random = real_random;
    c->env = real_env;
    if (opts) {
        c->region = dg_strdup(opts->region);
        if (opts->nendpoints > 0) {
            c->endpoints = dg_calloc(opts->nendpoints, sizeof(*c->endpoints));
            for (size_t i = 0; i < opts->nendpoints; i++) {
                c->endpoints[i].name = dg_strdup(opts->endpoints[i].name);
                c->endpoints[i].value = dg_strdup(opts->endpoints[i].value);
            }
            c->nendpoints = opts->nendpoints;
        }
        if (opts->max_attempts > 0)
            c->max_attempts = opts->max_attempts;
        if (opts->now_ms)
            c->now_ms = opts->now_ms;
        if (opts->random)
            c->random = opts->random;
        if (opts->env)
            c->env = opts->env;
        c->hook_ctx = opts->hook_ctx;
        c->retry_base_ms = opts->retry_base_ms;
        c->retry_max_ms = opts->retry_max_ms;
        c->on_retry = opts->on_retry;
        c->on_complete = opts->on_complete;
    }
    if (!c->region)
        c->region = dg_strdup("us-east-1");
    retry_quota_init(&c->quota);
    return c;
}

void
aws_client_free(struct aws_client *c)
{
    if (!c)
        return;
    c->freeing = 1;
    while (c->ops) {
        struct aws_op *op = c->ops;
        op_unlink(op);
        op->c = NULL;
        switch (op->state) {
        case OP_TIMER:
            evtimer_del(op->timer);
            break;
        case OP_CREDS:
            if (op->waiter)
                op->waiter->op = NULL;
            break;
        case OP_HTTP:
            break;
        }
        struct dg_err e;
        dg_err_clear(&e);
        dg_err_setc(&e, DG_ECANCELLED, "cancelled", "AWS client shut down");
        op->done(NULL, DG_ECANCELLED, &e, op->ctx);
        if (op->state == OP_HTTP && op->http)
            http_cancel(op->http); /* on_http frees the orphan */
        else
            op_free(op);
    }
    for (size_t i = 0; i < c->nendpoints; i++) {
        dg_free(c->endpoints[i].name);
        dg_free(c->endpoints[i].value);
    }
    dg_free(c->endpoints);
    dg_free(c->region);
    dg_free(c);
}

void
aws_call(struct aws_client *c, const struct aws_request *req, aws_done_fn done,
         void *ctx)
{
    struct aws_op *op = dg_calloc(1, sizeof(*op));
    op->c = c;
    op->svc = req->svc;
    op->region = dg_strdup(req->region ? req->region : c->region);
    op->operation = dg_strdup(req->operation ? req->operation : "");
    if (req->body && req->body_len > 0) {
        op->body = dg_malloc(req->body_len + 1);
        memcpy(op->body, req->body, req->body_len);
        op->body[req->body_len] = '\0';
        op->body_len = req->body_len;
    }
    op->method = dg_strdup(req->method);
    op->path = dg_strdup(req->path);
    op->query = dg_strdup(req->query);
    op->idempotent = req->idempotent;
    op->timeout_ms = req->timeout_ms;
    op->done = done;
    op->ctx = ctx;
    op->started_ms = c->now_ms(c->hook_ctx);
    op->timer = evtimer_new(c->base, op_timer_cb, op);
    op->next = c->ops;
    if (c->ops)
        c->ops->prev = op;
    c->ops = op;
    c->stats.calls++;

    if (!req->svc || !req->operation || !*req->operation) {
        op->early_rc = dg_err_setc(&op->early_err, DG_EINVALID, "bad_request",
                                   "request without service or operation");
    } else if (req->body_len > AWS_MAX_REQUEST_BODY) {
        op->early_rc =
            dg_err_setc(&op->early_err, DG_EINVALID, "too_large",
                        "request body of %zu bytes too large", req->body_len);
    } else if (c->freeing) {
        op->early_rc = dg_err_setc(&op->early_err, DG_ECANCELLED, "cancelled",
                                   "AWS client shutting down");
    } else {
        dg_rc rc = endpoint_resolve(
            req->svc, op->region, c->endpoints, c->nendpoints, c->env,
            c->hook_ctx, op->base_url, sizeof(op->base_url), op->signing_region,
            sizeof(op->signing_region), &op->early_err);
        if (rc != DG_OK)
            op->early_rc = rc;
    }
    /* Deferred either way: the first attempt (or the early failure) runs
     * from the loop, never from inside aws_call. */
    op_schedule(op, 0);
}

const struct aws_call_stats *
aws_client_stats(const struct aws_client *c)
{
    return &c->stats;
}
