/*
 * test_creds.c - the credentials chain's pure parts (refresh windows,
 * source selection order, metadata URL rule, ECS/IMDS and STS document
 * parsing) and its caching/refresh behaviour driven on a real event base
 * with the environment source (AWS_CREDENTIAL_EXPIRATION makes it
 * refreshable, as in botocore), a fake clock and a counting environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "creds.h"
#include "creds_chain.h"
#include "mem.h"
#include "profile.h"
#include "testsupport.h"

/* ---- a scripted environment --------------------------------------------- */

struct fake_env {
    struct ts_env vars;
    int expiration_reads; /* one per env fetch */
};

static const char *
fake_getenv(const char *name, void *ctx)
{
    struct fake_env *e = ctx;
    if (strcmp(name, "AWS_CREDENTIAL_EXPIRATION") == 0)
        e->expiration_reads++;
    return ts_env_get(name, &e->vars);
}

static void
env_set(struct fake_env *e, const char *k, const char *v)
{
    ts_env_set(&e->vars, k, v);
}

/* ---- refresh windows ----------------------------------------------------- */

struct window_case {
    int64_t now, expires;
    enum creds_refresh want;
};

#define MIN (60 * 1000LL)
static const struct window_case window_cases[] = {
    {0, 0, CREDS_FRESH}, /* never expires */
    {1000 * MIN, 0, CREDS_FRESH},
    {0, 60 * MIN, CREDS_FRESH},
    {0, 15 * MIN, CREDS_FRESH}, /* exactly the advisory edge */
    {1, 15 * MIN, CREDS_ADVISORY},
    {0, 11 * MIN, CREDS_ADVISORY},
    {0, 10 * MIN, CREDS_ADVISORY}, /* exactly the mandatory edge */
    {1, 10 * MIN, CREDS_MANDATORY},
    {0, 1, CREDS_MANDATORY},
    {5 * MIN, 5 * MIN, CREDS_MANDATORY}, /* expiring now */
    {6 * MIN, 5 * MIN, CREDS_MANDATORY}, /* expired */
};

START_TEST(test_creds_refresh_window)
{
    const struct window_case *c = &window_cases[_i];
    ck_assert_int_eq(creds_chain_refresh_state(c->now, c->expires,
                                               CREDS_ADVISORY_MS,
                                               CREDS_MANDATORY_MS),
                     c->want);
}
END_TEST

/* ---- selection order ------------------------------------------------------
 */

struct select_case {
    const char *name;
    const char *env[8][2];
    const char *config, *creds;
    const char *want_source; /* NULL: error */
    const char *want_code;
    enum profile_base want_base;
};

#define K "aws_access_key_id = AK\naws_secret_access_key = SK\n"

