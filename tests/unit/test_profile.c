/*
 * test_profile.c - the shared config/credentials parser and profile
 * resolution. The INI table's expectations were produced by botocore
 * 1.43's configloader (raw_config_parse for credentials files, load_config
 * for config files) on the very same bytes; resolution follows botocore's
 * AssumeRoleProvider (source_profile chains, self-reference, cycles,
 * credential_source).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "mem.h"
#include "profile.h"
#include "testsupport.h"

struct ini_case {
    const char *name;
    enum profile_kind kind;
    const char *text;
    const char *profile;
    const char *key;
    int error;        /* botocore raised ConfigParseError */
    int has;          /* the profile exists */
    const char *want; /* NULL: absent; "<nested>": a nested block */
};

static const struct ini_case ini_cases[] = {
#include "test_profile_ini.inc"
};

START_TEST(test_profile_ini)
{
    const struct ini_case *c = &ini_cases[_i];
    struct profile_file *f = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc = profile_file_parse(c->text, strlen(c->text), c->kind, &f, &err);
    if (c->error) {
        ck_assert_msg(rc == DG_EINVALID, "%s: parsed, botocore refused",
                      c->name);
        ck_assert_ptr_null(f);
        ck_assert_str_ne(err.code, "");
        return;
    }
    ck_assert_msg(rc == DG_OK, "%s: %s", c->name, err.msg);
    ck_assert_int_eq(profile_file_has(f, c->profile), c->has);
    const char *v = profile_file_get(f, c->profile, c->key);
    if (!c->want)
        ck_assert_msg(v == NULL, "%s: got \"%s\"", c->name, v);
    else if (strcmp(c->want, "<nested>") == 0)
        ck_assert_msg(v && v[0] == '\n', "%s: not nested", c->name);
    else
        ck_assert_msg(v && strcmp(v, c->want) == 0, "%s: got \"%s\"", c->name,
                      v ? v : "(null)");
    profile_file_free(f);
}
END_TEST

