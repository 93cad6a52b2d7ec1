/*
 * test_retry.c - standard-mode retry classification (a table of status,
 * AWS code and transport failure), the unknown-outcome rule, backoff
 * bounds and growth with injected randomness, and the retry quota.
 */
#include <stdint.h>
#include <stdio.h>

#include <check.h>

#include "retry.h"
#include "testsupport.h"

struct class_case {
    long status;
    const char *code;
    const char *transport;
    enum retry_kind want;
    int unknown; /* retry_outcome_unknown */
};

static const struct class_case class_cases[] = {
    /* throttling: botocore ThrottledRetryableChecker + 429/509 */
    {400, "Throttling", NULL, RETRY_THROTTLING, 0},
    {400, "ThrottlingException", NULL, RETRY_THROTTLING, 0},
    {400, "ThrottledException", NULL, RETRY_THROTTLING, 0},
    {400, "RequestThrottledException", NULL, RETRY_THROTTLING, 0},
    {400, "TooManyRequestsException", NULL, RETRY_THROTTLING, 0},
    {400, "ProvisionedThroughputExceededException", NULL, RETRY_THROTTLING, 0},
    {400, "TransactionInProgressException", NULL, RETRY_THROTTLING, 0},
    {400, "RequestLimitExceeded", NULL, RETRY_THROTTLING, 0},
    {400, "BandwidthLimitExceeded", NULL, RETRY_THROTTLING, 0},
    {400, "LimitExceededException", NULL, RETRY_THROTTLING, 0},
    {400, "RequestThrottled", NULL, RETRY_THROTTLING, 0},
    {503, "SlowDown", NULL, RETRY_THROTTLING, 0},
    {400, "PriorRequestNotComplete", NULL, RETRY_THROTTLING, 0},
    {400, "EC2ThrottledException", NULL, RETRY_THROTTLING, 0},
    {429, NULL, NULL, RETRY_THROTTLING, 0},
    {509, NULL, NULL, RETRY_THROTTLING, 1},
    /* transient codes and statuses */
    {400, "RequestTimeout", NULL, RETRY_TRANSIENT, 0},
    {408, "RequestTimeoutException", NULL, RETRY_TRANSIENT, 0},
    {500, "InternalError", NULL, RETRY_TRANSIENT, 0},
    {500, NULL, NULL, RETRY_TRANSIENT, 1},
    {502, NULL, NULL, RETRY_TRANSIENT, 1},
    {503, "ServiceUnavailable", NULL, RETRY_TRANSIENT, 0},
    {503, "", NULL, RETRY_TRANSIENT, 1},
    {504, NULL, NULL, RETRY_TRANSIENT, 1},
    {501, NULL, NULL, RETRY_NONE, 1},
    /* transport failures: dns/connect never sent the request */
    {0, NULL, "dns", RETRY_TRANSIENT, 0},
    {0, NULL, "connect", RETRY_TRANSIENT, 0},
    {0, NULL, "timeout", RETRY_TRANSIENT, 1},
    {0, NULL, "reset", RETRY_TRANSIENT, 1},
    {0, NULL, "send", RETRY_TRANSIENT, 1},
    {0, NULL, "recv", RETRY_TRANSIENT, 1},
    {0, NULL, "tls", RETRY_NONE, 0},
    {0, NULL, NULL, RETRY_NONE, 0},
    /* clock skew */
    {403, "RequestTimeTooSkewed", NULL, RETRY_CLOCK_SKEW, 0},
    {400, "RequestExpired", NULL, RETRY_CLOCK_SKEW, 0},
    {400, "InvalidSignatureException", NULL, RETRY_CLOCK_SKEW, 0},
    {403, "SignatureDoesNotMatch", NULL, RETRY_CLOCK_SKEW, 0},
    {401, "AuthFailure", NULL, RETRY_CLOCK_SKEW, 0},
    {400, "RequestInTheFuture", NULL, RETRY_CLOCK_SKEW, 0},
    /* not retryable */
    {400, "ValidationError", NULL, RETRY_NONE, 0},
    {400, "InvalidParameterValue", NULL, RETRY_NONE, 0},
    {404, "NoSuchHostedZone", NULL, RETRY_NONE, 0},
    {403, "AccessDenied", NULL, RETRY_NONE, 0},
    {409, "InvalidGlobalClusterStateFault", NULL, RETRY_NONE, 0},
    {400, "throttling", NULL, RETRY_NONE, 0}, /* codes are case-sensitive */
    {200, NULL, NULL, RETRY_NONE, 0},
};

