/*
 * creds_chain.c - the default AWS credentials chain as one provider:
 * source selection (pure), the fetchers (environment, static profile keys,
 * STS AssumeRole and AssumeRoleWithWebIdentity, credential_process via
 * credproc.c, IAM Identity Center via sso.c, ECS container endpoint, EC2
 * IMDSv2), the cached snapshot and its refresh.
 *
 * Ownership: the chain owns its copy of the options, the selected plan
 * (secrets in it are cleansed on free), the cached snapshot and at most one
 * running fetch. A fetch owns the STS clients it made and the intermediate
 * snapshots. Errors come back through the callback as dg_rc with a
 * dg_err whose message names the source and never a secret (secret values
 * never enter a format string here; HTTP and STS error text is copied from
 * err->msg, which the HTTP engine keeps free of header values).
 *
 * DESIGN: a get with a fresh snapshot is answered (deferred) from the
 * cache. Inside the advisory window (15 min before expiry) it is answered
 * from the cache too, and a background refresh starts if none runs: a
 * failed advisory refresh costs nothing. Inside the mandatory window (10
 * min), expired, or with no snapshot, the get waits for the one running
 * refresh (starting it if needed); every waiter gets its outcome, so
 * concurrent gets cause one fetch. The source is chosen at the first fetch
 * and kept; refreshes re-run the same plan (re-reading the web identity
 * token file). Fetches start from a zero-delay event, so no callback ever
 * runs inside aws_creds_get. A fetch whose chain is freed is orphaned: its
 * in-flight call (HTTP, STS or the credential_process child) is cancelled
 * and it frees itself when that completes.
 *
 * Precedence (botocore credentials.py, create_credential_resolver and
 * ProfileProviderBuilder.providers): env, assume-role, then for the
 * profile web identity, SSO, credentials-file keys, credential_process,
 * config-file keys; then container, IMDS. So a profile's role_arn wins over
 * its own credential_process (AssumeRoleProvider runs first), and
 * credential_process wins over the config file's keys but not the
 * credentials file's. A credential_process answer without Expiration never
 * expires (botocore returns plain Credentials); with one, the refresh
 * windows re-run the command. SSO re-reads the token cache at every
 * refresh, so `aws sso login` is picked up without a restart; an expired
 * token is refused before the portal is called (drgate never refreshes it
 * through SSO-OIDC, unlike botocore's SSOTokenProvider).
 *
 * STS region: opts.region when drgate's config pins one; else
 * AWS_REGION, AWS_DEFAULT_REGION, then the selected profile's `region`
 * (botocore builds the STS client from the session region, which the
 * profile's `region` sets, for every hop of the chain), then
 * opts.default_region. The SSO portal is called in the profile's
 * sso_region.
 */
#include "creds_chain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "awsxml.h"
#include "buf.h"
#include "client.h"
#include "credproc.h"
#include "endpoint.h"
#include "http.h"
#include "json.h"
#include "mem.h"
#include "sigv4.h"
#include "sso.h"
#include "timefmt.h"

#define TOKEN_FILE_MAX (64u * 1024) /* web identity / ECS auth token */
#define METADATA_BODY_MAX (64u * 1024)
#define STS_VERSION "2011-06-15"

/* ---- pure parts ---------------------------------------------------------- */

enum creds_refresh
creds_chain_refresh_state(int64_t now_ms, int64_t expires_ms,
                          int64_t advisory_ms, int64_t mandatory_ms)
{
    if (expires_ms == 0)
        return CREDS_FRESH;
    int64_t left = expires_ms - now_ms;
    if (left >= advisory_ms)
        return CREDS_FRESH;
    if (left >= mandatory_ms && left > 0)
        return CREDS_ADVISORY;
    return CREDS_MANDATORY;
}

static const char *
env_or_null(creds_env_fn env, void *ctx, const char *name)
{
    const char *v = env(name, ctx);
    return v && *v ? v : NULL;
}

static int
is_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

static dg_rc
select_inner(creds_env_fn env, void *env_ctx, const struct profile_file *config,
             const struct profile_file *creds, const char *profile,
             struct creds_chain_plan *plan, struct dg_err *err)
{
    memset(plan, 0, sizeof(*plan));
    /* 1. environment (botocore EnvProvider) */
    if (env_or_null(env, env_ctx, "AWS_ACCESS_KEY_ID")) {
        if (!env_or_null(env, env_ctx, "AWS_SECRET_ACCESS_KEY"))
            return dg_err_setc(err, DG_EINVALID, "partial",
                               "environment: AWS_ACCESS_KEY_ID is set but "
                               "AWS_SECRET_ACCESS_KEY is not");
        plan->source = "env";
        plan->p.base = PROFILE_BASE_ENV;
        return DG_OK;
    }
    const char *name = profile && *profile ? profile : "default";
    if (profile && *profile && !profile_file_has(config, name) &&
        !profile_file_has(creds, name))
        return dg_err_setc(err, DG_EINVALID, "no_profile",
                           "profile %s is in neither the config nor the "
                           "credentials file",
                           name);
    /* 2. assume role from the profile */
    if (profile_is_assume_role(config, creds, name)) {
        plan->source = "assume-role";
        return profile_resolve_role(config, creds, name, &plan->p, err);
    }
    /* 3. web identity: each setting from the environment, else the
     * profile (botocore AssumeRoleWithWebIdentityProvider._get_config) */
    const char *tf = env("AWS_WEB_IDENTITY_TOKEN_FILE", env_ctx);
    if (!tf)
        tf = profile_file_get(creds, name, "web_identity_token_file");
    if (!tf)
        tf = profile_file_get(config, name, "web_identity_token_file");
    if (tf && *tf) {
        const char *arn = env("AWS_ROLE_ARN", env_ctx);
        const char *sn = env("AWS_ROLE_SESSION_NAME", env_ctx);
        if (!arn)
            arn = profile_file_get(creds, name, "role_arn");
        if (!arn)
            arn = profile_file_get(config, name, "role_arn");
        if (!sn)
            sn = profile_file_get(creds, name, "role_session_name");
        if (!sn)
            sn = profile_file_get(config, name, "role_session_name");
        if (!arn || !*arn)
            return dg_err_setc(err, DG_EINVALID, "partial",
                               "web identity: a token file is configured "
                               "but no role ARN (AWS_ROLE_ARN or role_arn)");
        plan->source = "web-identity";
        plan->p.base = PROFILE_BASE_WEB_IDENTITY;
        plan->p.token_file = dg_strdup(tf);
        plan->p.wi_role_arn = dg_strdup(arn);
        plan->p.wi_session_name = sn && *sn ? dg_strdup(sn) : NULL;
        return DG_OK;
    }
    /* 4. SSO, static keys from the credentials file, credential_process,
     * static keys from the config file */
    if (profile_resolve_keys(config, creds, name, &plan->p, err) != DG_OK)
        return DG_EINVALID;
    if (plan->p.base != PROFILE_BASE_NONE) {
        plan->source = plan->p.base == PROFILE_BASE_SSO       ? "sso"
                       : plan->p.base == PROFILE_BASE_PROCESS ? "process"
                                                              : "profile";
        return DG_OK;
    }
    /* 5. container credentials */
    if (env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", env_ctx) ||
        env("AWS_CONTAINER_CREDENTIALS_FULL_URI", env_ctx)) {
        plan->source = "ecs";
        plan->p.base = PROFILE_BASE_ECS;
        return DG_OK;
    }
    /* 6. instance metadata */
    if (is_true(env("AWS_EC2_METADATA_DISABLED", env_ctx)))
        return dg_err_setc(err, DG_EINVALID, "no_credentials",
                           "no credentials: none in the environment, "
                           "profile %s, web identity or container settings, "
                           "and EC2 instance metadata is disabled",
                           name);
    plan->source = "imds";
    plan->p.base = PROFILE_BASE_IMDS;
    return DG_OK;
}

