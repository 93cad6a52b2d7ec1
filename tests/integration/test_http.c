/*
 * test_http.c - the HTTP engine against a loopback Python server
 * (tests/support/httpstub.py, started by aws_core_run.py): status, header
 * capture, Date, body cap, timeout, reset, keep-alive reuse, cancel,
 * exactly-once deferred completion, URL policy, engine shutdown.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "aws_core_util.h"
#include "http.h"
#include "mem.h"
#include "testsupport.h"

struct result {
    int calls;
    int in_start; /* set while http_start runs: done must not see it */
    int sync_completion;
    dg_rc rc;
    long status;
    char code[64];
    char body[4096];
    size_t body_len;
    char hdr[128];
    int64_t date_ms;
};

static void
on_done(const struct http_response *resp, dg_rc rc, const struct dg_err *err,
        void *ctx)
{
    struct result *r = ctx;
    r->calls++;
    if (r->in_start)
        r->sync_completion = 1;
    r->rc = rc;
    r->status = resp ? resp->status : -1;
    if (err)
        snprintf(r->code, sizeof(r->code), "%s", err->code);
    if (resp) {
        r->body_len = resp->body_len;
        snprintf(r->body, sizeof(r->body), "%s", resp->body);
        const char *h = http_header_get(resp, "X-TEST-HEADER");
        snprintf(r->hdr, sizeof(r->hdr), "%s", h ? h : "");
        r->date_ms = resp->date_ms;
    }
}

struct fixture {
    struct event_base *base;
    struct http_engine *e;
};

static struct fixture F;

static void
setup(void)
{
    dg_mem_init();
    F.base = event_base_new();
    struct http_engine_opts o = {.connect_timeout_ms = 2000,
                                 .timeout_ms = 10000};
    F.e = http_engine_new(F.base, &o);
    ck_assert_ptr_nonnull(F.e);
}

static void
teardown(void)
{
    http_engine_free(F.e);
    event_base_free(F.base);
}

static void
start(struct result *r, const char *method, const char *url,
      const struct http_request *tmpl)
{
    struct http_request req = {0};
    if (tmpl)
        req = *tmpl;
    req.method = method;
    req.url = url;
    r->in_start = 1;
    http_start(F.e, &req, on_done, r);
    r->in_start = 0;
}

static void
get(struct result *r, const char *path, const struct http_request *tmpl)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", acu_env("AWSCORE_STUB_URL"), path);
    memset(r, 0, sizeof(*r));
    start(r, "GET", url, tmpl);
    ck_assert_msg(acu_run_until(F.base, &r->calls, 1, 15000),
                  "no completion for %s", path);
    ck_assert_int_eq(r->sync_completion, 0);
}

START_TEST(status_and_body)
{
    struct result r;
    get(&r, "/status/404", NULL);
    ck_assert_int_eq(r.rc, DG_OK);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.body, "status 404");
    get(&r, "/status/200", NULL);
    ck_assert_int_eq(r.status, 200);
}
END_TEST

START_TEST(headers_and_date)
{
    struct result r;
    get(&r, "/headers", NULL);
    ck_assert_int_eq(r.rc, DG_OK);
    ck_assert_str_eq(r.hdr, "Mixed Value");
    /* Sun, 06 Nov 1994 08:49:37 GMT */
    ck_assert_int_eq(r.date_ms, (int64_t)784111777 * 1000);
}
END_TEST

START_TEST(post_echo)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    char url[512];
    snprintf(url, sizeof(url), "%s/echo", acu_env("AWSCORE_STUB_URL"));
    struct http_header h[] = {{"X-Amz-Target", "Svc.Op"},
                              {"Content-Type", "application/x-amz-json-1.0"}};
    struct http_request req = {
        .headers = h, .nheaders = 2, .body = "{\"a\":1}", .body_len = 7};
    start(&r, "POST", url, &req);
    ck_assert(acu_run_until(F.base, &r.calls, 1, 15000));
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"method\": \"POST\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"body\": \"{\\\"a\\\":1}\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"x-amz-target\": \"Svc.Op\""));
    ck_assert_ptr_null(strstr(r.body, "\"expect\""));
}
END_TEST

