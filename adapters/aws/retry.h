#ifndef DRGATE_RETRY_H
#define DRGATE_RETRY_H
/*
 * The AWS SDKs' standard retry mode, pure (botocore 1.43
 * botocore/retries/standard.py and data/_retry.json): which failures are
 * retried, how long to wait (truncated binary exponential backoff with full
 * jitter) and the client-wide retry quota (a token bucket). No clock, no
 * I/O: randomness and time are arguments.
 */
#include <stdint.h>

enum retry_kind {
    RETRY_NONE = 0,   /* not retryable */
    RETRY_TRANSIENT,  /* 500/502/503/504, RequestTimeout, connection errors */
    RETRY_THROTTLING, /* Throttling, SlowDown, 429, ... */
    RETRY_CLOCK_SKEW, /* RequestTimeTooSkewed, ...: retry only after the
                         clock offset was corrected */
};

/* status: HTTP status, 0 when no response arrived. code: the AWS error
 * code or NULL. transport: http's err->code when no response arrived
 * ("dns", "connect", "timeout", "reset", "send", "recv", "tls"), else
 * NULL. */
enum retry_kind retry_classify(long status, const char *code,
                               const char *transport);

/* 1 when the request may have reached the service and taken effect though
 * no definite answer came back: a timeout, reset or send/receive error
 * after connecting, or a 5xx without an AWS error code. A non-idempotent
 * call is never resent then (the client fails it with "unknown_outcome"
 * and the caller re-checks state). */
int retry_outcome_unknown(long status, const char *code, const char *transport);

int retry_is_throttling_code(const char *code);
int retry_is_transient_code(const char *code);
int retry_is_skew_code(const char *code);

#define RETRY_BASE_MS 1000 /* botocore: 2 ** (attempt - 1) seconds */
#define RETRY_MAX_BACKOFF_MS 20000
#define RETRY_SKEW_MIN_MS (4 * 60 * 1000) /* correct offsets above this */

/* Delay before the next attempt after `attempt` (1-based) attempts failed:
 * rnd / 2^32 * min(base_ms * 2^(attempt - 1), max_ms), i.e. uniform in
 * [0, cap). base_ms/max_ms <= 0 take the defaults above. */
int64_t retry_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms,
                         uint32_t rnd);

/* Client-wide retry quota (standard mode): 500 tokens; a retry costs 5
 * (10 after a timeout); a success refunds what its retries cost, or 1 when
 * it needed none. An empty bucket stops retrying until successes refill
 * it. */
#define RETRY_QUOTA_INITIAL 500
#define RETRY_QUOTA_COST 5
#define RETRY_QUOTA_TIMEOUT_COST 10

struct retry_quota {
    int available;
    int max;
};

void retry_quota_init(struct retry_quota *q);
/* Returns the tokens taken (> 0), or 0 when the quota is exhausted. */
int retry_quota_acquire(struct retry_quota *q, int timeout);
/* After a success: tokens = what the call's retries took (0 if none). */
void retry_quota_release(struct retry_quota *q, int tokens);

#endif
