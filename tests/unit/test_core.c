/*
 * test_core.c - buf, json (bounded parse, canonical form), timefmt, digest.
 */
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "buf.h"
#include "digest.h"
#include "json.h"
#include "mem.h"
#include "testsupport.h"
#include "timefmt.h"

START_TEST(buf_respects_max)
{
    struct dg_buf b;
    dg_buf_init(&b, 8);
    ck_assert_int_eq(dg_buf_addstr(&b, "12345678"), DG_OK);
    ck_assert_int_eq(dg_buf_addc(&b, 'x'), DG_EINVALID);
    ck_assert_str_eq(dg_buf_str(&b), "12345678");
    dg_buf_reset(&b);
    ck_assert_int_eq(dg_buf_printf(&b, "%d-%s", 42, "ab"), DG_OK);
    ck_assert_str_eq(dg_buf_str(&b), "42-ab");
    char *s = dg_buf_detach(&b);
    ck_assert_str_eq(s, "42-ab");
    dg_free(s);
    ck_assert_str_eq(dg_buf_str(&b), "");
    dg_buf_cleanup(&b);
}
END_TEST

static const struct {
    const char *in;
    const char *canonical; /* NULL: parse must fail */
    const char *code;
} json_cases[] = {
    {"{\"b\":1,\"a\":[true,false,null],\"c\":\"x\"}",
     "{\"a\":[true,false,null],\"b\":1,\"c\":\"x\"}", NULL},
    {" { \"z\" : { \"y\" : 2 , \"x\" : 1.5 } } \n",
     "{\"z\":{\"x\":1.5,\"y\":2}}", NULL},
    {"{\"s\":\"tab\\there \\\"q\\\" \\u00e9\"}",
     "{\"s\":\"tab\\u0009here \\\"q\\\" \xc3\xa9\"}", NULL},
    {"[1e3, -0, 12345678901234]", "[1000,0,12345678901234]", NULL},
    {"{\"a\":1,\"a\":2}", NULL, "duplicate_key"},
    {"{\"a\":1} x", NULL, "bad_json"},
    {"{\"a\":", NULL, "bad_json"},
    {"", NULL, "bad_json"},
};

START_TEST(json_canonical_table)
{
    struct dg_err err;
    dg_err_clear(&err);
    const char *in = json_cases[_i].in;
    cJSON *v = dg_json_parse(in, strlen(in), 1024, 64, &err);
    if (!json_cases[_i].canonical) {
        ck_assert_ptr_null(v);
        ck_assert_str_eq(err.code, json_cases[_i].code);
        return;
    }
    ck_assert_ptr_nonnull(v);
    char *c = dg_json_canonical_str(v, 4096);
    ck_assert_str_eq(c, json_cases[_i].canonical);
    dg_free(c);
    cJSON_Delete(v);
}
END_TEST

START_TEST(json_bounds)
{
    struct dg_err err;
    char deep[200];
    int n = 0;
    for (int i = 0; i < 65; i++)
        deep[n++] = '[';
    for (int i = 0; i < 65; i++)
        deep[n++] = ']';
    dg_err_clear(&err);
    ck_assert_ptr_null(dg_json_parse(deep, (size_t)n, 1024, 64, &err));
    ck_assert_str_eq(err.code, "too_deep");
    /* 64 levels are fine; brackets inside strings do not count. */
    cJSON *ok = dg_json_parse(deep + 1, (size_t)n - 2, 1024, 64, &err);
    ck_assert_ptr_nonnull(ok);
    cJSON_Delete(ok);
    const char *s = "{\"a\":\"[[[[[[[[[[[[[[\"}";
    ok = dg_json_parse(s, strlen(s), 1024, 2, &err);
    ck_assert_ptr_nonnull(ok);
    cJSON_Delete(ok);
    dg_err_clear(&err);
    ck_assert_ptr_null(dg_json_parse("[1,2]", 5, 4, 64, &err));
    ck_assert_str_eq(err.code, "too_large");
    ck_assert_ptr_null(dg_json_parse("[1,\0]", 5, 40, 64, &err));
}
END_TEST

START_TEST(json_pointer_escapes)
{
    struct dg_buf b;
    dg_buf_init(&b, 64);
    ck_assert_int_eq(dg_json_ptr_add(&b, "a/b~c"), DG_OK);
    ck_assert_str_eq(dg_buf_str(&b), "/a~1b~0c");
    dg_buf_cleanup(&b);
}
END_TEST