dg_rc
creds_chain_select(creds_env_fn env, void *env_ctx,
                   const struct profile_file *config,
                   const struct profile_file *creds, const char *profile,
                   struct creds_chain_plan *plan, struct dg_err *err)
{
    dg_rc rc = select_inner(env, env_ctx, config, creds, profile, plan, err);
    if (rc != DG_OK || strcmp(plan->source, "env") == 0)
        return rc;
    /* botocore's session region: the profile's `region` (credentials
     * file values override the config file's, as in full_config) */
    const char *name = profile && *profile ? profile : "default";
    const char *r = profile_file_get(creds, name, "region");
    if (!r)
        r = profile_file_get(config, name, "region");
    if (r && *r)
        plan->p.region = dg_strdup(r);
    return DG_OK;
}

/* Host of an http(s) URL: copies it (brackets kept for IPv6) into host.
 * Returns the scheme: 1 http, 2 https, 0 anything else or malformed. */
static int
url_host(const char *url, char *host, size_t hostlen)
{
    int scheme;
    const char *p;
    if (strncasecmp(url, "http://", 7) == 0) {
        scheme = 1;
        p = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        scheme = 2;
        p = url + 8;
    } else {
        return 0;
    }
    const char *end = p;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end)
            return 0;
        end++;
    } else {
        while (*end && *end != ':' && *end != '/' && *end != '?' && *end != '#')
            end++;
    }
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= hostlen || memchr(p, '@', n))
        return 0;
    /* after the host: optional :port, then path/query/fragment or end */
    if (*end == ':') {
        const char *q = end + 1;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q == end + 1 || (*q && *q != '/' && *q != '?' && *q != '#'))
            return 0;
    } else if (*end && *end != '/' && *end != '?' && *end != '#') {
        return 0;
    }
    memcpy(host, p, n);
    host[n] = '\0';
    return scheme;
}

static int
is_loopback_v4(const char *h)
{
    unsigned a, b, c, d;
    char tail;
    if (sscanf(h, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4)
        return 0;
    for (const char *p = h; *p; p++)
        if (!(*p == '.' || (*p >= '0' && *p <= '9')))
            return 0;
    return a == 127 && b < 256 && c < 256 && d < 256;
}

int
creds_metadata_url_allowed(const char *url)
{
    static const char *const link_local[] = {
        "169.254.169.254", "[fd00:ec2::254]",                   /* IMDS */
        "169.254.170.2",   "169.254.170.23",  "[fd00:ec2::23]", /* ECS/EKS */
    };
    char host[256];
    if (!url)
        return 0;
    int scheme = url_host(url, host, sizeof(host));
    if (scheme == 2)
        return 1;
    if (scheme != 1)
        return 0;
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
        is_loopback_v4(host))
        return 1;
    for (size_t i = 0; i < sizeof(link_local) / sizeof(link_local[0]); i++)
        if (strcasecmp(host, link_local[i]) == 0)
            return 1;
    return 0;
}

static void
cleanse_json_secret(cJSON *obj, const char *key)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(it) && it->valuestring)
        OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
}

dg_rc
creds_chain_parse_json(const char *body, size_t len, const char *source,
                       struct aws_creds **out, struct dg_err *err)
{
    *out = NULL;
    struct dg_err jerr;
    dg_err_clear(&jerr);
    cJSON *doc = dg_json_parse(body, len, METADATA_BODY_MAX, 8, &jerr);
    if (!doc)
        return dg_err_setc(err, DG_EINVALID, "bad_credentials",
                           "%s: credentials document is not JSON (%s)", source,
                           jerr.code);
    dg_rc rc = DG_OK;
    const char *code = dg_json_str(doc, "Code");
    const char *ak = dg_json_str(doc, "AccessKeyId");
    const char *sk = dg_json_str(doc, "SecretAccessKey");
    const char *tok = dg_json_str(doc, "Token");
    const char *exp = dg_json_str(doc, "Expiration");
    int64_t exp_ms = 0;
    if (code && strcmp(code, "Success") != 0) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: credentials document has Code %.64s", source,
                         code);
    } else if (!ak || !*ak || !sk || !*sk) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: credentials document lacks AccessKeyId or "
                         "SecretAccessKey",
                         source);
    } else if (!exp || timefmt_parse(exp, &exp_ms) != 0) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: credentials document lacks a valid Expiration",
                         source);
    } else {
        *out = aws_creds_new(ak, sk, tok && *tok ? tok : NULL, exp_ms, source);
    }
    cleanse_json_secret(doc, "SecretAccessKey");
    cleanse_json_secret(doc, "Token");
    cJSON_Delete(doc);
    return rc;
}

static void
cleanse_xml(struct awsxml_node *n)
{
    for (struct awsxml_node *c = n ? n->children : NULL; c; c = c->next)
        if (c->text)
            OPENSSL_cleanse(c->text, strlen(c->text));
}

dg_rc
creds_chain_parse_sts(const char *body, size_t len, const char *source,
                      struct aws_creds **out, struct dg_err *err)
{
    *out = NULL;
    struct awsxml_node *root = NULL;
    struct dg_err xerr;
    dg_err_clear(&xerr);
    if (awsxml_parse(body, len, &root, &xerr) != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "bad_credentials",
                           "%s: STS answer is not XML (%s)", source, xerr.code);
    const struct awsxml_node *result = NULL;
    for (const struct awsxml_node *c = root->children; c; c = c->next) {
        size_t n = strlen(c->name);
        if (n > 6 && strcmp(c->name + n - 6, "Result") == 0) {
            result = c;
            break;
        }
    }
    const struct awsxml_node *cr =
        result ? awsxml_child(result, "Credentials") : NULL;
    const char *ak = awsxml_text(cr, "AccessKeyId");
    const char *sk = awsxml_text(cr, "SecretAccessKey");
    const char *tok = awsxml_text(cr, "SessionToken");
    const char *exp = awsxml_text(cr, "Expiration");
    int64_t exp_ms = 0;
    dg_rc rc = DG_OK;
    if (!cr || !ak || !*ak || !sk || !*sk || !tok || !*tok)
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: STS answer lacks Credentials", source);
    else if (!exp || timefmt_parse(exp, &exp_ms) != 0)
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: STS answer lacks a valid Expiration", source);
    else
        *out = aws_creds_new(ak, sk, tok, exp_ms, source);
    cleanse_xml((struct awsxml_node *)cr);
    awsxml_free(root);
    return rc;
}