/* Bounds and byte-level refusals. */
START_TEST(test_profile_bounds)
{
    struct profile_file *f = NULL;
    struct dg_err err;
    size_t big = PROFILE_MAX_FILE + 1;
    char *s = dg_malloc(big);
    memset(s, '#', big);
    ck_assert_int_eq(profile_file_parse(s, big, PROFILE_CREDENTIALS, &f, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "too_large");
    /* one line longer than the limit */
    size_t n = PROFILE_MAX_LINE + 20;
    memcpy(s, "[a]\nk = ", 8);
    memset(s + 8, 'x', n - 8);
    ck_assert_int_eq(profile_file_parse(s, n, PROFILE_CREDENTIALS, &f, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "line_too_long");
    /* exactly at the limit is fine */
    n = 4 + PROFILE_MAX_LINE;
    memcpy(s, "[a]\nk = ", 8);
    memset(s + 8, 'x', n - 8);
    ck_assert_int_eq(profile_file_parse(s, n, PROFILE_CREDENTIALS, &f, &err),
                     DG_OK);
    ck_assert_uint_eq(strlen(profile_file_get(f, "a", "k")),
                      PROFILE_MAX_LINE - 4);
    profile_file_free(f);
    dg_free(s);
    ck_assert_int_eq(
        profile_file_parse("[a]\nk = \xff\n", 9, PROFILE_CREDENTIALS, &f, &err),
        DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_utf8");
    ck_assert_int_eq(
        profile_file_parse("[a]\nk = \0\n", 9, PROFILE_CREDENTIALS, &f, &err),
        DG_EINVALID);
    ck_assert_str_eq(err.code, "nul_byte");
}
END_TEST

/* Errors name keys and lines, never values (credentials are secrets). */
START_TEST(test_profile_errors_hide_values)
{
    static const char *const bad[] = {
        ("[a]\naws_secret_access_key = SUPERSECRET\n"
         "aws_secret_access_key = SUPERSECRET\n"),
        "aws_secret_access_key = SUPERSECRET\n",
        "[a]\nSUPERSECRET\n",
        "[SUPERSECRET]\n[SUPERSECRET]\n",
        "[default]\ns3 =\n  SUPERSECRET\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct profile_file *f = NULL;
        struct dg_err err;
        dg_err_clear(&err);
        ck_assert_int_eq(profile_file_parse(bad[i], strlen(bad[i]),
                                            PROFILE_CONFIG, &f, &err),
                         DG_EINVALID);
        /* case 3: a section name is not a value and may be named */
        ck_assert_msg(i == 3 || !strstr(err.msg, "SUPERSECRET"), "%zu: %s", i,
                      err.msg);
        ck_assert_str_ne(err.code, "");
    }
}
END_TEST

/* ---- resolution ---------------------------------------------------------- */

struct role_case {
    const char *name;
    const char *config;
    const char *creds;
    const char *profile;
    const char *want_err; /* reason code, or NULL */
    enum profile_base base;
    const char *base_profile;
    const char *roles; /* role ARNs in order, space-separated */
};

#define KEYS "aws_access_key_id = AK\naws_secret_access_key = SK\n"

static const struct role_case role_cases[] = {
    {"source_profile static",
     "[profile r]\nrole_arn = R1\nsource_profile = "
     "base\n",
     "[base]\n" KEYS, "r", NULL, PROFILE_BASE_STATIC, "base", "R1"},
    {"chain of three",
     "[profile a]\nrole_arn = RA\nsource_profile = b\n"
     "[profile b]\nrole_arn = RB\nsource_profile = c\n"
     "[profile c]\nrole_arn = RC\nsource_profile = d\n",
     "[d]\n" KEYS, "a", NULL, PROFILE_BASE_STATIC, "d", "RC RB RA"},
    {"self reference with keys", NULL,
     "[s]\n" KEYS "role_arn = RS\nsource_profile = s\n", "s", NULL,
     PROFILE_BASE_STATIC, "s", "RS"},
    {"self reference without keys",
     "[profile s]\nrole_arn = RS\n"
     "source_profile = s\n",
     NULL, "s", "cycle", 0, NULL, NULL},
    {"two-profile cycle",
     "[profile a]\nrole_arn = RA\nsource_profile = b\n"
     "[profile b]\nrole_arn = RB\nsource_profile = a\n",
     NULL, "a", "cycle", 0, NULL, NULL},
    {"cycle back to a start that holds keys",
     "[profile a]\nrole_arn = RA\nsource_profile = b\n" KEYS
     "[profile b]\nrole_arn = RB\nsource_profile = a\n",
     NULL, "a", "cycle", 0, NULL, NULL},
    {"source with keys and role uses keys",
     "[profile a]\nrole_arn = RA\nsource_profile = b\n"
     "[profile b]\nrole_arn = RB\nsource_profile = a\n",
     "[b]\n" KEYS, "a", NULL, PROFILE_BASE_STATIC, "b", "RA"},
    {"credential_source Environment",
     "[default]\nrole_arn = R\ncredential_source = Environment\n", NULL,
     "default", NULL, PROFILE_BASE_ENV, "default", "R"},
    {"credential_source EcsContainer",
     "[default]\nrole_arn = R\ncredential_source = EcsContainer\n", NULL,
     "default", NULL, PROFILE_BASE_ECS, "default", "R"},
    {"credential_source Ec2InstanceMetadata via chain",
     "[profile a]\nrole_arn = RA\nsource_profile = b\n"
     "[profile b]\nrole_arn = RB\ncredential_source = Ec2InstanceMetadata\n",
     NULL, "a", NULL, PROFILE_BASE_IMDS, "b", "RB RA"},
    {"credential_source is case-sensitive",
     "[default]\nrole_arn = R\ncredential_source = environment\n", NULL,
     "default", "bad_profile", 0, NULL, NULL},
    {"both sources",
     "[default]\nrole_arn = R\ncredential_source = "
     "Environment\nsource_profile = x\n[profile x]\n" KEYS,
     NULL, "default", "bad_profile", 0, NULL, NULL},
    {"neither source", "[default]\nrole_arn = R\n", NULL, "default",
     "bad_profile", 0, NULL, NULL},
    {"missing source profile",
     "[default]\nrole_arn = R\nsource_profile = "
     "nope\n",
     NULL, "default", "bad_profile", 0, NULL, NULL},
    {"source without credentials",
     "[default]\nrole_arn = R\nsource_profile = x\n[profile x]\nregion = r\n",
     NULL, "default", "bad_profile", 0, NULL, NULL},
    {"source with partial keys",
     "[default]\nrole_arn = R\nsource_profile = x\n",
     "[x]\n"
     "aws_access_key_id = "
     "A\n",
     "default", "bad_profile", 0, NULL, NULL},
    {"source with web identity",
     "[default]\nrole_arn = R\nsource_profile = w\n"
     "[profile w]\nrole_arn = RW\nweb_identity_token_file = /t\n",
     NULL, "default", NULL, PROFILE_BASE_WEB_IDENTITY, "w", "R"},
    {"role settings from credentials file override config",
     "[profile r]\nrole_arn = OLD\nsource_profile = base\n",
     "[r]\nrole_arn = NEW\n[base]\n" KEYS, "r", NULL, PROFILE_BASE_STATIC,
     "base", "NEW"},
    {"credentials file keys preferred for source",
     "[profile base]\naws_access_key_id = CFG\naws_secret_access_key = S\n"
     "[profile r]\nrole_arn = R\nsource_profile = base\n",
     "[base]\n" KEYS, "r", NULL, PROFILE_BASE_STATIC, "base", "R"},
};

START_TEST(test_profile_roles)
{
    const struct role_case *c = &role_cases[_i];
    struct profile_file *cfg = ts_profile(c->config, PROFILE_CONFIG);
    struct profile_file *cr = ts_profile(c->creds, PROFILE_CREDENTIALS);
    struct profile_plan plan;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(profile_is_assume_role(cfg, cr, c->profile), "%s", c->name);
    dg_rc rc = profile_resolve_role(cfg, cr, c->profile, &plan, &err);
    if (c->want_err) {
        ck_assert_msg(rc == DG_EINVALID, "%s: resolved", c->name);
        ck_assert_str_eq(err.code, c->want_err);
        ck_assert_ptr_null(strstr(err.msg, "SK"));
    } else {
        ck_assert_msg(rc == DG_OK, "%s: %s", c->name, err.msg);
        ck_assert_int_eq(plan.base, c->base);
        ck_assert_str_eq(plan.base_profile, c->base_profile);
        char got[256] = "";
        for (size_t i = 0; i < plan.nroles; i++) {
            if (i)
                strcat(got, " ");
            strcat(got, plan.roles[i].role_arn);
        }
        ck_assert_str_eq(got, c->roles);
        if (c->base == PROFILE_BASE_STATIC) {
            ck_assert_str_eq(plan.access_key_id, "AK");
            ck_assert_str_eq(plan.secret_access_key, "SK");
            ck_assert_str_eq(plan.base_file, "credentials");
        }
        profile_plan_cleanup(&plan);
    }
    profile_file_free(cfg);
    profile_file_free(cr);
}
END_TEST

START_TEST(test_profile_role_params)
{
    struct profile_file *cfg = ts_profile(
        "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = b\n"
        "role_session_name = sess\nexternal_id = ext\n"
        "duration_seconds = 900\n"
        "[profile bad]\nrole_arn = R\nsource_profile = b\n"
        "duration_seconds = 15m\n",
        PROFILE_CONFIG);
    struct profile_file *cr = ts_profile(
        "[b]\n" KEYS "aws_session_token = TOK\n", PROFILE_CREDENTIALS);
    struct profile_plan plan;
    struct dg_err err;
    ck_assert_int_eq(profile_resolve_role(cfg, cr, "r", &plan, &err), DG_OK);
    ck_assert_uint_eq(plan.nroles, 1);
    ck_assert_str_eq(plan.roles[0].role_arn, "arn:aws:iam::1:role/x");
    ck_assert_str_eq(plan.roles[0].session_name, "sess");
    ck_assert_str_eq(plan.roles[0].external_id, "ext");
    ck_assert_int_eq(plan.roles[0].duration_seconds, 900);
    ck_assert_str_eq(plan.session_token, "TOK");
    profile_plan_cleanup(&plan);
    ck_assert_int_eq(profile_resolve_role(cfg, cr, "bad", &plan, &err), DG_OK);
    ck_assert_int_eq(plan.roles[0].duration_seconds, 0); /* ignored */
    ck_assert_ptr_null(plan.roles[0].session_name);
    profile_plan_cleanup(&plan);
    profile_file_free(cfg);
    profile_file_free(cr);
}
END_TEST

START_TEST(test_profile_too_deep)
{
    struct dg_buf b;
    dg_buf_init(&b, 1 << 20);
    for (int i = 0; i < PROFILE_MAX_CHAIN + 2; i++)
        ck_assert_int_eq(dg_buf_printf(&b,
                                       "[profile p%d]\nrole_arn = R%d\n"
                                       "source_profile = p%d\n",
                                       i, i, i + 1),
                         DG_OK);
    ck_assert_int_eq(
        dg_buf_printf(&b, "[profile p%d]\n" KEYS, PROFILE_MAX_CHAIN + 2),
        DG_OK);
    struct profile_file *cfg = ts_profile(dg_buf_str(&b), PROFILE_CONFIG);
    struct profile_plan plan;
    struct dg_err err;
    ck_assert_int_eq(profile_resolve_role(cfg, NULL, "p0", &plan, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "too_deep");
    ck_assert_int_eq(profile_resolve_role(cfg, NULL, "p1", &plan, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "too_deep");
    /* exactly PROFILE_MAX_CHAIN roles */
    ck_assert_int_eq(profile_resolve_role(cfg, NULL, "p2", &plan, &err), DG_OK);
    ck_assert_uint_eq(plan.nroles, PROFILE_MAX_CHAIN);
    ck_assert_str_eq(plan.roles[0].role_arn, "R17");
    ck_assert_str_eq(plan.roles[PROFILE_MAX_CHAIN - 1].role_arn, "R2");
    profile_plan_cleanup(&plan);
    profile_file_free(cfg);
    dg_buf_cleanup(&b);
    /* a 3-hop chain resolves */
    cfg = ts_profile("[profile a]\nrole_arn = A\nsource_profile = b\n"
                     "[profile b]\nrole_arn = B\nsource_profile = c\n"
                     "[profile c]\n" KEYS,
                     PROFILE_CONFIG);
    ck_assert_int_eq(profile_resolve_role(cfg, NULL, "a", &plan, &err), DG_OK);
    ck_assert_uint_eq(plan.nroles, 2);
    ck_assert_str_eq(plan.base_file, "config");
    profile_plan_cleanup(&plan);
    profile_file_free(cfg);
}
END_TEST

START_TEST(test_profile_plain)
{
    struct profile_file *cfg = ts_profile(
        "[default]\naws_access_key_id = CFG\naws_secret_access_key = CS\n"
        "[profile w]\nweb_identity_token_file = /tok\nrole_arn = RW\n"
        "role_session_name = s\n"
        "[profile nowi]\nweb_identity_token_file = /tok\n"
        "[profile p]\naws_access_key_id = only\n",
        PROFILE_CONFIG);
    struct profile_file *cr = ts_profile(
        "[default]\naws_access_key_id = CR\naws_secret_access_key = CRS\n"
        "aws_security_token = ST\naws_session_token = SESS\n",
        PROFILE_CREDENTIALS);
    struct profile_plan plan = {0};
    struct dg_err err;
    ck_assert_int_eq(profile_resolve_plain(cfg, cr, "default", &plan, &err),
                     DG_OK);
    ck_assert_int_eq(plan.base, PROFILE_BASE_STATIC);
    ck_assert_str_eq(plan.access_key_id, "CR"); /* credentials file first */
    ck_assert_str_eq(plan.session_token, "ST"); /* aws_security_token wins */
    profile_plan_cleanup(&plan);
    ck_assert_int_eq(profile_resolve_plain(cfg, NULL, "default", &plan, &err),
                     DG_OK);
    ck_assert_str_eq(plan.access_key_id, "CFG");
    ck_assert_ptr_null(plan.session_token);
    profile_plan_cleanup(&plan);
    ck_assert_int_eq(profile_resolve_plain(cfg, cr, "w", &plan, &err), DG_OK);
    ck_assert_int_eq(plan.base, PROFILE_BASE_WEB_IDENTITY);
    ck_assert_str_eq(plan.token_file, "/tok");
    ck_assert_str_eq(plan.wi_role_arn, "RW");
    ck_assert_str_eq(plan.wi_session_name, "s");
    profile_plan_cleanup(&plan);
    ck_assert_int_eq(profile_resolve_plain(cfg, cr, "nowi", &plan, &err),
                     DG_EINVALID);
    ck_assert_int_eq(profile_resolve_plain(cfg, cr, "p", &plan, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_profile");
    ck_assert_int_eq(profile_resolve_plain(cfg, cr, "none", &plan, &err),
                     DG_OK);
    ck_assert_int_eq(plan.base, PROFILE_BASE_NONE);
    profile_plan_cleanup(&plan);
    ck_assert(!profile_is_assume_role(cfg, cr, "w"));
    profile_file_free(cfg);
    profile_file_free(cr);
}
END_TEST

static Suite *
profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("ini");
    tcase_add_loop_test(tc, test_profile_ini, 0,
                        (int)(sizeof(ini_cases) / sizeof(ini_cases[0])));
    tcase_add_test(tc, test_profile_bounds);
    tcase_add_test(tc, test_profile_errors_hide_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("resolve");
    tcase_add_loop_test(tc, test_profile_roles, 0,
                        (int)(sizeof(role_cases) / sizeof(role_cases[0])));
    tcase_add_test(tc, test_profile_role_params);
    tcase_add_test(tc, test_profile_too_deep);
    tcase_add_test(tc, test_profile_plain);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    /* the table is generated from botocore: a truncated one fails */
    if (sizeof(ini_cases) / sizeof(ini_cases[0]) < 60) {
        fprintf(stderr, "test_profile: INI table has too few cases\n");
        return 1;
    }
    return ts_run(profile_suite());
}
