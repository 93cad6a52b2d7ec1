/*
 * test_sigv4.c - table tests for the SigV4 stages: URI encoding, path
 * canonicalization, query sorting, header canonicalization, bounds, the
 * signing key (AWS documentation example), dates and the assembled result.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>

#include "digest.h"
#include "mem.h"
#include "sigv4.h"
#include "testsupport.h"

#define EMPTY_SHA256                                                           \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct str_case {
    const char *in;
    const char *want; /* NULL: expect DG_EINVALID */
};

static const struct str_case encode_cases[] = {
    {"", ""},
    {"AZaz09-._~", "AZaz09-._~"},
    {"a b", "a%20b"},
    {"/a/b", "%2Fa%2Fb"},
    {"%", "%25"},
    {"+=&?#", "%2B%3D%26%3F%23"},
    {"\xe1\x88\xb4", "%E1%88%B4"},
    {"\x7f\x80\xff", "%7F%80%FF"},
};

START_TEST(test_sigv4_uri_encode)
{
    const struct str_case *c = &encode_cases[_i];
    struct dg_buf b;
    dg_buf_init(&b, 1024);
    ck_assert_int_eq(sigv4_uri_encode(c->in, strlen(c->in), 0, &b, NULL),
                     DG_OK);
    ck_assert_str_eq(dg_buf_str(&b), c->want);
    dg_buf_cleanup(&b);
}

END_TEST

struct path_case {
    const char *in;
    unsigned flags;
    const char *want; /* NULL: expect DG_EINVALID */
};

static const struct path_case path_cases[] = {
    {"", SIGV4_FLAGS_DEFAULT, "/"},
    {"/", SIGV4_FLAGS_DEFAULT, "/"},
    {"//", SIGV4_FLAGS_DEFAULT, "/"},
    {"//example//", SIGV4_FLAGS_DEFAULT, "/example/"},
    {"/example/..", SIGV4_FLAGS_DEFAULT, "/"},
    {"/a/b/../c/./d", SIGV4_FLAGS_DEFAULT, "/a/c/d"},
    {"/a/b/..", SIGV4_FLAGS_DEFAULT, "/a"},
    {"/../..", SIGV4_FLAGS_DEFAULT, "/"},
    {"/./example", SIGV4_FLAGS_DEFAULT, "/example"},
    {"/example space/", SIGV4_FLAGS_DEFAULT, "/example%20space/"},
    {"/a%2Fb", SIGV4_FLAGS_DEFAULT, "/a%252Fb"},
    {"/%2E%2E/x", SIGV4_FLAGS_DEFAULT, "/%252E%252E/x"},
    {"/\xe1\x88\xb4", SIGV4_FLAGS_DEFAULT, "/%E1%88%B4"},
    {"/a:b@c!$", SIGV4_FLAGS_DEFAULT, "/a%3Ab%40c%21%24"},
    {"/example/..", SIGV4_ENCODE_PATH, "/example/.."},
    {"//example//", SIGV4_ENCODE_PATH, "//example//"},
    {"/a b/%2F/../", SIGV4_FLAGS_S3, "/a b/%2F/../"},
    {"noslash", SIGV4_FLAGS_DEFAULT, NULL},
    {"/a\nb", SIGV4_FLAGS_DEFAULT, NULL},
};

START_TEST(test_sigv4_canonical_path)
{
    const struct path_case *c = &path_cases[_i];
    struct dg_buf b;
    dg_buf_init(&b, 1024);
    dg_rc rc = sigv4_canonical_path(c->in, c->flags, &b, NULL);
    if (c->want) {
        ck_assert_int_eq(rc, DG_OK);
        ck_assert_str_eq(dg_buf_str(&b), c->want);
    } else {
        ck_assert_int_eq(rc, DG_EINVALID);
    }
    dg_buf_cleanup(&b);
}

END_TEST