/* ---- the provider ----------------------------------------------------------
 */

struct waiter {
    aws_creds_fn cb;
    void *ctx;
    struct waiter *next;
};

/* A get answered from the cache, deferred to the loop. */
struct served {
    struct chain *ch;
    aws_creds_fn cb;
    void *ctx;
    struct aws_creds *creds;
    struct event *ev;
    struct served *prev, *next;
};

enum fetch_op { OP_NONE, OP_EVENT, OP_HTTP, OP_STS, OP_PROC };

struct sts_slot {
    struct aws_client *client;
    struct aws_creds_provider *signer; /* NULL: unsigned */
};

struct fetch {
    struct chain *ch; /* NULL once orphaned */
    int64_t now_ms;
    enum fetch_op op;
    struct event *ev; /* kick, then reap */
    int reaping;
    size_t step; /* roles done */
    struct aws_creds *cur;
    struct http_call *hc;
    /* STS clients made so far (base + one per role); freed at reap */
    struct sts_slot sts[PROFILE_MAX_CHAIN + 1];
    size_t nsts;
    struct aws_client *sts_live; /* the call in flight */
    /* metadata */
    int stage; /* IMDS: 0 token, 1 role name, 2 credentials */
    int attempt;
    char *imds_token; /* secret-ish: cleansed */
    char *role_name;
    char *url;
    struct dg_buf wi_body; /* AssumeRoleWithWebIdentity form: secret */
    struct credproc *proc; /* credential_process in flight */
    char *sso_token;       /* the cached SSO access token: cleansed */
};

struct chain {
    struct aws_creds_provider base;
    struct event_base *evb;
    struct http_engine *http;
    struct creds_chain_opts o;
    char *region, *ecs_base_url;
    int region_pinned; /* opts.region or the environment named it */
    int selected;
    struct creds_chain_plan plan;
    struct aws_creds *cached;
    struct fetch *fetch;
    struct waiter *waiters, **waiters_tail;
    struct served *served;
};

static const char *
default_env(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name); /* NOLINT(concurrency-mt-unsafe): read-only */
}

static const char *
ch_env(const struct chain *ch, const char *name)
{
    return ch->o.env(name, ch->o.env_ctx);
}

/* -- deferred answers ------------------------------------------------------ */

static void
served_unlink(struct served *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        s->ch->served = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

static void
served_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct served *s = arg;
    served_unlink(s);
    s->cb(s->creds, DG_OK, NULL, s->ctx);
    aws_creds_unref(s->creds);
    event_free(s->ev);
    dg_free(s);
}

static void
serve(struct chain *ch, struct aws_creds *c, aws_creds_fn cb, void *ctx)
{
    struct served *s = dg_calloc(1, sizeof(*s));
    s->ch = ch;
    s->cb = cb;
    s->ctx = ctx;
    s->creds = aws_creds_ref(c);
    s->ev = event_new(ch->evb, -1, 0, served_fire, s);
    s->next = ch->served;
    if (ch->served)
        ch->served->prev = s;
    ch->served = s;
    event_active(s->ev, 0, 0);
}

/* -- fetch lifecycle ---------------------------------------------------------
 */

static void fetch_event(evutil_socket_t fd, short what, void *arg);
static void fetch_next(struct fetch *f);
static void wi_send(struct fetch *f);

static void
fetch_destroy(struct fetch *f)
{
    for (size_t i = 0; i < f->nsts; i++) {
        aws_client_free(f->sts[i].client);
        aws_creds_provider_free(f->sts[i].signer);
    }
    aws_creds_unref(f->cur);
    if (f->imds_token) {
        OPENSSL_cleanse(f->imds_token, strlen(f->imds_token));
        dg_free(f->imds_token);
    }
    if (f->sso_token) {
        OPENSSL_cleanse(f->sso_token, strlen(f->sso_token));
        dg_free(f->sso_token);
    }
    dg_free(f->role_name);
    dg_free(f->url);
    if (f->wi_body.data)
        OPENSSL_cleanse(f->wi_body.data, f->wi_body.cap);
    dg_buf_cleanup(&f->wi_body);
    if (f->ev)
        event_free(f->ev);
    dg_free(f);
}

/* Ends the fetch: hands the outcome to the chain (when it still exists)
 * and schedules the reap. rc != DG_OK: err says why. */
static void
fetch_finish(struct fetch *f, dg_rc rc, const struct dg_err *err)
{
    struct chain *ch = f->ch;
    f->op = OP_NONE;
    if (!ch) {
        fetch_destroy(f); /* orphan: nothing is dispatching into it now */
        return;
    }
    struct dg_err e;
    dg_err_clear(&e);
    if (rc != DG_OK) {
        e = *err;
        e.rc = rc;
    } else if (f->cur->expires_ms && f->cur->expires_ms <= f->now_ms) {
        rc = dg_err_setc(&e, DG_EREMOTE, "expired",
                         "credentials from %s are already expired",
                         ch->plan.source ? ch->plan.source : "the chain");
    }
    ch->fetch = NULL;
    if (rc == DG_OK) {
        aws_creds_unref(ch->cached);
        ch->cached = aws_creds_ref(f->cur);
    }
    struct waiter *w = ch->waiters;
    ch->waiters = NULL;
    ch->waiters_tail = &ch->waiters;
    struct aws_creds *snap = rc == DG_OK ? aws_creds_ref(ch->cached) : NULL;
    f->reaping = 1;
    event_active(f->ev, 0, 0);
    while (w) {
        struct waiter *next = w->next;
        if (rc == DG_OK)
            w->cb(snap, DG_OK, NULL, w->ctx);
        else
            w->cb(NULL, rc, &e, w->ctx);
        dg_free(w);
        w = next;
    }
    aws_creds_unref(snap);
}

