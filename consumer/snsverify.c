/*
 * snsverify.c - SNS message signature verification for SNS-delivered
 * approval replies.
 *
 * Ownership: the verifier owns its trust store, its certificate cache
 * (URL -> leaf public key, least recently used evicted past cache_max),
 * its in-flight fetches and its pending jobs. Envelopes are borrowed only
 * during snsverify_verify: what is needed (string to sign, signature,
 * version, URL) is copied into the job.
 * Errors: the completion gets DG_EINVALID with a reason code for anything
 * forged or malformed, DG_ETRANSIENT when the certificate could not be
 * fetched (retry: leave the message unacknowledged), DG_ECANCELLED at
 * shutdown.
 *
 * DESIGN: every completion is delivered from a zero-delay libevent timer,
 * never from inside snsverify_verify. A cache miss starts one fetch per
 * URL; later jobs for the same URL wait on it. The fetcher's completion
 * holds a fetch object, not the verifier: snsverify_free orphans the
 * in-flight fetches (the late completion frees only the orphan) and
 * completes pending jobs with DG_ECANCELLED.
 *
 * DESIGN (trust in the signing certificate): the certificate comes only
 * from an https://sns.<region>.amazonaws.com[.cn]/....pem URL (checked
 * before anything is fetched), over TLS with peer and host verification
 * against the system store, no proxy and no redirects (the daemon's
 * fetcher: adapters/orch_aws.c on adapters/aws/http.c; a 3xx is a failed
 * fetch). The PEM AWS serves holds the leaf alone, issued by an Amazon
 * intermediate ("Amazon RSA 2048 M0x") that Debian's store lacks (it has
 * the Amazon roots), so a chain to the store usually cannot be built. As
 * AWS's own validators do, the leaf is then trusted on the provenance of
 * that authenticated fetch: chain verification (system store plus the test
 * CA given through the C API; further certificates in the PEM are
 * untrusted intermediates) may fail only with "unable to get (local)
 * issuer" / "unable to verify leaf signature", every other error (a bad
 * signature within the PEM, a self-signed certificate, expiry) refuses it.
 * On either path the leaf must be within its validity at now, not be
 * self-signed, name sns.amazonaws.com (or sns.amazonaws.com.cn for a .cn
 * URL; the URL host is regional but the name is not), not be a CA, allow
 * digitalSignature when it has a key usage, and hold an RSA key of at
 * least 2048 bits. Refusals name the reason in the code (bad_cert_expired,
 * bad_cert_self_signed, bad_cert_chain, bad_cert_name, bad_cert_ca,
 * bad_cert_key_usage, bad_cert_key). The missing intermediate is not
 * fetched through the leaf's AIA caIssuers URL: that URL is plain http,
 * chosen by the very certificate being judged, a second fetch and DER
 * parse would widen the attack surface, and the chain it would complete
 * adds nothing to what the TLS fetch from AWS's host already establishes.
 */
#include "snsverify.h"

#include <string.h>

#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "decode.h"
#include "json.h"
#include "mem.h"

#define CERT_MAX_BYTES (16 * 1024)
#define CERT_MAX_IN_PEM 8
#define SIG_MAX 1024 /* RSA up to 8192 bits */
#define STS_MAX (DG_JSON_MAX_MESSAGE + 8192)
#define URL_MAX 1024

struct cache_ent {
    char *url;
    EVP_PKEY *pub;
    int64_t not_before_ms, not_after_ms;
    unsigned long used;
};

struct fetch;

struct job {
    struct snsverify *v;
    struct job *next; /* in v->jobs */
    struct fetch *waiting;
    struct event *ev;
    char *url;
    char *sts;
    unsigned char sig[SIG_MAX];
    size_t siglen;
    int version;
    int64_t now_ms;
    dg_rc rc;
    struct dg_err err;
    snsverify_done_fn done;
    void *ctx;
};

struct fetch {
    struct snsverify *v; /* NULL once orphaned by snsverify_free */
    struct fetch *next;
    char *url;
};

struct snsverify {
    struct snsverify_opts o;
    char *test_host;
    X509_STORE *trust;
    struct cache_ent *cache;
    size_t ncache;
    unsigned long tick, fetches, hits;
    struct job *jobs;
    struct fetch *fetching;
};

/* ---- pure parts --------------------------------------------------------- */

