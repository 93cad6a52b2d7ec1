/*
 * test_creds_chain.c - the credentials chain end to end, run by
 * test_creds_run.py: EC2 IMDSv2 and ECS container credentials from a
 * loopback server (token flow, 401 for a wrong token, expiry and refresh,
 * one refresh for many concurrent gets, counted on the server), and STS
 * web identity / AssumeRole through source_profile against moto, with
 * the resulting ASIA keys used to sign GetCallerIdentity through aws_call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "client.h"
#include "clock.h"
#include "creds.h"
#include "creds_chain.h"
#include "http.h"
#include "json.h"
#include "mem.h"
#include "testsupport.h"

/* ---- helpers
 * ----------------------------------------------------------------- */

static const char *
need_env(const char *name)
{
    const char *v = getenv(name); /* NOLINT(concurrency-mt-unsafe) */
    ck_assert_msg(v && *v, "%s not set: run through test_creds_run.py", name);
    return v;
}

static size_t
collect(char *p, size_t sz, size_t n, void *ud)
{
    (void)dg_buf_add(ud, p, sz * n);
    return sz * n;
}

/* Blocking helper for the test's own control calls. */
static char *
md_http(const char *method, const char *path, const char *body)
{
    struct dg_buf out;
    dg_buf_init(&out, 1 << 16);
    char *url = dg_sprintf("%s%s", need_env("CREDS_MD_URL"), path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    dg_free(url);
    return dg_buf_detach(&out);
}

static void
md_control(const char *json)
{
    dg_free(md_http("POST", "/_control", json));
}

static long long
md_hits(const char *what)
{
    char *s = md_http("GET", "/_stats", NULL);
    struct dg_err err;
    cJSON *j = dg_json_parse(s, strlen(s), 1 << 16, 4, &err);
    ck_assert_ptr_nonnull(j);
    long long v = -1;
    ck_assert(dg_json_int(j, what, &v));
    cJSON_Delete(j);
    dg_free(s);
    return v;
}

/* A base environment with no other source configured. */
static void
env_base(struct ts_env *e)
{
    memset(e, 0, sizeof(*e));
    ts_env_set(e, "AWS_CONFIG_FILE", "/nonexistent/config");
    ts_env_set(e, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    ts_env_set(e, "AWS_EC2_METADATA_DISABLED", "true");
    ts_env_set(e, "AWS_REGION", "us-east-1");
}

struct fixture {
    struct event_base *b;
    struct http_engine *http;
    struct ts_env env;
};

static void
fx_init(struct fixture *fx)
{
    fx->b = event_base_new();
    fx->http = http_engine_new(fx->b, NULL);
    env_base(&fx->env);
    md_control("{\"reset\": true}");
}

/* Turns the metadata service on, at the test's server. */
static void
fx_imds(struct fixture *fx)
{
    ts_env_set(&fx->env, "AWS_EC2_METADATA_DISABLED", "false");
    ts_env_set(&fx->env, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
               need_env("CREDS_MD_URL"));
}

/* One get at the wall clock, then runs until g has `want` completions. */
static void
fx_get(struct fixture *fx, struct aws_creds_provider *p, struct ts_creds_got *g,
       int want)
{
    aws_creds_get(p, dg_clock_wall_ms(), ts_creds_got_cb, g);
    ts_run_until(fx->b, &g->calls, want);
}

static void
fx_cleanup(struct fixture *fx)
{
    http_engine_free(fx->http);
    event_base_free(fx->b);
}

static struct aws_creds_provider *
fx_chain(struct fixture *fx, int64_t advisory, int64_t mandatory)
{
    struct creds_chain_opts o = {
        .env = ts_env_get,
        .env_ctx = &fx->env,
        .advisory_ms = advisory,
        .mandatory_ms = mandatory,
        .ecs_base_url = need_env("CREDS_MD_URL"),
    };
    return creds_chain_new(fx->b, fx->http, &o);
}

/* ---- IMDS
 * ---------------------------------------------------------------------- */

START_TEST(test_imds_token_flow)
{
    struct fixture fx;
    fx_init(&fx);
    fx_imds(&fx);
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "imds");
    ck_assert_int_eq(strncmp(g.ak, "ASIAIMDS", 8), 0);
    ck_assert_int_eq(md_hits("token"), 1);
    ck_assert_int_eq(md_hits("role"), 1);
    ck_assert_int_eq(md_hits("imds_creds"), 1);
    /* cached: no more hits */
    fx_get(&fx, p, &g, 2);
    ck_assert_int_eq(md_hits("imds_creds"), 1);
    aws_creds_provider_free(p);
    fx_cleanup(&fx);
}
END_TEST

START_TEST(test_imds_token_rejected)
{
    struct fixture fx;
    fx_init(&fx);
    md_control("{\"reject_tokens\": true}");
    fx_imds(&fx);
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_int_eq(g.rc, DG_EREMOTE);
    ck_assert_int_eq(g.err.http_status, 401);
    ck_assert_ptr_nonnull(strstr(g.err.msg, "imds"));
    ck_assert_ptr_null(strstr(g.err.msg, "imds-token-"));
    ck_assert_int_eq(md_hits("unauthorized"), 1); /* 401 is not retried */
    aws_creds_provider_free(p);
    fx_cleanup(&fx);
}
END_TEST

/* Short expirations; the clock handed to get moves, the server's does not
 * need to: 60 s credentials, advisory 30 s, mandatory 20 s. */
START_TEST(test_imds_refresh)
{
    struct fixture fx;
    fx_init(&fx);
    md_control("{\"expires_in\": 60}");
    fx_imds(&fx);
    struct aws_creds_provider *p = fx_chain(&fx, 30000, 20000);
    struct ts_creds_got g = {0};
    int64_t t = dg_clock_wall_ms();
    ts_creds_get(p, fx.b, t, &g);
    ck_assert_int_eq(g.rc, DG_OK);
    char first[64];
    snprintf(first, sizeof(first), "%s", g.ak);
    int64_t exp1 = g.expires;
    ck_assert_int_gt(exp1, t + 50000);
    /* fresh */
    ts_creds_get(p, fx.b, exp1 - 40000, &g);
    ck_assert_str_eq(g.ak, first);
    ck_assert_int_eq(md_hits("imds_creds"), 1);
    /* advisory: old answer now, one background refresh */
    aws_creds_get(p, exp1 - 25000, ts_creds_got_cb, &g);
    ts_creds_get(p, fx.b, exp1 - 25000, &g);
    ck_assert_str_eq(g.ak, first);
    /* keep asking (each answered at once) until the refresh landed */
    for (int i = 0; i < 200 && strcmp(g.ak, first) == 0; i++) {
        int want = g.calls + 1;
        aws_creds_get(p, exp1 - 25000, ts_creds_got_cb, &g);
        ts_run_until(fx.b, &g.calls, want);
        if (strcmp(g.ak, first) == 0)
            event_base_loop(fx.b, EVLOOP_ONCE);
    }
    ck_assert_str_ne(g.ak, first);
    ck_assert_int_eq(md_hits("imds_creds"), 2);
    ck_assert_int_eq(md_hits("token"), 2);
    int64_t exp2 = g.expires;
    /* mandatory: 8 concurrent gets, one refresh */
    struct ts_creds_got w[8];
    memset(w, 0, sizeof(w));
    int done = 0;
    for (int i = 0; i < 8; i++)
        aws_creds_get(p, exp2 - 10000, ts_creds_got_cb, &w[i]);
    for (int k = 0; k < 2000 && done < 8; k++) {
        event_base_loop(fx.b, EVLOOP_ONCE);
        done = 0;
        for (int i = 0; i < 8; i++)
            done += w[i].calls;
    }
    ck_assert_int_eq(done, 8);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(w[i].rc, DG_OK);
        ck_assert_str_eq(w[i].ak, w[0].ak);
    }
    ck_assert_int_eq(md_hits("imds_creds"), 3);
    ck_assert_int_eq(md_hits("token"), 3);
    aws_creds_provider_free(p);
    fx_cleanup(&fx);
}
END_TEST