static const struct str_case query_cases[] = {
    {"", ""},
    {"Param1=value1", "Param1=value1"},
    {"Param2=b&Param1=a", "Param1=a&Param2=b"},
    {"a=2&a=1&a=10", "a=1&a=10&a=2"},
    {"Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
     "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"},
    {"\xe1\x88\xb4=bar", "%E1%88%B4=bar"},
    {"b=&a", "a=&b="},
    {"a&&b=1&", "a=&b=1"},
    {"a=1&A=2&B=3&b=4", "A=2&B=3&a=1&b=4"},
    /* key-then-value sorting, not "key=value" string sorting */
    {"a-b=1&a=2", "a=2&a-b=1"},
    {"k=a%2fb", "k=a%2Fb"},
    {"k=a b+c", "k=a%20b%2Bc"},
    {"k=%7e%41", "k=~A"},
    {"k=x=y", "k=x%3Dy"},
    {"k=%", NULL},
    {"k=%4", NULL},
    {"k=%zz", NULL},
    {"k=a\tb", NULL},
};

START_TEST(test_sigv4_canonical_query)
{
    const struct str_case *c = &query_cases[_i];
    struct dg_buf b;
    dg_buf_init(&b, 4096);
    dg_rc rc = sigv4_canonical_query(c->in, &b, NULL);
    if (c->want) {
        ck_assert_int_eq(rc, DG_OK);
        ck_assert_str_eq(dg_buf_str(&b), c->want);
    } else {
        ck_assert_int_eq(rc, DG_EINVALID);
    }
    dg_buf_cleanup(&b);
}

END_TEST

static const struct str_case value_cases[] = {
    {"", ""},
    {"   ", ""},
    {"value1", "value1"},
    {" value1 ", "value1"},
    {"\"a   b   c\"", "\"a b c\""},
    {"value1\n  value2\n     value3", "value1 value2 value3"},
    {"\ta \t\r\n b\t", "a b"},
    {"a\x0b\x0c"
     "b",
     "a b"},
    {"a\x01"
     "b",
     NULL},
    {"a\x7f", NULL},
};

START_TEST(test_sigv4_header_value)
{
    const struct str_case *c = &value_cases[_i];
    struct dg_buf b;
    dg_buf_init(&b, 4096);
    dg_rc rc = sigv4_canonical_header_value(c->in, &b, NULL);
    if (c->want) {
        ck_assert_int_eq(rc, DG_OK);
        ck_assert_str_eq(dg_buf_str(&b), c->want);
    } else {
        ck_assert_int_eq(rc, DG_EINVALID);
    }
    dg_buf_cleanup(&b);
}

END_TEST

START_TEST(test_sigv4_header_excluded)
{
    ck_assert(sigv4_header_excluded("User-Agent"));
    ck_assert(sigv4_header_excluded("expect"));
    ck_assert(sigv4_header_excluded("X-Amzn-Trace-Id"));
    ck_assert(sigv4_header_excluded("TE"));
    ck_assert(!sigv4_header_excluded("host"));
    ck_assert(!sigv4_header_excluded("x-amz-target"));
    ck_assert(!sigv4_header_excluded("content-type"));
}

END_TEST

static void
base_params(struct sigv4_params *p)
{
    memset(p, 0, sizeof(*p));
    p->service = "service";
    p->region = "us-east-1";
    p->amz_date = "20150830T123600Z";
    p->flags = SIGV4_FLAGS_DEFAULT;
    p->creds.access_key_id = "AKIDEXAMPLE";
    p->creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
}

START_TEST(test_sigv4_canonical_headers)
{
    static const struct sigv4_header hs[] = {
        {"My-Header1", "  b  "}, {"User-Agent", "curl/8"},
        {"my-header1", "a"},     {"Host", "example.amazonaws.com"},
        {"X-Zeta", "z\n   z"},   {"Content-Type", "text/plain"},
        {"MY-HEADER1", "c   d"}, {"Expect", "100-continue"},
    };
    struct sigv4_request req = {
        .method = "GET",
        .path = "/",
        .headers = hs,
        .n_headers = sizeof(hs) / sizeof(hs[0]),
    };
    struct sigv4_params p;
    base_params(&p);
    p.creds.session_token = "tok/en==";
    struct dg_buf cr, sh;
    dg_buf_init(&cr, 65536);
    dg_buf_init(&sh, 4096);
    char ph[SIGV4_SIG_HEX_LEN + 1];
    ck_assert_int_eq(sigv4_canonical_request(&req, &p, &cr, &sh, ph, NULL),
                     DG_OK);
    ck_assert_str_eq(dg_buf_str(&cr),
                     "GET\n/\n\n"
                     "content-type:text/plain\n"
                     "host:example.amazonaws.com\n"
                     "my-header1:b,a,c d\n"
                     "x-amz-date:20150830T123600Z\n"
                     "x-amz-security-token:tok/en==\n"
                     "x-zeta:z z\n"
                     "\n"
                     "content-type;host;my-header1;"
                     "x-amz-date;x-amz-security-token;x-zeta\n" EMPTY_SHA256);
    ck_assert_str_eq(dg_buf_str(&sh), "content-type;host;my-header1;"
                                      "x-amz-date;x-amz-security-token;x-zeta");
    ck_assert_str_eq(ph, EMPTY_SHA256);
    dg_buf_cleanup(&cr);
    dg_buf_cleanup(&sh);
}