static int
add_field(const cJSON *env, const char *key, int optional, struct dg_buf *out,
          struct dg_err *err)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(env, key);
    if (!f && optional)
        return 0;
    if (!cJSON_IsString(f))
        return dg_err_setc(err, DG_EINVALID, "bad_sns_envelope",
                           "SNS envelope: %s missing or not a string",
                           key) != DG_OK;
    if (dg_buf_printf(out, "%s\n", key) != DG_OK ||
        dg_buf_addstr(out, f->valuestring) != DG_OK ||
        dg_buf_addc(out, '\n') != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "too_large",
                           "SNS envelope: too large to verify") != DG_OK;
    return 0;
}

dg_rc
snsverify_string_to_sign(const cJSON *env, struct dg_buf *out,
                         struct dg_err *err)
{
    static const char *const note[] = {"Message",   "MessageId", "Subject",
                                       "Timestamp", "TopicArn",  "Type"};
    static const char *const conf[] = {"Message",   "MessageId", "SubscribeURL",
                                       "Timestamp", "Token",     "TopicArn",
                                       "Type"};
    const char *type = dg_json_str(env, "Type");
    if (!type)
        return dg_err_setc(err, DG_EINVALID, "bad_sns_envelope",
                           "SNS envelope: Type missing");
    int is_note = strcmp(type, "Notification") == 0;
    if (!is_note && strcmp(type, "SubscriptionConfirmation") != 0 &&
        strcmp(type, "UnsubscribeConfirmation") != 0)
        return dg_err_setc(err, DG_EINVALID, "bad_sns_envelope",
                           "SNS envelope: unknown Type");
    const char *const *keys = is_note ? note : conf;
    size_t n = is_note ? 6 : 7;
    for (size_t i = 0; i < n; i++)
        if (add_field(env, keys[i], is_note && i == 2, out, err) != 0)
            return err ? err->rc : DG_EINVALID;
    return DG_OK;
}

static int
host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

static int
path_ok(const char *p)
{
    size_t n = strlen(p);
    if (*p != '/' || n < 5 || strcmp(p + n - 4, ".pem") != 0 ||
        strstr(p, "..") || strstr(p, "//"))
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
              *p == '/'))
            return 0;
    return 1;
}

int
snsverify_cert_url_ok(const char *url, const char *test_host)
{
    static const char pfx[] = "https://";
    if (!url || strlen(url) > URL_MAX || strncmp(url, pfx, 8) != 0)
        return 0;
    const char *host = url + 8, *slash = strchr(host, '/');
    if (!slash)
        return 0;
    size_t hlen = (size_t)(slash - host);
    char h[256];
    if (hlen == 0 || hlen >= sizeof(h))
        return 0;
    memcpy(h, host, hlen);
    h[hlen] = '\0';
    if (!path_ok(slash))
        return 0;
    if (test_host && strcmp(h, test_host) == 0)
        return 1;
    for (size_t i = 0; i < hlen; i++)
        if (!host_char_ok(h[i]))
            return 0; /* also refuses ports, users, upper case */
    if (strncmp(h, "sns.", 4) != 0)
        return 0;
    static const char com[] = ".amazonaws.com", cn[] = ".amazonaws.com.cn";
    size_t rlen;
    int china;
    if (hlen > 4 + sizeof(cn) - 1 &&
        strcmp(h + hlen - (sizeof(cn) - 1), cn) == 0) {
        rlen = hlen - 4 - (sizeof(cn) - 1);
        china = 1;
    } else if (hlen > 4 + sizeof(com) - 1 &&
               strcmp(h + hlen - (sizeof(com) - 1), com) == 0) {
        rlen = hlen - 4 - (sizeof(com) - 1);
        china = 0;
    } else {
        return 0;
    }
    char region[DECODE_REGION_MAX + 1];
    if (rlen == 0 || rlen > DECODE_REGION_MAX)
        return 0;
    memcpy(region, h + 4, rlen);
    region[rlen] = '\0';
    if (!decode_region_valid(region))
        return 0;
    return china == (strncmp(region, "cn-", 3) == 0);
}

/* Standard base64 into out; -1 when malformed or larger than max. */
static long
b64_decode(const char *s, unsigned char *out, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > max)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                 (c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='));
        if (!ok)
            return -1;
    }
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0)
        return -1;
    len -= (s[n - 1] == '=') + (s[n - 2] == '=');
    return len;
}

