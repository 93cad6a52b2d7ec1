/*
 * test_creds_process.c - credential_process and IAM Identity Center (SSO)
 * through the whole chain, run by test_creds_run.py (moto's STS at
 * CREDS_MOTO_URL): an assume-role profile whose source_profile uses
 * credential_process, the resulting keys signing GetCallerIdentity; SSO
 * profiles (sso_session and legacy) against a loopback portal this binary
 * serves with evhttp on the same event base (bearer token checked, hits
 * counted), with a token cache file under a temporary HOME: ok, expired
 * token refused before any request, 403 from the portal, no cache file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "client.h"
#include "clock.h"
#include "creds.h"
#include "creds_chain.h"
#include "http.h"
#include "mem.h"
#include "testsupport.h"

#define SECRET "sEcReT/do-not-leak-0123456789"
#define SSO_TOKEN "sso-bearer-token-abcdef"

static const char *
need_env(const char *name)
{
    const char *v = getenv(name); /* NOLINT(concurrency-mt-unsafe) */
    ck_assert_msg(v && *v, "%s not set: run through test_creds_run.py", name);
    return v;
}

/* ---- a temporary HOME with config and scripts ------------------------------
 */

static char home[64];

static void
home_setup(void)
{
    snprintf(home, sizeof(home), "/tmp/creds-process-it.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(home));
}

static void
home_teardown(void)
{
    char *cmd = dg_sprintf("rm -rf '%s'", home);
    ck_assert_int_eq(system(cmd), 0); /* NOLINT(cert-env33-c) */
    dg_free(cmd);
}

static char *
write_file(const char *rel, const char *text, int mode)
{
    char *path = dg_sprintf("%s/%s", home, rel);
    for (char *s = strchr(path + strlen(home) + 1, '/'); s;
         s = strchr(s + 1, '/')) {
        *s = '\0';
        (void)mkdir(path, 0700);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, (mode_t)mode), 0);
    return path;
}

struct fixture {
    struct event_base *b;
    struct http_engine *http;
    struct ts_env env;
    char *config;
};

