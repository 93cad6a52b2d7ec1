/*
 * sts.c - STS GetCallerIdentity (query protocol; no parameters).
 *
 * Errors: DG_EINVALID "bad_response" for a malformed reply.
 */
#include <string.h>

#include "awsxml.h"
#include "client.h"
#include "mem.h"
#include "sts.h"

void
sts_identity_cleanup(struct sts_identity *id)
{
    if (!id)
        return;
    dg_free(id->account);
    dg_free(id->arn);
    dg_free(id->user_id);
    memset(id, 0, sizeof(*id));
}

dg_rc
sts_parse_get_caller_identity(const char *body, size_t len,
                              struct sts_identity *out, struct dg_err *err)
{
    static const char op[] = "GetCallerIdentity";
    struct awsxml_node *root;
    const struct awsxml_node *res;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_xml_open(op, body, len, &root, &res, err)))
        return rc;
    if ((rc = svc_xml_str(op, res, "Account", 64, 1, &out->account, err)) ||
        (rc = svc_xml_str(op, res, "Arn", SVC_MAX_ID, 1, &out->arn, err)) ||
        (rc =
             svc_xml_str(op, res, "UserId", SVC_MAX_ID, 0, &out->user_id, err)))
        sts_identity_cleanup(out);
    awsxml_free(root);
    return rc;
}

SVC_OP(op_id, struct sts_identity, sts_parse_get_caller_identity,
       sts_identity_cleanup);

void
sts_get_caller_identity(const struct svc_client *c, const char *region,
                        svc_done_fn done, void *ctx)
{
    struct svc_build b;
    svc_build_init(&b);
    svc_send(c, &aws_svc_sts, region, "GetCallerIdentity", 1, &b, DG_OK, &op_id,
             done, ctx);
}
