#ifndef DRGATE_CREDS_CHAIN_H
#define DRGATE_CREDS_CHAIN_H
/*
 * The default AWS credentials chain, in botocore's order:
 *   1. environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION)
 *   2. the profile (AWS_PROFILE, default "default") when it has role_arn:
 *      STS AssumeRole through source_profile / credential_source
 *   3. web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, else the
 *      profile's web_identity_token_file + role_arn): STS
 *      AssumeRoleWithWebIdentity, the token file re-read at every refresh
 *   4. the profile's own credentials, in botocore's ProfileProviderBuilder
 *      order: IAM Identity Center (sso_account_id / sso_role_name, with
 *      sso_session or legacy sso_start_url + sso_region; the token `aws
 *      sso login` cached), static keys in the credentials file,
 *      credential_process, static keys in the config file
 *   5. ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_*)
 *   6. EC2 IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true)
 * A source_profile resolves through 3-4 the same way (botocore's
 * _resolve_credentials_from_profile), so it may use SSO or
 * credential_process.
 * The first source that is configured is used, and only it: its failure
 * is the chain's failure (a broken setup never silently falls through to
 * another identity). The snapshot is cached and refreshed before it
 * expires, one refresh at a time.
 */
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "err.h"
#include "profile.h"

struct event_base;
struct http_engine;
struct cfg_kv;

/* Looks an environment variable up; NULL when unset. getenv by default. */
typedef const char *(*creds_env_fn)(const char *name, void *ctx);

#define CREDS_ADVISORY_MS (15 * 60 * 1000)  /* botocore's advisory window */
#define CREDS_MANDATORY_MS (10 * 60 * 1000) /* and its mandatory one */

struct creds_chain_opts {
    /* STS: the region drgate's config pins (NULL: none; then
     * AWS_REGION, AWS_DEFAULT_REGION, the selected profile's `region`,
     * default_region, us-east-1, as botocore's session region) and
     * endpoint overrides (config aws.endpoints; AWS_ENDPOINT_URL_STS and
     * AWS_ENDPOINT_URL apply too). */
    const char *region;
    const char *default_region;
    const struct cfg_kv *endpoints;
    size_t nendpoints;
    /* Environment lookup (NULL: getenv). File paths come from it:
     * AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, else $HOME/.aws/... */
    creds_env_fn env;
    void *env_ctx;
    /* Refresh windows before expiry; 0: the defaults above. */
    int64_t advisory_ms, mandatory_ms;
    /* IMDS and ECS: per-request timeout (0: 1000 ms) and attempts (0: 2). */
    long metadata_timeout_ms;
    int metadata_attempts;
    /* Base URL for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; NULL:
     * "http://169.254.170.2". Tests point it at a loopback server. */
    const char *ecs_base_url;
    /* credential_process: run time limit (0: CREDPROC_TIMEOUT_MS, 30 s);
     * the command is killed when it runs longer. */
    long process_timeout_ms;
    /* Handed to the internal STS client (NULL: real clock, RAND_bytes). */
    int64_t (*now_ms)(void *ctx);
    uint32_t (*random)(void *ctx);
    void *hook_ctx;
};

/* The chain as a provider. opts is copied (NULL: defaults). The base, the
 * engine and opts->endpoints must outlive it. Sources are resolved at the
 * first get, not here, so a missing file is not an error until then.
 * Freeing it (aws_creds_provider_free) answers gets still pending with
 * DG_ECANCELLED before it returns and cancels a running refresh. The snapshot
 * handed out names its source in creds->source: "env", "profile",
 * "assume-role", "web-identity", "sso", "process", "ecs", "imds". Errors have
 * err->code "no_credentials" or the failing source's reason, and a message
 * naming the source and never a secret. */
struct aws_creds_provider *creds_chain_new(struct event_base *base,
                                           struct http_engine *http,
                                           const struct creds_chain_opts *opts);

/* ---- pure parts, public for tests ---- */

enum creds_refresh {
    CREDS_FRESH = 0, /* use the snapshot */
    CREDS_ADVISORY,  /* use it, and refresh in the background */
    CREDS_MANDATORY, /* wait for a refresh; fail if it fails */
};

/* Where now_ms stands relative to expires_ms (0: never expires). */
enum creds_refresh creds_chain_refresh_state(int64_t now_ms, int64_t expires_ms,
                                             int64_t advisory_ms,
                                             int64_t mandatory_ms);

/* What the chain will do: plan.base and plan.roles (see profile.h). */
struct creds_chain_plan {
    const char *source; /* "env", "profile", "assume-role", ... */
    struct profile_plan p;
};

/* Picks the source from the environment and the parsed files (either may
 * be NULL when absent). profile is AWS_PROFILE or NULL. DG_EINVALID with
 * err->code "no_credentials" when nothing is configured, "bad_profile",
 * "cycle", "partial" (e.g. an access key without a secret) or
 * "no_profile" (AWS_PROFILE names a profile no file has). On DG_OK clean
 * plan->p up with profile_plan_cleanup. */
dg_rc creds_chain_select(creds_env_fn env, void *env_ctx,
                         const struct profile_file *config,
                         const struct profile_file *creds, const char *profile,
                         struct creds_chain_plan *plan, struct dg_err *err);

/* 1 when the chain may fetch url: https, http to loopback (127.0.0.0/8,
 * localhost, [::1]), or http to exactly the link-local metadata hosts
 * botocore allows (169.254.169.254, [fd00:ec2::254] for IMDS;
 * 169.254.170.2, 169.254.170.23, [fd00:ec2::23] for ECS/EKS). */
int creds_metadata_url_allowed(const char *url);

/* Parses an ECS or IMDS credentials document ({"AccessKeyId",
 * "SecretAccessKey", "Token", "Expiration", IMDS also "Code": "Success"})
 * into a new snapshot (refs 1) labelled source. DG_EINVALID with code
 * "bad_credentials" otherwise; err never holds the document. */
dg_rc creds_chain_parse_json(const char *body, size_t len, const char *source,
                             struct aws_creds **out, struct dg_err *err);

/* Parses an STS AssumeRole / AssumeRoleWithWebIdentity response
 * (<...Result><Credentials>...). Same contract. */
dg_rc creds_chain_parse_sts(const char *body, size_t len, const char *source,
                            struct aws_creds **out, struct dg_err *err);

#endif
