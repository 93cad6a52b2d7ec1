#ifndef DRGATE_PROFILE_H
#define DRGATE_PROFILE_H
/*
 * The AWS shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials): INI parsing exactly as botocore's configloader
 * (Python's RawConfigParser) does it, and the profile lookups the
 * credential chain needs. Pure: no I/O, no clock, no environment.
 */
#include <stddef.h>

#include "err.h"

#define PROFILE_MAX_FILE (1024u * 1024) /* bytes per file */
#define PROFILE_MAX_LINE 65536u         /* bytes per line */
#define PROFILE_MAX_CHAIN 16            /* source_profile hops */

enum profile_kind {
    PROFILE_CONFIG = 1,  /* [default], [profile name]; [other] is not one */
    PROFILE_CREDENTIALS, /* every [name] is the profile "name" */
};

struct profile_file;

/* Parses data (len bytes, no NUL needed) as botocore does: '#' and ';'
 * full-line comments, '=' or ':' delimiters, lower-cased keys, indented
 * continuation lines (a value starting with a newline is a nested
 * "key = value" block, as for s3), the [DEFAULT] section's keys inherited
 * by every section. Refused (DG_EINVALID, err->code "too_large",
 * "line_too_long", "bad_utf8", "nul_byte", "missing_section",
 * "duplicate_section", "duplicate_key", "bad_line", "bad_nested"), with
 * the line number in err->msg and never a value: a credentials file's
 * values are secrets. On DG_OK *out is freed with profile_file_free. */
dg_rc profile_file_parse(const char *data, size_t len, enum profile_kind kind,
                         struct profile_file **out, struct dg_err *err);
/* Cleanses every value before freeing. Accepts NULL. */
void profile_file_free(struct profile_file *f);

/* The value of key in the config file's [sso-session name] section (the
 * last one naming it), NULL when absent. Borrowed from f. */
const char *profile_file_sso_session_get(const struct profile_file *f,
                                         const char *session, const char *key);
/* 1 when the config file has [sso-session name]. */
int profile_file_has_sso_session(const struct profile_file *f,
                                 const char *session);

/* 1 when the file defines the profile (f may be NULL). */
int profile_file_has(const struct profile_file *f, const char *profile);
/* The value of key (lower-case) in the profile, NULL when absent or f is
 * NULL. A config file's profile is its last section naming it. Borrowed
 * from f. */
const char *profile_file_get(const struct profile_file *f, const char *profile,
                             const char *key);

/* What a profile resolves to: a base source, then roles to assume in
 * order (roles[0] with the base's credentials, roles[1] with roles[0]'s,
 * ...). Strings are owned; profile_plan_cleanup cleanses them. */
enum profile_base {
    PROFILE_BASE_NONE = 0, /* the profile has no credentials */
    PROFILE_BASE_STATIC,   /* aws_access_key_id / aws_secret_access_key */
    PROFILE_BASE_WEB_IDENTITY,
    PROFILE_BASE_ENV,     /* credential_source = Environment */
    PROFILE_BASE_ECS,     /* credential_source = EcsContainer */
    PROFILE_BASE_IMDS,    /* credential_source = Ec2InstanceMetadata */
    PROFILE_BASE_PROCESS, /* credential_process */
    PROFILE_BASE_SSO,     /* sso_account_id + sso_role_name (+ sso_session) */
};

struct profile_role {
    char *profile; /* the profile that names the role */
    char *role_arn;
    char *session_name;   /* NULL: the chain picks one */
    char *external_id;    /* NULL when none */
    int duration_seconds; /* 0: STS default */
};

struct profile_plan {
    enum profile_base base;
    char *base_profile;    /* the profile the base came from */
    const char *base_file; /* "credentials" or "config" for STATIC */
    /* PROFILE_BASE_STATIC */
    char *access_key_id, *secret_access_key, *session_token;
    /* PROFILE_BASE_WEB_IDENTITY */
    char *token_file, *wi_role_arn, *wi_session_name;
    /* PROFILE_BASE_PROCESS: the command line (may hold secrets) */
    char *process;
    /* PROFILE_BASE_SSO: sso_session is NULL for a legacy profile */
    char *sso_session, *sso_start_url, *sso_region, *sso_account_id,
        *sso_role_name;
    struct profile_role roles[PROFILE_MAX_CHAIN];
    size_t nroles;
    /* The selected profile's `region` (NULL when none): STS calls use it
     * when drgate's config pins no region (creds_chain.h). */
    char *region;
};

void profile_plan_cleanup(struct profile_plan *p); /* accepts NULL */

/* 1 when the profile (config or credentials, either may be NULL) has
 * role_arn without web_identity_token_file: botocore's assume-role
 * provider takes it. */
int profile_is_assume_role(const struct profile_file *config,
                           const struct profile_file *creds,
                           const char *profile);

/* Resolves an assume-role profile (profile_is_assume_role) through its
 * source_profile / credential_source chain as botocore's AssumeRoleProvider
 * does: a profile may name itself as source_profile only when it holds
 * static keys; any other revisit is a cycle (err->code "cycle"). Other
 * codes: "bad_profile" (both or neither of source_profile and
 * credential_source, unknown credential_source, missing source profile,
 * source without credentials, partial keys), "too_deep". */
dg_rc profile_resolve_role(const struct profile_file *config,
                           const struct profile_file *creds,
                           const char *profile, struct profile_plan *plan,
                           struct dg_err *err);

/* The non-role providers for one profile in botocore's order
 * (ProfileProviderBuilder.providers): web identity from the profile
 * (web_identity_token_file + role_arn), then profile_resolve_keys. Sets
 * plan->base (PROFILE_BASE_NONE when the profile has none of these).
 * DG_EINVALID ("bad_profile") for partial keys or a token file without a
 * role. */
dg_rc profile_resolve_plain(const struct profile_file *config,
                            const struct profile_file *creds,
                            const char *profile, struct profile_plan *plan,
                            struct dg_err *err);

/* The rest of ProfileProviderBuilder.providers, in its order: SSO
 * (sso_account_id or sso_role_name present; sso_session resolved against
 * [sso-session]), static keys from the credentials file,
 * credential_process, static keys from the config file. Sets plan->base
 * (NONE when none applies). DG_EINVALID ("bad_profile") for partial keys,
 * an incomplete SSO profile, a missing or inconsistent sso-session. */
dg_rc profile_resolve_keys(const struct profile_file *config,
                           const struct profile_file *creds,
                           const char *profile, struct profile_plan *plan,
                           struct dg_err *err);

/* Static keys of the profile in one file (botocore's
 * SharedCredentialProvider / ConfigProvider): 1 found (plan->base STATIC,
 * base_file = fname), 0 none, -1 an access key without a secret (err). */
int profile_static_keys(const struct profile_file *f, const char *profile,
                        const char *fname, struct profile_plan *plan,
                        struct dg_err *err);

#endif
