/*
 * test_snsverify.c - SNS message signatures: the string to sign, v1 and
 * v2, tampering, SigningCertURL rules, certificate checks against a test
 * CA (tests/data/sns, made by make.sh there), the cache, fetch failures and
 * cancellation. The fetcher is a scripted fake that answers on the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "json.h"
#include "mem.h"
#include "snsverify.h"
#include "testsupport.h"

#define NOW 1893456000000LL /* 2030-01-01 */
#define URL                                                                    \
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-t.pem"

static struct event_base *base;
static char *ca_pem, *signer_pem, *wrong_pem, *self_pem;
static EVP_PKEY *signer_key;

/* ---- fake fetcher ------------------------------------------------------ */

struct pending {
    struct event *ev;
    snsverify_fetched_fn done;
    void *done_ctx;
    const char *body; /* NULL: fail */
};

static int fetch_calls;
static int fetch_hold; /* 1: do not answer (cancellation test) */
static struct pending *held;
static const char *serve_body; /* what the fetcher returns */

static void
answer(evutil_socket_t fd, short what, void *arg)
{
    struct pending *p = arg;
    (void)fd;
    (void)what;
    if (p->body)
        p->done(DG_OK, p->body, strlen(p->body), NULL, p->done_ctx);
    else
        p->done(DG_ETRANSIENT, NULL, 0, "connection refused", p->done_ctx);
    event_free(p->ev);
    free(p);
}

static void
fake_fetch(const char *url, size_t max_len, snsverify_fetched_fn done,
           void *done_ctx, void *fetch_ctx)
{
    static const struct timeval zero = {0, 0};
    (void)url;
    (void)fetch_ctx;
    ck_assert_uint_ge(max_len, 4096);
    fetch_calls++;
    struct pending *p = calloc(1, sizeof(*p));
    p->done = done;
    p->done_ctx = done_ctx;
    p->body = serve_body;
    p->ev = evtimer_new(base, answer, p);
    if (fetch_hold) {
        held = p;
        return;
    }
    evtimer_add(p->ev, &zero);
}

/* ---- helpers ----------------------------------------------------------- */

static char *
load(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "sns/%s", name);
    char *s = ts_read_file(ts_data(rel), NULL);
    ck_assert_msg(s != NULL, "missing %s", rel);
    return s;
}

static void
setup(void)
{
    base = event_base_new();
    ca_pem = load("ca.pem");
    signer_pem = load("signer.pem");
    wrong_pem = load("wrongname.pem");
    self_pem = load("selfsigned.pem");
    char *k = load("signer.key");
    BIO *b = BIO_new_mem_buf(k, -1);
    signer_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(k);
    ck_assert_ptr_nonnull(signer_key);
    fetch_calls = 0;
    fetch_hold = 0;
    held = NULL;
    serve_body = signer_pem;
}

static void
teardown(void)
{
    free(ca_pem);
    free(signer_pem);
    free(wrong_pem);
    free(self_pem);
    EVP_PKEY_free(signer_key);
    event_base_free(base);
}

static struct snsverify *
verifier(const char *test_ca, size_t cache_max)
{
    struct snsverify_opts o = {
        .base = base,
        .fetch = fake_fetch,
        .cache_max = cache_max,
        .test_ca_pem = test_ca,
        .test_cert_host = "127.0.0.1:8443",
    };
    struct snsverify *v = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(snsverify_new(&o, &v, &err) == DG_OK, "%s", err.msg);
    return v;
}