static void
fx_init(struct fixture *fx, const char *config_text)
{
    fx->b = event_base_new();
    fx->http = http_engine_new(fx->b, NULL);
    memset(&fx->env, 0, sizeof(fx->env));
    fx->config = write_file(".aws/config", config_text, 0600);
    ts_env_set(&fx->env, "HOME", home);
    ts_env_set(&fx->env, "AWS_CONFIG_FILE", fx->config);
    ts_env_set(&fx->env, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds");
    ts_env_set(&fx->env, "AWS_EC2_METADATA_DISABLED", "true");
    ts_env_set(&fx->env, "AWS_REGION", "us-east-1");
}

static void
fx_cleanup(struct fixture *fx)
{
    http_engine_free(fx->http);
    event_base_free(fx->b);
    dg_free(fx->config);
}

static struct aws_creds_provider *
fx_chain(struct fixture *fx)
{
    struct creds_chain_opts o = {.env = ts_env_get, .env_ctx = &fx->env};
    return creds_chain_new(fx->b, fx->http, &o);
}

struct call_got {
    int calls;
    dg_rc rc;
    char body[4096];
    struct dg_err err;
};

static void
call_cb(const struct aws_response *resp, dg_rc rc, const struct dg_err *err,
        void *ctx)
{
    struct call_got *g = ctx;
    g->calls++;
    g->rc = rc;
    if (resp && resp->body)
        snprintf(g->body, sizeof(g->body), "%s", resp->body);
    if (err)
        g->err = *err;
}

/* GetCallerIdentity at moto signed with the chain's credentials. */
static void
caller_identity(struct fixture *fx, struct aws_creds_provider *p,
                const char *want_in_arn)
{
    struct aws_client_opts co = {
        .region = "us-east-1", .env = ts_env_get, .hook_ctx = &fx->env};
    struct aws_client *c = aws_client_new(fx->b, fx->http, p, &co);
    struct aws_request req = {
        .svc = &aws_svc_sts,
        .operation = "GetCallerIdentity",
        .body = "",
        .body_len = 0,
        .idempotent = 1,
    };
    struct call_got g = {0};
    aws_call(c, &req, call_cb, &g);
    ts_run_until(fx->b, &g.calls, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_msg(strstr(g.body, want_in_arn), "%s", g.body);
    aws_client_free(c);
}

/* ---- credential_process as an assume-role source ---------------------------
 */

START_TEST(test_assume_role_from_process)
{
    char *helper = write_file(
        "bin/helper",
        "#!/bin/sh\n"
        "n=$(cat \"$0.count\" 2>/dev/null || echo 0); echo $((n+1)) > "
        "\"$0.count\"\n"
        "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDHELPER0000001\", "
        "\"SecretAccessKey\": \"helper-secret\"}'\n",
        0755);
    char *text = dg_sprintf("[profile ops]\n"
                            "role_arn = arn:aws:iam::111122223333:role/dr-op\n"
                            "source_profile = helper\n"
                            "role_session_name = from-process\n"
                            "[profile helper]\n"
                            "credential_process = %s --account 1\n",
                            helper);
    struct fixture fx;
    fx_init(&fx, text);
    ts_env_set(&fx.env, "AWS_ENDPOINT_URL_STS", need_env("CREDS_MOTO_URL"));
    ts_env_set(&fx.env, "AWS_PROFILE", "ops");
    struct aws_creds_provider *p = fx_chain(&fx);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "assume-role");
    ck_assert_int_eq(strncmp(g.ak, "ASIA", 4), 0);
    ck_assert_int_gt(g.expires, dg_clock_wall_ms());
    caller_identity(&fx, p, "111122223333:assumed-role/dr-op/from-process");
    char *count = dg_sprintf("%s.count", helper);
    FILE *f = fopen(count, "r");
    int n = 0;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d", &n), 1);
    fclose(f);
    ck_assert_int_eq(n, 1);
    aws_creds_provider_free(p);

    /* a failing helper fails the chain, naming it, never its output */
    dg_free(write_file(
        "bin/helper",
        "#!/bin/sh\necho '" SECRET "'\necho '" SECRET "' >&2\nexit 2\n", 0755));
    p = fx_chain(&fx);
    memset(&g, 0, sizeof(g));
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_int_eq(g.rc, DG_EINVALID);
    ck_assert_str_eq(g.err.code, "exit");
    ck_assert_msg(strstr(g.err.msg, "helper exited with status 2"), "%s",
                  g.err.msg);
    ck_assert_ptr_null(strstr(g.err.msg, SECRET));
    aws_creds_provider_free(p);
    dg_free(count);
    fx_cleanup(&fx);
    dg_free(text);
    dg_free(helper);
}
END_TEST

/* ---- SSO ------------------------------------------------------------------
 */

struct portal {
    struct evhttp *http;
    int port;
    int hits;
    int refuse; /* answer 403 */
    char last_query[256];
    char sts_auth[512]; /* the last STS call's Authorization header */
    char url[64];       /* AWS_ENDPOINT_URL_SSO points here */
};

/* POST /: a stand-in STS that answers AssumeRole and records the
 * signature's credential scope (which names the signing region). */
static void
fake_sts(struct portal *pt, struct evhttp_request *req, struct evbuffer *out)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
                                          "Authorization");
    snprintf(pt->sts_auth, sizeof(pt->sts_auth), "%s", auth ? auth : "");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/xml");
    evbuffer_add_printf(
        out, "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/"
             "2011-06-15/\"><AssumeRoleResult><Credentials>"
             "<AccessKeyId>ASIAFAKESTS00001</AccessKeyId>"
             "<SecretAccessKey>fake-sts-secret</SecretAccessKey>"
             "<SessionToken>fake-sts-token</SessionToken>"
             "<Expiration>2099-01-01T00:00:00Z</Expiration>"
             "</Credentials></AssumeRoleResult></AssumeRoleResponse>");
    evhttp_send_reply(req, 200, "OK", out);
}

