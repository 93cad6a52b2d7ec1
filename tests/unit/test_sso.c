/*
 * test_sso.c - IAM Identity Center profiles, the pure parts: botocore's
 * cache key (SHA-1 hex of the session name or start URL), the cached token
 * document (ok, expired, CLI v1 "UTC" form, malformed), GetRoleCredentials
 * answers, and profile resolution (sso_session against [sso-session],
 * legacy keys, missing and inconsistent settings, precedence against
 * static keys and credential_process, SSO as a source_profile), plus the
 * selected profile's region carried in the plan.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "creds.h"
#include "creds_chain.h"
#include "mem.h"
#include "profile.h"
#include "sso.h"
#include "testsupport.h"

START_TEST(test_cache_key)
{
    char k[41];
    /* sha1sum of the strings, computed outside the code under test */
    sso_cache_key("dr-sso", k);
    ck_assert_str_eq(k, "c205d448127f232ac726b7acdad4dcfb5adc30d0");
    sso_cache_key("https://d-123.awsapps.com/start", k);
    ck_assert_str_eq(k, "2b829a45f04c9828cb45b7d092d8e4aa30818393");
}
END_TEST

#define NOW 1700000000000LL /* 2023-11-14T22:13:20Z */

struct token_case {
    const char *json;
    const char *code; /* NULL: ok */
    int64_t expires;
};

static const struct token_case token_cases[] = {
    {"{\"accessToken\": \"tok-1\", \"expiresAt\": \"2023-11-15T00:00:00Z\"}",
     NULL, 1700006400000LL},
    {"{\"accessToken\": \"tok-1\", \"expiresAt\": \"2023-11-15T00:00:00UTC\"}",
     NULL, 1700006400000LL},
    {"{\"accessToken\": \"tok-1\", \"expiresAt\": \"2023-11-14T22:13:20Z\"}",
     "sso_expired", 0},
    {"{\"accessToken\": \"tok-1\", \"expiresAt\": \"2020-01-01T00:00:00Z\"}",
     "sso_expired", 0},
    {"{\"expiresAt\": \"2023-11-15T00:00:00Z\"}", "bad_sso_cache", 0},
    {"{\"accessToken\": \"tok-1\"}", "bad_sso_cache", 0},
    {"{\"accessToken\": \"tok-1\", \"expiresAt\": \"soon\"}", "bad_sso_cache",
     0},
    {"{\"accessToken\": \"tok\\r\\nX: 1\", \"expiresAt\": "
     "\"2023-11-15T00:00:00Z\"}",
     "bad_sso_cache", 0},
    {"tok-1", "bad_sso_cache", 0},
};

START_TEST(test_token_parse)
{
    const struct token_case *c = &token_cases[_i];
    char *tok = NULL;
    int64_t exp = -1;
    struct dg_err e;
    dg_err_clear(&e);
    dg_rc rc = sso_token_parse(c->json, strlen(c->json), NOW, &tok, &exp, &e);
    if (!c->code) {
        ck_assert_msg(rc == DG_OK, "%s", e.msg);
        ck_assert_str_eq(tok, "tok-1");
        ck_assert_int_eq(exp, c->expires);
        dg_free(tok);
        return;
    }
    ck_assert_int_eq(rc, DG_EINVALID);
    ck_assert_ptr_null(tok);
    ck_assert_str_eq(e.code, c->code);
    ck_assert_ptr_null(strstr(e.msg, "tok-1"));
}
END_TEST

START_TEST(test_role_credentials)
{
    const char *ok = "{\"roleCredentials\": {\"accessKeyId\": \"ASIA1\", "
                     "\"secretAccessKey\": \"s3cr3t\", \"sessionToken\": "
                     "\"st\", \"expiration\": 1700003600000}}";
    struct aws_creds *c = NULL;
    struct dg_err e;
    dg_err_clear(&e);
    ck_assert_int_eq(sso_parse_role_credentials(ok, strlen(ok), "sso", &c, &e),
                     DG_OK);
    ck_assert_str_eq(c->access_key_id, "ASIA1");
    ck_assert_str_eq(c->secret_access_key, "s3cr3t");
    ck_assert_str_eq(c->session_token, "st");
    ck_assert_int_eq(c->expires_ms, 1700003600000LL);
    ck_assert_str_eq(c->source, "sso");
    aws_creds_unref(c);
    static const char *const bad[] = {
        "{}",
        "{\"roleCredentials\": {\"accessKeyId\": \"ASIA1\", "
        "\"secretAccessKey\": \"s3cr3t\", \"expiration\": 1}}",
        "{\"roleCredentials\": {\"accessKeyId\": \"ASIA1\", "
        "\"secretAccessKey\": \"s3cr3t\", \"sessionToken\": \"st\", "
        "\"expiration\": \"2030-01-01T00:00:00Z\"}}",
        "not json s3cr3t",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dg_err_clear(&e);
        ck_assert_int_eq(
            sso_parse_role_credentials(bad[i], strlen(bad[i]), "sso", &c, &e),
            DG_EINVALID);
        ck_assert_ptr_null(c);
        ck_assert_str_eq(e.code, "bad_credentials");
        ck_assert_ptr_null(strstr(e.msg, "s3cr3t"));
    }
}
END_TEST

/* ---- resolution ------------------------------------------------------------
 */

