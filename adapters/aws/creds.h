#ifndef DRGATE_CREDS_H
#define DRGATE_CREDS_H
/*
 * AWS credentials: refcounted immutable snapshots, and providers that hand
 * them out asynchronously. The last unref cleanses the secrets
 * (OPENSSL_cleanse). Nothing here ever logs a secret.
 */
#include <stdint.h>

#include "err.h"

struct event_base;

struct aws_creds {
    int refs;
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    int64_t expires_ms;  /* 0: does not expire */
    char source[32];     /* "env", "profile", "web-identity", "ecs", ... */
};

/* Copies the strings; refs = 1. token may be NULL. */
struct aws_creds *aws_creds_new(const char *access_key_id,
                                const char *secret_access_key,
                                const char *session_token, int64_t expires_ms,
                                const char *source);
struct aws_creds *aws_creds_ref(struct aws_creds *c);
void aws_creds_unref(struct aws_creds *c); /* accepts NULL */

/* creds is borrowed for the call: aws_creds_ref it to keep it. On failure
 * creds is NULL and err says why (never containing a secret). */
typedef void (*aws_creds_fn)(struct aws_creds *creds, dg_rc rc,
                             const struct dg_err *err, void *ctx);

struct aws_creds_provider;

struct aws_creds_provider_ops {
    const char *name;
    /* Must call cb exactly once, never from inside get. */
    void (*get)(struct aws_creds_provider *p, int64_t now_ms, aws_creds_fn cb,
                void *ctx);
    void (*free)(struct aws_creds_provider *p);
};

struct aws_creds_provider {
    const struct aws_creds_provider_ops *ops;
};

static inline void
aws_creds_get(struct aws_creds_provider *p, int64_t now_ms, aws_creds_fn cb,
              void *ctx)
{
    p->ops->get(p, now_ms, cb, ctx);
}

static inline void
aws_creds_provider_free(struct aws_creds_provider *p)
{
    if (p)
        p->ops->free(p);
}

/* A provider that always hands out c (takes a reference). Callbacks are
 * deferred through base. Freeing it calls the gets still pending with
 * DG_ECANCELLED before it returns. */
struct aws_creds_provider *aws_creds_static_new(struct event_base *base,
                                                struct aws_creds *c);

#endif