static cJSON *
envelope_by(EVP_PKEY *key, int version, int with_subject, const char *url)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "Type", "Notification");
    cJSON_AddStringToObject(e, "MessageId",
                            "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324");
    cJSON_AddStringToObject(
        e, "TopicArn", "arn:aws:sns:us-east-1:123456789012:drgate-replies");
    if (with_subject)
        cJSON_AddStringToObject(e, "Subject", "drgate approval");
    cJSON_AddStringToObject(e, "Message",
                            "{\"type\": \"drgate.approval\",\n\"x\": 1}");
    cJSON_AddStringToObject(e, "Timestamp", "2029-12-31T23:59:00.000Z");
    cJSON_AddStringToObject(e, "SignatureVersion", version == 1 ? "1" : "2");
    cJSON_AddStringToObject(e, "SigningCertURL", url ? url : URL);
    cJSON_AddStringToObject(
        e, "UnsubscribeURL",
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe");
    struct dg_buf sts;
    dg_buf_init(&sts, 1 << 20);
    struct dg_err err;
    ck_assert(snsverify_string_to_sign(e, &sts, &err) == DG_OK);
    unsigned char sig[512];
    size_t sl = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ck_assert(EVP_DigestSignInit_ex(ctx, NULL, version == 1 ? "SHA1" : "SHA256",
                                    NULL, NULL, key, NULL) == 1);
    ck_assert(
        EVP_DigestSign(ctx, sig, &sl, (unsigned char *)sts.data, sts.len) == 1);
    EVP_MD_CTX_free(ctx);
    dg_buf_cleanup(&sts);
    char b64[700];
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)sl);
    cJSON_AddStringToObject(e, "Signature", b64);
    return e;
}

static cJSON *
envelope(int version, int with_subject, const char *url)
{
    return envelope_by(signer_key, version, with_subject, url);
}

struct result {
    int calls;
    int returned; /* snsverify_verify had returned when done ran */
    dg_rc rc;
    char code[64];
};

static int in_call;

static void
on_done(dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct result *r = ctx;
    r->calls++;
    r->returned = !in_call;
    r->rc = rc;
    snprintf(r->code, sizeof(r->code), "%s", err ? err->code : "");
}

static void
start(struct snsverify *v, const cJSON *env, int64_t now, struct result *r)
{
    memset(r, 0, sizeof(*r));
    in_call = 1;
    snsverify_verify(v, env, now, on_done, r);
    in_call = 0;
    ck_assert_int_eq(r->calls, 0); /* never synchronous */
}