START_TEST(body_cap)
{
    struct result r;
    struct http_request t = {.max_response = 1000};
    get(&r, "/big/1000", &t);
    ck_assert_int_eq(r.rc, DG_OK);
    ck_assert_int_eq(r.body_len, 1000);
    get(&r, "/big/200000", &t);
    ck_assert_int_eq(r.rc, DG_EINVALID);
    ck_assert_str_eq(r.code, "too_large");
}
END_TEST

START_TEST(timeout)
{
    struct result r;
    struct http_request t = {.timeout_ms = 300};
    get(&r, "/sleep/3000", &t);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT);
    ck_assert_str_eq(r.code, "timeout");
}
END_TEST

START_TEST(reset)
{
    struct result r;
    get(&r, "/reset", NULL);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT);
    ck_assert_str_eq(r.code, "reset");
    ck_assert_int_eq(r.status, 0);
}
END_TEST

START_TEST(connect_refused)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    start(&r, "GET", "http://127.0.0.1:1/", NULL);
    ck_assert(acu_run_until(F.base, &r.calls, 1, 15000));
    ck_assert_int_eq(r.sync_completion, 0);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT);
    ck_assert_str_eq(r.code, "connect");
}
END_TEST

static long
stat_of(const char *key)
{
    struct result r;
    get(&r, "/stats", NULL);
    ck_assert_int_eq(r.status, 200);
    const char *p = strstr(r.body, key);
    ck_assert_ptr_nonnull(p);
    return strtol(p + strlen(key) + 3, NULL, 10); /* "key": N */
}

START_TEST(keep_alive)
{
    long before = stat_of("connections");
    struct result r;
    for (int i = 0; i < 5; i++) {
        get(&r, "/status/200", NULL);
        ck_assert_int_eq(r.status, 200);
    }
    long after = stat_of("connections");
    printf("keep_alive: server saw %ld new connection(s) for 6 requests\n",
           after - before);
    ck_assert_int_le(after - before, 1); /* 6 without reuse */
}
END_TEST

START_TEST(cancel)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    char url[512];
    snprintf(url, sizeof(url), "%s/sleep/2000", acu_env("AWSCORE_STUB_URL"));
    struct http_request req = {.method = "GET", .url = url};
    r.in_start = 1;
    struct http_call *c = http_start(F.e, &req, on_done, &r);
    r.in_start = 0;
    event_base_loop(F.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(r.calls, 0);
    http_cancel(c);
    ck_assert_int_eq(r.calls, 0); /* deferred */
    ck_assert(acu_run_until(F.base, &r.calls, 1, 5000));
    ck_assert_int_eq(r.rc, DG_ECANCELLED);
    /* nothing more arrives, and the engine still works */
    int never = 0;
    acu_run_until(F.base, &never, 1, 300);
    ck_assert_int_eq(r.calls, 1);
    get(&r, "/status/204", NULL);
    ck_assert_int_eq(r.status, 204);
}
END_TEST

START_TEST(exactly_once)
{
    struct result r[8];
    int total = 0;
    memset(r, 0, sizeof(r));
    char url[512];
    for (int i = 0; i < 8; i++) {
        snprintf(url, sizeof(url), "%s/%s", acu_env("AWSCORE_STUB_URL"),
                 i % 2 ? "status/200" : "big/10");
        start(&r[i], "GET", url, NULL);
        ck_assert_int_eq(r[i].calls, 0);
    }
    for (int round = 0; round < 200 && total < 8; round++) {
        int one = 0;
        acu_run_until(F.base, &one, 1, 50);
        total = 0;
        for (int i = 0; i < 8; i++)
            total += r[i].calls;
    }
    int never = 0;
    acu_run_until(F.base, &never, 1, 200);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(r[i].calls, 1);
        ck_assert_int_eq(r[i].sync_completion, 0);
        ck_assert_int_eq(r[i].rc, DG_OK);
    }
}
END_TEST

