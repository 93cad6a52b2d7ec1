#ifndef DRGATE_SSO_H
#define DRGATE_SSO_H
/*
 * IAM Identity Center (SSO) profiles, the pure parts: the token cache file
 * name botocore and the AWS CLI use, the cached token document, and the
 * portal's GetRoleCredentials answer. drgate never runs the login flow
 * and never refreshes the token: `aws sso login` does.
 */
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "err.h"

#define SSO_CACHE_MAX (64u * 1024) /* bytes of a cache file */

/* The cache file's base name (no ".json"): the lower-case hex SHA-1 of the
 * sso_session name, or of the start URL for a legacy profile (botocore
 * SSOTokenLoader._generate_cache_key). out has room for 41 bytes. */
void sso_cache_key(const char *session_or_start_url, char out[41]);

/* Reads a cached token document: "accessToken" (string) and "expiresAt"
 * (ISO 8601; the AWS CLI v1 "...UTC" suffix is accepted). On DG_OK
 * *token is a copy (cleanse and free it) and *expires_ms is set. A token
 * that expires at or before now_ms is DG_EINVALID with err->code
 * "sso_expired"; anything malformed is "bad_sso_cache". Messages never
 * hold the token. */
dg_rc sso_token_parse(const char *body, size_t len, int64_t now_ms,
                      char **token, int64_t *expires_ms, struct dg_err *err);

/* Parses GetRoleCredentials' answer: {"roleCredentials": {"accessKeyId",
 * "secretAccessKey", "sessionToken", "expiration" (epoch milliseconds)}}
 * into a new snapshot (refs 1) labelled source. DG_EINVALID with
 * err->code "bad_credentials" otherwise; err never holds a value. */
dg_rc sso_parse_role_credentials(const char *body, size_t len,
                                 const char *source, struct aws_creds **out,
                                 struct dg_err *err);

#endif