static const struct {
    const char *in;
    long long ms; /* -1: must fail */
} time_cases[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2026-01-01T00:00:00.000+0000", 1767225600000LL},
    {"2026-01-01T00:00:00.5Z", 1767225600500LL},
    {"2026-01-01T01:00:00+01:00", 1767225600000LL},
    {"2025-12-31T19:00:00.123456-0500", 1767225600123LL},
    {"2024-02-29T12:00:00Z", 1709208000000LL},
    {"2023-02-29T12:00:00Z", -1},
    {"2026-13-01T00:00:00Z", -1},
    {"2026-01-01 00:00:00Z", -1},
    {"2026-01-01T00:00:00", -1},
    {"2026-01-01T00:00:00Zjunk", -1},
    {"", -1},
};

START_TEST(time_parse_table)
{
    int64_t ms = 0;
    int rc = timefmt_parse(time_cases[_i].in, &ms);
    if (time_cases[_i].ms < 0) {
        ck_assert_int_eq(rc, -1);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(ms, time_cases[_i].ms);
    }
}
END_TEST

START_TEST(time_format_roundtrip)
{
    char s[DG_TIME_STR_LEN];
    timefmt_format(1767225635123LL, s);
    ck_assert_str_eq(s, "2026-01-01T00:00:35.123Z");
    int64_t back = 0;
    ck_assert_int_eq(timefmt_parse(s, &back), 0);
    ck_assert_int_eq(back, 1767225635123LL);
    timefmt_format(951782400000LL, s); /* 2000-02-29 */
    ck_assert_str_eq(s, "2000-02-29T00:00:00.000Z");
}
END_TEST

START_TEST(sha256_known_vector)
{
    char hex[DG_SHA256_HEX_LEN + 1];
    digest_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

static const struct {
    const char *in;
    const char *region; /* NULL: not an ARN */
    const char *service, *resource;
} arn_cases[] = {
    {"arn:aws:rds:us-west-2:123456789012:cluster:orders-west", "us-west-2",
     "rds", "cluster:orders-west"},
    {"arn:aws:rds::123456789012:global-cluster:g", "", "rds",
     "global-cluster:g"},
    {"arn:aws-cn:sns:cn-north-1:1:topic", "cn-north-1", "sns", "topic"},
    {"arn:aws:s3:::bucket/key:with:colons", "", "s3", "bucket/key:with:colons"},
    {"arn:aws:rds:us-west-2:1:", NULL, NULL, NULL},  /* no resource */
    {"arn:aws:rds:us-west-2", NULL, NULL, NULL},     /* too few fields */
    {"arn::rds:us-west-2:1:db:x", NULL, NULL, NULL}, /* no partition */
    {"arn:aws::us-west-2:1:db:x", NULL, NULL, NULL}, /* no service */
    {"orders-west", NULL, NULL, NULL},
    {"ARN:aws:rds:us-west-2:1:db:x", NULL, NULL, NULL},
    {"", NULL, NULL, NULL},
};

START_TEST(arn_table)
{
    struct dg_arn a;
    char region[16];
    int ok = dg_arn_parse(arn_cases[_i].in, &a);
    ck_assert_int_eq(ok, arn_cases[_i].region != NULL);
    if (!ok)
        return;
    ck_assert(dg_arn_is(&a, DG_ARN_SERVICE, arn_cases[_i].service));
    ck_assert_str_eq(a.f[DG_ARN_RESOURCE], arn_cases[_i].resource);
    ck_assert_int_eq(dg_arn_copy(&a, DG_ARN_REGION, region, sizeof(region)),
                     arn_cases[_i].region[0] != '\0');
    if (arn_cases[_i].region[0])
        ck_assert_str_eq(region, arn_cases[_i].region);
    /* too small a buffer: refused, not truncated */
    ck_assert(!dg_arn_copy(&a, DG_ARN_SERVICE, region, a.len[DG_ARN_SERVICE]));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, buf_respects_max);
    tcase_add_loop_test(tc, json_canonical_table, 0,
                        sizeof(json_cases) / sizeof(json_cases[0]));
    tcase_add_test(tc, json_bounds);
    tcase_add_test(tc, json_pointer_escapes);
    tcase_add_loop_test(tc, time_parse_table, 0,
                        sizeof(time_cases) / sizeof(time_cases[0]));
    tcase_add_test(tc, time_format_roundtrip);
    tcase_add_test(tc, sha256_known_vector);
    tcase_add_loop_test(tc, arn_table, 0,
                        sizeof(arn_cases) / sizeof(arn_cases[0]));
    suite_add_tcase(s, tc);
    return ts_run(s);
}