static void
portal_cb(struct evhttp_request *req, void *arg)
{
    struct portal *pt = arg;
    pt->hits++;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = evhttp_uri_get_path(u);
    const char *query = evhttp_uri_get_query(u);
    snprintf(pt->last_query, sizeof(pt->last_query), "%s", query ? query : "");
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *tok = evhttp_find_header(in, "x-amz-sso_bearer_token");
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Content-Type", "application/json");
    if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
        fake_sts(pt, req, out);
    } else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !path ||
               strcmp(path, "/federation/credentials") != 0) {
        evhttp_send_reply(req, 404, "Not Found", out);
    } else if (pt->refuse || !tok || strcmp(tok, SSO_TOKEN) != 0) {
        evhttp_add_header(oh, "x-amzn-ErrorType", "ForbiddenException");
        evbuffer_add_printf(out, "{\"message\": \"No access\"}");
        evhttp_send_reply(req, 403, "Forbidden", out);
    } else {
        evbuffer_add_printf(
            out,
            "{\"roleCredentials\": {\"accessKeyId\": \"ASIASSO000000001\", "
            "\"secretAccessKey\": \"sso-secret\", \"sessionToken\": "
            "\"sso-session-token\", \"expiration\": %lld}}",
            (long long)(dg_clock_wall_ms() + 3600 * 1000));
        evhttp_send_reply(req, 200, "OK", out);
    }
    evbuffer_free(out);
}

static void
portal_start(struct portal *pt, struct event_base *b)
{
    memset(pt, 0, sizeof(*pt));
    pt->http = evhttp_new(b);
    evhttp_set_gencb(pt->http, portal_cb, pt);
    struct evhttp_bound_socket *s =
        evhttp_bind_socket_with_handle(pt->http, "127.0.0.1", 0);
    ck_assert_ptr_nonnull(s);
    struct sockaddr_storage ss;
    ev_socklen_t len = sizeof(ss);
    ck_assert_int_eq(getsockname(evhttp_bound_socket_get_fd(s),
                                 (struct sockaddr *)&ss, &len),
                     0);
    pt->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static const char sso_config[] =
    "[profile dr]\n"
    "sso_session = dr-sso\n"
    "sso_account_id = 111122223333\n"
    "sso_role_name = DrOperator\n"
    "[sso-session dr-sso]\n"
    "sso_start_url = https://d-123.awsapps.com/start\n"
    "sso_region = eu-west-1\n"
    "sso_registration_scopes = sso:account:access\n"
    "[profile legacy]\n"
    "sso_start_url = https://d-123.awsapps.com/start\n"
    "sso_region = eu-west-1\n"
    "sso_account_id = 111122223333\n"
    "sso_role_name = Legacy Role\n";

/* sha1("dr-sso") and sha1("https://d-123.awsapps.com/start") */
#define KEY_SESSION "c205d448127f232ac726b7acdad4dcfb5adc30d0"
#define KEY_URL "2b829a45f04c9828cb45b7d092d8e4aa30818393"

static void
write_token(const char *key, const char *expires_at)
{
    char *rel = dg_sprintf(".aws/sso/cache/%s.json", key);
    char *body = dg_sprintf(
        "{\"startUrl\": \"https://d-123.awsapps.com/start\", "
        "\"region\": \"eu-west-1\", \"accessToken\": \"" SSO_TOKEN "\", "
        "\"expiresAt\": \"%s\", \"refreshToken\": \"refresh-" SECRET "\"}",
        expires_at);
    dg_free(write_file(rel, body, 0600));
    dg_free(body);
    dg_free(rel);
}

/* The SSO fixture: sso_config's profiles and the portal on loopback. */
static void
sso_start(struct fixture *fx, struct portal *pt)
{
    fx_init(fx, sso_config);
    portal_start(pt, fx->b);
    snprintf(pt->url, sizeof(pt->url), "http://127.0.0.1:%d", pt->port);
    ts_env_set(&fx->env, "AWS_ENDPOINT_URL_SSO", pt->url);
}

START_TEST(test_sso_session_ok)
{
    struct fixture fx;
    struct portal pt;
    sso_start(&fx, &pt);
    write_token(KEY_SESSION, "2099-01-01T00:00:00Z");
    ts_env_set(&fx.env, "AWS_PROFILE", "dr");
    struct aws_creds_provider *p = fx_chain(&fx);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "sso");
    ck_assert_str_eq(g.ak, "ASIASSO000000001");
    ck_assert_str_eq(g.sk, "sso-secret");
    ck_assert_int_gt(g.expires, dg_clock_wall_ms() + 3500 * 1000);
    ck_assert_int_eq(pt.hits, 1);
    ck_assert_str_eq(pt.last_query,
                     "account_id=111122223333&role_name=DrOperator");
    /* cached until the refresh window */
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_int_eq(pt.hits, 1);
    /* inside the mandatory window the portal is asked again */
    ts_creds_get(p, fx.b, g.expires - 60 * 1000, &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_int_eq(pt.hits, 2);
    aws_creds_provider_free(p);
    evhttp_free(pt.http);
    fx_cleanup(&fx);
}
END_TEST

START_TEST(test_sso_legacy_ok)
{
    struct fixture fx;
    struct portal pt;
    sso_start(&fx, &pt);
    /* the AWS CLI v1 wrote "UTC" instead of "Z" */
    write_token(KEY_URL, "2099-01-01T00:00:00UTC");
    ts_env_set(&fx.env, "AWS_PROFILE", "legacy");
    struct aws_creds_provider *p = fx_chain(&fx);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "sso");
    ck_assert_str_eq(pt.last_query,
                     "account_id=111122223333&role_name=Legacy%20Role");
    aws_creds_provider_free(p);
    evhttp_free(pt.http);
    fx_cleanup(&fx);
}
END_TEST

