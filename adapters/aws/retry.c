/*
 * retry.c - standard-mode retry classification, backoff and quota. Pure.
 *
 * The code lists mirror botocore 1.43 (retries/standard.py,
 * ThrottledRetryableChecker and TransientRetryableChecker, plus the 429
 * and 509 statuses of data/_retry.json). Clock-skew codes are the ones the
 * AWS SDKs for Java and Go correct for (botocore has no skew correction).
 * Divergence: a TLS failure ("tls", e.g. a certificate that does not
 * verify) is not retried; botocore would retry SSLError.
 */
#include "retry.h"

#include <string.h>

static const char *const throttling_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

static const char *const transient_codes[] = {
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
};

static const char *const skew_codes[] = {
    "RequestTimeTooSkewed",  "RequestExpired", "InvalidSignatureException",
    "SignatureDoesNotMatch", "AuthFailure",    "RequestInTheFuture",
};

static int
in_list(const char *code, const char *const *list, size_t n)
{
    if (!code || !*code)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

#define IN(code, list) in_list(code, list, sizeof(list) / sizeof(list[0]))

int
retry_is_throttling_code(const char *code)
{
    return IN(code, throttling_codes);
}

int
retry_is_transient_code(const char *code)
{
    return IN(code, transient_codes);
}

int
retry_is_skew_code(const char *code)
{
    return IN(code, skew_codes);
}

static int
transport_retryable(const char *t)
{
    static const char *const ok[] = {"dns",   "connect", "timeout",
                                     "reset", "send",    "recv"};
    return IN(t, ok);
}

enum retry_kind
retry_classify(long status, const char *code, const char *transport)
{
    if (status == 0)
        return transport_retryable(transport) ? RETRY_TRANSIENT : RETRY_NONE;
    if (status >= 200 && status < 300)
        return RETRY_NONE;
    if (retry_is_throttling_code(code) || status == 429 || status == 509)
        return RETRY_THROTTLING;
    if (retry_is_transient_code(code))
        return RETRY_TRANSIENT;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return RETRY_TRANSIENT;
    if (retry_is_skew_code(code))
        return RETRY_CLOCK_SKEW;
    return RETRY_NONE;
}

int
retry_outcome_unknown(long status, const char *code, const char *transport)
{
    if (status == 0) {
        static const char *const unknown[] = {"timeout", "reset", "send",
                                              "recv"};
        return IN(transport, unknown);
    }
    return status >= 500 && (!code || !*code);
}

int64_t
retry_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t rnd)
{
    if (base_ms <= 0)
        base_ms = RETRY_BASE_MS;
    if (max_ms <= 0)
        max_ms = RETRY_MAX_BACKOFF_MS;
    if (attempt < 1)
        attempt = 1;
    int64_t cap = base_ms;
    for (int i = 1; i < attempt && cap < max_ms; i++)
        cap *= 2;
    if (cap > max_ms)
        cap = max_ms;
    /* rnd / 2^32 in [0, 1): the delay is in [0, cap). */
    return (int64_t)(((uint64_t)cap * rnd) >> 32);
}

void
retry_quota_init(struct retry_quota *q)
{
    q->available = q->max = RETRY_QUOTA_INITIAL;
}

int
retry_quota_acquire(struct retry_quota *q, int timeout)
{
    int cost = timeout ? RETRY_QUOTA_TIMEOUT_COST : RETRY_QUOTA_COST;
    if (q->available < cost)
        return 0;
    q->available -= cost;
    return cost;
}

void
retry_quota_release(struct retry_quota *q, int tokens)
{
    q->available += tokens > 0 ? tokens : 1;
    if (q->available > q->max)
        q->available = q->max;
}
