/*
 * endpoint.c - the table of AWS services drgate calls, and endpoint
 * resolution. Pure: the environment is injected (getenv in production).
 *
 * Precedence (as the AWS SDKs' "service-specific endpoints"):
 *   1. config aws.endpoints[svc->name]
 *   2. AWS_ENDPOINT_URL_<SERVICE ID> (upper case, spaces as '_')
 *   3. AWS_ENDPOINT_URL
 *   4. the standard endpoint: https://<prefix>.<region>.amazonaws.com
 *      (.amazonaws.com.cn in cn-*), Route53's one global endpoint.
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips 2 and 3 (as botocore).
 * Overrides must pass http_url_allowed (https, or http to loopback); the
 * trailing slash is dropped. Errors: DG_EINVALID with err->code
 * "bad_endpoint" or "bad_region".
 *
 * The table below was checked against botocore 1.43's service-2.json
 * metadata (protocol, jsonVersion, targetPrefix, apiVersion, serviceId,
 * awsQueryCompatible, globalEndpoint).
 */
#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "http.h"

const struct aws_service aws_svc_sqs = {
    .name = "sqs",
    .signing_name = "sqs",
    .endpoint_prefix = "sqs",
    .protocol = AWS_JSON_1_0,
    .target_prefix = "AmazonSQS",
    .service_id = "SQS",
    .query_compatible = 1,
};
const struct aws_service aws_svc_sns = {
    .name = "sns",
    .signing_name = "sns",
    .endpoint_prefix = "sns",
    .protocol = AWS_QUERY,
    .api_version = "2010-03-31",
    .service_id = "SNS",
};
const struct aws_service aws_svc_rds = {
    .name = "rds",
    .signing_name = "rds",
    .endpoint_prefix = "rds",
    .protocol = AWS_QUERY,
    .api_version = "2014-10-31",
    .service_id = "RDS",
};
const struct aws_service aws_svc_elasticache = {
    .name = "elasticache",
    .signing_name = "elasticache",
    .endpoint_prefix = "elasticache",
    .protocol = AWS_QUERY,
    .api_version = "2015-02-02",
    .service_id = "ElastiCache",
};
const struct aws_service aws_svc_route53 = {
    .name = "route53",
    .signing_name = "route53",
    .endpoint_prefix = "route53",
    .protocol = AWS_REST_XML,
    .api_version = "2013-04-01",
    .global = 1,
    .service_id = "Route 53",
};
const struct aws_service aws_svc_ecs = {
    .name = "ecs",
    .signing_name = "ecs",
    .endpoint_prefix = "ecs",
    .protocol = AWS_JSON_1_1,
    .target_prefix = "AmazonEC2ContainerServiceV20141113",
    .service_id = "ECS",
};
const struct aws_service aws_svc_ssm = {
    .name = "ssm",
    .signing_name = "ssm",
    .endpoint_prefix = "ssm",
    .protocol = AWS_JSON_1_1,
    .target_prefix = "AmazonSSM",
    .service_id = "SSM",
};
const struct aws_service aws_svc_cloudformation = {
    .name = "cloudformation",
    .signing_name = "cloudformation",
    .endpoint_prefix = "cloudformation",
    .protocol = AWS_QUERY,
    .api_version = "2010-05-15",
    .service_id = "CloudFormation",
};
const struct aws_service aws_svc_sts = {
    .name = "sts",
    .signing_name = "sts",
    .endpoint_prefix = "sts",
    .protocol = AWS_QUERY,
    .api_version = "2011-06-15",
    .service_id = "STS",
};
/* IAM Identity Center's portal (model "sso"): only its endpoint is used
 * (creds_chain.c calls GetRoleCredentials, an unsigned REST GET). */
const struct aws_service aws_svc_sso = {
    .name = "sso",
    .signing_name = "awsssoportal",
    .endpoint_prefix = "portal.sso",
    .protocol = AWS_JSON_1_1,
    .service_id = "SSO",
};
const struct aws_service aws_svc_events = {
    .name = "events",
    .signing_name = "events",
    .endpoint_prefix = "events",
    .protocol = AWS_JSON_1_1,
    .target_prefix = "AWSEvents",
    .service_id = "EventBridge",
};
/* CloudWatch: botocore's client name "cloudwatch" (the aws.endpoints key
 * and AWS_ENDPOINT_URL_CLOUDWATCH), endpoint prefix and signing name
 * "monitoring"; the model lists query among its protocols. */