START_TEST(test_sso_expired_token)
{
    struct fixture fx;
    struct portal pt;
    sso_start(&fx, &pt);
    write_token(KEY_SESSION, "2020-01-01T00:00:00Z");
    ts_env_set(&fx.env, "AWS_PROFILE", "dr");
    struct aws_creds_provider *p = fx_chain(&fx);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_int_eq(g.rc, DG_EINVALID);
    ck_assert_str_eq(g.err.code, "sso_expired");
    ck_assert_msg(strstr(g.err.msg, "aws sso login --sso-session dr-sso"), "%s",
                  g.err.msg);
    ck_assert_ptr_null(strstr(g.err.msg, SSO_TOKEN));
    ck_assert_ptr_null(strstr(g.err.msg, SECRET));
    ck_assert_int_eq(pt.hits, 0); /* refused before any request */
    aws_creds_provider_free(p);

    /* no cache file at all */
    ts_env_set(&fx.env, "AWS_PROFILE", "legacy");
    p = fx_chain(&fx);
    memset(&g, 0, sizeof(g));
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_int_eq(g.rc, DG_EINVALID);
    ck_assert_str_eq(g.err.code, "sso_no_token");
    ck_assert_msg(strstr(g.err.msg, "aws sso login --profile legacy"), "%s",
                  g.err.msg);
    ck_assert_int_eq(pt.hits, 0);
    aws_creds_provider_free(p);
    evhttp_free(pt.http);
    fx_cleanup(&fx);
}
END_TEST

START_TEST(test_sso_portal_refuses)
{
    struct fixture fx;
    struct portal pt;
    sso_start(&fx, &pt);
    pt.refuse = 1;
    write_token(KEY_SESSION, "2099-01-01T00:00:00Z");
    ts_env_set(&fx.env, "AWS_PROFILE", "dr");
    struct aws_creds_provider *p = fx_chain(&fx);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_int_eq(g.rc, DG_EREMOTE);
    ck_assert_int_eq(g.err.http_status, 403);
    ck_assert_str_eq(g.err.code, "sso_unauthorized");
    ck_assert_msg(strstr(g.err.msg, "aws sso login"), "%s", g.err.msg);
    ck_assert_ptr_null(strstr(g.err.msg, SSO_TOKEN));
    ck_assert_int_eq(pt.hits, 1); /* a 403 is not retried */
    aws_creds_provider_free(p);
    evhttp_free(pt.http);
    fx_cleanup(&fx);
}
END_TEST