static const char config_text[] =
    "[default]\n"
    "region = eu-west-3\n"
    "[profile dr]\n"
    "sso_session = corp\n"
    "sso_account_id = 111122223333\n"
    "sso_role_name = DrOperator\n"
    "aws_access_key_id = AKIDCONFIG\n"
    "aws_secret_access_key = config-secret\n"
    "region = eu-central-1\n"
    "[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
    "sso_region = eu-west-1\n"
    "[profile legacy]\n"
    "sso_start_url = https://old.awsapps.com/start\n"
    "sso_region = us-east-2\n"
    "sso_account_id = 444455556666\n"
    "sso_role_name = ReadOnly\n"
    "[profile nosession]\n"
    "sso_session = missing\n"
    "sso_account_id = 1\n"
    "sso_role_name = r\n"
    "[profile partial]\n"
    "sso_account_id = 1\n"
    "sso_start_url = https://x.awsapps.com/start\n"
    "sso_region = us-east-1\n"
    "[profile clash]\n"
    "sso_session = corp\n"
    "sso_region = us-west-2\n"
    "sso_account_id = 1\n"
    "sso_role_name = r\n"
    "[profile agree]\n"
    "sso_session = corp\n"
    "sso_region = eu-west-1\n"
    "sso_account_id = 1\n"
    "sso_role_name = r\n"
    "[profile viarole]\n"
    "role_arn = arn:aws:iam::111122223333:role/next\n"
    "source_profile = legacy\n";

START_TEST(test_select_sso)
{
    struct profile_file *cfg = ts_profile(config_text, PROFILE_CONFIG);
    struct creds_chain_plan plan;
    struct dg_err e;
    dg_err_clear(&e);

    /* SSO comes before the same profile's static keys (botocore order) */
    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, "dr", &plan, &e), DG_OK);
    ck_assert_str_eq(plan.source, "sso");
    ck_assert_int_eq(plan.p.base, PROFILE_BASE_SSO);
    ck_assert_str_eq(plan.p.sso_session, "corp");
    ck_assert_str_eq(plan.p.sso_start_url, "https://corp.awsapps.com/start");
    ck_assert_str_eq(plan.p.sso_region, "eu-west-1");
    ck_assert_str_eq(plan.p.sso_account_id, "111122223333");
    ck_assert_str_eq(plan.p.sso_role_name, "DrOperator");
    ck_assert_str_eq(plan.p.region, "eu-central-1");
    profile_plan_cleanup(&plan.p);

    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, "legacy", &plan, &e),
        DG_OK);
    ck_assert_str_eq(plan.source, "sso");
    ck_assert_ptr_null(plan.p.sso_session);
    ck_assert_str_eq(plan.p.sso_region, "us-east-2");
    /* [default]'s region is not this profile's */
    ck_assert_ptr_null(plan.p.region);
    profile_plan_cleanup(&plan.p);

    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, "agree", &plan, &e),
        DG_OK);
    profile_plan_cleanup(&plan.p);

    /* SSO as the source of an assume-role profile */
    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, "viarole", &plan, &e),
        DG_OK);
    ck_assert_str_eq(plan.source, "assume-role");
    ck_assert_int_eq(plan.p.base, PROFILE_BASE_SSO);
    ck_assert_str_eq(plan.p.base_profile, "legacy");
    ck_assert_uint_eq(plan.p.nroles, 1);
    profile_plan_cleanup(&plan.p);

    static const char *const bad[][2] = {
        {"nosession", "missing"},
        {"partial", "sso_role_name"},
        {"clash", "sso_region"},
    };
    for (size_t i = 0; i < 3; i++) {
        dg_err_clear(&e);
        ck_assert_int_eq(creds_chain_select(ts_no_env, NULL, cfg, NULL,
                                            bad[i][0], &plan, &e),
                         DG_EINVALID);
        ck_assert_str_eq(e.code, "bad_profile");
        ck_assert_msg(strstr(e.msg, bad[i][1]), "%s", e.msg);
    }

    /* the default profile's region */
    ck_assert_int_eq(
        creds_chain_select(ts_no_env, NULL, cfg, NULL, NULL, &plan, &e), DG_OK);
    ck_assert_str_eq(plan.source, "imds");
    ck_assert_str_eq(plan.p.region, "eu-west-3");
    profile_plan_cleanup(&plan.p);
    profile_file_free(cfg);
}
END_TEST

START_TEST(test_sso_session_sections)
{
    struct profile_file *cfg =
        ts_profile("[sso-session a]\nsso_region = r1\n"
                   "[sso-session   'b c']\nsso_region = r2\n"
                   "[sso-session]\nsso_region = none\n"
                   "[sso-session x y]\nsso_region = three-words\n"
                   "[profile a]\nregion = not-a-session\n",
                   PROFILE_CONFIG);
    ck_assert_str_eq(profile_file_sso_session_get(cfg, "a", "sso_region"),
                     "r1");
    ck_assert_str_eq(profile_file_sso_session_get(cfg, "b c", "sso_region"),
                     "r2");
    ck_assert(!profile_file_has_sso_session(cfg, "x"));
    ck_assert(!profile_file_has_sso_session(cfg, ""));
    /* an sso-session is not a profile, and a profile not a session */
    ck_assert(!profile_file_has(cfg, "sso-session a"));
    ck_assert_ptr_null(profile_file_sso_session_get(cfg, "a", "region"));
    profile_file_free(cfg);
    /* the credentials file has no sso-session sections */
    struct profile_file *cr =
        ts_profile("[sso-session a]\nsso_region = r1\n", PROFILE_CREDENTIALS);
    ck_assert(!profile_file_has_sso_session(cr, "a"));
    profile_file_free(cr);
}
END_TEST

static Suite *
sso_suite(void)
{
    Suite *s = suite_create("sso");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_cache_key);
    tcase_add_loop_test(tc, test_token_parse, 0,
                        sizeof(token_cases) / sizeof(token_cases[0]));
    tcase_add_test(tc, test_role_credentials);
    tcase_add_test(tc, test_select_sso);
    tcase_add_test(tc, test_sso_session_sections);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(sso_suite());
}
