#ifndef DRGATE_ENDPOINT_H
#define DRGATE_ENDPOINT_H
/*
 * Endpoint resolution (pure): config aws.endpoints, then
 * AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the standard
 * regional endpoint (https://<prefix>.<region>.amazonaws.com, .com.cn in
 * China, Route53's global https://route53.amazonaws.com, regional STS).
 */
#include <stddef.h>

#include "client.h"
#include "err.h"

/* Looks an environment variable up; getenv in production. */
typedef const char *(*endpoint_env_fn)(const char *name, void *ctx);

/* Writes the base URL (no trailing slash) for svc in region into out and
 * the signing region into signing_region (us-east-1 for global services).
 * DG_EINVALID when an override is not an allowed URL. */
dg_rc endpoint_resolve(const struct aws_service *svc, const char *region,
                       const struct cfg_kv *endpoints, size_t nendpoints,
                       endpoint_env_fn env, void *env_ctx, char *out,
                       size_t outlen, char *signing_region,
                       size_t signing_region_len, struct dg_err *err);

#endif