END_TEST

/* Inputs the signer refuses; each one a DG_EINVALID. */
START_TEST(test_sigv4_rejects)
{
    static const struct sigv4_header date_h[] = {{"X-Amz-Date", "x"}};
    static const struct sigv4_header auth_h[] = {{"authorization", "x"}};
    static const struct sigv4_header bad_name[] = {{"Bad Name", "x"}};
    static const struct sigv4_header empty_name[] = {{"", "x"}};
    static const struct sigv4_header ctl_value[] = {{"x", "a\x01"}};

    struct {
        const struct sigv4_header *h;
        size_t n;
        const char *host;
        const char *date;
        const char *hash;
    } cases[] = {
        {date_h, 1, "h", "20150830T123600Z", NULL},
        {auth_h, 1, "h", "20150830T123600Z", NULL},
        {bad_name, 1, "h", "20150830T123600Z", NULL},
        {empty_name, 1, "h", "20150830T123600Z", NULL},
        {ctl_value, 1, "h", "20150830T123600Z", NULL},
        {NULL, 0, NULL, "20150830T123600Z", NULL},
        {NULL, 0, "bad host", "20150830T123600Z", NULL},
        {NULL, 0, "h", "2015-08-30T12:36:00Z", NULL},
        {NULL, 0, "h", "20150830T123600", NULL},
        {NULL, 0, "h", "20150830X123600Z", NULL},
        {NULL, 0, "h", "20150830T123600Z", "not hex!"},
        {NULL, 0, "h", "20150830T123600Z", ""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sigv4_request req = {.method = "GET",
                                    .path = "/",
                                    .host = cases[i].host,
                                    .headers = cases[i].h,
                                    .n_headers = cases[i].n,
                                    .payload_hash = cases[i].hash};
        struct sigv4_params p;
        base_params(&p);
        p.amz_date = cases[i].date;
        struct sigv4_result r;
        struct dg_err err;
        dg_err_clear(&err);
        sigv4_result_init(&r);
        ck_assert_msg(sigv4_sign(&req, &p, &r, &err) == DG_EINVALID,
                      "case %zu accepted", i);
        ck_assert(err.msg[0] != '\0');
        sigv4_result_cleanup(&r);
    }
}

END_TEST

/* Every SIGV4_MAX_* bound fails cleanly with DG_EINVALID. */
START_TEST(test_sigv4_bounds)
{
    size_t big = SIGV4_MAX_QUERY + SIGV4_MAX_HEADER_VALUE + 16;
    char *s = dg_malloc(big + 1);
    struct dg_buf b;
    dg_buf_init(&b, 1 << 20);

    memset(s, 'a', big);
    s[0] = '/';
    s[SIGV4_MAX_PATH + 1] = '\0';
    ck_assert_int_eq(sigv4_canonical_path(s, SIGV4_FLAGS_DEFAULT, &b, NULL),
                     DG_EINVALID);
    s[SIGV4_MAX_PATH] = '\0';
    ck_assert_int_eq(sigv4_canonical_path(s, SIGV4_FLAGS_DEFAULT, &b, NULL),
                     DG_OK);

    memset(s, 'a', big);
    s[SIGV4_MAX_QUERY + 1] = '\0';
    ck_assert_int_eq(sigv4_canonical_query(s, &b, NULL), DG_EINVALID);

    /* too many parameters */
    dg_buf_reset(&b);
    struct dg_buf q;
    dg_buf_init(&q, SIGV4_MAX_QUERY);
    for (int i = 0; i <= SIGV4_MAX_QUERY_PARAMS; i++)
        ck_assert_int_eq(dg_buf_addstr(&q, "a&"), DG_OK);
    ck_assert_int_eq(sigv4_canonical_query(dg_buf_str(&q), &b, NULL),
                     DG_EINVALID);
    dg_buf_cleanup(&q);

    memset(s, 'v', big);
    s[SIGV4_MAX_HEADER_VALUE + 1] = '\0';
    ck_assert_int_eq(sigv4_canonical_header_value(s, &b, NULL), DG_EINVALID);

    /* output buffer maximum */
    struct dg_buf small;
    dg_buf_init(&small, 4);
    ck_assert_int_eq(sigv4_uri_encode("a b", 3, 0, &small, NULL), DG_EINVALID);
    dg_buf_cleanup(&small);

    /* header count and name length */
    struct sigv4_header *hs = dg_calloc(SIGV4_MAX_HEADERS + 1, sizeof(*hs));
    for (size_t i = 0; i <= SIGV4_MAX_HEADERS; i++) {
        hs[i].name = "x-h";
        hs[i].value = "v";
    }
    struct sigv4_request req = {.method = "GET",
                                .path = "/",
                                .host = "h",
                                .headers = hs,
                                .n_headers = SIGV4_MAX_HEADERS + 1};
    struct sigv4_params p;
    base_params(&p);
    struct sigv4_result r;
    sigv4_result_init(&r);
    ck_assert_int_eq(sigv4_sign(&req, &p, &r, NULL), DG_EINVALID);
    req.n_headers = SIGV4_MAX_HEADERS;
    ck_assert_int_eq(sigv4_sign(&req, &p, &r, NULL), DG_OK);
    memset(s, 'n', big);
    s[SIGV4_MAX_HEADER_NAME + 1] = '\0';
    hs[0].name = s;
    ck_assert_int_eq(sigv4_sign(&req, &p, &r, NULL), DG_EINVALID);
    sigv4_result_cleanup(&r);

    dg_free(hs);
    dg_free(s);
    dg_buf_cleanup(&b);
}

END_TEST

START_TEST(test_sigv4_signing_key)
{
    /* AWS documentation example ("Examples of how to derive a signing
     * key for Signature Version 4"). */
    unsigned char key[SIGV4_KEY_LEN];
    char hex[2 * SIGV4_KEY_LEN + 1];
    ck_assert_int_eq(
        sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          "20120215", "us-east-1", "iam", key, NULL),
        DG_OK);
    digest_hex(key, sizeof(key), hex);
    ck_assert_str_eq(
        hex,
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    /* An amz_date works as the date. */
    unsigned char key2[SIGV4_KEY_LEN];
    ck_assert_int_eq(
        sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          "20120215T000000Z", "us-east-1", "iam", key2, NULL),
        DG_OK);
    ck_assert_int_eq(CRYPTO_memcmp(key, key2, sizeof(key)), 0);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(key2, sizeof(key2));

    ck_assert_int_eq(sigv4_signing_key("", "20120215", "r", "s", key, NULL),
                     DG_EINVALID);
    ck_assert_int_eq(sigv4_signing_key("k", "2012021", "r", "s", key, NULL),
                     DG_EINVALID);
    ck_assert_int_eq(sigv4_signing_key("k", "2012o215", "r", "s", key, NULL),
                     DG_EINVALID);
    ck_assert_int_eq(sigv4_signing_key("k", "20120215", "", "s", key, NULL),
                     DG_EINVALID);
    ck_assert_int_eq(sigv4_signing_key("k", "20120215", "r", "a/b", key, NULL),
                     DG_EINVALID);
}