/* ---- ECS
 * -------------------------------------------------------------------------- */

START_TEST(test_ecs_full_uri)
{
    struct fixture fx;
    fx_init(&fx);
    char *url = dg_sprintf("%s/ecs/creds", need_env("CREDS_MD_URL"));
    ts_env_set(&fx.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    ts_env_set(&fx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-secret");
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "ecs");
    ck_assert_int_eq(strncmp(g.ak, "ASIAECS", 7), 0);
    ck_assert_int_eq(md_hits("ecs"), 1);
    aws_creds_provider_free(p);

    /* wrong token: 401, the token never in the message */
    ts_env_set(&fx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-secret");
    p = fx_chain(&fx, 0, 0);
    memset(&g, 0, sizeof(g));
    fx_get(&fx, p, &g, 1);
    ck_assert_int_eq(g.rc, DG_EREMOTE);
    ck_assert_int_eq(g.err.http_status, 401);
    ck_assert_ptr_null(strstr(g.err.msg, "wrong-secret"));
    aws_creds_provider_free(p);

    /* the token from a file (trailing newline tolerated) */
    char path[] = "/tmp/ecs-token.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "ecs-auth-secret\n", 16), 16);
    close(fd);
    ts_env_set(&fx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path);
    p = fx_chain(&fx, 0, 0);
    memset(&g, 0, sizeof(g));
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    aws_creds_provider_free(p);
    unlink(path);

    /* a non-loopback plain-http URL is refused before any request */
    ts_env_set(&fx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL);
    ts_env_set(&fx.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
               "http://192.0.2.1/creds");
    p = fx_chain(&fx, 0, 0);
    memset(&g, 0, sizeof(g));
    fx_get(&fx, p, &g, 1);
    ck_assert_int_eq(g.rc, DG_EINVALID);
    ck_assert_str_eq(g.err.code, "bad_url");
    aws_creds_provider_free(p);
    ck_assert_int_eq(md_hits("ecs"), 2);
    dg_free(url);
    fx_cleanup(&fx);
}
END_TEST

START_TEST(test_ecs_relative_uri)
{
    struct fixture fx;
    fx_init(&fx);
    ts_env_set(&fx.env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
               "/ecs/creds?id=1");
    ts_env_set(&fx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-secret");
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "ecs");
    aws_creds_provider_free(p);
    fx_cleanup(&fx);
}
END_TEST

/* ---- STS (moto)
 * ----------------------------------------------------------------- */

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

/* GetCallerIdentity signed with the chain's credentials. */
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

START_TEST(test_web_identity)
{
    struct fixture fx;
    fx_init(&fx);
    char path[] = "/tmp/wi-token.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln";
    ck_assert_int_eq(write(fd, jwt, strlen(jwt)), (ssize_t)strlen(jwt));
    close(fd);
    ts_env_set(&fx.env, "AWS_ENDPOINT_URL_STS", need_env("CREDS_MOTO_URL"));
    ts_env_set(&fx.env, "AWS_WEB_IDENTITY_TOKEN_FILE", path);
    ts_env_set(&fx.env, "AWS_ROLE_ARN",
               "arn:aws:iam::123456789012:role/wi-role");
    ts_env_set(&fx.env, "AWS_ROLE_SESSION_NAME", "wi-session");
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "web-identity");
    ck_assert_int_eq(strncmp(g.ak, "ASIA", 4), 0);
    ck_assert_int_gt(g.expires, dg_clock_wall_ms());
    caller_identity(&fx, p, "assumed-role/wi-role/wi-session");
    aws_creds_provider_free(p);

    /* a missing token file is an error naming the source */
    unlink(path);
    p = fx_chain(&fx, 0, 0);
    memset(&g, 0, sizeof(g));
    fx_get(&fx, p, &g, 1);
    ck_assert_int_eq(g.rc, DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(g.err.msg, "web-identity"));
    aws_creds_provider_free(p);
    fx_cleanup(&fx);
}
END_TEST

START_TEST(test_assume_role_source_profile)
{
    struct fixture fx;
    fx_init(&fx);
    char dir[] = "/tmp/creds-it.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *cfg = dg_sprintf("%s/config", dir);
    char *cr = dg_sprintf("%s/credentials", dir);
    FILE *f = fopen(cfg, "w");
    fputs("[profile ops]\n"
          "role_arn = arn:aws:iam::111122223333:role/dr-operator\n"
          "source_profile = base\n"
          "role_session_name = drgate-it\n"
          "external_id = ext-1\n"
          "duration_seconds = 900\n"
          "[profile chained]\n"
          "role_arn = arn:aws:iam::111122223333:role/second\n"
          "source_profile = ops\n"
          "role_session_name = hop2\n",
          f);
    fclose(f);
    f = fopen(cr, "w");
    fputs("[base]\naws_access_key_id = AKIDBASE00000001\n"
          "aws_secret_access_key = base-secret\n",
          f);
    fclose(f);
    ts_env_set(&fx.env, "AWS_ENDPOINT_URL_STS", need_env("CREDS_MOTO_URL"));
    ts_env_set(&fx.env, "AWS_CONFIG_FILE", cfg);
    ts_env_set(&fx.env, "AWS_SHARED_CREDENTIALS_FILE", cr);
    ts_env_set(&fx.env, "AWS_PROFILE", "ops");
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "assume-role");
    ck_assert_int_eq(strncmp(g.ak, "ASIA", 4), 0);
    caller_identity(&fx, p, "111122223333:assumed-role/dr-operator/drgate-it");
    aws_creds_provider_free(p);

    /* two hops: base -> ops -> chained */
    ts_env_set(&fx.env, "AWS_PROFILE", "chained");
    p = fx_chain(&fx, 0, 0);
    memset(&g, 0, sizeof(g));
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    caller_identity(&fx, p, "assumed-role/second/hop2");
    aws_creds_provider_free(p);

    unlink(cfg);
    unlink(cr);
    rmdir(dir);
    dg_free(cfg);
    dg_free(cr);
    fx_cleanup(&fx);
}
END_TEST