static const struct select_case select_cases[] = {
    {"env first",
     {{"AWS_ACCESS_KEY_ID", "E"},
      {"AWS_SECRET_ACCESS_KEY", "S"},
      {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
      {"AWS_ROLE_ARN", "R"}},
     "[default]\nrole_arn = R\nsource_profile = default\n" K,
     "[default]\n" K,
     "env",
     NULL,
     PROFILE_BASE_ENV},
    {"env partial",
     {{"AWS_ACCESS_KEY_ID", "E"}},
     NULL,
     NULL,
     NULL,
     "partial",
     0},
    {"empty env key is unset",
     {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", "S"}},
     NULL,
     "[default]\n" K,
     "profile",
     NULL,
     PROFILE_BASE_STATIC},
    {"assume role before web identity and keys",
     {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"}, {"AWS_ROLE_ARN", "R"}},
     "[default]\nrole_arn = R\ncredential_source = Ec2InstanceMetadata\n",
     "[default]\n" K,
     "assume-role",
     NULL,
     PROFILE_BASE_IMDS},
    {"web identity before static keys",
     {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"}, {"AWS_ROLE_ARN", "R"}},
     NULL,
     "[default]\n" K,
     "web-identity",
     NULL,
     PROFILE_BASE_WEB_IDENTITY},
    {"web identity from the profile",
     {{"AWS_PROFILE", "w"}},
     "[profile w]\nweb_identity_token_file = /t\nrole_arn = R\n",
     NULL,
     "web-identity",
     NULL,
     PROFILE_BASE_WEB_IDENTITY},
    {"web identity without role",
     {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"}},
     NULL,
     NULL,
     NULL,
     "partial",
     0},
    {"credentials file keys",
     {{"AWS_PROFILE", "dev"}},
     "[profile dev]\naws_access_key_id = C\naws_secret_access_key = C\n",
     "[dev]\n" K,
     "profile",
     NULL,
     PROFILE_BASE_STATIC},
    {"config file keys",
     {{"AWS_PROFILE", "dev"}},
     "[profile dev]\n" K,
     "[other]\n" K,
     "profile",
     NULL,
     PROFILE_BASE_STATIC},
    {"[dev] in config is not a profile",
     {{"AWS_PROFILE", "dev"}},
     "[dev]\n" K,
     NULL,
     NULL,
     "no_profile",
     0},
    {"unknown profile",
     {{"AWS_PROFILE", "nope"}},
     NULL,
     "[default]\n" K,
     NULL,
     "no_profile",
     0},
    {"ecs relative",
     {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"}},
     NULL,
     NULL,
     "ecs",
     NULL,
     PROFILE_BASE_ECS},
    {"ecs full after keys",
     {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/x"}},
     NULL,
     "[default]\n" K,
     "profile",
     NULL,
     PROFILE_BASE_STATIC},
    {"imds last",
     {{"HOME", "/nonexistent"}},
     NULL,
     NULL,
     "imds",
     NULL,
     PROFILE_BASE_IMDS},
    {"imds disabled",
     {{"AWS_EC2_METADATA_DISABLED", "TRUE"}},
     NULL,
     NULL,
     NULL,
     "no_credentials",
     0},
    {"cycle reported",
     {{"AWS_PROFILE", "a"}},
     "[profile a]\nrole_arn = A\nsource_profile = b\n"
     "[profile b]\nrole_arn = B\nsource_profile = a\n",
     NULL,
     NULL,
     "cycle",
     0},
    {"partial keys in credentials file",
     {{"AWS_PROFILE", "p"}},
     NULL,
     "[p]\naws_access_key_id = A\n",
     NULL,
     "bad_profile",
     0},
};

START_TEST(test_creds_select)
{
    const struct select_case *c = &select_cases[_i];
    struct fake_env env = {0};
    for (size_t i = 0; i < 8 && c->env[i][0]; i++)
        env_set(&env, c->env[i][0], c->env[i][1]);
    struct profile_file *cfg = ts_profile(c->config, PROFILE_CONFIG);
    struct profile_file *cr = ts_profile(c->creds, PROFILE_CREDENTIALS);
    struct creds_chain_plan plan;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc =
        creds_chain_select(fake_getenv, &env, cfg, cr,
                           fake_getenv("AWS_PROFILE", &env), &plan, &err);
    if (c->want_source) {
        ck_assert_msg(rc == DG_OK, "%s: %s", c->name, err.msg);
        ck_assert_str_eq(plan.source, c->want_source);
        ck_assert_int_eq(plan.p.base, c->want_base);
    } else {
        ck_assert_msg(rc != DG_OK, "%s: selected %s", c->name, plan.source);
        ck_assert_str_eq(err.code, c->want_code);
        ck_assert_ptr_null(strstr(err.msg, "SK"));
    }
    profile_plan_cleanup(&plan.p);
    profile_file_free(cfg);
    profile_file_free(cr);
}
END_TEST

/* ---- metadata URLs ----------------------------------------------------------
 */

struct url_case {
    const char *url;
    int want;
};

static const struct url_case url_cases[] = {
    {"https://example.com/creds", 1},
    {"HTTPS://example.com", 1},
    {"http://127.0.0.1:8080/x", 1},
    {"http://127.1.2.3/x", 1},
    {"http://localhost/x", 1},
    {"http://[::1]:9/x", 1},
    {"http://169.254.169.254/latest/api/token", 1},
    {"http://[fd00:ec2::254]/latest", 1},
    {"http://169.254.170.2/v2/credentials/abc", 1},
    {"http://169.254.170.23/v1/credentials", 1},
    {"http://[fd00:ec2::23]/v1/credentials", 1},
    {"http://169.254.170.3/", 0},
    {"http://169.254.169.254.evil.com/", 0},
    {"http://example.com/", 0},
    {"http://10.0.0.1/", 0},
    {"http://128.0.0.1/", 0},
    {"http://127.0.0.1.nip.io/", 0},
    {"http://user@127.0.0.1/", 0},
    {"http://127.0.0.1@evil.com/", 0},
    {"ftp://127.0.0.1/", 0},
    {"file:///etc/passwd", 0},
    {"http://", 0},
    {"http://[fd00:ec2::23/x", 0},
    {"http://169.254.170.2:80x/", 0},
    {"", 0},
};

START_TEST(test_creds_metadata_url)
{
    const struct url_case *c = &url_cases[_i];
    ck_assert_msg(creds_metadata_url_allowed(c->url) == c->want, "%s", c->url);
}
END_TEST

/* ---- documents -------------------------------------------------------------
 */

struct doc_case {
    const char *body;
    int ok;
};

static const struct doc_case json_cases[] = {
    {"{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":"
     "\"SEKRIT\",\"Token\":\"TOK\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
     1},
    {"{\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"SEKRIT\",\"Token\":"
     "\"TOK\",\"Expiration\":\"2030-01-01T00:00:00Z\",\"RoleArn\":\"r\"}",
     1},
    {"{\"Code\":\"Failure\",\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":"
     "\"SEKRIT\",\"Token\":\"TOK\",\"Expiration\":\"2030-01-01T00:00:00Z\"}",
     0},
    {"{\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"SEKRIT\"}", 0},
    {"{\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"SEKRIT\","
     "\"Expiration\":\"soon\"}",
     0},
    {"{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"SEKRIT\",\"Expiration\":"
     "\"2030-01-01T00:00:00Z\"}",
     0},
    {"{\"AccessKeyId\":1,\"SecretAccessKey\":\"SEKRIT\"}", 0},
    {"SEKRIT not json", 0},
    {"[]", 0},
};

START_TEST(test_creds_parse_json)
{
    const struct doc_case *c = &json_cases[_i];
    struct aws_creds *cr = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc =
        creds_chain_parse_json(c->body, strlen(c->body), "imds", &cr, &err);
    if (c->ok) {
        ck_assert_int_eq(rc, DG_OK);
        ck_assert_str_eq(cr->access_key_id, "ASIAX");
        ck_assert_str_eq(cr->secret_access_key, "SEKRIT");
        ck_assert_str_eq(cr->session_token, "TOK");
        ck_assert_int_eq(cr->expires_ms, 1893456000000LL);
        ck_assert_str_eq(cr->source, "imds");
        aws_creds_unref(cr);
    } else {
        ck_assert_int_eq(rc, DG_EINVALID);
        ck_assert_ptr_null(cr);
        ck_assert_str_eq(err.code, "bad_credentials");
        ck_assert_ptr_null(strstr(err.msg, "SEKRIT"));
        ck_assert_ptr_nonnull(strstr(err.msg, "imds"));
    }
}
END_TEST

static const struct doc_case sts_cases[] = {
    {"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
     "<AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
     "<SecretAccessKey>SEKRIT</SecretAccessKey><SessionToken>TOK"
     "</SessionToken><Expiration>2030-01-01T00:00:00.000Z</Expiration>"
     "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
     1},
    {"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
     "<Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>SEKRIT"
     "</SecretAccessKey><SessionToken>TOK</SessionToken><Expiration>"
     "2030-01-01T00:00:00Z</Expiration></Credentials>"
     "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
     1},
    {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX"
     "</AccessKeyId><SecretAccessKey>SEKRIT</SecretAccessKey>"
     "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
     "</AssumeRoleResult></AssumeRoleResponse>",
     0},
    {"<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>",
     0},
    {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX"
     "</AccessKeyId><SecretAccessKey>SEKRIT</SecretAccessKey><SessionToken>T"
     "</SessionToken><Expiration>x</Expiration></Credentials>"
     "</AssumeRoleResult></AssumeRoleResponse>",
     0},
    {"SEKRIT<", 0},
};

START_TEST(test_creds_parse_sts)
{
    const struct doc_case *c = &sts_cases[_i];
    struct aws_creds *cr = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc = creds_chain_parse_sts(c->body, strlen(c->body), "assume-role",
                                     &cr, &err);
    if (c->ok) {
        ck_assert_int_eq(rc, DG_OK);
        ck_assert_str_eq(cr->access_key_id, "ASIAX");
        ck_assert_str_eq(cr->secret_access_key, "SEKRIT");
        ck_assert_str_eq(cr->session_token, "TOK");
        ck_assert_int_eq(cr->expires_ms, 1893456000000LL);
        aws_creds_unref(cr);
    } else {
        ck_assert_int_eq(rc, DG_EINVALID);
        ck_assert_ptr_null(cr);
        ck_assert_ptr_null(strstr(err.msg, "SEKRIT"));
    }
}
END_TEST

/* ---- the provider on a loop -------------------------------------------------
 */

static void
run(struct event_base *b)
{
    ck_assert_int_ge(event_base_loop(b, EVLOOP_NONBLOCK), 0);
    for (int i = 0; i < 10; i++)
        (void)event_base_loop(b, EVLOOP_NONBLOCK);
}

#define T0 1893456000000LL /* 2030-01-01T00:00:00Z */

static struct aws_creds_provider *
env_chain(struct event_base *b, struct fake_env *env)
{
    struct creds_chain_opts o = {.env = fake_getenv, .env_ctx = env};
    return creds_chain_new(b, NULL, &o);
}

START_TEST(test_creds_env_static)
{
    struct event_base *b = event_base_new();
    struct fake_env env = {0};
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK1");
    env_set(&env, "AWS_SECRET_ACCESS_KEY", "SEKRIT");
    env_set(&env, "AWS_SESSION_TOKEN", "TOK");
    struct aws_creds_provider *p = env_chain(b, &env);
    struct ts_creds_got g = {0};
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    ck_assert_int_eq(g.calls, 0); /* never from inside get */
    run(b);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.rc, DG_OK);
    ck_assert_str_eq(g.ak, "AK1");
    ck_assert_str_eq(g.source, "env");
    ck_assert_int_eq(g.expires, 0);
    /* no expiry: cached forever, the environment is not read again */
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK2");
    aws_creds_get(p, T0 + 1000 * MIN, ts_creds_got_cb, &g);
    ck_assert_int_eq(g.calls, 1);
    run(b);
    ck_assert_int_eq(g.calls, 2);
    ck_assert_str_eq(g.ak, "AK1");
    ck_assert_int_eq(env.expiration_reads, 1);
    aws_creds_provider_free(p);
    event_base_free(b);
}
END_TEST

START_TEST(test_creds_refresh_cycle)
{
    struct event_base *b = event_base_new();
    struct fake_env env = {0};
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK1");
    env_set(&env, "AWS_SECRET_ACCESS_KEY", "SEKRIT");
    env_set(&env, "AWS_CREDENTIAL_EXPIRATION", "2030-01-01T01:00:00Z");
    const int64_t exp1 = T0 + 60 * MIN;
    struct aws_creds_provider *p = env_chain(b, &env);
    struct ts_creds_got g = {0};
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    run(b);
    ck_assert_str_eq(g.ak, "AK1");
    ck_assert_int_eq(g.expires, exp1);
    ck_assert_int_eq(env.expiration_reads, 1);

    /* fresh: served from the cache */
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK2");
    env_set(&env, "AWS_CREDENTIAL_EXPIRATION", "2030-01-01T02:00:00Z");
    aws_creds_get(p, exp1 - 16 * MIN, ts_creds_got_cb, &g);
    run(b);
    ck_assert_str_eq(g.ak, "AK1");
    ck_assert_int_eq(env.expiration_reads, 1);

    /* advisory: the cached one now, a background refresh for later */
    aws_creds_get(p, exp1 - 12 * MIN, ts_creds_got_cb, &g);
    run(b);
    ck_assert_int_eq(g.calls, 3);
    ck_assert_str_eq(g.ak, "AK1");
    ck_assert_int_eq(env.expiration_reads, 2);
    aws_creds_get(p, exp1 - 12 * MIN, ts_creds_got_cb, &g);
    run(b);
    ck_assert_str_eq(g.ak, "AK2");
    const int64_t exp2 = T0 + 120 * MIN;

    /* a failed advisory refresh costs nothing */
    env_set(&env, "AWS_SECRET_ACCESS_KEY", "");
    aws_creds_get(p, exp2 - 12 * MIN, ts_creds_got_cb, &g);
    run(b);
    ck_assert_int_eq(g.rc, DG_OK);
    ck_assert_str_eq(g.ak, "AK2");
    ck_assert_int_eq(env.expiration_reads, 2); /* failed before reading it */

    /* mandatory: concurrent gets wait for one refresh, and fail with it */
    struct ts_creds_got w[5];
    memset(w, 0, sizeof(w));
    for (int i = 0; i < 5; i++)
        aws_creds_get(p, exp2 - 5 * MIN, ts_creds_got_cb, &w[i]);
    run(b);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(w[i].calls, 1);
        ck_assert_int_eq(w[i].rc, DG_EINVALID);
        ck_assert_str_eq(w[i].err.code, "partial");
        ck_assert_ptr_null(strstr(w[i].err.msg, "SEKRIT"));
    }

    /* fixed: concurrent mandatory gets share one refresh */
    env_set(&env, "AWS_SECRET_ACCESS_KEY", "SEKRIT3");
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK3");
    env_set(&env, "AWS_CREDENTIAL_EXPIRATION", "2030-01-01T03:00:00Z");
    int before = env.expiration_reads;
    memset(w, 0, sizeof(w));
    for (int i = 0; i < 5; i++)
        aws_creds_get(p, exp2 - 5 * MIN, ts_creds_got_cb, &w[i]);
    run(b);
    ck_assert_int_eq(env.expiration_reads, before + 1);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(w[i].calls, 1);
        ck_assert_str_eq(w[i].ak, "AK3");
    }

    /* a refresh that yields expired credentials fails */
    env_set(&env, "AWS_CREDENTIAL_EXPIRATION", "2029-01-01T00:00:00Z");
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK4");
    aws_creds_get(p, T0 + 180 * MIN, ts_creds_got_cb, &g);
    run(b);
    ck_assert_int_eq(g.rc, DG_EREMOTE);
    ck_assert_str_eq(g.err.code, "expired");
    aws_creds_provider_free(p);
    event_base_free(b);
}
END_TEST

static char tmpdir[256];

static char *
write_tmp(const char *name, const char *text)
{
    char *path = dg_sprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(test_creds_profile_files)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_creds.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    char *cfg = write_tmp("config", "[profile dev]\nregion = us-west-2\n"
                                    "s3 =\n  addressing_style = path\n");
    char *cr = write_tmp("credentials", "[dev]\naws_access_key_id = AKDEV\n"
                                        "aws_secret_access_key = SEKRIT\n");
    char *bad = write_tmp("bad", "[dev]\naws_secret_access_key = SEKRIT\n"
                                 "aws_secret_access_key = SEKRIT\n");
    struct event_base *b = event_base_new();
    struct fake_env env = {0};
    env_set(&env, "AWS_CONFIG_FILE", cfg);
    env_set(&env, "AWS_SHARED_CREDENTIALS_FILE", cr);
    env_set(&env, "AWS_PROFILE", "dev");
    struct aws_creds_provider *p = env_chain(b, &env);
    struct ts_creds_got g = {0};
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    run(b);
    ck_assert_int_eq(g.rc, DG_OK);
    ck_assert_str_eq(g.ak, "AKDEV");
    ck_assert_str_eq(g.source, "profile");
    aws_creds_provider_free(p);

    /* a broken credentials file: named, without its values */
    env_set(&env, "AWS_SHARED_CREDENTIALS_FILE", bad);
    p = env_chain(b, &env);
    memset(&g, 0, sizeof(g));
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    run(b);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.rc, DG_EINVALID);
    ck_assert_str_eq(g.err.code, "duplicate_key");
    ck_assert_ptr_nonnull(strstr(g.err.msg, bad));
    ck_assert_ptr_null(strstr(g.err.msg, "SEKRIT"));
    aws_creds_provider_free(p);

    /* missing files and IMDS off: no credentials, said once */
    env_set(&env, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/c");
    env_set(&env, "AWS_CONFIG_FILE", "/nonexistent/d");
    env_set(&env, "AWS_PROFILE", "");
    env_set(&env, "AWS_EC2_METADATA_DISABLED", "true");
    p = env_chain(b, &env);
    memset(&g, 0, sizeof(g));
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    run(b);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_str_eq(g.err.code, "no_credentials");
    aws_creds_provider_free(p);

    event_base_free(b);
    unlink(cfg);
    unlink(cr);
    unlink(bad);
    rmdir(tmpdir);
    dg_free(cfg);
    dg_free(cr);
    dg_free(bad);
}
END_TEST

/* Freeing with a get pending answers it, cancelled, exactly once. */
START_TEST(test_creds_free_pending)
{
    struct event_base *b = event_base_new();
    struct fake_env env = {0};
    env_set(&env, "AWS_ACCESS_KEY_ID", "AK1");
    env_set(&env, "AWS_SECRET_ACCESS_KEY", "SEKRIT");
    struct aws_creds_provider *p = env_chain(b, &env);
    struct ts_creds_got g = {0};
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    aws_creds_provider_free(p);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.rc, DG_ECANCELLED);
    run(b);
    ck_assert_int_eq(g.calls, 1);
    /* the static provider too */
    struct aws_creds *c = aws_creds_new("A", "S", NULL, 0, "static");
    p = aws_creds_static_new(b, c);
    aws_creds_unref(c);
    memset(&g, 0, sizeof(g));
    aws_creds_get(p, T0, ts_creds_got_cb, &g);
    aws_creds_provider_free(p);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.rc, DG_ECANCELLED);
    run(b);
    ck_assert_int_eq(g.calls, 1);
    event_base_free(b);
}
END_TEST

static Suite *
creds_suite(void)
{
    Suite *s = suite_create("creds");
    TCase *tc = tcase_create("pure");
    tcase_add_loop_test(tc, test_creds_refresh_window, 0,
                        (int)(sizeof(window_cases) / sizeof(window_cases[0])));
    tcase_add_loop_test(tc, test_creds_select, 0,
                        (int)(sizeof(select_cases) / sizeof(select_cases[0])));
    tcase_add_loop_test(tc, test_creds_metadata_url, 0,
                        (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    tcase_add_loop_test(tc, test_creds_parse_json, 0,
                        (int)(sizeof(json_cases) / sizeof(json_cases[0])));
    tcase_add_loop_test(tc, test_creds_parse_sts, 0,
                        (int)(sizeof(sts_cases) / sizeof(sts_cases[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("provider");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_creds_env_static);
    tcase_add_test(tc, test_creds_refresh_cycle);
    tcase_add_test(tc, test_creds_profile_files);
    tcase_add_test(tc, test_creds_free_pending);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(creds_suite());
}