static dg_rc
run1(struct snsverify *v, const cJSON *env, int64_t now, struct result *r)
{
    start(v, env, now, r);
    ck_assert_int_eq(event_base_dispatch(base), 1); /* no events left */
    ck_assert_int_eq(r->calls, 1);
    ck_assert(r->returned);
    return r->rc;
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(string_to_sign_notification)
{
    cJSON *e =
        cJSON_Parse("{\"Type\":\"Notification\",\"MessageId\":\"m\","
                    "\"TopicArn\":\"t\",\"Subject\":\"s\","
                    "\"Message\":\"a\\nb\",\"Timestamp\":\"ts\","
                    "\"SignatureVersion\":\"1\",\"Signature\":\"x\","
                    "\"SigningCertURL\":\"u\",\"UnsubscribeURL\":\"z\"}");
    struct dg_buf b;
    dg_buf_init(&b, 4096);
    struct dg_err err;
    ck_assert(snsverify_string_to_sign(e, &b, &err) == DG_OK);
    ck_assert_str_eq(dg_buf_str(&b), "Message\na\nb\nMessageId\nm\nSubject\ns\n"
                                     "Timestamp\nts\nTopicArn\nt\nType\n"
                                     "Notification\n");
    /* Without Subject, the key is left out. */
    cJSON_DeleteItemFromObject(e, "Subject");
    dg_buf_reset(&b);
    ck_assert(snsverify_string_to_sign(e, &b, &err) == DG_OK);
    ck_assert_str_eq(dg_buf_str(&b), "Message\na\nb\nMessageId\nm\n"
                                     "Timestamp\nts\nTopicArn\nt\nType\n"
                                     "Notification\n");
    /* A required field missing or not a string. */
    cJSON_ReplaceItemInObject(e, "TopicArn", cJSON_CreateNumber(1));
    ck_assert(snsverify_string_to_sign(e, &b, &err) == DG_EINVALID);
    cJSON_Delete(e);
    dg_buf_cleanup(&b);
}
END_TEST

START_TEST(string_to_sign_confirmation)
{
    const char *types[] = {"SubscriptionConfirmation",
                           "UnsubscribeConfirmation"};
    for (int i = 0; i < 2; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Type", types[i]);
        cJSON_AddStringToObject(e, "MessageId", "m");
        cJSON_AddStringToObject(e, "Token", "tok");
        cJSON_AddStringToObject(e, "TopicArn", "t");
        cJSON_AddStringToObject(e, "Message", "msg");
        cJSON_AddStringToObject(e, "SubscribeURL", "https://x");
        cJSON_AddStringToObject(e, "Timestamp", "ts");
        cJSON_AddStringToObject(e, "Subject", "ignored");
        struct dg_buf b;
        dg_buf_init(&b, 4096);
        struct dg_err err;
        ck_assert(snsverify_string_to_sign(e, &b, &err) == DG_OK);
        char *want = dg_sprintf("Message\nmsg\nMessageId\nm\nSubscribeURL\n"
                                "https://x\nTimestamp\nts\nToken\ntok\n"
                                "TopicArn\nt\nType\n%s\n",
                                types[i]);
        ck_assert_str_eq(dg_buf_str(&b), want);
        dg_free(want);
        cJSON_DeleteItemFromObject(e, "Token");
        dg_buf_reset(&b);
        ck_assert(snsverify_string_to_sign(e, &b, &err) == DG_EINVALID);
        dg_buf_cleanup(&b);
        cJSON_Delete(e);
    }
    cJSON *e = cJSON_Parse("{\"Type\":\"Other\"}");
    struct dg_buf b;
    dg_buf_init(&b, 64);
    struct dg_err err;
    ck_assert(snsverify_string_to_sign(e, &b, &err) == DG_EINVALID);
    dg_buf_cleanup(&b);
    cJSON_Delete(e);
}
END_TEST

static const struct {
    const char *url;
    int ok;
} urls[] = {
    {URL, 1},
    {"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-"
     "f3ecfb7224c7233fe7bb5f59f96de52f.pem",
     1},
    {"https://sns.us-gov-west-1.amazonaws.com/a.pem", 1},
    {"https://sns.cn-north-1.amazonaws.com.cn/a.pem", 1},
    {"https://127.0.0.1:8443/test.pem", 1}, /* the test host */
    {"http://sns.us-east-1.amazonaws.com/a.pem", 0},
    {"https://sns.us-east-1.amazonaws.com/a.crt", 0},
    {"https://sns.us-east-1.amazonaws.com/", 0},
    {"https://sns.us-east-1.amazonaws.com", 0},
    {"https://sns.us-east-1.amazonaws.com:443/a.pem", 0},
    {"https://x@sns.us-east-1.amazonaws.com/a.pem", 0},
    {"https://sns.us-east-1.amazonaws.com/a.pem?x=1", 0},
    {"https://sns.us-east-1.amazonaws.com/a.pem#f", 0},
    {"https://sns.us-east-1.amazonaws.com/../a.pem", 0},
    {"https://sns.us-east-1.amazonaws.com.evil.com/a.pem", 0},
    {"https://sns.evil.amazonaws.com/a.pem", 0},
    {"https://evil.sns.us-east-1.amazonaws.com/a.pem", 0},
    {"https://sqs.us-east-1.amazonaws.com/a.pem", 0},
    {"https://sns.amazonaws.com/a.pem", 0},
    {"https://SNS.US-EAST-1.AMAZONAWS.COM/a.pem", 0},
    {"https://sns.cn-north-1.amazonaws.com/a.pem", 0},
    {"https://sns.us-east-1.amazonaws.com.cn/a.pem", 0},
    {"https://sns.us-east-1.amazonaws.com/a b.pem", 0},
    {"https://127.0.0.1:8444/test.pem", 0},
    {"", 0},
};

START_TEST(cert_url_rules)
{
    ck_assert_msg(snsverify_cert_url_ok(urls[_i].url, "127.0.0.1:8443") ==
                      urls[_i].ok,
                  "%s", urls[_i].url);
    /* Without the test host, only AWS hosts pass. */
    if (strncmp(urls[_i].url, "https://127.", 12) == 0)
        ck_assert(!snsverify_cert_url_ok(urls[_i].url, NULL));
}
END_TEST

START_TEST(v1_and_v2_verify)
{
    struct snsverify *v = verifier(ca_pem, 0);
    struct result r;
    for (int version = 1; version <= 2; version++)
        for (int subj = 0; subj <= 1; subj++) {
            cJSON *e = envelope(version, subj, NULL);
            ck_assert_msg(run1(v, e, NOW, &r) == DG_OK, "v%d subject %d: %s",
                          version, subj, r.code);
            cJSON_Delete(e);
        }
    size_t cached;
    unsigned long fetches, hits;
    snsverify_stats(v, &cached, &fetches, &hits);
    ck_assert_uint_eq(cached, 1);
    ck_assert_uint_eq(fetches, 1); /* one fetch, then the cache */
    ck_assert_uint_eq(hits, 3);
    ck_assert_int_eq(fetch_calls, 1);
    snsverify_free(v);
}
END_TEST

static const char *const tamper_keys[] = {"Message", "Subject", "Timestamp",
                                          "TopicArn", "MessageId"};

START_TEST(tampered_fields_fail)
{
    struct snsverify *v = verifier(ca_pem, 0);
    struct result r;
    for (int version = 1; version <= 2; version++) {
        cJSON *e = envelope(version, 1, NULL);
        cJSON_ReplaceItemInObject(e, tamper_keys[_i],
                                  cJSON_CreateString("2029-12-31T23:59:01Z"));
        ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
        ck_assert_str_eq(r.code, "bad_sns_signature");
        cJSON_Delete(e);
    }
    /* Subject removed after signing (what moto's envelopes amount to). */
    cJSON *e = envelope(2, 1, NULL);
    cJSON_DeleteItemFromObject(e, "Subject");
    ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
    cJSON_Delete(e);
    /* v1 signature presented as v2. */
    e = envelope(1, 1, NULL);
    cJSON_ReplaceItemInObject(e, "SignatureVersion", cJSON_CreateString("2"));
    ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
    cJSON_ReplaceItemInObject(e, "SignatureVersion", cJSON_CreateString("3"));
    ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
    ck_assert_str_eq(r.code, "bad_sns_envelope");
    cJSON_Delete(e);
    snsverify_free(v);
}
END_TEST

START_TEST(bad_cert_url_is_not_fetched)
{
    struct snsverify *v = verifier(ca_pem, 0);
    struct result r;
    cJSON *e = envelope(2, 1, "https://evil.example.com/cert.pem");
    ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
    ck_assert_str_eq(r.code, "bad_cert_url");
    ck_assert_int_eq(fetch_calls, 0);
    cJSON_Delete(e);
    snsverify_free(v);
}
END_TEST

START_TEST(certificate_checks)
{
    struct result r;
    cJSON *e = envelope(2, 1, NULL);
    /* Without the test CA, signer.pem's issuer is unavailable: accepted on
     * the provenance of the fetch, as AWS's own PEMs are (below). */
    struct snsverify *v = verifier(NULL, 0);
    ck_assert_msg(run1(v, e, NOW, &r) == DG_OK, "%s", r.code);
    snsverify_free(v);
    v = verifier(ca_pem, 0);
    /* Wrong name, self-signed, garbage. */
    const char *bodies[] = {wrong_pem, self_pem, "not a certificate"};
    const char *codes[] = {"bad_cert_name", "bad_cert_self_signed", "bad_cert"};
    for (int i = 0; i < 3; i++) {
        serve_body = bodies[i];
        ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
        ck_assert_str_eq(r.code, codes[i]);
    }
    serve_body = signer_pem;
    ck_assert(run1(v, e, 7258118400000LL /* 2200 */, &r) == DG_EINVALID);
    ck_assert_str_eq(r.code, "bad_cert_expired");
    /* Nothing bad was cached: a good certificate now verifies. */
    ck_assert(run1(v, e, NOW, &r) == DG_OK);
    /* Cached, it still expires (checked on the hit, no new fetch). */
    int calls = fetch_calls;
    ck_assert(run1(v, e, 7258118400000LL, &r) == DG_EINVALID);
    ck_assert_str_eq(r.code, "bad_cert_expired");
    ck_assert_int_eq(fetch_calls, calls);
    snsverify_free(v);
    cJSON_Delete(e);
}
END_TEST

/* ---- AWS-shaped chains: root -> intermediate -> leaf -------------------- */

/* The trust configurations a chain leaf meets. REALITY is AWS's: the root
 * in the store (Amazon Root CA 1 is in ca-certificates), the PEM holding
 * the leaf alone, the intermediate nowhere. */
enum { REALITY, NO_ROOT, WITH_INTERMEDIATE, NCONF };
static const char *const conf_name[] = {"root trusted, leaf only",
                                        "nothing trusted, leaf only",
                                        "root trusted, leaf + intermediate"};

static char *
with_intermediate(const char *leaf)
{
    char *inter = load("chainint.pem");
    char *s = dg_sprintf("%s%s", leaf, inter);
    free(inter);
    return s;
}

/* Verifies an envelope signed with key (NULL: signer.key) against the
 * certificate in file under configuration conf; returns the code ("" for
 * DG_OK). */
static const char *
chain_case(const char *file, const char *keyfile, int conf, int64_t now,
           const char *url, struct result *r)
{
    char *leaf = load(file);
    char *root = load("chainroot.pem");
    char *body =
        conf == WITH_INTERMEDIATE ? with_intermediate(leaf) : dg_strdup(leaf);
    EVP_PKEY *key = signer_key;
    if (keyfile) {
        char *k = load(keyfile);
        BIO *b = BIO_new_mem_buf(k, -1);
        key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        BIO_free(b);
        free(k);
        ck_assert_ptr_nonnull(key);
    }
    struct snsverify *v = verifier(conf == NO_ROOT ? NULL : root, 0);
    cJSON *e = envelope_by(key, 2, 1, url);
    serve_body = body;
    dg_rc rc = run1(v, e, now, r);
    ck_assert(rc == DG_OK || rc == DG_EINVALID);
    ck_assert((rc == DG_OK) == (r->code[0] == '\0'));
    snsverify_free(v);
    cJSON_Delete(e);
    if (key != signer_key)
        EVP_PKEY_free(key);
    dg_free(body);
    free(root);
    free(leaf);
    serve_body = signer_pem;
    return r->code;
}

START_TEST(chain_leaf_without_intermediate_accepted)
{
    struct result r;
    /* _i: the configuration; all three verify. */
    ck_assert_msg(
        strcmp(chain_case("chainleaf.pem", NULL, _i, NOW, NULL, &r), "") == 0,
        "%s: %s", conf_name[_i], r.code);
    /* The .cn name is accepted for a .cn URL only. */
    ck_assert_str_eq(chain_case("chaincn.pem", NULL, _i, NOW,
                                "https://sns.cn-north-1.amazonaws.com.cn/a.pem",
                                &r),
                     "");
    ck_assert_str_eq(chain_case("chaincn.pem", NULL, _i, NOW, NULL, &r),
                     "bad_cert_name");
    /* Before its notBefore (the fixtures date from 2026). */
    ck_assert_str_eq(chain_case("chainleaf.pem", NULL, _i,
                                1577836800000LL /* 2020 */, NULL, &r),
                     "bad_cert_not_yet_valid");
}
END_TEST

static const struct {
    const char *file, *key, *code;
} refused[] = {
    {"chainexpired.pem", NULL, "bad_cert_expired"},
    {"selfleaf.pem", NULL, "bad_cert_self_signed"},
    {"chainwrongname.pem", NULL, "bad_cert_name"},
    {"chainca.pem", NULL, "bad_cert_ca"},
    {"chainnoku.pem", NULL, "bad_cert_key_usage"},
    {"chainweak.pem", "chainweak.key", "bad_cert_key"},
};

START_TEST(chain_leaf_refused)
{
    /* The envelope is signed with the leaf's own key: only the certificate
     * check stands between it and DG_OK. */
    for (int conf = 0; conf < NCONF; conf++) {
        struct result r;
        const char *code =
            chain_case(refused[_i].file, refused[_i].key, conf, NOW, NULL, &r);
        ck_assert_msg(strcmp(code, refused[_i].code) == 0, "%s, %s: %s",
                      refused[_i].file, conf_name[conf], code);
    }
}
END_TEST

/* chainleaf.pem with one bit of its signature flipped, as PEM. */
static char *
forged_leaf(void)
{
    char *pem = load("chainleaf.pem");
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    ck_assert_ptr_nonnull(x);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    ck_assert_int_gt(n, 0);
    der[n - 1] ^= 1; /* the signature is the DER's last field */
    const unsigned char *p = der;
    x = d2i_X509(NULL, &p, n);
    OPENSSL_free(der);
    ck_assert_ptr_nonnull(x);
    b = BIO_new(BIO_s_mem());
    ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
    X509_free(x);
    char *data;
    long len = BIO_get_mem_data(b, &data);
    char *out = dg_strndup(data, (size_t)len);
    BIO_free(b);
    return out;
}

START_TEST(chain_bad_signature_refused)
{
    char *forged = forged_leaf();
    char *body = with_intermediate(forged);
    char *root = load("chainroot.pem");
    cJSON *e = envelope(2, 1, NULL);
    struct result r;
    /* With the intermediate in the PEM the leaf's signature is checked,
     * whether or not the root is trusted. */
    for (int trusted = 0; trusted <= 1; trusted++) {
        struct snsverify *v = verifier(trusted ? root : NULL, 0);
        serve_body = body;
        ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
        ck_assert_str_eq(r.code, "bad_cert_chain");
        snsverify_free(v);
    }
    /* The genuine leaf with the same intermediate verifies (the forgery
     * is what failed). */
    char *leaf = load("chainleaf.pem");
    char *good = with_intermediate(leaf);
    struct snsverify *v = verifier(root, 0);
    serve_body = good;
    ck_assert(run1(v, e, NOW, &r) == DG_OK);
    snsverify_free(v);
    serve_body = signer_pem;
    cJSON_Delete(e);
    free(leaf);
    dg_free(good);
    free(root);
    dg_free(body);
    dg_free(forged);
}
END_TEST

START_TEST(chain_leaf_tampered_envelope_refused)
{
    /* The real-AWS shape, a genuine certificate, an edited message. */
    char *leaf = load("chainleaf.pem");
    char *root = load("chainroot.pem");
    struct snsverify *v = verifier(root, 0);
    serve_body = leaf;
    struct result r;
    cJSON *e = envelope(2, 1, NULL);
    ck_assert(run1(v, e, NOW, &r) == DG_OK);
    cJSON_ReplaceItemInObject(
        e, "Message",
        cJSON_CreateString("{\"type\": \"drgate.approval\",\n\"x\": 2}"));
    ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
    ck_assert_str_eq(r.code, "bad_sns_signature");
    cJSON_Delete(e);
    e = envelope(1, 0, NULL);
    cJSON_ReplaceItemInObject(e, "TopicArn",
                              cJSON_CreateString("arn:aws:sns:us-east-1:"
                                                 "123456789012:other"));
    ck_assert(run1(v, e, NOW, &r) == DG_EINVALID);
    ck_assert_str_eq(r.code, "bad_sns_signature");
    cJSON_Delete(e);
    snsverify_free(v);
    serve_body = signer_pem;
    free(root);
    free(leaf);
}
END_TEST

START_TEST(fetch_failure_is_transient)
{
    struct snsverify *v = verifier(ca_pem, 0);
    struct result r;
    cJSON *e = envelope(2, 1, NULL);
    serve_body = NULL;
    ck_assert(run1(v, e, NOW, &r) == DG_ETRANSIENT);
    serve_body = signer_pem;
    ck_assert(run1(v, e, NOW, &r) == DG_OK);
    ck_assert_int_eq(fetch_calls, 2);
    cJSON_Delete(e);
    snsverify_free(v);
}
END_TEST

START_TEST(concurrent_jobs_share_one_fetch)
{
    struct snsverify *v = verifier(ca_pem, 0);
    struct result r[3];
    cJSON *e = envelope(2, 1, NULL);
    cJSON *bad = envelope(2, 1, NULL);
    cJSON_ReplaceItemInObject(bad, "Message", cJSON_CreateString("forged"));
    start(v, e, NOW, &r[0]);
    start(v, bad, NOW, &r[1]);
    start(v, e, NOW, &r[2]);
    ck_assert_int_eq(event_base_dispatch(base), 1);
    ck_assert_int_eq(fetch_calls, 1);
    ck_assert(r[0].calls == 1 && r[0].rc == DG_OK);
    ck_assert(r[1].calls == 1 && r[1].rc == DG_EINVALID);
    ck_assert(r[2].calls == 1 && r[2].rc == DG_OK);
    cJSON_Delete(e);
    cJSON_Delete(bad);
    snsverify_free(v);
}
END_TEST

START_TEST(cache_is_bounded)
{
    struct snsverify *v = verifier(ca_pem, 2);
    struct result r;
    const char *u[] = {
        "https://sns.us-east-1.amazonaws.com/a.pem",
        "https://sns.us-east-2.amazonaws.com/b.pem",
        "https://sns.us-west-2.amazonaws.com/c.pem",
        "https://sns.us-east-1.amazonaws.com/a.pem",
    };
    for (int i = 0; i < 4; i++) {
        cJSON *e = envelope(2, 0, u[i]);
        ck_assert(run1(v, e, NOW, &r) == DG_OK);
        cJSON_Delete(e);
    }
    size_t cached;
    unsigned long fetches, hits;
    snsverify_stats(v, &cached, &fetches, &hits);
    ck_assert_uint_eq(cached, 2);
    ck_assert_uint_eq(fetches, 4); /* a.pem was evicted, fetched again */
    ck_assert_uint_eq(hits, 0);
    snsverify_free(v);
}
END_TEST

START_TEST(shutdown_cancels_pending)
{
    struct snsverify *v = verifier(ca_pem, 0);
    struct result r;
    cJSON *e = envelope(2, 1, NULL);
    fetch_hold = 1;
    start(v, e, NOW, &r);
    ck_assert_ptr_nonnull(held);
    snsverify_free(v);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.rc, DG_ECANCELLED);
    /* The fetcher answers late: the orphan is freed, nothing else runs. */
    static const struct timeval zero = {0, 0};
    evtimer_add(held->ev, &zero);
    ck_assert_int_eq(event_base_dispatch(base), 1);
    ck_assert_int_eq(r.calls, 1);
    cJSON_Delete(e);
}
END_TEST