/* Fails the fetch with a message prefixed by the source. */
static void fetch_fail(struct fetch *f, dg_rc rc, const char *code,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fetch_fail(struct fetch *f, dg_rc rc, const char *code, const char *fmt, ...)
{
    struct dg_err e;
    dg_err_clear(&e);
    char msg[sizeof(e.msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *src =
        f->ch && f->ch->plan.source ? f->ch->plan.source : "credentials chain";
    dg_err_setc(&e, rc, code, "credentials from %s: %s", src, msg);
    fetch_finish(f, rc, &e);
}

/* Wraps a lower layer's error (HTTP, STS, parser). */
static void
fetch_fail_err(struct fetch *f, dg_rc rc, const struct dg_err *in,
               const char *what)
{
    struct dg_err e;
    dg_err_clear(&e);
    const char *src =
        f->ch && f->ch->plan.source ? f->ch->plan.source : "credentials chain";
    dg_err_setc(&e, rc, in && in->code[0] ? in->code : dg_rc_name(rc),
                "credentials from %s: %s: %s", src, what,
                in && in->msg[0] ? in->msg : dg_rc_name(rc));
    if (in) {
        e.http_status = in->http_status;
        memcpy(e.request_id, in->request_id, sizeof(e.request_id));
    }
    fetch_finish(f, rc, &e);
}

static void
set_cur(struct fetch *f, struct aws_creds *c)
{
    aws_creds_unref(f->cur);
    f->cur = c;
}

/* -- files -------------------------------------------------------------------
 */

/* Reads a whole file of at most max bytes. DG_OK with *out NULL when the
 * file does not exist. */
static dg_rc
read_file(const char *path, size_t max, char **out, size_t *len,
          struct dg_err *err)
{
    *out = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT)
            return DG_OK;
        return dg_err_setc(err, DG_EINVALID, "unreadable", "%s: %s", path,
                           strerror(errno)); /* NOLINT(concurrency-mt-unsafe) */
    }
    struct dg_buf b;
    dg_buf_init(&b, max);
    char chunk[4096];
    size_t n;
    dg_rc rc = DG_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        if (dg_buf_add(&b, chunk, n) != DG_OK) {
            rc = dg_err_setc(err, DG_EINVALID, "too_large",
                             "%s is larger than %zu bytes", path, max);
            break;
        }
    if (rc == DG_OK && ferror(fp))
        rc =
            dg_err_setc(err, DG_EINVALID, "unreadable", "%s: read error", path);
    OPENSSL_cleanse(chunk, sizeof(chunk));
    (void)fclose(fp);
    if (rc != DG_OK) {
        if (b.data)
            OPENSSL_cleanse(b.data, b.cap);
        dg_buf_cleanup(&b);
        return rc;
    }
    *len = b.len;
    *out = dg_buf_detach(&b);
    return DG_OK;
}

static void
free_secret(char *s, size_t len)
{
    if (s) {
        OPENSSL_cleanse(s, len);
        dg_free(s);
    }
}

/* ~/x and $HOME */
static char *
expand_path(const struct chain *ch, const char *path, const char *dflt)
{
    const char *home = ch_env(ch, "HOME");
    if (!path)
        return home ? dg_sprintf("%s/%s", home, dflt) : NULL;
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
        return home ? dg_sprintf("%s%s", home, path + 1) : NULL;
    return dg_strdup(path);
}

static dg_rc
load_profile_file(const struct chain *ch, const char *env_name,
                  const char *dflt, enum profile_kind kind,
                  struct profile_file **out, struct dg_err *err)
{
    *out = NULL;
    char *path = expand_path(ch, ch_env(ch, env_name), dflt);
    if (!path)
        return DG_OK;
    char *data;
    size_t len;
    dg_rc rc = read_file(path, PROFILE_MAX_FILE, &data, &len, err);
    if (rc == DG_OK && data) {
        struct dg_err perr;
        dg_err_clear(&perr);
        rc = profile_file_parse(data, len, kind, out, &perr);
        if (rc != DG_OK)
            dg_err_setc(err, rc, perr.code, "%s: %s", path, perr.msg);
    }
    free_secret(data, len);
    dg_free(path);
    return rc;
}

static dg_rc
select_source(struct chain *ch, struct dg_err *err)
{
    struct profile_file *config = NULL, *creds = NULL;
    dg_rc rc = DG_OK;
    /* the environment wins before any file is read */
    if (!env_or_null(ch->o.env, ch->o.env_ctx, "AWS_ACCESS_KEY_ID")) {
        rc = load_profile_file(ch, "AWS_CONFIG_FILE", ".aws/config",
                               PROFILE_CONFIG, &config, err);
        if (rc == DG_OK)
            rc = load_profile_file(ch, "AWS_SHARED_CREDENTIALS_FILE",
                                   ".aws/credentials", PROFILE_CREDENTIALS,
                                   &creds, err);
    }
    if (rc == DG_OK)
        rc = creds_chain_select(ch->o.env, ch->o.env_ctx, config, creds,
                                ch_env(ch, "AWS_PROFILE"), &ch->plan, err);
    profile_file_free(config);
    profile_file_free(creds);
    if (rc == DG_OK) {
        ch->selected = 1;
        if (!ch->region_pinned && ch->plan.p.region) {
            dg_free(ch->region);
            ch->region = dg_strdup(ch->plan.p.region);
            ch->o.region = ch->region;
        }
    }
    return rc;
}

/* -- STS ----------------------------------------------------------------------
 */

static void
sts_done(const struct aws_response *resp, dg_rc rc, const struct dg_err *err,
         void *ctx)
{
    struct fetch *f = ctx;
    f->sts_live = NULL;
    if (!f->ch) {
        fetch_finish(f, DG_ECANCELLED, err);
        return;
    }
    const char *what = "STS AssumeRole";
    if (rc != DG_OK) {
        fetch_fail_err(f, rc, err, what);
        return;
    }
    struct aws_creds *c = NULL;
    struct dg_err perr;
    dg_err_clear(&perr);
    if (creds_chain_parse_sts(resp->body, resp->body_len, f->ch->plan.source,
                              &c, &perr) != DG_OK) {
        fetch_fail_err(f, DG_EREMOTE, &perr, what);
        return;
    }
    f->step++;
    set_cur(f, c);
    fetch_next(f);
}

/* The STS client's hooks: its hook_ctx is the chain. */
static int64_t
tramp_now(void *ctx)
{
    const struct chain *ch = ctx;
    return ch->o.now_ms(ch->o.hook_ctx);
}

static uint32_t
tramp_random(void *ctx)
{
    const struct chain *ch = ctx;
    return ch->o.random(ch->o.hook_ctx);
}

static const char *
tramp_env(const char *name, void *ctx)
{
    const struct chain *ch = ctx;
    return ch->o.env(name, ch->o.env_ctx);
}

/* Starts STS AssumeRole signed with signer_creds through the AWS call
 * pipeline (retries, error parsing, skew correction). */
static void
sts_start(struct fetch *f, struct aws_creds *signer_creds, const char *action,
          struct dg_buf *params)
{
    struct chain *ch = f->ch;
    struct aws_client_opts co = {
        .region = ch->region,
        .endpoints = ch->o.endpoints,
        .nendpoints = ch->o.nendpoints,
        .now_ms = ch->o.now_ms ? tramp_now : NULL,
        .random = ch->o.random ? tramp_random : NULL,
        .env = tramp_env,
        .hook_ctx = ch,
    };
    struct sts_slot *slot = &f->sts[f->nsts++];
    slot->signer = aws_creds_static_new(ch->evb, signer_creds);
    slot->client = aws_client_new(ch->evb, ch->http, slot->signer, &co);
    struct aws_request req = {
        .svc = &aws_svc_sts,
        .operation = action,
        .body = dg_buf_str(params),
        .body_len = params->len,
        .idempotent = 1,
    };
    f->op = OP_STS;
    f->sts_live = slot->client;
    aws_call(slot->client, &req, sts_done, f);
}

/* -- plain HTTP calls (web identity, SSO portal, metadata) ---------------- */

/* First step of an HTTP completion: the request is over (f->hc cleared);
 * 1 when the chain was freed meanwhile and the fetch finished here. */
static int
http_cancelled(struct fetch *f, const struct dg_err *err)
{
    f->hc = NULL;
    if (f->ch)
        return 0;
    fetch_finish(f, DG_ECANCELLED, err);
    return 1;
}

/* Retries a transport error, 5xx or 429 through resend while attempts
 * stay below max_attempts, then fails the fetch on a transport error.
 * 1 when resp is an answer for the caller to look at; 0 when the fetch
 * was resent or failed here. */
static int
http_settled(struct fetch *f, const struct http_response *resp, dg_rc rc,
             const struct dg_err *err, int max_attempts,
             void (*resend)(struct fetch *), const char *what)
{
    int retry = rc == DG_ETRANSIENT ||
                (rc == DG_OK && (resp->status >= 500 || resp->status == 429));
    if (retry && ++f->attempt < max_attempts) {
        resend(f);
        return 0;
    }
    if (rc != DG_OK) {
        fetch_fail_err(f, rc, err, what);
        return 0;
    }
    return 1;
}

/* Fails the fetch on a non-2xx answer carrying an AWS error body in proto
 * (5xx transient, else remote); 1 when it did. */
static int
http_aws_error(struct fetch *f, const struct http_response *resp,
               enum aws_protocol proto, const char *what)
{
    if (resp->status >= 200 && resp->status <= 299)
        return 0;
    struct dg_err e;
    dg_err_clear(&e);
    aws_error_parse(proto, 0, resp->status, resp->headers, resp->nheaders,
                    resp->body, resp->body_len, &e);
    fetch_fail_err(f, resp->status >= 500 ? DG_ETRANSIENT : DG_EREMOTE, &e,
                   what);
    return 1;
}

typedef dg_rc (*creds_parse_fn)(const char *body, size_t len,
                                const char *source, struct aws_creds **out,
                                struct dg_err *err);

/* Last step: parses the answer's credentials and moves on, or fails the
 * fetch (remote) with the parser's reason. */
static void
http_creds(struct fetch *f, const struct http_response *resp,
           creds_parse_fn parse, const char *what)
{
    struct aws_creds *c = NULL;
    struct dg_err perr;
    dg_err_clear(&perr);
    if (parse(resp->body, resp->body_len, f->ch->plan.source, &c, &perr) !=
        DG_OK) {
        fetch_fail_err(f, DG_EREMOTE, &perr, what);
        return;
    }
    set_cur(f, c);
    fetch_next(f);
}

/* Resolves svc's endpoint for region into base; on failure fails the fetch
 * (naming what) and returns 0. */
static int
http_endpoint(struct fetch *f, const struct aws_service *svc,
              const char *region, char *base, size_t baselen, const char *what)
{
    struct chain *ch = f->ch;
    char signing_region[64];
    struct dg_err e;
    dg_err_clear(&e);
    if (endpoint_resolve(svc, region, ch->o.endpoints, ch->o.nendpoints,
                         tramp_env, ch, base, baselen, signing_region,
                         sizeof(signing_region), &e) != DG_OK) {
        fetch_fail_err(f, DG_EINVALID, &e, what);
        return 0;
    }
    return 1;
}

static char *
session_name(const struct fetch *f, const char *configured)
{
    if (configured && *configured)
        return dg_strdup(configured);
    return dg_sprintf("drgate-%lld", (long long)(f->now_ms / 1000));
}

/* AssumeRoleWithWebIdentity is sent unsigned (botocore does the same):
 * the pipeline always signs, so this one call goes straight to HTTP, with
 * the endpoint resolution and error parsing the pipeline uses. */
static void
wi_done(const struct http_response *resp, dg_rc rc, const struct dg_err *err,
        void *ctx)
{
    struct fetch *f = ctx;
    static const char what[] = "STS AssumeRoleWithWebIdentity";
    if (http_cancelled(f, err) ||
        !http_settled(f, resp, rc, err, 3, wi_send, what) ||
        http_aws_error(f, resp, AWS_QUERY, what))
        return;
    http_creds(f, resp, creds_chain_parse_sts, what);
}

static void
wi_send(struct fetch *f)
{
    struct chain *ch = f->ch;
    char base[512];
    if (!http_endpoint(f, &aws_svc_sts, ch->region, base, sizeof(base),
                       "STS endpoint"))
        return;
    char *url = dg_sprintf("%s/", base);
    struct http_header h[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
    };
    struct http_request req = {
        .method = "POST",
        .url = url,
        .headers = h,
        .nheaders = 1,
        .body = f->wi_body.data,
        .body_len = f->wi_body.len,
    };
    f->op = OP_HTTP;
    f->hc = http_start(ch->http, &req, wi_done, f);
    dg_free(url);
}

static void
start_web_identity(struct fetch *f)
{
    const struct profile_plan *p = &f->ch->plan.p;
    char *tok;
    size_t len;
    struct dg_err e;
    dg_err_clear(&e);
    if (read_file(p->token_file, TOKEN_FILE_MAX, &tok, &len, &e) != DG_OK) {
        fetch_fail(f, DG_EINVALID, "bad_token_file", "token file %s", e.msg);
        return;
    }
    if (!tok || len == 0 || strlen(tok) != len) {
        free_secret(tok, len);
        fetch_fail(f, DG_EINVALID, "bad_token_file",
                   "token file %s is missing, empty or binary", p->token_file);
        return;
    }
    struct dg_buf *q = &f->wi_body;
    if (q->data)
        OPENSSL_cleanse(q->data, q->cap);
    dg_buf_cleanup(q);
    dg_buf_init(q, 3 * TOKEN_FILE_MAX + 8192);
    char *sn = session_name(f, p->wi_session_name);
    dg_rc rc = aws_query_add(q, "Action", "AssumeRoleWithWebIdentity");
    if (rc == DG_OK)
        rc = aws_query_add(q, "Version", STS_VERSION);
    if (rc == DG_OK)
        rc = aws_query_add(q, "RoleArn", p->wi_role_arn);
    if (rc == DG_OK)
        rc = aws_query_add(q, "RoleSessionName", sn);
    if (rc == DG_OK)
        rc = aws_query_add(q, "WebIdentityToken", tok);
    free_secret(tok, len);
    dg_free(sn);
    if (rc != DG_OK) {
        fetch_fail(f, DG_EINVALID, "bad_request",
                   "AssumeRoleWithWebIdentity parameters too long");
    } else {
        f->attempt = 0;
        wi_send(f);
    }
}

static void
start_assume_role(struct fetch *f)
{
    const struct profile_role *r = &f->ch->plan.p.roles[f->step];
    struct dg_buf q;
    dg_buf_init(&q, 16384);
    char *sn = session_name(f, r->session_name);
    dg_rc rc = aws_query_add(&q, "RoleArn", r->role_arn);
    if (rc == DG_OK)
        rc = aws_query_add(&q, "RoleSessionName", sn);
    if (rc == DG_OK && r->external_id)
        rc = aws_query_add(&q, "ExternalId", r->external_id);
    if (rc == DG_OK && r->duration_seconds > 0) {
        char d[16];
        snprintf(d, sizeof(d), "%d", r->duration_seconds);
        rc = aws_query_add(&q, "DurationSeconds", d);
    }
    dg_free(sn);
    if (rc != DG_OK)
        fetch_fail(f, DG_EINVALID, "bad_request",
                   "AssumeRole parameters for profile %s too long", r->profile);
    else {
        sts_start(f, f->cur, "AssumeRole", &q);
    }
    dg_buf_cleanup(&q);
}

/* -- metadata endpoints (ECS, IMDS) --------------------------------------- */

static void metadata_send(struct fetch *f);

static long
md_timeout(const struct chain *ch)
{
    return ch->o.metadata_timeout_ms > 0 ? ch->o.metadata_timeout_ms : 1000;
}

static int
md_attempts(const struct chain *ch)
{
    return ch->o.metadata_attempts > 0 ? ch->o.metadata_attempts : 2;
}

static char *
imds_base(const struct chain *ch)
{
    const char *ep = env_or_null(ch->o.env, ch->o.env_ctx,
                                 "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = ch_env(ch, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (!ep)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
                                                   : "http://169.254.169.254";
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        n--;
    return dg_strndup(ep, n);
}

/* The ECS Authorization header value, or NULL when none; -1 on error. */
static int
ecs_auth(struct fetch *f, char **out, size_t *outlen)
{
    const struct chain *ch = f->ch;
    *out = NULL;
    *outlen = 0;
    const char *file = ch_env(ch, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (file) {
        struct dg_err e;
        dg_err_clear(&e);
        if (read_file(file, TOKEN_FILE_MAX, out, outlen, &e) != DG_OK ||
            !*out) {
            fetch_fail(f, DG_EINVALID, "bad_token_file",
                       "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
                       "%s",
                       file);
            return -1;
        }
        /* tolerate the trailing newline editors add */
        while (*outlen > 0 &&
               ((*out)[*outlen - 1] == '\n' || (*out)[*outlen - 1] == '\r'))
            (*out)[--*outlen] = '\0';
    } else {
        const char *t = ch_env(ch, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
        if (!t)
            return 0;
        *out = dg_strdup(t);
        *outlen = strlen(t);
    }
    if (strlen(*out) != *outlen || strpbrk(*out, "\r\n")) {
        free_secret(*out, *outlen);
        *out = NULL;
        fetch_fail(f, DG_EINVALID, "bad_token",
                   "the container authorization token is not a legal "
                   "header value");
        return -1;
    }
    return 1;
}

static void
metadata_done(const struct http_response *resp, dg_rc rc,
              const struct dg_err *err, void *ctx)
{
    struct fetch *f = ctx;
    if (http_cancelled(f, err))
        return;
    struct chain *ch = f->ch;
    int is_imds = ch->plan.p.base == PROFILE_BASE_IMDS;
    const char *what = !is_imds        ? "container endpoint"
                       : f->stage == 0 ? "IMDS token"
                       : f->stage == 1 ? "IMDS role name"
                                       : "IMDS credentials";
    if (!http_settled(f, resp, rc, err, md_attempts(ch), metadata_send, what))
        return;
    if (resp->status != 200) {
        struct dg_err e;
        dg_err_clear(&e);
        e.http_status = resp->status;
        dg_err_setc(&e, DG_EREMOTE, "http_status", "HTTP %ld", resp->status);
        fetch_fail_err(f, resp->status >= 500 ? DG_ETRANSIENT : DG_EREMOTE, &e,
                       what);
        return;
    }
    f->attempt = 0;
    if (is_imds && f->stage == 0) {
        const char *b = resp->body, *e = b + resp->body_len;
        while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
            e--;
        if (b == e || memchr(b, '\n', (size_t)(e - b)) ||
            memchr(b, '\r', (size_t)(e - b)) ||
            memchr(b, '\0', (size_t)(e - b))) {
            fetch_fail(f, DG_EREMOTE, "bad_token",
                       "IMDS returned an unusable token");
            return;
        }
        f->imds_token = dg_strndup(b, (size_t)(e - b));
        f->stage = 1;
        metadata_send(f);
        return;
    }
    if (is_imds && f->stage == 1) {
        /* the first line is the role name */
        const char *b = resp->body;
        size_t n = strcspn(b, "\r\n");
        int ok = n > 0 && n < 256;
        for (size_t i = 0; ok && i < n; i++)
            ok = b[i] > ' ' && b[i] < 0x7f && b[i] != '/' && b[i] != '?' &&
                 b[i] != '#' && b[i] != '%';
        if (!ok) {
            fetch_fail(f, DG_EREMOTE, "no_role",
                       "IMDS lists no usable instance profile role");
            return;
        }
        f->role_name = dg_strndup(b, n);
        f->stage = 2;
        metadata_send(f);
        return;
    }
    http_creds(f, resp, creds_chain_parse_json, what);
}

static void
metadata_send(struct fetch *f)
{
    struct chain *ch = f->ch;
    struct http_header hdrs[3];
    size_t nh = 0;
    struct http_request req = {
        .method = "GET",
        .connect_timeout_ms = md_timeout(ch),
        .timeout_ms = md_timeout(ch),
        .max_response = METADATA_BODY_MAX,
        .allow_metadata_hosts = 1,
    };
    char *url = NULL, *auth = NULL;
    size_t authlen = 0;
    if (ch->plan.p.base == PROFILE_BASE_IMDS) {
        char *base = imds_base(ch);
        if (f->stage == 0) {
            req.method = "PUT";
            url = dg_sprintf("%s/latest/api/token", base);
            hdrs[nh++] = (struct http_header){
                "X-aws-ec2-metadata-token-ttl-seconds", "21600"};
        } else {
            url = dg_sprintf("%s/latest/meta-data/iam/security-credentials/%s",
                             base, f->stage == 2 ? f->role_name : "");
            hdrs[nh++] =
                (struct http_header){"X-aws-ec2-metadata-token", f->imds_token};
        }
        dg_free(base);
    } else {
        const char *rel = ch_env(ch, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        if (rel)
            url = dg_sprintf("%s%s",
                             ch->ecs_base_url ? ch->ecs_base_url
                                              : "http://169.254.170.2",
                             rel);
        else
            url = dg_strdup(ch_env(ch, "AWS_CONTAINER_CREDENTIALS_FULL_URI"));
        if (ecs_auth(f, &auth, &authlen) < 0) {
            dg_free(url);
            return;
        }
        hdrs[nh++] = (struct http_header){"Accept", "application/json"};
        if (auth)
            hdrs[nh++] = (struct http_header){"Authorization", auth};
    }
    if (!url || !creds_metadata_url_allowed(url)) {
        /* the URL may carry a query: name only the rule */
        fetch_fail(f, DG_EINVALID, "bad_url",
                   "endpoint URL is not https, loopback or a link-local "
                   "metadata address");
        dg_free(url);
        free_secret(auth, authlen);
        return;
    }
    req.url = url;
    req.headers = hdrs;
    req.nheaders = nh;
    f->op = OP_HTTP;
    dg_free(f->url);
    f->url = url;
    f->hc = http_start(ch->http, &req, metadata_done, f);
    free_secret(auth, authlen);
}

/* -- the plan
 * ------------------------------------------------------------------- */

static dg_rc
env_creds(struct fetch *f, struct dg_err *err)
{
    const struct chain *ch = f->ch;
    creds_env_fn env = ch->o.env;
    void *ec = ch->o.env_ctx;
    const char *ak = env_or_null(env, ec, "AWS_ACCESS_KEY_ID");
    const char *sk = env_or_null(env, ec, "AWS_SECRET_ACCESS_KEY");
    if (!ak || !sk)
        return dg_err_setc(err, DG_EINVALID, "partial",
                           "credentials from env: AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY must both be set");
    const char *tok = env_or_null(env, ec, "AWS_SECURITY_TOKEN");
    const char *exp = env_or_null(env, ec, "AWS_CREDENTIAL_EXPIRATION");
    if (!tok)
        tok = env_or_null(env, ec, "AWS_SESSION_TOKEN");
    int64_t exp_ms = 0;
    if (exp && timefmt_parse(exp, &exp_ms) != 0)
        return dg_err_setc(err, DG_EINVALID, "bad_expiration",
                           "credentials from env: AWS_CREDENTIAL_EXPIRATION "
                           "is not an ISO 8601 time");
    set_cur(f, aws_creds_new(ak, sk, tok, exp_ms, ch->plan.source));
    return DG_OK;
}

/* -- credential_process ---------------------------------------------------- */

/* -- IAM Identity Center (SSO) ----------------------------------------------
 */

static void sso_send(struct fetch *f);

/* What the operator should run to log in again. */
static char *
sso_login_hint(const struct profile_plan *p)
{
    if (p->sso_session)
        return dg_sprintf("run aws sso login --sso-session %s", p->sso_session);
    return dg_sprintf("run aws sso login --profile %s", p->base_profile);
}

static void
sso_done(const struct http_response *resp, dg_rc rc, const struct dg_err *err,
         void *ctx)
{
    struct fetch *f = ctx;
    static const char what[] = "SSO GetRoleCredentials";
    if (http_cancelled(f, err) ||
        !http_settled(f, resp, rc, err, 3, sso_send, what))
        return;
    if (resp->status == 401 || resp->status == 403) {
        char *hint = sso_login_hint(&f->ch->plan.p);
        struct dg_err e;
        dg_err_clear(&e);
        e.http_status = resp->status;
        dg_err_setc(&e, DG_EREMOTE, "sso_unauthorized",
                    "the portal refused the cached SSO token (HTTP %ld): %s",
                    resp->status, hint);
        dg_free(hint);
        fetch_fail_err(f, DG_EREMOTE, &e, what);
        return;
    }
    if (http_aws_error(f, resp, AWS_JSON_1_1, what))
        return;
    http_creds(f, resp, sso_parse_role_credentials, what);
}

static void
sso_send(struct fetch *f)
{
    struct chain *ch = f->ch;
    const struct profile_plan *p = &ch->plan.p;
    char base[512];
    if (!http_endpoint(f, &aws_svc_sso, p->sso_region, base, sizeof(base),
                       "SSO portal endpoint"))
        return;
    struct dg_err e;
    dg_err_clear(&e);
    struct dg_buf q;
    dg_buf_init(&q, 4096);
    dg_rc rc = dg_buf_printf(&q, "%s/federation/credentials?account_id=", base);
    if (rc == DG_OK)
        rc = sigv4_uri_encode(p->sso_account_id, strlen(p->sso_account_id), 0,
                              &q, &e);
    if (rc == DG_OK)
        rc = dg_buf_addstr(&q, "&role_name=");
    if (rc == DG_OK)
        rc = sigv4_uri_encode(p->sso_role_name, strlen(p->sso_role_name), 0, &q,
                              &e);
    if (rc != DG_OK) {
        dg_buf_cleanup(&q);
        fetch_fail(f, DG_EINVALID, "bad_request",
                   "sso_account_id or sso_role_name too long");
        return;
    }
    struct http_header h[] = {
        {"x-amz-sso_bearer_token", f->sso_token},
        {"Accept", "application/json"},
    };
    struct http_request req = {
        .method = "GET",
        .url = dg_buf_str(&q),
        .headers = h,
        .nheaders = 2,
        .max_response = METADATA_BODY_MAX,
    };
    f->op = OP_HTTP;
    f->hc = http_start(ch->http, &req, sso_done, f);
    dg_buf_cleanup(&q);
}

static void
start_sso(struct fetch *f)
{
    const struct chain *ch = f->ch;
    const struct profile_plan *p = &ch->plan.p;
    const char *keyed = p->sso_session ? p->sso_session : p->sso_start_url;
    char key[41], rel[80];
    sso_cache_key(keyed, key);
    snprintf(rel, sizeof(rel), ".aws/sso/cache/%s.json", key);
    char *path = expand_path(ch, NULL, rel);
    char *hint = sso_login_hint(p);
    char *body = NULL;
    size_t len = 0;
    struct dg_err e;
    dg_err_clear(&e);
    if (!path || read_file(path, SSO_CACHE_MAX, &body, &len, &e) != DG_OK ||
        !body) {
        fetch_fail(f, DG_EINVALID, "sso_no_token",
                   "no cached SSO token for %s %s (%s%s): %s",
                   p->sso_session ? "sso-session" : "start URL", keyed,
                   path ? path : "HOME is not set",
                   e.code[0] ? ", unreadable" : "", hint);
        goto out;
    }
    int64_t exp_ms = 0;
    if (sso_token_parse(body, len, f->now_ms, &f->sso_token, &exp_ms, &e) !=
        DG_OK) {
        fetch_fail(f, DG_EINVALID, e.code, "%s (%s): %s", e.msg, path, hint);
        goto out;
    }
    f->attempt = 0;
    sso_send(f);
out:
    free_secret(body, len);
    dg_free(hint);
    dg_free(path);
}

static void
proc_done(const char *out, size_t len, dg_rc rc, const struct dg_err *err,
          void *ctx)
{
    struct fetch *f = ctx;
    f->proc = NULL;
    if (!f->ch) {
        fetch_finish(f, DG_ECANCELLED, err);
        return;
    }
    if (rc != DG_OK) {
        struct dg_err e;
        dg_err_clear(&e);
        dg_err_setc(&e, rc, err->code, "credentials from %s: %s",
                    f->ch->plan.source, err->msg);
        fetch_finish(f, rc, &e);
        return;
    }
    struct aws_creds *c = NULL;
    struct dg_err perr;
    dg_err_clear(&perr);
    char prog[64], what[96];
    credproc_program_name(f->ch->plan.p.process, prog, sizeof(prog));
    snprintf(what, sizeof(what), "credential_process %s", prog);
    if (credproc_parse(out, len, f->ch->plan.source, &c, &perr) != DG_OK) {
        fetch_fail_err(f, DG_EINVALID, &perr, what);
        return;
    }
    set_cur(f, c);
    fetch_next(f);
}

/* The base of the plan, when no credentials exist yet. */
static void
fetch_base(struct fetch *f)
{
    struct chain *ch = f->ch;
    const struct profile_plan *p = &ch->plan.p;
    struct dg_err e;
    dg_err_clear(&e);
    switch (p->base) {
    case PROFILE_BASE_ENV:
        if (env_creds(f, &e) != DG_OK) {
            fetch_finish(f, e.rc, &e);
            return;
        }
        fetch_next(f);
        return;
    case PROFILE_BASE_STATIC:
        set_cur(f, aws_creds_new(p->access_key_id, p->secret_access_key,
                                 p->session_token, 0, ch->plan.source));
        fetch_next(f);
        return;
    case PROFILE_BASE_WEB_IDENTITY:
        start_web_identity(f);
        return;
    case PROFILE_BASE_ECS:
    case PROFILE_BASE_IMDS:
        f->stage = 0;
        f->attempt = 0;
        metadata_send(f);
        return;
    case PROFILE_BASE_PROCESS:
        f->op = OP_PROC;
        f->proc = credproc_start(ch->evb, p->process, ch->o.process_timeout_ms,
                                 proc_done, f);
        return;
    case PROFILE_BASE_SSO:
        start_sso(f);
        return;
    case PROFILE_BASE_NONE:
        break;
    }
    fetch_fail(f, DG_EFATAL, "no_credentials", "no source selected");
}

/* After the base or a role: the next role, or done. */
static void
fetch_next(struct fetch *f)
{
    if (f->step < f->ch->plan.p.nroles)
        start_assume_role(f);
    else
        fetch_finish(f, DG_OK, NULL);
}

static void
fetch_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fetch *f = arg;
    if (f->reaping) {
        fetch_destroy(f);
        return;
    }
    struct chain *ch = f->ch;
    f->op = OP_NONE;
    if (!ch->selected) {
        struct dg_err e;
        dg_err_clear(&e);
        if (select_source(ch, &e) != DG_OK) {
            fetch_finish(f, e.rc, &e);
            return;
        }
    }
    fetch_base(f);
}

static void
fetch_start(struct chain *ch, int64_t now_ms)
{
    struct fetch *f = dg_calloc(1, sizeof(*f));
    f->ch = ch;
    f->now_ms = now_ms;
    f->ev = event_new(ch->evb, -1, 0, fetch_event, f);
    f->op = OP_EVENT;
    ch->fetch = f;
    event_active(f->ev, 0, 0);
}

/* -- provider ops
 * ------------------------------------------------------------------ */

static void
chain_get(struct aws_creds_provider *base, int64_t now_ms, aws_creds_fn cb,
          void *ctx)
{
    struct chain *ch = (struct chain *)base;
    if (ch->cached) {
        enum creds_refresh st =
            creds_chain_refresh_state(now_ms, ch->cached->expires_ms,
                                      ch->o.advisory_ms, ch->o.mandatory_ms);
        if (st != CREDS_MANDATORY) {
            serve(ch, ch->cached, cb, ctx);
            if (st == CREDS_ADVISORY && !ch->fetch)
                fetch_start(ch, now_ms);
            return;
        }
    }
    struct waiter *w = dg_calloc(1, sizeof(*w));
    w->cb = cb;
    w->ctx = ctx;
    *ch->waiters_tail = w;
    ch->waiters_tail = &w->next;
    if (!ch->fetch)
        fetch_start(ch, now_ms);
    else if (now_ms > ch->fetch->now_ms)
        ch->fetch->now_ms = now_ms;
}

static void
chain_free(struct aws_creds_provider *base)
{
    struct chain *ch = (struct chain *)base;
    struct dg_err e;
    dg_err_clear(&e);
    dg_err_setc(&e, DG_ECANCELLED, "cancelled",
                "credentials chain freed before the credentials arrived");
    /* gets still pending break the contract; answer them anyway */
    while (ch->served) {
        struct served *s = ch->served;
        served_unlink(s);
        s->cb(NULL, DG_ECANCELLED, &e, s->ctx);
        aws_creds_unref(s->creds);
        event_free(s->ev);
        dg_free(s);
    }
    struct waiter *w = ch->waiters;
    ch->waiters = NULL;
    while (w) {
        struct waiter *next = w->next;
        w->cb(NULL, DG_ECANCELLED, &e, w->ctx);
        dg_free(w);
        w = next;
    }
    struct fetch *f = ch->fetch;
    if (f) {
        f->ch = NULL;
        if (f->op == OP_HTTP && f->hc) {
            http_cancel(f->hc); /* metadata_done frees f */
        } else if (f->op == OP_PROC && f->proc) {
            credproc_cancel(f->proc); /* proc_done frees f */
        } else if (f->op == OP_STS && f->sts_live) {
            struct aws_client *c = f->sts_live;
            for (size_t i = 0; i < f->nsts; i++)
                if (f->sts[i].client == c)
                    f->sts[i].client = NULL; /* freed right here */
            aws_client_free(c);              /* sts_done runs and frees f */
        } else {
            fetch_destroy(f);
        }
    }
    aws_creds_unref(ch->cached);
    profile_plan_cleanup(&ch->plan.p);
    dg_free(ch->region);
    dg_free(ch->ecs_base_url);
    dg_free(ch);
}

static const struct aws_creds_provider_ops chain_ops = {
    .name = "chain",
    .get = chain_get,
    .free = chain_free,
};

struct aws_creds_provider *
creds_chain_new(struct event_base *base, struct http_engine *http,
                const struct creds_chain_opts *opts)
{
    struct chain *ch = dg_calloc(1, sizeof(*ch));
    ch->base.ops = &chain_ops;
    ch->evb = base;
    ch->http = http;
    if (opts)
        ch->o = *opts;
    if (!ch->o.env)
        ch->o.env = default_env;
    if (ch->o.advisory_ms <= 0)
        ch->o.advisory_ms = CREDS_ADVISORY_MS;
    if (ch->o.mandatory_ms <= 0)
        ch->o.mandatory_ms = CREDS_MANDATORY_MS;
    if (ch->o.mandatory_ms > ch->o.advisory_ms)
        ch->o.mandatory_ms = ch->o.advisory_ms;
    const char *region = ch->o.region;
    if (!region)
        region = env_or_null(ch->o.env, ch->o.env_ctx, "AWS_REGION");
    if (!region)
        region = env_or_null(ch->o.env, ch->o.env_ctx, "AWS_DEFAULT_REGION");
    ch->region_pinned = region != NULL;
    if (!region)
        region = ch->o.default_region; /* unless the profile names one */
    ch->region = dg_strdup(region ? region : "us-east-1");
    ch->o.region = ch->region;
    ch->ecs_base_url = opts ? dg_strdup(opts->ecs_base_url) : NULL;
    ch->o.ecs_base_url = ch->ecs_base_url;
    ch->waiters_tail = &ch->waiters;
    return &ch->base;
}