END_TEST

struct date_case {
    int64_t ms;
    const char *want; /* NULL: DG_EINVALID */
};

static const struct date_case date_cases[] = {
    {0, "19700101T000000Z"},
    {INT64_C(1440938160000), "20150830T123600Z"},
    {INT64_C(1440938160999), "20150830T123600Z"},
    {INT64_C(951782400000), "20000229T000000Z"},
    {INT64_C(4102444799000), "20991231T235959Z"},
    {INT64_C(4107542400000), "21000301T000000Z"}, /* 2100: no Feb 29 */
    {INT64_C(253402300799999), "99991231T235959Z"},
    {INT64_C(253402300800000), NULL},
    {-1, NULL},
};

START_TEST(test_sigv4_format_date)
{
    const struct date_case *c = &date_cases[_i];
    char out[SIGV4_AMZ_DATE_LEN + 1];
    dg_rc rc = sigv4_format_date(c->ms, out, NULL);
    if (c->want) {
        ck_assert_int_eq(rc, DG_OK);
        ck_assert_str_eq(out, c->want);
    } else {
        ck_assert_int_eq(rc, DG_EINVALID);
    }
}

END_TEST

/* The suite's get-vanilla, end to end, with and without a cached key,
 * plus the headers to add. */
START_TEST(test_sigv4_sign_result)
{
    struct sigv4_request req = {
        .method = "GET", .path = "/", .host = "example.amazonaws.com"};
    struct sigv4_params p;
    base_params(&p);
    struct sigv4_result r;
    sigv4_result_init(&r);
    ck_assert_int_eq(sigv4_sign(&req, &p, &r, NULL), DG_OK);
    const char *want_auth =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature="
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    ck_assert_str_eq(dg_buf_str(&r.authorization), want_auth);
    ck_assert_uint_eq(r.n_add, 3);
    ck_assert_str_eq(r.add[0].name, "Host");
    ck_assert_str_eq(r.add[0].value, "example.amazonaws.com");
    ck_assert_str_eq(r.add[1].name, "X-Amz-Date");
    ck_assert_str_eq(r.add[1].value, "20150830T123600Z");
    ck_assert_str_eq(r.add[2].name, "Authorization");
    ck_assert_str_eq(r.add[2].value, want_auth);

    /* Reuse with a cached key, a token and S3 flags. */
    unsigned char key[SIGV4_KEY_LEN];
    ck_assert_int_eq(sigv4_signing_key(p.creds.secret_access_key, p.amz_date,
                                       p.region, p.service, key, NULL),
                     DG_OK);
    p.signing_key = key;
    p.creds.session_token = "TOKEN";
    p.flags = SIGV4_FLAGS_S3;
    req.body = "hello";
    req.body_len = 5;
    ck_assert_int_eq(sigv4_sign(&req, &p, &r, NULL), DG_OK);
    ck_assert_uint_eq(r.n_add, 5);
    ck_assert_str_eq(r.add[2].name, "X-Amz-Security-Token");
    ck_assert_str_eq(r.add[2].value, "TOKEN");
    ck_assert_str_eq(r.add[3].name, "x-amz-content-sha256");
    ck_assert_str_eq(
        r.add[3].value,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    ck_assert_str_eq(dg_buf_str(&r.signed_headers),
                     "host;x-amz-content-sha256;x-amz-date;"
                     "x-amz-security-token");
    OPENSSL_cleanse(key, sizeof(key));

    /* Unsigned payload passes through. */
    req.payload_hash = "UNSIGNED-PAYLOAD";
    ck_assert_int_eq(sigv4_sign(&req, &p, &r, NULL), DG_OK);
    ck_assert_str_eq(r.payload_hash, "UNSIGNED-PAYLOAD");
    sigv4_result_cleanup(&r);
    sigv4_result_cleanup(&r); /* idempotent */
}

END_TEST

static Suite *
sigv4_suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc = tcase_create("core");
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
    tcase_add_loop_test(tc, test_sigv4_uri_encode, 0, N(encode_cases));
    tcase_add_loop_test(tc, test_sigv4_canonical_path, 0, N(path_cases));
    tcase_add_loop_test(tc, test_sigv4_canonical_query, 0, N(query_cases));
    tcase_add_loop_test(tc, test_sigv4_header_value, 0, N(value_cases));
    tcase_add_loop_test(tc, test_sigv4_format_date, 0, N(date_cases));
#undef N
    tcase_add_test(tc, test_sigv4_header_excluded);
    tcase_add_test(tc, test_sigv4_canonical_headers);
    tcase_add_test(tc, test_sigv4_rejects);
    tcase_add_test(tc, test_sigv4_bounds);
    tcase_add_test(tc, test_sigv4_signing_key);
    tcase_add_test(tc, test_sigv4_sign_result);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(sigv4_suite());
}