/* ---- the profile's region for STS ------------------------------------------
 */

static void
assume_with_region(struct fixture *fx)
{
    struct aws_creds_provider *p = fx_chain(fx);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx->b, dg_clock_wall_ms(), &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.ak, "ASIAFAKESTS00001");
    aws_creds_provider_free(p);
}

START_TEST(test_profile_region_for_sts)
{
    struct fixture fx;
    fx_init(&fx, "[profile ops]\n"
                 "role_arn = arn:aws:iam::111122223333:role/dr-op\n"
                 "source_profile = base\n"
                 "region = eu-central-1\n"
                 "[profile base]\n"
                 "aws_access_key_id = AKIDBASE00000001\n"
                 "aws_secret_access_key = base-secret\n"
                 "region = ap-south-1\n");
    struct portal pt;
    char url[64];
    portal_start(&pt, fx.b);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", pt.port);
    ts_env_set(&fx.env, "AWS_ENDPOINT_URL_STS", url);
    ts_env_set(&fx.env, "AWS_PROFILE", "ops");
    ts_env_set(&fx.env, "AWS_REGION", NULL);

    /* nothing pins a region: the selected profile's, for every hop */
    assume_with_region(&fx);
    ck_assert_msg(strstr(pt.sts_auth, "/eu-central-1/sts/aws4_request"), "%s",
                  pt.sts_auth);

    /* AWS_DEFAULT_REGION beats the profile (botocore's session region) */
    ts_env_set(&fx.env, "AWS_DEFAULT_REGION", "sa-east-1");
    assume_with_region(&fx);
    ck_assert_msg(strstr(pt.sts_auth, "/sa-east-1/sts/aws4_request"), "%s",
                  pt.sts_auth);
    ts_env_set(&fx.env, "AWS_DEFAULT_REGION", NULL);

    /* a region drgate's config pins wins */
    struct creds_chain_opts o = {
        .env = ts_env_get, .env_ctx = &fx.env, .region = "us-west-1"};
    struct aws_creds_provider *p = creds_chain_new(fx.b, fx.http, &o);
    struct ts_creds_got g = {0};
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_msg(strstr(pt.sts_auth, "/us-west-1/sts/aws4_request"), "%s",
                  pt.sts_auth);
    aws_creds_provider_free(p);

    /* no region anywhere: default_region, else us-east-1 */
    o.region = NULL;
    o.default_region = "eu-north-1";
    dg_free(fx.config);
    fx.config = write_file(".aws/config",
                           "[profile ops]\n"
                           "role_arn = arn:aws:iam::111122223333:role/x\n"
                           "source_profile = base\n"
                           "[profile base]\n"
                           "aws_access_key_id = AKIDBASE00000001\n"
                           "aws_secret_access_key = base-secret\n",
                           0600);
    ts_env_set(&fx.env, "AWS_CONFIG_FILE", fx.config);
    p = creds_chain_new(fx.b, fx.http, &o);
    memset(&g, 0, sizeof(g));
    ts_creds_get(p, fx.b, dg_clock_wall_ms(), &g);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_msg(strstr(pt.sts_auth, "/eu-north-1/sts/aws4_request"), "%s",
                  pt.sts_auth);
    aws_creds_provider_free(p);
    evhttp_free(pt.http);
    fx_cleanup(&fx);
}
END_TEST

static Suite *
process_suite(void)
{
    Suite *s = suite_create("creds_process");
    TCase *tc = tcase_create("process");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, home_setup, home_teardown);
    tcase_add_test(tc, test_assume_role_from_process);
    suite_add_tcase(s, tc);
    tc = tcase_create("sso");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, home_setup, home_teardown);
    tcase_add_test(tc, test_sso_session_ok);
    tcase_add_test(tc, test_sso_legacy_ok);
    tcase_add_test(tc, test_sso_expired_token);
    tcase_add_test(tc, test_sso_portal_refuses);
    tcase_add_test(tc, test_profile_region_for_sts);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = ts_run(process_suite());
    curl_global_cleanup();
    return rc;
}
