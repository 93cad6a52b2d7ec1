#ifndef DRGATE_SNSVERIFY_H
#define DRGATE_SNSVERIFY_H
/*
 * SNS message signatures (SignatureVersion 1: SHA1withRSA, 2:
 * SHA256withRSA) for SNS-delivered approval replies. The signing
 * certificate is fetched through a caller-supplied asynchronous fetcher
 * (the daemon's HTTP engine, verified TLS), checked (a chain to the system
 * trust store, or only its issuer missing, as with AWS's PEMs; names
 * sns.amazonaws.com; a non-CA RSA >= 2048 leaf within its validity; see
 * snsverify.c), and cached by URL.
 */
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

struct event_base;
typedef struct evp_pkey_st EVP_PKEY;

/* Called by the fetcher exactly once, never from inside fetch(): DG_OK
 * with the body, or an error with a message. body is borrowed. */
typedef void (*snsverify_fetched_fn)(dg_rc rc, const char *body, size_t len,
                                     const char *errmsg, void *done_ctx);
/* GETs url (https, at most max_len bytes of body) and calls done. */
typedef void (*snsverify_fetch_fn)(const char *url, size_t max_len,
                                   snsverify_fetched_fn done, void *done_ctx,
                                   void *fetch_ctx);

struct snsverify_opts {
    struct event_base *base; /* completions are deferred on it (required) */
    snsverify_fetch_fn fetch;
    void *fetch_ctx;
    size_t cache_max; /* certificates kept by URL; 0: 8 */
    /* TEST ONLY, through this C API, never from configuration: an extra
     * trusted CA (PEM) and an extra host accepted in SigningCertURL. */
    const char *test_ca_pem;
    const char *test_cert_host;
};

struct snsverify;

/* DG_EINVALID when base or fetch is missing or test_ca_pem does not
 * parse; DG_EFATAL when the trust store cannot be set up. */
dg_rc snsverify_new(const struct snsverify_opts *o, struct snsverify **out,
                    struct dg_err *err);
/* Completes every pending verification with DG_ECANCELLED first. */
void snsverify_free(struct snsverify *v); /* accepts NULL */

/* Completion: DG_OK when the envelope's signature verifies; DG_EINVALID
 * (code "bad_sns_signature", "bad_cert_url", "bad_cert", "bad_cert_<why>"
 * for a refused certificate, ...) when it
 * does not; DG_ETRANSIENT when the certificate could not be fetched;
 * DG_ECANCELLED at shutdown. err is valid during the call only. */
typedef void (*snsverify_done_fn)(dg_rc rc, const struct dg_err *err,
                                  void *ctx);
/* Verifies env (an SNS envelope object, borrowed for this call only) as of
 * now_ms. Calls done exactly once, never synchronously. */
void snsverify_verify(struct snsverify *v, const cJSON *env, int64_t now_ms,
                      snsverify_done_fn done, void *ctx);
/* Cache counters, for tests and status. */
void snsverify_stats(const struct snsverify *v, size_t *cached,
                     unsigned long *fetches, unsigned long *hits);

/* ---- pure parts --------------------------------------------------------- */

/* Appends the string AWS signs for env: for Notification Message,
 * MessageId, Subject (when present), Timestamp, TopicArn, Type; for
 * SubscriptionConfirmation and UnsubscribeConfirmation Message, MessageId,
 * SubscribeURL, Timestamp, Token, TopicArn, Type; each "Key\nValue\n".
 * DG_EINVALID for another Type or a missing or non-string field. */
dg_rc snsverify_string_to_sign(const cJSON *env, struct dg_buf *out,
                               struct dg_err *err);
/* 1 when url is https://sns.<region>.amazonaws.com/<path>.pem (or
 * .amazonaws.com.cn for cn- regions), or https://<test_host>/<path>.pem
 * when test_host is given; no port, user, query or fragment. */
int snsverify_cert_url_ok(const char *url, const char *test_host);
/* Verifies env's Signature (version 1 or 2) with pub. DG_EINVALID with
 * code "bad_sns_signature" when it does not verify. */
dg_rc snsverify_check_signature(EVP_PKEY *pub, const cJSON *env,
                                struct dg_err *err);

#endif