static dg_rc
verify_raw(EVP_PKEY *pub, int version, const char *sts,
           const unsigned char *sig, size_t siglen, struct dg_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok =
        ctx &&
        EVP_DigestVerifyInit_ex(ctx, NULL, version == 1 ? "SHA1" : "SHA256",
                                NULL, NULL, pub, NULL) == 1 &&
        EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)sts,
                         strlen(sts)) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok ? DG_OK
              : dg_err_setc(err, DG_EINVALID, "bad_sns_signature",
                            "the SNS signature does not verify");
}

/* SignatureVersion and Signature of env. */
static dg_rc
sig_fields(const cJSON *env, int *version, unsigned char *sig, size_t *siglen,
           struct dg_err *err)
{
    const char *ver = dg_json_str(env, "SignatureVersion");
    const char *s = dg_json_str(env, "Signature");
    if (!ver || (strcmp(ver, "1") != 0 && strcmp(ver, "2") != 0))
        return dg_err_setc(err, DG_EINVALID, "bad_sns_envelope",
                           "SNS envelope: SignatureVersion must be 1 or 2");
    *version = ver[0] - '0';
    long n = s ? b64_decode(s, sig, SIG_MAX) : -1;
    if (n <= 0)
        return dg_err_setc(err, DG_EINVALID, "bad_sns_envelope",
                           "SNS envelope: Signature missing or not base64");
    *siglen = (size_t)n;
    return DG_OK;
}

dg_rc
snsverify_check_signature(EVP_PKEY *pub, const cJSON *env, struct dg_err *err)
{
    unsigned char sig[SIG_MAX];
    size_t siglen = 0;
    int version = 0;
    struct dg_buf sts;
    dg_buf_init(&sts, STS_MAX);
    dg_rc rc = sig_fields(env, &version, sig, &siglen, err);
    if (rc == DG_OK)
        rc = snsverify_string_to_sign(env, &sts, err);
    if (rc == DG_OK)
        rc = verify_raw(pub, version, dg_buf_str(&sts), sig, siglen, err);
    dg_buf_cleanup(&sts);
    return rc;
}

/* ---- certificates ------------------------------------------------------- */

static int64_t
asn1_ms(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    /* days from civil (UTC) */
    int64_t y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return ((days * 24 + tm.tm_hour) * 60 + tm.tm_min) * 60000 +
           (int64_t)tm.tm_sec * 1000;
}

/* Verify callback: tolerates only "the issuer is not available" (the PEM
 * holds the leaf alone and the store lacks its intermediate, as with every
 * real SigningCertURL); any other error ends the verification, and OpenSSL
 * goes on checking what it can (signatures and dates within the PEM). */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
    if (ok)
        return 1;
    int e = X509_STORE_CTX_get_error(ctx);
    return e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

/* Chain verification as of now: DG_OK when the chain reaches the trust
 * store, or stops only for want of an issuer. */
static dg_rc
check_chain(struct snsverify *v, X509 *leaf, STACK_OF(X509) * chain,
            int64_t now_ms, struct dg_err *err)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || X509_STORE_CTX_init(ctx, v->trust, leaf, chain) != 1) {
        X509_STORE_CTX_free(ctx);
        return dg_err_setc(err, DG_EFATAL, "bad_cert", "X509_STORE_CTX failed");
    }
    X509_STORE_CTX_set_time(ctx, 0, (time_t)(now_ms / 1000));
    X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
    dg_rc rc = DG_OK;
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        const char *code = "bad_cert_chain";
        if (e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
            e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
            code = "bad_cert_self_signed";
        else if (e == X509_V_ERR_CERT_HAS_EXPIRED)
            code = "bad_cert_expired";
        else if (e == X509_V_ERR_CERT_NOT_YET_VALID)
            code = "bad_cert_not_yet_valid";
        rc = dg_err_setc(err, DG_EINVALID, code,
                         "the signing certificate does not verify: %s (depth "
                         "%d)",
                         X509_verify_cert_error_string(e),
                         X509_STORE_CTX_get_error_depth(ctx));
    }
    X509_STORE_CTX_free(ctx);
    return rc;
}

