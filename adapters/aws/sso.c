/*
 * sso.c - IAM Identity Center (SSO) profiles, the pure parts: the token
 * cache key, the cached token document and the portal's role credentials.
 *
 * Ownership: the parsers copy what they return; the JSON trees they read
 * are cleansed (tokens and secrets) before they are freed. Errors:
 * DG_EINVALID with a reason code; messages name fields, never values.
 *
 * DESIGN: this follows botocore (credentials.py SSOProvider and
 * SSOCredentialFetcher, utils.py SSOTokenLoader, tokens.py): the cache
 * file is ~/.aws/sso/cache/<sha1(sso_session or sso_start_url)>.json and
 * the credentials come from GET /federation/credentials with the token in
 * x-amz-sso_bearer_token (model "sso", GetRoleCredentials). Unlike
 * botocore's SSOTokenProvider, an expired token is refused here instead of
 * refreshed through SSO-OIDC: a daemon must not hold a refresh token's
 * power, and `aws sso login` is the one place that writes the cache.
 */
#include "sso.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "json.h"
#include "mem.h"
#include "timefmt.h"

void
sso_cache_key(const char *in, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(in, strlen(in), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
        return;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
cleanse_str(cJSON *obj, const char *key)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(it) && it->valuestring)
        OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
}

/* expiresAt: RFC 3339, or the AWS CLI v1 form "2019-11-14T04:05:45UTC". */
static int
parse_expires(const char *s, int64_t *ms)
{
    if (timefmt_parse(s, ms) == 0)
        return 0;
    size_t n = strlen(s);
    if (n > 3 && n < 64 && strcmp(s + n - 3, "UTC") == 0) {
        char b[64];
        snprintf(b, sizeof(b), "%.*sZ", (int)(n - 3), s);
        return timefmt_parse(b, ms);
    }
    return -1;
}

dg_rc
sso_token_parse(const char *body, size_t len, int64_t now_ms, char **token,
                int64_t *expires_ms, struct dg_err *err)
{
    *token = NULL;
    *expires_ms = 0;
    struct dg_err jerr;
    dg_err_clear(&jerr);
    cJSON *doc = dg_json_parse(body, len, SSO_CACHE_MAX, 8, &jerr);
    if (!doc)
        return dg_err_setc(err, DG_EINVALID, "bad_sso_cache",
                           "the cached SSO token is not JSON (%s)", jerr.code);
    dg_rc rc = DG_OK;
    const char *tok = dg_json_str(doc, "accessToken");
    const char *exp = dg_json_str(doc, "expiresAt");
    int64_t exp_ms = 0;
    if (!tok || !*tok)
        rc = dg_err_setc(err, DG_EINVALID, "bad_sso_cache",
                         "the cached SSO token has no accessToken");
    else if (!exp || parse_expires(exp, &exp_ms) != 0)
        rc = dg_err_setc(err, DG_EINVALID, "bad_sso_cache",
                         "the cached SSO token has no valid expiresAt");
    else if (exp_ms <= now_ms)
        rc = dg_err_setc(err, DG_EINVALID, "sso_expired",
                         "the cached SSO token expired at %s", exp);
    else if (strpbrk(tok, "\r\n"))
        rc = dg_err_setc(err, DG_EINVALID, "bad_sso_cache",
                         "the cached SSO token is not a legal header value");
    else {
        *token = dg_strdup(tok);
        *expires_ms = exp_ms;
    }
    cleanse_str(doc, "accessToken");
    cleanse_str(doc, "refreshToken");
    cleanse_str(doc, "clientSecret");
    cJSON_Delete(doc);
    return rc;
}

dg_rc
sso_parse_role_credentials(const char *body, size_t len, const char *source,
                           struct aws_creds **out, struct dg_err *err)
{
    *out = NULL;
    struct dg_err jerr;
    dg_err_clear(&jerr);
    cJSON *doc = dg_json_parse(body, len, SSO_CACHE_MAX, 8, &jerr);
    if (!doc)
        return dg_err_setc(err, DG_EINVALID, "bad_credentials",
                           "%s: GetRoleCredentials answer is not JSON (%s)",
                           source, jerr.code);
    cJSON *rc_ = cJSON_GetObjectItemCaseSensitive(doc, "roleCredentials");
    const char *ak = dg_json_str(rc_, "accessKeyId");
    const char *sk = dg_json_str(rc_, "secretAccessKey");
    const char *tok = dg_json_str(rc_, "sessionToken");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(rc_, "expiration");
    dg_rc rc = DG_OK;
    if (!cJSON_IsObject(rc_) || !ak || !*ak || !sk || !*sk || !tok || !*tok)
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: GetRoleCredentials answer lacks "
                         "roleCredentials",
                         source);
    else if (!cJSON_IsNumber(exp) || exp->valuedouble <= 0 ||
             exp->valuedouble > 253402300799000.0)
        rc = dg_err_setc(err, DG_EINVALID, "bad_credentials",
                         "%s: GetRoleCredentials answer lacks a valid "
                         "expiration",
                         source);
    else
        *out = aws_creds_new(ak, sk, tok, (int64_t)exp->valuedouble, source);
    if (cJSON_IsObject(rc_)) {
        cleanse_str(rc_, "secretAccessKey");
        cleanse_str(rc_, "sessionToken");
    }
    cJSON_Delete(doc);
    return rc;
}
