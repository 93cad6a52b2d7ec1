#ifndef DRGATE_SSM_H
#define DRGATE_SSM_H
/*
 * AWS Systems Manager Parameter Store (JSON 1.1): GetParameter, the source
 * of runbook "resolve:ssm:/path" values. A SecureString value is a secret:
 * never log it; ssm_parameter_cleanup cleanses it.
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

struct ssm_parameter {
    char *name;
    char *type; /* "String" | "StringList" | "SecureString" */
    char *value;
    long long version;
    int secure; /* type is SecureString: treat value as a secret */
};

dg_rc ssm_build_get_parameter(const char *name, int with_decryption,
                              struct dg_buf *out, struct dg_err *err);
dg_rc ssm_parse_get_parameter(const char *body, size_t len,
                              struct ssm_parameter *out, struct dg_err *err);
/* Cleanses the value (OPENSSL_cleanse) before freeing. */
void ssm_parameter_cleanup(struct ssm_parameter *p);

/* Result: struct ssm_parameter. */
void ssm_get_parameter(const struct svc_client *c, const char *region,
                       const char *name, int with_decryption, svc_done_fn done,
                       void *ctx);

#endif