/* What the leaf itself must be, however its chain ended. */
static dg_rc
check_leaf(X509 *leaf, const char *url, int64_t now_ms, EVP_PKEY **pub,
           struct dg_err *err)
{
    time_t now = (time_t)(now_ms / 1000);
    if (X509_self_signed(leaf, 0) == 1)
        return dg_err_setc(err, DG_EINVALID, "bad_cert_self_signed",
                           "the signing certificate is self-signed");
    int nb = X509_cmp_time(X509_get0_notBefore(leaf), &now);
    int na = X509_cmp_time(X509_get0_notAfter(leaf), &now);
    if (nb == 0 || na == 0)
        return dg_err_setc(err, DG_EINVALID, "bad_cert",
                           "the signing certificate's validity is malformed");
    if (nb > 0)
        return dg_err_setc(err, DG_EINVALID, "bad_cert_not_yet_valid",
                           "the signing certificate is not yet valid");
    if (na < 0)
        return dg_err_setc(err, DG_EINVALID, "bad_cert_expired",
                           "the signing certificate has expired");
    int china = strstr(url, ".amazonaws.com.cn/") != NULL;
    if (X509_check_host(leaf, "sns.amazonaws.com", 0, 0, NULL) != 1 &&
        !(china &&
          X509_check_host(leaf, "sns.amazonaws.com.cn", 0, 0, NULL) == 1))
        return dg_err_setc(err, DG_EINVALID, "bad_cert_name",
                           "the signing certificate does not name "
                           "sns.amazonaws.com");
    uint32_t flags = X509_get_extension_flags(leaf);
    if ((flags & EXFLAG_INVALID) != 0)
        return dg_err_setc(err, DG_EINVALID, "bad_cert",
                           "the signing certificate's extensions are "
                           "malformed");
    /* X509_check_ca alone misses CA:TRUE without keyCertSign. */
    if ((flags & EXFLAG_CA) != 0 || X509_check_ca(leaf) != 0)
        return dg_err_setc(err, DG_EINVALID, "bad_cert_ca",
                           "the signing certificate is a CA certificate");
    /* UINT32_MAX without the extension: any use. */
    if ((X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0)
        return dg_err_setc(err, DG_EINVALID, "bad_cert_key_usage",
                           "the signing certificate's key usage does not "
                           "allow digital signatures");
    EVP_PKEY *k = X509_get_pubkey(leaf);
    if (!k || !EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_get_bits(k) < 2048) {
        EVP_PKEY_free(k);
        return dg_err_setc(err, DG_EINVALID, "bad_cert_key",
                           "the signing certificate has no RSA key of 2048 "
                           "bits or more");
    }
    *pub = k;
    return DG_OK;
}

/* Checks a fetched PEM; on DG_OK *pub is the leaf's RSA key (owned). */
static dg_rc
check_cert(struct snsverify *v, const char *url, const char *pem, size_t len,
           int64_t now_ms, EVP_PKEY **pub, int64_t *not_before,
           int64_t *not_after, struct dg_err *err)
{
    *pub = NULL;
    if (len > CERT_MAX_BYTES)
        return dg_err_setc(err, DG_EINVALID, "bad_cert",
                           "signing certificate larger than %d bytes",
                           CERT_MAX_BYTES);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *extra;
    while (leaf && chain && sk_X509_num(chain) < CERT_MAX_IN_PEM &&
           (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (!sk_X509_push(chain, extra))
            X509_free(extra);
    BIO_free(bio);
    ERR_clear_error();
    dg_rc rc;
    if (!leaf || !chain)
        rc = dg_err_setc(err, DG_EINVALID, "bad_cert",
                         "the signing certificate is not a PEM certificate");
    else
        rc = check_chain(v, leaf, chain, now_ms, err);
    /* The leaf checks hold on both paths. Without the issuer they are all
     * that is checked of the leaf but its dates, which OpenSSL 3.0 checks
     * too; check_leaf repeats them so as not to hang on that, and the cache
     * checks them again at every use. */
    if (rc == DG_OK)
        rc = check_leaf(leaf, url, now_ms, pub, err);
    if (rc == DG_OK) {
        *not_before = asn1_ms(X509_get0_notBefore(leaf));
        *not_after = asn1_ms(X509_get0_notAfter(leaf));
    }
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    ERR_clear_error();
    return rc;
}

static struct cache_ent *
cache_find(struct snsverify *v, const char *url)
{
    for (size_t i = 0; i < v->ncache; i++)
        if (strcmp(v->cache[i].url, url) == 0) {
            v->cache[i].used = ++v->tick;
            return &v->cache[i];
        }
    return NULL;
}

static void
cache_put(struct snsverify *v, const char *url, EVP_PKEY *pub,
          int64_t not_before, int64_t not_after)
{
    struct cache_ent *e = cache_find(v, url);
    if (!e) {
        if (v->ncache < v->o.cache_max) {
            e = &v->cache[v->ncache++];
        } else {
            e = &v->cache[0];
            for (size_t i = 1; i < v->ncache; i++)
                if (v->cache[i].used < e->used)
                    e = &v->cache[i];
            dg_free(e->url);
            EVP_PKEY_free(e->pub);
        }
        e->url = dg_strdup(url);
    } else {
        EVP_PKEY_free(e->pub);
    }
    e->pub = pub;
    e->not_before_ms = not_before;
    e->not_after_ms = not_after;
    e->used = ++v->tick;
}

/* ---- jobs --------------------------------------------------------------- */

static void
job_unlink(struct job *j)
{
    for (struct job **p = &j->v->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            return;
        }
}

static void
job_free(struct job *j)
{
    if (j->ev)
        event_free(j->ev);
    dg_free(j->url);
    dg_free(j->sts);
    dg_free(j);
}

static void
job_fire(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    (void)fd;
    (void)what;
    job_unlink(j);
    j->done(j->rc, &j->err, j->ctx);
    job_free(j);
}

/* Schedules j's completion on the loop. */
static void
job_finish(struct job *j, dg_rc rc)
{
    static const struct timeval zero = {0, 0};
    j->rc = rc;
    j->waiting = NULL;
    if (!j->ev)
        j->ev = evtimer_new(j->v->o.base, job_fire, j);
    if (!j->ev || evtimer_add(j->ev, &zero) != 0)
        abort(); /* libevent out of memory */
}

static void
job_check(struct job *j, const struct cache_ent *e)
{
    if (j->now_ms > e->not_after_ms) {
        job_finish(j, dg_err_setc(&j->err, DG_EINVALID, "bad_cert_expired",
                                  "the signing certificate has expired"));
        return;
    }
    if (j->now_ms < e->not_before_ms) {
        job_finish(j,
                   dg_err_setc(&j->err, DG_EINVALID, "bad_cert_not_yet_valid",
                               "the signing certificate is not yet valid"));
        return;
    }
    job_finish(
        j, verify_raw(e->pub, j->version, j->sts, j->sig, j->siglen, &j->err));
}

static void fetched(dg_rc rc, const char *body, size_t len, const char *errmsg,
                    void *arg);

void
snsverify_verify(struct snsverify *v, const cJSON *env, int64_t now_ms,
                 snsverify_done_fn done, void *ctx)
{
    struct job *j = dg_calloc(1, sizeof(*j));
    j->v = v;
    j->done = done;
    j->ctx = ctx;
    j->now_ms = now_ms;
    j->next = v->jobs;
    v->jobs = j;
    dg_err_clear(&j->err);
    struct dg_buf sts;
    dg_buf_init(&sts, STS_MAX);
    dg_rc rc = cJSON_IsObject(env)
                   ? DG_OK
                   : dg_err_setc(&j->err, DG_EINVALID, "bad_sns_envelope",
                                 "not an SNS envelope");
    if (rc == DG_OK)
        rc = sig_fields(env, &j->version, j->sig, &j->siglen, &j->err);
    if (rc == DG_OK)
        rc = snsverify_string_to_sign(env, &sts, &j->err);
    const char *url = dg_json_str(env, "SigningCertURL");
    if (rc == DG_OK && !snsverify_cert_url_ok(url, v->test_host))
        rc = dg_err_setc(&j->err, DG_EINVALID, "bad_cert_url",
                         "SigningCertURL is not an https://sns.<region>."
                         "amazonaws.com/....pem URL");
    j->sts = dg_buf_detach(&sts);
    dg_buf_cleanup(&sts);
    if (rc != DG_OK) {
        job_finish(j, rc);
        return;
    }
    j->url = dg_strdup(url);
    struct cache_ent *e = cache_find(v, url);
    if (e) {
        v->hits++;
        job_check(j, e);
        return;
    }
    for (struct fetch *f = v->fetching; f; f = f->next)
        if (strcmp(f->url, url) == 0) {
            j->waiting = f;
            return;
        }
    struct fetch *f = dg_calloc(1, sizeof(*f));
    f->v = v;
    f->url = dg_strdup(url);
    f->next = v->fetching;
    v->fetching = f;
    j->waiting = f;
    v->fetches++;
    v->o.fetch(f->url, CERT_MAX_BYTES, fetched, f, v->o.fetch_ctx);
}

static void
fetch_unlink(struct snsverify *v, struct fetch *f)
{
    for (struct fetch **p = &v->fetching; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            return;
        }
}

static void
fetched(dg_rc rc, const char *body, size_t len, const char *errmsg, void *arg)
{
    struct fetch *f = arg;
    struct snsverify *v = f->v;
    if (!v) { /* orphaned by snsverify_free */
        dg_free(f->url);
        dg_free(f);
        return;
    }
    fetch_unlink(v, f);
    struct dg_err err;
    dg_err_clear(&err);
    EVP_PKEY *pub = NULL;
    int64_t not_before = 0, not_after = 0;
    /* Validate as of the earliest waiter's clock. */
    int64_t now = INT64_MAX;
    for (struct job *j = v->jobs; j; j = j->next)
        if (j->waiting == f && j->now_ms < now)
            now = j->now_ms;
    if (rc != DG_OK)
        dg_err_setc(&err, DG_ETRANSIENT, "cert_fetch",
                    "fetching the SNS signing certificate failed: %s",
                    errmsg ? errmsg : dg_rc_name(rc));
    else if (check_cert(v, f->url, body, len, now, &pub, &not_before,
                        &not_after, &err) == DG_OK)
        cache_put(v, f->url, pub, not_before, not_after);
    struct cache_ent *e = pub ? cache_find(v, f->url) : NULL;
    for (struct job *j = v->jobs; j; j = j->next) {
        if (j->waiting != f)
            continue;
        if (e) {
            job_check(j, e);
        } else {
            j->err = err;
            job_finish(j, err.rc ? err.rc : DG_EINVALID);
        }
    }
    dg_free(f->url);
    dg_free(f);
}

/* ---- lifecycle ---------------------------------------------------------- */

dg_rc
snsverify_new(const struct snsverify_opts *o, struct snsverify **out,
              struct dg_err *err)
{
    *out = NULL;
    if (!o->base || !o->fetch)
        return dg_err_setc(err, DG_EINVALID, "bad_opts",
                           "snsverify needs an event base and a fetcher");
    struct snsverify *v = dg_calloc(1, sizeof(*v));
    v->o = *o;
    v->o.test_ca_pem = NULL;
    v->o.test_cert_host = NULL;
    if (v->o.cache_max == 0)
        v->o.cache_max = 8;
    v->cache = dg_calloc(v->o.cache_max, sizeof(*v->cache));
    v->test_host = dg_strdup(o->test_cert_host);
    v->trust = X509_STORE_new();
    if (!v->trust || X509_STORE_set_default_paths(v->trust) != 1) {
        ERR_clear_error();
        snsverify_free(v);
        return dg_err_setc(err, DG_EFATAL, "trust_store",
                           "cannot load the system trust store");
    }
    if (o->test_ca_pem) {
        BIO *bio = BIO_new_mem_buf(o->test_ca_pem, -1);
        X509 *ca = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        int ok = ca && X509_STORE_add_cert(v->trust, ca) == 1;
        X509_free(ca);
        ERR_clear_error();
        if (!ok) {
            snsverify_free(v);
            return dg_err_setc(err, DG_EINVALID, "bad_opts",
                               "test_ca_pem is not a PEM certificate");
        }
    }
    *out = v;
    return DG_OK;
}

void
snsverify_free(struct snsverify *v)
{
    if (!v)
        return;
    while (v->jobs) {
        struct job *j = v->jobs;
        v->jobs = j->next;
        dg_err_setc(&j->err, DG_ECANCELLED, "cancelled",
                    "SNS signature check cancelled at shutdown");
        j->done(DG_ECANCELLED, &j->err, j->ctx);
        job_free(j);
    }
    for (struct fetch *f = v->fetching, *n; f; f = n) {
        n = f->next;
        f->v = NULL; /* the fetcher's completion frees it */
        f->next = NULL;
    }
    for (size_t i = 0; i < v->ncache; i++) {
        dg_free(v->cache[i].url);
        EVP_PKEY_free(v->cache[i].pub);
    }
    dg_free(v->cache);
    dg_free(v->test_host);
    X509_STORE_free(v->trust);
    dg_free(v);
}

void
snsverify_stats(const struct snsverify *v, size_t *cached,
                unsigned long *fetches, unsigned long *hits)
{
    if (cached)
        *cached = v->ncache;
    if (fetches)
        *fetches = v->fetches;
    if (hits)
        *hits = v->hits;
}