START_TEST(refused_url)
{
    /* Non-loopback plain http: refused before any connection (a connect
     * attempt to 10.0.0.1 would end in "connect" or "timeout"). */
    static const char *const bad[] = {"http://10.0.0.1/", "ftp://127.0.0.1/",
                                      "http://example.com/",
                                      "file:///etc/passwd", "not a url"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct result r;
        memset(&r, 0, sizeof(r));
        start(&r, "GET", bad[i], NULL);
        ck_assert_int_eq(r.calls, 0);
        ck_assert(acu_run_until(F.base, &r.calls, 1, 2000));
        ck_assert_int_eq(r.rc, DG_EINVALID);
        ck_assert_str_eq(r.code, "url");
        ck_assert_int_eq(r.status, 0);
    }
}
END_TEST

START_TEST(metadata_hosts_need_opt_in)
{
    /* Link-local metadata addresses are refused unless the request opts
     * in; opting in does not open other non-loopback hosts. No test ever
     * connects to a non-loopback address: every case here is refused on the
     * URL, before any connection. */
    static const char *const md[] = {"http://169.254.169.254/latest/api/token",
                                     "http://169.254.170.2/v2/credentials",
                                     "http://[fd00:ec2::23]/creds"};
    for (size_t i = 0; i < sizeof(md) / sizeof(md[0]); i++) {
        struct result r;
        memset(&r, 0, sizeof(r));
        start(&r, "GET", md[i], NULL);
        ck_assert(acu_run_until(F.base, &r.calls, 1, 2000));
        ck_assert_int_eq(r.rc, DG_EINVALID);
        ck_assert_str_eq(r.code, "url");
    }
    static const char *const still_bad[] = {
        "http://169.254.169.253/", "http://10.0.0.1/", "ftp://169.254.169.254/",
        "http://169.254.169.254.example.com/"};
    struct http_request opt = {.allow_metadata_hosts = 1};
    for (size_t i = 0; i < sizeof(still_bad) / sizeof(still_bad[0]); i++) {
        struct result r;
        memset(&r, 0, sizeof(r));
        start(&r, "GET", still_bad[i], &opt);
        ck_assert(acu_run_until(F.base, &r.calls, 1, 2000));
        ck_assert_int_eq(r.rc, DG_EINVALID);
        ck_assert_str_eq(r.code, "url");
    }
}
END_TEST

START_TEST(engine_free_cancels)
{
    struct result r[3];
    memset(r, 0, sizeof(r));
    char url[512];
    snprintf(url, sizeof(url), "%s/sleep/3000", acu_env("AWSCORE_STUB_URL"));
    for (int i = 0; i < 3; i++)
        start(&r[i], "GET", url, NULL);
    struct result refused;
    memset(&refused, 0, sizeof(refused));
    start(&refused, "GET", "http://10.0.0.1/", NULL);
    event_base_loop(F.base, EVLOOP_NONBLOCK);
    http_engine_free(F.e);
    F.e = NULL;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(r[i].calls, 1);
        ck_assert_int_eq(r[i].rc, DG_ECANCELLED);
    }
    ck_assert_int_eq(refused.calls, 1);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("engine");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, status_and_body);
    tcase_add_test(tc, headers_and_date);
    tcase_add_test(tc, post_echo);
    tcase_add_test(tc, body_cap);
    tcase_add_test(tc, timeout);
    tcase_add_test(tc, reset);
    tcase_add_test(tc, connect_refused);
    tcase_add_test(tc, keep_alive);
    tcase_add_test(tc, cancel);
    tcase_add_test(tc, exactly_once);
    tcase_add_test(tc, refused_url);
    tcase_add_test(tc, metadata_hosts_need_opt_in);
    tcase_add_test(tc, engine_free_cancels);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
