#ifndef DRGATE_STS_H
#define DRGATE_STS_H
/*
 * AWS STS (query protocol, 2011-06-15): GetCallerIdentity. (AssumeRole*
 * live with the credential providers.)
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

struct sts_identity {
    char *account;
    char *arn;
    char *user_id;
};

dg_rc sts_parse_get_caller_identity(const char *body, size_t len,
                                    struct sts_identity *out,
                                    struct dg_err *err);
void sts_identity_cleanup(struct sts_identity *id);

/* Result: struct sts_identity. */
void sts_get_caller_identity(const struct svc_client *c, const char *region,
                             svc_done_fn done, void *ctx);

#endif