const struct aws_service aws_svc_cloudwatch = {
    .name = "cloudwatch",
    .signing_name = "monitoring",
    .endpoint_prefix = "monitoring",
    .protocol = AWS_QUERY,
    .api_version = "2010-08-01",
    .service_id = "CloudWatch",
};
const struct aws_service aws_svc_dynamodb = {
    .name = "dynamodb",
    .signing_name = "dynamodb",
    .endpoint_prefix = "dynamodb",
    .protocol = AWS_JSON_1_0,
    .target_prefix = "DynamoDB_20120810",
    .service_id = "DynamoDB",
};

static int
region_ok(const char *r)
{
    if (!r || !*r || strlen(r) > 32)
        return 0;
    for (const char *p = r; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
              *p == '-'))
            return 0;
    return 1;
}

static dg_rc
copy_override(const char *url, const char *what, char *out, size_t outlen,
              struct dg_err *err)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n == 0 || n >= outlen)
        return dg_err_setc(err, DG_EINVALID, "bad_endpoint",
                           "%s: endpoint URL empty or too long", what);
    memcpy(out, url, n);
    out[n] = '\0';
    if (!http_url_allowed(out))
        return dg_err_setc(err, DG_EINVALID, "bad_endpoint",
                           "%s: endpoint must be https, or http to a "
                           "loopback address",
                           what);
    return DG_OK;
}

static int
env_true(const char *v)
{
    return v && (strcmp(v, "true") == 0 || strcmp(v, "TRUE") == 0 ||
                 strcmp(v, "True") == 0);
}

dg_rc
endpoint_resolve(const struct aws_service *svc, const char *region,
                 const struct cfg_kv *endpoints, size_t nendpoints,
                 endpoint_env_fn env, void *env_ctx, char *out, size_t outlen,
                 char *signing_region, size_t signing_region_len,
                 struct dg_err *err)
{
    if (!region_ok(region))
        return dg_err_setc(err, DG_EINVALID, "bad_region",
                           "region \"%.40s\" is not a region name",
                           region ? region : "");
    int china = strncmp(region, "cn-", 3) == 0;
    const char *sreg = region;
    if (svc->global)
        sreg = china ? "cn-northwest-1" : "us-east-1";
    if ((size_t)snprintf(signing_region, signing_region_len, "%s", sreg) >=
        signing_region_len)
        return dg_err_setc(err, DG_EINVALID, "bad_region",
                           "signing region buffer too small");

    for (size_t i = 0; i < nendpoints; i++)
        if (endpoints[i].name && endpoints[i].value &&
            strcmp(endpoints[i].name, svc->name) == 0)
            return copy_override(endpoints[i].value, "aws.endpoints", out,
                                 outlen, err);

    if (env && !env_true(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", env_ctx))) {
        char var[96];
        size_t n = (size_t)snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_");
        const char *id = svc->service_id ? svc->service_id : svc->name;
        for (const char *p = id; *p && n + 1 < sizeof(var); p++)
            var[n++] = *p == ' ' ? '_' : (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *v = env(var, env_ctx);
        if (v && *v)
            return copy_override(v, var, out, outlen, err);
        v = env("AWS_ENDPOINT_URL", env_ctx);
        if (v && *v)
            return copy_override(v, "AWS_ENDPOINT_URL", out, outlen, err);
    }

    int w;
    const char *suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
    if (svc->global)
        w = snprintf(out, outlen, "https://%s.%s", svc->endpoint_prefix,
                     suffix);
    else
        w = snprintf(out, outlen, "https://%s.%s.%s", svc->endpoint_prefix,
                     region, suffix);
    if (w < 0 || (size_t)w >= outlen)
        return dg_err_setc(err, DG_EINVALID, "bad_endpoint",
                           "endpoint buffer too small");
    return DG_OK;
}