/* credential_source = EcsContainer: the container's keys sign AssumeRole. */
START_TEST(test_assume_role_credential_source)
{
    struct fixture fx;
    fx_init(&fx);
    char path[] = "/tmp/creds-cfg.XXXXXX";
    int fd = mkstemp(path);
    const char *cfg = "[default]\n"
                      "role_arn = arn:aws:iam::111122223333:role/from-ecs\n"
                      "credential_source = EcsContainer\n"
                      "role_session_name = ecs-hop\n";
    ck_assert_int_eq(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
    close(fd);
    char *url = dg_sprintf("%s/ecs/creds", need_env("CREDS_MD_URL"));
    ts_env_set(&fx.env, "AWS_CONFIG_FILE", path);
    ts_env_set(&fx.env, "AWS_ENDPOINT_URL_STS", need_env("CREDS_MOTO_URL"));
    ts_env_set(&fx.env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    ts_env_set(&fx.env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-secret");
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    fx_get(&fx, p, &g, 1);
    ck_assert_msg(g.rc == DG_OK, "%s", g.err.msg);
    ck_assert_str_eq(g.source, "assume-role");
    ck_assert_int_eq(md_hits("ecs"), 1);
    caller_identity(&fx, p, "assumed-role/from-ecs/ecs-hop");
    aws_creds_provider_free(p);
    unlink(path);
    dg_free(url);
    fx_cleanup(&fx);
}
END_TEST

/* Freeing the chain while a refresh is in flight cancels it cleanly. */
START_TEST(test_free_during_fetch)
{
    struct fixture fx;
    fx_init(&fx);
    fx_imds(&fx);
    struct aws_creds_provider *p = fx_chain(&fx, 0, 0);
    struct ts_creds_got g = {0};
    aws_creds_get(p, dg_clock_wall_ms(), ts_creds_got_cb, &g);
    event_base_loop(fx.b, EVLOOP_NONBLOCK); /* the fetch starts */
    aws_creds_provider_free(p);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.rc, DG_ECANCELLED);
    for (int i = 0; i < 50; i++)
        event_base_loop(fx.b, EVLOOP_NONBLOCK);
    ck_assert_int_eq(g.calls, 1);
    fx_cleanup(&fx);
}
END_TEST

static Suite *
chain_suite(void)
{
    Suite *s = suite_create("creds_chain");
    TCase *tc = tcase_create("metadata");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_imds_token_flow);
    tcase_add_test(tc, test_imds_token_rejected);
    tcase_add_test(tc, test_imds_refresh);
    tcase_add_test(tc, test_ecs_full_uri);
    tcase_add_test(tc, test_ecs_relative_uri);
    tcase_add_test(tc, test_free_during_fetch);
    suite_add_tcase(s, tc);
    tc = tcase_create("sts");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_web_identity);
    tcase_add_test(tc, test_assume_role_source_profile);
    tcase_add_test(tc, test_assume_role_credential_source);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = ts_run(chain_suite());
    curl_global_cleanup();
    return rc;
}