START_TEST(classify)
{
    const struct class_case *c = &class_cases[_i];
    ck_assert_msg(retry_classify(c->status, c->code, c->transport) == c->want,
                  "case %d: %ld %s %s", _i, c->status, c->code ? c->code : "-",
                  c->transport ? c->transport : "-");
    ck_assert_msg(retry_outcome_unknown(c->status, c->code, c->transport) ==
                      c->unknown,
                  "unknown-outcome case %d", _i);
}
END_TEST

START_TEST(backoff_bounds)
{
    /* With the maximal random value the delay approaches the cap from
     * below; with 0 it is 0; caps double to the maximum. */
    static const int64_t caps[] = {1000, 2000, 4000, 8000, 16000, 20000, 20000};
    for (int a = 1; a <= 7; a++) {
        int64_t cap = caps[a - 1];
        ck_assert_int_eq(retry_backoff_ms(a, 0, 0, 0), 0);
        int64_t hi = retry_backoff_ms(a, 0, 0, UINT32_MAX);
        ck_assert_int_lt(hi, cap);
        ck_assert_int_ge(hi, cap - 1);
        ck_assert_int_eq(retry_backoff_ms(a, 0, 0, 0x80000000u), cap / 2);
    }
    ck_assert_int_eq(retry_backoff_ms(40, 0, 0, UINT32_MAX), 19999);
    ck_assert_int_eq(retry_backoff_ms(0, 0, 0, 0x80000000u), 500);
    ck_assert_int_eq(retry_backoff_ms(3, 100, 350, 0x80000000u), 175);
}
END_TEST

/* xorshift32: a deterministic stand-in for RAND_bytes */
static uint32_t
next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

START_TEST(backoff_jitter_grows)
{
    uint32_t seed = 12345;
    double mean_prev = 0;
    for (int a = 1; a <= 5; a++) {
        int64_t cap = 100LL << (a - 1);
        int64_t lo = cap, hi = 0;
        double sum = 0;
        for (int i = 0; i < 1000; i++) {
            int64_t d = retry_backoff_ms(a, 100, 20000, next_rand(&seed));
            ck_assert_int_ge(d, 0);
            ck_assert_int_lt(d, cap);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            sum += (double)d;
        }
        double mean = sum / 1000;
        printf("attempt %d: cap %lld ms, delays %lld..%lld, mean %.1f\n", a,
               (long long)cap, (long long)lo, (long long)hi, mean);
        ck_assert_int_lt(lo, hi); /* jittered */
        /* full jitter: the mean is about cap/2 (loose: 35%..65%) */
        ck_assert(mean > 0.35 * (double)cap && mean < 0.65 * (double)cap);
        ck_assert(mean > mean_prev);
        mean_prev = mean;
    }
}
END_TEST

START_TEST(quota)
{
    struct retry_quota q;
    retry_quota_init(&q);
    ck_assert_int_eq(q.available, RETRY_QUOTA_INITIAL);
    ck_assert_int_eq(retry_quota_acquire(&q, 0), RETRY_QUOTA_COST);
    ck_assert_int_eq(retry_quota_acquire(&q, 1), RETRY_QUOTA_TIMEOUT_COST);
    ck_assert_int_eq(q.available, 485);
    retry_quota_release(&q, 15);
    ck_assert_int_eq(q.available, 500);
    retry_quota_release(&q, 0); /* capped at the maximum */
    ck_assert_int_eq(q.available, 500);
    int n = 0;
    while (retry_quota_acquire(&q, 0))
        n++;
    ck_assert_int_eq(n, 100);
    ck_assert_int_eq(retry_quota_acquire(&q, 0), 0);
    retry_quota_release(&q, 0); /* a success without retries refunds 1 */
    ck_assert_int_eq(q.available, 1);
}
END_TEST

START_TEST(code_lists)
{
    ck_assert(retry_is_throttling_code("SlowDown"));
    ck_assert(!retry_is_throttling_code(NULL));
    ck_assert(!retry_is_throttling_code(""));
    ck_assert(retry_is_transient_code("RequestTimeout"));
    ck_assert(retry_is_skew_code("RequestTimeTooSkewed"));
    ck_assert(!retry_is_skew_code("Throttling"));
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("retry");
    tcase_add_loop_test(tc, classify, 0,
                        (int)(sizeof(class_cases) / sizeof(class_cases[0])));
    tcase_add_test(tc, backoff_bounds);
    tcase_add_test(tc, backoff_jitter_grows);
    tcase_add_test(tc, quota);
    tcase_add_test(tc, code_lists);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