START_TEST(opts_are_checked)
{
    struct snsverify_opts o = {.base = base};
    struct snsverify *v = NULL;
    struct dg_err err;
    ck_assert(snsverify_new(&o, &v, &err) == DG_EINVALID);
    o.fetch = fake_fetch;
    o.test_ca_pem = "junk";
    ck_assert(snsverify_new(&o, &v, &err) == DG_EINVALID);
    ck_assert_ptr_null(v);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("snsverify");
    TCase *tc = tcase_create("snsverify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, string_to_sign_notification);
    tcase_add_test(tc, string_to_sign_confirmation);
    tcase_add_loop_test(tc, cert_url_rules, 0,
                        (int)(sizeof(urls) / sizeof(urls[0])));
    tcase_add_test(tc, v1_and_v2_verify);
    tcase_add_loop_test(tc, tampered_fields_fail, 0,
                        (int)(sizeof(tamper_keys) / sizeof(tamper_keys[0])));
    tcase_add_test(tc, bad_cert_url_is_not_fetched);
    tcase_add_test(tc, certificate_checks);
    tcase_add_loop_test(tc, chain_leaf_without_intermediate_accepted, 0, NCONF);
    tcase_add_loop_test(tc, chain_leaf_refused, 0,
                        (int)(sizeof(refused) / sizeof(refused[0])));
    tcase_add_test(tc, chain_bad_signature_refused);
    tcase_add_test(tc, chain_leaf_tampered_envelope_refused);
    tcase_add_test(tc, fetch_failure_is_transient);
    tcase_add_test(tc, concurrent_jobs_share_one_fetch);
    tcase_add_test(tc, cache_is_bounded);
    tcase_add_test(tc, shutdown_cancels_pending);
    tcase_add_test(tc, opts_are_checked);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
