/*
 * creds.c - credential snapshots and the static provider.
 *
 * Snapshots are immutable once made and shared by reference; the last
 * unref cleanses every secret byte before freeing. The static provider
 * defers its callback through a zero-delay event so callers never see a
 * completion from inside their own call (STYLE.md, "The loop"); freeing
 * it completes the gets still pending with DG_ECANCELLED.
 */
#include "creds.h"

#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "mem.h"

struct aws_creds *
aws_creds_new(const char *access_key_id, const char *secret_access_key,
              const char *session_token, int64_t expires_ms, const char *source)
{
    struct aws_creds *c = dg_calloc(1, sizeof(*c));
    c->refs = 1;
    c->access_key_id = dg_strdup(access_key_id);
    c->secret_access_key = dg_strdup(secret_access_key);
    c->session_token = session_token ? dg_strdup(session_token) : NULL;
    c->expires_ms = expires_ms;
    strncpy(c->source, source ? source : "", sizeof(c->source) - 1);
    return c;
}

struct aws_creds *
aws_creds_ref(struct aws_creds *c)
{
    c->refs++;
    return c;
}

static void
cleanse_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        dg_free(s);
    }
}

void
aws_creds_unref(struct aws_creds *c)
{
    if (!c || --c->refs > 0)
        return;
    cleanse_free(c->access_key_id);
    cleanse_free(c->secret_access_key);
    cleanse_free(c->session_token);
    dg_free(c);
}

struct static_call;

struct static_provider {
    struct aws_creds_provider base;
    struct event_base *evb;
    struct aws_creds *creds;
    struct static_call *calls; /* pending, for free */
};

struct static_call {
    struct static_provider *p;
    aws_creds_fn cb;
    void *ctx;
    struct event *ev;
    struct static_call *prev, *next;
};

static void
static_unlink(struct static_call *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        call->p->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
}

static void
static_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct static_call *call = arg;
    static_unlink(call);
    call->cb(call->p->creds, DG_OK, NULL, call->ctx);
    event_free(call->ev);
    dg_free(call);
}

static void
static_get(struct aws_creds_provider *base, int64_t now_ms, aws_creds_fn cb,
           void *ctx)
{
    (void)now_ms;
    struct static_provider *p = (struct static_provider *)base;
    struct static_call *call = dg_calloc(1, sizeof(*call));
    call->p = p;
    call->cb = cb;
    call->ctx = ctx;
    call->ev = event_new(p->evb, -1, 0, static_fire, call);
    call->next = p->calls;
    if (p->calls)
        p->calls->prev = call;
    p->calls = call;
    event_active(call->ev, 0, 0);
}

static void
static_free(struct aws_creds_provider *base)
{
    struct static_provider *p = (struct static_provider *)base;
    /* gets still pending complete now, cancelled (exactly once) */
    while (p->calls) {
        struct static_call *call = p->calls;
        static_unlink(call);
        struct dg_err e;
        dg_err_clear(&e);
        dg_err_setc(&e, DG_ECANCELLED, "cancelled",
                    "credentials provider freed");
        call->cb(NULL, DG_ECANCELLED, &e, call->ctx);
        event_free(call->ev);
        dg_free(call);
    }
    aws_creds_unref(p->creds);
    dg_free(p);
}

static const struct aws_creds_provider_ops static_ops = {
    .name = "static",
    .get = static_get,
    .free = static_free,
};

struct aws_creds_provider *
aws_creds_static_new(struct event_base *base, struct aws_creds *c)
{
    struct static_provider *p = dg_calloc(1, sizeof(*p));
    p->base.ops = &static_ops;
    p->evb = base;
    p->creds = aws_creds_ref(c);
    return &p->base;
}
